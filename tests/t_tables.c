/*
 * tests/t_tables.c - unit tests of the routing tables: maps, virtusertable, mailertable, classes
 *
 * DESCRIPTION
 *	Builds tables with sm_table_write() (lib/table.h) in a mkdtemp()
 *	directory, as makemap would (keys folded, sorted with sm_kv_sort()),
 *	and checks router/tables.h against them, table-driven: every step of
 *	sendmail's virtusertable order and its %1/%2/%3 substitutions, error:
 *	values (reply, DSN, text, exit code), @domain catch-alls and case
 *	folding; the mailertable order (exact host, parent domains, "."), %0,
 *	%1, %2, bracketed hosts, local:, error: and malformed values; absent
 *	and broken maps (the failure logged once, captured with sm_log_sink);
 *	makemap -N and -f tables; and classes (relay-domains with subdomain
 *	matching, local-host-names exact). Each case checks the status as well
 *	as the values. Output is TAP (tests/tap.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/table.h"
#include "router/tables.h"
#include "tests/tap.h"
#include "tests/testutil.h"

struct pair {
	const char *key;
	const char *val;
};

/* log_show - log sink: capture the message (log_capture), show it as a comment */
static void log_show(int prio, const char *msg, void *ctx)
{
	log_capture(prio, msg, ctx);
	diag("logged: %s", msg);
}

/* make_table - write DIR/name.lmdb from pairs (keys with an explicit length: -N tables); caller frees */
static char *make_table(const char *name, const struct pair *p, size_t n, int inclnull)
{
	struct sm_kv *kv = sm_calloc(n ? n : 1, sizeof(*kv));
	struct sm_buf err = SM_BUF_INIT;
	char *path = sm_asprintf("%s/%s.lmdb", test_dir, name);
	size_t i;

	for (i = 0; i < n; i++) {
		kv[i].key = p[i].key;
		kv[i].klen = strlen(p[i].key) + (inclnull ? 1 : 0);
		kv[i].val = p[i].val;
		kv[i].vlen = strlen(p[i].val) + (inclnull ? 1 : 0);
		kv[i].seq = i;
	}
	sm_kv_sort(kv, n);
	if (sm_table_write(path, kv, n, &err) < 0)
		diag("cannot write %s: %s", path, sm_buf_str(&err));
	sm_buf_free(&err);
	free(kv);
	return path;
}

static const struct pair virt[] = {
	/* every step of the order for d1.test */
	{ "a+x@d1.test", "s1-%1-%2-%3" },
	{ "a++@d1.test", "s2-%1-%2-%3" },
	{ "a+*@d1.test", "s3-%1-%2-%3" },
	{ "a@d1.test", "s4-%1-%2-%3" },
	{ "++@d1.test", "s5-%1-%2-%3" },
	{ "+*@d1.test", "s6-%1-%2-%3" },
	{ "@d1.test", "s7-%1-%2-%3" },
	/* fewer steps elsewhere */
	{ "a+*@d2.test", "t3" },
	{ "a@d2.test", "t4" },
	{ "@d2.test", "t7" },
	{ "a@d3.test", "u4-%1-%2-%3" },
	{ "+*@d3.test", "u6" },
	{ "@d3.test", "u7" },
	{ "++@d4.test", "v5" },
	{ "@d4.test", "v7-%1" },
	/* cf/README's examples */
	{ "info@example.com", "  jun  " },
	{ "@foo.org", "%1@example.com" },
	{ "@bar.org", "%1%3@example.net" },
	{ "joe@bar.com", "error:nouser 550 No such user here" },
	{ "bad@bar.com", "error:5.7.0:550 Address invalid" },
	{ "tmp@bar.com", "error:tempfail 451 try later" },
	{ "full@bar.com", "ERROR:4.2.2:450 mailbox full" },
	{ "subst@bar.com", "error:nouser 550 %0 unknown" },
	{ "pct@bar.com", "100%%-%x-%9-%" },
};

struct virt_case {
	const char *name;
	const char *user, *detail;
	int has_detail;
	const char *domain;
	enum sm_tbl_status status;
	const char *key;
	const char *addr;
};

