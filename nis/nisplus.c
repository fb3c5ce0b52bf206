/*
 * nis/nisplus.c - emulated NIS+ tables in LMDB, and the nisplus source that reads them
 *
 * See nisplus.h. Reads NisPlusDirectory, NisPlusAliasTable, NisDomain and
 * NameServiceDomain from the configuration.
 *
 * DIAGNOSTICS
 *	See nisplus.h.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <lmdb.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/mem.h"
#include "nis/nisplus.h"

#define NP_MAPSIZE ((size_t)1 << 30) /* address space only: the file grows as entries are added */
#define NP_MAXREADERS 1024
#define NP_KEYMAX 511 /* LMDB's key limit */

/* one LMDB environment, shared by every handle of this process on the same file */
struct np_env {
	struct np_env *next;
	dev_t dev;
	ino_t ino;
	pid_t pid;
	int writable;
	int refs;
	MDB_env *env;
	MDB_dbi obj, ent;
};

struct sm_nptab {
	struct np_env *e;
	char *path;
	MDB_txn *rtxn; /* a read transaction, reset between reads */
	struct sm_np_object obj;
};

static pthread_mutex_t np_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t np_once = PTHREAD_ONCE_INIT;
static struct np_env *np_envs;

static const struct sm_np_schema np_schemas[] = {
	{ "mail_aliases", 4, { "alias", "expansion", "comments", "options" }, { 1, 1, 0, 0 } },
	{ "sendmailvars", 2, { "key", "value" }, { 1, 0 } },
};

/* np_prepare, np_release - keep the registry lock consistent across fork() */
static void np_prepare(void)
{
	pthread_mutex_lock(&np_lock);
}

static void np_release(void)
{
	pthread_mutex_unlock(&np_lock);
}

static void np_atfork(void)
{
	pthread_atfork(np_prepare, np_release, np_release);
}

/* sm_np_errname - the NIS+ name of a status */
const char *sm_np_errname(enum sm_np_err e)
{
	switch (e) {
	case SM_NP_SUCCESS:
		return "NIS_SUCCESS";
	case SM_NP_NOTFOUND:
		return "NIS_NOTFOUND";
	case SM_NP_TRYAGAIN:
		return "NIS_TRYAGAIN";
	case SM_NP_SYSTEMERROR:
		return "NIS_SYSTEMERROR";
	case SM_NP_PERMISSION:
		return "NIS_PERMISSION";
	case SM_NP_NAMEEXISTS:
		return "NIS_NAMEEXISTS";
	case SM_NP_NOSUCHTABLE:
		return "NIS_NOSUCHTABLE";
	case SM_NP_NOTSAMEOBJ:
		return "NIS_NOTSAMEOBJ";
	}
	return "NIS_SYSTEMERROR";
}

/* np_err - the NIS+ status of an LMDB or system error */
static enum sm_np_err np_err(int rc)
{
	switch (rc) {
	case MDB_SUCCESS:
		return SM_NP_SUCCESS;
	case MDB_NOTFOUND:
		return SM_NP_NOTFOUND;
	case EACCES:
	case EPERM:
	case EROFS:
		return SM_NP_PERMISSION;
	case MDB_READERS_FULL:
	case MDB_MAP_RESIZED:
	case EAGAIN:
	case EINTR:
	case ENOMEM:
	case EMFILE:
	case ENFILE:
	case EIO:
	case EBUSY:
		return SM_NP_TRYAGAIN;
	default:
		return SM_NP_SYSTEMERROR;
	}
}

/* np_fail - put "PATH: reason" in err; the NIS+ status of rc */
static enum sm_np_err np_fail(struct sm_buf *err, const char *path, int rc)
{
	sm_buf_printf(err, "%s: %s", path, mdb_strerror(rc));
	return np_err(rc);
}

/* sm_nis_domain - the NIS domain without a final dot, or NULL; caller frees */
char *sm_nis_domain(const struct sm_config *cf)
{
	const char *v = sm_config_str(cf, "NisDomain");
	char buf[256], *d;
	size_t n;

	if (*v == '\0')
		v = sm_config_str(cf, "NameServiceDomain");
	if (*v == '\0') {
		if (getdomainname(buf, sizeof(buf) - 1) < 0)
			return NULL;
		buf[sizeof(buf) - 1] = '\0';
		if (buf[0] == '\0' || strcmp(buf, "(none)") == 0)
			return NULL;
		v = buf;
	}
	d = sm_strdup(v);
	n = strlen(d);
	while (n > 0 && d[n - 1] == '.')
		d[--n] = '\0';
	if (n == 0) {
		free(d);
		return NULL;
	}
	return d;
}

/* name_ok - letters, digits, "_", "-" in labels separated by single dots; one final dot if dot_ok */
static int name_ok(const char *s, int dot_ok)
{
	size_t n = strlen(s), i, label = 0;

	if (n && s[n - 1] == '.' && dot_ok)
		n--;
	if (n == 0 || n > 1000)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (label == 0)
				return 0;
			label = 0;
		} else if (isalnum(c) || c == '_' || c == '-') {
			label++;
		} else {
			return 0;
		}
	}
	return label > 0;
}

