#!/bin/sh
# tests/ldap.sh - the ldap source and LDAP mail routing against real slapd instances:
# schema (slapd.conf and cn=config), aliases in three layouts, routing decisions, escaping,
# errors and their statuses, binds (simple, SASL EXTERNAL over ldapi), StartTLS and ldaps,
# failover, the cache, a stopped and a frozen server seen through the daemon, replication
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
sm_setup
. "$top_srcdir/tests/slapd.sh"
if ! grep -q '^#define HAVE_LDAP 1' "$top_builddir/config.h" 2>/dev/null; then
	echo "1..0 # SKIP switchmail built without LDAP"
	exit 0
fi
if ! slapd_available; then
	echo "1..0 # SKIP slapd, slaptest or ldap-utils not installed"
	exit 0
fi
if ! "$SM" -C "$CONF" -bt </dev/null >/dev/null 2>&1; then
	echo "1..0 # SKIP switchmail does not run"
	exit 0
fi
MAKEMAP="$top_builddir/makemap"
SMTP="python3 $top_srcdir/tests/smtp.py"
daemon_setup
cat >>"$T/passwd" <<PW
ana:x:1004:1004:Ana:/home/ana:/bin/sh
PW
cat >"$T/aliases" <<'A'
localonly: jun
postmaster: root
A
"$NEWALIASES" -C "$CONF" >/dev/null
printf 'aliases: files ldap\n' >"$T/nsswitch.conf"
printf 'gw.example.net esmtp:[192.0.2.7]\n' | "$MAKEMAP" hash "$T/mailertable"
echo "MailerTable = mailertable" >>"$CONF"

# map DB KEY [ARGS...] - the outcome of /map DB KEY in -bt ("SUCCESS \"value\"", "NOTFOUND", ...)
map() {
	local db=$1 key=$2
	shift 2
	printf '/map %s %s\n' "$db" "$key" | "$SM" -C "$CONF" "$@" -bt >"$T/out" 2>"$T/err"
	map_result "$db" "$key" | sed '/^SUCCESS/!s/ (.*//'
}
# map_result DB KEY - the result of /map DB KEY in $T/out, reason included
map_result() {
	awk -v p="map $1 \"$2\": " 'index($0, p) == 1 { print substr($0, length(p) + 1) }' "$T/out"
}
# mapr DB KEY [ARGS...] - map with the reason of a failure: "TRYAGAIN (ldap: ...)"
mapr() {
	map "$@" >/dev/null
	map_result "$1" "$2"
}
# bv ADDR [ARGS...] - switchmail -bv ADDR, output in $T/out, status in $rc
bv() {
	local a=$1
	shift
	run "$SM" -C "$CONF" "$@" -bv "$a"
}
# elapsed CMD... - run CMD, print the seconds it took (output in $T/out, $T/err)
now() { date +%s.%N; }
elapsed() {
	local t0 t1
	t0=$(now)
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
	t1=$(now)
	echo "$t1 $t0" | awk '{ printf "%.2f", $1 - $2 }'
}
# between X LO HI - LO <= X <= HI
between() {
	awk -v x="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(x >= lo && x <= hi) }'
}

# --- schema: slapd.conf and cn=config both accept what schema/ ships
slapd_init main
ok $? "slaptest accepts slapd.conf with schema/sendmail.schema and schema/mailgroup.schema"
cfg=$T/cnconfig
mkdir -p "$cfg/slapd.d" "$cfg/db"
cat >"$cfg/config.ldif" <<LDIF
dn: cn=config
objectClass: olcGlobal
cn: config

dn: cn=module{0},cn=config
objectClass: olcModuleList
cn: module{0}
olcModulePath: /usr/lib/ldap
olcModuleLoad: back_mdb

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

include: file://$LDAP_SCHEMA_DIR/core.ldif
include: file://$LDAP_SCHEMA_DIR/cosine.ldif
include: file://$LDAP_SCHEMA_DIR/nis.ldif
include: file://$LDAP_SCHEMA_DIR/inetorgperson.ldif
include: file://$LDAP_SCHEMA_DIR/misc.ldif
include: file://$top_srcdir/schema/sendmail.ldif
include: file://$top_srcdir/schema/mailgroup.ldif

dn: olcDatabase={1}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {1}mdb
olcSuffix: $LDAP_SUFFIX
olcDbDirectory: $cfg/db
olcDbMaxSize: 104857600
olcRootDN: $LDAP_ROOTDN
olcRootPW: $LDAP_ROOTPW
LDIF
"$SLAPADD" -n 0 -F "$cfg/slapd.d" -l "$cfg/config.ldif" >"$cfg/log" 2>&1 &&
	"$SLAPTEST" -Q -u -F "$cfg/slapd.d" >>"$cfg/log" 2>&1
ok $? "slaptest accepts a cn=config built from schema/sendmail.ldif and schema/mailgroup.ldif"
"$SLAPADD" -q -n 1 -F "$cfg/slapd.d" -l "$top_srcdir/schema/example.ldif" >>"$cfg/log" 2>&1
ok $? "schema/example.ldif loads under the cn=config schema (slapadd checks every entry)"
sed 's/^/# /' "$cfg/log" | head -5
# defs FILE - every definition of a .schema or .ldif file on one line, blanks collapsed
defs() {
	python3 - "$1" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
if sys.argv[1].endswith(".ldif"):
    text = re.sub(r"\n ", "", text)
    defs = re.findall(r"^olc(?:AttributeTypes|ObjectClasses): (.*)$", text, re.M)
else:
    text = "\n".join(l for l in text.splitlines() if not l.startswith("#"))
    defs = re.split(r"^(?:attributetype|objectclass)\s", text, flags=re.M)[1:]
for d in defs:
    print(" ".join(d.split()))
PY
}
for f in sendmail mailgroup; do
	defs "$top_srcdir/schema/$f.schema" >"$T/$f.1"
	defs "$top_srcdir/schema/$f.ldif" >"$T/$f.2"
	cmp -s "$T/$f.1" "$T/$f.2" && [ -s "$T/$f.1" ]
	ok $? "schema/$f.schema and schema/$f.ldif hold the same $(wc -l <"$T/$f.1") definitions"
