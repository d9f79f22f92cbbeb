/*
 * kbc_check.c - the knowledge-base compiler's checks (see kbc.h).
 *
 * kbc_check_stanza() checks one stanza on its own and resolves its values
 * (codes, reasons, durations) for kbc_emit.c; kbc_check_all() checks what
 * spans stanzas: duplicate ids, provider references, two rules claiming
 * the same code. Problems go to kbc_err(); nothing here stops early, so one
 * run reports every problem it can.
 */
#include <string.h>

#include "kbc.h"

/* Valid UTF-8 (no overlong forms, surrogates or values past U+10FFFF)
 * without control characters other than tab. */
static int utf8_ok(const unsigned char *s)
{
    while (*s) {
        size_t n;
        unsigned c = *s;
        unsigned lo = 0x80, hi = 0xbf;  /* range of the second byte */
        if (c < 0x80) {
            if (c < 0x20 || c == 0x7f) {
                if (c != '\t')
                    return 0;
            }
            s++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf)
            n = 1;
        else if (c >= 0xe0 && c <= 0xef)
            n = 2;
        else if (c >= 0xf0 && c <= 0xf4)
            n = 3;
        else
            return 0;
        if (c == 0xe0)
            lo = 0xa0;
        else if (c == 0xed)
            hi = 0x9f;
        else if (c == 0xf0)
            lo = 0x90;
        else if (c == 0xf4)
            hi = 0x8f;
        if (s[1] < lo || s[1] > hi)
            return 0;
        for (size_t i = 2; i <= n; i++)
            if ((s[i] & 0xc0) != 0x80)
                return 0;
        s += n + 1;
    }
    return 1;
}

/* "550" (exact), "55x" (range), "5xx" (class); first digit 2-5. */
static int parse_code(const char *s, code_pat *out)
{
    if (strlen(s) != 3 || s[0] < '2' || s[0] > '5')
        return 0;
    unsigned base = (unsigned)(s[0] - '0') * 100;
    int x1 = kbc_lower((unsigned char)s[1]) == 'x';
    int x2 = kbc_lower((unsigned char)s[2]) == 'x';
    if (x1 && x2) {
        *out = (code_pat){base, base + 99, base / 100};
        return 1;
    }
    if (x1 || !kbc_is_digit((unsigned char)s[1]))
        return 0;
    base += (unsigned)(s[1] - '0') * 10;
    if (x2) {
        *out = (code_pat){base, base + 9, 0};
        return 1;
    }
    if (!kbc_is_digit((unsigned char)s[2]))
        return 0;
    base += (unsigned)(s[2] - '0');
    *out = (code_pat){base, base, 0};
    return 1;
}

/* "5.1.1", "X.1.1", "5.7.500-699", "X.7.x"; class 2/4/5/X, subject 0-7,
 * detail 0-999. spec: how specific it is (see sx_kb_key). */
static int parse_enh(const char *s, enh_pat *out)
{
    unsigned dspec;
    if (strlen(s) < 5 || s[1] != '.' || s[3] != '.')
        return 0;
    if (kbc_lower((unsigned char)s[0]) == 'x')
        out->cls = 0;
    else if (s[0] == '2' || s[0] == '4' || s[0] == '5')
        out->cls = (unsigned)(s[0] - '0');
    else
        return 0;
    if (s[2] < '0' || s[2] > '7')
        return 0;
    out->subject = (unsigned)(s[2] - '0');
    const char *d = s + 4;
    const char *dash = strchr(d, '-');
    if (kbc_ieq(d, "x")) {
        out->lo = 0;
        out->hi = 999;
        dspec = 1;
    } else if (dash != NULL) {
        long lo = kbc_number(d, (size_t)(dash - d), 999);
        long hi = kbc_number(dash + 1, strlen(dash + 1), 999);
        if (lo < 0 || hi < 0 || lo >= hi)
            return 0;
        out->lo = (unsigned)lo;
        out->hi = (unsigned)hi;
        dspec = 2;
    } else {
        long v = kbc_number(d, strlen(d), 999);
        if (v < 0)
            return 0;
        out->lo = out->hi = (unsigned)v;
        dspec = 3;
    }
    out->spec = dspec * 2 + (out->cls != 0);
    return 1;
}

/* "30s", "15m", "4h", "5d", "1h30m"; at most 400 days. */
static int parse_duration(const char *s, unsigned long *out)
{
    unsigned long total = 0;
    if (*s == '\0')
        return 0;
    while (*s) {
        unsigned long v = 0;
        size_t nd = 0;
        while (kbc_is_digit((unsigned char)*s) && nd < 7) {
            v = v * 10 + (unsigned long)(*s++ - '0');
            nd++;
        }
        if (nd == 0)
            return 0;
        switch (*s++) {
        case 's': break;
        case 'm': v *= 60; break;
        case 'h': v *= 3600; break;
        case 'd': v *= 86400; break;
        default: return 0;
        }
        total += v;
        if (total > 400ul * 86400ul)
            return 0;
    }
    *out = total;
    return 1;
}

