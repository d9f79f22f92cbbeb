/*
 * record.h - building smtpdx_record lists inside the library.
 *
 * Producers (the bounce and log parsers) append a record, then set its
 * string fields; every string is copied into storage owned by the record,
 * so a producer may pass spans of a buffer it is about to reuse. Unset
 * string fields read as "" (never NULL), as the public header promises.
 */
#ifndef SX_RECORD_H
#define SX_RECORD_H

#include "smtpdx.h"

/* Append a new, empty record; NULL when out of memory. The pointer stays
 * valid until the list is cleared or freed. */
smtpdx_record *sx_records_add(smtpdx_records *rs);

/* Drop the last record (a producer that failed half-way uses this so that
 * no partial record is ever seen). */
void sx_records_pop(smtpdx_records *rs);

/* Add the SMTPDX_CUT_* bits cut to every record from index first on (a
 * message read in part: all it gave may lack what was beyond). */
void sx_records_cut_from(smtpdx_records *rs, size_t first, unsigned cut);

/* Copy s[0..n) into the record and point *field at the copy. field must be
 * the address of one of the record's const char * members. Returns
 * SMTPDX_OK or SMTPDX_ERR_NOMEM. */
smtpdx_status sx_record_set(smtpdx_record *r, const char **field,
                            const char *s, size_t n);
smtpdx_status sx_record_sets(smtpdx_record *r, const char **field,
                             const char *s);
smtpdx_status sx_record_setf(smtpdx_record *r, const char **field,
                             const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Store an explanation in the record: reason, hardbounce and why are set;
 * conflict_note is copied; matched_text is set from the reply text span
 * (text may be NULL when there is none). */
smtpdx_status sx_record_set_why(smtpdx_record *r,
                                const smtpdx_explanation *why,
                                const char *text, size_t text_len);

#endif
