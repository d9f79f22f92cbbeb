/*
 * walk.c - recursive, name-ordered directory walk (see walk.h).
 */
#include "input/walk.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/alloc.h"
#include "util/sbuf.h"

#define SX_WALK_PATH_MAX (16u * 1024u)
#define SX_WALK_ENTRIES  (4u * 1024u * 1024u) /* names per directory */

typedef struct level {
    char **names;
    size_t n, i;
    size_t plen; /* length of this directory's path in w->path */
    int cut;     /* more names than SX_WALK_ENTRIES: to be reported */
} level;

struct sx_walk {
    sx_sbuf path;
    size_t rootlen;
    int started;
    int depth;
    const char *why; /* the last limit met, for sx_walk_why() */
    level lv[SX_WALK_DEPTH];
};

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void level_free(level *l)
{
    for (size_t i = 0; i < l->n; i++)
        sx_free(l->names[i]);
    sx_free(l->names);
    l->names = NULL;
    l->n = l->i = 0;
}

smtpdx_status sx_walk_new(const char *root, sx_walk **out)
{
    *out = NULL;
    sx_walk *w = sx_calloc(1, sizeof *w);
    if (w == NULL)
        return SMTPDX_ERR_NOMEM;
    sx_sbuf_init(&w->path, SX_WALK_PATH_MAX);
    size_t n = strlen(root);
    while (n > 1 && root[n - 1] == '/')
        n--;
    if (sx_sbuf_append(&w->path, root, n) != SX_SBUF_OK) {
        sx_walk_free(w);
        return SMTPDX_ERR_NOMEM;
    }
    w->rootlen = n;
    *out = w;
    return SMTPDX_OK;
}

void sx_walk_free(sx_walk *w)
{
    if (w == NULL)
        return;
    while (w->depth > 0)
        level_free(&w->lv[--w->depth]);
    sx_sbuf_release(&w->path);
    sx_free(w);
}

static int has(char **names, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], s) == 0)
            return 1;
    return 0;
}

/* Is name, inside the directory at w->path, a folder of mail: a
 * directory (not through a symbolic link, as the walk does not follow
 * those either) that holds directories of its own, cur/ and new/ or
 * subfolders, rather than only files (Courier's courierimapkeywords/)? */
