#!/usr/bin/env python3
"""tests/sink.py - a scriptable SMTP server that keeps what it receives (the tests' remote MX host)

usage: sink.py --listen ADDR:PORT --dir DIR [options]

Listens on ADDR:PORT (IPv4, or IPv6 as [ADDR]:PORT), one thread per
session, and keeps going until SIGTERM or SIGINT. Standard library only.

Files in DIR:
  msg.0001, msg.0002, ...  one per message accepted at the end of data,
      created by rename, so a file that exists is complete; written before
      the 250 reply is sent. Layout: envelope lines ended by LF
          X-Sink-Helo: NAME            (as given in EHLO/HELO)
          X-Sink-From: <ADDR>[ PARAMS] (the ESMTP parameters as sent)
          X-Sink-Rcpt: <ADDR>[ PARAMS] (one per accepted recipient)
          X-Sink-TLS: VERSION CIPHER   (only when the session was in TLS)
      then the data exactly as received (CRLF line ends) with the
      dot-stuffing undone and without the final ".".
  log        every command line of every session, raw, one per line,
      appended before the command is answered.
  pipelined  the command lines that arrived while more input was already
      waiting behind them (the client did not wait for the reply).
  --pidfile  the pid, written once the socket listens (by rename).

Options:
  --name NAME            the name in the greeting and EHLO reply (default sink.test)
  --greeting TEXT        the greeting instead of "220 NAME ESMTP sink"; a
                         newline in TEXT separates reply lines. A greeting not
                         starting with "2" gets 503 for every command but QUIT.
  --no-ehlo              EHLO gets 502 (the client must fall back to HELO)
  --no-pipelining --no-dsn --no-8bitmime --no-size
                         do not offer that extension. Without PIPELINING, a
                         command arriving before the previous one was
                         answered gets "554 5.5.0 Error: SMTP protocol
                         synchronization" and the session ends; so it does
                         always after EHLO, HELO, DATA, NOOP, VRFY, EXPN
                         (RFC 2920 group ends) and before the greeting.
  --starttls             offer STARTTLS: with --tls-cert and --tls-key the
                         handshake follows the 220 (whatever the client sent
                         behind STARTTLS is discarded), the session starts
                         afresh and EHLO no longer offers it; without them
                         STARTTLS is answered 454
  --tls-cert FILE --tls-key FILE  the server's certificate and key (PEM)
  --tls-only             MAIL before STARTTLS gets 530 5.7.0 (implies --starttls)
  --tls-inject TEXT      send TEXT (Python escapes understood) in plaintext
                         right after the 220 to STARTTLS: a response injection
                         the client must discard
  --max-size N           offer SIZE N; a larger SIZE= or message gets 552 5.3.4
  --mail-reply 'CODE TEXT'       answer MAIL with this
  --rcpt-reply 'REGEX=CODE TEXT' answer RCPT with this when REGEX matches the
                         address (re.search; the last "=" followed by a code
                         splits); repeatable, the first match wins
  --fail-first N         the first N RCPTs (of the process) get 451 4.3.0
  --data-cmd-reply 'CODE TEXT'   answer the DATA command with this instead of 354
  --data-reply 'CODE TEXT'       answer the end of data with this (no file is
                         written unless it is 2xx)
  --close-after-mail     answer MAIL with 421 4.3.2 and close
  --stall-at STAGE       at STAGE stop answering and read until the client
                         closes; STAGE: greeting ehlo mail rcpt data dot quit
  --drop-at STAGE        at STAGE close the connection without an answer
A reply given as an option may hold several lines separated by newlines;
each is sent as written. Any 421 reply closes the session after it.
"""
import argparse
import os
import re
import select
import signal
import socket
import socketserver
import sys
import ssl
import threading

STAGES = ("greeting", "ehlo", "mail", "rcpt", "data", "dot", "quit")
GROUP_ENDS = (b"EHLO", b"HELO", b"DATA", b"NOOP", b"VRFY", b"EXPN")
LINE_MAX = 1 << 20

