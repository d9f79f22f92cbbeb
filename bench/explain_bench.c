/*
 * explain_bench.c - how many SMTP replies per second one core explains.
 *
 * Not a test: a measurement. Over a fixed, mixed list of replies (plain
 * codes, Postfix and Exim wordings, big providers, DSN-style lines,
 * greylisting, blocklists, junk) it times
 *   1. smtpdx_classify() alone, on replies parsed once beforehand, and
 *   2. smtpdx_explain(): parse + classify, as the CLI does per line,
 * and prints explanations per second for each, from the CPU time of the
 * one thread doing the work (so a busy machine does not distort it).
 * A third figure repeats 1 with the caches cold, as they are when the
 * classifier runs inside `smtpdx bounce`, where each message's decoding,
 * marker scan and readers pass between two classifications: before each
 * reply 1 MB is written over (more than a core's L2 cache holds), and
 * only the classification is timed.
 *
 * Build and run with bench/run-explain.sh. Usage: explain_bench [SECONDS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "smtpdx.h"

static const char *const replies[] = {
    "421 Unexpected failure, please try later",
    "450 4.7.1 <user@domain.com>: Recipient address rejected: Policy Rejection- Greylisting challenge offered",
    "450 Requested mail action not taken: mailbox unavailable",
    "452 4.3.1 Insufficient system resources",
    "550 SMTP Authentication error",
    "550-not permitted to relay through this server",
    "550 5.7.1 Unable to relay",
    "550 5.1.1 User unknown",
    "550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown in virtual mailbox table",
    "550 5.1.1 The email account that you tried to reach does not exist. Please try double-checking the recipient's email address for typos or unnecessary spaces. Learn more at https://support.google.com/mail/?p=NoSuchUser a1si123456qkb.12 - gsmtp",
    "452 4.2.2 The email account that you tried to reach is over quota. Please direct the recipient to https://support.google.com/mail/?p=OverQuotaTemp x2si1 - gsmtp",
    "421 4.7.28 Gmail has detected an unusual rate of mail originating from your IP address. To protect our users from spam, mail sent from your IP address has been temporarily rate limited. - gsmtp",
    "550 5.7.26 This mail has been blocked because the sender is unauthenticated. Gmail requires all senders to authenticate with either SPF or DKIM. - gsmtp",
    "550 5.7.25 The IP address sending this message does not have a PTR record setup - gsmtp",
    "421 4.7.0 TLS required for RCPT domain, closing connection. - gsmtp",
    "550 5.7.1 This message is likely unsolicited mail. To reduce the amount of spam sent to Gmail, this message has been blocked. - gsmtp",
    "550 5.4.1 Recipient address rejected: Access denied. AS(201806281) [DM6NAM11FT012.eop-nam11.prod.protection.outlook.com]",
    "550 5.7.606 Access denied, banned sending IP [192.0.2.10]. To request removal from this list please visit https://sender.office.com/ and follow the directions.",
    "550 5.7.1 Service unavailable, Client host [192.0.2.10] blocked using Spamhaus. To request removal from this list see https://www.spamhaus.org/query/ip/192.0.2.10 (AS3130). [BN8NAM12FT045.eop-nam12.prod.protection.outlook.com]",
    "Remote Server returned '550 5.1.1 RESOLVER.ADR.RecipNotFound; not found'",
    "Remote Server returned '550 5.7.520 Access denied, Your organization does not allow external forwarding.'",
    "554 5.2.2 mailbox full; STOREDRV.Deliver.Exception:QuotaExceededException",
    "421 4.7.0 [TSS04] Messages from 192.0.2.10 temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes",
    "553 5.7.2 [TSS09] All messages from 192.0.2.10 will be permanently deferred; Retrying will NOT succeed. See https://postmaster.yahooinc.com/error-codes",
    "554 5.7.9 Message not accepted for policy reasons. See https://postmaster.yahooinc.com/error-codes",
    "552 1 Requested mail action aborted, mailbox not found",
    "550 Requested action not taken: mailbox unavailable (mta-ms-01)",
    "host mx.example.net[192.0.2.25] said: 550 5.1.1 <bob@example.net>: Recipient address rejected: User unknown in local recipient table (in reply to RCPT TO command)",
    "host mx.example.net[192.0.2.25] said: 450 4.7.1 Client host rejected: cannot find your hostname, [192.0.2.99] (in reply to RCPT TO command)",
    "host mx.example.net[192.0.2.25] said: 554 5.7.1 Service unavailable; Client host [192.0.2.99] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/192.0.2.99 (in reply to RCPT TO command)",
    "host mx.example.net[192.0.2.25] said: 452 4.2.2 <carol@example.net>: Mailbox full (in reply to RCPT TO command)",
    "host mx.example.net[192.0.2.25] said: 552 5.3.4 Message size exceeds fixed limit (in reply to end of DATA command)",
    "host mx.example.net[192.0.2.25] said: 454 4.7.1 <dave@other.example>: Relay access denied (in reply to RCPT TO command)",
    "host mx.example.net[192.0.2.25] said: 450 4.1.8 <eve@nowhere.invalid>: Sender address rejected: Domain not found (in reply to RCPT TO command)",
    "host mx.example.net[192.0.2.25] said: 550 5.7.27 <x@nullmx.example>: Sender address rejected: Domain nullmx.example does not accept mail (nullMX) (in reply to MAIL FROM command)",
    "host mx.example.net[192.0.2.25] said: 556 5.1.10 <x@nullmx.example>: Recipient address rejected: Domain nullmx.example does not accept mail (nullMX) (in reply to RCPT TO command)",
    "Diagnostic-Code: smtp; 550 5.1.1 <frank@example.com>... User unknown",
    "Diagnostic-Code: smtp; 552 5.2.2 Over quota",
    "Diagnostic-Code: smtp; 554 5.7.1 Message rejected as spam by Content Filtering.",
    "Diagnostic-Code: X-Postfix; Host or domain name not found. Name service error for name=example.invalid type=MX: Host not found, try again",
    "Diagnostic-Code: X-Postfix; delivery temporarily suspended: connect to mx.example.org[192.0.2.30]:25: Connection timed out",
    "Status: 5.2.2",
    "Status: 4.4.1",
    "Status: 5.0.0",
    "SMTP error from remote mail server after RCPT TO:<grace@example.org>: 550 5.1.1 <grace@example.org>: Recipient address rejected: User unknown",
    "SMTP error from remote mail server after MAIL FROM:<app@sender.example> SIZE=12345: 550 5.7.1 Sender rejected by SPF policy",
    "retry timeout exceeded",
    "all hosts for 'example.org' have been failing for a long time (and retry time not reached)",
    "451 4.7.1 Greylisting in action, please come back later",
    "451 4.7.1 Please try again later (greylisted)",
    "450 4.2.0 <h@example.net>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/example.net.html",
    "451 Temporary local problem - please try later",
    "421 Service not available, closing transmission channel",
    "421 4.4.2 Connection dropped due to timeout",
    "421 Too many concurrent SMTP connections from this IP address; please try again later.",
    "450 4.7.1 Too many connections, slow down",
    "452 Too many recipients received this hour",
    "452 4.5.3 Too many recipients",
    "451 4.3.0 Mail server temporarily rejected message.",
    "451 4.4.0 DNS temporary failure",
    "500 5.5.1 Command unrecognized: \"XYZ\"",
    "501 5.1.7 Bad sender address syntax",
    "501 5.5.4 Syntax error in parameters or arguments",
    "502 5.5.1 Command not implemented",
    "503 5.5.1 Error: need MAIL command",
    "504 5.5.2 <localhost>: Helo command rejected: need fully-qualified hostname",
    "521 5.3.2 Server does not accept mail",
    "530 5.7.0 Must issue a STARTTLS command first",
    "535 5.7.8 Authentication credentials invalid",
    "550 5.7.23 The message was rejected because of Sender Policy Framework violation",
    "550 5.7.1 Email rejected per DMARC policy for example.com",
    "550 5.7.1 Mail from IP 192.0.2.1 was rejected due to listing in Spamhaus SBL",
    "550 5.7.1 Our system has detected that this message is suspicious due to the nature of the content",
    "550 5.7.0 Virus found: Eicar-Test-Signature",
    "552 5.3.4 Message size exceeds fixed maximum message size",
    "552 5.2.3 Message exceeds maximum size allowed",
    "553 5.1.3 Invalid address format",
    "553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)",
    "554 5.7.1 Service unavailable; Client host [192.0.2.77] blocked using bl.spamcop.net",
    "554 Transaction failed",
    "554 5.4.6 Hop count exceeded - possible mail loop",
    "550 5.2.1 The email account that you tried to reach is disabled.",
    "550 5.2.1 Mailbox disabled, not accepting messages",
    "550 5.1.6 Recipient addresses has moved",
    "551 5.1.6 User not local; please try <newaddr@example.net>",
    "550 5.1.2 Host unknown (Name server: example.invalid: host not found)",
    "550 Administrative prohibition",
    "550 #5.1.0 Address rejected.",
    "550 5-7-1 Access denied",
    "550 5.7.1. Message rejected due to content restrictions",
    "250 2.0.0 Ok: queued as 4Xyz12AbCdE",
    "250 OK id=1rAbCd-000123-Ef",
    "221 2.0.0 Bye",
    "354 End data with <CR><LF>.<CR><LF>",
    "999 what is this",
    "5.9.9",
    "mailbox is full",
    "Mailbox quota exceeded, try again later",
    "Der Empfaenger ist unbekannt",
    "Postfach voll",
    "",
    "  ",
    "User unknown",
    "Message rejected: 550 5.7.1 Your message looks like spam",
    "554 rejected due to spam content",
};

#define NREPLIES (sizeof(replies) / sizeof(replies[0]))

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? strtod(argv[1], NULL) : 1.0;
    smtpdx_ctx *ctx = NULL;
    smtpdx_reply *parsed[NREPLIES];
    smtpdx_explanation x;
    volatile unsigned sink = 0;
    size_t nparsed = 0;

    if (!(seconds > 0.0 && seconds < 600.0))
        seconds = 1.0;
    smtpdx_status st = smtpdx_ctx_new(&ctx);
    if (st != SMTPDX_OK) {
        fprintf(stderr, "explain_bench: %s\n", smtpdx_strerror(st));
        return 1;
    }
    for (size_t i = 0; i < NREPLIES; i++) {
        parsed[nparsed] = smtpdx_reply_new();
        if (parsed[nparsed] == NULL)
            return 1;
        if (smtpdx_reply_parse(parsed[nparsed], replies[i],
                               strlen(replies[i])) == SMTPDX_OK)
            nparsed++;
        else
            smtpdx_reply_free(parsed[nparsed]);
    }

    /* 1. classify alone */
    unsigned long n = 0;
    double t0 = cpu_now(), t;
    do {
        for (size_t i = 0; i < nparsed; i++) {
            smtpdx_classify(ctx, parsed[i], NULL, &x);
            sink += (unsigned)x.reason;
        }
        n += nparsed;
    } while ((t = cpu_now() - t0) < seconds);
    double classify_rate = (double)n / t;

    /* 1b. classify alone, caches cold. Writing the megabyte costs far more
     * than a classification, so only the calls are timed, each on the
     * monotonic clock (CPU-time clocks are too coarse for one call), and
     * the clock's own cost, measured the same way, is taken off. */
    enum { EVICT = 1024 * 1024 };
    static unsigned char evict[EVICT];
    double in_calls = 0, in_clock = 0;
    unsigned long k = 0;
    t0 = cpu_now();
    do {
        for (size_t i = 0; i < nparsed; i++) {
            memset(evict, (int)(k + i), EVICT);
            sink += evict[i];
            double a = mono_now();
            smtpdx_classify(ctx, parsed[i], NULL, &x);
            double b = mono_now();
            sink += (unsigned)x.reason;
            double c = mono_now();
            in_calls += b - a;
            in_clock += c - b;
        }
        k += nparsed;
    } while (cpu_now() - t0 < seconds);
    double cold_each = (in_calls - in_clock) / (double)k;

    /* 2. parse + classify */
    size_t lens[NREPLIES];
    for (size_t i = 0; i < NREPLIES; i++)
        lens[i] = strlen(replies[i]);
    unsigned long m = 0;
    t0 = cpu_now();
    do {
        for (size_t i = 0; i < NREPLIES; i++) {
            smtpdx_explain(ctx, replies[i], lens[i], NULL, &x);
            sink += (unsigned)x.reason;
        }
        m += NREPLIES;
    } while ((t = cpu_now() - t0) < seconds);
    double explain_rate = (double)m / t;

    printf("replies in the list:        %zu (%zu parsed)\n", NREPLIES, nparsed);
    printf("knowledge-base entries:     %zu\n", smtpdx_kb_count());
    printf("classify alone:             %.0f explanations/s (%.0f ns each)\n",
           classify_rate, 1e9 / classify_rate);
    printf("classify alone, caches cold: %.0f explanations/s (%.0f ns each)\n",
           1.0 / cold_each, cold_each * 1e9);
    printf("parse + classify (explain): %.0f explanations/s (%.0f ns each)\n",
           explain_rate, 1e9 / explain_rate);
    (void)sink;

    for (size_t i = 0; i < nparsed; i++)
        smtpdx_reply_free(parsed[i]);
    smtpdx_ctx_free(ctx);
    return 0;
}
