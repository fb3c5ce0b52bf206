/*
 * tests/t_mbox.c - unit tests for server/mbox.c: mbox, Maildir and file-target delivery
 *
 * SYNOPSIS
 *	tests/t_mbox
 *
 * DESCRIPTION
 *	Delivers into a temporary directory and checks the bytes written: the
 *	From_ line, Return-Path:/X-Original-To:/Delivered-To:, CRLF to LF,
 *	mboxrd quoting, the null sender, two messages appended cleanly; the
 *	loop check; refusal of symbolic links, hard links, other owners and
 *	non-regular files; a fresh dot-lock and an fcntl() lock held by
 *	another process (TEMPFAIL after a short wait), a stale dot-lock
 *	removed; a write failing half-way (RLIMIT_FSIZE with SIGXFSZ ignored)
 *	truncated back; Maildir delivery; file targets. Runs with TZ=UTC.
 *	The owner test needs root; otherwise its points are TAP skips, so the
 *	count does not change.
 *
 * CONFIGURATION
 *	None.
 *
 * DIAGNOSTICS
 *	TAP on stdout; exit status non-zero when a test failed.
 */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "server/mbox.h"
#include "tests/testutil.h"

#define WHEN 1700000000 /* Tue Nov 14 22:13:20 2023 UTC */
#define FROM_LINE "From alice@example.org Tue Nov 14 22:13:20 2023\n"
#define HDRS "Return-Path: <alice@example.org>\nDelivered-To: bob@example.org\n"

/* slurp - the contents of path (caller frees), or NULL */
static char *slurp(const char *path)
{
	struct sm_buf b = SM_BUF_INIT;

	if (read_file(path, &b) < 0)
		return NULL;
	sm_buf_addc(&b, '\0');
	return sm_buf_steal(&b);
}

/* file_is - the file holds exactly want */
static void file_is(const char *path, const char *want, const char *name)
{
	char *got = slurp(path);

	is_str(got, want, name);
	free(got);
}

/* size_of - st_size of path, or -1 */
static long long size_of(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 ? (long long)st.st_size : -1;
}

/* req - a request from alice to bob with msg, owner the current uid, short lock waits */
static struct sm_mbox_req req(const char *msg)
{
	struct sm_mbox_req rq = {
		.sender = "alice@example.org",
		.recipient = "bob@example.org",
		.orig_rcpt = NULL,
		.msg = msg,
		.len = strlen(msg),
		.when = WHEN,
		.owner = getuid(),
		.lock_wait_ms = 300,
		.stale_lock_s = 0,
	};
	return rq;
}

/* deliver - sm_mbox_deliver to in_dir(name); the status; dsn/exitcode copied out */
static enum sm_mbox_status deliver(const char *name, const struct sm_mbox_req *rq, const char **dsn, int *ex)
{
	struct sm_mbox_result res;
	enum sm_mbox_status st = sm_mbox_deliver(in_dir(name), rq, &res);

	if (dsn)
		*dsn = res.dsn;
	if (ex)
		*ex = res.exitcode;
	if (st != SM_MBOX_OK)
		diag("%s: %s %s %s", name, sm_mbox_status_name(st), res.dsn, res.reason);
	is_int(res.status, st, "res.status matches the return value");
	sm_mbox_result_free(&res);
	return st;
}

/* count_dir - entries other than . and .. in path, first one's name into first (may be NULL) */
static int count_dir(const char *path, char *first, size_t size)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (n++ == 0 && first)
			snprintf(first, size, "%s", e->d_name);
	}
	closedir(d);
	return n;
}

