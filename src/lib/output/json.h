/*
 * json.h - a JSON emitter that builds text in an sx_sbuf.
 *
 * Whatever bytes it is given, the output is valid JSON (RFC 8259) in
 * valid UTF-8: invalid sequences become U+FFFD, every control character is
 * escaped, and so are DEL, the C1 controls, U+2028/U+2029 and the bidi
 * formatting characters, so that `cat` of the output cannot drive a
 * terminal either. Commas and nesting are tracked here; callers only say
 * key, value, begin and end. Nesting deeper than SX_JSON_DEPTH is a
 * programming error and is ignored (output stays valid for what fits).
 *
 * Text is appended to a caller's sbuf, so that a writer can build a whole
 * item and hand it to stdio at once: an item that could not be built
 * (out of memory, the sbuf's maximum) is never half written. The first
 * such failure is kept in err (an SX_SBUF_* code) and every later call
 * does nothing; the caller checks err once at the end.
 */
#ifndef SX_OUTPUT_JSON_H
#define SX_OUTPUT_JSON_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "util/sbuf.h"

#define SX_JSON_DEPTH 16

typedef struct sx_json {
    sx_sbuf *out;
    int err;                    /* first SX_SBUF_* failure, 0 if none */
    int depth;
    int after_key;              /* a key was written, its value is next */
    unsigned count[SX_JSON_DEPTH]; /* items written at each level */
} sx_json;

/* Start a value appended to out (what out holds already is kept). */
void sx_json_init(sx_json *j, sx_sbuf *out);
void sx_json_obj_begin(sx_json *j);
void sx_json_obj_end(sx_json *j);
void sx_json_arr_begin(sx_json *j);
void sx_json_arr_end(sx_json *j);
/* Keys are names the writers give ("action", "retry"): printable ASCII
 * without '"' or '\\', written as they are. Values are escaped. The
 * key's length is taken in the inline wrappers below, where a literal key
 * makes it a constant. */
void sx_json_keyn(sx_json *j, const char *key, size_t klen);
static inline void sx_json_key(sx_json *j, const char *key)
{
    sx_json_keyn(j, key, strlen(key));
}
void sx_json_str(sx_json *j, const char *s, size_t n);
void sx_json_int(sx_json *j, long long v);
void sx_json_bool(sx_json *j, int v);
void sx_json_null(sx_json *j);

/* Strings up to this length are written with one reservation of their
 * worst case (six bytes out per byte in). */
#define SX_JSON_QUOTE_BLOCK 4096u

/* Bytes past the room a string needs that copying it may overwrite:
 * every reservation for a string adds them. */
#define SX_JSON_SLACK 64u

/* The pieces of the inline member below (json.c). sx_json_member_slow
 * writes ',' when due, the key (kn bytes; NULL for none) and the string
 * s[0..n) (NULL: null), in every state. sx_json_plain_copy copies the
 * run of plain bytes (printable ASCII but '"' and '\\') at the start of
 * p[0..m) to o and returns its length; o must have room for m bytes and
 * SX_JSON_SLACK more, as what follows the run there may be overwritten.
 * sx_json_escape_rest escapes p[from..n) at o (room for six bytes per
 * byte and SX_JSON_SLACK) and returns the end of what it wrote. */
void sx_json_member_slow(sx_json *j, const char *key, size_t kn,
                         const char *s, size_t n);
size_t sx_json_plain_copy(char *o, const unsigned char *p, size_t m);
char *sx_json_escape_rest(char *o, const unsigned char *p, size_t from,
                          size_t n);

/* ',' when due, the key, the string: the same bytes as
 * sx_json_member_slow, written here when the common case holds (inside an
 * object or array, no earlier failure, a short string and room for its
 * worst case), so that a literal key is copied with constant moves and a
 * record's fifty members cost no call each. */
