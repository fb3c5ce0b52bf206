/*
 * tests/t_submit.c - TAP tests of command-line submission (server/submit.c)
 *
 * SYNOPSIS
 *	tests/t_submit
 *
 * DESCRIPTION
 *	Feeds messages to sm_submit_read() through fmemopen() and checks the
 *	status, the error text, the envelope (sender, recipients, ENVID, RET,
 *	NOTIFY) and the stored text: recipients from the arguments and with
 *	-t (folded fields, comments, groups, "Name" <addr>, exclusion of the
 *	arguments, Bcc: removal, Resent- fields), headers added once and
 *	never when present, X-Authentication-Warning for -f, dots with and
 *	without -i, line ends (LF, CRLF, lone CR) always stored as CRLF, a
 *	message without header or separator, NUL, the size limit, read
 *	errors and bad options. Runs with TZ=UTC (and two other zones for
 *	the Date: check); reads no configuration.
 *
 * DIAGNOSTICS
 *	TAP on stdout; exit status non-zero if a test failed.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "server/queue.h"
#include "server/submit.h"
#include "tests/testutil.h"

#define NOW 1230768000 /* Thu, 1 Jan 2009 00:00:00 UTC */
#define DATE "Thu, 1 Jan 2009 00:00:00 +0000"
#define RECEIVED "Received: (from jun@localhost)\r\n\tby mx.example.com (switchmail);\r\n\t" DATE "\r\n"
#define MAXSUB 8

/* one submission and what must come of it */
struct submit_case {
	const char *name;
	const char *input;
	size_t len;                /* 0: strlen(input) */
	struct sm_submit_opts o;   /* user, hostname, domain and now filled in when unset */
	int status;                /* sysexits */
	const char *err;           /* expected start of the message, or NULL for none */
	const char *sender;        /* envelope sender, "" for <> */
	const char *rcpts;         /* recipients joined by spaces */
	const char *has[MAXSUB];   /* each exactly once in the stored text */
	const char *lacks[MAXSUB]; /* none of these in it */
	const char *body;          /* the text after the first empty line, or NULL */
};

/* ARGS - .rcpts and .nrcpts of a literal list of address arguments */
#define ARGS(...)                                                                                            \
	(char *const[]){ __VA_ARGS__ }, .nrcpts = sizeof((char *const[]){ __VA_ARGS__ }) / sizeof(char *)

