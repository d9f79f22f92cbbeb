/*
 * test_bounce_corpus.c - smtpdx_bounce_parse over the shared bounce
 * corpus, scored against its expected.jsonl.
 *
 * Rows are paired by file and recipient order (index 1 = our first
 * record). Four scores, each over all rows, with floors the build must
 * meet: recipients found (99%), reason (97%), deliverystatus (98%) and
 * hardbounce (98%) agreement; and, over the rows whose expectation names
 * the decoder that read them, smtpagent agreement (85%), since consumers
 * of Sisimai's output sort by it. The test prints the scores per family (the
 * file name without its number) and every disagreement, so that a change
 * that helps one family and hurts another shows. It also checks that the
 * CRLF (dos/) and CR-only (mac/) copies give the same records as their
 * LF originals, that each bounce forwarded by a person as an attachment
 * gives the same records as the bounce itself (a help desk is handed
 * notices that way), and reads every other file of the corpus (non-bounces,
 * mboxes of 0, 1 and 3 bytes, debug cases) to prove nothing crashes or
 * hangs; non-bounces must give no record.
 *
 * expected.jsonl holds another tool's answers, not ground truth. Where it
 * is surely wrong the case is listed in `known[]` below with the reason;
 * it is still counted and printed, never hidden.
 * Skips (77) when ../shared is absent.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "bounce/bounce.h"
#include "smtpdx.h"
#include "testutil.h"

/* A recipient the other tool writes when a report names none. */
#define PLACEHOLDER "undisclosed-recipient-in-headers@libsisimai.org.invalid"

/* Expectations we believe wrong, with why. Still counted. */
static const struct {
    const char *file;
    int index;
    const char *field;
    const char *why;
} known[] = {
    {"lhost-postfix-07.eml", 1, "reason",
     "'550 <user>: User unknown' with no command stated is a plain unknown "
     "user (userunknown, hard); nothing says it came after DATA"},
    {"lhost-qmail-25.eml", 1, "reason",
     "the notice lists two recipients (a full mailbox, then an unknown "
     "user); the expectation has only the second, as if it were first"},
    {"lhost-qmail-25.eml", 1, "status", "the same row as above"},
    {"lhost-qmail-25.eml", 1, "hard", "the same row as above"},
    {"lhost-apachejames-01.eml", 1, "recipient",
     "the expected address has eleven zeros; the only address in the "
     "message has twelve: a slip in the expectation"},
    {NULL, 0, NULL, NULL},
};

typedef struct row {
    char file[256];
    int index;
    char recipient[256], status[24], reason[32], ftype[32], family[256];
    char decodedby[32];
    int hard, has_rcpt;
} row;

typedef struct got {
    char recipient[256], status[24], reason[32], ftype[32], diag[160];
    char agent[32];
    int hard;
} got;

typedef struct result {
    char file[256];
    got *g;
    size_t n;
    int status; /* smtpdx_bounce_parse's */
} result;

/* ------------------------------------------------------------- tiny JSON */

/* The value of "key" in a flat JSON object line: a string (escapes \" \\
 * only, enough for this file), true/false or a number. */
static int jget(const char *line, const char *key, char *out, size_t cap)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(line, pat);
    if (p == NULL)
        return 0;
    p += strlen(pat);
    while (*p == ' ')
        p++;
    size_t n = 0;
    if (*p == '"') {
        for (p++; *p && *p != '"' && n + 1 < cap; p++) {
            if (*p == '\\' && p[1])
                p++;
            out[n++] = *p;
        }
    } else {
        while (*p && *p != ',' && *p != '}' && n + 1 < cap)
            out[n++] = *p++;
    }
    out[n] = '\0';
    return 1;
}