/* test_format - the text written for one message */
static void test_format(void)
{
	struct sm_mbox_req rq = req("Subject: hi\n\nhello\n");
	const char *dsn = NULL;
	int ex = -1;
	struct stat st;

	is_int(deliver("m1", &rq, &dsn, &ex), SM_MBOX_OK, "plain message delivered");
	is_str(dsn, "2.0.0", "OK has DSN 2.0.0");
	is_int(ex, EX_OK, "OK has EX_OK");
	file_is(in_dir("m1"), FROM_LINE HDRS "Subject: hi\n\nhello\n\n",
	        "From_ line, headers, message, empty line");
	ok(stat(in_dir("m1"), &st) == 0 && (st.st_mode & 07777) == 0600, "new mailbox has mode 0600");
	ok(access(in_dir("m1.lock"), F_OK) != 0, "dot-lock removed afterwards");

	rq = req("Subject: crlf\r\n\r\nline1\r\nlone\rcr\r\nlast");
	is_int(deliver("m2", &rq, NULL, NULL), SM_MBOX_OK, "CRLF message delivered");
	file_is(in_dir("m2"), FROM_LINE HDRS "Subject: crlf\n\nline1\nlone\rcr\nlast\n\n",
	        "CRLF to LF, lone CR kept, final LF added");

	rq = req("Subject: q\n\nFrom here\n>From there\n>>From afar\nFromage\n From x\nFrom\n>From\n");
	is_int(deliver("m3", &rq, NULL, NULL), SM_MBOX_OK, "quoting message delivered");
	file_is(in_dir("m3"),
	        FROM_LINE HDRS
	        "Subject: q\n\n>From here\n>>From there\n>>>From afar\nFromage\n From x\nFrom\n>From\n\n",
	        "mboxrd quoting of ^>*From_ lines only");

	rq = req("Subject: null\n\nbounce\n");
	rq.sender = "";
	is_int(deliver("m4", &rq, NULL, NULL), SM_MBOX_OK, "null sender delivered");
	file_is(in_dir("m4"),
	        "From MAILER-DAEMON Tue Nov 14 22:13:20 2023\nReturn-Path: <>\n"
	        "Delivered-To: bob@example.org\nSubject: null\n\nbounce\n\n",
	        "null sender: MAILER-DAEMON and Return-Path: <>");

	rq = req("Subject: o\n\nx\n");
	rq.orig_rcpt = "Bob@Example.ORG";
	rq.sender = "odd sender@example.org";
	is_int(deliver("m5", &rq, NULL, NULL), SM_MBOX_OK, "X-Original-To message delivered");
	file_is(
	    in_dir("m5"),
	    "From odd_sender@example.org Tue Nov 14 22:13:20 2023\nReturn-Path: <odd sender@example.org>\n"
	    "X-Original-To: Bob@Example.ORG\nDelivered-To: bob@example.org\nSubject: o\n\nx\n\n",
	    "X-Original-To: written; blank in the From_ line sender as _");
}

/* test_append - two deliveries follow each other cleanly */
static void test_append(void)
{
	struct sm_mbox_req rq = req("Subject: one\n\nfirst");

	is_int(deliver("two", &rq, NULL, NULL), SM_MBOX_OK, "first of two delivered");
	rq = req("Subject: two\r\n\r\nsecond\r\n");
	is_int(deliver("two", &rq, NULL, NULL), SM_MBOX_OK, "second of two delivered");
	file_is(in_dir("two"),
	        FROM_LINE HDRS "Subject: one\n\nfirst\n\n" FROM_LINE HDRS "Subject: two\n\nsecond\n\n",
	        "second message appended after an empty line");
}

