/*
 * bounce_generic.c - bounces of no known family: find the recipients and
 * the reply in free text.
 *
 * A notification of any MTA tends to say "this address failed", then the
 * reason, then paste the message. So the scan walks the lines before the
 * pasted copy and takes as recipients the addresses that stand on a line
 * of their own (or lead it: "<a@b>:", "a@b ... User unknown"), and as
 * each one's reply the lines that follow it up to the next recipient. A
 * line with a reply code and an address that did not stand alone still
 * names a recipient ("550 5.1.1 <a@b>: User unknown"). X-Failed-Recipients
 * (Exim, Gmail and others) names them when it is there.
 * Addresses of the sender, the bounce's own From and the people to write
 * to for help are never recipients.
 *
 * Which lines of a block are the reply, in order of preference: an SMTP
 * transcript in any of the shapes notices paste it (bounce_transcript.c)
 * gives the error answer alone and the command before it; labelled report
 * fields ("Diagnostic code: smtp;...") give theirs; else, of several
 * paragraphs, the one that states an error code, and failing that every
 * line that is not boilerplate. A reason stated only in the sentence that
 * announces the list ("... because the user is unknown:") serves the
 * addresses listed under it that have none of their own.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bounce/bounce.h"
#include "bounce/bounce_generic.h"
#include "bounce/bounce_lines.h"
#include "bounce/bounce_orig.h"
#include "bounce/bounce_text.h"

/* What may stand between an address and the text after it on its line:
 * "<a@b>: text", "a@b... text", "a@b, text", "a@b; text". */
#define AFTER_ADDR ">]): \t.,;|-"

/* The first byte from p on (before e) that is not one of skip. */
static const char *past(const char *p, const char *e, const char *skip)
{
    while (p < e && *p != '\0' && strchr(skip, *p) != NULL)
        p++;
    return p;
}

/* Does p (before e) start with one of marks, each a character of three
 * UTF-8 bytes (the brackets of CJK text, typographic quotes)? */
static int wide_mark(const char *p, const char *e, const char *const *marks)
{
    for (size_t i = 0; e - p >= 3 && marks[i]; i++)
        if (memcmp(p, marks[i], 3) == 0)
            return 1;
    return 0;
}

/* Past a closing bracket of CJK text after an address ("「a@b」"), and
 * the blanks after it. */
static const char *past_wide_close(const char *p, const char *e)
{
    static const char *const close[] = {"」", "』", "】", "＞", "）", "”",
                                        NULL};
    return wide_mark(p, e, close) ? past(p + 3, e, " \t") : p;
}

static int same(sx_str a, sx_str b)
{
    return a.len == b.len && a.len > 0 && sx_bt_ieq(a.p, b.p, a.len);
}

/* Addresses that are not failed recipients. */
static int excluded(const sx_bmail *m, sx_str a)
{
    sx_str x;
    if (m->to.p && sx_bt_find_addr(m->to.p, m->to.len, &x, NULL) && same(x, a))
        return 1;
    if (m->from.p && sx_bt_find_addr(m->from.p, m->from.len, &x, NULL) &&
        same(x, a))
        return 1;
    return 0;
}

/* Does s[0..n) state a failure's reply code or enhanced status code? (A
 * success, "250 2.1.0 Sender OK", is no reply to report.) */
static int states_code(const char *s, size_t n)
{
    size_t at;
    char enh[16];
    return sx_bt_find_code(s, n, &at) ||
           (sx_bt_find_enhanced(s, n, enh, &at) && enh[0] != '2');
}

/* A list item's mark and the blank after it ("- ", "-- ", "* ", "o ",
 * U+2022 "• ", "1) ", "2. "), as notices that list the failed addresses
 * write them, taken off t. */
static sx_str unbullet(sx_str t)
{
    size_t k = 0;
    if (t.len >= 3 && (unsigned char)t.p[0] == 0xE2 &&
        (unsigned char)t.p[1] == 0x80 && (unsigned char)t.p[2] == 0xA2)
        k = 3;
    else if (t.len >= 1 && (t.p[0] == '*' || t.p[0] == 'o'))
        k = 1;
    else if (t.len >= 3 && t.p[0] >= '0' && t.p[0] <= '9') {
        /* "1) a@b", "2. a@b": a numbered list */
        while (k < t.len && k < 3 && t.p[k] >= '0' && t.p[k] <= '9')
            k++;
        if (k >= t.len || (t.p[k] != ')' && t.p[k] != '.'))
            return t;
        k++;
    } else {
        while (k < t.len && k < 2 && t.p[k] == '-')
            k++;
    }
    if (k == 0 || k >= t.len || (t.p[k] != ' ' && t.p[k] != '\t'))
        return t;
    return sx_bt_trim(sx_bt_str(t.p + k, t.len - k));
}

/* A line that announces on the next the address of someone who is no
 * recipient: the sender ("A message sent by", "Your message from"), whom
 * to ask ("Please reply to", "... contact"), or an example in the
 * notice's advice ("... e.g., if" / "a@b fails, try c@d"). */
static int names_other(sx_str t)
{
    static const char *const ends[] = {" sent by", " from", " reply to",
                                       " contact", " write to", " if",
                                       " e.g.,", " e.g.", " such as", NULL};
    /* a pasted header field folded before its value ("Message-ID:" then
     * "  <id@host>" below): the value is the field's, not a recipient */
    static const char *const fields[] = {
        "message-id:", "references:", "in-reply-to:", "return-path:",
        "from:", "sender:", "reply-to:", "errors-to:", NULL};
    if (t.len == 0)
        return 0;
    for (size_t i = 0; fields[i]; i++)
        if (t.len == strlen(fields[i]) && sx_bt_ieq(t.p, fields[i], t.len))
            return 1;
    for (size_t i = 0; ends[i]; i++) {
        size_t n = strlen(ends[i]);
        if (t.len > n && sx_bt_ieq(t.p + t.len - n, ends[i], n))
            return 1;
    }
    return 0;
}

/* "Judy Doe <a@b>" or "\"Doe, Judy\" <a@b>:" as a line: a person's name
 * (a few words, no digits, no punctuation of a sentence or a field), then
 * the address in angle brackets closing the line; or in parentheses, as
 * Exchange lists recipients ("Judy Doe (a@b)"). */
static int display_name(sx_str t, sx_str a)
{
    const char *e = t.p + t.len, *close = a.p + a.len;
    if (a.p == t.p || close >= e ||
        !((a.p[-1] == '<' && *close == '>') ||
          (a.p[-1] == '(' && *close == ')')))
        return 0;
    for (const char *r = close + 1; r < e; r++)
        if (*r != ' ' && *r != '\t' && *r != ':' && *r != ',')
            return 0;
    sx_str name = sx_bt_trim(sx_bt_str(t.p, (size_t)(a.p - 1 - t.p)));
    if (name.len == 0 || name.len > 64 || names_other(name))
        return 0; /* "Please reply to <postmaster@b>" names no recipient */
    /* the punctuation of a CJK sentence ("...場合は、<a@b>") is no name's */
    static const char *const sentence[] = {"、", "。", "，", "！", "？", NULL};
    for (size_t i = 0; sentence[i]; i++)
        if (sx_bt_find(name.p, name.len, sentence[i]) != NULL)
            return 0;
    unsigned words = 1;
    for (size_t i = 0; i < name.len; i++) {
        char c = name.p[i];
        if ((c >= '0' && c <= '9') || c == ':' || c == '@' || c == '<' ||
            c == '>' || c == '[' || c == ';' || c == '!' || c == '?')
            return 0;
        words += c == ' ';
    }
    return words <= 5;
}

/* t is exactly one address at a host name without dots ("a@localhost",
 * maybe in <>): letters, digits and ".-_+=" before the @, letters, digits
 * and '-' after it. */
static int local_host_address(sx_str t, sx_str *a)
{
    t = sx_bt_trim(t);
    if (t.len >= 2 && t.p[0] == '<' && t.p[t.len - 1] == '>')
        t = sx_bt_trim(sx_bt_str(t.p + 1, t.len - 2));
    const char *at = memchr(t.p, '@', t.len);
    if (at == NULL || at == t.p || at + 1 == t.p + t.len)
        return 0;
    for (const char *q = t.p; q < t.p + t.len; q++) {
        int c = (unsigned char)*q;
        if (q == at)
            continue;
        if (!isalnum(c) && c != '-' &&
            (q > at || (c != '.' && c != '_' && c != '+' && c != '=')))
            return 0;
    }
    *a = t;
    return 1;
}

/* The line is (mostly) one address: "<a@b>", "a@b:", "  a@b",
 * "To: a@b", "Recipient: <a@b>", "<a@b>... Deferred ..." and the like;
 * *addr gets it. */
