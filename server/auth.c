/*
 * server/auth.c - SMTP AUTH PLAIN and LOGIN through Cyrus SASL and its sasldb
 *
 * SYNOPSIS
 *	See server/auth.h.
 *
 * DESCRIPTION
 *	The SMTP layer (base64, "334", "*", reply codes) is done here; SASL
 *	sees raw bytes. Cyrus's own plain and login plugins check the
 *	password against the sasldb auxprop plugin, configured through a
 *	SASL_CB_GETOPT callback only (no /etc/sasl2/smtp.conf is read).
 *	Cyrus keeps its state per process, so the first context's options
 *	are kept in one static structure that the global callbacks point to;
 *	a reference count calls sasl_server_done() after the last context.
 *
 *	Connections are made with service "smtp", server name and user realm
 *	host, no IP ports (PLAIN and LOGIN need none) and security flags
 *	SASL_SEC_NOANONYMOUS only: the TLS requirement is this module's
 *	policy (AuthRequireTLS), not SASL's, so that the 538 reply is ours.
 *
 * CONFIGURATION
 *	AuthMechanisms, SaslPasswdFile, AuthRequireTLS.
 *
 * DIAGNOSTICS
 *	Nothing is logged; see server/auth.h for the statuses and replies.
 *	SASL's own log messages (SASL_CB_LOG) are dropped: they repeat what
 *	sasl_errdetail() gives in r->detail.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/mem.h"
#include "server/auth.h"

#ifdef HAVE_SASL
#include <sasl/sasl.h>
#include <sasl/saslutil.h>
#endif

#define AUTH_LINE_MAX 12288 /* RFC 4954 4: a line of the exchange may be this long */
#define NAME_MAX_LOG 128    /* user names in results are cut to this */

/* sm_auth_status_name - a status as a word, for logs (constant) */
const char *sm_auth_status_name(enum sm_auth_status st)
{
	switch (st) {
	case SM_AUTH_CONTINUE:
		return "continue";
	case SM_AUTH_OK:
		return "ok";
	case SM_AUTH_FAIL:
		return "fail";
	case SM_AUTH_CANCEL:
		return "cancel";
	case SM_AUTH_REFUSED:
		return "refused";
	case SM_AUTH_TEMP:
		return "temp";
	}
	return "?";
}

/* sm_auth_result_clear - free what a step put in r */
void sm_auth_result_clear(struct sm_auth_result *r)
{
	free(r->reply);
	free(r->user);
	free(r->detail);
	r->reply = r->user = r->detail = NULL;
}

/* final - fill r for a final status and return it */
static enum sm_auth_status final(struct sm_auth_result *r, enum sm_auth_status st, const char *reply,
                                 const char *detail)
{
	r->reply = sm_strdup(reply);
	if (detail != NULL)
		r->detail = sm_strdup(detail);
	return st;
}

#ifdef HAVE_SASL

static const char *const supported[] = { "PLAIN", "LOGIN" };

struct sm_auth {
	char *host;  /* server name and user realm */
	char *offer; /* "PLAIN LOGIN": what EHLO says */
	int require_tls;
};

struct sm_auth_session {
	struct sm_auth *a;
	sasl_conn_t *conn;
};

/* the process-wide SASL options (see the top of this file) */
static struct {
	int refs;
	char *sasldb;
	char *mech_list;
} global;

/* opt_cb - SASL_CB_GETOPT: every option SASL asks for comes from here */
static int opt_cb(void *ctx, const char *plugin, const char *option, const char **result, unsigned *len)
{
	(void)ctx;
	(void)plugin;
	*result = NULL;
	if (strcmp(option, "pwcheck_method") == 0)
		*result = "auxprop";
	else if (strcmp(option, "auxprop_plugin") == 0)
		*result = "sasldb";
	else if (strcmp(option, "sasldb_path") == 0)
		*result = global.sasldb;
	else if (strcmp(option, "mech_list") == 0)
		*result = global.mech_list;
	else if (strcmp(option, "log_level") == 0)
		*result = "0";
	if (*result == NULL)
		return SASL_FAIL;
	if (len != NULL)
		*len = (unsigned)strlen(*result);
	return SASL_OK;
}

/* log_cb - SASL_CB_LOG: dropped (see DIAGNOSTICS) */
static int log_cb(void *ctx, int level, const char *msg)
{
	(void)ctx;
	(void)level;
	(void)msg;
	return SASL_OK;
}

typedef int (*sasl_cb_fn)(void);

