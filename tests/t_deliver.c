/*
 * tests/t_deliver.c - unit tests for server/deliver.c: mailbox, Maildir, file and program deliveries
 *
 * SYNOPSIS
 *	tests/t_deliver	(TAP on stdout; run by "make check")
 *
 * DESCRIPTION
 *	Builds a fixture under a mkdtemp() directory {T}: a PasswdFile whose
 *	users have uids 40001..40008 that no system account uses (and root),
 *	a spool directory, home directories, a directory of file targets
 *	(a symlink, a hard link, an executable file, a read-only directory)
 *	and an smrsh program directory with small scripts (append stdin to a
 *	file, print the environment or the ids, exit 75, exit 1, sleep, kill
 *	the delivery agent). Then it runs a table of deliveries through
 *	sm_deliver_local() and checks for each the state and the reply, that
 *	exactly one line was logged with the right priority, and the file
 *	written (its bytes, or that none was written) and its owner.
 *
 *	When run as root (the CI), the table runs twice:
 *	  - privileged: the spool directory is 0775 root:40010 (so the
 *	    recipient can create a mailbox only through the spool group the
 *	    agent adds), homes belong to their users, and every file written
 *	    must belong to the recipient, the controlling user or DefaultUser,
 *	    programs must run with exactly the controlling user's uid and
 *	    single group; a few cases only make sense here (a mailbox of
 *	    another owner, a spool directory of group 0);
 *	  - unprivileged: in a child process that has changed to uid 40004,
 *	    with a fixture of its own, as an ordinary user or the quick start
 *	    runs: everything is written as 40004.
 *	Not run as root, only the unprivileged pass runs (in this process)
 *	and the privileged one is one TAP skip that says so.
 *	The report frame parser is checked with a table of good and bad
 *	frames.
 *
 * CONFIGURATION
 *	None read; the configurations are built in memory. TZ is set to UTC.
 *
 * DIAGNOSTICS
 *	Exit status 0 when every test point passes; failures are shown as
 *	"not ok" with the got/want values.
 */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "server/deliver.h"
#include "tests/testutil.h"

#define T "{T}"         /* stands for the test directory in wanted texts and in targets */
#define WHEN 1700000000 /* Tue Nov 14 22:13:20 2023 UTC */
#define FROM_LINE "From alice@example.org Tue Nov 14 22:13:20 2023\n"
#define RP "Return-Path: <alice@example.org>\n"
#define MSG "Subject: hi\r\n\r\nFrom me\r\nhello\r\n"
#define MBOX_BODY "Subject: hi\n\n>From me\nhello\n\n"
#define PROG_BODY "Subject: hi\n\nFrom me\nhello\n"
#define SPOOL_GID 40010  /* group of the spool directory in the privileged pass */
#define UNPRIV_UID 40004 /* the unprivileged pass runs as this */

/* the fixture users */
static const struct fuser {
	const char *name;
	uid_t uid;
	const char *home; /* relative to {T}; NULL: empty field */
	int make_home;
} fusers[] = {
	{ "jun", 40001, "home/jun", 1 },   { "kim", 40002, "home/kim", 1 },
	{ "dflt", 40003, "home/dflt", 1 }, { "lee", 40005, "home/lee", 0 },
	{ "mia", 40006, "home/mia", 0 },   { "nohome", 40007, "missing/nohome", 0 },
	{ "relhome", 40008, NULL, 0 },     { "root", 0, "home/root", 1 },
};

/* the configurations */
enum cfid {
	CF_MBOX,        /* the normal one: mbox, DefaultUser dflt, ProgramTimeout 2 */
	CF_MAILDIR,     /* MailboxFormat maildir */
	CF_NOPASSWD,    /* PasswdFile missing: lookups fail */
	CF_BADFORMAT,   /* MailboxFormat mbx */
	CF_NODEFAULT,   /* DefaultUser nosuch */
	CF_ROOTDEFAULT, /* DefaultUser root */
	CF_SPOOL0,      /* MailSpoolDirectory 0775 root:root */
	CF_COUNT
};

static struct sm_config *configs[CF_COUNT];

/* when a case runs */
enum mode { BOTH, PRIV, UNPRIV };

/* one delivery and what must come of it */
struct dcase {
	const char *name;
	enum cfid cf;
	enum mode mode;
	const char *mailer, *user, *ctl, *sender, *rcpt, *orig;
	const char *msg; /* NULL: MSG */
	enum sm_rstate state;
	const char *reply;   /* T replaced; a final '*' matches any rest */
	const char *file;    /* relative to {T}: removed before, checked after; NULL: none */
	int dir;             /* file is a directory that must then hold exactly one file */
	int keep;            /* file is not removed before */
	int absent;          /* file must not exist afterwards */
	const char *content; /* its exact bytes (NULL: not checked) */
	const char *owner;   /* fixture user that must own it in the privileged pass (NULL: not checked) */
};

#define MB(rcpt) FROM_LINE RP "Delivered-To: " rcpt "\n" MBOX_BODY

