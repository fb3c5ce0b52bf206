/*
 * server/abuse.c - anti-abuse bookkeeping of the SMTP server: connection rates, log limiting, greet pause
 *
 * See abuse.h. Two bounded tables of the same shape: a hash of entries
 * by key, threaded on a list from the most to the least recently used, so
 * that eviction of the oldest and expiry are O(1) per entry.
 *
 * CONFIGURATION
 *	ConnectionRateWindowSize, RejectLogInterval (sm_abuse_limits_config);
 *	GreetPauseMs, ClientRate, ClientConnectionLimit (sm_abuse_policy).
 *
 * DIAGNOSTICS
 *	None: nothing is logged here, and nothing fails but allocation, which
 *	aborts.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cfg.h"
#include "lib/mem.h"
#include "router/access.h"
#include "server/abuse.h"

#define RING (SM_ABUSE_SLOTS + 1) /* a window of SLOTS slots may touch SLOTS + 1 of them */
#define KEY_MAX 256               /* longer keys are cut: memory stays bounded */

struct entry {
	char *key;
	unsigned long hash;
	struct entry *hnext;       /* hash chain */
	struct entry *prev, *next; /* use list: prev is more recent */
	time_t used;               /* last time looked at */
	time_t logged;             /* log table: when last logged */
	long slot[RING];           /* rate table: slot number of each counter, -1 unused */
	unsigned long count[RING]; /* rate table: connections in that slot */
};

struct table {
	struct entry **b;
	size_t nb;          /* a power of two */
	struct entry *head; /* most recently used */
	struct entry *tail; /* least recently used */
	size_t n, cap;
};

struct sm_abuse {
	pthread_mutex_t mu;
	long window, width; /* seconds; width of a slot */
	long log_interval;
	struct table rates, logs;
};

/* hash - FNV-1a */
static unsigned long hash(const char *s)
{
	unsigned long h = 2166136261UL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619UL;
	}
	return h;
}

/* table_init - an empty table of at most cap entries */
static void table_init(struct table *t, size_t cap)
{
	t->cap = cap ? cap : 1;
	for (t->nb = 16; t->nb < t->cap && t->nb < ((size_t)1 << 20); t->nb <<= 1)
		continue;
	t->b = sm_calloc(t->nb, sizeof(*t->b));
	t->head = t->tail = NULL;
	t->n = 0;
}

/* unlink_use - take e off the use list */
static void unlink_use(struct table *t, struct entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		t->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		t->tail = e->prev;
	e->prev = e->next = NULL;
}

/* touch - e becomes the most recently used */
static void touch(struct table *t, struct entry *e, time_t now)
{
	e->used = now;
	if (t->head == e)
		return;
	unlink_use(t, e);
	e->next = t->head;
	if (t->head)
		t->head->prev = e;
	t->head = e;
	if (t->tail == NULL)
		t->tail = e;
}

/* drop - remove e from the table and free it */
static void drop(struct table *t, struct entry *e)
{
	struct entry **pp = &t->b[e->hash & (t->nb - 1)];

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	unlink_use(t, e);
	t->n--;
	free(e->key);
	free(e);
}

/* table_free - free every entry */
static void table_free(struct table *t)
{
	while (t->tail)
		drop(t, t->tail);
	free(t->b);
	t->b = NULL;
}

/* find - the entry of key, or NULL; with create, a new one (evicting the oldest when full) */
static struct entry *find(struct table *t, const char *key, int create, int *created)
{
	char cut[KEY_MAX + 1];
	struct entry *e;
	unsigned long h;
	size_t i;

