/*
 * server/mailq.c - (being written)
 */
#include "config.h"

#include "server/mailq.h"

typedef int sm_placeholder_mailq;