static const struct dcase dcases[] = {
	/* local, mbox */
	{ .name = "mbox delivery",
	  .mailer = "local",
	  .user = "jun",
	  .rcpt = "jun@example.com",
	  .state = SM_RCPT_DELIVERED,
	  .reply = "250 2.0.0 delivered to " T "/spool/jun",
	  .file = "spool/jun",
	  .content = MB("jun@example.com"),
	  .owner = "jun" },
	{ .name = "+detail: mailbox of the user, detail kept in Delivered-To:",
	  .mailer = "local",
	  .user = "jun+list",
	  .rcpt = "jun+list@example.com",
	  .orig = "Jun+List@Example.COM",
	  .state = SM_RCPT_DELIVERED,
	  .reply = "250 2.0.0 delivered to " T "/spool/jun",
	  .file = "spool/jun",
	  .content = FROM_LINE RP
	  "X-Original-To: Jun+List@Example.COM\nDelivered-To: jun+list@example.com\n" MBOX_BODY,
	  .owner = "jun" },
	{ .name = "no rcpt: Delivered-To: is the user with its detail",
	  .mailer = "local",
	  .user = "jun+x",
	  .state = SM_RCPT_DELIVERED,
	  .reply = "250 2.0.0 delivered to " T "/spool/jun",
	  .file = "spool/jun",
	  .content = MB("jun+x"),
	  .owner = "jun" },
	{ .name = "null sender",
	  .mailer = "local",
	  .user = "jun",
	  .sender = "",
	  .rcpt = "jun@example.com",
	  .state = SM_RCPT_DELIVERED,
	  .reply = "250 2.0.0 delivered to " T "/spool/jun",
	  .file = "spool/jun",
	  .content = "From MAILER-DAEMON Tue Nov 14 22:13:20 2023\nReturn-Path: <>\n"
	             "Delivered-To: jun@example.com\n" MBOX_BODY },
	{ .name = "root's mailbox is written as root",
	  .mailer = "local",
	  .user = "root",
	  .rcpt = "root@example.com",
	  .state = SM_RCPT_DELIVERED,
	  .reply = "250 2.0.0 delivered to " T "/spool/root",
	  .file = "spool/root",
	  .content = MB("root@example.com"),
	  .owner = "root" },
	{ .name = "unknown user",
	  .mailer = "local",
	  .user = "nosuch",
	  .rcpt = "nosuch@example.com",
	  .state = SM_RCPT_FAILED,
	  .reply = "550 5.1.1 <nosuch@example.com>... User unknown",
	  .file = "spool/nosuch",
	  .absent = 1 },
	{ .name = "unknown user with a detail",
	  .mailer = "local",
	  .user = "nosuch+jun",
	  .rcpt = "nosuch+jun@example.com",
	  .state = SM_RCPT_FAILED,
	  .reply = "550 5.1.1 <nosuch+jun@example.com>... User unknown" },
	{ .name = "user name with a slash",
	  .mailer = "local",
	  .user = "../passwd",
	  .rcpt = "x@example.com",
	  .state = SM_RCPT_FAILED,
	  .reply = "550 5.1.3 <x@example.com>... bad local user name" },
	{ .name = "empty user name before the detail",
	  .mailer = "local",
	  .user = "+jun",
	  .rcpt = "+jun@example.com",
	  .state = SM_RCPT_FAILED,
	  .reply = "550 5.1.3 <+jun@example.com>... bad local user name" },
	{ .name = "user name with a leading dot",
	  .mailer = "local",
	  .user = ".jun",
	  .state = SM_RCPT_FAILED,
	  .reply = "550 5.1.3 <.jun>... bad local user name" },
	{ .name = "Delivered-To: loop",
	  .mailer = "local",
	  .user = "jun",
	  .rcpt = "jun@example.com",
	  .msg = "Received: x\r\nDelivered-To: <JUN@Example.com>\r\nSubject: l\r\n\r\nbody\r\n",
	  .state = SM_RCPT_FAILED,
	  .reply = "554 5.4.6 mail forwarding loop for jun@example.com",
	  .file = "spool/jun",
	  .absent = 1 },
	{ .name = "Delivered-To: in the body is no loop",
	  .mailer = "local",
	  .user = "jun",
	  .rcpt = "jun@example.com",
	  .msg = "Subject: l\r\n\r\nDelivered-To: jun@example.com\r\n",
	  .state = SM_RCPT_DELIVERED,
	  .reply = "250 2.0.0 delivered to " T "/spool/jun",
	  .file = "spool/jun",
	  .content =
	      FROM_LINE RP "Delivered-To: jun@example.com\nSubject: l\n\nDelivered-To: jun@example.com\n\n" },
	{ .name = "control character in the sender",
	  .mailer = "local",
	  .user = "jun",
	  .sender = "a\nb@example.org",
	  .rcpt = "jun@example.com",
	  .state = SM_RCPT_FAILED,
	  .reply = "550 5.1.3 <jun@example.com>... control character in an address",
	  .file = "spool/jun",
	  .absent = 1 },
	{ .name = "control character in the recipient, shown escaped",
	  .mailer = "local",
	  .user = "jun",
	  .rcpt = "jun\001@example.com",
	  .state = SM_RCPT_FAILED,
	  .reply = "550 5.1.3 <jun\\x01@example.com>... control character in an address" },
	{ .name = "hard-linked mailbox: deferred",
	  .mailer = "local",
	  .user = "lee",
	  .rcpt = "lee@example.com",
	  .state = SM_RCPT_DEFERRED,
	  .reply = "451 4.2.0 mailbox " T "/spool/lee: has more than one hard link" },
	{ .name = "mailbox of another user: deferred",
	  .mode = PRIV,
	  .mailer = "local",
	  .user = "mia",
	  .rcpt = "mia@example.com",
	  .state = SM_RCPT_DEFERRED,
	  .reply = "451 4.2.0 mailbox " T "/spool/mia: is owned by another user" },
	{ .name = "spool directory of group 0: its group is not given",
	  .mode = PRIV,
	  .cf = CF_SPOOL0,
	  .mailer = "local",
	  .user = "jun",
	  .rcpt = "jun@example.com",
	  .state = SM_RCPT_DEFERRED,
	  .reply = "451 4.3.0 cannot open " T "/spool0/jun: Permission denied",
	  .file = "spool0/jun",
	  .absent = 1 },
	{ .name = "malformed passwd entry: deferred",
	  .mailer = "local",
	  .user = "broken",
	  .rcpt = "broken@example.com",
	  .state = SM_RCPT_DEFERRED,
	  .reply = "451 4.3.0 <broken@example.com>... cannot look up user broken: malformed passwd entry for "
	           "broken" },
	{ .name = "passwd lookup error: deferred, not unknown",
	  .cf = CF_NOPASSWD,
	  .mailer = "local",
	  .user = "jun",
	  .rcpt = "jun@example.com",
	  .state = SM_RCPT_DEFERRED,
	  .reply = "451 4.3.0 <jun@example.com>... cannot look up user jun: " T
	           "/missing/passwd: No such file or directory" },
	{ .name = "unknown MailboxFormat: deferred",
	  .cf = CF_BADFORMAT,
	  .mailer = "local",
	  .user = "jun",
	  .state = SM_RCPT_DEFERRED,
	  .reply = "451 4.3.5 unknown MailboxFormat \"mbx\"" },

	/* local, Maildir */
	{ .name = "Maildir delivery",
	  .cf = CF_MAILDIR,
	  .mailer = "local",
	  .user = "jun+list",
	  .rcpt = "jun+list@example.com",
	  .state = SM_RCPT_DELIVERED,
	  .reply = "250 2.0.0 delivered to " T "/home/jun/Maildir/new/*",
	  .file = "home/jun/Maildir/new",
	  .dir = 1,
	  .content = RP "Delivered-To: jun+list@example.com\n" PROG_BODY,
	  .owner = "jun" },
	{ .name = "Maildir: unknown user",
	  .cf = CF_MAILDIR,
	  .mailer = "local",
	  .user = "nosuch",
	  .rcpt = "nosuch@example.com",
	  .state = SM_RCPT_FAILED,
	  .reply = "550 5.1.1 <nosuch@example.com>... User unknown" },
	{ .name = "Maildir: home directory missing: deferred",
	  .cf = CF_MAILDIR,
	  .mailer = "local",
	  .user = "nohome",
	  .rcpt = "nohome@example.com",
	  .state = SM_RCPT_DEFERRED,
	  .reply = "451 4.3.0 cannot create Maildir directory " T
	           "/missing/nohome/Maildir: No such file or directory" },
	{ .name = "Maildir: no home directory at all: deferred",
	  .cf = CF_MAILDIR,
	  .mailer = "local",
	  .user = "relhome",
	  .rcpt = "relhome@example.com",
	  .state = SM_RCPT_DEFERRED,
	  .reply = "451 4.3.5 <relhome@example.com>... no home directory for Maildir delivery" },

	/* file targets */
	{ .name = "file target as the controlling user",
	  .mailer = "*file*",
	  .user = T "/files/out",
	  .ctl = "kim",
	  .rcpt = "archive@example.com",
	  .state = SM_RCPT_DELIVERED,
	  .reply = "250 2.0.0 delivered to " T "/files/out",
	  .file = "files/out",
	  .content = MB("archive@example.com"),
	  .owner = "kim" },
	{ .name = "file target without a controlling user: DefaultUser",
	  .mailer = "*file*",
	  .user = T "/files/out",
	  .rcpt = "archive@example.com",
	  .state = SM_RCPT_DELIVERED,
	  .reply = "250 2.0.0 delivered to " T "/files/out",
	  .file = "files/out",
	  .content = MB("archive@example.com"),
	  .owner = "dflt" },
	{ .name = "file target with controlling user root: DefaultUser",
	  .mailer = "*file*",
	  .user = T "/files/out",
	  .ctl = "root",
	  .rcpt = "archive@example.com",
	  .state = SM_RCPT_DELIVERED,
	  .reply = "250 2.0.0 delivered to " T "/files/out",
	  .file = "files/out",
	  .owner = "dflt" },
	{ .name = "file target is a symlink: unsafe",
	  .mailer = "*file*",
	  .user = T "/files/link",
	  .ctl = "kim",
	  .rcpt = "archive@example.com",
	  .state = SM_RCPT_FAILED,
	  .reply = "550 5.7.1 " T "/files/link: is a symbolic link: unsafe for mailing to files",
	  .file = "files/target",
	  .keep = 1,
	  .content = "" },
	{ .name = "file target with two hard links: unsafe",
	  .mailer = "*file*",
	  .user = T "/files/hard",
	  .ctl = "kim",
	  .state = SM_RCPT_FAILED,
	  .reply = "550 5.7.1 " T "/files/hard: has more than one hard link: unsafe for mailing to files" },
	{ .name = "executable file target: unsafe",
	  .mailer = "*file*",
	  .user = T "/files/exec",
	  .ctl = "kim",
	  .state = SM_RCPT_FAILED,
	  .reply = "550 5.7.1 " T "/files/exec: is executable: unsafe for mailing to files" },
	{ .name = "file target in a directory the user cannot write",
	  .mailer = "*file*",
	  .user = T "/files/ro/out",
	  .ctl = "kim",
	  .state = SM_RCPT_FAILED,
	  .reply = "550 5.2.0 cannot create " T "/files/ro/out: Permission denied",
	  .file = "files/ro/out",
	  .absent = 1 },
	{ .name = "relative file target",
	  .mailer = "*file*",
	  .user = "files/out",
	  .ctl = "kim",
	  .state = SM_RCPT_FAILED,
	  .reply = "550 5.3.5 file target files/out is not an absolute path" },
	{ .name = "file target with a control character",
	  .mailer = "*file*",
	  .user = T "/files/a\nb",
	  .ctl = "kim",
	  .rcpt = "archive@example.com",
	  .state = SM_RCPT_FAILED,
	  .reply = "550 5.1.3 <archive@example.com>... control character in an address" },
	{ .name = "unknown controlling user",
	  .mailer = "*file*",
	  .user = T "/files/out",
	  .ctl = "nosuch",
	  .rcpt = "archive@example.com",
	  .state = SM_RCPT_FAILED,
	  .reply = "550 5.1.1 <archive@example.com>... controlling user nosuch unknown",
	  .file = "files/out",
	  .absent = 1 },
	{ .name = "controlling user that is no user name",
	  .mailer = "*file*",
	  .user = T "/files/out",
	  .ctl = "../kim",
	  .rcpt = "archive@example.com",
	  .state = SM_RCPT_DEFERRED,
	  .reply = "451 4.3.5 <archive@example.com>... controlling user \"../kim\" is not a user name" },
	{ .name = "unknown DefaultUser: deferred",
	  .cf = CF_NODEFAULT,
	  .mailer = "*file*",
	  .user = T "/files/out",
	  .rcpt = "archive@example.com",
	  .state = SM_RCPT_DEFERRED,
	  .reply = "451 4.3.5 <archive@example.com>... DefaultUser nosuch unknown",
	  .file = "files/out",
	  .absent = 1 },
	{ .name = "DefaultUser root: deferred, never run as root",
	  .cf = CF_ROOTDEFAULT,
	  .mailer = "*file*",
	  .user = T "/files/out",
	  .ctl = "root",
	  .rcpt = "archive@example.com",
	  .state = SM_RCPT_DEFERRED,
	  .reply = "451 4.3.5 <archive@example.com>... DefaultUser root has uid 0",
	  .file = "files/out",
	  .absent = 1 },

	/* programs */
	{ .name = "program through smrsh: message on stdin, LF, From_ line, no quoting",
	  .mailer = "prog",
	  .user = "/usr/bin/save " T "/prog/out",
	  .ctl = "kim",
	  .rcpt = "list@example.com",
	  .state = SM_RCPT_DELIVERED,
	  .reply = "250 2.0.0 delivered to |/usr/bin/save " T "/prog/out",
	  .file = "prog/out",
	  .content = FROM_LINE RP "Delivered-To: list@example.com\n" PROG_BODY,
	  .owner = "kim" },
	{ .name = "program without a controlling user runs as DefaultUser",
	  .mailer = "prog",
	  .user = "save " T "/prog/out",
	  .rcpt = "list@example.com",
	  .orig = "List@Example.COM",
	  .sender = "",
	  .state = SM_RCPT_DELIVERED,
	  .reply = "250 2.0.0 delivered to |save " T "/prog/out",
	  .file = "prog/out",
	  .content = "From MAILER-DAEMON Tue Nov 14 22:13:20 2023\nReturn-Path: <>\n"
	             "X-Original-To: List@Example.COM\nDelivered-To: list@example.com\n" PROG_BODY,
	  .owner = "dflt" },
	{ .name = "program with controlling user root runs as DefaultUser",
	  .mailer = "prog",
	  .user = "save " T "/prog/out",
	  .ctl = "root",
	  .rcpt = "list@example.com",
	  .state = SM_RCPT_DELIVERED,
	  .reply = "250 2.0.0 delivered to |save " T "/prog/out",
	  .file = "prog/out",
	  .owner = "dflt" },
	{ .name = "program exits 75: deferred",
	  .mailer = "prog",
	  .user = "busy",
	  .ctl = "kim",
	  .rcpt = "list@example.com",
	  .state = SM_RCPT_DEFERRED,
	  .reply = "451 4.3.0 mailbox busy" },
	{ .name = "program exits 1: failed",
	  .mailer = "prog",
	  .user = "fail",
	  .ctl = "kim",
	  .rcpt = "list@example.com",
	  .state = SM_RCPT_FAILED,
	  .reply = "554 5.3.0 no such list" },
	{ .name = "program not in SmrshDirectory: refused",
	  .mailer = "prog",
	  .user = "rm -rf /",
	  .ctl = "kim",
	  .rcpt = "list@example.com",
	  .state = SM_RCPT_FAILED,
	  .reply = "550 5.7.1 smrsh: \"rm\" not available for sendmail programs (stat failed)" },
	{ .name = "program with ';': refused",
	  .mailer = "prog",
	  .user = "save " T "/prog/out; save " T "/prog/out2",
	  .ctl = "kim",
	  .rcpt = "list@example.com",
	  .state = SM_RCPT_FAILED,
	  .reply = "550 5.7.1 smrsh: cannot use ; in command",
	  .file = "prog/out",
	  .absent = 1 },
	{ .name = "program with '`': refused",
	  .mailer = "prog",
	  .user = "save `id`",
	  .ctl = "kim",
	  .rcpt = "list@example.com",
	  .state = SM_RCPT_FAILED,
	  .reply = "550 5.7.1 smrsh: cannot use ` in command" },
	{ .name = "program with '>': refused",
	  .mailer = "prog",
	  .user = "fail > " T "/prog/out",
	  .ctl = "kim",
	  .rcpt = "list@example.com",
	  .state = SM_RCPT_FAILED,
	  .reply = "550 5.7.1 smrsh: cannot use > in command",
	  .file = "prog/out",
	  .absent = 1 },
	{ .name = "program timeout: deferred",
	  .mailer = "prog",
	  .user = "slow",
	  .ctl = "kim",
	  .rcpt = "list@example.com",
	  .state = SM_RCPT_DEFERRED,
	  .reply = "451 4.3.0 program timed out" },
	{ .name = "program loop: not run",
	  .mailer = "prog",
	  .user = "save " T "/prog/out",
	  .ctl = "kim",
	  .rcpt = "list@example.com",
	  .msg = "Delivered-To: list@example.com\r\n\r\nx\r\n",
	  .state = SM_RCPT_FAILED,
	  .reply = "554 5.4.6 mail forwarding loop for list@example.com",
	  .file = "prog/out",
	  .absent = 1 },
	{ .name = "delivery agent killed: deferred",
	  .mailer = "prog",
	  .user = "killer",
	  .ctl = "kim",
	  .rcpt = "list@example.com",
	  .state = SM_RCPT_DEFERRED,
	  .reply = "451 4.3.0 delivery agent killed by signal 9" },

	/* not ours */
	{ .name = "another mailer: deferred",
	  .mailer = "esmtp",
	  .user = "jun@example.net",
	  .rcpt = "jun@example.net",
	  .state = SM_RCPT_DEFERRED,
	  .reply = "451 4.3.5 mailer esmtp is not a local mailer" },
	{ .name = "mailer name with a control character, shown escaped",
	  .mailer = "lo\ncal",
	  .user = "jun",
	  .state = SM_RCPT_DEFERRED,
	  .reply = "451 4.3.5 mailer lo\\x0acal is not a local mailer" },
	{ .name = "no mailer: deferred",
	  .user = "jun",
	  .rcpt = "jun@example.com",
	  .state = SM_RCPT_DEFERRED,
	  .reply = "451 4.3.5 <jun@example.com>... incomplete delivery target" },
	{ .name = "empty user: deferred",
	  .mailer = "prog",
	  .user = "",
	  .rcpt = "list@example.com",
	  .state = SM_RCPT_DEFERRED,
	  .reply = "451 4.3.5 <list@example.com>... incomplete delivery target" },
};

