/*
 * server/auth.h - SMTP AUTH (RFC 4954) for the SMTP server through Cyrus SASL: PLAIN and LOGIN
 *
 * SYNOPSIS
 *	#include "server/auth.h"
 *
 *	struct sm_auth *sm_auth_new(const struct sm_config *cf, const char *host, struct sm_buf *err);
 *	void sm_auth_free(struct sm_auth *a);
 *	const char *sm_auth_offer(const struct sm_auth *a, int tls);
 *
 *	enum sm_auth_status sm_auth_start(struct sm_auth *a, const char *arg, int tls,
 *	                                  struct sm_auth_session **sp, struct sm_auth_result *r);
 *	enum sm_auth_status sm_auth_step(struct sm_auth_session **sp, const char *line,
 *	                                 struct sm_auth_result *r);
 *	void sm_auth_session_free(struct sm_auth_session *as);
 *	void sm_auth_result_clear(struct sm_auth_result *r);
 *	const char *sm_auth_status_name(enum sm_auth_status st);
 *	int sm_auth_available(void);
 *
 * DESCRIPTION
 *	A context (struct sm_auth) is built once per daemon. It initialises
 *	Cyrus SASL for the process (sasl_server_init, once; the options of the
 *	first context are the ones SASL uses, so a process has one context at
 *	a time) with every option given through a SASL_CB_GETOPT callback, so
 *	no /etc/sasl2 file is read: pwcheck_method auxprop, auxprop_plugin
 *	sasldb, sasldb_path SaslPasswdFile, mech_list AuthMechanisms.
 *	sm_auth_new() returns NULL with err empty when SaslPasswdFile or
 *	AuthMechanisms is empty (AUTH is then not offered), and NULL with err
 *	set when a mechanism is not PLAIN or LOGIN, SASL cannot start, a
 *	mechanism has no plugin (libsasl2-modules) or the sasldb is not
 *	readable. Users live in the sasldb under the realm host (the caller
 *	passes HostName or the system's name): saslpasswd2 -f FILE -u HOST
 *	USER. A client logs in as USER (or USER@HOST).
 *
 *	sm_auth_offer() is the mechanism list for EHLO ("PLAIN LOGIN"), or
 *	NULL when AUTH must not be offered now: a is NULL, or AuthRequireTLS
 *	is set and tls is 0.
 *
 *	One exchange. sm_auth_start() takes the AUTH command's argument
 *	("MECH" or "MECH initial-response", initial response in base64, "="
 *	for an empty one) and tls (1 when the session is in TLS). It returns
 *	SM_AUTH_CONTINUE with r->reply a "334 challenge" line and *sp the
 *	exchange: every next line the client sends goes to sm_auth_step() ("*"
 *	cancels) until a final status comes. Final statuses: SM_AUTH_OK (235,
 *	r->user the authenticated name), SM_AUTH_FAIL (535: wrong user or
 *	password), SM_AUTH_CANCEL (501 5.0.0: the client sent "*"),
 *	SM_AUTH_REFUSED (the request itself is refused: 504 unknown or
 *	disallowed mechanism, 538 encryption required, 501 bad base64 or
 *	syntax) and SM_AUTH_TEMP (454: SASL or the sasldb failed). Whichever
 *	it is, r->reply is the reply line to send (without CRLF).
 *
 *	The exchange reads the sasldb (a local file) in the calling thread;
 *	the SMTP server calls these functions on its event loop. Only one
 *	thread may use a context and its exchanges.
 *
 *	Without Cyrus SASL (HAVE_SASL undefined) sm_auth_available() is 0 and
 *	sm_auth_new() returns NULL, with "not built with Cyrus SASL support"
 *	in err when SaslPasswdFile is set.
 *
 * CONFIGURATION
 *	AuthMechanisms, SaslPasswdFile, AuthRequireTLS.
 *
 * WHO FREES WHAT
 *	sm_auth_new() returns a context freed by sm_auth_free() after its
 *	last exchange was freed. *sp is set by sm_auth_start() only with
 *	SM_AUTH_CONTINUE; sm_auth_step() frees the exchange itself and sets
 *	*sp to NULL when it returns a final status. A caller that abandons an
 *	exchange (the connection closed) frees it with sm_auth_session_free().
 *	r->reply, r->user and r->detail are the caller's: sm_auth_result_clear()
 *	frees them (call it after every start or step, also on failure).
 *	sm_auth_offer() and sm_auth_status_name() return strings owned by the
 *	context or constant.
 *
 * DIAGNOSTICS
 *	Nothing is logged here, and no password is ever copied into a
 *	result. r->detail says why an exchange did not succeed (SASL's own
 *	reason from sasl_errdetail(), or what was wrong with the request),
 *	for the caller to log with the client's address; r->user is the name
 *	the client claimed when SASL knows it (also on SM_AUTH_FAIL). Every
 *	user-supplied string in a result is made printable and bounded.
 */
#ifndef SM_AUTH_H
#define SM_AUTH_H

#include "lib/buf.h"
#include "lib/cfg.h"

enum sm_auth_status {
	SM_AUTH_CONTINUE, /* 334: send r->reply, feed the next line to sm_auth_step() */
	SM_AUTH_OK,       /* 235: r->user authenticated */
	SM_AUTH_FAIL,     /* 535: credentials invalid */
	SM_AUTH_CANCEL,   /* 501 5.0.0: the client cancelled with "*" */
	SM_AUTH_REFUSED,  /* 504, 538 or 501: the request cannot be served */
	SM_AUTH_TEMP,     /* 454: a temporary failure inside SASL */
};

/* what one step came to; clear with sm_auth_result_clear() */
struct sm_auth_result {
	char *reply;  /* the reply line without CRLF */
	char *user;   /* OK: the authenticated name; FAIL: the claimed one if known; else NULL */
	char *detail; /* not OK: why, for the log; else NULL */
};

struct sm_auth;
struct sm_auth_session;

struct sm_auth *sm_auth_new(const struct sm_config *cf, const char *host, struct sm_buf *err);
void sm_auth_free(struct sm_auth *a);
const char *sm_auth_offer(const struct sm_auth *a, int tls);

enum sm_auth_status sm_auth_start(struct sm_auth *a, const char *arg, int tls, struct sm_auth_session **sp,
                                  struct sm_auth_result *r);
enum sm_auth_status sm_auth_step(struct sm_auth_session **sp, const char *line, struct sm_auth_result *r);
void sm_auth_session_free(struct sm_auth_session *as);
void sm_auth_result_clear(struct sm_auth_result *r);
const char *sm_auth_status_name(enum sm_auth_status st);
int sm_auth_available(void);

#endif
