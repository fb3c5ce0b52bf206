/*
 * tests/t_mailq.c - TAP tests of the queue listing and the -q selectors (server/mailq.c)
 *
 * SYNOPSIS
 *	tests/t_mailq
 *
 * DESCRIPTION
 *	Fills a queue in a temporary directory with sm_queue_commit(),
 *	sm_queue_update() and sm_queue_mark(), then compares the output of
 *	sm_mailq_print() byte for byte with the expected sendmail mailq text
 *	(in UTC): empty queue, plain listing with deferral status, cut and
 *	escaped addresses, quarantined and all messages, a table of
 *	selectors (OR within a letter, AND across letters, negation, case),
 *	bad selectors, a message that vanishes during the listing, an
 *	unreadable and a corrupt queue entry, and a failing output stream.
 *	Reads no configuration.
 *
 * DIAGNOSTICS
 *	TAP on stdout; exit status non-zero if a test failed.
 */
#include "config.h"

#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "server/mailq.h"
#include "server/queue.h"
#include "tests/testutil.h"

#define NOW 1727085660 /* Mon Sep 23 10:01:00 2024 UTC */
#define OLD 1709611629 /* Tue Mar  5 04:07:09 2024 UTC */
#define QNAME "/var/spool/mqueue"
#define COLUMNS "-----Q-ID----- --Size-- -----Q-Time----- ------------Sender/Recipient-----------\n"

enum { MA, MB, MC, MD, NMSG }; /* the test messages */

static char ids[NMSG][SM_QID_SIZE];
static struct sm_buf entries[NMSG]; /* the expected listing lines of each message */

/* body_of - a body of exactly size bytes; freed with sm_buf_free */
static void body_of(struct sm_buf *b, size_t size)
{
	size_t i;

	sm_buf_adds(b, "Subject: t\r\n\r\n");
	for (i = b->len; i < size; i++)
		sm_buf_addc(b, i % 40 == 39 ? '\n' : 'x');
}

/* commit - commit a message with these fields, its id into id; 0 or -1 */
static int commit(struct sm_queue *q, const char *sender, const char *const *rcpts, size_t size,
                  time_t arrival, char *id)
{
	struct sm_qmsg *m = sm_qmsg_new();
	enum sm_qstatus st;
	size_t i;

	sm_buf_adds(&m->sender, sender);
	for (i = 0; rcpts[i]; i++)
		sm_qmsg_add_rcpt(m, rcpts[i], strlen(rcpts[i]));
	body_of(&m->body, size);
	m->arrival = arrival;
	st = sm_queue_commit(q, m, NULL);
	memcpy(id, m->id, SM_QID_SIZE);
	sm_qmsg_free(m);
	return st == SM_QOK ? 0 : -1;
}

/* listing - run sm_mailq_print into a string; the exit code in *rc; freed by caller */
static char *listing(struct sm_queue *q, const struct sm_qsel *sel, enum sm_mailq_which which, int *rc,
                     struct sm_buf *err)
{
	char *text = NULL;
	size_t size = 0;
	FILE *fp = open_memstream(&text, &size);

	if (fp == NULL) {
		diag("open_memstream: %s", strerror(errno));
		return sm_strdup("");
	}
	*rc = sm_mailq_print(q, QNAME, sel, which, fp, err);
	fclose(fp);
	return text;
}

/* expect - the whole expected listing of the messages named in which ("ABD"); freed by caller */
static char *expect(const char *which)
{
	struct sm_buf b = SM_BUF_INIT;
	size_t n = strlen(which), i;

	if (n == 0) {
		sm_buf_adds(&b, "\t\t" QNAME " is empty\n");
	} else {
		sm_buf_printf(&b, "\t\t" QNAME " (%zu request%s)\n" COLUMNS, n, n == 1 ? "" : "s");
		for (i = 0; i < n; i++)
			sm_buf_add(&b, entries[which[i] - 'A'].data, entries[which[i] - 'A'].len);
	}
	sm_buf_printf(&b, "\t\tTotal requests: %zu\n", n);
	return sm_buf_steal(&b);
}