/* the smrsh programs */
static const struct {
	const char *name, *text;
} scripts[] = {
	{ "save", "#!/bin/sh\ncat >> \"$1\"\n" },
	{ "env", "#!/bin/sh\nenv > \"$1\"\n" },
	{ "ident", "#!/bin/sh\n{ id -u; id -g; id -G; pwd; } > \"$1\"\n" },
	{ "busy", "#!/bin/sh\necho 'mailbox busy' >&2\nexit 75\n" },
	{ "fail", "#!/bin/sh\necho 'no such list'\nexit 1\n" },
	{ "slow", "#!/bin/sh\nsleep 30\n" },
	/* kill the delivery agent: the nearest ancestor that is a t_deliver process */
	{ "killer", "#!/bin/sh\np=$PPID\nn=0\n"
	            "while [ \"$n\" -lt 6 ] && [ \"$p\" -gt 1 ]; do\n"
	            "\tif [ \"$(cat /proc/$p/comm 2>/dev/null)\" = t_deliver ]; then\n"
	            "\t\tkill -9 \"$p\"\n\t\texit 0\n\tfi\n"
	            "\tp=$(sed 's/.*) //' /proc/$p/stat | cut -d' ' -f2)\n\tn=$((n + 1))\ndone\n"
	            "echo 'no delivery agent found'\nexit 1\n" },
};

