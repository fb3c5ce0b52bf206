# tests/slapd.sh - private slapd instances for the LDAP tests
#
# Sourced after tests/lib.sh and sm_setup (it needs $T, $top_srcdir, free_port and
# wait_for). Every instance lives in $T/slapd-NAME (slapd.conf, an mdb database, a log,
# an ldapi socket) and listens on 127.0.0.1 at a port found free with free_port, which it
# keeps across restarts. Every instance this file starts is stopped by its pid: by
# slapd_stop, or at exit (slapd_start puts slapd_stop_all in front of the EXIT trap
# already set, with lib.sh's trap_prepend).
#
#	slapd_available                 0 if slapd, slaptest, slapadd and ldap-utils are installed
#	slapd_init NAME [GLOBAL [DB [ldaps]]]
#	                                write $T/slapd-NAME/slapd.conf: the standard schemas
#	                                (core cosine nis inetorgperson misc) and ours
#	                                (schema/sendmail.schema, schema/mailgroup.schema),
#	                                back_mdb, suffix dc=example,dc=com, rootdn
#	                                cn=admin,dc=example,dc=com (password "secret");
#	                                GLOBAL and DB are extra lines for the global and the
#	                                database section; "ldaps" adds an ldaps:// listener on
#	                                a second port. Runs slaptest on it (status returned).
#	slapd_start NAME                start it (in the foreground, -d 0, in the background of
#	                                this shell) and wait until it answers a search; 1 if not
#	slapd_stop NAME                 SIGTERM (after SIGCONT), wait, SIGKILL after 5 s;
#	                                safe to call twice or for an instance never started
#	slapd_freeze NAME / slapd_thaw NAME   SIGSTOP / SIGCONT
#	slapd_pid NAME, slapd_port NAME, slapd_uri NAME, slapd_ldaps_uri NAME,
#	slapd_ldapi_uri NAME            what they say (the ldapi URI is %-encoded)
#	slapd_add NAME FILE             ldapadd as the rootdn from an LDIF file
#	slapd_modify NAME FILE          ldapmodify as the rootdn
#	slapd_count NAME FILTER         how many entries match FILTER (anonymous)
#	slapd_pair PROVIDER CONSUMER    a syncrepl pair: PROVIDER with the syncprov overlay,
#	                                CONSUMER replicating dc=example,dc=com from it
#	                                (refreshAndPersist, retry every second); both
#	                                initialised, neither started
#	slapd_stop_all                  stop every instance started here

SLAPD=${SLAPD:-/usr/sbin/slapd}
SLAPTEST=${SLAPTEST:-/usr/sbin/slaptest}
SLAPADD=${SLAPADD:-/usr/sbin/slapadd}
LDAP_SUFFIX="dc=example,dc=com"
LDAP_ROOTDN="cn=admin,dc=example,dc=com"
LDAP_ROOTPW="secret"
LDAP_SCHEMA_DIR=${LDAP_SCHEMA_DIR:-/etc/ldap/schema}
slapd_started=""

# slapd_available - are the programs the rig needs installed?
slapd_available() {
	[ -x "$SLAPD" ] && [ -x "$SLAPTEST" ] && [ -x "$SLAPADD" ] &&
		command -v ldapsearch >/dev/null && command -v ldapadd >/dev/null &&
		[ -f "$LDAP_SCHEMA_DIR/misc.schema" ]
}

# slapd_dir NAME - the instance's directory
slapd_dir() {
	echo "$T/slapd-$1"
}

slapd_pid() { cat "$(slapd_dir "$1")/pid" 2>/dev/null; }
slapd_port() { cat "$(slapd_dir "$1")/port"; }
slapd_uri() { echo "ldap://127.0.0.1:$(slapd_port "$1")/"; }
slapd_ldaps_uri() { echo "ldaps://127.0.0.1:$(cat "$(slapd_dir "$1")/ldaps_port")/"; }
slapd_ldapi_uri() {
	echo "ldapi://$(slapd_dir "$1" | sed 's,/,%2F,g')%2Fldapi/"
}

