/*
 * router/route.c - turn an address into delivery decisions
 *
 * See router.h for the stages. Reads HostName, LocalHostNamesFile,
 * NameServiceDomain, MailDomain, MailHost, RemoteMode, SmartHost,
 * FallBackSmartHost, VirtUserTable, VirtUserDomainsFile, MailerTable,
 * MaxAliasRecursion, ForwardPath, MaxForwardEntries and ForwardMinUid from
 * the configuration, and the LdapRoute settings through router/ldaproute.h;
 * asks the aliases, passwd, hosts, sendmailvars and mailroute databases
 * through the switch.
 *
 * DIAGNOSTICS
 *	See router.h. Decisions are recorded in the trace (when one is given),
 *	never logged here; a mail domain that is not a suffix of the
 *	name-service domain is logged once as a warning.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "lib/lines.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "nsswitch/files.h"
#include "nsswitch/passwd.h"
#include "router/address.h"
#include "router/domain.h"
#include "router/forward.h"
#include "router/ldaproute.h"
#include "router/router.h"
#include "router/tables.h"

#define SM_INCLUDE_LINE_MAX 65536
#define SM_STACK_MAX 64

struct sm_router {
	const struct sm_config *cf;
	struct sm_switch *sw;
	char *hostname; /* fully qualified */
	char *shortname;
	char *nsdomain;            /* name-service domain, or NULL */
	char *maildomain;          /* or NULL */
	char *remote;              /* RemoteMode: our mail server, or NULL (local mode) */
	char *smarthost;           /* or NULL */
	char *fallback;            /* FallBackSmartHost, or NULL */
	struct sm_class *names;    /* our names: {w} */
	struct sm_class *virtdoms; /* other domains of the virtusertable */
	struct sm_map *virtuser;
	struct sm_map *mailertable;
	struct sm_ldaproute *ldaproute; /* LDAP mail routing, or NULL when no domain is routed */
	long maxdepth;
	struct sm_forward_params fwd;
	char *fwdpath;
	char *defuser; /* DefaultUser: runs what the aliases file names */
	/* the mail host, looked up once: MH_UNKNOWN until then */
	enum { MH_UNKNOWN, MH_KNOWN, MH_SELF, MH_FAILED } mh_state;
	char *mailhost; /* MH_KNOWN: its canonical name */
	char *mh_reply; /* MH_FAILED: the deferral */
	/* duplicate suppression: an open-addressing set of "mailer host user" keys */
	char **seen;
	size_t nseen, seencap;
};

enum sm_via {
	SM_VIA_DIRECT,  /* command line or SMTP: no programs, files or :include: */
	SM_VIA_TABLE,   /* a virtusertable value: an address, never a program */
	SM_VIA_ALIAS,   /* an alias value or an :include: file */
	SM_VIA_FORWARD, /* a .forward file */
};

struct sm_router_ctx {
	struct sm_router *rt;
	struct sm_route *out;
	struct sm_trace *tr;
	size_t produced;
	size_t loops;
	size_t depth;
	char *stack[SM_STACK_MAX]; /* alias and user names being expanded, outermost first */
	const char *sender;        /* envelope sender set by an owner- alias, or NULL */
	int unsafe;                /* the controlling .forward or :include: is unsafe */
	const char *ctl;           /* controlling user of programs and files; NULL: DefaultUser */
};

static void expand(struct sm_router_ctx *c, const char *written, size_t depth, enum sm_via via);

/* opt_string - a setting's value, or NULL when empty; caller frees */
static char *opt_string(const struct sm_config *cf, const char *name)
{
	const char *v = sm_config_str(cf, name);

	return *v ? sm_strdup(v) : NULL;
}

/* switch_var - a sendmailvars value through the switch, or NULL; caller frees */
static char *switch_var(struct sm_switch *sw, const char *key)
{
	struct sm_answer ans;
	char *v = NULL;

	if (sm_switch_lookup(sw, "sendmailvars", key, strlen(key), &ans, NULL) == SM_SUCCESS && *ans.value)
		v = sm_strdup(ans.value);
	sm_answer_free(&ans);
	return v;
}

/* system_nsdomain - the NIS domain of the system, or NULL; caller frees */
static char *system_nsdomain(void)
{
	char buf[256];

	if (getdomainname(buf, sizeof(buf) - 1) < 0)
		return NULL;
	buf[sizeof(buf) - 1] = '\0';
	if (buf[0] == '\0' || strcmp(buf, "(none)") == 0)
		return NULL;
	return sm_strdup(buf);
}

/* set_domains - the name-service domain and the mail domain */
static void set_domains(struct sm_router *rt)
{
	const char *dot = strchr(rt->hostname, '.');

	rt->nsdomain = opt_string(rt->cf, "NameServiceDomain");
	if (rt->nsdomain == NULL)
		rt->nsdomain = system_nsdomain();
	if (rt->nsdomain == NULL && dot && dot[1])
		rt->nsdomain = sm_strdup(dot + 1);
	rt->maildomain = opt_string(rt->cf, "MailDomain");
	if (rt->maildomain == NULL)
		rt->maildomain = switch_var(rt->sw, "maildomain");
	if (rt->maildomain == NULL)
		rt->maildomain = sm_maildomain_from_nsdomain(rt->nsdomain);
	if (rt->maildomain && rt->nsdomain && !sm_domain_is_suffix(rt->maildomain, rt->nsdomain))
		sm_log(LOG_WARNING, "mail domain %s is not a suffix of the name-service domain %s",
		       rt->maildomain, rt->nsdomain);
}

/* sm_router_new - a router over sw (not owned); free with sm_router_free */
struct sm_router *sm_router_new(const struct sm_config *cf, struct sm_switch *sw)
{
	struct sm_router *rt = sm_calloc(1, sizeof(*rt));
	struct sm_buf err = SM_BUF_INIT;
	const char *hn = sm_config_str(cf, "HostName");
	const char *path;
	char buf[256], *mt, *vt;
	char *dot;

