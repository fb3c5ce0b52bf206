/*
 * server/smrsh.c - the restricted shell for program deliveries: check a command, run it
 *
 * SYNOPSIS
 *	#include "server/smrsh.h"
 *
 *	enum sm_smrsh_status sm_smrsh_check(const char *cmd, size_t len, const char *bindir,
 *	                                    unsigned flags, struct sm_buf *out);
 *	enum sm_smrsh_status sm_smrsh_run(const struct sm_smrsh_job *job, int *exit_status,
 *	                                  struct sm_buf *text);
 *
 * DESCRIPTION
 *	sm_smrsh_check() is sendmail's smrsh(8) as a pure check plus rewrite:
 *	it never runs anything. sm_smrsh_run() is the only place that forks
 *	and execs /bin/sh for a program delivery. See server/smrsh.h for the
 *	rules, the job and the environment the program gets.
 *
 * CONFIGURATION
 *	None read here: the caller passes the program directory (sendmail's
 *	CMDDIR; Solaris /var/adm/sm.bin), the flags and the job.
 *
 * DIAGNOSTICS
 *	As in server/smrsh.h: a refused command is SM_SMRSH_PERMFAIL with
 *	smrsh's message in out, logged at LOG_NOTICE with the command made
 *	printable; a run gives SM_SMRSH_OK, SM_SMRSH_TEMPFAIL (exit 75,
 *	signal, timeout, cannot start) or SM_SMRSH_PERMFAIL (other exit
 *	status, bad job), logged once at LOG_WARNING or LOG_ERR.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "server/smrsh.h"

#define SHELL "/bin/sh"
#define MAXENV 32     /* extra environment entries accepted */
#define LOGCMDMAX 100 /* bytes of a command shown in the log */
#define POLLSLICE 20  /* ms between waitpid() checks once the output pipe is closed */

/* the bytes smrsh refuses (and their 8-bit variants), as sendmail's SPECIALS */
static const char specials[] = "<|>^();&`$\r\n";

/* is_special - one of the refused bytes, or its 8-bit variant */
static int is_special(unsigned char c)
{
	return (c & 0x7f) != 0 && strchr(specials, c & 0x7f) != NULL;
}

/* is_blank - a byte that separates command words */
static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* char_name - c as shown in a message: itself when printable, else \r, \n or \xNN */
static const char *char_name(unsigned char c, char *buf, size_t size)
{
	if (c == '\r')
		snprintf(buf, size, "\\r");
	else if (c == '\n')
		snprintf(buf, size, "\\n");
	else if (c < 0x20 || c >= 0x7f)
		snprintf(buf, size, "\\x%02X", c);
	else
		snprintf(buf, size, "%c", c);
	return buf;
}

/* refused - log the message already in out for cmd; SM_SMRSH_PERMFAIL */
static enum sm_smrsh_status refused(const char *cmd, size_t len, struct sm_buf *out)
{
	char *shown = sm_printable(cmd ? cmd : "", cmd ? len : 0, LOGCMDMAX);

	sm_log(LOG_NOTICE, "%s; command \"%s\"", sm_buf_str(out), shown);
	free(shown);
	return SM_SMRSH_PERMFAIL;
}

/* bindir_ok - an absolute directory name that /bin/sh takes literally */
static int bindir_ok(const char *dir)
{
	const char *p;

	if (dir[0] != '/' || strlen(dir) > PATH_MAX / 2)
		return 0;
	for (p = dir; *p; p++)
		if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') && !(*p >= '0' && *p <= '9') &&
		    strchr("/._+-", *p) == NULL)
			return 0;
	return 1;
}

/* word_is - the n bytes at w are exactly the word s */
static int word_is(const char *w, size_t n, const char *s)
{
	return n == strlen(s) && memcmp(w, s, n) == 0;
}

/* check_program - is bindir/prog an executable file; 0 with the path added to out, or -1 with the message in out */
static int check_program(const char *bindir, const char *prog, size_t n, struct sm_buf *out)
{
	char *name = sm_strndup(prog, n);
	char *shown = sm_printable(prog, n, LOGCMDMAX);
	char *path = sm_asprintf("%s/%s", bindir, name);
	const char *why = NULL;
	struct stat st;
	int rc = 0;

	if (strlen(path) >= PATH_MAX || stat(path, &st) < 0)
		why = " (stat failed)";
	else if (!S_ISREG(st.st_mode))
		why = " (not a file)";
	else if (access(path, X_OK) < 0)
		why = "";
	if (why != NULL) {
		sm_buf_reset(out);
		sm_buf_printf(out, "smrsh: \"%s\" not available for sendmail programs%s", shown, why);
		rc = -1;
	} else {
		sm_buf_adds(out, path);
	}
	free(path);
	free(shown);
	free(name);
	return rc;
}

