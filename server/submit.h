/*
 * server/submit.h - build a queue message from what "sendmail [-t] [-i] [-f from] [addr...]" reads
 *
 * SYNOPSIS
 *	#include "server/submit.h"
 *
 *	struct sm_submit_opts o = { .user = "jun", .hostname = "mx.example.com",
 *	                            .domain = "example.com", .now = time(NULL),
 *	                            .rcpts = argv, .nrcpts = argc, ... };
 *	int sm_submit_read(FILE *in, const struct sm_submit_opts *o, struct sm_qmsg **mp,
 *	                   struct sm_buf *err);
 *
 * DESCRIPTION
 *	The command-line submission path (sendmail -bm, the default mode):
 *	sm_submit_read() checks the options, reads the message from in and
 *	returns it as a struct sm_qmsg (server/queue.h) ready for
 *	sm_queue_commit(): envelope sender, recipients, and a body that is the
 *	header section, an empty line and the message body, every line ending
 *	in CRLF. Queuing, delivery and the daemon are the caller's.
 *
 *	Options (struct sm_submit_opts; every string stays the caller's):
 *	    from_headers  -t: recipients from the header (see below)
 *	    ignore_dots   -i / -oi (IgnoreDots)
 *	    from          -f / -r: the envelope sender, or NULL
 *	    fullname      -F (or the caller's GECOS name), or NULL
 *	    user          login name of the invoking user (required)
 *	    trusted       the user may set the sender without a warning
 *	    hostname      our fully-qualified name, for Message-ID, Received
 *	                  and X-Authentication-Warning (required)
 *	    domain        appended to unqualified addresses; NULL: hostname
 *	    now           the submission time (0: time(NULL))
 *	    rcpts/nrcpts  the address arguments
 *	    notify, ret, envid   -N, -R, -V: copied to every recipient and
 *	                  to the envelope; envid may be NULL
 *	    max_size      largest message accepted, in bytes; 0: no limit
 *
 *	Options are checked before anything is read (on error in is not
 *	read at all): the hostname and domain must be valid domains
 *	(sm_addr_domain()); envid must be printable US-ASCII, at most 100
 *	characters (RFC 3461); fullname must not hold a control character;
 *	without -t at least one address argument is needed.
 *
 *	Addresses. Each argument is an address list (sendmail splits its
 *	arguments at commas): it is split with sm_split_list()
 *	(router/router.h) and every element parsed with sm_addr_parse()
 *	(router/address.h), so "Jun Lee <jun@example.com>" and
 *	"jun@example.com (Jun)" give jun@example.com. Header fields with -t
 *	are split by an RFC 5322 splitter instead, because they may hold
 *	groups ("Friends: a@x, b@y;", "undisclosed-recipients:;": the group
 *	name is dropped, its members kept) and quoted local parts; elements
 *	that are only blanks and comments are skipped. Every recipient is
 *	the canonical text of the parsed address; an unqualified one
 *	(no domain; bang paths have one) gets "@domain". A program, file or
 *	:include: target, or <>, is never accepted as a recipient here.
 *	Duplicates (same canonical text) are kept once, in first-seen order.
 *
 *	-t (sendmail.8, semantics.md 9.3): recipients are taken from To:,
 *	Cc: and Bcc:, or, when the message has any header field whose name
 *	starts with "Resent-", from Resent-To:, Resent-Cc: and Resent-Bcc:
 *	only. Folded fields are unfolded first. The address arguments are
 *	suppressed: they are not recipients, and a header address equal to
 *	one of them (after qualification) is left out.
 *
 *	Envelope sender: the -f address (canonical, qualified like a
 *	recipient; "<>" or "" gives the null sender, stored empty), else
 *	user@domain. A user who is not trusted and gives a -f address other
 *	than user@domain gets the header
 *	    X-Authentication-Warning: HOSTNAME: USER set sender to ADDR using -f
 *	(ADDR canonical, or <>), as sendmail adds it.
 *
 *	Reading the input. Lines end with LF or CRLF; a CR not followed by
 *	LF also ends a line (so the store never holds a bare CR, as on the
 *	SMTP side, server/smtpproto.h), and a last line without an end is
 *	kept. Every stored line ends in CRLF. Without -i, as sendmail's
 *	collect() does for non-SMTP input: a line that is a single "."
 *	(after LF or CRLF, or at the end of the input) ends the message and
 *	the rest of the input is not read; a line starting with ".." loses
 *	its first dot; any other line starting with a dot is kept as it is.
 *	With -i dots mean nothing. A line that follows a lone CR never ends
 *	the message and never loses a dot. A NUL byte anywhere refuses the
 *	message (sendmail keeps NULs, but they break header parsing and many
 *	receivers; this is the safe choice).
 *
 *	Header and body (sendmail's collect() and isheader()): a first line
 *	starting with "From " (a Unix From_ line) is dropped. The header
 *	section is the lines up to the first line that is not a header field
 *	or a continuation: a header line is a name of printable ASCII other
 *	than ':' (not starting with "--"), optional blanks, then ':'; a
 *	continuation starts with a space or tab and follows a header line.
 *	An empty line there is the separator and is dropped; any other line
 *	starts the body, and the empty separator line is put in front of it.
 *	So a message whose first line is not a header field is all body.
 *
 *	What is stored, in this order:
 *	    Received: (from USER@localhost)
 *	    	by HOSTNAME (switchmail);
 *	    	DATE                         (no id: the queue assigns it)
 *	    X-Authentication-Warning: ...  (see above)
 *	    Resent-From:, Resent-Date:, Resent-Message-ID: when the message
 *	                                   has Resent- fields but lacks these
 *	    the header fields read, in their order and folding, without
 *	    Bcc: and Resent-Bcc: (removed with or without -t, as sendmail
 *	    never transmits them)
 *	    From:, Date:, Message-ID: when missing (names compared without
 *	                                   regard to case)
 *	    the empty line and the body.
 *	DATE is RFC 5322 local time with a numeric zone ("Thu, 1 Jan 2009
 *	00:00:00 +0000"). Message-ID is <YYYYMMDDhhmmss.QID@HOSTNAME>, QID a
 *	fresh sm_queue_newid() (seconds, microseconds, a counter and the pid:
 *	unique on the host). From: is "FULLNAME" <SENDER> (the quoted string
 *	with '"' and '\' escaped) or SENDER, where SENDER is the envelope
 *	sender as sendmail's $g (so a -f address appears there), or
 *	user@domain for the null sender. A non-ASCII full name is written as
 *	it is (no RFC 2047 encoding).
 *
 *	Size: each line counts as stored (with CRLF and after dot removal),
 *	the separator included, the From_ line, the "." line and the fields
 *	added above not, Bcc: fields still included. Past max_size, or after
 *	a NUL, nothing more is kept (not even of one endless line), but the
 *	input is still read to its end or the "." line, so that the writer
 *	does not get SIGPIPE; then the message is refused. Lines are not
 *	limited in length otherwise, and 8-bit bytes are kept as they are.
 *
 *	The result has an empty id (sm_queue_commit() assigns one), arrival
 *	= now, sender, envid and ret from the options, and per recipient
 *	notify from the options and an empty ORCPT.
 *
 * WHO FREES WHAT
 *	On EX_OK *mp is a new message the caller frees with sm_qmsg_free();
 *	on any other status *mp is NULL. opts and its strings stay the
 *	caller's. in is read but not closed.
 *
 * CONFIGURATION
 *	None read here: the caller passes HostName, the mail domain,
 *	MaxMessageSize and the trusted-user decision in opts.
 *
 * DIAGNOSTICS
 *	Returns a sysexits code; unless it is EX_OK one line (no newline,
 *	addresses made printable and cut at 256 bytes) is appended to err
 *	(which may be NULL). Address errors read "ADDR... reason", as
 *	sendmail prints them.
 *	    EX_OK          *mp holds the message
 *	    EX_USAGE       an address argument or -f address that does not
 *	                   parse (the parser's reason), an argument <>
 *	                   ("<>... Invalid recipient"), a -f program or file
 *	                   ("ADDR... Invalid sender address"); "Recipient
 *	                   names must be specified" (no argument, no -t);
 *	                   "No recipient addresses found in header" (-t found
 *	                   none once the arguments were taken out); "Invalid
 *	                   syntax in -V flag"; "Invalid -F argument (control
 *	                   character)"
 *	    EX_DATAERR     with -t, a header address that does not parse or
 *	                   is <> ("ADDR... reason": the message is at fault,
 *	                   not the command line); "Message contains NUL";
 *	                   "Message exceeds maximum fixed size (N)"
 *	                   (sendmail's text, DSN 5.2.3)
 *	    EX_NOPERM      a recipient (argument or header) that is a
 *	                   program, file or :include: ("ADDR... Cannot mail
 *	                   directly to programs", "... files",
 *	                   "... :include:s"), as the router refuses them when
 *	                   given directly
 *	    EX_NOINPUT     in is NULL or not open for reading (EBADF):
 *	                   "Cannot read the message: REASON"
 *	    EX_IOERR       any other read error: "Error reading the message:
 *	                   REASON", also logged at LOG_ERR
 *	    EX_CONFIG      hostname missing or not a valid domain, or a bad
 *	                   domain: "Invalid host name NAME: reason",
 *	                   "Invalid mail domain NAME: reason"
 *	    EX_SOFTWARE    opts, mp or user is NULL, or user is not a valid
 *	                   local part: a caller's bug
 *	Only the read error is logged: every other status is a decision
 *	about the user's input, which the caller reports (and logs).
 */
#ifndef SM_SUBMIT_H
#define SM_SUBMIT_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "lib/buf.h"
#include "server/queue.h"

#define SM_SUBMIT_ENVID_MAX 100 /* RFC 3461 4.4 */

/* what the command line said, and who is asking */
struct sm_submit_opts {
	int from_headers;     /* -t */
	int ignore_dots;      /* -i, -oi */
	const char *from;     /* -f / -r envelope sender, or NULL */
	const char *fullname; /* -F, or NULL */
	const char *user;     /* login name of the invoking user */
	int trusted;          /* may use -f without X-Authentication-Warning */
	const char *hostname; /* our FQDN, for Message-ID and Received */
	const char *domain;   /* for unqualified addresses; NULL: hostname */
	time_t now;           /* 0: time(NULL) */
	char *const *rcpts;   /* the address arguments */
	size_t nrcpts;        /* how many */
	unsigned notify;      /* -N: SM_NOTIFY_* bits, 0 if not given */
	enum sm_ret ret;      /* -R */
	const char *envid;    /* -V, or NULL */
	size_t max_size;      /* 0: no limit */
};

int sm_submit_read(FILE *in, const struct sm_submit_opts *o, struct sm_qmsg **mp, struct sm_buf *err);

#endif
