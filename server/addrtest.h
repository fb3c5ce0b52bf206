/*
 * server/addrtest.h - address test mode (-bt)
 *
 * SYNOPSIS
 *	int sm_addrtest(struct sm_router *rt, struct sm_switch *sw, FILE *in, FILE *out, int prompt);
 *
 * DESCRIPTION
 *	Reads commands, one a line, and answers each on out:
 *	    /parse ADDRESS   every stage the router went through (the trace),
 *	                     ending in "mailer M, host H, user U" for each result
 *	    /map DB KEY      a lookup in any database through the switch, with
 *	                     the trace of every source consulted
 *	    -bv ADDRESS      the -bv output for the address
 *	    /quit            ends the session (so does end of input)
 *	Blank lines and lines starting with "#" are ignored. With prompt set,
 *	"> " is printed before each command is read.
 *
 * DIAGNOSTICS
 *	An unknown command prints "unknown command: ..." and the session goes
 *	on. Returns EX_OK, or EX_IOERR if writing failed.
 */
#ifndef SM_ADDRTEST_H
#define SM_ADDRTEST_H

#include <stdio.h>

#include "router/router.h"

int sm_addrtest(struct sm_router *rt, struct sm_switch *sw, FILE *in, FILE *out, int prompt);

#endif
