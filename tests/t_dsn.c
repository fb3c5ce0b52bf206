/*
 * tests/t_dsn.c - TAP tests of the delivery status notifications (server/dsn.c)
 *
 * SYNOPSIS
 *	tests/t_dsn
 *
 * DESCRIPTION
 *	Builds reports with sm_dsn_build(), parses them back (header, MIME
 *	parts, delivery-status groups) and checks every field: the envelope
 *	of the report, NOTIFY filtering per recipient and kind, RET=HDRS
 *	against FULL, the size bound of the returned copy, ENVID and ORCPT,
 *	double bounces to the postmaster and no report about a double bounce,
 *	header injection through CR LF in addresses and replies, the
 *	boundary, CRLF line ends, dates in two time zones, and a commit of a
 *	report to a queue in a temporary directory. Reads no configuration.
 *
 * DIAGNOSTICS
 *	TAP on stdout; exit status non-zero if a test failed.
 */
#include "config.h"

#include <strings.h>
#include <time.h>

#include "server/dsn.h"
#include "server/queue.h"
#include "tests/testutil.h"

#define MTA "mx.example.net"
#define PM "postmaster@example.net"
#define NOW 1727085660         /* Mon, 23 Sep 2024 10:01:00 UTC */
#define ARRIVAL 1726819200     /* Fri, 20 Sep 2024 08:00:00 UTC */
#define RETRY_UNTIL 1727517660 /* Sat, 28 Sep 2024 10:01:00 UTC */
#define MAXF 64
#define MAXG 8
#define MAXP 4

#define BODY                                                                                                 \
	"From: Alice <alice@example.com>\r\nTo: bob@example.org\r\nSubject: hello\r\n\r\nHi Bob,\r\nbye\r\n"
#define HEADERS "From: Alice <alice@example.com>\r\nTo: bob@example.org\r\nSubject: hello\r\n"

/* one header or report field */
struct field {
	char *name;
	char *value;
};

/* a list of fields (a header section or a delivery-status group) */
struct fields {
	struct field f[MAXF];
	size_t n;
	int bad; /* a line that is not "Name: value" */
};

/* one MIME part */
struct part {
	struct fields head;
	char *content;
	size_t len;
};

/* a parsed report */
struct report {
	struct fields head;
	char *boundary;
	struct part part[MAXP];
	size_t nparts;
	int closed;              /* the closing delimiter was found */
	struct fields grp[MAXG]; /* delivery-status: per-message, then one per recipient */
	size_t ngrp;
};

/* parse_fields - "Name: value" lines of text[0..n) into fs (no folding expected); lines end in CRLF */
static void parse_fields(const char *text, size_t n, struct fields *fs)
{
	size_t i = 0;

	while (i < n) {
		const char *eol = memmem(text + i, n - i, "\r\n", 2);
		size_t end = eol ? (size_t)(eol - text) : n;
		const char *colon = memchr(text + i, ':', end - i);
		size_t nl;

		if (colon == NULL || colon == text + i || text[i] == ' ' || text[i] == '\t' ||
		    fs->n == MAXF) {
			fs->bad++;
		} else {
			nl = (size_t)(colon - (text + i));
			fs->f[fs->n].name = sm_strndup(text + i, nl);
			nl++;
			while (i + nl < end && text[i + nl] == ' ')
				nl++;
			fs->f[fs->n].value = sm_strndup(text + i + nl, end - i - nl);
			fs->n++;
		}
		i = end + 2;
	}
}

/* free_fields - release the strings of fs */
static void free_fields(struct fields *fs)
{
	size_t i;

	for (i = 0; i < fs->n; i++) {
		free(fs->f[i].name);
		free(fs->f[i].value);
	}
	fs->n = 0;
}

/* get - the value of the first field called name (case ignored), or NULL */
static const char *get(const struct fields *fs, const char *name)
{
	size_t i;

	for (i = 0; i < fs->n; i++)
		if (strcasecmp(fs->f[i].name, name) == 0)
			return fs->f[i].value;
	return NULL;
}

/* count - how many fields are called name (case ignored) */
static int count(const struct fields *fs, const char *name)
{
	size_t i;
	int c = 0;

	for (i = 0; i < fs->n; i++)
		c += strcasecmp(fs->f[i].name, name) == 0;
	return c;
}

/* split_head - offset of the empty line ending the header section of p[0..n), or n */
static size_t split_head(const char *p, size_t n)
{
	const char *e;

	if (n >= 2 && p[0] == '\r' && p[1] == '\n')
		return 0;
	e = memmem(p, n, "\r\n\r\n", 4);
	return e ? (size_t)(e - p) + 2 : n;
}

/* parse_report - header, parts and delivery-status groups of a report body; 0 or -1 */
static int parse_report(const struct sm_buf *b, struct report *r)
{
	const char *p = b->data, *ct, *q;
	size_t n = b->len, h = split_head(p, n), pos, i;
	char delim[256];

	memset(r, 0, sizeof(*r));
	parse_fields(p, h, &r->head);
	ct = get(&r->head, "Content-Type");
	if (ct == NULL || (q = strstr(ct, "boundary=\"")) == NULL)
		return -1;
	q += 10;
	r->boundary = sm_strndup(q, strcspn(q, "\""));
	snprintf(delim, sizeof(delim), "\r\n--%s", r->boundary);
	pos = h; /* the empty line: "\r\n" before the preamble */
	q = memmem(p + pos, n - pos, delim, strlen(delim));
	while (q != NULL && r->nparts < MAXP) {
		const char *start = q + strlen(delim), *next;
		struct part *pt;
		size_t plen, ph;

		if (start + 2 <= p + n && start[0] == '-' && start[1] == '-') {
			r->closed = 1;
			break;
		}
		if (start + 2 > p + n || start[0] != '\r' || start[1] != '\n')
			return -1;
		start += 2;
		next = memmem(start, (size_t)(p + n - start), delim, strlen(delim));
		if (next == NULL)
			return -1;
		plen = (size_t)(next - start);
		pt = &r->part[r->nparts++];
		ph = split_head(start, plen);
		parse_fields(start, ph, &pt->head);
		ph = ph + 2 <= plen ? ph + 2 : plen;
		pt->content = sm_strndup(start + ph, plen - ph);
		pt->len = plen - ph;
		q = next;
	}
	if (r->nparts >= 2) {
		const char *s = r->part[1].content;
		size_t sl = r->part[1].len;

		pos = 0;
		while (pos < sl && r->ngrp < MAXG) {
			const char *e = memmem(s + pos, sl - pos, "\r\n\r\n", 4);
			size_t end = e ? (size_t)(e - s) + 2 : sl;

			parse_fields(s + pos, end - pos, &r->grp[r->ngrp++]);
			pos = end + 2;
		}
	}
	for (i = 0; i < r->ngrp; i++)
		if (r->grp[i].n == 0)
			return -1;
	return 0;
}

