/*
 * nsswitch/conf.c - parse nsswitch.conf into per-database source chains
 *
 * See conf.h for the grammar. Reads the file named by ServiceSwitchFile
 * (through the caller).
 *
 * DIAGNOSTICS
 *	Each bad line is logged once as a warning naming file and line; the
 *	database it named keeps its built-in default.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/lines.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "nsswitch/conf.h"

/* sm_nsentry_defaults - SUCCESS=return, everything else continue */
void sm_nsentry_defaults(struct sm_nsentry *e)
{
	e->act[SM_SUCCESS] = SM_RETURN;
	e->act[SM_NOTFOUND] = SM_CONTINUE;
	e->act[SM_UNAVAIL] = SM_CONTINUE;
	e->act[SM_TRYAGAIN] = SM_CONTINUE;
}

/* sm_nsdb_clear - free what db holds and empty it */
void sm_nsdb_clear(struct sm_nsdb *db)
{
	size_t i;

	free(db->name);
	for (i = 0; i < db->count; i++)
		free(db->src[i].source);
	memset(db, 0, sizeof(*db));
}

/* skip_space - advance over blanks */
static const char *skip_space(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\f' || *p == '\v')
		p++;
	return p;
}

/* word_end - end of a word: stops at blanks and any byte in stop */
static const char *word_end(const char *p, const char *stop)
{
	while (*p && !isspace((unsigned char)*p) && strchr(stop, *p) == NULL)
		p++;
	return p;
}

/* parse_action - one ACTION word for status st; -1 with a reason if bad */
static int parse_action(const char *w, size_t len, enum sm_status st, const char *db, enum sm_action *act,
                        struct sm_buf *err)
{
	size_t i;

	if (len == 6 && strncasecmp(w, "return", 6) == 0) {
		*act = SM_RETURN;
		return 0;
	}
	if (len == 8 && strncasecmp(w, "continue", 8) == 0) {
		*act = SM_CONTINUE;
		return 0;
	}
	if (len == 5 && strncasecmp(w, "merge", 5) == 0) {
		if (db && strcmp(db, "group") == 0) {
			*act = SM_CONTINUE;
			return 0;
		}
		sm_buf_adds(err, "action merge is only meaningful for the group database");
		return -1;
	}
	/* Solaris: TRYAGAIN=forever or TRYAGAIN=N; a mail router treats both as continue */
	for (i = 0; i < len && isdigit((unsigned char)w[i]); i++)
		;
	if ((len == 7 && strncasecmp(w, "forever", 7) == 0) || (len > 0 && i == len)) {
		if (st == SM_TRYAGAIN) {
			*act = SM_CONTINUE;
			return 0;
		}
		sm_buf_printf(err, "action %.*s is only allowed for TRYAGAIN", (int)len, w);
		return -1;
	}
	if (len == 0)
		sm_buf_printf(err, "missing action after %s=", sm_status_name(st));
	else
		sm_buf_printf(err, "unknown action \"%.*s\"", (int)(len > 40 ? 40 : len), w);
	return -1;
}

