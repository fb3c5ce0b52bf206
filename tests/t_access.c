/*
 * tests/t_access.c - unit tests of the access database (router/access.h)
 *
 * DESCRIPTION
 *	Writes access maps with sm_table_write() in a mkdtemp() directory,
 *	as makemap does (keys folded, sorted), and checks, table-driven, each
 *	lookup's action, matched key and reply: every value form (OK, RELAY,
 *	REJECT, DISCARD, SKIP, ERROR:, "NNN text", VERIFY, VERIFY:bits,
 *	ENCR:bits, TEMP+/PERM+, SUBJECT); the most specific entry winning
 *	(the seed 002 example: cyberspammer.com REJECTed but
 *	okay.cyberspammer.com OK); IPv4 and IPv6 prefixes; the From: and To:
 *	orders; the untagged fallback; the TLS checks for each ${verify} and
 *	cipher strength; CERTISSUER/CERTSUBJECT with the seed 004 encoding;
 *	the relay decision with the open-relay address tricks; per-client
 *	numbers; a missing map (empty) and a damaged one (TEMPFAIL, never OK,
 *	logged once). Output is TAP (tests/tap.h).
 *
 *	Who frees what: each result is released with sm_access_result_free();
 *	the temporary directory is removed at the end.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/table.h"
#include "router/access.h"
#include "tests/tap.h"
#include "tests/testutil.h"

struct pair {
	const char *key;
	const char *val;
};

/* the map, as an administrator writes it (makemap folds the keys) */
static const struct pair entries[] = {
	/* seed 002, untagged */
	{ "cyberspammer.com", "550 We don't accept mail from spammers" },
	{ "FREE.STEALTH.MAILER@", "550 We don't accept mail from spammers" },
	{ "another.source.of.spam", "REJECT" },
	{ "okay.cyberspammer.com", "OK" },
	{ "128.32", "RELAY" },
	/* Connect: */
	{ "Connect:192.0.2", "REJECT" },
	{ "Connect:192.0.2.7", "OK" },
	{ "Connect:192.0.2.8", "SKIP" },
	{ "Connect:198.51.100.1", "DISCARD" },
	{ "Connect:example.net", "ERROR:5.7.1:550 go away" },
	{ "Connect:ok.example.net", "RELAY" },
	{ "Connect:IPv6:2001:db8:1", "REJECT" },
	{ "Connect:IPv6:2001:db8:1::5", "OK" },
	{ "Connect:bad.example.org", "WHATEVER" },
	{ "Connect:203.0.113", "ERROR:\"421 4.3.2 slow down\"" },
	{ "Connect:[192.0.2.99]", "RELAY" },
	/* From: and To: */
	{ "From:spammer@example.com", "REJECT" },
	{ "From:example.com", "OK" },
	{ "From:postmaster@", "OK" },
	{ "From:sub.example.com", "DISCARD" },
	{ "From:<>", "ERROR:550 no bounces here" },
	{ "To:user@example.com", "REJECT" },
	{ "To:example.com", "OK" },
	{ "To:abuse@", "RELAY" },
	{ "To:relayed.example", "RELAY" },
	{ "To:full@relayed.example", "ERROR:4.2.2:450 mailbox full" },
	{ "To:[192.0.2.50]", "REJECT" },
	{ "untagged.example", "DISCARD" },
	{ "To:untagged.example", "OK" },
	/* TLS */
	{ "TLS_Clt:secure.example", "VERIFY" },
	{ "TLS_Clt:bits.example", "VERIFY:128" },
	{ "TLS_Clt:encr.example", "ENCR:112" },
	{ "TLS_Clt:perm.example", "PERM+VERIFY:256" },
	{ "TLS_Clt:temp.example", "TEMP+ENCR:64" },
	{ "TLS_Clt:192.0.2.33", "ENCR:40" },
	{ "TLS_Clt:cn.example", "VERIFY+CN:x" },
	{ "TLS_Srv:", "ENCR:1" },
	{ "TLS_Srv:mx.example", "VERIFY" },
	{ "secure2.example", "VERIFY" },
	/* certificates: the DNs as sendmail encodes them */
	{ "CERTISSUER:/C=US/ST=California/O=endmail.org/OU=private/CN=Darth+20Mail+20+28Cert+29/"
	  "Email=darth+2Bcert@endmail.org",
	  "RELAY" },
	{ "CERTISSUER:/C=JP/O=Example+20CA", "SUBJECT" },
	{ "CERTSUBJECT:/C=JP/O=Example/CN=relay+20host", "RELAY" },
	/* per-client numbers */
	{ "GreetPause:", "1000" },
	{ "GreetPause:slow.example", "5000" },
	{ "GreetPause:10.1.2", "0" },
	{ "GreetPause:10.1.3", "soon" },
	{ "ClientRate:10.9", "5" },
	{ "ClientConn:10.9.9.9", "2" },
};

