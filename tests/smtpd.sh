#!/bin/sh
# tests/smtpd.sh - the daemon over SMTP: delivery to local aliases, RCPT checks (550 5.1.1,
# 451 4.4.3, 550 5.7.1), a slow directory that stalls no other session, limits, smuggling,
# the queue commands (mailq, -q, -Q) and submission with sendmail -t
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
sm_setup
daemon_setup
SMTP="python3 $top_srcdir/tests/smtp.py"
cat >>"$CONF" <<CONF
RelayClients =
MaxRecipientsPerMessage = 3
MaxMessageSize = 20000
ClientConnectionLimit = 4
SessionDeadline = 4s
LookupThreads = 4
CONF
printf 'aliases: test files\n' >"$T/nsswitch.conf"
cat >"$T/fixture" <<'F'
test aliases slow SUCCESS@2000 jun
test aliases flaky TRYAGAIN directory down
F
cat >"$T/aliases" <<'A'
staff: jun, kim
postmaster: root
root: lee
A
"$NEWALIASES" -C "$CONF" >/dev/null
daemon_start
ok $? "the daemon listens on 127.0.0.1:$PORT"

# --- a conversation
cat >"$T/s1" <<'S'
<
> EHLO client.example.net
<
> HELP
<
> VRFY jun
<
> EXPN staff
<
> MAIL FROM:<sender@example.net>
<
> RCPT TO:<staff@example.com>
<
> RCPT TO:<nobody@example.com>
<
> RCPT TO:<flaky@example.com>
<
> RCPT TO:<someone@elsewhere.example.org>
<
> RCPT TO:<jun%elsewhere.example.org@example.com>
<
> DATA
<
> Subject: hello
>
> From the tests.
> .
<
> QUIT
<
S
run $SMTP "$PORT" "$T/s1"
like "$T/out" '^220 mail.example.com ESMTP' "greeting 220 with the host name"
like "$T/out" '^250-PIPELINING$' "EHLO offers PIPELINING"
like "$T/out" '^250-SIZE 20000$' "EHLO offers SIZE with the limit"
like "$T/out" '^250-8BITMIME$' "EHLO offers 8BITMIME"
like "$T/out" '^250-ENHANCEDSTATUSCODES$' "EHLO offers ENHANCEDSTATUSCODES"
like "$T/out" '^250-DSN$' "EHLO offers DSN"
unlike "$T/out" '^250-(VRFY|EXPN)' "VRFY and EXPN are not offered by default"
like "$T/out" '^214 2.0.0 End of HELP info' "HELP answers from the help file"
like "$T/out" '^252 2.5.2 Cannot VRFY' "VRFY is off by default (252)"
like "$T/out" '^502 5.7.0' "EXPN is off by default (502)"
like "$T/out" '^250 2.1.5 <staff@example.com>' "RCPT to a local alias: 250 2.1.5"
like "$T/out" '^550 5.1.1 <nobody@example.com>\.\.\. User unknown' "RCPT to an unknown user: 550 5.1.1"
like "$T/out" '^451 4.4.3 <flaky@example.com>' "RCPT while the directory is failing: 451 4.4.3"
like "$T/out" '^550 5.7.1 <someone@elsewhere.example.org>\.\.\. Relaying denied' "relaying: 550 5.7.1"
like "$T/out" '^550 5.7.1 <jun%elsewhere.example.org@example.com>' "the % hack does not relay"
like "$T/out" '^250 2.0.0 [0-9A-Z]{19} Message accepted' "250 with the queue id after DATA"
id=$(sed -n 's/^250 2.0.0 \([0-9A-Z]*\) Message accepted.*/\1/p' "$T/out")
wait_for 10 grep -q 'From the tests' "$T/mail/jun" "$T/mail/kim"
ok $? "the message reached both members of the alias"
like "$T/mail/jun" "^Received: from client.example.net \\(\\[127.0.0.1\\]\\)" "Received: names the client"
like "$T/mail/jun" "by mail.example.com \\(switchmail\\) with ESMTP id $id" "Received: has the queue id"
like "$T/mail/jun" '^Delivered-To: jun' "Delivered-To: is added"
like "$T/mail/jun" '^From sender@example.net ' "the From_ line has the envelope sender"
is "$(stat -c %u "$T/mail/kim")" "$([ "$(id -u)" -eq 0 ] && echo 1002 || id -u)" "kim's mailbox belongs to kim"
like "$T/daemon.log" "$id: to=<jun>, mailer=local, stat=Sent" "the log has the queue id and the delivery"
wait_for 5 sh -c "! ls '$T/queue' | grep -q '^[0-9A-Z]\{19\}\$'"
ok $? "the delivered message left the queue"

