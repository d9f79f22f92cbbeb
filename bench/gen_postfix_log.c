/*
 * gen_postfix_log.c - writes a large, realistic Postfix log for the
 * 'smtpdx log' benchmark.
 *
 *   gen_postfix_log [MEGABYTES] > maillog        (default 1024)
 *
 * Each message goes through the lines a busy Postfix writes for it:
 * smtpd connect, client=, cleanup message-id=, qmgr from= (queue active),
 * one smtp status line per recipient, qmgr removed, smtpd disconnect.
 * About 78% of deliveries are sent, 12% deferred (greylisting, rate
 * limits, connection failures, full mailboxes, retried later), 5% bounced
 * (unknown users, blocklists, relay denied); 6% of sessions are rejected
 * at RCPT (NOQUEUE) and some end in anvil's concurrency warning. Reply
 * texts are the shapes real providers send, with varying recipients and
 * trace tokens so that no two bounces read the same. The output is the
 * same for the same size (a fixed-seed generator), so runs compare.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
    /* xorshift64*: fast and good enough to pick lines */
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return (uint32_t)((rng * 2685821657736338717ull) >> 32);
}

static uint32_t pick(uint32_t n)
{
    return rnd() % n;
}

static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May",
                                     "Jun", "Jul", "Aug", "Sep", "Oct",
                                     "Nov", "Dec"};
static const char *const users[] = {
    "anna", "ben", "chloe", "david", "emma", "felix", "grace", "henry",
    "info", "jobs", "kate", "leo", "mia", "noah", "olivia", "paul",
    "sales", "support", "tom", "uma", "victor", "wendy", "xavier", "zoe"};
static const char *const domains[] = {
    "gmail.com", "outlook.com", "yahoo.com", "hotmail.com", "gmx.de",
    "web.de", "orange.fr", "icloud.com", "example.org", "corp-mail.net",
    "shop-online.example", "uni-research.edu", "small-biz.co.uk",
    "mailbox.org", "comcast.net", "t-online.de"};
static const char *const mx[] = {
    "gmail-smtp-in.l.google.com[142.250.27.26]",
    "outlook-com.olc.protection.outlook.com[52.101.68.18]",
    "mta7.am0.yahoodns.net[67.195.204.72]",
    "hotmail-com.olc.protection.outlook.com[52.101.8.44]",
    "mx00.emig.gmx.net[212.227.15.9]",
    "mx-ha03.web.de[212.227.17.8]",
    "smtp-in.orange.fr[80.12.24.82]",
    "mx01.mail.icloud.com[17.57.154.33]",
    "mx1.example.org[192.0.2.25]",
    "mx.corp-mail.net[198.51.100.17]",
    "mail.shop-online.example[203.0.113.45]",
    "mx.uni-research.edu[192.0.2.100]",
    "mx.small-biz.co.uk[198.51.100.88]",
    "mx1.mailbox.org[80.241.60.212]",
    "mx2.comcast.net[96.114.157.81]",
    "mx00.t-online.de[194.25.134.8]"};
static const char *const senders[] = {
    "newsletter@news.acme.example", "noreply@billing.acme.example",
    "alice@acme.example", "bob@acme.example", "hr@acme.example",
    "orders@shop.acme.example", "<>"};
static const char *const clients[] = {
    "app1.acme.example[10.0.0.11]", "app2.acme.example[10.0.0.12]",
    "web.acme.example[10.0.0.20]", "unknown[198.51.100.201]",
    "mail-ed1-f41.google.com[209.85.208.41]"};

typedef struct sink {
    char *buf;
    size_t len, cap;
    uint64_t total, limit;
} sink;

static void emit(sink *s, const char *line, int n)
{
    if (n <= 0)
        return;
    if (s->len + (size_t)n > s->cap) {
        fwrite(s->buf, 1, s->len, stdout);
        s->len = 0;
    }
    memcpy(s->buf + s->len, line, (size_t)n);
    s->len += (size_t)n;
    s->total += (uint64_t)n;
}

