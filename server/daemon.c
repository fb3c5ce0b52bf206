/*
 * server/daemon.c - (being written)
 */
#include "config.h"

#include "server/daemon.h"

typedef int sm_placeholder_daemon;
