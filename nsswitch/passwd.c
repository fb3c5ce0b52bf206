/*
 * nsswitch/passwd.c - the libc source: local users for the passwd database
 *
 * See passwd.h. Reads PasswdFile from the configuration.
 *
 * DIAGNOSTICS
 *	See passwd.h.
 */
#include "config.h"

#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "lib/lines.h"
#include "lib/mem.h"
#include "nsswitch/files.h"
#include "nsswitch/passwd.h"

struct sm_libc {
	char *passwdfile; /* empty: getpwnam_r */
};

/* libc_getpw - ask glibc */
static enum sm_status libc_getpw(const char *key, char **value, struct sm_buf *reason)
{
	size_t size = 1024;
	struct passwd pwd, *res = NULL;
	char *buf = NULL;
	int rc;

	for (;;) {
		buf = sm_realloc(buf, size);
		errno = 0;
		rc = getpwnam_r(key, &pwd, buf, size, &res);
		if (rc != ERANGE || size >= (1u << 20))
			break;
		size *= 2;
	}
	if (rc != 0) {
		sm_buf_printf(reason, "getpwnam: %s", strerror(rc));
		free(buf);
		return SM_TRYAGAIN;
	}
	if (res == NULL) {
		free(buf);
		return SM_NOTFOUND;
	}
	*value = sm_asprintf("%s:%s:%lu:%lu:%s:%s:%s", pwd.pw_name, pwd.pw_passwd ? pwd.pw_passwd : "",
	                     (unsigned long)pwd.pw_uid, (unsigned long)pwd.pw_gid,
	                     pwd.pw_gecos ? pwd.pw_gecos : "", pwd.pw_dir ? pwd.pw_dir : "",
	                     pwd.pw_shell ? pwd.pw_shell : "");
	free(buf);
	return SM_SUCCESS;
}

/* libc_file - look the user up in PasswdFile */
static enum sm_status libc_file(const char *path, const char *key, char **value, struct sm_buf *reason)
{
	size_t klen = strlen(key);
	struct sm_lines lr;
	int oserr, rc;

	if (sm_lines_open(&lr, path, 65536, &oserr) < 0) {
		sm_buf_printf(reason, "%s: %s", path, strerror(oserr));
		return sm_errno_transient(oserr) ? SM_TRYAGAIN : SM_UNAVAIL;
	}
	while ((rc = sm_lines_next(&lr)) > 0) {
		if (lr.line.len > klen && memcmp(lr.line.data, key, klen) == 0 && lr.line.data[klen] == ':' &&
		    !lr.has_nul && !lr.too_long) {
			*value = sm_strdup(lr.line.data);
			sm_lines_close(&lr);
			return SM_SUCCESS;
		}
	}
	if (rc < 0) {
		sm_buf_printf(reason, "%s: %s", path, strerror(lr.err));
		sm_lines_close(&lr);
		return SM_TRYAGAIN;
	}
	sm_lines_close(&lr);
	return SM_NOTFOUND;
}

/* libc_lookup - answer the passwd database */
static enum sm_status libc_lookup(struct sm_source *src, const char *db, const char *key, char **value,
                                  struct sm_buf *reason)
{
	struct sm_libc *l = src->priv;

	if (strcmp(db, "passwd") != 0) {
		sm_buf_printf(reason, "the libc source has no %s database", db);
		return SM_UNAVAIL;
	}
	if (*l->passwdfile)
		return libc_file(l->passwdfile, key, value, reason);
	return libc_getpw(key, value, reason);
}

/* libc_free - release the state */
static void libc_free(void *priv)
{
	struct sm_libc *l = priv;

	free(l->passwdfile);
	free(l);
}

static const struct sm_source_ops libc_ops = { libc_lookup, libc_free };

/* sm_libc_create - the libc source; owned by the switch */
struct sm_source *sm_libc_create(const char *name, const struct sm_config *cf, struct sm_buf *err)
{
	struct sm_libc *l = sm_calloc(1, sizeof(*l));

	(void)err;
	l->passwdfile = sm_strdup(sm_config_str(cf, "PasswdFile"));
	return sm_source_alloc(&libc_ops, name, l);
}

/* sm_passwd_parse - split a passwd line into pw (caller frees with sm_pw_free); -1 if malformed */
int sm_passwd_parse(const char *value, struct sm_pw *pw)
{
	char *copy = sm_strdup(value);
	char *f[7];
	char *p = copy, *end;
	int i;

	memset(pw, 0, sizeof(*pw));
	for (i = 0; i < 7; i++) {
		f[i] = p;
		p = strchr(p, ':');
		if (p == NULL) {
			if (i != 6)
				goto bad;
			break;
		}
		*p++ = '\0';
		if (i == 6)
			goto bad;
	}
	pw->uid = (uid_t)strtoul(f[2], &end, 10);
	if (*f[2] == '\0' || *end)
		goto bad;
	pw->gid = (gid_t)strtoul(f[3], &end, 10);
	if (*f[3] == '\0' || *end)
		goto bad;
	pw->name = sm_strdup(f[0]);
	pw->gecos = sm_strdup(f[4]);
	pw->dir = sm_strdup(f[5]);
	pw->shell = sm_strdup(f[6]);
	free(copy);
	return 0;
bad:
	free(copy);
	return -1;
}

/* sm_pw_free - release the strings of pw */
void sm_pw_free(struct sm_pw *pw)
{
	free(pw->name);
	free(pw->gecos);
	free(pw->dir);
	free(pw->shell);
	memset(pw, 0, sizeof(*pw));
}
