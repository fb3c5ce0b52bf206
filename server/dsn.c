/*
 * server/dsn.c - delivery status notifications (RFC 3464): bounces, delay warnings, success notices
 *
 * See dsn.h for the interface, the rules that decide whether a report is
 * due, and the layout of the report. Reads no configuration.
 *
 * DIAGNOSTICS
 *	Only a caller bug is logged: an item whose recipient index is out of
 *	range, at LOG_ERR with the queue id. Whether a report is sent is the
 *	caller's decision to log.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "server/dsn.h"
#include "server/queue.h"

#define BOUNDARY_PREFIX "=_sm_"
#define CUT_MARK "..."

static const char *const wday_names[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
static const char *const month_names[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

/* sm_dsn_kind_name - the Action: value of a kind, a constant */
const char *sm_dsn_kind_name(enum sm_dsn_kind kind)
{
	switch (kind) {
	case SM_DSN_FAILED:
		return "failed";
	case SM_DSN_DELAYED:
		return "delayed";
	case SM_DSN_DELIVERED:
		return "delivered";
	case SM_DSN_RELAYED:
		return "relayed";
	}
	return "unknown";
}

/*
 * put_clean - append n bytes of p sanitized for a header line: control and 8-bit bytes become '?', or
 * with join each run of CR and LF one space; at most max bytes of p, then CUT_MARK
 */
static void put_clean(struct sm_buf *b, const char *p, size_t n, size_t max, int join)
{
	const unsigned char *s = (const unsigned char *)p;
	size_t i, lim = n > max ? max : n;

	for (i = 0; i < lim; i++) {
		if (join && (s[i] == '\r' || s[i] == '\n')) {
			while (i + 1 < lim && (s[i + 1] == '\r' || s[i + 1] == '\n'))
				i++;
			sm_buf_addc(b, ' ');
		} else if (s[i] < 0x20 || s[i] >= 0x7f) {
			sm_buf_addc(b, '?');
		} else {
			sm_buf_addc(b, s[i]);
		}
	}
	if (n > max)
		sm_buf_adds(b, CUT_MARK);
}

/* put_cleans - put_clean of a NUL-terminated string, no line joining */
static void put_cleans(struct sm_buf *b, const char *s)
{
	put_clean(b, s, strlen(s), SM_DSN_VALUE_MAX, 0);
}

