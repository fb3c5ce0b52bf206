/*
 * router/forward.c - find and read a local user's .forward file
 *
 * SYNOPSIS
 *	void sm_forward_find(const struct sm_pw *pw, const char *detail,
 *	                     const struct sm_forward_params *fp, struct sm_forward *out);
 *	void sm_forward_free(struct sm_forward *f);
 *	int sm_forward_expand(const char *elem, size_t len, const struct sm_pw *pw, const char *host,
 *	                      const char *detail, struct sm_buf *out, const char **why);
 *	int sm_forward_detail_ok(const char *detail);
 *
 * DESCRIPTION
 *	See forward.h: the ForwardPath search with Solaris's +detail file
 *	names, sendmail's safety checks (made with lstat(2), O_NOFOLLOW and
 *	fstat(2), never following a symbolic link to the file), the policy for
 *	root and system accounts, and the contents of a .forward file.
 *
 *	Policy decisions, in short: a group- or world-writable .forward is
 *	refused (not merely marked unsafe); a symbolically linked .forward is
 *	refused even in a safe directory; a group- or world-writable directory
 *	(sticky or not) or one owned by someone other than root or the user
 *	makes the path unsafe, and then a hard-linked file is refused; a
 *	root-owned file must have one link; uid 0 and uids below fp->min_uid
 *	have no .forward; the controlling user is always the user, never root.
 *
 * CONFIGURATION
 *	None read here; the router passes ForwardPath and MaxForwardEntries in
 *	struct sm_forward_params.
 *
 * DIAGNOSTICS
 *	See forward.h: refused candidates are logged once as "forward PATH:
 *	reason"; ENOENT is quiet; transient errors defer when nothing else is
 *	found ("transient .forward open error: message queued").
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/lines.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "nsswitch/files.h"
#include "router/forward.h"
#include "router/router.h"

#define FORWARD_LINE_MAX 65536 /* longest line kept; longer ones are skipped */
#define FORWARD_DETAIL_MAX 255 /* a detail must fit in one file name */
#define FORWARD_SHOWN_MAX 512  /* bytes of a path shown in a log line */

/* what trying one candidate file led to */
enum try_result {
	TRY_NEXT,      /* missing or refused: try the next element */
	TRY_TRANSIENT, /* a transient error: remember it, try the next */
	TRY_DONE,      /* out is filled: stop */
};

/* the first transient error seen during one search */
struct transient {
	char *path;
	int err;
};

static int root_logged, system_logged; /* the account policy is logged once per process */

/* sm_forward_detail_ok - may detail (without its '+') be put into a file name? */
int sm_forward_detail_ok(const char *detail)
{
	const char *p;

	if (detail == NULL || *detail == '\0' || strlen(detail) > FORWARD_DETAIL_MAX)
		return 0;
	for (p = detail; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c < 0x20 || c == 0x7f || strchr(".:%&!^[]+/", c) != NULL)
			return 0;
	}
	return 1;
}

/* sm_forward_expand - expand one ForwardPath element into out; 1 if it names a file to try */
int sm_forward_expand(const char *elem, size_t len, const struct sm_pw *pw, const char *host,
                      const char *detail, struct sm_buf *out, const char **why)
{
	size_t i;

	sm_buf_reset(out);
	*why = NULL;
	for (i = 0; i < len; i++) {
		if (elem[i] != '$') {
			sm_buf_addc(out, elem[i]);
			continue;
		}
		if (++i >= len) {
			*why = "ForwardPath element ends with a lone $";
			return 0;
		}
		switch (elem[i]) {
		case '$':
			sm_buf_addc(out, '$');
			break;
		case 'z':
			if (pw->dir == NULL || pw->dir[0] != '/') {
				*why = "home directory is not an absolute path";
				return 0;
			}
			sm_buf_adds(out, pw->dir);
			break;
		case 'w':
			if (host == NULL || *host == '\0')
				return 0;
			if (strchr(host, '/') != NULL) {
				*why = "host name holds a '/'";
				return 0;
			}
			sm_buf_adds(out, host);
			break;
		case 'h':
			if (!sm_forward_detail_ok(detail))
				return 0;
			sm_buf_adds(out, detail);
			break;
		case 'u':
			if (pw->name == NULL || *pw->name == '\0' || strchr(pw->name, '/') != NULL) {
				*why = "user name is empty or holds a '/'";
				return 0;
			}
			sm_buf_adds(out, pw->name);
			break;
		default:
			*why = "unknown macro in ForwardPath (known: $z $w $h $u $$)";
			return 0;
		}
	}
	if (out->len == 0)
		return 0;
	if (out->data[0] != '/') {
		*why = "not an absolute path";
		return 0;
	}
	if (out->len >= PATH_MAX) {
		*why = "file name too long";
		return 0;
	}
	return 1;
}

