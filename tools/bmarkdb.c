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

static int put_db(FILE *o, const char *name, hs_database_t *db)
{
    char *bytes = NULL;
    size_t len = 0;
    if (hs_serialize_database(db, &bytes, &len) != HS_SUCCESS) {
        fprintf(stderr, "smtpdx-bmarkdb: cannot serialize the %s database\n",
                name);
        return -1;
    }
    fprintf(o, "const size_t sx_bmarkdb_%s_len = %zu;\n", name, len);
    fprintf(o, "const unsigned char sx_bmarkdb_%s[] = {", name);
    for (size_t i = 0; i < len; i++)
        fprintf(o, "%s%u,", i % 20 ? "" : "\n   ", (unsigned char)bytes[i]);
    fputs(len ? "\n};\n\n" : "0};\n\n", o);
    free(bytes);
    return 0;
}

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

    size_t ol = strlen(argv[2]);
    char *tmp = malloc(ol + 5);
    if (tmp == NULL)
        goto done;
    memcpy(tmp, argv[2], ol);
    memcpy(tmp + ol, ".tmp", 5);
    FILE *o = fopen(tmp, "w");
    if (o == NULL) {
        perror(tmp);
        free(tmp);
        goto done;
    }
    fputs("/*\n * bounce_markdb_data.c - the marker scan's databases, "
          "serialized. Generated\n * by smtpdx-bmarkdb from the phrase "
          "lists; do not edit.\n */\n"
          "#include \"bounce/bounce_markdb.h\"\n\n", o);
    fprintf(o, "const uint64_t sx_bmarkdb_built_fingerprint = 0x%016llxu;\n\n",
            (unsigned long long)sx_bmarkdb_fingerprint());
    int bad = put_db(o, "marks", dbs[0]) || put_db(o, "commands", dbs[1]);
    if (ferror(o) | fclose(o) || bad || rename(tmp, argv[2]) != 0) {
        fprintf(stderr, "smtpdx-bmarkdb: cannot write %s\n", argv[2]);
        remove(tmp);
    } else {
        rc = 0;
    }
    free(tmp);
done:
    hs_free_database(dbs[0]);
    hs_free_database(dbs[1]);
    return rc;
}
