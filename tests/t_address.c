/*
 * tests/t_address.c - unit tests of the address parser (router/address.h)
 *
 * DESCRIPTION
 *	sm_addr_parse() over a table of inputs, each with the status and
 *	every field of the result (kind, text, local, domain, user, detail,
 *	has_detail, route, bang_next, target, escaped, ip_literal, utf8) or
 *	the reply, reason and exit code of the failure: addr-specs, quoted
 *	local parts, comments, display names, angle brackets, <>, source
 *	routes, bang paths both route-independent and route-dependent, the %
 *	hack left alone, the backslash escape, +detail, special targets, IP
 *	literals, case folding, trailing dots, UTF-8 and 8-bit bytes, control
 *	characters, unbalanced quotes and brackets, and each limit at and past
 *	its value. Every accepted address is parsed again from its canonical
 *	text. Then sm_addr_percent_hack(), sm_addr_domain(), error offsets and
 *	sm_addr_free(). Output is TAP (tests/tap.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "lib/buf.h"
#include "lib/mem.h"
#include "router/address.h"
#include "tests/tap.h"
#include "tests/testutil.h"

#define E(reason) "553 5.1.3 " reason

/* long strings for the limits */
#define X10 "xxxxxxxxxx"
#define X50 X10 X10 X10 X10 X10
#define X100 X50 X50
#define X1000 X100 X100 X100 X100 X100 X100 X100 X100 X100 X100
#define LAB63 X50 X10 "xxx"
#define LAB64 LAB63 "x"
#define LAB62 X50 X10 "xx"
#define LAB61 X50 X10 "x"
#define LAB58 X50 "xxxxxxxx"
#define LAB57 X50 "xxxxxxx"
#define A10 "aaaaaaaaaa"
#define A62 A10 A10 A10 A10 A10 A10 "aa"
#define A64 A62 "aa"
#define A65 A64 "a"
#define E10                                                                                                  \
	"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9" /* 10 x U+00E9 */
#define E32 E10 E10 E10 "\xc3\xa9\xc3\xa9"                                                 /* 64 bytes */
#define D255 LAB63 "." LAB63 "." LAB63 "." LAB63                                           /* 255 */
#define D256 LAB63 "." LAB63 "." LAB63 "." LAB62 ".a"                                      /* 256 */
#define D189 LAB63 "." LAB63 "." LAB61 /* 64 + 1 + 189 + 2 = path 256 */
#define D190 LAB63 "." LAB63 "." LAB62 /* path 257 */
#define D186 LAB63 "." LAB63 "." LAB58 /* with "@r:" 3 more: path 256 */
#define D185 LAB63 "." LAB63 "." LAB57
#define T1024 X1000 "xxxxxxxxxxxxxxxxxxxxxxxx"

/*
 * One input and what sm_addr_parse() must give. reply set: the call fails
 * with it. Otherwise every field is compared, NULL meaning NULL, except
 * user: NULL there means "the same as local" for a mailbox.
 */
