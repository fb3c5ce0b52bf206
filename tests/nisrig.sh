# tests/nisrig.sh - NIS servers for the shell tests: rpcbind, ypserv and ypbind in a private namespace
#
# Sourced after tests/lib.sh. Provides:
#   nisrig_require         skips the whole test (TAP) unless we are root and unshare, ip,
#                          rpcbind, ypserv, makedbm and perl's GDBM_File are there
#   nisrig_enter "$@"      re-runs the calling test script inside `unshare --net --uts --mount
#                          --pid --mount-proc --kill-child=TERM` (once: NISRIG_NS marks the
#                          inner run) and, inside, brings up loopback, sets the host name
#                          (nishost) and the NIS domain ($NIS_DOMAIN, default testdom), and
#                          mounts a tmpfs on /run. Call it first, before sm_setup: nothing
#                          the servers do reaches the host's network, domain name, /run or
#                          /var/yp, and the namespaces, with every process in them, die
#                          with the test, however it ends.
#   nisrig_setup           after sm_setup: $T/yp bind-mounted on /var/yp (maps in
#                          /var/yp/$NIS_DOMAIN = $NIS_MAPDIR), securenets for 127.0.0.0/8
#   nisrig_aliases FILE    mail.aliases from an aliases(5) file, the way /var/yp/Makefile
#                          builds it (continuation lines joined by awk, then
#                          makedbm --aliases): keys lower case, no trailing NUL
#   nisrig_hosts FILE      hosts.byname from a hosts(5) file as /var/yp/Makefile builds it
#   nisrig_map MAP         a map from "key value" lines on stdin (makedbm, no NUL)
#   nisrig_nulmap MAP      a map from "key value" lines on stdin with a NUL after every key
#                          and value, as sendmail and Solaris makedbm store them (Debian's
#                          makedbm cannot: written with perl's GDBM_File, ypserv's format)
#   rpcbind_start          rpcbind -w -f; RPCBIND_PID
#   ypserv_start           ypserv -d; YPSERV_PID; waits until it is registered
#   ypserv_stop            stops it by its pid and waits until rpcbind forgets it
#   ypbind_start           ypbind -n bound to 127.0.0.1 through its own yp.conf; YPBIND_PID
#   ypbind_stop
#   nisrig_stop            every stop, in order (safe to call twice)
# Starting a server puts nisrig_stop in front of the EXIT trap already set (lib.sh's
# trap_prepend), once.

: "${NIS_DOMAIN:=testdom}"
MAKEDBM=/usr/lib/yp/makedbm

# nisrig_require - end the test with a TAP skip when something the rig needs is missing
nisrig_require() {
	local p
	if [ "$(id -u)" -ne 0 ]; then
		echo "1..0 # SKIP the NIS rig needs root (unshare, ypserv on a privileged port)"
		exit 0
	fi
	for p in unshare ip rpcbind ypserv rpcinfo domainname; do
		if ! command -v "$p" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$p" ]; then
			echo "1..0 # SKIP $p is not installed (Debian: rpcbind, ypserv, nis, util-linux, iproute2)"
			exit 0
		fi
	done
	if [ ! -x "$MAKEDBM" ] || ! perl -MGDBM_File -e 1 2>/dev/null; then
		echo "1..0 # SKIP makedbm (ypserv) or perl's GDBM_File is missing"
		exit 0
	fi
}

# nisrig_enter "$@" - run the test again inside private network, UTS and mount namespaces
nisrig_enter() {
	if [ -z "${NISRIG_NS:-}" ]; then
		NISRIG_NS=1 exec unshare --net --uts --mount --pid --mount-proc --kill-child=TERM \
			/bin/sh "$0" "$@"
		echo "1..0 # SKIP unshare failed"
		exit 0
	fi
	# the test is process 1 of its own PID namespace: whatever way it ends, the kernel then
	# kills every server left in it; a signal still runs the EXIT trap, which stops them by pid
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 141' PIPE
	trap 'exit 143' TERM
	PATH=$PATH:/usr/sbin:/sbin
	if ! ip link set lo up || ! hostname nishost || ! domainname "$NIS_DOMAIN" ||
		! mount -t tmpfs -o mode=755 tmpfs /run; then
		echo "1..0 # SKIP cannot set up the private namespace"
		exit 0
	fi
}

# nisrig_trap - put nisrig_stop in front of the EXIT trap already set, once
nisrig_trap() {
	trap_prepend nisrig_stop
}

# nisrig_setup - /var/yp of our own (a bind mount that only this namespace sees)
nisrig_setup() {
	NIS_MAPDIR="$T/yp/$NIS_DOMAIN"
	mkdir -p "$NIS_MAPDIR" "$T/yp/binding"
	: >"$T/yp/nicknames"
	printf '255.0.0.0\t127.0.0.0\n' >"$T/yp/securenets"
	mount --bind "$T/yp" /var/yp || return 1
	NIS_MAPDIR=/var/yp/$NIS_DOMAIN
}

