/*
 * server/deliver.c - the local delivery agent: a mailbox, a file or a program, in a child process
 *
 * SYNOPSIS
 *	#include "server/deliver.h"
 *
 *	void sm_deliver_local(const struct sm_config *cf, const struct sm_dtarget *t, const char *msg,
 *	                      size_t len, time_t arrival, struct sm_dresult *res);
 *	void sm_dresult_free(struct sm_dresult *res);
 *	int sm_deliver_report_parse(const char *buf, size_t len, struct sm_dresult *res);
 *
 * DESCRIPTION
 *	See server/deliver.h for the mailers, the privilege rules and the
 *	report frame. The work is split in two:
 *
 *	The caller's process (the parent) checks the target, looks the
 *	recipient or the controlling user up in the passwd database, and
 *	decides in a struct job what is written where and as whom. Every
 *	outcome that needs no file (unknown user, bad name, configuration
 *	error, lookup error) is decided here, without a child.
 *
 *	The child first puts the parent's signal handlers back to their
 *	defaults, closes the syslog connection (reopened on demand) and
 *	every descriptor above 2 but its end of the report pipe, so that
 *	nothing of the queue manager's is reachable as the user. It then
 *	takes the job's user (when the parent is root), runs the mbox or
 *	Maildir writer, the file writer, or smrsh, and writes one report
 *	frame into the close-on-exec pipe. The parent reads it (at most
 *	REPORT_MAX bytes, waiting at most GUARD_S seconds plus
 *	ProgramTimeout before it kills the child), then reaps the child with
 *	waitpid(2) and turns the frame into the reply. A child killed that
 *	way while writing may leave part of a message behind (the writer's
 *	own undo needs it alive); the recipient is deferred, so the message
 *	may later arrive twice rather than never. A program started by the
 *	child runs in its own process group (smrsh) and is not killed with
 *	the child.
 *
 * WHO FREES WHAT
 *	The job owns its strings (job_free()); the frame buffer is the
 *	parent's. res->reply is the caller's, freed with sm_dresult_free().
 *
 * CONFIGURATION
 *	MailSpoolDirectory, MailboxFormat, SmrshDirectory, ProgramTimeout,
 *	DefaultUser; PasswdFile through sm_libc_create().
 *
 * DIAGNOSTICS
 *	As in server/deliver.h: one log line per call from the parent; the
 *	child logs only what it fails to do itself (privileges, the message
 *	file for a program), besides what the mbox writer and smrsh log.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "nsswitch/passwd.h"
#include "server/deliver.h"
#include "server/mbox.h"
#include "server/smrsh.h"

#define REPORT_MAGIC "SMDR1 " /* first bytes of a report frame */
#define REPORT_MAX 2048       /* bytes of a report kept; a frame is far shorter */
#define GUARD_S 600u          /* a child still running after this (plus ProgramTimeout) is killed */
#define NAMEMAX 256           /* longest user name */
#define SHOWMAX 200           /* bytes of an address, path or command shown in a reply or the log */
#define ENVMAX 512            /* bytes of an environment value given to a program */
#define REPLYMAX 1400         /* longest reply line */
#define TMPDIR "/tmp"         /* for the message file of a program, without memfd_create() */

/* the outcome the child reports */
enum dstat {
	DS_OK,       /* delivered */
	DS_TEMPFAIL, /* try again later */
	DS_PERMFAIL  /* bounce */
};

/* what the child does */
enum jobkind {
	JOB_MBOX,    /* append to the mailbox path */
	JOB_MAILDIR, /* write into the Maildir path */
	JOB_FILE,    /* append to the file target path */
	JOB_PROG     /* run the command path through smrsh */
};

/* one delivery as the parent resolved it for the child */
struct job {
	enum jobkind kind;
	char *path;         /* mailbox, Maildir, file target, or command */
	int change;         /* the child becomes uid/gid (the caller is root) */
	uid_t uid;          /* the user it runs as */
	gid_t gid;          /* and its primary group */
	int has_extra;      /* a second group: */
	gid_t extra;        /* the group of a group-writable spool directory */
	char *user;         /* name of the user (prog: USER, LOGNAME) */
	char *home;         /* its home directory (prog: working directory, HOME) */
	const char *bindir; /* prog: SmrshDirectory */
	unsigned timeout;   /* prog: ProgramTimeout in seconds, 0: none */
	unsigned guard;     /* seconds the parent waits for the child, 0: no limit */
	struct sm_mbox_req rq;
};

