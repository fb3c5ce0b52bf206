#!/bin/sh
#
# bench/ldap.sh - LDAP lookups: switchmail's ldap source, cold and warm, against Postfix's ldap: table
#
# SYNOPSIS
#	bench/ldap.sh				(Debian 12: slapd, ldap-utils, postfix, postfix-ldap)
#	ENTRIES=10000 LOOKUPS=10000 REPS=1 bench/ldap.sh
#
# DESCRIPTION
#	A benchmark, not a test. Builds a directory of ENTRIES (default 100,000) nisMailAlias
#	lists (1-4 rfc822MailMember values each) and as many inetLocalMailRecipient routing
#	entries (mailLocalAddress, mailHost, mailRoutingAddress) with slapadd, and serves it
#	with a private slapd (mdb, loglevel 0, equality indexes on objectClass, cn and
#	mailLocalAddress) on a free port of 127.0.0.1. Draws LOOKUPS (default 100,000)
#	distinct keys in random order: MISS percent (default 10) names that do not exist,
#	the rest existing lists.
#
#	switchmail resolves the keys through the switch with "aliases: files ldap" (a files
#	table of 1,000 other aliases is asked first, as on a real host) and the cache on
#	(LdapCacheTTL 1h). It is timed with a driver compiled from this script against the
#	build's libraries, which calls sm_switch_lookup() as the router does and times every
#	lookup: one process, a cold pass (every key a cache miss) and then a warm pass (every
#	key a cache hit), by 1 thread and by THREADS (default 8, the daemon's LookupThreads)
#	threads, each with its own switch and so its own LDAP connection, all sharing the
#	process's cache, as the daemon's lookup threads do. It also times the command line
#	once: switchmail -bt with "/map aliases KEY" lines, cold (-bt prints a trace for
#	every lookup, so its figure includes that output).
#
#	Postfix: postmap -q - ldap:aliases.cf (query_filter
#	(&(objectClass=nisMailAlias)(cn=%s)), result_attribute rfc822MailMember), one
#	process, and THREADS processes on a THREADS-way split of the keys (each Postfix daemon
#	process has its own LDAP connection). Postfix keeps no LDAP cache: every run is cold.
#
#	Before timing, the answers are compared: switchmail -bt and postmap must find the same
#	keys with the same members (Postfix joins values with ",", switchmail with ", ").
#	Timed runs alternate their order over REPS (default 3) repetitions; the best of each
#	is kept. Goals: cold >= 2x Postfix's postmap -q, warm >= 500,000 lookups/s. The
#	script prints which comparisons meet them, exits 0 when everything ran and the
#	answers agreed, and 1 otherwise. KEEP=1 keeps the temporary directory.
#
#	Settings: ENTRIES, LOOKUPS, MISS, THREADS, REPS, SEED (generator seed),
#	TOP_BUILDDIR (where switchmail was built; default the source tree), KEEP.
set -u
export LC_ALL=C
umask 022
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
builddir=${TOP_BUILDDIR:-$top}
entries=${ENTRIES:-100000}
lookups=${LOOKUPS:-100000}
miss=${MISS:-10}
threads=${THREADS:-8}
reps=${REPS:-3}
seed=${SEED:-20240611}

die() {
	echo "ldap.sh: $*" >&2
	exit 1
}
[ -x "$builddir/switchmail" ] || die "$builddir/switchmail: not found (build first, or set TOP_BUILDDIR)"
[ -f "$builddir/ldap/libsmldap.a" ] || die "$builddir/ldap/libsmldap.a: not found"
grep -q '^#define HAVE_LDAP 1' "$builddir/config.h" || die "switchmail was built without LDAP"
for p in /usr/sbin/slapd /usr/sbin/slapadd /usr/sbin/postmap /usr/sbin/postconf; do
	[ -x "$p" ] || die "$p: not found (apt-get install slapd ldap-utils postfix postfix-ldap)"
