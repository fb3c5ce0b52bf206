/*
 * server/smtpd.c - the SMTP server's event loop, lookup workers and commit thread (see smtpd.h)
 *
 * DESCRIPTION
 *	Threads and what they own:
 *	  the loop     every session, the listening sockets, the epoll set;
 *	  lookups      a switch and a router each; they see a task's address
 *	               and fill its answer, nothing else of a session;
 *	  committers   the queue (two threads): each takes every message that is ready and
 *	               commits them as one group.
 *	Tasks go to the workers through two mutex-protected lists and come back
 *	through a third; an eventfd wakes the loop. A session with a task out
 *	is "busy": it reads nothing, and when it must close meanwhile it is
 *	only marked dead and freed when the task comes back.
 *
 *	STARTTLS. After "220 2.0.0 Ready to start TLS" the rest of the input
 *	buffer is thrown away (CVE-2011-0411: plaintext sent behind STARTTLS
 *	must not run as if it came inside TLS) and the session goes to M_TLS:
 *	first the 220 is written in plaintext (tls_state TLS_AWAIT), then the
 *	handshake (TLS_SHAKING) is driven by the event loop, waiting for the
 *	readiness OpenSSL asks for, within StartTLSTimeout. Once it is done
 *	(TLS_ACTIVE) every read and write goes through the TLS connection, the
 *	session is back to SM_SMTP_INIT with no HELO name (RFC 3207 4.2), and
 *	since OpenSSL may hold decrypted input the socket does not signal,
 *	resume() reads that before the session waits again.
 *
 *	TLS state of a session, for policy: s->tls_info (struct sm_tls_info,
 *	server/tls.h) is verify NONE until a handshake finished, then holds
 *	verify, version, cipher, bits, subject and issuer; session_tls()
 *	returns it, or NULL when the session is not in TLS. The Received:
 *	field gets sendmail's clause "(version=... cipher=... bits=N
 *	verify=...)" and "with ESMTPS"; RequireStartTLS refuses MAIL outside
 *	TLS with 530 5.7.0.
 *
 *	AUTH (server/auth.h). EHLO offers "AUTH <mechanisms>" when
 *	sm_auth_offer() allows it (by default only in TLS) and the session is
 *	not authenticated yet. While an exchange is under way (s->auth) every
 *	command line is a response for sm_auth_step(), not a command. The
 *	exchange reads the sasldb, a local file, on the event loop itself:
 *	it is short and needs no worker. Success sets s->client_ok (the
 *	client may relay) and logs "authenticated as USER (MECH)"; a failure
 *	counts toward MaxBadCommands. Passwords are never logged.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "router/access.h"
#include "router/address.h"
#include "router/router.h"
#include "server/abuse.h"
#include "server/auth.h"
#include "server/cmdline.h"
#include "server/smtpd.h"
#include "server/smtpproto.h"
#include "server/target.h"
#include "server/tls.h"

#define READ_CHUNK 16384
#define OUT_HIGH 65536   /* stop reading while this much output waits */
#define MAX_HOPS 30      /* more Received: fields is a loop */
#define COMMIT_BATCH 256 /* messages per group commit at most */
#define COMMITTERS 2     /* commit threads: creating queue files costs CPU, so use two cores */
#define TAG_LISTEN 1u    /* epoll data: listening socket index in the low bits */
#define TAG_WAKE 2u

enum task_kind { TASK_MAIL, TASK_RCPT, TASK_VRFY, TASK_EXPN, TASK_COMMIT };

struct session;

/* one piece of work off the loop */
struct task {
	struct task *next;
	enum task_kind kind;
	struct session *s;
	/* lookups */
	char *addr;      /* the address routed */
	int client_ok;   /* the client may relay */
	unsigned notify; /* RCPT: NOTIFY= */
	char *orcpt;     /* RCPT: ORCPT=, or NULL */
	char *reply;     /* the answer, without CRLF (multi-line: CRLF-separated, EXPN) */
	struct sm_route route;
	char ip[INET6_ADDRSTRLEN]; /* RCPT: the client, for the access database */
	const char *verify;        /* RCPT: TLS verify result ("NONE" without TLS), a constant */
	char *issuer, *subject;    /* RCPT: the client certificate's DNs, or NULL */
	/* commits */
	struct sm_qmsg *msg;
	enum sm_qstatus st;
};

/* a list of tasks with its lock and signal */
struct tasklist {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct task *head, *tail;
	size_t n;
};

enum mode { M_CMD, M_DATA, M_WAIT, M_TLS, M_PAUSE, M_CLOSING };

/* where a session is with TLS */
enum tls_state {
	TLS_OFF,     /* plaintext */
	TLS_AWAIT,   /* 220 to STARTTLS queued: the handshake starts once it is written */
	TLS_SHAKING, /* handshake under way */
	TLS_ACTIVE,  /* everything goes through s->tls */
};

struct session {
	struct session *next, *prev;
	struct sm_smtpd *d;
	int fd;
	char ip[INET6_ADDRSTRLEN];
	int client_ok; /* RelayClients */
	enum mode mode;
	int dead;  /* closed while a task was out */
	int busy;  /* tasks out */
	int esmtp; /* EHLO given */
	char *helo;
	enum sm_smtp_state st;
	struct sm_smtp_reader rd;
	struct sm_buf in, out;
	size_t bad; /* bad commands */
	time_t start, last;
	unsigned events; /* the epoll mask set now */
	/* the transaction */
	struct sm_qmsg *msg;
	size_t nrcpt; /* accepted RCPT commands */
	struct sm_smtp_data data;
	struct sm_buf body;
	char *first_rcpt;
	/* TLS (see the top of this file) */
	enum tls_state tls_state;
	struct sm_tls_conn *tls;     /* from TLS_SHAKING on; NULL after close */
	unsigned tls_want;           /* TLS_SHAKING: the epoll event OpenSSL waits for */
	struct sm_tls_info tls_info; /* verify NONE until the handshake is done */
	/* anti-abuse and the access database */
	long long greet_at; /* M_PAUSE: when to greet, in ms */
	int talked;         /* M_PAUSE: the client sent something before the greeting */
	int pregreet;       /* it did: every command but QUIT is refused */
	int discard;        /* Connect: or From: DISCARD: messages are acknowledged and dropped */
	/* AUTH (see the top of this file) */
	struct sm_auth_session *auth; /* an exchange under way, else NULL */
	char *auth_mech;              /* its mechanism, for the log */
	char *auth_user;              /* after 235: the authenticated name */
};

struct worker {
	struct sm_smtpd *d;
	pthread_t th;
	struct sm_switch *sw;
	struct sm_router *rt;
};

struct sm_smtpd {
	const struct sm_config *cf;
	struct sm_queue *q;
	const int *lfds;
	size_t nlfds;
	int ep, wake;
	volatile int stopping;
	char *host;
	struct session *sessions;
	size_t nsessions;
	/* limits */
	size_t max_size, max_rcpt, max_sessions, max_bad;
	long cmd_timeout, data_timeout, deadline;
	int novrfy, noexpn;
	char **relay_clients;
	size_t nrelay_clients;
	struct sm_class *relay_domains, *virt_domains;
	int sendertoo;            /* LdapRouteBounce = sendertoo: MAIL FROM is checked in a lookup thread */
	struct sm_tls *tls;       /* STARTTLS offered when not NULL */
	struct sm_access *access; /* AccessFile */
	struct sm_abuse *abuse;   /* connection rates, rejection log limits */
	size_t npause;            /* sessions in M_PAUSE at the last look */
	long tls_timeout;         /* StartTLSTimeout */
	int require_tls;          /* RequireStartTLS */
	struct sm_auth *auth;     /* AUTH offered when not NULL */
	/* threads */
	struct tasklist lookups, commits, done;
	struct worker *workers;
	size_t nworkers;
	pthread_t committer[COMMITTERS];
	size_t committers_started;
	int threads_started;
};

/* ---- task lists ---- */

/* tl_init - an empty list */
static void tl_init(struct tasklist *l)
{
	pthread_mutex_init(&l->mu, NULL);
	pthread_cond_init(&l->cv, NULL);
	l->head = l->tail = NULL;
	l->n = 0;
}

/* tl_push - append t and wake one waiter */
static void tl_push(struct tasklist *l, struct task *t)
{
	t->next = NULL;
	pthread_mutex_lock(&l->mu);
	if (l->tail)
		l->tail->next = t;
	else
		l->head = t;
	l->tail = t;
	l->n++;
	pthread_cond_signal(&l->cv);
	pthread_mutex_unlock(&l->mu);
}

