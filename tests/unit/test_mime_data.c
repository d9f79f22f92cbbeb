/*
 * test_mime_data.c - golden tests of the MIME layer: every
 * tests/data/mime/NAME.eml is parsed and dumped (structure, flags, every
 * header decoded, parameters, decoded text, delivery-status fields) and
 * the dump must equal NAME.expect. Adding a case is adding the two files;
 * SMTPDX_REGEN=1 writes the .expect files (review them before keeping).
 * Also: CR-only and CRLF copies dump exactly as the LF original.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mime/mime.h"
#include "testutil.h"

#define DATA SMTPDX_SOURCE_DIR "/tests/data/mime"

/* Control bytes but LF shown as \xHH so the dump stays one text file. */
static void put_esc(sx_sbuf *d, const char *s, size_t n, const char *lead)
{
    sx_sbuf_puts(d, lead);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n') {
            sx_sbuf_putc(d, '\n');
            if (i + 1 < n)
                sx_sbuf_puts(d, lead);
        } else if (c < 0x20 || c == 0x7F) {
            sx_sbuf_printf(d, "\\x%02X", c);
        } else {
            sx_sbuf_putc(d, (char)c);
        }
    }
    if (n == 0 || s[n - 1] != '\n')
        sx_sbuf_puts(d, "\n");
}

static const char *const PART_FLAGS[] = {
    "DEFAULT_TYPE", "BAD_TYPE", "NO_BOUNDARY", "NO_END", "DEPTH_LIMIT",
    "PART_LIMIT", "HDR_LIMIT", "NO_HEADERS", "HDR_EOF", "BAD_CTE", "MESSAGE",
    "BAD_HDR_LINE", "FIELD_LIMIT", "NO_BLANK", "PARAM_FOLD"};
static const char *const MSG_FLAGS[] = {
    "EOL_CR", "EOL_CRLF", "PART_LIMIT", "DEPTH_LIMIT", "HDR_LIMIT", "NUL",
    "MBOX_FROM", "BROKEN"};
static const char *const DEC_FLAGS[] = {
    "BAD_BASE64", "BAD_QP", "CHARSET_UNKNOWN", "REPLACED", "TRUNCATED",
    "CHARSET_MISLABELED"};
static const char *const CTE[] = {"identity", "base64", "qp", "uuencode"};
static const char *const DISP[] = {"none", "inline", "attachment", "other"};

static void put_flags(sx_sbuf *d, unsigned f, const char *const *names,
                      size_t n)
{
    int any = 0;
    for (size_t i = 0; i < n; i++)
        if (f & (1u << i)) {
            sx_sbuf_printf(d, " %s", names[i]);
            any = 1;
        }
    if (!any)
        sx_sbuf_puts(d, " -");
}

static void dump_params(sx_sbuf *d, const sx_msg *m, const sx_part *p,
                        sx_sbuf *tmp)
{
    static const char *const P[][2] = {
        {"Content-Type", "charset"},  {"Content-Type", "boundary"},
        {"Content-Type", "name"},     {"Content-Type", "report-type"},
        {"Content-Disposition", "filename"}};
    for (size_t i = 0; i < sizeof P / sizeof P[0]; i++)
        if (sx_part_param(m, p, P[i][0], P[i][1], tmp) == SMTPDX_OK)
            sx_sbuf_printf(d, "  param %s: %s\n", P[i][1], tmp->data);
}

static void dump_dsn(sx_sbuf *d, const sx_msg *m, const sx_part *p)
{
    sx_sbuf scratch;
    sx_sbuf_init(&scratch, 1u << 24);
    const char *b;
    size_t n;
    if (sx_part_body(m, p, &scratch, &b, &n) == SMTPDX_OK) {
        sx_dsn_iter it;
        sx_dsn_field f;
        sx_dsn_iter_init(&it, b, n);
        while (sx_dsn_fields_next(&it, &f) == SMTPDX_OK) {
            sx_sbuf_printf(d, "  dsn %u%s %.*s: ", f.block,
                           f.block_start ? "*" : " ", (int)f.name.len,
                           f.name.p);
            put_esc(d, f.value.p, f.value.len, "");
        }
        if (it.junk)
            sx_sbuf_printf(d, "  dsn junk lines: %u\n", it.junk);
        sx_dsn_iter_release(&it);
    }
    sx_sbuf_release(&scratch);
}

