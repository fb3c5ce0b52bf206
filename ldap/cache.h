/*
 * ldap/cache.h - placeholder
 */
#ifndef SM_CACHE_H
#define SM_CACHE_H
#endif
