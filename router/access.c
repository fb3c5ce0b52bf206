/*
 * router/access.c - placeholder
 */
#include "config.h"

#include "router/access.h"
