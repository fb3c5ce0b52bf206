/*
 * lib/table.c - immutable key/value tables in LMDB files, replaced atomically
 *
 * See table.h. Reads no configuration.
 *
 * DIAGNOSTICS
 *	Errors are returned as text naming the file and LMDB's or the
 *	system's reason; nothing is logged here.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/mem.h"
#include "lib/table.h"

struct sm_table {
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	time_t mtime;
};

/* sm_kv_cmp_key - LMDB's default order: bytes, then the shorter first */
int sm_kv_cmp_key(const struct sm_kv *a, const struct sm_kv *b)
{
	size_t n = a->klen < b->klen ? a->klen : b->klen;
	int c = memcmp(a->key, b->key, n);

	if (c)
		return c;
	return a->klen < b->klen ? -1 : a->klen > b->klen;
}

/* sm_kv_cmp - key order, then the caller's sequence */
static int sm_kv_cmp(const void *pa, const void *pb)
{
	const struct sm_kv *a = pa, *b = pb;
	int c = sm_kv_cmp_key(a, b);

	if (c)
		return c;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* sm_kv_sort - sort into table order */
void sm_kv_sort(struct sm_kv *kv, size_t n)
{
	if (n < 2)
		return;
	qsort(kv, n, sizeof(*kv), sm_kv_cmp);
}

/* sm_kvlist_add - copy one entry into the list (offsets until sm_kvlist_done) */
void sm_kvlist_add(struct sm_kvlist *l, const char *key, size_t klen, const char *val, size_t vlen,
                   unsigned long seq)
{
	struct sm_kv *e;

	if (l->count == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 1024;
		l->kv = sm_realloc(l->kv, l->cap * sizeof(*l->kv));
	}
	e = &l->kv[l->count++];
	e->key = (const char *)(uintptr_t)l->arena.len;
	e->klen = klen;
	sm_buf_add(&l->arena, key, klen);
	e->val = (const char *)(uintptr_t)l->arena.len;
	e->vlen = vlen;
	sm_buf_add(&l->arena, val, vlen);
	e->seq = seq;
}

/* sm_kvlist_done - offsets become pointers now that the arena has stopped moving */
void sm_kvlist_done(struct sm_kvlist *l)
{
	size_t i;

	for (i = 0; i < l->count; i++) {
		l->kv[i].key = l->arena.data + (uintptr_t)l->kv[i].key;
		l->kv[i].val = l->arena.data + (uintptr_t)l->kv[i].val;
	}
}

/* sm_kvlist_free - release the list */
void sm_kvlist_free(struct sm_kvlist *l)
{
	free(l->kv);
	sm_buf_free(&l->arena);
	memset(l, 0, sizeof(*l));
}

/* sm_fsync_dir - make a rename in the directory of path durable */
static int sm_fsync_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? sm_strndup(path, slash == path ? 1 : (size_t)(slash - path)) : sm_strdup(".");
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = -1;

	if (fd >= 0) {
		rc = fsync(fd);
		close(fd);
	}
	free(dir);
	return rc;
}

