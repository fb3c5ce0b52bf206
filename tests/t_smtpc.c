/*
 * tests/t_smtpc.c - tests for the SMTP client (server/smtpc.h) against tests/sink.py and scripted servers
 *
 * SYNOPSIS
 *	tests/t_smtpc	(TAP on stdout; run by "make check")
 *
 * DESCRIPTION
 *	Three parts:
 *	  - sm_smtpc_stuff() byte by byte, without a server: line ends,
 *	    dot-stuffing, every smuggling pattern of security.md 2.1, NUL,
 *	    a missing final line end, plus a randomised check that nothing
 *	    but the last line can end the data;
 *	  - scripted servers forked from this program, one connection each,
 *	    that answer each command line with canned bytes: multi-line
 *	    replies, EHLO keyword parsing, and malformed replies (bare LF,
 *	    NUL, changing code, 64 KiB and more, a 3xx to MAIL);
 *	  - tests/sink.py started on 127.0.0.1 (and ::1 when there is one) at
 *	    a free port, with options per case: pipelining and lock-step,
 *	    parameters (SIZE, BODY, RET, ENVID, NOTIFY, ORCPT), refused
 *	    recipients, refused data, 421, greeting failures, the mail loop,
 *	    connection refused, timeouts, a dropped connection, several
 *	    messages on one connection. Each case checks the statuses and
 *	    reply texts, the sink's command log and the stored message bytes.
 *	Every sink is stopped by pid (SIGTERM) at the end, also on an early exit.
 *
 * CONFIGURATION
 *	top_srcdir from the environment (set by "make check") finds
 *	tests/sink.py; without it, the directory above the program's.
 *	TMPDIR, when set, holds the temporary directory.
 *
 * DIAGNOSTICS
 *	TAP on stdout; exit status 1 when a test failed. "1..0 # SKIP" when
 *	/usr/bin/python3 is missing.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libgen.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/mem.h"
#include "server/queue.h"
#include "server/smtpc.h"
#include "tests/testutil.h"

#define PYTHON "/usr/bin/python3"
#define HELO "client.test"
#define MAXPIDS 64
#define B(s) s, sizeof(s) - 1

static const char *srcdir;
static pid_t pids[MAXPIDS]; /* children still running, stopped at exit */
static int npids;

/* remember - keep pid for the cleanup at exit */
static void remember(pid_t pid)
{
	if (npids < MAXPIDS)
		pids[npids++] = pid;
}

/* reap - stop pid (SIGTERM, then SIGKILL after 5 s) and forget it */
static void reap(pid_t pid)
{
	int i, status;

	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	for (i = 0; i < 500; i++) {
		if (waitpid(pid, &status, WNOHANG) != 0)
			break;
		usleep(10000);
	}
	if (i == 500) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	for (i = 0; i < npids; i++)
		if (pids[i] == pid)
			pids[i] = pids[--npids];
}

/* reap_all - atexit: nothing started here outlives the test */
static void reap_all(void)
{
	while (npids > 0)
		reap(pids[npids - 1]);
}

/* now_s - monotonic seconds */
static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* vis - p[0..n) with controls shown as escapes; the caller frees it */
static char *vis(const char *p, size_t n)
{
	struct sm_buf b = SM_BUF_INIT;
	size_t i;

	sm_buf_adds(&b, "");
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)p[i];

		if (ch == '\r')
			sm_buf_adds(&b, "\\r");
		else if (ch == '\n')
			sm_buf_adds(&b, "\\n");
		else if (ch < 0x20 || ch >= 0x7f)
			sm_buf_printf(&b, "\\x%02x", ch);
		else
			sm_buf_addc(&b, ch);
	}
	return sm_buf_steal(&b);
}

/* is_bytes - byte strings equal, shown escaped when not */
static int is_bytes(const char *got, size_t gl, const char *want, size_t wl, const char *name)
{
	char *g = vis(got ? got : "", got ? gl : 0), *w = vis(want, wl);
	int r = is_str(g, w, name);

	free(g);
	free(w);
	return r;
}

/* like - s contains sub */
static int like(const char *s, const char *sub, const char *name)
{
	int r = s != NULL && strstr(s, sub) != NULL;

	if (!ok(r, "%s", name))
		diag("  \"%s\" does not contain \"%s\"", s ? s : "(null)", sub);
	return r;
}

/* count_of - how many times sub occurs in s */
static int count_of(const char *s, const char *sub)
{
	int n = 0;

	while (s && (s = strstr(s, sub)) != NULL) {
		n++;
		s += strlen(sub);
	}
	return n;
}

/* ---------------------------------------------------------------------------------------------- */
/* sm_smtpc_stuff without a server */

static const struct {
	const char *name;
	const char *in;
	size_t inlen;
	const char *out;
	size_t outlen;
} stuff_cases[] = {
	{ .name = "empty body", B(""), B(".\r\n") },
	{ .name = "one line without end", B("a"), B("a\r\n.\r\n") },
	{ .name = "CRLF kept", B("a\r\nb\r\n"), B("a\r\nb\r\n.\r\n") },
	{ .name = "lone LF", B("a\nb\n"), B("a\r\nb\r\n.\r\n") },
	{ .name = "lone CR", B("a\rb\r"), B("a\r\nb\r\n.\r\n") },
	{ .name = "empty lines", B("a\n\n\r\rb"), B("a\r\n\r\n\r\n\r\nb\r\n.\r\n") },
	{ .name = "leading dot doubled", B(".a\r\n"), B("..a\r\n.\r\n") },
	{ .name = "lone dot line", B("."), B("..\r\n.\r\n") },
	{ .name = "two dots become three", B("x\r\n..y"), B("x\r\n...y\r\n.\r\n") },
	{ .name = "inner dots untouched", B("a.b\r\nc."), B("a.b\r\nc.\r\n.\r\n") },
	{ .name = "LF.LF", B("a\n.\nb"), B("a\r\n..\r\nb\r\n.\r\n") },
	{ .name = "CR.CR", B("a\r.\rb"), B("a\r\n..\r\nb\r\n.\r\n") },
	{ .name = "CR.LF", B("a\r.\nb"), B("a\r\n..\r\nb\r\n.\r\n") },
	{ .name = "LF.CR", B("a\n.\rb"), B("a\r\n..\r\nb\r\n.\r\n") },
	{ .name = "LF.CRLF", B("a\n.\r\nb"), B("a\r\n..\r\nb\r\n.\r\n") },
	{ .name = "CRLF.LF", B("a\r\n.\nb"), B("a\r\n..\r\nb\r\n.\r\n") },
	{ .name = "CR.CRLF", B("a\r.\r\nb"), B("a\r\n..\r\nb\r\n.\r\n") },
	{ .name = "CRLF.CR", B("a\r\n.\rb"), B("a\r\n..\r\nb\r\n.\r\n") },
	{ .name = "CRLF.CRLF", B("a\r\n.\r\nb"), B("a\r\n..\r\nb\r\n.\r\n") },
	{ .name = "CRLF.CRCRLF", B("a\r\n.\r\r\nb"), B("a\r\n..\r\n\r\nb\r\n.\r\n") },
	{ .name = "CRCRLF.CRCRLF", B("a\r\r\n.\r\r\nb"), B("a\r\n\r\n..\r\n\r\nb\r\n.\r\n") },
	{ .name = "CRLF NUL . CRLF", B("a\r\n\0.\r\nb"), B("a\r\n..\r\nb\r\n.\r\n") },
	{ .name = "CRLF . NUL CRLF", B("a\r\n.\0\r\nb"), B("a\r\n..\r\nb\r\n.\r\n") },
	{ .name = "ends with CRLF.CRLF", B("a\r\n.\r\n"), B("a\r\n..\r\n.\r\n") },
	{ .name = "8-bit kept", B("caf\xc3\xa9\r\n\xff"), B("caf\xc3\xa9\r\n\xff\r\n.\r\n") },
};

