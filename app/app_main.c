/*
 * app_main.c - the desktop app: SDL2 window with an OpenGL 3.3 core context,
 * the event loop, keyboard and mouse handling, and the hand-off between the
 * window and the worker thread.
 *
 * The loop sleeps in SDL_WaitEvent until something happens and redraws only
 * when the state changed (the dirty flag).
 */
#include "app.h"

#include "cli.h"
#include "hs_error.h"
#include "hs_io.h"
#include "png.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    DEBOUNCE_MS = 120, /* typing pause before the model runs again */
    MAX_TEXT_BYTES = 65536,
    DRAG_THRESHOLD_PX = 4,
    MIN_WINDOW_WIDTH = 640,
    MIN_WINDOW_HEIGHT = 400, /* pointer travel that turns a click on the heatmap into a pan */
};

static const char app_usage[] =
    "usage: headscope [--model MODEL] [--text TEXT] [--pair TEXT] [--layer L] [--head H]\n"
    "                 [--view heatmap|arcs|roles|compare] [--focus INDEX] [--cmap "
    "viridis|cividis]\n"
    "                 [--bos | --no-bos] [--size WxH] [--screenshot FILE.png]\n"
    "                 [--describe FILE.json]\n"
    "                 [--aggregate layer-mean|layer-max|all-mean|rollout]\n"
    "                 [--hide-special] [--hide-first] [--words] [--export-dir DIR]\n"
    "                 [--lesson N] [--word WORD] [--scale 1|max] [--timing]\n"
    "Opens the desktop app. Layers and heads count from 0; --head mean selects the\n"
    "layer's mean. --focus selects a token by its index. --screenshot writes the first\n"
    "complete frame after the result arrives to FILE.png and exits. --describe rewrites\n"
    "FILE.json after every frame with what the window shows (tokens, head, layout).\n"
    "--aggregate shows the layer's mean (as --head mean) or max over heads, the mean over\n"
    "all heads, or attention rollout. --hide-special and --hide-first hide those columns\n"
    "and renormalise rows; --words merges word pieces into words. --scale max runs the\n"
    "heatmap's colours from 0 to the view's largest value (key R). E exports the shown\n"
    "head and Shift+E every head as PNG files into --export-dir (default\n"
    "./headscope-export, created when missing). --view compare compares --word (default: the first shared word) in\n"
    "--text and --pair; --lesson N opens lesson N of assets/lessons.txt. --timing\n"
    "prints each frame's draw time and the time from a keystroke to its picture.\n"
    "HEADSCOPE_SHADER_DIR, when set, names a folder to read the GLSL shaders from\n"
    "instead of the built-in copies.\n";

/* ---- options ----------------------------------------------------------- */

enum {
    OPT_MODEL = 1000,
    OPT_TEXT,
    OPT_PAIR,
    OPT_LAYER,
    OPT_HEAD,
    OPT_VIEW,
    OPT_FOCUS,
    OPT_SCREENSHOT,
    OPT_DESCRIBE,
    OPT_SIZE,
    OPT_AGGREGATE,
    OPT_HIDE_SPECIAL,
    OPT_HIDE_FIRST,
    OPT_WORDS,
    OPT_EXPORT_DIR,
    OPT_LESSON,
    OPT_WORD,
    OPT_TIMING,
    OPT_BOS,
    OPT_NO_BOS,
    OPT_CMAP,
    OPT_SCALE,
    OPT_HELP,
};