/* free_report - release a parsed report */
static void free_report(struct report *r)
{
	size_t i;

	free_fields(&r->head);
	for (i = 0; i < r->nparts; i++) {
		free_fields(&r->part[i].head);
		free(r->part[i].content);
	}
	for (i = 0; i < r->ngrp; i++)
		free_fields(&r->grp[i]);
	free(r->boundary);
}

/* crlf_only - every LF is preceded by CR, every CR followed by LF, and b ends in CRLF */
static int crlf_only(const struct sm_buf *b)
{
	size_t i;

	for (i = 0; i < b->len; i++) {
		if (b->data[i] == '\n' && (i == 0 || b->data[i - 1] != '\r'))
			return 0;
		if (b->data[i] == '\r' && (i + 1 == b->len || b->data[i + 1] != '\n'))
			return 0;
	}
	return b->len >= 2 && b->data[b->len - 2] == '\r' && b->data[b->len - 1] == '\n';
}

/* occurrences - how many times needle occurs in b */
static int occurrences(const struct sm_buf *b, const char *needle)
{
	const char *p = b->data, *end = b->data + b->len, *q;
	int c = 0;

	while ((q = memmem(p, (size_t)(end - p), needle, strlen(needle))) != NULL) {
		c++;
		p = q + 1;
	}
	return c;
}

/* longest_line - bytes in the longest line of p[0..n), its line end not counted */
static size_t longest_line(const char *p, size_t n)
{
	size_t i, start = 0, best = 0;

	for (i = 0; i < n; i++) {
		if (p[i] == '\n') {
			if (i - start > best)
				best = i - start;
			start = i + 1;
		}
	}
	return best;
}

/* rcpt_spec - one recipient of a test message */
struct rcpt_spec {
	const char *addr;
	const char *orcpt;
	unsigned notify;
};

/* msg_spec - a test message */
struct msg_spec {
	const char *sender;
	const char *envid;
	enum sm_ret ret;
	const char *body;
	struct rcpt_spec rcpt[4];
};

/* make_msg - a queued-looking message from a spec; freed by sm_qmsg_free */
static struct sm_qmsg *make_msg(const struct msg_spec *s)
{
	struct sm_qmsg *m = sm_qmsg_new();
	size_t i;

	memcpy(m->id, "0123456789ABCDEFGHJ", SM_QID_SIZE);
	m->arrival = ARRIVAL;
	sm_buf_adds(&m->sender, s->sender ? s->sender : "");
	sm_buf_adds(&m->envid, s->envid ? s->envid : "");
	m->ret = s->ret;
	sm_buf_adds(&m->body, s->body ? s->body : BODY);
	for (i = 0; i < 4 && s->rcpt[i].addr; i++) {
		struct sm_qrcpt *r = sm_qmsg_add_rcpt(m, s->rcpt[i].addr, strlen(s->rcpt[i].addr));

		sm_buf_adds(&r->orcpt, s->rcpt[i].orcpt ? s->rcpt[i].orcpt : "");
		r->notify = s->rcpt[i].notify;
	}
	return m;
}