/* wire_ok - out is a well-formed DATA stream: CRLF only, no NUL, no "." line before the last */
static int wire_ok(const char *p, size_t n)
{
	size_t i, start = 0;

	if (n < 3 || memcmp(p + n - 3, ".\r\n", 3) != 0 || (n > 3 && memcmp(p + n - 5, "\r\n", 2) != 0))
		return 0;
	for (i = 0; i < n; i++) {
		if (p[i] == '\0')
			return 0;
		if (p[i] == '\r' && (i + 1 == n || p[i + 1] != '\n'))
			return 0;
		if (p[i] == '\n' && (i == 0 || p[i - 1] != '\r'))
			return 0;
		if (p[i] == '\n') {
			/* a line p[start..i-1) that is "." must be the last */
			if (i - 1 - start == 1 && p[start] == '.' && i + 1 != n)
				return 0;
			start = i + 1;
		}
	}
	return 1;
}

/* test_stuff - the table, then random bodies made of the dangerous octets */
static void test_stuff(void)
{
	struct sm_buf out = SM_BUF_INIT;
	size_t i, k;
	unsigned long seed = 12345;
	int bad = 0;

	for (i = 0; i < sizeof(stuff_cases) / sizeof(stuff_cases[0]); i++) {
		out.len = 0;
		sm_smtpc_stuff(stuff_cases[i].in, stuff_cases[i].inlen, &out);
		is_bytes(out.data, out.len, stuff_cases[i].out, stuff_cases[i].outlen, stuff_cases[i].name);
	}
	out.len = 0;
	sm_buf_adds(&out, "kept");
	sm_smtpc_stuff(B("x"), &out);
	is_bytes(out.data, out.len, B("keptx\r\n.\r\n"), "stuff appends to what out holds");

	for (k = 0; k < 5000 && !bad; k++) {
		static const char alphabet[] = { '\r', '\n', '.', '\0', 'a' };
		char body[24];
		size_t n;

		seed = seed * 6364136223846793005ul + 1442695040888963407ul;
		n = (size_t)(seed >> 59) % sizeof(body);
		for (i = 0; i < n; i++) {
			seed = seed * 6364136223846793005ul + 1442695040888963407ul;
			body[i] = alphabet[(seed >> 33) % sizeof(alphabet)];
		}
		out.len = 0;
		sm_smtpc_stuff(body, n, &out);
		if (!wire_ok(out.data, out.len)) {
			char *v = vis(body, n);

			diag("bad wire form for \"%s\"", v);
			free(v);
			bad = 1;
		}
	}
	ok(!bad, "5000 random bodies of CR, LF, '.', NUL: CRLF only, no NUL, only the last line is \".\"");
	sm_buf_free(&out);
}

/* ---------------------------------------------------------------------------------------------- */
/* scripted servers: the first chunk is the greeting, each further chunk answers one command line */

struct chunk {
	const char *p;
	size_t n;
};

/* listen_any - a listening TCP socket on 127.0.0.1 at a free port; fd or -1 */
static int listen_any(int *port)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 8) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*port = ntohs(sa.sin_port);
	return fd;
}

/* free_port - a port on 127.0.0.1 (or ::1) that nothing listens on just now; 0 when none found */
static int free_port(int family)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	socklen_t sl = family == AF_INET ? sizeof(*s4) : sizeof(*s6);
	int fd = socket(family, SOCK_STREAM, 0), port = 0;

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		s4->sin_family = AF_INET;
		s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	} else {
		s6->sin6_family = AF_INET6;
		s6->sin6_addr = in6addr_loopback;
	}
	if (fd >= 0 && bind(fd, (struct sockaddr *)&ss, sl) == 0 &&
	    getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
		port = ntohs(family == AF_INET ? s4->sin_port : s6->sin6_port);
	if (fd >= 0)
		close(fd);
	return port;
}

/* write_all - the whole buffer, or give up */
static void write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0 && (w = write(fd, p, n)) > 0) {
		p += w;
		n -= (size_t)w;
	}
}

/* script_start - fork a server that plays script to one client; its pid, and *port, or -1 */
static pid_t script_start(const struct chunk *script, int *port)
{
	int ls = listen_any(port), fd;
	pid_t pid;
	size_t i;
	char ch, buf[4096];

	if (ls < 0)
		return -1;
	pid = fork();
	if (pid != 0) {
		close(ls);
		if (pid > 0)
			remember(pid);
		return pid;
	}
	alarm(20);
	signal(SIGPIPE, SIG_DFL);
	fd = accept(ls, NULL, NULL);
	if (fd < 0)
		_exit(1);
	write_all(fd, script[0].p, script[0].n);
	for (i = 1; script[i].p != NULL; i++) {
		do {
			if (read(fd, &ch, 1) != 1)
				_exit(0);
		} while (ch != '\n');
		write_all(fd, script[i].p, script[i].n);
	}
	shutdown(fd, SHUT_WR);
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	_exit(0);
}

static struct sm_smtpc_opts opts = {
	.helo = HELO, .port = 25, .connect_timeout = 5, .greeting_timeout = 5, .reply_timeout = 5
};

/* script_open - play script and open a connection to it */
static struct sm_smtpc *script_open(const struct chunk *script, pid_t *pid, struct sm_smtpc_reply *fail)
{
	struct sm_smtpc_opts o = opts;

	*pid = script_start(script, &o.port);
	if (*pid < 0) {
		diag("cannot start a scripted server: %s", strerror(errno));
		fail->code = 0;
		fail->text = NULL;
		return NULL;
	}
	return sm_smtpc_open("script.test", "127.0.0.1", &o, fail);
}

#define CH(s)                                                                                                \
	{                                                                                                    \
		s, sizeof(s) - 1                                                                             \
	}
#define END                                                                                                  \
	{                                                                                                    \
		NULL, 0                                                                                      \
	}

/* a greeting that must fail, and how */
static const struct {
	const char *name;
	struct chunk script[4];
	int code;
	const char *text; /* a part of it */
} bad_greetings[] = {
	{ .name = "greeting without a code",
	  .script = { CH("hello there\r\n"), END },
	  451,
	  "protocol error" },
	{ .name = "greeting ended by bare LF",
	  .script = { CH("220 x.test ready\n"), END },
	  451,
	  "protocol error" },
	{ .name = "greeting with a bare CR",
	  .script = { CH("220 x.test\rready\r\n"), END },
	  451,
	  "protocol" },
	{ .name = "greeting with NUL",
	  .script = { CH("220 x.test\0ready\r\n"), END },
	  451,
	  "protocol error" },
	{ .name = "code changes inside a reply",
	  .script = { CH("220-x.test\r\n250 ready\r\n"), END },
	  451,
	  "protocol error" },
	{ .name = "code 1xx", .script = { CH("120 x.test wait\r\n"), END }, 451, "protocol error" },
	{ .name = "closed before the greeting ends", .script = { CH("220-x.test"), END }, 451, "4.4.2" },
	{ .name = "EHLO 421 (text made printable)",
	  .script = { CH("220 x.test\r\n"), CH("421 4.3.2 bye\x01\xe9\r\n"), END },
	  421,
	  "421 4.3.2 bye??" },
	{ .name = "EHLO 550 then HELO 550: the HELO reply",
	  .script = { CH("220 x.test\r\n"), CH("550 no EHLO\r\n"), CH("550 5.7.1 no HELO either\r\n"), END },
	  550,
	  "550 5.7.1 no HELO either" },
	{ .name = "EHLO 450: that reply",
	  .script = { CH("220 x.test\r\n"), CH("450 4.3.2 later\r\n"), END },
	  450,
	  "450 4.3.2 later" },
};

