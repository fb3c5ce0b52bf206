/*
 * tests/t_smtpproto.c - unit tests for the SMTP protocol layer (server/smtpproto.h)
 *
 * SYNOPSIS
 *	tests/t_smtpproto
 *
 * DESCRIPTION
 *	Table-driven TAP tests: the command line reader (CRLF only, bare CR/LF,
 *	NUL, long lines, split input), the command parser and its ESMTP
 *	parameters, the sequence and pipelining rules, the DATA reader fed
 *	every smuggling pattern of security.md 2.1 in one chunk and byte by
 *	byte, and the reply formatter.
 *
 * CONFIGURATION
 *	None.
 *
 * DIAGNOSTICS
 *	TAP on stdout; exit status 1 when a test failed.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/mem.h"
#include "server/smtpproto.h"
#include "tests/tap.h"

#define B(s) s, sizeof(s) - 1

/* vis - p[0..n) with CR, LF, NUL and other controls shown as escapes; the caller frees it */
static char *vis(const char *p, size_t n)
{
	struct sm_buf b = SM_BUF_INIT;
	size_t i;

	sm_buf_adds(&b, "");
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '\r')
			sm_buf_adds(&b, "\\r");
		else if (c == '\n')
			sm_buf_adds(&b, "\\n");
		else if (c < 0x20 || c >= 0x7f)
			sm_buf_printf(&b, "\\x%02x", c);
		else
			sm_buf_addc(&b, c);
	}
	return sm_buf_steal(&b);
}

/* is_bytes - byte strings equal, shown escaped */
static int is_bytes(const char *got, size_t gl, const char *want, size_t wl, const char *name)
{
	char *g = vis(got, gl), *w = vis(want, wl);
	int r = is_str(g, w, name);

	free(g);
	free(w);
	return r;
}

/* str_same_or - strings equal, NULL only to NULL */
static int str_same_or(const char *a, const char *b)
{
	return (a == NULL || b == NULL) ? a == b : strcmp(a, b) == 0;
}

/* read_all - run the command reader over input fed chunk bytes at a time; a transcript */
static char *read_all(const char *in, size_t len, size_t max, size_t chunk)
{
	struct sm_smtp_reader r;
	struct sm_buf pend = SM_BUF_INIT, out = SM_BUF_INIT;
	size_t fed = 0, used;
	struct sm_smtp_line line;
	enum sm_smtp_read st;

	sm_smtp_reader_init(&r, max);
	sm_buf_adds(&out, "");
	while (fed < len) {
		size_t k = chunk && len - fed > chunk ? chunk : len - fed;

		sm_buf_add(&pend, in + fed, k);
		fed += k;
		for (;;) {
			st = sm_smtp_read_line(&r, pend.data, pend.len, &used, &line);
			if (used > pend.len)
				abort();
			if (st == SM_SMTP_READ_LINE) {
				char *v = vis(line.ptr, line.len);

				sm_buf_printf(&out, "[%s]", v);
				free(v);
			} else if (st == SM_SMTP_READ_ERROR) {
				sm_buf_printf(&out, "{%.3s}", line.reply);
			}
			memmove(pend.data, pend.data + used, pend.len - used);
			pend.len -= used;
			if (st == SM_SMTP_READ_MORE)
				break;
		}
	}
	if (pend.len) {
		char *v = vis(pend.data, pend.len);

		sm_buf_printf(&out, "+%s", v);
		free(v);
	}
	sm_buf_free(&pend);
	return sm_buf_steal(&out);
}

static const struct rcase {
	const char *name;
	const char *in;
	size_t len;
	size_t max;
	const char *want;
} rcases[] = {
	{ .name = "one line", B("NOOP\r\n"), .want = "[NOOP]" },
	{ .name = "two lines",
	  B("EHLO a.example\r\nMAIL FROM:<>\r\n"),
	  .want = "[EHLO a.example][MAIL FROM:<>]" },
	{ .name = "incomplete kept", B("QUIT\r\nRSET"), .want = "[QUIT]+RSET" },
	{ .name = "CR pending kept", B("QUIT\r"), .want = "+QUIT\\r" },
	{ .name = "bare LF is not an end", B("NOOP\nRSET\r\n"), .want = "{500}" },
	{ .name = "bare CR is not an end", B("NOOP\rRSET\r\nQUIT\r\n"), .want = "{500}[QUIT]" },
	{ .name = "bare LF alone waits", B("NOOP\n"), .want = "+NOOP\\n" },
	{ .name = "NUL refused", B("NO\0OP\r\nQUIT\r\n"), .want = "{500}[QUIT]" },
	{ .name = "empty line", B("\r\n"), .want = "[]" },
	{ .name = "exactly max with CRLF", B("1234567\r\n"), .max = 9, .want = "[1234567]" },
	{ .name = "max+1 refused, next line read",
	  B("12345678\r\nQUIT\r\n"),
	  .max = 9,
	  .want = "{500}[QUIT]" },
	{ .name = "long, no CRLF yet: error once, discarded",
	  B("123456789012345"),
	  .max = 9,
	  .want = "{500}" },
	{ .name = "long line then CRLF later",
	  B("123456789012345678901234\r\nQUIT\r\n"),
	  .max = 9,
	  .want = "{500}[QUIT]" },
	{ .name = "long line, CR then LF split", B("1234567890\r"), .max = 9, .want = "{500}+\\r" },
	{ .name = "max+1 ending in CR", B("1234567\r\r\nQUIT\r\n"), .max = 9, .want = "{500}[QUIT]" },
};

