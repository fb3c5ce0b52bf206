/*
 * server/main.c - the switchmail command: sendmail's command line
 *
 * SYNOPSIS
 *	switchmail [-C file] [-O Name=value]... [-t] [-i|-oi] [-f from] [-F name]
 *	           [-N dsn] [-R ret] [-V envid] [address...]           (-bm, the default)
 *	switchmail [-C file] [-O Name=value]... -bd|-bD [-q[time]]    (also as "smtpd")
 *	switchmail [-C file] [-O Name=value]... -q[time] | -q[!]I|R|S|Qsubstr... [-Q[reason]]
 *	switchmail [-C file] [-O Name=value]... -bp [-qQ]               (also as "mailq")
 *	switchmail [-C file] [-O Name=value]... -bS    (start as /etc/default/switchmail says)
 *	switchmail [-C file] [-O Name=value]... [-v] -bv [address...]
 *	switchmail [-C file] [-O Name=value]... -bi        (also as "newaliases")
 *	switchmail [-C file] [-O Name=value]... -bh | -bH  (also as "hoststat", "purgestat")
 *	switchmail [-C file] [-O Name=value]... -bC
 *	switchmail [-C file] [-O Name=value]... -bt
 *	switchmail [-C file] [-O Name=value]... -bN [domain...]
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
 *	-bt is address test mode (server/addrtest.h). -bN checks the name
 *	service against what mail routing needs (server/nscheck.h): the mail
 *	domain, the host names, the mail host, and the MX records of the mail
 *	domain and of each domain given.
 *	-bm (the default) reads a message on standard input (server/submit.h),
 *	routes each recipient and writes the message to the queue, where the
 *	daemon finds it at once; a recipient that cannot be routed is reported
 *	on stderr as sendmail does ("addr... User unknown") and the others are
 *	still queued. -bd runs the daemon in the background, -bD in the
 *	foreground with the log on stderr (server/daemon.h); -q with a time
 *	alone runs a queue-runner daemon; -q with no time runs the queue once
 *	in the foreground, limited by -qI, -qR, -qS (the text attached, "-qRacme.com",
 *	or as the next word, "-qR acme.com"; and -qQ for quarantined
 *	messages) selectors; -Q reason quarantines the selected messages, -Q
 *	alone releases them. -bp lists the queue in sendmail's format. -bh and
 *	-bH show and purge the host status: the last connection-level failure
 *	of each remote host (server/hoststat.h); -bh -v shows whole replies.
 *	-bS reads
 *	DefaultsFile (MODE, QUEUEINTERVAL, QUEUEOPTION, OPTIONS, as Solaris
 *	reads /etc/default/sendmail) and runs the command it describes (for
 *	the systemd unit, etc/switchmail.service; -v prints it first).
 *	-C names the configuration file (default /etc/mail/switchmail.conf, which
 *	may be missing); -O overrides one setting, as sendmail's -O does.
 *
 * DIAGNOSTICS
 *	Exit status is sendmail's (sysexits): EX_OK; EX_USAGE for a bad command
 *	line or address; EX_NOUSER for an unknown user; EX_TEMPFAIL when a
 *	lookup failed temporarily (the mail would be deferred); EX_CONFIG for a
 *	bad configuration; EX_NOPERM for a queue operation the user may not do;
 *	for -bi, see nsswitch/newaliases.h; for -bm, server/submit.h.
 */
#include "config.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "lib/lines.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "nsswitch/newaliases.h"
#include "router/router.h"
#include "server/addrtest.h"
#include "server/cmdline.h"
#include "server/daemon.h"
#include "server/defaults.h"
#include "server/hoststat.h"
#include "server/mailq.h"
#include "server/nscheck.h"
#include "server/qmgr.h"
#include "server/queue.h"
#include "server/submit.h"
#include "server/target.h"

