/*
 * app_draw.c - layout, drawing and hit tests of the app's panels: the text
 * fields, the token strip, the model grid, the heatmap and arc views, the
 * status line and the help overlay.
 */
#include "app.h"

#include "hs_error.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const hs_rgba COLOR_PANEL = {1.0f, 1.0f, 1.0f, 1.0f};
static const hs_rgba COLOR_BORDER = {0.80f, 0.81f, 0.84f, 1.0f};
static const hs_rgba COLOR_TEXT = {0.11f, 0.12f, 0.14f, 1.0f};
static const hs_rgba COLOR_MUTED = {0.42f, 0.44f, 0.48f, 1.0f};
static const hs_rgba COLOR_ACCENT = {0.12f, 0.40f, 0.85f, 1.0f};
static const hs_rgba COLOR_SPECIAL = {0.78f, 0.36f, 0.02f, 1.0f};
static const hs_rgba COLOR_FOCUS = {0.93f, 0.26f, 0.20f, 1.0f};
static const hs_rgba COLOR_ERROR = {0.75f, 0.10f, 0.10f, 1.0f};
static const hs_rgba COLOR_SELECTION = {0.70f, 0.82f, 1.0f, 1.0f};

static float px(const hs_app *app, float value)
{
    return value * app->ui_scale;
}

static int has_result(const hs_app *app)
{
    return app->run && app->run->result && app->run->encoding && app->n_textures > 0;
}

/* Shortens a label to at most max_chars characters, marking the cut. A label
 * with nothing visible is spelled out first (see hs_label_visible()). */
static void short_label(const char *raw, char *out, size_t size, int max_chars)
{
    char visible[96];
    hs_label_visible(raw, visible, sizeof visible);
    const char *label = visible;
    int chars = 0;
    size_t i = 0, used = 0;
    while (label[i] && used + 5 < size) {
        size_t len = 1;
        unsigned char c = (unsigned char)label[i];
        if (c >= 0xF0)
            len = 4;
        else if (c >= 0xE0)
            len = 3;
        else if (c >= 0xC0)
            len = 2;
        if (chars == max_chars) {
            memcpy(out + used, "…", 3);
            used += 3;
            break;
        }
        for (size_t k = 0; k < len && label[i]; k++)
            out[used++] = label[i++];
        chars++;
    }
    out[used] = '\0';
}

/* ---- layout ------------------------------------------------------------ */

void hs_app_layout(hs_app *app, hs_layout *l)
{
    int W = app->width, H = app->height;
    int m = (int)px(app, 10), field_h = (int)px(app, 32), gap = (int)px(app, 6);
    int y = m;

    memset(l, 0, sizeof *l);
    l->text = (SDL_Rect){m, y, W - 2 * m, field_h};
    y += field_h + gap;
    if (app->view == HS_VIEW_COMPARE ||
        (app->model && app->model->config.arch == HS_ARCH_BERT)) {
        l->pair = (SDL_Rect){m, y, W - 2 * m, field_h};
        y += field_h + gap;
    }
    l->strip = (SDL_Rect){m, y, W - 2 * m, (int)px(app, 30)};
    y += l->strip.h + gap;

    int status_h = (int)px(app, 24);
    l->status = (SDL_Rect){0, H - status_h, W, status_h};
    int body_h = H - status_h - m - y;
    if (body_h < 10)
        body_h = 10;

    /* The grid takes about a third of the width. */
    int grid_w = W * 34 / 100;
    if (grid_w < px(app, 220))
        grid_w = (int)px(app, 220);
    if (grid_w > px(app, 520))
        grid_w = (int)px(app, 520);
    l->grid = (SDL_Rect){m, y, grid_w, body_h};
    l->main = (SDL_Rect){m + grid_w + m, y, W - grid_w - 3 * m, body_h};

    int button_w = (int)px(app, 76), button_h = (int)px(app, 24);
    int bx = l->main.x + l->main.w - HS_VIEW_COUNT * button_w - (int)px(app, 8);
    for (int i = 0; i < HS_VIEW_COUNT; i++)
        l->view_buttons[i] = (SDL_Rect){bx + i * button_w, l->main.y + (int)px(app, 6), button_w,
                                        button_h};

    /* Thumbnails: layers as rows, heads plus the mean as columns. */
    l->grid_label = (int)px(app, 30);
    l->grid_top = l->grid.y + (int)px(app, 46);
    if (app->model && app->model->config.n_kv_heads < app->model->config.n_heads)
        l->grid_top += (int)px(app, 16); /* room for the key/value legend */
    if (app->model) {
        int columns = app->model->config.n_heads + 1;
        int avail = l->grid.w - l->grid_label - (int)px(app, 10);
        int thumb = avail / columns;
        if (thumb > px(app, 72))
            thumb = (int)px(app, 72);
        if (thumb < px(app, 18))
            thumb = (int)px(app, 18);
        l->thumb = thumb;
    }
}

static float grid_scroll_max(const hs_app *app, const hs_layout *l)
{
    if (!app->model)
        return 0;
    float content = (float)app->model->config.n_layers * l->thumb;
    float visible = (float)(l->grid.y + l->grid.h - l->grid_top) - px(app, 6);
    return content > visible ? content - visible : 0;
}

/* Horizontal scrolling of the grid when heads do not fit the panel width. */
static int grid_column_x(const hs_layout *l, int column)
{
    return l->grid.x + l->grid_label + column * l->thumb;
}

int hs_app_grid_hit(hs_app *app, const hs_layout *l, int x, int y, int *layer, int *head)
{
    if (!app->model || x < l->grid.x || x >= l->grid.x + l->grid.w || y < l->grid_top ||
        y >= l->grid.y + l->grid.h)
        return -1;
    const hs_config *c = &app->model->config;
    int column = (x - grid_column_x(l, 0));
    int row = (int)floorf(((float)(y - l->grid_top) + app->grid_scroll) / (float)l->thumb);
    if (column < 0)
        return -1;
    column /= l->thumb;
    if (row < 0 || row >= c->n_layers || column > c->n_heads)
        return -1;
    *layer = row;
    *head = column == c->n_heads ? -1 : column;
    return row * (c->n_heads + 1) + column;
}

/* ---- text fields -------------------------------------------------------- */

size_t hs_app_text_offset_at(hs_app *app, const char *text, size_t length, float offset)
{
    size_t *starts = malloc((length + 1) * sizeof *starts);
    size_t count = 0;
    if (!starts)
        return 0;
    for (size_t pos = 0; pos <= length; pos++)
        if (pos == length || (text[pos] & 0xC0) != 0x80)
            starts[count++] = pos;

    /* The last boundary whose left edge is at or before offset. */
    size_t low = 0, high = count - 1;
    while (low < high) {
        size_t middle = (low + high + 1) / 2;
        if (hs_render_measure(app->render, HS_FONT_NORMAL, text, starts[middle]) <= offset)
            low = middle;
        else
            high = middle - 1;
    }
    size_t best = starts[low];
    if (low + 1 < count) {
        float before = (float)hs_render_measure(app->render, HS_FONT_NORMAL, text, starts[low]);
        float after =
            (float)hs_render_measure(app->render, HS_FONT_NORMAL, text, starts[low + 1]);
        if (after - offset < offset - before)
            best = starts[low + 1];
    }
    free(starts);
    return best;
}

