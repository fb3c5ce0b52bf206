/*
 * router/address.c - parse and canonicalise one mail address
 *
 * See address.h. Reads no configuration and looks nothing up.
 *
 * The input is checked in three passes: every byte (controls, UTF-8), then
 * the balance of quotes, comments, brackets and angle brackets (prescan,
 * after sendmail's prescan(), so that its "Unbalanced" messages come first
 * and name the right character), then the grammar itself by recursive
 * descent: [phrase] "<" [route ":"] addr-spec ">" or [route ":"] addr-spec,
 * with blanks and comments around. A mailbox with no domain is then
 * interpreted: special targets, bang paths.
 *
 * DIAGNOSTICS
 *	See address.h. Nothing is logged.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sysexits.h>

#include "lib/buf.h"
#include "lib/mem.h"
#include "router/address.h"

#define REPLY_PREFIX "553 5.1.3 "
#define R(reason) REPLY_PREFIX reason
#define NONE ((size_t)-1)
#define INCLUDE_TAG ":include:"
#define INCLUDE_LEN (sizeof(INCLUDE_TAG) - 1)

/* where a parse is in its input */
struct parser {
	const char *s;
	size_t pos, end;
	struct sm_addr_error *err;
};

/* fail - fill err for a syntax error at offset; always -1 */
static int fail(struct sm_addr_error *err, size_t offset, const char *reply)
{
	err->reply = reply;
	err->text = reply + sizeof(REPLY_PREFIX) - 1;
	err->exitcode = EX_USAGE;
	err->offset = offset;
	return -1;
}

/* is_blank - space or tab */
static int is_blank(int c)
{
	return c == ' ' || c == '\t';
}

/* is_atext - RFC 5322 atext (ASCII only) */
static int is_atext(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* is_word - a byte that may stand unquoted in a local part: atext or UTF-8 */
static int is_word(int c)
{
	return is_atext(c) || c >= 0x80;
}

/* utf8_len - length of the well-formed UTF-8 sequence at p (n bytes left), or 0 */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t need, i;

	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		need = 1;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		need = 2;
		if (p[0] == 0xe0)
			lo = 0xa0; /* overlong */
		if (p[0] == 0xed)
			hi = 0x9f; /* surrogates */
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		need = 3;
		if (p[0] == 0xf0)
			lo = 0x90; /* overlong */
		if (p[0] == 0xf4)
			hi = 0x8f; /* past U+10FFFF */
	} else {
		return 0;
	}
	if (n <= need || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i <= need; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return need + 1;
}

/* check_bytes - refuse NUL, CR, LF, other controls but tab, and bad UTF-8 */
static int check_bytes(const char *in, size_t len, struct sm_addr_error *err)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0, n;

	while (i < len) {
		unsigned char c = s[i];

		if (c == '\0')
			return fail(err, i, R("NUL character in address"));
		if (c == '\r' || c == '\n')
			return fail(err, i, R("CR or LF in address"));
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return fail(err, i, R("Invalid control character in address"));
		if (c < 0x80) {
			i++;
			continue;
		}
		if ((n = utf8_len(s + i, len - i)) == 0)
			return fail(err, i, R("Invalid UTF-8 in address"));
		if (c == 0xc2 && s[i + 1] < 0xa0) /* U+0080..U+009F */
			return fail(err, i, R("Invalid control character in address"));
		i += n;
	}
	return 0;
}

/* has_8bit - does s hold a byte above 0x7f? */
static int has_8bit(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return 1;
	return 0;
}

