/*
 * tests/t_config.c - unit tests of switchmail.conf handling (lib/cfg.h) and sm_split_list
 *
 * DESCRIPTION
 *	Every entry of sm_settings has a default that sm_config_str() returns,
 *	under any case of its name. sm_config_load() of files written into a
 *	mkdtemp() directory: "Name = value" lines, comments, case-insensitive
 *	names, relative paths resolved against the file's directory for
 *	SM_SET_PATH settings only, and every error with "FILE: line N: ...".
 *	sm_config_override() and sm_config_set() with good and bad forms;
 *	sm_config_print() with the origin of each setting. Last,
 *	sm_split_list() (router/router.h): commas, quotes, "Phrase <addr>",
 *	"addr (comment)", empty elements. Then sm_interval_parse() (units,
 *	bare numbers in the given unit, limits, every malformed form) and the
 *	SM_SET_TIME settings: defaults in seconds, values from a file and
 *	from sm_config_set(), "FILE: line N: Name: bad value ..." for a bad
 *	interval. Output is TAP (tests/tap.h).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/cfg.h"
#include "lib/mem.h"
#include "router/router.h"
#include "tests/tap.h"
#include "tests/testutil.h"

/* test_defaults - every setting has a default, returned under any case of its name */
static void test_defaults(void)
{
	struct sm_config *cf = sm_config_new();
	size_t i;

	for (i = 0; sm_settings[i].name; i++) {
		const struct sm_setting_def *d = &sm_settings[i];
		char lower[64];
		size_t j;

		ok(d->def != NULL && d->doc != NULL && *d->doc, "%s has a default and a description",
		   d->name);
		is_str(sm_config_str(cf, d->name), d->def, "  sm_config_str returns the default");
		for (j = 0; d->name[j] && j + 1 < sizeof(lower); j++)
			lower[j] = (char)tolower((unsigned char)d->name[j]);
		lower[j] = '\0';
		is_str(sm_config_str(cf, lower), d->def, "  also under its lower-case name");
	}
	ok(i >= 10, "the table holds the settings (%zu)", i);
	is_str(sm_config_str(cf, "AliasFile"), "/etc/mail/aliases",
	       "AliasFile defaults to /etc/mail/aliases");
	is_int(sm_config_int(cf, "MaxAliasRecursion"), 10, "MaxAliasRecursion defaults to 10");
	is_str(sm_config_str(cf, "TestSourceFile"), "", "TestSourceFile defaults to empty");
	sm_config_free(cf);
}

/* what a good file sets */
static const struct load_want {
	const char *name;
	const char *value; /* "@/" is replaced by the directory and a slash */
} load_wants[] = {
	{ .name = "AliasFile", .value = "@/aliases" },
	{ .name = "ServiceSwitchFile", .value = "/etc/nsswitch.test" },
	{ .name = "MaxAliasRecursion", .value = "7" },
	{ .name = "SmartHost", .value = "relay.example.com" },
	{ .name = "HostName", .value = "mx one" },
	{ .name = "QueueDirectory", .value = "/abs/queue" },
	{ .name = "LocalHostNamesFile", .value = "@/sub/dir/local-host-names" },
	{ .name = "ForwardPath", .value = "rel/.forward" },
	{ .name = "MailSpoolDirectory", .value = "@/./spool" },
	{ .name = "PasswdFile", .value = "" },
	{ .name = "DaemonPortOptions", .value = "Port=2525,Addr=127.0.0.1" },
	{ .name = "LogLevel", .value = "9" }, /* not in the file: default */
};

static const char good_file[] = "# switchmail.conf for t_config\n"
                                "   # an indented comment\n"
                                "\n"
                                "AliasFile = aliases\n"
                                "servicesWITCHfile=/etc/nsswitch.test\n"
                                "MAXALIASRECURSION =  7  \n"
                                "\tSmartHost\t=\trelay.example.com\t\n"
                                "HostName = mx one\n"
                                "QueueDirectory = /abs/queue\n"
                                "LocalHostNamesFile =sub/dir/local-host-names\n"
                                "ForwardPath = rel/.forward\n"
                                "MailSpoolDirectory = ./spool\n"
                                "PasswdFile =\n"
                                "DaemonPortOptions = Port=2525,Addr=127.0.0.1\n";

