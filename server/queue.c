/*
 * server/queue.c - placeholder
 */
#include "config.h"

#include "server/queue.h"
