/*
 * router/access.h - placeholder
 */
#ifndef SM_ACCESS_H
#define SM_ACCESS_H
#endif
