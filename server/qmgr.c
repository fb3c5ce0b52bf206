/*
 * server/qmgr.c - the queue manager (see qmgr.h)
 *
 * DESCRIPTION
 *	The scheduler is one table of messages known to be in the queue, each
 *	with the time it is due and whether an agent holds it. The serving
 *	thread fills a ready list from it; agent threads take ids from the
 *	ready list, deliver, and hand back the next time each message is due
 *	(or that it is gone). The table is small: a message is in it only
 *	while it is in the queue.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/mem.h"
#include "router/router.h"
#include "server/cmdline.h"
#include "server/deliver.h"
#include "server/dsn.h"
#include "server/qmgr.h"
#include "server/remote.h"
#include "server/target.h"

#define NEVER ((time_t)LLONG_MAX)

/* one message the scheduler knows */
struct entry {
	char id[SM_QID_SIZE];
	time_t due;
	int busy; /* an agent holds it, or it waits in the ready list */
};

/* an agent thread */
struct agent {
	struct sm_qmgr *m;
	pthread_t th;
	struct sm_switch *sw;
	struct sm_router *rt;
};

struct sm_qmgr {
	const struct sm_config *cf;
	struct sm_queue *q;
	const char *qdir;
	char *host;
	struct sm_remote *remote;
	long min_backoff, max_backoff, warn, expire;
	/* scheduling (serve) */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct entry *tab;
	size_t ntab, cap;
	char (*ready)[SM_QID_SIZE];
	size_t nready, readycap;
	int stopping;
	int wakefd[2];
	int overflow; /* inotify lost events: rescan */
	/* the foreground run's own router */
	struct agent self;
};

/* sm_qmgr_new - a queue manager (see qmgr.h) */
struct sm_qmgr *sm_qmgr_new(const struct sm_config *cf, struct sm_queue *q, const char *qdir)
{
	struct sm_qmgr *m = sm_calloc(1, sizeof(*m));

	m->cf = cf;
	m->q = q;
	m->qdir = qdir;
	m->host = sm_cmd_hostname(cf);
	m->remote = sm_remote_new(cf);
	m->min_backoff = sm_config_int(cf, "MinBackoff");
	m->max_backoff = sm_config_int(cf, "MaxBackoff");
	m->warn = sm_config_int(cf, "QueueWarn");
	m->expire = sm_config_int(cf, "QueueReturn");
	if (m->min_backoff <= 0)
		m->min_backoff = 60;
	if (m->max_backoff < m->min_backoff)
		m->max_backoff = m->min_backoff;
	pthread_mutex_init(&m->mu, NULL);
	pthread_cond_init(&m->cv, NULL);
	m->wakefd[0] = m->wakefd[1] = -1;
	return m;
}

/* agent_router - the agent's router, made on first use */
static struct sm_router *agent_router(struct agent *a)
{
	if (a->rt == NULL) {
		a->sw = sm_switch_open(a->m->cf, sm_builtin_sources);
		a->rt = sm_router_new(a->m->cf, a->sw);
	}
	return a->rt;
}

/* agent_release - free the agent's router */
static void agent_release(struct agent *a)
{
	if (a->rt)
		sm_router_free(a->rt);
	if (a->sw)
		sm_switch_free(a->sw);
	a->rt = NULL;
	a->sw = NULL;
}

/* backoff - the delay before attempt number attempts+1 */
static long backoff(const struct sm_qmgr *m, unsigned attempts)
{
	long d = m->min_backoff;

	while (attempts > 1 && d < m->max_backoff) {
		d *= 2;
		attempts--;
	}
	return d < m->max_backoff ? d : m->max_backoff;
}

