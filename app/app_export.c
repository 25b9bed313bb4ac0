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
#include <unistd.h>

typedef struct {
    hs_app *app;
    hs_run *run; /* a reference of its own */
    char *text;
    char *pair;
    char *dir;
    int layer, head; /* -1 selects all */
    hs_colormap colormap;
    int scale_to_max;
    float *matrix;   /* a derived view to write instead of heads, or NULL */
    char title[512];
    char file_name[64];
} export_job;

/* Creates the export folder when missing (its parent must exist). */
static int ensure_folder(const char *dir)
{
    if (hs_dir_exists(dir))
        return 0;
    if (mkdir(dir, 0755) != 0 && !(errno == EEXIST && hs_dir_exists(dir))) {
        hs_error_set("cannot create the export folder %s: %s", dir, strerror(errno));
        return -1;
    }
    return 0;
}

static void free_job(export_job *job)
{
    hs_run_free(job->run);
    free(job->matrix);
    free(job->text);
    free(job->pair);
    free(job->dir);
    free(job);
}

/* Copies the shown view into the job when it is not a plain head: a layer
 * mean or max, the mean over all heads, rollout, or hidden columns. The file
 * is named after the view. Returns 0, or -1 when memory runs out. */
static int take_view(const hs_app *app, export_job *job)
{
    const hs_shown *s = &app->shown;
    static const char *const names[HS_AGGREGATE_COUNT] = {"mean", "max", "all-mean", "rollout"};
    int plain = app->aggregate == HS_AGGREGATE_NONE && app->head >= 0 && !app->hide_special &&
                !app->hide_first;
    if (plain || !s->valid)
        return 0;
    /* The exporter labels every token, so removed columns come back as 0. */
    job->matrix = calloc((size_t)s->n * s->n, sizeof(float));
    if (!job->matrix)
        return -1;
    for (int i = 0; i < s->n; i++)
        for (int k = 0; k < s->cols; k++)
            job->matrix[(size_t)i * s->n + s->col_unit[k]] = s->values[(size_t)i * s->cols + k];
    /* The exporter labels every token, so the file draws hidden columns as 0.
     * Its title reports that in place of the view's "removed". */
    char notice[sizeof s->notice + 32];
    const char *removed = strstr(s->notice, " removed");
    if (removed)
        snprintf(notice, sizeof notice, "%.*s drawn as 0%s", (int)(removed - s->notice),
                 s->notice, removed + strlen(" removed"));
    else
        snprintf(notice, sizeof notice, "%s", s->notice);
    snprintf(job->title, sizeof job->title, "%s%s%s", s->title, notice[0] ? " · " : "",
             notice);
    /* File names: L03-H07-no-special.png, L03-mean.png, L03-max.png,
     * all-mean.png, rollout.png, with -no-special or -no-first for hidden
     * columns. */
    const char *hidden = "";
    if (app->hide_special)
        hidden = "-no-special";
    else if (app->hide_first)
        hidden = "-no-first";
    if (app->aggregate == HS_AGGREGATE_NONE && app->head >= 0)
        snprintf(job->file_name, sizeof job->file_name, "L%02d-H%02d%s.png", app->layer,
                 app->head, hidden);
    else if (app->aggregate == HS_AGGREGATE_NONE || app->aggregate == HS_AGGREGATE_LAYER_MAX)
        snprintf(job->file_name, sizeof job->file_name, "L%02d-%s%s.png", app->layer,
                 names[app->aggregate], hidden);
    else
        snprintf(job->file_name, sizeof job->file_name, "%s%s.png", names[app->aggregate],
                 hidden);
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
        .scale_to_max = job->scale_to_max,
    };
    char *message = malloc(1024);
    int files = 0;
    int status = ensure_folder(job->dir);
    if (status == 0 && job->matrix) {
        status = hs_export_matrix(&in, job->matrix, job->title, job->file_name, job->dir, NULL,
                                  0);
        files = 1;
    } else if (status == 0) {
        status = hs_export_all(&in, job->layer, job->head, job->dir, &files);
    }
    if (message) {
        if (status == 0)
            snprintf(message, 1024, "exported %d file%s to %s", files, files == 1 ? "" : "s",
                     job->dir);
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

    free_job(job);
    return 0;
}

void hs_app_export(hs_app *app, int all)
{
    if (app->model && !app->model->has_tokenizer) {
        snprintf(app->message, sizeof app->message,
                 "nothing to export: the model has no tokenizer that headscope reads");
        app->message_is_error = 1;
        return;
    }
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
    if (!all && app->words) {
        /* NOTE: word-level views are not exported; the exporter labels tokens. */
        snprintf(app->message, sizeof app->message,
                 "the word view cannot be exported; press W for the token view first");
        app->message_is_error = 1;
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
    /* An absolute path for the status line, also when the folder is new. */
    char cwd[PATH_MAX];
    if (realpath(dir, absolute))
        job->dir = strdup(absolute);
    else if (dir[0] != '/' && getcwd(cwd, sizeof cwd) &&
             snprintf(absolute, sizeof absolute, "%s/%s", cwd, dir) < (int)sizeof absolute)
        job->dir = strdup(absolute);
    else
        job->dir = strdup(dir);
    job->colormap = app->colormap;
    job->scale_to_max = app->scale_to_max;
    /* E: the selected head, or every head of the layer when its mean is shown. */
    job->layer = all ? -1 : app->layer;
    job->head = all ? -1 : app->head;
    if (!all && take_view(app, job) != 0) {
        free_job(job);
        return;
    }

    SDL_Thread *thread = SDL_CreateThread(export_thread, "headscope-export", job);
    if (!thread) {
        snprintf(app->message, sizeof app->message, "cannot start the export: %s",
                 SDL_GetError());
        app->message_is_error = 1;
        free_job(job);
        return;
    }
    SDL_DetachThread(thread);
    app->exporting = 1;
    const char *what = "the selected head";
    if (all)
        what = "every head";
    else if (job->matrix)
        what = job->file_name;
    snprintf(app->message, sizeof app->message, "exporting %s to %s…", what, job->dir);
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
