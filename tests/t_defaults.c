/*
 * tests/t_defaults.c - TAP tests of /etc/default/switchmail handling (server/defaults.c)
 *
 * SYNOPSIS
 *	tests/t_defaults
 *
 * DESCRIPTION
 *	sm_queueinterval_valid() against the Solaris regex; sm_defaults_read()
 *	of files written into a mkdtemp() directory: QUEUEINTERVAL validation
 *	(and when it is skipped), QUEUEOPTION / QUEUEOPTIONS, MODE, OPTIONS
 *	with quotes, comments, export, unknown variables, CRLF, a missing
 *	file, a directory, an unreadable file, and every refused construct
 *	($(...), backquotes, $VAR, operators, commands, unterminated quotes,
 *	continuation lines, NUL) with "FILE: line N: ..."; the argv that
 *	sm_defaults_argv() builds for each good file.
 *
 * DIAGNOSTICS
 *	TAP on stdout; exit status non-zero if a test failed.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/defaults.h"
#include "tests/testutil.h"

/* the regex, case by case */
static const struct valid_case {
	const char *s;
	int valid;
} valid_cases[] = {
	{ .s = "15m", .valid = 1 },        { .s = "1h30m", .valid = 1 }, { .s = "10s", .valid = 1 },
	{ .s = "100w", .valid = 1 },       { .s = "2d", .valid = 1 },    { .s = "01m", .valid = 1 },
	{ .s = "1s1m1h1d1w", .valid = 1 }, { .s = "0m", .valid = 0 },    { .s = "00m", .valid = 0 },
	{ .s = "1h0m", .valid = 0 },       { .s = "-5m", .valid = 0 },   { .s = "15", .valid = 0 },
	{ .s = "", .valid = 0 },           { .s = NULL, .valid = 0 },    { .s = "1x", .valid = 0 },
	{ .s = "m", .valid = 0 },          { .s = "1M", .valid = 0 },    { .s = "1m ", .valid = 0 },
	{ .s = " 1m", .valid = 0 },        { .s = "1m2", .valid = 0 },   { .s = "1.5h", .valid = 0 },
};

/* test_valid - sm_queueinterval_valid */
static void test_valid(void)
{
	size_t i;

	for (i = 0; i < sizeof(valid_cases) / sizeof(valid_cases[0]); i++)
		is_int(sm_queueinterval_valid(valid_cases[i].s), valid_cases[i].valid,
		       valid_cases[i].s ? valid_cases[i].s : "(null)");
}

