/*
 * lib/mem.h - allocation that never returns NULL
 *
 * SYNOPSIS
 *	void *sm_malloc(size_t n);
 *	void *sm_calloc(size_t count, size_t size);
 *	void *sm_realloc(void *p, size_t n);
 *	char *sm_strdup(const char *s);
 *	char *sm_strndup(const char *s, size_t n);
 *	char *sm_asprintf(const char *fmt, ...);
 *
 * DESCRIPTION
 *	Thin wrappers around the C allocator. Every pointer they return is owned by
 *	the caller and released with free(3).
 *
 * DIAGNOSTICS
 *	Allocation failure, or a size that would overflow, prints a message on
 *	stderr and aborts: running out of memory must never look like "not found".
 */
#ifndef SM_MEM_H
#define SM_MEM_H

#include <stddef.h>

void *sm_malloc(size_t n);
void *sm_calloc(size_t count, size_t size);
void *sm_realloc(void *p, size_t n);
char *sm_strdup(const char *s);
char *sm_strndup(const char *s, size_t n);
char *sm_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
