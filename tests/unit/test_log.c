/*
 * test_log.c - the log parser through its public API: header shapes,
 * correlation by queue id, the bounds of the queue table (size and age),
 * the time window, year inference, and out-of-memory on every allocation.
 * Whole-file cases with expected records are data in tests/data/log/.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "smtpdx.h"
#include "util/alloc.h"

typedef struct fx {
    smtpdx_ctx *ctx;
    smtpdx_logparser *p;
    smtpdx_records *rs;
} fx;

static void fx_open(fx *f, const smtpdx_log_options *o)
{
    assert_int_equal(smtpdx_ctx_new(&f->ctx), SMTPDX_OK);
    assert_int_equal(smtpdx_logparser_new(o, &f->p), SMTPDX_OK);
    f->rs = smtpdx_records_new();
    assert_non_null(f->rs);
}

static void fx_close(fx *f)
{
    smtpdx_records_free(f->rs);
    smtpdx_logparser_free(f->p);
    smtpdx_ctx_free(f->ctx);
}

static void feed(fx *f, const char *line)
{
    assert_int_equal(
        smtpdx_logparser_feed(f->p, f->ctx, line, strlen(line), f->rs),
        SMTPDX_OK);
}

static smtpdx_log_options utc2026(void)
{
    smtpdx_log_options o;
    smtpdx_log_options_init(&o);
    o.utc = 1;
    o.year = 2026;
    return o;
}

static void test_headers_and_counts(void **state)
{
    (void)state;
    smtpdx_log_options o = utc2026();
    fx f;
    fx_open(&f, &o);
    feed(&f, "Nov 28 03:19:45 mx postfix/smtpd[1]: connect from a[192.0.2.1]");
    feed(&f, "2026-11-28T03:19:45.1+02:00 mx postfix/smtp[2]: ABCDE12345: "
             "to=<a@b.example>, relay=none, delay=1, dsn=4.4.1, "
             "status=deferred (connect to b.example[192.0.2.2]:25: "
             "Connection refused)");
    feed(&f, "<22>1 2026-11-28T03:19:46Z mx postfix/qmgr 3 - - "
             "ABCDE12345: removed");
    feed(&f, "2026-11-28 03:19:47 1xX8xq-0005eW-0t Completed");
    feed(&f, " Suggested action: none");
    feed(&f, "Nov 28 03:19:48 mx sm-mta[4]: 4ASB00a1007001: from=<x@y>, "
             "size=1, class=0, nrcpts=1");
    feed(&f, "Nov 28 03:19:48 mx kernel: eth0 up");
    feed(&f, "garbage");
    feed(&f, "");
    const smtpdx_log_stats *st = smtpdx_logparser_stats(f.p);
    assert_int_equal(st->lines, 9);
    assert_int_equal(st->postfix, 3);
    assert_int_equal(st->exim, 1);
    assert_int_equal(st->sendmail, 1);
    assert_int_equal(st->unknown, 3);
    assert_int_equal(st->total.deferred, 1);
    assert_int_equal(st->by_hour[3].deferred, 1);
    assert_int_equal(smtpdx_records_count(f.rs), 1);
    const smtpdx_record *r = smtpdx_records_get(f.rs, 0);
    /* 03:19:45 at +02:00 is 01:19:45 UTC */
    assert_int_equal(r->timestamp, 1795828785);
    assert_string_equal(r->timezoneoffset, "+0200");
    assert_string_equal(r->action, "delayed");
    assert_string_equal(r->dsn_status, "4.4.1");
    fx_close(&f);
}

/* The header shapes of journalctl's outputs and of syslog on the wire:
 * each gives the same record at the same time. Exim's own stamp, which
 * also has a space for the T, still reads as Exim. */
