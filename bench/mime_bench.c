/*
 * mime_bench.c - messages/s and MB/s of the MIME scanner against GMime 3
 * on the same messages, in one run, on one core.
 *
 * Usage: mime_bench [-r ROUNDS] PATH...   (files, mboxes or directories)
 *        mime_bench --stream PATH...      (read and scan once, streaming:
 *                                          throughput and peak memory)
 *
 * All messages are read into memory first (through smtpdx_msgreader), so
 * only parsing is timed, in CPU time of the thread, best of three batches. Two figures per parser:
 *  - structure: the message parsed into its tree of entities (ours:
 *    sx_msg_parse; GMime: g_mime_parser_construct_message);
 *  - full: structure, then every message's Subject decoded and every
 *    text/ and delivery-status part transfer-decoded and converted to
 *    UTF-8 (what a bounce parser asks for).
 */
#include <gmime/gmime.h>
#include <stdio.h>
#include <sys/resource.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mime/mime.h"
#include "smtpdx.h"

typedef struct bmsg {
    char *buf;
    size_t len;
} bmsg;

static bmsg *msgs;
static size_t nmsgs, total;

/* CPU time of this thread: on a shared machine, time spent waiting for
 * the core is not counted against either parser. */
static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void load(const char *path)
{
    smtpdx_msgreader *r;
    if (smtpdx_msgreader_new(path, &r) != SMTPDX_OK)
        return;
    const char *buf, *origin;
    size_t len;
    for (;;) {
        smtpdx_status st = smtpdx_msgreader_next(r, &buf, &len, &origin);
        if (st != SMTPDX_OK) {
            fprintf(stderr, "skipped %s: %s\n", origin ? origin : path,
                    smtpdx_status_name(st));
            continue;
        }
        if (buf == NULL)
            break;
        msgs = realloc(msgs, (nmsgs + 1) * sizeof *msgs);
        msgs[nmsgs].buf = malloc(len + 1);
        memcpy(msgs[nmsgs].buf, buf, len);
        msgs[nmsgs].len = len;
        nmsgs++;
        total += len;
    }
    smtpdx_msgreader_free(r);
}

static int text_like(const char *t, const char *s)
{
    return strcmp(t, "text") == 0
           || (strcmp(t, "message") == 0
               && (strcmp(s, "delivery-status") == 0
                   || strcmp(s, "global-delivery-status") == 0));
}

static size_t sink; /* keeps the work from being optimised away */

static void ours(int full)
{
    sx_msg m;
    sx_msg_init(&m, NULL);
    sx_sbuf out;
    sx_sbuf_init(&out, 64u << 20);
    for (size_t i = 0; i < nmsgs; i++) {
        if (sx_msg_parse(&m, msgs[i].buf, msgs[i].len) != SMTPDX_OK)
            continue;
        sink += m.nparts;
        if (!full)
            continue;
        for (uint32_t k = 0; k < m.nparts; k++) {
            const sx_part *p = &m.parts[k];
            if (p->flags & SX_PART_F_MESSAGE) {
                sx_msg_header(&m, p, "subject", &out);
                sink += out.len;
            }
            if (p->nchildren == 0 && text_like(p->type, p->subtype)) {
                sx_part_decode(&m, p, 0, &out, NULL);
                sink += out.len;
            }
        }
    }
    sx_sbuf_release(&out);
    sx_msg_release(&m);
}

static void gm_walk(GMimeObject *o, GMimeMessage *msg)
{
    if (msg) {
        const char *s = g_mime_object_get_header(GMIME_OBJECT(msg),
                                                 "Subject");
        sink += s ? strlen(s) : 0;
    }
    if (GMIME_IS_MULTIPART(o)) {
        int n = g_mime_multipart_get_count(GMIME_MULTIPART(o));
        for (int i = 0; i < n; i++)
            gm_walk(g_mime_multipart_get_part(GMIME_MULTIPART(o), i), NULL);
        return;
    }
    if (GMIME_IS_MESSAGE_PART(o)) {
        GMimeMessage *in = g_mime_message_part_get_message(
            GMIME_MESSAGE_PART(o));
        if (in && g_mime_message_get_mime_part(in))
            gm_walk(g_mime_message_get_mime_part(in), in);
        return;
    }
    GMimeContentType *ct = g_mime_object_get_content_type(o);
    const char *t = g_mime_content_type_get_media_type(ct);
    const char *s = g_mime_content_type_get_media_subtype(ct);
    if (!t || !s || !text_like(t, s) || !GMIME_IS_PART(o))
        return;
    if (GMIME_IS_TEXT_PART(o)) {
        char *txt = g_mime_text_part_get_text(GMIME_TEXT_PART(o));
        sink += txt ? strlen(txt) : 0;
        g_free(txt);
        return;
    }
    GMimeStream *ms = g_mime_stream_mem_new();
    GMimeDataWrapper *w = g_mime_part_get_content(GMIME_PART(o));
    if (w)
        g_mime_data_wrapper_write_to_stream(w, ms);
    sink += (size_t)g_mime_stream_length(ms);
    g_object_unref(ms);
}

