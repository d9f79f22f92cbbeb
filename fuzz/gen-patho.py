#!/usr/bin/env python3
"""gen-patho.py - writes pathological inputs to stdout, for the limits tests.

    gen-patho.py KIND [SIZE]

Nothing it makes is committed: tests/integration/limits_*.sh pipe it into
smtpdx or into a temporary file. SIZE is a count or a byte size (K, M, G
suffixes) depending on KIND:

  big-bounce BYTES      a DSN whose notification text is BYTES long
  recipients N          a DSN with N per-recipient blocks
  nested N              N multiparts nested in each other
  parts N               one multipart with N sibling parts
  headers N             a bounce with N header fields after its MIME ones
  long-header BYTES     one folded header field of BYTES, then a bounce
                        (its header block is past the block limit)
  encoded-words N       a bounce whose Subject holds N RFC 2047 words
  long-line BYTES       one line of BYTES without a newline (log or mail)
  tiny-mbox BYTES       an mbox of small bounces, about BYTES in all
  tiny-msg              one message of that mbox (to count them)
  queue-ids N           a Postfix log opening N messages never closed
  gz-bomb BYTES         gzip data that inflates to BYTES of one long line
  log-lines BYTES       a Postfix log of mixed failure lines, about BYTES
  long-reply BYTES      one SMTP reply line "550 5.1.1 xxx..." of BYTES
  long-diag BYTES       a DSN whose one Diagnostic-Code is BYTES long
  long-from BYTES       an mbox whose first "From " line is BYTES long
  huge-returned BYTES   an mbox of two bounces, the first returning a copy
                        with a base64 attachment of BYTES
  bz2-bomb BYTES        bzip2 data that inflates to BYTES of newlines
"""
import bz2
import sys
import zlib

OUT = sys.stdout.buffer


def size(arg, default):
    if arg is None:
        return default
    mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(arg[-1:].upper(), 1)
    return int(arg.rstrip("KMGkmg")) * mult


HEAD = (b"From: Mail Delivery System <MAILER-DAEMON@mx.example.com>\n"
        b"To: alice@example.com\n"
        b"Subject: Undelivered Mail Returned to Sender\n"
        b"MIME-Version: 1.0\n")

DSN_RCPT = (b"Final-Recipient: rfc822; user%d@example.net\n"
            b"Action: failed\nStatus: 5.1.1\n"
            b"Diagnostic-Code: smtp; 550 5.1.1 <user%d@example.net>: "
            b"Recipient address rejected: User unknown\n\n")


def report(notification, rcpts=1, extra_headers=b""):
    OUT.write(HEAD +
              b'Content-Type: multipart/report; report-type=delivery-status;'
              b' boundary="B0"\n' + extra_headers +
              b'\n--B0\nContent-Type: text/plain\n\n')
    notification()
    OUT.write(b"\n--B0\nContent-Type: message/delivery-status\n\n"
              b"Reporting-MTA: dns; mx.example.com\n\n")
    chunk = []
    for i in range(rcpts):
        chunk.append(DSN_RCPT % (i, i))
        if len(chunk) == 1000:
            OUT.write(b"".join(chunk))
            chunk = []
    OUT.write(b"".join(chunk))
    OUT.write(b"--B0--\n")


