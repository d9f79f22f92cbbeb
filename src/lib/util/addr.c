/*
 * addr.c - the plain spelling of an address (see addr.h).
 */
#include <string.h>
#include <strings.h>

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

int sx_looks_like_ip(const char *s, size_t n)
{
    int dots = 0, colons = 0;
    for (size_t k = 0; k < n; k++) {
        unsigned char c = (unsigned char)s[k];
        if (c == '.')
            dots++;
        else if (c == ':')
            colons++;
        else if (!(c >= '0' && c <= '9') &&
                 !((c | 0x20) >= 'a' && (c | 0x20) <= 'f'))
            return 0;
    }
    return dots == 3 || colons >= 2;
}

int sx_host_is_address(const char *h)
{
    size_t n = strlen(h);
    if (n >= 2 && h[0] == '[' && h[n - 1] == ']') {
        h++;
        n -= 2;
        if (n >= 5 && strncasecmp(h, "ipv6:", 5) == 0) {
            h += 5;
            n -= 5;
        }
    }
    return sx_looks_like_ip(h, n);
}
