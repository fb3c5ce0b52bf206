/*
 * nis/nisplus.h - emulated NIS+ tables in LMDB, and the nisplus source that reads them
 *
 * SYNOPSIS
 *	struct sm_source *sm_nisplus_create(const char *name, const struct sm_config *cf,
 *	                                    struct sm_buf *err);
 *	char *sm_nis_domain(const struct sm_config *cf);
 *
 *	char *sm_np_fullname(const char *table, const char *domain);
 *	const struct sm_np_schema *sm_np_schema(const char *type);
 *	void sm_np_object_init(struct sm_np_object *o, const struct sm_np_schema *s,
 *	                       const char *fullname, const char *domain, const char *owner);
 *	void sm_np_object_free(struct sm_np_object *o);
 *	int sm_np_rights_valid(const char *access);
 *
 *	enum sm_np_err sm_np_create(const char *dir, const struct sm_np_object *o, struct sm_buf *err);
 *	enum sm_np_err sm_np_open(const char *dir, const char *fullname, int write,
 *	                          struct sm_nptab **tp, struct sm_buf *err);
 *	const struct sm_np_object *sm_np_object(const struct sm_nptab *t);
 *	enum sm_np_err sm_np_get(struct sm_nptab *t, const char *key, struct sm_np_entry *e,
 *	                         struct sm_buf *err);
 *	enum sm_np_err sm_np_list(struct sm_nptab *t,
 *	                          int (*fn)(void *ctx, const struct sm_np_entry *e), void *ctx,
 *	                          struct sm_buf *err);
 *	enum sm_np_err sm_np_apply(struct sm_nptab *t, const struct sm_np_edit *ed, size_t n,
 *	                           size_t *failed, struct sm_buf *err);
 *	enum sm_np_err sm_np_setattr(struct sm_nptab *t, const char *group, const char *access,
 *	                             struct sm_buf *err);
 *	void sm_np_close(struct sm_nptab *t);
 *	void sm_np_entry_free(struct sm_np_entry *e);
 *
 *	int sm_np_may(const struct sm_np_object *o, uid_t uid, char right);
 *	const char *sm_np_errname(enum sm_np_err e);
 *
 * DESCRIPTION
 *	NIS+ kept tables such as mail_aliases.org_dir.DOMAIN. (alias,
 *	expansion, comments, options) and sendmailvars.org_dir.DOMAIN. (key,
 *	value) on its servers; aliasadm and nistbladm edited them and
 *	sendmail read them. switchmail keeps such tables on the local disk:
 *	each table is one LMDB file in NisPlusDirectory, named after the
 *	table's full name in lower case without the final dot
 *	("mail_aliases.org_dir.example.com"), with LMDB's lock file beside it
 *	("...-lock"). The file holds two LMDB databases: "object", the table
 *	object as NIS+ keeps it (name, directory, owner, group, access rights,
 *	time to live, table type, separator, columns; one key each, readable
 *	with mdb_dump), and "entries", one record per entry keyed by the first
 *	column, the value being every column NUL-terminated, in order. A table
 *	exists when its object does. LMDB makes the many readers and writers
 *	safe: readers see the last committed state and never wait; writers in
 *	any number of processes take turns, and each change (an add, or every
 *	change of an aliasadm -e session) is one transaction, on disk before
 *	the call returns.
 *
 *	Names. A full name is TABLE.DOMAIN with one final dot; NIS+ names
 *	are case-insensitive, so lookups of the name ignore case.
 *	sm_np_fullname() builds it from "mail_aliases.org_dir" and
 *	"example.com" (or "example.com."); it returns NULL when either part
 *	is empty or holds anything but letters, digits, "_", "-" and dots
 *	(no empty label), so a name can never leave the directory.
 *	sm_nis_domain() returns the NIS (and NIS+) domain: NisDomain, else
 *	NameServiceDomain, else the system's domain name (getdomainname,
 *	"(none)" meaning none), without a final dot; NULL when there is none.
 *
 *	Table objects. sm_np_schema() returns the built-in schema for a
 *	table type, "mail_aliases" (columns alias and expansion searchable,
 *	comments, options) or "sendmailvars" (key searchable, value), or NULL.
 *	sm_np_object_init() fills an object as aliasadm -I makes it: the
 *	schema's type and columns, owner OWNER.DOMAIN. (OWNER a login name),
 *	empty group, the default rights "----rmcdr---r---", TTL 24 hours,
 *	separator " ". Rights are NIS+'s 16 characters: four classes
 *	(nobody, owner, group, world), each "rmcd" (read, modify, create,
 *	destroy) with "-" for a right not granted; sm_np_rights_valid() checks
 *	that form.
 *
 *	sm_np_create() creates the table (and NisPlusDirectory, mode 0755, if
 *	missing). sm_np_open() opens an existing table for reading, or with
 *	write set for changes too; it never creates one. The LMDB environment
 *	of a file is opened once per process and shared by every handle (LMDB
 *	must not open one file twice in a process); a process that forked
 *	opens its own. The file's mode follows the table's rights: read for
 *	a class that has "r" (nobody and world count as others), write for a
 *	class with "m", "c" or "d"; its group is the table's group when that
 *	names a system group. Both are set when the table is created and
 *	when sm_np_setattr() changes them, where the file system allows it.
 *	The lock file is made writable by everyone (every reader writes to
 *	it, the mail daemon included).
 *
 *	sm_np_get() finds the entry whose first column is key. sm_np_list()
 *	calls fn for every entry in key order (strcmp order), stopping when
 *	fn returns non-zero. sm_np_apply() applies n edits in one
 *	transaction, all or none: SM_NP_ADD fails if the key exists,
 *	SM_NP_MODIFY and SM_NP_REMOVE if it does not, or (when the edit's old
 *	is set) if the entry is no longer old (someone changed it since it
 *	was read: SM_NP_NOTSAMEOBJ); SM_NP_PUT adds or replaces; *failed (may
 *	be NULL) is set to the index of the edit that failed. sm_np_setattr() changes the group and/or the access rights
 *	(NULL: unchanged; "" for the group: none).
 *
 *	Access. The tables enforce nothing by themselves: aliasadm asks
 *	sm_np_may() before a change, as the NIS+ server did. sm_np_may() says
 *	whether the user uid holds right ('r', 'm', 'c' or 'd') on the table:
 *	root always does; everyone gets the nobody and world rights (every
 *	local user is an authenticated principal); the owner's rights go to
 *	the user whose login name is the first label of the owner principal
 *	("jun" of "jun.example.com."), the group's to members of the system
 *	group named by the first label of the group (membership from
 *	getgrouplist(), so supplementary groups count).
 *
 *	The nisplus source (sm_nisplus_create) answers two databases from
 *	NisPlusDirectory; any other is SM_UNAVAIL:
 *	    aliases       NisPlusAliasTable.DOMAIN. (default
 *	                  mail_aliases.org_dir): key column alias, value the
 *	                  expansion column, as sendmail's
 *	                  "nisplus -kalias -vexpansion mail_aliases.org_dir".
 *	                  Alias names are matched exactly and the switch folds
 *	                  keys to lower case: store names in lower case.
 *	    sendmailvars  sendmailvars.org_dir.DOMAIN.: key column key, value
 *	                  the value column (keys exact, case-sensitive).
 *	A missing table is looked for again at most once a second, and a
 *	table that was re-created is reopened. The source reads with the
 *	daemon's own permissions; NIS+ read rights are not applied to it.
 *
 * WHO FREES WHAT
 *	sm_nisplus_create() returns a source owned by the caller (the switch),
 *	released with sm_source_free(). sm_nis_domain() and sm_np_fullname()
 *	return new strings the caller frees. sm_np_open() gives a handle the
 *	caller closes with sm_np_close(); sm_np_object() points into it.
 *	sm_np_get() fills e with copies the caller releases with
 *	sm_np_entry_free(); the entry passed to fn by sm_np_list() is valid
 *	only during the call. sm_np_object_init() fills o with copies,
 *	released by sm_np_object_free(). Edits and their strings stay the
 *	caller's.
 *
 * CONFIGURATION
 *	NisPlusDirectory, NisPlusAliasTable; NisDomain and NameServiceDomain
 *	(sm_nis_domain).
 *
 * DIAGNOSTICS
 *	The table functions return an enum sm_np_err whose values are the
 *	NIS+ status numbers aliasadm prints ("NIS alias add failed: 10"),
 *	with a message in err: SM_NP_NOSUCHTABLE (23) the table does not exist;
 *	SM_NP_NAMEEXISTS (14) it does (create) or the key does (add);
 *	SM_NP_NOTFOUND (2) no such entry; SM_NP_NOTSAMEOBJ (34) the entry
 *	changed since the caller read it; SM_NP_PERMISSION (10) the file
 *	system refused; SM_NP_TRYAGAIN (7) a transient condition (LMDB reader
 *	table full, EAGAIN, EINTR, ENOMEM, EMFILE, ENFILE, EIO); SM_NP_SYSTEMERROR
 *	(8) anything else (a damaged file, LMDB map full, a key longer than
 *	511 bytes or empty). sm_np_errname() gives the NIS+ name of a status.
 *
 *	The source: SM_SUCCESS found; SM_NOTFOUND no such entry; SM_UNAVAIL
 *	the table does not exist, the file cannot be read (permissions, damage),
 *	or no domain ("no NIS+ domain (set NisDomain or the system's
 *	domainname)", from sm_nisplus_create); SM_TRYAGAIN for SM_NP_TRYAGAIN.
 *	Nothing is logged here; the switch logs a skipped source.
 */
