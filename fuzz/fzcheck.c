/*
 * fzcheck.c - the promises of smtpdx.h, checked on whatever the library
 * returned for a fuzz input (see fuzz.h).
 *
 * Only what the public header states is checked: ranges of codes and
 * enums, NUL-terminated fixed fields, UTF-8 reply text within its limit,
 * spans inside the text, and output that a JSON parser or a terminal can
 * take safely.
 */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

smtpdx_ctx *fz_ctx(void)
{
    static smtpdx_ctx *ctx;
    static int tried;
    if (!tried) {
        tried = 1;
        if (smtpdx_ctx_new(&ctx) != SMTPDX_OK)
            ctx = NULL;
    }
    return ctx;
}

static void check_field(const char *f, size_t size)
{
    FZ_CHECK(memchr(f, '\0', size) != NULL);
}

void fz_check_reply(const smtpdx_reply *r)
{
    FZ_CHECK(r->code >= 0 && r->code <= 999);
    FZ_CHECK(r->enh_class == 0 || r->enh_class == 2 || r->enh_class == 4 ||
             r->enh_class == 5);
    if (r->enh_class != 0) {
        /* RFC 3463 defines subjects 0..7; others are kept but flagged */
        FZ_CHECK(r->enh_subject >= 0 && r->enh_subject <= 999);
        FZ_CHECK_KNOWN(r->enh_subject <= 7 ||
                           (r->flags & SMTPDX_REPLY_ENH_INVALID),
                       "enh-range");
        FZ_CHECK(r->enh_detail >= 0 && r->enh_detail <= 999);
        char want[48];
        snprintf(want, sizeof want, "%d.%d.%d", r->enh_class, r->enh_subject,
                 r->enh_detail);
        FZ_CHECK(strcmp(want, r->enhanced) == 0);
    }
    check_field(r->enhanced, sizeof r->enhanced);
    check_field(r->command, sizeof r->command);
    check_field(r->host, sizeof r->host);
    check_field(r->addr, sizeof r->addr);
    if (r->text != NULL) {
        FZ_CHECK(r->text_len <= SMTPDX_REPLY_TEXT_MAX);
        FZ_CHECK(r->text[r->text_len] == '\0');
        FZ_CHECK(memchr(r->text, '\0', r->text_len) == NULL);
        FZ_CHECK_KNOWN(fz_utf8_valid(r->text, r->text_len), "reply-utf8");
    } else {
        FZ_CHECK(r->text_len == 0);
    }
}

void fz_check_explanation(const smtpdx_explanation *e, const smtpdx_reply *r)
{
    FZ_CHECK((unsigned)e->reason < SMTPDX_REASON_COUNT);
    FZ_CHECK((unsigned)e->who < SMTPDX_WHO_COUNT);
    FZ_CHECK(e->temporary >= -1 && e->temporary <= 1);
    FZ_CHECK(e->retry >= SMTPDX_RETRY_NONE &&
             e->retry <= SMTPDX_RETRY_AFTER_FIX);
    FZ_CHECK(e->matched_by >= SMTPDX_MATCH_NONE &&
             e->matched_by <= SMTPDX_MATCH_REPORT);
    FZ_CHECK(e->confidence >= SMTPDX_CONF_LOW &&
             e->confidence <= SMTPDX_CONF_HIGH);
    if (e->matched_by == SMTPDX_MATCH_TEXT && r != NULL) {
        FZ_CHECK(e->match_off <= r->text_len);
        FZ_CHECK(e->match_len <= r->text_len - e->match_off);
    }
    if (e->entry != NULL)
        FZ_CHECK(smtpdx_kb_find(e->entry->id) != NULL);
    /* the names must exist for every value the writer will print */
    FZ_CHECK(smtpdx_reason_name(e->reason) != NULL);
    FZ_CHECK(smtpdx_who_name(e->who) != NULL);
}

void fz_check_record(const smtpdx_record *rec)
{
    const char *const fields[] = {
        rec->action, rec->addresser, rec->alias, rec->catch_,
        rec->deliverystatus, rec->destination, rec->diagnosticcode,
        rec->diagnostictype, rec->feedbacktype, rec->lhost, rec->listid,
        rec->messageid, rec->origin, rec->recipient, rec->rhost,
        rec->senderdomain, rec->smtpagent, rec->smtpcommand, rec->subject,
        rec->token, rec->matched_text, rec->queueid, rec->relay,
        rec->dsn_status, rec->delay,
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        FZ_CHECK(fields[i] != NULL);
        (void)strlen(fields[i]); /* ASan sees a missing terminator */
    }
    FZ_CHECK((unsigned)rec->reason < SMTPDX_REASON_COUNT);
    FZ_CHECK(rec->hardbounce == 0 || rec->hardbounce == 1);
    FZ_CHECK(rec->replycode >= 0 && rec->replycode <= 999);
    FZ_CHECK((rec->truncated & ~(SMTPDX_CUT_TEXT | SMTPDX_CUT_DSN |
                                 SMTPDX_CUT_RECIPIENTS | SMTPDX_CUT_DIAGNOSTIC |
                                 SMTPDX_CUT_RETURNED | SMTPDX_CUT_HEADER)) ==
             0);
    check_field(rec->timezoneoffset, sizeof rec->timezoneoffset);
    fz_check_explanation(&rec->why, NULL);
}

