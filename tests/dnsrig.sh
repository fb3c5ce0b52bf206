# tests/dnsrig.sh - DNS servers for the shell tests: nsd with generated zones, and a fault responder
#
# Sourced after tests/lib.sh and sm_setup. Provides:
#   nsd_start ZONE=FILE...  a private nsd on 127.0.0.1 at a free port serving each ZONE from FILE;
#                           sets NSD_PORT and NSD_PID; returns 1 if it does not answer
#   nsd_stop                stops it by its pid (safe to call twice)
#   dnsfault_start RULE...  tests/dnsfault.py on 127.0.0.1 at a free port (UDP and TCP), rules
#                           NAME=MODE as dnsfault.py takes them; sets FAULT_PORT, FAULT_PID and
#                           FAULT_LOG (one line per query: "udp NAME TYPE")
#   dnsfault_stop           stops it by its pid (safe to call twice)
#   dns_conf [PORT]         appends DnsResolver = 127.0.0.1@PORT (default $NSD_PORT),
#                           DnsTimeout = 2s and HostsFile = hosts ($T/hosts, created empty if
#                           missing) to $CONF, and adds "hosts: files dns" to $T/nsswitch.conf
#   dns_ask PORT NAME TYPE  one UDP query with dnslib; prints the rcode and the answer records
#   dnsrig_stop             both stops
#   dnsrig_require          skips the whole test (TAP) when nsd or python3-dnslib is missing
# Starting a server puts dnsrig_stop in front of the EXIT trap already set (lib.sh's
# trap_prepend), once.

DNS_PYTHON=/usr/bin/python3 # Debian's python, which has python3-dnslib
NSD=/usr/sbin/nsd

# dnsrig_require - end the test with a TAP skip when nsd or python3-dnslib is missing
dnsrig_require() {
	if [ ! -x "$NSD" ] || ! "$DNS_PYTHON" -c 'import dnslib' 2>/dev/null; then
		echo "1..0 # SKIP nsd or python3-dnslib is not installed"
		exit 0
	fi
}

# dnsrig_trap - put dnsrig_stop in front of the EXIT trap already set, once
dnsrig_trap() {
	trap_prepend dnsrig_stop
}

# dnsrig_stop - stop every server this file started
dnsrig_stop() {
	nsd_stop
	dnsfault_stop
}

# dns_ask PORT NAME TYPE - print "RCODE" and one line per answer record; 1 if nothing answers
dns_ask() {
	"$DNS_PYTHON" - "$@" <<'PY'
import socket, sys
from dnslib import DNSRecord, RCODE
port, name, qtype = int(sys.argv[1]), sys.argv[2], sys.argv[3]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.5)
s.sendto(DNSRecord.question(name, qtype).pack(), ("127.0.0.1", port))
try:
    r = DNSRecord.parse(s.recv(65535))
except OSError:
    sys.exit(1)
print(RCODE.get(r.header.rcode))
for rr in r.rr:
    print(rr.toZone())
PY
}

