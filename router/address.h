/*
 * router/address.h - parse and canonicalise one mail address
 *
 * SYNOPSIS
 *	int sm_addr_parse(const char *in, size_t len, struct sm_addr *out,
 *	                  struct sm_addr_error *err);
 *	int sm_addr_percent_hack(struct sm_addr *a, struct sm_addr_error *err);
 *	char *sm_addr_domain(const char *in, size_t len, struct sm_addr_error *err);
 *	void sm_addr_free(struct sm_addr *a);
 *
 * DESCRIPTION
 *	The first stage of the router: pure syntax, no lookups, no
 *	configuration. sm_addr_parse() takes the len bytes at in (no NUL
 *	needed; in may be NULL when len is 0) and fills out. out and err must
 *	not be NULL. Every string in out is owned by out and released by
 *	sm_addr_free(), which also zeroes it; after a failure out holds no
 *	memory (sm_addr_free() on it is harmless, and so is a second call).
 *
 *	Forms accepted, blanks and (comments) allowed around them:
 *
 *	user@host.domain         RFC 5321/5322 addr-spec. The local part is a
 *	"quoted local"@dom       dot-atom or quoted strings joined by dots
 *	                         ("john".doe); it may hold UTF-8 (RFC 6531).
 *	                         The domain is folded to lower case and one
 *	                         trailing dot dropped.
 *	user@[192.0.2.1]         address literals; IPv6 is written back in
 *	user@[IPv6:2001:db8::1]  its RFC 5952 form after the "IPv6:" tag.
 *	user                     unqualified: domain is NULL (the router
 *	                         decides what it means: ours).
 *	<addr>, Phrase <addr>    angle brackets, with an optional display
 *	addr (comment)           name (atoms, dots, quoted strings) before
 *	                         them; comments anywhere blanks are allowed.
 *	<>                       the null path: kind SM_ADDR_NULL, text "".
 *	@a,@b:user@c             a source route, with or without <>: kept,
 *	                         canonical, in route ("@a,@b") and otherwise
 *	                         ignored as RFC 5321 says; text is user@c.
 *	host.domain!user         route-independent UUCP form (one '!', the
 *	                         host has a dot): same as user@host.domain.
 *	venus!acme!sierra!ignatz route-dependent bang path, read left to right
 *	sierra!ignatz            (any other '!' form of an unqualified
 *	                         address): venus is the first hop, in
 *	                         bang_next and in domain; local is what venus
 *	                         is asked to deliver, "acme!sierra!ignatz".
 *	                         text is the bang path "venus!acme!sierra!ignatz".
 *	\user                    the backslash escape (an unquoted backslash
 *	                         anywhere in the local part, as in sendmail):
 *	                         escaped is set, meaning local delivery with
 *	                         no alias and no .forward; text starts with
 *	                         "\" and uses backslashes, never quotes, for
 *	                         the rest (\a\ b). An escaped address is never
 *	                         read as a bang path or a special target. As
 *	                         in sendmail's prescan, a backslash before a
 *	                         '"' makes it an ordinary character, and a
 *	                         quoted-pair inside quotes ("\jun") is no
 *	                         escape.
 *	|command                 special targets, only as a whole element of
 *	/path/to/file            an alias value (optionally in double quotes:
 *	:include:/path           "|/usr/bin/vacation js") or as the local part
 *	                         of an unqualified address ("|prog" in <>):
 *	                         kind SM_ADDR_PROGRAM, SM_ADDR_FILE or
 *	                         SM_ADDR_INCLUDE, target the command after
 *	                         '|', the path, or the path after ":include:";
 *	                         the router decides whether they are allowed.
 *	                         A bare target is taken verbatim to the end,
 *	                         blanks around it dropped; but "/x@host.dom"
 *	                         that parses as a mailbox with a domain is
 *	                         that mailbox (X.400 style), as in sendmail;
 *	                         the text of such a file target is quoted.
 *
 *	user%host@relay is parsed as local "user%host", domain "relay". When the
 *	router finds that the domain is one of ours (or absent), it calls
 *	sm_addr_percent_hack(), which rewrites a to local "user", domain
 *	"host" (the rightmost '%' wins, as in sendmail, so the router may call
 *	it again) and returns 1; 0 when the local part has no '%' (or a is not
 *	a mailbox); -1 with err when the text after '%' is not a domain or
 *	nothing precedes it, leaving a unchanged.
 *
 *	For a mailbox, user and detail split the local part at its first '+':
 *	"user+detail" gives "user" and "detail", "user+" gives "user" and ""
 *	(has_detail is 1 in both); without a '+', or when the local part
 *	starts with it, user is the local part and detail NULL. The detail is
 *	not checked: whoever builds a file name from it (.forward+detail) must.
 *
 *	Routing characters are looked for in the local part after its quotes
 *	are removed (Postfix's resolve_dequoted_address): "venus!ignatz" and
 *	"user%host" route like their unquoted forms, so a quoted local part
 *	cannot hide routing. Note that the local part of a mailbox whose domain
 *	turns out to be ours may be "|cmd" or "/file": it is a user name then,
 *	never a target.
 *
 *	Limits (RFC 5321 section 4.5.3.1), in bytes: the local part as it would
 *	be sent (canonical, with its quotes) 64; the domain 255 and each label
 *	63; the path "<" [route ":"] text ">" 256 (text without the escape
 *	backslash); a special target 1024 (SM_ADDR_TARGET_MAX).
 *
 *	The input must be valid UTF-8 without control characters: NUL, CR, LF,
 *	other C0 controls except tab, DEL and C1 controls (U+0080-U+009F) are
 *	refused everywhere; a tab is a blank between the parts of an address
 *	and may appear in display names, comments and bare targets, but not
 *	in a local part (quoted or escaped). Non-ASCII is allowed in local parts, quoted strings,
 *	display names, comments and targets, and sets utf8: an SMTP server
 *	that did not get SMTPUTF8 refuses such an address itself (553 5.6.7).
 *	Domains must be ASCII (letters, digits, '-', '_'; an IDN in its xn--
 *	form); a rightmost label of digits only must be written as an address
 *	literal.
 *
 *	text is the canonical form: local@domain (or local alone), the local
 *	part quoted only when it is not a dot-atom, with '"' and '\' escaped
 *	inside the quotes. Parsing text again gives the same kind, local,
 *	domain, bang_next, target and escaped, and the same text (but for <>,
 *	whose text "" is not an address; the route is not part of text).
 *
 *	sm_addr_domain() checks and canonicalises a bare domain or address
 *	literal (the same rules as after '@', without the path limit); it
 *	returns a new string the caller frees with free(3), or NULL with err.
 *
 * CONFIGURATION
 *	None.
 *
 * DIAGNOSTICS
 *	sm_addr_parse() returns 0, or -1 with err filled: reply is a constant
 *	string (never freed) "553 5.1.3 reason", text points at the reason
 *	inside it, exitcode is EX_USAGE (sendmail's status for address syntax
 *	errors, and what 5.1.3 maps to) and offset is where in the input the
 *	problem was found. Nothing is logged: the caller logs, with the address
 *	made printable. The reasons:
 *	"Empty address", "NUL character in address", "CR or LF in address",
 *	"Invalid control character in address", "Invalid UTF-8 in address",
 *	"Unbalanced '\"'", "Unbalanced '('", "Unbalanced ')'",
 *	"Unbalanced '<'", "Unbalanced '>'", "Unbalanced '['",
 *	"Unbalanced ']'", "More than one '<'", "Text after '>'",
 *	"Invalid character in phrase (quote it)",
 *	"Backslash at end of address", "Tab in local part",
 *	"Empty local part", "Invalid character in local part",
 *	"Misplaced '.' in local part (quote it)",
 *	"Missing '.' next to quoted string", "Invalid text after local part",
 *	"Local part too long (64 bytes max)", "Missing domain after '@'",
 *	"More than one '@'", "Invalid character in domain",
 *	"Non-ASCII domain (use its xn-- form)", "Empty label in domain",
 *	"Domain label starts or ends with '-'",
 *	"Domain label too long (63 bytes max)",
 *	"Numeric domain (write an address literal: [192.0.2.1])",
 *	"Domain too long (255 bytes max)", "Invalid IPv4 address literal",
 *	"Invalid IPv6 address literal", "Unsupported address literal",
 *	"Invalid text after domain", "Invalid source route",
 *	"Missing local part before '@'", "Source route needs a mailbox with a domain",
 *	"Invalid host in bang path", "Empty user in bang path",
 *	"Missing program after '|'", "Missing file name after :include:",
 *	"Program or file name too long (1024 bytes max)",
 *	"Path too long (256 bytes max)".
 *	sm_addr_percent_hack() and sm_addr_domain() report the domain reasons;
 *	the percent hack also "Empty local part" ("%host@ours"), "Missing
 *	domain after '%'" ("user%@ours") and "Path too long (256 bytes max)".
 */
