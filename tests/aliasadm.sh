#!/bin/sh
# tests/aliasadm.sh - aliasadm on emulated NIS+ tables: every Solaris option with its output,
# messages and exit status; access by owner, group and rights for an allowed and a refused
# user; -e with an editor script (valid, invalid, failing); 20 concurrent -a; import and
# export round trips; a set-user-ID installation.
#
# Test users exist only inside the test: it runs in a private mount (and UTS) namespace in
# which copies of /etc/passwd and /etc/group with the users added are bind-mounted over the
# real ones, so the host's files are never changed.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
if [ "$(id -u)" -ne 0 ] || ! command -v unshare >/dev/null || ! command -v setpriv >/dev/null; then
	echo "1..0 # SKIP needs root, unshare and setpriv (test users in a private mount namespace)"
	exit 0
fi
if [ -z "${AA_NS:-}" ]; then
	AA_NS=1 exec unshare --mount --uts --fork /bin/sh "$0" "$@"
fi
sm_setup
AA="$top_builddir/aliasadm"
# run - lib.sh's, also keeping every stderr for the sanitizer check at the end
run() {
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
	cat "$T/err" >>"$T/allerr"
}
: >"$T/allerr"
cat >>"$CONF" <<CONF
NisPlusDirectory = np
NisDomain = example.com
CONF
chmod 644 "$CONF"

# --- users: smok (in group smadm), smno, smown; only in this namespace
cp /etc/passwd "$T/etc-passwd"
cp /etc/group "$T/etc-group"
cat >>"$T/etc-passwd" <<'P'
smok:x:64001:64001:aliasadm test:/nonexistent:/usr/sbin/nologin
smno:x:64002:64002:aliasadm test:/nonexistent:/usr/sbin/nologin
smown:x:64003:64003:aliasadm test:/nonexistent:/usr/sbin/nologin
P
cat >>"$T/etc-group" <<'G'
smok:x:64001:
smno:x:64002:
smown:x:64003:
smadm:x:64010:smok
G
mount --bind "$T/etc-passwd" /etc/passwd && mount --bind "$T/etc-group" /etc/group
ok $? "test users exist in the namespace only"
[ ! -d /run/nscd ] || mount -t tmpfs tmpfs /run/nscd # no cache answering for the host's files
domainname ''

# as USER CMD... - run a command as a test user (with the groups /etc/group gives it)
as() {
	local u=$1
	shift
	setpriv --reuid="$u" --regid="$u" --init-groups "$@"
}

# --- no table yet, no domain, bad command lines
run "$AA" -C "$CONF"
is "$rc" 255 "no mode: exit 255"
like "$T/err" '^usage:	.*aliasadm -a alias expansion \[comments\] \[options\]$' "no mode: Solaris's usage"
run "$AA" -C "$CONF" -q
is "$rc" 255 "an unknown option: exit 255"
is "$(sed -n 2p "$T/err")" "Invalid argument" "an unknown option: Invalid argument, then the usage"
run "$AA" -C "$CONF" -a onlyalias
is "$rc" 255 "-a without an expansion: exit 255"
is "$(tail -1 "$T/err")" "Invalid argument" "-a without an expansion: the usage, then Invalid argument"
run "$AA" -O NisPlusDirectory="$T/np" -l
is "$rc" 255 "no domain: exit 255"
is "$(cat "$T/err")" "Can't get current domain" "no domain: Can't get current domain"
run "$AA" -C "$CONF" -l
is "$rc:$(wc -c <"$T/out")" "0:0" "-l of a missing table prints nothing, exit 0"
run "$AA" -C "$CONF" -a staff jun
is "$rc" 255 "-a on a missing table: exit 255"
is "$(cat "$T/err")" "NIS alias add failed: 23" "-a on a missing table: NIS_NOSUCHTABLE"
run "$AA" -C "$CONF" -e
is "$(cat "$T/err")" "Alias table mail_aliases.org_dir.example.com. does not exist" "-e on a missing table"

