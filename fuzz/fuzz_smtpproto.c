/*
 * fuzz/fuzz_smtpproto.c - libFuzzer harness for the SMTP protocol layer
 *
 * SYNOPSIS
 *	./fuzz_smtpproto -max_total_time=60 -max_len=65536 CORPUS_DIR
 *	./fuzz_smtpproto crash-FILE                   (replay a reproducer)
 *
 * DESCRIPTION
 *	The first input byte picks a chunk size (1 to 256); the rest is fed
 *	(no NUL terminator) to the command reader and, per line, to
 *	sm_smtp_parse() and the sequence rules (server/smtpproto.h), and
 *	also to the DATA reader in chunks of that size. Besides memory
 *	errors, leaks and undefined behaviour the harness aborts when a result
 *	breaks the contract:
 *
 *	- a reader that consumes more than it was given, a line holding CR,
 *	  LF or NUL or longer than 510 octets, an error without a 500 reply;
 *	- a parse failure whose reply is not "5xx d.d.d text", or a success
 *	  with CR, LF or NUL in its argument, ENVID or ORCPT;
 *	- a DATA reader whose end is not right after a real CRLF "." CRLF
 *	  (or ".CRLF" at the start), that ends differently when fed whole,
 *	  or whose stored content holds a bare CR or LF, or differs between
 *	  the two feedings.
 *
 *	Build by hand:
 *	clang -g -O1 -fsanitize=fuzzer,address,undefined -I. fuzz/fuzz_smtpproto.c
 *	    server/smtpproto.c router/address.c lib/buf.c lib/mem.c
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/mem.h"
#include "server/smtpproto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* broken - report a contract violation and abort so libFuzzer saves the input */
static void broken(const char *what)
{
	fprintf(stderr, "fuzz_smtpproto: contract violated: %s\n", what);
	abort();
}

/* clean - no CR, LF or NUL in s (NULL is clean) */
static int clean(const char *s)
{
	return s == NULL || strpbrk(s, "\r\n") == NULL;
}

/* check_reply - "5xx d.d.d text" */
static void check_reply(const char *r)
{
	if (r == NULL || r[0] != '5' || r[3] != ' ' || r[4] != '5' || r[5] != '.' || !clean(r))
		broken("bad reply");
}

/* do_commands - the command reader and parser over in, chunk bytes at a time */
static void do_commands(const char *in, size_t n, size_t chunk)
{
	struct sm_smtp_reader r;
	struct sm_buf pend = SM_BUF_INIT;
	enum sm_smtp_state st = SM_SMTP_INIT;
	size_t fed = 0, used;

	sm_smtp_reader_init(&r, 0);
	while (fed < n) {
		size_t k = n - fed > chunk ? chunk : n - fed;

		sm_buf_add(&pend, in + fed, k);
		fed += k;
		for (;;) {
			struct sm_smtp_line line;
			enum sm_smtp_read rd = sm_smtp_read_line(&r, pend.data, pend.len, &used, &line);

			if (used > pend.len)
				broken("reader consumed more than given");
			if (rd == SM_SMTP_READ_LINE) {
				struct sm_smtp_cmd cmd;

				if (line.len > SM_SMTP_LINE_MAX - 2 || memchr(line.ptr, '\r', line.len) ||
				    memchr(line.ptr, '\n', line.len) || memchr(line.ptr, '\0', line.len))
					broken("bad line");
				if (sm_smtp_parse(line.ptr, line.len, &cmd) != 0) {
					check_reply(cmd.reply);
				} else {
					if (!clean(cmd.arg) || !clean(cmd.params.envid) ||
					    !clean(cmd.params.orcpt))
						broken("CR or LF in a parsed value");
					if (sm_smtp_allowed(st, cmd.verb) == NULL)
						st = sm_smtp_next(st, cmd.verb);
				}
				sm_smtp_cmd_free(&cmd);
			} else if (rd == SM_SMTP_READ_ERROR) {
				if (line.reply == NULL || strncmp(line.reply, "500 5.5.2 ", 10) != 0)
					broken("reader error without 500");
			}
			memmove(pend.data, pend.data + used, pend.len - used);
			pend.len -= used;
			if (rd == SM_SMTP_READ_MORE)
				break;
		}
	}
	sm_buf_free(&pend);
}

/* check_store - only CRLF pairs in the stored content */
static void check_store(const struct sm_buf *b)
{
	size_t i;

	for (i = 0; i < b->len; i++) {
		if (b->data[i] == '\r' && (i + 1 == b->len || b->data[i + 1] != '\n'))
			broken("bare CR stored");
		if (b->data[i] == '\n' && (i == 0 || b->data[i - 1] != '\r'))
			broken("bare LF stored");
	}
}

/* do_data - the DATA reader, whole and in chunks; returns nothing, aborts on a violation */
static void do_data(const char *in, size_t n, size_t chunk)
{
	struct sm_buf a = SM_BUF_INIT, b = SM_BUF_INIT;
	struct sm_smtp_data da, db;
	size_t ua, off = 0, ub = 0, used;
	int ea, eb = 0;

	sm_smtp_data_init(&da, &a, 4096);
	ea = sm_smtp_data_feed(&da, in, n, &ua);
	if (ea) {
		if (!((ua == 3 && memcmp(in, ".\r\n", 3) == 0) ||
		      (ua >= 5 && memcmp(in + ua - 5, "\r\n.\r\n", 5) == 0)))
			broken("end not at CRLF.CRLF");
	} else if (ua != n) {
		broken("not all consumed without an end");
	}
	sm_smtp_data_init(&db, &b, 4096);
	while (off < n && !eb) {
		size_t k = n - off > chunk ? chunk : n - off;

		eb = sm_smtp_data_feed(&db, in + off, k, &used);
		ub = off + used;
		off += k;
	}
	if (ea != eb || (ea && ua != ub))
		broken("chunked feeding ends elsewhere");
	if (a.len != b.len || (a.len && memcmp(a.data, b.data, a.len) != 0))
		broken("chunked feeding stores other content");
	if (a.len > 4096)
		broken("stored past the size limit");
	check_store(&a);
	(void)sm_smtp_data_reply(&da);
	sm_buf_free(&a);
	sm_buf_free(&b);
}

/* LLVMFuzzerTestOneInput - libFuzzer's entry point: one input */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t chunk;
	char *copy;

	if (size == 0)
		return 0;
	chunk = (size_t)data[0] + 1;
	size--;
	copy = sm_malloc(size ? size : 1);
	memcpy(copy, data + 1, size);
	do_commands(copy, size, chunk);
	do_data(copy, size, chunk);
	free(copy);
	return 0;
}
