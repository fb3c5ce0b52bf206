#!/bin/sh
# tests/access.sh - the daemon with the access database and the anti-abuse controls: Connect:
# REJECT and RELAY, From: ERROR and DISCARD, To: REJECT and RELAY, the 16 classic relay probes
# refused for a stranger, the greet pause (a client that talks first is refused) and ClientRate
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
sm_setup
daemon_setup
SMTP="python3 $top_srcdir/tests/smtp.py"
MAKEMAP="$top_builddir/makemap"
cat >>"$CONF" <<CONF
RelayClients =
AccessFile = access
CONF
cat >"$T/access" <<'A'
From:spammer@example.net	ERROR:550 5.7.1 We do not take mail from you
From:blackhole.example.net	DISCARD
To:nobody@example.com	REJECT
To:partner.example.org	RELAY
From:cyberspammer.example	550 5.7.1 No spammers
From:okay.cyberspammer.example	OK
A
"$MAKEMAP" -C "$CONF" hash "$T/access" <"$T/access"
ok $? "makemap compiles the access database"
"$NEWALIASES" -C "$CONF" >/dev/null
daemon_start
ok $? "the daemon is up"

# session FROM RCPT... - one SMTP session; the replies in $T/out
session() {
	from=$1
	shift
	{
		printf '<\n> EHLO client.example.net\n<\n> MAIL FROM:<%s>\n<\n' "$from"
		for a in "$@"; do printf '> RCPT TO:<%s>\n<\n' "$a"; done
		printf '> QUIT\n<\n'
	} >"$T/script"
	run $SMTP "$PORT" "$T/script"
}

session spammer@example.net jun@example.com
like "$T/out" '^550 5.7.1 We do not take mail from you' "From: ERROR gives its reply at MAIL"
unlike "$T/out" '^250 2.1.5' "and no recipient is taken"
session someone@mail.cyberspammer.example jun@example.com
like "$T/out" '^550 5.7.1 No spammers' "From: a domain entry covers its hosts"
session someone@okay.cyberspammer.example jun@example.com
like "$T/out" '^250 2.1.5 <jun@example.com>' "From: the most specific entry wins (OK for one host)"
session ann@example.net nobody@example.com jun@example.com
like "$T/out" '^550 5.7.1 <nobody@example.com>\.\.\. Access denied' "To: REJECT at RCPT"
like "$T/out" '^250 2.1.5 <jun@example.com>' "other recipients are taken"
session ann@example.net bob@partner.example.org bob@other.example.org
like "$T/out" '^250 2.1.5 <bob@partner.example.org>' "To: RELAY lets a stranger relay to that domain"
like "$T/out" '^550 5.7.1 <bob@other.example.org>\.\.\. Relaying denied' "but not to any other"

# DISCARD: acknowledged, never delivered
printf '<\n> EHLO c\n<\n> MAIL FROM:<x@blackhole.example.net>\n<\n> RCPT TO:<jun@example.com>\n<\n> DATA\n<\n> Subject: into the hole\n>\n> discarded body\n> .\n<\n> QUIT\n<\n' >"$T/script"
run $SMTP "$PORT" "$T/script"
like "$T/out" '^250 2.0.0 .* Message accepted' "From: DISCARD: the message is acknowledged"
sleep 1
if grep -qs 'discarded body' "$T/mail/jun"; then r=1; else r=0; fi
ok "$r" "and never delivered"
like "$T/daemon.log" 'discarded \(access database\)' "the discard is logged"

