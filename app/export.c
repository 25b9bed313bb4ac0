/*
 * export.c - per-head heatmap PNGs, the atlas and index.json, drawn into an
 * RGB buffer on the CPU (no window, no OpenGL).
 *
 * Dimension letters: L layers, h heads, n tokens. Attention is [L][h][n][n]
 * with row = query and column = key, as hs_forward() records it.
 */
#include "export.h"

#include "fonts.h"
#include "hs_error.h"
#include "hs_io.h"
#include "png.h"

#include <SDL.h>
#include <cjson/cJSON.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Pixel sizes of the three fonts. */
enum { TITLE_PX = 18, TEXT_PX = 13, CAPTION_PX = 11 };

/* Layout constants in pixels. */
enum {
    MARGIN = 20,
    GAP = 6,          /* between a label and what it names */
    TICK = 3,         /* tick mark beside a labelled token */
    MAX_CELL = 24,    /* cell side for short inputs */
    TARGET_SIDE = 1024, /* heatmap side that longer inputs shrink towards */
    MAX_LABEL_W = 160, /* longer labels end in an ellipsis */
    BAR_GAP = 24,
    BAR_W = 16,
    MIN_BAR_H = 128,
};

static const uint8_t TEXT_RGB[3] = {34, 34, 34};
static const uint8_t MUTED_RGB[3] = {96, 96, 96};
static const uint8_t FRAME_RGB[3] = {128, 128, 128};
/* Vermillion from the Okabe-Ito palette, which stays distinct with colour
 * blindness. */
static const uint8_t SPECIAL_RGB[3] = {213, 94, 0};


static const float TICK_VALUES[] = {0.0f, 0.25f, 0.5f, 0.75f, 1.0f};
static const char *const TICK_TEXT[] = {"0", "0.25", "0.5", "0.75", "1"};
#define TICK_COUNT 5

static int clamp_int(int value, int low, int high)
{
    if (value < low)
        return low;
    if (value > high)
        return high;
    return value;
}

/* ---- images ------------------------------------------------------------ */

typedef struct {
    int w, h;
    uint8_t *rgb; /* [h][w][3] */
} image;

static int image_create(image *img, int w, int h)
{
    img->w = w;
    img->h = h;
    img->rgb = malloc((size_t)w * (size_t)h * 3);
    if (!img->rgb) {
        hs_error_set("out of memory for a %dx%d image", w, h);
        return -1;
    }
    memset(img->rgb, 255, (size_t)w * (size_t)h * 3);
    return 0;
}

static void fill_rect(image *img, int x, int y, int w, int h, const uint8_t rgb[3])
{
    int x0 = x < 0 ? 0 : x, y0 = y < 0 ? 0 : y;
    int x1 = x + w > img->w ? img->w : x + w, y1 = y + h > img->h ? img->h : y + h;
    for (int yy = y0; yy < y1; yy++) {
        uint8_t *p = img->rgb + ((size_t)yy * img->w + x0) * 3;
        for (int xx = x0; xx < x1; xx++, p += 3)
            memcpy(p, rgb, 3);
    }
}

/* Draws a 1-pixel frame just outside the rectangle (x, y, w, h). */
static void frame_rect(image *img, int x, int y, int w, int h, const uint8_t rgb[3])
{
    fill_rect(img, x - 1, y - 1, w + 2, 1, rgb);
    fill_rect(img, x - 1, y + h, w + 2, 1, rgb);
    fill_rect(img, x - 1, y, 1, h, rgb);
    fill_rect(img, x + w, y, 1, h, rgb);
}

/* ---- text masks -------------------------------------------------------- */

/* Coverage of rendered text, drawn later in any colour. */
typedef struct {
    int w, h;
    uint8_t *alpha; /* [h][w] */
} mask;

static void mask_free(mask *m)
{
    free(m->alpha);
    memset(m, 0, sizeof *m);
}

/* Renders utf8 and keeps its alpha channel. */
static int mask_render(hs_fonts *fonts, const char *utf8, mask *out)
{
    SDL_Color white = {255, 255, 255, 255};
    SDL_Surface *surface = hs_fonts_render(fonts, utf8, white);
    memset(out, 0, sizeof *out);
    if (!surface)
        return -1;
    out->w = surface->w;
    out->h = surface->h;
    out->alpha = malloc((size_t)out->w * (size_t)out->h);
    if (!out->alpha) {
        SDL_FreeSurface(surface);
        hs_error_set("out of memory for a text mask");
        return -1;
    }
    for (int y = 0; y < out->h; y++) {
        const uint32_t *row = (const uint32_t *)((const uint8_t *)surface->pixels +
                                                 y * surface->pitch);
        for (int x = 0; x < out->w; x++)
            out->alpha[(size_t)y * out->w + x] = (uint8_t)(row[x] >> 24);
    }
    SDL_FreeSurface(surface);
    return 0;
}

/* Keeps rows [top, top + height) of m. */
static void mask_crop_rows(mask *m, int top, int height)
{
    memmove(m->alpha, m->alpha + (size_t)top * m->w, (size_t)height * m->w);
    m->h = height;
}

