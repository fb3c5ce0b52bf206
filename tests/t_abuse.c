/*
 * tests/t_abuse.c - unit tests of the anti-abuse bookkeeping (server/abuse.h)
 *
 * DESCRIPTION
 *	With a fake clock (plain time_t values): connection counting over a
 *	short window (exact) and a long one (slots, never shorter), expiry,
 *	bounded memory with eviction of the oldest client, the rejection log
 *	limiter (once per interval per key, bounded), the per-client policy
 *	(settings as defaults, GreetPause:/ClientRate:/ClientConn: access
 *	entries, the RFC 5321 cap, trusted clients) and the greet pause
 *	replies. Output is TAP (tests/tap.h).
 *
 *	Who frees what: each object is freed with sm_abuse_free(); the
 *	temporary directory (for the access map) is removed at the end.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/cfg.h"
#include "lib/mem.h"
#include "lib/table.h"
#include "router/access.h"
#include "server/abuse.h"
#include "tests/tap.h"
#include "tests/testutil.h"

/* new_abuse - an object with these limits */
static struct sm_abuse *new_abuse(long window, long interval, size_t clients, size_t keys)
{
	struct sm_abuse_limits lim = {
		.window = window, .log_interval = interval, .max_clients = clients, .max_keys = keys
	};

	return sm_abuse_new(&lim);
}

/* test_short_window - a 10 s window counts exactly */
static void test_short_window(void)
{
	struct sm_abuse *ab = new_abuse(10, 60, 100, 100);
	time_t t0 = 1000000;

	is_int((long)sm_abuse_connect(ab, "192.0.2.1", t0), 1, "rate: first connection counts 1");
	is_int((long)sm_abuse_connect(ab, "192.0.2.1", t0), 2, "rate: second in the same second");
	is_int((long)sm_abuse_connect(ab, "192.0.2.1", t0 + 5), 3, "rate: third 5 s later");
	is_int((long)sm_abuse_connect(ab, "192.0.2.2", t0 + 5), 1, "rate: another client counts apart");
	is_int((long)sm_abuse_rate(ab, "192.0.2.1", t0 + 9), 3, "rate: all three within 10 s");
	is_int((long)sm_abuse_rate(ab, "192.0.2.1", t0 + 10), 1,
	       "rate: the first two left the window at 10 s");
	is_int((long)sm_abuse_rate(ab, "192.0.2.1", t0 + 14), 1, "rate: the third still in at 14 s");
	is_int((long)sm_abuse_rate(ab, "192.0.2.1", t0 + 15), 0, "rate: nothing left at 15 s");
	is_int((long)sm_abuse_connect(ab, "192.0.2.1", t0 + 100), 1, "rate: a new burst starts from 1");
	is_int((long)sm_abuse_rate(ab, "198.51.100.1", t0), 0, "rate: unknown client 0");
	is_int((long)sm_abuse_clients(ab), 2, "rate: two clients held");
	sm_abuse_expire(ab, t0 + 100 + 10);
	is_int((long)sm_abuse_clients(ab), 1, "expire: the idle client is forgotten");
	sm_abuse_expire(ab, t0 + 200);
	is_int((long)sm_abuse_clients(ab), 0, "expire: all forgotten");
	is_int((long)sm_abuse_connect(ab, NULL, t0), 1, "rate: NULL ip does not crash");
	is_int((long)sm_abuse_connect(ab, "", t0), 2, "rate: empty ip is the same key");
	sm_abuse_free(ab);
}

/* test_long_window - a 60 s window: slots of 4 s, never shorter than the window */
static void test_long_window(void)
{
	struct sm_abuse *ab = new_abuse(60, 60, 100, 100);
	time_t t0 = 2000000; /* a multiple of 4 */
	unsigned long n = 0;
	int i;

	for (i = 0; i < 60; i++)
		n = sm_abuse_connect(ab, "192.0.2.9", t0 + i);
	is_int((long)n, 60, "long window: one a second for 60 s counts 60");
	is_int((long)sm_abuse_rate(ab, "192.0.2.9", t0 + 59), 60, "long window: still 60 at the last second");
	ok(sm_abuse_rate(ab, "192.0.2.9", t0 + 61) >= 59, "long window: a connection 59 s old still counts");
	is_int((long)sm_abuse_rate(ab, "192.0.2.9", t0 + 60 + 64), 0,
	       "long window: all gone after window + slot");
	ok(sm_abuse_rate_exceeded(6, 5), "exceeded: 6 > 5");
	ok(!sm_abuse_rate_exceeded(5, 5), "exceeded: 5 is not over 5");
	ok(!sm_abuse_rate_exceeded(1000, 0), "exceeded: 0 is no limit");
	sm_abuse_free(ab);
}

