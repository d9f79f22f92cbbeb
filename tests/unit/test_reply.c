/*
 * test_reply.c - the reply parser against tests/data/reply/cases.tsv, plus
 * the inputs a table cannot hold well: a 64 KiB line and longer, NUL bytes
 * and every kind of invalid UTF-8, all byte values, generated noise, reuse
 * without allocation, and bad arguments.
 *
 * cases.tsv: one case per line, seven tab-separated columns
 *   input  code  enhanced  command  host  flags  text
 * described at the top of that file. Every row is its own cmocka test,
 * named after its line number.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "smtpdx.h"
#include "testutil.h"
#include "util/alloc.h"

#define NCOLS 7

typedef struct row {
    int line;
    char *col[NCOLS];
    char name[48];
} row;

static smtpdx_reply *shared_reply; /* reused by every row on purpose */

/* ------------------------------------------------------------ helpers */

/* Is s[0, n) valid UTF-8 (RFC 3629) without control characters? */
static int valid_text(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned char c = p[i];
        if (c < 0x20 || c == 0x7F)
            return 0;
        if (c < 0x80) {
            i++;
            continue;
        }
        int need;
        unsigned lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF)
            need = 1;
        else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;
            if (c == 0xE0)
                lo = 0xA0;
            if (c == 0xED)
                hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;
            if (c == 0xF0)
                lo = 0x90;
            if (c == 0xF4)
                hi = 0x8F;
        } else
            return 0;
        for (int k = 1; k <= need; k++) {
            if (i + (size_t)k >= n || p[i + k] < lo || p[i + k] > hi)
                return 0;
            lo = 0x80;
            hi = 0xBF;
        }
        i += (size_t)need + 1;
    }
    return 1;
}

static size_t count_fffd(const char *s)
{
    size_t n = 0;
    for (const char *p = s; (p = strstr(p, "\xEF\xBF\xBD")) != NULL; p += 3)
        n++;
    return n;
}

/* What must hold after any parse, whatever the input. */
static void check_invariants(const smtpdx_reply *r, smtpdx_status st)
{
    assert_true(st == SMTPDX_OK || st == SMTPDX_ERR_PARSE);
    assert_non_null(r->text);
    assert_int_equal(strlen(r->text), r->text_len);
    assert_true(r->text_len <= SMTPDX_REPLY_TEXT_MAX);
    assert_true(valid_text(r->text, r->text_len));
    if (r->text_len) {
        assert_true(r->text[0] != ' ');
        assert_true(r->text[r->text_len - 1] != ' ');
        assert_null(strstr(r->text, "  "));
    }
    assert_true(r->code == 0 || (r->code >= 200 && r->code <= 599));
    assert_true(memchr(r->enhanced, '\0', sizeof r->enhanced) != NULL);
    assert_true(memchr(r->command, '\0', sizeof r->command) != NULL);
    assert_true(memchr(r->host, '\0', sizeof r->host) != NULL);
    assert_true(memchr(r->addr, '\0', sizeof r->addr) != NULL);
    if (r->enh_class) {
        char want[16];
        assert_true(r->enh_class == 2 || r->enh_class == 4 ||
                    r->enh_class == 5);
        assert_true(r->enh_subject >= 0 && r->enh_subject <= 999);
        assert_true(r->enh_detail >= 0 && r->enh_detail <= 999);
        snprintf(want, sizeof want, "%d.%d.%d", r->enh_class, r->enh_subject,
                 r->enh_detail);
        assert_string_equal(r->enhanced, want);
        if (r->enh_subject > 7)
            assert_true(r->flags & SMTPDX_REPLY_ENH_INVALID);
        assert_int_equal(!!(r->flags & SMTPDX_REPLY_NO_BASIC), r->code == 0);
        assert_int_equal(!!(r->flags & SMTPDX_REPLY_CLASS_CONFLICT),
                         r->code != 0 && r->code / 100 != r->enh_class);
    } else {
        assert_string_equal(r->enhanced, "");
        assert_false(r->flags &
                     (SMTPDX_REPLY_NO_BASIC | SMTPDX_REPLY_CLASS_CONFLICT));
    }
    if (st == SMTPDX_ERR_PARSE)
        assert_true(r->code == 0 && r->enh_class == 0);
}