# nisrig_aliases FILE - mail.aliases as /var/yp/Makefile builds it
nisrig_aliases() {
	awk '{
		if ($1 ~ "^#.*") next;
		if ($1 == "" || $1 == "+") { if (line != "") { print line; line = "" } next }
		if ($0 ~ /^[[:space:]]/) line = line $0;
		else { if (line != "") { print line; line = "" } line = $0 }
	} END { if (line != "") print line }' "$1" |
		(cd "$NIS_MAPDIR" && "$MAKEDBM" -m nishost --aliases -i "$1" -o mail.aliases - mail.aliases)
}

# nisrig_hosts FILE - hosts.byname as /var/yp/Makefile builds it
nisrig_hosts() {
	awk '/^[0-9]/ { for (n = 2; n <= NF && $n !~ "#"; n++) print $n"\t"$0 }' "$1" |
		(cd "$NIS_MAPDIR" && "$MAKEDBM" -m nishost -r -l -i "$1" -o hosts.byname - hosts.byname)
}

# nisrig_map MAP - a map from "key value" lines on stdin
nisrig_map() {
	(cd "$NIS_MAPDIR" && "$MAKEDBM" -m nishost - "$1")
}

# nisrig_nulmap MAP - a map from "key value" lines on stdin, keys and values ending in a NUL
nisrig_nulmap() {
	perl -MGDBM_File -e '
		my $f = shift;
		unlink $f;
		tie(my %h, "GDBM_File", $f, &GDBM_NEWDB, 0644) or die "$f: $!";
		while (<STDIN>) {
			chomp;
			my ($k, $v) = split(/[ \t]+/, $_, 2);
			next unless defined $v;
			$h{"$k\0"} = "$v\0";
		}
		$h{"YP_LAST_MODIFIED"} = sprintf("%010d", time);
		$h{"YP_MASTER_NAME"} = "nishost";
		untie %h;' "$NIS_MAPDIR/$1"
}

# rpcbind_start - rpcbind in the namespace; RPCBIND_PID
rpcbind_start() {
	nisrig_trap
	rpcbind -w -f >>"$T/rpcbind.log" 2>&1 &
	RPCBIND_PID=$!
	wait_for 10 rpcinfo -p 127.0.0.1 >/dev/null
}

# ypserv_registered - does rpcbind know ypserv (UDP)?
ypserv_registered() {
	rpcinfo -p 127.0.0.1 2>/dev/null | grep -q '100004 *2 *udp'
}

# ypserv_start - ypserv in the foreground (-d) in the background; YPSERV_PID
ypserv_start() {
	nisrig_trap
	ypserv -d >>"$T/ypserv.log" 2>&1 &
	YPSERV_PID=$!
	wait_for 10 ypserv_registered
}

# ypserv_stop - stop ypserv by its pid; wait until rpcbind no longer lists it
ypserv_stop() {
	if [ -n "${YPSERV_PID:-}" ]; then
		kill -TERM "$YPSERV_PID" 2>/dev/null
		wait "$YPSERV_PID" 2>/dev/null
		YPSERV_PID=
		wait_for 5 sh -c '! rpcinfo -p 127.0.0.1 | grep -q "100004 *2 *udp"'
	fi
	return 0
}

# ypbind_bound - does ypbind answer with a server for the domain?
ypbind_bound() {
	[ "$(ypwhich -d "$NIS_DOMAIN" 2>/dev/null)" = 127.0.0.1 ]
}

# ypbind_start - ypbind bound to 127.0.0.1 (its own yp.conf, no broadcast); YPBIND_PID
ypbind_start() {
	nisrig_trap
	printf 'domain %s server 127.0.0.1\n' "$NIS_DOMAIN" >"$T/yp.conf"
	ypbind -n -f "$T/yp.conf" >>"$T/ypbind.log" 2>&1 &
	YPBIND_PID=$!
	wait_for 10 ypbind_bound
}

# ypbind_stop - stop ypbind by its pid
ypbind_stop() {
	if [ -n "${YPBIND_PID:-}" ]; then
		kill -TERM "$YPBIND_PID" 2>/dev/null
		wait "$YPBIND_PID" 2>/dev/null
		YPBIND_PID=
	fi
	return 0
}

# rpcbind_stop - stop rpcbind by its pid
rpcbind_stop() {
	if [ -n "${RPCBIND_PID:-}" ]; then
		kill -TERM "$RPCBIND_PID" 2>/dev/null
		wait "$RPCBIND_PID" 2>/dev/null
		RPCBIND_PID=
	fi
	return 0
}

# nisrig_stop - stop every server this file started
nisrig_stop() {
	ypbind_stop
	ypserv_stop
	rpcbind_stop
}
