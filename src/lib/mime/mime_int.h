/*
 * mime_int.h - helpers shared by the files of the MIME module only.
 */
#ifndef SX_MIME_INT_H
#define SX_MIME_INT_H

#include <stddef.h>

#include "mime/mime.h"

static inline char sx_lc(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c + ('a' - 'A')) : c;
}

/* Is the string in the char array a (a part's type or subtype) the
 * literal lit? One compare of lit with its NUL, of a size known here, so
 * the compiler inlines it rather than calling strcmp: the array is at
 * least that long (checked) and every byte of it is written (a part is
 * cleared when made). Needs <string.h>. */
#define ARR_IS(a, lit)                                             \
    (sizeof(char[sizeof(a) >= sizeof(lit) ? 1 : -1]) &&            \
     memcmp((a), lit, sizeof(lit)) == 0)

/* Map an sbuf result (SX_SBUF_*) to a status. */
smtpdx_status sx_sbuf_status(int rc);

/* RFC 2045 token character (5.1): printable ASCII but tspecials. */
int sx_is_token_char(unsigned char c);

/* Skip blanks, line ends and (nested, bounded) RFC 5322 comments. */
const char *sx_skip_cfws(const char *p, const char *end);

/* Parse "type/subtype" at the start of a Content-Type value into the two
 * lower-case, NUL-terminated arrays (cut to their size). *params is set
 * just after the subtype. Returns 0, or -1 when the value is not of that
 * shape (type and subtype are then "text"/"plain"). */
int sx_ctype_parse(const char *v, size_t len, char *type, size_t tcap,
                   char *sub, size_t scap, const char **params);

/* Next "attribute=value" of a parameter list at p, before end; junk is
 * skipped. Returns where to go on, or NULL when there are no more. */
const char *sx_param_next(const char *p, const char *end, sx_str *attr,
                          sx_str *val, int *escaped);

/* Find parameter name (plain form, no RFC 2231) in the parameter list
 * [p, end): *val gets the raw value, without quotes for a quoted string.
 * *escaped is set when that quoted string holds backslash escapes.
 * Returns 1 when found, 0 otherwise. */
int sx_param_raw(const char *p, const char *end, const char *name,
                 sx_str *val, int *escaped);

/* Transfer decoders (append to out). */
smtpdx_status sx_base64_decode(const char *in, size_t len, sx_sbuf *out,
                               unsigned *info);
smtpdx_status sx_qp_decode(const char *in, size_t len, int header_q,
                           sx_sbuf *out, unsigned *info);

#endif