/* make_map - DIR/name.lmdb from the pairs, keys folded; the text file's name (caller frees) */
static char *make_map(const char *name, const struct pair *p, size_t n)
{
	struct sm_kvlist l = SM_KVLIST_INIT;
	struct sm_buf err = SM_BUF_INIT;
	char *base = sm_asprintf("%s/%s", test_dir, name), *path = sm_asprintf("%s.lmdb", base);
	size_t i, j;

	for (i = 0; i < n; i++) {
		char *k = sm_strdup(p[i].key);

		for (j = 0; k[j]; j++)
			if (k[j] >= 'A' && k[j] <= 'Z')
				k[j] = (char)(k[j] - 'A' + 'a');
		sm_kvlist_add(&l, k, strlen(k), p[i].val, strlen(p[i].val), i);
		free(k);
	}
	sm_kvlist_done(&l);
	sm_kv_sort(l.kv, l.count);
	if (sm_table_write(path, l.kv, l.count, &err) < 0)
		diag("cannot write %s: %s", path, sm_buf_str(&err));
	sm_kvlist_free(&l);
	sm_buf_free(&err);
	free(path);
	return base;
}

enum what { CONNECT, FROM, TO, TLSCLT, TLSSRV, ISSUER, SUBJECT };

struct lookup_case {
	const char *name;
	enum what what;
	const char *a, *b; /* ip, host / address / host, ip / DN */
	enum sm_access_action action;
	const char *key;   /* matched key, NULL: do not check */
	const char *tag;   /* matched tag, NULL: do not check */
	const char *reply; /* NULL: none expected */
	unsigned bits;
	int perm;
};

