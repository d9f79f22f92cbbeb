/*
 * note.h - builds the conflict note of an explanation in the ctx's fixed
 * buffer, piece by piece, without printf (this is on every classification
 * that finds a conflict, and formatted output costs more than the match).
 *
 * The note is always NUL-terminated and silently cut at the buffer's end.
 */
#ifndef SX_NOTE_H
#define SX_NOTE_H
#include <stddef.h>

typedef struct sx_note {
    char *buf;
    size_t cap;   /* bytes in buf, the NUL included; at least 1 */
    size_t len;
} sx_note;

void sx_note_init(sx_note *n, char *buf, size_t cap);
void sx_note_str(sx_note *n, const char *s);
void sx_note_int(sx_note *n, int v);
/* "5.1.1" */
void sx_note_enh(sx_note *n, int cls, int subject, int detail);
/* Start a new sentence: a space when the note already holds one. */
void sx_note_sentence(sx_note *n);

#endif