/* tl_take - detach up to max tasks (waiting while empty unless nowait); NULL when stopping */
static struct task *tl_take(struct tasklist *l, size_t max, int nowait, volatile int *stop)
{
	struct task *h, *t;
	size_t i;

	pthread_mutex_lock(&l->mu);
	while (l->head == NULL && !nowait && !*stop)
		pthread_cond_wait(&l->cv, &l->mu);
	h = l->head;
	for (t = h, i = 1; t && t->next && i < max; t = t->next, i++)
		;
	if (t) {
		l->head = t->next;
		if (l->head == NULL)
			l->tail = NULL;
		t->next = NULL;
		l->n -= i;
	}
	pthread_mutex_unlock(&l->mu);
	return h;
}

/* task_free - release a task and what it holds */
static void task_free(struct task *t)
{
	free(t->addr);
	free(t->orcpt);
	free(t->reply);
	free(t->issuer);
	free(t->subject);
	sm_route_free(&t->route);
	sm_qmsg_free(t->msg);
	free(t);
}

/* wake_loop - tell the loop that tasks are done */
static void wake_loop(struct sm_smtpd *d)
{
	uint64_t one = 1;

	if (write(d->wake, &one, sizeof(one)) < 0 && errno != EAGAIN)
		sm_log(LOG_ERR, "smtpd: cannot wake the event loop: %s", strerror(errno));
}

/* ---- the relay rule ---- */

/* sm_smtpd_relay_check - may RCPT to addr be accepted without relaying rights? (see smtpd.h) */
int sm_smtpd_relay_check(const char *addr, int client_ok, int (*is_local)(void *, const char *), void *ctx,
                         const struct sm_class *relay, const struct sm_class *virt,
                         int (*is_routed)(void *, const char *))
{
	struct sm_addr a;
	struct sm_addr_error e;
	int ok = 0, r;

	if (client_ok)
		return 1;
	if (sm_addr_parse(addr, strlen(addr), &a, &e) < 0)
		return 0;
	if (a.kind != SM_ADDR_MAILBOX || a.bang_next != NULL || a.route != NULL) {
		ok = 0;
	} else if (a.domain == NULL) {
		ok = strchr(a.local, '!') == NULL && strchr(a.local, '@') == NULL &&
		     strchr(a.local, '%') == NULL;
	} else if (is_local(ctx, a.domain)) {
		ok = strchr(a.local, '!') == NULL && strchr(a.local, '@') == NULL;
		while (ok && (r = sm_addr_percent_hack(&a, &e)) == 1)
			ok = is_local(ctx, a.domain);
		if (r < 0)
			ok = 0;
	} else {
		ok = strchr(a.local, '!') == NULL && strchr(a.local, '@') == NULL &&
		     strchr(a.local, '%') == NULL &&
		     ((relay && sm_class_match_domain(relay, a.domain, 1)) ||
		      (virt && sm_class_contains(virt, a.domain)) || (is_routed && is_routed(ctx, a.domain)));
	}
	sm_addr_free(&a);
	return ok;
}

/* router_is_local - is_local callback over a router */
static int router_is_local(void *ctx, const char *domain)
{
	return sm_router_is_local_domain(ctx, domain);
}

/* router_is_routed - is_routed callback over a router */
static int router_is_routed(void *ctx, const char *domain)
{
	return sm_router_ldap_routed(ctx, domain);
}

/* ---- lookup workers ---- */

/* reply_with_addr - "CODE ENH <addr>... text" from a router reply "CODE ENH text" */
static char *reply_with_addr(const char *reply, const char *addr)
{
	const char *p = reply;
	size_t head;

	if (strlen(reply) < 4 || !isdigit((unsigned char)reply[0]))
		return sm_asprintf("451 4.3.0 <%s>... %s", addr, reply);
	p = reply + 4;
	if (isdigit((unsigned char)*p) && p[1] == '.') {
		while (*p && *p != ' ')
			p++;
		if (*p == ' ')
			p++;
	}
	head = (size_t)(p - reply);
	return sm_asprintf("%.*s<%s>... %s", (int)head, reply, addr, p);
}

/*
 * rcpt_refused - the access database's To: entry, then the relay rule: RelayClients, our domains,
 * relay-domains, the virtusertable's and LDAP-routed domains, else the access database (Connect:
 * RELAY, To: RELAY, a client certificate whose issuer or subject is RELAY); 1 with t->reply set
 * when RCPT is refused
 */
static int rcpt_refused(struct sm_smtpd *d, struct sm_router *rt, struct task *t)
{
	struct sm_access_result ar;
	struct sm_relay_query q;
	struct sm_relay_result rr;
	enum sm_access_action act = sm_access_to(d->access, t->addr, &ar);
	int refused = 0;

	if (act == SM_ACCESS_REJECT || act == SM_ACCESS_ERROR || act == SM_ACCESS_TEMPFAIL) {
		t->reply = reply_with_addr(ar.reply, t->addr);
		sm_access_result_free(&ar);
		return 1;
	}
	sm_access_result_free(&ar);
	if (sm_smtpd_relay_check(t->addr, t->client_ok, router_is_local, rt, d->relay_domains,
	                         d->virt_domains, router_is_routed))
		return 0;
	memset(&q, 0, sizeof(q));
	q.client_ip = t->ip;
	q.rcpt = t->addr;
	q.verify = t->verify;
	q.cert_issuer = t->issuer;
	q.cert_subject = t->subject;
	if (sm_access_may_relay(d->access, &q, &rr) != SM_RELAY_YES) {
		t->reply = rr.reply ? reply_with_addr(rr.reply, t->addr)
		                    : sm_asprintf("550 5.7.1 <%s>... Relaying denied", t->addr);
		refused = 1;
	}
	sm_relay_result_free(&rr);
	return refused;
}

/* do_rcpt - route one RCPT address and decide the reply */
static void do_rcpt(struct worker *w, struct task *t)
{
	struct sm_smtpd *d = w->d;
	struct sm_route_tally n;

	if (rcpt_refused(d, w->rt, t))
		return;
	sm_router_reset(w->rt);
	sm_route(w->rt, t->addr, &t->route, NULL);
	sm_route_tally(&t->route, &n);
	if (n.temp)
		t->reply = reply_with_addr(n.temp->reply, t->addr);
	else if (n.good == 0 && n.perm && n.perm->reply)
		t->reply = reply_with_addr(n.perm->reply, t->addr);
	else if (n.good == 0)
		t->reply = sm_asprintf("550 5.1.1 <%s>... User unknown", t->addr);
	else
		t->reply = sm_asprintf("250 2.1.5 <%s>... Recipient ok", t->addr);
}

/* do_mail - check an envelope sender in an LDAP-routed domain (sendertoo) */
static void do_mail(struct worker *w, struct task *t)
{
	char *why = sm_router_check_sender(w->rt, t->addr, NULL);

	t->reply = why ? reply_with_addr(why, t->addr) : sm_strdup("250 2.1.0 Sender ok");
	free(why);
}

/* do_expn - route an address and list what it expands to (EXPN), or check it (VRFY) */
static void do_expn(struct worker *w, struct task *t)
{
	struct sm_buf b = SM_BUF_INIT;
	size_t i, n = 0;

	sm_router_reset(w->rt);
	sm_route(w->rt, t->addr, &t->route, NULL);
	for (i = 0; i < t->route.count; i++)
		if (t->route.r[i].mailer)
			n++;
	if (n == 0) {
		t->reply = t->route.count > 0 && t->route.r[0].reply
		               ? reply_with_addr(t->route.r[0].reply, t->addr)
		               : sm_asprintf("550 5.1.1 <%s>... User unknown", t->addr);
		return;
	}
	if (t->kind == TASK_VRFY) {
		t->reply = sm_asprintf("250 2.1.5 <%s>", t->addr);
		return;
	}
	for (i = 0; i < t->route.count; i++) {
		const struct sm_rcpt *r = &t->route.r[i];

		if (r->mailer == NULL)
			continue;
		sm_buf_printf(&b, "%s250%c2.1.5 <%s>", b.len ? "\r\n" : "", --n ? '-' : ' ', r->addr);
	}
	t->reply = sm_buf_steal(&b);
}

/* lookup_main - a lookup worker thread */
static void *lookup_main(void *arg)
{
	struct worker *w = arg;
	struct sm_smtpd *d = w->d;
	struct task *t;

	while ((t = tl_take(&d->lookups, 1, 0, &d->stopping)) != NULL) {
		if (t->kind == TASK_RCPT)
			do_rcpt(w, t);
		else if (t->kind == TASK_MAIL)
			do_mail(w, t);
		else
			do_expn(w, t);
		tl_push(&d->done, t);
		wake_loop(d);
	}
	return NULL;
}