done
command -v ldapsearch >/dev/null || die "ldapsearch: not found (apt-get install ldap-utils)"
/usr/sbin/postconf -m 2>/dev/null | grep -qx ldap || die "Postfix has no ldap table (apt-get install postfix-ldap)"
[ $((lookups - lookups * miss / 100)) -le "$entries" ] || die "more existing keys wanted than ENTRIES"

# the rig: tests/lib.sh (free_port, wait_for) and tests/slapd.sh (the private slapd)
top_srcdir=$top
top_builddir=$builddir
. "$top/tests/lib.sh"
dir=$(mktemp -d "${TMPDIR:-/tmp}/switchmail-ldapbench.XXXXXX") || die "cannot make a temporary directory"
T=$dir
cleanup() {
	slapd_stop_all
	if [ "${KEEP:-0}" = 1 ]; then echo "kept $dir"; else rm -rf "$dir"; fi
}
. "$top/tests/slapd.sh"
trap cleanup EXIT
trap 'exit 130' INT TERM
chmod 755 "$dir"
cd "$dir" || die "cannot enter $dir"

now() { date +%s.%N; }
# since T0: seconds since the time T0 given by now
since() { echo "$(now) $1" | awk '{ printf "%.3f", $1 - $2 }'; }
# rate N SECONDS
rate() { echo "$1 $2" | awk '{ printf "%.0f", $1 / $2 }'; }
# best LIST: the smallest number in a blank-separated list
best() { echo "$1" | tr ' ' '\n' | awk 'NF && (m == "" || $1 < m) { m = $1 } END { print m }'; }

# --- the directory
echo "generating $entries lists and $entries routing entries..."
awk -v n="$entries" -v seed="$seed" -v out="$dir/data.ldif" '
	function rnd(m) { seed = (seed * 16807) % 2147483647; return int(seed / 2147483647 * m) }
	BEGIN {
		printf "dn: dc=example,dc=com\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example\n\n" > out
		printf "dn: ou=lists,dc=example,dc=com\nobjectClass: organizationalUnit\nou: lists\n\n" > out
		printf "dn: ou=people,dc=example,dc=com\nobjectClass: organizationalUnit\nou: people\n\n" > out
		for (i = 0; i < n; i++) {
			printf "dn: cn=list%d,ou=lists,dc=example,dc=com\nobjectClass: nisMailAlias\ncn: list%d\n", i, i > out
			m = 1 + rnd(4)
			for (j = 0; j < m; j++)
				printf "rfc822MailMember: user%d@example.org\n", rnd(1000000) > out
			printf "\n" > out
		}
		for (i = 0; i < n; i++)
			printf "dn: uid=u%d,ou=people,dc=example,dc=com\nobjectClass: account\nobjectClass: inetLocalMailRecipient\nuid: u%d\nmailLocalAddress: u%d@example.com\nmailHost: mx%d.example.net\nmailRoutingAddress: u%d@mx%d.example.net\n\n", i, i, i, i % 50, i, i % 50 > out
	}'
slapd_init big "loglevel 0" "" || die "slaptest refused the configuration: $(cat "$dir/slapd-big/slaptest.out")"
sed -i 's/^maxsize .*/maxsize 4294967296/' "$dir/slapd-big/slapd.conf"
sed -i 's/^index cn,mail,mailLocalAddress,sendmailMTAKey eq$/index cn,mailLocalAddress eq/' "$dir/slapd-big/slapd.conf"
t0=$(now)
/usr/sbin/slapadd -q -f "$dir/slapd-big/slapd.conf" -l "$dir/data.ldif" 2>"$dir/slapadd.err" ||
	die "slapadd failed: $(head -3 "$dir/slapadd.err")"
t_load=$(since "$t0")
slapd_start big || die "slapd does not answer"
trap cleanup EXIT
uri=$(slapd_uri big)
port=$(slapd_port big)
n=$(slapd_count big '(|(objectClass=nisMailAlias)(objectClass=inetLocalMailRecipient))')
[ "$n" -eq $((entries * 2)) ] || die "slapd holds $n entries, not $((entries * 2))"
echo "slapd on $uri holds $n entries (slapadd took $t_load s)"

