/*
 * kbc.c - the knowledge-base compiler (a build-time host tool).
 *
 * Usage: smtpdx-kbc [-o kb_tables.c] FILE.kb...
 *
 * Reads knowledge-base files in the format of kb/README.md, checks them
 * strictly (kbc_check.c) and writes the C tables declared in
 * src/lib/kb/kb_tables.h (kbc_emit.c). Every problem is reported as
 * "file:line: message" on stderr, in file and line order, and makes the
 * tool exit 1 without leaving an output file, so a bad entry stops the
 * build. Files are read in name order and the output depends only on their
 * contents: two runs over the same files give identical bytes.
 *
 * Plain C11 with no dependencies: it runs on the build host before the
 * library exists.
 */
#include <errno.h>
#include <sys/stat.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kbc.h"

/* ------------------------------------------------------------ vocabulary */

const char *const kbc_reasons[36] = {
    "UNDEFINED", "USERUNKNOWN", "HOSTUNKNOWN", "HASMOVED", "NOTACCEPT",
    "MAILBOXFULL", "SUSPEND", "SYSTEMFULL", "SYSTEMERROR", "MAILERERROR",
    "MESGTOOBIG", "EXCEEDLIMIT", "NORELAYING", "BLOCKED", "BADREPUTATION",
    "REQUIREPTR", "AUTHFAILURE", "REJECTED", "POLICYVIOLATION",
    "SECURITYERROR", "FAILEDSTARTTLS", "SPAMDETECTED", "VIRUSDETECTED",
    "CONTENTERROR", "NOTCOMPLIANTRFC", "FILTERED", "SPEEDING", "TOOMANYCONN",
    "SYNTAXERROR", "NETWORKERROR", "EXPIRED", "ONHOLD", "SUPPRESSED",
    "VACATION", "FEEDBACK", "DELIVERED",
};
const char *const kbc_who_words[5] = {
    "nobody", "sender", "sender-admin", "recipient-admin", "recipient",
};
const char *const kbc_who_consts[5] = {
    "SMTPDX_WHO_NOBODY", "SMTPDX_WHO_SENDER", "SMTPDX_WHO_SENDER_ADMIN",
    "SMTPDX_WHO_RECIPIENT_ADMIN", "SMTPDX_WHO_RECIPIENT",
};
const char *const kbc_retry_words[4] = {
    "none", "retry", "do-not-retry", "fix-then-retry",
};
const char *const kbc_retry_consts[4] = {
    "SMTPDX_RETRY_NONE", "SMTPDX_RETRY_YES", "SMTPDX_RETRY_NO",
    "SMTPDX_RETRY_AFTER_FIX",
};
const char *const kbc_kind_words[4] = {"text", "enhanced", "code", "class"};
const char *const kbc_kind_consts[4] = {
    "SX_KB_TEXT", "SX_KB_ENHANCED", "SX_KB_CODE", "SX_KB_CLASS",
};

#define KI(n, f, w) {n, offsetof(stanza, f), 0, w}
#define KL(n, f, w) {n, offsetof(stanza, f), 1, w}
const keydef kbc_keys[] = {
    KI("id", id, W_RULE), KL("text", text, W_RULE), KL("regex", regex, W_RULE),
    KL("code", code, W_RULE), KL("enhanced", enhanced, W_RULE),
    KI("basic", basic, W_RULE), KI("reason", reason, W_RULE),
    KL("also-reason", also, W_RULE), KI("cause", cause, W_RULE),
    KI("temporary", temporary, W_RULE), KI("who", who, W_RULE),
    KI("retry", retry, W_RULE), KI("retry-after", retry_after, W_RULE),
    KI("give-up-after", give_up, W_RULE), KI("summary", summary, W_RULE),
    KL("step", step, W_RULE), KL("ref", ref, W_RULE | W_PROV),
    KI("priority", priority, W_RULE), KI("name", name, W_PROV),
    KL("host", host, W_PROV), KL("marker", marker, W_PROV),
    /* "provider" opens a provider stanza and limits a rule; see set_key() */
    KI("provider", provider, W_RULE),
};
const size_t kbc_nkeys = NELEM(kbc_keys);