/* put_date - append t as an RFC 5322 date-time in local time with a numeric zone */
static void put_date(struct sm_buf *b, time_t t)
{
	struct tm tm;
	long off;

	if (localtime_r(&t, &tm) == NULL) {
		sm_buf_adds(b, "Thu, 1 Jan 1970 00:00:00 +0000");
		return;
	}
	off = tm.tm_gmtoff / 60;
	sm_buf_printf(b, "%s, %d %s %d %02d:%02d:%02d %c%02ld%02ld", wday_names[tm.tm_wday % 7], tm.tm_mday,
	              month_names[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
	              off < 0 ? '-' : '+', (off < 0 ? -off : off) / 60, (off < 0 ? -off : off) % 60);
}

/* status_valid - s is an enhanced status code: class 2, 4 or 5, then .1-3 digits twice */
static int status_valid(const char *s)
{
	size_t i, d;

	if (s == NULL || (s[0] != '2' && s[0] != '4' && s[0] != '5') || s[1] != '.')
		return 0;
	s += 2;
	for (i = 0; i < 2; i++) {
		for (d = 0; s[d] >= '0' && s[d] <= '9'; d++)
			;
		if (d < 1 || d > 3)
			return 0;
		s += d;
		if (i == 0 && *s++ != '.')
			return 0;
	}
	return *s == '\0';
}

/* default_status - the status for a kind when the item gives none (or a bad one) */
static const char *default_status(enum sm_dsn_kind kind)
{
	switch (kind) {
	case SM_DSN_FAILED:
		return "5.0.0";
	case SM_DSN_DELAYED:
		return "4.0.0";
	case SM_DSN_DELIVERED:
	case SM_DSN_RELAYED:
		return "2.0.0";
	}
	return "5.0.0";
}

/* notify_wants - whether a recipient's NOTIFY asks for a report of this kind */
static int notify_wants(unsigned notify, enum sm_dsn_kind kind)
{
	if (notify & SM_NOTIFY_NEVER)
		return 0;
	switch (kind) {
	case SM_DSN_FAILED:
		return notify == 0 || (notify & SM_NOTIFY_FAILURE);
	case SM_DSN_DELAYED:
		return notify == 0 || (notify & SM_NOTIFY_DELAY);
	case SM_DSN_DELIVERED:
	case SM_DSN_RELAYED:
		return (notify & SM_NOTIFY_SUCCESS) != 0;
	}
	return 0;
}

/* strip_angles - narrow [*p, *p + *n) by one pair of surrounding <> */
static void strip_angles(const char **p, size_t *n)
{
	if (*n >= 2 && (*p)[0] == '<' && (*p)[*n - 1] == '>') {
		(*p)++;
		*n -= 2;
	}
}

/* same_address - a (n bytes) equals the string b, ASCII case and surrounding <> ignored */
static int same_address(const char *a, size_t n, const char *b)
{
	size_t bn = strlen(b);

	strip_angles(&a, &n);
	strip_angles(&b, &bn);
	return n == bn && (n == 0 || strncasecmp(a, b, n) == 0) && memchr(a, '\0', n) == NULL;
}

/* header_len - bytes of the header section at the start of body (up to, without, the empty line) */
static size_t header_len(const char *body, size_t len)
{
	size_t i;

	if (len >= 2 && body[0] == '\r' && body[1] == '\n')
		return 0;
	if (len >= 1 && body[0] == '\n')
		return 0;
	for (i = 0; i < len; i++) {
		if (body[i] != '\n')
			continue;
		if (i + 1 < len && body[i + 1] == '\n')
			return i + 1;
		if (i + 2 < len && body[i + 1] == '\r' && body[i + 2] == '\n')
			return i + 1;
	}
	return len;
}

/* sm_dsn_is_double_bounce - m has the null sender and carries our double-bounce header field */
int sm_dsn_is_double_bounce(const struct sm_qmsg *m)
{
	const char *p = m->body.data;
	size_t hlen, flen = strlen(SM_DSN_DOUBLE_BOUNCE_FIELD), i = 0;

	if (m->sender.len != 0 || p == NULL)
		return 0;
	hlen = header_len(p, m->body.len);
	while (i < hlen) {
		const char *eol = memchr(p + i, '\n', hlen - i);
		size_t end = eol ? (size_t)(eol - p) + 1 : hlen;

		if (end - i > flen && strncasecmp(p + i, SM_DSN_DOUBLE_BOUNCE_FIELD, flen) == 0) {
			size_t j = i + flen;

			while (j < end && (p[j] == ' ' || p[j] == '\t'))
				j++;
			if (j < end && p[j] == ':')
				return 1;
		}
		i = end;
	}
	return 0;
}

/* put_lines - append n bytes of p with every lone CR or LF made CRLF, ending in CRLF; 1 if 8-bit */
static int put_lines(struct sm_buf *b, const char *p, size_t n)
{
	const unsigned char *s = (const unsigned char *)p;
	size_t i;
	int eight = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '\r') {
			if (i + 1 < n && s[i + 1] == '\n')
				i++;
			sm_buf_add(b, "\r\n", 2);
		} else if (s[i] == '\n') {
			sm_buf_add(b, "\r\n", 2);
		} else {
			eight |= s[i] >= 0x80;
			sm_buf_addc(b, s[i]);
		}
	}
	if (b->len < 2 || b->data[b->len - 2] != '\r' || b->data[b->len - 1] != '\n')
		sm_buf_add(b, "\r\n", 2);
	return eight;
}

/* headers_cut - the header section length, cut at a line end to at most SM_DSN_HEADERS_MAX bytes */
static size_t headers_cut(const char *body, size_t len)
{
	size_t h = header_len(body, len);

	if (h <= SM_DSN_HEADERS_MAX)
		return h;
	h = SM_DSN_HEADERS_MAX;
	while (h > 0 && body[h - 1] != '\n')
		h--;
	return h;
}