# --- the keys: distinct, shuffled; MISS percent do not exist
awk -v n="$entries" -v k="$lookups" -v miss="$miss" -v seed="$seed" '
	function rnd(m) { seed = (seed * 16807) % 2147483647; return int(seed / 2147483647 * m) }
	BEGIN {
		nmiss = int(k * miss / 100); nhit = k - nmiss
		for (i = 0; i < n; i++) a[i] = i
		for (i = 0; i < nhit; i++) { j = i + rnd(n - i); t = a[i]; a[i] = a[j]; a[j] = t; key[i] = "list" a[i] }
		for (i = 0; i < nmiss; i++) key[nhit + i] = "nolist" i
		for (i = k - 1; i > 0; i--) { j = rnd(i + 1); t = key[i]; key[i] = key[j]; key[j] = t }
		for (i = 0; i < k; i++) print key[i]
	}' >"$dir/keys"
[ "$(sort -u "$dir/keys" | wc -l)" -eq "$lookups" ] || die "the keys are not distinct"
sed 's,^,/map aliases ,' "$dir/keys" >"$dir/cmds"

# --- switchmail: configuration and the driver
mkdir -p "$dir/sw"
awk 'BEGIN { for (i = 0; i < 1000; i++) printf "local%d: root\n", i }' >"$dir/sw/aliases"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$dir/sw/passwd"
printf 'aliases: files ldap\n' >"$dir/sw/nsswitch.conf"
cat >"$dir/sw/switchmail.conf" <<CONF
AliasFile = aliases
ServiceSwitchFile = nsswitch.conf
PasswdFile = passwd
HostName = mail.example.com
LdapURI = $uri
LdapBase = dc=example,dc=com
LdapTimeout = 10s
LdapCacheTTL = 1h
LdapCacheSize = $((lookups * 2))
CONF
"$builddir/newaliases" -C "$dir/sw/switchmail.conf" >/dev/null || die "newaliases failed"
conf=$dir/sw/switchmail.conf

cat >"$dir/ldapbench.c" <<'C'
/*
 * ldapbench.c - resolve keys through switchmail's switch: passes over the keys, each lookup timed
 *
 * SYNOPSIS
 *	ldapbench CONF THREADS KEYFILE PASSES
 *
 * DESCRIPTION
 *	Written by bench/ldap.sh. Each of THREADS threads opens its own switch (as a daemon
 *	lookup thread does) and asks the aliases database for every THREADS-th key with
 *	sm_switch_lookup(); PASSES passes run one after the other in the same process, so the
 *	first is cold and the next ones find the ldap source's cache filled. Prints one line
 *	per pass: lookups/s over the pass's wall time, mean, p50, p99 and max latency, how
 *	many keys were found, not found and failed, and the ldap cache's hits and misses.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ldap/cache.h"
#include "lib/cfg.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "nsswitch/switch.h"
#include "router/router.h"

struct worker {
	pthread_t th;
	const struct sm_config *cf;
	struct sm_switch *sw;
	char **keys;
	size_t nkeys, first, step;
	double *lat;
	size_t found, notfound, failed;
};

/* now_s - a monotonic clock in seconds */
static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* run_keys - one pass over this worker's share of the keys */
static void *run_keys(void *arg)
{
	struct worker *w = arg;
	size_t i;

	if (w->sw == NULL)
		w->sw = sm_switch_open(w->cf, sm_builtin_sources);
	w->found = w->notfound = w->failed = 0;
	for (i = w->first; i < w->nkeys; i += w->step) {
		struct sm_answer ans;
		double t0 = now_s();
		enum sm_status st = sm_switch_lookup(w->sw, "aliases", w->keys[i], strlen(w->keys[i]), &ans, NULL);

		w->lat[i] = now_s() - t0;
		switch (st) {
		case SM_SUCCESS:
			w->found++;
			break;
		case SM_NOTFOUND:
			w->notfound++;
			break;
		case SM_UNAVAIL:
		case SM_TRYAGAIN:
			w->failed++;
			break;
		}
		sm_answer_free(&ans);
	}
	return NULL;
}

