/*
 * nsswitch/files.c - the files source
 *
 * See files.h. Reads AliasFile, HostsFile and SendmailVarsFile from the
 * configuration.
 *
 * DIAGNOSTICS
 *	See files.h.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "lib/lines.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/table.h"
#include "nsswitch/files.h"
#include "nsswitch/newaliases.h"

/* a small text file held in memory: key/value pairs, reloaded when it changes */
struct files_text {
	const char *db;
	char *path;
	int (*parse)(struct files_text *t, char *line);
	dev_t dev;
	ino_t ino;
	time_t mtime;
	off_t size;
	int loaded;
	int optional; /* a missing file is an empty database */
	size_t count;
	char **keys;
	char **vals;
};

struct sm_files {
	struct files_text hosts;
	struct files_text vars;
	char *aliasfile;
	char *aliastable;
	struct sm_table *aliases;
	dev_t dev;
	ino_t ino;
	time_t checked;
	int warned_stale;
};

/* sm_errno_transient - does errno e describe a condition that may pass? */
int sm_errno_transient(int e)
{
	return e == EIO || e == EMFILE || e == ENFILE || e == ENOMEM || e == EAGAIN || e == EINTR ||
	       e == ETIMEDOUT || e == EBUSY || e == ESTALE || e == ENOSPC;
}

/* files_alias_table - the open alias table, (re)opened as needed; NULL with a status */
static struct sm_table *files_alias_table(struct sm_files *f, enum sm_status *st, struct sm_buf *reason)
{
	struct sm_buf err = SM_BUF_INIT;
	struct stat tst, ast;
	time_t now = time(NULL);
	int oserr;

	if (f->aliases && now == f->checked)
		return f->aliases;
	f->checked = now;
	if (stat(f->aliastable, &tst) < 0) {
		oserr = errno;
		if (f->aliases) /* keep using what we have */
			return f->aliases;
		*st = sm_errno_transient(oserr) ? SM_TRYAGAIN : SM_UNAVAIL;
		if (oserr == ENOENT)
			sm_buf_printf(reason, "no alias table %s (run newaliases)", f->aliastable);
		else
			sm_buf_printf(reason, "%s: %s", f->aliastable, strerror(oserr));
		return NULL;
	}
	if (f->aliases && tst.st_dev == f->dev && tst.st_ino == f->ino)
		return f->aliases;
	sm_table_close(f->aliases);
	f->aliases = sm_table_open(f->aliastable, &err, &oserr);
	if (f->aliases == NULL) {
		*st = oserr && sm_errno_transient(oserr) ? SM_TRYAGAIN : SM_UNAVAIL;
		sm_buf_add(reason, err.data, err.len);
		sm_buf_free(&err);
		return NULL;
	}
	{
		const char *v;
		size_t vlen;

		if (sm_table_get(f->aliases, "@", 1, &v, &vlen) != 1) {
			sm_table_close(f->aliases);
			f->aliases = NULL;
			*st = SM_UNAVAIL;
			sm_buf_printf(reason, "%s: no \"@\" sentinel (incomplete table)", f->aliastable);
			return NULL;
		}
	}
	f->dev = tst.st_dev;
	f->ino = tst.st_ino;
	if (!f->warned_stale && stat(f->aliasfile, &ast) == 0 && ast.st_mtime > tst.st_mtime) {
		f->warned_stale = 1;
		sm_log(LOG_WARNING, "alias database %s out of date (run newaliases)", f->aliastable);
	}
	return f->aliases;
}

/* text_add - one key/value pair */
static void text_add(struct files_text *t, const char *key, size_t klen, const char *val)
{
	if ((t->count & (t->count - 1)) == 0) { /* grow at each power of two */
		size_t cap = t->count ? t->count * 2 : 1;

		t->keys = sm_realloc(t->keys, cap * sizeof(*t->keys));
		t->vals = sm_realloc(t->vals, cap * sizeof(*t->vals));
	}
	t->keys[t->count] = sm_strndup(key, klen);
	t->vals[t->count] = sm_strdup(val);
	t->count++;
}

