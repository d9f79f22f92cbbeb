/*
 * bounce_googlegroups.c - Google Groups refusing a post.
 *
 * Sent by Gmail's mailer-daemon in the poster's language, always with an
 * X-Failed-Recipients field naming the group and a link to
 * groups.google.com: the group does not exist or the sender may not post
 * to it. Either way the sender is refused (rejected), not a mailbox.
 */
#include <stdint.h>

#include "bounce/bounce.h"
#include "bounce/bounce_fam.h"
#include "bounce/bounce_generic.h"
#include "bounce/bounce_text.h"

static int groups_match(const sx_bmail *m)
{
    static const char *const froms[] = {"mailer-daemon@googlemail.com",
                                        "mailer-daemon@google.com", NULL};
    /* one search for what both names start with rules out most senders */
    if (m->xfailed.p == NULL ||
        !sx_bt_has(sx_bt_str(m->from_dec.data, m->from_dec.len),
                   "mailer-daemon@google") ||
        !sx_bfam_from(m, froms))
        return 0;
    /* "Address not found" about a group address is an ordinary bounce */
    if (sx_bfam_mark(m, MK_GM_NOTFOUND, SIZE_MAX))
        return 0;
    return sx_bfam_mark(m, MK_GROUPS, SIZE_MAX);
}

static smtpdx_status groups_extract(sx_bmail *m, sx_bres *res)
{
    smtpdx_status st = sx_bgeneric_xfailed(m, res);
    if (st != SMTPDX_OK)
        return st;
    /* the explanation is the paragraph that names the group */
    const char *t = m->tx;
    size_t end = m->body_end;
    size_t n = sx_bt_utf8_cut(t, end < 1024 ? end : 1024);
    sx_str para = sx_bt_trim(sx_bt_str(t, n));
    for (size_t i = 0; i < res->n; i++) {
        sx_brcpt *rc = &res->r[i];
        rc->hint = SMTPDX_R_REJECTED;
        rc->hint_strength = SX_HINT_STRONG;
        if ((st = sx_bres_set(res, &rc->diag, para.p, para.len)))
            return st;
    }
    return SMTPDX_OK;
}

const sx_detector sx_det_googlegroups = {"GoogleGroups", groups_match,
                                         groups_extract};
