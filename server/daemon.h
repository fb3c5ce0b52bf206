/*
 * server/daemon.h - the switchmail daemon: listeners, pid file, privileges, and its two children
 *
 * SYNOPSIS
 *	#include "server/daemon.h"
 *
 *	struct sm_daemon_opts opts = { .listen = 1, .foreground = 0, .interval = 900 };
 *	int sm_daemon_run(const struct sm_config *cf, const struct sm_daemon_opts *opts);
 *	int sm_listen_parse(const char *spec, struct sm_listen **lv, size_t *n, struct sm_buf *err);
 *
 * DESCRIPTION
 *	sm_daemon_run() is "switchmail -bd" (opts->foreground 0: it detaches)
 *	and "-bD" (foreground), and "-q15m" alone (listen 0: a queue runner
 *	only). In this order it: creates QueueDirectory (mode 0700; owned by
 *	RunAsUser when started as root), recovers the queue (temporary files
 *	removed, damaged messages moved to corrupt/), binds every address of
 *	DaemonPortOptions, detaches, takes the pid file (PidFile, locked with
 *	flock so that a second daemon refuses to start), and becomes a small
 *	single-threaded supervisor of two children:
 *	  smtpd  the SMTP server (server/smtpd.h), which drops root for
 *	         RunAsUser right after the fork: it never runs privileged;
 *	  qmgr   the queue manager (server/qmgr.h), which keeps root only to
 *	         deliver as each recipient (server/deliver.h).
 *	A child that dies is restarted after a second (logged). SIGTERM or
 *	SIGINT stops both children, removes the pid file and returns EX_OK.
 *	SIGHUP restarts both children (a new configuration needs a restart of
 *	the daemon). Started by an ordinary user, nothing changes users and
 *	everything runs as that user, as the tests and the quick start do.
 *	Started by root with RunAsUser empty, the SMTP side keeps root (logged
 *	as a warning): only for a directory the unprivileged user cannot reach.
 *
 *	DaemonPortOptions is sendmail's "Port=smtp,Addr=127.0.0.1,Name=MTA";
 *	several listeners are separated by ";". Port is a number or a service
 *	name (default smtp); Addr an IPv4 or IPv6 address (default 0.0.0.0);
 *	Family inet or inet6 (default from Addr); Name is the listener's name
 *	in the logs. sm_listen_parse() reads that syntax into an array the
 *	caller frees with free(), or returns -1 with err set.
 *
 * CONFIGURATION
 *	QueueDirectory, DaemonPortOptions, PidFile, RunAsUser; the children
 *	read theirs.
 *
 * DIAGNOSTICS
 *	sm_daemon_run() returns sysexits: EX_OK after a clean stop; EX_CONFIG
 *	for bad DaemonPortOptions or an unknown RunAsUser; EX_OSERR when an
 *	address cannot be bound, the pid file is held by a running daemon, or
 *	the queue directory cannot be made. Each reason is logged at LOG_ERR
 *	(and printed on stderr before the daemon detaches).
 */
#ifndef SM_DAEMON_H
#define SM_DAEMON_H

#include <netinet/in.h>
#include <stddef.h>
#include <sys/socket.h>

#include "lib/buf.h"
#include "lib/cfg.h"

struct sm_daemon_opts {
	int listen;     /* run the SMTP server */
	int foreground; /* -bD: do not detach; log to stderr */
	long interval;  /* seconds between queue rescans; 0: only when told (inotify, retries) */
};

/* one listening address */
struct sm_listen {
	struct sockaddr_storage addr;
	socklen_t len;
	char name[32];
};

int sm_daemon_run(const struct sm_config *cf, const struct sm_daemon_opts *opts);
int sm_listen_parse(const char *spec, struct sm_listen **lv, size_t *n, struct sm_buf *err);

#endif
