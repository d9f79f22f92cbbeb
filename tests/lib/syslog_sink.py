#!/usr/bin/env python3
"""syslog_sink.py - a minimal syslog daemon for the fixtures: it listens on
a Unix datagram socket (where syslog(3) sends, /dev/log) and appends each
message to a file as a classic syslog daemon writes it:
"Mmm dd hh:mm:ss HOST tag[pid]: message".

    python3 tests/lib/syslog_sink.py SOCKET FILE HOST

glibc sends "<PRI>Mmm dd hh:mm:ss tag[pid]: message"; the priority is
dropped and the host name put after the stamp, nothing else is changed.
It runs until it is killed.
"""
import os
import re
import socket
import sys

STAMP = re.compile(rb"^<\d{1,3}>([A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d) (.*)$", re.S)


def main():
    path, out, host = sys.argv[1], sys.argv[2], sys.argv[3].encode()
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    os.chmod(path, 0o666)
    with open(out, "ab", buffering=0) as f:
        while True:
            data = sock.recv(65536).rstrip(b"\n\0")
            m = STAMP.match(data)
            if m:
                line = m.group(1) + b" " + host + b" " + m.group(2)
            else:
                line = data
            f.write(line.replace(b"\n", b" ") + b"\n")


if __name__ == "__main__":
    main()
