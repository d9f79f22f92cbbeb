/*
 * bounce_dsn.c - RFC 3464 delivery status notifications: the fields of a
 * message/delivery-status part turned into recipients.
 *
 * RFC 3464 2.2 gives the per-message fields (Reporting-MTA, Arrival-Date,
 * Received-From-MTA), 2.3 the per-recipient ones (Final-Recipient,
 * Original-Recipient, Action, Status, Remote-MTA, Diagnostic-Code,
 * Last-Attempt-Date). Real reports break the block structure (one block
 * for everything, recipients without a blank line between them), so a new
 * recipient starts at a new block *or* at a second Final-Recipient.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "bounce/bounce.h"
#include "bounce/bounce_text.h"
#include "util/hex.h"
#include "util/utf8.h"

/* The RFC 3464 word (2.3.3) for an Action some systems write in words of
 * their own ("failure", "error", "deferred"), so that a reader selecting
 * "failed" or "delayed" finds them; NULL for one of the standard words or
 * one not known here, kept as written. */
static const char *action_word(const char *a)
{
    static const struct {
        const char *word, *canon;
    } map[] = {
        {"failure", "failed"},       {"fail", "failed"},
        {"error", "failed"},         {"bounced", "failed"},
        {"undeliverable", "failed"}, {"rejected", "failed"},
        {"deferred", "delayed"},     {"delay", "delayed"},
        {"warning", "delayed"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(a, map[i].word) == 0)
            return map[i].canon;
    return NULL;
}

/* "rfc822; user@example.com" -> the address; "<a@b>" -> a@b. */
static sx_str bare_address(sx_str v)
{
    sx_str a;
    v = sx_bt_trim(v);
    if (sx_bt_is_addr(v, &a))
        return a;
    if (sx_bt_find_addr(v.p, v.len, &a, NULL))
        return a;
    /* a local name without domain: keep it, trimmed of <> */
    if (v.len >= 2 && v.p[0] == '<' && v.p[v.len - 1] == '>') {
        v.p++;
        v.len -= 2;
    }
    return sx_bt_trim(v);
}

/* RFC 6533 3: in a message/delivery-status part an address of type
 * "utf-8" writes each non-ASCII character as \x{HEX} (utf-8-addr-xtext);
 * a message/global-delivery-status part has the characters themselves.
 * The typed value v is turned into the address, its \x{...} decoded into
 * buf (cap bytes) when there are any; a malformed escape stays as it is. */
static sx_str typed_address(sx_str v, char *buf, size_t cap)
{
    sx_str type;
    sx_str a = sx_bt_typed(v, &type, 1);
    if (type.len != 5 || strncasecmp(type.p, "utf-8", 5) != 0 ||
        sx_bt_find(a.p, a.len, "\\x{") == NULL || a.len >= cap)
        return bare_address(a);
    size_t k = 0;
    for (size_t i = 0; i < a.len;) {
        uint32_t c = 0;
        size_t j = i + 3, digits = 0;
        if (a.len - i > 4 && memcmp(a.p + i, "\\x{", 3) == 0) {
            int h;
            for (; j < a.len && digits < 7 && (h = sx_hex_value(a.p[j])) >= 0;
                 j++, digits++)
                c = c * 16 + (uint32_t)h;
        }
        if (digits >= 1 && digits <= 6 && j < a.len && a.p[j] == '}' &&
            k + 4 <= cap) {
            k += sx_utf8_encode(buf + k, c);
            i = j + 1;
        } else if (k < cap) {
            buf[k++] = a.p[i++];
        } else {
            break;
        }
    }
    return bare_address(sx_bt_str(buf, k));
}

/* Upper-cased diagnostic type ("smtp" -> "SMTP"), into the arena. */
static smtpdx_status set_upper(sx_bres *res, const char **field, sx_str s)
{
    char tmp[64];
    size_t n = s.len < sizeof tmp - 1 ? s.len : sizeof tmp - 1;
    for (size_t i = 0; i < n; i++) {
        char c = s.p[i];
        tmp[i] = (c >= 'a' && c <= 'z') ? (char)(c - 32) : c;
    }
    return sx_bres_set(res, field, tmp, n);
}

/* The fields this reader uses, told apart once per field (a report has
 * dozens of fields). */
typedef enum dsn_field {
    F_OTHER = 0,
    F_REPORTING_MTA,
    F_ARRIVAL_DATE,
    F_RECEIVED_FROM,
    /* the fields that belong to one recipient, from here on */
    F_FINAL,
    F_ORIG,
    F_ACTION,
    F_STATUS,
    F_REMOTE_MTA,
    F_DIAG,
    F_LAST_ATTEMPT,
    F_WILL_RETRY,
    F_X_ACTUAL,
    F_FINAL_LOG,
    F_DISPOSITION,
    F_REPORTING_UA,
    F_X400_SUPP
} dsn_field;

/* want is in lower case, as long as name (the switch below sees to it):
 * compared a word at a time, not byte by byte */
static int is(sx_str name, const char *want)
{
    return sx_bt_name_is(name.p, want, name.len);
}

/* By length first: at most two names share one. */
static dsn_field field_of(sx_str n)
{
    switch (n.len) {
    case 6:
        return is(n, "action") ? F_ACTION : is(n, "status") ? F_STATUS
                                                             : F_OTHER;
    case 10:
        return is(n, "remote-mta") ? F_REMOTE_MTA : F_OTHER;
    case 11:
        return is(n, "disposition") ? F_DISPOSITION : F_OTHER;
    case 12:
        return is(n, "arrival-date")   ? F_ARRIVAL_DATE
               : is(n, "final-log-id") ? F_FINAL_LOG
               : is(n, "reporting-ua") ? F_REPORTING_UA
                                       : F_OTHER;
    case 13:
        return is(n, "reporting-mta") ? F_REPORTING_MTA : F_OTHER;
    case 15:
        return is(n, "final-recipient")   ? F_FINAL
               : is(n, "diagnostic-code") ? F_DIAG
                                          : F_OTHER;
    case 16:
        return is(n, "will-retry-until") ? F_WILL_RETRY : F_OTHER;
    case 17:
        return is(n, "received-from-mta")   ? F_RECEIVED_FROM
               : is(n, "last-attempt-date") ? F_LAST_ATTEMPT
                                            : F_OTHER;
    case 18:
        return is(n, "original-recipient")   ? F_ORIG
               : is(n, "x-actual-recipient") ? F_X_ACTUAL
                                             : F_OTHER;
    case 23:
        return is(n, "x400-supplementary-info") ? F_X400_SUPP : F_OTHER;
    default:
        return F_OTHER;
    }
}

smtpdx_status sx_bdsn_parse(const char *buf, size_t len, sx_bres *res)
{
    sx_dsn_iter it;
    sx_dsn_field f;
    smtpdx_status st = SMTPDX_OK;
    sx_brcpt *cur = NULL;
    int fresh_block = 0;
    int have_final = 0, have_orig = 0;
    size_t first = res->n;

    sx_dsn_iter_init(&it, buf, len);
    for (unsigned guard = 0; guard < 100000; guard++) {
        smtpdx_status r = sx_dsn_fields_next(&it, &f);
        if (r == SMTPDX_ERR_PARSE)
            break;
        if (r != SMTPDX_OK) {
            st = r;
            goto done;
        }
        if (f.block_start)
            fresh_block = 1;
        dsn_field id = field_of(f.name);
        if (id == F_OTHER)
            continue; /* most fields of a report: nothing to take */
        sx_str v = sx_bt_trim(f.value);
        if (id == F_REPORTING_MTA) {
            if (*res->reporting_mta == '\0') {
                sx_str h = sx_bt_typed(v, NULL, 1);
                st = sx_bres_set(res, &res->reporting_mta, h.p, h.len);
            }
        } else if (id == F_REPORTING_UA) {
            /* an MDN's "host; product" (RFC 8098 3.2.1): the host that
             * reports, where a DSN has Reporting-MTA */
            size_t h = sx_bt_host_len(v.p, v.len);
            if (*res->reporting_mta == '\0' && h > 0 &&
                memchr(v.p, '.', h) != NULL)
                st = sx_bres_set(res, &res->reporting_mta, v.p, h);
        } else if (id == F_ARRIVAL_DATE) {
            if (*res->arrival_date == '\0')
                st = sx_bres_set(res, &res->arrival_date, v.p, v.len);
        } else if (id == F_RECEIVED_FROM) {
            if (*res->received_from == '\0') {
                sx_str h = sx_bt_typed(v, NULL, 1);
                st = sx_bres_set(res, &res->received_from, h.p, h.len);
            }
        }
        if (st != SMTPDX_OK)
            goto done;
        if (id < F_FINAL)
            continue;
        int is_final = id == F_FINAL;
        int is_orig = id == F_ORIG;
        if (cur == NULL || fresh_block || (is_final && have_final) ||
            (is_orig && have_orig)) {
            cur = sx_bres_add(res, &st);
            if (cur == NULL)
                goto done;
            fresh_block = 0;
            have_final = have_orig = 0;
        }
        char abuf[512]; /* an address with its \x{...} decoded */
        if (is_final) {
            sx_str a = typed_address(v, abuf, sizeof abuf);
            st = sx_bres_set(res, &cur->recipient, a.p, a.len);
            have_final = 1;
        } else if (is_orig) {
            sx_str a = typed_address(v, abuf, sizeof abuf);
            st = sx_bres_set(res, &cur->alias, a.p, a.len);
            have_orig = 1;
        } else if (id == F_X_ACTUAL) {
            if (!have_final) {
                sx_str a = typed_address(v, abuf, sizeof abuf);
                st = sx_bres_set(res, &cur->recipient, a.p, a.len);
            }
        } else if (id == F_ACTION) {
            /* "failed", maybe with a comment after it */
            size_t n = 0;
            while (n < v.len && v.p[n] != ' ' && v.p[n] != '(' &&
                   v.p[n] != ';')
                n++;
            char low[32];
            size_t k = n < sizeof low - 1 ? n : sizeof low - 1;
            for (size_t i = 0; i < k; i++) {
                char c = v.p[i];
                low[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
            }
            low[k] = '\0';
            const char *canon = action_word(low);
            st = canon ? sx_bres_sets(res, &cur->action, canon)
                       : sx_bres_set(res, &cur->action, low, k);
        } else if (id == F_STATUS) {
            char code[16];
            size_t at;
            /* "550 5.1.1": a reply code written before the status */
            int lead = v.len > 4 && v.p[0] >= '2' && v.p[0] <= '5' &&
                       v.p[1] >= '0' && v.p[1] <= '9' && v.p[2] >= '0' &&
                       v.p[2] <= '9' && v.p[3] == ' ';
            if (sx_bt_find_enhanced(v.p, v.len, code, &at) &&
                (at < 4 || (lead && at == 4)))
                st = sx_bres_sets(res, &cur->status, code);
            /* "4.0.0 (cat.example.net: host name lookup failure)": the
             * comment is the only reason some MTAs give */
            const char *lp = memchr(v.p, '(', v.len);
            const char *rp = lp ? memchr(lp, ')', v.len - (size_t)(lp - v.p)) : NULL;
            if (st == SMTPDX_OK && lp && rp)
                st = sx_bres_set(res, &cur->status_note, lp + 1,
                                 (size_t)(rp - lp - 1));
            if (st == SMTPDX_OK && lp && rp && cur->diag[0] == '\0')
                st = sx_bres_set(res, &cur->diag, lp + 1, (size_t)(rp - lp - 1));
        } else if (id == F_REMOTE_MTA) {
            /* "dns; mx.example.org. (192.0.2.1, the server for ...)" */
            sx_str h = sx_bt_typed(v, NULL, 1);
            if (h.len > 0 && h.p[0] == '[')
                h.len = sx_bt_host_len(h.p, h.len);
            else if (h.len > 0)
                h.len = sx_bt_host_len(h.p, h.len);
            st = sx_bres_set(res, &cur->rhost, h.p, h.len);
        } else if (id == F_DIAG) {
            sx_str type;
            sx_str d = sx_bt_typed(v, &type, 1);
            if (type.len > 0 && type.len < 24 &&
                memchr(type.p, ' ', type.len) == NULL)
                st = set_upper(res, &cur->diagtype, type);
            else
                d = v; /* no "type;" prefix: the whole value */
            if (st == SMTPDX_OK)
                st = sx_bres_set(res, &cur->diag, d.p,
                                 d.len < SX_BOUNCE_MAX_DIAG
                                     ? d.len
                                     : SX_BOUNCE_MAX_DIAG);
        } else if (id == F_DISPOSITION) {
            /* an MDN's field (RFC 8098 3.2.6) in a report about a
             * refused message: "automatic-action/MDN-sent-automatically;
             * deleted" is what a Sieve reject sends back (RFC 5429 2.1),
             * the recipient's own filter; the words, when there are any,
             * still decide */
            if (sx_bt_has(v, "deleted")) {
                cur->hint = SMTPDX_R_FILTERED;
                cur->hint_strength = SX_HINT_WEAK;
            }
        } else if (id == F_X400_SUPP) {
            /* an X.400 gateway's Diagnostic-Code names only X.400's own
             * reason ("Reason 1 (Unable-To-Transfer); Diagnostic -1
             * (Unknown)"); what the Internet side answered is here:
             * "MTA '192.0.2.1' gives error message 5.7.1 Unable to relay" */
            sx_str q = sx_bt_trim(v);
            if (q.len >= 2 && q.p[0] == '"' && q.p[q.len - 1] == '"')
                q = sx_bt_str(q.p + 1, q.len - 2);
            if (q.len > 0 && cur->diag[0] == '\0') {
                st = sx_bres_set(res, &cur->diag, q.p,
                                 q.len < SX_BOUNCE_MAX_DIAG
                                     ? q.len
                                     : SX_BOUNCE_MAX_DIAG);
            } else if (q.len > 0 && strncmp(cur->diag, "Reason ", 7) == 0) {
                char both[SX_BOUNCE_MAX_DIAG + 1];
                int n = snprintf(both, sizeof both, "%s; %.*s", cur->diag,
                                 (int)(q.len < SX_BOUNCE_MAX_DIAG
                                           ? q.len
                                           : SX_BOUNCE_MAX_DIAG),
                                 q.p);
                if (n > 0)
                    st = sx_bres_set(res, &cur->diag, both,
                                     (size_t)n < sizeof both
                                         ? (size_t)n
                                         : sizeof both - 1);
            }
        } else if (id == F_LAST_ATTEMPT) {
            st = sx_bres_set(res, &cur->date, v.p, v.len);
        } else if (id == F_WILL_RETRY) {
            st = sx_bres_set(res, &cur->retry_until, v.p, v.len);
        }
        if (st != SMTPDX_OK)
            goto done;
    }

    /* A recipient block needs an address: Original-Recipient stands in for
     * a missing Final-Recipient, and for one that is no mail address (an
     * X.400 name from a gateway, "x400; /G=.../S=.../"); blocks with
     * neither are dropped. */
    {
        size_t w = first;
        for (size_t i = first; i < res->n; i++) {
            sx_brcpt *rc = &res->r[i];
            if (rc->alias[0] != '\0' &&
                (rc->recipient[0] == '\0' ||
                 (strchr(rc->recipient, '@') == NULL &&
                  strchr(rc->alias, '@') != NULL)))
                rc->recipient = rc->alias;
            if (rc->recipient[0] == '\0')
                continue;
            /* "Action: deleted" (beside a Disposition) is no RFC 3464
             * action: the message was not delivered */
            if (strcmp(rc->action, "deleted") == 0)
                rc->action = "failed";
            if (w != i)
                res->r[w] = *rc;
            w++;
        }
        res->n = w;
    }
done:
    sx_dsn_iter_release(&it);
    return st;
}

/* The delivery-status part's fields, parsed once per message. */
static smtpdx_status cached(sx_bmail *m, const sx_bres **out)
{
    if (!m->dsnc_done) {
        smtpdx_status st = sx_bdsn_parse(m->dsnp, m->dsnlen, &m->dsnc);
        if (st != SMTPDX_OK && st != SMTPDX_ERR_LIMIT)
            return st;
        if (st == SMTPDX_ERR_LIMIT) /* more recipients than are kept */
            m->cut |= SMTPDX_CUT_RECIPIENTS;
        m->dsnc_done = 1;
    }
    *out = &m->dsnc;
    return SMTPDX_OK;
}

smtpdx_status sx_bdsn_extract(sx_bmail *m, sx_bres *res)
{
    if (m->dsn_part != NULL && m->dsnlen > 0) {
        /* share the cache's strings: they live as long as the message */
        const sx_bres *c;
        smtpdx_status st = cached(m, &c);
        if (st != SMTPDX_OK)
            return st;
        if (res->reporting_mta[0] == '\0')
            res->reporting_mta = c->reporting_mta;
        if (res->arrival_date[0] == '\0')
            res->arrival_date = c->arrival_date;
        if (res->received_from[0] == '\0')
            res->received_from = c->received_from;
        for (size_t i = 0; i < c->n; i++) {
            sx_brcpt *rc = sx_bres_add(res, &st);
            if (rc == NULL)
                return st;
            *rc = c->r[i];
        }
        return SMTPDX_OK;
    }
    /* Some MTAs put the fields in a text/plain part; look for them in the
     * other text parts, then in the notification itself. */
    static const char *const marks[] = {"Final-Recipient:", NULL};
    sx_str t2 = sx_bt_str(m->text2.data, m->text2.len);
    if (sx_bt_has_any(t2, marks))
        return sx_bdsn_parse(m->text2.data, m->text2.len, res);
    /* only a field that starts a line: one quoted ("> Final-Recipient:")
     * or indented is a person's or a list's text showing a report, whose
     * other fields do not follow as a report's do */
    sx_str t = sx_bt_str(m->tx, m->txlen);
    const char *p = sx_bt_ifind(t.p, t.len, "Final-Recipient:");
    while (p != NULL && p != t.p && p[-1] != '\n' && p[-1] != '\r') {
        size_t at = (size_t)(p - t.p) + 16;
        p = sx_bt_ifind(t.p + at, t.len - at, "Final-Recipient:");
    }
    /* and a report's fields follow it: one line alone is someone
     * quoting what they could read */
    if (p != NULL) {
        size_t rest = t.len - (size_t)(p - t.p);
        size_t near = rest < 1024 ? rest : 1024;
        if (sx_bt_ifind(p, near, "\nStatus:") == NULL &&
            sx_bt_ifind(p, near, "\nAction:") == NULL &&
            sx_bt_ifind(p, near, "\rStatus:") == NULL &&
            sx_bt_ifind(p, near, "\rAction:") == NULL)
            p = NULL;
    }
    if (p != NULL) {
        /* start at the block holding Reporting-MTA when it comes first */
        const char *r = sx_bt_ifind(t.p, (size_t)(p - t.p), "Reporting-MTA:");
        const char *s = r ? r : p;
        return sx_bdsn_parse(s, t.len - (size_t)(s - t.p), res);
    }
    return SMTPDX_OK;
}

smtpdx_status sx_bmdn_extract(sx_bmail *m, sx_bres *res)
{
    const sx_part *p = m->mdn_part;
    /* its fields are short and plain: an encoded part is not looked into */
    if (p == NULL || p->cte != SX_CTE_IDENTITY || p->body.p == NULL)
        return SMTPDX_OK;
    size_t first = res->n;
    size_t n = p->body.len < SX_BOUNCE_MAX_DSN ? p->body.len
                                                : SX_BOUNCE_MAX_DSN;
    smtpdx_status st = sx_bdsn_parse(p->body.p, n, res);
    if (st != SMTPDX_OK)
        return st;
    /* the Disposition field set the hint: keep those it says were
     * deleted, as failed deliveries, when the notice says the message was
     * refused (a Sieve reject, RFC 5429: "Auto-Submitted: auto-replied
     * (rejected)", "was automatically rejected"); a receipt that says a
     * person deleted it unread (Outlook's "Not read:") is no failure */
    sx_str subj = sx_bt_trim(sx_bt_str(m->subject_dec.data,
                                       m->subject_dec.len));
    int refused = (m->autosub.p != NULL && sx_bt_has(m->autosub, "rejected")) ||
                  sx_bt_iprefix(subj.p, subj.len, "rejected:") ||
                  sx_bt_has(subj, "automatically rejected") ||
                  sx_bt_has(sx_bt_str(m->tx, m->body_end),
                            "automatically rejected");
    size_t w = first;
    for (size_t i = first; i < res->n; i++) {
        sx_brcpt *rc = &res->r[i];
        if (rc->hint != SMTPDX_R_FILTERED || !refused)
            continue;
        rc->action = "failed";
        if (w != i)
            res->r[w] = *rc;
        w++;
    }
    res->n = w;
    return SMTPDX_OK;
}

static smtpdx_status fill(sx_bres *res, const char **field, const char *v)
{
    if ((*field)[0] != '\0' || v[0] == '\0')
        return SMTPDX_OK;
    return sx_bres_sets(res, field, v);
}

smtpdx_status sx_bdsn_merge(sx_bmail *m, sx_bres *res)
{
    if (m->dsn_part == NULL || m->dsnlen == 0 || res->n == 0)
        return SMTPDX_OK;
    const sx_bres *dc;
    smtpdx_status st = cached(m, &dc);
    if (st != SMTPDX_OK)
        return st;
    sx_bres d = *dc; /* a view: not released here */
    if ((st = fill(res, &res->reporting_mta, d.reporting_mta)) ||
        (st = fill(res, &res->arrival_date, d.arrival_date)) ||
        (st = fill(res, &res->received_from, d.received_from)))
        goto done;
    for (size_t i = 0; i < res->n; i++) {
        sx_brcpt *rc = &res->r[i];
        sx_brcpt *x = sx_bres_find(&d, rc->recipient, strlen(rc->recipient));
        if (x == NULL && rc->alias[0])
            x = sx_bres_find(&d, rc->alias, strlen(rc->alias));
        if (x == NULL && d.n == res->n)
            x = &d.r[i]; /* same count: pair them in order */
        if (x == NULL)
            continue;
        if ((st = fill(res, &rc->status, x->status)) ||
            (st = fill(res, &rc->action, x->action)) ||
            (st = fill(res, &rc->rhost, x->rhost)) ||
            (st = fill(res, &rc->date, x->date)) ||
            (st = fill(res, &rc->retry_until, x->retry_until)) ||
            (st = fill(res, &rc->status_note, x->status_note)) ||
            (st = fill(res, &rc->diagtype, x->diagtype)) ||
            (st = fill(res, &rc->diag, x->diag)) ||
            (st = fill(res, &rc->alias, x->alias)))
            goto done;
    }
done:
    return st;
}