/* test_bounded - the client table never grows past its cap; the oldest goes */
static void test_bounded(void)
{
	struct sm_abuse *ab = new_abuse(60, 60, 8, 4);
	char ip[32];
	time_t t0 = 3000000;
	int i;

	for (i = 0; i < 1000; i++) {
		snprintf(ip, sizeof(ip), "10.0.%d.%d", i / 256, i % 256);
		sm_abuse_connect(ab, ip, t0 + i / 100);
	}
	is_int((long)sm_abuse_clients(ab), 8, "bounded: 1000 clients, 8 held");
	is_int((long)sm_abuse_rate(ab, "10.0.3.231", t0 + 9), 1, "bounded: the newest is held");
	is_int((long)sm_abuse_rate(ab, "10.0.0.0", t0 + 9), 0, "bounded: the oldest was evicted");
	/* a busy client stays while others churn */
	sm_abuse_connect(ab, "192.0.2.77", t0 + 10);
	for (i = 0; i < 20; i++) {
		snprintf(ip, sizeof(ip), "10.1.0.%d", i);
		sm_abuse_connect(ab, ip, t0 + 10);
		if (i % 4 == 0)
			sm_abuse_connect(ab, "192.0.2.77", t0 + 10);
	}
	is_int((long)sm_abuse_rate(ab, "192.0.2.77", t0 + 10), 6, "bounded: a busy client is not evicted");
	for (i = 0; i < 100; i++) {
		snprintf(ip, sizeof(ip), "key %d", i);
		sm_abuse_should_log(ab, ip, t0);
	}
	is_int((long)sm_abuse_log_keys(ab), 4, "bounded: 100 log keys, 4 held");
	{
		char *big = sm_malloc(100000);

		memset(big, 'y', 99999);
		big[99999] = '\0';
		is_int((long)sm_abuse_connect(ab, big, t0 + 11), 1,
		       "bounded: a huge key is cut, not copied whole");
		is_int((long)sm_abuse_connect(ab, big, t0 + 11), 2, "bounded: the cut key is found again");
		free(big);
	}
	sm_abuse_free(ab);
}

/* test_log_limiter - once per interval per key */
static void test_log_limiter(void)
{
	struct sm_abuse *ab = new_abuse(60, 3 * 3600, 100, 100);
	time_t t0 = 4000000;

	is_int(sm_abuse_should_log(ab, "rate 192.0.2.1", t0), 1, "log: first time logged");
	is_int(sm_abuse_should_log(ab, "rate 192.0.2.1", t0 + 1), 0, "log: not again a second later");
	is_int(sm_abuse_should_log(ab, "rate 192.0.2.2", t0 + 1), 1, "log: another key is logged");
	is_int(sm_abuse_should_log(ab, "rate 192.0.2.1", t0 + 3 * 3600 - 1), 0, "log: not before 3h");
	is_int(sm_abuse_should_log(ab, "rate 192.0.2.1", t0 + 3 * 3600), 1, "log: again after 3h");
	is_int(sm_abuse_should_log(ab, "rate 192.0.2.1", t0 + 3 * 3600 + 5), 0, "log: and then quiet again");
	is_int(sm_abuse_should_log(ab, "rate 192.0.2.1", t0 - 100), 1, "log: a clock that went back logs");
	is_int(sm_abuse_should_log(ab, NULL, t0), 1, "log: NULL key does not crash");
	sm_abuse_expire(ab, t0 + 4 * 3600);
	is_int((long)sm_abuse_log_keys(ab), 0, "log: expired keys are dropped");
	sm_abuse_free(ab);
	ab = new_abuse(60, 0, 100, 100);
	is_int(sm_abuse_should_log(ab, "k", t0), 1, "log: interval 0 logs");
	is_int(sm_abuse_should_log(ab, "k", t0), 1, "log: interval 0 logs every time");
	sm_abuse_free(ab);
}

/* test_config - the settings and their defaults */
static void test_config(struct sm_config *cf)
{
	struct sm_abuse_limits lim;

	sm_abuse_limits_config(cf, &lim);
	is_int(lim.window, 60, "config: ConnectionRateWindowSize 60 s");
	is_int(lim.log_interval, 3 * 3600, "config: RejectLogInterval 3h");
	is_int(sm_config_int(cf, "GreetPauseMs"), 0, "config: GreetPauseMs off");
	is_int(sm_config_int(cf, "ClientRate"), 0, "config: ClientRate off");
	config_set(cf, "ConnectionRateWindowSize", "2m");
	sm_abuse_limits_config(cf, &lim);
	is_int(lim.window, 120, "config: window 2m");
}

