/*
 * server/defaults.c - read /etc/default/switchmail (Solaris' /etc/default/sendmail) without a shell
 *
 * SYNOPSIS
 *	#include "server/defaults.h"
 *
 *	int sm_defaults_read(const char *path, struct sm_defaults *d, struct sm_buf *err);
 *	char **sm_defaults_argv(const struct sm_defaults *d, const char *prog, size_t *argc);
 *	void sm_defaults_argv_free(char **argv);
 *	void sm_defaults_free(struct sm_defaults *d);
 *	int sm_queueinterval_valid(const char *s);
 *
 * DESCRIPTION
 *	A line is cut into words by next_word(), which understands the quoting
 *	subset described in server/defaults.h and refuses everything that would
 *	make the shell run or expand something. Each word must be an
 *	assignment (after an optional "export"); the known variables are kept
 *	as written and, once the whole file is read, finish() applies the
 *	checks of the Solaris start method (illumos smtp-sendmail): MODE
 *	default, QUEUEOPTION cleared unless "p", then QUEUEINTERVAL validated
 *	when QUEUEOPTION is empty or QUEUEINTERVAL is not. OPTIONS is split
 *	into words with split_words().
 *
 * WHO FREES WHAT
 *	See server/defaults.h.
 *
 * CONFIGURATION
 *	The file named by the caller.
 *
 * DIAGNOSTICS
 *	See server/defaults.h: -1 with "FILE: line N: reason" or
 *	"FILE: strerror" in err; nothing is logged.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/cfg.h"
#include "lib/lines.h"
#include "lib/mem.h"
#include "server/defaults.h"

#define LINE_MAX_BYTES 65536

/* one variable as assigned in the file */
struct var {
	char *value;        /* NULL: never assigned */
	unsigned long line; /* where it was last assigned */
};

/* the variables we know, as written */
struct raw {
	struct var mode;
	struct var interval;
	struct var option;  /* QUEUEOPTION */
	struct var options; /* QUEUEOPTIONS */
	struct var extra;   /* OPTIONS */
};

/* var_set - remember value (taken over) and its line */
static void var_set(struct var *v, char *value, unsigned long line)
{
	free(v->value);
	v->value = value;
	v->line = line;
}

/* raw_free - release what was read */
static void raw_free(struct raw *r)
{
	free(r->mode.value);
	free(r->interval.value);
	free(r->option.value);
	free(r->options.value);
	free(r->extra.value);
	memset(r, 0, sizeof(*r));
}

/* is_blank - the shell's default field separators on one line */
static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * next_word - the next word at *pp with quotes removed into w; 1 word, 0 none left, -1 with *why.
 * strict (a line of the file): '#' starts a comment, and $, backquotes and operators are refused;
 * otherwise (splitting OPTIONS) only blanks, quotes and backslashes mean something.
 */
static int next_word(const char **pp, struct sm_buf *w, int strict, const char **why)
{
	const char *p = *pp;

	sm_buf_reset(w);
	while (is_blank(*p))
		p++;
	if (*p == '\0' || (strict && *p == '#')) {
		*pp = p + strlen(p);
		return 0;
	}
	while (*p && !is_blank(*p)) {
		switch (*p) {
		case '\\':
			if (p[1] == '\0') {
				*why =
				    "a backslash at the end of a line (continuation lines are not supported)";
				return -1;
			}
			sm_buf_addc(w, p[1]);
			p += 2;
			continue;
		case '\'':
			for (p++; *p && *p != '\''; p++)
				sm_buf_addc(w, *p);
			if (*p == '\0') {
				*why = "unterminated single quote";
				return -1;
			}
			p++;
			continue;
		case '"':
			for (p++; *p && *p != '"'; p++) {
				if (strict && (*p == '`' || *p == '$')) {
					*why = *p == '`' || p[1] == '('
					           ? "command substitution $(...) or `...` is not allowed"
					           : "variable expansion ($) is not supported";
					return -1;
				}
				if (*p == '\\' && (p[1] == '$' || p[1] == '`' || p[1] == '"' || p[1] == '\\'))
					p++;
				sm_buf_addc(w, *p);
			}
			if (*p == '\0') {
				*why = "unterminated double quote";
				return -1;
			}
			p++;
			continue;
		case '`':
			if (!strict)
				break;
			*why = "command substitution $(...) or `...` is not allowed";
			return -1;
		case '$':
			if (!strict)
				break;
			*why = p[1] == '(' ? "command substitution $(...) or `...` is not allowed"
			                   : "variable expansion ($) is not supported";
			return -1;
		case ';':
		case '&':
		case '|':
		case '<':
		case '>':
		case '(':
		case ')':
			if (!strict)
				break;
			*why = "shell operators (; & | < > ( )) are not supported";
			return -1;
		default:
			break;
		}
		sm_buf_addc(w, *p++); /* an ordinary character */
	}
	*pp = p;
	sm_buf_str(w);
	return 1;
}

