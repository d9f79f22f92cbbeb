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

#include "kb/hsdb.h"

static int put_db(FILE *o, const char *name, hs_database_t *db)
{
    char *bytes = NULL;
    size_t len = 0;
    if (db != NULL && hs_serialize_database(db, &bytes, &len) != HS_SUCCESS) {
        fprintf(stderr, "smtpdx-kbdb: cannot serialize the %s database\n",
                name);
        return -1;
    }
    fprintf(o, "const size_t sx_kb_hsdb_%s_len = %zu;\n", name, len);
    fprintf(o, "const unsigned char sx_kb_hsdb_%s[] = {", name);
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
    fputs("/*\n * kb_hsdb.c - the matcher databases, serialized. Generated "
          "by smtpdx-kbdb\n * from the knowledge base; do not edit.\n */\n"
          "#include \"kb/hsdb.h\"\n\n", o);
    fprintf(o, "const uint64_t sx_kb_hsdb_fingerprint = 0x%016llxu;\n\n",
            (unsigned long long)sx_hsdb_fingerprint());
    int bad = put_db(o, "main", dbs[0]) || put_db(o, "som", dbs[1]);
    if (ferror(o) | fclose(o) || bad || rename(tmp, argv[2]) != 0) {
        fprintf(stderr, "smtpdx-kbdb: cannot write %s\n", argv[2]);
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
