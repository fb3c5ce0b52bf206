/*
 * lib/log.c - logging to stderr or syslog, and printable copies of untrusted bytes
 *
 * See log.h. Reads no configuration.
 *
 * DIAGNOSTICS
 *	None.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/mem.h"

static const char *sm_log_prog = "switchmail";
static int sm_log_syslog;
static void (*sm_log_fn)(int, const char *, void *);
static void *sm_log_ctx;

/* sm_log_init - name the program and choose stderr or syslog */
void sm_log_init(const char *prog, int use_syslog)
{
	sm_log_prog = prog;
	sm_log_syslog = use_syslog;
	if (use_syslog == SM_LOG_SYSLOG)
		openlog(prog, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

/* sm_log_sink - divert messages to fn (NULL restores the default) */
void sm_log_sink(void (*fn)(int prio, const char *msg, void *ctx), void *ctx)
{
	sm_log_fn = fn;
	sm_log_ctx = ctx;
}

/* sm_log - log one message */
void sm_log(int prio, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (sm_log_fn)
		sm_log_fn(prio, msg, sm_log_ctx);
	else if (sm_log_syslog == SM_LOG_SYSLOG)
		syslog(prio, "%s", msg);
	else if (sm_log_syslog == SM_LOG_STDERR_ALL)
		fprintf(stderr, "%s[%ld]: %s\n", sm_log_prog, (long)getpid(), msg);
	else if (prio <= LOG_NOTICE)
		fprintf(stderr, "%s: %s\n", sm_log_prog, msg);
}

/* sm_printable - bounded printable copy of untrusted bytes; caller frees */
char *sm_printable(const char *s, size_t len, size_t max)
{
	struct sm_buf b = SM_BUF_INIT;
	size_t i;

	for (i = 0; i < len && i < max; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c >= 0x7f || c == '\\')
			sm_buf_printf(&b, "\\x%02x", c);
		else
			sm_buf_addc(&b, c);
	}
	if (len > max)
		sm_buf_adds(&b, "...");
	return sm_buf_steal(&b);
}
