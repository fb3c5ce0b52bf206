/*
 * server/smtpd.c - (being written)
 */
#include "config.h"

#include "server/smtpd.h"

typedef int sm_placeholder_smtpd;
