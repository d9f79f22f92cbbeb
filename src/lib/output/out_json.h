/*
 * out_json.h - the JSON objects for an explanation and a record, shared by
 * the JSON, NDJSON and Sisimai-compatible writers.
 */
#ifndef SX_OUTPUT_OUT_JSON_H
#define SX_OUTPUT_OUT_JSON_H
#include "output/json.h"
#include "output/writer_int.h"

void sx_out_json_explanation(sx_json *j, const sx_expl_item *it);
void sx_out_json_record(sx_json *j, const smtpdx_record *r);
/* The newline that ends an NDJSON line (kept in j->err if it fails). */
void sx_out_json_line_end(sx_json *j);
/* Sisimai's own fields of a record, as keys of the open object; with
 * softbounce set, its version-4 "softbounce" field is added. */
void sx_out_json_sisimai_fields(sx_json *j, const smtpdx_record *r,
                                int softbounce);
#endif
