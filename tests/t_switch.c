/*
 * tests/t_switch.c - unit tests of the chain walker (nsswitch/switch.h)
 *
 * DESCRIPTION
 *	Drives sm_switch_new() and sm_switch_lookup() with the fixture-driven
 *	test source (nsswitch/testsrc.h) from a TestSourceFile written into a
 *	mkdtemp() directory. Covers every STATUS x ACTION x negation criterion
 *	on "aliases: test1 [CRITERION] test2" for every answer of test1
 *	(outcome status, value or reason, deciding source, number of sources
 *	consulted, the action chosen); mixed chains (TRYAGAIN then NOTFOUND or
 *	SUCCESS, skipped UNAVAIL, all UNAVAIL); unknown sources; invalid keys;
 *	key case folding per database; the trace entry fields; default chains
 *	(passwd always "libc"); a test source without TestSourceFile; a
 *	delayed answer. Output is TAP (tests/tap.h).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/cfg.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "nsswitch/conf.h"
#include "nsswitch/files.h"
#include "nsswitch/switch.h"
#include "nsswitch/testsrc.h"
#include "tests/tap.h"
#include "tests/testutil.h"

/* what each source answers, by key */
static const char fixture[] = "# fixture for t_switch\n"
                              "test1 aliases s SUCCESS one\n"
                              "test1 aliases n NOTFOUND nf-one\n"
                              "test1 aliases u UNAVAIL down-one\n"
                              "test1 aliases t TRYAGAIN busy-one\n"
                              "test2 aliases * SUCCESS two\n"
                              "test1 aliases tn TRYAGAIN busy-one\n"
                              "test2 aliases tn NOTFOUND nf-two\n"
                              "test1 aliases ts TRYAGAIN busy-one\n"
                              "test2 aliases ts SUCCESS two-ts\n"
                              "test1 aliases uu UNAVAIL down-one\n"
                              "test2 aliases uu UNAVAIL down-two\n"
                              "test1 aliases un UNAVAIL down-one\n"
                              "test2 aliases un NOTFOUND nf-two\n"
                              "test1 aliases nu NOTFOUND nf-one\n"
                              "test2 aliases nu UNAVAIL down-two\n"
                              "test1 aliases tu TRYAGAIN busy-one\n"
                              "test2 aliases tu UNAVAIL down-two\n"
                              "test1 aliases us UNAVAIL down-one\n"
                              "test1 aliases empty SUCCESS\n"
                              "test1 aliases mixed SUCCESS lower-aliases\n"
                              "test1 hosts mixed SUCCESS lower-hosts\n"
                              "test1 mydb mixed SUCCESS lower-mydb\n"
                              "test1 mydb MiXeD SUCCESS exact-mydb\n"
                              "test1 aliases slow TRYAGAIN@50 slow answer\n"
                              "test3 aliases * TRYAGAIN busy-three\n";

static const struct sm_source_type types[] = {
	{ "test", 1, sm_test_create },
	{ "files", 0, sm_files_create },
	{ NULL, 0, NULL },
};

static struct sm_config *cf;

/* new_switch - a switch over the nsswitch.conf text, with config c; free with sm_switch_free */
static struct sm_switch *new_switch(const struct sm_config *c, const char *text)
{
	return sm_switch_new(c, types, text ? sm_nsconf_parse_string(text, "test.conf") : NULL);
}

/* consulted - trace entries that record a source consulted (not notes) */
static size_t consulted(const struct sm_trace *tr)
{
	size_t i, n = 0;

	for (i = 0; i < tr->count; i++)
		if (tr->e[i].db != NULL)
			n++;
	return n;
}

/* the answer expected from one lookup */
struct want {
	enum sm_status status;
	const char *value;  /* SUCCESS */
	const char *reason; /* otherwise */
	const char *source;
	size_t consulted;
};