static void gmime(int full)
{
    for (size_t i = 0; i < nmsgs; i++) {
        GMimeStream *st = g_mime_stream_mem_new_with_buffer(msgs[i].buf,
                                                            msgs[i].len);
        GMimeParser *ps = g_mime_parser_new_with_stream(st);
        GMimeMessage *m = g_mime_parser_construct_message(ps, NULL);
        if (m) {
            GMimeObject *top = g_mime_message_get_mime_part(m);
            if (full && top)
                gm_walk(top, m);
            sink++;
            g_object_unref(m);
        }
        g_object_unref(ps);
        g_object_unref(st);
    }
}

/* Seconds per round, best of a few timed batches of at least 0.3 s. */
static double timeit(void (*fn)(int), int full, int rounds)
{
    double best = 1e30;
    for (int b = 0; b < 3; b++) {
        double t0 = now();
        int n = 0;
        do {
            for (int r = 0; r < rounds; r++)
                fn(full);
            n += rounds;
        } while (now() - t0 < 0.3);
        double per = (now() - t0) / n;
        if (per < best)
            best = per;
    }
    return best;
}

static void report(const char *what, double ours_s, double gm_s)
{
    double mb = (double)total / 1e6;
    printf("%-10s smtpdx %10.0f msg/s %8.1f MB/s | GMime %9.0f msg/s "
           "%7.1f MB/s | ratio %5.1fx\n",
           what, (double)nmsgs / ours_s, mb / ours_s, (double)nmsgs / gm_s,
           mb / gm_s, gm_s / ours_s);
}

/* Read every message through the reader and scan it, holding nothing:
 * the memory figure is the reader's and the scanner's own. */
static int stream(int argc, char **argv)
{
    sx_msg m;
    sx_msg_init(&m, NULL);
    size_t n = 0, bytes = 0, errors = 0;
    double t0 = now();
    for (int i = 0; i < argc; i++) {
        smtpdx_msgreader *r;
        if (smtpdx_msgreader_new(argv[i], &r) != SMTPDX_OK)
            return 1;
        const char *buf, *origin;
        size_t len;
        for (;;) {
            smtpdx_status st = smtpdx_msgreader_next(r, &buf, &len, &origin);
            if (st != SMTPDX_OK) {
                errors++;
                continue;
            }
            if (buf == NULL)
                break;
            if (sx_msg_parse(&m, buf, len) == SMTPDX_OK)
                sink += m.nparts;
            n++;
            bytes += len;
        }
        smtpdx_msgreader_free(r);
    }
    double dt = now() - t0;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("stream: %zu messages, %.1f MB, %zu errors, %.2f s CPU, "
           "%.0f msg/s, %.0f MB/s, peak RSS %ld KB\n",
           n, bytes / 1e6, errors, dt, n / dt, bytes / 1e6 / dt,
           ru.ru_maxrss);
    sx_msg_release(&m);
    return 0;
}

int main(int argc, char **argv)
{
    int rounds = 1, i = 1;
    if (argc > 2 && strcmp(argv[1], "--stream") == 0)
        return stream(argc - 2, argv + 2);
    if (argc > 2 && strcmp(argv[1], "-r") == 0) {
        rounds = (int)strtol(argv[2], NULL, 10);
        if (rounds < 1)
            rounds = 1;
        i = 3;
    }
    if (i >= argc) {
        fprintf(stderr, "usage: mime_bench [-r ROUNDS] PATH...\n"
                        "       mime_bench --stream PATH...\n");
        return 2;
    }
    for (; i < argc; i++)
        load(argv[i]);
    if (nmsgs == 0) {
        fprintf(stderr, "no messages\n");
        return 1;
    }
    g_mime_init();
    printf("%zu messages, %.2f MB, mean %.1f KB\n", nmsgs, total / 1e6,
           total / 1e3 / nmsgs);
    double os = timeit(ours, 0, rounds), gs = timeit(gmime, 0, rounds);
    report("structure", os, gs);
    double of = timeit(ours, 1, rounds), gf = timeit(gmime, 1, rounds);
    report("full", of, gf);
    g_mime_shutdown();
    for (size_t k = 0; k < nmsgs; k++)
        free(msgs[k].buf);
    free(msgs);
    return sink == 0;
}
