#!/bin/sh
# tests/auth.sh - SMTP AUTH PLAIN and LOGIN through Cyrus SASL against a sasldb made with saslpasswd2:
# not offered and refused (538) before STARTTLS, offered after it; a scripted client (wrong password
# 535, "*" cancel, PLAIN with and without an initial response, LOGIN, a second AUTH 503, AUTH inside a
# transaction 503, relaying refused before AUTH and allowed after it, to tests/sink.py), python
# smtplib and swaks; AuthRequireTLS=false; the password never reaches the log. RelayClients is
# empty, so only AUTH gives relaying rights. Every server is stopped by its pid.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
if ! "$top_builddir/switchmail" -bC 2>/dev/null | grep -q '^SaslPasswdFile'; then
	echo "1..0 # SKIP switchmail has no SaslPasswdFile setting"
	exit 0
fi
if ! grep -q 'HAVE_SASL 1' "$top_builddir/config.h" 2>/dev/null ||
	! grep -q 'HAVE_OPENSSL 1' "$top_builddir/config.h" 2>/dev/null; then
	echo "1..0 # SKIP not built with Cyrus SASL and OpenSSL"
	exit 0
fi
for c in saslpasswd2 openssl swaks; do
	if ! command -v $c >/dev/null; then
		echo "1..0 # SKIP no $c command"
		exit 0
	fi
done
sm_setup
daemon_setup
PW=Sekr3t-pw-4711 # grepped for in the log at the end

# a server certificate (the clients here do not verify it) and the sasldb; the realm is HostName
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/server.key" -out "$T/server.pem" -days 2 \
	-subj "/CN=mail.example.com" 2>"$T/openssl.log"
ok $? "a self-signed server certificate is made with openssl"
echo "$PW" | saslpasswd2 -f "$T/sasldb" -c -p -u mail.example.com jun
ok $? "saslpasswd2 creates user jun in realm mail.example.com"
chmod 644 "$T/sasldb" # the SMTP side reads it after dropping root to RunAsUser

# the remote side of relayed mail
SP=$(free_port)
mkdir -p "$T/sink"
python3 "$top_srcdir/tests/sink.py" --listen "127.0.0.1:$SP" --dir "$T/sink" --pidfile "$T/sink.pid" \
	2>>"$T/sink.err" &
SINK=$!
trap_prepend 'kill $SINK 2>/dev/null; wait $SINK 2>/dev/null'
wait_for 10 test -s "$T/sink.pid"
ok $? "a sink listens on 127.0.0.1:$SP"

cat >>"$CONF" <<CONF
ServerCertFile = $T/server.pem
ServerKeyFile = $T/server.key
TLSSrvOptions = V
RelayClients =
SaslPasswdFile = $T/sasldb
SmartHost = [127.0.0.1]
SmtpPort = $SP
CONF
printf 'postmaster: root\nroot: lee\n' >"$T/aliases"
"$NEWALIASES" -C "$CONF" >/dev/null
run "$SM" -C "$CONF" -bC
like "$T/out" '^AuthMechanisms += PLAIN LOGIN$' "AuthMechanisms defaults to PLAIN LOGIN"
like "$T/out" '^AuthRequireTLS += (true|1|yes)$' "AuthRequireTLS defaults to true"

# a scripted client: "> cmd" (">" alone: an empty line), "<" (one reply), "tls" (the handshake)
cat >"$T/ac.py" <<'PY'
import socket, ssl, sys
port, script = int(sys.argv[1]), open(sys.argv[2]).read().splitlines()
s = socket.create_connection(("127.0.0.1", port), 10)
s.settimeout(10)
f = s.makefile("rb")
def reply():
    while True:
        l = f.readline().decode("latin-1").rstrip("\r\n")
        print(l if l else "(closed)")
        if len(l) < 4 or l[3] != "-":
            break
for cmd in script:
    if cmd == ">" or cmd.startswith("> "):
        s.sendall(cmd[2:].encode("latin-1") + b"\r\n")
    elif cmd == "<":
        reply()
    elif cmd == "tls":
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        s = ctx.wrap_socket(s)
        f = s.makefile("rb")
        print("TLS " + s.version())
PY
b64() { printf "$1" | base64 | tr -d '\n'; }
GOOD=$(b64 "\\0jun\\0$PW")
BAD=$(b64 '\0jun\0not-the-password')

daemon_start
ok $? "the daemon listens on 127.0.0.1:$PORT with a certificate and a sasldb"