	rt->cf = cf;
	rt->sw = sw;
	if (*hn == '\0') {
		if (gethostname(buf, sizeof(buf) - 1) < 0)
			strcpy(buf, "localhost");
		buf[sizeof(buf) - 1] = '\0';
		hn = buf;
	}
	rt->hostname = sm_strdup(hn);
	dot = strchr(rt->hostname, '.');
	rt->shortname = dot ? sm_strndup(rt->hostname, (size_t)(dot - rt->hostname)) : sm_strdup(hn);
	rt->maxdepth = sm_config_int(cf, "MaxAliasRecursion");
	set_domains(rt);
	rt->remote = opt_string(cf, "RemoteMode");
	rt->smarthost = opt_string(cf, "SmartHost");
	rt->fallback = opt_string(cf, "FallBackSmartHost");

	path = sm_config_str(cf, "LocalHostNamesFile");
	rt->names = *path ? sm_class_load(path, 1, &err) : NULL;
	if (rt->names == NULL) {
		if (*path)
			sm_log(LOG_WARNING, "%s; only our own host names are local", sm_buf_str(&err));
		rt->names = sm_class_new();
	}
	sm_class_add(rt->names, rt->hostname);
	sm_class_add(rt->names, rt->shortname);
	sm_class_add(rt->names, "localhost");
	sm_class_add(rt->names, "localhost.localdomain");
	sm_class_add(rt->names, "[127.0.0.1]");
	sm_buf_reset(&err);
	path = sm_config_str(cf, "VirtUserDomainsFile");
	rt->virtdoms = *path ? sm_class_load(path, 1, &err) : NULL;
	if (rt->virtdoms == NULL) {
		if (*path)
			sm_log(LOG_WARNING, "%s", sm_buf_str(&err));
		rt->virtdoms = sm_class_new();
	}
	vt = sm_map_path(sm_config_str(cf, "VirtUserTable"));
	mt = sm_map_path(sm_config_str(cf, "MailerTable"));
	rt->virtuser = sm_map_open("virtusertable", vt, 0);
	rt->mailertable = sm_map_open("mailertable", mt, 0);
	free(vt);
	free(mt);

	rt->ldaproute = sm_ldaproute_new(cf);
	rt->defuser = sm_strdup(sm_config_str(cf, "DefaultUser"));
	rt->fwdpath = sm_strdup(sm_config_str(cf, "ForwardPath"));
	rt->fwd.path = rt->fwdpath;
	rt->fwd.host = rt->shortname;
	rt->fwd.max_entries = (size_t)sm_config_int(cf, "MaxForwardEntries");
	rt->fwd.min_uid = (uid_t)sm_config_int(cf, "ForwardMinUid");
	sm_buf_free(&err);
	return rt;
}

/* sm_router_is_local_domain - is domain one of our names? */
int sm_router_is_local_domain(struct sm_router *rt, const char *domain)
{
	return sm_class_contains(rt->names, domain);
}

/* seen_hash - FNV-1a */
static size_t seen_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return (size_t)h;
}

/* seen_add - 1 if key was new (and is now recorded), 0 if already seen */
static int seen_add(struct sm_router *rt, const char *key)
{
	size_t i;

	if (rt->nseen * 2 >= rt->seencap) {
		size_t oldcap = rt->seencap;
		char **old = rt->seen;

		rt->seencap = oldcap ? oldcap * 2 : 64;
		rt->seen = sm_calloc(rt->seencap, sizeof(*rt->seen));
		for (i = 0; i < oldcap; i++) {
			if (old[i]) {
				size_t j = seen_hash(old[i]) & (rt->seencap - 1);

				while (rt->seen[j])
					j = (j + 1) & (rt->seencap - 1);
				rt->seen[j] = old[i];
			}
		}
		free(old);
	}
	for (i = seen_hash(key) & (rt->seencap - 1); rt->seen[i]; i = (i + 1) & (rt->seencap - 1))
		if (strcmp(rt->seen[i], key) == 0)
			return 0;
	rt->seen[i] = sm_strdup(key);
	rt->nseen++;
	return 1;
}

/* push - a new, empty recipient at the end of out */
static struct sm_rcpt *push(struct sm_route *out, const char *addr)
{
	struct sm_rcpt *r;

	if (out->count == out->cap) {
		out->cap = out->cap ? out->cap * 2 : 8;
		out->r = sm_realloc(out->r, out->cap * sizeof(*out->r));
	}
	r = &out->r[out->count++];
	memset(r, 0, sizeof(*r));
	r->addr = sm_strdup(addr);
	return r;
}

/* deliverable - record a recipient unless an identical one was already routed */
static void deliverable(struct sm_router_ctx *c, const char *addr, const char *mailer, const char *host,
                        const char *user)
{
	char *key = sm_asprintf("%s %s %s", mailer, host ? host : "", user);
	struct sm_rcpt *r;

	c->produced++;
	if (!seen_add(c->rt, key)) {
		sm_trace_note(c->tr, "%s... duplicate suppressed", addr);
		free(key);
		return;
	}
	free(key);
	r = push(c->out, addr);
	r->mailer = sm_strdup(mailer);
	r->host = host ? sm_strdup(host) : NULL;
	r->user = sm_strdup(user);
	r->sender = c->sender ? sm_strdup(c->sender) : NULL;
	r->ctl = sm_strdup(c->ctl ? c->ctl : c->rt->defuser);
	r->exitcode = EX_OK;
}

/* failed - record a recipient that cannot be delivered */
static void failed(struct sm_router_ctx *c, const char *addr, int exitcode, const char *reply)
{
	struct sm_rcpt *r = push(c->out, addr);

	c->produced++;
	r->exitcode = exitcode;
	r->reply = sm_strdup(reply);
}

/* failedf - failed() with a formatted reply */
static void __attribute__((format(printf, 4, 5)))
failedf(struct sm_router_ctx *c, const char *addr, int exitcode, const char *fmt, ...)
{
	va_list ap;
	char *reply;

	va_start(ap, fmt);
	if (vasprintf(&reply, fmt, ap) < 0)
		reply = sm_strdup("451 4.3.0 Temporary failure");
	va_end(ap);
	failed(c, addr, exitcode, reply);
	free(reply);
}