/* Rotates m a quarter turn counter-clockwise, so text reads bottom to top. */
static int mask_rotate(const mask *in, mask *out)
{
    out->w = in->h;
    out->h = in->w;
    out->alpha = malloc((size_t)out->w * (size_t)out->h);
    if (!out->alpha) {
        hs_error_set("out of memory for a text mask");
        return -1;
    }
    for (int y = 0; y < in->h; y++)
        for (int x = 0; x < in->w; x++)
            out->alpha[(size_t)(in->w - 1 - x) * out->w + y] = in->alpha[(size_t)y * in->w + x];
    return 0;
}

/* Blends m in colour rgb onto img with its top-left corner at (x, y). */
static void draw_mask(image *img, const mask *m, int x, int y, const uint8_t rgb[3])
{
    for (int my = 0; my < m->h; my++) {
        int iy = y + my;
        if (iy < 0 || iy >= img->h)
            continue;
        const uint8_t *a = m->alpha + (size_t)my * m->w;
        for (int mx = 0; mx < m->w; mx++) {
            int ix = x + mx;
            if (a[mx] == 0 || ix < 0 || ix >= img->w)
                continue;
            uint8_t *p = img->rgb + ((size_t)iy * img->w + ix) * 3;
            for (int c = 0; c < 3; c++)
                p[c] = (uint8_t)((p[c] * (255 - a[mx]) + rgb[c] * a[mx] + 127) / 255);
        }
    }
}

/* Returns the first and last rows of m with any coverage through top and
 * bottom, widening the range they already hold. */
static void mask_ink_rows(const mask *m, int *top, int *bottom)
{
    for (int y = 0; y < m->h; y++) {
        const uint8_t *a = m->alpha + (size_t)y * m->w;
        int ink = 0;
        for (int x = 0; x < m->w && !ink; x++)
            ink = a[x] != 0;
        if (ink) {
            *top = y < *top ? y : *top;
            *bottom = y > *bottom ? y : *bottom;
        }
    }
}

/* ---- labels ------------------------------------------------------------ */

/* Returns the text shown for a token label: a label with nothing visible is
 * spelled out by hs_label_visible() (a space as U+2423, open box), and a label
 * wider than max_width is cut and ends in an ellipsis. Caller frees. */
static char *fit_label(hs_fonts *fonts, const char *raw, int max_width)
{
    /* Invisible characters spelled out take at most 7 bytes for each byte. */
    size_t capacity = strlen(raw) * 7 + 1;
    char *visible = malloc(capacity);
    if (!visible)
        return NULL;
    hs_label_visible(raw, visible, capacity);
    size_t length = strlen(visible);
    char *text = malloc(length + 4);
    if (!text) {
        free(visible);
        return NULL;
    }
    memcpy(text, visible, length + 1);
    free(visible);

    int width = 0;
    if (hs_fonts_measure(fonts, text, &width) != 0 || width <= max_width)
        return text;
    /* Drop whole characters from the end until the rest and "…" fit. */
    size_t keep = length;
    while (keep > 0) {
        do
            keep--;
        while (keep > 0 && ((unsigned char)text[keep] & 0xC0) == 0x80);
        memcpy(text + keep, "\xE2\x80\xA6", 4); /* … and the NUL */
        if (hs_fonts_measure(fonts, text, &width) == 0 && width <= max_width)
            break;
    }
    return text;
}

/* ---- the exporter ------------------------------------------------------ */

/* Writes the subtitle of a head image: token count, counting, and which
 * tokens carry labels when not all do. */
static void format_subtitle(char *out, size_t size, int n, int step)
{
    int length = snprintf(out, size, "%d token%s \xC2\xB7 layers and heads counted from 0", n,
                          n == 1 ? "" : "s");
    if (step > 1 && length > 0 && (size_t)length < size) {
        const char *suffix = step % 10 == 2 && step % 100 != 12   ? "nd"
                             : step % 10 == 3 && step % 100 != 13 ? "rd"
                                                                  : "th";
        snprintf(out + length, size - (size_t)length,
                 " \xC2\xB7 every %d%s token labelled", step, suffix);
    }
}

/* Fonts, rendered labels and layout shared by every head of one input. */
typedef struct {
    const hs_export_input *in;
    int n;
    hs_fonts *title_font;
    hs_fonts *text_font;
    hs_fonts *caption_font;
    mask *row_labels;   /* [n] token labels, cropped to the rows any label inks */
    mask *col_labels;   /* [n] the same, rotated */
    int label_width;    /* widest row label */
    int label_height;   /* height of every row label */
    mask query_name;    /* rotated */
    mask key_name;
    mask ticks[TICK_COUNT];
    int tick_width;     /* widest tick label */

    /* Layout of a head image. */
    int side;           /* heatmap width and height */
    int step;           /* every step-th token is labelled */
    int map_x, map_y;   /* top-left corner of the heatmap */
    int subtitle_y;
    int query_y;        /* top of the rotated "query" name */
    int key_x;          /* left end of the "key" name */
    int bar_x, bar_h;
    int width, height;
} exporter;

static void exporter_free(exporter *ex)
{
    for (int i = 0; ex->row_labels && i < ex->n; i++)
        mask_free(&ex->row_labels[i]);
    for (int i = 0; ex->col_labels && i < ex->n; i++)
        mask_free(&ex->col_labels[i]);
    free(ex->row_labels);
    free(ex->col_labels);
    mask_free(&ex->query_name);
    mask_free(&ex->key_name);
    for (int i = 0; i < TICK_COUNT; i++)
        mask_free(&ex->ticks[i]);
    hs_fonts_close(ex->title_font);
    hs_fonts_close(ex->text_font);
    hs_fonts_close(ex->caption_font);
    memset(ex, 0, sizeof *ex);
}