static const struct virt_case virt_cases[] = {
	{ .name = "1 user+detail@domain first",
	  .user = "a",
	  .detail = "x",
	  .has_detail = 1,
	  .domain = "d1.test",
	  .status = SM_TBL_FOUND,
	  .key = "a+x@d1.test",
	  .addr = "s1-a+x--" },
	{ .name = "2 user++@domain for a non-empty detail",
	  .user = "a",
	  .detail = "y",
	  .has_detail = 1,
	  .domain = "d1.test",
	  .status = SM_TBL_FOUND,
	  .key = "a++@d1.test",
	  .addr = "s2-a-y-+y" },
	{ .name = "3 user+*@domain for an empty detail (not user++)",
	  .user = "a",
	  .detail = "",
	  .has_detail = 1,
	  .domain = "d1.test",
	  .status = SM_TBL_FOUND,
	  .key = "a+*@d1.test",
	  .addr = "s3-a--+" },
	{ .name = "3 user+*@domain when there is no user++",
	  .user = "a",
	  .detail = "y",
	  .has_detail = 1,
	  .domain = "d2.test",
	  .status = SM_TBL_FOUND,
	  .key = "a+*@d2.test",
	  .addr = "t3" },
	{ .name = "4 user@domain for user+detail",
	  .user = "a",
	  .detail = "y",
	  .has_detail = 1,
	  .domain = "d3.test",
	  .status = SM_TBL_FOUND,
	  .key = "a@d3.test",
	  .addr = "u4-a-y-+y" },
	{ .name = "4 user@domain for user+ (empty detail)",
	  .user = "a",
	  .detail = "",
	  .has_detail = 1,
	  .domain = "d3.test",
	  .status = SM_TBL_FOUND,
	  .key = "a@d3.test",
	  .addr = "u4-a--+" },
	{ .name = "5 ++@domain for another user",
	  .user = "b",
	  .detail = "y",
	  .has_detail = 1,
	  .domain = "d1.test",
	  .status = SM_TBL_FOUND,
	  .key = "++@d1.test",
	  .addr = "s5-b-y-+y" },
	{ .name = "6 user+@dom matches +*@dom, not ++@dom",
	  .user = "b",
	  .detail = "",
	  .has_detail = 1,
	  .domain = "d1.test",
	  .status = SM_TBL_FOUND,
	  .key = "+*@d1.test",
	  .addr = "s6-b--+" },
	{ .name = "6 +*@domain after user@domain",
	  .user = "b",
	  .detail = "y",
	  .has_detail = 1,
	  .domain = "d3.test",
	  .status = SM_TBL_FOUND,
	  .key = "+*@d3.test",
	  .addr = "u6" },
	{ .name = "7 user+@dom skips ++@dom and reaches @dom",
	  .user = "b",
	  .detail = "",
	  .has_detail = 1,
	  .domain = "d4.test",
	  .status = SM_TBL_FOUND,
	  .key = "@d4.test",
	  .addr = "v7-b" },
	{ .name = "5 ++@dom for a detail",
	  .user = "b",
	  .detail = "y",
	  .has_detail = 1,
	  .domain = "d4.test",
	  .status = SM_TBL_FOUND,
	  .key = "++@d4.test",
	  .addr = "v5" },
	{ .name = "7 @domain with %1 %2 %3",
	  .user = "c",
	  .detail = "z",
	  .has_detail = 1,
	  .domain = "d2.test",
	  .status = SM_TBL_FOUND,
	  .key = "@d2.test",
	  .addr = "t7" },
	{ .name = "plain user@domain",
	  .user = "a",
	  .has_detail = 0,
	  .domain = "d1.test",
	  .status = SM_TBL_FOUND,
	  .key = "a@d1.test",
	  .addr = "s4-a--" },
	{ .name = "plain: then @domain with %1 only",
	  .user = "b",
	  .has_detail = 0,
	  .domain = "d1.test",
	  .status = SM_TBL_FOUND,
	  .key = "@d1.test",
	  .addr = "s7-b--" },
	{ .name = "plain: no +* for an address without +",
	  .user = "b",
	  .has_detail = 0,
	  .domain = "d3.test",
	  .status = SM_TBL_FOUND,
	  .key = "@d3.test",
	  .addr = "u7" },
	{ .name = "value trimmed",
	  .user = "info",
	  .domain = "example.com",
	  .status = SM_TBL_FOUND,
	  .key = "info@example.com",
	  .addr = "jun" },
	{ .name = "keys folded",
	  .user = "INFO",
	  .domain = "Example.COM",
	  .status = SM_TBL_FOUND,
	  .key = "info@example.com",
	  .addr = "jun" },
	{ .name = "trailing dot of the domain",
	  .user = "info",
	  .domain = "example.com.",
	  .status = SM_TBL_FOUND,
	  .key = "info@example.com",
	  .addr = "jun" },
	{ .name = "@domain catch-all keeps the user's case",
	  .user = "Kim",
	  .domain = "FOO.org",
	  .status = SM_TBL_FOUND,
	  .key = "@foo.org",
	  .addr = "Kim@example.com" },
	{ .name = "@domain catch-all, %1 is the user without detail",
	  .user = "kim",
	  .detail = "lists",
	  .has_detail = 1,
	  .domain = "foo.org",
	  .status = SM_TBL_FOUND,
	  .key = "@foo.org",
	  .addr = "kim@example.com" },
	{ .name = "%1%3 keeps +detail",
	  .user = "kim",
	  .detail = "lists",
	  .has_detail = 1,
	  .domain = "bar.org",
	  .status = SM_TBL_FOUND,
	  .key = "@bar.org",
	  .addr = "kim+lists@example.net" },
	{ .name = "%1%3 without detail",
	  .user = "kim",
	  .domain = "bar.org",
	  .status = SM_TBL_FOUND,
	  .key = "@bar.org",
	  .addr = "kim@example.net" },
	{ .name = "%% and unknown % sequences",
	  .user = "pct",
	  .domain = "bar.com",
	  .status = SM_TBL_FOUND,
	  .key = "pct@bar.com",
	  .addr = "100%-%x--%" },
	{ .name = "no entry at all", .user = "nobody", .domain = "nowhere.test", .status = SM_TBL_NOTFOUND },
	{ .name = "no user entry and no catch-all",
	  .user = "zz",
	  .detail = "q",
	  .has_detail = 1,
	  .domain = "example.com",
	  .status = SM_TBL_NOTFOUND },
	{ .name = "a subdomain is another domain",
	  .user = "x",
	  .domain = "sub.foo.org",
	  .status = SM_TBL_NOTFOUND },
};