/* status_of - the enhanced status code inside a reply ("550 5.1.1 ..." -> "5.1.1"), into buf */
static const char *status_of(const char *reply, char *buf, size_t len, const char *dflt)
{
	size_t n;

	if (reply && strlen(reply) > 6 && reply[3] == ' ' &&
	    (reply[4] == '2' || reply[4] == '4' || reply[4] == '5') && reply[5] == '.') {
		n = strcspn(reply + 4, " ");
		if (n < len) {
			memcpy(buf, reply + 4, n);
			buf[n] = '\0';
			return buf;
		}
	}
	return dflt;
}

/* sender_of - the envelope sender of target t: an owner- alias's, else the message's ("" for <>) */
static const char *sender_of(const struct sm_qmsg *msg, const struct sm_target *t)
{
	return t->sender ? t->sender : msg->sender.len ? msg->sender.data : "";
}

/* is_remote - does a mailer send over SMTP? */
static int is_remote(const char *mailer)
{
	return strcmp(mailer, "esmtp") == 0 || strcmp(mailer, "relay") == 0 || strcmp(mailer, "smtp") == 0;
}

/* still_routed - is target t among what t->envrcpt routes to now? 1 yes, 0 no, -1 temporary failure */
static int still_routed(struct agent *a, const struct sm_target *t)
{
	struct sm_router *rt = agent_router(a);
	struct sm_route r = { 0, 0, NULL };
	size_t i;
	int found = 0, temp = 0;

	if (t->envrcpt == NULL)
		return 0;
	sm_router_reset(rt);
	sm_route(rt, t->envrcpt, &r, NULL);
	for (i = 0; i < r.count; i++) {
		const struct sm_rcpt *x = &r.r[i];

		if (x->mailer == NULL) {
			temp |= x->reply && x->reply[0] == '4';
			continue;
		}
		if (strcmp(x->mailer, t->mailer) == 0 && x->user && t->user &&
		    strcmp(x->user, t->user) == 0 &&
		    ((x->ctl == NULL && t->ctl == NULL) || (x->ctl && t->ctl && strcmp(x->ctl, t->ctl) == 0)))
			found = 1;
	}
	sm_route_free(&r);
	return found ? 1 : temp ? -1 : 0;
}

/* deliver_target - run the agent of one target for recipient r; caller frees *reply */
static enum sm_rstate deliver_target(struct agent *a, const struct sm_qmsg *msg, const struct sm_qrcpt *r,
                                     const struct sm_target *t, char **reply)
{
	struct sm_dtarget dt;
	struct sm_dresult res;
	enum sm_rstate st;

	if (strcmp(t->mailer, "error") == 0) {
		*reply = sm_strdup(t->reply ? t->reply : "550 5.1.1 User unknown");
		return t->reply && t->reply[0] == '4' ? SM_RCPT_DEFERRED : SM_RCPT_FAILED;
	}
	if (is_remote(t->mailer)) {
		struct sm_remote_rcpt one = { .index = (size_t)(r - msg->rcpt) };

		agent_router(a);
		sm_remote_deliver(a->m->remote, a->sw, a->rt, t->host ? t->host : "", sender_of(msg, t), msg,
		                  &one, 1, 0, NULL);
		*reply = one.reply;
		free(one.mta);
		return one.state;
	}
	if (strcmp(t->mailer, "prog") == 0 || strcmp(t->mailer, "*file*") == 0) {
		int ok = still_routed(a, t);

		if (ok <= 0) {
			*reply =
			    ok < 0
			        ? sm_strdup(
			              "451 4.4.3 cannot check the alias of a program or file target now")
			        : sm_strdup("550 5.7.1 program or file target is no longer in the aliases");
			return ok < 0 ? SM_RCPT_DEFERRED : SM_RCPT_FAILED;
		}
	}
	memset(&dt, 0, sizeof(dt));
	dt.mailer = t->mailer;
	dt.user = t->user;
	dt.ctl = t->ctl;
	dt.sender = sender_of(msg, t);
	dt.rcpt = r->addr.data;
	dt.orig = t->envrcpt && strcmp(t->envrcpt, r->addr.data) != 0 ? t->envrcpt : NULL;
	dt.qid = msg->id;
	memset(&res, 0, sizeof(res));
	sm_deliver_local(a->m->cf, &dt, msg->body.data, msg->body.len, msg->arrival, &res);
	st = res.state;
	*reply = sm_strdup(res.reply ? res.reply : st == SM_RCPT_DELIVERED ? "250 2.0.0 OK" : "451 4.3.0");
	sm_dresult_free(&res);
	return st;
}

