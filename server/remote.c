/*
 * server/remote.c - the SMTP delivery agent (see remote.h)
 *
 * DESCRIPTION
 *	Connections are counted per host name: a kept (idle) connection
 *	still counts, so a host at its limit first loses an idle one of its
 *	own before a caller waits. Every socket operation happens outside
 *	the lock.
 *
 *	STARTTLS: with OpenSSL, one client context built from the settings
 *	(server/tls.h) is shared by every connection, so STARTTLS is used
 *	whenever a server offers it; each new TLS session is logged with its
 *	verify result, version, cipher and bits (sm_smtpc_tls() gives them to
 *	the TLS_Srv: policy). A TLS_Srv: entry of the access database
 *	(VERIFY, VERIFY:bits, ENCR:bits) is checked on every connection before
 *	a transaction: one that falls short is closed; the recipients wait
 *	for another host (403 4.7.0), or bounce with PERM+ (503 5.7.0).
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/log.h"
#include "lib/mem.h"
#include "router/access.h"
#include "server/cmdline.h"
#include "server/hoststat.h"
#include "server/nexthop.h"
#include "server/remote.h"
#include "server/smtpc.h"
#include "server/tls.h"

#define IDLE_MAX 5 /* seconds a kept connection may wait for its next message */

/* a kept connection */
struct idle {
	struct sm_smtpc *c;
	char *host;
	time_t since;
	unsigned msgs;
};

/* the connections open to one host */
struct slot {
	char *host;
	unsigned open;
};

struct sm_remote {
	struct sm_smtpc_opts o;
	struct sm_tls *tls;       /* client TLS context, NULL without OpenSSL */
	struct sm_access *access; /* TLS_Srv: requirements */
	char *helo;
	char *fallback;
	char *hsdir;
	long backoff;
	unsigned max_conn, max_msgs;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct idle *idle;
	size_t nidle, idlecap;
	struct slot *slots;
	size_t nslots;
};

/* sm_remote_new - the agent (see remote.h) */
struct sm_remote *sm_remote_new(const struct sm_config *cf)
{
	struct sm_remote *r = sm_calloc(1, sizeof(*r));
	const char *fb = sm_config_str(cf, "FallBackSmartHost");
	long v;

	r->helo = sm_cmd_hostname(cf);
	r->o.helo = r->helo;
	r->o.port = (int)sm_config_int(cf, "SmtpPort");
	r->o.connect_timeout = sm_config_int(cf, "ConnectTimeout");
	r->o.greeting_timeout = sm_config_int(cf, "GreetingTimeout");
	r->o.reply_timeout = sm_config_int(cf, "ReplyTimeout");
	if (sm_tls_available()) {
		struct sm_buf err = SM_BUF_INIT;

		r->tls = sm_tls_client_new(cf, &err);
		if (r->tls == NULL)
			sm_log(LOG_ERR, "STARTTLS=client, error: %s; delivering without TLS", err.data);
		sm_buf_free(&err);
	}
	r->o.tls = r->tls;
	{
		struct sm_buf err = SM_BUF_INIT;

		r->access = sm_access_open(cf, &err);
		if (err.len)
			sm_log(LOG_ERR, "%s", err.data);
		sm_buf_free(&err);
	}
	r->o.tls_timeout = sm_config_int(cf, "StartTLSTimeout");
	r->fallback = fb && *fb ? sm_strdup(fb) : NULL;
	r->hsdir = sm_hoststat_dir(cf);
	r->backoff = sm_config_int(cf, "MinBackoff");
	v = sm_config_int(cf, "MaxHostConnections");
	r->max_conn = v > 0 ? (unsigned)v : 1;
	v = sm_config_int(cf, "MaxMessagesPerConnection");
	r->max_msgs = v > 0 ? (unsigned)v : 1;
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	return r;
}

/* slot_of - the counter of host (made when new); call locked */
static struct slot *slot_of(struct sm_remote *r, const char *host)
{
	size_t i;

