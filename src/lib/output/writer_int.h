/*
 * writer_int.h - the inside of smtpdx_writer: one backend per format.
 *
 * A backend is a table of functions (one file each: out_json.c,
 * out_sisimai.c, out_csv.c, out_table.c); writer.c picks the table from the
 * format and keeps what all of them share. The JSON backends build each
 * item whole in the writer's item buffer and hand it to the stream with
 * one write (sx_out_item_write), so an item that cannot be built is not
 * written at all; the table and CSV backends write straight to the
 * stream. writer.c turns a stream error into SMTPDX_ERR_IO.
 */
#ifndef SX_OUTPUT_WRITER_INT_H
#define SX_OUTPUT_WRITER_INT_H
#include "smtpdx.h"
#include "util/sbuf.h"

/* One explanation as handed to smtpdx_writer_explanation(). */
typedef struct sx_expl_item {
    const char *input;
    size_t input_len;
    const smtpdx_reply *reply;     /* NULL when nothing could be parsed */
    const smtpdx_explanation *e;
} sx_expl_item;

enum { SX_ITEM_NONE = 0, SX_ITEM_RECORD, SX_ITEM_EXPLANATION };

typedef struct sx_writer_ops {
    smtpdx_status (*start)(smtpdx_writer *w);   /* may be NULL */
    smtpdx_status (*record)(smtpdx_writer *w, const smtpdx_record *r);
    smtpdx_status (*explanation)(smtpdx_writer *w, const sx_expl_item *it);
    smtpdx_status (*finish)(smtpdx_writer *w);
    void (*release)(smtpdx_writer *w);          /* may be NULL */
    smtpdx_status (*flush)(smtpdx_writer *w);   /* may be NULL */
} sx_writer_ops;

struct smtpdx_writer {
    FILE *out;
    smtpdx_format fmt;
    unsigned flags;
    const sx_writer_ops *ops;
    unsigned long items;   /* items written so far */
    int finished;
    int last_kind;         /* SX_ITEM_*: what the previous item was */
    void *state;           /* the backend's own */
    sx_sbuf item;          /* the item being built (JSON backends) */
};

/* Ceiling of one built item: far above any record or explanation, whose
 * strings are bounded where they are made. */
#define SX_OUT_ITEM_MAX (1024u * 1024u * 1024u)

extern const sx_writer_ops sx_out_json_ops;    /* JSON array */
extern const sx_writer_ops sx_out_ndjson_ops;  /* one object per line */
extern const sx_writer_ops sx_out_sisimai_ops;
extern const sx_writer_ops sx_out_csv_ops;
extern const sx_writer_ops sx_out_table_ops;

/* ---- helpers shared by the backends (out_common.c) */

/* Write w->item (built with sx_json, whose first failure is err) with one
 * fwrite, then empty it. When err is set nothing is written and the item's
 * status is returned: SMTPDX_ERR_NOMEM, or SMTPDX_ERR_LIMIT past
 * SX_OUT_ITEM_MAX. A stream error is left for writer.c to see. */
smtpdx_status sx_out_item_write(smtpdx_writer *w, int err);

/* The text that decided: the matched span of the reply text for a TEXT
 * match, the enhanced code, the basic code or its class otherwise.
 * Writes into buf (NUL-terminated) or points *s into the reply text. */
void sx_out_matched(const smtpdx_reply *reply, const smtpdx_explanation *e,
                    char *buf, size_t bufsz, const char **s, size_t *n);

/* The same for a record: its stored matched text, or the code that
 * decided (deliverystatus, replycode, its class). */
void sx_out_record_matched(const smtpdx_record *r, char *buf, size_t bufsz,
                           const char **s, size_t *n);

/* "temporary", "permanent" or "" (success or unknown). */
const char *sx_out_temp_word(int temporary);
/* A failure, as opposed to a delivery, an auto-reply or a complaint,
 * which are neither temporary nor permanent. */
int sx_out_failure(smtpdx_reason r);

/* Sisimai's softbounce (its version 4 field): -1 for reports that are no
 * failure (feedback, vacation, delivered), 0 for a hard bounce, 1 else. */
int sx_out_softbounce(const smtpdx_record *r);

/* Names of the SMTPDX_REPLY_* flags that are set, in bit order. */
size_t sx_out_flag_names(unsigned flags, const char **names, size_t max);

/* Names of the SMTPDX_CUT_* bits that are set, in bit order ("text",
 * "dsn", "recipients", "diagnostic", "returned"). */
size_t sx_out_cut_names(unsigned cut, const char **names, size_t max);

/* Format a Unix time as "2026-11-28T03:14:19+0000" in the record's own
 * offset (UTC when the offset is unknown). */
void sx_out_time(int64_t t, const char *tzoffset, char *buf, size_t n);

#endif