/* sm_table_write - build path from sorted, unique kv (see table.h) */
int sm_table_write(const char *path, const struct sm_kv *kv, size_t n, struct sm_buf *err)
{
	char *tmp = sm_asprintf("%s.tmp.%ld", path, (long)getpid());
	MDB_env *env = NULL;
	MDB_txn *txn = NULL;
	MDB_dbi dbi;
	size_t total = 0, i;
	size_t mapsize;
	int rc, fd;

	for (i = 0; i < n; i++) {
		if (kv[i].klen == 0 || kv[i].klen > SM_TABLE_KEYMAX) {
			sm_buf_printf(err, "%s: key of %zu bytes cannot be stored", path, kv[i].klen);
			free(tmp);
			return -1;
		}
		total += kv[i].klen + kv[i].vlen + 64;
	}
	mapsize = (total * 2 + (16u << 20)) & ~(size_t)0xfffff;
	unlink(tmp);
	if ((rc = mdb_env_create(&env)) != 0 || (rc = mdb_env_set_mapsize(env, mapsize)) != 0 ||
	    (rc = mdb_env_open(env, tmp, MDB_NOSUBDIR | MDB_NOLOCK | MDB_NOSYNC, 0644)) != 0 ||
	    (rc = mdb_txn_begin(env, NULL, 0, &txn)) != 0 || (rc = mdb_dbi_open(txn, NULL, 0, &dbi)) != 0)
		goto fail;
	for (i = 0; i < n; i++) {
		MDB_val k = { kv[i].klen, (void *)kv[i].key };
		MDB_val v = { kv[i].vlen, (void *)kv[i].val };

		if ((rc = mdb_put(txn, dbi, &k, &v, MDB_APPEND)) != 0)
			goto fail;
	}
	rc = mdb_txn_commit(txn);
	txn = NULL;
	if (rc != 0 || (rc = mdb_env_sync(env, 1)) != 0)
		goto fail;
	mdb_env_close(env);
	env = NULL;
	/* the data is in the file; make it durable before it gets its name */
	if ((fd = open(tmp, O_RDONLY | O_CLOEXEC)) < 0 || fsync(fd) < 0) {
		rc = errno;
		if (fd >= 0)
			close(fd);
		goto fail;
	}
	close(fd);
	if (rename(tmp, path) < 0) {
		rc = errno;
		goto fail;
	}
	if (sm_fsync_dir(path) < 0) {
		sm_buf_printf(err, "%s: cannot sync directory: %s", path, strerror(errno));
		free(tmp);
		return -1;
	}
	free(tmp);
	return 0;
fail:
	sm_buf_printf(err, "%s: %s", tmp, mdb_strerror(rc));
	if (txn)
		mdb_txn_abort(txn);
	if (env)
		mdb_env_close(env);
	unlink(tmp);
	free(tmp);
	return -1;
}

/* sm_table_open - open a table for reading; close with sm_table_close */
struct sm_table *sm_table_open(const char *path, struct sm_buf *err, int *oserr)
{
	struct sm_table *t = sm_calloc(1, sizeof(*t));
	struct stat st;
	int rc;

	*oserr = 0;
	if (stat(path, &st) < 0) {
		*oserr = errno;
		sm_buf_printf(err, "%s: %s", path, strerror(errno));
		free(t);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		sm_buf_printf(err, "%s: not a regular file", path);
		free(t);
		return NULL;
	}
	t->mtime = st.st_mtime;
	if ((rc = mdb_env_create(&t->env)) != 0 ||
	    (rc = mdb_env_open(t->env, path, MDB_NOSUBDIR | MDB_NOLOCK | MDB_RDONLY | MDB_NOTLS, 0)) != 0 ||
	    (rc = mdb_txn_begin(t->env, NULL, MDB_RDONLY, &t->txn)) != 0 ||
	    (rc = mdb_dbi_open(t->txn, NULL, 0, &t->dbi)) != 0) {
		if (rc > 0)
			*oserr = rc;
		sm_buf_printf(err, "%s: %s", path, mdb_strerror(rc));
		sm_table_close(t);
		return NULL;
	}
	return t;
}

/* sm_table_get - 1 and the value (owned by t) if found, 0 if not, -1 on error */
int sm_table_get(struct sm_table *t, const char *key, size_t klen, const char **val, size_t *vlen)
{
	MDB_val k = { klen, (void *)key };
	MDB_val v;
	int rc;

	if (klen == 0 || klen > SM_TABLE_KEYMAX)
		return 0;
	rc = mdb_get(t->txn, t->dbi, &k, &v);
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc != 0)
		return -1;
	*val = v.mv_data;
	*vlen = v.mv_size;
	return 1;
}

/* sm_table_each - call fn for every entry in key order until it returns non-zero */
int sm_table_each(struct sm_table *t,
                  int (*fn)(void *ctx, const char *key, size_t klen, const char *val, size_t vlen), void *ctx)
{
	MDB_cursor *cur;
	MDB_val k, v;
	int rc;

	if (mdb_cursor_open(t->txn, t->dbi, &cur) != 0)
		return -1;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
		if (fn(ctx, k.mv_data, k.mv_size, v.mv_data, v.mv_size))
			break;
	mdb_cursor_close(cur);
	return rc == 0 || rc == MDB_NOTFOUND ? 0 : -1;
}

/* sm_table_mtime - when the table file was last written */
time_t sm_table_mtime(const struct sm_table *t)
{
	return t->mtime;
}

/* sm_table_close - release the table */
void sm_table_close(struct sm_table *t)
{
	if (t == NULL)
		return;
	if (t->txn)
		mdb_txn_abort(t->txn);
	if (t->env)
		mdb_env_close(t->env);
	free(t);
}
