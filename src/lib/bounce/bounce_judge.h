/*
 * bounce_judge.h - the verdict on one recipient of a bounce: the
 * classifier's explanation plus what only a bounce tells (see
 * bounce_judge.c).
 */
#ifndef SX_BOUNCE_JUDGE_H
#define SX_BOUNCE_JUDGE_H

#include "bounce/bounce.h"

typedef struct sx_judgement {
    smtpdx_explanation why;
    char status[16];        /* deliverystatus as written in the record */
    const char *action;     /* "failed", "delayed", "delivered", "" */
    const char *command;    /* "RCPT", ... or "" */
    const char *rhost;
    const char *diagtype;
    int replycode;
    int hardbounce;
    char note[160];         /* storage for a conflict note we write */
    unsigned hops;          /* Received fields that decided, else 0 */
    /* the words that decided when they are not in the reply itself (a
     * second reply after "->", a Status comment): why.match_off and
     * why.match_len then point into span, not into the reply's text */
    char span[128];
    int span_own;
} sx_judgement;

/* Parse diag into reply, classify it and settle the reason, status and
 * the other derived fields for rc. */
smtpdx_status sx_bjudge(smtpdx_ctx *ctx, const sx_bmail *m,
                        const sx_bres *res, const sx_brcpt *rc,
                        const char *diag, size_t dlen, smtpdx_reply *reply,
                        sx_judgement *j);

/* The pseudo status Sisimai writes when a bounce states none: class digit,
 * ".0.", and a number naming the reason ("5.0.911" for userunknown).
 * Empty for reasons that carry no status (vacation, feedback). */
void sx_bjudge_pseudo_status(smtpdx_reason r, int cls, char out[16]);

/* A notice that gives no reason at all (Exim keeps the cause of a local
 * failure to its log) about a message that passed `hops` hosts: at
 * SX_BJUDGE_LOOP_HOPS or more Received fields, the count itself is the
 * likeliest cause, a mail loop stopped by a hop limit. */
#define SX_BJUDGE_LOOP_HOPS 25
void sx_bjudge_hops(sx_judgement *j, size_t dlen, unsigned hops);

/* A reply that names another recipient of the same report and not rc
 * (nullmailer gives up the whole message on the first refused RCPT and
 * writes that one answer for every recipient): the record keeps the
 * reason the report gives but says whom the reply was about. */
void sx_bjudge_shared(sx_judgement *j, const sx_bres *res,
                      const sx_brcpt *rc, const char *diag, size_t dlen);

#endif
