/*
 * nsswitch/trace.h - a record of every source consulted by a lookup
 *
 * SYNOPSIS
 *	struct sm_trace tr = SM_TRACE_INIT;
 *	void sm_trace_add(struct sm_trace *tr, const char *db, const char *key, const char *source,
 *	                  enum sm_status st, const char *reason, double ms, enum sm_action act);
 *	void sm_trace_note(struct sm_trace *tr, const char *fmt, ...);
 *	void sm_trace_print(const struct sm_trace *tr, FILE *fp, const char *indent);
 *	void sm_trace_free(struct sm_trace *tr);
 *
 * DESCRIPTION
 *	One entry per source consulted: database, key (made printable), source,
 *	status, native reason, time taken and the action the criteria chose; or
 *	a free-text note (db == NULL) added by the router. The trace owns copies
 *	of every string; sm_trace_free() releases them.
 *
 * DIAGNOSTICS
 *	None.
 */
#ifndef SM_TRACE_H
#define SM_TRACE_H

#include <stdio.h>

#include "nsswitch/status.h"

struct sm_trace_entry {
	char *db; /* NULL for a note */
	char *key;
	char *source;
	enum sm_status status;
	char *reason; /* NULL when the source said nothing */
	double ms;
	enum sm_action action;
};

struct sm_trace {
	size_t count;
	size_t cap;
	struct sm_trace_entry *e;
};

#define SM_TRACE_INIT                                                                                        \
	{                                                                                                    \
		0, 0, NULL                                                                                   \
	}

void sm_trace_add(struct sm_trace *tr, const char *db, const char *key, const char *source, enum sm_status st,
                  const char *reason, double ms, enum sm_action act);
void sm_trace_note(struct sm_trace *tr, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sm_trace_print(const struct sm_trace *tr, FILE *fp, const char *indent);
void sm_trace_free(struct sm_trace *tr);

#endif