/* sm_smrsh_check - apply smrsh's rules to cmd; the rewritten command or the refusal in out */
enum sm_smrsh_status sm_smrsh_check(const char *cmd, size_t len, const char *bindir, unsigned flags,
                                    struct sm_buf *out)
{
	const char *sep = NULL; /* the separator before this command; NULL for the first */
	size_t i = 0, start, base;
	int isexec = 0;
	char cbuf[8];

	sm_buf_reset(out);
	if (bindir == NULL)
		bindir = SM_SMRSH_BINDIR;
	if (cmd == NULL)
		len = 0;
	if (!bindir_ok(bindir)) {
		sm_buf_adds(out, "smrsh: bad program directory");
		return refused(cmd, len, out);
	}
	if (len > SM_SMRSH_MAXCMD) {
		sm_buf_adds(out, "smrsh: command too long");
		return refused(cmd, len, out);
	}
	if (len > 0 && memchr(cmd, '\0', len) != NULL) {
		sm_buf_adds(out, "smrsh: cannot use NUL in command");
		return refused(cmd, len, out);
	}
	while (i < len && is_blank(cmd[i]))
		i++;
	if (i == len) {
		sm_buf_adds(out, "smrsh: empty command");
		return refused(cmd, len, out);
	}
	i = 0;
	for (;;) {
		/* blanks before a command word are kept as they are */
		while (i < len && is_blank(cmd[i]))
			sm_buf_addc(out, cmd[i++]);
		if (i == len || is_special((unsigned char)cmd[i])) {
			sm_buf_reset(out);
			if (isexec)
				sm_buf_adds(out, "smrsh: missing command to exec");
			else if (i == len)
				sm_buf_printf(out, "smrsh: missing command after %s", sep ? sep : "nothing");
			else
				sm_buf_printf(out, "smrsh: cannot use %s in command",
				              char_name((unsigned char)cmd[i], cbuf, sizeof(cbuf)));
			return refused(cmd, len, out);
		}

		/* the command word; its leading path (also an 8-bit '/') is stripped */
		start = i;
		while (i < len && !is_blank(cmd[i]) && !is_special((unsigned char)cmd[i]))
			i++;
		for (base = i; base > start && (cmd[base - 1] & 0x7f) != '/'; base--)
			;
		if (word_is(cmd + start, i - start, "exec")) {
			sm_buf_adds(out, "exec");
			isexec = 1;
			continue;
		}
		isexec = 0;
		if (word_is(cmd + start, i - start, "exit") || word_is(cmd + start, i - start, "echo"))
			sm_buf_add(out, cmd + start, i - start);
		else if (check_program(bindir, cmd + base, i - base, out) < 0)
			return refused(cmd, len, out);

		/* its arguments, up to the next special byte */
		start = i;
		while (i < len && !is_special((unsigned char)cmd[i]))
			i++;
		sm_buf_add(out, cmd + start, i - start);
		if (i == len)
			break;
		if (cmd[i] == ';' && (flags & SM_SMRSH_ALLOWSEMI)) {
			sm_buf_addc(out, ';');
			sep = ";";
			i++;
		} else if ((cmd[i] == '&' || cmd[i] == '|') && i + 1 < len && cmd[i + 1] == cmd[i]) {
			sm_buf_add(out, cmd + i, 2);
			sep = cmd[i] == '&' ? "&&" : "||";
			i += 2;
		} else {
			sm_buf_reset(out);
			sm_buf_printf(out, "smrsh: cannot use %s in command",
			              char_name((unsigned char)cmd[i], cbuf, sizeof(cbuf)));
			return refused(cmd, len, out);
		}
	}
	return SM_SMRSH_OK;
}

