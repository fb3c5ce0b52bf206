/*
 * server/smtpc.h - placeholder
 */
#ifndef SM_SMTPC_H
#define SM_SMTPC_H
#endif
