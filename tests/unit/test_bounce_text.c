/*
 * test_bounce_text.c - the caseless searches of bounce/bounce_text.h and
 * the marker scan's databases, against plain loops that say the same
 * thing one byte at a time.
 *
 * sx_bt_ifind looks at sixteen starts at a time, and sx_bt_has_any walks
 * the text once for long needle lists: their mistakes hide at the edges
 * (a match in the last start, a pair split across two steps, a text that
 * ends inside one). So the texts are random over a small alphabet that
 * makes near misses common (both cases, blanks, a byte above 0x7f), every
 * length up to a few steps, and each text is a heap block of exactly its
 * length, so that a read past the end is caught by AddressSanitizer in the
 * sanitizer build.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bounce/bounce.h"
#include "bounce/bounce_markdb.h"
#include "bounce/bounce_text.h"

/* ---- the reference loops ---- */

static int ref_lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int ref_ieq(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (ref_lower((unsigned char)a[i]) != ref_lower((unsigned char)b[i]))
            return 0;
    return 1;
}

static const char *ref_ifind(const char *h, size_t hl, const char *needle)
{
    size_t nl = strlen(needle);
    if (nl == 0)
        return NULL;
    for (size_t i = 0; i + nl <= hl; i++)
        if (ref_ieq(h + i, needle, nl))
            return h + i;
    return NULL;
}