	for (i = 0; i < r->nslots; i++)
		if (strcasecmp(r->slots[i].host, host) == 0)
			return &r->slots[i];
	r->slots = sm_realloc(r->slots, (r->nslots + 1) * sizeof(*r->slots));
	r->slots[r->nslots].host = sm_strdup(host);
	r->slots[r->nslots].open = 0;
	return &r->slots[r->nslots++];
}

/* take_idle - remove kept connection i from the list (locked); returns it */
static struct idle take_idle(struct sm_remote *r, size_t i)
{
	struct idle x = r->idle[i];

	r->idle[i] = r->idle[--r->nidle];
	return x;
}

/* release - one connection to host is gone (locked) */
static void release(struct sm_remote *r, const char *host)
{
	struct slot *s = slot_of(r, host);

	if (s->open > 0)
		s->open--;
	pthread_cond_broadcast(&r->cv);
}

/* close_all - close and free the given connections (unlocked) */
static void close_all(struct idle *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		sm_smtpc_close(v[i].c, 1);
		free(v[i].host);
	}
	free(v);
}

/* sweep - take out the connections idle too long (locked); the caller closes them */
static struct idle *sweep(struct sm_remote *r, time_t now, size_t *n)
{
	struct idle *out = NULL;
	size_t i = 0;

	*n = 0;
	while (i < r->nidle) {
		if (now - r->idle[i].since < IDLE_MAX) {
			i++;
			continue;
		}
		out = sm_realloc(out, (*n + 1) * sizeof(*out));
		out[*n] = take_idle(r, i);
		release(r, out[*n].host);
		(*n)++;
	}
	return out;
}

/*
 * conn_get - a connection to addr of host: a kept one (*msgs its count so far, *reused 1) or a new
 * one; NULL with fail filled when none could be opened
 */
static struct sm_smtpc *conn_get(struct sm_remote *r, const char *host, const char *addr, unsigned *msgs,
                                 int *reused, struct sm_smtpc_reply *fail)
{
	struct sm_smtpc *c = NULL;
	struct idle *old, evicted = { NULL, NULL, 0, 0 };
	size_t i, nold;

	*msgs = 0;
	*reused = 0;
	pthread_mutex_lock(&r->mu);
	old = sweep(r, time(NULL), &nold);
	for (i = 0; i < r->nidle; i++) {
		if (strcmp(sm_smtpc_addr(r->idle[i].c), addr) == 0 &&
		    strcasecmp(r->idle[i].host, host) == 0) {
			struct idle x = take_idle(r, i);

			c = x.c;
			*msgs = x.msgs;
			*reused = 1;
			free(x.host);
			break;
		}
	}
	while (c == NULL && slot_of(r, host)->open >= r->max_conn) {
		for (i = 0; i < r->nidle; i++)
			if (strcasecmp(r->idle[i].host, host) == 0)
				break;
		if (i < r->nidle) {
			evicted = take_idle(r, i);
			slot_of(r, host)->open--;
			break;
		}
		pthread_cond_wait(&r->cv, &r->mu);
	}
	if (c == NULL)
		slot_of(r, host)->open++;
	pthread_mutex_unlock(&r->mu);
	close_all(old, nold);
	if (evicted.c) {
		sm_smtpc_close(evicted.c, 1);
		free(evicted.host);
	}
	if (c)
		return c;
	c = sm_smtpc_open(host, addr, &r->o, fail);
	if (c == NULL) {
		pthread_mutex_lock(&r->mu);
		release(r, host);
		pthread_mutex_unlock(&r->mu);
	} else if (sm_smtpc_tls(c) != NULL) {
		const struct sm_tls_info *t = sm_smtpc_tls(c);

		sm_log(LOG_INFO,
		       "STARTTLS=client, relay=%s[%s], version=%s, verify=%s%s%s, cipher=%s, bits=%d/%d, "
		       "cert-subject=%s, cert-issuer=%s",
		       host, addr, t->version, sm_tls_verify_name(t->verify),
		       t->verify_reason[0] ? ", verifymsg=" : "", t->verify_reason, t->cipher, t->bits,
		       t->alg_bits, t->subject[0] ? t->subject : "(none)",
		       t->issuer[0] ? t->issuer : "(none)");
	}
	return c;
}

