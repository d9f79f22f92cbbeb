/*
 * out_common.c - small facts every writer backend shows the same way
 * (see writer_int.h).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "output/writer_int.h"

void sx_out_matched(const smtpdx_reply *reply, const smtpdx_explanation *e,
                    char *buf, size_t bufsz, const char **s, size_t *n)
{
    buf[0] = '\0';
    *s = buf;
    *n = 0;
    if (reply == NULL)
        return;
    switch (e->matched_by) {
    case SMTPDX_MATCH_TEXT:
        if (reply->text != NULL && e->match_off <= reply->text_len
            && e->match_len <= reply->text_len - e->match_off) {
            *s = reply->text + e->match_off;
            *n = e->match_len;
        }
        return;
    case SMTPDX_MATCH_ENHANCED:
        snprintf(buf, bufsz, "%s", reply->enhanced);
        break;
    case SMTPDX_MATCH_CODE:
        if (reply->code > 0)
            snprintf(buf, bufsz, "%d", reply->code);
        break;
    case SMTPDX_MATCH_CLASS: {
        int cls = reply->enh_class ? reply->enh_class : reply->code / 100;
        if (cls > 0)
            snprintf(buf, bufsz, "%dxx", cls);
        break;
    }
    case SMTPDX_MATCH_RETURNED: /* only records carry that text */
    case SMTPDX_MATCH_REPORT:
    case SMTPDX_MATCH_NONE:
        break;
    }
    *n = strlen(buf);
}

void sx_out_record_matched(const smtpdx_record *r, char *buf, size_t bufsz,
                           const char **s, size_t *n)
{
    const smtpdx_explanation *e = &r->why;

    buf[0] = '\0';
    *s = r->matched_text;
    *n = strlen(r->matched_text);
    if (*n > 0 || e->matched_by == SMTPDX_MATCH_TEXT)
        return;
    if (e->matched_by == SMTPDX_MATCH_ENHANCED)
        snprintf(buf, bufsz, "%s", r->deliverystatus);
    else if (e->matched_by == SMTPDX_MATCH_CODE && r->replycode > 0)
        snprintf(buf, bufsz, "%d", r->replycode);
    else if (e->matched_by == SMTPDX_MATCH_CLASS && r->replycode > 0)
        snprintf(buf, bufsz, "%dxx", r->replycode / 100);
    *s = buf;
    *n = strlen(buf);
}

/* Item storage larger than this is freed after use rather than kept. */
#define SX_OUT_ITEM_KEEP (1024u * 1024u)

smtpdx_status sx_out_item_write(smtpdx_writer *w, int err)
{
    smtpdx_status st = SMTPDX_OK;
    if (err == SX_SBUF_NOMEM)
        st = SMTPDX_ERR_NOMEM;
    else if (err != SX_SBUF_OK)
        st = SMTPDX_ERR_LIMIT;
    else if (w->item.len > 0)
        fwrite(w->item.data, 1, w->item.len, w->out);
    if (w->item.cap > SX_OUT_ITEM_KEEP)
        sx_sbuf_release(&w->item); /* an outsized item: give it back */
    else
        sx_sbuf_reset(&w->item);
    return st;
}

const char *sx_out_temp_word(int temporary)
{
    if (temporary == 1)
        return "temporary";
    if (temporary == 0)
        return "permanent";
    return "";
}

int sx_out_failure(smtpdx_reason r)
{
    return r != SMTPDX_R_FEEDBACK && r != SMTPDX_R_VACATION &&
           r != SMTPDX_R_DELIVERED;
}

int sx_out_softbounce(const smtpdx_record *r)
{
    if (!sx_out_failure(r->reason))
        return -1;
    return r->hardbounce ? 0 : 1;
}

static const char *const flag_names[] = {
    "multiline", "class-conflict", "enhanced-misspelt", "no-basic-code",
    "truncated", "bad-bytes", "enhanced-invalid",
};

static const char *const cut_names[] = {
    "text", "dsn", "recipients", "diagnostic", "returned", "header",
    "message",
};

/* The names of the bits set in bits, bit i named table[i]. */
static size_t bit_names(unsigned bits, const char *const *table, size_t n,
                        const char **names, size_t max)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if ((bits & (1u << i)) && k < max)
            names[k++] = table[i];
    return k;
}

size_t sx_out_cut_names(unsigned cut, const char **names, size_t max)
{
    return bit_names(cut, cut_names, sizeof(cut_names) / sizeof(cut_names[0]),
                     names, max);
}

size_t sx_out_flag_names(unsigned flags, const char **names, size_t max)
{
    return bit_names(flags, flag_names,
                     sizeof(flag_names) / sizeof(flag_names[0]), names, max);
}

/* "+0900" -> seconds east of UTC in *sec; returns 0 when malformed. */
static int tz_seconds(const char *tz, long *sec)
{
    *sec = 0;
    if (tz == NULL || (tz[0] != '+' && tz[0] != '-') || strlen(tz) != 5)
        return 0;
    for (int i = 1; i < 5; i++)
        if (tz[i] < '0' || tz[i] > '9')
            return 0;
    long h = (tz[1] - '0') * 10 + (tz[2] - '0');
    long m = (tz[3] - '0') * 10 + (tz[4] - '0');
    if (h > 23 || m > 59)
        return 0;
    *sec = (h * 3600 + m * 60) * (tz[0] == '-' ? -1 : 1);
    return 1;
}

void sx_out_time(int64_t t, const char *tzoffset, char *buf, size_t n)
{
    long off;
    const char *tz = tz_seconds(tzoffset, &off) ? tzoffset : "+0000";
    time_t lt = (time_t)(t + off);
    struct tm tm;
    if (gmtime_r(&lt, &tm) == NULL) {
        snprintf(buf, n, "%lld", (long long)t);
        return;
    }
    snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02d%s", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, tz);
}