# --- a slow directory holds up only the session that asked
cat >"$T/slow.py" <<PY
import smtplib, threading, time
t0 = time.time()
res = {}
def slow():
    s = smtplib.SMTP("127.0.0.1", $PORT)
    s.ehlo("slow.example.net")
    s.mail("a@example.net")
    res["slow"] = s.rcpt("slow@example.com")[0]
    res["slow_t"] = time.time() - t0
    s.quit()
th = threading.Thread(target=slow)
th.start()
time.sleep(0.3)
s = smtplib.SMTP("127.0.0.1", $PORT)
s.sendmail("b@example.net", ["kim@example.com"], "Subject: fast\r\n\r\nfast one\r\n")
s.quit()
res["fast_t"] = time.time() - t0
th.join()
print("slow", res["slow"], "%.1f" % res["slow_t"])
print("fast", "%.1f" % res["fast_t"])
print("fast_first", res["fast_t"] < res["slow_t"] and res["fast_t"] < 1.5)
PY
run python3 "$T/slow.py"
sed 's/^/# /' "$T/err"
like "$T/out" '^slow 250 (2|3)\.' "the slow lookup answers after about 2 s"
like "$T/out" '^fast_first True' "another session completed a whole transaction meanwhile"

# --- limits
cat >"$T/s2" <<'S'
<
> EHLO client.example.net
<
> MAIL FROM:<a@example.net> SIZE=50000
<
> MAIL FROM:<a@example.net>
<
> RCPT TO:<jun@example.com>
<
> RCPT TO:<kim@example.com>
<
> RCPT TO:<lee@example.com>
<
> RCPT TO:<root@example.com>
<
> NOSUCH command
<
> RCPT TO:<jun@example.com> FOO=bar
<
S
run $SMTP "$PORT" "$T/s2"
like "$T/out" '^552 5.3.4' "SIZE= over MaxMessageSize: 552 5.3.4 at MAIL"
like "$T/out" '^452 4.5.3 Too many recipients' "the recipient past the limit: 452 4.5.3"
like "$T/out" '^500 5.5.' "an unknown command: 500"
like "$T/out" '^555 5.5.4' "an unknown parameter: 555 5.5.4"
python3 - "$T/big" <<'PY'
import sys
open(sys.argv[1], "w").write("<\n> EHLO x.example.net\n<\n> MAIL FROM:<a@example.net>\n<\n> RCPT TO:<jun@example.com>\n<\n> DATA\n<\n" + "> " + "x" * 900 + "\n" + ("> " + "y" * 900 + "\n") * 30 + "> .\n<\n")
PY
run $SMTP "$PORT" "$T/big"
like "$T/out" '^552 5.3.4 Message size exceeds' "content over MaxMessageSize: 552 5.3.4 after DATA"

# --- smuggling: <LF>.<LF> never ends the data; bare LFs make the message refused (strict), so no
# second message can appear; a clean message after it in the same session still goes through
cat >"$T/s3" <<'S'
<
> EHLO x.example.net
<
> MAIL FROM:<a@example.net>
<
> RCPT TO:<lee@example.com>
<
> DATA
<
>> Subject: smuggle\r\n\r\nbody\n.\nMAIL FROM:<evil@example.net>\nRCPT TO:<jun@example.com>\nDATA\nsmuggled\r\n.\r\n
<
> MAIL FROM:<a@example.net>
<
> RCPT TO:<lee@example.com>
<
> DATA
<
> Subject: clean
>
> clean body
> .
<
> QUIT
<
S
run $SMTP "$PORT" "$T/s3"
like "$T/out" '^550 5.6.0 Message contains bare CR or LF' "a smuggling attempt with bare LFs is refused whole"
is "$(grep -c '^250 2.0.0' "$T/out")" "1" "only the clean message after it is accepted"
wait_for 10 grep -q 'clean body' "$T/mail/lee"
ok $? "the clean message is delivered"
unlike "$T/mail/lee" 'smuggled' "nothing of the smuggling attempt is delivered"
[ ! -e "$T/mail/jun" ] || ! grep -q smuggled "$T/mail/jun"
ok $? "no smuggled second message reached jun"

# --- per-client cap and the session deadline
cat >"$T/deadline.py" <<PY
import socket, time
s = socket.create_connection(("127.0.0.1", $PORT))
s.settimeout(0.5)
got = b""
t0 = time.time()
while time.time() - t0 < 10:
    try:
        s.send(b"N")
    except OSError:
        break
    try:
        d = s.recv(200)
        if not d:
            break
        got += d
    except socket.timeout:
        pass
print(got.decode().replace("\r\n", "|"), "after %.0f" % (time.time() - t0))
PY
run python3 "$T/deadline.py"
sed 's/^/# /' "$T/err"
like "$T/out" '421 4.4.2 Session time limit exceeded' "a client trickling bytes is closed at the session deadline"
cat >"$T/cap.py" <<PY
import socket, time
socks = [socket.create_connection(("127.0.0.1", $PORT)) for _ in range(5)]
time.sleep(0.5)
for s in socks:
    s.settimeout(2)
    print(s.recv(200).decode().strip())
