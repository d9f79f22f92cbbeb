/*
 * fault_cli.c - the smtpdx command line with an allocation fault planted,
 * for tests only (built as smtpdx-fault, never installed).
 *
 * The CLI's sources are compiled a second time with main renamed to
 * sx_cli_main, so this runs exactly the shipping code paths. Environment:
 *   SMTPDX_FAIL_ALLOC=N    the N-th library allocation fails, and so does
 *                          every one after it (0 or unset: none fails);
 *   SMTPDX_FAIL_ONLY=1     with it: only the N-th fails, later ones succeed;
 *   SMTPDX_FAIL_REPORT=P   at exit, write "allocs=A fail_at=N hit=0|1" to
 *                          the file P, so a test knows whether the run
 *                          reached the planted fault or finished before.
 * Effective only in a -DSMTPDX_FAULT_INJECTION=ON build: elsewhere the
 * counter stays 0 and the report says allocs=0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"

int sx_cli_main(int argc, char **argv);

static unsigned long fail_at;

static void report(void)
{
    const char *path = getenv("SMTPDX_FAIL_REPORT");
    unsigned long made = sx_alloc_fail_after(0);
    if (path == NULL || *path == '\0')
        return;
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return;
    fprintf(f, "allocs=%lu fail_at=%lu hit=%d\n", made, fail_at,
            fail_at != 0 && made >= fail_at);
    fclose(f);
}

int main(int argc, char **argv)
{
    const char *n = getenv("SMTPDX_FAIL_ALLOC");
    if (n != NULL && *n != '\0') {
        char *end;
        fail_at = strtoul(n, &end, 10);
        if (*end != '\0') {
            fprintf(stderr, "smtpdx-fault: bad SMTPDX_FAIL_ALLOC '%s'\n", n);
            return 125;
        }
    }
    atexit(report);
    const char *only = getenv("SMTPDX_FAIL_ONLY");
    if (only != NULL && strcmp(only, "1") == 0)
        sx_alloc_fail_only(fail_at);
    else
        sx_alloc_fail_after(fail_at);
    return sx_cli_main(argc, argv);
}