/* commit_main - the commit thread: every ready message in one group */
static void *commit_main(void *arg)
{
	struct sm_smtpd *d = arg;
	struct task *h, *t, *next;

	while ((h = tl_take(&d->commits, COMMIT_BATCH, 0, &d->stopping)) != NULL) {
		struct sm_qmsg *m[COMMIT_BATCH];
		enum sm_qstatus st[COMMIT_BATCH];
		size_t n = 0, i;

		for (t = h; t; t = t->next)
			m[n++] = t->msg;
		sm_queue_commit_group(d->q, m, n, st, NULL);
		for (t = h, i = 0; t; t = next, i++) {
			next = t->next;
			t->st = st[i];
			tl_push(&d->done, t);
		}
		wake_loop(d);
	}
	return NULL;
}

/* ---- sessions ---- */

/* out_reply - queue one reply line (text without CRLF; may hold CRLF-separated lines) */
static void out_reply(struct session *s, const char *text)
{
	sm_buf_adds(&s->out, text);
	sm_buf_add(&s->out, "\r\n", 2);
}

/* set_events - watch for input unless waiting or backed up, and for output when some is pending */
static void set_events(struct session *s)
{
	struct epoll_event ev;
	unsigned want = 0;

	if ((s->mode == M_CMD || s->mode == M_DATA) && s->out.len < OUT_HIGH)
		want |= EPOLLIN | EPOLLRDHUP;
	if (s->out.len > 0)
		want |= EPOLLOUT;
	if (s->mode == M_TLS && s->tls_state == TLS_SHAKING)
		want = s->tls_want;
	if (want == s->events)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.events = want;
	ev.data.ptr = s;
	if (epoll_ctl(s->d->ep, EPOLL_CTL_MOD, s->fd, &ev) == 0)
		s->events = want;
}

static void tls_begin(struct session *s);

/* flush - write what is pending (then start a handshake that waits for it); -1 when the client is gone */
static int flush(struct session *s)
{
	size_t off = 0;

	while (off < s->out.len && s->tls_state == TLS_ACTIVE) {
		size_t put = 0;
		enum sm_tls_io st = sm_tls_write(s->tls, s->out.data + off, s->out.len - off, &put);

		off += put;
		if (st == SM_TLS_IO_WANT_WRITE || st == SM_TLS_IO_WANT_READ)
			break;
		if (st == SM_TLS_IO_EOF || st == SM_TLS_IO_ERROR)
			return -1;
	}
	while (off < s->out.len && s->tls_state != TLS_ACTIVE) {
		ssize_t w = send(s->fd, s->out.data + off, s->out.len - off, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (w <= 0)
			return -1;
		off += (size_t)w;
	}
	if (off > 0) {
		memmove(s->out.data, s->out.data + off, s->out.len - off);
		s->out.len -= off;
	}
	if (s->tls_state == TLS_AWAIT && s->out.len == 0 && s->mode == M_TLS)
		tls_begin(s);
	else
		set_events(s);
	return 0;
}

/* reset_transaction - forget MAIL, RCPT and DATA */
static void reset_transaction(struct session *s)
{
	sm_qmsg_free(s->msg);
	s->msg = NULL;
	s->nrcpt = 0;
	sm_buf_free(&s->body);
	free(s->first_rcpt);
	s->first_rcpt = NULL;
}

/* session_free - unlink and release s (only when no task is out) */
static void session_free(struct session *s)
{
	struct sm_smtpd *d = s->d;

	if (s->prev)
		s->prev->next = s->next;
	else
		d->sessions = s->next;
	if (s->next)
		s->next->prev = s->prev;
	d->nsessions--;
	reset_transaction(s);
	sm_buf_free(&s->in);
	sm_buf_free(&s->out);
	sm_tls_conn_free(s->tls);
	sm_auth_session_free(s->auth);
	free(s->auth_mech);
	free(s->auth_user);
	free(s->helo);
	free(s);
}

/* session_close - say goodbye (reply may be NULL) and close the socket; sweep() frees s later */
static void session_close(struct session *s, const char *reply)
{
	char drain[4096];

	if (s->fd < 0)
		return;
	s->mode = M_CLOSING; /* nothing more is read, and no handshake starts */
	if (reply)
		out_reply(s, reply);
	(void)flush(s);
	sm_log(LOG_INFO, "smtpd: disconnect from %s [%s]", s->helo ? s->helo : "?", s->ip);
	epoll_ctl(s->d->ep, EPOLL_CTL_DEL, s->fd, NULL);
	sm_tls_conn_free(s->tls); /* close_notify when it can go at once */
	s->tls = NULL;
	s->tls_state = TLS_OFF; /* s->tls_info stays */
	/* read what the client sent meanwhile: closing with unread input would reset the connection */
	shutdown(s->fd, SHUT_WR);
	while (recv(s->fd, drain, sizeof(drain), MSG_DONTWAIT) > 0)
		;
	close(s->fd);
	s->fd = -1;
	s->mode = M_CLOSING;
	s->dead = 1; /* freed by sweep() once no task is out: callers may still hold s */
}

/* sweep - free the closed sessions that have no task out */
static void sweep(struct sm_smtpd *d)
{
	struct session *s, *next;

	for (s = d->sessions; s; s = next) {
		next = s->next;
		if (s->dead && s->busy == 0)
			session_free(s);
	}
}

/* submit - hand a task to a worker list; the session waits */
static void submit(struct session *s, struct tasklist *l, struct task *t)
{
	t->s = s;
	s->busy++;
	s->mode = M_WAIT;
	tl_push(l, t);
}

/* help - the HELP reply from HelpFile (sendmail's "smtp" and "smtp-VERB" lines) */
static void help(struct session *s, const char *topic)
{
	const char *path = sm_config_str(s->d->cf, "HelpFile");
	char key[64], line[1024];
	struct sm_buf b = SM_BUF_INIT;
	size_t klen;
	FILE *fp;

	if (topic && *topic)
		snprintf(key, sizeof(key), "smtp-%s\t", topic);
	else
		snprintf(key, sizeof(key), "smtp\t");
	for (klen = 0; key[klen]; klen++)
		key[klen] = (char)tolower((unsigned char)key[klen]);
	if ((fp = fopen(path, "r")) == NULL) {
		out_reply(s, "502 5.3.0 HELP not implemented");
		return;
	}
	while (fgets(line, sizeof(line), fp)) {
		size_t n = strcspn(line, "\r\n");

		line[n] = '\0';
		if (strncasecmp(line, key, klen) == 0)
			sm_buf_printf(&b, "214-2.0.0 %s\r\n", line + klen);
	}
	fclose(fp);
	if (b.len == 0) {
		char *p = sm_printable(topic ? topic : "", topic ? strlen(topic) : 0, 40);

		sm_buf_printf(&b, "504 5.3.0 HELP topic \"%s\" unknown\r\n", p);
		free(p);
	} else {
		sm_buf_adds(&b, "214 2.0.0 End of HELP info\r\n");
	}
	sm_buf_add(&s->out, b.data, b.len);
	sm_buf_free(&b);
}

/* ehlo_reply - the greeting lines of HELO/EHLO */
static void ehlo_reply(struct session *s, int esmtp)
{
	struct sm_smtpd *d = s->d;
	const char *mechs;

	if (!esmtp) {
		sm_buf_printf(&s->out, "250 %s Hello %s [%s], pleased to meet you\r\n", d->host, s->helo,
		              s->ip);
		return;
	}
	sm_buf_printf(&s->out, "250-%s Hello %s [%s], pleased to meet you\r\n", d->host, s->helo, s->ip);
	sm_buf_adds(&s->out, "250-PIPELINING\r\n");
	if (d->max_size)
		sm_buf_printf(&s->out, "250-SIZE %zu\r\n", d->max_size);
	else
		sm_buf_adds(&s->out, "250-SIZE\r\n");
	sm_buf_adds(&s->out, "250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n250-DSN\r\n");
	if (!d->novrfy)
		sm_buf_adds(&s->out, "250-VRFY\r\n");
	if (!d->noexpn)
		sm_buf_adds(&s->out, "250-EXPN\r\n");
	if (d->tls && s->tls_state == TLS_OFF)
		sm_buf_adds(&s->out, "250-STARTTLS\r\n");
	if (s->auth_user == NULL && (mechs = sm_auth_offer(d->auth, s->tls_state == TLS_ACTIVE)) != NULL)
		sm_buf_printf(&s->out, "250-AUTH %s\r\n", mechs);
	sm_buf_adds(&s->out, "250 HELP\r\n");
}

/* rfc5322_date - "Mon, 23 Nov 2026 10:00:00 +0000" for t */
static void rfc5322_date(time_t t, char *buf, size_t len)
{
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, len, "%a, %d %b %Y %H:%M:%S %z", &tm);
}