static const struct {
    const char *name;
    unsigned bit;
} FLAG_NAMES[] = {
    {"MULTILINE", SMTPDX_REPLY_MULTILINE},
    {"CONFLICT", SMTPDX_REPLY_CLASS_CONFLICT},
    {"MISSPELT", SMTPDX_REPLY_ENH_MISSPELT},
    {"NO_BASIC", SMTPDX_REPLY_NO_BASIC},
    {"TRUNCATED", SMTPDX_REPLY_TRUNCATED},
    {"BAD_BYTES", SMTPDX_REPLY_BAD_BYTES},
    {"ENH_INVALID", SMTPDX_REPLY_ENH_INVALID},
};

/* ---------------------------------------------------------- table rows */

static void test_row(void **state)
{
    const row *rw = *state;
    char *in = strdup(rw->col[0]);
    assert_non_null(in);
    size_t len = tu_unescape(in);
    smtpdx_reply *r = shared_reply;

    smtpdx_status st = smtpdx_reply_parse(r, in, len);
    check_invariants(r, st);

    /* flags: listed ones set, "!NAME" ones clear, ERR_PARSE the status */
    int want_parse_err = 0;
    if (strcmp(rw->col[5], "-") != 0) {
        char *flags = strdup(rw->col[5]), *next;
        assert_non_null(flags);
        for (char *f = flags; f; f = next) {
            next = strchr(f, ',');
            if (next)
                *next++ = '\0';
            int neg = f[0] == '!';
            const char *nm = f + neg;
            if (strcmp(nm, "ERR_PARSE") == 0) {
                want_parse_err = !neg;
                continue;
            }
            size_t k;
            for (k = 0; k < sizeof FLAG_NAMES / sizeof FLAG_NAMES[0]; k++)
                if (strcmp(FLAG_NAMES[k].name, nm) == 0)
                    break;
            if (k == sizeof FLAG_NAMES / sizeof FLAG_NAMES[0])
                fail_msg("line %d: unknown flag %s", rw->line, nm);
            if (neg && (r->flags & FLAG_NAMES[k].bit))
                fail_msg("line %d: flag %s set (flags %#x)", rw->line, nm,
                         r->flags);
            if (!neg && !(r->flags & FLAG_NAMES[k].bit))
                fail_msg("line %d: flag %s not set (flags %#x)", rw->line, nm,
                         r->flags);
        }
        free(flags);
    }
    if (want_parse_err)
        assert_int_equal(st, SMTPDX_ERR_PARSE);
    else if (st != SMTPDX_OK)
        fail_msg("line %d: status %d", rw->line, (int)st);

    assert_int_equal(r->code, strtol(rw->col[1], NULL, 10));
    assert_string_equal(r->enhanced, strcmp(rw->col[2], "-") ? rw->col[2] : "");
    assert_string_equal(r->command, strcmp(rw->col[3], "-") ? rw->col[3] : "");

    /* host column: "-", "name", "name[addr]" or "[addr]" */
    char host[300] = "", addr[80] = "";
    if (strcmp(rw->col[4], "-") != 0) {
        const char *lb = strchr(rw->col[4], '[');
        if (lb) {
            snprintf(host, sizeof host, "%.*s", (int)(lb - rw->col[4]),
                     rw->col[4]);
            snprintf(addr, sizeof addr, "%s", lb + 1);
            char *rb = strchr(addr, ']');
            if (rb)
                *rb = '\0';
        } else {
            snprintf(host, sizeof host, "%s", rw->col[4]);
        }
    }
    assert_string_equal(r->host, host);
    if (strchr(rw->col[4], '['))
        assert_string_equal(r->addr, addr);

    char *text = strdup(rw->col[6]);
    assert_non_null(text);
    tu_unescape(text);
    if (strcmp(text, "*") != 0)
        assert_string_equal(r->text, strcmp(text, "-") ? text : "");
    free(text);
    free(in);
}