static int parse_app_options(int argc, char **argv, hs_app_options *o)
{
    static const struct option long_options[] = {
        {"model", required_argument, NULL, OPT_MODEL},
        {"text", required_argument, NULL, OPT_TEXT},
        {"pair", required_argument, NULL, OPT_PAIR},
        {"layer", required_argument, NULL, OPT_LAYER},
        {"head", required_argument, NULL, OPT_HEAD},
        {"view", required_argument, NULL, OPT_VIEW},
        {"focus", required_argument, NULL, OPT_FOCUS},
        {"screenshot", required_argument, NULL, OPT_SCREENSHOT},
        {"describe", required_argument, NULL, OPT_DESCRIBE},
        {"aggregate", required_argument, NULL, OPT_AGGREGATE},
        {"hide-special", no_argument, NULL, OPT_HIDE_SPECIAL},
        {"hide-first", no_argument, NULL, OPT_HIDE_FIRST},
        {"words", no_argument, NULL, OPT_WORDS},
        {"export-dir", required_argument, NULL, OPT_EXPORT_DIR},
        {"lesson", required_argument, NULL, OPT_LESSON},
        {"word", required_argument, NULL, OPT_WORD},
        {"timing", no_argument, NULL, OPT_TIMING},
        {"size", required_argument, NULL, OPT_SIZE},
        {"bos", no_argument, NULL, OPT_BOS},
        {"no-bos", no_argument, NULL, OPT_NO_BOS},
        {"cmap", required_argument, NULL, OPT_CMAP},
        {"scale", required_argument, NULL, OPT_SCALE},
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof *o);
    o->focus = -1;
    o->width = 1280;
    o->height = 800;
    o->bos = -1;
    o->text = "The bank raised its interest rates, so we sat by the river bank instead.";
    optind = 1;
    opterr = 0;
    for (;;) {
        int index = optind;
        int c = getopt_long(argc, argv, "h", long_options, NULL);
        if (c == -1)
            break;
        switch (c) {
        case OPT_MODEL:
            o->model = optarg;
            break;
        case OPT_TEXT:
            o->text = optarg;
            break;
        case OPT_PAIR:
            o->pair = optarg;
            break;
        case OPT_LAYER:
            if (hs_cli_parse_int(optarg, "--layer", &o->layer) != 0)
                return -1;
            break;
        case OPT_HEAD:
            o->head_given = 1;
            if (strcmp(optarg, "mean") == 0)
                o->head = -1;
            else if (hs_cli_parse_int(optarg, "--head", &o->head) != 0)
                return -1;
            break;
        case OPT_VIEW:
            if (strcmp(optarg, "heatmap") == 0)
                o->view = HS_VIEW_HEATMAP;
            else if (strcmp(optarg, "arcs") == 0)
                o->view = HS_VIEW_ARCS;
            else if (strcmp(optarg, "roles") == 0)
                o->view = HS_VIEW_ROLES;
            else if (strcmp(optarg, "compare") == 0)
                o->view = HS_VIEW_COMPARE;
            else {
                hs_cli_fail("--view: '%s' is not heatmap, arcs, roles or compare", optarg);
                return -1;
            }
            break;
        case OPT_FOCUS:
            if (hs_cli_parse_int(optarg, "--focus", &o->focus) != 0)
                return -1;
            break;
        case OPT_SCREENSHOT:
            o->screenshot = optarg;
            break;
        case OPT_DESCRIBE:
            o->describe = optarg;
            break;
        case OPT_AGGREGATE:
            if (strcmp(optarg, "layer-max") == 0) {
                o->aggregate = HS_AGGREGATE_LAYER_MAX;
            } else if (strcmp(optarg, "all-mean") == 0) {
                o->aggregate = HS_AGGREGATE_ALL_MEAN;
            } else if (strcmp(optarg, "rollout") == 0) {
                o->aggregate = HS_AGGREGATE_ROLLOUT;
            } else if (strcmp(optarg, "layer-mean") == 0) {
                o->head = -1; /* the layer mean is the grid's mean column */
                o->head_given = 1;
            } else {
                hs_cli_fail("--aggregate: '%s' is not layer-mean, layer-max, all-mean or "
                            "rollout",
                            optarg);
                return -1;
            }
            break;
        case OPT_HIDE_SPECIAL:
            o->hide_special = 1;
            break;
        case OPT_HIDE_FIRST:
            o->hide_first = 1;
            break;
        case OPT_WORDS:
            o->words = 1;
            break;
        case OPT_EXPORT_DIR:
            o->export_dir = optarg;
            break;
        case OPT_LESSON:
            if (hs_cli_parse_int(optarg, "--lesson", &o->lesson) != 0)
                return -1;
            if (o->lesson < 1) {
                hs_cli_fail("--lesson: lessons count from 1");
                return -1;
            }
            break;
        case OPT_WORD:
            o->word = optarg;
            break;
        case OPT_TIMING:
            o->timing = 1;
            break;
        case OPT_SIZE:
            if (sscanf(optarg, "%dx%d", &o->width, &o->height) != 2 ||
                o->width < MIN_WINDOW_WIDTH || o->height < MIN_WINDOW_HEIGHT ||
                o->width > 16384 || o->height > 16384) {
                hs_cli_fail("--size: '%s' is not WIDTHxHEIGHT between %dx%d and 16384x16384",
                            optarg, MIN_WINDOW_WIDTH, MIN_WINDOW_HEIGHT);
                return -1;
            }
            break;
        case OPT_BOS:
            o->bos = 1;
            break;
        case OPT_NO_BOS:
            o->bos = 0;
            break;
        case OPT_CMAP:
            if (hs_colormap_from_name(optarg, &o->colormap) != 0) {
                hs_cli_fail("--cmap: %s", hs_error_message());
                return -1;
            }
            break;
        case OPT_SCALE:
            if (strcmp(optarg, "max") != 0 && strcmp(optarg, "1") != 0) {
                hs_cli_fail("--scale: '%s' is not 1 or max", optarg);
                return -1;
            }
            o->scale_to_max = optarg[0] == 'm';
            break;
        case 'h':
        case OPT_HELP:
            o->help = 1;
            break;
        default:
            hs_cli_fail("unknown option or missing value: '%s'; see 'headscope --help'",
                        index < argc ? argv[index] : "?");
            return -1;
        }
    }
    if (optind < argc) {
        hs_cli_fail("unexpected argument '%s'; see 'headscope --help'", argv[optind]);
        return -1;
    }
    return 0;
}

/* ---- results ----------------------------------------------------------- */

static void free_textures(hs_app *app)
{
    for (int i = 0; i < app->n_textures; i++)
        hs_render_matrix_free(&app->textures[i]);
    free(app->textures);
    app->textures = NULL;
    app->n_textures = 0;
    free(app->layer_means);
    app->layer_means = NULL;
}

/* Uploads every head and every layer mean of a new result as textures. */
static void upload_result(hs_app *app)
{
    free_textures(app);
    const hs_result *r = app->run ? app->run->result : NULL;
    if (!r)
        return;
    int L = r->n_layers, h = r->n_heads, n = r->n;
    size_t nn = (size_t)n * n;
    app->textures = calloc((size_t)L * (h + 1), sizeof(hs_matrix_texture));
    app->layer_means = calloc((size_t)L * nn, sizeof(float));
    if (!app->textures || !app->layer_means) {
        free_textures(app);
        snprintf(app->message, sizeof app->message, "out of memory for %d tokens", n);
        app->message_is_error = 1;
        return;
    }
    app->n_textures = L * (h + 1);
    for (int l = 0; l < L; l++) {
        float *mean = app->layer_means + (size_t)l * nn;
        for (int k = 0; k < h; k++) {
            const float *head = hs_result_head(r, l, k);
            hs_render_matrix_upload(&app->textures[l * h + k], head, n, n);
            for (size_t i = 0; i < nn; i++)
                mean[i] += head[i] / (float)h;
        }
        hs_render_matrix_upload(&app->textures[L * h + l], mean, n, n);
    }
}

static void clamp_selection(hs_app *app)
{
    if (!app->model)
        return;
    const hs_config *c = &app->model->config;
    if (app->layer < 0)
        app->layer = 0;
    if (app->layer >= c->n_layers)
        app->layer = c->n_layers - 1;
    if (app->head < -1)
        app->head = -1;
    if (app->head >= c->n_heads)
        app->head = c->n_heads - 1;
    if (app->run && app->run->result && app->focus_token >= app->run->result->n)
        app->focus_token = -1;
}

