/*
 * router/access.c - the sendmail-style access database: per-tag lookups and the relay decision
 *
 * See access.h. The map itself is router/tables.c's sm_map; this file
 * builds the keys in sendmail's order, reads the values and combines them.
 *
 * CONFIGURATION
 *	AccessFile, in sm_access_open() only.
 *
 * DIAGNOSTICS
 *	See access.h. Logged here (sm_log, LOG_ERR): a malformed value, with
 *	the map's file, the key and the value made printable. Map failures are
 *	logged by router/tables.c.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/cfg.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "router/access.h"
#include "router/tables.h"

#define SM_ACCESS_BITS_MAX 65535 /* no cipher is stronger; larger numbers are typos */
#define SM_ACCESS_NUM_MAX 100000000L

struct sm_access {
	struct sm_map *m;
	char *path; /* the map's file, for messages */
	pthread_mutex_t mu;
};

/* what a tag's values may be, besides OK, RELAY, REJECT, DISCARD, SKIP and ERROR */
enum kind {
	K_PLAIN,  /* Connect:, From:, To: */
	K_TLS,    /* TLS_Srv:, TLS_Clt: also VERIFY, VERIFY:bits, ENCR:bits */
	K_ISSUER, /* CERTISSUER: also SUBJECT */
};

struct keylist {
	char **v;
	size_t n, cap;
};

/* kl_addn - append a copy of the n bytes at s */
static void kl_addn(struct keylist *kl, const char *s, size_t n)
{
	if (kl->n == kl->cap) {
		kl->cap = kl->cap ? kl->cap * 2 : 16;
		kl->v = sm_realloc(kl->v, kl->cap * sizeof(*kl->v));
	}
	kl->v[kl->n++] = sm_strndup(s, n);
}

/* kl_add - append a copy of s */
static void kl_add(struct keylist *kl, const char *s)
{
	kl_addn(kl, s, strlen(s));
}

/* kl_free - release the keys */
static void kl_free(struct keylist *kl)
{
	size_t i;

	for (i = 0; i < kl->n; i++)
		free(kl->v[i]);
	free(kl->v);
	kl->v = NULL;
	kl->n = kl->cap = 0;
}

