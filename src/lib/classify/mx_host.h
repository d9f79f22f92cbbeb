/*
 * mx_host.h - the one reading that needs the recipient's domain beside
 * the reply: a resolver error about a host that is not that domain means
 * the domain's MX named a host without an address (see mx_host.c). Used
 * by the bounce judge and the log reader alike, so both say the same.
 */
#ifndef SX_MX_HOST_H
#define SX_MX_HOST_H
#include <stddef.h>

#include "smtpdx.h"

/* The knowledge-base entry for it (reason hostunknown). */
#define SX_MX_HOST_ENTRY "text.hostunknown.mx-host-unknown"

/* The span "name=HOST type=A" (or AAAA; Postfix) or "Name server: HOST:
 * host not found" (Sendmail) of text[0..n) when HOST is not domain (a
 * trailing dot and case aside): its length, *at its start; else 0. */
size_t sx_mx_host_span(const char *text, size_t n, const char *domain,
                       const char **at);

/* The same span, but only where it changes the reading: reason r is
 * hostunknown with the cause domain-unknown (what a resolver's "Host not
 * found" reads as first). Else 0. */
size_t sx_mx_host_reading(smtpdx_reason r, const char *cause,
                          const char *text, size_t n, const char *domain,
                          const char **at);

#endif