static int load_rows(const char *path, row **out, char **buf)
{
    size_t len;
    char *data = tu_read_file(path, &len);
    if (data == NULL)
        return -1;
    size_t cap = 64, n = 0;
    row *rows = calloc(cap, sizeof *rows);
    if (rows == NULL) {
        free(data);
        return -1;
    }
    int line = 0;
    char *p = data; /* split by hand: line numbers must stay right */
    while (p && *p) {
        char *nl = strchr(p, '\n');
        if (nl)
            *nl = '\0';
        line++;
        /* "# " starts a comment; "#550 5.1.1" is an Exchange input */
        if (p[0] != '\0' && !(p[0] == '#' && (p[1] == ' ' || p[1] == '\0'))) {
            if (n == cap) {
                cap *= 2;
                row *more = realloc(rows, cap * sizeof *rows);
                if (more == NULL) {
                    free(rows);
                    free(data);
                    return -1;
                }
                rows = more;
            }
            row *rw = &rows[n];
            memset(rw, 0, sizeof *rw);
            rw->line = line;
            char *c = p;
            int k;
            for (k = 0; k < NCOLS && c; k++) {
                rw->col[k] = c;
                c = strchr(c, '\t');
                if (c)
                    *c++ = '\0';
            }
            if (k != NCOLS || c != NULL) {
                fprintf(stderr, "%s:%d: want %d tab-separated columns\n", path,
                        line, NCOLS);
                free(rows);
                free(data);
                return -1;
            }
            snprintf(rw->name, sizeof rw->name, "cases.tsv:%d", line);
            n++;
        }
        p = nl ? nl + 1 : NULL;
    }
    *out = rows;
    *buf = data;
    return (int)n;
}

/* ---------------------------------------------------- built in C */

static void test_line_64k(void **state)
{
    (void)state;
    smtpdx_reply *r = smtpdx_reply_new();
    assert_non_null(r);
    size_t n = SMTPDX_REPLY_TEXT_MAX;
    char *in = malloc(n + 64);
    assert_non_null(in);

    /* exactly the limit: kept whole */
    memset(in, 'a', n);
    smtpdx_status st = smtpdx_reply_parse(r, in, n);
    check_invariants(r, st);
    assert_int_equal(st, SMTPDX_OK);
    assert_int_equal(r->text_len, n);
    assert_false(r->flags & SMTPDX_REPLY_TRUNCATED);

    /* one byte more: cut at the limit */
    in[n] = 'b';
    st = smtpdx_reply_parse(r, in, n + 1);
    check_invariants(r, st);
    assert_int_equal(r->text_len, n);
    assert_true(r->flags & SMTPDX_REPLY_TRUNCATED);

    /* a code, then a 64 KiB line: the code is found, the text is cut */
    memcpy(in, "550 5.1.1 ", 10);
    memset(in + 10, 'x', n);
    st = smtpdx_reply_parse(r, in, n + 10);
    check_invariants(r, st);
    assert_int_equal(r->code, 550);
    assert_string_equal(r->enhanced, "5.1.1");
    assert_true(r->flags & SMTPDX_REPLY_TRUNCATED);
    assert_int_equal(r->text_len, n - 10);

    /* white space past the limit is no reason to flag */
    memset(in, 'a', n);
    memset(in + n, ' ', 64);
    st = smtpdx_reply_parse(r, in, n + 64);
    check_invariants(r, st);
    assert_false(r->flags & SMTPDX_REPLY_TRUNCATED);
    free(in);
    smtpdx_reply_free(r);
}

