#!/bin/sh
# tests/tls.sh - STARTTLS both ways: the daemon against openssl s_client, swaks and a scripted TLS
# client (verify OK, NO, NOT and FAIL through a CRL, the Received: clause, RequireStartTLS, a second
# STARTTLS, the handshake timeout, plaintext injection after STARTTLS, security.md 2.2), and the
# delivery agent against tests/sink.py in TLS-only mode (with a response injection after its 220).
# Certificates are made here with the openssl command; every server is stopped by its pid.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
if ! "$top_builddir/switchmail" -bC 2>/dev/null | grep -q '^ServerCertFile'; then
	echo "1..0 # SKIP switchmail has no ServerCertFile setting"
	exit 0
fi
if ! command -v openssl >/dev/null || ! grep -q 'HAVE_OPENSSL 1' "$top_builddir/config.h" 2>/dev/null; then
	echo "1..0 # SKIP not built with OpenSSL, or no openssl command"
	exit 0
fi
sm_setup
daemon_setup

# mkcerts DIR - a CA, the certificates server, client and revoked (signed by it), and a CRL
# revoking the last one
mkcerts() {
	local d=$1 n
	mkdir -p "$d/ca"
	: >"$d/ca/index.txt"
	echo 1000 >"$d/ca/serial"
	echo 1000 >"$d/ca/crlnumber"
	cat >"$d/ca/ca.cnf" <<CNF
[ ca ]
default_ca = test_ca
[ test_ca ]
database = $d/ca/index.txt
serial = $d/ca/serial
crlnumber = $d/ca/crlnumber
new_certs_dir = $d/ca
certificate = $d/ca.pem
private_key = $d/ca.key
default_md = sha256
default_days = 30
default_crl_days = 30
policy = any
unique_subject = no
[ any ]
commonName = supplied
organizationName = optional
[ req ]
distinguished_name = dn
[ dn ]
[ v3_ca ]
basicConstraints = critical,CA:true
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[ leaf ]
basicConstraints = CA:false
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth,clientAuth
subjectAltName = DNS:mail.example.com,DNS:localhost,IP:127.0.0.1
CNF
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/ca.key" -out "$d/ca.pem" -days 30 \
		-subj "/O=switchmail tests/CN=switchmail test CA" -config "$d/ca/ca.cnf" -extensions v3_ca \
		2>>"$d/openssl.log" || return 1
	for n in server client revoked; do
		openssl req -newkey rsa:2048 -nodes -keyout "$d/$n.key" -out "$d/$n.csr" \
			-subj "/O=switchmail tests/CN=$n.example.com" -config "$d/ca/ca.cnf" 2>>"$d/openssl.log" ||
			return 1
		openssl ca -batch -config "$d/ca/ca.cnf" -extensions leaf -in "$d/$n.csr" -out "$d/$n.pem" \
			-notext 2>>"$d/openssl.log" || return 1
	done
	openssl ca -batch -config "$d/ca/ca.cnf" -revoke "$d/revoked.pem" 2>>"$d/openssl.log" || return 1
	openssl ca -batch -config "$d/ca/ca.cnf" -gencrl -out "$d/crl.pem" 2>>"$d/openssl.log" || return 1
	chmod 600 "$d"/*.key # root's alone: the daemon loads the server key before it drops root
}
C=$T/certs
mkcerts "$C"
ok $? "a CA, server, client and revoked certificates and a CRL are made with openssl"

# a scripted client: lines as tests/smtp.py ("> cmd", ">> raw", "<"), plus "tls [CERT KEY]" (the
# handshake, printing "TLS version"), "quiet SECONDS" (prints "(nothing)" or what came unasked)
cat >"$T/tc.py" <<'PY'
import socket, ssl, sys, time
port, script = int(sys.argv[1]), open(sys.argv[2]).read().splitlines()
s = socket.create_connection(("127.0.0.1", port), 10)
s.settimeout(10)
buf = b""
def line():
    global buf
    while b"\r\n" not in buf:
        d = s.recv(65536)
        if not d:
            return None
        buf += d
    l, buf = buf.split(b"\r\n", 1)
    return l.decode("latin-1")
def reply():
    out = []
    while True:
        l = line()
        if l is None:
            out.append("(closed)")
            break
        out.append(l)
        if len(l) < 4 or l[3] != "-":
            break
    print("\n".join(out))
for cmd in script:
    try:
        if cmd.startswith(">> "):
            s.sendall(cmd[3:].encode("latin-1").decode("unicode_escape").encode("latin-1"))
        elif cmd.startswith("> "):
            s.sendall(cmd[2:].encode("latin-1") + b"\r\n")
        elif cmd == "<":
            reply()
        elif cmd.startswith("tls"):
            a = cmd.split()
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            if len(a) == 3:
                ctx.load_cert_chain(a[1], a[2])
            if buf:
                print("(plaintext left before the handshake: %r)" % buf)
            s = ctx.wrap_socket(s)
            print("TLS " + s.version())
        elif cmd.startswith("quiet "):
            s.settimeout(float(cmd[6:]))
            try:
                d = buf or s.recv(65536)
                print("(unasked: %r)" % d if d else "(closed)")
            except (socket.timeout, ssl.SSLWantReadError):
                print("(nothing)")
            s.settimeout(10)
    except (OSError, ssl.SSLError) as e:
        print("(error: %s)" % e)
        break
sys.stdout.flush()
PY
TC="python3 $T/tc.py"

cat >>"$CONF" <<CONF
CACertFile = $C/ca.pem
ServerCertFile = $C/server.pem
ServerKeyFile = $C/server.key
CRLFile = $C/crl.pem
RelayClients =
CONF
printf 'postmaster: root\nroot: lee\n' >"$T/aliases"
"$NEWALIASES" -C "$CONF" >/dev/null
run "$SM" -C "$CONF" -bC
like "$T/out" '^StartTLSTimeout += 3600$|^StartTLSTimeout += 1h$' "StartTLSTimeout defaults to one hour"
like "$T/out" '^RequireStartTLS += (false|0|no)$' "RequireStartTLS defaults to off"
daemon_start
ok $? "the daemon listens on 127.0.0.1:$PORT with a certificate"

# --- plaintext: STARTTLS is offered, and refused before EHLO
cat >"$T/s1" <<'S'
<
> STARTTLS
<
> EHLO client.example.net
<
> STARTTLS now
<
> QUIT
<
S
run $TC "$PORT" "$T/s1"
like "$T/out" '^250-STARTTLS$' "EHLO offers STARTTLS"
like "$T/out" '^503 5\.5\.1 .*EHLO first' "STARTTLS before EHLO: 503"
like "$T/out" '^501 5\.5\.4 Syntax: STARTTLS' "STARTTLS with an argument: 501"

# --- a session in TLS: fresh state, no second STARTTLS, a message with the Received: clause
cat >"$T/s2" <<S
<
> EHLO client.example.net
<
> STARTTLS
<
tls $C/client.pem $C/client.key
> MAIL FROM:<jun@example.net>
<
> EHLO client.example.net
<
> STARTTLS
<
> MAIL FROM:<jun@example.net>
<
> RCPT TO:<lee@example.com>
<
> DATA
<
> Subject: over TLS
>
> tls-body-1
> .
<
> QUIT
<
S
run $TC "$PORT" "$T/s2"
like "$T/out" '^220 2\.0\.0 Ready to start TLS$' "STARTTLS: 220 2.0.0 Ready to start TLS"
like "$T/out" '^TLS TLSv1\.[23]$' "the handshake gives TLS 1.2 or newer"
like "$T/out" '^503 5\.5\.1 .*EHLO first' "after the handshake the session starts afresh: MAIL needs EHLO (RFC 3207)"
grep -A20 '^TLS ' "$T/out" >"$T/in-tls"
unlike "$T/in-tls" '^250-STARTTLS' "EHLO in TLS no longer offers STARTTLS"
like "$T/in-tls" '^503 5\.5\.1 TLS already active$' "a second STARTTLS: 503"
like "$T/in-tls" '^250 2\.0\.0 [0-9A-Z]+ Message accepted' "a message is accepted over TLS"
wait_for 10 grep -qs tls-body-1 "$T/mail/lee"
ok $? "... and delivered"
like "$T/mail/lee" '^	\(version=TLSv1\.[23] cipher=[A-Z0-9_-]+ bits=[0-9]+ verify=OK\)$' \
	"the Received: field has the TLS clause with verify=OK for a good client certificate"
like "$T/mail/lee" '^	by mail\.example\.com \(switchmail\) with ESMTPS id' "... and says ESMTPS"
like "$T/daemon.log" 'STARTTLS=server, version=TLSv1\.[23], verify=OK, cipher=[A-Z0-9_-]+, bits=[0-9]+/[0-9]+, cert-subject=/CN=client\.example\.com/O=switchmail tests, cert-issuer=/O=switchmail tests/CN=switchmail test CA' \
	"the log has verify, version, cipher, bits, subject and issuer"

# --- openssl s_client: a revoked certificate (FAIL through the CRL) and none at all (NO)
(
	sleep 1
	printf 'EHLO revoked.example.net\r\n'
	sleep 0.5
	printf 'QUIT\r\n'
) | timeout 10 openssl s_client -starttls smtp -connect "127.0.0.1:$PORT" -CAfile "$C/ca.pem" \
	-cert "$C/revoked.pem" -key "$C/revoked.key" -quiet >"$T/revoked.out" 2>&1
like "$T/revoked.out" '^250 HELP' "openssl s_client -starttls smtp with a revoked certificate: EHLO answered in TLS"
like "$T/revoked.out" 'verify return:1' "... the server's certificate verifies against the CA"
like "$T/daemon.log" 'STARTTLS=server, version=TLSv1\.[23], verify=FAIL, verifymsg=certificate revoked, .*cert-subject=/CN=revoked\.example\.com' \
	"the revoked client certificate is verify=FAIL (certificate revoked) through CRLFile"

# --- relaying by client certificate: CERTISSUER: RELAY lets a verified certificate relay, and the
# revoked one (signed by the same CA) is refused
daemon_stop
printf 'CERTISSUER:/O=switchmail+20tests/CN=switchmail+20test+20CA\tRELAY\n' >"$T/access"
"$top_builddir/makemap" hash "$T/access" <"$T/access"
printf 'AccessFile = access\n' >>"$CONF"
daemon_start
for who in client revoked; do
	printf '<\n> EHLO %s.example.net\n<\n> STARTTLS\n<\ntls %s %s\n> EHLO %s.example.net\n<\n> MAIL FROM:<jun@example.net>\n<\n> RCPT TO:<bob@elsewhere.example.org>\n<\n> QUIT\n<\n' \
		"$who" "$C/$who.pem" "$C/$who.key" "$who" >"$T/cert-$who"
	run $TC "$PORT" "$T/cert-$who"
	cp "$T/out" "$T/cert-$who.out"
done
like "$T/cert-client.out" '^250 2\.1\.5 <bob@elsewhere\.example\.org>' \
	"CERTISSUER: RELAY: a verified client certificate from that CA may relay"
like "$T/cert-revoked.out" '^550 5\.7\.1 <bob@elsewhere\.example\.org>\.\.\. Relaying denied' \
	"a revoked certificate from the same CA (verify=FAIL through the CRL) may not"

# --- TLS_Clt: this client must present a verified certificate before MAIL
daemon_stop
cp "$T/access" "$T/access.keep"
printf 'TLS_Clt:127.0.0.1\tVERIFY\n' >>"$T/access"
"$top_builddir/makemap" hash "$T/access" <"$T/access"
daemon_start
printf '<\n> EHLO plain.example.net\n<\n> MAIL FROM:<jun@example.net>\n<\n> QUIT\n<\n' >"$T/clt-plain"
run $TC "$PORT" "$T/clt-plain"
like "$T/out" '^403 4\.7\.0 ' "TLS_Clt: VERIFY: MAIL without TLS gets 403 4.7.0"
printf '<\n> EHLO c.example.net\n<\n> STARTTLS\n<\ntls %s %s\n> EHLO c.example.net\n<\n> MAIL FROM:<jun@example.net>\n<\n> QUIT\n<\n' \
	"$C/client.pem" "$C/client.key" >"$T/clt-good"
run $TC "$PORT" "$T/clt-good"
like "$T/out" '^250 2\.1\.0 Sender ok' "... and with a verified client certificate, 250"
daemon_stop
cp "$T/access.keep" "$T/access"
"$top_builddir/makemap" hash "$T/access" <"$T/access"
daemon_start

run swaks --tls -s 127.0.0.1 -p "$PORT" -f jun@example.net -t lee@example.com --h-Subject swaks-tls \
	--body swaks-body --timeout 10
is "$rc" 0 "swaks --tls delivers a message"
like "$T/out" '<~ +250 2\.0\.0 [0-9A-Z]+ Message accepted' "... accepted after STARTTLS"
wait_for 10 grep -qs swaks-body "$T/mail/lee"
like "$T/mail/lee" 'verify=NO\)$' "a client without a certificate: verify=NO in the Received: field"

# --- plaintext injection after STARTTLS (CVE-2011-0411): the RSET sent with it is never run
cat >"$T/s3" <<'S'
<
> EHLO client.example.net
<
>> STARTTLS\r\nRSET\r\n
<
tls
quiet 1
> NOOP
<
> QUIT
<
S
run $TC "$PORT" "$T/s3"
like "$T/out" '^TLS TLSv1' "STARTTLS with RSET behind it in one write: the handshake still happens"
like "$T/out" '^\(nothing\)$' "no reply to the injected RSET arrives inside TLS"
unlike "$T/out" 'Reset state' "the RSET was not executed"
like "$T/out" '^250 2\.0\.0 OK$' "the next command in TLS gets its own reply"
like "$T/daemon.log" '[0-9]+ bytes of plaintext after STARTTLS discarded' "the discarded bytes are logged"

# --- a failed handshake closes the session
cat >"$T/s4" <<'S'
<
> EHLO client.example.net
<
> STARTTLS
<
>> this is not TLS\r\n
<
S
run $TC "$PORT" "$T/s4"
like "$T/out" '^\(closed\)$' "garbage instead of a handshake: the session is closed"
wait_for 5 grep -q 'STARTTLS=server, error: handshake failed' "$T/daemon.log"
ok $? "... and the failed handshake logged"
daemon_stop

# --- RequireStartTLS, TLSSrvOptions V, StartTLSTimeout
daemon_start -O RequireStartTLS=true -O TLSSrvOptions=V -O StartTLSTimeout=1s
ok $? "the daemon restarts with RequireStartTLS, TLSSrvOptions=V and a 1 s STARTTLS timeout"
cat >"$T/s5" <<S
<
> EHLO client.example.net
<
> MAIL FROM:<jun@example.net>
<
> STARTTLS
<
tls $C/client.pem $C/client.key
> EHLO client.example.net
<
> MAIL FROM:<jun@example.net>
<
> QUIT
<
S
run $TC "$PORT" "$T/s5"
like "$T/out" '^530 5\.7\.0 Must issue a STARTTLS command first$' "RequireStartTLS: MAIL in plaintext gets 530 5.7.0"
like "$T/out" '^250 2\.1\.0 Sender ok$' "... and is accepted in TLS"
like "$T/daemon.log" 'STARTTLS=server, version=[^,]*, verify=NOT,' \
	"TLSSrvOptions=V: no client certificate asked for, verify=NOT"
start=$(date +%s)
printf '<\n> EHLO client.example.net\n<\n> STARTTLS\n<\nquiet 4\n' >"$T/s6"
run $TC "$PORT" "$T/s6"
like "$T/out" '^\(closed\)$' "no handshake within StartTLSTimeout: the session is closed"
[ $(($(date +%s) - start)) -le 4 ]
ok $? "... within about a second"
like "$T/daemon.log" 'STARTTLS=server, error: handshake timed out' "... and the timeout logged"
daemon_stop

# --- the delivery agent against a TLS-only server, with a response injection after its 220
SP=$(free_port)
mkdir -p "$T/sink"
python3 "$top_srcdir/tests/sink.py" --listen "127.0.0.1:$SP" --dir "$T/sink" --pidfile "$T/sink.pid" \
	--tls-only --tls-cert "$C/server.pem" --tls-key "$C/server.key" \
	--tls-inject '250-injected.example\r\n250 AUTH LOGIN\r\n' 2>>"$T/sink.err" &
SINK=$!
trap_prepend 'kill $SINK 2>/dev/null; wait $SINK 2>/dev/null'
wait_for 10 test -s "$T/sink.pid"
ok $? "a TLS-only sink listens on 127.0.0.1:$SP"
cat >>"$CONF" <<CONF
SmtpPort = $SP
SmartHost = [127.0.0.1]
CONF
daemon_start
printf 'Subject: relayed\n\nrelayed-tls-body\n' | "$SM" -C "$CONF" -oi -f jun@example.com bob@remote.example
ok $? "a message for a remote address is queued"
wait_for 15 grep -qs relayed-tls-body "$T/sink"/msg.0001
ok $? "switchmail's client delivered it to the TLS-only server"
like "$T/sink/msg.0001" '^X-Sink-TLS: TLSv1\.[23] ' "... inside TLS"
like "$T/sink/log" '^\(TLS TLSv1' "the sink saw the handshake"
sed -n '/^(TLS/,$p' "$T/sink/log" >"$T/sinklog"
like "$T/sinklog" '^EHLO mail\.example\.com$' "the client said EHLO again in TLS"
like "$T/daemon.log" 'STARTTLS=client, relay=127\.0\.0\.1\[127\.0\.0\.1\], version=TLSv1\.[23], verify=OK, cipher=' \
	"the client logs its TLS session; the server's certificate verified with CACertFile"
like "$T/daemon.log" 'to=<bob@remote\.example>.*stat=Sent' "the delivery is logged as sent"
unlike "$T/daemon.log" 'protocol error' "the injected replies after the 220 were discarded, not read as the EHLO reply"

# --- TLS_Srv: in the access database, enforced on the way out
daemon_stop
mkdir -p "$T/plain"
python3 "$top_srcdir/tests/sink.py" --listen "127.0.0.5:$SP" --dir "$T/plain" --pidfile "$T/plain.pid" \
	2>>"$T/sink.err" &
PLAIN=$!
trap_prepend 'kill $PLAIN 2>/dev/null; wait $PLAIN 2>/dev/null'
wait_for 10 test -s "$T/plain.pid"
printf 'TLS_Srv:127.0.0.1\tENCR:128\nTLS_Srv:127.0.0.5\tENCR:128\n' >"$T/access"
"$top_builddir/makemap" hash "$T/access" <"$T/access"
daemon_start
printf 'Subject: strong\n\nstrong-tls-body\n' | "$SM" -C "$CONF" -oi -f jun@example.com bob@remote.example
wait_for 15 grep -qs strong-tls-body "$T/sink"/msg.0002
ok $? "TLS_Srv ENCR:128: a server with a strong TLS session gets the message"
daemon_stop
sed -i 's/^SmartHost = .*/SmartHost = [127.0.0.5]/' "$CONF" # the route is chosen at submission
daemon_start
printf 'Subject: weak\n\nweak-body\n' | "$SM" -C "$CONF" -oi -f jun@example.com bob@remote.example
wait_for 15 grep -q 'to=<bob@remote\.example>.*stat=Deferred (403 4\.7\.0' "$T/daemon.log"
ok $? "TLS_Srv ENCR:128: a server without STARTTLS is refused with 403 4.7.0 and the message waits"
like "$T/daemon.log" 'TLS_Srv:127\.0\.0\.5 requires ENCR:128' "the requirement is logged"
if grep -qs weak-body "$T/plain"/msg.* 2>/dev/null; then r=1; else r=0; fi
ok "$r" "nothing was sent to it in plaintext"
daemon_stop
printf 'TLS_Srv:127.0.0.5\tPERM+ENCR:128\n' >"$T/access"
"$top_builddir/makemap" hash "$T/access" <"$T/access"
daemon_start
"$SM" -C "$CONF" -q
wait_for 15 grep -qs '503 5.7.0' "$T/mail/jun"
ok $? "PERM+ENCR:128: the message bounces with 503 5.7.0"
daemon_stop
done_testing
