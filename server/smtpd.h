/*
 * server/smtpd.h - the SMTP server: one event loop for every session, lookups and commits off it
 *
 * SYNOPSIS
 *	#include "server/smtpd.h"
 *
 *	struct sm_smtpd *sm_smtpd_new(const struct sm_config *cf, struct sm_queue *q,
 *	                              const int *fds, size_t nfds, struct sm_tls *tls);
 *	int sm_smtpd_run(struct sm_smtpd *d);
 *	void sm_smtpd_stop(struct sm_smtpd *d);
 *	void sm_smtpd_free(struct sm_smtpd *d);
 *	int sm_smtpd_relay_check(const char *addr, int client_ok, int (*is_local)(void *, const char *),
 *	                         void *ctx, const struct sm_class *relay, const struct sm_class *virt,
 *	                         int (*is_routed)(void *, const char *));
 *
 * DESCRIPTION
 *	sm_smtpd_new() prepares a server for the listening sockets fds (bound
 *	and listening, made non-blocking here; they stay the caller's).
 *	sm_smtpd_run() serves until sm_smtpd_stop() is called (from a signal
 *	handler too: it only writes to an eventfd), then closes every session
 *	with 421 and returns 0; -1 when the loop cannot start.
 *
 *	One thread runs the event loop (epoll) for every connection: it reads,
 *	parses (server/smtpproto.h), answers and writes, and never waits for a
 *	lookup or a disk. RCPT (and VRFY or EXPN when PrivacyOptions allows
 *	them) go to LookupThreads worker threads, each with its own switch
 *	and router, so a source that takes seconds holds up only the session
 *	that asked; the session reads nothing more until the answer is back,
 *	which keeps pipelined replies in order. A finished message goes to the
 *	commit threads, each of which writes every message that is ready together with
 *	sm_queue_commit_group(): concurrent sessions share one directory
 *	fsync. 250 is sent only after the commit returned SM_QOK.
 *
 *	RCPT: the relay rule (sm_smtpd_relay_check) first, then the router;
 *	an address with any temporarily failing part gets its 4xx (451 4.4.3
 *	while a directory is failing), one with no deliverable part gets the
 *	failure's reply with the address, and otherwise 250 2.1.5. Each
 *	deliverable part (and each permanently failed part of an alias, which
 *	becomes a bounce) is stored as a queue recipient with its target:
 *	see server/qmgr.h for the target encoding. More than
 *	MaxRecipientsPerMessage recipients get 452 4.5.3.
 *
 *	sm_smtpd_relay_check() returns 1 when RCPT to addr may be accepted:
 *	the client may relay (client_ok), or the address has no domain, or
 *	its domain is ours (is_local) and neither the local part nor the %
 *	hack points elsewhere ('!', '@', or a '%' domain that is not ours), or
 *	its domain is in relay (relay-domains, subdomains included), in virt
 *	(VirtUserDomainsFile) or routed by LDAP (is_routed, may be NULL).
 *	Otherwise 0 (550 5.7.1 Relaying denied).
 *
 *	MAIL FROM: with LdapRouteBounce = sendertoo, a sender in an
 *	LDAP-routed domain is looked up (in a lookup thread, like RCPT): no
 *	entry gives 550 5.1.1, a failing directory 451 4.4.3.
 *
 *	Limits: MaxMessageSize (SIZE= is checked at MAIL, the content at the
 *	end of DATA: 552 5.3.4), command lines of 512 octets (500 5.5.2),
 *	MaxBadCommands (then 421 and close), CommandTimeout between commands,
 *	DataTimeout inside DATA, SessionDeadline for the whole session
 *	(421 4.4.2 and close, against clients that trickle bytes),
 *	MaxDaemonChildren sessions at once and ClientConnectionLimit per
 *	client address (421 4.3.2 / 421 4.7.0 at the greeting), more than 30
 *	Received: fields (554 5.4.6, a loop). RelayClients lists the
 *	addresses that may relay (default loopback).
 *
 * CONFIGURATION
 *	HostName, MaxMessageSize, MaxRecipientsPerMessage, MaxDaemonChildren,
 *	ClientConnectionLimit, MaxBadCommands, CommandTimeout, DataTimeout,
 *	SessionDeadline, LookupThreads, PrivacyOptions, HelpFile,
 *	RelayDomainsFile, VirtUserDomainsFile, RelayClients, and what the
 *	router reads.
 *
 * WHO FREES WHAT
 *	sm_smtpd_new() returns a server freed by sm_smtpd_free() after
 *	sm_smtpd_run() returned; cf and q stay the caller's and must outlive it.
 *	tls (server/tls.h: sm_tls_server_new(), built before privileges are
 *	dropped so the key may stay readable by root only; NULL: no STARTTLS)
 *	is taken over and freed with the server.
 *
 * DIAGNOSTICS
 *	Every session logs its connection and end at LOG_INFO, each accepted
 *	message "QID: from=<...>, size=N, nrcpts=N, relay=HOST [ADDR]" and
 *	each refused recipient with the reply, each commit failure at LOG_ERR
 *	(the client gets 451 4.3.0 and keeps the message).
 */
#ifndef SM_SMTPD_H
#define SM_SMTPD_H

#include <stddef.h>

#include "lib/cfg.h"
#include "router/tables.h"
#include "server/queue.h"
#include "server/tls.h"

struct sm_smtpd;

struct sm_smtpd *sm_smtpd_new(const struct sm_config *cf, struct sm_queue *q, const int *fds, size_t nfds,
                              struct sm_tls *tls);
int sm_smtpd_run(struct sm_smtpd *d);
void sm_smtpd_stop(struct sm_smtpd *d);
void sm_smtpd_free(struct sm_smtpd *d);
int sm_smtpd_relay_check(const char *addr, int client_ok, int (*is_local)(void *, const char *), void *ctx,
                         const struct sm_class *relay, const struct sm_class *virt,
                         int (*is_routed)(void *, const char *));

#endif