/* Renders every token label once, for reuse across heads. */
static int render_labels(exporter *ex)
{
    const hs_encoding *enc = ex->in->encoding;
    int top = INT32_MAX, bottom = -1;

    ex->row_labels = calloc((size_t)ex->n, sizeof *ex->row_labels);
    ex->col_labels = calloc((size_t)ex->n, sizeof *ex->col_labels);
    if (!ex->row_labels || !ex->col_labels) {
        hs_error_set("out of memory for %d token labels", ex->n);
        return -1;
    }
    for (int i = 0; i < ex->n; i++) {
        char *text = fit_label(ex->text_font, enc->labels[i], MAX_LABEL_W);
        if (!text) {
            hs_error_set("out of memory for token label %d", i);
            return -1;
        }
        int status = mask_render(ex->text_font, text, &ex->row_labels[i]);
        free(text);
        if (status != 0)
            return -1;
        mask_ink_rows(&ex->row_labels[i], &top, &bottom);
    }

    /* Crop every label to the rows that any label inks, so labels sit on one
     * baseline and pack as tightly as their glyphs allow. */
    if (bottom < top) {
        top = 0;
        bottom = ex->row_labels[0].h - 1;
    }
    ex->label_height = bottom - top + 1;
    for (int i = 0; i < ex->n; i++) {
        mask_crop_rows(&ex->row_labels[i], top, ex->label_height);
        if (ex->row_labels[i].w > ex->label_width)
            ex->label_width = ex->row_labels[i].w;
        if (mask_rotate(&ex->row_labels[i], &ex->col_labels[i]) != 0)
            return -1;
    }
    return 0;
}

/* Renders the fixed texts and computes the head layout. */
static int exporter_init(exporter *ex, const hs_export_input *in)
{
    const hs_result *r = in->result;
    mask query = {0};
    char title[512];

    memset(ex, 0, sizeof *ex);
    ex->in = in;
    ex->n = r->n;
    if (!in->encoding || in->encoding->n != r->n) {
        hs_error_set("export: the encoding has %d tokens but the result has %d",
                     in->encoding ? in->encoding->n : 0, r->n);
        return -1;
    }
    if (r->n < 1) {
        hs_error_set("export: the result has no tokens");
        return -1;
    }
    ex->title_font = hs_fonts_open(TITLE_PX);
    ex->text_font = ex->title_font ? hs_fonts_open(TEXT_PX) : NULL;
    ex->caption_font = ex->text_font ? hs_fonts_open(CAPTION_PX) : NULL;
    if (!ex->caption_font)
        goto fail;
    if (render_labels(ex) != 0)
        goto fail;
    if (mask_render(ex->text_font, "query (attending)", &query) != 0 ||
        mask_rotate(&query, &ex->query_name) != 0 ||
        mask_render(ex->text_font, "key (attended)", &ex->key_name) != 0)
        goto fail;
    for (int i = 0; i < TICK_COUNT; i++) {
        if (mask_render(ex->text_font, TICK_TEXT[i], &ex->ticks[i]) != 0)
            goto fail;
        if (ex->ticks[i].w > ex->tick_width)
            ex->tick_width = ex->ticks[i].w;
    }
    if (in->scale_to_max) {
        /* Scaled tick labels have up to three decimals ("0.125"). */
        int widest = 0;
        if (hs_fonts_measure(ex->text_font, "0.000", &widest) != 0)
            goto fail;
        if (widest > ex->tick_width)
            ex->tick_width = widest;
    }
    mask_free(&query);

    /* Widths of the widest title and subtitle that any head gets. */
    int title_w = 0, subtitle_w = 0;
    snprintf(title, sizeof title, "%s \xC2\xB7 layer %d \xC2\xB7 head %d", in->model_name,
             r->n_layers - 1, r->n_heads - 1);
    if (hs_fonts_measure(ex->title_font, title, &title_w) != 0)
        goto fail;

    /* Horizontal: margin, "query", labels, ticks, heatmap, colour bar, ticks. */
    int line = hs_fonts_line_height(ex->text_font);
    ex->subtitle_y = MARGIN + hs_fonts_line_height(ex->title_font) + 2;
    ex->map_y = ex->subtitle_y + line + 16;
    ex->map_x = MARGIN + ex->query_name.w + GAP + ex->label_width + GAP + TICK;
    int right = BAR_GAP + BAR_W + TICK + GAP / 2 + ex->tick_width + MARGIN;
    int below = TICK + GAP + ex->label_width + GAP + ex->key_name.h + MARGIN;
    int extra = ex->map_x + right > ex->map_y + below ? ex->map_x + right : ex->map_y + below;

    /* Cells of MAX_CELL pixels for short inputs, shrinking to keep the
     * heatmap near TARGET_SIDE, down to 1 pixel per token. Inputs longer than
     * the largest image allows get several tokens per pixel. */
    int cell = clamp_int(TARGET_SIDE / ex->n, 1, MAX_CELL);
    ex->side = ex->n * cell;
    if (ex->side > HS_EXPORT_MAX_SIDE - extra)
        ex->side = HS_EXPORT_MAX_SIDE - extra;
    /* Labels are at least label_height + 2 pixels apart, so none overlap. */
    double pitch = (double)ex->side / ex->n;
    ex->step = 1;
    while (ex->step * pitch < ex->label_height + 2)
        ex->step++;

    format_subtitle(title, sizeof title, ex->n, ex->step);
    if (hs_fonts_measure(ex->text_font, title, &subtitle_w) != 0)
        goto fail;

    ex->bar_h = ex->side > MIN_BAR_H ? ex->side : MIN_BAR_H;
    ex->bar_x = ex->map_x + ex->side + BAR_GAP;
    ex->width = ex->bar_x + right - BAR_GAP;
    if (ex->width < 2 * MARGIN + title_w)
        ex->width = 2 * MARGIN + title_w;
    if (ex->width < 2 * MARGIN + subtitle_w)
        ex->width = 2 * MARGIN + subtitle_w;
    ex->height = ex->map_y + ex->side + below;
    if (ex->height < ex->map_y + ex->bar_h + line + MARGIN)
        ex->height = ex->map_y + ex->bar_h + line + MARGIN;

    /* Axis names are centred on the heatmap, but a heatmap of a few tokens is
     * shorter and narrower than they are: then "query" starts at the top of
     * the heatmap and "key" starts right of the "query" column. */
    ex->query_y = ex->map_y + ex->side / 2 - ex->query_name.h / 2;
    if (ex->query_y < ex->map_y)
        ex->query_y = ex->map_y;
    if (ex->height < ex->query_y + ex->query_name.h + MARGIN)
        ex->height = ex->query_y + ex->query_name.h + MARGIN;
    ex->key_x = ex->map_x + ex->side / 2 - ex->key_name.w / 2;
    if (ex->key_x < MARGIN + ex->query_name.w + GAP)
        ex->key_x = MARGIN + ex->query_name.w + GAP;
    if (ex->width < ex->key_x + ex->key_name.w + MARGIN)
        ex->width = ex->key_x + ex->key_name.w + MARGIN;

    if (ex->width > HS_EXPORT_MAX_SIDE)
        ex->width = HS_EXPORT_MAX_SIDE; /* only a very long model name gets here */
    return 0;
fail:
    mask_free(&query);
    exporter_free(ex);
    return -1;
}

