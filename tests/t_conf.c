/*
 * tests/t_conf.c - unit tests of the nsswitch.conf parser (nsswitch/conf.h)
 *
 * DESCRIPTION
 *	sm_nsconf_parse_line() on single lines: database and source names,
 *	criteria blocks (case, white space, negation, several criteria, Solaris
 *	TRYAGAIN=forever/N, merge), comments, blank and indented lines, the
 *	missing colon, and every syntax error with its reason. Then
 *	sm_nsconf_parse_string() and sm_nsconf_read() on whole files: a later
 *	line replaces an earlier one, a bad line leaves its database at its
 *	default while the other lines still count, conf->errors, and the
 *	warning logged (captured with sm_log_sink) naming "FILE: line N".
 *	Output is TAP (tests/tap.h).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "nsswitch/conf.h"
#include "tests/tap.h"
#include "tests/testutil.h"

/* action_letters - the actions of an entry as "RCCC" (SUCCESS NOTFOUND UNAVAIL TRYAGAIN) */
static void action_letters(const struct sm_nsentry *e, char out[SM_NSTATUS + 1])
{
	int i;

	for (i = 0; i < SM_NSTATUS; i++)
		out[i] = e->act[i] == SM_RETURN ? 'R' : 'C';
	out[SM_NSTATUS] = '\0';
}

