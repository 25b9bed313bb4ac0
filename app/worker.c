/*
 * worker.c - one SDL thread owns the loaded model; the window talks to it
 * through a mutex-protected mailbox and hears back through SDL events.
 */
#include "worker.h"

#include "hs_error.h"

#include <stdlib.h>
#include <string.h>

struct hs_worker {
    SDL_Thread *thread;
    SDL_mutex *lock;
    SDL_cond *wake;
    Uint32 event_type;
    int quit;

    /* Mailbox, protected by lock: one pending load and one pending run per
     * slot (the main sentence, and sentence B of compare mode). */
    char *pending_load;
    struct {
        int pending;
        int generation;
        char *text;
        char *pair;
        int bos;
    } runs[HS_WORKER_SLOTS];

    int finished; /* the thread has left its loop; protected by lock */

    /* Owned by the thread. */
    hs_model *model;
    Uint32 last_progress;
};

static void push_event(hs_worker *w, int code, void *data1, intptr_t data2)
{
    SDL_Event event;
    SDL_zero(event);
    event.type = w->event_type;
    event.user.code = code;
    event.user.data1 = data1;
    event.user.data2 = (void *)data2;
    if (SDL_PushEvent(&event) == 1)
        return;
    /* The event was not queued (a full queue or a filter), so no receiver frees data1. */
    if (code == HS_WORKER_MODEL)
        hs_model_info_free(data1);
    else if (code == HS_WORKER_RUN)
        hs_run_free(data1);
}

static void report_progress(float fraction, void *user)
{
    hs_worker *w = user;
    Uint32 now = SDL_GetTicks();
    if (now - w->last_progress < 50 && fraction < 1.0f)
        return; /* at most 20 updates a second */
    w->last_progress = now;
    push_event(w, HS_WORKER_PROGRESS, NULL, (intptr_t)(fraction * 1000.0f));
}

static void do_load(hs_worker *w, char *request)
{
    hs_model_info *info = calloc(1, sizeof *info);
    if (!info) {
        free(request);
        return;
    }
    info->request = request;
    w->last_progress = 0;
    hs_model *model = hs_model_load(request, report_progress, w);
    if (!model) {
        info->error = strdup(hs_error_message());
        push_event(w, HS_WORKER_MODEL, info, 0);
        return;
    }
    hs_model_free(w->model);
    w->model = model;
    info->name = strdup(hs_model_name(model));
    info->config = *hs_model_config(model);
    const hs_tokenizer *tok = hs_model_tokenizer(model);
    info->has_tokenizer = tok != NULL;
    info->bos_default = tok ? hs_tokenizer_adds_bos(tok) : 0;
    if (!tok)
        info->tokenizer_error = strdup(hs_model_tokenizer_error(model));
    push_event(w, HS_WORKER_MODEL, info, 0);
}

static void do_run(hs_worker *w, int slot, int generation, char *text, char *pair, int bos)
{
    hs_run *run = calloc(1, sizeof *run);
    if (!run)
        goto done;
    run->slot = slot;
    run->generation = generation;
    run->text = strdup(text);
    run->pair = pair ? strdup(pair) : NULL;
    SDL_AtomicSet(&run->refs, 1);
    if (!w->model) {
        run->error = strdup("no model is loaded");
        goto send;
    }
    run->model_name = strdup(hs_model_name(w->model));
    run->config = *hs_model_config(w->model);
    const hs_tokenizer *tok = hs_model_tokenizer(w->model);
    if (!tok) {
        run->error = strdup(hs_model_tokenizer_error(w->model));
        goto send;
    }
    Uint64 start = SDL_GetPerformanceCounter();
    hs_encode_options options = {.add_special_tokens = 1, .bos = bos};
    run->encoding = hs_tokenizer_encode(tok, text, strlen(text), pair, pair ? strlen(pair) : 0,
                                        &options);
    if (!run->encoding) {
        run->error = strdup(hs_error_message());
        goto send;
    }
    run->n_input = run->encoding->n;
    hs_encoding_truncate(run->encoding, run->config.max_positions);
    if (run->encoding->n > 0) {
        run->result = hs_forward(w->model, run->encoding->ids, run->encoding->type_ids,
                                 run->encoding->n);
        if (!run->result)
            run->error = strdup(hs_error_message());
    }
    run->seconds = (double)(SDL_GetPerformanceCounter() - start) /
                   (double)SDL_GetPerformanceFrequency();
send:
    push_event(w, HS_WORKER_RUN, run, 0);
done:
    free(text);
    free(pair);
}

