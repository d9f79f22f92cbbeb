/*
 * note.c - piecewise building of conflict notes (note.h).
 */
#include "classify/note.h"

#include <string.h>

void sx_note_init(sx_note *n, char *buf, size_t cap)
{
    n->buf = buf;
    n->cap = cap;
    n->len = 0;
    buf[0] = '\0';
}

static void put(sx_note *n, const char *s, size_t len)
{
    size_t room = n->cap - 1 - n->len;
    if (len > room)
        len = room;
    memcpy(n->buf + n->len, s, len);
    n->len += len;
    n->buf[n->len] = '\0';
}

void sx_note_str(sx_note *n, const char *s)
{
    if (s != NULL)
        put(n, s, strlen(s));
}

void sx_note_int(sx_note *n, int v)
{
    char digits[12];
    size_t i = sizeof(digits);
    unsigned u = v < 0 ? 0u - (unsigned)v : (unsigned)v;
    do {
        digits[--i] = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0 && i > 1);
    if (v < 0)
        digits[--i] = '-';
    put(n, digits + i, sizeof(digits) - i);
}

void sx_note_enh(sx_note *n, int cls, int subject, int detail)
{
    sx_note_int(n, cls);
    put(n, ".", 1);
    sx_note_int(n, subject);
    put(n, ".", 1);
    sx_note_int(n, detail);
}

void sx_note_sentence(sx_note *n)
{
    if (n->len > 0)
        put(n, " ", 1);
}