/* set_reply - res gets state and the reply made from fmt; *prio the log priority p */
static void __attribute__((format(printf, 5, 6)))
set_reply(struct sm_dresult *res, int *prio, int p, enum sm_rstate state, const char *fmt, ...)
{
	char line[REPLYMAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	free(res->reply);
	res->reply = sm_strdup(line);
	res->state = state;
	*prio = p;
}

/* shown - a printable, bounded copy of s for a reply or the log; caller frees */
static char *shown(const char *s)
{
	return sm_printable(s ? s : "", s ? strlen(s) : 0, SHOWMAX);
}

/* name_ok - n bytes of s can be an account name: printable, no blank, '/' or ':', no leading '.' or '-' */
static int name_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > NAMEMAX || s[0] == '.' || s[0] == '-')
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c >= 0x7f || c == '/' || c == ':')
			return 0;
	}
	return 1;
}

/* lookup_user - look name up: SUCCESS with pw (caller frees), NOTFOUND, or an error with why */
static enum sm_status lookup_user(const struct sm_config *cf, const char *name, struct sm_pw *pw,
                                  struct sm_buf *why)
{
	struct sm_buf err = SM_BUF_INIT;
	struct sm_source *src = sm_libc_create("libc", cf, &err);
	char *value = NULL;
	enum sm_status st;

	memset(pw, 0, sizeof(*pw));
	if (src == NULL) {
		sm_buf_printf(why, "passwd source: %s", sm_buf_str(&err));
		sm_buf_free(&err);
		return SM_UNAVAIL;
	}
	st = src->ops->lookup(src, "passwd", name, &value, why);
	sm_source_free(src);
	sm_buf_free(&err);
	if (st == SM_SUCCESS && sm_passwd_parse(value, pw) < 0) {
		sm_buf_printf(why, "malformed passwd entry for %s", name);
		st = SM_UNAVAIL;
	}
	free(value);
	return st;
}

/* lookup_failed - a passwd lookup error: defer (security.md 5.3: never "unknown") */
static void lookup_failed(struct sm_dresult *res, int *prio, const char *rcpt, const char *name,
                          struct sm_buf *why)
{
	char *w = sm_printable(sm_buf_str(why), why->len, SHOWMAX);

	set_reply(res, prio, LOG_ERR, SM_RCPT_DEFERRED, "451 4.3.0 <%s>... cannot look up user %s: %s", rcpt,
	          name, w);
	free(w);
}

/* resolve_ctl - the controlling user of a file or program delivery into pw; 0, or -1 with res set */
static int resolve_ctl(const struct sm_config *cf, const struct sm_dtarget *t, const char *rcpt,
                       struct sm_pw *pw, struct sm_dresult *res, int *prio)
{
	const char *dflt = sm_config_str(cf, "DefaultUser");
	const char *name = t->ctl ? t->ctl : dflt;
	int is_default = t->ctl == NULL;
	struct sm_buf why = SM_BUF_INIT;
	char *n = NULL;
	int rc = -1;

	for (;;) {
		free(n);
		n = shown(name);
		if (!name_ok(name, strlen(name))) {
			set_reply(res, prio, LOG_ERR, SM_RCPT_DEFERRED,
			          "451 4.3.5 <%s>... %s \"%s\" is not a user name", rcpt,
			          is_default ? "DefaultUser" : "controlling user", n);
			break;
		}
		sm_buf_reset(&why);
		switch (lookup_user(cf, name, pw, &why)) {
		case SM_SUCCESS:
			break;
		case SM_NOTFOUND:
			if (is_default)
				set_reply(res, prio, LOG_ERR, SM_RCPT_DEFERRED,
				          "451 4.3.5 <%s>... DefaultUser %s unknown", rcpt, n);
			else
				set_reply(res, prio, LOG_WARNING, SM_RCPT_FAILED,
				          "550 5.1.1 <%s>... controlling user %s unknown", rcpt, n);
			goto out;
		case SM_UNAVAIL:
		case SM_TRYAGAIN:
			lookup_failed(res, prio, rcpt, n, &why);
			goto out;
		}
		if (pw->uid != 0) {
			rc = 0;
			break;
		}
		/* nothing runs as root: a root-owned source maps to DefaultUser */
		sm_pw_free(pw);
		if (is_default) {
			set_reply(res, prio, LOG_ERR, SM_RCPT_DEFERRED,
			          "451 4.3.5 <%s>... DefaultUser %s has uid 0", rcpt, n);
			break;
		}
		name = dflt;
		is_default = 1;
	}
out:
	free(n);
	sm_buf_free(&why);
	return rc;
}