/* expand - s with every T replaced by the test directory; caller frees */
static char *expand(const char *s)
{
	struct sm_buf b = SM_BUF_INIT;
	const char *p;

	if (s == NULL)
		return NULL;
	while ((p = strstr(s, T)) != NULL) {
		sm_buf_add(&b, s, (size_t)(p - s));
		sm_buf_adds(&b, test_dir);
		s = p + strlen(T);
	}
	sm_buf_adds(&b, s);
	return sm_buf_steal(&b);
}

/* reply_matches - got equals want, or starts with it when want ends in '*' */
static int reply_matches(const char *got, const char *want)
{
	size_t n = strlen(want);

	if (got == NULL)
		return 0;
	if (n > 0 && want[n - 1] == '*')
		return strncmp(got, want, n - 1) == 0;
	return strcmp(got, want) == 0;
}

/* fuser_uid - the uid of a fixture user in the privileged pass */
static uid_t fuser_uid(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(fusers) / sizeof(fusers[0]); i++)
		if (strcmp(fusers[i].name, name) == 0)
			return fusers[i].uid;
	return (uid_t)-1;
}

/* slurp - the contents of path (caller frees), or NULL */
static char *slurp(const char *path)
{
	struct sm_buf b = SM_BUF_INIT;

	if (read_file(path, &b) < 0)
		return NULL;
	sm_buf_str(&b);
	return sm_buf_steal(&b);
}

