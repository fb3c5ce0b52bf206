#!/bin/bash
# tests/relay.sh - mail that leaves: MX order and fail-over, implicit and null MX, NXDOMAIN, a 4xx
# then 250, a 5xx bounce as an RFC 3464 report, loops back to this host, the fallback smart host,
# several messages over one connection, hoststat/purgestat, SERVFAIL (defer, then deliver), a smart
# host, the mail host in local mode, remote mode, and a backup MX handing over to the primary with
# -qR. DNS comes from a private nsd (and tests/dnsfault.py); the remote servers are tests/sink.py
# on loopback addresses, and the backup MX is a second switchmail daemon.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
. "$top_srcdir/tests/dnsrig.sh"
sm_setup
dnsrig_require
daemon_setup
SINKS=
BPID=
# stop_all - the sinks, the backup daemon and the daemon; their logs when a point failed
stop_all() {
	local p
	for p in $SINKS $BPID; do
		kill -TERM "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	daemon_stop
	if [ "$tap_failed" -gt 0 ]; then
		sed 's/^/# daemon: /' "$T/daemon.log" | tail -n 60
		[ -e "$T/backup/daemon.log" ] && sed 's/^/# backup: /' "$T/backup/daemon.log" | tail -n 20
	fi
}
trap_prepend stop_all

SP=$(free_port) # every remote SMTP server listens on this port, each on its own loopback address
sed -i 's/^HostName = .*/HostName = mail.ours.test/' "$CONF"
cat >>"$CONF" <<CONF
SmtpPort = $SP
ConnectTimeout = 2s
GreetingTimeout = 3s
ReplyTimeout = 3s
DeliveryAgents = 2
FallBackSmartHost = [127.0.0.4]
CONF
printf 'ours.test\n' >"$T/local-host-names"
printf '127.0.0.1 mail.ours.test mailhost\n' >"$T/hosts"
"$NEWALIASES" -C "$CONF" >/dev/null

cat >"$T/zone" <<'ZONE'
$ORIGIN relay.test.
$TTL 300
@		SOA	ns hostmaster 1 3600 900 604800 300
@		NS	ns
ns		A	127.0.0.1
dead		A	127.0.0.2
live		A	127.0.0.3
order		MX	20 live
order		MX	10 dead
implicit	A	127.0.0.4
nullmx		MX	0 .
hard		MX	10 hard
hard		A	127.0.0.6
soft		MX	10 soft
soft		A	127.0.0.5
loop		MX	20 live
loop		MX	10 mail.ours.test.
greet		A	127.0.0.9
fb		MX	10 dead
many		A	127.0.0.10
b2		MX	10 prim
b2		MX	20 backup
prim		A	127.0.0.7
backup		A	127.0.0.8
ZONE
nsd_start relay.test="$T/zone"
ok $? "nsd serves relay.test"
dns_conf

# sink NAME ADDR [OPTIONS...] - tests/sink.py on ADDR:$SP keeping messages in $T/NAME
sink() {
	local name=$1 addr=$2
	shift 2
	mkdir -p "$T/$name"
	/usr/bin/python3 "$top_srcdir/tests/sink.py" --listen "$addr:$SP" --dir "$T/$name" \
		--pidfile "$T/$name.pid" --name "$name.relay.test" "$@" 2>>"$T/sinks.log" &
	SINKS="$SINKS $!"
	wait_for 10 test -s "$T/$name.pid"
}

# submit RCPT TEXT - a message from jun through the command line; its body holds TEXT
submit() {
	printf 'Subject: %s\n\n%s\n' "$2" "$2" | "$SM" -C "$CONF" -oi -f jun@ours.test "$1"
}

# arrived DIR TEXT - a message holding TEXT is in sink DIR
arrived() {
	grep -qs -- "$2" "$T/$1"/msg.*
}

