/*
 * tests/t_smrsh.c - unit tests for server/smrsh.c: the smrsh rules and the program runner
 *
 * SYNOPSIS
 *	tests/t_smrsh	(TAP on stdout; run by "make check")
 *
 * DESCRIPTION
 *	Creates a temporary program directory holding small shell scripts, a
 *	non-executable file, a directory and symlinks, then checks table-driven
 *	commands against it (allowed ones with their rewritten text, refused
 *	ones with smrsh's message, every special byte and its 8-bit variant),
 *	and runs scripts through sm_smrsh_run(): exit 0, 75, 1, a signal, a
 *	timeout, standard input, the environment, the working directory,
 *	closed descriptors and, when run as root, the change of uid.
 *
 * CONFIGURATION
 *	None; everything lives under a mkdtemp() directory in /tmp.
 *
 * DIAGNOSTICS
 *	Exit status 0 when every test point passes; failures are shown as
 *	"not ok" with the got/want values.
 */
#include "config.h"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "server/smrsh.h"
#include "tests/testutil.h"

#define B "{B}" /* stands for the test's program directory in wanted texts */

/* one command for sm_smrsh_check() */
struct check_case {
	const char *cmd;
	unsigned flags;
	enum sm_smrsh_status want;
	const char *out; /* B replaced by the program directory */
};

static const struct check_case check_cases[] = {
	{ .cmd = "vacation", .want = SM_SMRSH_OK, .out = B "/vacation" },
	{ .cmd = "/usr/bin/vacation -t 1w eric", .want = SM_SMRSH_OK, .out = B "/vacation -t 1w eric" },
	{ .cmd = "  vacation\teric", .want = SM_SMRSH_OK, .out = "  " B "/vacation\teric" },
	{ .cmd = "vacation 'a b' \"c\"", .want = SM_SMRSH_OK, .out = B "/vacation 'a b' \"c\"" },
	{ .cmd = "vac\xAFvacation", .want = SM_SMRSH_OK, .out = B "/vacation" },
	{ .cmd = "link", .want = SM_SMRSH_OK, .out = B "/link" },
	{ .cmd = "dangle",
	  .want = SM_SMRSH_PERMFAIL,
	  .out = "smrsh: \"dangle\" not available for sendmail programs (stat failed)" },
	{ .cmd = "/usr/bin/missing x",
	  .want = SM_SMRSH_PERMFAIL,
	  .out = "smrsh: \"missing\" not available for sendmail programs (stat failed)" },
	{ .cmd = "adir",
	  .want = SM_SMRSH_PERMFAIL,
	  .out = "smrsh: \"adir\" not available for sendmail programs (not a file)" },
	{ .cmd = "notexec",
	  .want = SM_SMRSH_PERMFAIL,
	  .out = "smrsh: \"notexec\" not available for sendmail programs" },
	{ .cmd = "/usr/bin/",
	  .want = SM_SMRSH_PERMFAIL,
	  .out = "smrsh: \"\" not available for sendmail programs (not a file)" },
	{ .cmd = "exec /usr/lib/vacation eric", .want = SM_SMRSH_OK, .out = "exec " B "/vacation eric" },
	{ .cmd = "exec exec procmail", .want = SM_SMRSH_OK, .out = "exec exec " B "/procmail" },
	{ .cmd = "exec", .want = SM_SMRSH_PERMFAIL, .out = "smrsh: missing command to exec" },
	{ .cmd = "exec  ", .want = SM_SMRSH_PERMFAIL, .out = "smrsh: missing command to exec" },
	{ .cmd = "exec && vacation", .want = SM_SMRSH_PERMFAIL, .out = "smrsh: missing command to exec" },
	{ .cmd = "exec missing",
	  .want = SM_SMRSH_PERMFAIL,
	  .out = "smrsh: \"missing\" not available for sendmail programs (stat failed)" },
	{ .cmd = "exit 0", .want = SM_SMRSH_OK, .out = "exit 0" },
	{ .cmd = "echo hello world", .want = SM_SMRSH_OK, .out = "echo hello world" },
	{ .cmd = "/bin/echo hi",
	  .want = SM_SMRSH_PERMFAIL,
	  .out = "smrsh: \"echo\" not available for sendmail programs (stat failed)" },
	{ .cmd = "vacation eric && procmail",
	  .want = SM_SMRSH_OK,
	  .out = B "/vacation eric && " B "/procmail" },
	{ .cmd = "vacation || /x/y/procmail -a",
	  .want = SM_SMRSH_OK,
	  .out = B "/vacation || " B "/procmail -a" },
	{ .cmd = "vacation&&procmail||exit 75",
	  .want = SM_SMRSH_OK,
	  .out = B "/vacation&&" B "/procmail||exit 75" },
	{ .cmd = "vacation && missing",
	  .want = SM_SMRSH_PERMFAIL,
	  .out = "smrsh: \"missing\" not available for sendmail programs (stat failed)" },
	{ .cmd = "vacation &&", .want = SM_SMRSH_PERMFAIL, .out = "smrsh: missing command after &&" },
	{ .cmd = "vacation ||  ", .want = SM_SMRSH_PERMFAIL, .out = "smrsh: missing command after ||" },
	{ .cmd = "&& vacation", .want = SM_SMRSH_PERMFAIL, .out = "smrsh: cannot use & in command" },
	{ .cmd = "vacation &&& procmail",
	  .want = SM_SMRSH_PERMFAIL,
	  .out = "smrsh: cannot use & in command" },
	{ .cmd = "vacation ; procmail", .want = SM_SMRSH_PERMFAIL, .out = "smrsh: cannot use ; in command" },
	{ .cmd = "vacation ; procmail",
	  .flags = SM_SMRSH_ALLOWSEMI,
	  .want = SM_SMRSH_OK,
	  .out = B "/vacation ; " B "/procmail" },
	{ .cmd = "vacation;",
	  .flags = SM_SMRSH_ALLOWSEMI,
	  .want = SM_SMRSH_PERMFAIL,
	  .out = "smrsh: missing command after ;" },
	{ .cmd = "vacation ; rm -rf /",
	  .flags = SM_SMRSH_ALLOWSEMI,
	  .want = SM_SMRSH_PERMFAIL,
	  .out = "smrsh: \"rm\" not available for sendmail programs (stat failed)" },
	{ .cmd = "vacation$IFS", .want = SM_SMRSH_PERMFAIL, .out = "smrsh: cannot use $ in command" },
	{ .cmd = "`id`", .want = SM_SMRSH_PERMFAIL, .out = "smrsh: cannot use ` in command" },
	{ .cmd = "", .want = SM_SMRSH_PERMFAIL, .out = "smrsh: empty command" },
	{ .cmd = " \t ", .want = SM_SMRSH_PERMFAIL, .out = "smrsh: empty command" },
};

