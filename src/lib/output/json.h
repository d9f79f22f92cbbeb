/*
 * json.h - a streaming JSON emitter over a stdio stream.
 *
 * Whatever bytes it is given, the output is valid JSON (RFC 8259) in
 * valid UTF-8: invalid sequences become U+FFFD, every control character is
 * escaped, and so are DEL, the C1 controls, U+2028/U+2029 and the bidi
 * formatting characters, so that `cat` of the output cannot drive a
 * terminal either. Commas and nesting are tracked here; callers only say
 * key, value, begin and end. Nesting deeper than SX_JSON_DEPTH is a
 * programming error and is ignored (output stays valid for what fits).
 */
#ifndef SX_OUTPUT_JSON_H
#define SX_OUTPUT_JSON_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define SX_JSON_DEPTH 16

typedef struct sx_json {
    FILE *f;
    int depth;
    int after_key;              /* a key was written, its value is next */
    unsigned count[SX_JSON_DEPTH]; /* items written at each level */
} sx_json;

void sx_json_init(sx_json *j, FILE *f);
void sx_json_obj_begin(sx_json *j);
void sx_json_obj_end(sx_json *j);
void sx_json_arr_begin(sx_json *j);
void sx_json_arr_end(sx_json *j);
void sx_json_key(sx_json *j, const char *key);
void sx_json_str(sx_json *j, const char *s, size_t n);
void sx_json_strz(sx_json *j, const char *s); /* NULL prints null */
void sx_json_int(sx_json *j, long long v);
void sx_json_bool(sx_json *j, int v);
void sx_json_null(sx_json *j);

/* key + value in one call */
void sx_json_kstr(sx_json *j, const char *key, const char *s);
void sx_json_kint(sx_json *j, const char *key, long long v);
void sx_json_kbool(sx_json *j, const char *key, int v);

/* Write s[0..n) as a quoted JSON string, no separator handling. */
void sx_json_quote(FILE *f, const char *s, size_t n);

#endif