/* test_reader - the table, fed whole and byte by byte */
static void test_reader(void)
{
	size_t i;
	char name[160];

	for (i = 0; i < sizeof(rcases) / sizeof(rcases[0]); i++) {
		const struct rcase *c = &rcases[i];
		char *got = read_all(c->in, c->len, c->max, 0);

		snprintf(name, sizeof(name), "reader: %s", c->name);
		is_str(got, c->want, name);
		free(got);
		got = read_all(c->in, c->len, c->max, 1);
		if (strcmp(c->name, "long, no CRLF yet: error once, discarded") != 0) {
			snprintf(name, sizeof(name), "reader byte by byte: %s", c->name);
			is_str(got, c->want, name);
		}
		free(got);
	}
	{
		/* default limit 512 with CRLF */
		char line[600];
		char *got;

		memset(line, 'x', sizeof(line));
		memcpy(line + 510, "\r\n", 2);
		got = read_all(line, 512, 0, 0);
		ok(got[0] == '[' && strlen(got) == 512, "reader: 510 + CRLF fits the default 512");
		free(got);
		memcpy(line + 510, "x\r\n", 3);
		got = read_all(line, 513, 0, 0);
		is_str(got, "{500}", "reader: 511 + CRLF is too long");
		free(got);
	}
}

static const struct pcase {
	const char *line;
	int rc;
	enum sm_smtp_verb verb;
	const char *reply; /* prefix of the reply on failure */
	const char *arg;
	const char *path; /* text of the path */
} pcases[] = {
	{ "EHLO mx.Example.ORG", 0, SM_SMTP_EHLO, NULL, "mx.example.org", NULL },
	{ "helo a.example", 0, SM_SMTP_HELO, NULL, "a.example", NULL },
	{ "EHLO [192.0.2.1]", 0, SM_SMTP_EHLO, NULL, "[192.0.2.1]", NULL },
	{ "EHLO", -1, SM_SMTP_EHLO, "501 5.5.4 Syntax: EHLO hostname", NULL, NULL },
	{ "EHLO a b", -1, SM_SMTP_EHLO, "501 5.5.4 Syntax", NULL, NULL },
	{ "EHLO bad_host!", -1, SM_SMTP_EHLO, "501 5.5.4 Invalid EHLO domain", NULL, NULL },
	{ "EHLO 192.0.2.1", -1, SM_SMTP_EHLO, "501 5.5.4 Invalid EHLO domain", NULL, NULL },
	{ "MAIL FROM:<a@b.example>", 0, SM_SMTP_MAIL, NULL, NULL, "a@b.example" },
	{ "mail from:<A@B.Example>", 0, SM_SMTP_MAIL, NULL, NULL, "A@b.example" },
	{ "MAIL FROM: <a@b.example>", 0, SM_SMTP_MAIL, NULL, NULL, "a@b.example" },
	{ "MAIL FROM:<>", 0, SM_SMTP_MAIL, NULL, NULL, "" },
	{ "MAIL FROM:<\"a>b\"@c.example>", 0, SM_SMTP_MAIL, NULL, NULL, "\"a>b\"@c.example" },
	{ "MAIL FROM:<@r.example:a@b.example>", 0, SM_SMTP_MAIL, NULL, NULL, "a@b.example" },
	{ "MAIL FROM:a@b.example", -1, SM_SMTP_MAIL, "501 5.1.7 Bad sender address syntax", NULL, NULL },
	{ "MAIL FROM:<a@b.example", -1, SM_SMTP_MAIL, "501 5.1.7 Bad sender address syntax", NULL, NULL },
	{ "MAIL FROM:<a@b.example>x", -1, SM_SMTP_MAIL, "501 5.1.7 Bad sender address syntax", NULL, NULL },
	{ "MAIL FROM:<a>", -1, SM_SMTP_MAIL, "501 5.1.7 Bad sender address syntax", NULL, NULL },
	{ "MAIL FROM:<a@@b>", -1, SM_SMTP_MAIL, "501 5.1.7 Bad sender address syntax", NULL, NULL },
	{ "MAIL FROM:<|/bin/sh>", -1, SM_SMTP_MAIL, "501 5.1.7 Bad sender address syntax", NULL, NULL },
	{ "MAIL FROM:<\\a@b.example>", -1, SM_SMTP_MAIL, "501 5.1.7", NULL, NULL },
	{ "MAIL TO:<a@b.example>", -1, SM_SMTP_MAIL, "501 5.5.4 Syntax: MAIL FROM:<address>", NULL, NULL },
	{ "MAIL", -1, SM_SMTP_MAIL, "501 5.5.4 Syntax: MAIL FROM:<address>", NULL, NULL },
	{ "RCPT TO:<u@d.example>", 0, SM_SMTP_RCPT, NULL, NULL, "u@d.example" },
	{ "RCPT TO:<Postmaster>", 0, SM_SMTP_RCPT, NULL, NULL, "Postmaster" },
	{ "RCPT TO:<bob>", -1, SM_SMTP_RCPT, "501 5.1.3 Bad recipient address syntax", NULL, NULL },
	{ "RCPT TO:<>", -1, SM_SMTP_RCPT, "501 5.1.3 Bad recipient address syntax", NULL, NULL },
	{ "RCPT TO:<:include:/etc/passwd>", -1, SM_SMTP_RCPT, "501 5.1.3", NULL, NULL },
	{ "RCPT FROM:<u@d.example>", -1, SM_SMTP_RCPT, "501 5.5.4 Syntax: RCPT TO:<address>", NULL, NULL },
	{ "DATA", 0, SM_SMTP_DATA, NULL, NULL, NULL },
	{ "data  ", 0, SM_SMTP_DATA, NULL, NULL, NULL },
	{ "DATA x", -1, SM_SMTP_DATA, "501 5.5.4 Syntax: DATA", NULL, NULL },
	{ "BDAT 10 LAST", -1, SM_SMTP_BDAT, "502 5.5.1", NULL, NULL },
	{ "RSET", 0, SM_SMTP_RSET, NULL, NULL, NULL },
	{ "NOOP", 0, SM_SMTP_NOOP, NULL, NULL, NULL },
	{ "NOOP hello there", 0, SM_SMTP_NOOP, NULL, "hello there", NULL },
	{ "QuIt", 0, SM_SMTP_QUIT, NULL, NULL, NULL },
	{ "VRFY bob", 0, SM_SMTP_VRFY, NULL, "bob", NULL },
	{ "VRFY", -1, SM_SMTP_VRFY, "501 5.5.4", NULL, NULL },
	{ "EXPN staff", 0, SM_SMTP_EXPN, NULL, "staff", NULL },
	{ "HELP", 0, SM_SMTP_HELP, NULL, NULL, NULL },
	{ "STARTTLS", 0, SM_SMTP_STARTTLS, NULL, NULL, NULL },
	{ "STARTTLS now", -1, SM_SMTP_STARTTLS, "501 5.5.4", NULL, NULL },
	{ "AUTH PLAIN AGJvYgBwdw==", 0, SM_SMTP_AUTH, NULL, "PLAIN AGJvYgBwdw==", NULL },
	{ "AUTH", -1, SM_SMTP_AUTH, "501 5.5.4", NULL, NULL },
	{ "auth login", 0, SM_SMTP_AUTH, NULL, "login", NULL },
	{ "AUTH PLAIN =", 0, SM_SMTP_AUTH, NULL, "PLAIN =", NULL },
	{ "AUTH LOGIN dXNlcg==  ", 0, SM_SMTP_AUTH, NULL, "LOGIN dXNlcg==", NULL },
	{ "AUTH ", -1, SM_SMTP_AUTH, "501 5.5.4 Syntax: AUTH argument", NULL, NULL },
	{ "AUTHPLAIN", -1, SM_SMTP_UNKNOWN, "500 5.5.2 Syntax error: command unrecognized", NULL, NULL },
	{ "FROB", -1, SM_SMTP_UNKNOWN, "500 5.5.2 Syntax error: command unrecognized", NULL, NULL },
	{ "MAILFROM:<a@b.example>", -1, SM_SMTP_UNKNOWN, "500 5.5.2", NULL, NULL },
	{ "", -1, SM_SMTP_UNKNOWN, "500 5.5.2", NULL, NULL },
	{ "NOOP\nx", -1, SM_SMTP_UNKNOWN, "500 5.5.2 Syntax error: bare CR or LF", NULL, NULL },
};