/* sm_np_fullname - "TABLE.DOMAIN." or NULL; caller frees */
char *sm_np_fullname(const char *table, const char *domain)
{
	size_t dl;

	if (table == NULL || domain == NULL || !name_ok(table, 0) || !name_ok(domain, 1))
		return NULL;
	dl = strlen(domain);
	return sm_asprintf("%s.%s%s", table, domain, domain[dl - 1] == '.' ? "" : ".");
}

/* np_path - the table's file: DIR/fullname in lower case without the final dot; caller frees */
static char *np_path(const char *dir, const char *fullname)
{
	char *p = sm_asprintf("%s/%s", dir, fullname);
	size_t n = strlen(p), i;

	if (n && p[n - 1] == '.')
		p[--n] = '\0';
	for (i = strlen(dir) + 1; i < n; i++)
		p[i] = (char)tolower((unsigned char)p[i]);
	return p;
}

/* sm_np_schema - the built-in schema of a table type, or NULL */
const struct sm_np_schema *sm_np_schema(const char *type)
{
	size_t i;

	for (i = 0; i < sizeof(np_schemas) / sizeof(np_schemas[0]); i++)
		if (strcmp(np_schemas[i].type, type) == 0)
			return &np_schemas[i];
	return NULL;
}

/* sm_np_rights_valid - is access 16 characters of "rmcd" or "-" in place? */
int sm_np_rights_valid(const char *access)
{
	static const char rmcd[] = "rmcd";
	size_t i;

	if (access == NULL || strlen(access) != 16)
		return 0;
	for (i = 0; i < 16; i++)
		if (access[i] != '-' && access[i] != rmcd[i % 4])
			return 0;
	return 1;
}

/* sm_np_object_init - a table object as aliasadm -I makes it; free with sm_np_object_free */
void sm_np_object_init(struct sm_np_object *o, const struct sm_np_schema *s, const char *fullname,
                       const char *domain, const char *owner)
{
	const char *dot = strchr(fullname, '.');
	size_t i, dl = strlen(domain);

	memset(o, 0, sizeof(*o));
	o->name = sm_strndup(fullname, dot ? (size_t)(dot - fullname) : strlen(fullname));
	o->directory = sm_strdup(dot ? dot + 1 : "");
	o->domain = sm_asprintf("%s%s", domain, dl && domain[dl - 1] == '.' ? "" : ".");
	o->owner = sm_asprintf("%s.%s", owner, o->domain);
	o->group = sm_strdup("");
	memcpy(o->access, SM_NP_DEFAULT_RIGHTS, sizeof(o->access));
	o->ttl = 24 * 60 * 60;
	o->type = sm_strdup(s->type);
	o->sep = ' ';
	o->ncols = s->ncols;
	for (i = 0; i < s->ncols; i++) {
		o->cols[i] = sm_strdup(s->cols[i]);
		o->searchable[i] = s->searchable[i];
	}
}

/* sm_np_object_free - release what an object holds */
void sm_np_object_free(struct sm_np_object *o)
{
	size_t i;

	free(o->name);
	free(o->directory);
	free(o->domain);
	free(o->owner);
	free(o->group);
	free(o->type);
	for (i = 0; i < o->ncols; i++)
		free(o->cols[i]);
	memset(o, 0, sizeof(*o));
}

/* first_label - the text before the first dot, in buf; NULL if it does not fit or is empty */
static const char *first_label(const char *name, char *buf, size_t size)
{
	size_t n = strcspn(name, ".");

	if (n == 0 || n >= size)
		return NULL;
	memcpy(buf, name, n);
	buf[n] = '\0';
	return buf;
}

/* group_gid - the system group named by the first label of a NIS+ group; 0 if none */
static int group_gid(const char *group, gid_t *gid)
{
	char name[256], buf[16384];
	struct group gr, *res = NULL;

	if (first_label(group, name, sizeof(name)) == NULL)
		return 0;
	if (getgrnam_r(name, &gr, buf, sizeof(buf), &res) != 0 || res == NULL)
		return 0;
	*gid = gr.gr_gid;
	return 1;
}

/* sm_np_may - may uid exercise right ('r', 'm', 'c', 'd') on the table? */
int sm_np_may(const struct sm_np_object *o, uid_t uid, char right)
{
	const char *rights = "rmcd", *at = strchr(rights, right);
	char buf[16384], label[256];
	struct passwd pw, *res = NULL;
	size_t r;
	gid_t gid;

	if (uid == 0)
		return 1;
	if (at == NULL || right == '\0')
		return 0;
	r = (size_t)(at - rights);
	if (o->access[0 + r] != '-' || o->access[12 + r] != '-') /* nobody, world */
		return 1;
	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) != 0 || res == NULL)
		return 0;
	if (o->access[4 + r] != '-' && first_label(o->owner, label, sizeof(label)) &&
	    strcmp(label, pw.pw_name) == 0)
		return 1;
	if (o->access[8 + r] != '-' && *o->group && group_gid(o->group, &gid)) {
		gid_t groups[256];
		int n = (int)(sizeof(groups) / sizeof(groups[0])), i;

		if (pw.pw_gid == gid)
			return 1;
		if (getgrouplist(pw.pw_name, pw.pw_gid, groups, &n) < 0) {
			gid_t *many = sm_calloc((size_t)n, sizeof(*many));
			int found = 0;

			if (getgrouplist(pw.pw_name, pw.pw_gid, many, &n) >= 0)
				for (i = 0; i < n && !found; i++)
					found = many[i] == gid;
			free(many);
			return found;
		}
		for (i = 0; i < n; i++)
			if (groups[i] == gid)
				return 1;
	}
	return 0;
}

