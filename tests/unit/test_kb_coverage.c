/*
 * test_kb_coverage.c - the knowledge base against the shared facts.
 *
 *  - every basic code, class, subject and enhanced status code of
 *    ../shared/kb/rfc-codes.tsv has an entry that explains it (asked
 *    through smtpdx_classify with a text no phrase matches);
 *  - every row of ../shared/kb/provider-codes.tsv, made into a realistic
 *    reply from its codes and text fragment (and the provider's host beside
 *    it), is explained by a text rule or a provider's own code rule, of that
 *    provider or of none, with a reason of the family its fix calls for,
 *    and temporary or permanent as the row says;
 *  - every Diagnostic-Code field in ../shared/corpus is explained without
 *    an error.
 * The shared folder is read in place; without it the test skips (77). The
 * project's own cases (tests/data/explain) are checked by test_kb_cases.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <dirent.h>
#include <sys/stat.h>

#include "smtpdx.h"
#include "testutil.h"

#define MAX_COLS 12
#define MAX_FILE (16u << 20)

static smtpdx_ctx *ctx;
static const char *shared;

/* ---------------------------------------------------------- helpers */

static int split_tabs(char *line, char **col, int max)
{
    int n = 0;
    col[n++] = line;
    for (char *p = line; *p != '\0' && n < max; p++)
        if (*p == '\t') {
            *p = '\0';
            col[n++] = p + 1;
        }
    return n;
}

/* Calls fn(cols, ncols) for every data line of a TSV file under shared. */
static void each_row(const char *rel, void (*fn)(char **, int, void *),
                     void *arg)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", shared, rel);
    char *buf = tu_read_file(path, NULL);
    assert_non_null(buf);
    int first = 1;
    for (char *line = buf; line != NULL && *line != '\0';) {
        char *nl = strchr(line, '\n');
        char *col[MAX_COLS];
        if (nl != NULL)
            *nl = '\0';
        if (!first && line[0] != '\0')
            fn(col, split_tabs(line, col, MAX_COLS), arg);
        first = 0;
        line = nl ? nl + 1 : NULL;
    }
    free(buf);
}

static void classify(int code, int c, int s, int d, const char *text,
                     const char *rhost, smtpdx_explanation *x)
{
    smtpdx_reply r;
    smtpdx_hints h = {NULL, rhost, NULL};
    memset(&r, 0, sizeof(r));
    r.code = code;
    r.enh_class = c;
    r.enh_subject = s;
    r.enh_detail = d;
    if (c)
        snprintf(r.enhanced, sizeof r.enhanced, "%d.%d.%d", c, s, d);
    r.text = text;
    r.text_len = strlen(text);
    assert_int_equal(smtpdx_classify(ctx, &r, rhost ? &h : NULL, x),
                     SMTPDX_OK);
}

/* "X.7.1", "5.7.500-699" -> subject 7, detail 1 / 500; -1 if not a code. */
static int parse_enh(const char *s, int *cls, int *subj, int *det)
{
    char *end;
    if (s[0] == 'X' || s[0] == 'x')
        *cls = 0;
    else if (s[0] == '2' || s[0] == '4' || s[0] == '5')
        *cls = s[0] - '0';
    else
        return -1;
    if (s[1] != '.' || s[2] < '0' || s[2] > '7' || s[3] != '.')
        return -1;
    *subj = s[2] - '0';
    if (s[4] == 'X' || s[4] == 'x') {
        *det = -1;
        return 0;
    }
    long v = strtol(s + 4, &end, 10);
    if (end == s + 4 || v < 0 || v > 999)
        return -1;
    *det = (int)v;
    return 0;
}

/* ------------------------------------------------------- rfc-codes */

static const char neutral[] = "zq xv";

