/*
 * server/nscheck.c - check the name service against what mail routing needs (see nscheck.h)
 */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

#include "lib/mem.h"
#include "router/domain.h"
#include "router/tables.h"
#include "server/nexthop.h"
#include "server/nscheck.h"

/* the running verdict */
struct check {
	FILE *out;
	unsigned problems;
	unsigned unknown;
};

/* say - one line of the report: verdict, finding, [rule] */
static void say(struct check *c, const char *verdict, const char *rule, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void say(struct check *c, const char *verdict, const char *rule, const char *fmt, ...)
{
	va_list ap;

	if (strcmp(verdict, "PROBLEM") == 0)
		c->problems++;
	else if (strcmp(verdict, "cannot check") == 0)
		c->unknown++;
	fprintf(c->out, "%-12s ", verdict);
	va_start(ap, fmt);
	vfprintf(c->out, fmt, ap);
	va_end(ap);
	fprintf(c->out, "\n             [%s]\n", rule);
}

/* lookup_host - the hosts answer for name: status, and the answer's value (caller frees) */
static enum sm_status lookup_host(struct sm_switch *sw, const char *name, char **value, char **why)
{
	struct sm_answer ans;
	enum sm_status st = sm_switch_lookup(sw, "hosts", name, strlen(name), &ans, NULL);

	*value = ans.value ? sm_strdup(ans.value) : NULL;
	*why = sm_asprintf("%s: %s", ans.source ? ans.source : "hosts",
	                   ans.reason ? ans.reason : sm_status_name(st));
	sm_answer_free(&ans);
	return st;
}

/* addresses_of - the address part of a hosts value ("canonical addr addr...") */
static const char *addresses_of(const char *value)
{
	const char *p = value + strcspn(value, " ");

	while (*p == ' ')
		p++;
	return p;
}

/* rule_maildomain - 1: the mail domain is a suffix of the name-service domain */
static void rule_maildomain(struct check *c, const struct sm_router_names *n)
{
	static const char rule[] = "the mail domain must be a suffix of the name-service domain";

	if (n->maildomain == NULL || n->nsdomain == NULL)
		say(c, "PROBLEM", rule, "mail domain %s, name-service domain %s: one is unknown",
		    n->maildomain ? n->maildomain : "(none)", n->nsdomain ? n->nsdomain : "(none)");
	else if (sm_domain_is_suffix(n->maildomain, n->nsdomain))
		say(c, "ok", rule, "mail domain %s, name-service domain %s", n->maildomain, n->nsdomain);
	else
		say(c, "PROBLEM", rule, "mail domain %s is not a suffix of the name-service domain %s",
		    n->maildomain, n->nsdomain);
}

/* rule_hostname - 2: the short and the full host name give the same answer */
static void rule_hostname(struct check *c, struct sm_switch *sw, const struct sm_router_names *n)
{
	static const char rule[] = "the host table must answer the full and the short host name alike";
	char *full = NULL, *shrt = NULL, *why1 = NULL, *why2 = NULL;
	enum sm_status s1 = lookup_host(sw, n->hostname, &full, &why1);
	enum sm_status s2 = lookup_host(sw, n->shortname, &shrt, &why2);

	if (s1 == SM_TRYAGAIN || s2 == SM_TRYAGAIN)
		say(c, "cannot check", rule, "hosts lookup of %s or %s failed for now (%s; %s)", n->hostname,
		    n->shortname, why1, why2);
	else if (s1 != SM_SUCCESS)
		say(c, "PROBLEM", rule, "full host name %s does not answer (%s)", n->hostname, why1);
	else if (s2 != SM_SUCCESS)
		say(c, "PROBLEM", rule, "short host name %s does not answer (%s)", n->shortname, why2);
	else if (strcmp(addresses_of(full), addresses_of(shrt)) != 0)
		say(c, "PROBLEM", rule, "%s gives %s but %s gives %s", n->hostname, addresses_of(full),
		    n->shortname, addresses_of(shrt));
	else
		say(c, "ok", rule, "%s and %s both give %s", n->hostname, n->shortname, addresses_of(full));
	free(full);
	free(shrt);
	free(why1);
	free(why2);
}

/* rule_mailhost - 3: the mail host (or, in remote mode, the mail server) resolves */
static void rule_mailhost(struct check *c, struct sm_router *rt, struct sm_switch *sw,
                          const struct sm_config *cf, const struct sm_router_names *n)
{
	static const char rule[] = "the mail host must resolve in the hosts database";
	struct sm_answer ans;
	char *name = NULL, *value = NULL, *why = NULL;
	const char *mh = sm_config_str(cf, "MailHost");
	enum sm_status st;

	if (n->remote) {
		name = sm_strdup(n->remote[0] == '[' ? n->remote + 1 : n->remote);
		name[strcspn(name, "]")] = '\0';
	} else if (mh && *mh) {
		name = sm_strdup(mh);
	} else if (sm_switch_lookup(sw, "sendmailvars", "mailhost", 8, &ans, NULL) == SM_SUCCESS) {
		name = sm_strdup(ans.value);
		sm_answer_free(&ans);
	} else {
		sm_answer_free(&ans);
		name = sm_strdup("mailhost");
	}
	st = lookup_host(sw, name, &value, &why);
	if (st == SM_SUCCESS) {
		char *canon = sm_strndup(value, strcspn(value, " "));

		if (!n->remote && sm_router_is_local_domain(rt, canon))
			say(c, "ok", rule, "%s is this host: this host is the mail host", name);
		else
			say(c, "ok", rule, "%s%s is %s (%s)", n->remote ? "mail server " : "mail host ", name,
			    canon, addresses_of(value));
		free(canon);
	} else if (st == SM_TRYAGAIN) {
		say(c, "cannot check", rule, "%s: lookup failed for now (%s)", name, why);
	} else if (n->remote) {
		say(c, "PROBLEM", rule,
		    "the mail server %s does not resolve (%s): remote mode sends everything there", name,
		    why);
	} else {
		say(c, "PROBLEM", rule,
		    "%s does not resolve (%s): mail for other domains goes to the smart host or by MX "
		    "directly; name the mail host (a hosts entry \"mailhost\", sendmailvars mailhost or "
		    "MailHost) or run this host as the mail host",
		    name, why);
	}
	free(value);
	free(why);
	free(name);
}

/* accepted - do we take mail for domain (our names, relay domains, virtusertable, LDAP routing)? */
static int accepted(struct sm_router *rt, const struct sm_config *cf, const char *domain)
{
	const char *files[] = { "RelayDomainsFile", "VirtUserDomainsFile" };
	size_t i;
	int yes = sm_router_is_local_domain(rt, domain) || sm_router_ldap_routed(rt, domain);

	for (i = 0; i < 2 && !yes; i++) {
		const char *path = sm_config_str(cf, files[i]);
		struct sm_buf err = SM_BUF_INIT;
		struct sm_class *cl = path && *path ? sm_class_load(path, 1, &err) : NULL;

		yes = cl && (i == 0 ? sm_class_match_domain(cl, domain, 1) : sm_class_contains(cl, domain));
		sm_class_free(cl);
		sm_buf_free(&err);
	}
	return yes;
}

/* rule_mx - 4 and 5: the MX records of domain */
static void rule_mx(struct check *c, struct sm_router *rt, struct sm_switch *sw, const struct sm_config *cf,
                    const char *domain)
{
	static const char rule4[] = "MX records must name hosts that have addresses and are not aliases";
	static const char rule5[] = "this host must not be the best MX of a domain it does not accept";
	struct sm_hops hops;
	char *reply = NULL;
	size_t i;
	int ours = accepted(rt, cf, domain);

	switch (sm_nexthop_hosts(sw, rt, domain, NULL, &hops, &reply, NULL)) {
	case SM_NH_TEMP:
		say(c, "cannot check", rule4, "%s: %s", domain, reply);
		free(reply);
		return;
	case SM_NH_PERM:
		if (strncmp(reply, "554 5.3.5", 9) == 0 && ours)
			say(c, "ok", rule5, "%s: this host is its best MX and accepts its mail", domain);
		else if (strncmp(reply, "554 5.3.5", 9) == 0)
			say(c, "PROBLEM", rule5,
			    "%s: this host is its best MX but does not accept its mail: %s", domain, reply);
		else if (strncmp(reply, "556", 3) == 0)
			say(c, ours ? "PROBLEM" : "ok", rule4, "%s publishes a null MX: it accepts no mail%s",
			    domain, ours ? ", yet this host accepts mail for it" : "");
		else
			say(c, "PROBLEM", rule4, "%s: %s", domain, reply);
		free(reply);
		return;
	case SM_NH_OK:
		break;
	}
	if (hops.implicit)
		say(c, "ok", rule4, "%s has no MX record: mail goes to the host itself", domain);
	for (i = 0; i < hops.n; i++) {
		char *value = NULL, *why = NULL;
		enum sm_status st;

		if (hops.h[i].literal)
			continue;
		st = lookup_host(sw, hops.h[i].name, &value, &why);
		if (st == SM_TRYAGAIN) {
			say(c, "cannot check", rule4, "%s: MX host %s: lookup failed for now (%s)", domain,
			    hops.h[i].name, why);
		} else if (st != SM_SUCCESS) {
			say(c, "PROBLEM", rule4, "%s: MX host %s has no address (%s)", domain, hops.h[i].name,
			    why);
		} else {
			size_t cl = strcspn(value, " ");

			if (cl != strlen(hops.h[i].name) || strncasecmp(value, hops.h[i].name, cl) != 0)
				say(c, "PROBLEM", rule4, "%s: MX host %s is an alias (CNAME) of %.*s", domain,
				    hops.h[i].name, (int)cl, value);
			else
				say(c, "ok", rule4, "%s: MX host %s (preference %d) has %s", domain,
				    hops.h[i].name, hops.h[i].pref, addresses_of(value));
		}
		free(value);
		free(why);
	}
	sm_hops_free(&hops);
}

/* sm_nscheck - the whole check (see nscheck.h) */
int sm_nscheck(struct sm_router *rt, struct sm_switch *sw, const struct sm_config *cf, char **domains,
               size_t ndomains, FILE *out)
{
	struct check c = { out, 0, 0 };
	struct sm_router_names n;
	size_t i;

	sm_router_names(rt, &n);
	fprintf(out, "name-service check of %s (name-service domain %s, mail domain %s)\n", n.hostname,
	        n.nsdomain ? n.nsdomain : "(none)", n.maildomain ? n.maildomain : "(none)");
	rule_maildomain(&c, &n);
	rule_hostname(&c, sw, &n);
	rule_mailhost(&c, rt, sw, cf, &n);
	if (sm_nexthop_uses_dns(sw)) {
		if (n.maildomain)
			rule_mx(&c, rt, sw, cf, n.maildomain);
		for (i = 0; i < ndomains; i++)
			rule_mx(&c, rt, sw, cf, domains[i]);
	} else {
		fprintf(out, "(the hosts line does not name dns: MX records are not used and not checked)\n");
	}
	fprintf(out, "%u problem%s", c.problems, c.problems == 1 ? "" : "s");
	if (c.unknown)
		fprintf(out, ", %u check%s could not be made now", c.unknown, c.unknown == 1 ? "" : "s");
	fprintf(out, "\n");
	return c.problems ? EX_CONFIG : c.unknown ? EX_TEMPFAIL : EX_OK;
}
