/*
 * utf8.c - which code points a writer must not print as they are (see
 * utf8.h).
 */
#include "output/utf8.h"

int sx_utf8_is_unsafe(uint32_t cp)
{
    if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
        return 1;
    if (cp == 0x061c || cp == 0x200e || cp == 0x200f || cp == 0x2028
        || cp == 0x2029)
        return 1;
    if ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069))
        return 1;
    return 0;
}