/*
 * deliver_routed - a recipient queued without a target (a report, say): route it now and deliver every
 * part; all delivered, any deferred (the whole recipient is tried again), or all failed
 */
static enum sm_rstate deliver_routed(struct agent *a, const struct sm_qmsg *msg, const struct sm_qrcpt *r,
                                     char **reply)
{
	struct sm_router *rt = agent_router(a);
	struct sm_route route = { 0, 0, NULL };
	enum sm_rstate st = SM_RCPT_DELIVERED;
	size_t i, failed = 0;

	*reply = NULL;
	sm_router_reset(rt);
	sm_route(rt, r->addr.data, &route, NULL);
	for (i = 0; i < route.count; i++) {
		struct sm_target t;
		enum sm_rstate one;
		char *why = NULL;

		sm_target_from_rcpt(&route.r[i], r->addr.data, &t);
		one = deliver_target(a, msg, r, &t, &why);
		sm_target_free(&t);
		if (one == SM_RCPT_DEFERRED)
			st = SM_RCPT_DEFERRED;
		if (one == SM_RCPT_FAILED)
			failed++;
		if (one != SM_RCPT_DELIVERED || *reply == NULL) {
			free(*reply);
			*reply = why;
		} else {
			free(why);
		}
	}
	sm_route_free(&route);
	if (st == SM_RCPT_DELIVERED && failed > 0 && failed == route.count)
		st = SM_RCPT_FAILED;
	if (*reply == NULL) {
		*reply = sm_strdup("550 5.1.1 User unknown");
		st = SM_RCPT_FAILED;
	}
	return st;
}

/* deliver_rcpt - one recipient's attempt: state and reply (caller frees *reply and *mailer) */
static enum sm_rstate deliver_rcpt(struct agent *a, const struct sm_qmsg *msg, const struct sm_qrcpt *r,
                                   char **reply, char **mailer)
{
	struct sm_target t;
	enum sm_rstate st;

	if (r->target.len == 0) {
		*mailer = sm_strdup("(routed now)");
		return deliver_routed(a, msg, r, reply);
	}
	if (sm_target_decode(r->target.data, r->target.len, &t) < 0) {
		sm_log(LOG_ERR, "%s: recipient <%.*s> has a damaged target", msg->id, (int)r->addr.len,
		       r->addr.data);
		*mailer = sm_strdup("?");
		*reply = sm_strdup("451 4.3.5 recipient has a damaged delivery target");
		return SM_RCPT_DEFERRED;
	}
	*mailer = sm_strdup(t.mailer);
	st = deliver_target(a, msg, r, &t, reply);
	sm_target_free(&t);
	return st;
}

/* report - build and commit a report of kind about the n items; 0, or -1 when it could not be queued */
static int report(struct sm_qmgr *m, const struct sm_qmsg *msg, enum sm_dsn_kind kind,
                  const struct sm_dsn_item *items, size_t n, time_t now)
{
	struct sm_qmsg *dsn;
	int rc = 0;

	if (n == 0)
		return 0;
	dsn = sm_dsn_build(msg, kind, items, n, m->host, "postmaster", now, msg->arrival + m->expire);
	if (dsn == NULL) {
		sm_log(LOG_INFO, "%s: no %s report due", msg->id, sm_dsn_kind_name(kind));
		return 0;
	}
	if (sm_queue_commit(m->q, dsn, NULL) == SM_QOK) {
		sm_log(LOG_INFO, "%s: %s report %s queued for %zu recipient%s", msg->id,
		       sm_dsn_kind_name(kind), dsn->id, n, n == 1 ? "" : "s");
	} else {
		rc = -1;
	}
	sm_qmsg_free(dsn);
	return rc;
}

