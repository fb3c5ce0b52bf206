# bench/lib.sh - helpers of the SMTP benchmarks and a private Postfix instance (sourced, not run)
#
# Sourced by bench/smtp.sh and bench/relay.sh after they set $pfd (the instance's directory),
# $postfix and die(). Provides:
#   now                 wall clock in seconds with nanoseconds
#   free_port           a TCP port on 127.0.0.1 that nothing listens on now
#   wait_port PORT      waits up to 10 s until something accepts on 127.0.0.1:PORT; 1 if not
#   descendants PID, cputime PID, mbox_count FILE, ratio A B, rate N T, atleast/atmost R L,
#   best VALUE...       process trees, CPU seconds, mbox size and the arithmetic of the reports
#   pf_main_cf NAME     writes $pfd/etc/main.cf with what every private instance needs
#   pf_master_cf PORT   writes $pfd/etc/master.cf: Postfix 3.7's default services, chroot off,
#                       smtpd on 127.0.0.1:PORT
#   pf_start PORT       checks and starts the instance whose main.cf and master.cf are written,
#                       waits for PORT and sets pf_started and pf_master (the master's pid)
#   pf_stop             stops it and waits for the master to exit (safe when never started)
# The caller writes $pfd/etc/main.cf with queue_directory = $pfd/spool.

pf_started='' pf_master=''

# now - wall clock in seconds with nanoseconds
now() {
	date +%s.%N
}

# free_port - a TCP port on 127.0.0.1 that nothing listens on now
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_port PORT - wait up to 10 s until something accepts on 127.0.0.1:PORT
wait_port() {
	python3 - "$1" <<'PY'
import socket, sys, time
for _ in range(100):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)
PY
}

# descendants PID - PID and every process below it, one a line
descendants() {
	local p
	echo "$1"
	for p in $(pgrep -P "$1"); do
		descendants "$p"
	done
}

# cputime PID - CPU seconds (user + system) used so far by PID, its descendants and the children
# they have reaped: the sum of utime, stime, cutime and cstime over the live tree
cputime() {
	local p
	for p in $(descendants "$1"); do
		# the command name (field 2) may hold spaces: count from the ")"
		sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null
	done | awk -v hz="$(getconf CLK_TCK)" '{ t += $12 + $13 + $14 + $15 } END { printf "%.2f", t / hz }'
}

# mbox_count FILE - the number of "From " separator lines in an mbox (0 if absent)
mbox_count() {
	if [ -e "$1" ]; then
		grep -c '^From ' "$1"
	else
		echo 0
	fi
}

# ratio A B - A/B with two decimals
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'
}

# rate N T - N/T with no decimals
rate() {
	awk -v n="$1" -v t="$2" 'BEGIN { printf "%.0f", (t > 0 ? n / t : 0) }'
}

# atleast RATIO LIMIT / atmost RATIO LIMIT - "met" or "MISSED"
atleast() {
	awk -v r="$1" -v l="$2" 'BEGIN { print (r >= l ? "met" : "MISSED") }'
}
atmost() {
	awk -v r="$1" -v l="$2" 'BEGIN { print (r <= l ? "met" : "MISSED") }'
}

# best VALUE... - the smallest
best() {
	printf '%s\n' "$@" | sort -n | head -n 1
}

# queued NAME - the messages still in NAME's queue (sm: switchmail's, pf: Postfix's)
queued() {
	case $1 in
	sm) find "$smd/queue" -maxdepth 1 -type f -regextype posix-extended \
		-regex '.*/[0-9A-Z]{19}' 2>/dev/null | wc -l ;;
	pf) find "$pfd/spool/incoming" "$pfd/spool/active" "$pfd/spool/deferred" \
		"$pfd/spool/maildrop" "$pfd/spool/hold" -type f 2>/dev/null | wc -l ;;
	esac
}

# settle NAME MBOX COUNT T0 T1 C0 ROOTPID - after a run that started at T0 and whose clients were
# done at T1: wait until MBOX holds COUNT messages and NAME's queue is empty; sets acc (T1 - T0),
# e2e (the mbox's last write - T0) and cpu (ROOTPID's CPU seconds since it was C0)
settle() {
	local name=$1 mbox=$2 count=$3 t0=$4 t1=$5 c0=$6 root=$7 n i=0
	while n=$(mbox_count "$mbox") && [ "$n" -lt "$count" ]; do
		i=$((i + 1))
		[ "$i" -ge $((timeout * 10)) ] && die "$name: only $n of $count messages in $mbox after $timeout s"
		sleep 0.1
	done
	[ "$n" -eq "$count" ] || die "$name: $n messages in $mbox, not $count"
	acc=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
	e2e=$(awk -v a="$t0" -v b="$(stat -c %.9Y "$mbox")" 'BEGIN { printf "%.3f", b - a }')
	i=0
	while [ "$(queued "$name")" -gt 0 ]; do
		i=$((i + 1))
		[ "$i" -ge 100 ] && die "$name: the queue did not drain after the mbox was full"
		sleep 0.1
	done
	cpu=$(awk -v a="$c0" -v b="$(cputime "$root")" 'BEGIN { printf "%.2f", b - a }')
}

