#!/bin/sh
# tests/route.sh - the router's stages through -bv and -bt: +detail, owner-, .forward,
# virtusertable, mailertable, the mail domain, the mail host, smart host and remote mode
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
sm_setup
MAKEMAP="$top_builddir/makemap"

# a user whose .forward we can write: our own uid, or 1001 when we are root
fuid=$(id -u)
[ "$fuid" -eq 0 ] && fuid=1001
mkdir -p "$T/home/fwd"
echo "fwd:x:$fuid:$fuid:Forwarder:$T/home/fwd:/bin/sh" >>"$T/passwd"
cat >>"$T/switchmail.conf" <<CONF
HostsFile = hosts
SendmailVarsFile = sendmailvars
VirtUserTable = virtusertable
VirtUserDomainsFile = virtuser-domains
MailerTable = mailertable
NameServiceDomain = bldg5.eng.acme.com
CONF
sed -i 's/^HostName = .*/HostName = mail.eng.acme.com/' "$T/switchmail.conf"
printf 'hosts: files\nsendmailvars: files\n' >>"$T/nsswitch.conf"
printf '127.0.0.1 localhost\n192.0.2.10 hub.eng.acme.com hub mailhost\n' >"$T/hosts"
: >"$T/sendmailvars"
cat >"$T/aliases" <<'A'
jun+foo: kim
lee+*: jun
staff: jun, kim
owner-staff: staff-request
staff-request: lee
list: jun
owner-list: jun, kim
A
"$NEWALIASES" -C "$CONF" >/dev/null
printf 'info@example.com jun\n@virt.example.net %%1@remote.example.org\nbad@example.com error:nouser 550 No such user here\nsales+*@example.com kim\n' |
	"$MAKEMAP" hash "$T/virtusertable"
echo virt.example.net >"$T/virtuser-domains"
printf '.corp.example.com relay:gw.corp.example.com\npartner.example.org smtp:[192.0.2.7]\nlocal.example.org local:lee\nbad.example.org error:5.7.1:550 No mail for you\n' |
	"$MAKEMAP" hash "$T/mailertable"

bv() { run "$SM" -C "$CONF" "$@"; }

# +detail
bv -bv jun+foo
is "$(cat "$T/out")" "kim... deliverable: mailer local, user kim" "+detail: the alias user+detail first"
bv -bv lee+bar
is "$(cat "$T/out")" "jun... deliverable: mailer local, user jun" "+detail: then user+*"
bv -bv kim+bar
is "$(cat "$T/out")" "kim+bar... deliverable: mailer local, user kim+bar" "+detail: a plain user keeps the detail for delivery"
bv -bv nobody+x
is "$(cat "$T/out")" "nobody+x... User unknown" "+detail: an unknown user is unknown"

# owner-
bv -v -bv staff
like "$T/out" '^  staff: envelope sender for its members is staff-request$' "owner-X: the envelope sender of the members"
bv -v -bv list
like "$T/out" '^  list: envelope sender for its members is owner-list$' "owner-X that is a list: the sender is owner-X itself"

# .forward
printf '# forward\nkim, \\fwd\n' >"$T/home/fwd/.forward"
printf 'lee\n' >"$T/home/fwd/.forward+work"
chmod 644 "$T/home/fwd/.forward" "$T/home/fwd/.forward+work"
bv -bv fwd
is "$(cat "$T/out")" "kim... deliverable: mailer local, user kim
fwd... deliverable: mailer local, user fwd" ".forward: forwarded, with a copy kept through \\user"
bv -bv fwd+work
is "$(cat "$T/out")" "lee... deliverable: mailer local, user lee" ".forward+detail is searched first"
bv -v -bv fwd
like "$T/out" "forwarding to the 2 addresses of $T/home/fwd/.forward" "-v shows the .forward used"
printf '"|/bin/cat"\n' >"$T/home/fwd/.forward"
bv -bv fwd
like "$T/out" '^\|/bin/cat\.\.\. ' ".forward: a program target is considered"
chmod 666 "$T/home/fwd/.forward"
bv -bv fwd
is "$(cat "$T/out")" "fwd... deliverable: mailer local, user fwd" "a world-writable .forward is not used"
rm -f "$T/home/fwd/.forward"
bv -O ForwardPath= -bv fwd+work
is "$(cat "$T/out")" "fwd+work... deliverable: mailer local, user fwd+work" "an empty ForwardPath turns .forward off"

