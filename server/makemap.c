/*
 * server/makemap.c - build a lookup table from "key value" lines, as sendmail's makemap
 *
 * SYNOPSIS
 *	makemap [-N] [-c cachesize] [-d] [-D commentchar] [-e] [-f] [-l] [-o] [-r] [-s]
 *	        [-t delim] [-u] [-v] [-C file] maptype mapname
 *
 * DESCRIPTION
 *	Reads lines from standard input and writes the table MAPNAME.lmdb
 *	(lib/table.h; see sm_map_path() in router/tables.h): a reader sees the
 *	old table or the new one, never half of one. Every maptype sendmail
 *	knows - hash, btree, dbm, cdb, and also lmdb and implicit - is accepted
 *	and gives the same LMDB file, so existing scripts such as
 *	    makemap hash /etc/mail/access < /etc/mail/access
 *	keep working. The file name differs from sendmail's MAPNAME.db; a
 *	mapname that already ends in ".lmdb" is used as it is. The router
 *	reads these tables with sm_map_open() (router/tables.h).
 *
 *	Each line is "key value": the key ends at the first blank (or the -t
 *	delimiter), the value is the rest after the blanks (or delimiters)
 *	that follow the key. Empty lines, lines made of blanks, and lines
 *	whose first character is '#' (or the -D character) are skipped. A
 *	line that starts with a blank is an error (no -t). Keys are folded to
 *	lower case (ASCII) unless -f; values are kept as written, except for
 *	a CR before the newline, which is dropped.
 *
 *	-N  store a NUL after each key and value (sendmail's -N); lookups
 *	    (sm_map_get) find keys stored either way.
 *	-r  a later duplicate key replaces the earlier one. Without -r (and
 *	    without -d) the first value is kept and every later duplicate is
 *	    an error, "key KEY: duplicate key".
 *	-d  duplicate keys are allowed. A table holds each key once, so the
 *	    first value is kept, which is what a sendmail lookup of a
 *	    duplicate btree key returns.
 *	-e  allow empty values.
 *	-f  do not fold keys to lower case.
 *	-o  append: start from the entries of the existing table (it must
 *	    exist) and add the input to them, replacing the table as a whole.
 *	-t  the key/value delimiter (one character) instead of blanks; -u
 *	    prints it between key and value.
 *	-D  the comment character (empty: no comments).
 *	-u  print the table: "key<TAB>value" a line (the -t delimiter instead
 *	    of TAB), each up to its first NUL, in key order.
 *	-l  list the supported map types and exit.
 *	-v  print each entry as it is read: key=`KEY', val=`VALUE'.
 *	-c cachesize, -s  accepted for compatibility; LMDB needs no cache
 *	    size, and the table is renamed into place, never written through a
 *	    link, so there are no safety checks to relax.
 *	-C file  accepted for compatibility and not read (sendmail reads its
 *	    sendmail.cf only for TrustedUser, or for maptype "cf", which is not
 *	    supported).
 *
 * CONFIGURATION
 *	None: makemap reads no switchmail.conf.
 *
 * DIAGNOSTICS
 *	As sendmail's, on stderr:
 *	    makemap: MAPNAME: line N: syntax error (leading space)
 *	    makemap: MAPNAME: line N: no RHS for LHS KEY
 *	    makemap: MAPNAME: line N: key KEY: duplicate key
 *	    makemap: MAPNAME: line N: line too long (65536 bytes max)
 *	    makemap: MAPNAME: line N: key KEY: key too long (511 bytes max)
 *	    makemap: MAPNAME: line N: empty key
 *	    makemap: MAPNAME: line N: NUL character in line
 *	    makemap: error opening type TYPE map MAPNAME: REASON
 *	A bad line is skipped and the table is still built from the others
 *	(as sendmail does); the exit status is then EX_DATAERR. Keys in
 *	messages are made printable. Exit statuses: EX_OK; EX_USAGE for a bad
 *	command line or an unknown maptype; EX_DATAERR for bad input lines;
 *	EX_CANTCREAT when the table's directory is missing or not writable,
 *	or -o finds no table (checked before any input is read); EX_NOINPUT
 *	when -u cannot open the table; EX_IOERR when reading the input,
 *	writing the table or printing fails (the old table then stays in
 *	place).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/lines.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/table.h"
#include "router/tables.h"

#define SM_MAKEMAP_LINEMAX 65536

/* the map types sendmail's makemap -l may list, and ours */
static const char *const sm_makemap_types[] = { "dbm", "hash", "btree", "cdb", "lmdb", "implicit" };

