/*
 * nsswitch/aliases.c - parse sendmail's aliases(5) text format
 *
 * See aliases.h. Reads the file it is given; the caller supplies the limit
 * (MaxAliasLineLength).
 *
 * DIAGNOSTICS
 *	Errors go to the caller's callback with the first line of the entry.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/table.h"
#include "nsswitch/aliases.h"

struct sm_alias_reader {
	FILE *fp;
	size_t max;
	int err;
};

/* read_physical - one physical line without its newline: 1, or 0 at end, -1 on error */
static int read_physical(struct sm_alias_reader *r, struct sm_buf *b, int *too_long)
{
	int c, any = 0;

	while ((c = getc_unlocked(r->fp)) != EOF) {
		any = 1;
		if (c == '\n')
			return 1;
		if (b->len >= r->max) {
			*too_long = 1;
			continue;
		}
		sm_buf_addc(b, c);
	}
	if (ferror(r->fp)) {
		r->err = errno ? errno : EIO;
		return -1;
	}
	return any;
}

/* read_logical - one logical line (with continuations) into b */
static int read_logical(struct sm_alias_reader *r, struct sm_buf *b, int *too_long, unsigned long *lineno,
                        unsigned long *start)
{
	int rc, c;

	sm_buf_reset(b);
	*too_long = 0;
	rc = read_physical(r, b, too_long);
	if (rc <= 0)
		return rc;
	*start = ++(*lineno);
	while (b->len > 0) { /* a blank line ends an entry and continues nothing */
		if (b->len > 0 && b->data[b->len - 1] == '\\') {
			b->len--; /* backslash-newline: join directly */
		} else {
			c = getc_unlocked(r->fp);
			if (c == EOF)
				break;
			ungetc(c, r->fp);
			if (c != ' ' && c != '\t')
				break;
		}
		rc = read_physical(r, b, too_long);
		if (rc < 0)
			return rc;
		if (rc == 0)
			break;
		(*lineno)++;
	}
	sm_buf_str(b);
	return 1;
}

/* sm_aliases_parse - parse an aliases file (see aliases.h) */
int sm_aliases_parse(FILE *fp, const char *path, size_t maxline, const struct sm_alias_cb *cb, int *oserr)
{
	struct sm_alias_reader r = { fp, maxline, 0 };
	struct sm_buf b = SM_BUF_INIT;
	unsigned long lineno = 0, first = 0;
	int skipping = 0;
	int too_long, rc;

	(void)path;
	while ((rc = read_logical(&r, &b, &too_long, &lineno, &first)) > 0) {
		char *line = b.data;
		char *colon, *lhs_end, *rhs, *end, *p;

		if (b.len == 0 || line[0] == '#') {
			skipping = 0;
			continue;
		}
		if (too_long) {
			cb->error(cb->ctx, first, "alias line too long");
			continue;
		}
		if (memchr(line, '\0', b.len)) {
			cb->error(cb->ctx, first, "NUL byte in line");
			continue;
		}
		if (line[0] == ' ' || line[0] == '\t') {
			if (!skipping)
				cb->error(cb->ctx, first, "Non-continuation line starts with space");
			skipping = 1;
			continue;
		}
		skipping = 0;
		colon = strchr(line, ':');
		if (colon == NULL) {
			cb->error(cb->ctx, first, "missing colon");
			continue;
		}
		for (lhs_end = colon; lhs_end > line && isspace((unsigned char)lhs_end[-1]);)
			lhs_end--;
		for (p = line; p < lhs_end; p++)
			if (isspace((unsigned char)*p) || *p == ',' || *p == '<' || *p == '>' || *p == '(' ||
			    *p == ')' || *p == ';' || *p == '"')
				break;
		if (lhs_end == line || p < lhs_end) {
			cb->error(cb->ctx, first, "illegal alias name");
			continue;
		}
		if (memchr(line, '@', (size_t)(lhs_end - line))) {
			cb->error(cb->ctx, first, "cannot alias non-local names");
			continue;
		}
		if ((size_t)(lhs_end - line) > SM_TABLE_KEYMAX) {
			cb->error(cb->ctx, first, "alias name too long");
			continue;
		}
		for (p = line; p < lhs_end; p++)
			*p = (char)tolower((unsigned char)*p);
		for (rhs = colon + 1; isspace((unsigned char)*rhs);)
			rhs++;
		for (end = line + b.len; end > rhs && isspace((unsigned char)end[-1]);)
			end--;
		if (end == rhs) {
			cb->error(cb->ctx, first, "missing value for alias");
			continue;
		}
		cb->entry(cb->ctx, line, (size_t)(lhs_end - line), rhs, (size_t)(end - rhs), first);
	}
	sm_buf_free(&b);
	if (rc < 0) {
		*oserr = r.err;
		return -1;
	}
	return 0;
}
