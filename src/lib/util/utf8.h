/*
 * utf8.h - strict UTF-8 decoding and encoding, one code point at a time.
 *
 * Text comes from mail and logs: any byte sequence is possible. The
 * writers decode it to decide what may be printed, the bounce readers to
 * tell a letter of another script from its punctuation.
 */
#ifndef SX_UTF8_H
#define SX_UTF8_H
#include <stddef.h>
#include <stdint.h>

/* Decode the code point at s[0..n) (n > 0). Returns the length of a
 * well-formed sequence (1..4) and sets *cp, or 0 when the bytes are not
 * well-formed UTF-8 (RFC 3629 section 4: overlong forms, surrogates and
 * values above U+10FFFF are all refused); the caller then skips one byte
 * and shows U+FFFD. */
size_t sx_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

/* Encode code point c as UTF-8 into d (room for 4 bytes); returns the
 * length. NUL, surrogates and values above U+10FFFF, which no text may
 * hold, become U+FFFD. */
size_t sx_utf8_encode(char *d, uint32_t c);

#endif