/* the special bytes, each refused in an argument (and its 8-bit variant too) */
static const char specials[] = "<|>^();&`$\r\n";

/* expand - want with every B replaced by dir; caller frees */
static char *expand(const char *want, const char *dir)
{
	struct sm_buf b = SM_BUF_INIT;
	const char *p;

	while ((p = strstr(want, B)) != NULL) {
		sm_buf_add(&b, want, (size_t)(p - want));
		sm_buf_adds(&b, dir);
		want = p + strlen(B);
	}
	sm_buf_adds(&b, want);
	return sm_buf_steal(&b);
}

/* make_bindir - the scripts, files and links of the program directory */
static int make_bindir(const char *bin)
{
	static const struct {
		const char *name, *text;
		mode_t mode;
	} files[] = {
		{ "vacation", "#!/bin/sh\nexit 0\n", 0755 },
		{ "procmail", "#!/bin/sh\nexit 0\n", 0755 },
		{ "notexec", "#!/bin/sh\nexit 0\n", 0644 },
		{ "ok", "#!/bin/sh\necho delivered\nexit 0\n", 0755 },
		{ "tempfail", "#!/bin/sh\necho 'mailbox busy' >&2\nexit 75\n", 0755 },
		{ "fail", "#!/bin/sh\necho 'no such user here' >&2\necho second line\nexit 1\n", 0755 },
		{ "quiet", "#!/bin/sh\nexit 3\n", 0755 },
		{ "long", "#!/bin/sh\nprintf '%0300d\\n' 0\nexit 1\n", 0755 },
		{ "catin", "#!/bin/sh\ncat > \"$1\"\n", 0755 },
		{ "slow", "#!/bin/sh\nsleep 5\n", 0755 },
		{ "sig", "#!/bin/sh\nkill -9 $$\n", 0755 },
		{ "printenv", "#!/bin/sh\nenv > \"$1\"\n", 0755 },
		{ "pwd", "#!/bin/sh\npwd\n", 0755 },
		{ "fdcheck", "#!/bin/sh\nif [ -e /proc/$$/fd/$1 ]; then echo open; exit 1; fi\n", 0755 },
		{ "uid", "#!/bin/sh\nid -u\n", 0755 },
	};
	char path[PATH_MAX];
	size_t i;

	if (mkdir(bin, 0755) < 0)
		return -1;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", bin, files[i].name);
		if (write_file(path, files[i].text, files[i].mode) < 0)
			return -1;
	}
	snprintf(path, sizeof(path), "%s/adir", bin);
	if (mkdir(path, 0755) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/link", bin);
	if (symlink("vacation", path) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/dangle", bin);
	return symlink("nowhere", path);
}

/* test_check_table - the table of commands */
static void test_check_table(const char *bin)
{
	struct sm_buf out = SM_BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof(check_cases) / sizeof(check_cases[0]); i++) {
		const struct check_case *c = &check_cases[i];
		enum sm_smrsh_status st = sm_smrsh_check(c->cmd, strlen(c->cmd), bin, c->flags, &out);
		char *want = expand(c->out, bin);
		char name[160];

		snprintf(name, sizeof(name), "check \"%.60s\": text", c->cmd);
		if (st == c->want && str_same(sm_buf_str(&out), want))
			ok(1, "%s and status", name);
		else {
			is_int(st, c->want, "status");
			is_str(sm_buf_str(&out), want, name);
		}
		free(want);
	}
	sm_buf_free(&out);
}