/* test_loop - Delivered-To: loops and bad addresses */
static void test_loop(void)
{
	struct sm_mbox_result res;
	struct sm_mbox_req rq = req("Received: x\nDelivered-To: BOB@example.ORG\nSubject: l\n\nbody\n");
	const char *dsn = NULL;
	int ex = -1;

	is_int(deliver("loop", &rq, &dsn, &ex), SM_MBOX_PERMFAIL, "Delivered-To: same recipient: PERMFAIL");
	is_str(dsn, "5.4.6", "loop DSN 5.4.6");
	is_int(ex, EX_UNAVAILABLE, "loop EX_UNAVAILABLE");
	ok(access(in_dir("loop"), F_OK) != 0, "loop: mailbox not even created");
	sm_mbox_deliver(in_dir("loop"), &rq, &res);
	is_str(res.reason, "mail forwarding loop for bob@example.org", "loop reason");
	sm_mbox_result_free(&res);

	rq = req("Subject: l\r\nDelivered-To:\r\n  <bob@example.org> \r\n\r\nbody\r\n");
	is_int(deliver("loop", &rq, NULL, NULL), SM_MBOX_PERMFAIL, "folded Delivered-To: <addr> is a loop");
	rq = req("Delivered-To: carol@example.org\nDelivered-To: bob@example.org.evil\n\nbody\n");
	is_int(deliver("loop", &rq, NULL, NULL), SM_MBOX_OK, "other Delivered-To: values are no loop");
	rq = req("Subject: s\n\nDelivered-To: bob@example.org\n");
	is_int(deliver("loop2", &rq, NULL, NULL), SM_MBOX_OK, "Delivered-To: in the body is no loop");

	rq = req("Subject: s\n\nx\n");
	rq.recipient = "bob@example.org\nX-Evil: 1";
	is_int(deliver("loop3", &rq, &dsn, &ex), SM_MBOX_PERMFAIL, "LF in recipient: PERMFAIL");
	is_str(dsn, "5.1.3", "bad address DSN 5.1.3");
	rq = req("Subject: s\n\nx\n");
	rq.sender = "a\r@b";
	is_int(deliver("loop3", &rq, NULL, NULL), SM_MBOX_PERMFAIL, "CR in sender: PERMFAIL");
	ok(access(in_dir("loop3"), F_OK) != 0, "bad address: nothing written");
}

/* test_unsafe - symbolic links, hard links, other owners, non-regular files */
static void test_unsafe(void)
{
	struct sm_mbox_req rq = req("Subject: s\n\nx\n");
	const char *dsn = NULL;
	int ex = -1;

	write_file(in_dir("victim"), "precious\n", 0600);
	ok(symlink(in_dir("victim"), in_dir("sym")) == 0, "made a symlink mailbox");
	is_int(deliver("sym", &rq, &dsn, &ex), SM_MBOX_TEMPFAIL, "symlink mailbox: TEMPFAIL");
	is_int(ex, EX_TEMPFAIL, "symlink: EX_TEMPFAIL");
	is_str(dsn, "4.2.0", "symlink: 4.2.0");
	file_is(in_dir("victim"), "precious\n", "symlink target untouched");
	ok(log_has("symbolic link") >= 0, "symlink logged");

	ok(symlink(in_dir("nowhere"), in_dir("dangling")) == 0, "made a dangling symlink");
	is_int(deliver("dangling", &rq, NULL, NULL), SM_MBOX_TEMPFAIL, "dangling symlink: TEMPFAIL");
	ok(access(in_dir("nowhere"), F_OK) != 0, "dangling symlink target not created");

	ok(link(in_dir("victim"), in_dir("hard")) == 0, "made a hard-linked mailbox");
	is_int(deliver("hard", &rq, NULL, NULL), SM_MBOX_TEMPFAIL, "hard-linked mailbox: TEMPFAIL");
	file_is(in_dir("victim"), "precious\n", "hard link target untouched");

	mkdir(in_dir("adir"), 0700);
	is_int(deliver("adir", &rq, NULL, NULL), SM_MBOX_TEMPFAIL, "directory as mailbox: TEMPFAIL");
	ok(mkfifo(in_dir("fifo"), 0600) == 0, "made a FIFO");
	is_int(deliver("fifo", &rq, NULL, NULL), SM_MBOX_TEMPFAIL, "FIFO as mailbox: TEMPFAIL, no hang");

	if (geteuid() == 0) {
		write_file(in_dir("theirs"), "", 0600);
		ok(chown(in_dir("theirs"), 54321, 54321) == 0, "chowned mailbox to uid 54321");
		is_int(deliver("theirs", &rq, NULL, NULL), SM_MBOX_TEMPFAIL,
		       "mailbox of another user: TEMPFAIL");
		is_int(size_of(in_dir("theirs")), 0, "other user's mailbox untouched");
		rq.owner = 54321;
		is_int(deliver("theirs", &rq, NULL, NULL), SM_MBOX_OK, "same mailbox with owner 54321: OK");
		rq.owner = SM_MBOX_ANY_OWNER;
		is_int(deliver("theirs", &rq, NULL, NULL), SM_MBOX_OK, "SM_MBOX_ANY_OWNER skips the check");
	} else {
		int i;

		for (i = 0; i < 8; i++)
			ok(1, "# SKIP owner tests need root");
	}
}