/* only_entry - the path of the one file in directory d (caller frees), or NULL if not exactly one */
static char *only_entry(const char *d)
{
	DIR *dp = opendir(d);
	struct dirent *e;
	char *found = NULL;
	int n = 0;

	if (dp == NULL)
		return NULL;
	while ((e = readdir(dp)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (n++ == 0)
			found = sm_asprintf("%s/%s", d, e->d_name);
	}
	closedir(dp);
	if (n != 1) {
		free(found);
		return NULL;
	}
	return found;
}

/* clean - remove path, or every file in it when it is a directory */
static void clean(const char *path, int dir)
{
	char *p;

	if (!dir) {
		(void)unlink(path);
		return;
	}
	while ((p = only_entry(path)) != NULL) {
		(void)unlink(p);
		free(p);
	}
}

/* sub - mkdir {T}/name with mode, owned by uid:gid when priv; 0 or -1 */
static int sub(const char *name, mode_t mode, int priv, uid_t uid, gid_t gid)
{
	const char *p = in_dir(name);

	if (mkdir(p, 0700) < 0 && errno != EEXIST)
		return -1;
	if (priv && chown(p, uid, gid) < 0)
		return -1;
	return chmod(p, mode);
}

/* make_fixture - the passwd file, directories, file targets and programs under test_dir; 0 or -1 */
static int make_fixture(int priv)
{
	struct sm_buf pw = SM_BUF_INIT;
	char path[PATH_MAX];
	size_t i;
	int rc;

	if (chmod(test_dir, 0755) < 0)
		return -1;
	for (i = 0; i < sizeof(fusers) / sizeof(fusers[0]); i++) {
		const struct fuser *u = &fusers[i];

		sm_buf_printf(&pw, "%s:x:%lu:%lu:%s:%s%s%s:/bin/sh\n", u->name, (unsigned long)u->uid,
		              (unsigned long)u->uid, u->name, u->home ? test_dir : "", u->home ? "/" : "",
		              u->home ? u->home : "");
	}
	sm_buf_adds(&pw, "broken:x:notanumber:1::/:/bin/sh\n");
	rc = write_file(in_dir("passwd"), sm_buf_str(&pw), 0644);
	sm_buf_free(&pw);
	if (rc < 0)
		return -1;

	/* the spool: 0775 root:SPOOL_GID when privileged, so only the spool group lets users in */
	if (sub("spool", 0775, priv, 0, SPOOL_GID) < 0 || sub("spool0", 0775, priv, 0, 0) < 0)
		return -1;
	if (write_file(in_dir("spool/lee.keep"), "", 0600) < 0 ||
	    (priv && chown(in_dir("spool/lee.keep"), fuser_uid("lee"), fuser_uid("lee")) < 0) ||
	    link(in_dir("spool/lee.keep"), in_dir("spool/lee")) < 0)
		return -1;
	if (write_file(in_dir("spool/mia"), "", 0666) < 0 ||
	    (priv && chown(in_dir("spool/mia"), fuser_uid("kim"), fuser_uid("kim")) < 0))
		return -1;
	if (sub("home", 0755, priv, 0, 0) < 0)
		return -1;
	for (i = 0; i < sizeof(fusers) / sizeof(fusers[0]); i++) {
		snprintf(path, sizeof(path), "home/%s", fusers[i].name);
		if (fusers[i].make_home && sub(path, 0755, priv, fusers[i].uid, fusers[i].uid) < 0)
			return -1;
	}

	/* file targets */
	if (sub("files", 01777, priv, 0, 0) < 0 || sub("files/ro", 0555, priv, 0, 0) < 0)
		return -1;
	if (write_file(in_dir("files/target"), "", 0666) < 0 ||
	    symlink(in_dir("files/target"), in_dir("files/link")) < 0)
		return -1;
	if (write_file(in_dir("files/hard"), "", 0666) < 0 ||
	    link(in_dir("files/hard"), in_dir("files/hard2")) < 0)
		return -1;
	if (write_file(in_dir("files/exec"), "", 0777) < 0)
		return -1;

	/* programs and where they write */
	if (sub("prog", 01777, priv, 0, 0) < 0 || sub("sm.bin", 0755, priv, 0, 0) < 0)
		return -1;
	for (i = 0; i < sizeof(scripts) / sizeof(scripts[0]); i++) {
		snprintf(path, sizeof(path), "sm.bin/%s", scripts[i].name);
		if (write_file(in_dir(path), scripts[i].text, 0755) < 0)
			return -1;
	}
	return 0;
}

/* make_configs - the configurations of the fixture; 0 or -1 */
static int make_configs(void)
{
	int i, rc = 0;

	for (i = 0; i < CF_COUNT; i++) {
		struct sm_config *cf = sm_config_new();

		configs[i] = cf;
		rc |= config_set(cf, "MailSpoolDirectory", in_dir(i == CF_SPOOL0 ? "spool0" : "spool"));
		rc |= config_set(cf, "PasswdFile", in_dir(i == CF_NOPASSWD ? "missing/passwd" : "passwd"));
		rc |= config_set(cf, "SmrshDirectory", in_dir("sm.bin"));
		rc |= config_set(cf, "ProgramTimeout", "2s");
		rc |= config_set(cf, "MailboxFormat",
		                 i == CF_MAILDIR     ? "Maildir"
		                 : i == CF_BADFORMAT ? "mbx"
		                                     : "mbox");
		rc |= config_set(cf, "DefaultUser",
		                 i == CF_NODEFAULT     ? "nosuch"
		                 : i == CF_ROOTDEFAULT ? "root"
		                                       : "dflt");
	}
	return rc ? -1 : 0;
}

/* free_configs - release the configurations */
static void free_configs(void)
{
	int i;

	for (i = 0; i < CF_COUNT; i++) {
		sm_config_free(configs[i]);
		configs[i] = NULL;
	}
}

/* deliver - sm_deliver_local() with the test's defaults for what c leaves out, T expanded in user */
static void deliver(const struct dcase *c, struct sm_dresult *res)
{
	char *user = expand(c->user);
	const char *msg = c->msg ? c->msg : MSG;
	struct sm_dtarget t = {
		.mailer = c->mailer,
		.user = user,
		.ctl = c->ctl,
		.sender = c->sender ? c->sender : "alice@example.org",
		.rcpt = c->rcpt,
		.orig = c->orig,
	};

	sm_deliver_local(configs[c->cf], &t, msg, strlen(msg), WHEN, res);
	free(user);
}

/* check_file - what c says about its file after the delivery */
static void check_file(const struct dcase *c, int priv)
{
	char *path = expand(T "/"), *full, *file, *got;
	struct stat st;
	uid_t want;

	full = sm_asprintf("%s%s", path, c->file);
	free(path);
	if (c->absent) {
		ok(lstat(full, &st) != 0 && errno == ENOENT, "%s: %s not written", c->name, c->file);
		free(full);
		return;
	}
	file = c->dir ? only_entry(full) : sm_strdup(full);
	if (!ok(file != NULL && lstat(file, &st) == 0, "%s: %s written", c->name, c->file)) {
		free(file);
		free(full);
		return;
	}
	if (c->content) {
		got = slurp(file);
		is_str(got, c->content, c->name);
		free(got);
	}
	if (c->owner) {
		want = priv ? fuser_uid(c->owner) : geteuid();
		if (!ok(st.st_uid == want, "%s: %s owned by %s (uid %lu)", c->name, c->file,
		        priv ? c->owner : "the caller", (unsigned long)want))
			diag("owner is uid %lu", (unsigned long)st.st_uid);
	}
	free(file);
	free(full);
}

/* test_table - every case for this pass */
static void test_table(int priv)
{
	struct sm_dresult res;
	size_t i;

	for (i = 0; i < sizeof(dcases) / sizeof(dcases[0]); i++) {
		const struct dcase *c = &dcases[i];
		char *want = expand(c->reply);
		int want_prio = c->state == SM_RCPT_DELIVERED ? LOG_INFO : LOG_WARNING;
		int prio_ok;

		if ((c->mode == PRIV && !priv) || (c->mode == UNPRIV && priv)) {
			free(want);
			continue;
		}
		if (c->file && !c->keep) {
			char *f = sm_asprintf("%s/%s", test_dir, c->file);

			clean(f, c->dir);
			free(f);
		}
		log_reset();
		res.reply = NULL;
		deliver(c, &res);
		if (!ok(res.state == c->state && reply_matches(res.reply, want), "%s: %s", c->name,
		        res.reply ? res.reply : "(null)")) {
			diag("state %d, want %d", (int)res.state, (int)c->state);
			diag("want \"%s\"", want);
		}
		prio_ok = logs.count == 1 && (logs.prio[0] == want_prio ||
		                              (want_prio == LOG_WARNING && logs.prio[0] == LOG_ERR));
		if (!ok(prio_ok && res.reply && strstr(logs.msg[0], res.reply) != NULL, "%s: logged once",
		        c->name))
			diag("%zu log lines, first: %s", logs.count, logs.count ? logs.msg[0] : "");
		if (c->file)
			check_file(c, priv);
		sm_dresult_free(&res);
		ok(res.reply == NULL, "%s: sm_dresult_free clears the reply", c->name);
		free(want);
	}
}

/* has_line - text holds line as a whole line */
static int has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *p;

	for (p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, line, n) == 0 && (p[n] == '\n' || p[n] == '\0'))
			return 1;
	return 0;
}

