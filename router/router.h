/*
 * router/router.h - turn an address into delivery decisions
 *
 * SYNOPSIS
 *	extern const struct sm_source_type sm_builtin_sources[];
 *	struct sm_router *sm_router_new(const struct sm_config *cf, struct sm_switch *sw);
 *	void sm_route(struct sm_router *rt, const char *addr, struct sm_route *out,
 *	              struct sm_trace *tr);
 *	void sm_route_print(const struct sm_route *r, FILE *fp);
 *	int sm_route_exit(const struct sm_route *r);
 *	void sm_route_free(struct sm_route *r);
 *	void sm_router_reset(struct sm_router *rt);
 *	void sm_router_free(struct sm_router *rt);
 *	int sm_router_ldap_routed(struct sm_router *rt, const char *domain);
 *	char *sm_router_check_sender(struct sm_router *rt, const char *addr,
 *	                             struct sm_trace *tr);
 *	void sm_router_names(const struct sm_router *rt, struct sm_router_names *out);
 *
 * DESCRIPTION
 *	sm_route() resolves one address given on the command line or in SMTP,
 *	stage by stage, each stage noted in the trace (when tr is given):
 *	  1. parse (router/address.h); <> and bad syntax fail with 553 5.1.3;
 *	  2. locality: our names ({w}: HostName, its short form, localhost,
 *	     LocalHostNamesFile), the % hack while the domain is ours;
 *	  3. another host (or a bang path) goes to the next hop: mailertable,
 *	     then remote mode (everything to RemoteMode), then a host inside
 *	     the mail domain directly (mailer esmtp), then the mail host (the
 *	     MailHost name, or sendmailvars "mailhost", or "mailhost", looked up
 *	     in the hosts database; mailer relay), and when we are the mail
 *	     host (or none is named) the smart host (relay), else the domain
 *	     itself (esmtp; MX comes with the dns source);
 *	  4. the virtusertable, for our domains and VirtUserDomainsFile's;
 *	  4b. LDAP mail routing (router/ldaproute.h), for the domains of
 *	     LdapRouteDomains, ours or not, before stage 3 for the others:
 *	     the mailroute database is asked for user+detail@domain,
 *	     user@domain (LdapRouteDetail strip or preserve) and @domain
 *	     (unless LdapRouteNoDomain), and sendmail's decision table
 *	     applies: a remote mailHost gets the mail (mailer relay, or what
 *	     the mailertable says for that host) for the mailRoutingAddress,
 *	     else for the original address; a local (or no) mailHost with a
 *	     mailRoutingAddress routes that address instead (as a
 *	     virtusertable value, within MaxAliasRecursion); a local mailHost
 *	     alone delivers the local part here (stages 5-7, even when the
 *	     domain is not one of ours); a mailRoutingAddress equal to the
 *	     address itself counts as none; no entry goes on unchanged
 *	     (passthru) or fails with 550 5.1.1 (LdapRouteBounce bounce or
 *	     sendertoo); a failing directory defers (451 4.4.3 or 4.3.5);
 *	  5. aliases through the switch: user+detail, user+*, user; recursion
 *	     limit MaxAliasRecursion, self-reference, loops, owner-X as the
 *	     members' envelope sender, :include: files, file and program
 *	     targets only through an alias, and, as an extension,
 *	     "error:nouser 550 text" targets written as in the virtusertable;
 *	     the \user escape skips this stage and the next;
 *	  The controlling user of what a recipient runs or writes (ctl) is
 *	  the user of the .forward it came from, else the owner of the
 *	  :include: file, else DefaultUser; a group- or world-writable
 *	  :include: file may name no programs or files.
 *	  6. the user in the passwd database, then its .forward
 *	     (router/forward.h; an unsafe one may not name programs or files);
 *	  7. the local mailbox (user+detail keeps its detail), or in remote
 *	     mode the mail server, which also gets unknown names and loops.
 *	Duplicates are suppressed across every address routed by this router
 *	since it was made or since sm_router_reset() began a new envelope.
 *	The mail domain is MailDomain, else sendmailvars "maildomain", else the
 *	name-service domain (NameServiceDomain, the system's NIS domain, or the
 *	domain of HostName) minus its first label (router/domain.h).
 *	Each result is a recipient with mailer, host and user, or an error with
 *	an enhanced status code and sysexits code. out is filled by sm_route()
 *	and released by the caller with sm_route_free(). sm_router_new()
 *	returns a router the caller frees with sm_router_free(); it does not
 *	own sw.
 *
 *	sm_router_ldap_routed() says whether domain is routed by LDAP (so the
 *	SMTP server may accept mail for it as for a relay domain).
 *	sm_router_check_sender() is sendertoo's check of an envelope sender
 *	(MAIL FROM): NULL when the sender may be used (LdapRouteBounce is
 *	not sendertoo, the sender is <>, unparsable, or not in a routed
 *	domain, or it has an entry), else a reply the caller frees and sends
 *	with the address inserted: "550 5.1.1 User unknown" when no entry
 *	matched, "451 4.4.3 ..." (or 4.3.5) when the directory failed.
 *
 *	sm_route_print() writes sendmail's -bv lines ("jun... deliverable:
 *	mailer local, user jun", "nobody@x... User unknown").
 *	sm_route_exit() is the sysexits status of the last failure, or EX_OK.
 *	sm_router_names() fills out with pointers to the router's own names
 *	(valid until sm_router_free()): host name, short name, name-service
 *	domain, mail domain, and the mail server in remote mode.
 *
 * DIAGNOSTICS
 *	Failures are results, not log lines: 550 5.1.1 unknown user (EX_NOUSER);
 *	451 4.4.3 when a source is temporarily failing and 451 4.3.5 when the
 *	configuration leaves no usable source (EX_TEMPFAIL: the message is
 *	deferred, never bounced; the alias database and LDAP routing alike);
 *	554 5.4.6 for alias loops and depth
 *	(EX_CONFIG); 550 5.7.1 for a file or program given directly (EX_NOPERM);
 *	550 5.7.1 for a program or file named by an unsafe .forward;
 *	451 4.4.1 when a .forward cannot be opened for a transient reason;
 *	451 4.4.3 when the mail host cannot be looked up; the reply of an
 *	error: value of a table or alias;
 *	451 4.2.4 / 550 5.2.4 for an :include: that cannot be opened
 *	(transient / permanent); 553 5.1.3 for an address that is too long or
 *	holds control characters (EX_USAGE).
 */
