/*
 * server/qmgr.h - (being written)
 */
#ifndef SM_QMGR_H
#define SM_QMGR_H
#endif
