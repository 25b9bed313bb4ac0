/*
 * app_export.c - E exports the shown head, Shift+E every head, as PNG files
 * into the export folder. Exporting runs on its own thread, which keeps a
 * reference to the result, so typing on meanwhile is safe.
 */
#include "app.h"

#include "export.h"
#include "hs_error.h"
#include "hs_io.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct {
    hs_app *app;
    hs_run *run; /* a reference of its own */
    char *text;
    char *pair;
    char *dir;
    int layer, head; /* -1 selects all */
    hs_colormap colormap;
} export_job;

/* Creates the export folder when missing (its parent must exist). */
static int ensure_folder(const char *dir)
{
    if (hs_dir_exists(dir))
        return 0;
    if (mkdir(dir, 0755) != 0) {
        hs_error_set("cannot create the export folder %s: %s", dir, strerror(errno));
        return -1;
    }
    return 0;
}

static int export_thread(void *data)
{
    export_job *job = data;
    hs_export_input in = {
        .model_name = job->run->model_name,
        .text = job->text,
        .pair = job->pair,
        .encoding = job->run->encoding,
        .result = job->run->result,
        .colormap = job->colormap,
    };
    char *message = malloc(1024);
    int files = 0;
    int status = ensure_folder(job->dir);
    if (status == 0)
        status = hs_export_all(&in, job->layer, job->head, job->dir, &files);
    if (message) {
        if (status == 0)
            snprintf(message, 1024, "exported %d files to %s", files, job->dir);
        else
            snprintf(message, 1024, "export failed: %s", hs_error_message());
    }

    SDL_Event event;
    SDL_zero(event);
    event.type = job->app->worker_event;
    event.user.code = HS_APP_EXPORT_DONE;
    event.user.data1 = message;
    event.user.data2 = (void *)(intptr_t)(status != 0);
    SDL_PushEvent(&event);

    hs_run_free(job->run);
    free(job->text);
    free(job->pair);
    free(job->dir);
    free(job);
    return 0;
}

void hs_app_export(hs_app *app, int all)
{
    if (!app->run || !app->run->result) {
        snprintf(app->message, sizeof app->message, "nothing to export: no result yet");
        app->message_is_error = 1;
        return;
    }
    if (app->exporting) {
        snprintf(app->message, sizeof app->message, "an export is still running");
        app->message_is_error = 0;
        return;
    }
    export_job *job = calloc(1, sizeof *job);
    char absolute[PATH_MAX];
    const char *dir = app->options.export_dir ? app->options.export_dir : "headscope-export";
    if (!job)
        return;
    job->app = app;
    job->run = hs_run_retain(app->run);
    job->text = strdup(app->text.text);
    job->pair = app->pair.length ? strdup(app->pair.text) : NULL;
    job->dir = strdup(realpath(dir, absolute) ? absolute : dir);
    job->colormap = app->colormap;
    /* E: the selected head, or every head of the layer when its mean is shown. */
    job->layer = all ? -1 : app->layer;
    job->head = all ? -1 : app->head;

    SDL_Thread *thread = SDL_CreateThread(export_thread, "headscope-export", job);
    if (!thread) {
        snprintf(app->message, sizeof app->message, "cannot start the export: %s",
                 SDL_GetError());
        app->message_is_error = 1;
        hs_run_free(job->run);
        free(job->text);
        free(job->pair);
        free(job->dir);
        free(job);
        return;
    }
    SDL_DetachThread(thread);
    app->exporting = 1;
    snprintf(app->message, sizeof app->message, "exporting %s to %s…",
             all ? "every head" : "the selected head", job->dir);
    app->message_is_error = 0;
}

void hs_app_export_done(hs_app *app, char *message, int failed)
{
    app->exporting = 0;
    if (message) {
        snprintf(app->message, sizeof app->message, "%s", message);
        if (failed)
            fprintf(stderr, "headscope: %s\n", message);
    }
    app->message_is_error = failed;
    free(message);
}
