/*
 * dns/dns.c - the dns source: MX and address records through libunbound
 *
 * See dns.h. Reads DnsResolver, DnsTimeout and DnsTrustAnchorFile.
 *
 * Each instance owns one libunbound context in threaded asynchronous mode:
 * a lookup starts its queries with ub_resolve_async(), waits on the
 * context's descriptor with poll() until the answers are in or DnsTimeout
 * has passed, and cancels what is still outstanding. The context keeps
 * libunbound's cache, so answers are reused for their TTL.
 *
 * DIAGNOSTICS
 *	See dns.h.
 */
#include "config.h"

#include "dns/dns.h"

#ifdef HAVE_UNBOUND

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unbound.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "lib/mem.h"

#define DNS_NAME_MAX 253 /* a host name in text, without the trailing dot */
#define DNS_LIST_MAX 100 /* MX hosts or addresses in one value */
#define DNS_TYPE_A 1
#define DNS_TYPE_MX 15
#define DNS_TYPE_AAAA 28
#define DNS_CLASS_IN 1
#define DNS_RCODE_NXDOMAIN 3

struct sm_dns {
	struct ub_ctx *ctx;
	pid_t pid;    /* the process that made ctx */
	long timeout; /* seconds */
	char **fwd;   /* DnsResolver entries, or NULL: resolv.conf */
	size_t nfwd;
	char *ta_file; /* DnsTrustAnchorFile, or NULL */
};

/* one query in flight */
struct dns_query {
	const char *name;
	int type;
	int id;
	int started;
	int done;
	int err; /* libunbound's own error, 0 if none */
	int timed_out;
	struct ub_result *res;
};

/* what one answer means */
enum dns_outcome {
	DNS_DATA,
	DNS_NXDOMAIN,
	DNS_NODATA,
	DNS_TEMP,
};

struct dns_mx {
	unsigned pref;
	uint64_t rank;
	char *host;
};

static pthread_once_t dns_seed_once = PTHREAD_ONCE_INIT;
static uint64_t dns_seed; /* written once, under dns_seed_once */

/* dns_mix - a 64-bit finaliser (splitmix64) */
static uint64_t dns_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* dns_seed_init - the per-process seed that orders MX hosts of equal preference */
static void dns_seed_init(void)
{
	uint64_t s = 0;
	struct timespec ts;

	if (getentropy(&s, sizeof(s)) < 0) {
		clock_gettime(CLOCK_REALTIME, &ts);
		s = (uint64_t)ts.tv_sec ^ ((uint64_t)ts.tv_nsec << 20) ^ ((uint64_t)getpid() << 40);
	}
	dns_seed = dns_mix(s);
}

/* dns_rank - the seeded hash of a host name */
static uint64_t dns_rank(const char *host)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ dns_seed;

	for (; *host; host++)
		h = (h ^ (unsigned char)*host) * 0x100000001b3ULL;
	return dns_mix(h);
}

/* dns_label_char - may byte c appear in a host name label? */
static int dns_label_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
	       c == '_';
}

/* dns_hostname_ok - is s (length n, no trailing dot) a valid host name? */
static int dns_hostname_ok(const char *s, size_t n)
{
	size_t i, label = 0;

	if (n == 0 || n > DNS_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (label == 0)
				return 0;
			label = 0;
		} else if (!dns_label_char((unsigned char)s[i]) || ++label > 63) {
			return 0;
		}
	}
	return label > 0;
}

/* dns_text_name - a name from text (a key or a canonical name): new lower-case copy, or NULL if invalid */
static char *dns_text_name(const char *s)
{
	size_t n = strlen(s), i;
	char *copy;

	if (n > 1 && s[n - 1] == '.')
		n--;
	if (!dns_hostname_ok(s, n))
		return NULL;
	copy = sm_strndup(s, n);
	for (i = 0; i < n; i++)
		copy[i] = (char)tolower((unsigned char)copy[i]);
	return copy;
}

/*
 * dns_wire_name - decode the uncompressed name at p (len bytes) into out,
 * lower case, without the trailing dot; the root is "". Bytes that a host
 * name may not hold are shown as \DDD (and a '.' inside a label as "\.").
 * Returns 1 for a valid host name (or the root), 0 for a name that decodes
 * but is not one, -1 when the bytes are not a name that fills len exactly.
 */