# alternate - WARMUP messages to each MTA (when WARMUP > 0), then REPS rounds of "run sm ..." and
# "run pf ..." (the caller's run NAME PORT MBOX ROOTPID [COUNT]), the first one alternating:
# whoever goes second inherits the first one's freshly freed inodes. Collects acc, e2e and cpu of
# each run in sm_acc, sm_e2e, sm_cpu, pf_acc, pf_e2e, pf_cpu
alternate() {
	local r who
	if [ "$warmup" -gt 0 ]; then
		echo "warm-up: $warmup messages to each"
		run sm "$sm_port" "$smd/mail/$user" "$smpid" "$warmup"
		run pf "$pf_port" "$pfd/mail/$user" "$pf_master" "$warmup"
	fi
	sm_acc=() sm_e2e=() sm_cpu=() pf_acc=() pf_e2e=() pf_cpu=()
	for r in $(seq "$reps"); do
		if [ $((r % 2)) = 1 ]; then order="sm pf"; else order="pf sm"; fi
		for who in $order; do
			if [ "$who" = sm ]; then
				run sm "$sm_port" "$smd/mail/$user" "$smpid"
				sm_acc+=("$acc") sm_e2e+=("$e2e") sm_cpu+=("$cpu")
			else
				run pf "$pf_port" "$pfd/mail/$user" "$pf_master"
				pf_acc+=("$acc") pf_e2e+=("$e2e") pf_cpu+=("$cpu")
			fi
		done
		echo "run $r: switchmail accept ${sm_acc[-1]} s, end to end ${sm_e2e[-1]} s, CPU ${sm_cpu[-1]} s;" \
			"postfix accept ${pf_acc[-1]} s, end to end ${pf_e2e[-1]} s, CPU ${pf_cpu[-1]} s"
	done
}

# pf_main_cf NAME - the main.cf lines every private instance has (syslog_name postfix-NAME); the
# caller appends its own (mydestination, relayhost, TLS, ...)
pf_main_cf() {
	cat >"$pfd/etc/main.cf" <<CONF
# main.cf for bench/$1.sh: a private instance, everything under $pfd
compatibility_level = 3.6
queue_directory = $pfd/spool
data_directory = $pfd/data
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mail.example.com
mydomain = example.com
myorigin = example.com
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
local_recipient_maps =
biff = no
maillog_file = $pfd/maillog
maillog_file_prefixes = $pfd
syslog_name = postfix-$1
CONF
}

# pf_master_cf PORT - the services of the private instance
pf_master_cf() {
	cat >"$pfd/etc/master.cf" <<CONF
# service type  private unpriv  chroot  wakeup  maxproc command + args
127.0.0.1:$1 inet n -     n       -       -       smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
CONF
}

# pf_start PORT - check and start the instance, wait for its smtpd, find its master
pf_start() {
	# Postfix waits (sleeping) until main.cf is a couple of seconds old: backdate it
	touch -t 200001010000 "$pfd/etc/main.cf" "$pfd/etc/master.cf"
	"$postfix" -c "$pfd/etc" check >"$pfd/check.out" 2>&1 ||
		die "postfix check failed: $(head -n 3 "$pfd/check.out")"
	"$postfix" -c "$pfd/etc" start >"$pfd/start.out" 2>&1 ||
		die "postfix start failed (see $pfd/maillog): $(head -n 3 "$pfd/start.out")"
	pf_started=1
	wait_port "$1" || die "Postfix does not listen on 127.0.0.1:$1: $(tail -n 3 "$pfd/maillog" 2>/dev/null)"
	for _ in $(seq 50); do
		pf_master=$(awk '{ print $1; exit }' "$pfd/spool/pid/master.pid" 2>/dev/null)
		[ -n "$pf_master" ] && break
		sleep 0.1
	done
	if [ -z "$pf_master" ] || ! kill -0 "$pf_master" 2>/dev/null; then
		die "no Postfix master pid in $pfd/spool/pid/master.pid"
	fi
}

# pf_stop - stop the instance; the master exits a moment later: let it go before its directory does
pf_stop() {
	[ -n "$pf_started" ] || return 0
	"$postfix" -c "$pfd/etc" stop >/dev/null 2>&1
	for _ in $(seq 50); do
		if [ -z "$pf_master" ] || ! kill -0 "$pf_master" 2>/dev/null; then
			break
		fi
		sleep 0.1
	done
	pf_started=''
}
