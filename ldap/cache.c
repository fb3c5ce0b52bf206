/*
 * ldap/cache.c - placeholder
 */
#include "config.h"

#include "ldap/cache.h"