/* refuse - log why the candidate path is not used; TRY_NEXT */
static enum try_result refuse(const char *path, const char *reason)
{
	char *shown = sm_printable(path, strlen(path), FORWARD_SHOWN_MAX);

	sm_log(LOG_WARNING, "forward %s: %s", shown, reason);
	free(shown);
	return TRY_NEXT;
}

/* os_error - classify errno err met while trying path: quiet, transient or refused */
static enum try_result os_error(const char *path, int err, struct transient *tf)
{
	char *shown;

	if (err == ENOENT)
		return TRY_NEXT;
	if (!sm_errno_transient(err))
		return refuse(path, strerror(err));
	shown = sm_printable(path, strlen(path), FORWARD_SHOWN_MAX);
	sm_log(LOG_NOTICE, "forward %s: %s", shown, strerror(err));
	free(shown);
	if (tf->path == NULL) {
		tf->path = sm_strdup(path);
		tf->err = err;
	}
	return TRY_TRANSIENT;
}

/* judge_dir - record in why (first reason only) what makes directory dir unsafe for uid */
static void judge_dir(const char *dir, const struct stat *st, uid_t uid, struct sm_buf *why)
{
	if (why->len != 0)
		return;
	if (st->st_uid != 0 && st->st_uid != uid)
		sm_buf_printf(why, "directory %s is owned by uid %lu, not by the user or root", dir,
		              (unsigned long)st->st_uid);
	else if (st->st_mode & S_IWOTH)
		sm_buf_printf(why, "World writable directory %s", dir);
	else if (st->st_mode & S_IWGRP)
		sm_buf_printf(why, "Group writable directory %s", dir);
}

/* check_dirs - examine every directory from / down to dir; 0 (why says if unsafe) or an errno */
static int check_dirs(const char *dir, uid_t uid, struct sm_buf *why, int resolved)
{
	struct sm_buf prefix = SM_BUF_INIT;
	const char *p = dir, *e;
	struct stat st;
	int linked = 0, err = 0;

	sm_buf_addc(&prefix, '/');
	for (;;) {
		if (lstat(sm_buf_str(&prefix), &st) < 0) {
			err = errno;
			break;
		}
		if (S_ISLNK(st.st_mode)) {
			/* allowed; the directories it leads to are examined below */
			if (resolved && why->len == 0)
				sm_buf_printf(why, "directory path %s changed while being checked",
				              sm_buf_str(&prefix));
			if (stat(sm_buf_str(&prefix), &st) < 0) {
				err = errno;
				break;
			}
			linked = 1;
		} else {
			judge_dir(sm_buf_str(&prefix), &st, uid, why);
		}
		if (!S_ISDIR(st.st_mode)) {
			err = ENOTDIR;
			break;
		}
		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		for (e = p; *e && *e != '/';)
			e++;
		if (prefix.len > 1)
			sm_buf_addc(&prefix, '/');
		sm_buf_add(&prefix, p, (size_t)(e - p));
		p = e;
	}
	sm_buf_free(&prefix);
	if (err == 0 && linked && !resolved) {
		char real[PATH_MAX];

		if (realpath(dir, real) == NULL)
			return errno;
		return check_dirs(real, uid, why, 1);
	}
	return err;
}

struct fill_ctx {
	struct sm_forward *out;
	size_t max;
};

/* add_addr - sm_split_list callback: keep one address unless the limit is reached */
static void add_addr(void *ctx, const char *elem)
{
	struct fill_ctx *fc = ctx;
	struct sm_forward *out = fc->out;

	if (fc->max != 0 && out->count >= fc->max) {
		out->truncated = 1;
		return;
	}
	if ((out->count & (out->count - 1)) == 0) /* grow at each power of two */
		out->addrs = sm_realloc(out->addrs, (out->count ? out->count * 2 : 1) * sizeof(*out->addrs));
	out->addrs[out->count++] = sm_strdup(elem);
}