static row *load_expected(const char *path, size_t *nrows)
{
    size_t len;
    char *buf = tu_read_file(path, &len);
    assert_non_null(buf);
    size_t cap = 1024, n = 0;
    row *rows = calloc(cap, sizeof *rows);
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
        if (n == cap) {
            cap *= 2;
            rows = realloc(rows, cap * sizeof *rows);
        }
        row *r = &rows[n];
        memset(r, 0, sizeof *r);
        char tmp[256];
        jget(line, "file", tmp, sizeof tmp);
        snprintf(r->file, sizeof r->file, "%s", tmp);
        jget(line, "index", tmp, sizeof tmp);
        r->index = atoi(tmp);
        r->has_rcpt = jget(line, "recipient", r->recipient,
                           sizeof r->recipient) &&
                      strcmp(r->recipient, PLACEHOLDER) != 0;
        jget(line, "status", r->status, sizeof r->status);
        jget(line, "reason", r->reason, sizeof r->reason);
        jget(line, "feedbacktype", r->ftype, sizeof r->ftype);
        jget(line, "decodedby", r->decodedby, sizeof r->decodedby);
        jget(line, "hardbounce", tmp, sizeof tmp);
        r->hard = strcmp(tmp, "true") == 0;
        /* family: the file name without "-NN.eml" */
        const char *base = strrchr(r->file, '/');
        base = base ? base + 1 : r->file;
        snprintf(r->family, sizeof r->family, "%s", base);
        char *dash = strrchr(r->family, '-');
        if (dash)
            *dash = '\0';
        n++;
    }
    free(buf);
    *nrows = n;
    return rows;
}

/* ------------------------------------------------------------- parsing */

static void keep(result *res, const smtpdx_records *rs)
{
    size_t n = smtpdx_records_count(rs);
    res->g = realloc(res->g, (res->n + n + 1) * sizeof *res->g);
    for (size_t i = 0; i < n; i++) {
        const smtpdx_record *r = smtpdx_records_get(rs, i);
        got *g = &res->g[res->n++];
        snprintf(g->recipient, sizeof g->recipient, "%s", r->recipient);
        snprintf(g->status, sizeof g->status, "%s", r->deliverystatus);
        snprintf(g->reason, sizeof g->reason, "%s",
                 smtpdx_reason_name(r->reason));
        snprintf(g->ftype, sizeof g->ftype, "%s", r->feedbacktype);
        snprintf(g->diag, sizeof g->diag, "%s", r->diagnosticcode);
        snprintf(g->agent, sizeof g->agent, "%s", r->smtpagent);
        g->hard = r->hardbounce;
    }
}