/* test_full_bounce - every field of a plain bounce with RET unset */
static void test_full_bounce(void)
{
	static const struct msg_spec spec = {
		.sender = "alice@example.com",
		.envid = "QQ314159",
		.rcpt = { { .addr = "bob@example.org", .orcpt = "rfc822;Bob@Example.org" },
		          { .addr = "carol@example.org", .notify = SM_NOTIFY_FAILURE | SM_NOTIFY_DELAY } },
	};
	const struct sm_dsn_item items[] = {
		{ .rcpt = 0, .status = "5.1.1", .diag = "550 5.1.1 User unknown" },
		{ .rcpt = 1, .status = "5.2.2", .diag = NULL }
	};
	struct sm_qmsg *m = make_msg(&spec), *d;
	struct report r;
	const char *v;

	d = sm_dsn_build(m, SM_DSN_FAILED, items, 2, MTA, PM, NOW, 0);
	if (!ok(d != NULL, "bounce: built")) {
		sm_qmsg_free(m);
		return;
	}
	ok(d->sender.len == 0 && d->envid.len == 0 && d->ret == SM_RET_UNSET && d->id[0] == '\0' &&
	       d->arrival == 0,
	   "bounce: envelope sender <>, no ENVID, RET unset, no id, no arrival");
	ok(d->nrcpt == 1 && strcmp(d->rcpt[0].addr.data, "alice@example.com") == 0 &&
	       d->rcpt[0].notify == 0 && d->rcpt[0].state == SM_RCPT_PENDING,
	   "bounce: one recipient, the sender");
	ok(crlf_only(&d->body), "bounce: every line ends in CRLF");
	is_int(parse_report(&d->body, &r), 0, "bounce: report parses");
	is_int(r.head.bad, 0, "bounce: header has only Name: value lines");
	is_str(get(&r.head, "Date"), "Mon, 23 Sep 2024 10:01:00 +0000", "bounce: Date");
	is_str(get(&r.head, "From"), "Mail Delivery Subsystem <MAILER-DAEMON@" MTA ">", "bounce: From");
	is_str(get(&r.head, "To"), "<alice@example.com>", "bounce: To");
	is_str(get(&r.head, "Subject"), "Undelivered Mail Returned to Sender", "bounce: Subject");
	is_str(get(&r.head, "Auto-Submitted"), "auto-replied", "bounce: Auto-Submitted");
	is_str(get(&r.head, "MIME-Version"), "1.0", "bounce: MIME-Version");
	is_int(count(&r.head, SM_DSN_DOUBLE_BOUNCE_FIELD), 0, "bounce: no double-bounce field");
	v = get(&r.head, "Message-ID");
	ok(v && strlen(v) == 1 + SM_QID_LEN + strlen(".dsn@" MTA ">") && v[0] == '<' &&
	       strcmp(v + 1 + SM_QID_LEN, ".dsn@" MTA ">") == 0,
	   "bounce: Message-ID <ID.dsn@mta> (%s)", v ? v : "none");
	v = get(&r.head, "Content-Type");
	ok(v && strncmp(v, "multipart/report; report-type=delivery-status; boundary=\"", 57) == 0,
	   "bounce: Content-Type multipart/report (%s)", v ? v : "none");
	is_int((long)r.nparts, 3, "bounce: three parts");
	ok(r.closed, "bounce: closing delimiter");
	is_str(get(&r.part[0].head, "Content-Type"), "text/plain; charset=us-ascii", "part 1: text/plain");
	ok(r.part[0].content &&
	       strstr(r.part[0].content, "<bob@example.org>:\r\n    550 5.1.1 User unknown\r\n"),
	   "part 1: recipient with its reply");
	ok(r.part[0].content &&
	       strstr(r.part[0].content, "<carol@example.org>:\r\n    failed (status 5.2.2)\r\n"),
	   "part 1: recipient without reply shows the status");
	ok(r.part[0].content && strstr(r.part[0].content, "The message is attached below."),
	   "part 1: says the message is attached");
	is_str(get(&r.part[1].head, "Content-Type"), "message/delivery-status",
	       "part 2: message/delivery-status");
	is_int((long)r.ngrp, 3, "part 2: per-message group and two recipient groups");
	is_str(get(&r.grp[0], "Original-Envelope-Id"), "QQ314159", "part 2: Original-Envelope-Id");
	is_str(get(&r.grp[0], "Reporting-MTA"), "dns; " MTA, "part 2: Reporting-MTA");
	is_str(get(&r.grp[0], "Arrival-Date"), "Fri, 20 Sep 2024 08:00:00 +0000", "part 2: Arrival-Date");
	is_str(get(&r.grp[0], "X-Switchmail-Queue-ID"), "0123456789ABCDEFGHJ",
	       "part 2: X-Switchmail-Queue-ID");
	ok(r.grp[0].n > 0 && strcmp(r.grp[0].f[0].name, "Original-Envelope-Id") == 0 &&
	       strcmp(r.grp[0].f[1].name, "Reporting-MTA") == 0,
	   "part 2: RFC 3464 field order");
	is_str(get(&r.grp[1], "Original-Recipient"), "rfc822;Bob@Example.org",
	       "rcpt 1: Original-Recipient, rfc822; not doubled");
	is_str(get(&r.grp[1], "Final-Recipient"), "rfc822;bob@example.org", "rcpt 1: Final-Recipient");
	is_str(get(&r.grp[1], "Action"), "failed", "rcpt 1: Action");
	is_str(get(&r.grp[1], "Status"), "5.1.1", "rcpt 1: Status");
	is_str(get(&r.grp[1], "Diagnostic-Code"), "smtp; 550 5.1.1 User unknown", "rcpt 1: Diagnostic-Code");
	is_str(get(&r.grp[1], "Last-Attempt-Date"), "Mon, 23 Sep 2024 10:01:00 +0000",
	       "rcpt 1: Last-Attempt-Date");
	is_int(count(&r.grp[1], "Will-Retry-Until"), 0, "rcpt 1: no Will-Retry-Until for a failure");
	ok(r.grp[1].n > 1 && strcmp(r.grp[1].f[0].name, "Original-Recipient") == 0 &&
	       strcmp(r.grp[1].f[1].name, "Final-Recipient") == 0,
	   "rcpt 1: Original-Recipient before Final-Recipient");
	is_int(count(&r.grp[2], "Original-Recipient"), 0, "rcpt 2: no ORCPT, no Original-Recipient");
	is_str(get(&r.grp[2], "Final-Recipient"), "rfc822;carol@example.org", "rcpt 2: Final-Recipient");
	is_str(get(&r.grp[2], "Status"), "5.2.2", "rcpt 2: Status");
	is_int(count(&r.grp[2], "Diagnostic-Code"), 0, "rcpt 2: no diag, no Diagnostic-Code");
	is_str(get(&r.part[2].head, "Content-Type"), "message/rfc822", "part 3: message/rfc822 (RET unset)");
	is_int(count(&r.part[2].head, "Content-Transfer-Encoding"), 0, "part 3: 7-bit, no encoding label");
	ok(r.part[2].content && r.part[2].len == strlen(BODY) &&
	       memcmp(r.part[2].content, BODY, r.part[2].len) == 0,
	   "part 3: the whole message, byte for byte");
	is_int(occurrences(&d->body, r.boundary), 5, "boundary: only in Content-Type and the 4 delimiters");
	free_report(&r);
	sm_qmsg_free(d);
	sm_qmsg_free(m);
}