# --- -I
run "$AA" -C "$CONF" -I
is "$rc" 0 "-I creates the table"
[ -f "$T/np/mail_aliases.org_dir.example.com" ]
ok $? "the table is a file in NisPlusDirectory"
is "$(stat -c %a "$T/np/mail_aliases.org_dir.example.com")" 644 "its mode follows the rights ----rmcdr---r---"
run "$AA" -C "$CONF" -o
like "$T/out" '^Object Name   : "mail_aliases"$' "-o: object name"
like "$T/out" '^Directory     : "org_dir\.example\.com\."$' "-o: directory"
like "$T/out" '^Owner         : "root\.example\.com\."$' "-o: owner LOGIN.DOMAIN."
like "$T/out" '^Group         : ""$' "-o: no group"
like "$T/out" '^Access Rights : ----rmcdr---r---$' "-o: NIS+'s default rights"
like "$T/out" '^Time to Live  : 24:0:0$' "-o: TTL 24 hours"
like "$T/out" '^Table Type          : mail_aliases$' "-o: table type"
is "$(grep -c 'Name          :' "$T/out")" 4 "-o: four columns"
like "$T/out" 'Name          : expansion' "-o: the expansion column"
run "$AA" -C "$CONF" -I
is "$rc:$(cat "$T/err")" "255:Alias table mail_aliases.org_dir.example.com. already exists" "-I twice"
run "$AA" -C "$CONF" -D other.example.com -I
is "$rc" 0 "-D names another domain"
run "$AA" -C "$CONF" -D other.example.com -I
is "$(cat "$T/err")" "Alias table mail_aliases.org_dir.other.example.com already exists" \
	"messages show the domain as -D gave it"

# --- -a -c -d -m -l -n -f
"$AA" -C "$CONF" -a staff "jun, kim" "the staff list" CANON
is "$?" 0 "-a with comments and options"
run "$AA" -C "$CONF" -m staff
is "$(cat "$T/out")" "staff: jun,kim#the staff list#CANON" "-m: alias: expansion#comments#options, blanks removed"
run "$AA" -C "$CONF" -n -m staff
is "$(cat "$T/out")" "staff: jun,kim" "-n leaves out comments and options"
run "$AA" -C "$CONF" -a staff lee
is "$rc:$(cat "$T/err")" "255:alias staff: is already in the map" "-a of an existing alias"
"$AA" -C "$CONF" -a "pro ject" '"|/usr/bin/vacation jun", lee' -notacomment
run "$AA" -C "$CONF" -m project
is "$(cat "$T/out")" 'project: "|/usr/bin/vacation jun",lee' "blanks go except inside quotes; -word is not a comment"
"$AA" -C "$CONF" -a Zed z && "$AA" -C "$CONF" -a abc a && "$AA" -C "$CONF" -a ab b "" opt
run "$AA" -C "$CONF" -l
cat >"$T/want" <<'W'
Zed: z
ab: b##opt
abc: a
project: "|/usr/bin/vacation jun",lee
staff: jun,kim#the staff list#CANON
W
is "$(cat "$T/out")" "$(cat "$T/want")" "-l: every entry in strcmp order, #comments#options when set"
run "$AA" -C "$CONF" -m nosuch
is "$rc:$(wc -c <"$T/out")" "0:0" "-m of an unknown alias prints nothing, exit 0"
run "$AA" -C "$CONF" -c staff lee
is "$rc" 0 "-c"
is "$("$AA" -C "$CONF" -m staff)" "staff: lee" "-c replaces expansion, comments and options"
run "$AA" -C "$CONF" -c nosuch x
is "$rc:$(cat "$T/err")" "255:alias nosuch: not found in the map" "-c of an unknown alias"
run "$AA" -C "$CONF" -d abc
is "$rc:$("$AA" -C "$CONF" -m abc)" "0:" "-d removes the entry"
run "$AA" -C "$CONF" -d abc
is "$rc:$(cat "$T/err")" "255:alias abc: not found in the map" "-d of an unknown alias"
"$AA" -C "$CONF" -f "$T/list.out" -l && "$AA" -C "$CONF" -f "$T/list.out" -m staff
is "$(wc -l <"$T/list.out"):$(tail -1 "$T/list.out")" "5:staff: lee" "-f appends -l and -m output to the file"
run "$AA" -C "$CONF" -f "$T/no/such/dir" -l
is "$rc" 255 "-f into a missing directory: exit 255"
like "$T/err" "^$T/no/such/dir:Can not open:: No such file or directory" "-f: Solaris's message"
run "$AA" -C "$CONF" -l -m staff
is "$(cat "$T/out")" "staff: lee" "the last mode given wins"
run "$AA" -C "$CONF" -a crlf x "$(printf 'a\nb')"
is "$rc:$(cat "$T/err")" "255:aliasadm: CR or LF in an argument" "a CR or LF in the comments is refused"

