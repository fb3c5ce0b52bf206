#!/bin/sh
# tests/makemap.sh - makemap: building, dumping, folding, duplicates, bad input and usage
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
sm_setup
MAKEMAP="$top_builddir/makemap"
TAB=$(printf '\t')

# build from standard input; -u prints key<TAB>value in key order
cat >"$T/virtusertable" <<'V'
# virtusertable
Info@Example.COM	jun

@foo.org %1@example.com
joe@bar.com   error:nouser 550 No such user here
V
"$MAKEMAP" hash "$T/virtusertable" <"$T/virtusertable" >"$T/out" 2>"$T/err"
is "$?" 0 "makemap hash MAP < MAP exits 0"
ok "$(test -f "$T/virtusertable.lmdb"; echo $?)" "the table is MAP.lmdb"
is "$(cat "$T/err")" "" "and says nothing"
run "$MAKEMAP" -u hash "$T/virtusertable"
is "$(cat "$T/out")" "@foo.org${TAB}%1@example.com
info@example.com${TAB}jun
joe@bar.com${TAB}error:nouser 550 No such user here" "-u: keys folded, comments and blank lines skipped, values kept"
is "$rc" 0 "-u exits 0"

# round trip: the dump read back gives the same table
"$MAKEMAP" -u hash "$T/virtusertable" | "$MAKEMAP" btree "$T/copy"
is "$("$MAKEMAP" -u cdb "$T/copy")" "$("$MAKEMAP" -u hash "$T/virtusertable")" "-u output read back gives the same table (any map type)"

# -f keeps the case of keys
printf 'Foo Bar\n' | "$MAKEMAP" -f hash "$T/cased"
is "$("$MAKEMAP" -u hash "$T/cased")" "Foo${TAB}Bar" "-f keeps the case of keys (never of values)"
printf 'Foo Bar\n' | "$MAKEMAP" hash "$T/cased"
is "$("$MAKEMAP" -u hash "$T/cased")" "foo${TAB}Bar" "without -f keys are folded; the table was replaced"

# -N stores a NUL after key and value; -u prints up to it
printf 'nulkey v\n' | "$MAKEMAP" -N hash "$T/nul"
is "$("$MAKEMAP" -u hash "$T/nul")" "nulkey${TAB}v" "-N: -u prints key and value without the NUL"
ok "$(tr '\000' '@' <"$T/nul.lmdb" | grep -q 'nulkey@v@'; echo $?)" "-N: key and value are stored with a NUL"
printf 'nulkey v\n' | "$MAKEMAP" hash "$T/nonul"
ok "$(tr '\000' '@' <"$T/nonul.lmdb" | grep -q 'nulkeyv'; echo $?)" "without -N: no NUL"

# duplicates
printf 'foo one\nbar x\nFOO two\nfoo three\n' >"$T/dups"
run "$MAKEMAP" hash "$T/dups" <"$T/dups"
is "$rc" 65 "a duplicate key without -r exits EX_DATAERR"
is "$(cat "$T/err")" "makemap: $T/dups: line 3: key foo: duplicate key
makemap: $T/dups: line 4: key foo: duplicate key" "each duplicate is named with its line, as sendmail does"
is "$("$MAKEMAP" -u hash "$T/dups")" "bar${TAB}x
foo${TAB}one" "the first value is kept and the rest of the table is built"
run "$MAKEMAP" -r hash "$T/dups" <"$T/dups"
is "$rc:$(cat "$T/err")" "0:" "-r: duplicates are allowed silently"
is "$("$MAKEMAP" -u hash "$T/dups")" "bar${TAB}x
foo${TAB}three" "-r: the last value replaces the others"
run "$MAKEMAP" -d btree "$T/dups" <"$T/dups"
is "$rc:$("$MAKEMAP" -u hash "$T/dups" | grep foo)" "0:foo${TAB}one" "-d: allowed, the first value kept"

