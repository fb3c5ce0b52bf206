#!/usr/bin/python3
"""tests/dnsfault.py - a scripted DNS responder for the fault tests of the dns source

Usage: dnsfault.py PORT PIDFILE LOGFILE RULE...

Listens on 127.0.0.1:PORT over UDP and TCP, writes its pid to PIDFILE
once both sockets are bound, logs one line per query to LOGFILE
("udp NAME TYPE" or "tcp NAME TYPE") and exits on SIGTERM. Each RULE is
NAME=MODE; a rule applies to NAME and every name under it, the longest
NAME winning; an argument "@FILE" reads further rules from FILE (one per
line, "#" comments). A name no rule covers gets REFUSED. Modes (N is the
rule's name):

  normal         MX at N: 10 mx1.N, 20 mx2.N; every name under N (and N):
                 A 192.0.2.10 and AAAA 2001:db8::10
  normal/ADDR    the same with A ADDR and no AAAA
  servfail       SERVFAIL
  refused        REFUSED
  nxdomain       NXDOMAIN (with the SOA)
  nodata         NOERROR, no records (with the SOA)
  nullmx         MX at N: 0 .; other types: no data
  mx-mixed-null  MX at N: 0 . and 10 mx1.N
  mx-cname       MX at N: 10 mx.N; mx.N is a CNAME to host.N, which has
                 A 192.0.2.20 (an A query for mx.N gets the CNAME and the A)
  truncate       over UDP: TC=1 and no records; over TCP: as normal
  aaaa-servfail  as normal, except that AAAA queries get SERVFAIL
  timeout        never answers

SIGHUP reads the rules again (from the same arguments and files).
"""
import os
import signal
import socketserver
import sys
import threading

from dnslib import AAAA, CNAME, MX, QTYPE, RCODE, RR, SOA, A, DNSLabel, DNSRecord

TTL = 300
rules = {}
log_lock = threading.Lock()
log_fp = None


def load_rules(args):
    """NAME=MODE arguments and @FILE references into the rules table"""
    for arg in args:
        if arg.startswith("@"):
            with open(arg[1:]) as fp:
                load_rules(line.split("#")[0].strip() for line in fp if line.split("#")[0].strip())
            continue
        name, _, mode = arg.partition("=")
        rules[name.lower().rstrip(".")] = mode


def reload(args):
    """the rules again, from the same arguments"""
    rules.clear()
    load_rules(args)


def find_rule(qname):
    """(rule name, mode) for a query name, or (None, None)"""
    name = qname.lower().rstrip(".")
    best = None
    for rname in rules:
        if name == rname or name.endswith("." + rname):
            if best is None or len(rname) > len(best):
                best = rname
    return (best, rules[best]) if best else (None, None)


def soa(zone):
    return RR(zone, QTYPE.SOA, ttl=TTL,
              rdata=SOA("ns." + zone, "hostmaster." + zone, (1, 3600, 900, 604800, TTL)))


def addresses(reply, qname, qtype, v4="192.0.2.10", v6="2001:db8::10"):
    if qtype in (QTYPE.A, QTYPE.ANY):
        reply.add_answer(RR(qname, QTYPE.A, ttl=TTL, rdata=A(v4)))
    if qtype in (QTYPE.AAAA, QTYPE.ANY):
        reply.add_answer(RR(qname, QTYPE.AAAA, ttl=TTL, rdata=AAAA(v6)))