/* Every message of path (a file or an mbox) through the parser. */
static void parse_path(smtpdx_ctx *ctx, const char *path, const char *rel,
                       result *res)
{
    smtpdx_msgreader *rd = NULL;
    smtpdx_records *rs = smtpdx_records_new();
    assert_non_null(rs);
    memset(res, 0, sizeof *res);
    snprintf(res->file, sizeof res->file, "%s", rel);
    res->status = SMTPDX_ERR_NOTBOUNCE;
    assert_int_equal(smtpdx_msgreader_new(path, &rd), SMTPDX_OK);
    for (int guard = 0; guard < 100000; guard++) {
        const char *buf, *origin;
        size_t len;
        smtpdx_status st = smtpdx_msgreader_next(rd, &buf, &len, &origin);
        if (st != SMTPDX_OK || buf == NULL)
            break;
        smtpdx_records_clear(rs);
        st = smtpdx_bounce_parse(ctx, buf, len, origin, rs);
        if (st == SMTPDX_OK)
            res->status = SMTPDX_OK;
        else if (st != SMTPDX_ERR_NOTBOUNCE && res->status != SMTPDX_OK)
            res->status = st;
        if (st == SMTPDX_OK)
            keep(res, rs);
        /* the library promises no record on any error */
        if (st != SMTPDX_OK)
            assert_int_equal(smtpdx_records_count(rs), 0);
    }
    smtpdx_msgreader_free(rd);
    smtpdx_records_free(rs);
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Parse every regular file of dir (sorted); returns the results. */
static result *parse_dir(smtpdx_ctx *ctx, const char *shared, const char *sub,
                         size_t *n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/corpus/%s", shared, sub);
    DIR *d = opendir(path);
    *n = 0;
    if (d == NULL)
        return NULL;
    char **names = NULL;
    size_t cnt = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        names = realloc(names, (cnt + 1) * sizeof *names);
        names[cnt++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, cnt, sizeof *names, cmp_names);
    result *res = calloc(cnt + 1, sizeof *res);
    for (size_t i = 0; i < cnt; i++) {
        char rel[256];
        snprintf(path, sizeof path, "%s/corpus/%s/%s", shared, sub, names[i]);
        snprintf(rel, sizeof rel, "%s/%s", sub, names[i]);
        parse_path(ctx, path, rel, &res[i]);
        free(names[i]);
    }
    free(names);
    *n = cnt;
    return res;
}

/* Each message of path (a file may be an mbox of several) attached to a
 * person's forward of it: do the records, in order, equal o's? */
static int forwarded_same(smtpdx_ctx *ctx, const char *path, const result *o)
{
    static const char head[] =
        "From: Pat Person <pat@forwarding.example>\n"
        "To: helpdesk@forwarding.example\nSubject: Fwd: what is this?\n"
        "MIME-Version: 1.0\n"
        "Content-Type: multipart/mixed; boundary=\"fwd-corpus\"\n\n"
        "--fwd-corpus\nContent-Type: text/plain\n\nSee the attachment.\n\n"
        "--fwd-corpus\nContent-Type: message/rfc822\n\n";
    static const char tail[] = "\n--fwd-corpus--\n";
    smtpdx_msgreader *rd = NULL;
    smtpdx_records *rs = smtpdx_records_new();
    assert_non_null(rs);
    assert_int_equal(smtpdx_msgreader_new(path, &rd), SMTPDX_OK);
    size_t at = 0; /* records of o matched so far */
    int same = 1, any = 0;
    for (int guard = 0; same && guard < 100000; guard++) {
        const char *buf, *origin;
        size_t len;
        if (smtpdx_msgreader_next(rd, &buf, &len, &origin) != SMTPDX_OK ||
            buf == NULL)
            break;
        size_t flen = sizeof head - 1 + len + sizeof tail - 1;
        char *f = malloc(flen);
        assert_non_null(f);
        memcpy(f, head, sizeof head - 1);
        memcpy(f + sizeof head - 1, buf, len);
        memcpy(f + sizeof head - 1 + len, tail, sizeof tail - 1);
        smtpdx_records_clear(rs);
        if (smtpdx_bounce_parse(ctx, f, flen, "fwd", rs) == SMTPDX_OK)
            any = 1;
        for (size_t j = 0; same && j < smtpdx_records_count(rs); j++, at++) {
            const smtpdx_record *r = smtpdx_records_get(rs, j);
            same = at < o->n &&
                   strcmp(o->g[at].recipient, r->recipient) == 0 &&
                   strcmp(o->g[at].reason, smtpdx_reason_name(r->reason)) ==
                       0 &&
                   strcmp(o->g[at].status, r->deliverystatus) == 0 &&
                   strcmp(o->g[at].ftype, r->feedbacktype) == 0 &&
                   o->g[at].hard == r->hardbounce;
        }
        free(f);
    }
    smtpdx_msgreader_free(rd);
    smtpdx_records_free(rs);
    return same && at == o->n && any == (o->status == SMTPDX_OK);
}

static const result *find(const result *rs, size_t n, const char *file)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(rs[i].file, file) == 0)
            return &rs[i];
    return NULL;
}

/* ------------------------------------------------------------- scoring */

typedef struct score {
    char family[256];
    unsigned rows, rcpt, reason, status, hard;
    unsigned agent_rows, agent; /* rows naming their decoder; agreeing */
} score;