/* check_lookup - look key up in db and compare with w; label names the case */
static void check_lookup(struct sm_switch *sw, const char *db, const char *key, const struct want *w,
                         const char *label)
{
	struct sm_trace tr = SM_TRACE_INIT;
	struct sm_answer ans;
	enum sm_status st;
	char name[256];

	st = sm_switch_lookup(sw, db, key, strlen(key), &ans, &tr);
	snprintf(name, sizeof(name), "%s: status %s", label, sm_status_name(w->status));
	if (!is_int(st, w->status, name))
		diag("got %s", sm_status_name(st));
	ok(ans.status == st, "%s: ans.status matches the return value", label);
	if (w->status == SM_SUCCESS) {
		snprintf(name, sizeof(name), "%s: value \"%s\"", label, w->value);
		is_str(ans.value, w->value, name);
	} else {
		if (w->reason)
			snprintf(name, sizeof(name), "%s: no value, reason \"%s\"", label, w->reason);
		else
			snprintf(name, sizeof(name), "%s: no value, no reason", label);
		ok(ans.value == NULL &&
		       (w->reason == NULL ? ans.reason == NULL
		                          : ans.reason && strcmp(ans.reason, w->reason) == 0),
		   "%s", name);
		if (ans.value || (ans.reason == NULL) != (w->reason == NULL) ||
		    (ans.reason && w->reason && strcmp(ans.reason, w->reason)))
			diag("value %s, reason %s", ans.value ? ans.value : "(null)",
			     ans.reason ? ans.reason : "(null)");
	}
	snprintf(name, sizeof(name), "%s: decided by %s", label, w->source ? w->source : "(none)");
	is_str(ans.source, w->source, name);
	snprintf(name, sizeof(name), "%s: %zu source(s) consulted", label, w->consulted);
	is_int((long)consulted(&tr), (long)w->consulted, name);
	sm_answer_free(&ans);
	sm_trace_free(&tr);
}

/* criteria on test1; ret[S] says whether test1 answering S ends the walk */
static const struct crit_case {
	const char *crit;
	int ret[SM_NSTATUS];
} crit_cases[] = {
	{ .crit = "", .ret = { [SM_SUCCESS] = 1 } },
	{ .crit = "[SUCCESS=return]", .ret = { [SM_SUCCESS] = 1 } },
	{ .crit = "[SUCCESS=continue]", .ret = { [SM_SUCCESS] = 1 } }, /* the first success always wins */
	{ .crit = "[NOTFOUND=return]", .ret = { [SM_SUCCESS] = 1, [SM_NOTFOUND] = 1 } },
	{ .crit = "[NOTFOUND=continue]", .ret = { [SM_SUCCESS] = 1 } },
	{ .crit = "[UNAVAIL=return]", .ret = { [SM_SUCCESS] = 1, [SM_UNAVAIL] = 1 } },
	{ .crit = "[UNAVAIL=continue]", .ret = { [SM_SUCCESS] = 1 } },
	{ .crit = "[TRYAGAIN=return]", .ret = { [SM_SUCCESS] = 1, [SM_TRYAGAIN] = 1 } },
	{ .crit = "[TRYAGAIN=continue]", .ret = { [SM_SUCCESS] = 1 } },
	{ .crit = "[!SUCCESS=return]",
	  .ret = { [SM_SUCCESS] = 1, [SM_NOTFOUND] = 1, [SM_UNAVAIL] = 1, [SM_TRYAGAIN] = 1 } },
	{ .crit = "[!SUCCESS=continue]", .ret = { [SM_SUCCESS] = 1 } },
	{ .crit = "[!NOTFOUND=return]", .ret = { [SM_SUCCESS] = 1, [SM_UNAVAIL] = 1, [SM_TRYAGAIN] = 1 } },
	{ .crit = "[!NOTFOUND=continue]", .ret = { [SM_SUCCESS] = 1 } },
	{ .crit = "[!UNAVAIL=return]", .ret = { [SM_SUCCESS] = 1, [SM_NOTFOUND] = 1, [SM_TRYAGAIN] = 1 } },
	{ .crit = "[!UNAVAIL=continue]", .ret = { [SM_SUCCESS] = 1 } },
	{ .crit = "[!TRYAGAIN=return]", .ret = { [SM_SUCCESS] = 1, [SM_NOTFOUND] = 1, [SM_UNAVAIL] = 1 } },
	{ .crit = "[!TRYAGAIN=continue]", .ret = { [SM_SUCCESS] = 1 } },
	{ .crit = "[!TRYAGAIN=return TRYAGAIN=return]",
	  .ret = { [SM_SUCCESS] = 1, [SM_NOTFOUND] = 1, [SM_UNAVAIL] = 1, [SM_TRYAGAIN] = 1 } },
};