/* rights_mode - the file mode that matches the rights */
static mode_t rights_mode(const char *a)
{
	mode_t m = 0400;

	if (a[5] != '-' || a[6] != '-' || a[7] != '-')
		m |= 0200;
	if (a[8] != '-')
		m |= 0040;
	if (a[9] != '-' || a[10] != '-' || a[11] != '-')
		m |= 0060;
	if (a[0] != '-' || a[12] != '-')
		m |= 0004;
	if (a[1] != '-' || a[2] != '-' || a[3] != '-' || a[13] != '-' || a[14] != '-' || a[15] != '-')
		m |= 0006;
	return m;
}

/* sync_mode - make the file's mode and group follow the table's rights and group (where allowed) */
static void sync_mode(struct sm_nptab *t)
{
	int fd;
	gid_t gid;

	if (mdb_env_get_fd(t->e->env, &fd) != MDB_SUCCESS)
		return;
	if (fchmod(fd, rights_mode(t->obj.access)) < 0) {
		/* not the file's owner: the mode stays as it is */
	}
	if (*t->obj.group && group_gid(t->obj.group, &gid) && fchown(fd, (uid_t)-1, gid) < 0) {
		/* neither root nor a member of the group: the group stays as it is */
	}
}

/* open_lock_for_all - every reader must be able to write LMDB's lock file */
static void open_lock_for_all(const char *path)
{
	char *lock = sm_asprintf("%s-lock", path);
	struct stat sb;

	if (stat(lock, &sb) == 0 && (sb.st_mode & 0666) != 0666 && sb.st_uid == geteuid())
		chmod(lock, 0666);
	free(lock);
}

/* env_put - drop one reference to a shared environment */
static void env_put(struct np_env *e)
{
	struct np_env **pp;

	pthread_mutex_lock(&np_lock);
	if (--e->refs == 0) {
		for (pp = &np_envs; *pp; pp = &(*pp)->next)
			if (*pp == e) {
				*pp = e->next;
				break;
			}
		if (e->pid == getpid())
			mdb_env_close(e->env);
		/* an environment inherited over fork() is the parent's: left alone */
		free(e);
	}
	pthread_mutex_unlock(&np_lock);
}

/* env_get - the shared environment of path, opened as needed */
static enum sm_np_err env_get(const char *path, int write, int create, struct np_env **ep, struct sm_buf *err)
{
	struct np_env *e;
	struct stat sb;
	MDB_txn *txn = NULL;
	unsigned dbflags = create ? MDB_CREATE : 0;
	int rc, fd;

	pthread_once(&np_once, np_atfork);
	pthread_mutex_lock(&np_lock);
	if (stat(path, &sb) == 0) {
		for (e = np_envs; e; e = e->next) {
			if (e->pid != getpid() || e->dev != sb.st_dev || e->ino != sb.st_ino)
				continue;
			if (write && !e->writable) {
				pthread_mutex_unlock(&np_lock);
				sm_buf_printf(err, "%s: already open read-only in this process", path);
				return SM_NP_SYSTEMERROR;
			}
			e->refs++;
			*ep = e;
			pthread_mutex_unlock(&np_lock);
			return SM_NP_SUCCESS;
		}
	} else if (errno != ENOENT || !create) {
		int oserr = errno;

		pthread_mutex_unlock(&np_lock);
		if (oserr == ENOENT)
			return SM_NP_NOSUCHTABLE;
		sm_buf_printf(err, "%s: %s", path, strerror(oserr));
		return np_err(oserr);
	}
	e = sm_calloc(1, sizeof(*e));
	e->pid = getpid();
	e->writable = write;
	e->refs = 1;
	if ((rc = mdb_env_create(&e->env)) != MDB_SUCCESS)
		goto fail;
	mdb_env_set_maxdbs(e->env, 2);
	mdb_env_set_mapsize(e->env, NP_MAPSIZE);
	mdb_env_set_maxreaders(e->env, NP_MAXREADERS);
	rc = mdb_env_open(e->env, path, MDB_NOSUBDIR | MDB_NOTLS | (write ? 0 : MDB_RDONLY),
	                  write ? 0644 : 0666);
	if (rc != MDB_SUCCESS) {
		if (rc == ENOENT && !create) {
			mdb_env_close(e->env);
			free(e);
			pthread_mutex_unlock(&np_lock);
			return SM_NP_NOSUCHTABLE;
		}
		goto fail;
	}
	if (mdb_env_get_fd(e->env, &fd) != MDB_SUCCESS || fstat(fd, &sb) < 0) {
		rc = EIO;
		goto fail;
	}
	e->dev = sb.st_dev;
	e->ino = sb.st_ino;
	open_lock_for_all(path);
	if ((rc = mdb_txn_begin(e->env, NULL, create ? 0 : MDB_RDONLY, &txn)) != MDB_SUCCESS)
		goto fail;
	if ((rc = mdb_dbi_open(txn, "object", dbflags, &e->obj)) != MDB_SUCCESS ||
	    (rc = mdb_dbi_open(txn, "entries", dbflags, &e->ent)) != MDB_SUCCESS) {
		mdb_txn_abort(txn);
		if (rc == MDB_NOTFOUND) {
			mdb_env_close(e->env);
			free(e);
			pthread_mutex_unlock(&np_lock);
			return SM_NP_NOSUCHTABLE;
		}
		goto fail;
	}
	if ((rc = mdb_txn_commit(txn)) != MDB_SUCCESS)
		goto fail;
	e->next = np_envs;
	np_envs = e;
	*ep = e;
	pthread_mutex_unlock(&np_lock);
	return SM_NP_SUCCESS;
fail:
	if (e->env)
		mdb_env_close(e->env);
	free(e);
	pthread_mutex_unlock(&np_lock);
	return np_fail(err, path, rc);
}

