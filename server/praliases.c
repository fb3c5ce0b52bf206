/*
 * server/praliases.c - print the compiled alias table
 *
 * SYNOPSIS
 *	praliases [-C file] [-O Name=value]... [-f aliasfile] [key ...]
 *
 * DESCRIPTION
 *	With no key, prints every entry of the table compiled from AliasFile
 *	(or -f file) as "key:value", in key order, the "@:@" sentinel included,
 *	as sendmail's praliases does. With keys, prints each one's entry, or
 *	"KEY: No such key". A key of "-" reads keys from standard input, one a
 *	line (batch lookups). Keys are folded to lower case as the table's are.
 *
 * DIAGNOSTICS
 *	EX_OK; EX_NOINPUT when the table cannot be opened (the reason on
 *	stderr); EX_CONFIG for a bad configuration; EX_IOERR if output fails.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "lib/lines.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/table.h"
#include "nsswitch/newaliases.h"
#include "server/cmdline.h"

/* print_entry - "key:value" */
static int print_entry(void *ctx, const char *key, size_t klen, const char *val, size_t vlen)
{
	(void)ctx;
	fwrite(key, 1, klen, stdout);
	putchar(':');
	fwrite(val, 1, vlen, stdout);
	putchar('\n');
	return 0;
}

/* print_key - one key's entry or "No such key" */
static void print_key(struct sm_table *t, char *key, size_t klen)
{
	const char *v;
	size_t vlen, i;

	for (i = 0; i < klen; i++)
		key[i] = (char)tolower((unsigned char)key[i]);
	if (sm_table_get(t, key, klen, &v, &vlen) == 1)
		print_entry(NULL, key, klen, v, vlen);
	else
		printf("%.*s: No such key\n", (int)klen, key);
}

/* main - print the table */
int main(int argc, char **argv)
{
	const char *confpath = SM_DEFAULT_CONF, *file = NULL;
	char **overrides = sm_calloc((size_t)argc, sizeof(char *));
	size_t noverrides = 0;
	struct sm_config *cf = NULL;
	struct sm_buf err = SM_BUF_INIT;
	struct sm_table *t;
	int explicit_conf = 0, c, rc, oserr;
	char *table;
	static char obuf[1 << 16];

	sm_log_init("praliases", 0);
	while ((c = getopt(argc, argv, "C:O:f:")) != -1) {
		switch (c) {
		case 'C':
			confpath = optarg;
			explicit_conf = 1;
			break;
		case 'O':
			overrides[noverrides++] = optarg;
			break;
		case 'f':
			file = optarg;
			break;
		default:
			fprintf(stderr,
			        "usage: praliases [-C file] [-O Name=value] [-f aliasfile] [key ...]\n");
			free(overrides);
			return EX_USAGE;
		}
	}
	rc = sm_cmd_config(&cf, confpath, explicit_conf, overrides, noverrides);
	free(overrides);
	if (rc != EX_OK)
		return rc;
	table = sm_alias_table_path(file ? file : sm_config_str(cf, "AliasFile"));
	t = sm_table_open(table, &err, &oserr);
	if (t == NULL) {
		fprintf(stderr, "praliases: %s\n", sm_buf_str(&err));
		rc = EX_NOINPUT;
		goto out;
	}
	setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
	if (optind == argc) {
		sm_table_each(t, print_entry, NULL);
	}
	for (; optind < argc; optind++) {
		if (strcmp(argv[optind], "-") == 0) {
			struct sm_lines lr;

			sm_lines_from(&lr, stdin, "standard input", 65536);
			while (sm_lines_next(&lr) > 0)
				if (lr.line.len)
					print_key(t, lr.line.data, lr.line.len);
			sm_lines_close(&lr);
		} else {
			print_key(t, argv[optind], strlen(argv[optind]));
		}
	}
	if (fflush(stdout) != 0)
		rc = EX_IOERR;
	sm_table_close(t);
out:
	free(table);
	sm_buf_free(&err);
	sm_config_free(cf);
	return rc;
}