/* test_prog_env - the environment and the identity of a program */
static void test_prog_env(int priv)
{
	struct sm_dtarget t = { .mailer = "prog",
		                .ctl = "kim",
		                .rcpt = "list\xe9@example.com",
		                .orig = "List@Example.COM",
		                .sender = "al ice\xff@example.org" };
	struct sm_dresult res = { SM_RCPT_PENDING, NULL };
	char *cmd = expand("env " T "/prog/env"), *got, *want;
	struct sm_buf w = SM_BUF_INIT;

	unlink(in_dir("prog/env"));
	t.user = cmd;
	sm_deliver_local(configs[CF_MBOX], &t, MSG, strlen(MSG), WHEN, &res);
	ok(res.state == SM_RCPT_DELIVERED, "env program delivered: %s", res.reply);
	sm_dresult_free(&res);
	free(cmd);
	got = slurp(in_dir("prog/env"));
	ok(got && has_line(got, "SENDER=al ice_@example.org"), "SENDER set, 8-bit byte made '_'");
	ok(got && has_line(got, "RECIPIENT=list_@example.com"), "RECIPIENT set");
	ok(got && has_line(got, "ORIGINAL_RECIPIENT=List@Example.COM"), "ORIGINAL_RECIPIENT set");
	ok(got && has_line(got, "USER=kim") && has_line(got, "LOGNAME=kim"),
	   "USER and LOGNAME: the controlling user");
	want = expand("HOME=" T "/home/kim");
	ok(got && has_line(got, want), "HOME: the controlling user's home");
	free(want);
	ok(got && has_line(got, "PATH=/bin:/usr/bin"), "PATH from smrsh");
	free(got);

	/* who it runs as, and where */
	cmd = expand("ident " T "/prog/ident");
	unlink(in_dir("prog/ident"));
	t.user = cmd;
	t.rcpt = "list@example.com";
	t.sender = "alice@example.org";
	sm_deliver_local(configs[CF_MBOX], &t, MSG, strlen(MSG), WHEN, &res);
	ok(res.state == SM_RCPT_DELIVERED, "ident program delivered: %s", res.reply);
	sm_dresult_free(&res);
	free(cmd);
	got = slurp(in_dir("prog/ident"));
	if (priv)
		sm_buf_printf(&w, "%lu\n%lu\n%lu\n%s/home/kim\n", (unsigned long)fuser_uid("kim"),
		              (unsigned long)fuser_uid("kim"), (unsigned long)fuser_uid("kim"), test_dir);
	else
		sm_buf_printf(&w, "%lu\n%lu\n", (unsigned long)geteuid(), (unsigned long)getegid());
	if (priv)
		is_str(got, sm_buf_str(&w),
		       "program runs as the controlling user, its one group, in its home");
	else
		ok(got && strncmp(got, sm_buf_str(&w), w.len) == 0, "program runs as the caller (uid %lu)",
		   (unsigned long)geteuid());
	free(got);
	sm_buf_free(&w);
}