/* conn_drop - close c for good */
static void conn_drop(struct sm_remote *r, struct sm_smtpc *c, const char *host)
{
	sm_smtpc_close(c, 1);
	pthread_mutex_lock(&r->mu);
	release(r, host);
	pthread_mutex_unlock(&r->mu);
}

/*
 * tls_refused - does the connection c fall short of the TLS_Srv: entry for host[addr]? 0 when it
 * may be used; else 1 with *why (caller frees) and *perm set (PERM+: the recipients bounce)
 */
static int tls_refused(struct sm_remote *r, const char *host, const char *addr, const struct sm_smtpc *c,
                       char **why, int *perm)
{
	const struct sm_tls_info *t = sm_smtpc_tls(c);
	struct sm_access_result req;
	enum sm_access_action act = sm_access_tls_srv(r->access, host, addr, &req);
	int refused = 0;

	*why = NULL;
	*perm = 0;
	if (act == SM_ACCESS_TEMPFAIL) {
		*why = sm_strdup(req.reply ? req.reply : "451 4.3.0 access database unavailable");
		refused = 1;
	} else if ((act == SM_ACCESS_VERIFY || act == SM_ACCESS_ENCR) &&
	           !sm_access_tls_check(&req, sm_tls_verify_name(t ? t->verify : SM_TLS_NONE),
	                                t ? (unsigned)t->bits : 0, why)) {
		*perm = req.perm;
		refused = 1;
		sm_log(LOG_NOTICE, "TLS_Srv:%s requires %s: %s[%s] refused: %s", req.key ? req.key : host,
		       req.value ? req.value : "?", host, addr, *why);
	}
	sm_access_result_free(&req);
	return refused;
}

/* conn_put - keep c for the next message, or close it */
static void conn_put(struct sm_remote *r, struct sm_smtpc *c, const char *host, unsigned msgs)
{
	if (sm_smtpc_usable(c) && msgs < r->max_msgs) {
		pthread_mutex_lock(&r->mu);
		if (r->nidle == r->idlecap) {
			r->idlecap = r->idlecap ? r->idlecap * 2 : 16;
			r->idle = sm_realloc(r->idle, r->idlecap * sizeof(*r->idle));
		}
		r->idle[r->nidle++] = (struct idle){ c, sm_strdup(host), time(NULL), msgs };
		pthread_mutex_unlock(&r->mu);
		return;
	}
	sm_smtpc_close(c, 1);
	pthread_mutex_lock(&r->mu);
	release(r, host);
	pthread_mutex_unlock(&r->mu);
}

/* decide - set recipient x's result */
static void decide(struct sm_remote_rcpt *x, enum sm_rstate st, const char *reply, const char *mta, int dsn)
{
	free(x->reply);
	free(x->mta);
	x->state = st;
	x->reply = sm_strdup(reply);
	x->mta = mta ? sm_strdup(mta) : NULL;
	x->dsn = dsn;
}

/* decide_rest - every recipient not yet decided (state PENDING) gets st and reply */
static void decide_rest(struct sm_remote_rcpt *rc, size_t n, enum sm_rstate st, const char *reply,
                        const char *mta)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (rc[i].state == SM_RCPT_PENDING)
			decide(&rc[i], st, reply, mta, 0);
}

/*
 * transact - one transaction over c for the undecided recipients; 1 when the transaction as a whole
 * failed for now (try elsewhere), with *why set (caller frees), else 0
 */