static int dns_wire_name(const unsigned char *p, size_t len, struct sm_buf *out)
{
	size_t at = 0, i;
	int valid = 1;

	for (;;) {
		size_t n;

		if (at >= len)
			return -1;
		n = p[at++];
		if (n == 0)
			break;
		if (n > 63 || n > len - at) /* compression pointers have no place here */
			return -1;
		if (out->len)
			sm_buf_addc(out, '.');
		for (i = 0; i < n; i++) {
			int c = p[at + i];

			if (dns_label_char(c)) {
				sm_buf_addc(out, tolower(c));
			} else {
				valid = 0;
				if (c == '.' || c == '\\')
					sm_buf_printf(out, "\\%c", c);
				else
					sm_buf_printf(out, "\\%03d", c);
			}
		}
		at += n;
	}
	if (at != len)
		return -1;
	if (out->len > DNS_NAME_MAX)
		valid = 0;
	sm_buf_str(out);
	return valid;
}

/* dns_is_literal - is the key an address literal rather than a name? */
static int dns_is_literal(const char *key)
{
	unsigned char a[16];

	return key[0] == '[' || inet_pton(AF_INET, key, a) == 1 || inet_pton(AF_INET6, key, a) == 1;
}

/* dns_rcode_name - the mnemonic of an rcode */
static const char *dns_rcode_name(int rcode, char *tmp, size_t size)
{
	static const char *const names[] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
		                             "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
		                             "NXRRSET", "NOTAUTH", "NOTZONE" };

	if (rcode >= 0 && (size_t)rcode < sizeof(names) / sizeof(names[0]))
		return names[rcode];
	snprintf(tmp, size, "rcode %d", rcode);
	return tmp;
}

/* zones libunbound would answer itself that are passed on to the resolver */
static const char *const dns_asked_zones[] = { "test.", "home.arpa." };

/* dns_context - a configured libunbound context; NULL with a reason */
static struct ub_ctx *dns_context(const struct sm_dns *d, struct sm_buf *err)
{
	struct ub_ctx *ctx = ub_ctx_create();
	size_t i;
	int rc;

	if (ctx == NULL) {
		sm_buf_printf(err, "libunbound: cannot create a context: %s", strerror(errno));
		return NULL;
	}
	/* forwarders and resolv.conf servers on loopback are normal here */
	if ((rc = ub_ctx_set_option(ctx, "do-not-query-localhost:", "no")) != 0) {
		sm_buf_printf(err, "libunbound: do-not-query-localhost: %s", ub_strerror(rc));
		goto fail;
	}
	if (d->fwd == NULL) {
		if ((rc = ub_ctx_resolvconf(ctx, NULL)) != 0) {
			sm_buf_printf(err, "/etc/resolv.conf: %s",
			              rc == UB_READFILE ? strerror(errno) : ub_strerror(rc));
			goto fail;
		}
	}
	for (i = 0; i < d->nfwd; i++) {
		if ((rc = ub_ctx_set_fwd(ctx, d->fwd[i])) != 0) {
			sm_buf_printf(err, "DnsResolver: \"%s\": %s", d->fwd[i], ub_strerror(rc));
			goto fail;
		}
	}
	if (d->ta_file && (rc = ub_ctx_add_ta_file(ctx, d->ta_file)) != 0) {
		sm_buf_printf(err, "DnsTrustAnchorFile: %s: %s", d->ta_file, ub_strerror(rc));
		goto fail;
	}
	if ((rc = ub_ctx_async(ctx, 1)) != 0) {
		sm_buf_printf(err, "libunbound: threads: %s", ub_strerror(rc));
		goto fail;
	}
	/*
	 * libunbound answers some names itself (RFC 6761 and friends). A site
	 * may serve test. and home.arpa. from its own resolver, so those are
	 * asked like any other. Removing a zone also makes libunbound read its
	 * configuration (trust anchors included) now, so that a bad setting
	 * fails here and not at each lookup.
	 */
	for (i = 0; i < sizeof(dns_asked_zones) / sizeof(dns_asked_zones[0]); i++) {
		if ((rc = ub_ctx_zone_remove(ctx, dns_asked_zones[i])) == 0)
			continue;
		if (d->ta_file && rc == UB_INITFAIL)
			sm_buf_printf(err, "DnsTrustAnchorFile: %s: not a usable trust anchor file",
			              d->ta_file);
		else
			sm_buf_printf(err, "libunbound: %s", ub_strerror(rc));
		goto fail;
	}
	return ctx;
fail:
	ub_ctx_delete(ctx);
	return NULL;
}

