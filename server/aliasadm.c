/*
 * server/aliasadm.c - manage the NIS+ mail_aliases table, as Solaris aliasadm does
 *
 * SYNOPSIS
 *	aliasadm [-D domain] [-M mapname] -a alias expansion [comments [options]]
 *	aliasadm [-D domain] [-M mapname] -c alias expansion [comments [options]]
 *	aliasadm [-D domain] [-M mapname] -d alias
 *	aliasadm [-D domain] [-M mapname] [-n] [-f file] -m alias
 *	aliasadm [-D domain] [-M mapname] [-n] [-f file] -l
 *	aliasadm [-D domain] [-M mapname] [-n] [-f file] -e
 *	aliasadm [-D domain] [-M mapname] [-G group] [-R rights] -I
 *	switchmail additions:
 *	aliasadm [-D domain] [-M mapname] -i aliasfile
 *	aliasadm [-D domain] [-M mapname] [-f file] -x aliases|nismap|ldif [-b basedn]
 *	aliasadm [-D domain] [-M mapname] -G group | -R rights
 *	aliasadm [-D domain] [-M mapname] -o
 *	aliasadm -S ...                       (the sendmailvars table)
 *	aliasadm -C file | -O Name=value ...  (configuration)
 *
 * DESCRIPTION
 *	The table is the emulated NIS+ table MAPNAME.DOMAIN. (nis/nisplus.h)
 *	in NisPlusDirectory; MAPNAME defaults to mail_aliases.org_dir and
 *	DOMAIN to NisDomain (else NameServiceDomain, else the system's
 *	domainname). Options are parsed as Solaris parses them,
 *	getopt("D:M:f:a:c:d:m:leIn"), stopping at the first word that is not
 *	an option; the last mode letter given wins.
 *
 *	-a and -c take the expansion from the word after the alias, then
 *	comments and options from the next two words, each only if it does
 *	not start with "-" (so quote an expansion holding commas or blanks).
 *	The alias and the expansion lose every blank outside double quotes;
 *	comments and options are kept as given. -a adds an entry; -c
 *	replaces its expansion, comments and options (those not given become
 *	empty); -d removes it. -m prints the entry of one alias, -l every
 *	entry sorted by alias (strcmp order), one a line:
 *	    alias: expansion#comments#options
 *	where "#comments#options" appears only when either is non-empty and
 *	-n was not given. -f appends that output to file (opened "a+" when
 *	the option is read) instead of standard output.
 *
 *	-e writes the table in that format to a temporary file (in $TMPDIR,
 *	else /tmp) and runs $VISUAL, else $EDITOR, else /usr/bin/vi on it
 *	(through /bin/sh, as the invoking user); with -f the new contents are
 *	read from that file instead and no editor runs. The result is parsed
 *	(lines starting with "#" and blank lines are skipped; a line starting
 *	with a blank continues the entry above; the alias ends at the first
 *	":", the expansion at the next "#" outside parentheses, the comments
 *	at the next one, the options take the rest) and compared with the
 *	table as it was when the file was written: aliases no longer there
 *	are removed, new ones added, changed ones changed. switchmail
 *	validates the whole file first and writes nothing unless every entry
 *	is good (a continuation line with nothing to continue, a line
 *	without ":", an empty alias or expansion, an alias given twice, a
 *	NUL), and then applies every change in one transaction: all or
 *	nothing, and nothing when the editor fails or someone else added,
 *	changed or removed one of the aliases the edit touches meanwhile
 *	(other aliases may change freely). A temporary file that held errors
 *	is kept for the user ("your edits are in FILE").
 *
 *	-I creates the table: NIS+'s mail_aliases type (columns alias and
 *	expansion searchable, comments, options), owner LOGIN.DOMAIN., no
 *	group, rights ----rmcdr---r---, TTL 24 hours.
 *
 *	switchmail additions, whose letters Solaris aliasadm does not use:
 *	-i FILE imports an aliases(5) file ("-" for standard input), parsed
 *	    as newaliases parses it (keys in lower case): new aliases are
 *	    added, aliases already in the table get the file's expansion
 *	    (their comments and options are kept). A bad entry, or an alias
 *	    given twice, writes nothing. Prints "N aliases imported: A added,
 *	    C changed, U unchanged".
 *	-x FORMAT exports the table: "aliases" (an aliases(5) file: each
 *	    entry's comments on a "# " line above it, options dropped),
 *	    "nismap" ("alias<TAB>expansion" lines, what makedbm reads;
 *	    aliases holding blanks cannot be keys and are left out with a
 *	    warning) or "ldif" (one nisMailAlias entry per alias, "dn:
 *	    cn=ALIAS,BASEDN" with the base DN of -b, cn, and one
 *	    rfc822MailMember per member of the expansion; the ldap source's
 *	    default layout).
 *	-G GROUP and -R RIGHTS set the table's group (a system group; stored
 *	    as GROUP.DOMAIN., "" for none) and access rights (16 characters,
 *	    e.g. ----rmcdrmcdr---): with -I, for the new table; alone, they
 *	    change the table, as nischgrp and nischmod do.
 *	-o prints the table object, as niscat -o does.
 *	-S works on the sendmailvars table (default sendmailvars.org_dir,
 *	    columns key and value: "-a key value", "-l" prints "key: value",
 *	    values are kept as given); -i and -x do not apply.
 *	-C FILE and -O Name=value name the configuration file and override
 *	    settings, as for switchmail.
 *
 *	Access control. Reading needs the "r" right and changing the table
 *	"c" (add), "m" (change) or "d" (remove): see sm_np_may() in
 *	nis/nisplus.h (root may do anything; owner, group from the system's
 *	group membership, world and nobody rights otherwise). -G and -R need
 *	"m". Creating a table needs only a NisPlusDirectory the file system
 *	lets the invoking user write (set-user-ID or not). The table's file
 *	follows its rights (readable by all, writable by the classes that
 *	may change it), so aliasadm works without privileges for the owner
 *	and, once the group has rights, for the group. aliasadm may also be installed set-user-ID to
 *	the owner of NisPlusDirectory: it then works as the invoking user,
 *	using the saved ID only to open the table, and checks the rights of
 *	the real user. -O, and -C naming a file that someone other than the
 *	saved user (or root) owns or may write, or that lies in such a
 *	directory, give the privilege up for good. The editor and every file
 *	named on the command line are handled as the invoking user.
 *
 * WHO FREES WHAT
 *	Everything is released before exit.
 *
 * CONFIGURATION
 *	NisPlusDirectory, NisDomain, NameServiceDomain, MaxAliasLineLength;
 *	the file /etc/mail/switchmail.conf (or -C) may be missing.
 *
 * DIAGNOSTICS
 *	Exit status 255 on every error below, 0 otherwise. As Solaris:
 *	    alias NAME: is already in the map
 *	    alias NAME: not found in the map
 *	    NIS alias add failed: N      (N the NIS+ status: 10 permission,
 *	    NIS alias modify failed: N    23 no such table, 14 exists,
 *	    NIS alias remove failed: N    2 not found, 8 system error,
 *	    NIS alias map creation failed: N   7 try again, 34 changed
 *	                                        meanwhile (-e))
 *	    Alias table MAP.DOMAIN already exists
 *	    Alias table MAP.DOMAIN does not exist      (-e; also -i, -x, -o)
 *	    Can't get current domain
 *	    FILE:Can not open:: REASON                (-f)
 *	    Invalid argument, and the usage (the usage alone without a mode)
 *	    Non-continuation line starts with space   (-e, with the line)
 *	-m of an alias not in the table, and -l or -m of a missing table or
 *	one the user may not read, print nothing and exit 0, as on Solaris.
 *	switchmail's own messages start with "aliasadm: ": edit and import
 *	errors ("aliasadm: FILE: line N: missing colon"), "aliasadm: the
 *	editor failed ...", "aliasadm: NIS alias table change failed: N"
 *	(-G, -R), and the reason a table could not be read.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/lines.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "nis/nisplus.h"
#include "nsswitch/aliases.h"
#include "server/cmdline.h"

#define AA_FAIL 255
#define AA_LINEMAX (1 << 20)

enum aa_mode {
	AA_NONE,
	AA_ADD,
	AA_CHANGE,
	AA_DELETE,
	AA_EDIT,
	AA_MATCH,
	AA_LIST,
	AA_INIT,
	AA_IMPORT,
	AA_EXPORT,
	AA_OBJECT,
	AA_SETATTR,
};

/* one entry as the user wrote it */
struct aa_entry {
	char *col[4]; /* alias/key, expansion/value, comments, options */
	unsigned long line;
};