/* test_parse - the command table */
static void test_parse(void)
{
	size_t i;
	char name[200], *v;

	for (i = 0; i < sizeof(pcases) / sizeof(pcases[0]); i++) {
		const struct pcase *c = &pcases[i];
		struct sm_smtp_cmd cmd;
		int rc = sm_smtp_parse(c->line, strlen(c->line), &cmd);
		int good = rc == c->rc && cmd.verb == c->verb;

		if (good && c->rc != 0)
			good = strncmp(cmd.reply, c->reply, strlen(c->reply)) == 0;
		if (good && c->rc == 0)
			good =
			    str_same_or(cmd.arg, c->arg) &&
			    (c->path ? cmd.has_path && strcmp(cmd.path.text, c->path) == 0 : !cmd.has_path);
		v = vis(c->line, strlen(c->line));
		snprintf(name, sizeof(name), "parse \"%s\"", v);
		free(v);
		if (!ok(good, "%s", name))
			diag("rc %d verb %d reply \"%s\" arg \"%s\" path \"%s\"", rc, (int)cmd.verb,
			     cmd.reply, cmd.arg ? cmd.arg : "(null)",
			     cmd.has_path ? cmd.path.text : "(none)");
		sm_smtp_cmd_free(&cmd);
	}
}

static const struct qcase {
	const char *line;
	const char *reply; /* NULL: accepted */
	int has_size;
	unsigned long long size;
	enum sm_smtp_body body;
	enum sm_smtp_ret ret;
	const char *envid;
	unsigned notify;
	const char *orcpt;
} qcases[] = {
	{ .line = "MAIL FROM:<a@b.example> SIZE=12345", .has_size = 1, .size = 12345ULL },
	{ .line = "MAIL FROM:<a@b.example> size=0", .has_size = 1, .size = 0 },
	{ .line = "MAIL FROM:<a@b.example> SIZE=18446744073709551615",
	  .has_size = 1,
	  .size = 18446744073709551615ULL },
	{ .line = "MAIL FROM:<a@b.example> SIZE=18446744073709551616", .reply = "501 5.5.4 Bad SIZE" },
	{ .line = "MAIL FROM:<a@b.example> SIZE=99999999999999999999999999", .reply = "501 5.5.4 Bad SIZE" },
	{ .line = "MAIL FROM:<a@b.example> SIZE=", .reply = "501 5.5.4 Bad SIZE" },
	{ .line = "MAIL FROM:<a@b.example> SIZE=-1", .reply = "501 5.5.4 Bad SIZE" },
	{ .line = "MAIL FROM:<a@b.example> SIZE=1x", .reply = "501 5.5.4 Bad SIZE" },
	{ .line = "MAIL FROM:<a@b.example> SIZE", .reply = "501 5.5.4 Bad SIZE" },
	{ .line = "MAIL FROM:<a@b.example> SIZE=1 SIZE=2", .reply = "555 5.5.4 Duplicate parameter SIZE" },
	{ "MAIL FROM:<a@b.example> BODY=8BITMIME", NULL, .body = SM_SMTP_BODY_8BITMIME },
	{ "MAIL FROM:<a@b.example> body=7bit", NULL, .body = SM_SMTP_BODY_7BIT },
	{ .line = "MAIL FROM:<a@b.example> BODY=BINARYMIME", .reply = "501 5.5.4 Bad BODY" },
	{ .line = "MAIL FROM:<a@b.example> BODY=7BIT BODY=7BIT",
	  .reply = "555 5.5.4 Duplicate parameter BODY" },
	{ "MAIL FROM:<a@b.example> RET=HDRS", NULL, .ret = SM_SMTP_RET_HDRS },
	{ "MAIL FROM:<a@b.example> RET=full", NULL, .ret = SM_SMTP_RET_FULL },
	{ .line = "MAIL FROM:<a@b.example> RET=NONE", .reply = "501 5.5.4 Bad RET" },
	{ "MAIL FROM:<a@b.example> ENVID=QQ+2Bx+3D1", NULL, .envid = "QQ+x=1" },
	{ .line = "MAIL FROM:<a@b.example> ENVID=a+0Db", .reply = "501 5.5.4 Bad ENVID" },
	{ .line = "MAIL FROM:<a@b.example> ENVID=a+0Ab", .reply = "501 5.5.4 Bad ENVID" },
	{ .line = "MAIL FROM:<a@b.example> ENVID=a+00b", .reply = "501 5.5.4 Bad ENVID" },
	{ .line = "MAIL FROM:<a@b.example> ENVID=a+2b", .reply = "501 5.5.4 Bad ENVID" },
	{ .line = "MAIL FROM:<a@b.example> ENVID=a+2", .reply = "501 5.5.4 Bad ENVID" },
	{ .line = "MAIL FROM:<a@b.example> ENVID=a+", .reply = "501 5.5.4 Bad ENVID" },
	{ .line = "MAIL FROM:<a@b.example> ENVID=a+G0", .reply = "501 5.5.4 Bad ENVID" },
	{ .line = "MAIL FROM:<a@b.example> ENVID=a+C3", .reply = "501 5.5.4 Bad ENVID" },
	{ .line = "MAIL FROM:<a@b.example> ENVID=a=b", .reply = "501 5.5.4 Bad ENVID" },
	{ .line = "MAIL FROM:<a@b.example> ENVID=", .reply = "501 5.5.4 Bad ENVID" },
	{ "MAIL FROM:<a@b.example> SIZE=10 BODY=8BITMIME RET=HDRS ENVID=x", NULL, 1, 10,
	  SM_SMTP_BODY_8BITMIME, SM_SMTP_RET_HDRS, "x", 0, NULL },
	{ .line = "MAIL FROM:<a@b.example> AUTH=<>", .reply = NULL },
	{ .line = "MAIL FROM:<a@b.example> AUTH=jun+2Bx@b.example", .reply = NULL },
	{ .line = "MAIL FROM:<a@b.example> AUTH=a+zz", .reply = "501 5.5.4 Bad AUTH" },
	{ .line = "MAIL FROM:<a@b.example> NOTIFY=NEVER", .reply = "555 5.5.4 Unsupported parameter NOTIFY" },
	{ .line = "MAIL FROM:<a@b.example> =x", .reply = "501 5.5.4" },
	{ "RCPT TO:<u@d.example> NOTIFY=NEVER", NULL, .notify = SM_SMTP_NOTIFY_NEVER },
	{ "RCPT TO:<u@d.example> NOTIFY=success,FAILURE,Delay", NULL,
	  .notify = SM_SMTP_NOTIFY_SUCCESS | SM_SMTP_NOTIFY_FAILURE | SM_SMTP_NOTIFY_DELAY },
	{ "RCPT TO:<u@d.example> NOTIFY=DELAY", NULL, .notify = SM_SMTP_NOTIFY_DELAY },
	{ .line = "RCPT TO:<u@d.example> NOTIFY=NEVER,DELAY", .reply = "501 5.5.4 Bad NOTIFY" },
	{ .line = "RCPT TO:<u@d.example> NOTIFY=SUCCESS,SUCCESS", .reply = "501 5.5.4 Bad NOTIFY" },
	{ .line = "RCPT TO:<u@d.example> NOTIFY=SUCCESS,", .reply = "501 5.5.4 Bad NOTIFY" },
	{ .line = "RCPT TO:<u@d.example> NOTIFY=", .reply = "501 5.5.4 Bad NOTIFY" },
	{ .line = "RCPT TO:<u@d.example> NOTIFY=ALWAYS", .reply = "501 5.5.4 Bad NOTIFY" },
	{ .line = "RCPT TO:<u@d.example> NOTIFY=DELAY NOTIFY=DELAY",
	  .reply = "555 5.5.4 Duplicate parameter NOTIFY" },
	{ "RCPT TO:<u@d.example> ORCPT=rfc822;u+40d.example", NULL, .orcpt = "u@d.example" },
	{ "RCPT TO:<u@d.example> ORCPT=RFC822;a+2Bb@c", NULL, .orcpt = "a+b@c" },
	{ .line = "RCPT TO:<u@d.example> ORCPT=x400;abc", .reply = "501 5.5.4 Bad ORCPT" },
	{ .line = "RCPT TO:<u@d.example> ORCPT=rfc822;", .reply = "501 5.5.4 Bad ORCPT" },
	{ .line = "RCPT TO:<u@d.example> ORCPT=rfc822;a+0Ab", .reply = "501 5.5.4 Bad ORCPT" },
	{ .line = "RCPT TO:<u@d.example> ORCPT=rfc822;a+zzb", .reply = "501 5.5.4 Bad ORCPT" },
	{ .line = "RCPT TO:<u@d.example> ORCPT=rfc822;a ORCPT=rfc822;b",
	  .reply = "555 5.5.4 Duplicate parameter ORCPT" },
	{ .line = "RCPT TO:<u@d.example> SIZE=1", .reply = "555 5.5.4 Unsupported parameter SIZE" },
	{ .line = "RCPT TO:<u@d.example> XFOO", .reply = "555 5.5.4 Unsupported parameter XFOO" },
	{ "RCPT TO:<u@d.example>  NOTIFY=NEVER  ORCPT=rfc822;x@y", NULL, .notify = SM_SMTP_NOTIFY_NEVER,
	  .orcpt = "x@y" },
};

