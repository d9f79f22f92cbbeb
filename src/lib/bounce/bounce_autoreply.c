/*
 * bounce_autoreply.c - automatic replies (RFC 3834): vacation notices and
 * their kin, reported with reason vacation and the replying address as
 * the recipient.
 *
 * RFC 3834 5 says an auto-reply carries "Auto-Submitted: auto-replied";
 * many responders instead write X-Autoreply, X-Autorespond, Precedence:
 * auto_reply or only a telling Subject. This runs after the bounce
 * families and RFC 3464, so a delivery failure that also says
 * "auto-replied" (Postfix does) never gets here.
 */
#include <string.h>

#include "bounce/bounce.h"
#include "bounce/bounce_text.h"

static const char *const subject_marks[] = {
    "auto:", "automatic reply", "auto reply", "auto-reply", "autoreply",
    "autoresponse", "auto response", "autorespons", "out of office",
    "out of the office", "vacation", "abwesenheit", "r\xc3\xa9ponse automatique",
    "risposta automatica", "respuesta autom", "\xe8\x87\xaa\xe5\x8b\x95\xe5\xbf\x9c\xe7\xad\x94",
    /* the subject Outlook gives its replies in other languages: German,
     * Dutch, Swedish, Danish and Norwegian, Portuguese, Finnish, Polish,
     * Russian; Japanese "automatic reply" as some clients write it */
    "automatische antwort", "automatisch antwoord", "automatiskt svar",
    "automatisk svar", "resposta autom", "automaattinen vastaus",
    "odpowied\xc5\xba automatyczna",
    "\xd0\xb0\xd0\xb2\xd1\x82\xd0\xbe\xd0\xbc\xd0\xb0\xd1\x82\xd0\xb8\xd1\x87\xd0\xb5\xd1\x81\xd0\xba\xd0\xb8\xd0\xb9 \xd0\xbe\xd1\x82\xd0\xb2\xd0\xb5\xd1\x82",
    "\xd0\x90\xd0\xb2\xd1\x82\xd0\xbe\xd0\xbc\xd0\xb0\xd1\x82\xd0\xb8\xd1\x87\xd0\xb5\xd1\x81\xd0\xba\xd0\xb8\xd0\xb9 \xd0\xbe\xd1\x82\xd0\xb2\xd0\xb5\xd1\x82",
    "\xe8\x87\xaa\xe5\x8b\x95\xe8\xbf\x94\xe4\xbf\xa1",
    /* the short Scandinavian form, Polish in the other order, Czech,
     * Hungarian, Turkish, Chinese and Korean */
    "autosvar", "automatyczna odpowied\xc5\xba",
    "automatick\xc3\xa1 odpov\xc4\x9b\xc4\x8f", "automatikus v\xc3\xa1lasz",
    "otomatik yan\xc4\xb1t", "\xe8\x87\xaa\xe5\x8a\xa8\xe5\x9b\x9e\xe5\xa4\x8d",
    "\xec\x9e\x90\xeb\x8f\x99 \xec\x9d\x91\xeb\x8b\xb5",
    NULL,
};

/* Does the Subject open with an auto-reply's word ("Automatic reply:
 * ...", "[Out of Office] ...")? Responders put it first; a word further
 * on, or after "Re:" or "Fwd:", is a person writing about one. *strong
 * when the word, with at most the rest of one word after it ("Out of
 * Office AutoReply:", the stem in "Abwesenheitsnotiz:"), ends in a colon
 * or a bracket, the form of a responder's prefix, or is the whole
 * Subject; "Auto:" alone is too short to tell. */
static int subject_marked(sx_str s, int *strong)
{
    s = sx_bt_trim(s);
    while (s.len > 0 && (s.p[0] == '[' || s.p[0] == '(' || s.p[0] == '<'))
        s = sx_bt_trim(sx_bt_str(s.p + 1, s.len - 1));
    if (s.len >= 3 && memcmp(s.p, "\xe3\x80\x90", 3) == 0) /* 【 */
        s = sx_bt_trim(sx_bt_str(s.p + 3, s.len - 3));
    for (size_t i = 0; subject_marks[i]; i++) {
        size_t k = strlen(subject_marks[i]);
        if (!sx_bt_iprefix(s.p, s.len, subject_marks[i]))
            continue;
        size_t j = k;
        /* the rest of the word the mark begins ("abwesenheit|snotiz",
         * "respuesta autom|ática": accented Latin letters are two bytes
         * of UTF-8, led by 0xC3 to 0xC5) */
        for (;;) {
            if (j < s.len && (s.p[j] | 0x20) >= 'a' && (s.p[j] | 0x20) <= 'z')
                j++;
            else if (j + 1 < s.len && (unsigned char)s.p[j] >= 0xC3 &&
                     (unsigned char)s.p[j] <= 0xC5 &&
                     ((unsigned char)s.p[j + 1] & 0xC0) == 0x80)
                j += 2;
            else
                break;
        }
        while (j < s.len && s.p[j] == ' ')
            j++;
        int whole = j == s.len;
        /* or one word more that names a reply ("Out of Office AutoReply:") */
        static const char *const more[] = {"autoreply", "auto-reply", "reply",
                                           "notice", "message", "response",
                                           NULL};
        for (size_t w = 0; more[w] && !whole; w++) {
            size_t wl = strlen(more[w]);
            if (sx_bt_iprefix(s.p + j, s.len - j, more[w]) &&
                (j + wl == s.len || s.p[j + wl] == ':' || s.p[j + wl] == ' ')) {
                j += wl;
                while (j < s.len && s.p[j] == ' ')
                    j++;
                break;
            }
        }
        *strong = strcmp(subject_marks[i], "auto:") != 0 &&
                  (whole || (j < s.len && (s.p[j] == ':' || s.p[j] == ']' ||
                                           s.p[j] == ')' || s.p[j] == '>')) ||
                   (s.len - j >= 3 &&
                    (memcmp(s.p + j, "\xef\xbc\x9a", 3) == 0 ||   /* ： */
                     memcmp(s.p + j, "\xe3\x80\x91", 3) == 0)));  /* 】 */
        return 1;
    }
    return 0;
}

