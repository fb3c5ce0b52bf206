/*
 * router/route.c - turn an address into delivery decisions
 *
 * See router.h. Reads HostName, LocalHostNamesFile and MaxAliasRecursion
 * from the configuration; asks the aliases and passwd databases through the
 * switch.
 *
 * DIAGNOSTICS
 *	See router.h. Decisions are recorded in the trace (when one is given),
 *	never logged here.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "lib/lines.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "nsswitch/files.h"
#include "nsswitch/passwd.h"
#include "router/router.h"

#define SM_ADDR_MAX 256 /* RFC 5321 path limit */
#define SM_INCLUDE_LINE_MAX 65536

struct sm_router {
	const struct sm_config *cf;
	struct sm_switch *sw;
	char *hostname; /* fully qualified */
	char *shortname;
	char **names; /* other local names */
	size_t nnames;
	long maxdepth;
	/* duplicate suppression: an open-addressing set of "mailer host user" keys */
	char **seen;
	size_t nseen, seencap;
};

enum sm_via {
	SM_VIA_DIRECT, /* command line or SMTP */
	SM_VIA_ALIAS,  /* an alias value or an :include: file */
};

struct sm_router_ctx {
	struct sm_router *rt;
	struct sm_route *out;
	struct sm_trace *tr;
	size_t produced;
	size_t loops;
	size_t depth;
	char *stack[64]; /* alias names being expanded, outermost first */
	enum sm_via via;
};

static void expand(struct sm_router_ctx *c, const char *addr, size_t depth, enum sm_via via);

/* load_names - read LocalHostNamesFile (one name a line, # comments); missing is fine */
static void load_names(struct sm_router *rt)
{
	const char *path = sm_config_str(rt->cf, "LocalHostNamesFile");
	struct sm_lines lr;
	int oserr, rc;

	if (*path == '\0')
		return;
	if (sm_lines_open(&lr, path, 1024, &oserr) < 0) {
		if (oserr != ENOENT)
			sm_log(LOG_WARNING, "%s: %s; only our own host names are local", path,
			       strerror(oserr));
		return;
	}
	while ((rc = sm_lines_next(&lr)) > 0) {
		char *p = lr.line.data, *e;

		while (isspace((unsigned char)*p))
			p++;
		if (*p == '#' || *p == '\0' || lr.has_nul || lr.too_long)
			continue;
		for (e = p; *e && !isspace((unsigned char)*e);)
			e++;
		*e = '\0';
		rt->names = sm_realloc(rt->names, (rt->nnames + 1) * sizeof(*rt->names));
		rt->names[rt->nnames++] = sm_strdup(p);
	}
	if (rc < 0)
		sm_log(LOG_WARNING, "%s: %s; only the names read so far are local", path, strerror(lr.err));
	sm_lines_close(&lr);
}

/* sm_router_new - a router over sw (not owned); free with sm_router_free */
struct sm_router *sm_router_new(const struct sm_config *cf, struct sm_switch *sw)
{
	struct sm_router *rt = sm_calloc(1, sizeof(*rt));
	const char *hn = sm_config_str(cf, "HostName");
	char buf[256];
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
	load_names(rt);
	return rt;
}