/* Returns the start of the character before pos. */
static size_t previous_start(const char *text, size_t pos)
{
    while (pos > 0 && (text[--pos] & 0xC0) == 0x80)
        ;
    return pos;
}

/* Returns the start of the character after the one at pos. */
static size_t next_start(const char *text, size_t length, size_t pos)
{
    while (pos < length && (text[++pos] & 0xC0) == 0x80)
        ;
    return pos;
}

/* Returns the FNV-1a hash of a field's drawing inputs, never 0. */
static uint64_t field_key(const char *text, size_t length, const hs_textfield *f, float visible,
                          float scroll)
{
    uint64_t hash = 14695981039346656037ull;
    size_t start, end;
    hs_textfield_range(f, &start, &end);
    const size_t numbers[] = {length, f->cursor, start, end, (size_t)visible,
                              (size_t)(scroll * 64.0f)};
    for (size_t i = 0; i < length; i++)
        hash = (hash ^ (unsigned char)text[i]) * 1099511628211ull;
    for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++)
        hash = (hash ^ numbers[i]) * 1099511628211ull;
    return hash ? hash : 1;
}

/* Measures a field into view: the cursor, the selection, the scroll that
 * keeps the cursor inside the visible width, and the visible bytes of the
 * display text (the text with the composition spliced in). */
static void measure_field(hs_app *app, const hs_textfield *f, hs_field_view *view,
                          const char *display_text, size_t display_length, float visible)
{
    hs_renderer *g = app->render;
    size_t comp = strlen(f->composition);
    view->cursor_x = (float)hs_render_measure(g, HS_FONT_NORMAL, f->text, f->cursor);
    view->composition_w =
        comp ? (float)hs_render_measure(g, HS_FONT_NORMAL, f->composition, comp) : 0;
    float total = (float)hs_render_measure(g, HS_FONT_NORMAL, display_text, display_length);
    if (view->cursor_x + view->composition_w - view->scroll > visible)
        view->scroll = view->cursor_x + view->composition_w - visible;
    if (view->cursor_x < view->scroll)
        view->scroll = view->cursor_x - visible / 3;
    if (view->scroll > total - visible)
        view->scroll = total - visible;
    if (view->scroll < 0)
        view->scroll = 0;

    size_t start, end;
    hs_textfield_range(f, &start, &end);
    view->selection_x0 = (float)hs_render_measure(g, HS_FONT_NORMAL, f->text, start);
    view->selection_x1 = (float)hs_render_measure(g, HS_FONT_NORMAL, f->text, end);

    /* The visible characters, with one more on each side for partial ones. */
    size_t first = hs_app_text_offset_at(app, display_text, display_length, view->scroll);
    size_t last =
        hs_app_text_offset_at(app, display_text, display_length, view->scroll + visible);
    view->first = previous_start(display_text, first);
    view->last = next_start(display_text, display_length, last);
    view->first_x = (float)hs_render_measure(g, HS_FONT_NORMAL, display_text, view->first);
}

/* Draws a one-line field that scrolls sideways to keep the cursor in view.
 * Only the visible part of the text is drawn and measured prefixes make no
 * textures, so a text of any length draws (a texture of the whole line could
 * exceed the driver's size limit). */
static void draw_field(hs_app *app, const SDL_Rect *r, const hs_textfield *f,
                       hs_field_view *view, int focused, const char *placeholder)
{
    hs_renderer *g = app->render;
    float pad = px(app, 8);
    int line = hs_render_line_height(g, HS_FONT_NORMAL);
    float ty = r->y + (r->h - line) / 2.0f;
    float left = r->x + pad, visible = r->w - 2 * pad;

    hs_render_rect(g, r->x, r->y, r->w, r->h, COLOR_PANEL);
    hs_render_outline(g, r->x, r->y, r->w, r->h, focused ? px(app, 2) : px(app, 1),
                      focused ? COLOR_ACCENT : COLOR_BORDER);
    SDL_Rect inner = {r->x + 2, r->y + 2, r->w - 4, r->h - 4};
    hs_render_clip(g, &inner);
    if (f->length == 0 && !f->composition[0]) {
        view->scroll = 0;
        view->key = 0;
        hs_render_text(g, HS_FONT_NORMAL, placeholder, left, ty, COLOR_MUTED);
        if (focused)
            hs_render_rect(g, left, ty, px(app, 2), line, COLOR_ACCENT);
        hs_render_clip(g, NULL);
        return;
    }

    /* The text with the IME composition spliced in at the cursor. */
    size_t comp = strlen(f->composition);
    size_t display_length = f->length + comp;
    char *display_text = malloc(display_length + 1);
    if (!display_text) {
        hs_render_clip(g, NULL);
        return;
    }
    memcpy(display_text, f->text, f->cursor);
    memcpy(display_text + f->cursor, f->composition, comp);
    memcpy(display_text + f->cursor + comp, f->text + f->cursor, f->length - f->cursor + 1);

    uint64_t key = field_key(display_text, display_length, f, visible, view->scroll);
    if (key != view->key) {
        measure_field(app, f, view, display_text, display_length, visible);
        view->key = field_key(display_text, display_length, f, visible, view->scroll);
    }

    /* Selection highlight behind the text. */
    size_t start, end;
    hs_textfield_range(f, &start, &end);
    if (focused && start != end)
        hs_render_rect(g, left + view->selection_x0 - view->scroll, ty,
                       view->selection_x1 - view->selection_x0, line, COLOR_SELECTION);

    char saved = display_text[view->last];
    display_text[view->last] = '\0';
    hs_render_text(g, HS_FONT_NORMAL, display_text + view->first,
                   left + view->first_x - view->scroll, ty, COLOR_TEXT);
    display_text[view->last] = saved;
    free(display_text);

    float cx = left + view->cursor_x - view->scroll;
    if (comp)
        hs_render_rect(g, cx, ty + line - px(app, 2), view->composition_w, px(app, 1),
                       COLOR_ACCENT);
    if (focused)
        hs_render_rect(g, cx, ty, px(app, 2), line, COLOR_ACCENT);
    hs_render_clip(g, NULL);
}

/* Splits text at spaces into lines no wider than width, and starts[i] and
 * lengths[i] give each line's bytes. Returns the line count (at most max). A
 * word wider than width gets a line of its own. */