/* what the command line asked for */
struct args {
	char mode;        /* the -b letter; 'm' by default */
	int verbose;      /* -v */
	int queue_run;    /* -q given */
	long queue_every; /* -q<time>: seconds, 0 for one run */
	struct sm_qsel *sel;
	int quarantine_op; /* -Q given */
	const char *qreason;
	struct sm_submit_opts sub;
	const char *confpath;
	int explicit_conf;
	char **overrides;
	size_t noverrides;
	char **addrs;
	int naddrs;
};

/* usage - print the synopsis and fail */
static int usage(void)
{
	fprintf(
	    stderr,
	    "usage: switchmail [-C file] [-O Name=value] [-t] [-i] [-f from] [-F name] [address ...]\n"
	    "       switchmail [-C file] [-O Name=value] -bd | -bD [-q[time]]\n"
	    "       switchmail [-C file] [-O Name=value] -q[time] | -q[!]{I|R|S|Q}substr ... [-Q[reason]]\n"
	    "       switchmail [-C file] [-O Name=value] -bp [-qQ]\n"
	    "       switchmail [-C file] [-O Name=value] [-v] -bv [address ...]\n"
	    "       switchmail [-C file] [-O Name=value] -bi | -bC | -bt | -bh | -bH | -bS\n");
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

/* sel_wants_word - is a -q selector ("R", "!I") missing its text, which then is the next word? */
static int sel_wants_word(const char *sel)
{
	if (*sel == '!')
		sel++;
	return (*sel == 'I' || *sel == 'R' || *sel == 'S') && sel[1] == '\0';
}

/* mode_nscheck - -bN [domain...] */
static int mode_nscheck(const struct sm_config *cf, char **domains, size_t n)
{
	struct sm_switch *sw = sm_switch_open(cf, sm_builtin_sources);
	struct sm_router *rt = sm_router_new(cf, sw);
	int rc = sm_nscheck(rt, sw, cf, domains, n, stdout);

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

/* open_queue - QueueDirectory for a command; NULL after printing why */
static struct sm_queue *open_queue(const struct sm_config *cf)
{
	struct sm_buf err = SM_BUF_INIT;
	struct sm_queue *q = NULL;

	if (sm_queue_open(sm_config_str(cf, "QueueDirectory"), &q, &err) != SM_QOK) {
		fprintf(stderr, "switchmail: %s\n", err.len ? err.data : "cannot open the queue");
		q = NULL;
	}
	sm_buf_free(&err);
	return q;
}

/* mode_mailq - -bp */
static int mode_mailq(const struct sm_config *cf, const struct args *a)
{
	struct sm_buf err = SM_BUF_INIT;
	struct sm_queue *q = open_queue(cf);
	int rc;

	if (q == NULL)
		return EX_TEMPFAIL;
	rc = sm_mailq_print(q, sm_config_str(cf, "QueueDirectory"), a->sel,
	                    a->sel && sm_qsel_quarantine(a->sel) ? SM_MAILQ_QUARANTINED : SM_MAILQ_NORMAL,
	                    stdout, &err);
	if (err.len)
		fprintf(stderr, "mailq: %s\n", err.data);
	sm_buf_free(&err);
	sm_queue_close(q);
	return rc;
}

/* mode_quarantine - -Q[reason] on the selected messages */
static int mode_quarantine(const struct sm_config *cf, const struct args *a)
{
	struct sm_queue *q = open_queue(cf);
	char **ids;
	size_t n, i, done = 0;

	if (q == NULL)
		return EX_TEMPFAIL;
	if (sm_queue_list(q, &ids, &n, NULL) != SM_QOK) {
		sm_queue_close(q);
		return EX_TEMPFAIL;
	}
	for (i = 0; i < n; i++) {
		struct sm_qmsg *m;
		int match;

		if (sm_queue_load(q, ids[i], &m, NULL) != SM_QOK)
			continue;
		match = (a->sel == NULL || sm_qsel_match(a->sel, m)) &&
		        (m->quarantine.len > 0) != (*a->qreason != 0);
		sm_qmsg_free(m);
		if (match && sm_queue_mark(q, ids[i], SM_QMARK_QUARANTINE, a->qreason, NULL) == SM_QOK) {
			sm_log(LOG_INFO, "%s: %s%s", ids[i],
			       *a->qreason ? "quarantined: " : "released from quarantine", a->qreason);
			done++;
		}
	}
	printf("%zu message%s %s\n", done, done == 1 ? "" : "s", *a->qreason ? "quarantined" : "released");
	sm_queue_ids_free(ids, n);
	sm_queue_close(q);
	return EX_OK;
}

/* mode_queue_run - -q with no time: one run in the foreground */
static int mode_queue_run(const struct sm_config *cf, const struct args *a)
{
	struct sm_queue *q = open_queue(cf);
	struct sm_qmgr *m;
	int rc;

	if (q == NULL)
		return EX_TEMPFAIL;
	m = sm_qmgr_new(cf, q, sm_config_str(cf, "QueueDirectory"));
	rc = sm_qmgr_run(m, a->sel, a->sel && sm_qsel_quarantine(a->sel));
	sm_qmgr_free(m);
	sm_queue_close(q);
	return rc;
}

/* mode_daemon - -bd, -bD, or -q<time> alone */
static int mode_daemon(const struct sm_config *cf, const struct args *a, int listen, int foreground)
{
	struct sm_daemon_opts o = { .listen = listen, .foreground = foreground, .interval = a->queue_every };

	if (!a->queue_run)
		o.interval = sm_config_int(cf, "QueueInterval");
	sm_log_init("switchmail", foreground ? SM_LOG_STDERR_ALL : SM_LOG_SYSLOG);
	return sm_daemon_run(cf, &o);
}

/* mode_service - -bS: run what DefaultsFile describes */
static int mode_service(const struct sm_config *cf, const struct args *a)
{
	struct sm_defaults d;
	struct sm_buf err = SM_BUF_INIT;
	char **argv, **full;
	size_t argc, i, n = 0;

	if (sm_defaults_read(sm_config_str(cf, "DefaultsFile"), &d, &err) < 0) {
		fprintf(stderr, "switchmail: %s\n", err.data);
		sm_buf_free(&err);
		return EX_CONFIG;
	}
	argv = sm_defaults_argv(&d, "switchmail", &argc);
	full = sm_calloc(argc + 2 * a->noverrides + 4, sizeof(char *));
	full[n++] = argv[0];
	if (a->explicit_conf) {
		full[n++] = "-C";
		full[n++] = (char *)a->confpath;
	}
	for (i = 0; i < a->noverrides; i++) {
		full[n++] = "-O";
		full[n++] = a->overrides[i];
	}
	for (i = 1; i < argc; i++)
		full[n++] = argv[i];
	full[n] = NULL;
	if (a->verbose) {
		for (i = 0; i < n; i++)
			printf("%s%s", i ? " " : "", full[i]);
		printf("\n");
		fflush(stdout);
	}
	execv("/proc/self/exe", full);
	fprintf(stderr, "switchmail: cannot run %s: %s\n", full[0], strerror(errno));
	free(full);
	sm_defaults_argv_free(argv);
	sm_defaults_free(&d);
	return EX_OSERR;
}

/* mode_submit - -bm: queue the message on standard input */
static int mode_submit(const struct sm_config *cf, struct args *a)
{
	struct sm_buf err = SM_BUF_INIT;
	struct sm_qmsg *in = NULL, *m;
	struct sm_switch *sw;
	struct sm_router *rt;
	struct sm_queue *q;
	struct passwd *pw = getpwuid(getuid());
	char *host = sm_cmd_hostname(cf);
	char **trusted;
	int rc, worst = EX_OK;
	size_t i, ntrusted;

	a->sub.user = pw ? pw->pw_name : "nobody";
	a->sub.hostname = host;
	a->sub.domain = NULL;
	a->sub.rcpts = a->addrs;
	a->sub.nrcpts = (size_t)a->naddrs;
	a->sub.max_size = (size_t)sm_config_int(cf, "MaxMessageSize");
	trusted = sm_config_words(cf, "TrustedUsers", &ntrusted);
	for (i = 0; i < ntrusted; i++)
		if (strcmp(trusted[i], a->sub.user) == 0)
			a->sub.trusted = 1;
	sm_config_words_free(trusted, ntrusted);
	rc = sm_submit_read(stdin, &a->sub, &in, &err);
	if (rc != EX_OK) {
		fprintf(stderr, "switchmail: %s\n", err.len ? err.data : "cannot read the message");
		sm_buf_free(&err);
		free(host);
		return rc;
	}
	/* route every recipient now, as the SMTP side does */
	m = sm_qmsg_new();
	sm_buf_add(&m->sender, in->sender.data, in->sender.len);
	sm_buf_add(&m->envid, in->envid.data, in->envid.len);
	m->ret = in->ret;
	m->body = in->body;
	memset(&in->body, 0, sizeof(in->body));
	sw = sm_switch_open(cf, sm_builtin_sources);
	rt = sm_router_new(cf, sw);
	for (i = 0; i < in->nrcpt; i++) {
		const struct sm_qrcpt *r = &in->rcpt[i];
		struct sm_route route = { 0, 0, NULL };
		struct sm_route_tally n;

		sm_router_reset(rt);
		sm_route(rt, r->addr.data, &route, NULL);
		sm_route_tally(&route, &n);
		if (n.temp) {
			/* a directory is failing: queue it unrouted; the queue manager routes it later */
			struct sm_qrcpt *x = sm_qmsg_add_rcpt(m, r->addr.data, r->addr.len);

			sm_buf_add(&x->orcpt, r->orcpt.data, r->orcpt.len);
			x->notify = r->notify;
		} else if (n.good == 0) {
			sm_route_print(&route, stderr);
			worst = sm_route_exit(&route);
		} else {
			sm_qmsg_add_route(m, r->addr.data, r->orcpt.len ? r->orcpt.data : NULL, r->notify,
			                  &route);
		}
		sm_route_free(&route);
	}
	sm_router_free(rt);
	sm_switch_free(sw);
	sm_qmsg_free(in);
	if (m->nrcpt > 0) {
		if ((q = open_queue(cf)) == NULL) {
			worst = EX_TEMPFAIL;
		} else {
			if (sm_queue_commit(q, m, &err) == SM_QOK) {
				sm_log(LOG_INFO, "%s: from=<%s>, nrcpts=%zu, queued by %s", m->id,
				       m->sender.len ? m->sender.data : "", m->nrcpt, a->sub.user);
				if (a->verbose)
					printf("%s: queued\n", m->id);
			} else {
				fprintf(stderr, "switchmail: %s\n", err.data);
				worst = EX_TEMPFAIL;
			}
			sm_queue_close(q);
		}
	}
	sm_qmsg_free(m);
	sm_buf_free(&err);
	free(host);
	return worst;
}

/* parse_notify - -N never | success,failure,delay */
static int parse_notify(const char *v, unsigned *out)
{
	char *copy = sm_strdup(v), *save = NULL, *w;
	unsigned bits = 0;
	int rc = 0;

	for (w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		if (strcasecmp(w, "never") == 0)
			bits |= SM_NOTIFY_NEVER;
		else if (strcasecmp(w, "success") == 0)
			bits |= SM_NOTIFY_SUCCESS;
		else if (strcasecmp(w, "failure") == 0)
			bits |= SM_NOTIFY_FAILURE;
		else if (strcasecmp(w, "delay") == 0)
			bits |= SM_NOTIFY_DELAY;
		else
			rc = -1;
	}
	if ((bits & SM_NOTIFY_NEVER) && bits != SM_NOTIFY_NEVER)
		rc = -1;
	free(copy);
	*out = bits;
	return rc;
}

/* option_value - the value of an option letter: the rest of the word or the next word */
static const char *option_value(int argc, char **argv, int *i)
{
	const char *a = argv[*i];

	if (a[2])
		return a + 2;
	if (*i + 1 < argc)
		return argv[++*i];
	return NULL;
}

/* parse_args - sendmail's command line into a; EX_OK or EX_USAGE (after a message) */
static int parse_args(int argc, char **argv, const char *prog, struct args *a)
{
	struct sm_buf err = SM_BUF_INIT;
	int i;

	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		const char *arg = argv[i], *val;

		if (strcmp(arg, "--") == 0) {
			i++;
			break;
		}
		switch (arg[1]) {
		case 'b':
			if (!arg[2] || arg[3])
				goto bad;
			a->mode = arg[2];
			break;
		case 'C':
		case 'O':
			if ((val = option_value(argc, argv, &i)) == NULL)
				goto bad;
			if (arg[1] == 'C') {
				a->confpath = val;
				a->explicit_conf = 1;
			} else {
				a->overrides[a->noverrides++] = (char *)val;
			}
			break;
		case 'v':
			a->verbose = 1;
			break;
		case 't':
			a->sub.from_headers = 1;
			break;
		case 'i':
			a->sub.ignore_dots = 1;
			break;
		case 'o':
			if (arg[2] == 'i')
				a->sub.ignore_dots = 1;
			/* other -oX options (-oem, -odb, ...) are accepted and ignored */
			break;
		case 'f':
		case 'r':
			if ((val = option_value(argc, argv, &i)) == NULL)
				goto bad;
			if (a->sub.from) {
				fprintf(stderr, "%s: More than one \"from\" person\n", prog);
				return EX_USAGE;
			}
			a->sub.from = val;
			break;
		case 'F':
			if ((val = option_value(argc, argv, &i)) == NULL)
				goto bad;
			a->sub.fullname = val;
			break;
		case 'N':
			if ((val = option_value(argc, argv, &i)) == NULL ||
			    parse_notify(val, &a->sub.notify) < 0) {
				fprintf(stderr, "%s: Invalid -N argument\n", prog);
				return EX_USAGE;
			}
			break;
		case 'R':
			if ((val = option_value(argc, argv, &i)) == NULL)
				goto bad;
			if (strcasecmp(val, "full") == 0)
				a->sub.ret = SM_RET_FULL;
			else if (strcasecmp(val, "hdrs") == 0)
				a->sub.ret = SM_RET_HDRS;
			else
				goto bad;
			break;
		case 'V':
			if ((val = option_value(argc, argv, &i)) == NULL)
				goto bad;
			a->sub.envid = val;
			break;
		case 'B':
		case 'L':
		case 'h':
			if (option_value(argc, argv, &i) == NULL)
				goto bad;
			break;
		case 'A':
		case 'G':
		case 'U':
		case 'n':
		case 'm':
			break;
		case 'q':
			a->queue_run = 1;
			if (arg[2] == '\0' || arg[2] == 'f')
				break;
			if (arg[2] == 'p') {
				long t = arg[3] ? sm_interval_parse(arg + 3, 'm') : 1;

				if (t < 0)
					goto bad;
				a->queue_every = t;
				break;
			}
			if (arg[2] >= '0' && arg[2] <= '9') {
				if ((a->queue_every = sm_interval_parse(arg + 2, 'm')) < 0)
					goto bad;
				break;
			}
			if (a->sel == NULL)
				a->sel = sm_qsel_new();
			if (sel_wants_word(arg + 2) && i + 1 < argc && argv[i + 1][0] != '-') {
				/* "-qR domain": the text as the next word */
				char *joined = sm_asprintf("%s%s", arg + 2, argv[++i]);
				int bad = sm_qsel_add(a->sel, joined, &err) < 0;

				free(joined);
				if (!bad)
					break;
				fprintf(stderr, "%s: %s\n", prog, err.data);
				sm_buf_free(&err);
				return EX_USAGE;
			}
			if (sm_qsel_add(a->sel, arg + 2, &err) < 0) {
				fprintf(stderr, "%s: %s\n", prog, err.data);
				sm_buf_free(&err);
				return EX_USAGE;
			}
			break;
		case 'Q':
			a->quarantine_op = 1;
			a->qreason = arg + 2;
			break;
		default:
			goto bad;
		}
	}
	a->addrs = argv + i;
	a->naddrs = argc - i;
	return EX_OK;
bad:
	fprintf(stderr, "%s: bad or incomplete option %s\n", prog, argv[i]);
	return usage();
}

/* main - parse sendmail's command line and run one mode */
int main(int argc, char **argv)
{
	const char *prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	struct sm_config *cf = NULL;
	char *abs_conf = NULL;
	struct args a;
	int rc;

	memset(&a, 0, sizeof(a));
	a.mode = 'm';
	a.confpath = SM_DEFAULT_CONF;
	a.overrides = sm_calloc((size_t)argc, sizeof(char *));
	sm_log_init(prog, SM_LOG_STDERR);
	if (strcmp(prog, "newaliases") == 0)
		a.mode = 'i';
	else if (strcmp(prog, "mailq") == 0)
		a.mode = 'p';
	else if (strcmp(prog, "hoststat") == 0)
		a.mode = 'h';
	else if (strcmp(prog, "purgestat") == 0)
		a.mode = 'H';
	else if (strcmp(prog, "smtpd") == 0)
		a.mode = 'd';
	rc = parse_args(argc, argv, prog, &a);
	if (rc == EX_OK && a.confpath[0] != '/' && (a.mode == 'd' || a.mode == 'S' || a.queue_every > 0)) {
		/* the daemon leaves the current directory: name the configuration absolutely */
		abs_conf = realpath(a.confpath, NULL);
		if (abs_conf)
			a.confpath = abs_conf;
	}
	if (rc == EX_OK)
		rc = sm_cmd_config(&cf, a.confpath, a.explicit_conf, a.overrides, a.noverrides);
	if (rc != EX_OK)
		goto out;
	switch (a.mode) {
	case 'v':
		rc = mode_verify(cf, a.addrs, a.naddrs, a.verbose);
		break;
	case 'i':
		rc = mode_newaliases(cf);
		break;
	case 't':
		rc = mode_test(cf);
		break;
	case 'N':
		rc = mode_nscheck(cf, a.addrs, (size_t)a.naddrs);
		break;
	case 'C':
		sm_config_print(cf, stdout);
		rc = EX_OK;
		break;
	case 'p':
		rc = mode_mailq(cf, &a);
		break;
	case 'd':
	case 'D':
		rc = mode_daemon(cf, &a, 1, a.mode == 'D');
		break;
	case 'S':
		rc = mode_service(cf, &a);
		break;
	case 'h':
	case 'H': {
		char *dir = sm_hoststat_dir(cf);

		rc = a.mode == 'h' ? sm_hoststat_print(dir, stdout, a.verbose, time(NULL))
		                   : sm_hoststat_purge(dir);
		free(dir);
		break;
	}
	case 'm':
		if (a.quarantine_op)
			rc = mode_quarantine(cf, &a);
		else if (a.queue_run && a.queue_every > 0)
			rc = mode_daemon(cf, &a, 0, 0);
		else if (a.queue_run)
			rc = mode_queue_run(cf, &a);
		else if (a.naddrs == 0 && !a.sub.from_headers) {
			fprintf(stderr, "%s: Recipient names must be specified\n", prog);
			rc = EX_USAGE;
		} else
			rc = mode_submit(cf, &a);
		break;
	default:
		fprintf(stderr, "%s: mode -b%c is not available in this version\n", prog, a.mode);
		rc = usage();
		break;
	}
out:
	if (cf)
		sm_config_free(cf);
	sm_qsel_free(a.sel);
	free(a.overrides);
	free(abs_conf);
	if (fflush(stdout) != 0 && rc == EX_OK)
		rc = EX_IOERR;
	return rc;
}