/* session_tls - the session's TLS result for policy and logs, NULL when it is not in TLS (owned by s) */
static const struct sm_tls_info *session_tls(const struct session *s)
{
	return s->tls_state == TLS_ACTIVE ? &s->tls_info : NULL;
}

/* start_data - 354 and the Received: field */
static void start_data(struct session *s)
{
	char date[64];

	rfc5322_date(time(NULL), date, sizeof(date));
	sm_buf_reset(&s->body);
	sm_buf_printf(&s->body, "Received: from %s ([%s])\r\n", s->helo, s->ip);
	if (session_tls(s) != NULL)
		sm_buf_printf(&s->body, "\t(version=%s cipher=%s bits=%d verify=%s)\r\n", s->tls_info.version,
		              s->tls_info.cipher, s->tls_info.bits, sm_tls_verify_name(s->tls_info.verify));
	sm_buf_printf(&s->body, "\tby %s (switchmail) with %s%s id %s", s->d->host,
	              s->esmtp ? "ESMTP" : "SMTP", session_tls(s) ? "S" : "", s->msg->id);
	if (s->nrcpt == 1 && s->first_rcpt)
		sm_buf_printf(&s->body, "\r\n\tfor <%s>", s->first_rcpt);
	sm_buf_printf(&s->body, "; %s\r\n", date);
	sm_smtp_data_init(&s->data, &s->body, s->d->max_size ? s->d->max_size + s->body.len : 0);
	out_reply(s, "354 3.0.0 Enter mail, end with \".\" on a line by itself");
	s->mode = M_DATA;
}

/* count_hops - Received: fields in the header section of the message */
static size_t count_hops(const struct sm_buf *b)
{
	const char *p = b->data, *end = b->data + b->len;
	size_t n = 0;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t len = eol ? (size_t)(eol - p) : (size_t)(end - p);

		if (len == 0 || (len == 1 && p[0] == '\r'))
			break;
		if (len >= 9 && strncasecmp(p, "Received:", 9) == 0)
			n++;
		if (eol == NULL)
			break;
		p = eol + 1;
	}
	return n;
}

/* end_data - the message is in: check it and send it to be committed */
static void end_data(struct session *s)
{
	const char *r = sm_smtp_data_reply(&s->data);
	struct task *t;

	if (r == NULL && count_hops(&s->body) > MAX_HOPS)
		r = "554 5.4.6 Too many hops (mail loop)";
	if (r != NULL) {
		sm_log(LOG_NOTICE, "%s: message from [%s] refused: %s", s->msg->id, s->ip, r);
		out_reply(s, r);
		reset_transaction(s);
		s->mode = M_CMD;
		return;
	}
	if (s->data.bare_lf || s->data.bare_cr)
		sm_log(LOG_INFO, "%s: normalised %lu bare LF and %lu bare CR", s->msg->id, s->data.bare_lf,
		       s->data.bare_cr);
	if (s->discard) {
		/* DISCARD in the access database: acknowledged, never queued */
		sm_log(LOG_NOTICE, "%s: discarded (access database), from [%s]", s->msg->id, s->ip);
		sm_buf_printf(&s->out, "250 2.0.0 %s Message accepted for delivery\r\n", s->msg->id);
		reset_transaction(s);
		s->mode = M_CMD;
		s->st = SM_SMTP_GREETED;
		return;
	}
	sm_buf_free(&s->msg->body);
	s->msg->body = s->body;
	memset(&s->body, 0, sizeof(s->body));
	t = sm_calloc(1, sizeof(*t));
	t->kind = TASK_COMMIT;
	t->msg = s->msg;
	s->msg = NULL;
	submit(s, &s->d->commits, t);
}

/* lookup - start a MAIL, RCPT, VRFY or EXPN lookup */
static void lookup(struct session *s, enum task_kind kind, const char *addr, const struct sm_smtp_cmd *c)
{
	struct task *t = sm_calloc(1, sizeof(*t));

	t->kind = kind;
	t->addr = sm_strdup(addr);
	t->client_ok = s->client_ok;
	snprintf(t->ip, sizeof(t->ip), "%s", s->ip);
	t->verify = sm_tls_verify_name(s->tls_state == TLS_ACTIVE ? s->tls_info.verify : SM_TLS_NONE);
	if (s->tls_state == TLS_ACTIVE && s->tls_info.issuer[0])
		t->issuer = sm_strdup(s->tls_info.issuer);
	if (s->tls_state == TLS_ACTIVE && s->tls_info.subject[0])
		t->subject = sm_strdup(s->tls_info.subject);
	if (c != NULL) {
		t->notify = c->params.notify;
		t->orcpt = c->params.orcpt ? sm_strdup(c->params.orcpt) : NULL;
	}
	submit(s, &s->d->lookups, t);
}

/* sender_ok - the reply to MAIL FROM: 2xx begins the transaction, anything else ends it */
static void sender_ok(struct session *s, const char *reply)
{
	struct sm_qmsg *m = s->msg;

	out_reply(s, reply);
	if (reply[0] != '2') {
		sm_log(LOG_NOTICE, "%s: from=<%s>, refused: %s", m->id, m->sender.data, reply);
		reset_transaction(s);
		return;
	}
	s->st = sm_smtp_next(s->st, SM_SMTP_MAIL);
	sm_log(LOG_INFO, "%s: from=<%s>, client=%s [%s]", m->id, m->sender.len ? m->sender.data : "", s->helo,
	       s->ip);
}

/* refuse_logged_line - log a refusal at most once per RejectLogInterval per kind and client */
static void refuse_logged_line(struct session *s, const char *kind, const char *why)
{
	char key[96];

	snprintf(key, sizeof(key), "%s %s", kind, s->ip);
	if (sm_abuse_should_log(s->d->abuse, key, time(NULL)))
		sm_log(LOG_NOTICE, "smtpd: [%s] refused (%s): %s", s->ip, kind, why);
}

/*
 * from_refused - the access database's TLS_Clt: entry for the client (checked against its TLS
 * session), then its From: entry for the sender; 1 when MAIL is refused (replied)
 */
static int from_refused(struct session *s, const char *sender)
{
	struct sm_access_result ar;
	enum sm_access_action act;
	int refused = 0;

	act = sm_access_tls_clt(s->d->access, NULL, s->ip, &ar);
	if (act == SM_ACCESS_VERIFY || act == SM_ACCESS_ENCR || act == SM_ACCESS_TEMPFAIL) {
		/* TLS_Clt: this client must have a verified or strong enough TLS session */
		const struct sm_tls_info *t = session_tls(s);
		char *why = NULL;

		if (act == SM_ACCESS_TEMPFAIL)
			why = sm_strdup(ar.reply);
		else
			(void)sm_access_tls_check(&ar, sm_tls_verify_name(t ? t->verify : SM_TLS_NONE),
			                          t ? (unsigned)t->bits : 0, &why);
		if (why) {
			refuse_logged_line(s, "TLS_Clt", why);
			out_reply(s, why);
			free(why);
			sm_access_result_free(&ar);
			return 1;
		}
	}
	sm_access_result_free(&ar);
	act = sm_access_from(s->d->access, sender, &ar);
	if (act == SM_ACCESS_REJECT || act == SM_ACCESS_ERROR || act == SM_ACCESS_TEMPFAIL) {
		refuse_logged_line(s, "From", ar.reply);
		out_reply(s, ar.reply);
		refused = 1;
	} else if (act == SM_ACCESS_DISCARD) {
		s->discard = 1;
	}
	sm_access_result_free(&ar);
	return refused;
}

/* mail_from - MAIL FROM accepted: a new transaction */
static void mail_from(struct session *s, const struct sm_smtp_cmd *c)
{
	struct sm_qmsg *m;

	if (c->params.has_size && s->d->max_size && c->params.size > s->d->max_size) {
		out_reply(s, "552 5.3.4 Message size exceeds fixed maximum message size");
		return;
	}
	if (from_refused(s, c->path.kind == SM_ADDR_NULL ? "<>" : c->path.text))
		return;
	reset_transaction(s);
	m = s->msg = sm_qmsg_new();
	sm_queue_newid(m->id);
	if (c->path.kind != SM_ADDR_NULL)
		sm_buf_adds(&m->sender, c->path.text);
	if (c->params.envid)
		sm_buf_adds(&m->envid, c->params.envid);
	m->ret = c->params.ret == SM_SMTP_RET_FULL   ? SM_RET_FULL
	         : c->params.ret == SM_SMTP_RET_HDRS ? SM_RET_HDRS
	                                             : SM_RET_UNSET;
	if (s->d->sendertoo && m->sender.len) {
		lookup(s, TASK_MAIL, m->sender.data, NULL);
		return;
	}
	sender_ok(s, "250 2.1.0 Sender ok");
}

