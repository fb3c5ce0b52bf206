#!/bin/bash
#
# fuzz/run.sh - build and run the libFuzzer harnesses for a fixed time each
#
# SYNOPSIS
#	fuzz/run.sh [seconds [top_builddir]]
#	TOP_BUILDDIR=/path/to/build CC=clang-14 fuzz/run.sh 300
#
# DESCRIPTION
#	Builds fuzz/fuzz_nsconf and fuzz/fuzz_aliases with clang's
#	-fsanitize=fuzzer,address,undefined straight from the sources they need,
#	then runs each for SECONDS (default 30) with -max_len=65536 over a copy
#	of its seed corpus (fuzz/corpus/NAME), so the source tree is never
#	written to. Everything lives in a temporary directory that is removed
#	when all harnesses pass and kept (its path printed) when one fails.
#
#	The project root is the parent of this script's directory. The directory
#	holding config.h is the second argument, else $TOP_BUILDDIR, else the
#	project root (an in-tree build). $CC defaults to clang; extra flags can
#	be given in $FUZZ_CFLAGS and extra libFuzzer options in $FUZZ_OPTIONS.
#
# DIAGNOSTICS
#	TAP on stdout: "1..2", then "ok N - NAME: R runs in S s, corpus C" or
#	"not ok N - NAME: ..." with the reproducer and the command that replays
#	it. Exit status 0 when every harness ran clean, 1 when one crashed,
#	leaked, hit undefined behaviour or broke its contract (or failed to
#	build), 2 for bad usage.

set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
secs=${1:-30}
builddir=${2:-${TOP_BUILDDIR:-$top}}
cc=${CC:-clang}

case $secs in
'' | *[!0-9]*)
	echo "usage: $0 [seconds [top_builddir]]" >&2
	exit 2
	;;
esac
if [ ! -f "$builddir/config.h" ]; then
	echo "$0: no config.h in $builddir (configure first, or pass the build directory)" >&2
	exit 2
fi

# the harnesses, and the project sources each one links (relative to the root)
harnesses="nsconf aliases address smtpproto"
sources_of() {
	case $1 in
	nsconf) echo "nsswitch/conf.c nsswitch/status.c lib/lines.c lib/log.c lib/buf.c lib/mem.c" ;;
	aliases) echo "nsswitch/aliases.c lib/buf.c lib/mem.c" ;;
	address) echo "router/address.c lib/buf.c lib/mem.c" ;;
	smtpproto) echo "server/smtpproto.c router/address.c lib/buf.c lib/mem.c" ;;
	esac
}

work=$(mktemp -d "${TMPDIR:-/tmp}/switchmail-fuzz.XXXXXX") || exit 1
keep=0
# shellcheck disable=SC2317 # called through the trap
cleanup() {
	if [ "$keep" = 0 ]; then
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'keep=0; exit 130' INT TERM

# leaks and undefined behaviour are failures, not warnings
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

echo "# project root: $top"
echo "# config.h from: $builddir"
echo "# work directory: $work"
echo "# $($cc --version | head -n 1)"

n=0
failed=0
count=$(echo "$harnesses" | wc -w)
echo "1..$count"
for h in $harnesses; do
	n=$((n + 1))
	srcs=$(sources_of "$h")
	bin=$work/fuzz_$h
	corpus=$work/corpus/$h
	arts=$work/artifacts/$h
	log=$work/fuzz_$h.log
	mkdir -p "$corpus" "$arts"

	set -- "$top/fuzz/fuzz_$h.c"
	for s in $srcs; do
		set -- "$@" "$top/$s"
	done
	echo "# building fuzz_$h from fuzz/fuzz_$h.c $srcs"
	# shellcheck disable=SC2086 # FUZZ_CFLAGS is a list of words
	if ! "$cc" -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-fno-omit-frame-pointer -Wall -Wextra -I"$top" -I"$builddir" ${FUZZ_CFLAGS:-} \
		-o "$bin" "$@" >"$work/build_$h.log" 2>&1; then
		sed 's/^/# /' "$work/build_$h.log"
		echo "not ok $n - fuzz_$h: build failed"
		failed=1
		keep=1
		continue
	fi
	if [ -s "$work/build_$h.log" ]; then
		sed 's/^/# /' "$work/build_$h.log"
	fi

	if [ -d "$top/fuzz/corpus/$h" ]; then
		cp -R "$top/fuzz/corpus/$h/." "$corpus/"
	fi
	seeds=$(find "$corpus" -type f | wc -l)
	echo "# running fuzz_$h for $secs s over $seeds seeds"
	# shellcheck disable=SC2086 # FUZZ_OPTIONS is a list of words
	"$bin" -max_total_time="$secs" -max_len=65536 -print_final_stats=1 \
		-artifact_prefix="$arts/" ${FUZZ_OPTIONS:-} "$corpus" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	took=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	final=$(find "$corpus" -type f | wc -l)
	if [ "$rc" = 0 ]; then
		echo "ok $n - fuzz_$h: ${runs:-?} runs in $secs s (${took:-?}/s), corpus $seeds -> $final"
		continue
	fi
	failed=1
	keep=1
	grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|fuzz_[a-z]+: contract)' "$log" | head -n 5 |
		sed 's/^/# /'
	repro=$(find "$arts" -type f | head -n 1)
	echo "# log: $log"
	if [ -n "$repro" ]; then
		echo "# reproducer: $repro"
		echo "# replay: $bin $repro"
	fi
	echo "not ok $n - fuzz_$h: exit status $rc after ${runs:-?} runs${repro:+, reproducer $repro}"
done
if [ "$failed" != 0 ]; then
	echo "# FAILED; kept $work"
	exit 1
fi
echo "# all $count harnesses ran clean for $secs s each"
exit 0