/* fold - a copy of s with ASCII upper case folded, as makemap stores keys; caller frees */
static char *fold(const char *s)
{
	char *f = sm_strdup(s), *p;

	for (p = f; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return f;
}

/* host_walk - the host, then each parent domain; a [literal] as itself */
static void host_walk(struct keylist *kl, const char *host)
{
	const char *p, *dot;
	size_t n;

	if (host == NULL || *host == '\0' || strcasecmp(host, "unknown") == 0)
		return;
	if (host[0] == '[') {
		kl_add(kl, host);
		return;
	}
	n = strlen(host);
	if (n > 0 && host[n - 1] == '.')
		n--;
	for (p = host; p && p < host + n;) {
		if (*p != '.')
			kl_addn(kl, p, (size_t)(host + n - p));
		dot = memchr(p, '.', (size_t)(host + n - p));
		p = dot ? dot + 1 : NULL;
	}
}

/* ipv4_walk - 192.0.2.1, 192.0.2, 192.0, 192 */
static void ipv4_walk(struct keylist *kl, const unsigned char *o)
{
	char buf[32];
	int i;

	for (i = 4; i > 0; i--) {
		switch (i) {
		case 4:
			snprintf(buf, sizeof(buf), "%u.%u.%u.%u", o[0], o[1], o[2], o[3]);
			break;
		case 3:
			snprintf(buf, sizeof(buf), "%u.%u.%u", o[0], o[1], o[2]);
			break;
		case 2:
			snprintf(buf, sizeof(buf), "%u.%u", o[0], o[1]);
			break;
		default:
			snprintf(buf, sizeof(buf), "%u", o[0]);
			break;
		}
		kl_add(kl, buf);
	}
}

/* addr_walk - the address keys of ip (see access.h); nothing for a non-address */
static void addr_walk(struct keylist *kl, const char *ip)
{
	char buf[INET6_ADDRSTRLEN + 8], key[96];
	struct in_addr a4;
	struct in6_addr a6;
	size_t n;
	int groups, g, len;

	if (ip == NULL)
		return;
	n = strlen(ip);
	if (n >= 2 && ip[0] == '[' && ip[n - 1] == ']') {
		ip++;
		n -= 2;
	}
	if (n >= 5 && strncasecmp(ip, "IPv6:", 5) == 0) {
		ip += 5;
		n -= 5;
	}
	if (n == 0 || n >= sizeof(buf))
		return;
	memcpy(buf, ip, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET, buf, &a4) == 1) {
		ipv4_walk(kl, (const unsigned char *)&a4.s_addr);
		return;
	}
	if (inet_pton(AF_INET6, buf, &a6) != 1)
		return;
	if (IN6_IS_ADDR_V4MAPPED(&a6)) {
		ipv4_walk(kl, a6.s6_addr + 12);
		return;
	}
	if (inet_ntop(AF_INET6, &a6, buf, sizeof(buf)) == NULL)
		return;
	snprintf(key, sizeof(key), "IPv6:%s", buf);
	kl_add(kl, key);
	for (groups = 8; groups > 0; groups--) {
		len = snprintf(key, sizeof(key), "IPv6:");
		for (g = 0; g < groups; g++)
			len += snprintf(key + len, sizeof(key) - (size_t)len, "%s%x", g ? ":" : "",
			                (unsigned)(a6.s6_addr[2 * g] << 8 | a6.s6_addr[2 * g + 1]));
		if (strcasecmp(key, kl->v[kl->n - 1]) != 0 || groups != 8)
			kl_add(kl, key);
	}
}

/* domain_walk - the keys of an address's domain: a [literal] itself and its address walk, else the host walk */
static void domain_walk(struct keylist *kl, const char *domain)
{
	size_t n = strlen(domain);

	if (n == 0)
		return;
	if (domain[0] == '[') {
		kl_add(kl, domain);
		if (n >= 2 && domain[n - 1] == ']')
			addr_walk(kl, domain);
		return;
	}
	host_walk(kl, domain);
}

/* sm_access_action_name - the name of an action, for logs and tests */
const char *sm_access_action_name(enum sm_access_action act)
{
	switch (act) {
	case SM_ACCESS_NONE:
		return "NONE";
	case SM_ACCESS_OK:
		return "OK";
	case SM_ACCESS_RELAY:
		return "RELAY";
	case SM_ACCESS_REJECT:
		return "REJECT";
	case SM_ACCESS_DISCARD:
		return "DISCARD";
	case SM_ACCESS_SKIP:
		return "SKIP";
	case SM_ACCESS_ERROR:
		return "ERROR";
	case SM_ACCESS_VERIFY:
		return "VERIFY";
	case SM_ACCESS_ENCR:
		return "ENCR";
	case SM_ACCESS_SUBJECT:
		return "SUBJECT";
	case SM_ACCESS_TEMPFAIL:
		return "TEMPFAIL";
	}
	return "?";
}

/* result_init - an empty result */
static void result_init(struct sm_access_result *r)
{
	memset(r, 0, sizeof(*r));
	r->action = SM_ACCESS_NONE;
}

/* sm_access_result_free - release the strings of r and make it empty */
void sm_access_result_free(struct sm_access_result *r)
{
	if (r == NULL)
		return;
	free(r->tag);
	free(r->key);
	free(r->value);
	free(r->reply);
	result_init(r);
}

/* open_map - the handle over path's compiled map (path NULL: no map) */
static struct sm_access *open_map(const char *path, struct sm_buf *err)
{
	struct sm_access *a = sm_calloc(1, sizeof(*a));
	char *mp;

