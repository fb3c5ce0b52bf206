/*
 * server/auth.h - placeholder
 */
#ifndef SM_AUTH_H
#define SM_AUTH_H
#endif
