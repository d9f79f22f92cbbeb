/*
 * kbdb.c - build-time tool: compile the matcher's Hyperscan databases for
 * the knowledge base linked into it and write them, serialized, as C.
 *
 * Usage: smtpdx-kbdb -o kb_hsdb.c
 *
 * Linked with the kb_tables.c that kbc produced, so a regex that Hyperscan
 * refuses stops the build here with its file and line, rather than the
 * library failing at run time. The databases are compiled for a generic
 * CPU of the build's architecture, so the library runs on any machine
 * Hyperscan supports; see src/lib/kb/hsdb.h for how they are used.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hsdb_out.h"
#include "kb/hsdb.h"

int main(int argc, char **argv)
{
    hs_platform_info_t generic;
    hs_database_t *dbs[2] = {NULL, NULL};
    char err[512];
    int rc = 1;

    if (argc != 3 || strcmp(argv[1], "-o") != 0) {
        fputs("usage: smtpdx-kbdb -o kb_hsdb.c\n", stderr);
        return 2;
    }
    memset(&generic, 0, sizeof(generic));
    generic.tune = HS_TUNE_FAMILY_GENERIC;
    generic.cpu_features = 0;
    for (int k = 0; k < 2; k++) {
        smtpdx_status st = sx_hsdb_compile((sx_hsdb_kind)k, &generic, &dbs[k],
                                           err, sizeof(err));
        if (st != SMTPDX_OK) {
            fprintf(stderr, "%s\n", err[0] ? err : "smtpdx-kbdb: compile "
                    "failed");
            goto done;
        }
    }

    static const char *const names[2] = {"main", "som"};
    rc = sx_hsdb_out_write(
        "smtpdx-kbdb", argv[2],
        "/*\n * kb_hsdb.c - the matcher databases, serialized. Generated "
        "by smtpdx-kbdb\n * from the knowledge base; do not edit.\n */\n"
        "#include \"kb/hsdb.h\"\n\n",
        "sx_kb_hsdb_fingerprint", sx_hsdb_fingerprint(), "sx_kb_hsdb", names,
        dbs, 2);
done:
    hs_free_database(dbs[0]);
    hs_free_database(dbs[1]);
    return rc;
}