/* test_specials - every special byte and its 8-bit variant, in an argument */
static void test_specials(const char *bin)
{
	struct sm_buf out = SM_BUF_INIT, want = SM_BUF_INIT;
	enum sm_smrsh_status st;
	char cmd[32];
	unsigned char c;
	size_t i;
	int hi;

	for (hi = 0; hi < 2; hi++) {
		for (i = 0; specials[i] != '\0'; i++) {
			c = (unsigned char)(specials[i] | (hi ? 0x80 : 0));
			snprintf(cmd, sizeof(cmd), "vacation a%cb", c);
			st = sm_smrsh_check(cmd, strlen(cmd), bin, 0, &out);
			sm_buf_reset(&want);
			if (c == '\r')
				sm_buf_adds(&want, "smrsh: cannot use \\r in command");
			else if (c == '\n')
				sm_buf_adds(&want, "smrsh: cannot use \\n in command");
			else if (hi)
				sm_buf_printf(&want, "smrsh: cannot use \\x%02X in command", c);
			else
				sm_buf_printf(&want, "smrsh: cannot use %c in command", c);
			ok(st == SM_SMRSH_PERMFAIL && str_same(sm_buf_str(&out), sm_buf_str(&want)),
			   "special byte 0x%02X refused: %s", c, sm_buf_str(&out));
		}
	}
	/* the 8-bit variants are refused even where the 7-bit byte joins commands */
	st = sm_smrsh_check("vacation \xA6\xA6 procmail", 20, bin, 0, &out);
	is_str(sm_buf_str(&out), "smrsh: cannot use \\xA6 in command", "8-bit && refused");
	is_int(st, SM_SMRSH_PERMFAIL, "8-bit && status");
	st = sm_smrsh_check("vacation \xBB procmail", 19, bin, SM_SMRSH_ALLOWSEMI, &out);
	is_int(st, SM_SMRSH_PERMFAIL, "8-bit ; refused even with ALLOWSEMI");
	sm_buf_free(&out);
	sm_buf_free(&want);
}