/* a file and what it gives */
static const struct file_case {
	const char *name;
	const char *text; /* NULL: no file */
	const char *mode;
	const char *interval;
	const char *option;
	long interval_s;
	const char *options; /* the words joined by '|' */
	const char *argv;    /* sm_defaults_argv(d, "switchmail") joined by '|' */
} file_cases[] = {
	{ .name = "missing file: all defaults",
	  .text = NULL,
	  .mode = "-bd",
	  .interval = "15m",
	  .option = "",
	  .interval_s = 900,
	  .options = "",
	  .argv = "switchmail|-bd|-q15m" },
	{ .name = "empty file: all defaults",
	  .text = "",
	  .mode = "-bd",
	  .interval = "15m",
	  .option = "",
	  .interval_s = 900,
	  .options = "",
	  .argv = "switchmail|-bd|-q15m" },
	{ .name = "Solaris' shipped file (comments only)",
	  .text = "#\n# Copyright (c) 2001 by Sun Microsystems, Inc.\n#\n"
	          "#MODE=\"-bd\"\n#QUEUEINTERVAL=\"15m\"\n#QUEUEOPTION=\"p\"\n#OPTIONS=\"\"\n",
	  .mode = "-bd",
	  .interval = "15m",
	  .option = "",
	  .interval_s = 900,
	  .options = "",
	  .argv = "switchmail|-bd|-q15m" },
	{ .name = "QUEUEINTERVAL=15m",
	  .text = "QUEUEINTERVAL=15m\n",
	  .interval = "15m",
	  .interval_s = 900,
	  .argv = "switchmail|-bd|-q15m" },
	{ .name = "QUEUEINTERVAL=1h30m",
	  .text = "QUEUEINTERVAL=1h30m\n",
	  .interval = "1h30m",
	  .interval_s = 5400,
	  .argv = "switchmail|-bd|-q1h30m" },
	{ .name = "QUEUEINTERVAL=10s",
	  .text = "QUEUEINTERVAL=10s\n",
	  .interval = "10s",
	  .interval_s = 10,
	  .argv = "switchmail|-bd|-q10s" },
	{ .name = "QUEUEINTERVAL=\"2d\" (quoted)",
	  .text = "QUEUEINTERVAL=\"2d\"\n",
	  .interval = "2d",
	  .interval_s = 172800 },
	{ .name = "QUEUEINTERVAL=0m -> 15m",
	  .text = "QUEUEINTERVAL=0m\n",
	  .interval = "15m",
	  .interval_s = 900 },
	{ .name = "QUEUEINTERVAL=-5m -> 15m",
	  .text = "QUEUEINTERVAL=-5m\n",
	  .interval = "15m",
	  .interval_s = 900 },
	{ .name = "QUEUEINTERVAL=15 -> 15m",
	  .text = "QUEUEINTERVAL=15\n",
	  .interval = "15m",
	  .interval_s = 900 },
	{ .name = "QUEUEINTERVAL= -> 15m", .text = "QUEUEINTERVAL=\n", .interval = "15m", .interval_s = 900 },
	{ .name = "QUEUEINTERVAL=\"\" -> 15m",
	  .text = "QUEUEINTERVAL=\"\"\n",
	  .interval = "15m",
	  .interval_s = 900 },
	{ .name = "QUEUEINTERVAL=1x -> 15m",
	  .text = "QUEUEINTERVAL=1x\n",
	  .interval = "15m",
	  .interval_s = 900 },
	{ .name = "QUEUEINTERVAL=1h0m -> 15m",
	  .text = "QUEUEINTERVAL=1h0m\n",
	  .interval = "15m",
	  .interval_s = 900 },
	{ .name = "QUEUEINTERVAL too large for sm_interval_parse -> 15m",
	  .text = "QUEUEINTERVAL=99999999999m\n",
	  .interval = "15m",
	  .interval_s = 900 },
	{ .name = "a later assignment wins",
	  .text = "QUEUEINTERVAL=1h\nQUEUEINTERVAL=2h\n",
	  .interval = "2h",
	  .interval_s = 7200 },

	/* QUEUEOPTION / QUEUEOPTIONS */
	{ .name = "QUEUEOPTION=p without QUEUEINTERVAL: -qp",
	  .text = "QUEUEOPTION=p\n",
	  .interval = "",
	  .option = "p",
	  .interval_s = 0,
	  .argv = "switchmail|-bd|-qp" },
	{ .name = "QUEUEOPTION=p with QUEUEINTERVAL=1h",
	  .text = "QUEUEOPTION=p\nQUEUEINTERVAL=1h\n",
	  .interval = "1h",
	  .option = "p",
	  .interval_s = 3600,
	  .argv = "switchmail|-bd|-qp1h" },
	{ .name = "QUEUEOPTION=p with a bad QUEUEINTERVAL: validated",
	  .text = "QUEUEOPTION=p\nQUEUEINTERVAL=5\n",
	  .interval = "15m",
	  .option = "p",
	  .argv = "switchmail|-bd|-qp15m" },
	{ .name = "QUEUEOPTIONS=p (the man page's name)",
	  .text = "QUEUEOPTIONS=p\n",
	  .interval = "",
	  .option = "p",
	  .argv = "switchmail|-bd|-qp" },
	{ .name = "both: QUEUEOPTION=p wins over QUEUEOPTIONS=x",
	  .text = "QUEUEOPTIONS=x\nQUEUEOPTION=p\n",
	  .option = "p",
	  .interval = "" },
	{ .name = "both: QUEUEOPTION=x wins over QUEUEOPTIONS=p, then is cleared",
	  .text = "QUEUEOPTION=x\nQUEUEOPTIONS=p\n",
	  .option = "",
	  .interval = "15m",
	  .argv = "switchmail|-bd|-q15m" },
	{ .name = "both: an empty QUEUEOPTION wins too",
	  .text = "QUEUEOPTION=\nQUEUEOPTIONS=p\n",
	  .option = "",
	  .interval = "15m" },
	{ .name = "QUEUEOPTION=P (other value) is cleared",
	  .text = "QUEUEOPTION=P\nQUEUEINTERVAL=1h\n",
	  .option = "",
	  .interval = "1h",
	  .argv = "switchmail|-bd|-q1h" },

	/* MODE */
	{ .name = "MODE= (no daemon)", .text = "MODE=\n", .mode = "", .argv = "switchmail|-q15m" },
	{ .name = "MODE=\"\" (no daemon)", .text = "MODE=\"\"\n", .mode = "", .argv = "switchmail|-q15m" },
	{ .name = "MODE with two words",
	  .text = "MODE=\"-bd  -v\"\n",
	  .mode = "-bd  -v",
	  .argv = "switchmail|-bd|-v|-q15m" },
	{ .name = "MODE passed through unchecked, $ literal in single quotes",
	  .text = "MODE='$(id)'\n",
	  .mode = "$(id)",
	  .argv = "switchmail|$(id)|-q15m" },
	{ .name = "MODE=-b\\D (backslash outside quotes)", .text = "MODE=-b\\D\n", .mode = "-bD" },

	/* OPTIONS */
	{ .name = "OPTIONS split at blanks, quotes respected",
	  .text = "OPTIONS=\"-O LogLevel=9  -C '/etc/mail/my file.cf' -X \\\"a b\\\"\"\n",
	  .options = "-O|LogLevel=9|-C|/etc/mail/my file.cf|-X|a b",
	  .argv = "switchmail|-bd|-q15m|-O|LogLevel=9|-C|/etc/mail/my file.cf|-X|a b" },
	{ .name = "OPTIONS: $ and operators are plain in single quotes",
	  .text = "OPTIONS='-v $HOME a;b'\n",
	  .options = "-v|$HOME|a;b" },
	{ .name = "OPTIONS empty", .text = "OPTIONS=\n", .options = "", .argv = "switchmail|-bd|-q15m" },

	/* syntax */
	{ .name = "comments, blank lines, export, trailing comment, several assignments",
	  .text = "# comment\n   # indented comment\n\n\t\nexport MODE=-bd\nexport QUEUEINTERVAL\n"
	          "export QUEUEINTERVAL=30m OPTIONS=-v # trailing comment\nQUEUEOPTION=p QUEUEINTERVAL=1h\n",
	  .mode = "-bd",
	  .interval = "1h",
	  .option = "p",
	  .interval_s = 3600,
	  .options = "-v",
	  .argv = "switchmail|-bd|-qp1h|-v" },
	{ .name = "a '#' inside a word is no comment", .text = "OPTIONS=a#b\n", .options = "a#b" },
	{ .name = "unknown variables are ignored",
	  .text =
	      "CLIENTQUEUEINTERVAL=15m\nCLIENTOPTIONS=-v\nETRN_HOSTS=\"s1:c1.1,c1.2 s2\"\nFOO=bar\nmode=x\n",
	  .mode = "-bd",
	  .interval = "15m",
	  .option = "",
	  .options = "",
	  .argv = "switchmail|-bd|-q15m" },
	{ .name = "CRLF line ends",
	  .text = "MODE=-bd\r\nQUEUEINTERVAL=1h\r\n",
	  .mode = "-bd",
	  .interval = "1h",
	  .interval_s = 3600 },
};