/* spool_group - a group-writable spool directory's group, for the dot-lock (never group 0) */
static void spool_group(const char *spool, struct job *j)
{
	struct stat st;

	if (stat(spool, &st) != 0 || !S_ISDIR(st.st_mode) || !(st.st_mode & S_IWGRP))
		return;
	if (st.st_gid == 0 || st.st_gid == j->gid)
		return;
	j->has_extra = 1;
	j->extra = st.st_gid;
}

/* prepare_local - the mailbox or Maildir of user[+detail]; 0 with j filled, or -1 with res set */
static int prepare_local(const struct sm_config *cf, const struct sm_dtarget *t, const char *rcpt,
                         struct job *j, struct sm_dresult *res, int *prio)
{
	const char *plus = strchr(t->user, '+');
	size_t n = plus ? (size_t)(plus - t->user) : strlen(t->user);
	const char *format = sm_config_str(cf, "MailboxFormat");
	const char *spool = sm_config_str(cf, "MailSpoolDirectory");
	struct sm_buf why = SM_BUF_INIT;
	struct sm_pw pw;
	char *name, *fs;
	int maildir;

	if (!name_ok(t->user, n)) {
		set_reply(res, prio, LOG_WARNING, SM_RCPT_FAILED, "550 5.1.3 <%s>... bad local user name",
		          rcpt);
		return -1;
	}
	if (strcasecmp(format, "mbox") == 0) {
		maildir = 0;
	} else if (strcasecmp(format, "maildir") == 0) {
		maildir = 1;
	} else {
		fs = shown(format);
		set_reply(res, prio, LOG_ERR, SM_RCPT_DEFERRED, "451 4.3.5 unknown MailboxFormat \"%s\"", fs);
		free(fs);
		return -1;
	}
	if (!maildir && spool[0] != '/') {
		set_reply(res, prio, LOG_ERR, SM_RCPT_DEFERRED,
		          "451 4.3.5 MailSpoolDirectory is not an absolute path");
		return -1;
	}
	name = sm_strndup(t->user, n);
	switch (lookup_user(cf, name, &pw, &why)) {
	case SM_SUCCESS:
		break;
	case SM_NOTFOUND:
		set_reply(res, prio, LOG_WARNING, SM_RCPT_FAILED, "550 5.1.1 <%s>... User unknown", rcpt);
		goto fail;
	case SM_UNAVAIL:
	case SM_TRYAGAIN:
		lookup_failed(res, prio, rcpt, name, &why);
		goto fail;
	}
	if (maildir && pw.dir[0] != '/') {
		set_reply(res, prio, LOG_ERR, SM_RCPT_DEFERRED,
		          "451 4.3.5 <%s>... no home directory for Maildir delivery", rcpt);
		sm_pw_free(&pw);
		goto fail;
	}
	j->kind = maildir ? JOB_MAILDIR : JOB_MBOX;
	j->path = maildir ? sm_asprintf("%s/Maildir", pw.dir) : sm_asprintf("%s/%s", spool, name);
	if (geteuid() == 0) {
		/* the mailbox belongs to the recipient; a uid-0 account's is written as root */
		j->rq.owner = pw.uid;
		if (pw.uid != 0) {
			j->change = 1;
			j->uid = pw.uid;
			j->gid = pw.gid;
			if (!maildir)
				spool_group(spool, j);
		}
	} else {
		j->rq.owner = geteuid();
	}
	j->user = name;
	j->home = sm_strdup(pw.dir);
	sm_pw_free(&pw);
	sm_buf_free(&why);
	return 0;
fail:
	free(name);
	sm_buf_free(&why);
	return -1;
}

/* prepare_ctl - a file or program delivery as the controlling user; 0 with j filled, or -1 with res set */
static int prepare_ctl(const struct sm_config *cf, const struct sm_dtarget *t, const char *rcpt,
                       enum jobkind kind, struct job *j, struct sm_dresult *res, int *prio)
{
	long timeout = sm_config_int(cf, "ProgramTimeout");
	struct sm_pw pw;