/* ---------------------------------------------------------------- output */

static char *write_any(const smtpdx_records *rs, const char *in, size_t n,
                       const smtpdx_reply *r, const smtpdx_explanation *e,
                       smtpdx_format fmt, size_t *len, smtpdx_status *st)
{
    char *buf = NULL;
    size_t blen = 0;
    FILE *f = open_memstream(&buf, &blen);
    if (f == NULL)
        return NULL;
    smtpdx_writer *w = NULL;
    *st = smtpdx_writer_new(f, fmt, 0, &w);
    if (*st == SMTPDX_OK) {
        if (rs != NULL) {
            size_t count = smtpdx_records_count(rs);
            for (size_t i = 0; i < count && *st == SMTPDX_OK; i++)
                *st = smtpdx_writer_record(w, smtpdx_records_get(rs, i));
        } else {
            *st = smtpdx_writer_explanation(w, in, n, r, e);
        }
        if (*st == SMTPDX_OK)
            *st = smtpdx_writer_finish(w);
    }
    smtpdx_writer_free(w);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    *len = blen;
    return buf;
}

char *fz_write_records(const smtpdx_records *rs, smtpdx_format fmt,
                       size_t *len, smtpdx_status *st)
{
    return write_any(rs, NULL, 0, NULL, NULL, fmt, len, st);
}

char *fz_write_explanation(const char *in, size_t n, const smtpdx_reply *r,
                           const smtpdx_explanation *e, smtpdx_format fmt,
                           size_t *len, smtpdx_status *st)
{
    return write_any(NULL, in, n, r, e, fmt, len, st);
}

/* Check one output according to its format. */
static void check_output(smtpdx_format fmt, const char *out, size_t len,
                         smtpdx_status st)
{
    size_t where = 0;
    if (st == SMTPDX_ERR_NOMEM)
        return;
    FZ_CHECK(st == SMTPDX_OK);
    switch (fmt) {
    case SMTPDX_FMT_NDJSON:
    case SMTPDX_FMT_SISIMAI:
        if (!fz_json_lines_valid(out, len, &where)) {
            fprintf(stderr, "invalid JSON on line %zu of:\n%.*s\n", where,
                    (int)(len > 4096 ? 4096 : len), out);
            FZ_CHECK(!"NDJSON output is valid JSON lines");
        }
        break;
    case SMTPDX_FMT_JSON:
        if (len > 0 && !fz_json_valid(out, len, &where)) {
            fprintf(stderr, "invalid JSON at byte %zu of:\n%.*s\n", where,
                    (int)(len > 4096 ? 4096 : len), out);
            FZ_CHECK(!"JSON output is one valid JSON text");
        }
        break;
    case SMTPDX_FMT_TABLE:
        if (!fz_text_safe(out, len, &where)) {
            fprintf(stderr, "control byte 0x%02x at %zu in table output\n",
                    (unsigned char)out[where], where);
            FZ_CHECK(!"table output has no control bytes");
        }
        break;
    case SMTPDX_FMT_CSV:
        break; /* run for memory errors; CSV quoting is its own test's */
    }
}

static const smtpdx_format all_formats[] = {
    SMTPDX_FMT_NDJSON, SMTPDX_FMT_JSON, SMTPDX_FMT_SISIMAI, SMTPDX_FMT_TABLE,
    SMTPDX_FMT_CSV,
};

void fz_check_outputs_records(const smtpdx_records *rs)
{
    for (size_t i = 0; i < sizeof all_formats / sizeof all_formats[0]; i++) {
        size_t len = 0;
        smtpdx_status st;
        char *out = fz_write_records(rs, all_formats[i], &len, &st);
        if (out == NULL)
            continue;
        check_output(all_formats[i], out, len, st);
        free(out);
    }
}

void fz_check_outputs_explanation(const char *in, size_t n,
                                  const smtpdx_reply *r,
                                  const smtpdx_explanation *e)
{
    for (size_t i = 0; i < sizeof all_formats / sizeof all_formats[0]; i++) {
        size_t len = 0;
        smtpdx_status st;
        char *out = fz_write_explanation(in, n, r, e, all_formats[i], &len,
                                         &st);
        if (out == NULL)
            continue;
        check_output(all_formats[i], out, len, st);
        free(out);
    }
}
