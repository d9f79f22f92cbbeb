/*
 * fzcheck_main.c - the harnesses' output checkers as a command, for shell
 * tests (built as smtpdx-fzcheck, never installed):
 *   smtpdx-fzcheck ndjson FILE...  every line one valid JSON value, the
 *                                  file ends with a newline
 *   smtpdx-fzcheck json FILE...    each file is one JSON text (or empty)
 *   smtpdx-fzcheck text FILE...    no terminal control bytes
 *   smtpdx-fzcheck selftest        the checkers against known answers
 * FILE "-" is stdin. Exit 0 when all pass, 1 on the first fault (said on
 * stderr with its place), 2 on usage or read errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

static char *slurp(const char *path, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (f == NULL)
        return NULL;
    char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (cap - n < 65536) {
            char *nb = realloc(buf, cap = cap ? cap * 2 : 65536);
            if (nb == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    if (buf != NULL && ferror(f)) {
        free(buf);
        buf = NULL;
    }
    if (f != stdin)
        fclose(f);
    *len = n;
    return buf;
}

static const struct {
    const char *text;
    int valid;
} json_cases[] = {
    {"{}", 1},
    {"[1,-0.5e+3,\"a\\u00e9\\ud83d\\ude00\",true,false,null]", 1},
    {"{\"a\":{\"b\":[]}} ", 1},
    {"\"caf\xc3\xa9\"", 1},
    {"", 0},
    {"{", 0},
    {"{\"a\":1,}", 0},
    {"[01]", 0},
    {"\"\x01\"", 0},
    {"\"\xff\"", 0},
    {"\"\xc0\xaf\"", 0},       /* overlong */
    {"\"\xed\xa0\x80\"", 0},   /* surrogate in UTF-8 */
    {"\"\\ud800\"", 0},        /* unpaired surrogate escape */
    {"\"\\x41\"", 0},
    {"{} {}", 0},
    {"NaN", 0},
};

static int selftest(void)
{
    int bad = 0;
    for (size_t i = 0; i < sizeof json_cases / sizeof *json_cases; i++) {
        const char *t = json_cases[i].text;
        if (fz_json_valid(t, strlen(t), NULL) != json_cases[i].valid) {
            fprintf(stderr, "selftest: json case %zu (%s) wrong\n", i, t);
            bad = 1;
        }
    }
    if (!fz_json_lines_valid("{}\n[]\n", 6, NULL) ||
        fz_json_lines_valid("{}\n[", 4, NULL) ||
        fz_json_lines_valid("{}\n{}", 5, NULL))
        bad = 1, fprintf(stderr, "selftest: json lines wrong\n");
    if (!fz_text_safe("a\tb\n\xc3\xa9", 6, NULL) ||
        fz_text_safe("\x1b[31m", 5, NULL) ||
        fz_text_safe("a\xc2\x9b" "31m", 6, NULL) ||
        fz_text_safe("a\x9b", 2, NULL) || fz_text_safe("\r", 1, NULL) ||
        fz_text_safe("\x7f", 1, NULL))
        bad = 1, fprintf(stderr, "selftest: text safety wrong\n");
    fprintf(stderr, "selftest: %s\n", bad ? "FAILED" : "passed");
    return bad;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "selftest") == 0)
        return selftest();
    if (argc < 3) {
        fprintf(stderr, "usage: smtpdx-fzcheck ndjson|json|text FILE...\n");
        return 2;
    }
    const char *mode = argv[1];
    if (strcmp(mode, "ndjson") && strcmp(mode, "json") && strcmp(mode, "text")) {
        fprintf(stderr, "smtpdx-fzcheck: unknown mode '%s'\n", mode);
        return 2;
    }
    for (int i = 2; i < argc; i++) {
        size_t len = 0, where = 0;
        char *s = slurp(argv[i], &len);
        int ok;
        if (s == NULL) {
            fprintf(stderr, "smtpdx-fzcheck: %s: cannot read\n", argv[i]);
            return 2;
        }
        if (strcmp(mode, "ndjson") == 0)
            ok = fz_json_lines_valid(s, len, &where);
        else if (strcmp(mode, "json") == 0)
            ok = len == 0 || fz_json_valid(s, len, &where);
        else
            ok = fz_text_safe(s, len, &where);
        free(s);
        if (!ok) {
            fprintf(stderr, "smtpdx-fzcheck: %s: not valid %s at %s %zu\n",
                    argv[i], mode, strcmp(mode, "ndjson") ? "byte" : "line",
                    where);
            return 1;
        }
    }
    return 0;
}
