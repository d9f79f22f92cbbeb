/*
 * test_kb_lint.c - rules every knowledge-base entry must follow beyond what
 * the compiler checks:
 *  - a summary, at least one step and at least one reference, each a whole
 *    sentence or a recognisable reference (an RFC section or a URL);
 *  - an id that says its kind (text., enh., code., class.);
 *  - retry advice that fits: a failure is never "none", a success always;
 *    "retry" comes with a give-up time not shorter than the first retry;
 *  - the cause vocabulary of kb/README.md ("## Causes" table) lists every
 *    cause the entries use, and every cause it lists is used;
 *  - a phrase that opens with a lower-case letter beyond ASCII is also
 *    there capitalised: the matcher folds the case of ASCII letters only,
 *    and a reply's sentence may open with the phrase.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "smtpdx.h"
#include "testutil.h"
#include "util/utf8.h"

#define README SMTPDX_SOURCE_DIR "/kb/README.md"
#define MAX_CAUSES 512

static int starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static int sentence_ok(const char *s)
{
    size_t n = strlen(s);
    return n >= 10 && s[n - 1] != ' ';
}

static int ref_ok(const char *s)
{
    return starts_with(s, "RFC ") || starts_with(s, "https://") ||
           starts_with(s, "http://");
}

static void test_entries(void **state)
{
    (void)state;
    size_t n = smtpdx_kb_count();
    int bad = 0;
    assert_true(n > 300);
    for (size_t i = 0; i < n; i++) {
        const smtpdx_kb_entry *e = smtpdx_kb_get(i);
        const char *why = NULL;
        static const struct { const char *kind, *prefix; } ids[] = {
            {"text", "text."}, {"enhanced", "enh."}, {"code", "code."},
            {"class", "class."},
        };
        int id_ok = 0;
        for (size_t k = 0; k < sizeof(ids) / sizeof(ids[0]); k++)
            if (strcmp(e->kind, ids[k].kind) == 0 &&
                starts_with(e->id, ids[k].prefix))
                id_ok = 1;
        int success = e->reason == SMTPDX_R_DELIVERED ||
                      (e->reason == SMTPDX_R_UNDEFINED && e->cause != NULL &&
                       strcmp(e->cause, "informational") == 0) ||
                      e->reason == SMTPDX_R_VACATION ||
                      e->reason == SMTPDX_R_FEEDBACK;
        if (!id_ok)
            why = "id does not say its kind";
        else if (e->summary == NULL || !sentence_ok(e->summary))
            why = "no summary";
        else if (e->nsteps == 0)
            why = "no step";
        else if (e->nrefs == 0)
            why = "no reference";
        else if (e->cause == NULL || e->cause[0] == '\0')
            why = "no cause";
        else if (success != (e->retry == SMTPDX_RETRY_NONE))
            why = "retry 'none' must go with success, and only with it";
        else if (e->retry_after_s && e->give_up_after_s &&
                 e->give_up_after_s < e->retry_after_s)
            why = "gives up before the first retry";
        for (size_t s = 0; why == NULL && s < e->nsteps; s++)
            if (!sentence_ok(e->steps[s]))
                why = "a step that is not a sentence";
        for (size_t r = 0; why == NULL && r < e->nrefs; r++)
            if (!ref_ok(e->refs[r]))
                why = "a reference that is neither an RFC nor a URL";
        if (why != NULL) {
            printf("FAIL %s: %s\n", e->id, why);
            bad++;
        }
    }
    printf("lint: %zu entries, %d with problems\n", n, bad);
    assert_int_equal(bad, 0);
}

/* The "| `cause` | meaning |" rows of README's "## Causes" section. */
static size_t read_causes(char *buf, char **out, size_t max)
{
    size_t n = 0;
    char *p = strstr(buf, "\n## Causes\n");
    if (p == NULL)
        return 0;
    p++;
    while (p != NULL && *p != '\0') {
        char *nl = strchr(p, '\n');
        if (nl != NULL)
            *nl = '\0';
        if (starts_with(p, "## ") && !starts_with(p, "## Causes"))
            break;
        if (starts_with(p, "| `")) {
            char *start = p + 3;
            char *end = strchr(start, '`');
            if (end != NULL && n < max) {
                *end = '\0';
                out[n++] = start;
            }
        }
        p = nl ? nl + 1 : NULL;
    }
    return n;
}

