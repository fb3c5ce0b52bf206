/*
 * server/mailq.h - (being written)
 */
#ifndef SM_MAILQ_H
#define SM_MAILQ_H
#endif
