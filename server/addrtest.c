/*
 * server/addrtest.c - address test mode (-bt)
 *
 * See addrtest.h. Reads no configuration of its own.
 *
 * DIAGNOSTICS
 *	See addrtest.h.
 */
#include "config.h"

#include <ctype.h>
#include <string.h>
#include <sysexits.h>

#include "lib/lines.h"
#include "server/addrtest.h"

/* skip_blanks - the first non-blank byte of s */
static char *skip_blanks(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	return s;
}

/* cmd_map - /map DB KEY */
static void cmd_map(struct sm_switch *sw, char *args, FILE *out)
{
	struct sm_trace tr = SM_TRACE_INIT;
	struct sm_answer ans;
	char *db = skip_blanks(args), *key;

	for (key = db; *key && !isspace((unsigned char)*key);)
		key++;
	if (*key)
		*key++ = '\0';
	key = skip_blanks(key);
	if (*db == '\0' || *key == '\0') {
		fprintf(out, "usage: /map database key\n");
		return;
	}
	sm_switch_lookup(sw, db, key, strlen(key), &ans, &tr);
	sm_trace_print(&tr, out, "  ");
	fprintf(out, "map %s \"%s\": %s", db, key, sm_status_name(ans.status));
	if (ans.value)
		fprintf(out, " \"%s\"", ans.value);
	else if (ans.reason)
		fprintf(out, " (%s: %s)", ans.source ? ans.source : "?", ans.reason);
	fputc('\n', out);
	sm_answer_free(&ans);
	sm_trace_free(&tr);
}

/* cmd_route - /parse ADDRESS (verbose) or -bv ADDRESS */
static void cmd_route(struct sm_router *rt, const char *addr, FILE *out, int verbose)
{
	struct sm_trace tr = SM_TRACE_INIT;
	struct sm_route r = { 0, 0, NULL };
	size_t i;

	sm_router_reset(rt); /* each command is an envelope of its own */
	sm_route(rt, addr, &r, verbose ? &tr : NULL);
	if (!verbose) {
		sm_route_print(&r, out);
		sm_route_free(&r);
		return;
	}
	sm_trace_print(&tr, out, "  ");
	for (i = 0; i < r.count; i++) {
		const struct sm_rcpt *x = &r.r[i];

		if (x->mailer && (strcmp(x->mailer, "prog") == 0 || strcmp(x->mailer, "*file*") == 0))
			fprintf(out, "%s: mailer %s, user %s (controlling user %s)\n", x->addr, x->mailer,
			        x->user, x->ctl);
		else if (x->mailer && x->host)
			fprintf(out, "%s: mailer %s, host %s, user %s\n", x->addr, x->mailer, x->host,
			        x->user);
		else if (x->mailer)
			fprintf(out, "%s: mailer %s, user %s\n", x->addr, x->mailer, x->user);
		else
			fprintf(out, "%s: mailer error, %s\n", x->addr, x->reply);
	}
	sm_route_free(&r);
	sm_trace_free(&tr);
}

/* sm_addrtest - the -bt loop (see addrtest.h) */
int sm_addrtest(struct sm_router *rt, struct sm_switch *sw, FILE *in, FILE *out, int prompt)
{
	struct sm_lines lr;

	fprintf(out, "ADDRESS TEST MODE\nEnter /parse address, /map database key, -bv address, or /quit\n");
	sm_lines_from(&lr, in, "standard input", 65536);
	for (;;) {
		char *line;

		if (prompt) {
			fputs("> ", out);
			fflush(out);
		}
		if (sm_lines_next(&lr) <= 0)
			break;
		if (lr.line.len && lr.line.data[lr.line.len - 1] == '\r')
			lr.line.data[--lr.line.len] = '\0';
		line = skip_blanks(lr.line.data);
		if (*line == '\0' || *line == '#')
			continue;
		if (!prompt)
			fprintf(out, "> %s\n", line);
		if (strncmp(line, "/quit", 5) == 0)
			break;
		if (strncmp(line, "/map", 4) == 0 && (line[4] == '\0' || isspace((unsigned char)line[4])))
			cmd_map(sw, line + 4, out);
		else if (strncmp(line, "/parse", 6) == 0 && isspace((unsigned char)line[6]))
			cmd_route(rt, skip_blanks(line + 6), out, 1);
		else if (strncmp(line, "-bv", 3) == 0 && isspace((unsigned char)line[3]))
			cmd_route(rt, skip_blanks(line + 3), out, 0);
		else
			fprintf(out, "unknown command: %s\n", line);
	}
	sm_lines_close(&lr);
	return fflush(out) == 0 ? EX_OK : EX_IOERR;
}
