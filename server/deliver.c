/*
 * server/deliver.c - (being written)
 */
#include "config.h"

#include "server/deliver.h"

typedef int sm_placeholder_deliver;