static void rfc_row(char **col, int n, void *arg)
{
    int *bad = arg;
    smtpdx_explanation x;
    char want[32];
    const char *kind = col[0], *code = col[1];
    int ok = 0;

    if (n < 8)
        return;
    if (strcmp(kind, "basic") == 0) {
        int c = atoi(code);
        classify(c, 0, 0, 0, neutral, NULL, &x);
        snprintf(want, sizeof want, "code.%d", c);
        ok = x.matched_by == SMTPDX_MATCH_CODE && x.entry &&
             strcmp(x.entry->id, want) == 0;
    } else if (strcmp(kind, "class") == 0) {
        /* a code of the class that has no entry of its own */
        int c = code[0] - '0';
        classify(c * 100 + 99, 0, 0, 0, neutral, NULL, &x);
        snprintf(want, sizeof want, "class.%d", c);
        ok = x.matched_by == SMTPDX_MATCH_CLASS && x.entry &&
             strcmp(x.entry->id, want) == 0;
    } else {
        int cls, subj, det;
        if (parse_enh(code, &cls, &subj, &det) != 0)
            return;
        /* success codes are asked with class 2, failures with 4 and 5 */
        int classes[2] = {4, 5}, ncls = 2;
        if (strcmp(col[7], "success") == 0) {
            classes[0] = 2;
            ncls = 1;
        }
        ok = 1;
        for (int i = 0; i < ncls; i++) {
            int d = det < 0 ? 999 : det;
            classify(0, classes[i], subj, d, neutral, NULL, &x);
            if (det < 0)
                snprintf(want, sizeof want, "enh.X.%d.X", subj);
            else
                snprintf(want, sizeof want, ".%d.%d", subj, det);
            size_t wl = strlen(want), il = x.entry ? strlen(x.entry->id) : 0;
            ok = ok && x.matched_by == SMTPDX_MATCH_ENHANCED && x.entry &&
                 (det < 0 ? strcmp(x.entry->id, want) == 0
                          : il > wl &&
                            strcmp(x.entry->id + il - wl, want) == 0);
        }
    }
    if (!ok) {
        printf("FAIL rfc-codes %s %s -> %s (%s)\n", kind, code,
               x.entry ? x.entry->id : "-",
               smtpdx_match_kind_name(x.matched_by));
        (*bad)++;
    }
}

static void test_rfc_codes(void **state)
{
    (void)state;
    int bad = 0;
    each_row("kb/rfc-codes.tsv", rfc_row, &bad);
    printf("rfc-codes: %d rows without an entry\n", bad);
    assert_int_equal(bad, 0);
}

/* -------------------------------------------------- provider-codes */

/* provider column prefix -> provider id and a host of its MX */
static const struct {
    const char *prefix, *id, *host;
} providers[] = {
    {"Gmail", "google", "gmail-smtp-in.l.google.com"},
    {"Microsoft", "microsoft", "example-com.mail.protection.outlook.com"},
    {"Yahoo", "yahoo", "mta7.am0.yahoodns.net"},
    {"Apple", "apple", "mx01.mail.icloud.com"},
    {"Comcast", "comcast", "mx1.comcast.net"},
    {"Cox", "cox", "mx.east.cox.net"},
    {"Orange", "orange", "smtp-in.orange.fr"},
    {"GMX", "gmx", "mx00.emig.gmx.net"},
    {"Tencent", "tencent", "mx3.qq.com"},
    {"GoDaddy", "godaddy", "mailstore1.secureserver.net"},
    {"Spectrum", "spectrum", "mx1.charter.net"},
    {"Mimecast", "mimecast", "eu-smtp-inbound-1.mimecast.com"},
    {"Proofpoint", "proofpoint", "mx0a-001.pphosted.com"},
    {"Barracuda", "barracuda", "d123.ess.barracudanetworks.com"},
    {"Cisco", "cisco", "esa1.example.iphmx.com"},
};

/* What a row's fix category asks for, as the reasons that fit it. The
 * first entry whose key is part of the category decides. */
