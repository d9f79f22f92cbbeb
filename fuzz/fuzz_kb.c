/*
 * fuzz_kb.c - the knowledge-base compiler (tools/kbc*.c) on one arbitrary
 * .kb file.
 *
 * The compiler is a build tool with main(), globals, exit() on usage and
 * out-of-memory and no free() of what it parses. Its kbc.c (which owns
 * main, the allocator kbc_realloc and the global lists) is included here
 * with its libc names redirected: main becomes kbc_main, exit jumps back
 * to the harness, and every block allocated is tracked and released after
 * each input; its globals are reset. The compiler's other files are built
 * with the same names redirected (fuzz/CMakeLists.txt). The tool itself stays unchanged. The
 * input goes through a file in a private temporary folder, as the tool
 * reads only files.
 */
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every block handed to kbc.c starts with a link in this list. */
typedef struct fzkb_blk {
    struct fzkb_blk *prev, *next;
    max_align_t align_[];
} fzkb_blk;
static fzkb_blk fzkb_live = {&fzkb_live, &fzkb_live};
static jmp_buf fzkb_jmp;

static void fzkb_unlink(fzkb_blk *b)
{
    b->prev->next = b->next;
    b->next->prev = b->prev;
}

static void fzkb_link(fzkb_blk *b)
{
    b->next = fzkb_live.next;
    b->prev = &fzkb_live;
    fzkb_live.next->prev = b;
    fzkb_live.next = b;
}

/* Not static: kbc_check.c and kbc_emit.c are compiled with the same
 * names redirected here (fuzz/CMakeLists.txt). */
void *fzkb_realloc(void *p, size_t n);
void *fzkb_malloc(size_t n);
void *fzkb_calloc(size_t n, size_t size);
void fzkb_free(void *p);
void fzkb_exit(int code) __attribute__((noreturn));

void *fzkb_realloc(void *p, size_t n)
{
    fzkb_blk *b = p ? (fzkb_blk *)p - 1 : NULL;
    if (b)
        fzkb_unlink(b);
    fzkb_blk *nb = realloc(b, sizeof *nb + n);
    if (nb == NULL) {
        if (b)
            fzkb_link(b);
        return NULL;
    }
    fzkb_link(nb);
    return nb + 1;
}

void *fzkb_malloc(size_t n)
{
    return fzkb_realloc(NULL, n);
}

void *fzkb_calloc(size_t n, size_t size)
{
    if (size != 0 && n > (size_t)-1 / size)
        return NULL;
    void *p = fzkb_realloc(NULL, n * size);
    if (p != NULL)
        memset(p, 0, n * size);
    return p;
}

void fzkb_free(void *p)
{
    if (p == NULL)
        return;
    fzkb_blk *b = (fzkb_blk *)p - 1;
    fzkb_unlink(b);
    free(b);
}

static char fzkb_dir[64];

static void fzkb_cleanup(void)
{
    char path[96];
    snprintf(path, sizeof path, "%s/input.kb", fzkb_dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/tables.c", fzkb_dir);
    unlink(path);
    rmdir(fzkb_dir);
}

void fzkb_exit(int code)
{
    longjmp(fzkb_jmp, code + 1);
}

#define main kbc_main
#define realloc fzkb_realloc
#define malloc fzkb_malloc
#define calloc fzkb_calloc
#define free fzkb_free
#define exit fzkb_exit
int main(int argc, char **argv);
#include "kbc.c"
#undef main
#undef realloc
#undef malloc
#undef calloc
#undef free
#undef exit

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char in[96], out[96];
    if (fzkb_dir[0] == '\0') {
        snprintf(fzkb_dir, sizeof fzkb_dir, "/tmp/smtpdx-fuzzkb.XXXXXX");
        if (mkdtemp(fzkb_dir) == NULL)
            abort();
        atexit(fzkb_cleanup);
    }
    snprintf(in, sizeof in, "%s/input.kb", fzkb_dir);
    snprintf(out, sizeof out, "%s/tables.c", fzkb_dir);
    FILE *f = fopen(in, "wb");
    if (f == NULL || fwrite(data, 1, size, f) != size || fclose(f) != 0)
        abort();
    char *argv[] = {"smtpdx-kbc", "-o", out, in, NULL};
    if (setjmp(fzkb_jmp) == 0)
        kbc_main(4, argv);
    /* the tool's state, back to what a fresh process has */
    while (fzkb_live.next != &fzkb_live)
        fzkb_free(fzkb_live.next + 1);
    kbc_all = NULL;
    kbc_nall = capall = 0;
    errs = NULL;
    nerrs = caperrs = 0;
    return 0;
}