int sx_bgeneric_addr_line(sx_str line, sx_str *addr)
{
    /* the address lies within the line: most lines that are read here
     * (a notice's prose, a transcript) hold no '@' and fail at once */
    if (line.len == 0 || memchr(line.p, '@', line.len) == NULL)
        return 0;
    sx_str t = sx_bt_trim(line);
    static const char *const ascii_lead[] = {
        "recipient:", "recipient address:", "original recipient:",
        "final recipient:", "to:", "rcpt to:", "address:", "addressee:",
        "failed recipient:", "unknown recipient:", "invalid recipient:",
        "envelope-to:", "for:", "intended recipient:",
        /* Lotus Notes: "was not delivered to:" with the address on the
         * same line, in English and in German */
        "was not delivered to:", "wurde nicht zugestellt an:",
        /* the same label in the languages notices come in */
        "empfänger:", "empfaenger:", "destinataire:", "destinataire :",
        "destinatario:", "destinatário:", "ontvanger:", "mottagare:",
        "modtager:", "mottaker:", "vastaanottaja:", "odbiorca:",
        "příjemce:", "címzett:", "alıcı:", "adresát:", "destinatar:",
        "penerima:", "người nhận:", NULL};
    /* those that start with a letter beyond ASCII: only looked at for a
     * line that starts with one */
    static const char *const wide_lead[] = {
        /* the comparison folds ASCII letters only: Cyrillic labels are
         * listed as they open a line, capitalised, too */
        "получатель:", "Получатель:", "адресат:", "Адресат:",
        /* Ukrainian (two words), Bulgarian, Greek */
        "Отримувач:", "Одержувач:", "Получател:", "Παραλήπτης:",
        /* Arabic, Hebrew, Thai */
        "المستلم:", "נמען:", "ผู้รับ:",
        "收件人：", "收件人:",
        "收信人：", "收信人:", "宛先：", "宛先:", "受信者：", "受信者:",
        "받는 사람:", "받는사람:", "수신자:", "수신인:", NULL};
    /* the leads are lower case: most lines fail on the first byte; every
     * ASCII one opens with a letter, so a line that opens with '<', a
     * quote or a digit (most address lines) is not compared with them */
    static const char *const no_lead[] = {NULL};
    /* the address a local user was reached by, below "... to local user
     * NAME." */
    static const char *const paren_lead[] = {"(originally addressed to ",
                                             NULL};
    unsigned char c0 = t.len ? (unsigned char)t.p[0] : 0;
    c0 = c0 >= 'A' && c0 <= 'Z' ? (unsigned char)(c0 + 32) : c0;
    const char *const *lead = c0 >= 0x80                ? wide_lead
                              : c0 >= 'a' && c0 <= 'z' ? ascii_lead
                              : c0 == '('              ? paren_lead
                                                       : no_lead;
    int labelled = 0;
    for (size_t i = 0; lead[i]; i++) {
        if ((unsigned char)lead[i][0] != c0)
            continue;
        size_t l = strlen(lead[i]);
        if (sx_bt_iprefix(t.p, t.len, lead[i])) {
            /* "Final recipient: rfc822;a@b" as a report's field */
            t = sx_bt_typed(sx_bt_str(t.p + l, t.len - l), NULL, 0);
            labelled = 1;
            break;
        }
    }
    t = unbullet(t);
    /* an X.400 O/R address that carries the Internet one, as Exchange's
     * Internet Mail Service writes a recipient:
     * "c=US;a= ;p=Org;o=Site;dda:SMTP=a@b; on <date>" */
    if (t.len > 8 && sx_bt_iprefix(t.p, t.len, "c=")) {
        const char *x = sx_bt_ifind(t.p, t.len, "dda:smtp=");
        if (x != NULL)
            t = sx_bt_str(x + 9, t.len - (size_t)(x + 9 - t.p));
    }
    /* an address with its type in brackets, "[SMTP:a@b]", as Exchange
     * and MailEnable write recipients */
    if (t.len > 7 && t.p[0] == '[' &&
        sx_bt_iprefix(t.p + 1, t.len - 1, "smtp:"))
        t = sx_bt_str(t.p + 6, t.len - 6);
    size_t next;
    sx_str a;
    if (!sx_bt_find_addr(t.p, t.len, &a, &next)) {
        /* under a label, an address at a host name without dots (Sun's
         * messaging server writes "Recipient address: a@sims-ms-daemon",
         * its local delivery channel) */
        if (!labelled || !local_host_address(t, &a))
            return 0;
        *addr = a;
        return 1;
    }
    /* the address must open the line (maybe after '<' or a quote, or an
     * opening bracket of CJK text: "「a@b」宛のメールは...") */
    size_t lead_len = (size_t)(a.p - t.p);
    static const char *const wide_open[] = {"「", "『", "【", "＜", "（",
                                            "“", NULL};
    if (lead_len == 3 && wide_mark(t.p, a.p, wide_open)) {
        *addr = a;
        return 1;
    }
    if (lead_len > 2) {
        if (!display_name(t, a))
            return 0;
        *addr = a;
        return 1;
    }
    for (size_t i = 0; i < lead_len; i++)
        if (t.p[i] != '<' && t.p[i] != '"' && t.p[i] != '(')
            return 0;
    *addr = a;
    return 1;
}

/* Do the words w (caseless) end right before the address a on line l,
 * but for the quotes, '<' and blanks around it, and start a word? With
 * gap set, at least one such byte must stand between. */
static int word_before(sx_str l, sx_str a, const char *w, int gap)
{
    size_t n = strlen(w);
    const char *b = a.p;
    while (b > l.p && strchr("<'\" \t", b[-1]) != NULL)
        b--;
    return (!gap || b < a.p) && (size_t)(b - l.p) >= n &&
           sx_bt_ieq(b - n, w, n) &&
           ((size_t)(b - l.p) == n || b[-(ptrdiff_t)n - 1] == ' ' ||
            b[-(ptrdiff_t)n - 1] == '\t');
}

/* Does the sentence name the address as the one the message was
 * "addressed to" ("The following message, addressed to 'a@b', failed
 * because ...": the reason follows on the next lines)? */
static int addressed_to(sx_str l, sx_str a)
{
    return word_before(l, a, "addressed to", 0);
}

/* A "To:" line inside a paragraph that opens with a Received: or
 * Return-Path: field: the header of the returned message, pasted below
 * a marker the notice words in its own way ("---- Header of the source
 * mail attached ----"); its addressees are not the failed recipients. */
static int returned_header(const char *para, sx_str l)
{
    sx_str t = sx_bt_trim(l);
    if (para == NULL || !(sx_bt_iprefix(t.p, t.len, "to:") ||
                          sx_bt_iprefix(t.p, t.len, "cc:")))
        return 0;
    while (*para == ' ' || *para == '\t')
        para++;
    size_t n = (size_t)(l.p - para);
    return sx_bt_iprefix(para, n, "received:") ||
           sx_bt_iprefix(para, n, "return-path:");
}

/* The address an alias or a forward was reached by, on the line right
 * below the recipient's ("a@b" then "(expanded from: c@d)", as Sendmail
 * writes it, or "(generated from c@d)"): the one the message was sent
 * to. start is just past the recipient's address on its line. */
static int alias_below(const char *start, const char *end, sx_str *al)
{
    const char *nl = memchr(start, '\n', (size_t)(end - start));
    if (nl == NULL)
        return 0;
    sx_str rest = sx_bt_trim(sx_bt_str(start, (size_t)(nl - start)));
    if (rest.len > 0)
        return 0; /* the recipient's line goes on: no alias line below */
    const char *p = nl + 1;
    const char *e = memchr(p, '\n', (size_t)(end - p));
    sx_str l = sx_bt_trim(sx_bt_str(p, (size_t)((e ? e : end) - p)));
    size_t next;
    /* "Original address: c@d" below "Recipient address: a@b" (Sun's
     * and PMDF's notices) */
    return (sx_bt_iprefix(l.p, l.len, "(expanded from") ||
            sx_bt_iprefix(l.p, l.len, "(generated from") ||
            sx_bt_iprefix(l.p, l.len, "original address:")) &&
           sx_bt_find_addr(l.p, l.len, al, &next);
}

/* Is a the returned message's Return-Path? That is the sender's return
 * address (often a VERP one), which a refusal may quote ("550-'5.7.1
 * <bounces-1234@b>... Access denied'"), never a failed recipient. (The
 * notice's own Delivered-To would say the same, but copies of notices
 * kept for tests often carry the failed address there.) */
static int return_path(const sx_bmail *m, sx_str a)
{
    if (m->orig_part == NULL)
        return 0;
    const sx_hdr *h =
        sx_msg_header_raw(&m->msg, m->orig_part, "Return-Path", 0);
    sx_str x;
    size_t next;
    return h && sx_bt_find_addr(h->value.p, h->value.len, &x, &next) &&
           same(x, a);
}

