/*
 * ldap/ldap.c - the ldap source: aliases and LDAP mail routing from a directory
 *
 * See ldap.h. Reads LdapURI, LdapBase, LdapAliasBase, LdapRouteBase,
 * LdapBindMethod, LdapBindDN, LdapBindPasswordFile, LdapStartTLS,
 * LdapCACertFile, LdapTimeout, LdapSizeLimit, LdapAliasFilter,
 * LdapAliasAttributes, LdapRouteFilter, LdapCacheTTL and LdapCacheSize.
 *
 * DIAGNOSTICS
 *	See ldap.h for the mapping of every libldap result to a status and
 *	for what is logged.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#ifdef HAVE_LDAP
#include <ldap.h>
#endif

#include "ldap/cache.h"
#include "ldap/ldap.h"
#include "lib/lines.h"
#include "lib/log.h"
#include "lib/mem.h"

/* ---- escaping and templates (every build) ---- */

/* sm_ldap_filter_escape - s escaped as an RFC 4515 filter value; caller frees */
char *sm_ldap_filter_escape(const char *s, size_t len)
{
	struct sm_buf b = SM_BUF_INIT;
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '*' || c == '(' || c == ')' || c == '\\' || c == '\0')
			sm_buf_printf(&b, "\\%02x", c);
		else
			sm_buf_addc(&b, c);
	}
	sm_buf_str(&b);
	return sm_buf_steal(&b);
}

/* sm_ldap_dn_escape - s escaped as an RFC 4514 attribute value; caller frees */
char *sm_ldap_dn_escape(const char *s, size_t len)
{
	struct sm_buf b = SM_BUF_INIT;
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			sm_buf_printf(&b, "\\%02x", c);
		else if (strchr(",+\"\\<>;=", c) != NULL)
			sm_buf_printf(&b, "\\%c", c);
		else if (i == 0 && (c == ' ' || c == '#'))
			sm_buf_printf(&b, "\\%c", c);
		else if (i == len - 1 && c == ' ')
			sm_buf_adds(&b, "\\ ");
		else
			sm_buf_addc(&b, c);
	}
	sm_buf_str(&b);
	return sm_buf_steal(&b);
}

/* sm_ldap_expand - tmpl with %0 replaced by arg and %% by %; count of %0, or -1 */
int sm_ldap_expand(const char *tmpl, const char *arg, struct sm_buf *out)
{
	const char *p;
	int n = 0;

	for (p = tmpl; *p; p++) {
		if (*p != '%') {
			sm_buf_addc(out, *p);
			continue;
		}
		if (p[1] == '0') {
			sm_buf_adds(out, arg);
			n++;
		} else if (p[1] == '%') {
			sm_buf_addc(out, '%');
		} else {
			return -1;
		}
		p++;
	}
	sm_buf_str(out);
	return n;
}

#ifndef HAVE_LDAP

/* sm_ldap_create - not built in: the switch answers UNAVAIL */
struct sm_source *sm_ldap_create(const char *name, const struct sm_config *cf, struct sm_buf *err)
{
	(void)name;
	(void)cf;
	sm_buf_adds(err, "not built with LDAP support");
	return NULL;
}

#else /* HAVE_LDAP */

#define DEAD_SECONDS 30.0   /* a server that failed is tried last for this long */
#define SLOW_SECONDS 10.0   /* when every server timed out, none is asked for this long */
#define LOG_INTERVAL 60.0   /* the same problem is logged at most once in this time */
#define IDLE_SECONDS 60.0   /* a connection idle longer is replaced before it is used */
#define VALUE_MAX 1000000   /* most bytes of an aliases answer */
#define ROUTE_VALUE_MAX 256 /* most bytes of a mailHost or mailRoutingAddress */

enum bind_method { BIND_ANONYMOUS, BIND_SIMPLE, BIND_EXTERNAL };

/* what one database asks */
struct query {
	const char *db;
	int route;          /* mailroute: one entry, two attributes */
	char *base;         /* a template when dynamic */
	int dynamic;        /* the base holds %0 */
	char *filter;       /* template */
	char **attrs;       /* NULL-terminated */
	int sizelimit;      /* 0: none */
	char *prefix;       /* of cache keys */
	char *config_error; /* set when the settings are unusable: every lookup UNAVAIL */
};

struct ldap_src {
	char *name;
	char **uris;
	size_t nuris;
	enum bind_method bind;
	char *binddn;
	char *pwfile;
	char *cacert;
	int starttls;
	long timeout;
	long ttl;
	char *config_error; /* settings shared by both databases are unusable */
	struct query aliases, route;
	LDAP *ld;          /* the open connection, or NULL */
	const char *where; /* its URI */
	double last_used;  /* when it last answered */
};

/* what one attempt concluded */
enum outcome { OUT_OK, OUT_TEMP, OUT_PERM };

/* ---- process-wide state: server health and the log limiter ---- */

static pthread_mutex_t state_mu = PTHREAD_MUTEX_INITIALIZER;

enum health { H_OK, H_DOWN, H_SLOW };

static struct {
	char *uri;
	double dead_until; /* failed: tried after the others until then */
	double slow_until; /* timed out: not asked at all until then, if every server did */
} health[32];
static size_t nhealth;

static struct {
	uint64_t tag;
	double at;
} recent[64];

