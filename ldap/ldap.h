/*
 * ldap/ldap.h - the ldap source: aliases and LDAP mail routing from a directory
 *
 * SYNOPSIS
 *	struct sm_source *sm_ldap_create(const char *name, const struct sm_config *cf,
 *	                                 struct sm_buf *err);
 *	char *sm_ldap_filter_escape(const char *s, size_t len);
 *	char *sm_ldap_dn_escape(const char *s, size_t len);
 *	int sm_ldap_expand(const char *tmpl, const char *arg, struct sm_buf *out);
 *
 * DESCRIPTION
 *	The source answers two databases; any other is SM_UNAVAIL.
 *
 *	aliases: LdapAliasFilter with %0 replaced by the key (already folded
 *	to lower case by the switch) escaped for a filter; the values of every
 *	attribute in LdapAliasAttributes of every matching entry, in the order
 *	the server sent them, joined by ", " (the files source's format).
 *	Entries are additive, as sendmail's LDAP aliases are. The defaults give
 *	the RFC 2307bis layout, (&(objectClass=nisMailAlias)(cn=%0)) and
 *	rfc822MailMember; sendmail's layout is
 *	    LdapAliasFilter = (&(objectClass=sendmailMTAAliasObject)
 *	        (sendmailMTAAliasGrouping=aliases)(|(sendmailMTACluster=CLUSTER)
 *	        (sendmailMTAHost=HOST))(sendmailMTAKey=%0))
 *	    LdapAliasAttributes = sendmailMTAAliasValue
 *	and Solaris's (&(objectClass=mailGroup)(|(cn=%0)(mail=%0))) with
 *	mgrpRFC822MailMember. An entry without any of the attributes adds
 *	nothing; no value at all is SM_NOTFOUND. sendmailMTAAliasSearch and
 *	sendmailMTAAliasURL values are not followed.
 *
 *	mailroute: LdapRouteFilter with %0 replaced by the key, a whole
 *	address ("user+detail@domain", "user@domain") or "@domain"; the
 *	router (router/ldaproute.h) decides which keys to ask, in which order.
 *	The answer is "mailHost=HOST mailRoutingAddress=ADDR", either token
 *	alone when the entry has only one of the attributes. As sendmail's
 *	-1 map flag, a filter that matches more than one entry is
 *	SM_NOTFOUND, and so is an entry with neither attribute. A value that
 *	holds blanks or control characters (or a mailHost that is no host
 *	name) is not used: SM_UNAVAIL, logged, so the mail is deferred until
 *	the directory is fixed.
 *
 *	Templates. In LdapAliasFilter and LdapRouteFilter, %0 is the key
 *	escaped for a filter (RFC 4515: "*", "(", ")", "\" and NUL become \2a,
 *	\28, \29, \5c and \00), so a key such as "*)(uid=*" is searched
 *	literally. The search base is LdapAliasBase (aliases) or
 *	LdapRouteBase (mailroute), else LdapBase; a base that holds %0 is
 *	dynamic: %0 becomes the key escaped for a DN (RFC 4514), e.g.
 *	"cn=%0,ou=lists,dc=example,dc=com", and a base that does not exist
 *	then means "not found". "%%" is a "%"; any other "%" sequence, a
 *	filter without %0 or an empty attribute list is a configuration
 *	error. The scope is always the whole subtree.
 *
 *	Connections. LdapURI lists servers (ldap://, ldaps://, ldapi://) in
 *	order of preference. A connection is opened on first use and kept
 *	across lookups (one idle for more than 60 seconds is replaced before
 *	it is used, in case a firewall dropped it silently); if the server
 *	drops it (a restart), the lookup reconnects once and asks again. A server that refuses connections or
 *	fails is marked down for 30 seconds, process-wide, and the next one is
 *	tried at once; servers marked down are tried after the others (those
 *	that timed out last of all), so a lookup still tries every server
 *	while time is left. When every server has failed to answer within
 *	LdapTimeout in the last 10 seconds (a frozen or overloaded
 *	directory), lookups answer SM_TRYAGAIN at once, without asking, until
 *	those 10 seconds have passed: one stuck directory costs each lookup
 *	thread one timeout, not one per message. Each source
 *	instance has its own connection: the switch that owns the instance
 *	is used by one thread at a time (each daemon lookup thread and each
 *	delivery agent has its own switch), so no handle is shared between
 *	threads and no lock is held during network I/O.
 *
 *	LdapTimeout bounds each lookup as a whole: the connect
 *	(LDAP_OPT_NETWORK_TIMEOUT), StartTLS, the bind and the search share
 *	one deadline; a server that accepts the connection and then says
 *	nothing (stopped with SIGSTOP, overloaded) costs one lookup that long
 *	and then its connection is dropped and it is marked down. SIGPIPE is
 *	blocked in the calling thread while the source talks to a server.
 *
 *	Binds (LdapBindMethod): "anonymous" (none), "simple" (LdapBindDN and
 *	the first line of LdapBindPasswordFile, read at each connect), or
 *	"external" (SASL EXTERNAL: the identity of an ldapi:// socket's peer,
 *	or of a TLS client certificate). LdapStartTLS sends StartTLS on
 *	ldap:// connections; LdapCACertFile is the CA bundle for StartTLS and
 *	ldaps://, and the server's certificate is then always verified.
 *	Referrals are not followed. LdapSizeLimit bounds an aliases search.
 *
 *	Cache. Answers found (SM_SUCCESS) and not found (SM_NOTFOUND) are kept
 *	for LdapCacheTTL seconds in the process-wide cache (ldap/cache.h),
 *	bounded by LdapCacheSize entries; failures are never kept. Its key
 *	holds the database, the servers, the bind DN, the base, the filter,
 *	the attributes and the size limit in force, and the lookup key. A
 *	cached answer says "cached" in the trace.
 *
 *	sm_ldap_filter_escape() and sm_ldap_dn_escape() return new strings
 *	(caller frees) with the len bytes of s escaped for an LDAP filter
 *	value (RFC 4515) or a DN attribute value (RFC 4514: "," "+" "\""
 *	"\\" "<" ">" ";" "=" are backslash-escaped, NUL and other control
 *	bytes become \XX, and so do a leading "#" or space and a trailing
 *	space). sm_ldap_expand() appends tmpl to out with every %0 replaced by
 *	arg and %% by %; it returns the number of %0 replaced, or -1 for any
 *	other "%" sequence.
 *
 * WHO FREES WHAT
 *	sm_ldap_create() returns a source freed with sm_source_free() (which
 *	closes its connection). Values returned by lookups and the escape
 *	functions belong to the caller.
 *
 * CONFIGURATION
 *	LdapURI, LdapBase, LdapAliasBase, LdapRouteBase, LdapBindMethod,
 *	LdapBindDN, LdapBindPasswordFile, LdapStartTLS, LdapCACertFile,
 *	LdapTimeout, LdapSizeLimit, LdapAliasFilter, LdapAliasAttributes,
 *	LdapRouteFilter, LdapCacheTTL, LdapCacheSize.
 *
 * DIAGNOSTICS
 *	SM_TRYAGAIN (temporary: the mail is deferred):
 *	  no server of LdapURI could be reached (refused, unreachable, TLS
 *	  handshake failed, LDAP_SERVER_DOWN, LDAP_CONNECT_ERROR) or none
 *	  answered within LdapTimeout (LDAP_TIMEOUT), or every server did
 *	  not answer in time in the last 10 seconds; LDAP_BUSY,
 *	  LDAP_UNAVAILABLE, LDAP_TIMELIMIT_EXCEEDED, LDAP_ADMINLIMIT_EXCEEDED,
 *	  LDAP_OTHER, LDAP_LOOP_DETECT and any result code not listed here;
 *	  an aliases search that matches more than LdapSizeLimit entries
 *	  (LDAP_SIZELIMIT_EXCEEDED: an answer is never silently truncated).
 *	SM_UNAVAIL (the configuration or the directory must be fixed):
 *	  LDAP_FILTER_ERROR (the filter, once %0 is replaced, is not a
 *	  filter); LDAP_NO_SUCH_OBJECT on a static base (the base does not
 *	  exist); LDAP_INVALID_DN_SYNTAX; the bind refused
 *	  (LDAP_INVALID_CREDENTIALS, LDAP_INAPPROPRIATE_AUTH,
 *	  LDAP_AUTH_METHOD_NOT_SUPPORTED, LDAP_STRONG_AUTH_REQUIRED,
 *	  LDAP_CONFIDENTIALITY_REQUIRED, LDAP_INSUFFICIENT_ACCESS,
 *	  LDAP_UNWILLING_TO_PERFORM); LDAP_UNDEFINED_TYPE, LDAP_REFERRAL,
 *	  LDAP_PROTOCOL_ERROR; an unreadable or empty LdapBindPasswordFile; a
 *	  bad URI; a bad setting (unknown LdapBindMethod, a filter without %0
 *	  or with an unknown % sequence, no attributes, simple bind without
 *	  LdapBindDN); a malformed mailHost or mailRoutingAddress value; a
 *	  database other than aliases and mailroute (not logged).
 *	SM_NOTFOUND: no entry, no value, a base with %0 that does not exist,
 *	  or (mailroute) more than one matching entry.
 *	Each failure is logged where it happens ("ldap: aliases \"key\": ..."
 *	with the server and libldap's reason and diagnostic message): LOG_ERR
 *	for SM_UNAVAIL, LOG_WARNING for SM_TRYAGAIN and an ambiguous route.
 *	The same problem is logged at most once a minute per process, so a
 *	daemon is not flooded; the reason also goes to the trace (-v).
 *	Without OpenLDAP at build time, sm_ldap_create() returns NULL with
 *	"not built with LDAP support" and the switch answers SM_UNAVAIL.
 */
#ifndef SM_LDAP_H
#define SM_LDAP_H

#include <stddef.h>

#include "lib/buf.h"
#include "nsswitch/source.h"

struct sm_source *sm_ldap_create(const char *name, const struct sm_config *cf, struct sm_buf *err);
char *sm_ldap_filter_escape(const char *s, size_t len);
char *sm_ldap_dn_escape(const char *s, size_t len);
int sm_ldap_expand(const char *tmpl, const char *arg, struct sm_buf *out);

#endif