/* sm_router_is_local_domain - is domain one of our names? */
int sm_router_is_local_domain(struct sm_router *rt, const char *domain)
{
	size_t len = strlen(domain), i;
	char *d;
	int local = 0;

	if (len && domain[len - 1] == '.')
		len--;
	d = sm_strndup(domain, len);
	if (strcasecmp(d, rt->hostname) == 0 || strcasecmp(d, rt->shortname) == 0 ||
	    strcasecmp(d, "localhost") == 0 || strcasecmp(d, "localhost.localdomain") == 0 ||
	    strcmp(d, "[127.0.0.1]") == 0)
		local = 1;
	for (i = 0; !local && i < rt->nnames; i++)
		if (strcasecmp(d, rt->names[i]) == 0)
			local = 1;
	free(d);
	return local;
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

	out->r = sm_realloc(out->r, (out->count + 1) * sizeof(*out->r));
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

/* lookup_failed - the reply for a lookup that neither found nor ruled out */
static void lookup_failed(struct sm_router_ctx *c, const char *addr, const char *what,
                          const struct sm_answer *ans)
{
	char *reply;

	if (ans->status == SM_TRYAGAIN)
		reply = sm_asprintf("451 4.3.0 %s temporarily unavailable (%s: %s)", what,
		                    ans->source ? ans->source : "?", ans->reason ? ans->reason : "no reason");
	else
		reply = sm_asprintf("451 4.3.5 %s unavailable (%s: %s)", what,
		                    ans->source ? ans->source : "?", ans->reason ? ans->reason : "no reason");
	failed(c, addr, EX_TEMPFAIL, reply);
	free(reply);
}

/* local_user - deliver to a local mailbox if the passwd database knows the user */
static void local_user(struct sm_router_ctx *c, const char *addr, const char *user)
{
	struct sm_answer ans;

	switch (sm_switch_lookup(c->rt->sw, "passwd", user, strlen(user), &ans, c->tr)) {
	case SM_SUCCESS:
		deliverable(c, addr, "local", NULL, user);
		break;
	case SM_NOTFOUND:
		failed(c, addr, EX_NOUSER, "550 5.1.1 User unknown");
		break;
	case SM_TRYAGAIN:
	case SM_UNAVAIL:
		lookup_failed(c, addr, "user database", &ans);
		break;
	}
	sm_answer_free(&ans);
}

struct sm_list_ctx {
	struct sm_router_ctx *c;
	size_t depth;
	const char *parent; /* lower-cased alias name being expanded, or NULL */
	int selfref;
};

/* same_local - does elem name the alias parent itself (user or user@ourhost)? */
static int same_local(struct sm_router *rt, const char *elem, const char *parent)
{
	const char *at = strrchr(elem, '@');
	size_t len = at ? (size_t)(at - elem) : strlen(elem);

	if (parent == NULL || len != strlen(parent) || strncasecmp(elem, parent, len) != 0)
		return 0;
	return at == NULL || sm_router_is_local_domain(rt, at + 1);
}

/* list_elem - one address of an alias value or :include: file */
static void list_elem(void *ctx, const char *elem)
{
	struct sm_list_ctx *lc = ctx;

	if (same_local(lc->c->rt, elem, lc->parent)) {
		lc->selfref = 1;
		return;
	}
	expand(lc->c, elem, lc->depth, SM_VIA_ALIAS);
}

/* include_file - expand the addresses listed in an :include: file */
static void include_file(struct sm_router_ctx *c, const char *addr, const char *path, size_t depth)
{
	struct sm_list_ctx lc = { c, depth + 1, NULL, 0 };
	struct stat st;
	struct sm_lines lr;
	char *reply;
	int oserr, rc;

	if (sm_lines_open(&lr, path, SM_INCLUDE_LINE_MAX, &oserr) < 0) {
		reply =
		    sm_asprintf("%s Cannot open %s: %s",
		                sm_errno_transient(oserr) ? "451 4.2.4" : "550 5.2.4", path, strerror(oserr));
		failed(c, addr, sm_errno_transient(oserr) ? EX_TEMPFAIL : EX_UNAVAILABLE, reply);
		free(reply);
		return;
	}
	if (fstat(fileno(lr.fp), &st) < 0 || !S_ISREG(st.st_mode)) {
		reply = sm_asprintf("550 5.2.4 Cannot open %s: not a regular file", path);
		failed(c, addr, EX_UNAVAILABLE, reply);
		free(reply);
		sm_lines_close(&lr);
		return;
	}
	sm_trace_note(c->tr, "%s... including file %s", addr, path);
	while ((rc = sm_lines_next(&lr)) > 0) {
		char *line = lr.line.data, *cmt;

		if (lr.too_long || lr.has_nul || line[0] == '#')
			continue;
		if ((cmt = strstr(line, " #@# ")) != NULL)
			*cmt = '\0';
		sm_split_list(line, list_elem, &lc);
	}
	if (rc < 0) {
		reply = sm_asprintf("451 4.2.4 Cannot read %s: %s", path, strerror(lr.err));
		failed(c, addr, EX_TEMPFAIL, reply);
		free(reply);
	}
	sm_lines_close(&lr);
}

/* bad_address - NULL if addr may be routed, else the reply */
static const char *bad_address(const char *addr)
{
	const char *p;

	if (strlen(addr) > SM_ADDR_MAX)
		return "553 5.1.3 Address too long";
	for (p = addr; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return "553 5.1.3 Invalid control character in address";
	return NULL;
}

/* on_stack - is name an alias already being expanded? */
static int on_stack(const struct sm_router_ctx *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->depth; i++)
		if (strcmp(c->stack[i], name) == 0)
			return 1;
	return 0;
}

/* expand_alias - aliases lookup for a local name; 1 if it was handled here */
static int expand_alias(struct sm_router_ctx *c, const char *addr, const char *user, size_t depth)
{
	struct sm_answer ans;
	struct sm_list_ctx lc;
	char *key = sm_strdup(user);
	char *reply;
	size_t i;
	int handled = 1;

	for (i = 0; key[i]; i++)
		key[i] = (char)tolower((unsigned char)key[i]);
	if (on_stack(c, key)) {
		sm_trace_note(c->tr, "%s... alias loop to %s dropped", addr, key);
		c->loops++;
		free(key);
		return 1;
	}
	switch (sm_switch_lookup(c->rt->sw, "aliases", key, strlen(key), &ans, c->tr)) {
	case SM_SUCCESS:
		if ((long)depth >= c->rt->maxdepth || c->depth >= sizeof(c->stack) / sizeof(c->stack[0])) {
			reply = sm_asprintf(
			    "554 5.4.6 aliasing/forwarding loop broken (%zu aliases deep; %ld max)",
			    depth + 1, c->rt->maxdepth);
			failed(c, addr, EX_CONFIG, reply);
			free(reply);
			break;
		}
		sm_trace_note(c->tr, "%s... aliased to %s", addr, ans.value);
		lc = (struct sm_list_ctx){ c, depth + 1, key, 0 };
		c->stack[c->depth++] = key;
		sm_split_list(ans.value, list_elem, &lc);
		c->depth--;
		if (lc.selfref) /* "user: user, other": the user keeps a copy */
			handled = 0;
		break;
	case SM_NOTFOUND:
		handled = 0;
		break;
	case SM_TRYAGAIN:
	case SM_UNAVAIL:
		lookup_failed(c, addr, "alias database", &ans);
		break;
	}
	sm_answer_free(&ans);
	free(key);
	return handled;
}

/* expand - route one address at alias depth depth */
static void expand(struct sm_router_ctx *c, const char *addr, size_t depth, enum sm_via via)
{
	const char *bad = bad_address(addr);
	const char *at;
	char *user;

	if (bad) {
		char *shown = sm_printable(addr, strlen(addr), 80);

		failed(c, shown, EX_USAGE, bad);
		free(shown);
		return;
	}
	if (addr[0] == '|' || addr[0] == '/' || strncasecmp(addr, ":include:", 9) == 0) {
		const char *what = addr[0] == '|' ? "programs" : addr[0] == '/' ? "files" : ":include:s";

		if (via == SM_VIA_DIRECT) {
			char *reply = sm_asprintf("550 5.7.1 Cannot mail directly to %s", what);

			failed(c, addr, EX_NOPERM, reply);
			free(reply);
		} else if (addr[0] == '|') {
			deliverable(c, addr, "prog", NULL, addr);
		} else if (addr[0] == '/') {
			deliverable(c, addr, "*file*", NULL, addr);
		} else {
			const char *path = addr + 9;

			while (isspace((unsigned char)*path))
				path++;
			include_file(c, addr, path, depth);
		}
		return;
	}
	if (addr[0] == '\\') {
		local_user(c, addr, addr + 1);
		return;
	}
	at = strrchr(addr, '@');
	if (at && !sm_router_is_local_domain(c->rt, at + 1)) {
		deliverable(c, addr, "esmtp", at + 1, addr);
		return;
	}
	user = at ? sm_strndup(addr, (size_t)(at - addr)) : sm_strdup(addr);
	if (*user == '\0') {
		failed(c, addr, EX_USAGE, "553 5.1.3 User address required");
	} else if (!expand_alias(c, addr, user, depth)) {
		local_user(c, addr, user);
	}
	free(user);
}

/* sm_route - resolve one address (see router.h); out is freed by the caller */
void sm_route(struct sm_router *rt, const char *addr, struct sm_route *out, struct sm_trace *tr)
{
	struct sm_router_ctx c;
	char *a = sm_strdup(addr);
	size_t len = strlen(a);

	memset(&c, 0, sizeof(c));
	c.rt = rt;
	c.out = out;
	c.tr = tr;
	/* <addr> as given in SMTP */
	if (len >= 2 && a[0] == '<' && a[len - 1] == '>') {
		memmove(a, a + 1, len - 2);
		a[len - 2] = '\0';
	}
	expand(&c, a, 0, SM_VIA_DIRECT);
	if (c.produced == 0 && c.loops > 0)
		failed(&c, a, EX_CONFIG, "554 5.4.6 aliasing/forwarding loop broken");
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
		free(r->r[i].reply);
	}
	free(r->r);
	memset(r, 0, sizeof(*r));
}

/* sm_router_free - release the router (not the switch) */
void sm_router_free(struct sm_router *rt)
{
	size_t i;

	if (rt == NULL)
		return;
	for (i = 0; i < rt->nnames; i++)
		free(rt->names[i]);
	free(rt->names);
	for (i = 0; i < rt->seencap; i++)
		free(rt->seen[i]);
	free(rt->seen);
	free(rt->hostname);
	free(rt->shortname);
	free(rt);
}
