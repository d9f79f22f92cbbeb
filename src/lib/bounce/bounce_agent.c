/*
 * bounce_agent.c - the name of the software that wrote a notice read by
 * the standard readers (a delivery-status part, or the free-text
 * fallback), for the record's smtpagent.
 *
 * The family detectors name themselves; a notice that none of them took
 * was still written by someone, and Sisimai's consumers sort by that
 * name: a Microsoft 365 or Exchange report, Amazon SES, Yahoo, PowerMTA,
 * an IMail or DragonFly server. Each is known by what it always writes:
 * a header field of its own, its host names, or a sentence of its
 * notice (found by the marker scan that already ran). Only messages
 * that would be named "RFC3464" are looked at, so the family readers'
 * paths cost nothing more; but for Postfix's and Exim's, since providers
 * that send through them (SendGrid, Yandex; 1&1, GMX, Mail.ru) are known
 * by their own names, and for Postfix's and Sendmail's the other way
 * round: a standard report in their format that lacks their own subject
 * and opening sentence is named as the standard report it is.
 */
#include <string.h>

#include "bounce/bounce.h"
#include "bounce/bounce_fam.h"
#include "bounce/bounce_text.h"

/* Does host h end with the domain d (a whole label: "x.outlook.com" and
 * "outlook.com", not "myoutlook.com")? */
static int in_domain(sx_str h, const char *d)
{
    size_t n = strlen(d);
    while (h.len > 0 && (h.p[h.len - 1] == '.' || h.p[h.len - 1] == '>' ||
                         h.p[h.len - 1] == ' '))
        h.len--;
    return h.len >= n && sx_bt_ieq(h.p + h.len - n, d, n) &&
           (h.len == n || h.p[h.len - n - 1] == '.' ||
            h.p[h.len - n - 1] == '@');
}

/* The domain of the first address in a From field, or an empty span. */
static sx_str from_domain(const sx_bmail *m)
{
    sx_str a;
    if (m->from.p == NULL || !sx_bt_find_addr(m->from.p, m->from.len, &a, NULL))
        return sx_bt_str("", 0);
    return sx_bt_domain(a);
}

/* Is a Microsoft report one of Microsoft 365's (a host it names, or the
 * sender's domain, in outlook.com or onmicrosoft.com) rather than of an
 * Exchange server of the receiver's own? */
static const char *m365_or_exchange(const sx_bmail *m, sx_str rm, sx_str fd,
                                    sx_str rcvd)
{
    if (in_domain(rm, "outlook.com") || in_domain(fd, "onmicrosoft.com") ||
        in_domain(fd, "outlook.com"))
        return "Office365";
    uint32_t gen = m->marks.at[MK_AG_GENSRV];
    if (gen != SX_BMARK_NONE && gen < m->txlen) {
        size_t rest = m->txlen - gen;
        size_t k = sx_bt_genserver_label(m->tx + gen, rest);
        const char *p = m->tx + gen + k;
        if (k > 0 && in_domain(sx_bt_str(p, sx_bt_host_len(p, rest - k)),
                               "outlook.com"))
            return "Office365";
    }
    if (rcvd.p != NULL && sx_bt_ifind(rcvd.p, rcvd.len, ".outlook.com") != NULL)
        return "Office365";
    return "Exchange2007";
}

/* Outlook.com's outbound servers name themselves by site, number and
 * cluster ("BLU004-OMC3S6", "BAY0-OMC1-S10"): letters, digits, then
 * "-OMC". Hosts so named report for Outlook.com even where the domain
 * after them is not hotmail.com (a relay's rewriting, or a notice
 * whose names were changed before it was shared). */
static int outlook_omc(sx_str host)
{
    size_t i = 0, letters, digits;
    while (i < host.len && (host.p[i] | 0x20) >= 'a' &&
           (host.p[i] | 0x20) <= 'z')
        i++;
    letters = i;
    while (i < host.len && host.p[i] >= '0' && host.p[i] <= '9')
        i++;
    digits = i - letters;
    return letters >= 2 && letters <= 4 && digits >= 1 && i + 4 <= host.len &&
           sx_bt_iprefix(host.p + i, host.len - i, "-omc");
}