/* one case of what is returned */
struct ret_case {
	const char *name;
	enum sm_dsn_kind kind;
	enum sm_ret ret;
	size_t body_extra; /* bytes of body added to reach a size */
	const char *type;  /* Content-Type of part 3 */
	int full;          /* the body text is included */
	const char *text;  /* in part 1 */
};

static const struct ret_case ret_cases[] = {
	{ .name = "failed RET=FULL",
	  .kind = SM_DSN_FAILED,
	  .ret = SM_RET_FULL,
	  .type = "message/rfc822",
	  .full = 1,
	  .text = "The message is attached below." },
	{ .name = "failed RET=HDRS",
	  .kind = SM_DSN_FAILED,
	  .ret = SM_RET_HDRS,
	  .type = "text/rfc822-headers",
	  .text = "Only its header is attached below, as asked (RET=HDRS)." },
	{ .name = "failed RET unset, body at the limit",
	  .kind = SM_DSN_FAILED,
	  .ret = SM_RET_UNSET,
	  .body_extra = SM_DSN_RETURN_MAX - sizeof(BODY) + 1,
	  .type = "message/rfc822",
	  .full = 1 },
	{ .name = "failed RET=FULL, body 1 byte over the limit",
	  .kind = SM_DSN_FAILED,
	  .ret = SM_RET_FULL,
	  .body_extra = SM_DSN_RETURN_MAX - sizeof(BODY) + 2,
	  .type = "text/rfc822-headers",
	  .text = "The message is larger than 1048576 bytes: only its header is attached below." },
	{ .name = "delayed RET=FULL",
	  .kind = SM_DSN_DELAYED,
	  .ret = SM_RET_FULL,
	  .type = "text/rfc822-headers",
	  .text = "delivery will be retried until\r\nSat, 28 Sep 2024 10:01:00 +0000." },
	{ .name = "delivered RET=FULL",
	  .kind = SM_DSN_DELIVERED,
	  .ret = SM_RET_FULL,
	  .type = "text/rfc822-headers",
	  .text = "Your message was delivered to the recipients below" },
};

/* test_returned - part 3 by kind, RET and size; Action, Will-Retry-Until and Subject by kind */
static void test_returned(void)
{
	size_t i;

	for (i = 0; i < sizeof(ret_cases) / sizeof(ret_cases[0]); i++) {
		const struct ret_case *c = &ret_cases[i];
		struct msg_spec spec = { .sender = "alice@example.com",
			                 .ret = c->ret,
			                 .rcpt = { { .addr = "bob@example.org",
			                             .notify = SM_NOTIFY_SUCCESS | SM_NOTIFY_FAILURE |
			                                       SM_NOTIFY_DELAY } } };
		struct sm_dsn_item it = { .rcpt = 0, .status = NULL, .diag = "421 4.4.2 timeout" };
		struct sm_qmsg *m = make_msg(&spec), *d;
		struct report r;
		size_t k;

		for (k = 0; k < c->body_extra; k++)
			sm_buf_addc(&m->body, k % 64 == 63 ? '\n' : 'x');
		d = sm_dsn_build(m, c->kind, &it, 1, MTA, PM, NOW, RETRY_UNTIL);
		if (!ok(d != NULL, "%s: built", c->name)) {
			sm_qmsg_free(m);
			continue;
		}
		is_int(parse_report(&d->body, &r), 0, "  parses");
		ok(crlf_only(&d->body), "  CRLF line ends");
		is_str(get(&r.part[2].head, "Content-Type"), c->type, "  part 3 type");
		ok(r.part[2].content && (strstr(r.part[2].content, "Hi Bob") != NULL) == c->full,
		   "  body text %s", c->full ? "returned" : "not returned");
		ok(r.part[2].content && strncmp(r.part[2].content, HEADERS, strlen(HEADERS)) == 0,
		   "  header section returned");
		if (!c->full)
			ok(r.part[2].len == strlen(HEADERS), "  only the header section (%zu bytes)",
			   r.part[2].len);
		if (c->text)
			ok(r.part[0].content && strstr(r.part[0].content, c->text), "  text part says why");
		is_str(get(&r.grp[1], "Action"), sm_dsn_kind_name(c->kind), "  Action");
		is_str(get(&r.grp[1], "Status"),
		       c->kind == SM_DSN_FAILED    ? "5.0.0"
		       : c->kind == SM_DSN_DELAYED ? "4.0.0"
		                                   : "2.0.0",
		       "  Status by kind when none given");
		if (c->kind == SM_DSN_DELAYED) {
			is_str(get(&r.grp[1], "Will-Retry-Until"), "Sat, 28 Sep 2024 10:01:00 +0000",
			       "  Will-Retry-Until");
			is_str(get(&r.head, "Subject"), "Delayed Mail (still being retried)", "  Subject");
		} else {
			is_int(count(&r.grp[1], "Will-Retry-Until"), 0, "  no Will-Retry-Until");
		}
		if (c->kind == SM_DSN_DELIVERED)
			is_str(get(&r.head, "Subject"), "Successful Mail Delivery Report", "  Subject");
		free_report(&r);
		sm_qmsg_free(d);
		sm_qmsg_free(m);
	}
}

/* one NOTIFY filtering case: three recipients with these NOTIFY values, all reported on */
struct notify_case {
	const char *name;
	enum sm_dsn_kind kind;
	unsigned notify[3];
	const char *reported; /* the Final-Recipient local parts, in order, "" for NULL */
};

#define NV SM_NOTIFY_NEVER
#define NS SM_NOTIFY_SUCCESS
#define NF SM_NOTIFY_FAILURE
#define ND SM_NOTIFY_DELAY