/* dns_done - libunbound's callback: keep the result in the query */
static void dns_done(void *arg, int err, struct ub_result *res)
{
	struct dns_query *q = arg;

	q->done = 1;
	q->err = err;
	q->res = res;
}

/* dns_abandon - cancel the queries still outstanding: timed out (err 0) or failed with err */
static void dns_abandon(struct sm_dns *d, struct dns_query *q, size_t n, int err)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (q[i].started && !q[i].done) {
			ub_cancel(d->ctx, q[i].id);
			q[i].done = 1;
			q[i].err = err;
			q[i].timed_out = err == 0;
		}
	}
}

/* dns_run - ask every query at once; wait until all are answered or DnsTimeout passes */
static void dns_run(struct sm_dns *d, struct dns_query *q, size_t n)
{
	int64_t deadline = sm_clock_ms() + d->timeout * 1000;
	size_t i, waiting;

	for (i = 0; i < n; i++) {
		int rc =
		    ub_resolve_async(d->ctx, q[i].name, q[i].type, DNS_CLASS_IN, &q[i], dns_done, &q[i].id);

		q[i].started = rc == 0;
		q[i].done = rc != 0;
		q[i].err = rc;
	}
	for (;;) {
		struct pollfd pfd = { .fd = ub_fd(d->ctx), .events = POLLIN };
		int64_t left = deadline - sm_clock_ms();
		int rc;

		for (waiting = 0, i = 0; i < n; i++)
			waiting += q[i].started && !q[i].done;
		if (waiting == 0)
			return;
		if (left <= 0) {
			dns_abandon(d, q, n, 0);
			return;
		}
		rc = poll(&pfd, 1, left > INT32_MAX ? INT32_MAX : (int)left);
		if (rc < 0 && errno != EINTR) {
			dns_abandon(d, q, n, UB_PIPE);
			return;
		}
		/* ub_process() reads what has arrived without blocking, calling dns_done() */
		if (rc > 0 && (rc = ub_process(d->ctx)) != 0) {
			dns_abandon(d, q, n, rc);
			return;
		}
	}
}

/* dns_release - free the results of a run */
static void dns_release(struct dns_query *q, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (q[i].res)
			ub_resolve_free(q[i].res);
		q[i].res = NULL;
	}
}

/* dns_classify - what a finished query says; a temporary failure's reason goes to why */
static enum dns_outcome dns_classify(const struct sm_dns *d, const struct dns_query *q, struct sm_buf *why)
{
	char tmp[32];

	if (q->timed_out) {
		sm_buf_printf(why, "no answer within %lds", d->timeout);
		return DNS_TEMP;
	}
	if (q->err != 0 || q->res == NULL) {
		sm_buf_printf(why, "resolver error: %s", ub_strerror(q->err));
		return DNS_TEMP;
	}
	if (q->res->bogus) {
		char *p = sm_printable(q->res->why_bogus ? q->res->why_bogus : "bogus",
		                       q->res->why_bogus ? strlen(q->res->why_bogus) : 5, 200);

		sm_buf_printf(why, "DNSSEC validation failed: %s", p);
		free(p);
		return DNS_TEMP;
	}
	if (q->res->rcode == DNS_RCODE_NXDOMAIN)
		return DNS_NXDOMAIN;
	if (q->res->rcode != 0) {
		sm_buf_printf(why, "%s from the resolver", dns_rcode_name(q->res->rcode, tmp, sizeof(tmp)));
		return DNS_TEMP;
	}
	return q->res->havedata ? DNS_DATA : DNS_NODATA;
}

/* dns_mx_by_host - qsort: by host name, then preference */
static int dns_mx_by_host(const void *a, const void *b)
{
	const struct dns_mx *x = a, *y = b;
	int c = strcmp(x->host, y->host);

	if (c != 0)
		return c;
	return x->pref < y->pref ? -1 : x->pref > y->pref;
}

/* dns_mx_by_order - qsort: the order to try: preference, then the seeded rank */
static int dns_mx_by_order(const void *a, const void *b)
{
	const struct dns_mx *x = a, *y = b;

	if (x->pref != y->pref)
		return x->pref < y->pref ? -1 : 1;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return strcmp(x->host, y->host);
}

/* dns_note - log a temporary failure once, where it happens */
static void dns_note(const char *db, const char *key, const struct sm_buf *reason)
{
	char *k = sm_printable(key, strlen(key), 100);

	sm_log(LOG_NOTICE, "dns: %s \"%s\": %s", db, k, reason->data ? reason->data : "");
	free(k);
}

