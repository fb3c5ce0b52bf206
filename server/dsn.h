/*
 * server/dsn.h - delivery status notifications (RFC 3464): bounces, delay warnings, success notices
 *
 * SYNOPSIS
 *	#include "server/dsn.h"
 *
 *	struct sm_dsn_item it[] = { { .rcpt = 0, .status = "5.1.1",
 *	                              .diag = "550 5.1.1 User unknown" } };
 *
 *	struct sm_qmsg *sm_dsn_build(const struct sm_qmsg *m, enum sm_dsn_kind kind,
 *	                             const struct sm_dsn_item *items, size_t n,
 *	                             const char *reporting_mta, const char *postmaster,
 *	                             time_t now, time_t retry_until);
 *	int sm_dsn_is_double_bounce(const struct sm_qmsg *m);
 *	const char *sm_dsn_kind_name(enum sm_dsn_kind kind);
 *
 * DESCRIPTION
 *	sm_dsn_build() writes the report about recipients of the queued
 *	message m: items[0..n) name them by index into m->rcpt, each with its
 *	enhanced status code and the SMTP reply that caused it. The result
 *	is a new message ready for sm_queue_commit(): id empty, arrival 0,
 *	envelope sender <> (empty), ENVID empty, RET unset, one recipient
 *	(NOTIFY not given) and the report as body. It is NULL when no report
 *	is due:
 *
 *	  - Each item is filtered by its recipient's NOTIFY (RFC 3461): with
 *	    NEVER there is no report; SM_DSN_FAILED needs NOTIFY not given or
 *	    with FAILURE; SM_DSN_DELAYED needs NOTIFY not given or with DELAY;
 *	    SM_DSN_DELIVERED and SM_DSN_RELAYED (handed to a server that does
 *	    not offer DSN) need SUCCESS. An item with mta gets a Remote-MTA
 *	    field. An item whose index is out of
 *	    range is dropped (and logged). No item left: NULL.
 *	  - The report goes to m->sender. When that is empty (m was itself a
 *	    bounce or other message with the null sender) a failure report
 *	    goes to postmaster instead, as a "double bounce", which carries
 *	    the header field "X-Switchmail-Double-Bounce: yes". Delay and
 *	    success reports for the null sender are never sent: NULL.
 *	  - Never a loop: when m has the null sender and is itself a double
 *	    bounce (sm_dsn_is_double_bounce(): the header section of its body
 *	    has an X-Switchmail-Double-Bounce field), the result is NULL, and
 *	    an item about a recipient equal to postmaster (ASCII case
 *	    ignored, surrounding <> ignored) is dropped.
 *
 *	The body is a MIME multipart/report; report-type=delivery-status,
 *	every line ending in CRLF (as the queue stores text). The header:
 *	    Date: <now, RFC 5322, local time and numeric zone>
 *	    From: Mail Delivery Subsystem <MAILER-DAEMON@reporting_mta>
 *	    To: <recipient of the report>
 *	    Subject: one of (Postfix's wording)
 *	        Undelivered Mail Returned to Sender                  (failed)
 *	        Postmaster notify: Undelivered Mail (double bounce)  (failed, <> sender)
 *	        Delayed Mail (still being retried)                   (delayed)
 *	        Successful Mail Delivery Report                      (delivered)
 *	    Message-ID: <QUEUEID.dsn@reporting_mta>   (a fresh queue id, unique)
 *	    Auto-Submitted: auto-replied
 *	    X-Switchmail-Double-Bounce: yes           (double bounces only)
 *	    MIME-Version: 1.0
 *	    Content-Type: multipart/report; report-type=delivery-status; boundary="..."
 *	The boundary is "=_sm_" and a fresh queue id ("=_" cannot occur in
 *	quoted-printable or base64 text); it is checked against every part
 *	and changed until it occurs in none. Then three parts:
 *	  1. text/plain; charset=us-ascii: what happened, then per recipient
 *	     a line "<addr>:" and, indented by four spaces, the diagnostic
 *	     text (or "ACTION (status S.N.N)" when diag is NULL).
 *	  2. message/delivery-status: Original-Envelope-Id (when m->envid is
 *	     set), Reporting-MTA: dns; <reporting_mta>, Arrival-Date (when
 *	     m->arrival is set), X-Switchmail-Queue-ID (when m->id is set);
 *	     then for each recipient, after an empty line: Original-Recipient:
 *	     rfc822;<orcpt> (when set; a leading "rfc822;" in it is not
 *	     repeated), Final-Recipient: rfc822;<addr>, Action: failed,
 *	     delayed or delivered, Status (item status when it has the form
 *	     2|4|5.N.N with up to three digits each, else 5.0.0, 4.0.0 or
 *	     2.0.0 by kind), Diagnostic-Code: smtp; <diag> (when diag is not
 *	     NULL), Last-Attempt-Date: <now>, and for delay warnings
 *	     Will-Retry-Until: <retry_until> (when it is not 0).
 *	  3. the message: message/rfc822 with all of m->body for a failure
 *	     when RET is FULL or not given and the body is at most
 *	     SM_DSN_RETURN_MAX bytes; otherwise (RET=HDRS, a larger body,
 *	     delay and success reports) text/rfc822-headers with its header
 *	     section only, at most SM_DSN_HEADERS_MAX bytes cut at a line
 *	     end. Lone CR or LF in the copy become CRLF; a part with 8-bit
 *	     bytes is labelled Content-Transfer-Encoding: 8bit.
 *
 *	Untrusted values (addresses, ORCPT, ENVID, diagnostic text, queue
 *	id, the host names given) reach the header and the report only
 *	sanitized: in the diagnostic text each run of CR and LF becomes one
 *	space (multi-line replies stay readable), and everywhere every other
 *	control byte (NUL, TAB, ESC, DEL, ...) and every 8-bit byte becomes
 *	'?'. A value longer than SM_DSN_VALUE_MAX bytes is cut and ends with
 *	"...". Nothing is folded, so no value can start a header field or a
 *	report field of its own, and no line exceeds 998 bytes (outside the
 *	returned copy, which is the original as it was).
 *
 *	sm_dsn_is_double_bounce() tells whether m has the null sender and
 *	carries the double-bounce header field (case ignored in its name).
 *	sm_dsn_kind_name() gives "failed", "delayed" or "delivered" (the
 *	Action: value), for logging.
 *
 * WHO FREES WHAT
 *	The result of sm_dsn_build() is the caller's, freed with
 *	sm_qmsg_free() (also after a successful sm_queue_commit()). m,
 *	items and the strings stay the caller's. sm_dsn_kind_name() returns
 *	a constant.
 *
 * CONFIGURATION
 *	None read here: the caller passes the reporting host name (usually
 *	the configured host name, $j) and the postmaster address; NULL
 *	stands for "localhost" and "postmaster".
 *
 * DIAGNOSTICS
 *	sm_dsn_build() cannot fail: NULL only means "no report is due", a
 *	decision for the caller to log with the queue id. An item with an
 *	index out of range is a caller bug: it is logged at LOG_ERR with the
 *	queue id and skipped. Allocation failure aborts (lib/mem.h).
 */
