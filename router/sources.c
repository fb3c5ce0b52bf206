/*
 * router/sources.c - the table of every source type built into switchmail
 *
 * DESCRIPTION
 *	Data only: the switch (nsswitch/) knows sources only through this
 *	table, which the router hands it, so nsswitch/ depends on no source.
 */
#include "config.h"

#include "dns/dns.h"
#include "ldap/ldap.h"
#include "nis/nis.h"
#include "nsswitch/files.h"
#include "nsswitch/passwd.h"
#include "nsswitch/testsrc.h"
#include "router/router.h"

const struct sm_source_type sm_builtin_sources[] = {
	{ "files", 0, sm_files_create }, { "libc", 0, sm_libc_create },
	{ "nis", 0, sm_nis_create },     { "nisplus", 0, sm_nisplus_create },
	{ "ldap", 0, sm_ldap_create },   { "dns", 0, sm_dns_create },
	{ "test", 1, sm_test_create },   { NULL, 0, NULL },
};
