/*
 * router/ldaproute.h - LDAP mail routing (sendmail's FEATURE(ldap_routing)): which keys, which answer
 *
 * SYNOPSIS
 *	struct sm_ldaproute *sm_ldaproute_new(const struct sm_config *cf);
 *	int sm_ldaproute_applies(const struct sm_ldaproute *lr, const char *domain);
 *	enum sm_status sm_ldaproute_lookup(const struct sm_ldaproute *lr, struct sm_switch *sw,
 *	                                   const struct sm_addr *a, struct sm_ldaproute_result *res,
 *	                                   struct sm_trace *tr);
 *	int sm_ldaproute_bounces(const struct sm_ldaproute *lr);
 *	int sm_ldaproute_checks_senders(const struct sm_ldaproute *lr);
 *	void sm_ldaproute_result_free(struct sm_ldaproute_result *res);
 *	void sm_ldaproute_free(struct sm_ldaproute *lr);
 *
 * DESCRIPTION
 *	The lookup half of the LDAP routing stage; the router (route.c)
 *	applies the decision table to what it finds. Nothing here delivers.
 *
 *	sm_ldaproute_new() returns NULL when LdapRouteDomains is empty (LDAP
 *	routing is off), else a configuration the caller frees with
 *	sm_ldaproute_free(). sm_ldaproute_applies() says whether domain is
 *	one of LdapRouteDomains (exact match, any case, a trailing dot
 *	ignored; subdomains are not included).
 *
 *	sm_ldaproute_lookup() asks the mailroute database through the switch
 *	(so the chain, criteria and trace apply; the switch folds the keys
 *	to lower case) for the mailbox a, whose domain the caller has checked
 *	with sm_ldaproute_applies(), in sendmail's order (ruleset
 *	LDAPExpand):
 *	  1. the address as given, "user+detail@domain";
 *	  2. with LdapRouteDetail strip or preserve and a +detail,
 *	     "user@domain";
 *	  3. unless LdapRouteNoDomain, "@domain" (a catch-all for the domain).
 *	The first SM_SUCCESS ends it; SM_TRYAGAIN or SM_UNAVAIL ends it at
 *	once (the mail must be deferred, never passed through or bounced).
 *	On SM_SUCCESS res gets the key that matched, mailHost and
 *	mailRoutingAddress (each NULL when absent); with preserve, when the
 *	match came from the key without +detail, "+detail" is put back before
 *	the last "@" of the routing address. On failure res->ans holds the
 *	switch's answer (source and reason). res is filled on every return
 *	and released with sm_ldaproute_result_free().
 *
 *	sm_ldaproute_bounces() is true for LdapRouteBounce bounce or
 *	sendertoo (and any other value but passthru or empty, as sendmail's
 *	bounce argument): an address of a routed domain that has no entry is
 *	refused (550 5.1.1) instead of going on through normal routing.
 *	sm_ldaproute_checks_senders() is true for sendertoo: the envelope
 *	sender of a routed domain must have an entry too.
 *
 *	There is no "queue" mode for directory failures: switchmail routes a
 *	recipient when it accepts it, so a failing directory always defers
 *	with 451 4.4.3 at RCPT (sendmail's tempfail), and a queued message
 *	is routed again when it is delivered.
 *
 * WHO FREES WHAT
 *	The configuration belongs to the router; res's strings belong to res.
 *
 * CONFIGURATION
 *	LdapRouteDomains, LdapRouteBounce, LdapRouteDetail, LdapRouteNoDomain
 *	(the mailroute database's sources have their own settings, e.g.
 *	LdapRouteFilter for ldap).
 *
 * DIAGNOSTICS
 *	An unknown LdapRouteDetail value is logged as a warning once, when the
 *	router is made, and taken as empty (no +detail handling). A SUCCESS
 *	value without a mailHost= or mailRoutingAddress= token counts as
 *	SM_NOTFOUND. Lookup failures are results, not log lines (the source
 *	logs them).
 */
#ifndef SM_LDAPROUTE_H
#define SM_LDAPROUTE_H

#include "lib/cfg.h"
#include "nsswitch/switch.h"
#include "router/address.h"

struct sm_ldaproute;

struct sm_ldaproute_result {
	char *key;            /* SUCCESS: the key that matched */
	char *mailhost;       /* SUCCESS: mailHost, or NULL */
	char *address;        /* SUCCESS: mailRoutingAddress (with +detail under preserve), or NULL */
	int stripped;         /* SUCCESS: the match came from the key without +detail */
	struct sm_answer ans; /* the switch's answer to the last key asked */
};

struct sm_ldaproute *sm_ldaproute_new(const struct sm_config *cf);
int sm_ldaproute_applies(const struct sm_ldaproute *lr, const char *domain);
enum sm_status sm_ldaproute_lookup(const struct sm_ldaproute *lr, struct sm_switch *sw,
                                   const struct sm_addr *a, struct sm_ldaproute_result *res,
                                   struct sm_trace *tr);
int sm_ldaproute_bounces(const struct sm_ldaproute *lr);
int sm_ldaproute_checks_senders(const struct sm_ldaproute *lr);
void sm_ldaproute_result_free(struct sm_ldaproute_result *res);
void sm_ldaproute_free(struct sm_ldaproute *lr);

#endif