/* Does the word "from" stand right before the address ("not accepting
 * mail from a@b", "rejected mail from <a@b>")? Such an address is the
 * sender's, not a recipient's. */
static int after_from(sx_str l, sx_str a)
{
    return word_before(l, a, "from", 1);
}

/* An announcement of the list below that gives the reason too ("... to
 * the following recipients because the user is unknown:"). */
static int because(sx_str t)
{
    return sx_bt_ifind(t.p, t.len, " because ") != NULL ||
           sx_bt_ifind(t.p, t.len, " due to ") != NULL;
}

typedef struct cand {
    sx_str addr;
    const char *start; /* where its reply text starts */
    const char *end;
    /* the paragraph right above a lone address, for notices that give
     * the reason first ("User not listed ...", then the address) */
    const char *pre, *pre_end;
    /* the first of the addresses listed on one line with this one
     * ("a@b, c@d"): they share the reply below the line */
    size_t first;
    /* named by a "To:" line, which may echo the returned message's
     * header rather than list a failure */
    int echo;
} cand;

#define MAX_CANDS 256u

/* One more piece of a reply, blank-separated, while it is under 4 KB. A
 * piece lost to a failed allocation would leave a record that looks whole
 * with another text: that is an error, not a cut. */
smtpdx_status sx_bgeneric_piece(sx_sbuf *out, sx_str t, int *full)
{
    if (*full || t.len == 0)
        return SMTPDX_OK;
    int rc = out->len ? sx_sbuf_putc(out, ' ') : SX_SBUF_OK;
    /* no more than the limit is taken: a notice's line may be as long as
     * its text, and the fallback reads some hundred candidates */
    size_t room = out->len < 4096 ? 4096 + 1 - out->len : 1;
    size_t k = t.len < room ? t.len : room;
    while (k > 0 && k < t.len && ((unsigned char)t.p[k] & 0xC0) == 0x80)
        k--; /* not inside a UTF-8 character */
    if (rc == SX_SBUF_OK)
        rc = sx_sbuf_append(out, t.p, k);
    if (rc == SX_SBUF_NOMEM)
        return SMTPDX_ERR_NOMEM;
    if (rc != SX_SBUF_OK || out->len > 4096 || k < t.len)
        *full = 1; /* past the limit: keep the start */
    return SMTPDX_OK;
}

/* The value of a "Label: value" line when its label is one of labels
 * (lower case, with the colon), else an empty string. */
static sx_str labelled(sx_str t, const char *const *labels)
{
    for (size_t i = 0; labels[i]; i++) {
        if (sx_bt_iprefix(t.p, t.len, labels[i])) {
            size_t k = strlen(labels[i]);
            return sx_bt_trim(sx_bt_str(t.p + k, t.len - k));
        }
    }
    return sx_bt_str(NULL, 0);
}

/* A block written as labelled fields, the way some MTAs put a report's
 * fields into the text ("Diagnostic code: smtp;550 5.1.1 ...", "Remote
 * system: dns;mx.example.org (...)"): the diagnostic field is the reply
 * and the remote system names the host. 1 when the block held a
 * diagnostic field. */
static int fields(sx_bres *res, sx_brcpt *rc, const char *p, const char *e,
                  smtpdx_status *st)
{
    /* "Error-Text:" is L-Soft's LSMTP ("Error-for: a@b", "Error-Code:",
     * "Error-Text: Mailer mx said:" and the reply indented below) */
    static const char *const diag_labels[] = {
        "diagnostic code:", "diagnostic-code:", "error-text:", NULL};
    static const char *const host_labels[] = {
        "remote system:", "remote-mta:", "remote mta:", NULL};
    /* "Reason: ..." in a block of such fields (Sun's and PMDF's notices,
     * under "Recipient address:" and "Original address:"): the reply when
     * no diagnostic field gives one */
    static const char *const reason_labels[] = {"reason:", NULL};
    sx_btlines it;
    sx_str l, diag = {NULL, 0}, host = {NULL, 0}, reason = {NULL, 0};
    int blockish = 0; /* the block has the fields around a reason */
    /* the diagnostic's value goes on below on lines indented deeper than
     * its label's (the next field of a block indented as a whole does
     * not) */
    int folded = 0;
    size_t indent = 0;
    sx_bt_lines_init(&it, p, (size_t)(e - p));
    while (it.count < 60 && sx_bt_next_line(&it, &l)) {
        sx_str t = sx_bt_trim(l), v;
        if (folded && t.len > 0 && (size_t)(t.p - l.p) > indent) {
            diag.len = (size_t)(t.p + t.len - diag.p);
            continue;
        }
        folded = 0;
        if (diag.len == 0 && (v = labelled(t, diag_labels)).len > 0) {
            diag = sx_bt_typed(v, NULL, 0);
            folded = 1;
            indent = (size_t)(t.p - l.p);
        } else if (host.len == 0 && (v = labelled(t, host_labels)).len > 0) {
            host = sx_bt_typed(v, NULL, 0);
        } else if (reason.len == 0 &&
                   (v = labelled(t, reason_labels)).len > 0) {
            reason = v;
        } else if (sx_bt_iprefix(t.p, t.len, "original address:")) {
            blockish = 1;
        }
    }
    if (diag.len == 0 && blockish)
        diag = reason;
    if (diag.len == 0)
        return 0;
    *st = sx_bres_set(res, &rc->diag, diag.p, diag.len);
    size_t h = host.len ? sx_bt_host_len(host.p, host.len) : 0;
    if (*st == SMTPDX_OK && h > 0 && memchr(host.p, '.', h) != NULL &&
        rc->rhost[0] == '\0')
        *st = sx_bres_set(res, &rc->rhost, host.p, h);
    return 1;
}

/* "Remote host: mx.example.org" on a line of its own, above the reply in
 * some gateways' notices: it names the host and is no part of the reply.
 * 1 when t is such a line (the host kept unless one is known). */
static int host_line(sx_bres *res, sx_brcpt *rc, sx_str t, smtpdx_status *st)
{
    static const char *const labels[] = {
        "remote host:", "remote server:", "remote system:", "remote-mta:",
        "remote mta:", NULL};
    sx_str v = labelled(t, labels);
    if (v.len == 0)
        return 0;
    v = sx_bt_typed(v, NULL, 0);
    size_t h = sx_bt_host_len(v.p, v.len), at;
    /* "Remote host: mx [addr] said: 550 ...": the reply is on it */
    if (h == 0 || memchr(v.p, '.', h) == NULL ||
        sx_bt_find_code(v.p, v.len, &at))
        return 0;
    if (rc->rhost[0] == '\0')
        *st = sx_bres_set(res, &rc->rhost, v.p, h);
    return 1;
}

/* Exchange Online's lines for administrators name the remote host on a
 * line of its own between the recipient and "Remote Server returned
 * '550 ...'": such a bare host name, followed by that line, is the host
 * and no part of the reply. */
static int host_above_returned(sx_bres *res, sx_brcpt *rc, sx_str t,
                               const char *next, const char *e,
                               smtpdx_status *st)
{
    static const char said[] = "remote server returned";
    size_t h = sx_bt_host_len(t.p, t.len);
    if (h == 0 || h != t.len || memchr(t.p, '.', h) == NULL)
        return 0;
    while (next < e && (*next == '\r' || *next == '\n' || *next == ' ' ||
                        *next == '\t'))
        next++;
    if ((size_t)(e - next) < sizeof said - 1 ||
        !sx_bt_ieq(next, said, sizeof said - 1))
        return 0;
    if (rc->rhost[0] == '\0')
        *st = sx_bres_set(res, &rc->rhost, t.p, h);
    return 1;
}

static int code_paragraph(const char *text, size_t len, const char **p,
                          const char **e);

/* Exchange's line for administrators, "mx.example.org #550 5.1.1 ...
 * ##": the host before the '#' is the remote host. */
static smtpdx_status exchange_host(sx_bres *res, sx_brcpt *rc, const char *p,
                                   const char *e)
{
    sx_btlines it;
    sx_str l;
    sx_bt_lines_init(&it, p, (size_t)(e - p));
    while (it.count < 60 && sx_bt_next_line(&it, &l)) {
        sx_str t = sx_bt_trim(l);
        size_t h = sx_bt_host_len(t.p, t.len);
        if (h == 0 || h + 5 > t.len || t.p[h] != ' ' || t.p[h + 1] != '#' ||
            t.p[h + 2] < '2' || t.p[h + 2] > '5' ||
            memchr(t.p, '.', h) == NULL)
            continue;
        return sx_bres_set(res, &rc->rhost, t.p, h);
    }
    return SMTPDX_OK;
}