static const sasl_callback_t callbacks[] = {
	{ SASL_CB_GETOPT, (sasl_cb_fn)(void (*)(void))opt_cb, NULL },
	{ SASL_CB_LOG, (sasl_cb_fn)(void (*)(void))log_cb, NULL },
	{ SASL_CB_LIST_END, NULL, NULL },
};

/* supported_mech - the canonical name of mechanism name, or NULL */
static const char *supported_mech(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(supported) / sizeof(supported[0]); i++)
		if (strlen(supported[i]) == len && strncasecmp(supported[i], name, len) == 0)
			return supported[i];
	return NULL;
}

/* word_in - 1 when word is one of the blank-separated words of list */
static int word_in(const char *list, const char *word)
{
	size_t wl = strlen(word);

	while (*list) {
		size_t len = strcspn(list, " ");

		if (len == wl && strncasecmp(list, word, len) == 0)
			return 1;
		list += len;
		list += *list == ' ';
	}
	return 0;
}

/* sm_auth_available - 1: built with Cyrus SASL */
int sm_auth_available(void)
{
	return 1;
}

/* sm_auth_new - the daemon's AUTH context, or NULL (see auth.h; freed by sm_auth_free()) */
struct sm_auth *sm_auth_new(const struct sm_config *cf, const char *host, struct sm_buf *err)
{
	const char *path = sm_config_str(cf, "SaslPasswdFile");
	struct sm_buf offer = SM_BUF_INIT;
	const char **have;
	struct sm_auth *a;
	char **w;
	size_t n, i, j;
	int rc;

	if (*path == '\0')
		return NULL;
	w = sm_config_words(cf, "AuthMechanisms", &n);
	for (i = 0; i < n; i++) {
		const char *m = supported_mech(w[i], strlen(w[i]));

		if (m == NULL) {
			sm_buf_printf(err, "AuthMechanisms: %s is not supported (only PLAIN and LOGIN)",
			              w[i]);
			break;
		}
		if (!word_in(offer.data ? offer.data : "", m))
			sm_buf_printf(&offer, "%s%s", offer.len ? " " : "", m);
	}
	sm_config_words_free(w, n);
	if (err->len || offer.len == 0) {
		sm_buf_free(&offer);
		return NULL;
	}
	if (access(path, R_OK) < 0) {
		sm_buf_printf(err, "SaslPasswdFile: %s: not readable", path);
		sm_buf_free(&offer);
		return NULL;
	}
	if (global.refs == 0) {
		global.sasldb = sm_strdup(path);
		global.mech_list = sm_strdup(offer.data);
		rc = sasl_server_init(callbacks, "switchmail");
		if (rc != SASL_OK) {
			sm_buf_printf(err, "sasl_server_init: %s", sasl_errstring(rc, NULL, NULL));
			free(global.sasldb);
			free(global.mech_list);
			global.sasldb = global.mech_list = NULL;
			sm_buf_free(&offer);
			return NULL;
		}
	}
	global.refs++;
	a = sm_calloc(1, sizeof(*a));
	a->host = sm_strdup(host);
	a->offer = sm_buf_steal(&offer);
	a->require_tls = sm_config_bool(cf, "AuthRequireTLS");
	/* every mechanism offered must have its plugin */
	have = sasl_global_listmech();
	for (i = 0; a->offer[i];) {
		size_t len = strcspn(a->offer + i, " ");
		int found = 0;

		for (j = 0; have != NULL && have[j] != NULL; j++)
			if (strlen(have[j]) == len && strncasecmp(have[j], a->offer + i, len) == 0)
				found = 1;
		if (!found) {
			sm_buf_printf(err, "AuthMechanisms: SASL has no %.*s plugin (libsasl2-modules)",
			              (int)len, a->offer + i);
			sm_auth_free(a);
			return NULL;
		}
		i += len;
		i += a->offer[i] == ' ';
	}
	return a;
}

/* sm_auth_free - release a context; the last one shuts SASL down */
void sm_auth_free(struct sm_auth *a)
{
	if (a == NULL)
		return;
	free(a->host);
	free(a->offer);
	free(a);
	if (--global.refs == 0) {
		sasl_server_done();
		free(global.sasldb);
		free(global.mech_list);
		global.sasldb = global.mech_list = NULL;
	}
}

/* sm_auth_offer - the EHLO mechanism list, NULL when AUTH is not offered now (owned by a) */
const char *sm_auth_offer(const struct sm_auth *a, int tls)
{
	if (a == NULL || (a->require_tls && !tls))
		return NULL;
	return a->offer;
}

/* sm_auth_session_free - abandon or release an exchange */
void sm_auth_session_free(struct sm_auth_session *as)
{
	if (as == NULL)
		return;
	sasl_dispose(&as->conn);
	free(as);
}

