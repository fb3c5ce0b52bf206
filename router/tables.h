/*
 * router/tables.h - virtusertable, mailertable and class lookups over compiled tables
 *
 * SYNOPSIS
 *	#define SM_MAP_NOFOLD 1
 *	char *sm_map_path(const char *mapname);
 *	struct sm_map *sm_map_open(const char *name, const char *path, int flags);
 *	enum sm_status sm_map_state(const struct sm_map *m);
 *	const char *sm_map_reason(const struct sm_map *m);
 *	enum sm_status sm_map_get(struct sm_map *m, const char *key, char **val);
 *	void sm_map_close(struct sm_map *m);
 *
 *	char *sm_tbl_subst(const char *value, const char *const *args, size_t nargs);
 *	int sm_tbl_error_parse(const char *value, struct sm_tbl_error *e);
 *	void sm_tbl_error_free(struct sm_tbl_error *e);
 *
 *	enum sm_tbl_status sm_virtuser_lookup(struct sm_map *m, const char *user,
 *	                                      const char *detail, int has_detail,
 *	                                      const char *domain, struct sm_virt_result *out);
 *	void sm_virt_result_free(struct sm_virt_result *r);
 *
 *	enum sm_tbl_status sm_mailertable_lookup(struct sm_map *m, const char *host,
 *	                                         struct sm_mt_result *out);
 *	void sm_mt_result_free(struct sm_mt_result *r);
 *
 *	struct sm_class *sm_class_new(void);
 *	struct sm_class *sm_class_load(const char *path, int optional, struct sm_buf *err);
 *	void sm_class_add(struct sm_class *c, const char *word);
 *	size_t sm_class_count(const struct sm_class *c);
 *	int sm_class_contains(const struct sm_class *c, const char *word);
 *	int sm_class_match_domain(const struct sm_class *c, const char *domain, int subdomains);
 *	void sm_class_free(struct sm_class *c);
 *
 * DESCRIPTION
 *	Pure lookups: nothing here goes through the switch, and nothing
 *	decides delivery. The router opens each table once and asks.
 *
 *	Maps. A map is a table compiled by makemap(8): sm_map_path() gives the
 *	file name makemap writes for a map name, "MAPNAME.lmdb" (the name is
 *	kept when it already ends in ".lmdb"); caller frees. Note that this is
 *	not sendmail's "MAPNAME.db". sm_map_open() never fails: it returns a
 *	map the caller closes with sm_map_close(), in one of three states
 *	(sm_map_state()): SM_SUCCESS, open; SM_UNAVAIL, absent (the file does
 *	not exist; every lookup finds nothing, as an optional sendmail map);
 *	SM_TRYAGAIN, failed (the file exists but cannot be opened or is not a
 *	table; every lookup fails temporarily, so mail is deferred until the
 *	administrator fixes it, never bounced). name ("virtusertable") is used
 *	in messages.
 *
 *	sm_map_get() folds ASCII upper case in key to lower case, as makemap
 *	folds the keys it stores, unless the map was opened with SM_MAP_NOFOLD
 *	(for a map built with makemap -f). It tries the key without and then
 *	with a trailing NUL, so maps built with makemap -N work too, and drops
 *	a trailing NUL from the value. On SM_SUCCESS *val is a new string the
 *	caller frees; otherwise *val is NULL.
 *
 *	Substitution. sm_tbl_subst() returns a new string (caller frees) with
 *	sendmail's map_rewrite() rules: %0..%9 become args[0..9] (empty when
 *	missing or NULL), %% becomes %, any other % stays as written. %0 is
 *	always the key that matched.
 *
 *	error: values. sm_tbl_error_parse() recognises a value starting with
 *	"error:" (any case) and fills e; e->text is a new string freed with
 *	sm_tbl_error_free(). The forms of virtusertable, mailertable and the
 *	access map are all accepted:
 *	    error:D.S.N:NNN text       error:5.7.0:550 Address invalid
 *	    error:keyword NNN text     error:nouser 550 No such user here
 *	    error:keyword:text         error:nohost:no such host
 *	    error:NNN text             error:550 go away
 *	    error:text                 error:go away
 *	Quotes in the text are removed ("\x" keeps x). A leading word is taken
 *	as a keyword when it is followed by ':' (any word, as sendmail's
 *	mailertable rule) or when it is one of sendmail's keywords followed by
 *	blanks; otherwise it belongs to the text. Keywords (buildaddr's
 *	ErrorCodes) give a sysexits code, and the DSN and default text that
 *	sendmail's sm_sysexmsg() gives that code:
 *	    usage       EX_USAGE        5.0.0  Command line usage error
 *	    nouser      EX_NOUSER       5.1.1  User unknown
 *	    nohost      EX_NOHOST       5.1.2  Host unknown
 *	    unavailable EX_UNAVAILABLE  5.0.0  Service unavailable
 *	    software    EX_SOFTWARE     5.3.0  Internal error
 *	    tempfail    EX_TEMPFAIL     4.0.0  Deferred
 *	    protocol    EX_PROTOCOL     5.5.0  Remote protocol error
 *	    config      EX_CONFIG       5.3.5  Local configuration error
 *	An unknown keyword is EX_UNAVAILABLE (5.0.0), as in sendmail.
 *	The result: reply is the text's NNN (4xx or 5xx only), or 553 when the
 *	text has none (sendmail's usrerr("553 5.3.0 ...")), 450 when the error
 *	is temporary. dsn is, first found: a D.S.N after the text's NNN, the
 *	D.S.N before the text, the keyword's, "5.3.0" for a defaulted 553, or
 *	the reply's class with ".0.0". exitcode is dsntoexitstat() of an
 *	explicit D.S.N, else the keyword's code, else EX_UNAVAILABLE; it becomes
 *	EX_TEMPFAIL whenever the reply or the DSN is of class 4 (sendmail then
 *	queues the message). An empty text becomes the code's default text.
 *
 *	virtusertable. sm_virtuser_lookup() looks up the recipient
 *	user[+detail]@domain; has_detail says the address had a '+' (detail may
 *	then be empty). The first key that exists wins, in sendmail's order
 *	(cf/m4/proto.m4, Parse1), with these substitution arguments:
 *	    user+detail@domain   %1 = user+detail
 *	    user++@domain        only if detail is not empty  \
 *	    user+*@domain                                      |
 *	    user@domain                                        | %1 = user,
 *	    ++@domain            only if detail is not empty   | %2 = detail,
 *	    +*@domain                                          | %3 = +detail
 *	    @domain                                           /
 *	and for an address without '+': user@domain, then @domain, each with
 *	%1 = user. So "user+@dom" matches "+*@dom" but not "++@dom". Keys are
 *	folded as the map's are, and out->key and %0 are the folded key; the
 *	other arguments keep the case of the address. A
 *	trailing dot is removed from domain. The value, after substitution, is
 *	an error: value (SM_TBL_ERROR, out->err) or a new address
 *	(SM_TBL_FOUND, out->addr), which the router parses again (it may hit
 *	the virtusertable or the aliases once more).
 *
 *	mailertable. sm_mailertable_lookup() looks up a host that is not ours
 *	(trailing dot removed) in sendmail's order (Mailertable=90): the host
 *	itself; then each parent domain with a leading dot, most specific
 *	first (".b.example.com", ".example.com", ".com"); then ".". So
 *	user@my.domain does not match ".my.domain". In a parent-domain match
 *	%1 is the part of the host left of the key ("a" for a.my.domain, "x.a"
 *	for x.a.my.domain) and %2 its last label (sendmail's undocumented %2);
 *	in the "." match %1 is the whole host; %0 is the key that matched
 *	(folded, as out->key). A host literal ("[192.0.2.1]") is looked up
 *	as itself only. The value (MailerToTriple=95) is, after substitution:
 *	    error:...            SM_TBL_ERROR, out->err as above
 *	    local:               mailer "local", user NULL (the original user)
 *	    local:user[@host]    mailer "local", user "user" (host ignored)
 *	    mailer:user@host     mailer, host, user "user@host" (forced recipient)
 *	    mailer:host          mailer, host, user NULL (the original address)
 *	    host                 mailer "relay" (sendmail's _RELAY_), host
 *	A mailer name is letters, digits, '-' and '_'. A [bracketed] host is
 *	returned without its brackets and with no_mx set: deliver to it
 *	without looking up MX records. Whether a host in a value is one of
 *	ours (sendmail then treats the address as local) is for the router to
 *	decide with its class of local host names.
 *
 *	Classes. A class is a set of words as sendmail's F{w}/F{R} file
 *	classes: sm_class_load() reads one or more words a line (whitespace
 *	separated), '#' at the start of a word starts a comment, blank lines
 *	are ignored. Words are folded to lower case and lose one trailing dot.
 *	With optional (sendmail's "-o") a missing file is an empty class. It
 *	returns a class the caller frees with sm_class_free(), or NULL.
 *	sm_class_new() returns an empty class (caller frees); sm_class_add()
 *	adds a word (e.g. our own host name). sm_class_contains() is an exact
 *	match, for local-host-names ({w}). sm_class_match_domain() matches the
 *	domain itself and, when subdomains is set, any subdomain of a word in
 *	the class (relay-domains, {R}: "example.com" covers
 *	"mx.eu.example.com"); a host literal only matches exactly. Both ignore
 *	case and a trailing dot.
 *
 * CONFIGURATION
 *	None read here: the router passes the paths (virtusertable,
 *	mailertable, LocalHostNamesFile, relay-domains) from switchmail.conf.
 *
 * DIAGNOSTICS
 *	sm_map_open() logs once (LOG_ERR) when a map exists but cannot be
 *	opened: "NAME: PATH: reason"; an absent map is not logged.
 *	sm_map_get() returns SM_SUCCESS; SM_NOTFOUND for a missing key or a
 *	key that cannot be stored (empty, longer than SM_TABLE_KEYMAX);
 *	SM_UNAVAIL for an absent map; SM_TRYAGAIN for a failed map, a read
 *	error, or a value holding NUL, CR or LF (logged, with the key made
 *	printable). sm_map_reason() says why the map failed or the last lookup
 *	failed (owned by the map).
 *
 *	The lookups return, and also store in out->status: SM_TBL_FOUND,
 *	SM_TBL_ERROR, SM_TBL_NOTFOUND (also for an absent map), or
 *	SM_TBL_TEMPFAIL with out->reason when the map failed or a value is
 *	malformed (a mailertable value with an empty host or mailer, or an
 *	unclosed '['; logged): the router defers the message. The lookup stops
 *	at the first temporary failure: a more specific key might exist. out
 *	is always filled and is released with the matching *_free function.
 *
 *	sm_tbl_error_parse() returns 0 when value is not an error: value, 1
 *	when e was filled. sm_class_load() returns NULL with a message
 *	"PATH: reason" in err when the file cannot be read (or is missing and
 *	not optional); the router should defer rather than guess.
 */
