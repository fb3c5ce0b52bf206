#!/bin/sh
# tests/newaliases.sh - newaliases, praliases and the configuration commands
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
sm_setup

cat >"$T/aliases" <<'A'
# sample
postmaster: root
MAILER-DAEMON: postmaster
Staff: jun,
	kim
long: "|/usr/bin/vacation jun", \
lee
dup: jun
dup: kim
missing
A
run "$NEWALIASES" -C "$CONF"
is "$rc" 65 "newaliases exits EX_DATAERR when an entry was skipped"
is "$(cat "$T/out")" "$T/aliases: 5 aliases, longest 29 bytes, 89 bytes total" "sendmail's statistics line"
like "$T/err" "^$T/aliases: line 10: missing colon$" "bad entry named with file and line"
like "$T/err" "^$T/aliases: line 9: Warning: duplicate alias name dup$" "duplicate warned at the later line"
ok "$(test -f "$T/aliases.lmdb"; echo $?)" "the table exists"

run "$PRALIASES" -C "$CONF"
is "$(cat "$T/out")" "@:@
dup:kim
long:\"|/usr/bin/vacation jun\", lee
mailer-daemon:postmaster
postmaster:root
staff:jun,	kim" "praliases prints every entry with the sentinel, last duplicate kept"
is "$rc" 0 "praliases exits 0"

run "$PRALIASES" -C "$CONF" STAFF nosuch
is "$(cat "$T/out")" "staff:jun,	kim
nosuch: No such key" "praliases with keys"
printf 'postmaster\ndup\n' | "$PRALIASES" -C "$CONF" - >"$T/out"
is "$(cat "$T/out")" "postmaster:root
dup:kim" "praliases - reads keys from standard input"
run "$PRALIASES" -f "$T/nonexistent"
is "$rc" 66 "praliases on a missing table exits EX_NOINPUT"

run "$SM" -C "$CONF" -bi
is "$rc" 65 "switchmail -bi is newaliases"

# a clean file exits 0; the table is replaced
sed -i '/^missing$/d' "$T/aliases"
run "$NEWALIASES" -C "$CONF"
is "$rc" 0 "a clean file exits 0"
printf 'extra: jun\n' >>"$T/aliases"
touch -d '2030-01-01' "$T/aliases"
run "$SM" -C "$CONF" -bv extra
like "$T/err" 'alias database .*aliases.lmdb out of date \(run newaliases\)' "a stale table is used with a warning"
is "$(cat "$T/out")" "extra... User unknown" "the stale table does not know the new alias"
touch -d '2020-01-01' "$T/aliases"
run "$NEWALIASES" -C "$CONF"
run "$SM" -C "$CONF" -bv extra
is "$(cat "$T/out")" "jun... deliverable: mailer local, user jun" "after newaliases the new alias resolves"
unlike "$T/err" 'out of date' "and the warning is gone"

# the lock against concurrent rebuilds
if command -v flock >/dev/null; then
	flock "$T/aliases" sh -c "\"$NEWALIASES\" -C \"$CONF\" >\"$T/out\" 2>\"$T/err\"; echo \$? >\"$T/rc\""
	is "$(cat "$T/rc")" 75 "a rebuild while another holds the lock exits EX_TEMPFAIL"
	like "$T/err" "Alias file $T/aliases is locked \(maybe being rebuilt\)" "and says so"
fi

# unsafe source files
chmod g+w "$T/aliases"
run "$NEWALIASES" -C "$CONF"
is "$rc" 77 "a group-writable aliases file is refused"
like "$T/err" "group-writable; not rebuilt" "with a reason"
chmod g-w "$T/aliases"
ln -s "$T/aliases" "$T/alias-link"
run "$NEWALIASES" -C "$CONF" -O AliasFile="$T/alias-link"
is "$rc" 77 "a symbolic link is refused"
run "$NEWALIASES" -C "$CONF" -O AliasFile="$T/none"
is "$rc" 66 "a missing aliases file exits EX_NOINPUT"
like "$T/err" "Cannot open $T/none: No such file or directory" "and names it"

# no table at all: the lookup defers, it never bounces
run "$SM" -C "$CONF" -O AliasFile="$T/none" -bv jun
is "$rc" 75 "no compiled table: EX_TEMPFAIL"
like "$T/out" '^jun\.\.\. alias database unavailable \(files: no alias table .*none\.lmdb \(run newaliases\)\)$' "and the reason says run newaliases"

# the configuration
run "$SM" -C "$CONF" -bC
is "$rc" 0 "-bC exits 0"
like "$T/out" "^AliasFile = $T/aliases	# $T/switchmail.conf: line 2$" "-bC: a value from the file, with its origin"
like "$T/out" '^MaxAliasRecursion = 10$' "-bC: a built-in default"
run "$SM" -C "$CONF" -O MaxAliasRecursion=4 -bC
like "$T/out" '^MaxAliasRecursion = 4	# command line$' "-O overrides a setting"
run "$SM" -C "$CONF" -O NoSuchOption=1 -bC
is "$rc" 78 "-O with an unknown name exits EX_CONFIG"
like "$T/err" 'unknown setting NoSuchOption' "and names it"
run "$SM" -C "$CONF" -O MaxAliasRecursion=ten -bC
is "$rc" 78 "-O with a bad number exits EX_CONFIG"
run "$SM" -C "$T/nonexistent.conf" -bC
is "$rc" 78 "-C with a missing file exits EX_CONFIG"
printf 'AliasFile = a\nBogus line\n' >"$T/bad.conf"
run "$SM" -C "$T/bad.conf" -bC
like "$T/err" "$T/bad.conf: line 2: expected \"Name = value\"" "a malformed line names file and line"
run "$SM" -C "$CONF" -bz
is "$rc" 64 "an unknown mode exits EX_USAGE"
run "$SM" -C "$CONF" -x
is "$rc" 64 "an unknown option exits EX_USAGE"

done_testing
