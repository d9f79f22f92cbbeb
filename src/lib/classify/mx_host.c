/*
 * mx_host.c - tell "the recipient's domain does not exist" from "its MX
 * names a host that does not exist". Postfix words both the same ("Host
 * or domain name not found. Name service error for name=NAME type=A: Host
 * not found") and says which it was only in a warning of its log; NAME
 * tells: the domain itself, or a host its MX gave. The first is the
 * sender's typing error, the second the domain administrator's DNS.
 * Sendmail names it the same way: "Host unknown (Name server: NAME: host
 * not found)".
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

/* host[0..hl) is domain, a trailing dot on either and case aside. */
static int is_domain(const char *h, size_t hl, const char *domain)
{
    size_t dl = strlen(domain);
    if (hl > 0 && h[hl - 1] == '.')
        hl--;
    if (dl > 0 && domain[dl - 1] == '.')
        dl--;
    return hl == dl && strncasecmp(h, domain, dl) == 0;
}

/* Sendmail's "Name server: NAME: host not found": the span, or 0. */
static size_t sendmail_span(const char *s, size_t n, const char *domain,
                            const char **at)
{
    static const char lead[] = "name server: ", tail[] = ": host not found";
    const size_t ll = sizeof lead - 1, tl = sizeof tail - 1;
    for (size_t i = 0; i + ll <= n; i++) {
        if (strncasecmp(s + i, lead, ll) != 0)
            continue;
        const char *h = s + i + ll, *e = s + n, *q = h;
        while (q < e && *q != ' ' && *q != ':')
            q++;
        size_t hl = (size_t)(q - h);
        if (hl == 0 || (size_t)(e - q) < tl || strncasecmp(q, tail, tl) != 0 ||
            is_domain(h, hl, domain))
            return 0;
        *at = s + i;
        return (size_t)(q + tl - (s + i));
    }
    return 0;
}

size_t sx_mx_host_span(const char *text, size_t n, const char *domain,
                       const char **at)
{
    if (text == NULL || domain == NULL || domain[0] == '\0')
        return 0;
    const char *p = find_name(text, n);
    if (p == NULL)
        return sendmail_span(text, n, domain, at);
    const char *h = p + 5, *e = text + n, *q = h;
    while (q < e && *q != ' ' && *q != ',' && *q != ':')
        q++;
    size_t hl = (size_t)(q - h);
    if (hl > 0 && h[hl - 1] == '.')
        hl--;
    if (hl == 0 || (size_t)(e - q) < 7 || strncasecmp(q, " type=A", 7) != 0)
        return 0;
    if (is_domain(h, hl, domain))
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