#ifndef SM_TABLES_H
#define SM_TABLES_H

#include <stddef.h>

#include "lib/buf.h"
#include "nsswitch/status.h"

#define SM_MAP_NOFOLD 1 /* keys are stored as given (makemap -f) */

struct sm_map;
struct sm_class;

enum sm_tbl_status {
	SM_TBL_FOUND,    /* a value: an address or a route */
	SM_TBL_ERROR,    /* an error: value; see err */
	SM_TBL_NOTFOUND, /* no key matched, or the map is absent */
	SM_TBL_TEMPFAIL, /* the map failed or a value is malformed; see reason; defer */
};

struct sm_tbl_error {
	int reply;    /* SMTP reply code: 550 */
	char dsn[16]; /* enhanced status code: "5.1.1" */
	char *text;   /* "No such user here"; freed with the result */
	int exitcode; /* sysexits: EX_NOUSER; EX_TEMPFAIL for a temporary error */
};

struct sm_virt_result {
	enum sm_tbl_status status;
	char *key;               /* FOUND, ERROR: the key that matched, as looked up */
	char *addr;              /* FOUND: the new address, substitutions done */
	struct sm_tbl_error err; /* ERROR */
	char *reason;            /* TEMPFAIL: why */
};

struct sm_mt_result {
	enum sm_tbl_status status;
	char *key;               /* FOUND, ERROR: "a.example.com", ".example.com" or "." */
	char *mailer;            /* FOUND: "esmtp", "local", "relay" for a bare host */
	char *host;              /* FOUND: without brackets; NULL for local */
	int no_mx;               /* FOUND: the host was [bracketed] */
	char *user;              /* FOUND: forced recipient; NULL keeps the original */
	struct sm_tbl_error err; /* ERROR */
	char *reason;            /* TEMPFAIL: why */
};

