/*
 * nsswitch/switch.c - the switch: one chokepoint for every lookup
 *
 * See switch.h. Reads ServiceSwitchFile from the configuration.
 *
 * DIAGNOSTICS
 *	See switch.h: bad configuration lines and skipped UNAVAIL sources are
 *	logged; lookups themselves return statuses and log nothing else.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/log.h"
#include "lib/mem.h"
#include "nsswitch/switch.h"

struct sm_switch {
	const struct sm_config *cf;
	const struct sm_source_type *types;
	struct sm_nsconf *conf;
	size_t ndefaults;
	struct sm_nsdb *defaults; /* chains built from the built-in defaults */
	size_t nsources;
	struct sm_source **sources;
};

/* the default chain of each database that has no line */
static const struct {
	const char *db;
	const char *line;
} sm_default_chains[] = {
	{ "aliases", "aliases: files" },
	{ "hosts", "hosts: files dns" },
	{ "sendmailvars", "sendmailvars: files" },
	{ "passwd", "passwd: libc" },
	{ "mx", "mx: dns" },
	{ "mailroute", "mailroute: ldap" },
	{ NULL, "files" },
};

/* sm_switch_new - a switch over conf (taken over, may be NULL); free with sm_switch_free */
struct sm_switch *sm_switch_new(const struct sm_config *cf, const struct sm_source_type *types,
                                struct sm_nsconf *conf)
{
	struct sm_switch *sw = sm_calloc(1, sizeof(*sw));

	sw->cf = cf;
	sw->types = types;
	sw->conf = conf;
	return sw;
}

/* sm_switch_open - a switch over ServiceSwitchFile; free with sm_switch_free */
struct sm_switch *sm_switch_open(const struct sm_config *cf, const struct sm_source_type *types)
{
	const char *path = sm_config_str(cf, "ServiceSwitchFile");
	struct sm_nsconf *conf = NULL;
	int oserr = 0;

	if (*path) {
		conf = sm_nsconf_read(path, &oserr);
		if (conf == NULL && oserr != ENOENT)
			sm_log(LOG_WARNING, "%s: %s; every database uses its default", path, strerror(oserr));
	}
	return sm_switch_new(cf, types, conf);
}

/* sm_switch_default - the built-in chain for db; owned by sw */
static const struct sm_nsdb *sm_switch_default(struct sm_switch *sw, const char *db)
{
	struct sm_buf err = SM_BUF_INIT;
	struct sm_nsdb chain;
	const char *line = NULL;
	char *generic = NULL;
	size_t i;

	for (i = 0; i < sw->ndefaults; i++)
		if (strcmp(sw->defaults[i].name, db) == 0)
			return &sw->defaults[i];
	for (i = 0; sm_default_chains[i].db; i++)
		if (strcmp(sm_default_chains[i].db, db) == 0)
			break;
	line = sm_default_chains[i].line;
	if (sm_default_chains[i].db == NULL)
		line = generic = sm_asprintf("%s: %s", db, sm_default_chains[i].line);
	if (sm_nsconf_parse_line(line, &chain, &err) <= 0) {
		/* the database name itself cannot be parsed: give it no sources */
		sm_nsdb_clear(&chain);
		chain.name = sm_strdup(db);
	}
	sm_buf_free(&err);
	free(generic);
	sw->defaults = sm_realloc(sw->defaults, (sw->ndefaults + 1) * sizeof(*sw->defaults));
	sw->defaults[sw->ndefaults] = chain;
	return &sw->defaults[sw->ndefaults++];
}

/* sm_switch_chain - the chain in force for db; owned by sw */
const struct sm_nsdb *sm_switch_chain(struct sm_switch *sw, const char *db)
{
	const struct sm_nsdb *chain;

	if (strcmp(db, "passwd") != 0 && (chain = sm_nsconf_find(sw->conf, db)) != NULL)
		return chain;
	return sm_switch_default(sw, db);
}

/* sm_switch_source - the source instance called name, created on first use */
static struct sm_source *sm_switch_source(struct sm_switch *sw, const char *name)
{
	struct sm_source *src = NULL;
	const struct sm_source_type *t;
	size_t i;

	for (i = 0; i < sw->nsources; i++)
		if (strcmp(sw->sources[i]->name, name) == 0)
			return sw->sources[i];
	for (t = sw->types; t && t->name; t++) {
		size_t n = strlen(t->name);
		const char *rest = name + n;

		if (strncmp(name, t->name, n) != 0)
			continue;
		if (*rest != '\0') {
			if (!t->prefix)
				continue;
			while (isdigit((unsigned char)*rest))
				rest++;
			if (*rest != '\0')
				continue;
		}
		break;
	}
	if (t && t->name) {
		struct sm_buf err = SM_BUF_INIT;

		src = t->create(name, sw->cf, &err);
		if (src == NULL)
			src = sm_source_unavail(name, err.len ? sm_buf_str(&err) : "cannot be opened");
		sm_buf_free(&err);
	} else {
		src = sm_source_unavail(name, "unknown source");
	}
	sw->sources = sm_realloc(sw->sources, (sw->nsources + 1) * sizeof(*sw->sources));
	sw->sources[sw->nsources++] = src;
	return src;
}