/* cmp_double - for qsort */
static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* main - passes over the keys */
int main(int argc, char **argv)
{
	struct sm_config *cf = sm_config_new();
	struct sm_buf err = SM_BUF_INIT;
	size_t nthreads, nkeys = 0, cap = 0, i, p, npasses;
	char **keys = NULL, line[2048];
	struct worker *w;
	double *lat;
	FILE *fp;

	if (argc != 5 || (nthreads = (size_t)atoi(argv[2])) == 0 || (npasses = (size_t)atoi(argv[4])) == 0) {
		fprintf(stderr, "usage: ldapbench CONF THREADS KEYFILE PASSES\n");
		return 2;
	}
	sm_log_init("ldapbench", 0);
	if (sm_config_load(cf, argv[1], &err) < 0) {
		fprintf(stderr, "%s\n", sm_buf_str(&err));
		return 1;
	}
	if ((fp = fopen(argv[3], "r")) == NULL) {
		perror(argv[3]);
		return 1;
	}
	while (fgets(line, sizeof(line), fp)) {
		line[strcspn(line, "\n")] = '\0';
		if (nkeys == cap) {
			cap = cap ? cap * 2 : 1024;
			keys = sm_realloc(keys, cap * sizeof(*keys));
		}
		keys[nkeys++] = sm_strdup(line);
	}
	fclose(fp);
	if (nkeys == 0)
		return 1;
	lat = sm_calloc(nkeys, sizeof(*lat));
	w = sm_calloc(nthreads, sizeof(*w));
	for (i = 0; i < nthreads; i++)
		w[i] = (struct worker){ .cf = cf, .keys = keys, .nkeys = nkeys, .first = i, .step = nthreads, .lat = lat };
	for (p = 0; p < npasses; p++) {
		size_t found = 0, notfound = 0, failed = 0;
		struct sm_ldap_cache_stats before, after;
		double t0, t, sum = 0;

		sm_ldap_cache_stats(&before);
		t0 = now_s();

		for (i = 0; i < nthreads; i++)
			if (pthread_create(&w[i].th, NULL, run_keys, &w[i]) != 0)
				return 1;
		for (i = 0; i < nthreads; i++) {
			pthread_join(w[i].th, NULL);
			found += w[i].found;
			notfound += w[i].notfound;
			failed += w[i].failed;
		}
		t = now_s() - t0;
		sm_ldap_cache_stats(&after);
		for (i = 0; i < nkeys; i++)
			sum += lat[i];
		qsort(lat, nkeys, sizeof(*lat), cmp_double);
		printf("pass %zu threads %zu lookups %zu seconds %.3f rate %.0f mean_us %.1f p50_us %.1f "
		       "p99_us %.1f max_us %.1f found %zu notfound %zu failed %zu cache_hits %lu cache_misses %lu\n",
		       p + 1, nthreads, nkeys, t, (double)nkeys / t, sum / (double)nkeys * 1e6,
		       lat[nkeys / 2] * 1e6, lat[(size_t)((double)nkeys * 0.99)] * 1e6, lat[nkeys - 1] * 1e6,
		       found, notfound, failed, after.hits - before.hits, after.misses - before.misses);
		fflush(stdout);
	}
	for (i = 0; i < nthreads; i++)
		sm_switch_free(w[i].sw);
	sm_config_free(cf);
	return 0;
}
C
cat >"$dir/print.mk" <<'MK'
sm-print-cc:
	@echo '$(CC) $(CFLAGS) $(SM_CFLAGS) $(LDFLAGS)'
sm-print-libs:
	@echo '$(SM_LIBS) $(LIBS)'
MK
cc_line=$(make -s -C "$builddir" -f Makefile -f "$dir/print.mk" sm-print-cc) || die "cannot read the build's compiler"
libs=$(make -s -C "$builddir" -f Makefile -f "$dir/print.mk" sm-print-libs) || die "cannot read the build's libraries"
# shellcheck disable=SC2086
(cd "$builddir" && $cc_line -I"$top" -I"$builddir" -o "$dir/ldapbench" "$dir/ldapbench.c" $libs) ||
	die "cannot compile the driver"