/* lines that parse: the database, its sources and their actions */
static const struct good_case {
	const char *line;
	const char *name;
	size_t count;
	const char *src[SM_NS_MAXSRC];
	const char *act[SM_NS_MAXSRC]; /* "RCCC" per source; NULL: not checked */
} good_cases[] = {
	{ .line = "aliases: files", .name = "aliases", .count = 1, .src = { "files" }, .act = { "RCCC" } },
	{ .line = "hosts: files dns",
	  .name = "hosts",
	  .count = 2,
	  .src = { "files", "dns" },
	  .act = { "RCCC", "RCCC" } },
	{ .line = "aliases: files nis ldap",
	  .name = "aliases",
	  .count = 3,
	  .src = { "files", "nis", "ldap" },
	  .act = { "RCCC", "RCCC", "RCCC" } },
	{ .line = "hosts: dns [NOTFOUND=return] files",
	  .name = "hosts",
	  .count = 2,
	  .src = { "dns", "files" },
	  .act = { "RRCC", "RCCC" } },
	{ .line = "hosts: dns [notfound=RETURN] files",
	  .name = "hosts",
	  .count = 2,
	  .src = { "dns", "files" },
	  .act = { "RRCC", "RCCC" } },
	{ .line = "hosts: dns [NotFound=Return] files",
	  .name = "hosts",
	  .count = 2,
	  .src = { "dns", "files" },
	  .act = { "RRCC", "RCCC" } },
	{ .line = "hosts: dns [  NOTFOUND  =  return  ] files",
	  .name = "hosts",
	  .count = 2,
	  .src = { "dns", "files" },
	  .act = { "RRCC", "RCCC" } },
	{ .line = "hosts: dns [\tUNAVAIL\t=\treturn\t] files",
	  .name = "hosts",
	  .count = 2,
	  .src = { "dns", "files" },
	  .act = { "RCRC", "RCCC" } },
	{ .line = "hosts: dns[TRYAGAIN=return]files",
	  .name = "hosts",
	  .count = 2,
	  .src = { "dns", "files" },
	  .act = { "RCCR", "RCCC" } },
	{ .line = "aliases: ldap [NOTFOUND=return UNAVAIL=return TRYAGAIN=return] files",
	  .name = "aliases",
	  .count = 2,
	  .src = { "ldap", "files" },
	  .act = { "RRRR", "RCCC" } },
	{ .line = "aliases: ldap [NOTFOUND=return TRYAGAIN=return] files [UNAVAIL=return] nis",
	  .name = "aliases",
	  .count = 3,
	  .src = { "ldap", "files", "nis" },
	  .act = { "RRCR", "RCRC", "RCCC" } },
	{ .line = "aliases: nis [NOTFOUND=return NOTFOUND=continue] files",
	  .name = "aliases",
	  .count = 2,
	  .src = { "nis", "files" },
	  .act = { "RCCC", "RCCC" } },
	/* negation sets every other status and leaves the named one alone */
	{ .line = "hosts: dns [!UNAVAIL=return] files",
	  .name = "hosts",
	  .count = 2,
	  .src = { "dns", "files" },
	  .act = { "RRCR", "RCCC" } },
	{ .line = "hosts: dns [!NOTFOUND=return] files",
	  .name = "hosts",
	  .count = 2,
	  .src = { "dns", "files" },
	  .act = { "RCRR", "RCCC" } },
	{ .line = "hosts: dns [!TRYAGAIN=return] files",
	  .name = "hosts",
	  .count = 2,
	  .src = { "dns", "files" },
	  .act = { "RRRC", "RCCC" } },
	{ .line = "hosts: dns [!SUCCESS=return] files",
	  .name = "hosts",
	  .count = 2,
	  .src = { "dns", "files" },
	  .act = { "RRRR", "RCCC" } },
	{ .line = "hosts: dns [!success=CONTINUE] files",
	  .name = "hosts",
	  .count = 2,
	  .src = { "dns", "files" },
	  .act = { "RCCC", "RCCC" } },
	{ .line = "hosts: dns [UNAVAIL=return !UNAVAIL=continue] files",
	  .name = "hosts",
	  .count = 2,
	  .src = { "dns", "files" },
	  .act = { "CCRC", "RCCC" } },
	{ .line = "hosts: dns [NOTFOUND=return ! NOTFOUND = continue] files",
	  .name = "hosts",
	  .count = 2,
	  .src = { "dns", "files" },
	  .act = { "CRCC", "RCCC" } },
	/* comments, white space, no colon */
	{ .line = "aliases: files # the local file", .name = "aliases", .count = 1, .src = { "files" } },
	{ .line = "aliases: files nis#no space before the comment",
	  .name = "aliases",
	  .count = 2,
	  .src = { "files", "nis" } },
	{ .line = "aliases: files [NOTFOUND=return] # [broken=criteria",
	  .name = "aliases",
	  .count = 1,
	  .src = { "files" },
	  .act = { "RRCC" } },
	{ .line = "   aliases: files", .name = "aliases", .count = 1, .src = { "files" } },
	{ .line = "\taliases:\tfiles\tnis\t",
	  .name = "aliases",
	  .count = 2,
	  .src = { "files", "nis" },
	  .act = { "RCCC", "RCCC" } },
	{ .line = "aliases: files nis\r", .name = "aliases", .count = 2, .src = { "files", "nis" } },
	{ .line = "hosts files", .name = "hosts", .count = 1, .src = { "files" } },
	{ .line = "hosts files dns", .name = "hosts", .count = 2, .src = { "files", "dns" } },
	{ .line = "hosts:files", .name = "hosts", .count = 1, .src = { "files" } },
	{ .line = "hosts::  files", .name = "hosts", .count = 1, .src = { "files" } },
	/* names are case-sensitive and kept as written */
	{ .line = "Aliases: Files NIS", .name = "Aliases", .count = 2, .src = { "Files", "NIS" } },
	{ .line = "aliases: test1 test2", .name = "aliases", .count = 2, .src = { "test1", "test2" } },
	/* Solaris TRYAGAIN=forever and TRYAGAIN=N act as continue */
	{ .line = "aliases: nis [TRYAGAIN=forever] files",
	  .name = "aliases",
	  .count = 2,
	  .src = { "nis", "files" },
	  .act = { "RCCC", "RCCC" } },
	{ .line = "aliases: nis [TRYAGAIN=return TRYAGAIN=Forever] files",
	  .name = "aliases",
	  .count = 2,
	  .src = { "nis", "files" },
	  .act = { "RCCC", "RCCC" } },
	{ .line = "aliases: nis [TRYAGAIN=3] files",
	  .name = "aliases",
	  .count = 2,
	  .src = { "nis", "files" },
	  .act = { "RCCC", "RCCC" } },
	{ .line = "aliases: nis [NOTFOUND=return TRYAGAIN=0] files",
	  .name = "aliases",
	  .count = 2,
	  .src = { "nis", "files" },
	  .act = { "RRCC", "RCCC" } },
	/* merge is accepted for group only */
	{ .line = "group: files [SUCCESS=merge] ldap",
	  .name = "group",
	  .count = 2,
	  .src = { "files", "ldap" } },
	/* exactly SM_NS_MAXSRC sources */
	{ .line = "aliases: s1 s2 s3 s4 s5 s6 s7 s8 s9 s10 s11 s12",
	  .name = "aliases",
	  .count = 12,
	  .src = { "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "s12" } },
};

/* lines that are neither database lines nor errors */
static const char *const empty_lines[] = {
	"", "   ", "\t", "# a comment", "   # an indented comment", "#aliases: files", "\r",
};

/* lines that are errors: the reason and the database name read, if any */
static const struct bad_case {
	const char *line;
	const char *name; /* db->name after the error; NULL: none read */
	const char *why;  /* a substring of the reason */
} bad_cases[] = {
	{ .line = "hosts: dns [BOGUS=return] files", .name = "hosts", .why = "unknown status \"BOGUS\"" },
	{ .line = "hosts: dns [NOTFOUND=bounce] files", .name = "hosts", .why = "unknown action \"bounce\"" },
	{ .line = "hosts: dns [NOTFOUND return] files",
	  .name = "hosts",
	  .why = "missing \"=\" after NOTFOUND" },
	{ .line = "hosts: dns [NOTFOUND] files", .name = "hosts", .why = "missing \"=\"" },
	{ .line = "hosts: dns [NOTFOUND=return files", .name = "hosts", .why = "unknown status \"files\"" },
	{ .line = "hosts: dns [NOTFOUND=return", .name = "hosts", .why = "missing \"]\"" },
	{ .line = "hosts: [NOTFOUND=return] dns",
	  .name = "hosts",
	  .why = "criteria before the first source" },
	{ .line = "hosts: dns [NOTFOUND=return] [UNAVAIL=return]", .name = "hosts", .why = "two criteria" },
	{ .line = "hosts: dns [=return] files", .name = "hosts", .why = "unknown status" },
	{ .line = "hosts: dns [!=return] files", .name = "hosts", .why = "unknown status" },
	{ .line = "hosts: dns [NOTFOUND=] files", .name = "hosts", .why = "missing action after NOTFOUND=" },
	{ .line = "hosts: dns [TRYAGAIN=-1] files", .name = "hosts", .why = "unknown action" },
	{ .line = "hosts: dns [TRYAGAIN=3x] files", .name = "hosts", .why = "unknown action" },
	{ .line = "hosts: dns [NOTFOUND=forever] files",
	  .name = "hosts",
	  .why = "action forever is only allowed for TRYAGAIN" },
	{ .line = "hosts: dns [UNAVAIL=3] files", .name = "hosts", .why = "only allowed for TRYAGAIN" },
	{ .line = "hosts: dns [SUCCESS=forever] files", .name = "hosts", .why = "only allowed for TRYAGAIN" },
	{ .line = "hosts: dns [SUCCESS=merge] files", .name = "hosts", .why = "merge is only meaningful" },
	{ .line = "aliases: files [NOTFOUND=MERGE] nis",
	  .name = "aliases",
	  .why = "merge is only meaningful" },
	{ .line = "hosts: dns ] files", .name = "hosts", .why = "unexpected \"]\"" },
	{ .line = "hosts: dns = files", .name = "hosts", .why = "unexpected \"=\"" },
	{ .line = "aliases: s1 s2 s3 s4 s5 s6 s7 s8 s9 s10 s11 s12 s13",
	  .name = "aliases",
	  .why = "more than 12 sources" },
	{ .line = "hosts:", .name = "hosts", .why = "database hosts has no sources" },
	{ .line = "hosts", .name = "hosts", .why = "has no sources" },
	{ .line = "hosts: # nothing but a comment", .name = "hosts", .why = "has no sources" },
	{ .line = ": files", .name = NULL, .why = "expected \"database: source ...\"" },
	{ .line = "[NOTFOUND=return] files", .name = NULL, .why = "expected" },
};

/* check_good - one line that must parse */
static void check_good(const struct good_case *c)
{
	struct sm_buf err = SM_BUF_INIT;
	struct sm_nsdb db;
	size_t i;
	int rc = sm_nsconf_parse_line(c->line, &db, &err);

	if (!is_int(rc, 1, c->line))
		diag("reason: %s", sm_buf_str(&err));
	is_str(db.name, c->name, "  database name");
	is_int((long)db.count, (long)c->count, "  number of sources");
	for (i = 0; i < c->count && i < db.count; i++) {
		char got[SM_NSTATUS + 1];

		if (c->act[i] == NULL)
			continue;
		action_letters(&db.src[i], got);
		is_str(got, c->act[i], "  actions of the source");
	}
	{
		int same = db.count == c->count;

		for (i = 0; same && i < c->count; i++)
			same = strcmp(db.src[i].source, c->src[i]) == 0;
		if (!ok(same, "  sources as written"))
			for (i = 0; i < db.count; i++)
				diag("source %zu: %s", i + 1, db.src[i].source);
	}
	sm_nsdb_clear(&db);
	sm_buf_free(&err);
}

/* check_bad - one line that must fail with a reason */
static void check_bad(const struct bad_case *c)
{
	struct sm_buf err = SM_BUF_INIT;
	struct sm_nsdb db;
	int rc = sm_nsconf_parse_line(c->line, &db, &err);

	is_int(rc, -1, c->line);
	if (!ok(strstr(sm_buf_str(&err), c->why) != NULL, "  reason says %s", c->why))
		diag("got \"%s\"", sm_buf_str(&err));
	is_str(db.name, c->name, "  database name read");
	sm_nsdb_clear(&db);
	sm_buf_free(&err);
}

/* test_line_limit - a line over SM_NS_MAXLINE bytes is refused */
static void test_line_limit(void)
{
	struct sm_buf err = SM_BUF_INIT;
	struct sm_nsdb db;
	char *line = sm_malloc(SM_NS_MAXLINE + 2);
	int rc;

	memset(line, ' ', SM_NS_MAXLINE + 1);
	memcpy(line, "aliases: files", 14);
	line[SM_NS_MAXLINE + 1] = '\0';
	rc = sm_nsconf_parse_line(line, &db, &err);
	is_int(rc, -1, "a line of SM_NS_MAXLINE+1 bytes is an error");
	ok(strstr(sm_buf_str(&err), "line longer than") != NULL, "  reason: line longer than ...");
	sm_nsdb_clear(&db);
	sm_buf_reset(&err);
	line[SM_NS_MAXLINE] = '\0';
	rc = sm_nsconf_parse_line(line, &db, &err);
	is_int(rc, 1, "a line of exactly SM_NS_MAXLINE bytes parses");
	sm_nsdb_clear(&db);
	sm_buf_free(&err);
	free(line);
}

/* test_success_continue - SUCCESS=continue parses but is warned about */
static void test_success_continue(void)
{
	struct sm_buf err = SM_BUF_INIT;
	struct sm_nsdb db;
	int rc;

	log_reset();
	rc = sm_nsconf_parse_line("aliases: files [SUCCESS=continue] nis", &db, &err);
	is_int(rc, 1, "SUCCESS=continue parses");
	ok(logs.count == 1 && strstr(logs.msg[0], "SUCCESS=continue has no effect") != NULL,
	   "  and logs that it has no effect");
	sm_nsdb_clear(&db);
	sm_buf_free(&err);
	log_reset();
}

/* test_parse_string - a whole file in memory */
static void test_parse_string(void)
{
	static const char text[] = "# nsswitch.conf for t_conf\n"             /* 1 */
	                           "\n"                                       /* 2 */
	                           "aliases: files nis\n"                     /* 3 */
	                           "hosts: dns [NOTFOUND=return] files\n"     /* 4 */
	                           "hosts: files\n"                           /* 5: replaces line 4 */
	                           "passwd: files [BOGUS=return] nis\n"       /* 6: bad */
	                           "group files ldap\n"                       /* 7 */
	                           "sendmailvars: files [NOTFOUND=forever]\n" /* 8: bad */
	                           "   networks: dns   # indented\n"          /* 9 */
	                           ": files\n"                                /* 10: bad, no name */
	                           "automount: files nis";                    /* 11: no newline */
	struct sm_nsconf *conf;
	const struct sm_nsdb *db;
	char names[256];
	int i;

	log_reset();
	conf = sm_nsconf_parse_string(text, "test.conf");
	ok(conf != NULL, "sm_nsconf_parse_string returns a configuration");
	is_int((long)conf->errors, 3, "  conf->errors counts the three bad lines");
	is_int((long)conf->count, 5, "  five databases: aliases hosts group networks automount");
	is_str(chain_names(sm_nsconf_find(conf, "aliases"), names, sizeof(names)), "files nis", "  aliases");
	db = sm_nsconf_find(conf, "hosts");
	is_str(chain_names(db, names, sizeof(names)), "files", "  hosts: the later line wins");
	ok(db && db->src[0].act[SM_NOTFOUND] == SM_CONTINUE, "  and none of the earlier criteria survive");
	ok(sm_nsconf_find(conf, "passwd") == NULL, "  passwd (bad line) is absent: it keeps its default");
	ok(sm_nsconf_find(conf, "sendmailvars") == NULL, "  sendmailvars (bad line) is absent");
	is_str(chain_names(sm_nsconf_find(conf, "group"), names, sizeof(names)), "files ldap",
	       "  group (no colon) parses");
	is_str(chain_names(sm_nsconf_find(conf, "networks"), names, sizeof(names)), "dns",
	       "  networks (indented, trailing comment) parses");
	is_str(chain_names(sm_nsconf_find(conf, "automount"), names, sizeof(names)), "files nis",
	       "  the last line without a newline parses");
	ok(sm_nsconf_find(conf, "Aliases") == NULL, "  database names are case-sensitive in lookups");

	is_int((long)logs.count, 3, "  three warnings logged");
	i = log_has("test.conf: line 6: ");
	ok(i >= 0, "  the warning names \"test.conf: line 6\"");
	ok(i >= 0 && strstr(logs.msg[i], "unknown status") != NULL, "  with the reason");
	ok(i >= 0 && strstr(logs.msg[i], "database passwd keeps its default") != NULL,
	   "  and says the database keeps its default");
	ok(i >= 0 && logs.prio[i] == LOG_WARNING, "  at LOG_WARNING");
	i = log_has("test.conf: line 8: ");
	ok(i >= 0 && strstr(logs.msg[i], "sendmailvars") != NULL, "  line 8 is named with its database");
	i = log_has("test.conf: line 10: ");
	ok(i >= 0 && strstr(logs.msg[i], "line ignored") != NULL, "  line 10 (no name) is ignored");
	sm_nsconf_free(conf);
	/* a bad line after a good one for the same database: the database gets its default */
	conf = sm_nsconf_parse_string("aliases: nis\naliases: files [BAD=return]\nhosts: dns\n", "two.conf");
	ok(sm_nsconf_find(conf, "aliases") == NULL, "a bad line drops an earlier good line for its database");
	is_str(chain_names(sm_nsconf_find(conf, "hosts"), names, sizeof(names)), "dns",
	       "  other databases stay");
	sm_nsconf_free(conf);

	log_reset();

	conf = sm_nsconf_parse_string("", "empty.conf");
	ok(conf != NULL && conf->count == 0 && conf->errors == 0,
	   "an empty text gives no databases, no errors");
	sm_nsconf_free(conf);
	conf = sm_nsconf_parse_string("\n\n# only comments\n   \n", "c.conf");
	ok(conf != NULL && conf->count == 0 && conf->errors == 0 && logs.count == 0,
	   "comments and blank lines give no databases and no warnings");
	sm_nsconf_free(conf);
	ok(sm_nsconf_find(NULL, "aliases") == NULL, "sm_nsconf_find on NULL finds nothing");
}

/* test_read - a file on disk, and a missing file */
static void test_read(void)
{
	static const char text[] = "aliases: files\n"
	                           "hosts: dns [UNAVAIL=forever] files\n"
	                           "group: fi\0les\n"
	                           "sendmailvars: nis\n";
	const char *path, *missing;
	struct sm_nsconf *conf;
	char names[128];
	int oserr = 0;
	int i;

	if (test_dir_make("/tmp/t_conf.XXXXXX") < 0) {
		ok(0, "mkdtemp: %s", strerror(errno));
		return;
	}
	path = in_dir("nsswitch.conf");
	missing = in_dir("none.conf");
	write_bytes(path, text, sizeof(text) - 1, 0644);

	log_reset();
	conf = sm_nsconf_read(path, &oserr);
	ok(conf != NULL, "sm_nsconf_read reads a file");
	if (conf) {
		is_int((long)conf->errors, 2, "  two bad lines counted");
		is_str(chain_names(sm_nsconf_find(conf, "aliases"), names, sizeof(names)), "files",
		       "  aliases");
		ok(sm_nsconf_find(conf, "hosts") == NULL, "  hosts (bad line) is absent");
		ok(sm_nsconf_find(conf, "group") == NULL, "  group (NUL byte) is absent");
		is_str(chain_names(sm_nsconf_find(conf, "sendmailvars"), names, sizeof(names)), "nis",
		       "  a line after the bad ones still parses");
		{
			char want[96];

			snprintf(want, sizeof(want), "%s: line 2: ", path);
			i = log_has(want);
			ok(i >= 0 && strstr(logs.msg[i], "database hosts keeps its default") != NULL,
			   "  warning names FILE: line 2 and the database");
			snprintf(want, sizeof(want), "%s: line 3: NUL byte in line", path);
			ok(log_has(want) >= 0, "  warning names FILE: line 3: NUL byte in line");
		}
	}
	sm_nsconf_free(conf);
	log_reset();

	oserr = 0;
	conf = sm_nsconf_read(missing, &oserr);
	ok(conf == NULL, "sm_nsconf_read of a missing file returns NULL");
	is_int(oserr, ENOENT, "  with *oserr ENOENT");
	sm_nsconf_free(conf);

	oserr = 0;
	conf = sm_nsconf_read(test_dir, &oserr);
	ok(conf == NULL, "sm_nsconf_read of a directory returns NULL");
	is_int(oserr, EISDIR, "  with *oserr EISDIR");
	sm_nsconf_free(conf);

	test_dir_remove();
}

int main(void)
{
	size_t i;

	sm_log_sink(log_capture, NULL);
	for (i = 0; i < sizeof(good_cases) / sizeof(good_cases[0]); i++)
		check_good(&good_cases[i]);
	for (i = 0; i < sizeof(empty_lines) / sizeof(empty_lines[0]); i++) {
		struct sm_buf err = SM_BUF_INIT;
		struct sm_nsdb db;
		int rc = sm_nsconf_parse_line(empty_lines[i], &db, &err);

		ok(rc == 0 && db.name == NULL && db.count == 0 && err.len == 0,
		   "blank or comment line %zu returns 0 and no database", i + 1);
		sm_nsdb_clear(&db);
		sm_buf_free(&err);
	}
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++)
		check_bad(&bad_cases[i]);
	test_line_limit();
	test_success_continue();
	test_parse_string();
	test_read();
	sm_log_sink(NULL, NULL);
	log_reset();
	return done_testing();
}
