/*
 * log_journal.c - lines of "journalctl -o json": one JSON object per
 * line, whose fields give what a syslog header would (systemd.journal-
 * fields(7)): the program as SYSLOG_IDENTIFIER ("postfix/smtp"), the
 * host as _HOSTNAME, the time as __REALTIME_TIMESTAMP (microseconds since
 * the epoch, so the year and the zone are never guessed), and the text as
 * MESSAGE.
 *
 * journald stores a MESSAGE that is not valid UTF-8 as an array of byte
 * values; such a line is not read (it is counted as not understood). The
 * JSON parser is json-c's; the spans point into its object, which the
 * caller releases after the line is handled.
 */
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log/log.h"

static const char *field(json_object *o, const char *key, size_t *n)
{
    json_object *v = NULL;
    if (!json_object_object_get_ex(o, key, &v) ||
        !json_object_is_type(v, json_type_string))
        return NULL;
    *n = (size_t)json_object_get_string_len(v);
    return json_object_get_string(v);
}

int sx_log_journal(smtpdx_logparser *p, sx_span s, sx_span *prog,
                   sx_span *msg, void **hold)
{
    *hold = NULL;
    if (s.n < 2 || s.p[0] != '{' || s.n > INT32_MAX)
        return 0;
    json_tokener *tok = json_tokener_new();
    if (tok == NULL)
        return 0;
    json_object *o = json_tokener_parse_ex(tok, s.p, (int)s.n);
    int done = json_tokener_get_error(tok) == json_tokener_success;
    json_tokener_free(tok);
    if (o == NULL || !done || !json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        return 0;
    }
    size_t ni = 0, nm = 0, nh = 0, nt = 0;
    const char *id = field(o, "SYSLOG_IDENTIFIER", &ni);
    const char *m = field(o, "MESSAGE", &nm);
    const char *h = field(o, "_HOSTNAME", &nh);
    const char *t = field(o, "__REALTIME_TIMESTAMP", &nt);
    if (id == NULL || m == NULL) {
        json_object_put(o);
        return 0;
    }
    /* the time: microseconds since the epoch, in decimal */
    int64_t us = 0;
    for (size_t i = 0; t != NULL && i < nt && i < 18; i++) {
        if (t[i] < '0' || t[i] > '9') {
            us = 0;
            break;
        }
        us = us * 10 + (t[i] - '0');
    }
    time_t secs = (time_t)(us / 1000000);
    struct tm tm;
    memset(&p->now, 0, sizeof p->now);
    p->now.t = (int64_t)secs;
    if (us == 0) {
        p->now.hour = -1; /* no time: counted in no hour */
    } else if (p->clock.utc ? gmtime_r(&secs, &tm) != NULL
                            : localtime_r(&secs, &tm) != NULL) {
        p->now.hour = tm.tm_hour;
        p->now.off = (int)(sx_clock_civil(tm.tm_year + 1900, tm.tm_mon + 1,
                                          tm.tm_mday, tm.tm_hour, tm.tm_min,
                                          tm.tm_sec) -
                           (int64_t)secs);
    }
    *prog = sx_span_make(id, ni);
    *msg = sx_span_make(m, nm);
    p->host = sx_span_make(h ? h : "", h ? nh : 0);
    *hold = o;
    return 1;
}

void sx_log_journal_release(void *hold)
{
    json_object_put(hold);
}