struct err_case {
	const char *name;
	const char *user, *domain;
	int reply;
	const char *dsn, *text;
	int exitcode;
};

static const struct err_case err_cases[] = {
	{ "error:nouser 550 text", "joe", "bar.com", 550, "5.1.1", "No such user here", EX_NOUSER },
	{ "error:D.S.N:NNN text", "bad", "bar.com", 550, "5.7.0", "Address invalid", EX_DATAERR },
	{ "error:tempfail 451", "tmp", "bar.com", 451, "4.0.0", "try later", EX_TEMPFAIL },
	{ "ERROR: in capitals, class 4 DSN", "full", "bar.com", 450, "4.2.2", "mailbox full", EX_TEMPFAIL },
	{ "%0 in an error text", "SUBST", "bar.com", 550, "5.1.1", "subst@bar.com unknown", EX_NOUSER },
};

struct perr_case {
	const char *value;
	int reply;
	const char *dsn, *text;
	int exitcode;
};

static const struct perr_case perr_cases[] = {
	{ "error:nouser", 553, "5.1.1", "User unknown", EX_NOUSER },
	{ "error:550 go away", 550, "5.0.0", "go away", EX_UNAVAILABLE },
	{ "error:go away", 553, "5.3.0", "go away", EX_UNAVAILABLE },
	{ "error:nohost:no such host", 553, "5.1.2", "no such host", EX_NOHOST },
	{ "error:5.1.1:\"550 User unknown here\"", 550, "5.1.1", "User unknown here", EX_NOUSER },
	{ "error:550 5.7.1 denied", 550, "5.7.1", "denied", EX_DATAERR },
	{ "error:Sorry: closed", 553, "5.0.0", "closed", EX_UNAVAILABLE },
	{ "error:config 554 broken", 554, "5.3.5", "broken", EX_CONFIG },
	{ "error:4.3.0:try later", 450, "4.3.0", "try later", EX_TEMPFAIL },
	{ "error:User unknown", 553, "5.3.0", "User unknown", EX_UNAVAILABLE },
};