/* auth_result - act on what sm_auth_start() or sm_auth_step() came to */
static void auth_result(struct session *s, enum sm_auth_status st, struct sm_auth_result *r)
{
	out_reply(s, r->reply);
	switch (st) {
	case SM_AUTH_CONTINUE:
		break;
	case SM_AUTH_OK:
		s->auth_user = r->user ? r->user : sm_strdup("?");
		r->user = NULL;
		s->client_ok = 1;
		sm_log(LOG_INFO, "smtpd: [%s] authenticated as %s (%s)", s->ip, s->auth_user, s->auth_mech);
		break;
	case SM_AUTH_FAIL:
	case SM_AUTH_CANCEL:
	case SM_AUTH_REFUSED:
	case SM_AUTH_TEMP:
		sm_log(LOG_NOTICE, "smtpd: [%s] AUTH %s failed for %s: %s (%s)", s->ip, s->auth_mech,
		       r->user ? r->user : "?", r->reply, r->detail ? r->detail : "?");
		if (st == SM_AUTH_FAIL && ++s->bad >= s->d->max_bad)
			session_close(s, "421 4.7.0 Too many errors on this connection, closing");
		break;
	}
	if (st != SM_AUTH_CONTINUE) {
		free(s->auth_mech);
		s->auth_mech = NULL;
	}
	sm_auth_result_clear(r);
}

/* auth_command - the AUTH command (the parser and the sequence rules have passed it) */
static void auth_command(struct session *s, const char *arg)
{
	struct sm_auth_result r;

	if (s->d->auth == NULL) {
		out_reply(s, "502 5.5.1 AUTH not available");
		return;
	}
	if (s->auth_user != NULL) {
		out_reply(s, "503 5.5.1 Already authenticated");
		return;
	}
	free(s->auth_mech);
	s->auth_mech = sm_printable(arg, strcspn(arg, " "), 20);
	auth_result(s, sm_auth_start(s->d->auth, arg, session_tls(s) != NULL, &s->auth, &r), &r);
}

/* command - one command line */
static void command(struct session *s, const char *line, size_t len, size_t pending)
{
	struct sm_smtpd *d = s->d;
	struct sm_smtp_cmd c;
	const char *why;

	if (s->auth != NULL) { /* a response inside an AUTH exchange (NUL and CR/LF are refused) */
		struct sm_auth_result r;

		auth_result(s, sm_auth_step(&s->auth, line, &r), &r);
		return;
	}
	if (sm_smtp_parse(line, len, &c) < 0) {
		out_reply(s, c.reply);
		sm_smtp_cmd_free(&c);
		if (++s->bad >= d->max_bad)
			session_close(s, "421 4.7.0 Too many errors on this connection, closing");
		return;
	}
	if (s->pregreet && c.verb != SM_SMTP_QUIT) {
		out_reply(s, SM_ABUSE_PREGREET_REPLY);
		sm_smtp_cmd_free(&c);
		return;
	}
	/* STARTTLS with input behind it: that input is discarded below (process), not refused */
	if ((c.verb != SM_SMTP_STARTTLS || d->tls == NULL || s->tls_state != TLS_OFF) &&
	    (why = sm_smtp_pipelining(c.verb, pending)) != NULL) {
		sm_log(LOG_NOTICE, "smtpd: [%s] pipelined past %s", s->ip, sm_smtp_verb_name(c.verb));
		sm_smtp_cmd_free(&c);
		session_close(s, why);
		return;
	}
	if ((why = sm_smtp_allowed(s->st, c.verb)) != NULL) {
		out_reply(s, why);
		sm_smtp_cmd_free(&c);
		if (++s->bad >= d->max_bad)
			session_close(s, "421 4.7.0 Too many errors on this connection, closing");
		return;
	}
	switch (c.verb) {
	case SM_SMTP_HELO:
	case SM_SMTP_EHLO:
		free(s->helo);
		s->helo = sm_strdup(c.arg);
		s->esmtp = c.verb == SM_SMTP_EHLO;
		reset_transaction(s);
		s->st = sm_smtp_next(s->st, c.verb);
		ehlo_reply(s, s->esmtp);
		break;
	case SM_SMTP_MAIL:
		if (d->require_tls && session_tls(s) == NULL) {
			out_reply(s, "530 5.7.0 Must issue a STARTTLS command first");
			break;
		}
		mail_from(s, &c);
		break;
	case SM_SMTP_RCPT:
		if (s->nrcpt >= d->max_rcpt) {
			out_reply(s, "452 4.5.3 Too many recipients");
			break;
		}
		lookup(s, TASK_RCPT, c.path.text, &c);
		break;
	case SM_SMTP_DATA:
		s->st = sm_smtp_next(s->st, c.verb);
		start_data(s);
		break;
	case SM_SMTP_RSET:
		reset_transaction(s);
		s->st = sm_smtp_next(s->st, c.verb);
		out_reply(s, "250 2.0.0 Reset state");
		break;
	case SM_SMTP_NOOP:
		out_reply(s, "250 2.0.0 OK");
		break;
	case SM_SMTP_QUIT:
		sm_buf_printf(&s->out, "221 2.0.0 %s closing connection\r\n", d->host);
		session_close(s, NULL);
		break;
	case SM_SMTP_VRFY:
		if (d->novrfy)
			out_reply(s,
			          "252 2.5.2 Cannot VRFY user; try RCPT to attempt delivery (or try finger)");
		else
			lookup(s, TASK_VRFY, c.arg, NULL);
		break;
	case SM_SMTP_EXPN:
		if (d->noexpn)
			out_reply(s, "502 5.7.0 Sorry, we do not allow this operation");
		else
			lookup(s, TASK_EXPN, c.arg, NULL);
		break;
	case SM_SMTP_HELP:
		help(s, c.arg);
		break;
	case SM_SMTP_STARTTLS:
		if (d->tls == NULL) {
			out_reply(s, "502 5.5.1 STARTTLS not available");
		} else if (s->tls_state != TLS_OFF) {
			out_reply(s, "503 5.5.1 TLS already active");
		} else {
			out_reply(s, "220 2.0.0 Ready to start TLS");
			s->tls_state = TLS_AWAIT;
			s->mode = M_TLS;
			s->last = time(NULL);
		}
		break;
	case SM_SMTP_AUTH:
		auth_command(s, c.arg);
		break;
	case SM_SMTP_BDAT:
	case SM_SMTP_UNKNOWN:
		out_reply(s, "500 5.5.1 Command unrecognized");
		break;
	}
	sm_smtp_cmd_free(&c);
}

/* process - handle buffered input until it runs out or the session must wait */
static void process(struct session *s)
{
	size_t off = 0;

	while (s->fd >= 0 && off < s->in.len && s->out.len < OUT_HIGH) {
		size_t used = 0;

		if (s->mode == M_DATA) {
			int end = sm_smtp_data_feed(&s->data, s->in.data + off, s->in.len - off, &used);

			off += used;
			if (end)
				end_data(s);
			continue;
		}
		if (s->mode != M_CMD)
			break;
		{
			struct sm_smtp_line l;
			enum sm_smtp_read r =
			    sm_smtp_read_line(&s->rd, s->in.data + off, s->in.len - off, &used, &l);

			if (r == SM_SMTP_READ_MORE) {
				off += used;
				break;
			}
			if (r == SM_SMTP_READ_ERROR) {
				off += used;
				out_reply(s, l.reply);
				if (++s->bad >= s->d->max_bad)
					session_close(
					    s, "421 4.7.0 Too many errors on this connection, closing");
				continue;
			}
			/* the line points into s->in: copy before anything can move it */
			{
				char *line = sm_strndup(l.ptr, l.len);
				size_t len = l.len;

				off += used;
				command(s, line, len, s->in.len - off);
				free(line);
				if (s->fd >= 0 && s->tls_state == TLS_AWAIT) {
					/* CVE-2011-0411: nothing sent before the handshake counts inside TLS */
					if (s->in.len > off)
						sm_log(LOG_NOTICE,
						       "smtpd: [%s] %zu bytes of plaintext after STARTTLS "
						       "discarded",
						       s->ip, s->in.len - off);
					off = s->in.len;
					break;
				}
			}
		}
	}
	if (s->fd < 0)
		return;
	if (off > 0) {
		memmove(s->in.data, s->in.data + off, s->in.len - off);
		s->in.len -= off;
	}
}

/* pump - after input or a finished task: process, write, and close on trouble */
static void pump(struct session *s)
{
	process(s);
	if (s->fd >= 0 && flush(s) < 0)
		session_close(s, NULL);
}