# virtusertable
bv -bv info@example.com
is "$(cat "$T/out")" "jun... deliverable: mailer local, user jun" "virtusertable: user@domain"
bv -bv someone@virt.example.net
is "$(cat "$T/out")" "someone@remote.example.org... deliverable: mailer relay, host hub.eng.acme.com, user someone@remote.example.org" "virtusertable: @domain with %1, then on to the mail host"
bv -bv bad@example.com
is "$(cat "$T/out")" "bad@example.com... No such user here" "virtusertable: error:nouser"
is "$rc" 67 "virtusertable: error:nouser exits EX_NOUSER"
bv -bv sales+east@example.com
is "$(cat "$T/out")" "kim... deliverable: mailer local, user kim" "virtusertable: user+*@domain"
bv -bv nobody@virt2.example.net
like "$T/out" 'deliverable: mailer relay, host hub.eng.acme.com' "a domain that is not ours goes on"

# mailertable
bv -bv a@x.corp.example.com
is "$(cat "$T/out")" "a@x.corp.example.com... deliverable: mailer relay, host gw.corp.example.com, user a@x.corp.example.com" "mailertable: parent domain"
bv -bv a@partner.example.org
is "$(cat "$T/out")" "a@partner.example.org... deliverable: mailer smtp, host 192.0.2.7, user a@partner.example.org" "mailertable: mailer:[host]"
bv -bv a@local.example.org
is "$(cat "$T/out")" "a@local.example.org... deliverable: mailer local, user lee" "mailertable: local:user"
bv -bv a@bad.example.org
is "$(cat "$T/out")" "a@bad.example.org... No mail for you" "mailertable: error:"

# the mail domain (bldg5.eng.acme.com minus its first label) and the mail host
bv -bv x@host2.eng.acme.com
is "$(cat "$T/out")" "x@host2.eng.acme.com... deliverable: mailer esmtp, host host2.eng.acme.com, user x@host2.eng.acme.com" "a host in the mail domain gets its mail directly"
bv -bv x@example.net
is "$(cat "$T/out")" "x@example.net... deliverable: mailer relay, host hub.eng.acme.com, user x@example.net" "local mode: other domains go to the mail host"
bv -v -bv x@example.net
like "$T/out" '^  hosts "mailhost": files -> SUCCESS' "the mail host comes from the hosts database"
printf 'maildomain corp.acme.com\n' >"$T/sendmailvars"
bv -bv x@host2.eng.acme.com
like "$T/out" 'mailer relay, host hub.eng.acme.com' "sendmailvars maildomain changes the mail domain"
like "$T/err" 'mail domain corp.acme.com is not a suffix of the name-service domain bldg5.eng.acme.com' "and a mail domain off the name-service domain is warned about"
: >"$T/sendmailvars"

# we are the mail host: smart host, else the domain itself
printf '127.0.0.1 localhost\n192.0.2.1 mail.eng.acme.com mail mailhost\n' >"$T/hosts"
bv -bv x@example.net
is "$(cat "$T/out")" "x@example.net... deliverable: mailer esmtp, host example.net, user x@example.net" "the mail host sends on by domain"
bv -O SmartHost=smart.acme.com -bv x@example.net
is "$(cat "$T/out")" "x@example.net... deliverable: mailer relay, host smart.acme.com, user x@example.net" "the mail host uses the smart host"
printf 'mailhost hub2\n' >"$T/sendmailvars"
printf '192.0.2.11 hub2.eng.acme.com hub2\n' >>"$T/hosts"
bv -bv x@example.net
like "$T/out" 'mailer relay, host hub2.eng.acme.com' "sendmailvars mailhost names the mail host"
: >"$T/sendmailvars"

