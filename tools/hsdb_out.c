/*
 * hsdb_out.c - serialized Hyperscan databases written as C (hsdb_out.h).
 */
#include "hsdb_out.h"

#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>

static int put_db(FILE *o, const char *tool, const char *prefix,
                  const char *name, hs_database_t *db)
{
    char *bytes = NULL;
    size_t len = 0;
    if (db != NULL && hs_serialize_database(db, &bytes, &len) != HS_SUCCESS) {
        fprintf(stderr, "%s: cannot serialize the %s database\n", tool, name);
        return -1;
    }
    fprintf(o, "const size_t %s_%s_len = %zu;\n", prefix, name, len);
    fprintf(o, "const unsigned char %s_%s[] = {", prefix, name);
    for (size_t i = 0; i < len; i++)
        fprintf(o, "%s%u,", i % 20 ? "" : "\n   ", (unsigned char)bytes[i]);
    fputs(len ? "\n};\n\n" : "0};\n\n", o);
    free(bytes);
    return 0;
}

int sx_hsdb_out_write(const char *tool, const char *path, const char *head,
                      const char *fp_name, uint64_t fp, const char *prefix,
                      const char *const *names, hs_database_t *const *dbs,
                      size_t n)
{
    /* beside the target and renamed, unless the target is there and is
     * no regular file (/dev/null): a rename would replace it */
    struct stat sb;
    int direct = stat(path, &sb) == 0 && !S_ISREG(sb.st_mode);
    size_t pl = strlen(path);
    char *tmp = malloc(pl + 5);
    if (tmp == NULL)
        return 1;
    memcpy(tmp, path, pl);
    memcpy(tmp + pl, direct ? "" : ".tmp", direct ? 1 : 5);
    FILE *o = fopen(tmp, "w");
    if (o == NULL) {
        perror(tmp);
        free(tmp);
        return 1;
    }
    fputs(head, o);
    fprintf(o, "const uint64_t %s = 0x%016llxu;\n\n", fp_name,
            (unsigned long long)fp);
    int bad = 0;
    for (size_t i = 0; i < n && !bad; i++)
        bad = put_db(o, tool, prefix, names[i], dbs[i]) != 0;
    int rc = 0;
    if (ferror(o) | fclose(o) || bad ||
        (!direct && rename(tmp, path) != 0)) {
        fprintf(stderr, "%s: cannot write %s\n", tool, path);
        if (!direct)
            remove(tmp);
        rc = 1;
    }
    free(tmp);
    return rc;
}