static void test_more_headers(void **state)
{
    (void)state;
    static const char *const stamps[] = {
        "Nov 28 03:19:45 mx",              /* classic */
        "Nov 28 03:19:45.123456 mx",       /* journalctl -o short-precise */
        "<22>Nov 28 03:19:45 mx",          /* RFC 3164 with its PRI */
        "2026-11-28 03:19:45 mx",          /* an ISO stamp with a space */
        "Sat 2026-11-28 03:19:45 UTC mx",  /* journalctl -o short-full */
        "2026-11-28T03:19:45.5Z mx",       /* rsyslog, short-iso */
    };
    for (size_t i = 0; i < sizeof stamps / sizeof stamps[0]; i++) {
        smtpdx_log_options o = utc2026();
        fx f;
        fx_open(&f, &o);
        char line[512];
        snprintf(line, sizeof line,
                 "%s postfix/smtp[2]: ABCDE12345: to=<a@b.example>, "
                 "relay=mx.b.example[192.0.2.2]:25, delay=1, dsn=5.1.1, "
                 "status=bounced (host mx.b.example[192.0.2.2] said: 550 "
                 "5.1.1 User unknown (in reply to RCPT TO command))",
                 stamps[i]);
        feed(&f, line);
        const smtpdx_log_stats *st = smtpdx_logparser_stats(f.p);
        assert_int_equal(st->postfix, 1);
        assert_int_equal(st->unknown, 0);
        assert_int_equal(smtpdx_records_count(f.rs), 1);
        const smtpdx_record *r = smtpdx_records_get(f.rs, 0);
        assert_int_equal(r->reason, SMTPDX_R_USERUNKNOWN);
        assert_int_equal(r->timestamp, 1795835985);
        fx_close(&f);
    }
    /* journalctl -o json: the journal's fields; a MESSAGE journald kept
     * as bytes (not UTF-8) and a cut object are not read */
    {
        smtpdx_log_options o = utc2026();
        fx f;
        fx_open(&f, &o);
        feed(&f, "{\"__REALTIME_TIMESTAMP\":\"1795835985123456\","
                 "\"_HOSTNAME\":\"mx\",\"SYSLOG_IDENTIFIER\":"
                 "\"postfix/smtp\",\"MESSAGE\":\"ABCDE12345: "
                 "to=<a@b.example>, relay=mx.b.example[192.0.2.2]:25, "
                 "dsn=5.1.1, status=bounced (host mx.b.example[192.0.2.2] "
                 "said: 550 5.1.1 User unknown (in reply to RCPT TO "
                 "command))\"}");
        feed(&f, "{\"SYSLOG_IDENTIFIER\":\"postfix/smtp\",\"MESSAGE\":"
                 "[65,66]}");
        feed(&f, "{\"SYSLOG_IDENTIFIER\":\"postfix/smtp\",\"MESS");
        const smtpdx_log_stats *st = smtpdx_logparser_stats(f.p);
        assert_int_equal(st->postfix, 1);
        assert_int_equal(st->unknown, 2);
        assert_int_equal(smtpdx_records_count(f.rs), 1);
        const smtpdx_record *r = smtpdx_records_get(f.rs, 0);
        assert_int_equal(r->reason, SMTPDX_R_USERUNKNOWN);
        assert_int_equal(r->timestamp, 1795835985);
        assert_string_equal(r->timezoneoffset, "+0000");
        fx_close(&f);
    }
    /* Exim's own stamp is followed by no host and tag */
    smtpdx_log_options o = utc2026();
    fx f;
    fx_open(&f, &o);
    feed(&f, "2026-11-28 03:19:47 1xX8xq-0005eW-0t ** a@b.example "
             "R=dnslookup T=remote_smtp H=mx.b.example [192.0.2.2]: SMTP "
             "error from remote mail server after RCPT TO:<a@b.example>: "
             "550 5.1.1 User unknown");
    feed(&f, "2026-11-28 03:19:48 [4300] H=(laptop) [198.51.100.200] "
             "F=<me@home.example> rejected RCPT <friend@elsewhere.example>: "
             "relay not permitted");
    const smtpdx_log_stats *st = smtpdx_logparser_stats(f.p);
    assert_int_equal(st->exim, 2);
    assert_int_equal(st->postfix, 0);
    fx_close(&f);
}

