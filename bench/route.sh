#!/bin/sh
#
# bench/route.sh - batch address resolution (-bv): switchmail against Debian's sendmail 8.17
#
# SYNOPSIS
#	bench/route.sh				(as root; Debian 12 with access to the archive)
#	ADDRESSES=20000 bench/route.sh
#	SENDMAIL_DEBS=/dir/with/debs bench/route.sh
#
# DESCRIPTION
#	A benchmark, not a test. Writes one configuration for both programs (the layout of
#	tests/golden, built by tests/golden/config.sh): 10,000 aliases (single local users,
#	lists of 2-6 members mixing local users, other aliases and remote addresses), user+*
#	and user+detail aliases, a virtusertable of 5,000 user@domain entries plus a catch-all
#	@virt.example.net with %1, and a .forward (and .forward+work) for the user daemon
#	(ForwardPath DIR/fwd/$u+$h:DIR/fwd/$u on both sides, since sendmail reads the real
#	passwd and we may not write daemon's home). Then ADDRESSES (default 100,000) mixed
#	addresses: 40% alias names, 15% user+detail, 20% virtusertable, 10% .forward users,
#	10% local users or unknown ones, 5% remote domains.
#
#	Timed (wall clock, start-up included):
#	  switchmail -C conf -bv < addresses        (batch: one process, addresses on stdin)
#	  xargs -n BATCH switchmail -C conf -bv     (BATCH addresses a process, like sendmail)
#	  xargs -n BATCH sendmail -C cf -bv         (sendmail has no stdin mode for -bv)
#	BATCH defaults to 1000. Prints addresses per second and the ratios; the goal is
#	switchmail >= 10x sendmail.
#
#	sendmail is downloaded with apt-get download and unpacked in the temporary directory
#	(tests/golden/sendmail-env.sh; nothing is installed). sendmail sleeps 60 s at start-up
#	when the host name is not fully qualified, so the script re-runs itself in a UTS
#	namespace (unshare --uts) named mail.example.com: run it as root. No DNS is used.
#	KEEP=1 keeps the temporary directory.
set -u
export LC_ALL=C
umask 022
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
builddir=${TOP_BUILDDIR:-$top}
naddr=${ADDRESSES:-100000}
batch=${BATCH:-1000}
sm=$builddir/switchmail

die() {
	echo "route.sh: $*" >&2
	exit 1
}
[ "$(id -u)" -eq 0 ] || die "run as root (unshare --uts; sendmail reads the real passwd)"
[ -x "$sm" ] || die "$sm: not found (build first, or set TOP_BUILDDIR)"
if [ -z "${ROUTE_BENCH_NS:-}" ]; then
	ROUTE_BENCH_NS=1 exec unshare --uts "$0" "$@"
fi
hostname mail.example.com || die "cannot set the host name in the namespace"
. "$top/tests/golden/sendmail-env.sh"
. "$top/tests/golden/config.sh"

