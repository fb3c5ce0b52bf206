/*
 * nsswitch/files.c - the files source
 *
 * See files.h. Reads AliasFile from the configuration.
 *
 * DIAGNOSTICS
 *	See files.h.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "lib/log.h"
#include "lib/mem.h"
#include "lib/table.h"
#include "nsswitch/files.h"
#include "nsswitch/newaliases.h"

struct sm_files {
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
	return sm_source_alloc(&files_ops, name, f);
}
