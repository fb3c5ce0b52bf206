/*
 * nis/nis.c - the nis source: YP lookups in mail.aliases, mail.byaddr and hosts.byname
 *
 * See nis.h. Reads NisDomain, NameServiceDomain, NisServers, NisTimeout
 * and NisAliasMap from the configuration.
 *
 * DIAGNOSTICS
 *	See nis.h.
 */
#include "config.h"

#include "nis/nis.h"

#ifdef HAVE_NIS

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <rpc/rpc.h>
#include <rpcsvc/yp_prot.h>
#include <rpcsvc/ypclnt.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "lib/mem.h"

#define NIS_RETRY_MS 1000 /* UDP requests are sent again this often */

/* one ypserv: configured, or the one ypbind named */
struct nis_server {
	char *host;  /* as configured, or "ADDR:PORT" from ypbind */
	CLIENT *cl;  /* NULL until first used, and after a failure */
	pid_t pid;   /* the process that created cl */
	int failing; /* a failure was logged; cleared by the next answer */
};

/* what the source knows of one map */
struct nis_map {
	char *name;
	int nul_first; /* the key form that last found something: 1 with the NUL */
};

struct sm_nis {
	char *domain;
	struct nis_server *servers; /* NisServers; none: ask ypbind */
	size_t nservers;
	size_t cur;              /* the server to ask first */
	struct nis_server bound; /* the server ypbind named (no NisServers) */
	long timeout_ms;
	struct nis_map aliases, hosts, byaddr;
};

/* ms_tv - milliseconds as a struct timeval */
static struct timeval ms_tv(long long ms)
{
	struct timeval tv;

	if (ms < 1)
		ms = 1;
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	return tv;
}

/* server_drop - forget a server's client handle (in the child after a fork: only the memory) */
static void server_drop(struct nis_server *s)
{
	if (s->cl == NULL)
		return;
	if (s->pid == getpid())
		clnt_destroy(s->cl);
	/* a handle inherited over fork() is left alone: its socket is the parent's too */
	s->cl = NULL;
}

/* server_failed - log once that a server stopped answering */
static void server_failed(struct sm_nis *n, struct nis_server *s, const char *why)
{
	if (!s->failing)
		sm_log(LOG_WARNING, "nis: domain %s: %s", n->domain, why);
	s->failing = 1;
}

/* callerr - the reason a call failed, as "WHAT: RPC: ..." */
static void callerr(CLIENT *cl, enum clnt_stat st, const char *what, long long ms, struct sm_buf *why)
{
	struct rpc_err e;

	clnt_geterr(cl, &e);
	if (st == RPC_TIMEDOUT)
		sm_buf_printf(why, "%s: no answer within %lld ms", what, ms);
	else if ((st == RPC_CANTSEND || st == RPC_CANTRECV) && e.re_errno)
		sm_buf_printf(why, "%s: %s: %s", what, clnt_sperrno(st), strerror(e.re_errno));
	else
		sm_buf_printf(why, "%s: %s", what, clnt_sperrno(st));
}

/* udp_client - a UDP client handle for prog at sin (whose port is set); NULL with a reason */
static CLIENT *udp_client(const struct sockaddr_in *sin, unsigned long prog, unsigned long vers,
                          const char *what, struct sm_buf *why)
{
	struct sockaddr_in to = *sin;
	int sock = RPC_ANYSOCK;
	CLIENT *cl = clntudp_create(&to, prog, vers, ms_tv(NIS_RETRY_MS), &sock);

	if (cl == NULL) /* rpc_createerr is this thread's; its enum is foreign, so no switch */
		sm_buf_printf(why, "%s: %s", what,
		              rpc_createerr.cf_stat == RPC_SYSTEMERROR
		                  ? strerror(rpc_createerr.cf_error.re_errno)
		                  : clnt_sperrno(rpc_createerr.cf_stat));
	return cl;
}

/*
 * pmap_port - ask the portmapper (rpcbind, version 2) at sin for prog's UDP port; 0 with
 * sin->sin_port set, or a YP error. libtirpc's own lookup is not used: its timeouts are
 * not ours, and it leaks the answer when the program is not registered.
 */