/* test_locks - a held dot-lock and fcntl() lock time out; a stale dot-lock is removed */
static void test_locks(void)
{
	struct sm_mbox_req rq = req("Subject: s\n\nx\n");
	struct timeval old[2] = { { .tv_sec = time(NULL) - 600, .tv_usec = 0 },
		                  { .tv_sec = time(NULL) - 600, .tv_usec = 0 } };
	int to_child[2], from_child[2], fd;
	long long t0, t1;
	const char *dsn = NULL;
	char c;
	pid_t pid;

	write_file(in_dir("locked"), "old\n", 0600);
	write_file(in_dir("locked.lock"), "12345\n", 0600);
	t0 = (long long)time(NULL);
	is_int(deliver("locked", &rq, &dsn, NULL), SM_MBOX_TEMPFAIL, "fresh dot-lock held: TEMPFAIL");
	t1 = (long long)time(NULL);
	ok(t1 - t0 <= 2, "gave up after the short wait");
	is_str(dsn, "4.2.0", "lock timeout 4.2.0");
	file_is(in_dir("locked"), "old\n", "locked mailbox untouched");
	ok(access(in_dir("locked.lock"), F_OK) == 0, "someone else's fresh lock left in place");

	utimes(in_dir("locked.lock"), old);
	log_reset();
	is_int(deliver("locked", &rq, NULL, NULL), SM_MBOX_OK, "stale dot-lock: delivered");
	ok(log_has("stale lock") >= 0, "stale lock removal logged");
	ok(access(in_dir("locked.lock"), F_OK) != 0, "stale lock gone afterwards");

	/* an fcntl() lock held by a child process */
	if (pipe(to_child) != 0 || pipe(from_child) != 0) {
		ok(0, "pipe: %s", strerror(errno));
		return;
	}
	pid = fork();
	if (pid == 0) {
		struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };

		close(to_child[1]);
		close(from_child[0]);
		fd = open(in_dir("locked"), O_WRONLY);
		if (fd < 0 || fcntl(fd, F_SETLKW, &fl) != 0)
			_exit(1);
		(void)write(from_child[1], "L", 1);
		(void)read(to_child[0], &c, 1);
		_exit(0);
	}
	close(to_child[0]);
	close(from_child[1]);
	ok(read(from_child[0], &c, 1) == 1, "child holds an fcntl() lock");
	t0 = size_of(in_dir("locked"));
	is_int(deliver("locked", &rq, NULL, NULL), SM_MBOX_TEMPFAIL, "fcntl() lock held: TEMPFAIL");
	is_int(size_of(in_dir("locked")), t0, "fcntl-locked mailbox untouched");
	ok(access(in_dir("locked.lock"), F_OK) != 0, "our dot-lock released after the fcntl() timeout");
	close(to_child[1]);
	waitpid(pid, NULL, 0);
	close(from_child[0]);
	is_int(deliver("locked", &rq, NULL, NULL), SM_MBOX_OK, "delivered once the lock is released");
}