/* parse_criteria - the text after "[" up to "]"; *pp is left after the "]" */
static int parse_criteria(const char **pp, const char *db, struct sm_nsentry *e, struct sm_buf *err)
{
	const char *p = *pp;

	for (;;) {
		const char *w, *we;
		enum sm_status st;
		enum sm_action act;
		int negate = 0;
		int i;

		p = skip_space(p);
		if (*p == ']') {
			*pp = p + 1;
			return 0;
		}
		if (*p == '\0') {
			sm_buf_adds(err, "missing \"]\"");
			return -1;
		}
		if (*p == '!') {
			negate = 1;
			p = skip_space(p + 1);
		}
		w = p;
		we = word_end(p, "=]!");
		if (we == w || sm_status_parse(w, (size_t)(we - w), &st) < 0) {
			sm_buf_printf(
			    err, "unknown status \"%.*s\" (expected SUCCESS, NOTFOUND, UNAVAIL or TRYAGAIN)",
			    (int)(we - w > 40 ? 40 : (we == w ? 1 : we - w)), w);
			return -1;
		}
		p = skip_space(we);
		if (*p != '=') {
			sm_buf_printf(err, "missing \"=\" after %.*s", (int)(we - w), w);
			return -1;
		}
		p = skip_space(p + 1);
		w = p;
		we = word_end(p, "=]!");
		if (parse_action(w, (size_t)(we - w), st, db, &act, err) < 0)
			return -1;
		if (st == SM_SUCCESS && act == SM_CONTINUE && !negate)
			sm_log(LOG_WARNING,
			       "%s: SUCCESS=continue has no effect: the first success always wins",
			       db ? db : "?");
		if (negate) {
			for (i = 0; i < SM_NSTATUS; i++)
				if ((enum sm_status)i != st)
					e->act[i] = act;
		} else {
			e->act[st] = act;
		}
		p = we;
	}
}

/* sm_nsconf_parse_line - one line into db: 1 database line, 0 nothing, -1 error */
int sm_nsconf_parse_line(const char *line, struct sm_nsdb *db, struct sm_buf *err)
{
	char *copy;
	char *hash;
	const char *p, *w;
	int rc = 1;

	memset(db, 0, sizeof(*db));
	if (strlen(line) > SM_NS_MAXLINE) {
		sm_buf_printf(err, "line longer than %d bytes", SM_NS_MAXLINE);
		return -1;
	}
	copy = sm_strdup(line);
	if ((hash = strchr(copy, '#')) != NULL)
		*hash = '\0';
	p = skip_space(copy);
	if (*p == '\0' || *p == '\n') {
		free(copy);
		return 0;
	}
	w = p;
	p = word_end(p, ":[]");
	if (p == w || (*p != '\0' && *p != ':' && !isspace((unsigned char)*p))) {
		sm_buf_adds(err, "expected \"database: source ...\"");
		free(copy);
		return -1;
	}
	db->name = sm_strndup(w, (size_t)(p - w));
	while (*p == ':' || isspace((unsigned char)*p))
		p++;
	while (*p) {
		struct sm_nsentry *e;

		if (*p == '[') {
			sm_buf_adds(err, db->count ? "two criteria blocks after one source"
			                           : "criteria before the first source");
			rc = -1;
			break;
		}
		if (*p == ']' || *p == '!' || *p == '=' || *p == ':') {
			sm_buf_printf(err, "unexpected \"%c\"", *p);
			rc = -1;
			break;
		}
		if (db->count == SM_NS_MAXSRC) {
			sm_buf_printf(err, "more than %d sources", SM_NS_MAXSRC);
			rc = -1;
			break;
		}
		w = p;
		p = word_end(p, "[]!=:");
		e = &db->src[db->count++];
		e->source = sm_strndup(w, (size_t)(p - w));
		sm_nsentry_defaults(e);
		p = skip_space(p);
		if (*p == '[') {
			p++;
			if (parse_criteria(&p, db->name, e, err) < 0) {
				rc = -1;
				break;
			}
			p = skip_space(p);
		}
		while (isspace((unsigned char)*p))
			p++;
	}
	if (rc == 1 && db->count == 0) {
		sm_buf_printf(err, "database %s has no sources", db->name);
		rc = -1;
	}
	free(copy);
	return rc;
}

/* sm_nsconf_add - store db (taken over) in conf, replacing an earlier line */
static void sm_nsconf_add(struct sm_nsconf *conf, struct sm_nsdb *db)
{
	size_t i;

	for (i = 0; i < conf->count; i++) {
		if (strcmp(conf->db[i].name, db->name) == 0) {
			sm_nsdb_clear(&conf->db[i]);
			conf->db[i] = *db;
			return;
		}
	}
	conf->db = sm_realloc(conf->db, (conf->count + 1) * sizeof(*conf->db));
	conf->db[conf->count++] = *db;
}