/* join - the n strings of v joined by '|' into b (n may be 0 with v NULL) */
static const char *join(char *const *v, size_t n, struct sm_buf *b)
{
	size_t i;

	sm_buf_reset(b);
	for (i = 0; i < n; i++)
		sm_buf_printf(b, "%s%s", i ? "|" : "", v[i]);
	return sm_buf_str(b);
}

/* test_files - the table above */
static void test_files(void)
{
	struct sm_buf err = SM_BUF_INIT, b = SM_BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof(file_cases) / sizeof(file_cases[0]); i++) {
		const struct file_case *c = &file_cases[i];
		struct sm_defaults d;
		const char *path = in_dir(c->text ? "switchmail" : "no-such-file");
		int rc;

		if (c->text)
			write_file(path, c->text, 0644);
		sm_buf_reset(&err);
		rc = sm_defaults_read(path, &d, &err);
		if (!is_int(rc, 0, c->name))
			diag("%s", sm_buf_str(&err));
		is_int((long)err.len, 0, "  no message");
		is_str(d.mode, c->mode ? c->mode : "-bd", "  MODE");
		if (c->interval)
			is_str(d.queueinterval, c->interval, "  QUEUEINTERVAL");
		is_str(d.queueoption, c->option ? c->option : "", "  QUEUEOPTION");
		if (c->interval_s || (c->interval && *c->interval == '\0'))
			is_int(d.interval_s, c->interval_s, "  interval in seconds");
		if (c->options) {
			is_str(join(d.options, d.noptions, &b), c->options, "  OPTIONS words");
			ok((d.noptions == 0) == (d.options == NULL), "  options is NULL exactly when empty");
		}
		if (c->argv) {
			size_t argc = 99;
			char **argv = sm_defaults_argv(&d, "switchmail", &argc);

			is_str(join(argv, argc, &b), c->argv, "  argv");
			ok(argv[argc] == NULL, "  argv ends with NULL");
			sm_defaults_argv_free(argv);
		}
		sm_defaults_free(&d);
		sm_defaults_free(&d);
		if (c->text)
			unlink(path);
	}
	sm_buf_free(&err);
	sm_buf_free(&b);
}