	pthread_mutex_init(&a->mu, NULL);
	if (path == NULL || *path == '\0') {
		a->path = sm_strdup("");
		a->m = NULL;
		return a;
	}
	mp = sm_map_path(path);
	a->m = sm_map_open("access", mp, 0);
	a->path = mp;
	if (sm_map_state(a->m) == SM_TRYAGAIN && err)
		sm_buf_adds(err, sm_map_reason(a->m));
	return a;
}

/* sm_access_open - AccessFile's map; never NULL; close with sm_access_close */
struct sm_access *sm_access_open(const struct sm_config *cf, struct sm_buf *err)
{
	return open_map(sm_config_str(cf, "AccessFile"), err);
}

/* sm_access_open_path - the map compiled from the text file path; never NULL */
struct sm_access *sm_access_open_path(const char *path, struct sm_buf *err)
{
	return open_map(path, err);
}

/* sm_access_state - SM_SUCCESS open, SM_UNAVAIL no map, SM_TRYAGAIN broken */
enum sm_status sm_access_state(const struct sm_access *a)
{
	return a->m ? sm_map_state(a->m) : SM_UNAVAIL;
}

/* sm_access_close - release the handle */
void sm_access_close(struct sm_access *a)
{
	if (a == NULL)
		return;
	sm_map_close(a->m);
	pthread_mutex_destroy(&a->mu);
	free(a->path);
	free(a);
}

/* get - one key, under the lock; *val a new string on SM_SUCCESS (caller frees) */
static enum sm_status get(struct sm_access *a, const char *key, char **val)
{
	enum sm_status st;

	*val = NULL;
	if (a->m == NULL)
		return SM_UNAVAIL;
	pthread_mutex_lock(&a->mu);
	st = sm_map_get(a->m, key, val);
	pthread_mutex_unlock(&a->mu);
	return st;
}

/* is_blank - space or tab */
static int is_blank(int c)
{
	return c == ' ' || c == '\t';
}

/* word_is - the n bytes at s are word, in any case */
static int word_is(const char *s, size_t n, const char *word)
{
	return strlen(word) == n && strncasecmp(s, word, n) == 0;
}

/* parse_bits - a decimal number of bits filling all n bytes; 0 or -1 */
static int parse_bits(const char *s, size_t n, unsigned *bits)
{
	unsigned long v = 0;
	size_t i;

	if (n == 0 || n > 5)
		return -1;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > SM_ACCESS_BITS_MAX)
		return -1;
	*bits = (unsigned)v;
	return 0;
}

/* parse_tls - [TEMP+|PERM+]VERIFY[:bits] or [TEMP+|PERM+]ENCR:bits into r; 0 or -1 */
static int parse_tls(const char *v, size_t n, struct sm_access_result *r)
{
	const char *colon;

	r->perm = 0;
	if (n >= 5 && strncasecmp(v, "PERM+", 5) == 0) {
		r->perm = 1;
		v += 5;
		n -= 5;
	} else if (n >= 5 && strncasecmp(v, "TEMP+", 5) == 0) {
		v += 5;
		n -= 5;
	}
	colon = memchr(v, ':', n);
	if (colon == NULL) {
		if (!word_is(v, n, "VERIFY"))
			return -1;
		r->action = SM_ACCESS_VERIFY;
		r->bits = 0;
		return 0;
	}
	if (parse_bits(colon + 1, n - (size_t)(colon + 1 - v), &r->bits) < 0)
		return -1;
	if (word_is(v, (size_t)(colon - v), "VERIFY"))
		r->action = SM_ACCESS_VERIFY;
	else if (word_is(v, (size_t)(colon - v), "ENCR"))
		r->action = SM_ACCESS_ENCR;
	else
		return -1;
	return 0;
}