/* OpenSMTPD: its "smtpd" tag is the dialect (Postfix's smtpd always comes
 * as NAME/smtpd); an expiry names only the envelope, and is told the
 * reply of that envelope's last attempt; cut lines give no record. */
static void test_opensmtpd(void **state)
{
    (void)state;
    smtpdx_log_options o = utc2026();
    fx f;
    fx_open(&f, &o);
    feed(&f, "Nov 28 04:00:00 mx smtpd[9]: 0123456789abcdef smtp envelope "
             "evpid=aaaabbbb00000001 from=<list@sender.example> "
             "to=<ann@rcpt.example>");
    feed(&f, "Nov 28 04:00:01 mx smtpd[9]: 0123456789abcdf0 mta delivery "
             "evpid=aaaabbbb00000001 from=<list@sender.example> "
             "to=<ann@rcpt.example> rcpt=<-> source=\"192.0.2.1\" "
             "relay=\"192.0.2.9 (mx.rcpt.example)\" delay=1s "
             "result=\"TempFail\" stat=\"450 4.2.0 <ann@rcpt.example>: "
             "Recipient address rejected: Greylisted\"");
    feed(&f, "Nov 28 04:00:02 mx smtpd[9]: 0123456789abcdf0 mta delivery "
             "evpid=aaaabbbb00000001 from=<list@sender.example> "
             "to=<ann@rcpt.example> rcpt=<-> result=\"Tem");
    feed(&f, "Nov 28 04:00:03 mx smtpd[9]: 0123456789abcdf0 mta delivery "
             "evpid=aaaabbbb");
    feed(&f, "Nov 28 04:00:04 mx smtpd[9]: relay: Expire for aaaa");
    feed(&f, "Nov 28 04:00:05 mx postfix/smtpd[3]: connect from a[192.0.2.1]");
    feed(&f, "Dec  2 04:00:06 mx smtpd[9]: relay: Expire for "
             "aaaabbbb00000001: from=<list@sender.example>, "
             "to=<ann@rcpt.example>, rcpt=<->, delay=4d, "
             "stat=Envelope expired");
    const smtpdx_log_stats *st = smtpdx_logparser_stats(f.p);
    assert_int_equal(st->opensmtpd, 6);
    assert_int_equal(st->postfix, 1);
    assert_int_equal(st->received, 1);
    assert_int_equal(st->total.deferred, 1);
    assert_int_equal(st->total.expired, 1);
    assert_int_equal(smtpdx_records_count(f.rs), 2);
    const smtpdx_record *r = smtpdx_records_get(f.rs, 0);
    assert_string_equal(r->action, "delayed");
    assert_string_equal(r->recipient, "ann@rcpt.example");
    assert_string_equal(r->addresser, "list@sender.example");
    assert_string_equal(r->rhost, "mx.rcpt.example");
    assert_string_equal(r->smtpagent, "OpenSMTPD");
    assert_int_equal(r->reason, SMTPDX_R_BLOCKED);
    assert_string_equal(r->why.cause, "greylisting");
    r = smtpdx_records_get(f.rs, 1);
    assert_int_equal(r->reason, SMTPDX_R_EXPIRED);
    assert_string_equal(r->dsn_status, "4.4.7");
    assert_string_equal(r->recipient, "ann@rcpt.example");
    assert_non_null(strstr(r->diagnosticcode, "Greylisted"));
    assert_string_equal(r->rhost, "mx.rcpt.example");
    fx_close(&f);
}

/* OpenSMTPD's lines without any header (smtpd -d, a container's log):
 * read, with no time and counted in no hour; a line of another shape
 * that merely starts with hex digits is not taken for one. */
