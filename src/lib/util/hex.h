/*
 * hex.h - the value of a hexadecimal digit.
 *
 * Quoted-printable (=XX), RFC 2231 parameters (%XX) and RFC 6533
 * addresses (\x{HEX}) all read hex digits; quoted-printable reads them in
 * bulk, hence a table rather than comparisons.
 */
#ifndef SX_HEX_H
#define SX_HEX_H

/* 0 to 15 for '0'-'9', 'a'-'f' and 'A'-'F'; -1 for every other byte. */
extern const signed char sx_hex_digit[256];

static inline int sx_hex_value(char c)
{
    return sx_hex_digit[(unsigned char)c];
}

#endif