static int wrap_lines(hs_app *app, hs_font_size font, const char *text, float width,
                      size_t *starts, size_t *lengths, int max)
{
    int count = 0;
    size_t pos = 0, length = strlen(text);
    while (pos < length && count < max) {
        while (text[pos] == ' ')
            pos++;
        size_t end = pos, fit = 0;
        while (end < length) {
            size_t next = end;
            while (next < length && text[next] == ' ')
                next++;
            while (next < length && text[next] != ' ')
                next++;
            if (fit && hs_render_measure(app->render, font, text + pos, next - pos) > width)
                break;
            fit = next - pos;
            end = next;
        }
        if (end == pos)
            break;
        starts[count] = pos;
        lengths[count] = fit;
        count++;
        pos = end;
    }
    return count;
}

int hs_app_wrapped_lines(hs_app *app, hs_font_size font, const char *text, float width)
{
    size_t starts[16], lengths[16];
    return wrap_lines(app, font, text, width, starts, lengths, 16);
}

float hs_app_draw_wrapped(hs_app *app, hs_font_size font, const char *text, float x, float y,
                          float width, hs_rgba color)
{
    size_t starts[16], lengths[16];
    int count = wrap_lines(app, font, text, width, starts, lengths, 16);
    float line = (float)hs_render_line_height(app->render, font);
    char buffer[1024];
    for (int i = 0; i < count; i++) {
        size_t n = lengths[i] < sizeof buffer - 1 ? lengths[i] : sizeof buffer - 1;
        memcpy(buffer, text + starts[i], n);
        buffer[n] = '\0';
        hs_render_text(app->render, font, buffer, x, y + line * (float)i, color);
    }
    return line * (float)count;
}

/* ---- token strip ------------------------------------------------------- */

/* Lays the strip's tokens out left to right; fills x[i], w[i]. */
static void strip_positions(hs_app *app, const hs_layout *l, float *x, float *w)
{
    const hs_encoding *enc = app->run->encoding;
    int n = app->run->result->n;
    float pos = l->strip.x + px(app, 4) - app->strip_scroll;
    char label[96];
    for (int i = 0; i < n; i++) {
        short_label(enc->labels[i], label, sizeof label, 24);
        w[i] = hs_render_text_width(app->render, HS_FONT_NORMAL, label) + px(app, 10);
        if (w[i] < px(app, 14))
            w[i] = px(app, 14);
        x[i] = pos;
        pos += w[i] + px(app, 3);
    }
}

int hs_app_strip_hit(hs_app *app, const hs_layout *l, int x, int y)
{
    if (!has_result(app) || y < l->strip.y || y >= l->strip.y + l->strip.h)
        return -1;
    int n = app->run->result->n;
    float *xs = malloc((size_t)n * 2 * sizeof(float));
    int hit = -1;
    if (!xs)
        return -1;
    strip_positions(app, l, xs, xs + n);
    for (int i = 0; i < n && hit < 0; i++)
        if (x >= xs[i] && x < xs[i] + xs[n + i])
            hit = i;
    free(xs);
    return hit;
}

static void draw_strip(hs_app *app, const hs_layout *l)
{
    hs_renderer *g = app->render;
    if (!has_result(app))
        return;
    const hs_encoding *enc = app->run->encoding;
    int n = app->run->result->n;
    float *xs = malloc((size_t)n * 2 * sizeof(float));
    if (!xs)
        return;
    strip_positions(app, l, xs, xs + n);
    float end = xs[n - 1] + xs[2 * n - 1] - l->strip.x + app->strip_scroll;
    if (app->strip_scroll > end - l->strip.w + px(app, 8)) {
        app->strip_scroll = fmaxf(0.0f, end - l->strip.w + px(app, 8));
        strip_positions(app, l, xs, xs + n);
    }
    if (app->strip_scroll < 0) {
        app->strip_scroll = 0;
        strip_positions(app, l, xs, xs + n);
    }
    hs_render_clip(g, &l->strip);
    int line = hs_render_line_height(g, HS_FONT_NORMAL);
    for (int i = 0; i < n; i++) {
        float x = xs[i], w = xs[n + i];
        if (x > l->strip.x + l->strip.w || x + w < l->strip.x)
            continue;
        int special = (enc->flags[i] & HS_TOKEN_SPECIAL) != 0;
        hs_rgba fill = special ? (hs_rgba){1.0f, 0.93f, 0.84f, 1} : COLOR_PANEL;
        hs_render_rect(g, x, l->strip.y + 2, w, l->strip.h - 4, fill);
        int unit = app->shown.valid && app->shown.unit_of_token ? app->shown.unit_of_token[i] : i;
        int focused = unit == app->focus_token;
        hs_render_outline(g, x, l->strip.y + 2, w, l->strip.h - 4,
                          focused ? px(app, 2) : px(app, 1),
                          focused ? COLOR_FOCUS : COLOR_BORDER);
        char label[96];
        short_label(enc->labels[i], label, sizeof label, 24);
        hs_render_text(g, HS_FONT_NORMAL, label, x + px(app, 5),
                       l->strip.y + (l->strip.h - line) / 2.0f,
                       special ? COLOR_SPECIAL : COLOR_TEXT);
    }
    hs_render_clip(g, NULL);
    free(xs);
}

/* ---- grid -------------------------------------------------------------- */

const hs_matrix_texture *hs_app_texture(const hs_app *app, int layer, int head)
{
    if (!has_result(app))
        return NULL;
    const hs_result *r = app->run->result;
    if (layer < 0 || layer >= r->n_layers || head >= r->n_heads)
        return NULL;
    int index = head < 0 ? r->n_layers * r->n_heads + layer : layer * r->n_heads + head;
    return index < app->n_textures ? &app->textures[index] : NULL;
}

