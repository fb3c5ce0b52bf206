/*
 * server/daemon.c - the daemon's supervisor (see daemon.h)
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/mem.h"
#include "server/daemon.h"
#include "server/qmgr.h"
#include "server/queue.h"
#include "server/smtpd.h"
#include "server/tls.h"

static volatile sig_atomic_t got_term, got_hup;
static volatile int child_stop;
static struct sm_smtpd *child_smtpd;
static int pid_fd = -1; /* the locked pid file: children close their copy */

/* on_term - SIGTERM/SIGINT in the supervisor */
static void on_term(int sig)
{
	(void)sig;
	got_term = 1;
}

/* on_hup - SIGHUP in the supervisor */
static void on_hup(int sig)
{
	(void)sig;
	got_hup = 1;
}

/* on_child_term - SIGTERM in a child */
static void on_child_term(int sig)
{
	(void)sig;
	child_stop = 1;
	if (child_smtpd)
		sm_smtpd_stop(child_smtpd);
}

/* set_signal - install handler fn for sig */
static void set_signal(int sig, void (*fn)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

/* parse_one - one listener "Port=...,Addr=...,Family=...,Name=..." */
static int parse_one(const char *spec, struct sm_listen *l, struct sm_buf *err)
{
	char *copy = sm_strdup(spec), *save = NULL, *kv;
	const char *port = "smtp", *addr = NULL, *family = NULL, *name = "MTA";
	struct addrinfo hints, *ai = NULL;
	int rc = -1, e;

	for (kv = strtok_r(copy, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(kv, '=');

		while (*kv == ' ' || *kv == '\t')
			kv++;
		if (eq == NULL) {
			sm_buf_printf(err, "DaemonPortOptions: \"%s\" is not Key=value", kv);
			goto out;
		}
		*eq++ = '\0';
		if (strcasecmp(kv, "Port") == 0 || strcasecmp(kv, "P") == 0)
			port = eq;
		else if (strcasecmp(kv, "Addr") == 0 || strcasecmp(kv, "A") == 0)
			addr = eq;
		else if (strcasecmp(kv, "Family") == 0 || strcasecmp(kv, "F") == 0)
			family = eq;
		else if (strcasecmp(kv, "Name") == 0 || strcasecmp(kv, "N") == 0)
			name = eq;
		else if (strcasecmp(kv, "Modifiers") == 0 || strcasecmp(kv, "M") == 0)
			continue;
		else {
			sm_buf_printf(err, "DaemonPortOptions: unknown key %s", kv);
			goto out;
		}
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST;
	if (family && strcasecmp(family, "inet6") == 0)
		hints.ai_family = AF_INET6;
	else if (family && strcasecmp(family, "inet") == 0)
		hints.ai_family = AF_INET;
	else if (family) {
		sm_buf_printf(err, "DaemonPortOptions: unknown Family %s", family);
		goto out;
	}
	if (addr == NULL && hints.ai_family == 0)
		hints.ai_family = AF_INET;
	if ((e = getaddrinfo(addr, port, &hints, &ai)) != 0 || ai == NULL) {
		sm_buf_printf(err, "DaemonPortOptions: Addr=%s Port=%s: %s", addr ? addr : "(any)", port,
		              gai_strerror(e));
		goto out;
	}
	memcpy(&l->addr, ai->ai_addr, ai->ai_addrlen);
	l->len = ai->ai_addrlen;
	snprintf(l->name, sizeof(l->name), "%s", name);
	rc = 0;
out:
	if (ai)
		freeaddrinfo(ai);
	free(copy);
	return rc;
}

/* sm_listen_parse - the listeners of DaemonPortOptions (see daemon.h) */
int sm_listen_parse(const char *spec, struct sm_listen **lv, size_t *n, struct sm_buf *err)
{
	char *copy = sm_strdup(spec), *save = NULL, *one;

	*lv = NULL;
	*n = 0;
	for (one = strtok_r(copy, ";", &save); one; one = strtok_r(NULL, ";", &save)) {
		*lv = sm_realloc(*lv, (*n + 1) * sizeof(**lv));
		if (parse_one(one, &(*lv)[*n], err) < 0) {
			free(copy);
			free(*lv);
			*lv = NULL;
			*n = 0;
			return -1;
		}
		(*n)++;
	}
	free(copy);
	if (*n == 0) {
		sm_buf_printf(err, "DaemonPortOptions: no listener");
		return -1;
	}
	return 0;
}

/* bind_all - listening sockets for every listener; -1 with the reason logged */
static int bind_all(const struct sm_listen *lv, size_t n, int *fds)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char host[INET6_ADDRSTRLEN], port[16];
		int one = 1, fd = socket(lv[i].addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

		getnameinfo((const struct sockaddr *)&lv[i].addr, lv[i].len, host, sizeof(host), port,
		            sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV);
		if (fd >= 0)
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (fd >= 0 && lv[i].addr.ss_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		if (fd < 0 || bind(fd, (const struct sockaddr *)&lv[i].addr, lv[i].len) < 0 ||
		    listen(fd, 512) < 0) {
			sm_log(LOG_ERR, "daemon: cannot listen on %s port %s (%s): %s", host, port,
			       lv[i].name, strerror(errno));
			if (fd >= 0)
				close(fd);
			while (i-- > 0)
				close(fds[i]);
			return -1;
		}
		sm_log(LOG_INFO, "daemon: listening on %s port %s (%s)", host, port, lv[i].name);
		fds[i] = fd;
	}
	return 0;
}

/* take_pidfile - create and lock the pid file; its descriptor, or -1 */
static int take_pidfile(const char *path)
{
	char buf[32];
	int fd, n;

	if (path == NULL || *path == '\0')
		return -2;
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644)) < 0) {
		sm_log(LOG_ERR, "daemon: cannot open pid file %s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		sm_log(LOG_ERR, "daemon: %s is locked: another switchmail daemon is running", path);
		close(fd);
		return -1;
	}
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || write(fd, buf, (size_t)n) != n) {
		sm_log(LOG_ERR, "daemon: cannot write pid file %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* drop_to - become user pw for good; 0, or -1 with the reason logged */
static int drop_to(const struct passwd *pw)
{
	if (setgroups(1, &pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0) {
		sm_log(LOG_ERR, "daemon: cannot become %s: %s", pw->pw_name, strerror(errno));
		return -1;
	}
	if (pw->pw_uid != 0 && setuid(0) == 0) {
		sm_log(LOG_CRIT, "daemon: could regain root after dropping it");
		return -1;
	}
	return 0;
}

/* child_common - what both children do first */
static void child_common(void)
{
	if (pid_fd >= 0)
		close(pid_fd); /* the lock belongs to the supervisor alone */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	set_signal(SIGTERM, on_child_term);
	set_signal(SIGINT, on_child_term);
	set_signal(SIGHUP, SIG_IGN);
	set_signal(SIGPIPE, SIG_IGN);
	set_signal(SIGCHLD, SIG_DFL);
}

/* run_smtpd - the SMTP child; never returns */
static void run_smtpd(const struct sm_config *cf, const char *qdir, const int *fds, size_t n,
                      const struct passwd *pw)
{
	struct sm_queue *q = NULL;
	struct sm_buf err = SM_BUF_INIT;
	struct sm_tls *tls;
	int rc;

	child_common();
	tls = sm_tls_server_new(cf, &err); /* before dropping root: the key may be root's alone */
	if (err.len)
		sm_log(LOG_ERR, "smtpd: STARTTLS not offered: %s", err.data);
	sm_buf_free(&err);
	if (pw && drop_to(pw) < 0)
		_exit(EX_OSERR);
	if (sm_queue_open(qdir, &q, NULL) != SM_QOK)
		_exit(EX_OSERR);
	child_smtpd = sm_smtpd_new(cf, q, fds, n, tls);
	if (child_stop)
		sm_smtpd_stop(child_smtpd);
	rc = sm_smtpd_run(child_smtpd);
	sm_smtpd_free(child_smtpd);
	child_smtpd = NULL;
	sm_queue_close(q);
	_exit(rc == 0 ? EX_OK : EX_OSERR);
}

/* run_qmgr - the queue manager child; never returns */
static void run_qmgr(const struct sm_config *cf, const char *qdir, long interval, const int *fds, size_t nfds)
{
	struct sm_queue *q = NULL;
	struct sm_qmgr *m;
	size_t i;
	int rc;

	child_common();
	for (i = 0; i < nfds; i++)
		close(fds[i]);
	if (sm_queue_open(qdir, &q, NULL) != SM_QOK)
		_exit(EX_OSERR);
	m = sm_qmgr_new(cf, q, qdir);
	rc = sm_qmgr_serve(m, NULL, 0, interval, &child_stop);
	sm_qmgr_free(m);
	sm_queue_close(q);
	_exit(rc == 0 ? EX_OK : EX_OSERR);
}

/* make_queue_dir - QueueDirectory, owned by pw when given; 0 or -1 */
static int make_queue_dir(const char *qdir, const struct passwd *pw)
{
	struct stat st;

	if (mkdir(qdir, 0700) < 0 && errno != EEXIST) {
		sm_log(LOG_ERR, "daemon: cannot create %s: %s", qdir, strerror(errno));
		return -1;
	}
	if (lstat(qdir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		sm_log(LOG_ERR, "daemon: %s is not a directory", qdir);
		return -1;
	}
	if (pw && (st.st_uid != pw->pw_uid) && chown(qdir, pw->pw_uid, pw->pw_gid) < 0) {
		sm_log(LOG_ERR, "daemon: cannot give %s to %s: %s", qdir, pw->pw_name, strerror(errno));
		return -1;
	}
	return 0;
}

/* recover - clean the queue before anything else uses it */
static int recover(const char *qdir)
{
	struct sm_queue *q;
	struct sm_qpending *list;
	size_t n;

	if (sm_queue_open(qdir, &q, NULL) != SM_QOK)
		return -1;
	if (sm_queue_recover(q, &list, &n, NULL) == SM_QOK) {
		sm_log(LOG_INFO, "daemon: %zu message%s waiting in %s", n, n == 1 ? "" : "s", qdir);
		sm_queue_pending_free(list, n);
	}
	sm_queue_close(q);
	return 0;
}

/* detach - become a background process */
static int detach(void)
{
	pid_t pid = fork();
	int fd;

	if (pid < 0)
		return -1;
	if (pid > 0)
		_exit(EX_OK);
	setsid();
	if (chdir("/") < 0)
		return -1;
	if ((fd = open("/dev/null", O_RDWR)) >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	return 0;
}

/* sm_daemon_run - run the daemon until told to stop (see daemon.h) */
int sm_daemon_run(const struct sm_config *cf, const struct sm_daemon_opts *opts)
{
	const char *qdir = sm_config_str(cf, "QueueDirectory");
	struct passwd *pw = NULL, pwcopy;
	struct sm_listen *lv = NULL;
	struct sm_buf err = SM_BUF_INIT;
	size_t n = 0, i;
	int *fds = NULL, pidfd = -2, rc = EX_OK;
	pid_t smtpd = 0, qmgr = 0;
	time_t smtpd_restart = 0, qmgr_restart = 0;

	if (geteuid() == 0 && *sm_config_str(cf, "RunAsUser") == '\0') {
		sm_log(LOG_WARNING, "daemon: RunAsUser is empty: the SMTP side keeps root's privileges");
	} else if (geteuid() == 0) {
		const char *user = sm_config_str(cf, "RunAsUser");

		if ((pw = getpwnam(user)) == NULL || pw->pw_uid == 0) {
			sm_log(LOG_ERR, "daemon: RunAsUser %s is not an unprivileged user", user);
			return EX_CONFIG;
		}
		pwcopy = *pw;
		pwcopy.pw_name = sm_strdup(pw->pw_name);
		pw = &pwcopy;
	}
	if (opts->listen && sm_listen_parse(sm_config_str(cf, "DaemonPortOptions"), &lv, &n, &err) < 0) {
		sm_log(LOG_ERR, "daemon: %s", err.data);
		rc = EX_CONFIG;
		goto out;
	}
	if (make_queue_dir(qdir, pw) < 0 || recover(qdir) < 0) {
		rc = EX_OSERR;
		goto out;
	}
	fds = sm_calloc(n ? n : 1, sizeof(*fds));
	if (n > 0 && bind_all(lv, n, fds) < 0) {
		rc = EX_OSERR;
		goto out;
	}
	if (!opts->foreground && detach() < 0) {
		sm_log(LOG_ERR, "daemon: cannot detach: %s", strerror(errno));
		rc = EX_OSERR;
		goto out;
	}
	if ((pidfd = take_pidfile(sm_config_str(cf, "PidFile"))) == -1) {
		rc = EX_OSERR;
		goto out;
	}
	pid_fd = pidfd;
	set_signal(SIGTERM, on_term);
	set_signal(SIGINT, on_term);
	set_signal(SIGHUP, on_hup);
	set_signal(SIGPIPE, SIG_IGN);
	sm_log(LOG_NOTICE, "daemon: started (pid %ld)%s", (long)getpid(), n ? "" : ", queue runner only");
	while (!got_term) {
		time_t now = time(NULL);
		int status;
		pid_t dead;

		if (n > 0 && smtpd == 0 && now >= smtpd_restart) {
			if ((smtpd = fork()) == 0)
				run_smtpd(cf, qdir, fds, n, pw);
			if (smtpd < 0) {
				sm_log(LOG_ERR, "daemon: fork: %s", strerror(errno));
				smtpd = 0;
				smtpd_restart = now + 1;
			}
		}
		if (qmgr == 0 && now >= qmgr_restart) {
			if ((qmgr = fork()) == 0)
				run_qmgr(cf, qdir, opts->interval, fds, n);
			if (qmgr < 0) {
				sm_log(LOG_ERR, "daemon: fork: %s", strerror(errno));
				qmgr = 0;
				qmgr_restart = now + 1;
			}
		}
		if (got_hup) {
			got_hup = 0;
			sm_log(LOG_NOTICE, "daemon: SIGHUP: restarting the children");
			if (smtpd > 0)
				kill(smtpd, SIGTERM);
			if (qmgr > 0)
				kill(qmgr, SIGTERM);
		}
		dead = waitpid(-1, &status, 0);
		if (dead < 0) {
			if (errno != EINTR)
				sleep(1);
			continue;
		}
		if (dead == smtpd || dead == qmgr) {
			const char *what = dead == smtpd ? "smtpd" : "qmgr";

			if (!got_term)
				sm_log(WIFSIGNALED(status) || WEXITSTATUS(status) != 0 ? LOG_ERR : LOG_NOTICE,
				       "daemon: %s (pid %ld) %s %d; restarting it", what, (long)dead,
				       WIFSIGNALED(status) ? "killed by signal" : "exited with status",
				       WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
			if (dead == smtpd) {
				smtpd = 0;
				smtpd_restart =
				    time(NULL) + (WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1);
			} else {
				qmgr = 0;
				qmgr_restart =
				    time(NULL) + (WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1);
			}
		}
	}
	sm_log(LOG_NOTICE, "daemon: stopping");
	if (smtpd > 0)
		kill(smtpd, SIGTERM);
	if (qmgr > 0)
		kill(qmgr, SIGTERM);
	while ((smtpd > 0 || qmgr > 0)) {
		pid_t dead = waitpid(-1, NULL, 0);

		if (dead < 0 && errno != EINTR)
			break;
		if (dead == smtpd)
			smtpd = 0;
		if (dead == qmgr)
			qmgr = 0;
	}
	if (pidfd >= 0) {
		unlink(sm_config_str(cf, "PidFile"));
		close(pidfd);
	}
out:
	for (i = 0; fds && i < n; i++)
		close(fds[i]);
	free(fds);
	free(lv);
	sm_buf_free(&err);
	if (pw)
		free(pw->pw_name);
	return rc;
}
