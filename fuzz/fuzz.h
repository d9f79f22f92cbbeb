/*
 * fuzz.h - what the fuzz harnesses share.
 *
 * Every harness defines LLVMFuzzerTestOneInput() and nothing else that
 * libFuzzer calls; the same object links either with libFuzzer (clang,
 * -fsanitize=fuzzer) or with driver.c, which replays files in any build.
 *
 * The checks below turn a broken promise of smtpdx.h into an abort, so
 * the fuzzer reports logic faults (bad ranges, invalid JSON, raw control
 * bytes in table output) and not only memory errors.
 */
#ifndef SMTPDX_FUZZ_H
#define SMTPDX_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "smtpdx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Abort with a message naming the broken promise. */
#define FZ_CHECK(cond)                                                      \
    do {                                                                    \
        if (!(cond))                                                        \
            fz_fail(__FILE__, __LINE__, #cond);                             \
    } while (0)

void fz_fail(const char *file, int line, const char *what)
    __attribute__((noreturn));

/* A check of a fault already reported to its owner and not yet fixed:
 * fatal like FZ_CHECK, unless its tag is named in the environment
 * variable SMTPDX_FUZZ_SKIP (comma-separated), so that a long fuzzing run
 * can look past it for new findings. Replays never set it. */
#define FZ_CHECK_KNOWN(cond, tag)                                           \
    do {                                                                    \
        if (!(cond) && !fz_skipped(tag))                                    \
            fz_fail(__FILE__, __LINE__, #cond " [" tag "]");                \
    } while (0)

int fz_skipped(const char *tag);

/* 1 when s[0..n) is well-formed UTF-8 (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF). */
int fz_utf8_valid(const char *s, size_t n);

/* Strict RFC 8259 check of exactly one JSON value (whitespace around it
 * allowed); strings must be valid UTF-8 and \u escapes may not leave a
 * surrogate unpaired. Returns 1 when valid; otherwise 0 and *err_off (when
 * not NULL) is the offset of the first fault. */
int fz_json_valid(const char *s, size_t n, size_t *err_off);

/* Every line of s[0..n) is one valid JSON value and the text ends with a
 * newline (no partial record). Empty text is valid. On failure returns 0
 * and *err_line (1-based, when not NULL) names the line. */
int fz_json_lines_valid(const char *s, size_t n, size_t *err_line);

/* 1 when s[0..n) holds no byte that can drive a terminal: no C0 control
 * other than LF and TAB, no DEL, no C1 control (U+0080..U+009F in UTF-8
 * or as a raw byte). Returns 0 and *err_off otherwise. */
int fz_text_safe(const char *s, size_t n, size_t *err_off);

/* The promises of smtpdx.h about a parsed reply and an explanation. */
void fz_check_reply(const smtpdx_reply *r);
void fz_check_explanation(const smtpdx_explanation *e,
                          const smtpdx_reply *r);
void fz_check_record(const smtpdx_record *rec);

/* Write with a fresh writer in format fmt into memory; returns the bytes
 * (caller frees) and the writer's status through *st. Records: rs; or one
 * explanation when rs is NULL. NULL only when memory ran out. */
char *fz_write_records(const smtpdx_records *rs, smtpdx_format fmt,
                       size_t *len, smtpdx_status *st);
char *fz_write_explanation(const char *in, size_t n, const smtpdx_reply *r,
                           const smtpdx_explanation *e, smtpdx_format fmt,
                           size_t *len, smtpdx_status *st);

/* Run every writer format over the records (or the explanation) and
 * check each output: NDJSON and Sisimai lines, the JSON array, table text
 * free of control bytes. */
void fz_check_outputs_records(const smtpdx_records *rs);
void fz_check_outputs_explanation(const char *in, size_t n,
                                  const smtpdx_reply *r,
                                  const smtpdx_explanation *e);

/* One smtpdx_ctx for the whole process (harnesses run single-threaded);
 * NULL when it cannot be made, then the harness returns early. */
smtpdx_ctx *fz_ctx(void);

/* A harness that uses fz_ctx() says FZ_INIT_CTX once: the context (and the
 * knowledge base's pattern database behind it, slow to build under the
 * sanitizers) is made before the first input, outside libFuzzer's
 * per-input timeout. */
int LLVMFuzzerInitialize(int *argc, char ***argv);
#define FZ_INIT_CTX                                                         \
    int LLVMFuzzerInitialize(int *argc, char ***argv)                       \
    {                                                                       \
        (void)argc;                                                         \
        (void)argv;                                                         \
        fz_ctx();                                                           \
        return 0;                                                           \
    }

#endif
