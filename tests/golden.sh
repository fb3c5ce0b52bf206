#!/bin/sh
# tests/golden.sh - switchmail -bv against sendmail 8.17's output on the equivalent configuration
#
# tests/golden/cases holds the addresses; tests/golden/expected what Debian's sendmail 8.17
# printed for each (written by tests/golden/regen.sh, which this test does not run). A case
# whose number is in tests/golden/expected.switchmail-differs is a known difference
# (tests/golden/DIFFERENCES.md says why) and is compared with switchmail's own expected
# output from that file instead, so that behaviour is asserted too. One TAP point a case.
#
# The lines of one case are compared as a set (sorted): sendmail prints its recipient list
# in its internal (mostly reversed) order, switchmail in the order of expansion. The exit
# status is compared too.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
sm_setup
G="$top_srcdir/tests/golden"
. "$G/config.sh"

mkdir "$T/g" "$T/blk"
if ! golden_switchmail "$G" "$T/g" "$top_builddir" >"$T/setup.log" 2>&1; then
	ok 1 "golden configuration"
	sed 's/^/# /' "$T/setup.log"
	done_testing
	exit 1
fi
golden_run "$G/cases" "$SM" -C "$T/g/switchmail.conf" >"$T/got"

# split the three files into one file a case: $T/blk/{exp,dif,got}.N (header line first)
for f in exp:"$G/expected" dif:"$G/expected.switchmail-differs" got:"$T/got"; do
	[ -f "${f#*:}" ] || continue
	awk -v p="$T/blk/${f%%:*}." '
		/^=== / { split($0, a, "\t"); n = substr(a[1], 5); if (out) close(out); out = p n }
		/^#/ && !out { next }
		out { print > out }' "${f#*:}"
done

# the body of a block, its lines sorted (the header and exit line kept in place)
body() { sed 1d "$1" | grep -v '^exit: ' | sort; grep '^exit: ' "$1"; }

ncases=$(grep -vc '^#' "$G/cases")
n=1
while [ "$n" -le "$ncases" ]; do
	got="$T/blk/got.$n"
	name=$(head -1 "$got" | cut -f2- | sed 's/^-\t//; s/\t/ /; s/\\/\\\\/g')
	if [ -f "$T/blk/dif.$n" ]; then
		want="$T/blk/dif.$n"
		what="switchmail (differs from sendmail, see DIFFERENCES.md)"
	else
		want="$T/blk/exp.$n"
		what="as sendmail"
	fi
	if [ ! -f "$want" ]; then
		ok 1 "case $n $name: no expected output"
	elif [ "$(head -1 "$want")" != "$(head -1 "$got")" ]; then
		ok 1 "case $n: cases and expected outputs are out of step (run tests/golden/regen.sh)"
	elif [ "$(body "$want")" = "$(body "$got")" ]; then
		ok 0 "case $n $name: $what"
	else
		ok 1 "case $n $name: $what"
		echo "#   want:"
		sed '1d; s/^/#     /' "$want"
		echo "#   got:"
		sed '1d; s/^/#     /' "$got"
	fi
	n=$((n + 1))
done

done_testing