/* prescan - check the balance of "" () [] <> in s[b..e); find the top-level < and > */
static int prescan(const char *s, size_t b, size_t e, size_t *lt, size_t *gt, struct sm_addr_error *err)
{
	size_t i, depth = 0, qstart = 0, cstart = 0, bstart = 0;
	int quote = 0, bracket = 0;

	*lt = *gt = NONE;
	for (i = b; i < e; i++) {
		char c = s[i];

		if (quote) {
			if (c == '\\')
				i++;
			else if (c == '"')
				quote = 0;
			continue;
		}
		if (depth) {
			if (c == '\\')
				i++;
			else if (c == '(')
				depth++;
			else if (c == ')')
				depth--;
			continue;
		}
		if (bracket) {
			if (c == ']')
				bracket = 0;
			continue;
		}
		switch (c) {
		case '"':
			quote = 1;
			qstart = i;
			break;
		case '(':
			depth = 1;
			cstart = i;
			break;
		case ')':
			return fail(err, i, R("Unbalanced ')'"));
		case '[':
			bracket = 1;
			bstart = i;
			break;
		case ']':
			return fail(err, i, R("Unbalanced ']'"));
		case '\\':
			if (i + 1 >= e)
				return fail(err, i, R("Backslash at end of address"));
			i++;
			break;
		case '<':
			if (*lt != NONE)
				return fail(err, i, R("More than one '<'"));
			*lt = i;
			break;
		case '>':
			if (*lt == NONE || *gt != NONE)
				return fail(err, i, R("Unbalanced '>'"));
			*gt = i;
			break;
		default:
			break;
		}
	}
	if (quote)
		return fail(err, qstart, R("Unbalanced '\"'"));
	if (depth)
		return fail(err, cstart, R("Unbalanced '('"));
	if (bracket)
		return fail(err, bstart, R("Unbalanced '['"));
	if (*lt != NONE && *gt == NONE)
		return fail(err, *lt, R("Unbalanced '<'"));
	return 0;
}

/* skip_comment - step over the (comment) at s[i]; returns the index after it */
static size_t skip_comment(const char *s, size_t i, size_t e)
{
	size_t depth = 0;

	do {
		char c = s[i++];

		if (c == '\\')
			i++;
		else if (c == '(')
			depth++;
		else if (c == ')')
			depth--;
	} while (depth > 0 && i < e);
	return i < e ? i : e;
}

/* skip_cfws - step over blanks and comments */
static void skip_cfws(struct parser *p)
{
	while (p->pos < p->end) {
		char c = p->s[p->pos];

		if (is_blank(c))
			p->pos++;
		else if (c == '(')
			p->pos = skip_comment(p->s, p->pos, p->end);
		else
			return;
	}
}

/* check_phrase - a display name before '<': words, dots, quoted strings, comments */
static int check_phrase(const char *s, size_t b, size_t e, struct sm_addr_error *err)
{
	size_t i = b;

	while (i < e) {
		unsigned char c = (unsigned char)s[i];

		if (c == '(') {
			i = skip_comment(s, i, e);
		} else if (c == '"') {
			for (i++; i < e && s[i] != '"'; i++)
				if (s[i] == '\\')
					i++;
			i++;
		} else if (is_blank(c) || c == '.' || is_word(c)) {
			i++;
		} else {
			return fail(err, i, R("Invalid character in phrase (quote it)"));
		}
	}
	return 0;
}

/* canon_domain - check d[0..n) as a domain or address literal; *out (caller frees) is canonical */
static int canon_domain(const char *d, size_t n, size_t base, char **out, int *literal,
                        struct sm_addr_error *err)
{
	struct sm_buf b = SM_BUF_INIT;
	size_t i, label = 0;
	int digits = 1;

