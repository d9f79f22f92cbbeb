/*
 * utf8.h - what the writers may print of UTF-8 text.
 *
 * Text reaching a writer comes from mail and logs: any byte sequence is
 * possible. The writers decode it one code point at a time
 * (util/utf8.h) and decide here per code point what may be printed;
 * nothing else in output/ walks bytes.
 */
#ifndef SX_OUTPUT_UTF8_H
#define SX_OUTPUT_UTF8_H
#include <stddef.h>
#include <stdint.h>

#include "util/utf8.h" /* sx_utf8_decode */

/* Code points that move the cursor, change colours or reorder text on a
 * terminal: C0 and C1 controls, DEL, and the bidirectional formatting
 * characters (U+061C, U+200E/F, U+202A..U+202E, U+2066..U+2069), and
 * the Unicode line and paragraph separators U+2028/U+2029. */
int sx_utf8_is_unsafe(uint32_t cp);

#endif
