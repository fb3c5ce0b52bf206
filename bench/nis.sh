#!/bin/sh
#
# bench/nis.sh - NIS lookups in mail.aliases: switchmail's nis source against ypmatch, one ypserv
#
# SYNOPSIS
#	bench/nis.sh				(as root; Debian 12 with rpcbind, ypserv, nis)
#	KEYS=100000 LOOKUPS=10000 REPS=3 bench/nis.sh
#
# DESCRIPTION
#	A benchmark, not a test. Re-runs itself inside private network, UTS, mount and PID
#	namespaces (unshare --net --uts --mount --pid --mount-proc --kill-child=TERM; the
#	host's rpcbind, domain name and /var/yp are never touched), then:
#
#	1. writes a deterministic aliases file of KEYS (default 100,000) aliases (70% one
#	   member, 30% lists of 2-6 members) and builds mail.aliases from it the way
#	   /var/yp/Makefile does (awk joins continuation lines, makedbm --aliases);
#	2. starts rpcbind -w -f, ypserv -f and ypbind -n (bound to 127.0.0.1 through a yp.conf
#	   of its own), all stopped by pid at the end;
#	3. draws LOOKUPS (default 10,000) distinct existing keys in a shuffled order and asks
#	   them, in one process each, through
#	     switchmail -bt ("/map aliases KEY" lines: the switch and the nis source), bound
#	       through ypbind (NisServers empty) as ypmatch is, and again with
#	       NisServers = 127.0.0.1 (no ypbind);
#	     ypmatch -d DOMAIN KEY... mail.aliases (Debian nis: libnsl's yp_match through ypbind);
#	4. times each (wall clock, best of REPS) and subtracts the same command with one key,
#	   so process start-up (and the first binding) is excluded on both sides: lookups/s =
#	   (LOOKUPS - 1) / (t(LOOKUPS) - t(1));
#	5. takes per-lookup latencies from switchmail's own trace (the time of each nis source
#	   call, as -bt prints it) and, for ypmatch, from an LD_PRELOAD shim around yp_match()
#	   compiled here with cc; prints p50 and p99 of each;
#	6. checks that every side answered every key with the same values.
#
#	Goal: switchmail >= 1x ypmatch per lookup. Exits 0 when everything ran and the checks
#	held (whether or not the goal is met), 1 otherwise. KEEP=1 keeps the temporary directory.
set -u
export LC_ALL=C
umask 022
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
builddir=${TOP_BUILDDIR:-$top}
nkeys=${KEYS:-100000}
nlook=${LOOKUPS:-10000}
reps=${REPS:-3}
sm=$builddir/switchmail
dom=benchdom

die() {
	echo "nis.sh: $*" >&2
	exit 1
}
[ "$(id -u)" -eq 0 ] || die "run as root (private namespaces, ypserv on a privileged port)"
[ -x "$sm" ] || die "$sm: not found (build first, or set TOP_BUILDDIR)"
for p in unshare rpcbind ypserv ypbind ypmatch ypwhich rpcinfo cc bc awk; do
	command -v "$p" >/dev/null 2>&1 || [ -x "/usr/sbin/$p" ] || die "$p is not installed"
done
[ -x /usr/lib/yp/makedbm ] || die "/usr/lib/yp/makedbm is not installed (ypserv)"
[ "$nlook" -le "$nkeys" ] || die "LOOKUPS must not exceed KEYS"
if [ -z "${NIS_BENCH_NS:-}" ]; then
	NIS_BENCH_NS=1 exec unshare --net --uts --mount --pid --mount-proc --kill-child=TERM /bin/sh "$0" "$@"
fi
# process 1 of its own PID namespace: the servers die with it, however it ends
PATH=$PATH:/usr/sbin:/sbin
ip link set lo up && hostname nishost && domainname "$dom" && mount -t tmpfs -o mode=755 tmpfs /run ||
	die "cannot set up the namespaces"

