/*
 * server/nscheck.h - placeholder
 */
#ifndef SM_NSCHECK_H
#define SM_NSCHECK_H
#endif
