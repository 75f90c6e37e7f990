/* A thread that draws each DP-SGD step's noise ahead (hush_dpsgd_prefetch) while the caller steps;
 * for the native CLI and benches (pthreads), never the core. It spins (yielding) while the noise is
 * ready: a step of a small model is shorter than a sleep's wake-up, and the waiting is on a core
 * the training would not use anyway. The result is the same bit for bit with or without it. */
#ifndef HUSH_CLI_PREFETCH_H
#define HUSH_CLI_PREFETCH_H

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include "hush.h"

typedef struct hush_prefetcher {
    hush_dpsgd *dp;
    atomic_int stop, status;
    pthread_t th;
    int running;
} hush_prefetcher;

static void *hush_prefetcher_loop(void *p) {
    hush_prefetcher *pf = p;
    while (!atomic_load(&pf->stop)) {
        int drew, st = hush_dpsgd_prefetch(pf->dp, &drew);
        if (st) {
            atomic_store(&pf->status, st);
            break;
        }
        if (!drew) sched_yield();
    }
    return NULL;
}

/* Without a thread (none could be started), the steps simply draw their own noise. */
static inline void hush_prefetcher_start(hush_prefetcher *pf, hush_dpsgd *dp) {
    pf->dp = dp;
    atomic_init(&pf->stop, 0);
    atomic_init(&pf->status, HUSH_OK);
    pf->running = pthread_create(&pf->th, NULL, hush_prefetcher_loop, pf) == 0;
}

/* Joins the thread; returns the first error hush_dpsgd_prefetch reported, if any. */
static inline int hush_prefetcher_stop(hush_prefetcher *pf) {
    if (!pf->running) return HUSH_OK;
    atomic_store(&pf->stop, 1);
    pthread_join(pf->th, NULL);
    pf->running = 0;
    return atomic_load(&pf->status);
}

#endif
