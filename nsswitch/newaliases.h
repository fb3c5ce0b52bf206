/*
 * nsswitch/newaliases.h - compile an aliases file into its LMDB table
 *
 * SYNOPSIS
 *	char *sm_alias_table_path(const char *aliasfile);
 *	int sm_newaliases(const char *aliasfile, size_t maxline, FILE *msgs,
 *	                  struct sm_alias_stats *stats);
 *
 * DESCRIPTION
 *	sm_alias_table_path() returns "<aliasfile>.lmdb" (caller frees).
 *	sm_newaliases() takes an exclusive, non-blocking lock on the text file,
 *	parses it (aliases.h), keeps the last of duplicate names, adds the
 *	sentinel "@" -> "@", and replaces the table atomically (lib/table.h):
 *	a reader sees the old table or the new one, never half of one. stats
 *	gets sendmail's figures: entries stored (without the sentinel), the
 *	longest value, and the sum of key and value lengths.
 *
 * DIAGNOSTICS
 *	Messages go to msgs as sendmail prints them: "FILE: line N: reason" for
 *	a bad entry (skipped), "FILE: line N: Warning: duplicate alias name X",
 *	"Alias file FILE is locked (maybe being rebuilt)". Returns a sysexits
 *	code: EX_OK; EX_DATAERR when some entries were skipped (the table is
 *	still built from the rest); EX_NOINPUT when the file cannot be opened;
 *	EX_NOPERM when it is not a regular file or is group/world-writable;
 *	EX_TEMPFAIL when another rebuild holds the lock; EX_IOERR when reading
 *	or writing fails (the old table stays in place).
 */
#ifndef SM_NEWALIASES_H
#define SM_NEWALIASES_H

#include <stddef.h>
#include <stdio.h>

struct sm_alias_stats {
	size_t count;
	size_t longest;
	size_t total;
	unsigned errors;
	unsigned duplicates;
};

char *sm_alias_table_path(const char *aliasfile);
int sm_newaliases(const char *aliasfile, size_t maxline, FILE *msgs, struct sm_alias_stats *stats);

#endif
