/*
 * kbc.h - shared by the parts of the knowledge-base compiler (kbc.c reads
 * the files and runs the show, kbc_check.c validates, kbc_emit.c writes
 * the C tables).
 *
 * The compiler is a short-lived host tool: it keeps everything it reads in
 * memory until it exits (then frees it all, for the leak checkers), and
 * stops the process on the first allocation failure (kbc_realloc).
 */
#ifndef KBC_H
#define KBC_H
#include <stddef.h>
#include <stdio.h>

#define KBC_MAX_FILE   (8u << 20)  /* bytes in one .kb file */
#define KBC_MAX_VALUE  4096u       /* bytes in one value, continuations joined */
#define KBC_MAX_ITEMS  256u        /* values of one list key in one stanza */
#define KBC_MAX_ERRORS 50          /* errors printed; more are only counted */

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Vocabulary (kbc.c). kbc_reasons are smtpdx.h's smtpdx_reason constants
 * without the SMTPDX_R_ prefix; in lower case they are the names the files
 * use. The output names the constants, so a reason missing from the
 * header fails the library build. */
extern const char *const kbc_reasons[36];
extern const char *const kbc_who_words[5], *const kbc_who_consts[5];
extern const char *const kbc_retry_words[4], *const kbc_retry_consts[4];
extern const char *const kbc_kind_words[4], *const kbc_kind_consts[4];
enum { K_TEXT, K_ENH, K_CODE, K_CLASS };

typedef struct item {
    char *s;    /* NULL when the key was not given */
    int line;
} item;

typedef struct list {
    item *v;
    size_t n, cap;
} list;

typedef struct code_pat { unsigned lo, hi, cls; } code_pat;
typedef struct enh_pat { unsigned cls, subject, lo, hi, spec; } enh_pat;

typedef struct stanza {
    const char *file, *base;  /* path as given (messages), base name (origin) */
    int line;
    int is_provider;
    item id;                  /* rule id, or the provider id */
    item reason, cause, temporary, who, retry, retry_after, give_up, summary;
    item priority, provider, basic, name;
    list text, regex, code, enhanced, step, ref, also, host, marker;
    /* resolved by kbc_check_stanza() */
    int kind, reason_ix, temp, who_ix, retry_ix, prov_ix, prio;
    unsigned long ra, gu;
    code_pat *codes;
    size_t ncodes;
    enh_pat *enh;
    size_t nenh;
    int *also_ix;
    size_t nalso;
} stanza;

enum { W_RULE = 1, W_PROV = 2 };
typedef struct keydef {
    const char *name;
    size_t off;
    int is_list;
    int where;
} keydef;

extern const keydef kbc_keys[];
extern const size_t kbc_nkeys;
#define KBC_NKEYS kbc_nkeys

/* Every stanza of every file, in file-name then file order. */
extern stanza **kbc_all;
extern size_t kbc_nall;

/* Report "file:line: message"; errors are printed sorted by file and line
 * by kbc_errors_flush(), which returns how many there were. */
void kbc_err(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int kbc_errors_flush(void);

void *kbc_realloc(void *p, size_t n);
char *kbc_strndup(const char *s, size_t n);
int kbc_word_index(const char *const *words, size_t n, const char *s);
long kbc_number(const char *s, size_t n, long max);

static inline int kbc_is_lower(int c) { return c >= 'a' && c <= 'z'; }
static inline int kbc_is_digit(int c) { return c >= '0' && c <= '9'; }
static inline int kbc_is_alnum(int c)
{
    return kbc_is_lower(c) || kbc_is_digit(c) || (c >= 'A' && c <= 'Z');
}
static inline int kbc_lower(int c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }
int kbc_ieq(const char *a, const char *b);

/* kbc_check.c: validate one stanza, then what spans stanzas. */
void kbc_check_stanza(stanza *st);
void kbc_check_all(void);

/* kbc_emit.c: write the tables for kbc_all (all checks passed). */
void kbc_emit(FILE *o, char **files, int nfiles);

#endif
