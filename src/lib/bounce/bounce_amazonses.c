/*
 * bounce_amazonses.c - Amazon SES: its JSON notifications (delivered by
 * SNS as mail, "AWS Notification Message") and its mailed bounces.
 *
 * A notification is {"notificationType": "Bounce"|"Complaint"|"Delivery",
 * "bounce": {"bounceType", "bouncedRecipients": [{"emailAddress",
 * "action", "status", "diagnosticCode"}], "reportingMTA", "timestamp"},
 * "complaint": {"complainedRecipients": [...], "complaintFeedbackType"},
 * "delivery": {"recipients": [...], "smtpResponse"}, "mail": {"source",
 * "messageId", "commonHeaders": {...}}}; SNS may wrap it once more as the
 * string member "Message" of its own envelope. Mailed SES bounces are
 * RFC 3464 reports and are left to that reader.
 */
#include <string.h>

#include "bounce/bounce.h"
#include "bounce/bounce_fam.h"
#include "bounce/bounce_json.h"
#include "bounce/bounce_text.h"

static int ses_match(const sx_bmail *m)
{
    static const char *const froms[] = {"sns.amazonaws.com", NULL};
    return sx_bfam_has_header(m, "x-amz-sns-message-id") ||
           sx_bfam_from(m, froms);
}

static const char *member(const sx_bjson *d, int obj, const char *path)
{
    /* "a.b" walks one level */
    const char *dot = strchr(path, '.');
    if (dot == NULL)
        return sx_bjson_str(d, sx_bjson_get(d, obj, path));
    char head[64];
    size_t n = (size_t)(dot - path) < sizeof head - 1 ? (size_t)(dot - path)
                                                      : sizeof head - 1;
    memcpy(head, path, n);
    head[n] = '\0';
    return member(d, sx_bjson_get(d, obj, head), dot + 1);
}

/* "smtp; 550 5.1.1 ..." -> type SMTP and the reply. */
static smtpdx_status set_diag(sx_bres *res, sx_brcpt *rc, const char *v)
{
    const char *semi = strchr(v, ';');
    if (semi != NULL && semi - v < 16 && memchr(v, ' ', (size_t)(semi - v)) == NULL) {
        char t[16];
        size_t n = (size_t)(semi - v);
        for (size_t i = 0; i < n; i++)
            t[i] = (v[i] >= 'a' && v[i] <= 'z') ? (char)(v[i] - 32) : v[i];
        smtpdx_status st = sx_bres_set(res, &rc->diagtype, t, n);
        if (st != SMTPDX_OK)
            return st;
        v = semi + 1;
    }
    return sx_bres_sets(res, &rc->diag, v);
}

/* The returned message's header, rebuilt from "mail" so that the record
 * gets its sender, subject and id. */
static smtpdx_status orig_header(const sx_bjson *d, int root, sx_bres *res,
                                 sx_sbuf *tmp)
{
    int mail = sx_bjson_get(d, root, "mail");
    int ch = sx_bjson_get(d, mail, "commonHeaders");
    const char *from = sx_bjson_str(d, sx_bjson_first(d, sx_bjson_get(d, ch, "from")));
    if (from[0] == '\0')
        from = member(d, mail, "source");
    sx_sbuf_reset(tmp);
    if (sx_sbuf_printf(tmp,
                       "From: %s\nSubject: %s\nMessage-ID: <%s>\nDate: %s\n\n",
                       from, member(d, ch, "subject"),
                       member(d, mail, "messageId"),
                       member(d, mail, "timestamp")) == SX_SBUF_NOMEM)
        return SMTPDX_ERR_NOMEM;
    char *p = sx_barena_dup(&res->arena, tmp->data ? tmp->data : "", tmp->len);
    if (p == NULL)
        return SMTPDX_ERR_NOMEM;
    res->orig = p;
    res->orig_len = tmp->len;
    return SMTPDX_OK;
}

