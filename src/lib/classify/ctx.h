/*
 * ctx.h - what an smtpdx_ctx holds (internal to src/lib/classify).
 *
 * Everything a classification needs beyond the shared read-only knowledge
 * base is made once in smtpdx_ctx_new(), so that classifying allocates
 * nothing; a ctx serves one thread at a time.
 */
#ifndef SX_CTX_H
#define SX_CTX_H

#include "kb/match.h"
#include "smtpdx.h"

#define SX_CTX_NOTE_MAX 512  /* longest conflict note kept */

struct smtpdx_ctx {
    sx_match *match;       /* Hyperscan scratch and the hits of a scan */
    unsigned char *seen;   /* one byte per provider: recognised in this reply */
    smtpdx_reply *reply;   /* smtpdx_explain()'s parsed reply */
    smtpdx_reply *held;    /* a reply a caller keeps parsed while it may
                              call smtpdx_explain() (the bounce parser's
                              record under construction); made on first
                              use, reused for every later parse */
    char note[SX_CTX_NOTE_MAX];
    /* per-thread state of other layers (the bounce parser's marker
     * scratch), made on their first use and freed with the ctx */
    void *ext;
    void (*ext_free)(void *);
};

#endif
