/*
 * router/tables.c - virtusertable, mailertable and class lookups over compiled tables
 *
 * See tables.h. Reads no configuration: the router passes every path.
 *
 * DIAGNOSTICS
 *	See tables.h. Logged here (sm_log, LOG_ERR), once where each happens:
 *	a map that exists but cannot be opened, a read error during a lookup,
 *	a value holding NUL, CR or LF, a malformed mailertable value. Each
 *	message names the map, its file and the key (made printable).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

#include "lib/buf.h"
#include "lib/lines.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/table.h"
#include "router/tables.h"

#define SM_CLASS_LINEMAX 4096

struct sm_map {
	char *name;
	char *path;
	struct sm_table *t;   /* NULL unless state is SM_SUCCESS */
	enum sm_status state; /* SM_SUCCESS open, SM_UNAVAIL absent, SM_TRYAGAIN failed */
	int flags;
	char *reason; /* why the map failed, or why the last lookup did */
};

struct sm_class {
	char **w; /* sorted, unique, lower case */
	size_t n, cap;
};

/* sm_map_path - "MAPNAME.lmdb", unless it already ends so; caller frees */
char *sm_map_path(const char *mapname)
{
	size_t n = strlen(mapname);

	if (n > 5 && strcmp(mapname + n - 5, ".lmdb") == 0)
		return sm_strdup(mapname);
	return sm_asprintf("%s.lmdb", mapname);
}

/* set_reason - replace the map's reason */
static void set_reason(struct sm_map *m, char *reason)
{
	free(m->reason);
	m->reason = reason;
}

/* sm_map_open - open a compiled map; never NULL; close with sm_map_close */
struct sm_map *sm_map_open(const char *name, const char *path, int flags)
{
	struct sm_map *m = sm_calloc(1, sizeof(*m));
	struct sm_buf err = SM_BUF_INIT;
	int oserr = 0;

	m->name = sm_strdup(name);
	m->path = sm_strdup(path);
	m->flags = flags;
	m->t = sm_table_open(path, &err, &oserr);
	if (m->t) {
		m->state = SM_SUCCESS;
	} else if (oserr == ENOENT || oserr == ENOTDIR) {
		m->state = SM_UNAVAIL;
		set_reason(m, sm_asprintf("%s: %s: no such map", name, path));
	} else {
		m->state = SM_TRYAGAIN;
		set_reason(m, sm_asprintf("%s: %s", name, sm_buf_str(&err)));
		sm_log(LOG_ERR, "%s", m->reason);
	}
	sm_buf_free(&err);
	return m;
}

/* sm_map_state - open, absent or failed */
enum sm_status sm_map_state(const struct sm_map *m)
{
	return m->state;
}

/* sm_map_reason - why the map or its last lookup failed; owned by the map, may be NULL */
const char *sm_map_reason(const struct sm_map *m)
{
	return m->reason;
}

/* fold - ASCII upper case to lower case, as makemap stores keys */
static void fold(char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			s[i] = (char)(s[i] - 'A' + 'a');
}

/* sm_map_get - look up one key; *val is a new string on SM_SUCCESS (caller frees) */
enum sm_status sm_map_get(struct sm_map *m, const char *key, char **val)
{
	size_t klen = strlen(key), vlen = 0, i;
	const char *v = NULL;
	char *k;
	int rc;

	*val = NULL;
	switch (m->state) {
	case SM_SUCCESS:
		break;
	case SM_UNAVAIL:
		return SM_UNAVAIL;
	case SM_NOTFOUND:
	case SM_TRYAGAIN:
		return SM_TRYAGAIN;
	}
	if (klen == 0 || klen > SM_TABLE_KEYMAX)
		return SM_NOTFOUND;
	/* the key, then the key with its NUL (makemap -N) */
	k = sm_malloc(klen + 1);
	memcpy(k, key, klen + 1);
	if (!(m->flags & SM_MAP_NOFOLD))
		fold(k, klen);
	rc = sm_table_get(m->t, k, klen, &v, &vlen);
	if (rc == 0 && klen + 1 <= SM_TABLE_KEYMAX)
		rc = sm_table_get(m->t, k, klen + 1, &v, &vlen);
	if (rc < 0) {
		char *pk = sm_printable(key, klen, 100);

		set_reason(m, sm_asprintf("%s: %s: read error looking up \"%s\"", m->name, m->path, pk));
		sm_log(LOG_ERR, "%s", m->reason);
		free(pk);
		free(k);
		return SM_TRYAGAIN;
	}
	free(k);
	if (rc == 0)
		return SM_NOTFOUND;
	if (vlen > 0 && v[vlen - 1] == '\0')
		vlen--;
	for (i = 0; i < vlen; i++) {
		if (v[i] == '\0' || v[i] == '\r' || v[i] == '\n') {
			char *pk = sm_printable(key, klen, 100);

			set_reason(m, sm_asprintf("%s: %s: value of \"%s\" holds a NUL, CR or LF", m->name,
			                          m->path, pk));
			sm_log(LOG_ERR, "%s", m->reason);
			free(pk);
			return SM_TRYAGAIN;
		}
	}
	*val = sm_strndup(v, vlen);
	return SM_SUCCESS;
}

