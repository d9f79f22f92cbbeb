/*
 * out_sisimai.c - NDJSON with Sisimai's field names and value conventions
 * only, so that a pipeline reading Sisimai's dump can read ours unchanged.
 *
 * Conventions observed from Sisimai's own JSON output: reason in lower
 * case, replycode a string ("550", "" when unknown), deliverystatus a
 * string, timestamp an integer (Unix time), timezoneoffset "+0900",
 * catch null, unknown strings "". Both the version 5 field hardbounce (0/1)
 * and the version 4 field softbounce (1 soft, 0 hard, -1 for feedback,
 * vacation and delivered) are printed, for consumers of either version.
 * Explanations have no Sisimai counterpart: they are written as ordinary
 * NDJSON objects.
 */
#include "output/out_json.h"

static smtpdx_status sis_record(smtpdx_writer *w, const smtpdx_record *r)
{
    sx_json j;
    sx_json_init(&j, &w->item);
    sx_json_obj_begin(&j);
    sx_out_json_sisimai_fields(&j, r, 1);
    sx_json_obj_end(&j);
    sx_out_json_line_end(&j);
    return sx_out_item_write(w, j.err);
}

static smtpdx_status sis_expl(smtpdx_writer *w, const sx_expl_item *it)
{
    sx_json j;
    sx_json_init(&j, &w->item);
    sx_out_json_explanation(&j, it);
    sx_out_json_line_end(&j);
    return sx_out_item_write(w, j.err);
}

static smtpdx_status sis_finish(smtpdx_writer *w)
{
    (void)w;
    return SMTPDX_OK;
}

const sx_writer_ops sx_out_sisimai_ops = {
    NULL, sis_record, sis_expl, sis_finish, NULL, NULL,
};
