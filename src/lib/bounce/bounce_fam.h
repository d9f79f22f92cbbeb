/*
 * bounce_fam.h - what the family detectors share: their table entries
 * (one per file, listed in bounce_detectors.c) and small marker helpers.
 */
#ifndef SX_BOUNCE_FAM_H
#define SX_BOUNCE_FAM_H

#include "bounce/bounce.h"

/* The first n bytes of the notification text. */
sx_str sx_bfam_head(const sx_bmail *m, size_t n);
/* Marker phrase id (bounce_mark.h) starts in the first `within` bytes of
 * the notification text. */
static inline int sx_bfam_mark(const sx_bmail *m, int id, size_t within)
{
    return m->marks.at[id] != SX_BMARK_NONE && m->marks.at[id] < within;
}
/* The decoded Subject / From contain one of the needles (caseless). */
int sx_bfam_subject(const sx_bmail *m, const char *const *needles);
int sx_bfam_from(const sx_bmail *m, const char *const *needles);
/* A top-level header field is present. */
int sx_bfam_has_header(const sx_bmail *m, const char *name);
/* Set rc->status from an enhanced code found in s (first one). */
smtpdx_status sx_bfam_status_from(sx_bres *res, sx_brcpt *rc, const char *s,
                                  size_t n);
/* The notice names its own server in its opening sentence, as phrase
 * then a host within `within` bytes of marker `mark` ("This is the mail
 * system at host mx.example.org.", "This is the qmail-send program at
 * mx.example.org."): that host becomes the reporting host unless one is
 * known. A name without a dot is taken for a word and skipped. */
smtpdx_status sx_bfam_own_host(const sx_bmail *m, sx_bres *res, int mark,
                               const char *phrase, size_t within);

extern const sx_detector sx_det_postfix;
extern const sx_detector sx_det_sendmail;
extern const sx_detector sx_det_exim;
extern const sx_detector sx_det_qmail;
extern const sx_detector sx_det_amazonses;
extern const sx_detector sx_det_gmail;
extern const sx_detector sx_det_googlegroups;
extern const sx_detector sx_det_activehunter;
extern const sx_detector sx_det_mailfoundry;
extern const sx_detector sx_det_mfilter;
extern const sx_detector sx_det_surfcontrol;
extern const sx_detector sx_det_x1;
extern const sx_detector sx_det_x2;
extern const sx_detector sx_det_james;
extern const sx_detector sx_det_interscan;
extern const sx_detector sx_det_mailmarshal;
extern const sx_detector sx_det_verizon;
extern const sx_detector sx_det_fml;
extern const sx_detector sx_det_zoho;

#endif
