/*
 * worker.h - the background thread that loads models and runs forward
 * passes, so the window keeps drawing while the engine works (at exit it
 * waits at most hs_worker_stop()'s timeout).
 *
 * Requests are coalesced: while the thread is busy, a newer run request
 * replaces an older pending one. Results arrive as SDL user events whose
 * data1 points to a heap object that the receiver frees.
 */
#ifndef HS_WORKER_H
#define HS_WORKER_H

#include "hs_forward.h"
#include "hs_model.h"

#include <SDL.h>

/* event.user.code values of the worker's SDL event type. */
typedef enum {
    HS_WORKER_PROGRESS, /* data1: NULL; event.user.data2 is the fraction in thousandths */
    HS_WORKER_MODEL,    /* data1: hs_model_info * (free with hs_model_info_free) */
    HS_WORKER_RUN,      /* data1: hs_run * (free with hs_run_free) */
} hs_worker_event;

/* What the window needs to know of a model that loaded, or why it failed. */
typedef struct {
    char *request;  /* the name or folder as requested */
    char *name;     /* display name; NULL on failure */
    char *error;    /* NULL on success */
    hs_config config;
    int bos_default; /* the tokenizer adds BOS by default */
    int has_tokenizer;
    char *tokenizer_error;
} hs_model_info;

/* Independent run requests: the main sentence, and sentence B of compare
 * mode. A newer request replaces a pending one of the same slot only. */
enum { HS_WORKER_SLOTS = 2 };

/* One finished forward pass (or its failure) for a given input. */
typedef struct {
    int slot;
    int generation; /* the request's number, to drop stale results */
    char *model_name;
    char *text;            /* the input that ran, for spelling words from it */
    char *pair;            /* NULL when there was none */
    hs_config config;
    hs_encoding *encoding; /* NULL when the input gave no tokens */
    hs_result *result;     /* NULL on failure or no tokens */
    int n_input;           /* tokens before truncation */
    char *error;           /* NULL on success */
    double seconds;        /* tokenizer plus forward pass */
    SDL_atomic_t refs;     /* hs_run_retain() adds one, hs_run_free() drops one */
} hs_run;

typedef struct hs_worker hs_worker;

/* Starts the thread; results are pushed as events of event_type. */
hs_worker *hs_worker_create(Uint32 event_type);

/* Stops the thread after its current job and frees the model. */
void hs_worker_destroy(hs_worker *worker);

/* Stops the thread like hs_worker_destroy(), but waits at most timeout_ms
 * for a running job. Returns 0 when the worker is freed, or -1 when the job
 * still runs: the thread is then detached and left to the process exit. */
int hs_worker_stop(hs_worker *worker, Uint32 timeout_ms);

/* Loads a model in the background. On failure the previous model stays. */
void hs_worker_load(hs_worker *worker, const char *name_or_path);

/* Runs text (and pair, which may be NULL) on the current model in a slot.
 * bos is -1 for the tokenizer's default, 0 or 1. */
void hs_worker_run(hs_worker *worker, int slot, int generation, const char *text,
                   const char *pair, int bos);

void hs_model_info_free(hs_model_info *info);
/* Adds a reference to a run (for a thread that reads it); returns run. */
hs_run *hs_run_retain(hs_run *run);

/* Drops a reference; the last one frees the run. */
void hs_run_free(hs_run *run);

#endif
