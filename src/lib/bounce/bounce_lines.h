/*
 * bounce_lines.h - classifying a line of a notice's text (bounce_lines.c).
 */
#ifndef SX_BOUNCE_LINES_H
#define SX_BOUNCE_LINES_H

#include "bounce/bounce_text.h"

/* The line states an error: a reply code, an enhanced status code or an
 * error word (in the languages notices come in). */
int sx_bl_error(sx_str l);
/* A heading that announces delivered addresses below it ("Delivered:")
 * and no failure. */
int sx_bl_success_heading(sx_str t);
/* A label that only announces the reason below it ("because:", "Reason
 * :"). */
int sx_bl_label_only(sx_str t);
/* A line of boilerplate, no part of a reply ("The mail system", "Your
 * original message is attached", "Generating server: ..."). */
int sx_bl_boilerplate(sx_str l);
/* A heading over causes the notice only guesses at ("Possible reasons"). */
int sx_bl_guesses(sx_str t);
/* A section rule or heading: "-----", "----- Title -----", "*** ... ***". */
int sx_bl_rule(sx_str t);

#endif