	*out = NULL;
	*literal = 0;
	if (n == 0)
		return fail(err, base, R("Missing domain after '@'"));
	if (d[0] == '[') {
		const char *close = memchr(d, ']', n);
		const char *c = d + 1;
		char tmp[64], txt[INET6_ADDRSTRLEN];
		unsigned char bin[16];
		size_t cl;

		if (close == NULL)
			return fail(err, base, R("Unbalanced '['"));
		if ((size_t)(close - d) != n - 1)
			return fail(err, base + (size_t)(close - d) + 1, R("Invalid text after domain"));
		cl = n - 2;
		if (cl >= 5 && strncasecmp(c, "IPv6:", 5) == 0) {
			if (cl - 5 >= sizeof(tmp))
				return fail(err, base, R("Invalid IPv6 address literal"));
			memcpy(tmp, c + 5, cl - 5);
			tmp[cl - 5] = '\0';
			if (inet_pton(AF_INET6, tmp, bin) != 1 ||
			    inet_ntop(AF_INET6, bin, txt, sizeof(txt)) == NULL)
				return fail(err, base, R("Invalid IPv6 address literal"));
			*out = sm_asprintf("[IPv6:%s]", txt);
		} else if (memchr(c, ':', cl) != NULL) {
			return fail(err, base, R("Unsupported address literal"));
		} else {
			if (cl >= sizeof(tmp))
				return fail(err, base, R("Invalid IPv4 address literal"));
			memcpy(tmp, c, cl);
			tmp[cl] = '\0';
			if (inet_pton(AF_INET, tmp, bin) != 1 ||
			    inet_ntop(AF_INET, bin, txt, sizeof(txt)) == NULL)
				return fail(err, base, R("Invalid IPv4 address literal"));
			*out = sm_asprintf("[%s]", txt);
		}
		*literal = 1;
		return 0;
	}
	if (d[n - 1] == '.')
		n--; /* one trailing dot: the root */
	for (i = 0; i <= n; i++) {
		unsigned char c = i < n ? (unsigned char)d[i] : '.';

		if (c == '.') {
			if (i == label)
				return fail(err, base + i, R("Empty label in domain"));
			if (i - label > SM_ADDR_LABEL_MAX)
				return fail(err, base + label, R("Domain label too long (63 bytes max)"));
			if (d[label] == '-' || d[i - 1] == '-')
				return fail(err, base + label, R("Domain label starts or ends with '-'"));
			if (i < n)
				digits = 1;
			label = i + 1;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_') {
			digits = 0;
		} else if (c >= '0' && c <= '9') {
			continue;
		} else if (c >= 0x80) {
			return fail(err, base + i, R("Non-ASCII domain (use its xn-- form)"));
		} else {
			return fail(err, base + i, R("Invalid character in domain"));
		}
	}
	if (digits)
		return fail(err, base, R("Numeric domain (write an address literal: [192.0.2.1])"));
	if (n > SM_ADDR_DOMAIN_MAX)
		return fail(err, base, R("Domain too long (255 bytes max)"));
	for (i = 0; i < n; i++)
		sm_buf_addc(&b, d[i] >= 'A' && d[i] <= 'Z' ? d[i] - 'A' + 'a' : d[i]);
	*out = sm_buf_steal(&b);
	return 0;
}

/* domain_at - the domain at p->pos, up to a blank, comment or separator */
static int domain_at(struct parser *p, char **out, int *literal)
{
	size_t start = p->pos, e = start;

	if (e < p->end && p->s[e] == '[') {
		while (e < p->end && p->s[e] != ']')
			e++;
		if (e < p->end)
			e++;
	} else {
		while (e < p->end && !is_blank(p->s[e]) && strchr("(,:@<>", p->s[e]) == NULL)
			e++;
	}
	p->pos = e;
	return canon_domain(p->s + start, e - start, start, out, literal, p->err);
}

/* copy_char - append the character (one UTF-8 sequence) at p->pos and step over it */
static void copy_char(struct parser *p, struct sm_buf *b)
{
	size_t n = 1;

	while (p->pos + n < p->end && ((unsigned char)p->s[p->pos + n] & 0xc0) == 0x80)
		n++;
	sm_buf_add(b, p->s + p->pos, n);
	p->pos += n;
}