/* printable_user - the name SASL has for the connection, printable, or NULL (caller frees) */
static char *printable_user(sasl_conn_t *conn)
{
	const void *v = NULL;

	if (sasl_getprop(conn, SASL_USERNAME, &v) != SASL_OK || v == NULL)
		return NULL;
	return sm_printable(v, strlen(v), NAME_MAX_LOG);
}

/* outcome - turn a SASL result with its output into a status and reply; frees *sp when final */
static enum sm_auth_status outcome(struct sm_auth_session **sp, int rc, const char *out, unsigned outlen,
                                   struct sm_auth_result *r)
{
	struct sm_auth_session *as = *sp;
	enum sm_auth_status st;
	const char *reply;

	if (rc == SASL_CONTINUE) {
		unsigned need = (outlen + 2) / 3 * 4 + 1, got = 0;
		char *b64 = sm_malloc(need);

		if (sasl_encode64(out, outlen, b64, need, &got) != SASL_OK) {
			free(b64);
			rc = SASL_FAIL;
		} else {
			r->reply = sm_asprintf("334 %.*s", (int)got, b64);
			free(b64);
			return SM_AUTH_CONTINUE;
		}
	}
	switch (rc) {
	case SASL_OK:
		st = SM_AUTH_OK;
		reply = "235 2.7.0 Authentication successful";
		break;
	case SASL_BADAUTH:
	case SASL_NOUSER:
	case SASL_NOAUTHZ:
	case SASL_NOVERIFY:
	case SASL_EXPIRED:
	case SASL_DISABLED:
	case SASL_PWLOCK:
	case SASL_BADPROT:
		st = SM_AUTH_FAIL;
		reply = "535 5.7.8 Authentication credentials invalid";
		break;
	case SASL_TOOWEAK:
	case SASL_ENCRYPT:
		st = SM_AUTH_REFUSED;
		reply = "538 5.7.11 Encryption required for requested authentication mechanism";
		break;
	case SASL_TRANS:
		st = SM_AUTH_FAIL;
		reply = "535 5.7.8 Authentication credentials invalid (password transition needed)";
		break;
	default:
		st = SM_AUTH_TEMP;
		reply = "454 4.7.0 Temporary authentication failure";
		break;
	}
	r->user = printable_user(as->conn);
	if (st != SM_AUTH_OK) {
		const char *why = sasl_errdetail(as->conn);

		r->detail = sm_printable(why ? why : "?", why ? strlen(why) : 1, 256);
	}
	r->reply = sm_strdup(reply);
	sm_auth_session_free(as);
	*sp = NULL;
	return st;
}

/* decode - base64 text of len octets into a new buffer (caller frees); NULL when it is not base64 */
static char *decode(const char *text, size_t len, unsigned *outlen)
{
	char *out;

	if (len > AUTH_LINE_MAX)
		return NULL;
	out = sm_malloc(len / 4 * 3 + 4);
	if (sasl_decode64(text, (unsigned)len, out, (unsigned)(len / 4 * 3 + 4), outlen) != SASL_OK) {
		free(out);
		return NULL;
	}
	return out;
}

/* sm_auth_start - the AUTH command (see auth.h) */
enum sm_auth_status sm_auth_start(struct sm_auth *a, const char *arg, int tls, struct sm_auth_session **sp,
                                  struct sm_auth_result *r)
{
	size_t mlen = strcspn(arg, " ");
	const char *mech = supported_mech(arg, mlen), *initial = NULL, *out = NULL;
	struct sm_auth_session *as;
	char *clientin = NULL;
	unsigned inlen = 0, outlen = 0;
	int rc;