/* put_str - one object key */
static int put_str(MDB_txn *txn, MDB_dbi dbi, const char *key, const char *val)
{
	MDB_val k = { strlen(key), (void *)key }, v = { strlen(val), (void *)val };

	return mdb_put(txn, dbi, &k, &v, 0);
}

/* get_str - one object key as a new string, or NULL */
static char *get_str(MDB_txn *txn, MDB_dbi dbi, const char *key)
{
	MDB_val k = { strlen(key), (void *)key }, v;

	if (mdb_get(txn, dbi, &k, &v) != MDB_SUCCESS)
		return NULL;
	return sm_strndup(v.mv_data, v.mv_size);
}

/* write_object - store every field of the object */
static int write_object(MDB_txn *txn, MDB_dbi dbi, const struct sm_np_object *o)
{
	struct sm_buf cols = SM_BUF_INIT;
	char ttl[32], sep[2] = { o->sep, '\0' };
	size_t i;
	int rc;

	for (i = 0; i < o->ncols; i++)
		sm_buf_printf(&cols, "%s%s%s", i ? " " : "", o->cols[i], o->searchable[i] ? ",S" : "");
	snprintf(ttl, sizeof(ttl), "%lu", o->ttl);
	if ((rc = put_str(txn, dbi, "name", o->name)) == MDB_SUCCESS &&
	    (rc = put_str(txn, dbi, "directory", o->directory)) == MDB_SUCCESS &&
	    (rc = put_str(txn, dbi, "domain", o->domain)) == MDB_SUCCESS &&
	    (rc = put_str(txn, dbi, "owner", o->owner)) == MDB_SUCCESS &&
	    (rc = put_str(txn, dbi, "group", o->group)) == MDB_SUCCESS &&
	    (rc = put_str(txn, dbi, "access", o->access)) == MDB_SUCCESS &&
	    (rc = put_str(txn, dbi, "ttl", ttl)) == MDB_SUCCESS &&
	    (rc = put_str(txn, dbi, "type", o->type)) == MDB_SUCCESS &&
	    (rc = put_str(txn, dbi, "sep", sep)) == MDB_SUCCESS)
		rc = put_str(txn, dbi, "columns", cols.data ? cols.data : "");
	sm_buf_free(&cols);
	return rc;
}

/* read_object - load the object; MDB_NOTFOUND when there is none, EINVAL when it is damaged */
static int read_object(MDB_txn *txn, MDB_dbi dbi, struct sm_np_object *o)
{
	char *cols, *access, *ttl, *sep, *p, *w;

	memset(o, 0, sizeof(*o));
	if ((o->name = get_str(txn, dbi, "name")) == NULL)
		return MDB_NOTFOUND;
	o->directory = get_str(txn, dbi, "directory");
	o->domain = get_str(txn, dbi, "domain");
	o->owner = get_str(txn, dbi, "owner");
	o->group = get_str(txn, dbi, "group");
	o->type = get_str(txn, dbi, "type");
	access = get_str(txn, dbi, "access");
	ttl = get_str(txn, dbi, "ttl");
	sep = get_str(txn, dbi, "sep");
	cols = get_str(txn, dbi, "columns");
	if (o->directory && o->domain && o->owner && o->group && o->type && sm_np_rights_valid(access) &&
	    ttl && sep && cols) {
		memcpy(o->access, access, 17);
		o->ttl = strtoul(ttl, NULL, 10);
		o->sep = *sep ? *sep : ' ';
		for (p = cols; (w = strtok_r(p, " ", &p)) != NULL && o->ncols < SM_NP_MAXCOLS;) {
			char *flag = strchr(w, ',');

			if (flag)
				*flag++ = '\0';
			o->searchable[o->ncols] = flag && strchr(flag, 'S') != NULL;
			o->cols[o->ncols++] = sm_strdup(w);
		}
	}
	free(access);
	free(ttl);
	free(sep);
	free(cols);
	if (o->ncols == 0) {
		sm_np_object_free(o);
		return EINVAL;
	}
	return MDB_SUCCESS;
}