# --- Postfix
mkdir -p "$dir/pf"
printf 'compatibility_level = 3.6\nmyhostname = mail.example.com\n' >"$dir/pf/main.cf"
cat >"$dir/pf/aliases.cf" <<CF
server_host = 127.0.0.1
server_port = $port
search_base = dc=example,dc=com
query_filter = (&(objectClass=nisMailAlias)(cn=%s))
result_attribute = rfc822MailMember
version = 3
bind = no
timeout = 10
CF
postmap_q() { /usr/sbin/postmap -c "$dir/pf" -q - "ldap:$dir/pf/aliases.cf"; }
split -n "r/$threads" "$dir/keys" "$dir/part."
postmap_par() { # (wait for these processes only: slapd is a child of this shell too)
	pids=""
	for f in "$dir"/part.??; do
		postmap_q <"$f" >"$f.out" 2>"$f.err" &
		pids="$pids $!"
	done
	for p in $pids; do
		wait "$p"
	done
}

# --- the answers must agree
echo "checking that switchmail and Postfix give the same answers..."
t0=$(now)
"$builddir/switchmail" -C "$conf" -bt <"$dir/cmds" >"$dir/bt.out" 2>"$dir/bt.err"
t_bt1=$(since "$t0")
postmap_q <"$dir/keys" >"$dir/pf.out" 2>"$dir/pf.err"
sed -n 's/^map aliases "\(.*\)": SUCCESS "\(.*\)"$/\1 \2/p' "$dir/bt.out" | sed 's/, /,/g' | sort >"$dir/sw.answers"
tr '\t' ' ' <"$dir/pf.out" | sort >"$dir/pf.answers"
nfound=$(wc -l <"$dir/sw.answers")
nnot=$(grep -c '^map aliases ".*": NOTFOUND$' "$dir/bt.out")
want_found=$((lookups - lookups * miss / 100))
status=0
if ! cmp -s "$dir/sw.answers" "$dir/pf.answers"; then
	echo "MISMATCH: switchmail and Postfix disagree ($(diff "$dir/sw.answers" "$dir/pf.answers" | grep -c '^[<>]') lines)"
	status=1
fi
if [ "$nfound" -ne "$want_found" ] || [ "$nnot" -ne $((lookups - want_found)) ] || [ -s "$dir/pf.err" ]; then
	echo "UNEXPECTED: $nfound found and $nnot not found (want $want_found and $((lookups - want_found)))"
	status=1
fi
echo "  both found the same $nfound keys with the same members; $nnot not found"

# --- timed runs, alternating the order
pf1="" pfn=""
# run_sm THREADS - the driver's cold and warm passes, appended to sm.all
run_sm() {
	"$dir/ldapbench" "$conf" "$1" "$dir/keys" 2 >"$dir/sm.$1.out" 2>"$dir/sm.$1.err" || {
		echo "ldapbench failed: $(head -3 "$dir/sm.$1.err")"
		status=1
	}
	# every lookup of the first pass misses the cache, every one of the second hits it
	if grep -q ' failed [1-9]' "$dir/sm.$1.out" || [ "$(grep -c "found $want_found notfound" "$dir/sm.$1.out")" -ne 2 ] ||
		! grep -q "^pass 1 .* cache_hits 0 cache_misses $lookups\$" "$dir/sm.$1.out" ||
		! grep -q "^pass 2 .* cache_hits $lookups cache_misses 0\$" "$dir/sm.$1.out"; then
		echo "ldapbench: unexpected counts: $(cat "$dir/sm.$1.out")"
		status=1
	fi
	cat "$dir/sm.$1.out" >>"$dir/sm.all"
}
for r in $(seq 1 "$reps"); do
	echo "run $r of $reps..."
	if [ $((r % 2)) -eq 1 ]; then order="sm pf"; else order="pf sm"; fi
	for who in $order; do
		case $who in
		sm)
			run_sm 1
			run_sm "$threads"
			;;
		pf)
			t0=$(now)
			postmap_q <"$dir/keys" >"$dir/pf.out" 2>"$dir/pf.err"
			pf1="$pf1 $(since "$t0")"
			t0=$(now)
			postmap_par
			pfn="$pfn $(since "$t0")"
			[ "$(cat "$dir"/part.??.out | wc -l)" -eq "$want_found" ] || {
				echo "postmap in parallel found $(cat "$dir"/part.??.out | wc -l) keys"
				status=1
			}
			;;
		esac
	done