static const struct submit_case cases[] = {
	/* the plain case: recipients from the arguments, headers added */
	{ .name = "argument recipient, added headers",
	  .input = "Subject: hi\n\nhello\n",
	  .o = { .rcpts = ARGS("kim") },
	  .status = EX_OK,
	  .sender = "jun@example.com",
	  .rcpts = "kim@example.com",
	  .has = { RECEIVED, "Subject: hi\r\n", "From: jun@example.com\r\n", "Date: " DATE "\r\n",
	           "Message-ID: <20090101000000." },
	  .lacks = { "X-Authentication-Warning", "Resent-" },
	  .body = "hello\r\n" },
	{ .name = "CRLF input is stored the same",
	  .input = "Subject: hi\r\n\r\nhello\r\n",
	  .o = { .rcpts = ARGS("kim") },
	  .status = EX_OK,
	  .sender = "jun@example.com",
	  .rcpts = "kim@example.com",
	  .has = { "Subject: hi\r\n", "From: jun@example.com\r\n" },
	  .body = "hello\r\n" },
	{ .name = "argument lists: commas, display names, duplicates, case of the domain",
	  .input = "Subject: s\n\nb\n",
	  .o = { .rcpts = ARGS("Kim <kim@Example.ORG>, lee", "kim@example.org", "lee (Lee)", "\\jun") },
	  .status = EX_OK,
	  .rcpts = "kim@example.org lee@example.com \\jun@example.com",
	  .body = "b\r\n" },
	{ .name = "empty argument elements are skipped",
	  .input = "Subject: s\n\nb\n",
	  .o = { .rcpts = ARGS("", " , kim ,") },
	  .status = EX_OK,
	  .rcpts = "kim@example.com" },

	/* -t */
	{ .name = "-t: To, Cc, Bcc; Bcc removed",
	  .input =
	      "To: a@x.org, \"B, b\" <b@x.org>\nCc: c (Mr. C, a comment)\nBcc: d@x.org\nSubject: s\n\nbody\n",
	  .o = { .from_headers = 1 },
	  .status = EX_OK,
	  .sender = "jun@example.com",
	  .rcpts = "a@x.org b@x.org c@example.com d@x.org",
	  .has = { "To: a@x.org, \"B, b\" <b@x.org>\r\nCc: c (Mr. C, a comment)\r\nSubject: s\r\n" },
	  .lacks = { "Bcc", "d@x.org" },
	  .body = "body\r\n" },
	{ .name = "-t: folded fields, names in any case",
	  .input = "TO: a@x.org,\n  b@x.org\n\t, c@x.org\ncc:\n d@x.org\nSubject: s\n\nb\n",
	  .o = { .from_headers = 1 },
	  .status = EX_OK,
	  .rcpts = "a@x.org b@x.org c@x.org d@x.org",
	  .has = { "TO: a@x.org,\r\n  b@x.org\r\n\t, c@x.org\r\ncc:\r\n d@x.org\r\n" } },
	{ .name = "-t: groups, route, address literal, quoted local part",
	  .input = "To: Friends: a@x.org, \"Lee: B\" <b@x.org>;, undisclosed-recipients:;\n"
	           "Cc: <@relay.org:c@x.org>, d@[IPv6:2001:db8::1], \"e f\"@x.org (who: e)\n\nb\n",
	  .o = { .from_headers = 1 },
	  .status = EX_OK,
	  .rcpts = "a@x.org b@x.org c@x.org d@[IPv6:2001:db8::1] \"e f\"@x.org" },
	{ .name = "-t: an empty group only is no recipient",
	  .input = "To: undisclosed-recipients:;\n\nb\n",
	  .o = { .from_headers = 1 },
	  .status = EX_USAGE,
	  .err = "No recipient addresses found in header" },
	{ .name = "-t: no recipient field at all",
	  .input = "Subject: s\n\nb\n",
	  .o = { .from_headers = 1 },
	  .status = EX_USAGE,
	  .err = "No recipient addresses found in header" },
	{ .name = "-t: argument addresses are excluded from the header list",
	  .input = "To: a@x.org, b@x.org, c@example.com\nCc: a@x.org\n\nb\n",
	  .o = { .from_headers = 1, .rcpts = ARGS("b@X.ORG", "c") },
	  .status = EX_OK,
	  .rcpts = "a@x.org",
	  .has = { "To: a@x.org, b@x.org, c@example.com\r\n" } },
	{ .name = "-t: arguments are not recipients themselves",
	  .input = "To: a@x.org\n\nb\n",
	  .o = { .from_headers = 1, .rcpts = ARGS("z@x.org") },
	  .status = EX_OK,
	  .rcpts = "a@x.org" },
	{ .name = "-t: only excluded addresses leaves none",
	  .input = "To: a@x.org\n\nb\n",
	  .o = { .from_headers = 1, .rcpts = ARGS("a@x.org") },
	  .status = EX_USAGE,
	  .err = "No recipient addresses found in header" },
	{ .name = "-t: Resent- fields replace To/Cc/Bcc; both Bcc kinds removed",
	  .input = "To: old@x.org\nResent-To: new@x.org\nResent-Bcc: hidden@x.org\nBcc: oldbcc@x.org\n\nb\n",
	  .o = { .from_headers = 1 },
	  .status = EX_OK,
	  .rcpts = "new@x.org hidden@x.org",
	  .has = { "To: old@x.org\r\nResent-To: new@x.org\r\nFrom: jun@example.com\r\n",
	           "Resent-From: jun@example.com\r\n", "Resent-Date: " DATE "\r\n", "Resent-Message-ID: <",
	           "\r\nMessage-ID: <" },
	  .lacks = { "Bcc", "hidden", "oldbcc" } },
	{ .name = "Resent- fields present are not added again",
	  .input = "Resent-From: a@x.org\nResent-Date: Mon, 1 Dec 2008 10:00:00 +0100\nresent-message-id: "
	           "<r@x>\n\nb\n",
	  .o = { .rcpts = ARGS("kim") },
	  .status = EX_OK,
	  .has = { "Resent-From: a@x.org\r\n", "Resent-Date: Mon", "resent-message-id: <r@x>\r\n" },
	  .lacks = { "Resent-Message-ID", "Resent-Date: Thu", "Resent-From: jun" } },
	{ .name = "Bcc removed without -t too",
	  .input = "Bcc: secret@x.org\nSubject: s\n\nb\n",
	  .o = { .rcpts = ARGS("kim") },
	  .status = EX_OK,
	  .rcpts = "kim@example.com",
	  .lacks = { "Bcc", "secret" } },
	{ .name = "-t: a bad header address",
	  .input = "To: a@x.org, b@\n\nb\n",
	  .o = { .from_headers = 1 },
	  .status = EX_DATAERR,
	  .err = "b@... Missing domain after '@'" },
	{ .name = "-t: a file target in the header",
	  .input = "To: /etc/passwd\n\nb\n",
	  .o = { .from_headers = 1 },
	  .status = EX_NOPERM,
	  .err = "/etc/passwd... Cannot mail directly to files" },
	{ .name = "-t: a quoted program in the header",
	  .input = "To: \"|/bin/sh -c evil\"\n\nb\n",
	  .o = { .from_headers = 1 },
	  .status = EX_NOPERM,
	  .err = "\"|/bin/sh -c evil\"... Cannot mail directly to programs" },
	{ .name = "-t: <> in the header",
	  .input = "To: <>\n\nb\n",
	  .o = { .from_headers = 1 },
	  .status = EX_DATAERR,
	  .err = "<>... Invalid recipient" },
	{ .name = "-t: a lone CR in the header splits the field (Bcc cannot hide behind it)",
	  .input = "To: a@x.org\rBcc: b@x.org\n\nbody\n",
	  .o = { .from_headers = 1 },
	  .status = EX_OK,
	  .rcpts = "a@x.org b@x.org",
	  .has = { "To: a@x.org\r\n" },
	  .lacks = { "Bcc", "b@x.org" } },

	/* argument errors */
	{ .name = "no recipient arguments without -t",
	  .input = "Subject: s\n\nb\n",
	  .status = EX_USAGE,
	  .err = "Recipient names must be specified" },
	{ .name = "a bad argument address",
	  .input = "Subject: s\n\nb\n",
	  .o = { .rcpts = ARGS("kim", "a<b") },
	  .status = EX_USAGE,
	  .err = "a<b... Unbalanced '<'" },
	{ .name = "a bad argument address with -t",
	  .input = "To: a@x.org\n\nb\n",
	  .o = { .from_headers = 1, .rcpts = ARGS("x@") },
	  .status = EX_USAGE,
	  .err = "x@... Missing domain after '@'" },
	{ .name = "a program argument",
	  .input = "Subject: s\n\nb\n",
	  .o = { .rcpts = ARGS("|/bin/sh") },
	  .status = EX_NOPERM,
	  .err = "|/bin/sh... Cannot mail directly to programs" },
	{ .name = "an :include: argument",
	  .input = "Subject: s\n\nb\n",
	  .o = { .rcpts = ARGS(":include:/etc/mail/list") },
	  .status = EX_NOPERM,
	  .err = ":include:/etc/mail/list... Cannot mail directly to :include:s" },
	{ .name = "an unqualified argument too long once qualified",
	  .input = "Subject: s\n\nb\n",
	  .o = { .rcpts = ARGS("kimkim"),
	         .user = "j",
	         .domain = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
	                   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
	                   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
	                   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" },
	  .status = EX_USAGE,
	  .err = "kimkim@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa." },

	/* headers given are not added again */
	{ .name = "From, Date, Message-ID present (any case): not added",
	  .input = "from: Me <me@x.org>\nDATE: Mon, 1 Dec 2008 10:00:00 +0100\nmessage-id: <x@y>\n\nb\n",
	  .o = { .rcpts = ARGS("kim") },
	  .status = EX_OK,
	  .has = { "from: Me <me@x.org>\r\n", "DATE: Mon", "message-id: <x@y>\r\n", "Received: " },
	  .lacks = { "From: jun", "Date: ", "Message-ID: " } },
	{ .name = "-F: quoted full name",
	  .input = "Subject: s\n\nb\n",
	  .o = { .rcpts = ARGS("kim"), .fullname = "Jun \"J\" Lee\\" },
	  .status = EX_OK,
	  .has = { "From: \"Jun \\\"J\\\" Lee\\\\\" <jun@example.com>\r\n" } },
	{ .name = "-F with a control character",
	  .input = "Subject: s\n\nb\n",
	  .o = { .rcpts = ARGS("kim"), .fullname = "Jun\nBcc: x@y" },
	  .status = EX_USAGE,
	  .err = "Invalid -F argument (control character)" },

	/* -f */
	{ .name = "-f by a user who is not trusted: warning",
	  .input = "Subject: s\n\nb\n",
	  .o = { .rcpts = ARGS("kim"), .from = "Boss <boss@X.org>" },
	  .status = EX_OK,
	  .sender = "boss@x.org",
	  .has = { "X-Authentication-Warning: mx.example.com: jun set sender to boss@x.org using -f\r\n",
	           "From: boss@x.org\r\n" } },
	{ .name = "-f by a trusted user: no warning",
	  .input = "Subject: s\n\nb\n",
	  .o = { .rcpts = ARGS("kim"), .from = "boss@x.org", .trusted = 1 },
	  .status = EX_OK,
	  .sender = "boss@x.org",
	  .has = { "From: boss@x.org\r\n" },
	  .lacks = { "X-Authentication-Warning" } },
	{ .name = "-f of one's own address: no warning",
	  .input = "Subject: s\n\nb\n",
	  .o = { .rcpts = ARGS("kim"), .from = "jun" },
	  .status = EX_OK,
	  .sender = "jun@example.com",
	  .lacks = { "X-Authentication-Warning" } },
	{ .name = "-f <>: null sender, warning, From: is the user",
	  .input = "Subject: s\n\nb\n",
	  .o = { .rcpts = ARGS("kim"), .from = "<>", .fullname = "Jun" },
	  .status = EX_OK,
	  .sender = "",
	  .has = { "X-Authentication-Warning: mx.example.com: jun set sender to <> using -f\r\n",
	           "From: \"Jun\" <jun@example.com>\r\n" } },
	{ .name = "-f \"\": null sender too",
	  .input = "Subject: s\n\nb\n",
	  .o = { .rcpts = ARGS("kim"), .from = "" },
	  .status = EX_OK,
	  .sender = "",
	  .has = { "X-Authentication-Warning: mx.example.com: jun set sender to <> using -f\r\n",
	           "From: jun@example.com\r\n" } },
	{ .name = "-f unparsable",
	  .input = "Subject: s\n\nb\n",
	  .o = { .rcpts = ARGS("kim"), .from = "a\"b" },
	  .status = EX_USAGE,
	  .err = "a\"b... Unbalanced '\"'" },
	{ .name = "-f a program",
	  .input = "Subject: s\n\nb\n",
	  .o = { .rcpts = ARGS("kim"), .from = "|/bin/true" },
	  .status = EX_USAGE,
	  .err = "|/bin/true... Invalid sender address" },

	/* dots and line ends */
	{ .name = "without -i: \".\" ends, \"..\" loses a dot, \".x\" stays",
	  .input = "Subject: s\n\nline1\n..dots\n.x\n...\n.\nafter\n",
	  .o = { .rcpts = ARGS("kim") },
	  .status = EX_OK,
	  .body = "line1\r\n.dots\r\n.x\r\n..\r\n" },
	{ .name = "with -i: dots mean nothing",
	  .input = "Subject: s\n\nline1\n..dots\n.x\n.\nafter\n",
	  .o = { .rcpts = ARGS("kim"), .ignore_dots = 1 },
	  .status = EX_OK,
	  .body = "line1\r\n..dots\r\n.x\r\n.\r\nafter\r\n" },
	{ .name = "\".\" CRLF ends too",
	  .input = "Subject: s\r\n\r\na\r\n.\r\nafter\r\n",
	  .o = { .rcpts = ARGS("kim") },
	  .status = EX_OK,
	  .body = "a\r\n" },
	{ .name = "\".\" in the header section ends the message",
	  .input = "Subject: s\n.\nTo: x\n",
	  .o = { .rcpts = ARGS("kim") },
	  .status = EX_OK,
	  .has = { "Subject: s\r\n" },
	  .lacks = { "To: x" },
	  .body = "" },
	{ .name = "\".\" at the end without a newline ends",
	  .input = "Subject: s\n\na\n.",
	  .o = { .rcpts = ARGS("kim") },
	  .status = EX_OK,
	  .body = "a\r\n" },
	{ .name = "a line after a lone CR is no line start",
	  .input = "Subject: s\n\na\r.\nb\r..\n",
	  .o = { .rcpts = ARGS("kim") },
	  .status = EX_OK,
	  .body = "a\r\n.\r\nb\r\n..\r\n" },
	{ .name = "\".\" ended by a lone CR does not end the message",
	  .input = "Subject: s\n\na\n.\rb\n",
	  .o = { .rcpts = ARGS("kim") },
	  .status = EX_OK,
	  .body = "a\r\n.\r\nb\r\n" },
	{ .name = "a last line without its newline is kept",
	  .input = "Subject: s\n\na\nb",
	  .o = { .rcpts = ARGS("kim") },
	  .status = EX_OK,
	  .body = "a\r\nb\r\n" },
	{ .name = "a CR at the very end ends the last line",
	  .input = "Subject: s\n\na\r",
	  .o = { .rcpts = ARGS("kim") },
	  .status = EX_OK,
	  .body = "a\r\n" },
	{ .name = "CR CR LF: two line ends",
	  .input = "Subject: s\n\na\r\r\nb\n",
	  .o = { .rcpts = ARGS("kim") },
	  .status = EX_OK,
	  .body = "a\r\n\r\nb\r\n" },

	/* header and body */
	{ .name = "no header at all: everything is body, separator inserted",
	  .input = "hello world\nSubject: not a header here\n",
	  .o = { .rcpts = ARGS("kim") },
	  .status = EX_OK,
	  .has = { "From: jun@example.com\r\n" },
	  .lacks = { "Subject: not a header here\r\n\r\n" },
	  .body = "hello world\r\nSubject: not a header here\r\n" },
	{ .name = "the header ends at the first line that is not a field",
	  .input = "Subject: s\nnot a header\nTo: x\n",
	  .o = { .rcpts = ARGS("kim") },
	  .status = EX_OK,
	  .has = { "Subject: s\r\n" },
	  .body = "not a header\r\nTo: x\r\n" },
	{ .name = "a continuation as first line is body",
	  .input = " folded\nSubject: s\n",
	  .o = { .rcpts = ARGS("kim") },
	  .status = EX_OK,
	  .body = " folded\r\nSubject: s\r\n" },
	{ .name = "\"--\" starts no field; blanks before ':' do",
	  .input = "Subject : s\n--boundary: x\n",
	  .o = { .rcpts = ARGS("kim") },
	  .status = EX_OK,
	  .has = { "Subject : s\r\n" },
	  .body = "--boundary: x\r\n" },
	{ .name = "a Unix From_ line is dropped",
	  .input = "From jun Thu Jan  1 00:00:00 2009\nSubject: s\n\nb\n",
	  .o = { .rcpts = ARGS("kim") },
	  .status = EX_OK,
	  .has = { "Subject: s\r\n" },
	  .lacks = { "From jun" },
	  .body = "b\r\n" },
	{ .name = "empty input",
	  .input = "",
	  .o = { .rcpts = ARGS("kim") },
	  .status = EX_OK,
	  .has = { "From: jun@example.com\r\n", "Date: ", "Message-ID: " },
	  .body = "" },
	{ .name = "8-bit bytes are kept",
	  .input = "Subject: caf\xc3\xa9\n\n\xe2\x82\xac\n",
	  .o = { .rcpts = ARGS("kim") },
	  .status = EX_OK,
	  .has = { "Subject: caf\xc3\xa9\r\n" },
	  .body = "\xe2\x82\xac\r\n" },

	/* refusals of the input */
	{ .name = "NUL in the header",
	  .input = "Subject: a\0b\n\nx\n",
	  .len = 16,
	  .o = { .rcpts = ARGS("kim") },
	  .status = EX_DATAERR,
	  .err = "Message contains NUL" },
	{ .name = "NUL in the body",
	  .input = "Subject: s\n\nx\0\n",
	  .len = 15,
	  .o = { .rcpts = ARGS("kim") },
	  .status = EX_DATAERR,
	  .err = "Message contains NUL" },
	{ .name = "NUL after the \".\" line is never read",
	  .input = "Subject: s\n\nx\n.\n\0\n",
	  .len = 18,
	  .o = { .rcpts = ARGS("kim") },
	  .status = EX_OK,
	  .body = "x\r\n" },
	{ .name = "size limit: exactly at it (12 + 2 + 12 stored bytes)",
	  .input = "Subject: s\n\n0123456789\n",
	  .o = { .rcpts = ARGS("kim"), .max_size = 26 },
	  .status = EX_OK,
	  .body = "0123456789\r\n" },
	{ .name = "size limit: one byte over",
	  .input = "Subject: s\n\n0123456789\n",
	  .o = { .rcpts = ARGS("kim"), .max_size = 25 },
	  .status = EX_DATAERR,
	  .err = "Message exceeds maximum fixed size (25)" },

	/* options */
	{ .name = "-V with a blank",
	  .input = "Subject: s\n\nb\n",
	  .o = { .rcpts = ARGS("kim"), .envid = "a b" },
	  .status = EX_USAGE,
	  .err = "Invalid syntax in -V flag" },
	{ .name = "-V too long",
	  .input = "Subject: s\n\nb\n",
	  .o = { .rcpts = ARGS("kim"),
	         .envid = "0123456789012345678901234567890123456789012345678901234567890123456789"
	                  "01234567890123456789012345678901" },
	  .status = EX_USAGE,
	  .err = "Invalid syntax in -V flag" },
	{ .name = "a bad host name",
	  .input = "Subject: s\n\nb\n",
	  .o = { .rcpts = ARGS("kim"), .hostname = "bad..host" },
	  .status = EX_CONFIG,
	  .err = "Invalid host name bad..host: " },
	{ .name = "a bad mail domain",
	  .input = "Subject: s\n\nb\n",
	  .o = { .rcpts = ARGS("kim"), .domain = "-x.org" },
	  .status = EX_CONFIG,
	  .err = "Invalid mail domain -x.org: " },
	{ .name = "a user name that is no local part",
	  .input = "Subject: s\n\nb\n",
	  .o = { .rcpts = ARGS("kim"), .user = "a b" },
	  .status = EX_SOFTWARE,
	  .err = "Invalid user name a b: " },
};

/* count - occurrences of needle in the len bytes at hay */
static int count(const char *hay, size_t len, const char *needle)
{
	size_t n = strlen(needle), i;
	int c = 0;

	for (i = 0; n && i + n <= len; i++)
		if (memcmp(hay + i, needle, n) == 0)
			c++;
	return c;
}

/* crlf_only - every CR is followed by LF and every LF preceded by CR */
static int crlf_only(const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (p[i] == '\r' && (i + 1 == len || p[i + 1] != '\n'))
			return 0;
		if (p[i] == '\n' && (i == 0 || p[i - 1] != '\r'))
			return 0;
	}
	return 1;
}

