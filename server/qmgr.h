/*
 * server/qmgr.h - the queue manager: schedules deliveries, retries, delay warnings and bounces
 *
 * SYNOPSIS
 *	#include "server/qmgr.h"
 *
 *	struct sm_qmgr *sm_qmgr_new(const struct sm_config *cf, struct sm_queue *q, const char *qdir);
 *	int sm_qmgr_run(struct sm_qmgr *m, const struct sm_qsel *sel, int quarantined);
 *	int sm_qmgr_serve(struct sm_qmgr *m, const struct sm_qpending *recovered, size_t n,
 *	                  long interval, volatile int *stop);
 *	void sm_qmgr_free(struct sm_qmgr *m);
 *
 * DESCRIPTION
 *	A queued recipient carries the target the SMTP side or the command
 *	line chose when it accepted it (server/target.h): a mailbox (local),
 *	a file (*file*), a program (prog), another host (esmtp, relay), or a
 *	permanent failure found while expanding an alias (error). Delivering
 *	a message means, for each recipient not yet done, running its agent:
 *	local, *file* and prog through server/deliver.h. Before a program or
 *	file is run, the envelope recipient is routed again and the target
 *	must still be among the results: the queue file was written by the
 *	unprivileged SMTP side, and only the aliases and .forward files
 *	decide what runs. Remote targets (esmtp, relay) of one attempt are
 *	gathered by destination host and envelope sender, and each group goes
 *	to the SMTP delivery agent (server/remote.h) as one transaction; a
 *	forced run (-q) tries hosts whose host status says they failed
 *	recently. A NOTIFY=SUCCESS recipient handed to a server that does
 *	not offer DSN gets a "relayed" report; one that does gets none from
 *	us.
 *
 *	After an attempt: a failed recipient is reported to the sender in an
 *	RFC 3464 bounce (server/dsn.h; a report about a bounce goes to the
 *	postmaster); NOTIFY=SUCCESS recipients get a success notice; the
 *	reports are committed before the message's own status changes, so a
 *	crash can repeat a report but never lose one. When every recipient is
 *	done the message is removed. Otherwise each changed recipient gets a
 *	status record with its next try: MinBackoff after the first failure,
 *	doubling up to MaxBackoff. A message older than QueueWarn gets one
 *	delay warning; one older than QueueReturn bounces every recipient
 *	still waiting ("4.4.7 Message could not be delivered for 5 days").
 *	A quarantined message is never delivered.
 *
 *	Every delivery holds an flock() on the message file, so two queue
 *	runners (the daemon and a "switchmail -q") never deliver one message
 *	at once; a locked message is skipped.
 *
 *	sm_qmgr_run() is one queue run in the foreground ("switchmail -q"):
 *	every message that sel matches (NULL: all; quarantined selects the
 *	quarantined ones instead, -qQ) is tried now, whatever its next try.
 *	It returns EX_OK, or EX_TEMPFAIL when the queue cannot be read.
 *
 *	sm_qmgr_serve() is the daemon's side: it schedules the recovered
 *	messages, watches the queue directory with inotify so that a message
 *	committed by the SMTP side or the command line is delivered at once,
 *	retries each deferred message at its next try, rescans the directory
 *	every interval seconds (0: never), and runs DeliveryAgents deliveries
 *	at once in threads. It returns 0 when *stop becomes non-zero, after
 *	the deliveries under way have finished; -1 when it cannot start.
 *
 * CONFIGURATION
 *	DeliveryAgents, MinBackoff, MaxBackoff, QueueWarn, QueueReturn,
 *	HostName; what server/deliver.h, server/remote.h and the router read.
 *
 * WHO FREES WHAT
 *	sm_qmgr_new() returns a manager freed by sm_qmgr_free(); cf, q and
 *	qdir stay the caller's and must outlive it.
 *
 * DIAGNOSTICS
 *	One line per recipient and attempt: "QID: to=<addr>, mailer=M,
 *	stat=Sent|Deferred|Bounced (reply)" at LOG_INFO, and "QID: removed",
 *	"QID: sender notified of N failures (report RID)", "QID: quarantined"
 *	as they happen. A message that cannot be loaded is logged by the queue
 *	layer; a target that cannot be decoded is deferred and logged at
 *	LOG_ERR.
 */
#ifndef SM_QMGR_H
#define SM_QMGR_H

#include <stddef.h>

#include "lib/cfg.h"
#include "server/mailq.h"
#include "server/queue.h"

struct sm_qmgr;

struct sm_qmgr *sm_qmgr_new(const struct sm_config *cf, struct sm_queue *q, const char *qdir);
int sm_qmgr_run(struct sm_qmgr *m, const struct sm_qsel *sel, int quarantined);
int sm_qmgr_serve(struct sm_qmgr *m, const struct sm_qpending *recovered, size_t n, long interval,
                  volatile int *stop);
void sm_qmgr_free(struct sm_qmgr *m);

#endif
