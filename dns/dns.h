/*
 * dns/dns.h - the dns source: MX and address records through libunbound
 *
 * SYNOPSIS
 *	struct sm_source *sm_dns_create(const char *name, const struct sm_config *cf,
 *	                                struct sm_buf *err);
 *
 * DESCRIPTION
 *	sm_dns_create() returns a source that answers two databases from the
 *	DNS through its own libunbound context (a validating, caching stub
 *	resolver; answers are cached for their TTL by libunbound). Every other
 *	database answers UNAVAIL "dns answers only hosts and mx". An instance
 *	is used by one thread at a time (each lookup thread of the daemon has a
 *	switch of its own); instances share nothing but the MX ordering seed. A
 *	process that forks gets a fresh context on its first lookup (the
 *	parent's is left alone, never deleted, in the child).
 *
 *	mx, key a domain (lower case, no trailing dot). The SUCCESS value is
 *	a list of tokens separated by one space:
 *
 *		PREF:HOST ... [implicit] [secure]
 *
 *	First the MX hosts in the order to try them: sorted by preference;
 *	hosts of equal preference in an order given by a hash of the host
 *	name seeded once per process (the same inside one process, different
 *	between processes, so load spreads); a host listed twice kept once,
 *	with its best preference; at most 100 hosts. HOST is lower case
 *	without a trailing dot. MX targets that are not valid host names
 *	(see below) are dropped with a warning. Then the flags, which never
 *	hold ':':
 *	    implicit  the domain exists but has no MX records (NOERROR, no
 *	              data); the only host token is then "0:DOMAIN" and the
 *	              caller resolves the domain's own A/AAAA records;
 *	    secure    the answer was validated with DNSSEC.
 *	A null MX (a single MX record whose target is the root, "MX 0 ."
 *	of RFC 7505) gives the value "0:." exactly, or "0:. secure". When the
 *	domain is an alias (CNAME), the MX records of its canonical name are
 *	given. Examples: "10:mx1.example.org 20:mx2.example.org",
 *	"0:example.org implicit", "0:.".
 *
 *	hosts, key a host name. The SUCCESS value has the format of the files
 *	source: "CANONICAL ADDR ADDR ...": the canonical name (the end of the
 *	CNAME chain when the name is an alias, else the key), then every IPv4
 *	address (A) and every IPv6 address (AAAA), each once, at most 100. A
 *	and AAAA are asked at the same time. A key that is an address literal
 *	("[192.0.2.1]", "192.0.2.1", "[IPv6:...]", "::1") is not asked:
 *	NOTFOUND.
 *
 *	A valid host name, in a key or in data from the DNS, has labels of
 *	letters, digits, '-' and '_', no empty label (one trailing dot is
 *	removed), labels of at most 63 bytes and at most 253 bytes in all.
 *	Names in answers are untrusted: anything else is never returned.
 *
 * WHO FREES WHAT
 *	sm_dns_create() returns a source owned by the caller (the switch),
 *	released with sm_source_free(), which deletes the libunbound context
 *	and its cache. A SUCCESS value is a new string the caller frees with
 *	free(3). libunbound results are freed inside the source.
 *
 * CONFIGURATION
 *	DnsResolver: empty, the servers of /etc/resolv.conf; otherwise a
 *	list of ADDR or ADDR@PORT (IPv4 or IPv6, separated by blanks or
 *	commas) that are asked as forwarders, with recursion desired. An
 *	authoritative-only server (one that does not offer recursion) works
 *	for the zones it serves. Servers on loopback are allowed.
 *	libunbound answers localhost, onion., invalid. and the reverse
 *	zones of private address ranges itself; names under test. and
 *	home.arpa. are asked, since a site's resolver may serve them.
 *	DnsTimeout: the longest a lookup waits (A and AAAA together count as
 *	one lookup); then the queries are cancelled and the answer is
 *	TRYAGAIN. At least 1s.
 *	DnsTrustAnchorFile: when set, a file of DS or DNSKEY records (zone
 *	file format) used as DNSSEC trust anchors: answers that validate are
 *	marked secure (mx), answers that fail validation are TRYAGAIN.
 *
 * DIAGNOSTICS
 *	sm_dns_create() returns NULL (the switch then answers UNAVAIL with
 *	the reason) with: "not built with libunbound support" when libunbound
 *	was not found at build time; "DnsResolver: \"X\" is not an address"
 *	or "DnsResolver: \"X\" has a bad port" for a bad entry;
 *	"DnsTimeout must be at least 1s"; "DnsTrustAnchorFile: PATH: ERROR"
 *	when the file cannot be read, "DnsTrustAnchorFile: PATH: not a usable
 *	trust anchor file" when libunbound rejects it; "/etc/resolv.conf:
 *	ERROR" when DnsResolver is empty and that file cannot be read; and
 *	"libunbound: ..." when the context cannot be set up.
 *
 *	Lookups, both databases:
 *	    NXDOMAIN: NOTFOUND, reason "NXDOMAIN" (mx) or "host not found
 *	      (NXDOMAIN)" (hosts);
 *	    NOERROR without records: mx: SUCCESS "0:DOMAIN implicit";
 *	      hosts (neither A nor AAAA): NOTFOUND "no address records";
 *	    a key that is not a valid host name: NOTFOUND "not a valid host
 *	      name"; hosts, an address literal: NOTFOUND "an address literal
 *	      is not looked up";
 *	    SERVFAIL, REFUSED or any other rcode: TRYAGAIN "RCODE from the
 *	      resolver" (libunbound turns a forwarder's REFUSED, and a
 *	      forwarder that cannot be reached, into SERVFAIL);
 *	    no answer within DnsTimeout: TRYAGAIN "no answer within Ns";
 *	    an error of libunbound itself: TRYAGAIN "resolver error: TEXT";
 *	    an answer that fails DNSSEC validation: TRYAGAIN "DNSSEC
 *	      validation failed: WHY", logged as a warning;
 *	    mx, a null MX together with other MX records: TRYAGAIN "null MX
 *	      mixed with other MX records", logged as a warning (a broken
 *	      zone never bounces mail);
 *	    mx, records exist but no target is a valid host name: TRYAGAIN
 *	      "no usable MX host"; each dropped target is logged as a warning;
 *	    hosts, address records that are all malformed: TRYAGAIN "no
 *	      usable address records";
 *	    hosts, A or AAAA fails temporarily while the other has addresses:
 *	      SUCCESS with those; both fail, or one fails and the other has
 *	      none: TRYAGAIN with the reasons of both ("A: ...; AAAA: ...").
 *	Temporary failures are logged at LOG_NOTICE with database, key and
 *	reason. Any other database: UNAVAIL "dns answers only hosts and mx".
 *	When libunbound is not built in, nothing is looked up (see above).
 *	libunbound itself writes its own errors (bad trust anchors) on stderr.
 */
#ifndef SM_DNS_H
#define SM_DNS_H

#include "nsswitch/source.h"

struct sm_source *sm_dns_create(const char *name, const struct sm_config *cf, struct sm_buf *err);

#endif
