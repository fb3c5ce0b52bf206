#!/bin/sh
# tests/badinput.sh - bad input gets a clear message, a sensible status and no crash
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
sm_setup

# an alias line of 10 MB (over MaxAliasLineLength, 8 MiB by default)
{
	printf 'before: jun\n'
	printf 'huge: '
	head -c 10485760 /dev/zero | tr '\0' 'a'
	printf '\nafter: kim\n'
} >"$T/aliases"
run "$NEWALIASES" -C "$CONF"
is "$rc" 65 "10 MB alias line: EX_DATAERR"
like "$T/err" "^$T/aliases: line 2: alias line too long$" "10 MB alias line: named with file and line"
is "$(cat "$T/out")" "$T/aliases: 2 aliases, longest 3 bytes, 17 bytes total" "10 MB alias line: the other entries are kept"
run "$NEWALIASES" -C "$CONF" -O MaxAliasLineLength=20000000
is "$rc" 0 "10 MB alias line is accepted under a larger MaxAliasLineLength"
run "$PRALIASES" -C "$CONF" huge
is "$(wc -c <"$T/out" | tr -d ' ')" 10485766 "and stored whole"

# a NUL byte inside an entry
printf 'good: jun\nnul: ki\000m\nalso: kim\n' >"$T/aliases"
run "$NEWALIASES" -C "$CONF"
is "$rc" 65 "NUL byte: EX_DATAERR"
like "$T/err" "^$T/aliases: line 2: NUL byte in line$" "NUL byte: named with file and line"
run "$PRALIASES" -C "$CONF" nul also
is "$(cat "$T/out")" "nul: No such key
also:kim" "NUL byte: only that entry is dropped"

# unreadable aliases file (as an unprivileged user when we are root)
printf 'a: jun\n' >"$T/aliases"
chmod 000 "$T/aliases"
if [ "$(id -u)" -eq 0 ]; then
	drop="setpriv --reuid=65534 --regid=65534 --clear-groups"
else
	drop=""
fi
run $drop "$NEWALIASES" -C "$CONF"
is "$rc" 66 "unreadable aliases file: EX_NOINPUT"
like "$T/err" "Cannot open $T/aliases: Permission denied" "unreadable aliases file: the reason"
chmod 644 "$T/aliases"

# an :include: that cannot be read
printf 'secret: jun\n' >"$T/list"
chmod 000 "$T/list"
printf 'inc: :include:%s\n' "$T/list" >"$T/aliases"
"$NEWALIASES" -C "$CONF" >/dev/null
run $drop "$SM" -C "$CONF" -bv inc
is "$(cat "$T/out")" ":include:$T/list... Cannot open $T/list: Permission denied" "unreadable :include: is reported"
is "$rc" 69 "unreadable :include: is a permanent failure"
chmod 644 "$T/list"

# garbage in nsswitch.conf
printf 'aliases: files\n' >"$T/aliases.ok"
head -c 3000 /dev/urandom | tr -d '\n' >"$T/nsswitch.conf"
printf '\n[[[ ]]] : = !\naliases files [NOTFOUND=\nhosts: files [!SUCCESS\n' >>"$T/nsswitch.conf"
printf 'jun: kim\n' >"$T/aliases"
"$NEWALIASES" -C "$CONF" >/dev/null
run "$SM" -C "$CONF" -bv jun
is "$(cat "$T/out")" "kim... deliverable: mailer local, user kim" "garbage nsswitch.conf: aliases keeps its default"
like "$T/err" "nsswitch.conf: line 3: missing action after NOTFOUND=; database aliases keeps its default" "garbage nsswitch.conf: named with file and line"
is "$rc" 0 "garbage nsswitch.conf: no crash"
printf 'aliases: files\n' >"$T/nsswitch.conf"

# a key of 100 KB on the command line
key=$(head -c 102400 /dev/zero | tr '\0' 'x')
run "$SM" -C "$CONF" -bv "$key"
is "$rc" 64 "100 KB address: EX_USAGE"
like "$T/out" '^x{80}\.\.\.\.\.\. Local part too long \(64 bytes max\)$' "100 KB address: a short, clear message"
run "$PRALIASES" -C "$CONF" "$key"
like "$T/out" 'No such key$' "100 KB key to praliases: not found, no crash"

# control characters in an address
run "$SM" -C "$CONF" -bv "$(printf 'jun\rkim')"
is "$rc" 64 "CR in an address: EX_USAGE"
like "$T/out" 'jun\\x0dkim\.\.\. CR or LF in address' "CR in an address: shown escaped"

# an aliases file that is a directory
run "$NEWALIASES" -C "$CONF" -O AliasFile="$T"
is "$rc" 77 "aliases file that is a directory: refused"

# an alias loop of 1,000 members, and a list of 100,000 members
awk 'BEGIN { for (i = 1; i < 1000; i++) printf "ring%d: ring%d\n", i, i + 1; print "ring1000: ring1" }' >"$T/aliases"
awk 'BEGIN { printf "big: "; for (i = 1; i <= 100000; i++) printf "%su%d@remote.example.org", (i > 1 ? ", " : ""), i; print "" }' >>"$T/aliases"
printf 'errme: error:nouser 550 No such person here\n' >>"$T/aliases"
run "$NEWALIASES" -C "$CONF"
is "$rc" 0 "1,001 loop aliases and a 100,000-member list compile"
run "$SM" -C "$CONF" -bv ring1
is "$(cat "$T/out")" "ring11... aliasing/forwarding loop broken (11 aliases deep; 10 max)" "a loop of 1,000 aliases stops at the limit"
run "$SM" -C "$CONF" -O MaxAliasRecursion=5000 -bv ring500
like "$T/out" 'aliasing/forwarding loop broken \(65 aliases deep; 5000 max\)' "a larger limit is still bounded by the expansion stack"
run "$SM" -C "$CONF" -bv big
is "$(wc -l <"$T/out" | tr -d ' ')" 100000 "a list of 100,000 members expands to 100,000 recipients"
is "$(sort -u "$T/out" | wc -l | tr -d ' ')" 100000 "all different"
run "$SM" -C "$CONF" -bv errme
is "$(cat "$T/out")" "errme... No such person here" "an error: alias target (extension)"
is "$rc" 67 "error:nouser exits EX_NOUSER"
run "$SM" -C "$CONF" -bv 'error:nouser 550 x'
is "$rc" 64 "error: given directly is no address"

done_testing