/* submit - run sm_submit_read on len bytes of input with o (defaults filled in) */
static int submit(const char *input, size_t len, const struct sm_submit_opts *given, struct sm_qmsg **mp,
                  struct sm_buf *err)
{
	struct sm_submit_opts o = *given;
	FILE *in = fmemopen((void *)(len ? input : "x"), len ? len : 1, "r");
	int st;

	if (len == 0 && in)
		fgetc(in); /* fmemopen() of 0 bytes is not portable: read the one byte away */
	if (o.user == NULL)
		o.user = "jun";
	if (o.hostname == NULL)
		o.hostname = "mx.example.com";
	if (o.domain == NULL)
		o.domain = "example.com";
	if (o.now == 0)
		o.now = NOW;
	st = sm_submit_read(in, &o, mp, err);
	if (in)
		fclose(in);
	return st;
}

/* rcpt_list - the recipients joined by spaces, into b */
static const char *rcpt_list(const struct sm_qmsg *m, struct sm_buf *b)
{
	size_t i;

	sm_buf_reset(b);
	for (i = 0; i < m->nrcpt; i++)
		sm_buf_printf(b, "%s%s", i ? " " : "", m->rcpt[i].addr.data);
	return sm_buf_str(b);
}

/* test_cases - the table above */
static void test_cases(void)
{
	struct sm_buf err = SM_BUF_INIT, b = SM_BUF_INIT;
	size_t i, j;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct submit_case *c = &cases[i];
		struct sm_qmsg *m = NULL;
		size_t len = c->len ? c->len : strlen(c->input);
		int st;

		sm_buf_reset(&err);
		st = submit(c->input, len, &c->o, &m, &err);
		if (!is_int(st, c->status, c->name))
			diag("error: %s", sm_buf_str(&err));
		if (c->status != EX_OK) {
			ok(m == NULL, "  no message");
			if (!ok(c->err && strncmp(sm_buf_str(&err), c->err, strlen(c->err)) == 0,
			        "  message %s", c->err))
				diag("got \"%s\"", sm_buf_str(&err));
			continue;
		}
		if (!ok(m != NULL, "  a message"))
			continue;
		is_int((long)err.len, 0, "  no error text");
		if (c->sender)
			is_str(m->sender.len ? m->sender.data : "", c->sender, "  envelope sender");
		if (c->rcpts)
			is_str(rcpt_list(m, &b), c->rcpts, "  recipients");
		ok(crlf_only(m->body.data, m->body.len), "  every line ends in CRLF");
		ok(count(m->body.data, m->body.len, "\r\n\r\n") >= 1, "  header and body are separated");
		for (j = 0; j < MAXSUB && c->has[j]; j++)
			if (!is_int(count(m->body.data, m->body.len, c->has[j]), 1, "  holds a string once"))
				diag("missing or repeated: \"%s\"", c->has[j]);
		for (j = 0; j < MAXSUB && c->lacks[j]; j++)
			if (!is_int(count(m->body.data, m->body.len, c->lacks[j]), 0, "  lacks a string"))
				diag("present: \"%s\"", c->lacks[j]);
		if (c->body) {
			const char *sep = strstr(m->body.data, "\r\n\r\n");

			is_str(sep ? sep + 4 : NULL, c->body, "  body");
		}
		sm_qmsg_free(m);
	}
	sm_buf_free(&err);
	sm_buf_free(&b);
}

