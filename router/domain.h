/*
 * router/domain.h - the mail domain and other names derived from the name-service domain
 *
 * SYNOPSIS
 *	char *sm_maildomain_from_nsdomain(const char *nsdomain);
 *	int sm_domain_is_suffix(const char *domain, const char *of);
 *	int sm_domain_within(const char *host, const char *domain);
 *
 * DESCRIPTION
 *	sm_maildomain_from_nsdomain() applies Solaris's rule (sun_init_domain):
 *	a leading "+" counts as "."; a name with a dot loses its first label
 *	unless what remains has no dot ("bldg5.eng.acme.com" -> "eng.acme.com",
 *	"acme.com" -> "acme.com", "podunk-u" -> "podunk-u"); a trailing dot is
 *	dropped. It returns a new string (caller frees), or NULL for an empty
 *	name.
 *	sm_domain_is_suffix() says whether domain equals of or is a whole-label
 *	suffix of it ("eng.acme.com" of "bldg5.eng.acme.com"), ignoring case.
 *	sm_domain_within() says whether host is a strict subdomain of domain.
 *	Reads no configuration.
 *
 * DIAGNOSTICS
 *	None.
 */
#ifndef SM_DOMAIN_H
#define SM_DOMAIN_H

char *sm_maildomain_from_nsdomain(const char *nsdomain);
int sm_domain_is_suffix(const char *domain, const char *of);
int sm_domain_within(const char *host, const char *domain);

#endif