/* test_virtuser - the virtusertable order, substitutions and error: values */
static void test_virtuser(void)
{
	char *path = make_table("virtusertable", virt, sizeof(virt) / sizeof(virt[0]), 0);
	struct sm_map *m = sm_map_open("virtusertable", path, 0);
	struct sm_virt_result r;
	struct sm_tbl_error e;
	size_t i;

	is_int(sm_map_state(m), SM_SUCCESS, "virtusertable opens");
	for (i = 0; i < sizeof(virt_cases) / sizeof(virt_cases[0]); i++) {
		const struct virt_case *c = &virt_cases[i];
		enum sm_tbl_status st =
		    sm_virtuser_lookup(m, c->user, c->detail ? c->detail : "", c->has_detail, c->domain, &r);

		if (c->status == SM_TBL_FOUND) {
			ok(st == SM_TBL_FOUND && r.status == st && r.key && strcmp(r.key, c->key) == 0 &&
			       r.addr && strcmp(r.addr, c->addr) == 0,
			   "virtuser %s: %s%s%s@%s -> %s", c->name, c->user, c->has_detail ? "+" : "",
			   c->detail ? c->detail : "", c->domain, c->addr);
			if (st != SM_TBL_FOUND || strcmp(r.addr, c->addr) != 0 || strcmp(r.key, c->key) != 0)
				diag("got status %d key %s addr %s", (int)st, r.key ? r.key : "(null)",
				     r.addr ? r.addr : "(null)");
		} else {
			ok(st == c->status && r.addr == NULL && r.key == NULL, "virtuser %s: status %d",
			   c->name, (int)c->status);
		}
		sm_virt_result_free(&r);
	}
	for (i = 0; i < sizeof(err_cases) / sizeof(err_cases[0]); i++) {
		const struct err_case *c = &err_cases[i];
		enum sm_tbl_status st = sm_virtuser_lookup(m, c->user, "", 0, c->domain, &r);

		if (!ok(st == SM_TBL_ERROR && r.addr == NULL && r.err.reply == c->reply &&
		            strcmp(r.err.dsn, c->dsn) == 0 && r.err.text &&
		            strcmp(r.err.text, c->text) == 0 && r.err.exitcode == c->exitcode,
		        "virtuser %s: %d %s %s (exit %d)", c->name, c->reply, c->dsn, c->text, c->exitcode) &&
		    st == SM_TBL_ERROR)
			diag("got %d %s \"%s\" exit %d", r.err.reply, r.err.dsn, r.err.text, r.err.exitcode);
		sm_virt_result_free(&r);
	}
	for (i = 0; i < sizeof(perr_cases) / sizeof(perr_cases[0]); i++) {
		const struct perr_case *c = &perr_cases[i];
		int rc = sm_tbl_error_parse(c->value, &e);

		if (!ok(rc == 1 && e.reply == c->reply && strcmp(e.dsn, c->dsn) == 0 &&
		            strcmp(e.text, c->text) == 0 && e.exitcode == c->exitcode,
		        "error parse %s -> %d %s %s (exit %d)", c->value, c->reply, c->dsn, c->text,
		        c->exitcode) &&
		    rc == 1)
			diag("got %d %s \"%s\" exit %d", e.reply, e.dsn, e.text, e.exitcode);
		sm_tbl_error_free(&e);
	}
	is_int(sm_tbl_error_parse("jun@example.com", &e), 0, "an address is not an error: value");
	is_int(sm_tbl_error_parse("errors@example.com", &e), 0, "nor is errors@...");
	sm_map_close(m);
	free(path);
}

static const struct pair mt[] = {
	{ "exact.example.com", "esmtp:mx.exact.example.com" },
	{ ".example.com", "relay:smart.example.com" },
	{ ".sub.example.com", "smtp:[10.0.0.1]" },
	{ ".my.domain", "xnet:%1.my.domain" },
	{ ".pct.test", "smtp:h-%2%0" },
	{ "zero.test", "esmtp:%0-%1-x" },
	{ "mailbox.test", "esmtp:postmaster@hub.test" },
	{ "loc.test", "local:" },
	{ "loc2.test", "local:jun" },
	{ "loc3.test", "LOCAL:kim@elsewhere.test" },
	{ "bad.test", "error:nohost:no such host" },
	{ "bad2.test", "error:5.1.2:550 Host unknown here" },
	{ "bare.test", "relayhost.example.net" },
	{ "barebr.test", "[192.0.2.7]" },
	{ "trail.test", "esmtp:t.example.net" },
	{ "[192.0.2.1]", "esmtp:[192.0.2.99]" },
	{ "malformed.test", "esmtp:" },
	{ "malf2.test", "esmtp:[unclosed" },
	{ ".", "smarthost:%1.via.example.net" },
};

struct mt_case {
	const char *name;
	const char *host;
	enum sm_tbl_status status;
	const char *key, *mailer, *rhost, *user;
	int no_mx;
};

