/*
 * reply_host.c - the words around a reply: who answered and to what.
 *
 * MTAs wrap the remote server's reply in their own words before they put it
 * in a bounce or a log. This file knows those wrappers, takes the remote
 * host and the SMTP command from them and tells the scanner which spans are
 * wrapping (deleted from the text when they stand before the reply's code)
 * and which are trailers (always deleted):
 *
 *   Postfix   host mx.example[192.0.2.1] said: 550 ... (in reply to RCPT TO
 *             command); connect to mx[192.0.2.1]:25: Connection refused;
 *             lost connection with mx[...] while sending end of data;
 *             host mx[...] refused to talk to me: 554 ...
 *   Exim      SMTP error from remote mail server after RCPT TO:<a@b>:
 *             host mx.example [192.0.2.1]: 550 ... (GMX: "host: mx.example")
 *   Exchange  Remote Server returned '550 5.1.1 ...'; <mx #5.0.0 smtp;550
 *             ...>; #550 5.1.1 ... ##
 *   qmail     Remote host said: 550 ...; remote host 192.0.2.1 said: ...;
 *             192.0.2.1 does not like recipient.; Connected to 192.0.2.1 but
 *             sender was rejected.
 *   Sendmail  Deferred: Connection refused by mx.example; ... while talking
 *             to mx.example.: >>> RCPT To:<a@b> <<< 550 ...
 *   others    mx.example [192.0.2.1] did not like our RCPT TO: 550 ...
 *             (DragonFly); Server mx.example[192.0.2.1] failed with: ...;
 *             SMTP Server <mx.example> refused to accept your message
 *             (DATA), with the following error message: [554 ...]
 *   DSNs      Diagnostic-Code: smtp; ... (RFC 3464 2.3.6), Status: 5.1.1
 *
 * The command is one of the SMTP verbs of RFC 5321 section 4.1, or "CONN"
 * for a failure before any command was sent (the connection or the
 * greeting), as Sisimai's records name it. A command the text states
 * ("in reply to", "after") beats one inferred from a phrase.
 *
 * Every recogniser reads only inside the buffer; the keyword matcher stops
 * at its end.
 */
#include "reply/reply.h"

#include <string.h>

#include "util/addr.h"

enum { PRIO_INFERRED = 1, PRIO_STATED = 2 };

static int lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

static int is_ws(unsigned char c)
{
    return c == ' ' || c == '\n';
}