/* local_part - the local part at p->pos, without quotes or escapes, into val */
static int local_part(struct parser *p, struct sm_buf *val, int *escaped)
{
	enum { START, ATOM, QUOTED, DOT } last = START;
	struct sm_addr_error *err = p->err;

	while (p->pos < p->end) {
		unsigned char c = (unsigned char)p->s[p->pos];

		if (c == '"') {
			if (last == ATOM || last == QUOTED)
				return fail(err, p->pos, R("Missing '.' next to quoted string"));
			for (p->pos++;;) {
				if (p->pos >= p->end)
					return fail(err, p->pos, R("Unbalanced '\"'"));
				c = (unsigned char)p->s[p->pos];
				if (c == '"')
					break;
				if (c == '\\' && ++p->pos >= p->end)
					return fail(err, p->pos - 1, R("Backslash at end of address"));
				if (p->s[p->pos] == '\t')
					return fail(err, p->pos, R("Tab in local part"));
				copy_char(p, val);
			}
			p->pos++;
			last = QUOTED;
		} else if (c == '.') {
			if (last == START || last == DOT)
				return fail(err, p->pos, R("Misplaced '.' in local part (quote it)"));
			sm_buf_addc(val, '.');
			p->pos++;
			last = DOT;
		} else if (c == '\\') {
			if (last == QUOTED)
				return fail(err, p->pos, R("Missing '.' next to quoted string"));
			if (++p->pos >= p->end)
				return fail(err, p->pos - 1, R("Backslash at end of address"));
			if (p->s[p->pos] == '\t')
				return fail(err, p->pos, R("Tab in local part"));
			*escaped = 1;
			copy_char(p, val);
			last = ATOM;
		} else if (is_word(c)) {
			if (last == QUOTED)
				return fail(err, p->pos, R("Missing '.' next to quoted string"));
			copy_char(p, val);
			last = ATOM;
		} else if (is_blank(c) || c == '(' || c == '@') {
			break;
		} else {
			return fail(err, p->pos, R("Invalid character in local part"));
		}
	}
	if (last == DOT)
		return fail(err, p->pos - 1, R("Misplaced '.' in local part (quote it)"));
	return 0;
}

/* source_route - "@a,@b:" at p->pos, canonical "@a,@b" into r */
static int source_route(struct parser *p, struct sm_buf *r)
{
	struct sm_addr_error *err = p->err;
	int first = 1;

	for (;;) {
		size_t at = p->pos;
		char *dom;
		int lit;

		if (p->pos >= p->end || p->s[p->pos] != '@')
			return fail(err, p->pos, R("Invalid source route"));
		p->pos++;
		if (p->pos >= p->end || is_blank(p->s[p->pos]) || strchr("(,:@", p->s[p->pos]) != NULL)
			return fail(err, p->pos, R("Invalid source route"));
		if (domain_at(p, &dom, &lit) < 0)
			return -1;
		if (!first)
			sm_buf_addc(r, ',');
		sm_buf_addc(r, '@');
		sm_buf_adds(r, dom);
		free(dom);
		if (p->pos >= p->end || is_blank(p->s[p->pos]) || p->s[p->pos] == '(')
			return first ? fail(err, at, R("Missing local part before '@'"))
			             : fail(err, p->pos, R("Invalid source route"));
		if (p->s[p->pos] == ':') {
			p->pos++;
			return 0;
		}
		if (p->s[p->pos] != ',')
			return fail(err, p->pos, R("Invalid source route"));
		p->pos++;
		first = 0;
	}
}

/* needs_quotes - is l not a dot-atom (or would it read as a target at the start of text)? */
static int needs_quotes(const char *l)
{
	size_t i, n = strlen(l);

	if (n == 0 || l[0] == '.' || l[n - 1] == '.' || l[0] == '|' || l[0] == '/')
		return 1;
	for (i = 0; i < n; i++) {
		if (l[i] == '.' ? l[i + 1] == '.' : !is_word((unsigned char)l[i]))
			return 1;
	}
	return 0;
}

/* quote_into - append l to b as a local part: a dot-atom, or a quoted string */
static void quote_into(struct sm_buf *b, const char *l)
{
	if (!needs_quotes(l)) {
		sm_buf_adds(b, l);
		return;
	}
	sm_buf_addc(b, '"');
	for (; *l; l++) {
		if (*l == '"' || *l == '\\')
			sm_buf_addc(b, '\\');
		sm_buf_addc(b, *l);
	}
	sm_buf_addc(b, '"');
}

/* escape_into - append l to b with backslashes: always before its first character */
static void escape_into(struct sm_buf *b, const char *l)
{
	size_t i, n = strlen(l);
	int after_dot = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)l[i];

		if (i == 0 || (c == '.' ? after_dot || i + 1 == n : !is_word(c)))
			sm_buf_addc(b, '\\');
		sm_buf_addc(b, c);
		after_dot = i > 0 && c == '.' && !after_dot && i + 1 < n;
	}
}

