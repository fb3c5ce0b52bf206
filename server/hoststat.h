/*
 * server/hoststat.h - placeholder
 */
#ifndef SM_HOSTSTAT_H
#define SM_HOSTSTAT_H
#endif