dir=$(mktemp -d "${TMPDIR:-/tmp}/switchmail-bench.XXXXXX") || die "cannot make a temporary directory"
pids=
cleanup() {
	for p in $pids; do kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	if [ "${KEEP:-0}" = 1 ]; then echo "kept $dir"; else rm -rf "$dir"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE
chmod 755 "$dir"
cd "$dir" || die "cannot enter $dir"
mkdir -p yp/$dom yp/binding
: >yp/nicknames
printf '255.0.0.0\t127.0.0.0\n' >yp/securenets
mount --bind "$dir/yp" /var/yp || die "cannot bind-mount /var/yp"

# --- data: aliases, the map, the keys
awk -v seed=20240611 -v nkeys="$nkeys" -v nlook="$nlook" '
	function rnd(n) { seed = (seed * 16807) % 2147483647; return int(seed / 2147483647 * n) }
	BEGIN {
		for (i = 0; i < nkeys; i++) {
			if (rnd(10) < 7) { printf "user%d: u%d@example.com\n", i, rnd(1000000) > "aliases"; continue }
			n = 2 + rnd(5); line = ""
			for (j = 0; j < n; j++) line = line (j ? ", " : "") "m" rnd(1000000) "@lists.example.org"
			printf "list%d: %s\n", i, line > "aliases"
			name[i] = "list" i
		}
		for (i = 0; i < nkeys; i++) key[i] = (i in name) ? name[i] : "user" i
		for (i = 0; i < nlook; i++) { j = i + rnd(nkeys - i); t = key[i]; key[i] = key[j]; key[j] = t; print key[i] > "keys" }
	}'
awk '{
	if ($1 ~ "^#.*") next;
	if ($1 == "" || $1 == "+") { if (line != "") { print line; line = "" } next }
	if ($0 ~ /^[[:space:]]/) line = line $0;
	else { if (line != "") { print line; line = "" } line = $0 }
} END { if (line != "") print line }' aliases |
	(cd yp/$dom && /usr/lib/yp/makedbm -m nishost --aliases -i aliases -o mail.aliases - mail.aliases) ||
	die "makedbm failed"
head -1 keys >key1
sed 's|^|/map aliases |' keys >map.in
sed 's|^|/map aliases |' key1 >map1.in

# --- the servers
rpcbind -w -f >rpcbind.log 2>&1 &
pids="$! $pids"
i=0
until rpcinfo -p 127.0.0.1 >/dev/null 2>&1; do
	i=$((i + 1)) && [ $i -lt 100 ] || die "rpcbind does not answer" && sleep 0.1
done
ypserv -f >ypserv.log 2>&1 &
pids="$! $pids"
i=0
until rpcinfo -p 127.0.0.1 2>/dev/null | grep -q '100004 *2 *udp'; do
	i=$((i + 1)) && [ $i -lt 100 ] || die "ypserv does not register" && sleep 0.1
done
printf 'domain %s server 127.0.0.1\n' "$dom" >yp.conf
ypbind -n -f "$dir/yp.conf" >ypbind.log 2>&1 &
pids="$! $pids"
i=0
until [ "$(ypwhich -d "$dom" 2>/dev/null)" = 127.0.0.1 ]; do
	i=$((i + 1)) && [ $i -lt 100 ] || die "ypbind does not bind" && sleep 0.1
done

# --- switchmail's configuration; the yp_match() timing shim for ypmatch
cat >switchmail.conf <<CONF
ServiceSwitchFile = nsswitch.conf
AliasFile = none
HostName = nishost.example.com
NisTimeout = 5s
CONF
printf 'aliases: nis\n' >nsswitch.conf
cat >shim.c <<'C'
/* times every yp_match() call; the milliseconds are appended to $YPSHIM_OUT at exit */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double *ms;
static size_t n, cap;

int yp_match(const char *dom, const char *map, const char *key, int klen, char **val, int *vlen)
{
	static int (*real)(const char *, const char *, const char *, int, char **, int *);
	struct timespec a, b;
	int rc;

	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "yp_match");
	clock_gettime(CLOCK_MONOTONIC, &a);
	rc = real(dom, map, key, klen, val, vlen);
	clock_gettime(CLOCK_MONOTONIC, &b);
	if (n == cap) {
		cap = cap ? cap * 2 : 4096;
		ms = realloc(ms, cap * sizeof(*ms));
	}
	if (ms)
		ms[n++] = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
	return rc;
}

__attribute__((destructor)) static void dump(void)
{
	const char *out = getenv("YPSHIM_OUT");
	FILE *fp;
	size_t i;

	if (n == 0 || out == NULL || (fp = fopen(out, "a")) == NULL)
		return; /* xargs and sh are preloaded too: only ypmatch calls yp_match() */
	for (i = 0; i < n; i++)
		fprintf(fp, "%.4f\n", ms[i]);
	fclose(fp);
}
C
cc -O2 -shared -fPIC -o shim.so shim.c -ldl || die "cannot build the yp_match timing shim"

now() { date +%s.%N; }
# best CMD... : the best wall time of REPS runs (stdin and outputs set by the caller's redirections)
best() {
	b=
	r=0
	while [ $r -lt "$reps" ]; do
		t0=$(now)
		"$@" || return 1
		t=$(echo "$(now) - $t0" | bc -l)
		if [ -z "$b" ] || [ "$(echo "$t < $b" | bc)" -eq 1 ]; then b=$t; fi
		r=$((r + 1))
	done
	echo "$b"
}
sm_bound() { "$sm" -C switchmail.conf -bt <"$1" >"$2" 2>>sm.err; }
sm_direct() { "$sm" -C switchmail.conf -O NisServers=127.0.0.1 -bt <"$1" >"$2" 2>>sm.err; }
ypm() { xargs -a "$1" sh -c 'exec ypmatch -d '"$dom"' "$@" mail.aliases' sh >"$2" 2>>ypmatch.err; }
ypm_timed() { rm -f yp.ms; YPSHIM_OUT=$dir/yp.ms LD_PRELOAD=$dir/shim.so ypm "$@"; }

