/*
 * tests/testutil.h - helpers shared by the C unit tests: captured sm_log messages, a temporary directory
 *
 * SYNOPSIS
 *	#include "tests/testutil.h"	(after config.h; it includes tests/tap.h)
 *
 *	sm_log_sink(log_capture, NULL); ... logs.count, logs.msg[i], logs.prio[i]
 *	int log_count(const char *substr); int log_has(const char *substr); void log_reset(void);
 *
 *	int test_dir_make(const char *tmpl); ... test_dir
 *	const char *in_dir(const char *name);
 *	int write_file(const char *path, const char *text, mode_t mode);
 *	int write_bytes(const char *path, const void *data, size_t len, mode_t mode);
 *	int read_file(const char *path, struct sm_buf *b);
 *	void test_dir_remove(void);
 *
 *	int str_same(const char *a, const char *b);
 *	const char *chain_names(const struct sm_nsdb *db, char *out, size_t size);
 *	int config_set(struct sm_config *cf, const char *name, const char *value);
 *
 * DESCRIPTION
 *	log_capture() is an sm_log sink (its ctx is unused) that keeps a copy
 *	of each of the first MAXLOG messages, with its priority, in the global
 *	logs; logs.count counts every message, kept or not. log_count() and
 *	log_has() search the kept messages for a substring.
 *
 *	test_dir_make() creates a directory with mkdtemp() from a template
 *	such as "/tmp/t_name.XXXXXX" (or a relative one) and sets test_dir to
 *	its absolute path. in_dir() names a file in it; write_file() and
 *	write_bytes() create or replace a file and then set its mode;
 *	read_file() appends a file's bytes to b (which stays the caller's);
 *	test_dir_remove() deletes test_dir and everything left in it.
 *
 *	str_same() compares strings as is_str() does. chain_names() writes
 *	the sources of an nsswitch.conf chain (db may be NULL) into out,
 *	joined by spaces, and returns out. config_set() is sm_config_set()
 *	with origin "test".
 *
 *	Header-only, like tests/tap.h: each test program includes it once.
 *
 *	Who frees what: the captured messages belong to logs; log_reset()
 *	frees them and empties logs (call it after sm_log_sink(NULL, NULL) at
 *	the end). test_dir is allocated by test_dir_make() and freed by
 *	test_dir_remove(). in_dir() returns one of four static buffers used in
 *	turn: a name stays valid for the next three calls only.
 *
 * DIAGNOSTICS
 *	test_dir_make() (test_dir then NULL), write_file(), write_bytes() and read_file()
 *	return -1 with errno set. config_set() returns -1 and shows the error
 *	with diag(); in_dir() and test_dir_remove() report failures so too.
 */
#ifndef SM_TESTUTIL_H
#define SM_TESTUTIL_H

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/buf.h"
#include "lib/cfg.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "nsswitch/conf.h"
#include "tests/tap.h"

#define MAXLOG 64

/* the messages captured from sm_log by log_capture */
static struct {
	size_t count; /* every message, also those past MAXLOG */
	int prio[MAXLOG];
	char *msg[MAXLOG];
} logs;

static char *test_dir; /* the test's temporary directory, absolute */

/* log_capture - sm_log sink that keeps every message */
static void __attribute__((unused)) log_capture(int prio, const char *msg, void *ctx)
{
	(void)ctx;
	if (logs.count < MAXLOG) {
		logs.prio[logs.count] = prio;
		logs.msg[logs.count] = sm_strdup(msg);
	}
	logs.count++;
}

/* log_reset - forget the captured messages */
static void __attribute__((unused)) log_reset(void)
{
	size_t i;

	for (i = 0; i < logs.count && i < MAXLOG; i++)
		free(logs.msg[i]);
	memset(&logs, 0, sizeof(logs));
}

/* log_count - how many captured messages contain substr */
static int __attribute__((unused)) log_count(const char *substr)
{
	size_t i;
	int n = 0;

	for (i = 0; i < logs.count && i < MAXLOG; i++)
		if (strstr(logs.msg[i], substr))
			n++;
	return n;
}