# slapd_init NAME [GLOBAL [DB [ldaps]]] - configuration and empty database; slaptest's status
slapd_init() {
	local name=$1 global=${2:-} db=${3:-} d
	d=$(slapd_dir "$name")
	mkdir -p "$d/db"
	[ -f "$d/port" ] || free_port >"$d/port"
	if [ "${4:-}" = ldaps ] && [ ! -f "$d/ldaps_port" ]; then
		free_port >"$d/ldaps_port"
	fi
	cat >"$d/slapd.conf" <<CONF
# slapd.conf of the test instance $name
include $LDAP_SCHEMA_DIR/core.schema
include $LDAP_SCHEMA_DIR/cosine.schema
include $LDAP_SCHEMA_DIR/nis.schema
include $LDAP_SCHEMA_DIR/inetorgperson.schema
include $LDAP_SCHEMA_DIR/misc.schema
include $top_srcdir/schema/sendmail.schema
include $top_srcdir/schema/mailgroup.schema
pidfile $d/slapd.pid
argsfile $d/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
$global

database mdb
maxsize 104857600
suffix "$LDAP_SUFFIX"
rootdn "$LDAP_ROOTDN"
rootpw $LDAP_ROOTPW
directory $d/db
index objectClass eq
index cn,mail,mailLocalAddress,sendmailMTAKey eq
index entryCSN,entryUUID eq
$db
CONF
	"$SLAPTEST" -Q -u -f "$d/slapd.conf" >"$d/slaptest.out" 2>&1
}

# slapd_listeners NAME - the -h argument
slapd_listeners() {
	local d
	d=$(slapd_dir "$1")
	printf '%s %s' "$(slapd_uri "$1")" "$(slapd_ldapi_uri "$1")"
	[ -f "$d/ldaps_port" ] && printf ' %s' "$(slapd_ldaps_uri "$1")"
}

# slapd_answers NAME - does the instance answer a search of its root DSE?
slapd_answers() {
	ldapsearch -x -LLL -o nettimeout=2 -l 2 -H "$(slapd_uri "$1")" -b "" -s base '(objectClass=*)' \
		namingContexts >/dev/null 2>&1
}

# slapd_start NAME - start the instance and wait until it answers
slapd_start() {
	local name=$1 d
	d=$(slapd_dir "$name")
	trap_prepend slapd_stop_all
	"$SLAPD" -d 0 -f "$d/slapd.conf" -h "$(slapd_listeners "$name")" >>"$d/log" 2>&1 &
	echo $! >"$d/pid"
	case " $slapd_started " in
	*" $name "*) ;;
	*) slapd_started="$slapd_started $name" ;;
	esac
	wait_for 10 slapd_answers "$name"
}

# slapd_stop NAME - stop the instance by its pid (safe twice)
slapd_stop() {
	local d pid i=0
	d=$(slapd_dir "$1")
	pid=$(cat "$d/pid" 2>/dev/null)
	[ -n "$pid" ] || return 0
	kill -CONT "$pid" 2>/dev/null
	kill -TERM "$pid" 2>/dev/null
	while kill -0 "$pid" 2>/dev/null && [ "$i" -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rm -f "$d/pid"
	return 0
}

# slapd_freeze NAME / slapd_thaw NAME - stop and resume the process (SIGSTOP, SIGCONT)
slapd_freeze() { kill -STOP "$(slapd_pid "$1")"; }
slapd_thaw() { kill -CONT "$(slapd_pid "$1")"; }

# slapd_stop_all - stop every instance started here
slapd_stop_all() {
	local n
	for n in $slapd_started; do
		slapd_stop "$n"
	done
}

# slapd_add NAME FILE / slapd_modify NAME FILE - write to the directory as the rootdn
slapd_add() {
	ldapadd -x -H "$(slapd_uri "$1")" -D "$LDAP_ROOTDN" -w "$LDAP_ROOTPW" -f "$2" \
		>>"$(slapd_dir "$1")/ldapadd.log" 2>&1
}
slapd_modify() {
	ldapmodify -x -H "$(slapd_uri "$1")" -D "$LDAP_ROOTDN" -w "$LDAP_ROOTPW" -f "$2" \
		>>"$(slapd_dir "$1")/ldapadd.log" 2>&1
}

# slapd_count NAME FILTER - the number of entries that match (as the rootdn, so ACLs do not hide any)
slapd_count() {
	ldapsearch -x -LLL -H "$(slapd_uri "$1")" -D "$LDAP_ROOTDN" -w "$LDAP_ROOTPW" -b "$LDAP_SUFFIX" \
		"$2" dn 2>/dev/null | grep -c '^dn:'
}

# slapd_pair PROVIDER CONSUMER - a provider with syncprov and a consumer replicating it
slapd_pair() {
	local p=$1 c=$2 puri
	slapd_init "$p" "moduleload syncprov" "overlay syncprov
syncprov-checkpoint 100 1" || return 1
	puri=$(slapd_uri "$p")
	slapd_init "$c" "" "syncrepl rid=001 provider=$puri type=refreshAndPersist retry=\"1 +\"
	searchbase=\"$LDAP_SUFFIX\" bindmethod=simple binddn=\"$LDAP_ROOTDN\" credentials=$LDAP_ROOTPW"
}
