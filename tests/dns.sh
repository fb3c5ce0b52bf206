#!/bin/sh
# tests/dns.sh - the dns source through switchmail -bt's /map: MX order, equal preferences, implicit
# and null MX, NXDOMAIN, A+AAAA, CNAMEs, invalid MX targets and libunbound's cache against a private
# nsd; SERVFAIL, REFUSED, timeouts, truncation, mixed null MX, NODATA and a half-failing A/AAAA
# pair against tests/dnsfault.py; bad settings; and the dns source inside switch chains
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
. "$top_srcdir/tests/dnsrig.sh"
sm_setup

dnsrig_require
printf 'hosts: dns\n' >"$T/nsswitch.conf"
printf '/map hosts localhost\n' | "$SM" -C "$CONF" -bt >"$T/out" 2>&1
if grep -q 'not built with libunbound support' "$T/out"; then
	echo "1..0 # SKIP not built with libunbound"
	exit 0
fi

# answer DB KEY - "STATUS rest" from the /map line for KEY in $T/out
answer() {
	sed -n "s/^map $1 \"$2\": //p" "$T/out" | head -1
}

# bt [-O SETTING]... - run switchmail -bt on the commands in $T/in
bt() {
	run "$SM" -C "$CONF" "$@" -bt <"$T/in"
	cat "$T/err" >>"$T/allerr"
}

# ms - milliseconds since the epoch
ms() {
	echo $(($(date +%s%N) / 1000000))
}

# --- the zone nsd serves
Z=dnstest.example
cat >"$T/zone" <<'ZONE'
$ORIGIN dnstest.example.
$TTL 300
@		SOA	ns hostmaster 1 3600 900 604800 300
@		NS	ns
ns		A	127.0.0.1
@		MX	20 mx2
@		MX	10 mx1
mx1		A	192.0.2.1
mx2		A	192.0.2.2
mx2		AAAA	2001:db8::2
mx3		A	192.0.2.3
v6only		AAAA	2001:db8::6
notasked	A	192.0.2.7
order		MX	30 mx3
order		MX	10 mx1
order		MX	20 mx2
order		MX	40 MX1
order		MX	15 Mx2
equal		MX	10 a.equal
equal		MX	10 b.equal
equal		MX	5 first
a.equal		A	192.0.2.11
b.equal		A	192.0.2.12
implicit	A	192.0.2.9
nullmx		MX	0 .
badmx		MX	10 bad\032space
badmx		MX	20 bad!bang
badmx		MX	25 dot\.inside
badmx		MX	30 good_1.badmx
good_1.badmx	A	192.0.2.30
allbad		MX	10 bad\032space
alias		CNAME	mx2
cnamemx		MX	10 mxalias
mxalias		CNAME	mx1
cnamedom	CNAME	@
txtonly		TXT	"no addresses here"
ZONE
cat >"$T/labzone" <<'ZONE'
$ORIGIN lab.test.
$TTL 300
@		SOA	ns hostmaster 1 3600 900 604800 300
@		NS	ns
ns		A	127.0.0.1
host		A	192.0.2.40
ZONE
nsd_start "$Z=$T/zone" "lab.test=$T/labzone"
ok $? "nsd serves $Z and lab.test on 127.0.0.1:$NSD_PORT"
dns_conf
printf 'hosts: dns\nmx: dns\n' >"$T/nsswitch.conf"

cat >"$T/in" <<IN
/map mx $Z
/map mx order.$Z
/map mx equal.$Z
/map mx equal.$Z
/map mx implicit.$Z
/map mx nullmx.$Z
/map mx nope.$Z
/map mx badmx.$Z
/map mx allbad.$Z
/map mx cnamemx.$Z
/map mx cnamedom.$Z
/map mx txtonly.$Z
/map hosts mx2.$Z
/map hosts v6only.$Z
/map hosts alias.$Z
/map hosts mxalias.$Z
/map hosts nope.$Z
/map hosts txtonly.$Z
/map hosts [192.0.2.1]
/map hosts 192.0.2.1
/map hosts elsewhere.example
/map aliases root
/map hosts host.lab.test
/map hosts localhost
/map hosts nothing.invalid
IN
printf 'hosts: dns\nmx: dns\naliases: dns\n' >"$T/nsswitch.conf"
bt
is "$(answer mx $Z)" "SUCCESS \"10:mx1.$Z 20:mx2.$Z\"" "mx: two MX hosts in preference order"
is "$(answer mx order.$Z)" "SUCCESS \"10:mx1.$Z 15:mx2.$Z 30:mx3.$Z\"" \
	"mx: sorted by preference, lower case, a host listed twice kept with its best preference"