static const struct lookup_case cases[] = {
	/* seed 002: the most specific entry wins */
	{ .name = "seed 002: other host of the domain gets the ERROR text",
	  .what = CONNECT,
	  .a = "203.0.114.1",
	  .b = "mx.cyberspammer.com",
	  .action = SM_ACCESS_ERROR,
	  .key = "cyberspammer.com",
	  .tag = "",
	  .reply = "550 5.0.0 We don't accept mail from spammers" },
	{ .name = "seed 002: okay.cyberspammer.com is OK",
	  .what = CONNECT,
	  .a = "203.0.114.2",
	  .b = "okay.cyberspammer.com",
	  .action = SM_ACCESS_OK,
	  .key = "okay.cyberspammer.com" },
	{ .name = "seed 002: a host below okay.cyberspammer.com is OK too",
	  .what = CONNECT,
	  .b = "a.okay.cyberspammer.com.",
	  .action = SM_ACCESS_OK,
	  .key = "okay.cyberspammer.com" },
	{ .name = "seed 002: another.source.of.spam REJECT",
	  .what = CONNECT,
	  .b = "another.source.of.spam",
	  .action = SM_ACCESS_REJECT,
	  .reply = "550 5.7.1 Access denied" },
	{ .name = "seed 002: 128.32 RELAY by prefix",
	  .what = CONNECT,
	  .a = "128.32.1.2",
	  .action = SM_ACCESS_RELAY,
	  .key = "128.32",
	  .tag = "" },
	{ .name = "seed 002: FREE.STEALTH.MAILER@ as sender, any domain",
	  .what = FROM,
	  .a = "<free.stealth.mailer@anywhere.example>",
	  .action = SM_ACCESS_ERROR,
	  .key = "free.stealth.mailer@",
	  .reply = "550 5.0.0 We don't accept mail from spammers" },
	/* IPv4 prefixes */
	{ .name = "Connect: /24 REJECT",
	  .what = CONNECT,
	  .a = "192.0.2.1",
	  .action = SM_ACCESS_REJECT,
	  .key = "192.0.2",
	  .tag = "Connect",
	  .reply = "550 5.7.1 Access denied" },
	{ .name = "Connect: host address OK beats its /24",
	  .what = CONNECT,
	  .a = "192.0.2.7",
	  .action = SM_ACCESS_OK,
	  .key = "192.0.2.7" },
	{ .name = "Connect: SKIP stops the search",
	  .what = CONNECT,
	  .a = "192.0.2.8",
	  .action = SM_ACCESS_SKIP,
	  .key = "192.0.2.8" },
	{ .name = "Connect: a name entry is tried before the address",
	  .what = CONNECT,
	  .a = "192.0.2.1",
	  .b = "ok.example.net",
	  .action = SM_ACCESS_RELAY,
	  .key = "ok.example.net" },
	{ .name = "Connect: DISCARD", .what = CONNECT, .a = "198.51.100.1", .action = SM_ACCESS_DISCARD },
	{ .name = "Connect: ERROR:D.S.N:NNN text",
	  .what = CONNECT,
	  .b = "www.Example.NET",
	  .action = SM_ACCESS_ERROR,
	  .key = "example.net",
	  .reply = "550 5.7.1 go away" },
	{ .name = "Connect: ERROR:\"421 4.3.2 text\" (quoted)",
	  .what = CONNECT,
	  .a = "[203.0.113.9]",
	  .action = SM_ACCESS_ERROR,
	  .reply = "421 4.3.2 slow down" },
	{ .name = "Connect: host literal name",
	  .what = CONNECT,
	  .b = "[192.0.2.99]",
	  .action = SM_ACCESS_RELAY,
	  .key = "[192.0.2.99]" },
	{ .name = "Connect: IPv6 prefix of whole groups",
	  .what = CONNECT,
	  .a = "2001:db8:1::9",
	  .action = SM_ACCESS_REJECT,
	  .key = "ipv6:2001:db8:1" },
	{ .name = "Connect: IPv6 address as inet_ntop writes it",
	  .what = CONNECT,
	  .a = "2001:0db8:0001:0:0:0:0:5",
	  .action = SM_ACCESS_OK,
	  .key = "ipv6:2001:db8:1::5" },
	{ .name = "Connect: IPv4-mapped IPv6 walks as IPv4",
	  .what = CONNECT,
	  .a = "::ffff:192.0.2.3",
	  .action = SM_ACCESS_REJECT,
	  .key = "192.0.2" },
	{ .name = "Connect: a malformed value defers",
	  .what = CONNECT,
	  .b = "bad.example.org",
	  .action = SM_ACCESS_TEMPFAIL,
	  .reply = SM_ACCESS_TEMPFAIL_REPLY },
	{ .name = "Connect: nothing for an unknown client",
	  .what = CONNECT,
	  .a = "203.0.114.77",
	  .b = "unknown",
	  .action = SM_ACCESS_NONE },
	{ .name = "Connect: garbage ip and NULL host",
	  .what = CONNECT,
	  .a = "999.1.2.3:x",
	  .action = SM_ACCESS_NONE },
	{ .name = "Connect: empty everything", .what = CONNECT, .a = "", .b = "", .action = SM_ACCESS_NONE },
	/* From: order: user@domain, user@, domain walk */
	{ .name = "From: user@domain first",
	  .what = FROM,
	  .a = "<spammer@example.com>",
	  .action = SM_ACCESS_REJECT,
	  .key = "spammer@example.com" },
	{ .name = "From: user@ before the domain",
	  .what = FROM,
	  .a = "postmaster@sub.example.com",
	  .action = SM_ACCESS_OK,
	  .key = "postmaster@" },
	{ .name = "From: the domain walk, most specific first",
	  .what = FROM,
	  .a = "x@a.sub.example.com",
	  .action = SM_ACCESS_DISCARD,
	  .key = "sub.example.com" },
	{ .name = "From: parent domain",
	  .what = FROM,
	  .a = "x@www.example.com",
	  .action = SM_ACCESS_OK,
	  .key = "example.com" },
	{ .name = "From: the null sender",
	  .what = FROM,
	  .a = "<>",
	  .action = SM_ACCESS_ERROR,
	  .key = "<>",
	  .reply = "550 5.0.0 no bounces here" },
	{ .name = "From: untagged fallback",
	  .what = FROM,
	  .a = "x@untagged.example",
	  .action = SM_ACCESS_DISCARD,
	  .tag = "" },
	/* To: order: user@domain, domain walk, user@ */
	{ .name = "To: user@domain first",
	  .what = TO,
	  .a = "user@example.com",
	  .action = SM_ACCESS_REJECT,
	  .key = "user@example.com" },
	{ .name = "To: the domain before user@",
	  .what = TO,
	  .a = "abuse@example.com",
	  .action = SM_ACCESS_OK,
	  .key = "example.com" },
	{ .name = "To: user@ last",
	  .what = TO,
	  .a = "abuse@elsewhere.example",
	  .action = SM_ACCESS_RELAY,
	  .key = "abuse@" },
	{ .name = "To: a tagged key beats the untagged one",
	  .what = TO,
	  .a = "x@untagged.example",
	  .action = SM_ACCESS_OK,
	  .tag = "To" },
	{ .name = "To: temporary ERROR",
	  .what = TO,
	  .a = "<full@relayed.example>",
	  .action = SM_ACCESS_ERROR,
	  .reply = "450 4.2.2 mailbox full" },
	{ .name = "To: address literal",
	  .what = TO,
	  .a = "x@[192.0.2.50]",
	  .action = SM_ACCESS_REJECT,
	  .key = "[192.0.2.50]" },
	{ .name = "To: literal's address walk",
	  .what = TO,
	  .a = "x@[128.32.0.1]",
	  .action = SM_ACCESS_RELAY,
	  .key = "128.32",
	  .tag = "" },
	{ .name = "To: no entry", .what = TO, .a = "x@nowhere.example", .action = SM_ACCESS_NONE },
	{ .name = "To: odd input", .what = TO, .a = "@", .action = SM_ACCESS_NONE },
	/* TLS requirements */
	{ .name = "TLS_Clt: VERIFY",
	  .what = TLSCLT,
	  .a = "secure.example",
	  .action = SM_ACCESS_VERIFY,
	  .bits = 0,
	  .perm = 0 },
	{ .name = "TLS_Clt: VERIFY:128",
	  .what = TLSCLT,
	  .a = "bits.example",
	  .action = SM_ACCESS_VERIFY,
	  .bits = 128 },
	{ .name = "TLS_Clt: ENCR:112 by parent domain",
	  .what = TLSCLT,
	  .a = "mx.encr.example",
	  .action = SM_ACCESS_ENCR,
	  .key = "encr.example",
	  .bits = 112 },
	{ .name = "TLS_Clt: PERM+VERIFY:256",
	  .what = TLSCLT,
	  .a = "perm.example",
	  .action = SM_ACCESS_VERIFY,
	  .bits = 256,
	  .perm = 1 },
	{ .name = "TLS_Clt: TEMP+ENCR:64",
	  .what = TLSCLT,
	  .a = "temp.example",
	  .action = SM_ACCESS_ENCR,
	  .bits = 64,
	  .perm = 0 },
	{ .name = "TLS_Clt: by address after the name",
	  .what = TLSCLT,
	  .a = "nothing.example",
	  .b = "192.0.2.33",
	  .action = SM_ACCESS_ENCR,
	  .key = "192.0.2.33",
	  .bits = 40 },
	{ .name = "TLS_Clt: +CN requirements are not supported: defer",
	  .what = TLSCLT,
	  .a = "cn.example",
	  .action = SM_ACCESS_TEMPFAIL },
	{ .name = "TLS_Clt: no untagged fallback",
	  .what = TLSCLT,
	  .a = "secure2.example",
	  .action = SM_ACCESS_NONE },
	{ .name = "TLS_Srv: by name", .what = TLSSRV, .a = "mx.example", .action = SM_ACCESS_VERIFY },
	{ .name = "TLS_Srv: the bare tag is the default",
	  .what = TLSSRV,
	  .a = "other.example",
	  .b = "192.0.2.1",
	  .action = SM_ACCESS_ENCR,
	  .key = "",
	  .bits = 1 },
	/* certificates */
	{ .name = "CERTISSUER: seed 004 DN, encoded",
	  .what = ISSUER,
	  .a = "/C=US/ST=California/O=endmail.org/OU=private/CN=Darth Mail "
	       "(Cert)/Email=darth+cert@endmail.org",
	  .action = SM_ACCESS_RELAY },
	{ .name = "CERTISSUER: SUBJECT",
	  .what = ISSUER,
	  .a = "/C=JP/O=Example CA",
	  .action = SM_ACCESS_SUBJECT },
	{ .name = "CERTSUBJECT: RELAY",
	  .what = SUBJECT,
	  .a = "/C=JP/O=Example/CN=relay host",
	  .action = SM_ACCESS_RELAY },
	{ .name = "CERTISSUER: unknown issuer",
	  .what = ISSUER,
	  .a = "/C=XX/O=Other",
	  .action = SM_ACCESS_NONE },
	{ .name = "CERTISSUER: the unencoded DN does not match",
	  .what = SUBJECT,
	  .a = "/C=JP/O=Example/CN=relay+20host",
	  .action = SM_ACCESS_NONE },
};

