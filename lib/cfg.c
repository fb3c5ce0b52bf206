/*
 * lib/cfg.c - switchmail.conf: named settings with built-in defaults
 *
 * See config.h. Reads the file it is given; the settings table is in settings.c.
 *
 * DIAGNOSTICS
 *	Messages are returned in the caller's buffer as "FILE: line N: ...";
 *	nothing is logged here.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/cfg.h"
#include "lib/lines.h"
#include "lib/mem.h"

struct sm_setting {
	const struct sm_setting_def *def;
	char *value;
	char *origin; /* NULL: built-in default */
};

struct sm_config {
	size_t count;
	struct sm_setting *set;
};

/* sm_config_new - every setting at its default; free with sm_config_free */
struct sm_config *sm_config_new(void)
{
	struct sm_config *cf = sm_calloc(1, sizeof(*cf));
	size_t i;

	while (sm_settings[cf->count].name)
		cf->count++;
	cf->set = sm_calloc(cf->count, sizeof(*cf->set));
	for (i = 0; i < cf->count; i++) {
		cf->set[i].def = &sm_settings[i];
		cf->set[i].value = sm_strdup(sm_settings[i].def);
	}
	return cf;
}

/* sm_config_find - the setting called name (any case), or NULL */
static struct sm_setting *sm_config_find(const struct sm_config *cf, const char *name)
{
	size_t i;

	for (i = 0; i < cf->count; i++)
		if (strcasecmp(cf->set[i].def->name, name) == 0)
			return &cf->set[i];
	return NULL;
}

/* sm_config_check - is value acceptable for the setting's type? */
static int sm_config_check(const struct sm_setting_def *def, const char *value, struct sm_buf *err)
{
	static const char *const bools[] = { "true", "false", "yes", "no", "on", "off", "1", "0", NULL };
	const char *p;
	int i;

	switch (def->type) {
	case SM_SET_STRING:
	case SM_SET_PATH:
		return 0;
	case SM_SET_INT:
		if (*value == '\0' || strlen(value) > 9)
			break;
		for (p = value; *p; p++)
			if (!isdigit((unsigned char)*p))
				break;
		if (*p == '\0')
			return 0;
		break;
	case SM_SET_BOOL:
		for (i = 0; bools[i]; i++)
			if (strcasecmp(value, bools[i]) == 0)
				return 0;
		break;
	case SM_SET_TIME:
		if (sm_interval_parse(value, 's') >= 0)
			return 0;
		break;
	}
	sm_buf_printf(err, "%s: bad value \"%s\" (expected %s)", def->name, value,
	              def->type == SM_SET_INT    ? "a number from 0 to 999999999"
	              : def->type == SM_SET_TIME ? "an interval such as 30s, 15m, 4h or 5d"
	                                         : "true or false");
	return -1;
}

/* sm_config_set - set name to value; origin (copied) says where it came from */
int sm_config_set(struct sm_config *cf, const char *name, const char *value, const char *origin,
                  struct sm_buf *err)
{
	struct sm_setting *s = sm_config_find(cf, name);

	if (s == NULL) {
		sm_buf_printf(err, "unknown setting %s", name);
		return -1;
	}
	if (sm_config_check(s->def, value, err) < 0)
		return -1;
	free(s->value);
	free(s->origin);
	s->value = sm_strdup(value);
	s->origin = sm_strdup(origin);
	return 0;
}

/* sm_config_override - apply "Name=value" from the command line */
int sm_config_override(struct sm_config *cf, const char *assignment, struct sm_buf *err)
{
	const char *eq = strchr(assignment, '=');
	char *name, *value;
	int rc;

	if (eq == NULL || eq == assignment) {
		sm_buf_printf(err, "-O %s: expected Name=value", assignment);
		return -1;
	}
	name = sm_strndup(assignment, (size_t)(eq - assignment));
	while (*name && isspace((unsigned char)name[strlen(name) - 1]))
		name[strlen(name) - 1] = '\0';
	for (eq++; isspace((unsigned char)*eq);)
		eq++;
	value = sm_strdup(eq);
	while (*value && isspace((unsigned char)value[strlen(value) - 1]))
		value[strlen(value) - 1] = '\0';
	rc = sm_config_set(cf, name, value, "command line", err);
	free(value);
	if (rc < 0) {
		struct sm_buf msg = SM_BUF_INIT;

		sm_buf_printf(&msg, "-O: %s", sm_buf_str(err));
		sm_buf_reset(err);
		sm_buf_add(err, msg.data, msg.len);
		sm_buf_free(&msg);
	}
	free(name);
	return rc;
}

/* sm_config_resolve - value made relative to the directory of path; caller frees */
static char *sm_config_resolve(const char *path, const char *value)
{
	const char *slash = strrchr(path, '/');

	if (*value == '\0' || *value == '/' || slash == NULL)
		return sm_strdup(value);
	return sm_asprintf("%.*s/%s", (int)(slash - path), path, value);
}

