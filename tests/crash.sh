#!/bin/sh
# tests/crash.sh - durability: 300 messages over SMTP while the daemon is killed with SIGKILL
# at 5 random moments and restarted; every message that got 250 must be delivered, byte for
# byte; duplicates are counted and reported
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
sm_setup
daemon_setup
mkdir -p "$T/home/jun"
chmod 755 "$T/home"
uid=$(id -u)
[ "$uid" -eq 0 ] && uid=1001
chown "$uid" "$T/home/jun"
sed -i "s|^jun:.*|jun:x:$uid:$uid:Jun:$T/home/jun:/bin/sh|" "$T/passwd"
cat >>"$CONF" <<CONF
MailboxFormat = maildir
CONF
"$NEWALIASES" -C "$CONF" >/dev/null

# the daemon in a session of its own, so that SIGKILL reaches the whole process group
start() {
	setsid "$SM" -C "$CONF" -bD 2>>"$T/daemon.log" &
	DPID=$!
	wait_for 10 python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT), 1).close()"
}
start
ok $? "the daemon is up"

python3 - "$PORT" "$T/acked" >"$T/client.out" 2>&1 <<'PY' &
import hashlib, smtplib, sys, time
port, acked = int(sys.argv[1]), sys.argv[2]
n, sent, retries = 300, 0, 0
with open(acked, "w") as log:
    i = 0
    while i < n:
        body = "Subject: crash %d\r\nX-Crash-Id: %d\r\n\r\n" % (i, i) + ("line %d of message %d\r\n" % (0, i)) * (1 + i % 7)
        try:
            s = smtplib.SMTP("127.0.0.1", port, timeout=10)
            s.sendmail("c@example.net", ["jun@example.com"], body)
            try:
                s.quit()
            except Exception:
                pass
        except Exception:
            retries += 1
            time.sleep(0.05)
            continue
        log.write("%d %s\n" % (i, hashlib.sha256(body.encode()).hexdigest()))
        log.flush()
        i += 1
        time.sleep(0.01)
print("retries", retries)
PY
CLIENT=$!

# five kills at random moments while the client works
kills=0
for delay in $(python3 -c 'import random; print(" ".join("%.2f" % random.uniform(0.1, 0.6) for _ in range(5)))'); do
	sleep "$delay"
	kill -KILL "-$DPID" 2>/dev/null && kills=$((kills + 1))
	wait "$DPID" 2>/dev/null
	wait_for 10 sh -c "! kill -0 -$DPID"
	start
done
is "$kills" 5 "the daemon was killed 5 times"
wait "$CLIENT"
ok $? "the client got 250 for all 300 messages (it retries what was not acknowledged)"
sed 's/^/# /' "$T/client.out"
is "$(wc -l <"$T/acked")" "300" "300 acknowledged messages in the ledger"

# drain: every acknowledged message must arrive
python3 - "$T/home/jun/Maildir" "$T/acked" >"$T/check.out" <<'PY'
import hashlib, os, sys, time
md, acked = sys.argv[1], sys.argv[2]
want = dict(l.split() for l in open(acked))
deadline = time.time() + 60
while True:
    got = {}
    bad = 0
    for name in os.listdir(os.path.join(md, "new")) if os.path.isdir(os.path.join(md, "new")) else []:
        data = open(os.path.join(md, "new", name), "rb").read().decode()
        head, _, rest = data.partition("\n\n")
        # the message as sent: our header lines without the ones delivery adds
        lines = data.split("\n")
        start = next(i for i, l in enumerate(lines) if l.startswith("Subject: crash"))
        msg = "\r\n".join(lines[start:])
        if msg.endswith("\r\n"):
            pass
        cid = [l for l in lines if l.startswith("X-Crash-Id: ")][0].split()[1]
        h = hashlib.sha256(msg.encode()).hexdigest()
        got.setdefault(cid, []).append(h)
    missing = [k for k in want if k not in got]
    if not missing or time.time() > deadline:
        break
    time.sleep(0.5)
wrong = [k for k in want if k in got and any(h != want[k] for h in got[k])]
dups = sum(len(v) - 1 for v in got.values())
print("missing", len(missing))
print("wrong", len(wrong))
print("duplicates", dups)
print("unacked", len([k for k in got if k not in want]))
tmp = os.path.join(md, "tmp")
print("tmpfiles", len(os.listdir(tmp)) if os.path.isdir(tmp) else 0)
PY
sed 's/^/# /' "$T/check.out"
like "$T/check.out" '^missing 0$' "every acknowledged message was delivered"
like "$T/check.out" '^wrong 0$' "every delivered copy is byte-identical to what was sent"
like "$T/check.out" '^unacked 0$' "nothing was delivered that was never sent"
wait_for 20 sh -c "! ls '$T/queue' | grep -q '^[0-9A-Z]\{19\}\$'"
ok $? "the queue drains after the crashes"
[ -z "$(ls "$T/queue" | grep '^\.tmp-')" ]
ok $? "no temporary queue files survive"
is "$(ls "$T/queue/corrupt" 2>/dev/null | wc -l)" "0" "no queue file was damaged"
kill -TERM "$DPID" 2>/dev/null
wait "$DPID" 2>/dev/null
DPID=
done_testing
