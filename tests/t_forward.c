/*
 * tests/t_forward.c - unit tests of the .forward search (router/forward.h)
 *
 * DESCRIPTION
 *	sm_forward_detail_ok() and sm_forward_expand() from tables, then
 *	sm_forward_find() on fake home directories in a mkdtemp() directory
 *	made in the current (build) directory: the ForwardPath search order
 *	with and without a +detail, forbidden details, first file found wins
 *	even when empty, an empty ForwardPath, missing and relative homes,
 *	symbolic and hard links in safe and unsafe (group- or world-writable)
 *	directories, group- and world-writable files, files and directories
 *	owned by another uid, symbolically linked home directories, a
 *	directory and a FIFO named .forward, the contents (comments, #@#,
 *	CRLF, long lines, NUL), MaxForwardEntries, the policy for root and
 *	system accounts, and a transient error (EMFILE, by lowering
 *	RLIMIT_NOFILE). Messages are captured with sm_log_sink().
 *
 *	The user's uid is getuid(), or 4242 when the test runs as root (so
 *	that the root policy does not apply); as root the files are chown()ed
 *	to it. Cases that need root (a file owned by another uid, a root-owned
 *	file) and cases that need a safe directory path to the build directory
 *	print "ok N - # SKIP reason" otherwise, so the count stays the same.
 *	Output is TAP (tests/tap.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "router/forward.h"
#include "tests/tap.h"
#include "tests/testutil.h"

#define OTHER_UID 4343
#define ROOT_TEST_UID 4242

static uid_t user_uid;
static gid_t user_gid;
static int is_root;
static int safe_base; /* every directory from / to test_dir is safe for user_uid */

/* skip - a test point that cannot be run here */
static void skip(const char *name, const char *why)
{
	ok(1, "# SKIP %s (%s)", name, why);
}