/* put_text - the human-readable part's text */
static void put_text(struct sm_buf *t, const struct sm_qmsg *m, enum sm_dsn_kind kind,
                     const struct sm_dsn_item *items, size_t n, const char *mta, int dbl, int full,
                     time_t retry_until)
{
	size_t i;

	sm_buf_adds(t, "This is the mail delivery system at ");
	put_cleans(t, mta);
	sm_buf_adds(t, ".\r\n\r\n");
	switch (kind) {
	case SM_DSN_FAILED:
		if (dbl)
			sm_buf_adds(
			    t, "A message with the null sender <> (usually itself a delivery status\r\n"
			       "notification) could not be delivered to the recipients below. It\r\n"
			       "cannot be returned to its sender, so it is reported to the postmaster\r\n"
			       "(a double bounce). Delivery will not be retried.\r\n");
		else
			sm_buf_adds(t, "Your message could not be delivered to the recipients below.\r\n"
			               "Delivery has failed for good and will not be retried.\r\n");
		if (full)
			sm_buf_adds(t, "The message is attached below.\r\n");
		else if (m->ret == SM_RET_HDRS)
			sm_buf_adds(t, "Only its header is attached below, as asked (RET=HDRS).\r\n");
		else
			sm_buf_printf(t,
			              "The message is larger than %u bytes: only its header is attached "
			              "below.\r\n",
			              SM_DSN_RETURN_MAX);
		break;
	case SM_DSN_DELAYED:
		sm_buf_adds(t, "Your message has not yet been delivered to the recipients below.\r\n"
		               "It is still in the queue and delivery will be retried");
		if (retry_until != 0) {
			sm_buf_adds(t, " until\r\n");
			put_date(t, retry_until);
		}
		sm_buf_adds(t, ".\r\n"
		               "You do not need to send it again; you will get another notice\r\n"
		               "if delivery fails for good. Its header is attached below.\r\n");
		break;
	case SM_DSN_DELIVERED:
		sm_buf_adds(t, "Your message was delivered to the recipients below, as asked\r\n"
		               "(NOTIFY=SUCCESS). Its header is attached below.\r\n");
		break;
	case SM_DSN_RELAYED:
		sm_buf_adds(t, "Your message was passed on to the recipients' mail servers below,\r\n"
		               "which do not report delivery (NOTIFY=SUCCESS cannot be honoured\r\n"
		               "further). Its header is attached below.\r\n");
		break;
	}
	sm_buf_adds(t, "\r\n");
	for (i = 0; i < n; i++) {
		const struct sm_qrcpt *r = &m->rcpt[items[i].rcpt];

		sm_buf_addc(t, '<');
		put_clean(t, r->addr.data, r->addr.len, SM_DSN_VALUE_MAX, 0);
		sm_buf_adds(t, ">:\r\n    ");
		if (items[i].diag)
			put_clean(t, items[i].diag, strlen(items[i].diag), SM_DSN_VALUE_MAX, 1);
		else
			sm_buf_printf(t, "%s (status %s)", sm_dsn_kind_name(kind),
			              status_valid(items[i].status) ? items[i].status : default_status(kind));
		sm_buf_adds(t, "\r\n");
	}
	sm_buf_adds(t, "\r\n");
}

