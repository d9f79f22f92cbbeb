/*
 * bounce_detectors.c - the table of bounce families, in the order their
 * marker checks run. A family whose markers are also found in others'
 * bounces (a provider relaying through an MTA) comes before that MTA; the
 * MTAs whose markers are the weakest come last.
 */
#include <string.h>

#include "bounce/bounce.h"
#include "bounce/bounce_fam.h"
#include "bounce/bounce_text.h"

const sx_detector *const sx_detectors[] = {
    &sx_det_amazonses,
    &sx_det_googlegroups,
    &sx_det_gmail,
    &sx_det_activehunter,
    &sx_det_mailfoundry,
    &sx_det_mfilter,
    &sx_det_surfcontrol,
    &sx_det_x1,
    &sx_det_x2,
    &sx_det_james,
    &sx_det_interscan,
    &sx_det_mailmarshal,
    &sx_det_verizon,
    &sx_det_fml,
    &sx_det_zoho,
    &sx_det_postfix,
    &sx_det_exim,
    &sx_det_qmail,
    &sx_det_sendmail,
};
/* (a count other than SX_NDETECTORS does not compile: the declaration in
 * bounce.h gives the array its length) */

sx_str sx_bfam_head(const sx_bmail *m, size_t n)
{
    return sx_bt_str(m->tx, m->txlen < n ? m->txlen : n);
}

int sx_bfam_subject(const sx_bmail *m, const char *const *needles)
{
    return sx_bt_has_any(sx_bt_str(m->subject_dec.data, m->subject_dec.len),
                         needles);
}

int sx_bfam_from(const sx_bmail *m, const char *const *needles)
{
    return sx_bt_has_any(sx_bt_str(m->from_dec.data, m->from_dec.len),
                         needles);
}

int sx_bfam_has_header(const sx_bmail *m, const char *name)
{
    return sx_bmail_header(m, name).p != NULL;
}

smtpdx_status sx_bfam_status_from(sx_bres *res, sx_brcpt *rc, const char *s,
                                  size_t n)
{
    char code[16];
    size_t at;
    if (!sx_bt_find_enhanced(s, n, code, &at))
        return SMTPDX_OK;
    return sx_bres_sets(res, &rc->status, code);
}

smtpdx_status sx_bfam_own_host(const sx_bmail *m, sx_bres *res, int mark,
                               const char *phrase, size_t within)
{
    uint32_t at = m->marks.at[mark];
    if (res->reporting_mta[0] != '\0' || at == SX_BMARK_NONE ||
        at >= m->txlen)
        return SMTPDX_OK;
    const char *h = sx_bt_ifind(m->tx + at, m->txlen - at, phrase);
    if (h == NULL || (size_t)(h - (m->tx + at)) > within)
        return SMTPDX_OK;
    h += strlen(phrase);
    size_t n = sx_bt_host_len(h, m->txlen - (size_t)(h - m->tx));
    if (n > 0 && memchr(h, '.', n) != NULL)
        return sx_bres_set(res, &res->reporting_mta, h, n);
    return SMTPDX_OK;
}