/* sm_map_close - release the map */
void sm_map_close(struct sm_map *m)
{
	if (m == NULL)
		return;
	sm_table_close(m->t);
	free(m->name);
	free(m->path);
	free(m->reason);
	free(m);
}

/* sm_tbl_subst - sendmail's %0..%9 substitution; caller frees */
char *sm_tbl_subst(const char *value, const char *const *args, size_t nargs)
{
	struct sm_buf b = SM_BUF_INIT;
	const char *p;

	for (p = value; *p; p++) {
		if (*p != '%') {
			sm_buf_addc(&b, *p);
			continue;
		}
		if (p[1] == '\0') {
			sm_buf_addc(&b, '%');
		} else if (p[1] == '%') {
			sm_buf_addc(&b, '%');
			p++;
		} else if (p[1] >= '0' && p[1] <= '9') {
			size_t n = (size_t)(p[1] - '0');

			if (n < nargs && args[n])
				sm_buf_adds(&b, args[n]);
			p++;
		} else {
			sm_buf_addc(&b, '%');
		}
	}
	return sm_buf_steal(&b); /* "" rather than NULL when empty */
}

/* sysexits codes with sendmail's default reply (sm_sysexmsg) */
static const struct sm_sysexit {
	int code;
	int reply;
	const char *dsn;
	const char *text;
} sm_sysexits[] = {
	{ EX_USAGE, 500, "5.0.0", "Command line usage error" },
	{ EX_DATAERR, 501, "5.6.0", "Data format error" },
	{ EX_NOINPUT, 550, "5.3.0", "Cannot open input" },
	{ EX_NOUSER, 550, "5.1.1", "User unknown" },
	{ EX_NOHOST, 550, "5.1.2", "Host unknown" },
	{ EX_UNAVAILABLE, 554, "5.0.0", "Service unavailable" },
	{ EX_SOFTWARE, 554, "5.3.0", "Internal error" },
	{ EX_OSERR, 451, "4.0.0", "Operating system error" },
	{ EX_OSFILE, 554, "5.3.5", "System file missing" },
	{ EX_CANTCREAT, 550, "5.0.0", "Can't create output" },
	{ EX_IOERR, 451, "4.0.0", "I/O error" },
	{ EX_TEMPFAIL, 450, "4.0.0", "Deferred" },
	{ EX_PROTOCOL, 554, "5.5.0", "Remote protocol error" },
	{ EX_NOPERM, 550, "5.0.0", "Insufficient permission" },
	{ EX_CONFIG, 554, "5.3.5", "Local configuration error" },
};

/* sendmail's error: keywords (buildaddr's ErrorCodes) */
static const struct sm_errkw {
	const char *name;
	int code;
} sm_errkws[] = {
	{ "usage", EX_USAGE },       { "nouser", EX_NOUSER },
	{ "nohost", EX_NOHOST },     { "unavailable", EX_UNAVAILABLE },
	{ "software", EX_SOFTWARE }, { "tempfail", EX_TEMPFAIL },
	{ "protocol", EX_PROTOCOL }, { "config", EX_CONFIG },
};

/* sysexit - the default reply of a sysexits code (EX_UNAVAILABLE's when unknown) */
static const struct sm_sysexit *sysexit(int code)
{
	const struct sm_sysexit *unavailable = NULL;
	size_t i;

	for (i = 0; i < sizeof(sm_sysexits) / sizeof(sm_sysexits[0]); i++) {
		if (sm_sysexits[i].code == code)
			return &sm_sysexits[i];
		if (sm_sysexits[i].code == EX_UNAVAILABLE)
			unavailable = &sm_sysexits[i];
	}
	return unavailable;
}

