/*
 * nis/nisplus.h - placeholder
 */
#ifndef SM_NISPLUS_H
#define SM_NISPLUS_H
#endif