struct sm_makemap {
	const char *mapname;
	int sep;               /* -t; 0: blanks */
	int comment;           /* -D */
	int fold;              /* not -f */
	int inclnull;          /* -N */
	int allowempty;        /* -e */
	int replace;           /* -r */
	int allowdup;          /* -d */
	int verbose;           /* -v */
	struct sm_kvlist list; /* every entry, in input order */
	struct sm_diag *diag;  /* messages, printed in line order at the end */
	size_t ndiag;
	int exitstat;
};

struct sm_diag {
	unsigned long lineno;
	size_t seq;
	char *msg;
};

/* usage - sendmail's usage message; exits */
static void usage(void)
{
	fprintf(stderr, "Usage: makemap [-C cffile] [-N] [-c cachesize] [-D commentchar]\n"
	                "               [-d] [-e] [-f] [-l] [-o] [-r] [-s] [-t delimiter]\n"
	                "               [-u] [-v] type mapname\n");
	exit(EX_USAGE);
}

/* diag - remember one message about an input line */
static void __attribute__((format(printf, 3, 4)))
diag(struct sm_makemap *mm, unsigned long lineno, const char *fmt, ...)
{
	struct sm_buf b = SM_BUF_INIT;
	char tmp[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	sm_buf_printf(&b, "makemap: %s: line %lu: %s", mm->mapname, lineno, tmp);
	mm->diag = sm_realloc(mm->diag, (mm->ndiag + 1) * sizeof(*mm->diag));
	mm->diag[mm->ndiag].lineno = lineno;
	mm->diag[mm->ndiag].seq = mm->ndiag;
	mm->diag[mm->ndiag].msg = sm_buf_steal(&b);
	mm->ndiag++;
	mm->exitstat = EX_DATAERR;
}

/* cmp_diag - messages in line order, then in the order they were made */
static int cmp_diag(const void *a, const void *b)
{
	const struct sm_diag *x = a, *y = b;

	if (x->lineno != y->lineno)
		return x->lineno < y->lineno ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* is_sep - the end of a key: a blank, or the -t delimiter */
static int is_sep(const struct sm_makemap *mm, int c)
{
	if (mm->sep == 0)
		return isascii(c) && isspace(c);
	return c == mm->sep;
}

/* add_entry - keep one entry */
static void add_entry(struct sm_makemap *mm, const char *key, size_t klen, const char *val, size_t vlen,
                      unsigned long seq)
{
	sm_kvlist_add(&mm->list, key, klen, val, vlen, seq);
}

/* printable_key - a key for messages; caller frees */
static char *printable_key(const char *key, size_t klen)
{
	return sm_printable(key, klen, 200);
}

/* parse_line - one input line: an entry, a skipped line or a message */
static void parse_line(struct sm_makemap *mm, struct sm_lines *lr)
{
	char *line = lr->line.data;
	size_t len = lr->line.len, k, v, i;
	struct sm_buf key = SM_BUF_INIT, val = SM_BUF_INIT;

	if (lr->too_long) {
		diag(mm, lr->lineno, "line too long (%d bytes max)", SM_MAKEMAP_LINEMAX);
		return;
	}
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len == 0 || (mm->comment && (unsigned char)line[0] == mm->comment))
		return;
	if (lr->has_nul) {
		diag(mm, lr->lineno, "NUL character in line");
		return;
	}
	if (mm->sep == 0) {
		for (i = 0; i < len && isascii((unsigned char)line[i]) && isspace((unsigned char)line[i]);
		     i++)
			continue;
		if (i == len)
			return; /* blanks only */
		if (i > 0) {
			diag(mm, lr->lineno, "syntax error (leading space)");
			return;
		}
	}
	for (k = 0; k < len && !is_sep(mm, (unsigned char)line[k]); k++)
		if (mm->fold && line[k] >= 'A' && line[k] <= 'Z')
			line[k] = (char)(line[k] - 'A' + 'a');
	for (v = k; v < len && is_sep(mm, (unsigned char)line[v]); v++)
		continue;
	sm_buf_add(&key, line, k);
	sm_buf_add(&val, line + v, len - v);
	if (mm->inclnull) {
		sm_buf_addc(&key, '\0');
		sm_buf_addc(&val, '\0');
	}
	if (!mm->allowempty && v == len) {
		char *pk = printable_key(line, k);

		diag(mm, lr->lineno, "no RHS for LHS %s", pk);
		free(pk);
	} else if (key.len == 0) {
		diag(mm, lr->lineno, "empty key");
	} else if (key.len > SM_TABLE_KEYMAX) {
		char *pk = printable_key(line, k);

		diag(mm, lr->lineno, "key %s: key too long (%d bytes max)", pk, SM_TABLE_KEYMAX);
		free(pk);
	} else {
		if (mm->verbose)
			printf("key=`%.*s', val=`%.*s'\n", (int)k, line, (int)(len - v), line + v);
		add_entry(mm, key.data, key.len, val.data, val.len, lr->lineno);
	}
	sm_buf_free(&key);
	sm_buf_free(&val);
}

/* dedupe - one entry per key: the first, or the last with -r; report the others */
static size_t dedupe(struct sm_makemap *mm)
{
	size_t i = 0, j, out = 0;

	while (i < mm->list.count) {
		for (j = i + 1; j < mm->list.count && sm_kv_cmp_key(&mm->list.kv[i], &mm->list.kv[j]) == 0;
		     j++)
			if (!mm->replace && !mm->allowdup) {
				char *pk = printable_key(mm->list.kv[j].key,
				                         strnlen(mm->list.kv[j].key, mm->list.kv[j].klen));

				diag(mm, mm->list.kv[j].seq, "key %s: duplicate key", pk);
				free(pk);
			}
		mm->list.kv[out++] = mm->replace ? mm->list.kv[j - 1] : mm->list.kv[i];
		i = j;
	}
	return out;
}

/* keep_existing - with -o, start from an entry of the old table (seq 0: before every line) */
static int keep_existing(void *ctx, const char *key, size_t klen, const char *val, size_t vlen)
{
	add_entry(ctx, key, klen, val, vlen, 0);
	return 0;
}

/* print_entry - one "key<TAB>value" line of -u, each up to its first NUL */
static int print_entry(void *ctx, const char *key, size_t klen, const char *val, size_t vlen)
{
	const struct sm_makemap *mm = ctx;

	fwrite(key, 1, strnlen(key, klen), stdout);
	putchar(mm->sep ? mm->sep : '\t');
	fwrite(val, 1, strnlen(val, vlen), stdout);
	putchar('\n');
	return 0;
}

/* dir_of - the directory a path is in; caller frees */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return sm_strdup(".");
	return sm_strndup(path, slash == path ? 1 : (size_t)(slash - path));
}

