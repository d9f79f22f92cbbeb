/*
 * cli_pool.c - bounce mails parsed on several cores, handed back in the
 * order they were read ('smtpdx bounce --jobs').
 *
 * The reading thread copies messages into the slots of a ring, a batch
 * to a slot, and goes on reading; worker threads, each with a context of
 * its own (the library wants one per thread), parse the batches in turn
 * into the slot's own records. The reading thread hands the messages back
 * to the caller strictly in ring order, so the records, the counts and the
 * errors come out as a run on one core writes them, whatever order the
 * workers finish in. The ring bounds what is held: its slots, and a slot's
 * buffer that a large message grew is given back once that message is
 * done.
 */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* A slot holds a batch of messages: handing work between threads costs
 * a wake-up or two, which is about what parsing one message takes, so
 * messages go in batches of this many messages or bytes (a larger message
 * goes alone). */
#define BATCH_MSGS 64
#define BATCH_BYTES (512u * 1024u)
/* Slots per worker: enough that a slow batch does not leave the other
 * workers idle while the ring waits on it. */
#define SLOTS_PER_WORKER 4
/* A slot buffer larger than this is freed after use (a message of many
 * megabytes must not stay held once it is done). */
#define KEEP_BYTES (2u * BATCH_BYTES)

typedef struct item {
    size_t at, len;   /* the message, in the slot's buf */
    size_t oat;       /* its origin, in the slot's org */
    int head;         /* only the head of a larger message */
    smtpdx_status st; /* what parsing it returned */
    size_t first, n;  /* its records, in the slot's recs */
} item;

typedef struct slot {
    char *buf;
    size_t len, cap;
    char *org;
    size_t olen, ocap;
    item *it;
    size_t n, icap;
    smtpdx_records *recs;
    int done; /* under the lock */
} slot;

typedef struct worker {
    cli_pool *pool;
    smtpdx_ctx *ctx;
    pthread_t th;
    int started;
} worker;

struct cli_pool {
    pthread_mutex_t mu;
    pthread_cond_t work; /* a batch to parse, or quit */
    pthread_cond_t fin;  /* a batch parsed */
    slot *s;
    size_t ns;
    /* counts since the start; batch i is s[i % ns]: head is the next to
     * hand back, take the next to parse, tail the one being filled */
    unsigned long head, take, tail;
    int quit;
    worker *w;
    unsigned nw;
    cli_pool_done done;
    void *arg;
};

static void parse_batch(smtpdx_ctx *ctx, slot *s)
{
    smtpdx_records_clear(s->recs);
    for (size_t i = 0; i < s->n; i++) {
        item *it = &s->it[i];
        it->first = smtpdx_records_count(s->recs);
        it->st = (it->head ? smtpdx_bounce_parse_head : smtpdx_bounce_parse)(
            ctx, s->buf + it->at, it->len, s->org + it->oat, s->recs);
        it->n = smtpdx_records_count(s->recs) - it->first;
    }
}

static void *work(void *arg)
{
    worker *w = arg;
    cli_pool *p = w->pool;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->quit && p->take == p->tail)
            pthread_cond_wait(&p->work, &p->mu);
        if (p->quit)
            break;
        slot *s = &p->s[p->take++ % p->ns];
        pthread_mutex_unlock(&p->mu);
        parse_batch(w->ctx, s);
        pthread_mutex_lock(&p->mu);
        s->done = 1;
        pthread_cond_signal(&p->fin);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

static void shrink(char **b, size_t *cap)
{
    if (*cap > KEEP_BYTES) {
        free(*b);
        *b = NULL;
        *cap = 0;
    }
}

/* Hand back the batch at head; with wait, once it is parsed. Returns 0
 * when there is none to hand back (yet). */
static int give_back(cli_pool *p, int wait)
{
    pthread_mutex_lock(&p->mu);
    if (p->head == p->tail) {
        pthread_mutex_unlock(&p->mu);
        return 0;
    }
    slot *s = &p->s[p->head % p->ns];
    while (wait && !s->done)
        pthread_cond_wait(&p->fin, &p->mu);
    int ready = s->done;
    pthread_mutex_unlock(&p->mu);
    if (!ready)
        return 0;
    /* the worker wrote the slot before it set done under the lock */
    for (size_t i = 0; i < s->n; i++) {
        const item *it = &s->it[i];
        p->done(p->arg, s->buf + it->at, it->len, s->org + it->oat, it->st,
                s->recs, it->first, it->n);
    }
    s->n = s->len = s->olen = 0;
    smtpdx_records_clear(s->recs);
    shrink(&s->buf, &s->cap);
    shrink(&s->org, &s->ocap);
    p->head++; /* only this thread moves head */
    return 1;
}

/* Pass the batch being filled to the workers. */
static void publish(cli_pool *p)
{
    pthread_mutex_lock(&p->mu);
    p->s[p->tail % p->ns].done = 0;
    p->tail++;
    pthread_cond_signal(&p->work);
    pthread_mutex_unlock(&p->mu);
    while (give_back(p, 0))
        ;
}

static int append(char **dst, size_t *len, size_t *cap, const char *src,
                  size_t n)
{
    if (n + 1 > *cap - *len) {
        size_t c = *cap ? *cap : 4096;
        while (c - *len < n + 1)
            c *= 2;
        char *b = realloc(*dst, c);
        if (b == NULL)
            return -1;
        *dst = b;
        *cap = c;
    }
    memcpy(*dst + *len, src, n);
    (*dst)[*len + n] = '\0';
    *len += n + 1;
    return 0;
}