/* test_scripts - reply parsing against canned servers */
static void test_scripts(void)
{
	struct sm_smtpc_reply fail = { 0, NULL, 0 }, rc[1], msg;
	struct sm_smtpc *c;
	struct sm_buf big = SM_BUF_INIT;
	const char *rcpts[] = { "a@y.test" };
	struct sm_smtpc_msg m = { .sender = "s@x.test", .nrcpt = 1, .rcpt = rcpts, .body = "hi\n", .len = 3 };
	size_t i;
	pid_t pid;
	char name[200];

	for (i = 0; i < sizeof(bad_greetings) / sizeof(bad_greetings[0]); i++) {
		c = script_open(bad_greetings[i].script, &pid, &fail);
		snprintf(name, sizeof(name), "%s: no connection, code %d", bad_greetings[i].name,
		         bad_greetings[i].code);
		ok(c == NULL && fail.code == bad_greetings[i].code, "%s", name);
		if (c == NULL)
			like(fail.text, bad_greetings[i].text, bad_greetings[i].name);
		else
			sm_smtpc_close(c, 0);
		sm_smtpc_reply_free(&fail);
		reap(pid);
	}

	/* a reply larger than 64 KiB */
	while (big.len < 70000)
		sm_buf_adds(&big,
		            "220-x.test "
		            "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n");
	sm_buf_adds(&big, "220 x.test ready\r\n");
	{
		struct chunk s[] = { { big.data, big.len }, END };

		c = script_open(s, &pid, &fail);
		ok(c == NULL && fail.code == 451, "a greeting over 64 KiB is refused");
		like(fail.text, "protocol error", "... as a protocol error");
		sm_smtpc_close(c, 0);
		sm_smtpc_reply_free(&fail);
		reap(pid);
	}
	sm_buf_free(&big);

	/* multi-line replies, EHLO keywords in any case, a multi-line refusal joined by " / " */
	{
		struct chunk s[] = {
			CH("220-x.test first line\r\n220 second line\r\n"),
			CH("250-x.test hello\r\n250-size 1000\r\n250-pipelining\r\n250-X-THING\r\n"
			   "250 StartTLS\r\n"),
			CH("250 2.1.0 ok\r\n"),
			CH("550-5.1.1 first\r\n550 5.1.1 second\r\n"),
			CH("554 5.5.1 no valid recipients\r\n"),
			CH("250\r\n"),
			CH("221 bye\r\n"),
			END
		};

		c = script_open(s, &pid, &fail);
		ok(c != NULL, "multi-line greeting accepted");
		if (c) {
			is_int(sm_smtpc_ext(c),
			       SM_SMTPC_EXT_ESMTP | SM_SMTPC_EXT_SIZE | SM_SMTPC_EXT_PIPELINING |
			           SM_SMTPC_EXT_STARTTLS,
			       "EHLO keywords are case-insensitive, unknown ones ignored");
			is_int(sm_smtpc_send(c, &m, rc, &msg), 0, "the only recipient refused: 0 accepted");
			is_int(rc[0].code, 550, "... with 550");
			is_str(rc[0].text, "550-5.1.1 first / 550 5.1.1 second",
			       "... lines joined by \" / \"");
			is_str(msg.text, "554 5.5.1 no valid recipients", "msg: the DATA reply");
			is_int(sm_smtpc_usable(c), 1, "a bare \"250\" to RSET is a good reply");
			sm_smtpc_reply_free(&rc[0]);
			sm_smtpc_reply_free(&msg);
			sm_smtpc_close(c, 1);
		}
		sm_smtpc_reply_free(&fail);
		reap(pid);
	}

	/* a 3xx to MAIL */
	{
		struct chunk s[] = { CH("220 x.test\r\n"), CH("250 x.test\r\n"), CH("354 go ahead\r\n"),
			             END };

		c = script_open(s, &pid, &fail);
		ok(c != NULL && sm_smtpc_ext(c) == SM_SMTPC_EXT_ESMTP, "one-line EHLO reply: no extensions");
		if (c) {
			is_int(sm_smtpc_send(c, &m, rc, &msg), 0, "354 to MAIL: nothing accepted");
			is_int(rc[0].code, 451, "... 451 for the recipient");
			like(rc[0].text, "4.4.2 script.test[127.0.0.1]: protocol error",
			     "... a protocol error");
			is_int(sm_smtpc_usable(c), 0, "... and the connection is unusable");
			sm_smtpc_reply_free(&rc[0]);
			sm_smtpc_reply_free(&msg);
			sm_smtpc_close(c, 1);
		}
		sm_smtpc_reply_free(&fail);
		reap(pid);
	}
}

/* ---------------------------------------------------------------------------------------------- */
/* tests/sink.py */

struct sink {
	pid_t pid;
	int port;
	char *dir;
	size_t logoff; /* how much of the log sink_log_new() has shown */
};

/* sink_start - run sink.py in test_dir/tag with the extra arguments (NULL-ended); 0 or -1 */
static int sink_start(struct sink *s, const char *tag, int family, ...)
{
	const char *argv[40];
	char listen[80], pidfile[4096], script[4096];
	struct stat st;
	const char *a;
	va_list ap;
	int n = 0, i, status;

	memset(s, 0, sizeof(*s));
	s->dir = sm_strdup(in_dir(tag));
	if (mkdir(s->dir, 0755) != 0) {
		diag("mkdir %s: %s", s->dir, strerror(errno));
		return -1;
	}
	s->port = free_port(family);
	if (s->port == 0)
		return -1;
	snprintf(listen, sizeof(listen), family == AF_INET ? "127.0.0.1:%d" : "[::1]:%d", s->port);
	snprintf(pidfile, sizeof(pidfile), "%s/pid", s->dir);
	snprintf(script, sizeof(script), "%s/tests/sink.py", srcdir);
	argv[n++] = PYTHON;
	argv[n++] = script;
	argv[n++] = "--listen";
	argv[n++] = listen;
	argv[n++] = "--dir";
	argv[n++] = s->dir;
	argv[n++] = "--pidfile";
	argv[n++] = pidfile;
	va_start(ap, family);
	while ((a = va_arg(ap, const char *)) != NULL && n < 38)
		argv[n++] = a;
	va_end(ap);
	argv[n] = NULL;
	s->pid = fork();
	if (s->pid < 0)
		return -1;
	if (s->pid == 0) {
		execv(PYTHON, (char *const *)argv);
		_exit(127);
	}
	remember(s->pid);
	for (i = 0; i < 1000; i++) {
		if (stat(pidfile, &st) == 0)
			return 0;
		if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
			diag("sink.py %s exited early", tag);
			for (n = 0; n < npids; n++)
				if (pids[n] == s->pid)
					pids[n] = pids[--npids];
			s->pid = 0;
			return -1;
		}
		usleep(10000);
	}
	diag("sink.py %s did not start", tag);
	return -1;
}

/* sink_stop - stop the sink by pid */
static void sink_stop(struct sink *s)
{
	reap(s->pid);
	s->pid = 0;
	free(s->dir);
	s->dir = NULL;
}

/* sink_read - the bytes of a file in the sink's directory into b (emptied first); 0 or -1 */
static int sink_read(const struct sink *s, const char *name, struct sm_buf *b)
{
	char path[4096];

	b->len = 0;
	sm_buf_adds(b, "");
	snprintf(path, sizeof(path), "%s/%s", s->dir, name);
	return read_file(path, b);
}

/* sink_log_new - the log lines written since the last call; the caller frees */
static char *sink_log_new(struct sink *s)
{
	struct sm_buf b = SM_BUF_INIT;
	char *r;

	(void)sink_read(s, "log", &b);
	if (s->logoff > b.len)
		s->logoff = b.len;
	r = sm_strdup(sm_buf_str(&b) + s->logoff);
	s->logoff = b.len;
	sm_buf_free(&b);
	return r;
}

/* sink_count - how many msg.NNNN files the sink wrote */
static int sink_count(const struct sink *s)
{
	char path[4096];
	int n = 0;
	struct stat st;

	for (;;) {
		snprintf(path, sizeof(path), "%s/msg.%04d", s->dir, n + 1);
		if (stat(path, &st) != 0)
			return n;
		n++;
	}
}