#ifndef SM_NISPLUS_H
#define SM_NISPLUS_H

#include <stddef.h>
#include <sys/types.h>

#include "lib/buf.h"
#include "lib/cfg.h"
#include "nsswitch/source.h"

#define SM_NP_MAXCOLS 8
#define SM_NP_DEFAULT_RIGHTS "----rmcdr---r---"

/* NIS+ status numbers (enum nis_error in rpcsvc/nis.h) */
enum sm_np_err {
	SM_NP_SUCCESS = 0,
	SM_NP_NOTFOUND = 2,
	SM_NP_TRYAGAIN = 7,
	SM_NP_SYSTEMERROR = 8,
	SM_NP_PERMISSION = 10,
	SM_NP_NAMEEXISTS = 14,
	SM_NP_NOSUCHTABLE = 23,
	SM_NP_NOTSAMEOBJ = 34,
};

struct sm_np_schema {
	const char *type;
	size_t ncols;
	const char *cols[SM_NP_MAXCOLS];
	int searchable[SM_NP_MAXCOLS];
};

struct sm_np_object {
	char *name;      /* "mail_aliases" */
	char *directory; /* "org_dir.example.com." */
	char *domain;    /* the NIS+ domain of the principals: "example.com." */
	char *owner;     /* "root.example.com." */
	char *group;     /* "" or "mailadm.example.com." */
	char access[17]; /* "----rmcdr---r---" */
	unsigned long ttl;
	char *type; /* "mail_aliases" */
	char sep;
	size_t ncols;
	char *cols[SM_NP_MAXCOLS];
	int searchable[SM_NP_MAXCOLS];
};