static void draw_grid(hs_app *app, const hs_layout *l)
{
    hs_renderer *g = app->render;
    hs_render_rect(g, l->grid.x, l->grid.y, l->grid.w, l->grid.h, COLOR_PANEL);
    hs_render_outline(g, l->grid.x, l->grid.y, l->grid.w, l->grid.h, px(app, 1), COLOR_BORDER);
    if (!app->model)
        return;
    const hs_config *c = &app->model->config;
    char text[128];
    snprintf(text, sizeof text, "%d layers × %d heads", c->n_layers, c->n_heads);
    hs_render_text(g, HS_FONT_NORMAL, text, l->grid.x + px(app, 8), l->grid.y + px(app, 6),
                   COLOR_TEXT);
    if (c->n_kv_heads < c->n_heads) {
        snprintf(text, sizeof text, "bars join the query heads that share one of %d key/value "
                 "heads", c->n_kv_heads);
        hs_render_text(g, HS_FONT_SMALL, text, l->grid.x + px(app, 8), l->grid.y + px(app, 26),
                       COLOR_MUTED);
    }

    /* Column headings: head numbers and the mean; with grouped-query attention,
     * a bar under the headings joins the heads that share a key/value head. */
    int small = hs_render_line_height(g, HS_FONT_SMALL);
    float head_y = l->grid_top - small - px(app, 4);
    int step = l->thumb < px(app, 26) ? 2 : 1;
    for (int k = 0; k <= c->n_heads; k++) {
        if (k < c->n_heads && k % step)
            continue;
        snprintf(text, sizeof text, k == c->n_heads ? "mean" : "%d", k);
        int w = hs_render_text_width(g, HS_FONT_SMALL, text);
        hs_render_text(g, HS_FONT_SMALL, text, grid_column_x(l, k) + (l->thumb - w) / 2.0f,
                       head_y, COLOR_MUTED);
    }
    if (c->n_kv_heads < c->n_heads) {
        int group = c->n_heads / c->n_kv_heads;
        for (int kv = 0; kv < c->n_kv_heads; kv++) {
            float x0 = grid_column_x(l, kv * group) + px(app, 2);
            float x1 = grid_column_x(l, (kv + 1) * group) - px(app, 2);
            hs_rgba color = kv % 2 ? COLOR_ACCENT : COLOR_SPECIAL;
            hs_render_rect(g, x0, l->grid_top - px(app, 3), x1 - x0, px(app, 2), color);
        }
    }

    float max_scroll = grid_scroll_max(app, l);
    if (app->grid_scroll > max_scroll)
        app->grid_scroll = max_scroll;
    if (app->grid_scroll < 0)
        app->grid_scroll = 0;
    SDL_Rect area = {l->grid.x + 1, l->grid_top, l->grid.w - 2,
                     l->grid.y + l->grid.h - l->grid_top - 1};
    hs_render_clip(g, &area);
    for (int layer = 0; layer < c->n_layers; layer++) {
        float y = l->grid_top + (float)layer * l->thumb - app->grid_scroll;
        if (y + l->thumb < area.y || y > area.y + area.h)
            continue;
        snprintf(text, sizeof text, "L%d", layer);
        hs_render_text(g, HS_FONT_SMALL, text, l->grid.x + px(app, 6),
                       y + (l->thumb - small) / 2.0f, COLOR_MUTED);
        for (int k = 0; k <= c->n_heads; k++) {
            int head = k == c->n_heads ? -1 : k;
            float x = grid_column_x(l, k);
            float inset = px(app, 1);
            const hs_matrix_texture *tex = hs_app_texture(app, layer, head);
            if (tex) {
                hs_render_matrix(g, tex, x + inset, y + inset, l->thumb - 2 * inset,
                                 l->thumb - 2 * inset, 0, 0, tex->cols, tex->rows, 1.0f);
            } else {
                hs_render_rect(g, x + inset, y + inset, l->thumb - 2 * inset,
                               l->thumb - 2 * inset, COLOR_BORDER);
            }
            hs_app_draw_badges(app, layer, head, x + inset, y + inset, l->thumb - 2 * inset);
            if (layer == app->preview_layer && head == app->preview_head)
                hs_render_outline(g, x, y, l->thumb, l->thumb, px(app, 1), COLOR_MUTED);
            if (layer == app->layer && head == app->head)
                hs_render_outline(g, x - px(app, 1), y - px(app, 1), l->thumb + px(app, 2),
                                  l->thumb + px(app, 2), px(app, 3), COLOR_FOCUS);
        }
    }
    hs_render_clip(g, NULL);
}

/* ---- main view helpers ------------------------------------------------- */

const float *hs_app_current_matrix(const hs_app *app, int *rows, int *cols)
{
    if (!has_result(app) || !app->shown.valid)
        return NULL;
    *rows = app->shown.n;
    *cols = app->shown.cols;
    return app->shown.values;
}

static void draw_view_buttons(hs_app *app, const hs_layout *l)
{
    static const char *const names[HS_VIEW_COUNT] = {"Heatmap", "Arcs", "Roles", "Compare"};
    hs_renderer *g = app->render;
    int line = hs_render_line_height(g, HS_FONT_SMALL);
    for (int i = 0; i < HS_VIEW_COUNT; i++) {
        const SDL_Rect *b = &l->view_buttons[i];
        int active = (int)app->view == i;
        hs_render_rect(g, b->x, b->y, b->w, b->h, active ? COLOR_ACCENT : COLOR_PANEL);
        hs_render_outline(g, b->x, b->y, b->w, b->h, px(app, 1), COLOR_ACCENT);
        int w = hs_render_text_width(g, HS_FONT_SMALL, names[i]);
        hs_render_text(g, HS_FONT_SMALL, names[i], b->x + (b->w - w) / 2.0f,
                       b->y + (b->h - line) / 2.0f, active ? COLOR_PANEL : COLOR_ACCENT);
    }
}

/* ---- heatmap ----------------------------------------------------------- */

int hs_app_heatmap_geometry(hs_app *app, const hs_layout *l, hs_heatmap_geometry *out)
{
    hs_app_update_shown(app);
    if (!has_result(app) || !app->shown.valid)
        return -1;
    hs_renderer *g = app->render;
    const hs_shown *shown = &app->shown;
    int n = shown->n;
    int small = hs_render_line_height(g, HS_FONT_SMALL);
    char label[64];

    /* Room for the longest (shortened) label on the left and on top. */
    int label_w = 0;
    for (int i = 0; i < n; i++) {
        short_label(shown->labels[i], label, sizeof label, 14);
        int w = hs_render_text_width(g, HS_FONT_SMALL, label);
        label_w = w > label_w ? w : label_w;
    }
    label_w += (int)px(app, 6);
    int left = (int)px(app, 8) + small + (int)px(app, 4) + label_w;
    int top = (int)px(app, 40) + small + (int)px(app, 4) + label_w;
    int right = (int)px(app, 84);
    int bottom = (int)px(app, 10) + small + (int)px(app, 8); /* room for the notice line */
    int avail_w = l->main.w - left - right, avail_h = l->main.h - top - bottom;
    if (avail_w < 20 || avail_h < 20)
        return -1;
    int cols = shown->cols;
    float fit = fminf((float)avail_w / (float)cols, (float)avail_h / (float)n);
    float cell = fit * app->zoom;

    /* The visible part, and the pan kept inside the matrix. */
    int width = (int)fminf((float)avail_w, cell * cols);
    int height = (int)fminf((float)avail_h, cell * n);
    float max_pan_x = fmaxf(0.0f, (float)cols - width / cell);
    float max_pan_y = fmaxf(0.0f, (float)n - height / cell);
    app->pan_x = fminf(fmaxf(app->pan_x, 0.0f), max_pan_x);
    app->pan_y = fminf(fmaxf(app->pan_y, 0.0f), max_pan_y);

    out->area = (SDL_Rect){l->main.x + left, l->main.y + top, width, height};
    out->cell = cell;
    out->x = out->area.x - app->pan_x * cell;
    out->y = out->area.y - app->pan_y * cell;
    out->label_step = (int)ceilf((float)(small + 1) / cell);
    if (out->label_step < 1)
        out->label_step = 1;
    return 0;
}

