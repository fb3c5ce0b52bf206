/*
 * ldap/ldap.h - the ldap source
 *
 * SYNOPSIS
 *	struct sm_source *sm_ldap_create(const char *name, const struct sm_config *cf,
 *	                                 struct sm_buf *err);
 *
 * DESCRIPTION
 *	The source keeps its name in every build so that an nsswitch.conf naming
 *	it parses and answers.
 *
 * DIAGNOSTICS
 *	Returns NULL with "not built with LDAP support" when OpenLDAP was not
 *	found at build time, and with "the ldap source is not implemented yet"
 *	until the directory client lands: the switch then answers UNAVAIL.
 */
#ifndef SM_LDAP_H
#define SM_LDAP_H

#include "nsswitch/source.h"

struct sm_source *sm_ldap_create(const char *name, const struct sm_config *cf, struct sm_buf *err);

#endif