struct aa_list {
	struct aa_entry *v;
	size_t n, cap;
};

/* the command line and what it leads to */
struct aa {
	const char *prog;
	enum aa_mode mode;
	int print_comments;
	int vars; /* -S: the sendmailvars table */
	FILE *fp; /* -f */
	const char *fpath;
	const char *domain_opt; /* -D */
	const char *map;        /* -M */
	const char *match;      /* -m */
	const char *import;     /* -i */
	const char *format;     /* -x */
	const char *basedn;     /* -b */
	const char *group;      /* -G */
	const char *rights;     /* -R */
	struct aa_entry arg;    /* -a, -c, -d */
	const char *confpath;
	int explicit_conf;
	char **overrides;
	size_t noverrides;
	/* derived */
	struct sm_config *cf;
	char *domain;   /* without the final dot */
	char *shown;    /* the domain as messages show it */
	char *fullname; /* MAP.DOMAIN. */
	const char *dir;
};

/* ---- privileges (set-user-ID installations) ---- */

static uid_t real_uid, saved_uid;
static gid_t real_gid, saved_gid;
static int privileged;

/* die - print a message and exit 255 */
static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(AA_FAIL);
}

/* priv_init - run as the invoking user from the start; keep the saved IDs for the table */
static void priv_init(void)
{
	real_uid = getuid();
	real_gid = getgid();
	saved_uid = geteuid();
	saved_gid = getegid();
	privileged = real_uid != saved_uid || real_gid != saved_gid;
	if (privileged && (setegid(real_gid) < 0 || seteuid(real_uid) < 0))
		die("aliasadm: cannot switch to the invoking user: %s", strerror(errno));
}

/* priv_on - the saved IDs, to open the table */
static void priv_on(void)
{
	if (privileged && (seteuid(saved_uid) < 0 || setegid(saved_gid) < 0))
		die("aliasadm: cannot regain privileges: %s", strerror(errno));
}

/* priv_off - back to the invoking user */
static void priv_off(void)
{
	if (privileged && (setegid(real_gid) < 0 || seteuid(real_uid) < 0))
		die("aliasadm: cannot switch to the invoking user: %s", strerror(errno));
}

/* priv_drop - give the saved IDs up for good */
static void priv_drop(void)
{
	if (!privileged)
		return;
	priv_on();
	if (setresgid(real_gid, real_gid, real_gid) < 0 || setresuid(real_uid, real_uid, real_uid) < 0)
		die("aliasadm: cannot give up privileges: %s", strerror(errno));
	privileged = 0;
}

/* ---- parsing the command line ---- */

/* usage - Solaris's usage text, and a line for switchmail's additions */
static void usage(const char *pname)
{
	fprintf(stderr, "usage:\t%s -a alias expansion [comments] [options]\n", pname);
	fprintf(stderr, "\t%s -c alias expansion [comments] [options]\n", pname);
	fprintf(stderr, "\t%s -e\n", pname);
	fprintf(stderr, "\t%s -d alias\n", pname);
	fprintf(stderr, "\t%s -m alias\n", pname);
	fprintf(stderr, "\t%s -l\n", pname);
	fprintf(stderr, "\t(switchmail: also -I, -i file, -x aliases|nismap|ldif [-b basedn], -o, "
	                "-G group, -R rights, -S, -C file, -O Name=value)\n");
}

/* bad_args - usage, "Invalid argument", exit */
static void __attribute__((noreturn)) bad_args(const char *pname, int usage_first)
{
	if (usage_first)
		usage(pname);
	fprintf(stderr, "Invalid argument\n");
	if (!usage_first)
		usage(pname);
	exit(AA_FAIL);
}

/* take_entry - -a/-c: the alias, the expansion after it, comments and options if they follow */
static void take_entry(struct aa *a, int argc, char **argv, const char *alias)
{
	int ind = optind, narg = argc - ind + 1;

	if (narg < 2)
		bad_args(a->prog, 1);
	memset(&a->arg, 0, sizeof(a->arg));
	a->arg.col[0] = sm_strdup(alias);
	a->arg.col[1] = sm_strdup(argv[ind]);
	if (narg >= 3 && *argv[ind + 1] != '-')
		a->arg.col[2] = sm_strdup(argv[ind + 1]);
	if (narg >= 4 && *argv[ind + 1] != '-' && *argv[ind + 2] != '-')
		a->arg.col[3] = sm_strdup(argv[ind + 2]);
}

/* parse_args - the command line, as Solaris's argparse */
static void parse_args(struct aa *a, int argc, char **argv)
{
	int c;

	a->overrides = sm_calloc((size_t)argc + 1, sizeof(char *));
	while ((c = getopt(argc, argv, "+D:M:f:a:c:d:m:leInC:O:i:x:b:G:R:oS")) != -1) {
		switch (c) {
		case 'a':
			a->mode = AA_ADD;
			take_entry(a, argc, argv, optarg);
			break;
		case 'c':
			a->mode = AA_CHANGE;
			take_entry(a, argc, argv, optarg);
			break;
		case 'D':
			a->domain_opt = optarg;
			break;
		case 'd':
			a->mode = AA_DELETE;
			memset(&a->arg, 0, sizeof(a->arg));
			a->arg.col[0] = sm_strdup(optarg);
			break;
		case 'M':
			a->map = optarg;
			break;
		case 'm':
			a->mode = AA_MATCH;
			a->match = optarg;
			break;
		case 'n':
			a->print_comments = 0;
			break;
		case 'f':
			if (a->fp)
				fclose(a->fp);
			a->fp = fopen(optarg, "a+");
			if (a->fp == NULL) {
				fprintf(stderr, "%s:", optarg);
				perror("Can not open:");
				exit(AA_FAIL);
			}
			a->fpath = optarg;
			break;
		case 'e':
			a->mode = AA_EDIT;
			break;
		case 'l':
			a->mode = AA_LIST;
			break;
		case 'I':
			a->mode = AA_INIT;
			break;
		case 'C':
			a->confpath = optarg;
			a->explicit_conf = 1;
			break;
		case 'O':
			a->overrides[a->noverrides++] = optarg;
			break;
		case 'i':
			a->mode = AA_IMPORT;
			a->import = optarg;
			break;
		case 'x':
			a->mode = AA_EXPORT;
			a->format = optarg;
			break;
		case 'b':
			a->basedn = optarg;
			break;
		case 'G':
			a->group = optarg;
			break;
		case 'R':
			a->rights = optarg;
			break;
		case 'o':
			a->mode = AA_OBJECT;
			break;
		case 'S':
			a->vars = 1;
			break;
		default:
			bad_args(a->prog, 0);
		}
	}
	if ((a->group || a->rights) && a->mode == AA_NONE)
		a->mode = AA_SETATTR;
	if ((a->group || a->rights) && a->mode != AA_SETATTR && a->mode != AA_INIT)
		die("aliasadm: -G and -R go with -I or alone");
	if (a->vars && (a->mode == AA_IMPORT || a->mode == AA_EXPORT))
		die("aliasadm: -i and -x work on mail_aliases tables, not with -S");
}