/* --focus is checked against the first result's token count. */
static void check_initial_focus(hs_app *app)
{
    if (app->focus_checked || !app->run->result)
        return;
    app->focus_checked = 1;
    if (app->options.focus < app->run->result->n)
        return;
    snprintf(app->message, sizeof app->message, "--focus %d is out of range: the input has %d tokens",
             app->options.focus, app->run->result->n);
    app->message_is_error = 1;
    fprintf(stderr, "headscope: %s\n", app->message);
    if (app->options.screenshot) {
        app->exit_status = 1;
        app->quit = 1;
    }
}

static void apply_run(hs_app *app, hs_run *run)
{
    if (run->generation != app->generation) {
        hs_run_free(run); /* a newer request is on its way */
        return;
    }
    if (run->error) {
        /* The last good result stays on screen. */
        snprintf(app->message, sizeof app->message, "%s", run->error);
        app->message_is_error = 1;
        fprintf(stderr, "headscope: %s\n", run->error);
        hs_run_free(run);
        if (app->options.screenshot) {
            /* No picture will come for this input. */
            app->exit_status = 1;
            app->quit = 1;
        }
        app->dirty = 1;
        return;
    }
    if (run->slot == 1) {
        hs_run_free(app->run_b);
        app->run_b = run;
    } else {
        hs_run_free(app->run);
        app->run = run;
        app->run_generation++;
        if (app->edit_pending && run->generation == app->generation && !app->run_deadline)
            app->edit_shown = 1; /* the next frame shows the last edit's result */
        app->message[0] = '\0';
        app->message_is_error = 0;
        upload_result(app);
        hs_app_compute_roles(app);
        check_initial_focus(app);
        clamp_selection(app);
    }
    int compare = app->view == HS_VIEW_COMPARE;
    if (compare)
        hs_app_update_comparison(app);
    /* In compare mode a screenshot waits for both sentences' runs, which
     * may have no tokens (an empty sentence B of a decoder). */
    int both = app->run && app->run_b && app->run->generation == app->generation &&
               app->run_b->generation == app->generation;
    if (app->options.screenshot && (!compare || both))
        app->screenshot_armed = 1;
    app->dirty = 1;
}

static void schedule_run(hs_app *app, Uint32 delay_ms)
{
    app->edit_time = SDL_GetPerformanceCounter();
    app->edit_pending = 1;
    /* The note on cut text stays while the field is still full. */
    if (app->text.length + 4 < app->text.max_length)
        app->text_cut_bytes = 0;
    app->run_deadline = SDL_GetTicks() + delay_ms;
    if (app->run_deadline == 0)
        app->run_deadline = 1;
}

static void submit_run(hs_app *app)
{
    app->run_deadline = 0;
    if (!app->model)
        return;
    app->generation++;
    if (app->view == HS_VIEW_COMPARE) {
        /* Sentence A and sentence B run separately. */
        hs_worker_run(app->worker, 0, app->generation, app->text.text, NULL, app->bos);
        hs_worker_run(app->worker, 1, app->generation, app->pair.text, NULL, app->bos);
        return;
    }
    int pair = app->model->config.arch == HS_ARCH_BERT && app->pair.length > 0;
    hs_worker_run(app->worker, 0, app->generation, app->text.text, pair ? app->pair.text : NULL,
                  app->bos);
}

/* Switches the main view; entering or leaving compare mode changes what the
 * second field means, so the model runs again. */
static void set_view(hs_app *app, hs_view_mode view)
{
    int was_compare = app->view == HS_VIEW_COMPARE;
    app->view = view;
    if (was_compare != (view == HS_VIEW_COMPARE))
        submit_run(app);
    app->dirty = 1;
}

static void apply_model(hs_app *app, hs_model_info *info)
{
    app->loading = 0;
    if (info->error) {
        snprintf(app->message, sizeof app->message, "%s", info->error);
        app->message_is_error = 1;
        fprintf(stderr, "headscope: %s\n", info->error);
        hs_model_info_free(info);
        if (app->options.screenshot && !app->model) {
            app->exit_status = 1;
            app->quit = 1;
        }
        app->dirty = 1;
        return;
    }
    hs_model_info_free(app->model);
    app->model = info;
    if (!info->has_tokenizer) {
        snprintf(app->message, sizeof app->message, "%s", info->tokenizer_error);
        app->message_is_error = 1;
    }
    clamp_selection(app);
    submit_run(app);
    app->dirty = 1;
}

static void load_model(hs_app *app, const char *request)
{
    app->loading = 1;
    app->load_progress = 0;
    free(app->load_request);
    app->load_request = strdup(request);
    hs_worker_load(app->worker, request);
    app->dirty = 1;
}

/* ---- screenshot -------------------------------------------------------- */

static int save_screenshot(hs_app *app, const char *path)
{
    unsigned char *pixels = hs_render_read_pixels(app->render, app->width, app->height);
    hs_atomic_file out;
    if (!pixels) {
        hs_error_set("out of memory reading the frame");
        return -1;
    }
    /* RGBA rows to packed RGB, in place. */
    size_t count = (size_t)app->width * app->height;
    for (size_t i = 0; i < count; i++)
        memmove(pixels + 3 * i, pixels + 4 * i, 3);
    if (hs_atomic_open(&out, path) != 0) {
        free(pixels);
        return -1;
    }
    int status = hs_png_write(out.file, path, app->width, app->height, pixels);
    free(pixels);
    if (status != 0) {
        hs_atomic_abort(&out);
        return -1;
    }
    return hs_atomic_commit(&out);
}

/* ---- input ------------------------------------------------------------- */

static hs_textfield *focused_field(hs_app *app)
{
    if (app->input_focus == HS_FOCUS_TEXT)
        return &app->text;
    if (app->input_focus == HS_FOCUS_PAIR)
        return &app->pair;
    return NULL;
}

static void set_input_focus(hs_app *app, hs_input_focus focus, const SDL_Rect *rect)
{
    app->input_focus = focus;
    if (focus == HS_FOCUS_NONE) {
        SDL_StopTextInput();
    } else {
        SDL_StartTextInput();
        if (rect) {
            SDL_Rect window_rect = {(int)(rect->x / app->ui_scale), (int)(rect->y / app->ui_scale),
                                    (int)(rect->w / app->ui_scale), (int)(rect->h / app->ui_scale)};
            SDL_SetTextInputRect(&window_rect);
        }
    }
    app->dirty = 1;
}