/* Returns the value the heatmap's colour scale ends at: 1, or the shown
 * matrix's largest value when R has switched to that. */
static float scale_top(const hs_app *app)
{
    if (!app->scale_to_max || !(app->shown.max_value > 0.0f))
        return 1.0f;
    return app->shown.max_value;
}

static void draw_colorbar(hs_app *app, float x, float y, float h)
{
    hs_renderer *g = app->render;
    const uint8_t(*table)[3] = hs_colormap_table(app->colormap);
    float w = px(app, 14);
    for (int i = 0; i < 256; i++) {
        float y0 = y + h - (float)(i + 1) * h / 256.0f;
        hs_rgba c = {table[i][0] / 255.0f, table[i][1] / 255.0f, table[i][2] / 255.0f, 1};
        hs_render_rect(g, x, y0, w, h / 256.0f + 0.5f, c);
    }
    hs_render_outline(g, x, y, w, h, 1, COLOR_BORDER);
    int small = hs_render_line_height(g, HS_FONT_SMALL);
    float top = scale_top(app);
    for (int t = 0; t <= 4; t++) {
        float value = t / 4.0f;
        float ty = y + h - value * h;
        char text[16];
        snprintf(text, sizeof text, top >= 0.1f ? "%.2f" : "%.3f", value * top);
        hs_render_rect(g, x + w, ty - 0.5f, px(app, 4), 1, COLOR_MUTED);
        hs_render_text(g, HS_FONT_SMALL, text, x + w + px(app, 6), ty - small / 2.0f,
                       COLOR_MUTED);
    }
}

/* Draws a tooltip beside the anchor point (a hovered cell's corner), so it
 * moves only when the hovered cell changes. */
static void draw_tooltip(hs_app *app, const char *text, float anchor_x, float anchor_y)
{
    hs_renderer *g = app->render;
    int w = hs_render_text_width(g, HS_FONT_NORMAL, text) + (int)px(app, 12);
    int h = hs_render_line_height(g, HS_FONT_NORMAL) + (int)px(app, 8);
    float x = anchor_x + px(app, 6), y = anchor_y + px(app, 6);
    if (x + w > app->width)
        x = anchor_x - w - px(app, 6);
    if (y + h > app->height)
        y = anchor_y - h - px(app, 6);
    hs_render_rect(g, x, y, w, h, (hs_rgba){0.12f, 0.13f, 0.16f, 0.95f});
    hs_render_text(g, HS_FONT_NORMAL, text, x + px(app, 6), y + px(app, 4), COLOR_PANEL);
}

static hs_rgba label_color(const hs_app *app, int i)
{
    if (i == app->focus_token)
        return COLOR_FOCUS;
    return app->shown.special[i] ? COLOR_SPECIAL : COLOR_TEXT;
}

static void draw_heatmap(hs_app *app, const hs_layout *l)
{
    hs_renderer *g = app->render;
    hs_heatmap_geometry geo;
    if (hs_app_heatmap_geometry(app, l, &geo) != 0)
        return;
    const hs_shown *shown = &app->shown;
    const hs_matrix_texture *tex = &shown->texture;
    int n = shown->n, cols = shown->cols;
    int small = hs_render_line_height(g, HS_FONT_SMALL);
    char label[64];

    /* cells: the visible part of the matrix */
    float col0 = app->pan_x, row0 = app->pan_y;
    hs_render_matrix(g, tex, geo.area.x, geo.area.y, geo.area.w, geo.area.h, col0, row0,
                     col0 + geo.area.w / geo.cell, row0 + geo.area.h / geo.cell,
                     1.0f / scale_top(app));
    hs_render_outline(g, geo.area.x - 1, geo.area.y - 1, geo.area.w + 2, geo.area.h + 2, 1,
                      COLOR_BORDER);

    /* focused row */
    SDL_Rect clip = geo.area;
    hs_render_clip(g, &clip);
    if (app->focus_token >= 0) {
        float fy = geo.y + app->focus_token * geo.cell;
        hs_render_outline(g, geo.area.x, fy, geo.area.w, geo.cell, px(app, 2), COLOR_FOCUS);
    }
    hs_render_clip(g, NULL);

    /* row labels (queries) on the left, column labels (keys) on top, turned */
    /* The label areas reach half a line past the heatmap's ends, so that the
     * labels of the first and last cells, centred on them, are not cut. */
    int half = small / 2 + 1;
    SDL_Rect rows_area = {l->main.x, geo.area.y - half, geo.area.x - l->main.x,
                          geo.area.h + 2 * half};
    hs_render_clip(g, &rows_area);
    for (int i = 0; i < n; i += geo.label_step) {
        float cy = geo.y + (i + 0.5f) * geo.cell;
        if (cy < geo.area.y - geo.cell || cy > geo.area.y + geo.area.h + geo.cell)
            continue;
        short_label(shown->labels[i], label, sizeof label, 14);
        int w = hs_render_text_width(g, HS_FONT_SMALL, label);
        hs_render_text(g, HS_FONT_SMALL, label, geo.area.x - px(app, 4) - w, cy - small / 2.0f,
                       label_color(app, i));
    }
    hs_render_clip(g, NULL);
    SDL_Rect cols_area = {geo.area.x - half, l->main.y, geo.area.w + 2 * half,
                          geo.area.y - l->main.y};
    hs_render_clip(g, &cols_area);
    for (int j = 0; j < cols; j += geo.label_step) {
        float cx = geo.x + (j + 0.5f) * geo.cell;
        if (cx < geo.area.x - geo.cell || cx > geo.area.x + geo.area.w + geo.cell)
            continue;
        int unit = shown->col_unit[j];
        short_label(shown->labels[unit], label, sizeof label, 14);
        int w = hs_render_text_width(g, HS_FONT_SMALL, label);
        hs_render_text_rotated(g, HS_FONT_SMALL, label, cx - small / 2.0f,
                               geo.area.y - px(app, 4) - w, label_color(app, unit));
    }
    hs_render_clip(g, NULL);

    /* axis names */
    float axis_x = l->main.x + px(app, 6);
    hs_render_text_rotated(g, HS_FONT_SMALL, "query (attending) →", axis_x, geo.area.y,
                           COLOR_MUTED);
    hs_render_text(g, HS_FONT_SMALL, "key (attended to) →", geo.area.x,
                   l->main.y + px(app, 36), COLOR_MUTED);

    draw_colorbar(app, geo.area.x + geo.area.w + px(app, 14), geo.area.y,
                  fminf(geo.area.h, px(app, 300)));

    /* hover: layer · head · 'query' → 'key' · weight */
    int mx = app->mouse_x, my = app->mouse_y;
    if (mx >= geo.area.x && mx < geo.area.x + geo.area.w && my >= geo.area.y &&
        my < geo.area.y + geo.area.h && !app->dragging) {
        int row = (int)floorf(((float)my - geo.y) / geo.cell);
        int col = (int)floorf(((float)mx - geo.x) / geo.cell);
        int rows_shown, cols_shown;
        const float *m = hs_app_current_matrix(app, &rows_shown, &cols_shown);
        if (m && row >= 0 && row < n && col >= 0 && col < cols) {
            char text[768];
            snprintf(text, sizeof text, "%s · '%s' → '%s' · %.3f", shown->title,
                     shown->labels[row], shown->labels[shown->col_unit[col]],
                     m[(size_t)row * cols + col]);
            hs_render_outline(g, geo.x + col * geo.cell, geo.y + row * geo.cell, geo.cell,
                              geo.cell, 1, COLOR_PANEL);
            draw_tooltip(app, text, geo.x + (col + 1) * geo.cell, geo.y + (row + 1) * geo.cell);
        }
    }
}