static void test_truncate_utf8_boundary(void **state)
{
    (void)state;
    smtpdx_reply *r = smtpdx_reply_new();
    assert_non_null(r);
    /* "é" is two bytes; an odd limit cut would split one */
    size_t n = SMTPDX_REPLY_TEXT_MAX + 1001;
    char *in = malloc(n);
    assert_non_null(in);
    in[0] = 'x';
    for (size_t i = 1; i + 1 < n; i += 2) {
        in[i] = '\xC3';
        in[i + 1] = '\xA9';
    }
    smtpdx_status st = smtpdx_reply_parse(r, in, n - (n % 2 == 0));
    check_invariants(r, st);
    assert_true(r->flags & SMTPDX_REPLY_TRUNCATED);
    assert_true(r->text_len == SMTPDX_REPLY_TEXT_MAX - 1 ||
                r->text_len == SMTPDX_REPLY_TEXT_MAX);

    /* a whole buffer of invalid bytes: each becomes three, still bounded */
    memset(in, 0xFF, n);
    st = smtpdx_reply_parse(r, in, n);
    check_invariants(r, st);
    assert_int_equal(st, SMTPDX_ERR_PARSE);
    assert_true(r->flags & SMTPDX_REPLY_TRUNCATED);
    assert_true(r->flags & SMTPDX_REPLY_BAD_BYTES);
    free(in);
    smtpdx_reply_free(r);
}

static void test_many_lines(void **state)
{
    (void)state;
    smtpdx_reply *r = smtpdx_reply_new();
    assert_non_null(r);
    size_t lines = 3000, w = 0; /* 45000 bytes once normalised */
    char *in = malloc(lines * 24 + 32);
    assert_non_null(in);
    for (size_t i = 0; i < lines; i++) {
        memcpy(in + w,
               i + 1 < lines ? "550-5.7.1 word\r\n" : "550 5.7.1 last\r\n", 16);
        w += 16;
    }
    smtpdx_status st = smtpdx_reply_parse(r, in, w);
    check_invariants(r, st);
    assert_int_equal(r->code, 550);
    assert_string_equal(r->enhanced, "5.7.1");
    assert_true(r->flags & SMTPDX_REPLY_MULTILINE);
    assert_int_equal(r->text_len, (lines - 1) * 5 + 4);
    assert_null(strstr(r->text, "550"));
    assert_null(strstr(r->text, "5.7.1"));
    free(in);
    smtpdx_reply_free(r);
}

static void test_nul_bytes(void **state)
{
    (void)state;
    smtpdx_reply *r = smtpdx_reply_new();
    assert_non_null(r);
    static const char in1[] = "550 5.1.1 user\0unknown";
    smtpdx_status st = smtpdx_reply_parse(r, in1, sizeof in1 - 1);
    check_invariants(r, st);
    assert_int_equal(r->code, 550);
    assert_true(r->flags & SMTPDX_REPLY_BAD_BYTES);
    assert_string_equal(r->text, "user\xEF\xBF\xBDunknown");

    /* only NULs: nothing human, no code */
    char zeros[100] = {0};
    st = smtpdx_reply_parse(r, zeros, sizeof zeros);
    check_invariants(r, st);
    assert_int_equal(st, SMTPDX_ERR_PARSE);
    assert_true(r->flags & SMTPDX_REPLY_BAD_BYTES);

    /* NUL inside a code: the code is not glued together across it */
    static const char in2[] = "55\0"
                              "0 5.1.1 x";
    st = smtpdx_reply_parse(r, in2, sizeof in2 - 1);
    check_invariants(r, st);
    assert_int_not_equal(r->code, 550);

    /* other controls (ESC, BEL, DEL) are replaced too */
    static const char in3[] = "550 \x1b[31mred\x07\x7f";
    st = smtpdx_reply_parse(r, in3, sizeof in3 - 1);
    check_invariants(r, st);
    assert_true(r->flags & SMTPDX_REPLY_BAD_BYTES);
    assert_int_equal(count_fffd(r->text), 3);
    smtpdx_reply_free(r);
}