/* test_truncate - a write failing half-way leaves the mailbox as it was */
static void test_truncate(void)
{
	struct sm_buf big = SM_BUF_INIT;
	struct sm_mbox_req rq;
	struct rlimit saved, lim;
	long long before;
	char *was;
	int i;

	write_file(in_dir("full"), "From x Tue Nov 14 22:13:20 2023\nSubject: old\n\nold\n\n", 0600);
	before = size_of(in_dir("full"));
	was = slurp(in_dir("full"));
	sm_buf_adds(&big, "Subject: big\n\n");
	for (i = 0; i < 2000; i++)
		sm_buf_adds(&big, "0123456789 0123456789 0123456789 0123456789\n");
	rq = req(sm_buf_str(&big));

	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &saved);
	lim = saved;
	lim.rlim_cur = (rlim_t)before + 1000;
	ok(setrlimit(RLIMIT_FSIZE, &lim) == 0, "RLIMIT_FSIZE lowered");
	is_int(deliver("full", &rq, NULL, NULL), SM_MBOX_TEMPFAIL, "write fails half-way: TEMPFAIL");
	setrlimit(RLIMIT_FSIZE, &saved);
	is_int(size_of(in_dir("full")), before, "size back to what it was");
	file_is(in_dir("full"), was, "contents as they were");
	ok(log_has("cannot write to") >= 0, "write failure logged");
	is_int(deliver("full", &rq, NULL, NULL), SM_MBOX_OK, "same message delivered without the limit");
	ok(size_of(in_dir("full")) > before + 80000, "and appended in full");
	free(was);
	sm_buf_free(&big);
}

/* test_maildir - tmp/, new/, cur/, unique names, no From_ line */
static void test_maildir(void)
{
	struct sm_mbox_req rq = req("Subject: md\r\n\r\nFrom me\r\n");
	struct sm_mbox_result res;
	char first[256], path[PATH_MAX], pidpart[32];
	const char *md = in_dir("Maildir");

	is_int(sm_maildir_deliver(md, &rq, &res), SM_MBOX_OK, "Maildir delivery OK");
	is_str(res.dsn, "2.0.0", "Maildir DSN 2.0.0");
	sm_mbox_result_free(&res);
	md = in_dir("Maildir");
	is_int(count_dir(in_dir("Maildir/new"), first, sizeof(first)), 1, "one file in new/");
	is_int(count_dir(in_dir("Maildir/tmp"), NULL, 0), 0, "tmp/ left empty");
	is_int(count_dir(in_dir("Maildir/cur"), NULL, 0), 0, "cur/ created, empty");
	snprintf(pidpart, sizeof(pidpart), ".%ld_", (long)getpid());
	ok(strstr(first, pidpart) != NULL && strchr(first, '/') == NULL, "unique name has .PID_COUNTER: %s",
	   first);
	snprintf(path, sizeof(path), "%s/Maildir/new/%s", test_dir, first);
	file_is(path, HDRS "Subject: md\n\nFrom me\n", "Maildir file: headers, LF, no From_ line or quoting");

	md = in_dir("Maildir");
	is_int(sm_maildir_deliver(md, &rq, &res), SM_MBOX_OK, "second Maildir delivery OK");
	sm_mbox_result_free(&res);
	is_int(count_dir(in_dir("Maildir/new"), NULL, 0), 2, "two distinct files in new/");

	rq = req("Delivered-To: bob@example.org\n\nx\n");
	md = in_dir("Maildir");
	is_int(sm_maildir_deliver(md, &rq, &res), SM_MBOX_PERMFAIL, "Maildir loop: PERMFAIL");
	sm_mbox_result_free(&res);
	is_int(count_dir(in_dir("Maildir/new"), NULL, 0), 2, "nothing added by the loop");

	rq = req("Subject: s\n\nx\n");
	mkdir(in_dir("Md2"), 0700);
	mkdir(in_dir("elsewhere"), 0700);
	ok(symlink(in_dir("elsewhere"), in_dir("Md2/new")) == 0, "Maildir with new/ a symlink");
	md = in_dir("Md2");
	is_int(sm_maildir_deliver(md, &rq, &res), SM_MBOX_TEMPFAIL, "symlinked new/: TEMPFAIL");
	sm_mbox_result_free(&res);
	is_int(count_dir(in_dir("elsewhere"), NULL, 0), 0, "nothing written through the symlink");
}