/* test_params - the ESMTP parameter table */
static void test_params(void)
{
	size_t i;

	for (i = 0; i < sizeof(qcases) / sizeof(qcases[0]); i++) {
		const struct qcase *c = &qcases[i];
		struct sm_smtp_cmd cmd;
		int rc = sm_smtp_parse(c->line, strlen(c->line), &cmd), good;

		if (c->reply)
			good = rc == -1 && strncmp(cmd.reply, c->reply, strlen(c->reply)) == 0;
		else
			good = rc == 0 && cmd.params.has_size == c->has_size && cmd.params.size == c->size &&
			       cmd.params.body == c->body && cmd.params.ret == c->ret &&
			       str_same_or(cmd.params.envid, c->envid) && cmd.params.notify == c->notify &&
			       str_same_or(cmd.params.orcpt, c->orcpt);
		if (!ok(good, "param \"%s\"", c->line))
			diag("rc %d reply \"%s\" size %llu envid %s orcpt %s notify %u", rc, cmd.reply,
			     cmd.params.size, cmd.params.envid ? cmd.params.envid : "(null)",
			     cmd.params.orcpt ? cmd.params.orcpt : "(null)", cmd.params.notify);
		sm_smtp_cmd_free(&cmd);
	}
}

static const struct scase {
	enum sm_smtp_state st;
	enum sm_smtp_verb v;
	int allowed;
	enum sm_smtp_state next;
} scases[] = {
	{ SM_SMTP_INIT, SM_SMTP_MAIL, 0, SM_SMTP_INIT },
	{ SM_SMTP_INIT, SM_SMTP_RCPT, 0, SM_SMTP_INIT },
	{ SM_SMTP_INIT, SM_SMTP_DATA, 0, SM_SMTP_INIT },
	{ SM_SMTP_INIT, SM_SMTP_EHLO, 1, SM_SMTP_GREETED },
	{ SM_SMTP_INIT, SM_SMTP_HELO, 1, SM_SMTP_GREETED },
	{ SM_SMTP_INIT, SM_SMTP_RSET, 1, SM_SMTP_INIT },
	{ SM_SMTP_INIT, SM_SMTP_NOOP, 1, SM_SMTP_INIT },
	{ SM_SMTP_INIT, SM_SMTP_STARTTLS, 0, SM_SMTP_INIT },
	{ SM_SMTP_INIT, SM_SMTP_AUTH, 0, SM_SMTP_INIT },
	{ SM_SMTP_GREETED, SM_SMTP_MAIL, 1, SM_SMTP_MAILED },
	{ SM_SMTP_GREETED, SM_SMTP_RCPT, 0, SM_SMTP_GREETED },
	{ SM_SMTP_GREETED, SM_SMTP_DATA, 0, SM_SMTP_GREETED },
	{ SM_SMTP_GREETED, SM_SMTP_STARTTLS, 1, SM_SMTP_INIT },
	{ SM_SMTP_GREETED, SM_SMTP_AUTH, 1, SM_SMTP_GREETED },
	{ SM_SMTP_MAILED, SM_SMTP_MAIL, 0, SM_SMTP_MAILED },
	{ SM_SMTP_MAILED, SM_SMTP_RCPT, 1, SM_SMTP_RCPTED },
	{ SM_SMTP_MAILED, SM_SMTP_DATA, 0, SM_SMTP_MAILED },
	{ SM_SMTP_MAILED, SM_SMTP_RSET, 1, SM_SMTP_GREETED },
	{ SM_SMTP_MAILED, SM_SMTP_STARTTLS, 0, SM_SMTP_MAILED },
	{ SM_SMTP_MAILED, SM_SMTP_AUTH, 0, SM_SMTP_MAILED },
	{ SM_SMTP_RCPTED, SM_SMTP_AUTH, 0, SM_SMTP_RCPTED },
	{ SM_SMTP_RCPTED, SM_SMTP_RCPT, 1, SM_SMTP_RCPTED },
	{ SM_SMTP_RCPTED, SM_SMTP_DATA, 1, SM_SMTP_GREETED },
	{ SM_SMTP_RCPTED, SM_SMTP_EHLO, 1, SM_SMTP_GREETED },
	{ SM_SMTP_RCPTED, SM_SMTP_VRFY, 1, SM_SMTP_RCPTED },
	{ SM_SMTP_RCPTED, SM_SMTP_QUIT, 1, SM_SMTP_RCPTED },
	{ SM_SMTP_RCPTED, SM_SMTP_BDAT, 0, SM_SMTP_RCPTED },
};

