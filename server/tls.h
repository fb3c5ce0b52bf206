/*
 * server/tls.h - placeholder
 */
#ifndef SM_TLS_H
#define SM_TLS_H
#endif