static const struct {
    const char *key, *reasons;
} families[] = {
    {"depends_on_text", "*"},
    {"parse_inner_reply", "*"},
    {"allowlist_sender_ip", "blocked"},
    {"use_own_address", "rejected"},
    {"spf", "authfailure"},
    {"dkim", "authfailure"},
    {"dmarc", "authfailure"},
    {"ptr", "requireptr blocked"},
    {"helo", "blocked requireptr"},
    {"delist", "blocked badreputation spamdetected"},
    {"listed_url", "spamdetected"},
    {"reputation", "badreputation blocked speeding spamdetected"},
    {"complaints", "badreputation speeding"},
    {"concurrency", "toomanyconn speeding"},
    {"per_connection", "speeding toomanyconn"},
    {"quota_reset", "speeding"},
    {"split_recipients", "toomanyconn exceedlimit speeding"},
    {"split_transactions", "toomanyconn"},
    {"rate", "speeding toomanyconn badreputation"},
    {"size", "mesgtoobig exceedlimit"},
    {"recipient_frees_space", "mailboxfull"},
    {"remove_address", "suspend hasmoved userunknown"},
    {"fix_address", "userunknown hostunknown notaccept suspend hasmoved"},
    {"credentials", "securityerror"},
    {"authenticate", "securityerror norelaying rejected"},
    {"client_smtp", "securityerror"},
    {"tls", "failedstarttls"},
    {"mta_sts", "failedstarttls"},
    {"relay", "norelaying securityerror"},
    {"routing", "norelaying"},
    {"malware", "virusdetected"},
    {"attachment", "policyviolation contenterror"},
    {"content", "spamdetected policyviolation contenterror"},
    {"message_format", "notcompliantrfc contenterror"},
    {"sending_software", "speeding notcompliantrfc contenterror"},
    {"smtp_client", "syntaxerror blocked"},
    {"mx_dns", "hostunknown networkerror"},
    {"mydestination", "systemerror norelaying"},
    {"sender_domain", "rejected"},
    {"sender", "rejected"},
    {"dns", "networkerror hostunknown authfailure rejected"},
    {"destination_server", "networkerror expired"},
    {"forwarding_loop", "networkerror"},
    {"forwarding_policy", "policyviolation"},
    {"free_server", "systemfull"},
    {"retry_later", "onhold systemerror networkerror speeding systemfull "
                    "expired blocked badreputation securityerror"},
    {"connector", "norelaying systemerror"},
    {"recipient_config", "systemerror"},
    {"accepted_domain", "norelaying userunknown"},
    {"secure_account", "rejected blocked"},
    {"microsoft_support", "blocked badreputation"},
    {"verify_domain", "rejected norelaying"},
    {"smarthost", "blocked"},
    {"ipv4", "blocked"},
    {"contact_postmaster", "blocked systemerror"},
    {"contact_provider", "blocked"},
    {"request_unblock", "blocked"},
    {"spoofing", "policyviolation"},
    {"release_or_allowlist", "spamdetected filtered"},
    {"contact_rule_owner", "policyviolation securityerror"},
    {"ask_recipient_allow", "securityerror policyviolation rejected"},
    {"contact_recipient_admin", "policyviolation rejected securityerror "
                                "blocked userunknown suspend"},
};

static int reason_fits(const char *category, const char *reason)
{
    for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
        if (strstr(category, families[i].key) == NULL)
            continue;
        const char *r = families[i].reasons;
        if (strcmp(r, "*") == 0)
            return 1;
        size_t rl = strlen(reason);
        for (const char *p = r; (p = strstr(p, reason)) != NULL; p += rl)
            if ((p == r || p[-1] == ' ') && (p[rl] == ' ' || p[rl] == '\0'))
                return 1;
        return 0;
    }
    return -1;  /* a category the table does not know */
}

/* Copy src into dst replacing the fragment's placeholders by realistic
 * values: "x" (a host or address), "<x>", "[x]", "$recipientDomain",
 * "$range", "<sessionid>", and "..." (text left out). */
static void realise(const char *src, char *dst, size_t cap)
{
    static const struct { const char *from, *to; } subst[] = {
        {"<x>", "<someone@example.com>"}, {"[x]", "[192.0.2.1]"},
        {"x's", "example.com's"}, {"$recipientDomain", "example.com"},
        {"$range", "2001:db8::/48"}, {"<sessionid>", "a1b2c3d4"},
        {"[ip]", "[192.0.2.1]"}, {"...", " "},
    };
    size_t n = 0;
    while (*src != '\0' && n + 64 < cap) {
        size_t k, done = 0;
        for (k = 0; k < sizeof(subst) / sizeof(subst[0]); k++) {
            size_t fl = strlen(subst[k].from);
            if (strncmp(src, subst[k].from, fl) == 0) {
                n += (size_t)snprintf(dst + n, cap - n, "%s", subst[k].to);
                src += fl;
                done = 1;
                break;
            }
        }
        if (done)
            continue;
        /* a lone "x" word: an address or a host */
        int lone = *src == 'x' && (n == 0 || strchr(" =(:", dst[n - 1])) &&
                   (src[1] == '\0' || strchr(" ,.;:)]", src[1]));
        if (lone) {
            n += (size_t)snprintf(dst + n, cap - n, "mx.example.com");
            src++;
            continue;
        }
        dst[n++] = *src++;
    }
    dst[n] = '\0';
}