/* dns_mx_value - the value of an MX RRset; SUCCESS, or TRYAGAIN with a reason */
static enum sm_status dns_mx_value(const char *key, const struct ub_result *res, char **value,
                                   struct sm_buf *reason)
{
	struct sm_buf out = SM_BUF_INIT, name = SM_BUF_INIT;
	struct dns_mx *mx;
	size_t n = 0, nrec = 0, nroot = 0, i, j;
	char *k = sm_printable(key, strlen(key), 100);

	pthread_once(&dns_seed_once, dns_seed_init);
	for (i = 0; res->data[i]; i++)
		nrec++;
	mx = sm_calloc(nrec ? nrec : 1, sizeof(*mx));
	for (i = 0; i < nrec; i++) {
		const unsigned char *p = (const unsigned char *)res->data[i];
		size_t len = res->len[i] < 0 ? 0 : (size_t)res->len[i];
		int ok;

		if (len < 3) {
			sm_log(LOG_WARNING, "dns: mx \"%s\": malformed MX record ignored", k);
			continue;
		}
		sm_buf_reset(&name);
		ok = dns_wire_name(p + 2, len - 2, &name);
		if (ok < 0) {
			sm_log(LOG_WARNING, "dns: mx \"%s\": malformed MX record ignored", k);
			continue;
		}
		if (ok == 1 && name.len == 0) {
			nroot++;
			continue;
		}
		if (ok == 0) { /* name.data is printable: dns_wire_name escaped the rest */
			sm_log(LOG_WARNING,
			       "dns: mx \"%s\": MX host \"%.300s\" is not a valid host name; ignored", k,
			       name.data);
			continue;
		}
		mx[n].pref = (unsigned)p[0] << 8 | p[1];
		mx[n].host = sm_buf_steal(&name);
		mx[n].rank = dns_rank(mx[n].host);
		n++;
	}
	sm_buf_free(&name);
	if (nroot > 0 && nrec == 1) {
		sm_buf_adds(&out, "0:.");
	} else if (nroot > 0) {
		sm_buf_adds(reason, "null MX mixed with other MX records");
		sm_log(LOG_WARNING, "dns: mx \"%s\": null MX mixed with other MX records; deferring", k);
	} else if (n == 0) {
		sm_buf_adds(reason, "no usable MX host");
		sm_log(LOG_WARNING, "dns: mx \"%s\": no usable MX host; deferring", k);
	} else {
		/* one entry per host, with its best preference */
		qsort(mx, n, sizeof(*mx), dns_mx_by_host);
		for (i = j = 0; i < n; i++) {
			if (j > 0 && strcmp(mx[j - 1].host, mx[i].host) == 0) {
				free(mx[i].host);
				continue;
			}
			mx[j++] = mx[i];
		}
		n = j;
		qsort(mx, n, sizeof(*mx), dns_mx_by_order);
		for (i = 0; i < n && i < DNS_LIST_MAX; i++)
			sm_buf_printf(&out, "%s%u:%s", i ? " " : "", mx[i].pref, mx[i].host);
	}
	for (i = 0; i < n; i++)
		free(mx[i].host);
	free(mx);
	free(k);
	if (out.len == 0)
		return SM_TRYAGAIN;
	if (res->secure)
		sm_buf_adds(&out, " secure");
	*value = sm_buf_steal(&out);
	return SM_SUCCESS;
}

/* dns_mx - the mx database */
static enum sm_status dns_mx(struct sm_dns *d, const char *key, char **value, struct sm_buf *reason)
{
	struct dns_query q = { 0 };
	struct sm_buf why = SM_BUF_INIT;
	enum sm_status st = SM_TRYAGAIN;
	char *name = dns_text_name(key);

	if (name == NULL) {
		sm_buf_adds(reason, "not a valid host name");
		return SM_NOTFOUND;
	}
	q.name = name;
	q.type = DNS_TYPE_MX;
	dns_run(d, &q, 1);
	switch (dns_classify(d, &q, &why)) {
	case DNS_DATA:
		st = dns_mx_value(name, q.res, value, reason);
		break;
	case DNS_NODATA:
		*value = sm_asprintf("0:%s implicit%s", name, q.res->secure ? " secure" : "");
		st = SM_SUCCESS;
		break;
	case DNS_NXDOMAIN:
		sm_buf_adds(reason, "NXDOMAIN");
		st = SM_NOTFOUND;
		break;
	case DNS_TEMP:
		sm_buf_add(reason, why.data, why.len);
		dns_note("mx", name, &why);
		st = SM_TRYAGAIN;
		break;
	}
	dns_release(&q, 1);
	sm_buf_free(&why);
	free(name);
	return st;
}

