/*
 * server/defaults.c - (being written)
 */
#include "config.h"

#include "server/defaults.h"

typedef int sm_placeholder_defaults;