static void select_head(hs_app *app, int layer, int head)
{
    app->aggregate = HS_AGGREGATE_NONE;
    app->layer = layer;
    app->head = head;
    clamp_selection(app);
    app->dirty = 1;
}

static void move_selection(hs_app *app, int dlayer, int dhead)
{
    if (!app->model)
        return;
    const hs_config *c = &app->model->config;
    int layer = app->layer + dlayer;
    int head = app->head + dhead;
    /* Heads run 0..h-1 and then the mean (-1) as the last column. */
    if (app->head == -1 && dhead > 0)
        head = 0;
    else if (app->head == 0 && dhead < 0)
        head = -1;
    else if (app->head == c->n_heads - 1 && dhead > 0)
        head = -1;
    else if (app->head == -1 && dhead < 0)
        head = c->n_heads - 1;
    if (layer < 0)
        layer = c->n_layers - 1;
    if (layer >= c->n_layers)
        layer = 0;
    select_head(app, layer, head);
}

/* Handles keys that edit the focused text field; returns 1 when used. */
static int edit_key(hs_app *app, hs_textfield *f, const SDL_Keysym *key)
{
    int shift = (key->mod & KMOD_SHIFT) != 0;
    int ctrl = (key->mod & KMOD_CTRL) != 0;
    int changed = 0;
    switch (key->sym) {
    case SDLK_LEFT:
        ctrl ? hs_textfield_word_left(f, shift) : hs_textfield_left(f, shift);
        break;
    case SDLK_RIGHT:
        ctrl ? hs_textfield_word_right(f, shift) : hs_textfield_right(f, shift);
        break;
    case SDLK_HOME:
        hs_textfield_home(f, shift);
        break;
    case SDLK_END:
        hs_textfield_end(f, shift);
        break;
    case SDLK_BACKSPACE:
        changed = hs_textfield_backspace(f);
        break;
    case SDLK_DELETE:
        changed = hs_textfield_delete(f);
        break;
    case SDLK_RETURN:
    case SDLK_KP_ENTER:
        submit_run(app);
        break;
    case SDLK_a:
        if (!ctrl)
            return 0;
        hs_textfield_select_all(f);
        break;
    case SDLK_c:
    case SDLK_x: {
        if (!ctrl)
            return 0;
        char *selection = hs_textfield_selection(f);
        if (selection) {
            SDL_SetClipboardText(selection);
            free(selection);
            if (key->sym == SDLK_x)
                changed = hs_textfield_backspace(f);
        }
        break;
    }
    case SDLK_v: {
        if (!ctrl)
            return 0;
        char *clip = SDL_GetClipboardText();
        if (clip) {
            size_t pasted = strlen(clip);
            size_t inserted = hs_textfield_insert(f, clip);
            changed = inserted > 0;
            if (inserted < pasted && f == &app->text && f->length + 4 >= f->max_length)
                app->text_cut_bytes = pasted - inserted; /* shown in the status line */
            SDL_free(clip);
        }
        break;
    }
    default:
        return 0;
    }
    if (changed)
        schedule_run(app, DEBOUNCE_MS);
    app->dirty = 1;
    return 1;
}

/* Runs with the BOS token when the current run has none, and without it
 * when it has one. */
static void toggle_bos(hs_app *app)
{
    if (!app->model || app->model->config.arch == HS_ARCH_BERT) {
        snprintf(app->message, sizeof app->message, "BOS applies to decoders only");
        app->message_is_error = 0;
        app->dirty = 1;
        return;
    }
    int current = app->bos >= 0 ? app->bos : app->model->bos_default;
    app->bos = !current;
    snprintf(app->message, sizeof app->message, "running %s the BOS token%s",
             app->bos ? "with" : "without",
             app->bos == app->model->bos_default ? " (the tokenizer's default)" : "");
    app->message_is_error = 0;
    submit_run(app);
    app->dirty = 1;
}

static void handle_key(hs_app *app, const SDL_Keysym *key)
{
    hs_textfield *field = focused_field(app);
    int alt = (key->mod & KMOD_ALT) != 0;
    int ctrl = (key->mod & KMOD_CTRL) != 0;

    if (key->sym == SDLK_q && ctrl) {
        app->quit = 1;
        return;
    }
    if (key->sym == SDLK_F1) {
        app->help_visible = !app->help_visible;
        app->dirty = 1;
        return;
    }
    if (key->sym == SDLK_PAGEDOWN || key->sym == SDLK_PAGEUP) {
        int step = key->sym == SDLK_PAGEDOWN ? 1 : -1;
        hs_app_open_lesson(app, app->lesson_active ? app->lesson + step : 0);
        submit_run(app);
        app->dirty = 1;
        return;
    }
    if (key->sym == SDLK_TAB) {
        set_view(app, (hs_view_mode)((app->view + 1) % HS_VIEW_COUNT));
        app->dirty = 1;
        return;
    }
    if (key->sym == SDLK_ESCAPE) {
        if (app->help_visible)
            app->help_visible = 0;
        else if (field)
            set_input_focus(app, HS_FOCUS_NONE, NULL);
        else
            app->focus_token = -1;
        app->dirty = 1;
        return;
    }
    if (field && !alt && edit_key(app, field, key))
        return;
    if (field && !alt)
        return; /* printable keys arrive as SDL_TEXTINPUT */

    switch (key->sym) {
    case SDLK_LEFT:
        move_selection(app, 0, -1);
        break;
    case SDLK_RIGHT:
        move_selection(app, 0, 1);
        break;
    case SDLK_UP:
        move_selection(app, -1, 0);
        break;
    case SDLK_DOWN:
        move_selection(app, 1, 0);
        break;
    case SDLK_c:
        app->colormap = (hs_colormap)((app->colormap + 1) % HS_COLORMAP_COUNT);
        app->dirty = 1;
        break;
    case SDLK_0:
    case SDLK_HOME:
        app->zoom = 1.0f;
        app->pan_x = app->pan_y = 0.0f;
        app->dirty = 1;
        break;
    case SDLK_m:
        app->aggregate = HS_AGGREGATE_NONE;
        select_head(app, app->layer, -1);
        break;
    case SDLK_a:
        app->aggregate = (hs_aggregate)((app->aggregate + 1) % HS_AGGREGATE_COUNT);
        app->dirty = 1;
        break;
    case SDLK_s:
        app->hide_special = !app->hide_special;
        app->dirty = 1;
        break;
    case SDLK_f:
        app->hide_first = !app->hide_first;
        app->dirty = 1;
        break;
    case SDLK_r:
        app->scale_to_max = !app->scale_to_max;
        app->dirty = 1;
        break;
    case SDLK_b:
        toggle_bos(app);
        break;
    case SDLK_e:
        hs_app_export(app, (key->mod & KMOD_SHIFT) != 0);
        app->dirty = 1;
        break;
    case SDLK_w:
        app->words = !app->words;
        app->focus_token = -1;
        app->dirty = 1;
        break;
    case SDLK_SLASH:
        if (key->mod & KMOD_SHIFT) {
            app->help_visible = !app->help_visible;
            app->dirty = 1;
        }
        break;
    case SDLK_RETURN:
        set_input_focus(app, HS_FOCUS_TEXT, NULL);
        break;
    default:
        break;
    }
}