/* lookup_failed - the reply for a lookup that neither found nor ruled out */
static void lookup_failed(struct sm_router_ctx *c, const char *addr, const char *what,
                          const struct sm_answer *ans)
{
	failedf(c, addr, EX_TEMPFAIL, "451 %s %s %sunavailable (%s: %s)",
	        ans->status == SM_TRYAGAIN ? "4.4.3" : "4.3.5", what,
	        ans->status == SM_TRYAGAIN ? "temporarily " : "", ans->source ? ans->source : "?",
	        ans->reason ? ans->reason : "no reason");
}

/* table_error - record an error: value from a table */
static void table_error(struct sm_router_ctx *c, const char *addr, const struct sm_tbl_error *e)
{
	failedf(c, addr, e->exitcode, "%d %s %s", e->reply, e->dsn, e->text ? e->text : "");
}

/* on_stack - is name an alias or user already being expanded? */
static int on_stack(const struct sm_router_ctx *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->depth; i++)
		if (strcmp(c->stack[i], name) == 0)
			return 1;
	return 0;
}

/* too_deep - record the recursion failure; 1 if the limit is reached */
static int too_deep(struct sm_router_ctx *c, const char *addr, size_t depth)
{
	if ((long)depth < c->rt->maxdepth && c->depth < SM_STACK_MAX)
		return 0;
	failedf(c, addr, EX_CONFIG, "554 5.4.6 aliasing/forwarding loop broken (%zu aliases deep; %ld max)",
	        depth + 1, c->rt->maxdepth);
	return 1;
}

/* to_server - remote mode: hand an address to our mail server */
static void to_server(struct sm_router_ctx *c, const char *written, const char *user)
{
	char *q = NULL;

	if (strchr(user, '@') == NULL && c->rt->maildomain)
		user = q = sm_asprintf("%s@%s", user, c->rt->maildomain);
	sm_trace_note(c->tr, "%s... remote mode: to the mail server %s", written, c->rt->remote);
	deliverable(c, written, "relay", c->rt->remote, user);
	free(q);
}

struct sm_list_ctx {
	struct sm_router_ctx *c;
	size_t depth;
	const char *parent; /* lower-cased name being expanded (alias or user), or NULL */
	enum sm_via via;
	int selfref;
};

/* same_local - does elem name parent itself (name or name@ourhost, with or without a backslash)? */
static int same_local(struct sm_router *rt, const char *elem, const char *parent)
{
	const char *at = strrchr(elem, '@');
	size_t len;

	if (parent == NULL)
		return 0;
	if (*elem == '\\')
		elem++;
	len = at ? (size_t)(at - elem) : strlen(elem);
	if (len != strlen(parent) || strncasecmp(elem, parent, len) != 0)
		return 0;
	return at == NULL || sm_router_is_local_domain(rt, at + 1);
}

/* list_elem - one address of an alias value, :include: file or .forward */
static void list_elem(void *ctx, const char *elem)
{
	struct sm_list_ctx *lc = ctx;

	if (same_local(lc->c->rt, elem, lc->parent)) {
		lc->selfref = 1;
		return;
	}
	expand(lc->c, elem, lc->depth, lc->via);
}

/* user_name - the login name of uid, or "#uid"; caller frees */
static char *user_name(uid_t uid)
{
	struct passwd pwd, *res = NULL;
	char buf[4096];

	if (getpwuid_r(uid, &pwd, buf, sizeof(buf), &res) == 0 && res)
		return sm_strdup(res->pw_name);
	return sm_asprintf("#%lu", (unsigned long)uid);
}

/* include_file - expand the addresses listed in an :include: file */
static void include_file(struct sm_router_ctx *c, const char *addr, const char *path, size_t depth)
{
	struct sm_list_ctx lc = { c, depth + 1, NULL, SM_VIA_ALIAS, 0 };
	const char *saved_ctl;
	int saved_unsafe;
	char *owner = NULL;
	struct stat st;
	struct sm_lines lr;
	int oserr, rc;

	if (sm_lines_open(&lr, path, SM_INCLUDE_LINE_MAX, &oserr) < 0) {
		failedf(c, addr, sm_errno_transient(oserr) ? EX_TEMPFAIL : EX_UNAVAILABLE,
		        "%s Cannot open %s: %s", sm_errno_transient(oserr) ? "451 4.2.4" : "550 5.2.4", path,
		        strerror(oserr));
		return;
	}
	if (fstat(fileno(lr.fp), &st) < 0 || !S_ISREG(st.st_mode)) {
		failedf(c, addr, EX_UNAVAILABLE, "550 5.2.4 Cannot open %s: not a regular file", path);
		sm_lines_close(&lr);
		return;
	}
	saved_ctl = c->ctl;
	saved_unsafe = c->unsafe;
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		c->unsafe = 1; /* others could add programs: none run from it */
	if (c->ctl == NULL)    /* from the aliases file: the file's owner controls it */
		c->ctl = owner = user_name(st.st_uid);
	sm_trace_note(c->tr, "%s... including file %s (controlling user %s%s)", addr, path,
	              c->ctl ? c->ctl : c->rt->defuser, c->unsafe ? ", unsafe: no programs or files" : "");
	while ((rc = sm_lines_next(&lr)) > 0) {
		char *line = lr.line.data, *cmt;

		if (lr.too_long || lr.has_nul || line[0] == '#')
			continue;
		if ((cmt = strstr(line, " #@# ")) != NULL)
			*cmt = '\0';
		sm_split_list(line, list_elem, &lc);
	}
	if (rc < 0)
		failedf(c, addr, EX_TEMPFAIL, "451 4.2.4 Cannot read %s: %s", path, strerror(lr.err));
	sm_lines_close(&lr);
	c->ctl = saved_ctl;
	c->unsafe = saved_unsafe;
	free(owner);
}

