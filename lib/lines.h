/*
 * lib/lines.h - read a text file line by line with limits and line numbers
 *
 * SYNOPSIS
 *	int sm_lines_open(struct sm_lines *lr, const char *path, size_t max, int *err);
 *	void sm_lines_from(struct sm_lines *lr, FILE *fp, const char *path, size_t max);
 *	int sm_lines_next(struct sm_lines *lr);
 *	void sm_lines_close(struct sm_lines *lr);
 *
 * DESCRIPTION
 *	sm_lines_next() reads the next physical line into lr->line without its
 *	newline (a CR before the newline is kept: callers decide). lr->lineno is
 *	its number, counting from 1. A line longer than max bytes is consumed to
 *	its end but only its first max bytes are kept, and lr->too_long is set;
 *	lr->has_nul says the kept bytes contain a NUL. The reader owns lr->line.
 *
 * DIAGNOSTICS
 *	sm_lines_open() returns -1 with *err set to errno when the file cannot be
 *	opened. sm_lines_next() returns 1 for a line, 0 at end of file, and -1 on
 *	a read error (lr->err holds errno). Nothing is logged here.
 */
#ifndef SM_LINES_H
#define SM_LINES_H

#include <stdio.h>

#include "lib/buf.h"

struct sm_lines {
	FILE *fp;
	const char *path; /* for messages; not owned */
	unsigned long lineno;
	size_t max;
	struct sm_buf line;
	int too_long;
	int has_nul;
	int err;
	int own_fp;
};

int sm_lines_open(struct sm_lines *lr, const char *path, size_t max, int *err);
void sm_lines_from(struct sm_lines *lr, FILE *fp, const char *path, size_t max);
int sm_lines_next(struct sm_lines *lr);
void sm_lines_close(struct sm_lines *lr);

#endif
