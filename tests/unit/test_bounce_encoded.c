/*
 * test_bounce_encoded.c - a notice reads the same whatever transfer
 * encoding carries it.
 *
 * Mail systems send the human-readable part of a bounce as 7bit, 8bit,
 * quoted-printable or base64, at their whim (and relays re-encode on the
 * way). For every message of the shared corpus whose text/plain parts are
 * unencoded, GMime rewrites it twice: once as it stands (the reference:
 * re-writing may refold header fields or mend a broken structure, which
 * is no concern here), once with each of those parts turned into base64,
 * once into quoted-printable. smtpdx_bounce_parse must give the same
 * records (recipient, reason, status, feedback type, hard bounce) for the
 * three. GMime is the oracle of the MIME tests already; here it only
 * writes. Skips (77) when ../shared is absent.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <gmime/gmime.h>

#include "smtpdx.h"
#include "testutil.h"

/* What a record says, as one line; the records of a message joined. */
static char *describe(smtpdx_ctx *ctx, const char *buf, size_t len)
{
    smtpdx_records *rs = smtpdx_records_new();
    assert_non_null(rs);
    smtpdx_status st = smtpdx_bounce_parse(ctx, buf, len, "x", rs);
    size_t cap = 64 + smtpdx_records_count(rs) * 512, at = 0;
    char *out = malloc(cap);
    assert_non_null(out);
    at += (size_t)snprintf(out, cap, "%s\n", smtpdx_strerror(st));
    for (size_t i = 0; i < smtpdx_records_count(rs); i++) {
        const smtpdx_record *r = smtpdx_records_get(rs, i);
        at += (size_t)snprintf(out + at, cap - at, "%.200s %s %.16s %.32s %d\n",
                               r->recipient, smtpdx_reason_name(r->reason),
                               r->deliverystatus, r->feedbacktype,
                               r->hardbounce);
    }
    smtpdx_records_free(rs);
    return out;
}

typedef struct recode {
    GMimeContentEncoding to; /* 0: leave the parts as they are */
    unsigned changed;        /* parts turned into `to` */
} recode;

static void recode_part(GMimeObject *parent, GMimeObject *part, void *arg)
{
    recode *rc = arg;
    (void)parent;
    if (rc->to == GMIME_CONTENT_ENCODING_DEFAULT || !GMIME_IS_PART(part))
        return;
    GMimeContentType *ct = g_mime_object_get_content_type(part);
    if (ct == NULL || !g_mime_content_type_is_type(ct, "text", "plain"))
        return;
    GMimeContentEncoding e = g_mime_part_get_content_encoding(GMIME_PART(part));
    if (e != GMIME_CONTENT_ENCODING_DEFAULT &&
        e != GMIME_CONTENT_ENCODING_7BIT && e != GMIME_CONTENT_ENCODING_8BIT)
        return;
    g_mime_part_set_content_encoding(GMIME_PART(part), rc->to);
    rc->changed++;
}

/* The message in buf as GMime writes it, its plain-text parts turned into
 * rc->to; NULL when GMime cannot read it. *n gets the length. */
static char *rewrite(const char *buf, size_t len, recode *rc, size_t *n)
{
    GMimeStream *in = g_mime_stream_mem_new_with_buffer(buf, len);
    GMimeParser *ps = g_mime_parser_new_with_stream(in);
    GMimeMessage *msg = g_mime_parser_construct_message(ps, NULL);
    char *out = NULL;
    rc->changed = 0;
    if (msg != NULL) {
        GMimeObject *top = g_mime_message_get_mime_part(msg);
        if (top != NULL && GMIME_IS_MULTIPART(top))
            g_mime_multipart_foreach(GMIME_MULTIPART(top), recode_part, rc);
        else if (top != NULL)
            recode_part(NULL, top, rc);
        GMimeStream *mem = g_mime_stream_mem_new();
        g_mime_object_write_to_stream(GMIME_OBJECT(msg), NULL, mem);
        GByteArray *bytes = g_mime_stream_mem_get_byte_array(
            GMIME_STREAM_MEM(mem));
        out = malloc(bytes->len + 1);
        assert_non_null(out);
        memcpy(out, bytes->data, bytes->len);
        out[bytes->len] = '\0';
        *n = bytes->len;
        g_object_unref(mem);
        g_object_unref(msg);
    }
    g_object_unref(ps);
    g_object_unref(in);
    return out;
}

