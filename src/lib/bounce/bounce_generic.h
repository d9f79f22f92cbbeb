/*
 * bounce_generic.h - the free-text tools of bounce_generic.c and
 * bounce_transcript.c that the family detectors and each other reuse.
 */
#ifndef SX_BOUNCE_GENERIC_H
#define SX_BOUNCE_GENERIC_H

#include "bounce/bounce.h"

/* The line is mostly one address (see bounce_generic.c). */
int sx_bgeneric_addr_line(sx_str line, sx_str *addr);
/* One recipient per address in the X-Failed-Recipients field. */
smtpdx_status sx_bgeneric_xfailed(sx_bmail *m, sx_bres *res);

/* One more piece of a reply into out, blank-separated, while it is under
 * 4 KB; *full is set once the limit cut a piece. */
smtpdx_status sx_bgeneric_piece(sx_sbuf *out, sx_str t, int *full);

/* bounce_transcript.c */
/* The length of the arrow or label that opens a transcript line t: of a
 * command sent when sent is set, else of an answer received; 0 if none. */
size_t sx_btx_arrow(sx_str t, int sent);
/* A command line written without an arrow ("RCPT TO:<a@b>"): its command
 * name, or NULL. */
const char *sx_btx_bare_command(sx_str t);
/* The line starts with an error code (4xx or 5xx) and a blank or dash. */
int sx_btx_error_answer(sx_str t);
/* Read the lines p..e as a transcript under rc: 1 when they held an error
 * answer, which became rc's reply (with the command and host before it,
 * where rc has none); *st tells of a failed allocation. tmp is scratch. */
int sx_btx_read(sx_bres *res, sx_brcpt *rc, const char *p, const char *e,
                sx_sbuf *tmp, smtpdx_status *st);

#endif