static int point_in(const SDL_Rect *r, int x, int y)
{
    return x >= r->x && x < r->x + r->w && y >= r->y && y < r->y + r->h;
}

/* Puts the text cursor at the character nearest to x in a field. */
static void click_field(hs_app *app, hs_textfield *f, const hs_field_view *view,
                        const SDL_Rect *rect, int x, int shift)
{
    float pad = 8.0f * app->ui_scale;
    float offset = (float)x - ((float)rect->x + pad) + view->scroll;
    hs_textfield_set_cursor(f, hs_app_text_offset_at(app, f->text, f->length, offset), shift);
}

static void handle_click(hs_app *app, int x, int y, int shift)
{
    hs_layout layout;
    hs_app_layout(app, &layout);
    int layer, head;

    if (point_in(&layout.text, x, y)) {
        set_input_focus(app, HS_FOCUS_TEXT, &layout.text);
        click_field(app, &app->text, &app->text_view, &layout.text, x, shift);
        return;
    }
    if (layout.pair.w && point_in(&layout.pair, x, y)) {
        set_input_focus(app, HS_FOCUS_PAIR, &layout.pair);
        click_field(app, &app->pair, &app->pair_view, &layout.pair, x, shift);
        return;
    }
    set_input_focus(app, HS_FOCUS_NONE, NULL);
    for (int i = 0; i < HS_VIEW_COUNT; i++) {
        if (point_in(&layout.view_buttons[i], x, y)) {
            set_view(app, (hs_view_mode)i);
            return;
        }
    }
    if (app->view == HS_VIEW_ROLES && point_in(&layout.main, x, y)) {
        hs_app_roles_click(app, &layout.main, x, y);
        return;
    }
    if (app->view == HS_VIEW_COMPARE && point_in(&layout.main, x, y)) {
        hs_app_compare_click(app, &layout.main, x, y);
        return;
    }
    if (hs_app_grid_hit(app, &layout, x, y, &layer, &head) >= 0) {
        select_head(app, layer, head);
        return;
    }
    int token = hs_app_strip_hit(app, &layout, x, y);
    if (token >= 0 && app->view == HS_VIEW_COMPARE) {
        hs_app_compare_pick_token(app, token);
        return;
    }
    if (token >= 0) {
        if (app->shown.valid && app->shown.unit_of_token)
            token = app->shown.unit_of_token[token];
        app->focus_token = app->focus_token == token ? -1 : token;
        return;
    }
    if (point_in(&layout.main, x, y) && app->view == HS_VIEW_HEATMAP) {
        hs_heatmap_geometry g;
        if (hs_app_heatmap_geometry(app, &layout, &g) == 0) {
            int n = app->shown.n;
            int row = (int)floorf(((float)y - g.y) / g.cell);
            int on_cells = point_in(&g.area, x, y);
            int on_labels = x < g.area.x && y >= g.area.y && y < g.area.y + g.area.h;
            if (on_labels && row >= 0 && row < n) {
                app->focus_token = app->focus_token == row ? -1 : row;
                return;
            }
            /* On the cells a press starts a pan; released without moving, it
             * was a click that focuses the row. */
            if (on_cells) {
                app->dragging = 1;
                app->drag_moved = 0;
                app->drag_row = row >= 0 && row < n ? row : -1;
                app->drag_x = x;
                app->drag_y = y;
            }
        }
    }
}

static void handle_motion(hs_app *app, int x, int y)
{
    hs_layout layout;
    hs_app_layout(app, &layout);
    app->mouse_x = x;
    app->mouse_y = y;
    if (app->dragging && !app->drag_moved &&
        abs(x - app->drag_x) + abs(y - app->drag_y) > DRAG_THRESHOLD_PX * app->ui_scale)
        app->drag_moved = 1;
    if (app->dragging && app->drag_moved) {
        hs_heatmap_geometry g;
        if (hs_app_heatmap_geometry(app, &layout, &g) == 0) {
            app->pan_x -= (float)(x - app->drag_x) / g.cell;
            app->pan_y -= (float)(y - app->drag_y) / g.cell;
        }
        app->drag_x = x;
        app->drag_y = y;
        app->dirty = 1;
    }
    int layer = -1, head = 0;
    if (hs_app_grid_hit(app, &layout, x, y, &layer, &head) < 0)
        layer = -1;
    app->preview_layer = layer;
    app->preview_head = head;
    if (app->view == HS_VIEW_ARCS) {
        int token = hs_app_arc_hit(app, &layout, x, y);
        if (token >= 0)
            app->focus_token = token;
    }

    /* Redraw only when what the pointer is over changed: the previewed
     * thumbnail, the focused token, or the heatmap cell under a tooltip. */
    long long cell = -1;
    hs_heatmap_geometry g;
    if (app->view == HS_VIEW_HEATMAP && point_in(&layout.main, x, y) &&
        hs_app_heatmap_geometry(app, &layout, &g) == 0 && point_in(&g.area, x, y))
        cell = (long long)floorf(((float)y - g.y) / g.cell) * 1000003LL +
               (long long)floorf(((float)x - g.x) / g.cell);
    long long key =
        ((cell * 4099 + app->preview_layer) * 4099 + app->preview_head) * 4099 + app->focus_token;
    if (key != app->hover_key || app->dragging)
        app->dirty = 1;
    app->hover_key = key;
}