/* parse_error - ERROR:... or "NNN text" into r; 1 done, 0 not such a value */
static int parse_error(const char *v, struct sm_access_result *r)
{
	struct sm_tbl_error e;
	char *ev = NULL;
	int done;

	if ((v[0] == '4' || v[0] == '5') && isdigit((unsigned char)v[1]) && isdigit((unsigned char)v[2]) &&
	    (is_blank(v[3]) || v[3] == '\0'))
		ev = sm_asprintf("error:%s", v);
	done = sm_tbl_error_parse(ev ? ev : v, &e);
	free(ev);
	if (!done)
		return 0;
	r->action = SM_ACCESS_ERROR;
	r->reply = sm_asprintf("%d %s %s", e.reply, e.dsn, e.text);
	sm_tbl_error_free(&e);
	return 1;
}

/* parse_value - the value of a key of this kind into r; 0, or -1 when malformed */
static int parse_value(const char *value, enum kind kind, struct sm_access_result *r)
{
	const char *v = value;
	size_t n;

	while (is_blank(*v))
		v++;
	n = strlen(v);
	while (n > 0 && is_blank(v[n - 1]))
		n--;
	if (word_is(v, n, "OK"))
		r->action = SM_ACCESS_OK;
	else if (word_is(v, n, "RELAY"))
		r->action = SM_ACCESS_RELAY;
	else if (word_is(v, n, "REJECT")) {
		r->action = SM_ACCESS_REJECT;
		r->reply = sm_strdup(SM_ACCESS_REJECT_REPLY);
	} else if (word_is(v, n, "DISCARD"))
		r->action = SM_ACCESS_DISCARD;
	else if (word_is(v, n, "SKIP"))
		r->action = SM_ACCESS_SKIP;
	else if (kind == K_ISSUER && word_is(v, n, "SUBJECT"))
		r->action = SM_ACCESS_SUBJECT;
	else if (kind == K_TLS && parse_tls(v, n, r) == 0)
		; /* r filled */
	else if (n > 0 && parse_error(v, r))
		; /* r filled */
	else
		return -1;
	return 0;
}

/* tempfail - make r a TEMPFAIL result */
static void tempfail(struct sm_access_result *r)
{
	free(r->reply);
	r->reply = sm_strdup(SM_ACCESS_TEMPFAIL_REPLY);
	r->action = SM_ACCESS_TEMPFAIL;
	r->bits = 0;
	r->perm = 0;
}

/* try_key - tag:key, then key when untagged; 1 and r filled when found or failed, 0 when absent */
static int try_key(struct sm_access *a, const char *tag, const char *key, int untagged, enum kind kind,
                   struct sm_access_result *r)
{
	char *full, *val = NULL;
	enum sm_status st;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		if (pass == 1 && (!untagged || *key == '\0'))
			break;
		full = pass == 0 ? sm_asprintf("%s:%s", tag, key) : sm_strdup(key);
		st = get(a, full, &val);
		free(full);
		switch (st) {
		case SM_SUCCESS:
			result_init(r);
			r->tag = sm_strdup(pass == 0 ? tag : "");
			r->key = fold(key);
			r->value = val;
			if (parse_value(val, kind, r) < 0) {
				char *pk = sm_printable(key, strlen(key), 100);
				char *pv = sm_printable(val, strlen(val), 100);

				sm_log(LOG_ERR, "access: %s: malformed value \"%s\" of \"%s%s%s\"", a->path,
				       pv, pass == 0 ? tag : "", pass == 0 ? ":" : "", pk);
				free(pk);
				free(pv);
				tempfail(r);
			}
			return 1;
		case SM_TRYAGAIN:
			result_init(r);
			r->tag = sm_strdup(pass == 0 ? tag : "");
			r->key = fold(key);
			tempfail(r);
			return 1;
		case SM_NOTFOUND:
		case SM_UNAVAIL:
			break;
		}
	}
	return 0;
}