dir=$(mktemp -d "${TMPDIR:-/tmp}/switchmail-bench.XXXXXX") || die "cannot make a temporary directory"
cleanup() {
	if [ "${KEEP:-0}" = 1 ]; then echo "kept $dir"; else rm -rf "$dir"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
chmod 755 "$dir"
cd "$dir" || die "cannot enter $dir"
sm_env_setup "$dir/env" || die "cannot unpack sendmail"

# the shared source files, in tests/golden's layout
src=$dir/src
mkdir -p "$src/forward"
cp "$top/tests/golden/passwd" "$top/tests/golden/sendmail.mc" "$top/tests/golden/local-host-names" \
	"$top/tests/golden/virtuser-domains" "$src/"
printf 'sys\nnews, mail\n' >"$src/list"
printf 'sys, \\daemon\n' >"$src/forward/daemon"
printf 'news\n' >"$src/forward/daemon+work"
: >"$src/mailertable"
awk -v seed=20240611 -v naddr="$naddr" -v src="$src" -v out="$dir/addresses" '
	function rnd(n) { seed = (seed * 16807) % 2147483647; return int(seed / 2147483647 * n) }
	BEGIN {
		split("root bin sys mail news daemon", u, " ")
		a = src "/aliases"; v = src "/virtusertable"
		print "postmaster: root" > a
		for (i = 0; i < 10000; i++) {
			k = rnd(10)
			if (k < 4) { printf "a%d: %s\n", i, u[1 + rnd(5)] > a; continue }
			n = 2 + rnd(5); line = ""
			for (j = 0; j < n; j++) {
				m = rnd(10)
				if (m < 5) t = u[1 + rnd(6)]
				else if (m < 7 && i > 0) t = "a" rnd(i)
				else t = "r" rnd(100000) "@remote" rnd(50) ".example.net"
				line = line (j ? ", " : "") t
			}
			printf "a%d: %s\n", i, line > a
		}
		printf "bin+*: sys\nnews+foo: mail\nmail+*: news, bin\n" > a
		for (i = 0; i < 5000; i++) printf "v%d@example.com\t%s\n", i, (i % 3 ? u[1 + rnd(5)] : "a" rnd(10000)) > v
		printf "@virt.example.net\t%%1@remote.example.org\n" > v
		for (i = 0; i < naddr; i++) {
			k = rnd(100)
			if (k < 40) s = "a" rnd(10000)
			else if (k < 55) { m = rnd(4); s = (m == 0 ? "bin+x" rnd(100) : m == 1 ? "news+foo" : m == 2 ? "mail+y" rnd(9) : "sys+z" rnd(50)) }
			else if (k < 75) s = (rnd(5) ? "v" rnd(5000) "@example.com" : "u" rnd(1000) "@virt.example.net")
			else if (k < 85) s = (rnd(2) ? "daemon" : "daemon+work")
			else if (k < 95) s = (rnd(2) ? u[1 + rnd(5)] "@mail.example.com" : "nosuch" rnd(1000))
			else s = "x" rnd(1000) "@example" rnd(100) ".net"
			print s > out
		}
	}'
mkdir "$dir/sw" "$dir/sendmail"
golden_switchmail "$src" "$dir/sw" "$builddir" || die "switchmail configuration failed"
golden_sendmail "$src" "$dir/sendmail" || die "sendmail configuration failed"
conf=$dir/sw/switchmail.conf
cf=$dir/sendmail/sendmail.cf

now() { date +%s.%N; }
# timed NAME CMD... : run CMD with stdin from the addresses, output to NAME.out
timed() {
	name=$1
	shift
	t0=$(now)
	"$@" <"$dir/addresses" >"$dir/$name.out" 2>"$dir/$name.err"
	t1=$(now)
	echo "$t1 - $t0" | bc -l
}
t_batch=$(timed sw-batch "$sm" -C "$conf" -bv)
t_xargs=$(timed sw-xargs xargs -d '\n' -n "$batch" "$sm" -C "$conf" -bv)
t_sendmail=$(timed sendmail xargs -d '\n' -n "$batch" "$SENDMAIL" -C "$cf" -bv)

for f in sw-batch sw-xargs sendmail; do
	lines=$(wc -l <"$dir/$f.out")
	deliv=$(grep -c 'deliverable' "$dir/$f.out")
	unknown=$(grep -c 'User unknown' "$dir/$f.out")
	printf '%-9s %7d lines of output: %7d deliverable, %6d unknown\n' "$f" "$lines" "$deliv" "$unknown"
done
rate() { echo "$naddr / $1" | bc -l | xargs printf '%.0f'; }
r_batch=$(rate "$t_batch")
r_xargs=$(rate "$t_xargs")
r_sendmail=$(rate "$t_sendmail")
echo
echo "$naddr mixed addresses, sendmail $SENDMAIL_VERSION, switchmail $(cd "$top" && git describe --always --dirty 2>/dev/null)"
printf '%-44s %9.3f s %10s addr/s\n' "switchmail -bv < addresses (batch)" "$t_batch" "$r_batch"
printf '%-44s %9.3f s %10s addr/s\n' "xargs -n $batch switchmail -bv" "$t_xargs" "$r_xargs"
printf '%-44s %9.3f s %10s addr/s\n' "xargs -n $batch sendmail -bv" "$t_sendmail" "$r_sendmail"
ratio1=$(echo "$t_sendmail / $t_batch" | bc -l | xargs printf '%.1f')
ratio2=$(echo "$t_sendmail / $t_xargs" | bc -l | xargs printf '%.1f')
goal() { [ "$(echo "$1 >= 10" | bc)" -eq 1 ] && echo met || echo MISSED; }
echo "ratio (batch):  ${ratio1}x sendmail (goal >= 10x: $(goal "$ratio1"))"
echo "ratio (xargs):  ${ratio2}x sendmail (goal >= 10x: $(goal "$ratio2"))"