/* a destination of one attempt: the recipients that go to one host with one envelope sender */
struct dest {
	char *host;
	char *sender;
	struct sm_remote_rcpt *rc;
	size_t n;
};

/* remote_target - if recipient r goes to another host, add it to its destination in d; 1 if so */
static int remote_target(const struct sm_qmsg *msg, const struct sm_qrcpt *r, size_t index, struct dest **d,
                         size_t *nd)
{
	struct sm_target t;
	const char *sender;
	size_t i;

	if (r->target.len == 0 || sm_target_decode(r->target.data, r->target.len, &t) < 0)
		return 0;
	if (!is_remote(t.mailer) || t.host == NULL) {
		sm_target_free(&t);
		return 0;
	}
	sender = sender_of(msg, &t);
	for (i = 0; i < *nd; i++)
		if (strcasecmp((*d)[i].host, t.host) == 0 && strcmp((*d)[i].sender, sender) == 0)
			break;
	if (i == *nd) {
		*d = sm_realloc(*d, (*nd + 1) * sizeof(**d));
		(*d)[i] = (struct dest){ sm_strdup(t.host), sm_strdup(sender), NULL, 0 };
		(*nd)++;
	}
	(*d)[i].rc = sm_realloc((*d)[i].rc, ((*d)[i].n + 1) * sizeof(*(*d)[i].rc));
	memset(&(*d)[i].rc[(*d)[i].n], 0, sizeof(*(*d)[i].rc));
	(*d)[i].rc[(*d)[i].n++].index = index;
	sm_target_free(&t);
	return 1;
}

/* one attempt's outcome per recipient */
struct outcome {
	enum sm_rstate st;
	char *reply; /* NULL: not tried in this attempt */
	char *mailer;
	char *mta; /* the remote server that answered, or NULL */
	int dsn;   /* that server took over NOTIFY=SUCCESS */
};

/* deliver_remote - send each destination's recipients over SMTP; fills their outcomes */
static void deliver_remote(struct agent *a, const struct sm_qmsg *msg, struct dest *d, size_t nd, int force,
                           struct outcome *o)
{
	struct sm_router *rt = agent_router(a);
	size_t i, j;

	for (i = 0; i < nd; i++) {
		sm_remote_deliver(a->m->remote, a->sw, rt, d[i].host, d[i].sender, msg, d[i].rc, d[i].n,
		                  force, NULL);
		for (j = 0; j < d[i].n; j++) {
			struct sm_remote_rcpt *x = &d[i].rc[j];
			struct outcome *y = &o[x->index];

			y->st = x->state;
			y->reply = x->reply;
			y->mta = x->mta;
			y->dsn = x->dsn;
		}
		free(d[i].rc);
		free(d[i].host);
		free(d[i].sender);
	}
	free(d);
}

/* add_item - append an item for recipient i to a report list */
static void add_item(struct sm_dsn_item *v, size_t *n, size_t i, const char *status, const struct outcome *o)
{
	v[*n].rcpt = i;
	v[*n].status = sm_strdup(status);
	v[*n].diag = o->reply;
	v[*n].mta = o->mta;
	(*n)++;
}

/* free_items - release the status strings of a report list and the list */
static void free_items(struct sm_dsn_item *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free((char *)v[i].status);
	free(v);
}

/*
 * attempt - deliver message id now (force: every undone recipient, else only those due);
 * returns when it is due next, 0 when it is gone, NEVER when it waits for nothing (quarantine)
 */