/* dsn_len - length of an enhanced status code at p (sendmail's isenhsc), or 0 */
static size_t dsn_len(const char *p)
{
	size_t i = 1, d;

	if (p[0] != '2' && p[0] != '4' && p[0] != '5')
		return 0;
	if (p[i++] != '.')
		return 0;
	for (d = 0; d < 3 && isdigit((unsigned char)p[i]); d++)
		i++;
	if (d == 0 || p[i++] != '.')
		return 0;
	for (d = 0; d < 3 && isdigit((unsigned char)p[i]); d++)
		i++;
	if (d == 0 || isdigit((unsigned char)p[i]))
		return 0;
	return i;
}

/* dsn_exit - sendmail's dsntoexitstat */
static int dsn_exit(const char *dsn)
{
	int cls = dsn[0] - '0', subj, det;
	const char *p = dsn + 2;

	subj = atoi(p);
	p = strchr(p, '.');
	det = p ? atoi(p + 1) : 0;
	if (cls == 2)
		return EX_OK;
	if (cls == 4)
		return EX_TEMPFAIL;
	if (cls != 5)
		return EX_CONFIG;
	switch (subj) {
	case 1:
		if (det == 1 || det == 6)
			return EX_NOUSER;
		if (det == 2 || det == 8)
			return EX_NOHOST;
		if (det == 3 || det == 7)
			return EX_USAGE;
		if (det == 0)
			return EX_DATAERR;
		return EX_UNAVAILABLE;
	case 2:
		return det == 3 ? EX_DATAERR : EX_UNAVAILABLE;
	case 3:
		return EX_OSERR;
	case 4:
		if (det == 1 || det == 3 || det == 5)
			return EX_TEMPFAIL;
		if (det == 0 || det == 2)
			return EX_IOERR;
		if (det == 4)
			return EX_PROTOCOL;
		if (det == 6)
			return EX_CONFIG;
		return EX_UNAVAILABLE;
	case 5:
		return EX_PROTOCOL;
	case 6:
		return EX_UNAVAILABLE;
	case 7:
		return EX_DATAERR;
	default:
		return EX_UNAVAILABLE;
	}
}

/* is_blank - space or tab */
static int is_blank(int c)
{
	return c == ' ' || c == '\t';
}

/* is_word - a character of a keyword or mailer name */
static int is_word(int c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '_';
}

/* unquote - the text without its double quotes ("\x" keeps x); caller frees */
static char *unquote(const char *s)
{
	struct sm_buf b = SM_BUF_INIT;

	for (; *s; s++) {
		if (*s == '\\' && s[1]) {
			sm_buf_addc(&b, *++s);
			continue;
		}
		if (*s != '"')
			sm_buf_addc(&b, *s);
	}
	return sm_buf_steal(&b);
}