/* test_state - the sequence rules and pipelining */
static void test_state(void)
{
	size_t i;

	for (i = 0; i < sizeof(scases) / sizeof(scases[0]); i++) {
		const struct scase *c = &scases[i];
		const char *r = sm_smtp_allowed(c->st, c->v);
		int good = c->allowed ? r == NULL : r != NULL && r[0] == '5' && r[1] == '0';

		if (good && c->allowed)
			good = sm_smtp_next(c->st, c->v) == c->next;
		if (good && !c->allowed && c->v != SM_SMTP_BDAT)
			good = strncmp(r, "503 5.5.1 Bad sequence of commands", 34) == 0;
		if (!ok(good, "state %d + %s", (int)c->st, sm_smtp_verb_name(c->v)))
			diag("reply %s", r ? r : "(null)");
	}
	ok(sm_smtp_ends_group(SM_SMTP_DATA) && sm_smtp_ends_group(SM_SMTP_EHLO) &&
	       sm_smtp_ends_group(SM_SMTP_QUIT) && sm_smtp_ends_group(SM_SMTP_NOOP) &&
	       sm_smtp_ends_group(SM_SMTP_VRFY) && sm_smtp_ends_group(SM_SMTP_EXPN) &&
	       sm_smtp_ends_group(SM_SMTP_STARTTLS),
	   "EHLO DATA VRFY EXPN QUIT NOOP STARTTLS end a group");
	ok(!sm_smtp_ends_group(SM_SMTP_MAIL) && !sm_smtp_ends_group(SM_SMTP_RCPT) &&
	       !sm_smtp_ends_group(SM_SMTP_RSET),
	   "MAIL RCPT RSET may be pipelined");
	ok(sm_smtp_pipelining(SM_SMTP_MAIL, 100) == NULL, "MAIL with more input behind it: fine");
	is_str(sm_smtp_pipelining(SM_SMTP_DATA, 5), "554 5.5.0 Error: SMTP protocol synchronization",
	       "DATA with input behind it: 554");
	ok(sm_smtp_pipelining(SM_SMTP_STARTTLS, 6) != NULL, "STARTTLS with input behind it: 554");
	ok(sm_smtp_ends_group(SM_SMTP_AUTH), "AUTH ends a group");
	ok(sm_smtp_pipelining(SM_SMTP_AUTH, 0) == NULL, "AUTH alone: fine");
	ok(sm_smtp_pipelining(SM_SMTP_AUTH, 8) != NULL, "AUTH with input behind it: 554");
	ok(sm_smtp_pipelining(SM_SMTP_DATA, 0) == NULL, "DATA at the end of input: fine");
	ok(sm_smtp_pipelining(SM_SMTP_QUIT, 9) == NULL, "QUIT with input behind it: fine");
}

