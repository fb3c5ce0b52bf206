/*
 * server/mbox.c - local delivery: append to an mbox file, write into a Maildir, deliver to a file target
 *
 * SYNOPSIS
 *	#include "server/mbox.h"
 *
 *	enum sm_mbox_status sm_mbox_deliver(const char *path, const struct sm_mbox_req *rq,
 *	                                    struct sm_mbox_result *res);
 *	enum sm_mbox_status sm_maildir_deliver(const char *dir, const struct sm_mbox_req *rq,
 *	                                       struct sm_mbox_result *res);
 *	enum sm_mbox_status sm_file_deliver(const char *path, const struct sm_mbox_req *rq,
 *	                                    struct sm_mbox_result *res);
 *	void sm_mbox_result_free(struct sm_mbox_result *res);
 *	const char *sm_mbox_status_name(enum sm_mbox_status st);
 *
 * DESCRIPTION
 *	See server/mbox.h for the format written, the safety checks, the
 *	locking and the durability rules. The text to append is built in
 *	memory first and written with one write loop, so that a failure
 *	anywhere can be undone by one ftruncate() to the size seen under
 *	the locks.
 *
 * CONFIGURATION
 *	None read here.
 *
 * DIAGNOSTICS
 *	As in server/mbox.h: OK, TEMPFAIL or PERMFAIL with a sysexits code,
 *	an enhanced status code and a reason; operating-system failures
 *	logged once at LOG_ERR, unsafe files at LOG_WARNING, stale dot-lock
 *	removal at LOG_NOTICE.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "server/mbox.h"

#define LOCK_POLL_MS 50 /* longest pause between two lock attempts (the first is 1 ms, then doubling) */

/* what kind of file an append goes to */
enum target {
	TARGET_MBOX, /* the recipient's mailbox: defer on anything unsafe */
	TARGET_FILE  /* a "/path" address: bounce on anything unsafe */
};

/* set_result - fill res (replacing an earlier reason); returns st */
static enum sm_mbox_status __attribute__((format(printf, 5, 6)))
set_result(struct sm_mbox_result *res, enum sm_mbox_status st, int exitcode, const char *dsn, const char *fmt,
           ...)
{
	struct sm_buf b = SM_BUF_INIT;
	va_list ap;
	char line[1024];

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	sm_buf_adds(&b, line);
	free(res->reason);
	res->status = st;
	res->exitcode = exitcode;
	res->dsn = dsn;
	res->reason = sm_buf_steal(&b);
	return st;
}

/* io_fail - an operating-system error: log it once, TEMPFAIL with a DSN chosen by errno */
static enum sm_mbox_status io_fail(struct sm_mbox_result *res, const char *what, const char *path, int err)
{
	const char *dsn = "4.3.0";

	if (err == ENOSPC)
		dsn = "4.3.1";
#ifdef EDQUOT
	else if (err == EDQUOT)
		dsn = "4.2.2";
#endif
	sm_log(LOG_ERR, "%s %s: %s", what, path, strerror(err));
	return set_result(res, SM_MBOX_TEMPFAIL, EX_TEMPFAIL, dsn, "%s %s: %s", what, path, strerror(err));
}

/* unsafe - an unsafe target: TEMPFAIL for a mailbox, PERMFAIL for a file target; logged */
static enum sm_mbox_status unsafe(struct sm_mbox_result *res, enum target t, const char *path,
                                  const char *why)
{
	sm_log(LOG_WARNING, "%s %s: %s", t == TARGET_MBOX ? "mailbox" : "file", path, why);
	if (t == TARGET_FILE)
		return set_result(res, SM_MBOX_PERMFAIL, EX_NOPERM, "5.7.1",
		                  "%s: %s: unsafe for mailing to files", path, why);
	return set_result(res, SM_MBOX_TEMPFAIL, EX_TEMPFAIL, "4.2.0", "mailbox %s: %s", path, why);
}

