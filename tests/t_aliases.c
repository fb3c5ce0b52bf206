/*
 * tests/t_aliases.c - unit tests of the aliases parser, newaliases and the files source
 *
 * DESCRIPTION
 *	sm_aliases_parse() (nsswitch/aliases.h) on fmemopen() inputs, with
 *	callbacks that record every entry and error: keys, values, line
 *	numbers, continuation lines, comments and each diagnostic. Then
 *	sm_newaliases() (nsswitch/newaliases.h) on files in a mkdtemp()
 *	directory: sendmail's statistics, duplicate warnings, every return code
 *	(EX_OK, EX_DATAERR, EX_NOINPUT, EX_NOPERM, EX_TEMPFAIL, EX_IOERR), the
 *	table it writes (lib/table.h) with the "@" sentinel, and its atomic
 *	replacement. Last, the files source (nsswitch/files.h) through a
 *	switch: SUCCESS, NOTFOUND, UNAVAIL before newaliases or with a broken
 *	table, and the "out of date" warning (captured with sm_log_sink).
 *	Output is TAP (tests/tap.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/cfg.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/table.h"
#include "nsswitch/aliases.h"
#include "nsswitch/files.h"
#include "nsswitch/newaliases.h"
#include "nsswitch/switch.h"
#include "tests/tap.h"
#include "tests/testutil.h"

#define MAXREC 8

/* what the parser reported */
struct record {
	size_t n;
	struct {
		char *key;
		char *val;
		unsigned long line;
	} e[MAXREC];
	size_t nerr;
	struct {
		unsigned long line;
		char *msg;
	} x[MAXREC];
};

/* rec_entry - entry callback: keep a copy */
static void rec_entry(void *ctx, const char *key, size_t klen, const char *rhs, size_t rlen,
                      unsigned long lineno)
{
	struct record *r = ctx;

	if (r->n < MAXREC) {
		r->e[r->n].key = sm_strndup(key, klen);
		r->e[r->n].val = sm_strndup(rhs, rlen);
		r->e[r->n].line = lineno;
	}
	r->n++;
}

/* rec_error - error callback: keep a copy */
static void rec_error(void *ctx, unsigned long lineno, const char *msg)
{
	struct record *r = ctx;

	if (r->nerr < MAXREC) {
		r->x[r->nerr].line = lineno;
		r->x[r->nerr].msg = sm_strdup(msg);
	}
	r->nerr++;
}

/* rec_free - release a record */
static void rec_free(struct record *r)
{
	size_t i;

	for (i = 0; i < r->n && i < MAXREC; i++) {
		free(r->e[i].key);
		free(r->e[i].val);
	}
	for (i = 0; i < r->nerr && i < MAXREC; i++)
		free(r->x[i].msg);
	memset(r, 0, sizeof(*r));
}

/* parse_mem - run sm_aliases_parse over len bytes of text into r; returns its result */
static int parse_mem(const char *text, size_t len, size_t maxline, struct record *r, int *oserr)
{
	struct sm_alias_cb cb = { rec_entry, rec_error, r };
	FILE *fp;
	int rc;

	memset(r, 0, sizeof(*r));
	if (len == 0) { /* fmemopen refuses a zero size */
		fp = fopen("/dev/null", "r");
	} else {
		fp = fmemopen((void *)text, len, "r");
	}
	if (fp == NULL)
		return -2;
	rc = sm_aliases_parse(fp, "mem", maxline, &cb, oserr);
	fclose(fp);
	return rc;
}