/* walk - the first key of kl found, most specific first; SKIP ends the search */
static enum sm_access_action walk(struct sm_access *a, const char *tag, int untagged, enum kind kind,
                                  const struct keylist *kl, struct sm_access_result *r)
{
	size_t i;

	result_init(r);
	if (a->m != NULL && sm_map_state(a->m) == SM_TRYAGAIN) {
		tempfail(r);
		return r->action;
	}
	for (i = 0; i < kl->n; i++)
		if (try_key(a, tag, kl->v[i], untagged, kind, r))
			return r->action;
	return SM_ACCESS_NONE;
}

/* sm_access_connect - Connect: for the client (host walk, then address walk) */
enum sm_access_action sm_access_connect(struct sm_access *a, const char *ip, const char *host,
                                        struct sm_access_result *r)
{
	struct keylist kl = { 0 };
	enum sm_access_action act;

	host_walk(&kl, host);
	addr_walk(&kl, ip);
	act = walk(a, "Connect", 1, K_PLAIN, &kl, r);
	kl_free(&kl);
	return act;
}

/* bare_addr - a copy of addr without blanks and <> around it; caller frees */
static char *bare_addr(const char *addr)
{
	const char *s = addr ? addr : "";
	size_t n;

	while (is_blank(*s))
		s++;
	n = strlen(s);
	while (n > 0 && is_blank(s[n - 1]))
		n--;
	if (n >= 2 && s[0] == '<' && s[n - 1] == '>') {
		s++;
		n -= 2;
	}
	return sm_strndup(s, n);
}

/* addr_keys - From: (sender != 0) or To: keys of addr, in sendmail's order */
static void addr_keys(struct keylist *kl, const char *addr, int sender)
{
	char *a = bare_addr(addr), *at, *ud;
	size_t n = strlen(a);

	if (n == 0) {
		kl_add(kl, "<>");
		free(a);
		return;
	}
	if (a[n - 1] == '.')
		a[--n] = '\0';
	at = strrchr(a, '@');
	if (at == NULL) {
		ud = sm_asprintf("%s@", a);
		kl_add(kl, ud);
		free(ud);
		free(a);
		return;
	}
	if (at > a) {
		kl_add(kl, a); /* user@domain */
		ud = sm_strndup(a, (size_t)(at - a + 1));
	} else {
		ud = NULL;
	}
	if (sender && ud)
		kl_add(kl, ud);
	domain_walk(kl, at + 1);
	if (!sender && ud)
		kl_add(kl, ud);
	free(ud);
	free(a);
}

/* sm_access_from - From: for the envelope sender */
enum sm_access_action sm_access_from(struct sm_access *a, const char *addr, struct sm_access_result *r)
{
	struct keylist kl = { 0 };
	enum sm_access_action act;

	addr_keys(&kl, addr, 1);
	act = walk(a, "From", 1, K_PLAIN, &kl, r);
	kl_free(&kl);
	return act;
}

/* sm_access_to - To: for an envelope recipient */
enum sm_access_action sm_access_to(struct sm_access *a, const char *addr, struct sm_access_result *r)
{
	struct keylist kl = { 0 };
	enum sm_access_action act;

	addr_keys(&kl, addr, 0);
	act = walk(a, "To", 1, K_PLAIN, &kl, r);
	kl_free(&kl);
	return act;
}

/* tls_lookup - tag over the host walk, the address walk and the bare tag */
static enum sm_access_action tls_lookup(struct sm_access *a, const char *tag, const char *host,
                                        const char *ip, struct sm_access_result *r)
{
	struct keylist kl = { 0 };
	enum sm_access_action act;

	host_walk(&kl, host);
	addr_walk(&kl, ip);
	kl_add(&kl, "");
	act = walk(a, tag, 0, K_TLS, &kl, r);
	kl_free(&kl);
	return act;
}

/* sm_access_tls_srv - TLS_Srv: requirement for a server we connect to */
enum sm_access_action sm_access_tls_srv(struct sm_access *a, const char *host, const char *ip,
                                        struct sm_access_result *r)
{
	return tls_lookup(a, "TLS_Srv", host, ip, r);
}

