#!/bin/sh
# tests/bv.sh - switchmail -bv: sendmail's output formats, exit codes, the trace and the criteria
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
sm_setup

cat >"$T/aliases" <<'A'
postmaster: root
MAILER-DAEMON: postmaster
staff: jun, kim
all: staff, lee, jun
Ops: jun
self: jun, self
kimself: kimself@mail.example.com, lee
loopa: loopb
loopb: loopa
prog: "|/usr/bin/vacation jun"
file: /var/log/archive
inc: :include:INCFILE
noinc: :include:/nonexistent/list
dirinc: :include:/
outside: someone@remote.example.net
named: Jun Sato <jun>, kim (Kim Lee)
d1: d2
d2: d3
d3: d4
d4: d5
d5: jun
A
sed -i "s|INCFILE|$T/list|" "$T/aliases"
printf '# members\nkim, lee #@# comment here\n\njun\n' >"$T/list"
run "$NEWALIASES" -C "$CONF"
is "$rc" 0 "newaliases builds the table"

run "$SM" -C "$CONF" -bv jun
is "$(cat "$T/out")" "jun... deliverable: mailer local, user jun" "local user"
is "$rc" 0 "local user exits 0"

run "$SM" -C "$CONF" -bv jun@mail.example.com
is "$(cat "$T/out")" "jun@mail.example.com... deliverable: mailer local, user jun" "user@our host name is local"
run "$SM" -C "$CONF" -bv kim@example.com
is "$(cat "$T/out")" "kim@example.com... deliverable: mailer local, user kim" "user@local-host-names is local"
run "$SM" -C "$CONF" -bv jun@MAIL.Example.COM.
is "$(cat "$T/out")" "jun@MAIL.Example.COM.... deliverable: mailer local, user jun" "domains match without case and trailing dot"

run "$SM" -C "$CONF" -bv nobody@mail.example.com
is "$(cat "$T/out")" "nobody@mail.example.com... User unknown" "unknown user"
is "$rc" 67 "unknown user exits EX_NOUSER"

run "$SM" -C "$CONF" -bv user@remote.example.net
is "$(cat "$T/out")" "user@remote.example.net... deliverable: mailer esmtp, host remote.example.net, user user@remote.example.net" "remote address"

run "$SM" -C "$CONF" -bv staff
is "$(cat "$T/out")" "jun... deliverable: mailer local, user jun
kim... deliverable: mailer local, user kim" "alias list expands in order"

run "$SM" -C "$CONF" -bv all
is "$(cat "$T/out")" "jun... deliverable: mailer local, user jun
kim... deliverable: mailer local, user kim
lee... deliverable: mailer local, user lee" "nested aliases, duplicate jun suppressed"

run "$SM" -C "$CONF" -bv OPS
is "$(cat "$T/out")" "jun... deliverable: mailer local, user jun" "alias keys are case-insensitive"

run "$SM" -C "$CONF" -bv postmaster MAILER-DAEMON
is "$(cat "$T/out")" "root... deliverable: mailer local, user root" "postmaster and MAILER-DAEMON resolve (root once)"

run "$SM" -C "$CONF" -bv self
is "$(cat "$T/out")" "jun... deliverable: mailer local, user jun
self... User unknown" "self-reference keeps the parent for local delivery"

run "$SM" -C "$CONF" -bv kimself
is "$(cat "$T/out")" "lee... deliverable: mailer local, user lee
kimself... User unknown" "self-reference written as user@ourhost counts too"

run "$SM" -C "$CONF" -bv loopa
is "$(cat "$T/out")" "loopa... aliasing/forwarding loop broken" "alias loop is broken"
is "$rc" 78 "alias loop exits EX_CONFIG"

run "$SM" -C "$CONF" -bv d1
is "$(cat "$T/out")" "jun... deliverable: mailer local, user jun" "five levels deep is within the default limit"
run "$SM" -C "$CONF" -O MaxAliasRecursion=3 -bv d1
is "$(cat "$T/out")" "d4... aliasing/forwarding loop broken (4 aliases deep; 3 max)" "MaxAliasRecursion limits the depth"
is "$rc" 78 "too deep exits EX_CONFIG"

run "$SM" -C "$CONF" -bv prog file
is "$(cat "$T/out")" "|/usr/bin/vacation jun... deliverable: mailer prog, user |/usr/bin/vacation jun
/var/log/archive... deliverable: mailer *file*, user /var/log/archive" "program and file targets through an alias"

run "$SM" -C "$CONF" -bv '|/bin/sh' /etc/passwd ':include:/etc/passwd'
is "$(cat "$T/out")" "|/bin/sh... Cannot mail directly to programs
/etc/passwd... Cannot mail directly to files
:include:/etc/passwd... Cannot mail directly to :include:s" "programs, files and :include: are refused directly"
is "$rc" 77 "direct program exits EX_NOPERM"

run "$SM" -C "$CONF" -bv inc
is "$(cat "$T/out")" "kim... deliverable: mailer local, user kim
lee... deliverable: mailer local, user lee
jun... deliverable: mailer local, user jun" ":include: file with comments"

run "$SM" -C "$CONF" -bv noinc
is "$(cat "$T/out")" ":include:/nonexistent/list... Cannot open /nonexistent/list: No such file or directory" "missing :include: file"
is "$rc" 69 "missing :include: exits EX_UNAVAILABLE"
run "$SM" -C "$CONF" -bv dirinc
is "$(cat "$T/out")" ":include:/... Cannot open /: not a regular file" ":include: of a directory"