static void dump(const char *buf, size_t len, sx_sbuf *d)
{
    sx_msg m;
    sx_msg_init(&m, NULL);
    sx_sbuf tmp;
    sx_sbuf_init(&tmp, 1u << 24);
    smtpdx_status st = sx_msg_parse(&m, buf, len);
    assert_int_equal(st, SMTPDX_OK);
    sx_sbuf_puts(d, "message");
    put_flags(d, m.flags, MSG_FLAGS, 8);
    sx_sbuf_printf(d, "\nparts %u\n", m.nparts);
    for (uint32_t i = 0; i < m.nparts; i++) {
        const sx_part *p = &m.parts[i];
        sx_sbuf_printf(d, "part %u depth %u parent %d children %u "
                          "next %d %s/%s cte %s disp %s charset '%s'\n ",
                       i, p->depth, p->parent == SX_NONE ? -1 : (int)p->parent,
                       p->nchildren,
                       p->next_sibling == SX_NONE ? -1 : (int)p->next_sibling,
                       p->type, p->subtype, CTE[p->cte], DISP[p->disp],
                       p->charset);
        put_flags(d, p->flags, PART_FLAGS, 15);
        sx_sbuf_printf(d, "\n  header %zu bytes, body %zu bytes\n",
                       p->header.len, p->body.len);
        size_t nh;
        const sx_hdr *h = sx_part_headers(&m, p, &nh);
        for (size_t k = 0; k < nh; k++) {
            sx_hdr_decode(h[k].value.p, h[k].value.len, &tmp);
            sx_sbuf_printf(d, "  field %.*s: ", (int)h[k].name.len,
                           h[k].name.p);
            put_esc(d, tmp.data, tmp.len, "");
        }
        dump_params(d, &m, p, &tmp);
        if (p->nchildren)
            continue;
        if (strcmp(p->type, "text") == 0 || strcmp(p->type, "message") == 0) {
            unsigned info;
            sx_part_decode(&m, p, 0, &tmp, &info);
            sx_sbuf_puts(d, "  decoded");
            put_flags(d, info, DEC_FLAGS, 6);
            sx_sbuf_puts(d, "\n");
            put_esc(d, tmp.data, tmp.len, "  | ");
        }
        if (sx_part_is(p, "message", "delivery-status")
            || sx_part_is(p, "message", "global-delivery-status")
            || sx_part_is(p, "text", "rfc822-headers"))
            dump_dsn(d, &m, p);
    }
    sx_sbuf_release(&tmp);
    sx_msg_release(&m);
}

static void dump_file(const char *name, sx_sbuf *d)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", DATA, name);
    size_t len;
    char *buf = tu_read_file(path, &len);
    assert_non_null(buf);
    dump(buf, len, d);
    free(buf);
}

static void check_one(const char *name)
{
    sx_sbuf d;
    sx_sbuf_init(&d, 1u << 26);
    dump_file(name, &d);
    char exp[4096];
    snprintf(exp, sizeof exp, "%s/%.*s.expect", DATA,
             (int)(strlen(name) - 4), name);
    if (getenv("SMTPDX_REGEN")) {
        FILE *f = fopen(exp, "wb");
        assert_non_null(f);
        fwrite(d.data, 1, d.len, f);
        fclose(f);
    }
    size_t elen;
    char *want = tu_read_file(exp, &elen);
    if (want == NULL)
        fail_msg("%s: no expected output %s", name, exp);
    if (elen != d.len || memcmp(want, d.data, elen) != 0) {
        size_t i = 0;
        while (i < elen && i < d.len && want[i] == d.data[i])
            i++;
        size_t from = i > 200 ? i - 200 : 0;
        print_message("%s differs at byte %zu\n--- expected:\n%.*s\n--- got:\n"
                      "%.*s\n",
                      name, i, (int)(elen - from > 400 ? 400 : elen - from),
                      want + from,
                      (int)(d.len - from > 400 ? 400 : d.len - from),
                      d.data + from);
        free(want);
        sx_sbuf_release(&d);
        fail();
    }
    free(want);
    sx_sbuf_release(&d);
}

static void test_golden(void **state)
{
    (void)state;
    assert_true(tu_each_file(DATA, ".eml", check_one) >= 10);
}

/* The dump without its first line (the message flags name the EOL). */
static const char *after_flags(const sx_sbuf *d)
{
    const char *nl = strchr(d->data, '\n');
    return nl ? nl + 1 : d->data;
}

static void test_eol_variants_equal(void **state)
{
    (void)state;
    sx_sbuf lf, cr, crlf;
    sx_sbuf_init(&lf, 1u << 24);
    sx_sbuf_init(&cr, 1u << 24);
    sx_sbuf_init(&crlf, 1u << 24);
    dump_file("dsn.eml", &lf);
    dump_file("dsn-cr.eml", &cr);
    dump_file("dsn-crlf.eml", &crlf);
    assert_string_equal(after_flags(&lf), after_flags(&cr));
    /* header and body byte counts differ with CRLF: compare the rest */
    assert_non_null(strstr(cr.data, "EOL_CR"));
    assert_non_null(strstr(crlf.data, "EOL_CRLF"));
    sx_sbuf_release(&lf);
    sx_sbuf_release(&cr);
    sx_sbuf_release(&crlf);
}

/* Every line of the LF dump but the byte counts appears in the CRLF one. */
static void test_crlf_same_content(void **state)
{
    (void)state;
    sx_sbuf lf, crlf;
    sx_sbuf_init(&lf, 1u << 24);
    sx_sbuf_init(&crlf, 1u << 24);
    dump_file("dsn.eml", &lf);
    dump_file("dsn-crlf.eml", &crlf);
    const char *a = after_flags(&lf), *b = after_flags(&crlf);
    while (*a && *b) {
        const char *ea = strchr(a, '\n'), *eb = strchr(b, '\n');
        assert_non_null(ea);
        assert_non_null(eb);
        if (strncmp(a, "  header ", 9) != 0)
            assert_memory_equal(a, b, (size_t)(ea - a) + 1);
        a = ea + 1;
        b = eb + 1;
    }
    assert_true(*a == '\0' && *b == '\0');
    sx_sbuf_release(&lf);
    sx_sbuf_release(&crlf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden),
        cmocka_unit_test(test_eol_variants_equal),
        cmocka_unit_test(test_crlf_same_content),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