sink live 127.0.0.3
sink implicit 127.0.0.4
sink soft 127.0.0.5 --fail-first 1
sink hard 127.0.0.6 --rcpt-reply 'nobody@=550 5.1.1 no such user here'
sink greet 127.0.0.9 --name mail.ours.test
sink many 127.0.0.10
ok $? "the receiving servers are up"
daemon_start
ok $? "the daemon is up"

# --- MX order and fail-over
submit bob@order.relay.test "order-body"
ok $? "a message for order.relay.test is queued"
wait_for 15 arrived live order-body
ok $? "MX 10 refuses connections: the message went to MX 20 (live)"
like "$T/daemon.log" 'connect to dead\.relay\.test\[127\.0\.0\.2\]' "the connection to MX 10 was tried first"
like "$T/daemon.log" 'to=<bob@order\.relay\.test>, mailer=esmtp, relay=live\.relay\.test, stat=Sent' \
	"the log names the relay that took it"
grep -h '^X-Sink-Rcpt' "$T/live"/msg.* >"$T/rcpt"
like "$T/rcpt" '^X-Sink-Rcpt: <bob@order\.relay\.test>' "the envelope recipient is kept"
grep -h '^X-Sink-From' "$T/live"/msg.* >"$T/from"
like "$T/from" '^X-Sink-From: <jun@ours\.test>' "the envelope sender is kept"

run "$SM" -C "$CONF" -bh
like "$T/out" '^ dead\.relay\.test +[0-9:+]+ +451 4\.4\.1' "hoststat lists the dead MX host with its failure"
unlike "$T/out" 'live\.relay\.test' "a host that answered has no status"
run "$SM" -C "$CONF" -bH
is "$rc" 0 "purgestat succeeds"
run "$SM" -C "$CONF" -bh
is "$(wc -l <"$T/out")" 1 "after purgestat hoststat shows only its header"

# --- implicit MX, null MX, NXDOMAIN
submit bob@implicit.relay.test "implicit-body"
wait_for 15 arrived implicit implicit-body
ok $? "no MX record: the domain's own address takes the mail"
submit bob@nullmx.relay.test "nullmx-body"
wait_for 15 grep -qs '556 5.1.10' "$T/mail/jun"
ok $? "null MX: jun gets a bounce with 556 5.1.10 at once"
like "$T/mail/jun" '^Status: 5\.1\.10' "the report's status is 5.1.10"
submit bob@nosuch.relay.test "nxdomain-body"
wait_for 15 grep -qs 'nosuch.relay.test: NXDOMAIN' "$T/mail/jun"
ok $? "NXDOMAIN: a bounce naming the lookup"
like "$T/mail/jun" '^Status: 5\.4\.4' "NXDOMAIN bounces with 5.4.4"

# --- a 5xx for one recipient: delivered to the other, an RFC 3464 report for the refused one
printf 'Subject: hard\n\nhard-body\n' | "$SM" -C "$CONF" -oi -f jun@ours.test nobody@hard.relay.test ok@hard.relay.test
wait_for 15 arrived hard hard-body
ok $? "the accepted recipient's copy arrived"
wait_for 15 grep -qs 'Final-Recipient: rfc822;nobody@hard.relay.test' "$T/mail/jun"
ok $? "the refused recipient is reported to the sender"
awk '/Final-Recipient: rfc822;nobody@hard.relay.test/,/^$/' "$T/mail/jun" | tr -d '\r' >"$T/dsn"
like "$T/dsn" '^Action: failed$' "report: Action: failed"
like "$T/dsn" '^Status: 5\.1\.1$' "report: Status: 5.1.1 from the remote reply"
like "$T/dsn" '^Remote-MTA: dns; hard\.relay\.test$' "report: Remote-MTA names the server"
like "$T/dsn" '^Diagnostic-Code: smtp; 550 5\.1\.1 no such user here$' "report: the remote reply as Diagnostic-Code"
grep -h '^X-Sink-Rcpt' "$T/hard"/msg.* >"$T/rcpt"
is "$(wc -l <"$T/rcpt")" 1 "the server took one recipient"