# the 16 relay probes of security.md 2.3, from a client that may not relay
IP=127.0.0.1
SRV=mail.example.com
D=relay.example.org
n=0
for pair in \
	"<>|relaytest@$D" "antispam@$D|relaytest@$D" "antispam@$SRV|relaytest@$D" "antispam@[$IP]|relaytest@$D" \
	"antispam@[$IP]|relaytest%$D@[$IP]" "antispam@[$IP]|relaytest%$D@$SRV" "antispam@[$IP]|\"relaytest@$D\"" \
	"antispam@[$IP]|\"relaytest%$D\"" "antispam@[$IP]|relaytest@$D@[$IP]" "antispam@[$IP]|\"relaytest@$D\"@[$IP]" \
	"antispam@[$IP]|relaytest@$D@$SRV" "antispam@[$IP]|@[$IP]:relaytest@$D" "antispam@[$IP]|@$SRV:relaytest@$D" \
	"antispam@[$IP]|$D!relaytest" "antispam@[$IP]|$D!relaytest@[$IP]" "antispam@[$IP]|$D!relaytest@$SRV"; do
	from=${pair%%|*}
	to=${pair#*|}
	from=${from#<}
	from=${from%>}
	printf '<\n> EHLO probe\n<\n> MAIL FROM:<%s>\n<\n> RCPT TO:<%s>\n<\n> QUIT\n<\n' "$from" "$to" >"$T/script"
	run $SMTP "$PORT" "$T/script"
	rcpt=$(tail -n 2 "$T/out" | head -n 1) # the reply before QUIT's
	case $rcpt in
	5*) n=$((n + 1)) ;;
	*) echo "# probe MAIL FROM:<$from> RCPT TO:<$to> got: $rcpt" ;;
	esac
done
is "$n" 16 "all 16 relay probes get 5xx at RCPT"

# Connect: REJECT for this client: 554 at once
daemon_stop
printf 'Connect:127.0.0.1\tREJECT\n' >>"$T/access"
"$MAKEMAP" -C "$CONF" hash "$T/access" <"$T/access"
daemon_start
printf '<\n> QUIT\n<\n' >"$T/script"
run $SMTP "$PORT" "$T/script"
like "$T/out" '^554 5.7.1 Access denied' "Connect: REJECT: the client is greeted with 554"
daemon_stop
sed -i 's/^Connect:127.0.0.1\tREJECT$/Connect:127.0.0\tRELAY/' "$T/access"
"$MAKEMAP" -C "$CONF" hash "$T/access" <"$T/access"
daemon_start
session ann@example.net bob@other.example.org
like "$T/out" '^250 2.1.5 <bob@other.example.org>' "Connect: RELAY for a network prefix: the client may relay"
daemon_stop

# the greet pause: a client that talks before the greeting is refused; a patient one is greeted
daemon_start -O GreetPauseMs=700
python3 - "$PORT" >"$T/out" 2>&1 <<'PY'
import socket, sys, time
port = int(sys.argv[1])
s = socket.create_connection(("127.0.0.1", port), 5)
s.sendall(b"EHLO eager\r\n")
time.sleep(1.2)
s.sendall(b"MAIL FROM:<a@b>\r\n")
time.sleep(0.3)
data = s.recv(4096).decode()
print("eager:", data.replace("\r\n", " | "))
s.close()
t0 = time.time()
s = socket.create_connection(("127.0.0.1", port), 5)
f = s.makefile("rb")
line = f.readline().decode().strip()
print("patient: %s after %.2f" % (line, time.time() - t0))
s.close()
PY
like "$T/out" '^eager: 554 mail.example.com ESMTP not accepting messages \| 550 5.0.0 Command rejected' \
	"greet pause: a client that talks first gets 554, then 550 for its commands"
like "$T/out" '^patient: 220 ' "a patient client is greeted with 220"
t=$(sed -n 's/^patient: 220 .* after //p' "$T/out")
awk -v t="${t:-0}" 'BEGIN { exit !(t >= 0.6 && t < 2) }'
ok $? "after the pause (${t:-?} s for 0.7 s)"
like "$T/daemon.log" 'refused \(pregreet\)' "the early talker is logged"
daemon_stop

# ClientRate: past three connections within the window, refused (daemon_start's readiness probe
# is the first)
daemon_start -O ClientRate=3 -O ConnectionRateWindowSize=60s
for i in 1 2 3 4; do
	printf '<\n> QUIT\n<\n' >"$T/script"
	run $SMTP "$PORT" "$T/script"
	head -1 "$T/out" >>"$T/rates"
done
is "$(grep -c '^220 ' "$T/rates")" 2 "ClientRate 3: the second and third connections are greeted"
is "$(grep -c '^421 4.3.2 Connection rate limit exceeded' "$T/rates")" 2 "the others get 421 4.3.2"
is "$(grep -c 'refused (rate)' "$T/daemon.log")" 1 "the refusal is logged once per RejectLogInterval"

done_testing