/* test_envelope - ENVID, RET, NOTIFY, arrival, empty id, Message-ID form and uniqueness */
static void test_envelope(void)
{
	static const char input[] = "Subject: s\n\nb\n";
	struct sm_submit_opts o = { .rcpts = ARGS("kim", "lee@x.org"),
		                    .notify = SM_NOTIFY_SUCCESS | SM_NOTIFY_FAILURE,
		                    .ret = SM_RET_HDRS,
		                    .envid = "QQ+2B1" };
	struct sm_qmsg *m1 = NULL, *m2 = NULL;
	struct sm_buf err = SM_BUF_INIT;
	const char *id1, *id2;

	is_int(submit(input, sizeof(input) - 1, &o, &m1, &err), EX_OK, "-N -R -V: accepted");
	if (m1 == NULL)
		return;
	is_str(m1->envid.data, "QQ+2B1", "  ENVID stored");
	is_int(m1->ret, SM_RET_HDRS, "  RET stored");
	is_int((long)m1->nrcpt, 2, "  two recipients");
	is_int(m1->rcpt[0].notify, SM_NOTIFY_SUCCESS | SM_NOTIFY_FAILURE, "  NOTIFY on the first");
	is_int(m1->rcpt[1].notify, SM_NOTIFY_SUCCESS | SM_NOTIFY_FAILURE, "  NOTIFY on the second");
	is_int((long)m1->rcpt[0].orcpt.len, 0, "  no ORCPT");
	is_int(m1->rcpt[0].state, SM_RCPT_PENDING, "  pending");
	is_str(m1->id, "", "  id left to the queue");
	is_int((long)m1->arrival, NOW, "  arrival is now");

	o.envid = NULL;
	is_int(submit(input, sizeof(input) - 1, &o, &m2, &err), EX_OK, "a second message");
	if (m2 == NULL) {
		sm_qmsg_free(m1);
		return;
	}
	is_int((long)m2->envid.len, 0, "  no ENVID without -V");
	id1 = strstr(m1->body.data, "Message-ID: <");
	id2 = strstr(m2->body.data, "Message-ID: <");
	ok(id1 && id2, "  both have a Message-ID");
	if (id1 && id2) {
		size_t n = strcspn(id1, "\r");

		is_int((long)n,
		       (long)strlen("Message-ID: <20090101000000.") + SM_QID_LEN + strlen("@mx.example.com>"),
		       "  Message-ID: <YYYYMMDDhhmmss.QID@host>");
		ok(strncmp(id1 + n - strlen("@mx.example.com>"), "@mx.example.com>", 16) == 0,
		   "  ends in @host>");
		ok(n != strcspn(id2, "\r") || strncmp(id1, id2, n) != 0, "  the two Message-IDs differ");
	}
	sm_qmsg_free(m1);
	sm_qmsg_free(m2);
	sm_buf_free(&err);
}