/* owner_of - owner-X for alias X (owner-owner for an owner- alias), as the new envelope sender */
static char *owner_of(struct sm_router_ctx *c, const char *alias)
{
	struct sm_answer ans;
	char *key, *sender = NULL;

	if (strncmp(alias, "owner-", 6) == 0 || strlen(alias) > SM_KEY_MAX - 6)
		key = sm_strdup("owner-owner");
	else
		key = sm_asprintf("owner-%s", alias);
	if (strcmp(key, alias) == 0) {
		free(key);
		return NULL;
	}
	if (sm_switch_lookup(c->rt->sw, "aliases", key, strlen(key), &ans, c->tr) == SM_SUCCESS) {
		/* a list or a special target is named by the owner alias itself */
		sender = strpbrk(ans.value, ",:/|\"") ? sm_strdup(key) : sm_strdup(ans.value);
		sm_trace_note(c->tr, "%s: envelope sender for its members is %s", alias, sender);
	}
	sm_answer_free(&ans);
	free(key);
	return sender;
}

/* alias_keys - the keys to try for a local name: user+detail, user+*, user */
static size_t alias_keys(const struct sm_addr *a, char *keys[3])
{
	size_t n = 0, i, j;

	if (a->has_detail) {
		keys[n++] = sm_strdup(a->local);
		keys[n++] = sm_asprintf("%s+*", a->user);
	}
	keys[n++] = sm_strdup(a->user);
	for (i = 0; i < n; i++)
		for (j = 0; keys[i][j]; j++)
			keys[i][j] = (char)tolower((unsigned char)keys[i][j]);
	return n;
}

/* expand_alias - the aliases stage; 1 if the address was handled here */
static int expand_alias(struct sm_router_ctx *c, const char *addr, const struct sm_addr *a, size_t depth)
{
	char *keys[3];
	size_t n = alias_keys(a, keys), i;
	int handled = 0, found = 0;

	for (i = 0; i < n && !found && !handled; i++) {
		const char *saved = c->sender;
		struct sm_list_ctx lc;
		struct sm_answer ans;
		char *owner;

		if (on_stack(c, keys[i])) {
			sm_trace_note(c->tr, "%s... alias loop to %s dropped", addr, keys[i]);
			c->loops++;
			handled = 1;
			break;
		}
		switch (sm_switch_lookup(c->rt->sw, "aliases", keys[i], strlen(keys[i]), &ans, c->tr)) {
		case SM_SUCCESS:
			found = handled = 1;
			if (too_deep(c, addr, depth))
				break;
			sm_trace_note(c->tr, "%s... aliased to %s", addr, ans.value);
			owner = owner_of(c, keys[i]);
			if (owner)
				c->sender = owner;
			lc = (struct sm_list_ctx){ c, depth + 1, keys[i], SM_VIA_ALIAS, 0 };
			c->stack[c->depth++] = keys[i];
			sm_split_list(ans.value, list_elem, &lc);
			c->depth--;
			c->sender = saved;
			free(owner);
			if (lc.selfref) /* "user: user, other": the user keeps a copy */
				handled = 0;
			break;
		case SM_NOTFOUND:
			break;
		case SM_TRYAGAIN:
		case SM_UNAVAIL:
			lookup_failed(c, addr, "alias database", &ans);
			handled = 1;
			break;
		}
		sm_answer_free(&ans);
	}
	for (i = 0; i < n; i++)
		free(keys[i]);
	return handled;
}

/* mailbox - the local delivery agent for user, keeping its +detail */
static void mailbox(struct sm_router_ctx *c, const char *written, const struct sm_addr *a)
{
	if (c->rt->remote) {
		to_server(c, written, a->local);
		return;
	}
	deliverable(c, written, "local", NULL, a->has_detail ? a->local : a->user);
}

/* forward - the .forward stage; 1 if the address was handled here */
static int forward(struct sm_router_ctx *c, const char *written, const struct sm_addr *a,
                   const struct sm_pw *pw, size_t depth)
{
	struct sm_forward f;
	struct sm_list_ctx lc;
	const char *saved_sender = c->sender;
	const char *saved_ctl = c->ctl;
	int saved_unsafe = c->unsafe, handled = 1;
	char *name;
	size_t i;

	sm_forward_find(pw, a->has_detail ? a->detail : NULL, &c->rt->fwd, &f);
	switch (f.status) {
	case SM_FORWARD_NONE:
		handled = 0;
		break;
	case SM_FORWARD_TEMPFAIL:
		failedf(c, written, EX_TEMPFAIL, "451 4.4.1 %s",
		        f.reason ? f.reason : "transient .forward open error");
		break;
	case SM_FORWARD_FOUND:
		if (f.count == 0) {
			handled = 0;
			break;
		}
		if (too_deep(c, written, depth))
			break;
		sm_trace_note(c->tr, "%s... forwarding to the %zu addresses of %s%s", written, f.count,
		              f.path, f.unsafe ? " (unsafe: no programs or files)" : "");
		if (f.truncated)
			sm_trace_note(c->tr, "Attempt to forward to more than %zu addresses (in %s)!",
			              c->rt->fwd.max_entries, f.path);
		name = sm_strdup(pw->name);
		lc = (struct sm_list_ctx){ c, depth + 1, name, SM_VIA_FORWARD, 0 };
		c->stack[c->depth++] = name;
		c->sender = NULL;
		c->unsafe = f.unsafe;
		c->ctl = name;
		for (i = 0; i < f.count; i++)
			list_elem(&lc, f.addrs[i]);
		c->depth--;
		c->sender = saved_sender;
		c->unsafe = saved_unsafe;
		c->ctl = saved_ctl;
		free(name);
		if (lc.selfref) /* "\jun, other" or "jun, other": jun keeps a copy */
			handled = 0;
		break;
	}
	sm_forward_free(&f);
	return handled;
}

/* has_upper - does s hold an ASCII capital? */
static int has_upper(const char *s)
{
	for (; *s; s++)
		if (isupper((unsigned char)*s))
			return 1;
	return 0;
}

