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
#include <limits.h>
#include <string.h>

#include <json-c/json.h>

#include "bounce/bounce.h"
#include "bounce/bounce_fam.h"
#include "bounce/bounce_text.h"

/* Nesting a notification never comes near; json-c refuses deeper input. */
#define SES_JSON_DEPTH 32

static int ses_match(const sx_bmail *m)
{
    /* the field as top_headers found it, not looked up by its name: this
     * check runs first for every message */
    return m->hdr[SX_H_X_AMZ_SNS].p != NULL ||
           sx_bt_has(sx_bt_str(m->from_dec.data, m->from_dec.len),
                     "sns.amazonaws.com");
}

static const char *str_of(json_object *v)
{
    return v != NULL && json_object_is_type(v, json_type_string)
               ? json_object_get_string(v)
               : "";
}

static json_object *get(json_object *obj, const char *key)
{
    json_object *v = NULL;
    if (obj == NULL || !json_object_is_type(obj, json_type_object) ||
        !json_object_object_get_ex(obj, key, &v))
        return NULL;
    return v;
}

/* A string member ("" when absent or not a string); "a.b" walks one level. */
static const char *member(json_object *obj, const char *path)
{
    const char *dot = strchr(path, '.');
    if (dot != NULL) {
        char head[64];
        size_t n = (size_t)(dot - path) < sizeof head - 1 ? (size_t)(dot - path)
                                                          : sizeof head - 1;
        memcpy(head, path, n);
        head[n] = '\0';
        return member(get(obj, head), dot + 1);
    }
    return str_of(get(obj, path));
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
static smtpdx_status orig_header(json_object *root, sx_bres *res,
                                 sx_sbuf *tmp)
{
    json_object *mail = get(root, "mail");
    json_object *ch = get(mail, "commonHeaders");
    json_object *froms = get(ch, "from");
    const char *from =
        froms != NULL && json_object_is_type(froms, json_type_array) &&
                json_object_array_length(froms) > 0
            ? str_of(json_object_array_get_idx(froms, 0))
            : "";
    if (from[0] == '\0')
        from = member(mail, "source");
    sx_sbuf_reset(tmp);
    if (sx_sbuf_printf(tmp,
                       "From: %s\nSubject: %s\nMessage-ID: <%s>\nDate: %s\n\n",
                       from, member(ch, "subject"), member(mail, "messageId"),
                       member(mail, "timestamp")) == SX_SBUF_NOMEM)
        return SMTPDX_ERR_NOMEM;
    char *p = sx_barena_dup(&res->arena, tmp->data ? tmp->data : "", tmp->len);
    if (p == NULL)
        return SMTPDX_ERR_NOMEM;
    res->orig = p;
    res->orig_len = tmp->len;
    return SMTPDX_OK;
}

static smtpdx_status notification(sx_bmail *m, json_object *root,
                                  sx_bres *res)
{
    smtpdx_status st = SMTPDX_OK;
    const char *type = member(root, "notificationType");
    if (type[0] == '\0')
        type = member(root, "eventType");
    json_object *list = NULL, *body = NULL;
    const char *addr_key = "emailAddress";
    smtpdx_reason hint = SMTPDX_REASON_COUNT;
    if (strcmp(type, "Bounce") == 0) {
        body = get(root, "bounce");
        list = get(body, "bouncedRecipients");
    } else if (strcmp(type, "Complaint") == 0) {
        body = get(root, "complaint");
        list = get(body, "complainedRecipients");
        hint = SMTPDX_R_FEEDBACK;
    } else if (strcmp(type, "Delivery") == 0) {
        body = get(root, "delivery");
        list = get(body, "recipients");
        addr_key = NULL;
    } else {
        return SMTPDX_OK;
    }
    const char *mta = member(body, "reportingMTA");
    const char *semi = strchr(mta, ';');
    if ((st = sx_bres_sets(res, &res->reporting_mta, semi ? semi + 1 : mta)))
        return st;
    int temporary = strcmp(member(body, "bounceType"), "Transient") == 0;
    size_t n = list != NULL && json_object_is_type(list, json_type_array)
                   ? json_object_array_length(list)
                   : 0;
    for (size_t i = 0; i < n; i++) {
        json_object *c = json_object_array_get_idx(list, i);
        const char *addr = addr_key ? member(c, addr_key) : str_of(c);
        sx_str a;
        if (!sx_bt_find_addr(addr, strlen(addr), &a, NULL))
            continue;
        sx_brcpt *rc = sx_bres_add(res, &st);
        if (rc == NULL)
            return st;
        if ((st = sx_bres_set(res, &rc->recipient, a.p, a.len)) ||
            (st = sx_bres_sets(res, &rc->date, member(body, "timestamp"))))
            return st;
        if (addr_key == NULL) {
            rc->action = "delivered";
            st = set_diag(res, rc, member(body, "smtpResponse"));
        } else if (hint == SMTPDX_R_FEEDBACK) {
            const char *ft = member(body, "complaintFeedbackType");
            rc->hint = hint;
            rc->hint_strength = SX_HINT_STRONG;
            st = sx_bres_sets(res, &rc->feedbacktype, ft[0] ? ft : "abuse");
        } else {
            rc->temporary = temporary;
            if ((st = sx_bres_sets(res, &rc->action, member(c, "action"))) ||
                (st = sx_bres_sets(res, &rc->status, member(c, "status"))))
                return st;
            st = set_diag(res, rc, member(c, "diagnosticCode"));
        }
        if (st != SMTPDX_OK)
            return st;
    }
    return orig_header(root, res, &m->scratch2);
}

/* One JSON document at the start of s[0..n), or NULL when it is
 * malformed, cut short or nested too deep: then there is no record. (The
 * json-c of Debian 12 reports a failed allocation as a parse error, so it
 * ends the same way.) */
static json_object *parse(json_tokener *tok, const char *s, size_t n)
{
    if (n > (size_t)INT_MAX)
        return NULL;
    json_tokener_reset(tok);
    json_object *o = json_tokener_parse_ex(tok, s, (int)n);
    if (o != NULL && json_tokener_get_error(tok) == json_tokener_success)
        return o;
    json_object_put(o);
    return NULL;
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
    json_tokener *tok = json_tokener_new_ex(SES_JSON_DEPTH);
    if (tok == NULL)
        return SMTPDX_ERR_NOMEM;
    smtpdx_status st = SMTPDX_OK;
    json_object *d = parse(tok, brace, len), *inner = NULL;
    json_object *msg = get(d, "Message");
    if (msg != NULL && json_object_is_type(msg, json_type_string)) {
        /* SNS's envelope: the notification is its Message, as a string */
        inner = parse(tok, json_object_get_string(msg),
                      (size_t)json_object_get_string_len(msg));
        if (inner != NULL)
            st = notification(m, inner, res);
    } else if (d != NULL) {
        st = notification(m, d, res);
    }
    json_object_put(inner);
    json_object_put(d);
    json_tokener_free(tok);
    return st;
}

const sx_detector sx_det_amazonses = {"AmazonSES", ses_match, ses_extract};