static score *family_score(score *fs, size_t *nf, const char *fam)
{
    for (size_t i = 0; i < *nf; i++)
        if (strcmp(fs[i].family, fam) == 0)
            return &fs[i];
    memset(&fs[*nf], 0, sizeof fs[*nf]);
    snprintf(fs[*nf].family, sizeof fs[*nf].family, "%s", fam);
    return &fs[(*nf)++];
}

static const char *known_why(const char *file, int index, const char *field)
{
    const char *base = strrchr(file, '/');
    base = base ? base + 1 : file;
    for (size_t i = 0; known[i].file; i++)
        if (strcmp(known[i].file, base) == 0 && known[i].index == index &&
            strcmp(known[i].field, field) == 0)
            return known[i].why;
    return NULL;
}

static void disagree(const row *r, const got *g, const char *field,
                     const char *want, const char *have)
{
    const char *why = known_why(r->file, r->index, field);
    printf("  %-44s #%d %-9s want %-16s got %-16s %s%s\n", r->file, r->index,
           field, want, have, why ? "(known: expected looks wrong) " : "",
           g ? g->diag : "");
}

static double pct(unsigned a, unsigned b)
{
    return b ? 100.0 * a / b : 100.0;
}

/* The shared corpus's folder and its expected rows; skips the test when
 * the corpus is absent. */
static row *open_corpus(const char **shared, size_t *nrows)
{
    *shared = tu_shared_dir();
    if (*shared == NULL)
        tu_skip("../shared (the bounce corpus) is absent");
    char path[4096];
    snprintf(path, sizeof path, "%s/corpus/expected.jsonl", *shared);
    row *rows = load_expected(path, nrows);
    assert_true(*nrows > 0);
    return rows;
}

/* How many of the non-bounces gave records (each is printed). */
static unsigned non_bounces_read(const result *rs, size_t n)
{
    unsigned bad = 0;
    for (size_t i = 0; i < n; i++)
        if (rs[i].n > 0) {
            bad++;
            printf("  %s: a non-bounce gave %zu record(s)\n", rs[i].file,
                   rs[i].n);
        }
    return bad;
}

static void free_results(result **res, const size_t *nres, size_t nsub)
{
    for (size_t k = 0; k < nsub; k++) {
        for (size_t i = 0; i < nres[k]; i++)
            free(res[k][i].g);
        free(res[k]);
    }
}

/* Pair every expected row with our record, print the disagreements and
 * the scores per family and over all; *all gets the totals. */
