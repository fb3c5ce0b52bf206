/*
 * server/deliver.h - the local delivery agent: one recipient to a mailbox, a file or a program
 *
 * SYNOPSIS
 *	#include "server/deliver.h"
 *
 *	struct sm_dtarget t = { .mailer = "local", .user = "jun+list", .ctl = NULL,
 *	                        .sender = "alice@example.org", .rcpt = "jun+list@example.com",
 *	                        .orig = NULL };
 *	struct sm_dresult res;
 *
 *	void sm_deliver_local(const struct sm_config *cf, const struct sm_dtarget *t, const char *msg,
 *	                      size_t len, time_t arrival, struct sm_dresult *res);
 *	void sm_dresult_free(struct sm_dresult *res);
 *	int sm_deliver_report_parse(const char *buf, size_t len, struct sm_dresult *res);
 *
 * DESCRIPTION
 *	sm_deliver_local() delivers the queued message msg (len bytes: header,
 *	empty line, body, CRLF line ends) to one recipient whose route the
 *	router chose, and says what became of it in res. arrival is the date
 *	of the From_ line. The mailers:
 *
 *	local	t->user is USER or USER+DETAIL. The detail is dropped to find
 *		the account (passwd database: getpwnam_r(3), or PasswdFile when
 *		set) and kept in Delivered-To:, which is t->rcpt (t->user when
 *		t->rcpt is NULL). MailboxFormat mbox appends to
 *		MailSpoolDirectory/USER with sm_mbox_deliver(); maildir writes
 *		into HOME/Maildir with sm_maildir_deliver() (server/mbox.h).
 *	*file*	t->user is an absolute path; sm_file_deliver() appends to it
 *		with sendmail's rules for file targets.
 *	prog	t->user is the command after '|'. It must pass
 *		sm_smrsh_check() against SmrshDirectory, and runs with
 *		sm_smrsh_run() (server/smrsh.h): /bin/sh -c, in the controlling
 *		user's home directory, for at most ProgramTimeout, with the
 *		environment SENDER, RECIPIENT, ORIGINAL_RECIPIENT (when
 *		t->orig is set), USER, LOGNAME and HOME (values with bytes
 *		outside printable ASCII turned into '_'). Its standard input is
 *		an unlinked in-memory or temporary file holding what a
 *		mailbox would get, without mboxrd quoting: "From SENDER DATE",
 *		Return-Path:, X-Original-To: (when t->orig is set),
 *		Delivered-To:, then the message with LF line ends. A message
 *		whose header already has Delivered-To: t->rcpt is not given to
 *		the program (a loop, as for mailboxes).
 *
 *	Privileges (security.md 3.2, 3.3; DESIGN: "nothing runs as root that
 *	need not"). Every delivery runs in a child process, which reports
 *	its outcome to the caller through a pipe (see REPORT below); the
 *	caller waits for it with waitpid(2). When the caller runs as root
 *	(geteuid() == 0) the child first becomes the user the delivery is
 *	for - setgroups(2), setgid(2), setuid(2), then checks that its real
 *	and effective ids are the user's and that setuid(0) and seteuid(0)
 *	fail - and only then touches a file:
 *	    local   the recipient: its uid, its primary gid, and for mbox
 *	            also the group of MailSpoolDirectory when that directory
 *	            is group-writable (2775 root:mail), so that the mailbox
 *	            and its dot-lock can be created; never group 0. The
 *	            mailbox must belong to the recipient.
 *	    *file*, prog
 *	            the controlling user t->ctl with only its primary group
 *	            (CERT CA-1996-25: no borrowed groups); DefaultUser when
 *	            t->ctl is NULL or names an account with uid 0. Files
 *	            are checked by the kernel's permissions as that user
 *	            (any owner accepted, as Postfix local(8) does).
 *	The one exception: a local recipient whose account has uid 0 (root,
 *	toor) is delivered as root, because its mailbox or Maildir must
 *	belong to uid 0, as mail.local(8) does; only the mbox/Maildir
 *	writer runs then, with its O_NOFOLLOW, st_nlink and owner checks.
 *	No file target and no program ever runs as root.
 *	When the caller does not run as root, nothing changes users: the
 *	child delivers as the caller, and a mailbox or Maildir must belong
 *	to the caller (geteuid()): an unprivileged installation with a
 *	private MailSpoolDirectory (the tests, the quick start).
 *	The child is used in both cases, so that a writer or program that
 *	crashes or hangs cannot take the queue manager with it.
 *
 *	REPORT. The child writes one frame and exits 0:
 *	    "SMDR1 " STATUS " " DSN " " N "\n" TEXT
 *	STATUS is ok, tempfail or permfail; DSN an enhanced status code
 *	whose class (2, 4, 5) matches STATUS; N the decimal length of TEXT,
 *	at most SM_DELIVER_TEXTMAX; TEXT printable ASCII. Nothing may
 *	follow. sm_deliver_report_parse() reads such a frame (the caller's
 *	side, exported for the tests); anything else - a child that dies,
 *	exits non-zero or writes another frame - is a deferral, 451 4.3.0.
 *
 * WHO FREES WHAT
 *	t, its strings and msg stay the caller's. res->reply is allocated by
 *	sm_deliver_local() (always, whatever the outcome) and by a successful
 *	sm_deliver_report_parse(); sm_dresult_free() releases it. res is
 *	overwritten, not freed, on entry: free the previous reply first.
 *
 * CONFIGURATION
 *	MailSpoolDirectory, MailboxFormat (mbox or maildir, any case),
 *	SmrshDirectory, ProgramTimeout (0: no limit), DefaultUser,
 *	PasswdFile (through the passwd source of nsswitch/passwd.h).
 *
 * DIAGNOSTICS
 *	res->state is SM_RCPT_DELIVERED, SM_RCPT_DEFERRED or SM_RCPT_FAILED;
 *	res->reply is one line "CODE DSN TEXT" without CR or LF:
 *	    250 2.0.0  delivered ("delivered to /var/mail/jun", "delivered
 *	               to |vacation jun")
 *	    451 4.x.x  deferred: what the mbox writer or the program said
 *	               (4.2.0 lock or unsafe mailbox, 4.2.2 quota, 4.3.1 disk
 *	               full, 4.3.0 I/O, program exit 75, a signal, timeout);
 *	               4.3.0 for a passwd lookup error (never "unknown"), a
 *	               pipe or fork failure, a delivery child that died, sent
 *	               garbage or could not drop privileges; 4.3.5 for a
 *	               configuration or programming error: another mailer
 *	               ("mailer X is not a local mailer"), an unknown
 *	               MailboxFormat, no home directory for a Maildir, an
 *	               unknown DefaultUser or one with uid 0
 *	    550 5.x.x  failed, the address is at fault: 5.1.1 "<RCPT>...
 *	               User unknown" (or an unknown controlling user), 5.1.3
 *	               a malformed user name or a control character in an
 *	               address, 5.7.1 an unsafe file target or a command
 *	               refused by smrsh, 5.2.0 a file target's directory
 *	               missing or not writable, 5.3.5 a relative path
 *	    554 5.x.x  failed, the delivery was tried and refused for this
 *	               message: 5.4.6 a forwarding loop (Delivered-To:), 5.3.0
 *	               a program that exited with another status than 0 or 75
 *	Every call logs one line with the recipient made printable: LOG_INFO
 *	when delivered, LOG_WARNING when deferred or failed by the target,
 *	LOG_ERR when the delivery agent itself failed (configuration, lookup
 *	error, pipe, fork, a child that died). The mbox writer and smrsh log
 *	their own operating-system failures from the child.
 *
 *	sm_deliver_report_parse() returns 0 and fills res, or -1 (res
 *	untouched) when buf is not exactly one well-formed frame.
 *
 * SEE ALSO
 *	server/mbox.h, server/smrsh.h, server/queue.h (enum sm_rstate),
 *	nsswitch/passwd.h; /work/shared/spec/security.md 3 and 5.3.
 */
