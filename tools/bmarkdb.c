/*
 * bmarkdb.c - build-time tool: compile the bounce marker scan's Hyperscan
 * databases (src/lib/bounce/bounce_markdb.h) and write them, serialized,
 * as C.
 *
 * Usage: smtpdx-bmarkdb -o bounce_markdb_data.c
 *
 * The databases are compiled for a generic CPU of the build's
 * architecture, so that the library runs on any machine Hyperscan
 * supports, as tools/kbdb.c does for the knowledge base.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounce/bounce_markdb.h"
#include "hsdb_out.h"

int main(int argc, char **argv)
{
    hs_platform_info_t generic;
    hs_database_t *dbs[2] = {NULL, NULL};
    int rc = 1;

    if (argc != 3 || strcmp(argv[1], "-o") != 0) {
        fputs("usage: smtpdx-bmarkdb -o bounce_markdb_data.c\n", stderr);
        return 2;
    }
    memset(&generic, 0, sizeof(generic));
    generic.tune = HS_TUNE_FAMILY_GENERIC;
    generic.cpu_features = 0;
    for (int k = 0; k < 2; k++) {
        if (sx_bmarkdb_compile((sx_bmarkdb_kind)k, &generic, &dbs[k]) !=
            SMTPDX_OK) {
            fputs("smtpdx-bmarkdb: the marker phrases do not compile\n",
                  stderr);
            goto done;
        }
    }

    static const char *const names[2] = {"marks", "commands"};
    rc = sx_hsdb_out_write(
        "smtpdx-bmarkdb", argv[2],
        "/*\n * bounce_markdb_data.c - the marker scan's databases, "
        "serialized. Generated\n * by smtpdx-bmarkdb from the phrase "
        "lists; do not edit.\n */\n"
        "#include \"bounce/bounce_markdb.h\"\n\n",
        "sx_bmarkdb_built_fingerprint", sx_bmarkdb_fingerprint(), "sx_bmarkdb",
        names, dbs, 2);
done:
    hs_free_database(dbs[0]);
    hs_free_database(dbs[1]);
    return rc;
}