#ifndef SM_DSN_H
#define SM_DSN_H

#include <stddef.h>
#include <time.h>

#include "server/queue.h"

#define SM_DSN_RETURN_MAX (1024u * 1024u) /* largest body returned whole */
#define SM_DSN_HEADERS_MAX (64u * 1024u)  /* largest header section returned */
#define SM_DSN_VALUE_MAX 900u             /* longest value in a header or report field */
#define SM_DSN_DOUBLE_BOUNCE_FIELD "X-Switchmail-Double-Bounce"

/* which report */
enum sm_dsn_kind {
	SM_DSN_FAILED,    /* a bounce: delivery failed for good */
	SM_DSN_DELAYED,   /* a delay warning: still being retried */
	SM_DSN_DELIVERED, /* a success notice (NOTIFY=SUCCESS) */
	SM_DSN_RELAYED    /* NOTIFY=SUCCESS, but the next server does not offer DSN */
};

/* one recipient to report on */
struct sm_dsn_item {
	size_t rcpt;        /* index into m->rcpt */
	const char *status; /* enhanced status code, "5.1.1"; NULL: by kind */
	const char *diag;   /* the SMTP reply, "550 5.1.1 User unknown", or NULL */
	const char *mta;    /* the remote server that gave it (Remote-MTA), or NULL */
};

struct sm_qmsg *sm_dsn_build(const struct sm_qmsg *m, enum sm_dsn_kind kind, const struct sm_dsn_item *items,
                             size_t n, const char *reporting_mta, const char *postmaster, time_t now,
                             time_t retry_until);
int sm_dsn_is_double_bounce(const struct sm_qmsg *m);
const char *sm_dsn_kind_name(enum sm_dsn_kind kind);

#endif
