/*
 * router/list.c - split an alias value or .forward line into addresses
 *
 * SYNOPSIS
 *	void sm_split_list(const char *list, void (*fn)(void *ctx, const char *elem), void *ctx);
 *
 * DESCRIPTION
 *	Splits at commas that are outside double quotes, angle brackets and
 *	parentheses. Each element is trimmed; a "(comment)" is dropped and
 *	"Phrase <addr>" becomes "addr"; double quotes around a whole element
 *	("|/usr/bin/vacation js") are removed. Empty elements are skipped. The
 *	string passed to fn is valid only during the call. Reads no configuration.
 *
 * DIAGNOSTICS
 *	None: unbalanced quotes or brackets run to the end of the list.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/mem.h"
#include "router/router.h"

/* clean_element - drop comments, take <addr>, unquote, trim; returns b's string */
static const char *clean_element(const char *p, size_t len, struct sm_buf *b)
{
	const char *lt = NULL, *gt = NULL;
	int depth = 0, quoted = 0;
	size_t i;
	char *s;
	size_t n;

	sm_buf_reset(b);
	for (i = 0; i < len; i++) {
		char c = p[i];

		if (quoted) {
			sm_buf_addc(b, c);
			if (c == '\\' && i + 1 < len)
				sm_buf_addc(b, p[++i]);
			else if (c == '"')
				quoted = 0;
			continue;
		}
		if (c == '(') {
			depth++;
			continue;
		}
		if (depth) {
			if (c == ')')
				depth--;
			continue;
		}
		if (c == '"')
			quoted = 1;
		if (c == '<' && lt == NULL)
			lt = p + i;
		if (c == '>' && lt && gt == NULL)
			gt = p + i;
		sm_buf_addc(b, c);
	}
	if (lt && gt && gt > lt) {
		struct sm_buf inner = SM_BUF_INIT;
		const char *r = clean_element(lt + 1, (size_t)(gt - lt - 1), &inner);

		sm_buf_reset(b);
		sm_buf_adds(b, r);
		sm_buf_free(&inner);
	}
	s = (char *)sm_buf_str(b);
	while (*s && isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
		s[n - 1] = '\0';
		s++;
	}
	memmove(b->data, s, strlen(s) + 1);
	b->len = strlen(b->data);
	return b->data;
}

/* sm_split_list - call fn for each address of list */
void sm_split_list(const char *list, void (*fn)(void *ctx, const char *elem), void *ctx)
{
	struct sm_buf b = SM_BUF_INIT;
	const char *start = list, *p;
	int quoted = 0, angle = 0, paren = 0;

	for (p = list;; p++) {
		if (*p == '\0' || (*p == ',' && !quoted && !angle && !paren)) {
			const char *e = clean_element(start, (size_t)(p - start), &b);

			if (*e)
				fn(ctx, e);
			if (*p == '\0')
				break;
			start = p + 1;
			continue;
		}
		if (quoted) {
			if (*p == '\\' && p[1])
				p++;
			else if (*p == '"')
				quoted = 0;
		} else if (*p == '"') {
			quoted = 1;
		} else if (*p == '<') {
			angle++;
		} else if (*p == '>' && angle) {
			angle--;
		} else if (*p == '(') {
			paren++;
		} else if (*p == ')' && paren) {
			paren--;
		}
	}
	sm_buf_free(&b);
}