typedef struct prow_stats {
    int rows, bad;
} prow_stats;

static void provider_row(char **col, int n, void *arg)
{
    prow_stats *st = arg;
    const char *id = NULL, *host = NULL;
    char text[1024], reply[1200];
    int code = 0, cls = 0, subj = 0, det = 0;
    smtpdx_explanation x;

    if (n < 9)
        return;
    st->rows++;
    for (size_t i = 0; i < sizeof(providers) / sizeof(providers[0]); i++)
        if (strncmp(col[0], providers[i].prefix,
                    strlen(providers[i].prefix)) == 0) {
            id = providers[i].id;
            host = providers[i].host;
        }
    /* the first three-digit code of the column, the first enhanced one */
    for (const char *p = col[1]; *p; p++)
        if (p[0] >= '2' && p[0] <= '5' && p[1] >= '0' && p[1] <= '9' &&
            p[2] >= '0' && p[2] <= '9') {
            code = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
            break;
        }
    if (parse_enh(col[2], &cls, &subj, &det) != 0 || cls == 0 || det < 0)
        cls = subj = det = 0;
    realise(col[3], text, sizeof text);
    if (code && cls)
        snprintf(reply, sizeof reply, "%d %d.%d.%d %s", code, cls, subj, det,
                 text);
    else if (code)
        snprintf(reply, sizeof reply, "%d %s", code, text);
    else if (cls)
        snprintf(reply, sizeof reply, "%d.%d.%d %s", cls, subj, det, text);
    else
        snprintf(reply, sizeof reply, "%s", text);
    /* parsed as `smtpdx explain` would, then classified with the
     * provider's host beside it (a DSN's Remote-MTA) */
    const smtpdx_reply *r = NULL;
    smtpdx_hints h = {NULL, host, NULL};
    assert_int_equal(smtpdx_explain(ctx, reply, strlen(reply), &r, &x),
                     SMTPDX_OK);
    assert_int_equal(smtpdx_classify(ctx, r, &h, &x), SMTPDX_OK);
    int inner = strcmp(col[7], "parse_inner_reply") == 0;

    const char *why = NULL;
    const char *reason = smtpdx_reason_name(x.reason);
    int fits = reason_fits(col[7], reason);
    if (x.entry == NULL)
        why = "nothing explains it";
    else if (!inner && x.matched_by != SMTPDX_MATCH_TEXT &&
             !(x.matched_by == SMTPDX_MATCH_ENHANCED &&
               x.entry->provider != NULL))
        why = "no text rule or provider code rule matched";
    else if (x.entry->provider != NULL &&
             (id == NULL || strcmp(x.entry->provider, id) != 0))
        why = "a rule of another provider";
    else if (fits < 0)
        why = "unknown fix category (extend the test's table)";
    else if (fits == 0)
        why = "reason outside the fix's family";
    else if (strcmp(col[5], "temporary") == 0 && x.temporary != 1)
        why = "should be temporary";
    else if (strcmp(col[5], "permanent") == 0 && x.temporary != 0)
        why = "should be permanent";
    if (why != NULL) {
        printf("FAIL %s: %s -> %s %s/%s temp=%d (%s): %s\n", col[0],
               reply, x.entry ? x.entry->id : "-", reason,
               x.cause ? x.cause : "-", x.temporary, col[7], why);
        st->bad++;
    }
}

static void test_provider_codes(void **state)
{
    (void)state;
    prow_stats st = {0, 0};
    each_row("kb/provider-codes.tsv", provider_row, &st);
    printf("provider-codes: %d/%d rows explained by the right family\n",
           st.rows - st.bad, st.rows);
    assert_true(st.rows > 250);
    assert_int_equal(st.bad, 0);
}

