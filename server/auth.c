/*
 * server/auth.c - placeholder
 */
#include "config.h"

#include "server/auth.h"
