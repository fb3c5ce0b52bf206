/*
 * nsswitch/conf.h - parse nsswitch.conf into per-database source chains
 *
 * SYNOPSIS
 *	struct sm_nsconf *sm_nsconf_read(const char *path, int *oserr);
 *	struct sm_nsconf *sm_nsconf_parse_string(const char *text, const char *name);
 *	int sm_nsconf_parse_line(const char *line, struct sm_nsdb *db, struct sm_buf *err);
 *	const struct sm_nsdb *sm_nsconf_find(const struct sm_nsconf *conf, const char *db);
 *	void sm_nsdb_clear(struct sm_nsdb *db);
 *	void sm_nsconf_free(struct sm_nsconf *conf);
 *
 * DESCRIPTION
 *	The grammar is glibc's, with Solaris's comments:
 *	    database ":" source [ "[" [!]STATUS=ACTION ... "]" ] source ...
 *	"#" starts a comment anywhere; blank lines are ignored; leading white
 *	space is skipped (glibc; Solaris would ignore such a line). Database and
 *	source names are case-sensitive; STATUS and ACTION are not. Actions are
 *	return and continue; Solaris's "forever" and a retry count N are accepted
 *	for TRYAGAIN and act as continue (a mail router never waits forever).
 *	"!STATUS=ACTION" sets ACTION for every other status. The default criteria
 *	are SUCCESS=return, everything else continue. A later line for the same
 *	database replaces an earlier one. At most SM_NS_MAXSRC sources a line.
 *
 *	sm_nsconf_read() and sm_nsconf_parse_string() return an object the caller
 *	frees with sm_nsconf_free(); the chains it holds are owned by it.
 *	sm_nsconf_parse_line() fills db (the caller clears it with sm_nsdb_clear)
 *	and returns 1 for a database line, 0 for a blank or comment line.
 *
 * DIAGNOSTICS
 *	sm_nsconf_read() returns NULL with *oserr set when the file cannot be
 *	read. A bad line is logged as "FILE: line N: reason; database DB keeps its
 *	default" (warning) and counted in conf->errors; that database keeps its
 *	built-in default, even if an earlier line named it (Solaris: a bad entry
 *	means the compiled-in default). sm_nsconf_parse_line() returns -1 with
 *	a reason in err
 *	(and the database name in db->name when one was read).
 */
#ifndef SM_NSCONF_H
#define SM_NSCONF_H

#include "lib/buf.h"
#include "nsswitch/status.h"

#define SM_NS_MAXSRC 12 /* sendmail's MAXMAPSTACK */
#define SM_NS_MAXLINE 4096

struct sm_nsentry {
	char *source;                   /* as written, e.g. "files" */
	enum sm_action act[SM_NSTATUS]; /* indexed by enum sm_status */
};

struct sm_nsdb {
	char *name;
	size_t count;
	struct sm_nsentry src[SM_NS_MAXSRC];
};

struct sm_nsconf {
	size_t count;
	struct sm_nsdb *db;
	unsigned errors;
};

struct sm_nsconf *sm_nsconf_read(const char *path, int *oserr);
struct sm_nsconf *sm_nsconf_parse_string(const char *text, const char *name);
int sm_nsconf_parse_line(const char *line, struct sm_nsdb *db, struct sm_buf *err);
const struct sm_nsdb *sm_nsconf_find(const struct sm_nsconf *conf, const char *db);
void sm_nsentry_defaults(struct sm_nsentry *e);
void sm_nsdb_clear(struct sm_nsdb *db);
void sm_nsconf_free(struct sm_nsconf *conf);

#endif
