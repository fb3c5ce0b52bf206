/*
 * dns/dns.c - the dns source
 *
 * See dns.h. Reads no configuration yet.
 *
 * DIAGNOSTICS
 *	See dns.h.
 */
#include "config.h"

#include "dns/dns.h"

/* sm_dns_create - the dns source (see dns.h) */
struct sm_source *sm_dns_create(const char *name, const struct sm_config *cf, struct sm_buf *err)
{
	(void)name;
	(void)cf;
#ifdef HAVE_UNBOUND
	sm_buf_adds(err, "the dns source is not implemented yet");
#else
	sm_buf_adds(err, "not built with libunbound support");
#endif
	return NULL;
}