/* lower_copy - a copy of mailbox a with its local part in lower case; free with sm_addr_free */
static void lower_copy(const struct sm_addr *a, struct sm_addr *out)
{
	char **f[] = { &out->local, &out->user, &out->detail, &out->text };
	size_t i, j;

	memset(out, 0, sizeof(*out));
	out->kind = a->kind;
	out->local = sm_strdup(a->local);
	out->user = sm_strdup(a->user);
	out->detail = a->detail ? sm_strdup(a->detail) : NULL;
	out->has_detail = a->has_detail;
	out->domain = a->domain ? sm_strdup(a->domain) : NULL;
	out->text = sm_strdup(a->text);
	out->escaped = a->escaped;
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		for (j = 0; *f[i] && (*f[i])[j]; j++)
			(*f[i])[j] = (char)tolower((unsigned char)(*f[i])[j]);
}

/* local_user - a local name that is no alias: passwd, then .forward, then the mailbox */
static void local_user(struct sm_router_ctx *c, const char *written, const struct sm_addr *a, size_t depth,
                       int use_forward)
{
	struct sm_answer ans;
	struct sm_addr lower;
	struct sm_pw pw;
	enum sm_status st;

	st = sm_switch_lookup(c->rt->sw, "passwd", a->user, strlen(a->user), &ans, c->tr);
	if (st == SM_NOTFOUND && has_upper(a->user)) {
		/* as sendmail's finduser(): a name not found is tried again in lower case */
		lower_copy(a, &lower);
		sm_answer_free(&ans);
		sm_trace_note(c->tr, "%s... trying %s", written, lower.user);
		local_user(c, written, &lower, depth, use_forward);
		sm_addr_free(&lower);
		return;
	}
	switch (st) {
	case SM_SUCCESS:
		if (sm_passwd_parse(ans.value, &pw) < 0) {
			failedf(c, written, EX_TEMPFAIL, "451 4.3.0 malformed passwd entry for %s", a->user);
			break;
		}
		if (!use_forward || !forward(c, written, a, &pw, depth))
			mailbox(c, written, a);
		sm_pw_free(&pw);
		break;
	case SM_NOTFOUND:
		if (c->rt->remote)
			to_server(c, written, a->local);
		else
			failed(c, written, EX_NOUSER, "550 5.1.1 User unknown");
		break;
	case SM_TRYAGAIN:
	case SM_UNAVAIL:
		lookup_failed(c, written, "user database", &ans);
		break;
	}
	sm_answer_free(&ans);
}

/* mailhost - find the mail host once: its canonical name, or that we are it */
static void mailhost(struct sm_router_ctx *c)
{
	struct sm_router *rt = c->rt;
	struct sm_answer ans;
	char *name, *sp;

	if (rt->mh_state != MH_UNKNOWN)
		return;
	name = opt_string(rt->cf, "MailHost");
	if (name == NULL)
		name = switch_var(rt->sw, "mailhost");
	if (name == NULL)
		name = sm_strdup("mailhost");
	switch (sm_switch_lookup(rt->sw, "hosts", name, strlen(name), &ans, c->tr)) {
	case SM_SUCCESS:
		if ((sp = strchr(ans.value, ' ')) != NULL)
			*sp = '\0';
		if (sm_router_is_local_domain(rt, ans.value)) {
			rt->mh_state = MH_SELF;
		} else {
			rt->mh_state = MH_KNOWN;
			rt->mailhost = sm_strdup(ans.value);
		}
		break;
	case SM_NOTFOUND:
		rt->mh_state = MH_SELF; /* no mail host named: we route on ourselves */
		break;
	case SM_TRYAGAIN:
	case SM_UNAVAIL:
		rt->mh_state = MH_FAILED;
		rt->mh_reply =
		    sm_asprintf("451 4.4.3 cannot find the mail host %s (%s: %s)", name,
		                ans.source ? ans.source : "?", ans.reason ? ans.reason : "no reason");
		break;
	}
	sm_trace_note(c->tr, "mail host %s: %s", name,
	              rt->mh_state == MH_SELF    ? "this host"
	              : rt->mh_state == MH_KNOWN ? rt->mailhost
	                                         : "unknown");
	sm_answer_free(&ans);
	free(name);
}

/* next_hop - an address for another host: mailertable, remote mode, mail domain, mail host, smart host */
static void next_hop(struct sm_router_ctx *c, const char *written, const struct sm_addr *a, size_t depth)
{
	struct sm_router *rt = c->rt;
	const char *host = a->bang_next ? a->bang_next : a->domain;
	struct sm_mt_result mt;

	switch (sm_mailertable_lookup(rt->mailertable, host, &mt)) {
	case SM_TBL_FOUND:
		sm_trace_note(c->tr, "%s... mailertable %s: mailer %s%s%s", written, mt.key, mt.mailer,
		              mt.host ? ", host " : "", mt.host ? mt.host : "");
		if (strcmp(mt.mailer, "local") == 0) {
			char *user = mt.user ? sm_strdup(mt.user) : sm_strdup(a->local);
			struct sm_addr la;
			struct sm_addr_error err;

			if (sm_addr_parse(user, strlen(user), &la, &err) == 0 && la.kind == SM_ADDR_MAILBOX)
				local_user(c, written, &la, depth, 1);
			else
				failed(c, written, EX_USAGE, err.reply);
			sm_addr_free(&la);
			free(user);
		} else if (mt.host && sm_router_is_local_domain(rt, mt.host)) {
			local_user(c, written, a, depth, 1);
		} else {
			deliverable(c, written, mt.mailer, mt.host, mt.user ? mt.user : a->text);
		}
		sm_mt_result_free(&mt);
		return;
	case SM_TBL_ERROR:
		table_error(c, written, &mt.err);
		sm_mt_result_free(&mt);
		return;
	case SM_TBL_TEMPFAIL:
		failedf(c, written, EX_TEMPFAIL, "451 4.3.0 mailertable unavailable (%s)",
		        mt.reason ? mt.reason : "no reason");
		sm_mt_result_free(&mt);
		return;
	case SM_TBL_NOTFOUND:
		sm_mt_result_free(&mt);
		break;
	}
	if (rt->remote) {
		to_server(c, written, a->text);
		return;
	}
	if (rt->maildomain && sm_domain_within(host, rt->maildomain)) {
		sm_trace_note(c->tr, "%s... %s is in the mail domain %s: sent to it directly", written, host,
		              rt->maildomain);
		deliverable(c, written, "esmtp", host, a->text);
		return;
	}
	mailhost(c);
	switch (rt->mh_state) {
	case MH_KNOWN:
		deliverable(c, written, "relay", rt->mailhost, a->text);
		return;
	case MH_FAILED:
		failed(c, written, EX_TEMPFAIL, rt->mh_reply);
		return;
	case MH_UNKNOWN:
	case MH_SELF:
		break;
	}
	if (rt->smarthost) {
		sm_trace_note(c->tr, "%s... to the smart host %s", written, rt->smarthost);
		deliverable(c, written, "relay", rt->smarthost, a->text);
		return;
	}
	if (rt->fallback)
		sm_trace_note(c->tr, "%s... fallback smart host %s if every MX host fails", written,
		              rt->fallback);
	deliverable(c, written, "esmtp", host, a->text);
}

