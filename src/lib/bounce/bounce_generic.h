/*
 * bounce_generic.h - the free-text tools of bounce_generic.c that the
 * family detectors reuse.
 */
#ifndef SX_BOUNCE_GENERIC_H
#define SX_BOUNCE_GENERIC_H

#include "bounce/bounce.h"

/* The line is mostly one address (see bounce_generic.c). */
int sx_bgeneric_addr_line(sx_str line, sx_str *addr);
/* One recipient per address in the X-Failed-Recipients field. */
smtpdx_status sx_bgeneric_xfailed(sx_bmail *m, sx_bres *res);

#endif