/* fill - commit messages A to D with their statuses and marks; the expected lines into entries */
static int fill(struct sm_queue *q)
{
	static const char *const ra[] = { "bob@example.org", "carol@Example.NET", NULL };
	static const char *const rb[] = { "postmaster@example.net", NULL };
	static const char *const rc[] = { "dave@example.org", NULL };
	static const char *const rd[] = { "x@example.org", "averyveryverylongrecipientname@example.org",
		                          "tab\tback\\slash@example.org", NULL };
	int bad = 0;

	bad |= commit(q, "alice@example.com", ra, 123, NOW, ids[MA]);
	bad |= commit(q, "", rb, 22, OLD, ids[MB]);
	bad |= commit(q, "spammer@bad.example", rc, 4567, NOW, ids[MC]);
	bad |=
	    commit(q, "a-very-long-sender-address-indeed@some.example.com", rd, 1234567, NOW + 60, ids[MD]);
	bad |= sm_queue_update(q, ids[MA], 0, SM_RCPT_DELIVERED, "250 2.0.0 ok", 1, 0, NULL) != SM_QOK;
	bad |= sm_queue_update(q, ids[MA], 1, SM_RCPT_DEFERRED, "451 4.7.1 Greylisted, try again\r\nlater", 1,
	                       5000, NULL) != SM_QOK;
	bad |= sm_queue_mark(q, ids[MC], SM_QMARK_QUARANTINE, "Suspicious attachment", NULL) != SM_QOK;
	bad |= sm_queue_update(
	           q, ids[MD], 1, SM_RCPT_DEFERRED,
	           "450 4.2.0 Mailbox busy; this reply text is far too long to be shown in a listing", 2, 900,
	           NULL) != SM_QOK;
	bad |= sm_queue_update(q, ids[MD], 0, SM_RCPT_DEFERRED, "421 first", 1, 100, NULL) != SM_QOK;

	sm_buf_printf(&entries[MA],
	              "%s      123 Mon Sep 23 10:01 <alice@example.com>\n"
	              "                 (Deferred: 451 4.7.1 Greylisted, try again later)\n"
	              "\t\t\t\t\t <carol@Example.NET>\n",
	              ids[MA]);
	sm_buf_printf(&entries[MB],
	              "%s       22 Tue Mar  5 04:07 <>\n"
	              "\t\t\t\t\t <postmaster@example.net>\n",
	              ids[MB]);
	sm_buf_printf(&entries[MC],
	              "%s     4567 Mon Sep 23 10:01 <spammer@bad.example>\n"
	              "     QUARANTINE: Suspicious attachment\n"
	              "\t\t\t\t\t <dave@example.org>\n",
	              ids[MC]);
	sm_buf_printf(&entries[MD],
	              "%s  1234567 Mon Sep 23 10:02 <a-very-long-sender-address-indeed@some\n"
	              "                 (Deferred: 450 4.2.0 Mailbox busy; this reply text is far too)\n"
	              "\t\t\t\t\t <x@example.org>\n"
	              "\t\t\t\t\t <averyveryverylongrecipientname@exampl\n"
	              "\t\t\t\t\t <tab\\011back\\\\slash@example.org>\n",
	              ids[MD]);
	return bad ? -1 : 0;
}

/* one listing case: selectors, which messages, the messages expected */
struct sel_case {
	const char *name;
	const char *sel[4];
	enum sm_mailq_which which;
	const char *want; /* letters of the messages listed */
};