static const struct parse_case {
	const char *name;
	const char *in;
	size_t len; /* 0: strlen(in) */
	const char *reply;
	enum sm_addr_kind kind;
	const char *text, *local, *domain, *user, *detail, *route, *bang, *target;
	int escaped, ip_literal, utf8;
} cases[] = {
	/* addr-spec, case, blanks, comments */
	{ .name = "plain",
	  .in = "user@example.com",
	  .text = "user@example.com",
	  .local = "user",
	  .domain = "example.com" },
	{ .name = "domain folded, local part kept",
	  .in = "User.Name@Example.COM",
	  .text = "User.Name@example.com",
	  .local = "User.Name",
	  .domain = "example.com" },
	{ .name = "trailing dot dropped",
	  .in = "user@Host.Domain.",
	  .text = "user@host.domain",
	  .local = "user",
	  .domain = "host.domain" },
	{ .name = "two trailing dots", .in = "user@host.domain..", .reply = E("Empty label in domain") },
	{ .name = "unqualified", .in = "postmaster", .text = "postmaster", .local = "postmaster" },
	{ .name = "blanks around",
	  .in = " \tuser@example.com\t ",
	  .text = "user@example.com",
	  .local = "user",
	  .domain = "example.com" },
	{ .name = "blanks around @",
	  .in = "user @ example.com",
	  .text = "user@example.com",
	  .local = "user",
	  .domain = "example.com" },
	{ .name = "trailing comment",
	  .in = "user@example.com (Real Name)",
	  .text = "user@example.com",
	  .local = "user",
	  .domain = "example.com" },
	{ .name = "comments everywhere",
	  .in = "(a) user(b)@(c)example.com(d)",
	  .text = "user@example.com",
	  .local = "user",
	  .domain = "example.com" },
	{ .name = "nested comment",
	  .in = "user@example.com (a (b) \\) c)",
	  .text = "user@example.com",
	  .local = "user",
	  .domain = "example.com" },
	{ .name = "dot-atom with atext",
	  .in = "a!#$&'*+-/=?^_`{|}~.b@example.com",
	  .text = "a!#$&'*+-/=?^_`{|}~.b@example.com",
	  .local = "a!#$&'*+-/=?^_`{|}~.b",
	  .user = "a!#$&'*",
	  .detail = "-/=?^_`{|}~.b",
	  .domain = "example.com" },

	/* display names and angle brackets */
	{ .name = "phrase <addr>",
	  .in = "John Smith <js@Example.org>",
	  .text = "js@example.org",
	  .local = "js",
	  .domain = "example.org" },
	{ .name = "quoted phrase with comma",
	  .in = "\"Smith, John\" <js@example.org>",
	  .text = "js@example.org",
	  .local = "js",
	  .domain = "example.org" },
	{ .name = "phrase with dot",
	  .in = "John Q. Public <jqp@example.org>",
	  .text = "jqp@example.org",
	  .local = "jqp",
	  .domain = "example.org" },
	{ .name = "UTF-8 phrase",
	  .in = "J\xc3\xbcrgen Gro\xc3\x9f <jg@example.de>",
	  .text = "jg@example.de",
	  .local = "jg",
	  .domain = "example.de" },
	{ .name = "angle brackets",
	  .in = "<js@example.org>",
	  .text = "js@example.org",
	  .local = "js",
	  .domain = "example.org" },
	{ .name = "blanks inside brackets",
	  .in = "< js@example.org >",
	  .text = "js@example.org",
	  .local = "js",
	  .domain = "example.org" },
	{ .name = "comment after >",
	  .in = "<js@example.org> (work)",
	  .text = "js@example.org",
	  .local = "js",
	  .domain = "example.org" },
	{ .name = "special in phrase",
	  .in = "js@example.org <js@example.org>",
	  .reply = E("Invalid character in phrase (quote it)") },
	{ .name = "text after >", .in = "<js@example.org> more", .reply = E("Text after '>'") },
	{ .name = "two <addr>", .in = "<a@example.org> <b@example.org>", .reply = E("More than one '<'") },
	{ .name = "nested <", .in = "<<a@example.org>>", .reply = E("More than one '<'") },

	/* the null path */
	{ .name = "<>", .in = "<>", .kind = SM_ADDR_NULL, .text = "" },
	{ .name = "< >", .in = " < > ", .kind = SM_ADDR_NULL, .text = "" },
	{ .name = "phrase <>", .in = "Mail Delivery Subsystem <>", .kind = SM_ADDR_NULL, .text = "" },

	/* quoted local parts */
	{ .name = "quoted with space",
	  .in = "\"John Doe\"@example.org",
	  .text = "\"John Doe\"@example.org",
	  .local = "John Doe",
	  .domain = "example.org" },
	{ .name = "needless quotes dropped",
	  .in = "\"john\"@example.org",
	  .text = "john@example.org",
	  .local = "john",
	  .domain = "example.org" },
	{ .name = "escaped quote",
	  .in = "\"a\\\"b\"@example.org",
	  .text = "\"a\\\"b\"@example.org",
	  .local = "a\"b",
	  .domain = "example.org" },
	{ .name = "escaped backslash",
	  .in = "\"a\\\\b\"@example.org",
	  .text = "\"a\\\\b\"@example.org",
	  .local = "a\\b",
	  .domain = "example.org" },
	{ .name = "quoted word and atom",
	  .in = "\"john\".doe@example.org",
	  .text = "john.doe@example.org",
	  .local = "john.doe",
	  .domain = "example.org" },
	{ .name = "quoted double dot",
	  .in = "\"a..b\"@example.org",
	  .text = "\"a..b\"@example.org",
	  .local = "a..b",
	  .domain = "example.org" },
	{ .name = "quoted @",
	  .in = "\"user@remote\"@example.org",
	  .text = "\"user@remote\"@example.org",
	  .local = "user@remote",
	  .domain = "example.org" },
	{ .name = "empty quoted", .in = "\"\"@example.org", .reply = E("Empty local part") },
	{ .name = "quoted then atom",
	  .in = "\"a\"b@example.org",
	  .reply = E("Missing '.' next to quoted string") },
	{ .name = "tab in quotes", .in = "\"a\tb\"@example.org", .reply = E("Tab in local part") },

	/* unquoted local part errors */
	{ .name = "double dot",
	  .in = "a..b@example.org",
	  .reply = E("Misplaced '.' in local part (quote it)") },
	{ .name = "leading dot",
	  .in = ".a@example.org",
	  .reply = E("Misplaced '.' in local part (quote it)") },
	{ .name = "trailing dot in local",
	  .in = "a.@example.org",
	  .reply = E("Misplaced '.' in local part (quote it)") },
	{ .name = "space in local", .in = "us er@example.org", .reply = E("Invalid text after local part") },
	{ .name = "comma in local", .in = "a,b@example.org", .reply = E("Invalid character in local part") },
	{ .name = "group syntax",
	  .in = "group: a@example.org;",
	  .reply = E("Invalid character in local part") },
	{ .name = "backslash at end", .in = "user\\", .reply = E("Backslash at end of address") },

	/* UTF-8 and 8-bit */
	{ .name = "UTF-8 local part",
	  .in = "j\xc3\xbcrgen@example.de",
	  .text = "j\xc3\xbcrgen@example.de",
	  .local = "j\xc3\xbcrgen",
	  .domain = "example.de",
	  .utf8 = 1 },
	{ .name = "UTF-8 quoted",
	  .in = "\"j\xc3\xbc rgen\"@example.de",
	  .text = "\"j\xc3\xbc rgen\"@example.de",
	  .local = "j\xc3\xbc rgen",
	  .domain = "example.de",
	  .utf8 = 1 },
	{ .name = "CJK local part",
	  .in = "\xe7\x94\xa8\xe6\x88\xb7@example.com",
	  .text = "\xe7\x94\xa8\xe6\x88\xb7@example.com",
	  .local = "\xe7\x94\xa8\xe6\x88\xb7",
	  .domain = "example.com",
	  .utf8 = 1 },
	{ .name = "4-byte UTF-8",
	  .in = "\xf0\x9f\x93\xa7@example.com",
	  .text = "\xf0\x9f\x93\xa7@example.com",
	  .local = "\xf0\x9f\x93\xa7",
	  .domain = "example.com",
	  .utf8 = 1 },
	{ .name = "UTF-8 domain",
	  .in = "a@b\xc3\xbc.de",
	  .reply = E("Non-ASCII domain (use its xn-- form)") },
	{ .name = "A-label domain",
	  .in = "a@xn--b-eha.de",
	  .text = "a@xn--b-eha.de",
	  .local = "a",
	  .domain = "xn--b-eha.de" },
	{ .name = "Latin-1 byte", .in = "j\xfcrgen@example.de", .reply = E("Invalid UTF-8 in address") },
	{ .name = "overlong /", .in = "\xc0\xaf@example.de", .reply = E("Invalid UTF-8 in address") },
	{ .name = "overlong 3-byte",
	  .in = "\xe0\x80\xaf@example.de",
	  .reply = E("Invalid UTF-8 in address") },
	{ .name = "surrogate", .in = "\xed\xa0\x80@example.de", .reply = E("Invalid UTF-8 in address") },
	{ .name = "past U+10FFFF",
	  .in = "\xf4\x90\x80\x80@example.de",
	  .reply = E("Invalid UTF-8 in address") },
	{ .name = "truncated sequence", .in = "ab\xe3\x81", .reply = E("Invalid UTF-8 in address") },
	{ .name = "lone continuation", .in = "a\x80@example.de", .reply = E("Invalid UTF-8 in address") },
	{ .name = "C1 control",
	  .in = "a\xc2\x85@example.de",
	  .reply = E("Invalid control character in address") },

	/* control characters */
	{ .name = "NUL", .in = "a\0b@example.org", .len = 15, .reply = E("NUL character in address") },
	{ .name = "CR LF at end", .in = "a@example.org\r\n", .reply = E("CR or LF in address") },
	{ .name = "bare LF", .in = "a\nb@example.org", .reply = E("CR or LF in address") },
	{ .name = "bare CR", .in = "a\rb@example.org", .reply = E("CR or LF in address") },
	{ .name = "SOH", .in = "a\x01@example.org", .reply = E("Invalid control character in address") },
	{ .name = "DEL", .in = "a\x7f@example.org", .reply = E("Invalid control character in address") },

	/* domains */
	{ .name = "empty label", .in = "a@b..example", .reply = E("Empty label in domain") },
	{ .name = "leading dot in domain", .in = "a@.example.org", .reply = E("Empty label in domain") },
	{ .name = "only a dot", .in = "a@.", .reply = E("Empty label in domain") },
	{ .name = "missing domain", .in = "a@", .reply = E("Missing domain after '@'") },
	{ .name = "comment for a domain", .in = "a@ (none)", .reply = E("Missing domain after '@'") },
	{ .name = "leading hyphen",
	  .in = "a@-b.example",
	  .reply = E("Domain label starts or ends with '-'") },
	{ .name = "trailing hyphen",
	  .in = "a@b-.example",
	  .reply = E("Domain label starts or ends with '-'") },
	{ .name = "underscore",
	  .in = "a@_mail.example",
	  .text = "a@_mail.example",
	  .local = "a",
	  .domain = "_mail.example" },
	{ .name = "bad character in domain",
	  .in = "a@b!c.example",
	  .reply = E("Invalid character in domain") },
	{ .name = "numeric domain",
	  .in = "a@192.0.2.1",
	  .reply = E("Numeric domain (write an address literal: [192.0.2.1])") },
	{ .name = "digits in labels",
	  .in = "a@3com.example",
	  .text = "a@3com.example",
	  .local = "a",
	  .domain = "3com.example" },
	{ .name = "two @", .in = "a@b@example.org", .reply = E("More than one '@'") },
	{ .name = "@@", .in = "a@@example.org", .reply = E("More than one '@'") },
	{ .name = "text after domain", .in = "a@example.org b", .reply = E("Invalid text after domain") },
	{ .name = "label of 63",
	  .in = "a@" LAB63 ".com",
	  .text = "a@" LAB63 ".com",
	  .local = "a",
	  .domain = LAB63 ".com" },
	{ .name = "label of 64",
	  .in = "a@" LAB64 ".com",
	  .reply = E("Domain label too long (63 bytes max)") },

	/* address literals */
	{ .name = "IPv4 literal",
	  .in = "u@[192.0.2.1]",
	  .text = "u@[192.0.2.1]",
	  .local = "u",
	  .domain = "[192.0.2.1]",
	  .ip_literal = 1 },
	{ .name = "IPv6 literal",
	  .in = "u@[IPv6:2001:DB8::1]",
	  .text = "u@[IPv6:2001:db8::1]",
	  .local = "u",
	  .domain = "[IPv6:2001:db8::1]",
	  .ip_literal = 1 },
	{ .name = "IPv6 literal made short",
	  .in = "u@[ipv6:2001:db8:0:0:0:0:0:1]",
	  .text = "u@[IPv6:2001:db8::1]",
	  .local = "u",
	  .domain = "[IPv6:2001:db8::1]",
	  .ip_literal = 1 },
	{ .name = "IPv4-mapped IPv6",
	  .in = "u@[IPv6:::ffff:192.0.2.1]",
	  .text = "u@[IPv6:::ffff:192.0.2.1]",
	  .local = "u",
	  .domain = "[IPv6:::ffff:192.0.2.1]",
	  .ip_literal = 1 },
	{ .name = "IPv4 out of range", .in = "u@[192.0.2.256]", .reply = E("Invalid IPv4 address literal") },
	{ .name = "IPv4 too short", .in = "u@[192.0.2]", .reply = E("Invalid IPv4 address literal") },
	{ .name = "IPv4 leading zero", .in = "u@[192.0.2.01]", .reply = E("Invalid IPv4 address literal") },
	{ .name = "IPv6 bad digit",
	  .in = "u@[IPv6:2001:db8::g]",
	  .reply = E("Invalid IPv6 address literal") },
	{ .name = "IPv6 without tag", .in = "u@[2001:db8::1]", .reply = E("Unsupported address literal") },
	{ .name = "general literal", .in = "u@[x400:c=us]", .reply = E("Unsupported address literal") },
	{ .name = "text after literal", .in = "u@[192.0.2.1].com", .reply = E("Invalid text after domain") },

	/* unbalanced */
	{ .name = "unbalanced quote", .in = "\"a@example.org", .reply = E("Unbalanced '\"'") },
	{ .name = "quote ending in backslash", .in = "\"a\\\"@example.org", .reply = E("Unbalanced '\"'") },
	{ .name = "unbalanced (", .in = "a@example.org (x", .reply = E("Unbalanced '('") },
	{ .name = "unbalanced )", .in = "a)b@example.org", .reply = E("Unbalanced ')'") },
	{ .name = "unbalanced <", .in = "John <a@example.org", .reply = E("Unbalanced '<'") },
	{ .name = "unbalanced >", .in = "a@example.org>", .reply = E("Unbalanced '>'") },
	{ .name = "two >", .in = "<a@example.org>>", .reply = E("Unbalanced '>'") },
	{ .name = "unbalanced [", .in = "u@[192.0.2.1", .reply = E("Unbalanced '['") },
	{ .name = "unbalanced ]", .in = "u@192.0.2.1]", .reply = E("Unbalanced ']'") },

	/* source routes */
	{ .name = "source route",
	  .in = "@a.example,@b.example:u@c.example",
	  .text = "u@c.example",
	  .local = "u",
	  .domain = "c.example",
	  .route = "@a.example,@b.example" },
	{ .name = "source route in <>",
	  .in = "<@A.Example,@b.example.:u@C.example>",
	  .text = "u@c.example",
	  .local = "u",
	  .domain = "c.example",
	  .route = "@a.example,@b.example" },
	{ .name = "literal in route",
	  .in = "<@[192.0.2.1]:u@c.example>",
	  .text = "u@c.example",
	  .local = "u",
	  .domain = "c.example",
	  .route = "@[192.0.2.1]" },
	{ .name = "route to unqualified",
	  .in = "@a.example:u",
	  .reply = E("Source route needs a mailbox with a domain") },
	{ .name = "route without @", .in = "@a.example,u@c.example", .reply = E("Invalid source route") },
	{ .name = "route without :", .in = "<@a.example,@b.example>", .reply = E("Invalid source route") },
	{ .name = "empty route element",
	  .in = "<@,@b.example:u@c.example>",
	  .reply = E("Invalid source route") },
	{ .name = "bad domain in route",
	  .in = "@a..example:u@c.example",
	  .reply = E("Empty label in domain") },
	{ .name = "@domain alone", .in = "@example.org", .reply = E("Missing local part before '@'") },
	{ .name = "<@domain>", .in = "<@example.org>", .reply = E("Missing local part before '@'") },

	/* bang paths */
	{ .name = "host.domain!user",
	  .in = "host.domain!user",
	  .text = "user@host.domain",
	  .local = "user",
	  .domain = "host.domain" },
	{ .name = "bang host folded",
	  .in = "Host.Domain.!User",
	  .text = "User@host.domain",
	  .local = "User",
	  .domain = "host.domain" },
	{ .name = "route-dependent path",
	  .in = "venus!acme!sierra!ignatz",
	  .text = "venus!acme!sierra!ignatz",
	  .local = "acme!sierra!ignatz",
	  .domain = "venus",
	  .bang = "venus" },
	{ .name = "one hop, no dot",
	  .in = "sierra!ignatz",
	  .text = "sierra!ignatz",
	  .local = "ignatz",
	  .domain = "sierra",
	  .bang = "sierra" },
	{ .name = "dotted first hop of a path",
	  .in = "eng.acme.com!sierra!ignatz",
	  .text = "eng.acme.com!sierra!ignatz",
	  .local = "sierra!ignatz",
	  .domain = "eng.acme.com",
	  .bang = "eng.acme.com" },
	{ .name = "quoted bang path",
	  .in = "\"venus!ignatz\"",
	  .text = "venus!ignatz",
	  .local = "ignatz",
	  .domain = "venus",
	  .bang = "venus" },
	{ .name = "bang path in <>",
	  .in = "<host.domain!user>",
	  .text = "user@host.domain",
	  .local = "user",
	  .domain = "host.domain" },
	{ .name = "bang before @",
	  .in = "venus!ignatz@relay.example",
	  .text = "venus!ignatz@relay.example",
	  .local = "venus!ignatz",
	  .domain = "relay.example" },
	{ .name = "empty bang host", .in = "!user", .reply = E("Invalid host in bang path") },
	{ .name = "bad bang host", .in = "\"a b!c\"", .reply = E("Invalid host in bang path") },
	{ .name = "empty bang user", .in = "host!", .reply = E("Empty user in bang path") },

	/* the % hack is the router's: parsing leaves it */
	{ .name = "percent kept",
	  .in = "user%host@relay.example",
	  .text = "user%host@relay.example",
	  .local = "user%host",
	  .domain = "relay.example" },
	{ .name = "percent unqualified", .in = "user%host", .text = "user%host", .local = "user%host" },

	/* the backslash escape */
	{ .name = "\\user", .in = "\\jun", .text = "\\jun", .local = "jun", .escaped = 1 },
	{ .name = "\\user@domain",
	  .in = "\\jun@Example.org",
	  .text = "\\jun@example.org",
	  .local = "jun",
	  .domain = "example.org",
	  .escaped = 1 },
	{ .name = "backslash inside", .in = "ju\\n", .text = "\\jun", .local = "jun", .escaped = 1 },
	{ .name = "escaped blank", .in = "\\a\\ b", .text = "\\a\\ b", .local = "a b", .escaped = 1 },
	{ .name = "escaped +detail",
	  .in = "\\jun+x",
	  .text = "\\jun+x",
	  .local = "jun+x",
	  .user = "jun",
	  .detail = "x",
	  .escaped = 1 },
	{ .name = "escaped bang",
	  .in = "\\venus!ignatz",
	  .text = "\\venus!ignatz",
	  .local = "venus!ignatz",
	  .escaped = 1 },
	{ .name = "escaped pipe", .in = "\\|prog", .text = "\\|prog", .local = "|prog", .escaped = 1 },
	{ .name = "backslash makes the quote literal", .in = "\\\"a b\"", .reply = E("Unbalanced '\"'") },
	{ .name = "quoted pair is not the escape", .in = "\"\\jun\"", .text = "jun", .local = "jun" },

	/* +detail */
	{ .name = "+detail",
	  .in = "user+detail@example.org",
	  .text = "user+detail@example.org",
	  .local = "user+detail",
	  .user = "user",
	  .detail = "detail",
	  .domain = "example.org" },
	{ .name = "empty detail",
	  .in = "user+@example.org",
	  .text = "user+@example.org",
	  .local = "user+",
	  .user = "user",
	  .detail = "",
	  .domain = "example.org" },
	{ .name = "first + splits",
	  .in = "user+a+b@example.org",
	  .text = "user+a+b@example.org",
	  .local = "user+a+b",
	  .user = "user",
	  .detail = "a+b",
	  .domain = "example.org" },
	{ .name = "leading + does not split",
	  .in = "+detail@example.org",
	  .text = "+detail@example.org",
	  .local = "+detail",
	  .domain = "example.org" },
	{ .name = "unqualified +detail",
	  .in = "sandy+test1",
	  .text = "sandy+test1",
	  .local = "sandy+test1",
	  .user = "sandy",
	  .detail = "test1" },
	{ .name = "quoted +detail",
	  .in = "\"john+x y\"@example.org",
	  .text = "\"john+x y\"@example.org",
	  .local = "john+x y",
	  .user = "john",
	  .detail = "x y",
	  .domain = "example.org" },

	/* special targets */
	{ .name = "program",
	  .in = "|/usr/bin/vacation js",
	  .kind = SM_ADDR_PROGRAM,
	  .text = "|/usr/bin/vacation js",
	  .target = "/usr/bin/vacation js" },
	{ .name = "quoted program",
	  .in = "\"|/usr/bin/vacation \\\"js\\\"\"",
	  .kind = SM_ADDR_PROGRAM,
	  .text = "|/usr/bin/vacation \"js\"",
	  .target = "/usr/bin/vacation \"js\"" },
	{ .name = "program in <>",
	  .in = "<\"|/bin/prog\">",
	  .kind = SM_ADDR_PROGRAM,
	  .text = "|/bin/prog",
	  .target = "/bin/prog" },
	{ .name = "program with @",
	  .in = "|/usr/bin/procmail -f user@example.org",
	  .kind = SM_ADDR_PROGRAM,
	  .text = "|/usr/bin/procmail -f user@example.org",
	  .target = "/usr/bin/procmail -f user@example.org" },
	{ .name = "empty program", .in = "|", .reply = E("Missing program after '|'") },
	{ .name = "blank program", .in = "\"|  \"", .reply = E("Missing program after '|'") },
	{ .name = "file",
	  .in = "/var/spool/archive",
	  .kind = SM_ADDR_FILE,
	  .text = "/var/spool/archive",
	  .target = "/var/spool/archive" },
	{ .name = "quoted file",
	  .in = "\"/path with space\"",
	  .kind = SM_ADDR_FILE,
	  .text = "/path with space",
	  .target = "/path with space" },
	{ .name = "/x@host.domain is a mailbox",
	  .in = "/x@host.example",
	  .text = "\"/x\"@host.example",
	  .local = "/x",
	  .domain = "host.example" },
	{ .name = "quoted /x@host.domain is a file",
	  .in = "\"/x@host.example\"",
	  .kind = SM_ADDR_FILE,
	  .text = "\"/x@host.example\"",
	  .target = "/x@host.example" },
	{ .name = ":include:",
	  .in = ":include:/etc/mail/staff",
	  .kind = SM_ADDR_INCLUDE,
	  .text = ":include:/etc/mail/staff",
	  .target = "/etc/mail/staff" },
	{ .name = ":INCLUDE: with blanks",
	  .in = " :INCLUDE:  /etc/mail/staff ",
	  .kind = SM_ADDR_INCLUDE,
	  .text = ":include:/etc/mail/staff",
	  .target = "/etc/mail/staff" },
	{ .name = "quoted :include:",
	  .in = "\":include:/etc/mail/staff\"",
	  .kind = SM_ADDR_INCLUDE,
	  .text = ":include:/etc/mail/staff",
	  .target = "/etc/mail/staff" },
	{ .name = "empty :include:", .in = ":include:", .reply = E("Missing file name after :include:") },
	{ .name = "program name with a domain",
	  .in = "\"|prog\"@host.example",
	  .text = "\"|prog\"@host.example",
	  .local = "|prog",
	  .domain = "host.example" },
	{ .name = "program of 1024",
	  .in = "|" T1024,
	  .kind = SM_ADDR_PROGRAM,
	  .text = "|" T1024,
	  .target = T1024 },
	{ .name = "program of 1025",
	  .in = "|" T1024 "x",
	  .reply = E("Program or file name too long (1024 bytes max)") },

	/* limits */
	{ .name = "local part of 64",
	  .in = A64 "@example.org",
	  .text = A64 "@example.org",
	  .local = A64,
	  .domain = "example.org" },
	{ .name = "local part of 65",
	  .in = A65 "@example.org",
	  .reply = E("Local part too long (64 bytes max)") },
	{ .name = "quoted local part of 64",
	  .in = "\"" A62 "\"@example.org",
	  .text = A62 "@example.org",
	  .local = A62,
	  .domain = "example.org" },
	{ .name = "quoted local part of 64 with space",
	  .in = "\"" A10 A10 A10 A10 A10 " aaaaaaaaaaa\"@e.org",
	  .text = "\"" A10 A10 A10 A10 A10 " aaaaaaaaaaa\"@e.org",
	  .local = A10 A10 A10 A10 A10 " aaaaaaaaaaa",
	  .domain = "e.org" },
	{ .name = "quoted local part of 65",
	  .in = "\"" A10 A10 A10 A10 A10 " aaaaaaaaaaaa\"@e.org",
	  .reply = E("Local part too long (64 bytes max)") },
	{ .name = "UTF-8 local part of 64 bytes",
	  .in = E32 "@example.org",
	  .text = E32 "@example.org",
	  .local = E32,
	  .domain = "example.org",
	  .utf8 = 1 },
	{ .name = "UTF-8 local part of 66 bytes",
	  .in = E32 "\xc3\xa9@example.org",
	  .reply = E("Local part too long (64 bytes max)") },
	{ .name = "domain of 255 makes the path too long",
	  .in = "a@" D255,
	  .reply = E("Path too long (256 bytes max)") },
	{ .name = "domain of 256", .in = "a@" D256, .reply = E("Domain too long (255 bytes max)") },
	{ .name = "path of 256", .in = A64 "@" D189, .text = A64 "@" D189, .local = A64, .domain = D189 },
	{ .name = "path of 257", .in = A64 "@" D190, .reply = E("Path too long (256 bytes max)") },
	{ .name = "path of 256 with a route",
	  .in = "<@r:" A64 "@" D186 ">",
	  .text = A64 "@" D186,
	  .local = A64,
	  .domain = D186,
	  .route = "@r" },
	{ .name = "path of 257 with a route",
	  .in = "<@rr:" A64 "@" D186 ">",
	  .reply = E("Path too long (256 bytes max)") },
	{ .name = "path of 255 with a route",
	  .in = "@r:" A64 "@" D185,
	  .text = A64 "@" D185,
	  .local = A64,
	  .domain = D185,
	  .route = "@r" },
	{ .name = "empty", .in = "", .reply = E("Empty address") },
	{ .name = "blanks only", .in = " \t ", .reply = E("Empty address") },
	{ .name = "comment only", .in = "(nobody)", .reply = E("Empty address") },
};