/* now_s - a monotonic clock in seconds */
static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* health_slot - the health record of uri (state_mu held), or NULL when the table is full */
static size_t health_slot(const char *uri)
{
	size_t i;

	for (i = 0; i < nhealth; i++)
		if (strcmp(health[i].uri, uri) == 0)
			return i;
	if (nhealth == sizeof(health) / sizeof(health[0]))
		return SIZE_MAX;
	health[nhealth].uri = sm_strdup(uri);
	health[nhealth].dead_until = 0;
	health[nhealth].slow_until = 0;
	return nhealth++;
}

/* uri_is_down - was uri marked down less than DEAD_SECONDS ago? */
static int uri_is_down(const char *uri, double now)
{
	size_t i;
	int down = 0;

	pthread_mutex_lock(&state_mu);
	if ((i = health_slot(uri)) != SIZE_MAX)
		down = health[i].dead_until > now;
	pthread_mutex_unlock(&state_mu);
	return down;
}

/* uri_is_slow - did uri time out less than SLOW_SECONDS ago? */
static int uri_is_slow(const char *uri, double now)
{
	size_t i;
	int slow = 0;

	pthread_mutex_lock(&state_mu);
	if ((i = health_slot(uri)) != SIZE_MAX)
		slow = health[i].slow_until > now;
	pthread_mutex_unlock(&state_mu);
	return slow;
}

/* uri_mark - record that uri answered (H_OK), failed (H_DOWN) or timed out (H_SLOW) */
static void uri_mark(const char *uri, enum health h)
{
	double now = now_s();
	size_t i;

	pthread_mutex_lock(&state_mu);
	if ((i = health_slot(uri)) != SIZE_MAX) {
		health[i].dead_until = h == H_OK ? 0 : now + DEAD_SECONDS;
		health[i].slow_until = h == H_SLOW ? now + SLOW_SECONDS : 0;
	}
	pthread_mutex_unlock(&state_mu);
}

/* all_slow - did every server of ls time out in the last SLOW_SECONDS? */
static int all_slow(const struct ldap_src *ls, double now)
{
	size_t i;

	for (i = 0; i < ls->nuris; i++)
		if (!uri_is_slow(ls->uris[i], now))
			return 0;
	return ls->nuris > 0;
}

/* tag_hash - FNV-1a of a string */
static uint64_t tag_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

/* log_limited - log a message unless the problem named tag was logged in the last minute */
static void __attribute__((format(printf, 3, 4))) log_limited(int prio, const char *tag, const char *fmt, ...)
{
	uint64_t h = tag_hash(tag);
	double now = now_s();
	size_t i, oldest = 0;
	int skip = 0;
	char msg[1024];
	va_list ap;

	pthread_mutex_lock(&state_mu);
	for (i = 0; i < sizeof(recent) / sizeof(recent[0]); i++) {
		if (recent[i].tag == h && recent[i].at > 0 && now - recent[i].at < LOG_INTERVAL) {
			skip = 1;
			break;
		}
		if (recent[i].at < recent[oldest].at)
			oldest = i;
	}
	if (!skip) {
		recent[oldest].tag = h;
		recent[oldest].at = now;
	}
	pthread_mutex_unlock(&state_mu);
	if (skip)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sm_log(prio, "%s", msg);
}

static pthread_once_t lib_once = PTHREAD_ONCE_INIT;

/* lib_init - let libldap set up its global state once, before threads race to it */
static void lib_init(void)
{
	int v;

	ldap_get_option(NULL, LDAP_OPT_PROTOCOL_VERSION, &v);
}

/* ---- SIGPIPE: a server that closes its end must not kill the process ---- */

struct pipe_guard {
	sigset_t old;
	int was_pending;
};

/* pipe_block - block SIGPIPE in this thread, remembering whether one was already pending */
static void pipe_block(struct pipe_guard *g)
{
	sigset_t set, pending;

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	sigpending(&pending);
	g->was_pending = sigismember(&pending, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, &g->old);
}

/* pipe_restore - consume a SIGPIPE raised meanwhile and restore the mask */
static void pipe_restore(struct pipe_guard *g)
{
	sigset_t set, pending;
	struct timespec zero = { 0, 0 };

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	sigpending(&pending);
	if (!g->was_pending && sigismember(&pending, SIGPIPE))
		while (sigtimedwait(&set, NULL, &zero) < 0 && errno == EINTR)
			;
	pthread_sigmask(SIG_SETMASK, &g->old, NULL);
}

/* ---- connections ---- */

/* diag - libldap's diagnostic message for ld, appended to out as ": text" */
static void diag(LDAP *ld, struct sm_buf *out)
{
	char *msg = NULL;

	if (ld && ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &msg) == LDAP_OPT_SUCCESS && msg) {
		if (*msg)
			sm_buf_printf(out, " (%s)", msg);
		ldap_memfree(msg);
	}
}

/* remaining - what is left of the deadline as a timeval, at least 1 ms; 0 if it has passed */
static int remaining(double deadline, struct timeval *tv)
{
	double left = deadline - now_s();

	if (left <= 0)
		return 0;
	if (left < 0.001)
		left = 0.001;
	tv->tv_sec = (time_t)left;
	tv->tv_usec = (suseconds_t)((left - (double)tv->tv_sec) * 1e6);
	return 1;
}

/* conn_close - drop the connection */
static void conn_close(struct ldap_src *ls)
{
	if (ls->ld)
		ldap_unbind_ext(ls->ld, NULL, NULL);
	ls->ld = NULL;
	ls->where = NULL;
}