/* sm_access_tls_clt - TLS_Clt: requirement for a client connected to us */
enum sm_access_action sm_access_tls_clt(struct sm_access *a, const char *host, const char *ip,
                                        struct sm_access_result *r)
{
	return tls_lookup(a, "TLS_Clt", host, ip, r);
}

/* sm_access_tls_check - 1 when the session meets req, else 0 and *reply (caller frees) */
int sm_access_tls_check(const struct sm_access_result *req, const char *verify, unsigned bits, char **reply)
{
	const char *code;
	int wants_verify = 0, wants_bits = 0;
	char *pv;

	*reply = NULL;
	if (verify == NULL)
		verify = "";
	if (req && req->action == SM_ACCESS_TEMPFAIL) {
		*reply = sm_strdup(req->reply ? req->reply : SM_ACCESS_TEMPFAIL_REPLY);
		return 0;
	}
	if (req && (req->action == SM_ACCESS_VERIFY || req->action == SM_ACCESS_ENCR)) {
		code = req->perm ? "503 5.7.0" : "403 4.7.0";
		wants_verify = req->action == SM_ACCESS_VERIFY;
		wants_bits = req->action == SM_ACCESS_ENCR || req->bits > 0;
	} else {
		code = "403 4.7.0";
	}
	if (strcasecmp(verify, "SOFTWARE") == 0) {
		*reply = sm_asprintf("%s TLS handshake failed.", code);
		return 0;
	}
	if (wants_verify && strcasecmp(verify, "OK") != 0) {
		if (*verify == '\0')
			*reply = sm_asprintf("%s authentication required", code);
		else if (strcasecmp(verify, "FAIL") == 0)
			*reply = sm_asprintf("%s authentication failed", code);
		else if (strcasecmp(verify, "NO") == 0)
			*reply = sm_asprintf("%s not authenticated", code);
		else if (strcasecmp(verify, "NOT") == 0)
			*reply = sm_asprintf("%s no authentication requested", code);
		else if (strcasecmp(verify, "NONE") == 0)
			*reply = sm_asprintf("%s other side does not support STARTTLS", code);
		else {
			pv = sm_printable(verify, strlen(verify), 32);
			*reply = sm_asprintf("%s authentication failure %s", code, pv);
			free(pv);
		}
		return 0;
	}
	if (wants_bits && bits < req->bits) {
		*reply = sm_asprintf("%s encryption too weak %u less than %u", code, bits, req->bits);
		return 0;
	}
	return 1;
}

/* sm_access_dn_encode - the DN with specials as +HH (seed 004); caller frees */
char *sm_access_dn_encode(const char *dn)
{
	static const char hex[] = "0123456789ABCDEF";
	struct sm_buf b = SM_BUF_INIT;
	const unsigned char *p;

	for (p = (const unsigned char *)(dn ? dn : ""); *p; p++) {
		if (*p < 0x21 || *p > 0x7e || strchr("<>()\"+", *p) != NULL) {
			sm_buf_addc(&b, '+');
			sm_buf_addc(&b, hex[*p >> 4]);
			sm_buf_addc(&b, hex[*p & 0xf]);
		} else {
			sm_buf_addc(&b, *p);
		}
	}
	return sm_buf_steal(&b);
}

/* sm_access_cert - CERTISSUER: or CERTSUBJECT: for a DN (encoded here) */
enum sm_access_action sm_access_cert(struct sm_access *a, const char *tag, const char *dn,
                                     struct sm_access_result *r)
{
	struct keylist kl = { 0 };
	enum sm_access_action act;
	enum kind kind;
	char *enc;