# --- -e
cat >"$T/editor.sh" <<'E'
#!/bin/sh
# a valid edit: change staff, add team (with a continuation line), remove ab
sed -i -e 's/^staff: lee$/staff: lee, kim#edited#/' -e '/^ab:/d' "$1"
printf 'team: jun,\n  kim, lee\n' >>"$1"
E
cat >"$T/bad-editor.sh" <<'E'
#!/bin/sh
# an invalid edit: a good change, then a line without a colon and a stray continuation line
sed -i 's/^staff: .*/staff: changed/' "$1"
printf 'no colon here\n\n  stray continuation\nZed: again\n' >>"$1"
E
chmod 755 "$T/editor.sh" "$T/bad-editor.sh"
before=$("$AA" -C "$CONF" -l)
EDITOR="$T/editor.sh" run "$AA" -C "$CONF" -e
is "$rc" 0 "-e with a valid edit"
cat >"$T/want" <<'W'
Zed: z
project: "|/usr/bin/vacation jun",lee
staff: lee,kim#edited#
team: jun,kim,lee
W
is "$("$AA" -C "$CONF" -l)" "$(cat "$T/want")" "-e: changed, added (continuation joined) and removed"
before=$("$AA" -C "$CONF" -l)
TMPDIR="$T" EDITOR="$T/bad-editor.sh" run "$AA" -C "$CONF" -e
is "$rc" 255 "-e with an invalid edit: exit 255"
like "$T/err" 'line [0-9]+: missing colon' "the line without a colon is reported"
like "$T/err" 'line [0-9]+: Non-continuation line starts with space' "the stray continuation line is reported"
like "$T/err" 'alias Zed given twice' "the duplicate is reported"
like "$T/err" "nothing written; your edits are in $T/aliasadm\\." "nothing written; the edits are kept"
is "$("$AA" -C "$CONF" -l)" "$before" "an invalid edit changes nothing, not even its good lines"
rm -f "$T"/aliasadm.*
VISUAL=false EDITOR="$T/editor.sh" run "$AA" -C "$CONF" -e
is "$rc" 255 "\$VISUAL comes before \$EDITOR; an editor that fails: exit 255"
like "$T/err" 'the editor failed \(exit status 1\); the table is not changed' "an editor that fails changes nothing"
is "$("$AA" -C "$CONF" -l)" "$before" "the table is as it was"
printf 'staff: jun\nnewer: lee # a comment#CANON\n' >"$T/newtable"
run "$AA" -C "$CONF" -f "$T/newtable" -e
is "$rc" 0 "-e -f reads the new table from the file"
is "$("$AA" -C "$CONF" -l)" "$(printf 'newer: lee# a comment#CANON\nstaff: jun')" "-e -f: the table is the file's"

cat >"$T/racing-editor.sh" <<E
#!/bin/sh
# while the user edits, someone else changes staff (and newer) in the table
"$AA" -C "$CONF" -c "\${RACE:-staff}" raced
sed -i 's/^staff: .*/staff: mine/' "\$1"
E
chmod 755 "$T/racing-editor.sh"
EDITOR="$T/racing-editor.sh" run "$AA" -C "$CONF" -e
is "$rc:$(tail -1 "$T/err")" "255:NIS alias modify failed: 34" \
	"-e: an alias someone changed meanwhile is not overwritten (NIS_NOTSAMEOBJ)"