static void test_opensmtpd_bare(void **state)
{
    (void)state;
    smtpdx_log_options o = utc2026();
    fx f;
    fx_open(&f, &o);
    feed(&f, "0000000000000000 mta delivery evpid=6f8c7f687188ca80 "
             "from=<a@sender.example> to=<u@nx.example> rcpt=<-> "
             "source=\"-\" relay=\"nx.example\" delay=0s "
             "result=\"PermFail\" stat=\"Domain does not exist\"");
    feed(&f, "0123456789abcdef smtpd delivery evpid=6f8c7f687188ca81 "
             "result=\"PermFail\" stat=\"550 x\"");
    feed(&f, "0123456789abcde mta delivery evpid=6f8c7f687188ca82 "
             "result=\"PermFail\" stat=\"550 x\"");
    const smtpdx_log_stats *st = smtpdx_logparser_stats(f.p);
    assert_int_equal(st->opensmtpd, 1);
    assert_int_equal(st->unknown, 2);
    assert_int_equal(st->total.bounced, 1);
    for (int h = 0; h < 24; h++)
        assert_int_equal(st->by_hour[h].bounced, 0);
    assert_int_equal(st->first, 0);
    assert_int_equal(smtpdx_records_count(f.rs), 1);
    const smtpdx_record *r = smtpdx_records_get(f.rs, 0);
    assert_int_equal(r->timestamp, 0);
    assert_int_equal(r->reason, SMTPDX_R_HOSTUNKNOWN);
    assert_string_equal(r->recipient, "u@nx.example");
    fx_close(&f);
}

/* Courier: the answer line waits for its outcome line; an outcome whose
 * answer was not seen (or whose id is too long to remember) still gives
 * a record; cut lines give none. */
static void test_courier(void **state)
{
    (void)state;
    smtpdx_log_options o = utc2026();
    fx f;
    fx_open(&f, &o);
    feed(&f, "Nov 28 05:00:00 mx courieresmtp: "
             "id=0000000000000010.000000006B13703C.00000055,"
             "from=<a@origin.example>,addr=<b@remote.example>: 550 5.1.1 "
             "<b@remote.example>: Recipient address rejected: User unknown");
    feed(&f, "Nov 28 05:00:00 mx courieresmtp: "
             "id=0000000000000010.000000006B13703C.00000055,"
             "from=<a@origin.example>,addr=<c@remote.example>,status: deferred");
    feed(&f, "Nov 28 05:00:00 mx courieresmtp: "
             "id=0000000000000010.000000006B13703C.00000055,"
             "from=<a@origin.example>,addr=<b@remote.example>,status: failure");
    feed(&f, "Nov 28 05:00:01 mx courieresmtp: "
             "id=00000000000000100000000000000000000000000000000000000001.00,"
             "from=<a@origin.example>,addr=<d@remote.example>,status: failure");
    feed(&f, "Nov 28 05:00:02 mx courieresmtp: id=0000000000000010.0000,"
             "from=<a@origin.example>,addr=<e@rem");
    feed(&f, "Nov 28 05:00:02 mx courierd: newmsg,id=0000000000000011.0: "
             "dns; localhost");
    const smtpdx_log_stats *st = smtpdx_logparser_stats(f.p);
    assert_int_equal(st->courier, 6);
    assert_int_equal(st->received, 1);
    assert_int_equal(st->total.deferred, 1);
    assert_int_equal(st->total.bounced, 2);
    assert_int_equal(smtpdx_records_count(f.rs), 3);
    const smtpdx_record *r = smtpdx_records_get(f.rs, 0);
    assert_string_equal(r->recipient, "c@remote.example");
    assert_string_equal(r->action, "delayed");
    r = smtpdx_records_get(f.rs, 1);
    assert_string_equal(r->recipient, "b@remote.example");
    assert_string_equal(r->addresser, "a@origin.example");
    assert_string_equal(r->smtpagent, "Courier");
    assert_int_equal(r->reason, SMTPDX_R_USERUNKNOWN);
    assert_int_equal(r->replycode, 550);
    r = smtpdx_records_get(f.rs, 2);
    assert_string_equal(r->recipient, "d@remote.example");
    assert_string_equal(r->action, "failed");
    fx_close(&f);
}

