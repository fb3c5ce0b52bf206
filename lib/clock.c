/*
 * lib/clock.c - the monotonic clock (see clock.h)
 */
#include "config.h"

#include <time.h>

#include "lib/clock.h"

/* sm_clock_ms - CLOCK_MONOTONIC in milliseconds */
long long sm_clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
