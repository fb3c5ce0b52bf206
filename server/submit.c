/*
 * server/submit.c - (being written)
 */
#include "config.h"

#include "server/submit.h"

typedef int sm_placeholder_submit;
