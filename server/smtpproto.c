/*
 * server/smtpproto.c - the SMTP server's protocol layer over byte buffers
 *
 * SYNOPSIS
 *	See server/smtpproto.h: the command line reader, the command parser,
 *	the session sequence rules, the DATA reader and the reply formatter.
 *
 * DESCRIPTION
 *	Pure functions: no sockets, no I/O, no global state. Every length is
 *	checked before it is used; nothing from the network is copied into a
 *	result without CR, LF and NUL being refused first.
 *
 * CONFIGURATION
 *	None: limits come from the caller.
 *
 * DIAGNOSTICS
 *	Errors are reply strings (see smtpproto.h); nothing is logged.
 *	Allocation failure aborts (lib/mem.h).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/mem.h"
#include "router/address.h"
#include "server/smtpproto.h"

#define R_BARE "500 5.5.2 Syntax error: bare CR or LF in command"
#define R_NUL "500 5.5.2 Syntax error: NUL in command"
#define R_LONG "500 5.5.2 Line too long"
#define R_SYNC "554 5.5.0 Error: SMTP protocol synchronization"

/* sm_smtp_reader_init - a command reader for lines of at most max octets (0: 512) */
void sm_smtp_reader_init(struct sm_smtp_reader *r, size_t max)
{
	r->max = max < 3 ? SM_SMTP_LINE_MAX : max;
	r->discarding = 0;
}

/* find_crlf - offset of the first CRLF in p[0..n), or n */
static size_t find_crlf(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i++)
		if (p[i] == '\r' && p[i + 1] == '\n')
			return i;
	return n;
}

/* sm_smtp_read_line - the next complete command line in buf, or an error reply */
enum sm_smtp_read sm_smtp_read_line(struct sm_smtp_reader *r, const char *buf, size_t len, size_t *used,
                                    struct sm_smtp_line *line)
{
	size_t start = 0, e, i, n;
	const char *p;

	line->ptr = NULL;
	line->len = 0;
	line->reply = NULL;
	*used = 0;
	if (r->discarding) {
		e = find_crlf(buf, len);
		if (e == len) {
			/* keep a trailing CR: it may be the start of the CRLF */
			*used = (len > 0 && buf[len - 1] == '\r') ? len - 1 : len;
			return SM_SMTP_READ_MORE;
		}
		start = e + 2;
		r->discarding = 0;
	}
	p = buf + start;
	n = len - start;
	e = find_crlf(p, n);
	if (e < n && e + 2 <= r->max) {
		*used = start + e + 2;
		for (i = 0; i < e; i++) {
			if (p[i] == '\r' || p[i] == '\n') {
				line->reply = R_BARE;
				return SM_SMTP_READ_ERROR;
			}
			if (p[i] == '\0') {
				line->reply = R_NUL;
				return SM_SMTP_READ_ERROR;
			}
		}
		line->ptr = p;
		line->len = e;
		return SM_SMTP_READ_LINE;
	}
	if (e < n) { /* complete but too long */
		*used = start + e + 2;
		line->reply = R_LONG;
		return SM_SMTP_READ_ERROR;
	}
	if (n >= r->max) { /* too long already, the end not here yet */
		*used = (buf[len - 1] == '\r') ? len - 1 : len;
		r->discarding = 1;
		line->reply = R_LONG;
		return SM_SMTP_READ_ERROR;
	}
	*used = start;
	return SM_SMTP_READ_MORE;
}

static const struct {
	const char *name;
	enum sm_smtp_verb verb;
} verbs[] = {
	{ "HELO", SM_SMTP_HELO },         { "EHLO", SM_SMTP_EHLO }, { "MAIL", SM_SMTP_MAIL },
	{ "RCPT", SM_SMTP_RCPT },         { "DATA", SM_SMTP_DATA }, { "BDAT", SM_SMTP_BDAT },
	{ "RSET", SM_SMTP_RSET },         { "NOOP", SM_SMTP_NOOP }, { "QUIT", SM_SMTP_QUIT },
	{ "VRFY", SM_SMTP_VRFY },         { "EXPN", SM_SMTP_EXPN }, { "HELP", SM_SMTP_HELP },
	{ "STARTTLS", SM_SMTP_STARTTLS }, { "AUTH", SM_SMTP_AUTH },
};

