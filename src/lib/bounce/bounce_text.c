/*
 * bounce_text.c - bounded text tools for the bounce detectors (see
 * bounce_text.h). Prefix sx_bt_.
 */
#include "bounce/bounce_text.h"

#include <ctype.h>
#include <string.h>

static int lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

int sx_bt_ieq(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
            return 0;
    return 1;
}

int sx_bt_iprefix(const char *s, size_t n, const char *prefix)
{
    size_t pl = strlen(prefix);
    return pl <= n && sx_bt_ieq(s, prefix, pl);
}

const char *sx_bt_ifind(const char *h, size_t hl, const char *needle)
{
    size_t nl = strlen(needle);
    if (h == NULL || nl == 0 || nl > hl)
        return NULL;
    int c0 = lower((unsigned char)needle[0]);
    int c1 = (c0 >= 'a' && c0 <= 'z') ? c0 - 32 : c0;
    const char *end = h + (hl - nl) + 1;
    /* Jump between bytes that can start a match: memchr on each case,
     * keeping the next hit of both so that no byte is scanned twice. */
    const char *a = memchr(h, c0, (size_t)(end - h));
    const char *b = c1 != c0 ? memchr(h, c1, (size_t)(end - h)) : NULL;
    for (;;) {
        const char *q = a == NULL ? b : (b == NULL || a < b ? a : b);
        if (q == NULL)
            return NULL;
        if (sx_bt_ieq(q + 1, needle + 1, nl - 1))
            return q;
        if (q == a)
            a = memchr(q + 1, c0, (size_t)(end - q - 1));
        else
            b = memchr(q + 1, c1, (size_t)(end - q - 1));
    }
}

const char *sx_bt_find(const char *h, size_t hl, const char *needle)
{
    size_t nl = strlen(needle);
    if (h == NULL || nl == 0 || nl > hl)
        return NULL;
    const char *end = h + (hl - nl) + 1;
    for (const char *p = h; p < end;) {
        const char *q = memchr(p, needle[0], (size_t)(end - p));
        if (q == NULL)
            return NULL;
        if (memcmp(q, needle, nl) == 0)
            return q;
        p = q + 1;
    }
    return NULL;
}

int sx_bt_has(sx_str s, const char *needle)
{
    return sx_bt_ifind(s.p, s.len, needle) != NULL;
}

int sx_bt_has_any(sx_str s, const char *const *needles)
{
    for (size_t i = 0; needles[i] != NULL; i++)
        if (sx_bt_ifind(s.p, s.len, needles[i]) != NULL)
            return 1;
    return 0;
}