/* dates in other zones */
static const struct zone_case {
	const char *tz;
	const char *date;
} zone_cases[] = {
	{ .tz = "UTC", .date = "Date: Thu, 1 Jan 2009 00:00:00 +0000\r\n" },
	{ .tz = "JST-9", .date = "Date: Thu, 1 Jan 2009 09:00:00 +0900\r\n" },
	{ .tz = "EST5", .date = "Date: Wed, 31 Dec 2008 19:00:00 -0500\r\n" },
	{ .tz = "IST-5:30", .date = "Date: Thu, 1 Jan 2009 05:30:00 +0530\r\n" },
};

/* test_zones - Date: is local time with a numeric zone */
static void test_zones(void)
{
	static const char input[] = "Subject: s\n\nb\n";
	struct sm_submit_opts o = { .rcpts = ARGS("kim") };
	struct sm_buf err = SM_BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof(zone_cases) / sizeof(zone_cases[0]); i++) {
		struct sm_qmsg *m = NULL;

		setenv("TZ", zone_cases[i].tz, 1);
		tzset();
		is_int(submit(input, sizeof(input) - 1, &o, &m, &err), EX_OK, zone_cases[i].tz);
		ok(m && strstr(m->body.data, zone_cases[i].date) != NULL, "  %.*s",
		   (int)strlen(zone_cases[i].date) - 2, zone_cases[i].date);
		sm_qmsg_free(m);
	}
	setenv("TZ", "UTC", 1);
	tzset();
	sm_buf_free(&err);
}