/* test_check_limits - NUL, length, program directory */
static void test_check_limits(const char *bin)
{
	struct sm_buf out = SM_BUF_INIT;
	char big[SM_SMRSH_MAXCMD + 2];
	enum sm_smrsh_status st;

	st = sm_smrsh_check("vaca\0tion", 9, bin, 0, &out);
	ok(st == SM_SMRSH_PERMFAIL && str_same(sm_buf_str(&out), "smrsh: cannot use NUL in command"),
	   "NUL refused");
	memset(big, ' ', sizeof(big));
	memcpy(big, "vacation", 8);
	st = sm_smrsh_check(big, SM_SMRSH_MAXCMD, bin, 0, &out);
	ok(st == SM_SMRSH_OK && out.len == strlen(bin) + 1 + SM_SMRSH_MAXCMD,
	   "a command of %d bytes is allowed", SM_SMRSH_MAXCMD);
	st = sm_smrsh_check(big, SM_SMRSH_MAXCMD + 1, bin, 0, &out);
	ok(st == SM_SMRSH_PERMFAIL && str_same(sm_buf_str(&out), "smrsh: command too long"),
	   "a command of %d bytes is refused", SM_SMRSH_MAXCMD + 1);
	st = sm_smrsh_check(NULL, 0, bin, 0, &out);
	ok(st == SM_SMRSH_PERMFAIL && str_same(sm_buf_str(&out), "smrsh: empty command"),
	   "NULL command refused");
	st = sm_smrsh_check("exit 1", 6, "relative/bin", 0, &out);
	ok(st == SM_SMRSH_PERMFAIL && str_same(sm_buf_str(&out), "smrsh: bad program directory"),
	   "relative program directory refused");
	st = sm_smrsh_check("exit 1", 6, "/var/adm/sm bin", 0, &out);
	ok(st == SM_SMRSH_PERMFAIL, "program directory with a blank refused");
	st = sm_smrsh_check("exit 1", 6, NULL, 0, &out);
	ok(st == SM_SMRSH_OK && str_same(sm_buf_str(&out), "exit 1"), "default program directory");
	st = sm_smrsh_check("nonesuch.x", 10, NULL, 0, &out);
	ok(st == SM_SMRSH_PERMFAIL && strstr(sm_buf_str(&out), "\"nonesuch.x\" not available") != NULL,
	   "default program directory is " SM_SMRSH_BINDIR);
	sm_buf_free(&out);
}

/* one program run */
struct run_case {
	const char *cmd; /* checked first; B replaced by the program directory */
	unsigned timeout;
	enum sm_smrsh_status want;
	int status;
	const char *text;
};

static const struct run_case run_cases[] = {
	{ .cmd = "ok", .want = SM_SMRSH_OK, .status = 0, .text = "delivered" },
	{ .cmd = "/usr/bin/ok && echo after", .want = SM_SMRSH_OK, .status = 0, .text = "delivered" },
	{ .cmd = "exit 0", .want = SM_SMRSH_OK, .status = 0, .text = "" },
	{ .cmd = "tempfail", .want = SM_SMRSH_TEMPFAIL, .status = 75, .text = "mailbox busy" },
	{ .cmd = "fail", .want = SM_SMRSH_PERMFAIL, .status = 1, .text = "no such user here" },
	{ .cmd = "quiet", .want = SM_SMRSH_PERMFAIL, .status = 3, .text = "program exited with status 3" },
	{ .cmd = "quiet || ok", .want = SM_SMRSH_OK, .status = 0, .text = "delivered" },
	{ .cmd = "exec sig", .want = SM_SMRSH_TEMPFAIL, .status = -1, .text = "program killed by signal 9" },
	{ .cmd = "sig", .want = SM_SMRSH_TEMPFAIL, .status = 137, .text = "Killed" },
	{ .cmd = "exit 128",
	  .want = SM_SMRSH_PERMFAIL,
	  .status = 128,
	  .text = "program exited with status 128" },
	{ .cmd = "exit 69",
	  .want = SM_SMRSH_PERMFAIL,
	  .status = 69,
	  .text = "program exited with status 69" },
	{ .cmd = "ok", .timeout = 5, .want = SM_SMRSH_OK, .status = 0, .text = "delivered" },
};

