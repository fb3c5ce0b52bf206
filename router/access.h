/*
 * router/access.h - the sendmail-style access database: per-tag lookups and the relay decision
 *
 * SYNOPSIS
 *	struct sm_access *sm_access_open(const struct sm_config *cf, struct sm_buf *err);
 *	struct sm_access *sm_access_open_path(const char *path, struct sm_buf *err);
 *	enum sm_status sm_access_state(const struct sm_access *a);
 *	void sm_access_close(struct sm_access *a);
 *
 *	enum sm_access_action sm_access_connect(struct sm_access *a, const char *ip,
 *	                                        const char *host, struct sm_access_result *r);
 *	enum sm_access_action sm_access_from(struct sm_access *a, const char *addr,
 *	                                     struct sm_access_result *r);
 *	enum sm_access_action sm_access_to(struct sm_access *a, const char *addr,
 *	                                   struct sm_access_result *r);
 *	enum sm_access_action sm_access_tls_srv(struct sm_access *a, const char *host,
 *	                                        const char *ip, struct sm_access_result *r);
 *	enum sm_access_action sm_access_tls_clt(struct sm_access *a, const char *host,
 *	                                        const char *ip, struct sm_access_result *r);
 *	int sm_access_tls_check(const struct sm_access_result *req, const char *verify,
 *	                        unsigned bits, char **reply);
 *	enum sm_access_action sm_access_cert(struct sm_access *a, const char *tag,
 *	                                     const char *dn, struct sm_access_result *r);
 *	char *sm_access_dn_encode(const char *dn);
 *	enum sm_status sm_access_greet_pause(struct sm_access *a, const char *ip,
 *	                                     const char *host, long *ms);
 *	enum sm_status sm_access_client_rate(struct sm_access *a, const char *ip,
 *	                                     const char *host, long *n);
 *	enum sm_status sm_access_client_conn(struct sm_access *a, const char *ip,
 *	                                     const char *host, long *n);
 *	enum sm_relay_verdict sm_access_may_relay(struct sm_access *a,
 *	                                          const struct sm_relay_query *q,
 *	                                          struct sm_relay_result *out);
 *	int sm_access_has_routing(const char *addr);
 *	void sm_access_result_free(struct sm_access_result *r);
 *	void sm_relay_result_free(struct sm_relay_result *r);
 *	const char *sm_access_action_name(enum sm_access_action act);
 *
 * DESCRIPTION
 *	The access database is a map compiled by makemap(8) from a text file
 *	of "key value" lines, like the virtusertable: AccessFile names the text
 *	file and the map is AccessFile.lmdb (sm_map_path()). Keys are tagged
 *	("Connect:192.0.2", "From:spammer@example.com", "TLS_Clt:mx.example",
 *	"CERTISSUER:/C=US/O=Example+20CA"); makemap folds keys to lower case
 *	and so do the lookups, so tags and keys match in any case.
 *
 *	Opening. sm_access_open() opens AccessFile's map; sm_access_open_path()
 *	takes the text file's name instead (an empty name means no access
 *	database at all). Both always return a handle the caller releases
 *	with sm_access_close(); sm_access_state() says what it is: SM_SUCCESS
 *	(open), SM_UNAVAIL (no map: every lookup finds nothing, as sendmail's
 *	optional map) or SM_TRYAGAIN (the file exists but is broken: err gets
 *	"access: PATH: reason" and every lookup answers SM_ACCESS_TEMPFAIL, so
 *	a damaged map defers mail and never lets anything through). A daemon
 *	may refuse to start on SM_TRYAGAIN; it must not carry on without the
 *	handle. The handle may be shared by threads (lookups take a mutex).
 *
 *	Results. Each lookup fills *r (always; release it with
 *	sm_access_result_free(), also after NONE) and returns r->action:
 *	    SM_ACCESS_NONE      no entry: apply the default policy
 *	    SM_ACCESS_OK        OK: accept, even if a later default would refuse
 *	    SM_ACCESS_RELAY     RELAY: OK, and relaying allowed (Connect:, To:, CERT*:)
 *	    SM_ACCESS_REJECT    REJECT: r->reply is "550 5.7.1 Access denied"
 *	    SM_ACCESS_DISCARD   DISCARD: accept and throw the message away
 *	    SM_ACCESS_SKIP      SKIP: the search stopped here; treat as NONE
 *	    SM_ACCESS_ERROR     ERROR:... or "NNN text": r->reply is the reply
 *	    SM_ACCESS_VERIFY    TLS_*: VERIFY or VERIFY:bits (r->bits, r->perm)
 *	    SM_ACCESS_ENCR      TLS_*: ENCR:bits (r->bits, r->perm)
 *	    SM_ACCESS_SUBJECT   CERTISSUER: SUBJECT: look up CERTSUBJECT: next
 *	    SM_ACCESS_TEMPFAIL  the map failed or the value is malformed:
 *	                        r->reply is "451 4.3.0 Temporary system failure.
 *	                        Please try again later."; defer, never accept
 *	r->key is the key that matched, folded, without the tag ("example.com",
 *	"192.0.2", "user@"), for logs; r->tag says which tag it carried ("" for
 *	an untagged key); r->value is the value as stored. All strings in *r
 *	belong to r.
 *
 *	Values. OK, RELAY, REJECT, DISCARD, SKIP (any case); "ERROR:..." in
 *	every form sm_tbl_error_parse() knows (ERROR:D.S.N:NNN text,
 *	ERROR:NNN text, ERROR:"550 text", ...), giving the reply
 *	"NNN D.S.N text"; the deprecated "NNN text" (seed example:
 *	"cyberspammer.com 550 We don't accept mail from spammers") is read as
 *	ERROR:NNN text. TLS_Srv:/TLS_Clt: take [TEMP+|PERM+]VERIFY,
 *	[TEMP+|PERM+]VERIFY:bits and [TEMP+|PERM+]ENCR:bits; r->perm is 1 for
 *	PERM+, else 0 (sendmail's default without TLS_PERM_ERR). Further
 *	sendmail requirements (+CN:..., +CS:...) are not supported and make
 *	the value malformed, so they defer rather than being silently ignored.
 *	CERTISSUER: also takes SUBJECT. A value another tag does not allow
 *	(VERIFY under Connect:, a word we do not know) is malformed: logged,
 *	and SM_ACCESS_TEMPFAIL, as a malformed mailertable value.
 *
 *	Order. The first key found wins; keys are tried from the most specific
 *	to the least, so "okay.cyberspammer.com OK" beats "cyberspammer.com
 *	REJECT" for that host and only for it. For Connect:, From: and To:
 *	each key is tried tagged and then, when the tagged key is absent,
 *	untagged (sendmail's deprecated fallback), before going on to the next
 *	less specific key; so "Connect:example.com" and a bare "example.com"
 *	are equals, and a more specific untagged key beats a less specific
 *	tagged one. The other tags need the tag.
 *	    host walk: the host, then each parent domain: a.b.example.com,
 *	        b.example.com, example.com, com (a trailing dot dropped). A
 *	        host literal "[192.0.2.1]" is looked up as itself only.
 *	    address walk, IPv4: 192.0.2.1, 192.0.2, 192.0, 192. IPv6 keys carry
 *	        "IPv6:": first the address as inet_ntop(3) writes it
 *	        ("IPv6:2001:db8::1"), then the full form without leading zeros
 *	        and its prefixes of whole groups: "IPv6:2001:db8:0:0:0:0:0:1",
 *	        "IPv6:2001:db8:0:0:0:0:0", ..., "IPv6:2001". An IPv4-mapped
 *	        address (::ffff:192.0.2.1) is walked as IPv4. Brackets and an
 *	        "IPv6:" prefix in ip are accepted; an ip that is not an address
 *	        gives no keys.
 *	sm_access_connect(): Connect: over the host walk of host (NULL, "" or
 *	"unknown" skip it), then the address walk of ip: as sendmail's
 *	check_relay, a name entry is more specific than an address entry.
 *	sm_access_from(): From: with user@domain, then user@, then the domain
 *	walk (sendmail's check_mail). sm_access_to(): To: with user@domain,
 *	then the domain walk, then user@ (sendmail's check_rcpt). For both,
 *	addr may hold <> and blanks around it; the domain is after the last
 *	'@'; a [literal] domain is looked up as itself, then by the address
 *	walk of what is inside; an address without '@' tries user@ only; the
 *	null sender ("" or "<>") is the key "<>".
 *	sm_access_tls_srv() / sm_access_tls_clt(): TLS_Srv: / TLS_Clt: over the
 *	host walk of host, then the address walk of ip, then the bare tag
 *	("TLS_Clt:") as a default, as sendmail's tls_server/tls_client.
 *	SKIP ends the whole search (host walk included) with SM_ACCESS_SKIP.
 *
 *	TLS check. sm_access_tls_check() says whether a session meets the
 *	requirement req found by sm_access_tls_*(), as sendmail's
 *	tls_connection ruleset: it returns 1 (go on) or 0 and sets *reply to a
 *	new string the caller frees (caller sends it and, for the client side,
 *	refuses the session). verify is ${verify}: OK, NO, NOT, NONE, FAIL,
 *	TEMP, PROTOCOL, SOFTWARE (sm_tls_verify_name()); bits the cipher's
 *	strength. The code is "403 4.7.0" (TEMP+, the default) or "503 5.7.0"
 *	(PERM+); the replies are sendmail's:
 *	    SOFTWARE (always)     CODE TLS handshake failed.
 *	                          (403 4.7.0 when req asks nothing)
 *	    VERIFY*, verify ""    CODE authentication required
 *	    VERIFY*, FAIL         CODE authentication failed
 *	    VERIFY*, NO           CODE not authenticated
 *	    VERIFY*, NOT          CODE no authentication requested
 *	    VERIFY*, NONE         CODE other side does not support STARTTLS
 *	    VERIFY*, other X      CODE authentication failure X
 *	    VERIFY:n or ENCR:n    CODE encryption too weak BITS less than n
 *	ENCR:n only looks at bits. req NULL, NONE, OK or any other action
 *	asks nothing (1). req TEMPFAIL gives 0 with req->reply (defer).
 *
 *	Certificates. sm_access_cert() looks up tag ("CERTISSUER" or
 *	"CERTSUBJECT") ":" and the DN encoded by sm_access_dn_encode(): a new
 *	string (caller frees) where every byte below 0x21 (space and control
 *	characters), above 0x7e, and each of < > ( ) " + becomes '+' and two
 *	upper-case hex digits; '=' and '/' stay. So "/CN=Darth Mail (Cert)/
 *	Email=darth+cert@endmail.org" becomes "/CN=Darth+20Mail+20+28Cert+29/
 *	Email=darth+2Bcert@endmail.org" (seed 004, sendmail's ${cert_issuer}).
 *	Call it only when the certificate verified (verify OK).
 *
 *	Per-client numbers. sm_access_greet_pause() (GreetPause:, ms),
 *	sm_access_client_rate() (ClientRate:, connections per window) and
 *	sm_access_client_conn() (ClientConn:, sessions at once) walk host, then
 *	ip, then the bare tag, as the TLS lookups. The value is a decimal
 *	number (0: no pause, no limit). SM_SUCCESS sets *ms / *n; SM_NOTFOUND
 *	leaves it (the caller's setting is the default); SM_TRYAGAIN (map
 *	failed, or a value that is not a number: logged) leaves it too.
 *
 *	Relaying. sm_access_may_relay() combines what the access database and
 *	the session know. relay-domains ({R}), RelayClients and our own
 *	domains stay in the server, which asks them first. Allowed (YES), the
 *	first that holds, in this order:
 *	    1. q->authenticated (SMTP AUTH succeeded)              "auth"
 *	    2. Connect: RELAY for the client (sm_access_connect)   "Connect:KEY"
 *	    3. q->verify is "OK" and CERTISSUER:<issuer> is RELAY  "CERTISSUER"
 *	       or it is SUBJECT and CERTSUBJECT:<subject> is RELAY "CERTSUBJECT"
 *	    4. To: RELAY for the recipient's domain walk (user@domain and
 *	       user@ keys do not grant relaying), and only if the recipient
 *	       has no sender-specified routing (sm_access_has_routing())
 *	                                                           "To:KEY"
 *	Otherwise NO, with reply "550 5.7.1 Relaying denied" ("550 5.7.1
 *	Relaying denied. Proper authentication required." when q->auth_offered),
 *	or TEMPFAIL ("451 4.3.0 ...") when a lookup failed and nothing allowed
 *	it. out->why says what allowed it; out->reply is set for NO and
 *	TEMPFAIL; release with sm_relay_result_free().
 *	sm_access_has_routing() is 1 when the recipient's local part holds
 *	'@', '%' or '!' (quoted or not), or the address has a source route
 *	("@a,@b:user@d"): the open-relay tricks of the classic relay probes.
 *
 * WHO FREES WHAT
 *	sm_access_close() frees the handle. Result strings are owned by the
 *	result and freed with sm_access_result_free() / sm_relay_result_free()
 *	(which also reset it). sm_access_dn_encode() and the *reply of
 *	sm_access_tls_check() are new strings the caller frees with free(3).
 *	sm_access_action_name() returns a static string.
 *
 * CONFIGURATION
 *	AccessFile (default /etc/mail/access; makemap writes
 *	AccessFile.lmdb). Nothing else is read here: the GreetPause,
 *	ClientRate and ClientConnectionLimit settings are the defaults the
 *	caller keeps when a per-client lookup finds nothing.
 *
 * DIAGNOSTICS
 *	Logged once where it happens (sm_log, LOG_ERR), naming the map, file
 *	and key (made printable): a map that exists but cannot be opened, a
 *	read error, a value with NUL/CR/LF (all by router/tables.c), and a
 *	malformed value (here). Lookups never fail for odd input: NULL, empty,
 *	overlong or non-address arguments simply give fewer keys. A temporary
 *	failure stops the walk: a more specific key might exist, so nothing
 *	less specific is trusted.
 */