int sx_bautoreply_match(const sx_bmail *m)
{
    /* a mail system's notice is no person's auto-reply */
    static const char *const systems[] = {"mailer-daemon", "postmaster",
                                          "mail delivery", NULL};
    if (sx_bt_has_any(sx_bt_str(m->from_dec.data, m->from_dec.len), systems))
        return 0;
    /* nor is a report (RFC 6522): of delivery, even one whose report part
     * went missing, or a read receipt (RFC 8098), which clients mark
     * "auto-replied" too. Exchange marks its non-delivery reports so and
     * sends them from an address of its own ("MicrosoftExchange...@") */
    if ((m->ctype.p != NULL && sx_bt_has(m->ctype, "report-type=")) ||
        m->mdn_part != NULL ||
        sx_bmail_header(m, "X-MS-Exchange-Message-Is-Ndr").p != NULL)
        return 0;
    sx_str v = m->autosub;
    if (v.p != NULL && sx_bt_has(v, "auto-replied"))
        return 1;
    static const char *const flags[] = {"X-Autoreply", "X-Autorespond",
                                        "X-Autoresponder", "X-Auto-Response",
                                        NULL};
    for (size_t i = 0; flags[i]; i++) {
        v = sx_bmail_header(m, flags[i]);
        if (v.p != NULL)
            return 1;
    }
    v = sx_bmail_header(m, "Precedence");
    if (v.p != NULL && sx_bt_has(v, "auto_reply"))
        return 1;
    sx_str s = sx_bt_str(m->subject_dec.data, m->subject_dec.len);
    int strong = 0;
    if (!subject_marked(s, &strong))
        return 0;
    if (strong)
        return 1;
    /* a subject that only starts with such a word ("Vacation request",
     * "Out of office 23-27 Dec", even as an answer) is a person's as
     * often: it counts with a sign of an automatic answer beside it, a
     * null envelope sender or the Precedence vacation programs give; not
     * on list mail, which has a Precedence of its own */
    if (sx_bmail_header(m, "List-Id").p != NULL ||
        sx_bmail_header(m, "List-Unsubscribe").p != NULL)
        return 0;
    v = sx_bmail_header(m, "Return-Path");
    if (v.p != NULL && sx_bt_has(v, "<>"))
        return 1;
    v = sx_bmail_header(m, "Precedence");
    if (v.p != NULL && (sx_bt_has(v, "bulk") || sx_bt_has(v, "junk")))
        return 1;
    return 0;
}

smtpdx_status sx_bautoreply_extract(sx_bmail *m, sx_bres *res)
{
    sx_str a;
    smtpdx_status st = SMTPDX_OK;
    /* the replier: From, else Reply-To, else the envelope */
    static const char *const who[] = {"From", "Reply-To", "Return-Path",
                                      NULL};
    for (size_t i = 0; who[i]; i++) {
        sx_str v = sx_bmail_header(m, who[i]);
        if (v.p != NULL && sx_bt_find_addr(v.p, v.len, &a, NULL)) {
            sx_brcpt *rc = sx_bres_add(res, &st);
            if (rc == NULL)
                return st;
            rc->hint = SMTPDX_R_VACATION;
            rc->hint_strength = SX_HINT_STRONG;
            st = sx_bres_set(res, &rc->recipient, a.p, a.len);
            if (st == SMTPDX_OK) {
                /* the first lines of the reply say what it is */
                sx_str t = sx_bt_trim(sx_bt_str(m->tx, m->txlen));
                size_t n = sx_bt_utf8_cut(t.p, t.len < 512 ? t.len : 512);
                st = sx_bres_set(res, &rc->diag, t.p, n);
            }
            return st;
        }
    }
    return st;
}