static const struct sel_case sel_cases[] = {
	{ "no selector: not quarantined", { NULL }, SM_MAILQ_NORMAL, "ABD" },
	{ "quarantined only", { NULL }, SM_MAILQ_QUARANTINED, "C" },
	{ "all", { NULL }, SM_MAILQ_ALL, "ABCD" },
	{ "R: recipient substring, case ignored", { "REXAMPLE.net" }, SM_MAILQ_NORMAL, "AB" },
	{ "R: only recipients still to do", { "Rbob" }, SM_MAILQ_NORMAL, "" },
	{ "R: matches no one", { "Ralice" }, SM_MAILQ_NORMAL, "" },
	{ "!R: some recipient outside (sendmail)", { "!Rexample.org" }, SM_MAILQ_NORMAL, "AB" },
	{ "two R: OR", { "Rcarol", "Rtab" }, SM_MAILQ_NORMAL, "AD" },
	{ "S: OR with <> for the null sender", { "SALICE", "S<>" }, SM_MAILQ_NORMAL, "AB" },
	{ "!S: not the null sender", { "!S<>" }, SM_MAILQ_NORMAL, "AD" },
	{ "S and R: AND", { "Sexample", "Rexample.org" }, SM_MAILQ_NORMAL, "D" },
	{ "S and !R: AND", { "Sexample", "!Rexample.org" }, SM_MAILQ_NORMAL, "A" },
	{ "S on quarantined with all", { "Sspammer" }, SM_MAILQ_ALL, "C" },
	{ "S on quarantined, normal listing", { "Sspammer" }, SM_MAILQ_NORMAL, "" },
	{ "Q: reason, case matters", { "Qsuspicious" }, SM_MAILQ_QUARANTINED, "" },
	{ "Q: reason", { "QSuspicious" }, SM_MAILQ_QUARANTINED, "C" },
	{ "!Q: everything else", { "!QSuspicious" }, SM_MAILQ_ALL, "ABD" },
	{ "Q alone: no limit", { "Q" }, SM_MAILQ_QUARANTINED, "C" },
};

/* test_selectors - the listing for each selector case */
static void test_selectors(struct sm_queue *q)
{
	size_t i, k;

	for (i = 0; i < sizeof(sel_cases) / sizeof(sel_cases[0]); i++) {
		const struct sel_case *c = &sel_cases[i];
		struct sm_qsel *s = sm_qsel_new();
		struct sm_buf err = SM_BUF_INIT;
		char *got, *want = expect(c->want);
		int rc = -1, added = 1;

		for (k = 0; k < 4 && c->sel[k]; k++)
			added &= sm_qsel_add(s, c->sel[k], &err) == 0;
		ok(added && err.len == 0, "%s: selectors accepted", c->name);
		got = listing(q, s, c->which, &rc, &err);
		is_int(rc, EX_OK, "  exit code");
		is_str(got, want, "  listing");
		free(got);
		free(want);
		sm_buf_free(&err);
		sm_qsel_free(s);
	}
	{
		/* I selectors with the generated ids */
		static const struct {
			const char *name;
			const char *neg;
			int ids[2];
			const char *want;
		} icases[] = {
			{ "I: one id", "", { MB, -1 }, "B" },
			{ "!I: all but one", "!", { MB, -1 }, "AD" },
			{ "two I: OR", "", { MA, MD }, "AD" },
		};

		for (i = 0; i < sizeof(icases) / sizeof(icases[0]); i++) {
			struct sm_qsel *s = sm_qsel_new();
			char *got, *want = expect(icases[i].want), arg[64];
			int rc = -1;

			for (k = 0; k < 2 && icases[i].ids[k] >= 0; k++) {
				snprintf(arg, sizeof(arg), "%sI%s", icases[i].neg, ids[icases[i].ids[k]]);
				sm_qsel_add(s, arg, NULL);
			}
			got = listing(q, s, SM_MAILQ_NORMAL, &rc, NULL);
			is_str(got, want, icases[i].name);
			free(got);
			free(want);
			sm_qsel_free(s);
		}
	}
}