static time_t attempt(struct agent *a, const char *id, int force, int quarantined)
{
	struct sm_qmgr *m = a->m;
	struct sm_qmsg *msg = NULL;
	struct sm_dsn_item *fail, *ok, *relayed;
	struct outcome *o;
	struct dest *dests = NULL;
	size_t i, nfail = 0, nok = 0, nrelayed = 0, undone = 0, ndests = 0;
	time_t now = time(NULL), next = NEVER;
	char path[PATH_MAX], sbuf[16];
	int fd, changed_any = 0;

	snprintf(path, sizeof(path), "%s/%s", m->qdir, id);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		close(fd);
		return now + 5; /* another runner has it */
	}
	if (sm_queue_load(m->q, id, &msg, NULL) != SM_QOK) {
		close(fd);
		return 0;
	}
	if ((msg->quarantine.len > 0) != (quarantined != 0)) {
		sm_qmsg_free(msg);
		close(fd);
		return NEVER;
	}
	fail = sm_calloc(msg->nrcpt, sizeof(*fail));
	ok = sm_calloc(msg->nrcpt, sizeof(*ok));
	relayed = sm_calloc(msg->nrcpt, sizeof(*relayed));
	o = sm_calloc(msg->nrcpt, sizeof(*o));
	/* local agents now; remote recipients gathered by destination */
	for (i = 0; i < msg->nrcpt; i++) {
		struct sm_qrcpt *r = &msg->rcpt[i];

		o[i].st = r->state;
		if (r->state == SM_RCPT_DELIVERED || r->state == SM_RCPT_FAILED)
			continue;
		if (!force && r->state == SM_RCPT_DEFERRED && r->next_try > now) {
			undone++;
			if (r->next_try < next)
				next = r->next_try;
			continue;
		}
		if (remote_target(msg, r, i, &dests, &ndests)) {
			o[i].mailer = sm_strdup("esmtp");
			continue;
		}
		o[i].st = deliver_rcpt(a, msg, r, &o[i].reply, &o[i].mailer);
	}
	deliver_remote(a, msg, dests, ndests, force, o);
	for (i = 0; i < msg->nrcpt; i++) {
		struct sm_qrcpt *r = &msg->rcpt[i];

		if (o[i].reply == NULL)
			continue;
		if (o[i].st == SM_RCPT_DEFERRED && m->expire > 0 && now - msg->arrival >= m->expire) {
			char *why = sm_asprintf("%s (giving up: message could not be delivered for %ld days)",
			                        o[i].reply, m->expire / 86400);

			free(o[i].reply);
			o[i].reply = why;
			o[i].st = SM_RCPT_FAILED;
		}
		sm_log(LOG_INFO, "%s: to=<%.*s>, mailer=%s%s%s, stat=%s (%s)", id, (int)r->addr.len,
		       r->addr.data, o[i].mailer ? o[i].mailer : "?", o[i].mta ? ", relay=" : "",
		       o[i].mta ? o[i].mta : "",
		       o[i].st == SM_RCPT_DELIVERED ? "Sent"
		       : o[i].st == SM_RCPT_FAILED  ? "Bounced"
		                                    : "Deferred",
		       o[i].reply);
		changed_any = 1;
		if (o[i].st == SM_RCPT_FAILED) {
			add_item(fail, &nfail, i, status_of(o[i].reply, sbuf, sizeof(sbuf), "5.0.0"), &o[i]);
		} else if (o[i].st == SM_RCPT_DELIVERED && (r->notify & SM_NOTIFY_SUCCESS)) {
			if (o[i].mta == NULL)
				add_item(ok, &nok, i, "2.0.0", &o[i]);
			else if (!o[i].dsn)
				add_item(relayed, &nrelayed, i, "2.0.0", &o[i]);
		} else if (o[i].st == SM_RCPT_DEFERRED) {
			undone++;
			r->attempts++;
			r->next_try = now + backoff(m, r->attempts);
			if (r->next_try < next)
				next = r->next_try;
		}
	}
	/* reports first: a crash may repeat one, never lose one */
	if (report(m, msg, SM_DSN_FAILED, fail, nfail, now) < 0 ||
	    report(m, msg, SM_DSN_DELIVERED, ok, nok, now) < 0 ||
	    report(m, msg, SM_DSN_RELAYED, relayed, nrelayed, now) < 0) {
		/* keep everything as it was: the attempt is repeated later */
		next = now + m->min_backoff;
		undone = 1;
		changed_any = 0;
	}
	if (undone == 0) {
		if (sm_queue_retire(m->q, id, NULL) == SM_QOK) {
			sm_log(LOG_INFO, "%s: removed", id);
			next = 0;
		}
	} else if (changed_any) {
		struct sm_qupdate *u = sm_calloc(msg->nrcpt, sizeof(*u));
		size_t nu = 0;

		for (i = 0; i < msg->nrcpt; i++)
			if (o[i].reply != NULL)
				u[nu++] = (struct sm_qupdate){ i, o[i].st, o[i].reply, msg->rcpt[i].attempts,
					                       msg->rcpt[i].next_try };
		sm_queue_update_many(m->q, id, u, nu, NULL);
		free(u);
		if (!msg->warned && m->warn > 0 && now - msg->arrival >= m->warn) {
			struct sm_dsn_item *late = sm_calloc(msg->nrcpt, sizeof(*late));
			size_t nlate = 0;

			for (i = 0; i < msg->nrcpt; i++)
				if (o[i].st == SM_RCPT_DEFERRED || o[i].st == SM_RCPT_PENDING)
					add_item(
					    late, &nlate, i,
					    status_of(msg->rcpt[i].reply.data, sbuf, sizeof(sbuf), "4.0.0"),
					    &o[i]);
			if (report(m, msg, SM_DSN_DELAYED, late, nlate, now) == 0)
				sm_queue_mark(m->q, id, SM_QMARK_WARNED, "", NULL);
			free_items(late, nlate);
		}
	}
	free_items(fail, nfail);
	free_items(ok, nok);
	free_items(relayed, nrelayed);
	for (i = 0; i < msg->nrcpt; i++) {
		free(o[i].reply);
		free(o[i].mailer);
		free(o[i].mta);
	}
	free(o);
	sm_qmsg_free(msg);
	close(fd);
	return next;
}