static int pmap_port(struct sockaddr_in *sin, unsigned long prog, unsigned long vers, long long ms,
                     const char *what, struct sm_buf *why)
{
	struct sockaddr_in pm = *sin;
	struct pmap parms;
	unsigned long port = 0;
	enum clnt_stat st;
	CLIENT *cl;
	char *label = sm_asprintf("%s: rpcbind", what);

	pm.sin_port = htons(PMAPPORT);
	cl = udp_client(&pm, PMAPPROG, PMAPVERS, label, why);
	if (cl == NULL) {
		free(label);
		return YPERR_PMAP;
	}
	parms.pm_prog = prog;
	parms.pm_vers = vers;
	parms.pm_prot = IPPROTO_UDP;
	parms.pm_port = 0;
	st = clnt_call(cl, PMAPPROC_GETPORT, (xdrproc_t)xdr_pmap, (caddr_t)&parms, (xdrproc_t)xdr_u_long,
	               (caddr_t)&port, ms_tv(ms));
	if (st != RPC_SUCCESS)
		callerr(cl, st, label, ms, why);
	clnt_destroy(cl);
	free(label);
	if (st != RPC_SUCCESS)
		return YPERR_PMAP;
	if (port == 0 || port > 65535) {
		sm_buf_printf(why, "%s: not registered with rpcbind", what);
		return prog == YPBINDPROG ? YPERR_YPBIND : YPERR_YPSERV;
	}
	sin->sin_port = htons((unsigned short)port);
	return 0;
}

/* resolve - the IPv4 address of a configured server; 0, or a YP error */
static int resolve(const char *host, struct sockaddr_in *sin, struct sm_buf *why)
{
	struct addrinfo hints, *res = NULL;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_DGRAM;
	rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc != 0 || res == NULL) {
		sm_buf_printf(why, "%s: %s", host, rc ? gai_strerror(rc) : "no IPv4 address");
		if (res)
			freeaddrinfo(res);
		return rc == EAI_AGAIN || rc == EAI_MEMORY || rc == EAI_SYSTEM ? YPERR_RESRC : YPERR_PMAP;
	}
	memcpy(sin, res->ai_addr, sizeof(*sin));
	sin->sin_port = 0;
	freeaddrinfo(res);
	return 0;
}

/* server_client - a client handle for a configured server; NULL with a YP error */
static CLIENT *server_client(struct nis_server *s, long long deadline, int *yperr, struct sm_buf *why)
{
	struct sockaddr_in sin;
	char *what;

	if (s->cl && s->pid == getpid())
		return s->cl;
	server_drop(s);
	if ((*yperr = resolve(s->host, &sin, why)) != 0)
		return NULL;
	what = sm_asprintf("%s: ypserv", s->host);
	*yperr = pmap_port(&sin, YPPROG, YPVERS, deadline - sm_clock_ms(), what, why);
	if (*yperr == 0 && (s->cl = udp_client(&sin, YPPROG, YPVERS, what, why)) == NULL)
		*yperr = YPERR_RPC;
	free(what);
	if (s->cl)
		s->pid = getpid();
	return s->cl;
}

