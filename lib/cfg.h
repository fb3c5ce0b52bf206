/*
 * lib/cfg.h - switchmail.conf: named settings with built-in defaults
 *
 * SYNOPSIS
 *	struct sm_config *sm_config_new(void);
 *	int sm_config_load(struct sm_config *cf, const char *path, struct sm_buf *err);
 *	int sm_config_set(struct sm_config *cf, const char *name, const char *value,
 *	                  const char *origin, struct sm_buf *err);
 *	int sm_config_override(struct sm_config *cf, const char *assignment, struct sm_buf *err);
 *	const char *sm_config_str(const struct sm_config *cf, const char *name);
 *	long sm_config_int(const struct sm_config *cf, const char *name);
long sm_interval_parse(const char *s, char unit);
char **sm_config_words(const struct sm_config *cf, const char *name, size_t *n);
void sm_config_words_free(char **v, size_t n);
int sm_config_has_word(const struct sm_config *cf, const char *name, const char *word);
 *	long sm_interval_parse(const char *s, char unit);
char **sm_config_words(const struct sm_config *cf, const char *name, size_t *n);
void sm_config_words_free(char **v, size_t n);
int sm_config_has_word(const struct sm_config *cf, const char *name, const char *word);
 *	char **sm_config_words(const struct sm_config *cf, const char *name, size_t *n);
 *	void sm_config_words_free(char **v, size_t n);
 *	int sm_config_has_word(const struct sm_config *cf, const char *name, const char *word);
 *	void sm_config_print(const struct sm_config *cf, FILE *fp);
 *	void sm_config_free(struct sm_config *cf);
 *
 * DESCRIPTION
 *	Every setting switchmail knows has a built-in default (lib/settings.c),
 *	so a missing file means "all defaults". The file holds "Name = value"
 *	lines; "#" starts a comment line; names are matched without regard to
 *	case, as sendmail matches its long option names. A relative path value
 *	in a file is taken relative to that file's directory, so a directory of
 *	its own (./run/) is self-contained. sm_config_override() takes a
 *	"Name=value" string as given to -O on the command line.
 *
 *	sm_config_str() returns a string owned by the configuration (never NULL
 *	for a known name); asking for an unknown name is a programming error and
 *	aborts. sm_config_new() returns an object freed with sm_config_free().
 *
 * DIAGNOSTICS
 *	sm_config_load() and sm_config_set() return -1 and put a message in err
 *	naming the file and line ("FILE: line N: unknown setting Foo") for an
 *	unknown name, a malformed line, or a value of the wrong type; loading
 *	stops at the first error.
 *
 *	sm_config_words() splits a list setting (PrivacyOptions, RelayClients,
 *	TrustedUsers) at blanks and commas into *n new strings, freed with
 *	sm_config_words_free(); sm_config_has_word() says whether word is one
 *	of them, in any case.
 *
 *	sm_interval_parse() reads an interval as sendmail's convtime() does:
 *	numbers each followed by a unit s, m, h, d or w, concatenated (1h30m);
 *	a number without a unit is in the given unit. It returns seconds, or
 *	-1 for an empty, malformed or too large (over 10 years) value. A file that does not exist is an error only
 *	when it was named explicitly (the caller decides).
 */
#ifndef SM_CONFIG_H
#define SM_CONFIG_H

#include <stdio.h>

#include "lib/buf.h"

enum sm_setting_type {
	SM_SET_STRING,
	SM_SET_PATH, /* relative values are resolved against the file's directory */
	SM_SET_INT,  /* a non-negative decimal number */
	SM_SET_BOOL, /* true/false/yes/no/on/off/1/0 */
	SM_SET_TIME, /* an interval: 90, 30s, 15m, 1h30m, 5d, 1w; sm_config_int() gives seconds */
};

struct sm_setting_def {
	const char *name;
	enum sm_setting_type type;
	const char *def;
	const char *doc;
};

/* the table of every setting, ended by a NULL name (lib/settings.c) */
extern const struct sm_setting_def sm_settings[];

struct sm_config;

struct sm_config *sm_config_new(void);
int sm_config_load(struct sm_config *cf, const char *path, struct sm_buf *err);
int sm_config_set(struct sm_config *cf, const char *name, const char *value, const char *origin,
                  struct sm_buf *err);
int sm_config_override(struct sm_config *cf, const char *assignment, struct sm_buf *err);
const char *sm_config_str(const struct sm_config *cf, const char *name);
long sm_config_int(const struct sm_config *cf, const char *name);
long sm_interval_parse(const char *s, char unit);
char **sm_config_words(const struct sm_config *cf, const char *name, size_t *n);
void sm_config_words_free(char **v, size_t n);
int sm_config_has_word(const struct sm_config *cf, const char *name, const char *word);
int sm_config_bool(const struct sm_config *cf, const char *name);
void sm_config_print(const struct sm_config *cf, FILE *fp);
void sm_config_free(struct sm_config *cf);

#endif