# --- a 4xx, then 250
submit x@soft.relay.test "soft-body"
wait_for 20 arrived soft soft-body
ok $? "after a 451 the message is retried and delivered"
like "$T/daemon.log" 'to=<x@soft\.relay\.test>.*stat=Deferred \(451 4\.3\.0' "the first attempt was deferred"

# --- loops back to this host
submit bob@loop.relay.test "loop-body"
wait_for 15 grep -qs 'points back to this host' "$T/mail/jun"
ok $? "MX list pointing back to us: bounced as a configuration error"
like "$T/daemon.log" 'MX list for loop\.relay\.test points back to this host' "and logged"
if grep -qs loop-body "$T/live"/msg.*; then r=1; else r=0; fi
ok "$r" "the worse MX (live) was not used"
submit bob@greet.relay.test "greet-body"
wait_for 15 grep -qs 'mail loops back to me' "$T/mail/jun"
ok $? "a server greeting with our own name: 553 5.3.5, mail loops back to me"
like "$T/mail/jun" '^Status: 5\.3\.5' "the loop bounce has status 5.3.5"

# --- fallback smart host after every MX failed
submit bob@fb.relay.test "fallback-body"
wait_for 15 arrived implicit fallback-body
ok $? "the only MX is dead: the fallback smart host took the message"

# --- several messages over one connection, and dot lines through the relay
for i in 1 2 3 4 5 6; do
	submit "m$i@many.relay.test" "many-$i"
done
printf 'Subject: dots\n\nbefore\n.\n..x\n.\r\nafter-dots\n' |
	"$SM" -C "$CONF" -oi -f jun@ours.test dots@many.relay.test
wait_for 20 sh -c "[ \$(grep -l 'many-\\|after-dots' $T/many/msg.* 2>/dev/null | wc -l) -eq 7 ]"
ok $? "seven messages reached many.relay.test"
is "$(grep -ci '^EHLO' "$T/many/log")" "$(grep -ci '^EHLO' "$T/many/log" | awk '$1 <= 2')" \
	"they used at most two connections (one per delivery agent)"
f=$(grep -l after-dots "$T/many"/msg.*)
tr -d '\r' <"$f" | sed -n '/^before$/,/^after-dots$/p' >"$T/dots"
is "$(cat "$T/dots")" "before
.
..x
.
after-dots" "lines of dots arrive as written (stuffed on the wire, never an end of data)"
is "$(grep -c '^X-Sink-From' "$T/many"/msg.* | awk -F: '{ s += $2 } END { print s }')" 7 \
	"and each is one message"

# --- SERVFAIL defers; the same message is delivered once DNS answers
daemon_stop
printf 'flaky.relay.test=servfail\n' >"$T/rules"
dnsfault_start "@$T/rules"
ok $? "the fault responder is up"
sed -i "s/^DnsResolver = .*/DnsResolver = 127.0.0.1@$FAULT_PORT/" "$CONF"
daemon_start
submit bob@flaky.relay.test "flaky-body"
wait_for 15 grep -q 'to=<bob@flaky\.relay\.test>.*stat=Deferred (451 4\.4\.3' "$T/daemon.log"
ok $? "SERVFAIL: deferred with 451 4.4.3, not bounced"
printf 'flaky.relay.test=normal/127.0.0.3\n' >"$T/rules"
kill -HUP "$FAULT_PID"
wait_for 20 arrived live flaky-body
ok $? "once DNS answers, the message is delivered"
if grep -qs flaky-body "$T/mail/jun"; then r=1; else r=0; fi
ok "$r" "no bounce was sent for it"
daemon_stop
dnsfault_stop
sed -i "s/^DnsResolver = .*/DnsResolver = 127.0.0.1@$NSD_PORT/" "$CONF"