/* sm_mbox_addr_ok - 1 when s has no control character (it may then go into a header or a From_ line) */
int sm_mbox_addr_ok(const char *s)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

/* same_addr - 1 when the header value v (n bytes) names rcpt, blanks and <> ignored, any case */
static int same_addr(const char *v, size_t n, const char *rcpt)
{
	size_t rl = strlen(rcpt);

	while (n > 0 && (*v == ' ' || *v == '\t' || *v == '\r' || *v == '\n'))
		v++, n--;
	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t' || v[n - 1] == '\r' || v[n - 1] == '\n'))
		n--;
	if (n >= 2 && v[0] == '<' && v[n - 1] == '>')
		v++, n -= 2;
	return n == rl && strncasecmp(v, rcpt, n) == 0;
}

/* sm_mbox_has_loop - 1 when the header of msg has a Delivered-To: field equal to rcpt */
int sm_mbox_has_loop(const char *msg, size_t len, const char *rcpt)
{
	static const char name[] = "Delivered-To:";
	size_t nl = sizeof(name) - 1, pos = 0, end, vend;

	while (pos < len) {
		/* one field: its first line up to the next line that does not start with a blank */
		if (msg[pos] == '\n' || (msg[pos] == '\r' && pos + 1 < len && msg[pos + 1] == '\n'))
			return 0; /* the empty line: end of the header */
		end = pos;
		for (;;) {
			while (end < len && msg[end] != '\n')
				end++;
			if (end < len)
				end++;
			if (end >= len || (msg[end] != ' ' && msg[end] != '\t'))
				break;
		}
		vend = end;
		if (vend - pos >= nl && strncasecmp(msg + pos, name, nl) == 0 &&
		    same_addr(msg + pos + nl, vend - pos - nl, rcpt))
			return 1;
		pos = end;
	}
	return 0;
}

/* add_headers - Return-Path:, X-Original-To: and Delivered-To: */
static void add_headers(struct sm_buf *b, const struct sm_mbox_req *rq)
{
	sm_buf_printf(b, "Return-Path: <%s>\n", rq->sender);
	if (rq->orig_rcpt != NULL)
		sm_buf_printf(b, "X-Original-To: %s\n", rq->orig_rcpt);
	sm_buf_printf(b, "Delivered-To: %s\n", rq->recipient);
}

/* add_from_line - "From SENDER DATE\n", blanks in SENDER as '_' */
static void add_from_line(struct sm_buf *b, const struct sm_mbox_req *rq)
{
	const char *s = rq->sender[0] ? rq->sender : "MAILER-DAEMON";
	char date[64];
	struct tm tm;

	sm_buf_adds(b, "From ");
	for (; *s; s++)
		sm_buf_addc(b, *s == ' ' || *s == '\t' ? '_' : *s);
	if (localtime_r(&rq->when, &tm) == NULL ||
	    strftime(date, sizeof(date), "%a %b %e %H:%M:%S %Y", &tm) == 0)
		snprintf(date, sizeof(date), "Thu Jan  1 00:00:00 1970");
	sm_buf_printf(b, " %s\n", date);
}

/* add_message - the message with LF line ends, a final LF; mboxrd-quoted when quote */
static void add_message(struct sm_buf *b, const char *msg, size_t len, int quote)
{
	size_t pos = 0, end, q;

	while (pos < len) {
		end = pos;
		while (end < len && msg[end] != '\n')
			end++;
		/* the line is msg[pos..end), without its LF */
		if (quote) {
			for (q = pos; q < end && msg[q] == '>'; q++)
				;
			if (end - q >= 5 && memcmp(msg + q, "From ", 5) == 0)
				sm_buf_addc(b, '>');
		}
		q = end;
		if (end < len && q > pos && msg[q - 1] == '\r')
			q--; /* CRLF: drop the CR */
		sm_buf_add(b, msg + pos, q - pos);
		sm_buf_addc(b, '\n');
		pos = end < len ? end + 1 : end;
	}
}