/* ---------------------------------------------------------- corpus */

typedef struct corpus_stats {
    int fields, errors, empty, exit_status;
} corpus_stats;

static int has_content(const char *v)
{
    /* "smtp; " with nothing after the type */
    const char *semi = strchr(v, ';');
    const char *p = semi ? semi + 1 : v;
    for (; *p; p++)
        if ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
            (*p >= 'A' && *p <= 'Z'))
            return 1;
    return 0;
}

static void scan_mail(const char *path, corpus_stats *st)
{
    size_t len = 0;
    char *buf = tu_read_file(path, &len);
    if (buf == NULL)
        return;
    for (size_t i = 0; i < len; i++)
        if (buf[i] == '\r' || buf[i] == '\0')
            buf[i] = buf[i] == '\r' && i + 1 < len && buf[i + 1] == '\n' ?
                     ' ' : '\n';
    for (char *line = buf; line != NULL && *line != '\0';) {
        char *nl = strchr(line, '\n');
        if (strncasecmp(line, "Diagnostic-Code:", 16) == 0) {
            /* unfold the field (RFC 5322 2.2.3) */
            char *end = nl;
            while (end != NULL && (end[1] == ' ' || end[1] == '\t')) {
                *end = ' ';
                end = strchr(end + 1, '\n');
            }
            if (end != NULL)
                *end = '\0';
            const char *v = line + 16;
            const smtpdx_reply *r = NULL;
            smtpdx_explanation x;
            smtpdx_status s = smtpdx_explain(ctx, v, strlen(v), &r, &x);
            st->fields++;
            while (*v == ' ' || *v == '\t')
                v++;
            /* An x-unix field holds a local program's exit status, which
             * the reply parser keeps as text but does not call a reply
             * (RFC 3464 2.3.6); the classifier must still explain it. */
            if (s == SMTPDX_ERR_PARSE && r != NULL &&
                strncasecmp(v, "x-unix;", 7) == 0 &&
                smtpdx_classify(ctx, r, NULL, &x) == SMTPDX_OK &&
                x.entry != NULL) {
                st->exit_status++;
                s = SMTPDX_OK;
            }
            if (!has_content(v)) {
                st->empty++;
            } else if (s != SMTPDX_OK) {
                printf("FAIL %s: %s: %.80s\n", path, smtpdx_status_name(s),
                       v);
                st->errors++;
            }
            nl = end;
        }
        line = nl ? nl + 1 : NULL;
    }
    free(buf);
}

static void walk(const char *dir, corpus_stats *st, int depth)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    if (d == NULL || depth > 4) {
        if (d)
            closedir(d);
        return;
    }
    while ((de = readdir(d)) != NULL) {
        char path[4096];
        struct stat sb;
        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        if (stat(path, &sb) != 0)
            continue;
        if (S_ISDIR(sb.st_mode))
            walk(path, st, depth + 1);
        else if (S_ISREG(sb.st_mode) && sb.st_size > 0 &&
                 (size_t)sb.st_size < MAX_FILE)
            scan_mail(path, st);
    }
    closedir(d);
}

static void test_corpus(void **state)
{
    (void)state;
    char dir[4096];
    struct stat sb;
    corpus_stats st = {0, 0, 0, 0};
    snprintf(dir, sizeof dir, "%s/corpus", shared);
    if (stat(dir, &sb) != 0) {
        printf("corpus: absent, nothing to check\n");
        return;
    }
    walk(dir, &st, 0);
    printf("corpus: %d Diagnostic-Code fields (%d x-unix exit statuses), "
           "%d without text, %d errors\n", st.fields, st.exit_status,
           st.empty, st.errors);
    assert_true(st.fields > 100);
    assert_int_equal(st.errors, 0);
}

static int setup(void **state)
{
    (void)state;
    return smtpdx_ctx_new(&ctx) == SMTPDX_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    smtpdx_ctx_free(ctx);
    return 0;
}

int main(void)
{
    shared = tu_shared_dir();
    if (shared == NULL)
        tu_skip("../shared is absent: no facts to check the knowledge base "
                "against");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc_codes),
        cmocka_unit_test(test_provider_codes),
        cmocka_unit_test(test_corpus),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
