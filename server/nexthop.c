/*
 * server/nexthop.c - which hosts, in which order, take mail for a remote destination (see nexthop.h)
 *
 * DESCRIPTION
 *	The mx database's value (dns/dns.h) is a list of PREF:HOST tokens in
 *	the order to try them, then flag words ("implicit", "secure"); a
 *	null MX is the single token "0:.". The hosts database's value is
 *	"CANONICAL ADDR ADDR...".
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/mem.h"
#include "server/nexthop.h"

/* is_address - is s an IPv4 or IPv6 address? */
static int is_address(const char *s)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

/* add_hop - append a host to h */
static void add_hop(struct sm_hops *h, const char *name, size_t len, int pref)
{
	struct sm_hop *x;
	size_t i;

	for (i = 0; i < h->n; i++)
		if (strlen(h->h[i].name) == len && strncasecmp(h->h[i].name, name, len) == 0)
			return;
	h->h = sm_realloc(h->h, (h->n + 1) * sizeof(*h->h));
	x = &h->h[h->n++];
	memset(x, 0, sizeof(*x));
	x->name = sm_strndup(name, len);
	x->pref = pref;
	x->literal = is_address(x->name);
}

/* sm_nexthop_uses_dns - does the hosts chain name the dns source? */
int sm_nexthop_uses_dns(struct sm_switch *sw)
{
	const struct sm_nsdb *db = sm_switch_chain(sw, "hosts");
	size_t i;

	for (i = 0; db && i < db->count; i++)
		if (strcmp(db->src[i].source, "dns") == 0)
			return 1;
	return 0;
}

/* parse_mx - the mx value into h; 1 for a null MX, 0 for hosts, -1 when it holds none */
static int parse_mx(const char *v, struct sm_hops *h)
{
	const char *p = v;

	while (*p) {
		size_t n = strcspn(p, " ");
		const char *colon = memchr(p, ':', n);

		if (colon == NULL) {
			if (n == 8 && strncmp(p, "implicit", n) == 0)
				h->implicit = 1;
			else if (n == 6 && strncmp(p, "secure", n) == 0)
				h->secure = 1;
		} else if ((size_t)(colon + 1 - p) == n - 1 && colon[1] == '.') {
			return 1;
		} else if (colon + 1 < p + n) {
			add_hop(h, colon + 1, (size_t)(p + n - colon - 1), atoi(p));
		}
		p += n;
		while (*p == ' ')
			p++;
	}
	return h->n > 0 ? 0 : -1;
}

/* drop_self - remove us and every worse MX; -1 when nothing is left */
static int drop_self(struct sm_router *rt, struct sm_hops *h, const char *dest, struct sm_trace *tr)
{
	size_t i, keep = 0;
	int best_self = INT_MAX;

	for (i = 0; i < h->n; i++)
		if (sm_router_is_local_domain(rt, h->h[i].name) && h->h[i].pref < best_self)
			best_self = h->h[i].pref;
	if (best_self == INT_MAX)
		return 0;
	for (i = 0; i < h->n; i++) {
		if (h->h[i].pref < best_self)
			h->h[keep++] = h->h[i];
		else
			free(h->h[i].name);
	}
	h->n = keep;
	sm_trace_note(tr, "%s: we are an MX host (preference %d): only better ones are tried", dest,
	              best_self);
	return keep > 0 ? 0 : -1;
}