stanza **kbc_all;
size_t kbc_nall;
static size_t capall;

/* -------------------------------------------------------------- errors */

typedef struct kbc_error {
    const char *file;
    int line;
    size_t seq;  /* keeps the order of errors on one line */
    char msg[480];
} kbc_error;

static kbc_error *errs;
static size_t nerrs, caperrs;

void kbc_err(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    if (nerrs == caperrs) {
        caperrs = caperrs ? caperrs * 2 : 16;
        errs = kbc_realloc(errs, caperrs * sizeof(*errs));
    }
    kbc_error *e = &errs[nerrs];
    e->file = file;
    e->line = line;
    e->seq = nerrs++;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
    va_end(ap);
}

static int err_cmp(const void *pa, const void *pb)
{
    const kbc_error *a = pa, *b = pb;
    int c = strcmp(a->file, b->file);
    if (c != 0)
        return c;
    if (a->line != b->line)
        return a->line < b->line ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

int kbc_errors_flush(void)
{
    if (nerrs > 1) /* errs is NULL when there are none: qsort wants a pointer */
        qsort(errs, nerrs, sizeof(*errs), err_cmp);
    for (size_t i = 0; i < nerrs && i < KBC_MAX_ERRORS; i++)
        fprintf(stderr, "%s:%d: %s\n", errs[i].file, errs[i].line,
                errs[i].msg);
    if (nerrs > KBC_MAX_ERRORS)
        fprintf(stderr, "smtpdx-kbc: ... and %zu more errors\n",
                nerrs - KBC_MAX_ERRORS);
    return (int)nerrs;
}

/* ----------------------------------------------------------- utilities */

void *kbc_realloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (q == NULL) {
        fprintf(stderr, "smtpdx-kbc: out of memory\n");
        exit(1);
    }
    return q;
}

char *kbc_strndup(const char *s, size_t n)
{
    char *d = kbc_realloc(NULL, n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

int kbc_ieq(const char *a, const char *b)
{
    while (*a && kbc_lower((unsigned char)*a) == kbc_lower((unsigned char)*b)) {
        a++;
        b++;
    }
    return *a == '\0' && *b == '\0';
}

int kbc_word_index(const char *const *words, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (kbc_ieq(words[i], s))
            return (int)i;
    return -1;
}

long kbc_number(const char *s, size_t n, long max)
{
    long v = 0;
    if (n == 0 || n > 9)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (!kbc_is_digit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v <= max ? v : -1;
}

/* ------------------------------------------------------------- reading */

static void list_add(list *l, char *s, int line)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 4;
        l->v = kbc_realloc(l->v, l->cap * sizeof(item));
    }
    l->v[l->n].s = s;
    l->v[l->n].line = line;
    l->n++;
}

static stanza *stanza_open(const char *file, const char *base, int line)
{
    stanza *st = kbc_realloc(NULL, sizeof(*st));
    memset(st, 0, sizeof(*st));
    st->file = file;
    st->base = base;
    st->line = line;
    st->prov_ix = -1;
    if (kbc_nall == capall) {
        capall = capall ? capall * 2 : 64;
        kbc_all = kbc_realloc(kbc_all, capall * sizeof(*kbc_all));
    }
    kbc_all[kbc_nall++] = st;
    return st;
}

/* Store one "key: value" line; returns the item a continuation extends. */
static item *set_key(stanza *st, const char *key, char *val, int line)
{
    const keydef *kd = NULL;
    if (strcmp(key, "provider") == 0 && st->is_provider) {
        kbc_err(st->file, line, "'provider:' appears twice in a provider stanza");
        return NULL;
    }
    for (size_t i = 0; i < KBC_NKEYS; i++)
        if (strcmp(kbc_keys[i].name, key) == 0)
            kd = &kbc_keys[i];
    if (kd == NULL) {
        kbc_err(st->file, line, "unknown key '%s'", key);
        return NULL;
    }
    if (!(kd->where & (st->is_provider ? W_PROV : W_RULE))) {
        kbc_err(st->file, line, "key '%s' does not belong in a %s stanza", key,
            st->is_provider ? "provider" : "rule");
        return NULL;
    }
    if (kd->is_list) {
        list *l = (list *)((char *)st + kd->off);
        if (l->n >= KBC_MAX_ITEMS) {
            kbc_err(st->file, line, "more than %u '%s' lines", KBC_MAX_ITEMS, key);
            return NULL;
        }
        list_add(l, val, line);
        return &l->v[l->n - 1];
    }
    item *it = (item *)((char *)st + kd->off);
    if (it->s != NULL) {
        kbc_err(st->file, line, "key '%s' given twice (first on line %d)", key,
            it->line);
        return NULL;
    }
    it->s = val;
    it->line = line;
    return it;
}

static int is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t')
            return 0;
    return 1;
}

