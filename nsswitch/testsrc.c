/*
 * nsswitch/testsrc.c - the test source: answers from a fixture file
 *
 * See testsrc.h. Reads TestSourceFile from the configuration.
 *
 * DIAGNOSTICS
 *	See testsrc.h.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/lines.h"
#include "lib/mem.h"
#include "nsswitch/testsrc.h"

struct sm_test_answer {
	char *db;
	char *key;
	enum sm_status status;
	long delay_ms;
	char *text;
};

struct sm_test {
	size_t count;
	struct sm_test_answer *a;
};

/* next_word - split off the next blank-separated word, or NULL */
static char *next_word(char **pp)
{
	char *p = *pp, *w;

	while (isspace((unsigned char)*p))
		p++;
	if (*p == '\0')
		return NULL;
	w = p;
	while (*p && !isspace((unsigned char)*p))
		p++;
	if (*p)
		*p++ = '\0';
	*pp = p;
	return w;
}

/* test_lookup - answer from the fixture */
static enum sm_status test_lookup(struct sm_source *src, const char *db, const char *key, char **value,
                                  struct sm_buf *reason)
{
	struct sm_test *t = src->priv;
	const struct sm_test_answer *hit = NULL;
	size_t i;

	for (i = 0; i < t->count; i++) {
		const struct sm_test_answer *a = &t->a[i];

		if (strcmp(a->db, db) != 0)
			continue;
		if (strcmp(a->key, key) == 0) {
			hit = a;
			break;
		}
		if (hit == NULL && strcmp(a->key, "*") == 0)
			hit = a;
	}
	if (hit == NULL)
		return SM_NOTFOUND;
	if (hit->delay_ms > 0) {
		struct timespec ts = { hit->delay_ms / 1000, (hit->delay_ms % 1000) * 1000000L };

		while (nanosleep(&ts, &ts) < 0)
			;
	}
	if (hit->status == SM_SUCCESS)
		*value = sm_strdup(hit->text);
	else
		sm_buf_adds(reason, hit->text);
	return hit->status;
}

/* test_free - release the fixture */
static void test_free(void *priv)
{
	struct sm_test *t = priv;
	size_t i;

	for (i = 0; i < t->count; i++) {
		free(t->a[i].db);
		free(t->a[i].key);
		free(t->a[i].text);
	}
	free(t->a);
	free(t);
}

static const struct sm_source_ops test_ops = { test_lookup, test_free };

/* sm_test_create - a test source reading its answers from TestSourceFile; owned by the switch */
struct sm_source *sm_test_create(const char *name, const struct sm_config *cf, struct sm_buf *err)
{
	const char *path = sm_config_str(cf, "TestSourceFile");
	struct sm_test *t;
	struct sm_lines lr;
	int oserr, rc;

	if (*path == '\0') {
		sm_buf_adds(err, "no TestSourceFile configured");
		return NULL;
	}
	if (sm_lines_open(&lr, path, 65536, &oserr) < 0) {
		sm_buf_printf(err, "%s: %s", path, strerror(oserr));
		return NULL;
	}
	t = sm_calloc(1, sizeof(*t));
	while ((rc = sm_lines_next(&lr)) > 0) {
		char *p = lr.line.data, *srcname, *db, *key, *status, *at;
		struct sm_test_answer *a;
		enum sm_status st;

		if ((srcname = next_word(&p)) == NULL || *srcname == '#')
			continue;
		db = next_word(&p);
		key = next_word(&p);
		status = next_word(&p);
		at = status ? strchr(status, '@') : NULL;
		if (status == NULL ||
		    sm_status_parse(status, at ? (size_t)(at - status) : strlen(status), &st) < 0) {
			sm_buf_printf(err, "%s: line %lu: expected SOURCE DATABASE KEY STATUS [TEXT]", path,
			              lr.lineno);
			break;
		}
		if (strcmp(srcname, name) != 0)
			continue;
		while (isspace((unsigned char)*p))
			p++;
		t->a = sm_realloc(t->a, (t->count + 1) * sizeof(*t->a));
		a = &t->a[t->count++];
		a->db = sm_strdup(db);
		a->key = sm_strdup(key);
		a->status = st;
		a->delay_ms = at ? strtol(at + 1, NULL, 10) : 0;
		a->text = sm_strdup(p);
	}
	if (rc < 0 && err->len == 0)
		sm_buf_printf(err, "%s: %s", path, strerror(lr.err));
	sm_lines_close(&lr);
	if (err->len) {
		test_free(t);
		return NULL;
	}
	return sm_source_alloc(&test_ops, name, t);
}
