#!/usr/bin/env python3
"""tests/smtp.py - raw SMTP conversations for the shell tests.

usage: smtp.py PORT SCRIPT
SCRIPT is a sequence of lines; "> text" sends text with CRLF, ">> text" sends it raw
(Python escapes such as \\r \\n \\x00 understood, no CRLF added), "<" reads one reply
(all its lines) and prints it, "sleep N" waits. Every reply read is printed on stdout.
"""
import socket
import sys
import time


def read_reply(f):
    lines = []
    while True:
        line = f.readline()
        if not line:
            lines.append("(closed)")
            break
        line = line.decode("latin-1").rstrip("\r\n")
        lines.append(line)
        if len(line) < 4 or line[3] != "-":
            break
    return "\n".join(lines)


def main():
    port = int(sys.argv[1])
    script = open(sys.argv[2]).read().splitlines() if sys.argv[2] != "-" else sys.stdin.read().splitlines()
    s = socket.create_connection(("127.0.0.1", port), 10)
    s.settimeout(30)
    f = s.makefile("rb")
    for cmd in script:
        if cmd.startswith(">> "):
            s.sendall(cmd[3:].encode("latin-1").decode("unicode_escape").encode("latin-1"))
        elif cmd.startswith("> "):
            s.sendall(cmd[2:].encode("latin-1") + b"\r\n")
        elif cmd == "<":
            try:
                print(read_reply(f))
            except socket.timeout:
                print("(timeout)")
        elif cmd.startswith("sleep "):
            time.sleep(float(cmd[6:]))
    sys.stdout.flush()


main()
