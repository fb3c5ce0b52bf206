/*
 * server/mbox.h - local delivery: append to an mbox file, write into a Maildir, deliver to a file target
 *
 * SYNOPSIS
 *	#include "server/mbox.h"
 *
 *	struct sm_mbox_req rq = { .sender = ..., .recipient = ..., .msg = ..., .len = ...,
 *	                          .when = ..., .owner = uid or SM_MBOX_ANY_OWNER };
 *	struct sm_mbox_result res;
 *
 *	enum sm_mbox_status sm_mbox_deliver(const char *path, const struct sm_mbox_req *rq,
 *	                                    struct sm_mbox_result *res);
 *	enum sm_mbox_status sm_maildir_deliver(const char *dir, const struct sm_mbox_req *rq,
 *	                                       struct sm_mbox_result *res);
 *	enum sm_mbox_status sm_file_deliver(const char *path, const struct sm_mbox_req *rq,
 *	                                    struct sm_mbox_result *res);
 *	void sm_mbox_result_free(struct sm_mbox_result *res);
int sm_mbox_has_loop(const char *msg, size_t len, const char *rcpt);
int sm_mbox_addr_ok(const char *s);
void sm_mbox_render(struct sm_buf *b, const struct sm_mbox_req *rq, int quote);
 *	int sm_mbox_has_loop(const char *msg, size_t len, const char *rcpt);
 *	int sm_mbox_addr_ok(const char *s);
 *	void sm_mbox_render(struct sm_buf *b, const struct sm_mbox_req *rq, int quote);
 *	const char *sm_mbox_status_name(enum sm_mbox_status st);
 *
 * DESCRIPTION
 *	The file-writing half of the local delivery agent. The caller already
 *	runs with the recipient's privileges; nothing here changes them.
 *
 *	Every function first refuses a loop: when the message header already
 *	carries a Delivered-To: field equal (case-insensitively, surrounding
 *	blanks and <> ignored) to rq->recipient, the result is PERMFAIL "mail
 *	forwarding loop for RECIPIENT" (5.4.6). A sender or recipient with a
 *	control character (CR, LF, NUL, ...) is refused with PERMFAIL (5.1.3)
 *	before anything is written, so it cannot forge a header or a From_ line.
 *
 *	sm_mbox_deliver() appends to the mbox file path (for example
 *	MailSpoolDirectory/user). What it writes, in this order:
 *	    From SENDER DATE          (SENDER is MAILER-DAEMON for <>; blanks in
 *	                               it become '_'; DATE as asctime(3), local time)
 *	    Return-Path: <SENDER>     (<> for the null sender)
 *	    X-Original-To: ORIG       (only when rq->orig_rcpt is not NULL)
 *	    Delivered-To: RECIPIENT
 *	    the message, every CRLF turned into LF (a lone CR is kept), a final
 *	    LF added if the message lacks one, and mboxrd quoting: a line that
 *	    matches ^>*From  (any number of '>' then "From ") gets one more '>'
 *	    in front, so a reader can undo the quoting exactly;
 *	    one empty line, so that the next message starts cleanly.
 *
 *	Safety (security.md 3.3, CVE-2008-2936/2937): the file is opened with
 *	O_WRONLY|O_APPEND|O_NOFOLLOW|O_NONBLOCK|O_CLOEXEC, or, when missing,
 *	created with O_CREAT|O_EXCL and mode 0600. After open, fstat() must
 *	show a regular file with st_nlink == 1 owned by rq->owner (unless
 *	that is SM_MBOX_ANY_OWNER). A symbolic link, a hard-linked file,
 *	another owner or a non-regular file give TEMPFAIL (4.2.0): these are
 *	configuration errors or attacks, and deferring keeps the mail until
 *	an administrator has looked (Postfix strict_mailbox_ownership).
 *
 *	Locking: the dot-lock PATH.lock (created O_CREAT|O_EXCL, mode 0600;
 *	one older than rq->stale_lock_s seconds is removed as stale and
 *	logged) and an fcntl() write lock on the whole file, each retried
 *	until rq->lock_wait_ms have passed; both are released before return.
 *	A lock not obtained in time gives TEMPFAIL (4.2.0); so does a
 *	dot-lock that cannot be created (EACCES: the spool directory must be
 *	writable by the recipient or the agent's group).
 *
 *	Durability: the size after locking is remembered; the whole text is
 *	written, then fsync()ed. On any failure (short write, ENOSPC, EDQUOT,
 *	EFBIG, fsync error) the file is ftruncate()d back to that size and
 *	the result is TEMPFAIL. SM_MBOX_OK means the message is on stable
 *	storage.
 *
 *	sm_maildir_deliver() writes into the Maildir dir, creating dir, tmp,
 *	new and cur (mode 0700) when missing. The file is created as
 *	tmp/UNIQUE (O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600), UNIQUE being
 *	SECONDS.PID_COUNTER.HOST ('/' and ':' in HOST written as \057 and
 *	\072); it holds Return-Path:, X-Original-To:, Delivered-To: and the
 *	message with LF line ends (no From_ line, no quoting). It is
 *	fsync()ed, linked to new/UNIQUE (rename() when the file system has no
 *	hard links), tmp/UNIQUE is removed and new/ is fsync()ed: the link is
 *	the delivery. On failure the files made are removed; TEMPFAIL. dir
 *	and its three subdirectories must be real directories (not symbolic
 *	links), and dir must belong to rq->owner; TEMPFAIL otherwise.
 *
 *	sm_file_deliver() delivers to a "/path" recipient from aliases or
 *	.forward with the mbox writer above and the rules for file targets
 *	of security.md 3.2 (sendmail's defaults, none loosened): path must be
 *	absolute; a missing file is created (mode 0600) when its directory
 *	allows, as sendmail does; the target must be a regular file, not a
 *	symbolic link, not hard-linked, not owned by another user when
 *	rq->owner is given, and have no execute bit (so no setuid or setgid
 *	executable either); a set-user-id or set-group-id bit without an
 *	execute bit is cleared. Unlike the mailbox, an unsafe file target is
 *	PERMFAIL (5.7.1, EX_NOPERM "unsafe for mailing to files"), as in
 *	sendmail: the address itself is bad and waiting cannot fix it. A
 *	directory that is missing or not searchable is PERMFAIL too
 *	(EX_CANTCREAT, 5.2.0). Only the fcntl() lock is taken (no dot-lock:
 *	the target's directory is often not writable).
 *
 *	The pieces are exported for the other local agents (a program gets
 *	the same text on its standard input): sm_mbox_has_loop() is the loop
 *	check above (1 when msg's header has a Delivered-To: naming rcpt),
 *	sm_mbox_addr_ok() the control-character check (1 when s has none),
 *	and sm_mbox_render() appends to b the From_ line, the three header
 *	fields and the message with LF line ends, mboxrd-quoted when quote is
 *	set (without the final empty line the mbox writer adds).
 *
 *	Request fields: sender ("" for <>), recipient, orig_rcpt (or NULL),
 *	msg and len (header, empty line, body; CRLF or LF), when (the From_
 *	date), owner (uid, or SM_MBOX_ANY_OWNER to skip the check; note that
 *	a zeroed request means root), lock_wait_ms (0: SM_MBOX_LOCK_WAIT_MS),
 *	stale_lock_s (0: SM_MBOX_STALE_LOCK_S).
 *
 * WHO FREES WHAT
 *	The request and its strings stay the caller's. res->reason is
 *	allocated (also on success, "delivered to PATH") and freed with
 *	sm_mbox_result_free(). sm_mbox_status_name() returns a constant.
 *
 * CONFIGURATION
 *	None read here: the caller passes the paths and the wait times.
 *
 * DIAGNOSTICS
 *	The status is also returned in res->status, with res->exitcode
 *	(sysexits) and res->dsn (enhanced status code):
 *	    SM_MBOX_OK        EX_OK          2.0.0
 *	    SM_MBOX_TEMPFAIL  EX_TEMPFAIL    4.2.0 lock, unsafe mailbox or Maildir;
 *	                                     4.2.2 EDQUOT; 4.3.1 ENOSPC; 4.3.0 other I/O
 *	    SM_MBOX_PERMFAIL  EX_DATAERR     5.1.3 control character in an address
 *	                      EX_UNAVAILABLE 5.4.6 forwarding loop
 *	                      EX_NOPERM      5.7.1 unsafe file target
 *	                      EX_CANTCREAT   5.2.0 file target's directory missing
 *	                      EX_USAGE       5.3.5 relative file target path
 *	res->reason says why, with the path and the strerror() text.
 *	Operating-system failures are logged once at LOG_ERR, unsafe files at
 *	LOG_WARNING, removal of a stale dot-lock at LOG_NOTICE. A loop or a
 *	bad address is the caller's decision to log.
 */