/* sm_config_load - read "Name = value" lines from path */
int sm_config_load(struct sm_config *cf, const char *path, struct sm_buf *err)
{
	struct sm_lines lr;
	int oserr;
	int rc = 0;

	if (sm_lines_open(&lr, path, 65536, &oserr) < 0) {
		sm_buf_printf(err, "%s: %s", path, strerror(oserr));
		return -1;
	}
	while (rc == 0 && (rc = sm_lines_next(&lr)) > 0) {
		char *line = lr.line.data;
		char *name, *value, *end, *eq;
		struct sm_buf why = SM_BUF_INIT;
		struct sm_setting *s;

		rc = 0;
		if (lr.too_long || lr.has_nul) {
			sm_buf_printf(err, "%s: line %lu: %s", path, lr.lineno,
			              lr.too_long ? "line too long" : "NUL byte in line");
			rc = -1;
			break;
		}
		while (isspace((unsigned char)*line))
			line++;
		if (*line == '\0' || *line == '#')
			continue;
		end = line + strlen(line);
		while (end > line && isspace((unsigned char)end[-1]))
			*--end = '\0';
		eq = strchr(line, '=');
		if (eq == NULL) {
			sm_buf_printf(err, "%s: line %lu: expected \"Name = value\"", path, lr.lineno);
			rc = -1;
			break;
		}
		name = line;
		value = eq + 1;
		for (end = eq; end > name && isspace((unsigned char)end[-1]);)
			end--;
		*end = '\0';
		while (isspace((unsigned char)*value))
			value++;
		s = *name ? sm_config_find(cf, name) : NULL;
		if (s && s->def->type == SM_SET_PATH) {
			char *resolved = sm_config_resolve(path, value);
			char *origin = sm_asprintf("%s: line %lu", path, lr.lineno);

			rc = sm_config_set(cf, name, resolved, origin, &why);
			free(resolved);
			free(origin);
		} else {
			char *origin = sm_asprintf("%s: line %lu", path, lr.lineno);

			rc = *name ? sm_config_set(cf, name, value, origin, &why) : -1;
			if (*name == '\0')
				sm_buf_adds(&why, "missing setting name");
			free(origin);
		}
		if (rc < 0)
			sm_buf_printf(err, "%s: line %lu: %s", path, lr.lineno, sm_buf_str(&why));
		sm_buf_free(&why);
	}
	if (rc > 0)
		rc = 0;
	if (lr.err && err->len == 0) {
		sm_buf_printf(err, "%s: %s", path, strerror(lr.err));
		rc = -1;
	}
	sm_lines_close(&lr);
	return rc < 0 ? -1 : 0;
}

/* sm_config_str - current value of a setting; owned by cf */
const char *sm_config_str(const struct sm_config *cf, const char *name)
{
	struct sm_setting *s = sm_config_find(cf, name);

	if (s == NULL) {
		fprintf(stderr, "switchmail: internal error: no setting %s\n", name);
		abort();
	}
	return s->value;
}

/* sm_interval_parse - seconds in an interval such as 1h30m (units s m h d w; bare numbers in unit) */
long sm_interval_parse(const char *s, char unit)
{
	long total = 0;

	if (s == NULL || *s == '\0')
		return -1;
	while (*s) {
		long n = 0, mult;
		char u;

		if (!isdigit((unsigned char)*s))
			return -1;
		while (isdigit((unsigned char)*s)) {
			n = n * 10 + (*s++ - '0');
			if (n > 100000000L)
				return -1;
		}
		u = *s ? *s++ : unit;
		switch (u) {
		case 's':
			mult = 1;
			break;
		case 'm':
			mult = 60;
			break;
		case 'h':
			mult = 3600;
			break;
		case 'd':
			mult = 86400;
			break;
		case 'w':
			mult = 604800;
			break;
		default:
			return -1;
		}
		total += n * mult;
		if (total > 10L * 366 * 86400)
			return -1;
	}
	return total;
}

/* sm_config_int - current value of a numeric setting; an interval in seconds */
long sm_config_int(const struct sm_config *cf, const char *name)
{
	const struct sm_setting *s = sm_config_find((struct sm_config *)cf, name);

	if (s != NULL && s->def->type == SM_SET_TIME)
		return sm_interval_parse(sm_config_str(cf, name), 's');
	return strtol(sm_config_str(cf, name), NULL, 10);
}

/* sm_config_words - the blank- or comma-separated words of a setting; freed by sm_config_words_free */
char **sm_config_words(const struct sm_config *cf, const char *name, size_t *n)
{
	const char *s = sm_config_str(cf, name);
	char **v = NULL;
	size_t cnt = 0, len;

	for (;;) {
		s += strspn(s, " \t,");
		if ((len = strcspn(s, " \t,")) == 0)
			break;
		v = sm_realloc(v, (cnt + 1) * sizeof(*v));
		v[cnt++] = sm_strndup(s, len);
		s += len;
	}
	*n = cnt;
	return v;
}

/* sm_config_words_free - release what sm_config_words returned */
void sm_config_words_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* sm_config_has_word - is word (any case) among the words of a setting? */
int sm_config_has_word(const struct sm_config *cf, const char *name, const char *word)
{
	size_t n, i;
	char **v = sm_config_words(cf, name, &n);
	int found = 0;

	for (i = 0; i < n && !found; i++)
		found = strcasecmp(v[i], word) == 0;
	sm_config_words_free(v, n);
	return found;
}

/* sm_config_bool - current value of a true/false setting */
int sm_config_bool(const struct sm_config *cf, const char *name)
{
	const char *v = sm_config_str(cf, name);

	return strcasecmp(v, "true") == 0 || strcasecmp(v, "yes") == 0 || strcasecmp(v, "on") == 0 ||
	       strcmp(v, "1") == 0;
}

/* sm_config_print - print every setting as "Name = value", with where it came from */
void sm_config_print(const struct sm_config *cf, FILE *fp)
{
	size_t i;

	for (i = 0; i < cf->count; i++) {
		const struct sm_setting *s = &cf->set[i];

		fprintf(fp, "%s = %s", s->def->name, s->value);
		if (s->origin)
			fprintf(fp, "\t# %s", s->origin);
		fputc('\n', fp);
	}
}

/* sm_config_free - release cf and everything it owns */
void sm_config_free(struct sm_config *cf)
{
	size_t i;

	if (cf == NULL)
		return;
	for (i = 0; i < cf->count; i++) {
		free(cf->set[i].value);
		free(cf->set[i].origin);
	}
	free(cf->set);
	free(cf);
}