static int is_alpha(unsigned char c)
{
    return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* Does pat (lower case; ' ' stands for one space or line break) match at
 * b[i], ignoring case? Returns the offset after it, or 0. */
static size_t kw(const sx_scan *sc, size_t i, const char *pat)
{
    const unsigned char *b = (const unsigned char *)sc->b;
    size_t k = i;
    for (const unsigned char *p = (const unsigned char *)pat; *p; p++, k++) {
        if (k >= sc->n)
            return 0;
        if (*p == ' ' ? !is_ws(b[k]) : lower(b[k]) != *p)
            return 0;
    }
    return k;
}

static size_t skip_ws(const sx_scan *sc, size_t i)
{
    return (i < sc->n && is_ws((unsigned char)sc->b[i])) ? i + 1 : i;
}

/* A host name (or a bare address) at b[i]: returns its end, i if none. */
static int name_char(unsigned char c)
{
    return is_alpha(c) || is_digit(c) || c == '.' || c == '-' || c == '_';
}

static size_t take_name(const sx_scan *sc, size_t i)
{
    size_t k = i;
    while (k < sc->n && k - i < 255 && name_char((unsigned char)sc->b[k]))
        k++;
    return k;
}

/* "[192.0.2.1]" or "[IPv6:2001:db8::1]" at b[i]: returns the offset after
 * ']' with the address in [*as, *ae), or 0. */
static size_t take_addr(const sx_scan *sc, size_t i, size_t *as, size_t *ae)
{
    if (i >= sc->n || sc->b[i] != '[')
        return 0;
    size_t k = i + 1;
    if (kw(sc, k, "ipv6:"))
        k += 5;
    *as = k;
    while (k < sc->n && k - *as < 63) {
        unsigned char c = (unsigned char)sc->b[k];
        if (!(is_digit(c) || c == '.' || c == ':' ||
              ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')))
            break;
        k++;
    }
    if (k == *as || k >= sc->n || sc->b[k] != ']')
        return 0;
    *ae = k;
    return k + 1;
}

/* ":25" after an address. */
static size_t take_port(const sx_scan *sc, size_t i)
{
    size_t k = i;
    if (k + 1 < sc->n && sc->b[k] == ':' &&
        is_digit((unsigned char)sc->b[k + 1])) {
        k++;
        while (k < sc->n && is_digit((unsigned char)sc->b[k]) && k - i < 6)
            k++;
    }
    return k;
}

/* The first host stated wins: later ones are usually inside the reply
 * text itself. A name without an address that looks like an address
 * fills both. */
static void set_host(sx_scan *sc, size_t ns, size_t ne, size_t as, size_t ae)
{
    smtpdx_reply *r = sc->r;
    if (r->host[0] || r->addr[0])
        return;
    while (ne > ns && sc->b[ne - 1] == '.')
        ne--; /* "mx.example." ends a sentence or is fully qualified */
    if (ne - ns >= sizeof r->host || ae - as >= sizeof r->addr)
        return;
    memcpy(r->host, sc->b + ns, ne - ns);
    r->host[ne - ns] = '\0';
    if (ae > as) {
        memcpy(r->addr, sc->b + as, ae - as);
        r->addr[ae - as] = '\0';
    } else if (ne - ns < sizeof r->addr && sx_looks_like_ip(r->host, ne - ns)) {
        memcpy(r->addr, r->host, ne - ns + 1);
    }
}

static void set_cmd(sx_scan *sc, const char *cmd, int prio)
{
    if (cmd == NULL || prio <= sc->cmd_prio)
        return;
    size_t n = strlen(cmd);
    memcpy(sc->r->command, cmd, n + 1);
    sc->cmd_prio = prio;
}

/* SMTP verbs (RFC 5321 4.1, RFC 3207, RFC 4954, RFC 3030, RFC 2033 and
 * Postfix's XCLIENT/XFORWARD) as they follow "in reply to" or "after". */
static const char *const VERBS[] = {
    "HELO", "EHLO", "LHLO", "STARTTLS", "AUTH",     "MAIL",
    "RCPT", "DATA", "BDAT", "QUIT",     "RSET",     "VRFY",
    "EXPN", "NOOP", "ETRN", "XCLIENT",  "XFORWARD",
};

/* The command a phrase at b[i] names ("RCPT TO", "end of DATA",
 * "initial connection", "the EHLO handshake"), or NULL; *endp is set
 * after the words used. */
static const char *cmd_phrase(const sx_scan *sc, size_t i, size_t *endp)
{
    static const struct {
        const char *pat, *cmd;
    } phrases[] = {
        {"end of data", "DATA"},
        {"message body", "DATA"},
        {"message content", "DATA"},
        {"initial connection", "CONN"},
        {"initial server greeting", "CONN"},
        {"initial greeting", "CONN"},
        {"server greeting", "CONN"},
        {"greeting", "CONN"},
    };
    size_t e, k = i;

    if (k >= sc->n)
        return NULL;
    if ((e = kw(sc, k, "the ")) != 0)
        k = e;
    if ((e = kw(sc, k, "pipelined ")) != 0)
        k = e;
    if ((e = kw(sc, k, "final data")) != 0) {
        *endp = e; /* DragonFly: "did not like our final DATA:" */
        return "DATA";
    }
    unsigned char f = k < sc->n ? (unsigned char)(sc->b[k] | 0x20) : 0;
    if (f == 'e' || f == 'm' || f == 'i' || f == 's' || f == 'g') {
        for (size_t p = 0; p < sizeof phrases / sizeof phrases[0]; p++) {
            if ((e = kw(sc, k, phrases[p].pat)) != 0) {
                *endp = e;
                return phrases[p].cmd;
            }
        }
    }
    char word[12];
    size_t w = 0;
    while (k + w < sc->n && w < sizeof word - 1 &&
           is_alpha((unsigned char)sc->b[k + w])) {
        word[w] = (char)(sc->b[k + w] & ~0x20);
        w++;
    }
    if (w == 0 || (k + w < sc->n && is_alpha((unsigned char)sc->b[k + w])))
        return NULL;
    word[w] = '\0';
    for (size_t v = 0; v < sizeof VERBS / sizeof VERBS[0]; v++) {
        if (strcmp(word, VERBS[v]) == 0) {
            *endp = k + w;
            return VERBS[v];
        }
    }
    return NULL;
}

void sx_reply_span(sx_scan *sc, size_t s, size_t e, int always)
{
    if (sc->nspan >= SX_REPLY_MAX_SPANS || e <= s)
        return;
    sc->span[sc->nspan].s = s;
    sc->span[sc->nspan].e = e;
    sc->span[sc->nspan].always = (unsigned char)(always != 0);
    sc->nspan++;
}

/* A wrapper [s, e): deleted when it stands before the reply's code, and
 * what follows it is in code position. */
static size_t wrap(sx_scan *sc, size_t s, size_t e)
{
    sx_reply_span(sc, s, e, 0);
    sc->strong_at = skip_ws(sc, e);
    return e;
}

/* ---------------------------------------------------------- recognisers */

/* "smtp;", "X-Postfix;", "x-unix;" (RFC 3464 2.3.6 diagnostic-type). */
static size_t diag_type(sx_scan *sc, size_t i)
{
    size_t k = i;
    if ((sc->b[i] | 0x20) != 's' && (sc->b[i] | 0x20) != 'x')
        return 0;
    while (k < sc->n && k - i < 40) {
        unsigned char c = (unsigned char)sc->b[k];
        if (!(is_alpha(c) || is_digit(c) || c == '-' || c == '_'))
            break;
        k++;
    }
    if (k >= sc->n || sc->b[k] != ';')
        return 0;
    if (!(k - i == 4 && kw(sc, i, "smtp")) && !kw(sc, i, "x-"))
        return 0;
    /* x-unix carries a program's exit status, not an SMTP code */
    if (k - i == 6 && kw(sc, i, "x-unix"))
        sc->no_basic = 1;
    return k + 1;
}

/* Past Exim's fields that follow H= on a log line (" X=cipher",
 * " CV=yes", " DN=\"...\"", " K", ...) up to the colon that ends the last
 * one: the index of that colon, or k when the text goes on otherwise. */
static size_t log_fields(const sx_scan *sc, size_t k)
{
    size_t j = k;
    for (int n = 0; n < 8 && j < sc->n && sc->b[j] == ' '; n++) {
        size_t t = j + 1, v;
        while (t < sc->n && sc->b[t] >= 'A' && sc->b[t] <= 'Z')
            t++;
        if (t == j + 1 || t >= sc->n || sc->b[t] != '=')
            return k;
        v = t + 1;
        if (v < sc->n && sc->b[v] == '"') {
            const char *q = memchr(sc->b + v + 1, '"', sc->n - v - 1);
            if (q == NULL)
                return k;
            v = (size_t)(q - sc->b) + 1;
        } else {
            while (v < sc->n && sc->b[v] != ' ')
                v++;
            if (v > t + 1 && sc->b[v - 1] == ':')
                return v - 1; /* "CV=yes:" */
        }
        if (v < sc->n && sc->b[v] == ':')
            return v; /* DN="...": */
        j = v;
    }
    return k;
}

/* Postfix "host NAME[ADDR] said:", "... refused to talk to me:"
 * (CommuniGate Pro: "host NAME says:"); Exim
 * "host NAME [ADDR]:" (or without the colon, before "SMTP error"), and
 * in its log "H=NAME [ADDR]:" (a line pasted whole). */
static size_t host_said(sx_scan *sc, size_t i)
{
    size_t k = kw(sc, i, "host "), ns, ne, as, ae, e;
    int log_form = 0;
    if (k == 0 && (k = kw(sc, i, "h=")) != 0)
        log_form = 1;
    if (k == 0 && (k = kw(sc, i, "host: ")) != 0) {
        /* GMX: "host: NAME" on a line of its own, no address */
        ns = k;
        ne = take_name(sc, k);
        if (ne == ns || memchr(sc->b + ns, '.', ne - ns) == NULL)
            return i;
        set_host(sc, ns, ne, 0, 0);
        return wrap(sc, i, ne);
    }
    if (k == 0)
        return i;
    ns = k;
    ne = take_name(sc, k);
    if (ne == ns)
        return i;
    k = ne;
    if (k < sc->n && sc->b[k] == ' ')
        k++;
    if ((k = take_addr(sc, k, &as, &ae)) == 0) {
        /* CommuniGate Pro names the host alone: "host NAME says:" */
        if ((e = kw(sc, ne, " says:")) == 0)
            e = kw(sc, ne, " said:");
        if (log_form || e == 0 || memchr(sc->b + ns, '.', ne - ns) == NULL)
            return i;
        set_host(sc, ns, ne, 0, 0);
        return wrap(sc, i, e);
    }
    k = take_port(sc, k);
    /* in a log line the failure follows at once ("H=NAME [ADDR]: SMTP
     * error ..."), or after the connection's other fields, the last of
     * which carries the colon ("X=TLS1.3:...:256 CV=yes: SMTP error");
     * an "H=" quoted inside a reply (an ACL message naming the client,
     * "H=NAME [ADDR] HELO=...") is the sender's host */
    if (log_form && k < sc->n && sc->b[k] != ':')
        k = log_fields(sc, k);
    if (log_form && (k >= sc->n || sc->b[k] != ':'))
        return i;
    set_host(sc, ns, ne, as, ae);
    if ((e = kw(sc, k, " said:")) != 0 || (e = kw(sc, k, "said:")) != 0)
        k = e;
    else if ((e = kw(sc, k, " refused to talk to me:")) != 0) {
        k = e;
        set_cmd(sc, "CONN", PRIO_INFERRED);
    } else if (k < sc->n && sc->b[k] == ':')
        k++;
    return wrap(sc, i, k);
}

/* DragonFly's "NAME [ADDR] did not like our ...": the host stands before
 * the phrase, which starts at i. Read backwards to where the name may
 * begin, then checked forwards with the same readers as elsewhere. */
static void host_before(sx_scan *sc, size_t i)
{
    const char *b = sc->b;
    if (i < 5 || !is_ws((unsigned char)b[i - 1]) || b[i - 2] != ']')
        return;
    size_t open = i - 2;
    while (open > 0 && b[open - 1] != '[' && i - open < 72)
        open--;
    if (open < 3 || b[open - 1] != '[' || b[open - 2] != ' ')
        return;
    size_t ne = open - 2, ns = ne;
    while (ns > 0 && ne - ns < 255 && name_char((unsigned char)b[ns - 1]))
        ns--;
    size_t as, ae;
    if (ns == ne || take_name(sc, ns) != ne ||
        take_addr(sc, open - 1, &as, &ae) != i - 1)
        return;
    set_host(sc, ns, ne, as, ae);
}

/* Postfix "connect to NAME[ADDR]:25: ". */
static size_t connect_to(sx_scan *sc, size_t i, size_t k)
{
    size_t ns = k, ne = take_name(sc, k), as, ae;
    if (ne == ns || (k = take_addr(sc, ne, &as, &ae)) == 0)
        return i;
    k = take_port(sc, k);
    if (k < sc->n && sc->b[k] == ':')
        k++;
    set_host(sc, ns, ne, as, ae);
    set_cmd(sc, "CONN", PRIO_INFERRED);
    return wrap(sc, i, k);
}

/* "lost connection with NAME[ADDR]", "conversation with NAME[ADDR]":
 * facts only, the sentence stays in the text. */
static size_t name_addr_fact(sx_scan *sc, size_t i, size_t k)
{
    size_t ns = k, ne = take_name(sc, k), as, ae;
    if (ne > ns && take_addr(sc, ne, &as, &ae) != 0)
        set_host(sc, ns, ne, as, ae);
    return i;
}

/* Sendmail "Connection refused by NAME", qmail "Connected to ADDR but
 * sender was rejected". Facts only. */
static size_t name_fact(sx_scan *sc, size_t i, size_t k, const char *cmd,
                        int prio)
{
    size_t ne = take_name(sc, k);
    if (ne > k) {
        set_host(sc, k, ne, 0, 0);
        set_cmd(sc, cmd, prio);
    }
    return i;
}

static size_t qmail_connected(sx_scan *sc, size_t i, size_t k)
{
    static const struct {
        const char *pat, *cmd;
    } tails[] = {
        {" but sender was rejected", "MAIL"},
        {" but greeting failed", "CONN"},
        {" but my name was rejected", "HELO"},
        {" but connection died", NULL},
    };
    size_t ne = take_name(sc, k);
    if (ne == k)
        return i;
    for (size_t t = 0; t < sizeof tails / sizeof tails[0]; t++) {
        if (kw(sc, ne, tails[t].pat)) {
            set_host(sc, k, ne, 0, 0);
            set_cmd(sc, tails[t].cmd, PRIO_INFERRED);
            break;
        }
    }
    return i;
}

/* Exim "SMTP error from remote mail server after RCPT TO:<a@b>:". The
 * wrapper ends at the first ':' followed by white space that is not the
 * command's own "TO:" before an address on the next line. */
static size_t exim_after(sx_scan *sc, size_t i, size_t k)
{
    size_t e = k;
    const char *cmd = cmd_phrase(sc, k, &e);
    set_cmd(sc, cmd, PRIO_STATED);
    size_t lim = sc->n - e < 512 ? sc->n : e + 512; /* no quadratic walk */
    for (k = e; k < lim; k++) {
        char c = sc->b[k];
        if (c == '<') {
            const char *gt = memchr(sc->b + k, '>', lim - k);
            if (gt == NULL)
                break;
            k = (size_t)(gt - sc->b);
        } else if (c == ':' &&
                   (k + 1 >= sc->n || is_ws((unsigned char)sc->b[k + 1]))) {
            if (k + 2 < lim && sc->b[k + 2] == '<')
                continue; /* "RCPT TO:\n<a@b>:" */
            return wrap(sc, i, k + 1);
        }
    }
    return wrap(sc, i, e);
}

/* Does the "(" at i follow a Postfix log's "status=WORD "? */
static int after_status(const sx_scan *sc, size_t i)
{
    if (i < 9 || sc->b[i - 1] != ' ')
        return 0;
    size_t w = i - 1;
    while (w > 0 && sc->b[w - 1] >= 'a' && sc->b[w - 1] <= 'z')
        w--;
    return w >= 7 && w < i - 1 && memcmp(sc->b + w - 7, "status=", 7) == 0;
}

/* "(in reply to RCPT TO command)": always deleted. */
static size_t in_reply_to(sx_scan *sc, size_t i, size_t k)
{
    size_t e = k;
    const char *cmd = cmd_phrase(sc, k, &e);
    for (size_t j = e; j < sc->n && j - e < 64; j++) {
        if (sc->b[j] == ')') {
            set_cmd(sc, cmd, PRIO_STATED);
            sx_reply_span(sc, i, j + 1, 1);
            return j + 1;
        }
    }
    return i;
}

/* "SMTP Server <mx.example> refused to accept your message (RCPT TO),
 * with the following error message: [550 ...]" and "SMTP Server <mx>
 * rejected recipient <a@b> (Error following RCPT command). It responded
 * as follows: [550 ...]": the host is the name in angle brackets, the
 * command the first parenthesis after it, the reply the text in square
 * brackets after a colon. */
static size_t server_angle(sx_scan *sc, size_t i, size_t k)
{
    size_t ne = take_name(sc, k), e;
    if (ne == k || ne >= sc->n || sc->b[ne] != '>')
        return i;
    set_host(sc, k, ne, 0, 0);
    size_t lim = sc->n - ne > 200 ? ne + 200 : sc->n;
    for (size_t p = ne + 1; p < lim; p++) {
        if (sc->b[p] != '(')
            continue;
        size_t q = p + 1;
        if ((e = kw(sc, q, "error following ")) != 0)
            q = e;
        set_cmd(sc, cmd_phrase(sc, q, &e), PRIO_STATED);
        break;
    }
    for (size_t p = ne + 2; p + 1 < lim; p++) {
        if (sc->b[p] == '[' && sc->b[p - 1] == ' ' && sc->b[p - 2] == ':' &&
            is_digit((unsigned char)sc->b[p + 1])) {
            sc->close_last = ']';
            return wrap(sc, i, p + 1);
        }
    }
    return i;
}

/* Lotus Domino and old Exchange: "<mx.example #5.0.0 smtp;550 ...>". */
static size_t angle_hash(sx_scan *sc, size_t i)
{
    size_t ns = i + 1, ne = take_name(sc, ns);
    size_t k = ne;
    if (k < sc->n && sc->b[k] == ' ')
        k++;
    if (k + 1 >= sc->n || sc->b[k] != '#' ||
        !is_digit((unsigned char)sc->b[k + 1]))
        return i;
    if (ne > ns && memchr(sc->b + ns, '.', ne - ns) != NULL)
        set_host(sc, ns, ne, 0, 0);
    sc->close_last = '>';
    return wrap(sc, i, k);
}

/* "<a@b>: " before a Postfix wrapper: the recipient, not reply text. */
static size_t rcpt_prefix(sx_scan *sc, size_t i)
{
    static const char *const next[] = {
        "host ",
        "connect to ",
        "lost connection with ",
        "conversation with ",
    };
    const char *gt = memchr(sc->b + i, '>', sc->n - i < 320 ? sc->n - i : 320);
    if (gt == NULL)
        return i;
    size_t k = (size_t)(gt - sc->b) + 1;
    if (k >= sc->n || sc->b[k] != ':')
        return i;
    k = skip_ws(sc, k + 1);
    for (size_t t = 0; t < sizeof next / sizeof next[0]; t++)
        if (kw(sc, k, next[t]))
            return wrap(sc, i, k);
    return i;
}

static int at_end(const sx_scan *sc, size_t k)
{
    return skip_ws(sc, k) >= sc->n;
}

size_t sx_reply_host_at(sx_scan *sc, size_t i)
{
    unsigned char c = (unsigned char)sc->b[i];
    size_t k, e;

    if (sc->at_head || i == sc->diag_at) {
        if ((e = diag_type(sc, i)) != 0) {
            e = wrap(sc, i, e);
            sc->diag_at = (size_t)-1;
            return e;
        }
    }
    if (sc->at_head) {
        if ((e = kw(sc, i, "diagnostic-code:")) != 0 ||
            (e = kw(sc, i, "status:")) != 0)
            return wrap(sc, i, e);
    }

    /* Every keyword below has this second letter: most words of a reply
     * are turned away here, before any comparison. Past the head of the
     * text, reply_scan.c (starts16) calls only for the pairs of first
     * bytes this switch can accept: the two change together. */
    unsigned char c2 =
        i + 1 < sc->n ? (unsigned char)lower((unsigned char)sc->b[i + 1]) : 0;
    switch (lower(c)) {
    case 'h':
        return c2 == 'o' || c2 == '=' ? host_said(sc, i) : i;
    case 'c':
        if (c2 != 'o')
            return i;
        if ((e = kw(sc, i, "connect")) != 0) {
            if ((k = kw(sc, e, " to ")) != 0)
                return connect_to(sc, i, k);
            if ((k = kw(sc, e, "ion refused by ")) != 0 ||
                (k = kw(sc, e, "ion timed out with ")) != 0)
                return name_fact(sc, i, k, "CONN", PRIO_INFERRED);
            if ((k = kw(sc, e, "ed to ")) != 0)
                return qmail_connected(sc, i, k);
            return i;
        }
        if ((k = kw(sc, i, "conversation with ")) != 0)
            return name_addr_fact(sc, i, k);
        return i;
    case 'l':
        if (c2 == 'o' && (k = kw(sc, i, "lost connection with ")) != 0)
            return name_addr_fact(sc, i, k);
        return i;
    case 'w':
        if (c2 != 'h')
            return i;
        if ((e = kw(sc, i, "while ")) == 0)
            return i;
        if ((k = kw(sc, e, "sending ")) != 0 ||
            (k = kw(sc, e, "receiving ")) != 0 ||
            (k = kw(sc, e, "performing ")) != 0) {
            set_cmd(sc, cmd_phrase(sc, k, &e), PRIO_STATED);
            return i;
        }
        if ((k = kw(sc, e, "talking to ")) != 0)
            return name_fact(sc, i, k, NULL, 0);
        return i;
    case 's':
        if (c2 == 'e' && (k = kw(sc, i, "server ")) != 0)
            return name_addr_fact(sc, i, k); /* MailFoundry */
        if (c2 != 'm')
            return i;
        if ((k = kw(sc, i, "smtp server <")) != 0)
            return server_angle(sc, i, k);
        if ((e = kw(sc, i, "smtp error from remote ")) == 0)
            return i;
        if ((k = kw(sc, e, "mail server after ")) != 0 ||
            (k = kw(sc, e, "mailer after ")) != 0 ||
            (k = kw(sc, e, "server after ")) != 0)
            return exim_after(sc, i, k);
        return i;
    case 'r':
        if (c2 != 'e')
            return i;
        if ((e = kw(sc, i, "remote ")) == 0)
            return i;
        if ((k = kw(sc, e, "server returned ")) != 0 && k < sc->n &&
            (sc->b[k] == '\'' || sc->b[k] == '"')) {
            sc->close_quote = sc->b[k];
            return wrap(sc, i, k + 1);
        }
        if ((k = kw(sc, e, "host said:")) != 0)
            return wrap(sc, i, k);
        if ((k = kw(sc, e, "host ")) != 0) {
            size_t ne = take_name(sc, k);
            if (ne > k && (e = kw(sc, ne, " said:")) != 0) {
                set_host(sc, k, ne, 0, 0);
                return wrap(sc, i, e);
            }
        }
        return i;
    case 'd':
        if (c2 == 'o' && kw(sc, i, "does not like recipient"))
            set_cmd(sc, "RCPT", PRIO_INFERRED);
        else if (c2 == 'i' && (k = kw(sc, i, "did not like our ")) != 0) {
            set_cmd(sc, cmd_phrase(sc, k, &e), PRIO_STATED); /* DragonFly */
            host_before(sc, i);
        }
        return i;
    case 'm':
        if (c2 == 'o' && (k = kw(sc, i, "most progress was ")) != 0)
            set_cmd(sc, cmd_phrase(sc, k, &e), PRIO_INFERRED);
        return i;
    case 'f':
        if (c2 == 'a' && kw(sc, i, "failed after i sent the message"))
            set_cmd(sc, "DATA", PRIO_INFERRED);
        return i;
    case '(':
        if ((k = kw(sc, i, "(in reply to ")) != 0)
            return in_reply_to(sc, i, k);
        /* a log's "status=bounced (host mx[...] said: ...)", alone or
         * in its whole line */
        if ((sc->at_head || after_status(sc, i)) && sc->n > 0 &&
            sc->b[sc->n - 1] == ')' &&
            (kw(sc, i + 1, "host ") || kw(sc, i + 1, "connect to ") ||
             kw(sc, i + 1, "lost connection with ") ||
             kw(sc, i + 1, "conversation with "))) {
            sc->close_last = ')';
            if (!sc->at_head) {
                /* the log line before it is never reply text */
                sx_reply_span(sc, 0, i + 1, 1);
                sc->strong_at = skip_ws(sc, i + 1);
                return i + 1;
            }
            return wrap(sc, i, i + 1);
        }
        return i;
    case '<':
        if ((k = kw(sc, i, "<<< ")) != 0)
            return wrap(sc, i, k - 1); /* Sendmail transcript */
        if ((e = angle_hash(sc, i)) != i)
            return e;
        if (sc->at_head)
            return rcpt_prefix(sc, i);
        return i;
    case '>':
        if ((k = kw(sc, i, ">>> ")) != 0) {
            set_cmd(sc, cmd_phrase(sc, k, &e), PRIO_STATED);
            size_t lim = sc->n - k < 512 ? sc->n : k + 512;
            /* never end the span inside a character: deleting part of
             * one would leave invalid UTF-8 in the text */
            while (lim > k && lim < sc->n &&
                   ((unsigned char)sc->b[lim] & 0xC0) == 0x80)
                lim--;
            const char *nl = memchr(sc->b + k, '\n', lim - k);
            return wrap(sc, i, nl ? (size_t)(nl - sc->b) : lim);
        }
        return i;
    case '#':
        if ((k = kw(sc, i, "##")) != 0 && at_end(sc, k)) {
            sx_reply_span(sc, i, k, 1); /* Exchange's end mark */
            return k;
        }
        if ((k = kw(sc, i, "#smtp#")) != 0 && at_end(sc, k)) {
            sx_reply_span(sc, i, k, 1);
            return k;
        }
        if (i + 1 < sc->n && sc->b[i + 1] == '<' &&
            (e = angle_hash(sc, i + 1)) != i + 1)
            return wrap(sc, i, e);
        return i;
    default:
        return i;
    }
}
