/*
 * app_roles.c - head roles in the app: statistics per head for the current
 * input, badges on the grid thumbnails, and a sortable table with adjustable
 * thresholds.
 */
#include "app.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const hs_rgba COLOR_PANEL = {1.0f, 1.0f, 1.0f, 1.0f};
static const hs_rgba COLOR_TEXT = {0.11f, 0.12f, 0.14f, 1.0f};
static const hs_rgba COLOR_MUTED = {0.42f, 0.44f, 0.48f, 1.0f};
static const hs_rgba COLOR_ACCENT = {0.12f, 0.40f, 0.85f, 1.0f};
static const hs_rgba COLOR_ROW = {0.94f, 0.95f, 0.97f, 1.0f};
static const hs_rgba COLOR_SELECTED = {1.0f, 0.90f, 0.86f, 1.0f};
static const hs_rgba COLOR_BADGE = {0.10f, 0.10f, 0.12f, 0.78f};

/* One glyph per role, in hs_role bit order. */
static const char *const role_glyphs[HS_ROLE_COUNT] = {"←", "→", "↺", "C", "S", "·", "≈", "⚓"};

/* Table columns: the statistic each shows and its threshold, if any. */
typedef struct {
    const char *name;
    size_t stat_offset;       /* offset of the float in hs_head_stats, or (size_t)-1 */
    size_t threshold_offset;  /* offset in hs_role_thresholds, or (size_t)-1 */
} column;

#define STAT(field) offsetof(hs_head_stats, field)
#define LIMIT(field) offsetof(hs_role_thresholds, field)
#define NONE ((size_t)-1)

static const column columns[] = {
    {"layer", NONE, NONE},
    {"head", NONE, NONE},
    {"prev", STAT(previous), LIMIT(previous)},
    {"next", STAT(next), LIMIT(next)},
    {"self", STAT(self), LIMIT(self)},
    {"first", STAT(first), LIMIT(first)},
    {"[SEP]", STAT(sep), LIMIT(sep)},
    {"punct", STAT(punct), LIMIT(punct)},
    {"entropy", STAT(entropy), NONE},
    {"relative", STAT(relative_entropy), LIMIT(broad)},
    {"roles", NONE, NONE},
};
enum { N_COLUMNS = sizeof columns / sizeof columns[0] };

static float px(const hs_app *app, float value)
{
    return value * app->ui_scale;
}

void hs_app_compute_roles(hs_app *app)
{
    free(app->roles);
    app->roles = NULL;
    if (!app->run || !app->run->result || !app->run->encoding)
        return;
    const hs_result *r = app->run->result;
    app->roles = calloc((size_t)r->n_layers * r->n_heads, sizeof(hs_head_stats));
    if (!app->roles)
        return;
    if (hs_roles_compute(r, app->run->encoding, app->run->config.causal, &app->thresholds,
                         app->roles) != 0) {
        free(app->roles);
        app->roles = NULL;
    }
}

/* Relabels every head after a threshold changed. */
static void relabel(hs_app *app)
{
    if (!app->roles)
        return;
    int count = app->run->result->n_layers * app->run->result->n_heads;
    for (int i = 0; i < count; i++)
        hs_roles_label(&app->roles[i], app->run->config.causal, &app->thresholds);
}

void hs_app_role_badges(const hs_app *app, int layer, int head, char *out, size_t size)
{
    out[0] = '\0';
    if (!app->roles || head < 0)
        return;
    unsigned roles = app->roles[layer * app->run->result->n_heads + head].roles;
    size_t used = 0;
    for (int bit = 0; bit < HS_ROLE_COUNT; bit++)
        if (roles & (1u << bit))
            used += (size_t)snprintf(out + used, size > used ? size - used : 0, "%s",
                                     role_glyphs[bit]);
}

void hs_app_draw_badges(hs_app *app, int layer, int head, float x, float y, float size)
{
    char badges[64];
    hs_app_role_badges(app, layer, head, badges, sizeof badges);
    if (!badges[0])
        return;
    if (size < px(app, 40)) {
        /* Too small for glyphs: a corner mark shows that the head has a role,
         * and the roles table and larger thumbnails name it. */
        hs_render_rect(app->render, x, y + size - px(app, 5), px(app, 5), px(app, 5),
                       (hs_rgba){1.0f, 1.0f, 1.0f, 0.85f});
        return;
    }
    int w = hs_render_text_width(app->render, HS_FONT_SMALL, badges);
    int h = hs_render_line_height(app->render, HS_FONT_SMALL);
    float bx = x + px(app, 2), by = y + size - h - px(app, 2);
    hs_render_rect(app->render, bx, by, w + px(app, 4), h, COLOR_BADGE);
    hs_render_text(app->render, HS_FONT_SMALL, badges, bx + px(app, 2), by, COLOR_PANEL);
}