static int blank(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* needle at h[0..hl) caselessly, where each blank in needle stands for a
 * run of one or more blanks (a line end included); the end of the match
 * in *mend. */
static int ieq_ws(const char *h, size_t hl, const char *needle,
                  const char **mend)
{
    size_t i = 0;
    for (const char *n = needle; *n != '\0'; n++) {
        if (*n == ' ') {
            size_t k = i;
            while (k < hl && blank((unsigned char)h[k]))
                k++;
            if (k == i)
                return 0;
            i = k;
            continue;
        }
        if (i >= hl || lower((unsigned char)h[i]) != lower((unsigned char)*n))
            return 0;
        i++;
    }
    *mend = h + i;
    return 1;
}

const char *sx_bt_ifind_ws(const char *h, size_t hl, const char *needle,
                           const char **mend)
{
    size_t nl = strlen(needle);
    if (h == NULL || nl == 0 || needle[0] == ' ')
        return NULL;
    int c0 = lower((unsigned char)needle[0]);
    for (size_t i = 0; i < hl; i++) {
        const char *e;
        if (lower((unsigned char)h[i]) == c0 &&
            ieq_ws(h + i, hl - i, needle, &e)) {
            if (mend != NULL)
                *mend = e;
            return h + i;
        }
    }
    return NULL;
}

sx_str sx_bt_trim(sx_str s)
{
    while (s.len > 0 && blank((unsigned char)s.p[0])) {
        s.p++;
        s.len--;
    }
    while (s.len > 0 && blank((unsigned char)s.p[s.len - 1]))
        s.len--;
    return s;
}

void sx_bt_lines_init(sx_btlines *it, const char *p, size_t n)
{
    it->p = p;
    it->end = p ? p + n : p;
    it->count = 0;
}

int sx_bt_next_line(sx_btlines *it, sx_str *line)
{
    if (it->p == NULL || it->p >= it->end)
        return 0;
    const char *nl = memchr(it->p, '\n', (size_t)(it->end - it->p));
    const char *e = nl ? nl : it->end;
    line->p = it->p;
    line->len = (size_t)(e - it->p);
    if (line->len > 0 && line->p[line->len - 1] == '\r')
        line->len--;
    it->p = nl ? nl + 1 : it->end;
    it->count++;
    return 1;
}

/* RFC 5322 atext plus '.', as found in real local parts. */
static int local_char(int c)
{
    if (isalnum(c) || c >= 0x80)
        return 1;
    return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~.", c) != NULL;
}

static int domain_char(int c)
{
    return isalnum(c) || c == '-' || c == '.' || c == '_' || c >= 0x80;
}

int sx_bt_find_addr(const char *s, size_t n, sx_str *addr, size_t *next)
{
    size_t from = 0;
    while (from < n) {
        const char *at = memchr(s + from, '@', n - from);
        if (at == NULL)
            return 0;
        size_t ai = (size_t)(at - s);
        size_t b = ai;
        while (b > 0 && local_char((unsigned char)s[b - 1]))
            b--;
        /* A quoted local part: "john doe"@example.com */
        if (b == ai && ai > 0 && s[ai - 1] == '"') {
            size_t q = ai - 1;
            while (q > 0 && s[q - 1] != '"' && s[q - 1] != '\n')
                q--;
            if (q > 0 && s[q - 1] == '"')
                b = q - 1;
        }
        size_t e = ai + 1;
        if (e < n && s[e] == '[') {
            while (e < n && s[e] != ']' && !blank((unsigned char)s[e]))
                e++;
            if (e < n && s[e] == ']')
                e++;
        } else {
            while (e < n && domain_char((unsigned char)s[e]))
                e++;
            while (e > ai + 1 && (s[e - 1] == '.' || s[e - 1] == '-'))
                e--;
        }
        /* trim dots that cannot start a local part */
        while (b < ai && s[b] == '.')
            b++;
        int dotted = memchr(at + 1, '.', e - ai - 1) != NULL ||
                     (e > ai + 1 && at[1] == '[');
        if (b < ai && e > ai + 1 && dotted) {
            addr->p = s + b;
            addr->len = e - b;
            if (next)
                *next = e;
            return 1;
        }
        from = ai + 1;
    }
    return 0;
}

int sx_bt_is_addr(sx_str s, sx_str *addr)
{
    s = sx_bt_trim(s);
    if (s.len >= 2 && s.p[0] == '<' && s.p[s.len - 1] == '>') {
        s.p++;
        s.len -= 2;
        s = sx_bt_trim(s);
    }
    sx_str a;
    size_t next;
    if (!sx_bt_find_addr(s.p, s.len, &a, &next))
        return 0;
    if (a.p != s.p || next != s.len)
        return 0;
    if (addr)
        *addr = a;
    return 1;
}

int sx_bt_reply_code(const char *s, size_t n)
{
    if (n < 3 || !(s[0] >= '2' && s[0] <= '5') || !isdigit((unsigned char)s[1]) ||
        !isdigit((unsigned char)s[2]))
        return 0;
    if (n > 3 && s[3] != ' ' && s[3] != '-' && s[3] != '\t')
        return 0;
    return (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
}

int sx_bt_find_enhanced(const char *s, size_t n, char out[16], size_t *at)
{
    for (size_t i = 0; i + 5 <= n; i++) {
        char c = s[i];
        if (c != '2' && c != '4' && c != '5')
            continue;
        if (i > 0 && (isalnum((unsigned char)s[i - 1]) || s[i - 1] == '.'))
            continue;
        if (s[i + 1] != '.')
            continue;
        size_t j = i + 2, k;
        for (k = 0; j < n && isdigit((unsigned char)s[j]) && k < 3; j++, k++)
            ;
        if (k == 0 || j >= n || s[j] != '.')
            continue;
        size_t d0 = ++j;
        for (k = 0; j < n && isdigit((unsigned char)s[j]) && k < 3; j++, k++)
            ;
        if (k == 0 || (j < n && (isalnum((unsigned char)s[j]) ||
                                 (s[j] == '.' && j + 1 < n &&
                                  isdigit((unsigned char)s[j + 1])))))
            continue;
        (void)d0;
        size_t len = j - i;
        if (len >= 16)
            continue;
        memcpy(out, s + i, len);
        out[len] = '\0';
        if (at)
            *at = i;
        return 1;
    }
    return 0;
}

int sx_bt_find_code(const char *s, size_t n, size_t *at)
{
    for (size_t i = 0; i + 3 <= n; i++) {
        if (s[i] != '4' && s[i] != '5')
            continue;
        if (i > 0 && (isalnum((unsigned char)s[i - 1]) || s[i - 1] == '.' ||
                      s[i - 1] == '-' || s[i - 1] == '#' || s[i - 1] == ':' ||
                      s[i - 1] == '/'))
            continue;
        if (!isdigit((unsigned char)s[i + 1]) ||
            !isdigit((unsigned char)s[i + 2]))
            continue;
        if (s[i + 1] > '5')
            continue;
        if (i + 3 < n && s[i + 3] != ' ' && s[i + 3] != '-' &&
            s[i + 3] != '\t')
            continue;
        /* "550-5.7.1" or "550 5.1.1" or "550 text": fine; "550-192.0"
         * (an address range) is not a reply */
        if (at)
            *at = i;
        return (s[i] - '0') * 100 + (s[i + 1] - '0') * 10 + (s[i + 2] - '0');
    }
    return 0;
}

/* Phrases that name the answered command, most specific first (also
 * compiled into the marker scanner, bounce_mark.c). */
const sx_bt_cmd_phrase sx_bt_command_phrases[] = {
    {"in reply to end of data", "DATA"},
    {"in reply to rcpt to", "RCPT"},
    {"in reply to mail from", "MAIL"},
    {"in reply to data", "DATA"},
    {"in reply to ehlo", "EHLO"},
    {"in reply to helo", "HELO"},
    {"in reply to starttls", "STARTTLS"},
    {"in reply to auth", "AUTH"},
    {"in reply to bdat", "DATA"},
    {"after end of data", "DATA"},
    {"after rcpt to", "RCPT"},
    {"after mail from", "MAIL"},
    {"after initial connection", "CONN"},
    {"after pipelined", "RCPT"},
    {"after data", "DATA"},
    {"after ehlo", "EHLO"},
    {"after helo", "HELO"},
    {"after starttls", "STARTTLS"},
    {"after auth", "AUTH"},
    {"our final data", "DATA"},
    {"our data", "DATA"},
    {"our rcpt to", "RCPT"},
    {"our mail from", "MAIL"},
    {"our helo", "HELO"},
    {"our ehlo", "EHLO"},
    {">>> rcpt to", "RCPT"},
    {">>> mail from", "MAIL"},
    {">>> data", "DATA"},
    {">>> ehlo", "EHLO"},
    {">>> helo", "HELO"},
    {">>> starttls", "STARTTLS"},
    {"rcpt to response", "RCPT"},
    {"for rcpt to", "RCPT"},
    {"mail from response", "MAIL"},
    {"data response", "DATA"},
    {"after i sent the message", "DATA"},
    {"does not like recipient", "RCPT"},
    {"sender was rejected", "MAIL"},
    /* 1&1: "SMTP error from remote server for TEXT command" (the message
     * text, sent after DATA) */
    {"for text command", "DATA"},
    {"for mail from command", "MAIL"},
    {"my name was rejected", "HELO"},
};
const size_t sx_bt_ncommand_phrases =
    sizeof sx_bt_command_phrases / sizeof sx_bt_command_phrases[0];

const char *sx_bt_command(const char *s, size_t n)
{
    for (size_t i = 0; i < sx_bt_ncommand_phrases; i++)
        if (sx_bt_ifind(s, n, sx_bt_command_phrases[i].phrase) != NULL)
            return sx_bt_command_phrases[i].cmd;
    return NULL;
}

sx_str sx_bt_domain(sx_str addr)
{
    const char *at = NULL;
    for (size_t i = addr.len; i > 0; i--)
        if (addr.p[i - 1] == '@') {
            at = addr.p + i - 1;
            break;
        }
    if (at == NULL)
        return sx_bt_str("", 0);
    return sx_bt_str(at + 1, addr.len - (size_t)(at + 1 - addr.p));
}

size_t sx_bt_host_len(const char *s, size_t n)
{
    size_t i = 0;
    if (n > 0 && s[0] == '[') {
        while (i < n && s[i] != ']' && !blank((unsigned char)s[i]))
            i++;
        return (i < n && s[i] == ']') ? i + 1 : 0;
    }
    while (i < n && (isalnum((unsigned char)s[i]) || s[i] == '-' ||
                     s[i] == '.' || s[i] == ':' || s[i] == '_'))
        i++;
    while (i > 0 && (s[i - 1] == '.' || s[i - 1] == ':'))
        i--;
    return i;
}

size_t sx_bt_utf8_cut(const char *s, size_t n)
{
    /* step back over continuation bytes (10xxxxxx), then drop the lead
     * byte of the sequence they belonged to */
    size_t k = n;
    while (k > 0 && n - k < 4 && ((unsigned char)s[k - 1] & 0xC0) == 0x80)
        k--;
    if (k > 0 && ((unsigned char)s[k - 1] & 0xC0) == 0xC0) {
        unsigned char lead = (unsigned char)s[k - 1];
        size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
        if (n - (k - 1) < need)
            return k - 1;
    }
    return n;
}