/* a parser case: input, and every entry and error expected, in order */
static const struct parse_case {
	const char *name;
	const char *text;
	size_t len;     /* 0: strlen(text) */
	size_t maxline; /* 0: 4096 */
	size_t n;
	struct {
		const char *key;
		const char *val;
		unsigned long line;
	} e[4];
	size_t nerr;
	struct {
		unsigned long line;
		const char *msg;
	} x[6];
} parse_cases[] = {
	{ .name = "simple entry",
	  .text = "postmaster: root\n",
	  .n = 1,
	  .e = { { .key = "postmaster", .val = "root", .line = 1 } } },
	{ .name = "no newline at the end",
	  .text = "a: b",
	  .n = 1,
	  .e = { { .key = "a", .val = "b", .line = 1 } } },
	{ .name = "key folded to lower case, value kept",
	  .text = "MAILER-Daemon: PostMaster\n",
	  .n = 1,
	  .e = { { .key = "mailer-daemon", .val = "PostMaster", .line = 1 } } },
	{ .name = "value verbatim: inner spaces and quotes kept, outer white space trimmed",
	  .text = "vac:   \"|/usr/bin/vacation  jun\" ,  \"/var/x y\"  \t \n",
	  .n = 1,
	  .e = { { .key = "vac", .val = "\"|/usr/bin/vacation  jun\" ,  \"/var/x y\"", .line = 1 } } },
	{ .name = "tab after the colon",
	  .text = "a:\tb, c\n",
	  .n = 1,
	  .e = { { .key = "a", .val = "b, c", .line = 1 } } },
	{ .name = "white space before the colon",
	  .text = "staff \t: jun\n",
	  .n = 1,
	  .e = { { .key = "staff", .val = "jun", .line = 1 } } },
	{ .name = "a colon in the value",
	  .text = "inc: :include:/etc/mail/list\n",
	  .n = 1,
	  .e = { { .key = "inc", .val = ":include:/etc/mail/list", .line = 1 } } },
	{ .name = "several entries and their lines",
	  .text = "a: 1\nb: 2\n\nc: 3\n",
	  .n = 3,
	  .e = { { .key = "a", .val = "1", .line = 1 },
	         { .key = "b", .val = "2", .line = 2 },
	         { .key = "c", .val = "3", .line = 4 } } },
	{ .name = "continuation by space and tab: newline removed, white space kept",
	  .text = "staff: jun,\n  kim,\n\tlee\nnext: x\n",
	  .n = 2,
	  .e = { { .key = "staff", .val = "jun,  kim,\tlee", .line = 1 },
	         { .key = "next", .val = "x", .line = 4 } } },
	{ .name = "backslash-newline joins directly",
	  .text = "long: a\\\nb, c\\\n d\nz: y\n",
	  .n = 2,
	  .e = { { .key = "long", .val = "ab, c d", .line = 1 }, { .key = "z", .val = "y", .line = 4 } } },
	{ .name = "backslash-newline then a continuation line",
	  .text = "a: b,\\\nc,\n d\n",
	  .n = 1,
	  .e = { { .key = "a", .val = "b,c, d", .line = 1 } } },
	{ .name = "a comment swallows the white-space-led lines after it",
	  .text = "# comment\n  x: y\n\tz: w\nreal: v\n",
	  .n = 1,
	  .e = { { .key = "real", .val = "v", .line = 4 } } },
	{ .name = "a comment line ending in backslash swallows the next line",
	  .text = "# comment \\\nhidden: x\nshown: y\n",
	  .n = 1,
	  .e = { { .key = "shown", .val = "y", .line = 3 } } },
	{ .name = "comment and blank lines only", .text = "# one\n\n#two\n\n\n" },
	{ .name = "empty input", .text = "", .len = 0 },
	{ .name = "white-space-led line at the start of the file",
	  .text = "  a: b\nc: d\n",
	  .n = 1,
	  .e = { { .key = "c", .val = "d", .line = 2 } },
	  .nerr = 1,
	  .x = { { .line = 1, .msg = "Non-continuation line starts with space" } } },
	{ .name = "several white-space-led lines at the start: one error",
	  .text = "  a: b\n\tc: d\n  e\nf: g\n",
	  .n = 1,
	  .e = { { .key = "f", .val = "g", .line = 4 } },
	  .nerr = 1,
	  .x = { { .line = 1, .msg = "Non-continuation line starts with space" } } },
	{ .name = "missing colon",
	  .text = "nocolon\nb: c\n",
	  .n = 1,
	  .e = { { .key = "b", .val = "c", .line = 2 } },
	  .nerr = 1,
	  .x = { { .line = 1, .msg = "missing colon" } } },
	{ .name = "missing value",
	  .text = "a:\nb:   \t\nc: d\n",
	  .n = 1,
	  .e = { { .key = "c", .val = "d", .line = 3 } },
	  .nerr = 2,
	  .x = { { .line = 1, .msg = "missing value for alias" },
	         { .line = 2, .msg = "missing value for alias" } } },
	{ .name = "missing value with blank continuation lines",
	  .text = "a: b\n c\nbad:\n   \n\t\nz: q\n",
	  .n = 2,
	  .e = { { .key = "a", .val = "b c", .line = 1 }, { .key = "z", .val = "q", .line = 6 } },
	  .nerr = 1,
	  .x = { { .line = 3, .msg = "missing value for alias" } } },
	{ .name = "illegal alias names",
	  .text = "a b: c\n: c\n  \n<x>: c\nd,e: f\n\"q\": r\nok: s\n",
	  .n = 1,
	  .e = { { .key = "ok", .val = "s", .line = 7 } },
	  .nerr = 5,
	  .x = { { .line = 1, .msg = "illegal alias name" },
	         { .line = 2, .msg = "illegal alias name" },
	         { .line = 4, .msg = "illegal alias name" },
	         { .line = 5, .msg = "illegal alias name" },
	         { .line = 6, .msg = "illegal alias name" } } },
	{ .name = "@ in the name",
	  .text = "jun@example.com: kim\nkim: jun@example.com\n",
	  .n = 1,
	  .e = { { .key = "kim", .val = "jun@example.com", .line = 2 } },
	  .nerr = 1,
	  .x = { { .line = 1, .msg = "cannot alias non-local names" } } },
	{ .name = "line too long",
	  .text = "a: 0123456789abcdefghij\nb: c\n",
	  .maxline = 16,
	  .n = 1,
	  .e = { { .key = "b", .val = "c", .line = 2 } },
	  .nerr = 1,
	  .x = { { .line = 1, .msg = "alias line too long" } } },
	{ .name = "line too long: its continuation lines are skipped too",
	  .text = "a: 0123456789abcdefghij\n more\n more\nb: c\n",
	  .maxline = 16,
	  .n = 1,
	  .e = { { .key = "b", .val = "c", .line = 4 } },
	  .nerr = 1,
	  .x = { { .line = 1, .msg = "alias line too long" } } },
	{ .name = "a line of exactly maxline bytes is accepted",
	  .text = "a: 0123456789abc\n",
	  .maxline = 16,
	  .n = 1,
	  .e = { { .key = "a", .val = "0123456789abc", .line = 1 } } },
	{ .name = "NUL byte in a line",
	  .text = "a: b\0c\nd: e\n",
	  .len = 12,
	  .n = 1,
	  .e = { { .key = "d", .val = "e", .line = 2 } },
	  .nerr = 1,
	  .x = { { .line = 1, .msg = "NUL byte in line" } } },
	{ .name = "errors are numbered by the entry's first line",
	  .text = "a: b\n c\n d\nbad\n e\nz: y\n",
	  .n = 2,
	  .e = { { .key = "a", .val = "b c d", .line = 1 }, { .key = "z", .val = "y", .line = 6 } },
	  .nerr = 1,
	  .x = { { .line = 4, .msg = "missing colon" } } },
	{ .name = "errors after backslash-joined lines are numbered right",
	  .text = "a: b\\\nc\\\nd\nx y: z\n",
	  .n = 1,
	  .e = { { .key = "a", .val = "bcd", .line = 1 } },
	  .nerr = 1,
	  .x = { { .line = 4, .msg = "illegal alias name" } } },
	{ .name = "duplicates are passed through (the caller's business)",
	  .text = "dup: a\ndup: b\n",
	  .n = 2,
	  .e = { { .key = "dup", .val = "a", .line = 1 }, { .key = "dup", .val = "b", .line = 2 } } },
};