# --- plaintext: no AUTH offered, 538, and no relaying
cat >"$T/s1" <<S
<
> EHLO client.example.net
<
> AUTH PLAIN $GOOD
<
> MAIL FROM:<jun@example.com>
<
> RCPT TO:<bob@remote.example>
<
> QUIT
<
S
run python3 "$T/ac.py" "$PORT" "$T/s1"
like "$T/out" '^250-STARTTLS$' "plaintext EHLO offers STARTTLS"
unlike "$T/out" '^250[- ]AUTH' "... but not AUTH"
like "$T/out" '^538 5\.7\.11 Encryption required for requested authentication mechanism$' \
	"AUTH before STARTTLS: 538 5.7.11"
like "$T/out" '^550 5\.7\.1 <bob@remote\.example>\.\.\. Relaying denied$' \
	"RCPT to a remote domain without AUTH: 550 5.7.1"

# --- in TLS: the whole exchange
cat >"$T/s2" <<S
<
> EHLO client.example.net
<
> STARTTLS
<
tls
> EHLO client.example.net
<
> MAIL FROM:<jun@example.com>
<
> RCPT TO:<bob@remote.example>
<
> AUTH PLAIN $GOOD
<
> RSET
<
> AUTH PLAIN $BAD
<
> AUTH LOGIN
<
> *
<
> AUTH CRAM-MD5
<
> AUTH PLAIN !notbase64!
<
> AUTH PLAIN
<
> $GOOD
<
> AUTH PLAIN $GOOD
<
> MAIL FROM:<jun@example.com>
<
> RCPT TO:<bob@remote.example>
<
> DATA
<
> Subject: relayed after AUTH
>
> auth-relay-body-1
> .
<
> QUIT
<
S
run python3 "$T/ac.py" "$PORT" "$T/s2"
sed -n '/^TLS /,$p' "$T/out" >"$T/s2.tls"
like "$T/s2.tls" '^250-AUTH PLAIN LOGIN$' "EHLO in TLS offers AUTH PLAIN LOGIN"
like "$T/s2.tls" '^550 5\.7\.1 <bob@remote\.example>\.\.\. Relaying denied$' \
	"in TLS but before AUTH: relaying is still denied"
like "$T/s2.tls" '^503 5\.5\.1 Bad sequence of commands: MAIL transaction in progress$' \
	"AUTH inside a transaction: 503 5.5.1"
like "$T/s2.tls" '^535 5\.7\.8 Authentication credentials invalid$' "a wrong password: 535 5.7.8"
like "$T/s2.tls" '^334 VXNlcm5hbWU6$' "AUTH LOGIN asks for the user name (334 VXNlcm5hbWU6)"
like "$T/s2.tls" '^501 5\.0\.0 Authentication cancelled$' "\"*\" cancels the exchange: 501 5.0.0"
like "$T/s2.tls" '^504 5\.5\.4 Unrecognized authentication type$' "a mechanism not offered: 504"
like "$T/s2.tls" '^501 5\.5\.2 Cannot decode AUTH parameter$' "an initial response that is not base64: 501"
like "$T/s2.tls" '^334 $' "AUTH PLAIN without an initial response: an empty 334 challenge"
like "$T/s2.tls" '^235 2\.7\.0 Authentication successful$' "... then the credentials: 235 2.7.0"
like "$T/s2.tls" '^503 5\.5\.1 Already authenticated$' "a second AUTH: 503 5.5.1"
like "$T/s2.tls" '^250 2\.1\.5 ' "after AUTH a remote recipient is accepted"
like "$T/s2.tls" '^250 2\.0\.0 [0-9A-Z]+ Message accepted' "... and the message"
wait_for 15 grep -qs auth-relay-body-1 "$T/sink"/msg.0001
ok $? "the relayed message reaches the remote side"
like "$T/sink/msg.0001" '^X-Sink-Rcpt: <bob@remote\.example>' "... for bob@remote.example"
like "$T/daemon.log" 'smtpd: \[127\.0\.0\.1\] authenticated as jun@mail\.example\.com \(PLAIN\)' \
	"the log names the user and the mechanism"
like "$T/daemon.log" 'smtpd: \[127\.0\.0\.1\] AUTH PLAIN failed for jun@mail\.example\.com: 535 5\.7\.8.*Password verification failed' \
	"a failed AUTH is logged with SASL's reason"

