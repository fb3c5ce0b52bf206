/*
 * router/tables.c - placeholder
 */
#include "config.h"

#include "router/tables.h"
