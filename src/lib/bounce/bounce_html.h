/*
 * bounce_html.h - the lines of text a text/html notification shows
 * (bounce_html.c).
 */
#ifndef SX_BOUNCE_HTML_H
#define SX_BOUNCE_HTML_H

#include <stddef.h>

#include "smtpdx.h"
#include "util/sbuf.h"

/* s[0..n) as text into out (reset first); SMTPDX_ERR_NOMEM when out
 * cannot grow, as a text with a hole in it would read as another
 * notification. Past out's limit the text is cut. */
smtpdx_status sx_bhtml_to_text(const char *s, size_t n, sx_sbuf *out);

#endif
