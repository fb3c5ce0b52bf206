/*
 * server/smtpc.c - placeholder
 */
#include "config.h"

#include "server/smtpc.h"
