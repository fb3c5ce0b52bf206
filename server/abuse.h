/*
 * server/abuse.h - placeholder
 */
#ifndef SM_ABUSE_H
#define SM_ABUSE_H
#endif