like "$T/err" 'alias staff was changed by someone else meanwhile; nothing written' "-e: the conflict is explained"
is "$("$AA" -C "$CONF" -m staff)" "staff: raced" "-e: the other change stays"
RACE=newer EDITOR="$T/racing-editor.sh" run "$AA" -C "$CONF" -e
is "$rc" 0 "-e: a change to another alias meanwhile is no conflict"
is "$("$AA" -C "$CONF" -n -l)" "$(printf 'newer: raced\nstaff: mine')" "-e: both changes are kept"

# --- access: owner, group (from the system's group membership), world
run "$AA" -C "$CONF" -G smadm -R ----rmcdrmcdr---
is "$rc" 0 "-G and -R set the group and the rights"
run "$AA" -C "$CONF" -o
like "$T/out" '^Group         : "smadm\.example\.com\."$' "-o: the group"
like "$T/out" '^Access Rights : ----rmcdrmcdr---$' "-o: the rights"
is "$(stat -c '%G %a' "$T/np/mail_aliases.org_dir.example.com")" "smadm 664" \
	"the file's group and mode follow the table's"
run as smok "$AA" -C "$CONF" -a okalias jun
is "$rc" 0 "a member of the table's group (a supplementary group) may add"
run as smok "$AA" -C "$CONF" -c okalias kim
is "$rc" 0 "and change"
run as smno "$AA" -C "$CONF" -a noalias jun
is "$rc:$(cat "$T/err")" "255:NIS alias add failed: 10" "anyone else may not add (NIS_PERMISSION)"
run as smno "$AA" -C "$CONF" -c okalias lee
is "$rc:$(cat "$T/err")" "255:NIS alias modify failed: 10" "nor change"
run as smno "$AA" -C "$CONF" -d okalias
is "$rc:$(cat "$T/err")" "255:NIS alias remove failed: 10" "nor remove"
run as smno "$AA" -C "$CONF" -a okalias jun
is "$(cat "$T/err")" "alias okalias: is already in the map" "the refused user still reads: Solaris's checks come first"
run as smno "$AA" -C "$CONF" -m okalias
is "$rc:$(cat "$T/out")" "0:okalias: kim" "world may read (r)"
EDITOR="$T/editor.sh" run as smno "$AA" -C "$CONF" -e
is "$rc:$(cat "$T/err")" "255:NIS alias add failed: 10" "-e as a refused user: nothing written"
run as smno "$AA" -C "$CONF" -R ----rmcdrmcdrmcd
is "$rc:$(cat "$T/err")" "255:aliasadm: NIS alias table change failed: 10" "a refused user may not change the rights"
"$AA" -C "$CONF" -R ----rmcdrmc-r---
run as smok "$AA" -C "$CONF" -d okalias
is "$rc:$(cat "$T/err")" "255:NIS alias remove failed: 10" "rights count per operation: no d for the group"
"$AA" -C "$CONF" -R ----rmcdrmcd----
run as smno "$AA" -C "$CONF" -l
is "$rc:$(wc -c <"$T/out")" "0:0" "without world read, -l prints nothing (as on Solaris)"
run as smok "$AA" -C "$CONF" -m okalias
is "$(cat "$T/out")" "okalias: kim" "the group still reads"
run as smown "$AA" -C "$CONF" -D own.example.com -I
is "$rc:$(cat "$T/err")" "255:NIS alias map creation failed: 10" "-I where the file system refuses: NIS_PERMISSION"
mkdir "$T/np-own" && chown smown "$T/np-own"
run as smown "$AA" -C "$CONF" -O NisPlusDirectory="$T/np-own" -I
is "$rc" 0 "a user creates a table in a directory of their own"
run as smown "$AA" -C "$CONF" -O NisPlusDirectory="$T/np-own" -o
like "$T/out" '^Owner         : "smown\.example\.com\."$' "the creator owns it"
run as smown "$AA" -C "$CONF" -O NisPlusDirectory="$T/np-own" -a mine jun
is "$rc" 0 "the owner may add (rmcd)"
run as smno "$AA" -C "$CONF" -O NisPlusDirectory="$T/np-own" -a theirs jun
is "$rc:$(cat "$T/err")" "255:NIS alias add failed: 10" "someone else may not"
run "$AA" -C "$CONF" -O NisPlusDirectory="$T/np-own" -a rootsays jun
is "$rc" 0 "root may do anything"