/* sm_qmgr_run - one queue run in the foreground (see qmgr.h) */
int sm_qmgr_run(struct sm_qmgr *m, const struct sm_qsel *sel, int quarantined)
{
	char **ids;
	size_t n, i;

	if (sm_queue_list(m->q, &ids, &n, NULL) != SM_QOK)
		return EX_TEMPFAIL;
	m->self.m = m;
	for (i = 0; i < n; i++) {
		if (sel) {
			struct sm_qmsg *msg;
			int match;

			if (sm_queue_load(m->q, ids[i], &msg, NULL) != SM_QOK)
				continue;
			match = sm_qsel_match(sel, msg);
			sm_qmsg_free(msg);
			if (!match)
				continue;
		}
		attempt(&m->self, ids[i], 1, quarantined);
	}
	sm_queue_ids_free(ids, n);
	agent_release(&m->self);
	return EX_OK;
}

/* find - the table entry of id, or NULL (lock held) */
static struct entry *find(struct sm_qmgr *m, const char *id)
{
	size_t i;

	for (i = 0; i < m->ntab; i++)
		if (strcmp(m->tab[i].id, id) == 0)
			return &m->tab[i];
	return NULL;
}

/* schedule - make id due at when (lock held); a new id is added */
static void schedule(struct sm_qmgr *m, const char *id, time_t when)
{
	struct entry *e = find(m, id);

	if (e == NULL) {
		if (m->ntab == m->cap) {
			m->cap = m->cap ? 2 * m->cap : 64;
			m->tab = sm_realloc(m->tab, m->cap * sizeof(*m->tab));
		}
		e = &m->tab[m->ntab++];
		memset(e, 0, sizeof(*e));
		snprintf(e->id, sizeof(e->id), "%s", id);
		e->due = when;
	} else if (!e->busy && when < e->due) {
		e->due = when;
	}
}