/* what test1 answers for each status: the key to ask and its value or reason */
static const struct {
	const char *key;
	const char *text;
} test1_answer[SM_NSTATUS] = {
	[SM_SUCCESS] = { .key = "s", .text = "one" },
	[SM_NOTFOUND] = { .key = "n", .text = "nf-one" },
	[SM_UNAVAIL] = { .key = "u", .text = "down-one" },
	[SM_TRYAGAIN] = { .key = "t", .text = "busy-one" },
};

/* test_criteria - every criterion against every answer of test1; test2 always succeeds */
static void test_criteria(void)
{
	size_t i;
	int s;

	for (i = 0; i < sizeof(crit_cases) / sizeof(crit_cases[0]); i++) {
		const struct crit_case *c = &crit_cases[i];
		char conf[128];
		struct sm_switch *sw;

		snprintf(conf, sizeof(conf), "aliases: test1 %s%stest2", c->crit, *c->crit ? " " : "");
		sw = new_switch(cf, conf);
		for (s = 0; s < SM_NSTATUS; s++) {
			enum sm_status st1 = (enum sm_status)s;
			struct sm_trace tr = SM_TRACE_INIT;
			struct sm_answer ans;
			struct want w;
			char label[192];

			if (c->ret[s]) {
				w = (struct want){ .status = st1,
					           .value = st1 == SM_SUCCESS ? test1_answer[s].text : NULL,
					           .reason = st1 == SM_SUCCESS ? NULL : test1_answer[s].text,
					           .source = "test1",
					           .consulted = 1 };
			} else {
				w = (struct want){ .status = SM_SUCCESS,
					           .value = "two",
					           .source = "test2",
					           .consulted = 2 };
			}
			snprintf(label, sizeof(label), "%s, test1 says %s", conf, sm_status_name(st1));
			check_lookup(sw, "aliases", test1_answer[s].key, &w, label);

			/* the action recorded for test1 in the trace */
			sm_switch_lookup(sw, "aliases", test1_answer[s].key, 1, &ans, &tr);
			ok(tr.count > 0 && tr.e[0].status == st1 &&
			       tr.e[0].action == (c->ret[s] ? SM_RETURN : SM_CONTINUE),
			   "%s: trace shows %s -> %s", label, sm_status_name(st1),
			   c->ret[s] ? "return" : "continue");
			sm_answer_free(&ans);
			sm_trace_free(&tr);
		}
		sm_switch_free(sw);
	}
}