/* bind_outcome - is a refused bind the configuration's fault (PERM) or the server's (TEMP)? */
static enum outcome bind_outcome(int rc)
{
	switch (rc) {
	case LDAP_INVALID_CREDENTIALS:
	case LDAP_INAPPROPRIATE_AUTH:
	case LDAP_AUTH_METHOD_NOT_SUPPORTED:
	case LDAP_STRONG_AUTH_REQUIRED:
	case LDAP_CONFIDENTIALITY_REQUIRED:
	case LDAP_INSUFFICIENT_ACCESS:
	case LDAP_INVALID_DN_SYNTAX:
	case LDAP_UNWILLING_TO_PERFORM:
	case LDAP_PROTOCOL_ERROR:
		return OUT_PERM;
	default:
		return OUT_TEMP;
	}
}

/* read_password - the first line of the password file, or NULL with why */
static char *read_password(const char *path, struct sm_buf *why)
{
	struct sm_lines lr;
	char *pw = NULL;
	int oserr, rc;

	if (*path == '\0') {
		sm_buf_adds(why, "LdapBindPasswordFile is not set");
		return NULL;
	}
	if (sm_lines_open(&lr, path, 4096, &oserr) < 0) {
		sm_buf_printf(why, "cannot read the bind password file %s: %s", path, strerror(oserr));
		return NULL;
	}
	rc = sm_lines_next(&lr);
	if (rc > 0 && !lr.too_long && !lr.has_nul) {
		size_t n = lr.line.len;

		while (n > 0 && (lr.line.data[n - 1] == '\r' || lr.line.data[n - 1] == '\n'))
			n--;
		if (n > 0)
			pw = sm_strndup(lr.line.data, n);
	}
	if (pw == NULL) {
		if (rc < 0)
			sm_buf_printf(why, "cannot read the bind password file %s: %s", path,
			              strerror(lr.err));
		else
			sm_buf_printf(why, "the bind password file %s holds no password on its first line",
			              path);
	}
	sm_lines_close(&lr);
	return pw;
}

/* do_bind - bind ld as configured within the deadline */
static enum outcome do_bind(struct ldap_src *ls, LDAP *ld, double deadline, int *slow, struct sm_buf *why)
{
	struct berval cred = { 0, NULL };
	LDAPMessage *res = NULL;
	struct timeval tv;
	char *pw = NULL, *msg = NULL, empty[1] = "";
	const char *mech;
	int rc, msgid, err = LDAP_OTHER;

	switch (ls->bind) {
	case BIND_ANONYMOUS:
		return OUT_OK;
	case BIND_SIMPLE:
		if ((pw = read_password(ls->pwfile, why)) == NULL)
			return OUT_PERM;
		cred.bv_val = pw;
		cred.bv_len = strlen(pw);
		mech = LDAP_SASL_SIMPLE;
		break;
	case BIND_EXTERNAL:
		/* an empty initial response: "the identity the connection has", in one round trip */
		cred.bv_val = empty;
		mech = "EXTERNAL";
		break;
	}
	rc = ldap_sasl_bind(ld, ls->bind == BIND_SIMPLE ? ls->binddn : NULL, mech, &cred, NULL, NULL, &msgid);
	if (pw) {
		memset(pw, 0, strlen(pw));
		free(pw);
	}
	if (rc != LDAP_SUCCESS) {
		sm_buf_printf(why, "bind: %s", ldap_err2string(rc));
		diag(ld, why);
		return OUT_TEMP;
	}
	if (!remaining(deadline, &tv)) {
		sm_buf_adds(why, "bind: timed out");
		return OUT_TEMP;
	}
	rc = ldap_result(ld, msgid, LDAP_MSG_ALL, &tv, &res);
	if (rc == 0) {
		sm_buf_printf(why, "bind: no answer within %ld s (LdapTimeout)", ls->timeout);
		*slow = 1;
		return OUT_TEMP;
	}
	if (rc < 0) {
		ldap_get_option(ld, LDAP_OPT_RESULT_CODE, &err);
		sm_buf_printf(why, "bind: %s", ldap_err2string(err));
		diag(ld, why);
		return OUT_TEMP;
	}
	rc = ldap_parse_result(ld, res, &err, NULL, &msg, NULL, NULL, 1);
	if (rc != LDAP_SUCCESS)
		err = rc;
	if (err == LDAP_SUCCESS) {
		if (msg)
			ldap_memfree(msg);
		return OUT_OK;
	}
	sm_buf_printf(why, "%s bind%s%s refused: %s", ls->bind == BIND_SIMPLE ? "simple" : "SASL EXTERNAL",
	              ls->bind == BIND_SIMPLE ? " as " : "", ls->bind == BIND_SIMPLE ? ls->binddn : "",
	              ldap_err2string(err));
	if (msg) {
		if (*msg)
			sm_buf_printf(why, " (%s)", msg);
		ldap_memfree(msg);
	}
	return bind_outcome(err);
}

/* try_uri - connect to uri, StartTLS and bind, within the deadline; *out is the handle on OUT_OK */
static enum outcome try_uri(struct ldap_src *ls, const char *uri, double deadline, LDAP **out, int *slow,
                            struct sm_buf *why)
{
	LDAP *ld = NULL;
	struct timeval tv;
	int rc, v3 = LDAP_VERSION3, demand = LDAP_OPT_X_TLS_DEMAND, zero = 0;
	enum outcome o;

