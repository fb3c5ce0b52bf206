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
#include <sys/stat.h>
#include <time.h>

#include "lib/lines.h"
#include "lib/mem.h"
#include "nsswitch/files.h"
#include "nsswitch/passwd.h"

struct sm_libc {
	char *passwdfile; /* empty: getpwnam_r */
	/* PasswdFile held in memory, sorted by name, re-read when it changes */
	struct passwd_line {
		char *text;
		size_t seq; /* line order: the first line of a name wins, as with getpwnam */
	} * lines;
	size_t count;
	int loaded;
	time_t checked;
	dev_t dev;
	ino_t ino;
	time_t mtime;
	off_t size;
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

/* passwd_cmp - order lines by user name */
static int passwd_cmp(const void *a, const void *b)
{
	const struct passwd_line *pa = a, *pb = b;
	const char *x = pa->text, *y = pb->text;
	size_t lx = strcspn(x, ":"), ly = strcspn(y, ":");
	int c = memcmp(x, y, lx < ly ? lx : ly);

	if (c == 0)
		c = (lx > ly) - (lx < ly);
	return c ? c : (pa->seq > pb->seq) - (pa->seq < pb->seq);
}

/* passwd_clear - forget the file's lines */
static void passwd_clear(struct sm_libc *l)
{
	size_t i;

	for (i = 0; i < l->count; i++)
		free(l->lines[i].text);
	free(l->lines);
	l->lines = NULL;
	l->count = 0;
}

/* passwd_load - read PasswdFile into memory when it changed (looked at once a second at most) */
static enum sm_status passwd_load(struct sm_libc *l, struct sm_buf *reason)
{
	const char *path = l->passwdfile;
	time_t now = time(NULL);
	struct sm_lines lr;
	struct stat st;
	size_t cap = 0;
	int oserr, rc;

	if (l->loaded && now == l->checked)
		return SM_SUCCESS;
	l->checked = now;
	if (stat(path, &st) < 0) {
		oserr = errno;
		goto fail;
	}
	if (l->loaded && st.st_ino == l->ino && st.st_dev == l->dev && st.st_mtime == l->mtime &&
	    st.st_size == l->size)
		return SM_SUCCESS;
	if (sm_lines_open(&lr, path, 65536, &oserr) < 0)
		goto fail;
	passwd_clear(l);
	while ((rc = sm_lines_next(&lr)) > 0) {
		if (lr.has_nul || lr.too_long || strchr(lr.line.data, ':') == NULL)
			continue;
		if (l->count == cap) {
			cap = cap ? cap * 2 : 64;
			l->lines = sm_realloc(l->lines, cap * sizeof(*l->lines));
		}
		l->lines[l->count].text = sm_strdup(lr.line.data);
		l->lines[l->count].seq = l->count;
		l->count++;
	}
	if (rc < 0) {
		oserr = lr.err;
		sm_lines_close(&lr);
		passwd_clear(l);
		l->loaded = 0;
		sm_buf_printf(reason, "%s: %s", path, strerror(oserr));
		return SM_TRYAGAIN;
	}
	sm_lines_close(&lr);
	qsort(l->lines, l->count, sizeof(*l->lines), passwd_cmp);
	l->dev = st.st_dev;
	l->ino = st.st_ino;
	l->mtime = st.st_mtime;
	l->size = st.st_size;
	l->loaded = 1;
	return SM_SUCCESS;
fail:
	if (l->loaded) /* keep answering from what we have */
		return SM_SUCCESS;
	sm_buf_printf(reason, "%s: %s", path, strerror(oserr));
	return sm_errno_transient(oserr) ? SM_TRYAGAIN : SM_UNAVAIL;
}

/* libc_file - look the user up in PasswdFile */
static enum sm_status libc_file(struct sm_libc *l, const char *key, char **value, struct sm_buf *reason)
{
	size_t klen = strlen(key), lo = 0, hi;
	enum sm_status st = passwd_load(l, reason);

	if (st != SM_SUCCESS)
		return st;
	hi = l->count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *line = l->lines[mid].text;
		size_t n = strcspn(line, ":");
		int c = memcmp(line, key, n < klen ? n : klen);

		if (c == 0)
			c = (n > klen) - (n < klen);
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* lo is the first line whose name is not below key */
	if (lo < l->count && strncmp(l->lines[lo].text, key, klen) == 0 && l->lines[lo].text[klen] == ':') {
		*value = sm_strdup(l->lines[lo].text);
		return SM_SUCCESS;
	}
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
		return libc_file(l, key, value, reason);
	return libc_getpw(key, value, reason);
}

/* libc_free - release the state */
static void libc_free(void *priv)
{
	struct sm_libc *l = priv;

	passwd_clear(l);
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