/* split_msg - the envelope lines and the data of a stored message */
static void split_msg(const struct sm_buf *file, struct sm_buf *env, const char **data, size_t *dlen)
{
	size_t off = 0;

	env->len = 0;
	sm_buf_adds(env, "");
	while (off < file->len && file->len - off >= 7 && memcmp(file->data + off, "X-Sink-", 7) == 0) {
		const char *nl = memchr(file->data + off, '\n', file->len - off);
		size_t ll = nl ? (size_t)(nl - (file->data + off)) + 1 : file->len - off;

		sm_buf_add(env, file->data + off, ll);
		off += ll;
	}
	*data = file->data ? file->data + off : "";
	*dlen = file->len - off;
}

/* check_stored - msg.NNNN of the sink has the envelope and data wanted */
static void check_stored(const struct sink *s, int n, const char *env_want, const char *data, size_t dlen,
                         const char *what)
{
	struct sm_buf f = SM_BUF_INIT, env = SM_BUF_INIT;
	char name[32], label[300];
	const char *d;
	size_t dl;

	snprintf(name, sizeof(name), "msg.%04d", n);
	if (sink_read(s, name, &f) != 0) {
		ok(0, "%s: %s stored", what, name);
		ok(0, "%s: data", what);
		return;
	}
	split_msg(&f, &env, &d, &dl);
	snprintf(label, sizeof(label), "%s: envelope stored", what);
	is_str(env.data, env_want, label);
	snprintf(label, sizeof(label), "%s: data stored byte for byte", what);
	is_bytes(d, dl, data, dlen, label);
	sm_buf_free(&f);
	sm_buf_free(&env);
}

/* results of one send */
struct res {
	int n;
	struct sm_smtpc_reply rcpt[8];
	struct sm_smtpc_reply msg;
};

/* res_free - free every reply of r */
static void res_free(struct res *r)
{
	size_t i;

	for (i = 0; i < 8; i++)
		sm_smtpc_reply_free(&r->rcpt[i]);
	sm_smtpc_reply_free(&r->msg);
}

/* send_to - one message from sender to the NULL-ended recipients */
static void send_to(struct sm_smtpc *c, struct res *r, const char *sender, const char *body, size_t len, ...)
{
	const char *rcpts[8];
	struct sm_smtpc_msg m = { .sender = sender, .body = body, .len = len };
	va_list ap;
	const char *a;

	va_start(ap, len);
	while ((a = va_arg(ap, const char *)) != NULL && m.nrcpt < 8)
		rcpts[m.nrcpt++] = a;
	va_end(ap);
	m.rcpt = rcpts;
	r->n = sm_smtpc_send(c, &m, r->rcpt, &r->msg);
}

/* stuffed_size - the SIZE= value for body */
static size_t stuffed_size(const char *body, size_t len)
{
	struct sm_buf b = SM_BUF_INIT;
	size_t n;

	sm_smtpc_stuff(body, len, &b);
	n = b.len - 3;
	sm_buf_free(&b);
	return n;
}

/* sink_open - a connection to s */
static struct sm_smtpc *sink_open(const struct sink *s, struct sm_smtpc_reply *fail)
{
	struct sm_smtpc_opts o = opts;

	o.port = s->port;
	return sm_smtpc_open("mx.test", "127.0.0.1", &o, fail);
}

#define BODY1                                                                                                \
	"From: a@x.test\r\nTo: b@y.test\r\nSubject: hello\r\n\r\nline one\r\n.leading dot\r\n..two dots\r\n" \
	"last\r\n"

#define BODY8 "Subject: caf\xc3\xa9\r\n\r\n\xe9t\xe9\r\n"

#define SMUGGLE                                                                                              \
	"Subject: smuggle\r\n\r\nA\n.\nMAIL FROM:<smuggled@evil.test>\nB\r.\rRCPT TO:<v@y.test>\r\n"         \
	"C\r\n.\r\nDATA\r\nD\r\n\0.\r\nE\r\n.\0\r\nF\n.\r\nG\r\n.\r\r\nH"
#define SMUGGLE_STORED                                                                                       \
	"Subject: smuggle\r\n\r\nA\r\n.\r\nMAIL FROM:<smuggled@evil.test>\r\nB\r\n.\r\nRCPT "                \
	"TO:<v@y.test>\r\n"                                                                                  \
	"C\r\n.\r\nDATA\r\nD\r\n.\r\nE\r\n.\r\nF\r\n.\r\nG\r\n.\r\n\r\nH\r\n"

