/*
 * json_bench.c - records/s of the NDJSON writer (smtpdx_writer_record)
 * against json-c's serializer writing the same records, in one run, on
 * one core.
 *
 * Usage: json_bench PATH...   (messages, mboxes or folders)
 * Exits 77 when the PATHs give no record, 1 when a line of ours is not
 * JSON that json-c reads, or reads back as something other than what
 * json-c then writes out again.
 *
 * Every message is parsed into records first; only writing is timed, in
 * CPU time of the thread, best of three batches, both sides writing into
 * a stdio stream on /dev/null. The json-c side is given the easier job:
 * each record is read once, before timing, from our own output into a
 * json-c object, and only json_object_to_json_string_ext is timed, not
 * the building of that object from a record that a writer built on
 * json-c would also do. That same step checks our output: every line
 * must parse, and json-c's rendering of it must parse to an equal object.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "smtpdx.h"

#define BATCHES 3
#define REPS 100

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
    fprintf(stderr, "json_bench: %s\n", what);
    exit(2);
}

/* Every record of every set, through w, reps times. */
static void write_all(smtpdx_writer *w, smtpdx_records **sets, size_t nsets,
                      int reps)
{
    for (int rep = 0; rep < reps; rep++)
        for (size_t s = 0; s < nsets; s++)
            for (size_t i = 0; i < smtpdx_records_count(sets[s]); i++)
                smtpdx_writer_record(w, smtpdx_records_get(sets[s], i));
    smtpdx_writer_finish(w);
    smtpdx_writer_free(w);
}

int main(int argc, char **argv)
{
    smtpdx_ctx *ctx = NULL;
    if (argc < 2 || smtpdx_ctx_new(&ctx) != SMTPDX_OK)
        die("usage: json_bench PATH...");
    smtpdx_records **sets = NULL;
    size_t nsets = 0, nrec = 0;
    for (int a = 1; a < argc; a++) {
        smtpdx_msgreader *rd = NULL;
        if (smtpdx_msgreader_new(argv[a], &rd) != SMTPDX_OK)
            continue;
        const char *buf, *origin;
        size_t len;
        for (;;) {
            smtpdx_status st = smtpdx_msgreader_next(rd, &buf, &len, &origin);
            if (st == SMTPDX_ERR_IO || st == SMTPDX_ERR_LIMIT)
                continue;
            if (st != SMTPDX_OK || buf == NULL)
                break;
            smtpdx_records *rs = smtpdx_records_new();
            if (rs == NULL)
                die("out of memory");
            if (smtpdx_bounce_parse(ctx, buf, len, origin, rs) == SMTPDX_OK &&
                smtpdx_records_count(rs) > 0) {
                sets = realloc(sets, (nsets + 1) * sizeof *sets);
                if (sets == NULL)
                    die("out of memory");
                sets[nsets++] = rs;
                nrec += smtpdx_records_count(rs);
            } else {
                smtpdx_records_free(rs);
            }
        }
        smtpdx_msgreader_free(rd);
    }
    if (nrec == 0) {
        fprintf(stderr, "json_bench: no records in the given paths; skipped\n");
        return 77;
    }

    /* our NDJSON once into memory, each line read by json-c */
    char *text = NULL;
    size_t textlen = 0;
    FILE *mem = open_memstream(&text, &textlen);
    smtpdx_writer *w = NULL;
    if (mem == NULL || smtpdx_writer_new(mem, SMTPDX_FMT_NDJSON, 0, &w) != SMTPDX_OK)
        die("cannot open a writer");
    write_all(w, sets, nsets, 1);
    fclose(mem);
    json_object **objs = calloc(nrec, sizeof *objs);
    size_t nobj = 0, bad = 0;
    json_tokener *tok = json_tokener_new();
    for (char *line = text, *nl; line < text + textlen; line = nl + 1) {
        nl = memchr(line, '\n', (size_t)(text + textlen - line));
        if (nl == NULL)
            nl = text + textlen;
        json_tokener_reset(tok);
        json_object *o = json_tokener_parse_ex(tok, line, (int)(nl - line));
        if (o == NULL || nobj == nrec) {
            bad++;
            json_object_put(o);
            continue;
        }
        const char *again = json_object_to_json_string_ext(
            o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        json_object *o2 = json_tokener_parse(again);
        if (o2 == NULL || !json_object_equal(o, o2))
            bad++;
        json_object_put(o2);
        objs[nobj++] = o;
    }
    json_tokener_free(tok);
    if (bad > 0 || nobj != nrec) {
        fprintf(stderr, "json_bench: %zu of our %zu lines did not read back "
                        "through json-c (%zu records)\n", bad, nobj + bad, nrec);
        return 1;
    }

    FILE *null = fopen("/dev/null", "w");
    if (null == NULL)
        die("cannot open /dev/null");
    static char obuf[1 << 16];
    setvbuf(null, obuf, _IOFBF, sizeof obuf);
    double ours = 1e30, theirs = 1e30;
    for (int b = 0; b < BATCHES; b++) {
        double t0 = now();
        if (smtpdx_writer_new(null, SMTPDX_FMT_NDJSON, 0, &w) != SMTPDX_OK)
            die("cannot open a writer");
        write_all(w, sets, nsets, REPS);
        fflush(null);
        double t1 = now();
        for (int rep = 0; rep < REPS; rep++)
            for (size_t i = 0; i < nobj; i++) {
                fputs(json_object_to_json_string_ext(
                          objs[i], JSON_C_TO_STRING_PLAIN |
                                       JSON_C_TO_STRING_NOSLASHESCAPE),
                      null);
                fputc('\n', null);
            }
        fflush(null);
        double t2 = now();
        if (t1 - t0 < ours)
            ours = t1 - t0;
        if (t2 - t1 < theirs)
            theirs = t2 - t1;
    }
    double n = REPS * (double)nrec;
    printf("| input | %zu records of %zu messages (%zu bytes of NDJSON), "
           "written %d times; best of %d batches |\n|---|---|\n",
           nrec, nsets, textlen, REPS, BATCHES);
    printf("| smtpdx NDJSON writer | %.3f s: **%.0f records/s**, %.0f MB/s |\n",
           ours, n / ours, REPS * (double)textlen / ours / 1e6);
    printf("| json-c %s, serializing only | %.3f s: %.0f records/s, %.0f MB/s |\n",
           json_c_version(), theirs, n / theirs,
           REPS * (double)textlen / theirs / 1e6);
    printf("| ratio | **%.1fx** json-c's records/s |\n", theirs / ours);
    for (size_t i = 0; i < nobj; i++)
        json_object_put(objs[i]);
    free(objs);
    free(text);
    for (size_t s = 0; s < nsets; s++)
        smtpdx_records_free(sets[s]);
    free(sets);
    fclose(null);
    smtpdx_ctx_free(ctx);
    return 0;
}