static int subdir(sx_walk *w, const char *name)
{
    size_t keep = w->path.len;
    struct stat sb;
    int r = 0;
    if (sx_sbuf_append(&w->path, "/", 1) == SX_SBUF_OK &&
        sx_sbuf_puts(&w->path, name) == SX_SBUF_OK &&
        lstat(w->path.data, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        DIR *d = opendir(w->path.data);
        size_t inner = w->path.len;
        struct dirent *e;
        while (d != NULL && !r && (e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            w->path.len = inner;
            if (sx_sbuf_append(&w->path, "/", 1) == SX_SBUF_OK &&
                sx_sbuf_puts(&w->path, e->d_name) == SX_SBUF_OK &&
                lstat(w->path.data, &sb) == 0 && S_ISDIR(sb.st_mode))
                r = 1;
        }
        if (d != NULL)
            closedir(d);
    }
    w->path.len = keep;
    w->path.data[keep] = '\0';
    return r;
}

/* List and sort the directory at w->path, push it. */
static smtpdx_status dir_push(sx_walk *w)
{
    DIR *d = opendir(w->path.data);
    if (d == NULL)
        return SMTPDX_ERR_IO;
    level *l = &w->lv[w->depth];
    size_t cap = 0;
    smtpdx_status st = SMTPDX_OK;
    struct dirent *e;
    l->names = NULL;
    l->n = l->i = 0;
    l->cut = 0;
    l->plen = w->path.len;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (l->n == SX_WALK_ENTRIES) {
            l->cut = 1;
            break;
        }
        if (l->n == cap) {
            size_t nc = cap ? cap * 2 : 32;
            char **nn = sx_realloc(l->names, nc * sizeof *nn);
            if (nn == NULL) {
                st = SMTPDX_ERR_NOMEM;
                break;
            }
            l->names = nn;
            cap = nc;
        }
        if ((l->names[l->n] = sx_strdup(e->d_name)) == NULL) {
            st = SMTPDX_ERR_NOMEM;
            break;
        }
        l->n++;
    }
    closedir(d);
    if (st != SMTPDX_OK) {
        level_free(l);
        return st;
    }
    if (l->n)
        qsort(l->names, l->n, sizeof *l->names, name_cmp);
    if (has(l->names, l->n, "cur") && has(l->names, l->n, "new")) {
        /* a Maildir: cur/, new/ and its folders, Maildir++ (".Sent") or
         * plain subdirectories (Dovecot's LAYOUT=fs, "Sent/cur"); not
         * tmp/, where messages are still being written, nor the files
         * beside them (dovecot-uidlist, maildirsize, subscriptions) */
        size_t k = 0;
        for (size_t i = 0; i < l->n; i++) {
            char *s = l->names[i];
            if (strcmp(s, "cur") == 0 || strcmp(s, "new") == 0 || s[0] == '.' ||
                (strcmp(s, "tmp") != 0 && subdir(w, s)))
                l->names[k++] = s;
            else
                sx_free(s);
        }
        l->n = k;
    }
    w->depth++;
    return SMTPDX_OK;
}

smtpdx_status sx_walk_next(sx_walk *w, const char **path)
{
    *path = NULL;
    if (!w->started) {
        w->started = 1;
        smtpdx_status st = dir_push(w);
        if (st != SMTPDX_OK) {
            *path = w->path.data;
            return st;
        }
    }
    while (w->depth > 0) {
        level *l = &w->lv[w->depth - 1];
        if (l->cut) {
            /* said once, before its first name: the folder's path */
            l->cut = 0;
            w->path.len = l->plen;
            w->path.data[w->path.len] = '\0';
            *path = w->path.data;
            w->why = "folder holds more names than smtpdx lists "
                     "(4,194,304): the rest not read";
            errno = EOVERFLOW;
            return SMTPDX_ERR_IO;
        }
        if (l->i == l->n) {
            level_free(l);
            w->depth--;
            continue;
        }
        const char *name = l->names[l->i++];
        w->path.len = l->plen;
        int put = sx_sbuf_putc(&w->path, '/');
        if (put == SX_SBUF_OK)
            put = sx_sbuf_puts(&w->path, name);
        if (put != SX_SBUF_OK) {
            w->path.len = l->plen;
            w->path.data[w->path.len] = '\0';
            if (put == SX_SBUF_NOMEM) {
                l->i--; /* this name again at the next call */
                return SMTPDX_ERR_NOMEM;
            }
            /* the folder is named: the entry's own path is too long */
            *path = w->path.data;
            w->why = "an entry's path would pass 16 KiB: not read";
            errno = ENAMETOOLONG;
            return SMTPDX_ERR_IO;
        }
        struct stat st;
        if (lstat(w->path.data, &st) != 0) {
            *path = w->path.data;
            w->why = NULL;
            return SMTPDX_ERR_IO;
        }
        if (S_ISLNK(st.st_mode)) {
            if (stat(w->path.data, &st) != 0 || !S_ISREG(st.st_mode))
                continue;
        }
        if (S_ISDIR(st.st_mode)) {
            if (w->depth >= SX_WALK_DEPTH) {
                *path = w->path.data;
                w->why = "folder nested deeper than 64 levels: not read";
                errno = ELOOP;
                return SMTPDX_ERR_IO;
            }
            smtpdx_status rc = dir_push(w);
            if (rc != SMTPDX_OK) {
                *path = w->path.data;
                w->why = NULL;
                return rc;
            }
            continue;
        }
        /* hidden files, and an editor's backup copies ("a.eml~") that
         * would read each message twice */
        size_t nl = strlen(name);
        if (!S_ISREG(st.st_mode) || name[0] == '.' ||
            (nl > 0 && name[nl - 1] == '~'))
            continue;
        *path = w->path.data;
        return SMTPDX_OK;
    }
    return SMTPDX_OK;
}

const char *sx_walk_why(const sx_walk *w)
{
    return w->why;
}