/* chains mixing statuses */
static const struct chain_case {
	const char *conf;
	const char *key;
	struct want w;
} chain_cases[] = {
	{ .conf = "aliases: test1 test2",
	  .key = "tn",
	  .w = { .status = SM_TRYAGAIN, .reason = "busy-one", .source = "test1", .consulted = 2 } },
	{ .conf = "aliases: test1 test2",
	  .key = "ts",
	  .w = { .status = SM_SUCCESS, .value = "two-ts", .source = "test2", .consulted = 2 } },
	{ .conf = "aliases: test1 test2",
	  .key = "tu",
	  .w = { .status = SM_TRYAGAIN, .reason = "busy-one", .source = "test1", .consulted = 2 } },
	{ .conf = "aliases: test1 test2 [UNAVAIL=return]",
	  .key = "tu",
	  .w = { .status = SM_TRYAGAIN, .reason = "busy-one", .source = "test1", .consulted = 2 } },
	{ .conf = "aliases: test1 test2",
	  .key = "uu",
	  .w = { .status = SM_UNAVAIL, .reason = "down-one", .source = "test1", .consulted = 2 } },
	{ .conf = "aliases: test1 [UNAVAIL=return] test2",
	  .key = "uu",
	  .w = { .status = SM_UNAVAIL, .reason = "down-one", .source = "test1", .consulted = 1 } },
	{ .conf = "aliases: test1 test2 [UNAVAIL=return]",
	  .key = "uu",
	  .w = { .status = SM_UNAVAIL, .reason = "down-two", .source = "test2", .consulted = 2 } },
	{ .conf = "aliases: test1 test2",
	  .key = "un",
	  .w = { .status = SM_NOTFOUND, .reason = "nf-two", .source = "test2", .consulted = 2 } },
	{ .conf = "aliases: test1 test2",
	  .key = "nu",
	  .w = { .status = SM_NOTFOUND, .reason = "nf-one", .source = "test1", .consulted = 2 } },
	{ .conf = "aliases: test1 test2",
	  .key = "us",
	  .w = { .status = SM_SUCCESS, .value = "two", .source = "test2", .consulted = 2 } },
	{ .conf = "aliases: test1 test3 test2",
	  .key = "n",
	  .w = { .status = SM_SUCCESS, .value = "two", .source = "test2", .consulted = 3 } },
	{ .conf = "aliases: test3 test1",
	  .key = "n",
	  .w = { .status = SM_TRYAGAIN, .reason = "busy-three", .source = "test3", .consulted = 2 } },
	{ .conf = "aliases: test1",
	  .key = "n",
	  .w = { .status = SM_NOTFOUND, .reason = "nf-one", .source = "test1", .consulted = 1 } },
	{ .conf = "aliases: test1",
	  .key = "no-such-key",
	  .w = { .status = SM_NOTFOUND, .reason = NULL, .source = "test1", .consulted = 1 } },
	{ .conf = "aliases: test1",
	  .key = "empty",
	  .w = { .status = SM_SUCCESS, .value = "", .source = "test1", .consulted = 1 } },
	{ .conf = "aliases: test1 test2",
	  .key = "ts",
	  .w = { .status = SM_SUCCESS, .value = "two-ts", .source = "test2", .consulted = 2 } },
	/* a source name that is a prefix type with no lines of its own answers NOTFOUND */
	{ .conf = "aliases: test",
	  .key = "s",
	  .w = { .status = SM_NOTFOUND, .reason = NULL, .source = "test", .consulted = 1 } },
	/* unknown sources are UNAVAIL stand-ins, skipped with the default criteria */
	{ .conf = "aliases: nosuch",
	  .key = "s",
	  .w = { .status = SM_UNAVAIL, .reason = "unknown source", .source = "nosuch", .consulted = 1 } },
	{ .conf = "aliases: nosuch test1",
	  .key = "s",
	  .w = { .status = SM_SUCCESS, .value = "one", .source = "test1", .consulted = 2 } },
	{ .conf = "aliases: nosuch [UNAVAIL=return] test1",
	  .key = "s",
	  .w = { .status = SM_UNAVAIL, .reason = "unknown source", .source = "nosuch", .consulted = 1 } },
	{ .conf = "aliases: testx",
	  .key = "s",
	  .w = { .status = SM_UNAVAIL, .reason = "unknown source", .source = "testx", .consulted = 1 } },
	{ .conf = "aliases: files2",
	  .key = "s",
	  .w = { .status = SM_UNAVAIL, .reason = "unknown source", .source = "files2", .consulted = 1 } },
	{ .conf = "aliases: Test1",
	  .key = "s",
	  .w = { .status = SM_UNAVAIL, .reason = "unknown source", .source = "Test1", .consulted = 1 } },
	{ .conf = "aliases: nosuch test1",
	  .key = "n",
	  .w = { .status = SM_NOTFOUND, .reason = "nf-one", .source = "test1", .consulted = 2 } },
	/* the files source answers for aliases only */
	{ .conf = "mydb: files",
	  .key = "mixed",
	  .w = { .status = SM_UNAVAIL,
	         .reason = "the files source has no mydb database",
	         .source = "files",
	         .consulted = 1 } },
};

/* test_chains - the table above, one switch per case */
static void test_chains(void)
{
	size_t i;

	for (i = 0; i < sizeof(chain_cases) / sizeof(chain_cases[0]); i++) {
		const struct chain_case *c = &chain_cases[i];
		struct sm_switch *sw = new_switch(cf, c->conf);
		const char *db = strncmp(c->conf, "mydb", 4) == 0 ? "mydb" : "aliases";
		char label[160];

		snprintf(label, sizeof(label), "%s, key %s", c->conf, c->key);
		check_lookup(sw, db, c->key, &c->w, label);
		sm_switch_free(sw);
	}
}