# nsd_start ZONE=FILE... - start a private nsd serving the zones; NSD_PORT, NSD_PID
nsd_start() {
	local z zone file first try
	dnsrig_trap
	mkdir -p "$T/nsd"
	first=${1%%=*}
	for try in 1 2 3; do
		NSD_PORT=$(free_port)
		cat >"$T/nsd/nsd.conf" <<CONF
# nsd.conf for the tests: one process, no privileges dropped, everything under $T/nsd
server:
	ip-address: 127.0.0.1
	port: $NSD_PORT
	username: ""
	chroot: ""
	zonesdir: "$T/nsd"
	pidfile: "$T/nsd/nsd.pid"
	database: ""
	zonelistfile: "$T/nsd/zone.list"
	xfrdfile: "$T/nsd/xfrd.state"
	xfrdir: "$T/nsd"
	logfile: "$T/nsd/nsd.log"
	server-count: 1
	reuseport: no
	do-ip6: no
	hide-version: yes
	verbosity: 1
remote-control:
	control-enable: no
CONF
		for z in "$@"; do
			zone=${z%%=*}
			file=${z#*=}
			case $file in /*) ;; *) file="$PWD/$file" ;; esac
			printf 'zone:\n\tname: "%s"\n\tzonefile: "%s"\n' "$zone" "$file" >>"$T/nsd/nsd.conf"
		done
		if ! nsd-checkconf "$T/nsd/nsd.conf" >"$T/nsd/checkconf.out" 2>&1; then
			sed 's/^/# nsd-checkconf: /' "$T/nsd/checkconf.out"
			return 1
		fi
		"$NSD" -d -c "$T/nsd/nsd.conf" >>"$T/nsd/stderr" 2>&1 &
		NSD_PID=$!
		if wait_for 10 nsd_answers "$first"; then
			return 0
		fi
		nsd_stop # the port was taken after all, or the zone did not load
	done
	echo "# nsd does not answer; its log:"
	sed 's/^/#   /' "$T/nsd/nsd.log" "$T/nsd/stderr" 2>/dev/null | tail -20
	return 1
}

# nsd_answers ZONE - does nsd answer the zone's SOA (and is it still running)?
nsd_answers() {
	kill -0 "$NSD_PID" 2>/dev/null || return 0 # gone: stop waiting, nsd_start sees it next
	dns_ask "$NSD_PORT" "$1" SOA 2>/dev/null | head -1 | grep -qx NOERROR
}

# nsd_stop - stop nsd by its pid and wait for it and for its server processes
nsd_stop() {
	local kids
	if [ -n "${NSD_PID:-}" ]; then
		kids=$(ps -o pid= --ppid "$NSD_PID" 2>/dev/null)
		kill -TERM "$NSD_PID" 2>/dev/null
		wait "$NSD_PID" 2>/dev/null
		NSD_PID=
		[ -z "$kids" ] || wait_for 5 nsd_gone $kids
	fi
	return 0
}

# nsd_gone PID... - have these processes exited (or are they zombies)?
nsd_gone() {
	local p
	for p in "$@"; do
		case $(ps -o stat= -p "$p" 2>/dev/null) in
		'' | Z*) ;;
		*) return 1 ;;
		esac
	done
	return 0
}

# dnsfault_start RULE... - start tests/dnsfault.py; FAULT_PORT, FAULT_PID, FAULT_LOG
dnsfault_start() {
	local try
	dnsrig_trap
	FAULT_LOG="$T/dnsfault.log"
	: >"$FAULT_LOG"
	for try in 1 2 3; do
		FAULT_PORT=$(free_port)
		rm -f "$T/dnsfault.pid"
		"$DNS_PYTHON" "$top_srcdir/tests/dnsfault.py" "$FAULT_PORT" "$T/dnsfault.pid" "$FAULT_LOG" \
			"$@" 2>>"$T/dnsfault.err" &
		FAULT_PID=$!
		if wait_for 10 dnsfault_ready; then
			if kill -0 "$FAULT_PID" 2>/dev/null; then
				return 0
			fi
		fi
		dnsfault_stop
	done
	echo "# dnsfault.py did not start:"
	sed 's/^/#   /' "$T/dnsfault.err" | tail -10
	return 1
}

# dnsfault_ready - has dnsfault.py bound its sockets (or died)?
dnsfault_ready() {
	[ -s "$T/dnsfault.pid" ] || ! kill -0 "$FAULT_PID" 2>/dev/null
}

# dnsfault_stop - stop dnsfault.py by its pid and wait for it
dnsfault_stop() {
	if [ -n "${FAULT_PID:-}" ]; then
		kill -TERM "$FAULT_PID" 2>/dev/null
		wait "$FAULT_PID" 2>/dev/null
		FAULT_PID=
	fi
	return 0
}

# dns_conf [PORT] - point the dns source at 127.0.0.1@PORT and put it on the hosts line
dns_conf() {
	cat >>"$CONF" <<CONF
DnsResolver = 127.0.0.1@${1:-$NSD_PORT}
DnsTimeout = 2s
HostsFile = hosts
CONF
	[ -f "$T/hosts" ] || : >"$T/hosts"
	printf 'hosts: files dns\n' >>"$T/nsswitch.conf"
}