static void test_cause_vocabulary(void **state)
{
    (void)state;
    char *buf = tu_read_file(README, NULL);
    static char *listed[MAX_CAUSES];
    int bad = 0;
    assert_non_null(buf);
    size_t nlisted = read_causes(buf, listed, MAX_CAUSES);
    assert_true(nlisted > 50);
    for (size_t i = 0; i < nlisted; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(listed[i], listed[j]) == 0) {
                printf("FAIL cause '%s' listed twice\n", listed[i]);
                bad++;
            }
    size_t n = smtpdx_kb_count();
    for (size_t i = 0; i < n; i++) {
        const smtpdx_kb_entry *e = smtpdx_kb_get(i);
        int found = 0;
        for (size_t j = 0; j < nlisted && !found; j++)
            found = strcmp(e->cause, listed[j]) == 0;
        if (!found) {
            printf("FAIL %s: cause '%s' is not in kb/README.md\n", e->id,
                   e->cause);
            bad++;
        }
    }
    for (size_t j = 0; j < nlisted; j++) {
        int used = 0;
        for (size_t i = 0; i < n && !used; i++)
            used = strcmp(smtpdx_kb_get(i)->cause, listed[j]) == 0;
        if (!used) {
            printf("FAIL cause '%s' is listed but no entry uses it\n",
                   listed[j]);
            bad++;
        }
    }
    printf("causes: %zu listed, %d problems\n", nlisted, bad);
    free(buf);
    assert_int_equal(bad, 0);
}

/* The capital of lower-case letter c in the scripts the phrases are
 * written in (Latin-1, Latin Extended-A, the Vietnamese letters, Greek,
 * Cyrillic), or 0 when c is none of those. */
static uint32_t capital(uint32_t c)
{
    if (c >= 0xe0 && c <= 0xfe && c != 0xf7)
        return c - 0x20;
    /* Latin Extended-A pairs the cases, the capital first, except in
     * two runs where the pairs start one later */
    if (c >= 0x100 && c <= 0x17e && c != 0x131 && c != 0x138 && c != 0x149) {
        int odd_capitals = (c >= 0x139 && c <= 0x148) || c >= 0x179;
        if ((c & 1) != (uint32_t)odd_capitals)
            return c - 1;
        return 0;
    }
    if (c >= 0x1ea1 && c <= 0x1ef9 && (c & 1))
        return c - 1;
    if (c >= 0x3b1 && c <= 0x3c9 && c != 0x3c2)
        return c - 0x20;
    if (c >= 0x430 && c <= 0x44f)
        return c - 0x20;
    if (c >= 0x450 && c <= 0x45f)
        return c - 0x50;
    return 0;
}

#define MAX_PHRASES 16384

static void test_capitalised_phrases(void **state)
{
    (void)state;
    static char *phrases[MAX_PHRASES];
    static char *bufs[64];
    size_t nph = 0, nbuf = 0;
    int bad = 0;
    DIR *d = opendir(SMTPDX_SOURCE_DIR "/kb");
    assert_non_null(d);
    struct dirent *de;
    while ((de = readdir(d)) != NULL && nbuf < 64) {
        size_t l = strlen(de->d_name);
        if (l < 4 || strcmp(de->d_name + l - 3, ".kb") != 0)
            continue;
        char path[512];
        snprintf(path, sizeof path, "%s/kb/%s", SMTPDX_SOURCE_DIR,
                 de->d_name);
        char *buf = tu_read_file(path, NULL);
        assert_non_null(buf);
        bufs[nbuf++] = buf;
        for (char *p = buf; p != NULL && *p != '\0';) {
            char *nl = strchr(p, '\n');
            if (nl != NULL)
                *nl = '\0';
            if (starts_with(p, "text: ") && nph < MAX_PHRASES)
                phrases[nph++] = p + 6;
            p = nl ? nl + 1 : NULL;
        }
    }
    closedir(d);
    assert_true(nph > 1000);
    size_t checked = 0;
    for (size_t i = 0; i < nph; i++) {
        const unsigned char *s = (const unsigned char *)phrases[i];
        uint32_t c, up;
        size_t k = sx_utf8_decode(s, strlen(phrases[i]), &c);
        if (k == 0 || (up = capital(c)) == 0)
            continue;
        checked++;
        char want[1024];
        size_t m = sx_utf8_encode(want, up);
        snprintf(want + m, sizeof want - m, "%s", phrases[i] + k);
        int found = 0;
        for (size_t j = 0; j < nph && !found; j++)
            found = strcmp(phrases[j], want) == 0;
        if (!found) {
            printf("FAIL phrase '%s' has no 'text: %s' beside it\n",
                   phrases[i], want);
            bad++;
        }
    }
    printf("phrases: %zu read, %zu open with a lower-case letter beyond "
           "ASCII, %d without their capitalised form\n", nph, checked, bad);
    for (size_t i = 0; i < nbuf; i++)
        free(bufs[i]);
    assert_true(checked > 10);
    assert_int_equal(bad, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_entries),
        cmocka_unit_test(test_cause_vocabulary),
        cmocka_unit_test(test_capitalised_phrases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