/* run_case - one lookup */
static enum sm_access_action run_case(struct sm_access *a, const struct lookup_case *c,
                                      struct sm_access_result *r)
{
	switch (c->what) {
	case CONNECT:
		return sm_access_connect(a, c->a, c->b, r);
	case FROM:
		return sm_access_from(a, c->a, r);
	case TO:
		return sm_access_to(a, c->a, r);
	case TLSCLT:
		return sm_access_tls_clt(a, c->a, c->b, r);
	case TLSSRV:
		return sm_access_tls_srv(a, c->a, c->b, r);
	case ISSUER:
		return sm_access_cert(a, "CERTISSUER", c->a, r);
	case SUBJECT:
		return sm_access_cert(a, "certsubject", c->a, r);
	}
	return SM_ACCESS_NONE;
}

/* test_lookups - the table of cases */
static void test_lookups(struct sm_access *a)
{
	struct sm_access_result r;
	size_t i;
	char name[256];

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct lookup_case *c = &cases[i];
		enum sm_access_action act = run_case(a, c, &r);
		int good = act == c->action && r.action == act;

		if (c->key)
			good = good && str_same(r.key, c->key);
		if (c->tag)
			good = good && str_same(r.tag, c->tag);
		if (c->reply || act == SM_ACCESS_NONE)
			good = good && str_same(r.reply, c->reply);
		if (act == SM_ACCESS_VERIFY || act == SM_ACCESS_ENCR)
			good = good && r.bits == c->bits && r.perm == c->perm;
		snprintf(name, sizeof(name), "%s", c->name);
		if (!ok(good, "%s", name))
			diag("got %s key \"%s\" tag \"%s\" reply \"%s\" bits %u perm %d",
			     sm_access_action_name(act), r.key ? r.key : "(null)", r.tag ? r.tag : "(null)",
			     r.reply ? r.reply : "(null)", r.bits, r.perm);
		sm_access_result_free(&r);
	}
}

struct tls_case {
	const char *name;
	enum sm_access_action action;
	unsigned reqbits;
	int perm;
	const char *verify;
	unsigned bits;
	int pass;
	const char *reply;
};