	if (key == NULL)
		key = "";
	if (strlen(key) > KEY_MAX) {
		memcpy(cut, key, KEY_MAX);
		cut[KEY_MAX] = '\0';
		key = cut;
	}
	h = hash(key);
	if (created)
		*created = 0;
	for (e = t->b[h & (t->nb - 1)]; e; e = e->hnext)
		if (e->hash == h && strcmp(e->key, key) == 0)
			return e;
	if (!create)
		return NULL;
	if (t->n >= t->cap)
		drop(t, t->tail);
	e = sm_calloc(1, sizeof(*e));
	e->key = sm_strdup(key);
	e->hash = h;
	for (i = 0; i < RING; i++)
		e->slot[i] = -1;
	e->hnext = t->b[h & (t->nb - 1)];
	t->b[h & (t->nb - 1)] = e;
	e->next = t->head;
	if (t->head)
		t->head->prev = e;
	t->head = e;
	if (t->tail == NULL)
		t->tail = e;
	t->n++;
	if (created)
		*created = 1;
	return e;
}

/* sm_abuse_limits_config - the limits from switchmail.conf */
void sm_abuse_limits_config(const struct sm_config *cf, struct sm_abuse_limits *lim)
{
	lim->window = sm_config_int(cf, "ConnectionRateWindowSize");
	lim->log_interval = sm_config_int(cf, "RejectLogInterval");
	lim->max_clients = SM_ABUSE_MAX_CLIENTS;
	lim->max_keys = SM_ABUSE_MAX_KEYS;
}

/* sm_abuse_new - empty tables with these limits; free with sm_abuse_free */
struct sm_abuse *sm_abuse_new(const struct sm_abuse_limits *lim)
{
	struct sm_abuse *ab = sm_calloc(1, sizeof(*ab));

	pthread_mutex_init(&ab->mu, NULL);
	ab->window = lim->window > 0 ? lim->window : 1;
	ab->width = (ab->window + SM_ABUSE_SLOTS - 1) / SM_ABUSE_SLOTS;
	ab->log_interval = lim->log_interval > 0 ? lim->log_interval : 0;
	table_init(&ab->rates, lim->max_clients);
	table_init(&ab->logs, lim->max_keys);
	return ab;
}

/* sm_abuse_free - release everything */
void sm_abuse_free(struct sm_abuse *ab)
{
	if (ab == NULL)
		return;
	table_free(&ab->rates);
	table_free(&ab->logs);
	pthread_mutex_destroy(&ab->mu);
	free(ab);
}

/* in_window - whether slot s (of the current slot cur) still has a second within the window */
static int in_window(const struct sm_abuse *ab, long s, long cur, time_t now)
{
	if (s < 0 || s > cur || cur - s >= RING)
		return 0;
	/* the slot's last second, (s + 1) * width - 1, is after now - window */
	return (long long)(s + 1) * ab->width - 1 > (long long)now - ab->window;
}

/* count - connections of e within the window */
static unsigned long count(const struct sm_abuse *ab, const struct entry *e, time_t now)
{
	long cur = (long)(now / ab->width);
	unsigned long sum = 0;
	size_t i;

	for (i = 0; i < RING; i++)
		if (in_window(ab, e->slot[i], cur, now))
			sum += e->count[i];
	return sum;
}

/* sm_abuse_connect - record a connection from ip; the count within the window, this one included */
unsigned long sm_abuse_connect(struct sm_abuse *ab, const char *ip, time_t now)
{
	struct entry *e;
	long cur;
	size_t i;
	unsigned long n;

	if (now < 0)
		now = 0;
	cur = (long)(now / ab->width);
	i = (size_t)(cur % RING);
	pthread_mutex_lock(&ab->mu);
	e = find(&ab->rates, ip, 1, NULL);
	touch(&ab->rates, e, now);
	if (e->slot[i] != cur) {
		e->slot[i] = cur;
		e->count[i] = 0;
	}
	e->count[i]++;
	n = count(ab, e, now);
	pthread_mutex_unlock(&ab->mu);
	return n;
}

/* sm_abuse_rate - the count within the window for ip, recording nothing */
unsigned long sm_abuse_rate(struct sm_abuse *ab, const char *ip, time_t now)
{
	struct entry *e;
	unsigned long n = 0;

	if (now < 0)
		now = 0;
	pthread_mutex_lock(&ab->mu);
	e = find(&ab->rates, ip, 0, NULL);
	if (e)
		n = count(ab, e, now);
	pthread_mutex_unlock(&ab->mu);
	return n;
}