static int transact(struct sm_smtpc *c, const char *host, const char *sender, const struct sm_qmsg *msg,
                    struct sm_remote_rcpt *rc, size_t n, char **why)
{
	const char **to = sm_calloc(n, sizeof(*to)), **orcpt = sm_calloc(n, sizeof(*orcpt));
	unsigned *notify = sm_calloc(n, sizeof(*notify));
	size_t *map = sm_calloc(n, sizeof(*map));
	struct sm_smtpc_reply *rep = sm_calloc(n, sizeof(*rep)), mrep = { 0, NULL, 0 };
	struct sm_smtpc_msg m = { 0 };
	size_t i, k = 0;
	int dsn = (sm_smtpc_ext(c) & SM_SMTPC_EXT_DSN) != 0, whole = 0;

	for (i = 0; i < n; i++) {
		const struct sm_qrcpt *q = &msg->rcpt[rc[i].index];

		if (rc[i].state != SM_RCPT_PENDING)
			continue;
		to[k] = q->addr.data;
		orcpt[k] = q->orcpt.len ? q->orcpt.data : NULL;
		notify[k] = q->notify;
		map[k++] = i;
	}
	m.sender = sender;
	m.nrcpt = k;
	m.rcpt = to;
	m.orcpt = orcpt;
	m.notify = notify;
	m.envid = msg->envid.len ? msg->envid.data : NULL;
	m.ret = (int)msg->ret;
	m.body = msg->body.data;
	m.len = msg->body.len;
	sm_smtpc_send(c, &m, rep, &mrep);
	*why = NULL;
	if (mrep.code >= 400 && mrep.code < 500) {
		/* the transaction failed as a whole unless some recipient was decided at RCPT */
		whole = 1;
		for (i = 0; i < k; i++)
			if (rep[i].code / 100 != 4 ||
			    (rep[i].text && mrep.text && strcmp(rep[i].text, mrep.text) != 0))
				whole = 0;
		if (whole)
			*why = sm_strdup(mrep.text ? mrep.text : "451 4.4.2 transaction failed");
	}
	for (i = 0; i < k && !whole; i++) {
		const char *t = rep[i].text ? rep[i].text : "451 4.4.2 no reply";
		int code = rep[i].code;

		decide(&rc[map[i]],
		       code / 100 == 2   ? SM_RCPT_DELIVERED
		       : code / 100 == 5 ? SM_RCPT_FAILED
		                         : SM_RCPT_DEFERRED,
		       t, host, dsn && code / 100 == 2);
	}
	for (i = 0; i < k; i++)
		sm_smtpc_reply_free(&rep[i]);
	sm_smtpc_reply_free(&mrep);
	free(rep);
	free(map);
	free(notify);
	free(orcpt);
	free(to);
	return whole;
}

/* try_addr - deliver over addr of host; 1 when every recipient is decided (or must stop) */
static int try_addr(struct sm_remote *r, const char *host, const char *addr, const char *sender,
                    const struct sm_qmsg *msg, struct sm_remote_rcpt *rc, size_t n, char **last)
{
	struct sm_smtpc_reply fail = { 0, NULL, 0 };
	struct sm_smtpc *c;
	unsigned msgs;
	int reused, again, tries, perm;
	char *why = NULL;

	for (tries = 0; tries < 2; tries++) {
		c = conn_get(r, host, addr, &msgs, &reused, &fail);
		if (c == NULL) {
			sm_log(LOG_INFO, "connect to %s[%s]: %s", host, addr,
			       fail.text ? fail.text : "failed");
			if (fail.loop) {
				sm_log(LOG_ERR,
				       "%s[%s] greets with our name: mail loops back to me (MX problem?)",
				       host, addr);
				decide_rest(rc, n, SM_RCPT_FAILED, fail.text, host);
				sm_hoststat_record(r->hsdir, host, fail.text);
				sm_smtpc_reply_free(&fail);
				return 1;
			}
			free(*last);
			*last = sm_strdup(fail.text ? fail.text : "451 4.4.1 connection failed");
			sm_hoststat_record(r->hsdir, host, *last);
			sm_smtpc_reply_free(&fail);
			return 0;
		}
		if (!reused)
			sm_hoststat_record(r->hsdir, host, NULL);
		if (!reused && tls_refused(r, host, addr, c, &why, &perm)) { /* a kept one passed already */
			conn_drop(r, c, host);
			if (perm) {
				decide_rest(rc, n, SM_RCPT_FAILED, why, host);
				free(why);
				return 1;
			}
			free(*last);
			*last = why;
			return 0;
		}
		again = transact(c, host, sender, msg, rc, n, &why);
		conn_put(r, c, host, msgs + 1);
		if (!again)
			return 1;
		free(*last);
		*last = why;
		why = NULL;
		if (!reused)
			break; /* a kept connection may have gone stale: one more try on a new one */
	}
	return 0;
}