/* check_parse - one parser case */
static void check_parse(const struct parse_case *c)
{
	struct record r;
	int oserr = 0;
	size_t len = c->len ? c->len : strlen(c->text);
	int rc = parse_mem(c->text, len, c->maxline ? c->maxline : 4096, &r, &oserr);
	int same;
	size_t i;

	is_int(rc, 0, c->name);
	same = r.n == c->n;
	for (i = 0; same && i < c->n; i++)
		same = strcmp(r.e[i].key, c->e[i].key) == 0 && strcmp(r.e[i].val, c->e[i].val) == 0 &&
		       r.e[i].line == c->e[i].line;
	if (!ok(same, "  %zu entries with keys, values and lines", c->n))
		for (i = 0; i < r.n && i < MAXREC; i++)
			diag("got entry %lu [%s] [%s]", r.e[i].line, r.e[i].key, r.e[i].val);
	same = r.nerr == c->nerr;
	for (i = 0; same && i < c->nerr; i++)
		same = strcmp(r.x[i].msg, c->x[i].msg) == 0 && r.x[i].line == c->x[i].line;
	if (!ok(same, "  %zu errors with messages and lines", c->nerr))
		for (i = 0; i < r.nerr && i < MAXREC; i++)
			diag("got error %lu %s", r.x[i].line, r.x[i].msg);
	rec_free(&r);
}

/* test_after_blank - a white-space-led line after a blank line is refused */
static void test_after_blank(void)
{
	static const char text[] = "a: b\n\n  c: d\ne: f\n";
	struct record r;
	int oserr = 0;
	int rc = parse_mem(text, strlen(text), 4096, &r, &oserr);

	is_int(rc, 0, "white-space-led line after a blank line");
	ok(r.nerr == 1 && strcmp(r.x[0].msg, "Non-continuation line starts with space") == 0,
	   "  \"Non-continuation line starts with space\"");
	ok(r.nerr == 1 && r.x[0].line == 3, "  reported at its own line, not the blank line's");
	ok(r.n == 2 && strcmp(r.e[0].key, "a") == 0 && strcmp(r.e[0].val, "b") == 0 && r.e[0].line == 1 &&
	       strcmp(r.e[1].key, "e") == 0 && r.e[1].line == 4,
	   "  the entries around it are kept, and c is not one");
	rec_free(&r);
}

/* test_blank_ends_skipping - a blank line ends the skipping of white-space-led lines */
static void test_blank_ends_skipping(void)
{
	static const char text[] = "  a: b\n\n  c: d\ne: f\n";
	struct record r;
	int oserr = 0;

	is_int(parse_mem(text, strlen(text), 4096, &r, &oserr), 0, "blank line between two bad lines");
	ok(r.nerr == 2 && r.x[0].line == 1 && r.x[1].line == 3,
	   "  each bad line is reported (lines 1 and 3)");
	ok(r.n == 1 && strcmp(r.e[0].key, "e") == 0 && r.e[0].line == 4, "  and e is kept");
	rec_free(&r);
}

