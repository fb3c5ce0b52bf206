/*
 * lib/table.h - immutable key/value tables in LMDB files, replaced atomically
 *
 * SYNOPSIS
 *	struct sm_kv { const char *key; size_t klen; const char *val; size_t vlen; };
 *	void sm_kv_sort(struct sm_kv *kv, size_t n);
 *	void sm_kvlist_add(struct sm_kvlist *l, const char *key, size_t klen,
 *	                   const char *val, size_t vlen, unsigned long seq);
 *	void sm_kvlist_done(struct sm_kvlist *l);
 *	void sm_kvlist_free(struct sm_kvlist *l);
 *	int sm_table_write(const char *path, const struct sm_kv *kv, size_t n, struct sm_buf *err);
 *	struct sm_table *sm_table_open(const char *path, struct sm_buf *err, int *oserr);
 *	int sm_table_get(struct sm_table *t, const char *key, size_t klen,
 *	                 const char **val, size_t *vlen);
 *	int sm_table_each(struct sm_table *t, int (*fn)(void *ctx, const char *key, size_t klen,
 *	                  const char *val, size_t vlen), void *ctx);
 *	time_t sm_table_mtime(const struct sm_table *t);
 *	void sm_table_close(struct sm_table *t);
 *
 * DESCRIPTION
 *	A table is written once and never modified: sm_table_write() builds it
 *	in a temporary file beside path, syncs it, renames it over path and
 *	syncs the directory, so a reader sees the old table or the new one and
 *	never half of one. kv must be sorted with sm_kv_sort() and hold each key
 *	once. Keys are at most SM_TABLE_KEYMAX bytes. Because the file is
 *	immutable, readers open it without LMDB's lock file and hold one read
 *	transaction for as long as the table is open.
 *
 *	A struct sm_kvlist (SM_KVLIST_INIT) collects entries before a write:
 *	sm_kvlist_add() copies the bytes into one growing arena, and
 *	sm_kvlist_done(), called once after the last add, makes l->kv[i].key
 *	and .val point into it (until then they hold offsets). The list owns
 *	everything; sm_kvlist_free() releases it.
 *
 *	sm_table_open() returns a table the caller closes with sm_table_close().
 *	Values returned by sm_table_get() and passed to fn point into the map
 *	and stay valid until the table is closed.
 *
 * DIAGNOSTICS
 *	sm_table_write() returns -1 with a message in err. sm_table_open()
 *	returns NULL with a message in err and the errno in *oserr (0 when the
 *	file is not a valid table). sm_table_get() returns 1 found, 0 not found,
 *	-1 on an LMDB error. Nothing is logged here.
 */
#ifndef SM_TABLE_H
#define SM_TABLE_H

#include <stddef.h>
#include <time.h>

#include "lib/buf.h"

#define SM_TABLE_KEYMAX 511

struct sm_kv {
	const char *key;
	size_t klen;
	const char *val;
	size_t vlen;
	unsigned long seq; /* caller's order (e.g. line number); ties sort by it */
};

struct sm_kvlist {
	struct sm_buf arena;
	struct sm_kv *kv;
	size_t count, cap;
};

#define SM_KVLIST_INIT                                                                                       \
	{                                                                                                    \
		SM_BUF_INIT, NULL, 0, 0                                                                      \
	}

struct sm_table;

void sm_kv_sort(struct sm_kv *kv, size_t n);
int sm_kv_cmp_key(const struct sm_kv *a, const struct sm_kv *b);
void sm_kvlist_add(struct sm_kvlist *l, const char *key, size_t klen, const char *val, size_t vlen,
                   unsigned long seq);
void sm_kvlist_done(struct sm_kvlist *l);
void sm_kvlist_free(struct sm_kvlist *l);
int sm_table_write(const char *path, const struct sm_kv *kv, size_t n, struct sm_buf *err);
struct sm_table *sm_table_open(const char *path, struct sm_buf *err, int *oserr);
int sm_table_get(struct sm_table *t, const char *key, size_t klen, const char **val, size_t *vlen);
int sm_table_each(struct sm_table *t,
                  int (*fn)(void *ctx, const char *key, size_t klen, const char *val, size_t vlen),
                  void *ctx);
time_t sm_table_mtime(const struct sm_table *t);
void sm_table_close(struct sm_table *t);

#endif
