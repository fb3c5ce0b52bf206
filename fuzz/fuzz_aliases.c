/*
 * fuzz/fuzz_aliases.c - libFuzzer harness for the aliases(5) parser
 *
 * SYNOPSIS
 *	fuzz/run.sh [seconds] [top_builddir]
 *	./fuzz_aliases -max_total_time=30 -max_len=65536 CORPUS_DIR
 *	./fuzz_aliases crash-FILE                     (replay a reproducer)
 *
 * DESCRIPTION
 *	Feeds each input, read through fmemopen(3), to sm_aliases_parse() with
 *	a line limit of FUZZ_MAXLINE bytes (small, so "alias line too long" is
 *	reachable). The entry callback reads every byte of key and value (a
 *	checksum) so ASan sees any out-of-bounds read. Besides memory errors
 *	and undefined behaviour the harness aborts when a callback breaks the
 *	contract in nsswitch/aliases.h: an empty key or value, a key with upper
 *	case, white space, "@" or ":" in it, or longer than SM_TABLE_KEYMAX, a
 *	value with white space around it, line numbers that do not increase,
 *	an error message not in the documented list, or a read error.
 *
 *	Build by hand (run.sh does this):
 *	clang -g -O1 -fsanitize=fuzzer,address,undefined -I. fuzz/fuzz_aliases.c
 *	    nsswitch/aliases.c lib/buf.c lib/mem.c
 */
#include "config.h"

#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/mem.h"
#include "lib/table.h"
#include "nsswitch/aliases.h"

#define FUZZ_MAXLINE 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_state {
	unsigned long sum;      /* checksum of every byte handed to us */
	unsigned long lastline; /* the previous callback's line number */
	size_t entries, errors;
};

static volatile unsigned long checksum; /* keeps the reads from being optimised away */

/* broken - report a contract violation and abort so libFuzzer saves the input */
static void broken(const char *what)
{
	fprintf(stderr, "fuzz_aliases: contract violated: %s\n", what);
	abort();
}

/* next_line - abort unless lineno follows the previous callback's */
static void next_line(struct fuzz_state *st, unsigned long lineno)
{
	if (lineno == 0 || lineno <= st->lastline)
		broken("line numbers do not increase");
	st->lastline = lineno;
}

/* on_entry - check and checksum one entry */
static void on_entry(void *ctx, const char *key, size_t klen, const char *rhs, size_t rlen,
                     unsigned long lineno)
{
	struct fuzz_state *st = ctx;
	size_t i;

	next_line(st, lineno);
	if (klen == 0 || klen > SM_TABLE_KEYMAX)
		broken("key length out of range");
	if (rlen == 0)
		broken("empty value");
	for (i = 0; i < klen; i++) {
		unsigned char c = (unsigned char)key[i];

		if (isupper(c) || isspace(c) || c == '@' || c == ':' || c == '\0')
			broken("bad byte in key");
		st->sum = st->sum * 31 + c;
	}
	if (isspace((unsigned char)rhs[0]) || isspace((unsigned char)rhs[rlen - 1]))
		broken("white space around the value");
	for (i = 0; i < rlen; i++)
		st->sum = st->sum * 31 + (unsigned char)rhs[i];
	st->entries++;
}

/* on_error - check one error report */
static void on_error(void *ctx, unsigned long lineno, const char *msg)
{
	static const char *const known[] = {
		"Non-continuation line starts with space",
		"missing colon",
		"illegal alias name",
		"cannot alias non-local names",
		"missing value for alias",
		"alias line too long",
		"NUL byte in line",
		"alias name too long",
	};
	struct fuzz_state *st = ctx;
	size_t i;

	next_line(st, lineno);
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(msg, known[i]) == 0)
			break;
	if (i == sizeof(known) / sizeof(known[0]))
		broken("undocumented error message");
	st->errors++;
}

/* LLVMFuzzerTestOneInput - libFuzzer's entry point: one input */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_state st = { 0, 0, 0, 0 };
	struct sm_alias_cb cb = { on_entry, on_error, &st };
	char *copy;
	FILE *fp;
	int oserr = 0;

	if (size == 0)
		return 0; /* fmemopen(3) refuses an empty buffer on some libcs */
	copy = sm_malloc(size);
	memcpy(copy, data, size);
	fp = fmemopen(copy, size, "r");
	if (fp == NULL)
		broken("fmemopen failed");
	if (sm_aliases_parse(fp, "fuzz", FUZZ_MAXLINE, &cb, &oserr) != 0)
		broken("read error on a memory stream");
	fclose(fp);
	free(copy);
	checksum += st.sum + st.entries + st.errors;
	return 0;
}
