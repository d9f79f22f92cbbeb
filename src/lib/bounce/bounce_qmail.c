/*
 * bounce_qmail.c - qmail (and netqmail, vpopmail) failure notices.
 *
 *   Hi. This is the qmail-send program at mx.example.org.
 *   I'm afraid I wasn't able to deliver your message to the following
 *   addresses. This is a permanent error; I've given up. ...
 *
 *   <user@example.org>:
 *   192.0.2.1 does not like recipient.
 *   Remote host said: 550 5.1.1 <user@example.org>... User Unknown
 *   Giving up on 192.0.2.1.
 *
 *   --- Below this line is a copy of the message.
 * qmail's own sentences say which command failed ("does not like
 * recipient", "sender was rejected", "my name was rejected", "failed after
 * I sent the message") and when it gave up ("I'm not going to try again;
 * this message has been in the queue too long."); local errors end with a
 * status in "(#5.1.1)" form. Only what the remote host said is the reply;
 * qmail's narrative sets the command, the host and the hints.
 */
#include <string.h>

#include "bounce/bounce.h"
#include "bounce/bounce_fam.h"
#include "bounce/bounce_generic.h"
#include "bounce/bounce_text.h"

static int qmail_match(const sx_bmail *m)
{
    return sx_bfam_mark(m, MK_QM_SEND, 2048) ||
           sx_bfam_mark(m, MK_QM_AFRAID, 2048);
}

/* qmail's narrative lines, not part of any reply. */
static int narrative(sx_str l)
{
    static const char *const lines[] = {
        "giving up on ", "i'm not going to try again",
        "this message has been in the queue too long", NULL};
    static sx_bt_set set = SX_BT_SET(lines);
    return sx_bt_has_set(l, &set);
}

/* The host a sentence names: "192.0.2.1 does not like recipient",
 * "Connected to 192.0.2.1 but", "remote host 192.0.2.1 said". */
static sx_str sentence_host(sx_str l)
{
    static const char *const before[] = {"connected to ", "remote host ",
                                         NULL};
    for (size_t i = 0; before[i]; i++) {
        const char *p = sx_bt_ifind(l.p, l.len, before[i]);
        if (p) {
            p += strlen(before[i]);
            return sx_bt_str(p, sx_bt_host_len(p, l.len - (size_t)(p - l.p)));
        }
    }
    static const char *const after[] = {" does not like recipient",
                                        " failed after i sent",
                                        " does not like sender", NULL};
    for (size_t i = 0; after[i]; i++) {
        const char *p = sx_bt_ifind(l.p, l.len, after[i]);
        if (p) {
            const char *b = p;
            while (b > l.p && b[-1] != ' ' && b[-1] != '>')
                b--;
            return sx_bt_str(b, sx_bt_host_len(b, (size_t)(p - b)));
        }
    }
    return sx_bt_str(NULL, 0);
}

static smtpdx_status finish(sx_bmail *m, sx_bres *res, sx_brcpt *rc,
                            sx_sbuf *reply, sx_sbuf *all, int gave_up)
{
    smtpdx_status st;
    sx_sbuf *d = reply->len ? reply : all;
    if ((st = sx_bres_set(res, &rc->diag, d->data, d->len)))
        return st;
    const char *c = sx_bmark_command(m->ctx, all->data, all->len);
    if (c)
        rc->command = c;
    /* a local error's "(#5.1.1)" */
    const char *h = sx_bt_find(all->data, all->len, "(#");
    if (h && (st = sx_bfam_status_from(res, rc, h, all->len -
                                       (size_t)(h - all->data))))
        return st;
    if (gave_up) {
        rc->hint = SMTPDX_R_EXPIRED;
        rc->hint_strength = SX_HINT_WEAK;
    }
    return SMTPDX_OK;
}

/* The reporting host from qmail's opening sentence, when the notice's
 * Received fields name none (qmail's own reads "(qmail 123 invoked for
 * bounce)", with no "by"). */
