/*
 * app_shown.c - builds the matrix the main view draws.
 *
 * The base is one head, a layer's mean or max, the mean over all heads, or
 * attention rollout. Hidden special or first columns (rows renormalised) and
 * the word-level merge apply on top.
 */
#include "app.h"

#include "hs_analysis.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void clear_shown(hs_shown *s)
{
    if (s->labels)
        for (int i = 0; i < s->n; i++)
            free(s->labels[i]);
    free(s->labels);
    free(s->special);
    free(s->values);
    free(s->unit_of_token);
    free(s->col_unit);
    s->col_unit = NULL;
    s->cols = 0;
    s->labels = NULL;
    s->special = NULL;
    s->values = NULL;
    s->unit_of_token = NULL;
    s->n = 0;
    s->valid = 0;
}

void hs_app_free_shown(hs_app *app)
{
    clear_shown(&app->shown);
    hs_render_matrix_free(&app->shown.texture);
}

/* The head the grid hover previews, else the selection. */
static void target_head(const hs_app *app, int *layer, int *head, int *preview)
{
    *preview = app->preview_layer >= 0 &&
               !(app->preview_layer == app->layer && app->preview_head == app->head);
    *layer = *preview ? app->preview_layer : app->layer;
    *head = *preview ? app->preview_head : app->head;
}

/* Fills values[n][n] with the token-level matrix and writes the title. */
static int base_matrix(hs_app *app, int layer, int head, int preview, float *values,
                       char *title, size_t size)
{
    const hs_result *r = app->run->result;
    size_t nn = (size_t)r->n * r->n;
    const char *prefix = preview ? "preview: " : "";

    switch (app->aggregate) {
    case HS_AGGREGATE_NONE:
        if (head < 0) {
            memcpy(values, app->layer_means + (size_t)layer * nn, nn * sizeof(float));
            snprintf(title, size, "%slayer %d · mean of all heads", prefix, layer);
        } else {
            memcpy(values, hs_result_head(r, layer, head), nn * sizeof(float));
            snprintf(title, size, "%slayer %d · head %d", prefix, layer, head);
        }
        return 0;
    case HS_AGGREGATE_LAYER_MAX:
        hs_attn_layer_max(r, layer, values);
        snprintf(title, size, "%slayer %d · max over heads (rows do not sum to 1)", prefix,
                 layer);
        return 0;
    case HS_AGGREGATE_ALL_MEAN:
        hs_attn_all_mean(r, values);
        snprintf(title, size, "mean over all %d heads of all %d layers",
                 r->n_layers * r->n_heads, r->n_layers);
        return 0;
    case HS_AGGREGATE_ROLLOUT:
        snprintf(title, size, "attention rollout through all %d layers", r->n_layers);
        return hs_attn_rollout(r, values);
    case HS_AGGREGATE_COUNT:
        break;
    }
    return -1;
}

/* Hides special and/or first columns in place; notes what it did. */
static void hide_columns(hs_app *app, float *values, int n, char *notice, size_t size)
{
    if (!app->hide_special && !app->hide_first)
        return;
    uint8_t *hide = calloc((size_t)n, 1);
    if (!hide)
        return;
    if (app->hide_special)
        hs_special_mask(app->run->encoding, hide);
    if (app->hide_first && n > 0)
        hide[0] = 1;
    hs_attn_hide_columns(values, n, hide);
    free(hide);
    snprintf(notice, size, "%s%s removed, rows renormalised",
             app->hide_special ? "special-token columns" : "",
             app->hide_special && app->hide_first ? " and the first column"
             : app->hide_first                    ? "first column"
                                                  : "");
}

