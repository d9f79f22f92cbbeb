/*
 * addr.c - the plain spelling of an address (see addr.h).
 */
#include <string.h>

#include "util/addr.h"

size_t sx_addr_plain(const char *a, size_t n, char *buf, size_t cap)
{
    if (n < 4 || a[0] != '"' || n - 2 > cap)
        return 0;
    const char *q = memchr(a + 1, '"', n - 1);
    if (q == NULL || q == a + 1 || q + 2 >= a + n || q[1] != '@')
        return 0;
    const char *l = a + 1;
    size_t k = (size_t)(q - l);
    if (l[0] == '.' || l[k - 1] == '.')
        return 0;
    for (size_t i = 0; i < k; i++) {
        unsigned char c = (unsigned char)l[i];
        /* atext (RFC 5322 3.2.3), UTF-8 too (RFC 6531), and single dots */
        if (c == '.' ? l[i + 1] == '.'
                     : !(c >= 0x80 || (c >= 'a' && c <= 'z') ||
                         (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                         strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL))
            return 0;
    }
    memcpy(buf, l, k);
    memcpy(buf + k, q + 1, (size_t)(a + n - q - 1));
    return n - 2;
}

int sx_host_is_address(const char *h)
{
    if (*h == '[')
        h++;
    if (strchr(h, ':') != NULL)
        return 1; /* IPv6 (a name holds no colon) */
    if (*h == '\0' || *h == ']')
        return 0;
    for (; *h != '\0' && *h != ']'; h++)
        if (!(*h >= '0' && *h <= '9') && *h != '.')
            return 0;
    return 1;
}