/* test_load - a good file */
static void test_load(void)
{
	struct sm_config *cf = sm_config_new();
	struct sm_buf err = SM_BUF_INIT;
	const char *path = in_dir("good.conf");
	char conf[256];
	size_t i;
	int rc;

	snprintf(conf, sizeof(conf), "%s", path);
	write_file(conf, good_file, 0644);
	rc = sm_config_load(cf, conf, &err);
	if (!is_int(rc, 0, "sm_config_load of a good file"))
		diag("%s", sm_buf_str(&err));
	is_int((long)err.len, 0, "  no message");
	for (i = 0; i < sizeof(load_wants) / sizeof(load_wants[0]); i++) {
		const struct load_want *w = &load_wants[i];
		char want[512], name[128];

		if (strncmp(w->value, "@/", 2) == 0)
			snprintf(want, sizeof(want), "%s/%s", test_dir, w->value + 2);
		else
			snprintf(want, sizeof(want), "%s", w->value);
		snprintf(name, sizeof(name), "  %s = %s", w->name, w->value);
		is_str(sm_config_str(cf, w->name), want, name);
	}
	is_int(sm_config_int(cf, "MaxAliasRecursion"), 7, "  sm_config_int reads 7");

	/* a second file overrides the first; absolute paths are kept */
	write_file(in_dir("second.conf"), "AliasFile = /etc/mail/other\n", 0644);
	snprintf(conf, sizeof(conf), "%s", in_dir("second.conf"));
	is_int(sm_config_load(cf, conf, &err), 0, "a second file loads");
	is_str(sm_config_str(cf, "AliasFile"), "/etc/mail/other", "  an absolute path is kept as is");
	is_str(sm_config_str(cf, "SmartHost"), "relay.example.com", "  other settings stay");
	sm_buf_free(&err);
	sm_config_free(cf);
}

/* files that fail to load: the message expected */
static const struct bad_file {
	const char *name;
	const char *text;
	const char *msg; /* after "FILE: " */
} bad_files[] = {
	{ .name = "unknown setting",
	  .text = "AliasFile = a\nNoSuchThing = 1\n",
	  .msg = "line 2: unknown setting NoSuchThing" },
	{ .name = "line without =",
	  .text = "# c\njust some words\n",
	  .msg = "line 2: expected \"Name = value\"" },
	{ .name = "bad integer",
	  .text = "MaxAliasRecursion = ten\n",
	  .msg = "line 1: MaxAliasRecursion: bad value \"ten\" (expected a number from 0 to 999999999)" },
	{ .name = "negative integer",
	  .text = "MaxAliasRecursion = -1\n",
	  .msg = "line 1: MaxAliasRecursion: bad value \"-1\" (expected a number from 0 to 999999999)" },
	{ .name = "integer with a suffix",
	  .text = "\n\nMaxAliasRecursion = 5x\n",
	  .msg = "line 3: MaxAliasRecursion: bad value \"5x\" (expected a number from 0 to 999999999)" },
	{ .name = "integer too large",
	  .text = "LogLevel = 1234567890\n",
	  .msg = "line 1: LogLevel: bad value \"1234567890\" (expected a number from 0 to 999999999)" },
	{ .name = "empty integer",
	  .text = "LogLevel =\n",
	  .msg = "line 1: LogLevel: bad value \"\" (expected a number from 0 to 999999999)" },
	{ .name = "missing name", .text = "= value\n", .msg = "line 1: missing setting name" },
	{ .name = "unknown setting that looks like a path",
	  .text = "AliasFiles = aliases\n",
	  .msg = "line 1: unknown setting AliasFiles" },
	{ .name = "interval with an unknown unit",
	  .text = "# c\nQueueReturn = 5q\n",
	  .msg = "line 2: QueueReturn: bad value \"5q\" (expected an interval such as 30s, 15m, 4h or 5d)" },
	{ .name = "empty interval",
	  .text = "QueueWarn =\n",
	  .msg = "line 1: QueueWarn: bad value \"\" (expected an interval such as 30s, 15m, 4h or 5d)" },
	{ .name = "negative interval",
	  .text = "QueueInterval = -15m\n",
	  .msg =
	      "line 1: QueueInterval: bad value \"-15m\" (expected an interval such as 30s, 15m, 4h or 5d)" },
	{ .name = "interval with blanks inside",
	  .text = "QueueReturn = 1h 30m\n",
	  .msg =
	      "line 1: QueueReturn: bad value \"1h 30m\" (expected an interval such as 30s, 15m, 4h or 5d)" },
};