static void test_invalid_utf8(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        size_t fffd; /* replacement characters expected */
    } cases[] = {
        {"550 a\x80z", 1},             /* lone continuation byte */
        {"550 a\xC0\xAFz", 2},         /* overlong '/' */
        {"550 a\xE0\x80\xAFz", 3},     /* overlong, three bytes */
        {"550 a\xED\xA0\x80z", 3},     /* UTF-16 surrogate */
        {"550 a\xF4\x90\x80\x80z", 4}, /* above U+10FFFF */
        {"550 a\xF5\x80z", 2},         /* never a lead byte */
        {"550 a\xFF\xFEz", 2},
        {"550 a\xE2\x82z", 1},     /* truncated sequence: one U+FFFD */
        {"550 a\xF0\x9F\x98z", 1}, /* truncated four-byte sequence */
        {"550 a\xE2\x82", 1},      /* truncated at the very end */
        {"550 a\xC2\x85z", 1},     /* C1 control NEL */
        {"550 caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80", 0}, /* all valid */
    };
    smtpdx_reply *r = smtpdx_reply_new();
    assert_non_null(r);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        smtpdx_status st =
            smtpdx_reply_parse(r, cases[i].in, strlen(cases[i].in));
        check_invariants(r, st);
        assert_int_equal(st, SMTPDX_OK);
        assert_int_equal(r->code, 550);
        assert_int_equal(count_fffd(r->text), cases[i].fffd);
        assert_int_equal(!!(r->flags & SMTPDX_REPLY_BAD_BYTES),
                         cases[i].fffd != 0);
    }
    /* no-break space is white space, a leading BOM is dropped */
    const char *nb = "\xEF\xBB\xBF"
                     "550\xC2\xA0"
                     "5.1.1\xC2\xA0\xC2\xA0gone";
    smtpdx_status st = smtpdx_reply_parse(r, nb, strlen(nb));
    check_invariants(r, st);
    assert_int_equal(r->code, 550);
    assert_string_equal(r->enhanced, "5.1.1");
    assert_string_equal(r->text, "gone");
    smtpdx_reply_free(r);
}

static void test_line_ends_agree(void **state)
{
    (void)state;
    const char *forms[] = {
        "550-5.7.1 first\n550-5.7.1 second\n550 5.7.1 third\n",
        "550-5.7.1 first\r\n550-5.7.1 second\r\n550 5.7.1 third\r\n",
        "550-5.7.1 first\r550-5.7.1 second\r550 5.7.1 third\r",
        "550-5.7.1 first\r\n550-5.7.1 second\n550 5.7.1 third\r",
    };
    smtpdx_reply *r = smtpdx_reply_new();
    assert_non_null(r);
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        smtpdx_status st = smtpdx_reply_parse(r, forms[i], strlen(forms[i]));
        check_invariants(r, st);
        assert_int_equal(r->code, 550);
        assert_string_equal(r->enhanced, "5.7.1");
        assert_string_equal(r->text, "first second third");
        assert_true(r->flags & SMTPDX_REPLY_MULTILINE);
    }
    smtpdx_reply_free(r);
}

static void test_every_byte(void **state)
{
    (void)state;
    smtpdx_reply *r = smtpdx_reply_new();
    assert_non_null(r);
    char in[8];
    for (int c = 0; c < 256; c++) {
        in[0] = (char)c;
        smtpdx_status st = smtpdx_reply_parse(r, in, 1);
        check_invariants(r, st);
        memcpy(in, "550 ", 4);
        in[4] = (char)c;
        st = smtpdx_reply_parse(r, in, 5);
        check_invariants(r, st);
        assert_int_equal(st, SMTPDX_OK);
    }
    smtpdx_reply_free(r);
}

/* Random mixes of the pieces replies are made of, and raw noise: the
 * parser must keep its invariants on all of them (run under ASan and
 * UBSan in CI, this is where reading past the end would show). */
