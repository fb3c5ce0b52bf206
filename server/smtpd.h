/*
 * server/smtpd.h - (being written)
 */
#ifndef SM_SMTPD_H
#define SM_SMTPD_H
#endif