#define TAIL "MAIL FROM:<smuggled@evil.example>\r\nRCPT TO:<v@d.example>\r\nDATA\r\nspoof\r\n"

static const struct dcase {
	const char *name;
	const char *in;
	size_t len;
	const char *content; /* stored */
	size_t clen;
	const char *reply; /* final reply, NULL accepted */
	size_t end;        /* where the data ends; 0: at the end of in */
} dcases[] = {
	{ "plain", B("Subject: x\r\n\r\nbody\r\n.\r\n"), B("Subject: x\r\n\r\nbody\r\n"), NULL, 0 },
	{ "empty message", B(".\r\n"), B(""), NULL, 0 },
	{ "dot-stuffing removed", B("..a\r\n...\r\n.b\r\n.\r\n"), B(".a\r\n..\r\nb\r\n"), NULL, 0 },
	{ "lflf \\n.\\n", B("a\n.\n" TAIL ".\r\n"), B("a\r\n.\r\n" TAIL), "550 5.6.0", 0 },
	{ "crcr \\r.\\r", B("a\r.\r" TAIL ".\r\n"), B("a\r\n.\r\n" TAIL), "550 5.6.0", 0 },
	{ "\\r.\\n", B("a\r.\n" TAIL ".\r\n"), B("a\r\n.\r\n" TAIL), "550 5.6.0", 0 },
	{ "\\n.\\r", B("a\n.\r" TAIL ".\r\n"), B("a\r\n.\r\n" TAIL), "550 5.6.0", 0 },
	{ "\\n.\\r\\n", B("a\n.\r\n" TAIL ".\r\n"), B("a\r\n.\r\n" TAIL), "550 5.6.0", 0 },
	{ "\\r\\n.\\n", B("a\r\n.\n" TAIL ".\r\n"), B("a\r\n.\r\n" TAIL), "550 5.6.0", 0 },
	{ "\\r.\\r\\n", B("a\r.\r\n" TAIL ".\r\n"), B("a\r\n.\r\n" TAIL), "550 5.6.0", 0 },
	{ "\\r\\n.\\r", B("a\r\n.\r" TAIL ".\r\n"), B("a\r\n.\r\n" TAIL), "550 5.6.0", 0 },
	{ "\\r\\n\\0.\\r\\n", B("a\r\n\0.\r\n" TAIL ".\r\n"), B("a\r\n\0.\r\n" TAIL), "550 5.6.0", 0 },
	{ "\\r\\n.\\0\\r\\n", B("a\r\n.\0\r\n" TAIL ".\r\n"), B("a\r\n\0\r\n" TAIL), "550 5.6.0", 0 },
	{ "\\r\\n.\\r\\r\\n", B("a\r\n.\r\r\n" TAIL ".\r\n"), B("a\r\n.\r\n\r\n" TAIL), "550 5.6.0", 0 },
	{ "\\r\\r\\n.\\r\\r\\n", B("a\r\r\n.\r\r\n" TAIL ".\r\n"), B("a\r\n\r\n.\r\n\r\n" TAIL), "550 5.6.0",
	  0 },
	{ "\\n.\\n at the start", B("\n.\n" TAIL ".\r\n"), B("\r\n.\r\n" TAIL), "550 5.6.0", 0 },
	{ "bare LF in a line", B("a\nb\r\n.\r\n"), B("a\r\nb\r\n"),
	  "550 5.6.0 Message contains bare CR or LF", 0 },
	{ "NUL in content", B("a\0b\r\n.\r\n"), B("a\0b\r\n"), "550 5.6.0 Message contains NUL", 0 },
	{ "pipelined after the end", B("a\r\n.\r\n" TAIL), B("a\r\n"), NULL, 6 },
};