/* Past the end of a paragraph at from (before e), the lines that carry on
 * a multiline reply ("550-5.7.26 ...", "550 5.7.26 ...") after blank lines
 * that should not be there (a CR CR LF line end reads as a blank line). */
static const char *reply_end(const char *from, const char *e)
{
    sx_btlines it;
    sx_str l;
    const char *end = from;
    sx_bt_lines_init(&it, from, (size_t)(e - from));
    while (it.count < 60 && sx_bt_next_line(&it, &l)) {
        sx_str t = sx_bt_trim(l);
        if (t.len == 0)
            continue;
        if (!sx_btx_error_answer(t))
            break;
        end = l.p + l.len;
    }
    return end;
}

/* A date starts at p: a digit, or a weekday's name and a comma ("Tue,
 * 4 Mar 2025"). */
static int date_follows(const char *p, const char *e)
{
    if (p < e && *p >= '0' && *p <= '9')
        return 1;
    return e - p > 5 && isalpha((unsigned char)p[0]) &&
           isalpha((unsigned char)p[1]) && isalpha((unsigned char)p[2]) &&
           p[3] == ',' && p[4] == ' ' && p[5] >= '0' && p[5] <= '9';
}

/* A header field of the message the notice pastes below the reply
 * ("Subject: ...", "Date: ..."): no part of the reply. */
static int pasted_field(sx_str t)
{
    static const char *const names[] = {
        "subject:", "date:", "message-id:", "content-type:",
        "content-transfer-encoding:", "mime-version:", "received:",
        "return-path:", "reply-to:", "user-agent:", "x-mailer:", NULL};
    unsigned char c0 = (unsigned char)(t.p[0] | 0x20);
    for (size_t i = 0; names[i]; i++)
        if ((unsigned char)names[i][0] == c0 &&
            sx_bt_iprefix(t.p, t.len, names[i]))
            return 1;
    return 0;
}

/* A line that announces the reply below it: "The reason for the
 * problem:", "Reason:", "The error was:" (short, ending with a colon). */
static int reason_title(sx_str t)
{
    if (t.len < 7 || t.len > 60 || t.p[t.len - 1] != ':')
        return 0;
    return sx_bt_ifind(t.p, t.len, "reason") != NULL ||
           sx_bt_ifind(t.p, t.len, "error was") != NULL ||
           sx_bt_ifind(t.p, t.len, "problem") != NULL;
}

/* The length of a label such as "Reason:" (in the languages notices are
 * written in) that opens s: the reply is what follows it. A word for
 * "reason" is a label whatever follows; one for "error" only before a
 * reply code ("Error: 550 ..."), since "Error: Invalid user address" may
 * be all there is to say. 0 when s opens otherwise. */
static size_t reply_label(const char *s, size_t n)
{
    static const struct {
        const char *word;
        int code_only;
    } labels[] = {
        {"reason", 0}, {"failure reason", 0}, {"grund", 0}, {"raison", 0},
        {"motif", 0}, {"motivo", 0}, {"causa", 0}, {"reden", 0},
        {"motiv", 0}, {"alasan", 0}, {"lý do", 0},
        /* Russian "причина" (also capitalised: only ASCII letters are
         * compared caselessly); Japanese "理由"; Japanese and Chinese
         * "原因"; Korean "사유"; Chinese "退信原因" (the reason it came
         * back) */
        {"\xd0\xbf\xd1\x80\xd0\xb8\xd1\x87\xd0\xb8\xd0\xbd\xd0\xb0", 0},
        {"\xd0\x9f\xd1\x80\xd0\xb8\xd1\x87\xd0\xb8\xd0\xbd\xd0\xb0", 0},
        /* Greek "Αιτία" (cause) */
        {"\xce\x91\xce\xb9\xcf\x84\xce\xaf\xce\xb1", 0},
        {"\xe7\x90\x86\xe7\x94\xb1", 0},
        {"\xe5\x8e\x9f\xe5\x9b\xa0", 0},
        {"\xec\x82\xac\xec\x9c\xa0", 0},
        {"\xe9\x80\x80\xe4\xbf\xa1\xe5\x8e\x9f\xe5\x9b\xa0", 0},
        {"error", 1}, {"fehler", 1}, {"erreur", 1}, {"fout", 1},
        /* the words that hand over to the server's own ("Remote host
         * said: 550 ..."), when its reply follows */
        {"remote host said", 1}, {"remote server said", 1},
        {"the remote server said", 1}, {"the remote host said", 1},
        {"remote server replied", 1}, {"the server said", 1},
        {"server replied", 1}, {"server response", 1},
        {"server responded", 1}, {"transfer status", 1},
        {"der server meldete", 1},
        {"antwort des servers", 1}, {"le serveur a répondu", 1},
        {"réponse du serveur", 1}, {"el servidor respondió", 1},
        {"respuesta del servidor", 1},
        /* Russian "the recipient's server replied", "the server's
         * reply"; Chinese "the other server replied" (two wordings) */
        {"Сервер получателя ответил", 1}, {"Ответ сервера", 1},
        {"对方服务器回应", 1}, {"对方服务器返回", 1},
        /* Chinese "错误" */
        {"\xe9\x94\x99\xe8\xaf\xaf", 1},
        {NULL, 0}};
    for (size_t i = 0; labels[i].word; i++) {
        size_t k = strlen(labels[i].word);
        if (k >= n || !sx_bt_iprefix(s, n, labels[i].word))
            continue;
        while (k < n && s[k] == ' ')
            k++;
        if (k < n && s[k] == ':')
            k++;
        else if (k + 3 <= n && memcmp(s + k, "\xef\xbc\x9a", 3) == 0)
            k += 3; /* the full-width colon */
        else
            continue;
        while (k < n && s[k] == ' ')
            k++;
        if (!labels[i].code_only)
            return k < n ? k : 0;
        if (k + 3 < n && s[k] >= '2' && s[k] <= '5' &&
            s[k + 1] >= '0' && s[k + 1] <= '9' && s[k + 2] >= '0' &&
            s[k + 2] <= '9' && (s[k + 3] == ' ' || s[k + 3] == '-'))
            return k;
    }
    return 0;
}

static smtpdx_status set_from_text(sx_bres *res, sx_brcpt *rc, const char *p,
                                   const char *e, sx_sbuf *tmp)
{
    smtpdx_status st = SMTPDX_OK;
    if (sx_btx_read(res, rc, p, e, tmp, &st) || fields(res, rc, p, e, &st))
        return st;
    /* a block of several paragraphs of which one states a code: that
     * one is the reply, the others tell of attempts and whom to ask */
    const char *cp, *ce;
    if (code_paragraph(p, (size_t)(e - p), &cp, &ce) && cp != NULL)
        e = reply_end(ce, e), p = cp;
    if (rc->rhost[0] == '\0' && (st = exchange_host(res, rc, p, e)))
        return st;
    /* join the non-empty, non-boilerplate lines, at most 4 KB */
    sx_btlines it;
    sx_str l;
    int full = 0, in_field = 0;
    /* where the text below a reason title starts in tmp (0: none) */
    size_t below = 0;
    sx_sbuf_reset(tmp);
    sx_bt_lines_init(&it, p, (size_t)(e - p));
    while (!full && it.count < 60 && sx_bt_next_line(&it, &l)) {
        sx_str t = sx_bt_trim(l);
        if (sx_bl_rule(t) && tmp->len > 0) {
            /* "=====" "Technical details:" "=====": a title framed by
             * rules heads the section below; else a rule ends the text */
            if (tmp->data[tmp->len - 1] != ':')
                break;
            sx_sbuf_reset(tmp);
            full = 0;
            continue;
        }
        if (tmp->len > 0 && sx_bl_guesses(t))
            break;
        /* pasted header fields end the reply; above it, they and their
         * folded lines are skipped */
        if (t.len > 0 && pasted_field(t)) {
            if (tmp->len > 0)
                break;
            in_field = 1;
            continue;
        }
        if (in_field && l.len > 0 && (l.p[0] == ' ' || l.p[0] == '\t') &&
            !sx_bl_error(t))
            continue;
        in_field = 0;
        if (t.len == 0 || sx_bl_boilerplate(t) || sx_bl_rule(t))
            continue;
        if (host_line(res, rc, t, &st) ||
            (tmp->len == 0 &&
             host_above_returned(res, rc, t, l.p + l.len, e, &st))) {
            if (st != SMTPDX_OK)
                return st;
            continue;
        }
        if ((st = sx_bgeneric_piece(tmp, unbullet(t), &full)) != SMTPDX_OK)
            return st;
        /* a sentence naming the message, then "The reason for the
         * problem:" and the reply (Cisco's gateways write so): the
         * reply is what stands below the title */
        if (below == 0 && tmp->len > t.len && reason_title(t))
            below = tmp->len;
    }
    /* the reply is a span of what was joined: cut from both ends, then
     * copied once */
    const char *r = tmp->data ? tmp->data : "";
    size_t n = tmp->len;
    if (below > 0 && n > below + 1) {
        r += below + 1; /* past the joining blank */
        n -= below + 1;
    }
    /* "(Permanent error - 552 5.2.2 ...)" beside an address: the
     * parentheses wrap the reply, they are not part of it */
    if (n > 2 && r[0] == '(' && r[n - 1] == ')') {
        size_t depth = 0, i = 0;
        for (; i < n; i++) {
            depth += r[i] == '(';
            if (r[i] == ')' && --depth == 0)
                break;
        }
        if (i == n - 1) {
            r++;
            n -= 2;
        }
    }
    /* "Reason: Remote host said: 550 ...": a label may follow another */
    for (int i = 0; i < 2 && n > 0; i++) {
        size_t lab = reply_label(r, n);
        if (lab == 0)
            break;
        r += lab;
        n -= lab;
    }
    return sx_bres_set(res, &rc->diag, r, n);
}

