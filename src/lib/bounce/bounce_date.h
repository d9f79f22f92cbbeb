/*
 * bounce_date.h - parse the dates found in bounces (see bounce_date.c)
 * and make the record token.
 */
#ifndef SX_BOUNCE_DATE_H
#define SX_BOUNCE_DATE_H

#include <stddef.h>
#include <stdint.h>

/* Parse s[0..n) as a date. On success returns 1, *t = Unix time (UTC) and
 * *tzoff = the written offset as a decimal hhmm number (+0900 -> 900,
 * -0330 -> -330; "-0000", a time in UTC whose local zone is not known,
 * RFC 5322 3.3: SX_BDATE_TZ_MINUS_ZERO). Returns 0 (and zeros) when
 * nothing usable is found. */
#define SX_BDATE_TZ_MINUS_ZERO (-10000)
int sx_bdate_parse(const char *s, size_t n, int64_t *t, int *tzoff);


#endif
