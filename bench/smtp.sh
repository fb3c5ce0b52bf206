#!/bin/bash
#
# bench/smtp.sh - SMTP throughput and idle-connection memory: switchmail's daemon against Postfix
#
# SYNOPSIS
#	sudo bench/smtp.sh
#	MESSAGES=20000 SESSIONS=20 REPS=5 sudo bench/smtp.sh
#	TOP_BUILDDIR=/path/to/build sudo bench/smtp.sh
#	SM_CONF='DeliveryAgents = 1' PF_CONF='smtpd_peername_lookup = no' sudo bench/smtp.sh
#
# DESCRIPTION
#	A benchmark, not a test: nothing runs it automatically.
#
#	Starts, in one temporary directory, a private switchmail daemon
#	(switchmail -bD) and a private Postfix instance (its own
#	config_directory, queue_directory and mail spool; smtpd on another
#	loopback port), both accepting mail for example.com and delivering it
#	locally into an mbox. After a warm-up of WARMUP messages to each
#	(default 1000, not counted), REPS times (default 3, best kept), in
#	alternating order (switchmail first in odd runs), each run after a
#	pause of PAUSE seconds (default 0):
#
#	  smtp-source -s SESSIONS -m MESSAGES -l SIZE (defaults 10, 5000,
#	  1024) to RCPT_USER@example.com (default nobody, a system user:
#	  Postfix's local(8) needs one; switchmail's PasswdFile gets the same
#	  passwd line); one message per connection, smtp-source waits for
#	  each 250 after the data.
#
#	  accept      MESSAGES / the wall time of smtp-source: every message
#	              is queued (fsynced) when it ends;
#	  end to end  MESSAGES / the time from smtp-source's start to the last
#	              write into the mbox, taken from the mbox's mtime once
#	              the mbox holds MESSAGES "From " lines (polled every
#	              0.1 s). The queue must then drain;
#	  CPU         user + system time of all the MTA's processes (reaped
#	              children included) from the start until the queue is
#	              empty; smtp-source is not counted.
#
#	Both MTAs fsync a message before the 250 and the mbox after each
#	append, and lock the mbox with fcntl() and a dot-lock (Debian's
#	Postfix default). The mbox is removed between runs. Both create two
#	files per message (queue file, dot-lock). ext4 without a journal
#	does not reuse an inode freed less than 60 s ago (360 s while its
#	inode table block is dirty) and scans past every such inode at each
#	creation, so creating files gets slow after a run; the warm-up puts
#	both MTAs in that state and the alternating order keeps either from
#	always following the other (see bench/README.md).
#
#	Afterwards, with both MTAs idle,
#	IDLE (default 50) TCP connections are opened to each in turn, each
#	reads the 220 greeting and is then left open; the memory of the MTA
#	is the sum of Pss (and Rss) in /proc/PID/smaps_rollup over all its
#	processes: the switchmail daemon and its descendants, Postfix's master
#	and its descendants (smtpd, qmgr, cleanup, local, ...). The same sum
#	without connections is shown too.
#
#	Goals: accept and end to end >= 2x Postfix, memory with IDLE idle
#	connections <= 0.25x Postfix.
#
#	Postfix runs with its defaults except what a private instance needs
#	(see pf_config below and bench/lib.sh); chroot is off for every service. switchmail
#	runs with its defaults except ClientConnectionLimit = 0 (the idle
#	connections come from one address; Postfix exempts $mynetworks from
#	its per-client limit). SM_CONF and PF_CONF (lines, default empty)
#	are appended to switchmail.conf and to Postfix's main.cf.
#
#	Must run as root: Postfix's master starts as root, switchmail drops
#	its SMTP side to the user mail. The system's Postfix (if any) is not
#	touched: nothing under /etc/postfix or /var/spool/postfix is written.
#	The temporary directory is removed on exit (KEEP=1 keeps it).
#
# DIAGNOSTICS
#	Exit status 0 when everything ran and every sanity check passed
#	(whether or not the goals are met), 1 otherwise.

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
idle=${IDLE:-50}
user=${RCPT_USER:-nobody}
timeout=${TIMEOUT:-600}
pause=${PAUSE:-0}
warmup=${WARMUP:-1000}
smtp_source=${SMTP_SOURCE:-/usr/sbin/smtp-source}
postfix=${POSTFIX:-/usr/sbin/postfix}
postconf=${POSTCONF:-/usr/sbin/postconf}
sm=$builddir/switchmail
newaliases=$builddir/newaliases