#ifndef SM_DELIVER_H
#define SM_DELIVER_H

#include <stddef.h>
#include <time.h>

#include "lib/cfg.h"
#include "server/queue.h"

#define SM_DELIVER_TEXTMAX 1000 /* longest TEXT of a report, in bytes */

/* one recipient, as the router resolved it */
struct sm_dtarget {
	const char *mailer; /* "local", "*file*", "prog" */
	const char *user;   /* local: user[+detail]; *file*: path; prog: command */
	const char *ctl;    /* controlling user for *file* and prog (name); NULL: DefaultUser */
	const char *sender; /* envelope sender, "" (or NULL) for <> */
	const char *rcpt;   /* for Delivered-To: and the loop check; NULL: user */
	const char *orig;   /* original recipient for X-Original-To:, or NULL */
	const char *qid;    /* queue id that starts the log line, or NULL */
};

/* what became of it; reply freed by sm_dresult_free() */
struct sm_dresult {
	enum sm_rstate state; /* SM_RCPT_DELIVERED, SM_RCPT_DEFERRED or SM_RCPT_FAILED */
	char *reply;          /* "250 2.0.0 delivered to /var/mail/jun", "451 4.2.0 ...", "550 5.1.1 ..." */
};

void sm_deliver_local(const struct sm_config *cf, const struct sm_dtarget *t, const char *msg, size_t len,
                      time_t arrival, struct sm_dresult *res);
void sm_dresult_free(struct sm_dresult *res);
int sm_deliver_report_parse(const char *buf, size_t len, struct sm_dresult *res);

#endif
