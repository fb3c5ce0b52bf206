/*
 * server/nscheck.h - check the name service against what mail routing needs (switchmail -bN)
 *
 * SYNOPSIS
 *	#include "server/nscheck.h"
 *
 *	int sm_nscheck(struct sm_router *rt, struct sm_switch *sw, const struct sm_config *cf,
 *	               char **domains, size_t ndomains, FILE *out);
 *
 * DESCRIPTION
 *	The Solaris mail administration guide lists what sendmail needs from
 *	the name service ("name-service requirements for sendmail"). Each rule
 *	is checked with the lookups the router itself makes (the switch, in
 *	nsswitch.conf order), and every line printed says "ok", "PROBLEM" or
 *	"cannot check" (a lookup failing for now), then what was found, then
 *	the rule in brackets:
 *	  1. the mail domain is a suffix of the name-service domain (or
 *	     equal to it);
 *	  2. the host name answers in the hosts database both in full and as
 *	     its short name, with the same addresses;
 *	  3. the mail host resolves (MailHost, sendmailvars "mailhost", or
 *	     "mailhost"), unless this host is the mail host; in remote mode,
 *	     the mail server resolves;
 *	  4. when the hosts line names dns: the mail domain and each domain
 *	     given have sane MX records: no null MX mixed with others, every
 *	     MX host has an address, no MX host is an alias (CNAME);
 *	  5. this host is not the best MX of a domain it does not accept
 *	     (not one of its names, a virtusertable or relay domain): mail
 *	     for it would loop back to this host.
 *	domains are further domains to check (4 and 5) besides the mail
 *	domain. Rule 2 of the guide (the short name gives the same host in
 *	every name-service domain under one mail domain) needs a view from
 *	every such domain and is not checked.
 *
 * RESULTS
 *	EX_OK when no rule is broken, EX_CONFIG when one is, EX_TEMPFAIL when
 *	none is broken but a lookup failed for now.
 *
 * WHO FREES WHAT
 *	Nothing is returned; rt, sw, cf and domains stay the caller's.
 *
 * CONFIGURATION
 *	MailHost, HostName, NameServiceDomain, MailDomain, RemoteMode, the
 *	hosts, mx and sendmailvars lines of ServiceSwitchFile.
 *
 * DIAGNOSTICS
 *	The report is the output; nothing is logged.
 */
#ifndef SM_NSCHECK_H
#define SM_NSCHECK_H

#include <stddef.h>
#include <stdio.h>

#include "lib/cfg.h"
#include "nsswitch/switch.h"
#include "router/router.h"

int sm_nscheck(struct sm_router *rt, struct sm_switch *sw, const struct sm_config *cf, char **domains,
               size_t ndomains, FILE *out);

#endif
