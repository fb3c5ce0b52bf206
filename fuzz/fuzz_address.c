/*
 * fuzz/fuzz_address.c - libFuzzer harness for the address parser
 *
 * SYNOPSIS
 *	./fuzz_address -max_total_time=60 -max_len=65536 CORPUS_DIR
 *	./fuzz_address crash-FILE                     (replay a reproducer)
 *
 * DESCRIPTION
 *	Feeds each input (no NUL terminator, so ASan sees any read past the
 *	end) to sm_addr_parse(), sm_addr_domain() and, on a parsed mailbox,
 *	sm_addr_percent_hack() (router/address.h). Besides memory errors, leaks
 *	and undefined behaviour the harness aborts when a result breaks the
 *	contract in address.h:
 *
 *	- a failure whose reply is not "553 5.1.3 reason", whose text is not
 *	  the reason inside it, whose exit code is not EX_USAGE, whose offset
 *	  lies past the input, or which leaves anything in the result;
 *	- a result whose fields do not fit its kind (a mailbox without a local
 *	  part, a target with a domain, <> with any field), a user and detail
 *	  that do not rebuild the local part, a domain with upper case (but
 *	  the "IPv6:" tag), a trailing dot, or more than 255 bytes, a local
 *	  part over 64 bytes, a path over 256, a target over 1024 or with
 *	  blanks around it, CR or LF anywhere, or a utf8 flag that is wrong;
 *	- canonical text that does not parse again to the same kind, local
 *	  part, domain, target, escape, bang path and text;
 *	- a percent hack that changes a failed address, or gives an address
 *	  whose text does not parse back to the new local part and domain;
 *	- a domain from sm_addr_domain() that is not its own canonical form.
 *
 *	Build by hand:
 *	clang -g -O1 -fsanitize=fuzzer,address,undefined -I. fuzz/fuzz_address.c
 *	    router/address.c lib/buf.c lib/mem.c
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "lib/mem.h"
#include "router/address.h"

#define PREFIX "553 5.1.3 "

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* broken - report a contract violation and abort so libFuzzer saves the input */
static void broken(const char *what)
{
	fprintf(stderr, "fuzz_address: contract violated: %s\n", what);
	abort();
}

/* same - strings equal, NULL equal only to NULL */
static int same(const char *a, const char *b)
{
	return (a == NULL || b == NULL) ? a == b : strcmp(a, b) == 0;
}

/* check_error - a failure is a documented reply and leaves nothing behind */
static void check_error(const struct sm_addr_error *err, size_t size)
{
	if (err->reply == NULL || strncmp(err->reply, PREFIX, sizeof(PREFIX) - 1) != 0)
		broken("reply is not 553 5.1.3");
	if (err->text != err->reply + sizeof(PREFIX) - 1 || *err->text == '\0')
		broken("text is not the reason inside reply");
	if (err->exitcode != EX_USAGE)
		broken("exit code is not EX_USAGE");
	if (err->offset > size)
		broken("offset past the input");
}

/* is_zero - nothing left in a after a failure */
static int is_zero(const struct sm_addr *a)
{
	static const struct sm_addr zero;

	return memcmp(a, &zero, sizeof(zero)) == 0;
}

/* has_8bit - any byte above 0x7f */
static int has_8bit(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return 1;
	return 0;
}

/* check_domain - lower case (but the IPv6: tag), no trailing dot, within the limit */
static void check_domain(const char *d, int literal)
{
	size_t i, n = strlen(d);

	if (n == 0 || n > SM_ADDR_DOMAIN_MAX)
		broken("domain length out of range");
	if (d[n - 1] == '.')
		broken("trailing dot in domain");
	if (literal != (d[0] == '[' && d[n - 1] == ']'))
		broken("ip_literal does not match the domain");
	for (i = literal && strncmp(d, "[IPv6:", 6) == 0 ? 6 : 0; i < n; i++)
		if ((d[i] >= 'A' && d[i] <= 'Z') || (unsigned char)d[i] >= 0x80 || d[i] == ' ')
			broken("upper case, blank or 8-bit in domain");
}