# --- a set-user-ID installation: the rights of the real user decide
"$AA" -C "$CONF" -R ----rmcdrmcdr---
mkdir "$T/bin" && cp "$AA" "$T/bin/aliasadm" && chmod 4755 "$T/bin/aliasadm"
chmod 644 "$T/np/mail_aliases.org_dir.example.com" # the file system alone would refuse smok
# LeakSanitizer cannot stop the world in a set-user-ID process (the dumpable flag is off)
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" run as smok "$T/bin/aliasadm" -C "$CONF" -a viasuid jun
is "$rc" 0 "set-user-ID: a group member adds through the saved ID"
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" run as smno "$T/bin/aliasadm" -C "$CONF" -a viasuid2 jun
is "$rc:$(cat "$T/err")" "255:NIS alias add failed: 10" "set-user-ID: a refused user is still refused"
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" run as smno "$T/bin/aliasadm" -C "$CONF" -f /etc/shadow -l
like "$T/err" '^/etc/shadow:Can not open:: Permission denied' "set-user-ID: -f opens files as the invoking user"
cp "$CONF" "$T/user.conf" && chown smok "$T/user.conf"
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" run as smok "$T/bin/aliasadm" -C "$T/user.conf" -a viasuid3 jun
is "$rc:$(cat "$T/err")" "255:NIS alias add failed: 10" "set-user-ID: a configuration the user wrote gives the privilege up"
rm -rf "$T/bin"

# --- 20 writers at once
"$AA" -C "$CONF" -M conc.org_dir -I
i=1
writers=
while [ $i -le 20 ]; do
	("$AA" -C "$CONF" -M conc.org_dir -a "c$i" "user$i" "writer $i" || echo "writer $i failed: $?") \
		>>"$T/conc.out" 2>&1 &
	writers="$writers $!"
	i=$((i + 1))
done
for p in $writers; do wait "$p"; done
is "$(cat "$T/conc.out")" "" "20 concurrent -a: every one succeeded"
is "$("$AA" -C "$CONF" -M conc.org_dir -l | wc -l)" 20 "and the table holds all 20 entries"
is "$("$AA" -C "$CONF" -M conc.org_dir -m c17)" "c17: user17#writer 17#" "each one complete"

# --- import and export
cat >"$T/import.aliases" <<'A'
# an aliases file
postmaster: root
staff: jun,
	kim, lee
Project: "|/usr/bin/vacation jun"
A
run "$AA" -C "$CONF" -M imp.org_dir -i "$T/import.aliases"
is "$rc:$(cat "$T/err")" "255:Alias table imp.org_dir.example.com. does not exist" "-i into a missing table"
"$AA" -C "$CONF" -M imp.org_dir -I
run "$AA" -C "$CONF" -M imp.org_dir -i "$T/import.aliases"
is "$rc:$(cat "$T/out")" "0:3 aliases imported: 3 added, 0 changed, 0 unchanged" "-i imports an aliases file"
cat >"$T/want" <<'W'
postmaster: root
project: "|/usr/bin/vacation jun"
staff: jun,kim,lee
W
is "$("$AA" -C "$CONF" -M imp.org_dir -l)" "$(cat "$T/want")" "-i: keys in lower case, continuation lines joined"
"$AA" -C "$CONF" -M imp.org_dir -c staff jun "kept comment"
printf 'staff: lee\npostmaster: root\n' | "$AA" -C "$CONF" -M imp.org_dir -i - >"$T/out"
is "$(cat "$T/out")" "2 aliases imported: 0 added, 1 changed, 1 unchanged" "-i - : standard input, existing aliases changed"
is "$("$AA" -C "$CONF" -M imp.org_dir -m staff)" "staff: lee#kept comment#" "-i keeps comments and options"
printf 'good: jun\nbad line\ngood2: kim\n' >"$T/bad.aliases"
before=$("$AA" -C "$CONF" -M imp.org_dir -l)
run "$AA" -C "$CONF" -M imp.org_dir -i "$T/bad.aliases"
is "$rc" 255 "-i of a file with a bad entry: exit 255"
like "$T/err" 'bad\.aliases: line 2: ' "the bad line is reported"
is "$("$AA" -C "$CONF" -M imp.org_dir -l)" "$before" "and nothing is imported"
run "$AA" -C "$CONF" -M imp.org_dir -x aliases
cp "$T/out" "$T/exported.aliases"
like "$T/exported.aliases" '^# kept comment$' "-x aliases: comments become comment lines"
"$AA" -C "$CONF" -M imp2.org_dir -I && "$AA" -C "$CONF" -M imp2.org_dir -i "$T/exported.aliases" >/dev/null
is "$("$AA" -C "$CONF" -M imp2.org_dir -n -l)" "$("$AA" -C "$CONF" -M imp.org_dir -n -l)" \
	"round trip: export as an aliases file, import it into a new table"