	result_init(r);
	if (tag == NULL || dn == NULL || *dn == '\0')
		return SM_ACCESS_NONE;
	if (strcasecmp(tag, "CERTISSUER") == 0) {
		tag = "CERTISSUER";
		kind = K_ISSUER;
	} else if (strcasecmp(tag, "CERTSUBJECT") == 0) {
		tag = "CERTSUBJECT";
		kind = K_PLAIN;
	} else {
		return SM_ACCESS_NONE;
	}
	enc = sm_access_dn_encode(dn);
	kl_add(&kl, enc);
	free(enc);
	act = walk(a, tag, 0, kind, &kl, r);
	kl_free(&kl);
	return act;
}

/* parse_number - a non-negative decimal number, blanks around allowed; 0 or -1 */
static int parse_number(const char *v, long *n)
{
	long x = 0;

	while (is_blank(*v))
		v++;
	if (!isdigit((unsigned char)*v))
		return -1;
	for (; isdigit((unsigned char)*v); v++) {
		x = x * 10 + (*v - '0');
		if (x > SM_ACCESS_NUM_MAX)
			return -1;
	}
	while (is_blank(*v))
		v++;
	if (*v != '\0')
		return -1;
	*n = x;
	return 0;
}

/* number_lookup - tag over the host walk, address walk and bare tag; *n set on SM_SUCCESS */
static enum sm_status number_lookup(struct sm_access *a, const char *tag, const char *ip, const char *host,
                                    long *n)
{
	struct keylist kl = { 0 };
	enum sm_status st = SM_NOTFOUND;
	char *full, *val;
	size_t i;
	long x;

	if (a->m != NULL && sm_map_state(a->m) == SM_TRYAGAIN)
		return SM_TRYAGAIN;
	host_walk(&kl, host);
	addr_walk(&kl, ip);
	kl_add(&kl, "");
	for (i = 0; i < kl.n; i++) {
		full = sm_asprintf("%s:%s", tag, kl.v[i]);
		st = get(a, full, &val);
		if (st == SM_SUCCESS) {
			if (parse_number(val, &x) == 0) {
				*n = x;
			} else {
				char *pk = sm_printable(full, strlen(full), 100);
				char *pv = sm_printable(val, strlen(val), 100);

				sm_log(LOG_ERR, "access: %s: malformed value \"%s\" of \"%s\": not a number",
				       a->path, pv, pk);
				free(pk);
				free(pv);
				st = SM_TRYAGAIN;
			}
		}
		free(val);
		free(full);
		if (st == SM_SUCCESS || st == SM_TRYAGAIN)
			break;
		st = SM_NOTFOUND;
	}
	kl_free(&kl);
	return st;
}

/* sm_access_greet_pause - GreetPause: for the client, in ms */
enum sm_status sm_access_greet_pause(struct sm_access *a, const char *ip, const char *host, long *ms)
{
	return number_lookup(a, "GreetPause", ip, host, ms);
}

/* sm_access_client_rate - ClientRate: for the client, connections per window */
enum sm_status sm_access_client_rate(struct sm_access *a, const char *ip, const char *host, long *n)
{
	return number_lookup(a, "ClientRate", ip, host, n);
}

/* sm_access_client_conn - ClientConn: for the client, sessions at once */
enum sm_status sm_access_client_conn(struct sm_access *a, const char *ip, const char *host, long *n)
{
	return number_lookup(a, "ClientConn", ip, host, n);
}

/* sm_access_has_routing - 1 when the address carries sender-specified routing */
int sm_access_has_routing(const char *addr)
{
	char *a = bare_addr(addr), *p, *at = NULL;
	int quoted = 0, routed = 0;

	if (a[0] == '@') {
		free(a);
		return 1; /* a source route: @relay:user@domain */
	}
	for (p = a; *p; p++) {
		if (*p == '\\' && p[1]) {
			p++;
			continue;
		}
		if (*p == '"')
			quoted = !quoted;
		else if (*p == '@' && !quoted)
			at = p;
	}
	for (p = a; *p && (at == NULL || p < at); p++)
		if (*p == '@' || *p == '%' || *p == '!')
			routed = 1;
	free(a);
	return routed;
}

