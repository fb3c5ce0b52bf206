/*
 * server/hoststat.h - what the last connection to each remote host ended with
 *
 * SYNOPSIS
 *	#include "server/hoststat.h"
 *
 *	char *sm_hoststat_dir(const struct sm_config *cf);
 *	void sm_hoststat_record(const char *dir, const char *host, const char *reply);
 *	int sm_hoststat_down(const char *dir, const char *host, long within, char **reply);
 *	int sm_hoststat_print(const char *dir, FILE *out, int verbose, time_t now);
 *	int sm_hoststat_purge(const char *dir);
 *
 * DESCRIPTION
 *	The SMTP delivery agent keeps one small file per remote host in the
 *	host status directory, as sendmail's HostStatusDirectory: the time
 *	and the reply of the last attempt that failed at connection level
 *	(refused, timed out, greeting or HELO refused). A host that answers
 *	again loses its file. While a host's failure is younger than within
 *	seconds, deliveries skip it at once instead of waiting for another
 *	time-out: one dead MX host costs one time-out per back-off period,
 *	not one per message.
 *
 *	sm_hoststat_dir() is HostStatusDirectory, inside QueueDirectory when
 *	relative. sm_hoststat_record() writes host's status: reply NULL
 *	means success and removes the file (a missing directory is created).
 *	Host names are lower-cased; a name that could leave the directory
 *	(empty, "/", a leading dot) is not recorded.
 *	sm_hoststat_down() is 1, with a copy of the stored reply in *reply
 *	(reply may be NULL), when host failed less than within seconds ago.
 *	sm_hoststat_print() writes hoststat's listing (sendmail's columns:
 *	host, how long ago, the result; the result is cut to 25 characters
 *	unless verbose) and returns EX_OK or EX_OSERR.
 *	sm_hoststat_purge() removes every status file (purgestat) and
 *	returns EX_OK, or EX_OSERR with a message on stderr.
 *
 * WHO FREES WHAT
 *	The caller frees the string of sm_hoststat_dir() and *reply.
 *
 * CONFIGURATION
 *	HostStatusDirectory, QueueDirectory.
 *
 * DIAGNOSTICS
 *	A status file that cannot be written is logged at LOG_WARNING; it
 *	only costs a later attempt a time-out.
 */
#ifndef SM_HOSTSTAT_H
#define SM_HOSTSTAT_H

#include <stdio.h>
#include <time.h>

#include "lib/cfg.h"

char *sm_hoststat_dir(const struct sm_config *cf);
void sm_hoststat_record(const char *dir, const char *host, const char *reply);
int sm_hoststat_down(const char *dir, const char *host, long within, char **reply);
int sm_hoststat_print(const char *dir, FILE *out, int verbose, time_t now);
int sm_hoststat_purge(const char *dir);

#endif
