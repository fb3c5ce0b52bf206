#!/bin/sh
# tests/nis.sh - the nis source against a real ypserv (rpcbind, ypserv, ypbind in a private
# namespace: tests/nisrig.sh): found, not found, keys with and without their NUL, hosts,
# mail.byaddr, a missing map, ypserv stopped (defer, then delivery when it returns), a chain
# with [NOTFOUND=return], binding through ypbind; and the nisplus source answering aliases and
# sendmailvars (mail domain and mail host)
NIS_DOMAIN=eng.example.net
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
. "$top_srcdir/tests/nisrig.sh"
if ! grep -q '^#define HAVE_NIS 1' "$top_builddir/config.h" 2>/dev/null; then
	echo "1..0 # SKIP not built with NIS support (libnsl, libtirpc)"
	exit 0
fi
nisrig_require
nisrig_enter "$@"
sm_setup
daemon_setup
nisrig_setup || {
	echo "1..0 # SKIP cannot bind-mount /var/yp in the namespace"
	exit 0
}
ALIASADM="$top_builddir/aliasadm"
# run - lib.sh's, also keeping every stderr for the sanitizer check at the end
run() {
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
	cat "$T/err" >>"$T/allerr"
}
: >"$T/allerr"

# --- maps, built the way /var/yp/Makefile builds them (continuation lines start with blanks,
# not a TAB: makedbm --aliases ends the key at the first TAB of the joined line)
cat >"$T/aliases.nis" <<'A'
# NIS aliases
nisalias: jun
nislist: jun, kim
joined: jun,
    kim
remote: someone@elsewhere.example.org
A
nisrig_aliases "$T/aliases.nis"
printf 'nulalias lee\nnullist jun, lee\n' | nisrig_nulmap nul.aliases
printf '192.0.2.10 hub.eng.example.net hub mailhost\n192.0.2.20 other.example.org other\n' >"$T/hosts.nis"
nisrig_hosts "$T/hosts.nis"
printf 'someone@elsewhere.example.org remote\n' | nisrig_map mail.byaddr
rpcbind_start
ok $? "rpcbind runs in the namespace"
ypserv_start
ok $? "ypserv runs and is registered with rpcbind"

cat >>"$CONF" <<CONF
NisServers = 127.0.0.1
NisTimeout = 2s
LdapURI = ldap://127.0.0.1:1/
LdapTimeout = 1s
QueueInterval = 1s
NisPlusDirectory = nisplus
CONF
printf 'aliases: files nis\nhosts: nis\nmail.byaddr: nis\n' >"$T/nsswitch.conf"
printf 'postmaster: root\n' >"$T/aliases"
"$NEWALIASES" -C "$CONF" >/dev/null

# --- found, not found
run "$SM" -C "$CONF" -bv nisalias
is "$rc" 0 "-bv of an alias in mail.aliases succeeds"
like "$T/out" '^jun\.\.\. deliverable: mailer local, user jun$' "it expands to the local user"
run "$SM" -C "$CONF" -bv -v nislist
like "$T/out" 'aliases "nislist": nis -> SUCCESS' "the trace shows the nis source answering"
like "$T/out" '^kim\.\.\. deliverable' "a list alias reaches every member"
run "$SM" -C "$CONF" -bv joined
like "$T/out" '^kim\.\.\. deliverable' "continuation lines joined by the Makefile's awk"
run "$SM" -C "$CONF" -bv -v nosuchuser
is "$rc" 67 "an unknown name: EX_NOUSER"
like "$T/out" 'aliases "nosuchuser": nis -> NOTFOUND' "nis answers NOTFOUND (YPERR_KEY)"
like "$T/out" 'User unknown' "and the address bounces"
run "$SM" -C "$CONF" -bv NisAlias
is "$rc" 0 "keys are folded to lower case before they are asked"

