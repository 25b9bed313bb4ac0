/*
 * parallel.c - a fixed pool of worker threads (cores - 1) that share one
 * range job at a time with the calling thread.
 */
#include "parallel.h"

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

enum { MAX_THREADS = 64 };

static struct {
    pthread_once_t once;
    pthread_mutex_t call_lock; /* one job at a time */
    pthread_mutex_t lock;
    pthread_cond_t start;
    pthread_cond_t done;
    int threads; /* workers plus the caller; 1 when the pool is off */
    unsigned long job;   /* bumped for every job */
    int remaining;       /* workers still busy with the current job */
    hs_range_fn fn;
    void *context;
    size_t count;
} pool = {
    .once = PTHREAD_ONCE_INIT,
    .call_lock = PTHREAD_MUTEX_INITIALIZER,
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .start = PTHREAD_COND_INITIALIZER,
    .done = PTHREAD_COND_INITIALIZER,
    .threads = 1,
};

/* Range of part `index` of `parts` over [0, count). */
static void part_range(size_t count, int parts, int index, size_t *begin, size_t *end)
{
    *begin = count * (size_t)index / (size_t)parts;
    *end = count * (size_t)(index + 1) / (size_t)parts;
}

static void *worker_main(void *arg)
{
    int index = (int)(size_t)arg;
    unsigned long seen = 0;
    pthread_mutex_lock(&pool.lock);
    for (;;) {
        while (pool.job == seen)
            pthread_cond_wait(&pool.start, &pool.lock);
        seen = pool.job;
        hs_range_fn fn = pool.fn;
        void *context = pool.context;
        size_t begin, end;
        part_range(pool.count, pool.threads, index, &begin, &end);
        pthread_mutex_unlock(&pool.lock);

        if (begin < end)
            fn(context, begin, end);

        pthread_mutex_lock(&pool.lock);
        if (--pool.remaining == 0)
            pthread_cond_signal(&pool.done);
    }
    return NULL;
}

static void start_pool(void)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    const char *env = getenv("HEADSCOPE_THREADS");
    if (env && *env)
        cores = strtol(env, NULL, 10);
    if (cores > MAX_THREADS)
        cores = MAX_THREADS;
    int started = 1;
    for (int i = 1; i < cores; i++) {
        pthread_t thread;
        if (pthread_create(&thread, NULL, worker_main, (void *)(size_t)i) != 0)
            break;
        pthread_detach(thread);
        started++;
    }
    pool.threads = started;
}

void hs_parallel_range(size_t count, size_t min_per_thread, hs_range_fn fn, void *context)
{
    pthread_once(&pool.once, start_pool);
    if (pool.threads < 2 || count < 2 * min_per_thread) {
        if (count)
            fn(context, 0, count);
        return;
    }
    pthread_mutex_lock(&pool.call_lock);
    pthread_mutex_lock(&pool.lock);
    pool.fn = fn;
    pool.context = context;
    pool.count = count;
    pool.remaining = pool.threads - 1;
    pool.job++;
    pthread_cond_broadcast(&pool.start);
    pthread_mutex_unlock(&pool.lock);

    size_t begin, end;
    part_range(count, pool.threads, 0, &begin, &end);
    if (begin < end)
        fn(context, begin, end);

    pthread_mutex_lock(&pool.lock);
    while (pool.remaining > 0)
        pthread_cond_wait(&pool.done, &pool.lock);
    pthread_mutex_unlock(&pool.lock);
    pthread_mutex_unlock(&pool.call_lock);
}