static void test_correlation(void **state)
{
    (void)state;
    smtpdx_log_options o = utc2026();
    fx f;
    fx_open(&f, &o);
    feed(&f, "Nov 28 03:00:00 mx postfix/qmgr[1]: 1A2B3C4D5E: "
             "from=<alice@sender.example>, size=310, nrcpt=1 (queue active)");
    feed(&f, "Nov 28 03:00:01 mx postfix/smtp[2]: 1A2B3C4D5E: "
             "to=<bob@rcpt.example>, orig_to=<bobby@rcpt.example>, "
             "relay=mx.rcpt.example[192.0.2.9]:25, delay=1, "
             "delays=0/0/0.5/0.5, dsn=5.1.1, status=bounced (host "
             "mx.rcpt.example[192.0.2.9] said: 550 5.1.1 <bob@rcpt.example>: "
             "Recipient address rejected: User unknown (in reply to RCPT TO "
             "command))");
    feed(&f, "Nov 28 03:00:02 mx postfix/qmgr[1]: 1A2B3C4D5E: removed");
    feed(&f, "Nov 28 03:00:03 mx postfix/smtp[2]: 1A2B3C4D5E: "
             "to=<carl@rcpt.example>, relay=none, delay=1, dsn=4.4.1, "
             "status=deferred (connect to x[192.0.2.9]:25: Connection "
             "refused)");
    assert_int_equal(smtpdx_records_count(f.rs), 2);
    const smtpdx_record *r = smtpdx_records_get(f.rs, 0);
    assert_string_equal(r->addresser, "alice@sender.example");
    assert_string_equal(r->senderdomain, "sender.example");
    assert_string_equal(r->recipient, "bob@rcpt.example");
    assert_string_equal(r->alias, "bobby@rcpt.example");
    assert_string_equal(r->destination, "rcpt.example");
    assert_string_equal(r->rhost, "mx.rcpt.example");
    assert_string_equal(r->relay, "mx.rcpt.example[192.0.2.9]:25");
    assert_string_equal(r->smtpcommand, "RCPT");
    assert_string_equal(r->smtpagent, "Postfix");
    assert_int_equal(r->replycode, 550);
    assert_int_equal(r->reason, SMTPDX_R_USERUNKNOWN);
    assert_string_equal(r->diagnosticcode,
                        "550 5.1.1 <bob@rcpt.example>: Recipient address "
                        "rejected: User unknown");
    /* after "removed" the sender is forgotten */
    assert_string_equal(smtpdx_records_get(f.rs, 1)->addresser, "");
    fx_close(&f);
}

static void test_queue_bounded(void **state)
{
    (void)state;
    smtpdx_log_options o = utc2026();
    o.queue_max = 100;
    fx f;
    fx_open(&f, &o);
    char line[256];
    for (int i = 0; i < 5000; i++) {
        snprintf(line, sizeof line,
                 "Nov 28 03:00:00 mx postfix/qmgr[1]: Q%08X: "
                 "from=<s%d@x.example>, size=1, nrcpt=1 (queue active)",
                 (unsigned)i, i);
        feed(&f, line);
    }
    assert_int_equal(smtpdx_logparser_stats(f.p)->evicted, 4900);
    /* the newest are still known, the oldest are not */
    feed(&f, "Nov 28 03:00:01 mx postfix/smtp[2]: Q00001387: to=<a@b>, "
             "relay=none, delay=1, dsn=4.4.1, status=deferred (connect to "
             "b[192.0.2.1]:25: Connection refused)");
    feed(&f, "Nov 28 03:00:01 mx postfix/smtp[2]: Q00000001: to=<a@b>, "
             "relay=none, delay=1, dsn=4.4.1, status=deferred (connect to "
             "b[192.0.2.1]:25: Connection refused)");
    assert_string_equal(smtpdx_records_get(f.rs, 0)->addresser,
                        "s4999@x.example");
    assert_string_equal(smtpdx_records_get(f.rs, 1)->addresser, "");
    fx_close(&f);
}

