/*
 * server/dsn.h - (being written)
 */
#ifndef SM_DSN_H
#define SM_DSN_H
#endif