#ifndef SM_ADDRESS_H
#define SM_ADDRESS_H

#include <stddef.h>

#define SM_ADDR_LOCAL_MAX 64    /* RFC 5321 4.5.3.1.1 */
#define SM_ADDR_DOMAIN_MAX 255  /* RFC 5321 4.5.3.1.2 */
#define SM_ADDR_LABEL_MAX 63    /* RFC 1035 2.3.4 */
#define SM_ADDR_PATH_MAX 256    /* RFC 5321 4.5.3.1.3, with "<" and ">" */
#define SM_ADDR_TARGET_MAX 1024 /* |program, /file, :include:/path */

enum sm_addr_kind {
	SM_ADDR_MAILBOX, /* local[@domain] */
	SM_ADDR_NULL,    /* <> */
	SM_ADDR_PROGRAM, /* |command */
	SM_ADDR_FILE,    /* /path */
	SM_ADDR_INCLUDE, /* :include:/path */
};

struct sm_addr {
	enum sm_addr_kind kind;
	char *text;      /* canonical form (see above); "" for <>; never NULL after success */
	char *local;     /* mailbox: the local part without quotes or escapes; else NULL */
	char *domain;    /* mailbox: lower case, no trailing dot; NULL when unqualified */
	char *user;      /* mailbox: local up to its first '+'; else NULL */
	char *detail;    /* mailbox: after the first '+' ("" for "user+"); NULL if none */
	int has_detail;  /* detail != NULL */
	char *route;     /* mailbox: source route "@a,@b" (canonical), or NULL */
	char *bang_next; /* mailbox: first hop of a route-dependent bang path, else NULL */
	char *target;    /* program: the command; file: the path; include: the path */
	int escaped;     /* written with a backslash: no alias, no .forward */
	int ip_literal;  /* domain is an address literal */
	int utf8;        /* text holds non-ASCII UTF-8 (needs SMTPUTF8) */
};

struct sm_addr_error {
	const char *reply; /* "553 5.1.3 Unbalanced '<'": constant, never freed */
	const char *text;  /* the reason alone, inside reply: "Unbalanced '<'" */
	int exitcode;      /* sysexits: EX_USAGE */
	size_t offset;     /* where in the input the problem was found */
};

int sm_addr_parse(const char *in, size_t len, struct sm_addr *out, struct sm_addr_error *err);
int sm_addr_percent_hack(struct sm_addr *a, struct sm_addr_error *err);
char *sm_addr_domain(const char *in, size_t len, struct sm_addr_error *err);
void sm_addr_free(struct sm_addr *a);

#endif