/* sm_np_create - create a table; SM_NP_NAMEEXISTS if it exists */
enum sm_np_err sm_np_create(const char *dir, const struct sm_np_object *o, struct sm_buf *err)
{
	char *full = sm_asprintf("%s.%s", o->name, o->directory);
	char *path = np_path(dir, full);
	struct sm_nptab t;
	struct np_env *e = NULL;
	enum sm_np_err ne;
	MDB_txn *txn = NULL;
	MDB_val k = { 4, "name" }, v;
	int rc;

	free(full);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		int oserr = errno;

		sm_buf_printf(err, "%s: %s", dir, strerror(oserr));
		free(path);
		return np_err(oserr);
	}
	if ((ne = env_get(path, 1, 1, &e, err)) != SM_NP_SUCCESS) {
		free(path);
		return ne;
	}
	if ((rc = mdb_txn_begin(e->env, NULL, 0, &txn)) != MDB_SUCCESS)
		goto out;
	if ((rc = mdb_get(txn, e->obj, &k, &v)) == MDB_SUCCESS) {
		mdb_txn_abort(txn);
		sm_buf_printf(err, "%s: the table exists", path);
		env_put(e);
		free(path);
		return SM_NP_NAMEEXISTS;
	}
	if (rc != MDB_NOTFOUND || (rc = write_object(txn, e->obj, o)) != MDB_SUCCESS) {
		mdb_txn_abort(txn);
		goto out;
	}
	rc = mdb_txn_commit(txn);
	if (rc == MDB_SUCCESS) {
		memset(&t, 0, sizeof(t));
		t.e = e;
		t.obj = *o;
		sync_mode(&t);
	}
out:
	ne = rc == MDB_SUCCESS ? SM_NP_SUCCESS : np_fail(err, path, rc);
	env_put(e);
	free(path);
	return ne;
}

/* sm_np_open - open an existing table; close with sm_np_close */
enum sm_np_err sm_np_open(const char *dir, const char *fullname, int write, struct sm_nptab **tp,
                          struct sm_buf *err)
{
	struct sm_nptab *t = sm_calloc(1, sizeof(*t));
	enum sm_np_err ne;
	MDB_txn *txn;
	int rc;

	*tp = NULL;
	t->path = np_path(dir, fullname);
	if ((ne = env_get(t->path, write, 0, &t->e, err)) != SM_NP_SUCCESS) {
		if (ne == SM_NP_NOSUCHTABLE)
			sm_buf_printf(err, "no table %s", fullname);
		free(t->path);
		free(t);
		return ne;
	}
	if ((rc = mdb_txn_begin(t->e->env, NULL, MDB_RDONLY, &txn)) == MDB_SUCCESS) {
		rc = read_object(txn, t->e->obj, &t->obj);
		mdb_txn_abort(txn);
	}
	if (rc != MDB_SUCCESS) {
		if (rc == MDB_NOTFOUND) {
			sm_buf_printf(err, "no table %s", fullname);
			ne = SM_NP_NOSUCHTABLE;
		} else if (rc == EINVAL) {
			sm_buf_printf(err, "%s: damaged table object", t->path);
			ne = SM_NP_SYSTEMERROR;
		} else {
			ne = np_fail(err, t->path, rc);
		}
		sm_np_close(t);
		return ne;
	}
	*tp = t;
	return SM_NP_SUCCESS;
}

/* sm_np_object - the table object */
const struct sm_np_object *sm_np_object(const struct sm_nptab *t)
{
	return &t->obj;
}

/* read_txn - the handle's read transaction, (re)started */
static int read_txn(struct sm_nptab *t, MDB_txn **txn)
{
	int rc;

	if (t->rtxn) {
		rc = mdb_txn_renew(t->rtxn);
		if (rc != MDB_SUCCESS) {
			mdb_txn_abort(t->rtxn);
			t->rtxn = NULL;
		}
	}
	if (t->rtxn == NULL && (rc = mdb_txn_begin(t->e->env, NULL, MDB_RDONLY, &t->rtxn)) != MDB_SUCCESS) {
		t->rtxn = NULL;
		return rc;
	}
	*txn = t->rtxn;
	return MDB_SUCCESS;
}

/* decode - split a stored entry into its columns (pointing into data); -1 if damaged */
static int decode(const struct sm_nptab *t, char *data, size_t len, struct sm_np_entry *e)
{
	size_t i, at = 0;

	if (len == 0 || data[len - 1] != '\0')
		return -1;
	e->ncols = t->obj.ncols;
	for (i = 0; i < e->ncols; i++) {
		char *nul;

		if (at >= len || (nul = memchr(data + at, '\0', len - at)) == NULL)
			return -1;
		e->col[i] = data + at;
		at = (size_t)(nul - data) + 1;
	}
	return at == len ? 0 : -1;
}

