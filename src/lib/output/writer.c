/*
 * writer.c - the public smtpdx_writer: picks a backend by format and keeps
 * the shared state (see smtpdx.h for the contract, writer_int.h for the
 * backends).
 */
#include "output/writer_int.h"

#include "util/alloc.h"

static const sx_writer_ops *ops_for(smtpdx_format fmt)
{
    switch (fmt) {
    case SMTPDX_FMT_TABLE:
        return &sx_out_table_ops;
    case SMTPDX_FMT_JSON:
        return &sx_out_json_ops;
    case SMTPDX_FMT_NDJSON:
        return &sx_out_ndjson_ops;
    case SMTPDX_FMT_SISIMAI:
        return &sx_out_sisimai_ops;
    case SMTPDX_FMT_CSV:
        return &sx_out_csv_ops;
    }
    return NULL;
}

smtpdx_status smtpdx_writer_new(FILE *out, smtpdx_format fmt, unsigned flags,
                                smtpdx_writer **w)
{
    smtpdx_status st = SMTPDX_OK;
    smtpdx_writer *nw = NULL;

    if (w == NULL)
        return SMTPDX_ERR_INVAL;
    *w = NULL;
    const sx_writer_ops *ops = ops_for(fmt);
    if (out == NULL || ops == NULL)
        return SMTPDX_ERR_INVAL;
    nw = sx_calloc(1, sizeof(*nw));
    if (nw == NULL)
        return SMTPDX_ERR_NOMEM;
    nw->out = out;
    nw->fmt = fmt;
    nw->flags = flags;
    nw->ops = ops;
    sx_sbuf_init(&nw->item, SX_OUT_ITEM_MAX);
    if (ops->start != NULL && (st = ops->start(nw)) != SMTPDX_OK)
        goto done;
    *w = nw;
    nw = NULL;
done:
    smtpdx_writer_free(nw);
    return st;
}

void smtpdx_writer_free(smtpdx_writer *w)
{
    if (w == NULL)
        return;
    if (w->ops->release != NULL)
        w->ops->release(w);
    sx_sbuf_release(&w->item);
    sx_free(w);
}

static smtpdx_status stream_status(smtpdx_writer *w, smtpdx_status st)
{
    if (st == SMTPDX_OK && ferror(w->out))
        return SMTPDX_ERR_IO;
    return st;
}

smtpdx_status smtpdx_writer_record(smtpdx_writer *w, const smtpdx_record *r)
{
    if (w == NULL || r == NULL || w->finished)
        return SMTPDX_ERR_INVAL;
    smtpdx_status st = w->ops->record(w, r);
    if (st == SMTPDX_OK)
        w->items++;
    w->last_kind = SX_ITEM_RECORD;
    return stream_status(w, st);
}

smtpdx_status smtpdx_writer_explanation(smtpdx_writer *w, const char *input,
                                        size_t input_len,
                                        const smtpdx_reply *reply,
                                        const smtpdx_explanation *e)
{
    if (w == NULL || e == NULL || w->finished
        || (input == NULL && input_len > 0))
        return SMTPDX_ERR_INVAL;
    sx_expl_item it = {input ? input : "", input_len, reply, e};
    smtpdx_status st = w->ops->explanation(w, &it);
    if (st == SMTPDX_OK)
        w->items++;
    w->last_kind = SX_ITEM_EXPLANATION;
    return stream_status(w, st);
}

smtpdx_status smtpdx_writer_finish(smtpdx_writer *w)
{
    if (w == NULL)
        return SMTPDX_ERR_INVAL;
    if (w->finished)
        return SMTPDX_OK;
    w->finished = 1;
    smtpdx_status st = w->ops->finish(w);
    if (fflush(w->out) != 0 && st == SMTPDX_OK)
        st = SMTPDX_ERR_IO;
    return stream_status(w, st);
}

smtpdx_status smtpdx_writer_flush(smtpdx_writer *w)
{
    if (w == NULL)
        return SMTPDX_ERR_INVAL;
    if (w->finished)
        return SMTPDX_OK;
    smtpdx_status st = w->ops->flush ? w->ops->flush(w) : SMTPDX_OK;
    if (fflush(w->out) != 0 && st == SMTPDX_OK)
        st = SMTPDX_ERR_IO;
    return stream_status(w, st);
}
