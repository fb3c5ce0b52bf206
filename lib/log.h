/*
 * lib/log.h - logging to stderr or syslog, and printable copies of untrusted bytes
 *
 * SYNOPSIS
 *	void sm_log_init(const char *prog, int use_syslog);
 *	void sm_log(int prio, const char *fmt, ...);
 *	void sm_log_sink(void (*fn)(int prio, const char *msg, void *ctx), void *ctx);
 *	char *sm_printable(const char *s, size_t len, size_t max);
 *
 * DESCRIPTION
 *	sm_log() writes "prog: message" to stderr (use_syslog
 *	SM_LOG_STDERR: command-line tools; LOG_INFO and LOG_DEBUG are not shown
 *	there; SM_LOG_STDERR_ALL: a daemon in the foreground, everything shown,
 *	as "prog[pid]: message")
 *	or to syslog on the mail facility (SM_LOG_SYSLOG: the daemon).
 *	Priorities are syslog's (LOG_ERR, ...).
 *	sm_log_sink() diverts every message to a callback (tests), or back to the
 *	default with fn == NULL.
 *
 *	sm_printable() returns a new string (caller frees) with at most max input
 *	bytes of s shown; control and 8-bit bytes become \xNN, and "..." marks a cut.
 *
 * DIAGNOSTICS
 *	None.
 */
#ifndef SM_LOG_H
#define SM_LOG_H

#include <stddef.h>
#include <syslog.h>

#define SM_LOG_STDERR 0
#define SM_LOG_SYSLOG 1
#define SM_LOG_STDERR_ALL 2

void sm_log_init(const char *prog, int use_syslog);
void sm_log(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sm_log_sink(void (*fn)(int prio, const char *msg, void *ctx), void *ctx);
char *sm_printable(const char *s, size_t len, size_t max);

#endif