/* virtuser - the virtusertable stage; 1 if the address was handled here */
static int virtuser(struct sm_router_ctx *c, const char *written, const struct sm_addr *a, size_t depth)
{
	struct sm_router *rt = c->rt;
	const char *domain = a->domain ? a->domain : rt->hostname;
	struct sm_virt_result vr;
	int handled = 1;

	if (sm_map_state(rt->virtuser) == SM_UNAVAIL)
		return 0;
	switch (sm_virtuser_lookup(rt->virtuser, a->user, a->detail, a->has_detail, domain, &vr)) {
	case SM_TBL_FOUND:
		sm_trace_note(c->tr, "%s... virtusertable %s: %s", written, vr.key, vr.addr);
		if (too_deep(c, written, depth))
			break;
		expand(c, vr.addr, depth + 1, SM_VIA_TABLE);
		break;
	case SM_TBL_ERROR:
		table_error(c, written, &vr.err);
		break;
	case SM_TBL_TEMPFAIL:
		failedf(c, written, EX_TEMPFAIL, "451 4.3.0 virtusertable unavailable (%s)",
		        vr.reason ? vr.reason : "no reason");
		break;
	case SM_TBL_NOTFOUND:
		handled = 0;
		break;
	}
	sm_virt_result_free(&vr);
	return handled;
}

/* what the LDAP routing stage decided */
enum ldap_decision {
	LDAP_HANDLED, /* routed, refused or deferred here */
	LDAP_PASS,    /* no entry (passthru): route the address as if LDAP routing were off */
	LDAP_LOCAL,   /* a local mailHost and no new address: deliver the local part here */
};

/* ldap_mailhost - relay to a remote mailHost, through the mailertable when it names it */
static enum ldap_decision ldap_mailhost(struct sm_router_ctx *c, const char *written, const char *mailhost,
                                        const char *user, const char *address, size_t depth)
{
	struct sm_mt_result mt;
	enum ldap_decision d = LDAP_HANDLED;

	switch (sm_mailertable_lookup(c->rt->mailertable, mailhost, &mt)) {
	case SM_TBL_FOUND:
		sm_trace_note(c->tr, "%s... mailertable %s: mailer %s%s%s", written, mt.key, mt.mailer,
		              mt.host ? ", host " : "", mt.host ? mt.host : "");
		if (strcmp(mt.mailer, "local") == 0 ||
		    (mt.host && sm_router_is_local_domain(c->rt, mt.host))) {
			/* the mail host is us after all */
			if (address == NULL)
				d = LDAP_LOCAL;
			else if (!too_deep(c, written, depth))
				expand(c, address, depth + 1, SM_VIA_TABLE);
		} else {
			deliverable(c, written, mt.mailer, mt.host ? mt.host : mailhost,
			            mt.user ? mt.user : user);
		}
		break;
	case SM_TBL_ERROR:
		table_error(c, written, &mt.err);
		break;
	case SM_TBL_TEMPFAIL:
		failedf(c, written, EX_TEMPFAIL, "451 4.3.0 mailertable unavailable (%s)",
		        mt.reason ? mt.reason : "no reason");
		break;
	case SM_TBL_NOTFOUND:
		deliverable(c, written, "relay", mailhost, user);
		break;
	}
	sm_mt_result_free(&mt);
	return d;
}

/* ldap_route - the LDAP routing stage (sendmail's LDAPExpand and its decision table) */
static enum ldap_decision ldap_route(struct sm_router_ctx *c, const char *written, const struct sm_addr *a,
                                     size_t depth)
{
	struct sm_router *rt = c->rt;
	struct sm_ldaproute_result res;
	enum ldap_decision d = LDAP_HANDLED;
	char *orig = sm_asprintf("%s@%s", a->local, a->domain);
	int local_host;

	switch (sm_ldaproute_lookup(rt->ldaproute, rt->sw, a, &res, c->tr)) {
	case SM_TRYAGAIN:
	case SM_UNAVAIL:
		sm_trace_note(c->tr, "%s... LDAP routing %s failed: deferred", written, orig);
		lookup_failed(c, written, "LDAP routing", &res.ans);
		break;
	case SM_NOTFOUND:
		if (sm_ldaproute_bounces(rt->ldaproute)) {
			sm_trace_note(c->tr, "%s... LDAP routing %s: no entry (bounce)", written, orig);
			failed(c, written, EX_NOUSER, "550 5.1.1 User unknown");
		} else {
			sm_trace_note(c->tr, "%s... LDAP routing %s: no entry (passthru)", written, orig);
			d = LDAP_PASS;
		}
		break;
	case SM_SUCCESS:
		local_host = res.mailhost == NULL || sm_router_is_local_domain(rt, res.mailhost);
		sm_trace_note(c->tr, "%s... LDAP routing %s: mailHost=%s%s, mailRoutingAddress=%s%s", written,
		              res.key, res.mailhost ? res.mailhost : "(none)",
		              res.mailhost ? (local_host ? " (local)" : " (remote)") : "",
		              res.address ? res.address : "(none)",
		              res.stripped ? " (found without +detail)" : "");
		if (!local_host) {
			d = ldap_mailhost(c, written, res.mailhost, res.address ? res.address : orig,
			                  res.address, depth);
		} else if (res.address && strcasecmp(res.address, orig) != 0) {
			if (!too_deep(c, written, depth))
				expand(c, res.address, depth + 1, SM_VIA_TABLE);
		} else {
			/* local mailHost, or an address that names the address itself */
			d = LDAP_LOCAL;
		}
		break;
	}
	sm_ldaproute_result_free(&res);
	free(orig);
	return d;
}