done

slapd_start main
ok $? "slapd answers on $(slapd_uri main)"
slapd_add main "$top_srcdir/schema/example.ldif"
ok $? "schema/example.ldif loads into slapd"
cat >"$T/extra.ldif" <<'LDIF'
dn: cn=*)(uid\3D*,ou=lists,dc=example,dc=com
objectClass: nisMailAlias
cn: *)(uid=*
rfc822MailMember: literal@example.org

dn: cn=a\2Cb,ou=lists,dc=example,dc=com
objectClass: nisMailAlias
cn: a,b
rfc822MailMember: comma@example.org

dn: cn=twice,ou=lists,dc=example,dc=com
objectClass: nisMailAlias
cn: twice
rfc822MailMember: one@example.org

dn: cn=twice,ou=groups,dc=example,dc=com
objectClass: nisMailAlias
cn: twice
rfc822MailMember: two@example.org

dn: cn=ctl,ou=lists,dc=example,dc=com
objectClass: nisMailAlias
cn: ctl
rfc822MailMember: good@example.org
rfc822MailMember:: YmFkCkRBVEE=

dn: cn=dup1,ou=routing,dc=example,dc=com
objectClass: organizationalRole
objectClass: inetLocalMailRecipient
cn: dup1
mailLocalAddress: dup@example.com
mailHost: one.example.net

dn: cn=dup2,ou=routing,dc=example,dc=com
objectClass: organizationalRole
objectClass: inetLocalMailRecipient
cn: dup2
mailLocalAddress: dup@example.com
mailHost: two.example.net

dn: cn=self,ou=routing,dc=example,dc=com
objectClass: organizationalRole
objectClass: inetLocalMailRecipient
cn: self
mailLocalAddress: kim@legacy.example.org
mailHost: mail.example.com
mailRoutingAddress: kim@legacy.example.org

dn: cn=badhost,ou=routing,dc=example,dc=com
objectClass: organizationalRole
objectClass: inetLocalMailRecipient
cn: badhost
mailLocalAddress: badhost@example.com
mailHost: bad host!

dn: cn=loop1,ou=routing,dc=example,dc=com
objectClass: organizationalRole
objectClass: inetLocalMailRecipient
cn: loop1
mailLocalAddress: loop1@example.com
mailRoutingAddress: loop2@example.com

dn: cn=loop2,ou=routing,dc=example,dc=com
objectClass: organizationalRole
objectClass: inetLocalMailRecipient
cn: loop2
mailLocalAddress: loop2@example.com
mailRoutingAddress: loop1@example.com

dn: cn=viamt,ou=routing,dc=example,dc=com
objectClass: organizationalRole
objectClass: inetLocalMailRecipient
cn: viamt
mailLocalAddress: viamt@example.com
mailHost: gw.example.net

dn: cn=literal-detail,ou=routing,dc=example,dc=com
objectClass: organizationalRole
objectClass: inetLocalMailRecipient
cn: literal-detail
mailLocalAddress: ana+lists@example.com
mailRoutingAddress: staff@example.com
LDIF
slapd_add main "$T/extra.ldif"
ok $? "the test entries load"

cat >>"$CONF" <<CONF
LdapURI = $(slapd_uri main)
LdapBase = $LDAP_SUFFIX
LdapTimeout = 2s
LdapRouteDomains = example.com, legacy.example.org
CONF

# --- aliases, RFC 2307bis layout (the default)
is "$(map aliases staff)" 'SUCCESS "jun, kim"' "aliases: found, multi-valued, in the server's order"
like "$T/out" '^  aliases "staff": ldap -> SUCCESS \(cn=staff,ou=lists,dc=example,dc=com\)' \
	"the trace names the entry"
is "$(map aliases nosuch)" 'NOTFOUND' "aliases: not found"
is "$(map aliases StAfF)" 'SUCCESS "jun, kim"' "aliases: case does not matter"
is "$(map aliases all)" 'SUCCESS "staff, ana, lee@example.com"' "aliases: three members"
is "$(map aliases localonly)" 'SUCCESS "jun"' "aliases: files first (files ldap)"
unlike "$T/out" 'ldap ->' "a key found in files does not reach LDAP"
is "$(map aliases postmaster)" 'SUCCESS "root"' "aliases: a key in both: files wins"
is "$(map aliases '*)(uid=*')" 'SUCCESS "literal@example.org"' \
	'aliases: the key *)(uid=* is searched literally (RFC 4515 escaping)'
is "$(map aliases '*')" 'NOTFOUND' "aliases: the key * is no wildcard"
is "$(map aliases 'jun)(cn=*')" 'NOTFOUND' "aliases: no filter injection"
is "$(map aliases twice)" 'SUCCESS "one@example.org, two@example.org"' \
	"aliases: entries are additive"
is "$(map aliases ctl)" 'SUCCESS "good@example.org"' "aliases: a value with a newline is dropped"
like "$T/err" 'ldap: aliases "ctl": 1 empty, oversized or control-character values ignored' \
	"... and logged"
bv staff@mail.example.com
is "$(cat "$T/out")" "jun... deliverable: mailer local, user jun
kim... deliverable: mailer local, user kim" "-bv: an LDAP list expands to local users"

# --- the other layouts, by configuration alone
SENDMAIL_FILTER='(&(objectClass=sendmailMTAAliasObject)(sendmailMTAAliasGrouping=aliases)(|(sendmailMTACluster=hubs)(sendmailMTAHost=mail.example.com))(sendmailMTAKey=%0))'
is "$(map aliases ops -O "LdapAliasFilter=$SENDMAIL_FILTER" -O LdapAliasAttributes=sendmailMTAAliasValue)" \
	'SUCCESS "jun, lee, kim"' "sendmail layout: cluster and host entries combined"
is "$(map aliases ops -O "LdapAliasFilter=${SENDMAIL_FILTER%%(|*}(sendmailMTAHost=other.example.com)(sendmailMTAKey=%0))" -O LdapAliasAttributes=sendmailMTAAliasValue)" \
	'NOTFOUND' "sendmail layout: an entry for another host does not apply"
SOLARIS="-O LdapAliasFilter=(&(objectClass=mailGroup)(|(cn=%0)(mail=%0))) -O LdapAliasAttributes=mgrpRFC822MailMember"
# shellcheck disable=SC2086
is "$(map aliases eng $SOLARIS)" 'SUCCESS "jun, kim@example.com"' "Solaris layout: mailGroup by cn"
# shellcheck disable=SC2086
is "$(map aliases eng@example.com $SOLARIS)" 'SUCCESS "jun, kim@example.com"' "Solaris layout: by mail"
is "$(map aliases staff -O 'LdapAliasAttributes=rfc822MailMember, description')" 'SUCCESS "jun, kim"' \
	"several attributes: the absent one adds nothing"

# --- a search base built from the key (RFC 4514 escaping)
DYN='-O LdapAliasBase=cn=%0,ou=lists,dc=example,dc=com'
# shellcheck disable=SC2086
is "$(map aliases staff $DYN)" 'SUCCESS "jun, kim"' "dynamic base: cn=staff,ou=lists"
# shellcheck disable=SC2086
is "$(map aliases a,b $DYN)" 'SUCCESS "comma@example.org"' 'dynamic base: the key a,b becomes cn=a\,b'
# shellcheck disable=SC2086
is "$(map aliases 'x,ou=lists' $DYN)" 'NOTFOUND' "dynamic base: a comma cannot climb the tree"
# shellcheck disable=SC2086
is "$(map aliases nosuch $DYN)" 'NOTFOUND' "dynamic base: a missing entry is NOTFOUND, not an error"
# shellcheck disable=SC2086
is "$(map aliases '#x+y<z>' $DYN)" 'NOTFOUND' 'dynamic base: # + < > are escaped (no DN syntax error)'
unlike "$T/err" . "... and nothing is logged"
# shellcheck disable=SC2086
is "$(mapr aliases '#a+b<c>;d=e"f\g,h ' $DYN)" \
	'NOTFOUND (ldap: no base cn=\#a\+b\<c\>\;d\=e\"f\\g\,h\ ,ou=lists,dc=example,dc=com)' \
	'RFC 4514: a leading # and a trailing space, and , + " backslash < > ; = are escaped'
printf 'aliases: ldap\n' >"$T/nsswitch.conf"
is "$(mapr aliases 'a*b(c)d\e' -O 'LdapAliasFilter=(&(cn=%0)')" \
	"UNAVAIL (ldap: $(slapd_uri main): bad search filter \"(&(cn=a\\2ab\\28c\\29d\\5ce)\" (from LdapAliasFilter))" \
	'RFC 4515: the key in the filter has * ( ) and backslash as hex escapes'
printf 'aliases: files ldap\n' >"$T/nsswitch.conf"

# --- the cache: found and not found kept, TTL 0 keeps nothing, the size is bounded
printf '/map aliases staff\n/map aliases nosuch\n/map aliases staff\n/map aliases nosuch\n' |
	run "$SM" -C "$CONF" -bt
is "$(grep -c 'ldap -> SUCCESS (cached, 60 s left)' "$T/out")" 1 "cache: the second lookup of a list is answered from the cache"
is "$(grep -c 'ldap -> NOTFOUND (cached, 60 s left)' "$T/out")" 1 "cache: so is the second lookup of a missing name"
printf '/map aliases staff\n/map aliases staff\n' | run "$SM" -C "$CONF" -O LdapCacheTTL=0 -bt
unlike "$T/out" 'cached' "LdapCacheTTL 0: nothing is cached"
{
	echo "/map aliases staff"
	i=0
	while [ $i -lt 200 ]; do
		echo "/map aliases filler$i"
		i=$((i + 1))
	done
	echo "/map aliases staff"
} | run "$SM" -C "$CONF" -O LdapCacheSize=16 -bt
unlike "$T/out" 'aliases "staff": ldap -> SUCCESS \(cached' \
	"LdapCacheSize 16: 200 other answers push the first one out"
is "$(grep -c 'aliases "filler[0-9]*": ldap -> NOTFOUND in' "$T/out")" 200 "... each of them a real lookup"

# --- the mailroute database
is "$(map mailroute kim@example.com)" 'SUCCESS "mailHost=branch.example.org mailRoutingAddress=kim@branch.example.org"' \
	"mailroute: both attributes"
is "$(map mailroute moe@example.com)" 'SUCCESS "mailHost=hub.example.net"' "mailroute: mailHost only"
is "$(map mailroute sales@example.com)" 'SUCCESS "mailRoutingAddress=staff@example.com"' \
	"mailroute: mailRoutingAddress only"
is "$(map mailroute JUN.ITO@Example.COM)" 'SUCCESS "mailHost=mail.example.com mailRoutingAddress=jun@mail.example.com"' \
	"mailroute: a second mailLocalAddress, any case"
is "$(map mailroute @legacy.example.org)" 'SUCCESS "mailHost=oldmail.example.org"' "mailroute: @domain"
is "$(map mailroute nobody@example.com)" 'NOTFOUND' "mailroute: not found"
is "$(mapr mailroute dup@example.com)" \
	'NOTFOUND (ldap: 2 entries match (cn=dup1,ou=routing,dc=example,dc=com, ...): ambiguous, taken as not found)' \
	"mailroute: two entries match: not found (sendmail's -1)"
like "$T/err" 'ldap: mailroute "dup@example.com": 2 entries match' "... and logged"
is "$(map mailroute 'x*)(mailHost=*')" 'NOTFOUND' "mailroute: the key is escaped too"
is "$(mapr mailroute badhost@example.com)" \
	'UNAVAIL (ldap: entry cn=badhost,ou=routing,dc=example,dc=com: malformed mailHost "bad host!")' \
	"mailroute: a malformed mailHost is UNAVAIL"
like "$T/err" 'ldap: mailroute "badhost@example.com": entry cn=badhost.*malformed mailHost' "... and logged"
printf 'hosts: ldap\n' >>"$T/nsswitch.conf"
is "$(mapr hosts mail.example.com)" \
	'UNAVAIL (ldap: the ldap source answers aliases and mailroute only, not hosts)' \
	"another database: UNAVAIL"
printf 'aliases: files ldap\n' >"$T/nsswitch.conf"

# --- LDAP routing in the router: sendmail's decision table
bv kim@example.com
is "$(cat "$T/out")" "kim@example.com... deliverable: mailer relay, host branch.example.org, user kim@branch.example.org" \
	"remote mailHost and mailRoutingAddress: relayed to the host for the new address"
bv moe@example.com
is "$(cat "$T/out")" "moe@example.com... deliverable: mailer relay, host hub.example.net, user moe@example.com" \
	"remote mailHost alone: relayed with the original address"
bv jun@example.com
is "$(cat "$T/out")" "jun@mail.example.com... deliverable: mailer local, user jun" \
	"local mailHost and mailRoutingAddress: the new address is routed (here: local)"
bv ana@example.com
is "$(cat "$T/out")" "ana@example.com... deliverable: mailer local, user ana" \
	"local mailHost alone: the original address is delivered locally"
bv sales@example.com
is "$(cat "$T/out")" "jun... deliverable: mailer local, user jun
kim... deliverable: mailer local, user kim" \
	"no mailHost, mailRoutingAddress: rewritten to staff@example.com, then the LDAP list staff"
bv lee@example.com
is "$(cat "$T/out")" "lee@other.example.org... deliverable: mailer esmtp, host other.example.org, user lee@other.example.org" \
	"rewriting to another domain"
bv x@legacy.example.org
is "$(cat "$T/out")" "x@legacy.example.org... deliverable: mailer relay, host oldmail.example.org, user x@legacy.example.org" \
	"@domain catch-all: a domain that is not ours is routed by the directory"
bv x@legacy.example.org -O LdapRouteNoDomain=true
is "$(cat "$T/out")" "x@legacy.example.org... deliverable: mailer esmtp, host legacy.example.org, user x@legacy.example.org" \
	"LdapRouteNoDomain: no @domain lookup, passthru to the next hop"
bv kim@legacy.example.org
is "$(cat "$T/out")" "kim@legacy.example.org... deliverable: mailer local, user kim" \
	"a local mailHost delivers here even for a domain that is not ours; an address naming itself counts as none"
bv viamt@example.com
is "$(cat "$T/out")" "viamt@example.com... deliverable: mailer esmtp, host 192.0.2.7, user viamt@example.com" \
	"remote mailHost: the mailertable entry for the host applies"
bv loop1@example.com
like "$T/out" '^loop1@example.com\.\.\. aliasing/forwarding loop broken' "mailRoutingAddress loop: broken"
is "$rc" 78 "... EX_CONFIG"
bv dup@example.com
is "$(cat "$T/out")" "dup@example.com... User unknown" "ambiguous entry: passthru, then unknown locally"

# --- passthru and bounce
bv root@example.com
is "$(cat "$T/out")" "root@example.com... deliverable: mailer local, user root" \
	"passthru (the default): an address without an entry routes as usual"
bv root@example.com -O LdapRouteBounce=bounce
is "$(cat "$T/out")" "root@example.com... User unknown" "bounce: an address without an entry is refused"
is "$rc" 67 "... EX_NOUSER"
bv root@mail.example.com -O LdapRouteBounce=bounce
is "$(cat "$T/out")" "root@mail.example.com... deliverable: mailer local, user root" \
	"bounce applies only to LdapRouteDomains"
bv ana@example.com -O LdapRouteBounce=sendertoo
is "$(cat "$T/out")" "ana@example.com... deliverable: mailer local, user ana" "sendertoo: a known address passes"

# --- +detail
bv lee+x@example.com
is "$(cat "$T/out")" "lee+x@example.com... deliverable: mailer local, user lee+x" \
	"detail off: user+detail@domain literally, then @domain, then passthru"
bv lee+x@example.com -O LdapRouteDetail=strip
is "$(cat "$T/out")" "lee@other.example.org... deliverable: mailer esmtp, host other.example.org, user lee@other.example.org" \
	"detail strip: found as lee@example.com, detail dropped"
bv lee+x@example.com -O LdapRouteDetail=preserve
is "$(cat "$T/out")" "lee+x@other.example.org... deliverable: mailer esmtp, host other.example.org, user lee+x@other.example.org" \
	"detail preserve: +x put back before the @ of mailRoutingAddress"
bv ana+lists@example.com -O LdapRouteDetail=strip
is "$(cat "$T/out")" "jun... deliverable: mailer local, user jun
kim... deliverable: mailer local, user kim" "an entry for user+detail@domain itself comes first"
bv jun+news@example.com -O LdapRouteDetail=preserve
is "$(cat "$T/out")" "jun+news@mail.example.com... deliverable: mailer local, user jun+news" \
	"preserve to a local address keeps the detail in the mailbox name"

# --- what -bv -v and -bt show
bv kim@example.com -v
like "$T/out" '^  mailroute "kim@example.com": ldap -> SUCCESS \(uid=kim,ou=people,dc=example,dc=com\)' \
	"-bv -v: the mailroute lookup in the trace"
like "$T/out" '^  kim@example.com\.\.\. LDAP routing kim@example.com: mailHost=branch.example.org \(remote\), mailRoutingAddress=kim@branch.example.org$' \
	"-bv -v: the LDAP routing stage"
bv lee+x@example.com -v -O LdapRouteDetail=preserve
like "$T/out" '^  mailroute "lee\+x@example.com": ldap -> NOTFOUND' "-bv -v: the full address first"
like "$T/out" '^  mailroute "lee@example.com": ldap -> SUCCESS' "... then without the detail"
like "$T/out" 'LDAP routing lee@example.com: mailHost=\(none\), mailRoutingAddress=lee\+x@other.example.org \(found without \+detail\)' \
	"... and the preserved detail"
bv nobody@legacy.example.org -v -O LdapRouteNoDomain=true -O LdapRouteBounce=bounce
like "$T/out" 'LDAP routing nobody@legacy.example.org: no entry \(bounce\)' "-bv -v: a bounce says why"
unlike "$T/out" 'mailroute "@legacy' "... and no @domain lookup with LdapRouteNoDomain"
printf '/parse moe@example.com\n' | run "$SM" -C "$CONF" -bt
like "$T/out" '^  moe@example.com\.\.\. LDAP routing moe@example.com: mailHost=hub.example.net \(remote\), mailRoutingAddress=\(none\)$' \
	"-bt /parse: the LDAP routing stage"
like "$T/out" '^moe@example.com: mailer relay, host hub.example.net, user moe@example.com$' "-bt /parse: the result"

# --- configuration errors and permanent failures: UNAVAIL, with a log line that says what is wrong
printf 'aliases: ldap\n' >"$T/nsswitch.conf"
is "$(mapr aliases staff -O 'LdapAliasFilter=(&(objectClass=nisMailAlias)(cn=%0)')" \
	"UNAVAIL (ldap: $(slapd_uri main): bad search filter \"(&(objectClass=nisMailAlias)(cn=staff)\" (from LdapAliasFilter))" \
	"bad filter: UNAVAIL"
like "$T/err" '^switchmail: ldap: aliases "staff": .* bad search filter "\(&\(objectClass=nisMailAlias\)\(cn=staff\)" \(from LdapAliasFilter\)$' \
	"... logged with the filter and the setting"
is "$(mapr aliases staff -O LdapBase=dc=nowhere,dc=org)" \
	"UNAVAIL (ldap: $(slapd_uri main): search base \"dc=nowhere,dc=org\" does not exist (or this identity may not see it))" \
	"missing static base: UNAVAIL"
like "$T/err" 'ldap: aliases "staff": .*search base "dc=nowhere,dc=org" does not exist' "... logged"
is "$(mapr aliases staff -O 'LdapAliasFilter=(cn=staff)')" \
	'UNAVAIL (ldap: LdapAliasFilter "(cn=staff)": no %0 for the key)' "a filter without %0: UNAVAIL"
like "$T/err" 'ldap: aliases: LdapAliasFilter "\(cn=staff\)": no %0 for the key' "... logged"
is "$(map aliases staff -O 'LdapAliasFilter=(cn=%s)')" 'UNAVAIL' "a filter with %s: UNAVAIL"
is "$(map aliases staff -O 'LdapAliasAttributes=')" 'UNAVAIL' "no attributes: UNAVAIL"
is "$(mapr aliases staff -O LdapBindMethod=kerberos)" \
	'UNAVAIL (ldap: LdapBindMethod "kerberos": not anonymous, simple or external)' "unknown bind method: UNAVAIL"
is "$(map aliases staff -O LdapURI=http://127.0.0.1/)" 'UNAVAIL' "a URI that is no LDAP URI: UNAVAIL"
like "$T/err" 'ldap: aliases "staff": http://127.0.0.1/: bad URI' "... logged"
is "$(map mailroute kim@example.com -O 'LdapRouteFilter=(mailLocalAddress=%0')" 'UNAVAIL' \
	"bad route filter: UNAVAIL"
bv kim@example.com -O 'LdapRouteFilter=(mailLocalAddress=%0'
like "$T/out" '^kim@example.com\.\.\. LDAP routing unavailable \(ldap: .*bad search filter' \
	"-bv: a broken routing configuration defers the address"
is "$rc" 75 "... EX_TEMPFAIL"
printf '/map aliases twice\n/map aliases twice\n/map aliases staff\n' | run "$SM" -C "$CONF" -O LdapSizeLimit=1 -bt
is "$(grep -c '^map aliases "twice": TRYAGAIN (ldap: .*: more than 1 entries match (LdapSizeLimit))$' "$T/out")" 2 \
	"size limit exceeded: TRYAGAIN, never a truncated answer (and never cached)"
like "$T/out" '^map aliases "staff": SUCCESS "jun, kim"$' "... a key within the limit is answered"
is "$(grep -c 'more than 1 entries match' "$T/err")" 1 "... logged once, not at every lookup"

# --- binds, SASL EXTERNAL over ldapi, StartTLS and ldaps: an instance that hides everything from
# anonymous clients without TLS
tls=$T/tls
mkdir -p "$tls"
mkcert() { # mkcert DIR CN: a CA and a server certificate for 127.0.0.1 signed by it
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
		-keyout "$1/ca.key" -out "$1/ca.pem" -subj "/CN=$2" 2>/dev/null &&
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
			-keyout "$1/server.key" -out "$1/server.csr" -subj "/CN=127.0.0.1" 2>/dev/null &&
		printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$1/ext" &&
		openssl x509 -req -in "$1/server.csr" -CA "$1/ca.pem" -CAkey "$1/ca.key" -CAcreateserial \
			-days 2 -extfile "$1/ext" -out "$1/server.pem" 2>/dev/null
}
mkcert "$tls" "switchmail test CA"
ok $? "openssl made a CA and a server certificate"
mkdir -p "$T/tls2"
mkcert "$T/tls2" "another CA"
slapd_init secure "TLSCACertificateFile $tls/ca.pem
TLSCertificateFile $tls/server.pem
TLSCertificateKeyFile $tls/server.key
authz-regexp \"gidNumber=[0-9]+\\\\+uidNumber=$(id -u),cn=peercred,cn=external,cn=auth\" \"cn=switchmail,ou=services,$LDAP_SUFFIX\"" \
	"access to attrs=userPassword by anonymous auth by * none
access to * by tls_ssf=1 read by users read by * none" ldaps
ok $? "slaptest accepts the TLS, authz-regexp and ACL configuration"
slapd_start secure && slapd_add secure "$top_srcdir/schema/example.ldif"
ok $? "the second instance runs with TLS on $(slapd_uri secure) and $(slapd_ldaps_uri secure)"
SEC="-O LdapURI=$(slapd_uri secure)"
# shellcheck disable=SC2086
is "$(mapr aliases staff $SEC)" \
	"UNAVAIL (ldap: $(slapd_uri secure): search base \"$LDAP_SUFFIX\" does not exist (or this identity may not see it))" \
	"anonymous without TLS may not see the base there: UNAVAIL"
printf 'switchmail-secret\n' >"$T/bindpw"
chmod 600 "$T/bindpw"
SIMPLE="-O LdapBindMethod=simple -O LdapBindDN=cn=switchmail,ou=services,$LDAP_SUFFIX"
# shellcheck disable=SC2086
is "$(map aliases staff $SEC $SIMPLE -O LdapBindPasswordFile=$T/bindpw)" 'SUCCESS "jun, kim"' \
	"simple bind with the password from LdapBindPasswordFile"
printf 'wrong\n' >"$T/badpw"
# shellcheck disable=SC2086
is "$(mapr aliases staff $SEC $SIMPLE -O LdapBindPasswordFile=$T/badpw)" \
	"UNAVAIL (ldap: $(slapd_uri secure): simple bind as cn=switchmail,ou=services,$LDAP_SUFFIX refused: Invalid credentials)" \
	"wrong password: UNAVAIL"
like "$T/err" "^switchmail: ldap: aliases \"staff\": .*simple bind as cn=switchmail,ou=services,$LDAP_SUFFIX refused: Invalid credentials" \
	"... logged with the DN and the server's reason"
# shellcheck disable=SC2086
is "$(mapr aliases staff $SEC $SIMPLE -O LdapBindPasswordFile=$T/nosuchfile)" \
	"UNAVAIL (ldap: $(slapd_uri secure): cannot read the bind password file $T/nosuchfile: No such file or directory)" \
	"unreadable password file: UNAVAIL"
like "$T/err" "cannot read the bind password file $T/nosuchfile" "... logged"
# shellcheck disable=SC2086
is "$(map aliases staff -O LdapBindMethod=simple -O LdapBindPasswordFile=$T/bindpw)" 'UNAVAIL' \
	"simple bind without LdapBindDN: UNAVAIL"
is "$(map aliases staff -O "LdapURI=$(slapd_ldapi_uri secure)" -O LdapBindMethod=external)" 'SUCCESS "jun, kim"' \
	"SASL EXTERNAL over ldapi (our uid mapped by authz-regexp)"
is "$(map aliases staff -O "LdapURI=$(slapd_ldapi_uri secure)")" 'UNAVAIL' "... anonymous over ldapi sees nothing"
# shellcheck disable=SC2086
is "$(map aliases staff $SEC -O LdapStartTLS=true -O LdapCACertFile=$tls/ca.pem)" 'SUCCESS "jun, kim"' \
	"StartTLS with LdapCACertFile: the server's certificate verified, the entries visible"
is "$(map aliases staff -O "LdapURI=$(slapd_ldaps_uri secure)" -O LdapCACertFile=$tls/ca.pem)" 'SUCCESS "jun, kim"' \
	"ldaps:// with LdapCACertFile"
# shellcheck disable=SC2086
is "$(map aliases staff $SEC -O LdapStartTLS=true -O LdapCACertFile=$T/tls2/ca.pem)" 'TRYAGAIN' \
	"StartTLS with a CA that did not sign the server's certificate: TRYAGAIN"
like "$T/err" "ldap: $(slapd_uri secure): StartTLS: Connect error" "... logged"
is "$(map aliases staff -O "LdapURI=$(slapd_ldaps_uri secure)" -O LdapCACertFile=$T/tls2/ca.pem)" 'TRYAGAIN' \
	"ldaps:// with the wrong CA: TRYAGAIN"
slapd_stop secure

# --- servers that are down or do not answer: TRYAGAIN, never NOTFOUND
dead=$(free_port)
is "$(map aliases staff -O "LdapURI=ldap://127.0.0.1:$dead/ $(slapd_uri main)")" 'SUCCESS "jun, kim"' \
	"failover: the first server refuses, the second answers"
like "$T/err" "ldap: ldap://127.0.0.1:$dead/: Can't contact LDAP server; server marked down" \
	"... the dead one is logged"
is "$(mapr aliases staff -O "LdapURI=ldap://127.0.0.1:$dead/")" \
	"TRYAGAIN (ldap: no LDAP server reachable: ldap://127.0.0.1:$dead/: Can't contact LDAP server)" \
	"no server reachable: TRYAGAIN"
bv kim@example.com -O "LdapURI=ldap://127.0.0.1:$dead/"
like "$T/out" "^kim@example.com\.\.\. LDAP routing temporarily unavailable \(ldap: no LDAP server reachable" \
	"-bv: routing deferred while the directory is down"
is "$rc" 75 "... EX_TEMPFAIL"
printf 'aliases: files ldap\n' >"$T/nsswitch.conf"
bv staff@mail.example.com -O "LdapURI=ldap://127.0.0.1:$dead/"
like "$T/out" "^staff@mail.example.com\.\.\. alias database temporarily unavailable" \
	"-bv: an alias is deferred, not unknown, when LDAP is down (files ldap)"
is "$rc" 75 "... EX_TEMPFAIL"

slapd_freeze main
t=$(elapsed sh -c "printf '/map aliases staff\n/map aliases all\n' | '$SM' -C '$CONF' -bt")
like "$T/out" '^map aliases "staff": TRYAGAIN \(ldap: .*no answer within 2 s \(LdapTimeout\)\)' \
	"a frozen server (SIGSTOP): TRYAGAIN"
like "$T/out" '^map aliases "all": TRYAGAIN \(ldap: every LDAP server failed to answer within 2 s' \
	"... and the next lookup fails at once"
between "$t" 1.5 3.5
ok $? "... both within LdapTimeout (2 s): $t s"
t=$(elapsed sh -c "printf '/map mailroute kim@example.com\n' | '$SM' -C '$CONF' -O 'LdapURI=$(slapd_uri main) ldap://127.0.0.1:$dead/' -bt")
like "$T/out" '^map mailroute "kim@example.com": TRYAGAIN' "frozen first server, dead second: TRYAGAIN"
between "$t" 1.5 3.5
ok $? "... the whole lookup bounded by LdapTimeout: $t s"
slapd_thaw main
is "$(map aliases staff)" 'SUCCESS "jun, kim"' "thawed: answers again"

# --- the daemon: one cache for every lookup thread, 451 while the directory is down
cat >>"$CONF" <<CONF
RelayClients =
LookupThreads = 4
CONF
# session ADDR... - one SMTP session with a RCPT for each address; replies in $T/out
session() {
	{
		printf '<\n> EHLO client.example.net\n<\n> MAIL FROM:<sender@example.net>\n<\n'
		for a in "$@"; do printf '> RCPT TO:<%s>\n<\n' "$a"; done
		printf '> QUIT\n<\n'
	} >"$T/script"
	run $SMTP "$PORT" "$T/script"
}
daemon_start
ok $? "the daemon listens on 127.0.0.1:$PORT"
session staff@mail.example.com ana@example.com nobody@example.com
like "$T/out" '^250 2.1.5 <staff@mail.example.com>' "RCPT to an LDAP list: 250"
like "$T/out" '^250 2.1.5 <ana@example.com>' "RCPT to an LDAP-routed address: 250"
like "$T/out" '^550 5.1.1 <nobody@example.com>' "RCPT to an unknown address: 550"
slapd_stop main
for i in 1 2 3 4; do
	session staff@mail.example.com ana@example.com nobody@example.com
	cat "$T/out" >>"$T/cached"
done
is "$(grep -c '^250 2.1.5 <staff@mail.example.com>' "$T/cached")" 4 \
	"slapd stopped: the list is answered from the cache, in every session (any lookup thread)"
is "$(grep -c '^250 2.1.5 <ana@example.com>' "$T/cached")" 4 "... and the routing entry"
is "$(grep -c '^550 5.1.1 <nobody@example.com>' "$T/cached")" 4 "... and the negative answers"
session jun.ito@example.com
like "$T/out" '^451 4.4.3 <jun.ito@example.com>\.\.\. LDAP routing temporarily unavailable \(ldap: .*no LDAP server reachable' \
	"slapd stopped: an address not cached gets 451 4.4.3 at RCPT"
slapd_start main
ok $? "slapd restarted"
cat >"$T/retry" <<'S'
<
> EHLO client.example.net
<
> MAIL FROM:<sender@example.net>
<
> RCPT TO:<jun.ito@example.com>
<
> DATA
<
> Subject: after the restart
>
> The directory is back.
> .
<
> QUIT
<
S
run $SMTP "$PORT" "$T/retry"
like "$T/out" '^250 2.1.5 <jun.ito@example.com>' "the client's retry after the restart: 250 at RCPT"
like "$T/out" '^250 2.0.0 .* Message accepted' "... the message is accepted"
wait_for 10 grep -q 'The directory is back' "$T/mail/jun"
ok $? "... and delivered to jun's mailbox (jun.ito@example.com -> jun@mail.example.com -> jun)"

# an LDAP-routed domain that is not ours is accepted as a relay domain; others are not
session someone@legacy.example.org someone@other.example.net
like "$T/out" '^250 2.1.5 <someone@legacy.example.org>' "RCPT to an LDAP-routed domain that is not ours: 250"
like "$T/out" '^550 5.7.1 <someone@other.example.net>\.\.\. Relaying denied' "RCPT to any other domain: 550 5.7.1"

# sendertoo: an unknown envelope sender in a routed domain is refused at MAIL FROM
daemon_stop
daemon_start -O LdapRouteBounce=sendertoo
cat >"$T/senders" <<'S'
<
> EHLO client.example.net
<
> MAIL FROM:<nobody@example.com>
<
> MAIL FROM:<ana@example.com>
<
> RSET
<
> MAIL FROM:<someone@example.net>
<
> RCPT TO:<ana@example.com>
<
> QUIT
<
S
run $SMTP "$PORT" "$T/senders"
like "$T/out" '^550 5.1.1 <nobody@example.com>\.\.\. User unknown' "sendertoo: an unknown sender in a routed domain gets 550 5.1.1"
is "$(grep -c '^250 2.1.0 Sender ok' "$T/out")" 2 "sendertoo: a known sender and one of another domain get 250"
like "$T/out" '^250 2.1.5 <ana@example.com>' "... and the transaction goes on"
daemon_stop
daemon_start

# a frozen directory holds up only the sessions that need it: no lock is held while a lookup
# thread waits for the directory (the local alias's own lookups in LDAP, owner-localonly and its
# member, were answered a moment ago and are cached)
session localonly@mail.example.org
like "$T/out" '^250 2.1.5 <localonly@mail.example.org>' "a local alias from files: 250"
slapd_freeze main
cat >"$T/frozen.py" <<PY
import smtplib, threading, time
t0 = time.time()
res = {}
def routed():
    s = smtplib.SMTP("127.0.0.1", $PORT)
    s.ehlo("slow.example.net")
    s.mail("a@example.net")
    res["routed"] = s.rcpt("moe.new@example.com")
    res["routed_t"] = time.time() - t0
    s.quit()
th = threading.Thread(target=routed)
th.start()
time.sleep(0.3)
s = smtplib.SMTP("127.0.0.1", $PORT)
s.sendmail("b@example.net", ["localonly@mail.example.org"], "Subject: meanwhile\r\n\r\nwhile LDAP was frozen\r\n")
s.quit()
res["local_t"] = time.time() - t0
th.join()
print("routed", res["routed"][0], res["routed"][1].decode().split(" ")[0], "%.2f" % res["routed_t"])
print("local %.2f" % res["local_t"])
print("local_first", res["local_t"] < res["routed_t"] and res["local_t"] < 1.5)
PY
run python3 "$T/frozen.py"
sed 's/^/# /' "$T/err"
like "$T/out" '^routed 451 4.4.3 ' "slapd frozen (SIGSTOP): RCPT to a routed address gets 451 4.4.3"
rt=$(sed -n 's/^routed 451 4.4.3 //p' "$T/out")
between "${rt:-0}" 1.5 3.5
ok $? "... within LdapTimeout (2 s) plus a margin: ${rt:-?} s"
like "$T/out" '^local_first True' "another session delivered a local alias from files meanwhile"
wait_for 10 grep -q 'while LDAP was frozen' "$T/mail/jun"
ok $? "... and it reached the mailbox"
t=$(elapsed session lee@example.com)
like "$T/out" '^451 4.4.3 <lee@example.com>\.\.\. LDAP routing temporarily unavailable \(ldap: every LDAP server failed to answer' \
	"once the directory has timed out, the next lookups fail at once (451 4.4.3)"
between "$t" 0 1
ok $? "... without waiting: $t s"
slapd_thaw main
daemon_stop

# --- replication: a provider and a consumer (syncrepl); switchmail reads the consumer
slapd_pair prov cons
ok $? "slaptest accepts the provider (syncprov) and consumer (syncrepl) configurations"
slapd_start prov && slapd_add prov "$top_srcdir/schema/example.ldif"
ok $? "the provider runs and holds the example site"
slapd_start cons
ok $? "the consumer runs"
n=$(slapd_count prov '(objectClass=*)')
wait_for 10 sh -c "[ \"\$(ldapsearch -x -LLL -H '$(slapd_uri cons)' -b '$LDAP_SUFFIX' '(objectClass=*)' dn 2>/dev/null | grep -c '^dn:')\" -eq $n ]"
ok $? "the consumer has replicated all $n entries"
DPID=
daemon_start -O "LdapURI=$(slapd_uri cons)" -O LdapCacheTTL=3s
session newbie@example.com
like "$T/out" '^550 5.1.1 <newbie@example.com>' "bound to the consumer: newbie@example.com is unknown (and that is cached)"
cat >"$T/newbie.ldif" <<'LDIF'
dn: uid=newbie,ou=people,dc=example,dc=com
objectClass: inetOrgPerson
objectClass: inetLocalMailRecipient
uid: newbie
cn: New Bie
sn: Bie
mailLocalAddress: newbie@example.com
mailHost: mail.example.com
mailRoutingAddress: ana@mail.example.com
LDIF
t0=$(now)
slapd_add prov "$T/newbie.ldif"
ok $? "a routing entry is written to the provider"
session newbie@example.com
like "$T/out" '^550 5.1.1 <newbie@example.com>' "right after the write the cached answer still holds"
wait_for 8 sh -c "$SMTP $PORT '$T/script' | grep -q '^250 2.1.5 <newbie@example.com>'"
ok $? "the change reaches switchmail through the consumer"
t=$(echo "$(now) $t0" | awk '{ printf "%.1f", $1 - $2 }')
between "$t" 0 4.5
ok $? "... within the cache TTL (3 s) plus a margin: $t s"
daemon_stop
BOTH="LdapURI=$(slapd_uri prov) $(slapd_uri cons)"
is "$(map mailroute newbie@example.com -O "$BOTH")" 'SUCCESS "mailHost=mail.example.com mailRoutingAddress=ana@mail.example.com"' \
	"provider and consumer in LdapURI: the provider answers"
slapd_stop prov
is "$(map mailroute newbie@example.com -O "$BOTH")" 'SUCCESS "mailHost=mail.example.com mailRoutingAddress=ana@mail.example.com"' \
	"provider stopped: the consumer answers (failover to the second server)"
like "$T/err" "ldap: $(slapd_uri prov): Can't contact LDAP server; server marked down" "... the failover is logged"
bv newbie@example.com -O "$BOTH"
is "$(cat "$T/out")" "ana@mail.example.com... deliverable: mailer local, user ana" "-bv routes through the consumer"
slapd_stop cons
is "$(map mailroute newbie@example.com -O "$BOTH")" 'TRYAGAIN' "both stopped: TRYAGAIN"
slapd_stop_all

done_testing