smtpdx_status cli_pool_put(cli_pool *p, const char *buf, size_t len,
                           const char *origin, int head)
{
    /* the batch at tail is neither parsed nor handed back: only this
     * thread touches it until tail moves past it, once its slot is free */
    while (p->tail - p->head == p->ns)
        give_back(p, 1);
    slot *s = &p->s[p->tail % p->ns];
    const char *o = origin ? origin : "";
    if (s->n == s->icap) {
        size_t c = s->icap ? s->icap * 2 : BATCH_MSGS;
        item *it = realloc(s->it, c * sizeof *it);
        if (it == NULL)
            return SMTPDX_ERR_NOMEM;
        s->it = it;
        s->icap = c;
    }
    item *it = &s->it[s->n];
    it->at = s->len;
    it->oat = s->olen;
    it->len = len;
    it->head = head;
    if (append(&s->buf, &s->len, &s->cap, buf, len) != 0 ||
        append(&s->org, &s->olen, &s->ocap, o, strlen(o)) != 0) {
        s->len = it->at; /* as it was: the batch stays whole */
        s->olen = it->oat;
        return SMTPDX_ERR_NOMEM;
    }
    s->n++;
    if (s->n >= BATCH_MSGS || s->len >= BATCH_BYTES)
        publish(p);
    return SMTPDX_OK;
}

void cli_pool_drain(cli_pool *p)
{
    if (p->tail - p->head < p->ns && p->s[p->tail % p->ns].n > 0)
        publish(p);
    while (give_back(p, 1))
        ;
}

void cli_pool_free(cli_pool *p)
{
    if (p == NULL)
        return;
    pthread_mutex_lock(&p->mu);
    p->quit = 1;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->mu);
    for (unsigned i = 0; i < p->nw; i++) {
        if (p->w[i].started)
            pthread_join(p->w[i].th, NULL);
        smtpdx_ctx_free(p->w[i].ctx);
    }
    for (size_t i = 0; p->s != NULL && i < p->ns; i++) {
        free(p->s[i].buf);
        free(p->s[i].org);
        free(p->s[i].it);
        smtpdx_records_free(p->s[i].recs);
    }
    free(p->s);
    free(p->w);
    pthread_cond_destroy(&p->fin);
    pthread_cond_destroy(&p->work);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

smtpdx_status cli_pool_new(unsigned workers, cli_pool_done done, void *arg,
                           cli_pool **out)
{
    *out = NULL;
    cli_pool *p = calloc(1, sizeof *p);
    if (p == NULL)
        return SMTPDX_ERR_NOMEM;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->work, NULL);
    pthread_cond_init(&p->fin, NULL);
    p->done = done;
    p->arg = arg;
    p->ns = (size_t)workers * SLOTS_PER_WORKER;
    p->s = calloc(p->ns, sizeof *p->s);
    p->w = calloc(workers, sizeof *p->w);
    if (p->s == NULL || p->w == NULL) {
        cli_pool_free(p);
        return SMTPDX_ERR_NOMEM;
    }
    for (size_t i = 0; i < p->ns; i++) {
        if ((p->s[i].recs = smtpdx_records_new()) == NULL) {
            cli_pool_free(p);
            return SMTPDX_ERR_NOMEM;
        }
    }
    smtpdx_status st = SMTPDX_OK;
    /* The signals a person sends are for the reading thread: a Ctrl-C
     * taken by a worker would not end the reader's wait for a silent
     * pipe. Workers start with them blocked (they inherit the mask). */
    sigset_t sent, old;
    sigemptyset(&sent);
    sigaddset(&sent, SIGINT);
    sigaddset(&sent, SIGTERM);
    sigaddset(&sent, SIGHUP);
    sigaddset(&sent, SIGQUIT);
    pthread_sigmask(SIG_BLOCK, &sent, &old);
    for (unsigned i = 0; i < workers; i++) {
        worker *w = &p->w[i];
        w->pool = p;
        p->nw = i + 1;
        if ((st = smtpdx_ctx_new(&w->ctx)) != SMTPDX_OK)
            break;
        if (pthread_create(&w->th, NULL, work, w) != 0) {
            st = SMTPDX_ERR_NOMEM;
            break;
        }
        w->started = 1;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (st != SMTPDX_OK) {
        cli_pool_free(p);
        return st;
    }
    *out = p;
    return SMTPDX_OK;
}

/* The cores this process may run on: taskset and cgroup cpusets narrow
 * them, and a run pinned to one core gets one thread. */
static unsigned cores(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return (unsigned)CPU_COUNT(&set);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1;
}

int cli_jobs_parse(const char *arg, unsigned *jobs)
{
    char *end;
    if (arg == NULL || *arg < '0' || *arg > '9')
        return -1;
    errno = 0;
    unsigned long n = strtoul(arg, &end, 10);
    if (errno != 0 || *end != '\0' || n > CLI_JOBS_MAX)
        return -1;
    if (n == 0)
        n = cores();
    *jobs = n > CLI_JOBS_MAX ? CLI_JOBS_MAX : (unsigned)n;
    return 0;
}