/* one report frame */
struct pcase {
	const char *frame;
	size_t len; /* 0: strlen(frame) */
	int rc;
	enum sm_rstate state;
	const char *reply;
};

static const struct pcase pcases[] = {
	{ "SMDR1 ok 2.0.0 12\ndelivered to", 0, 0, SM_RCPT_DELIVERED, "250 2.0.0 delivered to" },
	{ "SMDR1 tempfail 4.2.0 4\nbusy", 0, 0, SM_RCPT_DEFERRED, "451 4.2.0 busy" },
	{ "SMDR1 tempfail 4.123.456 1\nx", 0, 0, SM_RCPT_DEFERRED, "451 4.123.456 x" },
	{ "SMDR1 permfail 5.4.6 4\nloop", 0, 0, SM_RCPT_FAILED, "554 5.4.6 loop" },
	{ "SMDR1 permfail 5.3.0 4\nexit", 0, 0, SM_RCPT_FAILED, "554 5.3.0 exit" },
	{ "SMDR1 permfail 5.7.1 6\nunsafe", 0, 0, SM_RCPT_FAILED, "550 5.7.1 unsafe" },
	{ "SMDR1 permfail 5.4.60 1\nx", 0, 0, SM_RCPT_FAILED, "550 5.4.60 x" },
	{ "SMDR1 permfail 5.2.0 0\n", 0, 0, SM_RCPT_FAILED, "550 5.2.0" },
	{ "", 0, -1, SM_RCPT_PENDING, NULL },
	{ "SMDR1", 0, -1, SM_RCPT_PENDING, NULL },
	{ "SMDR2 ok 2.0.0 0\n", 0, -1, SM_RCPT_PENDING, NULL },
	{ "smdr1 ok 2.0.0 0\n", 0, -1, SM_RCPT_PENDING, NULL },
	{ "SMDR1 OK 2.0.0 0\n", 0, -1, SM_RCPT_PENDING, NULL },
	{ "SMDR1 pending 4.0.0 0\n", 0, -1, SM_RCPT_PENDING, NULL },
	{ "SMDR1 ok 4.0.0 0\n", 0, -1, SM_RCPT_PENDING, NULL },
	{ "SMDR1 tempfail 5.0.0 0\n", 0, -1, SM_RCPT_PENDING, NULL },
	{ "SMDR1 permfail 2.0.0 0\n", 0, -1, SM_RCPT_PENDING, NULL },
	{ "SMDR1 permfail 5.0 0\n", 0, -1, SM_RCPT_PENDING, NULL },
	{ "SMDR1 permfail 5..0 0\n", 0, -1, SM_RCPT_PENDING, NULL },
	{ "SMDR1 permfail 5.1234.0 0\n", 0, -1, SM_RCPT_PENDING, NULL },
	{ "SMDR1 permfail 5.1.0x 0\n", 0, -1, SM_RCPT_PENDING, NULL },
	{ "SMDR1 ok  2.0.0 0\n", 0, -1, SM_RCPT_PENDING, NULL },
	{ "SMDR1 ok 2.0.0\n", 0, -1, SM_RCPT_PENDING, NULL },
	{ "SMDR1 ok 2.0.0 0", 0, -1, SM_RCPT_PENDING, NULL },
	{ "SMDR1 ok 2.0.0 5\nabc", 0, -1, SM_RCPT_PENDING, NULL },
	{ "SMDR1 ok 2.0.0 2\nabc", 0, -1, SM_RCPT_PENDING, NULL },
	{ "SMDR1 ok 2.0.0 03\nabc", 0, -1, SM_RCPT_PENDING, NULL },
	{ "SMDR1 ok 2.0.0 -1\n", 0, -1, SM_RCPT_PENDING, NULL },
	{ "SMDR1 ok 2.0.0 99999\n", 0, -1, SM_RCPT_PENDING, NULL },
	{ "SMDR1 ok 2.0.0 3\na\nb", 0, -1, SM_RCPT_PENDING, NULL },
	{ "SMDR1 ok 2.0.0 3\na\rb", 0, -1, SM_RCPT_PENDING, NULL },
	{ "SMDR1 ok 2.0.0 3\na\0b", 20, -1, SM_RCPT_PENDING, NULL },
	{ "SMDR1 ok 2.0.0 3\na\x80z", 0, -1, SM_RCPT_PENDING, NULL },
	{ "SMDR1 ok 2.0.0 3\nabc\n", 0, -1, SM_RCPT_PENDING, NULL },
};