/* dns_add_addrs - append the addresses of an A or AAAA answer, each once, to out */
static void dns_add_addrs(const struct ub_result *res, int family, struct sm_buf *out, size_t *count)
{
	size_t want = family == AF_INET ? 4 : 16, i, j, nseen = 0;
	const char *seen[DNS_LIST_MAX];
	char text[INET6_ADDRSTRLEN];

	for (i = 0; res->data[i] && *count < DNS_LIST_MAX; i++) {
		if (res->len[i] < 0 || (size_t)res->len[i] != want)
			continue;
		for (j = 0; j < nseen; j++)
			if (memcmp(seen[j], res->data[i], want) == 0)
				break;
		if (j < nseen || inet_ntop(family, res->data[i], text, sizeof(text)) == NULL)
			continue;
		seen[nseen++] = res->data[i];
		sm_buf_printf(out, " %s", text);
		(*count)++;
	}
}

/* dns_hosts - the hosts database: A and AAAA at once */
static enum sm_status dns_hosts(struct sm_dns *d, const char *key, char **value, struct sm_buf *reason)
{
	struct dns_query q[2] = { { 0 }, { 0 } };
	struct sm_buf why[2] = { SM_BUF_INIT, SM_BUF_INIT }, out = SM_BUF_INIT;
	enum dns_outcome o[2];
	enum sm_status st;
	const char *canon = NULL;
	char *name, *cname = NULL;
	size_t i, count = 0;
	int data = 0, temp = 0, nx = 0;

	if (dns_is_literal(key)) {
		sm_buf_adds(reason, "an address literal is not looked up");
		return SM_NOTFOUND;
	}
	if ((name = dns_text_name(key)) == NULL) {
		sm_buf_adds(reason, "not a valid host name");
		return SM_NOTFOUND;
	}
	q[0].name = q[1].name = name;
	q[0].type = DNS_TYPE_A;
	q[1].type = DNS_TYPE_AAAA;
	dns_run(d, q, 2);
	for (i = 0; i < 2; i++) {
		o[i] = dns_classify(d, &q[i], &why[i]);
		switch (o[i]) {
		case DNS_DATA:
			data++;
			if (canon == NULL && q[i].res->canonname)
				canon = q[i].res->canonname;
			break;
		case DNS_NXDOMAIN:
			nx++;
			break;
		case DNS_NODATA:
			break;
		case DNS_TEMP:
			temp++;
			break;
		}
	}
	if (data) {
		if (canon && (cname = dns_text_name(canon)) == NULL) {
			char *k = sm_printable(name, strlen(name), 100),
			     *c = sm_printable(canon, strlen(canon), 300);

			sm_log(LOG_WARNING,
			       "dns: hosts \"%s\": canonical name \"%s\" is not a valid host name; ignored",
			       k, c);
			free(k);
			free(c);
		}
		sm_buf_adds(&out, cname ? cname : name);
		for (i = 0; i < 2; i++)
			if (o[i] == DNS_DATA)
				dns_add_addrs(q[i].res, i == 0 ? AF_INET : AF_INET6, &out, &count);
		if (count > 0) {
			*value = sm_buf_steal(&out);
			st = SM_SUCCESS;
		} else { /* records of the right type but none well formed */
			sm_buf_adds(reason, "no usable address records");
			st = SM_TRYAGAIN;
		}
	} else if (temp) {
		for (i = 0; i < 2; i++) {
			if (o[i] == DNS_TEMP)
				sm_buf_printf(reason, "%s%s: %s", reason->len ? "; " : "",
				              i == 0 ? "A" : "AAAA", why[i].data);
		}
		dns_note("hosts", name, reason);
		st = SM_TRYAGAIN;
	} else if (nx) {
		sm_buf_adds(reason, "host not found (NXDOMAIN)");
		st = SM_NOTFOUND;
	} else {
		sm_buf_adds(reason, "no address records");
		st = SM_NOTFOUND;
	}
	dns_release(q, 2);
	sm_buf_free(&why[0]);
	sm_buf_free(&why[1]);
	sm_buf_free(&out);
	free(cname);
	free(name);
	return st;
}

/* dns_lookup - answer one key */
static enum sm_status dns_lookup(struct sm_source *src, const char *db, const char *key, char **value,
                                 struct sm_buf *reason)
{
	struct sm_dns *d = src->priv;

