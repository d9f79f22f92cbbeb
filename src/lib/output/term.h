/*
 * term.h - text for people on a terminal: neutralised, wrapped, coloured.
 *
 * Everything the table writer prints from the input goes through
 * sx_term_text(): control characters and escape sequences are shown as
 * visible escapes ("\x1b"), bidi overrides as "\u202e", invalid UTF-8 as
 * U+FFFD, so that no reply text, subject or address can move the cursor,
 * set colours, retitle the window or reorder what is shown. Colour codes
 * come only from the writer itself and only when asked for.
 */
#ifndef SX_OUTPUT_TERM_H
#define SX_OUTPUT_TERM_H
#include <stddef.h>
#include <stdio.h>

#include "util/sbuf.h"

typedef struct sx_term {
    FILE *f;
    int color;   /* emit SGR sequences */
    int width;   /* wrap at this column */
    sx_sbuf buf; /* scratch for neutralised text */
} sx_term;

/* width 0: the terminal's width when f is one, else 80 (kept in 40..120). */
void sx_term_init(sx_term *t, FILE *f, int color, int width);
void sx_term_release(sx_term *t);

/* SGR styles; no-ops without colour. */
#define SX_SGR_BOLD "1"
#define SX_SGR_RED "1;31"
#define SX_SGR_GREEN "1;32"
#define SX_SGR_YELLOW "1;33"
#define SX_SGR_MAGENTA "35"
#define SX_SGR_CYAN "36"
#define SX_SGR_DIM "2"
void sx_term_style(sx_term *t, const char *sgr);
void sx_term_reset(sx_term *t);

/* Neutralise s[0..n) into t->buf (newlines become a visible " | " unless
 * keep_nl). Returns the neutralised text (valid until the next call). */
const char *sx_term_clean(sx_term *t, const char *s, size_t n, int keep_nl,
                          size_t *outlen);

/* Print s[0..n) neutralised on one line, no wrapping. */
void sx_term_text(sx_term *t, const char *s, size_t n);
void sx_term_textz(sx_term *t, const char *s);

/* Print s[0..n) neutralised and word-wrapped: the first line continues at
 * column col (where the cursor is), later lines start with indent spaces.
 * Ends with a newline. */
void sx_term_wrap(sx_term *t, const char *s, size_t n, int col, int indent);

#endif
