# tests/golden/sendmail-env.sh - a private copy of Debian's sendmail 8.17, no installation
#
# Sourced by tests/golden/regen.sh and bench/route.sh (bash or sh). Not used by make check.
#
#	sm_env_setup DIR	download sendmail-bin, sendmail-base, sendmail-cf and libwrap0
#				with apt-get download (no dpkg -i: sendmail-bin conflicts with
#				postfix), unpack them with dpkg -x under DIR/pkg and set
#				SENDMAIL, SM_MAKEMAP, SM_CFDIR and LD_LIBRARY_PATH.
#				$SENDMAIL_DEBS, if set, is a directory with the .deb files
#				already downloaded (then nothing is fetched).
#	sm_env_cf DIR MCFILE CFFILE	build CFFILE from MCFILE with m4 and the cf macros.
#
# The sendmail binary is installed setgid mail; the private copy has the bit removed so that
# LD_LIBRARY_PATH (for libwrap.so.0, not on a postfix machine) is honoured. Run as root.

sm_env_setup() {
	sm_env_dir=$1
	mkdir -p "$sm_env_dir/debs" "$sm_env_dir/pkg" || return 1
	if [ -n "${SENDMAIL_DEBS:-}" ]; then
		cp "$SENDMAIL_DEBS"/*.deb "$sm_env_dir/debs/" || return 1
	else
		(cd "$sm_env_dir/debs" &&
			apt-get download sendmail-bin sendmail-base sendmail-cf libwrap0 >/dev/null 2>&1) ||
			(apt-get update >/dev/null 2>&1 && cd "$sm_env_dir/debs" &&
				apt-get download sendmail-bin sendmail-base sendmail-cf libwrap0 >/dev/null 2>&1) ||
			{ echo "sendmail-env: apt-get download failed" >&2; return 1; }
	fi
	for d in "$sm_env_dir"/debs/*.deb; do
		dpkg -x "$d" "$sm_env_dir/pkg" || return 1
	done
	SENDMAIL=$sm_env_dir/pkg/usr/libexec/sendmail/sendmail
	[ -x "$SENDMAIL" ] || SENDMAIL=$sm_env_dir/pkg/usr/lib/sm.bin/sendmail
	SM_MAKEMAP=$(dirname "$SENDMAIL")/makemap
	SM_CFDIR=$sm_env_dir/pkg/usr/share/sendmail/cf
	chmod g-s "$SENDMAIL"
	LD_LIBRARY_PATH=$sm_env_dir/pkg/usr/lib/x86_64-linux-gnu:$sm_env_dir/pkg/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
	export LD_LIBRARY_PATH
	command -v m4 >/dev/null || { echo "sendmail-env: m4 is needed (apt-get install m4)" >&2; return 1; }
	if ldd "$SENDMAIL" | grep -q 'not found'; then
		echo "sendmail-env: missing libraries:" >&2
		ldd "$SENDMAIL" | grep 'not found' >&2
		return 1
	fi
	SENDMAIL_VERSION=$("$SENDMAIL" -d0.1 -bt </dev/null 2>/dev/null | sed -n 's/^Version //p')
	return 0
}

sm_env_cf() {
	m4 -D_CF_DIR_="$SM_CFDIR/" "$SM_CFDIR/m4/cf.m4" "$2" >"$3"
}