static inline void sx_json_member(sx_json *j, const char *key, size_t kn,
                                  const char *s, size_t n)
{
    sx_sbuf *b = j->out;
    size_t need = kn + n * 6 + 8 + SX_JSON_SLACK;
    if (s == NULL || n > SX_JSON_QUOTE_BLOCK || j->err || j->depth < 1 ||
        j->depth > SX_JSON_DEPTH || b->cap - b->len <= need ||
        b->max - b->len < need) {
        sx_json_member_slow(j, key, kn, s, n);
        return;
    }
    char *o = b->data + b->len;
    if (j->after_key)
        j->after_key = 0;
    else if (j->count[j->depth - 1]++ > 0)
        *o++ = ',';
    if (key != NULL) {
        *o++ = '"';
        memcpy(o, key, kn);
        o += kn;
        *o++ = '"';
        *o++ = ':';
    }
    *o++ = '"';
    size_t r = sx_json_plain_copy(o, (const unsigned char *)s, n);
    if (r < n)
        o = sx_json_escape_rest(o + r, (const unsigned char *)s, r, n);
    else
        o += n;
    *o++ = '"';
    *o = '\0';
    b->len = (size_t)(o - b->data);
}

/* A run of members written straight into the buffer, for a writer that
 * knows a bound on their size beforehand (a record's fixed set): one
 * reservation and one set of checks for the run instead of one a member.
 * sx_json_run_begin returns where to write need bytes, and in *comma
 * whether a ',' is due before the first member; or NULL when the common
 * case does not hold (an earlier failure, a key pending, no open level,
 * need bytes beyond the sbuf's maximum or memory): nothing is changed
 * then, and the caller writes the members one by one, which fails or not
 * as it would have. sx_json_run_end takes the end of what was written
 * and the number of members. */
char *sx_json_run_begin(sx_json *j, size_t need, int *comma);
void sx_json_run_end(sx_json *j, char *o, unsigned members);

/* In a run: the string s[0..n), n <= SX_JSON_QUOTE_BLOCK, quoted and
 * escaped at o (room for n * 6 + 2 bytes, and SX_JSON_SLACK past the
 * run's end); returns the end. */
static inline char *sx_json_put_str(char *o, const char *s, size_t n)
{
    *o++ = '"';
    size_t r = sx_json_plain_copy(o, (const unsigned char *)s, n);
    if (r < n)
        o = sx_json_escape_rest(o + r, (const unsigned char *)s, r, n);
    else
        o += n;
    *o++ = '"';
    return o;
}

/* In a run: v in decimal at o (20 bytes at most); returns the end. */
char *sx_json_put_int(char *o, long long v);

/* NULL prints null */
static inline void sx_json_strz(sx_json *j, const char *s)
{
    sx_json_member(j, NULL, 0, s, s ? strlen(s) : 0);
}

/* key + value in one call */
static inline void sx_json_kstrn(sx_json *j, const char *key, size_t klen,
                                 const char *s)
{
    sx_json_member(j, key, klen, s, s ? strlen(s) : 0);
}
void sx_json_kintn(sx_json *j, const char *key, size_t klen, long long v);
static inline void sx_json_kstr(sx_json *j, const char *key, const char *s)
{
    sx_json_kstrn(j, key, strlen(key), s);
}
static inline void sx_json_kint(sx_json *j, const char *key, long long v)
{
    sx_json_kintn(j, key, strlen(key), v);
}
static inline void sx_json_kbool(sx_json *j, const char *key, int v)
{
    sx_json_key(j, key);
    sx_json_bool(j, v);
}

/* Append s[0..n): members of the open object or array already written as
 * JSON text, each with its leading ',' (which the first member of a
 * level must not have). The level then counts as having members. */
void sx_json_raw(sx_json *j, const char *s, size_t n);

/* Append s[0..n) to b as a quoted JSON string, no separator handling.
 * Returns SX_SBUF_OK or the sbuf's failure (b then holds a cut string:
 * the caller drops the item). */
int sx_json_quote(sx_sbuf *b, const char *s, size_t n);

#endif