static char stamp[32];
static uint64_t now_ms = 0;

static void tick(uint32_t ms)
{
    now_ms += ms;
    uint64_t t = now_ms / 1000;
    /* 30 days of November, then on through December */
    unsigned day = (unsigned)(t / 86400), mon = 10;
    if (day >= 30) {
        day -= 30;
        mon = 11;
    }
    if (day > 30)
        day = 30;
    unsigned h = (unsigned)(t / 3600 % 24), m = (unsigned)(t / 60 % 60),
             sec = (unsigned)(t % 60);
    snprintf(stamp, sizeof stamp, "%s %2u %02u:%02u:%02u", months[mon],
             day + 1, h, m, sec);
}

static void qid(char *out, uint32_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    uint32_t a = rnd();
    for (int i = 0; i < 11; i++) {
        out[i] = hex[(i < 5 ? (n >> (i * 4)) : (a >> ((i - 5) * 4))) & 15];
    }
    out[11] = '\0';
}

/* A deferral or bounce reply for recipient r at destination d. */
static int reply(char *out, size_t cap, int hard, const char *r, unsigned d,
                 char *dsn)
{
    uint32_t tok = rnd();
    if (!hard) {
        switch (pick(7)) {
        case 0:
            snprintf(dsn, 16, "%s", "4.2.0");
            return snprintf(out, cap,
                            "host %s said: 450 4.2.0 <%s>: Recipient "
                            "address rejected: Greylisted, see "
                            "http://postgrey.schweikert.ch/help/%s.html (in "
                            "reply to RCPT TO command)",
                            mx[d], r, domains[d]);
        case 1:
            snprintf(dsn, 16, "%s", "4.7.28");
            return snprintf(out, cap,
                            "host %s said: 421-4.7.28 Gmail has detected an "
                            "unusual rate of unsolicited mail originating "
                            "from your SPF domain. To protect our users "
                            "from spam, mail sent from your domain has been "
                            "temporarily rate limited. 421 4.7.28 "
                            "https://support.google.com/mail/?p=UnsolicitedRateLimitError "
                            "d2e1a72fcca58-%08x%04xsi%u.%u - gsmtp (in reply "
                            "to end of DATA command)",
                            mx[0], tok, tok & 0xffff, tok % 1000000,
                            tok % 997);
        case 2:
            snprintf(dsn, 16, "%s", "4.4.1");
            return snprintf(out, cap,
                            "connect to %s:25: Connection timed out", mx[d]);
        case 3:
            snprintf(dsn, 16, "%s", "4.2.2");
            return snprintf(out, cap,
                            "host %s said: 452 4.2.2 The email account that "
                            "you tried to reach is over quota. Please direct "
                            "the recipient to "
                            "https://support.google.com/mail/?p=OverQuotaTemp "
                            "%08x.%u - gsmtp (in reply to RCPT TO command)",
                            mx[0], tok, tok % 9973);
        case 4:
            snprintf(dsn, 16, "%s", "4.7.0");
            return snprintf(out, cap,
                            "host %s said: 421 4.7.0 [TSS04] Messages from "
                            "198.51.100.7 temporarily deferred due to "
                            "unexpected volume or user complaints - "
                            "4.16.55.1; see "
                            "https://postmaster.yahooinc.com/error-codes (in "
                            "reply to MAIL FROM command)",
                            mx[2]);
        case 5:
            snprintf(dsn, 16, "%s", "4.3.0");
            return snprintf(out, cap,
                            "host %s said: 451 4.3.0 Temporary server error. "
                            "Please try again later ATTR5 [%08X.eurprd0%u."
                            "prod.outlook.com] (in reply to end of DATA "
                            "command)",
                            mx[1], tok, tok % 9);
        default:
            snprintf(dsn, 16, "%s", "4.4.2");
            return snprintf(out, cap,
                            "lost connection with %s while receiving the "
                            "initial server greeting",
                            mx[d]);
        }
    }
    switch (pick(5)) {
    case 0:
        snprintf(dsn, 16, "%s", "5.1.1");
        return snprintf(out, cap,
                        "host %s said: 550-5.1.1 The email account that you "
                        "tried to reach does not exist. Please try 550-5.1.1 "
                        "double-checking the recipient's email address for "
                        "typos or 550-5.1.1 unnecessary spaces. 550 5.1.1 "
                        "https://support.google.com/mail/?p=NoSuchUser "
                        "a640c23a62f3a-%08x%04xsi%u.%u - gsmtp (in reply to "
                        "RCPT TO command)",
                        mx[0], tok, tok & 0xffff, tok % 1000000, tok % 991);
    case 1:
        snprintf(dsn, 16, "%s", "5.5.0");
        return snprintf(out, cap,
                        "host %s said: 550 5.5.0 Requested action not "
                        "taken: mailbox unavailable (S2017062302). (in reply "
                        "to RCPT TO command)",
                        mx[1]);
    case 2:
        snprintf(dsn, 16, "%s", "5.7.1");
        return snprintf(out, cap,
                        "host %s said: 554 5.7.1 Service unavailable; Client "
                        "host [198.51.100.7] blocked using "
                        "zen.spamhaus.org; "
                        "https://www.spamhaus.org/query/ip/198.51.100.7 (in "
                        "reply to RCPT TO command)",
                        mx[d]);
    case 3:
        snprintf(dsn, 16, "%s", "5.1.1");
        return snprintf(out, cap,
                        "host %s said: 550 5.1.1 <%s>: Recipient address "
                        "rejected: User unknown in virtual mailbox table (in "
                        "reply to RCPT TO command)",
                        mx[d], r);
    default:
        snprintf(dsn, 16, "%s", "5.2.2");
        return snprintf(out, cap,
                        "host %s said: 552 5.2.2 <%s>: Mailbox full (in reply "
                        "to RCPT TO command)",
                        mx[d], r);
    }
}

