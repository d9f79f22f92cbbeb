/*
 * mx_host.c - tell "the recipient's domain does not exist" from "its MX
 * names a host that does not exist". Postfix words both the same ("Host
 * or domain name not found. Name service error for name=NAME type=A: Host
 * not found") and says which it was only in a warning of its log; NAME
 * tells: the domain itself, or a host its MX gave. The first is the
 * sender's typing error, the second the domain administrator's DNS.
 */
#include <string.h>
#include <strings.h>

#include "classify/mx_host.h"

static const char *find_name(const char *s, size_t n)
{
    for (size_t i = 0; i + 5 <= n; i++)
        if ((s[i] == 'n' || s[i] == 'N') && strncasecmp(s + i, "name=", 5) == 0)
            return s + i;
    return NULL;
}

size_t sx_mx_host_span(const char *text, size_t n, const char *domain,
                       const char **at)
{
    const char *p = text ? find_name(text, n) : NULL;
    if (p == NULL || domain == NULL || domain[0] == '\0')
        return 0;
    const char *h = p + 5, *e = text + n, *q = h;
    while (q < e && *q != ' ' && *q != ',' && *q != ':')
        q++;
    size_t hl = (size_t)(q - h);
    if (hl > 0 && h[hl - 1] == '.')
        hl--;
    if (hl == 0 || (size_t)(e - q) < 7 || strncasecmp(q, " type=A", 7) != 0)
        return 0;
    size_t dl = strlen(domain);
    if (dl > 0 && domain[dl - 1] == '.')
        dl--;
    if (hl == dl && strncasecmp(h, domain, dl) == 0)
        return 0;
    q += 7;
    if ((size_t)(e - q) >= 3 && strncasecmp(q, "AAA", 3) == 0)
        q += 3;
    if (q < e && *q != ':' && *q != ' ')
        return 0;
    *at = p;
    return (size_t)(q - p);
}

size_t sx_mx_host_reading(smtpdx_reason r, const char *cause,
                          const char *text, size_t n, const char *domain,
                          const char **at)
{
    if (r != SMTPDX_R_HOSTUNKNOWN || cause == NULL ||
        strcmp(cause, "domain-unknown") != 0)
        return 0;
    return sx_mx_host_span(text, n, domain, at);
}