/* can_read - the session takes input now */
static int can_read(const struct session *s)
{
	return s->fd >= 0 && (s->mode == M_CMD || s->mode == M_DATA) && s->out.len < OUT_HIGH &&
	       (s->mode == M_DATA || s->in.len <= 2 * READ_CHUNK);
}

/* tls_input - read through TLS until OpenSSL wants the socket; -1 when the session was closed */
static int tls_input(struct session *s)
{
	char buf[READ_CHUNK];

	while (s->mode == M_DATA || s->in.len <= 2 * READ_CHUNK) {
		size_t got = 0;
		enum sm_tls_io st = sm_tls_read(s->tls, buf, sizeof(buf), &got);

		if (got > 0) {
			s->last = time(NULL);
			sm_buf_add(&s->in, buf, got);
		}
		if (st == SM_TLS_IO_OK)
			continue;
		if (st == SM_TLS_IO_WANT_READ || st == SM_TLS_IO_WANT_WRITE)
			break;
		if (st == SM_TLS_IO_ERROR)
			sm_log(LOG_NOTICE, "smtpd: [%s] TLS read: %s", s->ip, sm_tls_conn_error(s->tls));
		session_close(s, NULL);
		return -1;
	}
	return 0;
}

/* on_readable - read what the client sent */
static void on_readable(struct session *s)
{
	char buf[READ_CHUNK];

	if (s->mode == M_PAUSE) {
		/* talking before the greeting: the input is dropped and the client refused at the greeting */
		ssize_t n;

		while ((n = recv(s->fd, buf, sizeof(buf), 0)) > 0)
			s->talked = 1;
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
			session_close(s, NULL);
		return;
	}

	if (s->tls_state == TLS_ACTIVE) {
		/* OpenSSL may keep decrypted bytes the socket will not signal: go on while there are */
		do {
			if (tls_input(s) < 0)
				return;
			pump(s);
		} while (can_read(s) && sm_tls_pending(s->tls));
		return;
	}
	for (;;) {
		ssize_t n;

		if (s->mode != M_DATA && s->in.len > 2 * READ_CHUNK)
			break; /* unprocessed commands pile up: wait for the session to catch up */
		n = recv(s->fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			session_close(s, NULL); /* a task still out frees the session when it is back */
			return;
		}
		s->last = time(NULL);
		sm_buf_add(&s->in, buf, (size_t)n);
		if ((size_t)n < sizeof(buf))
			break;
	}
	pump(s);
}

/* resume - go on after a wait: decrypted input OpenSSL holds first, else what is buffered */
static void resume(struct session *s)
{
	if (s->tls_state == TLS_ACTIVE && can_read(s) && sm_tls_pending(s->tls))
		on_readable(s);
	else
		pump(s);
}

/* tls_done - the handshake is over: record it, log it, start the session afresh (RFC 3207 4.2) */
static void tls_done(struct session *s)
{
	struct sm_tls_info *i = &s->tls_info;

	sm_tls_conn_info(s->tls, i);
	s->tls_state = TLS_ACTIVE;
	s->mode = M_CMD;
	s->st = SM_SMTP_INIT;
	s->esmtp = 0;
	free(s->helo);
	s->helo = NULL;
	reset_transaction(s);
	sm_smtp_reader_init(&s->rd, 0);
	s->last = time(NULL);
	sm_log(LOG_INFO,
	       "smtpd: [%s] STARTTLS=server, version=%s, verify=%s%s%s, cipher=%s, bits=%d/%d, "
	       "cert-subject=%s, cert-issuer=%s",
	       s->ip, i->version, sm_tls_verify_name(i->verify), i->verify_reason[0] ? ", verifymsg=" : "",
	       i->verify_reason, i->cipher, i->bits, i->alg_bits, i->subject[0] ? i->subject : "(none)",
	       i->issuer[0] ? i->issuer : "(none)");
}

/* tls_step - drive the handshake as far as the socket allows */
static void tls_step(struct session *s)
{
	switch (sm_tls_handshake(s->tls)) {
	case SM_TLS_IO_OK:
		tls_done(s);
		set_events(s);
		resume(s);
		return;
	case SM_TLS_IO_WANT_READ:
		s->tls_want = EPOLLIN | EPOLLRDHUP;
		set_events(s);
		return;
	case SM_TLS_IO_WANT_WRITE:
		s->tls_want = EPOLLOUT;
		set_events(s);
		return;
	case SM_TLS_IO_EOF:
	case SM_TLS_IO_ERROR:
		s->tls_info.verify = SM_TLS_PROTOCOL;
		sm_log(LOG_NOTICE, "smtpd: [%s] STARTTLS=server, error: handshake failed: %s", s->ip,
		       sm_tls_conn_error(s->tls));
		session_close(s, NULL);
		return;
	}
}

/* tls_begin - the 220 is out: start the handshake on the socket */
static void tls_begin(struct session *s)
{
	int one = 1;

	/* a handshake flight is several small writes: Nagle would hold them for the peer's delayed ACK */
	(void)setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	s->tls = sm_tls_conn_new(s->d->tls, s->fd);
	if (s->tls == NULL) {
		s->tls_info.verify = SM_TLS_SOFTWARE;
		sm_log(LOG_ERR, "smtpd: [%s] STARTTLS=server, error: cannot set up a TLS connection", s->ip);
		session_close(s, NULL);
		return;
	}
	s->tls_state = TLS_SHAKING;
	tls_step(s);
}

/* task_done - a worker finished: answer and go on */
static void task_done(struct task *t)
{
	struct session *s = t->s;

	s->busy--;
	if (s->dead) {
		task_free(t);
		return;
	}
	s->mode = M_CMD;
	switch (t->kind) {
	case TASK_MAIL:
		sender_ok(s, t->reply);
		break;
	case TASK_RCPT:
		out_reply(s, t->reply);
		if (t->reply[0] == '2') {
			sm_qmsg_add_route(s->msg, t->addr, t->orcpt, t->notify, &t->route);
			if (s->nrcpt++ == 0)
				s->first_rcpt = sm_strdup(t->addr);
			s->st = sm_smtp_next(s->st, SM_SMTP_RCPT);
			sm_log(LOG_INFO, "%s: to=<%s>, accepted", s->msg->id, t->addr);
		} else {
			sm_log(LOG_NOTICE, "%s: to=<%s>, refused: %s", s->msg->id, t->addr, t->reply);
		}
		break;
	case TASK_VRFY:
	case TASK_EXPN:
		out_reply(s, t->reply);
		break;
	case TASK_COMMIT:
		if (t->st == SM_QOK) {
			sm_log(LOG_INFO, "%s: accepted, size=%zu, nrcpts=%zu, relay=%s [%s]", t->msg->id,
			       t->msg->body.len, t->msg->nrcpt, s->helo ? s->helo : "?", s->ip);
			sm_buf_printf(&s->out, "250 2.0.0 %s Message accepted for delivery\r\n", t->msg->id);
		} else {
			out_reply(s, "451 4.3.0 Error writing the message to the queue; try again later");
		}
		s->st = SM_SMTP_GREETED;
		break;
	}
	task_free(t);
	resume(s);
}