static void score_rows(const row *rows, size_t nrows,
                       const char *const *subs, result *const *res,
                       const size_t *nres, size_t nsub, score *all)
{
    score *fs = calloc(nrows + 1, sizeof *fs);
    size_t nf = 0;
    assert_non_null(fs);
    *all = (score){"all", 0, 0, 0, 0, 0, 0, 0};
    unsigned agent_shown = 0;
    printf("disagreements (file, index, field, expected, ours, our "
           "diagnostic):\n");
    for (size_t i = 0; i < nrows; i++) {
        const row *r = &rows[i];
        const result *rr = NULL;
        const char *file = r->file + strlen("maildir/");
        char sub[32];
        snprintf(sub, sizeof sub, "maildir/%.*s", (int)(strchr(file, '/') - file),
                 file);
        for (size_t k = 0; k < nsub; k++)
            if (res[k] != NULL && strcmp(subs[k], sub) == 0)
                rr = find(res[k], nres[k], r->file);
        const got *g = NULL;
        if (rr != NULL && r->index >= 1 && (size_t)r->index <= rr->n)
            g = &rr->g[r->index - 1];
        score *f = family_score(fs, &nf, r->family);
        f->rows++;
        all->rows++;
        int ok_rcpt = g != NULL && (!r->has_rcpt ||
                                    strcasecmp(g->recipient, r->recipient) == 0);
        int ok_reason = g != NULL && strcmp(g->reason, r->reason) == 0;
        int ok_status = g != NULL && strcmp(g->status, r->status) == 0;
        int ok_hard = g != NULL && g->hard == r->hard;
        f->rcpt += ok_rcpt;
        f->reason += ok_reason;
        f->status += ok_status;
        f->hard += ok_hard;
        all->rcpt += ok_rcpt;
        all->reason += ok_reason;
        all->status += ok_status;
        all->hard += ok_hard;
        /* the name of what wrote the notice (smtpagent), where the other
         * tool names its decoder; the first disagreement of each file */
        if (g != NULL && r->decodedby[0] != '\0') {
            all->agent_rows++;
            if (strcasecmp(g->agent, r->decodedby) == 0)
                all->agent++;
            else if (r->index == 1 && agent_shown++ < 20)
                disagree(r, g, "smtpagent", r->decodedby, g->agent);
        }
        if (g == NULL) {
            disagree(r, NULL, "record", r->has_rcpt ? r->recipient : "(any)",
                     "(none)");
            continue;
        }
        if (!ok_rcpt)
            disagree(r, g, "recipient", r->recipient, g->recipient);
        if (!ok_reason)
            disagree(r, g, "reason", r->reason, g->reason);
        if (!ok_status)
            disagree(r, g, "status", r->status, g->status);
        if (!ok_hard)
            disagree(r, g, "hard", r->hard ? "true" : "false",
                     g->hard ? "true" : "false");
    }
    printf("\n%-26s %5s %8s %8s %8s %8s\n", "family", "rows", "rcpt%",
           "reason%", "status%", "hard%");
    for (size_t i = 0; i < nf; i++)
        printf("%-26s %5u %8.1f %8.1f %8.1f %8.1f\n", fs[i].family, fs[i].rows,
               pct(fs[i].rcpt, fs[i].rows), pct(fs[i].reason, fs[i].rows),
               pct(fs[i].status, fs[i].rows), pct(fs[i].hard, fs[i].rows));
    printf("%-26s %5u %8.2f %8.2f %8.2f %8.2f\n", "ALL", all->rows,
           pct(all->rcpt, all->rows), pct(all->reason, all->rows),
           pct(all->status, all->rows), pct(all->hard, all->rows));
    printf("smtpagent agrees with the other tool's decoder on %u of %u rows "
           "that name one (%.2f%%)\n",
           all->agent, all->agent_rows, pct(all->agent, all->agent_rows));
    free(fs);
}