/* make_access - DIR/access.lmdb with per-client entries; the base name (caller frees) */
static char *make_access(void)
{
	static const struct sm_kv kv[] = {
		{ "clientconn:10.9.9.9", 19, "2", 1, 0 },
		{ "clientrate:10.9", 15, "5", 1, 1 },
		{ "greetpause:", 11, "1000", 4, 2 },
		{ "greetpause:10.1.2", 17, "0", 1, 3 },
		{ "greetpause:big.example", 22, "900000", 6, 4 },
		{ "greetpause:bad.example", 22, "x", 1, 5 },
		{ "greetpause:slow.example", 23, "5000", 4, 6 },
	};
	struct sm_kv sorted[sizeof(kv) / sizeof(kv[0])];
	struct sm_buf err = SM_BUF_INIT;
	char *base = sm_asprintf("%s/access", test_dir), *path = sm_asprintf("%s.lmdb", base);

	memcpy(sorted, kv, sizeof(kv));
	sm_kv_sort(sorted, sizeof(kv) / sizeof(kv[0]));
	if (sm_table_write(path, sorted, sizeof(kv) / sizeof(kv[0]), &err) < 0)
		diag("cannot write %s: %s", path, sm_buf_str(&err));
	sm_buf_free(&err);
	free(path);
	return base;
}

/* test_policy - settings as defaults, access entries per client */
static void test_policy(struct sm_config *cf)
{
	struct sm_buf err = SM_BUF_INIT;
	struct sm_client_policy p;
	struct sm_access *a;
	char *base = make_access();

	config_set(cf, "GreetPauseMs", "250");
	config_set(cf, "ClientRate", "30");
	config_set(cf, "ClientConnectionLimit", "7");
	sm_abuse_policy(cf, NULL, "192.0.2.1", NULL, 0, &p);
	ok(p.greet_pause_ms == 250 && p.rate == 30 && p.conn == 7 && !p.tempfail,
	   "policy: the settings without an access database");
	a = sm_access_open_path(base, &err);
	sm_abuse_policy(cf, a, "192.0.2.1", "mx.slow.example", 0, &p);
	ok(p.greet_pause_ms == 5000 && p.rate == 30 && p.conn == 7, "policy: GreetPause: by host name");
	sm_abuse_policy(cf, a, "192.0.2.1", NULL, 0, &p);
	is_int(p.greet_pause_ms, 1000, "policy: the bare GreetPause: beats the setting");
	sm_abuse_policy(cf, a, "10.1.2.3", NULL, 0, &p);
	is_int(p.greet_pause_ms, 0, "policy: GreetPause: 0 exempts a subnet");
	sm_abuse_policy(cf, a, "10.9.9.9", NULL, 0, &p);
	ok(p.rate == 5 && p.conn == 2, "policy: ClientRate: and ClientConn:");
	sm_abuse_policy(cf, a, "10.9.1.1", NULL, 0, &p);
	ok(p.rate == 5 && p.conn == 7, "policy: ClientConn: default from ClientConnectionLimit");
	sm_abuse_policy(cf, a, "192.0.2.1", "big.example", 0, &p);
	is_int(p.greet_pause_ms, SM_ABUSE_GREET_PAUSE_MAX, "policy: the pause is capped at 300 s");
	sm_abuse_policy(cf, a, "192.0.2.1", "slow.example", 1, &p);
	is_int(p.greet_pause_ms, 0, "policy: no pause for a trusted client");
	log_reset();
	sm_log_sink(log_capture, NULL);
	sm_abuse_policy(cf, a, "192.0.2.1", "bad.example", 0, &p);
	ok(p.tempfail && p.greet_pause_ms == 250, "policy: a bad entry keeps the setting, says tempfail");
	ok(log_has("not a number") >= 0, "policy: the bad entry is logged");
	sm_log_sink(NULL, NULL);
	log_reset();
	sm_access_close(a);
	free(base);
	sm_buf_free(&err);
}

/* test_greet - the replies to a client that talks first */
static void test_greet(void)
{
	char *g = sm_abuse_pregreet_greeting("mx.example.org");

	is_str(g, "554 mx.example.org ESMTP not accepting messages", "greet: refused greeting");
	free(g);
	g = sm_abuse_pregreet_greeting(NULL);
	is_str(g, "554 localhost ESMTP not accepting messages", "greet: no host name");
	free(g);
	is_str(SM_ABUSE_PREGREET_REPLY, "550 5.0.0 Command rejected", "greet: later commands");
	is_str(SM_ABUSE_RATE_REPLY, "421 4.3.2 Connection rate limit exceeded.", "rate reply");
	is_str(SM_ABUSE_CONN_REPLY, "421 4.3.2 Too many open connections.", "conn reply");
}

int main(void)
{
	struct sm_config *cf;

	if (test_dir_make("/tmp/t_abuse.XXXXXX") < 0) {
		printf("Bail out! cannot make a temporary directory\n");
		return 1;
	}
	test_short_window();
	test_long_window();
	test_bounded();
	test_log_limiter();
	cf = sm_config_new();
	test_config(cf);
	test_policy(cf);
	sm_config_free(cf);
	test_greet();
	test_dir_remove();
	return done_testing();
}