/* special_target - a program, file or :include: */
static void special_target(struct sm_router_ctx *c, const char *written, const struct sm_addr *a,
                           size_t depth, enum sm_via via)
{
	const char *what = a->kind == SM_ADDR_PROGRAM ? "programs"
	                   : a->kind == SM_ADDR_FILE  ? "files"
	                                              : ":include:s";

	if (via == SM_VIA_DIRECT || via == SM_VIA_TABLE) {
		failedf(c, written, EX_NOPERM, "550 5.7.1 Cannot mail directly to %s", what);
		return;
	}
	if (c->unsafe && a->kind != SM_ADDR_INCLUDE) {
		failedf(c, written, EX_NOPERM, "550 5.7.1 Address %s is unsafe for mailing to %s", written,
		        what);
		return;
	}
	switch (a->kind) {
	case SM_ADDR_PROGRAM:
		deliverable(c, written, "prog", NULL, a->text);
		break;
	case SM_ADDR_FILE:
		deliverable(c, written, "*file*", NULL, a->target);
		break;
	case SM_ADDR_INCLUDE:
		include_file(c, written, a->target, depth);
		break;
	case SM_ADDR_MAILBOX:
	case SM_ADDR_NULL:
		break;
	}
}

/* expand - route one address at alias depth depth */
static void expand(struct sm_router_ctx *c, const char *written, size_t depth, enum sm_via via)
{
	struct sm_addr a;
	struct sm_addr_error err;
	int hacked, remote, routed;

	if (via == SM_VIA_ALIAS && strncasecmp(written, "error:", 6) == 0) {
		/* an extension: error: targets in aliases, written as in the virtusertable */
		struct sm_tbl_error e;

		if (sm_tbl_error_parse(written, &e) == 1) {
			const char *who = c->depth ? c->stack[c->depth - 1] : written;

			sm_trace_note(c->tr, "%s... error target %s", who, written);
			table_error(c, who, &e);
			sm_tbl_error_free(&e);
			return;
		}
	}
	if (sm_addr_parse(written, strlen(written), &a, &err) < 0) {
		char *shown = sm_printable(written, strlen(written), 80);

		sm_trace_note(c->tr, "%s... parse: %s", shown, err.text);
		failed(c, shown, err.exitcode, err.reply);
		free(shown);
		return;
	}
	sm_trace_note(c->tr, "%s... parse: %s", written, a.text);
	switch (a.kind) {
	case SM_ADDR_NULL:
		failed(c, "<>", EX_USAGE, "553 5.1.3 User address required");
		goto out;
	case SM_ADDR_PROGRAM:
	case SM_ADDR_FILE:
	case SM_ADDR_INCLUDE:
		special_target(c, written, &a, depth, via);
		goto out;
	case SM_ADDR_MAILBOX:
		break;
	}
	/* the % hack applies while the domain is ours */
	while (!a.bang_next && (a.domain == NULL || sm_router_is_local_domain(c->rt, a.domain)) &&
	       (hacked = sm_addr_percent_hack(&a, &err)) != 0) {
		if (hacked < 0) {
			failed(c, written, err.exitcode, err.reply);
			goto out;
		}
		sm_trace_note(c->tr, "%s... %% hack: %s", written, a.text);
	}
	remote = a.domain && !sm_router_is_local_domain(c->rt, a.domain) &&
	         !sm_class_match_domain(c->rt->virtdoms, a.domain, 0);
	routed = !a.bang_next && sm_ldaproute_applies(c->rt->ldaproute, a.domain);
	if (a.bang_next || (remote && !routed)) {
		next_hop(c, written, &a, depth);
		goto out;
	}
	if (!remote && a.escaped) {
		sm_trace_note(c->tr, "%s... escaped: no aliases, no .forward", written);
		local_user(c, written, &a, depth, 0);
		goto out;
	}
	if (!remote && virtuser(c, written, &a, depth))
		goto out;
	if (routed) {
		switch (ldap_route(c, written, &a, depth)) {
		case LDAP_HANDLED:
			goto out;
		case LDAP_LOCAL: /* delivered here whatever the domain */
			remote = 0;
			if (a.domain && !sm_router_is_local_domain(c->rt, a.domain))
				goto local;
			break;
		case LDAP_PASS:
			break;
		}
	}
	if (remote) {
		next_hop(c, written, &a, depth);
		goto out;
	}
	if (a.domain && !sm_router_is_local_domain(c->rt, a.domain)) {
		/* a virtusertable domain without an entry for this user */
		failed(c, written, EX_NOUSER, "550 5.1.1 User unknown");
		goto out;
	}
local:
	if (!expand_alias(c, written, &a, depth))
		local_user(c, written, &a, depth, 1);
out:
	sm_addr_free(&a);
}

/* sm_route - resolve one address (see router.h); out is freed by the caller */
void sm_route(struct sm_router *rt, const char *addr, struct sm_route *out, struct sm_trace *tr)
{
	struct sm_router_ctx c;
	size_t len = strlen(addr);
	char *a = sm_strdup(addr);

	memset(&c, 0, sizeof(c));
	c.rt = rt;
	c.out = out;
	c.tr = tr;
	/* <addr> as given in SMTP is shown without its brackets */
	if (len > 2 && a[0] == '<' && a[len - 1] == '>' && !memchr(a + 1, '<', len - 2)) {
		memmove(a, a + 1, len - 2);
		a[len - 2] = '\0';
	}
	expand(&c, a, 0, SM_VIA_DIRECT);
	if (c.produced == 0 && c.loops > 0) {
		if (rt->remote)
			to_server(&c, a, a);
		else
			failed(&c, a, EX_CONFIG, "554 5.4.6 aliasing/forwarding loop broken");
	}
	free(a);
}