cfg = None
lock = threading.Lock()
counters = {"msg": 0, "rcpt": 0}


class Closed(Exception):
    """the session is over"""


def append(name, line):
    """append one raw line to DIR/name"""
    with lock:
        with open(os.path.join(cfg.dir, name), "ab") as f:
            f.write(line + b"\n")


def reply_lines(spec):
    """a reply option as wire bytes"""
    return b"".join(l.encode("latin-1") + b"\r\n" for l in spec.split("\n"))


def reply_code(data):
    try:
        return int(data[:3])
    except ValueError:
        return 0


class Session(socketserver.BaseRequestHandler):
    def setup(self):
        self.buf = b""
        self.helo = None
        self.tls = None
        self.reset()

    def reset(self):
        self.sender = None
        self.mail_params = ""
        self.rcpts = []

    # --- I/O -------------------------------------------------------------
    def send(self, data):
        if isinstance(data, str):
            data = reply_lines(data)
        self.request.sendall(data)
        if reply_code(data) == 421:
            raise Closed()

    def pending(self):
        """more input waits behind the line just taken"""
        if self.buf:
            return True
        if self.tls is not None and self.request.pending():
            return True
        r, _, _ = select.select([self.request], [], [], 0)
        if not r:
            return False
        if self.tls is not None:
            return True  # bytes of some record wait; no MSG_PEEK through TLS
        try:
            return bool(self.request.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT))
        except OSError:
            return False

    def readline(self):
        """one line without its CRLF; Closed at end of input"""
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                line, self.buf = self.buf[:i], self.buf[i + 2:]
                return line
            if len(self.buf) > LINE_MAX:
                raise Closed()
            data = self.request.recv(65536)
            if not data:
                raise Closed()
            self.buf += data

    def stall(self):
        while self.request.recv(65536):
            pass
        raise Closed()

    def stage(self, name):
        if cfg.stall_at == name:
            self.stall()
        if cfg.drop_at == name:
            raise Closed()

    # --- the session ----------------------------------------------------------
    def handle(self):
        try:
            self.session()
        except (Closed, OSError):
            pass

    def session(self):
        self.stage("greeting")
        if self.pending():
            self.send("554 5.5.0 Error: SMTP protocol synchronization")
            return
        greeting = cfg.greeting if cfg.greeting is not None else "220 %s ESMTP sink" % cfg.name
        self.send(greeting)
        serving = greeting.startswith("2")
        while True:
            line = self.readline()
            append("log", line)
            ahead = self.pending()
            if ahead:
                append("pipelined", line)
            verb = line.split(b" ", 1)[0].upper()
            if ahead and (verb in GROUP_ENDS or (not cfg.pipelining and verb != b"QUIT")):
                self.send("554 5.5.0 Error: SMTP protocol synchronization")
                return
            if verb == b"QUIT":
                self.stage("quit")
                self.send("221 2.0.0 Bye")
                return
            if not serving:
                self.send("503 5.5.1 Error: no service")
                continue
            handler = getattr(self, "cmd_" + verb.decode("latin-1").lower(), None)
            if handler is None or not verb.isalpha():
                self.send("502 5.5.2 Error: command not recognized")
                continue
            handler(line)

    def cmd_ehlo(self, line):
        self.stage("ehlo")
        if cfg.no_ehlo:
            self.send("502 5.5.2 Error: command not recognized")
            return
        self.helo = line[5:].decode("latin-1")
        self.reset()
        ext = []
        if cfg.pipelining:
            ext.append("PIPELINING")
        if cfg.size:
            ext.append("SIZE %d" % cfg.max_size if cfg.max_size else "SIZE")
        if cfg.eightbit:
            ext.append("8BITMIME")
        if cfg.dsn:
            ext.append("DSN")
        if cfg.starttls and self.tls is None:
            ext.append("STARTTLS")
        ext.append("HELP")
        lines = [cfg.name] + ext
        out = "\n".join("250%s%s" % ("-" if i < len(lines) - 1 else " ", l) for i, l in enumerate(lines))
        self.send(out)

    def cmd_helo(self, line):
        self.helo = line[5:].decode("latin-1")
        self.reset()
        self.send("250 %s" % cfg.name)

    def cmd_mail(self, line):
        self.stage("mail")
        if self.helo is None:
            self.send("503 5.5.1 Error: send HELO/EHLO first")
            return
        if self.sender is not None:
            self.send("503 5.5.1 Error: nested MAIL command")
            return
        if cfg.tls_only and self.tls is None:
            self.send("530 5.7.0 Must issue a STARTTLS command first")
            return
        m = re.match(rb"(?i)^MAIL FROM:\s*<([^<>]*)>(.*)$", line)
        if not m:
            self.send("501 5.5.4 Syntax: MAIL FROM:<address>")
            return
        params = m.group(2).decode("latin-1").strip()
        if cfg.close_after_mail:
            self.send("421 4.3.2 %s closing connection" % cfg.name)
        size = re.search(r"(?i)(?:^| )SIZE=(\d+)", params)
        if cfg.max_size and size and int(size.group(1)) > cfg.max_size:
            self.send("552 5.3.4 Message size exceeds fixed limit")
            return
        rep = cfg.mail_reply or "250 2.1.0 Ok"
        if rep.startswith("2"):
            self.sender = m.group(1).decode("latin-1")
            self.mail_params = params
        self.send(rep)

    def cmd_rcpt(self, line):
        self.stage("rcpt")
        if self.sender is None:
            self.send("503 5.5.1 Error: need MAIL command")
            return
        m = re.match(rb"(?i)^RCPT TO:\s*<([^<>]*)>(.*)$", line)
        if not m:
            self.send("501 5.5.4 Syntax: RCPT TO:<address>")
            return
        addr = m.group(1).decode("latin-1")
        rep = None
        with lock:
            counters["rcpt"] += 1
            if counters["rcpt"] <= cfg.fail_first:
                rep = "451 4.3.0 Error: try again later"
        for regex, r in cfg.rcpt_rules:
            if rep is None and regex.search(addr):
                rep = r
        rep = rep or "250 2.1.5 Ok"
        if rep.startswith("2"):
            self.rcpts.append((addr, m.group(2).decode("latin-1").strip()))
        self.send(rep)

    def cmd_data(self, line):
        self.stage("data")
        if self.sender is None:
            self.send("503 5.5.1 Error: need MAIL command")
            return
        if not self.rcpts:
            self.send("554 5.5.1 Error: no valid recipients")
            return
        if cfg.data_cmd_reply:
            self.send(cfg.data_cmd_reply)
            if not cfg.data_cmd_reply.startswith("3"):
                self.reset()
                return
        else:
            self.send("354 End data with <CR><LF>.<CR><LF>")
        data = []
        size = 0
        while True:
            l = self.readline()
            if l == b".":
                break
            if l.startswith(b"."):
                l = l[1:]
            data.append(l + b"\r\n")
            size += len(l) + 2
        self.stage("dot")
        if cfg.max_size and size > cfg.max_size:
            rep = "552 5.3.4 Message size exceeds fixed limit"
        elif cfg.data_reply:
            rep = cfg.data_reply
        else:
            rep = None
        if rep is None or rep.startswith("2"):
            with lock:
                counters["msg"] += 1
                n = counters["msg"]
            name = "msg.%04d" % n
            if rep is None:
                rep = "250 2.0.0 Ok: queued as %s" % name
            env = "X-Sink-Helo: %s\n" % self.helo
            env += "X-Sink-From: <%s>%s\n" % (self.sender, " " + self.mail_params if self.mail_params else "")
            for a, p in self.rcpts:
                env += "X-Sink-Rcpt: <%s>%s\n" % (a, " " + p if p else "")
            if self.tls is not None:
                env += "X-Sink-TLS: %s %s\n" % (self.tls[0], self.tls[1])
            tmp = os.path.join(cfg.dir, ".tmp.%d" % n)
            with open(tmp, "wb") as f:
                f.write(env.encode("latin-1") + b"".join(data))
            os.rename(tmp, os.path.join(cfg.dir, name))
        self.reset()
        self.send(rep)

    def cmd_rset(self, line):
        self.reset()
        self.send("250 2.0.0 Ok")

    def cmd_noop(self, line):
        self.send("250 2.0.0 Ok")

    def cmd_vrfy(self, line):
        self.send("252 2.0.0 Cannot verify")

    def cmd_starttls(self, line):
        if not cfg.starttls:
            self.send("502 5.5.2 Error: command not recognized")
            return
        if self.tls is not None:
            self.send("503 5.5.1 Error: TLS already active")
            return
        if cfg.tls_ctx is None:
            self.send("454 4.7.0 TLS not available")
            return
        self.send(reply_lines("220 2.0.0 Ready to start TLS") + cfg.tls_inject)
        self.buf = b""  # CVE-2011-0411: nothing read before the handshake counts
        try:
            self.request = cfg.tls_ctx.wrap_socket(self.request, server_side=True)
        except (ssl.SSLError, OSError) as e:
            append("log", b"(TLS handshake failed: " + str(e).encode("latin-1", "replace") + b")")
            raise Closed()
        self.tls = (self.request.version(), self.request.cipher()[0])
        append("log", ("(TLS %s %s)" % self.tls).encode("latin-1"))
        self.helo = None
        self.reset()


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    request_queue_size = 64


