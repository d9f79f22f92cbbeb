/*
 * html_bench.c - parts/s and MB/s of the HTML-to-text renderer
 * (sx_bhtml_to_text) against libxml2's HTML parser on the same inputs, in
 * one run, on one core.
 *
 * Usage: html_bench HTML_DIR PATH...
 *   HTML_DIR  a folder of hand-written HTML files (tests/data/html)
 *   PATH      messages, mboxes or folders (the corpus): their text/html
 *             leaves are the other set of inputs
 * Exits 77 when the PATHs hold no text/html part (the corpus is absent).
 *
 * Every input is read and decoded into memory first (parts decoded to
 * UTF-8 as the bounce reader decodes them), so only rendering is timed, in
 * CPU time of the thread, best of three batches. Both sides see the same
 * bytes: the first 256 KiB of a part, all that ours reads. The libxml2
 * side is what a renderer built on it does: htmlReadMemory, then a walk
 * of the tree that writes the text nodes with white space collapsed and
 * line ends at block elements, skipping head, title, style and script.
 */
#include <dirent.h>
#include <libxml/HTMLparser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bounce/bounce_html.h"
#include "mime/mime.h"
#include "smtpdx.h"

#define READ_MAX (256u * 1024u)

typedef struct input {
    char *buf;
    size_t len;
} input;

typedef struct set {
    const char *name;
    input *in;
    size_t n, bytes;
} set;

static size_t sink; /* keeps the work from being optimised away */

/* CPU time of this thread: on a shared machine, time spent waiting for
 * the core is not counted against either renderer. */
static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void add(set *s, const char *buf, size_t len)
{
    if (len > READ_MAX)
        len = READ_MAX;
    s->in = realloc(s->in, (s->n + 1) * sizeof *s->in);
    s->in[s->n].buf = malloc(len + 1);
    memcpy(s->in[s->n].buf, buf, len);
    s->in[s->n].len = len;
    s->n++;
    s->bytes += len;
}

/* The text/html leaves of one message, decoded to UTF-8. */
static void add_parts(set *s, const char *buf, size_t len, sx_sbuf *tmp)
{
    sx_msg m;
    sx_msg_init(&m, NULL);
    if (sx_msg_parse(&m, buf, len) == SMTPDX_OK)
        for (uint32_t i = 0; i < m.nparts; i++) {
            const sx_part *p = &m.parts[i];
            if (!sx_part_is(p, "text", "html") || p->nchildren)
                continue;
            smtpdx_status st = sx_part_decode(&m, p, 0, tmp, NULL);
            if (st == SMTPDX_OK || st == SMTPDX_ERR_LIMIT)
                add(s, tmp->data ? tmp->data : "", tmp->len);
        }
    sx_msg_release(&m);
}

static void load_messages(set *s, const char *path)
{
    smtpdx_msgreader *r;
    if (smtpdx_msgreader_new(path, &r) != SMTPDX_OK)
        return;
    sx_sbuf tmp;
    sx_sbuf_init(&tmp, 64u << 20);
    const char *buf, *origin;
    size_t len;
    for (;;) {
        smtpdx_status st = smtpdx_msgreader_next(r, &buf, &len, &origin);
        if (st != SMTPDX_OK)
            continue;
        if (buf == NULL)
            break;
        add_parts(s, buf, len, &tmp);
    }
    sx_sbuf_release(&tmp);
    smtpdx_msgreader_free(r);
}

static void load_html(set *s, const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l < 6 || strcmp(e->d_name + l - 5, ".html") != 0)
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        if (f == NULL)
            continue;
        static char buf[READ_MAX];
        size_t n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        add(s, buf, n);
    }
    closedir(d);
}

/* ------------------------------------------------------------- ours */

static const set *cur;

static void ours(void)
{
    static sx_sbuf out;
    if (out.max == 0)
        sx_sbuf_init(&out, 64u << 20);
    for (size_t i = 0; i < cur->n; i++) {
        sx_bhtml_to_text(cur->in[i].buf, cur->in[i].len, &out);
        sink += out.len;
    }
}

/* ---------------------------------------------------------- libxml2 */

typedef struct lx {
    sx_sbuf *out;
    int space, pre;
} lx;

static int blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static void lx_text(lx *w, const char *t)
{
    for (; *t; t++) {
        if (!w->pre && blank(*t)) {
            w->space = 1;
            continue;
        }
        if (w->space && w->out->len > 0
            && w->out->data[w->out->len - 1] != '\n')
            sx_sbuf_putc(w->out, ' ');
        w->space = 0;
        sx_sbuf_putc(w->out, *t);
    }
}