/* The addresses the text names as the envelope sender ("MAIL FROM:<a>"),
 * found in one pass: the first max of them go to snd; returns how many
 * there are (more than max: the caller searches the text again). With
 * want set, stops at the first that is want and returns 1 (else 0). */
static size_t envelope_senders(const char *text, size_t len, sx_str *snd,
                               size_t max, const sx_str *want)
{
    const char *p = text, *e = text + len, *k;
    size_t n = 0;
    while (p < e &&
           (k = sx_bt_ifind(p, (size_t)(e - p), "mail from:")) != NULL) {
        p = past(k + 10, e, " \t<");
        sx_str x;
        size_t next;
        if (!sx_bt_find_addr(p, (size_t)(e - p), &x, &next) || x.p != p)
            continue;
        if (want != NULL && same(x, *want))
            return 1;
        if (n < max)
            snd[n] = x;
        n++;
    }
    return want != NULL ? 0 : n;
}

#define MAX_SENDERS 16u

/* Is a one of the envelope senders? snd and *ns keep what
 * envelope_senders found, the first time it is asked (*ns == SIZE_MAX). */
static int envelope_sender(const char *text, size_t len, sx_str *snd,
                           size_t *ns, sx_str a)
{
    if (*ns == SIZE_MAX)
        *ns = envelope_senders(text, len, snd, MAX_SENDERS, NULL);
    if (*ns > MAX_SENDERS)
        return envelope_senders(text, len, NULL, 0, &a) != 0;
    for (size_t i = 0; i < *ns; i++)
        if (same(snd[i], a))
            return 1;
    return 0;
}

smtpdx_status sx_bgeneric_scan(sx_bmail *m, const char *text, size_t len,
                               sx_bres *res)
{
    cand c[MAX_CANDS];
    size_t nc = 0;
    sx_btlines it;
    sx_str l;
    smtpdx_status st = SMTPDX_OK;

    /* pass 1: addresses standing alone */
    const char *para = NULL; /* the paragraph this line is part of */
    int in_block = 0;        /* under an address, before a blank line */
    /* the paragraph before the blank lines above this one, which may
     * announce the list with its reason ("... because the user is
     * unknown:") */
    const char *last = NULL, *last_end = NULL;
    sx_str shown = {NULL, 0}; /* the last line that was not blank */
    sx_bt_lines_init(&it, text, len);
    while (it.count < SX_BOUNCE_MAX_LINES && sx_bt_next_line(&it, &l)) {
        sx_str a, before = shown;
        if (sx_bt_trim(l).len > 0)
            shown = sx_bt_trim(l);
        if (!sx_bgeneric_addr_line(l, &a) || excluded(m, a) ||
            names_other(before) || returned_header(para, l)) {
            sx_str t = sx_bt_trim(l);
            if (t.len == 0 && para != NULL)
                last = para, last_end = l.p;
            else if (t.len != 0)
                last = NULL;
            if (t.len == 0 || sx_bl_rule(t))
                para = NULL, in_block = 0;
            else if (para == NULL && !in_block)
                para = l.p;
            continue;
        }
        const char *pre = para, *pre_end = l.p;
        if (pre == NULL && last != NULL && nc == 0)
            pre = last, pre_end = last_end;
        if (pre == NULL && nc > 0 &&
            sx_bt_trim(sx_bt_str(c[nc - 1].start,
                                 (size_t)(l.p - c[nc - 1].start)))
                    .len == 0)
            /* the next of a list of bare addresses: the same reason */
            pre = c[nc - 1].pre, pre_end = c[nc - 1].pre_end;
        para = last = NULL;
        in_block = 1;
        if (nc > 0)
            c[nc - 1].end = l.p;
        sx_str tl = sx_bt_trim(l);
        int to_line = sx_bt_iprefix(tl.p, tl.len, "to:");
        size_t i;
        for (i = 0; i < nc; i++)
            if (same(c[i].addr, a))
                break;
        if (i < nc) {
            /* the same address again: it ends the previous block but
             * adds no recipient; when it restates the last one whose
             * block held no reply code (a header-field echo such as
             * "To: a@b" above "Recipient address: a@b"), the reply is
             * more likely below the restatement */
            if (!to_line)
                c[i].echo = 0; /* listed, not only echoed */
            if (i == nc - 1 && !to_line &&
                !states_code(c[i].start, (size_t)(l.p - c[i].start))) {
                /* a transcript's "RCPT TO:<a@b>" is the command of the
                 * answer below it: the block starts with it */
                c[i].start = sx_btx_bare_command(tl) ? l.p : l.p + l.len;
                c[i].end = text + len;
                c[i].pre = NULL;
            }
            continue;
        }
        if (nc == MAX_CANDS)
            break;
        c[nc].addr = a;
        /* the reply starts after "<a@b>:" and its punctuation */
        const char *e0 = l.p + l.len;
        const char *st0 = past_wide_close(past(a.p + a.len, e0, AFTER_ADDR),
                                          e0);
        /* Exchange 2003 puts the time after the address ("a@b on
         * 2/1/2010 10:00 AM", or "on Tue, 4 Mar 2025 ..."; in German
         * "am", French "le", Spanish "el", Italian "il", Dutch "op"): no
         * part of the reply */
        static const char *const on_words[] = {"on ", "am ", "le ", "el ",
                                               "il ", "op ", NULL};
        for (size_t w = 0; on_words[w] && e0 - st0 > 4; w++)
            if (sx_bt_iprefix(st0, (size_t)(e0 - st0), on_words[w]) &&
                date_follows(st0 + 3, e0)) {
                st0 = e0;
                break;
            }
        c[nc].start = st0;
        c[nc].end = text + len;
        c[nc].pre = pre;
        c[nc].pre_end = pre_end;
        c[nc].first = nc;
        c[nc].echo = to_line;
        nc++;
        /* more addresses after it, separated by ',' or ';' */
        size_t first = nc - 1;
        const char *r = past(a.p + a.len, e0, ">\" \t");
        while (nc < MAX_CANDS && r < e0 && (*r == ',' || *r == ';')) {
            r = past(r + 1, e0, " \t<\"");
            sx_str b;
            size_t nx;
            if (!sx_bt_find_addr(r, (size_t)(e0 - r), &b, &nx) || b.p != r)
                break;
            r = past(b.p + b.len, e0, ">\" \t");
            size_t k;
            for (k = 0; k < nc; k++)
                if (same(c[k].addr, b))
                    break;
            if (k < nc || excluded(m, b))
                continue;
            c[nc] = c[first];
            c[nc].addr = b;
            nc++;
        }
        if (nc - 1 > first) /* a list: the reply is below the line */
            for (size_t k = first; k < nc; k++)
                c[k].start = past(r, e0, AFTER_ADDR);
    }
    /* listed on one line: each gets the block of the last one */
    for (size_t i = 0; i < nc; i++) {
        size_t j = i;
        while (j + 1 < nc && c[j + 1].first == c[i].first)
            j++;
        if (c[i].first != i || j == i)
            continue;
        for (size_t k = i; k < j; k++)
            c[k].end = c[j].end;
    }
    /* "To: a@b; c@d" above a list of the failed addresses (Exchange's
     * "Your message To: ... did not reach the following recipient(s)")
     * echoes the message's addressees: only the list names failures */
    size_t listed = 0;
    for (size_t i = 0; i < nc; i++)
        listed += !c[i].echo;
    if (listed > 0 && listed < nc) {
        size_t w = 0;
        for (size_t i = 0; i < nc; i++)
            if (!c[i].echo)
                c[w++] = c[i];
        nc = w;
    }
    /* and a list under a heading of success ("Delivered:") names no
     * failure */
    size_t w = 0;
    for (size_t i = 0; i < nc; i++)
        if (c[i].pre == NULL ||
            !sx_bl_success_heading(sx_bt_str(c[i].pre,
                                       (size_t)(c[i].pre_end - c[i].pre))))
            c[w++] = c[i];
    nc = w;
    /* pass 2: an address inside an error line, unless the text names it
     * as the envelope sender (a refusal at MAIL FROM quotes the sender) */
    if (nc == 0) {
        sx_str prev = {NULL, 0}, snd[MAX_SENDERS];
        size_t ns = SIZE_MAX; /* the senders: found when first asked for */
        sx_bt_lines_init(&it, text, len);
        while (it.count < SX_BOUNCE_MAX_LINES && sx_bt_next_line(&it, &l)) {
            sx_str a, before = prev;
            size_t next;
            prev = l;
            int err = sx_bl_error(l);
            if ((!err && memchr(l.p, '@', l.len) == NULL) ||
                !sx_bt_find_addr(l.p, l.len, &a, &next) || excluded(m, a) ||
                (!err && !addressed_to(l, a)) || after_from(l, a) ||
                envelope_sender(text, len, snd, &ns, a) || return_path(m, a))
                continue;
            size_t i;
            for (i = 0; i < nc; i++)
                if (same(c[i].addr, a))
                    break;
            if (i < nc || nc == MAX_CANDS)
                continue;
            if (nc > 0)
                c[nc - 1].end = l.p;
            c[nc].addr = a;
            c[nc].start = l.p;
            c[nc].end = text + len;
            c[nc].pre = NULL;
            c[nc].first = nc;
            c[nc].echo = 0;
            /* "Sent <<< RCPT TO:<a@b>" above "Received >>> 550 ...":
             * the command belongs to the reply */
            if (before.p != NULL && sx_btx_arrow(sx_bt_trim(l), 0) > 0 &&
                sx_btx_arrow(sx_bt_trim(before), 1) > 0)
                c[nc].start = before.p;
            /* "There was an error delivering your mail to <a@b>." (DMA)
             * only announces the reply on the lines below: the address
             * ends the line (but for punctuation) after the word "to";
             * so does a sentence that names it as the one the message was
             * addressed to */
            const char *le = l.p + l.len;
            const char *r = past(a.p + a.len, le, ">.: \t)");
            const char *b = a.p;
            while (b > l.p && (b[-1] == '<' || b[-1] == ' ' || b[-1] == '\t'))
                b--;
            if ((r == le && b - l.p >= 3 && (b[-3] == ' ' || b[-3] == '\t') &&
                 sx_bt_ieq(b - 2, "to", 2)) ||
                !err)
                c[nc].start = le, c[nc].pre = l.p, c[nc].pre_end = le;
            nc++;
        }
    }
    for (size_t i = 0; i < nc; i++) {
        sx_brcpt *rc = sx_bres_add(res, &st);
        if (rc == NULL)
            return st;
        st = sx_bres_set(res, &rc->recipient, c[i].addr.p, c[i].addr.len);
        sx_str al;
        if (st == SMTPDX_OK && alias_below(c[i].start, c[i].end, &al))
            st = sx_bres_set(res, &rc->alias, al.p, al.len);
        if (st == SMTPDX_OK)
            st = set_from_text(res, rc, c[i].start, c[i].end, &m->scratch2);
        if (st == SMTPDX_OK && rc->diag[0] == '\0' && c[i].pre != NULL) {
            /* not a line that announces the list ("... failed:") */
            sx_str d = sx_bt_trim(
                sx_bt_str(c[i].pre, (size_t)(c[i].pre_end - c[i].pre)));
            if (d.len > 0 && (d.p[d.len - 1] != ':' || because(d)) &&
                sx_bl_error(d))
                st = set_from_text(res, rc, c[i].pre, c[i].pre_end,
                                   &m->scratch2);
        }
        if (st != SMTPDX_OK)
            return st;
    }
    return SMTPDX_OK;
}