static const struct mt_case mt_cases[] = {
	{ .name = "the exact host",
	  .host = "exact.example.com",
	  .status = SM_TBL_FOUND,
	  .key = "exact.example.com",
	  .mailer = "esmtp",
	  .rhost = "mx.exact.example.com" },
	{ .name = "a host under an exact entry uses the parent",
	  .host = "MiXeD.eXaCt.example.com",
	  .status = SM_TBL_FOUND,
	  .key = ".example.com",
	  .mailer = "relay",
	  .rhost = "smart.example.com" },
	{ .name = "exact, folded",
	  .host = "EXACT.Example.COM",
	  .status = SM_TBL_FOUND,
	  .key = "exact.example.com",
	  .mailer = "esmtp",
	  .rhost = "mx.exact.example.com" },
	{ .name = "a parent domain",
	  .host = "a.exact.example.com",
	  .status = SM_TBL_FOUND,
	  .key = ".example.com",
	  .mailer = "relay",
	  .rhost = "smart.example.com" },
	{ .name = "the most specific parent first",
	  .host = "x.sub.example.com",
	  .status = SM_TBL_FOUND,
	  .key = ".sub.example.com",
	  .mailer = "smtp",
	  .rhost = "10.0.0.1",
	  .no_mx = 1 },
	{ .name = "a deeper host under the specific parent",
	  .host = "a.b.sub.example.com",
	  .status = SM_TBL_FOUND,
	  .key = ".sub.example.com",
	  .mailer = "smtp",
	  .rhost = "10.0.0.1",
	  .no_mx = 1 },
	{ .name = "the domain itself does not match .domain",
	  .host = "example.com",
	  .status = SM_TBL_FOUND,
	  .key = ".",
	  .mailer = "smarthost",
	  .rhost = "example.com.via.example.net" },
	{ .name = "%1 for a.my.domain is a",
	  .host = "a.my.domain",
	  .status = SM_TBL_FOUND,
	  .key = ".my.domain",
	  .mailer = "xnet",
	  .rhost = "a.my.domain" },
	{ .name = "%1 for x.a.my.domain is x.a",
	  .host = "x.a.my.domain",
	  .status = SM_TBL_FOUND,
	  .key = ".my.domain",
	  .mailer = "xnet",
	  .rhost = "x.a.my.domain" },
	{ .name = "user@my.domain does not match .my.domain",
	  .host = "my.domain",
	  .status = SM_TBL_FOUND,
	  .key = ".",
	  .mailer = "smarthost",
	  .rhost = "my.domain.via.example.net" },
	{ .name = "%2 is the last stripped label, %0 the key",
	  .host = "a.b.pct.test",
	  .status = SM_TBL_FOUND,
	  .key = ".pct.test",
	  .mailer = "smtp",
	  .rhost = "h-b.pct.test" },
	{ .name = "%0 in an exact match, %1 empty",
	  .host = "zero.test",
	  .status = SM_TBL_FOUND,
	  .key = "zero.test",
	  .mailer = "esmtp",
	  .rhost = "zero.test--x" },
	{ .name = "mailer:user@host forces the recipient",
	  .host = "mailbox.test",
	  .status = SM_TBL_FOUND,
	  .key = "mailbox.test",
	  .mailer = "esmtp",
	  .rhost = "hub.test",
	  .user = "postmaster@hub.test" },
	{ .name = "local: keeps the user",
	  .host = "loc.test",
	  .status = SM_TBL_FOUND,
	  .key = "loc.test",
	  .mailer = "local" },
	{ .name = "local:user",
	  .host = "loc2.test",
	  .status = SM_TBL_FOUND,
	  .key = "loc2.test",
	  .mailer = "local",
	  .user = "jun" },
	{ .name = "LOCAL:user@host ignores the host",
	  .host = "loc3.test",
	  .status = SM_TBL_FOUND,
	  .key = "loc3.test",
	  .mailer = "local",
	  .user = "kim" },
	{ .name = "a bare host uses the relay mailer",
	  .host = "bare.test",
	  .status = SM_TBL_FOUND,
	  .key = "bare.test",
	  .mailer = "relay",
	  .rhost = "relayhost.example.net" },
	{ .name = "a bare [host] is not looked up in MX",
	  .host = "barebr.test",
	  .status = SM_TBL_FOUND,
	  .key = "barebr.test",
	  .mailer = "relay",
	  .rhost = "192.0.2.7",
	  .no_mx = 1 },
	{ .name = "trailing dot stripped",
	  .host = "trail.test.",
	  .status = SM_TBL_FOUND,
	  .key = "trail.test",
	  .mailer = "esmtp",
	  .rhost = "t.example.net" },
	{ .name = "a literal is looked up exactly",
	  .host = "[192.0.2.1]",
	  .status = SM_TBL_FOUND,
	  .key = "[192.0.2.1]",
	  .mailer = "esmtp",
	  .rhost = "192.0.2.99",
	  .no_mx = 1 },
	{ .name = "another literal is not found (no dot walk)",
	  .host = "[192.0.2.2]",
	  .status = SM_TBL_NOTFOUND },
	{ .name = "\".\" catches the rest, %1 the whole host",
	  .host = "other.net",
	  .status = SM_TBL_FOUND,
	  .key = ".",
	  .mailer = "smarthost",
	  .rhost = "other.net.via.example.net" },
	{ .name = "a one-label host reaches \".\"",
	  .host = "localhost",
	  .status = SM_TBL_FOUND,
	  .key = ".",
	  .mailer = "smarthost",
	  .rhost = "localhost.via.example.net" },
	{ .name = "mailer: with no host defers", .host = "malformed.test", .status = SM_TBL_TEMPFAIL },
	{ .name = "an unclosed [ defers", .host = "malf2.test", .status = SM_TBL_TEMPFAIL },
	{ .name = "an empty host finds nothing", .host = "", .status = SM_TBL_NOTFOUND },
};