/* test_bad_selectors - refused with one line in err */
static void test_bad_selectors(void)
{
	static const struct {
		const char *arg;
		const char *msg;
	} bad[] = {
		{ "", "-q: empty queue selector" },
		{ "!", "-q!: '!' must be followed by I, R, S or Q" },
		{ "X", "-qX: unknown queue selector (I, R, S or Q)" },
		{ "!X", "-q!X: can not use '!' with -qX (only I, R, S and Q)" },
		{ "!!R", "-q!!: can not use '!' with -q! (only I, R, S and Q)" },
		{ "r", "-qr: unknown queue selector (I, R, S or Q)" },
		{ "R", "-qR: the selector needs a text to match" },
		{ "I", "-qI: the selector needs a text to match" },
		{ "S", "-qS: the selector needs a text to match" },
		{ "!Q", "-q!Q: the selector needs a text to match" },
		{ "\x01", "-q?: unknown queue selector (I, R, S or Q)" },
	};
	struct sm_qsel *s = sm_qsel_new();
	struct sm_qmsg *m = sm_qmsg_new();
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sm_buf err = SM_BUF_INIT;
		char name[64];

		snprintf(name, sizeof(name), "bad selector \"%s\": refused",
		         bad[i].arg[0] == 1 ? "\\x01" : bad[i].arg);
		is_int(sm_qsel_add(s, bad[i].arg, &err), -1, name);
		is_str(sm_buf_str(&err), bad[i].msg, "  message");
		sm_buf_free(&err);
	}
	is_int(sm_qsel_add(s, NULL, NULL), -1, "NULL selector refused, err NULL is fine");
	ok(!sm_qsel_quarantine(s), "refused selectors added nothing, not even quarantine mode");
	ok(sm_qsel_match(s, m), "refused selectors: still matches everything");
	is_int(sm_qsel_add(s, "Qx", NULL), 0, "Qx accepted");
	ok(sm_qsel_quarantine(s), "Q selector: quarantine listing asked");
	ok(!sm_qsel_quarantine(NULL) && sm_qsel_match(NULL, m), "NULL selector set: matches, no quarantine");
	sm_qmsg_free(m);
	sm_qsel_free(s);
	sm_qsel_free(NULL);
}

static char vanish_path[PATH_MAX]; /* removed by vanish_sink when the corrupt entry is reported */

/* vanish_sink - log sink that removes vanish_path when the queue reports a corrupt file */
static void vanish_sink(int prio, const char *msg, void *ctx)
{
	log_capture(prio, msg, ctx);
	if (vanish_path[0] && strstr(msg, "corrupt")) {
		unlink(vanish_path);
		vanish_path[0] = '\0';
	}
}