	*out = NULL;
	*slow = 0;
	pthread_once(&lib_once, lib_init);
	if (!remaining(deadline, &tv)) {
		sm_buf_adds(why, "timed out before connecting");
		return OUT_TEMP;
	}
	rc = ldap_initialize(&ld, uri);
	if (rc != LDAP_SUCCESS) {
		sm_buf_printf(why, "bad URI: %s", ldap_err2string(rc));
		return OUT_PERM;
	}
	ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v3);
	ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
	/* any non-NULL pointer turns a boolean option on (LDAP_OPT_ON needs liblber) */
	ldap_set_option(ld, LDAP_OPT_RESTART, &v3);
	ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv);
	ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv);
	if (*ls->cacert) {
		ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, ls->cacert);
		ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand);
		rc = ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &zero);
		if (rc != LDAP_OPT_SUCCESS) {
			sm_buf_printf(why, "cannot use LdapCACertFile %s", ls->cacert);
			diag(ld, why);
			ldap_unbind_ext(ld, NULL, NULL);
			return OUT_PERM;
		}
	}
	rc = ldap_connect(ld);
	if (rc != LDAP_SUCCESS) {
		sm_buf_printf(why, "%s", ldap_err2string(rc));
		diag(ld, why);
		ldap_unbind_ext(ld, NULL, NULL);
		return OUT_TEMP;
	}
	if (ls->starttls && strncasecmp(uri, "ldap://", 7) == 0) {
		if (remaining(deadline, &tv))
			ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv);
		rc = ldap_start_tls_s(ld, NULL, NULL);
		if (rc != LDAP_SUCCESS) {
			*slow = rc == LDAP_TIMEOUT;
			sm_buf_printf(why, "StartTLS: %s", ldap_err2string(rc));
			diag(ld, why);
			ldap_unbind_ext(ld, NULL, NULL);
			return OUT_TEMP;
		}
	}
	o = do_bind(ls, ld, deadline, slow, why);
	if (o != OUT_OK) {
		ldap_unbind_ext(ld, NULL, NULL);
		return o;
	}
	*out = ld;
	return OUT_OK;
}

/* conn_open - a connection to the first server that answers; TRYAGAIN or UNAVAIL with why */
static enum sm_status conn_open(struct ldap_src *ls, double deadline, struct sm_buf *why)
{
	struct sm_buf one = SM_BUF_INIT;
	double now = now_s();
	char *down = sm_calloc(ls->nuris, 1);
	size_t pass, i;
	int tried = 0;

	/*
	 * in order: servers not marked down, then those that failed, then those that timed out (as
	 * they were when we began), while time is left
	 */
	for (i = 0; i < ls->nuris; i++)
		down[i] = (char)(uri_is_slow(ls->uris[i], now) ? 2 : uri_is_down(ls->uris[i], now) ? 1 : 0);
	for (pass = 0; pass < 3; pass++) {
		for (i = 0; i < ls->nuris; i++) {
			const char *uri = ls->uris[i];
			LDAP *ld;
			enum outcome o;
			int slow;

			if (down[i] != (char)pass)
				continue;
			if (now_s() >= deadline) {
				sm_buf_printf(why, "%s%s: not tried, no time left", tried++ ? "; " : "", uri);
				continue;
			}
			sm_buf_reset(&one);
			o = try_uri(ls, uri, deadline, &ld, &slow, &one);
			switch (o) {
			case OUT_OK:
				uri_mark(uri, H_OK);
				ls->ld = ld;
				ls->where = uri;
				ls->last_used = now_s();
				sm_buf_free(&one);
				free(down);
				return SM_SUCCESS;
			case OUT_PERM:
				sm_buf_reset(why);
				sm_buf_printf(why, "%s: %s", uri, sm_buf_str(&one));
				sm_buf_free(&one);
				free(down);
				return SM_UNAVAIL;
			case OUT_TEMP:
				uri_mark(uri, slow ? H_SLOW : H_DOWN);
				log_limited(LOG_WARNING, uri, "ldap: %s: %s; server marked down for %.0f s",
				            uri, sm_buf_str(&one), DEAD_SECONDS);
				sm_buf_printf(why, "%s%s: %s", tried++ ? "; " : "", uri, sm_buf_str(&one));
				break;
			}
		}
	}
	sm_buf_free(&one);
	free(down);
	return SM_TRYAGAIN;
}

/* ---- lookups ---- */

/* result_status - the status of a search result code other than success */
static enum sm_status result_status(int rc, int dynamic)
{
	switch (rc) {
	case LDAP_NO_SUCH_OBJECT:
		return dynamic ? SM_NOTFOUND : SM_UNAVAIL;
	case LDAP_FILTER_ERROR:
	case LDAP_INVALID_DN_SYNTAX:
	case LDAP_UNDEFINED_TYPE:
	case LDAP_REFERRAL:
	case LDAP_PROTOCOL_ERROR:
	case LDAP_INAPPROPRIATE_AUTH:
	case LDAP_INVALID_CREDENTIALS:
	case LDAP_INSUFFICIENT_ACCESS:
	case LDAP_STRONG_AUTH_REQUIRED:
	case LDAP_CONFIDENTIALITY_REQUIRED:
	case LDAP_UNWILLING_TO_PERFORM:
	case LDAP_PARAM_ERROR:
	case LDAP_NOT_SUPPORTED:
		return SM_UNAVAIL;
	default: /* LDAP_SERVER_DOWN, LDAP_TIMEOUT, LDAP_BUSY, LDAP_UNAVAILABLE, ... */
		return SM_TRYAGAIN;
	}
}