/* kind_name - for messages */
static const char *kind_name(enum sm_addr_kind k)
{
	switch (k) {
	case SM_ADDR_MAILBOX:
		return "mailbox";
	case SM_ADDR_NULL:
		return "null";
	case SM_ADDR_PROGRAM:
		return "program";
	case SM_ADDR_FILE:
		return "file";
	case SM_ADDR_INCLUDE:
		return "include";
	}
	return "?";
}

/* field - compare one string field, with a diagnostic; 1 if equal */
static int field(const char *name, const char *what, const char *got, const char *want)
{
	if (str_same(got, want))
		return 1;
	diag("%s: %s is \"%s\", want \"%s\"", name, what, got ? got : "(null)", want ? want : "(null)");
	return 0;
}

/* flag - compare one integer field, with a diagnostic; 1 if equal */
static int flag(const char *name, const char *what, long got, long want)
{
	if (got == want)
		return 1;
	diag("%s: %s is %ld, want %ld", name, what, got, want);
	return 0;
}

/* is_empty - nothing left in a */
static int is_empty(const struct sm_addr *a)
{
	static const struct sm_addr zero;

	return memcmp(a, &zero, sizeof(zero)) == 0;
}

/* check_fields - every field of a against the case; 1 if all match */
static int check_fields(const struct parse_case *c, const struct sm_addr *a)
{
	const char *user = c->user;
	int good = 1;

	if (user == NULL && c->kind == SM_ADDR_MAILBOX)
		user = c->local;
	good &= flag(c->name, "kind", a->kind, c->kind);
	good &= field(c->name, "text", a->text, c->text);
	good &= field(c->name, "local", a->local, c->local);
	good &= field(c->name, "domain", a->domain, c->domain);
	good &= field(c->name, "user", a->user, user);
	good &= field(c->name, "detail", a->detail, c->detail);
	good &= flag(c->name, "has_detail", a->has_detail, c->detail != NULL);
	good &= field(c->name, "route", a->route, c->route);
	good &= field(c->name, "bang_next", a->bang_next, c->bang);
	good &= field(c->name, "target", a->target, c->target);
	good &= flag(c->name, "escaped", a->escaped, c->escaped);
	good &= flag(c->name, "ip_literal", a->ip_literal, c->ip_literal);
	good &= flag(c->name, "utf8", a->utf8, c->utf8);
	return good;
}