def fill(nbytes, line=b"This line fills the notification text of a big "
                     b"bounce so that it is large.\n"):
    block = line * (65536 // len(line))
    while nbytes > 0:
        OUT.write(block[:nbytes])
        nbytes -= len(block)


def stream(nbytes, unit):
    block = unit * max(1, (1 << 20) // len(unit))
    while nbytes > 0:
        OUT.write(block[:nbytes])
        nbytes -= len(block)


def main():
    kind = sys.argv[1] if len(sys.argv) > 1 else ""
    arg = sys.argv[2] if len(sys.argv) > 2 else None
    if kind == "big-bounce":
        report(lambda: fill(size(arg, 15 << 20)))
    elif kind == "recipients":
        report(lambda: OUT.write(b"Delivery failed.\n"), size(arg, 100000))
    elif kind == "nested":
        n = size(arg, 10000)
        OUT.write(HEAD + b'Content-Type: multipart/mixed; boundary="b0"\n\n')
        for i in range(1, n):
            OUT.write(b'--b%d\nContent-Type: multipart/mixed; boundary="b%d"'
                      b'\n\n' % (i - 1, i))
        OUT.write(b"--b%d\nContent-Type: text/plain\n\n<deep@example.net>: "
                  b"550 5.1.1 User unknown\n" % (n - 1))
        for i in range(n - 1, -1, -1):
            OUT.write(b"--b%d--\n" % i)
    elif kind == "parts":
        n = size(arg, 100000)
        OUT.write(HEAD + b'Content-Type: multipart/mixed; boundary="p"\n\n')
        for i in range(n):
            OUT.write(b"--p\nContent-Type: text/plain\n\n<u%d@example.net>: "
                      b"550 5.1.1 User unknown\n" % i)
        OUT.write(b"--p--\n")
    elif kind == "headers":
        n = size(arg, 100000)
        extra = b"".join(b"X-Filler-%d: value %d\n" % (i, i) for i in range(n))
        report(lambda: OUT.write(b"Delivery failed.\n"), 1, extra)
    elif kind == "long-header":
        n = size(arg, 10 << 20)
        OUT.write(b"X-Long: start\n")
        stream(n, b" folded words of a very long header field\n")
        report(lambda: OUT.write(b"Delivery failed.\n"))
    elif kind == "encoded-words":
        n = size(arg, 100000)
        words = b" ".join([b"=?UTF-8?B?w6l0w6k=?="] * n)
        report(lambda: OUT.write(b"Delivery failed.\n"), 1,
               b"X-Encoded: " + words + b"\n")
    elif kind == "long-line":
        stream(size(arg, 64 << 20), b"a")
    elif kind in ("tiny-mbox", "tiny-msg"):
        msg = (b"From MAILER-DAEMON Mon Mar  2 10:00:00 2026\n" + HEAD +
               b"Content-Type: multipart/report; report-type=delivery-status;"
               b' boundary="t"\n\n--t\nContent-Type: text/plain\n\nfailed\n'
               b"--t\nContent-Type: message/delivery-status\n\n"
               b"Reporting-MTA: dns; mx.example.com\n\n" + (DSN_RCPT % (1, 1)) +
               b"--t--\n\n")
        if kind == "tiny-msg":
            OUT.write(msg)
        else:
            stream(size(arg, 1 << 30) // len(msg) * len(msg), msg)
    elif kind == "queue-ids":
        n = size(arg, 1000000)
        buf = []
        for i in range(n):
            buf.append(b"Mar  2 10:%02d:%02d mx postfix/qmgr[900]: %010X: "
                       b"from=<s%d@example.com>, size=900, nrcpt=1 "
                       b"(queue active)\n" % ((i // 60) % 60, i % 60, i, i))
            if len(buf) == 10000:
                OUT.write(b"".join(buf))
                buf = []
        OUT.write(b"".join(buf))
    elif kind == "log-lines":
        line = (b"Mar  2 10:00:02 mx postfix/smtp[2103]: 4ZAbc1Def2: "
                b"to=<bob@example.net>, relay=mx.example.net[192.0.2.7]:25, "
                b"delay=1.2, delays=0.1/0/0.5/0.6, dsn=5.1.1, status=bounced "
                b"(host mx.example.net[192.0.2.7] said: 550 5.1.1 "
                b"<bob@example.net>: Recipient address rejected: User "
                b"unknown (in reply to RCPT TO command))\n")
        stream(size(arg, 100 << 20) // len(line) * len(line), line)
    elif kind == "long-reply":
        OUT.write(b"550 5.1.1 ")
        stream(size(arg, 1 << 20), b"x")
        OUT.write(b"\n")
    elif kind == "long-diag":
        n = size(arg, 1 << 20)
        OUT.write(HEAD + b'Content-Type: multipart/report; '
                  b'report-type=delivery-status; boundary="B0"\n\n'
                  b"--B0\nContent-Type: text/plain\n\nDelivery failed.\n"
                  b"--B0\nContent-Type: message/delivery-status\n\n"
                  b"Reporting-MTA: dns; mx.example.com\n\n"
                  b"Final-Recipient: rfc822; bob@example.net\n"
                  b"Action: failed\nStatus: 5.1.1\n"
                  b"Diagnostic-Code: smtp; 550 5.1.1 User unknown ")
        stream(n, b"x")
        OUT.write(b"\n\n--B0--\n")
    elif kind == "long-from":
        OUT.write(b"From ")
        stream(size(arg, 65 << 20), b"a")
        OUT.write(b"\nSubject: lost\n\nbody\n")
    elif kind == "huge-returned":
        sep = b"From MAILER-DAEMON Mon Mar  2 10:00:00 2026\n"
        OUT.write(sep + HEAD +
                  b'Content-Type: multipart/report; '
                  b'report-type=delivery-status; boundary="B0"\n\n'
                  b"--B0\nContent-Type: text/plain\n\nDelivery failed.\n"
                  b"--B0\nContent-Type: message/delivery-status\n\n"
                  b"Reporting-MTA: dns; mx.example.com\n\n" +
                  (DSN_RCPT % (1, 1)) +
                  b"--B0\nContent-Type: message/rfc822\n\n"
                  b"From: alice@example.com\nSubject: the big one\n"
                  b'Content-Type: multipart/mixed; boundary="A"\n\n'
                  b"--A\nContent-Type: text/plain\n\nsee attached\n"
                  b"--A\nContent-Type: application/octet-stream\n"
                  b"Content-Transfer-Encoding: base64\n\n")
        stream(size(arg, 80 << 20) // 77 * 77, b"QUJD" * 19 + b"\n")
        OUT.write(b"--A--\n\n--B0--\n\n" + sep + HEAD +
                  b'Content-Type: multipart/report; '
                  b'report-type=delivery-status; boundary="B0"\n\n'
                  b"--B0\nContent-Type: message/delivery-status\n\n"
                  b"Reporting-MTA: dns; mx.example.com\n\n" +
                  (DSN_RCPT % (2, 2)) + b"--B0--\n")
    elif kind == "bz2-bomb":
        z = bz2.BZ2Compressor(9)
        block = b"\n" * (1 << 20)
        for _ in range(size(arg, 1 << 30) >> 20):
            OUT.write(z.compress(block))
        OUT.write(z.flush())
    elif kind == "gz-bomb":
        z = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: gzip framing
        block = b"a" * (1 << 20)
        for _ in range(size(arg, 256 << 20) >> 20):
            OUT.write(z.compress(block))
        OUT.write(z.flush())
    else:
        sys.stderr.write(__doc__)
        return 2
    OUT.flush()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:
        sys.exit(0)