/* sm_mbox_render - From_ line, Return-Path:, X-Original-To:, Delivered-To: and the message (LF) */
void sm_mbox_render(struct sm_buf *b, const struct sm_mbox_req *rq, int quote)
{
	add_from_line(b, rq);
	add_headers(b, rq);
	add_message(b, rq->msg, rq->len, quote);
}

/* pause_until - sleep *pause ms (then double it, up to LOCK_POLL_MS) or until deadline; 0 when past it */
static int pause_until(long long deadline, long long *pause)
{
	long long left = deadline - sm_clock_ms();
	struct timespec ts;

	if (left <= 0)
		return 0;
	if (left > *pause)
		left = *pause;
	if (*pause < LOCK_POLL_MS)
		*pause = *pause * 2 > LOCK_POLL_MS ? LOCK_POLL_MS : *pause * 2;
	ts.tv_sec = 0;
	ts.tv_nsec = (long)left * 1000000L;
	nanosleep(&ts, NULL);
	return 1;
}

/* dotlock_take - create lockpath, removing a stale one, until deadline */
static enum sm_mbox_status dotlock_take(const char *lockpath, const struct sm_mbox_req *rq,
                                        long long deadline, struct sm_mbox_result *res)
{
	unsigned stale = rq->stale_lock_s ? rq->stale_lock_s : SM_MBOX_STALE_LOCK_S;
	long long pause = 1;
	struct stat st;
	int fd;

	for (;;) {
		fd = open(lockpath, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0) {
			close(fd);
			return SM_MBOX_OK;
		}
		if (errno != EEXIST)
			return io_fail(res, "cannot create lock file", lockpath, errno);
		if (lstat(lockpath, &st) == 0 && time(NULL) - st.st_mtime > (time_t)stale) {
			if (unlink(lockpath) == 0 || errno == ENOENT) {
				sm_log(LOG_NOTICE, "removed stale lock file %s", lockpath);
				continue;
			}
			return io_fail(res, "cannot remove stale lock file", lockpath, errno);
		}
		if (!pause_until(deadline, &pause))
			return set_result(res, SM_MBOX_TEMPFAIL, EX_TEMPFAIL, "4.2.0",
			                  "lock file %s is held by another process", lockpath);
	}
}

/* fcntl_take - an fcntl() write lock on the whole file, until deadline */
static enum sm_mbox_status fcntl_take(int fd, const char *path, long long deadline,
                                      struct sm_mbox_result *res)
{
	long long pause = 1;
	struct flock fl;

	for (;;) {
		memset(&fl, 0, sizeof(fl));
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;
		if (fcntl(fd, F_SETLK, &fl) == 0)
			return SM_MBOX_OK;
		if (errno != EAGAIN && errno != EACCES && errno != EINTR)
			return io_fail(res, "cannot lock", path, errno);
		if (!pause_until(deadline, &pause))
			return set_result(res, SM_MBOX_TEMPFAIL, EX_TEMPFAIL, "4.2.0",
			                  "mailbox %s is locked by another process", path);
	}
}

/* fcntl_release - drop the fcntl() lock */
static void fcntl_release(int fd)
{
	struct flock fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_UNLCK;
	fl.l_whence = SEEK_SET;
	(void)fcntl(fd, F_SETLK, &fl);
}

