/*
 * app_compare.c - compare mode: one word in two sentences.
 *
 * Every head is scored by 1 - cosine similarity of its output for the word,
 * which is the attention-weighted sum of value vectors before the output
 * projection. The view ranks the heads and draws the picked head's attention
 * rows for the word in both sentences. Under them, a chart shows the cosine
 * similarity of the word's hidden states per layer. Lessons from
 * assets/lessons.txt fill both sentences and the word.
 */
#include "app.h"

#include "hs_error.h"

#include <cjson/cJSON.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const hs_rgba COLOR_TEXT = {0.11f, 0.12f, 0.14f, 1.0f};
static const hs_rgba COLOR_MUTED = {0.42f, 0.44f, 0.48f, 1.0f};
static const hs_rgba COLOR_ACCENT = {0.12f, 0.40f, 0.85f, 1.0f};
static const hs_rgba COLOR_FOCUS = {0.93f, 0.26f, 0.20f, 1.0f};
static const hs_rgba COLOR_ERROR = {0.75f, 0.10f, 0.10f, 1.0f};
static const hs_rgba COLOR_ROW = {0.94f, 0.95f, 0.97f, 1.0f};
static const hs_rgba COLOR_SELECTED = {1.0f, 0.90f, 0.86f, 1.0f};
static const hs_rgba COLOR_BORDER = {0.80f, 0.81f, 0.84f, 1.0f};

struct hs_comparison {
    int pos_a, pos_b;       /* the word's first token in A and in B */
    char word_a[128];
    char word_b[128];
    int count;              /* L * h */
    hs_head_score *heads;   /* [L * h], highest score first */
    float *hidden;          /* [L + 1] cosine of the word's hidden states */
    char error[512];        /* why there is no comparison, "" otherwise */
    char note[384];         /* a caveat about the scores, "" when none */
};

static float px(const hs_app *app, float value)
{
    return value * app->ui_scale;
}

void hs_comparison_free(hs_comparison *c)
{
    if (!c)
        return;
    free(c->heads);
    free(c->hidden);
    free(c);
}

/* Groups a run's tokens into words spelled from the text that ran. */
static hs_words *group_words(const hs_run *run)
{
    const char *text = run->text ? run->text : "";
    hs_words_source source = {text, strlen(text), NULL, 0};
    return hs_words_group_source(run->encoding, hs_words_scheme_for(run->config.arch),
                                 &source);
}

/* Picks the word and scores every head; on failure fills c->error. */
static void compute(hs_app *app, hs_comparison *c)
{
    const hs_run *a = app->run, *b = app->run_b;
    hs_words *words_a = group_words(a);
    hs_words *words_b = group_words(b);
    if (!words_a || !words_b) {
        snprintf(c->error, sizeof c->error, "%s", hs_error_message());
        goto done;
    }
    /* A decoder reads only earlier tokens, so the words of a common beginning
     * give identical numbers in both sentences, and the word is looked for
     * after it. Identical sentences have no such point. */
    int common = a->config.causal ? hs_encoding_common_prefix(a->encoding, b->encoding) : 0;
    int identical = a->config.causal && common == a->encoding->n && common == b->encoding->n;
    int prefix = identical ? 0 : common;
    const char *word = app->compare_word[0] ? app->compare_word : NULL;
    if (!word) {
        int shared = hs_words_first_shared(words_a, words_b, prefix);
        if (shared < 0) {
            snprintf(c->error, sizeof c->error,
                     "the sentences share no word%s: click a token of A to choose one",
                     a->config.causal ? " after the point where they differ" : "");
            goto done;
        }
        word = words_a->labels[shared];
    }
    const char *word_b = app->compare_word_b[0] ? app->compare_word_b : word;
    snprintf(c->word_a, sizeof c->word_a, "%s", word);
    snprintf(c->word_b, sizeof c->word_b, "%s", word_b);
    c->pos_a = hs_words_find_from(words_a, a->encoding, c->word_a, prefix);
    c->pos_b = hs_words_find_from(words_b, b->encoding, c->word_b, prefix);
    if (c->pos_a < 0 || c->pos_b < 0) {
        snprintf(c->error, sizeof c->error, "the word '%s' is not in sentence %s",
                 c->pos_a < 0 ? c->word_a : c->word_b, c->pos_a < 0 ? "A" : "B");
        goto done;
    }
    const hs_result *ra = a->result, *rb = b->result;
    c->count = ra->n_layers * ra->n_heads;
    c->heads = malloc((size_t)c->count * sizeof *c->heads);
    c->hidden = malloc((size_t)(ra->n_layers + 1) * sizeof *c->hidden);
    if (!c->heads || !c->hidden) {
        snprintf(c->error, sizeof c->error, "out of memory");
        goto done;
    }
    if (hs_compare_heads(ra, c->pos_a, rb, c->pos_b, c->heads) != 0 ||
        hs_compare_hidden(ra, c->pos_a, rb, c->pos_b, c->hidden) != 0)
        snprintf(c->error, sizeof c->error, "%s", hs_error_message());
    if (identical)
        snprintf(c->note, sizeof c->note, "A and B are the same tokens, so every score is 0");
    else if (a->config.causal && c->pos_a == c->pos_b && c->pos_a < prefix)
        snprintf(c->note, sizeof c->note,
                 "A and B are identical up to '%s' and a decoder reads only earlier tokens, "
                 "so every score is 0: pick a word after the sentences differ",
                 c->word_a);
done:
    hs_words_free(words_a);
    hs_words_free(words_b);
}

