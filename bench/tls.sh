#!/bin/bash
#
# bench/tls.sh - SMTP with STARTTLS: switchmail's daemon against Postfix, the same certificate
#
# SYNOPSIS
#	sudo bench/tls.sh
#	MESSAGES=4000 CLIENTS=8 REPS=3 sudo bench/tls.sh
#	TOP_BUILDDIR=/path/to/build sudo bench/tls.sh
#
# DESCRIPTION
#	A benchmark, not a test: nothing runs it automatically.
#
#	Makes a CA and one RSA 2048 server certificate with the openssl
#	command, then starts, in one temporary directory, a private switchmail
#	daemon (ServerCertFile/ServerKeyFile) and a private Postfix instance
#	(bench/lib.sh; smtpd_tls_cert_file, smtpd_tls_key_file,
#	smtpd_tls_security_level = may), both with that certificate, both
#	accepting mail for example.com and delivering it into an mbox.
#
#	smtp-source has no TLS, so the client is a Python script (ssl and
#	smtplib) in CLIENTS processes (default 8): each opens a connection,
#	says EHLO, STARTTLS (a full handshake every time: no session
#	resumption), EHLO again, sends one message of SIZE bytes (default
#	1024) to RCPT_USER@example.com (default nobody) and QUITs, until
#	MESSAGES (default 2000) messages were sent. After a warm-up of WARMUP
#	messages to each (default 200), REPS runs (default 3, best kept),
#	alternating which MTA goes first:
#
#	  accept      MESSAGES / the clients' wall time (every 250 after DATA);
#	  end to end  MESSAGES / the time until the mbox holds them all;
#	  CPU         user + system time of every process of the MTA (the
#	              switchmail daemon's tree, Postfix's master's tree, reaped
#	              children included) from the start until the queue is
#	              empty, per message. The client's CPU is not counted,
#	              but it shares the machine's CPUs with the MTA.
#
#	Goal: accept >= 1.5x Postfix.
#
#	Must run as root (Postfix's master starts as root). Nothing of the
#	system's Postfix is touched. KEEP=1 keeps the temporary directory.
#
# DIAGNOSTICS
#	Exit status 0 when everything ran and the sanity checks passed
#	(every message in the mbox, each Received: field with a TLS clause),
#	whether or not the goal is met; 1 otherwise.

# shellcheck disable=SC2317 # functions are called indirectly (trap)
set -u
export LC_ALL=C
umask 022

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
builddir=${TOP_BUILDDIR:-$top}
messages=${MESSAGES:-2000}
clients=${CLIENTS:-8}
size=${SIZE:-1024}
reps=${REPS:-3}
warmup=${WARMUP:-200}
user=${RCPT_USER:-nobody}
timeout=${TIMEOUT:-600}
postfix=${POSTFIX:-/usr/sbin/postfix}
postconf=${POSTCONF:-/usr/sbin/postconf}
sm=$builddir/switchmail
newaliases=$builddir/newaliases

die() {
	echo "tls.sh: $*" >&2
	exit 1
}

[ "$(id -u)" -eq 0 ] || die "must run as root (Postfix's master starts as root)"
for x in "$sm" "$newaliases" "$postfix" "$postconf"; do
	[ -x "$x" ] || die "$x: not found or not executable (build first, or install postfix)"
done
command -v openssl >/dev/null || die "the openssl command is needed for the certificate"
command -v python3 >/dev/null || die "python3 is needed for the TLS clients"
pwline=$(getent passwd "$user") || die "RCPT_USER $user: no such user"
getent passwd postfix >/dev/null || die "no user postfix (install Debian's postfix package)"

dir=$(mktemp -d "${TMPDIR:-/tmp}/switchmail-tlsbench.XXXXXX") || die "cannot make a temporary directory"
chmod 755 "$dir"
smd=$dir/sm
pfd=$dir/pf
. "$here/lib.sh"
smpid=''

