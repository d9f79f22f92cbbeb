/*
 * fuzz_mimediff.c - our MIME scanner against GMime on generated messages.
 *
 * The input does not become the message: its bytes steer a generator of
 * well-formed MIME (RFC 2045-2047): nested multiparts with their
 * boundaries, message/rfc822 inside, text and delivery-status leaves in
 * 7bit, 8bit, quoted-printable or base64, in US-ASCII, UTF-8 or
 * ISO-8859-1, subjects plain or as encoded words, headers folded or not,
 * parameters quoted or not, names in any case, LF or CRLF line ends. Such
 * a message has one reading, so our scanner and GMime must give the same
 * view of it (tests/unit/mimediff.c): the same entity tree, subjects and
 * decoded text. A difference that none of the known kinds explains
 * aborts, and the generated message is printed for the report
 * (SMTPDX_FUZZ_SHOW=1 prints every message and both views).
 *
 * Arbitrary bytes are fuzzed by fuzz_mime.c; GMime's reading of damaged
 * mail differs from ours by design (mimediff.h lists how), so only mail
 * with one right reading is compared here.
 */
#include <gmime/gmime.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "mimediff.h"
#include "util/sbuf.h"

typedef struct gen {
    const uint8_t *p;
    size_t n, i;
    sx_sbuf out;
    const char *eol;
    unsigned serial; /* makes every boundary unique */
} gen;

/* A choice among n, taken from the next input byte (0 once they run
 * out, so every input ends in the simplest message). */
static unsigned pick(gen *g, unsigned n)
{
    if (n <= 1)
        return 0;
    unsigned v = g->i < g->n ? g->p[g->i++] : 0;
    return v % n;
}

static void put(gen *g, const char *s, size_t n)
{
    sx_sbuf_append(&g->out, s, n);
}

static void puts_(gen *g, const char *s)
{
    put(g, s, strlen(s));
}

static void line(gen *g, const char *s)
{
    puts_(g, s);
    puts_(g, g->eol);
}

typedef enum cs { CS_ASCII, CS_UTF8, CS_LATIN1 } cs;

static const char *const cs_names[3][3] = {
    {"us-ascii", "US-ASCII", "\"us-ascii\""},
    {"utf-8", "UTF-8", "\"utf-8\""},
    {"iso-8859-1", "ISO-8859-1", "\"iso-8859-1\""},
};

/* One character of text in charset c: mostly ASCII letters and
 * punctuation, sometimes a letter beyond ASCII. No '-' or '_' (they start
 * and fill boundaries), no '=' or '?' (kept out of encoded words). */