done

# fastest PASS THREADS: the line with the best rate among the driver's "pass P threads N" lines
fastest() { grep "^pass $1 threads $2 " "$dir/sm.all" | sort -t' ' -k10,10 -n -r | head -1; }
field() { echo "$1" | awk -v f="$2" '{ for (i = 1; i < NF; i++) if ($i == f) print $(i + 1) }'; }
c1=$(fastest 1 1)
w1=$(fastest 2 1)
cn=$(fastest 1 "$threads")
wn=$(fastest 2 "$threads")
pf1b=$(best "$pf1")
pfnb=$(best "$pfn")
r_pf1=$(rate "$lookups" "$pf1b")
r_pfn=$(rate "$lookups" "$pfnb")
r_bt1=$(rate "$lookups" "$t_bt1")
ratio() { echo "$1 $2" | awk '{ printf "%.2f", $1 / $2 }'; }

echo
echo "$entries lists + $entries routing entries; $lookups distinct keys ($miss% missing); aliases: files ldap"
echo "switchmail $(cd "$top" && git describe --always --dirty 2>/dev/null), Postfix $(/usr/sbin/postconf -dh mail_version 2>/dev/null),"
echo "slapd $(/usr/sbin/slapd -VV 2>&1 | sed -n 's/.*slapd \([0-9.]*\).*/\1/p' | head -1), $(nproc) CPUs; best of $reps"
printf '%-52s %10s %10s %9s %9s\n' "" "lookups/s" "seconds" "p50 us" "p99 us"
row() { printf '%-52s %10s %10s %9s %9s\n' "$1" "$2" "$3" "$4" "$5"; }
row "switchmail cold, 1 thread" "$(field "$c1" rate)" "$(field "$c1" seconds)" "$(field "$c1" p50_us)" "$(field "$c1" p99_us)"
row "switchmail cold, $threads threads" "$(field "$cn" rate)" "$(field "$cn" seconds)" "$(field "$cn" p50_us)" "$(field "$cn" p99_us)"
row "switchmail warm, 1 thread" "$(field "$w1" rate)" "$(field "$w1" seconds)" "$(field "$w1" p50_us)" "$(field "$w1" p99_us)"
row "switchmail warm, $threads threads" "$(field "$wn" rate)" "$(field "$wn" seconds)" "$(field "$wn" p50_us)" "$(field "$wn" p99_us)"
row "switchmail -bt cold (one run)" "$r_bt1" "$t_bt1" "-" "-"
row "postmap -q - ldap: (Postfix, always cold)" "$r_pf1" "$pf1b" "-" "-"
row "postmap -q - ldap:, $threads processes" "$r_pfn" "$pfnb" "-" "-"
echo
cold1=$(ratio "$(field "$c1" rate)" "$r_pf1")
coldn=$(ratio "$(field "$cn" rate)" "$r_pf1")
coldnn=$(ratio "$(field "$cn" rate)" "$r_pfn")
goal() { awk -v x="$1" -v g="$2" 'BEGIN { print (x >= g ? "met" : "MISSED") }'; }
echo "cold, switchmail ($threads lookup threads, as the daemon) / postmap -q: ${coldn}x (goal >= 2x: $(goal "$coldn" 2))"
echo "cold, like for like, 1 thread / postmap -q:                  ${cold1}x"
echo "cold, like for like, $threads threads / $threads postmap processes:        ${coldnn}x"
echo "warm, 1 thread: $(field "$w1" rate) lookups/s (goal >= 500000: $(goal "$(field "$w1" rate)" 500000));" \
	"$threads threads: $(field "$wn" rate) lookups/s ($(goal "$(field "$wn" rate)" 500000))"
exit $status
