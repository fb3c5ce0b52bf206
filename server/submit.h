/*
 * server/submit.h - (being written)
 */
#ifndef SM_SUBMIT_H
#define SM_SUBMIT_H
#endif