static const struct tls_case tls_cases[] = {
	{ "no requirement, verify NO", SM_ACCESS_NONE, 0, 0, "NO", 0, 1, NULL },
	{ "no requirement, SOFTWARE aborts", SM_ACCESS_NONE, 0, 0, "SOFTWARE", 256, 0,
	  "403 4.7.0 TLS handshake failed." },
	{ "VERIFY, OK", SM_ACCESS_VERIFY, 0, 0, "OK", 0, 1, NULL },
	{ "VERIFY, FAIL", SM_ACCESS_VERIFY, 0, 0, "FAIL", 256, 0, "403 4.7.0 authentication failed" },
	{ "VERIFY, NO", SM_ACCESS_VERIFY, 0, 0, "NO", 256, 0, "403 4.7.0 not authenticated" },
	{ "VERIFY, NOT", SM_ACCESS_VERIFY, 0, 0, "NOT", 256, 0, "403 4.7.0 no authentication requested" },
	{ "VERIFY, NONE", SM_ACCESS_VERIFY, 0, 0, "NONE", 0, 0,
	  "403 4.7.0 other side does not support STARTTLS" },
	{ "VERIFY, empty", SM_ACCESS_VERIFY, 0, 0, "", 0, 0, "403 4.7.0 authentication required" },
	{ "VERIFY, TEMP", SM_ACCESS_VERIFY, 0, 0, "TEMP", 0, 0, "403 4.7.0 authentication failure TEMP" },
	{ "VERIFY, PROTOCOL", SM_ACCESS_VERIFY, 0, 0, "PROTOCOL", 0, 0,
	  "403 4.7.0 authentication failure PROTOCOL" },
	{ "PERM+VERIFY, FAIL", SM_ACCESS_VERIFY, 0, 1, "FAIL", 0, 0, "503 5.7.0 authentication failed" },
	{ "PERM+VERIFY, SOFTWARE", SM_ACCESS_VERIFY, 0, 1, "SOFTWARE", 0, 0,
	  "503 5.7.0 TLS handshake failed." },
	{ "VERIFY:128, OK 256", SM_ACCESS_VERIFY, 128, 0, "OK", 256, 1, NULL },
	{ "VERIFY:128, OK 128", SM_ACCESS_VERIFY, 128, 0, "OK", 128, 1, NULL },
	{ "VERIFY:128, OK 56", SM_ACCESS_VERIFY, 128, 0, "OK", 56, 0,
	  "403 4.7.0 encryption too weak 56 less than 128" },
	{ "VERIFY:128, FAIL 256", SM_ACCESS_VERIFY, 128, 0, "FAIL", 256, 0,
	  "403 4.7.0 authentication failed" },
	{ "ENCR:112, NO 128", SM_ACCESS_ENCR, 112, 0, "NO", 128, 1, NULL },
	{ "ENCR:112, NONE 0", SM_ACCESS_ENCR, 112, 0, "NONE", 0, 0,
	  "403 4.7.0 encryption too weak 0 less than 112" },
	{ "PERM+ENCR:112, 40", SM_ACCESS_ENCR, 112, 1, "OK", 40, 0,
	  "503 5.7.0 encryption too weak 40 less than 112" },
	{ "OK entry asks nothing", SM_ACCESS_OK, 0, 0, "NONE", 0, 1, NULL },
	{ "TEMPFAIL defers", SM_ACCESS_TEMPFAIL, 0, 0, "OK", 256, 0, SM_ACCESS_TEMPFAIL_REPLY },
};

/* test_tls_check - sm_access_tls_check for each verify result and strength */
static void test_tls_check(void)
{
	size_t i;
	char *reply;
	int pass;

	for (i = 0; i < sizeof(tls_cases) / sizeof(tls_cases[0]); i++) {
		const struct tls_case *c = &tls_cases[i];
		struct sm_access_result req = { .action = c->action, .bits = c->reqbits, .perm = c->perm };

		if (c->action == SM_ACCESS_TEMPFAIL)
			req.reply = (char *)SM_ACCESS_TEMPFAIL_REPLY;
		pass = sm_access_tls_check(&req, c->verify, c->bits, &reply);
		if (!ok(pass == c->pass && str_same(reply, c->reply), "tls check: %s", c->name))
			diag("got %d \"%s\"", pass, reply ? reply : "(null)");
		free(reply);
	}
	pass = sm_access_tls_check(NULL, NULL, 0, &reply);
	ok(pass == 1 && reply == NULL, "tls check: no requirement, no TLS");
}

