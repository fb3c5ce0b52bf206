/*
 * tests/tap.h - a tiny TAP producer for the unit tests
 *
 * SYNOPSIS
 *	plan_lazy(); ok(cond, fmt, ...); is_int(got, want, name); is_str(got, want, name);
 *	return done_testing();
 *
 * DESCRIPTION
 *	Prints "ok N - name" / "not ok N - name" and a trailing plan "1..N";
 *	done_testing() returns non-zero if any test failed. Header-only: each
 *	test program includes it once.
 */
#ifndef SM_TAP_H
#define SM_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

/* ok - one test point */
static int __attribute__((format(printf, 2, 3), unused)) ok(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", cond ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond)
		tap_failed++;
	fflush(stdout);
	return cond;
}

/* is_int - integers equal */
static int __attribute__((unused)) is_int(long got, long want, const char *name)
{
	if (!ok(got == want, "%s", name))
		printf("#   got %ld, want %ld\n", got, want);
	return got == want;
}

/* is_str - strings equal (NULL equals only NULL) */
static int __attribute__((unused)) is_str(const char *got, const char *want, const char *name)
{
	int same = (got == NULL || want == NULL) ? got == want : strcmp(got, want) == 0;

	if (!ok(same, "%s", name))
		printf("#   got \"%s\"\n#  want \"%s\"\n", got ? got : "(null)", want ? want : "(null)");
	return same;
}

/* diag - a comment line */
static void __attribute__((format(printf, 1, 2), unused)) diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* done_testing - print the plan; exit status for main */
static int __attribute__((unused)) done_testing(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed != 0;
}

#endif