/* bad_byte - does v hold a byte that may not enter an address list (NUL, CR, LF)? */
static int bad_byte(const struct berval *v)
{
	return v->bv_len == 0 || memchr(v->bv_val, '\0', v->bv_len) || memchr(v->bv_val, '\r', v->bv_len) ||
	       memchr(v->bv_val, '\n', v->bv_len);
}

/* alias_values - the members of every entry of res joined by ", "; NOTFOUND when none */
static enum sm_status alias_values(LDAP *ld, LDAPMessage *res, const struct query *q, const char *shown,
                                   char **value, struct sm_buf *reason)
{
	struct sm_buf b = SM_BUF_INIT;
	LDAPMessage *e;
	size_t nentries = 0, nskipped = 0, i;
	char *firstdn = NULL;

	for (e = ldap_first_entry(ld, res); e; e = ldap_next_entry(ld, e)) {
		nentries++;
		if (firstdn == NULL)
			firstdn = ldap_get_dn(ld, e);
		for (i = 0; q->attrs[i]; i++) {
			struct berval **vals = ldap_get_values_len(ld, e, q->attrs[i]);
			size_t j;

			for (j = 0; vals && vals[j]; j++) {
				if (bad_byte(vals[j]) || b.len + vals[j]->bv_len + 2 > VALUE_MAX) {
					nskipped++;
					continue;
				}
				if (b.len)
					sm_buf_adds(&b, ", ");
				sm_buf_add(&b, vals[j]->bv_val, vals[j]->bv_len);
			}
			ldap_value_free_len(vals);
		}
	}
	if (nskipped) {
		char *tag = sm_asprintf("skip %s", firstdn ? firstdn : "?");

		log_limited(LOG_WARNING, tag,
		            "ldap: aliases \"%s\": %zu empty, oversized or control-character "
		            "values ignored (entry %s)",
		            shown, nskipped, firstdn ? firstdn : "?");
		free(tag);
	}
	if (nentries == 1)
		sm_buf_printf(reason, "%s", firstdn ? firstdn : "?");
	else if (nentries > 1)
		sm_buf_printf(reason, "%s and %zu more entries", firstdn ? firstdn : "?", nentries - 1);
	if (firstdn)
		ldap_memfree(firstdn);
	if (b.len == 0) {
		sm_buf_free(&b);
		return SM_NOTFOUND;
	}
	*value = sm_buf_steal(&b);
	return SM_SUCCESS;
}

/* host_ok - is v a host name or an address literal, as a mailHost must be? */
static int host_ok(const struct berval *v)
{
	size_t i;

	if (v->bv_len == 0 || v->bv_len > ROUTE_VALUE_MAX)
		return 0;
	if (v->bv_val[0] == '[')
		return v->bv_len > 2 && v->bv_val[v->bv_len - 1] == ']' &&
		       strspn(v->bv_val + 1, "0123456789abcdefABCDEF:.IPv6") == v->bv_len - 2;
	if (v->bv_val[0] == '.' || v->bv_val[0] == '-')
		return 0;
	for (i = 0; i < v->bv_len; i++) {
		unsigned char c = (unsigned char)v->bv_val[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '-' || c == '_'))
			return 0;
	}
	return 1;
}

/* address_ok - is v usable as one token: no blanks, no control bytes? */
static int address_ok(const struct berval *v)
{
	size_t i;

	if (v->bv_len == 0 || v->bv_len > ROUTE_VALUE_MAX)
		return 0;
	for (i = 0; i < v->bv_len; i++) {
		unsigned char c = (unsigned char)v->bv_val[i];

		if (c <= 0x20 || c == 0x7f)
			return 0;
	}
	return 1;
}

/* route_value - "mailHost=H mailRoutingAddress=A" from the single entry of res */
static enum sm_status route_value(LDAP *ld, LDAPMessage *res, const struct query *q, const char *shown,
                                  char **value, struct sm_buf *reason)
{
	LDAPMessage *e = ldap_first_entry(ld, res);
	int n = ldap_count_entries(ld, res);
	struct sm_buf b = SM_BUF_INIT;
	enum sm_status st = SM_SUCCESS;
	char *dn;
	size_t i;

	if (e == NULL || n <= 0)
		return SM_NOTFOUND;
	dn = ldap_get_dn(ld, e);
	if (n > 1) {
		char *tag = sm_asprintf("ambiguous %s", shown);

		sm_buf_printf(reason, "%d entries match (%s, ...): ambiguous, taken as not found", n,
		              dn ? dn : "?");
		log_limited(LOG_WARNING, tag, "ldap: mailroute \"%s\": %s", shown, sm_buf_str(reason));
		free(tag);
		ldap_memfree(dn);
		return SM_NOTFOUND;
	}
	sm_buf_printf(reason, "%s", dn ? dn : "?");
	for (i = 0; q->attrs[i] && st == SM_SUCCESS; i++) {
		struct berval **vals = ldap_get_values_len(ld, e, q->attrs[i]);

		if (vals && vals[0]) {
			if (i == 0 ? !host_ok(vals[0]) : !address_ok(vals[0])) {
				char *v = sm_printable(vals[0]->bv_val, vals[0]->bv_len, 80);
				char *tag = sm_asprintf("malformed %s", dn ? dn : "?");

				sm_buf_reset(reason);
				sm_buf_printf(reason, "entry %s: malformed %s \"%s\"", dn ? dn : "?",
				              q->attrs[i], v);
				log_limited(LOG_ERR, tag, "ldap: mailroute \"%s\": %s", shown,
				            sm_buf_str(reason));
				free(tag);
				free(v);
				st = SM_UNAVAIL;
			} else {
				sm_buf_printf(&b, "%s%s=%.*s", b.len ? " " : "",
				              i == 0 ? "mailHost" : "mailRoutingAddress",
				              (int)vals[0]->bv_len, vals[0]->bv_val);
			}
		}
		ldap_value_free_len(vals);
	}
	ldap_memfree(dn);
	if (st == SM_SUCCESS && b.len == 0) {
		sm_buf_adds(reason, ": neither mailHost nor mailRoutingAddress");
		st = SM_NOTFOUND;
	}
	if (st == SM_SUCCESS)
		*value = sm_buf_steal(&b);
	sm_buf_free(&b);
	return st;
}