/* sm_smtp_verb_name - the verb in upper case ("?" for SM_SMTP_UNKNOWN); constant */
const char *sm_smtp_verb_name(enum sm_smtp_verb v)
{
	size_t i;

	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (verbs[i].verb == v)
			return verbs[i].name;
	return "?";
}

/* fail - set the reply and return -1 */
static int __attribute__((format(printf, 2, 3))) fail(struct sm_smtp_cmd *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd->reply, sizeof(cmd->reply), fmt, ap);
	va_end(ap);
	return -1;
}

/* xtext_decode - RFC 3461 xtext p[0..n) into out; 0, or -1 when malformed or a control results */
static int xtext_decode(const char *p, size_t n, struct sm_buf *out)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c < 33 || c > 126 || c == '=')
			return -1;
		if (c == '+') {
			const char *h, *l;
			int v;

			if (n - i < 3)
				return -1;
			h = p[i + 1] ? strchr(hex, p[i + 1]) : NULL;
			l = p[i + 2] ? strchr(hex, p[i + 2]) : NULL;
			if (h == NULL || l == NULL)
				return -1;
			v = (int)(h - hex) * 16 + (int)(l - hex);
			if (v < 0x20 || v >= 0x7f)
				return -1;
			sm_buf_addc(out, v);
			i += 2;
			continue;
		}
		sm_buf_addc(out, c);
	}
	return 0;
}

/* word_is - p[0..n) equals word, ignoring case */
static int word_is(const char *p, size_t n, const char *word)
{
	return strlen(word) == n && strncasecmp(p, word, n) == 0;
}

/* parse_notify - NEVER alone or a list of SUCCESS, FAILURE, DELAY; bits or 0 */
static unsigned parse_notify(const char *p, size_t n)
{
	unsigned bits = 0, b;
	size_t i = 0, j;

	while (i <= n) {
		for (j = i; j < n && p[j] != ','; j++)
			;
		if (word_is(p + i, j - i, "NEVER"))
			b = SM_SMTP_NOTIFY_NEVER;
		else if (word_is(p + i, j - i, "SUCCESS"))
			b = SM_SMTP_NOTIFY_SUCCESS;
		else if (word_is(p + i, j - i, "FAILURE"))
			b = SM_SMTP_NOTIFY_FAILURE;
		else if (word_is(p + i, j - i, "DELAY"))
			b = SM_SMTP_NOTIFY_DELAY;
		else
			return 0;
		if (bits & b)
			return 0;
		bits |= b;
		i = j + 1;
	}
	if ((bits & SM_SMTP_NOTIFY_NEVER) && bits != SM_SMTP_NOTIFY_NEVER)
		return 0;
	return bits;
}