/* Replaces the token matrix with the word matrix. */
static int merge_words(hs_app *app, hs_shown *s, float *tokens)
{
    const hs_encoding *enc = app->run->encoding;
    int n = app->run->result->n;
    /* Words are spelled from the input that ran, so an emoji split into byte
     * pieces reads as the emoji. */
    const hs_run *run = app->run;
    hs_words_source source = {run->text ? run->text : "", run->text ? strlen(run->text) : 0,
                              run->pair, run->pair ? strlen(run->pair) : 0};
    hs_words *words = hs_words_group_source(enc, hs_words_scheme_for(run->config.arch),
                                            &source);
    if (!words)
        return -1;
    int w = words->n_words;
    s->values = malloc((size_t)w * w * sizeof(float));
    s->labels = calloc((size_t)w, sizeof(char *));
    s->special = calloc((size_t)w, 1);
    s->unit_of_token = malloc((size_t)n * sizeof(int));
    if (!s->values || !s->labels || !s->special || !s->unit_of_token) {
        hs_words_free(words);
        return -1;
    }
    hs_words_attention(words, tokens, s->values);
    for (int i = 0; i < w; i++) {
        s->labels[i] = strdup(words->labels[i]);
        s->special[i] = words->special[i];
    }
    memcpy(s->unit_of_token, words->word_of_token, (size_t)n * sizeof(int));
    s->n = w;
    hs_words_free(words);
    return 0;
}

/* Removes the hidden columns (already zero) from values, so the view shows
 * only the keys left; col_unit records which row each column belongs to. */
static int remove_hidden_columns(const hs_app *app, hs_shown *s)
{
    int n = s->n, cols = 0;
    s->col_unit = malloc((size_t)(n ? n : 1) * sizeof(int));
    if (!s->col_unit)
        return -1;
    for (int j = 0; j < n; j++) {
        int hidden = (app->hide_special && s->special[j]) || (app->hide_first && j == 0);
        if (!hidden)
            s->col_unit[cols++] = j;
    }
    if (cols == 0) {
        /* Nothing would be left to show: keep every column instead. */
        for (int j = 0; j < n; j++)
            s->col_unit[j] = j;
        cols = n;
    }
    s->cols = cols;
    if (cols == n)
        return 0;
    for (int i = 0; i < n; i++)
        for (int k = 0; k < cols; k++)
            s->values[(size_t)i * cols + k] = s->values[(size_t)i * n + s->col_unit[k]];
    return 0;
}

void hs_app_update_shown(hs_app *app)
{
    hs_shown *s = &app->shown;
    if (!app->run || !app->run->result || !app->run->encoding || !app->layer_means) {
        clear_shown(s);
        return;
    }
    int layer, head, preview;
    target_head(app, &layer, &head, &preview);
    if (s->valid && s->generation == app->run_generation && s->layer == layer &&
        s->head == head && s->aggregate == (int)app->aggregate &&
        s->hide_special == app->hide_special && s->hide_first == app->hide_first &&
        s->words == app->words)
        return;

    clear_shown(s);
    int n = app->run->result->n;
    float *tokens = malloc((size_t)n * n * sizeof(float));
    if (!tokens)
        return;
    s->notice[0] = '\0';
    if (base_matrix(app, layer, head, preview, tokens, s->title, sizeof s->title) != 0) {
        free(tokens);
        return;
    }
    hide_columns(app, tokens, n, s->notice, sizeof s->notice);

    if (app->words) {
        if (merge_words(app, s, tokens) != 0) {
            free(tokens);
            clear_shown(s);
            return;
        }
        free(tokens);
        size_t used = strlen(s->notice);
        snprintf(s->notice + used, sizeof s->notice - used,
                 "%swords: to a word = sum of pieces, from = mean",
                 used ? " · " : "");
    } else {
        const hs_encoding *enc = app->run->encoding;
        s->values = tokens;
        s->n = n;
        s->labels = calloc((size_t)n, sizeof(char *));
        s->special = calloc((size_t)n, 1);
        if (!s->labels || !s->special) {
            clear_shown(s);
            return;
        }
        for (int i = 0; i < n; i++) {
            s->labels[i] = strdup(enc->labels[i]);
            s->special[i] = (enc->flags[i] & HS_TOKEN_SPECIAL) != 0;
        }
    }
    if (remove_hidden_columns(app, s) != 0) {
        clear_shown(s);
        return;
    }
    s->max_value = 0.0f;
    for (size_t i = 0; i < (size_t)s->n * s->cols; i++)
        if (s->values[i] > s->max_value)
            s->max_value = s->values[i];
    hs_render_matrix_upload(&s->texture, s->values, s->n, s->cols);
    s->valid = 1;
    s->generation = app->run_generation;
    s->layer = layer;
    s->head = head;
    s->aggregate = (int)app->aggregate;
    s->hide_special = app->hide_special;
    s->hide_first = app->hide_first;
    s->words = app->words;
    if (app->focus_token >= s->n)
        app->focus_token = -1;
}
