# tests/golden/config.sh - the golden configuration, for switchmail and for sendmail
#
# Sourced by tests/golden.sh (switchmail only) and tests/golden/regen.sh (both).
#
#	golden_files SRC DIR	copy the shared data (aliases with @DIR@ filled in, the
#				:include: list, the .forward files under DIR/fwd) into DIR
#	golden_switchmail SRC DIR SMBUILD	switchmail.conf and its tables in DIR
#	golden_sendmail SRC DIR	sendmail.mc, sendmail.cf and its maps in DIR
#				(needs sendmail-env.sh's sm_env_setup first)
#
# Both sides: host name mail.example.com; class w (local-host-names) example.com and
# mail.example.org; virtual domain virt.example.net; the users of tests/golden/passwd (the
# same lines as every Debian /etc/passwd, since sendmail reads the real one); ForwardPath
# DIR/fwd/$u+$h:DIR/fwd/$u (sendmail reads the real home directories, which we may not
# write, so both sides look for .forward files under DIR/fwd by user name); no DNS.

golden_files() {
	mkdir -p "$2/fwd" || return 1
	chmod 755 "$2" "$2/fwd"
	sed "s|@DIR@|$2|g" "$1/aliases" >"$2/aliases"
	cp "$1/list" "$1/local-host-names" "$1/virtuser-domains" "$2/"
	cp "$1"/forward/* "$2/fwd/"
	chmod 644 "$2/aliases" "$2/list" "$2"/fwd/*
	printf '127.0.0.1 localhost\n' >"$2/hosts"
}

golden_switchmail() {
	golden_files "$1" "$2" || return 1
	cat >"$2/switchmail.conf" <<CONF
# switchmail.conf equivalent to tests/golden/sendmail.mc
AliasFile = aliases
ServiceSwitchFile = nsswitch.conf
PasswdFile = passwd
LocalHostNamesFile = local-host-names
HostName = mail.example.com
HostsFile = hosts
SendmailVarsFile = sendmailvars
VirtUserTable = virtusertable
VirtUserDomainsFile = virtuser-domains
MailerTable = mailertable
ForwardPath = $2/fwd/\$u+\$h:$2/fwd/\$u
ForwardMinUid = 1
QueueDirectory = queue
MailSpoolDirectory = mail
CONF
	printf 'aliases: files\nhosts: files\nsendmailvars: files\n' >"$2/nsswitch.conf"
	: >"$2/sendmailvars"
	# the .forward owner must be the user (or root): when not root, the users are ours
	uid=$(id -u)
	if [ "$uid" -eq 0 ]; then
		cp "$1/passwd" "$2/passwd"
	else
		awk -F: -v OFS=: -v u="$uid" '$3 != 0 { $3 = u } 1' "$1/passwd" >"$2/passwd"
	fi
	"$3/newaliases" -C "$2/switchmail.conf" >/dev/null || return 1
	grep -v '^#' "$1/virtusertable" | "$3/makemap" hash "$2/virtusertable" || return 1
	grep -v '^#' "$1/mailertable" | "$3/makemap" hash "$2/mailertable" || return 1
}

golden_sendmail() {
	golden_files "$1" "$2" || return 1
	mkdir -p "$2/mqueue"
	chmod 700 "$2/mqueue"
	sed "s|@DIR@|$2|g" "$1/sendmail.mc" >"$2/sendmail.mc"
	sm_env_cf "$2" "$2/sendmail.mc" "$2/sendmail.cf" || return 1
	printf 'hosts files\naliases files\n' >"$2/service.switch"
	"$SENDMAIL" -C "$2/sendmail.cf" -bi >/dev/null 2>&1 || return 1
	grep -v '^#' "$1/virtusertable" | "$SM_MAKEMAP" -C "$2/sendmail.cf" hash "$2/virtusertable" 2>/dev/null|| return 1
	grep -v '^#' "$1/mailertable" | "$SM_MAKEMAP" -C "$2/sendmail.cf" hash "$2/mailertable" 2>/dev/null|| return 1
}

# golden_run CASES CMD... - run CMD [OPTIONS] -bv ADDRESS for every case of CASES and print
# one block a case: "=== N<TAB>OPTIONS<TAB>ADDRESS", the lines on standard output, "exit: N".
# N counts the cases (comment lines excluded), so a case keeps its number in both files.
golden_run() {
	gr_cases=$1
	shift
	gr_n=0
	tab=$(printf '\t')
	grep -v '^#' "$gr_cases" | while IFS=$tab read -r gr_opts gr_addr; do
		gr_n=$((gr_n + 1))
		printf '=== %s\t%s\t%s\n' "$gr_n" "$gr_opts" "$gr_addr"
		if [ "$gr_opts" = - ]; then
			"$@" -bv "$gr_addr" 2>/dev/null
		else
			# shellcheck disable=SC2086 # OPTIONS are words
			"$@" $gr_opts -bv "$gr_addr" 2>/dev/null
		fi
		echo "exit: $?"
	done
}
