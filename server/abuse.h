/*
 * server/abuse.h - anti-abuse bookkeeping of the SMTP server: connection rates, log limiting, greet pause
 *
 * SYNOPSIS
 *	void sm_abuse_limits_config(const struct sm_config *cf, struct sm_abuse_limits *lim);
 *	struct sm_abuse *sm_abuse_new(const struct sm_abuse_limits *lim);
 *	void sm_abuse_free(struct sm_abuse *ab);
 *
 *	unsigned long sm_abuse_connect(struct sm_abuse *ab, const char *ip, time_t now);
 *	unsigned long sm_abuse_rate(struct sm_abuse *ab, const char *ip, time_t now);
 *	int sm_abuse_rate_exceeded(unsigned long count, long limit);
 *	int sm_abuse_should_log(struct sm_abuse *ab, const char *key, time_t now);
 *	void sm_abuse_expire(struct sm_abuse *ab, time_t now);
 *	size_t sm_abuse_clients(struct sm_abuse *ab);
 *	size_t sm_abuse_log_keys(struct sm_abuse *ab);
 *
 *	void sm_abuse_policy(const struct sm_config *cf, struct sm_access *a, const char *ip,
 *	                     const char *host, int trusted, struct sm_client_policy *p);
 *	char *sm_abuse_pregreet_greeting(const char *myhost);
 *
 * DESCRIPTION
 *	The sendmail 8.13 defences against floods and slammers (seed 000:
 *	ConnectionRateWindowSize, RejectLogInterval, FEATURE(ratecontrol),
 *	FEATURE(conncontrol), FEATURE(greet_pause)). The server keeps its own
 *	count of open sessions per client (ClientConnectionLimit), of bad
 *	commands (MaxBadCommands) and its session deadline (SessionDeadline);
 *	this module adds what needs memory across connections, and the
 *	per-client policy from the access database.
 *
 *	Rates. sm_abuse_connect() records a new connection from ip at now and
 *	returns how many connections ip opened within the window
 *	(ConnectionRateWindowSize), this one included; sm_abuse_rate() gives
 *	the same count without recording. The window is kept as
 *	SM_ABUSE_SLOTS slots of ceil(window / SM_ABUSE_SLOTS) seconds: with a
 *	window of at most SM_ABUSE_SLOTS seconds a connection at t counts
 *	exactly while now - t < window; with a longer one, a connection may be
 *	counted up to one slot longer (never shorter). A client whose last
 *	connection left the window is forgotten. The table holds at most
 *	lim->max_clients clients; a new client beyond that evicts the one not
 *	seen for the longest time (so memory is bounded whatever the clients
 *	do). sm_abuse_rate_exceeded() is 1 when limit > 0 and count > limit:
 *	the server then refuses the connection with SM_ABUSE_RATE_REPLY.
 *
 *	Log limiting. sm_abuse_should_log() returns 1 when key (any string,
 *	such as "rate 192.0.2.1") was not logged within the last
 *	RejectLogInterval, and remembers now; else 0. An interval of 0 logs
 *	every time. At most lim->max_keys keys are kept (oldest evicted: such
 *	a key may be logged once more, never less).
 *
 *	sm_abuse_expire() drops what the window and the interval no longer
 *	need; the server may call it from its timer (lookups also recycle
 *	stale entries). sm_abuse_clients() and sm_abuse_log_keys() count the
 *	entries held, for tests and statistics. Every function takes the
 *	object's mutex: the event loop and worker threads may share it.
 *
 *	Per-client policy. sm_abuse_policy() fills p for a new connection:
 *	    greet_pause_ms  GreetPause: from the access database (host walk,
 *	                    address walk, bare "GreetPause:"), else the
 *	                    GreetPauseMs setting; at most 300000 (RFC 5321
 *	                    4.3.5.2, as sendmail caps it); 0 for a trusted
 *	                    client (the caller says: RelayClients, Connect:
 *	                    RELAY)
 *	    rate            ClientRate: else the ClientRate setting (0: none)
 *	    conn            ClientConn: else ClientConnectionLimit (0: none)
 *	    tempfail        1 when a lookup failed; the defaults were kept
 *	a may be NULL (no access database). host is the verified name or NULL.
 *
 *	Greet pause. The server, with p.greet_pause_ms > 0, must not read
 *	from the client during the pause, then see whether the client has
 *	already sent anything (poll for POLLIN, or a non-blocking
 *	recv(MSG_PEEK)). If it has, it greets with
 *	sm_abuse_pregreet_greeting(): "554 MYHOST ESMTP not accepting
 *	messages" (sendmail's greeting when it rejects) and answers every
 *	later command but QUIT with SM_ABUSE_PREGREET_REPLY, "550 5.0.0
 *	Command rejected", logging once: "rejecting commands from HOST [IP]
 *	due to pre-greeting traffic after N seconds".
 *
 * WHO FREES WHAT
 *	sm_abuse_new() returns an object freed with sm_abuse_free(); keys are
 *	copied. sm_abuse_pregreet_greeting() returns a new string the caller
 *	frees. p belongs to the caller and holds no pointers.
 *
 * CONFIGURATION
 *	sm_abuse_limits_config(): ConnectionRateWindowSize (window, at least
 *	1 s), RejectLogInterval; the table caps are SM_ABUSE_MAX_CLIENTS and
 *	SM_ABUSE_MAX_KEYS. sm_abuse_policy(): GreetPauseMs, ClientRate,
 *	ClientConnectionLimit and the access database's GreetPause:,
 *	ClientRate: and ClientConn: entries (router/access.h).
 *
 * DIAGNOSTICS
 *	Nothing is logged here: the server logs its refusals, through
 *	sm_abuse_should_log(). Allocation failure aborts (lib/mem.h). A NULL
 *	or empty ip or key counts as the key "" (it never crashes).
 */