/* files that are refused: the message after "FILE: " */
static const struct bad_case {
	const char *name;
	const char *text;
	size_t len; /* 0: strlen(text) */
	const char *msg;
} bad_cases[] = {
	{ .name = "$(...) refused",
	  .text = "MODE=$(rm -rf /)\n",
	  .msg = "line 1: command substitution $(...) or `...` is not allowed" },
	{ .name = "backquotes refused",
	  .text = "# c\nMODE=`id`\n",
	  .msg = "line 2: command substitution $(...) or `...` is not allowed" },
	{ .name = "$(...) inside double quotes refused",
	  .text = "\n\nOPTIONS=\"-v $(id)\"\n",
	  .msg = "line 3: command substitution $(...) or `...` is not allowed" },
	{ .name = "backquotes inside double quotes refused",
	  .text = "QUEUEINTERVAL=\"`date`\"\n",
	  .msg = "line 1: command substitution $(...) or `...` is not allowed" },
	{ .name = "in an unknown variable too",
	  .text = "CLIENTOPTIONS=`touch /tmp/x`\n",
	  .msg = "line 1: command substitution $(...) or `...` is not allowed" },
	{ .name = "$VAR refused",
	  .text = "MODE=$HOME\n",
	  .msg = "line 1: variable expansion ($) is not supported" },
	{ .name = "${VAR} in double quotes refused",
	  .text = "MODE=\"${X}\"\n",
	  .msg = "line 1: variable expansion ($) is not supported" },
	{ .name = "an operator",
	  .text = "MODE=-bd; rm x\n",
	  .msg = "line 1: shell operators (; & | < > ( )) are not supported" },
	{ .name = "a redirection",
	  .text = "MODE=-bd>/tmp/x\n",
	  .msg = "line 1: shell operators (; & | < > ( )) are not supported" },
	{ .name = "a command",
	  .text = "MODE=-bd\nrm -rf /\n",
	  .msg = "line 2: expected NAME=value (a command would be run by the shell)" },
	{ .name = "a command after an assignment",
	  .text = "MODE=-bd rm\n",
	  .msg = "line 1: expected NAME=value (a command would be run by the shell)" },
	{ .name = "blanks around '='",
	  .text = "MODE = -bd\n",
	  .msg = "line 1: expected NAME=value (a command would be run by the shell)" },
	{ .name = "a name that is not one",
	  .text = "1MODE=-bd\n",
	  .msg = "line 1: expected NAME=value (a command would be run by the shell)" },
	{ .name = "unterminated single quote",
	  .text = "MODE='-bd\n'\n",
	  .msg = "line 1: unterminated single quote" },
	{ .name = "unterminated double quote",
	  .text = "MODE=\"-bd\n",
	  .msg = "line 1: unterminated double quote" },
	{ .name = "continuation line",
	  .text = "OPTIONS=-v \\\n-x\n",
	  .msg = "line 1: a backslash at the end of a line (continuation lines are not supported)" },
	{ .name = "OPTIONS with an unbalanced quote inside",
	  .text = "# c\nOPTIONS=\"-O 'A=b\"\n",
	  .msg = "line 2: OPTIONS: unterminated single quote" },
	{ .name = "NUL byte", .text = "MODE=-b\0d\n", .len = 10, .msg = "line 1: NUL byte in line" },
};