#ifndef SM_MBOX_H
#define SM_MBOX_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "lib/buf.h"

#define SM_MBOX_ANY_OWNER ((uid_t)-1) /* owner: do not check */
#define SM_MBOX_LOCK_WAIT_MS 60000u   /* default wait for the locks */
#define SM_MBOX_STALE_LOCK_S 300u     /* a dot-lock older than this is stale */

/* the outcome of a delivery */
enum sm_mbox_status {
	SM_MBOX_OK,       /* delivered and on stable storage */
	SM_MBOX_TEMPFAIL, /* not delivered; nothing left behind; try later */
	SM_MBOX_PERMFAIL  /* not delivered; retrying cannot help; bounce */
};

/* what to deliver, and how long to wait */
struct sm_mbox_req {
	const char *sender;    /* envelope sender; "" for <> */
	const char *recipient; /* for Delivered-To: and the loop check */
	const char *orig_rcpt; /* for X-Original-To:, or NULL */
	const char *msg;       /* header, empty line, body; CRLF or LF */
	size_t len;            /* bytes in msg */
	time_t when;           /* date of the From_ line */
	uid_t owner;           /* required owner, or SM_MBOX_ANY_OWNER */
	unsigned lock_wait_ms; /* 0: SM_MBOX_LOCK_WAIT_MS */
	unsigned stale_lock_s; /* 0: SM_MBOX_STALE_LOCK_S */
};

/* the outcome with its codes; reason freed by sm_mbox_result_free() */
struct sm_mbox_result {
	enum sm_mbox_status status;
	int exitcode;    /* sysexits.h */
	const char *dsn; /* enhanced status code, constant */
	char *reason;    /* one line */
};

enum sm_mbox_status sm_mbox_deliver(const char *path, const struct sm_mbox_req *rq,
                                    struct sm_mbox_result *res);
enum sm_mbox_status sm_maildir_deliver(const char *dir, const struct sm_mbox_req *rq,
                                       struct sm_mbox_result *res);
enum sm_mbox_status sm_file_deliver(const char *path, const struct sm_mbox_req *rq,
                                    struct sm_mbox_result *res);
void sm_mbox_result_free(struct sm_mbox_result *res);
int sm_mbox_has_loop(const char *msg, size_t len, const char *rcpt);
int sm_mbox_addr_ok(const char *s);
void sm_mbox_render(struct sm_buf *b, const struct sm_mbox_req *rq, int quote);
const char *sm_mbox_status_name(enum sm_mbox_status st);

#endif