	if (resolve_ctl(cf, t, rcpt, &pw, res, prio) < 0)
		return -1;
	j->kind = kind;
	j->path = sm_strdup(t->user);
	j->rq.owner = SM_MBOX_ANY_OWNER; /* the kernel's permissions, as the controlling user, decide */
	if (geteuid() == 0) {
		j->change = 1;
		j->uid = pw.uid;
		j->gid = pw.gid;
	}
	j->user = sm_strdup(pw.name);
	j->home = sm_strdup(pw.dir);
	if (kind == JOB_PROG) {
		j->bindir = sm_config_str(cf, "SmrshDirectory");
		if (timeout < 0)
			timeout = 0;
		if (timeout > (long)(UINT_MAX / 2))
			timeout = (long)(UINT_MAX / 2);
		j->timeout = (unsigned)timeout;
		j->guard = j->timeout ? j->timeout + GUARD_S : 0;
	}
	sm_pw_free(&pw);
	return 0;
}

/* job_free - release the strings of j */
static void job_free(struct job *j)
{
	free(j->path);
	free(j->user);
	free(j->home);
}

/* ---- the child ---- */

/* become - in the child: take the job's groups and user when the caller is root; 0, or -1 with why */
static int become(const struct job *j, struct sm_buf *why)
{
	gid_t groups[2];
	size_t n = 0;

	if (!j->change)
		return 0;
	groups[n++] = j->gid;
	if (j->has_extra)
		groups[n++] = j->extra;
	if (setgroups(n, groups) != 0) {
		sm_buf_printf(why, "cannot set groups: %s", strerror(errno));
		return -1;
	}
	if (setgid(j->gid) != 0) {
		sm_buf_printf(why, "cannot set gid %lu: %s", (unsigned long)j->gid, strerror(errno));
		return -1;
	}
	if (setuid(j->uid) != 0) {
		sm_buf_printf(why, "cannot set uid %lu: %s", (unsigned long)j->uid, strerror(errno));
		return -1;
	}
	if (getuid() != j->uid || geteuid() != j->uid || getgid() != j->gid || getegid() != j->gid) {
		sm_buf_printf(why, "user and group ids not changed to %lu:%lu", (unsigned long)j->uid,
		              (unsigned long)j->gid);
		return -1;
	}
	if (j->uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
		sm_buf_printf(why, "could regain root after changing to uid %lu", (unsigned long)j->uid);
		return -1;
	}
	return 0;
}