/* ---- drawing ----------------------------------------------------------- */

/* Draws an [n][n] head as a side x side heatmap at (x, y). Pixel p covers
 * tokens [p * n / side, (p + 1) * n / side), and at least one. A pixel that
 * covers several tokens shows their largest weight. */
static void draw_heatmap(image *img, int x, int y, int side, const float *attn, int n,
                         hs_colormap map, float scale)
{
    uint8_t *row = img->rgb + ((size_t)y * img->w + x) * 3;
    int drawn_i0 = -1;

    for (int p = 0; p < side; p++, row += (size_t)img->w * 3) {
        int i0 = (int)((int64_t)p * n / side);
        int i1 = (int)((int64_t)(p + 1) * n / side);
        if (i1 <= i0)
            i1 = i0 + 1;
        if (i0 == drawn_i0 && i1 - i0 == 1) {
            /* Same token row as the pixel row above: copy it. */
            memcpy(row, row - (size_t)img->w * 3, (size_t)side * 3);
            continue;
        }
        drawn_i0 = i1 - i0 == 1 ? i0 : -1;
        for (int q = 0; q < side; q++) {
            int j0 = (int)((int64_t)q * n / side);
            int j1 = (int)((int64_t)(q + 1) * n / side);
            if (j1 <= j0)
                j1 = j0 + 1;
            float value = attn[(size_t)i0 * n + j0];
            for (int i = i0; i < i1; i++)
                for (int j = j0; j < j1; j++)
                    if (attn[(size_t)i * n + j] > value)
                        value = attn[(size_t)i * n + j];
            memcpy(row + (size_t)q * 3, hs_colormap_lookup(map, value * scale), 3);
        }
    }
}

/* Draws a vertical colour bar from top (usually 1) down to 0 with tick labels
 * to its right. */
static int draw_colorbar(image *img, const exporter *ex, int x, int y, int h, float top)
{
    for (int row = 0; row < h; row++) {
        float value = h > 1 ? 1.0f - (float)row / (float)(h - 1) : 1.0f;
        fill_rect(img, x, y + row, BAR_W, 1, hs_colormap_lookup(ex->in->colormap, value));
    }
    frame_rect(img, x, y, BAR_W, h, FRAME_RGB);
    for (int i = 0; i < TICK_COUNT; i++) {
        int ty = y + (int)((1.0f - TICK_VALUES[i]) * (float)(h - 1) + 0.5f);
        fill_rect(img, x + BAR_W, ty, TICK, 1, FRAME_RGB);
        if (top == 1.0f) {
            draw_mask(img, &ex->ticks[i], x + BAR_W + TICK + GAP / 2, ty - ex->ticks[i].h / 2,
                      TEXT_RGB);
            continue;
        }
        char text[16];
        mask label;
        snprintf(text, sizeof text, top >= 0.1f ? "%.2f" : "%.3f", TICK_VALUES[i] * top);
        if (mask_render(ex->text_font, text, &label) != 0)
            return -1;
        draw_mask(img, &label, x + BAR_W + TICK + GAP / 2, ty - label.h / 2, TEXT_RGB);
        mask_free(&label);
    }
    return 0;
}