/* What Hyperscan would refuse or what is surely a mistake; the full check
 * is the library's compile of the database, which the tests run. */
static const char *regex_problem(const char *re)
{
    int depth = 0;
    if (*re == '\0')
        return "empty regex";
    for (const char *p = re; *p; p++) {
        if (*p == '\\') {
            p++;
            if (*p == '\0')
                return "regex ends in a lone backslash";
            if ((*p >= '1' && *p <= '9') || *p == 'g' || *p == 'k')
                return "back-references are not supported";
        } else if (*p == '[') {
            p++;
            if (*p == '^')
                p++;
            if (*p == ']')
                p++;
            while (*p && *p != ']') {
                if (*p == '\\' && p[1])
                    p++;
                p++;
            }
            if (*p == '\0')
                return "unterminated [ in regex";
        } else if (*p == '(') {
            if (p[1] == '?' && (p[2] == '=' || p[2] == '!' || p[2] == '<'))
                return "look-around is not supported";
            depth++;
        } else if (*p == ')') {
            if (--depth < 0)
                return "unbalanced ) in regex";
        }
    }
    return depth ? "unbalanced ( in regex" : NULL;
}

static int ident_ok(const char *s, int allow_upper_dot)
{
    if (*s == '\0' || *s == '-' || *s == '.')
        return 0;
    for (; *s; s++) {
        int c = (unsigned char)*s;
        if (kbc_is_lower(c) || kbc_is_digit(c) || c == '-')
            continue;
        if (allow_upper_dot && (c == '.' || c == '_' || kbc_is_alnum(c)))
            continue;
        return 0;
    }
    return 1;
}

static void need(stanza *st, item *it, const char *key)
{
    if (it->s == NULL)
        kbc_err(st->file, st->line, "entry '%s' has no '%s:'", st->id.s, key);
    else if (it->s[0] == '\0')
        kbc_err(st->file, it->line, "'%s:' has an empty value", key);
}

static void check_values_utf8(stanza *st)
{
    for (size_t i = 0; i < KBC_NKEYS; i++) {
        if (kbc_keys[i].is_list) {
            list *l = (list *)((char *)st + kbc_keys[i].off);
            for (size_t j = 0; j < l->n; j++) {
                if (l->v[j].s[0] == '\0')
                    kbc_err(st->file, l->v[j].line, "'%s:' has an empty value",
                        kbc_keys[i].name);
                else if (!utf8_ok((unsigned char *)l->v[j].s))
                    kbc_err(st->file, l->v[j].line,
                        "'%s:' holds invalid UTF-8 or a control character",
                        kbc_keys[i].name);
            }
        } else {
            item *it = (item *)((char *)st + kbc_keys[i].off);
            if (it->s && !utf8_ok((unsigned char *)it->s))
                kbc_err(st->file, it->line,
                    "'%s:' holds invalid UTF-8 or a control character",
                    kbc_keys[i].name);
        }
    }
}

static void check_provider(stanza *st)
{
    if (!ident_ok(st->id.s, 0))
        kbc_err(st->file, st->line, "bad provider id '%s' (lower case, digits, "
            "dashes)", st->id.s);
    need(st, &st->name, "name");
    if (st->host.n == 0 && st->marker.n == 0)
        kbc_err(st->file, st->line, "provider '%s' has neither 'host:' nor "
            "'marker:'", st->id.s);
    for (size_t i = 0; i < st->host.n; i++) {
        char *h = st->host.v[i].s;
        if (*h == '.')
            memmove(h, h + 1, strlen(h));
        for (char *p = h; *p; p++)
            *p = (char)kbc_lower((unsigned char)*p);
        size_t hl = strlen(h);
        if (hl == 0 || h[hl - 1] == '.' || strspn(h,
            "abcdefghijklmnopqrstuvwxyz0123456789.-") != hl)
            kbc_err(st->file, st->host.v[i].line, "bad host suffix '%s'", h);
    }
    for (size_t i = 0; i < st->marker.n; i++)
        if (strlen(st->marker.v[i].s) < 3)
            kbc_err(st->file, st->marker.v[i].line, "marker shorter than 3 "
                "characters would match almost anything");
}

