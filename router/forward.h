/*
 * router/forward.h - placeholder
 */
#ifndef SM_FORWARD_H
#define SM_FORWARD_H
#endif