/* search - one search on the open connection within the deadline; a libldap result code */
static int search(struct ldap_src *ls, const struct query *q, const char *base, const char *filter,
                  double deadline, LDAPMessage **res)
{
	struct timeval tv;

	*res = NULL;
	if (!remaining(deadline, &tv))
		return LDAP_TIMEOUT;
	return ldap_search_ext_s(ls->ld, base, LDAP_SCOPE_SUBTREE, filter, q->attrs, 0, NULL, NULL, &tv,
	                         q->sizelimit, res);
}

/* run - ask the directory for key (no cache); the status, *value on SUCCESS */
static enum sm_status run(struct ldap_src *ls, const struct query *q, const char *key, char **value,
                          struct sm_buf *reason)
{
	struct sm_buf filter = SM_BUF_INIT, base = SM_BUF_INIT, why = SM_BUF_INIT;
	char *fkey = sm_ldap_filter_escape(key, strlen(key));
	char *shown = sm_printable(key, strlen(key), 80);
	double deadline = now_s() + (double)ls->timeout;
	LDAPMessage *res = NULL;
	enum sm_status st = SM_TRYAGAIN;
	struct pipe_guard pg;
	const char *where = NULL;
	int rc = LDAP_SUCCESS, attempt;

	sm_ldap_expand(q->filter, fkey, &filter);
	if (q->dynamic) {
		char *dkey = sm_ldap_dn_escape(key, strlen(key));

		sm_ldap_expand(q->base, dkey, &base);
		free(dkey);
	} else {
		sm_buf_adds(&base, q->base);
	}
	if (all_slow(ls, now_s())) {
		/* every server just failed to answer in time: do not make this lookup wait too */
		conn_close(ls);
		sm_buf_printf(
		    reason,
		    "every LDAP server failed to answer within %ld s (LdapTimeout) in the last %.0f s; "
		    "not asked again before then",
		    ls->timeout, SLOW_SECONDS);
		free(fkey);
		free(shown);
		sm_buf_free(&filter);
		sm_buf_free(&base);
		return SM_TRYAGAIN;
	}
	if (ls->ld && uri_is_slow(ls->where, now_s()))
		conn_close(ls); /* another lookup found it stuck: try the others first */
	if (ls->ld && now_s() - ls->last_used > IDLE_SECONDS)
		conn_close(ls); /* a firewall may have dropped it without a word: start afresh */
	pipe_block(&pg);
	for (attempt = 0; attempt < 2; attempt++) {
		if (ls->ld == NULL) {
			sm_buf_reset(&why);
			st = conn_open(ls, deadline, &why);
			if (st != SM_SUCCESS)
				break;
		}
		where = ls->where;
		rc = search(ls, q, sm_buf_str(&base), sm_buf_str(&filter), deadline, &res);
		if (rc == LDAP_SUCCESS || (rc == LDAP_SIZELIMIT_EXCEEDED && q->route)) {
			ls->last_used = now_s();
			break;
		}
		diag(ls->ld, &why);
		if (rc != LDAP_SERVER_DOWN && rc != LDAP_CONNECT_ERROR)
			break;
		/* the server went away (restarted?): reconnect once */
		uri_mark(ls->where, H_DOWN);
		conn_close(ls);
		if (res)
			ldap_msgfree(res);
		res = NULL;
		st = SM_TRYAGAIN;
	}
	if (ls->ld == NULL) {
		/* no server could be reached, or one refused us */
		if (st == SM_UNAVAIL) {
			log_limited(LOG_ERR, sm_buf_str(&why), "ldap: %s \"%s\": %s", q->db, shown,
			            sm_buf_str(&why));
			sm_buf_adds(reason, sm_buf_str(&why));
		} else {
			st = SM_TRYAGAIN;
			if (rc != LDAP_SUCCESS && where) /* it went away, and reconnecting failed */
				sm_buf_printf(reason, "%s: %s; ", where, ldap_err2string(rc));
			sm_buf_printf(reason, "no LDAP server reachable: %s",
			              why.len ? sm_buf_str(&why) : "?");
			log_limited(LOG_WARNING, "unreachable", "ldap: %s \"%s\": %s", q->db, shown,
			            sm_buf_str(reason));
		}
		goto out;
	}
	switch (rc) {
	case LDAP_SUCCESS:
		st = q->route ? route_value(ls->ld, res, q, shown, value, reason)
		              : alias_values(ls->ld, res, q, shown, value, reason);
		break;
	case LDAP_SIZELIMIT_EXCEEDED:
		if (q->route) { /* more than one entry: as sendmail's -1, not found */
			st = route_value(ls->ld, res, q, shown, value, reason);
			break;
		}
		st = SM_TRYAGAIN;
		sm_buf_printf(reason, "%s: more than %d entries match (LdapSizeLimit)", where, q->sizelimit);
		log_limited(LOG_WARNING, q->filter, "ldap: %s \"%s\": %s; deferred, not truncated", q->db,
		            shown, sm_buf_str(reason));
		break;
	default:
		st = result_status(rc, q->dynamic);
		if (st == SM_NOTFOUND) {
			sm_buf_printf(reason, "no base %s", sm_buf_str(&base));
			break;
		}
		if (rc == LDAP_NO_SUCH_OBJECT)
			sm_buf_printf(
			    reason, "%s: search base \"%s\" does not exist (or this identity may not see it)",
			    where, sm_buf_str(&base));
		else if (rc == LDAP_FILTER_ERROR)
			sm_buf_printf(reason, "%s: bad search filter \"%s\" (from %s)", where,
			              sm_buf_str(&filter),
			              q == &ls->aliases ? "LdapAliasFilter" : "LdapRouteFilter");
		else if (rc == LDAP_TIMEOUT)
			sm_buf_printf(reason, "%s: no answer within %ld s (LdapTimeout)", where, ls->timeout);
		else
			sm_buf_printf(reason, "%s: %s%s", where, ldap_err2string(rc), sm_buf_str(&why));
		if (st == SM_UNAVAIL) {
			char *tag =
			    sm_asprintf("%d %s %s", rc, q->db, rc == LDAP_FILTER_ERROR ? q->filter : where);

			log_limited(LOG_ERR, tag, "ldap: %s \"%s\": %s", q->db, shown, sm_buf_str(reason));
			free(tag);
		} else {
			log_limited(LOG_WARNING, where, "ldap: %s \"%s\": %s", q->db, shown,
			            sm_buf_str(reason));
		}
		if (st == SM_TRYAGAIN) {
			/* a server that timed out or failed: drop it, try the others next time */
			if (rc == LDAP_TIMEOUT)
				uri_mark(where, H_SLOW);
			else if (rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR || rc == LDAP_BUSY ||
			         rc == LDAP_UNAVAILABLE)
				uri_mark(where, H_DOWN);
			conn_close(ls);
		}
		break;
	}
out:
	if (res)
		ldap_msgfree(res);
	pipe_restore(&pg);
	sm_buf_free(&filter);
	sm_buf_free(&base);
	sm_buf_free(&why);
	free(fkey);
	free(shown);
	return st;
}

