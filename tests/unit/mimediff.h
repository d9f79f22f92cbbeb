/*
 * mimediff.h - one message read by our MIME scanner and by GMime 3, the
 * oracle, and the two readings compared (tests/unit/test_mime_gmime.c on
 * every corpus message, fuzz/fuzz_mimediff.c on generated ones).
 *
 * A reading ("view") lists the entity tree in pre-order (depth and
 * lower-case type/subtype), the first Subject of each message header,
 * decoded, and the decoded text of every text and delivery-status leaf,
 * with line ends, runs of U+FFFD and '?' and trailing blank lines made
 * alike. Where the views differ, the kinds of difference known and
 * justified (mimediff_reasons) are tried in turn: each is recognised by
 * something our scanner noticed in the message, and the views must agree
 * once what that kind touches is left out (or, for a parameter fold, once
 * GMime is given the fold's blank).
 */
#ifndef SMTPDX_MIMEDIFF_H
#define SMTPDX_MIMEDIFF_H
#include <stddef.h>

#define MIMEDIFF_NREASONS 7
extern const char *const mimediff_reasons[MIMEDIFF_NREASONS];

typedef struct mimediff_result {
    int same;       /* the views are equal */
    unsigned known; /* else: bit i set when mimediff_reasons[i] explains
                       the difference; 0 when nothing does */
    int cr_only;    /* CR-only line ends: GMime was given the LF copy */
    char *ours, *gmime; /* the views compared last (NUL-terminated) */
} mimediff_result;

/* Needs g_mime_init() first. The caller releases r. */
void mimediff_compare(const char *buf, size_t len, mimediff_result *r);
void mimediff_release(mimediff_result *r);

/* The first line where two views differ, both sides, on standard output. */
void mimediff_show(const char *ours, const char *gmime);

#endif