	*sp = NULL;
	r->reply = r->user = r->detail = NULL;
	if (arg[mlen] == ' ') {
		initial = arg + mlen + 1;
		if (*initial == '\0' || strchr(initial, ' ') != NULL)
			return final(r, SM_AUTH_REFUSED,
			             "501 5.5.4 Syntax: AUTH mechanism [initial-response]",
			             "bad AUTH syntax");
	}
	if (a == NULL)
		return final(r, SM_AUTH_REFUSED, "503 5.5.1 AUTH not available", "AUTH not configured");
	if (mech == NULL || !word_in(a->offer, mech))
		return final(r, SM_AUTH_REFUSED, "504 5.5.4 Unrecognized authentication type",
		             "mechanism not offered");
	if (a->require_tls && !tls)
		return final(r, SM_AUTH_REFUSED,
		             "538 5.7.11 Encryption required for requested authentication mechanism",
		             "AUTH before STARTTLS");
	if (initial != NULL && strcmp(initial, "=") != 0) {
		clientin = decode(initial, strlen(initial), &inlen);
		if (clientin == NULL)
			return final(r, SM_AUTH_REFUSED, "501 5.5.2 Cannot decode AUTH parameter",
			             "bad base64 in the initial response");
	} else if (initial != NULL) {
		clientin = sm_strdup(""); /* "=": an empty initial response (RFC 4954 4) */
	}
	as = sm_calloc(1, sizeof(*as));
	as->a = a;
	rc = sasl_server_new("smtp", a->host, a->host, NULL, NULL, NULL, 0, &as->conn);
	if (rc == SASL_OK) {
		sasl_security_properties_t sp_props;

		memset(&sp_props, 0, sizeof(sp_props));
		sp_props.security_flags = SASL_SEC_NOANONYMOUS;
		rc = sasl_setprop(as->conn, SASL_SEC_PROPS, &sp_props);
	}
	if (rc != SASL_OK) {
		free(clientin);
		r->detail = sm_asprintf("sasl_server_new: %s", sasl_errstring(rc, NULL, NULL));
		sm_auth_session_free(as);
		r->reply = sm_strdup("454 4.7.0 Temporary authentication failure");
		return SM_AUTH_TEMP;
	}
	*sp = as;
	rc = sasl_server_start(as->conn, mech, clientin, inlen, &out, &outlen);
	free(clientin);
	return outcome(sp, rc, out, outlen, r);
}

/* sm_auth_step - one more line of the exchange (see auth.h) */
enum sm_auth_status sm_auth_step(struct sm_auth_session **sp, const char *line, struct sm_auth_result *r)
{
	struct sm_auth_session *as = *sp;
	const char *out = NULL;
	unsigned inlen = 0, outlen = 0;
	char *clientin;
	int rc;

	r->reply = r->user = r->detail = NULL;
	if (strcmp(line, "*") == 0) {
		sm_auth_session_free(as);
		*sp = NULL;
		return final(r, SM_AUTH_CANCEL, "501 5.0.0 Authentication cancelled",
		             "cancelled by the client");
	}
	clientin = decode(line, strlen(line), &inlen);
	if (clientin == NULL) {
		sm_auth_session_free(as);
		*sp = NULL;
		return final(r, SM_AUTH_REFUSED, "501 5.5.2 Cannot decode response",
		             "bad base64 in a response");
	}
	rc = sasl_server_step(as->conn, clientin, inlen, &out, &outlen);
	memset(clientin, 0, inlen); /* it may be a password */
	free(clientin);
	return outcome(sp, rc, out, outlen, r);
}

#else /* !HAVE_SASL */

struct sm_auth {
	int unused;
};

struct sm_auth_session {
	int unused;
};

/* sm_auth_available - 0: built without Cyrus SASL */
int sm_auth_available(void)
{
	return 0;
}

/* sm_auth_new - NULL: no SASL in this build (err says so when AUTH is configured) */
struct sm_auth *sm_auth_new(const struct sm_config *cf, const char *host, struct sm_buf *err)
{
	(void)host;
	if (*sm_config_str(cf, "SaslPasswdFile"))
		sm_buf_adds(err, "SaslPasswdFile: not built with Cyrus SASL support");
	return NULL;
}

/* sm_auth_free - nothing to free */
void sm_auth_free(struct sm_auth *a)
{
	free(a);
}

/* sm_auth_offer - never offered */
const char *sm_auth_offer(const struct sm_auth *a, int tls)
{
	(void)a;
	(void)tls;
	return NULL;
}

/* sm_auth_session_free - nothing to free */
void sm_auth_session_free(struct sm_auth_session *as)
{
	free(as);
}

/* sm_auth_start - always 503: no AUTH in this build */
enum sm_auth_status sm_auth_start(struct sm_auth *a, const char *arg, int tls, struct sm_auth_session **sp,
                                  struct sm_auth_result *r)
{
	(void)a;
	(void)arg;
	(void)tls;
	*sp = NULL;
	r->reply = r->user = r->detail = NULL;
	return final(r, SM_AUTH_REFUSED, "503 5.5.1 AUTH not available", "not built with Cyrus SASL support");
}

/* sm_auth_step - never reached without a session */
enum sm_auth_status sm_auth_step(struct sm_auth_session **sp, const char *line, struct sm_auth_result *r)
{
	(void)line;
	sm_auth_session_free(*sp);
	*sp = NULL;
	r->reply = r->user = r->detail = NULL;
	return final(r, SM_AUTH_TEMP, "454 4.7.0 Temporary authentication failure",
	             "not built with Cyrus SASL support");
}

#endif
