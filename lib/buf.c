/*
 * lib/buf.c - growable byte strings
 *
 * See buf.h. Reads no configuration.
 *
 * DIAGNOSTICS
 *	None: allocation failure aborts in mem.c.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/mem.h"

/* sm_buf_grow - make room for n more bytes plus the terminating NUL */
static void sm_buf_grow(struct sm_buf *b, size_t n)
{
	size_t need;

	if (n > (size_t)-1 - b->len - 1)
		sm_malloc((size_t)-1); /* aborts */
	need = b->len + n + 1;
	if (need <= b->cap)
		return;
	if (b->cap == 0)
		b->cap = 64;
	while (b->cap < need)
		b->cap = b->cap > (size_t)-1 / 2 ? need : b->cap * 2;
	b->data = sm_realloc(b->data, b->cap);
}

/* sm_buf_add - append n bytes */
void sm_buf_add(struct sm_buf *b, const void *p, size_t n)
{
	sm_buf_grow(b, n);
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

/* sm_buf_adds - append a C string */
void sm_buf_adds(struct sm_buf *b, const char *s)
{
	sm_buf_add(b, s, strlen(s));
}

/* sm_buf_addc - append one byte */
void sm_buf_addc(struct sm_buf *b, int c)
{
	char ch = (char)c;

	sm_buf_add(b, &ch, 1);
}

/* sm_buf_printf - append formatted text */
void sm_buf_printf(struct sm_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	sm_buf_grow(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* sm_buf_reset - empty the buffer, keeping its memory */
void sm_buf_reset(struct sm_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

/* sm_buf_str - the contents as a C string (never NULL); owned by the buffer */
const char *sm_buf_str(struct sm_buf *b)
{
	if (b->data == NULL)
		sm_buf_grow(b, 0), b->data[0] = '\0';
	return b->data;
}

/* sm_buf_steal - hand the contents to the caller (who frees them); the buffer becomes empty */
char *sm_buf_steal(struct sm_buf *b)
{
	char *p;

	sm_buf_str(b);
	p = b->data;
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

/* sm_buf_free - release the memory */
void sm_buf_free(struct sm_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}