static void test_queue_ages_out(void **state)
{
    (void)state;
    smtpdx_log_options o = utc2026();
    o.queue_max_age = 60;
    fx f;
    fx_open(&f, &o);
    feed(&f, "Nov 28 03:00:00 mx postfix/qmgr[1]: AAAAA11111: from=<old@x>, "
             "size=1, nrcpt=1 (queue active)");
    feed(&f, "Nov 28 03:00:30 mx postfix/qmgr[1]: BBBBB22222: from=<new@x>, "
             "size=1, nrcpt=1 (queue active)");
    feed(&f, "Nov 28 03:01:20 mx postfix/smtp[2]: AAAAA11111: to=<a@b>, "
             "relay=none, delay=1, dsn=4.4.1, status=deferred (connect to "
             "b[192.0.2.1]:25: Connection refused)");
    feed(&f, "Nov 28 03:01:20 mx postfix/smtp[2]: BBBBB22222: to=<a@b>, "
             "relay=none, delay=1, dsn=4.4.1, status=deferred (connect to "
             "b[192.0.2.1]:25: Connection refused)");
    assert_string_equal(smtpdx_records_get(f.rs, 0)->addresser, "");
    assert_string_equal(smtpdx_records_get(f.rs, 1)->addresser, "new@x");
    assert_int_equal(smtpdx_logparser_stats(f.p)->aged_out, 1);
    fx_close(&f);
}

static void test_window_and_all(void **state)
{
    (void)state;
    smtpdx_log_options o = utc2026();
    o.since = 1795834800; /* 2026-11-28 03:00:00 UTC */
    o.until = 1795838400; /* 04:00:00 */
    o.all = 1;
    fx f;
    fx_open(&f, &o);
    const char *tail = " mx postfix/smtp[2]: CCCCC33333: to=<a@b.example>, "
                       "relay=b[192.0.2.1]:25, delay=1, dsn=2.0.0, "
                       "status=sent (250 2.0.0 Ok)";
    char line[256];
    const char *stamps[] = {"Nov 28 02:59:59", "Nov 28 03:00:00",
                            "Nov 28 03:59:59", "Nov 28 04:00:00"};
    for (int i = 0; i < 4; i++) {
        snprintf(line, sizeof line, "%s%s", stamps[i], tail);
        feed(&f, line);
    }
    assert_int_equal(smtpdx_records_count(f.rs), 2);
    assert_int_equal(smtpdx_logparser_stats(f.p)->total.sent, 2);
    const smtpdx_record *r = smtpdx_records_get(f.rs, 0);
    assert_string_equal(r->action, "delivered");
    assert_int_equal(r->reason, SMTPDX_R_DELIVERED);
    assert_int_equal(r->replycode, 250);
    fx_close(&f);
}

/* A damaged line's dsn= and command are no status and no command: the
 * record takes the reply's own (its "dsn" member keeps what was logged). */
static void test_damaged_dsn_and_command(void **state)
{
    (void)state;
    smtpdx_log_options o = utc2026();
    fx f;
    fx_open(&f, &o);
    feed(&f, "Nov 28 03:00:00 mx postfix/smtp[2]: FFFFF66666: "
             "to=<a@b.example>, relay=b[192.0.2.1]:25, delay=1, "
             "dsn=4.0.13.990, status=deferred (host b[192.0.2.1] said: 450 "
             "4.2.0 <a@b.example>: Recipient address rejected: Greylisted "
             "(in reply to RC0PT TO command))");
    feed(&f, "Nov 28 03:00:01 mx postfix/smtp[2]: FFFFF66667: "
             "to=<c@b.example>, relay=b[192.0.2.1]:25, delay=1, "
             "dsn=5.1.1, status=bounced (host b[192.0.2.1] said: 550 "
             "5.1.1 <c@b.example>: User unknown (in reply to rcpt to "
             "command))");
    assert_int_equal(smtpdx_records_count(f.rs), 2);
    const smtpdx_record *r = smtpdx_records_get(f.rs, 0);
    assert_string_equal(r->deliverystatus, "4.2.0");
    assert_string_equal(r->smtpcommand, "");
    assert_string_equal(r->dsn_status, "4.0.13.990");
    assert_int_equal(r->reason, SMTPDX_R_BLOCKED);
    r = smtpdx_records_get(f.rs, 1);
    assert_string_equal(r->deliverystatus, "5.1.1");
    assert_string_equal(r->smtpcommand, "RCPT"); /* upper-cased */
    fx_close(&f);
}