/* open_target - open or create path safely and check it; *fdp is then open (caller closes) */
static enum sm_mbox_status open_target(const char *path, enum target t, const struct sm_mbox_req *rq,
                                       int *fdp, struct sm_mbox_result *res)
{
	const int flags = O_WRONLY | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY;
	const char *why = NULL;
	struct stat st;
	int fd = -1, tries, fl;

	for (tries = 0; fd < 0 && tries < 3; tries++) {
		fd = open(path, flags);
		if (fd >= 0 || errno != ENOENT)
			break;
		fd = open(path, flags | O_CREAT | O_EXCL, 0600);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0) {
		if (errno == ELOOP)
			return unsafe(res, t, path, "is a symbolic link");
		if (errno == EISDIR || errno == ENXIO)
			return unsafe(res, t, path, "is not a regular file");
		if (t == TARGET_FILE && (errno == ENOENT || errno == ENOTDIR || errno == EACCES)) {
			sm_log(LOG_WARNING, "file %s: cannot create: %s", path, strerror(errno));
			return set_result(res, SM_MBOX_PERMFAIL, EX_CANTCREAT, "5.2.0",
			                  "cannot create %s: %s", path, strerror(errno));
		}
		return io_fail(res, "cannot open", path, errno);
	}
	if (fstat(fd, &st) != 0) {
		int err = errno;

		close(fd);
		return io_fail(res, "cannot fstat", path, err);
	}
	if (S_ISLNK(st.st_mode))
		why = "is a symbolic link";
	else if (!S_ISREG(st.st_mode))
		why = "is not a regular file";
	else if (st.st_nlink != 1)
		why = "has more than one hard link";
	else if (rq->owner != SM_MBOX_ANY_OWNER && st.st_uid != rq->owner)
		why = "is owned by another user";
	else if (t == TARGET_FILE && (st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)))
		why = "is executable";
	if (why != NULL) {
		close(fd);
		return unsafe(res, t, path, why);
	}
	if (t == TARGET_FILE && (st.st_mode & (S_ISUID | S_ISGID)) &&
	    fchmod(fd, st.st_mode & ~(mode_t)(S_ISUID | S_ISGID) & 07777) != 0) {
		int err = errno;

		close(fd);
		return io_fail(res, "cannot clear set-id bits of", path, err);
	}
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0) {
		int err = errno;

		close(fd);
		return io_fail(res, "cannot clear O_NONBLOCK on", path, err);
	}
	*fdp = fd;
	return SM_MBOX_OK;
}

/* append_all - write text at the end of fd and fsync; on failure truncate back to the size before */
static enum sm_mbox_status append_all(int fd, const char *path, const struct sm_buf *text,
                                      struct sm_mbox_result *res)
{
	struct stat st;
	size_t done = 0;
	ssize_t n;
	int err;

	if (fstat(fd, &st) != 0)
		return io_fail(res, "cannot fstat", path, errno);
	while (done < text->len) {
		n = write(fd, text->data + done, text->len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? errno : EIO;
			goto undo;
		}
		done += (size_t)n;
	}
	if (fsync(fd) != 0) {
		err = errno;
		goto undo;
	}
	return SM_MBOX_OK;
undo:
	if (ftruncate(fd, st.st_size) != 0 || fsync(fd) != 0)
		sm_log(LOG_CRIT, "cannot truncate %s back to %lld bytes: %s", path, (long long)st.st_size,
		       strerror(errno));
	return io_fail(res, "cannot write to", path, err);
}

/* precheck - addresses printable and no forwarding loop; SM_MBOX_OK to go on */
static enum sm_mbox_status precheck(const struct sm_mbox_req *rq, struct sm_mbox_result *res)
{
	res->status = SM_MBOX_OK;
	res->exitcode = EX_OK;
	res->dsn = "2.0.0";
	res->reason = NULL;
	if (!sm_mbox_addr_ok(rq->sender) || !sm_mbox_addr_ok(rq->recipient) ||
	    (rq->orig_rcpt && !sm_mbox_addr_ok(rq->orig_rcpt)))
		return set_result(res, SM_MBOX_PERMFAIL, EX_DATAERR, "5.1.3",
		                  "control character in the sender or recipient address");
	if (sm_mbox_has_loop(rq->msg, rq->len, rq->recipient))
		return set_result(res, SM_MBOX_PERMFAIL, EX_UNAVAILABLE, "5.4.6",
		                  "mail forwarding loop for %s", rq->recipient);
	return SM_MBOX_OK;
}

