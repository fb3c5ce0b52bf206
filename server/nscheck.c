/*
 * server/nscheck.c - placeholder
 */
#include "config.h"

#include "server/nscheck.h"
