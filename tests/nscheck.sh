#!/bin/sh
# tests/nscheck.sh - switchmail -bN, the name-service check, against the hosts file and a private nsd:
# a sane site, then each rule broken in turn (mail domain, short and full names, mail host, MX hosts
# without address or behind a CNAME, a null MX, this host as best MX of a domain it does not take)
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
. "$top_srcdir/tests/dnsrig.sh"
sm_setup
dnsrig_require

sed -i 's/^HostName = .*/HostName = smith.admin.acme.test/' "$CONF"
printf 'NameServiceDomain = admin.acme.test\n' >>"$CONF"
printf 'acme.test\n' >"$T/local-host-names"
cat >"$T/zone" <<'ZONE'
$ORIGIN acme.test.
$TTL 300
@		SOA	ns hostmaster 1 3600 900 604800 300
@		NS	ns
ns		A	127.0.0.1
@		MX	10 hub
hub		A	10.0.0.9
other		MX	10 smith.admin
broken		MX	10 nowhere.broken
cname		MX	10 alias.cname
alias.cname	CNAME	hub
nullmx		MX	0 .
ZONE
nsd_start acme.test="$T/zone"
ok $? "nsd serves acme.test"
dns_conf
cat >"$T/hosts" <<'H'
10.0.0.5 smith.admin.acme.test smith
10.0.0.9 hub.acme.test mailhost
H

# verdict RULE-WORDS - the verdict of the first report line whose finding matches the regex
verdict() {
	grep -E -- "$1" "$T/out" | head -1 | awk '{ print $1 }'
}

run "$SM" -C "$CONF" -bN
is "$rc" 0 "a sane site: exit status 0"
like "$T/out" '^name-service check of smith\.admin\.acme\.test \(name-service domain admin\.acme\.test, mail domain acme\.test\)' \
	"the report names the host and both domains"
is "$(verdict 'mail domain acme.test, name-service domain')" ok "rule 1: the mail domain is a suffix"
is "$(verdict 'smith.admin.acme.test and smith both give 10.0.0.5')" ok \
	"rule 2: the full and the short name give the same address"
is "$(verdict 'mail host mailhost is hub.acme.test')" ok "rule 3: the mail host resolves"
is "$(verdict 'acme.test: MX host hub.acme.test \(preference 10\) has 10.0.0.9')" ok \
	"rule 4: the mail domain's MX host has an address"
like "$T/out" '^0 problems$' "no problems counted"

run "$SM" -C "$CONF" -bN other.acme.test broken.acme.test cname.acme.test nullmx.acme.test nosuch.acme.test
is "$rc" 78 "broken MX records: exit status 78 (EX_CONFIG)"
is "$(verdict 'other.acme.test: this host is its best MX but does not accept its mail')" PROBLEM \
	"rule 5: best MX for a domain we do not accept"
like "$T/out" 'mail loops back to myself' "and says what would happen"
is "$(verdict 'broken.acme.test: MX host nowhere.broken.acme.test has no address')" PROBLEM \
	"rule 4: an MX host without an address"
is "$(verdict 'cname.acme.test: MX host alias.cname.acme.test is an alias \(CNAME\) of hub.acme.test')" PROBLEM \
	"rule 4: an MX host that is a CNAME"
is "$(verdict 'nullmx.acme.test publishes a null MX')" ok "a null MX for a domain we do not take is fine"
is "$(verdict 'nosuch.acme.test: 550 5.4.4')" PROBLEM "a domain that does not exist"
like "$T/out" '^4 problems$' "four problems counted"

printf 'other.acme.test\n' >>"$T/local-host-names"
run "$SM" -C "$CONF" -bN other.acme.test
is "$(verdict 'other.acme.test: this host is its best MX and accepts')" ok \
	"rule 5: best MX of a domain we accept is right"
is "$rc" 0 "and the site is sane again"

run "$SM" -C "$CONF" -O MailDomain=example.org -bN
is "$(verdict 'mail domain example.org is not a suffix of the name-service domain admin.acme.test')" PROBLEM \
	"rule 1: a mail domain that is not a suffix"

printf '10.0.0.5 smith.admin.acme.test\n10.0.0.6 smith\n10.0.0.9 hub.acme.test mailhost\n' >"$T/hosts"
run "$SM" -C "$CONF" -bN
is "$(verdict 'smith.admin.acme.test gives 10.0.0.5 but smith gives 10.0.0.6')" PROBLEM \
	"rule 2: the short name gives another address"
# a name missing from the hosts file goes on to DNS, which here refuses it (not a problem, "cannot
# check"): without dns in the hosts line the missing name is a problem
printf 'aliases: files\nhosts: files\n' >"$T/files-only"
printf '10.0.0.5 smith.admin.acme.test\n10.0.0.9 hub.acme.test mailhost\n' >"$T/hosts"
run "$SM" -C "$CONF" -bN
is "$(verdict 'hosts lookup of smith.admin.acme.test or smith failed for now')" cannot \
	"rule 2: DNS refusing the short name is not called a problem"
run "$SM" -C "$CONF" -O ServiceSwitchFile="$T/files-only" -bN
is "$(verdict 'short host name smith does not answer')" PROBLEM "rule 2: the short name does not answer"
like "$T/out" 'the hosts line does not name dns: MX records are not used' "without dns no MX is checked"

printf '10.0.0.5 smith.admin.acme.test smith\n' >"$T/hosts"
run "$SM" -C "$CONF" -O ServiceSwitchFile="$T/files-only" -bN
is "$(verdict 'mailhost does not resolve')" PROBLEM "rule 3: no mail host"
printf 'RemoteMode = [hub.acme.test]\n' >>"$CONF"
run "$SM" -C "$CONF" -bN
is "$(verdict 'mail server hub.acme.test is hub.acme.test')" ok "rule 3 in remote mode: the mail server resolves"

nsd_stop
printf '10.0.0.5 smith.admin.acme.test smith\n10.0.0.9 hub.acme.test mailhost\n' >"$T/hosts"
sed -i '/^RemoteMode/d' "$CONF"
run "$SM" -C "$CONF" -bN
is "$rc" 75 "DNS down: exit status 75 (EX_TEMPFAIL), nothing claimed broken"
is "$(verdict 'acme.test: 451 4.4.3')" "cannot" "the MX check says it cannot check now"

done_testing