char *sm_map_path(const char *mapname);
struct sm_map *sm_map_open(const char *name, const char *path, int flags);
enum sm_status sm_map_state(const struct sm_map *m);
const char *sm_map_reason(const struct sm_map *m);
enum sm_status sm_map_get(struct sm_map *m, const char *key, char **val);
void sm_map_close(struct sm_map *m);

char *sm_tbl_subst(const char *value, const char *const *args, size_t nargs);
int sm_tbl_error_parse(const char *value, struct sm_tbl_error *e);
void sm_tbl_error_free(struct sm_tbl_error *e);

enum sm_tbl_status sm_virtuser_lookup(struct sm_map *m, const char *user, const char *detail, int has_detail,
                                      const char *domain, struct sm_virt_result *out);
void sm_virt_result_free(struct sm_virt_result *r);

enum sm_tbl_status sm_mailertable_lookup(struct sm_map *m, const char *host, struct sm_mt_result *out);
void sm_mt_result_free(struct sm_mt_result *r);

struct sm_class *sm_class_new(void);
struct sm_class *sm_class_load(const char *path, int optional, struct sm_buf *err);
void sm_class_add(struct sm_class *c, const char *word);
size_t sm_class_count(const struct sm_class *c);
int sm_class_contains(const struct sm_class *c, const char *word);
int sm_class_match_domain(const struct sm_class *c, const char *domain, int subdomains);
void sm_class_free(struct sm_class *c);

#endif
