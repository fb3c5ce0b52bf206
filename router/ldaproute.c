/*
 * router/ldaproute.c - LDAP mail routing: which keys, which answer
 *
 * See ldaproute.h. Reads LdapRouteDomains, LdapRouteBounce, LdapRouteDetail
 * and LdapRouteNoDomain; asks the mailroute database through the switch.
 *
 * DIAGNOSTICS
 *	See ldaproute.h.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/log.h"
#include "lib/mem.h"
#include "router/ldaproute.h"
#include "router/tables.h"

enum detail_mode { DETAIL_NONE, DETAIL_STRIP, DETAIL_PRESERVE };

struct sm_ldaproute {
	struct sm_class *domains;
	int bounce;    /* unknown addresses are refused */
	int sendertoo; /* ... and unknown envelope senders too */
	enum detail_mode detail;
	int nodomain; /* no @domain lookup */
};

/* sm_ldaproute_new - the routing configuration, or NULL when no domain is routed */
struct sm_ldaproute *sm_ldaproute_new(const struct sm_config *cf)
{
	struct sm_ldaproute *lr;
	const char *bounce = sm_config_str(cf, "LdapRouteBounce");
	const char *detail = sm_config_str(cf, "LdapRouteDetail");
	char **words;
	size_t n, i;

	words = sm_config_words(cf, "LdapRouteDomains", &n);
	if (n == 0) {
		sm_config_words_free(words, n);
		return NULL;
	}
	lr = sm_calloc(1, sizeof(*lr));
	lr->domains = sm_class_new();
	for (i = 0; i < n; i++)
		sm_class_add(lr->domains, words[i]);
	sm_config_words_free(words, n);
	lr->sendertoo = strcasecmp(bounce, "sendertoo") == 0;
	lr->bounce = *bounce != '\0' && strcasecmp(bounce, "passthru") != 0;
	if (strcasecmp(detail, "strip") == 0)
		lr->detail = DETAIL_STRIP;
	else if (strcasecmp(detail, "preserve") == 0)
		lr->detail = DETAIL_PRESERVE;
	else if (*detail != '\0')
		sm_log(LOG_WARNING, "LdapRouteDetail \"%s\": not strip or preserve; +detail is not stripped",
		       detail);
	lr->nodomain = sm_config_bool(cf, "LdapRouteNoDomain");
	return lr;
}

/* sm_ldaproute_applies - is domain routed by LDAP? */
int sm_ldaproute_applies(const struct sm_ldaproute *lr, const char *domain)
{
	return lr && domain && sm_class_contains(lr->domains, domain);
}

/* sm_ldaproute_bounces - are unknown addresses of routed domains refused? */
int sm_ldaproute_bounces(const struct sm_ldaproute *lr)
{
	return lr && lr->bounce;
}

/* sm_ldaproute_checks_senders - must envelope senders of routed domains have an entry? */
int sm_ldaproute_checks_senders(const struct sm_ldaproute *lr)
{
	return lr && lr->sendertoo;
}

/* take_token - the value of "name=value" among the blank-separated tokens of v, or NULL; caller frees */
static char *take_token(const char *v, const char *name)
{
	size_t nlen = strlen(name);
	const char *p = v;

	while (*p) {
		size_t len;

		p += strspn(p, " ");
		len = strcspn(p, " ");
		if (len > nlen + 1 && strncasecmp(p, name, nlen) == 0 && p[nlen] == '=')
			return sm_strndup(p + nlen + 1, len - nlen - 1);
		p += len;
	}
	return NULL;
}

/* with_detail - addr with "+detail" put back before its last "@"; caller frees */
static char *with_detail(const char *addr, const char *detail)
{
	const char *at = strrchr(addr, '@');

	if (at == NULL)
		return sm_asprintf("%s+%s", addr, detail);
	return sm_asprintf("%.*s+%s%s", (int)(at - addr), addr, detail, at);
}

/* sm_ldaproute_lookup - the mailroute keys of a in sendmail's order (see ldaproute.h) */
enum sm_status sm_ldaproute_lookup(const struct sm_ldaproute *lr, struct sm_switch *sw,
                                   const struct sm_addr *a, struct sm_ldaproute_result *res,
                                   struct sm_trace *tr)
{
	char *keys[3];
	int stripped[3] = { 0, 0, 0 };
	size_t n = 0, i;
	enum sm_status st = SM_NOTFOUND;

	memset(res, 0, sizeof(*res));
	keys[n++] = sm_asprintf("%s@%s", a->local, a->domain);
	if (a->has_detail && lr->detail != DETAIL_NONE) {
		stripped[n] = 1;
		keys[n++] = sm_asprintf("%s@%s", a->user, a->domain);
	}
	if (!lr->nodomain)
		keys[n++] = sm_asprintf("@%s", a->domain);
	for (i = 0; i < n; i++) {
		sm_answer_free(&res->ans);
		st = sm_switch_lookup(sw, "mailroute", keys[i], strlen(keys[i]), &res->ans, tr);
		if (st == SM_SUCCESS) {
			res->mailhost = take_token(res->ans.value, "mailHost");
			res->address = take_token(res->ans.value, "mailRoutingAddress");
			if (res->mailhost == NULL && res->address == NULL) {
				st = SM_NOTFOUND; /* nothing usable: as if there were no entry */
				continue;
			}
			res->key = sm_strdup(keys[i]);
			res->stripped = stripped[i];
			if (res->address && stripped[i] && lr->detail == DETAIL_PRESERVE) {
				char *d = with_detail(res->address, a->detail);

				free(res->address);
				res->address = d;
			}
			break;
		}
		if (st != SM_NOTFOUND)
			break; /* TRYAGAIN or UNAVAIL: stop, the caller defers */
	}
	for (i = 0; i < n; i++)
		free(keys[i]);
	return st;
}

/* sm_ldaproute_result_free - release what res holds */
void sm_ldaproute_result_free(struct sm_ldaproute_result *res)
{
	free(res->key);
	free(res->mailhost);
	free(res->address);
	sm_answer_free(&res->ans);
	memset(res, 0, sizeof(*res));
}

/* sm_ldaproute_free - release the configuration */
void sm_ldaproute_free(struct sm_ldaproute *lr)
{
	if (lr == NULL)
		return;
	sm_class_free(lr->domains);
	free(lr);
}
