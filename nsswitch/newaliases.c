/*
 * nsswitch/newaliases.c - compile an aliases file into its LMDB table
 *
 * See newaliases.h. The caller passes AliasFile and MaxAliasLineLength.
 *
 * DIAGNOSTICS
 *	See newaliases.h; every message names the file and, for an entry, its
 *	first line.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/mem.h"
#include "lib/table.h"
#include "nsswitch/aliases.h"
#include "nsswitch/newaliases.h"

struct sm_alias_collect {
	const char *path;
	FILE *msgs;
	struct sm_kvlist list; /* every entry, in file order */
	unsigned errors;
};

/* sm_alias_table_path - "<aliasfile>.lmdb"; caller frees */
char *sm_alias_table_path(const char *aliasfile)
{
	return sm_asprintf("%s.lmdb", aliasfile);
}

/* collect_entry - keep a copy of one entry */
static void collect_entry(void *ctx, const char *key, size_t klen, const char *rhs, size_t rlen,
                          unsigned long lineno)
{
	struct sm_alias_collect *c = ctx;

	sm_kvlist_add(&c->list, key, klen, rhs, rlen, lineno);
}

/* collect_error - report a skipped entry */
static void collect_error(void *ctx, unsigned long lineno, const char *msg)
{
	struct sm_alias_collect *c = ctx;

	c->errors++;
	fprintf(c->msgs, "%s: line %lu: %s\n", c->path, lineno, msg);
}

struct sm_dup {
	unsigned long lineno;
	const char *key;
	size_t klen;
};

/* cmp_dup - order duplicate warnings by line */
static int cmp_dup(const void *a, const void *b)
{
	unsigned long x = ((const struct sm_dup *)a)->lineno, y = ((const struct sm_dup *)b)->lineno;

	return x < y ? -1 : x > y;
}

/* dedupe - keep the last entry of each key, warning about the others in line order */
static size_t dedupe(struct sm_alias_collect *c, struct sm_alias_stats *stats)
{
	struct sm_dup *dups = NULL;
	size_t ndups = 0, out = 0, i;

	for (i = 0; i < c->list.count; i++) {
		if (i + 1 < c->list.count && sm_kv_cmp_key(&c->list.kv[i], &c->list.kv[i + 1]) == 0) {
			if ((ndups & (ndups - 1)) == 0) /* grow at each power of two */
				dups = sm_realloc(dups, (ndups ? ndups * 2 : 1) * sizeof(*dups));
			dups[ndups].lineno = c->list.kv[i + 1].seq;
			dups[ndups].key = c->list.kv[i].key;
			dups[ndups].klen = c->list.kv[i].klen;
			ndups++;
			continue;
		}
		c->list.kv[out++] = c->list.kv[i];
	}
	if (ndups)
		qsort(dups, ndups, sizeof(*dups), cmp_dup);
	for (i = 0; i < ndups; i++)
		fprintf(c->msgs, "%s: line %lu: Warning: duplicate alias name %.*s\n", c->path,
		        dups[i].lineno, (int)dups[i].klen, dups[i].key);
	stats->duplicates = (unsigned)ndups;
	free(dups);
	return out;
}

/* sm_newaliases - rebuild the table of aliasfile (see newaliases.h) */
int sm_newaliases(const char *aliasfile, size_t maxline, FILE *msgs, struct sm_alias_stats *stats)
{
	struct sm_alias_collect c = { aliasfile, msgs, SM_KVLIST_INIT, 0 };
	struct sm_alias_cb cb = { collect_entry, collect_error, &c };
	struct sm_buf err = SM_BUF_INIT;
	char *table = NULL;
	struct stat st;
	FILE *fp = NULL;
	int fd, oserr = 0, rc = EX_OK;
	size_t n, i;

	memset(stats, 0, sizeof(*stats));
	fd = open(aliasfile, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW);
	if (fd < 0) {
		fprintf(msgs, "Cannot open %s: %s\n", aliasfile, strerror(errno));
		return errno == ELOOP ? EX_NOPERM : EX_NOINPUT;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		fprintf(msgs, "%s: not a regular file; not rebuilt\n", aliasfile);
		close(fd);
		return EX_NOPERM;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		fprintf(msgs, "%s: %s-writable; not rebuilt\n", aliasfile,
		        st.st_mode & S_IWOTH ? "world" : "group");
		close(fd);
		return EX_NOPERM;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		fprintf(msgs, "Alias file %s is locked (maybe being rebuilt)\n", aliasfile);
		close(fd);
		return EX_TEMPFAIL;
	}
	fp = fdopen(fd, "r");
	if (fp == NULL) {
		fprintf(msgs, "Cannot read %s: %s\n", aliasfile, strerror(errno));
		close(fd);
		return EX_OSERR;
	}
	if (sm_aliases_parse(fp, aliasfile, maxline, &cb, &oserr) < 0) {
		fprintf(msgs, "Cannot read %s: %s; table not rebuilt\n", aliasfile, strerror(oserr));
		rc = EX_IOERR;
		goto out;
	}
	sm_kvlist_done(&c.list);
	sm_kv_sort(c.list.kv, c.list.count);
	n = dedupe(&c, stats);
	for (i = 0; i < n; i++) {
		stats->total += c.list.kv[i].klen + c.list.kv[i].vlen;
		if (c.list.kv[i].vlen > stats->longest)
			stats->longest = c.list.kv[i].vlen;
	}
	stats->count = n;
	stats->errors = c.errors;
	/* insert the sentinel "@" in its place among the sorted entries */
	{
		struct sm_kv at = { "@", 1, "@", 1, 0 };
		size_t lo = 0, hi = n;

		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (sm_kv_cmp_key(&c.list.kv[mid], &at) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		c.list.kv = sm_realloc(c.list.kv, (n + 1) * sizeof(*c.list.kv));
		memmove(&c.list.kv[lo + 1], &c.list.kv[lo], (n - lo) * sizeof(*c.list.kv));
		c.list.kv[lo] = at;
	}
	table = sm_alias_table_path(aliasfile);
	if (sm_table_write(table, c.list.kv, n + 1, &err) < 0) {
		fprintf(msgs, "%s; table not rebuilt\n", sm_buf_str(&err));
		rc = EX_IOERR;
		goto out;
	}
	if (c.errors)
		rc = EX_DATAERR;
out:
	fclose(fp); /* also releases the lock */
	free(table);
	sm_kvlist_free(&c.list);
	sm_buf_free(&err);
	return rc;
}