run "$SM" -C "$CONF" -bv named
is "$(cat "$T/out")" "jun... deliverable: mailer local, user jun
kim... deliverable: mailer local, user kim" "phrases and comments around addresses"

run "$SM" -C "$CONF" -bv '\jun' '<kim>'
is "$(cat "$T/out")" "\\jun... deliverable: mailer local, user jun
kim... deliverable: mailer local, user kim" "backslash escape and angle brackets"

run "$SM" -C "$CONF" -bv jun nobody
is "$rc" 67 "exit status of the last failure"

# batch: addresses on standard input
printf 'jun\nkim\n\nnobody\n' | "$SM" -C "$CONF" -bv >"$T/out" 2>"$T/err"
rc=$?
is "$(wc -l <"$T/out" | tr -d ' ')" 3 "batch -bv reads addresses from standard input"
is "$rc" 67 "batch -bv exit status"
printf 'jun\njun\n' | "$SM" -C "$CONF" -bv >"$T/out" 2>"$T/err"
is "$(wc -l <"$T/out" | tr -d ' ')" 2 "batch -bv: each line is an envelope of its own"
run "$SM" -C "$CONF" -bv jun jun
is "$(wc -l <"$T/out" | tr -d ' ')" 1 "addresses given together are one envelope"

# -v: the trace
run "$SM" -C "$CONF" -v -bv staff
like "$T/out" '^  aliases "staff": files -> SUCCESS in [0-9.]+ ms; return$' "trace: the alias found by files"
like "$T/out" '^  staff\.\.\. aliased to jun, kim$' "trace: aliased to"
like "$T/out" '^  passwd "jun": libc -> SUCCESS in [0-9.]+ ms; return$' "trace: the passwd lookup"
like "$T/out" '^  aliases "jun": files -> NOTFOUND in [0-9.]+ ms; continue$' "trace: a NOTFOUND continues"

# criteria through a real chain: the test source in front of files
cat >"$T/fixture" <<'F'
test aliases staff SUCCESS lee
test aliases down TRYAGAIN server down
test aliases broken UNAVAIL map missing
test1 aliases staff TRYAGAIN directory timeout
test1 aliases nobody TRYAGAIN directory timeout
F
printf 'aliases: test files\n' >"$T/nsswitch.conf"
run "$SM" -C "$CONF" -bv staff
is "$(cat "$T/out")" "lee... deliverable: mailer local, user lee" "first source that succeeds wins"
run "$SM" -C "$CONF" -bv down
is "$(cat "$T/out")" "down... alias database temporarily unavailable (test: server down)" "TRYAGAIN then NOTFOUND defers"
is "$rc" 75 "deferred exits EX_TEMPFAIL"
run "$SM" -C "$CONF" -bv broken jun
is "$(cat "$T/out")" "broken... User unknown
jun... deliverable: mailer local, user jun" "UNAVAIL with continue is skipped"

printf 'aliases: test [UNAVAIL=return] files\n' >"$T/nsswitch.conf"
run "$SM" -C "$CONF" -bv broken
is "$(cat "$T/out")" "broken... alias database unavailable (test: map missing)" "UNAVAIL=return defers"
is "$rc" 75 "UNAVAIL=return exits EX_TEMPFAIL"

printf 'aliases: test [NOTFOUND=return] files\n' >"$T/nsswitch.conf"
run "$SM" -C "$CONF" -bv all
is "$(cat "$T/out")" "all... User unknown" "NOTFOUND=return stops before files"
run "$SM" -C "$CONF" -v -bv all
unlike "$T/out" 'aliases "all": files' "NOTFOUND=return: files is never consulted"

printf 'aliases: test1 files\n' >"$T/nsswitch.conf"
run "$SM" -C "$CONF" -bv staff
is "$(cat "$T/out")" "jun... deliverable: mailer local, user jun
kim... deliverable: mailer local, user kim" "TRYAGAIN then SUCCESS: the success wins"
run "$SM" -C "$CONF" -bv nobody
is "$rc" 75 "TRYAGAIN then NOTFOUND: never a bounce"

printf 'aliases: test1 [TRYAGAIN=return] files\n' >"$T/nsswitch.conf"
run "$SM" -C "$CONF" -v -bv staff
is "$rc" 75 "TRYAGAIN=return defers at once"
unlike "$T/out" 'aliases "staff": files' "TRYAGAIN=return: files is never consulted"

printf 'aliases: ldap files\n' >"$T/nsswitch.conf"
run "$SM" -C "$CONF" -O LdapURI= -v -bv staff
like "$T/out" '^  aliases "staff": ldap -> UNAVAIL \(.+\) in' "a source that is not available answers UNAVAIL with its reason"
like "$T/out" '^jun\.\.\. deliverable' "and the chain goes on to files"

printf 'aliases: nosuchsource\n' >"$T/nsswitch.conf"
run "$SM" -C "$CONF" -bv staff
is "$(cat "$T/out")" "staff... alias database unavailable (nosuchsource: unknown source)" "an unknown source alone defers"

printf 'aliases: files [BOGUS=return]\n' >"$T/nsswitch.conf"
run "$SM" -C "$CONF" -bv staff
like "$T/err" 'nsswitch.conf: line 1: unknown status "BOGUS"' "a bad nsswitch.conf line is reported with file and line"
is "$(head -1 "$T/out")" "jun... deliverable: mailer local, user jun" "and the database keeps its default (files)"

done_testing
