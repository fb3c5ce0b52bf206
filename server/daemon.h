/*
 * server/daemon.h - (being written)
 */
#ifndef SM_DAEMON_H
#define SM_DAEMON_H
#endif
