/*
 * dns/dns.h - the dns source
 *
 * SYNOPSIS
 *	struct sm_source *sm_dns_create(const char *name, const struct sm_config *cf,
 *	                                struct sm_buf *err);
 *
 * DESCRIPTION
 *	The source keeps its name in every build so that an nsswitch.conf naming
 *	it parses and answers.
 *
 * DIAGNOSTICS
 *	Returns NULL with "not built with libunbound support" when libunbound
 *	was not found at build time, and with "the dns source is not implemented
 *	yet" until the resolver lands: the switch then answers UNAVAIL.
 */
#ifndef SM_DNS_H
#define SM_DNS_H

#include "nsswitch/source.h"

struct sm_source *sm_dns_create(const char *name, const struct sm_config *cf, struct sm_buf *err);

#endif