/* bound_client - a client handle for the server ypbind is bound to; NULL with a YP error */
static CLIENT *bound_client(struct sm_nis *n, long long deadline, int *yperr, struct sm_buf *why)
{
	struct nis_server *s = &n->bound;
	struct sockaddr_in sin;
	ypbind2_resp resp;
	enum clnt_stat st;
	long long ms;
	CLIENT *b;
	char addr[INET_ADDRSTRLEN];

	if (s->cl && s->pid == getpid())
		return s->cl;
	server_drop(s);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((*yperr = pmap_port(&sin, YPBINDPROG, YPBINDVERS_2, deadline - sm_clock_ms(), "ypbind", why)) !=
	    0) {
		if (*yperr == YPERR_PMAP)
			*yperr = YPERR_YPBIND;
		return NULL;
	}
	if ((b = udp_client(&sin, YPBINDPROG, YPBINDVERS_2, "ypbind", why)) == NULL) {
		*yperr = YPERR_YPBIND;
		return NULL;
	}
	memset(&resp, 0, sizeof(resp));
	ms = deadline - sm_clock_ms();
	st = clnt_call(b, YPBINDPROC_DOMAIN, (xdrproc_t)xdr_domainname, (caddr_t)&n->domain,
	               (xdrproc_t)xdr_ypbind2_resp, (caddr_t)&resp, ms_tv(ms));
	if (st != RPC_SUCCESS)
		callerr(b, st, "ypbind", ms, why);
	clnt_destroy(b);
	if (st != RPC_SUCCESS) {
		*yperr = YPERR_YPBIND;
		return NULL;
	}
	if (resp.ypbind_status != YPBIND_SUCC_VAL) {
		unsigned e = resp.ypbind2_error;

		sm_buf_printf(why, "ypbind: %s",
		              e == YPBIND_ERR_NOSERV     ? "no server bound for the domain"
		              : e == YPBIND_ERR_NODOMAIN ? "domain not known to ypbind"
		              : e == YPBIND_ERR_RESC     ? "out of resources"
		                                         : "internal error");
		*yperr = YPERR_DOMAIN;
		return NULL;
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr = resp.ypbind2_addr;
	sin.sin_port = resp.ypbind2_port;
	inet_ntop(AF_INET, &sin.sin_addr, addr, sizeof(addr));
	free(s->host);
	s->host = sm_asprintf("%s:%u", addr, (unsigned)ntohs(sin.sin_port));
	if ((s->cl = udp_client(&sin, YPPROG, YPVERS, s->host, why)) == NULL) {
		*yperr = YPERR_RPC;
		return NULL;
	}
	s->pid = getpid();
	return s->cl;
}

/* yp_status_err - the YP error for a ypserv status */
static int yp_status_err(int st)
{
	switch (st) {
	case YP_TRUE:
		return 0;
	case YP_NOMORE:
		return YPERR_NOMORE;
	case YP_NOMAP:
		return YPERR_MAP;
	case YP_NODOM:
		return YPERR_DOMAIN;
	case YP_NOKEY:
		return YPERR_KEY;
	case YP_BADARGS:
		return YPERR_BADARGS;
	case YP_BADDB:
		return YPERR_BADDB;
	case YP_VERS:
		return YPERR_VERS;
	default:
		return YPERR_YPERR;
	}
}

/* transport_err - a YP error after which another server (or a new binding) may do better */
static int transport_err(int yperr)
{
	return yperr == YPERR_RPC || yperr == YPERR_DOMAIN || yperr == YPERR_YPSERV || yperr == YPERR_PMAP ||
	       yperr == YPERR_YPBIND;
}

/* call_match - one YPPROC_MATCH; 0 with *val (caller frees), or a YP error */
static int call_match(struct sm_nis *n, struct nis_server *s, CLIENT *cl, const char *map, char *key,
                      size_t klen, long long ms, char **val, size_t *vlen, struct sm_buf *why)
{
	ypreq_key req;
	ypresp_val resp;
	enum clnt_stat st;
	int rc;

	req.domain = n->domain;
	req.map = (char *)map;
	req.keydat.keydat_len = (u_int)klen;
	req.keydat.keydat_val = key;
	memset(&resp, 0, sizeof(resp));
	st = clnt_call(cl, YPPROC_MATCH, (xdrproc_t)xdr_ypreq_key, (caddr_t)&req, (xdrproc_t)xdr_ypresp_val,
	               (caddr_t)&resp, ms_tv(ms));
	if (st != RPC_SUCCESS) {
		callerr(cl, st, s->host, ms, why);
		server_drop(s);
		return YPERR_RPC;
	}
	rc = yp_status_err(resp.status);
	if (rc == 0) {
		*vlen = resp.valdat.valdat_len;
		*val = sm_malloc(*vlen + 1);
		memcpy(*val, resp.valdat.valdat_val, *vlen);
		(*val)[*vlen] = '\0';
	} else if (rc == YPERR_DOMAIN) {
		sm_buf_printf(why, "%s: domain %s not served", s->host, n->domain);
	} else if (rc != YPERR_KEY) {
		sm_buf_printf(why, "%s: %s", s->host, yperr_string(rc));
	}
	clnt_freeres(cl, (xdrproc_t)xdr_ypresp_val, (caddr_t)&resp);
	return rc;
}

/* nis_match - ask the servers for one key form before the deadline; 0 with *val, or a YP error */
static int nis_match(struct sm_nis *n, const char *map, char *key, size_t klen, long long deadline,
                     char **val, size_t *vlen, struct sm_buf *why)
{
	struct sm_buf one = SM_BUF_INIT;
	size_t tries = n->nservers ? n->nservers : 1, i = 0;
	int rc = YPERR_RPC, renewed = 0;

	while (i < tries) {
		size_t at = n->nservers ? (n->cur + i) % n->nservers : 0;
		struct nis_server *s = n->nservers ? &n->servers[at] : &n->bound;
		long long left = deadline - sm_clock_ms();
		int cached = s->cl != NULL && s->pid == getpid();
		CLIENT *cl;

		if (left <= 0) {
			if (one.len == 0)
				sm_buf_printf(&one, "no answer within %ld ms", n->timeout_ms);
			rc = YPERR_RPC;
			break;
		}
		sm_buf_reset(&one);
		cl = n->nservers ? server_client(s, deadline, &rc, &one)
		                 : bound_client(n, deadline, &rc, &one);
		if (cl != NULL) {
			left = deadline - sm_clock_ms();
			rc = call_match(n, s, cl, map, key, klen, left > 0 ? left : 1, val, vlen, &one);
		}
		if (!transport_err(rc)) {
			if (s->failing)
				sm_log(LOG_INFO, "nis: domain %s: server %s answers again", n->domain,
				       s->host ? s->host : "?");
			s->failing = 0;
			n->cur = at;
			break;
		}
		server_drop(s);
		if (cached && !renewed) {
			/* a handle from an earlier lookup: the server may have restarted on another port */
			renewed = 1;
			continue;
		}
		if (cl != NULL || n->nservers)
			server_failed(n, s, one.data ? one.data : "failed");
		i++;
	}
	if (rc != 0 && rc != YPERR_KEY)
		sm_buf_add(why, one.data, one.len);
	sm_buf_free(&one);
	return rc;
}

/* match_key - both key forms, the one that worked last first; 0 with *val, or a YP error */
static int match_key(struct sm_nis *n, struct nis_map *m, const char *key, long long deadline, char **val,
                     size_t *vlen, struct sm_buf *why)
{
	size_t klen = strlen(key);
	char *k = sm_malloc(klen + 1);
	int form = m->nul_first, rc;

	memcpy(k, key, klen + 1);
	rc = nis_match(n, m->name, k, klen + (size_t)form, deadline, val, vlen, why);
	if (rc == YPERR_KEY) {
		form = !form;
		rc = nis_match(n, m->name, k, klen + (size_t)form, deadline, val, vlen, why);
		if (rc == 0)
			m->nul_first = form;
	}
	free(k);
	return rc;
}

/* yp_status - the switch status of a YP error */
static enum sm_status yp_status(int yperr)
{
	switch (yperr) {
	case 0:
		return SM_SUCCESS;
	case YPERR_KEY:
	case YPERR_NOMORE:
		return SM_NOTFOUND;
	case YPERR_MAP:
	case YPERR_BADARGS:
	case YPERR_VERS:
	case YPERR_ACCESS:
	case YPERR_NODOM:
		return SM_UNAVAIL;
	default: /* RPC, DOMAIN, PMAP, YPBIND, YPSERV, RESRC, BUSY, YPERR, BADDB */
		return SM_TRYAGAIN;
	}
}

/* clean_value - trim a value (and its trailing NUL); -1 if it holds NUL, CR or LF */
static int clean_value(char *v, size_t *len)
{
	size_t n = *len, i, start = 0;

	if (n && v[n - 1] == '\0')
		n--;
	for (i = 0; i < n; i++)
		if (v[i] == '\0' || v[i] == '\r' || v[i] == '\n')
			return -1;
	while (n && isspace((unsigned char)v[n - 1]))
		n--;
	while (start < n && isspace((unsigned char)v[start]))
		start++;
	memmove(v, v + start, n - start);
	v[n - start] = '\0';
	*len = n - start;
	return 0;
}

/* hosts_value - "ADDR NAME ALIAS..." to "NAME ADDR"; NULL if malformed */
static char *hosts_value(const char *line)
{
	char addr[64], name[256], bin[sizeof(struct in6_addr)];
	const char *p = line, *w;
	size_t len;

	while (isspace((unsigned char)*p))
		p++;
	for (w = p; *p && *p != '#' && !isspace((unsigned char)*p);)
		p++;
	len = (size_t)(p - w);
	if (len == 0 || len >= sizeof(addr))
		return NULL;
	memcpy(addr, w, len);
	addr[len] = '\0';
	while (isspace((unsigned char)*p))
		p++;
	for (w = p; *p && *p != '#' && !isspace((unsigned char)*p);)
		p++;
	len = (size_t)(p - w);
	if (len == 0 || len >= sizeof(name))
		return NULL;
	memcpy(name, w, len);
	name[len] = '\0';
	if (inet_pton(AF_INET, addr, bin) != 1 && inet_pton(AF_INET6, addr, bin) != 1)
		return NULL;
	return sm_asprintf("%s %s", name, addr);
}

/* nis_lookup - answer one key */
static enum sm_status nis_lookup(struct sm_source *src, const char *db, const char *key, char **value,
                                 struct sm_buf *reason)
{
	struct sm_nis *n = src->priv;
	struct nis_map *m;
	struct sm_buf why = SM_BUF_INIT;
	enum sm_status st;
	char *val = NULL;
	size_t vlen = 0;
	int rc;

	if (strcmp(db, "aliases") == 0)
		m = &n->aliases;
	else if (strcmp(db, "hosts") == 0)
		m = &n->hosts;
	else if (strcmp(db, "mail.byaddr") == 0)
		m = &n->byaddr;
	else {
		sm_buf_printf(reason, "the nis source has no %s database", db);
		return SM_UNAVAIL;
	}
	rc = match_key(n, m, key, sm_clock_ms() + n->timeout_ms, &val, &vlen, &why);
	st = yp_status(rc);
	switch (st) {
	case SM_SUCCESS:
		if (clean_value(val, &vlen) < 0) {
			char *k = sm_printable(key, strlen(key), 64);

			sm_log(LOG_ERR, "nis: %s \"%s\": map %s holds a value with a NUL, CR or LF", db, k,
			       m->name);
			sm_buf_printf(reason, "%s: malformed value (control character)", m->name);
			free(k);
			st = SM_UNAVAIL;
			break;
		}
		if (m == &n->hosts) {
			char *hv = hosts_value(val);

			if (hv == NULL) {
				char *k = sm_printable(key, strlen(key), 64);
				char *v = sm_printable(val, vlen, 80);

				sm_log(LOG_ERR, "nis: hosts \"%s\": malformed %s value \"%s\"", k, m->name,
				       v);
				sm_buf_printf(reason, "%s: malformed value \"%s\"", m->name, v);
				free(k);
				free(v);
				st = SM_UNAVAIL;
				break;
			}
			free(val);
			val = hv;
		}
		*value = val;
		val = NULL;
		break;
	case SM_NOTFOUND:
		break;
	case SM_UNAVAIL:
	case SM_TRYAGAIN:
		sm_buf_printf(reason, "%s in domain %s: ", m->name, n->domain);
		if (why.len)
			sm_buf_add(reason, why.data, why.len);
		else
			sm_buf_adds(reason, yperr_string(rc));
		break;
	}
	free(val);
	sm_buf_free(&why);
	return st;
}

/* nis_free - release the source's state */
static void nis_free(void *priv)
{
	struct sm_nis *n = priv;
	size_t i;

	for (i = 0; i < n->nservers; i++) {
		server_drop(&n->servers[i]);
		free(n->servers[i].host);
	}
	free(n->servers);
	server_drop(&n->bound);
	free(n->bound.host);
	free(n->aliases.name);
	free(n->hosts.name);
	free(n->byaddr.name);
	free(n->domain);
	free(n);
}

static const struct sm_source_ops nis_ops = { nis_lookup, nis_free };

/* sm_nis_create - a nis source; owned by the caller (the switch) */
struct sm_source *sm_nis_create(const char *name, const struct sm_config *cf, struct sm_buf *err)
{
	struct sm_nis *n;
	char *domain = sm_nis_domain(cf), **words;
	size_t nwords, i;

	if (domain == NULL) {
		sm_buf_adds(err, "no NIS domain (set NisDomain or the system's domainname)");
		return NULL;
	}
	n = sm_calloc(1, sizeof(*n));
	n->domain = domain;
	n->timeout_ms = sm_config_int(cf, "NisTimeout") * 1000;
	if (n->timeout_ms < 1000)
		n->timeout_ms = 1000;
	words = sm_config_words(cf, "NisServers", &nwords);
	if (nwords) {
		n->servers = sm_calloc(nwords, sizeof(*n->servers));
		for (i = 0; i < nwords; i++)
			n->servers[i].host = sm_strdup(words[i]);
		n->nservers = nwords;
	}
	sm_config_words_free(words, nwords);
	n->aliases.name = sm_strdup(sm_config_str(cf, "NisAliasMap"));
	n->hosts.name = sm_strdup("hosts.byname");
	n->byaddr.name = sm_strdup("mail.byaddr");
	if (*n->aliases.name == '\0' || strlen(n->aliases.name) > YPMAXMAP) {
		sm_buf_printf(err, "NisAliasMap: \"%s\" is not a map name", n->aliases.name);
		nis_free(n);
		return NULL;
	}
	return sm_source_alloc(&nis_ops, name, n);
}

#else /* !HAVE_NIS */

/* sm_nis_create - the nis source, not built in */
struct sm_source *sm_nis_create(const char *name, const struct sm_config *cf, struct sm_buf *err)
{
	(void)name;
	(void)cf;
	sm_buf_adds(err, "not built with NIS support");
	return NULL;
}

#endif