/* finish_mailbox - user and detail, text, utf8 and the length limits of a mailbox */
static int finish_mailbox(struct sm_addr *a, size_t offset, struct sm_addr_error *err)
{
	struct sm_buf w = SM_BUF_INIT;
	const char *plus = strchr(a->local, '+');
	size_t path;

	if (plus != NULL && plus != a->local) {
		a->user = sm_strndup(a->local, (size_t)(plus - a->local));
		a->detail = sm_strdup(plus + 1);
		a->has_detail = 1;
	} else {
		a->user = sm_strdup(a->local);
	}
	quote_into(&w, a->local);
	if (w.len > SM_ADDR_LOCAL_MAX) {
		sm_buf_free(&w);
		return fail(err, offset, R("Local part too long (64 bytes max)"));
	}
	if (a->bang_next != NULL) {
		char *bang = sm_asprintf("%s!%s", a->bang_next, a->local);

		sm_buf_reset(&w);
		quote_into(&w, bang);
		free(bang);
	} else if (a->domain != NULL) {
		sm_buf_addc(&w, '@');
		sm_buf_adds(&w, a->domain);
	}
	path = 2 + w.len + (a->route ? strlen(a->route) + 1 : 0);
	if (path > SM_ADDR_PATH_MAX) {
		sm_buf_free(&w);
		return fail(err, offset, R("Path too long (256 bytes max)"));
	}
	if (a->escaped) {
		sm_buf_reset(&w);
		escape_into(&w, a->local);
		if (a->domain != NULL) {
			sm_buf_addc(&w, '@');
			sm_buf_adds(&w, a->domain);
		}
	}
	a->text = sm_buf_steal(&w);
	a->utf8 = has_8bit(a->text);
	return 0;
}

/* special - make a a program, file or :include: target from t[0..n) */
static int special(struct sm_addr *a, enum sm_addr_kind kind, const char *t, size_t n, size_t offset,
                   struct sm_addr_error *err)
{
	char *target;

	while (n > 0 && is_blank(t[0])) {
		t++;
		n--;
	}
	while (n > 0 && is_blank(t[n - 1]))
		n--;
	if (n == 0)
		return fail(err, offset,
		            kind == SM_ADDR_PROGRAM ? R("Missing program after '|'")
		                                    : R("Missing file name after :include:"));
	if (n > SM_ADDR_TARGET_MAX)
		return fail(err, offset, R("Program or file name too long (1024 bytes max)"));
	target = sm_strndup(t, n); /* t may point into a->local */
	free(a->local);
	a->local = NULL;
	a->kind = kind;
	a->target = target;
	switch (kind) {
	case SM_ADDR_PROGRAM:
		a->text = sm_asprintf("|%s", target);
		break;
	case SM_ADDR_INCLUDE:
		a->text = sm_asprintf("%s%s", INCLUDE_TAG, target);
		break;
	case SM_ADDR_FILE:
	case SM_ADDR_MAILBOX:
	case SM_ADDR_NULL:
		a->text = sm_strdup(target);
		break;
	}
	a->utf8 = has_8bit(a->text);
	return 0;
}

/* bang_path - read the unqualified local part "host!rest" as sendmail's ruleset 3 does */
static int bang_path(struct sm_addr *a, const char *bang, size_t offset, struct sm_addr_error *err)
{
	char *host, *rest;
	int lit;

	if (bang[1] == '\0')
		return fail(err, offset, R("Empty user in bang path"));
	if (canon_domain(a->local, (size_t)(bang - a->local), offset, &host, &lit, err) < 0 || lit) {
		free(host);
		return fail(err, offset, R("Invalid host in bang path"));
	}
	rest = sm_strdup(bang + 1);
	if (strchr(rest, '!') != NULL || strchr(host, '.') == NULL)
		a->bang_next = sm_strdup(host); /* route-dependent: host is the first hop */
	free(a->local);
	a->local = rest;
	a->domain = host;
	return 0;
}

/* interpret - what an unqualified, unescaped local part means: a target, a bang path, a user */
static int interpret(struct sm_addr *a, size_t offset, struct sm_addr_error *err)
{
	const char *l = a->local, *bang;

	if (a->domain != NULL || a->route != NULL || a->escaped)
		return 0;
	if (l[0] == '|')
		return special(a, SM_ADDR_PROGRAM, l + 1, strlen(l + 1), offset, err);
	if (l[0] == '/')
		return special(a, SM_ADDR_FILE, l, strlen(l), offset, err);
	if (strncasecmp(l, INCLUDE_TAG, INCLUDE_LEN) == 0)
		return special(a, SM_ADDR_INCLUDE, l + INCLUDE_LEN, strlen(l + INCLUDE_LEN), offset, err);
	if ((bang = strchr(l, '!')) != NULL)
		return bang_path(a, bang, offset, err);
	return 0;
}