/* check_dir - the table can be created in its directory: 0, or -1 with errno */
static int check_dir(const char *table)
{
	char *dir = dir_of(table);
	struct stat st;
	int rc = 0;

	if (stat(dir, &st) < 0)
		rc = -1;
	else if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		rc = -1;
	} else if (access(dir, W_OK | X_OK) < 0)
		rc = -1;
	free(dir);
	return rc;
}

/* dump - makemap -u */
static int dump(struct sm_makemap *mm, const char *type, const char *table)
{
	struct sm_buf err = SM_BUF_INIT;
	struct sm_table *t;
	int oserr, rc = EX_OK;

	t = sm_table_open(table, &err, &oserr);
	if (t == NULL) {
		fprintf(stderr, "makemap: error opening type %s map %s: %s\n", type, mm->mapname,
		        oserr ? strerror(oserr) : sm_buf_str(&err));
		sm_buf_free(&err);
		return EX_NOINPUT;
	}
	if (sm_table_each(t, print_entry, mm) < 0) {
		fprintf(stderr, "makemap: %s: cannot read %s\n", mm->mapname, table);
		rc = EX_IOERR;
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "makemap: standard output: %s\n", strerror(errno));
		rc = EX_IOERR;
	}
	sm_table_close(t);
	sm_buf_free(&err);
	return rc;
}

