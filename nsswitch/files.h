/*
 * nsswitch/files.h - the files source
 *
 * SYNOPSIS
 *	struct sm_source *sm_files_create(const char *name, const struct sm_config *cf,
 *	                                  struct sm_buf *err);
 *
 * DESCRIPTION
 *	Answers the hosts database from HostsFile (hosts(5): every name on a
 *	line maps to "CANONICAL ADDRESS...", the canonical name of the first
 *	line naming it, then the address of every such line; names are matched
 *	without regard to case), the sendmailvars database from SendmailVarsFile
 *	("key value" lines, "#" comments, keys matched exactly), both re-read
 *	when the file changes; and the aliases database from the table newaliases compiled from
 *	AliasFile ("AliasFile.lmdb"). The table is opened on first use and
 *	reopened when newaliases replaces it (noticed within a second: the
 *	file is looked at no more than once a second). The result is a source the switch
 *	owns (sm_source_free).
 *
 * DIAGNOSTICS
 *	aliases: SUCCESS found; NOTFOUND not in the table; UNAVAIL when the
 *	table does not exist ("run newaliases"), cannot be read for a permanent
 *	reason (permissions, not a table, no "@" sentinel); TRYAGAIN for a
 *	transient system error (EIO, EMFILE, ENFILE, ENOMEM, EAGAIN, EINTR).
 *	A table older than its text file is used, with one warning logged:
 *	"alias database F out of date (run newaliases)". Any other database
 *	answers UNAVAIL "the files source has no DB database". hosts and
 *	sendmailvars: NOTFOUND when SendmailVarsFile does not exist (no
 *	variables); hosts: UNAVAIL when HostsFile is missing; both UNAVAIL when
 *	the file is unreadable, TRYAGAIN
 *	for a transient error; a malformed line is logged and skipped.
 */
#ifndef SM_FILES_H
#define SM_FILES_H

#include "nsswitch/source.h"

struct sm_source *sm_files_create(const char *name, const struct sm_config *cf, struct sm_buf *err);

/* sm_errno_transient - does errno e describe a condition that may pass? */
int sm_errno_transient(int e);

#endif
