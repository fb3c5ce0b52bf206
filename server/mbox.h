/*
 * server/mbox.h - placeholder
 */
#ifndef SM_MBOX_H
#define SM_MBOX_H
#endif
