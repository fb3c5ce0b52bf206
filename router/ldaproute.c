/*
 * router/ldaproute.c - placeholder
 */
#include "config.h"

#include "router/ldaproute.h"