/* test_main - the default sink: pipelining, parameters, smuggling, several messages on one connection */
static void test_main(void)
{
	struct sink s;
	struct sm_smtpc_reply fail = { 0, NULL, 0 };
	struct sm_smtpc *c;
	struct res r;
	struct sm_buf f = SM_BUF_INIT;
	char *log, want[2048], env[2048];
	size_t size;

	if (sink_start(&s, "main", AF_INET, NULL) != 0) {
		ok(0, "sink started");
		return;
	}
	c = sink_open(&s, &fail);
	if (!ok(c != NULL, "connected to the sink")) {
		diag("%s", fail.text ? fail.text : "");
		sink_stop(&s);
		return;
	}
	is_int(fail.code, 0, "fail untouched on success");
	is_int(sm_smtpc_usable(c), 1, "usable after open");
	is_int(sm_smtpc_ext(c),
	       SM_SMTPC_EXT_ESMTP | SM_SMTPC_EXT_PIPELINING | SM_SMTPC_EXT_SIZE | SM_SMTPC_EXT_8BITMIME |
	           SM_SMTPC_EXT_DSN,
	       "extensions offered by the sink");
	is_str(sm_smtpc_host(c), "mx.test", "host kept");
	is_str(sm_smtpc_addr(c), "127.0.0.1", "addr kept");

	/* 1: a normal message, two recipients, pipelined */
	memset(&r, 0, sizeof(r));
	send_to(c, &r, "a@x.test", B(BODY1), "b@y.test", "c@y.test", NULL);
	is_int(r.n, 2, "normal: 2 recipients accepted");
	ok(r.rcpt[0].code == 250 && r.rcpt[1].code == 250, "normal: both got 250");
	is_str(r.msg.text, "250 2.0.0 Ok: queued as msg.0001", "normal: msg is the end-of-data reply");
	size = stuffed_size(B(BODY1));
	log = sink_log_new(&s);
	snprintf(want, sizeof(want),
	         "EHLO " HELO
	         "\nMAIL FROM:<a@x.test> SIZE=%zu\nRCPT TO:<b@y.test>\nRCPT TO:<c@y.test>\nDATA\n",
	         size);
	is_str(log, want, "normal: the sink saw EHLO, MAIL with SIZE, RCPT, RCPT, DATA");
	free(log);
	sink_read(&s, "pipelined", &f);
	snprintf(want, sizeof(want),
	         "MAIL FROM:<a@x.test> SIZE=%zu\nRCPT TO:<b@y.test>\nRCPT TO:<c@y.test>\n", size);
	is_str(f.data, want, "normal: MAIL and RCPTs arrived pipelined, DATA ended the group");
	snprintf(env, sizeof(env),
	         "X-Sink-Helo: " HELO "\nX-Sink-From: <a@x.test> SIZE=%zu\nX-Sink-Rcpt: <b@y.test>\n"
	         "X-Sink-Rcpt: <c@y.test>\n",
	         size);
	check_stored(&s, 1, env, B(BODY1), "normal");
	res_free(&r);

	/* 2: smuggling patterns inside the body */
	send_to(c, &r, "a@x.test", B(SMUGGLE), "b@y.test", NULL);
	is_int(r.n, 1, "smuggling body: accepted");
	is_int(sink_count(&s), 2, "smuggling body: exactly one more message stored");
	log = sink_log_new(&s);
	snprintf(want, sizeof(want), "MAIL FROM:<a@x.test> SIZE=%zu\nRCPT TO:<b@y.test>\nDATA\n",
	         stuffed_size(B(SMUGGLE)));
	is_str(log, want, "smuggling body: no command came out of the body");
	free(log);
	snprintf(env, sizeof(env),
	         "X-Sink-Helo: " HELO "\nX-Sink-From: <a@x.test> SIZE=%zu\nX-Sink-Rcpt: <b@y.test>\n",
	         stuffed_size(B(SMUGGLE)));
	check_stored(&s, 2, env, B(SMUGGLE_STORED), "smuggling body");
	res_free(&r);

	/* 3: lone LF and CR, no final newline */
	send_to(c, &r, "a@x.test", B("Subject: bare\n\nline1\rline2\nline3"), "b@y.test", NULL);
	is_int(r.n, 1, "lone LF/CR: accepted");
	snprintf(env, sizeof(env),
	         "X-Sink-Helo: " HELO "\nX-Sink-From: <a@x.test> SIZE=%zu\nX-Sink-Rcpt: <b@y.test>\n",
	         stuffed_size(B("Subject: bare\n\nline1\rline2\nline3")));
	check_stored(&s, 3, env, B("Subject: bare\r\n\r\nline1\r\nline2\r\nline3\r\n"), "lone LF/CR");
	free(sink_log_new(&s));
	res_free(&r);

	/* 4: 8-bit body */
	send_to(c, &r, "a@x.test", B(BODY8), "b@y.test", NULL);
	is_int(r.n, 1, "8-bit: accepted");
	log = sink_log_new(&s);
	snprintf(want, sizeof(want), "MAIL FROM:<a@x.test> SIZE=%zu BODY=8BITMIME\n", stuffed_size(B(BODY8)));
	ok(strncmp(log, want, strlen(want)) == 0, "8-bit: MAIL has SIZE= and BODY=8BITMIME");
	free(log);
	sink_read(&s, "msg.0004", &f);
	ok(f.len >= sizeof(BODY8) - 1 && memcmp(f.data + f.len - (sizeof(BODY8) - 1), B(BODY8)) == 0,
	   "8-bit: octets intact");
	res_free(&r);

	/* 5: DSN parameters, null sender */
	{
		const char *rcpts[] = { "r1@y.test", "r2@y.test", "r3@y.test" };
		const char *orcpt[] = { "a+b=c@x.test", NULL, "sp ace\xc3\xa9@x.test" };
		const unsigned notify[] = { SM_NOTIFY_SUCCESS | SM_NOTIFY_FAILURE | SM_NOTIFY_DELAY,
			                    SM_NOTIFY_NEVER, 0 };
		struct sm_smtpc_msg m = { .sender = "",
			                  .nrcpt = 3,
			                  .rcpt = rcpts,
			                  .orcpt = orcpt,
			                  .notify = notify,
			                  .envid = "q1+x=y",
			                  .ret = SM_RET_HDRS,
			                  .body = "Subject: dsn\r\n\r\nx\r\n",
			                  .len = 19 };

		r.n = sm_smtpc_send(c, &m, r.rcpt, &r.msg);
		is_int(r.n, 3, "DSN: 3 accepted");
		log = sink_log_new(&s);
		snprintf(want, sizeof(want),
		         "MAIL FROM:<> SIZE=%zu RET=HDRS ENVID=q1+2Bx+3Dy\n"
		         "RCPT TO:<r1@y.test> NOTIFY=SUCCESS,FAILURE,DELAY ORCPT=rfc822;a+2Bb+3Dc@x.test\n"
		         "RCPT TO:<r2@y.test> NOTIFY=NEVER\n"
		         "RCPT TO:<r3@y.test> ORCPT=rfc822;sp+20ace+C3+A9@x.test\nDATA\n",
		         stuffed_size(m.body, m.len));
		is_str(log, want, "DSN: null sender, RET, ENVID and ORCPT xtext-encoded, NOTIFY");
		free(log);
		sink_read(&s, "msg.0005", &f);
		like(f.data, "X-Sink-From: <> SIZE=", "DSN: stored with the null sender");
		res_free(&r);
	}

	/* 6: a recipient with a control character is not sent */
	send_to(c, &r, "a@x.test", B("x\r\n"), "evil@y.test\r\nRSET", "b@y.test", NULL);
	is_int(r.n, 1, "CRLF in a recipient: the other one accepted");
	is_int(r.rcpt[0].code, 501, "CRLF in a recipient: 501, not sent");
	log = sink_log_new(&s);
	ok(strstr(log, "evil") == NULL && strstr(log, "RSET") == NULL,
	   "CRLF in a recipient: nothing of it sent");
	free(log);
	res_free(&r);

	is_int(sink_count(&s), 6, "six messages stored");
	is_int(sm_smtpc_usable(c), 1, "still usable after six transactions");
	sm_smtpc_close(c, 1);
	log = sink_log_new(&s);
	is_str(log, "QUIT\n", "close sent QUIT");
	free(log);
	sink_read(&s, "log", &f);
	is_int(count_of(f.data, "EHLO "), 1, "all six messages went over one connection (one EHLO)");
	sm_buf_free(&f);
	sink_stop(&s);
}

/* test_nodsn - a server without DSN and 8BITMIME gets no such parameters */
static void test_nodsn(void)
{
	struct sink s;
	struct sm_smtpc_reply fail = { 0, NULL, 0 };
	struct sm_smtpc *c;
	struct res r;
	char *log;
	const char *rcpts[] = { "r1@y.test" };
	const char *orcpt[] = { "a+b@x.test" };
	const unsigned notify[] = { SM_NOTIFY_FAILURE };
	struct sm_smtpc_msg m = { .sender = "s@x.test",
		                  .nrcpt = 1,
		                  .rcpt = rcpts,
		                  .orcpt = orcpt,
		                  .notify = notify,
		                  .envid = "e1",
		                  .ret = SM_RET_FULL,
		                  .body = "Subject: \xe9\r\n\r\n",
		                  .len = 14 };

	if (sink_start(&s, "nodsn", AF_INET, "--no-dsn", "--no-8bitmime", "--no-size", "--starttls", NULL) !=
	    0) {
		ok(0, "sink --no-dsn started");
		return;
	}
	memset(&r, 0, sizeof(r));
	c = sink_open(&s, &fail);
	ok(c != NULL &&
	       sm_smtpc_ext(c) == (SM_SMTPC_EXT_ESMTP | SM_SMTPC_EXT_PIPELINING | SM_SMTPC_EXT_STARTTLS),
	   "--no-dsn --no-8bitmime --no-size --starttls: STARTTLS seen, the others not offered");
	if (c) {
		r.n = sm_smtpc_send(c, &m, r.rcpt, &r.msg);
		is_int(r.n, 1, "--no-dsn: accepted");
		log = sink_log_new(&s);
		is_str(log, "EHLO " HELO "\nMAIL FROM:<s@x.test>\nRCPT TO:<r1@y.test>\nDATA\n",
		       "--no-dsn: no SIZE, RET, ENVID, NOTIFY, ORCPT, BODY");
		free(log);
		res_free(&r);
		sm_smtpc_close(c, 1);
	}
	sm_smtpc_reply_free(&fail);
	sink_stop(&s);
}