/* check_fields - the fields fit the kind */
static void check_fields(const struct sm_addr *a)
{
	const char *t = a->text;

	if (t == NULL)
		broken("no text");
	if (strchr(t, '\r') || strchr(t, '\n'))
		broken("CR or LF in text");
	if (a->utf8 != has_8bit(t))
		broken("utf8 flag wrong");
	if (a->has_detail != (a->detail != NULL))
		broken("has_detail does not match detail");
	switch (a->kind) {
	case SM_ADDR_MAILBOX:
		if (a->local == NULL || *a->local == '\0' || a->user == NULL || a->target != NULL)
			broken("mailbox fields");
		if (strlen(a->local) > SM_ADDR_LOCAL_MAX)
			broken("local part over 64 bytes");
		if (a->detail) {
			size_t ul = strlen(a->user);

			if (ul == 0 || strncmp(a->local, a->user, ul) != 0 || a->local[ul] != '+' ||
			    strcmp(a->local + ul + 1, a->detail) != 0)
				broken("user+detail is not the local part");
		} else if (strcmp(a->user, a->local) != 0) {
			broken("user is not the local part");
		}
		if (a->domain)
			check_domain(a->domain, a->ip_literal);
		else if (a->ip_literal || a->route || a->bang_next)
			broken("literal, route or bang path without a domain");
		if (a->bang_next && (strcmp(a->bang_next, a->domain) != 0 || a->escaped || a->ip_literal))
			broken("bang_next is not the domain");
		if (a->route && a->route[0] != '@')
			broken("route does not start with @");
		if (!a->escaped && strlen(t) + 2 + (a->route ? strlen(a->route) + 1 : 0) > SM_ADDR_PATH_MAX)
			broken("path over 256 bytes");
		if (a->escaped != (t[0] == '\\'))
			broken("escape not shown in text");
		break;
	case SM_ADDR_NULL:
		if (*t || a->local || a->domain || a->user || a->detail || a->route || a->bang_next ||
		    a->target || a->escaped || a->ip_literal || a->utf8)
			broken("<> with fields");
		break;
	case SM_ADDR_PROGRAM:
	case SM_ADDR_FILE:
	case SM_ADDR_INCLUDE: {
		size_t n = a->target ? strlen(a->target) : 0;

		if (n == 0 || n > SM_ADDR_TARGET_MAX)
			broken("target length out of range");
		if (a->target[0] == ' ' || a->target[0] == '\t' || a->target[n - 1] == ' ' ||
		    a->target[n - 1] == '\t')
			broken("blanks around the target");
		if (a->local || a->domain || a->user || a->detail || a->route || a->bang_next || a->escaped ||
		    a->ip_literal)
			broken("target with mailbox fields");
		if (a->kind == SM_ADDR_PROGRAM && (t[0] != '|' || strcmp(t + 1, a->target) != 0))
			broken("program text");
		if (a->kind == SM_ADDR_FILE && (t[0] == '/' ? strcmp(t, a->target) != 0 : t[0] != '"'))
			broken("file text");
		if (a->kind == SM_ADDR_INCLUDE &&
		    (strncmp(t, ":include:", 9) != 0 || strcmp(t + 9, a->target) != 0))
			broken("include text");
		break;
	}
	}
}

/* check_reparse - text parses back to the same address */
static void check_reparse(const struct sm_addr *a)
{
	struct sm_addr b;
	struct sm_addr_error err;

	if (sm_addr_parse(a->text, strlen(a->text), &b, &err) != 0) {
		if (a->kind != SM_ADDR_NULL) /* "" is not <> */
			broken("canonical text does not parse");
		return;
	}
	if (b.kind != a->kind || !same(b.local, a->local) || !same(b.domain, a->domain) ||
	    !same(b.target, a->target) || b.escaped != a->escaped || !same(b.bang_next, a->bang_next) ||
	    b.ip_literal != a->ip_literal || !same(b.detail, a->detail) || !same(b.text, a->text))
		broken("canonical text parses to another address");
	sm_addr_free(&b);
}

/* check_percent - the % hack keeps its promises */
static void check_percent(struct sm_addr *a)
{
	struct sm_addr_error err;
	char *before = sm_strdup(a->text);
	int rc = sm_addr_percent_hack(a, &err);

	switch (rc) {
	case 0:
	case -1:
		if (strcmp(before, a->text) != 0)
			broken("percent hack changed an address it did not rewrite");
		if (rc == -1)
			check_error(&err, strlen(before));
		break;
	case 1:
		if (a->kind != SM_ADDR_MAILBOX || a->domain == NULL)
			broken("percent hack without a domain");
		check_fields(a);
		check_reparse(a);
		break;
	default:
		broken("percent hack returned something else");
	}
	free(before);
}

/* check_bare_domain - sm_addr_domain() gives its own canonical form */
static void check_bare_domain(const char *in, size_t len)
{
	struct sm_addr_error err;
	char *d = sm_addr_domain(in, len, &err), *again;

	if (d == NULL) {
		check_error(&err, len);
		return;
	}
	check_domain(d, d[0] == '[');
	again = sm_addr_domain(d, strlen(d), &err);
	if (again == NULL || strcmp(again, d) != 0)
		broken("canonical domain is not canonical");
	free(again);
	free(d);
}

/* LLVMFuzzerTestOneInput - libFuzzer's entry point: one input */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sm_addr a;
	struct sm_addr_error err;
	char *copy = sm_malloc(size ? size : 1); /* exactly size bytes: no terminator */

	memcpy(copy, data, size);
	if (sm_addr_parse(copy, size, &a, &err) != 0) {
		check_error(&err, size);
		if (!is_zero(&a))
			broken("result not empty after a failure");
	} else {
		check_fields(&a);
		check_reparse(&a);
		check_percent(&a);
		sm_addr_free(&a);
		if (!is_zero(&a))
			broken("sm_addr_free left something");
	}
	check_bare_domain(copy, size);
	free(copy);
	return 0;
}