static void trim(const char **s, size_t *n)
{
    while (*n && (**s == ' ' || **s == '\t')) {
        (*s)++;
        (*n)--;
    }
    while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
        (*n)--;
}

static void read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (f == NULL) {
        kbc_err(path, 0, "cannot open: %s", strerror(errno));
        return;
    }
    char *buf = kbc_realloc(NULL, KBC_MAX_FILE + 1);
    size_t len = fread(buf, 1, KBC_MAX_FILE + 1, f);
    int rerr = ferror(f);
    fclose(f);
    if (rerr || len > KBC_MAX_FILE || memchr(buf, '\0', len) != NULL) {
        kbc_err(path, 0, "%s", rerr ? "read error"
                : len > KBC_MAX_FILE ? "file larger than the limit (8 MiB)"
                : "file holds a NUL byte");
        free(buf);
        return;
    }
    buf[len] = '\0';

    stanza *st = NULL;
    item *last = NULL;
    int lineno = 0;
    for (size_t pos = 0; pos < len;) {
        const char *ln = buf + pos;
        const char *nl = memchr(ln, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - ln) : len - pos;
        pos += n + (nl != NULL);
        lineno++;
        if (n && ln[n - 1] == '\r')
            n--;
        if (n && ln[0] == '#')
            continue;
        if (is_blank(ln, n)) {
            st = NULL;
            last = NULL;
            continue;
        }
        if (ln[0] == ' ' || ln[0] == '\t') {
            if (st == NULL || last == NULL) {
                kbc_err(path, lineno, "continuation line without a key before it");
                continue;
            }
            trim(&ln, &n);
            size_t old = strlen(last->s);
            if (old + 1 + n > KBC_MAX_VALUE) {
                kbc_err(path, lineno, "value longer than %u bytes", KBC_MAX_VALUE);
                continue;
            }
            last->s = kbc_realloc(last->s, old + n + 2);
            if (old)
                last->s[old++] = ' ';
            memcpy(last->s + old, ln, n);
            last->s[old + n] = '\0';
            continue;
        }
        size_t k = 0;
        while (k < n && (kbc_is_lower((unsigned char)ln[k]) || ln[k] == '-'))
            k++;
        if (k == 0 || k >= n || ln[k] != ':') {
            kbc_err(path, lineno, "expected 'key: value'");
            last = NULL;
            continue;
        }
        char key[32];
        if (k >= sizeof(key)) {
            kbc_err(path, lineno, "unknown key '%.*s'", (int)k, ln);
            last = NULL;
            continue;
        }
        memcpy(key, ln, k);
        key[k] = '\0';
        const char *v = ln + k + 1;
        size_t vn = n - k - 1;
        trim(&v, &vn);
        if (vn > KBC_MAX_VALUE) {
            kbc_err(path, lineno, "value longer than %u bytes", KBC_MAX_VALUE);
            last = NULL;
            continue;
        }
        if (st == NULL) {
            if (strcmp(key, "id") != 0 && strcmp(key, "provider") != 0) {
                kbc_err(path, lineno,
                    "an entry must start with 'id:' or 'provider:', not '%s:'",
                    key);
                last = NULL;
                continue;
            }
            st = stanza_open(path, base, lineno);
            if (strcmp(key, "provider") == 0) {
                st->is_provider = 1;
                st->id.s = kbc_strndup(v, vn);
                st->id.line = lineno;
                last = &st->id;
                continue;
            }
        } else if (strcmp(key, "id") == 0) {
            kbc_err(path, lineno, "'id:' must be the first line of an entry; "
                "is a blank line missing above?");
            last = NULL;
            continue;
        }
        char *val = kbc_strndup(v, vn);
        last = set_key(st, key, val, lineno);
        if (last == NULL)
            free(val);
    }
    free(buf);
}