/* test_unavail_logged_once - a skipped UNAVAIL source is logged once per instance */
static void test_unavail_logged_once(void)
{
	struct sm_switch *sw = new_switch(cf, "aliases: test1 test2\nhosts: test1");
	struct sm_answer ans;

	log_reset();
	sm_switch_lookup(sw, "aliases", "un", 2, &ans, NULL);
	sm_answer_free(&ans);
	sm_switch_lookup(sw, "aliases", "uu", 2, &ans, NULL);
	sm_answer_free(&ans);
	is_int(log_count("source test1 unavailable for aliases (down-one); skipped"), 1,
	       "a skipped UNAVAIL source is logged once, with its reason");
	is_int(log_count("source test2 unavailable for aliases (down-two); skipped"), 1,
	       "  and each source instance is logged on its own");
	is_int(sm_switch_lookup(sw, "aliases", "uu", 2, &ans, NULL), SM_UNAVAIL,
	       "a lookup with a NULL trace works");
	sm_answer_free(&ans);
	is_int((long)logs.count, 2, "  and logs nothing more");
	log_reset();
	sm_switch_free(sw);
}

/* test_trace_fields - every field of the trace entries */
static void test_trace_fields(void)
{
	struct sm_switch *sw = new_switch(cf, "aliases: test1 [NOTFOUND=continue] test2");
	struct sm_trace tr = SM_TRACE_INIT;
	struct sm_answer ans;
	enum sm_status st;

	st = sm_switch_lookup(sw, "aliases", "N", 1, &ans, &tr);
	is_int(st, SM_SUCCESS, "trace: NOTFOUND then SUCCESS");
	is_int((long)tr.count, 2, "trace: two entries");
	if (tr.count == 2) {
		is_str(tr.e[0].db, "aliases", "trace[0].db");
		is_str(tr.e[0].key, "n", "trace[0].key is the folded key");
		is_str(tr.e[0].source, "test1", "trace[0].source");
		is_int(tr.e[0].status, SM_NOTFOUND, "trace[0].status NOTFOUND");
		is_str(tr.e[0].reason, "nf-one", "trace[0].reason is the native reason");
		is_int(tr.e[0].action, SM_CONTINUE, "trace[0].action continue");
		ok(tr.e[0].ms >= 0, "trace[0].ms is not negative");
		is_str(tr.e[1].db, "aliases", "trace[1].db");
		is_str(tr.e[1].key, "n", "trace[1].key");
		is_str(tr.e[1].source, "test2", "trace[1].source");
		is_int(tr.e[1].status, SM_SUCCESS, "trace[1].status SUCCESS");
		is_str(tr.e[1].reason, NULL, "trace[1].reason NULL on success");
		is_int(tr.e[1].action, SM_RETURN, "trace[1].action return");
	}
	sm_answer_free(&ans);
	/* a second lookup appends to the same trace */
	sm_switch_lookup(sw, "aliases", "s", 1, &ans, &tr);
	is_int((long)tr.count, 3, "trace: a second lookup appends one entry");
	sm_answer_free(&ans);
	sm_trace_free(&tr);
	ok(tr.count == 0 && tr.e == NULL, "sm_trace_free empties the trace");
	sm_switch_free(sw);
}

/* keys the switch refuses before consulting anything */
static const struct key_case {
	const char *name;
	const char *key;
	size_t len;
	const char *reason;
} key_cases[] = {
	{ .name = "empty key", .key = "", .len = 0, .reason = "invalid key: empty" },
	{ .name = "key with CR", .key = "a\rb", .len = 3, .reason = "invalid key: contains CR" },
	{ .name = "key with LF", .key = "a\nb", .len = 3, .reason = "invalid key: contains LF" },
	{ .name = "key ending in LF", .key = "root\n", .len = 5, .reason = "invalid key: contains LF" },
	{ .name = "key with NUL", .key = "a\0b", .len = 3, .reason = "invalid key: contains NUL" },
	{ .name = "key of NUL only", .key = "\0", .len = 1, .reason = "invalid key: contains NUL" },
};

/* check_bad_key - key is refused with reason and nothing is consulted */
static void check_bad_key(struct sm_switch *sw, const char *name, const char *key, size_t len,
                          const char *reason)
{
	struct sm_trace tr = SM_TRACE_INIT;
	struct sm_answer ans;
	enum sm_status st = sm_switch_lookup(sw, "aliases", key, len, &ans, &tr);

	is_int(st, SM_UNAVAIL, name);
	is_str(ans.reason, reason, "  reason");
	ok(ans.value == NULL && ans.source == NULL, "  no value, no deciding source");
	is_int((long)consulted(&tr), 0, "  no source consulted");
	sm_answer_free(&ans);
	sm_trace_free(&tr);
}