typedef struct tally {
    smtpdx_ctx *ctx;
    unsigned messages, compared, parts, differ;
} tally;

static void one_message(tally *t, const char *origin, const char *buf,
                        size_t len)
{
    recode plain = {GMIME_CONTENT_ENCODING_DEFAULT, 0};
    size_t rlen = 0;
    char *ref = rewrite(buf, len, &plain, &rlen);
    t->messages++;
    if (ref == NULL)
        return;
    char *want = describe(t->ctx, ref, rlen);
    static const GMimeContentEncoding to[] = {
        GMIME_CONTENT_ENCODING_BASE64, GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE};
    for (size_t k = 0; k < sizeof to / sizeof to[0]; k++) {
        recode rc = {to[k], 0};
        size_t elen = 0;
        char *enc = rewrite(buf, len, &rc, &elen);
        if (enc != NULL && rc.changed > 0) {
            char *got = describe(t->ctx, enc, elen);
            t->compared++;
            t->parts += rc.changed;
            if (strcmp(want, got) != 0) {
                t->differ++;
                printf("  %s as %s reads otherwise:\n--- as written\n%s"
                       "--- encoded\n%s",
                       origin, g_mime_content_encoding_to_string(to[k]), want,
                       got);
            }
            free(got);
        }
        free(enc);
    }
    free(want);
    free(ref);
}

static void one_file(tally *t, const char *path)
{
    smtpdx_msgreader *rd = NULL;
    assert_int_equal(smtpdx_msgreader_new(path, &rd), SMTPDX_OK);
    for (int guard = 0; guard < 100000; guard++) {
        const char *buf, *origin;
        size_t len;
        if (smtpdx_msgreader_next(rd, &buf, &len, &origin) != SMTPDX_OK ||
            buf == NULL)
            break;
        one_message(t, origin, buf, len);
    }
    smtpdx_msgreader_free(rd);
}

/* tu_each_file's callback has the file name only: the folder and the
 * tally it works for are here while it runs */
static tally *walk_tally;
static const char *walk_dir;

static void each_file(const char *name)
{
    char path[4352];
    snprintf(path, sizeof path, "%s/%s", walk_dir, name);
    one_file(walk_tally, path);
}

static void test_encodings(void **state)
{
    (void)state;
    const char *sh = tu_shared_dir();
    if (sh == NULL)
        tu_skip("../shared is absent: the corpus is not re-encoded");
    tally t = {0};
    assert_int_equal(smtpdx_ctx_new(&t.ctx), SMTPDX_OK);
    static const char *const dirs[] = {"maildir/bsd", "maildir/err"};
    for (size_t d = 0; d < sizeof dirs / sizeof dirs[0]; d++) {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/corpus/%s", sh, dirs[d]);
        walk_tally = &t;
        walk_dir = dir;
        assert_true(tu_each_file(dir, ".eml", each_file) > 0);
    }
    smtpdx_ctx_free(t.ctx);
    printf("messages: %u; re-encoded copies compared: %u (%u parts); "
           "differ: %u\n",
           t.messages, t.compared, t.parts, t.differ);
    /* most notices carry an unencoded plain-text part and each is tried
     * in two encodings: fewer comparisons than messages would mean the
     * rewriting found nothing to do, and the test proved nothing */
    assert_true(t.compared >= t.messages);
    assert_int_equal(t.differ, 0);
}

int main(void)
{
    g_mime_init();
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_encodings)};
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    g_mime_shutdown();
    return rc;
}