/* deliver_append - the mbox writer shared by mailboxes and file targets */
static enum sm_mbox_status deliver_append(const char *path, enum target t, const struct sm_mbox_req *rq,
                                          struct sm_mbox_result *res)
{
	unsigned wait = rq->lock_wait_ms ? rq->lock_wait_ms : SM_MBOX_LOCK_WAIT_MS;
	long long deadline = sm_clock_ms() + wait;
	struct sm_buf text = SM_BUF_INIT;
	char *lockpath = NULL;
	enum sm_mbox_status st;
	int fd = -1;

	if ((st = precheck(rq, res)) != SM_MBOX_OK)
		return st;
	if ((st = open_target(path, t, rq, &fd, res)) != SM_MBOX_OK)
		return st;
	if (t == TARGET_MBOX) {
		lockpath = sm_asprintf("%s.lock", path);
		if ((st = dotlock_take(lockpath, rq, deadline, res)) != SM_MBOX_OK) {
			free(lockpath);
			close(fd);
			return st;
		}
	}
	if ((st = fcntl_take(fd, path, deadline, res)) == SM_MBOX_OK) {
		sm_mbox_render(&text, rq, 1);
		sm_buf_addc(&text, '\n');
		st = append_all(fd, path, &text, res);
		fcntl_release(fd);
	}
	if (lockpath != NULL && unlink(lockpath) != 0)
		sm_log(LOG_ERR, "cannot remove lock file %s: %s", lockpath, strerror(errno));
	if (close(fd) != 0 && st == SM_MBOX_OK)
		st = io_fail(res, "cannot close", path, errno);
	if (st == SM_MBOX_OK)
		set_result(res, SM_MBOX_OK, EX_OK, "2.0.0", "delivered to %s", path);
	sm_buf_free(&text);
	free(lockpath);
	return st;
}

/* sm_mbox_deliver - append the message to the mbox file path */
enum sm_mbox_status sm_mbox_deliver(const char *path, const struct sm_mbox_req *rq,
                                    struct sm_mbox_result *res)
{
	return deliver_append(path, TARGET_MBOX, rq, res);
}

/* sm_file_deliver - append the message to a "/path" file target */
enum sm_mbox_status sm_file_deliver(const char *path, const struct sm_mbox_req *rq,
                                    struct sm_mbox_result *res)
{
	enum sm_mbox_status st;

	if ((st = precheck(rq, res)) != SM_MBOX_OK)
		return st;
	if (path[0] != '/')
		return set_result(res, SM_MBOX_PERMFAIL, EX_USAGE, "5.3.5",
		                  "file target %s is not an absolute path", path);
	return deliver_append(path, TARGET_FILE, rq, res);
}

/* maildir_subdir - make dir/sub (mode 0700) if missing; check it is a real directory */
static enum sm_mbox_status maildir_subdir(const char *d, const struct sm_mbox_req *rq, int top,
                                          struct sm_mbox_result *res)
{
	struct stat st;

	if (mkdir(d, 0700) != 0 && errno != EEXIST)
		return io_fail(res, "cannot create Maildir directory", d, errno);
	if (lstat(d, &st) != 0)
		return io_fail(res, "cannot stat", d, errno);
	if (!S_ISDIR(st.st_mode))
		return unsafe(res, TARGET_MBOX, d,
		              S_ISLNK(st.st_mode) ? "is a symbolic link" : "is not a directory");
	if (top && rq->owner != SM_MBOX_ANY_OWNER && st.st_uid != rq->owner)
		return unsafe(res, TARGET_MBOX, d, "is owned by another user");
	return SM_MBOX_OK;
}