/* parse_param - one keyword[=value] of MAIL or RCPT into cmd->params; 0 or -1 */
static int parse_param(struct sm_smtp_cmd *cmd, const char *p, size_t n)
{
	struct sm_smtp_params *pr = &cmd->params;
	const char *eq = memchr(p, '=', n), *v;
	size_t kl = eq ? (size_t)(eq - p) : n, vl = eq ? n - kl - 1 : 0, i;
	int mail = cmd->verb == SM_SMTP_MAIL;
	struct sm_buf b = SM_BUF_INIT;

	v = eq ? eq + 1 : NULL;
	for (i = 0; i < kl; i++)
		if (!((p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= 'a' && p[i] <= 'z') ||
		      (p[i] >= '0' && p[i] <= '9') || (i > 0 && p[i] == '-')))
			return fail(cmd, "501 5.5.4 Bad parameter syntax");
	if (kl == 0)
		return fail(cmd, "501 5.5.4 Bad parameter syntax");
	if (mail && word_is(p, kl, "SIZE")) {
		unsigned long long s = 0;

		if (pr->has_size)
			return fail(cmd, "555 5.5.4 Duplicate parameter SIZE");
		if (v == NULL || vl == 0)
			return fail(cmd, "501 5.5.4 Bad SIZE parameter syntax");
		for (i = 0; i < vl; i++) {
			unsigned d = (unsigned)(v[i] - '0');

			if (v[i] < '0' || v[i] > '9' || s > (~0ULL - d) / 10)
				return fail(cmd, "501 5.5.4 Bad SIZE parameter syntax");
			s = s * 10 + d;
		}
		pr->has_size = 1;
		pr->size = s;
		return 0;
	}
	if (mail && word_is(p, kl, "BODY")) {
		if (pr->body != SM_SMTP_BODY_NONE)
			return fail(cmd, "555 5.5.4 Duplicate parameter BODY");
		if (v && word_is(v, vl, "7BIT"))
			pr->body = SM_SMTP_BODY_7BIT;
		else if (v && word_is(v, vl, "8BITMIME"))
			pr->body = SM_SMTP_BODY_8BITMIME;
		else
			return fail(cmd, "501 5.5.4 Bad BODY parameter syntax");
		return 0;
	}
	if (mail && word_is(p, kl, "RET")) {
		if (pr->ret != SM_SMTP_RET_NONE)
			return fail(cmd, "555 5.5.4 Duplicate parameter RET");
		if (v && word_is(v, vl, "FULL"))
			pr->ret = SM_SMTP_RET_FULL;
		else if (v && word_is(v, vl, "HDRS"))
			pr->ret = SM_SMTP_RET_HDRS;
		else
			return fail(cmd, "501 5.5.4 Bad RET parameter syntax");
		return 0;
	}
	if (mail && word_is(p, kl, "ENVID")) {
		if (pr->envid)
			return fail(cmd, "555 5.5.4 Duplicate parameter ENVID");
		if (v == NULL || vl == 0 || xtext_decode(v, vl, &b) != 0 || b.len > SM_SMTP_ENVID_MAX) {
			sm_buf_free(&b);
			return fail(cmd, "501 5.5.4 Bad ENVID parameter syntax");
		}
		pr->envid = sm_buf_steal(&b);
		return 0;
	}
	if (mail && word_is(p, kl, "AUTH")) {
		/* RFC 4954 5: the submitter as an authenticated client claims it; accepted and not used */
		if (v == NULL || vl == 0 || xtext_decode(v, vl, &b) != 0) {
			sm_buf_free(&b);
			return fail(cmd, "501 5.5.4 Bad AUTH parameter syntax");
		}
		sm_buf_free(&b);
		return 0;
	}
	if (!mail && word_is(p, kl, "NOTIFY")) {
		if (pr->notify)
			return fail(cmd, "555 5.5.4 Duplicate parameter NOTIFY");
		if (v == NULL || (pr->notify = parse_notify(v, vl)) == 0)
			return fail(cmd, "501 5.5.4 Bad NOTIFY parameter syntax");
		return 0;
	}
	if (!mail && word_is(p, kl, "ORCPT")) {
		if (pr->orcpt)
			return fail(cmd, "555 5.5.4 Duplicate parameter ORCPT");
		if (v == NULL || vl < 8 || strncasecmp(v, "rfc822;", 7) != 0 ||
		    xtext_decode(v + 7, vl - 7, &b) != 0 || b.len > SM_SMTP_ORCPT_MAX) {
			sm_buf_free(&b);
			return fail(cmd, "501 5.5.4 Bad ORCPT parameter syntax");
		}
		pr->orcpt = sm_buf_steal(&b);
		return 0;
	}
	return fail(cmd, "555 5.5.4 Unsupported parameter %.*s", (int)(kl > 40 ? 40 : kl), p);
}

