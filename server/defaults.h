/*
 * server/defaults.h - read /etc/default/switchmail (Solaris' /etc/default/sendmail) without a shell
 *
 * SYNOPSIS
 *	#include "server/defaults.h"
 *
 *	int sm_defaults_read(const char *path, struct sm_defaults *d, struct sm_buf *err);
 *	char **sm_defaults_argv(const struct sm_defaults *d, const char *prog, size_t *argc);
 *	void sm_defaults_argv_free(char **argv);
 *	void sm_defaults_free(struct sm_defaults *d);
 *	int sm_queueinterval_valid(const char *s);
 *
 * DESCRIPTION
 *	On Solaris the start method of the sendmail service sources
 *	/etc/default/sendmail with the shell and runs
 *	    /usr/lib/sendmail $MODE -q$QUEUEOPTION$QUEUEINTERVAL $OPTIONS
 *	(semantics.md 10). sm_defaults_read() reads the same file format
 *	without executing anything, and sm_defaults_argv() builds that
 *	command line.
 *
 *	Syntax: a safe subset of the shell. Blank lines and lines whose first
 *	non-blank character is '#' are ignored; so is "# ..." after a value.
 *	A line holds one or more assignments NAME=value (no blanks around
 *	'='), optionally after "export" ("export NAME" alone is accepted and
 *	does nothing). In a value, '...' is literal, "..." is literal except
 *	that a backslash before $ ` " or \ gives that character, and outside
 *	quotes a backslash quotes the next character; quoted and unquoted
 *	pieces join into one word, which ends at an unquoted blank. Refused,
 *	with the file and line: command substitution ($(...) and backquotes,
 *	also inside double quotes), any other unquoted or double-quoted '$'
 *	(no variable expansion is done), the operators ; & | < > ( ), a
 *	backslash at the end of a line (no continuation lines), an
 *	unterminated quote (a quote must close on its own line), a word that
 *	is not an assignment (the shell would run it as a command), a NUL
 *	byte, a line over 64 KiB. Unlike the shell, nothing else is special:
 *	a leading '~' or a '*' stays as written. A CR before the newline is
 *	ignored.
 *
 *	Variables (a later assignment replaces an earlier one; every other
 *	name, such as CLIENTQUEUEINTERVAL, CLIENTOPTIONS or ETRN_HOSTS, is
 *	accepted and ignored):
 *	    MODE           default "-bd"; empty means no daemon (queue runner
 *	                   only); anything else is passed through unchecked.
 *	    QUEUEOPTION    "p" for a persistent queue runner (-qp); any other
 *	                   value becomes "". QUEUEOPTIONS (the name in the
 *	                   man page) is read too; when both are assigned,
 *	                   QUEUEOPTION wins, even if it is empty.
 *	    QUEUEINTERVAL  validated, as the method script does, only when
 *	                   QUEUEOPTION is empty or QUEUEINTERVAL is not: a
 *	                   value that does not match
 *	                   ^([0-9]*[1-9][0-9]*[smhdw])+$ (missing, empty,
 *	                   negative, no unit, zero) becomes "15m". So with
 *	                   QUEUEOPTION=p and no QUEUEINTERVAL it stays "" and
 *	                   the command has -qp. In addition (switchmail), a
 *	                   value the regex allows but that is over 10 years
 *	                   (sm_interval_parse() fails) also becomes "15m".
 *	    OPTIONS        extra arguments, split at blanks into options[];
 *	                   single and double quotes group words and are
 *	                   removed, a backslash quotes the next character.
 *	                   (The shell would split $OPTIONS at blanks only,
 *	                   leaving quotes in the words; grouping is what an
 *	                   administrator writing quotes means.)
 *
 *	Result (struct sm_defaults): mode, queueinterval and queueoption as
 *	above, interval_s the interval in seconds (sm_interval_parse(), unit
 *	minutes; 0 when queueinterval is ""), options[0..noptions) (options
 *	is NULL when there are none).
 *
 *	sm_defaults_argv() returns { prog, MODE words..., "-q" QUEUEOPTION
 *	QUEUEINTERVAL, OPTIONS..., NULL } and sets *argc to the number of
 *	arguments before the NULL. MODE is split at blanks like the shell's
 *	unquoted $MODE (no words when it is empty).
 *
 *	sm_queueinterval_valid() is the Solaris regex above, in C: 1 when s
 *	matches, else 0 (also for NULL).
 *
 * WHO FREES WHAT
 *	sm_defaults_read() fills *d, to be released with sm_defaults_free()
 *	(which zeroes it; calling it twice is harmless). The argv of
 *	sm_defaults_argv() is the caller's, freed with
 *	sm_defaults_argv_free(). path and prog stay the caller's.
 *
 * CONFIGURATION
 *	The file named by path, normally SM_DEFAULTS_FILE.
 *
 * DIAGNOSTICS
 *	sm_defaults_read() returns 0, or -1 with one line appended to err
 *	(which may be NULL): "FILE: STRERROR" when the file exists but cannot
 *	be opened or read (a directory, no permission, an I/O error), or
 *	"FILE: line N: REASON" for the syntax errors above, for example
 *	"/etc/default/switchmail: line 3: command substitution $(...) is not
 *	allowed". A file that does not exist (ENOENT) is not an error: every
 *	variable takes its default. On -1 *d is empty (all NULL and 0): the
 *	caller should refuse to start rather than run with settings the
 *	administrator did not write. Nothing is logged here.
 */
#ifndef SM_DEFAULTS_H
#define SM_DEFAULTS_H

#include <stddef.h>

#include "lib/buf.h"

#define SM_DEFAULTS_FILE "/etc/default/switchmail"
#define SM_DEFAULTS_MODE "-bd"
#define SM_DEFAULTS_INTERVAL "15m"

/* what /etc/default/switchmail says, after the start method's checks */
struct sm_defaults {
	char *mode;          /* "-bd", "" (no daemon), or as written */
	char *queueinterval; /* a valid interval, or "" (only with queueoption "p") */
	char *queueoption;   /* "p" or "" */
	long interval_s;     /* queueinterval in seconds; 0 when it is "" */
	char **options;      /* OPTIONS split into words; NULL when none */
	size_t noptions;
};

int sm_defaults_read(const char *path, struct sm_defaults *d, struct sm_buf *err);
char **sm_defaults_argv(const struct sm_defaults *d, const char *prog, size_t *argc);
void sm_defaults_argv_free(char **argv);
void sm_defaults_free(struct sm_defaults *d);
int sm_queueinterval_valid(const char *s);

#endif