/* client_allowed_to_relay - is ip in RelayClients (addresses, or prefixes written a.b.c.d/len)? */
static int client_allowed_to_relay(const struct sm_smtpd *d, const struct sockaddr_storage *ss)
{
	size_t i;

	for (i = 0; i < d->nrelay_clients; i++) {
		char net[INET6_ADDRSTRLEN + 8];
		unsigned char want[16], have[16];
		char *slash;
		int bits, fam, alen;

		snprintf(net, sizeof(net), "%s", d->relay_clients[i]);
		slash = strchr(net, '/');
		if (slash)
			*slash++ = '\0';
		fam = strchr(net, ':') ? AF_INET6 : AF_INET;
		alen = fam == AF_INET6 ? 16 : 4;
		bits = slash ? atoi(slash) : alen * 8;
		if (inet_pton(fam, net, want) != 1 || bits < 0 || bits > alen * 8)
			continue;
		if (ss->ss_family == AF_INET && fam == AF_INET)
			memcpy(have, &((const struct sockaddr_in *)ss)->sin_addr, 4);
		else if (ss->ss_family == AF_INET6 && fam == AF_INET6)
			memcpy(have, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
		else
			continue;
		{
			int full = bits / 8, rest = bits % 8;

			if (memcmp(want, have, (size_t)full) != 0)
				continue;
			if (rest && ((want[full] ^ have[full]) & (0xff << (8 - rest))) != 0)
				continue;
		}
		return 1;
	}
	return 0;
}

/* on_accept - new connections on listening socket lfd */
static void admit(struct session *s, size_t same);

static void on_accept(struct sm_smtpd *d, int lfd)
{
	for (;;) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		struct epoll_event ev;
		struct session *s, *o;
		size_t same = 0;
		int fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
			    errno != ECONNABORTED)
				sm_log(LOG_ERR, "smtpd: accept: %s", strerror(errno));
			return;
		}
		s = sm_calloc(1, sizeof(*s));
		s->d = d;
		s->fd = fd;
		s->start = s->last = time(NULL);
		s->st = SM_SMTP_INIT;
		sm_smtp_reader_init(&s->rd, 0);
		if (ss.ss_family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, s->ip, sizeof(s->ip));
		else if (ss.ss_family == AF_INET6)
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, s->ip, sizeof(s->ip));
		else
			snprintf(s->ip, sizeof(s->ip), "local");
		s->client_ok = client_allowed_to_relay(d, &ss);
		s->next = d->sessions;
		if (d->sessions)
			d->sessions->prev = s;
		d->sessions = s;
		d->nsessions++;
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN | EPOLLRDHUP;
		ev.data.ptr = s;
		if (epoll_ctl(d->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
			sm_log(LOG_ERR, "smtpd: epoll_ctl: %s", strerror(errno));
			close(fd);
			s->fd = -1;
			session_free(s);
			continue;
		}
		for (o = d->sessions; o; o = o->next)
			if (o->fd >= 0 && strcmp(o->ip, s->ip) == 0)
				same++;
		sm_log(LOG_INFO, "smtpd: connect from [%s]", s->ip);
		if (d->max_sessions && d->nsessions > d->max_sessions) {
			sm_log(LOG_NOTICE, "smtpd: [%s] refused: %zu sessions", s->ip, d->nsessions - 1);
			session_close(s, "421 4.3.2 Too many connections, try again later");
		} else {
			admit(s, same);
		}
	}
}

/* refuse_logged - close s with reply; the log line at most once per RejectLogInterval per kind and client */
static void refuse_logged(struct session *s, const char *kind, const char *reply)
{
	refuse_logged_line(s, kind, reply);
	session_close(s, reply);
}

/* greet - the greeting, or the refusal of a client that talked before it */
static void greet(struct session *s)
{
	s->mode = M_CMD;
	if (s->talked) {
		char *g = sm_abuse_pregreet_greeting(s->d->host);

		s->pregreet = 1;
		refuse_logged_line(s, "pregreet", "client talked before the greeting");
		sm_buf_printf(&s->out, "%s\r\n", g);
		free(g);
	} else {
		sm_buf_printf(&s->out, "220 %s ESMTP switchmail ready\r\n", s->d->host);
	}
	if (flush(s) < 0)
		session_close(s, NULL);
}

/*
 * admit - the per-client limits (ClientConnectionLimit, ClientRate, ClientConn:), the access
 * database's Connect: entry, then the greeting, at once or after the greet pause
 */
static void admit(struct session *s, size_t same)
{
	struct sm_smtpd *d = s->d;
	struct sm_client_policy p;
	struct sm_access_result ar;
	enum sm_access_action act;
	unsigned long rate;

	sm_abuse_policy(d->cf, d->access, s->ip, NULL, s->client_ok, &p);
	rate = sm_abuse_connect(d->abuse, s->ip, time(NULL));
	if (p.conn > 0 && same > (size_t)p.conn) {
		refuse_logged(s, "conn", "421 4.7.0 Too many connections from your host, try again later");
		return;
	}
	if (sm_abuse_rate_exceeded(rate, p.rate)) {
		refuse_logged(s, "rate", SM_ABUSE_RATE_REPLY);
		return;
	}
	act = sm_access_connect(d->access, s->ip, NULL, &ar);
	if (act == SM_ACCESS_REJECT || act == SM_ACCESS_ERROR) {
		/* a refused connection is greeted with 554 (RFC 5321 3.1) */
		char *r = ar.reply && ar.reply[0] == '5'
		              ? sm_asprintf("554%s", ar.reply + 3)
		              : sm_strdup(ar.reply ? ar.reply : "554 5.7.1 Access denied");

		refuse_logged(s, "Connect", r);
		free(r);
		sm_access_result_free(&ar);
		return;
	}
	if (act == SM_ACCESS_TEMPFAIL) {
		refuse_logged(s, "Connect", "421 4.3.0 Temporary system failure. Please try again later.");
		sm_access_result_free(&ar);
		return;
	}
	if (act == SM_ACCESS_RELAY)
		s->client_ok = 1;
	else if (act == SM_ACCESS_DISCARD)
		s->discard = 1;
	sm_access_result_free(&ar);
	if (p.greet_pause_ms > 0) {
		s->mode = M_PAUSE;
		s->greet_at = sm_clock_ms() + p.greet_pause_ms;
		d->npause++;
		return;
	}
	greet(s);
}

/* greet_due - greet every paused session whose pause is over; counts those still waiting */
static void greet_due(struct sm_smtpd *d)
{
	long long now = sm_clock_ms();
	struct session *s, *next;

	d->npause = 0;
	for (s = d->sessions; s; s = next) {
		next = s->next;
		if (s->fd < 0 || s->mode != M_PAUSE)
			continue;
		if (s->greet_at <= now)
			greet(s);
		else
			d->npause++;
	}
}

/* tick - enforce timeouts and the session deadline */
static void tick(struct sm_smtpd *d)
{
	time_t now = time(NULL);
	struct session *s, *next;

	for (s = d->sessions; s; s = next) {
		long idle = s->mode == M_DATA ? d->data_timeout : d->cmd_timeout;

		next = s->next;
		if (s->fd < 0 || s->mode == M_WAIT)
			continue;
		if (s->mode == M_TLS && d->tls_timeout > 0 && now - s->last >= d->tls_timeout) {
			sm_log(LOG_NOTICE, "smtpd: [%s] STARTTLS=server, error: handshake timed out", s->ip);
			s->tls_info.verify = SM_TLS_PROTOCOL;
			session_close(s, NULL);
			continue;
		}
		if (s->mode == M_TLS)
			idle = 0;
		if (d->deadline > 0 && now - s->start >= d->deadline) {
			sm_log(LOG_NOTICE, "smtpd: [%s] session deadline reached", s->ip);
			session_close(s, "421 4.4.2 Session time limit exceeded, closing connection");
		} else if (idle > 0 && now - s->last >= idle) {
			sm_log(LOG_NOTICE, "smtpd: [%s] timeout", s->ip);
			session_close(s, "421 4.4.2 Timeout waiting for input, closing connection");
		}
	}
}

/* sm_smtpd_new - a server for the listening sockets fds (see smtpd.h) */
struct sm_smtpd *sm_smtpd_new(const struct sm_config *cf, struct sm_queue *q, const int *fds, size_t nfds,
                              struct sm_tls *tls)
{
	struct sm_smtpd *d = sm_calloc(1, sizeof(*d));
	struct sm_buf err = SM_BUF_INIT;
	const char *path;

	d->cf = cf;
	d->q = q;
	d->lfds = fds;
	d->nlfds = nfds;
	d->ep = d->wake = -1;
	d->host = sm_cmd_hostname(cf);
	d->max_size = (size_t)sm_config_int(cf, "MaxMessageSize");
	d->max_rcpt = (size_t)sm_config_int(cf, "MaxRecipientsPerMessage");
	d->max_sessions = (size_t)sm_config_int(cf, "MaxDaemonChildren");
	d->max_bad = (size_t)sm_config_int(cf, "MaxBadCommands");
	if (d->max_bad == 0)
		d->max_bad = 20;
	d->cmd_timeout = sm_config_int(cf, "CommandTimeout");
	d->data_timeout = sm_config_int(cf, "DataTimeout");
	d->deadline = sm_config_int(cf, "SessionDeadline");
	d->novrfy = sm_config_has_word(cf, "PrivacyOptions", "novrfy") ||
	            sm_config_has_word(cf, "PrivacyOptions", "goaway");
	d->noexpn = sm_config_has_word(cf, "PrivacyOptions", "noexpn") ||
	            sm_config_has_word(cf, "PrivacyOptions", "goaway");
	d->relay_clients = sm_config_words(cf, "RelayClients", &d->nrelay_clients);
	path = sm_config_str(cf, "RelayDomainsFile");
	d->relay_domains = *path ? sm_class_load(path, 1, &err) : NULL;
	path = sm_config_str(cf, "VirtUserDomainsFile");
	d->virt_domains = *path ? sm_class_load(path, 1, &err) : NULL;
	d->sendertoo = strcasecmp(sm_config_str(cf, "LdapRouteBounce"), "sendertoo") == 0;
	if (err.len)
		sm_log(LOG_ERR, "smtpd: %s", err.data);
	d->tls = tls;
	{
		struct sm_abuse_limits lim;

		d->access = sm_access_open(cf, &err);
		if (err.len)
			sm_log(LOG_ERR, "smtpd: %s", err.data);
		sm_abuse_limits_config(cf, &lim);
		d->abuse = sm_abuse_new(&lim);
	}
	d->tls_timeout = sm_config_int(cf, "StartTLSTimeout");
	d->require_tls = sm_config_bool(cf, "RequireStartTLS");
	sm_buf_reset(&err);
	d->auth = sm_auth_new(cf, d->host, &err);
	if (err.len)
		sm_log(LOG_ERR, "smtpd: AUTH not offered: %s", err.data);
	else if (d->auth != NULL && d->tls == NULL && sm_auth_offer(d->auth, 0) == NULL)
		sm_log(LOG_WARNING,
		       "smtpd: AuthRequireTLS is set but STARTTLS is not offered: AUTH never is");
	if (d->require_tls && d->tls == NULL)
		sm_log(LOG_WARNING, "smtpd: RequireStartTLS is set but STARTTLS is not offered: every MAIL "
		                    "gets 530");
	sm_buf_free(&err);
	tl_init(&d->lookups);
	tl_init(&d->commits);
	tl_init(&d->done);
	d->nworkers = (size_t)sm_config_int(cf, "LookupThreads");
	if (d->nworkers == 0)
		d->nworkers = 1;
	return d;
}