/* cut_comment - end line at a " #@# " comment (blank, #@#, then blank or end of line) */
static void cut_comment(char *line)
{
	char *p;

	for (p = line; (p = strstr(p, "#@#")) != NULL; p++) {
		if (p > line && isspace((unsigned char)p[-1]) &&
		    (p[3] == '\0' || isspace((unsigned char)p[3]))) {
			p[-1] = '\0';
			return;
		}
	}
}

/* read_contents - parse the open file fd (consumed) into out; TRY_DONE always */
static enum try_result read_contents(int fd, const char *path, size_t max, struct sm_forward *out)
{
	struct fill_ctx fc = { out, max };
	struct sm_lines lr;
	char *shown = sm_printable(path, strlen(path), FORWARD_SHOWN_MAX);
	FILE *fp = fdopen(fd, "r");
	int rc = 0;

	if (fp == NULL) {
		out->status = SM_FORWARD_TEMPFAIL;
		out->reason = sm_asprintf("%s: cannot read: %s", shown, strerror(errno));
		sm_log(LOG_NOTICE, "forward %s", out->reason);
		close(fd);
		free(shown);
		return TRY_DONE;
	}
	sm_lines_from(&lr, fp, path, FORWARD_LINE_MAX);
	while (!out->truncated && (rc = sm_lines_next(&lr)) > 0) {
		char *line = lr.line.data;
		size_t n = lr.line.len;

		if (lr.too_long || lr.has_nul) {
			sm_log(LOG_WARNING, "forward %s: line %lu: %s; ignored", shown, lr.lineno,
			       lr.too_long ? "too long" : "holds a NUL byte");
			continue;
		}
		if (n > 0 && line[n - 1] == '\r')
			line[--n] = '\0';
		cut_comment(line);
		while (isspace((unsigned char)*line))
			line++;
		if (*line == '#' || *line == '\0')
			continue;
		sm_split_list(line, add_addr, &fc);
	}
	if (!out->truncated && rc < 0) {
		size_t i;

		for (i = 0; i < out->count; i++)
			free(out->addrs[i]);
		free(out->addrs);
		out->addrs = NULL;
		out->count = 0;
		out->status = SM_FORWARD_TEMPFAIL;
		out->reason = sm_asprintf("%s: read error: %s", shown, strerror(lr.err));
		sm_log(LOG_NOTICE, "forward %s", out->reason);
	}
	if (out->truncated)
		sm_log(LOG_ERR, "Attempt to forward to more than %zu addresses (in %s)!", max, shown);
	sm_lines_close(&lr);
	fclose(fp);
	free(shown);
	return TRY_DONE;
}

/* try_file - check and, if it is safe enough, read one candidate */
static enum try_result try_file(const char *path, const struct sm_pw *pw, const struct sm_forward_params *fp,
                                struct sm_forward *out, struct transient *tf)
{
	struct sm_buf why = SM_BUF_INIT;
	const char *slash = strrchr(path, '/');
	struct stat lst, st;
	char *dir, reason[128];
	int err, fd;

	/* most candidates do not exist: find that out before walking the directories */
	if (lstat(path, &lst) < 0)
		return os_error(path, errno, tf);
	dir = slash == path ? sm_strdup("/") : sm_strndup(path, (size_t)(slash - path));
	err = check_dirs(dir, pw->uid, &why, 0);
	free(dir);
	if (err == 0 && lstat(path, &lst) < 0)
		err = errno;
	if (err != 0) {
		sm_buf_free(&why);
		return os_error(path, err, tf);
	}
	if (S_ISLNK(lst.st_mode)) {
		sm_buf_free(&why);
		return refuse(path, "Symbolic links not allowed");
	}
	if (!S_ISREG(lst.st_mode)) {
		sm_buf_free(&why);
		return refuse(path, "not a regular file");
	}
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		sm_buf_free(&why);
		return err == ELOOP ? refuse(path, "Symbolic links not allowed") : os_error(path, err, tf);
	}
	if (fstat(fd, &st) < 0) {
		err = errno;
		close(fd);
		sm_buf_free(&why);
		return os_error(path, err, tf);
	}
	reason[0] = '\0';
	if (st.st_dev != lst.st_dev || st.st_ino != lst.st_ino)
		snprintf(reason, sizeof(reason), "file changed after open");
	else if (!S_ISREG(st.st_mode))
		snprintf(reason, sizeof(reason), "not a regular file");
	else if (st.st_uid != pw->uid && st.st_uid != 0)
		snprintf(reason, sizeof(reason), "owned by uid %lu, not by the user or root",
		         (unsigned long)st.st_uid);
	else if (st.st_mode & S_IWOTH)
		snprintf(reason, sizeof(reason), "World writable file");
	else if (st.st_mode & S_IWGRP)
		snprintf(reason, sizeof(reason), "Group writable file");
	else if (st.st_nlink != 1 && (why.len != 0 || st.st_uid != pw->uid))
		snprintf(reason, sizeof(reason), "Hard links not allowed");
	if (reason[0] != '\0') {
		close(fd);
		sm_buf_free(&why);
		return refuse(path, reason);
	}
	out->status = SM_FORWARD_FOUND;
	out->path = sm_strdup(path);
	out->unsafe = why.len != 0;
	out->reason = why.len != 0 ? sm_buf_steal(&why) : NULL;
	out->uid = pw->uid;
	out->gid = pw->gid;
	out->owner = st.st_uid;
	sm_buf_free(&why);
	return read_contents(fd, path, fp->max_entries, out);
}