/* test_load_errors - each bad file, a missing file, and stopping at the first error */
static void test_load_errors(void)
{
	struct sm_buf err = SM_BUF_INIT;
	struct sm_config *cf;
	char path[256], want[512];
	size_t i;

	snprintf(path, sizeof(path), "%s", in_dir("bad.conf"));
	for (i = 0; i < sizeof(bad_files) / sizeof(bad_files[0]); i++) {
		cf = sm_config_new();
		sm_buf_reset(&err);
		write_file(path, bad_files[i].text, 0644);
		is_int(sm_config_load(cf, path, &err), -1, bad_files[i].name);
		snprintf(want, sizeof(want), "%s: %s", path, bad_files[i].msg);
		is_str(sm_buf_str(&err), want, "  message FILE: line N: ...");
		sm_config_free(cf);
	}

	/* loading stops at the first error; what came before stays */
	cf = sm_config_new();
	sm_buf_reset(&err);
	write_file(path, "SmartHost = before\nBogus = 1\nHostName = after\n", 0644);
	is_int(sm_config_load(cf, path, &err), -1, "a bad line in the middle");
	is_str(sm_config_str(cf, "SmartHost"), "before", "  the line before it is applied");
	is_str(sm_config_str(cf, "HostName"), "", "  the line after it is not");
	is_int(sm_config_int(cf, "MaxAliasRecursion"), 10, "  untouched settings keep their defaults");
	sm_config_free(cf);

	/* a NUL byte */
	cf = sm_config_new();
	sm_buf_reset(&err);
	{
		FILE *fp = fopen(path, "w");

		fwrite("HostName = a\0b\n", 1, 15, fp);
		fclose(fp);
	}
	is_int(sm_config_load(cf, path, &err), -1, "a NUL byte in a line");
	snprintf(want, sizeof(want), "%s: line 1: NUL byte in line", path);
	is_str(sm_buf_str(&err), want, "  message FILE: line 1: NUL byte in line");
	sm_config_free(cf);

	/* a missing file */
	cf = sm_config_new();
	sm_buf_reset(&err);
	snprintf(path, sizeof(path), "%s", in_dir("missing.conf"));
	is_int(sm_config_load(cf, path, &err), -1, "a missing file");
	snprintf(want, sizeof(want), "%s: %s", path, strerror(ENOENT));
	is_str(sm_buf_str(&err), want, "  message FILE: No such file or directory");
	sm_config_free(cf);
	sm_buf_free(&err);
	unlink(in_dir("bad.conf"));
}

/* -O assignments: result, and the value afterwards */
static const struct override_case {
	const char *arg;
	int rc;
	const char *name;  /* setting to check */
	const char *value; /* its value afterwards */
	const char *msg;   /* error message, or NULL */
} override_cases[] = {
	{ .arg = "MaxAliasRecursion=5", .rc = 0, .name = "MaxAliasRecursion", .value = "5" },
	{ .arg = "maxaliasrecursion=6", .rc = 0, .name = "MaxAliasRecursion", .value = "6" },
	{ .arg = "MaxAliasRecursion =7", .rc = 0, .name = "MaxAliasRecursion", .value = "7" },
	{ .arg = "SmartHost=relay.example.com:2525",
	  .rc = 0,
	  .name = "SmartHost",
	  .value = "relay.example.com:2525" },
	{ .arg = "HostName=a=b", .rc = 0, .name = "HostName", .value = "a=b" },
	{ .arg = "SmartHost = relay ", .rc = 0, .name = "SmartHost", .value = "relay" },
	{ .arg = "MaxAliasRecursion = 8", .rc = 0, .name = "MaxAliasRecursion", .value = "8" },
	{ .arg = "MaxAliasRecursion=7", .rc = 0, .name = "MaxAliasRecursion", .value = "7" },
	{ .arg = "SmartHost=", .rc = 0, .name = "SmartHost", .value = "" },
	{ .arg = "AliasFile=relative/aliases", .rc = 0, .name = "AliasFile", .value = "relative/aliases" },
	{ .arg = "=x",
	  .rc = -1,
	  .name = "MaxAliasRecursion",
	  .value = "7",
	  .msg = "-O =x: expected Name=value" },
	{ .arg = "noequals",
	  .rc = -1,
	  .name = "MaxAliasRecursion",
	  .value = "7",
	  .msg = "-O noequals: expected Name=value" },
	{ .arg = "", .rc = -1, .name = "MaxAliasRecursion", .value = "7", .msg = "-O : expected Name=value" },
	{ .arg = "Bogus=1",
	  .rc = -1,
	  .name = "MaxAliasRecursion",
	  .value = "7",
	  .msg = "-O: unknown setting Bogus" },
	{ .arg = "MaxAliasRecursion=x",
	  .rc = -1,
	  .name = "MaxAliasRecursion",
	  .value = "7",
	  .msg = "-O: MaxAliasRecursion: bad value \"x\" (expected a number from 0 to 999999999)" },
	{ .arg = "QueueWarn=2h", .rc = 0, .name = "QueueWarn", .value = "2h" },
	{ .arg = "QueueWarn=soon",
	  .rc = -1,
	  .name = "QueueWarn",
	  .value = "2h",
	  .msg = "-O: QueueWarn: bad value \"soon\" (expected an interval such as 30s, 15m, 4h or 5d)" },
};