static void test_noise(void **state)
{
    (void)state;
    static const char *const pieces[] = {
        "550",
        "5.1.1",
        "-",
        " ",
        "\r\n",
        "\n",
        "\r",
        "#",
        "(#",
        ")",
        "'",
        "\"",
        "<",
        ">",
        "[",
        "]",
        ":",
        ";",
        ".",
        "smtp;",
        "X-Unix;",
        "host ",
        "said:",
        "mx.example",
        "192.0.2.1",
        "connect to ",
        "(in reply to ",
        "RCPT TO",
        " command)",
        "Remote Server returned '",
        "5-7-1",
        "999",
        "4.4.7",
        "5.9.9",
        "5.7.1000",
        "user unknown",
        "\xC3",
        "\xA9",
        "\0",
        "\xFF",
        "SMTP error from remote mail server after ",
        "<<< ",
        ">>> ",
        "##",
        "Status:",
        "while sending ",
        "lost connection with ",
        "25",
    };
    const size_t np = sizeof pieces / sizeof pieces[0];
    uint32_t seed = 12345;
    char in[600];
    smtpdx_reply *r = smtpdx_reply_new();
    assert_non_null(r);
    for (int round = 0; round < 20000; round++) {
        size_t w = 0;
        seed = seed * 1103515245u + 12345u;
        int count = (int)(seed >> 16) % 24;
        for (int k = 0; k < count; k++) {
            seed = seed * 1103515245u + 12345u;
            uint32_t v = seed >> 8;
            if (v % 5 == 0) {
                in[w++] = (char)(v >> 8); /* a raw byte */
                continue;
            }
            const char *p = pieces[v % np];
            size_t pl = p[0] ? strlen(p) : 1; /* "\0" is one NUL */
            if (w + pl >= sizeof in)
                break;
            memcpy(in + w, p, pl);
            w += pl;
        }
        /* an exact-size heap copy, so that ASan sees any overread */
        char *h = malloc(w ? w : 1);
        assert_non_null(h);
        memcpy(h, in, w);
        smtpdx_status st = smtpdx_reply_parse(r, h, w);
        check_invariants(r, st);
        free(h);
    }
    smtpdx_reply_free(r);
}

/* Inputs built to make a careless scanner walk the rest of the text from
 * each of thousands of starting points. Each parse must stay linear: the
 * bound is loose (sanitizer builds on a busy machine) but a quadratic walk
 * over 64 KiB would miss it by far. */
static void test_no_quadratic(void **state)
{
    (void)state;
    static const char *const units[] = {
        "SMTP error from remote mail server after <",
        ">>> ",
        "(in reply to ",
        "host ",
        "<a",
        "Remote Server returned '",
        "550-",
        "5.1.1 ",
        "550 ",
        "connect to a",
        "'",
        "#",
        "<<< ",
        "smtp;",
        "while talking to a",
    };
    size_t n = SMTPDX_REPLY_TEXT_MAX;
    char *in = malloc(n);
    assert_non_null(in);
    smtpdx_reply *r = smtpdx_reply_new();
    assert_non_null(r);
    clock_t start = clock();
    for (size_t u = 0; u < sizeof units / sizeof units[0]; u++) {
        size_t ul = strlen(units[u]), w = 0;
        while (w + ul <= n) {
            memcpy(in + w, units[u], ul);
            w += ul;
        }
        smtpdx_status st = smtpdx_reply_parse(r, in, w);
        check_invariants(r, st);
    }
    double secs = (double)(clock() - start) / CLOCKS_PER_SEC;
    printf("pathological inputs: %zu parses of 64 KiB in %.3f s\n",
           sizeof units / sizeof units[0], secs);
    assert_true(secs < 5.0);
    smtpdx_reply_free(r);
    free(in);
}

/* After the buffer has grown once, parses reuse it: the text lives at the
 * same address, whatever is parsed. With fault injection built in, any
 * allocation at all would fail the parse. */
