/*
 * server/deliver.h - (being written)
 */
#ifndef SM_DELIVER_H
#define SM_DELIVER_H
#endif