void hs_app_update_comparison(hs_app *app)
{
    hs_comparison_free(app->comparison);
    app->comparison = NULL;
    if (!app->run || !app->run_b || !app->run->result || !app->run_b->result ||
        app->run->generation != app->run_b->generation)
        return;
    hs_comparison *c = calloc(1, sizeof *c);
    if (!c)
        return;
    compute(app, c);
    app->comparison = c;
    if (app->compare_pick >= c->count)
        app->compare_pick = 0;
    if (!c->error[0] && c->count > 0) {
        /* The grid outlines the picked head. */
        app->layer = c->heads[app->compare_pick].layer;
        app->head = c->heads[app->compare_pick].head;
    }
}

/* ---- lessons ----------------------------------------------------------- */

void hs_app_open_lesson(hs_app *app, int index)
{
    if (!app->lessons || app->lessons->count == 0) {
        snprintf(app->message, sizeof app->message, "no lessons loaded");
        app->message_is_error = 1;
        return;
    }
    int count = app->lessons->count;
    index = ((index % count) + count) % count;
    const hs_lesson *lesson = &app->lessons->items[index];
    app->lesson = index;
    hs_textfield_set(&app->text, lesson->a);
    hs_textfield_set(&app->pair, lesson->b);
    snprintf(app->compare_word, sizeof app->compare_word, "%s", lesson->word ? lesson->word : "");
    snprintf(app->compare_word_b, sizeof app->compare_word_b, "%s",
             lesson->word_b ? lesson->word_b : "");
    app->compare_pick = 0;
    app->view = HS_VIEW_COMPARE;
    app->lesson_active = 1;
}

/* ---- drawing ----------------------------------------------------------- */

typedef struct {
    SDL_Rect ranking;  /* ranked heads */
    SDL_Rect rows;     /* the two sentences' attention rows */
    SDL_Rect hidden;   /* per-layer cosine chart */
    float row_h;
    float first_row_y;
} compare_layout;

static void layout_compare(hs_app *app, const SDL_Rect *main, compare_layout *l)
{
    int line = hs_render_line_height(app->render, HS_FONT_SMALL);
    int top = main->y + (int)px(app, 80);
    int ranking_w = (int)px(app, 250);
    l->ranking = (SDL_Rect){main->x + (int)px(app, 10), top, ranking_w,
                            main->y + main->h - top - (int)px(app, 10)};
    int x = l->ranking.x + ranking_w + (int)px(app, 16);
    int w = main->x + main->w - x - (int)px(app, 10);
    int hidden_h = (int)px(app, 130);
    l->hidden = (SDL_Rect){x, main->y + main->h - hidden_h - (int)px(app, 10), w, hidden_h};
    l->rows = (SDL_Rect){x, top, w, l->hidden.y - top - (int)px(app, 10)};
    l->row_h = line + px(app, 4);
    l->first_row_y = l->ranking.y + l->row_h + px(app, 4);
}