/* done_with - an agent finished id; next is when it is due again (0: gone) (lock held) */
static void done_with(struct sm_qmgr *m, const char *id, time_t next)
{
	struct entry *e = find(m, id);

	if (e == NULL)
		return;
	if (next == 0) {
		*e = m->tab[--m->ntab];
		return;
	}
	e->busy = 0;
	if (e->due == 0 || next < e->due || e->due <= time(NULL))
		e->due = next;
}

/* dispatch - move every due, idle message to the ready list (lock held); the earliest other due time */
static time_t dispatch(struct sm_qmgr *m, time_t now)
{
	time_t soonest = NEVER;
	size_t i;

	for (i = 0; i < m->ntab; i++) {
		struct entry *e = &m->tab[i];

		if (e->busy)
			continue;
		if (e->due <= now) {
			if (m->nready == m->readycap) {
				m->readycap = m->readycap ? 2 * m->readycap : 64;
				m->ready = sm_realloc(m->ready, m->readycap * sizeof(*m->ready));
			}
			memcpy(m->ready[m->nready++], e->id, SM_QID_SIZE);
			e->busy = 1;
			e->due = NEVER;
		} else if (e->due < soonest) {
			soonest = e->due;
		}
	}
	if (m->nready)
		pthread_cond_broadcast(&m->cv);
	return soonest;
}

/* poke - wake the serving thread */
static void poke(struct sm_qmgr *m)
{
	char c = 1;

	if (m->wakefd[1] >= 0 && write(m->wakefd[1], &c, 1) < 0 && errno != EAGAIN)
		sm_log(LOG_ERR, "qmgr: cannot wake the scheduler: %s", strerror(errno));
}

/* agent_main - an agent thread: take a ready id, deliver, report back */
static void *agent_main(void *arg)
{
	struct agent *a = arg;
	struct sm_qmgr *m = a->m;

	pthread_mutex_lock(&m->mu);
	for (;;) {
		char id[SM_QID_SIZE];
		time_t next;

		while (m->nready == 0 && !m->stopping)
			pthread_cond_wait(&m->cv, &m->mu);
		if (m->nready == 0)
			break;
		memcpy(id, m->ready[--m->nready], SM_QID_SIZE);
		pthread_mutex_unlock(&m->mu);
		next = attempt(a, id, 0, 0);
		pthread_mutex_lock(&m->mu);
		done_with(m, id, next);
		if (next != 0)
			poke(m);
	}
	pthread_mutex_unlock(&m->mu);
	agent_release(a);
	return NULL;
}

/* rescan - put every message in the directory into the table */
static void rescan(struct sm_qmgr *m, time_t now)
{
	char **ids;
	size_t n, i;

	if (sm_queue_list(m->q, &ids, &n, NULL) != SM_QOK)
		return;
	pthread_mutex_lock(&m->mu);
	for (i = 0; i < n; i++)
		if (find(m, ids[i]) == NULL)
			schedule(m, ids[i], now);
	pthread_mutex_unlock(&m->mu);
	sm_queue_ids_free(ids, n);
}

/* inotify_read - schedule every message that was just renamed into the directory */
static void inotify_read(struct sm_qmgr *m, int ifd, time_t now)
{
	char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t len;

	while ((len = read(ifd, buf, sizeof(buf))) > 0) {
		const char *p = buf;

		pthread_mutex_lock(&m->mu);
		while (p < buf + len) {
			const struct inotify_event *ev = (const struct inotify_event *)p;

			if (ev->len > 0 && sm_queue_id_valid(ev->name))
				schedule(m, ev->name, now);
			if (ev->mask & IN_Q_OVERFLOW)
				m->overflow = 1;
			p += sizeof(struct inotify_event) + ev->len;
		}
		pthread_mutex_unlock(&m->mu);
	}
}