static void handle_wheel(hs_app *app, float amount)
{
    hs_layout layout;
    hs_app_layout(app, &layout);
    int x = app->mouse_x, y = app->mouse_y;
    if (point_in(&layout.grid, x, y)) {
        app->grid_scroll -= amount * (float)layout.thumb;
    } else if (point_in(&layout.main, x, y) && app->view == HS_VIEW_ROLES) {
        app->roles_scroll -= (int)(amount * 3.0f);
    } else if (point_in(&layout.strip, x, y)) {
        app->strip_scroll -= amount * 40.0f * app->ui_scale;
    } else if (point_in(&layout.main, x, y) && app->view == HS_VIEW_HEATMAP) {
        hs_heatmap_geometry g;
        if (hs_app_heatmap_geometry(app, &layout, &g) != 0)
            return;
        /* Zoom around the cell under the cursor. */
        float cell_x = ((float)x - g.x) / g.cell, cell_y = ((float)y - g.y) / g.cell;
        float zoom = app->zoom * powf(1.2f, amount);
        if (zoom < 1.0f)
            zoom = 1.0f;
        if (zoom > 64.0f)
            zoom = 64.0f;
        float new_cell = g.cell / app->zoom * zoom;
        app->pan_x += cell_x - ((float)x - g.x) / new_cell;
        app->pan_y += cell_y - ((float)y - g.y) / new_cell;
        app->zoom = zoom;
    }
    app->dirty = 1;
}

/* A dropped path: a model folder, or a file inside one. */
static void handle_drop(hs_app *app, char *path)
{
    char *folder = strdup(path);
    if (folder && !hs_dir_exists(folder)) {
        char *slash = strrchr(folder, '/');
        if (slash && slash != folder)
            *slash = '\0';
    }
    if (folder)
        load_model(app, folder);
    free(folder);
}

static void handle_event(hs_app *app, const SDL_Event *e)
{
    switch (e->type) {
    case SDL_QUIT:
        app->quit = 1;
        break;
    case SDL_WINDOWEVENT:
        app->dirty = 1;
        break;
    case SDL_KEYDOWN:
        handle_key(app, &e->key.keysym);
        break;
    case SDL_TEXTINPUT: {
        hs_textfield *field = focused_field(app);
        if (field && !(SDL_GetModState() & (KMOD_CTRL | KMOD_ALT))) {
            field->composition[0] = '\0';
            if (hs_textfield_insert(field, e->text.text) > 0)
                schedule_run(app, DEBOUNCE_MS);
        } else if (!field && strcmp(e->text.text, "?") == 0) {
            app->help_visible = !app->help_visible;
        }
        app->dirty = 1;
        break;
    }
    case SDL_TEXTEDITING: {
        hs_textfield *field = focused_field(app);
        if (field)
            snprintf(field->composition, sizeof field->composition, "%s", e->edit.text);
        app->dirty = 1;
        break;
    }
    case SDL_MOUSEBUTTONDOWN:
        if (e->button.button == SDL_BUTTON_LEFT)
            handle_click(app, (int)(e->button.x * app->ui_scale),
                         (int)(e->button.y * app->ui_scale), (SDL_GetModState() & KMOD_SHIFT) != 0);
        app->dirty = 1;
        break;
    case SDL_MOUSEBUTTONUP:
        if (app->dragging && !app->drag_moved && app->drag_row >= 0) {
            app->focus_token = app->focus_token == app->drag_row ? -1 : app->drag_row;
            app->dirty = 1;
        }
        app->dragging = 0;
        break;
    case SDL_MOUSEMOTION:
        if (app->options.screenshot)
            break; /* the screenshot shows the state the options set, not a hover */
        handle_motion(app, (int)(e->motion.x * app->ui_scale), (int)(e->motion.y * app->ui_scale));
        break;
    case SDL_MOUSEWHEEL:
        handle_wheel(app, e->wheel.preciseY != 0.0f ? e->wheel.preciseY : (float)e->wheel.y);
        break;
    case SDL_DROPFILE:
        handle_drop(app, e->drop.file);
        SDL_free(e->drop.file);
        break;
    default:
        if (e->type == app->worker_event) {
            if (e->user.code == HS_WORKER_PROGRESS) {
                app->load_progress = (float)(intptr_t)e->user.data2 / 1000.0f;
            } else if (e->user.code == HS_WORKER_MODEL) {
                apply_model(app, e->user.data1);
            } else if (e->user.code == HS_WORKER_RUN) {
                apply_run(app, e->user.data1);
            } else if (e->user.code == HS_APP_EXPORT_DONE) {
                hs_app_export_done(app, e->user.data1, (int)(intptr_t)e->user.data2);
            }
            app->dirty = 1;
        }
        break;
    }
}

/* --timing: the draw time of every frame and, once a typed edit's result is
 * on screen, the time from that last keystroke to the picture. */
static void report_timing(hs_app *app)
{
    double frequency = (double)SDL_GetPerformanceFrequency();
    double draw_ms = (double)(app->frame_end - app->frame_start) / frequency * 1e3;
    fprintf(stderr, "headscope: timing: frame %.2f ms\n", draw_ms);
    if (app->edit_shown) {
        double latency = (double)(SDL_GetPerformanceCounter() - app->edit_time) / frequency * 1e3;
        fprintf(stderr,
                "headscope: timing: keystroke to picture %.1f ms (typing pause %d ms, "
                "forward pass %.1f ms, %d tokens)\n",
                latency, DEBOUNCE_MS, app->run->result ? app->run->result->seconds * 1e3 : 0.0,
                app->run->result ? app->run->result->n : 0);
        app->edit_shown = 0;
        app->edit_pending = 0;
    }
}