const char *sx_bagent_name(const sx_bmail *m, const sx_bres *res)
{
    const uint32_t *at = m->marks.at;
    if (at[MK_AG_DMA] != SX_BMARK_NONE)
        return "DragonFly";
    /* amavisd-new says so in its report, which it signs "Content-filter
     * at HOST" */
    if (at[MK_AG_AMAVIS] != SX_BMARK_NONE ||
        (m->from.p != NULL &&
         sx_bt_ifind(m->from.p, m->from.len, "content-filter at ") != NULL))
        return "Amavis";
    if (at[MK_AG_YAHOO] != SX_BMARK_NONE && at[MK_AG_YAHOO] < 512)
        return "Yahoo";
    sx_str xm = sx_bmail_header(m, "X-Mailer");
    if (xm.p != NULL && sx_bt_iprefix(xm.p, xm.len, "<smtp32 "))
        return "IMailServer";
    sx_str rm = sx_bt_str(res->reporting_mta, strlen(res->reporting_mta));
    /* SES's inbound side reports for the domains it receives for; its
     * outbound side for the mail it sent */
    if (in_domain(rm, "amazonaws.com") &&
        sx_bt_ifind(rm.p, rm.len, "inbound-smtp.") != NULL)
        return "ReceivingSES";
    sx_str fd = from_domain(m);
    if (in_domain(fd, "amazonses.com") || in_domain(rm, "amazonses.com") ||
        sx_bmail_header(m, "X-SES-Outgoing").p != NULL)
        return "AmazonSES";
    /* Microsoft: an Exchange report says so in a field of its own or
     * names the server that generated it; Outlook.com's older notices
     * (hotmail.com) share the rest of Exchange's signs */
    sx_str rcvd = sx_bmail_header(m, "Received");
    if (at[MK_AG_GENSRV] != SX_BMARK_NONE ||
        sx_bmail_header(m, "X-MS-Exchange-Message-Is-Ndr").p != NULL)
        return m365_or_exchange(m, rm, fd, rcvd);
    if (in_domain(fd, "hotmail.com") || in_domain(fd, "outlook.com") ||
        in_domain(rm, "hotmail.com") || outlook_omc(rm))
        return "Outlook";
    if (at[MK_AG_EXCHANGE] != SX_BMARK_NONE ||
        (rcvd.p != NULL &&
         sx_bt_ifind(rcvd.p, rcvd.len, "with microsoft smtp") != NULL))
        return m365_or_exchange(m, rm, fd, rcvd);
    if (in_domain(fd, "biglobe.ne.jp"))
        return "Biglobe";
    /* Trend Micro's gateway signs its reports "InterScan MSS" */
    if (m->from.p != NULL &&
        sx_bt_ifind(m->from.p, m->from.len, "interscan") != NULL)
        return "InterScanMSS";
    /* a Barracuda appliance says it blocked the message "by our Spam
     * Firewall", and names itself so in the Received field it added to
     * the returned message */
    if (at[MK_AG_BARRA1] != SX_BMARK_NONE || at[MK_AG_BARRA2] != SX_BMARK_NONE)
        return "Barracuda";
    if (m->orig_part != NULL) {
        const sx_hdr *h =
            sx_msg_header_raw(&m->msg, m->orig_part, "Received", 0);
        if (h != NULL &&
            sx_bt_ifind(h->value.p, h->value.len, "(spam firewall)") != NULL)
            return "Barracuda";
    }
    /* PowerMTA adds fields of its own to the per-message report fields */
    if (m->dsnp != NULL &&
        sx_bt_ifind(m->dsnp, m->dsnlen < 2048 ? m->dsnlen : 2048,
                    "x-powermta-") != NULL)
        return "PowerMTA";
    return NULL;
}

/* Does the subject end with the caseless phrase, or, when at_start,
 * begin with it or have it after a space (behind a "Fwd:" a person
 * added)? */