def parse_args(argv):
    p = argparse.ArgumentParser(description="scriptable SMTP sink for the tests")
    p.add_argument("--listen", required=True)
    p.add_argument("--dir", required=True)
    p.add_argument("--name", default="sink.test")
    p.add_argument("--pidfile")
    p.add_argument("--greeting")
    p.add_argument("--no-ehlo", action="store_true")
    p.add_argument("--no-pipelining", dest="pipelining", action="store_false")
    p.add_argument("--no-dsn", dest="dsn", action="store_false")
    p.add_argument("--no-8bitmime", dest="eightbit", action="store_false")
    p.add_argument("--no-size", dest="size", action="store_false")
    p.add_argument("--starttls", action="store_true")
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    p.add_argument("--tls-only", action="store_true")
    p.add_argument("--tls-inject", default="")
    p.add_argument("--max-size", type=int, default=0)
    p.add_argument("--mail-reply")
    p.add_argument("--rcpt-reply", action="append", default=[])
    p.add_argument("--fail-first", type=int, default=0)
    p.add_argument("--data-cmd-reply")
    p.add_argument("--data-reply")
    p.add_argument("--close-after-mail", action="store_true")
    p.add_argument("--stall-at", choices=STAGES)
    p.add_argument("--drop-at", choices=STAGES)
    a = p.parse_args(argv)
    a.starttls = a.starttls or a.tls_only
    a.tls_inject = a.tls_inject.encode("latin-1").decode("unicode_escape").encode("latin-1")
    a.tls_ctx = None
    if a.tls_cert:
        a.tls_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        a.tls_ctx.load_cert_chain(a.tls_cert, a.tls_key)
    a.rcpt_rules = []
    for spec in a.rcpt_reply:
        m = re.match(r"^(.*)=(\d{3}(?:[ -].*)?)$", spec, re.S)
        if not m:
            p.error("--rcpt-reply wants REGEX=CODE TEXT: %r" % spec)
        a.rcpt_rules.append((re.compile(m.group(1)), m.group(2)))
    return a


def main():
    global cfg
    cfg = parse_args(sys.argv[1:])
    host, _, port = cfg.listen.rpartition(":")
    host = host.strip("[]")
    Server.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
    server = Server((host, int(port)), Session)

    def stop(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if cfg.pidfile:
        tmp = cfg.pidfile + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % os.getpid())
        os.rename(tmp, cfg.pidfile)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        if cfg.pidfile:
            try:
                os.unlink(cfg.pidfile)
            except OSError:
                pass


main()
