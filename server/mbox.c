/*
 * server/mbox.c - placeholder
 */
#include "config.h"

#include "server/mbox.h"
