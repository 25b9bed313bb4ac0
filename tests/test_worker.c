/*
 * test_worker.c - the app's background thread without a window: model loads
 * report progress before the model, a failed load keeps the previous model,
 * newer run requests replace pending ones, and stopping frees everything.
 * SDL's event queue needs no display.
 */
#include "test_util.h"

#include "worker.h"

#include <stdlib.h>
#include <string.h>

enum { WAIT_MS = 30000 };

static Uint32 event_type;

static int setup(void **state)
{
    if (SDL_Init(SDL_INIT_EVENTS) != 0) {
        print_error("SDL_Init failed: %s\n", SDL_GetError());
        return -1;
    }
    event_type = SDL_RegisterEvents(1);
    return event_type == (Uint32)-1 ? -1 : 0;
}

static int teardown(void **state)
{
    SDL_Quit();
    return 0;
}

/* Progress values seen while waiting, in thousandths. */
typedef struct {
    int values[256];
    int count;
} progress_log;

/* Waits for the next event of the worker with the given code and returns its
 * data1. Progress events on the way go to progress (which may be NULL). */
static void *wait_for(int code, progress_log *progress)
{
    Uint32 deadline = SDL_GetTicks() + WAIT_MS;
    for (;;) {
        Sint32 left = (Sint32)(deadline - SDL_GetTicks());
        if (left <= 0)
            fail_msg("no worker event %d within %d ms", code, WAIT_MS);
        SDL_Event event;
        if (!SDL_WaitEventTimeout(&event, left) || event.type != event_type)
            continue;
        if (event.user.code == HS_WORKER_PROGRESS) {
            if (progress && progress->count < 256)
                progress->values[progress->count++] = (int)(intptr_t)event.user.data2;
            continue;
        }
        if (event.user.code == code)
            return event.user.data1;
        fail_msg("worker event %d arrived while waiting for %d", event.user.code, code);
    }
}

static hs_worker *start_with_demo(void)
{
    hs_worker *worker = hs_worker_create(event_type);
    assert_non_null(worker);
    hs_worker_load(worker, HS_DEMO_MODEL);
    hs_model_info *info = wait_for(HS_WORKER_MODEL, NULL);
    if (info->error)
        fail_msg("%s", info->error);
    hs_model_info_free(info);
    return worker;
}

static void load_reports_progress_first(void **state)
{
    hs_worker *worker = hs_worker_create(event_type);
    assert_non_null(worker);
    hs_worker_load(worker, HS_DEMO_MODEL);
    progress_log progress = {0};
    hs_model_info *info = wait_for(HS_WORKER_MODEL, &progress);

    assert_null(info->error);
    assert_string_equal(info->name, "demo-model");
    assert_string_equal(info->request, HS_DEMO_MODEL);
    assert_true(info->has_tokenizer);
    assert_int_equal(info->config.n_layers, 6);
    assert_int_equal(info->config.n_heads, 8);
    assert_true(progress.count >= 1);
    for (int i = 1; i < progress.count; i++)
        assert_true(progress.values[i] >= progress.values[i - 1]);
    assert_int_equal(progress.values[progress.count - 1], 1000);

    hs_model_info_free(info);
    assert_int_equal(hs_worker_stop(worker, WAIT_MS), 0);
}

static void failed_load_keeps_model(void **state)
{
    hs_worker *worker = start_with_demo();
    const char *dir = hs_test_tmpdir("worker-broken");
    char path[4200];
    snprintf(path, sizeof path, "%s/config.json", dir);
    hs_test_write_file(path, "{", 1);

    hs_worker_load(worker, dir);
    hs_model_info *info = wait_for(HS_WORKER_MODEL, NULL);
    assert_non_null(info->error);
    assert_non_null(strstr(info->error, path));
    assert_null(info->name);
    hs_model_info_free(info);

    hs_worker_run(worker, 0, 1, "the river bank", NULL, -1);
    hs_run *run = wait_for(HS_WORKER_RUN, NULL);
    assert_null(run->error);
    assert_string_equal(run->model_name, "demo-model");
    assert_non_null(run->result);
    assert_int_equal(run->result->n, 5); /* [CLS] the river bank [SEP] */
    hs_run_free(run);
    assert_int_equal(hs_worker_stop(worker, WAIT_MS), 0);
}

static void run_without_model_fails(void **state)
{
    hs_worker *worker = hs_worker_create(event_type);
    assert_non_null(worker);
    hs_worker_run(worker, 1, 7, "anything", NULL, -1);
    hs_run *run = wait_for(HS_WORKER_RUN, NULL);
    assert_int_equal(run->slot, 1);
    assert_int_equal(run->generation, 7);
    assert_non_null(run->error);
    assert_string_equal(run->error, "no model is loaded");
    assert_null(run->result);
    hs_run_free(run);
    assert_int_equal(hs_worker_stop(worker, WAIT_MS), 0);
}

/* Many requests in one slot: the results arrive in order, the last request
 * always runs, and the other slot's request is not replaced by them. */
static void newer_run_replaces_pending(void **state)
{
    hs_worker *worker = start_with_demo();
    char text[64];
    enum { REQUESTS = 20 };
    for (int g = 1; g <= REQUESTS; g++) {
        snprintf(text, sizeof text, "sentence number %d", g);
        hs_worker_run(worker, 0, g, text, NULL, -1);
    }
    hs_worker_run(worker, 1, 100, "the other slot", NULL, -1);

    int last = 0, results = 0, other = 0;
    while (last != REQUESTS || !other) {
        hs_run *run = wait_for(HS_WORKER_RUN, NULL);
        assert_null(run->error);
        if (run->slot == 1) {
            assert_int_equal(run->generation, 100);
            other++;
        } else {
            assert_true(run->generation > last);
            last = run->generation;
            results++;
        }
        hs_run_free(run);
    }
    assert_int_equal(other, 1);
    assert_true(results <= REQUESTS);
    assert_int_equal(hs_worker_stop(worker, WAIT_MS), 0);
}

/* A run request copies its text, so the caller may reuse its buffer. */
static void run_copies_text(void **state)
{
    hs_worker *worker = start_with_demo();
    char text[64] = "bank";
    hs_worker_run(worker, 0, 1, text, NULL, -1);
    memset(text, 'x', sizeof text - 1);
    hs_run *run = wait_for(HS_WORKER_RUN, NULL);
    assert_null(run->error);
    assert_int_equal(run->encoding->n, 3);
    assert_string_equal(run->encoding->tokens[1], "bank");
    hs_run_free(run);
    assert_int_equal(hs_worker_stop(worker, WAIT_MS), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(load_reports_progress_first),
        cmocka_unit_test(failed_load_keeps_model),
        cmocka_unit_test(run_without_model_fails),
        cmocka_unit_test(newer_run_replaces_pending),
        cmocka_unit_test(run_copies_text),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