#ifndef SM_ACCESS_H
#define SM_ACCESS_H

#include "lib/buf.h"
#include "lib/cfg.h"
#include "nsswitch/status.h"

/* the replies the access database gives */
#define SM_ACCESS_REJECT_REPLY "550 5.7.1 Access denied"
#define SM_ACCESS_TEMPFAIL_REPLY "451 4.3.0 Temporary system failure. Please try again later."
#define SM_ACCESS_RELAY_DENIED "550 5.7.1 Relaying denied"
#define SM_ACCESS_RELAY_DENIED_AUTH "550 5.7.1 Relaying denied. Proper authentication required."

struct sm_access;

enum sm_access_action {
	SM_ACCESS_NONE,     /* no entry */
	SM_ACCESS_OK,       /* OK */
	SM_ACCESS_RELAY,    /* RELAY */
	SM_ACCESS_REJECT,   /* REJECT: reply */
	SM_ACCESS_DISCARD,  /* DISCARD */
	SM_ACCESS_SKIP,     /* SKIP: the search stopped; as NONE */
	SM_ACCESS_ERROR,    /* ERROR:...: reply */
	SM_ACCESS_VERIFY,   /* VERIFY[:bits]: bits, perm */
	SM_ACCESS_ENCR,     /* ENCR:bits: bits, perm */
	SM_ACCESS_SUBJECT,  /* CERTISSUER: SUBJECT */
	SM_ACCESS_TEMPFAIL, /* the map failed or the value is malformed: reply; defer */
};