/* ---- arcs -------------------------------------------------------------- */

typedef struct {
    float left_x, right_x; /* label anchors: left labels end here, right ones start */
    float top, spacing;
    int step;
} arc_geometry;

static void arc_layout(hs_app *app, const hs_layout *l, arc_geometry *a)
{
    int n = app->shown.n;
    int small = hs_render_line_height(app->render, HS_FONT_SMALL);
    a->top = l->main.y + px(app, 56);
    /* Room below for the footer line and the notice line under the view. */
    float avail = l->main.y + l->main.h - 2 * small - px(app, 16) - a->top;
    a->spacing = fminf(avail / (float)n, small * 1.6f);
    a->step = (int)ceilf((float)(small + 1) / a->spacing);
    if (a->step < 1)
        a->step = 1;
    a->left_x = l->main.x + l->main.w * 0.30f;
    a->right_x = l->main.x + l->main.w * 0.70f;
}

int hs_app_arc_hit(hs_app *app, const hs_layout *l, int x, int y)
{
    hs_app_update_shown(app);
    if (!has_result(app) || app->view != HS_VIEW_ARCS || !app->shown.valid)
        return -1;
    arc_geometry a;
    arc_layout(app, l, &a);
    if (x < l->main.x || x > a.left_x + px(app, 4))
        return -1;
    int i = (int)floorf(((float)y - a.top) / a.spacing);
    return i >= 0 && i < app->shown.n ? i : -1;
}

static void draw_arcs(hs_app *app, const hs_layout *l)
{
    hs_renderer *g = app->render;
    int n, cols;
    const float *m = hs_app_current_matrix(app, &n, &cols);
    if (!m)
        return;
    const hs_shown *shown = &app->shown;
    int small = hs_render_line_height(g, HS_FONT_SMALL);
    arc_geometry a;
    arc_layout(app, l, &a);
    char label[64];
    const float threshold = 0.1f;

    /* arcs first, labels on top */
    float x0 = a.left_x + px(app, 6), x1 = a.right_x - px(app, 6);
    for (int i = 0; i < n; i++) {
        if (app->focus_token >= 0 && i != app->focus_token)
            continue;
        float y0 = a.top + (i + 0.5f) * a.spacing;
        for (int j = 0; j < cols; j++) {
            float w = m[(size_t)i * cols + j];
            if (app->focus_token < 0 && w < threshold)
                continue;
            if (w <= 0.0f)
                continue;
            float y1 = a.top + (j + 0.5f) * a.spacing;
            float dx = (x1 - x0) * 0.45f;
            const float p[8] = {x0, y0, x0 + dx, y0, x1 - dx, y1, x1, y1};
            hs_rgba color = COLOR_ACCENT;
            color.a = 0.15f + 0.85f * w;
            hs_render_curve(g, p, px(app, 0.8f) + px(app, 7.0f) * w, color);
        }
    }

    /* queries on the left, the keys left after hidden columns on the right */
    for (int i = 0; i < n; i += a.step) {
        float cy = a.top + (i + 0.5f) * a.spacing - small / 2.0f;
        short_label(shown->labels[i], label, sizeof label, 18);
        int w = hs_render_text_width(g, HS_FONT_SMALL, label);
        hs_render_text(g, HS_FONT_SMALL, label, a.left_x - w, cy, label_color(app, i));
    }
    for (int j = 0; j < cols; j += a.step) {
        int unit = shown->col_unit[j];
        float cy = a.top + (j + 0.5f) * a.spacing - small / 2.0f;
        short_label(shown->labels[unit], label, sizeof label, 18);
        hs_rgba right = shown->special[unit] ? COLOR_SPECIAL : COLOR_TEXT;
        hs_render_text(g, HS_FONT_SMALL, label, a.right_x, cy, right);
    }
    hs_render_text(g, HS_FONT_SMALL, "query (attending)", a.left_x - px(app, 110),
                   a.top - small - px(app, 8), COLOR_MUTED);
    hs_render_text(g, HS_FONT_SMALL, "key (attended to)", a.right_x, a.top - small - px(app, 8),
                   COLOR_MUTED);
    if (app->focus_token < 0) {
        char text[96];
        snprintf(text, sizeof text, "all arcs with weight ≥ %.2f; hover a token to focus it",
                 threshold);
        hs_render_text(g, HS_FONT_SMALL, text, l->main.x + px(app, 10),
                       l->main.y + l->main.h - 2 * small - px(app, 10), COLOR_MUTED);
    }
}

/* ---- main view, status, help ------------------------------------------ */

