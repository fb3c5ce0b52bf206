/*
 * router/forward.c - placeholder
 */
#include "config.h"

#include "router/forward.h"