/* sm_np_get - the entry whose first column is key; copies in e (sm_np_entry_free) */
enum sm_np_err sm_np_get(struct sm_nptab *t, const char *key, struct sm_np_entry *e, struct sm_buf *err)
{
	MDB_txn *txn;
	MDB_val k = { strlen(key), (void *)key }, v;
	int rc;

	memset(e, 0, sizeof(*e));
	if (k.mv_size == 0 || k.mv_size > NP_KEYMAX)
		return SM_NP_NOTFOUND;
	if ((rc = read_txn(t, &txn)) != MDB_SUCCESS)
		return np_fail(err, t->path, rc);
	rc = mdb_get(txn, t->e->ent, &k, &v);
	if (rc == MDB_SUCCESS) {
		e->mem = sm_malloc(v.mv_size + 1);
		memcpy(e->mem, v.mv_data, v.mv_size);
		if (decode(t, e->mem, v.mv_size, e) < 0) {
			sm_np_entry_free(e);
			mdb_txn_reset(txn);
			sm_buf_printf(err, "%s: damaged entry", t->path);
			return SM_NP_SYSTEMERROR;
		}
	}
	mdb_txn_reset(txn);
	if (rc == MDB_NOTFOUND)
		return SM_NP_NOTFOUND;
	return rc == MDB_SUCCESS ? SM_NP_SUCCESS : np_fail(err, t->path, rc);
}

/* sm_np_list - every entry in key order */
enum sm_np_err sm_np_list(struct sm_nptab *t, int (*fn)(void *ctx, const struct sm_np_entry *e), void *ctx,
                          struct sm_buf *err)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	struct sm_buf copy = SM_BUF_INIT;
	int rc;

	if ((rc = read_txn(t, &txn)) != MDB_SUCCESS)
		return np_fail(err, t->path, rc);
	if ((rc = mdb_cursor_open(txn, t->e->ent, &cur)) != MDB_SUCCESS) {
		mdb_txn_reset(txn);
		return np_fail(err, t->path, rc);
	}
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == MDB_SUCCESS;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		struct sm_np_entry e;

		sm_buf_reset(&copy);
		sm_buf_add(&copy, v.mv_data, v.mv_size);
		memset(&e, 0, sizeof(e));
		if (decode(t, copy.data, v.mv_size, &e) < 0) {
			sm_buf_printf(err, "%s: damaged entry", t->path);
			rc = EINVAL;
			break;
		}
		if (fn(ctx, &e) != 0) {
			rc = MDB_NOTFOUND;
			break;
		}
	}
	mdb_cursor_close(cur);
	mdb_txn_reset(txn);
	sm_buf_free(&copy);
	if (rc == EINVAL)
		return SM_NP_SYSTEMERROR;
	return rc == MDB_NOTFOUND ? SM_NP_SUCCESS : np_fail(err, t->path, rc);
}

/* encode - every column NUL-terminated; -1 if the entry does not fit the table */
static int encode(const struct sm_nptab *t, const struct sm_np_entry *e, struct sm_buf *out)
{
	size_t i;

	if (e->ncols != t->obj.ncols)
		return -1;
	for (i = 0; i < e->ncols; i++) {
		const char *c = e->col[i] ? e->col[i] : "";

		sm_buf_add(out, c, strlen(c) + 1);
	}
	return 0;
}

/* apply_one - one edit inside the write transaction; an LMDB code or -1 (message in err) */
static int apply_one(struct sm_nptab *t, MDB_txn *txn, const struct sm_np_edit *ed, enum sm_np_err *ne,
                     struct sm_buf *err)
{
	const char *key = ed->e.col[0] ? ed->e.col[0] : "";
	MDB_val k = { strlen(key), (void *)key }, v, old;
	struct sm_buf data = SM_BUF_INIT;
	int rc, exists;