/* same_again - the canonical text parses to the same address */
static int same_again(const struct sm_addr *a)
{
	struct sm_addr b;
	struct sm_addr_error err;
	int same;

	if (sm_addr_parse(a->text, strlen(a->text), &b, &err) != 0)
		return a->kind == SM_ADDR_NULL; /* "" is not <> */
	same = b.kind == a->kind && field("again", "text", b.text, a->text) &&
	       field("again", "local", b.local, a->local) && field("again", "domain", b.domain, a->domain) &&
	       field("again", "target", b.target, a->target) &&
	       field("again", "bang", b.bang_next, a->bang_next) && b.escaped == a->escaped;
	sm_addr_free(&b);
	return same;
}

/* test_parse - every case of the table */
static void test_parse(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct parse_case *c = &cases[i];
		struct sm_addr a;
		struct sm_addr_error err;
		size_t len = c->len ? c->len : strlen(c->in);
		int rc = sm_addr_parse(c->in, len, &a, &err);

		if (c->reply) {
			if (!is_int(rc, -1, c->name))
				diag("%s: text \"%s\"", c->name, a.text ? a.text : "(null)");
			is_str(err.reply, c->reply, c->name);
			ok(err.reply && err.text == err.reply + 10 && err.exitcode == EX_USAGE &&
			       err.offset <= len && is_empty(&a),
			   "%s: reason, EX_USAGE, offset, nothing left", c->name);
		} else {
			if (!is_int(rc, 0, c->name))
				diag("%s: %s", c->name, err.reply);
			ok(rc == 0 && check_fields(c, &a), "%s: %s fields", c->name, kind_name(c->kind));
			ok(rc == 0 && same_again(&a), "%s: canonical text parses to the same address",
			   c->name);
		}
		sm_addr_free(&a);
	}
}