	if (strcmp(db, "mx") != 0 && strcmp(db, "hosts") != 0) {
		sm_buf_adds(reason, "dns answers only hosts and mx");
		return SM_UNAVAIL;
	}
	if (d->pid != getpid()) { /* forked: the resolver thread stayed with the parent */
		struct sm_buf err = SM_BUF_INIT;

		d->ctx = dns_context(d, &err); /* the old one is left alone: see dns_free */
		d->pid = getpid();
		if (d->ctx == NULL) {
			sm_buf_add(reason, err.data, err.len);
			sm_buf_free(&err);
			return SM_UNAVAIL;
		}
	}
	if (d->ctx == NULL) {
		sm_buf_adds(reason, "no resolver");
		return SM_UNAVAIL;
	}
	return strcmp(db, "mx") == 0 ? dns_mx(d, key, value, reason) : dns_hosts(d, key, value, reason);
}

/* dns_free - release the context, its cache and the settings */
static void dns_free(void *priv)
{
	struct sm_dns *d = priv;

	/*
	 * A context made by another process (before a fork) is not deleted:
	 * ub_ctx_delete() would ask a resolver thread that does not exist here
	 * to stop, and wait for it. Its memory is left to the process's exit.
	 */
	if (d->ctx && d->pid == getpid())
		ub_ctx_delete(d->ctx);
	sm_config_words_free(d->fwd, d->nfwd);
	free(d->ta_file);
	free(d);
}

static const struct sm_source_ops dns_ops = { dns_lookup, dns_free };

/* dns_check_server - is w "ADDR" or "ADDR@PORT"? a reason if not */
static int dns_check_server(const char *w, struct sm_buf *err)
{
	const char *at = strrchr(w, '@');
	char *addr = at ? sm_strndup(w, (size_t)(at - w)) : sm_strdup(w);
	char *p = sm_printable(w, strlen(w), 100);
	unsigned char a[16];
	int ok = 0;

	if (inet_pton(AF_INET, addr, a) != 1 && inet_pton(AF_INET6, addr, a) != 1) {
		sm_buf_printf(err, "DnsResolver: \"%s\" is not an address", p);
	} else if (at) {
		char *end;
		long port;

		errno = 0;
		port = strtol(at + 1, &end, 10);
		if (!isdigit((unsigned char)at[1]) || *end != '\0' || errno || port < 1 || port > 65535)
			sm_buf_printf(err, "DnsResolver: \"%s\" has a bad port", p);
		else
			ok = 1;
	} else {
		ok = 1;
	}
	free(addr);
	free(p);
	return ok;
}

/* sm_dns_create - the dns source (see dns.h); owned by the caller */
struct sm_source *sm_dns_create(const char *name, const struct sm_config *cf, struct sm_buf *err)
{
	struct sm_dns *d = sm_calloc(1, sizeof(*d));
	const char *ta = sm_config_str(cf, "DnsTrustAnchorFile");
	size_t i;

	d->timeout = sm_config_int(cf, "DnsTimeout");
	if (d->timeout < 1) {
		sm_buf_adds(err, "DnsTimeout must be at least 1s");
		goto fail;
	}
	d->fwd = sm_config_words(cf, "DnsResolver", &d->nfwd);
	if (d->nfwd == 0) {
		sm_config_words_free(d->fwd, d->nfwd);
		d->fwd = NULL;
	}
	for (i = 0; i < d->nfwd; i++)
		if (!dns_check_server(d->fwd[i], err))
			goto fail;
	if (*ta) {
		FILE *fp = fopen(ta, "r");

		if (fp == NULL) {
			sm_buf_printf(err, "DnsTrustAnchorFile: %s: %s", ta, strerror(errno));
			goto fail;
		}
		fclose(fp);
		d->ta_file = sm_strdup(ta);
	}
	if ((d->ctx = dns_context(d, err)) == NULL)
		goto fail;
	d->pid = getpid();
	return sm_source_alloc(&dns_ops, name, d);
fail:
	dns_free(d);
	return NULL;
}

#else /* !HAVE_UNBOUND */

/* sm_dns_create - the dns source (see dns.h): not built in */
struct sm_source *sm_dns_create(const char *name, const struct sm_config *cf, struct sm_buf *err)
{
	(void)name;
	(void)cf;
	sm_buf_adds(err, "not built with libunbound support");
	return NULL;
}

#endif
