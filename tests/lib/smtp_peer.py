#!/usr/bin/env python3
"""smtp_peer.py - the receiving side for the fixtures that make a real MTA
write bounces: a small SMTP server on 127.0.0.1 that answers each RCPT TO
by the local part of the address, and keeps every message it accepts as
a file in OUTDIR (the bounces the MTA under test sends back).

    python3 tests/lib/smtp_peer.py PORT OUTDIR

Local parts: bob 550 5.1.1 (unknown), full 552 5.2.2 (over quota), spam
554 5.7.1 (block list), busy 451 4.3.0 (temporary); any other is
accepted, and a message for content is then refused after its text
(554 5.7.1, spam content). A file is first written under a dot name and then renamed, so
that a reader never sees half a message.
"""
import itertools
import os
import socketserver
import sys

REPLIES = {
    'bob': '550 5.1.1 <bob@remote.test>: Recipient address rejected: '
           'User unknown in local recipient table',
    'full': '552 5.2.2 <full@remote.test>: Mailbox full, quota exceeded',
    'spam': '554 5.7.1 Service unavailable; Client host [127.0.0.1] '
            'blocked using zen.example.org',
    'busy': '451 4.3.0 Temporary lookup failure, try again later',
}
# refused only once the message text is in, as a content filter does
AFTER_DATA = {
    'content': '554 5.7.1 Message refused: spam content detected',
}
OUT = sys.argv[2]
SERIAL = itertools.count(1)


class Session(socketserver.StreamRequestHandler):
    def say(self, line):
        self.wfile.write((line + '\r\n').encode())

    def handle(self):
        self.say('220 mx.remote.test ESMTP ready')
        keep, lines, in_data, refuse = False, [], False, None
        for raw in self.rfile:
            line = raw.decode('latin-1').rstrip('\r\n')
            if in_data:
                if line != '.':
                    lines.append(line[1:] if line.startswith('..') else line)
                    continue
                in_data = False
                if refuse:
                    self.say(refuse)
                    continue
                self.say('250 2.0.0 Ok: queued')
                if keep:
                    name = 'msg-%d.eml' % next(SERIAL)
                    tmp = os.path.join(OUT, '.' + name)
                    with open(tmp, 'w', encoding='latin-1') as f:
                        f.write('\n'.join(lines) + '\n')
                    os.rename(tmp, os.path.join(OUT, name))
                continue
            verb = line[:4].upper()
            if verb in ('EHLO', 'HELO'):
                self.say('250 mx.remote.test')
            elif verb == 'MAIL':
                keep, lines, refuse = False, [], None
                self.say('250 2.1.0 Ok')
            elif verb == 'RCPT':
                local = line.split('<', 1)[-1].split('@', 1)[0].lower()
                self.say(REPLIES.get(local, '250 2.1.5 Ok'))
                keep = keep or local not in REPLIES
                refuse = refuse or AFTER_DATA.get(local)
            elif verb == 'DATA':
                in_data = True
                self.say('354 End data with <CR><LF>.<CR><LF>')
            elif verb == 'RSET':
                keep, lines, refuse = False, [], None
                self.say('250 2.0.0 Ok')
            elif verb == 'QUIT':
                self.say('221 2.0.0 Bye')
                return
            else:
                self.say('502 5.5.2 Error: command not recognized')


class Server(socketserver.ThreadingTCPServer):
    # an MTA may hold one connection open while it opens another
    allow_reuse_address = True
    daemon_threads = True


Server(('127.0.0.1', int(sys.argv[1])), Session).serve_forever()