static int thread_main(void *data)
{
    hs_worker *w = data;
    SDL_LockMutex(w->lock);
    while (!w->quit) {
        if (w->pending_load) {
            char *request = w->pending_load;
            w->pending_load = NULL;
            SDL_UnlockMutex(w->lock);
            do_load(w, request);
            SDL_LockMutex(w->lock);
        } else if (w->runs[0].pending || w->runs[1].pending) {
            int slot = w->runs[0].pending ? 0 : 1;
            int generation = w->runs[slot].generation, bos = w->runs[slot].bos;
            char *text = w->runs[slot].text, *pair = w->runs[slot].pair;
            w->runs[slot].text = w->runs[slot].pair = NULL;
            w->runs[slot].pending = 0;
            SDL_UnlockMutex(w->lock);
            do_run(w, slot, generation, text, pair, bos);
            SDL_LockMutex(w->lock);
        } else {
            SDL_CondWait(w->wake, w->lock);
        }
    }
    w->finished = 1;
    SDL_CondBroadcast(w->wake);
    SDL_UnlockMutex(w->lock);
    return 0;
}

hs_worker *hs_worker_create(Uint32 event_type)
{
    hs_worker *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->event_type = event_type;
    w->lock = SDL_CreateMutex();
    w->wake = SDL_CreateCond();
    if (w->lock && w->wake)
        w->thread = SDL_CreateThread(thread_main, "headscope-worker", w);
    if (!w->thread) {
        hs_error_set("cannot start the worker thread: %s", SDL_GetError());
        hs_worker_destroy(w);
        return NULL;
    }
    return w;
}

int hs_worker_stop(hs_worker *w, Uint32 timeout_ms)
{
    if (!w)
        return 0;
    if (w->thread) {
        Uint32 deadline = SDL_GetTicks() + timeout_ms;
        SDL_LockMutex(w->lock);
        w->quit = 1;
        SDL_CondBroadcast(w->wake);
        while (!w->finished) {
            Sint32 left = (Sint32)(deadline - SDL_GetTicks());
            if (left <= 0)
                break;
            SDL_CondWaitTimeout(w->wake, w->lock, (Uint32)left);
        }
        int finished = w->finished;
        SDL_UnlockMutex(w->lock);
        if (!finished) {
            /* The job goes on; the thread and what it uses are left to the
             * process exit rather than freed under it. */
            SDL_DetachThread(w->thread);
            return -1;
        }
        SDL_WaitThread(w->thread, NULL);
        w->thread = NULL;
    }
    hs_worker_destroy(w);
    return 0;
}

void hs_worker_destroy(hs_worker *w)
{
    if (!w)
        return;
    if (w->thread) {
        SDL_LockMutex(w->lock);
        w->quit = 1;
        SDL_CondBroadcast(w->wake);
        SDL_UnlockMutex(w->lock);
        SDL_WaitThread(w->thread, NULL);
    }
    hs_model_free(w->model);
    free(w->pending_load);
    for (int slot = 0; slot < HS_WORKER_SLOTS; slot++) {
        free(w->runs[slot].text);
        free(w->runs[slot].pair);
    }
    if (w->wake)
        SDL_DestroyCond(w->wake);
    if (w->lock)
        SDL_DestroyMutex(w->lock);
    free(w);
}

void hs_worker_load(hs_worker *w, const char *name)
{
    SDL_LockMutex(w->lock);
    free(w->pending_load);
    w->pending_load = strdup(name);
    SDL_CondSignal(w->wake);
    SDL_UnlockMutex(w->lock);
}

void hs_worker_run(hs_worker *w, int slot, int generation, const char *text, const char *pair,
                   int bos)
{
    HS_ASSERT(slot >= 0 && slot < HS_WORKER_SLOTS);
    SDL_LockMutex(w->lock);
    free(w->runs[slot].text);
    free(w->runs[slot].pair);
    w->runs[slot].text = strdup(text);
    w->runs[slot].pair = pair ? strdup(pair) : NULL;
    w->runs[slot].generation = generation;
    w->runs[slot].bos = bos;
    w->runs[slot].pending = 1;
    SDL_CondSignal(w->wake);
    SDL_UnlockMutex(w->lock);
}

void hs_model_info_free(hs_model_info *info)
{
    if (!info)
        return;
    free(info->request);
    free(info->name);
    free(info->error);
    free(info->tokenizer_error);
    free(info);
}

hs_run *hs_run_retain(hs_run *run)
{
    SDL_AtomicIncRef(&run->refs);
    return run;
}

void hs_run_free(hs_run *run)
{
    if (!run || !SDL_AtomicDecRef(&run->refs))
        return;
    free(run->model_name);
    free(run->text);
    free(run->pair);
    hs_encoding_free(run->encoding);
    hs_result_free(run->result);
    free(run->error);
    free(run);
}