static const struct notify_case notify_cases[] = {
	{ "failed: unset, FAILURE, FAILURE+DELAY", SM_DSN_FAILED, { 0, NF, NF | ND }, "r0 r1 r2" },
	{ "failed: NEVER, SUCCESS, DELAY", SM_DSN_FAILED, { NV, NS, ND }, "" },
	{ "failed: NEVER, unset, SUCCESS", SM_DSN_FAILED, { NV, 0, NS }, "r1" },
	{ "failed: NEVER with FAILURE still never", SM_DSN_FAILED, { NV | NF, NS | NF, 0 }, "r1 r2" },
	{ "delayed: unset, DELAY, FAILURE", SM_DSN_DELAYED, { 0, ND, NF }, "r0 r1" },
	{ "delayed: NEVER, SUCCESS, FAILURE+SUCCESS", SM_DSN_DELAYED, { NV, NS, NF | NS }, "" },
	{ "delayed: DELAY+SUCCESS, NEVER, FAILURE+DELAY", SM_DSN_DELAYED, { ND | NS, NV, NF | ND }, "r0 r2" },
	{ "delivered: unset, FAILURE, DELAY", SM_DSN_DELIVERED, { 0, NF, ND }, "" },
	{ "delivered: SUCCESS, unset, SUCCESS+FAILURE", SM_DSN_DELIVERED, { NS, 0, NS | NF }, "r0 r2" },
	{ "delivered: NEVER+SUCCESS, SUCCESS, NEVER", SM_DSN_DELIVERED, { NV | NS, NS, NV }, "r1" },
};

/* test_notify - per-recipient NOTIFY filtering, NULL when nothing is left */
static void test_notify(void)
{
	size_t i, g;

	for (i = 0; i < sizeof(notify_cases) / sizeof(notify_cases[0]); i++) {
		const struct notify_case *c = &notify_cases[i];
		struct msg_spec spec = { .sender = "alice@example.com",
			                 .rcpt = { { "r0@x.org", NULL, c->notify[0] },
			                           { "r1@x.org", NULL, c->notify[1] },
			                           { "r2@x.org", NULL, c->notify[2] } } };
		const struct sm_dsn_item items[] = { { 0, "5.1.1", "550 no", NULL },
			                             { 1, "5.1.1", "550 no", NULL },
			                             { 2, "5.1.1", "550 no", NULL } };
		struct sm_qmsg *m = make_msg(&spec), *d;
		struct sm_buf got = SM_BUF_INIT;
		struct report r;

		d = sm_dsn_build(m, c->kind, items, 3, MTA, PM, NOW, RETRY_UNTIL);
		if (d != NULL && parse_report(&d->body, &r) == 0) {
			for (g = 1; g < r.ngrp; g++) {
				const char *f = get(&r.grp[g], "Final-Recipient");

				if (g > 1)
					sm_buf_addc(&got, ' ');
				if (f && strncmp(f, "rfc822;", 7) == 0)
					sm_buf_add(&got, f + 7, strcspn(f + 7, "@"));
			}
			free_report(&r);
		}
		if (c->reported[0] == '\0')
			ok(d == NULL, "%s: no report", c->name);
		else
			is_str(sm_buf_str(&got), c->reported, c->name);
		sm_buf_free(&got);
		sm_qmsg_free(d);
		sm_qmsg_free(m);
	}
}

/* test_double_bounce - <> sender: failure to postmaster; never about a double bounce or postmaster */
static void test_double_bounce(void)
{
	static const struct msg_spec user = { .sender = "alice@example.com",
		                              .rcpt = { { .addr = "bob@example.org" } } };
	const struct sm_dsn_item it = { .rcpt = 0, .status = "5.1.1", .diag = "550 5.1.1 unknown" };
	struct sm_qmsg *m = make_msg(&user), *bounce, *dbl, *again;
	struct report r;

	bounce = sm_dsn_build(m, SM_DSN_FAILED, &it, 1, MTA, PM, NOW, 0);
	ok(bounce && !sm_dsn_is_double_bounce(bounce), "bounce of a user's message is no double bounce");
	if (bounce == NULL) {
		sm_qmsg_free(m);
		return;
	}
	memcpy(bounce->id, "1123456789ABCDEFGHJ", SM_QID_SIZE);
	bounce->arrival = NOW;
	/* the bounce itself fails: a double bounce to the postmaster */
	dbl = sm_dsn_build(bounce, SM_DSN_FAILED, &it, 1, MTA, PM, NOW, 0);
	if (ok(dbl != NULL, "failed bounce: double bounce built")) {
		ok(dbl->nrcpt == 1 && strcmp(dbl->rcpt[0].addr.data, PM) == 0 && dbl->sender.len == 0,
		   "double bounce: from <> to the postmaster address");
		ok(sm_dsn_is_double_bounce(dbl), "double bounce: recognised as one");
		is_int(parse_report(&dbl->body, &r), 0, "double bounce: parses");
		is_str(get(&r.head, "To"), "<" PM ">", "double bounce: To");
		is_str(get(&r.head, SM_DSN_DOUBLE_BOUNCE_FIELD), "yes",
		       "double bounce: marked in its header");
		is_str(get(&r.head, "Subject"), "Postmaster notify: Undelivered Mail (double bounce)",
		       "double bounce: Subject");
		is_str(get(&r.grp[1], "Final-Recipient"), "rfc822;alice@example.com",
		       "double bounce: reports the bounce's recipient");
		is_str(get(&r.part[2].head, "Content-Type"), "message/rfc822",
		       "double bounce: returns the bounce");
		ok(r.part[2].content &&
		       strstr(r.part[2].content, "Subject: Undelivered Mail Returned to Sender"),
		   "double bounce: returned bounce inside");
		is_int(occurrences(&dbl->body, r.boundary), 5,
		       "double bounce: own boundary not in the bounce");
		free_report(&r);
		/* the double bounce fails too: nothing, never a loop */
		memcpy(dbl->id, "2123456789ABCDEFGHJ", SM_QID_SIZE);
		again = sm_dsn_build(dbl, SM_DSN_FAILED, &it, 1, MTA, PM, NOW, 0);
		ok(again == NULL, "failed double bounce: no report");
		sm_qmsg_free(again);
	}
	/* delay and success reports for a <> sender: never */
	bounce->rcpt[0].notify = SM_NOTIFY_SUCCESS | SM_NOTIFY_DELAY | SM_NOTIFY_FAILURE;
	again = sm_dsn_build(bounce, SM_DSN_DELAYED, &it, 1, MTA, PM, NOW, RETRY_UNTIL);
	ok(again == NULL, "<> sender: no delay warning");
	sm_qmsg_free(again);
	again = sm_dsn_build(bounce, SM_DSN_DELIVERED, &it, 1, MTA, PM, NOW, 0);
	ok(again == NULL, "<> sender: no success notice");
	sm_qmsg_free(again);
	sm_qmsg_free(dbl);
	sm_qmsg_free(bounce);
	sm_qmsg_free(m);
	{
		/* a <> message addressed to the postmaster, or with the marker field */
		static const struct {
			const char *name;
			const char *rcpt;
			const char *body;
			int report;
		} cases[] = {
			{ "<> to the postmaster address", PM, NULL, 0 },
			{ "<> to <POSTMASTER@EXAMPLE.NET>", "<POSTMASTER@EXAMPLE.NET>", NULL, 0 },
			{ "<> to another address", "root@example.net", NULL, 1 },
			{ "<> with the marker field", "root@example.net",
			  "Subject: x\r\nx-switchmail-double-bounce : yes\r\n\r\nbody\r\n", 0 },
			{ "<> with the marker in the body only", "root@example.net",
			  "Subject: x\r\n\r\nX-Switchmail-Double-Bounce: yes\r\n", 1 },
			{ "<> with a field that only starts like the marker", "root@example.net",
			  "X-Switchmail-Double-Bounced: yes\r\n\r\nx\r\n", 1 },
		};
		size_t i;

		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			struct msg_spec s = { .sender = "",
				              .body = cases[i].body,
				              .rcpt = { { .addr = cases[i].rcpt } } };
			struct sm_qmsg *mm = make_msg(&s),
			               *dd = sm_dsn_build(mm, SM_DSN_FAILED, &it, 1, MTA, PM, NOW, 0);

			ok((dd != NULL) == cases[i].report, "%s: %s", cases[i].name,
			   cases[i].report ? "double bounce" : "no report");
			sm_qmsg_free(dd);
			sm_qmsg_free(mm);
		}
	}
}