/* put_status - the message/delivery-status part's fields */
static void put_status(struct sm_buf *s, const struct sm_qmsg *m, enum sm_dsn_kind kind,
                       const struct sm_dsn_item *items, size_t n, const char *mta, time_t now,
                       time_t retry_until)
{
	size_t i;

	if (m->envid.len) {
		sm_buf_adds(s, "Original-Envelope-Id: ");
		put_clean(s, m->envid.data, m->envid.len, SM_DSN_VALUE_MAX, 0);
		sm_buf_adds(s, "\r\n");
	}
	sm_buf_adds(s, "Reporting-MTA: dns; ");
	put_cleans(s, mta);
	sm_buf_adds(s, "\r\n");
	if (m->arrival != 0) {
		sm_buf_adds(s, "Arrival-Date: ");
		put_date(s, m->arrival);
		sm_buf_adds(s, "\r\n");
	}
	if (m->id[0]) {
		sm_buf_adds(s, "X-Switchmail-Queue-ID: ");
		put_cleans(s, m->id);
		sm_buf_adds(s, "\r\n");
	}
	for (i = 0; i < n; i++) {
		const struct sm_qrcpt *r = &m->rcpt[items[i].rcpt];

		sm_buf_adds(s, "\r\n");
		if (r->orcpt.len) {
			const char *o = r->orcpt.data;
			size_t ol = r->orcpt.len;

			if (ol >= 7 && strncasecmp(o, "rfc822;", 7) == 0) {
				o += 7;
				ol -= 7;
			}
			sm_buf_adds(s, "Original-Recipient: rfc822;");
			put_clean(s, o, ol, SM_DSN_VALUE_MAX, 0);
			sm_buf_adds(s, "\r\n");
		}
		sm_buf_adds(s, "Final-Recipient: rfc822;");
		put_clean(s, r->addr.data, r->addr.len, SM_DSN_VALUE_MAX, 0);
		sm_buf_printf(s, "\r\nAction: %s\r\nStatus: %s\r\n", sm_dsn_kind_name(kind),
		              status_valid(items[i].status) ? items[i].status : default_status(kind));
		if (items[i].mta) {
			sm_buf_adds(s, "Remote-MTA: dns; ");
			put_cleans(s, items[i].mta);
			sm_buf_adds(s, "\r\n");
		}
		if (items[i].diag) {
			sm_buf_adds(s, "Diagnostic-Code: smtp; ");
			put_clean(s, items[i].diag, strlen(items[i].diag), SM_DSN_VALUE_MAX, 1);
			sm_buf_adds(s, "\r\n");
		}
		sm_buf_adds(s, "Last-Attempt-Date: ");
		put_date(s, now);
		sm_buf_adds(s, "\r\n");
		if (kind == SM_DSN_DELAYED && retry_until != 0) {
			sm_buf_adds(s, "Will-Retry-Until: ");
			put_date(s, retry_until);
			sm_buf_adds(s, "\r\n");
		}
	}
	sm_buf_adds(s, "\r\n");
}

/* contains - the n bytes of b hold the string needle */
static int contains(const struct sm_buf *b, const char *needle)
{
	return b->len > 0 && memmem(b->data, b->len, needle, strlen(needle)) != NULL;
}

/* pick_items - the items that get a report, into a new array (freed by caller); their count in *kept */
static struct sm_dsn_item *pick_items(const struct sm_qmsg *m, enum sm_dsn_kind kind,
                                      const struct sm_dsn_item *items, size_t n, const char *postmaster,
                                      size_t *kept)
{
	struct sm_dsn_item *v = sm_calloc(n ? n : 1, sizeof(*v));
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		const struct sm_qrcpt *r;

		if (items[i].rcpt >= m->nrcpt) {
			sm_log(LOG_ERR, "dsn %s: no recipient #%zu (of %zu) to report on",
			       m->id[0] ? m->id : "-", items[i].rcpt, m->nrcpt);
			continue;
		}
		r = &m->rcpt[items[i].rcpt];
		if (!notify_wants(r->notify, kind))
			continue;
		if (m->sender.len == 0 && same_address(r->addr.data, r->addr.len, postmaster))
			continue;
		v[k++] = items[i];
	}
	*kept = k;
	return v;
}