# remote mode
bv -O RemoteMode=server.eng.acme.com -bv staff nobody x@example.net
is "$(cat "$T/out")" "jun... deliverable: mailer relay, host server.eng.acme.com, user jun@eng.acme.com
kim... deliverable: mailer relay, host server.eng.acme.com, user kim@eng.acme.com
nobody... deliverable: mailer relay, host server.eng.acme.com, user nobody@eng.acme.com
x@example.net... deliverable: mailer relay, host server.eng.acme.com, user x@example.net" "remote mode: aliases expanded here, everything sent to the server"
printf 'loopa: loopb\nloopb: loopa\n' >>"$T/aliases"
"$NEWALIASES" -C "$CONF" >/dev/null
bv -O RemoteMode=server.eng.acme.com -bv loopa
is "$(cat "$T/out")" "loopa... deliverable: mailer relay, host server.eng.acme.com, user loopa@eng.acme.com" "remote mode: an alias loop goes to the server"

# address forms
bv -bv 'jun%example.net@mail.eng.acme.com'
is "$(cat "$T/out")" "jun%example.net@mail.eng.acme.com... deliverable: mailer esmtp, host example.net, user jun@example.net" "the % hack on our own domain"
bv -bv 'venus!acme!ignatz'
is "$(cat "$T/out")" "venus!acme!ignatz... deliverable: mailer esmtp, host venus, user venus!acme!ignatz" "a bang path goes to its first hop"
bv -bv 'eng.acme.com!jun'
is "$(cat "$T/out")" "eng.acme.com!jun... deliverable: mailer esmtp, host eng.acme.com, user jun@eng.acme.com" "host.domain!user is user@host.domain"
bv -bv '<>'
is "$rc" 64 "<> is not a recipient"
bv -bv '"jun"@mail.eng.acme.com'
is "$(cat "$T/out")" "\"jun\"@mail.eng.acme.com... deliverable: mailer local, user jun" "a quoted local part"
bv -bv 'jun@[127.0.0.1]'
is "$(cat "$T/out")" "jun@[127.0.0.1]... deliverable: mailer local, user jun" "our address literal is local"

# address test mode
printf '/map sendmailvars maildomain\n/map hosts MAILHOST\n/parse staff\n/parse x@example.net\n/bogus\n' |
	"$SM" -C "$CONF" -bt >"$T/out" 2>"$T/err"
is "$?" 0 "-bt exits 0"
printf '/map sendmailvars maildomain\n' | "$SM" -C "$CONF" -O SendmailVarsFile="$T/none" -bt >"$T/out2" 2>&1
like "$T/out2" '^map sendmailvars "maildomain": NOTFOUND \(files: no file' "a missing sendmailvars file is an empty database"
unlike "$T/out2" 'unavailable' "and no warning about it"
like "$T/out" '^ADDRESS TEST MODE' "-bt: banner"
like "$T/out" '^map sendmailvars "maildomain": NOTFOUND' "-bt: /map of a missing key"
like "$T/out" '^map hosts "MAILHOST": SUCCESS "mail.eng.acme.com 192.0.2.1"' "-bt: /map hosts"
like "$T/out" '^jun: mailer local, user jun$' "-bt: /parse ends in mailer and user"
like "$T/out" '^  staff\.\.\. aliased to jun, kim$' "-bt: /parse shows the stages"
like "$T/out" '^x@example.net: mailer esmtp, host example.net, user x@example.net$' "-bt: /parse of a remote address"
like "$T/out" '^unknown command: /bogus$' "-bt: an unknown command"

done_testing
