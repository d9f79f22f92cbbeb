/*
 * out_table.h - pieces of the human-readable writer shared by its two
 * halves: explanations (out_table.c) and records (out_table_rec.c).
 */
#ifndef SX_OUTPUT_OUT_TABLE_H
#define SX_OUTPUT_OUT_TABLE_H
#include "output/term.h"
#include "output/writer_int.h"

#define SX_TABLE_LABEL 14 /* column where values start, after the label */

/* "  Label        " (indented, padded to SX_TABLE_LABEL). */
void sx_table_label(sx_term *t, const char *label);
/* "USERUNKNOWN  user-unknown  permanent", coloured by how bad it is. */
void sx_table_verdict(sx_term *t, const smtpdx_explanation *e);
/* The knowledge base's one-paragraph summary, when there is one. */
void sx_table_summary(sx_term *t, const smtpdx_explanation *e);
/* The diagnosis lines shared by explanations and records: who, retry,
 * steps, references. */
/* given_up: the record is a final report (Action: failed), so a failure
 * worth retrying must be sent again rather than left to the queue. */
void sx_table_diagnosis(sx_term *t, const smtpdx_explanation *e,
                        int given_up);
/* "Matched  rule on 'text' (kind)", then conflict and confidence. */
void sx_table_matched(sx_term *t, const smtpdx_explanation *e,
                      const char *mtext, size_t mlen);

/* Failures counted by destination domain for the records' summary
 * (out_table_dest.c): bounded, the first 10,000 domains one by one. */
typedef struct sx_dest_tally sx_dest_tally;
sx_dest_tally *sx_dest_new(void);
void sx_dest_free(sx_dest_tally *d);
void sx_dest_add(sx_dest_tally *d, const char *domain, smtpdx_reason r);
/* "FAILED AT  COUNT  REASONS": the ten domains with the most failures. */
void sx_dest_print(sx_term *t, const sx_dest_tally *d);

/* The record half of the table writer. */
smtpdx_status sx_table_rec_add(smtpdx_writer *w, sx_term *t,
                               const smtpdx_record *r);
smtpdx_status sx_table_rec_finish(smtpdx_writer *w, sx_term *t);
/* The input paused: the summary so far, the blocks gathered, then each
 * block as it comes (smtpdx_writer_flush()). */
smtpdx_status sx_table_rec_flush(smtpdx_writer *w, sx_term *t);
void sx_table_rec_release(smtpdx_writer *w);

/* The backend's state (w->state). */
typedef struct sx_table_state {
    sx_term term;
    void *rec; /* the record half's own state */
} sx_table_state;

#endif