/* Draws one sentence's attention row for the word: a cell per token
 * coloured by weight, the labels turned under it, and the top keys. */
static float draw_sentence_row(hs_app *app, const hs_run *run, int pos, const char *name,
                               const char *text, int layer, int head, float x, float y,
                               float w)
{
    hs_renderer *g = app->render;
    const hs_result *r = run->result;
    const hs_encoding *enc = run->encoding;
    int n = r->n;
    const float *row = hs_result_head(r, layer, head) + (size_t)pos * n;
    int small = hs_render_line_height(g, HS_FONT_SMALL);
    char label[160];

    snprintf(label, sizeof label, "%s: %s", name, text);
    hs_render_text(g, HS_FONT_NORMAL, label, x, y, COLOR_TEXT);
    y += hs_render_line_height(g, HS_FONT_NORMAL) + px(app, 6);

    float cell = fminf(px(app, 36), w / (float)n);
    for (int j = 0; j < n; j++) {
        const uint8_t *c = hs_colormap_lookup(app->colormap, row[j]);
        hs_render_rect(g, x + j * cell, y, cell - 1, cell,
                       (hs_rgba){c[0] / 255.0f, c[1] / 255.0f, c[2] / 255.0f, 1});
        if (j == pos)
            hs_render_outline(g, x + j * cell - 1, y - 1, cell + 1, cell + 2, px(app, 2),
                              COLOR_FOCUS);
    }
    float label_y = y + cell + px(app, 4);
    float longest = 0;
    int step = (int)ceilf((float)(small + 1) / cell);
    /* Turned labels hang under their cells, each ending just below them. */
    for (int j = 0; j < n; j += step > 0 ? step : 1) {
        char visible[96];
        hs_label_visible(enc->labels[j], visible, sizeof visible);
        float len = (float)hs_render_text_rotated(g, HS_FONT_SMALL, visible,
                                                  x + j * cell + (cell - small) / 2.0f, label_y,
                                                  j == pos ? COLOR_FOCUS : COLOR_TEXT);
        longest = len > longest ? len : longest;
    }
    float bottom = label_y + longest;

    int index[3];
    float weight[3];
    int k = hs_attn_top_keys(row, n, 3, index, weight);
    size_t used = (size_t)snprintf(label, sizeof label, "'%s' attends most to:", enc->labels[pos]);
    for (int i = 0; i < k && used < sizeof label; i++)
        used += (size_t)snprintf(label + used, sizeof label - used, "%s '%s' %.2f",
                                 i ? "," : "", enc->labels[index[i]], weight[i]);
    hs_render_text(g, HS_FONT_SMALL, label, x, bottom + px(app, 6), COLOR_MUTED);
    return bottom + px(app, 6) + small + px(app, 14);
}

static void draw_hidden_chart(hs_app *app, const hs_comparison *c, const SDL_Rect *r)
{
    hs_renderer *g = app->render;
    int small = hs_render_line_height(g, HS_FONT_SMALL);
    int layers = app->run->result->n_layers + 1;
    hs_render_text(g, HS_FONT_SMALL,
                   "word's hidden-state cosine, A vs B (layer 0 = embeddings)",
                   r->x, r->y, COLOR_MUTED);
    float top = r->y + 2 * small + px(app, 6), height = r->h - 3 * small - px(app, 12);
    float bar = fminf(px(app, 40), (float)r->w / layers);
    hs_render_rect(g, r->x, top + height, bar * layers, 1, COLOR_BORDER);
    for (int l = 0; l < layers; l++) {
        float value = fmaxf(0.0f, c->hidden[l]);
        float h = value * height;
        hs_render_rect(g, r->x + l * bar + 2, top + height - h, bar - 4, h, COLOR_ACCENT);
        char text[32];
        snprintf(text, sizeof text, "%d", l);
        hs_render_text(g, HS_FONT_SMALL, text, r->x + l * bar + 4, top + height + 2,
                       COLOR_MUTED);
        if (bar >= px(app, 34)) {
            snprintf(text, sizeof text, "%.2f", c->hidden[l]);
            hs_render_text(g, HS_FONT_SMALL, text, r->x + l * bar + 2,
                           top + height - h - small, COLOR_TEXT);
        }
    }
}

