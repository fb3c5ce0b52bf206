/*
 * lib/buf.h - growable byte strings
 *
 * SYNOPSIS
 *	struct sm_buf b = SM_BUF_INIT;
 *	void sm_buf_add(struct sm_buf *b, const void *p, size_t n);
 *	void sm_buf_adds(struct sm_buf *b, const char *s);
 *	void sm_buf_addc(struct sm_buf *b, int c);
 *	void sm_buf_printf(struct sm_buf *b, const char *fmt, ...);
 *	void sm_buf_reset(struct sm_buf *b);
 *	char *sm_buf_steal(struct sm_buf *b);
 *	void sm_buf_free(struct sm_buf *b);
 *
 * DESCRIPTION
 *	The data is always NUL-terminated after len bytes (it may also hold NULs
 *	inside). The buffer owns its memory; sm_buf_free() releases it and
 *	sm_buf_steal() hands it to the caller, who frees it with free(3), leaving
 *	the buffer empty.
 *
 * DIAGNOSTICS
 *	Growth past SIZE_MAX or allocation failure aborts (see mem.h).
 */
#ifndef SM_BUF_H
#define SM_BUF_H

#include <stddef.h>

struct sm_buf {
	char *data;
	size_t len;
	size_t cap;
};

#define SM_BUF_INIT                                                                                          \
	{                                                                                                    \
		NULL, 0, 0                                                                                   \
	}

void sm_buf_add(struct sm_buf *b, const void *p, size_t n);
void sm_buf_adds(struct sm_buf *b, const char *s);
void sm_buf_addc(struct sm_buf *b, int c);
void sm_buf_printf(struct sm_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sm_buf_reset(struct sm_buf *b);
char *sm_buf_steal(struct sm_buf *b);
const char *sm_buf_str(struct sm_buf *b);
void sm_buf_free(struct sm_buf *b);

#endif