/* test_transient - which errno values sm_errno_transient calls temporary */
static void test_transient(void)
{
	static const struct {
		int err;
		int transient;
	} cases[] = {
		{ .err = EIO, .transient = 1 },     { .err = EMFILE, .transient = 1 },
		{ .err = ENFILE, .transient = 1 },  { .err = ENOMEM, .transient = 1 },
		{ .err = EAGAIN, .transient = 1 },  { .err = EINTR, .transient = 1 },
		{ .err = ENOENT, .transient = 0 },  { .err = EACCES, .transient = 0 },
		{ .err = ENOTDIR, .transient = 0 }, { .err = EISDIR, .transient = 0 },
		{ .err = 0, .transient = 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ok(!sm_errno_transient(cases[i].err) == !cases[i].transient, "sm_errno_transient(%s) is %s",
		   cases[i].err ? strerror(cases[i].err) : "0", cases[i].transient ? "true" : "false");
}

/* test_parse_more - cases that need generated input or a read error */
static void test_parse_more(void)
{
	struct record r;
	struct sm_buf b = SM_BUF_INIT;
	int oserr = 0, rc;
	FILE *fp;

	/* the longest alias name a table can hold, and one byte more */
	sm_buf_reset(&b);
	for (rc = 0; rc < SM_TABLE_KEYMAX; rc++)
		sm_buf_addc(&b, 'A');
	sm_buf_adds(&b, ": x\n");
	for (rc = 0; rc < SM_TABLE_KEYMAX + 1; rc++)
		sm_buf_addc(&b, 'b');
	sm_buf_adds(&b, ": y\nz: w\n");
	rc = parse_mem(b.data, b.len, 4096, &r, &oserr);
	is_int(rc, 0, "alias names of 511 and 512 bytes");
	ok(r.n == 2 && strlen(r.e[0].key) == SM_TABLE_KEYMAX && r.e[0].key[0] == 'a' && r.e[0].line == 1,
	   "  511 bytes is accepted (and folded)");
	ok(r.nerr == 1 && r.x[0].line == 2 && strcmp(r.x[0].msg, "alias name too long") == 0,
	   "  512 bytes: line 2: alias name too long");
	ok(r.n == 2 && strcmp(r.e[1].key, "z") == 0 && r.e[1].line == 3, "  and parsing goes on");
	rec_free(&r);
	sm_buf_free(&b);

	/* a read error: a directory opened as a stream fails with EISDIR */
	fp = fopen("/", "r");
	if (fp) {
		struct sm_alias_cb cb = { rec_entry, rec_error, &r };

		memset(&r, 0, sizeof(r));
		rc = sm_aliases_parse(fp, "/", 4096, &cb, &oserr);
		is_int(rc, -1, "a read error returns -1");
		is_int(oserr, EISDIR, "  with *oserr set (EISDIR)");
		fclose(fp);
		rec_free(&r);
	} else {
		ok(0, "fopen(\"/\") for the read-error case: %s", strerror(errno));
	}
}

/* run_newaliases - sm_newaliases with its messages collected into *msgs (caller frees) */
static int run_newaliases(const char *path, size_t maxline, struct sm_alias_stats *st, char **msgs)
{
	size_t size;
	FILE *fp = open_memstream(msgs, &size);
	int rc = sm_newaliases(path, maxline, fp, st);

	fclose(fp);
	return rc;
}

/* table_value - the value of key in the table file (caller frees), or NULL */
static char *table_value(const char *table, const char *key)
{
	struct sm_buf err = SM_BUF_INIT;
	struct sm_table *t;
	const char *v;
	size_t vlen;
	char *out = NULL;
	int oserr;

	t = sm_table_open(table, &err, &oserr);
	if (t && sm_table_get(t, key, strlen(key), &v, &vlen) == 1)
		out = sm_strndup(v, vlen);
	sm_table_close(t);
	sm_buf_free(&err);
	return out;
}

/* collect_keys - sm_table_each callback: append "key;" to the buffer */
static int collect_keys(void *ctx, const char *key, size_t klen, const char *val, size_t vlen)
{
	(void)val;
	(void)vlen;
	sm_buf_add(ctx, key, klen);
	sm_buf_addc(ctx, ';');
	return 0;
}

/* the sample file of tests/newaliases.sh, with its figures */
static const char sample[] = "# sample\n"                             /* 1 */
                             "postmaster: root\n"                     /* 2 */
                             "MAILER-DAEMON: postmaster\n"            /* 3 */
                             "Staff: jun,\n"                          /* 4 */
                             "\tkim\n"                                /* 5 */
                             "long: \"|/usr/bin/vacation jun\", \\\n" /* 6 */
                             "lee\n"                                  /* 7 */
                             "dup: jun\n"                             /* 8 */
                             "dup: kim\n"                             /* 9 */
                             "missing\n";                             /* 10 */

/* test_newaliases_sample - statistics, messages and the table of the sample */
static void test_newaliases_sample(void)
{
	const char *path = in_dir("aliases");
	char *table = sm_alias_table_path(path);
	struct sm_alias_stats st;
	struct sm_buf keys = SM_BUF_INIT;
	struct sm_buf err = SM_BUF_INIT;
	struct sm_table *t;
	char want[512];
	char *msgs = NULL, *v;
	int rc, oserr;

	snprintf(want, sizeof(want), "%s.lmdb", path);
	is_str(table, want, "sm_alias_table_path is FILE.lmdb");
	write_file(path, sample, 0644);
	rc = run_newaliases(path, 4096, &st, &msgs);
	is_int(rc, EX_DATAERR, "newaliases with a skipped entry: EX_DATAERR");
	/*
	 * postmaster:root 10+4, mailer-daemon:postmaster 13+10, staff:"jun,\tkim" 5+8,
	 * long:"\"|/usr/bin/vacation jun\", lee" 4+29, dup:kim 3+3
	 */
	is_int((long)st.count, 5, "  5 aliases (sentinel and duplicate not counted)");
	is_int((long)st.longest, 29, "  longest value 29 bytes");
	is_int((long)st.total, 89, "  89 bytes total (keys plus values)");
	is_int((long)st.errors, 1, "  1 error");
	is_int((long)st.duplicates, 1, "  1 duplicate");
	snprintf(want, sizeof(want), "%s: line 10: missing colon\n", path);
	ok(msgs && strstr(msgs, want) != NULL, "  message \"FILE: line 10: missing colon\"");
	snprintf(want, sizeof(want), "%s: line 9: Warning: duplicate alias name dup\n", path);
	if (!ok(msgs && strstr(msgs, want) != NULL,
	        "  message \"FILE: line 9: Warning: duplicate alias name dup\""))
		diag("messages: %s", msgs ? msgs : "(null)");
	free(msgs);

	t = sm_table_open(table, &err, &oserr);
	ok(t != NULL, "the table opens");
	if (t) {
		sm_table_each(t, collect_keys, &keys);
		is_str(sm_buf_str(&keys), "@;dup;long;mailer-daemon;postmaster;staff;",
		       "  it holds the sentinel and every key, in order");
		sm_table_close(t);
	}
	v = table_value(table, "@");
	is_str(v, "@", "  sentinel @ -> @");
	free(v);
	v = table_value(table, "dup");
	is_str(v, "kim", "  the last duplicate wins");
	free(v);
	v = table_value(table, "staff");
	is_str(v, "jun,\tkim", "  a continued value keeps its white space");
	free(v);
	v = table_value(table, "long");
	is_str(v, "\"|/usr/bin/vacation jun\", lee", "  a backslash-joined value");
	free(v);
	v = table_value(table, "Staff");
	is_str(v, NULL, "  keys are stored folded (Staff is not a key)");
	free(v);
	v = table_value(table, "missing");
	is_str(v, NULL, "  the skipped entry is not stored");
	free(v);
	sm_buf_free(&keys);
	sm_buf_free(&err);
	free(table);
}

/* test_newaliases_clean - EX_OK, no messages, several duplicates */
static void test_newaliases_clean(void)
{
	const char *path = in_dir("clean");
	char *table = sm_alias_table_path(path);
	struct sm_alias_stats st;
	char *msgs = NULL, *v;
	char want[512];
	int rc;

	write_file(path, "a: 1\nb: 22\nA: 333\nc: 4444\na: 55555\n", 0600);
	rc = run_newaliases(path, 4096, &st, &msgs);
	is_int(rc, EX_OK, "a clean file: EX_OK");
	is_int((long)st.count, 3, "  3 aliases after two duplicates of a");
	is_int((long)st.longest, 5, "  longest 5");
	is_int((long)st.total, 1 + 5 + 1 + 2 + 1 + 4, "  total 14");
	is_int((long)st.duplicates, 2, "  2 duplicates");
	snprintf(want, sizeof(want),
	         "%s: line 3: Warning: duplicate alias name a\n%s: line 5: Warning: duplicate alias name a\n",
	         path, path);
	is_str(msgs, want, "  warnings in line order, naming the later line");
	v = table_value(table, "a");
	is_str(v, "55555", "  the last of three wins");
	free(v);
	free(msgs);

	/* a file with no entries at all: a table holding only the sentinel */
	write_file(path, "# no entries\n", 0644);
	rc = run_newaliases(path, 4096, &st, &msgs);
	is_int(rc, EX_OK, "a file with no entries: EX_OK");
	is_int((long)st.count, 0, "  0 aliases");
	v = table_value(table, "@");
	is_str(v, "@", "  the table holds the sentinel");
	free(v);
	free(msgs);

	/* a rebuild from a smaller file */
	write_file(path, "# one entry\nz: last\n", 0644);
	rc = run_newaliases(path, 4096, &st, &msgs);
	is_int(rc, EX_OK, "a rebuild from a smaller file: EX_OK");
	ok(st.count == 1 && st.longest == 4 && st.total == 5, "  1 alias, longest 4, total 5");
	v = table_value(table, "@");
	is_str(v, "@", "  the table has the sentinel");
	free(v);
	v = table_value(table, "a");
	is_str(v, NULL, "  and the old entries are gone");
	free(v);
	free(msgs);

	/* keys that sort before and after the sentinel "@" */
	write_file(path, "zed: 1\n0day: 2\n+plus: 3\n.dot: 4\nAt: 5\n", 0644);
	rc = run_newaliases(path, 4096, &st, &msgs);
	is_int(rc, EX_OK, "keys sorting before and after \"@\": EX_OK");
	{
		struct sm_buf keys = SM_BUF_INIT, err = SM_BUF_INIT;
		struct sm_table *t;
		int oserr;

		t = sm_table_open(table, &err, &oserr);
		if (t)
			sm_table_each(t, collect_keys, &keys);
		is_str(sm_buf_str(&keys), "+plus;.dot;0day;@;at;zed;", "  the sentinel sits in key order");
		sm_table_close(t);
		sm_buf_free(&keys);
		sm_buf_free(&err);
	}
	free(msgs);

	/* the longest key a table holds */
	{
		struct sm_buf text = SM_BUF_INIT;
		char key[SM_TABLE_KEYMAX + 1];

		memset(key, 'k', SM_TABLE_KEYMAX);
		key[SM_TABLE_KEYMAX] = '\0';
		sm_buf_printf(&text, "%s: long-key\n", key);
		write_file(path, sm_buf_str(&text), 0644);
		rc = run_newaliases(path, 4096, &st, &msgs);
		is_int(rc, EX_OK, "an alias name of 511 bytes: EX_OK");
		v = table_value(table, key);
		is_str(v, "long-key", "  and it can be looked up");
		free(v);
		free(msgs);
		sm_buf_free(&text);
	}

	write_file(path, "a: 0123456789abcdefghij\nb: c\n", 0644);
	rc = run_newaliases(path, 16, &st, &msgs);
	is_int(rc, EX_DATAERR, "maxline is passed to the parser: EX_DATAERR");
	snprintf(want, sizeof(want), "%s: line 1: alias line too long\n", path);
	is_str(msgs, want, "  FILE: line 1: alias line too long");
	free(msgs);
	free(table);
}

/* a file newaliases must refuse, and why */
static const struct refuse_case {
	const char *name;
	const char *file;
	int kind; /* 0 missing, 1 mode, 2 directory, 3 symlink */
	mode_t mode;
	int rc;
	const char *msg; /* substring */
} refuse_cases[] = {
	{ .name = "missing file",
	  .file = "none",
	  .kind = 0,
	  .rc = EX_NOINPUT,
	  .msg = "none: No such file or directory" },
	{ .name = "group-writable file",
	  .file = "gw",
	  .kind = 1,
	  .mode = 0664,
	  .rc = EX_NOPERM,
	  .msg = "group-writable; not rebuilt" },
	{ .name = "world-writable file",
	  .file = "ww",
	  .kind = 1,
	  .mode = 0646,
	  .rc = EX_NOPERM,
	  .msg = "world-writable; not rebuilt" },
	{ .name = "group- and world-writable file",
	  .file = "gww",
	  .kind = 1,
	  .mode = 0666,
	  .rc = EX_NOPERM,
	  .msg = "-writable; not rebuilt" },
	{ .name = "a directory", .file = "adir", .kind = 2, .rc = EX_NOPERM, .msg = "not a regular file" },
	{ .name = "a symbolic link",
	  .file = "alink",
	  .kind = 3,
	  .rc = EX_NOPERM,
	  .msg = "alink: Too many levels of symbolic links" },
};

/* test_newaliases_refused - EX_NOINPUT and EX_NOPERM, and no table written */
static void test_newaliases_refused(void)
{
	size_t i;

	write_file(in_dir("target"), "a: b\n", 0644);
	for (i = 0; i < sizeof(refuse_cases) / sizeof(refuse_cases[0]); i++) {
		const struct refuse_case *c = &refuse_cases[i];
		char path[256];
		char *table, *msgs = NULL;
		struct sm_alias_stats st;
		struct stat sb;
		int rc;

		snprintf(path, sizeof(path), "%s", in_dir(c->file));
		switch (c->kind) {
		case 1:
			write_file(path, "a: b\n", c->mode);
			break;
		case 2:
			mkdir(path, 0755);
			break;
		case 3:
			if (symlink(in_dir("target"), path) < 0)
				diag("symlink: %s", strerror(errno));
			break;
		default:
			break;
		}
		rc = run_newaliases(path, 4096, &st, &msgs);
		is_int(rc, c->rc, c->name);
		if (!ok(msgs && strstr(msgs, c->msg) != NULL, "  message mentions \"%s\"", c->msg))
			diag("got %s", msgs ? msgs : "(null)");
		table = sm_alias_table_path(path);
		ok(stat(table, &sb) < 0 && errno == ENOENT, "  no table written");
		free(table);
		free(msgs);
	}
}

/* test_newaliases_locked - EX_TEMPFAIL while someone else holds the lock */
static void test_newaliases_locked(void)
{
	const char *path = in_dir("locked");
	struct sm_alias_stats st;
	char *msgs = NULL;
	char want[512];
	int fd, rc;

	write_file(path, "a: b\n", 0644);
	fd = open(path, O_RDONLY);
	ok(fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0, "take the lock on the aliases file");
	rc = run_newaliases(path, 4096, &st, &msgs);
	is_int(rc, EX_TEMPFAIL, "a locked file: EX_TEMPFAIL");
	snprintf(want, sizeof(want), "Alias file %s is locked (maybe being rebuilt)\n", path);
	is_str(msgs, want, "  \"Alias file F is locked (maybe being rebuilt)\"");
	free(msgs);
	flock(fd, LOCK_UN);
	close(fd);
	rc = run_newaliases(path, 4096, &st, &msgs);
	is_int(rc, EX_OK, "  once the lock is released: EX_OK");
	free(msgs);
}

/* test_newaliases_ioerr - the table cannot be renamed into place: EX_IOERR */
static void test_newaliases_ioerr(void)
{
	const char *path = in_dir("blocked");
	char *table = sm_alias_table_path(path);
	struct sm_alias_stats st;
	char *msgs = NULL;
	struct stat sb;
	int rc;

	write_file(path, "a: b\n", 0644);
	mkdir(table, 0755); /* a directory where the table should go */
	rc = run_newaliases(path, 4096, &st, &msgs);
	is_int(rc, EX_IOERR, "the table path is a directory: EX_IOERR");
	ok(msgs && strstr(msgs, "table not rebuilt") != NULL, "  \"table not rebuilt\"");
	ok(stat(table, &sb) == 0 && S_ISDIR(sb.st_mode), "  the old thing stays in place");
	free(msgs);
	rmdir(table);
	free(table);
}

/* test_atomic - a table opened before a rebuild keeps reading the old values */
static void test_atomic(void)
{
	const char *path = in_dir("atomic");
	char *table = sm_alias_table_path(path);
	struct sm_buf err = SM_BUF_INIT;
	struct sm_alias_stats st;
	struct sm_table *old;
	const char *v;
	size_t vlen;
	char *msgs = NULL, *nv;
	int oserr, rc;

	write_file(path, "a: one\n", 0644);
	run_newaliases(path, 4096, &st, &msgs);
	free(msgs);
	old = sm_table_open(table, &err, &oserr);
	ok(old != NULL, "open the table before the rebuild");
	write_file(path, "a: two\nb: new\n", 0644);
	rc = run_newaliases(path, 4096, &st, &msgs);
	free(msgs);
	is_int(rc, EX_OK, "rebuild while the old table is open");
	if (old) {
		ok(sm_table_get(old, "a", 1, &v, &vlen) == 1 && vlen == 3 && memcmp(v, "one", 3) == 0,
		   "  the old handle still reads a -> one");
		is_int(sm_table_get(old, "b", 1, &v, &vlen), 0, "  and does not see b");
		sm_table_close(old);
	}
	nv = table_value(table, "a");
	is_str(nv, "two", "  a new open reads a -> two");
	free(nv);
	nv = table_value(table, "b");
	is_str(nv, "new", "  and b -> new");
	free(nv);
	sm_buf_free(&err);
	free(table);
}

static const struct sm_source_type types[] = {
	{ "files", 0, sm_files_create },
	{ NULL, 0, NULL },
};

/* files_switch - a switch whose aliases chain is "files" over aliasfile; c is filled and freed by caller */
static struct sm_switch *files_switch(struct sm_config **c, const char *aliasfile)
{
	*c = sm_config_new();
	config_set(*c, "AliasFile", aliasfile);
	return sm_switch_new(*c, types, sm_nsconf_parse_string("aliases: files\nhosts: files", "test.conf"));
}

/* lookup - status of key in db, with value or reason copied into out */
static enum sm_status lookup(struct sm_switch *sw, const char *db, const char *key, char *out, size_t size)
{
	struct sm_answer ans;
	enum sm_status st = sm_switch_lookup(sw, db, key, strlen(key), &ans, NULL);

	snprintf(out, size, "%s", ans.value ? ans.value : ans.reason ? ans.reason : "");
	sm_answer_free(&ans);
	return st;
}

/* set_mtime - set the modification time of path */
static int set_mtime(const char *path, time_t when)
{
	struct timeval tv[2] = { { .tv_sec = when }, { .tv_sec = when } };

	return utimes(path, tv);
}

/* test_files_source - the files source through a switch */
static void test_files_source(void)
{
	char path[256];
	char *table;
	struct sm_config *c;
	struct sm_switch *sw;
	struct sm_alias_stats st;
	char *msgs = NULL;
	char out[512], want[512];
	time_t now = time(NULL);

	snprintf(path, sizeof(path), "%s", in_dir("fs-aliases"));
	table = sm_alias_table_path(path);
	log_reset();
	sw = files_switch(&c, path);
	is_int(lookup(sw, "aliases", "postmaster", out, sizeof(out)), SM_UNAVAIL,
	       "files: no table yet: UNAVAIL");
	if (!ok(strstr(out, "run newaliases") != NULL, "  reason says run newaliases"))
		diag("got %s", out);

	write_file(path, "postmaster: root\nStaff: jun, kim\n", 0644);
	is_int(run_newaliases(path, 4096, &st, &msgs), EX_OK, "newaliases");
	free(msgs);
	is_int(lookup(sw, "aliases", "postmaster", out, sizeof(out)), SM_SUCCESS,
	       "files: after newaliases the same source answers SUCCESS");
	is_str(out, "root", "  value root");
	is_int(lookup(sw, "aliases", "STAFF", out, sizeof(out)), SM_SUCCESS, "files: STAFF (folded) SUCCESS");
	is_str(out, "jun, kim", "  value verbatim");
	is_int(lookup(sw, "aliases", "nobody", out, sizeof(out)), SM_NOTFOUND, "files: unknown key NOTFOUND");
	is_str(out, "", "  no reason");
	is_int(lookup(sw, "networks", "loopback", out, sizeof(out)), SM_UNAVAIL,
	       "files: a database it does not have is UNAVAIL");
	is_str(out, "the files source has no networks database", "  reason");
	is_int(log_count("out of date"), 0, "  no out-of-date warning for a fresh table");
	sm_switch_free(sw);
	sm_config_free(c);

	/* the text newer than the table */
	set_mtime(table, now - 100);
	set_mtime(path, now - 10);
	log_reset();
	sw = files_switch(&c, path);
	is_int(lookup(sw, "aliases", "postmaster", out, sizeof(out)), SM_SUCCESS,
	       "files: a table older than its text is still used");
	snprintf(want, sizeof(want), "alias database %s out of date (run newaliases)", table);
	is_int(log_count(want), 1, "  with the warning \"alias database F out of date (run newaliases)\"");
	lookup(sw, "aliases", "staff", out, sizeof(out));
	is_int(log_count("out of date"), 1, "  logged once only");
	sm_switch_free(sw);
	sm_config_free(c);

	/* the text older than the table */
	set_mtime(path, now - 200);
	log_reset();
	sw = files_switch(&c, path);
	lookup(sw, "aliases", "postmaster", out, sizeof(out));
	is_int(log_count("out of date"), 0, "files: a table newer than its text: no warning");
	sm_switch_free(sw);
	sm_config_free(c);
	free(table);
	log_reset();
}

/* test_files_broken - tables the files source must refuse */
static void test_files_broken(void)
{
	struct sm_kv kv[] = { { .key = "a", .klen = 1, .val = "b", .vlen = 1 } };
	struct sm_buf err = SM_BUF_INIT;
	char path[256];
	char *table;
	struct sm_config *c;
	struct sm_switch *sw;
	char out[512];
	char junk[8192];

	/* a table without the "@" sentinel */
	snprintf(path, sizeof(path), "%s", in_dir("nosentinel"));
	write_file(path, "a: b\n", 0644);
	table = sm_alias_table_path(path);
	ok(sm_table_write(table, kv, 1, &err) == 0, "write a table without the sentinel");
	sw = files_switch(&c, path);
	is_int(lookup(sw, "aliases", "a", out, sizeof(out)), SM_UNAVAIL, "files: no sentinel: UNAVAIL");
	ok(strstr(out, "no \"@\" sentinel") != NULL, "  reason says no \"@\" sentinel");
	sm_switch_free(sw);
	sm_config_free(c);
	free(table);

	/* not a table at all */
	snprintf(path, sizeof(path), "%s", in_dir("garbage"));
	write_file(path, "a: b\n", 0644);
	table = sm_alias_table_path(path);
	memset(junk, 'x', sizeof(junk));
	junk[sizeof(junk) - 1] = '\0';
	write_file(table, junk, 0644);
	sw = files_switch(&c, path);
	is_int(lookup(sw, "aliases", "a", out, sizeof(out)), SM_UNAVAIL, "files: not a table: UNAVAIL");
	ok(strstr(out, table) != NULL, "  reason names the table");
	sm_switch_free(sw);
	sm_config_free(c);
	free(table);
	sm_buf_free(&err);
	log_reset();
}

int main(void)
{
	size_t i;

	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++)
		check_parse(&parse_cases[i]);
	test_parse_more();
	test_after_blank();
	test_blank_ends_skipping();
	test_transient();

	if (test_dir_make("/tmp/t_aliases.XXXXXX") < 0) {
		ok(0, "mkdtemp: %s", strerror(errno));
		return done_testing();
	}
	sm_log_sink(log_capture, NULL);
	test_newaliases_sample();
	test_newaliases_clean();
	test_newaliases_refused();
	test_newaliases_locked();
	test_newaliases_ioerr();
	test_atomic();
	test_files_source();
	test_files_broken();
	sm_log_sink(NULL, NULL);
	log_reset();
	test_dir_remove();
	return done_testing();
}