like "$T/out" "^map mx \"equal.$Z\": SUCCESS \"5:first.$Z (10:a.equal.$Z 10:b.equal.$Z|10:b.equal.$Z 10:a.equal.$Z)\"$" \
	"mx: equal preferences: both hosts present after the better one"
is "$(grep -c "^map mx \"equal.$Z\": SUCCESS" "$T/out")" 2 "mx: equal preferences: asked twice in one process"
is "$(grep "^map mx \"equal.$Z\":" "$T/out" | sort -u | wc -l)" 1 "mx: equal preferences keep one order inside a process"
is "$(answer mx implicit.$Z)" "SUCCESS \"0:implicit.$Z implicit\"" "mx: no MX records: implicit MX 0:DOMAIN"
is "$(answer mx nullmx.$Z)" 'SUCCESS "0:."' "mx: null MX is 0:."
is "$(answer mx nope.$Z)" "NOTFOUND (dns: NXDOMAIN)" "mx: NXDOMAIN is NOTFOUND"
is "$(answer mx badmx.$Z)" "SUCCESS \"30:good_1.badmx.$Z\"" "mx: targets that are not host names are dropped"
like "$T/err" 'MX host "bad\\032space\.dnstest\.example" is not a valid host name' \
	"mx: a dropped target is logged, made printable"
like "$T/err" 'MX host "dot\\\.inside\.dnstest\.example" is not a valid host name' \
	"mx: a dot inside a label is not a label separator"
is "$(answer mx allbad.$Z)" "TRYAGAIN (dns: no usable MX host)" "mx: no usable target: TRYAGAIN"
is "$(answer mx cnamemx.$Z)" "SUCCESS \"10:mxalias.$Z\"" "mx: a target that is a CNAME is returned as published"
is "$(answer hosts mxalias.$Z)" "SUCCESS \"mx1.$Z 192.0.2.1\"" "hosts: that target resolves, canonical is the CNAME target"
is "$(answer mx cnamedom.$Z)" "SUCCESS \"10:mx1.$Z 20:mx2.$Z\"" "mx: a domain that is a CNAME gets its target's MX"
is "$(answer mx txtonly.$Z)" "SUCCESS \"0:txtonly.$Z implicit\"" "mx: NOERROR/NODATA: implicit"
is "$(answer hosts mx2.$Z)" "SUCCESS \"mx2.$Z 192.0.2.2 2001:db8::2\"" "hosts: A and AAAA"
is "$(answer hosts v6only.$Z)" "SUCCESS \"v6only.$Z 2001:db8::6\"" "hosts: AAAA only"
is "$(answer hosts alias.$Z)" "SUCCESS \"mx2.$Z 192.0.2.2 2001:db8::2\"" "hosts: a CNAME: canonical is the target"
is "$(answer hosts nope.$Z)" "NOTFOUND (dns: host not found (NXDOMAIN))" "hosts: NXDOMAIN is NOTFOUND"
is "$(answer hosts txtonly.$Z)" "NOTFOUND (dns: no address records)" "hosts: no A or AAAA: NOTFOUND"
is "$(answer hosts '\[192.0.2.1\]')" "NOTFOUND (dns: an address literal is not looked up)" \
	"hosts: a bracketed address literal is not asked"
is "$(answer hosts 192.0.2.1)" "NOTFOUND (dns: an address literal is not looked up)" \
	"hosts: a plain address is not asked"
like "$T/out" '^map hosts "elsewhere.example": TRYAGAIN \(dns: A: SERVFAIL from the resolver; AAAA: SERVFAIL from the resolver\)' \
	"hosts: the server refuses a zone it does not serve: TRYAGAIN"
is "$(answer aliases root)" "UNAVAIL (dns: dns answers only hosts and mx)" "another database: UNAVAIL"
is "$(answer hosts host.lab.test)" 'SUCCESS "host.lab.test 192.0.2.40"' "hosts: names under test. are asked"
is "$(answer hosts localhost)" 'SUCCESS "localhost 127.0.0.1 ::1"' "hosts: localhost is answered by libunbound"
is "$(answer hosts nothing.invalid)" "NOTFOUND (dns: host not found (NXDOMAIN))" "hosts: invalid. is NXDOMAIN"