/* build - read standard input and replace the table */
static int build(struct sm_makemap *mm, const char *type, const char *table, int append)
{
	struct sm_buf err = SM_BUF_INIT;
	struct sm_table *old = NULL;
	struct sm_lines lr;
	size_t i, n;
	int rc;

	if (check_dir(table) < 0) {
		fprintf(stderr, "makemap: error opening type %s map %s: %s\n", type, mm->mapname,
		        strerror(errno));
		return EX_CANTCREAT;
	}
	if (append) {
		int oserr;

		old = sm_table_open(table, &err, &oserr);
		if (old == NULL) {
			fprintf(stderr, "makemap: error opening type %s map %s: %s\n", type, mm->mapname,
			        oserr ? strerror(oserr) : sm_buf_str(&err));
			sm_buf_free(&err);
			return EX_CANTCREAT;
		}
		sm_table_each(old, keep_existing, mm);
	}
	sm_lines_from(&lr, stdin, "standard input", SM_MAKEMAP_LINEMAX);
	while ((rc = sm_lines_next(&lr)) > 0)
		parse_line(mm, &lr);
	if (rc < 0) {
		fprintf(stderr, "makemap: %s: error reading standard input: %s; map not rebuilt\n",
		        mm->mapname, strerror(lr.err));
		sm_lines_close(&lr);
		sm_table_close(old);
		return EX_IOERR;
	}
	sm_lines_close(&lr);
	sm_kvlist_done(&mm->list);
	sm_kv_sort(mm->list.kv, mm->list.count);
	n = dedupe(mm);
	if (mm->ndiag)
		qsort(mm->diag, mm->ndiag, sizeof(*mm->diag), cmp_diag);
	for (i = 0; i < mm->ndiag; i++)
		fprintf(stderr, "%s\n", mm->diag[i].msg);
	rc = mm->exitstat;
	if (mm->verbose && fflush(stdout) != 0)
		rc = EX_IOERR;
	if (sm_table_write(table, mm->list.kv, n, &err) < 0) {
		fprintf(stderr, "makemap: %s; map %s not rebuilt\n", sm_buf_str(&err), mm->mapname);
		rc = EX_IOERR;
	}
	sm_table_close(old);
	sm_buf_free(&err);
	return rc;
}

/* main - makemap */
int main(int argc, char **argv)
{
	struct sm_makemap mm;
	int c, unmake = 0, append = 0, rc;
	const char *type;
	char *table;
	size_t i;

	memset(&mm, 0, sizeof(mm));
	mm.comment = '#';
	mm.fold = 1;
	mm.exitstat = EX_OK;
	sm_log_init("makemap", 0);
	while ((c = getopt(argc, argv, "C:D:Nc:deflorst:uv")) != -1) {
		switch (c) {
		case 'C':
		case 'c':
		case 's':
			break;
		case 'D':
			mm.comment = (unsigned char)optarg[0];
			break;
		case 'N':
			mm.inclnull = 1;
			break;
		case 'd':
			mm.allowdup = 1;
			break;
		case 'e':
			mm.allowempty = 1;
			break;
		case 'f':
			mm.fold = 0;
			break;
		case 'l':
			for (i = 0; i < sizeof(sm_makemap_types) / sizeof(sm_makemap_types[0]); i++)
				printf("%s\n", sm_makemap_types[i]);
			return fflush(stdout) == 0 ? EX_OK : EX_IOERR;
		case 'o':
			append = 1;
			break;
		case 'r':
			mm.replace = 1;
			break;
		case 't':
			if (optarg[0] == '\0') {
				fprintf(stderr, "makemap: Invalid separator\n");
				usage();
			}
			mm.sep = (unsigned char)optarg[0];
			break;
		case 'u':
			unmake = 1;
			break;
		case 'v':
			mm.verbose = 1;
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 2)
		usage();
	type = argv[optind];
	mm.mapname = argv[optind + 1];
	for (i = 0; i < sizeof(sm_makemap_types) / sizeof(sm_makemap_types[0]); i++)
		if (strcmp(type, sm_makemap_types[i]) == 0)
			break;
	if (i == sizeof(sm_makemap_types) / sizeof(sm_makemap_types[0])) {
		fprintf(stderr, "makemap: error opening type %s map %s: Unknown database type\n", type,
		        mm.mapname);
		return EX_USAGE;
	}
	if (mm.mapname[0] == '\0')
		usage();
	table = sm_map_path(mm.mapname);
	rc = unmake ? dump(&mm, type, table) : build(&mm, type, table, append);
	free(table);
	for (i = 0; i < mm.ndiag; i++)
		free(mm.diag[i].msg);
	free(mm.diag);
	sm_kvlist_free(&mm.list);
	return rc;
}