/* account_refused - 1 (and out->reason set) if pw's account may not have a .forward */
static int account_refused(const struct sm_pw *pw, const struct sm_forward_params *fp, struct sm_forward *out)
{
	if (pw->uid == 0) {
		out->reason = sm_strdup("forward files of root are not read; use aliases");
		if (!root_logged) {
			root_logged = 1;
			sm_log(LOG_NOTICE, "%s", out->reason);
		}
		return 1;
	}
	if (pw->uid < fp->min_uid) {
		out->reason = sm_asprintf("forward files of system accounts (uid below %lu) are not read; "
		                          "use aliases",
		                          (unsigned long)fp->min_uid);
		if (!system_logged) {
			char *name =
			    sm_printable(pw->name ? pw->name : "", strlen(pw->name ? pw->name : ""), 64);

			system_logged = 1;
			sm_log(LOG_NOTICE, "%s (%s)", out->reason, name);
			free(name);
		}
		return 1;
	}
	return 0;
}

/* sm_forward_find - search ForwardPath for pw's .forward (see forward.h); out freed by sm_forward_free */
void sm_forward_find(const struct sm_pw *pw, const char *detail, const struct sm_forward_params *fp,
                     struct sm_forward *out)
{
	const char *path = fp->path ? fp->path : SM_FORWARD_PATH_DEFAULT;
	const char *elem = path, *end, *why, *logged = NULL;
	struct sm_buf cand = SM_BUF_INIT;
	struct transient tf = { NULL, 0 };
	enum try_result r = TRY_NEXT;

	memset(out, 0, sizeof(*out));
	out->status = SM_FORWARD_NONE;
	if (account_refused(pw, fp, out) || *path == '\0')
		return;
	for (; r != TRY_DONE; elem = end + 1) {
		end = strchr(elem, ':');
		if (end == NULL)
			end = elem + strlen(elem);
		if (sm_forward_expand(elem, (size_t)(end - elem), pw, fp->host, detail, &cand, &why)) {
			r = try_file(sm_buf_str(&cand), pw, fp, out, &tf);
		} else if (why != NULL && why != logged) {
			char *shown = sm_printable(elem, (size_t)(end - elem), FORWARD_SHOWN_MAX);

			sm_log(LOG_WARNING, "forward: ForwardPath element \"%s\" skipped: %s", shown, why);
			free(shown);
			logged = why;
		}
		if (*end == '\0')
			break;
	}
	if (r != TRY_DONE && tf.path != NULL) {
		char *shown = sm_printable(tf.path, strlen(tf.path), FORWARD_SHOWN_MAX);

		out->status = SM_FORWARD_TEMPFAIL;
		out->reason = sm_asprintf("transient .forward open error: message queued (%s: %s)", shown,
		                          strerror(tf.err));
		free(shown);
	}
	free(tf.path);
	sm_buf_free(&cand);
}

/* sm_forward_free - release what sm_forward_find put into f (not f itself) */
void sm_forward_free(struct sm_forward *f)
{
	size_t i;

	for (i = 0; i < f->count; i++)
		free(f->addrs[i]);
	free(f->addrs);
	free(f->path);
	free(f->reason);
	memset(f, 0, sizeof(*f));
}