/* ---- entries ---- */

/* space_rm - remove every blank outside double quotes, in place */
static char *space_rm(char *s)
{
	char *in = s, *out = s;
	int quoted = 0;

	for (; *in; in++) {
		if (*in == '"')
			quoted = !quoted;
		if (quoted || !isspace((unsigned char)*in))
			*out++ = *in;
	}
	*out = '\0';
	return s;
}

/* col - a column of an entry, "" when unset */
static const char *col(const struct aa_entry *e, size_t i)
{
	return e->col[i] ? e->col[i] : "";
}

/* entry_free - release an entry's columns */
static void entry_free(struct aa_entry *e)
{
	size_t i;

	for (i = 0; i < 4; i++)
		free(e->col[i]);
	memset(e, 0, sizeof(*e));
}

/* list_add - append an entry (taken over) */
static void list_add(struct aa_list *l, struct aa_entry *e)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->v = sm_realloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n++] = *e;
	memset(e, 0, sizeof(*e));
}

/* list_free - release a list */
static void list_free(struct aa_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		entry_free(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* entry_cmp - by alias, strcmp order */
static int entry_cmp(const void *pa, const void *pb)
{
	const struct aa_entry *a = pa, *b = pb;

	return strcmp(a->col[0], b->col[0]);
}

/* list_find - the entry of an alias in a sorted list, or NULL */
static struct aa_entry *list_find(const struct aa_list *l, const char *name)
{
	struct aa_entry key;

	memset(&key, 0, sizeof(key));
	key.col[0] = (char *)name;
	return l->n ? bsearch(&key, l->v, l->n, sizeof(*l->v), entry_cmp) : NULL;
}

/* ncols - columns of the table type */
static size_t ncols(const struct aa *a)
{
	return a->vars ? 2 : 4;
}

/* to_np - an entry as the table takes it (pointers into e) */
static struct sm_np_entry to_np(const struct aa *a, const struct aa_entry *e)
{
	struct sm_np_entry ne;
	size_t i;

	memset(&ne, 0, sizeof(ne));
	ne.ncols = ncols(a);
	for (i = 0; i < ne.ncols; i++)
		ne.col[i] = (char *)col(e, i);
	return ne;
}

/* from_np - a copy of a table entry */
static void from_np(const struct sm_np_entry *ne, struct aa_entry *e)
{
	size_t i;

	memset(e, 0, sizeof(*e));
	for (i = 0; i < ne->ncols && i < 4; i++)
		e->col[i] = sm_strdup(ne->col[i]);
}

/* same - do two entries have the same columns? */
static int same(const struct aa *a, const struct aa_entry *x, const struct aa_entry *y)
{
	size_t i;

	for (i = 0; i < ncols(a); i++)
		if (strcmp(col(x, i), col(y, i)) != 0)
			return 0;
	return 1;
}

/* print_entry - "alias: expansion[#comments#options]" (sendmailvars: "key: value") */
static void print_entry(const struct aa *a, FILE *fp, const struct aa_entry *e)
{
	fprintf(fp, "%s: %s", col(e, 0), col(e, 1));
	if (!a->vars && a->print_comments && (*col(e, 2) || *col(e, 3)))
		fprintf(fp, "#%s#%s", col(e, 2), col(e, 3));
	fputc('\n', fp);
}

/* has_ctl - does any column hold a CR or LF? */
static int has_ctl(const struct aa_entry *e)
{
	size_t i;

	for (i = 0; i < 4; i++)
		if (e->col[i] && strpbrk(e->col[i], "\r\n"))
			return 1;
	return 0;
}

/* ---- the table ---- */

/* open_table - the table, for writing when asked and allowed (else for reading) */
static enum sm_np_err open_table(struct aa *a, int write, struct sm_nptab **t, int *writable,
                                 struct sm_buf *err)
{
	enum sm_np_err ne;

	priv_on();
	ne = sm_np_open(a->dir, a->fullname, write, t, err);
	*writable = write && ne == SM_NP_SUCCESS;
	if (write && ne == SM_NP_PERMISSION) {
		sm_buf_reset(err);
		ne = sm_np_open(a->dir, a->fullname, 0, t, err);
	}
	priv_off();
	return ne;
}

/* read_failed - report why a table could not be read, for modes that must read it */
static void read_failed(enum sm_np_err ne, const struct sm_buf *err)
{
	switch (ne) {
	case SM_NP_SUCCESS:
	case SM_NP_NOSUCHTABLE:
		return;
	case SM_NP_NOTFOUND:
	case SM_NP_TRYAGAIN:
	case SM_NP_SYSTEMERROR:
	case SM_NP_PERMISSION:
	case SM_NP_NAMEEXISTS:
	case SM_NP_NOTSAMEOBJ:
		fprintf(stderr, "aliasadm: %s\n", err->data ? err->data : sm_np_errname(ne));
		return;
	}
}

/* snapshot_fn, snapshot - every entry of the table, sorted */
static int snapshot_fn(void *ctx, const struct sm_np_entry *ne)
{
	struct aa_entry e;

	from_np(ne, &e);
	list_add(ctx, &e);
	return 0;
}

static enum sm_np_err snapshot(struct sm_nptab *t, struct aa_list *l, struct sm_buf *err)
{
	return sm_np_list(t, snapshot_fn, l, err);
}

/* apply - edits in one transaction; the op of the edit that failed in *failed_op */
static enum sm_np_err apply(struct sm_nptab *t, const struct sm_np_edit *ed, size_t n,
                            enum sm_np_op *failed_op, size_t *failed, struct sm_buf *err)
{
	enum sm_np_err ne;
	size_t at = 0;

	ne = sm_np_apply(t, ed, n, &at, err);
	if (ne != SM_NP_SUCCESS && n) {
		*failed_op = ed[at < n ? at : 0].op;
		*failed = at;
	}
	return ne;
}

/* op_word - "add", "modify", "remove" for "NIS alias %s failed" */
static const char *op_word(enum sm_np_op op)
{
	switch (op) {
	case SM_NP_ADD:
	case SM_NP_PUT:
		return "add";
	case SM_NP_MODIFY:
		return "modify";
	case SM_NP_REMOVE:
		return "remove";
	}
	return "add";
}

/* op_right - the right an edit needs */
static char op_right(enum sm_np_op op)
{
	switch (op) {
	case SM_NP_ADD:
	case SM_NP_PUT:
		return 'c';
	case SM_NP_MODIFY:
		return 'm';
	case SM_NP_REMOVE:
		return 'd';
	}
	return 'c';
}

/* ---- the modes ---- */

/* do_change - -a, -c, -d */
static int do_change(struct aa *a)
{
	struct sm_buf err = SM_BUF_INIT;
	struct sm_nptab *t = NULL;
	struct sm_np_entry old;
	struct sm_np_edit ed;
	enum sm_np_err ne;
	enum sm_np_op op = a->mode == AA_ADD ? SM_NP_ADD : a->mode == AA_CHANGE ? SM_NP_MODIFY : SM_NP_REMOVE;
	int writable, exists;
	const char *name;

	space_rm(a->arg.col[0]);
	if (a->arg.col[1] && !a->vars)
		space_rm(a->arg.col[1]);
	if (has_ctl(&a->arg))
		die("aliasadm: CR or LF in an argument");
	name = a->arg.col[0];
	ne = open_table(a, 1, &t, &writable, &err);
	exists = 0;
	if (ne == SM_NP_SUCCESS) {
		ne = sm_np_get(t, name, &old, &err);
		exists = ne == SM_NP_SUCCESS;
		sm_np_entry_free(&old);
		if (ne == SM_NP_NOTFOUND)
			ne = SM_NP_SUCCESS;
	}
	if (ne == SM_NP_SUCCESS || ne == SM_NP_NOSUCHTABLE) {
		if (op == SM_NP_ADD && exists) {
			fprintf(stderr, "alias %s: is already in the map\n", name);
			goto fail;
		}
		if (op != SM_NP_ADD && !exists) {
			fprintf(stderr, "alias %s: not found in the map\n", name);
			goto fail;
		}
	}
	if (ne == SM_NP_SUCCESS && (!writable || !sm_np_may(sm_np_object(t), real_uid, op_right(op))))
		ne = SM_NP_PERMISSION;
	if (ne == SM_NP_SUCCESS) {
		memset(&ed, 0, sizeof(ed));
		ed.op = op;
		ed.e = to_np(a, &a->arg);
		ne = sm_np_apply(t, &ed, 1, NULL, &err);
		if (ne == SM_NP_NAMEEXISTS) { /* added by someone else meanwhile */
			fprintf(stderr, "alias %s: is already in the map\n", name);
			goto fail;
		}
		if (ne == SM_NP_NOTFOUND) {
			fprintf(stderr, "alias %s: not found in the map\n", name);
			goto fail;
		}
	}
	if (ne != SM_NP_SUCCESS) {
		fprintf(stderr, "NIS alias %s failed: %d\n", op_word(op), (int)ne);
		goto fail;
	}
	sm_np_close(t);
	sm_buf_free(&err);
	return 0;
fail:
	sm_np_close(t);
	sm_buf_free(&err);
	return AA_FAIL;
}

/* print_fn - -l */
static int print_fn(void *ctx, const struct sm_np_entry *ne)
{
	struct aa *a = ctx;
	struct aa_entry e;

	from_np(ne, &e);
	print_entry(a, a->fp ? a->fp : stdout, &e);
	entry_free(&e);
	return 0;
}

/* do_read - -m and -l; nothing printed when the table is missing or not readable */
static int do_read(struct aa *a)
{
	struct sm_buf err = SM_BUF_INIT;
	struct sm_nptab *t = NULL;
	struct sm_np_entry ne;
	struct aa_entry e;
	enum sm_np_err rc;
	char *name;
	int writable;

	rc = open_table(a, 0, &t, &writable, &err);
	read_failed(rc, &err);
	if (rc == SM_NP_SUCCESS && sm_np_may(sm_np_object(t), real_uid, 'r')) {
		if (a->mode == AA_LIST) {
			rc = sm_np_list(t, print_fn, a, &err);
			read_failed(rc, &err);
		} else {
			name = space_rm(sm_strdup(a->match));
			rc = sm_np_get(t, name, &ne, &err);
			if (rc == SM_NP_SUCCESS) {
				from_np(&ne, &e);
				print_entry(a, a->fp ? a->fp : stdout, &e);
				entry_free(&e);
				sm_np_entry_free(&ne);
			} else if (rc != SM_NP_NOTFOUND) {
				read_failed(rc, &err);
			}
			free(name);
		}
	}
	sm_np_close(t);
	sm_buf_free(&err);
	return 0;
}

/* group_name - -G as the table stores it; caller frees */
static char *group_name(const struct aa *a)
{
	size_t n = strlen(a->group);

	if (n == 0)
		return sm_strdup("");
	if (strchr(a->group, '.'))
		return sm_asprintf("%s%s", a->group, a->group[n - 1] == '.' ? "" : ".");
	return sm_asprintf("%s.%s.", a->group, a->domain);
}

/* do_init - -I */
static int do_init(struct aa *a)
{
	struct sm_buf err = SM_BUF_INIT;
	struct sm_np_object o;
	struct passwd *pw = getpwuid(real_uid);
	struct sm_nptab *t = NULL;
	enum sm_np_err ne;
	int writable;

	if (pw == NULL)
		die("aliasadm: user %lu has no login name", (unsigned long)real_uid);
	sm_np_object_init(&o, sm_np_schema(a->vars ? "sendmailvars" : "mail_aliases"), a->fullname, a->domain,
	                  pw->pw_name);
	if (a->group) {
		free(o.group);
		o.group = group_name(a);
	}
	if (a->rights)
		memcpy(o.access, a->rights, 17);
	/* as the invoking user even when set-user-ID: who may create tables is the directory's business */
	ne = sm_np_create(a->dir, &o, &err);
	if (ne == SM_NP_PERMISSION && open_table(a, 0, &t, &writable, &err) == SM_NP_SUCCESS)
		ne = SM_NP_NAMEEXISTS; /* Solaris looks first: report that it exists */
	sm_np_close(t);
	sm_np_object_free(&o);
	if (ne == SM_NP_NAMEEXISTS) {
		fprintf(stderr, "Alias table %s.%s already exists\n", a->map, a->shown);
		sm_buf_free(&err);
		return AA_FAIL;
	}
	if (ne != SM_NP_SUCCESS) {
		fprintf(stderr, "NIS alias map creation failed: %d\n", (int)ne);
		sm_buf_free(&err);
		return AA_FAIL;
	}
	sm_buf_free(&err);
	return 0;
}

/* do_setattr - -G, -R */
static int do_setattr(struct aa *a)
{
	struct sm_buf err = SM_BUF_INIT;
	struct sm_nptab *t = NULL;
	enum sm_np_err ne;
	int writable;
	char *group = a->group ? group_name(a) : NULL;

	ne = open_table(a, 1, &t, &writable, &err);
	if (ne == SM_NP_SUCCESS && (!writable || !sm_np_may(sm_np_object(t), real_uid, 'm')))
		ne = SM_NP_PERMISSION;
	if (ne == SM_NP_SUCCESS) {
		priv_on(); /* the file's mode and group follow: done as the file's owner */
		ne = sm_np_setattr(t, group, a->rights, &err);
		priv_off();
	}
	sm_np_close(t);
	free(group);
	if (ne != SM_NP_SUCCESS) {
		fprintf(stderr, "aliasadm: NIS alias table change failed: %d\n", (int)ne);
		sm_buf_free(&err);
		return AA_FAIL;
	}
	sm_buf_free(&err);
	return 0;
}

/* do_object - -o: the table object as niscat -o prints it */
static int do_object(struct aa *a)
{
	struct sm_buf err = SM_BUF_INIT;
	struct sm_nptab *t = NULL;
	const struct sm_np_object *o;
	enum sm_np_err ne;
	int writable;
	size_t i;

	ne = open_table(a, 0, &t, &writable, &err);
	if (ne != SM_NP_SUCCESS) {
		if (ne == SM_NP_NOSUCHTABLE)
			fprintf(stderr, "Alias table %s.%s does not exist\n", a->map, a->shown);
		else
			read_failed(ne, &err);
		sm_buf_free(&err);
		return AA_FAIL;
	}
	o = sm_np_object(t);
	printf("Object Name   : \"%s\"\n", o->name);
	printf("Directory     : \"%s\"\n", o->directory);
	printf("Owner         : \"%s\"\n", o->owner);
	printf("Group         : \"%s\"\n", o->group);
	printf("Access Rights : %s\n", o->access);
	printf("Time to Live  : %lu:%lu:%lu\n", o->ttl / 3600, o->ttl / 60 % 60, o->ttl % 60);
	printf("Object Type   : TABLE\n");
	printf("Table Type          : %s\n", o->type);
	printf("Number of Columns   : %zu\n", o->ncols);
	printf("Character Separator : %c\n", o->sep);
	printf("Search Path         : \n");
	printf("Columns             :\n");
	for (i = 0; i < o->ncols; i++) {
		printf("\t[%zu]\tName          : %s\n", i, o->cols[i]);
		printf("\t\tAttributes    : (%sTEXTUAL DATA)\n", o->searchable[i] ? "SEARCHABLE, " : "");
		printf("\t\tAccess Rights : %s\n", o->access);
	}
	sm_np_close(t);
	sm_buf_free(&err);
	return 0;
}

/* ---- -e ---- */

/* edit_error - one problem with the edited file */
static void __attribute__((format(printf, 4, 5)))
edit_error(const char *path, unsigned long line, int *nerr, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "aliasadm: %s: line %lu: ", path, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	(*nerr)++;
}

/* split_field - the text up to the next '#' outside parentheses; *p moves past the '#' */
static char *split_field(char **p, int *more)
{
	char *s = *p, *q;
	int depth = 0;

	for (q = s; *q && (*q != '#' || depth > 0); q++) {
		if (*q == '(')
			depth++;
		else if (*q == ')' && depth > 0)
			depth--;
	}
	*more = *q == '#';
	if (*q)
		*q++ = '\0';
	*p = q;
	return sm_strdup(s);
}

/* trim - blanks around s, in place */
static char *trim(char *s)
{
	size_t n = strlen(s), i = 0;

	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	while (isspace((unsigned char)s[i]))
		i++;
	memmove(s, s + i, n - i + 1);
	return s;
}

/* parse_entry - one logical entry of the edit format into e; 0, or -1 after an error */
static int parse_entry(const struct aa *a, char *text, unsigned long line, const char *path,
                       struct aa_entry *e, int *nerr)
{
	char *colon = strchr(text, ':'), *p;
	int more;

	memset(e, 0, sizeof(*e));
	e->line = line;
	if (colon == NULL) {
		edit_error(path, line, nerr, "missing colon");
		return -1;
	}
	*colon = '\0';
	e->col[0] = space_rm(sm_strdup(text));
	p = colon + 1;
	if (a->vars) {
		e->col[1] = trim(sm_strdup(p));
	} else {
		e->col[1] = space_rm(split_field(&p, &more));
		e->col[2] = more ? split_field(&p, &more) : sm_strdup("");
		e->col[3] = sm_strdup(more ? p : "");
	}
	if (*e->col[0] == '\0') {
		edit_error(path, line, nerr, "missing alias name");
		entry_free(e);
		return -1;
	}
	if (*e->col[1] == '\0') {
		edit_error(path, line, nerr, "missing value for alias %s", e->col[0]);
		entry_free(e);
		return -1;
	}
	return 0;
}

/* parse_edit - the whole edited file, sorted; the number of errors */
static int parse_edit(const struct aa *a, FILE *fp, const char *path, struct aa_list *out)
{
	struct sm_lines lr;
	struct sm_buf ent = SM_BUF_INIT;
	unsigned long start = 0;
	struct aa_entry e;
	int rc, nerr = 0, have = 0;
	size_t i;

	sm_lines_from(&lr, fp, path, AA_LINEMAX);
	for (;;) {
		rc = sm_lines_next(&lr);
		if (rc > 0 && (lr.has_nul || lr.too_long)) {
			edit_error(path, lr.lineno, &nerr, "%s",
			           lr.has_nul ? "NUL byte in line" : "line too long");
			continue;
		}
		if (rc > 0 && lr.line.len && lr.line.data[lr.line.len - 1] == '\r')
			lr.line.data[--lr.line.len] = '\0';
		if (rc > 0 && lr.line.len && (lr.line.data[0] == ' ' || lr.line.data[0] == '\t')) {
			if (have)
				sm_buf_add(&ent, lr.line.data, lr.line.len);
			else
				edit_error(path, lr.lineno, &nerr, "Non-continuation line starts with space");
			continue;
		}
		if (have) { /* the entry so far is complete */
			if (parse_entry(a, ent.data, start, path, &e, &nerr) == 0)
				list_add(out, &e);
			have = 0;
		}
		if (rc <= 0)
			break;
		if (lr.line.len == 0 || lr.line.data[0] == '#')
			continue;
		sm_buf_reset(&ent);
		sm_buf_add(&ent, lr.line.data, lr.line.len);
		start = lr.lineno;
		have = 1;
	}
	if (rc < 0) {
		fprintf(stderr, "aliasadm: %s: %s\n", path, strerror(lr.err));
		nerr++;
	}
	sm_lines_close(&lr);
	sm_buf_free(&ent);
	if (out->n > 1)
		qsort(out->v, out->n, sizeof(*out->v), entry_cmp);
	for (i = 1; i < out->n; i++)
		if (strcmp(out->v[i - 1].col[0], out->v[i].col[0]) == 0)
			edit_error(path,
			           out->v[i].line > out->v[i - 1].line ? out->v[i].line : out->v[i - 1].line,
			           &nerr, "alias %s given twice", out->v[i].col[0]);
	return nerr;
}

/* run_editor - $VISUAL, $EDITOR or /usr/bin/vi on path, as the invoking user; its wait status */
static int run_editor(const char *path)
{
	const char *ed = getenv("VISUAL");
	pid_t pid;
	int status;

	if (ed == NULL || *ed == '\0')
		ed = getenv("EDITOR");
	if (ed == NULL || *ed == '\0')
		ed = "/usr/bin/vi";
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		die("aliasadm: fork: %s", strerror(errno));
	if (pid == 0) {
		priv_drop();
		execl("/bin/sh", "sh", "-c", "exec $0 \"$1\"", ed, path, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die("aliasadm: waitpid: %s", strerror(errno));
	return status;
}

/* diff - the edits from old to new (both sorted); pointers into the lists and into was[] */
static size_t diff(const struct aa *a, const struct aa_list *old, const struct aa_list *new,
                   struct sm_np_edit *ed, struct sm_np_entry *was)
{
	size_t i, n = 0;

	for (i = 0; i < old->n; i++)
		if (list_find(new, old->v[i].col[0]) == NULL) {
			memset(&ed[n], 0, sizeof(ed[n]));
			ed[n].op = SM_NP_REMOVE;
			ed[n].e = was[n] = to_np(a, &old->v[i]);
			ed[n].old = &was[n]; /* unless someone changed it meanwhile */
			n++;
		}
	for (i = 0; i < new->n; i++) {
		const struct aa_entry *o = list_find(old, new->v[i].col[0]);

		if (o && same(a, o, &new->v[i]))
			continue;
		memset(&ed[n], 0, sizeof(ed[n]));
		ed[n].op = o ? SM_NP_MODIFY : SM_NP_ADD;
		ed[n].e = to_np(a, &new->v[i]);
		if (o) {
			was[n] = to_np(a, o);
			ed[n].old = &was[n];
		}
		n++;
	}
	return n;
}

/* do_edit - -e */
static int do_edit(struct aa *a)
{
	struct sm_buf err = SM_BUF_INIT;
	struct aa_list old = { 0 }, new = { 0 };
	struct sm_nptab *t = NULL;
	struct sm_np_edit *ed = NULL;
	struct sm_np_entry *was = NULL;
	enum sm_np_err ne;
	enum sm_np_op op = SM_NP_ADD;
	const char *tmpdir = getenv("TMPDIR");
	char *tmp = NULL;
	FILE *in = a->fp;
	size_t n, i, at = 0;
	int writable, rc = AA_FAIL, status, fd;

	ne = open_table(a, 0, &t, &writable, &err);
	if (ne == SM_NP_NOSUCHTABLE) {
		fprintf(stderr, "Alias table %s.%s does not exist\n", a->map, a->shown);
		goto out;
	}
	if (ne == SM_NP_SUCCESS && !sm_np_may(sm_np_object(t), real_uid, 'r'))
		ne = SM_NP_PERMISSION;
	if (ne == SM_NP_SUCCESS)
		ne = snapshot(t, &old, &err);
	if (ne != SM_NP_SUCCESS) {
		if (ne == SM_NP_PERMISSION && err.len == 0)
			sm_buf_adds(&err, "you may not read the table");
		read_failed(ne, &err);
		goto out;
	}
	sm_np_close(t); /* not open while the editor runs */
	t = NULL;
	if (in == NULL) {
		tmp = sm_asprintf("%s/aliasadm.XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
		if ((fd = mkstemp(tmp)) < 0 || (in = fdopen(fd, "w+")) == NULL) {
			fprintf(stderr, "aliasadm: %s: %s\n", tmp, strerror(errno));
			goto out;
		}
		for (i = 0; i < old.n; i++)
			print_entry(a, in, &old.v[i]);
		if (fflush(in) != 0) {
			fprintf(stderr, "aliasadm: %s: %s\n", tmp, strerror(errno));
			goto out;
		}
		status = run_editor(tmp);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "aliasadm: the editor failed (%s %d); the table is not changed\n",
			        WIFEXITED(status) ? "exit status" : "signal",
			        WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
			goto out;
		}
		fclose(in); /* editors often write a new file: read it by name */
		in = fopen(tmp, "r");
		if (in == NULL) {
			fprintf(stderr, "aliasadm: %s: %s\n", tmp, strerror(errno));
			goto out;
		}
	} else {
		rewind(in);
	}
	if (parse_edit(a, in, tmp ? tmp : a->fpath, &new) > 0) {
		fprintf(stderr, "aliasadm: nothing written%s%s\n", tmp ? "; your edits are in " : "",
		        tmp ? tmp : "");
		free(tmp);
		tmp = NULL; /* kept for the user */
		goto out;
	}
	ed = sm_calloc(old.n + new.n + 1, sizeof(*ed));
	was = sm_calloc(old.n + new.n + 1, sizeof(*was));
	n = diff(a, &old, &new, ed, was);
	if (n == 0) {
		rc = 0;
		goto out;
	}
	ne = open_table(a, 1, &t, &writable, &err);
	if (ne == SM_NP_NOSUCHTABLE) {
		fprintf(stderr, "Alias table %s.%s does not exist\n", a->map, a->shown);
		goto out;
	}
	if (ne == SM_NP_SUCCESS) {
		for (i = 0; i < n; i++)
			if (!writable || !sm_np_may(sm_np_object(t), real_uid, op_right(ed[i].op))) {
				ne = SM_NP_PERMISSION;
				op = ed[i].op;
				break;
			}
	}
	if (ne == SM_NP_SUCCESS)
		ne = apply(t, ed, n, &op, &at, &err);
	if (ne == SM_NP_NAMEEXISTS || ne == SM_NP_NOTFOUND || ne == SM_NP_NOTSAMEOBJ)
		fprintf(stderr, "aliasadm: alias %s was %s by someone else meanwhile; nothing written\n",
		        ed[at].e.col[0],
		        ne == SM_NP_NAMEEXISTS ? "added"
		        : ne == SM_NP_NOTFOUND ? "removed"
		                               : "changed");
	if (ne == SM_NP_NAMEEXISTS)
		fprintf(stderr, "alias %s: is already in the map\n", ed[at].e.col[0]);
	else if (ne == SM_NP_NOTFOUND)
		fprintf(stderr, "alias %s: not found in the map\n", ed[at].e.col[0]);
	else if (ne != SM_NP_SUCCESS)
		fprintf(stderr, "NIS alias %s failed: %d\n", op_word(op), (int)ne);
	rc = ne == SM_NP_SUCCESS ? 0 : AA_FAIL;
out:
	if (in && in != a->fp)
		fclose(in);
	if (tmp)
		unlink(tmp);
	free(tmp);
	free(ed);
	free(was);
	sm_np_close(t);
	list_free(&old);
	list_free(&new);
	sm_buf_free(&err);
	return rc;
}

/* ---- -i ---- */

struct import_ctx {
	struct aa_list list;
	const char *path;
	int nerr;
};

/* import_entry - one alias of the file */
static void import_entry(void *ctx, const char *key, size_t klen, const char *rhs, size_t rlen,
                         unsigned long lineno)
{
	struct import_ctx *ic = ctx;
	struct aa_entry e;

	memset(&e, 0, sizeof(e));
	e.col[0] = space_rm(sm_strndup(key, klen));
	e.col[1] = space_rm(sm_strndup(rhs, rlen));
	e.col[2] = sm_strdup("");
	e.col[3] = sm_strdup("");
	e.line = lineno;
	if (*e.col[0] == '\0' || *e.col[1] == '\0' || has_ctl(&e)) {
		fprintf(stderr, "aliasadm: %s: line %lu: unusable entry\n", ic->path, lineno);
		ic->nerr++;
		entry_free(&e);
		return;
	}
	list_add(&ic->list, &e);
}

/* import_error - one bad entry of the file */
static void import_error(void *ctx, unsigned long lineno, const char *msg)
{
	struct import_ctx *ic = ctx;

	fprintf(stderr, "aliasadm: %s: line %lu: %s\n", ic->path, lineno, msg);
	ic->nerr++;
}

/* do_import - -i */
static int do_import(struct aa *a)
{
	struct import_ctx ic;
	struct sm_alias_cb cb = { import_entry, import_error, &ic };
	struct sm_buf err = SM_BUF_INIT;
	struct sm_nptab *t = NULL;
	struct sm_np_edit *ed = NULL;
	struct sm_np_entry cur;
	enum sm_np_err ne;
	enum sm_np_op op = SM_NP_ADD;
	size_t i, n = 0, added = 0, changed = 0, same_n = 0, at = 0;
	long maxline = sm_config_int(a->cf, "MaxAliasLineLength");
	int writable, oserr = 0, rc = AA_FAIL;
	FILE *fp;

	memset(&ic, 0, sizeof(ic));
	ic.path = strcmp(a->import, "-") == 0 ? "standard input" : a->import;
	fp = strcmp(a->import, "-") == 0 ? stdin : fopen(a->import, "r");
	if (fp == NULL)
		die("aliasadm: %s: %s", a->import, strerror(errno));
	if (sm_aliases_parse(fp, ic.path, maxline > 0 ? (size_t)maxline : AA_LINEMAX, &cb, &oserr) < 0) {
		fprintf(stderr, "aliasadm: %s: %s\n", ic.path, strerror(oserr));
		ic.nerr++;
	}
	if (fp != stdin)
		fclose(fp);
	if (ic.list.n > 1)
		qsort(ic.list.v, ic.list.n, sizeof(*ic.list.v), entry_cmp);
	for (i = 1; i < ic.list.n; i++)
		if (strcmp(ic.list.v[i - 1].col[0], ic.list.v[i].col[0]) == 0) {
			fprintf(stderr, "aliasadm: %s: line %lu: alias %s given twice\n", ic.path,
			        ic.list.v[i].line > ic.list.v[i - 1].line ? ic.list.v[i].line
			                                                  : ic.list.v[i - 1].line,
			        ic.list.v[i].col[0]);
			ic.nerr++;
		}
	if (ic.nerr) {
		fprintf(stderr, "aliasadm: nothing written\n");
		goto out;
	}
	ne = open_table(a, 1, &t, &writable, &err);
	if (ne == SM_NP_NOSUCHTABLE) {
		fprintf(stderr, "Alias table %s.%s does not exist\n", a->map, a->shown);
		goto out;
	}
	ed = sm_calloc(ic.list.n + 1, sizeof(*ed));
	for (i = 0; ne == SM_NP_SUCCESS && i < ic.list.n; i++) {
		struct aa_entry *e = &ic.list.v[i];

		ne = sm_np_get(t, e->col[0], &cur, &err);
		if (ne == SM_NP_NOTFOUND) {
			ed[n].op = SM_NP_ADD;
			ed[n++].e = to_np(a, e);
			added++;
			ne = SM_NP_SUCCESS;
		} else if (ne == SM_NP_SUCCESS) {
			if (strcmp(cur.col[1], e->col[1]) == 0) {
				same_n++;
			} else {
				free(e->col[2]);
				free(e->col[3]);
				e->col[2] = sm_strdup(cur.col[2]);
				e->col[3] = sm_strdup(cur.col[3]);
				ed[n].op = SM_NP_MODIFY;
				ed[n++].e = to_np(a, e);
				changed++;
			}
			sm_np_entry_free(&cur);
		}
	}
	for (i = 0; ne == SM_NP_SUCCESS && i < n; i++)
		if (!writable || !sm_np_may(sm_np_object(t), real_uid, op_right(ed[i].op))) {
			ne = SM_NP_PERMISSION;
			op = ed[i].op;
		}
	if (ne == SM_NP_SUCCESS && n)
		ne = apply(t, ed, n, &op, &at, &err);
	if (ne != SM_NP_SUCCESS) {
		if (ne == SM_NP_NAMEEXISTS)
			fprintf(stderr, "alias %s: is already in the map\n", ed[at].e.col[0]);
		else
			fprintf(stderr, "NIS alias %s failed: %d\n", op_word(op), (int)ne);
		goto out;
	}
	printf("%zu aliases imported: %zu added, %zu changed, %zu unchanged\n", ic.list.n, added, changed,
	       same_n);
	rc = 0;
out:
	free(ed);
	sm_np_close(t);
	list_free(&ic.list);
	sm_buf_free(&err);
	return rc;
}

/* ---- -x ---- */

/* members - split an expansion at commas outside double quotes; trimmed, empty ones dropped */
static size_t members(const char *s, struct aa_list *out)
{
	const char *p = s, *start = s;
	int quoted = 0;
	struct aa_entry e;

	for (;; p++) {
		if (*p == '\\' && p[1]) {
			p++;
			continue;
		}
		if (*p == '"')
			quoted = !quoted;
		if (*p == '\0' || (*p == ',' && !quoted)) {
			memset(&e, 0, sizeof(e));
			e.col[0] = trim(sm_strndup(start, (size_t)(p - start)));
			if (*e.col[0])
				list_add(out, &e);
			else
				entry_free(&e);
			if (*p == '\0')
				break;
			start = p + 1;
		}
	}
	return out->n;
}

/* ldif_safe - may the value be written as it is (RFC 2849 SAFE-STRING)? */
static int ldif_safe(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (*p == ' ' || *p == ':' || *p == '<')
		return 0;
	for (; *p; p++)
		if (*p >= 0x80 || *p == '\r' || *p == '\n')
			return 0;
	return s[0] == '\0' || s[strlen(s) - 1] != ' ';
}

/* ldif_attr - "attr: value", or "attr:: base64" when the value is not safe */
static void ldif_attr(FILE *fp, const char *attr, const char *val)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = (const unsigned char *)val;
	size_t n = strlen(val), i;

	if (ldif_safe(val)) {
		fprintf(fp, "%s: %s\n", attr, val);
		return;
	}
	fprintf(fp, "%s:: ", attr);
	for (i = 0; i + 2 < n; i += 3)
		fprintf(fp, "%c%c%c%c", b64[p[i] >> 2], b64[((p[i] & 3) << 4) | (p[i + 1] >> 4)],
		        b64[((p[i + 1] & 15) << 2) | (p[i + 2] >> 6)], b64[p[i + 2] & 63]);
	if (n - i == 1)
		fprintf(fp, "%c%c==", b64[p[i] >> 2], b64[(p[i] & 3) << 4]);
	else if (n - i == 2)
		fprintf(fp, "%c%c%c=", b64[p[i] >> 2], b64[((p[i] & 3) << 4) | (p[i + 1] >> 4)],
		        b64[(p[i + 1] & 15) << 2]);
	fputc('\n', fp);
}

/* dn_value - an attribute value escaped for a DN (RFC 4514); caller frees */
static char *dn_value(const char *s)
{
	struct sm_buf b = SM_BUF_INIT;
	size_t n = strlen(s), i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			sm_buf_printf(&b, "\\%02x", c);
		else if (strchr(",+\"\\<>;=", c) || (i == 0 && (c == '#' || c == ' ')) ||
		         (i == n - 1 && c == ' '))
			sm_buf_printf(&b, "\\%c", c);
		else
			sm_buf_addc(&b, c);
	}
	if (b.data == NULL)
		sm_buf_adds(&b, "");
	return sm_buf_steal(&b);
}

struct export_ctx {
	const struct aa *a;
	FILE *fp;
};

/* export_fn - one entry in the chosen format */
static int export_fn(void *ctx, const struct sm_np_entry *ne)
{
	struct export_ctx *x = ctx;
	const char *alias = ne->col[0], *expn = ne->col[1], *comments = ne->col[2];
	struct aa_list m = { 0 };
	size_t i;

	if (strcmp(x->a->format, "aliases") == 0) {
		if (*comments)
			fprintf(x->fp, "# %s\n", comments);
		fprintf(x->fp, "%s: %s\n", alias, expn);
	} else if (strcmp(x->a->format, "nismap") == 0) {
		if (strpbrk(alias, " \t"))
			fprintf(stderr, "aliasadm: alias %s: white space in the name, left out of the map\n",
			        alias);
		else
			fprintf(x->fp, "%s\t%s\n", alias, expn);
	} else {
		char *rdn = dn_value(alias), *dn = sm_asprintf("cn=%s,%s", rdn, x->a->basedn);

		ldif_attr(x->fp, "dn", dn);
		fprintf(x->fp, "objectClass: top\nobjectClass: nisMailAlias\n");
		ldif_attr(x->fp, "cn", alias);
		members(expn, &m);
		for (i = 0; i < m.n; i++)
			ldif_attr(x->fp, "rfc822MailMember", m.v[i].col[0]);
		fputc('\n', x->fp);
		list_free(&m);
		free(rdn);
		free(dn);
	}
	return 0;
}

/* do_export - -x */
static int do_export(struct aa *a)
{
	struct sm_buf err = SM_BUF_INIT;
	struct sm_nptab *t = NULL;
	struct export_ctx x = { a, a->fp ? a->fp : stdout };
	enum sm_np_err ne;
	int writable;

	if (strcmp(a->format, "aliases") != 0 && strcmp(a->format, "nismap") != 0 &&
	    strcmp(a->format, "ldif") != 0)
		die("aliasadm: -x takes aliases, nismap or ldif, not \"%s\"", a->format);
	if (strcmp(a->format, "ldif") == 0 && (a->basedn == NULL || *a->basedn == '\0'))
		die("aliasadm: -x ldif needs -b basedn");
	ne = open_table(a, 0, &t, &writable, &err);
	if (ne == SM_NP_NOSUCHTABLE) {
		fprintf(stderr, "Alias table %s.%s does not exist\n", a->map, a->shown);
		sm_buf_free(&err);
		return AA_FAIL;
	}
	if (ne == SM_NP_SUCCESS && !sm_np_may(sm_np_object(t), real_uid, 'r')) {
		ne = SM_NP_PERMISSION;
		sm_buf_adds(&err, "you may not read the table");
	}
	if (ne == SM_NP_SUCCESS)
		ne = sm_np_list(t, export_fn, &x, &err);
	sm_np_close(t);
	if (ne != SM_NP_SUCCESS) {
		read_failed(ne, &err);
		sm_buf_free(&err);
		return AA_FAIL;
	}
	sm_buf_free(&err);
	return 0;
}

/* ---- main ---- */

/* trusted_conf - is path a file only the privileged owner (or root) can have written? */
static int trusted_conf(const char *path)
{
	char *real = realpath(path, NULL), *slash;
	struct stat sb, db;
	int ok = 0;

	if (real == NULL)
		return 0;
	slash = strrchr(real, '/');
	if (stat(real, &sb) == 0 && S_ISREG(sb.st_mode) && (sb.st_uid == 0 || sb.st_uid == saved_uid) &&
	    (sb.st_mode & 022) == 0 && slash) {
		*slash = '\0';
		ok = stat(*real ? real : "/", &db) == 0 && (db.st_uid == 0 || db.st_uid == saved_uid) &&
		     (db.st_mode & 022) == 0;
	}
	free(real);
	return ok;
}

/* setup - configuration, domain, table name */
static void setup(struct aa *a)
{
	size_t n;

	/* a configuration of the user's choosing gives the privilege up */
	if (a->noverrides || (a->explicit_conf && !trusted_conf(a->confpath)))
		priv_drop();
	if (sm_cmd_config(&a->cf, a->confpath, a->explicit_conf, a->overrides, a->noverrides) != EX_OK)
		exit(AA_FAIL);
	a->dir = sm_config_str(a->cf, "NisPlusDirectory");
	if (a->domain_opt) {
		a->domain = sm_strdup(a->domain_opt);
		n = strlen(a->domain);
		while (n > 0 && a->domain[n - 1] == '.')
			a->domain[--n] = '\0';
		a->shown = sm_strdup(a->domain_opt);
	} else {
		a->domain = sm_nis_domain(a->cf);
		if (a->domain)
			a->shown = sm_asprintf("%s.", a->domain);
	}
	if (a->domain == NULL || *a->domain == '\0')
		die("Can't get current domain");
	if (a->map == NULL)
		a->map = a->vars ? "sendmailvars.org_dir" : "mail_aliases.org_dir";
	a->fullname = sm_np_fullname(a->map, a->domain);
	if (a->fullname == NULL)
		die("aliasadm: %s.%s is not a NIS+ table name", a->map, a->shown);
	if (a->rights && !sm_np_rights_valid(a->rights))
		die("aliasadm: bad access rights \"%s\" (16 characters such as ----rmcdr---r---)", a->rights);
}

/* main - parse, then do what the mode says */
int main(int argc, char **argv)
{
	struct aa a;
	int rc = AA_FAIL;

	priv_init();
	sm_log_init("aliasadm", SM_LOG_STDERR);
	memset(&a, 0, sizeof(a));
	a.prog = argv[0];
	a.print_comments = 1;
	a.confpath = SM_DEFAULT_CONF;
	parse_args(&a, argc, argv);
	if (a.mode == AA_NONE) {
		usage(argv[0]);
		exit(AA_FAIL);
	}
	setup(&a);
	switch (a.mode) {
	case AA_ADD:
	case AA_CHANGE:
	case AA_DELETE:
		rc = do_change(&a);
		break;
	case AA_MATCH:
	case AA_LIST:
		rc = do_read(&a);
		break;
	case AA_INIT:
		rc = do_init(&a);
		break;
	case AA_EDIT:
		rc = do_edit(&a);
		break;
	case AA_IMPORT:
		rc = do_import(&a);
		break;
	case AA_EXPORT:
		rc = do_export(&a);
		break;
	case AA_OBJECT:
		rc = do_object(&a);
		break;
	case AA_SETATTR:
		rc = do_setattr(&a);
		break;
	case AA_NONE:
		break;
	}
	if (a.fp && fclose(a.fp) != 0 && rc == 0) {
		fprintf(stderr, "aliasadm: %s: %s\n", a.fpath, strerror(errno));
		rc = AA_FAIL;
	}
	if (fflush(stdout) != 0 && rc == 0) {
		fprintf(stderr, "aliasadm: standard output: %s\n", strerror(errno));
		rc = AA_FAIL;
	}
	entry_free(&a.arg);
	free(a.overrides);
	free(a.domain);
	free(a.shown);
	free(a.fullname);
	sm_config_free(a.cf);
	return rc;
}