/* test_limits - a long line over the limit, a large message within it */
static void test_limits(void)
{
	size_t big = 1u << 20, i;
	char *text = sm_malloc(big + 64);
	struct sm_submit_opts o = { .rcpts = ARGS("kim"), .max_size = 1000 };
	struct sm_buf err = SM_BUF_INIT;
	struct sm_qmsg *m = NULL;
	size_t n;

	memset(text, 'x', big);
	is_int(submit(text, big, &o, &m, &err), EX_DATAERR, "one 1 MiB line without newline, limit 1000");
	is_str(sm_buf_str(&err), "Message exceeds maximum fixed size (1000)", "  message");
	ok(m == NULL, "  no message");

	/* many short lines, no limit: all kept */
	n = (size_t)snprintf(text, 64, "Subject: s\n\n");
	for (i = 0; n + 2 <= big; i++) {
		text[n++] = (char)('a' + i % 26);
		text[n++] = '\n';
	}
	o.max_size = 0;
	sm_buf_reset(&err);
	is_int(submit(text, n, &o, &m, &err), EX_OK, "a 1 MiB message of short lines without a limit");
	ok(m && crlf_only(m->body.data, m->body.len), "  every line ends in CRLF");
	ok(m && count(m->body.data, m->body.len, "\r\nz\r\n") == (int)((n - 12) / 2 / 26),
	   "  every line kept");
	sm_qmsg_free(m);
	free(text);
	sm_buf_free(&err);
}