# --- keys stored with their trailing NUL (sendmail's and Solaris's maps)
printf '/map aliases nulalias\n/map aliases nullist\n/map aliases nope\n' >"$T/in"
run "$SM" -C "$CONF" -O NisAliasMap=nul.aliases -bt <"$T/in"
like "$T/out" '^map aliases "nulalias": SUCCESS "lee"$' "a key stored with a NUL is found (value without its NUL)"
like "$T/out" '^map aliases "nullist": SUCCESS "jun, lee"$' "and the next one too"
like "$T/out" '^map aliases "nope": NOTFOUND' "a missing key in a NUL map: NOTFOUND"
printf '/map aliases nisalias\n/map aliases nulalias\n' >"$T/in"
run "$SM" -C "$CONF" -bt <"$T/in"
like "$T/out" '^map aliases "nisalias": SUCCESS "jun"$' "a key stored without a NUL is found"
like "$T/out" '^map aliases "nulalias": NOTFOUND' "each map answers only for its own keys"

# --- hosts.byname and mail.byaddr
printf '/map hosts mailhost\n/map hosts other\n/map hosts nohost\n/map mail.byaddr someone@elsewhere.example.org\n' >"$T/in"
run "$SM" -C "$CONF" -bt <"$T/in"
like "$T/out" '^map hosts "mailhost": SUCCESS "hub.eng.example.net 192.0.2.10"$' "hosts.byname: CANONICAL ADDR"
like "$T/out" '^map hosts "other": SUCCESS "other.example.org 192.0.2.20"$' "hosts.byname: another line"
like "$T/out" '^map hosts "nohost": NOTFOUND' "hosts.byname: unknown host"
like "$T/out" '^map mail.byaddr "someone@elsewhere.example.org": SUCCESS "remote"$' "mail.byaddr"
printf '/parse user@far.example.com\n' >"$T/in"
run "$SM" -C "$CONF" -bt <"$T/in"
like "$T/out" 'mailer relay, host hub.eng.example.net' "the mail host is found through hosts: nis"

# --- a map the server does not have: UNAVAIL, skipped with the default criteria
run "$SM" -C "$CONF" -O NisAliasMap=no.such.map -bv -v postmaster
is "$rc" 0 "a missing map does not stop the chain"
like "$T/out" 'aliases "root": nis -> UNAVAIL \(no\.such\.map in domain eng\.example\.net: 127\.0\.0\.1: No such map' \
	"no such map: UNAVAIL with ypserv's reason"
printf 'aliases: nis [UNAVAIL=return] files\nhosts: nis\n' >"$T/nsswitch.conf"
run "$SM" -C "$CONF" -O NisAliasMap=no.such.map -bv postmaster
is "$rc" 75 "with [UNAVAIL=return] the lookup fails temporarily (EX_TEMPFAIL)"

# --- a domain the server does not serve, a server that cannot be reached, one that has no name
run "$SM" -C "$CONF" -O NisDomain=other.example.net -bv -v nisalias
is "$rc" 75 "a domain ypserv does not serve: TRYAGAIN (YP_NODOM)"
like "$T/out" 'nis -> TRYAGAIN \(mail\.aliases in domain other\.example\.net: 127\.0\.0\.1: domain other\.example\.net not served' \
	"the reason says so"
run "$SM" -C "$CONF" -O "NisServers=192.0.2.1 127.0.0.1" -bv -v nisalias
is "$rc" 0 "the first server unreachable: the next one answers in the same lookup"
like "$T/err" 'nis: domain eng\.example\.net: 192\.0\.2\.1: ypserv: rpcbind: RPC: Unable to send' "the failing server is logged with the reason"
run "$SM" -C "$CONF" -O NisServers=no-such-host.invalid -bv -v nisalias
is "$rc" 75 "a server name that does not resolve: TRYAGAIN"

# --- aliases: files nis [NOTFOUND=return] ldap: ldap is never asked after a NOTFOUND
printf 'aliases: files nis [NOTFOUND=return] ldap\nhosts: nis\n' >"$T/nsswitch.conf"
run "$SM" -C "$CONF" -bv -v nosuchuser
is "$rc" 67 "NOTFOUND=return: an unknown name bounces (the dead ldap is not asked)"
unlike "$T/out" 'ldap ->' "no ldap line in the trace"
like "$T/out" 'nis -> NOTFOUND .*; return' "the nis source's NOTFOUND returns"
run "$SM" -C "$CONF" -bv -v nisalias
is "$rc" 0 "a name nis knows is found"
unlike "$T/out" 'ldap ->' "and ldap is not asked either"
printf 'aliases: files nis\nhosts: nis\n' >"$T/nsswitch.conf"