/* Returns the value the colour scale ends at: 1, or the largest of the n x n
 * matrix when in->scale_to_max is set (1 when that largest is not positive). */
static float scale_top(const hs_export_input *in, const float *matrix, int n)
{
    if (!in->scale_to_max)
        return 1.0f;
    float top = 0.0f;
    for (size_t i = 0; i < (size_t)n * n; i++)
        if (matrix[i] > top)
            top = matrix[i];
    return top > 0.0f ? top : 1.0f;
}

/* Draws one line of text with its top-left corner at (x, y). */
static int draw_text(image *img, hs_fonts *fonts, const char *utf8, int x, int y,
                     const uint8_t rgb[3])
{
    mask m;
    if (mask_render(fonts, utf8, &m) != 0)
        return -1;
    draw_mask(img, &m, x, y, rgb);
    mask_free(&m);
    return 0;
}

/* Draws one head into a new image. */
/* Draws one [n][n] matrix of the input's tokens with its title. */
static int draw_matrix(const exporter *ex, const char *title, const float *matrix, image *img)
{
    const hs_export_input *in = ex->in;
    char text[512];

    if (image_create(img, ex->width, ex->height) != 0)
        return -1;

    snprintf(text, sizeof text, "%s \xC2\xB7 %s", in->model_name, title);
    if (draw_text(img, ex->title_font, text, MARGIN, MARGIN, TEXT_RGB) != 0)
        goto fail;
    format_subtitle(text, sizeof text, ex->n, ex->step);
    if (draw_text(img, ex->text_font, text, MARGIN, ex->subtitle_y, MUTED_RGB) != 0)
        goto fail;

    float top = scale_top(in, matrix, ex->n);
    draw_heatmap(img, ex->map_x, ex->map_y, ex->side, matrix, ex->n, in->colormap, 1.0f / top);
    frame_rect(img, ex->map_x, ex->map_y, ex->side, ex->side, FRAME_RGB);

    /* Token labels: queries to the left, keys below, every step-th token. */
    double pitch = (double)ex->side / ex->n;
    int labels_bottom = ex->map_y + ex->side + TICK + GAP;
    for (int i = 0; i < ex->n; i += ex->step) {
        const uint8_t *rgb = in->encoding->flags[i] & HS_TOKEN_SPECIAL ? SPECIAL_RGB : TEXT_RGB;
        int centre = (int)((i + 0.5) * pitch);
        const mask *row = &ex->row_labels[i];
        fill_rect(img, ex->map_x - 1 - TICK, ex->map_y + centre, TICK, 1, FRAME_RGB);
        draw_mask(img, row, ex->map_x - TICK - GAP - row->w, ex->map_y + centre - row->h / 2,
                  rgb);
        const mask *col = &ex->col_labels[i];
        fill_rect(img, ex->map_x + centre, ex->map_y + ex->side + 1, 1, TICK, FRAME_RGB);
        draw_mask(img, col, ex->map_x + centre - col->w / 2, ex->map_y + ex->side + TICK + GAP,
                  rgb);
    }

    draw_mask(img, &ex->query_name, MARGIN, ex->query_y, TEXT_RGB);
    draw_mask(img, &ex->key_name, ex->key_x, labels_bottom + ex->label_width + GAP, TEXT_RGB);

    if (draw_colorbar(img, ex, ex->bar_x, ex->map_y, ex->bar_h, top) != 0)
        goto fail;
    return 0;
fail:
    free(img->rgb);
    img->rgb = NULL;
    return -1;
}

static int draw_head(const exporter *ex, int layer, int head, image *img)
{
    char title[64];
    snprintf(title, sizeof title, "layer %d \xC2\xB7 head %d", layer, head);
    return draw_matrix(ex, title, hs_result_head(ex->in->result, layer, head), img);
}

/* ---- files ------------------------------------------------------------- */

/* Encodes img as PNG into path through a temporary file. */
static int write_png(const char *path, const image *img)
{
    hs_atomic_file file;
    if (hs_atomic_open(&file, path) != 0)
        return -1;
    if (hs_png_write(file.file, path, img->w, img->h, img->rgb) != 0) {
        hs_atomic_abort(&file);
        return -1;
    }
    return hs_atomic_commit(&file);
}

/* Joins dir and name into out; a name too long for out is an error. */
static int join_path(char *out, size_t size, const char *dir, const char *name)
{
    int length = snprintf(out, size, "%s/%s", dir, name);
    if (length < 0 || (size_t)length >= size) {
        hs_error_set("%s: path too long for file %s", dir, name);
        return -1;
    }
    return 0;
}

static int count_digits(int count)
{
    int digits = 1;
    for (int v = count - 1; v >= 10; v /= 10)
        digits++;
    return digits < 2 ? 2 : digits;
}

void hs_export_head_name(const hs_result *result, int layer, int head, char *out, size_t size)
{
    snprintf(out, size, "L%0*d-H%0*d.png", count_digits(result->n_layers), layer,
             count_digits(result->n_heads), head);
}

/* Checks that dir names an existing folder. */
static int check_dir(const char *dir)
{
    struct stat st;
    if (stat(dir, &st) != 0) {
        hs_error_set("%s: folder does not exist", dir);
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        hs_error_set("%s: not a folder", dir);
        return -1;
    }
    return 0;
}