static int subject_is(const sx_bmail *m, const char *phrase, int at_start)
{
    sx_str s = sx_bt_str(m->subject_dec.data, m->subject_dec.len);
    size_t n = strlen(phrase);
    while (s.len > 0 && (s.p[s.len - 1] == ' ' || s.p[s.len - 1] == '\t'))
        s.len--;
    if (s.len < n)
        return 0;
    if (!at_start)
        return sx_bt_iprefix(s.p + s.len - n, n, phrase);
    const char *at = sx_bt_ifind(s.p, s.len, phrase);
    return at != NULL && (at == s.p || at[-1] == ' ');
}

/* A delivery-status report that Postfix's or Sendmail's reader took is
 * named for that MTA only when it carries the MTA's own subject and its
 * own opening sentence; a gateway or an appliance built on either, which
 * rewrites the wording ("This is the Email Security Gateway at host"),
 * or a report under another subject ("Delayed Mail", "Returned mail:
 * Service unavailable") is a plain RFC 3464 report to Sisimai's
 * consumers, who sort by that name. Reports without a delivery-status
 * part keep the MTA's name: their text is all there is. Gmail is the
 * same: its notices of old had no delivery-status part and are Gmail's;
 * those that have one are standard reports. */
static int postfix_own(const sx_bmail *m)
{
    if (subject_is(m, "postfix smtp server: errors from", 1))
        return 1; /* a notice to the postmaster: a transcript, no sentence */
    return subject_is(m, "undelivered mail returned to sender", 1) &&
           (m->marks.at[MK_PF_SYSTEM] != SX_BMARK_NONE ||
            m->marks.at[MK_PF_PROGRAM] != SX_BMARK_NONE);
}

static int sendmail_own(const sx_bmail *m)
{
    return (subject_is(m, "see transcript for details", 0) ||
            subject_is(m, "warning: ", 1)) &&
           (m->marks.at[MK_SM_TRANSCRIPT] != SX_BMARK_NONE ||
            m->marks.at[MK_SM_RECEIVED] != SX_BMARK_NONE ||
            m->marks.at[MK_SM_FATAL] != SX_BMARK_NONE);
}

/* A delivery-status report: its part, or its fields in the text of a
 * notice whose MIME structure was lost on the way. */
static int standard_report(const sx_bmail *m)
{
    return m->dsn_part != NULL ||
           sx_bt_ifind(m->tx, m->txlen, "\nfinal-recipient:") != NULL;
}

const char *sx_bagent_provider(const sx_bmail *m, const sx_detector *d,
                               const sx_bres *res)
{
    if (d == &sx_det_postfix) {
        if (m->marks.at[MK_AG_SENDGRID] != SX_BMARK_NONE)
            return "SendGrid";
        sx_str rcvd = sx_bmail_header(m, "Received");
        if (sx_bmail_header(m, "X-Yandex-Front").p != NULL ||
            (rcvd.p != NULL &&
             sx_bt_ifind(rcvd.p, rcvd.len, "(nwsmtp/yandex)") != NULL))
            return "Yandex";
        if (!postfix_own(m) && standard_report(m))
            return "RFC3464";
        return NULL;
    }
    if (d == &sx_det_gmail)
        return standard_report(m) ? "RFC3464" : NULL;
    if (d == &sx_det_sendmail) {
        if (strcmp(res->agent, "Sendmail") == 0 && !sendmail_own(m) &&
            standard_report(m))
            return "RFC3464";
        return NULL;
    }
    if (d == &sx_det_exim) {
        /* the big mailbox providers that run Exim, by their own domains */
        sx_str fd = from_domain(m);
        if (in_domain(fd, "kundenserver.de") || in_domain(fd, "1and1.com"))
            return "EinsUndEins";
        if (in_domain(fd, "gmx.net") || in_domain(fd, "gmx.de") ||
            in_domain(fd, "gmx.com"))
            return "GMX";
        if (in_domain(fd, "mail.ru"))
            return "MailRu";
        /* United Internet's filter field, on 1&1's notices whatever
         * the host names say */
        if (sx_bmail_header(m, "X-UI-Out-Filterresults").p != NULL)
            return "EinsUndEins";
        return NULL;
    }
    /* Verizon's text-message gateway answers in James's words */
    if (d == &sx_det_james && in_domain(from_domain(m), "vtext.com"))
        return "Verizon";
    return NULL;
}