/* sm_tbl_error_parse - 1 and e filled when value is an error: value (see tables.h) */
int sm_tbl_error_parse(const char *value, struct sm_tbl_error *e)
{
	const char *p = value, *kw = NULL, *codedsn = NULL, *textdsn = NULL;
	size_t n, i;
	int exitcode = -1, reply = 0;
	char *text;
	const char *msg;

	memset(e, 0, sizeof(*e));
	while (is_blank(*p))
		p++;
	if (strncasecmp(p, "error:", 6) != 0)
		return 0;
	p += 6;
	while (is_blank(*p))
		p++;
	/* the code part: D.S.N or a keyword */
	if ((n = dsn_len(p)) > 0 && (p[n] == ':' || is_blank(p[n]) || p[n] == '\0')) {
		codedsn = p;
		exitcode = dsn_exit(p);
		p += n;
		if (*p == ':')
			p++;
	} else {
		const char *w = p;
		int quoted = *w == '"';

		if (quoted)
			w++;
		for (n = 0; is_word(w[n]); n++)
			continue;
		if (n > 0 && !isdigit((unsigned char)w[0]) && (!quoted || w[n] == '"')) {
			const char *after = w + n + quoted;
			int known = -1;

			for (i = 0; i < sizeof(sm_errkws) / sizeof(sm_errkws[0]); i++)
				if (strlen(sm_errkws[i].name) == n &&
				    strncasecmp(sm_errkws[i].name, w, n) == 0)
					known = sm_errkws[i].code;
			if (*after == ':' || (known >= 0 && (is_blank(*after) || *after == '\0'))) {
				kw = w;
				exitcode = known >= 0 ? known : EX_UNAVAILABLE;
				p = *after == ':' ? after + 1 : after;
			}
		}
	}
	while (is_blank(*p))
		p++;
	text = unquote(p);
	msg = text;
	/* the text part: NNN [D.S.N] text */
	if ((msg[0] == '4' || msg[0] == '5') && isdigit((unsigned char)msg[1]) &&
	    isdigit((unsigned char)msg[2]) && (is_blank(msg[3]) || msg[3] == '\0')) {
		reply = (msg[0] - '0') * 100 + (msg[1] - '0') * 10 + (msg[2] - '0');
		msg += 3;
		while (is_blank(*msg))
			msg++;
		if ((n = dsn_len(msg)) > 0 && (is_blank(msg[n]) || msg[n] == '\0')) {
			textdsn = msg;
			msg += n;
			while (is_blank(*msg))
				msg++;
		}
	}
	if (exitcode < 0)
		exitcode = textdsn ? dsn_exit(textdsn) : EX_UNAVAILABLE;
	if (exitcode == EX_OK)
		exitcode = EX_UNAVAILABLE;
	if ((reply / 100) == 4 || (textdsn && textdsn[0] == '4') || (codedsn && codedsn[0] == '4'))
		exitcode = EX_TEMPFAIL;
	if (textdsn)
		memcpy(e->dsn, textdsn, dsn_len(textdsn));
	else if (codedsn)
		memcpy(e->dsn, codedsn, dsn_len(codedsn));
	else if (kw)
		strcpy(e->dsn, sysexit(exitcode)->dsn);
	if (reply == 0)
		reply = exitcode == EX_TEMPFAIL ? 450 : 553;
	if (e->dsn[0] == '\0')
		snprintf(e->dsn, sizeof(e->dsn), "%s",
		         reply == 553       ? "5.3.0"
		         : reply / 100 == 4 ? "4.0.0"
		                            : "5.0.0");
	e->reply = reply;
	e->exitcode = exitcode;
	e->text = sm_strdup(*msg ? msg : sysexit(exitcode)->text);
	free(text);
	return 1;
}

/* sm_tbl_error_free - release the text */
void sm_tbl_error_free(struct sm_tbl_error *e)
{
	free(e->text);
	e->text = NULL;
}

/* trimmed - a copy of s without leading and trailing blanks; caller frees */
static char *trimmed(const char *s)
{
	size_t n;

	while (is_blank(*s))
		s++;
	n = strlen(s);
	while (n > 0 && is_blank(s[n - 1]))
		n--;
	return sm_strndup(s, n);
}

/* no_trailing_dot - a copy without one trailing dot; caller frees */
static char *no_trailing_dot(const char *s)
{
	size_t n = strlen(s);

	if (n > 1 && s[n - 1] == '.')
		n--;
	return sm_strndup(s, n);
}

/* lookup_start - 1 if m is open; else 0, *status NOTFOUND (absent map) or TEMPFAIL with *reason (failed) */
static int lookup_start(const struct sm_map *m, enum sm_tbl_status *status, char **reason)
{
	*status = SM_TBL_NOTFOUND;
	switch (m->state) {
	case SM_SUCCESS:
		return 1;
	case SM_NOTFOUND:
	case SM_UNAVAIL:
		return 0;
	case SM_TRYAGAIN:
		*reason = sm_strdup(m->reason);
		*status = SM_TBL_TEMPFAIL;
		return 0;
	}
	return 0;
}

/* tbl_try - one key (folded; args[0] is set to it): FOUND, *val substituted and trimmed; else key freed */
static enum sm_tbl_status tbl_try(struct sm_map *m, char *key, const char **args, size_t nargs, char **val,
                                  char **reason)
{
	char *raw = NULL, *sub;

	if (!(m->flags & SM_MAP_NOFOLD))
		fold(key, strlen(key));
	args[0] = key;
	switch (sm_map_get(m, key, &raw)) {
	case SM_SUCCESS:
		break;
	case SM_NOTFOUND:
	case SM_UNAVAIL:
		free(key);
		return SM_TBL_NOTFOUND;
	case SM_TRYAGAIN:
		*reason = sm_strdup(sm_map_reason(m));
		free(key);
		return SM_TBL_TEMPFAIL;
	}
	sub = sm_tbl_subst(raw, args, nargs);
	*val = trimmed(sub);
	free(sub);
	free(raw);
	return SM_TBL_FOUND;
}