/* ok_safe - a test point that holds only when the build directory's path is safe */
static void __attribute__((format(printf, 2, 3))) ok_safe(int cond, const char *fmt, ...)
{
	char name[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	if (safe_base)
		ok(cond, "%s", name);
	else
		skip(name, "the path to the build directory is not safe");
}

/* give - as root, hand path to the test user */
static void give(const char *path)
{
	if (is_root && lchown(path, user_uid, user_gid) < 0)
		diag("lchown %s: %s", path, strerror(errno));
}

/* mkd - make directory test_dir/rel with mode, owned by the user */
static void mkd(const char *rel, mode_t mode)
{
	const char *path = in_dir(rel);

	if (mkdir(path, mode) < 0 && errno != EEXIST)
		diag("mkdir %s: %s", path, strerror(errno));
	if (chmod(path, mode) < 0)
		diag("chmod %s: %s", path, strerror(errno));
	give(path);
}

/* put - write test_dir/rel with text and mode, owned by the user */
static void put(const char *rel, const char *text, mode_t mode)
{
	const char *path = in_dir(rel);

	if (write_file(path, text, mode) < 0)
		diag("write %s: %s", path, strerror(errno));
	give(path);
}

/* rm - remove test_dir/rel if it exists */
static void rm(const char *rel)
{
	const char *path = in_dir(rel);

	if (remove(path) < 0 && errno != ENOENT)
		diag("remove %s: %s", path, strerror(errno));
}

/* symlnk - test_dir/rel is a symbolic link to target */
static void symlnk(const char *target, const char *rel)
{
	rm(rel);
	if (symlink(target, in_dir(rel)) < 0)
		diag("symlink %s: %s", in_dir(rel), strerror(errno));
	give(in_dir(rel));
}

/* hardlnk - test_dir/rel is another name of test_dir/from */
static void hardlnk(const char *from, const char *rel)
{
	rm(rel);
	if (link(in_dir(from), in_dir(rel)) < 0)
		diag("link %s: %s", in_dir(rel), strerror(errno));
}

/* find - sm_forward_find for user "jun" with home test_dir/home (absolute when home starts with '/') */
static void find(const char *home, const char *detail, const char *path, size_t max, struct sm_forward *out)
{
	char dir[PATH_MAX];
	struct sm_pw pw = { .name = "jun", .uid = user_uid, .gid = user_gid, .dir = dir, .shell = "/bin/sh" };
	struct sm_forward_params fp = { .path = path, .host = "myhost", .max_entries = max, .min_uid = 1 };

	if (home == NULL)
		pw.dir = NULL;
	else if (home[0] == '/' || strncmp(home, "rel", 3) == 0)
		snprintf(dir, sizeof(dir), "%s", home);
	else
		snprintf(dir, sizeof(dir), "%s", in_dir(home));
	sm_forward_find(&pw, detail, &fp, out);
}

/* ends_with - does s end with suffix? */
static int ends_with(const char *s, const char *suffix)
{
	size_t n = s ? strlen(s) : 0, m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* chain_is_safe - is every directory from / to dir owned by root or uid and not group/world-writable? */
static int chain_is_safe(const char *dir, uid_t uid)
{
	char path[PATH_MAX], *s;
	struct stat st;
	int safe = 1;

	snprintf(path, sizeof(path), "%s", dir);
	for (;;) {
		if (stat(path[0] ? path : "/", &st) < 0 || (st.st_uid != 0 && st.st_uid != uid) ||
		    (st.st_mode & (S_IWGRP | S_IWOTH)))
			safe = 0;
		if (path[0] == '\0')
			break;
		s = strrchr(path, '/');
		*s = '\0';
	}
	return safe;
}

static const struct {
	const char *detail;
	int ok;
} detail_cases[] = {
	{ .detail = "jerry", .ok = 1 }, { .detail = "test-1_x", .ok = 1 }, { .detail = "a b", .ok = 1 },
	{ .detail = NULL, .ok = 0 },    { .detail = "", .ok = 0 },         { .detail = "a.b", .ok = 0 },
	{ .detail = "a:b", .ok = 0 },   { .detail = "a%b", .ok = 0 },      { .detail = "a&b", .ok = 0 },
	{ .detail = "a!b", .ok = 0 },   { .detail = "a^b", .ok = 0 },      { .detail = "a[b", .ok = 0 },
	{ .detail = "a]b", .ok = 0 },   { .detail = "a+b", .ok = 0 },      { .detail = "../x", .ok = 0 },
	{ .detail = "a/b", .ok = 0 },   { .detail = "a\nb", .ok = 0 },     { .detail = "a\x7f", .ok = 0 },
};

/* test_detail - which details may be put into a file name */
static void test_detail(void)
{
	char longer[300];
	size_t i;

	for (i = 0; i < sizeof(detail_cases) / sizeof(detail_cases[0]); i++) {
		char *shown = detail_cases[i].detail
		                  ? sm_printable(detail_cases[i].detail, strlen(detail_cases[i].detail), 20)
		                  : sm_strdup("(null)");

		ok(sm_forward_detail_ok(detail_cases[i].detail) == detail_cases[i].ok, "detail \"%s\" %s",
		   shown, detail_cases[i].ok ? "allowed" : "refused");
		free(shown);
	}
	memset(longer, 'x', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	ok(!sm_forward_detail_ok(longer), "a detail longer than 255 bytes is refused");
}

static const struct {
	const char *elem;
	const char *detail;
	const char *dir;
	int ret;
	const char *want; /* the path when ret is 1 */
	int logged;       /* *why is set */
} expand_cases[] = {
	{ .elem = "$z/.forward", .dir = "/home/jun", .ret = 1, .want = "/home/jun/.forward" },
	{ .elem = "$z/.forward.$w+$h",
	  .detail = "jerry",
	  .dir = "/home/jun",
	  .ret = 1,
	  .want = "/home/jun/.forward.myhost+jerry" },
	{ .elem = "$z/.forward+$h", .detail = NULL, .dir = "/home/jun", .ret = 0 },
	{ .elem = "$z/.forward+$h", .detail = "a.b", .dir = "/home/jun", .ret = 0 },
	{ .elem = "$z/.forward+$h", .detail = "../../etc", .dir = "/home/jun", .ret = 0 },
	{ .elem = "/var/forward/$u", .dir = "/home/jun", .ret = 1, .want = "/var/forward/jun" },
	{ .elem = "$z/cost$$", .dir = "/h", .ret = 1, .want = "/h/cost$" },
	{ .elem = "$z/.forward", .dir = "home/jun", .ret = 0, .logged = 1 },
	{ .elem = "$z/.forward", .dir = NULL, .ret = 0, .logged = 1 },
	{ .elem = "$z/.forward", .dir = "", .ret = 0, .logged = 1 },
	{ .elem = "$x/.forward", .dir = "/home/jun", .ret = 0, .logged = 1 },
	{ .elem = "$z/.forward$", .dir = "/home/jun", .ret = 0, .logged = 1 },
	{ .elem = ".forward", .dir = "/home/jun", .ret = 0, .logged = 1 },
	{ .elem = "", .dir = "/home/jun", .ret = 0 },
};

/* test_expand - ForwardPath macros, one element at a time */
static void test_expand(void)
{
	struct sm_buf out = SM_BUF_INIT;
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(expand_cases) / sizeof(expand_cases[0]); i++) {
		struct sm_pw pw = {
			.name = "jun", .uid = 1000, .gid = 1000, .dir = (char *)expand_cases[i].dir
		};
		int ret = sm_forward_expand(expand_cases[i].elem, strlen(expand_cases[i].elem), &pw, "myhost",
		                            expand_cases[i].detail, &out, &why);

		ok(ret == expand_cases[i].ret && (ret == 0 || strcmp(out.data, expand_cases[i].want) == 0) &&
		       (why != NULL) == expand_cases[i].logged,
		   "expand \"%s\" (home %s, detail %s) -> %s", expand_cases[i].elem,
		   expand_cases[i].dir ? expand_cases[i].dir : "(null)",
		   expand_cases[i].detail ? expand_cases[i].detail : "(null)",
		   ret   ? out.data
		   : why ? why
		         : "skipped quietly");
	}
	/* only len bytes are used: one element of a longer ForwardPath */
	{
		struct sm_pw pw = { .name = "jun", .uid = 1000, .gid = 1000, .dir = "/h" };

		ok(sm_forward_expand("$z/a:$z/b", 4, &pw, NULL, NULL, &out, &why) == 1 &&
		       strcmp(out.data, "/h/a") == 0,
		   "expand uses only the element's len bytes");
		ok(sm_forward_expand("$z/.forward.$w", 14, &pw, NULL, NULL, &out, &why) == 0 && why == NULL,
		   "no host name: elements with $w are skipped quietly");
	}
	sm_buf_free(&out);
}

/* test_order - the Solaris search order, with and without a detail */
static void test_order(void)
{
	struct sm_forward f;

	mkd("safe", 0755);
	mkd("safe/jun", 0755);
	put("safe/jun/.forward.myhost+det", "one@example.com\n", 0644);
	put("safe/jun/.forward+det", "two@example.com\n", 0644);
	put("safe/jun/.forward.myhost", "three@example.com\n", 0644);
	put("safe/jun/.forward", "four@example.com\n", 0644);
	log_reset();

	find("safe/jun", "det", NULL, 0, &f);
	is_int(f.status, SM_FORWARD_FOUND, "detail: FOUND");
	ok(ends_with(f.path, "/safe/jun/.forward.myhost+det"), "detail: .forward.host+detail first (%s)",
	   f.path ? f.path : "(null)");
	ok(f.count == 1 && strcmp(f.addrs[0], "one@example.com") == 0, "  its one address");
	ok_safe(f.unsafe == 0 && f.reason == NULL, "  a safe path");
	is_int((long)f.uid, (long)user_uid, "  controlling uid is the user");
	is_int((long)f.gid, (long)user_gid, "  controlling gid is the user's");
	is_int((long)f.owner, (long)user_uid, "  owner is the user");
	ok(f.truncated == 0, "  not truncated");
	sm_forward_free(&f);
	ok(f.path == NULL && f.addrs == NULL && f.count == 0, "sm_forward_free clears the result");

	rm("safe/jun/.forward.myhost+det");
	find("safe/jun", "det", NULL, 0, &f);
	ok(f.status == SM_FORWARD_FOUND && ends_with(f.path, "/.forward+det"), "then .forward+detail");
	sm_forward_free(&f);

	rm("safe/jun/.forward+det");
	find("safe/jun", "det", NULL, 0, &f);
	ok(f.status == SM_FORWARD_FOUND && ends_with(f.path, "/.forward.myhost"), "then .forward.host");
	sm_forward_free(&f);

	put("safe/jun/.forward+det", "two@example.com\n", 0644);
	find("safe/jun", NULL, NULL, 0, &f);
	ok(f.status == SM_FORWARD_FOUND && ends_with(f.path, "/.forward.myhost"),
	   "no detail: the +detail files are skipped, .forward.host is used");
	sm_forward_free(&f);

	find("safe/jun", "", NULL, 0, &f);
	ok(f.status == SM_FORWARD_FOUND && ends_with(f.path, "/.forward.myhost"),
	   "an empty detail counts as none");
	sm_forward_free(&f);

	rm("safe/jun/.forward.myhost");
	find("safe/jun", "det", NULL, 0, &f);
	ok(f.status == SM_FORWARD_FOUND && ends_with(f.path, "/.forward+det"),
	   ".forward+detail before .forward");
	sm_forward_free(&f);

	find("safe/jun", "other", NULL, 0, &f);
	ok(f.status == SM_FORWARD_FOUND && ends_with(f.path, "/.forward") && f.count == 1 &&
	       strcmp(f.addrs[0], "four@example.com") == 0,
	   "another detail without a file: .forward");
	sm_forward_free(&f);

	rm("safe/jun/.forward");
	find("safe/jun", "det", NULL, 0, &f);
	ok(f.status == SM_FORWARD_FOUND && ends_with(f.path, "/.forward+det"),
	   "with .forward gone, +det still");
	sm_forward_free(&f);
	put("safe/jun/.forward", "four@example.com\n", 0644);

	/* a detail with an operator character is never put into a path */
	put("safe/jun/.forward+a.b", "dot@example.com\n", 0644);
	find("safe/jun", "a.b", NULL, 0, &f);
	ok(f.status == SM_FORWARD_FOUND && ends_with(f.path, "/.forward"),
	   "detail a.b: .forward+a.b not read");
	sm_forward_free(&f);
	mkd("safe/jun/.forward+x", 0755);
	put("safe/jun/.forward+x/y", "slash@example.com\n", 0644);
	find("safe/jun", "x/y", NULL, 0, &f);
	ok(f.status == SM_FORWARD_FOUND && ends_with(f.path, "/.forward"), "detail x/y: no path through it");
	sm_forward_free(&f);
	rm("safe/jun/.forward+x/y");
	rm("safe/jun/.forward+x");
	rm("safe/jun/.forward+a.b");
	ok(logs.count == 0, "nothing logged so far (ENOENT is quiet)");

	/* first file opened wins, even when it is empty */
	put("safe/jun/.forward.myhost", "", 0644);
	find("safe/jun", NULL, NULL, 0, &f);
	ok(f.status == SM_FORWARD_FOUND && ends_with(f.path, "/.forward.myhost") && f.count == 0,
	   "an empty .forward.host wins over .forward: FOUND, no addresses");
	sm_forward_free(&f);
	put("safe/jun/.forward.myhost", "# only a comment\n\n   \n", 0644);
	find("safe/jun", NULL, NULL, 0, &f);
	ok(f.status == SM_FORWARD_FOUND && ends_with(f.path, "/.forward.myhost") && f.count == 0,
	   "only comments: FOUND, no addresses");
	sm_forward_free(&f);
	rm("safe/jun/.forward.myhost");
	rm("safe/jun/.forward+det");
}

/* test_paths - ForwardPath settings and home directories */
static void test_paths(void)
{
	struct sm_forward f;
	char path[PATH_MAX];

	log_reset();
	find("safe/jun", NULL, "", 0, &f);
	ok(f.status == SM_FORWARD_NONE && f.path == NULL && f.reason == NULL && logs.count == 0,
	   "an empty ForwardPath disables .forward");
	sm_forward_free(&f);

	find("safe/jun", NULL, "::$z/.forward::", 0, &f);
	ok(f.status == SM_FORWARD_FOUND && ends_with(f.path, "/safe/jun/.forward"),
	   "empty elements are skipped");
	sm_forward_free(&f);

	put("safe/jun/fwd-jun", "custom@example.com\n", 0644);
	if (snprintf(path, sizeof(path), "$z/nothere:%s/safe/jun/fwd-$u:$z/.forward", test_dir) >=
	    (int)sizeof(path))
		diag("ForwardPath too long");
	find("safe/jun", NULL, path, 0, &f);
	ok(f.status == SM_FORWARD_FOUND && ends_with(f.path, "/safe/jun/fwd-jun") && f.count == 1 &&
	       strcmp(f.addrs[0], "custom@example.com") == 0,
	   "a ForwardPath of our own, with $u");
	sm_forward_free(&f);
	rm("safe/jun/fwd-jun");

	log_reset();
	find("nohome", NULL, NULL, 0, &f);
	ok(f.status == SM_FORWARD_NONE && f.reason == NULL, "a missing home directory: NONE");
	ok(logs.count == 0, "  and nothing logged");
	sm_forward_free(&f);

	find("safe/jun/", NULL, NULL, 0, &f);
	ok(f.status == SM_FORWARD_FOUND && ends_with(f.path, "/safe/jun//.forward"),
	   "a home with a trailing /");
	sm_forward_free(&f);

	log_reset();
	find("relative/home", NULL, NULL, 0, &f);
	ok(f.status == SM_FORWARD_NONE, "a relative home directory: NONE");
	is_int(log_count("home directory is not an absolute path"), 1, "  logged once for the whole search");
	sm_forward_free(&f);

	log_reset();
	find(NULL, NULL, NULL, 0, &f);
	ok(f.status == SM_FORWARD_NONE && log_count("home directory is not an absolute path") == 1,
	   "no home directory at all: NONE, logged");
	sm_forward_free(&f);

	log_reset();
	find("safe/jun", NULL, "$q/.forward:$z/.forward", 0, &f);
	ok(f.status == SM_FORWARD_FOUND && log_count("unknown macro") == 1,
	   "an unknown macro skips its element (logged), the next is used");
	sm_forward_free(&f);

	/* a home reached through a symbolic link */
	symlnk("safe", "linked");
	log_reset();
	find("linked/jun", NULL, NULL, 0, &f);
	ok(f.status == SM_FORWARD_FOUND && ends_with(f.path, "/linked/jun/.forward"),
	   "a symbolically linked directory on the way is followed");
	ok_safe(f.unsafe == 0, "  and the path is safe");
	sm_forward_free(&f);
}

/* test_unsafe_dirs - group- and world-writable directories mark the address unsafe */
static void test_unsafe_dirs(void)
{
	struct sm_forward f;

	mkd("gw", 0755);
	mkd("gw/jun", 0775);
	put("gw/jun/.forward", "|/usr/bin/vacation jun, \\jun\n", 0644);
	log_reset();
	find("gw/jun", NULL, NULL, 0, &f);
	is_int(f.status, SM_FORWARD_FOUND, "group-writable home: the .forward is read");
	ok(f.unsafe == 1, "  but the address is unsafe");
	ok_safe(f.reason && strstr(f.reason, "Group writable directory") && strstr(f.reason, "/gw/jun"),
	        "  reason: %s", f.reason ? f.reason : "(null)");
	ok(f.count == 2 && strcmp(f.addrs[0], "|/usr/bin/vacation jun") == 0 &&
	       strcmp(f.addrs[1], "\\jun") == 0,
	   "  addresses kept as written (program, \\user)");
	ok(logs.count == 0, "  an unsafe path is not logged");
	sm_forward_free(&f);

	/* a symbolic link in an unsafe directory */
	put("gw/jun/target", "evil@example.com\n", 0644);
	symlnk("target", "gw/jun/.forward");
	log_reset();
	find("gw/jun", NULL, NULL, 0, &f);
	is_int(f.status, SM_FORWARD_NONE, "a symlinked .forward in an unsafe directory is refused");
	is_int(log_count("Symbolic links not allowed"), 1, "  logged: Symbolic links not allowed");
	ok(log_count("forward ") == 1 && log_count("/gw/jun/.forward: ") == 1,
	   "  as \"forward PATH: reason\"");
	sm_forward_free(&f);

	/* a hard link in an unsafe directory */
	rm("gw/jun/.forward");
	hardlnk("gw/jun/target", "gw/jun/.forward");
	log_reset();
	find("gw/jun", NULL, NULL, 0, &f);
	is_int(f.status, SM_FORWARD_NONE, "a hard-linked .forward in an unsafe directory is refused");
	is_int(log_count("Hard links not allowed"), 1, "  logged: Hard links not allowed");
	sm_forward_free(&f);

	/* a world-writable directory higher up */
	mkd("ww", 0777);
	mkd("ww/jun", 0755);
	put("ww/jun/.forward", "a@example.com\n", 0644);
	find("ww/jun", NULL, NULL, 0, &f);
	ok_safe(f.status == SM_FORWARD_FOUND && f.unsafe == 1 && f.reason &&
	            strstr(f.reason, "World writable directory") && ends_with(f.reason, "/ww"),
	        "a world-writable parent: unsafe (%s)", f.reason ? f.reason : "(null)");
	sm_forward_free(&f);

	/* a sticky world-writable directory is not trusted either */
	mkd("sticky", 01777);
	mkd("sticky/jun", 0755);
	put("sticky/jun/.forward", "a@example.com\n", 0644);
	find("sticky/jun", NULL, NULL, 0, &f);
	ok(f.status == SM_FORWARD_FOUND && f.unsafe == 1, "a sticky world-writable parent: unsafe too");
	sm_forward_free(&f);

	/* a symbolic link to an unsafe directory */
	symlnk("gw", "linkgw");
	rm("gw/jun/.forward");
	put("gw/jun/.forward", "a@example.com\n", 0644);
	find("linkgw/jun", NULL, NULL, 0, &f);
	ok_safe(f.status == SM_FORWARD_FOUND && f.unsafe == 1 && f.reason && strstr(f.reason, "linkgw/jun"),
	        "a symlinked home leading to an unsafe directory: unsafe (%s)",
	        f.reason ? f.reason : "(null)");
	sm_forward_free(&f);
	mkd("ww/sub", 0755);
	mkd("ww/sub/jun", 0755);
	put("ww/sub/jun/.forward", "a@example.com\n", 0644);
	symlnk("ww/sub", "l2");
	find("l2/jun", NULL, NULL, 0, &f);
	ok_safe(f.status == SM_FORWARD_FOUND && f.unsafe == 1 && f.reason && ends_with(f.reason, "/ww"),
	        "a symbolic link into a safe directory below an unsafe one: unsafe (%s)",
	        f.reason ? f.reason : "(null)");
	sm_forward_free(&f);
	mkd("ww/ln", 0755);
	symlnk("../../safe", "ww/ln/s");
	find("ww/ln/s/jun", NULL, NULL, 0, &f);
	ok_safe(f.status == SM_FORWARD_FOUND && f.unsafe == 1 && f.reason && ends_with(f.reason, "/ww"),
	        "a symbolic link kept in an unsafe directory: unsafe");
	sm_forward_free(&f);
}

/* test_files - what the .forward itself must be */
static void test_files(void)
{
	struct sm_forward f;

	/* a symbolic link in a safe directory is refused too (the Solaris rule) */
	put("safe/jun/target", "linked@example.com\n", 0644);
	put("safe/jun/.forward", "plain@example.com\n", 0644);
	symlnk("target", "safe/jun/.forward.myhost");
	log_reset();
	find("safe/jun", NULL, NULL, 0, &f);
	ok(f.status == SM_FORWARD_FOUND && ends_with(f.path, "/.forward") && f.count == 1 &&
	       strcmp(f.addrs[0], "plain@example.com") == 0,
	   "a symlinked .forward.host in a safe directory is skipped, .forward used");
	is_int(log_count("Symbolic links not allowed"), 1, "  logged: Symbolic links not allowed");
	sm_forward_free(&f);
	rm("safe/jun/.forward.myhost");

	/* a dangling symbolic link is refused too, not taken for "no file" */
	symlnk("nowhere", "safe/jun/.forward.myhost");
	log_reset();
	find("safe/jun", NULL, NULL, 0, &f);
	ok(f.status == SM_FORWARD_FOUND && ends_with(f.path, "/.forward") &&
	       log_count("Symbolic links not allowed") == 1,
	   "a dangling symlink: refused, logged");
	sm_forward_free(&f);
	rm("safe/jun/.forward.myhost");

	/* a hard link in a safe directory, owned by the user, is allowed */
	hardlnk("safe/jun/target", "safe/jun/.forward.myhost");
	find("safe/jun", NULL, NULL, 0, &f);
	ok_safe(f.status == SM_FORWARD_FOUND && ends_with(f.path, "/.forward.myhost") && f.unsafe == 0,
	        "a hard link owned by the user in a safe directory is read");
	sm_forward_free(&f);
	rm("safe/jun/.forward.myhost");

	/* group- and world-writable files are refused; the search goes on */
	put("safe/jun/.forward.myhost", "gw@example.com\n", 0664);
	log_reset();
	find("safe/jun", NULL, NULL, 0, &f);
	ok(f.status == SM_FORWARD_FOUND && ends_with(f.path, "/.forward"),
	   "a group-writable .forward.host: skipped");
	is_int(log_count("Group writable file"), 1, "  logged: Group writable file");
	sm_forward_free(&f);
	put("safe/jun/.forward.myhost", "ww@example.com\n", 0646);
	log_reset();
	find("safe/jun", NULL, NULL, 0, &f);
	ok(f.status == SM_FORWARD_FOUND && ends_with(f.path, "/.forward"),
	   "a world-writable .forward.host: skipped");
	is_int(log_count("World writable file"), 1, "  logged: World writable file");
	sm_forward_free(&f);
	put("safe/jun/.forward.myhost", "ww@example.com\n", 0666);
	put("safe/jun/.forward", "ww@example.com\n", 0620);
	log_reset();
	find("safe/jun", NULL, NULL, 0, &f);
	ok(f.status == SM_FORWARD_NONE && logs.count == 2,
	   "every candidate writable by others: NONE, 2 logged");
	sm_forward_free(&f);
	rm("safe/jun/.forward.myhost");
	put("safe/jun/.forward", "plain@example.com\n", 0600);
	find("safe/jun", NULL, NULL, 0, &f);
	ok(f.status == SM_FORWARD_FOUND && f.count == 1, "mode 0600 is fine");
	sm_forward_free(&f);

	/* a directory and a FIFO named like a .forward */
	mkd("safe/jun/.forward.myhost", 0755);
	log_reset();
	find("safe/jun", NULL, NULL, 0, &f);
	ok(f.status == SM_FORWARD_FOUND && ends_with(f.path, "/.forward"),
	   "a directory named .forward.host: skipped");
	is_int(log_count("not a regular file"), 1, "  logged: not a regular file");
	sm_forward_free(&f);
	rm("safe/jun/.forward.myhost");
	if (mkfifo(in_dir("safe/jun/.forward.myhost"), 0644) < 0)
		diag("mkfifo: %s", strerror(errno));
	give(in_dir("safe/jun/.forward.myhost"));
	log_reset();
	find("safe/jun", NULL, NULL, 0, &f);
	ok(f.status == SM_FORWARD_FOUND && ends_with(f.path, "/.forward") &&
	       log_count("not a regular file") == 1,
	   "a FIFO named .forward.host: skipped without blocking");
	sm_forward_free(&f);
	rm("safe/jun/.forward.myhost");
	rm("safe/jun/.forward");
	mkd("safe/jun/.forward", 0755);
	log_reset();
	find("safe/jun", NULL, NULL, 0, &f);
	ok(f.status == SM_FORWARD_NONE && log_count("not a regular file") == 1,
	   "a directory named .forward: NONE, logged");
	sm_forward_free(&f);
	rm("safe/jun/.forward");
	put("safe/jun/.forward", "plain@example.com\n", 0644);

	/* a home directory that is a file */
	put("safe/notadir", "", 0644);
	log_reset();
	find("safe/notadir", NULL, NULL, 0, &f);
	ok(f.status == SM_FORWARD_NONE && log_count(strerror(ENOTDIR)) >= 1,
	   "a home that is a file: NONE, logged");
	sm_forward_free(&f);
}

/* test_owners - who may own the file and the directories (needs root to make the files) */
static void test_owners(void)
{
	struct sm_forward f;

	if (!is_root) {
		skip("a .forward owned by another uid is refused", "not root");
		skip("  logged: owned by uid N", "not root");
		skip("a root-owned .forward is read", "not root");
		skip("  owner 0, controlling uid still the user", "not root");
		skip("a root-owned .forward with two links is refused", "not root");
		skip("a home owned by another uid: unsafe", "not root");
		skip("  because of its owner", "not root");
		return;
	}
	put("safe/jun/.forward.myhost", "theirs@example.com\n", 0644);
	if (chown(in_dir("safe/jun/.forward.myhost"), OTHER_UID, OTHER_UID) < 0)
		diag("chown: %s", strerror(errno));
	log_reset();
	find("safe/jun", NULL, NULL, 0, &f);
	ok(f.status == SM_FORWARD_FOUND && ends_with(f.path, "/.forward"),
	   "a .forward owned by another uid is refused");
	is_int(log_count("owned by uid 4343, not by the user or root"), 1, "  logged: owned by uid N");
	sm_forward_free(&f);

	if (chown(in_dir("safe/jun/.forward.myhost"), 0, 0) < 0)
		diag("chown: %s", strerror(errno));
	find("safe/jun", NULL, NULL, 0, &f);
	ok_safe(f.status == SM_FORWARD_FOUND && ends_with(f.path, "/.forward.myhost") && f.unsafe == 0,
	        "a root-owned .forward is read");
	ok(f.owner == 0 && f.uid == user_uid && f.gid == user_gid,
	   "  owner 0, controlling uid still the user");
	sm_forward_free(&f);

	hardlnk("safe/jun/.forward.myhost", "safe/jun/second");
	log_reset();
	find("safe/jun", NULL, NULL, 0, &f);
	ok(f.status == SM_FORWARD_FOUND && ends_with(f.path, "/.forward") &&
	       log_count("Hard links not allowed") == 1,
	   "a root-owned .forward with two links is refused");
	sm_forward_free(&f);
	rm("safe/jun/second");
	rm("safe/jun/.forward.myhost");

	mkd("other", 0755);
	mkd("other/jun", 0755);
	put("other/jun/.forward", "a@example.com\n", 0644);
	if (chown(in_dir("other/jun"), OTHER_UID, OTHER_UID) < 0)
		diag("chown: %s", strerror(errno));
	find("other/jun", NULL, NULL, 0, &f);
	ok(f.status == SM_FORWARD_FOUND && f.unsafe == 1, "a home owned by another uid: unsafe");
	ok_safe(f.reason && strstr(f.reason, "owned by uid 4343"), "  because of its owner (%s)",
	        f.reason ? f.reason : "(null)");
	sm_forward_free(&f);
}

/* test_contents - comments, #@#, CRLF, bad lines, MaxForwardEntries */
static void test_contents(void)
{
	static const char *const want[] = {
		"a@example.com", "b@example.com", "c@example.com", "\\jun",         "|/usr/bin/vacation jun",
		"d@example.com", "e@example.com", "f #@#g",        "h@example.com", "/var/mail/jun.copy",
	};
	struct sm_forward f;
	char big[70000];
	size_t i;
	int same;

	put("safe/jun/.forward",
	    "# a comment\n"
	    "\n"
	    "a@example.com, b@example.com\n"
	    "   # an indented comment\n"
	    "c@example.com #@# the rest is a comment, x@example.com\n"
	    "\\jun, \"|/usr/bin/vacation jun\"\n"
	    "Dee <d@example.com>\r\n"
	    "e@example.com (a comment) #@#\n"
	    "f #@#g\n"
	    "#@# all comment\n"
	    "h@example.com,,  ,\n"
	    "/var/mail/jun.copy",
	    0644);
	log_reset();
	find("safe/jun", NULL, NULL, 0, &f);
	is_int(f.status, SM_FORWARD_FOUND, "contents: FOUND");
	is_int((long)f.count, (long)(sizeof(want) / sizeof(want[0])), "  ten addresses");
	same = f.count == sizeof(want) / sizeof(want[0]);
	for (i = 0; same && i < f.count; i++)
		if (strcmp(f.addrs[i], want[i]) != 0) {
			diag("address %zu: got \"%s\", want \"%s\"", i, f.addrs[i], want[i]);
			same = 0;
		}
	ok(same, "  comments, #@#, CRLF, <addr>, quotes, empty elements, last line without newline");
	ok(f.truncated == 0 && logs.count == 0, "  nothing truncated or logged");
	sm_forward_free(&f);

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	{
		struct sm_buf b = SM_BUF_INIT;
		int fd;

		sm_buf_adds(&b, "first@example.com\n");
		sm_buf_adds(&b, big);
		sm_buf_adds(&b, "\nnul@example.com");
		sm_buf_addc(&b, '\0');
		sm_buf_adds(&b, "x\nlast@example.com\n");
		fd = open(in_dir("safe/jun/.forward"), O_WRONLY | O_TRUNC);
		if (fd < 0 || write(fd, b.data, b.len) != (ssize_t)b.len)
			diag("write: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		sm_buf_free(&b);
	}
	log_reset();
	find("safe/jun", NULL, NULL, 0, &f);
	ok(f.status == SM_FORWARD_FOUND && f.count == 2 && strcmp(f.addrs[0], "first@example.com") == 0 &&
	       strcmp(f.addrs[1], "last@example.com") == 0,
	   "a line too long and a line with a NUL are skipped");
	ok(log_count("line 2: too long; ignored") == 1 && log_count("line 3: holds a NUL byte; ignored") == 1,
	   "  both logged with their line numbers");
	sm_forward_free(&f);

	put("safe/jun/.forward", "one@x, two@x\nthree@x\nfour@x\n", 0644);
	log_reset();
	find("safe/jun", NULL, NULL, 2, &f);
	ok(f.status == SM_FORWARD_FOUND && f.count == 2 && strcmp(f.addrs[1], "two@x") == 0,
	   "MaxForwardEntries 2: the first two kept");
	ok(f.truncated == 1, "  truncated is set");
	ok(log_count("Attempt to forward to more than 2 addresses (in ") == 1 &&
	       log_count("/safe/jun/.forward)!") == 1,
	   "  logged: Attempt to forward to more than 2 addresses (in PATH)!");
	sm_forward_free(&f);
	log_reset();
	find("safe/jun", NULL, NULL, 4, &f);
	ok(f.count == 4 && f.truncated == 0 && logs.count == 0,
	   "MaxForwardEntries 4 with 4 addresses: all, no error");
	sm_forward_free(&f);
	find("safe/jun", NULL, NULL, 0, &f);
	ok(f.count == 4 && f.truncated == 0, "MaxForwardEntries 0: no limit");
	sm_forward_free(&f);
	put("safe/jun/.forward", "plain@example.com\n", 0644);
}

/* test_policy - root and system accounts */
static void test_policy(void)
{
	struct sm_pw pw = { .name = "jun", .uid = 0, .gid = 0, .dir = (char *)in_dir("safe/jun") };
	struct sm_forward_params fp = { .path = NULL, .host = "myhost", .max_entries = 0, .min_uid = 0 };
	struct sm_forward f;

	log_reset();
	sm_forward_find(&pw, NULL, &fp, &f);
	ok(f.status == SM_FORWARD_NONE && f.path == NULL, "uid 0: NONE, even with a .forward and min_uid 0");
	is_str(f.reason, "forward files of root are not read; use aliases", "  reason");
	sm_forward_free(&f);
	sm_forward_find(&pw, "det", &fp, &f);
	is_int(log_count("forward files of root are not read; use aliases"), 1, "  logged once per process");
	sm_forward_free(&f);

	pw.uid = user_uid;
	pw.gid = user_gid;
	pw.name = "daemonish";
	fp.min_uid = user_uid + 1;
	log_reset();
	sm_forward_find(&pw, NULL, &fp, &f);
	ok(f.status == SM_FORWARD_NONE && f.reason && strstr(f.reason, "system accounts"),
	   "uid below min_uid: NONE (%s)", f.reason ? f.reason : "(null)");
	ok(log_count("are not read; use aliases (daemonish)") == 1, "  logged with the user name");
	sm_forward_free(&f);
	fp.min_uid = user_uid;
	sm_forward_find(&pw, NULL, &fp, &f);
	ok(f.status == SM_FORWARD_FOUND && !(f.reason && strstr(f.reason, "system accounts")),
	   "uid equal to min_uid: read");
	sm_forward_free(&f);
	ok(SM_FORWARD_MIN_UID_DEFAULT == 1000, "the recommended threshold is 1000");
}

/* test_transient - EMFILE on every candidate defers */
static void test_transient(void)
{
	static const char queued[] = "transient .forward open error: message queued (";
	struct sm_forward f;
	struct rlimit old, low;
	int fd;

	fd = dup(0);
	if (fd < 0 || getrlimit(RLIMIT_NOFILE, &old) < 0) {
		skip("EMFILE: TEMPFAIL", "cannot lower RLIMIT_NOFILE");
		skip("  reason", "cannot lower RLIMIT_NOFILE");
		skip("  after the limit is restored, FOUND", "cannot lower RLIMIT_NOFILE");
		return;
	}
	close(fd);
	low = old;
	low.rlim_cur = (rlim_t)fd; /* the lowest free descriptor is then out of range */
	log_reset();
	if (setrlimit(RLIMIT_NOFILE, &low) < 0)
		diag("setrlimit: %s", strerror(errno));
	find("safe/jun", NULL, NULL, 0, &f);
	if (setrlimit(RLIMIT_NOFILE, &old) < 0)
		diag("setrlimit: %s", strerror(errno));
	is_int(f.status, SM_FORWARD_TEMPFAIL, "EMFILE: TEMPFAIL");
	ok(f.reason && strncmp(f.reason, queued, strlen(queued)) == 0 && strstr(f.reason, strerror(EMFILE)),
	   "  reason: %s", f.reason ? f.reason : "(null)");
	sm_forward_free(&f);
	find("safe/jun", NULL, NULL, 0, &f);
	ok(f.status == SM_FORWARD_FOUND, "  after the limit is restored, FOUND");
	sm_forward_free(&f);
}

int main(void)
{
	is_root = getuid() == 0;
	user_uid = is_root ? ROOT_TEST_UID : getuid();
	user_gid = is_root ? ROOT_TEST_UID : getgid();
	test_detail();
	test_expand();
	if (test_dir_make("t_forward.XXXXXX") < 0) {
		/* a build directory we may not write: fall back to a temporary directory */
		const char *tmpdir = getenv("TMPDIR");
		char fallback[PATH_MAX];

		snprintf(fallback, sizeof(fallback), "%s/t_forward.XXXXXX",
		         tmpdir && *tmpdir ? tmpdir : "/tmp");
		if (test_dir_make(fallback) < 0) {
			ok(0, "mkdtemp: %s", strerror(errno));
			return done_testing();
		}
	}
	safe_base = chain_is_safe(test_dir, user_uid);
	if (!safe_base)
		diag("%s: a directory on the way is not safe; some points are skipped", test_dir);
	sm_log_sink(log_capture, NULL);
	test_order();
	test_paths();
	test_unsafe_dirs();
	test_files();
	test_owners();
	test_contents();
	test_policy();
	test_transient();
	sm_log_sink(NULL, NULL);
	log_reset();
	test_dir_remove();
	return done_testing();
}