/* test_load_directory - a file that cannot be read says why */
static void test_load_directory(void)
{
	struct sm_config *cf = sm_config_new();
	struct sm_buf err = SM_BUF_INIT;

	is_int(sm_config_load(cf, test_dir, &err), -1, "loading a directory fails");
	ok(strstr(sm_buf_str(&err), "Is a directory") != NULL, "  and says \"Is a directory\"");
	sm_buf_free(&err);
	sm_config_free(cf);
}

/* test_override - sm_config_override and sm_config_set */
static void test_override(void)
{
	struct sm_config *cf = sm_config_new();
	struct sm_buf err = SM_BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof(override_cases) / sizeof(override_cases[0]); i++) {
		const struct override_case *c = &override_cases[i];
		char name[128];

		sm_buf_reset(&err);
		snprintf(name, sizeof(name), "-O \"%s\"", c->arg);
		is_int(sm_config_override(cf, c->arg, &err), c->rc, name);
		is_str(sm_config_str(cf, c->name), c->value,
		       c->rc ? "  the value is unchanged" : "  the value is set");
		if (c->msg)
			is_str(sm_buf_str(&err), c->msg, "  message");
		else
			is_int((long)err.len, 0, "  no message");
	}

	sm_buf_reset(&err);
	is_int(sm_config_set(cf, "NoSuchSetting", "1", "test", &err), -1, "sm_config_set of an unknown name");
	is_str(sm_buf_str(&err), "unknown setting NoSuchSetting", "  message");
	sm_buf_reset(&err);
	is_int(sm_config_set(cf, "LogLevel", "12", "test", &err), 0, "sm_config_set of a number");
	is_int(sm_config_int(cf, "LogLevel"), 12, "  sm_config_int reads it");
	is_int(sm_config_set(cf, "LogLevel", "0", "test", &err), 0, "sm_config_set of 0");
	is_int(sm_config_int(cf, "LogLevel"), 0, "  sm_config_int reads 0");
	sm_buf_free(&err);
	sm_config_free(cf);
}

/* print_to_string - sm_config_print into a new string (caller frees) */
static char *print_to_string(const struct sm_config *cf)
{
	char *out = NULL;
	size_t size;
	FILE *fp = open_memstream(&out, &size);

	sm_config_print(cf, fp);
	fclose(fp);
	return out;
}

/* test_print - every setting printed, with the origin of the ones that were set */
static void test_print(void)
{
	struct sm_config *cf = sm_config_new();
	struct sm_buf err = SM_BUF_INIT;
	char path[256], want[512];
	char *out, *p;
	size_t lines = 0, n = 0;

	snprintf(path, sizeof(path), "%s", in_dir("print.conf"));
	write_file(path, "# c\nAliasFile = aliases\n", 0644);
	sm_config_load(cf, path, &err);
	sm_config_override(cf, "MaxAliasRecursion=5", &err);
	out = print_to_string(cf);
	for (p = out; p && *p; p++)
		lines += *p == '\n';
	while (sm_settings[n].name)
		n++;
	is_int((long)lines, (long)n, "sm_config_print: one line per setting");
	ok(out && strstr(out, "AliasFile = ") != NULL, "  contains \"AliasFile = \"");
	snprintf(want, sizeof(want), "\nAliasFile = %s/aliases\t# %s: line 2\n", test_dir, path);
	ok(out && (strstr(out, want) != NULL || strncmp(out, want + 1, strlen(want + 1)) == 0),
	   "  a loaded setting shows FILE: line N as its origin");
	ok(out && strstr(out, "\nMaxAliasRecursion = 5\t# command line\n") != NULL,
	   "  an overridden setting shows # command line");
	ok(out && strstr(out, "\nLogLevel = 9\n") != NULL, "  a default has no origin comment");
	ok(out && strstr(out, "\nSmartHost = \n") != NULL, "  an empty default prints as \"Name = \"");
	free(out);
	unlink(path);
	sm_buf_free(&err);
	sm_config_free(cf);
}

