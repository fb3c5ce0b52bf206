/*
 * router/ldaproute.h - placeholder
 */
#ifndef SM_LDAPROUTE_H
#define SM_LDAPROUTE_H
#endif