/* unique_name - SECONDS.PID_COUNTER.HOST, '/' and ':' in HOST escaped; caller frees */
static char *unique_name(void)
{
	static unsigned counter;
	struct sm_buf b = SM_BUF_INIT;
	char host[256];
	const char *h;

	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	sm_buf_printf(&b, "%lld.%ld_%u.", (long long)time(NULL), (long)getpid(), ++counter);
	for (h = host; *h; h++) {
		if (*h == '/')
			sm_buf_adds(&b, "\\057");
		else if (*h == ':')
			sm_buf_adds(&b, "\\072");
		else
			sm_buf_addc(&b, *h);
	}
	return sm_buf_steal(&b);
}

/* fsync_dir - fsync a directory; 0 or -1 with errno */
static int fsync_dir(const char *d)
{
	int fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc, err;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	err = errno;
	close(fd);
	errno = err;
	return rc;
}

/* sm_maildir_deliver - write the message into the Maildir dir: tmp/, fsync, link into new/ */
enum sm_mbox_status sm_maildir_deliver(const char *dir, const struct sm_mbox_req *rq,
                                       struct sm_mbox_result *res)
{
	static const char *const subs[] = { "tmp", "new", "cur" };
	struct sm_buf text = SM_BUF_INIT;
	char *sub[3] = { NULL, NULL, NULL }, *name = NULL, *tmp = NULL, *fin = NULL;
	enum sm_mbox_status st;
	int fd = -1, tries, i;

	if ((st = precheck(rq, res)) != SM_MBOX_OK)
		return st;
	if ((st = maildir_subdir(dir, rq, 1, res)) != SM_MBOX_OK)
		return st;
	for (i = 0; i < 3; i++) {
		sub[i] = sm_asprintf("%s/%s", dir, subs[i]);
		if ((st = maildir_subdir(sub[i], rq, 0, res)) != SM_MBOX_OK)
			goto out;
	}
	for (tries = 0; fd < 0 && tries < 5; tries++) {
		free(name);
		free(tmp);
		name = unique_name();
		tmp = sm_asprintf("%s/%s", sub[0], name);
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0) {
		st = io_fail(res, "cannot create", tmp, errno);
		goto out;
	}
	add_headers(&text, rq);
	add_message(&text, rq->msg, rq->len, 0);
	st = append_all(fd, tmp, &text, res);
	if (close(fd) != 0 && st == SM_MBOX_OK)
		st = io_fail(res, "cannot close", tmp, errno);
	if (st != SM_MBOX_OK) {
		unlink(tmp);
		goto out;
	}
	fin = sm_asprintf("%s/%s", sub[1], name);
	if (link(tmp, fin) == 0) {
		unlink(tmp);
	} else if ((errno == EPERM || errno == ENOTSUP || errno == EXDEV) && rename(tmp, fin) == 0) {
		/* no hard links here: the rename is the delivery */
	} else {
		st = io_fail(res, "cannot link into", fin, errno);
		unlink(tmp);
		goto out;
	}
	if (fsync_dir(sub[1]) != 0) {
		st = io_fail(res, "cannot fsync", sub[1], errno);
		unlink(fin);
		goto out;
	}
	set_result(res, SM_MBOX_OK, EX_OK, "2.0.0", "delivered to %s", fin);
out:
	for (i = 0; i < 3; i++)
		free(sub[i]);
	free(name);
	free(tmp);
	free(fin);
	sm_buf_free(&text);
	return st;
}

/* sm_mbox_result_free - release res->reason */
void sm_mbox_result_free(struct sm_mbox_result *res)
{
	free(res->reason);
	res->reason = NULL;
}

/* sm_mbox_status_name - "OK", "TEMPFAIL" or "PERMFAIL" */
const char *sm_mbox_status_name(enum sm_mbox_status st)
{
	switch (st) {
	case SM_MBOX_OK:
		return "OK";
	case SM_MBOX_TEMPFAIL:
		return "TEMPFAIL";
	case SM_MBOX_PERMFAIL:
		return "PERMFAIL";
	}
	return "?";
}
