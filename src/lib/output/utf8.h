/*
 * utf8.h - strict UTF-8 decoding for the writers.
 *
 * Text reaching a writer comes from mail and logs: any byte sequence is
 * possible. The writers decode it here one code point at a time and decide
 * per code point what may be printed; nothing else in output/ walks bytes.
 */
#ifndef SX_OUTPUT_UTF8_H
#define SX_OUTPUT_UTF8_H
#include <stddef.h>
#include <stdint.h>

/* Decode the code point at s[0..n) (n > 0). Returns the length of a
 * well-formed sequence (1..4) and sets *cp, or 0 when the bytes are not
 * well-formed UTF-8 (RFC 3629 section 4: overlong forms, surrogates and
 * values above U+10FFFF are all refused); the caller then skips one byte
 * and shows U+FFFD. */
size_t sx_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

/* Code points that move the cursor, change colours or reorder text on a
 * terminal: C0 and C1 controls, DEL, and the bidirectional formatting
 * characters (U+061C, U+200E/F, U+202A..U+202E, U+2066..U+2069), and
 * the Unicode line and paragraph separators U+2028/U+2029. */
int sx_utf8_is_unsafe(uint32_t cp);

#endif