/* ---- table ------------------------------------------------------------- */

static float stat_value(const hs_head_stats *stats, int c)
{
    float value;
    memcpy(&value, (const char *)stats + columns[c].stat_offset, sizeof value);
    return value;
}

/* The threshold of a column. Decoders label the first column "sink" with
 * its own threshold; encoders label it "first" ([CLS]). */
static float *threshold_field(const hs_app *app, hs_role_thresholds *t, int c)
{
    if (columns[c].threshold_offset == LIMIT(first) && app->run->config.causal)
        return &t->sink;
    return (float *)((char *)t + columns[c].threshold_offset);
}

/* Fills order[count] with head indices sorted by the chosen column. */
static void sorted_order(const hs_app *app, int *order, int count)
{
    for (int i = 0; i < count; i++)
        order[i] = i;
    int c = app->roles_sort_column;
    if (c < 2 || columns[c].stat_offset == NONE) {
        if (app->roles_sort_descending)
            for (int i = 0; i < count / 2; i++) {
                int t = order[i];
                order[i] = order[count - 1 - i];
                order[count - 1 - i] = t;
            }
        return;
    }
    /* Insertion sort: stable, and at most a few thousand heads. */
    for (int i = 1; i < count; i++) {
        int key = order[i];
        float v = stat_value(&app->roles[key], c);
        int j = i - 1;
        while (j >= 0) {
            float u = stat_value(&app->roles[order[j]], c);
            int after = app->roles_sort_descending ? u < v : u > v;
            if (!after)
                break;
            order[j + 1] = order[j];
            j--;
        }
        order[j + 1] = key;
    }
}

static float column_x(const hs_app *app, const SDL_Rect *main, int c)
{
    static const float widths[N_COLUMNS] = {50, 46, 58, 58, 58, 58, 58, 58, 66, 70, 120};
    float x = main->x + px(app, 12);
    for (int i = 0; i < c; i++)
        x += px(app, widths[i]);
    return x;
}

/* Geometry shared by drawing and clicks. */
static void table_rows(const hs_app *app, const SDL_Rect *main, float *header_y, float *first_y,
                       float *row_h)
{
    int line = hs_render_line_height(app->render, HS_FONT_SMALL);
    *row_h = line + px(app, 4);
    float thresholds_y = main->y + px(app, 40);
    *header_y = thresholds_y + 2 * (*row_h) + px(app, 6);
    *first_y = *header_y + *row_h + px(app, 4);
}

