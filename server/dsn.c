/*
 * server/dsn.c - (being written)
 */
#include "config.h"

#include "server/dsn.h"

typedef int sm_placeholder_dsn;