#ifndef SM_ROUTER_H
#define SM_ROUTER_H

#include <stdio.h>

#include "lib/cfg.h"
#include "nsswitch/switch.h"

extern const struct sm_source_type sm_builtin_sources[];

struct sm_rcpt {
	char *addr;   /* as written, printed before "..." */
	char *mailer; /* local, esmtp, relay, *file*, prog; NULL for a failure */
	char *host;   /* NULL when the mailer takes no host */
	char *user;
	char *sender; /* envelope sender set by an owner- alias, or NULL (unchanged) */
	char *ctl;    /* controlling user: the .forward's user, the :include: file's owner, or DefaultUser */
	int exitcode; /* EX_OK, or the sysexits code of the failure */
	char *reply;  /* failure: "550 5.1.1 User unknown" */
};

struct sm_route {
	size_t count;
	size_t cap;
	struct sm_rcpt *r;
};

struct sm_router;

struct sm_router *sm_router_new(const struct sm_config *cf, struct sm_switch *sw);
void sm_route(struct sm_router *rt, const char *addr, struct sm_route *out, struct sm_trace *tr);
void sm_route_print(const struct sm_route *r, FILE *fp);
int sm_route_exit(const struct sm_route *r);
void sm_route_free(struct sm_route *r);
void sm_router_reset(struct sm_router *rt);
void sm_router_free(struct sm_router *rt);

/* the names the router works with; every pointer is the router's, NULL when unset */
struct sm_router_names {
	const char *hostname;   /* fully qualified */
	const char *shortname;  /* its first label */
	const char *nsdomain;   /* the name-service domain */
	const char *maildomain; /* the mail domain */
	const char *remote;     /* RemoteMode's mail server (remote mode), or NULL */
};

void sm_router_names(const struct sm_router *rt, struct sm_router_names *out);

int sm_router_ldap_routed(struct sm_router *rt, const char *domain);
char *sm_router_check_sender(struct sm_router *rt, const char *addr, struct sm_trace *tr);

/* shared inside router/ */
int sm_router_is_local_domain(struct sm_router *rt, const char *domain);
void sm_split_list(const char *list, void (*fn)(void *ctx, const char *elem), void *ctx);

#endif