/* test_injection - CR, LF, NUL and 8-bit bytes in network values cannot make a field of their own */
static void test_injection(void)
{
	static const char evil_addr[] = "bob\0\r\nFinal-Recipient: rfc822;evil@x";
	struct sm_qmsg *m = sm_qmsg_new(), *d;
	struct sm_qrcpt *rc;
	struct sm_dsn_item it = {
		.rcpt = 0,
		.status = "5.1.1\r\nX-Evil: 1",
		.diag = "550-5.1.1 first\r\n550 5.1.1 second\r\nX-Injected: yes\r\n\r\nBcc: x\x01\x7f"
	};
	struct report r;
	size_t i, g;
	int clean = 1;

	memcpy(m->id, "0123456789ABCDEFGHJ", SM_QID_SIZE);
	sm_buf_adds(&m->sender, "alice@example.com>\r\nBcc: victim@example.org\r\nX-A: <x");
	sm_buf_adds(&m->envid, "id\r\nX-Envid: 1");
	rc = sm_qmsg_add_rcpt(m, evil_addr, sizeof(evil_addr) - 1);
	sm_buf_adds(&rc->orcpt, "rfc822;o\nAction: delivered");
	sm_buf_adds(&m->body, "Subject: \xe9t\xe9\r\n\r\nna\xefve\r\n");
	d = sm_dsn_build(m, SM_DSN_FAILED, &it, 1, MTA "\r\nX-Host: 1", PM, NOW, 0);
	if (!ok(d != NULL, "injection: built")) {
		sm_qmsg_free(m);
		return;
	}
	ok(crlf_only(&d->body), "injection: CRLF line ends");
	is_int(parse_report(&d->body, &r), 0, "injection: parses");
	is_int(r.head.bad, 0, "injection: header lines all Name: value");
	for (i = 0; i < r.head.n; i++)
		clean &=
		    strncasecmp(r.head.f[i].name, "X-", 2) != 0 && strcasecmp(r.head.f[i].name, "Bcc") != 0;
	ok(clean, "injection: no injected header field");
	is_int(count(&r.head, "To"), 1, "injection: one To");
	is_str(get(&r.head, "To"), "<alice@example.com>??Bcc: victim@example.org??X-A: <x>",
	       "injection: To sanitized, not split");
	is_str(get(&r.head, "From"), "Mail Delivery Subsystem <MAILER-DAEMON@" MTA "??X-Host: 1>",
	       "injection: host name sanitized");
	is_int((long)r.ngrp, 2, "injection: one recipient group only");
	clean = 1;
	for (g = 0; g < r.ngrp; g++) {
		clean &= r.grp[g].bad == 0;
		for (i = 0; i < r.grp[g].n; i++)
			clean &= strncasecmp(r.grp[g].f[i].name, "X-", 2) != 0 ||
			         strcmp(r.grp[g].f[i].name, "X-Switchmail-Queue-ID") == 0;
	}
	ok(clean, "injection: no injected report field");
	is_str(get(&r.grp[0], "Original-Envelope-Id"), "id??X-Envid: 1", "injection: ENVID sanitized");
	is_int(count(&r.grp[1], "Final-Recipient"), 1, "injection: one Final-Recipient");
	is_str(get(&r.grp[1], "Final-Recipient"), "rfc822;bob???Final-Recipient: rfc822;evil@x",
	       "injection: NUL, CR, LF in the address become ?");
	is_int(count(&r.grp[1], "Action"), 1, "injection: one Action");
	is_str(get(&r.grp[1], "Action"), "failed", "injection: Action not forged");
	is_str(get(&r.grp[1], "Original-Recipient"), "rfc822;o?Action: delivered",
	       "injection: ORCPT sanitized");
	is_str(get(&r.grp[1], "Status"), "5.0.0", "injection: malformed status replaced");
	is_str(get(&r.grp[1], "Diagnostic-Code"),
	       "smtp; 550-5.1.1 first 550 5.1.1 second X-Injected: yes Bcc: x??",
	       "injection: multi-line reply joined, controls become ?");
	ok(r.part[0].content && strstr(r.part[0].content, "\r\nX-Injected") == NULL &&
	       strstr(r.part[0].content, "\r\nBcc") == NULL,
	   "injection: text part has no line starting with injected text");
	is_str(get(&r.part[2].head, "Content-Transfer-Encoding"), "8bit",
	       "injection: 8-bit copy labelled 8bit");
	ok(r.part[2].content && strstr(r.part[2].content, "na\xefve"), "injection: returned copy unchanged");
	free_report(&r);
	sm_qmsg_free(d);
	sm_qmsg_free(m);
}