/* test_lockstep - no PIPELINING: each command waits for its reply (the sink enforces it) */
static void test_lockstep(void)
{
	struct sink s;
	struct sm_smtpc_reply fail = { 0, NULL, 0 };
	struct sm_smtpc *c;
	struct res r;
	struct sm_buf f = SM_BUF_INIT;
	char *log, want[1024];

	if (sink_start(&s, "lockstep", AF_INET, "--no-pipelining", "--rcpt-reply",
	               "^bad=550 5.1.1 no such user", NULL) != 0) {
		ok(0, "sink --no-pipelining started");
		return;
	}
	memset(&r, 0, sizeof(r));
	c = sink_open(&s, &fail);
	ok(c != NULL && !(sm_smtpc_ext(c) & SM_SMTPC_EXT_PIPELINING), "--no-pipelining: not offered");
	if (c == NULL) {
		sink_stop(&s);
		return;
	}
	send_to(c, &r, "a@x.test", B("lock\nstep\n"), "b@y.test", "c@y.test", NULL);
	is_int(r.n, 2, "lock-step: both accepted (the sink refuses a pipelined command)");
	log = sink_log_new(&s);
	snprintf(want, sizeof(want),
	         "EHLO " HELO
	         "\nMAIL FROM:<a@x.test> SIZE=%zu\nRCPT TO:<b@y.test>\nRCPT TO:<c@y.test>\nDATA\n",
	         stuffed_size(B("lock\nstep\n")));
	is_str(log, want, "lock-step: commands in order");
	free(log);
	ok(sink_read(&s, "pipelined", &f) != 0 || f.len == 0, "lock-step: nothing arrived ahead of its turn");
	res_free(&r);

	send_to(c, &r, "a@x.test", B("x\n"), "bad1@y.test", "bad2@y.test", NULL);
	is_int(r.n, 0, "lock-step, all refused: 0");
	ok(r.rcpt[0].code == 550 && r.rcpt[1].code == 550, "lock-step, all refused: both 550");
	is_str(r.msg.text, "550 5.1.1 no such user", "lock-step, all refused: msg is the last RCPT reply");
	log = sink_log_new(&s);
	is_str(log, "MAIL FROM:<a@x.test> SIZE=3\nRCPT TO:<bad1@y.test>\nRCPT TO:<bad2@y.test>\nRSET\n",
	       "lock-step, all refused: no DATA, RSET");
	free(log);
	res_free(&r);

	send_to(c, &r, "a@x.test", B("x\n"), "bad1@y.test", "ok@y.test", NULL);
	ok(r.n == 1 && r.rcpt[0].code == 550 && r.rcpt[1].code == 250,
	   "lock-step: one refused, one delivered");
	res_free(&r);
	is_int(sm_smtpc_usable(c), 1, "lock-step: still usable");
	sm_smtpc_close(c, 1);
	sm_buf_free(&f);
	sink_stop(&s);
}

/* test_refusals - refused recipients, refused size, refused data, with pipelining */
static void test_refusals(void)
{
	struct sink s;
	struct sm_smtpc_reply fail = { 0, NULL, 0 };
	struct sm_smtpc *c;
	struct res r;
	struct sm_buf f = SM_BUF_INIT, big = SM_BUF_INIT;
	char *log;

	if (sink_start(&s, "refuse", AF_INET, "--rcpt-reply", "^bad=550 5.1.1 <bad@y.test>: no such user",
	               "--max-size", "200", NULL) != 0) {
		ok(0, "sink --rcpt-reply started");
		return;
	}
	memset(&r, 0, sizeof(r));
	c = sink_open(&s, &fail);
	if (!ok(c != NULL, "connected to the refusing sink")) {
		sink_stop(&s);
		return;
	}
	free(sink_log_new(&s));
	send_to(c, &r, "a@x.test", B("hi\n"), "good@y.test", "bad@y.test", NULL);
	is_int(r.n, 1, "550 for one: the other accepted");
	is_int(r.rcpt[0].code, 250, "550 for one: good got 250");
	is_str(r.rcpt[1].text, "550 5.1.1 <bad@y.test>: no such user", "550 for one: bad got the RCPT reply");
	sink_read(&s, "msg.0001", &f);
	ok(strstr(f.data, "X-Sink-Rcpt: <good@y.test>\n") && !strstr(f.data, "bad@"),
	   "550 for one: stored for the good one only");
	free(sink_log_new(&s));
	res_free(&r);

	send_to(c, &r, "a@x.test", B("hi\n"), "bad1@y.test", "bad2@y.test", NULL);
	is_int(r.n, 0, "all refused: 0");
	ok(r.rcpt[0].code == 550 && r.rcpt[1].code == 550, "all refused: each its 550");
	is_str(r.msg.text, "554 5.5.1 Error: no valid recipients", "all refused: msg is the DATA reply");
	log = sink_log_new(&s);
	is_str(log, "MAIL FROM:<a@x.test> SIZE=4\nRCPT TO:<bad1@y.test>\nRCPT TO:<bad2@y.test>\nDATA\nRSET\n",
	       "all refused: no body, RSET");
	free(log);
	is_int(sm_smtpc_usable(c), 1, "all refused: still usable");
	res_free(&r);
	send_to(c, &r, "a@x.test", B("next\n"), "good@y.test", NULL);
	ok(r.n == 1 && sink_count(&s) == 2, "all refused: the next message goes through");
	res_free(&r);
	free(sink_log_new(&s));

	while (big.len < 300)
		sm_buf_adds(&big, "0123456789012345678901234567890123456789\r\n");
	send_to(c, &r, "a@x.test", big.data, big.len, "good@y.test", "good2@y.test", NULL);
	is_int(r.n, 0, "SIZE over the limit: 0");
	ok(r.rcpt[0].code == 552 && r.rcpt[1].code == 552 && r.msg.code == 552,
	   "SIZE over the limit: MAIL's 552 for every recipient and msg");
	log = sink_log_new(&s);
	like(log, "RSET\n", "SIZE over the limit: RSET");
	free(log);
	is_int(sm_smtpc_usable(c), 1, "SIZE over the limit: still usable");
	res_free(&r);
	sm_smtpc_close(c, 1);
	sm_buf_free(&f);
	sm_buf_free(&big);
	sink_stop(&s);
}

/* test_many - 1000 recipients in one pipelined group, every tenth refused */
static void test_many(void)
{
	struct sink s;
	struct sm_smtpc_reply fail = { 0, NULL, 0 }, msg = { 0, NULL, 0 };
	struct sm_smtpc_reply *rc = sm_calloc(1000, sizeof(*rc));
	char **names = sm_calloc(1000, sizeof(*names));
	struct sm_smtpc_msg m = { .sender = "a@x.test", .nrcpt = 1000, .body = "many\n", .len = 5 };
	struct sm_smtpc *c;
	size_t i;
	int n, right = 1;

	for (i = 0; i < 1000; i++)
		names[i] = sm_asprintf("%s%zu@y.test", i % 10 == 3 ? "bad" : "r", i);
	m.rcpt = (const char *const *)names;
	if (sink_start(&s, "many", AF_INET, "--rcpt-reply", "^bad=550 5.1.1 no such user", NULL) == 0 &&
	    (c = sink_open(&s, &fail)) != NULL) {
		n = sm_smtpc_send(c, &m, rc, &msg);
		is_int(n, 900, "1000 recipients pipelined: 900 accepted");
		for (i = 0; i < 1000; i++)
			if (rc[i].code != (i % 10 == 3 ? 550 : 250))
				right = 0;
		ok(right, "1000 recipients: each reply matched to its recipient");
		for (i = 0; i < 1000; i++)
			sm_smtpc_reply_free(&rc[i]);
		sm_smtpc_reply_free(&msg);
		sm_smtpc_close(c, 1);
	} else {
		ok(0, "sink for 1000 recipients");
	}
	sink_stop(&s);
	for (i = 0; i < 1000; i++)
		free(names[i]);
	free(names);
	free(rc);
}

