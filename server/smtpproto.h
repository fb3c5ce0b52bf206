/*
 * server/smtpproto.h - placeholder
 */
#ifndef SM_SMTPPROTO_H
#define SM_SMTPPROTO_H
#endif
