/*
 * server/abuse.c - placeholder
 */
#include "config.h"

#include "server/abuse.h"
