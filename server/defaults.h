/*
 * server/defaults.h - (being written)
 */
#ifndef SM_DEFAULTS_H
#define SM_DEFAULTS_H
#endif
