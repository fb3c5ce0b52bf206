# tests/lib.sh - TAP helpers and a private switchmail directory for the shell tests
#
# Sourced by tests/*.sh. Provides: sm_setup (a temp dir $T with switchmail.conf,
# nsswitch.conf, passwd and aliases; removed on exit), run CMD... (sets $rc, and
# $T/out, $T/err), ok STATUS NAME, is GOT WANT NAME, like FILE REGEX NAME,
# done_testing, free_port, wait_for, trap_prepend CMD (run CMD first at exit),
# daemon_setup/daemon_start/daemon_stop. $SM is the switchmail binary, $PRALIASES praliases.

: "${top_builddir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_srcdir:=$top_builddir}"
SM="$top_builddir/switchmail"
PRALIASES="$top_builddir/praliases"
NEWALIASES="$top_builddir/newaliases"
tap_n=0
tap_failed=0

# ok - one test point: ok STATUS NAME (STATUS 0 passes)
ok() {
	tap_n=$((tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $tap_n - $2"
	else
		echo "not ok $tap_n - $2"
		tap_failed=$((tap_failed + 1))
	fi
}

# is - compare two strings
is() {
	if [ "$1" = "$2" ]; then
		ok 0 "$3"
	else
		ok 1 "$3"
		printf '#   got:  %s\n#   want: %s\n' "$1" "$2" | sed 's/^/# /; s/^# #/#/'
	fi
}

# like - FILE contains a line matching the extended regex
like() {
	if grep -Eq -- "$2" "$1"; then
		ok 0 "$3"
	else
		ok 1 "$3"
		echo "#   no line of $(basename "$1") matches /$2/; it holds:"
		sed 's/^/#     /' "$1" | head -20
	fi
}

# unlike - FILE contains no line matching the extended regex
unlike() {
	if grep -Eq -- "$2" "$1"; then
		ok 1 "$3"
		grep -E -- "$2" "$1" | sed 's/^/#     /' | head -5
	else
		ok 0 "$3"
	fi
}

# run - run a command, keeping its exit status in $rc and its output in $T/out and $T/err
run() {
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
}

# done_testing - print the plan and fail if any point failed
done_testing() {
	echo "1..$tap_n"
	[ "$tap_failed" -eq 0 ]
}

# sm_setup - a private directory with a files-only configuration
sm_setup() {
	T=$(mktemp -d "${TMPDIR:-/tmp}/switchmail-test.XXXXXX")
	trap 'rm -rf "$T"' EXIT
	chmod 755 "$T"
	cat >"$T/switchmail.conf" <<CONF
# switchmail.conf for the tests: everything under this directory
AliasFile = aliases
ServiceSwitchFile = nsswitch.conf
PasswdFile = passwd
LocalHostNamesFile = local-host-names
TestSourceFile = fixture
HostName = mail.example.com
QueueDirectory = queue
MailSpoolDirectory = mail
CONF
	printf 'aliases: files\nhosts: files\n' >"$T/nsswitch.conf" # no DNS unless a test asks
	cat >"$T/passwd" <<PW
root:x:0:0:root:/root:/bin/sh
jun:x:1001:1001:Jun:/home/jun:/bin/sh
kim:x:1002:1002:Kim:/home/kim:/bin/sh
lee:x:1003:1003:Lee:/home/lee:/bin/sh
PW
	printf 'example.com\nmail.example.org\n' >"$T/local-host-names"
	: >"$T/aliases"
	: >"$T/fixture"
	CONF="$T/switchmail.conf"
}

# free_port - a TCP port on 127.0.0.1 that nothing listens on now
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_for SECONDS COMMAND... - retry COMMAND every 0.1 s until it succeeds; 1 on timeout
wait_for() {
	local limit=$(($1 * 10)) i=0
	shift
	while ! "$@" 2>/dev/null; do
		i=$((i + 1))
		[ "$i" -ge "$limit" ] && return 1
		sleep 0.1
	done
	return 0
}

# trap_prepend CMD - run CMD first at exit, before the EXIT trap already set (once per CMD)
trap_prepend() {
	local cur=
	trap >"$T/.traps" # not $(trap): dash shows a subshell's traps there
	trap_show() {
		[ "$2" = EXIT ] && cur=$1
		return 0
	}
	eval "$(sed 's/^trap -- /trap_show /' "$T/.traps")"
	rm -f "$T/.traps"
	case $cur in *"$1"*) return 0 ;; esac
	trap "$1; ${cur:-:}" EXIT
}

# daemon_setup - add a daemon's settings to $CONF: a free port ($PORT), spool and queue under $T
daemon_setup() {
	PORT=$(free_port)
	cat >>"$CONF" <<CONF
DaemonPortOptions = Port=$PORT,Addr=127.0.0.1
PidFile = $T/switchmail.pid
HelpFile = $top_srcdir/etc/helpfile
MinBackoff = 1s
MaxBackoff = 2s
CONF
	mkdir -p "$T/mail" "$T/queue"
	chmod 1777 "$T/mail"
	trap_prepend daemon_stop
}

# daemon_start [ARGS...] - start switchmail -bD in the background, wait for its port; $DPID
daemon_start() {
	"$SM" -C "$CONF" -bD "$@" 2>>"$T/daemon.log" &
	DPID=$!
	wait_for 10 python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT), 1).close()"
}

# daemon_stop - stop the daemon started by daemon_start, by its pid
daemon_stop() {
	if [ -n "${DPID:-}" ]; then
		kill -TERM "$DPID" 2>/dev/null
		wait "$DPID" 2>/dev/null
		DPID=
	fi
}