/* sm_remote_deliver - send msg to the recipients rc of dest (see remote.h) */
void sm_remote_deliver(struct sm_remote *r, struct sm_switch *sw, struct sm_router *rt, const char *dest,
                       const char *sender, const struct sm_qmsg *msg, struct sm_remote_rcpt *rc, size_t n,
                       int force, struct sm_trace *tr)
{
	struct sm_hops hops;
	char *reply = NULL, *last = NULL;
	size_t h, i;
	int done = 0;

	for (i = 0; i < n; i++) {
		rc[i].state = SM_RCPT_PENDING;
		rc[i].reply = rc[i].mta = NULL;
		rc[i].dsn = 0;
	}
	switch (sm_nexthop_hosts(sw, rt, dest, r->fallback, &hops, &reply, tr)) {
	case SM_NH_PERM:
		decide_rest(rc, n, SM_RCPT_FAILED, reply, NULL);
		free(reply);
		return;
	case SM_NH_TEMP:
		decide_rest(rc, n, SM_RCPT_DEFERRED, reply, NULL);
		free(reply);
		return;
	case SM_NH_OK:
		break;
	}
	for (h = 0; h < hops.n && !done; h++) {
		const struct sm_hop *hop = &hops.h[h];
		char **addrs, *stored = NULL;
		size_t na, a;

		if (!force && sm_hoststat_down(r->hsdir, hop->name, r->backoff, &stored)) {
			sm_trace_note(tr, "%s: skipped, failed recently (%s)", hop->name, stored);
			free(last);
			last = stored;
			continue;
		}
		switch (sm_nexthop_addrs(sw, hop, &addrs, &na, &reply, tr)) {
		case SM_NH_OK:
			break;
		case SM_NH_PERM:
			if (hops.implicit && hops.n == 1) {
				decide_rest(rc, n, SM_RCPT_FAILED, reply, NULL);
				done = 1;
			}
			/* fall through */
		case SM_NH_TEMP:
			free(last);
			last = reply;
			continue;
		}
		for (a = 0; a < na && !done; a++)
			done = try_addr(r, hop->name, addrs[a], sender, msg, rc, n, &last);
		sm_addrs_free(addrs, na);
	}
	if (!done)
		decide_rest(rc, n, SM_RCPT_DEFERRED, last ? last : "451 4.4.1 no mail server answered", NULL);
	free(last);
	sm_hops_free(&hops);
}

/* sm_remote_idle - close the connections idle too long */
void sm_remote_idle(struct sm_remote *r)
{
	struct idle *old;
	size_t n;

	pthread_mutex_lock(&r->mu);
	old = sweep(r, time(NULL), &n);
	pthread_mutex_unlock(&r->mu);
	close_all(old, n);
}

/* sm_remote_free - close every kept connection and free r */
void sm_remote_free(struct sm_remote *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->nidle; i++) {
		sm_smtpc_close(r->idle[i].c, 1);
		free(r->idle[i].host);
	}
	for (i = 0; i < r->nslots; i++)
		free(r->slots[i].host);
	free(r->idle);
	free(r->slots);
	sm_tls_free(r->tls);
	sm_access_close(r->access);
	free(r->helo);
	free(r->fallback);
	free(r->hsdir);
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->cv);
	free(r);
}