/* run_one - check cmd, then run it with job; the status, *status and the text */
static enum sm_smrsh_status run_one(const char *bin, const char *cmd, struct sm_smrsh_job *job, int *status,
                                    struct sm_buf *text)
{
	struct sm_buf rw = SM_BUF_INIT;
	enum sm_smrsh_status st = sm_smrsh_check(cmd, strlen(cmd), bin, 0, &rw);

	if (st != SM_SMRSH_OK) {
		diag("check \"%s\": %s", cmd, sm_buf_str(&rw));
		sm_buf_free(&rw);
		return st;
	}
	job->command = sm_buf_str(&rw);
	st = sm_smrsh_run(job, status, text);
	job->command = NULL;
	sm_buf_free(&rw);
	return st;
}

/* test_run_table - exit statuses and the captured text */
static void test_run_table(const char *bin)
{
	struct sm_buf text = SM_BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof(run_cases) / sizeof(run_cases[0]); i++) {
		const struct run_case *c = &run_cases[i];
		struct sm_smrsh_job job = {
			.uid = geteuid(), .gid = getegid(), .stdin_fd = -1, .timeout = c->timeout
		};
		int status = -2;
		enum sm_smrsh_status st = run_one(bin, c->cmd, &job, &status, &text);

		if (st == c->want && status == c->status && str_same(sm_buf_str(&text), c->text))
			ok(1, "run \"%s\": status %d, text \"%s\"", c->cmd, status, sm_buf_str(&text));
		else {
			is_int(st, c->want, "run status");
			is_int(status, c->status, "exit status");
			is_str(sm_buf_str(&text), c->text, c->cmd);
		}
	}
	sm_buf_free(&text);
}

/* read_all - the contents of path, or NULL; caller frees */
static char *read_all(const char *path)
{
	struct sm_buf b = SM_BUF_INIT;

	if (read_file(path, &b) < 0)
		return NULL;
	if (b.data == NULL)
		sm_buf_adds(&b, "");
	return sm_buf_steal(&b);
}

/* has_line - text holds line as a whole line */
static int has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *p;

	for (p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, line, n) == 0 && (p[n] == '\n' || p[n] == '\0'))
			return 1;
	return 0;
}