static void draw_main(hs_app *app, const hs_layout *l)
{
    hs_renderer *g = app->render;
    hs_render_rect(g, l->main.x, l->main.y, l->main.w, l->main.h, COLOR_PANEL);
    hs_render_outline(g, l->main.x, l->main.y, l->main.w, l->main.h, 1, COLOR_BORDER);
    draw_view_buttons(app, l);
    if (app->model && !app->model->has_tokenizer && !app->loading) {
        hs_render_text(g, HS_FONT_LARGE, "this model has no usable tokenizer",
                       l->main.x + px(app, 20), l->main.y + px(app, 50), COLOR_ERROR);
        SDL_Rect clip = l->main;
        hs_render_clip(g, &clip);
        hs_render_text(g, HS_FONT_SMALL, app->model->tokenizer_error, l->main.x + px(app, 20),
                       l->main.y + px(app, 84), COLOR_TEXT);
        hs_render_clip(g, NULL);
        return;
    }
    if (!has_result(app)) {
        const char *text = app->loading ? "loading the model…"
                           : app->model ? "type a sentence to see its attention"
                                        : "no model loaded: drop a model folder on the window";
        hs_render_text(g, HS_FONT_LARGE, text, l->main.x + px(app, 20), l->main.y + px(app, 50),
                       COLOR_MUTED);
        return;
    }
    if (app->view == HS_VIEW_ROLES) {
        hs_app_draw_roles(app, &l->main);
        return;
    }
    if (app->view == HS_VIEW_COMPARE) {
        hs_app_draw_compare(app, &l->main);
        return;
    }
    hs_app_update_shown(app);
    if (!app->shown.valid)
        return;
    hs_render_text(g, HS_FONT_LARGE, app->shown.title, l->main.x + px(app, 10),
                   l->main.y + px(app, 8), COLOR_TEXT);
    SDL_Rect notice_clip = {l->main.x, l->main.y, l->main.w - (int)px(app, 6), l->main.h};
    hs_render_clip(g, &notice_clip);
    char notice[320];
    snprintf(notice, sizeof notice, "%s", app->shown.notice);
    if (app->scale_to_max && app->view == HS_VIEW_HEATMAP) {
        size_t used = strlen(notice);
        snprintf(notice + used, sizeof notice - used,
                 "%scolours scaled to the largest value, %.3f (R)", used ? " · " : "",
                 (double)scale_top(app));
    }
    if (notice[0])
        hs_render_text(g, HS_FONT_SMALL, notice, l->main.x + px(app, 10),
                       l->main.y + l->main.h - hs_render_line_height(g, HS_FONT_SMALL) -
                           px(app, 6),
                       COLOR_FOCUS);
    hs_render_clip(g, NULL);
    if (app->view == HS_VIEW_HEATMAP)
        draw_heatmap(app, l);
    else
        draw_arcs(app, l);
}

static void draw_status(hs_app *app, const hs_layout *l)
{
    hs_renderer *g = app->render;
    hs_render_rect(g, l->status.x, l->status.y, l->status.w, l->status.h,
                   (hs_rgba){0.90f, 0.91f, 0.93f, 1});
    int line = hs_render_line_height(g, HS_FONT_SMALL);
    float y = l->status.y + (l->status.h - line) / 2.0f;
    char text[768];
    size_t used = 0;
    if (app->model)
        used += (size_t)snprintf(text + used, sizeof text - used, "%s (%s)", app->model->name,
                                 hs_arch_name(app->model->config.arch));
    else
        used += (size_t)snprintf(text + used, sizeof text - used, "no model");
    if (app->run && app->run->result) {
        const hs_run *run = app->run;
        used += (size_t)snprintf(text + used, sizeof text - used,
                                 " · %d tokens · forward pass %.1f ms", run->result->n,
                                 run->result->seconds * 1e3);
        if (run->n_input > run->result->n)
            used += (size_t)snprintf(text + used, sizeof text - used,
                                     " · input cut from %d to the model's maximum of %d tokens",
                                     run->n_input, run->result->n);
    }
    if (app->text_cut_bytes)
        used += (size_t)snprintf(text + used, sizeof text - used,
                                 " · text cut to the field's %zu bytes", app->text.length);
    if (app->model && app->model->config.arch != HS_ARCH_BERT && app->bos >= 0)
        used += (size_t)snprintf(text + used, sizeof text - used, " · BOS %s (B)",
                                 app->bos ? "on" : "off");
    used += (size_t)snprintf(text + used, sizeof text - used, " · colours: %s · F1 help",
                             hs_colormap_name(app->colormap));
    hs_render_text(g, HS_FONT_SMALL, text, px(app, 10), y, COLOR_TEXT);
    if (app->message[0]) {
        int w = hs_render_text_width(g, HS_FONT_SMALL, app->message);
        float x = l->status.w - w - px(app, 10);
        float min_x = px(app, 10) + hs_render_text_width(g, HS_FONT_SMALL, text) + px(app, 20);
        hs_render_text(g, HS_FONT_SMALL, app->message, x > min_x ? x : min_x, y,
                       app->message_is_error ? COLOR_ERROR : COLOR_MUTED);
    }
    if (app->loading) {
        float w = px(app, 200), h = px(app, 8);
        float x = l->status.w - w - px(app, 10);
        float by = l->status.y + (l->status.h - h) / 2.0f;
        hs_render_rect(g, x - px(app, 150), l->status.y, w + px(app, 160), l->status.h,
                       (hs_rgba){0.90f, 0.91f, 0.93f, 1});
        hs_render_text(g, HS_FONT_SMALL, "loading model", x - px(app, 140), y, COLOR_TEXT);
        hs_render_rect(g, x, by, w, h, COLOR_PANEL);
        hs_render_rect(g, x, by, w * app->load_progress, h, COLOR_ACCENT);
        hs_render_outline(g, x, by, w, h, 1, COLOR_BORDER);
    }
}

/* One row of the help overlay: a heading (key only, desc NULL), a key with
 * its description, or a line of prose (key NULL). */
typedef struct {
    const char *key;
    const char *desc;
} help_row;

static const help_row help_rows[] = {
    {"Keyboard", NULL},
    {"type", "edit the sentence; the model runs when you pause"},
    {"Ctrl+A / C / X / V", "select all, copy, cut, paste"},
    {"Esc", "leave the text field (then arrows select heads)"},
    {"Enter", "run now; outside a field: back to the text field"},
    {"← →", "previous / next head (the last column is the layer mean)"},
    {"↑ ↓", "previous / next layer (Alt+arrows work while typing)"},
    {"M", "mean of all heads of this layer"},
    {"A", "aggregate: layer max, mean of all heads, rollout, off"},
    {"S", "remove special-token columns ([CLS], [SEP], BOS), rows renormalised"},
    {"F", "remove the first column (the attention sink), rows renormalised"},
    {"W", "word view: to a word = sum of its pieces, from a word = mean"},
    {"B", "decoders: run with or without the BOS token"},
    {"E / Shift+E", "export the shown view / every head as PNG files"},
    {"Tab", "switch between heatmap, arcs, roles table and compare"},
    {"PageDown / PageUp", "next / previous lesson (opens compare mode)"},
    {"C", "switch colour map (viridis / cividis)"},
    {"R", "colour scale: 0 to 1, or 0 to the view's largest value"},
    {"0 or Home", "reset zoom"},
    {"F1 or ?", "show or hide this help"},
    {"Ctrl+Q", "quit"},
    {"Mouse", NULL},
    {"click a thumbnail", "select that head; hovering previews it"},
    {"click a token", "focus it (strip, heatmap row, or arc label)"},
    {"wheel on heatmap", "zoom around the pointer; drag to pan"},
    {"wheel on grid, strip", "scroll"},
    {"drop a folder", "load that model folder"},
    {"Reading the views", NULL},
    {NULL, "Rows are queries (the token that attends), columns are keys (the"},
    {NULL, "token attended to); each row sums to 1. Decoders (GPT-2, Llama) see"},
    {NULL, "only earlier tokens, so cells above the diagonal are 0. Layers and"},
    {NULL, "heads count from 0."},
    {NULL, "Badges: ← previous  → next  ↺ self  C first/[CLS]  S [SEP]"},
    {NULL, "· punctuation  ≈ broad (high row entropy)  ⚓ attention sink."},
    {NULL, "The roles table shows the thresholds and adjusts them."},
    {"Compare mode", NULL},
    {NULL, "Sentence A is the top field, B the second; click a token of A to"},
    {NULL, "pick the word. Each head is scored by 1 − cosine similarity of its"},
    {NULL, "output for the word in A and in B, the output being the attention-"},
    {NULL, "weighted sum of value vectors before the output projection:"},
    {NULL, "0 = the head treats the word the same, higher = differently."},
    {"Attention sinks", NULL},
    {NULL, "Many decoder heads put most of their weight on the first token"},
    {NULL, "(often BOS) whatever the input. Softmax must spend the whole row"},
    {NULL, "somewhere, and a head with nothing to add parks the weight on a"},
    {NULL, "token every query can see. This is normal, not a bug: press F to"},
    {NULL, "rescale each row without the first column, or B to run without BOS."},
};