/* test_mailertable - the mailertable order and values */
static void test_mailertable(void)
{
	char *path = make_table("mailertable", mt, sizeof(mt) / sizeof(mt[0]), 0);
	char *path2 = make_table("mailertable2", mt, sizeof(mt) / sizeof(mt[0]) - 1, 0);
	struct sm_map *m = sm_map_open("mailertable", path, 0);
	struct sm_map *m2 = sm_map_open("mailertable", path2, 0);
	struct sm_mt_result r;
	enum sm_tbl_status st;
	size_t i;

	for (i = 0; i < sizeof(mt_cases) / sizeof(mt_cases[0]); i++) {
		const struct mt_case *c = &mt_cases[i];
		int good = 0;

		log_reset();
		st = sm_mailertable_lookup(m, c->host, &r);
		switch (c->status) {
		case SM_TBL_FOUND:
			good = st == SM_TBL_FOUND && r.status == st && str_same(r.key, c->key) &&
			       str_same(r.mailer, c->mailer) && str_same(r.host, c->rhost) &&
			       str_same(r.user, c->user) && r.no_mx == c->no_mx;
			break;
		case SM_TBL_TEMPFAIL:
			good =
			    st == SM_TBL_TEMPFAIL && r.reason != NULL && r.mailer == NULL && logs.count == 1;
			break;
		case SM_TBL_ERROR:
		case SM_TBL_NOTFOUND:
			good = st == c->status && r.key == NULL && r.mailer == NULL;
			break;
		}
		ok(good, "mailertable %s: %s", c->name, c->host);
		if (!good)
			diag("got status %d key %s mailer %s host %s user %s no_mx %d", (int)st,
			     r.key ? r.key : "-", r.mailer ? r.mailer : "-", r.host ? r.host : "-",
			     r.user ? r.user : "-", r.no_mx);
		sm_mt_result_free(&r);
	}
	st = sm_mailertable_lookup(m, "bad.test", &r);
	ok(st == SM_TBL_ERROR && r.err.reply == 553 && strcmp(r.err.dsn, "5.1.2") == 0 &&
	       strcmp(r.err.text, "no such host") == 0 && r.err.exitcode == EX_NOHOST,
	   "mailertable error:nohost:text -> 553 5.1.2 (EX_NOHOST)");
	sm_mt_result_free(&r);
	st = sm_mailertable_lookup(m, "bad2.test", &r);
	ok(st == SM_TBL_ERROR && r.err.reply == 550 && strcmp(r.err.dsn, "5.1.2") == 0 &&
	       strcmp(r.err.text, "Host unknown here") == 0 && str_same(r.key, "bad2.test"),
	   "mailertable error:D.S.N:NNN text");
	sm_mt_result_free(&r);
	st = sm_mailertable_lookup(m, "malformed.test", &r);
	ok(st == SM_TBL_TEMPFAIL && r.reason && strstr(r.reason, "empty host") &&
	       strstr(r.reason, "malformed.test"),
	   "a malformed value names the key and the problem");
	sm_mt_result_free(&r);
	st = sm_mailertable_lookup(m2, "my.domain", &r);
	is_int(st, SM_TBL_NOTFOUND, "without \".\": my.domain is not found (.my.domain does not cover it)");
	sm_mt_result_free(&r);
	st = sm_mailertable_lookup(m2, "a.my.domain", &r);
	ok(st == SM_TBL_FOUND && str_same(r.host, "a.my.domain"), "without \".\": a.my.domain still matches");
	sm_mt_result_free(&r);
	st = sm_mailertable_lookup(m2, "nowhere.test", &r);
	is_int(st, SM_TBL_NOTFOUND, "without \".\": an unknown host is not found");
	sm_mt_result_free(&r);
	sm_map_close(m);
	sm_map_close(m2);
	free(path);
	free(path2);
}