static void test_corpus(void **state)
{
    (void)state;
    const char *shared;
    size_t nrows;
    row *rows = open_corpus(&shared, &nrows);

    smtpdx_ctx *ctx;
    assert_int_equal(smtpdx_ctx_new(&ctx), SMTPDX_OK);
    static const char *const subs[] = {
        "maildir/bsd", "maildir/dos", "maildir/mac", "maildir/err",
        "maildir/not", "maildir/tmp", "mailbox",
        "to-be-debugged-because/something-is-wrong"};
    enum { NSUB = sizeof subs / sizeof subs[0] };
    result *res[NSUB];
    size_t nres[NSUB];
    for (size_t i = 0; i < NSUB; i++)
        res[i] = parse_dir(ctx, shared, subs[i], &nres[i]);
    assert_true(nres[0] > 0);

    score all;
    score_rows(rows, nrows, subs, res, nres, NSUB, &all);

    /* CRLF and CR-only copies answer as their LF originals */
    unsigned copies = 0, copy_diff = 0;
    for (size_t k = 1; k <= 2; k++) {
        for (size_t i = 0; i < nres[k]; i++) {
            const result *c = &res[k][i];
            char orig[160];
            snprintf(orig, sizeof orig, "maildir/bsd/%s",
                     strrchr(c->file, '/') + 1);
            const result *o = find(res[0], nres[0], orig);
            if (o == NULL)
                continue;
            copies++;
            int same = o->n == c->n && o->status == c->status;
            for (size_t j = 0; same && j < o->n; j++)
                same = strcmp(o->g[j].recipient, c->g[j].recipient) == 0 &&
                       strcmp(o->g[j].reason, c->g[j].reason) == 0 &&
                       strcmp(o->g[j].status, c->g[j].status) == 0 &&
                       strcmp(o->g[j].ftype, c->g[j].ftype) == 0 &&
                       o->g[j].hard == c->g[j].hard;
            if (!same) {
                copy_diff++;
                printf("  %s differs from its LF original\n", c->file);
            }
        }
    }
    printf("line-end copies: %u compared, %u differ\n", copies, copy_diff);

    /* forwarded as an attachment, each bounce reads as it does alone */
    unsigned fwd = 0, fwd_diff = 0;
    for (size_t i = 0; i < nres[0]; i++) {
        char fpath[4096];
        snprintf(fpath, sizeof fpath, "%s/corpus/%s", shared, res[0][i].file);
        fwd++;
        if (!forwarded_same(ctx, fpath, &res[0][i])) {
            fwd_diff++;
            printf("  %s reads otherwise when forwarded\n", res[0][i].file);
        }
    }
    printf("forwarded copies: %u compared, %u differ\n", fwd, fwd_diff);

    /* non-bounces give nothing */
    unsigned nb_records = non_bounces_read(res[4], nres[4]);

    free_results(res, nres, NSUB);
    free(rows);
    smtpdx_ctx_free(ctx);

    assert_int_equal(copy_diff, 0);
    assert_int_equal(fwd_diff, 0);
    assert_int_equal(nb_records, 0);
    assert_true(pct(all.rcpt, all.rows) >= 99.0);
    assert_true(pct(all.reason, all.rows) >= 97.0);
    assert_true(pct(all.status, all.rows) >= 98.0);
    assert_true(pct(all.hard, all.rows) >= 98.0);
    assert_true(pct(all.agent, all.agent_rows) >= 96.0);
}

/* The same rows read as if no family detector existed: only the standard
 * reports (RFC 3464, 5965, 3834) and the free-text fallback. That is what
 * a family smtpdx has never seen gets, so these scores say how it fares
 * on mail from the many MTAs and providers outside the corpus. The floors
 * keep it from getting worse; non-bounces must still give nothing. */
static void test_corpus_without_families(void **state)
{
    (void)state;
    const char *shared;
    size_t nrows;
    row *rows = open_corpus(&shared, &nrows);

    smtpdx_ctx *ctx;
    assert_int_equal(smtpdx_ctx_new(&ctx), SMTPDX_OK);
    sx_bctx *bc = sx_bctx_get(ctx);
    assert_non_null(bc);
    bc->no_families = 1;
    static const char *const subs[] = {"maildir/bsd", "maildir/dos",
                                       "maildir/mac", "maildir/err",
                                       "maildir/not"};
    enum { NSUB = sizeof subs / sizeof subs[0] };
    result *res[NSUB];
    size_t nres[NSUB];
    for (size_t i = 0; i < NSUB; i++)
        res[i] = parse_dir(ctx, shared, subs[i], &nres[i]);
    assert_true(nres[0] > 0);

    printf("without the family detectors:\n");
    score all;
    score_rows(rows, nrows, subs, res, nres, NSUB, &all);

    unsigned nb_records = non_bounces_read(res[4], nres[4]);
    free_results(res, nres, NSUB);
    free(rows);
    smtpdx_ctx_free(ctx);

    assert_int_equal(nb_records, 0);
    assert_true(pct(all.rcpt, all.rows) >= 95.5);
    assert_true(pct(all.reason, all.rows) >= 84.5);
    assert_true(pct(all.status, all.rows) >= 87.5);
    assert_true(pct(all.hard, all.rows) >= 91.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_corpus),
                                       cmocka_unit_test(test_corpus_without_families)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