/* Returns the lines a help row takes when its text is wrapped at desc_w
 * (a key's description) or column_w (prose). */
static int help_row_lines(hs_app *app, const help_row *row, float desc_w, float column_w)
{
    if (row->key && !row->desc)
        return 1;
    int lines = hs_app_wrapped_lines(app, HS_FONT_SMALL, row->desc, row->key ? desc_w : column_w);
    return lines > 0 ? lines : 1;
}

/* Draws the key and mouse help over the window: one column, or two when one
 * would be too tall, with descriptions wrapped to fit the window's width. */
static void draw_help(hs_app *app)
{
    hs_renderer *g = app->render;
    int count = (int)(sizeof help_rows / sizeof help_rows[0]);
    int line = hs_render_line_height(g, HS_FONT_SMALL) + (int)px(app, 3);
    float gap = px(app, 16), pad = px(app, 20), indent = px(app, 8);
    float room_w = app->width - px(app, 20), room_h = app->height - px(app, 20);

    /* Column widths: keys, then descriptions and prose. */
    float key_w = 0, text_w = 0;
    for (int i = 0; i < count; i++) {
        const help_row *row = &help_rows[i];
        if (row->key && row->desc)
            key_w = fmaxf(key_w, hs_render_text_width(g, HS_FONT_SMALL, row->key));
        if (row->desc)
            text_w = fmaxf(text_w, hs_render_text_width(g, HS_FONT_SMALL, row->desc));
    }

    /* Two columns, split at a heading, when one column would not fit. */
    int split = count;
    if (count * line + 2 * pad > room_h) {
        for (int i = count / 2; i < count; i++)
            if (help_rows[i].key && !help_rows[i].desc) {
                split = i;
                break;
            }
    }
    int columns = split < count ? 2 : 1;
    float desc_w = fminf(text_w, (room_w - 2 * pad - (columns - 1) * 2 * pad) / columns -
                                     indent - key_w - gap);
    if (desc_w < px(app, 160))
        desc_w = px(app, 160);
    float column_w = indent + key_w + gap + desc_w;

    /* With two columns, the heading to split at that balances their lines. */
    int row_lines[sizeof help_rows / sizeof help_rows[0]];
    int total = 0;
    for (int i = 0; i < count; i++) {
        row_lines[i] = help_row_lines(app, &help_rows[i], desc_w, column_w);
        total += row_lines[i];
    }
    if (columns == 2) {
        int before = 0, best = total;
        for (int i = 0; i < count; i++) {
            int taller = before > total - before ? before : total - before;
            if (i > 0 && help_rows[i].key && !help_rows[i].desc && taller < best) {
                best = taller;
                split = i;
            }
            before += row_lines[i];
        }
    }
    int lines[2] = {0, 0};
    for (int i = 0; i < count; i++)
        lines[i < split ? 0 : 1] += row_lines[i];
    int rows = lines[0] > lines[1] ? lines[0] : lines[1];
    float w = columns * column_w + (columns - 1) * pad * 2 + 2 * pad;
    float h = rows * line + 2 * pad;
    float x = fmaxf(0.0f, (app->width - w) / 2.0f), y = fmaxf(0.0f, (app->height - h) / 2.0f);
    hs_render_rect(g, 0, 0, app->width, app->height, (hs_rgba){0, 0, 0, 0.35f});
    hs_render_rect(g, x, y, w, h, COLOR_PANEL);
    hs_render_outline(g, x, y, w, h, px(app, 2), COLOR_ACCENT);
    float cy[2] = {y + pad, y + pad};
    for (int i = 0; i < count; i++) {
        const help_row *row = &help_rows[i];
        int column = i < split ? 0 : 1;
        float cx = x + pad + column * (column_w + 2 * pad);
        if (row->key && !row->desc) {
            hs_render_text(g, HS_FONT_SMALL, row->key, cx, cy[column], COLOR_ACCENT);
        } else if (row->key) {
            hs_render_text(g, HS_FONT_SMALL, row->key, cx + indent, cy[column], COLOR_TEXT);
            hs_app_draw_wrapped(app, HS_FONT_SMALL, row->desc, cx + indent + key_w + gap,
                                cy[column], desc_w, COLOR_TEXT);
        } else {
            hs_app_draw_wrapped(app, HS_FONT_SMALL, row->desc, cx + indent, cy[column],
                                column_w, COLOR_TEXT);
        }
        cy[column] += line * row_lines[i];
    }
}

void hs_app_draw(hs_app *app)
{
    hs_layout l;
    hs_render_begin(app->render, app->width, app->height);
    hs_render_set_colormap(app->render, app->colormap);
    hs_app_layout(app, &l);

    draw_field(app, &l.text, &app->text, &app->text_view, app->input_focus == HS_FOCUS_TEXT,
               "Type a sentence…");
    if (l.pair.w)
        draw_field(app, &l.pair, &app->pair, &app->pair_view, app->input_focus == HS_FOCUS_PAIR,
                   app->view == HS_VIEW_COMPARE ? "Sentence B, to compare with the sentence above"
                                                : "Second sentence of a pair (optional)");
    draw_strip(app, &l);
    draw_grid(app, &l);
    draw_main(app, &l);
    draw_status(app, &l);
    if (app->help_visible)
        draw_help(app);
    hs_render_flush(app->render);
    hs_render_trim_cache(app->render);
}
