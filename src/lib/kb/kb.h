/*
 * kb.h - lookups over the compiled knowledge base for the classifier.
 *
 * All functions read only the const tables of kb_tables.c (and a host
 * index made from them once, thread-safely): no allocation, safe from any
 * thread. A "seen" array has one byte per provider
 * (sx_kb_nproviders), non-zero for each provider recognised in a reply;
 * rules limited to a provider only hold when its byte is set.
 */
#ifndef SX_KB_H
#define SX_KB_H
#include <stddef.h>

#include "kb/kb_tables.h"

/* The best rule explaining enhanced code cls.subject.detail: a rule of a
 * recognised provider first, then the most specific (5.1.1 over X.1.1 over
 * a range over X.1.x), then the narrower range, then file order. Rules
 * for any class (X) hold for classes 4 and 5 only. NULL when none
 * applies. */
const sx_kb_key *sx_kb_lookup_enhanced(int cls, int subject, int detail,
                                       const unsigned char *seen);
/* The rule explaining basic code `code` (provider rule first), or NULL. */
const sx_kb_key *sx_kb_lookup_code(int code, const unsigned char *seen);
/* The rule explaining the bare class 2, 3, 4 or 5, or NULL. */
const sx_kb_key *sx_kb_lookup_class(int cls, const unsigned char *seen);

/* Does the rule's provider limit hold? */
static inline int sx_kb_provider_ok(const sx_kb_rule *r,
                                    const unsigned char *seen)
{
    return r->provider < 0 || (seen != NULL && seen[r->provider]);
}

/* Mark in seen[] the providers one of whose host suffixes ends `host` on a
 * label boundary ("mx.l.google.com" ends with "google.com"), caselessly.
 * The host may carry a trailing dot or "[address]". Returns the index of
 * the first provider marked, or -1. */
int sx_kb_provider_by_host(const char *host, unsigned char *seen);

#endif
