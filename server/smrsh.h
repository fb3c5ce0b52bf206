/*
 * server/smrsh.h - placeholder
 */
#ifndef SM_SMRSH_H
#define SM_SMRSH_H
#endif