static const char *const from_marks[] = {
    "mailer-daemon", "postmaster", "mail delivery", "mail administrator",
    "mail system", "delivery subsystem", "mailer daemon",
    "mdaemon@", /* MDaemon's notices come from MDaemon@<its host> */
    /* the sender every Exchange server writes its notices from */
    "microsoftexchange329e71ec88ae4615bbc36ab6ce41109e@",
    NULL};
static sx_bt_set from_set = SX_BT_SET(from_marks);

int sx_bgeneric_subject(sx_str s)
{
    static const char *const subject_marks[] = {
        "undeliver", "undelivered", "delivery fail", "delivery status",
        "returned mail", "mail delivery", "failure notice",
        "could not be delivered", "non-deliver", "nondeliver",
        "not delivered", "delivery problem", "bounce", "rejected",
        "could not send", "delivery notification", "unzustellbar",
        "non recapitabile", "no entregado", "delivery error",
        "failed delivery", "returned to sender", "mail failure",
        /* Outlook's "Undeliverable:" in other languages */
        "nicht zustellbar", "non remis", "no se puede entregar",
        "onbestelbaar", "n\xc3\xa3o \xc3\xa9 poss\xc3\xadvel entregar",
        "ej levererbart", "niedostarczalne",
        /* Japanese "配信不能", Chinese "无法投递" */
        "\xe9\x85\x8d\xe4\xbf\xa1\xe4\xb8\x8d\xe8\x83\xbd",
        "\xe6\x97\xa0\xe6\xb3\x95\xe6\x8a\x95\xe9\x80\x92",
        /* Russian "undeliverable", capital and small (the caseless
         * compare knows ASCII only) */
        "\xd0\x9d\xd0\xb5\xd0\xb4\xd0\xbe\xd1\x81\xd1\x82\xd0\xb0\xd0\xb2\xd0\xbb\xd1\x8f\xd0\xb5\xd0\xbc",
        "\xd0\xbd\xd0\xb5\xd0\xb4\xd0\xbe\xd1\x81\xd1\x82\xd0\xb0\xd0\xb2\xd0\xbb\xd1\x8f\xd0\xb5\xd0\xbc",
        NULL};
    static sx_bt_set set = SX_BT_SET(subject_marks);
    return sx_bt_has_set(s, &set);
}

int sx_bgeneric_match(const sx_bmail *m)
{
    if (m->xfailed.p != NULL || m->multipart_report)
        return 1;
    if (m->from.p != NULL && sx_bt_has_set(m->from, &from_set))
        return 1;
    return sx_bgeneric_subject(
        sx_bt_str(m->subject_dec.data, m->subject_dec.len));
}

/* Recipients named by X-Failed-Recipients, comma separated. */
smtpdx_status sx_bgeneric_xfailed(sx_bmail *m, sx_bres *res)
{
    smtpdx_status st = SMTPDX_OK;
    sx_str v = m->xfailed;
    size_t off = 0, next;
    sx_str a;
    while (off < v.len && sx_bt_find_addr(v.p + off, v.len - off, &a, &next)) {
        off += next;
        if (sx_bres_find(res, a.p, a.len) != NULL)
            continue;
        sx_brcpt *rc = sx_bres_add(res, &st);
        if (rc == NULL)
            return st;
        if ((st = sx_bres_set(res, &rc->recipient, a.p, a.len)) != SMTPDX_OK)
            return st;
    }
    return st;
}

/* The paragraph (lines between blank ones) of the first line that holds
 * a reply code or an enhanced status code; 0 when there is none. */
static int code_paragraph(const char *text, size_t len, const char **p,
                          const char **e)
{
    sx_btlines it;
    sx_str l;
    const char *para = NULL;
    int found = 0;
    sx_bt_lines_init(&it, text, len);
    while (it.count < SX_BOUNCE_MAX_LINES && sx_bt_next_line(&it, &l)) {
        sx_str t = sx_bt_trim(l);
        if (t.len == 0 || sx_bl_rule(t)) {
            if (found)
                break;
            para = NULL;
            continue;
        }
        if (para == NULL)
            para = l.p;
        if (!found && states_code(t.p, t.len))
            found = 1;
        *e = l.p + l.len;
    }
    *p = para;
    return found;
}

static smtpdx_status sentence_naming(sx_bmail *m, sx_bres *res);

/* How many recipients of res have no reply yet. */
/* "This message was undeliverable due to the following reason:" and the
 * paragraph under it, above or below the list of addresses: the reply of
 * every recipient that has none of its own (nothing, or only the
 * sentence that announces the list, which ends with a colon). */