static int check_head(const hs_result *r, int layer, int head)
{
    if (layer < 0 || layer >= r->n_layers) {
        hs_error_set("layer %d is out of range: the model has layers 0 to %d", layer,
                     r->n_layers - 1);
        return -1;
    }
    if (head < 0 || head >= r->n_heads) {
        hs_error_set("head %d is out of range: the model has heads 0 to %d", head,
                     r->n_heads - 1);
        return -1;
    }
    return 0;
}

/* Draws and writes one head with a ready exporter. */
static int write_head(const exporter *ex, int layer, int head, const char *dir, char *path,
                      size_t size)
{
    char name[64];
    image img = {0};
    hs_export_head_name(ex->in->result, layer, head, name, sizeof name);
    if (join_path(path, size, dir, name) != 0 || draw_head(ex, layer, head, &img) != 0)
        return -1;
    int status = write_png(path, &img);
    free(img.rgb);
    return status;
}

int hs_export_head(const hs_export_input *in, int layer, int head, const char *dir,
                   char *written_path, size_t size)
{
    exporter ex;
    char path[4096];

    if (check_head(in->result, layer, head) != 0 || check_dir(dir) != 0)
        return -1;
    if (exporter_init(&ex, in) != 0)
        return -1;
    int status = write_head(&ex, layer, head, dir, path, sizeof path);
    exporter_free(&ex);
    if (status == 0 && written_path)
        snprintf(written_path, size, "%s", path);
    return status;
}

int hs_export_matrix(const hs_export_input *in, const float *matrix, const char *title,
                     const char *file_name, const char *dir, char *written_path, size_t size)
{
    exporter ex;
    char path[4096];
    image img = {0};

    if (check_dir(dir) != 0 || join_path(path, sizeof path, dir, file_name) != 0)
        return -1;
    if (exporter_init(&ex, in) != 0)
        return -1;

    /* The image is sized for head titles; widen it for a longer one. */
    char full[512];
    int title_w = 0;
    snprintf(full, sizeof full, "%s \xC2\xB7 %s", in->model_name, title);
    if (hs_fonts_measure(ex.title_font, full, &title_w) == 0 && ex.width < 2 * MARGIN + title_w)
        ex.width = 2 * MARGIN + title_w;
    int status = draw_matrix(&ex, title, matrix, &img);
    if (status == 0)
        status = write_png(path, &img);
    free(img.rgb);
    exporter_free(&ex);
    if (status == 0 && written_path)
        snprintf(written_path, size, "%s", path);
    return status;
}

/* ---- atlas ------------------------------------------------------------- */

/* Draws the selected heads as thumbnails: one row per layer, one column per
 * head, each captioned "L3 H7", with a title and a colour bar. */
static int draw_atlas(const exporter *ex, const int *layers, int n_layers, const int *heads,
                      int n_heads, image *img)
{
    const hs_export_input *in = ex->in;
    int n = ex->n;
    int max_count = n_layers > n_heads ? n_layers : n_heads;
    char text[64];

    /* Thumbnails of about 1536 / max_count pixels (48 to 160), whole pixels
     * per token when the input is shorter than that. */
    int thumb = clamp_int(1536 / max_count, 48, 160);
    int caption_h = hs_fonts_line_height(ex->caption_font);
    int gap = 12;
    int line_h = hs_fonts_line_height(ex->text_font);
    int top = ex->map_y + line_h;
    int bar_room = BAR_GAP + BAR_W + TICK + GAP / 2 + ex->tick_width;
    int room = HS_EXPORT_MAX_SIDE - 2 * MARGIN - bar_room - top;
    if ((thumb + gap + caption_h + 2) * max_count > room)
        thumb = room / max_count - gap - caption_h - 2;
    if (thumb < 4) {
        hs_error_set("export: %d layers by %d heads do not fit in a %d-pixel atlas", n_layers,
                     n_heads, HS_EXPORT_MAX_SIDE);
        return -1;
    }
    int side = n <= thumb ? thumb / n * n : thumb;
    int pitch_x = side + gap, pitch_y = caption_h + 2 + side + gap;
    int grid_w = n_heads * pitch_x - gap, grid_h = n_layers * pitch_y - gap;
    int bar_h = clamp_int(grid_h, MIN_BAR_H, 512);

    /* A title and two lines of subtitle. */
    char lines[3][256];
    hs_fonts *line_fonts[3] = {ex->title_font, ex->text_font, ex->text_font};
    const uint8_t *line_colors[3] = {TEXT_RGB, MUTED_RGB, MUTED_RGB};
    int line_y[3] = {MARGIN, ex->subtitle_y, ex->subtitle_y + line_h};
    snprintf(lines[0], sizeof lines[0], "%s \xC2\xB7 every head", in->model_name);
    snprintf(lines[1], sizeof lines[1],
             "%d token%s \xC2\xB7 one row per layer, one column per head, counted from 0", n,
             n == 1 ? "" : "s");
    snprintf(lines[2], sizeof lines[2],
             "in each thumbnail rows are queries (attending) and columns keys (attended)");
    int width = MARGIN + grid_w + bar_room + MARGIN;
    for (int i = 0; i < 3; i++) {
        int line_w = 0;
        if (hs_fonts_measure(line_fonts[i], lines[i], &line_w) != 0)
            return -1;
        if (width < 2 * MARGIN + line_w)
            width = 2 * MARGIN + line_w;
    }
    width = width > HS_EXPORT_MAX_SIDE ? HS_EXPORT_MAX_SIDE : width;
    int bar_bottom = top + bar_h + line_h;
    int height = (top + grid_h > bar_bottom ? top + grid_h : bar_bottom) + MARGIN;

    if (image_create(img, width, height) != 0)
        return -1;
    for (int i = 0; i < 3; i++)
        if (draw_text(img, line_fonts[i], lines[i], MARGIN, line_y[i], line_colors[i]) != 0)
            goto fail;
    for (int a = 0; a < n_layers; a++) {
        for (int b = 0; b < n_heads; b++) {
            int x = MARGIN + b * pitch_x, y = top + a * pitch_y;
            snprintf(text, sizeof text, "L%d H%d", layers[a], heads[b]);
            if (draw_text(img, ex->caption_font, text, x, y, MUTED_RGB) != 0)
                goto fail;
            y += caption_h + 2;
            /* The atlas keeps the 0 to 1 scale, so its heads compare directly. */
            draw_heatmap(img, x, y, side, hs_result_head(in->result, layers[a], heads[b]), n,
                         in->colormap, 1.0f);
            frame_rect(img, x, y, side, side, FRAME_RGB);
        }
    }
    if (draw_colorbar(img, ex, MARGIN + grid_w + BAR_GAP, top, bar_h, 1.0f) != 0)
        goto fail;
    return 0;
fail:
    free(img->rgb);
    img->rgb = NULL;
    return -1;
}