/* env_ok - s is NAME=value with a shell variable name other than PATH and SHELL */
static int env_ok(const char *s)
{
	const char *p = s;

	if (!(*p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
		return 0;
	while (*p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9'))
		p++;
	if (*p != '=')
		return 0;
	return strncmp(s, "PATH=", 5) != 0 && strncmp(s, "SHELL=", 6) != 0;
}

/* child_fail - in the child: report why the program cannot start on stderr, exit EX_TEMPFAIL */
static void __attribute__((noreturn)) child_fail(const char *what, int err)
{
	char msg[256];
	int n = snprintf(msg, sizeof(msg), "smrsh: %s: %s\n", what, strerror(err));

	if (n > 0)
		(void)!write(2, msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1);
	_exit(SM_SMRSH_EX_TEMPFAIL);
}

/* child_exec - in the child: set up descriptors, privileges, directory; exec the shell */
static void __attribute__((noreturn)) child_exec(const struct sm_smrsh_job *job, char *const envp[], int wfd)
{
	char *argv[4] = { (char *)"sh", (char *)"-c", (char *)job->command, NULL };
	int in = job->stdin_fd, fd;
	long maxfd;
	sigset_t all;

	(void)setpgid(0, 0);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);

	/* keep both descriptors clear of 0, 1 and 2 before moving them there */
	if ((wfd = fcntl(wfd, F_DUPFD, 3)) < 0)
		_exit(SM_SMRSH_EX_TEMPFAIL);
	if (in < 0)
		in = open("/dev/null", O_RDONLY);
	if (in < 0 || (in = fcntl(in, F_DUPFD, 3)) < 0)
		child_fail("cannot open standard input", errno);
	if (dup2(in, 0) < 0 || dup2(wfd, 1) < 0 || dup2(wfd, 2) < 0)
		_exit(SM_SMRSH_EX_TEMPFAIL);
	/* CVE-2014-3956: nothing but 0, 1 and 2 may reach the program */
	maxfd = sysconf(_SC_OPEN_MAX);
	if (maxfd < 0 || maxfd > 65536)
		maxfd = 65536;
	for (fd = 3; fd < maxfd; fd++)
		(void)close(fd);

	if (geteuid() == 0 && job->uid != geteuid()) {
		if (setgroups(1, &job->gid) < 0)
			child_fail("cannot set groups", errno);
		if (setgid(job->gid) < 0)
			child_fail("cannot set gid", errno);
		if (setuid(job->uid) < 0)
			child_fail("cannot set uid", errno);
		if (getuid() != job->uid || geteuid() != job->uid)
			child_fail("cannot set uid", EPERM);
	}
	if (job->home == NULL || chdir(job->home) < 0)
		if (chdir("/") < 0)
			child_fail("cannot change directory to /", errno);
	execve(SHELL, argv, envp);
	child_fail("cannot execute " SHELL, errno);
}

/* keep_line - add the bytes of the first output line to line; *done once it is complete */
static void keep_line(struct sm_buf *line, int *done, const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n && !*done; i++) {
		if (p[i] == '\n' || line->len >= SM_SMRSH_TEXTMAX)
			*done = 1;
		else
			sm_buf_addc(line, p[i]);
	}
}

/* collect - read the child's output and wait for it; 0 with *wstatus, 1 on timeout, -1 if it cannot be waited for */
static int collect(pid_t pid, int rfd, unsigned timeout, struct sm_buf *line, int *wstatus)
{
	long long deadline = sm_clock_ms() + (long long)timeout * 1000;
	struct pollfd pfd = { .fd = rfd, .events = POLLIN };
	int open_ = 1, done = 0, ms, n;
	char buf[4096];
	ssize_t got;
	pid_t r;

	for (;;) {
		if (!open_) {
			r = waitpid(pid, wstatus, timeout ? WNOHANG : 0);
			if (r == pid)
				return 0;
			if (r < 0 && errno != EINTR)
				return -1;
		}
		ms = -1;
		if (timeout) {
			long long left = deadline - sm_clock_ms();

			if (left <= 0) {
				(void)kill(-pid, SIGKILL);
				(void)kill(pid, SIGKILL);
				if (open_)
					close(rfd);
				while (waitpid(pid, wstatus, 0) < 0 && errno == EINTR)
					;
				return 1;
			}
			ms = left > INT_MAX ? INT_MAX : (int)left;
		}
		if (!open_) {
			if (ms < 0 || ms > POLLSLICE)
				ms = POLLSLICE;
			(void)poll(NULL, 0, ms);
			continue;
		}
		n = poll(&pfd, 1, ms);
		if (n <= 0)
			continue;
		got = read(rfd, buf, sizeof(buf));
		if (got > 0) {
			keep_line(line, &done, buf, (size_t)got);
		} else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
			close(rfd);
			open_ = 0;
		}
	}
}