/* the % hack on a parsed address */
static const struct percent_case {
	const char *in;
	int rc;
	const char *text, *local, *domain, *user, *detail;
	int escaped, ip_literal;
	const char *reply;
} percent_cases[] = {
	{ .in = "user%host.example@relay.example",
	  .rc = 1,
	  .text = "user@host.example",
	  .local = "user",
	  .domain = "host.example",
	  .user = "user" },
	{ .in = "a%b.example%c.example@relay.example",
	  .rc = 1,
	  .text = "a%b.example@c.example",
	  .local = "a%b.example",
	  .domain = "c.example",
	  .user = "a%b.example" },
	{ .in = "\"user%Host.Example.\"@relay.example",
	  .rc = 1,
	  .text = "user@host.example",
	  .local = "user",
	  .domain = "host.example",
	  .user = "user" },
	{ .in = "user%host.example",
	  .rc = 1,
	  .text = "user@host.example",
	  .local = "user",
	  .domain = "host.example",
	  .user = "user" },
	{ .in = "\"user%[192.0.2.1]\"@relay.example",
	  .rc = 1,
	  .text = "user@[192.0.2.1]",
	  .local = "user",
	  .domain = "[192.0.2.1]",
	  .user = "user",
	  .ip_literal = 1 },
	{ .in = "user+d%host.example@relay.example",
	  .rc = 1,
	  .text = "user+d@host.example",
	  .local = "user+d",
	  .domain = "host.example",
	  .user = "user",
	  .detail = "d" },
	{ .in = "\\user%host.example",
	  .rc = 1,
	  .text = "\\user@host.example",
	  .local = "user",
	  .domain = "host.example",
	  .user = "user",
	  .escaped = 1 },
	{ .in = "\"relaytest%D.example\"@relay.example",
	  .rc = 1,
	  .text = "relaytest@d.example",
	  .local = "relaytest",
	  .domain = "d.example",
	  .user = "relaytest" },
	{ .in = "user@relay.example",
	  .rc = 0,
	  .text = "user@relay.example",
	  .local = "user",
	  .domain = "relay.example",
	  .user = "user" },
	{ .in = "%host.example@relay.example",
	  .rc = -1,
	  .text = "%host.example@relay.example",
	  .local = "%host.example",
	  .domain = "relay.example",
	  .user = "%host.example",
	  .reply = E("Empty local part") },
	{ .in = "user%@relay.example",
	  .rc = -1,
	  .text = "user%@relay.example",
	  .local = "user%",
	  .domain = "relay.example",
	  .user = "user%",
	  .reply = E("Missing domain after '%'") },
	{ .in = "\"user%bad..host\"@relay.example",
	  .rc = -1,
	  .text = "\"user%bad..host\"@relay.example",
	  .local = "user%bad..host",
	  .domain = "relay.example",
	  .user = "user%bad..host",
	  .reply = E("Empty label in domain") },
};

