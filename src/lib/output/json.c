/*
 * json.c - streaming JSON emitter (see json.h).
 */
#include "output/json.h"

#include <string.h>

#include "output/utf8.h"

static const char hex[] = "0123456789abcdef";

static void put_u_escape(FILE *f, uint32_t cp)
{
    char buf[6] = {'\\', 'u', hex[(cp >> 12) & 15], hex[(cp >> 8) & 15],
                   hex[(cp >> 4) & 15], hex[cp & 15]};
    fwrite(buf, 1, sizeof(buf), f);
}

void sx_json_quote(FILE *f, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, run = 0; /* run: start of bytes that pass unchanged */

    fputc('"', f);
    if (p == NULL)
        n = 0;
    while (i < n) {
        unsigned char c = p[i];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            i++;
            continue;
        }
        uint32_t cp = 0;
        size_t len = sx_utf8_decode(p + i, n - i, &cp);
        if (len > 1 && !sx_utf8_is_unsafe(cp)) {
            i += len;
            continue;
        }
        fwrite(p + run, 1, i - run, f);
        if (len == 0) {
            fputs("\\ufffd", f); /* invalid byte */
            len = 1;
        } else if (cp == '"') {
            fputs("\\\"", f);
        } else if (cp == '\\') {
            fputs("\\\\", f);
        } else if (cp == '\n') {
            fputs("\\n", f);
        } else if (cp == '\r') {
            fputs("\\r", f);
        } else if (cp == '\t') {
            fputs("\\t", f);
        } else {
            put_u_escape(f, cp); /* all other escapes are in the BMP */
        }
        i += len;
        run = i;
    }
    fwrite(p + run, 1, i - run, f);
    fputc('"', f);
}

void sx_json_init(sx_json *j, FILE *f)
{
    memset(j, 0, sizeof(*j));
    j->f = f;
}

/* Before any value: a comma when it is not the first at this level. */
static void sep(sx_json *j)
{
    if (j->after_key) {
        j->after_key = 0;
        return;
    }
    if (j->depth > 0 && j->depth <= SX_JSON_DEPTH) {
        if (j->count[j->depth - 1]++ > 0)
            fputc(',', j->f);
    }
}

static void open_level(sx_json *j, char c)
{
    sep(j);
    fputc(c, j->f);
    j->depth++;
    if (j->depth <= SX_JSON_DEPTH)
        j->count[j->depth - 1] = 0;
}

static void close_level(sx_json *j, char c)
{
    if (j->depth > 0)
        j->depth--;
    j->after_key = 0;
    fputc(c, j->f);
}

void sx_json_obj_begin(sx_json *j) { open_level(j, '{'); }
void sx_json_obj_end(sx_json *j) { close_level(j, '}'); }
void sx_json_arr_begin(sx_json *j) { open_level(j, '['); }
void sx_json_arr_end(sx_json *j) { close_level(j, ']'); }

void sx_json_key(sx_json *j, const char *key)
{
    sep(j);
    sx_json_quote(j->f, key, strlen(key));
    fputc(':', j->f);
    j->after_key = 1;
}

void sx_json_str(sx_json *j, const char *s, size_t n)
{
    sep(j);
    sx_json_quote(j->f, s, n);
}

void sx_json_strz(sx_json *j, const char *s)
{
    if (s == NULL)
        sx_json_null(j);
    else
        sx_json_str(j, s, strlen(s));
}

void sx_json_int(sx_json *j, long long v)
{
    sep(j);
    fprintf(j->f, "%lld", v);
}

void sx_json_bool(sx_json *j, int v)
{
    sep(j);
    fputs(v ? "true" : "false", j->f);
}

void sx_json_null(sx_json *j)
{
    sep(j);
    fputs("null", j->f);
}

void sx_json_kstr(sx_json *j, const char *key, const char *s)
{
    sx_json_key(j, key);
    sx_json_strz(j, s);
}

void sx_json_kint(sx_json *j, const char *key, long long v)
{
    sx_json_key(j, key);
    sx_json_int(j, v);
}

void sx_json_kbool(sx_json *j, const char *key, int v)
{
    sx_json_key(j, key);
    sx_json_bool(j, v);
}
