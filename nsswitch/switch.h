/*
 * nsswitch/switch.h - the switch: one chokepoint for every lookup
 *
 * SYNOPSIS
 *	struct sm_switch *sm_switch_open(const struct sm_config *cf,
 *	                                 const struct sm_source_type *types);
 *	struct sm_switch *sm_switch_new(const struct sm_config *cf,
 *	                                const struct sm_source_type *types,
 *	                                struct sm_nsconf *conf);
 *	enum sm_status sm_switch_lookup(struct sm_switch *sw, const char *db, const char *key,
 *	                                size_t keylen, struct sm_answer *ans, struct sm_trace *tr);
 *	const struct sm_nsdb *sm_switch_chain(struct sm_switch *sw, const char *db);
 *	void sm_answer_free(struct sm_answer *ans);
 *	void sm_switch_free(struct sm_switch *sw);
 *
 * DESCRIPTION
 *	sm_switch_open() reads ServiceSwitchFile (a missing file means every
 *	database has its default) and returns a switch the caller frees with
 *	sm_switch_free(). sm_switch_new() takes over conf (may be NULL).
 *	types is the table of source types, ended by a NULL name; sources are
 *	created on first use, once per name, and shared by all databases.
 *
 *	Defaults for a database with no line: aliases "files", hosts "files dns",
 *	sendmailvars "files", mx "dns" (switchmail's MX database: asked only
 *	when the hosts line names dns), mailroute "ldap" (switchmail's LDAP
 *	mail routing database), anything else "files". The passwd database is not
 *	walked here: glibc already applies the passwd line of nsswitch.conf, so
 *	its chain is always the single source "libc" (getpwnam_r, or PasswdFile).
 *
 *	sm_switch_lookup() is the only way to ask a database. It refuses a key
 *	that is empty, longer than SM_KEY_MAX or holds CR, LF or NUL; folds keys
 *	of case-insensitive databases (aliases, hosts, mx, mailroute) to lower case; walks the
 *	chain and appends one trace entry per source consulted to tr (may be
 *	NULL). The outcome: the first SUCCESS wins; NOTFOUND=return stops; a
 *	TRYAGAIN anywhere makes an unsuccessful chain TRYAGAIN (defer); UNAVAIL
 *	with continue skips the source; UNAVAIL=return ends with UNAVAIL (or
 *	TRYAGAIN if one was seen); a chain where no source answered at all is
 *	UNAVAIL. Only a chain ending in NOTFOUND may lead to a bounce.
 *	ans (filled on every return, freed by the caller with sm_answer_free)
 *	gets the value on SUCCESS and the deciding source and reason otherwise.
 *
 * DIAGNOSTICS
 *	An unreadable ServiceSwitchFile (other than "no such file") and bad
 *	lines in it are logged as warnings; the affected databases keep their
 *	defaults. A source that answers UNAVAIL and is skipped is logged once
 *	per source instance (LOG_INFO: in syslog, not on a terminal; -v shows
 *	it in the trace). An invalid key returns SM_UNAVAIL with the reason
 *	"invalid key: ..." and consults nothing (the trace gets a note saying so).
 */
#ifndef SM_SWITCH_H
#define SM_SWITCH_H

#include <stddef.h>

#include "lib/cfg.h"
#include "nsswitch/conf.h"
#include "nsswitch/source.h"
#include "nsswitch/trace.h"

#define SM_KEY_MAX 1024

struct sm_answer {
	enum sm_status status;
	char *value;  /* SUCCESS only */
	char *source; /* the source that decided, or NULL */
	char *reason; /* native reason when not SUCCESS, or NULL */
};

struct sm_switch;

struct sm_switch *sm_switch_open(const struct sm_config *cf, const struct sm_source_type *types);
struct sm_switch *sm_switch_new(const struct sm_config *cf, const struct sm_source_type *types,
                                struct sm_nsconf *conf);
enum sm_status sm_switch_lookup(struct sm_switch *sw, const char *db, const char *key, size_t keylen,
                                struct sm_answer *ans, struct sm_trace *tr);
const struct sm_nsdb *sm_switch_chain(struct sm_switch *sw, const char *db);
void sm_answer_free(struct sm_answer *ans);
void sm_switch_free(struct sm_switch *sw);

#endif