/* name_len - length of the NAME in "NAME=..." at s, or 0 when s does not start an assignment */
static size_t name_len(const char *s)
{
	size_t i = 0;

	if (!isalpha((unsigned char)s[0]) && s[0] != '_')
		return 0;
	while (isalnum((unsigned char)s[i]) || s[i] == '_')
		i++;
	return i;
}

/* assign - NAME=value into the known variable it names, if any */
static void assign(struct raw *r, const char *word, size_t n, unsigned long line)
{
	const struct {
		const char *name;
		struct var *v;
	} known[] = {
		{ "MODE", &r->mode },          { "QUEUEINTERVAL", &r->interval },
		{ "QUEUEOPTION", &r->option }, { "QUEUEOPTIONS", &r->options },
		{ "OPTIONS", &r->extra },
	};
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strlen(known[i].name) == n && strncmp(known[i].name, word, n) == 0)
			var_set(known[i].v, sm_strdup(word + n + 1), line);
}

/* parse_line - every assignment of one line; NULL, or why it is refused */
static const char *parse_line(struct raw *r, const char *line, unsigned long lineno)
{
	struct sm_buf w = SM_BUF_INIT;
	const char *p = line, *why = NULL;
	int first = 1, exporting = 0, rc;

	while ((rc = next_word(&p, &w, 1, &why)) > 0) {
		size_t n = name_len(w.data);

		if (first && strcmp(w.data, "export") == 0) {
			exporting = 1;
		} else if (n > 0 && w.data[n] == '=') {
			assign(r, w.data, n, lineno);
		} else if (!(exporting && n == w.len)) {
			why = "expected NAME=value (a command would be run by the shell)";
			break;
		}
		first = 0;
	}
	sm_buf_free(&w);
	return why; /* set only on an error, by next_word() or above */
}

/* split_words - the words of s as the shell would give them with quotes honoured; NULL with *why */
static char **split_words(const char *s, size_t *n, const char **why)
{
	struct sm_buf w = SM_BUF_INIT;
	char **v = NULL;
	size_t cap = 0;
	int rc;

	*n = 0;
	while ((rc = next_word(&s, &w, 0, why)) > 0) {
		if (*n + 1 >= cap) {
			cap = cap ? 2 * cap : 8;
			v = sm_realloc(v, cap * sizeof(*v));
		}
		v[(*n)++] = sm_strdup(w.data);
		v[*n] = NULL;
	}
	sm_buf_free(&w);
	if (rc < 0) {
		while (*n > 0)
			free(v[--*n]);
		free(v);
		return NULL;
	}
	return v;
}

/* sm_queueinterval_valid - s matches ^([0-9]*[1-9][0-9]*[smhdw])+$ */
int sm_queueinterval_valid(const char *s)
{
	if (s == NULL || *s == '\0')
		return 0;
	while (*s) {
		int nonzero = 0;

		while (isdigit((unsigned char)*s))
			nonzero |= *s++ != '0';
		if (!nonzero || *s == '\0' || strchr("smhdw", *s) == NULL)
			return 0;
		s++;
	}
	return 1;
}