/* test_keys - invalid keys, the longest valid key, and keylen */
static void test_keys(void)
{
	struct sm_switch *sw = new_switch(cf, "aliases: test2");
	char *big = sm_malloc(SM_KEY_MAX + 2);
	struct sm_answer ans;
	size_t i;

	for (i = 0; i < sizeof(key_cases) / sizeof(key_cases[0]); i++)
		check_bad_key(sw, key_cases[i].name, key_cases[i].key, key_cases[i].len, key_cases[i].reason);
	memset(big, 'a', SM_KEY_MAX + 1);
	big[SM_KEY_MAX + 1] = '\0';
	check_bad_key(sw, "key of SM_KEY_MAX+1 bytes", big, SM_KEY_MAX + 1,
	              "invalid key: longer than 1024 bytes");
	is_int(sm_switch_lookup(sw, "aliases", big, SM_KEY_MAX, &ans, NULL), SM_SUCCESS,
	       "a key of exactly SM_KEY_MAX bytes is looked up");
	is_str(ans.value, "two", "  and answered");
	sm_answer_free(&ans);
	free(big);
	sm_switch_free(sw);

	sw = new_switch(cf, "aliases: test1");
	is_int(sm_switch_lookup(sw, "aliases", "sxyz", 1, &ans, NULL), SM_SUCCESS,
	       "only keylen bytes of the key are used");
	is_str(ans.value, "one", "  (\"sxyz\" with keylen 1 is \"s\")");
	sm_answer_free(&ans);
	sm_switch_free(sw);
}

/* test_case_folding - aliases and hosts keys are folded, other databases' are not */
static void test_case_folding(void)
{
	static const struct fold_case {
		const char *db;
		const char *key;
		struct want w;
	} cases[] = {
		{ .db = "aliases",
		  .key = "MIXED",
		  .w = { .status = SM_SUCCESS,
		         .value = "lower-aliases",
		         .source = "test1",
		         .consulted = 1 } },
		{ .db = "aliases",
		  .key = "MiXeD",
		  .w = { .status = SM_SUCCESS,
		         .value = "lower-aliases",
		         .source = "test1",
		         .consulted = 1 } },
		{ .db = "hosts",
		  .key = "Mixed",
		  .w = { .status = SM_SUCCESS, .value = "lower-hosts", .source = "test1", .consulted = 1 } },
		{ .db = "mydb",
		  .key = "MIXED",
		  .w = { .status = SM_NOTFOUND, .reason = NULL, .source = "test1", .consulted = 1 } },
		{ .db = "mydb",
		  .key = "MiXeD",
		  .w = { .status = SM_SUCCESS, .value = "exact-mydb", .source = "test1", .consulted = 1 } },
		{ .db = "mydb",
		  .key = "mixed",
		  .w = { .status = SM_SUCCESS, .value = "lower-mydb", .source = "test1", .consulted = 1 } },
	};
	struct sm_switch *sw = new_switch(cf, "aliases: test1\nhosts: test1\nmydb: test1");
	struct sm_trace tr = SM_TRACE_INIT;
	struct sm_answer ans;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char label[96];

		snprintf(label, sizeof(label), "case folding: %s \"%s\"", cases[i].db, cases[i].key);
		check_lookup(sw, cases[i].db, cases[i].key, &cases[i].w, label);
	}
	sm_switch_lookup(sw, "mydb", "MiXeD", 5, &ans, &tr);
	ok(tr.count == 1 && strcmp(tr.e[0].key, "MiXeD") == 0, "the trace of mydb keeps the key's case");
	sm_answer_free(&ans);
	sm_trace_free(&tr);
	sm_switch_free(sw);
}