/* sm_nsconf_remove - forget an earlier line for db, so that it has its default */
static void sm_nsconf_remove(struct sm_nsconf *conf, const char *db)
{
	size_t i;

	for (i = 0; i < conf->count; i++) {
		if (strcmp(conf->db[i].name, db) == 0) {
			sm_nsdb_clear(&conf->db[i]);
			conf->db[i] = conf->db[--conf->count];
			return;
		}
	}
}

/* sm_nsconf_take_line - parse one line and store it or report it */
static void sm_nsconf_take_line(struct sm_nsconf *conf, const char *line, const char *name,
                                unsigned long lineno)
{
	struct sm_buf err = SM_BUF_INIT;
	struct sm_nsdb db;
	int rc = sm_nsconf_parse_line(line, &db, &err);

	if (rc > 0) {
		sm_nsconf_add(conf, &db);
		return;
	}
	if (rc < 0) {
		conf->errors++;
		if (db.name)
			sm_nsconf_remove(conf, db.name);
		if (db.name) {
			char *pname = sm_printable(db.name, strlen(db.name), 64);

			sm_log(LOG_WARNING, "%s: line %lu: %s; database %s keeps its default", name, lineno,
			       sm_buf_str(&err), pname);
			free(pname);
		} else {
			sm_log(LOG_WARNING, "%s: line %lu: %s; line ignored", name, lineno, sm_buf_str(&err));
		}
	}
	sm_nsdb_clear(&db);
	sm_buf_free(&err);
}

/* sm_nsconf_read - parse a file; caller frees with sm_nsconf_free; NULL and *oserr if unreadable */
struct sm_nsconf *sm_nsconf_read(const char *path, int *oserr)
{
	struct sm_nsconf *conf;
	struct sm_lines lr;
	int rc;

	if (sm_lines_open(&lr, path, SM_NS_MAXLINE, oserr) < 0)
		return NULL;
	conf = sm_calloc(1, sizeof(*conf));
	while ((rc = sm_lines_next(&lr)) > 0) {
		if (lr.too_long || lr.has_nul) {
			conf->errors++;
			sm_log(LOG_WARNING, "%s: line %lu: %s; line ignored", path, lr.lineno,
			       lr.too_long ? "line too long" : "NUL byte in line");
			continue;
		}
		sm_nsconf_take_line(conf, lr.line.data, path, lr.lineno);
	}
	if (rc < 0) {
		*oserr = lr.err;
		sm_lines_close(&lr);
		sm_nsconf_free(conf);
		return NULL;
	}
	sm_lines_close(&lr);
	return conf;
}

/* sm_nsconf_parse_string - parse text held in memory (name labels messages); caller frees */
struct sm_nsconf *sm_nsconf_parse_string(const char *text, const char *name)
{
	struct sm_nsconf *conf = sm_calloc(1, sizeof(*conf));
	unsigned long lineno = 0;
	const char *p = text;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char *line = sm_strndup(p, len);

		sm_nsconf_take_line(conf, line, name, ++lineno);
		free(line);
		p += len + (nl != NULL);
	}
	return conf;
}

/* sm_nsconf_find - the chain for db, or NULL; owned by conf */
const struct sm_nsdb *sm_nsconf_find(const struct sm_nsconf *conf, const char *db)
{
	size_t i;

	for (i = 0; conf && i < conf->count; i++)
		if (strcmp(conf->db[i].name, db) == 0)
			return &conf->db[i];
	return NULL;
}

/* sm_nsconf_free - release conf */
void sm_nsconf_free(struct sm_nsconf *conf)
{
	size_t i;

	if (conf == NULL)
		return;
	for (i = 0; i < conf->count; i++)
		sm_nsdb_clear(&conf->db[i]);
	free(conf->db);
	free(conf);
}
