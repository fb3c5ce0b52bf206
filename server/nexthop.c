/*
 * server/nexthop.c - placeholder
 */
#include "config.h"

#include "server/nexthop.h"