PY
run python3 "$T/cap.py"
is "$(grep -c '^220 ' "$T/out")" "4" "ClientConnectionLimit sessions are greeted"
like "$T/out" '^421 4.7.0 Too many connections from your host' "the next one from that client gets 421 4.7.0"

# --- the queue: a recipient that cannot be delivered yet, mailq, quarantine, -q
sed -i 's/^RelayClients =.*/RelayClients = 127.0.0.1/' "$CONF"
printf 'SmartHost = [127.0.0.1]\nSmtpPort = %s\n' "$(free_port)" >>"$CONF" # a relay that refuses
daemon_stop
daemon_start
python3 - "$PORT" <<'PY'
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]))
s.sendmail("owner@example.net", ["far@remote.example.org"], "Subject: far\r\n\r\nfar away\r\n")
s.quit()
PY
wait_for 10 grep -q 'stat=Deferred' "$T/daemon.log"
ok $? "mail for another host is deferred while its relay refuses connections"
run "$SM" -C "$CONF" -bp
like "$T/out" "queue \\(1 request\\)" "mailq counts one request"
like "$T/out" '<owner@example.net>' "mailq shows the sender"
like "$T/out" '<far@remote.example.org>' "mailq shows the recipient"
like "$T/out" 'Deferred' "mailq shows why it waits"
like "$T/out" 'Total requests: 1' "mailq total"
run "$SM" -C "$CONF" -qRremote.example.org -Qheld
is "$rc" 0 "-Q quarantines the selected message"
run "$SM" -C "$CONF" -bp -qQ
like "$T/out" 'QUARANTINE: held' "mailq -qQ lists it with its reason"
run "$SM" -C "$CONF" -bp
like "$T/out" 'is empty' "and the normal listing leaves it out"
run "$SM" -C "$CONF" -qQ -Q
run "$SM" -C "$CONF" -bp
like "$T/out" 'Total requests: 1' "-Q with no reason releases it"
run "$SM" -C "$CONF" -q
is "$rc" 0 "a queue run in the foreground"

# --- the command line: sendmail -t, -f, mailq as argv[0]
printf 'To: jun@example.com\nCc: kim\nBcc: lee\nSubject: from the command line\n\nsubmitted\n.\nafter the dot\n' >"$T/msg"
run "$SM" -C "$CONF" -t -f cli@example.net <"$T/msg"
is "$rc" 0 "sendmail -t queues the message"
wait_for 10 sh -c "grep -q 'submitted' '$T/mail/lee' && grep -q 'submitted' '$T/mail/kim'"
ok $? "the -t recipients (Cc and Bcc too) got it"
unlike "$T/mail/jun" '^Bcc:' "Bcc: is removed"
unlike "$T/mail/jun" 'after the dot' "a lone dot ends the message without -i"
like "$T/mail/jun" '^From cli@example.net ' "-f sets the envelope sender"
run "$SM" -C "$CONF" -i jun <"$T/msg"
wait_for 10 grep -q 'after the dot' "$T/mail/jun"
ok $? "with -i the dot is content"
run "$SM" -C "$CONF" nosuchuser <"$T/msg"
is "$rc" 67 "an unknown recipient on the command line: EX_NOUSER"
like "$T/err" 'nosuchuser.*User unknown' "and sendmail's message"
ln -sf "$SM" "$T/mailq"
run "$T/mailq" -C "$CONF"
like "$T/out" 'Total requests:' "mailq works as argv[0]"

# --- the pid file, and a second daemon refused
is "$(cat "$T/switchmail.pid")" "$DPID" "the pid file holds the daemon's pid"
run "$SM" -C "$CONF" -O "DaemonPortOptions=Port=$(free_port),Addr=127.0.0.1" -bD
is "$rc" 71 "a second daemon with the same pid file refuses to start (EX_OSERR)"
daemon_stop
[ ! -e "$T/switchmail.pid" ]
ok $? "the pid file is removed at stop"

# --- the service start: /etc/default/switchmail with an invalid QUEUEINTERVAL falls back to 15m
printf 'MODE="-bd"\nQUEUEINTERVAL="1x"\nOPTIONS=""\n' >"$T/default"
echo "DefaultsFile = default" >>"$CONF"
run "$SM" -C "$CONF" -v -bS
is "$rc" 0 "-bS starts the daemon in the background"
like "$T/out" "^switchmail -C $CONF -bd -q15m\$" "an invalid QUEUEINTERVAL becomes 15m, as on Solaris"
wait_for 10 test -s "$T/switchmail.pid"
bgpid=$(cat "$T/switchmail.pid" 2>/dev/null)
wait_for 10 python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT), 1).close()"
ok $? "the detached daemon accepts connections"
kill -TERM "$bgpid" 2>/dev/null
wait_for 10 sh -c "! kill -0 $bgpid"
ok $? "and stops on SIGTERM"
done_testing
