/*
 * lib/lines.c - read a text file line by line with limits and line numbers
 *
 * See lines.h. Reads no configuration.
 *
 * DIAGNOSTICS
 *	Errors are returned to the caller, never logged here.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/lines.h"

/* sm_lines_from - read lines from an open stream (not closed by sm_lines_close) */
void sm_lines_from(struct sm_lines *lr, FILE *fp, const char *path, size_t max)
{
	memset(lr, 0, sizeof(*lr));
	lr->fp = fp;
	lr->path = path;
	lr->max = max;
}

/* sm_lines_open - open path for reading; -1 and *err on failure */
int sm_lines_open(struct sm_lines *lr, const char *path, size_t max, int *err)
{
	FILE *fp;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0) {
		*err = errno;
		return -1;
	}
	fp = fdopen(fd, "r");
	if (fp == NULL) {
		*err = errno;
		close(fd);
		return -1;
	}
	sm_lines_from(lr, fp, path, max);
	lr->own_fp = 1;
	return 0;
}

/* sm_lines_next - read the next line: 1 line, 0 end of file, -1 error */
int sm_lines_next(struct sm_lines *lr)
{
	int c;
	int any = 0;

	sm_buf_reset(&lr->line);
	lr->too_long = lr->has_nul = 0;
	for (;;) {
		c = getc_unlocked(lr->fp);
		if (c == EOF)
			break;
		any = 1;
		if (c == '\n')
			break;
		if (lr->line.len >= lr->max) {
			lr->too_long = 1;
			continue;
		}
		if (c == '\0')
			lr->has_nul = 1;
		sm_buf_addc(&lr->line, c);
	}
	if (c == EOF && ferror(lr->fp)) {
		lr->err = errno ? errno : EIO;
		return -1;
	}
	if (!any)
		return 0;
	lr->lineno++;
	sm_buf_str(&lr->line);
	return 1;
}

/* sm_lines_close - release the line buffer and the stream if we opened it */
void sm_lines_close(struct sm_lines *lr)
{
	if (lr->own_fp && lr->fp)
		fclose(lr->fp);
	lr->fp = NULL;
	sm_buf_free(&lr->line);
}
