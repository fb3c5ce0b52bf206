#!/bin/bash
#
# bench/relay.sh - relaying throughput: switchmail's daemon against Postfix, both sending to smtp-sink
#
# SYNOPSIS
#	sudo bench/relay.sh
#	MESSAGES=5000 SESSIONS=10 REPS=3 sudo bench/relay.sh
#	TOP_BUILDDIR=/path/to/build sudo bench/relay.sh
#	SM_CONF='DeliveryAgents = 16' PF_CONF='default_destination_concurrency_limit = 10' sudo bench/relay.sh
#
# DESCRIPTION
#	A benchmark, not a test: nothing runs it automatically.
#
#	Starts, in one temporary directory, two smtp-sink receivers on
#	loopback ports, a private switchmail daemon (switchmail -bD) whose
#	SmartHost is the first sink, and a private Postfix instance (its own
#	config_directory and queue_directory) whose relayhost is the second.
#	Both accept mail from 127.0.0.1 for any domain (their relay clients)
#	and keep it in their queues (fsynced) before the 250. REPS times
#	(default 3, best kept), in alternating order, smtp-source -s SESSIONS
#	-m MESSAGES -l SIZE (defaults 10, 5000, 1024) sends to
#	RCPT@remote.example (default bench) through each MTA, and the time is
#	measured from smtp-source's start until the MTA's sink has accepted
#	all MESSAGES (smtp-sink's own counter, polled every 0.05 s). Then the
#	MTA's queue must be empty.
#
#	Goal: relayed messages per second >= 2x Postfix.
#
#	Both MTAs run with their defaults except what a private instance
#	needs (switchmail: ClientConnectionLimit = 0 as in bench/smtp.sh;
#	Postfix: see pf_config and bench/lib.sh). SM_CONF and PF_CONF (lines) are appended to
#	switchmail.conf and main.cf. Must run as root (Postfix's master
#	starts as root; smtp-sink needs -u). The system's Postfix is not
#	touched. The temporary directory is removed on exit (KEEP=1 keeps it).
#
# DIAGNOSTICS
#	Exit status 0 when everything ran and every message was relayed
#	(whether or not the goal is met), 1 otherwise.

# shellcheck disable=SC2317 # functions are called indirectly (trap)
set -u
export LC_ALL=C
umask 022

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
builddir=${TOP_BUILDDIR:-$top}
messages=${MESSAGES:-5000}
sessions=${SESSIONS:-10}
size=${SIZE:-1024}
reps=${REPS:-3}
rcpt=${RCPT:-bench}
timeout=${TIMEOUT:-600}
smtp_source=${SMTP_SOURCE:-/usr/sbin/smtp-source}
smtp_sink=${SMTP_SINK:-/usr/sbin/smtp-sink}
postfix=${POSTFIX:-/usr/sbin/postfix}
postconf=${POSTCONF:-/usr/sbin/postconf}
sm=$builddir/switchmail

die() {
	echo "relay.sh: $*" >&2
	exit 1
}

[ "$(id -u)" -eq 0 ] || die "must run as root (Postfix's master starts as root)"
for x in "$sm" "$smtp_source" "$smtp_sink" "$postfix" "$postconf"; do
	[ -x "$x" ] || die "$x: not found or not executable (build first, or install postfix)"
done
command -v python3 >/dev/null || die "python3 is needed to find free ports"
getent passwd postfix >/dev/null || die "no user postfix (install Debian's postfix package)"

dir=$(mktemp -d "${TMPDIR:-/tmp}/switchmail-relaybench.XXXXXX") || die "cannot make a temporary directory"
chmod 755 "$dir"
smd=$dir/sm
pfd=$dir/pf
. "$here/lib.sh"
smpid='' sinkpids=''