void hs_app_draw_compare(hs_app *app, const SDL_Rect *main)
{
    hs_renderer *g = app->render;
    compare_layout l;
    layout_compare(app, main, &l);
    char text[512];

    const hs_lesson *lesson = app->lesson_active && app->lessons && app->lesson >= 0 &&
                                      app->lesson < app->lessons->count
                                  ? &app->lessons->items[app->lesson]
                                  : NULL;
    hs_comparison *c = app->comparison;
    if (c && !c->error[0] && strcmp(c->word_a, c->word_b) != 0)
        snprintf(text, sizeof text, "compare '%s' in A with '%s' in B", c->word_a, c->word_b);
    else if (c && !c->error[0])
        snprintf(text, sizeof text, "compare '%s' in two sentences", c->word_a);
    else
        snprintf(text, sizeof text, "compare a word in two sentences");
    hs_render_text(g, HS_FONT_LARGE, text, main->x + px(app, 10), main->y + px(app, 8),
                   COLOR_TEXT);
    SDL_Rect header = {main->x, main->y, main->w - (int)px(app, 8), main->h};
    hs_render_clip(g, &header);
    if (lesson) {
        snprintf(text, sizeof text, "lesson %d of %d: %s  (PageDown next, PageUp previous)",
                 app->lesson + 1, app->lessons->count, lesson->title);
        hs_render_text(g, HS_FONT_SMALL, text, main->x + px(app, 10), main->y + px(app, 38),
                       COLOR_MUTED);
        if (lesson->note)
            hs_render_text(g, HS_FONT_SMALL, lesson->note, main->x + px(app, 10),
                           main->y + px(app, 56), COLOR_MUTED);
    } else {
        hs_render_text(g, HS_FONT_SMALL,
                       "click a token of A to pick the word · PageDown opens the lessons",
                       main->x + px(app, 10), main->y + px(app, 38), COLOR_MUTED);
    }
    hs_render_clip(g, NULL);

    if (app->pair.length == 0) {
        hs_render_text(g, HS_FONT_NORMAL, "type sentence B in the second field", l.ranking.x,
                       l.ranking.y, COLOR_MUTED);
        return;
    }
    if (!app->run_b || !app->run || !app->run->result) {
        hs_render_text(g, HS_FONT_NORMAL, "waiting for both sentences…", l.ranking.x,
                       l.ranking.y, COLOR_MUTED);
        return;
    }
    if (!c)
        return;
    float text_width = (float)(main->x + main->w) - l.ranking.x - px(app, 12);
    if (c->error[0]) {
        hs_app_draw_wrapped(app, HS_FONT_NORMAL, c->error, l.ranking.x, l.ranking.y, text_width,
                            COLOR_ERROR);
        return;
    }


    /* ranked heads: score = 1 - cosine of the head's outputs for the word */
    hs_render_text(g, HS_FONT_SMALL, "rank  layer  head  score (1 − cos)", l.ranking.x,
                   l.ranking.y, COLOR_TEXT);
    /* A note (every score 0) goes under the ranked rows, which make room. */
    float note_h = 0;
    if (c->note[0])
        note_h = (float)hs_app_wrapped_lines(app, HS_FONT_SMALL, c->note, l.ranking.w) *
                     (float)hs_render_line_height(g, HS_FONT_SMALL) +
                 px(app, 8);
    int visible = (int)((l.ranking.y + l.ranking.h - note_h - l.first_row_y) / l.row_h);
    float max_score = c->count ? fmaxf(c->heads[0].score, 1e-6f) : 1.0f;
    for (int k = 0; k < visible && k < c->count; k++) {
        const hs_head_score *s = &c->heads[k];
        float y = l.first_row_y + k * l.row_h;
        if (k == app->compare_pick || k % 2)
            hs_render_rect(g, l.ranking.x, y - px(app, 2), l.ranking.w, l.row_h,
                           k == app->compare_pick ? COLOR_SELECTED : COLOR_ROW);
        float bar_w = px(app, 60) * s->score / max_score;
        hs_render_rect(g, l.ranking.x + px(app, 180), y + px(app, 3), bar_w,
                       l.row_h - px(app, 8), (hs_rgba){0.12f, 0.40f, 0.85f, 0.35f});
        snprintf(text, sizeof text, "%4d  %5d  %4d  %.4f", k + 1, s->layer, s->head, s->score);
        hs_render_text(g, HS_FONT_SMALL, text, l.ranking.x + px(app, 4), y, COLOR_TEXT);
    }
    if (c->note[0]) {
        int rows_drawn = visible < c->count ? visible : c->count;
        hs_app_draw_wrapped(app, HS_FONT_SMALL, c->note, l.ranking.x,
                            l.first_row_y + (float)rows_drawn * l.row_h + px(app, 8), l.ranking.w,
                            COLOR_ERROR);
    }

    /* the picked head in both sentences */
    const hs_head_score *pick = &c->heads[app->compare_pick];
    snprintf(text, sizeof text, "layer %d · head %d: attention from the word", pick->layer,
             pick->head);
    hs_render_text(g, HS_FONT_NORMAL, text, l.rows.x, l.rows.y, COLOR_ACCENT);
    float y = l.rows.y + hs_render_line_height(g, HS_FONT_NORMAL) + px(app, 8);
    hs_render_clip(g, &l.rows);
    const char *text_a = app->run->text ? app->run->text : "";
    const char *text_b = app->run_b->text ? app->run_b->text : "";
    y = draw_sentence_row(app, app->run, c->pos_a, "A", text_a, pick->layer, pick->head,
                          l.rows.x, y, l.rows.w);
    draw_sentence_row(app, app->run_b, c->pos_b, "B", text_b, pick->layer, pick->head, l.rows.x,
                      y, l.rows.w);
    hs_render_clip(g, NULL);
    draw_hidden_chart(app, c, &l.hidden);
}