/* mailbox - [route ":"] addr-spec from p->pos to p->end, blanks and comments after */
static int mailbox(struct parser *p, struct sm_addr *a)
{
	struct sm_buf route = SM_BUF_INIT, local = SM_BUF_INIT;
	struct sm_addr_error *err = p->err;
	size_t lstart;
	int rc = -1;

	if (p->pos < p->end && p->s[p->pos] == '@') {
		if (source_route(p, &route) < 0)
			goto out;
		a->route = sm_buf_steal(&route);
	}
	lstart = p->pos;
	if (local_part(p, &local, &a->escaped) < 0)
		goto out;
	skip_cfws(p);
	if (local.len == 0) {
		fail(err, lstart, R("Empty local part"));
		goto out;
	}
	if (p->pos < p->end && p->s[p->pos] == '@') {
		p->pos++;
		skip_cfws(p);
		if (p->pos < p->end && p->s[p->pos] == '@') {
			fail(err, p->pos, R("More than one '@'"));
			goto out;
		}
		if (domain_at(p, &a->domain, &a->ip_literal) < 0)
			goto out;
		skip_cfws(p);
		if (p->pos < p->end) {
			fail(err, p->pos,
			     p->s[p->pos] == '@' ? R("More than one '@'") : R("Invalid text after domain"));
			goto out;
		}
	} else if (p->pos < p->end) {
		fail(err, p->pos, R("Invalid text after local part"));
		goto out;
	}
	if (a->route != NULL && a->domain == NULL) {
		fail(err, lstart, R("Source route needs a mailbox with a domain"));
		goto out;
	}
	a->local = sm_buf_steal(&local);
	a->kind = SM_ADDR_MAILBOX;
	if (interpret(a, lstart, err) < 0)
		goto out;
	rc = a->kind == SM_ADDR_MAILBOX ? finish_mailbox(a, lstart, err) : 0;
out:
	sm_buf_free(&route);
	sm_buf_free(&local);
	return rc;
}

/* structured - [phrase] <[route:]addr-spec>, or [route:]addr-spec, in in[b..e) */
static int structured(const char *in, size_t b, size_t e, struct sm_addr *out, struct sm_addr_error *err)
{
	struct parser p;
	size_t lt, gt;

	if (prescan(in, b, e, &lt, &gt, err) < 0)
		return -1;
	p.s = in;
	p.err = err;
	if (lt != NONE) {
		if (check_phrase(in, b, lt, err) < 0)
			return -1;
		p.pos = gt + 1;
		p.end = e;
		skip_cfws(&p);
		if (p.pos < p.end)
			return fail(err, p.pos, R("Text after '>'"));
		p.pos = lt + 1;
		p.end = gt;
		skip_cfws(&p);
		if (p.pos == p.end) {
			out->kind = SM_ADDR_NULL;
			out->text = sm_strdup("");
			return 0;
		}
	} else {
		p.pos = b;
		p.end = e;
		skip_cfws(&p);
		if (p.pos == p.end)
			return fail(err, b, R("Empty address"));
	}
	return mailbox(&p, out);
}