static smtpdx_status reason_heading(sx_bmail *m, sx_bres *res)
{
    size_t need = 0;
    for (size_t i = 0; i < res->n; i++) {
        size_t n = strlen(res->r[i].diag);
        need += n == 0 || res->r[i].diag[n - 1] == ':';
    }
    if (need == 0)
        return SMTPDX_OK;
    const char *t = m->tx, *e = m->tx + m->body_end;
    sx_btlines it;
    sx_str l;
    const char *ps = NULL, *pe = NULL;
    int heading = 0;
    sx_bt_lines_init(&it, t, m->body_end);
    while (it.count < SX_BOUNCE_MAX_LINES && sx_bt_next_line(&it, &l)) {
        sx_str x = sx_bt_trim(l);
        if (!heading) {
            heading = x.len > 7 && x.len < 120 &&
                      (sx_bt_ieq(x.p + x.len - 7, "reason:", 7) ||
                       (x.len > 8 && sx_bt_ieq(x.p + x.len - 8, "reasons:", 8)));
            continue;
        }
        if (x.len == 0) {
            if (ps != NULL)
                break; /* the paragraph ends */
            continue;
        }
        if (ps == NULL)
            ps = l.p;
        pe = l.p + l.len;
    }
    if (ps == NULL)
        return SMTPDX_OK;
    smtpdx_status st = SMTPDX_OK;
    for (size_t i = 0; st == SMTPDX_OK && i < res->n; i++) {
        size_t n = strlen(res->r[i].diag);
        if (n == 0 || res->r[i].diag[n - 1] == ':')
            st = set_from_text(res, &res->r[i], ps, pe < e ? pe : e,
                               &m->scratch2);
    }
    return st;
}

static size_t wanted(const sx_bres *res)
{
    size_t n = 0;
    for (size_t i = 0; i < res->n; i++)
        n += res->r[i].diag[0] == '\0';
    return n;
}

/* Where the text after the sentence announcing the list of failed
 * addresses starts: past the first paragraph whose last line ends with a
 * colon and reads as an error ("... The following address(es)
 * failed:"); the text's start when there is none. */
static const char *after_announcement(const char *text, size_t len)
{
    sx_btlines it;
    sx_str l;
    int err = 0;
    sx_bt_lines_init(&it, text, len);
    while (it.count < SX_BOUNCE_MAX_LINES && sx_bt_next_line(&it, &l)) {
        sx_str t = sx_bt_trim(l);
        if (t.len == 0) {
            err = 0;
            continue;
        }
        err |= sx_bl_error(t);
        if (err && t.p[t.len - 1] == ':' && !sx_bl_label_only(t))
            return l.p + l.len;
    }
    return text;
}

/* The end of the paragraph that p is in: the start of the next blank
 * line, or e. */
static const char *paragraph_end(const char *p, const char *e)
{
    sx_btlines it;
    sx_str l;
    const char *end = p;
    sx_bt_lines_init(&it, p, (size_t)(e - p));
    while (it.count < 60 && sx_bt_next_line(&it, &l)) {
        if (sx_bt_trim(l).len == 0)
            break;
        end = l.p + l.len;
    }
    return end;
}

/* The first line of text that reads as an error and is no boilerplate. */
static int first_error_line(const char *text, size_t len, sx_str *out)
{
    sx_btlines it;
    sx_str l;
    sx_bt_lines_init(&it, text, len);
    while (it.count < SX_BOUNCE_MAX_LINES && sx_bt_next_line(&it, &l))
        if (sx_bl_error(l) && !sx_bl_boilerplate(l)) {
            *out = l;
            return 1;
        }
    return 0;
}

/* A warning that delivery is late, not a failure: its subject or its text
 * says the message is delayed or will be tried again. */
static int delay_notice(const sx_bmail *m)
{
    static const char *const subject[] = {"delayed", "delivery delay",
                                          "warning: could not send",
                                          "not yet delivered",
                                          "delivery warning", NULL};
    static sx_bt_set subject_set = SX_BT_SET(subject);
    sx_str s = sx_bt_str(m->subject_dec.data, m->subject_dec.len);
    /* the text's words ("has been delayed", "will be retried", ...) are
     * phrases of the marker scan: MK_DL_* */
    return sx_bt_has_set(s, &subject_set) ||
           sx_bmarks_within(&m->marks, MK_DL_1, MK_DL_10, m->body_end);
}

/* The address that ends the Subject after a colon ("Undeliverable:
 * <a@b>") or after "to" or "for" ("Undeliverable mail to a@b"), when it
 * is the only one there and neither the notice's sender nor its
 * addressee. */
static int subject_address(const sx_bmail *m, sx_str *a)
{
    sx_str s = sx_bt_trim(sx_bt_str(m->subject_dec.data, m->subject_dec.len));
    size_t next, n2;
    sx_str b;
    if (s.len == 0 || !sx_bt_find_addr(s.p, s.len, a, &next) ||
        sx_bt_find_addr(s.p + next, s.len - next, &b, &n2) || excluded(m, *a))
        return 0;
    const char *before = a->p;
    while (before > s.p && (before[-1] == ' ' || before[-1] == '<'))
        before--;
    const char *after = past(a->p + a->len, s.p + s.len, "> \t");
    if (before == s.p || after != s.p + s.len)
        return 0;
    return before[-1] == ':' || word_before(s, *a, "to", 1) ||
           word_before(s, *a, "for", 1);
}

smtpdx_status sx_bgeneric_extract(sx_bmail *m, sx_bres *res)
{
    const char *t = m->tx;
    size_t len = m->body_end;
    smtpdx_status st = sx_bgeneric_scan(m, t, len, res);
    if (st != SMTPDX_OK)
        return st;
    if (res->n > 0 && delay_notice(m))
        res->temporary = 1;
    const char *pp = NULL, *pe = NULL;
    if (res->n == 0 && m->xfailed.p == NULL &&
        (m->orig_part != NULL || m->body_end < m->txlen) && m->from.p != NULL &&
        sx_bt_has_set(m->from, &from_set) && t != NULL) {
        /* the notice names no address (Exchange 2003 may give only the
         * person's name, Exim a local name alone, Postfix "Delivery
         * report unavailable"), but it comes from a mail system and
         * returns the message (attached or pasted below): the message's
         * sole addressee is the recipient, with the paragraph that states
         * a reply if there is one (a person's mail about bounces, with a
         * message attached, is not read this way) */
        sx_brcpt *rc;
        st = sx_borig_sole_recipient(m, res, &rc);
        if (st == SMTPDX_OK && rc != NULL && code_paragraph(t, len, &pp, &pe))
            st = set_from_text(res, rc, pp, pe, &m->scratch2);
        return st;
    }
    if (res->n == 0 && m->xfailed.p == NULL && m->orig_part == NULL &&
        m->body_end == m->txlen && t != NULL &&
        code_paragraph(t, len, &pp, &pe)) {
        /* no copy returned and no address in the text, but a reply, and
         * the Subject ends with an address ("Undeliverable: a@b"): that
         * address failed */
        sx_str a;
        sx_brcpt *rc;
        if (subject_address(m, &a) && (rc = sx_bres_add(res, &st)) != NULL &&
            (st = sx_bres_set(res, &rc->recipient, a.p, a.len)) == SMTPDX_OK)
            st = set_from_text(res, rc, pp, pe, &m->scratch2);
        return st;
    }
    if (res->n == 0 && m->xfailed.p != NULL) {
        /* named in the header only: the reply is the first error line
         * below the sentence that announces the list ("... The following
         * address(es) failed:"), or the first one at all */
        st = sx_bgeneric_xfailed(m, res);
        if (st != SMTPDX_OK)
            return st;
        const char *from = after_announcement(t, len);
        sx_str l;
        if (!first_error_line(from, (size_t)(t + len - from), &l) &&
            !first_error_line(t, len, &l))
            return SMTPDX_OK;
        for (size_t i = 0; i < res->n; i++)
            if (res->r[i].diag[0] == '\0' &&
                (st = sx_bres_set(res, &res->r[i].diag, l.p, l.len)) !=
                    SMTPDX_OK)
                return st;
    }
    /* a recipient left without a reply: a sentence naming it, or for a
     * sole one the first error line below the announcement */
    if (st == SMTPDX_OK && wanted(res) > 0)
        st = sentence_naming(m, res);
    if (st == SMTPDX_OK && res->n > 0)
        st = reason_heading(m, res);
    if (st == SMTPDX_OK && res->n == 1 && res->r[0].diag[0] == '\0') {
        sx_str l1;
        const char *from = after_announcement(t, len);
        if (first_error_line(from, (size_t)(t + len - from), &l1))
            st = set_from_text(res, &res->r[0], l1.p,
                               paragraph_end(l1.p, t + len), &m->scratch2);
    }
    if (st != SMTPDX_OK)
        return st;
    /* A sole recipient whose lines state no reply code, in a notice that
     * states one elsewhere (above the list: "Could not be delivered
     * because of" / "550 5.1.1 User unknown" / "The following recipients
     * were affected:"; or in the block under an address that did not
     * count, such as the sender's own): that paragraph is its reply. */
    if (res->n == 1 && !states_code(res->r[0].diag, strlen(res->r[0].diag)) &&
        code_paragraph(t, len, &pp, &pe) && pp != NULL)
        st = set_from_text(res, &res->r[0], pp, reply_end(pe, t + len),
                           &m->scratch2);
    /* A list of addresses with one reply under it ("couldn't be delivered
     * to the following recipient(s): a, b / Reason: ... Error code: 550
     * ..."): the reply went to the last of them, and it is every one's */
    if (st == SMTPDX_OK && res->n >= 2 &&
        res->r[res->n - 1].diag[0] != '\0') {
        size_t empty = 0;
        for (size_t i = 0; i + 1 < res->n; i++)
            empty += res->r[i].diag[0] == '\0';
        for (size_t i = 0; empty == res->n - 1 && i + 1 < res->n; i++)
            if ((st = sx_bres_sets(res, &res->r[i].diag,
                                   res->r[res->n - 1].diag)) != SMTPDX_OK)
                break;
    }
    return st;
}