/* start_threads - the lookup workers and the committer; -1 on failure */
static int start_threads(struct sm_smtpd *d)
{
	size_t i;

	d->workers = sm_calloc(d->nworkers, sizeof(*d->workers));
	for (i = 0; i < d->nworkers; i++) {
		struct worker *w = &d->workers[i];

		w->d = d;
		w->sw = sm_switch_open(d->cf, sm_builtin_sources);
		w->rt = sm_router_new(d->cf, w->sw);
		if (pthread_create(&w->th, NULL, lookup_main, w) != 0) {
			sm_log(LOG_ERR, "smtpd: cannot start lookup thread: %s", strerror(errno));
			return -1;
		}
		d->threads_started++;
	}
	for (i = 0; i < COMMITTERS; i++) {
		if (pthread_create(&d->committer[i], NULL, commit_main, d) != 0) {
			sm_log(LOG_ERR, "smtpd: cannot start a commit thread: %s", strerror(errno));
			return -1;
		}
		d->committers_started++;
	}
	return 0;
}

/* stop_threads - wake every worker, wait for them, free their routers */
static void stop_threads(struct sm_smtpd *d)
{
	size_t i;

	d->stopping = 1;
	pthread_mutex_lock(&d->lookups.mu);
	pthread_cond_broadcast(&d->lookups.cv);
	pthread_mutex_unlock(&d->lookups.mu);
	pthread_mutex_lock(&d->commits.mu);
	pthread_cond_broadcast(&d->commits.cv);
	pthread_mutex_unlock(&d->commits.mu);
	for (i = 0; i < (size_t)d->threads_started; i++)
		pthread_join(d->workers[i].th, NULL);
	for (i = 0; i < d->committers_started; i++)
		pthread_join(d->committer[i], NULL);
	for (i = 0; d->workers && i < d->nworkers; i++) {
		if (d->workers[i].rt)
			sm_router_free(d->workers[i].rt);
		if (d->workers[i].sw)
			sm_switch_free(d->workers[i].sw);
	}
}

/* drain_done - answer every finished task */
static void drain_done(struct sm_smtpd *d)
{
	struct task *t, *next;

	for (t = tl_take(&d->done, SIZE_MAX, 1, &d->stopping); t; t = next) {
		next = t->next;
		task_done(t);
	}
}

/* free_tasks - release a detached list */
static void free_tasks(struct task *t)
{
	while (t) {
		struct task *next = t->next;

		task_free(t);
		t = next;
	}
}

/* sm_smtpd_run - serve until stopped (see smtpd.h) */
int sm_smtpd_run(struct sm_smtpd *d)
{
	struct epoll_event ev, evs[64];
	time_t last_tick = 0;
	size_t i;

	if ((d->ep = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    (d->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		sm_log(LOG_ERR, "smtpd: cannot set up the event loop: %s", strerror(errno));
		return -1;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u64 = TAG_WAKE;
	epoll_ctl(d->ep, EPOLL_CTL_ADD, d->wake, &ev);
	for (i = 0; i < d->nlfds; i++) {
		fcntl(d->lfds[i], F_SETFL, fcntl(d->lfds[i], F_GETFL) | O_NONBLOCK);
		ev.events = EPOLLIN;
		ev.data.u64 = TAG_LISTEN | (uint64_t)(i + 1) << 8;
		if (epoll_ctl(d->ep, EPOLL_CTL_ADD, d->lfds[i], &ev) < 0) {
			sm_log(LOG_ERR, "smtpd: epoll_ctl: %s", strerror(errno));
			return -1;
		}
	}
	if (start_threads(d) < 0) {
		stop_threads(d);
		return -1;
	}
	while (!d->stopping) {
		int n = epoll_wait(d->ep, evs, 64, d->npause ? 20 : 1000), k;

		if (n < 0 && errno != EINTR) {
			sm_log(LOG_ERR, "smtpd: epoll_wait: %s", strerror(errno));
			break;
		}
		for (k = 0; k < n; k++) {
			uint64_t tag = evs[k].data.u64;

			if (tag == TAG_WAKE) {
				uint64_t v;

				if (read(d->wake, &v, sizeof(v)) < 0 && errno != EAGAIN)
					sm_log(LOG_ERR, "smtpd: eventfd read: %s", strerror(errno));
			} else if ((tag & 0xff) == TAG_LISTEN && tag >> 8 >= 1 && tag >> 8 <= d->nlfds) {
				on_accept(d, d->lfds[(tag >> 8) - 1]);
			} else {
				struct session *s = evs[k].data.ptr;

				if (s->fd < 0)
					continue;
				if (s->tls_state == TLS_SHAKING) {
					tls_step(s); /* OpenSSL finds a hang-up or an error itself */
					continue;
				}
				if (evs[k].events & EPOLLOUT)
					if (flush(s) < 0) {
						session_close(s, NULL);
						continue;
					}
				if (s->fd < 0 || s->mode == M_TLS)
					continue;
				if (evs[k].events & (EPOLLIN | EPOLLRDHUP))
					on_readable(s);
				else if (evs[k].events & (EPOLLHUP | EPOLLERR))
					session_close(s, NULL);
				else if (s->mode == M_CMD && (s->in.len || s->tls_state == TLS_ACTIVE))
					resume(s);
			}
		}
		drain_done(d);
		if (d->npause)
			greet_due(d);
		if (time(NULL) != last_tick) {
			last_tick = time(NULL);
			tick(d);
		}
		sweep(d);
	}
	/* shut down: the workers finish what they hold, then every session gets 421 */
	stop_threads(d);
	free_tasks(tl_take(&d->lookups, SIZE_MAX, 1, &d->stopping));
	free_tasks(tl_take(&d->commits, SIZE_MAX, 1, &d->stopping));
	free_tasks(tl_take(&d->done, SIZE_MAX, 1, &d->stopping));
	while (d->sessions) {
		struct session *s = d->sessions;

		s->busy = 0;
		session_close(s, "421 4.3.2 Service shutting down, closing connection");
		session_free(s);
	}
	return 0;
}

/* sm_smtpd_stop - make sm_smtpd_run return (async-signal-safe) */
void sm_smtpd_stop(struct sm_smtpd *d)
{
	uint64_t one = 1;

	d->stopping = 1;
	if (d->wake >= 0 && write(d->wake, &one, sizeof(one)) < 0) {
		/* nothing to do: the loop also wakes every second */
	}
}

/* sm_smtpd_free - release the server */
void sm_smtpd_free(struct sm_smtpd *d)
{
	if (d == NULL)
		return;
	free_tasks(d->lookups.head);
	free_tasks(d->commits.head);
	free_tasks(d->done.head);
	free(d->workers);
	sm_config_words_free(d->relay_clients, d->nrelay_clients);
	if (d->relay_domains)
		sm_class_free(d->relay_domains);
	if (d->virt_domains)
		sm_class_free(d->virt_domains);
	if (d->ep >= 0)
		close(d->ep);
	if (d->wake >= 0)
		close(d->wake);
	sm_tls_free(d->tls);
	sm_auth_free(d->auth);
	sm_access_close(d->access);
	sm_abuse_free(d->abuse);
	free(d->host);
	free(d);
}
