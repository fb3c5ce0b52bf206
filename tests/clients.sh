#!/bin/sh
# tests/clients.sh - real clients against the daemon: swaks (with PIPELINING and DSN), Python's
# smtplib, and bsd-mailx submitting through our sendmail; then a bounce and a delay warning as
# RFC 3464 reports
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
sm_setup
daemon_setup
cat >>"$CONF" <<CONF
RelayClients = 127.0.0.1
QueueWarn = 2s
QueueReturn = 5s
SmartHost = [127.0.0.1]
SmtpPort = $(free_port)
CONF
cat >"$T/aliases" <<'A'
staff: jun, kim
broken: jun, error:nouser 550 5.1.1 no such member
A
"$NEWALIASES" -C "$CONF" >/dev/null
daemon_start
ok $? "the daemon is up"

if command -v swaks >/dev/null 2>&1; then
	run swaks --server 127.0.0.1 --port "$PORT" --from sw@example.net --to staff@example.com \
		--helo swaks.example.net --pipeline --header "Subject: from swaks" --body "swaks body"
	is "$rc" 0 "swaks sends a message with PIPELINING"
	like "$T/out" '<- +250 2.0.0 [0-9A-Z]{19} Message accepted' "swaks sees 250 with the queue id"
	run swaks --server 127.0.0.1 --port "$PORT" --from sw@example.net --to nobody@example.com
	like "$T/out" '<\*\* +550 5.1.1 <nobody@example.com>' "swaks: an unknown user is refused with 550 5.1.1"
	wait_for 10 grep -q 'swaks body' "$T/mail/kim"
	ok $? "the swaks message reached kim"
else
	ok 1 "swaks is installed (./quickstart test installs it)"
fi

python3 - "$PORT" >"$T/py.out" 2>&1 <<'PY'
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]))
code, caps = s.ehlo("python.example.net")
print("dsn", s.has_extn("dsn"), "size", s.has_extn("size"))
s.mail("py@example.net", ["RET=HDRS", "ENVID=py-1"])
print("rcpt", s.rcpt("lee@example.com", ["NOTIFY=SUCCESS,FAILURE", "ORCPT=rfc822;lee@example.com"])[0])
print("data", s.data("Subject: from python\r\n\r\npython body\r\n")[0])
s.quit()
PY
like "$T/py.out" '^dsn True size True' "smtplib sees DSN and SIZE"
like "$T/py.out" '^rcpt 250' "smtplib: RCPT with NOTIFY and ORCPT accepted"
like "$T/py.out" '^data 250' "smtplib: DATA accepted"
wait_for 10 grep -q 'python body' "$T/mail/lee"
ok $? "the smtplib message reached lee"
# the NOTIFY=SUCCESS notice goes to py@example.net, another host: it waits in the queue
wait_for 10 grep -q 'delivered report .* queued' "$T/daemon.log"
ok $? "NOTIFY=SUCCESS produces a success notice for the sender"

# bsd-mailx calls our sendmail through a wrapper that names the configuration
cat >"$T/sendmail" <<W
#!/bin/sh
exec "$SM" -C "$CONF" "\$@"
W
chmod +x "$T/sendmail"
printf 'set sendmail=%s\n' "$T/sendmail" >"$T/mailrc"
if command -v bsd-mailx >/dev/null 2>&1; then
	echo "mailx body" | MAILRC="$T/mailrc" bsd-mailx -s "from mailx" kim@example.com
	ok $? "bsd-mailx submits through our sendmail"
	wait_for 10 grep -q 'mailx body' "$T/mail/kim"
	ok $? "the mailx message reached kim"
	like "$T/mail/kim" '^Subject: from mailx' "with its subject"
else
	ok 1 "bsd-mailx is installed (./quickstart test installs it)"
fi

# a bounce: one member of an alias fails for good; the sender (a local user) gets an RFC 3464 report
printf 'Subject: to a broken list\n\nlist body\n' | "$SM" -C "$CONF" -f jun@example.com broken
wait_for 10 grep -q 'multipart/report; report-type=delivery-status' "$T/mail/jun"
ok $? "the failed member comes back to the sender as a delivery status report"
like "$T/mail/jun" '^Action: failed' "Action: failed"
like "$T/mail/jun" '^Status: 5.1.1' "Status: 5.1.1"
like "$T/mail/jun" '^Diagnostic-Code: smtp; 550 5.1.1 no such member' "the diagnostic names the reason"
like "$T/mail/jun" '^From MAILER-DAEMON ' "the report's envelope sender is <>"

# a delay warning after QueueWarn and a bounce after QueueReturn for mail that cannot leave
printf 'Subject: far\n\nfar body\n' | "$SM" -C "$CONF" -f kim@example.com far@remote.example.org
wait_for 15 grep -q '^Action: delayed' "$T/mail/kim"
ok $? "a delay warning reaches the sender after QueueWarn"
wait_for 20 grep -q '^Action: failed' "$T/mail/kim"
ok $? "the message bounces after QueueReturn"
like "$T/mail/kim" 'could not be delivered for' "the bounce says why"
wait_for 10 sh -c "! ls '$T/queue' | grep -q '^[0-9A-Z]\{19\}\$' || [ \"\$(ls '$T/queue' | grep -c '^[0-9A-Z]\{19\}\$')\" -le 1 ]"
ok $? "the bounced message left the queue"
daemon_stop
done_testing