static void text_char(gen *g, cs c, sx_sbuf *t)
{
    static const char ascii[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 "
        "  .,:;!()<>@/'";
    static const char *const utf8[] = {"\xc3\xa9", "\xc3\xbc", "\xc3\x9f",
                                       "\xe6\x97\xa5", "\xd0\x96",
                                       "\xe2\x82\xac"};
    static const char latin1[] = "\xe9\xfc\xdf\xe0\xf1\xc7";
    unsigned k = pick(g, 8);
    if (k == 0 && c == CS_UTF8) {
        const char *u = utf8[pick(g, 6)];
        sx_sbuf_append(t, u, strlen(u));
    } else if (k == 0 && c == CS_LATIN1) {
        sx_sbuf_append(t, &latin1[pick(g, 6)], 1);
    } else {
        sx_sbuf_append(t, &ascii[pick(g, sizeof ascii - 1)], 1);
    }
}

/* Lines of text in charset c, each ended by '\n' (the generator's own
 * line end; the transfer encodings below write g->eol). No line starts
 * or ends with a blank, so no reader may trim what the other keeps. */
static void make_text(gen *g, cs c, sx_sbuf *t)
{
    unsigned lines = pick(g, 5);
    for (unsigned l = 0; l < lines; l++) {
        unsigned len = pick(g, 90);
        size_t start = t->len;
        for (unsigned k = 0; k < len; k++)
            text_char(g, c, t);
        while (t->len > start && t->data[t->len - 1] == ' ')
            t->len--;
        while (t->len > start && t->data[start] == ' ')
            memmove(t->data + start, t->data + start + 1, --t->len - start);
        sx_sbuf_append(t, "\n", 1);
    }
}

static void write_plain(gen *g, const sx_sbuf *t)
{
    for (size_t i = 0; i < t->len; i++) {
        if (t->data[i] == '\n')
            puts_(g, g->eol);
        else
            put(g, t->data + i, 1);
    }
}

/* Quoted-printable (RFC 2045 6.7): soft breaks under 76 columns, '=' and
 * bytes beyond ASCII as =XX, a blank before a line end encoded. */
static void write_qp(gen *g, const sx_sbuf *t, unsigned width)
{
    static const char hex[] = "0123456789ABCDEF";
    unsigned col = 0;
    for (size_t i = 0; i < t->len; i++) {
        unsigned char ch = (unsigned char)t->data[i];
        if (ch == '\n') {
            puts_(g, g->eol);
            col = 0;
            continue;
        }
        char enc[3];
        size_t n = 1;
        int last = i + 1 >= t->len || t->data[i + 1] == '\n';
        if (ch >= 0x80 || ch == '=' || (ch == ' ' && last) || ch < 0x20) {
            enc[0] = '=';
            enc[1] = hex[ch >> 4];
            enc[2] = hex[ch & 15];
            n = 3;
        } else {
            enc[0] = (char)ch;
        }
        if (col + n > width) {
            puts_(g, "=");
            puts_(g, g->eol);
            col = 0;
        }
        put(g, enc, n);
        col += (unsigned)n;
    }
}

static void write_base64(gen *g, const sx_sbuf *t, unsigned width)
{
    static const char b64[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    /* the decoded text has the message's own line ends */
    sx_sbuf raw;
    sx_sbuf_init(&raw, 1u << 20);
    for (size_t i = 0; i < t->len; i++) {
        if (t->data[i] == '\n')
            sx_sbuf_append(&raw, g->eol, strlen(g->eol));
        else
            sx_sbuf_append(&raw, t->data + i, 1);
    }
    unsigned col = 0;
    const unsigned char *s = (const unsigned char *)raw.data;
    for (size_t i = 0; i < raw.len; i += 3) {
        unsigned v = (unsigned)s[i] << 16;
        if (i + 1 < raw.len)
            v |= (unsigned)s[i + 1] << 8;
        if (i + 2 < raw.len)
            v |= s[i + 2];
        char q[4] = {b64[(v >> 18) & 63], b64[(v >> 12) & 63],
                     i + 1 < raw.len ? b64[(v >> 6) & 63] : '=',
                     i + 2 < raw.len ? b64[v & 63] : '='};
        if (col + 4 > width) {
            puts_(g, g->eol);
            col = 0;
        }
        put(g, q, 4);
        col += 4;
    }
    if (raw.len)
        puts_(g, g->eol);
    sx_sbuf_release(&raw);
}

/* "Content-Type: TYPE; NAME=VALUE", the parameter on the same line or
 * folded onto the next, the names in the case the input picks. */
static void content_type(gen *g, const char *type, const char *name,
                         const char *value)
{
    static const char *const field[] = {"Content-Type: ", "Content-type: ",
                                        "CONTENT-TYPE: "};
    puts_(g, field[pick(g, 3)]);
    puts_(g, type);
    if (name == NULL) {
        puts_(g, g->eol);
        return;
    }
    puts_(g, ";");
    switch (pick(g, 3)) {
    case 0:
        puts_(g, " ");
        break;
    case 1:
        puts_(g, g->eol);
        puts_(g, "\t");
        break;
    default:
        puts_(g, g->eol);
        puts_(g, "    ");
        break;
    }
    puts_(g, name);
    puts_(g, "=");
    puts_(g, value);
    puts_(g, g->eol);
}

static void leaf(gen *g)
{
    static const char *const types[] = {"text/plain", "text/html",
                                        "Text/Plain"};
    if (pick(g, 5) == 0) {
        content_type(g, "message/delivery-status", NULL, NULL);
        puts_(g, g->eol);
        line(g, "Reporting-MTA: dns; mx.example.org");
        puts_(g, g->eol);
        line(g, "Final-Recipient: rfc822; bob@example.net");
        line(g, "Action: failed");
        line(g, "Status: 5.1.1");
        line(g, "Diagnostic-Code: smtp; 550 5.1.1 user unknown");
        return;
    }
    cs c = (cs)pick(g, 3);
    unsigned cte = pick(g, 4); /* 7bit, 8bit, qp, base64 */
    if (cte == 0)
        c = CS_ASCII; /* 7bit carries ASCII only */
    const char *type = types[pick(g, 3)];
    unsigned form = pick(g, 4);
    if (form == 3 && c == CS_ASCII)
        content_type(g, type, NULL, NULL); /* the default charset */
    else
        content_type(g, type, pick(g, 2) ? "charset" : "Charset",
                     cs_names[c][form % 3]);
    static const char *const ctes[] = {"7bit", "8bit", "quoted-printable",
                                       "base64"};
    static const char *const ctes_up[] = {"7BIT", "8BIT", "Quoted-Printable",
                                          "BASE64"};
    if (cte != 0 || pick(g, 2)) {
        puts_(g, "Content-Transfer-Encoding: ");
        line(g, pick(g, 2) ? ctes[cte] : ctes_up[cte]);
    }
    puts_(g, g->eol);
    sx_sbuf t;
    sx_sbuf_init(&t, 1u << 20);
    make_text(g, c, &t);
    if (cte == 2)
        write_qp(g, &t, 40 + pick(g, 36)); /* lines stay within 76 */
    else if (cte == 3)
        write_base64(g, &t, 4 * (4 + pick(g, 16)));
    else
        write_plain(g, &t);
    sx_sbuf_release(&t);
}

static void entity(gen *g, unsigned depth);

static void message(gen *g, unsigned depth)
{
    line(g, "From: Alice <alice@example.org>");
    line(g, "To: bob@example.net");
    unsigned s = pick(g, 4);
    if (s != 3) {
        puts_(g, "Subject: ");
        sx_sbuf t;
        sx_sbuf_init(&t, 1u << 16);
        cs c = s == 0 ? CS_ASCII : s == 1 ? CS_UTF8 : CS_LATIN1;
        /* an encoded word stays within RFC 2047's 75 characters */
        unsigned len = 1 + pick(g, c == CS_ASCII ? 30 : 12);
        for (unsigned k = 0; k < len; k++)
            text_char(g, c, &t);
        while (t.len && t.data[t.len - 1] == ' ')
            t.len--;
        while (t.len && t.data[0] == ' ')
            memmove(t.data, t.data + 1, --t.len);
        if (c == CS_ASCII) {
            put(g, t.data, t.len);
        } else {
            /* one encoded word (RFC 2047), B or Q; a blank is '_' in Q */
            puts_(g, c == CS_UTF8 ? "=?utf-8?" : "=?iso-8859-1?");
            sx_sbuf e;
            sx_sbuf_init(&e, 1u << 16);
            gen sub = *g;
            sub.out = e;
            if (pick(g, 2)) {
                puts_(g, "B?");
                sub.eol = "";
                write_base64(&sub, &t, 1u << 20);
            } else {
                puts_(g, "Q?");
                static const char hex[] = "0123456789ABCDEF";
                for (size_t i = 0; i < t.len; i++) {
                    unsigned char ch = (unsigned char)t.data[i];
                    if (ch == ' ') {
                        sx_sbuf_append(&sub.out, "_", 1);
                    } else if (ch >= 0x80 || strchr("=?_()<>@,;:\"/.", ch)) {
                        char x[3] = {'=', hex[ch >> 4], hex[ch & 15]};
                        sx_sbuf_append(&sub.out, x, 3);
                    } else {
                        sx_sbuf_append(&sub.out, (const char *)&ch, 1);
                    }
                }
            }
            put(g, sub.out.data, sub.out.len);
            sx_sbuf_release(&sub.out);
            puts_(g, "?=");
        }
        sx_sbuf_release(&t);
        puts_(g, g->eol);
    }
    line(g, "MIME-Version: 1.0");
    entity(g, depth);
}

static void entity(gen *g, unsigned depth)
{
    unsigned k = depth < 3 ? pick(g, 4) : 0;
    if (k == 0 || k == 3) {
        leaf(g);
        return;
    }
    if (k == 2) {
        content_type(g, "message/rfc822", NULL, NULL);
        puts_(g, g->eol);
        message(g, depth + 1);
        return;
    }
    static const char *const subs[] = {
        "multipart/mixed", "multipart/alternative",
        "multipart/report; report-type=delivery-status"};
    char bnd[64];
    snprintf(bnd, sizeof bnd, "=_b%u.%u_%02x", depth, g->serial++,
             pick(g, 256));
    char quoted[80];
    snprintf(quoted, sizeof quoted, "\"%s\"", bnd);
    content_type(g, subs[pick(g, 3)], "boundary", quoted);
    puts_(g, g->eol);
    if (pick(g, 2))
        line(g, "This is a message in MIME format.");
    unsigned parts = 1 + pick(g, 3);
    for (unsigned i = 0; i < parts; i++) {
        puts_(g, "--");
        line(g, bnd);
        entity(g, depth + 1);
    }
    puts_(g, "--");
    puts_(g, bnd);
    line(g, "--");
    if (pick(g, 2))
        line(g, "epilogue text");
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    g_mime_init();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) { /* the replay driver does not call the initializer */
        g_mime_init();
        ready = 1;
    }
    gen g = {data, size, 0, {0}, "\n", 0};
    sx_sbuf_init(&g.out, 16u << 20);
    g.eol = pick(&g, 2) ? "\r\n" : "\n";
    message(&g, 0);
    mimediff_result r;
    mimediff_compare(g.out.data, g.out.len, &r);
    if (getenv("SMTPDX_FUZZ_SHOW") != NULL) /* to look at what is made */
        printf("-- generated message --\n%.*s\n-- our view --\n%s"
               "-- GMime's view --\n%s",
               (int)g.out.len, g.out.data, r.ours, r.gmime);
    if (!r.same && r.known == 0) {
        printf("-- generated message --\n%.*s\n-- end --\n", (int)g.out.len,
               g.out.data);
        mimediff_show(r.ours, r.gmime);
    }
    FZ_CHECK(r.same || r.known != 0);
    mimediff_release(&r);
    sx_sbuf_release(&g.out);
    return 0;
}