struct sm_np_entry {
	size_t ncols;
	char *col[SM_NP_MAXCOLS];
	char *mem; /* sm_np_get: the copy col[] points into */
};

enum sm_np_op {
	SM_NP_ADD,
	SM_NP_MODIFY,
	SM_NP_REMOVE,
	SM_NP_PUT,
};

struct sm_np_edit {
	enum sm_np_op op;
	struct sm_np_entry e;          /* SM_NP_REMOVE: only col[0] */
	const struct sm_np_entry *old; /* MODIFY, REMOVE: what the entry must still be, or NULL */
};

struct sm_nptab;

struct sm_source *sm_nisplus_create(const char *name, const struct sm_config *cf, struct sm_buf *err);
char *sm_nis_domain(const struct sm_config *cf);

char *sm_np_fullname(const char *table, const char *domain);
const struct sm_np_schema *sm_np_schema(const char *type);
void sm_np_object_init(struct sm_np_object *o, const struct sm_np_schema *s, const char *fullname,
                       const char *domain, const char *owner);
void sm_np_object_free(struct sm_np_object *o);
int sm_np_rights_valid(const char *access);

enum sm_np_err sm_np_create(const char *dir, const struct sm_np_object *o, struct sm_buf *err);
enum sm_np_err sm_np_open(const char *dir, const char *fullname, int write, struct sm_nptab **tp,
                          struct sm_buf *err);
const struct sm_np_object *sm_np_object(const struct sm_nptab *t);
enum sm_np_err sm_np_get(struct sm_nptab *t, const char *key, struct sm_np_entry *e, struct sm_buf *err);
enum sm_np_err sm_np_list(struct sm_nptab *t, int (*fn)(void *ctx, const struct sm_np_entry *e), void *ctx,
                          struct sm_buf *err);
enum sm_np_err sm_np_apply(struct sm_nptab *t, const struct sm_np_edit *ed, size_t n, size_t *failed,
                           struct sm_buf *err);
enum sm_np_err sm_np_setattr(struct sm_nptab *t, const char *group, const char *access, struct sm_buf *err);
void sm_np_close(struct sm_nptab *t);
void sm_np_entry_free(struct sm_np_entry *e);

int sm_np_may(const struct sm_np_object *o, uid_t uid, char right);
const char *sm_np_errname(enum sm_np_err e);

#endif