	if (k.mv_size == 0 || k.mv_size > NP_KEYMAX) {
		sm_buf_printf(err, "%s: a key must have 1 to %d bytes", t->path, NP_KEYMAX);
		*ne = SM_NP_SYSTEMERROR;
		return -1;
	}
	rc = mdb_get(txn, t->e->ent, &k, &old);
	if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND)
		return rc;
	exists = rc == MDB_SUCCESS;
	switch (ed->op) {
	case SM_NP_ADD:
		if (exists) {
			*ne = SM_NP_NAMEEXISTS;
			return -1;
		}
		break;
	case SM_NP_MODIFY:
	case SM_NP_REMOVE:
		if (!exists) {
			*ne = SM_NP_NOTFOUND;
			return -1;
		}
		if (ed->old) {
			int changed;

			if (encode(t, ed->old, &data) < 0) {
				sm_buf_free(&data);
				*ne = SM_NP_SYSTEMERROR;
				return -1;
			}
			changed = data.len != old.mv_size || memcmp(data.data, old.mv_data, data.len) != 0;
			sm_buf_free(&data);
			if (changed) {
				*ne = SM_NP_NOTSAMEOBJ;
				return -1;
			}
		}
		break;
	case SM_NP_PUT:
		break;
	}
	if (ed->op == SM_NP_REMOVE)
		return mdb_del(txn, t->e->ent, &k, NULL);
	if (encode(t, &ed->e, &data) < 0) {
		sm_buf_printf(err, "%s: an entry of %zu columns in a table of %zu", t->path, ed->e.ncols,
		              t->obj.ncols);
		sm_buf_free(&data);
		*ne = SM_NP_SYSTEMERROR;
		return -1;
	}
	v.mv_size = data.len;
	v.mv_data = data.data;
	rc = mdb_put(txn, t->e->ent, &k, &v, 0);
	sm_buf_free(&data);
	return rc;
}

/* sm_np_apply - n edits in one transaction, all or none */
enum sm_np_err sm_np_apply(struct sm_nptab *t, const struct sm_np_edit *ed, size_t n, size_t *failed,
                           struct sm_buf *err)
{
	enum sm_np_err ne = SM_NP_SUCCESS;
	MDB_txn *txn;
	size_t i;
	int rc;

	if (!t->e->writable) {
		sm_buf_printf(err, "%s: opened read-only", t->path);
		return SM_NP_SYSTEMERROR;
	}
	if ((rc = mdb_txn_begin(t->e->env, NULL, 0, &txn)) != MDB_SUCCESS)
		return np_fail(err, t->path, rc);
	for (i = 0; i < n; i++) {
		rc = apply_one(t, txn, &ed[i], &ne, err);
		if (rc != MDB_SUCCESS) {
			mdb_txn_abort(txn);
			if (failed)
				*failed = i;
			return rc == -1 ? ne : np_fail(err, t->path, rc);
		}
	}
	if ((rc = mdb_txn_commit(txn)) != MDB_SUCCESS)
		return np_fail(err, t->path, rc);
	return SM_NP_SUCCESS;
}

/* sm_np_setattr - change the table's group and/or rights */
enum sm_np_err sm_np_setattr(struct sm_nptab *t, const char *group, const char *access, struct sm_buf *err)
{
	MDB_txn *txn;
	int rc;

	if (!t->e->writable) {
		sm_buf_printf(err, "%s: opened read-only", t->path);
		return SM_NP_SYSTEMERROR;
	}
	if (access && !sm_np_rights_valid(access)) {
		sm_buf_printf(err, "bad access rights \"%s\"", access);
		return SM_NP_SYSTEMERROR;
	}
	if ((rc = mdb_txn_begin(t->e->env, NULL, 0, &txn)) != MDB_SUCCESS)
		return np_fail(err, t->path, rc);
	if ((group == NULL || (rc = put_str(txn, t->e->obj, "group", group)) == MDB_SUCCESS) &&
	    (access == NULL || (rc = put_str(txn, t->e->obj, "access", access)) == MDB_SUCCESS))
		rc = mdb_txn_commit(txn);
	else
		mdb_txn_abort(txn);
	if (rc != MDB_SUCCESS)
		return np_fail(err, t->path, rc);
	if (group) {
		free(t->obj.group);
		t->obj.group = sm_strdup(group);
	}
	if (access)
		memcpy(t->obj.access, access, 17);
	sync_mode(t);
	return SM_NP_SUCCESS;
}

/* sm_np_close - release a handle */
void sm_np_close(struct sm_nptab *t)
{
	if (t == NULL)
		return;
	if (t->rtxn)
		mdb_txn_abort(t->rtxn);
	if (t->e)
		env_put(t->e);
	sm_np_object_free(&t->obj);
	free(t->path);
	free(t);
}

/* sm_np_entry_free - release what sm_np_get() copied */
void sm_np_entry_free(struct sm_np_entry *e)
{
	free(e->mem);
	memset(e, 0, sizeof(*e));
}

/* ---- the nisplus source ---- */

/* one table the source reads */
struct np_src_table {
	char *fullname;
	char *path;
	struct sm_nptab *t;
	time_t checked; /* when the file was last looked at */
	dev_t dev;
	ino_t ino;
};

struct np_src {
	char *dir;
	struct np_src_table aliases, vars;
};

/* src_table - the open table, (re)opened as needed; NULL with a status */
static struct sm_nptab *src_table(struct np_src *s, struct np_src_table *st, enum sm_status *status,
                                  struct sm_buf *reason)
{
	time_t now = time(NULL);
	struct stat sb;
	enum sm_np_err ne;