/* log_has - index of the first captured message containing substr, or -1 */
static int __attribute__((unused)) log_has(const char *substr)
{
	size_t i;

	for (i = 0; i < logs.count && i < MAXLOG; i++)
		if (strstr(logs.msg[i], substr))
			return (int)i;
	return -1;
}

/* test_dir_make - mkdtemp() from tmpl; test_dir is then its absolute path; 0, or -1 with errno */
static int __attribute__((unused)) test_dir_make(const char *tmpl)
{
	char *dir = sm_strdup(tmpl);
	int saved;

	if (mkdtemp(dir) != NULL)
		test_dir = realpath(dir, NULL);
	saved = errno;
	free(dir);
	errno = saved;
	return test_dir ? 0 : -1;
}

/* in_dir - test_dir/name in a static buffer (one of four, so a few may be used together) */
static __attribute__((unused)) const char *in_dir(const char *name)
{
	static char bufs[4][PATH_MAX];
	static int next;
	char *b = bufs[next++ % 4];

	if (snprintf(b, PATH_MAX, "%s/%s", test_dir, name) >= PATH_MAX)
		diag("path too long: %s/%s", test_dir, name);
	return b;
}

/* write_bytes - create or replace path with len bytes of data and mode; 0, or -1 with errno */
static int __attribute__((unused)) write_bytes(const char *path, const void *data, size_t len, mode_t mode)
{
	FILE *fp = fopen(path, "w");
	int saved;

	if (fp == NULL)
		return -1;
	if (fwrite(data, 1, len, fp) != len) {
		saved = errno;
		fclose(fp);
		errno = saved;
		return -1;
	}
	if (fclose(fp) != 0)
		return -1;
	return chmod(path, mode);
}

/* write_file - create or replace path with text and mode; 0, or -1 with errno */
static int __attribute__((unused)) write_file(const char *path, const char *text, mode_t mode)
{
	return write_bytes(path, text, strlen(text), mode);
}

/* read_file - append the bytes of path to b; 0, or -1 with errno */
static int __attribute__((unused)) read_file(const char *path, struct sm_buf *b)
{
	char chunk[8192];
	size_t n;
	FILE *fp = fopen(path, "rb");

	if (fp == NULL)
		return -1;
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		sm_buf_add(b, chunk, n);
	fclose(fp);
	return 0;
}

/* remove_entry - nftw callback: delete one file, link or (emptied) directory */
static int __attribute__((unused))
remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* test_dir_remove - delete test_dir and what the tests left in it; test_dir is then NULL */
static void __attribute__((unused)) test_dir_remove(void)
{
	if (nftw(test_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
		diag("could not remove %s: %s", test_dir, strerror(errno));
	free(test_dir);
	test_dir = NULL;
}

/* str_same - strings equal (NULL equals only NULL) */
static int __attribute__((unused)) str_same(const char *a, const char *b)
{
	return (a == NULL || b == NULL) ? a == b : strcmp(a, b) == 0;
}

/* chain_names - the sources of a chain joined by spaces, into out */
static __attribute__((unused)) const char *chain_names(const struct sm_nsdb *db, char *out, size_t size)
{
	size_t i, n = 0;

	out[0] = '\0';
	for (i = 0; db && i < db->count; i++)
		n += (size_t)snprintf(out + n, n < size ? size - n : 0, "%s%s", i ? " " : "",
		                      db->src[i].source);
	return out;
}

/* config_set - sm_config_set with origin "test", a failure shown with diag(); 0 or -1 */
static int __attribute__((unused)) config_set(struct sm_config *cf, const char *name, const char *value)
{
	struct sm_buf err = SM_BUF_INIT;
	int rc = sm_config_set(cf, name, value, "test", &err);

	if (rc < 0)
		diag("%s", sm_buf_str(&err));
	sm_buf_free(&err);
	return rc;
}

#endif