/* test_bad - every refused file: -1, FILE: line N: ..., d empty */
static void test_bad(void)
{
	struct sm_buf err = SM_BUF_INIT;
	char path[512], want[1024];
	size_t i;

	snprintf(path, sizeof(path), "%s", in_dir("bad"));
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct sm_defaults d;

		write_bytes(path, c->text, c->len ? c->len : strlen(c->text), 0644);
		sm_buf_reset(&err);
		is_int(sm_defaults_read(path, &d, &err), -1, c->name);
		snprintf(want, sizeof(want), "%s: %s", path, c->msg);
		is_str(sm_buf_str(&err), want, "  message FILE: line N: ...");
		ok(d.mode == NULL && d.queueinterval == NULL && d.queueoption == NULL && d.options == NULL,
		   "  nothing returned");
		sm_defaults_free(&d);
	}

	/* err may be NULL */
	{
		struct sm_defaults d;

		write_file(path, "MODE=`id`\n", 0644);
		is_int(sm_defaults_read(path, &d, NULL), -1, "a refused file with err NULL");
	}
	unlink(path);

	/* a directory cannot be read */
	{
		struct sm_defaults d;

		sm_buf_reset(&err);
		is_int(sm_defaults_read(test_dir, &d, &err), -1, "a directory is an error");
		snprintf(want, sizeof(want), "%s: %s", test_dir, strerror(EISDIR));
		is_str(sm_buf_str(&err), want, "  message FILE: Is a directory");
	}

	/* an unreadable file (not testable as root) */
	if (geteuid() != 0) {
		struct sm_defaults d;

		write_file(path, "MODE=-bd\n", 0000);
		sm_buf_reset(&err);
		is_int(sm_defaults_read(path, &d, &err), -1, "an unreadable file is an error");
		snprintf(want, sizeof(want), "%s: %s", path, strerror(EACCES));
		is_str(sm_buf_str(&err), want, "  message FILE: Permission denied");
		unlink(path);
	} else {
		ok(1, "# SKIP unreadable file: running as root");
	}
	sm_buf_free(&err);
}

/* test_argv - argv of a hand-made struct, argc NULL allowed */
static void test_argv(void)
{
	char *opts[] = { "-O", "A=b c" };
	struct sm_defaults d = {
		.mode = "", .queueinterval = "", .queueoption = "p", .options = opts, .noptions = 2
	};
	struct sm_buf b = SM_BUF_INIT;
	size_t argc;
	char **argv = sm_defaults_argv(&d, "/usr/lib/sendmail", &argc);

	is_int((long)argc, 4, "argv of MODE= QUEUEOPTION=p and two options: 4 words");
	is_str(join(argv, argc, &b), "/usr/lib/sendmail|-qp|-O|A=b c", "  the words");
	sm_defaults_argv_free(argv);
	argv = sm_defaults_argv(&d, "x", NULL);
	ok(argv != NULL && argv[0] != NULL && argv[4] == NULL, "argc may be NULL");
	sm_defaults_argv_free(argv);
	sm_defaults_argv_free(NULL);
	sm_defaults_free(NULL);
	sm_buf_free(&b);
}

int main(void)
{
	test_valid();
	if (test_dir_make("/tmp/t_defaults.XXXXXX") < 0) {
		ok(0, "mkdtemp: %s", strerror(errno));
		return done_testing();
	}
	test_files();
	test_bad();
	test_argv();
	test_dir_remove();
	return done_testing();
}
