/*
 * kb_tables.h - the shape of the compiled knowledge base.
 *
 * tools/kbc.c turns the kb/ files into kb_tables.c, which defines the arrays
 * declared here; the rest of src/lib/kb reads them. Everything is const and
 * shared by all threads. Index i of sx_kb_rules describes how entry i of
 * sx_kb_entries is matched; patterns, providers and the code indexes refer
 * to entries and providers by index.
 *
 * Changing a struct here means changing what kbc emits in the same commit.
 */
#ifndef SX_KB_TABLES_H
#define SX_KB_TABLES_H
#include <stddef.h>

#include "smtpdx.h"

enum sx_kb_kind {
    SX_KB_TEXT = 0,  /* matched by phrases / regexes in the reply text */
    SX_KB_ENHANCED,  /* explains an enhanced status code (or a range) */
    SX_KB_CODE,      /* explains one basic reply code */
    SX_KB_CLASS      /* explains a bare class: 2xx, 4xx, 5xx */
};

/* A basic-code condition: cls != 0 means "the reply's class is cls" (5xx,
 * the enhanced class winning); otherwise the basic code is in lo..hi. */
typedef struct sx_kb_code {
    unsigned short lo, hi;
    unsigned char cls;
} sx_kb_code;

/* An enhanced-code condition: class cls (0 = any, written X), subject, and
 * detail in lo..hi. */
typedef struct sx_kb_enh {
    unsigned char cls, subject;
    unsigned short lo, hi;
} sx_kb_enh;

/* How one entry is matched. */
typedef struct sx_kb_rule {
    unsigned char kind;          /* enum sx_kb_kind */
    short provider;              /* index into sx_kb_providers, -1 for any */
    short priority;              /* text rules: higher wins a tie */
    const sx_kb_code *codes;     /* text rules: any of these (none = no limit) */
    size_t ncodes;
    const sx_kb_enh *enh;        /* text rules: any of these (none = no limit) */
    size_t nenh;
    const unsigned char *also;   /* reasons this code is also used for */
    size_t nalso;
    const char *origin;          /* "codes.kb:12", where the entry starts */
} sx_kb_rule;

/* One expression of the matcher database; its index is its Hyperscan id. */
typedef struct sx_kb_pattern {
    const char *expr;        /* Hyperscan syntax; phrases arrive escaped */
    unsigned owner;          /* rule index, or provider index for a marker */
    unsigned short weight;   /* phrase length (regex: its source length) */
    unsigned char is_regex;
    unsigned char is_marker;
    const char *origin;      /* "text-google.kb:40" */
} sx_kb_pattern;

typedef struct sx_kb_provider {
    const char *id;
    const char *name;
    const char *const *hosts;  /* lower-case host-name suffixes */
    size_t nhosts;
    const char *const *refs;
    size_t nrefs;
} sx_kb_provider;

/* A key of the code indexes. sx_kb_enh_keys is sorted by (cls, subject,
 * lo, hi); sx_kb_code_keys by lo (lo == hi there); sx_kb_class_keys holds
 * the class rules (lo = N00, hi = N99). spec orders keys of one tier: a
 * greater value is more specific. */
typedef struct sx_kb_key {
    unsigned char cls, subject, spec;
    unsigned short lo, hi;
    short provider;
    unsigned rule;
} sx_kb_key;

extern const smtpdx_kb_entry sx_kb_entries[];
extern const sx_kb_rule sx_kb_rules[];
extern const size_t sx_kb_nentries;
extern const unsigned sx_kb_id_index[];     /* entries sorted by id */
extern const sx_kb_pattern sx_kb_patterns[];
extern const size_t sx_kb_npatterns;
extern const sx_kb_provider sx_kb_providers[];
extern const size_t sx_kb_nproviders;
extern const sx_kb_key sx_kb_enh_keys[];
extern const size_t sx_kb_nenh_keys;
extern const sx_kb_key sx_kb_code_keys[];
extern const size_t sx_kb_ncode_keys;
extern const sx_kb_key sx_kb_class_keys[];
extern const size_t sx_kb_nclass_keys;

#endif
