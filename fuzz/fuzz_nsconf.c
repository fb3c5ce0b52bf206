/*
 * fuzz/fuzz_nsconf.c - libFuzzer harness for the nsswitch.conf parser
 *
 * SYNOPSIS
 *	fuzz/run.sh [seconds] [top_builddir]
 *	./fuzz_nsconf -max_total_time=30 -max_len=65536 CORPUS_DIR
 *	./fuzz_nsconf crash-FILE                      (replay a reproducer)
 *
 * DESCRIPTION
 *	Feeds each input to sm_nsconf_parse_string() (as a NUL-terminated
 *	copy, so the parse stops at the first NUL byte) and then, line by line,
 *	to sm_nsconf_parse_line() (each line a separate heap copy, so ASan sees
 *	any read past its end). Everything is freed, so LeakSanitizer reports
 *	leaks. Besides memory errors and undefined behaviour the harness aborts
 *	when a result breaks the contract in nsswitch/conf.h: a database line
 *	with no name, no source, more than SM_NS_MAXSRC sources or an action out
 *	of range; an error without a reason; two chains for one database.
 *	Logging is diverted to a sink that only reads the message.
 *
 *	Build by hand (run.sh does this):
 *	clang -g -O1 -fsanitize=fuzzer,address,undefined -I. fuzz/fuzz_nsconf.c
 *	    nsswitch/conf.c nsswitch/status.c lib/lines.c lib/log.c lib/buf.c lib/mem.c
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "nsswitch/conf.h"
#include "nsswitch/status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile size_t sink_bytes; /* keeps the sink's reads from being optimised away */

/* broken - report a contract violation and abort so libFuzzer saves the input */
static void broken(const char *what)
{
	fprintf(stderr, "fuzz_nsconf: contract violated: %s\n", what);
	abort();
}

/* quiet_sink - discard a log message after reading it */
static void quiet_sink(int prio, const char *msg, void *ctx)
{
	(void)prio;
	(void)ctx;
	sink_bytes += strlen(msg);
}

/* check_db - abort unless db is a well-formed database line */
static void check_db(const struct sm_nsdb *db)
{
	size_t i, j;

	if (db->name == NULL || db->name[0] == '\0')
		broken("database line without a name");
	if (db->count == 0 || db->count > SM_NS_MAXSRC)
		broken("source count out of range");
	for (i = 0; i < db->count; i++) {
		if (db->src[i].source == NULL || db->src[i].source[0] == '\0')
			broken("empty source name");
		sink_bytes += strlen(db->src[i].source);
		for (j = 0; j < SM_NSTATUS; j++)
			if (db->src[i].act[j] != SM_RETURN && db->src[i].act[j] != SM_CONTINUE)
				broken("action out of range");
	}
}

/* fuzz_string - the whole input through sm_nsconf_parse_string */
static void fuzz_string(const char *text)
{
	struct sm_nsconf *conf = sm_nsconf_parse_string(text, "fuzz");
	size_t i, j;

	if (conf == NULL)
		broken("sm_nsconf_parse_string returned NULL");
	for (i = 0; i < conf->count; i++) {
		check_db(&conf->db[i]);
		for (j = i + 1; j < conf->count; j++)
			if (strcmp(conf->db[i].name, conf->db[j].name) == 0)
				broken("two chains for one database");
		if (sm_nsconf_find(conf, conf->db[i].name) != &conf->db[i])
			broken("sm_nsconf_find misses a database");
	}
	(void)sm_nsconf_find(conf, "aliases");
	sm_nsconf_free(conf);
}

/* fuzz_line - one line through sm_nsconf_parse_line */
static void fuzz_line(const char *line)
{
	struct sm_buf err = SM_BUF_INIT;
	struct sm_nsdb db;
	int rc = sm_nsconf_parse_line(line, &db, &err);

	if (rc == 1) {
		check_db(&db);
	} else if (rc == 0) {
		if (db.name != NULL || db.count != 0)
			broken("blank line filled the database");
	} else if (rc == -1) {
		if (err.len == 0)
			broken("error without a reason");
		if (db.count > SM_NS_MAXSRC)
			broken("source count out of range after an error");
	} else {
		broken("sm_nsconf_parse_line returned something else than 1, 0 or -1");
	}
	sm_nsdb_clear(&db);
	sm_buf_free(&err);
}

/* LLVMFuzzerTestOneInput - libFuzzer's entry point: one input */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = sm_malloc(size + 1);
	size_t start, end;

	sm_log_sink(quiet_sink, NULL);
	memcpy(text, data, size);
	text[size] = '\0';
	fuzz_string(text);
	for (start = 0; start <= size; start = end + 1) {
		char *line;

		for (end = start; end < size && data[end] != '\n'; end++)
			;
		if (end == size && start == size && size > 0)
			break; /* nothing after the last newline */
		line = sm_malloc(end - start + 1);
		memcpy(line, data + start, end - start);
		line[end - start] = '\0';
		fuzz_line(line);
		free(line);
	}
	free(text);
	return 0;
}
