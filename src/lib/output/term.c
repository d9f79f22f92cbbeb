/*
 * term.c - neutralised, wrapped, optionally coloured text (see term.h).
 */
#include "output/term.h"

#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "output/utf8.h"

/* A reply is at most SMTPDX_REPLY_TEXT_MAX bytes; its escaped form may be
 * up to six times longer. Anything beyond is cut with an ellipsis. */
#define CLEAN_MAX (1024u * 1024u)

void sx_term_init(sx_term *t, FILE *f, int color, int width)
{
    t->f = f;
    t->color = color;
    if (width <= 0) {
        struct winsize ws;
        width = 80;
        if (isatty(fileno(f)) && ioctl(fileno(f), TIOCGWINSZ, &ws) == 0
            && ws.ws_col > 0)
            width = ws.ws_col;
    }
    if (width < 40)
        width = 40;
    if (width > 120)
        width = 120;
    t->width = width;
    sx_sbuf_init(&t->buf, CLEAN_MAX);
}

void sx_term_release(sx_term *t)
{
    sx_sbuf_release(&t->buf);
}

void sx_term_style(sx_term *t, const char *sgr)
{
    if (t->color)
        fprintf(t->f, "\033[%sm", sgr);
}

void sx_term_reset(sx_term *t)
{
    if (t->color)
        fputs("\033[0m", t->f);
}

const char *sx_term_clean(sx_term *t, const char *s, size_t n, int keep_nl,
                          size_t *outlen)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    sx_sbuf *b = &t->buf;
    int rc = 0;

    sx_sbuf_reset(b);
    if (s == NULL)
        n = 0;
    /* What is shown as it is goes in by runs: a call per code point made
     * the table the slowest format by far. */
    size_t run = 0;
    for (size_t i = 0; i < n && rc == 0;) {
        uint32_t cp = p[i];
        size_t len = 1;
        if (cp >= 0x20 && cp < 0x7f) {
            i++;
            continue;
        }
        if (cp >= 0x80)
            len = sx_utf8_decode(p + i, n - i, &cp);
        if (len != 0 && !sx_utf8_is_unsafe(cp)) {
            i += len;
            continue;
        }
        if (i > run)
            rc = sx_sbuf_append_utf8_cut(b, (const char *)p + run, i - run);
        if (rc != 0)
            break;
        if (len == 0) {
            rc = sx_sbuf_append(b, "\xef\xbf\xbd", 3); /* U+FFFD */
            len = 1;
        } else if (cp == '\n' && keep_nl)
            rc = sx_sbuf_putc(b, '\n');
        else if (cp == '\n')
            rc = sx_sbuf_puts(b, " | ");
        else if (cp == '\t')
            rc = sx_sbuf_putc(b, ' ');
        else if (cp == '\r' && i + 1 < n && p[i + 1] == '\n')
            ; /* CR of a CRLF line end: nothing to show */
        else if (cp < 0x100)
            rc = sx_sbuf_printf(b, "\\x%02x", (unsigned)cp);
        else
            rc = sx_sbuf_printf(b, "\\u%04x", (unsigned)cp);
        i += len;
        run = i;
    }
    if (rc == 0 && n > run)
        rc = sx_sbuf_append_utf8_cut(b, (const char *)p + run, n - run);
    if (rc != 0) {
        /* Over the limit or out of memory: show what fits, say it is cut:
         * room for the "..." made, at a character boundary. */
        if (b->max > 4 && b->len + 4 > b->max)
            b->len = b->max - 4;
        while (b->data != NULL && b->len > 0 &&
               ((unsigned char)b->data[b->len] & 0xc0) == 0x80)
            b->len--;
        if (b->data != NULL) {
            b->data[b->len] = '\0';
            if (b->len + 3 <= b->max)
                sx_sbuf_puts(b, "...");
        }
    }
    *outlen = b->len;
    return b->data ? b->data : "";
}

void sx_term_text(sx_term *t, const char *s, size_t n)
{
    size_t len;
    const char *c = sx_term_clean(t, s, n, 0, &len);
    fwrite(c, 1, len, t->f);
}

void sx_term_textz(sx_term *t, const char *s)
{
    sx_term_text(t, s, s ? strlen(s) : 0);
}

void sx_term_wrap(sx_term *t, const char *s, size_t n, int col, int indent)
{
    size_t len;
    const char *c = sx_term_clean(t, s, n, 0, &len);
    size_t i = 0;
    int room = t->width - col;

    if (room < 20)
        room = 20;
    while (i < len && c[i] == ' ')
        i++;
    while (i < len) {
        /* Take as many columns as fit (one per code point), then step
         * back to the last space. */
        size_t j = i, brk = 0;
        int w = 0;
        while (j < len) {
            if (c[j] == ' ')
                brk = j;
            if (((unsigned char)c[j] & 0xc0) != 0x80) {
                if (w == room)
                    break;
                w++;
            }
            j++;
        }
        size_t end = j;
        if (j < len && c[j] != ' ' && brk > i) {
            end = brk;
        } else if (j < len && c[j] != ' ') {
            /* One word longer than the line (a URL): keep it whole, so it
             * can still be copied or clicked. */
            while (end < len && c[end] != ' ')
                end++;
        }
        fwrite(c + i, 1, end - i, t->f);
        i = end;
        while (i < len && c[i] == ' ')
            i++;
        if (i < len) {
            fprintf(t->f, "\n%*s", indent, "");
            room = t->width - indent;
            if (room < 20)
                room = 20;
        }
    }
    fputc('\n', t->f);
}