/* parse - sm_addr_parse() once the bytes are known to be clean */
static int parse(const char *in, size_t len, struct sm_addr *out, struct sm_addr_error *err)
{
	size_t b = 0, e = len, k;

	while (b < e && is_blank(in[b]))
		b++;
	while (e > b && is_blank(in[e - 1])) {
		for (k = 0; e - 1 - k > b && in[e - 2 - k] == '\\';)
			k++;
		if (k % 2) /* an escaped blank */
			break;
		e--;
	}
	if (b == e)
		return fail(err, 0, R("Empty address"));
	/* a bare special target is taken verbatim; "/x@host.domain" is a mailbox (X.400 style) */
	if (in[b] == '|')
		return special(out, SM_ADDR_PROGRAM, in + b + 1, e - b - 1, b, err);
	if (in[b] == '/') {
		if (structured(in, b, e, out, err) == 0 && out->kind == SM_ADDR_MAILBOX &&
		    out->domain != NULL)
			return 0;
		sm_addr_free(out);
		memset(err, 0, sizeof(*err));
		return special(out, SM_ADDR_FILE, in + b, e - b, b, err);
	}
	if (e - b >= INCLUDE_LEN && strncasecmp(in + b, INCLUDE_TAG, INCLUDE_LEN) == 0)
		return special(out, SM_ADDR_INCLUDE, in + b + INCLUDE_LEN, e - b - INCLUDE_LEN, b, err);
	return structured(in, b, e, out, err);
}

/* quote_file - quote the text of a file target that would read as a mailbox ("/x@host.dom") */
static void quote_file(struct sm_addr *a)
{
	struct sm_addr m;
	struct sm_addr_error err;
	struct sm_buf b = SM_BUF_INIT;

	memset(&m, 0, sizeof(m));
	if (structured(a->target, 0, strlen(a->target), &m, &err) == 0 && m.kind == SM_ADDR_MAILBOX &&
	    m.domain != NULL) {
		quote_into(&b, a->target); /* quoted: a leading '/' always needs it */
		free(a->text);
		a->text = sm_buf_steal(&b);
	}
	sm_addr_free(&m);
}

/* sm_addr_parse - parse in[0..len) into out (freed with sm_addr_free); 0, or -1 with err */
int sm_addr_parse(const char *in, size_t len, struct sm_addr *out, struct sm_addr_error *err)
{
	memset(out, 0, sizeof(*out));
	memset(err, 0, sizeof(*err));
	if (len == 0)
		return fail(err, 0, R("Empty address"));
	if (check_bytes(in, len, err) < 0 || parse(in, len, out, err) < 0) {
		sm_addr_free(out);
		return -1;
	}
	if (out->kind == SM_ADDR_FILE)
		quote_file(out);
	return 0;
}

/* sm_addr_percent_hack - user%host[@ours] becomes user@host (rightmost '%'); 1, 0 or -1 */
int sm_addr_percent_hack(struct sm_addr *a, struct sm_addr_error *err)
{
	struct sm_addr n;
	const char *pct;
	size_t at;

	memset(err, 0, sizeof(*err));
	if (a->kind != SM_ADDR_MAILBOX || a->local == NULL || (pct = strrchr(a->local, '%')) == NULL)
		return 0;
	at = (size_t)(pct - a->local);
	if (at == 0)
		return fail(err, 0, R("Empty local part"));
	if (pct[1] == '\0')
		return fail(err, at + 1, R("Missing domain after '%'"));
	memset(&n, 0, sizeof(n));
	if (canon_domain(pct + 1, strlen(pct + 1), at + 1, &n.domain, &n.ip_literal, err) < 0)
		return -1;
	n.kind = SM_ADDR_MAILBOX;
	n.local = sm_strndup(a->local, at);
	n.route = a->route ? sm_strdup(a->route) : NULL;
	n.escaped = a->escaped;
	if (finish_mailbox(&n, 0, err) < 0) {
		sm_addr_free(&n);
		return -1;
	}
	sm_addr_free(a);
	*a = n;
	return 1;
}

/* sm_addr_domain - a canonical copy of the domain in[0..len) (caller frees), or NULL with err */
char *sm_addr_domain(const char *in, size_t len, struct sm_addr_error *err)
{
	char *out;
	int lit;

	memset(err, 0, sizeof(*err));
	if (len == 0) {
		fail(err, 0, R("Missing domain after '@'"));
		return NULL;
	}
	if (check_bytes(in, len, err) < 0 || canon_domain(in, len, 0, &out, &lit, err) < 0)
		return NULL;
	return out;
}

/* sm_addr_free - release every string of a and zero it */
void sm_addr_free(struct sm_addr *a)
{
	free(a->text);
	free(a->local);
	free(a->domain);
	free(a->user);
	free(a->detail);
	free(a->route);
	free(a->bang_next);
	free(a->target);
	memset(a, 0, sizeof(*a));
}