/* test_encode - the seed 004 encoding */
static void test_encode(void)
{
	char *e;

	e = sm_access_dn_encode("/C=US/ST=California/O=endmail.org/OU=private/CN=Darth Mail (Cert)/"
	                        "Email=darth+cert@endmail.org");
	is_str(e,
	       "/C=US/ST=California/O=endmail.org/OU=private/CN=Darth+20Mail+20+28Cert+29/"
	       "Email=darth+2Bcert@endmail.org",
	       "encode: seed 004 example");
	free(e);
	e = sm_access_dn_encode("<a>\"b\"\t\x7f\xc3\xa9=/");
	is_str(e, "+3Ca+3E+22b+22+09+7F+C3+A9=/", "encode: < > \" tab DEL 8-bit; = and / stay");
	free(e);
	e = sm_access_dn_encode("");
	is_str(e, "", "encode: empty");
	free(e);
	e = sm_access_dn_encode(NULL);
	is_str(e, "", "encode: NULL");
	free(e);
}

struct relay_case {
	const char *name;
	struct sm_relay_query q;
	enum sm_relay_verdict verdict;
	const char *why;
	const char *reply;
};

#define ISSUER_DN                                                                                            \
	"/C=US/ST=California/O=endmail.org/OU=private/CN=Darth Mail (Cert)/Email=darth+cert@endmail.org"

static const struct relay_case relay_cases[] = {
	{ "authenticated client",
	  { .client_ip = "203.0.114.1", .rcpt = "x@far.example", .authenticated = 1 },
	  SM_RELAY_YES,
	  "auth",
	  NULL },
	{ "Connect: RELAY by prefix",
	  { .client_ip = "128.32.9.9", .rcpt = "x@far.example" },
	  SM_RELAY_YES,
	  "Connect:128.32",
	  NULL },
	{ "Connect: RELAY by name",
	  { .client_ip = "203.0.114.1", .client_name = "ok.example.net", .rcpt = "x@far.example" },
	  SM_RELAY_YES,
	  "Connect:ok.example.net",
	  NULL },
	{ "To: RELAY for the domain",
	  { .client_ip = "203.0.114.1", .rcpt = "<x@relayed.example>" },
	  SM_RELAY_YES,
	  "To:relayed.example",
	  NULL },
	{ "To: RELAY for a subdomain",
	  { .client_ip = "203.0.114.1", .rcpt = "x@mx.relayed.example." },
	  SM_RELAY_YES,
	  "To:relayed.example",
	  NULL },
	{ "To: user@ RELAY does not relay",
	  { .client_ip = "203.0.114.1", .rcpt = "abuse@far.example" },
	  SM_RELAY_NO,
	  NULL,
	  SM_ACCESS_RELAY_DENIED },
	{ "percent hack through a RELAY domain",
	  { .client_ip = "203.0.114.1", .rcpt = "x%far.example@relayed.example" },
	  SM_RELAY_NO,
	  NULL,
	  SM_ACCESS_RELAY_DENIED },
	{ "quoted @ through a RELAY domain",
	  { .client_ip = "203.0.114.1", .rcpt = "\"x@far.example\"@relayed.example" },
	  SM_RELAY_NO,
	  NULL,
	  SM_ACCESS_RELAY_DENIED },
	{ "bang path through a RELAY domain",
	  { .client_ip = "203.0.114.1", .rcpt = "far.example!x@relayed.example" },
	  SM_RELAY_NO,
	  NULL,
	  SM_ACCESS_RELAY_DENIED },
	{ "double @ through a RELAY domain",
	  { .client_ip = "203.0.114.1", .rcpt = "x@far.example@relayed.example" },
	  SM_RELAY_NO,
	  NULL,
	  SM_ACCESS_RELAY_DENIED },
	{ "source route through a RELAY domain",
	  { .client_ip = "203.0.114.1", .rcpt = "@relayed.example:x@far.example" },
	  SM_RELAY_NO,
	  NULL,
	  SM_ACCESS_RELAY_DENIED },
	{ "verified certificate, issuer RELAY",
	  { .client_ip = "203.0.114.1", .rcpt = "x@far.example", .verify = "OK", .cert_issuer = ISSUER_DN },
	  SM_RELAY_YES,
	  "CERTISSUER",
	  NULL },
	{ "unverified certificate does not relay",
	  { .client_ip = "203.0.114.1", .rcpt = "x@far.example", .verify = "FAIL", .cert_issuer = ISSUER_DN },
	  SM_RELAY_NO,
	  NULL,
	  SM_ACCESS_RELAY_DENIED },
	{ "issuer SUBJECT, subject RELAY",
	  { .client_ip = "203.0.114.1",
	    .rcpt = "x@far.example",
	    .verify = "OK",
	    .cert_issuer = "/C=JP/O=Example CA",
	    .cert_subject = "/C=JP/O=Example/CN=relay host" },
	  SM_RELAY_YES,
	  "CERTSUBJECT",
	  NULL },
	{ "issuer SUBJECT, subject unknown",
	  { .client_ip = "203.0.114.1",
	    .rcpt = "x@far.example",
	    .verify = "OK",
	    .cert_issuer = "/C=JP/O=Example CA",
	    .cert_subject = "/C=JP/O=Example/CN=other" },
	  SM_RELAY_NO,
	  NULL,
	  SM_ACCESS_RELAY_DENIED },
	{ "AUTH offered: the longer reply",
	  { .client_ip = "203.0.114.1", .rcpt = "x@far.example", .auth_offered = 1 },
	  SM_RELAY_NO,
	  NULL,
	  SM_ACCESS_RELAY_DENIED_AUTH },
	{ "malformed Connect: value defers",
	  { .client_ip = "203.0.114.1", .client_name = "bad.example.org", .rcpt = "x@far.example" },
	  SM_RELAY_TEMPFAIL,
	  NULL,
	  SM_ACCESS_TEMPFAIL_REPLY },
	{ "nothing at all", { 0 }, SM_RELAY_NO, NULL, SM_ACCESS_RELAY_DENIED },
};

