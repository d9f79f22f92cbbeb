/*
 * bounce_zoho.c - Zoho Mail's bounces and delay notices.
 *
 * One line per recipient, in one of two shapes:
 *   user@example.org Invalid Address, ERROR_CODE :550, ERROR_CODE :Requested
 *   [Status: Error, Address: <user@example.org>, ResponseCode 421, , Host
 *   not reachable.]
 * The returned message's header follows without a separator line. Zoho
 * writes a bounce with a 4xx code only once it has stopped retrying, so
 * such a failure is expired whatever the last reply said.
 */
#include <string.h>

#include "bounce/bounce.h"
#include "bounce/bounce_fam.h"
#include "bounce/bounce_text.h"

static int zoho_match(const sx_bmail *m)
{
    static const char *const froms[] = {"mail.zoho.com", "zohomail.com",
                                        NULL};
    /* one search for the word both names hold rules out most senders */
    sx_str from = sx_bt_str(m->from_dec.data, m->from_dec.len);
    return (sx_bt_has(from, "zoho") && sx_bfam_from(m, froms)) ||
           sx_bfam_mark(m, MK_ZOHO, 4096);
}

/* The number after "ERROR_CODE :" or "ResponseCode ". */
static int zoho_code(sx_str l, const char **after)
{
    static const char *const keys[] = {"error_code :", "responsecode ", NULL};
    for (size_t i = 0; keys[i]; i++) {
        const char *p = sx_bt_ifind(l.p, l.len, keys[i]);
        if (p == NULL)
            continue;
        p += strlen(keys[i]);
        size_t rest = l.len - (size_t)(p - l.p);
        int code = sx_bt_reply_code(p, rest);
        if (code == 0 && rest >= 3 && p[0] >= '2' && p[0] <= '5')
            code = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
        *after = p + (rest >= 3 ? 3 : rest);
        return code;
    }
    return 0;
}

static smtpdx_status zoho_extract(sx_bmail *m, sx_bres *res)
{
    smtpdx_status st = SMTPDX_OK;
    sx_btlines it;
    sx_str l;
    sx_sbuf *d = &m->scratch2;
    sx_bt_lines_init(&it, m->tx, m->txlen);
    while (it.count < SX_BOUNCE_MAX_LINES && sx_bt_next_line(&it, &l)) {
        const char *after = NULL;
        int code = zoho_code(l, &after);
        sx_str a;
        if (code < 400 || !sx_bt_find_addr(l.p, l.len, &a, NULL) ||
            sx_bres_find(res, a.p, a.len))
            continue;
        /* the reply: the code, then the text after the last "code :" */
        const char *txt = after;
        const char *k = sx_bt_ifind(after, l.len - (size_t)(after - l.p),
                                    "error_code :");
        if (k != NULL)
            txt = k + 12;
        sx_str t = sx_bt_trim(sx_bt_str(txt, l.len - (size_t)(txt - l.p)));
        while (t.len > 0 && (t.p[0] == ',' || t.p[0] == ' ')) {
            t.p++;
            t.len--;
        }
        if (t.len > 0 && t.p[t.len - 1] == ']')
            t.len--;
        sx_sbuf_reset(d);
        if (sx_sbuf_printf(d, "%d ", code) == SX_SBUF_NOMEM ||
            sx_sbuf_append(d, t.p, t.len) == SX_SBUF_NOMEM)
            return SMTPDX_ERR_NOMEM; /* past the limit it is cut */
        sx_brcpt *rc = sx_bres_add(res, &st);
        if (rc == NULL)
            return st;
        if ((st = sx_bres_set(res, &rc->recipient, a.p, a.len)) ||
            (st = sx_bres_set(res, &rc->diag, d->data, d->len)))
            return st;
        if (code < 500) {
            rc->hint = SMTPDX_R_EXPIRED;
            rc->hint_strength = SX_HINT_STRONG;
            rc->temporary = 1;
        }
    }
    return st;
}

const sx_detector sx_det_zoho = {"Zoho", zoho_match, zoho_extract};
