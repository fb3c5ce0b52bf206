/*
 * lib/clock.h - the monotonic clock
 *
 * SYNOPSIS
 *	#include "lib/clock.h"
 *
 *	long long sm_clock_ms(void);
 *
 * DESCRIPTION
 *	sm_clock_ms() is CLOCK_MONOTONIC in milliseconds: for deadlines and
 *	time-outs, never for dates. Thread-safe.
 *
 * WHO FREES WHAT
 *	Nothing is allocated.
 *
 * DIAGNOSTICS
 *	None.
 */
#ifndef SM_CLOCK_H
#define SM_CLOCK_H

long long sm_clock_ms(void);

#endif