/* test_percent - sm_addr_percent_hack() */
static void test_percent(void)
{
	struct sm_addr a;
	struct sm_addr_error err;
	size_t i;

	for (i = 0; i < sizeof(percent_cases) / sizeof(percent_cases[0]); i++) {
		const struct percent_case *c = &percent_cases[i];
		int rc, good = 1;

		if (sm_addr_parse(c->in, strlen(c->in), &a, &err) != 0) {
			ok(0, "percent %s: parses (%s)", c->in, err.reply);
			continue;
		}
		rc = sm_addr_percent_hack(&a, &err);
		is_int(rc, c->rc, c->in);
		good &= field(c->in, "text", a.text, c->text);
		good &= field(c->in, "local", a.local, c->local);
		good &= field(c->in, "domain", a.domain, c->domain);
		good &= field(c->in, "user", a.user, c->user);
		good &= field(c->in, "detail", a.detail, c->detail);
		good &= flag(c->in, "escaped", a.escaped, c->escaped);
		good &= flag(c->in, "ip_literal", a.ip_literal, c->ip_literal);
		good &= field(c->in, "reply", rc < 0 ? err.reply : NULL, c->reply);
		ok(good, "percent %s: fields", c->in);
		sm_addr_free(&a);
	}

	/* again and again, as a router would while the domain stays ours */
	sm_addr_parse("a%b.example%c.example", 21, &a, &err);
	is_int(sm_addr_percent_hack(&a, &err), 1, "percent: first hop");
	is_int(sm_addr_percent_hack(&a, &err), 1, "percent: second hop");
	is_str(a.text, "a@b.example", "percent: rightmost first, then the next");
	is_int(sm_addr_percent_hack(&a, &err), 0, "percent: nothing left");
	sm_addr_free(&a);

	sm_addr_parse("<>", 2, &a, &err);
	is_int(sm_addr_percent_hack(&a, &err), 0, "percent: <> untouched");
	sm_addr_free(&a);
	sm_addr_parse("|prog%x", 7, &a, &err);
	is_int(sm_addr_percent_hack(&a, &err), 0, "percent: program untouched");
	is_str(a.target, "prog%x", "percent: program target kept");
	sm_addr_free(&a);
}