/* test_run_io - stdin, environment, directory, descriptors, timeout, long output, bad jobs */
static void test_run_io(const char *bin)
{
	static const char *const env[] = { "SENDER=alice@example.org", "RECIPIENT=bob", NULL };
	static const char *const bad_path[] = { "PATH=/tmp", NULL };
	static const char *const bad_name[] = { "1X=y", NULL };
	struct sm_smrsh_job job = { .uid = geteuid(), .gid = getegid(), .stdin_fd = -1 };
	struct sm_buf text = SM_BUF_INIT;
	const char *msg = "Subject: hi\n\nbody line\n";
	enum sm_smrsh_status st;
	struct timespec t0, t1;
	char cmd[PATH_MAX + 32], *got;
	int status, fd, lines;
	double secs;

	/* standard input is the message */
	write_file(in_dir("msg"), msg, 0600);
	fd = open(in_dir("msg"), O_RDONLY);
	job.stdin_fd = fd;
	snprintf(cmd, sizeof(cmd), "catin %s", in_dir("copy"));
	st = run_one(bin, cmd, &job, &status, &text);
	got = read_all(in_dir("copy"));
	ok(st == SM_SMRSH_OK && status == 0 && str_same(got, msg), "standard input reaches the program");
	free(got);
	close(fd);
	job.stdin_fd = -1;
	st = run_one(bin, cmd, &job, &status, &text);
	got = read_all(in_dir("copy"));
	ok(st == SM_SMRSH_OK && str_same(got, ""), "no stdin_fd: the program reads /dev/null");
	free(got);

	/* the environment is exactly ours (dash adds PWD) */
	job.env = env;
	snprintf(cmd, sizeof(cmd), "printenv %s", in_dir("env"));
	st = run_one(bin, cmd, &job, &status, &text);
	got = read_all(in_dir("env"));
	is_int(st, SM_SMRSH_OK, "printenv runs");
	ok(got && has_line(got, "PATH=/bin:/usr/bin") && has_line(got, "SHELL=/bin/sh") &&
	       has_line(got, "SENDER=alice@example.org") && has_line(got, "RECIPIENT=bob"),
	   "environment holds PATH, SHELL and the mail variables");
	for (lines = 0; got && strchr(got, '\n'); lines++)
		memmove(got, strchr(got, '\n') + 1, strlen(strchr(got, '\n') + 1) + 1);
	is_int(lines, 5, "environment has nothing else (PWD from the shell)");
	free(got);
	job.env = bad_path;
	st = run_one(bin, "ok", &job, &status, &text);
	ok(st == SM_SMRSH_PERMFAIL && strstr(sm_buf_str(&text), "bad environment entry") != NULL,
	   "PATH cannot be overridden");
	job.env = bad_name;
	st = run_one(bin, "ok", &job, &status, &text);
	is_int(st, SM_SMRSH_PERMFAIL, "environment entry with a bad name refused");
	job.env = NULL;

	/* working directory */
	st = run_one(bin, "pwd", &job, &status, &text);
	ok(st == SM_SMRSH_OK && str_same(sm_buf_str(&text), "/"), "runs in / by default");
	job.home = test_dir;
	st = run_one(bin, "pwd", &job, &status, &text);
	ok(st == SM_SMRSH_OK && str_same(sm_buf_str(&text), test_dir), "runs in the home directory");
	job.home = "/nonexistent/home";
	st = run_one(bin, "pwd", &job, &status, &text);
	ok(st == SM_SMRSH_OK && str_same(sm_buf_str(&text), "/"), "unreachable home: runs in /");
	job.home = NULL;

	/* descriptors other than 0, 1, 2 are closed */
	fd = open("/dev/null", O_RDONLY);
	dup2(fd, 50);
	st = run_one(bin, "fdcheck 50", &job, &status, &text);
	ok(st == SM_SMRSH_OK, "descriptor 50 of the caller is closed in the program (%s)", sm_buf_str(&text));
	close(50);
	close(fd);

	/* long output is cut */
	st = run_one(bin, "long", &job, &status, &text);
	ok(st == SM_SMRSH_PERMFAIL && text.len == SM_SMRSH_TEXTMAX, "output line cut at %d bytes",
	   SM_SMRSH_TEXTMAX);

	/* timeout */
	job.timeout = 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	st = run_one(bin, "slow", &job, &status, &text);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	ok(st == SM_SMRSH_TEMPFAIL && status == -1 && str_same(sm_buf_str(&text), "program timed out"),
	   "sleep 5 with timeout 1: deferred, \"%s\"", sm_buf_str(&text));
	ok(secs >= 0.9 && secs < 3.0, "timed out after %.2f s", secs);
	job.timeout = 0;

	/* a bad job */
	job.command = "";
	st = sm_smrsh_run(&job, &status, &text);
	ok(st == SM_SMRSH_PERMFAIL && status == -1, "empty command not run");

	/* as root, the program runs as the controlling user */
	if (geteuid() == 0) {
		chmod(test_dir, 0755);
		job.uid = 65534;
		job.gid = 65534;
		st = run_one(bin, "uid", &job, &status, &text);
		ok(st == SM_SMRSH_OK && str_same(sm_buf_str(&text), "65534"), "runs as uid 65534: %s",
		   sm_buf_str(&text));
		chmod(test_dir, 0700);
	} else {
		ok(1, "# SKIP not root: no change of uid to test");
	}
	sm_buf_free(&text);
}

int main(void)
{
	char *bin;

	sm_log_sink(log_capture, NULL);
	if (test_dir_make("/tmp/t_smrsh.XXXXXX") < 0 || make_bindir(in_dir("sm.bin")) < 0) {
		ok(0, "set up the program directory: %s", strerror(errno));
		return done_testing();
	}
	bin = sm_strdup(in_dir("sm.bin"));

	test_check_table(bin);
	test_specials(bin);
	test_check_limits(bin);
	ok(log_has("smrsh: cannot use") >= 0, "refusals are logged");
	log_reset();
	test_run_table(bin);
	test_run_io(bin);
	ok(log_has("program timed out") >= 0, "the timeout is logged");

	free(bin);
	test_dir_remove();
	sm_log_sink(NULL, NULL);
	log_reset();
	return done_testing();
}
