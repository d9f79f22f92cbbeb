/*
 * fuzz_mime.c - the MIME scanner (sx_msg_parse) and every decoder over
 * each part it finds, on one arbitrary message.
 *
 * Beside memory errors it checks what mime.h promises: spans inside the
 * buffer, a pre-order part tree within the limits, UTF-8 from the text
 * decoders, and that a CR-only copy of an LF message parses the same way.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "mime/mime.h"

#define IN_BUF(m, s) \
    ((s).len == 0 || ((s).p >= (m)->buf && (s).len <= (m)->len && \
                      (s).p - (m)->buf <= (ptrdiff_t)((m)->len - (s).len)))

static void check_structure(const sx_msg *m)
{
    FZ_CHECK(m->nparts >= 1 && m->nparts <= SX_MIME_MAX_PARTS);
    for (uint32_t i = 0; i < m->nparts; i++) {
        const sx_part *p = &m->parts[i];
        FZ_CHECK(p->index == i);
        FZ_CHECK(IN_BUF(m, p->header) && IN_BUF(m, p->body) &&
                 IN_BUF(m, p->boundary));
        FZ_CHECK(p->depth <= SX_MIME_MAX_DEPTH);
        if (i == 0) {
            FZ_CHECK(p->parent == SX_NONE && p->depth == 0);
        } else {
            FZ_CHECK(p->parent < i);
            FZ_CHECK(p->depth == m->parts[p->parent].depth + 1);
        }
        FZ_CHECK(p->next_sibling == SX_NONE ||
                 (p->next_sibling > i && p->next_sibling < m->nparts));
        FZ_CHECK(p->hdr_first <= m->nhdrs &&
                 p->hdr_count <= m->nhdrs - p->hdr_first);
        FZ_CHECK(memchr(p->type, 0, sizeof p->type) &&
                 memchr(p->subtype, 0, sizeof p->subtype) &&
                 memchr(p->charset, 0, sizeof p->charset));
    }
    for (uint32_t i = 0; i < m->nhdrs; i++)
        FZ_CHECK(IN_BUF(m, m->hdrs[i].name) && IN_BUF(m, m->hdrs[i].value));
}

/* Charsets where a 0x0a byte is always a line feed, so that an LF to CR
 * rewrite of the raw message cannot change the decoded text (UTF-16
 * would). */
static int byte_lines(const char *cs)
{
    return cs[0] == '\0' || strncmp(cs, "us-ascii", 8) == 0 ||
           strncmp(cs, "utf-8", 5) == 0 || strncmp(cs, "iso-8859-", 9) == 0;
}

/* Charsets the library converts itself. Text through glibc iconv is not
 * checked for UTF-8 here: iconv passes sequences above U+10FFFF through
 * when a label resolves to UTF-8 ("utf-8\xb5"), see
 * corpus/mime/crash-iconv-utf8-passes-invalid (reported, open). */
static int own_charset(const char *cs)
{
    return cs[0] == '\0' || strcmp(cs, "us-ascii") == 0 ||
           strcmp(cs, "utf-8") == 0 || strcmp(cs, "iso-8859-1") == 0;
}

/* Decode everything; returns a digest of the decoded text so that two
 * parses can be compared. */
static unsigned long decode_all(const sx_msg *m, sx_sbuf *out)
{
    static const char *const names[] = {"Subject", "From", "To",
                                        "Content-Type", "Diagnostic-Code"};
    unsigned long digest = m->nparts;
    for (uint32_t i = 0; i < m->nparts; i++) {
        const sx_part *p = &m->parts[i];
        for (const char *c = p->type; *c; c++)
            digest = digest * 31 + (unsigned char)*c;
        for (const char *c = p->subtype; *c; c++)
            digest = digest * 31 + (unsigned char)*c;
        unsigned info = 0;
        smtpdx_status st = sx_part_decode(m, p, 0, out, &info);
        if (st == SMTPDX_OK && own_charset(p->charset) &&
            (sx_part_is(p, "text", "*") || sx_part_is(p, "message", "*")))
            FZ_CHECK(fz_utf8_valid(out->data ? out->data : "", out->len));
        /* only text and message types get their line ends made LF; other
         * bodies (a multipart's too) are given as written */
        if (st == SMTPDX_OK && byte_lines(p->charset) &&
            (sx_part_is(p, "text", "*") || sx_part_is(p, "message", "*")))
            for (size_t k = 0; k < out->len; k++)
                if (out->data[k] != '\n') /* an encoded =0D before a line
                                              end makes one more in CR form */
                    digest = digest * 31 + (unsigned char)out->data[k];
        for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
            if (sx_msg_header(m, p, names[k], out) != SMTPDX_OK)
                continue;
            FZ_CHECK(fz_utf8_valid(out->data ? out->data : "", out->len));
            for (size_t j = 0; j < out->len; j++)
                FZ_CHECK((unsigned char)out->data[j] >= 0x20 ||
                         out->data[j] == '\t');
        }
        sx_part_param(m, p, "Content-Type", "boundary", out);
        sx_part_param(m, p, "Content-Disposition", "filename", out);
        sx_part_decode(m, p, SX_DECODE_RAW_CHARSET | SX_DECODE_KEEP_EOL, out,
                       &info);
        if (sx_part_is(p, "message", "delivery-status") ||
            sx_part_is(p, "text", "rfc822-headers")) {
            sx_dsn_iter it;
            sx_dsn_field f;
            sx_dsn_iter_init(&it, p->body.p, p->body.len);
            while (sx_dsn_fields_next(&it, &f) == SMTPDX_OK)
                FZ_CHECK(f.value.len <= SX_MIME_MAX_FIELD);
            sx_dsn_iter_release(&it);
        }
    }
    return digest;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sx_msg m;
    sx_sbuf out;
    sx_msg_init(&m, NULL);
    sx_sbuf_init(&out, 1u << 20);
    if (sx_msg_parse(&m, (const char *)data, size) == SMTPDX_OK) {
        check_structure(&m);
        unsigned long d1 = decode_all(&m, &out);
        uint32_t nparts = m.nparts, nhdrs = m.nhdrs;
        char *cr = memchr(data, '\r', size) ? NULL : malloc(size ? size : 1);
        if (cr != NULL) {
            for (size_t i = 0; i < size; i++)
                cr[i] = data[i] == '\n' ? '\r' : (char)data[i];
            if (sx_msg_parse(&m, cr, size) == SMTPDX_OK) {
                check_structure(&m);
                FZ_CHECK(m.nparts == nparts && m.nhdrs == nhdrs);
                FZ_CHECK(decode_all(&m, &out) == d1);
            }
            free(cr);
        }
    }
    sx_sbuf_release(&out);
    sx_msg_release(&m);
    return 0;
}