/* test_read_errors - no input, input not open for reading, missing arguments */
static void test_read_errors(void)
{
	struct sm_submit_opts o = { .rcpts = ARGS("kim"), .user = "jun", .hostname = "mx.example.com" };
	struct sm_buf err = SM_BUF_INIT;
	struct sm_qmsg *m = (struct sm_qmsg *)&o;
	FILE *wr;

	is_int(sm_submit_read(NULL, &o, &m, &err), EX_NOINPUT, "no input stream");
	ok(m == NULL, "  *mp is NULL");
	ok(strncmp(sm_buf_str(&err), "Cannot read the message: ", 25) == 0,
	   "  message Cannot read the message");
	wr = fopen("/dev/null", "w");
	if (wr != NULL) {
		sm_buf_reset(&err);
		is_int(sm_submit_read(wr, &o, &m, &err), EX_NOINPUT, "a stream open for writing only");
		ok(strstr(sm_buf_str(&err), "Cannot read the message: ") != NULL,
		   "  message Cannot read the message");
		fclose(wr);
	}
	sm_buf_reset(&err);
	o.user = NULL;
	is_int(sm_submit_read(stdin, &o, &m, &err), EX_SOFTWARE, "no user name: a caller's bug");
	is_int(sm_submit_read(stdin, NULL, &m, NULL), EX_SOFTWARE, "no options, err NULL");
	o.user = "jun";
	is_int(sm_submit_read(stdin, &o, NULL, NULL), EX_SOFTWARE, "no result pointer");
	o.hostname = NULL;
	sm_buf_reset(&err);
	is_int(sm_submit_read(stdin, &o, &m, &err), EX_CONFIG, "no host name");
	is_str(sm_buf_str(&err), "Invalid host name (none): not set", "  message");
	sm_buf_free(&err);
}

int main(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	test_cases();
	test_envelope();
	test_zones();
	test_limits();
	test_read_errors();
	return done_testing();
}