static void check_rule(stanza *st)
{
    int has_text = st->text.n + st->regex.n > 0;
    if (!ident_ok(st->id.s, 1))
        kbc_err(st->file, st->line, "bad id '%s' (letters, digits, '.', '_', "
            "'-')", st->id.s);
    if (has_text) {
        st->kind = K_TEXT;
        if (st->basic.s)
            kbc_err(st->file, st->basic.line, "'basic:' belongs to code rules; "
                "limit a text rule with 'code:'");
    } else if (st->enhanced.n) {
        st->kind = K_ENH;
        if (st->basic.s)
            kbc_err(st->file, st->basic.line, "a rule explains an enhanced code "
                "or a basic code, not both");
    } else if (st->basic.s) {
        code_pat cp;
        st->kind = K_CODE;
        if (!parse_code(st->basic.s, &cp) || (cp.cls == 0 && cp.lo != cp.hi))
            kbc_err(st->file, st->basic.line, "invalid code pattern '%s' for "
                "'basic:' (a code like 550 or a class like 5xx)", st->basic.s);
        else {
            st->kind = cp.cls ? K_CLASS : K_CODE;
            st->codes = kbc_realloc(NULL, sizeof(code_pat));
            st->codes[0] = cp;
            st->ncodes = 1;
        }
    } else if (st->code.n) {
        st->kind = -1;
        kbc_err(st->file, st->code.v[0].line, "'code:' only limits a text rule; "
            "a rule that explains a basic code says so with 'basic:'");
    } else {
        st->kind = -1;
        kbc_err(st->file, st->line, "rule '%s' has no match condition ('text:', "
            "'regex:', 'enhanced:' or 'basic:')", st->id.s);
    }
    if (st->kind != K_TEXT && st->kind >= 0 && st->code.n)
        kbc_err(st->file, st->code.v[0].line, "'code:' limits a text rule; a code "
            "rule says what it explains with 'basic:'");
    if (st->kind != K_TEXT && st->priority.s)
        kbc_err(st->file, st->priority.line, "'priority:' only orders text rules");

    if (st->kind == K_TEXT && st->code.n) {
        st->codes = kbc_realloc(NULL, st->code.n * sizeof(code_pat));
        for (size_t i = 0; i < st->code.n; i++)
            if (!parse_code(st->code.v[i].s, &st->codes[st->ncodes++]))
                kbc_err(st->file, st->code.v[i].line, "invalid code pattern '%s' "
                    "(550, 55x or 5xx)", st->code.v[i].s);
    }
    if (st->enhanced.n) {
        st->enh = kbc_realloc(NULL, st->enhanced.n * sizeof(enh_pat));
        for (size_t i = 0; i < st->enhanced.n; i++)
            if (!parse_enh(st->enhanced.v[i].s, &st->enh[st->nenh++]))
                kbc_err(st->file, st->enhanced.v[i].line, "invalid enhanced code "
                    "pattern '%s' (5.1.1, X.1.1, 5.7.500-699 or 5.7.x)",
                    st->enhanced.v[i].s);
    }
    for (size_t i = 0; i < st->text.n; i++) {
        if (strlen(st->text.v[i].s) < 3)
            kbc_err(st->file, st->text.v[i].line, "phrase shorter than 3 "
                "characters would match almost anything");
        for (size_t j = 0; j < i; j++)
            if (kbc_ieq(st->text.v[i].s, st->text.v[j].s))
                kbc_err(st->file, st->text.v[i].line, "phrase repeated (line %d)",
                    st->text.v[j].line);
    }
    for (size_t i = 0; i < st->regex.n; i++) {
        const char *why = regex_problem(st->regex.v[i].s);
        if (why)
            kbc_err(st->file, st->regex.v[i].line, "%s", why);
    }

    need(st, &st->reason, "reason");
    need(st, &st->cause, "cause");
    need(st, &st->who, "who");
    need(st, &st->retry, "retry");
    need(st, &st->summary, "summary");
    if (st->step.n == 0)
        kbc_err(st->file, st->line, "entry '%s' has no 'step:'", st->id.s);

    st->reason_ix = st->reason.s ?
        kbc_word_index(kbc_reasons, NELEM(kbc_reasons), st->reason.s) : 0;
    if (st->reason_ix < 0)
        kbc_err(st->file, st->reason.line, "unknown reason '%s' (see the list in "
            "include/smtpdx.h)", st->reason.s);
    st->also_ix = kbc_realloc(NULL, (st->also.n * 8 + 1) * sizeof(int));
    for (size_t i = 0; i < st->also.n; i++) {
        char *p = st->also.v[i].s;
        while (*p) {
            char *e = p + strcspn(p, " ,\t");
            char save = *e;
            *e = '\0';
            if (*p) {
                int ix = kbc_word_index(kbc_reasons, NELEM(kbc_reasons), p);
                if (ix < 0)
                    kbc_err(st->file, st->also.v[i].line, "unknown reason '%s'", p);
                else if (st->nalso < st->also.n * 8)
                    st->also_ix[st->nalso++] = ix;
                else
                    kbc_err(st->file, st->also.v[i].line, "more than 8 "
                        "reasons on one 'also-reason:' line; split it");
            }
            *e = save;
            p = e + (save != '\0');
        }
    }
    if (st->cause.s && st->cause.s[0] && !ident_ok(st->cause.s, 0))
        kbc_err(st->file, st->cause.line, "bad cause '%s' (lower case, digits, "
            "dashes)", st->cause.s);
    st->temp = -1;
    if (st->temporary.s) {
        int t = kbc_word_index((const char *const[]){"no", "yes", "class"}, 3,
                           st->temporary.s);
        if (t < 0)
            kbc_err(st->file, st->temporary.line, "bad temporary '%s' (yes, no or "
                "class)", st->temporary.s);
        st->temp = t == 2 ? -1 : t;
    }
    if (st->who.s && (st->who_ix = kbc_word_index(kbc_who_words, NELEM(kbc_who_words),
                                              st->who.s)) < 0)
        kbc_err(st->file, st->who.line, "bad who '%s' (nobody, sender, "
            "sender-admin, recipient-admin, recipient)", st->who.s);
    if (st->retry.s && (st->retry_ix = kbc_word_index(kbc_retry_words,
                                                  NELEM(kbc_retry_words),
                                                  st->retry.s)) < 0)
        kbc_err(st->file, st->retry.line, "bad retry '%s' (retry, do-not-retry, "
            "fix-then-retry, none)", st->retry.s);
    if (st->retry_after.s && !parse_duration(st->retry_after.s, &st->ra))
        kbc_err(st->file, st->retry_after.line, "bad duration '%s' (like 30s, "
            "15m, 4h, 5d, 1h30m; at most 400d)", st->retry_after.s);
    if (st->give_up.s && !parse_duration(st->give_up.s, &st->gu))
        kbc_err(st->file, st->give_up.line, "bad duration '%s' (like 30s, 15m, "
            "4h, 5d, 1h30m; at most 400d)", st->give_up.s);
    if (st->priority.s) {
        const char *p = st->priority.s;
        long v = kbc_number(p + (*p == '-'), strlen(p) - (*p == '-'), 1000);
        if (v < 0)
            kbc_err(st->file, st->priority.line, "bad priority '%s' (a whole "
                "number from -1000 to 1000)", p);
        st->prio = (int)(*p == '-' ? -v : v);
    }
}