/* test_shapes - line ends normalised, boundary-like content, long values cut, statuses, bad input */
static void test_shapes(void)
{
	struct msg_spec spec = { .sender = "alice@example.com",
		                 .body = "Subject: odd\nX-A: b\r\rbody\rline\n--=_sm_0123456789ABCDEFGHJ\n"
		                         "--=_sm_\r\n",
		                 .rcpt = { { .addr = "bob@example.org" } } };
	struct sm_dsn_item it = { .rcpt = 0, .status = "4.4.7", .diag = NULL };
	struct sm_qmsg *m = make_msg(&spec), *d;
	struct sm_buf longv = SM_BUF_INIT;
	struct report r;
	size_t i;

	d = sm_dsn_build(m, SM_DSN_FAILED, &it, 1, MTA, PM, NOW, 0);
	ok(d && crlf_only(&d->body), "bare CR and LF in the original: report still CRLF only");
	if (d && parse_report(&d->body, &r) == 0) {
		is_str(r.part[2].content,
		       "Subject: odd\r\nX-A: b\r\n\r\nbody\r\nline\r\n--=_sm_0123456789ABCDEFGHJ\r\n"
		       "--=_sm_\r\n",
		       "returned copy: line ends made CRLF");
		is_int(occurrences(&d->body, r.boundary), 5,
		       "boundary-like lines in the content: boundary differs");
		is_str(get(&r.grp[1], "Status"), "4.4.7", "a 4.x.x status for a failure (expired) is kept");
		free_report(&r);
	}
	sm_qmsg_free(d);

	/* headers only when the original has no empty line: all of it is header */
	sm_buf_reset(&m->body);
	sm_buf_adds(&m->body, "Subject: no body");
	m->ret = SM_RET_HDRS;
	d = sm_dsn_build(m, SM_DSN_FAILED, &it, 1, MTA, PM, NOW, 0);
	if (d && parse_report(&d->body, &r) == 0) {
		is_str(r.part[2].content, "Subject: no body\r\n", "no empty line: all returned as header");
		free_report(&r);
	}
	sm_qmsg_free(d);

	/* long values are cut, no line over 998 bytes */
	for (i = 0; i < 5000; i++)
		sm_buf_addc(&longv, 'a' + (int)(i % 26));
	it.diag = longv.data;
	sm_buf_reset(&m->rcpt[0].addr);
	sm_buf_add(&m->rcpt[0].addr, longv.data, 3000);
	sm_buf_reset(&m->sender);
	sm_buf_add(&m->sender, longv.data, 2000);
	d = sm_dsn_build(m, SM_DSN_FAILED, &it, 1, MTA, PM, NOW, 0);
	ok(d && longest_line(d->body.data, d->body.len) <= 998, "long values: no line over 998 bytes (%zu)",
	   d ? longest_line(d->body.data, d->body.len) : 0);
	if (d && parse_report(&d->body, &r) == 0) {
		const char *f = get(&r.grp[1], "Diagnostic-Code");

		ok(f && strlen(f) == strlen("smtp; ") + SM_DSN_VALUE_MAX + 3 &&
		       strcmp(f + strlen(f) - 3, "...") == 0,
		   "long diag: cut to %u bytes and ...", SM_DSN_VALUE_MAX);
		ok(d->rcpt[0].addr.len == 2000, "long sender: envelope recipient not cut");
		free_report(&r);
	}
	sm_qmsg_free(d);
	sm_buf_free(&longv);
	sm_qmsg_free(m);

	{
		/* status codes */
		static const struct {
			const char *in, *out;
		} st[] = { { "5.1.1", "5.1.1" },  { "5.123.456", "5.123.456" },
			   { "4.4.7", "4.4.7" },  { "2.0.0", "2.0.0" },
			   { "3.1.1", "5.0.0" },  { "5.1", "5.0.0" },
			   { "5.1.1.", "5.0.0" }, { "5.1234.1", "5.0.0" },
			   { "5..1", "5.0.0" },   { "5.1.1 x", "5.0.0" },
			   { "", "5.0.0" },       { NULL, "5.0.0" } };
		struct msg_spec s = { .sender = "a@b", .rcpt = { { .addr = "c@d" } } };

		m = make_msg(&s);
		for (i = 0; i < sizeof(st) / sizeof(st[0]); i++) {
			struct sm_dsn_item one = { 0, st[i].in, NULL, NULL };

			d = sm_dsn_build(m, SM_DSN_FAILED, &one, 1, MTA, PM, NOW, 0);
			if (d && parse_report(&d->body, &r) == 0) {
				char name[64];

				snprintf(name, sizeof(name), "status \"%s\" -> %s",
				         st[i].in ? st[i].in : "(null)", st[i].out);
				is_str(get(&r.grp[1], "Status"), st[i].out, name);
				free_report(&r);
			} else {
				ok(0, "status case %zu built", i);
			}
			sm_qmsg_free(d);
		}
		sm_qmsg_free(m);
	}
	{
		/* caller mistakes and empty input */
		struct msg_spec s = { .sender = "a@b", .rcpt = { { .addr = "c@d" } } };
		struct sm_dsn_item bad[] = { { 7, "5.1.1", NULL, NULL } },
		                   mixed[] = { { 7, "5.1.1", NULL, NULL }, { 0, NULL, NULL, NULL } };

		m = make_msg(&s);
		log_reset();
		d = sm_dsn_build(m, SM_DSN_FAILED, bad, 1, MTA, PM, NOW, 0);
		ok(d == NULL, "item out of range only: no report");
		ok(log_has("no recipient #7") >= 0 && log_has("0123456789ABCDEFGHJ") >= 0 &&
		       logs.prio[0] == LOG_ERR,
		   "item out of range: logged at LOG_ERR with the queue id");
		sm_qmsg_free(d);
		d = sm_dsn_build(m, SM_DSN_FAILED, mixed, 2, MTA, PM, NOW, 0);
		ok(d != NULL, "item out of range next to a good one: report about the good one");
		sm_qmsg_free(d);
		d = sm_dsn_build(m, SM_DSN_FAILED, NULL, 0, MTA, PM, NOW, 0);
		ok(d == NULL, "no items: no report");
		sm_qmsg_free(d);
		d = sm_dsn_build(m, SM_DSN_FAILED, mixed + 1, 1, NULL, NULL, NOW, 0);
		if (d && parse_report(&d->body, &r) == 0) {
			is_str(get(&r.grp[0], "Reporting-MTA"), "dns; localhost",
			       "NULL host name: localhost");
			free_report(&r);
		}
		sm_qmsg_free(d);
		log_reset();
		sm_qmsg_free(m);
	}
	is_str(sm_dsn_kind_name(SM_DSN_FAILED), "failed", "kind name failed");
	is_str(sm_dsn_kind_name(SM_DSN_DELAYED), "delayed", "kind name delayed");
	is_str(sm_dsn_kind_name(SM_DSN_DELIVERED), "delivered", "kind name delivered");
}