/* ---- index.json -------------------------------------------------------- */

static cJSON *index_json(const hs_export_input *in, const char *const *files,
                         const int (*file_heads)[2], int head_files)
{
    const hs_encoding *enc = in->encoding;
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return NULL;
    cJSON_AddStringToObject(root, "model", in->model_name);
    if (in->text)
        cJSON_AddStringToObject(root, "text", in->text);
    else
        cJSON_AddNullToObject(root, "text");
    if (in->pair)
        cJSON_AddStringToObject(root, "pair", in->pair);
    else
        cJSON_AddNullToObject(root, "pair");
    cJSON_AddNumberToObject(root, "layers", in->result->n_layers);
    cJSON_AddNumberToObject(root, "heads", in->result->n_heads);
    cJSON_AddStringToObject(root, "counting", "layers, heads and tokens are counted from 0");
    cJSON_AddStringToObject(root, "axes", "rows are queries (attending tokens), columns are "
                                          "keys (attended tokens)");
    cJSON_AddStringToObject(root, "colormap", hs_colormap_name(in->colormap));
    cJSON_AddStringToObject(root, "scale", in->scale_to_max ? "max" : "1");

    cJSON *ids = cJSON_AddArrayToObject(root, "ids");
    cJSON *tokens = cJSON_AddArrayToObject(root, "tokens");
    cJSON *labels = cJSON_AddArrayToObject(root, "labels");
    cJSON *special = cJSON_AddArrayToObject(root, "special");
    for (int i = 0; i < enc->n; i++) {
        cJSON_AddItemToArray(ids, cJSON_CreateNumber(enc->ids[i]));
        cJSON_AddItemToArray(tokens, cJSON_CreateString(enc->tokens[i]));
        cJSON_AddItemToArray(labels, cJSON_CreateString(enc->labels[i]));
        cJSON_AddItemToArray(special, cJSON_CreateBool(enc->flags[i] & HS_TOKEN_SPECIAL));
    }

    cJSON_AddStringToObject(root, "atlas", "atlas.png");
    cJSON *list = cJSON_AddArrayToObject(root, "files");
    for (int i = 0; i < head_files; i++) {
        cJSON *entry = cJSON_CreateObject();
        cJSON_AddStringToObject(entry, "file", files[i]);
        cJSON_AddNumberToObject(entry, "layer", file_heads[i][0]);
        cJSON_AddNumberToObject(entry, "head", file_heads[i][1]);
        cJSON_AddItemToArray(list, entry);
    }
    return root;
}

static int write_index(const char *path, const hs_export_input *in, const char *const *files,
                       const int (*file_heads)[2], int head_files)
{
    cJSON *root = index_json(in, files, file_heads, head_files);
    char *text = root ? cJSON_Print(root) : NULL;
    hs_atomic_file file;
    int status = -1;

    cJSON_Delete(root);
    if (!text) {
        hs_error_set("%s: out of memory building the JSON", path);
        return -1;
    }
    if (hs_atomic_open(&file, path) == 0) {
        fputs(text, file.file);
        fputc('\n', file.file);
        status = hs_atomic_commit(&file);
    }
    free(text);
    return status;
}

/* ---- all heads --------------------------------------------------------- */

/* Files of one export, written into a private staging folder inside the
 * export folder and moved into place only when every file is written. A
 * failed export (a full disk, say) therefore leaves the files of an earlier
 * export untouched. */
typedef struct {
    char staging[4096];
    char **names; /* file names, relative to both folders */
    int count, capacity;
} export_batch;

static int batch_begin(export_batch *batch, const char *dir, int capacity)
{
    memset(batch, 0, sizeof *batch);
    batch->names = calloc((size_t)capacity, sizeof *batch->names);
    batch->capacity = capacity;
    if (!batch->names) {
        hs_error_set("out of memory");
        return -1;
    }
    if (join_path(batch->staging, sizeof batch->staging, dir, ".headscope-export-XXXXXX") != 0)
        return -1;
    if (!mkdtemp(batch->staging)) {
        hs_error_set("%s: cannot create a file in the folder: %s", dir, strerror(errno));
        batch->staging[0] = '\0';
        return -1;
    }
    return 0;
}