/* ---- setup and loop ---------------------------------------------------- */

static int create_window(hs_app *app)
{
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_MAJOR_VERSION, 3);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_MINOR_VERSION, 3);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_PROFILE_MASK, SDL_GL_CONTEXT_PROFILE_CORE);
    SDL_GL_SetAttribute(SDL_GL_DOUBLEBUFFER, 1);
    app->window = SDL_CreateWindow(
        "headscope", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, app->options.width,
        app->options.height, SDL_WINDOW_OPENGL | SDL_WINDOW_RESIZABLE | SDL_WINDOW_ALLOW_HIGHDPI);
    if (!app->window) {
        hs_error_set("cannot open a window: %s", SDL_GetError());
        return -1;
    }
    /* Below this the panels no longer fit beside each other. */
    SDL_SetWindowMinimumSize(app->window, MIN_WINDOW_WIDTH, MIN_WINDOW_HEIGHT);
    app->gl = SDL_GL_CreateContext(app->window);
    if (!app->gl) {
        hs_error_set("cannot create an OpenGL 3.3 core context: %s", SDL_GetError());
        return -1;
    }
#ifdef HS_PIN_GL_DRIVER
    hs_app_pin_gl_driver();
#endif
    SDL_GL_SetSwapInterval(1);
    int window_w, drawable_w, drawable_h;
    SDL_GetWindowSize(app->window, &window_w, NULL);
    SDL_GL_GetDrawableSize(app->window, &drawable_w, &drawable_h);
    app->ui_scale = window_w > 0 ? (float)drawable_w / (float)window_w : 1.0f;
    if (app->ui_scale < 1.0f)
        app->ui_scale = 1.0f;
    app->render = hs_render_create(app->ui_scale);
    return app->render ? 0 : -1;
}

/* Reads --text and --pair: '-' is standard input, and invalid UTF-8 is an
 * error as in the subcommands. Returns 0, or -1 after printing the error. */
static int read_start_texts(hs_app *app)
{
    hs_app_options *o = &app->options;
    hs_cli_text text = {0}, pair = {0};
    if (hs_cli_read_text(o->text, "--text", &text) != 0)
        return -1;
    if (o->pair && hs_cli_read_text(o->pair, "--pair", &pair) != 0) {
        free(text.data);
        return -1;
    }
    if (strlen(text.data) != text.length || (o->pair && strlen(pair.data) != pair.length)) {
        hs_cli_fail("--text: the app's text field cannot hold NUL bytes");
        free(text.data);
        free(pair.data);
        return -1;
    }
    hs_textfield_set(&app->text, text.data);
    if (text.length > app->text.length) {
        app->text_cut_bytes = text.length - app->text.length;
        fprintf(stderr,
                "headscope: --text: the text field keeps the first %zu bytes; the other %zu "
                "are left out\n",
                app->text.length, app->text_cut_bytes);
    }
    if (o->pair)
        hs_textfield_set(&app->pair, pair.data);
    free(text.data);
    free(pair.data);
    return 0;
}

/* Sets the starting state from the options. Returns 0, or -1 after printing
 * an error about --text or --pair. */
static int init_state(hs_app *app)
{
    hs_app_options *o = &app->options;
    hs_textfield_init(&app->text, MAX_TEXT_BYTES);
    hs_textfield_init(&app->pair, MAX_TEXT_BYTES);
    if (read_start_texts(app) != 0)
        return -1;
    app->layer = o->layer;
    app->head = o->head;
    app->view = o->view;
    app->focus_token = o->focus;
    app->colormap = o->colormap;
    app->aggregate = o->aggregate;
    app->hide_special = o->hide_special;
    app->hide_first = o->hide_first;
    app->words = o->words;
    app->scale_to_max = o->scale_to_max;
    if (o->word)
        snprintf(app->compare_word, sizeof app->compare_word, "%s", o->word);
    const char *lessons = getenv("HEADSCOPE_LESSONS");
    app->lessons = hs_lessons_load(lessons && *lessons ? lessons : HS_LESSONS_FILE);
    if (!app->lessons)
        fprintf(stderr, "headscope: lessons not loaded: %s\n", hs_error_message());
    if (o->lesson) {
        if (!app->lessons || o->lesson > app->lessons->count) {
            hs_cli_fail("--lesson %d is out of range: there are %d lessons", o->lesson,
                        app->lessons ? app->lessons->count : 0);
            return -1;
        }
        hs_app_open_lesson(app, o->lesson - 1);
    }
    app->bos = o->bos;
    app->zoom = 1.0f;
    app->thresholds = hs_role_thresholds_default();
    app->preview_layer = -1;
    app->dirty = 1;
    return 0;
}

/* Frees what worker and export events still in the queue carry. */
static void drop_pending_events(hs_app *app)
{
    SDL_Event event;
    SDL_PumpEvents();
    while (SDL_PeepEvents(&event, 1, SDL_GETEVENT, app->worker_event, app->worker_event) == 1) {
        if (event.user.code == HS_WORKER_MODEL)
            hs_model_info_free(event.user.data1);
        else if (event.user.code == HS_WORKER_RUN)
            hs_run_free(event.user.data1);
        else if (event.user.code == HS_APP_EXPORT_DONE)
            free(event.user.data1);
    }
}

