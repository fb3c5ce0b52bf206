#!/bin/sh
# tests/golden/regen.sh - regenerate tests/golden/expected with Debian's sendmail 8.17
#
# SYNOPSIS
#	tests/golden/regen.sh		(as root, on Debian 12 with network access to the archive)
#
# DESCRIPTION
#	Not run by make check. Downloads sendmail-bin, sendmail-base, sendmail-cf and libwrap0
#	with apt-get download and unpacks them in a temporary directory (nothing is installed:
#	sendmail-bin conflicts with postfix), builds sendmail.cf from tests/golden/sendmail.mc
#	with m4, the alias database with sendmail -bi and the maps with sendmail's makemap,
#	then runs "sendmail -C cf [OPTIONS] -bv ADDRESS" for each line of tests/golden/cases and
#	writes the outputs to tests/golden/expected (format: see config.sh, golden_run).
#
#	sendmail sleeps 60 s at start-up when the machine's name is not fully qualified, so
#	the script re-runs itself in a UTS namespace of its own (unshare --uts) whose host name
#	is mail.example.com. DNS is never used: the service switch file says "hosts files".
#
#	Then it runs switchmail (built in the project root, or $TOP_BUILDDIR) on the equivalent
#	configuration and lists the cases whose output differs, marking those that are in
#	tests/golden/expected.switchmail-differs (known, see DIFFERENCES.md).
#	$SENDMAIL_DEBS: a directory holding the .deb files already (nothing is downloaded).
set -u
export LC_ALL=C
umask 022
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
builddir=${TOP_BUILDDIR:-$top}
. "$here/sendmail-env.sh"
. "$here/config.sh"

[ "$(id -u)" -eq 0 ] || { echo "regen.sh: run as root (unshare --uts, the real users)" >&2; exit 1; }
# everything below runs in a namespace whose host name is fully qualified
if [ -z "${GOLDEN_NS:-}" ]; then
	GOLDEN_NS=1 exec unshare --uts "$0" "$@"
fi
hostname mail.example.com || exit 1
for u in root daemon bin sys nobody mail news; do
	getent passwd "$u" | cmp -s - "$(grep "^$u:" "$here/passwd" >"/tmp/.golden.$$"; echo "/tmp/.golden.$$")" ||
		echo "regen.sh: warning: $u in /etc/passwd differs from tests/golden/passwd" >&2
done
rm -f "/tmp/.golden.$$"

W=$(mktemp -d "${TMPDIR:-/tmp}/golden-regen.XXXXXX") || exit 1
trap 'rm -rf "$W"' EXIT
chmod 755 "$W"
sm_env_setup "$W/env" || exit 1
mkdir "$W/sendmail" "$W/switchmail"
golden_sendmail "$here" "$W/sendmail" || { echo "regen.sh: sendmail configuration failed" >&2; exit 1; }

golden_run "$here/cases" "$SENDMAIL" -C "$W/sendmail/sendmail.cf" >"$W/expected" || exit 1
{
	echo "# sendmail -bv output of tests/golden/cases, written by tests/golden/regen.sh"
	echo "# sendmail $SENDMAIL_VERSION (Debian $(dpkg-deb -f "$W"/env/debs/sendmail-bin_*.deb Version))"
	cat "$W/expected"
} >"$here/expected"
n=$(grep -c '^===' "$W/expected")
echo "regen.sh: $n cases written to tests/golden/expected (sendmail $SENDMAIL_VERSION)"

# switchmail on the same cases, for comparison
if [ -x "$builddir/switchmail" ]; then
	golden_switchmail "$here" "$W/switchmail" "$builddir" || exit 1
	golden_run "$here/cases" "$builddir/switchmail" -C "$W/switchmail/switchmail.conf" >"$W/got"
	awk -v known="$here/expected.switchmail-differs" '
		BEGIN { while ((getline l < known) > 0) if (l ~ /^=== /) { split(l, f, "\t"); k[substr(f[1], 5)] = 1 } }
		FNR == 1 { file++ }
		/^=== / { split($0, f, "\t"); id = substr(f[1], 5); hdr[id] = $0; next }
		/^#/ { next }
		{ out[file, id] = out[file, id] $0 "\n" }
		END {
			for (id = 1; id in hdr; id++)
				if (out[1, id] != out[2, id]) {
					printf "%s %s\n--- sendmail\n%s--- switchmail\n%s", (id in k) ? "KNOWN" : "DIFF", hdr[id], out[1, id], out[2, id]
				}
		}' "$W/expected" "$W/got"
fi