# --- equal preferences spread across processes: both orders appear
printf '/map mx equal.%s\n' "$Z" >"$T/in"
: >"$T/orders"
i=0
while [ $i -lt 16 ]; do
	bt
	answer mx equal.$Z >>"$T/orders"
	i=$((i + 1))
done
is "$(sort -u "$T/orders" | wc -l)" 2 "mx: equal preferences: each order seen in 16 processes"

# --- libunbound's cache: answers outlive the server within their TTL
mkfifo "$T/fifo"
stdbuf -oL "$SM" -C "$CONF" -bt <"$T/fifo" >"$T/out" 2>"$T/err" &
btpid=$!
exec 3>"$T/fifo"
printf '/map mx %s\n' "$Z" >&3
wait_for 10 grep -q "^map mx \"$Z\":" "$T/out"
nsd_stop
printf '/map mx %s\n/map hosts notasked.%s\n/quit\n' "$Z" "$Z" >&3
exec 3>&-
wait $btpid
cat "$T/err" >>"$T/allerr"
is "$(grep -c "^map mx \"$Z\": SUCCESS \"10:mx1.$Z 20:mx2.$Z\"" "$T/out")" 2 \
	"cache: with nsd stopped the MX answer still comes, from the cache"
like "$T/out" "^map hosts \"notasked.$Z\": TRYAGAIN" "cache: a name not asked before is TRYAGAIN"

# --- faults from dnsfault.py
F=fault.example
dnsfault_start "sf.$F=servfail" "rf.$F=refused" "nx.$F=nxdomain" "nd.$F=nodata" "null.$F=nullmx" \
	"mixed.$F=mx-mixed-null" "cn.$F=mx-cname" "tc.$F=truncate" "slow.$F=timeout" "half.$F=aaaa-servfail" \
	"ok.$F=normal"
ok $? "dnsfault.py answers on 127.0.0.1:$FAULT_PORT"
cat >"$T/in" <<IN
/map mx sf.$F
/map hosts sf.$F
/map mx rf.$F
/map mx nx.$F
/map hosts nx.$F
/map mx nd.$F
/map hosts nd.$F
/map mx null.$F
/map mx mixed.$F
/map mx cn.$F
/map hosts mx.cn.$F
/map mx tc.$F
/map hosts half.$F
/map hosts ok.$F
IN
bt -O "DnsResolver=127.0.0.1@$FAULT_PORT"
is "$(answer mx sf.$F)" "TRYAGAIN (dns: SERVFAIL from the resolver)" "SERVFAIL: TRYAGAIN (mx)"
is "$(answer hosts sf.$F)" "TRYAGAIN (dns: A: SERVFAIL from the resolver; AAAA: SERVFAIL from the resolver)" \
	"SERVFAIL: TRYAGAIN (hosts, both failed)"
is "$(answer mx rf.$F)" "TRYAGAIN (dns: SERVFAIL from the resolver)" "REFUSED: TRYAGAIN"
grep -q "^udp rf.$F MX" "$FAULT_LOG"
ok $? "REFUSED: the question did reach the server"
is "$(answer mx nx.$F)" "NOTFOUND (dns: NXDOMAIN)" "NXDOMAIN from the fault server: NOTFOUND (mx)"
is "$(answer hosts nx.$F)" "NOTFOUND (dns: host not found (NXDOMAIN))" "NXDOMAIN from the fault server: NOTFOUND (hosts)"
is "$(answer mx nd.$F)" "SUCCESS \"0:nd.$F implicit\"" "NODATA: implicit MX"
is "$(answer hosts nd.$F)" "NOTFOUND (dns: no address records)" "NODATA: no address records"
is "$(answer mx null.$F)" 'SUCCESS "0:."' "null MX from the fault server"
is "$(answer mx mixed.$F)" "TRYAGAIN (dns: null MX mixed with other MX records)" "null MX mixed with another MX: TRYAGAIN"
like "$T/err" "mx \"mixed.$F\": null MX mixed with other MX records" "null MX mixed: logged"
is "$(answer mx cn.$F)" "SUCCESS \"10:mx.cn.$F\"" "MX to a CNAME: the exchange as published"
is "$(answer hosts mx.cn.$F)" "SUCCESS \"host.cn.$F 192.0.2.20\"" "MX to a CNAME: its address, canonical is the target"
is "$(answer mx tc.$F)" "SUCCESS \"10:mx1.tc.$F 20:mx2.tc.$F\"" "truncated over UDP: answered"
grep -q "^udp tc.$F MX" "$FAULT_LOG" && grep -q "^tcp tc.$F MX" "$FAULT_LOG"
ok $? "truncated over UDP: asked again over TCP"
is "$(answer hosts half.$F)" "SUCCESS \"half.$F 192.0.2.10\"" "A answered, AAAA SERVFAIL: SUCCESS with the A"
is "$(answer hosts ok.$F)" "SUCCESS \"ok.$F 192.0.2.10 2001:db8::10\"" "a normal answer from the fault server"