struct sm_access_result {
	enum sm_access_action action;
	char *tag;     /* the tag of the key that matched ("Connect"), "" when untagged; NULL for NONE */
	char *key;     /* the key that matched, folded, without tag; NULL for NONE */
	char *value;   /* the value as stored; NULL for NONE */
	char *reply;   /* REJECT, ERROR, TEMPFAIL: the SMTP reply "550 5.7.1 Access denied" */
	unsigned bits; /* VERIFY:bits, ENCR:bits; 0 for plain VERIFY */
	int perm;      /* VERIFY, ENCR: 1 for PERM+, 0 for TEMP+ or none */
};

enum sm_relay_verdict {
	SM_RELAY_NO,       /* not allowed: reply */
	SM_RELAY_YES,      /* allowed: why */
	SM_RELAY_TEMPFAIL, /* a lookup failed and nothing allowed it: reply; defer */
};

struct sm_relay_query {
	const char *client_ip;    /* "192.0.2.1" */
	const char *client_name;  /* verified host name, or NULL */
	const char *rcpt;         /* envelope recipient */
	int authenticated;        /* SMTP AUTH succeeded */
	int auth_offered;         /* AUTH is offered: say so in the reply */
	const char *verify;       /* TLS ${verify}: "OK" when the client certificate verified */
	const char *cert_issuer;  /* the client certificate's issuer DN, not encoded; or NULL */
	const char *cert_subject; /* its subject DN, not encoded; or NULL */
};