/* test_zones - dates carry the local numeric zone */
static void test_zones(void)
{
	static const struct {
		const char *tz;
		const char *date;
	} zones[] = {
		{ "UTC0", "Mon, 23 Sep 2024 10:01:00 +0000" },
		{ "IST-5:30", "Mon, 23 Sep 2024 15:31:00 +0530" },
		{ "BRT3", "Mon, 23 Sep 2024 07:01:00 -0300" },
		{ "XYZ-14", "Tue, 24 Sep 2024 00:01:00 +1400" },
	};
	struct msg_spec s = { .sender = "a@b", .rcpt = { { .addr = "c@d" } } };
	struct sm_dsn_item it = { 0, "5.1.1", NULL, NULL };
	struct sm_qmsg *m = make_msg(&s), *d;
	struct report r;
	size_t i;

	for (i = 0; i < sizeof(zones) / sizeof(zones[0]); i++) {
		setenv("TZ", zones[i].tz, 1);
		tzset();
		d = sm_dsn_build(m, SM_DSN_FAILED, &it, 1, MTA, PM, NOW, 0);
		if (d && parse_report(&d->body, &r) == 0) {
			is_str(get(&r.head, "Date"), zones[i].date, zones[i].tz);
			free_report(&r);
		} else {
			ok(0, "%s: built", zones[i].tz);
		}
		sm_qmsg_free(d);
	}
	setenv("TZ", "UTC", 1);
	tzset();
	sm_qmsg_free(m);
}

/* test_commit - a report commits to a queue and loads back unchanged */
static void test_commit(void)
{
	struct msg_spec s = { .sender = "alice@example.com", .rcpt = { { .addr = "bob@example.org" } } };
	struct sm_dsn_item it = { 0, "5.1.1", "550 5.1.1 unknown", NULL };
	struct sm_qmsg *m = make_msg(&s), *d, *back = NULL;
	struct sm_queue *q = NULL;

	d = sm_dsn_build(m, SM_DSN_FAILED, &it, 1, MTA, PM, NOW, 0);
	is_int(sm_queue_open(test_dir, &q, NULL), SM_QOK, "commit: open queue");
	is_int(d && q ? sm_queue_commit(q, d, NULL) : SM_QPERMFAIL, SM_QOK, "commit: report committed");
	is_int(d && q ? sm_queue_load(q, d->id, &back, NULL) : SM_QPERMFAIL, SM_QOK, "commit: loads");
	ok(back && d && back->sender.len == 0 && back->nrcpt == 1 &&
	       strcmp(back->rcpt[0].addr.data, "alice@example.com") == 0 && back->body.len == d->body.len &&
	       memcmp(back->body.data, d->body.data, d->body.len) == 0,
	   "commit: envelope and body identical");
	sm_qmsg_free(back);
	sm_qmsg_free(d);
	sm_qmsg_free(m);
	sm_queue_close(q);
}

/* main - run every test in UTC with a temporary directory */
int main(void)
{
	const char *tmp = getenv("TMPDIR");
	char tmpl[PATH_MAX];

	setenv("TZ", "UTC", 1);
	tzset();
	snprintf(tmpl, sizeof(tmpl), "%s/t_dsn.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (test_dir_make(tmpl) < 0) {
		ok(0, "test_dir_make: %s", strerror(errno));
		return done_testing();
	}
	sm_log_sink(log_capture, NULL);
	test_full_bounce();
	test_returned();
	test_notify();
	test_double_bounce();
	test_injection();
	test_shapes();
	test_zones();
	test_commit();
	test_dir_remove();
	sm_log_sink(NULL, NULL);
	log_reset();
	return done_testing();
}