/* test_odd_entries - empty queue; vanished, corrupt, unreadable entries; a failing output stream */
static void test_odd_entries(void)
{
	static const char *const r1[] = { "r@example.org", NULL };
	struct sm_queue *q = NULL;
	struct sm_buf err = SM_BUF_INIT, want = SM_BUF_INIT;
	char id[SM_QID_SIZE], *got;
	const char *dir = in_dir("odd");
	int rc = -1;
	FILE *full;

	mkdir(dir, 0700);
	is_int(sm_queue_open(dir, &q, NULL), SM_QOK, "odd: open queue");
	got = listing(q, NULL, SM_MAILQ_NORMAL, &rc, &err);
	is_str(got, "\t\t" QNAME " is empty\n\t\tTotal requests: 0\n", "empty queue");
	is_int(rc, EX_OK, "empty queue: EX_OK");
	free(got);

	/* 0000000000000000000 is corrupt and sorts first; reporting it removes the real message */
	commit(q, "s@example.org", r1, 10, NOW, id);
	write_file(in_dir("odd/0000000000000000000"), "SMQUEUE1 garbage", 0600);
	snprintf(vanish_path, sizeof(vanish_path), "%s/%s", dir, id);
	log_reset();
	sm_log_sink(vanish_sink, NULL);
	got = listing(q, NULL, SM_MAILQ_NORMAL, &rc, &err);
	sm_log_sink(log_capture, NULL);
	sm_buf_printf(
	    &want, "\t\t" QNAME " (1 request)\n" COLUMNS "%s (job completed)\n\t\tTotal requests: 1\n", id);
	is_str(got, want.data, "vanished message: (job completed); corrupt one left out");
	is_int(rc, EX_OK, "vanished message: EX_OK");
	ok(log_has("0000000000000000000") >= 0 && log_has("corrupt") >= 0,
	   "corrupt entry logged by the queue");
	is_int((long)err.len, 0, "vanished and corrupt: no error");
	free(got);

	/* a directory with an id for a name cannot be read */
	mkdir(in_dir("odd/0000000000000000001"), 0700);
	sm_buf_reset(&want);
	sm_buf_printf(&want, "\t\t" QNAME " (1 request)\n" COLUMNS "0000000000000000001 (unreadable)\n"
	                     "\t\tTotal requests: 1\n");
	got = listing(q, NULL, SM_MAILQ_NORMAL, &rc, &err);
	is_str(got, want.data, "unreadable entry shown");
	is_int(rc, EX_TEMPFAIL, "unreadable entry: EX_TEMPFAIL");
	ok(strstr(sm_buf_str(&err), "0000000000000000001") != NULL, "unreadable entry: err names it (%s)",
	   sm_buf_str(&err));
	free(got);
	{
		struct sm_qsel *s = sm_qsel_new();

		sm_qsel_add(s, "!I0000000000000000001", NULL);
		sm_buf_reset(&err);
		got = listing(q, s, SM_MAILQ_NORMAL, &rc, &err);
		is_str(got, "\t\t" QNAME " is empty\n\t\tTotal requests: 0\n",
		       "unreadable entry not selected: empty");
		is_int(rc, EX_TEMPFAIL, "  still EX_TEMPFAIL");
		free(got);
		sm_qsel_free(s);
	}
	rmdir(in_dir("odd/0000000000000000001"));

	/* the output cannot be written */
	full = fopen("/dev/full", "w");
	if (full != NULL) {
		sm_buf_reset(&err);
		is_int(sm_mailq_print(q, QNAME, NULL, SM_MAILQ_NORMAL, full, &err), EX_IOERR,
		       "/dev/full: EX_IOERR");
		ok(strstr(sm_buf_str(&err), "cannot write") != NULL, "/dev/full: err says so");
		fclose(full);
	} else {
		ok(1, "# SKIP no /dev/full");
		ok(1, "# SKIP no /dev/full");
	}
	sm_buf_free(&want);
	sm_buf_free(&err);
	sm_queue_close(q);
}

/* main - a queue in a temporary directory, listed in UTC */
int main(void)
{
	const char *tmp = getenv("TMPDIR");
	struct sm_queue *q = NULL;
	char tmpl[PATH_MAX];
	size_t i;

	setenv("TZ", "UTC", 1);
	tzset();
	snprintf(tmpl, sizeof(tmpl), "%s/t_mailq.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (test_dir_make(tmpl) < 0) {
		ok(0, "test_dir_make: %s", strerror(errno));
		return done_testing();
	}
	sm_log_sink(log_capture, NULL);
	mkdir(in_dir("q"), 0700);
	is_int(sm_queue_open(in_dir("q"), &q, NULL), SM_QOK, "open queue");
	is_int(fill(q), 0, "four messages committed, updated and marked");
	test_selectors(q);
	test_bad_selectors();
	test_odd_entries();
	sm_queue_close(q);
	for (i = 0; i < NMSG; i++)
		sm_buf_free(&entries[i]);
	test_dir_remove();
	sm_log_sink(NULL, NULL);
	log_reset();
	return done_testing();
}