/* A delivery's reply as Sendmail logs it, "Sent (2.0.0 Ok: queued)",
 * opens with an enhanced code: no basic code is read out of it (its "2.0"
 * once gave 180); "Sent (250 2.0.0 Ok)" gives 250. */
static void test_sent_reply_code(void **state)
{
    (void)state;
    smtpdx_log_options o = utc2026();
    o.all = 1;
    fx f;
    fx_open(&f, &o);
    feed(&f, "Nov 28 03:00:00 mta sendmail[1]: 6B51voR4013424: from=<a@x>, "
             "size=93, class=0, nrcpts=1, relay=root@localhost");
    feed(&f, "Nov 28 03:00:00 mta sendmail[1]: 6B51voR4013424: to=<b@y>, "
             "delay=00:00:00, xdelay=00:00:00, mailer=esmtp, pri=31117, "
             "relay=mx.y. [192.0.2.1], dsn=2.0.0, stat=Sent (2.0.0 Ok: "
             "queued)");
    feed(&f, "Nov 28 03:00:01 mta sendmail[2]: 6B51voR4013425: from=<a@x>, "
             "size=93, class=0, nrcpts=1, relay=root@localhost");
    feed(&f, "Nov 28 03:00:01 mta sendmail[2]: 6B51voR4013425: to=<c@y>, "
             "delay=00:00:00, xdelay=00:00:00, mailer=esmtp, pri=31117, "
             "relay=mx.y. [192.0.2.1], dsn=2.0.0, stat=Sent (250 2.0.0 Ok)");
    assert_int_equal(smtpdx_records_count(f.rs), 2);
    assert_int_equal(smtpdx_records_get(f.rs, 0)->reason, SMTPDX_R_DELIVERED);
    assert_int_equal(smtpdx_records_get(f.rs, 0)->replycode, 0);
    assert_string_equal(smtpdx_records_get(f.rs, 0)->deliverystatus, "2.0.0");
    assert_int_equal(smtpdx_records_get(f.rs, 1)->replycode, 250);
    fx_close(&f);
}

static void test_year_inference(void **state)
{
    (void)state;
    smtpdx_log_options o;
    smtpdx_log_options_init(&o);
    o.utc = 1;
    o.now = 1798761600; /* 2027-01-01 00:00:00 UTC */
    o.all = 1;
    fx f;
    fx_open(&f, &o);
    feed(&f, "Dec 31 23:00:00 mx postfix/smtp[2]: DDDDD44444: to=<a@b>, "
             "relay=none, delay=1, dsn=2.0.0, status=sent (ok)");
    feed(&f, "Jan  1 00:10:00 mx postfix/smtp[2]: DDDDD44444: to=<a@b>, "
             "relay=none, delay=1, dsn=2.0.0, status=sent (ok)");
    feed(&f, "Jan  2 12:00:00 mx postfix/smtp[2]: DDDDD44444: to=<a@b>, "
             "relay=none, delay=1, dsn=2.0.0, status=sent (ok)");
    assert_int_equal(smtpdx_records_get(f.rs, 0)->timestamp, 1798758000);
    assert_int_equal(smtpdx_records_get(f.rs, 1)->timestamp, 1798762200);
    assert_int_equal(smtpdx_records_get(f.rs, 2)->timestamp, 1798891200);
    fx_close(&f);
}