#define MAXELEM 8

/* the elements sm_split_list passed to its callback */
struct elems {
	size_t n;
	char *e[MAXELEM];
};

/* collect_elem - sm_split_list callback: keep a copy */
static void collect_elem(void *ctx, const char *elem)
{
	struct elems *es = ctx;

	if (es->n < MAXELEM)
		es->e[es->n] = sm_strdup(elem);
	es->n++;
}

/* lists and the addresses they hold */
static const struct split_case {
	const char *list;
	size_t n;
	const char *e[MAXELEM];
} split_cases[] = {
	{ .list = "jun", .n = 1, .e = { "jun" } },
	{ .list = "jun, kim,lee", .n = 3, .e = { "jun", "kim", "lee" } },
	{ .list = "  jun  ,\tkim\t", .n = 2, .e = { "jun", "kim" } },
	{ .list = "\"|/bin/echo a, b\"", .n = 1, .e = { "|/bin/echo a, b" } },
	{ .list = "\"|/bin/echo a, b\", jun", .n = 2, .e = { "|/bin/echo a, b", "jun" } },
	{ .list = "\"/var/mail/with space\"", .n = 1, .e = { "/var/mail/with space" } },
	{ .list = "Jun Lee <jun@example.com>", .n = 1, .e = { "jun@example.com" } },
	{ .list = "\"Lee, Jun\" <jun@example.com>, kim", .n = 2, .e = { "jun@example.com", "kim" } },
	{ .list = "jun@example.com (Jun Lee)", .n = 1, .e = { "jun@example.com" } },
	{ .list = "jun@example.com (Lee, Jun), kim", .n = 2, .e = { "jun@example.com", "kim" } },
	{ .list = "(comment) jun", .n = 1, .e = { "jun" } },
	{ .list = "a,,b, ,c,", .n = 3, .e = { "a", "b", "c" } },
	{ .list = ",", .n = 0 },
	{ .list = "", .n = 0 },
	{ .list = "   ", .n = 0 },
	{ .list = "(only a comment)", .n = 0 },
	{ .list = "\\jun, :include:/etc/mail/list, /tmp/file",
	  .n = 3,
	  .e = { "\\jun", ":include:/etc/mail/list", "/tmp/file" } },
	{ .list = "error:5.1.1:550 no such user", .n = 1, .e = { "error:5.1.1:550 no such user" } },
};

/* test_split - sm_split_list on the table above */
static void test_split(void)
{
	size_t i, j;

	for (i = 0; i < sizeof(split_cases) / sizeof(split_cases[0]); i++) {
		const struct split_case *c = &split_cases[i];
		struct elems es = { 0 };
		int same;

		sm_split_list(c->list, collect_elem, &es);
		same = es.n == c->n;
		for (j = 0; same && j < c->n; j++)
			same = strcmp(es.e[j], c->e[j]) == 0;
		if (!ok(same, "split \"%s\" into %zu", c->list, c->n))
			for (j = 0; j < es.n && j < MAXELEM; j++)
				diag("got [%s]", es.e[j]);
		for (j = 0; j < es.n && j < MAXELEM; j++)
			free(es.e[j]);
	}
}

/* intervals: what sm_interval_parse gives */
static const struct interval_case {
	const char *s;
	char unit; /* for a number without a unit */
	long want; /* seconds, or -1 */
} interval_cases[] = {
	{ .s = "90", .unit = 's', .want = 90 },
	{ .s = "90", .unit = 'm', .want = 5400 },
	{ .s = "15m", .unit = 's', .want = 900 },
	{ .s = "30s", .unit = 'm', .want = 30 },
	{ .s = "1h30m", .unit = 's', .want = 5400 },
	{ .s = "1h30", .unit = 'm', .want = 5400 },
	{ .s = "1h30", .unit = 's', .want = 3630 },
	{ .s = "5d", .unit = 's', .want = 432000 },
	{ .s = "1w", .unit = 's', .want = 604800 },
	{ .s = "1w2d3h4m5s", .unit = 's', .want = 604800 + 2 * 86400 + 3 * 3600 + 4 * 60 + 5 },
	{ .s = "0", .unit = 's', .want = 0 },
	{ .s = "0m", .unit = 's', .want = 0 },
	{ .s = "007m", .unit = 's', .want = 420 },
	{ .s = "100000000", .unit = 's', .want = 100000000 },
	{ .s = "3660d", .unit = 's', .want = 3660L * 86400 }, /* the 10-year limit itself */
	{ .s = "3661d", .unit = 's', .want = -1 },
	{ .s = "600w", .unit = 's', .want = -1 },
	{ .s = "", .unit = 's', .want = -1 },
	{ .s = NULL, .unit = 's', .want = -1 },
	{ .s = "m", .unit = 's', .want = -1 },
	{ .s = "5x", .unit = 's', .want = -1 },
	{ .s = "1h-", .unit = 's', .want = -1 },
	{ .s = "-5m", .unit = 's', .want = -1 },
	{ .s = " 5m", .unit = 's', .want = -1 },
	{ .s = "5m ", .unit = 's', .want = -1 },
	{ .s = "5M", .unit = 's', .want = -1 },
	{ .s = "1.5h", .unit = 's', .want = -1 },
	{ .s = "99999999999", .unit = 's', .want = -1 },
	{ .s = "5", .unit = 'x', .want = -1 }, /* a bad default unit */
};