cleanup() {
	local p
	if [ -n "$smpid" ]; then
		kill -TERM "$smpid" 2>/dev/null
		wait "$smpid" 2>/dev/null
	fi
	pf_stop
	for p in $sinkpids; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	if [ "${KEEP:-0}" = 1 ]; then
		echo "kept $dir"
	else
		rm -rf "$dir"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
cd "$dir" || die "cannot enter $dir"

# sink_count FILE - the messages smtp-sink has accepted so far (its -c counter)
sink_count() {
	tr '\r' '\n' <"$1" 2>/dev/null | sed -n 's/.*mesg=\([0-9]*\).*/\1/p' | tail -n 1 | grep . || echo 0
}

# start_sink NAME - an smtp-sink on a free port; sets sink_port
start_sink() {
	sink_port=$(free_port)
	"$smtp_sink" -u nobody -c "127.0.0.1:$sink_port" 1024 >"$dir/sink-$1.out" 2>&1 &
	sinkpids="$sinkpids $!"
	wait_port "$sink_port" || die "smtp-sink $1 does not listen"
}

# ---- the sinks ---------------------------------------------------------------
start_sink sm
sm_sink=$sink_port
start_sink pf
pf_sink=$sink_port

# ---- switchmail -------------------------------------------------------------
sm_port=$(free_port)
mkdir -p "$smd/mail" "$smd/queue"
chmod 755 "$smd"
chmod 1777 "$smd/mail"
cat >"$smd/switchmail.conf" <<CONF
# switchmail.conf for bench/relay.sh: everything under this directory
ServiceSwitchFile = $smd/nsswitch.conf
AliasFile = $smd/aliases
HostsFile = $smd/hosts
LocalHostNamesFile = $smd/local-host-names
HostName = mail.example.com
QueueDirectory = $smd/queue
MailSpoolDirectory = $smd/mail
DaemonPortOptions = Port=$sm_port,Addr=127.0.0.1
PidFile = $smd/switchmail.pid
HelpFile = $top/etc/helpfile
ClientConnectionLimit = 0
SmartHost = [127.0.0.1]
SmtpPort = $sm_sink
CONF
[ -n "${SM_CONF:-}" ] && printf '%s\n' "$SM_CONF" >>"$smd/switchmail.conf"
printf 'aliases: files\nhosts: files\n' >"$smd/nsswitch.conf"
printf '127.0.0.1 mail.example.com mailhost\n' >"$smd/hosts"
printf 'example.com\n' >"$smd/local-host-names"
: >"$smd/aliases"
"$builddir/newaliases" -C "$smd/switchmail.conf" >/dev/null || die "newaliases failed"
"$sm" -C "$smd/switchmail.conf" -bD 2>"$smd/daemon.log" &
smpid=$!
wait_port "$sm_port" || die "switchmail does not listen on 127.0.0.1:$sm_port: $(tail -n 3 "$smd/daemon.log")"

# ---- Postfix ----------------------------------------------------------------
pf_port=$(free_port)
mkdir -p "$pfd/etc" "$pfd/spool" "$pfd/data"
chown postfix "$pfd/data"
# pf_config: main.cf of the private instance (bench/lib.sh writes what every instance has)
pf_main_cf relay
cat >>"$pfd/etc/main.cf" <<CONF
mydestination =
relayhost = [127.0.0.1]:$pf_sink
CONF
[ -n "${PF_CONF:-}" ] && printf '%s\n' "$PF_CONF" >>"$pfd/etc/main.cf"
pf_master_cf "$pf_port"
pf_start "$pf_port"
echo "switchmail on 127.0.0.1:$sm_port -> sink :$sm_sink; Postfix on 127.0.0.1:$pf_port -> sink :$pf_sink; in $dir"
load0=$(cut -d' ' -f1-3 /proc/loadavg)

# run NAME PORT SINKOUT - one smtp-source run; sets took (seconds until the sink has every message)
run() {
	local name=$1 port=$2 out=$3 base t0 n i limit
	base=$(sink_count "$out")
	t0=$(now)
	"$smtp_source" -s "$sessions" -m "$messages" -l "$size" -f "bench@client.example.net" \
		-t "$rcpt@remote.example" "127.0.0.1:$port" >"$dir/source-$name.out" 2>&1 ||
		die "smtp-source against $name failed: $(head -n 3 "$dir/source-$name.out")"
	limit=$((timeout * 20)) i=0
	while n=$(($(sink_count "$out") - base)) && [ "$n" -lt "$messages" ]; do
		i=$((i + 1))
		[ "$i" -ge "$limit" ] && die "$name: the sink has $n of $messages after $timeout s"
		sleep 0.05
	done
	took=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }')
	i=0
	while [ "$(queued "$name")" -gt 0 ]; do
		i=$((i + 1))
		[ "$i" -ge 100 ] && die "$name: the queue did not drain"
		sleep 0.1
	done
}

sm_t=() pf_t=()
for r in $(seq "$reps"); do
	if [ $((r % 2)) = 1 ]; then order="sm pf"; else order="pf sm"; fi
	for who in $order; do
		if [ "$who" = sm ]; then
			run sm "$sm_port" "$dir/sink-sm.out"
			sm_t+=("$took")
		else
			run pf "$pf_port" "$dir/sink-pf.out"
			pf_t+=("$took")
		fi
	done
	echo "run $r: switchmail ${sm_t[-1]} s, postfix ${pf_t[-1]} s"
done

smb=$(best "${sm_t[@]}") pfb=$(best "${pf_t[@]}")
smr=$(awk -v n="$messages" -v t="$smb" 'BEGIN { printf "%.0f", n / t }')
pfr=$(awk -v n="$messages" -v t="$pfb" 'BEGIN { printf "%.0f", n / t }')
ratio=$(awk -v a="$smr" -v b="$pfr" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
goal=$(awk -v r="$ratio" 'BEGIN { print (r >= 2 ? "met" : "MISSED") }')
echo
echo "switchmail relay benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -srm), $(nproc) CPUs"
echo "switchmail $(git -C "$top" describe --always --dirty 2>/dev/null || echo "(not a git tree)")," \
	"Postfix $("$postconf" -c "$pfd/etc" -h mail_version 2>/dev/null || echo "?")"
echo "smtp-source -s $sessions -m $messages -l $size into each MTA, relayed to smtp-sink; best of $reps"
echo "load average at the start: $load0; at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-34s %12s %12s %8s %8s %s\n' "" switchmail postfix ratio goal ""
printf '%-34s %12s %12s %8s %8s %s\n' "relayed (msgs/s)" "$smr" "$pfr" "${ratio}x" ">=2x" "$goal"
printf '%-34s %12s %12s\n' "  first in to last out (s)" "$smb" "$pfb"
exit 0