/* sm_now_ms - a monotonic clock in milliseconds */
static double sm_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* sm_key_check - NULL if key is acceptable, else why not */
static const char *sm_key_check(const char *key, size_t len)
{
	if (len == 0)
		return "invalid key: empty";
	if (len > SM_KEY_MAX)
		return "invalid key: longer than 1024 bytes";
	if (memchr(key, '\0', len))
		return "invalid key: contains NUL";
	if (memchr(key, '\r', len))
		return "invalid key: contains CR";
	if (memchr(key, '\n', len))
		return "invalid key: contains LF";
	return NULL;
}

/* sm_db_folds_case - are keys of db compared without regard to case? */
static int sm_db_folds_case(const char *db)
{
	return strcmp(db, "aliases") == 0 || strcmp(db, "hosts") == 0 || strcmp(db, "mx") == 0 ||
	       strcmp(db, "mailroute") == 0;
}

/* sm_answer_set - record the outcome */
static enum sm_status sm_answer_set(struct sm_answer *ans, enum sm_status st, const char *source,
                                    const char *reason)
{
	ans->status = st;
	free(ans->source);
	free(ans->reason);
	ans->source = source ? sm_strdup(source) : NULL;
	ans->reason = reason && *reason ? sm_strdup(reason) : NULL;
	return st;
}

/* the source whose answer explains an unsuccessful outcome */
struct sm_blame {
	char *source;
	char *reason;
};

/* blame - make source (and its reason) the explanation of the outcome */
static void blame(struct sm_blame *who, const char *source, struct sm_buf *reason)
{
	free(who->source);
	free(who->reason);
	who->source = sm_strdup(source);
	who->reason = sm_strdup(sm_buf_str(reason));
}

/* sm_switch_lookup - ask db for key through its chain (see switch.h) */
enum sm_status sm_switch_lookup(struct sm_switch *sw, const char *db, const char *key, size_t keylen,
                                struct sm_answer *ans, struct sm_trace *tr)
{
	const struct sm_nsdb *chain;
	const char *bad = sm_key_check(key, keylen);
	struct sm_buf reason = SM_BUF_INIT;
	struct sm_blame who = { NULL, NULL };
	int tryagain = 0, answered = 0, stopped_unavail = 0;
	char *nkey;
	size_t i;

	memset(ans, 0, sizeof(*ans));
	if (bad) {
		sm_trace_note(tr, "%s: %s; nothing consulted", db, bad);
		return sm_answer_set(ans, SM_UNAVAIL, NULL, bad);
	}
	nkey = sm_strndup(key, keylen);
	if (sm_db_folds_case(db))
		for (i = 0; i < keylen; i++)
			nkey[i] = (char)tolower((unsigned char)nkey[i]);
	chain = sm_switch_chain(sw, db);
	for (i = 0; i < chain->count; i++) {
		const struct sm_nsentry *e = &chain->src[i];
		struct sm_source *src = sm_switch_source(sw, e->source);
		char *value = NULL;
		enum sm_status st;
		enum sm_action act;
		double t0 = tr ? sm_now_ms() : 0;

		sm_buf_reset(&reason);
		st = src->ops->lookup(src, db, nkey, &value, &reason);
		act = st == SM_SUCCESS ? SM_RETURN : e->act[st];
		sm_trace_add(tr, db, nkey, src->name, st, sm_buf_str(&reason), tr ? sm_now_ms() - t0 : 0,
		             act);
		switch (st) {
		case SM_SUCCESS:
			sm_answer_set(ans, SM_SUCCESS, src->name, NULL);
			ans->value = value ? value : sm_strdup("");
			goto done;
		case SM_NOTFOUND:
			answered = 1;
			if (!tryagain)
				blame(&who, src->name, &reason);
			break;
		case SM_TRYAGAIN:
			tryagain = 1;
			blame(&who, src->name, &reason);
			break;
		case SM_UNAVAIL:
			if (act == SM_RETURN)
				stopped_unavail = 1;
			else if (!src->unavail_logged) {
				src->unavail_logged = 1;
				sm_log(LOG_INFO, "source %s unavailable for %s (%s); skipped", src->name, db,
				       reason.len ? sm_buf_str(&reason) : "no reason given");
			}
			if ((act == SM_RETURN && !tryagain) || who.source == NULL)
				blame(&who, src->name, &reason);
			break;
		}
		free(value);
		if (act == SM_RETURN)
			break;
	}
	if (tryagain)
		sm_answer_set(ans, SM_TRYAGAIN, who.source, who.reason);
	else if (stopped_unavail)
		sm_answer_set(ans, SM_UNAVAIL, who.source, who.reason);
	else if (answered)
		sm_answer_set(ans, SM_NOTFOUND, who.source, who.reason);
	else
		sm_answer_set(ans, SM_UNAVAIL, who.source, who.source ? who.reason : "no source configured");
done:
	free(who.source);
	free(who.reason);
	free(nkey);
	sm_buf_free(&reason);
	return ans->status;
}

/* sm_answer_free - release what ans holds */
void sm_answer_free(struct sm_answer *ans)
{
	free(ans->value);
	free(ans->source);
	free(ans->reason);
	memset(ans, 0, sizeof(*ans));
}

/* sm_switch_free - release the switch, its sources and chains */
void sm_switch_free(struct sm_switch *sw)
{
	size_t i;

	if (sw == NULL)
		return;
	for (i = 0; i < sw->nsources; i++)
		sm_source_free(sw->sources[i]);
	free(sw->sources);
	for (i = 0; i < sw->ndefaults; i++)
		sm_nsdb_clear(&sw->defaults[i]);
	free(sw->defaults);
	sm_nsconf_free(sw->conf);
	free(sw);
}