"$NEWALIASES" -C "$CONF" -O AliasFile="$T/exported.aliases" >/dev/null
is "$("$PRALIASES" -C "$CONF" -f "$T/exported.aliases" staff)" "staff:lee" "newaliases reads the exported file"
run "$AA" -C "$CONF" -M imp.org_dir -x nismap
is "$(cat "$T/out")" "$(printf 'postmaster\troot\nproject\t"|/usr/bin/vacation jun"\nstaff\tlee')" \
	"-x nismap: key<TAB>value lines"
if [ -x /usr/lib/yp/makedbm ]; then
	(cd "$T" && /usr/lib/yp/makedbm - nismap.db <"$T/out" && /usr/lib/yp/makedbm -u nismap.db) >"$T/dump"
	like "$T/dump" '^staff	lee$' "makedbm builds a map from it"
fi
run "$AA" -C "$CONF" -M imp.org_dir -x ldif -b "ou=Aliases,dc=example,dc=com"
cat >"$T/want" <<'W'
dn: cn=staff,ou=Aliases,dc=example,dc=com
objectClass: top
objectClass: nisMailAlias
cn: staff
rfc822MailMember: lee
W
is "$(sed -n '/^dn: cn=staff,/,/^$/p' "$T/out" | sed '/^$/d')" "$(cat "$T/want")" "-x ldif: a nisMailAlias entry"
is "$(grep -c '^dn: ' "$T/out")" 3 "-x ldif: one entry per alias"
"$AA" -C "$CONF" -M imp.org_dir -a "x,y" "a, b"
run "$AA" -C "$CONF" -M imp.org_dir -x ldif -b "dc=example"
like "$T/out" '^dn: cn=x\\,y,dc=example$' "-x ldif: the cn is escaped in the DN"
like "$T/out" '^rfc822MailMember: b$' "-x ldif: members split at commas"
run "$AA" -C "$CONF" -M imp.org_dir -x ldif
is "$rc:$(cat "$T/err")" "255:aliasadm: -x ldif needs -b basedn" "-x ldif without -b"
run "$AA" -C "$CONF" -M imp.org_dir -x csv
is "$rc" 255 "-x with an unknown format"

# --- the sendmailvars table
run "$AA" -C "$CONF" -S -I
is "$rc" 0 "-S -I creates sendmailvars.org_dir"
"$AA" -C "$CONF" -S -a maildomain example.com && "$AA" -C "$CONF" -S -a othernames "a.example.com b.example.com"
run "$AA" -C "$CONF" -S -l
is "$(cat "$T/out")" "$(printf 'maildomain: example.com\nothernames: a.example.com b.example.com')" \
	"-S -l: key: value, values kept as given"
run "$AA" -C "$CONF" -S -o
like "$T/out" '^Table Type          : sendmailvars$' "-S -o: the sendmailvars type"
is "$(grep -c 'Name          :' "$T/out")" 2 "-S: two columns, key and value"

unlike "$T/allerr" 'Sanitizer|runtime error' "no sanitizer reports from any run"

done_testing
