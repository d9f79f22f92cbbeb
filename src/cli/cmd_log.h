/*
 * cmd_log.h - the parts of 'smtpdx log' shared by its three files:
 * cmd_log.c (options and the run), cmd_log_input.c (files, .gz, stdin,
 * follow) and cmd_log_summary.c (the grouped table and the totals).
 */
#ifndef SMTPDX_CMD_LOG_H
#define SMTPDX_CMD_LOG_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cli.h"

/* ---------------------------------------------------------------- input */

/* Reads lines from files or standard input and hands each one over.
 * on_line returns 0 to go on, -1 to stop everything (an output error);
 * on_batch is called after each block read and whenever following waits,
 * so the caller can write what the lines produced. */
typedef struct log_reader {
    int (*on_line)(void *arg, const char *line, size_t len);
    int (*on_batch)(void *arg);
    /* may be NULL: the live input has been silent for ms milliseconds
     * (50, then 1000 if it still is) and the reader is about to wait */
    void (*on_quiet)(void *arg, unsigned ms);
    void *arg;
    cli_progress *progress;      /* may be NULL */
    uint64_t done;               /* bytes read so far, all inputs */
    volatile sig_atomic_t *stop; /* set by a signal: end soon */
    unsigned poll_ms;            /* follow: wait between looks */
    int live;                    /* set while the input is a pipe, terminal
                                    or socket: its writer may pause */
    /* private */
    char *buf;
    size_t cap;
} log_reader;

int log_reader_init(log_reader *r);
void log_reader_release(log_reader *r);
/* Read one input ("-" is standard input). With follow, keep reading as
 * the file grows, reopening it when it is replaced (rotation) and
 * starting over when it shrinks (truncation), until *stop. Returns 0, -1
 * when the input could not be read (the error is printed), -2 when
 * on_line asked to stop. */
int log_read(log_reader *r, const char *path, int follow);

/* Put rotated files in time order, oldest first: for each log name,
 * "maillog.3.gz", "maillog.2.gz", "maillog.1", then dated ones
 * ("maillog-20261120") by date, then "maillog" itself. Names of different
 * logs keep the order of their first appearance. */
void log_sort_inputs(char **paths, size_t n);
/* Total size in bytes of the inputs that are regular files. */
uint64_t log_inputs_size(char *const *paths, size_t n);

/* -------------------------------------------------------------- summary */

typedef struct log_summary log_summary;
log_summary *log_summary_new(void);
void log_summary_free(log_summary *s);
/* Count one record in its group (cause, destination or relay). */
int log_summary_add(log_summary *s, const smtpdx_record *r);
/* The grouped table, then the totals and the events by hour. */
void log_summary_print(const log_summary *s, const smtpdx_log_stats *st,
                       FILE *out, int color, int utc);
/* One line per record, for following a log on a terminal. */
void log_summary_line(const smtpdx_record *r, FILE *out, int color, int utc);

#endif
