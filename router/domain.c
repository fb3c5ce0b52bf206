/*
 * router/domain.c - the mail domain and other names derived from the name-service domain
 *
 * See domain.h. Reads no configuration.
 *
 * DIAGNOSTICS
 *	None.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/mem.h"
#include "router/domain.h"

/* sm_maildomain_from_nsdomain - Solaris's mail domain rule; caller frees */
char *sm_maildomain_from_nsdomain(const char *nsdomain)
{
	char *d, *dot, *out;
	size_t len;

	if (nsdomain == NULL || *nsdomain == '\0')
		return NULL;
	d = sm_strdup(nsdomain);
	if (d[0] == '+')
		d[0] = '.';
	len = strlen(d);
	while (len && d[len - 1] == '.')
		d[--len] = '\0';
	out = d;
	while (*out == '.')
		out++;
	dot = strchr(out, '.');
	if (dot && strchr(dot + 1, '.'))
		out = dot + 1;
	out = *out ? sm_strdup(out) : NULL;
	free(d);
	return out;
}

/* sm_domain_is_suffix - is domain the same as, or a whole-label suffix of, of? */
int sm_domain_is_suffix(const char *domain, const char *of)
{
	size_t dl = strlen(domain), ol = strlen(of);

	if (dl == 0 || dl > ol)
		return 0;
	if (strcasecmp(of + (ol - dl), domain) != 0)
		return 0;
	return dl == ol || of[ol - dl - 1] == '.';
}

/* sm_domain_within - is host a strict subdomain of domain? */
int sm_domain_within(const char *host, const char *domain)
{
	return strlen(host) > strlen(domain) && sm_domain_is_suffix(domain, host);
}
