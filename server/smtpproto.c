/*
 * server/smtpproto.c - placeholder
 */
#include "config.h"

#include "server/smtpproto.h"
