/*
 * server/target.h - where acceptance routed a recipient: the queue's opaque 'D' record
 *
 * SYNOPSIS
 *	#include "server/target.h"
 *
 *	void sm_target_encode(const struct sm_rcpt *r, const char *envrcpt, struct sm_buf *out);
 *	int sm_target_decode(const char *p, size_t len, struct sm_target *t);
 *	void sm_target_from_rcpt(const struct sm_rcpt *r, const char *envrcpt, struct sm_target *t);
 *	void sm_target_free(struct sm_target *t);
 *	void sm_route_tally(const struct sm_route *r, struct sm_route_tally *t);
 *	void sm_qmsg_add_route(struct sm_qmsg *m, const char *envrcpt, const char *orcpt,
 *	                       unsigned notify, const struct sm_route *r);
 *
 * DESCRIPTION
 *	The SMTP side and the command line route every recipient when they
 *	accept it; the queue manager delivers what they decided, so aliases are
 *	expanded once and a recipient is one mailbox, file or program.
 *
 *	sm_target_encode() appends to out the fields mailer, host, user, ctl,
 *	sender, reply and envrcpt of one router result (sm_rcpt, with the
 *	envelope recipient it came from), each as a 4-byte big-endian length
 *	and its bytes; a NULL field is written as length 0xffffffff. A failed
 *	part of an alias has mailer "error" and its reply.
 *	sm_target_decode() reads such a record back into t (every field a
 *	NUL-terminated copy, NULL where it was NULL) and returns 0, or -1
 *	when the bytes are not a well-formed record or a field holds a NUL.
 *
 *	sm_target_from_rcpt() fills t with copies of r's fields, as decoding
 *	its encoded record would (a failed result gets mailer "error").
 *
 *	sm_route_tally() sums up the results of one sm_route(): how many can
 *	be delivered, the first temporary failure and the first other failure
 *	(NULL when none); the SMTP side and the command line decide with it.
 *
 *	sm_qmsg_add_route() adds to m one queue recipient per result of r: the
 *	result's address, orcpt (or, when NULL, envrcpt) as ORCPT, notify, and
 *	the encoded target. A result equal to one already in m (same mailer,
 *	host, user and ctl) is not added twice. Results that are temporary
 *	failures are not added (the caller refused the recipient with 4xx).
 *
 * WHO FREES WHAT
 *	sm_target_free() releases the strings of t and zeroes it.
 *
 * CONFIGURATION
 *	None.
 *
 * DIAGNOSTICS
 *	None: decoding returns -1 and the caller logs with the queue id.
 */
#ifndef SM_TARGET_H
#define SM_TARGET_H

#include <stddef.h>

#include "lib/buf.h"
#include "router/router.h"
#include "server/queue.h"

/* one decoded target */
struct sm_target {
	char *mailer; /* local, *file*, prog, esmtp, relay, error */
	char *host;
	char *user;
	char *ctl;
	char *sender; /* owner- envelope sender, or NULL */
	char *reply;  /* for error */
	char *envrcpt;
};

void sm_target_encode(const struct sm_rcpt *r, const char *envrcpt, struct sm_buf *out);
int sm_target_decode(const char *p, size_t len, struct sm_target *t);
/* the results of one sm_route(), summed up */
struct sm_route_tally {
	size_t good;                /* results with a mailer */
	const struct sm_rcpt *temp; /* the first temporary failure (4xx), or NULL */
	const struct sm_rcpt *perm; /* the first other failure, or NULL */
};

void sm_target_from_rcpt(const struct sm_rcpt *r, const char *envrcpt, struct sm_target *t);
void sm_target_free(struct sm_target *t);
void sm_route_tally(const struct sm_route *r, struct sm_route_tally *t);
void sm_qmsg_add_route(struct sm_qmsg *m, const char *envrcpt, const char *orcpt, unsigned notify,
                       const struct sm_route *r);

#endif