# --- a smart host takes every other domain
cp "$CONF" "$T/base.conf"
printf 'SmartHost = [127.0.0.3]\n' >>"$CONF"
daemon_start
submit pat@example.org "smart-body"
wait_for 15 arrived live smart-body
ok $? "SmartHost: mail for example.org went to the smart host"
daemon_stop

# --- local mode: the mail host; without dns in the hosts line no MX is asked
cp "$T/base.conf" "$CONF"
printf '127.0.0.1 mail.ours.test\n127.0.0.3 hub.ours.test mailhost\n' >"$T/hosts"
printf 'hosts: files\n' >>"$T/nsswitch.conf"
daemon_start
submit pat@example.org "mailhost-body"
wait_for 15 arrived live mailhost-body
ok $? "local mode: mail for other domains goes to the mail host"
like "$T/daemon.log" 'to=<pat@example\.org>, mailer=esmtp, relay=hub\.ours\.test, stat=Sent' \
	"through the mail host's name from the hosts file"
daemon_stop

# --- remote mode: everything, local names included, to the mail server
cp "$T/base.conf" "$CONF"
printf 'RemoteMode = [127.0.0.4]\n' >>"$CONF"
daemon_start
submit kim@ours.test "remote-mode-body"
wait_for 15 arrived implicit remote-mode-body
ok $? "remote mode: a local user's mail goes to the mail server"
if [ -e "$T/mail/kim" ]; then r=1; else r=0; fi
ok "$r" "and nothing is delivered here"
daemon_stop
cp "$T/base.conf" "$CONF"
printf '127.0.0.1 mail.ours.test mailhost\n' >"$T/hosts"
sed -i '/^hosts: files$/d' "$T/nsswitch.conf"

# --- a backup MX keeps mail while the primary is down and hands it over with -qR
B=$T/backup
mkdir -p "$B/queue" "$B/mail"
chmod 1777 "$B/mail"
sed -e 's/^HostName = .*/HostName = backup.relay.test/' \
	-e "s|^DaemonPortOptions = .*|DaemonPortOptions = Port=$SP,Addr=127.0.0.8|" \
	-e "s|^PidFile = .*|PidFile = $B/pid|" -e "s|^QueueDirectory = .*|QueueDirectory = $B/queue|" \
	-e 's/^MinBackoff = .*/MinBackoff = 1h/' -e 's/^MaxBackoff = .*/MaxBackoff = 1h/' \
	-e '/^FallBackSmartHost/d' "$CONF" >"$B/switchmail.conf"
for f in aliases aliases.lmdb nsswitch.conf passwd hosts fixture; do cp "$T/$f" "$B/$f"; done
printf 'backup.relay.test\n' >"$B/local-host-names"
"$SM" -C "$B/switchmail.conf" -bD 2>>"$B/daemon.log" &
BPID=$!
wait_for 10 python3 -c "import socket; socket.create_connection(('127.0.0.8', $SP), 1).close()"
ok $? "the backup MX (a second switchmail) is up"
daemon_start
submit ann@b2.relay.test "backup-body"
wait_for 15 grep -q 'to=<ann@b2\.relay\.test>, mailer=esmtp, relay=backup\.relay\.test, stat=Sent' "$T/daemon.log"
ok $? "the primary is down: the backup MX took the message"
wait_for 15 grep -q 'to=<ann@b2\.relay\.test>.*stat=Deferred' "$B/daemon.log"
ok $? "the backup holds it: it only passes mail to better MX hosts"
unlike "$B/daemon.log" 'relay=backup' "the backup never sends it to itself"
sink prim 127.0.0.7
run "$SM" -C "$B/switchmail.conf" -qR b2.relay.test
is "$rc" 0 "-qR b2.relay.test runs the backup's queue for that domain"
wait_for 10 arrived prim backup-body
ok $? "the primary got the message from the backup"
run "$SM" -C "$B/switchmail.conf" -bp
like "$T/out" 'Mail queue is empty|Total requests: 0' "the backup's queue is empty"

done_testing
