/*
 * server/mailq.h - the queue listing of mailq / sendmail -bp, and the -q[!]I/R/S/Q selectors
 *
 * SYNOPSIS
 *	#include "server/mailq.h"
 *
 *	struct sm_qsel *sm_qsel_new(void);
 *	int sm_qsel_add(struct sm_qsel *s, const char *arg, struct sm_buf *err);
 *	int sm_qsel_quarantine(const struct sm_qsel *s);
 *	int sm_qsel_match(const struct sm_qsel *s, const struct sm_qmsg *m);
 *	void sm_qsel_free(struct sm_qsel *s);
 *
 *	int sm_mailq_print(struct sm_queue *q, const char *qdir, const struct sm_qsel *sel,
 *	                   enum sm_mailq_which which, FILE *out, struct sm_buf *err);
 *
 * DESCRIPTION
 *	Selectors (semantics.md 9.3) limit a queue run or a listing to some
 *	messages. sm_qsel_add() takes the text after -q of one option:
 *	    I<substr>  the queue id contains substr (case matters)
 *	    R<substr>  a recipient address contains substr (ASCII case ignored)
 *	    S<substr>  the sender address contains substr (ASCII case ignored);
 *	               the null sender is matched as "<>"
 *	    Q<substr>  the quarantine reason contains substr (case matters);
 *	               a message that is not quarantined has the reason ""
 *	    Q          no limit, but asks for the quarantined messages: see
 *	               sm_qsel_quarantine()
 *	and any of them after '!' to negate it ("!Rexample.com"). Addresses
 *	are compared without <>. Only recipients still to be done (pending
 *	or deferred) are looked at, since sendmail's queue file keeps no
 *	others.
 *
 *	As in sendmail (queue.c gatherq), selectors of one letter are OR-ed
 *	and different letters AND-ed: a message matches when, for every
 *	letter given, some selector of that letter holds. A selector holds
 *	when (the value contains substr) differs from its negation; for R,
 *	when that is so for at least one recipient. So "!Rexample.com"
 *	selects a message that has at least one recipient outside
 *	example.com, as sendmail does. No selectors (or s NULL): everything
 *	matches.
 *
 *	sm_qsel_quarantine() is 1 when a Q selector (with or without text)
 *	was added: sendmail's -qQ switches the run or listing to quarantined
 *	messages, so the caller passes SM_MAILQ_QUARANTINED then.
 *
 *	sm_mailq_print() writes the listing of sendmail's mailq (without -v;
 *	semantics.md 9.4) of the messages in q that match sel and which
 *	(SM_MAILQ_NORMAL: not quarantined; SM_MAILQ_QUARANTINED: quarantined
 *	only, -qQ; SM_MAILQ_ALL: both). qdir is the name shown. With N
 *	messages selected:
 *	    \t\t<qdir> (N request[s])
 *	    -----Q-ID----- --Size-- -----Q-Time----- ------------Sender/Recipient-----------
 *	per message, in id (arrival) order:
 *	    <id><flag><size %8ld> <arrival, first 16 chars of ctime(3)> <sender>
 *	         QUARANTINE: <reason>                 (only when quarantined)
 *	                     (<status>)               (only when one exists)
 *	    \t\t\t\t\t <recipient>                    (one per recipient to do)
 *	and at the end
 *	    \t\tTotal requests: N
 *	An empty selection prints "\t\t<qdir> is empty" and "\t\tTotal
 *	requests: 0". The status line is four spaces, the body type field of
 *	ten spaces (the queue keeps no body type), three spaces and the
 *	status in parentheses. The flag is always a space: the queue has no
 *	lock, minimum age or load check visible to a listing. The size is
 *	the number of bytes of the stored message (header and body). Queue
 *	ids have 19 characters, 5 more than sendmail's 14-character column:
 *	they are printed whole, so the rest of that line is shifted to the
 *	right. Day and month names are English whatever the locale.
 *
 *	Sender and recipients are shown in <> (the null sender as <>), cut
 *	to 39 and 38 characters, the quarantine reason and status to 60,
 *	written as sendmail's prtstr() does: '\' doubled, printable ASCII
 *	as it is, any other byte as \ooo (octal); the limit counts what is
 *	written. The status is "Deferred: <reply>" with the last reply of a
 *	deferred recipient (CR and LF runs in it become one space): of the
 *	deferred recipients, the one whose next try is latest (the most
 *	recently deferred, as a later deferral has a later next try; the
 *	first of them on a tie). A message with no deferred recipient has
 *	no status line.
 *
 *	A message listed by sm_queue_list() that is gone when it is loaded
 *	(delivered meanwhile) is shown as "<id> (job completed)" when its id
 *	passes the I selectors; it is counted among the N requests. The
 *	"only M printed" of sendmail's MaxQueueRunSize is never written: the
 *	whole selection is listed.
 *
 * WHO FREES WHAT
 *	sm_qsel_new() allocates a selector set, freed by sm_qsel_free()
 *	(NULL is fine); sm_qsel_add() copies arg. Nothing else is allocated
 *	for the caller: q, out, err stay the caller's.
 *
 * CONFIGURATION
 *	None read here: the caller opens the queue and passes its name.
 *
 * DIAGNOSTICS
 *	sm_qsel_add() returns 0, or -1 with one line in err (which may be
 *	NULL) for an empty argument, an unknown letter ("-qX: unknown queue
 *	selector"), a '!' not followed by I, R, S or Q, or I, R, S or a
 *	negated Q without text; nothing is logged (a usage error, the caller
 *	shows it). sm_qsel_match() returns 1 or 0.
 *
 *	sm_mailq_print() returns a sysexits code: EX_OK; EX_TEMPFAIL when the
 *	queue directory cannot be read (nothing printed) or a message cannot
 *	be read (it is shown as "<id> (unreadable)", the others are listed);
 *	EX_IOERR when writing to out failed. The reasons go to err, one line
 *	each. A corrupt message is left out of the listing: the queue logs it
 *	at LOG_CRIT, and it is not counted. Failures of the queue are logged
 *	once by the queue itself (queue.h); nothing more is logged here.
 */
#ifndef SM_MAILQ_H
#define SM_MAILQ_H

#include <stdio.h>

#include "lib/buf.h"
#include "server/queue.h"

#define SM_MAILQ_SENDER_MAX 39 /* characters of the sender shown */
#define SM_MAILQ_RCPT_MAX 38   /* characters of a recipient shown */
#define SM_MAILQ_STATUS_MAX 60 /* characters of a status or quarantine reason shown */

/* which messages a listing shows */
enum sm_mailq_which {
	SM_MAILQ_NORMAL,      /* not quarantined (mailq) */
	SM_MAILQ_QUARANTINED, /* quarantined only (mailq -qQ) */
	SM_MAILQ_ALL          /* both */
};

struct sm_qsel;

struct sm_qsel *sm_qsel_new(void);
int sm_qsel_add(struct sm_qsel *s, const char *arg, struct sm_buf *err);
int sm_qsel_quarantine(const struct sm_qsel *s);
int sm_qsel_match(const struct sm_qsel *s, const struct sm_qmsg *m);
void sm_qsel_free(struct sm_qsel *s);

int sm_mailq_print(struct sm_queue *q, const char *qdir, const struct sm_qsel *sel, enum sm_mailq_which which,
                   FILE *out, struct sm_buf *err);

#endif