/* sm_qmgr_serve - the daemon's queue manager (see qmgr.h) */
int sm_qmgr_serve(struct sm_qmgr *m, const struct sm_qpending *recovered, size_t n, long interval,
                  volatile int *stop)
{
	size_t nagents = (size_t)sm_config_int(m->cf, "DeliveryAgents"), i, started = 0;
	struct agent *agents;
	time_t now = time(NULL), last_scan = now;
	int ifd;

	if (nagents == 0)
		nagents = 1;
	if (pipe2(m->wakefd, O_NONBLOCK | O_CLOEXEC) < 0) {
		sm_log(LOG_ERR, "qmgr: pipe: %s", strerror(errno));
		return -1;
	}
	if ((ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0 ||
	    inotify_add_watch(ifd, m->qdir, IN_MOVED_TO | IN_CLOSE_WRITE) < 0) {
		sm_log(LOG_ERR, "qmgr: cannot watch %s: %s", m->qdir, strerror(errno));
		if (ifd >= 0)
			close(ifd);
		return -1;
	}
	pthread_mutex_lock(&m->mu);
	for (i = 0; i < n; i++)
		schedule(m, recovered[i].id, now);
	pthread_mutex_unlock(&m->mu);
	rescan(m, now);
	agents = sm_calloc(nagents, sizeof(*agents));
	for (i = 0; i < nagents; i++) {
		agents[i].m = m;
		if (pthread_create(&agents[i].th, NULL, agent_main, &agents[i]) != 0) {
			sm_log(LOG_ERR, "qmgr: cannot start a delivery agent: %s", strerror(errno));
			break;
		}
		started++;
	}
	while (!*stop && started > 0) {
		struct pollfd pf[2] = { { .fd = ifd, .events = POLLIN },
			                { .fd = m->wakefd[0], .events = POLLIN } };
		time_t soonest;
		int timeout;
		char drain[64];

		now = time(NULL);
		if ((interval > 0 && now - last_scan >= interval) || m->overflow) {
			m->overflow = 0;
			last_scan = now;
			rescan(m, now);
		}
		pthread_mutex_lock(&m->mu);
		soonest = dispatch(m, now);
		pthread_mutex_unlock(&m->mu);
		sm_remote_idle(m->remote);
		timeout = soonest == NEVER ? 1000 : soonest <= now ? 0 : (int)((soonest - now) * 1000);
		if (timeout > 1000)
			timeout = 1000;
		if (poll(pf, 2, timeout) > 0) {
			if (pf[0].revents & POLLIN)
				inotify_read(m, ifd, time(NULL));
			if (pf[1].revents & POLLIN)
				while (read(m->wakefd[0], drain, sizeof(drain)) > 0)
					;
		}
	}
	pthread_mutex_lock(&m->mu);
	m->stopping = 1;
	m->nready = 0;
	pthread_cond_broadcast(&m->cv);
	pthread_mutex_unlock(&m->mu);
	for (i = 0; i < started; i++)
		pthread_join(agents[i].th, NULL);
	free(agents);
	close(ifd);
	return started > 0 ? 0 : -1;
}

/* sm_qmgr_free - release the manager */
void sm_qmgr_free(struct sm_qmgr *m)
{
	if (m == NULL)
		return;
	agent_release(&m->self);
	sm_remote_free(m->remote);
	if (m->wakefd[0] >= 0)
		close(m->wakefd[0]);
	if (m->wakefd[1] >= 0)
		close(m->wakefd[1]);
	free(m->tab);
	free(m->ready);
	free(m->host);
	pthread_mutex_destroy(&m->mu);
	pthread_cond_destroy(&m->cv);
	free(m);
}
