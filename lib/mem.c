/*
 * lib/mem.c - allocation that never returns NULL
 *
 * See mem.h. Reads no configuration.
 *
 * DIAGNOSTICS
 *	"switchmail: out of memory (N bytes)" on stderr, then abort().
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/mem.h"

/* sm_oom - report an allocation failure and abort */
static void sm_oom(size_t n) __attribute__((noreturn));
static void sm_oom(size_t n)
{
	fprintf(stderr, "switchmail: out of memory (%zu bytes)\n", n);
	abort();
}

/* sm_malloc - malloc that aborts on failure; caller frees */
void *sm_malloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		sm_oom(n);
	return p;
}

/* sm_calloc - zeroed array allocation that aborts on failure or overflow; caller frees */
void *sm_calloc(size_t count, size_t size)
{
	void *p;

	if (size != 0 && count > (size_t)-1 / size)
		sm_oom((size_t)-1);
	p = calloc(count ? count : 1, size ? size : 1);
	if (p == NULL)
		sm_oom(count * size);
	return p;
}

/* sm_realloc - realloc that aborts on failure; caller frees the result */
void *sm_realloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		sm_oom(n);
	return q;
}

/* sm_strdup - copy a string; caller frees */
char *sm_strdup(const char *s)
{
	return sm_strndup(s, strlen(s));
}

/* sm_strndup - copy at most n bytes of s plus a NUL; caller frees */
char *sm_strndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = sm_malloc(len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

/* sm_asprintf - format into a new string; caller frees */
char *sm_asprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&p, fmt, ap);
	va_end(ap);
	if (n < 0)
		sm_oom(0);
	return p;
}