/* text_clear - forget every pair */
static void text_clear(struct files_text *t)
{
	size_t i;

	for (i = 0; i < t->count; i++) {
		free(t->keys[i]);
		free(t->vals[i]);
	}
	free(t->keys);
	free(t->vals);
	t->keys = t->vals = NULL;
	t->count = 0;
}

/* parse_vars - "key value" (sendmailvars): keys are exact */
static int parse_vars(struct files_text *t, char *line)
{
	char *k = line, *v;

	while (isspace((unsigned char)*k))
		k++;
	if (*k == '\0' || *k == '#')
		return 0;
	for (v = k; *v && !isspace((unsigned char)*v);)
		v++;
	if (*v)
		*v++ = '\0';
	while (isspace((unsigned char)*v))
		v++;
	for (line = v + strlen(v); line > v && isspace((unsigned char)line[-1]);)
		*--line = '\0';
	text_add(t, k, strlen(k), v);
	return 0;
}

/* parse_hosts - "address canonical alias..." (hosts): every name maps to "canonical address" */
static int parse_hosts(struct files_text *t, char *line)
{
	char *w[64], *p = line, *hash;
	size_t n = 0, i, j;

	if ((hash = strchr(line, '#')) != NULL)
		*hash = '\0';
	while (n < sizeof(w) / sizeof(w[0])) {
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		w[n++] = p;
		while (*p && !isspace((unsigned char)*p))
			p++;
		if (*p)
			*p++ = '\0';
	}
	if (n < 2)
		return n == 0 ? 0 : -1;
	for (i = 1; i < n; i++) {
		char *value = sm_asprintf("%s %s", w[1], w[0]);
		char *key = sm_strdup(w[i]);

		for (j = 0; key[j]; j++)
			key[j] = (char)tolower((unsigned char)key[j]);
		text_add(t, key, strlen(key), value);
		free(key);
		free(value);
	}
	return 0;
}

/* text_load - (re)read the file when it changed; a status when it cannot be read */
static int text_load(struct files_text *t, enum sm_status *st, struct sm_buf *reason)
{
	struct sm_lines lr;
	struct stat sb;
	int oserr, rc;

	if (stat(t->path, &sb) < 0) {
		oserr = errno;
		if (oserr == ENOENT && t->optional) { /* no file: no entries */
			text_clear(t);
			t->loaded = 0;
			*st = SM_NOTFOUND;
			sm_buf_printf(reason, "no file %s", t->path);
			return -1;
		}
		*st = sm_errno_transient(oserr) ? SM_TRYAGAIN : SM_UNAVAIL;
		sm_buf_printf(reason, "%s: %s", t->path, strerror(oserr));
		return -1;
	}
	if (t->loaded && sb.st_dev == t->dev && sb.st_ino == t->ino && sb.st_mtime == t->mtime &&
	    sb.st_size == t->size)
		return 0;
	if (sm_lines_open(&lr, t->path, 65536, &oserr) < 0) {
		*st = sm_errno_transient(oserr) ? SM_TRYAGAIN : SM_UNAVAIL;
		sm_buf_printf(reason, "%s: %s", t->path, strerror(oserr));
		return -1;
	}
	text_clear(t);
	while ((rc = sm_lines_next(&lr)) > 0) {
		if (lr.has_nul || lr.too_long || t->parse(t, lr.line.data) < 0)
			sm_log(LOG_WARNING, "%s: line %lu: malformed %s entry ignored", t->path, lr.lineno,
			       t->db);
	}
	if (rc < 0) {
		*st = SM_TRYAGAIN;
		sm_buf_printf(reason, "%s: %s", t->path, strerror(lr.err));
		sm_lines_close(&lr);
		text_clear(t);
		t->loaded = 0;
		return -1;
	}
	sm_lines_close(&lr);
	t->dev = sb.st_dev;
	t->ino = sb.st_ino;
	t->mtime = sb.st_mtime;
	t->size = sb.st_size;
	t->loaded = 1;
	return 0;
}