/* test_defaults - the built-in chains, and passwd always being libc */
static void test_defaults(void)
{
	static const struct {
		const char *db;
		const char *chain;
	} defaults[] = {
		{ .db = "aliases", .chain = "files" },      { .db = "hosts", .chain = "files dns" },
		{ .db = "sendmailvars", .chain = "files" }, { .db = "passwd", .chain = "libc" },
		{ .db = "mydb", .chain = "files" },
	};
	struct sm_switch *sw = new_switch(cf, NULL);
	struct sm_trace tr = SM_TRACE_INIT;
	struct sm_answer ans;
	char names[64];
	size_t i;

	for (i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
		char label[64];

		snprintf(label, sizeof(label), "default chain of %s", defaults[i].db);
		is_str(chain_names(sm_switch_chain(sw, defaults[i].db), names, sizeof(names)),
		       defaults[i].chain, label);
	}
	ok(sm_switch_chain(sw, "aliases") == sm_switch_chain(sw, "aliases"), "a default chain is built once");
	sm_switch_free(sw);

	sw = new_switch(cf, "passwd: test1\naliases: test1\nhosts: test2");
	is_str(chain_names(sm_switch_chain(sw, "passwd"), names, sizeof(names)), "libc",
	       "passwd is libc even with a passwd line");
	is_str(chain_names(sm_switch_chain(sw, "aliases"), names, sizeof(names)), "test1",
	       "an aliases line replaces the default");
	is_str(chain_names(sm_switch_chain(sw, "sendmailvars"), names, sizeof(names)), "files",
	       "a database without a line keeps its default");
	is_int(sm_switch_lookup(sw, "passwd", "root", 4, &ans, &tr), SM_UNAVAIL,
	       "passwd lookup goes to libc (not in this types table): UNAVAIL");
	is_str(ans.source, "libc", "  decided by libc");
	is_str(ans.reason, "unknown source", "  reason unknown source");
	ok(tr.count == 1 && strcmp(tr.e[0].source, "libc") == 0, "  test1 was not consulted");
	sm_answer_free(&ans);
	sm_trace_free(&tr);
	sm_switch_free(sw);

	/* a conf with a bad aliases line: aliases keeps its default */
	log_reset();
	sw = new_switch(cf, "aliases: test1 [BOGUS=return]");
	is_str(chain_names(sm_switch_chain(sw, "aliases"), names, sizeof(names)), "files",
	       "a bad aliases line leaves the default chain");
	sm_switch_free(sw);
	log_reset();
}

/* test_no_fixture - a test source with no, a missing, or a bad TestSourceFile */
static void test_no_fixture(void)
{
	static const struct want none = { .status = SM_UNAVAIL,
		                          .reason = "no TestSourceFile configured",
		                          .source = "test1",
		                          .consulted = 1 };
	struct sm_config *c = sm_config_new();
	struct sm_switch *sw;
	struct sm_answer ans;
	const char *path;
	char want[PATH_MAX + 64];

	log_reset();
	sw = new_switch(c, "aliases: test1");
	check_lookup(sw, "aliases", "s", &none, "no TestSourceFile");
	sm_switch_free(sw);

	path = in_dir("missing-fixture");
	config_set(c, "TestSourceFile", path);
	sw = new_switch(c, "aliases: test1");
	is_int(sm_switch_lookup(sw, "aliases", "s", 1, &ans, NULL), SM_UNAVAIL,
	       "missing TestSourceFile: UNAVAIL");
	snprintf(want, sizeof(want), "%s: %s", path, strerror(ENOENT));
	is_str(ans.reason, want, "  reason names the file and the error");
	sm_answer_free(&ans);
	sm_switch_free(sw);

	path = in_dir("bad-fixture");
	write_file(path, "test1 aliases a SUCCESS x\ntest2 aliases b MAYBE y\n", 0644);
	config_set(c, "TestSourceFile", path);
	sw = new_switch(c, "aliases: test1");
	is_int(sm_switch_lookup(sw, "aliases", "a", 1, &ans, NULL), SM_UNAVAIL,
	       "malformed TestSourceFile: UNAVAIL");
	snprintf(want, sizeof(want), "%s: line 2: ", path);
	ok(ans.reason && strncmp(ans.reason, want, strlen(want)) == 0, "  reason names FILE: line 2");
	sm_answer_free(&ans);
	sm_switch_free(sw);
	unlink(path);

	config_set(c, "TestSourceFile", test_dir);
	sw = new_switch(c, "aliases: test1");
	is_int(sm_switch_lookup(sw, "aliases", "a", 1, &ans, NULL), SM_UNAVAIL,
	       "a TestSourceFile that cannot be read: UNAVAIL, never NOTFOUND");
	ok(ans.reason && strstr(ans.reason, "Is a directory") != NULL, "  reason says why");
	sm_answer_free(&ans);
	sm_switch_free(sw);
	log_reset();
	sm_config_free(c);
}