/* feed - run a DATA reader over in, chunk bytes at a time (0: all); the bytes used */
static size_t feed(struct sm_smtp_data *d, const char *in, size_t len, size_t chunk, int *ends)
{
	size_t off = 0, used;

	*ends = 0;
	while (off < len) {
		size_t k = chunk && len - off > chunk ? chunk : len - off;

		if (sm_smtp_data_feed(d, in + off, k, &used)) {
			(*ends)++;
			return off + used;
		}
		if (used != k)
			return (size_t)-1;
		off += k;
	}
	return off;
}

/* test_data - every pattern, whole and byte by byte */
static void test_data(void)
{
	size_t i, chunk;
	char name[200];

	for (i = 0; i < sizeof(dcases) / sizeof(dcases[0]); i++) {
		const struct dcase *c = &dcases[i];

		for (chunk = 0; chunk < 2; chunk++) {
			struct sm_buf out = SM_BUF_INIT;
			struct sm_smtp_data d;
			int ends;
			size_t used, end;
			const char *r;

			sm_smtp_data_init(&d, &out, 0);
			used = feed(&d, c->in, c->len, chunk, &ends);
			end = c->end ? c->end : c->len;
			snprintf(name, sizeof(name), "data %s %s: one end, after the real <CRLF>.<CRLF>",
			         c->name, chunk ? "byte by byte" : "in one chunk");
			if (!ok(ends == 1 && used == end, "%s", name))
				diag("ends %d used %zu want %zu", ends, used, end);
			snprintf(name, sizeof(name), "data %s %s: stored content", c->name,
			         chunk ? "byte by byte" : "in one chunk");
			is_bytes(out.data ? out.data : "", out.len, c->content, c->clen, name);
			r = sm_smtp_data_reply(&d);
			snprintf(name, sizeof(name), "data %s %s: reply", c->name,
			         chunk ? "byte by byte" : "in one chunk");
			if (!ok(c->reply ? r && strncmp(r, c->reply, strlen(c->reply)) == 0 : r == NULL, "%s",
			        name))
				diag("reply %s", r ? r : "(null)");
			sm_buf_free(&out);
		}
	}
}

/* split_at - feed in as two chunks split at k; 1 when it ends at the end with content want */
static int split_at(const char *in, size_t len, size_t k, const char *want, size_t wl)
{
	struct sm_buf out = SM_BUF_INIT;
	struct sm_smtp_data d;
	size_t used1, used2;
	int r1, r2, good;

	sm_smtp_data_init(&d, &out, 0);
	r1 = sm_smtp_data_feed(&d, in, k, &used1);
	r2 = sm_smtp_data_feed(&d, in + k, len - k, &used2);
	good = r1 == 0 && used1 == k && r2 == 1 && used2 == len - k && out.len == wl &&
	       memcmp(out.data ? out.data : "", want, wl) == 0 && sm_smtp_data_reply(&d) == NULL;
	sm_buf_free(&out);
	return good;
}