/* input_fd - an unlinked file holding b, read from its start; the descriptor, or -1 with why */
static int input_fd(const struct sm_buf *b, struct sm_buf *why)
{
	char tmpl[] = TMPDIR "/switchmail.XXXXXX";
	size_t done = 0;
	ssize_t n;
	int fd = -1;

#ifdef MFD_CLOEXEC
	fd = memfd_create("switchmail-message", MFD_CLOEXEC);
#endif
	if (fd < 0) {
		fd = mkostemp(tmpl, O_CLOEXEC);
		if (fd < 0) {
			sm_buf_printf(why, "cannot create a file in %s for the message: %s", TMPDIR,
			              strerror(errno));
			return -1;
		}
		(void)unlink(tmpl);
	}
	while (done < b->len) {
		n = write(fd, b->data + done, b->len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			sm_buf_printf(why, "cannot write the message for the program: %s",
			              n < 0 ? strerror(errno) : "short write");
			close(fd);
			return -1;
		}
		done += (size_t)n;
	}
	if (lseek(fd, 0, SEEK_SET) != 0) {
		sm_buf_printf(why, "cannot rewind the message for the program: %s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* env_value - NAME=value with every byte outside printable ASCII made '_', bounded; caller frees */
static char *env_value(const char *name, const char *value)
{
	struct sm_buf b = SM_BUF_INIT;
	size_t i;

	sm_buf_printf(&b, "%s=", name);
	for (i = 0; value[i] != '\0' && i < ENVMAX; i++) {
		unsigned char c = (unsigned char)value[i];

		sm_buf_addc(&b, c < 0x20 || c >= 0x7f ? '_' : c);
	}
	return sm_buf_steal(&b);
}

/* run_prog - in the child: smrsh check, then the program with the message on stdin */
static enum dstat run_prog(const struct job *j, const char **dsn, struct sm_buf *text)
{
	const struct sm_mbox_req *rq = &j->rq;
	struct sm_buf cmd = SM_BUF_INIT, input = SM_BUF_INIT, out = SM_BUF_INIT;
	struct sm_smrsh_job job;
	enum dstat ds = DS_TEMPFAIL;
	char *env[7] = { NULL };
	size_t i, ne = 0;
	int fd, status;
	char *c;

	*dsn = "4.3.0";
	if (geteuid() == 0) {
		sm_log(LOG_ERR, "refusing to run a program as root");
		sm_buf_adds(text, "refusing to run a program as root");
		return DS_TEMPFAIL;
	}
	if (sm_mbox_has_loop(rq->msg, rq->len, rq->recipient)) {
		*dsn = "5.4.6";
		sm_buf_printf(text, "mail forwarding loop for %s", rq->recipient);
		return DS_PERMFAIL;
	}
	switch (sm_smrsh_check(j->path, strlen(j->path), j->bindir, 0, &cmd)) {
	case SM_SMRSH_OK:
		break;
	case SM_SMRSH_TEMPFAIL:
		sm_buf_add(text, cmd.data, cmd.len);
		goto out;
	case SM_SMRSH_PERMFAIL:
		*dsn = "5.7.1";
		sm_buf_add(text, cmd.data, cmd.len);
		ds = DS_PERMFAIL;
		goto out;
	}
	sm_mbox_render(&input, rq, 0);
	if ((fd = input_fd(&input, text)) < 0) {
		sm_log(LOG_ERR, "%s", sm_buf_str(text));
		goto out;
	}
	env[ne++] = env_value("SENDER", rq->sender);
	env[ne++] = env_value("RECIPIENT", rq->recipient);
	if (rq->orig_rcpt != NULL)
		env[ne++] = env_value("ORIGINAL_RECIPIENT", rq->orig_rcpt);
	env[ne++] = env_value("USER", j->user);
	env[ne++] = env_value("LOGNAME", j->user);
	env[ne++] = env_value("HOME", j->home);
	memset(&job, 0, sizeof(job));
	job.command = sm_buf_str(&cmd);
	job.uid = geteuid(); /* the child already is the controlling user */
	job.gid = getegid();
	job.home = j->home[0] == '/' ? j->home : NULL;
	job.env = (const char *const *)env;
	job.stdin_fd = fd;
	job.timeout = j->timeout;
	switch (sm_smrsh_run(&job, &status, &out)) {
	case SM_SMRSH_OK:
		ds = DS_OK;
		*dsn = "2.0.0";
		c = shown(j->path);
		sm_buf_printf(text, "delivered to |%s", c);
		free(c);
		break;
	case SM_SMRSH_TEMPFAIL:
		ds = DS_TEMPFAIL;
		*dsn = "4.3.0";
		sm_buf_add(text, out.data, out.len);
		break;
	case SM_SMRSH_PERMFAIL:
		ds = DS_PERMFAIL;
		*dsn = "5.3.0";
		sm_buf_add(text, out.data, out.len);
		break;
	}
	close(fd);
	for (i = 0; i < ne; i++)
		free(env[i]);
out:
	sm_buf_free(&cmd);
	sm_buf_free(&input);
	sm_buf_free(&out);
	return ds;
}

/* run_job - in the child, as the job's user: the delivery itself */
static enum dstat run_job(const struct job *j, const char **dsn, struct sm_buf *text)
{
	enum sm_mbox_status ms = SM_MBOX_TEMPFAIL;
	struct sm_mbox_result mr = { .status = SM_MBOX_TEMPFAIL, .dsn = "4.3.0", .reason = NULL };

	switch (j->kind) {
	case JOB_MBOX:
		ms = sm_mbox_deliver(j->path, &j->rq, &mr);
		break;
	case JOB_MAILDIR:
		ms = sm_maildir_deliver(j->path, &j->rq, &mr);
		break;
	case JOB_FILE:
		if (geteuid() == 0) {
			sm_log(LOG_ERR, "refusing to write a file target as root");
			*dsn = "4.3.0";
			sm_buf_adds(text, "refusing to write a file target as root");
			return DS_TEMPFAIL;
		}
		ms = sm_file_deliver(j->path, &j->rq, &mr);
		break;
	case JOB_PROG:
		return run_prog(j, dsn, text);
	}
	*dsn = mr.dsn ? mr.dsn : "4.3.0";
	sm_buf_adds(text, mr.reason ? mr.reason : "");
	sm_mbox_result_free(&mr);
	switch (ms) {
	case SM_MBOX_OK:
		return DS_OK;
	case SM_MBOX_TEMPFAIL:
		return DS_TEMPFAIL;
	case SM_MBOX_PERMFAIL:
		return DS_PERMFAIL;
	}
	return DS_TEMPFAIL;
}

/* dstat_word - the STATUS word of a frame */
static const char *dstat_word(enum dstat st)
{
	switch (st) {
	case DS_OK:
		return "ok";
	case DS_TEMPFAIL:
		return "tempfail";
	case DS_PERMFAIL:
		return "permfail";
	}
	return "tempfail";
}

/* write_all - write n bytes of p to fd; 0 or -1 */
static int write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* close_others - in the child: close every descriptor above 2 but keep (the parent's sockets, files) */
static void close_others(int keep)
{
	long maxfd;
	int fd;

#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
	if ((keep <= 3 || close_range(3, (unsigned)keep - 1, 0) == 0) &&
	    close_range((unsigned)keep + 1, ~0u, 0) == 0)
		return;
#endif
	maxfd = sysconf(_SC_OPEN_MAX);
	if (maxfd < 0 || maxfd > 65536)
		maxfd = 65536;
	for (fd = 3; fd < maxfd; fd++)
		if (fd != keep)
			(void)close(fd);
}

/* child_main - the delivery child: become the user, deliver, report on wfd, exit */
static void __attribute__((noreturn)) child_main(const struct job *j, int wfd)
{
	struct sm_buf text = SM_BUF_INIT, frame = SM_BUF_INIT;
	const char *dsn = "4.3.0";
	enum dstat st = DS_TEMPFAIL;
	char *p;
	size_t n;

	/* nothing of the caller's may run or be reached as the user: its handlers, its descriptors */
	signal(SIGHUP, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGALRM, SIG_DFL);
	signal(SIGUSR1, SIG_DFL);
	signal(SIGUSR2, SIG_DFL);
	signal(SIGCHLD, SIG_DFL); /* smrsh waits for the program */
	signal(SIGPIPE, SIG_IGN);
	closelog(); /* syslog reconnects when needed, never through a descriptor number reused below */
	close_others(wfd);
	if (become(j, &text) < 0)
		sm_log(LOG_ERR, "delivery to %s: %s", j->path, sm_buf_str(&text));
	else
		st = run_job(j, &dsn, &text);
	p = sm_printable(sm_buf_str(&text), text.len, SM_DELIVER_TEXTMAX - 3);
	n = strlen(p);
	if (n > SM_DELIVER_TEXTMAX)
		n = SM_DELIVER_TEXTMAX;
	sm_buf_printf(&frame, REPORT_MAGIC "%s %s %zu\n", dstat_word(st), dsn, n);
	sm_buf_add(&frame, p, n);
	_exit(write_all(wfd, frame.data, frame.len) == 0 ? 0 : 1);
}

/* ---- the parent ---- */

/* dsn_ok - the n bytes of s are an enhanced status code of class cls: C.D{1,3}.D{1,3} */
static int dsn_ok(const char *s, size_t n, char cls)
{
	size_t i = 2, k;
	int part;

	if (n < 5 || s[0] != cls || s[1] != '.')
		return 0;
	for (part = 0; part < 2; part++) {
		for (k = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			k++;
		if (k < 1 || k > 3)
			return 0;
		if (part == 0 && (i >= n || s[i++] != '.'))
			return 0;
	}
	return i == n;
}

/* sm_deliver_report_parse - one report frame of a delivery child into res; 0, or -1 (res untouched) */
int sm_deliver_report_parse(const char *buf, size_t len, struct sm_dresult *res)
{
	static const struct {
		const char *word;
		enum sm_rstate state;
		char cls;
	} words[] = {
		{ "ok", SM_RCPT_DELIVERED, '2' },
		{ "tempfail", SM_RCPT_DEFERRED, '4' },
		{ "permfail", SM_RCPT_FAILED, '5' },
	};
	const size_t ml = sizeof(REPORT_MAGIC) - 1;
	const char *p, *end, *sp, *dsn, *text, *code = "451";
	size_t i, w, dl, tl = 0, digits = 0;

	if (buf == NULL || len < ml || memcmp(buf, REPORT_MAGIC, ml) != 0)
		return -1;
	end = buf + len;
	p = buf + ml;
	/* STATUS */
	if ((sp = memchr(p, ' ', (size_t)(end - p))) == NULL)
		return -1;
	for (w = 0; w < sizeof(words) / sizeof(words[0]); w++)
		if ((size_t)(sp - p) == strlen(words[w].word) &&
		    memcmp(p, words[w].word, (size_t)(sp - p)) == 0)
			break;
	if (w == sizeof(words) / sizeof(words[0]))
		return -1;
	/* DSN */
	dsn = sp + 1;
	if ((sp = memchr(dsn, ' ', (size_t)(end - dsn))) == NULL)
		return -1;
	dl = (size_t)(sp - dsn);
	if (!dsn_ok(dsn, dl, words[w].cls))
		return -1;
	/* N, then the text */
	for (p = sp + 1; p < end && *p >= '0' && *p <= '9'; p++) {
		if (++digits > 4 || (digits == 2 && p[-1] == '0'))
			return -1;
		tl = tl * 10 + (size_t)(*p - '0');
	}
	if (digits == 0 || p >= end || *p != '\n' || tl > SM_DELIVER_TEXTMAX)
		return -1;
	text = p + 1;
	if ((size_t)(end - text) != tl)
		return -1;
	for (i = 0; i < tl; i++)
		if (text[i] < 0x20 || text[i] > 0x7e)
			return -1;
	switch (words[w].state) {
	case SM_RCPT_DELIVERED:
		code = "250";
		break;
	case SM_RCPT_DEFERRED:
	case SM_RCPT_PENDING:
		code = "451";
		break;
	case SM_RCPT_FAILED:
		/* 554: tried and refused for this message; 550: the address is at fault */
		code = (dl == 5 && (memcmp(dsn, "5.4.6", 5) == 0 || memcmp(dsn, "5.3.0", 5) == 0)) ? "554"
		                                                                                   : "550";
		break;
	}
	res->state = words[w].state;
	res->reply = tl ? sm_asprintf("%s %.*s %.*s", code, (int)dl, dsn, (int)tl, text)
	                : sm_asprintf("%s %.*s", code, (int)dl, dsn);
	return 0;
}

/* read_report - read the child's report into b until EOF; 0, or 1 when guard seconds (0: none) passed */
static int read_report(int fd, unsigned guard, struct sm_buf *b, int *overflow)
{
	long long deadline = sm_clock_ms() + (long long)guard * 1000;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char chunk[512];
	long long left;
	ssize_t got;
	int ms, n;

	for (;;) {
		ms = -1;
		if (guard) {
			left = deadline - sm_clock_ms();
			if (left <= 0)
				return 1;
			ms = left > INT_MAX ? INT_MAX : (int)left;
		}
		n = poll(&pfd, 1, ms);
		if (n < 0 && errno != EINTR)
			return 0; /* cannot happen with one valid descriptor; waitpid decides */
		if (n <= 0)
			continue;
		got = read(fd, chunk, sizeof(chunk));
		if (got > 0) {
			if (b->len + (size_t)got <= REPORT_MAX)
				sm_buf_add(b, chunk, (size_t)got);
			else
				*overflow = 1;
		} else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
			return 0;
		}
	}
}

/* run_child - fork the delivery child for j, wait for it, turn its report into res */
static void run_child(const struct job *j, struct sm_dresult *res, int *prio)
{
	struct sm_buf frame = SM_BUF_INIT;
	int fds[2], ws = 0, overflow = 0, timed_out, err;
	pid_t pid, r;

	if (pipe2(fds, O_CLOEXEC) != 0) {
		set_reply(res, prio, LOG_ERR, SM_RCPT_DEFERRED, "451 4.3.0 cannot create a pipe: %s",
		          strerror(errno));
		return;
	}
	pid = fork();
	if (pid < 0) {
		err = errno;
		close(fds[0]);
		close(fds[1]);
		set_reply(res, prio, LOG_ERR, SM_RCPT_DEFERRED, "451 4.3.0 cannot fork: %s", strerror(err));
		return;
	}
	if (pid == 0) {
		close(fds[0]);
		child_main(j, fds[1]);
	}
	close(fds[1]);
	timed_out = read_report(fds[0], j->guard, &frame, &overflow);
	close(fds[0]);
	if (timed_out)
		(void)kill(pid, SIGKILL);
	while ((r = waitpid(pid, &ws, 0)) < 0 && errno == EINTR)
		;
	if (r < 0)
		set_reply(res, prio, LOG_ERR, SM_RCPT_DEFERRED,
		          "451 4.3.0 cannot wait for the delivery agent: %s", strerror(errno));
	else if (timed_out)
		set_reply(res, prio, LOG_ERR, SM_RCPT_DEFERRED,
		          "451 4.3.0 delivery agent timed out after %u s", j->guard);
	else if (WIFSIGNALED(ws))
		set_reply(res, prio, LOG_ERR, SM_RCPT_DEFERRED,
		          "451 4.3.0 delivery agent killed by signal %d", WTERMSIG(ws));
	else if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0)
		set_reply(res, prio, LOG_ERR, SM_RCPT_DEFERRED,
		          "451 4.3.0 delivery agent exited with status %d",
		          WIFEXITED(ws) ? WEXITSTATUS(ws) : -1);
	else if (overflow || sm_deliver_report_parse(frame.data, frame.len, res) != 0)
		set_reply(res, prio, LOG_ERR, SM_RCPT_DEFERRED,
		          "451 4.3.0 delivery agent sent a malformed report");
	else
		*prio = res->state == SM_RCPT_DELIVERED ? LOG_INFO : LOG_WARNING;
	sm_buf_free(&frame);
}

/* rstate_name - a recipient state for the log */
static const char *rstate_name(enum sm_rstate st)
{
	switch (st) {
	case SM_RCPT_PENDING:
		return "pending";
	case SM_RCPT_DELIVERED:
		return "delivered";
	case SM_RCPT_FAILED:
		return "failed";
	case SM_RCPT_DEFERRED:
		return "deferred";
	}
	return "?";
}

/* sm_deliver_local - deliver msg to one local, file or program recipient; res says what became of it */
void sm_deliver_local(const struct sm_config *cf, const struct sm_dtarget *t, const char *msg, size_t len,
                      time_t arrival, struct sm_dresult *res)
{
	const char *sender = t->sender ? t->sender : "";
	const char *rcpt = t->rcpt ? t->rcpt : t->user ? t->user : "";
	char *srcpt = shown(rcpt), *smailer = shown(t->mailer), *suser = shown(t->user);
	char *sctl = t->ctl ? shown(t->ctl) : NULL;
	int prio = LOG_ERR, rc = -1;
	struct job j;

	res->state = SM_RCPT_DEFERRED;
	res->reply = NULL;
	memset(&j, 0, sizeof(j));
	j.guard = GUARD_S;
	j.rq.sender = sender;
	j.rq.recipient = rcpt;
	j.rq.orig_rcpt = t->orig;
	j.rq.msg = msg;
	j.rq.len = len;
	j.rq.when = arrival;
	j.rq.owner = SM_MBOX_ANY_OWNER;

	if (t->mailer == NULL || t->user == NULL || t->user[0] == '\0' || (msg == NULL && len > 0))
		set_reply(res, &prio, LOG_ERR, SM_RCPT_DEFERRED,
		          "451 4.3.5 <%s>... incomplete delivery target", srcpt);
	else if (strcmp(t->mailer, "local") != 0 && strcmp(t->mailer, "*file*") != 0 &&
	         strcmp(t->mailer, "prog") != 0)
		set_reply(res, &prio, LOG_ERR, SM_RCPT_DEFERRED, "451 4.3.5 mailer %s is not a local mailer",
		          smailer);
	else if (!sm_mbox_addr_ok(sender) || !sm_mbox_addr_ok(rcpt) ||
	         (t->orig && !sm_mbox_addr_ok(t->orig)) ||
	         (strcmp(t->mailer, "*file*") == 0 && !sm_mbox_addr_ok(t->user)))
		set_reply(res, &prio, LOG_WARNING, SM_RCPT_FAILED,
		          "550 5.1.3 <%s>... control character in an address", srcpt);
	else if (strcmp(t->mailer, "local") == 0)
		rc = prepare_local(cf, t, srcpt, &j, res, &prio);
	else
		rc = prepare_ctl(cf, t, srcpt, strcmp(t->mailer, "prog") == 0 ? JOB_PROG : JOB_FILE, &j, res,
		                 &prio);
	if (rc == 0)
		run_child(&j, res, &prio);
	sm_log(prio, "%s%sto=<%s>, mailer=%s, user=\"%s\"%s%s, status=%s (%s)", t->qid ? t->qid : "",
	       t->qid ? ": " : "", srcpt, smailer, suser, sctl ? ", ctl=" : "", sctl ? sctl : "",
	       rstate_name(res->state), res->reply);
	job_free(&j);
	free(srcpt);
	free(smailer);
	free(suser);
	free(sctl);
}

/* sm_dresult_free - release the reply of res */
void sm_dresult_free(struct sm_dresult *res)
{
	free(res->reply);
	res->reply = NULL;
}
