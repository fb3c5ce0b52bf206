/*
 * server/hoststat.c - placeholder
 */
#include "config.h"

#include "server/hoststat.h"
