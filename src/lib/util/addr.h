/*
 * addr.h - one spelling for one mailbox.
 *
 * "tora.neko"@example.jp and tora.neko@example.jp name the same mailbox
 * (RFC 5321 4.1.2: a quoted local part whose text is a dot-atom needs no
 * quotes). Records written from bounces and from logs use the plain form,
 * so that a list of failed addresses, the tokens made from them and a
 * count by recipient do not split one mailbox in two.
 */
#ifndef SX_ADDR_H
#define SX_ADDR_H

#include <stddef.h>

/* When a (n bytes) has a quoted local part that needs no quotes, the
 * address without them into buf (cap bytes) and its length; 0 when a is
 * to be kept as written (no quotes, quotes it needs: "neko..nyaan",
 * "john doe", "a\"b", or longer than buf). */
size_t sx_addr_plain(const char *a, size_t n, char *buf, size_t cap);

/* Does s[0..n) look like an IP address: four dotted groups of digits, or
 * hex groups with two colons at least (IPv6)? */
int sx_looks_like_ip(const char *s, size_t n);

/* Is the host an IP address ("192.0.2.1", "[192.0.2.1]", "2001:db8::1",
 * "[IPv6:2001:db8::1]") rather than a name? An address names no provider:
 * where a report gives only that, the recipient's domain is what can. */
int sx_host_is_address(const char *h);

#endif