/* sm_dsn_build - the report about items of m as a new message, or NULL when none is due (see dsn.h) */
struct sm_qmsg *sm_dsn_build(const struct sm_qmsg *m, enum sm_dsn_kind kind, const struct sm_dsn_item *items,
                             size_t n, const char *reporting_mta, const char *postmaster, time_t now,
                             time_t retry_until)
{
	struct sm_buf text = SM_BUF_INIT, status = SM_BUF_INIT, orig = SM_BUF_INIT, head = SM_BUF_INIT;
	struct sm_buf boundary = SM_BUF_INIT;
	const char *mta = reporting_mta ? reporting_mta : "localhost";
	const char *pm = postmaster ? postmaster : "postmaster";
	const char *body = m->body.data ? m->body.data : "";
	struct sm_dsn_item *v;
	struct sm_qmsg *out;
	char id[SM_QID_SIZE];
	size_t k;
	int dbl = m->sender.len == 0, full, eight;
	unsigned tries;

	if (dbl && (kind != SM_DSN_FAILED || sm_dsn_is_double_bounce(m)))
		return NULL;
	v = pick_items(m, kind, items, n, pm, &k);
	if (k == 0) {
		free(v);
		return NULL;
	}
	full = kind == SM_DSN_FAILED && m->ret != SM_RET_HDRS && m->body.len <= SM_DSN_RETURN_MAX;

	put_text(&text, m, kind, v, k, mta, dbl, full, retry_until);
	put_status(&status, m, kind, v, k, mta, now, retry_until);
	if (full)
		eight = put_lines(&orig, body, m->body.len);
	else
		eight = put_lines(&orig, body, headers_cut(body, m->body.len));

	/* a boundary that occurs in no part */
	for (tries = 0;; tries++) {
		sm_buf_reset(&boundary);
		sm_queue_newid(id);
		sm_buf_printf(&boundary, BOUNDARY_PREFIX "%s", id);
		if (tries > 0)
			sm_buf_printf(&boundary, ".%u", tries);
		if (!contains(&text, boundary.data) && !contains(&status, boundary.data) &&
		    !contains(&orig, boundary.data))
			break;
	}

	out = sm_qmsg_new();
	out->ret = SM_RET_UNSET;
	if (dbl)
		sm_qmsg_add_rcpt(out, pm, strlen(pm));
	else
		sm_qmsg_add_rcpt(out, m->sender.data, m->sender.len);

	sm_buf_adds(&head, "Date: ");
	put_date(&head, now);
	sm_buf_adds(&head, "\r\nFrom: Mail Delivery Subsystem <MAILER-DAEMON@");
	put_cleans(&head, mta);
	sm_buf_adds(&head, ">\r\nTo: <");
	if (dbl)
		put_cleans(&head, pm);
	else
		put_clean(&head, m->sender.data, m->sender.len, SM_DSN_VALUE_MAX, 0);
	sm_buf_adds(&head, ">\r\nSubject: ");
	switch (kind) {
	case SM_DSN_FAILED:
		sm_buf_adds(&head, dbl ? "Postmaster notify: Undelivered Mail (double bounce)"
		                       : "Undelivered Mail Returned to Sender");
		break;
	case SM_DSN_DELAYED:
		sm_buf_adds(&head, "Delayed Mail (still being retried)");
		break;
	case SM_DSN_DELIVERED:
		sm_buf_adds(&head, "Successful Mail Delivery Report");
		break;
	case SM_DSN_RELAYED:
		sm_buf_adds(&head, "Mail Relayed to a Server Without Delivery Reports");
		break;
	}
	sm_buf_printf(&head, "\r\nMessage-ID: <%s.dsn@", id);
	put_cleans(&head, mta);
	sm_buf_adds(&head, ">\r\nAuto-Submitted: auto-replied\r\n");
	if (dbl)
		sm_buf_adds(&head, SM_DSN_DOUBLE_BOUNCE_FIELD ": yes\r\n");
	sm_buf_printf(&head,
	              "MIME-Version: 1.0\r\n"
	              "Content-Type: multipart/report; report-type=delivery-status; boundary=\"%s\"\r\n"
	              "\r\n"
	              "This is a MIME-encapsulated message.\r\n"
	              "\r\n",
	              boundary.data);

	sm_buf_add(&out->body, head.data, head.len);
	sm_buf_printf(&out->body,
	              "--%s\r\n"
	              "Content-Description: Notification\r\n"
	              "Content-Type: text/plain; charset=us-ascii\r\n"
	              "\r\n",
	              boundary.data);
	sm_buf_add(&out->body, text.data, text.len);
	sm_buf_printf(&out->body,
	              "--%s\r\n"
	              "Content-Description: Delivery report\r\n"
	              "Content-Type: message/delivery-status\r\n"
	              "\r\n",
	              boundary.data);
	sm_buf_add(&out->body, status.data, status.len);
	sm_buf_printf(&out->body, "--%s\r\nContent-Description: %s\r\nContent-Type: %s\r\n%s\r\n",
	              boundary.data, full ? "Undelivered Message" : "Message Headers",
	              full ? "message/rfc822" : "text/rfc822-headers",
	              eight ? "Content-Transfer-Encoding: 8bit\r\n" : "");
	sm_buf_add(&out->body, orig.data, orig.len);
	sm_buf_printf(&out->body, "\r\n--%s--\r\n",
	              boundary.data); /* the CRLF before -- is the delimiter's */

	sm_buf_free(&text);
	sm_buf_free(&status);
	sm_buf_free(&orig);
	sm_buf_free(&head);
	sm_buf_free(&boundary);
	free(v);
	return out;
}