/* exit_outcome - what an exit status of /bin/sh -c means for the delivery */
static enum sm_smrsh_status exit_outcome(int code)
{
	if (code == 0)
		return SM_SMRSH_OK;
	if (code == SM_SMRSH_EX_TEMPFAIL)
		return SM_SMRSH_TEMPFAIL;
	/* the shell reports a command killed by signal N as 128 + N */
	if (code > 128 && code <= 128 + 64)
		return SM_SMRSH_TEMPFAIL;
	return SM_SMRSH_PERMFAIL;
}

/* sm_smrsh_run - run a checked command as the controlling user; the first output line in text */
enum sm_smrsh_status sm_smrsh_run(const struct sm_smrsh_job *job, int *exit_status, struct sm_buf *text)
{
	struct sm_buf line = SM_BUF_INIT;
	enum sm_smrsh_status st;
	char *envp[MAXENV + 3];
	size_t i, n = 0;
	int fds[2], wstatus = 0, rc, saved;
	char *shown, *out;
	pid_t pid;

	*exit_status = -1;
	sm_buf_reset(text);
	if (job->command == NULL || job->command[0] == '\0') {
		sm_buf_adds(text, "no command to run");
		sm_log(LOG_ERR, "smrsh: %s", sm_buf_str(text));
		return SM_SMRSH_PERMFAIL;
	}
	envp[n++] = (char *)SM_SMRSH_PATH;
	envp[n++] = (char *)"SHELL=" SHELL;
	for (i = 0; job->env != NULL && job->env[i] != NULL; i++) {
		if (i >= MAXENV || !env_ok(job->env[i])) {
			shown = sm_printable(job->env[i], strlen(job->env[i]), LOGCMDMAX);
			sm_buf_printf(text, "bad environment entry \"%s\"", shown);
			free(shown);
			sm_log(LOG_ERR, "smrsh: %s", sm_buf_str(text));
			return SM_SMRSH_PERMFAIL;
		}
		envp[n++] = (char *)job->env[i];
	}
	envp[n] = NULL;

	shown = sm_printable(job->command, strlen(job->command), LOGCMDMAX);
	if (pipe(fds) < 0 || fcntl(fds[0], F_SETFD, FD_CLOEXEC) < 0) {
		saved = errno;
		sm_buf_printf(text, "cannot create pipe: %s", strerror(saved));
		sm_log(LOG_ERR, "smrsh: program \"%s\": %s", shown, sm_buf_str(text));
		free(shown);
		return SM_SMRSH_TEMPFAIL;
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		child_exec(job, envp, fds[1]);
	}
	saved = errno;
	close(fds[1]);
	if (pid < 0) {
		close(fds[0]);
		sm_buf_printf(text, "cannot fork: %s", strerror(saved));
		sm_log(LOG_ERR, "smrsh: program \"%s\": %s", shown, sm_buf_str(text));
		free(shown);
		return SM_SMRSH_TEMPFAIL;
	}
	(void)setpgid(pid, pid);

	rc = collect(pid, fds[0], job->timeout, &line, &wstatus);
	while (line.len > 0 && line.data[line.len - 1] == '\r')
		line.data[--line.len] = '\0';
	out = sm_printable(line.data ? line.data : "", line.len, SM_SMRSH_TEXTMAX);
	if (rc < 0) {
		st = SM_SMRSH_TEMPFAIL;
		sm_buf_printf(text, "cannot wait for program: %s", strerror(errno));
	} else if (rc > 0) {
		st = SM_SMRSH_TEMPFAIL;
		sm_buf_adds(text, "program timed out");
	} else if (WIFEXITED(wstatus)) {
		*exit_status = WEXITSTATUS(wstatus);
		st = exit_outcome(*exit_status);
		if (*out != '\0')
			sm_buf_adds(text, out);
		else if (st != SM_SMRSH_OK)
			sm_buf_printf(text, "program exited with status %d", *exit_status);
	} else {
		st = SM_SMRSH_TEMPFAIL;
		if (*out != '\0')
			sm_buf_adds(text, out);
		else
			sm_buf_printf(text, "program killed by signal %d",
			              WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : 0);
	}
	switch (st) {
	case SM_SMRSH_OK:
		break;
	case SM_SMRSH_TEMPFAIL:
	case SM_SMRSH_PERMFAIL:
		sm_log(LOG_WARNING, "smrsh: program \"%s\" %s: %s", shown,
		       st == SM_SMRSH_TEMPFAIL ? "deferred" : "failed", sm_buf_str(text));
		break;
	}
	free(out);
	free(shown);
	sm_buf_free(&line);
	return st;
}