	if (st->t && now == st->checked)
		return st->t;
	if (st->t == NULL && now == st->checked) {
		*status = SM_UNAVAIL;
		sm_buf_printf(reason, "no table %s", st->fullname);
		return NULL;
	}
	st->checked = now;
	if (stat(st->path, &sb) < 0) {
		int oserr = errno;

		sm_np_close(st->t);
		st->t = NULL;
		*status = oserr == ENOENT || oserr == EACCES ? SM_UNAVAIL : SM_TRYAGAIN;
		if (oserr == ENOENT)
			sm_buf_printf(reason, "no table %s", st->fullname);
		else
			sm_buf_printf(reason, "%s: %s", st->path, strerror(oserr));
		return NULL;
	}
	if (st->t && sb.st_dev == st->dev && sb.st_ino == st->ino)
		return st->t;
	sm_np_close(st->t); /* re-created: open the new file */
	st->t = NULL;
	ne = sm_np_open(s->dir, st->fullname, 0, &st->t, reason);
	switch (ne) {
	case SM_NP_SUCCESS:
		st->dev = sb.st_dev;
		st->ino = sb.st_ino;
		return st->t;
	case SM_NP_TRYAGAIN:
		*status = SM_TRYAGAIN;
		st->checked = 0; /* try again at the next lookup */
		return NULL;
	case SM_NP_NOTFOUND:
	case SM_NP_SYSTEMERROR:
	case SM_NP_PERMISSION:
	case SM_NP_NAMEEXISTS:
	case SM_NP_NOSUCHTABLE:
	case SM_NP_NOTSAMEOBJ:
		*status = SM_UNAVAIL;
		return NULL;
	}
	*status = SM_UNAVAIL;
	return NULL;
}

/* np_lookup - answer one key */
static enum sm_status np_lookup(struct sm_source *src, const char *db, const char *key, char **value,
                                struct sm_buf *reason)
{
	struct np_src *s = src->priv;
	struct np_src_table *st;
	struct sm_nptab *t;
	struct sm_np_entry e;
	enum sm_status status = SM_UNAVAIL;
	size_t i;

	if (strcmp(db, "aliases") == 0)
		st = &s->aliases;
	else if (strcmp(db, "sendmailvars") == 0)
		st = &s->vars;
	else {
		sm_buf_printf(reason, "the nisplus source has no %s database", db);
		return SM_UNAVAIL;
	}
	if ((t = src_table(s, st, &status, reason)) == NULL)
		return status;
	if (t->obj.ncols < 2) {
		sm_buf_printf(reason, "%s has %zu column", st->fullname, t->obj.ncols);
		return SM_UNAVAIL;
	}
	switch (sm_np_get(t, key, &e, reason)) {
	case SM_NP_SUCCESS:
		for (i = 0; e.col[1][i]; i++)
			if (e.col[1][i] == '\r' || e.col[1][i] == '\n')
				break;
		if (e.col[1][i]) {
			sm_buf_printf(reason, "%s: CR or LF in the value", st->fullname);
			sm_np_entry_free(&e);
			return SM_UNAVAIL;
		}
		*value = sm_strdup(e.col[1]);
		sm_np_entry_free(&e);
		return SM_SUCCESS;
	case SM_NP_NOTFOUND:
		return SM_NOTFOUND;
	case SM_NP_TRYAGAIN:
		return SM_TRYAGAIN;
	case SM_NP_SYSTEMERROR:
	case SM_NP_PERMISSION:
	case SM_NP_NAMEEXISTS:
	case SM_NP_NOSUCHTABLE:
	case SM_NP_NOTSAMEOBJ:
		return SM_UNAVAIL;
	}
	return SM_UNAVAIL;
}

/* np_free_table - close one table */
static void np_free_table(struct np_src_table *st)
{
	sm_np_close(st->t);
	free(st->fullname);
	free(st->path);
}

/* np_free - release the source's state */
static void np_free(void *priv)
{
	struct np_src *s = priv;

	np_free_table(&s->aliases);
	np_free_table(&s->vars);
	free(s->dir);
	free(s);
}

static const struct sm_source_ops np_ops = { np_lookup, np_free };

/* sm_nisplus_create - a nisplus source; owned by the caller (the switch) */
struct sm_source *sm_nisplus_create(const char *name, const struct sm_config *cf, struct sm_buf *err)
{
	char *domain = sm_nis_domain(cf);
	const char *table = sm_config_str(cf, "NisPlusAliasTable");
	struct np_src *s;

	if (domain == NULL) {
		sm_buf_adds(err, "no NIS+ domain (set NisDomain or the system's domainname)");
		return NULL;
	}
	s = sm_calloc(1, sizeof(*s));
	s->dir = sm_strdup(sm_config_str(cf, "NisPlusDirectory"));
	s->aliases.fullname = sm_np_fullname(table, domain);
	s->vars.fullname = sm_np_fullname("sendmailvars.org_dir", domain);
	free(domain);
	if (s->aliases.fullname == NULL || s->vars.fullname == NULL) {
		sm_buf_printf(err, "NisPlusAliasTable \"%s\" or the domain is not a NIS+ name", table);
		np_free(s);
		return NULL;
	}
	s->aliases.path = np_path(s->dir, s->aliases.fullname);
	s->vars.path = np_path(s->dir, s->vars.fullname);
	return sm_source_alloc(&np_ops, name, s);
}