static void shutdown_app(hs_app *app)
{
    /* Let a running export finish, so it leaves complete files behind. */
    SDL_Event event;
    while (app->exporting && SDL_WaitEvent(&event))
        if (event.type == app->worker_event && event.user.code == HS_APP_EXPORT_DONE)
            hs_app_export_done(app, event.user.data1, (int)(intptr_t)event.user.data2);
    if (hs_worker_stop(app->worker, 2000) != 0) {
        /* A model load or forward pass is still running: exit without it. */
        fprintf(stderr, "headscope: the worker was still busy; exiting without waiting\n");
        app->worker = NULL;
        return;
    }
    app->worker = NULL;
    if (app->worker_event)
        drop_pending_events(app);
    free_textures(app);
    hs_app_free_shown(app);
    free(app->roles);
    hs_run_free(app->run_b);
    hs_comparison_free(app->comparison);
    hs_lessons_free(app->lessons);
    hs_run_free(app->run);
    hs_model_info_free(app->model);
    free(app->load_request);
    hs_render_destroy(app->render);
    if (app->gl)
        SDL_GL_DeleteContext(app->gl);
    if (app->window)
        SDL_DestroyWindow(app->window);
    hs_textfield_free(&app->text);
    hs_textfield_free(&app->pair);
    SDL_Quit();
}

static void check_initial_selection(hs_app *app)
{
    /* Out-of-range --layer/--head/--focus are reported once the model is known. */
    const hs_config *c = &app->model->config;
    if (app->options.layer >= c->n_layers || app->options.head >= c->n_heads) {
        snprintf(app->message, sizeof app->message,
                 "--layer %d --head %d is out of range: the model has %d layers and %d heads",
                 app->options.layer, app->options.head, c->n_layers, c->n_heads);
        app->message_is_error = 1;
        fprintf(stderr, "headscope: %s\n", app->message);
        if (app->options.screenshot) {
            app->exit_status = 1;
            app->quit = 1;
        }
    }
}

int hs_app_main(int argc, char **argv)
{
    hs_app app_storage;
    hs_app *app = &app_storage;
    memset(app, 0, sizeof *app);
    if (parse_app_options(argc, argv, &app->options) != 0)
        return 1;
    if (app->options.help) {
        fputs(app_usage, stdout);
        return 0;
    }
    if (init_state(app) != 0) {
        hs_textfield_free(&app->text);
        hs_textfield_free(&app->pair);
        return 1;
    }

    SDL_SetHint(SDL_HINT_IME_SHOW_UI, "1");
    if (SDL_Init(SDL_INIT_VIDEO | SDL_INIT_EVENTS) != 0) {
        hs_cli_fail("cannot start SDL video (is a display available?): %s", SDL_GetError());
        hs_textfield_free(&app->text);
        hs_textfield_free(&app->pair);
        return 1;
    }
    /* With no display SDL falls back to a driver that shows nothing. That
     * still serves --screenshot, but an interactive window would be invisible. */
    const char *driver = SDL_GetCurrentVideoDriver();
    if (!app->options.screenshot && !getenv("SDL_VIDEODRIVER") && driver &&
        (strcmp(driver, "offscreen") == 0 || strcmp(driver, "dummy") == 0)) {
        const char *x11 = getenv("DISPLAY"), *wayland = getenv("WAYLAND_DISPLAY");
        if ((x11 && *x11) || (wayland && *wayland))
            hs_cli_fail("cannot open the display (DISPLAY='%s', WAYLAND_DISPLAY='%s'), so a "
                        "window would be invisible; check that the display server runs and "
                        "accepts this user, or use --screenshot FILE.png",
                        x11 ? x11 : "", wayland ? wayland : "");
        else
            hs_cli_fail("no display found (DISPLAY and WAYLAND_DISPLAY are not set), so a "
                        "window would be invisible; run inside a desktop session, or use "
                        "--screenshot FILE.png or 'headscope export' without a display");
        SDL_Quit();
        hs_textfield_free(&app->text);
        hs_textfield_free(&app->pair);
        return 1;
    }
    app->worker_event = SDL_RegisterEvents(1);
    if (create_window(app) != 0 || !(app->worker = hs_worker_create(app->worker_event))) {
        hs_cli_fail("%s", hs_error_message());
        shutdown_app(app);
        return 1;
    }
    SDL_EventState(SDL_DROPFILE, SDL_ENABLE);
    load_model(app, app->options.model ? app->options.model : hs_demo_model_dir());
    set_input_focus(app, app->options.screenshot ? HS_FOCUS_NONE : HS_FOCUS_TEXT, NULL);

    int model_checked = 0;
    while (!app->quit) {
        if (app->dirty) {
            int w, h;
            SDL_GL_GetDrawableSize(app->window, &w, &h);
            app->width = w;
            app->height = h;
            app->frame_start = SDL_GetPerformanceCounter();
            hs_app_draw(app);
            if (app->options.timing)
                glFinish(); /* count the GPU's work in the frame time */
            app->frame_end = SDL_GetPerformanceCounter();
            app->dirty = 0;
            if (app->options.describe && hs_app_describe(app, app->options.describe) != 0 &&
                !app->describe_failed) {
                fprintf(stderr, "headscope: --describe: %s\n", hs_error_message());
                app->describe_failed = 1; /* reported once, not every frame */
                if (app->options.screenshot)
                    app->exit_status = 1; /* a scripted run must see the failure */
            }
            if (app->screenshot_armed) {
                if (save_screenshot(app, app->options.screenshot) != 0) {
                    hs_cli_fail("%s", hs_error_message());
                    app->exit_status = 1;
                }
                app->quit = 1;
                break;
            }
            SDL_GL_SwapWindow(app->window);
            if (app->options.timing)
                report_timing(app);
        }
        if (app->model && !model_checked) {
            model_checked = 1;
            check_initial_selection(app);
            continue;
        }

        /* Sleep until an event arrives or the typing pause ends. */
        SDL_Event event;
        int got;
        if (app->run_deadline) {
            Sint32 wait = (Sint32)(app->run_deadline - SDL_GetTicks());
            got = wait > 0 ? SDL_WaitEventTimeout(&event, wait) : 0;
        } else {
            got = SDL_WaitEvent(&event);
        }
        if (got) {
            handle_event(app, &event);
            while (SDL_PollEvent(&event))
                handle_event(app, &event);
        }
        if (app->run_deadline && (Sint32)(SDL_GetTicks() - app->run_deadline) >= 0)
            submit_run(app);
    }
    int status = app->exit_status;
    shutdown_app(app);
    return status;
}
