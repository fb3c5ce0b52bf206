/*
 * nsswitch/aliases.h - parse sendmail's aliases(5) text format
 *
 * SYNOPSIS
 *	struct sm_alias_cb {
 *		void (*entry)(void *ctx, const char *key, size_t klen,
 *		              const char *rhs, size_t rlen, unsigned long lineno);
 *		void (*error)(void *ctx, unsigned long lineno, const char *msg);
 *		void *ctx;
 *	};
 *	int sm_aliases_parse(FILE *fp, const char *path, size_t maxline,
 *	                     const struct sm_alias_cb *cb, int *oserr);
 *
 * DESCRIPTION
 *	Follows sendmail's readaliases(): "name: value, value" entries; a line
 *	starting with a blank continues the previous line (its newline removed,
 *	its leading white space kept); a backslash just before a newline joins
 *	the next line directly; "#" in column 1 starts a comment line, which
 *	swallows continuation lines too; blank lines end an entry. The key is
 *	folded to lower case; the value is passed verbatim apart from the white
 *	space around it. Strings passed to entry() are owned by the parser and
 *	valid only during the call. Duplicate keys are the caller's business.
 *
 * DIAGNOSTICS
 *	Each bad entry is passed to error() with its line number and one of:
 *	"Non-continuation line starts with space", "missing colon",
 *	"illegal alias name", "cannot alias non-local names",
 *	"missing value for alias", "alias line too long", "NUL byte in line",
 *	"alias name too long"; the entry is skipped and parsing goes on.
 *	The function returns -1 with *oserr on a read error, else 0.
 */
#ifndef SM_ALIASES_H
#define SM_ALIASES_H

#include <stddef.h>
#include <stdio.h>

struct sm_alias_cb {
	void (*entry)(void *ctx, const char *key, size_t klen, const char *rhs, size_t rlen,
	              unsigned long lineno);
	void (*error)(void *ctx, unsigned long lineno, const char *msg);
	void *ctx;
};

int sm_aliases_parse(FILE *fp, const char *path, size_t maxline, const struct sm_alias_cb *cb, int *oserr);

#endif