/* sm_abuse_rate_exceeded - 1 when a limit is set and count is over it */
int sm_abuse_rate_exceeded(unsigned long count_, long limit)
{
	return limit > 0 && count_ > (unsigned long)limit;
}

/* sm_abuse_should_log - 1 when key was not logged within the interval (and now it is) */
int sm_abuse_should_log(struct sm_abuse *ab, const char *key, time_t now)
{
	struct entry *e;
	int created, yes;

	pthread_mutex_lock(&ab->mu);
	e = find(&ab->logs, key, 1, &created);
	touch(&ab->logs, e, now);
	yes = created || ab->log_interval == 0 || now - e->logged >= ab->log_interval || now < e->logged;
	if (yes)
		e->logged = now;
	pthread_mutex_unlock(&ab->mu);
	return yes;
}

/* sm_abuse_expire - forget clients out of the window and keys out of the interval */
void sm_abuse_expire(struct sm_abuse *ab, time_t now)
{
	pthread_mutex_lock(&ab->mu);
	/* a client not seen for window + one slot has nothing left in the window */
	while (ab->rates.tail && now - ab->rates.tail->used >= ab->window + ab->width)
		drop(&ab->rates, ab->rates.tail);
	/* a key not looked at for the interval would be logged again anyway */
	while (ab->logs.tail && now - ab->logs.tail->used >= ab->log_interval)
		drop(&ab->logs, ab->logs.tail);
	pthread_mutex_unlock(&ab->mu);
}

/* sm_abuse_clients - clients held */
size_t sm_abuse_clients(struct sm_abuse *ab)
{
	size_t n;

	pthread_mutex_lock(&ab->mu);
	n = ab->rates.n;
	pthread_mutex_unlock(&ab->mu);
	return n;
}

/* sm_abuse_log_keys - log keys held */
size_t sm_abuse_log_keys(struct sm_abuse *ab)
{
	size_t n;

	pthread_mutex_lock(&ab->mu);
	n = ab->logs.n;
	pthread_mutex_unlock(&ab->mu);
	return n;
}

/* lookup_number - note a failed per-client lookup in p (the default stays) */
static void lookup_number(enum sm_status st, struct sm_client_policy *p)
{
	switch (st) {
	case SM_SUCCESS:
	case SM_NOTFOUND:
	case SM_UNAVAIL:
		break;
	case SM_TRYAGAIN:
		p->tempfail = 1;
		break;
	}
}

/* sm_abuse_policy - the greet pause and limits for a new client */
void sm_abuse_policy(const struct sm_config *cf, struct sm_access *a, const char *ip, const char *host,
                     int trusted, struct sm_client_policy *p)
{
	long v;

	memset(p, 0, sizeof(*p));
	p->greet_pause_ms = sm_config_int(cf, "GreetPauseMs");
	p->rate = sm_config_int(cf, "ClientRate");
	p->conn = sm_config_int(cf, "ClientConnectionLimit");
	if (a) {
		v = p->greet_pause_ms;
		lookup_number(sm_access_greet_pause(a, ip, host, &v), p);
		p->greet_pause_ms = v;
		v = p->rate;
		lookup_number(sm_access_client_rate(a, ip, host, &v), p);
		p->rate = v;
		v = p->conn;
		lookup_number(sm_access_client_conn(a, ip, host, &v), p);
		p->conn = v;
	}
	if (p->greet_pause_ms < 0)
		p->greet_pause_ms = 0;
	if (p->greet_pause_ms > SM_ABUSE_GREET_PAUSE_MAX)
		p->greet_pause_ms = SM_ABUSE_GREET_PAUSE_MAX;
	if (trusted)
		p->greet_pause_ms = 0;
}

/* sm_abuse_pregreet_greeting - the greeting of a client that talked first; caller frees */
char *sm_abuse_pregreet_greeting(const char *myhost)
{
	return sm_asprintf("554 %s ESMTP not accepting messages", myhost && *myhost ? myhost : "localhost");
}