def answer(data, proto):
    """the reply to one query, as bytes, or None to stay silent"""
    try:
        req = DNSRecord.parse(data)
    except Exception:
        return None
    q = req.q
    qname = str(q.qname).rstrip(".").lower()
    qtype = q.qtype
    with log_lock:
        log_fp.write("%s %s %s\n" % (proto, qname, QTYPE.get(qtype)))
        log_fp.flush()
    reply = req.reply()  # QR, AA, RD copied, the question, the id
    zone, mode = find_rule(qname)
    v4 = None
    if mode is not None and mode.startswith("normal/"):
        mode, v4 = "normal", mode[7:]
    if mode is None:
        reply.header.rcode = RCODE.REFUSED
        reply.header.aa = 0
        return reply.pack()
    if mode == "timeout":
        return None
    if mode == "truncate" and proto == "udp":
        reply.header.tc = 1
        return reply.pack()
    if mode == "aaaa-servfail":
        mode = "servfail" if qtype == QTYPE.AAAA else "normal"
    if mode == "servfail":
        reply.header.rcode = RCODE.SERVFAIL
        reply.header.aa = 0
    elif mode == "refused":
        reply.header.rcode = RCODE.REFUSED
        reply.header.aa = 0
    elif mode == "nxdomain":
        reply.header.rcode = RCODE.NXDOMAIN
        reply.add_auth(soa(zone))
    elif mode == "nodata":
        reply.add_auth(soa(zone))
    elif mode in ("nullmx", "mx-mixed-null"):
        if qname == zone and qtype == QTYPE.MX:
            reply.add_answer(RR(q.qname, QTYPE.MX, ttl=TTL, rdata=MX(DNSLabel("."), 0)))
            if mode == "mx-mixed-null":
                reply.add_answer(RR(q.qname, QTYPE.MX, ttl=TTL, rdata=MX("mx1." + zone, 10)))
        else:
            reply.add_auth(soa(zone))
    elif mode == "mx-cname":
        if qname == zone and qtype == QTYPE.MX:
            reply.add_answer(RR(q.qname, QTYPE.MX, ttl=TTL, rdata=MX("mx." + zone, 10)))
        elif qname == "mx." + zone:
            reply.add_answer(RR(q.qname, QTYPE.CNAME, ttl=TTL, rdata=CNAME("host." + zone)))
            if qtype == QTYPE.A:
                reply.add_answer(RR("host." + zone, QTYPE.A, ttl=TTL, rdata=A("192.0.2.20")))
            else:
                reply.add_auth(soa(zone))
        elif qname == "host." + zone and qtype == QTYPE.A:
            reply.add_answer(RR(q.qname, QTYPE.A, ttl=TTL, rdata=A("192.0.2.20")))
        else:
            reply.add_auth(soa(zone))
    elif mode in ("normal", "truncate"):
        if qname == zone and qtype == QTYPE.MX:
            reply.add_answer(RR(q.qname, QTYPE.MX, ttl=TTL, rdata=MX("mx1." + zone, 10)))
            reply.add_answer(RR(q.qname, QTYPE.MX, ttl=TTL, rdata=MX("mx2." + zone, 20)))
        elif v4 is not None and qtype == QTYPE.A:
            reply.add_answer(RR(q.qname, QTYPE.A, ttl=TTL, rdata=A(v4)))
        elif v4 is None and qtype in (QTYPE.A, QTYPE.AAAA, QTYPE.ANY):
            addresses(reply, q.qname, qtype)
        else:
            reply.add_auth(soa(zone))
    else:
        reply.header.rcode = RCODE.SERVFAIL
    return reply.pack()


class UDPHandler(socketserver.BaseRequestHandler):
    def handle(self):
        data, sock = self.request
        out = answer(data, "udp")
        if out is not None:
            sock.sendto(out, self.client_address)


class TCPHandler(socketserver.BaseRequestHandler):
    def handle(self):
        conn = self.request
        conn.settimeout(10)
        try:
            while True:
                head = self.recv_all(2)
                if head is None:
                    return
                data = self.recv_all(int.from_bytes(head, "big"))
                if data is None:
                    return
                out = answer(data, "tcp")
                if out is None:
                    continue
                conn.sendall(len(out).to_bytes(2, "big") + out)
        except OSError:
            return

    def recv_all(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.request.recv(n - len(buf))
            if not chunk:
                return None
            buf += chunk
        return buf


class UDPServer(socketserver.ThreadingMixIn, socketserver.UDPServer):
    daemon_threads = True


class TCPServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    global log_fp
    if len(sys.argv) < 4:
        sys.stderr.write(__doc__)
        return 64
    port, pidfile, logfile = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    load_rules(sys.argv[4:])
    log_fp = open(logfile, "a")
    udp = UDPServer(("127.0.0.1", port), UDPHandler)
    tcp = TCPServer(("127.0.0.1", port), TCPHandler)
    for srv in (udp, tcp):
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda signo, frame: done.set())
    signal.signal(signal.SIGINT, lambda signo, frame: done.set())
    signal.signal(signal.SIGHUP, lambda signo, frame: reload(sys.argv[4:]))
    with open(pidfile + ".tmp", "w") as fp:
        fp.write("%d\n" % os.getpid())
    os.rename(pidfile + ".tmp", pidfile)
    while not done.wait(1):
        pass
    udp.shutdown()
    tcp.shutdown()
    udp.server_close()
    tcp.server_close()
    os.unlink(pidfile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
