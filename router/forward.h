/*
 * router/forward.h - find and read a local user's .forward file
 *
 * SYNOPSIS
 *	#define SM_FORWARD_PATH_DEFAULT "$z/.forward.$w+$h:$z/.forward+$h:$z/.forward.$w:$z/.forward"
 *	#define SM_FORWARD_MIN_UID_DEFAULT 1000
 *
 *	struct sm_forward_params fp = { .path = ..., .host = ..., .max_entries = ..., .min_uid = ... };
 *	void sm_forward_find(const struct sm_pw *pw, const char *detail,
 *	                     const struct sm_forward_params *fp, struct sm_forward *out);
 *	void sm_forward_free(struct sm_forward *f);
 *	int sm_forward_expand(const char *elem, size_t len, const struct sm_pw *pw, const char *host,
 *	                      const char *detail, struct sm_buf *out, const char **why);
 *	int sm_forward_detail_ok(const char *detail);
 *
 * DESCRIPTION
 *	sm_forward_find() is called by the router once it knows a local user
 *	pw (name, uid, gid, dir) and the +detail of the address (without its
 *	'+'; NULL or "" when there is none). It expands each ':'-separated
 *	element of fp->path (NULL means SM_FORWARD_PATH_DEFAULT, the Solaris
 *	default; "" disables .forward files) and opens the candidates in order.
 *	The first file that passes the safety checks is read and the search
 *	stops, even when the file is empty. The result is written to out,
 *	which the caller releases with sm_forward_free() (every pointer in it
 *	is owned by out).
 *
 *	Macros in ForwardPath: $z home directory, $w fp->host (the short host
 *	name), $h the detail without its '+', $u the user name, $$ a dollar
 *	sign. An element is skipped when it uses $h and there is no detail, or
 *	the detail holds one of Solaris's operator characters ". : % & ! ^ [ ]
 *	+", a '/', a control character or is longer than 255 bytes (a detail
 *	comes from the network and is never put into a path); when it uses $w
 *	and no host name is known; when it uses $z and the home directory is
 *	not an absolute path; when it uses an unknown macro; or when the result
 *	is not an absolute path or is longer than PATH_MAX. The last four are
 *	logged. sm_forward_expand() does this for one element of len bytes: 1
 *	with the path in out (reset first), 0 when skipped, with *why set to a
 *	static reason for the cases that are logged and NULL for the quiet ones.
 *	sm_forward_detail_ok() says whether a detail may be put into a path.
 *
 *	Safety checks on a candidate (sendmail's include() with forwarding,
 *	made without following symbolic links):
 *	  - every directory from / down to the file's directory is examined
 *	    with lstat(2) (a symbolically linked directory is allowed, but the
 *	    directories of its resolved path are examined too). The sticky bit
 *	    is not trusted (sendmail's default). A directory that is group- or
 *	    world-writable, or owned by neither root nor pw->uid, makes the
 *	    path UNSAFE: the file may still be read, but out->unsafe is set
 *	    (no program or file deliveries from it) and out->reason says why;
 *	  - the file itself is examined with lstat(2) before it is opened
 *	    (so a FIFO or device is never opened), opened with
 *	    O_NOFOLLOW|O_NONBLOCK, and examined again with fstat(2), which
 *	    must show the same file;
 *	  - it must be a regular file, owned by pw->uid or by root;
 *	  - a group- or world-writable .forward is REFUSED (§4.3 item 1: we
 *	    take the strict reading and there is no DontBlameSendmail);
 *	  - a symbolic link is REFUSED, in a safe directory too (the Solaris
 *	    rule: "a .forward cannot be a symbolic link");
 *	  - in an unsafe directory path, a file with more than one hard link
 *	    is refused; a root-owned file with more than one link is refused
 *	    everywhere (a user must not be able to link a root-owned file such
 *	    as /etc/shadow into the home directory: it would pass the owner
 *	    check and be read with our privileges).
 *
 *	Accounts: uid 0 never has its .forward files read (Solaris: root and
 *	bin must use aliases), nor does an account whose uid is below
 *	fp->min_uid (system accounts; 0 turns this second rule off). The
 *	recommended value, SM_FORWARD_MIN_UID_DEFAULT, is Debian's first
 *	ordinary uid (FIRST_UID in adduser.conf; 1-999 are system accounts).
 *	Both give SM_FORWARD_NONE with out->reason set: the mail goes to the
 *	mailbox.
 *
 *	Contents: each line is a comma-separated list of addresses (split with
 *	sm_split_list()); a line whose first non-blank byte is '#' and a blank
 *	line are comments; " #@# " (a blank, "#@#", a blank or the end of the
 *	line) starts a comment; there are no continuation lines; one CR before
 *	the newline is dropped. A line longer than 65536 bytes or holding a NUL
 *	is skipped and logged. At most fp->max_entries addresses are kept (0:
 *	no limit); if the file holds more, the rest are ignored and
 *	out->truncated is set. The addresses are returned as written (a
 *	leading '\' is kept: the router delivers "\user" to the mailbox).
 *
 *	The result (struct sm_forward):
 *	  status   SM_FORWARD_NONE: no .forward to use (none exists, all were
 *	           refused, ForwardPath is empty, or the account may not have
 *	           one): deliver to the mailbox.
 *	           SM_FORWARD_FOUND: path was read; addrs[0..count-1] are the
 *	           addresses (count 0: normal local delivery).
 *	           SM_FORWARD_TEMPFAIL: no file could be read and at least one
 *	           candidate failed for a transient reason, or the file found
 *	           could not be read to its end: defer the mail.
 *	  path     FOUND: the file read (also set on TEMPFAIL after a read
 *	           error on it).
 *	  unsafe   FOUND: the path is unsafe; programs and files listed in it
 *	           must be refused ("Address A is unsafe for mailing to ...").
 *	  uid, gid FOUND: the controlling user for programs and files:
 *	           pw->uid and pw->gid. The file's owner is in owner; when it
 *	           is root, programs still run as the user, never as root.
 *	  reason   TEMPFAIL: why; FOUND: why the path is unsafe (NULL when
 *	           safe); NONE: the account policy that applied, or NULL.
 *
 * CONFIGURATION
 *	Nothing is read here: the router passes ForwardPath, MaxForwardEntries,
 *	the short host name and the system-account threshold in fp.
 *
 * DIAGNOSTICS
 *	Each refused candidate is logged once, at LOG_WARNING, as "forward
 *	PATH: reason" (the path made printable), for example "Symbolic links
 *	not allowed", "Hard links not allowed", "Group writable file", "World
 *	writable file", "not a regular file", "owned by uid N, not by the user or
 *	root", "file changed after open", or the strerror text of an open or
 *	lstat failure other than ENOENT. ENOENT is not logged. A transient
 *	errno (sm_errno_transient()) is logged at LOG_NOTICE and remembered;
 *	if nothing was found, the result is TEMPFAIL with the reason
 *	"transient .forward open error: message queued (PATH: strerror)".
 *	A read error on the file found gives TEMPFAIL "PATH: read error: ...".
 *	Too many addresses log "Attempt to forward to more than N addresses
 *	(in PATH)!" at LOG_ERR. The account policy is logged at LOG_NOTICE once
 *	per process: "forward files of root are not read; use aliases" and
 *	"forward files of system accounts (uid below N) are not read; use
 *	aliases (USER)". An unsafe path is not logged: it is in out->reason.
 */