cleanup() {
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




# ---- the certificate ----------------------------------------------------------
mkdir -p "$dir/certs"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/certs/ca.key" -out "$dir/certs/ca.pem" -days 2 \
	-subj "/CN=bench CA" 2>/dev/null || die "cannot make the CA"
openssl req -newkey rsa:2048 -nodes -keyout "$dir/certs/server.key" -out "$dir/certs/server.csr" \
	-subj "/CN=mail.example.com" 2>/dev/null || die "cannot make the server key"
openssl x509 -req -in "$dir/certs/server.csr" -CA "$dir/certs/ca.pem" -CAkey "$dir/certs/ca.key" \
	-CAcreateserial -days 2 -out "$dir/certs/server.pem" 2>/dev/null || die "cannot sign the server certificate"
chmod 600 "$dir/certs/server.key" # root's alone: both MTAs load it before dropping privileges

# ---- switchmail -------------------------------------------------------------
sm_port=$(free_port)
mkdir -p "$smd/mail" "$smd/queue"
chmod 755 "$smd"
chmod 1777 "$smd/mail"
cat >"$smd/switchmail.conf" <<CONF
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
ServerCertFile = $dir/certs/server.pem
ServerKeyFile = $dir/certs/server.key
CONF
[ -n "${SM_CONF:-}" ] && printf '%s\n' "$SM_CONF" >>"$smd/switchmail.conf"
printf 'aliases: files\n' >"$smd/nsswitch.conf"
printf '%s\n' "$pwline" >"$smd/passwd"
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
pf_main_cf tls
cat >>"$pfd/etc/main.cf" <<CONF
mydestination = example.com
mail_spool_directory = $pfd/mail
smtpd_tls_cert_file = $dir/certs/server.pem
smtpd_tls_key_file = $dir/certs/server.key
smtpd_tls_security_level = may
smtpd_tls_received_header = yes
CONF
[ -n "${PF_CONF:-}" ] && printf '%s\n' "$PF_CONF" >>"$pfd/etc/main.cf"
pf_master_cf "$pf_port"
pf_start "$pf_port"
echo "switchmail on 127.0.0.1:$sm_port (pid $smpid), Postfix on 127.0.0.1:$pf_port (master $pf_master), in $dir"

# ---- the client -------------------------------------------------------------
cat >"$dir/client.py" <<'PY'
# client.py PORT MESSAGES CLIENTS SIZE RCPT - one message per STARTTLS session, in CLIENTS processes
import multiprocessing, smtplib, ssl, sys

port, total, nproc, size, rcpt = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
line = "x" * 76 + "\r\n"
body = "Subject: tls bench\r\n\r\n" + line * max(1, size // len(line))

def work(n):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    for _ in range(n):
        s = smtplib.SMTP("127.0.0.1", port, local_hostname="client.example.net", timeout=60)
        s.starttls(context=ctx)
        s.ehlo("client.example.net")
        s.sendmail("bench@client.example.net", [rcpt], body)
        s.quit()
    return n

if __name__ == "__main__":
    share = [total // nproc + (1 if i < total % nproc else 0) for i in range(nproc)]
    with multiprocessing.Pool(nproc) as p:
        done = sum(p.map(work, share))
    if done != total:
        sys.exit("sent %d of %d" % (done, total))
PY

# run NAME PORT MBOX ROOTPID [COUNT] - one run; sets acc, e2e (s) and cpu (CPU s until the queue is empty)
run() {
	local name=$1 port=$2 mbox=$3 root=$4 count=${5:-$messages} t0 t1 n c0
	rm -f "$mbox"
	c0=$(cputime "$root")
	t0=$(now)
	python3 "$dir/client.py" "$port" "$count" "$clients" "$size" "$user@example.com" >"$dir/client-$name.out" 2>&1 ||
		die "the TLS clients against $name failed: $(tail -n 3 "$dir/client-$name.out")"
	t1=$(now)
	settle "$name" "$mbox" "$count" "$t0" "$t1" "$c0" "$root"
	# every message came over TLS
	n=$(grep -c -E '^[[:space:]]+\((version=TLSv1\.[23] cipher=|using TLSv1\.[23] with cipher)' "$mbox")
	[ "$n" -eq "$count" ] || die "$name: $n of $count messages have a TLS clause in Received:"
}

alternate

permsg() {
	awk -v t="$1" -v n="$messages" 'BEGIN { printf "%.3f", t * 1000 / n }'
}
sma=$(best "${sm_acc[@]}") sme=$(best "${sm_e2e[@]}") smc=$(best "${sm_cpu[@]}")
pfa=$(best "${pf_acc[@]}") pfe=$(best "${pf_e2e[@]}") pfc=$(best "${pf_cpu[@]}")
sma_r=$(rate "$messages" "$sma") sme_r=$(rate "$messages" "$sme")
pfa_r=$(rate "$messages" "$pfa") pfe_r=$(rate "$messages" "$pfe")
ra=$(ratio "$sma_r" "$pfa_r") re=$(ratio "$sme_r" "$pfe_r") rc=$(ratio "$(permsg "$smc")" "$(permsg "$pfc")")
echo
echo "switchmail STARTTLS benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -srm), $(nproc) CPUs"
echo "switchmail $(git -C "$top" describe --always --dirty 2>/dev/null || echo "?")," \
	"Postfix $("$postconf" -c "$pfd/etc" -h mail_version 2>/dev/null || echo "?"), $(openssl version)"
echo "$clients Python TLS clients, $messages messages of $size bytes, one per STARTTLS session, best of $reps"
printf '%-30s %12s %12s %8s %8s\n' "" switchmail postfix ratio goal
printf '%-30s %12s %12s %8s %8s %s\n' "accept (msgs/s)" "$sma_r" "$pfa_r" "${ra}x" ">=1.5x" \
	"$(awk -v r="$ra" 'BEGIN { print (r >= 1.5 ? "met" : "MISSED") }')"
printf '%-30s %12s %12s %8s\n' "end to end (msgs/s)" "$sme_r" "$pfe_r" "${re}x"
printf '%-30s %12s %12s %8s\n' "CPU per message (ms)" "$(permsg "$smc")" "$(permsg "$pfc")" "${rc}x"
exit 0