/* test_relay - the relay decision */
static void test_relay(struct sm_access *a)
{
	struct sm_relay_result out;
	size_t i;

	for (i = 0; i < sizeof(relay_cases) / sizeof(relay_cases[0]); i++) {
		const struct relay_case *c = &relay_cases[i];
		enum sm_relay_verdict v = sm_access_may_relay(a, &c->q, &out);

		if (!ok(v == c->verdict && out.verdict == v && str_same(out.why, c->why) &&
		            str_same(out.reply, c->reply),
		        "relay: %s", c->name))
			diag("got %d why \"%s\" reply \"%s\"", (int)v, out.why ? out.why : "(null)",
			     out.reply ? out.reply : "(null)");
		sm_relay_result_free(&out);
	}
}

/* test_routing - the classic relay probes' local parts */
static void test_routing(void)
{
	static const char *const routed[] = {
		"relaytest%D@[192.0.2.1]",
		"\"relaytest@D\"",
		"\"relaytest%D\"",
		"relaytest@D@[192.0.2.1]",
		"\"relaytest@D\"@[192.0.2.1]",
		"@[192.0.2.1]:relaytest@D",
		"D!relaytest",
		"D!relaytest@SRV",
	};
	static const char *const plain[] = { "relaytest@D", "<user@example.com>", "postmaster", "<>" };
	size_t i;

	for (i = 0; i < sizeof(routed) / sizeof(routed[0]); i++)
		ok(sm_access_has_routing(routed[i]) == 1, "routing: %s", routed[i]);
	for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		ok(sm_access_has_routing(plain[i]) == 0, "no routing: %s", plain[i]);
}

/* test_numbers - GreetPause:, ClientRate:, ClientConn: */
static void test_numbers(struct sm_access *a)
{
	long v;

	v = -1;
	is_int(sm_access_greet_pause(a, "192.0.2.1", "mx.slow.example", &v), SM_SUCCESS,
	       "GreetPause: by name");
	is_int(v, 5000, "GreetPause: 5000 ms for slow.example");
	v = -1;
	is_int(sm_access_greet_pause(a, "10.1.2.3", NULL, &v), SM_SUCCESS, "GreetPause: by address");
	is_int(v, 0, "GreetPause: 0 for 10.1.2");
	v = -1;
	is_int(sm_access_greet_pause(a, "192.0.2.1", NULL, &v), SM_SUCCESS, "GreetPause: the bare tag");
	is_int(v, 1000, "GreetPause: default 1000 ms");
	v = -1;
	is_int(sm_access_greet_pause(a, "10.1.3.1", NULL, &v), SM_TRYAGAIN,
	       "GreetPause: not a number defers");
	is_int(v, -1, "GreetPause: not a number leaves the default");
	v = -1;
	is_int(sm_access_client_rate(a, "10.9.1.1", NULL, &v), SM_SUCCESS, "ClientRate: by prefix");
	is_int(v, 5, "ClientRate: 5");
	v = -1;
	is_int(sm_access_client_rate(a, "10.8.1.1", NULL, &v), SM_NOTFOUND, "ClientRate: none");
	is_int(v, -1, "ClientRate: none leaves the default");
	v = -1;
	is_int(sm_access_client_conn(a, "10.9.9.9", NULL, &v), SM_SUCCESS, "ClientConn: by address");
	is_int(v, 2, "ClientConn: 2");
}

/* test_missing - no map: every lookup finds nothing */
static void test_missing(void)
{
	struct sm_buf err = SM_BUF_INIT;
	struct sm_access *a = sm_access_open_path(in_dir("nosuchmap"), &err);
	struct sm_access_result r;
	struct sm_relay_result out;
	struct sm_relay_query q = { .client_ip = "192.0.2.1", .rcpt = "x@far.example" };
	long v = 7;

	is_int(sm_access_state(a), SM_UNAVAIL, "missing map: absent");
	is_int((long)err.len, 0, "missing map: no error");
	is_int(sm_access_connect(a, "192.0.2.1", "host.example", &r), SM_ACCESS_NONE,
	       "missing map: Connect: none");
	sm_access_result_free(&r);
	is_int(sm_access_to(a, "x@example.com", &r), SM_ACCESS_NONE, "missing map: To: none");
	sm_access_result_free(&r);
	is_int(sm_access_greet_pause(a, "192.0.2.1", NULL, &v), SM_NOTFOUND, "missing map: GreetPause: none");
	is_int(sm_access_may_relay(a, &q, &out), SM_RELAY_NO, "missing map: no relaying");
	sm_relay_result_free(&out);
	sm_access_close(a);
	a = sm_access_open_path("", &err);
	is_int(sm_access_from(a, "x@example.com", &r), SM_ACCESS_NONE, "no AccessFile: From: none");
	sm_access_result_free(&r);
	sm_access_close(a);
	sm_buf_free(&err);
}