/* bare domains */
static const struct domain_case {
	const char *in;
	const char *want;
	const char *reply;
} domain_cases[] = {
	{ .in = "Example.COM.", .want = "example.com" },
	{ .in = D255, .want = D255 },
	{ .in = D256, .reply = E("Domain too long (255 bytes max)") },
	{ .in = LAB64 ".com", .reply = E("Domain label too long (63 bytes max)") },
	{ .in = "[192.0.2.1]", .want = "[192.0.2.1]" },
	{ .in = "[IPv6:0:0:0:0:0:0:0:1]", .want = "[IPv6:::1]" },
	{ .in = "", .reply = E("Missing domain after '@'") },
	{ .in = "a b", .reply = E("Invalid character in domain") },
	{ .in = "a..b", .reply = E("Empty label in domain") },
	{ .in = "ex\xc3\xa4mple.de", .reply = E("Non-ASCII domain (use its xn-- form)") },
	{ .in = "example.org\r", .reply = E("CR or LF in address") },
	{ .in = "example.123", .reply = E("Numeric domain (write an address literal: [192.0.2.1])") },
};

/* test_domain - sm_addr_domain() */
static void test_domain(void)
{
	size_t i;

	for (i = 0; i < sizeof(domain_cases) / sizeof(domain_cases[0]); i++) {
		const struct domain_case *c = &domain_cases[i];
		struct sm_addr_error err;
		char *d = sm_addr_domain(c->in, strlen(c->in), &err);
		char name[80];

		snprintf(name, sizeof(name), "domain \"%.40s\"", c->in);
		is_str(d, c->want, name);
		if (c->reply)
			ok(field(name, "reply", err.reply, c->reply) && err.exitcode == EX_USAGE, "%s: reply",
			   name);
		free(d);
	}
}