static void test_reuse_no_alloc(void **state)
{
    (void)state;
    smtpdx_reply *r = smtpdx_reply_new();
    assert_non_null(r);
    char big[4096];
    memset(big, 'w', sizeof big);
    assert_int_equal(smtpdx_reply_parse(r, big, sizeof big), SMTPDX_OK);
    const char *buf = r->text;
#ifdef SMTPDX_FAULT_INJECTION
    sx_alloc_fail_after(1);
#endif
    const char *inputs[] = {
        "550 5.1.1 user unknown",
        "host mx.example[192.0.2.1] said: 450 4.7.1 greylisted (in reply to "
        "RCPT TO command)",
        "Remote Server returned '550 5.1.1 RESOLVER.ADR.RecipNotFound; not "
        "found'",
        "550-5.7.1 one\r\n550 5.7.1 two",
    };
    for (int k = 0; k < 1000; k++) {
        const char *in = inputs[k % 4];
        assert_int_equal(smtpdx_reply_parse(r, in, strlen(in)), SMTPDX_OK);
        assert_ptr_equal(r->text, buf);
    }
#ifdef SMTPDX_FAULT_INJECTION
    sx_alloc_fail_after(0);
#endif
    smtpdx_reply_free(r);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    smtpdx_reply_free(NULL);
    assert_int_equal(smtpdx_reply_parse(NULL, "550", 3), SMTPDX_ERR_INVAL);
    smtpdx_reply *r = smtpdx_reply_new();
    assert_non_null(r);
    assert_int_equal(smtpdx_reply_parse(r, NULL, 3), SMTPDX_ERR_INVAL);
    smtpdx_status st = smtpdx_reply_parse(r, NULL, 0);
    assert_int_equal(st, SMTPDX_ERR_PARSE);
    check_invariants(r, st);
    /* the length rules, not the NUL: "550" of "550 5.1.1" */
    st = smtpdx_reply_parse(r, "550 5.1.1 x", 3);
    assert_int_equal(st, SMTPDX_OK);
    assert_int_equal(r->code, 550);
    assert_string_equal(r->enhanced, "");
    smtpdx_reply_free(r);
}

#ifdef SMTPDX_FAULT_INJECTION
static void test_out_of_memory(void **state)
{
    (void)state;
    for (unsigned long n = 1; n <= 2; n++) {
        sx_alloc_fail_after(n);
        smtpdx_reply *r = smtpdx_reply_new();
        sx_alloc_fail_after(0);
        assert_null(r);
    }
    smtpdx_reply *r = smtpdx_reply_new();
    assert_non_null(r);
    sx_alloc_fail_after(1);
    assert_int_equal(smtpdx_reply_parse(r, "550 5.1.1 x", 11),
                     SMTPDX_ERR_NOMEM);
    sx_alloc_fail_after(0);
    assert_int_equal(smtpdx_reply_parse(r, "550 5.1.1 x", 11), SMTPDX_OK);
    assert_string_equal(r->text, "x");
    smtpdx_reply_free(r);
}
#endif

static int setup_shared(void **state)
{
    (void)state;
    shared_reply = smtpdx_reply_new();
    return shared_reply == NULL;
}

static int teardown_shared(void **state)
{
    (void)state;
    smtpdx_reply_free(shared_reply);
    return 0;
}

int main(void)
{
    const char *path = SMTPDX_SOURCE_DIR "/tests/data/reply/cases.tsv";
    row *rows = NULL;
    char *buf = NULL;
    int n = load_rows(path, &rows, &buf);
    if (n < 0) {
        fprintf(stderr, "cannot load %s\n", path);
        return 1;
    }
    struct CMUnitTest *t = calloc((size_t)n, sizeof *t);
    if (t == NULL)
        return 1;
    for (int i = 0; i < n; i++) {
        t[i].name = rows[i].name;
        t[i].test_func = test_row;
        t[i].initial_state = &rows[i];
    }
    int failed = _cmocka_run_group_tests("reply_cases", t, (size_t)n,
                                         setup_shared, teardown_shared);
    printf("reply cases: %d of %d passed\n", n - failed, n);

    const struct CMUnitTest unit[] = {
        cmocka_unit_test(test_line_64k),
        cmocka_unit_test(test_truncate_utf8_boundary),
        cmocka_unit_test(test_many_lines),
        cmocka_unit_test(test_nul_bytes),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_line_ends_agree),
        cmocka_unit_test(test_every_byte),
        cmocka_unit_test(test_noise),
        cmocka_unit_test(test_no_quadratic),
        cmocka_unit_test(test_reuse_no_alloc),
        cmocka_unit_test(test_bad_arguments),
#ifdef SMTPDX_FAULT_INJECTION
        cmocka_unit_test(test_out_of_memory),
#endif
    };
    failed += cmocka_run_group_tests_name("reply_units", unit, NULL, NULL);
    free(t);
    free(rows);
    free(buf);
    return failed ? 1 : 0;
}