/* virt_try - one virtusertable key (see tbl_try) */
static enum sm_tbl_status virt_try(struct sm_map *m, char *key, const char **args, size_t nargs,
                                   struct sm_virt_result *out)
{
	char *v = NULL;
	enum sm_tbl_status st = tbl_try(m, key, args, nargs, &v, &out->reason);

	if (st != SM_TBL_FOUND)
		return out->status = st;
	out->key = key;
	if (sm_tbl_error_parse(v, &out->err)) {
		free(v);
		return out->status = SM_TBL_ERROR;
	}
	out->addr = v;
	return out->status = SM_TBL_FOUND;
}

/* sm_virtuser_lookup - sendmail's virtusertable order (see tables.h) */
enum sm_tbl_status sm_virtuser_lookup(struct sm_map *m, const char *user, const char *detail, int has_detail,
                                      const char *domain, struct sm_virt_result *out)
{
	enum sm_tbl_status st = SM_TBL_NOTFOUND;
	const char *args[4] = { NULL, NULL, NULL, NULL };
	char *dom, *plus = NULL, *full = NULL;

	memset(out, 0, sizeof(*out));
	if (!lookup_start(m, &out->status, &out->reason))
		return out->status;
	dom = no_trailing_dot(domain);
	if (!has_detail) {
		args[1] = user;
		st = virt_try(m, sm_asprintf("%s@%s", user, dom), args, 2, out);
		if (st == SM_TBL_NOTFOUND)
			st = virt_try(m, sm_asprintf("@%s", dom), args, 2, out);
		free(dom);
		return st;
	}
	if (detail == NULL)
		detail = "";
	full = sm_asprintf("%s+%s", user, detail);
	plus = sm_asprintf("+%s", detail);
	/* 1: the whole local part */
	args[1] = full;
	st = virt_try(m, sm_asprintf("%s@%s", full, dom), args, 2, out);
	/* 2-7: user and detail apart */
	args[1] = user;
	args[2] = detail;
	args[3] = plus;
	if (st == SM_TBL_NOTFOUND && *detail)
		st = virt_try(m, sm_asprintf("%s++@%s", user, dom), args, 4, out);
	if (st == SM_TBL_NOTFOUND)
		st = virt_try(m, sm_asprintf("%s+*@%s", user, dom), args, 4, out);
	if (st == SM_TBL_NOTFOUND)
		st = virt_try(m, sm_asprintf("%s@%s", user, dom), args, 4, out);
	if (st == SM_TBL_NOTFOUND && *detail)
		st = virt_try(m, sm_asprintf("++@%s", dom), args, 4, out);
	if (st == SM_TBL_NOTFOUND)
		st = virt_try(m, sm_asprintf("+*@%s", dom), args, 4, out);
	if (st == SM_TBL_NOTFOUND)
		st = virt_try(m, sm_asprintf("@%s", dom), args, 4, out);
	free(full);
	free(plus);
	free(dom);
	return st;
}

/* sm_virt_result_free - release what a lookup filled in */
void sm_virt_result_free(struct sm_virt_result *r)
{
	free(r->key);
	free(r->addr);
	free(r->reason);
	sm_tbl_error_free(&r->err);
	memset(r, 0, sizeof(*r));
}

/* mt_malformed - a mailertable value that cannot be used: defer and log */
static enum sm_tbl_status mt_malformed(struct sm_map *m, const char *key, const char *val, const char *why,
                                       struct sm_mt_result *out)
{
	char *pk = sm_printable(key, strlen(key), 100), *pv = sm_printable(val, strlen(val), 100);

	out->reason = sm_asprintf("%s: %s: value of \"%s\" (\"%s\"): %s", m->name, m->path, pk, pv, why);
	sm_log(LOG_ERR, "%s", out->reason);
	free(pk);
	free(pv);
	free(out->mailer);
	free(out->user);
	out->mailer = out->user = NULL;
	return out->status = SM_TBL_TEMPFAIL;
}

