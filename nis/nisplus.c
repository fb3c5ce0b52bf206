/*
 * nis/nisplus.c - placeholder
 */
#include "config.h"

#include "nis/nisplus.h"