/* sm_nexthop_hosts - the hosts to try for dest, in order (see nexthop.h) */
enum sm_nh sm_nexthop_hosts(struct sm_switch *sw, struct sm_router *rt, const char *dest,
                            const char *fallback, struct sm_hops *out, char **reply, struct sm_trace *tr)
{
	struct sm_answer ans;
	size_t len = strlen(dest);
	enum sm_nh rc = SM_NH_OK;

	memset(out, 0, sizeof(*out));
	*reply = NULL;
	if (len > 2 && dest[0] == '[' && dest[len - 1] == ']') {
		add_hop(out, dest + 1, len - 2, -1);
	} else if (!sm_nexthop_uses_dns(sw)) {
		add_hop(out, dest, len, -1);
		out->implicit = 1;
		sm_trace_note(tr, "%s: no dns in the hosts database: the host itself", dest);
	} else {
		switch (sm_switch_lookup(sw, "mx", dest, len, &ans, tr)) {
		case SM_SUCCESS:
			switch (parse_mx(ans.value, out)) {
			case 1:
				*reply = sm_asprintf("556 5.1.10 Recipient address has null MX (%s)", dest);
				rc = SM_NH_PERM;
				break;
			case -1:
				*reply = sm_asprintf("451 4.4.3 no usable MX host for %s", dest);
				rc = SM_NH_TEMP;
				break;
			default:
				break;
			}
			break;
		case SM_NOTFOUND:
			*reply = sm_asprintf("550 5.4.4 Host or domain name not found (%s: %s)", dest,
			                     ans.reason ? ans.reason : "no such domain");
			rc = SM_NH_PERM;
			break;
		case SM_TRYAGAIN:
		case SM_UNAVAIL:
			*reply = sm_asprintf("451 4.4.3 Host or domain name lookup failed for %s (%s: %s)",
			                     dest, ans.source ? ans.source : "mx",
			                     ans.reason ? ans.reason : "no reason");
			rc = SM_NH_TEMP;
			break;
		}
		sm_answer_free(&ans);
		if (rc != SM_NH_OK) {
			sm_hops_free(out);
			return rc;
		}
		if (drop_self(rt, out, dest, tr) < 0) {
			*reply =
			    sm_asprintf("554 5.3.5 Local configuration error: MX list for %s points back "
			                "to this host (mail loops back to myself)",
			                dest);
			sm_log(LOG_ERR, "MX list for %s points back to this host: configuration error", dest);
			sm_hops_free(out);
			return SM_NH_PERM;
		}
	}
	if (fallback && *fallback && strcasecmp(fallback, dest) != 0 &&
	    !sm_router_is_local_domain(rt, fallback)) {
		size_t before = out->n, fl = strlen(fallback);

		if (fl > 2 && fallback[0] == '[' && fallback[fl - 1] == ']')
			add_hop(out, fallback + 1, fl - 2, INT_MAX);
		else
			add_hop(out, fallback, fl, INT_MAX);
		if (out->n > before)
			out->h[out->n - 1].fallback = 1;
	}
	return SM_NH_OK;
}

/* sm_nexthop_addrs - the addresses of one host (see nexthop.h) */
enum sm_nh sm_nexthop_addrs(struct sm_switch *sw, const struct sm_hop *hop, char ***addrs, size_t *n,
                            char **reply, struct sm_trace *tr)
{
	struct sm_answer ans;
	enum sm_nh rc = SM_NH_OK;
	const char *p;

	*addrs = NULL;
	*n = 0;
	*reply = NULL;
	if (hop->literal) {
		*addrs = sm_calloc(1, sizeof(**addrs));
		(*addrs)[0] = sm_strdup(hop->name);
		*n = 1;
		return SM_NH_OK;
	}
	switch (sm_switch_lookup(sw, "hosts", hop->name, strlen(hop->name), &ans, tr)) {
	case SM_SUCCESS:
		p = ans.value;
		if (strncasecmp(p, hop->name, strcspn(p, " ")) != 0 || strcspn(p, " ") != strlen(hop->name))
			sm_log(LOG_WARNING, "host %s is an alias (CNAME) of %.*s; used all the same",
			       hop->name, (int)strcspn(p, " "), p);
		p += strcspn(p, " ");
		while (*p == ' ')
			p++;
		while (*p) {
			size_t len = strcspn(p, " ");
			char *a = sm_strndup(p, len);

			if (is_address(a)) {
				*addrs = sm_realloc(*addrs, (*n + 1) * sizeof(**addrs));
				(*addrs)[(*n)++] = a;
			} else {
				free(a);
			}
			p += len;
			while (*p == ' ')
				p++;
		}
		if (*n == 0) {
			*reply = sm_asprintf("451 4.4.3 host %s has no usable address", hop->name);
			rc = SM_NH_TEMP;
		}
		break;
	case SM_NOTFOUND:
		*reply = sm_asprintf("550 5.4.4 Host or domain name not found (%s: %s)", hop->name,
		                     ans.reason ? ans.reason : "no address");
		rc = SM_NH_PERM;
		break;
	case SM_TRYAGAIN:
	case SM_UNAVAIL:
		*reply =
		    sm_asprintf("451 4.4.3 Host or domain name lookup failed for %s (%s: %s)", hop->name,
		                ans.source ? ans.source : "hosts", ans.reason ? ans.reason : "no reason");
		rc = SM_NH_TEMP;
		break;
	}
	sm_answer_free(&ans);
	return rc;
}

/* sm_hops_free - release a host list */
void sm_hops_free(struct sm_hops *h)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		free(h->h[i].name);
	free(h->h);
	memset(h, 0, sizeof(*h));
}

/* sm_addrs_free - release an address list */
void sm_addrs_free(char **addrs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(addrs[i]);
	free(addrs);
}