/* test_maps - absent and broken maps, -N and -f tables, sm_map_get, sm_map_path, sm_tbl_subst */
static void test_maps(void)
{
	static const struct pair nul[] = { { "nulkey", "v" } };
	static const struct pair cased[] = { { "CaseKey", "x" }, { "cr", "a\rb" } };
	char *npath = make_table("nul", nul, 1, 1);
	char *cpath = make_table("cased", cased, 2, 0);
	char *absent = sm_asprintf("%s/nonexistent.lmdb", test_dir);
	char *junk = sm_asprintf("%s/junk.lmdb", test_dir);
	const char *args[] = { "key", "one", NULL, "three" };
	struct sm_virt_result vr;
	struct sm_mt_result mr;
	struct sm_map *m;
	char *v, *s;

	m = sm_map_open("virtusertable", absent, 0);
	is_int(sm_map_state(m), SM_UNAVAIL, "a missing file is an absent map");
	is_int(sm_map_get(m, "x", &v), SM_UNAVAIL, "an absent map answers UNAVAIL to sm_map_get");
	ok(v == NULL, "and no value");
	is_int(sm_virtuser_lookup(m, "a", "", 0, "d1.test", &vr), SM_TBL_NOTFOUND,
	       "virtuser on an absent map: not found");
	sm_virt_result_free(&vr);
	is_int(sm_mailertable_lookup(m, "example.com", &mr), SM_TBL_NOTFOUND,
	       "mailertable on an absent map: not found");
	sm_mt_result_free(&mr);
	sm_map_close(m);

	write_file(junk, "this is not an LMDB file\n", 0644);
	log_reset();
	m = sm_map_open("mailertable", junk, 0);
	is_int(sm_map_state(m), SM_TRYAGAIN, "a file that is not a table is a failed map");
	is_int((long)logs.count, 1, "the failure is logged once, at open");
	is_int(sm_mailertable_lookup(m, "example.com", &mr), SM_TBL_TEMPFAIL,
	       "mailertable on it: temporary failure");
	ok(mr.reason && strstr(mr.reason, "junk.lmdb") && strstr(mr.reason, "mailertable"),
	   "the reason names the map and the file");
	sm_mt_result_free(&mr);
	is_int(sm_virtuser_lookup(m, "a", "b", 1, "d1.test", &vr), SM_TBL_TEMPFAIL,
	       "virtuser on it: temporary failure");
	sm_virt_result_free(&vr);
	is_int(sm_map_get(m, "x", &v), SM_TRYAGAIN, "sm_map_get on it: TRYAGAIN");
	is_int((long)logs.count, 1, "lookups do not log the failure again");
	sm_map_close(m);

	m = sm_map_open("test", test_dir, 0);
	is_int(sm_map_state(m), SM_TRYAGAIN, "a directory is a failed map");
	sm_map_close(m);

	m = sm_map_open("test", npath, 0);
	ok(sm_map_get(m, "NulKey", &v) == SM_SUCCESS && str_same(v, "v"),
	   "a makemap -N table: key and value found");
	free(v);
	is_int(sm_map_get(m, "nul", &v), SM_NOTFOUND, "a prefix is not a key");
	sm_map_close(m);

	m = sm_map_open("test", cpath, SM_MAP_NOFOLD);
	ok(sm_map_get(m, "CaseKey", &v) == SM_SUCCESS && str_same(v, "x"),
	   "SM_MAP_NOFOLD: the exact key is found");
	free(v);
	is_int(sm_map_get(m, "casekey", &v), SM_NOTFOUND, "SM_MAP_NOFOLD: another case is not");
	log_reset();
	is_int(sm_map_get(m, "cr", &v), SM_TRYAGAIN, "a value holding CR is refused");
	is_int((long)logs.count, 1, "and logged");
	ok(sm_map_reason(m) && strstr(sm_map_reason(m), "\"cr\""), "the reason names the key");
	sm_map_close(m);
	m = sm_map_open("test", cpath, 0);
	is_int(sm_map_get(m, "CaseKey", &v), SM_NOTFOUND, "folding: a key stored with capitals is not found");
	is_int(sm_map_get(m, "", &v), SM_NOTFOUND, "an empty key is not found");
	sm_map_close(m);

	s = sm_map_path("/etc/mail/access");
	is_str(s, "/etc/mail/access.lmdb", "sm_map_path adds .lmdb");
	free(s);
	s = sm_map_path("/etc/mail/access.lmdb");
	is_str(s, "/etc/mail/access.lmdb", "sm_map_path keeps .lmdb");
	free(s);
	s = sm_tbl_subst("%0:%1:%2:%3:%4:%%:%a:%", args, 4);
	is_str(s, "key:one::three::%:%a:%", "sm_tbl_subst: arguments, missing ones, %% and others");
	free(s);
	s = sm_tbl_subst("", args, 4);
	is_str(s, "", "sm_tbl_subst: an empty value");
	free(s);
	free(npath);
	free(cpath);
	free(absent);
	free(junk);
}