/* parse_path - MAIL FROM:<path> [params] or RCPT TO:<path> [params] after the verb; 0 or -1 */
static int parse_path(struct sm_smtp_cmd *cmd, const char *p, size_t n)
{
	int mail = cmd->verb == SM_SMTP_MAIL;
	const char *kw = mail ? "FROM:" : "TO:";
	const char *bad =
	    mail ? "501 5.1.7 Bad sender address syntax" : "501 5.1.3 Bad recipient address syntax";
	size_t kl = strlen(kw), i, lt, gt;
	int quoted = 0;
	struct sm_addr_error err;
	struct sm_addr *a = &cmd->path;

	if (n < kl || strncasecmp(p, kw, kl) != 0)
		return fail(cmd, "501 5.5.4 Syntax: %s", mail ? "MAIL FROM:<address>" : "RCPT TO:<address>");
	for (i = kl; i < n && p[i] == ' '; i++)
		;
	if (i == n || p[i] != '<')
		return fail(cmd, "%s: missing <>", bad);
	lt = i;
	for (gt = lt + 1; gt < n; gt++) {
		if (p[gt] == '\\' && gt + 1 < n)
			gt++;
		else if (p[gt] == '"')
			quoted = !quoted;
		else if (p[gt] == '>' && !quoted)
			break;
	}
	if (gt == n)
		return fail(cmd, "%s: Unbalanced '<'", bad);
	if (sm_addr_parse(p + lt, gt - lt + 1, a, &err) != 0)
		return fail(cmd, "%s: %s", bad, err.text);
	cmd->has_path = 1;
	switch (a->kind) {
	case SM_ADDR_NULL:
		if (!mail)
			return fail(cmd, "%s: null path", bad);
		break;
	case SM_ADDR_MAILBOX:
		if (a->escaped)
			return fail(cmd, "%s: backslash escape", bad);
		if (a->domain == NULL && (mail || !word_is(a->local, strlen(a->local), "postmaster")))
			return fail(cmd, "%s: domain name required", bad);
		break;
	case SM_ADDR_PROGRAM:
	case SM_ADDR_FILE:
	case SM_ADDR_INCLUDE:
		return fail(cmd, "%s: not a mailbox", bad);
	}
	for (i = gt + 1; i < n;) {
		size_t j;

		if (p[i] != ' ')
			return fail(cmd, "%s: text after '>'", bad);
		while (i < n && p[i] == ' ')
			i++;
		for (j = i; j < n && p[j] != ' '; j++)
			;
		if (j > i && parse_param(cmd, p + i, j - i) != 0)
			return -1;
		i = j;
	}
	return 0;
}

/* sm_smtp_parse - one command line (without CRLF) into cmd; 0, or -1 with cmd->reply */
int sm_smtp_parse(const char *line, size_t len, struct sm_smtp_cmd *cmd)
{
	size_t i, vl, al;
	const char *arg;
	struct sm_addr_error err;

	memset(cmd, 0, sizeof(*cmd));
	cmd->verb = SM_SMTP_UNKNOWN;
	for (i = 0; i < len; i++) {
		if (line[i] == '\r' || line[i] == '\n')
			return fail(cmd, "%s", R_BARE);
		if (line[i] == '\0')
			return fail(cmd, "%s", R_NUL);
	}
	while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	for (vl = 0; vl < len && line[vl] != ' '; vl++)
		;
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (word_is(line, vl, verbs[i].name))
			cmd->verb = verbs[i].verb;
	arg = vl < len ? line + vl + 1 : NULL;
	al = vl < len ? len - vl - 1 : 0;
	if (arg && al == 0)
		arg = NULL;
	switch (cmd->verb) {
	case SM_SMTP_UNKNOWN:
		return fail(cmd, "500 5.5.2 Syntax error: command unrecognized");
	case SM_SMTP_BDAT:
		return fail(cmd, "502 5.5.1 BDAT not offered (no CHUNKING)");
	case SM_SMTP_HELO:
	case SM_SMTP_EHLO:
		if (arg == NULL || memchr(arg, ' ', al))
			return fail(cmd, "501 5.5.4 Syntax: %s hostname", sm_smtp_verb_name(cmd->verb));
		cmd->arg = sm_addr_domain(arg, al, &err);
		if (cmd->arg == NULL)
			return fail(cmd, "501 5.5.4 Invalid %s domain: %s", sm_smtp_verb_name(cmd->verb),
			            err.text);
		return 0;
	case SM_SMTP_MAIL:
	case SM_SMTP_RCPT:
		if (arg == NULL)
			return fail(cmd, "501 5.5.4 Syntax: %s",
			            cmd->verb == SM_SMTP_MAIL ? "MAIL FROM:<address>" : "RCPT TO:<address>");
		return parse_path(cmd, arg, al);
	case SM_SMTP_DATA:
	case SM_SMTP_RSET:
	case SM_SMTP_QUIT:
	case SM_SMTP_STARTTLS:
		if (arg)
			return fail(cmd, "501 5.5.4 Syntax: %s", sm_smtp_verb_name(cmd->verb));
		return 0;
	case SM_SMTP_VRFY:
	case SM_SMTP_EXPN:
	case SM_SMTP_AUTH:
		if (arg == NULL)
			return fail(cmd, "501 5.5.4 Syntax: %s argument", sm_smtp_verb_name(cmd->verb));
		cmd->arg = sm_strndup(arg, al);
		return 0;
	case SM_SMTP_NOOP:
	case SM_SMTP_HELP:
		if (arg)
			cmd->arg = sm_strndup(arg, al);
		return 0;
	}
	return fail(cmd, "500 5.5.2 Syntax error: command unrecognized");
}

