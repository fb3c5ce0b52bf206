/*
 * router/address.c - placeholder
 */
#include "config.h"

#include "router/address.h"