/* test_damaged - a map that is not a table: TEMPFAIL, never OK, logged once */
static void test_damaged(void)
{
	struct sm_buf err = SM_BUF_INIT;
	struct sm_access *a;
	struct sm_access_result r;
	struct sm_relay_result out;
	struct sm_relay_query q = { .client_ip = "128.32.1.1", .rcpt = "x@relayed.example" };
	char *reply;
	long v = 7;

	write_file(in_dir("broken.lmdb"), "this is not an LMDB file, not at all, no", 0644);
	log_reset();
	sm_log_sink(log_capture, NULL);
	a = sm_access_open_path(in_dir("broken"), &err);
	is_int(sm_access_state(a), SM_TRYAGAIN, "damaged map: failed");
	ok(strstr(sm_buf_str(&err), "broken.lmdb") != NULL, "damaged map: err names the file");
	is_int(sm_access_connect(a, "128.32.1.1", NULL, &r), SM_ACCESS_TEMPFAIL,
	       "damaged map: Connect: TEMPFAIL");
	is_str(r.reply, SM_ACCESS_TEMPFAIL_REPLY, "damaged map: 451 4.3.0");
	sm_access_result_free(&r);
	is_int(sm_access_from(a, "x@example.com", &r), SM_ACCESS_TEMPFAIL, "damaged map: From: TEMPFAIL");
	sm_access_result_free(&r);
	is_int(sm_access_to(a, "x@example.com", &r), SM_ACCESS_TEMPFAIL, "damaged map: To: TEMPFAIL");
	sm_access_result_free(&r);
	is_int(sm_access_tls_clt(a, "secure.example", NULL, &r), SM_ACCESS_TEMPFAIL,
	       "damaged map: TLS_Clt: TEMPFAIL");
	is_int(sm_access_tls_check(&r, "OK", 256, &reply), 0, "damaged map: TLS check refuses");
	free(reply);
	sm_access_result_free(&r);
	is_int(sm_access_cert(a, "CERTISSUER", ISSUER_DN, &r), SM_ACCESS_TEMPFAIL,
	       "damaged map: CERTISSUER TEMPFAIL");
	sm_access_result_free(&r);
	is_int(sm_access_greet_pause(a, "192.0.2.1", NULL, &v), SM_TRYAGAIN,
	       "damaged map: GreetPause: TRYAGAIN");
	is_int(v, 7, "damaged map: the default stays");
	is_int(sm_access_may_relay(a, &q, &out), SM_RELAY_TEMPFAIL,
	       "damaged map: relaying deferred, not allowed");
	sm_relay_result_free(&out);
	is_int((long)logs.count, 1, "damaged map: logged once");
	sm_log_sink(NULL, NULL);
	log_reset();
	sm_access_close(a);
	sm_buf_free(&err);
}

/* test_config - sm_access_open reads AccessFile */
static void test_config(const char *base)
{
	struct sm_config *cf = sm_config_new();
	struct sm_buf err = SM_BUF_INIT;
	struct sm_access *a;
	struct sm_access_result r;

	is_str(sm_config_str(cf, "AccessFile"), "/etc/mail/access", "AccessFile default");
	config_set(cf, "AccessFile", base);
	a = sm_access_open(cf, &err);
	is_int(sm_access_state(a), SM_SUCCESS, "sm_access_open: AccessFile.lmdb open");
	is_int(sm_access_connect(a, "192.0.2.7", NULL, &r), SM_ACCESS_OK, "sm_access_open: lookups work");
	sm_access_result_free(&r);
	sm_access_close(a);
	sm_config_free(cf);
	sm_buf_free(&err);
}

int main(void)
{
	struct sm_buf err = SM_BUF_INIT;
	struct sm_access *a;
	char *base;

	if (test_dir_make("/tmp/t_access.XXXXXX") < 0) {
		printf("Bail out! cannot make a temporary directory\n");
		return 1;
	}
	base = make_map("access", entries, sizeof(entries) / sizeof(entries[0]));
	sm_log_sink(log_capture, NULL);
	a = sm_access_open_path(base, &err);
	is_int(sm_access_state(a), SM_SUCCESS, "map open");
	test_lookups(a);
	ok(log_has("malformed value \"WHATEVER\"") >= 0, "a malformed value is logged");
	sm_log_sink(NULL, NULL);
	log_reset();
	test_tls_check();
	test_encode();
	test_relay(a);
	test_routing();
	test_numbers(a);
	sm_access_close(a);
	test_missing();
	test_damaged();
	test_config(base);
	free(base);
	sm_buf_free(&err);
	test_dir_remove();
	return done_testing();
}