/* text_lookup - answer from a text file */
static enum sm_status text_lookup(struct files_text *t, const char *key, char **value, struct sm_buf *reason)
{
	enum sm_status st = SM_UNAVAIL;
	struct sm_buf all = SM_BUF_INIT;
	size_t i;

	if (*t->path == '\0') {
		sm_buf_printf(reason, "no file configured for %s", t->db);
		return SM_UNAVAIL;
	}
	if (text_load(t, &st, reason) < 0)
		return st;
	for (i = 0; i < t->count; i++) {
		if (strcmp(t->keys[i], key) != 0)
			continue;
		if (t->parse != parse_hosts) {
			*value = sm_strdup(t->vals[i]);
			return SM_SUCCESS;
		}
		/* hosts: the first line's canonical name, then the address of every line */
		if (all.len == 0)
			sm_buf_adds(&all, t->vals[i]);
		else
			sm_buf_printf(&all, " %s", strchr(t->vals[i], ' ') + 1);
	}
	if (all.len) {
		*value = sm_buf_steal(&all);
		return SM_SUCCESS;
	}
	return SM_NOTFOUND;
}

/* files_lookup - answer one key */
static enum sm_status files_lookup(struct sm_source *src, const char *db, const char *key, char **value,
                                   struct sm_buf *reason)
{
	struct sm_files *f = src->priv;
	enum sm_status st = SM_UNAVAIL;
	struct sm_table *t;
	const char *v;
	size_t vlen;
	int rc;

	if (strcmp(db, "hosts") == 0)
		return text_lookup(&f->hosts, key, value, reason);
	if (strcmp(db, "sendmailvars") == 0)
		return text_lookup(&f->vars, key, value, reason);
	if (strcmp(db, "aliases") != 0) {
		sm_buf_printf(reason, "the files source has no %s database", db);
		return SM_UNAVAIL;
	}
	if ((t = files_alias_table(f, &st, reason)) == NULL)
		return st;
	rc = sm_table_get(t, key, strlen(key), &v, &vlen);
	if (rc < 0) {
		sm_buf_printf(reason, "%s: read error", f->aliastable);
		return SM_TRYAGAIN;
	}
	if (rc == 0)
		return SM_NOTFOUND;
	*value = sm_strndup(v, vlen);
	return SM_SUCCESS;
}

/* files_free - release the source's state */
static void files_free(void *priv)
{
	struct sm_files *f = priv;

	sm_table_close(f->aliases);
	text_clear(&f->hosts);
	text_clear(&f->vars);
	free(f->hosts.path);
	free(f->vars.path);
	free(f->aliasfile);
	free(f->aliastable);
	free(f);
}

static const struct sm_source_ops files_ops = { files_lookup, files_free };

/* sm_files_create - a files source; owned by the caller (the switch) */
struct sm_source *sm_files_create(const char *name, const struct sm_config *cf, struct sm_buf *err)
{
	struct sm_files *f = sm_calloc(1, sizeof(*f));

	(void)err;
	f->aliasfile = sm_strdup(sm_config_str(cf, "AliasFile"));
	f->aliastable = sm_alias_table_path(f->aliasfile);
	f->hosts = (struct files_text){ .db = "hosts",
		                        .path = sm_strdup(sm_config_str(cf, "HostsFile")),
		                        .parse = parse_hosts };
	f->vars = (struct files_text){ .db = "sendmailvars",
		                       .path = sm_strdup(sm_config_str(cf, "SendmailVarsFile")),
		                       .parse = parse_vars,
		                       .optional = 1 };
	return sm_source_alloc(&files_ops, name, f);
}
