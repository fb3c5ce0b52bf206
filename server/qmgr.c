/*
 * server/qmgr.c - (being written)
 */
#include "config.h"

#include "server/qmgr.h"

typedef int sm_placeholder_qmgr;