die() {
	echo "smtp.sh: $*" >&2
	exit 1
}

[ "$(id -u)" -eq 0 ] || die "must run as root (Postfix's master starts as root)"
for x in "$sm" "$newaliases" "$smtp_source" "$postfix" "$postconf"; do
	[ -x "$x" ] || die "$x: not found or not executable (build first, or install postfix)"
done
command -v python3 >/dev/null || die "python3 is needed for the idle connections"
pwline=$(getent passwd "$user") || die "RCPT_USER $user: no such user (Postfix delivers to system users)"
getent passwd postfix >/dev/null || die "no user postfix (install Debian's postfix package)"

dir=$(mktemp -d "${TMPDIR:-/tmp}/switchmail-smtpbench.XXXXXX") || die "cannot make a temporary directory"
chmod 755 "$dir" # the SMTP side of switchmail and Postfix's daemons traverse it
smd=$dir/sm
pfd=$dir/pf
. "$here/lib.sh"
smpid='' idlepid=''

cleanup() {
	[ -n "$idlepid" ] && kill "$idlepid" 2>/dev/null
	if [ -n "$smpid" ]; then
		kill -TERM "$smpid" 2>/dev/null
		wait "$smpid" 2>/dev/null
	fi
	pf_stop
	if [ "${KEEP:-0}" = 1 ]; then
		echo "kept $dir"
	else
		rm -rf "$dir"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
cd "$dir" || die "cannot enter $dir"


# memory PID - "PSS_KiB RSS_KiB NPROC" summed over PID and its descendants
memory() {
	local p
	for p in $(descendants "$1"); do
		cat "/proc/$p/smaps_rollup" 2>/dev/null
	done | awk '/^Pss:/ { pss += $2; n++ } /^Rss:/ { rss += $2 } END { print pss + 0, rss + 0, n + 0 }'
}






# ---- switchmail -------------------------------------------------------------
sm_port=$(free_port)
mkdir -p "$smd/mail" "$smd/queue"
chmod 755 "$smd"
chmod 1777 "$smd/mail"
cat >"$smd/switchmail.conf" <<CONF
# switchmail.conf for bench/smtp.sh: everything under this directory
AliasFile = $smd/aliases
ServiceSwitchFile = $smd/nsswitch.conf
PasswdFile = $smd/passwd
LocalHostNamesFile = $smd/local-host-names
HostName = mail.example.com
QueueDirectory = $smd/queue
MailSpoolDirectory = $smd/mail
DaemonPortOptions = Port=$sm_port,Addr=127.0.0.1
PidFile = $smd/switchmail.pid
HelpFile = $top/etc/helpfile
ClientConnectionLimit = 0
CONF
[ -n "${SM_CONF:-}" ] && printf '%s\n' "$SM_CONF" >>"$smd/switchmail.conf"
printf 'aliases: files\n' >"$smd/nsswitch.conf"
printf '%s\n' "$pwline" >"$smd/passwd" # the same user, uid and home as Postfix sees
printf 'example.com\n' >"$smd/local-host-names"
: >"$smd/aliases"
"$newaliases" -C "$smd/switchmail.conf" >/dev/null || die "newaliases failed"
"$sm" -C "$smd/switchmail.conf" -bD 2>"$smd/daemon.log" &
smpid=$!
wait_port "$sm_port" || die "switchmail does not listen on 127.0.0.1:$sm_port: $(tail -n 3 "$smd/daemon.log")"

# ---- Postfix ----------------------------------------------------------------
pf_port=$(free_port)
mkdir -p "$pfd/etc" "$pfd/spool" "$pfd/data" "$pfd/mail"
chmod 1777 "$pfd/mail"
chown postfix "$pfd/data"
# pf_config: main.cf of the private instance (bench/lib.sh writes what every instance has)
pf_main_cf smtp
cat >>"$pfd/etc/main.cf" <<CONF
mydestination = example.com
mail_spool_directory = $pfd/mail
CONF
[ -n "${PF_CONF:-}" ] && printf '%s\n' "$PF_CONF" >>"$pfd/etc/main.cf"
pf_master_cf "$pf_port"
pf_start "$pf_port"

echo "switchmail on 127.0.0.1:$sm_port (pid $smpid), Postfix on 127.0.0.1:$pf_port (master $pf_master), in $dir"
load0=$(cut -d' ' -f1-3 /proc/loadavg)
fs=$(findmnt -rn -o FSTYPE,OPTIONS -T "$dir" 2>/dev/null)

# ---- throughput -------------------------------------------------------------
# crashed NAME - for switchmail, a line about the first child that died of a signal (or nothing)
crashed() {
	[ "$1" = sm ] || return 0
	grep -m 1 'killed by signal' "$smd/daemon.log" | sed 's/^/; the daemon logged: /'
}

# run NAME PORT MBOX ROOTPID [COUNT] - one smtp-source run of COUNT (default MESSAGES) messages;
# sets acc and e2e (seconds) and cpu (CPU seconds of the MTA from the start until the queue is empty)
run() {
	local name=$1 port=$2 mbox=$3 root=$4 messages=${5:-$messages} t0 t1 c0
	rm -f "$mbox"
	sleep "$pause"
	c0=$(cputime "$root")
	t0=$(now)
	"$smtp_source" -s "$sessions" -m "$messages" -l "$size" \
		-f "bench@client.example.net" -t "$user@example.com" "127.0.0.1:$port" \
		>"$dir/source-$name.out" 2>&1 ||
		die "smtp-source against $name failed (exit $?): $(head -n 3 "$dir/source-$name.out")$(crashed "$name")"
	t1=$(now)
	settle "$name" "$mbox" "$messages" "$t0" "$t1" "$c0" "$root"
	[ -z "$(crashed "$name")" ] || die "$name:$(crashed "$name")"
}

alternate

# ---- memory with idle connections -------------------------------------------
cat >"$dir/idle.py" <<'PY'
# idle.py PORT N - open N connections, read each greeting, print "ready", then hold them
import socket, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
socks = [socket.create_connection(("127.0.0.1", port), 30) for _ in range(n)]
for s in socks:
    buf = b""
    while b"\n" not in buf:
        chunk = s.recv(4096)
        if not chunk:
            sys.exit("connection closed before the greeting: %r" % buf)
        buf += chunk
    if not buf.startswith(b"220"):
        sys.exit("not a 220 greeting: %r" % buf)
print("ready", flush=True)
time.sleep(3600)
PY

# idle_memory NAME PORT ROOTPID - sets mem0 (no connection) and mem (IDLE connections): "PSS RSS NPROC"
idle_memory() {
	local name=$1 port=$2 root=$3 i=0
	sleep 1
	mem0=$(memory "$root")
	python3 "$dir/idle.py" "$port" "$idle" >"$dir/idle-$name.out" 2>&1 &
	idlepid=$!
	while ! grep -q '^ready' "$dir/idle-$name.out" 2>/dev/null; do
		kill -0 "$idlepid" 2>/dev/null || die "$name: idle connections failed: $(head -n 3 "$dir/idle-$name.out")"
		i=$((i + 1))
		[ "$i" -ge 300 ] && die "$name: $idle connections not greeted after 30 s"
		sleep 0.1
	done
	sleep 1 # let the processes settle
	mem=$(memory "$root")
	kill "$idlepid" 2>/dev/null
	wait "$idlepid" 2>/dev/null
	idlepid=
}
idle_memory sm "$sm_port" "$smpid"
sm_mem0=$mem0 sm_mem=$mem
idle_memory pf "$pf_port" "$pf_master"
pf_mem0=$mem0 pf_mem=$mem

field() {
	echo "$1" | awk -v f="$2" '{ print $f }'
}
sma=$(best "${sm_acc[@]}") sme=$(best "${sm_e2e[@]}")
pfa=$(best "${pf_acc[@]}") pfe=$(best "${pf_e2e[@]}")
sma_r=$(rate "$messages" "$sma") sme_r=$(rate "$messages" "$sme")
pfa_r=$(rate "$messages" "$pfa") pfe_r=$(rate "$messages" "$pfe")
ra=$(ratio "$sma_r" "$pfa_r")
re=$(ratio "$sme_r" "$pfe_r")
rm_=$(ratio "$(field "$sm_mem" 1)" "$(field "$pf_mem" 1)")
smc=$(best "${sm_cpu[@]}") pfc=$(best "${pf_cpu[@]}")
permsg() {
	awk -v t="$1" -v n="$messages" 'BEGIN { printf "%.3f", t * 1000 / n }'
}
echo
echo "switchmail SMTP benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -srm), $(nproc) CPUs"
echo "switchmail $(git -C "$top" describe --always --dirty 2>/dev/null || echo "(not a git tree)")," \
	"Postfix $("$postconf" -c "$pfd/etc" -h mail_version 2>/dev/null || echo "?")"
echo "smtp-source -s $sessions -m $messages -l $size, best of $reps; $idle idle connections"
echo "load average at the start: $load0; at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "file system of $dir: ${fs:-?}"
echo "warm-up $warmup messages each; order alternates (switchmail first in odd runs); pause before each run $pause s"
printf '%-34s %12s %12s %8s %8s %s\n' "" switchmail postfix ratio goal ""
printf '%-34s %12s %12s %8s %8s %s\n' "accept (msgs/s)" "$sma_r" "$pfa_r" "${ra}x" ">=2x" "$(atleast "$ra" 2)"
printf '%-34s %12s %12s %8s %8s %s\n' "end to end (msgs/s)" "$sme_r" "$pfe_r" "${re}x" ">=2x" "$(atleast "$re" 2)"
printf '%-34s %12s %12s %8s %8s %s\n' "memory, $idle idle conns (KiB PSS)" \
	"$(field "$sm_mem" 1)" "$(field "$pf_mem" 1)" "${rm_}x" "<=0.25x" "$(atmost "$rm_" 0.25)"
printf '%-34s %12s %12s\n' "  accept time (s)" "$sma" "$pfa"
printf '%-34s %12s %12s\n' "  end-to-end time (s)" "$sme" "$pfe"
printf '%-34s %12s %12s\n' "  CPU per run (s, user+sys)" "$smc" "$pfc"
printf '%-34s %12s %12s\n' "  CPU per message (ms)" "$(permsg "$smc")" "$(permsg "$pfc")"
printf '%-34s %12s %12s\n' "  memory, $idle idle (KiB RSS)" "$(field "$sm_mem" 2)" "$(field "$pf_mem" 2)"
printf '%-34s %12s %12s\n' "  processes, $idle idle" "$(field "$sm_mem" 3)" "$(field "$pf_mem" 3)"
printf '%-34s %12s %12s\n' "  memory, no connection (KiB PSS)" "$(field "$sm_mem0" 1)" "$(field "$pf_mem0" 1)"
printf '%-34s %12s %12s\n' "  processes, no connection" "$(field "$sm_mem0" 3)" "$(field "$pf_mem0" 3)"
exit 0