void hs_app_draw_roles(hs_app *app, const SDL_Rect *main)
{
    hs_renderer *g = app->render;
    float header_y, first_y, row_h;
    table_rows(app, main, &header_y, &first_y, &row_h);
    char text[256];

    hs_render_text(g, HS_FONT_LARGE, "head roles for this input", main->x + px(app, 10),
                   main->y + px(app, 8), COLOR_TEXT);
    if (!app->roles)
        return;

    /* Thresholds with - and + buttons: a role applies above its threshold. */
    float ty = main->y + px(app, 40);
    hs_render_text(g, HS_FONT_SMALL, "label when above:", main->x + px(app, 12), ty,
                   COLOR_MUTED);
    for (int c = 2; c < N_COLUMNS; c++) {
        if (columns[c].threshold_offset == NONE)
            continue;
        float x = column_x(app, main, c);
        float value = *threshold_field(app, &app->thresholds, c);
        snprintf(text, sizeof text, "%.2f", value);
        hs_render_text(g, HS_FONT_SMALL, text, x, ty + row_h, COLOR_TEXT);
        /* The buttons are boxed so they read as controls, not as text. */
        static const char *const signs[2] = {"−", "+"};
        for (int b = 0; b < 2; b++) {
            float bx = x + px(app, 30) + b * px(app, 12);
            hs_render_outline(g, bx, ty + row_h, px(app, 11), row_h - px(app, 2), 1,
                              COLOR_ACCENT);
            hs_render_text(g, HS_FONT_SMALL, signs[b], bx + px(app, 2), ty + row_h,
                           COLOR_ACCENT);
        }
    }

    /* Header: click a column to sort by it. */
    for (int c = 0; c < N_COLUMNS; c++) {
        const char *arrow = "";
        if (app->roles_sort_column == c)
            arrow = app->roles_sort_descending ? " ▼" : " ▲";
        snprintf(text, sizeof text, "%s%s", columns[c].name, arrow);
        hs_render_text(g, HS_FONT_SMALL, text, column_x(app, main, c), header_y, COLOR_TEXT);
    }
    hs_render_rect(g, main->x + px(app, 8), header_y + row_h, main->w - px(app, 16), 1,
                   COLOR_MUTED);

    const hs_result *r = app->run->result;
    int count = r->n_layers * r->n_heads;
    int *order = malloc((size_t)count * sizeof(int));
    if (!order)
        return;
    sorted_order(app, order, count);
    float bottom = main->y + main->h - px(app, 8);
    int visible = (int)((bottom - first_y) / row_h);
    int max_scroll = count - visible > 0 ? count - visible : 0;
    if (app->roles_scroll > max_scroll)
        app->roles_scroll = max_scroll;
    if (app->roles_scroll < 0)
        app->roles_scroll = 0;
    for (int k = 0; k < visible && k + app->roles_scroll < count; k++) {
        int index = order[k + app->roles_scroll];
        int layer = index / r->n_heads, head = index % r->n_heads;
        const hs_head_stats *st = &app->roles[index];
        float y = first_y + k * row_h;
        int selected = layer == app->layer && head == app->head;
        if (selected || k % 2)
            hs_render_rect(g, main->x + px(app, 8), y - px(app, 2), main->w - px(app, 16), row_h,
                           selected ? COLOR_SELECTED : COLOR_ROW);
        for (int c = 0; c < N_COLUMNS; c++) {
            float x = column_x(app, main, c);
            if (c == 0)
                snprintf(text, sizeof text, "%d", layer);
            else if (c == 1)
                snprintf(text, sizeof text, "%d", head);
            else if (columns[c].stat_offset != NONE)
                snprintf(text, sizeof text, "%.3f", stat_value(st, c));
            else
                hs_app_role_badges(app, layer, head, text, sizeof text);
            int over = columns[c].threshold_offset != NONE &&
                       stat_value(st, c) > *threshold_field(app, &app->thresholds, c);
            hs_render_text(g, HS_FONT_SMALL, text, x, y, over ? COLOR_ACCENT : COLOR_TEXT);
        }
    }
    free(order);
    snprintf(text, sizeof text,
             "%d heads · ← previous → next ↺ self C first/[CLS] S [SEP] · punctuation "
             "≈ broad ⚓ sink · wheel scrolls, click a row to select",
             count);
    hs_render_text(g, HS_FONT_SMALL, text, main->x + px(app, 12), bottom - row_h + px(app, 4),
                   COLOR_MUTED);
}

int hs_app_roles_click(hs_app *app, const SDL_Rect *main, int x, int y)
{
    if (!app->roles)
        return 0;
    float header_y, first_y, row_h;
    table_rows(app, main, &header_y, &first_y, &row_h);
    float ty = main->y + px(app, 40) + row_h;

    if (y >= ty && y < ty + row_h) {
        for (int c = 2; c < N_COLUMNS; c++) {
            if (columns[c].threshold_offset == NONE)
                continue;
            float bx = column_x(app, main, c);
            float *value = threshold_field(app, &app->thresholds, c);
            if (x >= bx + px(app, 30) && x < bx + px(app, 42))
                *value = fmaxf(0.0f, *value - 0.05f);
            else if (x >= bx + px(app, 42) && x < bx + px(app, 56))
                *value = fminf(1.0f, *value + 0.05f);
            else
                continue;
            relabel(app);
            return 1;
        }
        return 0;
    }
    if (y >= header_y && y < header_y + row_h) {
        for (int c = N_COLUMNS - 1; c >= 0; c--) {
            if (x >= column_x(app, main, c)) {
                if (app->roles_sort_column == c)
                    app->roles_sort_descending = !app->roles_sort_descending;
                else {
                    app->roles_sort_column = c;
                    app->roles_sort_descending = c >= 2;
                }
                return 1;
            }
        }
        return 0;
    }
    if (y >= first_y) {
        const hs_result *r = app->run->result;
        int count = r->n_layers * r->n_heads;
        int k = (int)((y - first_y) / row_h) + app->roles_scroll;
        if (k < 0 || k >= count)
            return 0;
        int *order = malloc((size_t)count * sizeof(int));
        if (!order)
            return 0;
        sorted_order(app, order, count);
        app->layer = order[k] / r->n_heads;
        app->head = order[k] % r->n_heads;
        app->aggregate = HS_AGGREGATE_NONE;
        free(order);
        return 1;
    }
    return 0;
}