/* Checks across all files: duplicate ids, provider references and two
 * code rules claiming the same code. */
void kbc_check_all(void)
{
    for (size_t i = 0; i < kbc_nall; i++) {
        stanza *a = kbc_all[i];
        for (size_t j = 0; j < i; j++) {
            stanza *b = kbc_all[j];
            if (a->is_provider == b->is_provider && strcmp(a->id.s, b->id.s) == 0) {
                kbc_err(a->file, a->line, "duplicate %s id '%s' (first at %s:%d)",
                    a->is_provider ? "provider" : "entry", a->id.s, b->file,
                    b->line);
                break;
            }
        }
        if (a->is_provider || a->provider.s == NULL)
            continue;
        size_t np = 0;
        for (size_t j = 0; j < kbc_nall; j++) {
            if (kbc_all[j]->is_provider) {
                if (strcmp(kbc_all[j]->id.s, a->provider.s) == 0)
                    a->prov_ix = (int)np;
                np++;
            }
        }
        if (a->prov_ix < 0)
            kbc_err(a->file, a->provider.line, "unknown provider id '%s'",
                a->provider.s);
    }
    for (size_t i = 0; i < kbc_nall; i++) {
        stanza *a = kbc_all[i];
        if (a->is_provider || a->kind == K_TEXT)
            continue;
        for (size_t j = 0; j < i; j++) {
            stanza *b = kbc_all[j];
            if (b->is_provider || b->kind != a->kind || b->prov_ix != a->prov_ix)
                continue;
            for (size_t x = 0; x < a->nenh; x++)
                for (size_t y = 0; y < b->nenh; y++)
                    if (memcmp(&a->enh[x], &b->enh[y], sizeof(enh_pat)) == 0)
                        kbc_err(a->file, a->enhanced.v[x].line, "enhanced code "
                            "'%s' is already explained by '%s' (%s:%d)",
                            a->enhanced.v[x].s, b->id.s, b->file, b->line);
            if (a->ncodes && b->ncodes && a->kind != K_TEXT &&
                a->codes[0].lo == b->codes[0].lo &&
                a->codes[0].hi == b->codes[0].hi)
                kbc_err(a->file, a->basic.line, "code '%s' is already explained "
                    "by '%s' (%s:%d)", a->basic.s, b->id.s, b->file, b->line);
        }
    }
}

void kbc_check_stanza(stanza *st)
{
    check_values_utf8(st);
    if (st->is_provider)
        check_provider(st);
    else
        check_rule(st);
}