/* finish - the start method's checks, from what was read into d */
static int finish(struct raw *r, struct sm_defaults *d, const char *path, struct sm_buf *err)
{
	const struct var *opt = r->option.value ? &r->option : &r->options;
	const char *why = NULL;

	d->mode = sm_strdup(r->mode.value ? r->mode.value : SM_DEFAULTS_MODE);
	d->queueoption = sm_strdup(opt->value && strcmp(opt->value, "p") == 0 ? "p" : "");
	d->queueinterval = sm_strdup(r->interval.value ? r->interval.value : "");
	if (*d->queueoption == '\0' || *d->queueinterval != '\0') {
		if (!sm_queueinterval_valid(d->queueinterval) ||
		    sm_interval_parse(d->queueinterval, 'm') <= 0) {
			free(d->queueinterval);
			d->queueinterval = sm_strdup(SM_DEFAULTS_INTERVAL);
		}
		d->interval_s = sm_interval_parse(d->queueinterval, 'm');
	}
	if (r->extra.value != NULL &&
	    (d->options = split_words(r->extra.value, &d->noptions, &why)) == NULL && why != NULL) {
		if (err)
			sm_buf_printf(err, "%s: line %lu: OPTIONS: %s", path, r->extra.line, why);
		return -1;
	}
	return 0;
}

/* sm_defaults_read - read path into d (see defaults.h) */
int sm_defaults_read(const char *path, struct sm_defaults *d, struct sm_buf *err)
{
	struct sm_lines lr;
	struct raw r;
	int oserr, rc;

	memset(d, 0, sizeof(*d));
	memset(&r, 0, sizeof(r));
	if (sm_lines_open(&lr, path, LINE_MAX_BYTES, &oserr) < 0) {
		if (oserr == ENOENT)
			return finish(&r, d, path, err);
		if (err)
			sm_buf_printf(err, "%s: %s", path, strerror(oserr));
		return -1;
	}
	while ((rc = sm_lines_next(&lr)) > 0) {
		const char *why = NULL;

		if (lr.line.len > 0 && lr.line.data[lr.line.len - 1] == '\r')
			lr.line.data[--lr.line.len] = '\0';
		if (lr.too_long)
			why = "line too long";
		else if (lr.has_nul)
			why = "NUL byte in line";
		else
			why = parse_line(&r, lr.line.data, lr.lineno);
		if (why != NULL) {
			if (err)
				sm_buf_printf(err, "%s: line %lu: %s", path, lr.lineno, why);
			rc = -2;
			break;
		}
	}
	if (rc == -1 && err)
		sm_buf_printf(err, "%s: %s", path, strerror(lr.err));
	sm_lines_close(&lr);
	if (rc == 0)
		rc = finish(&r, d, path, err);
	raw_free(&r);
	if (rc < 0) {
		sm_defaults_free(d);
		return -1;
	}
	return 0;
}

/* sm_defaults_argv - prog MODE -q[p]INTERVAL OPTIONS..., NULL-terminated; freed by sm_defaults_argv_free */
char **sm_defaults_argv(const struct sm_defaults *d, const char *prog, size_t *argc)
{
	size_t n = 0, i;
	const char *p;
	char **v;

	/* prog, the words of MODE (no more than its bytes), -q, OPTIONS, NULL */
	v = sm_calloc(3 + strlen(d->mode ? d->mode : "") + d->noptions, sizeof(*v));
	v[n++] = sm_strdup(prog);
	for (p = d->mode ? d->mode : ""; *p;) {
		size_t len;

		while (is_blank(*p))
			p++;
		for (len = 0; p[len] && !is_blank(p[len]); len++)
			;
		if (len > 0)
			v[n++] = sm_strndup(p, len);
		p += len;
	}
	v[n++] = sm_asprintf("-q%s%s", d->queueoption ? d->queueoption : "",
	                     d->queueinterval ? d->queueinterval : "");
	for (i = 0; i < d->noptions; i++)
		v[n++] = sm_strdup(d->options[i]);
	v[n] = NULL;
	if (argc != NULL)
		*argc = n;
	return v;
}

/* sm_defaults_argv_free - release an argv from sm_defaults_argv */
void sm_defaults_argv_free(char **argv)
{
	size_t i;

	if (argv == NULL)
		return;
	for (i = 0; argv[i]; i++)
		free(argv[i]);
	free(argv);
}

/* sm_defaults_free - release d and zero it */
void sm_defaults_free(struct sm_defaults *d)
{
	size_t i;

	if (d == NULL)
		return;
	free(d->mode);
	free(d->queueinterval);
	free(d->queueoption);
	for (i = 0; i < d->noptions; i++)
		free(d->options[i]);
	free(d->options);
	memset(d, 0, sizeof(*d));
}
