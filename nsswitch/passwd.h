/*
 * nsswitch/passwd.h - the libc source: local users for the passwd database
 *
 * SYNOPSIS
 *	struct sm_source *sm_libc_create(const char *name, const struct sm_config *cf,
 *	                                 struct sm_buf *err);
 *	int sm_passwd_parse(const char *value, struct sm_pw *pw);
 *	void sm_pw_free(struct sm_pw *pw);
 *
 * DESCRIPTION
 *	Answers the passwd database with getpwnam_r(3), so glibc applies the
 *	passwd line of nsswitch.conf itself; or, when PasswdFile is set, from
 *	that passwd(5)-format file (an unprivileged install of its own). The
 *	value is the passwd line "name:passwd:uid:gid:gecos:dir:shell".
 *	sm_passwd_parse() splits such a value into pw, whose strings the caller
 *	frees with sm_pw_free().
 *
 * DIAGNOSTICS
 *	SUCCESS: found. NOTFOUND: no such user. TRYAGAIN: getpwnam_r returned an
 *	error (EIO, EMFILE, EINTR...: never taken for "unknown user"), or the
 *	PasswdFile could not be read for a transient reason. UNAVAIL: PasswdFile
 *	is missing or unreadable. sm_passwd_parse() returns -1 for a malformed
 *	line.
 */
#ifndef SM_PASSWD_H
#define SM_PASSWD_H

#include <sys/types.h>

#include "nsswitch/source.h"

struct sm_pw {
	char *name;
	uid_t uid;
	gid_t gid;
	char *gecos;
	char *dir;
	char *shell;
};

struct sm_source *sm_libc_create(const char *name, const struct sm_config *cf, struct sm_buf *err);
int sm_passwd_parse(const char *value, struct sm_pw *pw);
void sm_pw_free(struct sm_pw *pw);

#endif