/* A sentence that names one address and ends with a colon, announcing
 * that address's reason on the lines below; the address into a. */
static int announces(sx_str l, sx_str *a)
{
    sx_str t = sx_bt_trim(l);
    size_t next;
    if (t.len < 8 || t.p[t.len - 1] != ':' ||
        !sx_bt_find_addr(t.p, t.len, a, &next))
        return 0;
    sx_str b;
    size_t n2;
    return !sx_bt_find_addr(t.p + next, t.len - next, &b, &n2);
}

/* A recipient of res still without a reply whose address (or alias) is a,
 * or NULL. */
static sx_brcpt *wanting(sx_bres *res, sx_str a)
{
    for (size_t i = 0; i < res->n; i++) {
        sx_brcpt *rc = &res->r[i];
        if (rc->diag[0] != '\0')
            continue;
        if (same(sx_bt_str(rc->recipient, strlen(rc->recipient)), a) ||
            same(sx_bt_str(rc->alias, strlen(rc->alias)), a))
            return rc;
    }
    return NULL;
}

/* The reply gathered for rc, when it reads as an error (a code or an
 * error word): a blank diagnostic is better than a greeting. */
static smtpdx_status take(sx_bres *res, sx_brcpt *rc, const sx_sbuf *out)
{
    sx_str d = sx_bt_str(out->data, out->len);
    if (d.len == 0 || !sx_bl_error(d))
        return SMTPDX_OK;
    return sx_bres_set(res, &rc->diag, d.p, d.len);
}

/* A recipient still without a reply whose address a sentence of the text
 * names in a line that reads as an error ("Your message wasn't delivered
 * to a@b because the address couldn't be found."): that line, the first
 * such, is its reply. */
static smtpdx_status sentence_naming(sx_bmail *m, sx_bres *res)
{
    sx_btlines it;
    sx_str l;
    smtpdx_status st = SMTPDX_OK;
    sx_bt_lines_init(&it, m->tx, m->body_end);
    while (st == SMTPDX_OK && it.count < SX_BOUNCE_MAX_LINES &&
           sx_bt_next_line(&it, &l)) {
        sx_str t = sx_bt_trim(l), a;
        size_t off = 0, next;
        /* an address standing alone is the main pass's business */
        if (t.len == 0 || sx_bl_boilerplate(t) || sx_bgeneric_addr_line(t, &a))
            continue;
        while (st == SMTPDX_OK && off < t.len &&
               sx_bt_find_addr(t.p + off, t.len - off, &a, &next)) {
            off += next;
            sx_brcpt *rc = wanting(res, a);
            /* the words around the address read as an error, not the
             * address itself ("mailbox-is-full@...") */
            const char *ae = a.p + a.len, *te = t.p + t.len;
            if (rc == NULL ||
                (!sx_bl_error(sx_bt_str(t.p, (size_t)(a.p - t.p))) &&
                 !sx_bl_error(sx_bt_str(ae, (size_t)(te - ae)))))
                continue;
            /* the sentence goes on to the end of its paragraph */
            sx_sbuf *out = &m->scratch2;
            sx_btlines more = it;
            sx_str n;
            int full = 0;
            sx_sbuf_reset(out);
            st = sx_bgeneric_piece(out, t, &full);
            while (st == SMTPDX_OK && !full && more.count < it.count + 8 &&
                   sx_bt_next_line(&more, &n)) {
                sx_str nt = sx_bt_trim(n);
                if (nt.len == 0 || sx_bl_rule(nt) || sx_bl_boilerplate(nt))
                    break;
                st = sx_bgeneric_piece(out, nt, &full);
            }
            if (st == SMTPDX_OK)
                st = sx_bres_set(res, &rc->diag, out->data, out->len);
        }
    }
    return st;
}

/* A report whose delivery-status part names the recipients but gives no
 * Diagnostic-Code, only "Status: 5.0.0", while the notification text
 * carries each one's reply ("a@b: 550 5.1.1 <a@b>: User unknown", as
 * OpenSMTPD writes it): such a recipient takes from the text the rest of
 * the line its address opens, or, when the address stands alone, the
 * paragraph after it; either way up to a blank line or the next address,
 * since what follows a blank line is boilerplate ("Please note that this
 * is only a temporary failure report"). One pass over the text, however
 * many recipients wait. */
smtpdx_status sx_bgeneric_fill_diag(sx_bmail *m, sx_bres *res)
{
    if (m->tx == NULL)
        return SMTPDX_OK;
    if (wanted(res) == 0)
        return SMTPDX_OK;

    sx_sbuf *out = &m->scratch2;
    sx_brcpt *cur = NULL;
    int blanks = 0, full = 0;
    smtpdx_status st = SMTPDX_OK;
    sx_btlines it;
    sx_str l;
    sx_bt_lines_init(&it, m->tx, m->body_end);
    while (st == SMTPDX_OK && it.count < SX_BOUNCE_MAX_LINES &&
           sx_bt_next_line(&it, &l)) {
        sx_str a;
        int is_addr = sx_bgeneric_addr_line(l, &a);
        if (cur != NULL) {
            sx_str t = sx_bt_trim(l);
            /* one blank line may part a lone address from its reply */
            if (is_addr || (t.len == 0 && (out->len > 0 || ++blanks > 1))) {
                st = take(res, cur, out);
                cur = NULL;
            } else {
                /* boilerplate and section rules ("--- Transcript ---") */
                if (t.len > 0 && !sx_bl_boilerplate(t) &&
                    !(t.len >= 3 && memcmp(t.p, "---", 3) == 0))
                    st = sx_bgeneric_piece(out, t, &full);
                continue;
            }
        }
        if (!is_addr && st == SMTPDX_OK && announces(l, &a) &&
            (cur = wanting(res, a)) != NULL) {
            /* "Your message to <a@b> was automatically rejected:" and
             * the reason below it: the sentence is part of the reply */
            sx_sbuf_reset(out);
            blanks = full = 0;
            st = sx_bgeneric_piece(out, sx_bt_trim(l), &full);
            continue;
        }
        if (!is_addr || st != SMTPDX_OK || (cur = wanting(res, a)) == NULL)
            continue;
        sx_sbuf_reset(out);
        blanks = full = 0;
        const char *e = l.p + l.len;
        const char *p = past(a.p + a.len, e, AFTER_ADDR);
        st = sx_bgeneric_piece(out, sx_bt_trim(sx_bt_str(p, (size_t)(e - p))),
                               &full);
    }
    if (st == SMTPDX_OK && cur != NULL)
        st = take(res, cur, out);
    if (st == SMTPDX_OK && wanted(res) > 0)
        st = sentence_naming(m, res);
    /* a filter's refusal that names no address in its text (GNU
     * Mailutils: "Message was refused by recipient's mail filtering
     * program. Reason given was as follows: ..."): for its one
     * recipient, the text is the reply */
    if (st == SMTPDX_OK && res->n == 1 && res->r[0].diag[0] == '\0' &&
        res->r[0].hint == SMTPDX_R_FILTERED) {
        sx_sbuf_reset(out);
        full = 0;
        sx_bt_lines_init(&it, m->tx, m->body_end);
        while (st == SMTPDX_OK && !full && it.count < 60 &&
               sx_bt_next_line(&it, &l)) {
            sx_str t = sx_bt_trim(l);
            if (t.len > 0 && !sx_bl_boilerplate(t) && !sx_bl_rule(t))
                st = sx_bgeneric_piece(out, t, &full);
        }
        if (st == SMTPDX_OK)
            st = take(res, &res->r[0], out);
    }
    return st;
}
