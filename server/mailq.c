/*
 * server/mailq.c - the queue listing of mailq / sendmail -bp, and the -q[!]I/R/S/Q selectors
 *
 * See mailq.h for the interface, the selector rules and the listing
 * format. Reads no configuration.
 *
 * DIAGNOSTICS
 *	As in mailq.h: statuses and err lines only; queue failures are
 *	logged by the queue (queue.c), nothing is logged here.
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/mem.h"
#include "server/mailq.h"
#include "server/queue.h"

/* one selector: kind letter I, R, S or Q, negation, the substring */
struct qsel_item {
	int kind;
	int negate;
	char *text;
	size_t len;
};

/* a set of selectors */
struct sm_qsel {
	struct qsel_item *item;
	size_t n;
	int quarantine; /* a Q selector was given */
};

static const char *const wday_names[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
static const char *const month_names[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

/* sm_qsel_new - an empty selector set; freed by sm_qsel_free */
struct sm_qsel *sm_qsel_new(void)
{
	return sm_calloc(1, sizeof(struct sm_qsel));
}

/* sm_qsel_free - release a selector set */
void sm_qsel_free(struct sm_qsel *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++)
		free(s->item[i].text);
	free(s->item);
	free(s);
}

/* sel_error - one line of explanation into err; -1 */
static int __attribute__((format(printf, 2, 3))) sel_error(struct sm_buf *err, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (err == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (err->len)
		sm_buf_addc(err, '\n');
	sm_buf_adds(err, line);
	return -1;
}

/* sm_qsel_add - add the selector written after -q (see mailq.h); 0, or -1 with err */
int sm_qsel_add(struct sm_qsel *s, const char *arg, struct sm_buf *err)
{
	const char *p = arg;
	struct qsel_item *it;
	int negate = 0, kind;

	if (p == NULL || *p == '\0')
		return sel_error(err, "-q: empty queue selector");
	if (*p == '!') {
		negate = 1;
		p++;
	}
	kind = (unsigned char)*p;
	switch (kind) {
	case 'I':
	case 'R':
	case 'S':
	case 'Q':
		break;
	case '\0':
		return sel_error(err, "-q!: '!' must be followed by I, R, S or Q");
	default:
		if (negate)
			return sel_error(err, "-q!%c: can not use '!' with -q%c (only I, R, S and Q)",
			                 isprint(kind) ? kind : '?', isprint(kind) ? kind : '?');
		return sel_error(err, "-q%c: unknown queue selector (I, R, S or Q)",
		                 isprint(kind) ? kind : '?');
	}
	p++;
	if (*p == '\0' && (kind != 'Q' || negate))
		return sel_error(err, "-q%s%c: the selector needs a text to match", negate ? "!" : "", kind);
	if (kind == 'Q')
		s->quarantine = 1;
	if (*p == '\0')
		return 0;
	s->item = sm_realloc(s->item, (s->n + 1) * sizeof(*s->item));
	it = &s->item[s->n++];
	it->kind = kind;
	it->negate = negate;
	it->text = sm_strdup(p);
	it->len = strlen(p);
	return 0;
}

/* sm_qsel_quarantine - 1 if a Q selector was given (list the quarantined messages) */
int sm_qsel_quarantine(const struct sm_qsel *s)
{
	return s != NULL && s->quarantine;
}

/* has_sub - the n bytes of hay contain the needle (nl bytes); ASCII case ignored when icase */
static int has_sub(const char *hay, size_t n, const char *needle, size_t nl, int icase)
{
	size_t i, j;

	if (nl == 0)
		return 1;
	for (i = 0; i + nl <= n; i++) {
		for (j = 0; j < nl; j++) {
			unsigned char a = (unsigned char)hay[i + j], b = (unsigned char)needle[j];

			if (a != b && (!icase || tolower(a) != tolower(b) || a >= 0x80 || b >= 0x80))
				break;
		}
		if (j == nl)
			return 1;
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

/* rcpt_todo - recipient r is still to be done (pending or deferred) */
static int rcpt_todo(const struct sm_qrcpt *r)
{
	switch (r->state) {
	case SM_RCPT_PENDING:
	case SM_RCPT_DEFERRED:
		return 1;
	case SM_RCPT_DELIVERED:
	case SM_RCPT_FAILED:
		return 0;
	}
	return 0;
}

/* item_holds - selector it holds for message m (its contains-test differs from its negation) */
static int item_holds(const struct qsel_item *it, const struct sm_qmsg *m)
{
	const char *p;
	size_t i, n;

	switch (it->kind) {
	case 'I':
		return has_sub(m->id, strlen(m->id), it->text, it->len, 0) != it->negate;
	case 'S':
		p = m->sender.data;
		n = m->sender.len;
		if (n == 0) {
			p = "<>"; /* the null sender, as sendmail writes it */
			n = 2;
		} else {
			strip_angles(&p, &n);
		}
		return has_sub(p, n, it->text, it->len, 1) != it->negate;
	case 'Q':
		return has_sub(m->quarantine.data ? m->quarantine.data : "", m->quarantine.len, it->text,
		               it->len, 0) != it->negate;
	case 'R':
		for (i = 0; i < m->nrcpt; i++) {
			if (!rcpt_todo(&m->rcpt[i]))
				continue;
			p = m->rcpt[i].addr.data ? m->rcpt[i].addr.data : "";
			n = m->rcpt[i].addr.len;
			strip_angles(&p, &n);
			if (has_sub(p, n, it->text, it->len, 1) != it->negate)
				return 1;
		}
		return 0;
	default:
		return 0;
	}
}

/* kind_holds - no selector of this kind, or one of them holds */
static int kind_holds(const struct sm_qsel *s, int kind, const struct sm_qmsg *m)
{
	size_t i;
	int seen = 0;

	for (i = 0; i < s->n; i++) {
		if (s->item[i].kind != kind)
			continue;
		if (item_holds(&s->item[i], m))
			return 1;
		seen = 1;
	}
	return !seen;
}

/* sm_qsel_match - 1 if message m passes every kind of selector in s (NULL: everything passes) */
int sm_qsel_match(const struct sm_qsel *s, const struct sm_qmsg *m)
{
	if (s == NULL)
		return 1;
	return kind_holds(s, 'I', m) && kind_holds(s, 'R', m) && kind_holds(s, 'S', m) &&
	       kind_holds(s, 'Q', m);
}

/* id_passes - queue id passes the I selectors of s (the others cannot be checked without the message) */
static int id_passes(const struct sm_qsel *s, const char *id)
{
	struct sm_qmsg m;

	if (s == NULL)
		return 1;
	memset(&m, 0, sizeof(m));
	snprintf(m.id, sizeof(m.id), "%s", id);
	return kind_holds(s, 'I', &m);
}

/* which_passes - quarantine state of m fits which */
static int which_passes(enum sm_mailq_which which, const struct sm_qmsg *m)
{
	switch (which) {
	case SM_MAILQ_NORMAL:
		return m->quarantine.len == 0;
	case SM_MAILQ_QUARANTINED:
		return m->quarantine.len != 0;
	case SM_MAILQ_ALL:
		return 1;
	}
	return 0;
}

/* prtstr - n bytes of p as sendmail's prtstr(): '\' doubled, printable ASCII, else \ooo; at most max out */
static void prtstr(struct sm_buf *b, const char *p, size_t n, int max)
{
	const unsigned char *s = (const unsigned char *)p;
	size_t i;
	int ml = max;

	for (i = 0; i < n && ml-- > 0; i++) {
		if (s[i] == '\\') {
			if (ml-- > 0)
				sm_buf_add(b, "\\\\", 2);
		} else if (s[i] >= 0x20 && s[i] < 0x7f) {
			sm_buf_addc(b, s[i]);
		} else if ((ml -= 3) > 0) {
			sm_buf_printf(b, "\\%03o", s[i]);
		}
	}
}

/* prt_addr - address as <addr> through prtstr, at most max characters */
static void prt_addr(struct sm_buf *b, const struct sm_buf *addr, int max)
{
	struct sm_buf t = SM_BUF_INIT;
	const char *p = addr->data ? addr->data : "";
	size_t n = addr->len;

	strip_angles(&p, &n);
	sm_buf_addc(&t, '<');
	sm_buf_add(&t, p, n);
	sm_buf_addc(&t, '>');
	prtstr(b, t.data, t.len, max);
	sm_buf_free(&t);
}

/* put_qtime - the first 16 characters of ctime(3) for t: "Mon Sep 23 10:01", English names */
static void put_qtime(struct sm_buf *b, time_t t)
{
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL) {
		sm_buf_adds(b, "??? ??? ?? ??:??");
		return;
	}
	sm_buf_printf(b, "%.3s %.3s%3d %02d:%02d", wday_names[tm.tm_wday % 7], month_names[tm.tm_mon % 12],
	              tm.tm_mday, tm.tm_hour, tm.tm_min);
}

/* status_of - index of the deferred recipient with the latest next try (first on a tie), or -1 */
static long status_of(const struct sm_qmsg *m)
{
	long best = -1;
	size_t i;

	for (i = 0; i < m->nrcpt; i++) {
		if (m->rcpt[i].state != SM_RCPT_DEFERRED)
			continue;
		if (best < 0 || m->rcpt[i].next_try > m->rcpt[(size_t)best].next_try)
			best = (long)i;
	}
	return best;
}

/* entry - the listing lines of one message into b */
static void entry(struct sm_buf *b, const struct sm_qmsg *m)
{
	long st = status_of(m);
	size_t i;

	sm_buf_printf(b, "%s%c%8ld ", m->id, ' ', (long)m->body.len);
	put_qtime(b, m->arrival);
	sm_buf_addc(b, ' ');
	if (m->sender.len == 0)
		sm_buf_adds(b, "<>");
	else
		prt_addr(b, &m->sender, SM_MAILQ_SENDER_MAX);
	sm_buf_addc(b, '\n');
	if (m->quarantine.len) {
		sm_buf_adds(b, "     QUARANTINE: ");
		prtstr(b, m->quarantine.data, m->quarantine.len, SM_MAILQ_STATUS_MAX);
		sm_buf_addc(b, '\n');
	}
	if (st >= 0) {
		const struct sm_buf *reply = &m->rcpt[(size_t)st].reply;
		struct sm_buf msg = SM_BUF_INIT;

		sm_buf_adds(&msg, "Deferred: ");
		for (i = 0; i < reply->len; i++) {
			if (reply->data[i] == '\r' || reply->data[i] == '\n') {
				while (i + 1 < reply->len &&
				       (reply->data[i + 1] == '\r' || reply->data[i + 1] == '\n'))
					i++;
				sm_buf_addc(&msg, ' ');
			} else {
				sm_buf_addc(&msg, reply->data[i]);
			}
		}
		sm_buf_printf(b, "    %10.10s   (", "");
		prtstr(b, msg.data, msg.len, SM_MAILQ_STATUS_MAX);
		sm_buf_adds(b, ")\n");
		sm_buf_free(&msg);
	}
	for (i = 0; i < m->nrcpt; i++) {
		if (!rcpt_todo(&m->rcpt[i]))
			continue;
		sm_buf_adds(b, "\t\t\t\t\t ");
		prt_addr(b, &m->rcpt[i].addr, SM_MAILQ_RCPT_MAX);
		sm_buf_addc(b, '\n');
	}
}

/* add_err - append a line to err (which may be NULL) */
static void add_err(struct sm_buf *err, const struct sm_buf *line)
{
	if (err == NULL || line->len == 0)
		return;
	if (err->len)
		sm_buf_addc(err, '\n');
	sm_buf_add(err, line->data, line->len);
}

/* sm_mailq_print - the mailq listing of the selected messages of q to out; a sysexits code */
int sm_mailq_print(struct sm_queue *q, const char *qdir, const struct sm_qsel *sel, enum sm_mailq_which which,
                   FILE *out, struct sm_buf *err)
{
	struct sm_buf list = SM_BUF_INIT, e = SM_BUF_INIT;
	char **ids = NULL;
	size_t nids = 0, i, count = 0;
	int rc = EX_OK;

	if (sm_queue_list(q, &ids, &nids, &e) != SM_QOK) {
		add_err(err, &e);
		sm_buf_free(&e);
		return EX_TEMPFAIL;
	}
	for (i = 0; i < nids; i++) {
		struct sm_qmsg *m = NULL;
		enum sm_qstatus st;

		sm_buf_reset(&e);
		st = sm_queue_load(q, ids[i], &m, &e);
		switch (st) {
		case SM_QOK:
			if (which_passes(which, m) && sm_qsel_match(sel, m)) {
				entry(&list, m);
				count++;
			}
			break;
		case SM_QNOTFOUND:
			if (id_passes(sel, ids[i])) {
				sm_buf_printf(&list, "%s (job completed)\n", ids[i]);
				count++;
			}
			break;
		case SM_QCORRUPT:
			break;
		case SM_QTEMPFAIL:
		case SM_QPERMFAIL:
			if (id_passes(sel, ids[i])) {
				sm_buf_printf(&list, "%s (unreadable)\n", ids[i]);
				count++;
			}
			add_err(err, &e);
			rc = EX_TEMPFAIL;
			break;
		}
		sm_qmsg_free(m);
	}
	if (count == 0) {
		fprintf(out, "\t\t%s is empty\n", qdir);
	} else {
		fprintf(out, "\t\t%s (%zu request%s)\n", qdir, count, count == 1 ? "" : "s");
		fputs("-----Q-ID----- --Size-- -----Q-Time----- ------------Sender/Recipient-----------\n",
		      out);
		fwrite(list.data, 1, list.len, out);
	}
	fprintf(out, "\t\tTotal requests: %zu\n", count);
	if (fflush(out) != 0 || ferror(out)) {
		sm_buf_reset(&e);
		sm_buf_printf(&e, "mailq: cannot write the listing of %s", qdir);
		add_err(err, &e);
		rc = EX_IOERR;
	}
	sm_queue_ids_free(ids, nids);
	sm_buf_free(&list);
	sm_buf_free(&e);
	return rc;
}
