/*
 * server/main.c - the switchmail command: sendmail's command line
 *
 * SYNOPSIS
 *	switchmail [-C file] [-O Name=value]... [-v] -bv [address...]
 *	switchmail [-C file] [-O Name=value]... -bi        (also as "newaliases")
 *	switchmail [-C file] [-O Name=value]... -bC
 *	switchmail [-C file] [-O Name=value]... -bt
 *
 * DESCRIPTION
 *	-bv verifies addresses: each is routed through the switch and printed
 *	in sendmail's format, as one envelope (a recipient reached twice is
 *	listed once); with no address, addresses are read from standard input,
 *	one a line, each line an envelope of its own. -v adds the trace: every
 *	source consulted, its status, the native reason, the time it took and
 *	the action the criteria chose.
 *	-bi rebuilds the alias table from AliasFile and prints sendmail's
 *	statistics line. -bC checks the configuration and prints every setting
 *	with its effective value (and where a non-default value came from).
 *	-bt is address test mode (server/addrtest.h).
 *	-C names the configuration file (default /etc/mail/switchmail.conf, which
 *	may be missing); -O overrides one setting, as sendmail's -O does.
 *
 * DIAGNOSTICS
 *	Exit status is sendmail's (sysexits): EX_OK; EX_USAGE for a bad command
 *	line or address; EX_NOUSER for an unknown user; EX_TEMPFAIL when a
 *	lookup failed temporarily (the mail would be deferred); EX_CONFIG for a
 *	bad configuration; for -bi, see nsswitch/newaliases.h.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "lib/lines.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "nsswitch/newaliases.h"
#include "router/router.h"
#include "server/addrtest.h"
#include "server/cmdline.h"

/* usage - print the synopsis and fail */
static int usage(void)
{
	fprintf(stderr, "usage: switchmail [-C file] [-O Name=value] [-v] -bv [address ...]\n"
	                "       switchmail [-C file] [-O Name=value] -bi\n"
	                "       switchmail [-C file] [-O Name=value] -bC\n");
	return EX_USAGE;
}

/* verify_one - route and print one address; returns its exit status */
static int verify_one(struct sm_router *rt, const char *addr, int verbose)
{
	struct sm_trace tr = SM_TRACE_INIT;
	struct sm_route r = { 0, 0, NULL };
	int rc;

	sm_route(rt, addr, &r, verbose ? &tr : NULL);
	if (verbose)
		sm_trace_print(&tr, stdout, "  ");
	sm_route_print(&r, stdout);
	rc = sm_route_exit(&r);
	sm_route_free(&r);
	sm_trace_free(&tr);
	return rc;
}

/* mode_verify - -bv */
static int mode_verify(const struct sm_config *cf, char **addrs, int naddrs, int verbose)
{
	struct sm_switch *sw = sm_switch_open(cf, sm_builtin_sources);
	struct sm_router *rt = sm_router_new(cf, sw);
	int rc = EX_OK, one, i;

	if (naddrs > 0) {
		for (i = 0; i < naddrs; i++)
			if ((one = verify_one(rt, addrs[i], verbose)) != EX_OK)
				rc = one;
	} else {
		struct sm_lines lr;

		sm_lines_from(&lr, stdin, "standard input", 65536);
		while (sm_lines_next(&lr) > 0) {
			if (lr.line.len == 0)
				continue;
			if (lr.line.data[lr.line.len - 1] == '\r')
				lr.line.data[--lr.line.len] = '\0';
			sm_router_reset(rt); /* each line is an envelope of its own */
			if ((one = verify_one(rt, lr.line.data, verbose)) != EX_OK)
				rc = one;
		}
		sm_lines_close(&lr);
	}
	sm_router_free(rt);
	sm_switch_free(sw);
	return rc;
}

/* mode_test - -bt */
static int mode_test(const struct sm_config *cf)
{
	struct sm_switch *sw = sm_switch_open(cf, sm_builtin_sources);
	struct sm_router *rt = sm_router_new(cf, sw);
	int rc = sm_addrtest(rt, sw, stdin, stdout, isatty(0));

	sm_router_free(rt);
	sm_switch_free(sw);
	return rc;
}

/* mode_newaliases - -bi */
static int mode_newaliases(const struct sm_config *cf)
{
	const char *file = sm_config_str(cf, "AliasFile");
	struct sm_alias_stats st;
	int rc;

	rc = sm_newaliases(file, (size_t)sm_config_int(cf, "MaxAliasLineLength"), stderr, &st);
	if (rc == EX_OK || rc == EX_DATAERR)
		printf("%s: %zu aliases, longest %zu bytes, %zu bytes total\n", file, st.count, st.longest,
		       st.total);
	return rc;
}

/* main - parse sendmail's command line and run one mode */
int main(int argc, char **argv)
{
	const char *prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	const char *confpath = SM_DEFAULT_CONF;
	char **overrides = sm_calloc((size_t)argc, sizeof(char *));
	size_t noverrides = 0;
	struct sm_config *cf = NULL;
	int explicit_conf = 0, verbose = 0;
	char mode = 'm';
	int i, rc;

	sm_log_init(prog, 0);
	if (strcmp(prog, "newaliases") == 0)
		mode = 'i';
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (a[1] == 'b' && a[2] && !a[3]) {
			mode = a[2];
		} else if (a[1] == 'C' || a[1] == 'O') {
			const char *val = a[2] ? a + 2 : (i + 1 < argc ? argv[++i] : NULL);

			if (val == NULL) {
				free(overrides);
				return usage();
			}
			if (a[1] == 'C') {
				confpath = val;
				explicit_conf = 1;
			} else {
				overrides[noverrides++] = (char *)val;
			}
		} else if (strcmp(a, "-v") == 0) {
			verbose = 1;
		} else {
			fprintf(stderr, "%s: unknown option %s\n", prog, a);
			free(overrides);
			return usage();
		}
	}
	rc = sm_cmd_config(&cf, confpath, explicit_conf, overrides, noverrides);
	free(overrides);
	if (rc != EX_OK)
		return rc;
	switch (mode) {
	case 'v':
		rc = mode_verify(cf, argv + i, argc - i, verbose);
		break;
	case 'i':
		rc = mode_newaliases(cf);
		break;
	case 't':
		rc = mode_test(cf);
		break;
	case 'C':
		sm_config_print(cf, stdout);
		rc = EX_OK;
		break;
	default:
		fprintf(stderr, "%s: mode -b%c is not available in this version\n", prog, mode);
		rc = usage();
		break;
	}
	sm_config_free(cf);
	if (fflush(stdout) != 0 && rc == EX_OK)
		rc = EX_IOERR;
	return rc;
}