/* sm_smtp_cmd_free - release what sm_smtp_parse() put in cmd (also after a failure) */
void sm_smtp_cmd_free(struct sm_smtp_cmd *cmd)
{
	free(cmd->arg);
	free(cmd->params.envid);
	free(cmd->params.orcpt);
	sm_addr_free(&cmd->path);
	cmd->arg = cmd->params.envid = cmd->params.orcpt = NULL;
	cmd->has_path = 0;
}

/* sm_smtp_allowed - NULL when v may come in state st, else a constant 503 reply */
const char *sm_smtp_allowed(enum sm_smtp_state st, enum sm_smtp_verb v)
{
	switch (v) {
	case SM_SMTP_MAIL:
		if (st == SM_SMTP_INIT)
			return "503 5.5.1 Bad sequence of commands: send HELO/EHLO first";
		if (st != SM_SMTP_GREETED)
			return "503 5.5.1 Bad sequence of commands: nested MAIL command";
		return NULL;
	case SM_SMTP_RCPT:
		if (st != SM_SMTP_MAILED && st != SM_SMTP_RCPTED)
			return "503 5.5.1 Bad sequence of commands: need MAIL command";
		return NULL;
	case SM_SMTP_DATA:
		if (st == SM_SMTP_MAILED)
			return "503 5.5.1 Bad sequence of commands: need RCPT command";
		if (st != SM_SMTP_RCPTED)
			return "503 5.5.1 Bad sequence of commands: need MAIL command";
		return NULL;
	case SM_SMTP_STARTTLS:
	case SM_SMTP_AUTH:
		if (st == SM_SMTP_INIT)
			return "503 5.5.1 Bad sequence of commands: send EHLO first";
		if (st != SM_SMTP_GREETED)
			return "503 5.5.1 Bad sequence of commands: MAIL transaction in progress";
		return NULL;
	case SM_SMTP_BDAT:
		return "502 5.5.1 BDAT not offered (no CHUNKING)";
	case SM_SMTP_UNKNOWN:
	case SM_SMTP_HELO:
	case SM_SMTP_EHLO:
	case SM_SMTP_RSET:
	case SM_SMTP_NOOP:
	case SM_SMTP_QUIT:
	case SM_SMTP_VRFY:
	case SM_SMTP_EXPN:
	case SM_SMTP_HELP:
		return NULL;
	}
	return NULL;
}

/* sm_smtp_next - the state after v succeeded in state st */
enum sm_smtp_state sm_smtp_next(enum sm_smtp_state st, enum sm_smtp_verb v)
{
	switch (v) {
	case SM_SMTP_HELO:
	case SM_SMTP_EHLO:
		return SM_SMTP_GREETED;
	case SM_SMTP_MAIL:
		return SM_SMTP_MAILED;
	case SM_SMTP_RCPT:
		return SM_SMTP_RCPTED;
	case SM_SMTP_DATA:
		return SM_SMTP_GREETED;
	case SM_SMTP_RSET:
		return st == SM_SMTP_INIT ? SM_SMTP_INIT : SM_SMTP_GREETED;
	case SM_SMTP_STARTTLS:
		return SM_SMTP_INIT;
	case SM_SMTP_UNKNOWN:
	case SM_SMTP_BDAT:
	case SM_SMTP_NOOP:
	case SM_SMTP_QUIT:
	case SM_SMTP_VRFY:
	case SM_SMTP_EXPN:
	case SM_SMTP_HELP:
	case SM_SMTP_AUTH:
		return st;
	}
	return st;
}

/* sm_smtp_ends_group - 1 when v must be the last command of a pipelined group */
int sm_smtp_ends_group(enum sm_smtp_verb v)
{
	switch (v) {
	case SM_SMTP_HELO:
	case SM_SMTP_EHLO:
	case SM_SMTP_DATA:
	case SM_SMTP_BDAT:
	case SM_SMTP_NOOP:
	case SM_SMTP_QUIT:
	case SM_SMTP_VRFY:
	case SM_SMTP_EXPN:
	case SM_SMTP_STARTTLS:
	case SM_SMTP_AUTH:
		return 1;
	case SM_SMTP_UNKNOWN:
	case SM_SMTP_MAIL:
	case SM_SMTP_RCPT:
	case SM_SMTP_RSET:
	case SM_SMTP_HELP:
		return 0;
	}
	return 0;
}