/* where the problem was found */
static const struct offset_case {
	const char *in;
	size_t offset;
} offset_cases[] = {
	{ "a\x01@example.org", 1 },
	{ "\"abc@example.org", 0 },
	{ "a@example.org (x", 14 },
	{ "a..b@example.org", 2 },
	{ "a@b..example", 4 },
	{ "a@example.org junk", 14 },
	{ "<a@example.org> x", 16 },
	{ "j\xfc@example.org", 1 },
	{ "a@[192.0.2.1", 2 },
	{ " <@example.org>", 2 },
	{ "<@a.example,@b.example>", 22 },
};

/* test_offsets - err->offset points at the trouble */
static void test_offsets(void)
{
	size_t i;

	for (i = 0; i < sizeof(offset_cases) / sizeof(offset_cases[0]); i++) {
		struct sm_addr a;
		struct sm_addr_error err;
		char name[80];

		snprintf(name, sizeof(name), "offset of the error in \"%s\"", offset_cases[i].in);
		sm_addr_parse(offset_cases[i].in, strlen(offset_cases[i].in), &a, &err);
		is_int((long)err.offset, (long)offset_cases[i].offset, name);
	}
}

/* test_lengths - the input is taken by length, never read past it */
static void test_lengths(void)
{
	struct sm_addr a;
	struct sm_addr_error err;
	char *buf = sm_malloc(16); /* no terminator: ASan catches a read past 16 */

	memcpy(buf, "user@example.org", 16);
	is_int(sm_addr_parse(buf, 16, &a, &err), 0, "length: unterminated input");
	is_str(a.text, "user@example.org", "length: whole input read");
	sm_addr_free(&a);
	is_int(sm_addr_parse(buf, 4, &a, &err), 0, "length: a prefix");
	is_str(a.text, "user", "length: only the prefix read");
	sm_addr_free(&a);
	ok(is_empty(&a), "sm_addr_free zeroes the address");
	sm_addr_free(&a); /* twice is harmless */
	is_int(sm_addr_parse(NULL, 0, &a, &err), -1, "length: NULL and 0");
	is_str(err.reply, E("Empty address"), "length: NULL and 0 is empty");
	free(buf);
}

/* main - run every group */
int main(void)
{
	test_parse();
	test_percent();
	test_domain();
	test_offsets();
	test_lengths();
	return done_testing();
}