static smtpdx_status own_host(const sx_bmail *m, sx_bres *res)
{
    sx_str rcvd = sx_bmail_header(m, "Received");
    if (rcvd.p != NULL && sx_bt_ifind(rcvd.p, rcvd.len, "by ") != NULL)
        return SMTPDX_OK;
    return sx_bfam_own_host(m, res, MK_QM_SEND, "program at ", 20);
}

static smtpdx_status qmail_extract(sx_bmail *m, sx_bres *res)
{
    smtpdx_status st = SMTPDX_OK;
    const char *t = m->tx;
    size_t end = m->body_end;
    sx_str whole = sx_bt_str(t, end);
    int gave_up = sx_bt_has(whole, "in the queue too long");
    sx_sbuf reply, all;
    sx_sbuf_init(&reply, SX_BOUNCE_MAX_DIAG);
    sx_sbuf_init(&all, SX_BOUNCE_MAX_DIAG);
    sx_btlines it;
    sx_str l;
    sx_brcpt *cur = NULL;
    int in_reply = 0;

    sx_bt_lines_init(&it, t, end);
    for (;;) {
        int more = it.count < SX_BOUNCE_MAX_LINES && sx_bt_next_line(&it, &l);
        sx_str tl = more ? sx_bt_trim(l) : sx_bt_str(NULL, 0);
        sx_str a = {NULL, 0};
        int opens = more && tl.len > 3 && tl.p[0] == '<' &&
                    tl.p[tl.len - 1] == ':' &&
                    sx_bt_is_addr(sx_bt_str(tl.p, tl.len - 1), &a);
        if ((opens || !more) && cur != NULL) {
            if ((st = finish(m, res, cur, &reply, &all, gave_up)))
                goto done;
            cur = NULL;
        }
        if (!more)
            break;
        if (opens) {
            cur = sx_bres_add(res, &st);
            if (cur == NULL)
                goto done;
            if ((st = sx_bres_set(res, &cur->recipient, a.p, a.len)))
                goto done;
            sx_sbuf_reset(&reply);
            sx_sbuf_reset(&all);
            in_reply = 0;
            continue;
        }
        if (cur == NULL || tl.len == 0)
            continue;
        if (cur->rhost[0] == '\0') {
            sx_str h = sentence_host(tl);
            if (h.len && (st = sx_bres_set(res, &cur->rhost, h.p, h.len)))
                goto done;
        }
        if (narrative(tl)) {
            /* "...(#4.4.3)I'm not going to try again; ...": keep what
             * comes before qmail's own sentence */
            const char *n = sx_bt_ifind(tl.p, tl.len, "i'm not going to try");
            if (n == NULL || n == tl.p) {
                in_reply = 0;
                continue;
            }
            tl.len = (size_t)(n - tl.p);
        }
        /* past their limit the texts are cut; a failed allocation must
         * not leave a record with a line missing */
        int brc = all.len ? sx_sbuf_putc(&all, ' ') : SX_SBUF_OK;
        if (brc == SX_SBUF_OK)
            brc = sx_sbuf_append(&all, tl.p, tl.len);
        const char *said = sx_bt_ifind(tl.p, tl.len, "said:");
        if (said != NULL) {
            said += 5;
            in_reply = 1;
            sx_str r = sx_bt_trim(sx_bt_str(said, tl.len - (size_t)(said - tl.p)));
            if (brc != SX_SBUF_NOMEM && reply.len)
                brc = sx_sbuf_putc(&reply, ' ');
            if (brc != SX_SBUF_NOMEM)
                brc = sx_sbuf_append(&reply, r.p, r.len);
        } else if (in_reply) {
            if (brc != SX_SBUF_NOMEM)
                brc = sx_sbuf_putc(&reply, ' ');
            if (brc != SX_SBUF_NOMEM)
                brc = sx_sbuf_append(&reply, tl.p, tl.len);
        }
        if (brc == SX_SBUF_NOMEM) {
            st = SMTPDX_ERR_NOMEM;
            goto done;
        }
    }
done:
    sx_sbuf_release(&reply);
    sx_sbuf_release(&all);
    if (st == SMTPDX_OK && res->n > 0)
        st = own_host(m, res);
    return st;
}

const sx_detector sx_det_qmail = {"qmail", qmail_match, qmail_extract};