/* ldap_lookup - the source's lookup (see ldap.h) */
static enum sm_status ldap_lookup(struct sm_source *src, const char *db, const char *key, char **value,
                                  struct sm_buf *reason)
{
	struct ldap_src *ls = src->priv;
	struct query *q;
	struct sm_buf ckey = SM_BUF_INIT;
	enum sm_status st;
	double now, left;

	if (strcmp(db, "aliases") == 0)
		q = &ls->aliases;
	else if (strcmp(db, "mailroute") == 0)
		q = &ls->route;
	else {
		sm_buf_printf(reason, "the ldap source answers aliases and mailroute only, not %s", db);
		return SM_UNAVAIL;
	}
	if (ls->config_error || q->config_error) {
		const char *e = ls->config_error ? ls->config_error : q->config_error;

		sm_buf_adds(reason, e);
		log_limited(LOG_ERR, e, "ldap: %s: %s", db, e);
		return SM_UNAVAIL;
	}
	now = now_s();
	if (ls->ttl > 0) {
		sm_buf_adds(&ckey, q->prefix);
		sm_buf_adds(&ckey, key);
		if (sm_ldap_cache_get(ckey.data, ckey.len, now, &st, value, &left)) {
			sm_buf_printf(reason, "cached, %.0f s left", left);
			sm_buf_free(&ckey);
			return st;
		}
	}
	st = run(ls, q, key, value, reason);
	if (ls->ttl > 0)
		sm_ldap_cache_put(ckey.data, ckey.len, now, ls->ttl, st, st == SM_SUCCESS ? *value : NULL);
	sm_buf_free(&ckey);
	return st;
}

/* query_free - release what a query holds */
static void query_free(struct query *q)
{
	size_t i;

	free(q->base);
	free(q->filter);
	for (i = 0; q->attrs && q->attrs[i]; i++)
		free(q->attrs[i]);
	free(q->attrs);
	free(q->prefix);
	free(q->config_error);
}

/* ldap_free - close the connection and release the instance */
static void ldap_free(void *priv)
{
	struct ldap_src *ls = priv;
	size_t i;

	if (ls == NULL)
		return;
	conn_close(ls);
	for (i = 0; i < ls->nuris; i++)
		free(ls->uris[i]);
	free(ls->uris);
	free(ls->name);
	free(ls->binddn);
	free(ls->pwfile);
	free(ls->cacert);
	free(ls->config_error);
	query_free(&ls->aliases);
	query_free(&ls->route);
	free(ls);
}

static const struct sm_source_ops ldap_ops = { ldap_lookup, ldap_free };