/* mt_host - the host of a route: [brackets] mean no MX lookup */
static int mt_host(const char *h, size_t n, struct sm_mt_result *out)
{
	if (n > 0 && h[0] == '[') {
		if (n < 3 || h[n - 1] != ']')
			return -1;
		out->host = sm_strndup(h + 1, n - 2);
		out->no_mx = 1;
		return 0;
	}
	if (n == 0 || memchr(h, '[', n) || memchr(h, ']', n))
		return -1;
	out->host = sm_strndup(h, n);
	return 0;
}

/* mt_value - turn a mailertable value into a route or an error (MailerToTriple) */
static enum sm_tbl_status mt_value(struct sm_map *m, char *key, char *val, struct sm_mt_result *out)
{
	size_t n;
	const char *rest, *at;

	out->key = key;
	if (sm_tbl_error_parse(val, &out->err))
		return out->status = SM_TBL_ERROR;
	for (n = 0; is_word(val[n]); n++)
		continue;
	if (n == 0 || val[n] != ':') {
		/* a bare host: the relay mailer */
		out->mailer = sm_strdup("relay");
		if (mt_host(val, strlen(val), out) < 0)
			return mt_malformed(m, key, val, "bad host", out);
		return out->status = SM_TBL_FOUND;
	}
	rest = val + n + 1;
	if (n == 5 && strncasecmp(val, "local", 5) == 0) {
		out->mailer = sm_strdup("local");
		at = strchr(rest, '@');
		n = at ? (size_t)(at - rest) : strlen(rest);
		if (n > 0)
			out->user = sm_strndup(rest, n);
		return out->status = SM_TBL_FOUND;
	}
	out->mailer = sm_strndup(val, n);
	at = strrchr(rest, '@');
	if (at) {
		if (at == rest)
			return mt_malformed(m, key, val, "empty user", out);
		out->user = sm_strdup(rest);
		rest = at + 1;
	}
	if (mt_host(rest, strlen(rest), out) < 0)
		return mt_malformed(m, key, val, *rest ? "bad host" : "empty host", out);
	return out->status = SM_TBL_FOUND;
}

/* mt_try - one mailertable key (see tbl_try) */
static enum sm_tbl_status mt_try(struct sm_map *m, char *key, const char **args, size_t nargs,
                                 struct sm_mt_result *out)
{
	char *v = NULL;
	enum sm_tbl_status st = tbl_try(m, key, args, nargs, &v, &out->reason);

	if (st != SM_TBL_FOUND)
		return out->status = st;
	st = mt_value(m, key, v, out);
	free(v);
	return st;
}

/* sm_mailertable_lookup - sendmail's mailertable order (see tables.h) */
enum sm_tbl_status sm_mailertable_lookup(struct sm_map *m, const char *host, struct sm_mt_result *out)
{
	enum sm_tbl_status st;
	const char *args[3] = { NULL, NULL, NULL };
	char *h, *left, *label;
	size_t i, prev;

	memset(out, 0, sizeof(*out));
	if (!lookup_start(m, &out->status, &out->reason))
		return out->status;
	h = no_trailing_dot(host);
	if (h[0] == '\0' || strcmp(h, ".") == 0) {
		free(h);
		return SM_TBL_NOTFOUND;
	}
	/* 1: the host itself */
	st = mt_try(m, sm_strdup(h), args, 1, out);
	if (st != SM_TBL_NOTFOUND || h[0] == '[') {
		free(h);
		return st;
	}
	/* 2: each parent domain, most specific first; %1 the part stripped, %2 its last label */
	for (i = 0, prev = 0; h[i] && st == SM_TBL_NOTFOUND; i++) {
		if (h[i] != '.' || i == 0 || h[i + 1] == '\0')
			continue;
		left = sm_strndup(h, i);
		label = sm_strndup(h + prev, i - prev);
		args[1] = left;
		args[2] = label;
		st = mt_try(m, sm_strdup(h + i), args, 3, out);
		free(left);
		free(label);
		prev = i + 1;
	}
	/* 3: "." with %1 the whole host */
	if (st == SM_TBL_NOTFOUND) {
		args[1] = h;
		args[2] = NULL;
		st = mt_try(m, sm_strdup("."), args, 2, out);
	}
	free(h);
	return st;
}