/* sm_smtp_pipelining - a constant 554 reply when v came with pending bytes behind it, else NULL */
const char *sm_smtp_pipelining(enum sm_smtp_verb v, size_t pending)
{
	if (pending == 0 || v == SM_SMTP_QUIT || !sm_smtp_ends_group(v))
		return NULL;
	return R_SYNC;
}

/* sm_smtp_data_init - a DATA reader storing into out, refusing more than max_size (0: no limit) */
void sm_smtp_data_init(struct sm_smtp_data *d, struct sm_buf *out, size_t max_size)
{
	memset(d, 0, sizeof(*d));
	d->out = out;
	d->max_size = max_size;
	d->strict = 1;
	d->bol = 1;
}

/* store - append n bytes of content, honouring the size limit */
static void store(struct sm_smtp_data *d, const char *p, size_t n)
{
	if (d->too_big)
		return;
	if (d->max_size && (d->size > d->max_size || n > d->max_size - d->size)) {
		d->too_big = 1;
		return;
	}
	sm_buf_add(d->out, p, n);
	d->size += n;
}

/* end_line - store CRLF for the end of a line (real or normalised) */
static void end_line(struct sm_smtp_data *d, int real)
{
	if (d->dot) { /* "." then a bare CR or LF: not an end, keep the dot */
		store(d, ".", 1);
		d->linelen++;
		d->dot = 0;
	}
	if (d->linelen + 2 > SM_SMTP_TEXT_MAX)
		d->long_lines++;
	store(d, "\r\n", 2);
	d->linelen = 0;
	d->bol = real;
}

/* sm_smtp_data_feed - consume content; 1 at the end of data (*used up to it), 0 when all used */
int sm_smtp_data_feed(struct sm_smtp_data *d, const char *p, size_t n, size_t *used)
{
	size_t i;

	for (i = 0; i < n && !d->done; i++) {
		char c = p[i];

		if (d->cr) {
			d->cr = 0;
			if (c == '\n') {
				if (d->dot) { /* <CRLF>.<CRLF> */
					d->done = 1;
					d->dot = 0;
					continue;
				}
				end_line(d, 1);
				continue;
			}
			d->bare_cr++;
			end_line(d, 0); /* and c is looked at below */
		}
		if (c == '\r') {
			d->cr = 1;
			continue;
		}
		if (c == '\n') {
			d->bare_lf++;
			end_line(d, 0);
			continue;
		}
		if (d->bol && c == '.') {
			d->bol = 0;
			d->dot = 1;
			continue;
		}
		d->bol = 0;
		d->dot = 0;
		if (c == '\0')
			d->nul++;
		store(d, &c, 1);
		d->linelen++;
	}
	*used = i;
	return d->done;
}

/* sm_smtp_data_reply - NULL when the message read may be accepted, else a constant reply */
const char *sm_smtp_data_reply(const struct sm_smtp_data *d)
{
	if (d->too_big)
		return "552 5.3.4 Message size exceeds fixed limit";
	if (d->strict && (d->bare_cr || d->bare_lf))
		return "550 5.6.0 Message contains bare CR or LF";
	if (d->strict && d->nul)
		return "550 5.6.0 Message contains NUL";
	return NULL;
}

/* add_text - append s made printable, at most room octets */
static void add_text(struct sm_buf *out, const char *s, size_t room)
{
	size_t i;

	for (i = 0; s[i] && i < room; i++) {
		unsigned char c = (unsigned char)s[i];

		sm_buf_addc(out, (c < 0x20 || c == 0x7f) ? '?' : c);
	}
}

/* sm_smtp_reply - append a (multi-line) reply with CRLFs to out */
void sm_smtp_reply(struct sm_buf *out, int code, const char *enh, const char *const *lines, size_t n)
{
	size_t i, count = n ? n : 1;

	for (i = 0; i < count; i++) {
		size_t start = out->len, head;
		const char *text = n ? lines[i] : "";

		sm_buf_printf(out, "%03d%c", code % 1000, i + 1 < count ? '-' : ' ');
		if (enh && *enh) {
			add_text(out, enh, 32);
			if (*text)
				sm_buf_addc(out, ' ');
		}
		head = out->len - start;
		add_text(out, text ? text : "", SM_SMTP_REPLY_MAX - 2 - head);
		sm_buf_add(out, "\r\n", 2);
	}
}
