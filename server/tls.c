/*
 * server/tls.c - placeholder
 */
#include "config.h"

#include "server/tls.h"
