/*
 * server/smrsh.c - placeholder
 */
#include "config.h"

#include "server/smrsh.h"