struct class_case {
	const char *name;
	const char *domain;
	int subdomains;
	int want;
};

static const struct class_case relay_cases[] = {
	{ "the domain itself", "example.com", 1, 1 },
	{ "a subdomain", "mx.eu.example.com", 1, 1 },
	{ "case and trailing dot", "MX.Example.COM.", 1, 1 },
	{ "a different domain with the same ending", "notexample.com", 1, 0 },
	{ "the parent of a listed domain", "com", 1, 0 },
	{ "an entry written with a trailing dot", "partner.net", 1, 1 },
	{ "a subdomain of it", "x.partner.net", 1, 1 },
	{ "exact only: a subdomain does not match", "mx.example.com", 0, 0 },
	{ "exact only: the domain matches", "example.com", 0, 1 },
	{ "a literal", "[192.0.2.5]", 1, 1 },
	{ "a second word on a line", "b", 1, 1 },
	{ "a word after # is a comment", "ignored.test", 1, 0 },
};

/* test_classes - relay-domains and local-host-names */
static void test_classes(void)
{
	char *relay = sm_asprintf("%s/relay-domains", test_dir);
	char *lhn = sm_asprintf("%s/local-host-names", test_dir);
	char *missing = sm_asprintf("%s/missing", test_dir);
	struct sm_buf err = SM_BUF_INIT;
	struct sm_class *c;
	size_t i;

	write_file(relay,
	           "# relay-domains\n\nExample.COM\npartner.net.   #ignored.test\n  [192.0.2.5]\na b\n",
	           0644);
	c = sm_class_load(relay, 1, &err);
	ok(c != NULL, "relay-domains loads");
	if (c == NULL)
		return;
	is_int((long)sm_class_count(c), 5, "five words, comments and blank lines skipped");
	for (i = 0; i < sizeof(relay_cases) / sizeof(relay_cases[0]); i++) {
		const struct class_case *k = &relay_cases[i];

		is_int(sm_class_match_domain(c, k->domain, k->subdomains), k->want, k->name);
	}
	sm_class_free(c);

	write_file(lhn, "mail.example.com\nexample.org\n", 0644);
	c = sm_class_load(lhn, 1, &err);
	ok(c && sm_class_contains(c, "MAIL.example.com."), "local-host-names: exact match, any case");
	ok(c && !sm_class_contains(c, "x.mail.example.com"), "local-host-names: no subdomains");
	if (c) {
		sm_class_add(c, "Host.Example.NET");
		ok(sm_class_contains(c, "host.example.net"), "sm_class_add adds a word (folded)");
		is_int((long)sm_class_count(c), 3, "three words");
		sm_class_free(c);
	}

	c = sm_class_load(missing, 1, &err);
	ok(c && sm_class_count(c) == 0 && !sm_class_match_domain(c, "example.com", 1),
	   "an optional missing file is an empty class");
	sm_class_free(c);
	c = sm_class_load(missing, 0, &err);
	ok(c == NULL && strstr(sm_buf_str(&err), "No such file"),
	   "a required missing file fails with a reason");
	sm_buf_reset(&err);
	c = sm_class_load(test_dir, 1, &err);
	ok(c == NULL && err.len > 0, "a file that cannot be read fails, even when optional");
	sm_buf_free(&err);
	c = sm_class_new();
	ok(sm_class_count(c) == 0 && !sm_class_contains(c, "x"), "a new class is empty");
	sm_class_free(c);
	free(relay);
	free(lhn);
	free(missing);
}

/* main - run every group */
int main(void)
{
	if (test_dir_make("/tmp/t_tables.XXXXXX") < 0) {
		printf("Bail out! mkdtemp: cannot create /tmp/t_tables.XXXXXX\n");
		return 1;
	}
	sm_log_sink(log_show, NULL);
	test_virtuser();
	test_mailertable();
	test_maps();
	test_classes();
	sm_log_sink(NULL, NULL);
	log_reset();
	test_dir_remove();
	return done_testing();
}