# --- timeouts: TRYAGAIN after DnsTimeout (2s), not much later
for db in mx hosts; do
	printf '/map %s slow.%s\n' "$db" "$F" >"$T/in"
	t0=$(ms)
	bt -O "DnsResolver=127.0.0.1@$FAULT_PORT"
	took=$(($(ms) - t0))
	if [ "$db" = mx ]; then
		is "$(answer $db slow.$F)" "TRYAGAIN (dns: no answer within 2s)" "timeout: TRYAGAIN ($db)"
	else
		is "$(answer $db slow.$F)" "TRYAGAIN (dns: A: no answer within 2s; AAAA: no answer within 2s)" \
			"timeout: TRYAGAIN ($db, A and AAAA)"
	fi
	[ "$took" -ge 1900 ] && [ "$took" -le 3500 ]
	ok $? "timeout: $db answered after ${took} ms (DnsTimeout 2s, allowed 1900..3500)"
done
dnsfault_stop

# --- bad settings: the source stands in as UNAVAIL with the reason
printf '/map hosts mx2.%s\n' "$Z" >"$T/in"
bt -O "DnsResolver=foo"
is "$(answer hosts mx2.$Z)" 'UNAVAIL (dns: DnsResolver: "foo" is not an address)' "bad DnsResolver: UNAVAIL with the reason"
bt -O "DnsResolver=127.0.0.1@99999"
is "$(answer hosts mx2.$Z)" 'UNAVAIL (dns: DnsResolver: "127.0.0.1@99999" has a bad port)' "bad DnsResolver port: UNAVAIL"
bt -O "DnsTrustAnchorFile=$T/no-such-file"
is "$(answer hosts mx2.$Z)" "UNAVAIL (dns: DnsTrustAnchorFile: $T/no-such-file: No such file or directory)" \
	"missing trust anchor file: UNAVAIL"
echo 'not a trust anchor' >"$T/bad.ta"
bt -O "DnsTrustAnchorFile=$T/bad.ta"
is "$(answer hosts mx2.$Z)" "UNAVAIL (dns: DnsTrustAnchorFile: $T/bad.ta: not a usable trust anchor file)" \
	"malformed trust anchor file: UNAVAIL"
bt -O "DnsTimeout=0"
is "$(answer hosts mx2.$Z)" "UNAVAIL (dns: DnsTimeout must be at least 1s)" "DnsTimeout 0: UNAVAIL"

# --- the dns source in switch chains
nsd_start "$Z=$T/zone"
ok $? "nsd serves $Z again on 127.0.0.1:$NSD_PORT"
printf '192.0.2.99 filesonly.%s\n192.0.2.98 nope.%s\n192.0.2.97 elsewhere.example\n' "$Z" "$Z" >"$T/hosts"
cat >"$T/in" <<IN
/map hosts filesonly.$Z
/map hosts mx2.$Z
IN
printf 'hosts: files dns\n' >"$T/nsswitch.conf"
bt -O "DnsResolver=127.0.0.1@$NSD_PORT"
is "$(answer hosts filesonly.$Z)" "SUCCESS \"filesonly.$Z 192.0.2.99\"" "files dns: a files name answered by files"
is "$(grep -c "hosts \"filesonly.$Z\": dns" "$T/out")" 0 "files dns: DNS not asked for it"
is "$(answer hosts mx2.$Z)" "SUCCESS \"mx2.$Z 192.0.2.2 2001:db8::2\"" "files dns: another name answered by dns"
like "$T/out" "hosts \"mx2.$Z\": files -> NOTFOUND" "files dns: files said NOTFOUND first"
cat >"$T/in" <<IN
/map hosts nope.$Z
/map hosts mx2.$Z
/map hosts elsewhere.example
IN
printf 'hosts: dns [NOTFOUND=return] files\n' >"$T/nsswitch.conf"
bt -O "DnsResolver=127.0.0.1@$NSD_PORT"
is "$(answer hosts nope.$Z)" "NOTFOUND (dns: host not found (NXDOMAIN))" \
	"dns [NOTFOUND=return] files: NXDOMAIN returns NOTFOUND"