#ifndef SM_ABUSE_H
#define SM_ABUSE_H

#include <stddef.h>
#include <time.h>

#include "lib/cfg.h"
#include "router/access.h"

#define SM_ABUSE_SLOTS 16
#define SM_ABUSE_MAX_CLIENTS 16384
#define SM_ABUSE_MAX_KEYS 4096
#define SM_ABUSE_GREET_PAUSE_MAX 300000L /* ms */

/* the replies of a refused connection (sendmail's ratecontrol/conncontrol with `terminate') */
#define SM_ABUSE_RATE_REPLY "421 4.3.2 Connection rate limit exceeded."
#define SM_ABUSE_CONN_REPLY "421 4.3.2 Too many open connections."
/* the reply to each command after pre-greeting traffic (sendmail's nullserver) */
#define SM_ABUSE_PREGREET_REPLY "550 5.0.0 Command rejected"

struct sm_abuse;

struct sm_abuse_limits {
	long window;        /* seconds over which connections are counted (>= 1) */
	long log_interval;  /* seconds between two logs of one key (0: log always) */
	size_t max_clients; /* clients remembered at most (>= 1) */
	size_t max_keys;    /* log keys remembered at most (>= 1) */
};

struct sm_client_policy {
	long greet_pause_ms; /* 0: no pause */
	long rate;           /* new connections per window (0: no limit) */
	long conn;           /* sessions at once (0: no limit) */
	int tempfail;        /* an access lookup failed: the settings were used */
};

void sm_abuse_limits_config(const struct sm_config *cf, struct sm_abuse_limits *lim);
struct sm_abuse *sm_abuse_new(const struct sm_abuse_limits *lim);
void sm_abuse_free(struct sm_abuse *ab);

unsigned long sm_abuse_connect(struct sm_abuse *ab, const char *ip, time_t now);
unsigned long sm_abuse_rate(struct sm_abuse *ab, const char *ip, time_t now);
int sm_abuse_rate_exceeded(unsigned long count, long limit);
int sm_abuse_should_log(struct sm_abuse *ab, const char *key, time_t now);
void sm_abuse_expire(struct sm_abuse *ab, time_t now);
size_t sm_abuse_clients(struct sm_abuse *ab);
size_t sm_abuse_log_keys(struct sm_abuse *ab);

void sm_abuse_policy(const struct sm_config *cf, struct sm_access *a, const char *ip, const char *host,
                     int trusted, struct sm_client_policy *p);
char *sm_abuse_pregreet_greeting(const char *myhost);

#endif
