/*
 * server/smrsh.h - the restricted shell for program deliveries ("|command" from aliases/.forward)
 *
 * SYNOPSIS
 *	#include "server/smrsh.h"
 *
 *	enum sm_smrsh_status sm_smrsh_check(const char *cmd, size_t len, const char *bindir,
 *	                                    unsigned flags, struct sm_buf *out);
 *
 *	struct sm_smrsh_job job = { .command = ..., .uid = ..., .gid = ..., .home = ...,
 *	                            .env = ..., .stdin_fd = ..., .timeout = ... };
 *	enum sm_smrsh_status sm_smrsh_run(const struct sm_smrsh_job *job, int *exit_status,
 *	                                  struct sm_buf *text);
 *
 * DESCRIPTION
 *	sm_smrsh_check() applies sendmail's smrsh rules (semantics.md 4.5) to
 *	the len bytes of cmd, the text after the "|" of a program address.
 *	Each command word has its leading path stripped and must name a
 *	program in bindir (NULL means SM_SMRSH_BINDIR, Solaris' /var/adm/sm.bin)
 *	that stat(2) shows to be a regular file (a symlink to one counts) and
 *	that access(2) says is executable; it is rewritten to bindir/program.
 *	The builtins exit and echo pass unchanged, and exec passes when a
 *	command follows it (that command is checked in turn). The bytes
 *	< | > ^ ( ) ; & ` $ CR LF and their 8-bit variants (byte | 0x80) are
 *	refused anywhere, except that "&&" and "||" (and ";" with the flag
 *	SM_SMRSH_ALLOWSEMI) join two commands, each checked again. Blanks are
 *	copied as they are. On SM_SMRSH_OK out holds the rewritten command, to
 *	be given to sm_smrsh_run() (which runs it with /bin/sh -c).
 *
 *	sm_smrsh_run() runs /bin/sh -c job->command in a child process, in
 *	its own process group: as job->uid/job->gid (with that single group)
 *	only when the caller runs as root and job->uid differs from its own
 *	uid, otherwise as the caller (the caller never asks for uid 0: mail
 *	is not delivered as root); in job->home, or "/" when it is NULL or
 *	cannot be entered; with the environment PATH=/bin:/usr/bin,
 *	SHELL=/bin/sh and the NAME=value strings of job->env (NULL-terminated,
 *	may be NULL) and nothing else; standard input from job->stdin_fd
 *	(/dev/null when negative); standard output and error into one pipe;
 *	every other descriptor closed. After job->timeout seconds (0 means
 *	no limit) the process group is killed.
 *
 * CONFIGURATION
 *	None read here: the caller passes bindir, the flags and the job.
 *
 * DIAGNOSTICS
 *	sm_smrsh_check() returns SM_SMRSH_OK, or SM_SMRSH_PERMFAIL when the
 *	command is refused; smrsh would exit SM_SMRSH_EX_UNAVAILABLE (69) and
 *	out then holds the one-line message, as smrsh prints it:
 *	'smrsh: "X" not available for sendmail programs' (with " (stat
 *	failed)" or " (not a file)"), "smrsh: cannot use C in command" (C shown
 *	as \r, \n or \xNN when it is not printable), "smrsh: missing command
 *	to exec", and this library's own "smrsh: empty command", "smrsh:
 *	command too long", "smrsh: missing command after &&" (or || or ;)
 *	and "smrsh: bad program directory". Each refusal is logged at LOG_NOTICE.
 *
 *	sm_smrsh_run() returns SM_SMRSH_OK when the command exited 0;
 *	SM_SMRSH_TEMPFAIL (defer) when it exited EX_TEMPFAIL (75), was killed
 *	by a signal (directly, or as the shell reports it: exit status 128 + N
 *	for N in 1..64), timed out ("program timed out"), or could not be
 *	started (pipe, fork, setuid, chdir or exec failure; the child then
 *	exits 75 with the reason as its output); and SM_SMRSH_PERMFAIL
 *	(bounce) for any other exit status, or a bad job (empty command, an
 *	env entry that is not NAME=value or sets PATH or SHELL, more than 32
 *	entries). *exit_status gets the exit status, or -1 when there is none
 *	(signal, timeout, not started). text gets the first line the program wrote (at most
 *	SM_SMRSH_TEXTMAX bytes, made printable), or, when it wrote nothing
 *	and did not succeed, a description such as "program exited with
 *	status 1". Failures are logged once: a bad job, or no pipe or fork,
 *	at LOG_ERR; a program that failed, was deferred or could not start
 *	at LOG_WARNING, with the command made printable. The caller must not
 *	ignore SIGCHLD (waitpid would fail: TEMPFAIL "cannot wait for program").
 *
 *	Who frees what: out and text belong to the caller, who empties them
 *	with sm_buf_free(); both are reset before being filled.
 *
 * SEE ALSO
 *	sendmail smrsh/smrsh.c; /work/shared/spec/security.md 3.1 (close
 *	descriptors before exec), 3.2.
 */
#ifndef SM_SMRSH_H
#define SM_SMRSH_H

#include <stddef.h>
#include <sys/types.h>

#include "lib/buf.h"

#define SM_SMRSH_BINDIR "/var/adm/sm.bin" /* Solaris' allowed-program directory */
#define SM_SMRSH_PATH "PATH=/bin:/usr/bin"
#define SM_SMRSH_MAXCMD 4096       /* longest command accepted, in bytes */
#define SM_SMRSH_TEXTMAX 200       /* longest line of output kept */
#define SM_SMRSH_EX_UNAVAILABLE 69 /* sysexits.h EX_UNAVAILABLE */
#define SM_SMRSH_EX_TEMPFAIL 75    /* sysexits.h EX_TEMPFAIL */

#define SM_SMRSH_ALLOWSEMI 1u /* ";" joins commands, as sendmail's ALLOWSEMI */

/* the outcome of a check or a run */
enum sm_smrsh_status {
	SM_SMRSH_OK,       /* allowed / the program succeeded */
	SM_SMRSH_TEMPFAIL, /* defer: try again later */
	SM_SMRSH_PERMFAIL  /* refused / the program failed: bounce */
};

/* one program delivery */
struct sm_smrsh_job {
	const char *command;    /* the rewritten command from sm_smrsh_check() */
	uid_t uid;              /* the controlling user */
	gid_t gid;              /* and their group */
	const char *home;       /* working directory, or NULL for "/" */
	const char *const *env; /* extra NAME=value strings, NULL-terminated, or NULL */
	int stdin_fd;           /* the message, or -1 for /dev/null */
	unsigned timeout;       /* seconds; 0 means no limit */
};

enum sm_smrsh_status sm_smrsh_check(const char *cmd, size_t len, const char *bindir, unsigned flags,
                                    struct sm_buf *out);
enum sm_smrsh_status sm_smrsh_run(const struct sm_smrsh_job *job, int *exit_status, struct sm_buf *text);

#endif