/* test_switch_open - sm_switch_open reads ServiceSwitchFile, or uses defaults when it is missing */
static void test_switch_open(void)
{
	struct sm_config *c = sm_config_new();
	struct sm_switch *sw;
	struct sm_answer ans;
	char path[PATH_MAX + 64], names[64];

	snprintf(path, sizeof(path), "%s", in_dir("nsswitch.conf"));
	write_file(path, "aliases: test1 [NOTFOUND=return] test2\n", 0644);
	config_set(c, "ServiceSwitchFile", path);
	config_set(c, "TestSourceFile", sm_config_str(cf, "TestSourceFile"));
	sw = sm_switch_open(c, types);
	is_str(chain_names(sm_switch_chain(sw, "aliases"), names, sizeof(names)), "test1 test2",
	       "sm_switch_open reads ServiceSwitchFile");
	is_int(sm_switch_lookup(sw, "aliases", "n", 1, &ans, NULL), SM_NOTFOUND, "  and its criteria apply");
	sm_answer_free(&ans);
	sm_switch_free(sw);
	unlink(path);

	log_reset();
	sw = sm_switch_open(c, types);
	is_str(chain_names(sm_switch_chain(sw, "aliases"), names, sizeof(names)), "files",
	       "a missing ServiceSwitchFile means defaults");
	is_int((long)logs.count, 0, "  and is not logged");
	sm_switch_free(sw);
	log_reset();

	config_set(c, "ServiceSwitchFile", test_dir);
	sw = sm_switch_open(c, types);
	is_str(chain_names(sm_switch_chain(sw, "aliases"), names, sizeof(names)), "files",
	       "an unreadable ServiceSwitchFile means defaults");
	snprintf(path, sizeof(path), "%s: %s; every database uses its default", test_dir, strerror(EISDIR));
	ok(logs.count == 1 && strcmp(logs.msg[0], path) == 0,
	   "  and is logged: FILE: reason; every database uses its default");
	sm_switch_free(sw);
	log_reset();
	sm_config_free(c);
}

/* ms_since - milliseconds elapsed since t0 (CLOCK_MONOTONIC) */
static double ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* test_delay - TRYAGAIN@50 answers after at least 50 ms */
static void test_delay(void)
{
	struct sm_switch *sw = new_switch(cf, "aliases: test1");
	struct sm_trace tr = SM_TRACE_INIT;
	struct sm_answer ans;
	struct timespec t0;
	enum sm_status st;
	double ms;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	st = sm_switch_lookup(sw, "aliases", "slow", 4, &ans, &tr);
	ms = ms_since(&t0);
	is_int(st, SM_TRYAGAIN, "TRYAGAIN@50: status TRYAGAIN");
	is_str(ans.reason, "slow answer", "  reason is the rest of the line");
	if (!ok(ms >= 50.0, "  took at least 50 ms"))
		diag("took %.3f ms", ms);
	ok(tr.count == 1 && tr.e[0].ms >= 50.0, "  the trace records the time taken");
	sm_answer_free(&ans);
	sm_trace_free(&tr);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	sm_switch_lookup(sw, "aliases", "n", 1, &ans, NULL);
	ms = ms_since(&t0);
	if (!ok(ms < 50.0, "an undelayed answer takes less than 50 ms"))
		diag("took %.3f ms", ms);
	sm_answer_free(&ans);
	sm_switch_free(sw);
}

int main(void)
{
	const char *path;

	sm_log_sink(log_capture, NULL);
	if (test_dir_make("/tmp/t_switch.XXXXXX") < 0) {
		ok(0, "mkdtemp: %s", strerror(errno));
		return done_testing();
	}
	path = in_dir("fixture");
	if (!ok(write_file(path, fixture, 0644) == 0, "write the TestSourceFile"))
		return done_testing();
	cf = sm_config_new();
	is_int(config_set(cf, "TestSourceFile", path), 0, "set TestSourceFile");

	test_criteria();
	test_chains();
	test_unavail_logged_once();
	test_trace_fields();
	test_keys();
	test_case_folding();
	test_defaults();
	test_no_fixture();
	test_switch_open();
	test_delay();

	sm_config_free(cf);
	test_dir_remove();
	sm_log_sink(NULL, NULL);
	log_reset();
	return done_testing();
}