#ifndef SM_FORWARD_H
#define SM_FORWARD_H

#include <stddef.h>
#include <sys/types.h>

#include "lib/buf.h"
#include "nsswitch/passwd.h"

#define SM_FORWARD_PATH_DEFAULT "$z/.forward.$w+$h:$z/.forward+$h:$z/.forward.$w:$z/.forward"
#define SM_FORWARD_MIN_UID_DEFAULT 1000

enum sm_forward_status {
	SM_FORWARD_NONE,     /* no .forward to use: deliver to the mailbox */
	SM_FORWARD_FOUND,    /* path was read: addrs, possibly none */
	SM_FORWARD_TEMPFAIL, /* could not tell: defer, never bounce */
};

struct sm_forward_params {
	const char *path;   /* ForwardPath; NULL: SM_FORWARD_PATH_DEFAULT; "": disabled */
	const char *host;   /* $w, the short host name; NULL or "": elements with $w are skipped */
	size_t max_entries; /* MaxForwardEntries; 0: no limit */
	uid_t min_uid;      /* accounts with uid below this have no .forward; 0: only root */
};

struct sm_forward {
	enum sm_forward_status status;
	char *path;    /* FOUND: the file read (also on TEMPFAIL after a read error) */
	char **addrs;  /* FOUND: the addresses in file order */
	size_t count;  /* FOUND: how many */
	int unsafe;    /* FOUND: no programs or files from it */
	int truncated; /* FOUND: more than max_entries addresses; the rest ignored */
	uid_t uid;     /* FOUND: controlling user (pw->uid) */
	gid_t gid;     /* FOUND: controlling group (pw->gid) */
	uid_t owner;   /* FOUND: the file's owner (pw->uid or 0) */
	char *reason;  /* see forward.h DESCRIPTION; may be NULL */
};

void sm_forward_find(const struct sm_pw *pw, const char *detail, const struct sm_forward_params *fp,
                     struct sm_forward *out);
void sm_forward_free(struct sm_forward *f);
int sm_forward_expand(const char *elem, size_t len, const struct sm_pw *pw, const char *host,
                      const char *detail, struct sm_buf *out, const char **why);
int sm_forward_detail_ok(const char *detail);

#endif
