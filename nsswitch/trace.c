/*
 * nsswitch/trace.c - a record of every source consulted by a lookup
 *
 * See trace.h. Reads no configuration.
 *
 * DIAGNOSTICS
 *	None.
 */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/mem.h"
#include "nsswitch/trace.h"

/* sm_trace_grow - a new zeroed entry at the end */
static struct sm_trace_entry *sm_trace_grow(struct sm_trace *tr)
{
	if (tr->count == tr->cap) {
		tr->cap = tr->cap ? tr->cap * 2 : 8;
		tr->e = sm_realloc(tr->e, tr->cap * sizeof(*tr->e));
	}
	memset(&tr->e[tr->count], 0, sizeof(tr->e[0]));
	return &tr->e[tr->count++];
}

/* sm_trace_add - record one source consulted */
void sm_trace_add(struct sm_trace *tr, const char *db, const char *key, const char *source, enum sm_status st,
                  const char *reason, double ms, enum sm_action act)
{
	struct sm_trace_entry *e;

	if (tr == NULL)
		return;
	e = sm_trace_grow(tr);
	e->db = sm_strdup(db);
	e->key = sm_printable(key, strlen(key), 128);
	e->source = sm_strdup(source);
	e->status = st;
	e->reason = reason && *reason ? sm_strdup(reason) : NULL;
	e->ms = ms;
	e->action = act;
}

/* sm_trace_note - record a line of free text */
void sm_trace_note(struct sm_trace *tr, const char *fmt, ...)
{
	struct sm_trace_entry *e;
	va_list ap;
	char *text;

	if (tr == NULL)
		return;
	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		text = sm_strdup("?");
	va_end(ap);
	e = sm_trace_grow(tr);
	e->reason = text;
}

/* sm_trace_print - one line per entry, each starting with indent */
void sm_trace_print(const struct sm_trace *tr, FILE *fp, const char *indent)
{
	size_t i;

	for (i = 0; i < tr->count; i++) {
		const struct sm_trace_entry *e = &tr->e[i];

		if (e->db == NULL) {
			fprintf(fp, "%s%s\n", indent, e->reason);
			continue;
		}
		fprintf(fp, "%s%s \"%s\": %s -> %s", indent, e->db, e->key, e->source,
		        sm_status_name(e->status));
		if (e->reason)
			fprintf(fp, " (%s)", e->reason);
		fprintf(fp, " in %.3f ms; %s\n", e->ms, sm_action_name(e->action));
	}
}

/* sm_trace_free - release every entry */
void sm_trace_free(struct sm_trace *tr)
{
	size_t i;

	for (i = 0; i < tr->count; i++) {
		free(tr->e[i].db);
		free(tr->e[i].key);
		free(tr->e[i].source);
		free(tr->e[i].reason);
	}
	free(tr->e);
	memset(tr, 0, sizeof(*tr));
}