/* test_early_refusals - MAIL refused, DATA refused (pipelined: the RCPT replies must still be read) */
static void test_early_refusals(void)
{
	struct sink s;
	struct sm_smtpc_reply fail = { 0, NULL, 0 };
	struct sm_smtpc *c;
	struct res r;
	char *log;

	memset(&r, 0, sizeof(r));
	if (sink_start(&s, "mail451", AF_INET, "--mail-reply", "451 4.3.0 sender check failed", NULL) == 0 &&
	    (c = sink_open(&s, &fail)) != NULL) {
		free(sink_log_new(&s));
		send_to(c, &r, "a@x.test", B("hi\n"), "b@y.test", "c@y.test", NULL);
		is_int(r.n, 0, "MAIL refused: 0");
		ok(r.rcpt[0].code == 451 && r.rcpt[1].code == 451,
		   "MAIL refused: every recipient gets MAIL's reply");
		is_str(r.rcpt[1].text, "451 4.3.0 sender check failed", "MAIL refused: its text");
		is_str(r.msg.text, "451 4.3.0 sender check failed", "MAIL refused: msg too");
		log = sink_log_new(&s);
		is_str(log,
		       "MAIL FROM:<a@x.test> SIZE=4\nRCPT TO:<b@y.test>\nRCPT TO:<c@y.test>\nDATA\nRSET\n",
		       "MAIL refused: RSET after the pipelined group");
		free(log);
		is_int(sm_smtpc_usable(c), 1, "MAIL refused: still usable");
		res_free(&r);
		sm_smtpc_close(c, 1);
	} else {
		ok(0, "sink --mail-reply");
	}
	sink_stop(&s);

	if (sink_start(&s, "data451", AF_INET, "--data-cmd-reply", "451 4.3.1 out of disk", "--rcpt-reply",
	               "^bad=550 5.1.1 no", NULL) == 0 &&
	    (c = sink_open(&s, &fail)) != NULL) {
		send_to(c, &r, "a@x.test", B("hi\n"), "b@y.test", "bad@y.test", NULL);
		is_int(r.n, 0, "DATA refused: 0");
		is_str(r.rcpt[0].text, "451 4.3.1 out of disk",
		       "DATA refused: the accepted recipient gets DATA's reply");
		is_int(r.rcpt[1].code, 550, "DATA refused: the refused one keeps its RCPT reply");
		is_int(r.msg.code, 451, "DATA refused: msg is DATA's reply");
		is_int(sm_smtpc_usable(c), 1, "DATA refused: still usable");
		res_free(&r);
		sm_smtpc_close(c, 1);
	} else {
		ok(0, "sink --data-cmd-reply");
	}
	sink_stop(&s);
}

/* test_data_refused - 552 at the end of data */
static void test_data_refused(void)
{
	struct sink s;
	struct sm_smtpc_reply fail = { 0, NULL, 0 };
	struct sm_smtpc *c;
	struct res r;

	if (sink_start(&s, "data552", AF_INET, "--data-reply", "552 5.3.4 Message too big for this system",
	               NULL) != 0) {
		ok(0, "sink --data-reply started");
		return;
	}
	memset(&r, 0, sizeof(r));
	c = sink_open(&s, &fail);
	if (c) {
		send_to(c, &r, "a@x.test", B("hi\n"), "b@y.test", "c@y.test", NULL);
		is_int(r.n, 0, "552 at end of data: 0");
		ok(r.rcpt[0].code == 552 && r.rcpt[1].code == 552, "552 at end of data: every recipient 552");
		is_str(r.msg.text, "552 5.3.4 Message too big for this system", "552 at end of data: msg");
		is_int(sm_smtpc_usable(c), 1, "552 at end of data: still usable");
		is_int(sink_count(&s), 0, "552 at end of data: nothing stored");
		res_free(&r);
		sm_smtpc_close(c, 1);
	} else {
		ok(0, "connected to sink --data-reply");
	}
	sink_stop(&s);
}

/* test_421 - 421 to MAIL and to one RCPT */
static void test_421(void)
{
	struct sink s;
	struct sm_smtpc_reply fail = { 0, NULL, 0 };
	struct sm_smtpc *c;
	struct res r;
	char *log;

	memset(&r, 0, sizeof(r));
	if (sink_start(&s, "close421", AF_INET, "--close-after-mail", NULL) == 0 &&
	    (c = sink_open(&s, &fail))) {
		send_to(c, &r, "a@x.test", B("hi\n"), "b@y.test", "c@y.test", NULL);
		is_int(r.n, 0, "421 to MAIL: 0");
		ok(r.rcpt[0].code == 421 && r.rcpt[1].code == 421,
		   "421 to MAIL: every recipient gets the 421");
		like(r.rcpt[1].text, "421 4.3.2 sink.test closing connection", "421 to MAIL: its text");
		is_int(r.msg.code, 421, "421 to MAIL: msg too");
		is_int(sm_smtpc_usable(c), 0, "421 to MAIL: connection unusable");
		res_free(&r);
		send_to(c, &r, "a@x.test", B("hi\n"), "b@y.test", NULL);
		ok(r.n == 0 && r.rcpt[0].code == 451, "send on an unusable connection: 451 at once");
		like(r.rcpt[0].text, "4.4.2 mx.test[127.0.0.1]: connection no longer usable", "... its text");
		res_free(&r);
		sm_smtpc_close(c, 1);
		log = sink_log_new(&s);
		ok(strstr(log, "QUIT") == NULL, "421: no QUIT on close");
		free(log);
	} else {
		ok(0, "sink --close-after-mail");
	}
	sink_stop(&s);

	if (sink_start(&s, "rcpt421", AF_INET, "--rcpt-reply", "^two@=421 4.3.2 going down", NULL) == 0 &&
	    (c = sink_open(&s, &fail))) {
		send_to(c, &r, "a@x.test", B("hi\n"), "one@y.test", "two@y.test", "three@y.test", NULL);
		is_int(r.n, 0, "421 to a RCPT: 0");
		ok(r.rcpt[0].code == 421 && r.rcpt[1].code == 421 && r.rcpt[2].code == 421,
		   "421 to a RCPT: the accepted one and the rest get it too");
		is_int(sm_smtpc_usable(c), 0, "421 to a RCPT: unusable");
		res_free(&r);
		sm_smtpc_close(c, 1);
	} else {
		ok(0, "sink --rcpt-reply 421");
	}
	sink_stop(&s);
}

/* test_open_failures - greeting refusals, the loop, connection refused, bad address */
static void test_open_failures(void)
{
	struct sink s;
	struct sm_smtpc_reply fail = { 0, NULL, 0 };
	struct sm_smtpc_opts o = opts;
	struct sm_smtpc *c;
	char *log;

	if (sink_start(&s, "greet554", AF_INET, "--greeting", "554 5.7.1 go away", NULL) == 0) {
		c = sink_open(&s, &fail);
		ok(c == NULL && fail.code == 554, "greeting 554: no connection, 554");
		is_str(fail.text, "554 5.7.1 go away", "greeting 554: the text as sent");
		is_int(fail.loop, 0, "greeting 554: no loop");
		log = sink_log_new(&s);
		is_str(log, "QUIT\n", "greeting 554: QUIT said, nothing else");
		free(log);
		sm_smtpc_close(c, 0);
		sm_smtpc_reply_free(&fail);
		sm_smtpc_reply_free(&fail);
		ok(fail.code == 0 && fail.text == NULL, "reply_free zeroes and can be repeated");
	} else {
		ok(0, "sink --greeting started");
	}
	sink_stop(&s);

	if (sink_start(&s, "loop", AF_INET, "--name", "CLIENT.Test", NULL) == 0) {
		c = sink_open(&s, &fail);
		ok(c == NULL && fail.code == 553 && fail.loop == 1,
		   "greeting names us (any case): 553 with loop");
		is_str(fail.text,
		       "553 5.3.5 mx.test[127.0.0.1] config error: mail loops back to me (MX problem?)",
		       "loop: text");
		sm_smtpc_reply_free(&fail);
	} else {
		ok(0, "sink --name started");
	}
	sink_stop(&s);

	o.port = free_port(AF_INET);
	c = sm_smtpc_open("closed.test", "127.0.0.1", &o, &fail);
	ok(c == NULL && fail.code == 451, "closed port: 451");
	like(fail.text, "451 4.4.1 closed.test[127.0.0.1]: connect to port",
	     "closed port: 4.4.1, host[addr]");
	sm_smtpc_reply_free(&fail);

	c = sm_smtpc_open("name.test", "name.test", &o, &fail);
	ok(c == NULL && fail.code == 451, "not an IP literal: 451");
	like(fail.text, "4.4.1", "not an IP literal: 4.4.1");
	sm_smtpc_reply_free(&fail);
}