/* test_data_more - chunk boundaries, size limit, long lines, normalise mode */
static void test_data_more(void)
{
	static const char msg[] = "ab\r\n..c\r\n.\r\n";
	struct sm_buf out = SM_BUF_INIT;
	struct sm_smtp_data d;
	size_t used, k, i;
	int all = 1;
	char *big;

	ok(split_at(B(msg), 2, B("ab\r\n.c\r\n")), "split between b and CR");
	ok(split_at(B(msg), 3, B("ab\r\n.c\r\n")), "split between CR and LF");
	ok(split_at(B(msg), 4, B("ab\r\n.c\r\n")), "split before the stuffed dot");
	ok(split_at(B(msg), 5, B("ab\r\n.c\r\n")), "split between the two dots");
	ok(split_at(B(msg), 10, B("ab\r\n.c\r\n")), "split between the final . and CR");
	ok(split_at(B(msg), 11, B("ab\r\n.c\r\n")), "split between the final CR and LF");
	for (k = 1; k < sizeof(msg) - 1; k++)
		all &= split_at(B(msg), k, B("ab\r\n.c\r\n"));
	ok(all, "every split point gives the same message");

	/* size limit: over it nothing more is stored but reading goes on to the end */
	sm_smtp_data_init(&d, &out, 10);
	ok(sm_smtp_data_feed(&d, B("0123456789\r\nmore\r\n.\r\nQUIT\r\n"), &used) == 1 && used == 21,
	   "too big: still consumed to the terminator");
	is_str(sm_smtp_data_reply(&d), "552 5.3.4 Message size exceeds fixed limit", "too big: 552 5.3.4");
	ok(d.too_big && out.len <= 10, "too big: at most the limit stored");
	sm_buf_free(&out);
	sm_smtp_data_init(&d, &out, 10);
	ok(sm_smtp_data_feed(&d, B("01234567\r\n.\r\n"), &used) == 1 && sm_smtp_data_reply(&d) == NULL &&
	       d.size == 10,
	   "exactly the limit: accepted");
	sm_buf_free(&out);

	/* long lines: kept whole, counted */
	big = sm_malloc(3000);
	memset(big, 'x', 3000);
	memcpy(big + 2990, "\r\n.\r\n", 5);
	sm_smtp_data_init(&d, &out, 0);
	ok(sm_smtp_data_feed(&d, big, 2995, &used) == 1 && used == 2995 && out.len == 2992 &&
	       d.long_lines == 1 && sm_smtp_data_reply(&d) == NULL,
	   "a 2990-octet line is stored unchanged and counted");
	sm_buf_free(&out);
	memcpy(big + 998, "\r\n.\r\n", 5);
	sm_smtp_data_init(&d, &out, 0);
	ok(sm_smtp_data_feed(&d, big, 1003, &used) == 1 && d.long_lines == 0, "998 + CRLF is not long");
	sm_buf_free(&out);
	free(big);

	/* normalise mode: bare LF accepted as CRLF, still no early end */
	sm_smtp_data_init(&d, &out, 0);
	d.strict = 0;
	ok(sm_smtp_data_feed(&d, B("a\n.\nb\r\n.\r\n"), &used) == 1 && used == 10 &&
	       sm_smtp_data_reply(&d) == NULL && d.bare_lf == 2,
	   "normalise: bare LF accepted");
	is_bytes(out.data, out.len, B("a\r\n.\r\nb\r\n"), "normalise: stored with CRLF");
	sm_buf_free(&out);

	/* the store never holds a bare CR or LF, whatever the input */
	sm_smtp_data_init(&d, &out, 0);
	sm_smtp_data_feed(&d, B("\r\r\n\n\r\r\r.\r\n\n..\r\n\r.\n.\r\r\n.\r\n"), &used);
	for (i = 0, all = 1; i < out.len; i++)
		if ((out.data[i] == '\r') != (i + 1 < out.len && out.data[i + 1] == '\n') ||
		    (out.data[i] == '\n' && (i == 0 || out.data[i - 1] != '\r')))
			all = 0;
	ok(all && d.done, "stored content holds only CRLF pairs");
	sm_buf_free(&out);

	/* after the end, nothing more is consumed */
	sm_smtp_data_init(&d, &out, 0);
	sm_smtp_data_feed(&d, B(".\r\n"), &used);
	ok(sm_smtp_data_feed(&d, B("x\r\n"), &used) == 1 && used == 0 && out.len == 0,
	   "done reader takes nothing");
	sm_buf_free(&out);
}

/* test_reply - the reply formatter */
static void test_reply(void)
{
	static const char *const ehlo[] = { "mx.example.org", "PIPELINING", "SIZE 10240000", "8BITMIME" };
	static const char *const evil[] = { "a\r\nb" };
	struct sm_buf out = SM_BUF_INIT;
	char longtext[700];

	sm_smtp_reply(&out, 250, NULL, ehlo, 4);
	is_bytes(out.data, out.len,
	         B("250-mx.example.org\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250 8BITMIME\r\n"),
	         "multi-line reply");
	sm_buf_reset(&out);
	sm_smtp_reply(&out, 550, "5.1.1", evil, 1);
	is_bytes(out.data, out.len, B("550 5.1.1 a??b\r\n"), "CR LF in reply text made printable");
	sm_buf_reset(&out);
	sm_smtp_reply(&out, 221, "2.0.0", NULL, 0);
	is_bytes(out.data, out.len, B("221 2.0.0\r\n"), "no text");
	sm_buf_reset(&out);
	memset(longtext, 'y', sizeof(longtext) - 1);
	longtext[sizeof(longtext) - 1] = '\0';
	{
		const char *const l[] = { longtext };

		sm_smtp_reply(&out, 250, "2.0.0", l, 1);
	}
	ok(out.len == SM_SMTP_REPLY_MAX && memcmp(out.data + out.len - 2, "\r\n", 2) == 0,
	   "long reply line cut to 512 with CRLF");
	sm_buf_free(&out);
}

/* main - run every group */
int main(void)
{
	test_reader();
	test_parse();
	test_params();
	test_state();
	test_data();
	test_data_more();
	test_reply();
	return done_testing();
}