int main(int argc, char **argv)
{
    long mb = argc > 1 ? strtol(argv[1], NULL, 10) : 1024;
    if (mb <= 0)
        mb = 1024;
    sink s = {malloc(1u << 20), 0, 1u << 20, 0, (uint64_t)mb << 20};
    if (s.buf == NULL)
        return 1;
    char line[2048], text[1024], id[16], rcpt[128], dsn[16];
    uint32_t n = 0, pid = 4000;
    while (s.total < s.limit) {
        n++;
        tick(5 + pick(30));
        const char *client = clients[pick(5)];
        uint32_t spid = pid + pick(300);
        emit(&s, line, snprintf(line, sizeof line,
                                "%s mail postfix/smtpd[%u]: connect from %s\n",
                                stamp, spid, client));
        if (pick(100) < 6) {
            /* rejected at RCPT, never queued */
            unsigned d = pick(16);
            static const char *const rej[] = {
                "554 5.7.1 <%s>: Relay access denied",
                "550 5.1.1 <%s>: Recipient address rejected: User unknown "
                "in virtual mailbox table",
                "450 4.2.0 <%s>: Recipient address rejected: Greylisted, "
                "see http://postgrey.schweikert.ch/help/acme.example.html",
                "450 4.7.1 <%s>: Helo command rejected: Host not found"};
            snprintf(rcpt, sizeof rcpt, "%s%u@%s", users[pick(24)], pick(999),
                     pick(2) ? "acme.example" : domains[d]);
            int k = (int)pick(4);
            char r[512];
            snprintf(r, sizeof r, rej[k], rcpt);
            emit(&s, line,
                 snprintf(line, sizeof line,
                          "%s mail postfix/smtpd[%u]: NOQUEUE: reject: RCPT "
                          "from %s: %s; from=<spam%u@%s> to=<%s> "
                          "proto=ESMTP helo=<%s>\n",
                          stamp, spid, client, r, pick(9999), domains[d], rcpt,
                          "bulk.example"));
            if (pick(8) == 0)
                emit(&s, line,
                     snprintf(line, sizeof line,
                              "%s mail postfix/smtpd[%u]: warning: "
                              "Connection concurrency limit exceeded: 51 "
                              "from %s for service smtp\n",
                              stamp, spid, client));
            emit(&s, line,
                 snprintf(line, sizeof line,
                          "%s mail postfix/smtpd[%u]: disconnect from %s "
                          "ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4\n",
                          stamp, spid, client));
            continue;
        }
        qid(id, n);
        const char *from = senders[pick(7)];
        emit(&s, line, snprintf(line, sizeof line,
                                "%s mail postfix/smtpd[%u]: %s: client=%s\n",
                                stamp, spid, id, client));
        emit(&s, line,
             snprintf(line, sizeof line,
                      "%s mail postfix/cleanup[%u]: %s: "
                      "message-id=<%u.%08x@acme.example>\n",
                      stamp, pid + 400 + pick(20), id, n, rnd()));
        unsigned nrcpt = 1 + (pick(10) == 0 ? pick(4) : 0);
        emit(&s, line,
             snprintf(line, sizeof line,
                      "%s mail postfix/qmgr[%u]: %s: from=<%s>, size=%u, "
                      "nrcpt=%u (queue active)\n",
                      stamp, pid - 100, id,
                      strcmp(from, "<>") == 0 ? "" : from,
                      900 + pick(80000), nrcpt));
        emit(&s, line, snprintf(line, sizeof line,
                                "%s mail postfix/smtpd[%u]: disconnect from "
                                "%s ehlo=1 mail=1 rcpt=1 data=1 quit=1 "
                                "commands=5\n",
                                stamp, spid, client));
        int deferred = 0;
        for (unsigned i = 0; i < nrcpt; i++) {
            unsigned d = pick(16);
            snprintf(rcpt, sizeof rcpt, "%s.%u@%s", users[pick(24)], pick(5000),
                     domains[d]);
            tick(pick(900));
            uint32_t roll = pick(100);
            uint32_t smtp = pid + 600 + pick(100);
            double delay = (double)pick(4000) / 1000.0;
            if (roll < 78) {
                emit(&s, line,
                     snprintf(line, sizeof line,
                              "%s mail postfix/smtp[%u]: %s: to=<%s>, "
                              "relay=%s:25, delay=%.2f, "
                              "delays=0.01/0.01/%.2f/0.3, dsn=2.0.0, "
                              "status=sent (250 2.0.0 OK  %u %08x - gsmtp)\n",
                              stamp, smtp, id, rcpt, mx[d], delay,
                              delay / 2, 1732000000u + n, rnd()));
            } else {
                int hard = roll >= 95;
                int tl = reply(text, sizeof text, hard, rcpt, d, dsn);
                (void)tl;
                const char *relay = strncmp(text, "connect to", 10) == 0 ||
                                            strncmp(text, "lost conn", 9) == 0
                                        ? "none"
                                        : mx[d];
                emit(&s, line,
                     snprintf(line, sizeof line,
                              "%s mail postfix/smtp[%u]: %s: to=<%s>, "
                              "relay=%s%s, delay=%.1f, "
                              "delays=0.02/0/%.1f/0, dsn=%s, status=%s "
                              "(%s)\n",
                              stamp, smtp, id, rcpt, relay,
                              strcmp(relay, "none") ? ":25" : "", delay,
                              delay, dsn, hard ? "bounced" : "deferred",
                              text));
                deferred |= !hard;
                if (hard)
                    emit(&s, line,
                         snprintf(line, sizeof line,
                                  "%s mail postfix/bounce[%u]: %s: sender "
                                  "non-delivery notification: %.5s%06X\n",
                                  stamp, pid + 800, id, id, n));
            }
        }
        if (!deferred)
            emit(&s, line,
                 snprintf(line, sizeof line,
                          "%s mail postfix/qmgr[%u]: %s: removed\n", stamp,
                          pid - 100, id));
    }
    fwrite(s.buf, 1, s.len, stdout);
    free(s.buf);
    return fflush(stdout) == 0 ? 0 : 1;
}
