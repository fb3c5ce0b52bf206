/*
 * server/remote.h - the SMTP delivery agent: a message's recipients for one destination, over SMTP
 *
 * SYNOPSIS
 *	#include "server/remote.h"
 *
 *	struct sm_remote *sm_remote_new(const struct sm_config *cf);
 *	void sm_remote_deliver(struct sm_remote *r, struct sm_switch *sw, struct sm_router *rt,
 *	                       const char *dest, const char *sender, const struct sm_qmsg *msg,
 *	                       struct sm_remote_rcpt *rc, size_t n, int force, struct sm_trace *tr);
 *	void sm_remote_idle(struct sm_remote *r);
 *	void sm_remote_free(struct sm_remote *r);
 *
 * DESCRIPTION
 *	sm_remote_deliver() sends message msg with envelope sender sender
 *	("" for <>) to the n recipients rc (indexes into msg->rcpt), all
 *	routed to destination dest (server/nexthop.h says which hosts that
 *	means). Hosts are tried in order, and each address of a host in
 *	turn, until every recipient is decided:
 *	  - a recipient the server accepts is delivered; one it refuses
 *	    with 5xx fails (it is bounced); one it refuses with 4xx at RCPT
 *	    is deferred;
 *	  - a failure of the whole transaction (no connection, a greeting
 *	    or HELO refused, MAIL or DATA refused with 4xx, the connection
 *	    lost) moves on to the next address or host; 5xx to MAIL or at
 *	    the end of data fails every recipient of the transaction;
 *	  - a greeting naming this host (mail loops back to me) fails them
 *	    with 553 5.3.5, as does an MX list that points back to us;
 *	  - when no host is left, the recipients still undecided are
 *	    deferred with the last temporary reply.
 *	A host that failed at connection level is skipped, with its stored
 *	reply, until MinBackoff has passed (server/hoststat.h), unless force
 *	is set (a queue run the administrator asked for). Connections
 *	are kept open after a transaction for the next message to the same
 *	address (at most MaxMessagesPerConnection messages each, closed
 *	after a few idle seconds), and at most MaxHostConnections are open
 *	to one host at once. It is safe to call from several threads.
 *	sm_remote_idle() closes connections that have been idle too long.
 *
 * RESULTS
 *	Each rc[i] gets state (DELIVERED, FAILED or DEFERRED), reply (the
 *	remote reply, or ours when no server decided), mta (the host that
 *	answered, or NULL) and dsn (1 when that server took over the
 *	delivery status notifications: it offered DSN).
 *
 * WHO FREES WHAT
 *	sm_remote_new() returns an agent freed by sm_remote_free(), which
 *	closes every kept connection. The caller frees rc[i].reply and
 *	rc[i].mta. sw, rt and msg stay the caller's.
 *
 * CONFIGURATION
 *	HostName, SmtpPort, ConnectTimeout, GreetingTimeout, ReplyTimeout,
 *	MaxHostConnections, MaxMessagesPerConnection, MinBackoff,
 *	FallBackSmartHost, HostStatusDirectory.
 *
 * DIAGNOSTICS
 *	Each connection failure is logged at LOG_INFO with host and
 *	address; a loop back to this host at LOG_ERR.
 */
#ifndef SM_REMOTE_H
#define SM_REMOTE_H

#include <stddef.h>

#include "nsswitch/switch.h"
#include "router/router.h"
#include "server/queue.h"

/* one recipient of a remote delivery */
struct sm_remote_rcpt {
	size_t index;         /* into msg->rcpt; set by the caller */
	enum sm_rstate state; /* results */
	char *reply;
	char *mta;
	int dsn;
};

struct sm_remote;

struct sm_remote *sm_remote_new(const struct sm_config *cf);
void sm_remote_deliver(struct sm_remote *r, struct sm_switch *sw, struct sm_router *rt, const char *dest,
                       const char *sender, const struct sm_qmsg *msg, struct sm_remote_rcpt *rc, size_t n,
                       int force, struct sm_trace *tr);
void sm_remote_idle(struct sm_remote *r);
void sm_remote_free(struct sm_remote *r);

#endif