# bad lines are named; the others are still stored
printf 'good value\n  leading space\nnorhs\n# comment\n\n   \nempty\t\nlast one\n' >"$T/bad"
run "$MAKEMAP" hash "$T/bad" <"$T/bad"
is "$rc" 65 "bad lines exit EX_DATAERR"
like "$T/err" "^makemap: $T/bad: line 2: syntax error \\(leading space\\)$" "leading space is a syntax error"
like "$T/err" "^makemap: $T/bad: line 3: no RHS for LHS norhs$" "a key without a value is named"
like "$T/err" "^makemap: $T/bad: line 7: no RHS for LHS empty$" "trailing blanks are no value either"
is "$(wc -l <"$T/err" | tr -d ' ')" 3 "comment, empty and blank lines are not errors"
is "$("$MAKEMAP" -u hash "$T/bad")" "good${TAB}value
last${TAB}one" "the good lines are stored"
printf 'empty\t\n' | "$MAKEMAP" -e hash "$T/empty"
is "$?:$("$MAKEMAP" -u hash "$T/empty")" "0:empty${TAB}" "-e allows an empty value"

# -t delimiter, -D comment character, -v
printf 'a b:c d\n;x:y\n#k:v\n' | "$MAKEMAP" -t : -D ';' hash "$T/delim"
is "$("$MAKEMAP" -u -t : hash "$T/delim")" "#k:v
a b:c d" "-t: the key ends at the delimiter; -D: another comment character"
printf 'K v\n' | "$MAKEMAP" -v hash "$T/verbose" >"$T/out"
is "$(cat "$T/out")" "key=\`k', val=\`v'" "-v prints each entry"

# -o adds to the existing table
printf 'new entry\nfoo again\n' | "$MAKEMAP" -o -r hash "$T/dups"
is "$("$MAKEMAP" -u hash "$T/dups")" "bar${TAB}x
foo${TAB}again
new${TAB}entry" "-o -r: existing entries kept, new ones added or replacing"
printf 'x y\n' >"$T/in"
run "$MAKEMAP" -o hash "$T/none" <"$T/in"
is "$rc" 73 "-o without a table exits EX_CANTCREAT"

# -l
run "$MAKEMAP" -l
like "$T/out" '^hash$' "-l lists hash"
like "$T/out" '^lmdb$' "-l lists lmdb"

# usage and output errors
run "$MAKEMAP"
is "$rc" 64 "no arguments: EX_USAGE"
like "$T/err" '^Usage: makemap ' "with the usage message"
run "$MAKEMAP" -Z hash "$T/x"
is "$rc" 64 "an unknown option: EX_USAGE"
run "$MAKEMAP" nosuchtype "$T/x" <"$T/in"
is "$rc" 64 "an unknown map type: EX_USAGE"
like "$T/err" "^makemap: error opening type nosuchtype map $T/x: Unknown database type$" "and names it"
run "$MAKEMAP" hash "$T/nodir/map" <"$T/in"
is "$rc" 73 "a missing output directory: EX_CANTCREAT"
like "$T/err" "^makemap: error opening type hash map $T/nodir/map: No such file or directory$" "with sendmail's message"
run "$MAKEMAP" hash "$T/in/map" <"$T/in"
is "$rc" 73 "an output directory that is a file: EX_CANTCREAT"
run "$MAKEMAP" -u hash "$T/nosuchmap"
is "$rc" 66 "-u of a missing table: EX_NOINPUT"
like "$T/err" "^makemap: error opening type hash map $T/nosuchmap: No such file or directory$" "and says why"

# an access map built in place, as sendmail's documentation does it
cat >"$T/access" <<'A'
# access
Connect:192.0.2.1	REJECT
From:spammer@Example.NET	ERROR:"550 We don't accept mail"
To:example.com		RELAY
A
"$MAKEMAP" hash "$T/access" <"$T/access"
is "$?:$("$MAKEMAP" -u hash "$T/access")" "0:connect:192.0.2.1${TAB}REJECT
from:spammer@example.net${TAB}ERROR:\"550 We don't accept mail\"
to:example.com${TAB}RELAY" "makemap hash /etc/mail/access < /etc/mail/access"
ls "$T" | grep -q 'tmp' && leftovers=1 || leftovers=0
is "$leftovers" 0 "no temporary files are left behind"

done_testing