# --- ypserv stopped: defer, never bounce; delivered once it is back
daemon_start
ok $? "the daemon listens on 127.0.0.1:$PORT"
cat >"$T/s1" <<'S'
<
> EHLO client.example.net
<
> MAIL FROM:<sender@example.net>
<
> RCPT TO:<nisalias@example.com>
<
> RCPT TO:<nosuchuser@example.com>
<
> QUIT
<
S
run python3 "$top_srcdir/tests/smtp.py" "$PORT" "$T/s1"
like "$T/out" '^250 2\.1\.5 <nisalias@example\.com>' "RCPT to a NIS alias: 250"
like "$T/out" '^550 5\.1\.1 <nosuchuser@example\.com>' "RCPT to an unknown name: 550 5.1.1"
ypserv_stop
run "$SM" -C "$CONF" -bv -v nisalias
is "$rc" 75 "ypserv stopped: -bv fails temporarily (EX_TEMPFAIL)"
like "$T/out" 'nis -> TRYAGAIN \(mail\.aliases in domain eng\.example\.net: 127\.0\.0\.1: ypserv: not registered' \
	"TRYAGAIN with the reason"
run python3 "$top_srcdir/tests/smtp.py" "$PORT" "$T/s1"
like "$T/out" '^451 4\.4\.3 <nisalias@example\.com>' "RCPT while ypserv is down: 451 4.4.3"
like "$T/out" '^451 4\.4\.3 <nosuchuser@example\.com>' "an unknown name is deferred too, not bounced"
printf 'Subject: while NIS was down\n\nqueued body\n' | "$SM" -C "$CONF" nisalias@example.com
is "$?" 0 "a message for the NIS alias is queued"
wait_for 10 grep -q 'stat=Deferred' "$T/daemon.log"
ok $? "its delivery is deferred while ypserv is down"
[ ! -e "$T/mail/jun" ] || ! grep -q 'queued body' "$T/mail/jun"
ok $? "and nothing was delivered or bounced meanwhile"
ypserv_start
ok $? "ypserv is back (on a new port)"
wait_for 15 grep -q 'queued body' "$T/mail/jun"
ok $? "the deferred message is delivered once ypserv answers again"
run python3 "$top_srcdir/tests/smtp.py" "$PORT" "$T/s1"
like "$T/out" '^250 2\.1\.5 <nisalias@example\.com>' "RCPT to the NIS alias is accepted again"
daemon_stop

# --- a server that does not answer at all: NisTimeout bounds the lookup
kill -STOP "$YPSERV_PID"
start=$(date +%s)
run "$SM" -C "$CONF" -O NisTimeout=1s -bv nisalias
elapsed=$(($(date +%s) - start))
kill -CONT "$YPSERV_PID"
is "$rc" 75 "a frozen ypserv: TRYAGAIN"
[ "$elapsed" -le 3 ]
ok $? "after about NisTimeout (took ${elapsed}s)"
like "$T/out" 'no answer within' "the reason says it timed out"

# --- through ypbind (no NisServers)
if command -v ypbind >/dev/null 2>&1 && command -v ypwhich >/dev/null 2>&1; then
	ypbind_start
	ok $? "ypbind binds to the namespace's ypserv"
	run "$SM" -C "$CONF" -O NisServers= -bv -v nislist
	is "$rc" 0 "bound mode: the alias is found through the server ypbind names"
	like "$T/out" '^kim\.\.\. deliverable' "bound mode: members"
	run "$SM" -C "$CONF" -O NisServers= -bv nosuchuser
	is "$rc" 67 "bound mode: NOTFOUND"
	ypbind_stop
else
	ok 0 "bound mode # SKIP ypbind and ypwhich (Debian nis) are not installed"
fi
run "$SM" -C "$CONF" -O NisServers= -bv -v nisalias
is "$rc" 75 "no ypbind: TRYAGAIN"
like "$T/out" 'nis -> TRYAGAIN \(mail\.aliases in domain eng\.example\.net: ypbind' "the reason names ypbind"

