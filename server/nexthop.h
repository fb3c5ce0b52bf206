/*
 * server/nexthop.h - which hosts, in which order, take mail for a remote destination
 *
 * SYNOPSIS
 *	#include "server/nexthop.h"
 *
 *	enum sm_nh sm_nexthop_hosts(struct sm_switch *sw, struct sm_router *rt, const char *dest,
 *	                            const char *fallback, struct sm_hops *out, char **reply,
 *	                            struct sm_trace *tr);
 *	enum sm_nh sm_nexthop_addrs(struct sm_switch *sw, const struct sm_hop *hop, char ***addrs,
 *	                            size_t *n, char **reply, struct sm_trace *tr);
 *	int sm_nexthop_uses_dns(struct sm_switch *sw);
 *	void sm_hops_free(struct sm_hops *h);
 *	void sm_addrs_free(char **addrs, size_t n);
 *
 * DESCRIPTION
 *	The router names a destination host for mail that leaves: a domain,
 *	a relay, the mail host, a smart host or a mailertable host; a name in
 *	brackets ("[mx.example.com]", "[192.0.2.1]") means that host itself,
 *	without MX. sm_nexthop_hosts() turns it into the hosts to try:
 *	  - a bracketed name or address: that host alone;
 *	  - when the hosts database's chain names the dns source, the
 *	    destination's MX records (database mx, dns/dns.h), best
 *	    preference first, equal preferences in the order the source gave;
 *	    a domain with no MX record is its own host (implicit MX);
 *	  - without dns in the hosts chain (as Solaris without DNS), the
 *	    destination itself, resolved through files and nis.
 *	When one of the hosts is one of our own names, it and every host
 *	with the same or a worse preference are dropped: we only pass mail
 *	to better MX hosts. If that leaves none, we are the best MX for a
 *	domain we do not accept: "mail loops back to myself", a
 *	configuration error (sendmail's 554 5.3.5), logged at LOG_ERR.
 *	fallback (FallBackSmartHost, may be NULL or empty) is appended last,
 *	tried after every MX host has failed; it is a host, not a domain
 *	(no MX lookup), and is not added when it is one of our names or the
 *	destination itself.
 *	sm_nexthop_addrs() looks one host up in the hosts database (files,
 *	nis, dns: whatever its chain says) and returns its addresses; an
 *	address literal needs no lookup. A host reached through a CNAME is
 *	logged as a warning and used (an MX must not name a CNAME, RFC 2181,
 *	but mail is not bounced for it).
 *	Both note what they decide in tr (may be NULL).
 *	sm_nexthop_uses_dns() is 1 when the hosts chain names the dns source.
 *
 * RESULTS
 *	SM_NH_OK: out (or addrs) filled. SM_NH_PERM: *reply says why the mail
 *	must bounce: 556 5.1.10 for a null MX (RFC 7505), 550 5.4.4 when the
 *	destination does not exist (NXDOMAIN, or an implicit MX host without
 *	any address), 554 5.3.5 when the MX list points back to us.
 *	SM_NH_TEMP: *reply says why the mail waits: 451 4.4.3 for a lookup
 *	that failed for now (SERVFAIL, time-out, a source not available);
 *	for sm_nexthop_addrs() also a host without address (the next host is
 *	tried).
 *
 * WHO FREES WHAT
 *	The caller frees out with sm_hops_free(), addrs with sm_addrs_free()
 *	and *reply with free(). sw and rt stay the caller's.
 *
 * CONFIGURATION
 *	The hosts and mx lines of ServiceSwitchFile; our names come from the
 *	router (HostName, LocalHostNamesFile).
 */
#ifndef SM_NEXTHOP_H
#define SM_NEXTHOP_H

#include <stddef.h>

#include "nsswitch/switch.h"
#include "router/router.h"

enum sm_nh { SM_NH_OK, SM_NH_TEMP, SM_NH_PERM };

/* one host to try */
struct sm_hop {
	char *name;   /* host name, or an address literal without brackets */
	int pref;     /* MX preference; -1 for a host without MX */
	int literal;  /* name is an address */
	int fallback; /* the fallback smart host */
};

struct sm_hops {
	size_t n;
	struct sm_hop *h;
	int implicit; /* no MX record: the destination itself */
	int secure;   /* the MX answer was DNSSEC-validated */
};

enum sm_nh sm_nexthop_hosts(struct sm_switch *sw, struct sm_router *rt, const char *dest,
                            const char *fallback, struct sm_hops *out, char **reply, struct sm_trace *tr);
enum sm_nh sm_nexthop_addrs(struct sm_switch *sw, const struct sm_hop *hop, char ***addrs, size_t *n,
                            char **reply, struct sm_trace *tr);
int sm_nexthop_uses_dns(struct sm_switch *sw);
void sm_hops_free(struct sm_hops *h);
void sm_addrs_free(char **addrs, size_t n);

#endif