/* Records a file written into the staging folder. */
static int batch_add(export_batch *batch, const char *name)
{
    HS_ASSERT(batch->count < batch->capacity);
    batch->names[batch->count] = strdup(name);
    if (!batch->names[batch->count]) {
        hs_error_set("out of memory");
        return -1;
    }
    batch->count++;
    return 0;
}

/* Moves every staged file into dir. Targets are checked first, so a
 * folder or device in the way stops the export before any file moves. */
static int batch_commit(export_batch *batch, const char *dir)
{
    char target[4096];
    for (int i = 0; i < batch->count; i++) {
        struct stat st;
        if (join_path(target, sizeof target, dir, batch->names[i]) != 0)
            return -1;
        if (lstat(target, &st) == 0 && !S_ISREG(st.st_mode)) {
            hs_error_set("%s: exists and is not a regular file; not replaced", target);
            return -1;
        }
    }
    char staged[4096];
    for (int i = 0; i < batch->count; i++) {
        if (join_path(staged, sizeof staged, batch->staging, batch->names[i]) != 0 ||
            join_path(target, sizeof target, dir, batch->names[i]) != 0)
            return -1;
        if (rename(staged, target) != 0) {
            hs_error_set("%s: cannot move into place: %s", target, strerror(errno));
            return -1;
        }
        free(batch->names[i]);
        batch->names[i] = NULL;
    }
    return 0;
}

/* Rewrites an error about a staged file to name the file's place in dir. */
static void batch_name_error(const export_batch *batch, const char *dir)
{
    const char *message = hs_error_message();
    const char *at = batch->staging[0] ? strstr(message, batch->staging) : NULL;
    if (!at)
        return;
    char copy[2048];
    snprintf(copy, sizeof copy, "%.*s%s%s", (int)(at - message), message, dir,
             at + strlen(batch->staging));
    hs_error_set("%s", copy);
}

/* Removes what is left in the staging folder, and the folder. */
static void batch_end(export_batch *batch)
{
    char staged[4096];
    for (int i = 0; i < batch->count; i++) {
        if (batch->names[i] &&
            join_path(staged, sizeof staged, batch->staging, batch->names[i]) == 0)
            unlink(staged);
        free(batch->names[i]);
    }
    free(batch->names);
    if (batch->staging[0])
        rmdir(batch->staging);
    memset(batch, 0, sizeof *batch);
}

int hs_export_all(const hs_export_input *in, int layer, int head, const char *dir,
                  int *file_count)
{
    const hs_result *r = in->result;
    exporter ex = {0};
    export_batch batch = {0};
    int n_layers = layer < 0 ? r->n_layers : 1, n_heads = head < 0 ? r->n_heads : 1;
    int total = n_layers * n_heads;
    int *layers = malloc((size_t)n_layers * sizeof *layers);
    int *heads = malloc((size_t)n_heads * sizeof *heads);
    int (*file_heads)[2] = malloc((size_t)total * sizeof *file_heads);
    int status = -1;
    char path[4096];
    image atlas = {0};

    if (file_count)
        *file_count = 0;
    if (!layers || !heads || !file_heads) {
        hs_error_set("out of memory");
        goto done;
    }
    if (check_head(r, layer < 0 ? 0 : layer, head < 0 ? 0 : head) != 0 || check_dir(dir) != 0)
        goto done;
    for (int a = 0; a < n_layers; a++)
        layers[a] = layer < 0 ? a : layer;
    for (int b = 0; b < n_heads; b++)
        heads[b] = head < 0 ? b : head;
    if (exporter_init(&ex, in) != 0 || batch_begin(&batch, dir, total + 2) != 0)
        goto done;

    for (int a = 0; a < n_layers; a++) {
        for (int b = 0; b < n_heads; b++) {
            if (write_head(&ex, layers[a], heads[b], batch.staging, path, sizeof path) != 0 ||
                batch_add(&batch, strrchr(path, '/') + 1) != 0)
                goto done;
            file_heads[batch.count - 1][0] = layers[a];
            file_heads[batch.count - 1][1] = heads[b];
        }
    }

    if (join_path(path, sizeof path, batch.staging, "atlas.png") != 0 ||
        draw_atlas(&ex, layers, n_layers, heads, n_heads, &atlas) != 0 ||
        write_png(path, &atlas) != 0 || batch_add(&batch, "atlas.png") != 0)
        goto done;

    /* index.json names the files relative to dir. */
    if (join_path(path, sizeof path, batch.staging, "index.json") != 0 ||
        write_index(path, in, (const char *const *)batch.names, (const int(*)[2])file_heads,
                    total) != 0 ||
        batch_add(&batch, "index.json") != 0)
        goto done;
    if (batch_commit(&batch, dir) != 0)
        goto done;
    status = 0;
    if (file_count)
        *file_count = batch.count;
done:
    if (status != 0)
        batch_name_error(&batch, dir);
    batch_end(&batch);
    free(atlas.rgb);
    exporter_free(&ex);
    free(file_heads);
    free(heads);
    free(layers);
    return status;
}