# --- the nisplus source: aliases, and sendmailvars deciding the mail domain and mail host
"$ALIASADM" -C "$CONF" -I &&
	"$ALIASADM" -C "$CONF" -a npalias "kim, lee" &&
	"$ALIASADM" -C "$CONF" -S -I &&
	"$ALIASADM" -C "$CONF" -S -a maildomain eng.example.net &&
	"$ALIASADM" -C "$CONF" -S -a mailhost other
ok $? "aliasadm creates and fills mail_aliases.org_dir and sendmailvars.org_dir"
printf 'aliases: files nisplus\nsendmailvars: files nisplus\nhosts: nis\n' >"$T/nsswitch.conf"
run "$SM" -C "$CONF" -bv -v npalias
is "$rc" 0 "an alias from the NIS+ table"
like "$T/out" 'aliases "npalias": nisplus -> SUCCESS' "the nisplus source answers"
like "$T/out" '^lee\.\.\. deliverable' "its members are delivered"
run "$SM" -C "$CONF" -bv -v nosuchuser
like "$T/out" 'aliases "nosuchuser": nisplus -> NOTFOUND' "nisplus: NOTFOUND"
run "$SM" -C "$CONF" -bN
like "$T/out" 'mail domain eng\.example\.net\)' "sendmailvars maildomain from nisplus sets the mail domain"
like "$T/out" 'mail host other(\.example\.org)? is other\.example\.org' "sendmailvars mailhost from nisplus names the mail host"
printf '/parse user@far.example.com\n' >"$T/in"
run "$SM" -C "$CONF" -bt <"$T/in"
like "$T/out" 'mailer relay, host other\.example\.org' "mail leaves through that mail host"
printf 'maildomain example.net\n' >"$T/sendmailvars"
echo "SendmailVarsFile = sendmailvars" >>"$CONF"
run "$SM" -C "$CONF" -bN
like "$T/out" 'mail domain example\.net\)' "files comes first on the sendmailvars line"
printf 'aliases: nisplus\nhosts: nis\n' >"$T/nsswitch.conf"
run "$SM" -C "$CONF" -O NisPlusAliasTable=missing.org_dir -bv -v npalias
like "$T/out" 'nisplus -> UNAVAIL \(no table missing\.org_dir\.eng\.example\.net\.\)' "a missing NIS+ table: UNAVAIL"

# --- the daemon's lookup threads read the NIS+ table while aliasadm writes it
printf 'aliases: files nisplus\nhosts: nis\n' >"$T/nsswitch.conf"
daemon_start
ok $? "the daemon runs with aliases: files nisplus"
i=1
writers=
while [ $i -le 10 ]; do
	"$ALIASADM" -C "$CONF" -a "np$i" lee >>"$T/writers.out" 2>&1 &
	writers="$writers $!"
	i=$((i + 1))
done
cat >"$T/readers.py" <<PY
import smtplib, threading
codes = []
def rcpts():
    s = smtplib.SMTP("127.0.0.1", $PORT)
    s.ehlo("client.example.net")
    s.mail("sender@example.net")
    for i in range(20):
        codes.append(s.rcpt("npalias@example.com")[0])
    s.rset()
    s.quit()
ts = [threading.Thread(target=rcpts) for _ in range(4)]
for t in ts: t.start()
for t in ts: t.join()
print(len(codes), sorted(set(codes)))
PY
run python3 "$T/readers.py"
for p in $writers; do wait "$p"; done
is "$(cat "$T/out")" "80 [250]" "80 RCPTs from 4 sessions during 10 writes: every one 250"
is "$(cat "$T/writers.out")" "" "every writer succeeded"
is "$("$ALIASADM" -C "$CONF" -l | grep -c '^np[0-9]')" 10 "all 10 entries are in the table"
run python3 "$top_srcdir/tests/smtp.py" "$PORT" - <<'S'
<
> EHLO client.example.net
<
> MAIL FROM:<sender@example.net>
<
> RCPT TO:<np7@example.com>
<
> QUIT
<
S
like "$T/out" '^250 2\.1\.5 <np7@example\.com>' "an entry added while the daemon ran is found"
daemon_stop

unlike "$T/allerr" 'Sanitizer|runtime error' "no sanitizer reports from any run"
unlike "$T/daemon.log" 'Sanitizer|runtime error' "none from the daemon either"

done_testing