/* file_deliver - sm_file_deliver to path; the status; dsn/exitcode copied out */
static enum sm_mbox_status file_deliver(const char *path, const struct sm_mbox_req *rq, const char **dsn,
                                        int *ex)
{
	struct sm_mbox_result res;
	enum sm_mbox_status st = sm_file_deliver(path, rq, &res);

	if (dsn)
		*dsn = res.dsn;
	if (ex)
		*ex = res.exitcode;
	if (st != SM_MBOX_OK)
		diag("%s: %s %s %s", path, sm_mbox_status_name(st), res.dsn, res.reason);
	sm_mbox_result_free(&res);
	return st;
}

/* test_file - "/path" targets */
static void test_file(void)
{
	struct sm_mbox_req rq = req("Subject: f\n\nx\n");
	const char *dsn = NULL;
	struct stat st;
	int ex = -1;

	rq.owner = SM_MBOX_ANY_OWNER;
	is_int(file_deliver("relative/log", &rq, NULL, &ex), SM_MBOX_PERMFAIL,
	       "relative file target: PERMFAIL");
	is_int(ex, EX_USAGE, "relative: EX_USAGE");
	is_int(file_deliver(in_dir("archive"), &rq, NULL, NULL), SM_MBOX_OK, "missing file target created");
	file_is(in_dir("archive"), FROM_LINE HDRS "Subject: f\n\nx\n\n", "file target in mbox format");
	is_int(file_deliver(in_dir("archive"), &rq, NULL, NULL), SM_MBOX_OK, "file target appended");
	is_int(file_deliver(in_dir("no/such/file"), &rq, &dsn, &ex), SM_MBOX_PERMFAIL,
	       "missing directory: PERMFAIL");
	is_int(ex, EX_CANTCREAT, "missing directory: EX_CANTCREAT");

	write_file(in_dir("prog"), "#!/bin/sh\n", 0755);
	is_int(file_deliver(in_dir("prog"), &rq, &dsn, &ex), SM_MBOX_PERMFAIL,
	       "executable file target: PERMFAIL");
	is_int(ex, EX_NOPERM, "executable: EX_NOPERM");
	is_str(dsn, "5.7.1", "executable: 5.7.1");
	file_is(in_dir("prog"), "#!/bin/sh\n", "executable untouched");
	write_file(in_dir("suid"), "", 06600);
	is_int(file_deliver(in_dir("suid"), &rq, NULL, NULL), SM_MBOX_OK, "set-id bits without x: delivered");
	ok(stat(in_dir("suid"), &st) == 0 && (st.st_mode & 07777) == 0600, "set-id bits cleared");
	ok(symlink(in_dir("archive"), in_dir("flink")) == 0, "made a symlink file target");
	is_int(file_deliver(in_dir("flink"), &rq, NULL, NULL), SM_MBOX_PERMFAIL,
	       "symlink file target: PERMFAIL");
	ok(link(in_dir("archive"), in_dir("fhard")) == 0, "made a hard-linked file target");
	is_int(file_deliver(in_dir("fhard"), &rq, NULL, NULL), SM_MBOX_PERMFAIL,
	       "hard-linked file target: PERMFAIL");
	is_int(file_deliver("/dev/null", &rq, NULL, NULL), SM_MBOX_PERMFAIL,
	       "/dev/null is not a regular file");
}

int main(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	if (test_dir_make("/tmp/t_mbox.XXXXXX") != 0) {
		ok(0, "mkdtemp: %s", strerror(errno));
		return done_testing();
	}
	sm_log_sink(log_capture, NULL);

	is_str(sm_mbox_status_name(SM_MBOX_OK), "OK", "status name OK");
	is_str(sm_mbox_status_name(SM_MBOX_TEMPFAIL), "TEMPFAIL", "status name TEMPFAIL");
	is_str(sm_mbox_status_name(SM_MBOX_PERMFAIL), "PERMFAIL", "status name PERMFAIL");
	test_format();
	test_append();
	test_loop();
	test_unsafe();
	test_locks();
	test_truncate();
	test_maildir();
	test_file();

	sm_log_sink(NULL, NULL);
	log_reset();
	test_dir_remove();
	return done_testing();
}