int hs_app_compare_click(hs_app *app, const SDL_Rect *main, int x, int y)
{
    compare_layout l;
    layout_compare(app, main, &l);
    hs_comparison *c = app->comparison;
    if (!c || c->error[0] || x < l.ranking.x || x >= l.ranking.x + l.ranking.w ||
        y < l.first_row_y)
        return 0;
    int k = (int)((y - l.first_row_y) / l.row_h);
    if (k < 0 || k >= c->count)
        return 0;
    app->compare_pick = k;
    app->layer = c->heads[k].layer;
    app->head = c->heads[k].head;
    return 1;
}

void hs_app_compare_pick_token(hs_app *app, int token)
{
    if (!app->run || !app->run->encoding || token < 0 || token >= app->run->encoding->n)
        return;
    hs_words *words = group_words(app->run);
    if (!words)
        return;
    int w = words->word_of_token[token];
    if (!words->special[w]) {
        snprintf(app->compare_word, sizeof app->compare_word, "%s", words->labels[w]);
        app->compare_word_b[0] = '\0';
        app->compare_pick = 0;
        hs_app_update_comparison(app);
    }
    hs_words_free(words);
}

void hs_app_describe_comparison(const hs_app *app, cJSON *out)
{
    const hs_comparison *c = app->comparison;
    cJSON_AddStringToObject(out, "error", c->error);
    if (c->error[0])
        return;
    cJSON_AddStringToObject(out, "word_a", c->word_a);
    cJSON_AddStringToObject(out, "word_b", c->word_b);
    cJSON_AddNumberToObject(out, "position_a", c->pos_a);
    cJSON_AddNumberToObject(out, "position_b", c->pos_b);
    cJSON *heads = cJSON_AddArrayToObject(out, "ranking");
    for (int k = 0; k < c->count && k < 10; k++) {
        cJSON *item = cJSON_CreateObject();
        cJSON_AddNumberToObject(item, "layer", c->heads[k].layer);
        cJSON_AddNumberToObject(item, "head", c->heads[k].head);
        cJSON_AddNumberToObject(item, "score", c->heads[k].score);
        cJSON_AddItemToArray(heads, item);
    }
    cJSON *hidden = cJSON_AddArrayToObject(out, "hidden_cosine");
    for (int l = 0; l <= app->run->result->n_layers; l++)
        cJSON_AddItemToArray(hidden, cJSON_CreateNumber(c->hidden[l]));
}