static smtpdx_status notification(sx_bmail *m, const sx_bjson *d, int root,
                                  sx_bres *res)
{
    smtpdx_status st = SMTPDX_OK;
    const char *type = member(d, root, "notificationType");
    if (type[0] == '\0')
        type = member(d, root, "eventType");
    int list = -1, body = -1;
    const char *addr_key = "emailAddress";
    smtpdx_reason hint = SMTPDX_REASON_COUNT;
    if (strcmp(type, "Bounce") == 0) {
        body = sx_bjson_get(d, root, "bounce");
        list = sx_bjson_get(d, body, "bouncedRecipients");
    } else if (strcmp(type, "Complaint") == 0) {
        body = sx_bjson_get(d, root, "complaint");
        list = sx_bjson_get(d, body, "complainedRecipients");
        hint = SMTPDX_R_FEEDBACK;
    } else if (strcmp(type, "Delivery") == 0) {
        body = sx_bjson_get(d, root, "delivery");
        list = sx_bjson_get(d, body, "recipients");
        addr_key = NULL;
    } else {
        return SMTPDX_OK;
    }
    const char *mta = member(d, body, "reportingMTA");
    const char *semi = strchr(mta, ';');
    if ((st = sx_bres_sets(res, &res->reporting_mta, semi ? semi + 1 : mta)))
        return st;
    int temporary = strcmp(member(d, body, "bounceType"), "Transient") == 0;
    for (int c = sx_bjson_first(d, list); c >= 0; c = sx_bjson_next(d, c)) {
        const char *addr = addr_key ? member(d, c, addr_key) : sx_bjson_str(d, c);
        sx_str a;
        if (!sx_bt_find_addr(addr, strlen(addr), &a, NULL))
            continue;
        sx_brcpt *rc = sx_bres_add(res, &st);
        if (rc == NULL)
            return st;
        if ((st = sx_bres_set(res, &rc->recipient, a.p, a.len)) ||
            (st = sx_bres_sets(res, &rc->date, member(d, body, "timestamp"))))
            return st;
        if (addr_key == NULL) {
            rc->action = "delivered";
            st = set_diag(res, rc, member(d, body, "smtpResponse"));
        } else if (hint == SMTPDX_R_FEEDBACK) {
            const char *ft = member(d, body, "complaintFeedbackType");
            rc->hint = hint;
            rc->hint_strength = SX_HINT_STRONG;
            st = sx_bres_sets(res, &rc->feedbacktype, ft[0] ? ft : "abuse");
        } else {
            rc->temporary = temporary;
            if ((st = sx_bres_sets(res, &rc->action, member(d, c, "action"))) ||
                (st = sx_bres_sets(res, &rc->status, member(d, c, "status"))))
                return st;
            st = set_diag(res, rc, member(d, c, "diagnosticCode"));
        }
        if (st != SMTPDX_OK)
            return st;
    }
    return orig_header(d, root, res, &m->scratch2);
}

static smtpdx_status ses_extract(sx_bmail *m, sx_bres *res)
{
    const char *t = m->tx;
    const char *brace = memchr(t, '{', m->txlen);
    if (brace == NULL)
        return SMTPDX_OK;
    /* the JSON ends at its last closing brace before the SNS footer */
    size_t len = m->txlen - (size_t)(brace - t);
    const char *foot = sx_bt_find(brace, len, "\n--\n");
    if (foot)
        len = (size_t)(foot - brace);
    sx_bjson d, inner;
    sx_bjson_init(&d);
    sx_bjson_init(&inner);
    smtpdx_status st = SMTPDX_OK;
    int rc = sx_bjson_parse(&d, brace, len);
    if (rc == -2) {
        st = SMTPDX_ERR_NOMEM;
        goto done;
    }
    if (rc == 0) {
        int msg = sx_bjson_get(&d, 0, "Message");
        if (msg >= 0 && d.n[msg].type == SX_BJ_STR) {
            const char *s = sx_bjson_str(&d, msg);
            rc = sx_bjson_parse(&inner, s, d.n[msg].vallen);
            if (rc == -2)
                st = SMTPDX_ERR_NOMEM;
            else if (rc == 0)
                st = notification(m, &inner, 0, res);
        } else {
            st = notification(m, &d, 0, res);
        }
    }
done:
    sx_bjson_release(&d);
    sx_bjson_release(&inner);
    return st;
}

const sx_detector sx_det_amazonses = {"AmazonSES", ses_match, ses_extract};