/* 0 inline, 1 a line, 2 a paragraph, 3 pre, 4 hidden, 5 br */
static int lx_kind(const char *name)
{
    static const char *const line[] = {"div", "tr", "td", "th", "li"};
    static const char *const para[] = {"p",  "ul", "ol", "table", "h1",
                                       "h2", "h3", "h4", "h5",    "h6",
                                       "hr", "blockquote"};
    static const char *const hide[] = {"head", "title", "style", "script"};
    for (size_t i = 0; i < sizeof line / sizeof line[0]; i++)
        if (strcmp(name, line[i]) == 0)
            return 1;
    for (size_t i = 0; i < sizeof para / sizeof para[0]; i++)
        if (strcmp(name, para[i]) == 0)
            return 2;
    if (strcmp(name, "pre") == 0)
        return 3;
    if (strcmp(name, "br") == 0)
        return 5;
    for (size_t i = 0; i < sizeof hide / sizeof hide[0]; i++)
        if (strcmp(name, hide[i]) == 0)
            return 4;
    return 0;
}

static void lx_end(lx *w, int kind)
{
    w->space = 0;
    if (kind == 1 || kind == 3 || kind == 5)
        sx_sbuf_putc(w->out, '\n');
    else if (kind == 2)
        sx_sbuf_append(w->out, "\n\n", 2);
}

static void lx_walk(lx *w, xmlNode *n)
{
    for (; n != NULL; n = n->next) {
        if (n->type == XML_TEXT_NODE) {
            lx_text(w, (const char *)n->content);
            continue;
        }
        if (n->type != XML_ELEMENT_NODE)
            continue;
        int kind = lx_kind((const char *)n->name);
        if (kind == 4)
            continue;
        lx_end(w, kind);
        w->pre += kind == 3;
        lx_walk(w, n->children);
        w->pre -= kind == 3;
        if (kind != 5)
            lx_end(w, kind);
    }
}

static void libxml2(void)
{
    static sx_sbuf out;
    if (out.max == 0)
        sx_sbuf_init(&out, 64u << 20);
    for (size_t i = 0; i < cur->n; i++) {
        htmlDocPtr doc = htmlReadMemory(
            cur->in[i].buf, (int)cur->in[i].len, NULL, "UTF-8",
            HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING
                | HTML_PARSE_NONET);
        sx_sbuf_reset(&out);
        if (doc) {
            lx w = {&out, 0, 0};
            lx_walk(&w, doc->children);
            xmlFreeDoc(doc);
        }
        sink += out.len;
    }
}

/* ---------------------------------------------------------- driving */

/* Seconds per pass over the set, best of three timed batches of at least
 * 0.3 s each. */
static double timeit(void (*fn)(void))
{
    double best = 1e30;
    for (int b = 0; b < 3; b++) {
        double t0 = now();
        int n = 0;
        do {
            fn();
            n++;
        } while (now() - t0 < 0.3);
        double per = (now() - t0) / n;
        if (per < best)
            best = per;
    }
    return best;
}

static void report(const set *s)
{
    cur = s;
    double os = timeit(ours), ls = timeit(libxml2);
    double mb = (double)s->bytes / 1e6;
    printf("%-9s %4zu parts %6.2f MB | smtpdx %8.0f parts/s %7.1f MB/s | "
           "libxml2 %7.0f parts/s %6.1f MB/s | ratio %5.1fx\n",
           s->name, s->n, mb, (double)s->n / os, mb / os,
           (double)s->n / ls, mb / ls, ls / os);
}

static void drop(set *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->in[i].buf);
    free(s->in);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: html_bench HTML_DIR PATH...\n");
        return 2;
    }
    set corpus = {"corpus", NULL, 0, 0}, hand = {"handmade", NULL, 0, 0};
    load_html(&hand, argv[1]);
    for (int i = 2; i < argc; i++)
        load_messages(&corpus, argv[i]);
    if (corpus.n == 0) {
        printf("SKIP: no text/html part under the given paths (corpus "
               "absent?)\n");
        drop(&hand);
        return 77;
    }
    xmlInitParser();
    report(&corpus);
    if (hand.n)
        report(&hand);
    xmlCleanupParser();
    drop(&corpus);
    drop(&hand);
    return sink == 0;
}
