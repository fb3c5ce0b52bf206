/*
 * ldap/ldap.c - the ldap source
 *
 * See ldap.h. Reads no configuration yet.
 *
 * DIAGNOSTICS
 *	See ldap.h.
 */
#include "config.h"

#include "ldap/ldap.h"

/* sm_ldap_create - the ldap source (see ldap.h) */
struct sm_source *sm_ldap_create(const char *name, const struct sm_config *cf, struct sm_buf *err)
{
	(void)name;
	(void)cf;
#ifdef HAVE_LDAP
	sm_buf_adds(err, "the ldap source is not implemented yet");
#else
	sm_buf_adds(err, "not built with LDAP support");
#endif
	return NULL;
}