/* reply_text - the text of a reply without its codes, as sendmail prints it on a terminal */
static const char *reply_text(const char *reply)
{
	const char *p = reply;

	if (strlen(p) > 4 && isdigit((unsigned char)p[0]))
		p += 4;
	if (isdigit((unsigned char)p[0]) && p[1] == '.') {
		while (*p && *p != ' ')
			p++;
		while (*p == ' ')
			p++;
	}
	return p;
}

/* sm_route_print - sendmail's -bv lines */
void sm_route_print(const struct sm_route *r, FILE *fp)
{
	size_t i;

	for (i = 0; i < r->count; i++) {
		const struct sm_rcpt *x = &r->r[i];

		if (x->mailer == NULL)
			fprintf(fp, "%s... %s\n", x->addr, reply_text(x->reply));
		else if (x->host)
			fprintf(fp, "%s... deliverable: mailer %s, host %s, user %s\n", x->addr, x->mailer,
			        x->host, x->user);
		else
			fprintf(fp, "%s... deliverable: mailer %s, user %s\n", x->addr, x->mailer, x->user);
	}
}

/* sm_route_exit - sysexits status of the last failure, or EX_OK */
int sm_route_exit(const struct sm_route *r)
{
	int rc = EX_OK;
	size_t i;

	for (i = 0; i < r->count; i++)
		if (r->r[i].exitcode != EX_OK)
			rc = r->r[i].exitcode;
	return rc;
}

/* sm_route_free - release a route */
void sm_route_free(struct sm_route *r)
{
	size_t i;

	for (i = 0; i < r->count; i++) {
		free(r->r[i].addr);
		free(r->r[i].mailer);
		free(r->r[i].host);
		free(r->r[i].user);
		free(r->r[i].sender);
		free(r->r[i].ctl);
		free(r->r[i].reply);
	}
	free(r->r);
	memset(r, 0, sizeof(*r));
}

/* sm_router_reset - start a new envelope: forget the recipients already routed */
void sm_router_reset(struct sm_router *rt)
{
	size_t i;

	for (i = 0; i < rt->seencap; i++) {
		free(rt->seen[i]);
		rt->seen[i] = NULL;
	}
	rt->nseen = 0;
}

/* sm_router_free - release the router (not the switch) */
void sm_router_free(struct sm_router *rt)
{
	size_t i;

	if (rt == NULL)
		return;
	for (i = 0; i < rt->seencap; i++)
		free(rt->seen[i]);
	free(rt->seen);
	sm_class_free(rt->names);
	sm_class_free(rt->virtdoms);
	sm_map_close(rt->virtuser);
	sm_map_close(rt->mailertable);
	sm_ldaproute_free(rt->ldaproute);
	free(rt->hostname);
	free(rt->shortname);
	free(rt->nsdomain);
	free(rt->maildomain);
	free(rt->remote);
	free(rt->smarthost);
	free(rt->fallback);
	free(rt->fwdpath);
	free(rt->defuser);
	free(rt->mailhost);
	free(rt->mh_reply);
	free(rt);
}

/* sm_router_names - the names the router works with (see router.h) */
void sm_router_names(const struct sm_router *rt, struct sm_router_names *out)
{
	out->hostname = rt->hostname;
	out->shortname = rt->shortname;
	out->nsdomain = rt->nsdomain;
	out->maildomain = rt->maildomain;
	out->remote = rt->remote;
}

/* sm_router_ldap_routed - is domain one of LdapRouteDomains? */
int sm_router_ldap_routed(struct sm_router *rt, const char *domain)
{
	return sm_ldaproute_applies(rt->ldaproute, domain);
}

/* sm_router_check_sender - NULL if the envelope sender may be used, else the reply; caller frees */
char *sm_router_check_sender(struct sm_router *rt, const char *addr, struct sm_trace *tr)
{
	struct sm_ldaproute_result res;
	struct sm_addr_error err;
	struct sm_addr a;
	size_t len = strlen(addr);
	char *reply = NULL;

	if (!sm_ldaproute_checks_senders(rt->ldaproute))
		return NULL;
	if (len >= 2 && addr[0] == '<' && addr[len - 1] == '>') {
		addr++;
		len -= 2;
	}
	if (len == 0 || sm_addr_parse(addr, len, &a, &err) < 0)
		return NULL; /* <> or bad syntax: not this check's business */
	if (a.kind != SM_ADDR_MAILBOX || a.bang_next || !sm_ldaproute_applies(rt->ldaproute, a.domain)) {
		sm_addr_free(&a);
		return NULL;
	}
	switch (sm_ldaproute_lookup(rt->ldaproute, rt->sw, &a, &res, tr)) {
	case SM_SUCCESS:
		sm_trace_note(tr, "sender %s... LDAP routing %s: known", a.text, res.key);
		break;
	case SM_NOTFOUND:
		sm_trace_note(tr, "sender %s... LDAP routing: no entry (sendertoo): refused", a.text);
		reply = sm_strdup("550 5.1.1 User unknown");
		break;
	case SM_TRYAGAIN:
	case SM_UNAVAIL:
		reply = sm_asprintf("451 %s LDAP routing %sunavailable (%s: %s)",
		                    res.ans.status == SM_TRYAGAIN ? "4.4.3" : "4.3.5",
		                    res.ans.status == SM_TRYAGAIN ? "temporarily " : "",
		                    res.ans.source ? res.ans.source : "?",
		                    res.ans.reason ? res.ans.reason : "no reason");
		break;
	}
	sm_ldaproute_result_free(&res);
	sm_addr_free(&a);
	return reply;
}