is "$(grep -c "hosts \"nope.$Z\": files" "$T/out")" 0 "dns [NOTFOUND=return] files: files not asked after NXDOMAIN"
is "$(answer hosts mx2.$Z)" "SUCCESS \"mx2.$Z 192.0.2.2 2001:db8::2\"" "dns [NOTFOUND=return] files: dns answers"
is "$(answer hosts elsewhere.example)" 'SUCCESS "elsewhere.example 192.0.2.97"' \
	"dns [NOTFOUND=return] files: TRYAGAIN from dns goes on to files"
nsd_stop

# --- DNSSEC: zones signed with ldns-signzone (ldnsutils), their DS records as trust anchors
if command -v ldns-signzone >/dev/null && command -v ldns-keygen >/dev/null; then
	mkdir "$T/sec"
	: >"$T/sec/anchors"
	for zone in signed.example tampered.example; do
		cat >"$T/sec/$zone" <<ZONE
\$ORIGIN $zone.
\$TTL 300
@	SOA	ns hostmaster 1 3600 900 604800 300
@	NS	ns
ns	A	127.0.0.1
@	MX	10 mx1
mx1	A	192.0.2.1
ZONE
		ksk=$(cd "$T/sec" && ldns-keygen -a ECDSAP256SHA256 -k "$zone")
		zsk=$(cd "$T/sec" && ldns-keygen -a ECDSAP256SHA256 "$zone")
		(cd "$T/sec" && ldns-signzone -n -f "$zone.signed" "$zone" "$ksk" "$zsk")
		cat "$T/sec/$ksk.ds" >>"$T/sec/anchors"
	done
	# an address changed after signing: its signature no longer matches
	sed -i 's/^\(mx1\.tampered\.example\.[[:space:]].*[[:space:]]A[[:space:]]*\)192\.0\.2\.1$/\1192.0.2.66/' \
		"$T/sec/tampered.example.signed"
	grep -q '192.0.2.66' "$T/sec/tampered.example.signed"
	ok $? "dnssec: two zones signed, one tampered with after signing"
	nsd_start "signed.example=$T/sec/signed.example.signed" "tampered.example=$T/sec/tampered.example.signed"
	ok $? "dnssec: nsd serves the signed zones on 127.0.0.1:$NSD_PORT"
	cat >"$T/in" <<IN
/map mx signed.example
/map hosts mx1.signed.example
/map mx mx1.signed.example
/map hosts mx1.tampered.example
IN
	printf 'hosts: dns\nmx: dns\n' >"$T/nsswitch.conf"
	bt -O "DnsResolver=127.0.0.1@$NSD_PORT" -O "DnsTrustAnchorFile=$T/sec/anchors"
	is "$(answer mx signed.example)" 'SUCCESS "10:mx1.signed.example secure"' "dnssec: a validated MX answer is marked secure"
	is "$(answer hosts mx1.signed.example)" 'SUCCESS "mx1.signed.example 192.0.2.1"' "dnssec: validated addresses"
	is "$(answer mx mx1.signed.example)" 'SUCCESS "0:mx1.signed.example implicit secure"' \
		"dnssec: a validated NODATA: implicit and secure"
	like "$T/out" '^map hosts "mx1.tampered.example": TRYAGAIN \(dns: A: DNSSEC validation failed: ' \
		"dnssec: a bad signature is TRYAGAIN with the validator's reason"
	bt -O "DnsResolver=127.0.0.1@$NSD_PORT"
	is "$(answer mx signed.example)" 'SUCCESS "10:mx1.signed.example"' "dnssec: without trust anchors nothing is secure"
	nsd_stop
else
	echo "# ldns-signzone (ldnsutils) is not installed: DNSSEC points skipped"
fi
cat "$T/err" >>"$T/allerr"
unlike "$T/allerr" 'Sanitizer|runtime error' "no sanitizer reports from any run"

done_testing