static void test_limits_and_args(void **state)
{
    (void)state;
    smtpdx_log_options o = utc2026();
    fx f;
    fx_open(&f, &o);
    size_t n = 70 * 1024;
    char *big = malloc(n);
    assert_non_null(big);
    memset(big, 'x', n);
    memcpy(big, "Nov 28 03:00:00 mx postfix/smtp[2]: ", 36);
    assert_int_equal(smtpdx_logparser_feed(f.p, f.ctx, big, n, f.rs),
                     SMTPDX_OK);
    free(big);
    assert_int_equal(smtpdx_logparser_stats(f.p)->unknown, 1);
    assert_int_equal(smtpdx_logparser_feed(NULL, f.ctx, "x", 1, f.rs),
                     SMTPDX_ERR_INVAL);
    assert_int_equal(smtpdx_logparser_new(&o, NULL), SMTPDX_ERR_INVAL);
    /* records are optional: counting only */
    assert_int_equal(
        smtpdx_logparser_feed(f.p, f.ctx,
                              "Nov 28 03:00:00 mx postfix/smtp[2]: "
                              "EEEEE55555: to=<a@b>, relay=none, delay=1, "
                              "dsn=5.1.1, status=bounced (unknown user)",
                              120, NULL),
        SMTPDX_OK);
    assert_int_equal(smtpdx_logparser_stats(f.p)->total.bounced, 1);
    assert_int_equal(smtpdx_logparser_finish(f.p, f.ctx, f.rs), SMTPDX_OK);
    smtpdx_logparser_free(NULL);
    fx_close(&f);
}

/* Every allocation made while parsing a failure may fail: the call then
 * says NOMEM and leaves no half-built record behind. Only meaningful in a
 * fault-injection build; elsewhere the hook is inert and the test skips. */
static void test_nomem_everywhere(void **state)
{
    (void)state;
    sx_alloc_fail_after(0);
    void *probe = sx_malloc(1);
    sx_free(probe);
    if (sx_alloc_fail_after(0) == 0)
        skip();
    const char *lines[] = {
        "Nov 28 03:00:00 mx postfix/qmgr[1]: FFFFF66666: from=<s@x>, "
        "size=1, nrcpt=1 (queue active)",
        "Nov 28 03:00:01 mx postfix/smtp[2]: FFFFF66666: to=<a@b.example>, "
        "relay=mx[192.0.2.1]:25, delay=1, dsn=5.1.1, status=bounced (host "
        "mx[192.0.2.1] said: 550 5.1.1 User unknown (in reply to RCPT TO "
        "command))",
    };
    smtpdx_log_options o = utc2026();
    for (unsigned long fail = 1; fail < 200; fail++) {
        smtpdx_ctx *ctx = NULL;
        smtpdx_logparser *p = NULL;
        smtpdx_records *rs = NULL;
        sx_alloc_fail_after(fail);
        smtpdx_status st = smtpdx_ctx_new(&ctx);
        if (st == SMTPDX_OK)
            st = smtpdx_logparser_new(&o, &p);
        if (st == SMTPDX_OK && (rs = smtpdx_records_new()) == NULL)
            st = SMTPDX_ERR_NOMEM;
        for (size_t i = 0; st == SMTPDX_OK && i < 2; i++)
            st = smtpdx_logparser_feed(p, ctx, lines[i], strlen(lines[i]),
                                       rs);
        unsigned long made = sx_alloc_fail_after(0);
        assert_true(st == SMTPDX_OK || st == SMTPDX_ERR_NOMEM);
        if (st == SMTPDX_OK)
            assert_int_equal(smtpdx_records_count(rs), 1);
        for (size_t i = 0; i < smtpdx_records_count(rs); i++)
            assert_non_null(smtpdx_records_get(rs, i)->why.cause);
        smtpdx_records_free(rs);
        smtpdx_logparser_free(p);
        smtpdx_ctx_free(ctx);
        if (st == SMTPDX_OK && made < fail)
            break; /* every allocation has been made to fail once */
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_headers_and_counts),
        cmocka_unit_test(test_more_headers),
        cmocka_unit_test(test_correlation),
        cmocka_unit_test(test_opensmtpd),
        cmocka_unit_test(test_opensmtpd_bare),
        cmocka_unit_test(test_courier),
        cmocka_unit_test(test_queue_bounded),
        cmocka_unit_test(test_queue_ages_out),
        cmocka_unit_test(test_window_and_all),
        cmocka_unit_test(test_sent_reply_code),
        cmocka_unit_test(test_damaged_dsn_and_command),
        cmocka_unit_test(test_year_inference),
        cmocka_unit_test(test_limits_and_args),
        cmocka_unit_test(test_nomem_everywhere),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