/* sm_mt_result_free - release what a lookup filled in */
void sm_mt_result_free(struct sm_mt_result *r)
{
	free(r->key);
	free(r->mailer);
	free(r->host);
	free(r->user);
	free(r->reason);
	sm_tbl_error_free(&r->err);
	memset(r, 0, sizeof(*r));
}

/* sm_class_new - an empty class; caller frees with sm_class_free */
struct sm_class *sm_class_new(void)
{
	return sm_calloc(1, sizeof(struct sm_class));
}

/* class_word - the stored form of a word: lower case, one trailing dot removed; caller frees */
static char *class_word(const char *word, size_t n)
{
	char *w;

	if (n > 1 && word[n - 1] == '.')
		n--;
	w = sm_strndup(word, n);
	fold(w, n);
	return w;
}

/* class_find - index of w, or where it would go; *found says which */
static size_t class_find(const struct sm_class *c, const char *w, int *found)
{
	size_t lo = 0, hi = c->n;

	*found = 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int cmp = strcmp(c->w[mid], w);

		if (cmp == 0) {
			*found = 1;
			return mid;
		}
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* class_insert - add a stored-form word, keeping the array sorted and unique (takes w) */
static void class_insert(struct sm_class *c, char *w)
{
	int found;
	size_t at = class_find(c, w, &found);

	if (found || w[0] == '\0') {
		free(w);
		return;
	}
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16;
		c->w = sm_realloc(c->w, c->cap * sizeof(*c->w));
	}
	memmove(&c->w[at + 1], &c->w[at], (c->n - at) * sizeof(*c->w));
	c->w[at] = w;
	c->n++;
}

/* sm_class_add - add one word */
void sm_class_add(struct sm_class *c, const char *word)
{
	class_insert(c, class_word(word, strlen(word)));
}

/* sm_class_load - read a class file; caller frees with sm_class_free; NULL with err on failure */
struct sm_class *sm_class_load(const char *path, int optional, struct sm_buf *err)
{
	struct sm_lines lr;
	struct sm_class *c;
	int oserr = 0, rc;

	if (sm_lines_open(&lr, path, SM_CLASS_LINEMAX, &oserr) < 0) {
		if (optional && oserr == ENOENT)
			return sm_class_new();
		sm_buf_printf(err, "%s: %s", path, strerror(oserr));
		return NULL;
	}
	c = sm_class_new();
	while ((rc = sm_lines_next(&lr)) > 0) {
		const char *p = sm_buf_str(&lr.line), *end = p + lr.line.len;

		while (p < end) {
			const char *w;

			while (p < end && isspace((unsigned char)*p))
				p++;
			if (p == end || *p == '#')
				break;
			for (w = p; p < end && !isspace((unsigned char)*p) && *p != '\0'; p++)
				continue;
			class_insert(c, class_word(w, (size_t)(p - w)));
			if (p < end && *p == '\0')
				break;
		}
	}
	if (rc < 0) {
		sm_buf_printf(err, "%s: %s", path, strerror(lr.err));
		sm_lines_close(&lr);
		sm_class_free(c);
		return NULL;
	}
	sm_lines_close(&lr);
	return c;
}

/* sm_class_count - how many words */
size_t sm_class_count(const struct sm_class *c)
{
	return c->n;
}

/* sm_class_contains - exact match, ignoring case and a trailing dot */
int sm_class_contains(const struct sm_class *c, const char *word)
{
	char *w = class_word(word, strlen(word));
	int found;

	class_find(c, w, &found);
	free(w);
	return found;
}

/* sm_class_match_domain - domain or, with subdomains, any parent of it is in the class */
int sm_class_match_domain(const struct sm_class *c, const char *domain, int subdomains)
{
	char *d = class_word(domain, strlen(domain));
	const char *p;
	int found = 0;

	class_find(c, d, &found);
	if (!found && subdomains && d[0] != '[') {
		for (p = strchr(d, '.'); p && !found; p = strchr(p + 1, '.'))
			if (p[1] != '\0')
				class_find(c, p + 1, &found);
	}
	free(d);
	return found;
}

/* sm_class_free - release the class */
void sm_class_free(struct sm_class *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n; i++)
		free(c->w[i]);
	free(c->w);
	free(c);
}
