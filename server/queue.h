/*
 * server/queue.h - placeholder
 */
#ifndef SM_QUEUE_H
#define SM_QUEUE_H
#endif