/* test_report_parse - good and bad frames; a bad one leaves res alone */
static void test_report_parse(void)
{
	char sentinel[] = "untouched";
	struct sm_dresult res;
	struct sm_buf big = SM_BUF_INIT;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(pcases) / sizeof(pcases[0]); i++) {
		const struct pcase *c = &pcases[i];
		char *shown = sm_printable(c->frame, c->len ? c->len : strlen(c->frame), 60);

		res.state = SM_RCPT_PENDING;
		res.reply = sentinel;
		rc = sm_deliver_report_parse(c->frame, c->len ? c->len : strlen(c->frame), &res);
		if (c->rc == 0) {
			ok(rc == 0 && res.state == c->state && res.reply != sentinel &&
			       str_same(res.reply, c->reply),
			   "frame \"%s\": %s", shown, rc == 0 ? res.reply : "refused");
			if (res.reply != sentinel)
				sm_dresult_free(&res);
		} else {
			ok(rc == -1 && res.reply == sentinel && res.state == SM_RCPT_PENDING,
			   "frame \"%s\" refused, result untouched", shown);
		}
		free(shown);
	}
	/* the longest text, and one byte more */
	sm_buf_printf(&big, "SMDR1 tempfail 4.3.0 %d\n", SM_DELIVER_TEXTMAX);
	for (i = 0; i < SM_DELIVER_TEXTMAX; i++)
		sm_buf_addc(&big, 'x');
	res.reply = sentinel;
	rc = sm_deliver_report_parse(big.data, big.len, &res);
	ok(rc == 0 && res.reply != sentinel && strlen(res.reply) == 10 + SM_DELIVER_TEXTMAX,
	   "a text of %d bytes is taken", SM_DELIVER_TEXTMAX);
	if (rc == 0)
		sm_dresult_free(&res);
	sm_buf_reset(&big);
	sm_buf_printf(&big, "SMDR1 tempfail 4.3.0 %d\n", SM_DELIVER_TEXTMAX + 1);
	for (i = 0; i < SM_DELIVER_TEXTMAX + 1; i++)
		sm_buf_addc(&big, 'x');
	res.reply = sentinel;
	rc = sm_deliver_report_parse(big.data, big.len, &res);
	ok(rc == -1 && res.reply == sentinel, "a text of %d bytes is refused", SM_DELIVER_TEXTMAX + 1);
	rc = sm_deliver_report_parse(NULL, 0, &res);
	ok(rc == -1 && res.reply == sentinel, "no frame refused");
	sm_buf_free(&big);
}

/* run_pass - one pass of the delivery tests in a fresh fixture */
static void run_pass(int priv)
{
	diag("%s pass: uid %lu", priv ? "privileged" : "unprivileged", (unsigned long)geteuid());
	if (test_dir_make("/tmp/t_deliver.XXXXXX") < 0 || make_fixture(priv) < 0 || make_configs() < 0) {
		ok(0, "set up the %s fixture: %s", priv ? "privileged" : "unprivileged", strerror(errno));
		if (test_dir)
			test_dir_remove();
		free_configs();
		return;
	}
	test_table(priv);
	test_prog_env(priv);
	free_configs();
	test_dir_remove();
}

/* unprivileged_child - run the unprivileged pass in a child as UNPRIV_UID; carry its TAP counts over */
static void unprivileged_child(void)
{
	gid_t g = UNPRIV_UID;
	int fds[2], counts[2] = { 0, 0 }, ws;
	pid_t pid;

	if (pipe(fds) < 0) {
		ok(0, "pipe for the unprivileged pass: %s", strerror(errno));
		return;
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		ok(0, "fork for the unprivileged pass: %s", strerror(errno));
		return;
	}
	if (pid == 0) {
		close(fds[0]);
		if (setgroups(1, &g) < 0 || setgid(g) < 0 || setuid(UNPRIV_UID) < 0)
			ok(0, "become uid %d: %s", UNPRIV_UID, strerror(errno));
		else
			run_pass(0);
		counts[0] = tap_n;
		counts[1] = tap_failed;
		fflush(stdout);
		_exit(write(fds[1], counts, sizeof(counts)) == (ssize_t)sizeof(counts) ? 0 : 1);
	}
	close(fds[1]);
	if (read(fds[0], counts, sizeof(counts)) == (ssize_t)sizeof(counts)) {
		tap_n = counts[0];
		tap_failed = counts[1];
	}
	close(fds[0]);
	while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
		;
	ok(WIFEXITED(ws) && WEXITSTATUS(ws) == 0, "the unprivileged pass ran to its end");
}

int main(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	signal(SIGCHLD, SIG_DFL);
	sm_log_sink(log_capture, NULL);

	test_report_parse();
	if (geteuid() == 0) {
		run_pass(1);
		unprivileged_child();
	} else {
		ok(1, "# SKIP not root: the privileged pass (changes of user, file owners) needs root");
		run_pass(0);
	}

	sm_log_sink(NULL, NULL);
	log_reset();
	return done_testing();
}