/* Give everything back, so that leak checkers (the sanitizer build runs
 * this tool too) see a clean exit. */
static void free_all(void)
{
    for (size_t i = 0; i < kbc_nall; i++) {
        stanza *st = kbc_all[i];
        for (size_t k = 0; k < kbc_nkeys; k++) {
            if (kbc_keys[k].is_list) {
                list *l = (list *)((char *)st + kbc_keys[k].off);
                for (size_t j = 0; j < l->n; j++)
                    free(l->v[j].s);
                free(l->v);
            } else {
                free(((item *)((char *)st + kbc_keys[k].off))->s);
            }
        }
        free(st->codes);
        free(st->enh);
        free(st->also_ix);
        free(st);
    }
    free(kbc_all);
    free(errs);
}

/* Write beside the target and rename, so that a failed run never leaves a
 * half-written file that make would take as up to date. A target that is
 * there and no regular file (/dev/null, a pipe) is written in place: a
 * rename would put a file where the device or pipe was. */
static int write_out(const char *out, char **files, int nfiles)
{
    struct stat sb;
    int direct = stat(out, &sb) == 0 && !S_ISREG(sb.st_mode);
    size_t ol = strlen(out);
    char *tmp = kbc_realloc(NULL, ol + 5);
    int rc = 1;
    memcpy(tmp, out, ol);
    memcpy(tmp + ol, direct ? "" : ".tmp", direct ? 1 : 5);
    FILE *o = fopen(tmp, "w");
    if (o == NULL) {
        fprintf(stderr, "smtpdx-kbc: %s: %s\n", tmp, strerror(errno));
    } else {
        kbc_emit(o, files, nfiles);
        if (ferror(o) | fclose(o) || (!direct && rename(tmp, out) != 0)) {
            fprintf(stderr, "smtpdx-kbc: %s: %s\n", out, strerror(errno));
            if (!direct)
                remove(tmp);
        } else {
            rc = 0;
        }
    }
    free(tmp);
    return rc;
}

static int path_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void usage(void)
{
    fputs("usage: smtpdx-kbc [-o OUTPUT.c] FILE.kb...\n"
          "Checks knowledge-base files and writes them as C tables "
          "(stdout without -o).\n", stderr);
    exit(2);
}

int main(int argc, char **argv)
{
    const char *out = NULL;
    int i = 1;
    if (i < argc && strcmp(argv[i], "-o") == 0) {
        if (i + 1 >= argc)
            usage();
        out = argv[i + 1];
        i += 2;
    }
    if (i >= argc || argv[i][0] == '-')
        usage();
    char **files = argv + i;
    int nfiles = argc - i;
    qsort(files, (size_t)nfiles, sizeof(char *), path_cmp);
    for (int f = 0; f < nfiles; f++)
        read_file(files[f]);
    for (size_t s = 0; s < kbc_nall; s++)
        kbc_check_stanza(kbc_all[s]);
    kbc_check_all();
    int rc = 0, nerr = kbc_errors_flush();
    if (nerr) {
        fprintf(stderr, "smtpdx-kbc: %d error%s, no output written\n", nerr,
                nerr == 1 ? "" : "s");
        rc = 1;
    } else if (out == NULL) {
        kbc_emit(stdout, files, nfiles);
        rc = fflush(stdout) == 0 ? 0 : 1;
    } else {
        rc = write_out(out, files, nfiles);
    }
    free_all();
    return rc;
}