# --- python smtplib: PLAIN (login()) and LOGIN without an initial response
cat >"$T/lib.py" <<'PY'
import smtplib, ssl, sys
port, pw, mech = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
s = smtplib.SMTP("127.0.0.1", port, timeout=10)
s.ehlo("lib.example.net")
print("plain-auth:", "auth" in s.esmtp_features)
s.starttls(context=ctx)
s.ehlo("lib.example.net")
print("tls-auth:", s.esmtp_features.get("auth"))
try:
    if mech == "LOGIN":
        s.user, s.password = "jun", pw
        print("auth:", s.auth("LOGIN", s.auth_login, initial_response_ok=False))
    else:
        print("login:", s.login("jun", pw))
    print("send:", s.sendmail("jun@example.com", ["carol@remote.example"],
                              "Subject: smtplib %s\r\n\r\nsmtplib-body-%s\r\n" % (mech, mech)))
except smtplib.SMTPException as e:
    print("error:", e)
s.quit()
PY
run python3 "$T/lib.py" "$PORT" "$PW" PLAIN
like "$T/out" '^plain-auth: False$' "smtplib: no AUTH in the plaintext EHLO"
like "$T/out" "^tls-auth: +PLAIN LOGIN$" "smtplib: AUTH PLAIN LOGIN after starttls()"
like "$T/out" "^login: \(235, b'2\.7\.0 Authentication successful'\)$" "smtplib login(): 235"
like "$T/out" '^send: \{\}$' "smtplib relays to a remote address after login()"
run python3 "$T/lib.py" "$PORT" "$PW" LOGIN
like "$T/out" "^auth: \(235, b'2\.7\.0 Authentication successful'\)$" \
	"smtplib AUTH LOGIN through both 334 challenges: 235"
like "$T/out" '^send: \{\}$' "... and relays"
run python3 "$T/lib.py" "$PORT" wrong-password PLAIN
like "$T/out" "^error: \(535, b'5\.7\.8 Authentication credentials invalid'\)$" \
	"smtplib login() with a wrong password: 535"
wait_for 15 grep -qs smtplib-body-LOGIN "$T/sink"/msg.*
ok $? "both smtplib messages reach the remote side"

# --- swaks
run swaks --tls -s 127.0.0.1 -p "$PORT" --auth PLAIN --auth-user jun --auth-password "$PW" \
	-f jun@example.com -t dave@remote.example --h-Subject swaks-auth --body swaks-plain-body --timeout 10
is "$rc" 0 "swaks --tls --auth PLAIN relays a message"
like "$T/out" '<~ +235 2\.7\.0 Authentication successful' "... after 235"
run swaks --tls -s 127.0.0.1 -p "$PORT" --auth LOGIN --auth-user jun --auth-password "$PW" \
	-f jun@example.com -t dave@remote.example --body swaks-login-body --timeout 10
is "$rc" 0 "swaks --tls --auth LOGIN relays a message"
run swaks --tls -s 127.0.0.1 -p "$PORT" --auth PLAIN --auth-user jun --auth-password nope \
	-f jun@example.com -t dave@remote.example --timeout 10
like "$T/out" '<~\* +535 5\.7\.8 Authentication credentials invalid' "swaks with a wrong password: 535"
run swaks -s 127.0.0.1 -p "$PORT" --auth PLAIN --auth-user jun --auth-password "$PW" \
	-f jun@example.com -t dave@remote.example --timeout 10
[ "$rc" -ne 0 ]
ok $? "swaks --auth without --tls fails: the server offers no AUTH in plaintext"
wait_for 15 grep -qs swaks-login-body "$T/sink"/msg.*
ok $? "both swaks messages reach the remote side"
daemon_stop

# --- AuthRequireTLS=false: offered and accepted in plaintext
daemon_start -O AuthRequireTLS=false
ok $? "the daemon restarts with AuthRequireTLS=false"
cat >"$T/s3" <<S
<
> EHLO client.example.net
<
> AUTH LOGIN $(b64 jun)
<
> $(b64 "$PW")
<
> RCPT TO:<bob@remote.example>
<
> MAIL FROM:<jun@example.com>
<
> RCPT TO:<bob@remote.example>
<
> QUIT
<
S
run python3 "$T/ac.py" "$PORT" "$T/s3"
like "$T/out" '^250-AUTH PLAIN LOGIN$' "AuthRequireTLS=false: plaintext EHLO offers AUTH"
like "$T/out" '^334 UGFzc3dvcmQ6$' "AUTH LOGIN with the user name as initial response asks for the password"
like "$T/out" '^235 2\.7\.0 Authentication successful$' "... and succeeds in plaintext"
like "$T/out" '^250 2\.1\.5 ' "... and may relay"
daemon_stop

unlike "$T/daemon.log" "$PW" "the password never appears in the log"
unlike "$T/daemon.log" "$GOOD" "nor the PLAIN response that carries it"
done_testing