/* query_setup - one database's search from the settings; a configuration error goes into q */
static void query_setup(struct ldap_src *ls, struct query *q, const struct sm_config *cf, const char *db,
                        const char *basename, const char *filtername, const char *attrlist)
{
	struct sm_buf probe = SM_BUF_INIT, prefix = SM_BUF_INIT;
	const char *base = sm_config_str(cf, basename);
	char **words;
	size_t n, i;
	int k;

	q->db = db;
	q->route = strcmp(db, "mailroute") == 0;
	if (*base == '\0') {
		basename = "LdapBase";
		base = sm_config_str(cf, basename);
	}
	q->base = sm_strdup(base);
	q->filter = sm_strdup(sm_config_str(cf, filtername));
	words = q->route ? NULL : sm_config_words(cf, attrlist, &n);
	if (q->route) {
		n = 2;
		q->attrs = sm_calloc(3, sizeof(*q->attrs));
		q->attrs[0] = sm_strdup("mailHost");
		q->attrs[1] = sm_strdup("mailRoutingAddress");
	} else {
		q->attrs = sm_calloc(n + 1, sizeof(*q->attrs));
		for (i = 0; i < n; i++)
			q->attrs[i] = words[i];
		free(words);
	}
	/* mailroute asks for two entries: a second one means "ambiguous" */
	q->sizelimit = q->route ? 2 : (int)sm_config_int(cf, "LdapSizeLimit");
	if ((k = sm_ldap_expand(q->filter, "x", &probe)) <= 0)
		q->config_error = sm_asprintf("%s \"%s\": %s", filtername, q->filter,
		                              k < 0 ? "only %0 and %% may follow a %" : "no %0 for the key");
	sm_buf_reset(&probe);
	if ((q->dynamic = sm_ldap_expand(q->base, "x", &probe)) < 0 && q->config_error == NULL)
		q->config_error =
		    sm_asprintf("%s \"%s\": only %%0 and %%%% may follow a %%", basename, q->base);
	if (n == 0 && q->config_error == NULL)
		q->config_error = sm_asprintf("%s is empty: no attribute to return", attrlist);
	if (q->config_error)
		log_limited(LOG_ERR, q->config_error, "ldap: %s: %s", db, q->config_error);
	/* the cache key: everything that shapes the answer */
	sm_buf_printf(&prefix, "%s\n%s\n", db, ls->name);
	for (i = 0; i < ls->nuris; i++)
		sm_buf_printf(&prefix, "%s ", ls->uris[i]);
	sm_buf_printf(&prefix, "\n%d %s\n%s\n%s\n%d\n", (int)ls->bind, ls->binddn, q->base, q->filter,
	              q->sizelimit);
	for (i = 0; q->attrs[i]; i++)
		sm_buf_printf(&prefix, "%s ", q->attrs[i]);
	sm_buf_addc(&prefix, '\n');
	q->prefix = sm_buf_steal(&prefix);
	sm_buf_free(&probe);
}

/* sm_ldap_create - an ldap source from the settings (see ldap.h); free with sm_source_free */
struct sm_source *sm_ldap_create(const char *name, const struct sm_config *cf, struct sm_buf *err)
{
	struct ldap_src *ls = sm_calloc(1, sizeof(*ls));
	const char *method = sm_config_str(cf, "LdapBindMethod");
	long size;

	(void)err;
	ls->name = sm_strdup(name);
	ls->uris = sm_config_words(cf, "LdapURI", &ls->nuris);
	ls->binddn = sm_strdup(sm_config_str(cf, "LdapBindDN"));
	ls->pwfile = sm_strdup(sm_config_str(cf, "LdapBindPasswordFile"));
	ls->cacert = sm_strdup(sm_config_str(cf, "LdapCACertFile"));
	ls->starttls = sm_config_bool(cf, "LdapStartTLS");
	ls->timeout = sm_config_int(cf, "LdapTimeout");
	if (ls->timeout <= 0)
		ls->timeout = 1;
	ls->ttl = sm_config_int(cf, "LdapCacheTTL");
	size = sm_config_int(cf, "LdapCacheSize");
	if (size <= 0)
		ls->ttl = 0; /* no room: no cache */
	else
		sm_ldap_cache_limit((size_t)size);
	if (strcasecmp(method, "anonymous") == 0 || *method == '\0')
		ls->bind = BIND_ANONYMOUS;
	else if (strcasecmp(method, "simple") == 0)
		ls->bind = BIND_SIMPLE;
	else if (strcasecmp(method, "external") == 0 || strcasecmp(method, "sasl-external") == 0)
		ls->bind = BIND_EXTERNAL;
	else
		ls->config_error =
		    sm_asprintf("LdapBindMethod \"%s\": not anonymous, simple or external", method);
	if (ls->config_error == NULL && ls->nuris == 0)
		ls->config_error = sm_strdup("LdapURI is empty: no LDAP server to ask");
	if (ls->config_error == NULL && ls->bind == BIND_SIMPLE && *ls->binddn == '\0')
		ls->config_error = sm_strdup("LdapBindMethod simple needs LdapBindDN");
	if (ls->config_error)
		log_limited(LOG_ERR, ls->config_error, "ldap: %s", ls->config_error);
	query_setup(ls, &ls->aliases, cf, "aliases", "LdapAliasBase", "LdapAliasFilter",
	            "LdapAliasAttributes");
	query_setup(ls, &ls->route, cf, "mailroute", "LdapRouteBase", "LdapRouteFilter", NULL);
	return sm_source_alloc(&ldap_ops, name, ls);
}

#endif /* HAVE_LDAP */