/* test_interval_parse - sm_interval_parse on the table above */
static void test_interval_parse(void)
{
	size_t i;

	for (i = 0; i < sizeof(interval_cases) / sizeof(interval_cases[0]); i++) {
		const struct interval_case *c = &interval_cases[i];
		char name[96];

		snprintf(name, sizeof(name), "sm_interval_parse(\"%s\", '%c')", c->s ? c->s : "(null)",
		         c->unit);
		is_int(sm_interval_parse(c->s, c->unit), c->want, name);
	}
}

/* test_time_settings - SM_SET_TIME: defaults in seconds, values from a file and from sm_config_set */
static void test_time_settings(void)
{
	struct sm_config *cf = sm_config_new();
	struct sm_buf err = SM_BUF_INIT;
	char path[256];
	size_t i, n = 0;

	for (i = 0; sm_settings[i].name; i++) {
		const struct sm_setting_def *d = &sm_settings[i];

		if (d->type != SM_SET_TIME)
			continue;
		n++;
		ok(sm_interval_parse(d->def, 's') >= 0, "%s: its default \"%s\" is an interval", d->name,
		   d->def);
		is_int(sm_config_int(cf, d->name), sm_interval_parse(d->def, 's'),
		       "  sm_config_int gives it in seconds");
	}
	ok(n >= 1, "there are interval settings (%zu)", n);

	snprintf(path, sizeof(path), "%s", in_dir("time.conf"));
	write_file(path, "QueueReturn = 1h30m\nQueueWarn = 0\nQueueInterval = 90\n", 0644);
	if (!is_int(sm_config_load(cf, path, &err), 0, "a file with intervals loads"))
		diag("%s", sm_buf_str(&err));
	is_str(sm_config_str(cf, "QueueReturn"), "1h30m", "  QueueReturn is kept as written");
	is_int(sm_config_int(cf, "QueueReturn"), 5400, "  QueueReturn = 1h30m is 5400 s");
	is_int(sm_config_int(cf, "QueueWarn"), 0, "  QueueWarn = 0 is 0 s");
	is_int(sm_config_int(cf, "QueueInterval"), 90,
	       "  QueueInterval = 90 is 90 s (bare numbers are seconds)");

	sm_buf_reset(&err);
	is_int(sm_config_set(cf, "QueueReturn", "1w", "test", &err), 0, "sm_config_set QueueReturn 1w");
	is_int(sm_config_int(cf, "QueueReturn"), 604800, "  604800 s");
	is_int(sm_config_set(cf, "QueueReturn", "1x", "test", &err), -1,
	       "sm_config_set QueueReturn 1x fails");
	is_str(sm_buf_str(&err),
	       "QueueReturn: bad value \"1x\" (expected an interval such as 30s, 15m, 4h or 5d)",
	       "  message");
	is_int(sm_config_int(cf, "QueueReturn"), 604800, "  the value is unchanged");
	unlink(path);
	sm_buf_free(&err);
	sm_config_free(cf);
}

int main(void)
{
	test_defaults();
	test_split();
	test_interval_parse();
	if (test_dir_make("/tmp/t_config.XXXXXX") < 0) {
		ok(0, "mkdtemp: %s", strerror(errno));
		return done_testing();
	}
	test_load();
	test_load_errors();
	test_load_directory();
	test_override();
	test_print();
	test_time_settings();
	test_dir_remove();
	return done_testing();
}