/* test_timeouts - a stalled greeting and a stalled DATA reply, a dropped connection */
static void test_timeouts(void)
{
	struct sink s;
	struct sm_smtpc_reply fail = { 0, NULL, 0 };
	struct sm_smtpc_opts o = opts;
	struct sm_smtpc *c;
	struct res r;
	double t0, dt;

	memset(&r, 0, sizeof(r));
	if (sink_start(&s, "stallgreet", AF_INET, "--stall-at", "greeting", NULL) == 0) {
		o.port = s.port;
		o.greeting_timeout = 1;
		t0 = now_s();
		c = sm_smtpc_open("mx.test", "127.0.0.1", &o, &fail);
		dt = now_s() - t0;
		ok(c == NULL && fail.code == 451, "stalled greeting: 451");
		like(fail.text, "4.4.2 mx.test[127.0.0.1]: timed out while reading the greeting",
		     "... timed out");
		ok(dt > 0.8 && dt < 2.5, "stalled greeting: gave up after about 1 s (%.2f s)", dt);
		sm_smtpc_reply_free(&fail);
	} else {
		ok(0, "sink --stall-at greeting started");
	}
	sink_stop(&s);

	o = opts;
	if (sink_start(&s, "stalldata", AF_INET, "--stall-at", "data", NULL) == 0) {
		o.port = s.port;
		o.reply_timeout = 1;
		c = sm_smtpc_open("mx.test", "127.0.0.1", &o, &fail);
		if (ok(c != NULL, "stalled DATA: connected")) {
			t0 = now_s();
			send_to(c, &r, "a@x.test", B("hi\n"), "b@y.test", "c@y.test", NULL);
			dt = now_s() - t0;
			is_int(r.n, 0, "stalled DATA: 0");
			ok(r.rcpt[0].code == 451 && r.rcpt[1].code == 451 && r.msg.code == 451,
			   "stalled DATA: 451 for all and msg");
			like(r.rcpt[0].text,
			     "451 4.4.2 mx.test[127.0.0.1]: timed out while reading the reply to DATA",
			     "stalled DATA: 4.4.2, names the stage");
			ok(dt > 0.8 && dt < 2.5, "stalled DATA: gave up after about 1 s (%.2f s)", dt);
			is_int(sm_smtpc_usable(c), 0, "stalled DATA: unusable");
			res_free(&r);
			t0 = now_s();
			sm_smtpc_close(c, 1);
			ok(now_s() - t0 < 0.5, "close of an unusable connection does not wait");
		}
	} else {
		ok(0, "sink --stall-at data started");
	}
	sink_stop(&s);

	if (sink_start(&s, "dropdot", AF_INET, "--drop-at", "dot", NULL) == 0 && (c = sink_open(&s, &fail))) {
		send_to(c, &r, "a@x.test", B("hi\n"), "b@y.test", NULL);
		ok(r.n == 0 && r.rcpt[0].code == 451, "connection lost after the body: 451");
		like(r.rcpt[0].text,
		     "4.4.2 mx.test[127.0.0.1]: lost connection while reading the reply to the end",
		     "... lost connection, names the stage");
		is_int(sm_smtpc_usable(c), 0, "... unusable");
		res_free(&r);
		sm_smtpc_close(c, 1);
	} else {
		ok(0, "sink --drop-at dot");
	}
	sink_stop(&s);
}

/* test_helo - EHLO refused: HELO, no extensions, no parameters */
static void test_helo(void)
{
	struct sink s;
	struct sm_smtpc_reply fail = { 0, NULL, 0 };
	struct sm_smtpc *c;
	struct res r;
	char *log;

	memset(&r, 0, sizeof(r));
	if (sink_start(&s, "helo", AF_INET, "--no-ehlo", NULL) != 0 || (c = sink_open(&s, &fail)) == NULL) {
		ok(0, "sink --no-ehlo");
		sink_stop(&s);
		return;
	}
	is_int(sm_smtpc_ext(c), 0, "HELO fallback: no extensions, not even ESMTP");
	send_to(c, &r, "a@x.test", B("h\xe9llo\n"), "b@y.test", NULL);
	is_int(r.n, 1, "HELO fallback: accepted");
	log = sink_log_new(&s);
	is_str(log, "EHLO " HELO "\nHELO " HELO "\nMAIL FROM:<a@x.test>\nRCPT TO:<b@y.test>\nDATA\n",
	       "HELO fallback: EHLO, HELO, then plain lock-step commands");
	free(log);
	res_free(&r);
	sm_smtpc_close(c, 1);
	sink_stop(&s);
}

/* test_fail_first - a 4xx then a 250 (sink.py --fail-first) */
static void test_fail_first(void)
{
	struct sink s;
	struct sm_smtpc_reply fail = { 0, NULL, 0 };
	struct sm_smtpc *c;
	struct res r;

	memset(&r, 0, sizeof(r));
	if (sink_start(&s, "failfirst", AF_INET, "--fail-first", "1", NULL) != 0 ||
	    (c = sink_open(&s, &fail)) == NULL) {
		ok(0, "sink --fail-first");
		sink_stop(&s);
		return;
	}
	send_to(c, &r, "a@x.test", B("hi\n"), "b@y.test", NULL);
	ok(r.n == 0 && r.rcpt[0].code == 451, "--fail-first 1: first try 451");
	is_str(r.rcpt[0].text, "451 4.3.0 Error: try again later", "--fail-first 1: its text");
	res_free(&r);
	send_to(c, &r, "a@x.test", B("hi\n"), "b@y.test", NULL);
	ok(r.n == 1 && r.rcpt[0].code == 250, "--fail-first 1: second try 250 on the same connection");
	res_free(&r);
	sm_smtpc_close(c, 1);
	sink_stop(&s);
}

/* test_ipv6 - an IPv6 literal, when the host has ::1 */
static void test_ipv6(void)
{
	struct sink s;
	struct sm_smtpc_reply fail = { 0, NULL, 0 };
	struct sm_smtpc_opts o = opts;
	struct sm_smtpc *c;
	struct res r;

	if (free_port(AF_INET6) == 0) {
		ok(1, "# SKIP no IPv6 loopback");
		return;
	}
	if (sink_start(&s, "ipv6", AF_INET6, NULL) != 0) {
		ok(0, "sink on [::1] started");
		return;
	}
	memset(&r, 0, sizeof(r));
	o.port = s.port;
	c = sm_smtpc_open("mx6.test", "::1", &o, &fail);
	if (ok(c != NULL, "IPv6 literal ::1: connected")) {
		send_to(c, &r, "a@x.test", B("six\n"), "b@y.test", NULL);
		is_int(r.n, 1, "IPv6: message accepted");
		res_free(&r);
		sm_smtpc_close(c, 1);
	}
	sm_smtpc_reply_free(&fail);
	sink_stop(&s);
}

int main(int argc, char **argv)
{
	const char *tmp = getenv("TMPDIR");
	char tmpl[4096], *self;

	(void)argc;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (access(PYTHON, X_OK) != 0) {
		printf("1..0 # SKIP %s is missing\n", PYTHON);
		return 0;
	}
	srcdir = getenv("top_srcdir");
	if (srcdir == NULL || srcdir[0] == '\0') {
		self = sm_strdup(argv[0]);
		srcdir = sm_asprintf("%s/..", dirname(self));
		free(self);
	}
	/* SIGPIPE stays at its default: the client must never raise it */
	atexit(reap_all);
	snprintf(tmpl, sizeof(tmpl), "%s/t_smtpc.XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
	if (test_dir_make(tmpl) != 0) {
		printf("Bail out! mkdtemp %s: %s\n", tmpl, strerror(errno));
		return 1;
	}

	test_stuff();
	test_scripts();
	test_main();
	test_nodsn();
	test_lockstep();
	test_refusals();
	test_data_refused();
	test_early_refusals();
	test_many();
	test_421();
	test_open_failures();
	test_timeouts();
	test_helo();
	test_fail_first();
	test_ipv6();

	reap_all();
	test_dir_remove();
	return done_testing();
}