static int ref_blank(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* a blank in needle stands for a run of one or more blanks */
static const char *ref_ifind_ws(const char *h, size_t hl, const char *needle,
                                const char **mend)
{
    if (needle[0] == '\0' || needle[0] == ' ')
        return NULL;
    for (size_t s = 0; s < hl; s++) {
        size_t i = s;
        const char *n = needle;
        for (; *n != '\0'; n++) {
            if (*n == ' ') {
                size_t k = i;
                while (k < hl && ref_blank((unsigned char)h[k]))
                    k++;
                if (k == i)
                    break;
                i = k;
            } else if (i < hl && ref_lower((unsigned char)h[i]) ==
                                     ref_lower((unsigned char)*n)) {
                i++;
            } else {
                break;
            }
        }
        if (*n == '\0') {
            *mend = h + i;
            return h + s;
        }
    }
    return NULL;
}

/* ---- random texts ---- */

static uint64_t rng = 0x9e3779b97f4a7c15u;

static unsigned rnd(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

static const char alphabet[] = "aAbB -xX@.\n\t\xc3";

static void fill(char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = alphabet[rnd(sizeof alphabet - 1)];
}

/* A needle: a piece of the text (so that it is often there) or random,
 * letters' cases flipped at random. */
static void make_needle(char *out, size_t max, const char *h, size_t hl)
{
    size_t nl = 1 + rnd((unsigned)max - 1);
    if (hl >= nl && rnd(2)) {
        memcpy(out, h + rnd((unsigned)(hl - nl + 1)), nl);
    } else {
        fill(out, nl);
    }
    for (size_t i = 0; i < nl; i++) {
        if (out[i] == '\0')
            out[i] = 'a';
        if (rnd(2) && ref_lower((unsigned char)out[i]) != out[i])
            out[i] = (char)ref_lower((unsigned char)out[i]);
        else if (rnd(2) && out[i] >= 'a' && out[i] <= 'z')
            out[i] = (char)(out[i] - 32);
    }
    out[nl] = '\0';
}

/* ---- the tests ---- */

static void ifind_matches_reference(void **state)
{
    (void)state;
    char needle[24];
    for (size_t hl = 0; hl <= 80; hl++) {
        for (int round = 0; round < 60; round++) {
            char *h = malloc(hl ? hl : 1);
            assert_non_null(h);
            fill(h, hl);
            make_needle(needle, sizeof needle - 4, h, hl);
            assert_ptr_equal(sx_bt_ifind(h, hl, needle),
                             ref_ifind(h, hl, needle));
            const char *e1 = NULL, *e2 = NULL;
            /* no leading blank: the function refuses those */
            if (needle[0] == ' ')
                needle[0] = 'a';
            const char *a = sx_bt_ifind_ws(h, hl, needle, &e1);
            const char *b = ref_ifind_ws(h, hl, needle, &e2);
            assert_ptr_equal(a, b);
            if (a != NULL)
                assert_ptr_equal(e1, e2);
            free(h);
        }
    }
}

static void ifind_finds_the_last_start(void **state)
{
    (void)state;
    /* a match ending exactly at the end of the block, at every length */
    for (size_t hl = 2; hl <= 70; hl++) {
        char *h = malloc(hl);
        assert_non_null(h);
        memset(h, 'a', hl);
        h[hl - 2] = 'X';
        h[hl - 1] = 'y';
        assert_ptr_equal(sx_bt_ifind(h, hl, "xY"), h + hl - 2);
        if (hl >= 3)
            assert_ptr_equal(sx_bt_ifind(h, hl, "aXy"), h + hl - 3);
        assert_null(sx_bt_ifind(h, hl - 1, "xy"));
        free(h);
    }
}

static void has_any_matches_reference(void **state)
{
    (void)state;
    char store[60][16];
    const char *list[61];
    for (size_t hl = 0; hl <= 300; hl += 1 + hl / 8) {
        /* lists short and long: both the search and the walk */
        for (size_t n = 1; n <= 60; n += 1 + n / 4) {
            for (int round = 0; round < 8; round++) {
                char *h = malloc(hl ? hl : 1);
                assert_non_null(h);
                fill(h, hl);
                int want = 0;
                for (size_t i = 0; i < n; i++) {
                    make_needle(store[i], 8 + rnd(4), h, hl);
                    /* mostly absent, so the whole text is walked */
                    if (rnd(4))
                        store[i][0] = 'q';
                    list[i] = store[i];
                    want |= ref_ifind(h, hl, store[i]) != NULL;
                }
                list[n] = NULL;
                assert_int_equal(sx_bt_has_any(sx_bt_str(h, hl), list),
                                 want);
                free(h);
            }
        }
    }
}

static void iprefix_and_ieq(void **state)
{
    (void)state;
    assert_true(sx_bt_iprefix("Final-Recipient: x", 18, "final-recipient:"));
    assert_false(sx_bt_iprefix("Final", 5, "final-recipient:"));
    assert_true(sx_bt_iprefix("", 0, ""));
    assert_false(sx_bt_iprefix("", 0, "a"));
    assert_true(sx_bt_ieq("RCPT TO", "rcpt to", 7));
    assert_false(sx_bt_ieq("RCPT\xc3", "rcpt\xe3", 5));
    /* '@' and '`' differ by the case bit but are no letters */
    assert_false(sx_bt_ieq("@", "`", 1));
    assert_null(sx_bt_ifind("`", 1, "@"));
    assert_null(sx_bt_ifind("[", 1, "{"));
}

/* The address found in s, as a string ("" when none). */
static const char *addr_in(const char *s, char *buf, size_t cap)
{
    sx_str a;
    size_t next;
    buf[0] = '\0';
    if (sx_bt_find_addr(s, strlen(s), &a, &next) && a.len < cap) {
        memcpy(buf, a.p, a.len);
        buf[a.len] = '\0';
        assert_int_equal(next, (size_t)(a.p - s) + a.len);
    }
    return buf;
}

/* Addresses in text of other scripts: the full-width colon of a label,
 * CJK brackets and punctuation, typographic quotes and a no-break space
 * bound an address; non-ASCII letters of an internationalized local part
 * or domain (RFC 6531) do not. */
static void find_addr_bounds(void **state)
{
    (void)state;
    char b[128];
    assert_string_equal(addr_in("x <bob@example.com>: y", b, sizeof b),
                        "bob@example.com");
    assert_string_equal(
        addr_in("\xe6\x94\xb6\xe4\xbb\xb6\xe4\xba\xba\xef\xbc\x9a"
                "wang@mail.example.cn", b, sizeof b),
        "wang@mail.example.cn");
    assert_string_equal(
        addr_in("\xe3\x80\x8c" "bob@example.com\xe3\x80\x8d\xe3\x80\x82",
                b, sizeof b),
        "bob@example.com");
    assert_string_equal(addr_in("\xe2\x80\x9c" "bob@example.com\xe2\x80\x9d",
                                b, sizeof b),
                        "bob@example.com");
    assert_string_equal(addr_in("to\xc2\xa0" "bob@example.com", b, sizeof b),
                        "bob@example.com");
    /* letters of other scripts stay in the address */
    assert_string_equal(
        addr_in("\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90"
                ".example", b, sizeof b),
        "\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.example");
    assert_string_equal(addr_in("j\xc3\xb6rg@example.de", b, sizeof b),
                        "j\xc3\xb6rg@example.de");
    /* a stray byte above 0x7f is no separator and breaks nothing */
    assert_string_equal(addr_in("\x80" "bob@example.com", b, sizeof b),
                        "\x80" "bob@example.com");
    assert_string_equal(addr_in("mail to 'yan@example.com' bounced", b,
                                sizeof b),
                        "yan@example.com");
    assert_string_equal(addr_in("`yan@example.com'", b, sizeof b),
                        "yan@example.com");
    assert_string_equal(addr_in("o'brien@example.com", b, sizeof b),
                        "o'brien@example.com");
    assert_string_equal(addr_in("no address here", b, sizeof b), "");
}

/* The line walker takes its LFs from a 64-byte mask: against a memchr
 * walk, over texts of every length with lines short and long (past one
 * and two windows), CR LF and lone CRs, a last line without an LF, and a
 * copy taken midway that must go on alone as a saved position. */
static void lines_match_reference(void **state)
{
    (void)state;
    enum { MAX = 400 };
    char src[MAX];
    for (int round = 0; round < 60; round++) {
        /* lines of 0..150 bytes (one round in four: up to 40) */
        unsigned span = round % 4 ? 150 : 40;
        for (size_t len = 0; len <= MAX; len += 1 + len / 40) {
            for (size_t i = 0; i < len; i++) {
                unsigned r = rnd(span + 1);
                src[i] = r == 0   ? '\n'
                         : r == 1 ? '\r'
                                  : (char)('a' + r % 26);
            }
            char *b = malloc(len ? len : 1);
            assert_non_null(b);
            memcpy(b, src, len);
            sx_btlines it, saved;
            sx_bt_lines_init(&it, b, len);
            const char *p = b, *end = b + len;
            unsigned n = 0;
            sx_str l;
            while (sx_bt_next_line(&it, &l)) {
                assert_true(p < end);
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                const char *e = nl ? nl : end;
                size_t want = (size_t)(e - p);
                if (want > 0 && e[-1] == '\r')
                    want--;
                assert_ptr_equal(l.p, p);
                assert_int_equal(l.len, want);
                p = nl ? nl + 1 : end;
                if (++n == 3)
                    saved = it;
            }
            assert_ptr_equal(p, end);
            assert_int_equal(it.count, n);
            if (n >= 3) { /* the copy walks the same rest */
                sx_btlines again;
                sx_bt_lines_init(&again, b, len);
                for (int k = 0; k < 3; k++)
                    assert_true(sx_bt_next_line(&again, &l));
                sx_str x;
                while (sx_bt_next_line(&again, &l)) {
                    assert_true(sx_bt_next_line(&saved, &x));
                    assert_ptr_equal(x.p, l.p);
                    assert_int_equal(x.len, l.len);
                }
                assert_false(sx_bt_next_line(&saved, &x));
            }
            free(b);
        }
    }
    sx_btlines none;
    sx_str l;
    sx_bt_lines_init(&none, NULL, 0);
    assert_false(sx_bt_next_line(&none, &l));
}

/* The serialized marker databases the build linked in are made from the
 * phrase lists compiled in, and load here (else every start compiles). */
static void prebuilt_marker_databases_fit(void **state)
{
    (void)state;
    assert_true(sx_bmarkdb_built_fingerprint == sx_bmarkdb_fingerprint());
    const unsigned char *bytes[2] = {sx_bmarkdb_marks, sx_bmarkdb_commands};
    size_t lens[2] = {sx_bmarkdb_marks_len, sx_bmarkdb_commands_len};
    for (int k = 0; k < 2; k++) {
        hs_database_t *db = NULL;
        assert_true(lens[k] > 0);
        assert_int_equal(hs_deserialize_database((const char *)bytes[k],
                                                 lens[k], &db),
                         HS_SUCCESS);
        hs_free_database(db);
    }
}

/* The token's digest against the test vectors of FIPS 180-2's appendix A
 * (one block, two blocks, a million 'a's) and the empty input, through
 * one reused context as the bounce parser uses it. */
static void token_sha1_vectors(void **state)
{
    (void)state;
    smtpdx_ctx *ctx = NULL;
    assert_int_equal(smtpdx_ctx_new(&ctx), SMTPDX_OK);
    sx_bctx *b = sx_bctx_get(ctx);
    assert_non_null(b);
    char hex[41];
    assert_int_equal(sx_bsha1_hex(b, "abc", 3, hex), SMTPDX_OK);
    assert_string_equal(hex, "a9993e364706816aba3e25717850c26c9cd0d89d");
    const char *two =
        "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    assert_int_equal(sx_bsha1_hex(b, two, strlen(two), hex), SMTPDX_OK);
    assert_string_equal(hex, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    assert_int_equal(sx_bsha1_hex(b, "", 0, hex), SMTPDX_OK);
    assert_string_equal(hex, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    char *million = malloc(1000000);
    assert_non_null(million);
    memset(million, 'a', 1000000);
    assert_int_equal(sx_bsha1_hex(b, million, 1000000, hex), SMTPDX_OK);
    assert_string_equal(hex, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
    free(million);
    smtpdx_ctx_free(ctx);
}

/* sx_bt_names: found in either case, before and after its index is
 * built, through a slot two names share and for a name too long for the
 * index; a name of the same length and last letter is not taken for one */
static void field_names_lookup(void **state)
{
    (void)state;
    static const char *const list[] = {
        "to", "from", "date", "in-reply-to", "x-cvs",
        "x-a-name-longer-than-the-index-holds", "byte", NULL};
    static sx_bt_names names = SX_BT_NAMES(list);
    for (int round = 0; round < 2; round++) {
        assert_int_equal(sx_bt_names_find(&names, "To", 2), 0);
        assert_int_equal(sx_bt_names_find(&names, "FROM", 4), 1);
        assert_int_equal(sx_bt_names_find(&names, "Date", 4), 2);
        assert_int_equal(sx_bt_names_find(&names, "In-Reply-To", 11), 3);
        assert_int_equal(sx_bt_names_find(&names, "X-Cvs", 5), 4);
        assert_int_equal(
            sx_bt_names_find(&names, "X-A-Name-Longer-Than-The-Index-Holds",
                             36),
            5);
        assert_int_equal(sx_bt_names_find(&names, "BYTE", 4), 6);
        assert_int_equal(sx_bt_names_find(&names, "Dane", 4), -1);
        assert_int_equal(sx_bt_names_find(&names, "In_Reply-To", 11), -1);
        assert_int_equal(sx_bt_names_find(&names, "Subject", 7), -1);
        assert_int_equal(sx_bt_names_find(&names, "x", 0), -1);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ifind_matches_reference),
        cmocka_unit_test(ifind_finds_the_last_start),
        cmocka_unit_test(has_any_matches_reference),
        cmocka_unit_test(iprefix_and_ieq),
        cmocka_unit_test(find_addr_bounds),
        cmocka_unit_test(lines_match_reference),
        cmocka_unit_test(prebuilt_marker_databases_fit),
        cmocka_unit_test(token_sha1_vectors),
        cmocka_unit_test(field_names_lookup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