struct sm_relay_result {
	enum sm_relay_verdict verdict;
	char *why;   /* YES: "auth", "Connect:KEY", "CERTISSUER", "CERTSUBJECT", "To:KEY" */
	char *reply; /* NO, TEMPFAIL: the reply to RCPT */
};

struct sm_access *sm_access_open(const struct sm_config *cf, struct sm_buf *err);
struct sm_access *sm_access_open_path(const char *path, struct sm_buf *err);
enum sm_status sm_access_state(const struct sm_access *a);
void sm_access_close(struct sm_access *a);

enum sm_access_action sm_access_connect(struct sm_access *a, const char *ip, const char *host,
                                        struct sm_access_result *r);
enum sm_access_action sm_access_from(struct sm_access *a, const char *addr, struct sm_access_result *r);
enum sm_access_action sm_access_to(struct sm_access *a, const char *addr, struct sm_access_result *r);
enum sm_access_action sm_access_tls_srv(struct sm_access *a, const char *host, const char *ip,
                                        struct sm_access_result *r);
enum sm_access_action sm_access_tls_clt(struct sm_access *a, const char *host, const char *ip,
                                        struct sm_access_result *r);
int sm_access_tls_check(const struct sm_access_result *req, const char *verify, unsigned bits, char **reply);
enum sm_access_action sm_access_cert(struct sm_access *a, const char *tag, const char *dn,
                                     struct sm_access_result *r);
char *sm_access_dn_encode(const char *dn);
enum sm_status sm_access_greet_pause(struct sm_access *a, const char *ip, const char *host, long *ms);
enum sm_status sm_access_client_rate(struct sm_access *a, const char *ip, const char *host, long *n);
enum sm_status sm_access_client_conn(struct sm_access *a, const char *ip, const char *host, long *n);
enum sm_relay_verdict sm_access_may_relay(struct sm_access *a, const struct sm_relay_query *q,
                                          struct sm_relay_result *out);
int sm_access_has_routing(const char *addr);
void sm_access_result_free(struct sm_access_result *r);
void sm_relay_result_free(struct sm_relay_result *r);
const char *sm_access_action_name(enum sm_access_action act);

#endif
