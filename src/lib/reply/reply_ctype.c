/*
 * reply_ctype.c - byte classes for the reply scanners.
 *
 * One table lookup answers what would otherwise be a chain of comparisons
 * in the loops that touch every byte of a reply (reply_scan.c walking the
 * tokens, reply_parse.c compacting the text). Locale-independent, unlike
 * <ctype.h>: a reply is bytes, not text in the reader's locale.
 */
#include "reply/reply.h"

#define IS_DIGIT(c) ((c) >= '0' && (c) <= '9')
#define IS_ALPHA(c) (((c) | 0x20) >= 'a' && ((c) | 0x20) <= 'z')
#define IS_WRAP(c)                                                             \
    ((IS_ALPHA(c) &&                                                           \
      (((c) | 0x20) == 'c' || ((c) | 0x20) == 'd' || ((c) | 0x20) == 'f' ||    \
       ((c) | 0x20) == 'h' || ((c) | 0x20) == 'l' || ((c) | 0x20) == 'm' ||    \
       ((c) | 0x20) == 'r' || ((c) | 0x20) == 's' || ((c) | 0x20) == 'w' ||    \
       ((c) | 0x20) == 'x')) ||                                                \
     (c) == '(' || (c) == '<' || (c) == '>' || (c) == '#')

#define CLASS_OF(c)                                                            \
    ((IS_DIGIT(c) ? SX_C_DIGIT | SX_C_ALNUM : 0) |                             \
     (IS_ALPHA(c) ? SX_C_ALPHA | SX_C_ALNUM : 0) |                             \
     ((c) >= 0x80 ? SX_C_HIGH : 0) |                                           \
     ((c) == ' ' || (c) == '\n' ? SX_C_WS : 0) |                               \
     ((c) > ' ' && (c) != '#' && !IS_DIGIT(c) ? SX_C_PLAIN : 0) |              \
     (IS_WRAP(c) ? SX_C_WRAP : 0))

#define R4(b)                                                                  \
    CLASS_OF(b), CLASS_OF((b) + 1), CLASS_OF((b) + 2), CLASS_OF((b) + 3)
#define R16(b) R4(b), R4((b) + 4), R4((b) + 8), R4((b) + 12)
#define R64(b) R16(b), R16((b) + 16), R16((b) + 32), R16((b) + 48)

const unsigned char sx_reply_ctype[256] = {R64(0), R64(64), R64(128), R64(192)};