tb_n=$(best sm_bound map.in sm-bound.out) || die "switchmail (bound) failed"
tb_1=$(best sm_bound map1.in sm-bound1.out) || die "switchmail (bound, one key) failed"
td_n=$(best sm_direct map.in sm-direct.out) || die "switchmail (direct) failed"
td_1=$(best sm_direct map1.in sm-direct1.out) || die "switchmail (direct, one key) failed"
ty_n=$(best ypm keys ypmatch.out) || die "ypmatch failed"
ty_1=$(best ypm key1 ypmatch1.out) || die "ypmatch (one key) failed"
ypm_timed keys ypmatch-timed.out || die "ypmatch (timed) failed"

# --- checks: every key answered, the same values everywhere
ok=1
for f in sm-bound sm-direct; do
	sed -n 's/^map aliases "[^"]*": SUCCESS "\(.*\)"$/\1/p' $f.out >$f.values
	[ "$(wc -l <$f.values)" -eq "$nlook" ] || {
		echo "$f: $(wc -l <$f.values) values for $nlook keys"
		ok=0
	}
done
[ "$(wc -l <ypmatch.out)" -eq "$nlook" ] || {
	echo "ypmatch: $(wc -l <ypmatch.out) values for $nlook keys"
	ok=0
}
cmp -s sm-bound.values ypmatch.out || {
	echo "switchmail (bound) and ypmatch differ"
	ok=0
}
cmp -s sm-direct.values ypmatch.out || {
	echo "switchmail (direct) and ypmatch differ"
	ok=0
}
[ ! -s sm.err ] || {
	echo "switchmail wrote on stderr:"
	head -5 sm.err
	ok=0
}

# --- figures
pct() { sort -n "$1" | awk -v p="$2" '{ v[NR] = $1 } END { i = int(NR * p / 100 + 0.999999); if (i < 1) i = 1; printf "%.3f", v[i] }'; }
sed -n 's/^  aliases "[^"]*": nis -> SUCCESS in \([0-9.]*\) ms.*/\1/p' sm-bound.out >sm-bound.ms
sed -n 's/^  aliases "[^"]*": nis -> SUCCESS in \([0-9.]*\) ms.*/\1/p' sm-direct.out >sm-direct.ms
rate() { echo "($nlook - 1) / ($1 - $2)" | bc -l | xargs printf '%.0f'; }
r_b=$(rate "$tb_n" "$tb_1")
r_d=$(rate "$td_n" "$td_1")
r_y=$(rate "$ty_n" "$ty_1")
echo
echo "mail.aliases of $nkeys keys, $nlook lookups of existing keys, best of $reps;" \
	"switchmail $(cd "$top" && git describe --always --dirty 2>/dev/null), ypmatch $(ypmatch --version 2>&1 | head -1 | awk '{print $NF}')"
printf '%-44s %9s %9s %12s %9s %9s\n' "" "t(N) s" "t(1) s" "lookups/s" "p50 ms" "p99 ms"
printf '%-44s %9.3f %9.3f %12s %9s %9s\n' "switchmail -bt, nis source via ypbind" "$tb_n" "$tb_1" "$r_b" \
	"$(pct sm-bound.ms 50)" "$(pct sm-bound.ms 99)"
printf '%-44s %9.3f %9.3f %12s %9s %9s\n' "switchmail -bt, nis source, NisServers" "$td_n" "$td_1" "$r_d" \
	"$(pct sm-direct.ms 50)" "$(pct sm-direct.ms 99)"
printf '%-44s %9.3f %9.3f %12s %9s %9s\n' "ypmatch (libnsl yp_match via ypbind)" "$ty_n" "$ty_1" "$r_y" \
	"$(pct yp.ms 50)" "$(pct yp.ms 99)"
ratio_b=$(echo "$r_b / $r_y" | bc -l | xargs printf '%.2f')
ratio_d=$(echo "$r_d / $r_y" | bc -l | xargs printf '%.2f')
goal() { [ "$(echo "$1 >= 1" | bc)" -eq 1 ] && echo met || echo MISSED; }
echo "ratio (via ypbind):   ${ratio_b}x ypmatch per lookup (goal >= 1x: $(goal "$ratio_b"))"
echo "ratio (NisServers):   ${ratio_d}x ypmatch per lookup (goal >= 1x: $(goal "$ratio_d"))"
echo "(p50/p99: switchmail from its trace, the time of each nis source call; ypmatch from an"
echo " LD_PRELOAD shim timing each yp_match() call)"
[ "$ok" -eq 1 ] || die "a check failed"