/* relay_result_set - fill out */
static enum sm_relay_verdict relay_result_set(struct sm_relay_result *out, enum sm_relay_verdict v, char *why,
                                              const char *reply)
{
	out->verdict = v;
	out->why = why;
	out->reply = reply ? sm_strdup(reply) : NULL;
	return v;
}

/* sm_relay_result_free - release the strings of r */
void sm_relay_result_free(struct sm_relay_result *r)
{
	if (r == NULL)
		return;
	free(r->why);
	free(r->reply);
	memset(r, 0, sizeof(*r));
	r->verdict = SM_RELAY_NO;
}

/* sm_access_may_relay - may this client relay to this recipient (see access.h) */
enum sm_relay_verdict sm_access_may_relay(struct sm_access *a, const struct sm_relay_query *q,
                                          struct sm_relay_result *out)
{
	struct sm_access_result r;
	struct keylist kl = { 0 };
	enum sm_access_action act;
	int failed = 0;
	char *why, *at, *rcpt;

	memset(out, 0, sizeof(*out));
	if (q->authenticated)
		return relay_result_set(out, SM_RELAY_YES, sm_strdup("auth"), NULL);
	/* the client */
	act = sm_access_connect(a, q->client_ip, q->client_name, &r);
	if (act == SM_ACCESS_RELAY) {
		why = sm_asprintf("Connect:%s", r.key);
		sm_access_result_free(&r);
		return relay_result_set(out, SM_RELAY_YES, why, NULL);
	}
	failed |= act == SM_ACCESS_TEMPFAIL;
	sm_access_result_free(&r);
	/* the client's certificate, when it verified; its issuer may defer to the subject */
	if (q->verify && strcasecmp(q->verify, "OK") == 0 && q->cert_issuer) {
		act = sm_access_cert(a, "CERTISSUER", q->cert_issuer, &r);
		sm_access_result_free(&r);
		if (act == SM_ACCESS_RELAY)
			return relay_result_set(out, SM_RELAY_YES, sm_strdup("CERTISSUER"), NULL);
		failed |= act == SM_ACCESS_TEMPFAIL;
		if (act == SM_ACCESS_SUBJECT) {
			act = sm_access_cert(a, "CERTSUBJECT", q->cert_subject, &r);
			sm_access_result_free(&r);
			if (act == SM_ACCESS_RELAY)
				return relay_result_set(out, SM_RELAY_YES, sm_strdup("CERTSUBJECT"), NULL);
			failed |= act == SM_ACCESS_TEMPFAIL;
		}
	}
	/* the recipient's domain, unless the sender routes through us */
	if (q->rcpt && !sm_access_has_routing(q->rcpt)) {
		rcpt = bare_addr(q->rcpt);
		at = strrchr(rcpt, '@');
		if (at && at[1]) {
			size_t n = strlen(at + 1);

			if (at[n] == '.')
				at[n] = '\0';
			domain_walk(&kl, at + 1);
		}
		free(rcpt);
		act = walk(a, "To", 1, K_PLAIN, &kl, &r);
		kl_free(&kl);
		if (act == SM_ACCESS_RELAY) {
			why = sm_asprintf("To:%s", r.key);
			sm_access_result_free(&r);
			return relay_result_set(out, SM_RELAY_YES, why, NULL);
		}
		failed |= act == SM_ACCESS_TEMPFAIL;
		sm_access_result_free(&r);
	}
	if (failed)
		return relay_result_set(out, SM_RELAY_TEMPFAIL, NULL, SM_ACCESS_TEMPFAIL_REPLY);
	return relay_result_set(out, SM_RELAY_NO, NULL,
	                        q->auth_offered ? SM_ACCESS_RELAY_DENIED_AUTH : SM_ACCESS_RELAY_DENIED);
}
