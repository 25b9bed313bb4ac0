/*
 * test_export.c - colour maps, fonts and the PNG exporter, on attention
 * built by hand (no model): file names and sizes, cell colours, labels,
 * title, index.json, and the failures on missing or unwritable folders.
 */
#include "test_util.h"

#include "export.h"
#include "fonts.h"
#include "hs_colormap.h"
#include "hs_error.h"

#include <dirent.h>
#include <math.h>
#include <stb/stb_image.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- fixtures built by hand ------------------------------------------- */

/* An input of n tokens labelled labels[i] (token 0 and n - 1 special), with
 * every head of every layer set to the same weights: 1.0 on the diagonal,
 * 0.5 at row 2, column 0 (when n > 2), 0 elsewhere. */
typedef struct {
    hs_encoding enc;
    hs_result *result;
    hs_export_input input;
} test_input;

static void test_input_make(test_input *t, int layers, int heads, int n, const char **labels)
{
    memset(t, 0, sizeof *t);
    t->enc.n = n;
    t->enc.ids = calloc((size_t)n, sizeof *t->enc.ids);
    t->enc.tokens = calloc((size_t)n, sizeof *t->enc.tokens);
    t->enc.labels = calloc((size_t)n, sizeof *t->enc.labels);
    t->enc.flags = calloc((size_t)n, sizeof *t->enc.flags);
    assert_non_null(t->enc.ids);
    assert_non_null(t->enc.tokens);
    assert_non_null(t->enc.labels);
    assert_non_null(t->enc.flags);
    for (int i = 0; i < n; i++) {
        char generated[32];
        snprintf(generated, sizeof generated, "t%d", i);
        t->enc.ids[i] = 100 + i;
        t->enc.labels[i] = strdup(labels ? labels[i] : generated);
        t->enc.tokens[i] = strdup(t->enc.labels[i]);
        t->enc.flags[i] = i == 0 || i == n - 1 ? HS_TOKEN_SPECIAL : HS_TOKEN_NORMAL;
    }

    t->result = calloc(1, sizeof *t->result);
    assert_non_null(t->result);
    t->result->n_layers = layers;
    t->result->n_heads = heads;
    t->result->n = n;
    t->result->n_input = n;
    t->result->attn = calloc((size_t)layers * heads * n * n, sizeof(float));
    assert_non_null(t->result->attn);
    for (size_t h = 0; h < (size_t)layers * heads; h++) {
        float *a = t->result->attn + h * n * n;
        for (int i = 0; i < n; i++)
            a[(size_t)i * n + i] = 1.0f;
        if (n > 2)
            a[2 * n + 0] = 0.5f;
    }

    t->input.model_name = "test-model";
    t->input.text = "some text";
    t->input.pair = "a pair";
    t->input.encoding = &t->enc;
    t->input.result = t->result;
    t->input.colormap = HS_COLORMAP_VIRIDIS;
}

static void test_input_free(test_input *t)
{
    for (int i = 0; i < t->enc.n; i++) {
        free(t->enc.labels[i]);
        free(t->enc.tokens[i]);
    }
    free(t->enc.ids);
    free(t->enc.tokens);
    free(t->enc.labels);
    free(t->enc.flags);
    hs_result_free(t->result);
}

/* ---- helpers ----------------------------------------------------------- */

typedef struct {
    int w, h;
    unsigned char *rgb;
} png;

static png load_png(const char *path)
{
    png p = {0};
    int channels = 0;
    p.rgb = stbi_load(path, &p.w, &p.h, &channels, 3);
    if (!p.rgb)
        fail_msg("%s: cannot decode: %s", path, stbi_failure_reason());
    return p;
}

static const unsigned char *pixel(const png *p, int x, int y)
{
    assert_true(x >= 0 && x < p->w && y >= 0 && y < p->h);
    return p->rgb + ((size_t)y * p->w + x) * 3;
}

static int same_rgb(const unsigned char *a, const uint8_t *b)
{
    return a[0] == b[0] && a[1] == b[1] && a[2] == b[2];
}

static int is_white(const unsigned char *a)
{
    return a[0] == 255 && a[1] == 255 && a[2] == 255;
}

/* Counts pixels that are not white in the rectangle [x0, x1) x [y0, y1). */
static int ink_in(const png *p, int x0, int y0, int x1, int y1)
{
    int count = 0;
    for (int y = y0 < 0 ? 0 : y0; y < y1 && y < p->h; y++)
        for (int x = x0 < 0 ? 0 : x0; x < x1 && x < p->w; x++)
            count += !is_white(pixel(p, x, y));
    return count;
}

/* Finds the heatmap: its top-left cell shows 1.0, and it is the first pixel
 * of that colour in reading order (the colour bar lies to its right). */
static void find_heatmap(const png *p, hs_colormap map, int *x, int *y, int *cell)
{
    const uint8_t *top = hs_colormap_table(map)[255];
    for (int yy = 0; yy < p->h; yy++) {
        for (int xx = 0; xx < p->w; xx++) {
            if (same_rgb(pixel(p, xx, yy), top)) {
                *x = xx;
                *y = yy;
                int w = 0;
                while (xx + w < p->w && same_rgb(pixel(p, xx + w, yy), top))
                    w++;
                *cell = w;
                return;
            }
        }
    }
    fail_msg("no pixel in the colour of 1.0");
}

/* Counts the entries of a folder other than "." and "..", and those whose
 * name contains ".tmp". */
static int count_entries(const char *dir, int *temporary)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int count = 0;
    *temporary = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        count++;
        *temporary += strstr(e->d_name, ".tmp") != NULL ||
                      strncmp(e->d_name, ".headscope-export", 17) == 0;
    }
    closedir(d);
    return count;
}

/* ---- colour maps ------------------------------------------------------- */

static void colormap_index_rounds_and_clamps(void **state)
{
    assert_int_equal(hs_colormap_index(0.0f), 0);
    assert_int_equal(hs_colormap_index(1.0f), 255);
    assert_int_equal(hs_colormap_index(0.5f), 128); /* 127.5 rounds up */
    assert_int_equal(hs_colormap_index(0.25f), 64); /* 63.75 */
    assert_int_equal(hs_colormap_index(-0.5f), 0);
    assert_int_equal(hs_colormap_index(7.0f), 255);
    assert_int_equal(hs_colormap_index(NAN), 0);
}

static void colormap_tables_match_matplotlib(void **state)
{
    /* Ends of matplotlib 3.6's viridis and cividis, times 255, rounded. */
    const uint8_t(*viridis)[3] = hs_colormap_table(HS_COLORMAP_VIRIDIS);
    const uint8_t(*cividis)[3] = hs_colormap_table(HS_COLORMAP_CIVIDIS);
    assert_memory_equal(viridis[0], ((uint8_t[]){68, 1, 84}), 3);
    assert_memory_equal(viridis[255], ((uint8_t[]){253, 231, 37}), 3);
    assert_memory_equal(cividis[0], ((uint8_t[]){0, 34, 78}), 3);
    assert_memory_equal(cividis[255], ((uint8_t[]){254, 232, 56}), 3);
    assert_ptr_equal(hs_colormap_lookup(HS_COLORMAP_VIRIDIS, 0.5f), viridis[128]);
}

static void colormap_names_round_trip(void **state)
{
    hs_colormap map = HS_COLORMAP_VIRIDIS;
    assert_int_equal(hs_colormap_from_name("Cividis", &map), 0);
    assert_int_equal(map, HS_COLORMAP_CIVIDIS);
    assert_string_equal(hs_colormap_name(map), "cividis");
    assert_int_equal(hs_colormap_from_name("viridis", &map), 0);
    assert_int_equal(map, HS_COLORMAP_VIRIDIS);
    assert_int_equal(hs_colormap_from_name("jet", &map), -1);
    assert_non_null(strstr(hs_error_message(), "'jet'"));
    assert_non_null(strstr(hs_error_message(), "viridis and cividis"));
}

/* ---- fonts ------------------------------------------------------------- */

/* Counts the pixels of a rendered surface with any coverage. */
static int surface_ink(SDL_Surface *s)
{
    int count = 0;
    for (int y = 0; y < s->h; y++) {
        const uint32_t *row = (const uint32_t *)((const uint8_t *)s->pixels + y * s->pitch);
        for (int x = 0; x < s->w; x++)
            count += (row[x] >> 24) != 0;
    }
    return count;
}

static void fonts_render_latin_and_cjk(void **state)
{
    hs_fonts *fonts = hs_fonts_open(16);
    if (!fonts)
        fail_msg("%s", hs_error_message());
    assert_non_null(hs_fonts_file(fonts, 0));
    assert_non_null(hs_fonts_file(fonts, 1));
    assert_null(hs_fonts_file(fonts, 99));
    SDL_Color black = {0, 0, 0, 255};

    static const char *const texts[] = {"Attention", "\xE6\x9D\xB1\xE4\xBA\xAC" /* 東京 */,
                                        "\xED\x95\x9C" /* 한 */, "caf\xC3\xA9"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        int width = 0;
        assert_int_equal(hs_fonts_measure(fonts, texts[i], &width), 0);
        SDL_Surface *s = hs_fonts_render(fonts, texts[i], black);
        assert_non_null(s);
        assert_int_equal(s->format->format, SDL_PIXELFORMAT_ARGB8888);
        assert_int_equal(s->w, width);
        assert_int_equal(s->h, hs_fonts_line_height(fonts));
        assert_true(surface_ink(s) > 20);
        SDL_FreeSurface(s);
    }
    hs_fonts_close(fonts);
}

static void fonts_draw_box_for_missing(void **state)
{
    /* U+10FFFD is a private-use character that no font is expected to have. */
    hs_fonts *fonts = hs_fonts_open(16);
    assert_non_null(fonts);
    SDL_Color black = {0, 0, 0, 255};
    int plain = 0, with_missing = 0, alone = 0;
    assert_int_equal(hs_fonts_measure(fonts, "ab", &plain), 0);
    assert_int_equal(hs_fonts_measure(fonts, "a\xF4\x8F\xBF\xBD" "b", &with_missing), 0);
    assert_int_equal(hs_fonts_measure(fonts, "\xF4\x8F\xBF\xBD", &alone), 0);
    assert_true(alone > 4);
    assert_int_equal(with_missing, plain + alone);

    SDL_Surface *s = hs_fonts_render(fonts, "\xF4\x8F\xBF\xBD", black);
    assert_non_null(s);
    assert_int_equal(s->w, alone);
    assert_true(surface_ink(s) > 10); /* the outline of the box */
    SDL_FreeSurface(s);

    /* Invalid UTF-8 is drawn (as U+FFFD), not dropped. */
    int invalid = 0;
    assert_int_equal(hs_fonts_measure(fonts, "a\xFF" "b", &invalid), 0);
    assert_true(invalid > plain);
    hs_fonts_close(fonts);
}

static void fonts_open_two_sizes(void **state)
{
    hs_fonts *small = hs_fonts_open(10);
    hs_fonts *large = hs_fonts_open(30);
    assert_non_null(small);
    assert_non_null(large);
    int small_w = 0, large_w = 0;
    assert_int_equal(hs_fonts_measure(small, "query", &small_w), 0);
    assert_int_equal(hs_fonts_measure(large, "query", &large_w), 0);
    assert_true(large_w > 2 * small_w);
    hs_fonts_close(small);
    SDL_Color black = {0, 0, 0, 255};
    SDL_Surface *s = hs_fonts_render(large, "still open", black);
    assert_non_null(s);
    SDL_FreeSurface(s);
    hs_fonts_close(large);
}

/* ---- names ------------------------------------------------------------- */

static void head_names_pad_to_counts(void **state)
{
    hs_result r = {.n_layers = 12, .n_heads = 12};
    char name[64];
    hs_export_head_name(&r, 3, 7, name, sizeof name);
    assert_string_equal(name, "L03-H07.png");
    r.n_layers = 4;
    r.n_heads = 2;
    hs_export_head_name(&r, 0, 1, name, sizeof name);
    assert_string_equal(name, "L00-H01.png");
    r.n_layers = 100;
    r.n_heads = 128;
    hs_export_head_name(&r, 5, 99, name, sizeof name);
    assert_string_equal(name, "L05-H099.png"); /* layers 0 to 99 need 2 digits */
    r.n_layers = 101;
    r.n_heads = 101;
    hs_export_head_name(&r, 100, 100, name, sizeof name);
    assert_string_equal(name, "L100-H100.png");
}

/* ---- one head ---------------------------------------------------------- */

static void export_head_draws_cells_labels_title(void **state)
{
    static const char *labels[] = {"[CLS]", "the", "cat", "sat", "[SEP]"};
    test_input t;
    test_input_make(&t, 2, 3, 5, labels);
    const char *dir = hs_test_tmpdir("export-head");
    char path[4096];

    if (hs_export_head(&t.input, 1, 2, dir, path, sizeof path) != 0)
        fail_msg("%s", hs_error_message());
    assert_non_null(strstr(path, "/L01-H02.png"));
    int temporary = 0;
    assert_int_equal(count_entries(dir, &temporary), 1);
    assert_int_equal(temporary, 0);

    png p = load_png(path);
    assert_true(p.w > 200 && p.w <= HS_EXPORT_MAX_SIDE);
    assert_true(p.h > 200 && p.h <= HS_EXPORT_MAX_SIDE);
    assert_true(is_white(pixel(&p, 0, 0)));

    /* Short inputs get 24-pixel cells. */
    int x0, y0, cell;
    find_heatmap(&p, HS_COLORMAP_VIRIDIS, &x0, &y0, &cell);
    assert_int_equal(cell, 24);
    const uint8_t(*table)[3] = hs_colormap_table(HS_COLORMAP_VIRIDIS);
    for (int i = 0; i < 5; i++) {
        for (int j = 0; j < 5; j++) {
            float w = 0.0f;
            if (i == j)
                w = 1.0f;
            else if (i == 2 && j == 0)
                w = 0.5f;
            const uint8_t *want = table[hs_colormap_index(w)];
            /* The centre and two corners of each cell. */
            assert_true(same_rgb(pixel(&p, x0 + j * cell + cell / 2, y0 + i * cell + cell / 2),
                                 want));
            assert_true(same_rgb(pixel(&p, x0 + j * cell, y0 + i * cell), want));
            assert_true(same_rgb(pixel(&p, x0 + j * cell + cell - 1, y0 + i * cell + cell - 1),
                                 want));
        }
    }
    assert_true(same_rgb(pixel(&p, x0 + cell / 2, y0 + 2 * cell + cell / 2), table[128]));

    /* Query labels left of the heatmap, key labels below, title above. */
    int side = 5 * cell;
    assert_true(ink_in(&p, 0, y0, x0 - 4, y0 + side) > 100);
    assert_true(ink_in(&p, x0, y0 + side + 4, x0 + side, p.h) > 100);
    assert_true(ink_in(&p, 0, 0, p.w, y0 - 12) > 200);

    /* The special token [CLS] (row 0) is labelled in a warm colour, "the"
     * (row 1) in grey. */
    int warm_cls = 0, warm_the = 0;
    for (int y = y0; y < y0 + cell; y++) {
        for (int x = 0; x < x0 - 4; x++) {
            const unsigned char *c = pixel(&p, x, y);
            warm_cls += c[0] > c[2] + 60;
            const unsigned char *d = pixel(&p, x, y + cell);
            warm_the += d[0] > d[2] + 60;
        }
    }
    assert_true(warm_cls > 10);
    assert_int_equal(warm_the, 0);
    stbi_image_free(p.rgb);
    test_input_free(&t);
}

/* With scale_to_max the largest value takes the top colour: a matrix whose
 * largest weight is 0.5 draws 0.5 as 1.0 would be and 0.25 as 0.5. */
static void export_matrix_scaled_to_max(void **state)
{
    test_input t;
    test_input_make(&t, 1, 1, 3, NULL);
    t.input.scale_to_max = 1;
    const float matrix[9] = {0.5f, 0.0f, 0.0f, 0.25f, 0.25f, 0.0f, 0.0f, 0.0f, 0.5f};
    const char *dir = hs_test_tmpdir("export-scaled");
    char path[4096];
    if (hs_export_matrix(&t.input, matrix, "scaled", "scaled.png", dir, path, sizeof path) != 0)
        fail_msg("%s", hs_error_message());
    png p = load_png(path);
    int x0, y0, cell;
    find_heatmap(&p, HS_COLORMAP_VIRIDIS, &x0, &y0, &cell); /* finds the 0.5 cell */
    const uint8_t(*table)[3] = hs_colormap_table(HS_COLORMAP_VIRIDIS);
    assert_true(same_rgb(pixel(&p, x0 + cell / 2, y0 + cell / 2), table[255]));
    assert_true(same_rgb(pixel(&p, x0 + cell / 2, y0 + cell + cell / 2), table[128]));
    assert_true(same_rgb(pixel(&p, x0 + cell + cell / 2, y0 + cell / 2), table[0]));
    assert_true(same_rgb(pixel(&p, x0 + 2 * cell + cell / 2, y0 + 2 * cell + cell / 2),
                         table[255]));
    stbi_image_free(p.rgb);

    /* The same matrix on the 0 to 1 scale: 0.5 is the middle colour. */
    t.input.scale_to_max = 0;
    if (hs_export_matrix(&t.input, matrix, "plain", "plain.png", dir, path, sizeof path) != 0)
        fail_msg("%s", hs_error_message());
    p = load_png(path);
    int middle = 0;
    for (int y = 0; y < p.h && !middle; y++)
        for (int x = 0; x < p.w && !middle; x++)
            middle = same_rgb(pixel(&p, x, y), table[128]);
    assert_true(middle);
    stbi_image_free(p.rgb);
    test_input_free(&t);
}

static void export_head_uses_cividis(void **state)
{
    test_input t;
    test_input_make(&t, 1, 1, 3, NULL);
    t.input.colormap = HS_COLORMAP_CIVIDIS;
    const char *dir = hs_test_tmpdir("export-cividis");
    char path[4096];
    assert_int_equal(hs_export_head(&t.input, 0, 0, dir, path, sizeof path), 0);
    png p = load_png(path);
    int x0, y0, cell;
    find_heatmap(&p, HS_COLORMAP_CIVIDIS, &x0, &y0, &cell);
    const uint8_t(*table)[3] = hs_colormap_table(HS_COLORMAP_CIVIDIS);
    assert_true(same_rgb(pixel(&p, x0 + cell + 2, y0 + 2), table[0]));
    assert_true(same_rgb(pixel(&p, x0 + 2, y0 + 2 * cell + 2), table[128]));
    stbi_image_free(p.rgb);
    test_input_free(&t);
}

static void export_head_rejects_bad_range(void **state)
{
    test_input t;
    test_input_make(&t, 2, 3, 4, NULL);
    const char *dir = hs_test_tmpdir("export-range");
    assert_int_equal(hs_export_head(&t.input, 2, 0, dir, NULL, 0), -1);
    assert_non_null(strstr(hs_error_message(), "layer 2 is out of range"));
    assert_non_null(strstr(hs_error_message(), "0 to 1"));
    assert_int_equal(hs_export_head(&t.input, 0, 3, dir, NULL, 0), -1);
    assert_non_null(strstr(hs_error_message(), "head 3 is out of range"));
    assert_int_equal(hs_export_all(&t.input, 5, -1, dir, NULL), -1);
    assert_non_null(strstr(hs_error_message(), "layer 5"));
    int temporary = 0;
    assert_int_equal(count_entries(dir, &temporary), 0);
    test_input_free(&t);
}

/* ---- long inputs ------------------------------------------------------- */

/* Counts runs of rows with ink in the column band [x0, x1), and the tallest. */
static int ink_runs(const png *p, int x0, int x1, int y0, int y1, int *tallest)
{
    int runs = 0, height = 0;
    *tallest = 0;
    for (int y = y0; y < y1; y++) {
        if (ink_in(p, x0, y, x1, y + 1) > 0) {
            runs += height == 0;
            height++;
            *tallest = height > *tallest ? height : *tallest;
        } else {
            height = 0;
        }
    }
    return runs;
}

static void export_long_input_thins_labels(void **state)
{
    /* 300 tokens: cells of 3 pixels, too small for a label per token. */
    test_input t;
    test_input_make(&t, 1, 1, 300, NULL);
    const char *dir = hs_test_tmpdir("export-long");
    char path[4096];
    assert_int_equal(hs_export_head(&t.input, 0, 0, dir, path, sizeof path), 0);
    png p = load_png(path);
    assert_true(p.w <= HS_EXPORT_MAX_SIDE && p.h <= HS_EXPORT_MAX_SIDE);
    int x0, y0, cell;
    find_heatmap(&p, HS_COLORMAP_VIRIDIS, &x0, &y0, &cell);
    assert_true(cell >= 1 && cell < 10);

    /* Row labels ("t123", right-aligned left of the heatmap) are separate
     * runs of ink, none taller than one label. */
    int tallest = 0;
    int runs = ink_runs(&p, x0 - 40, x0 - 8, y0, y0 + 300 * cell, &tallest);
    assert_true(runs >= 300 * cell / 30);
    assert_true(runs < 300);
    assert_true(tallest <= 18);
    stbi_image_free(p.rgb);
    test_input_free(&t);
}

static void export_very_long_input_fits(void **state)
{
    /* 3000 tokens: one pixel per token, the image within the size limit. */
    test_input t;
    test_input_make(&t, 1, 1, 3000, NULL);
    const char *dir = hs_test_tmpdir("export-very-long");
    char path[4096];
    assert_int_equal(hs_export_head(&t.input, 0, 0, dir, path, sizeof path), 0);
    png p = load_png(path);
    assert_true(p.w >= 3000 && p.w <= HS_EXPORT_MAX_SIDE);
    assert_true(p.h >= 3000 && p.h <= HS_EXPORT_MAX_SIDE);
    stbi_image_free(p.rgb);
    test_input_free(&t);
}

/* ---- every head -------------------------------------------------------- */

static void export_all_writes_files_and_index(void **state)
{
    static const char *labels[] = {"[CLS]", "\xE6\x9D\xB1\xE4\xBA\xAC", "\xF0\x9F\x98\x80",
                                   "caf\xC3\xA9", "[SEP]"};
    test_input t;
    test_input_make(&t, 2, 3, 5, labels);
    const char *dir = hs_test_tmpdir("export-all");
    int count = 0;
    if (hs_export_all(&t.input, -1, -1, dir, &count) != 0)
        fail_msg("%s", hs_error_message());
    assert_int_equal(count, 2 * 3 + 2);
    int temporary = 0;
    assert_int_equal(count_entries(dir, &temporary), 8);
    assert_int_equal(temporary, 0);

    char path[4096];
    snprintf(path, sizeof path, "%s/index.json", dir);
    cJSON *index = hs_test_read_json(path);
    assert_string_equal(cJSON_GetObjectItem(index, "model")->valuestring, "test-model");
    assert_string_equal(cJSON_GetObjectItem(index, "text")->valuestring, "some text");
    assert_string_equal(cJSON_GetObjectItem(index, "pair")->valuestring, "a pair");
    assert_string_equal(cJSON_GetObjectItem(index, "colormap")->valuestring, "viridis");
    assert_string_equal(cJSON_GetObjectItem(index, "atlas")->valuestring, "atlas.png");
    const cJSON *ids = cJSON_GetObjectItem(index, "ids");
    const cJSON *tokens = cJSON_GetObjectItem(index, "tokens");
    const cJSON *label_list = cJSON_GetObjectItem(index, "labels");
    assert_int_equal(cJSON_GetArraySize(ids), 5);
    assert_int_equal(cJSON_GetArraySize(tokens), 5);
    assert_int_equal(cJSON_GetArraySize(label_list), 5);
    assert_int_equal(cJSON_GetArrayItem(ids, 3)->valueint, 103);
    assert_string_equal(cJSON_GetArrayItem(label_list, 1)->valuestring, labels[1]);
    assert_true(cJSON_IsTrue(cJSON_GetArrayItem(cJSON_GetObjectItem(index, "special"), 0)));
    assert_true(cJSON_IsFalse(cJSON_GetArrayItem(cJSON_GetObjectItem(index, "special"), 1)));

    const cJSON *files = cJSON_GetObjectItem(index, "files");
    assert_int_equal(cJSON_GetArraySize(files), 6);
    for (int i = 0; i < 6; i++) {
        const cJSON *entry = cJSON_GetArrayItem(files, i);
        int layer = cJSON_GetObjectItem(entry, "layer")->valueint;
        int head = cJSON_GetObjectItem(entry, "head")->valueint;
        assert_int_equal(layer, i / 3);
        assert_int_equal(head, i % 3);
        char name[64];
        snprintf(name, sizeof name, "L%02d-H%02d.png", layer, head);
        assert_string_equal(cJSON_GetObjectItem(entry, "file")->valuestring, name);
        snprintf(path, sizeof path, "%s/%s", dir, name);
        png p = load_png(path);
        assert_true(p.w > 0);
        stbi_image_free(p.rgb);
    }
    cJSON_Delete(index);

    /* The atlas shows all six heads; each thumbnail has a yellow diagonal. */
    snprintf(path, sizeof path, "%s/atlas.png", dir);
    png atlas = load_png(path);
    const uint8_t *top = hs_colormap_table(HS_COLORMAP_VIRIDIS)[255];
    int yellow = 0;
    for (int y = 0; y < atlas.h; y++)
        for (int x = 0; x < atlas.w; x++)
            yellow += same_rgb(pixel(&atlas, x, y), top);
    assert_true(yellow > 6 * 5 * 16);
    assert_true(ink_in(&atlas, 0, 0, atlas.w, 40) > 200);
    stbi_image_free(atlas.rgb);
    test_input_free(&t);
}

static void export_all_selects_layer_or_head(void **state)
{
    test_input t;
    test_input_make(&t, 3, 4, 4, NULL);
    const char *dir = hs_test_tmpdir("export-select");
    int count = 0, temporary = 0;
    assert_int_equal(hs_export_all(&t.input, 2, -1, dir, &count), 0);
    assert_int_equal(count, 4 + 2);
    char path[4096];
    snprintf(path, sizeof path, "%s/L02-H03.png", dir);
    assert_true(access(path, F_OK) == 0);
    snprintf(path, sizeof path, "%s/L01-H03.png", dir);
    assert_true(access(path, F_OK) != 0);

    dir = hs_test_tmpdir("export-select-head");
    assert_int_equal(hs_export_all(&t.input, -1, 1, dir, &count), 0);
    assert_int_equal(count, 3 + 2);
    assert_int_equal(count_entries(dir, &temporary), 5);
    snprintf(path, sizeof path, "%s/L02-H01.png", dir);
    assert_true(access(path, F_OK) == 0);
    test_input_free(&t);
}

/* An atlas thumbnail smaller than the input shows the largest weight of the
 * tokens a pixel covers, so a diagonal of 1.0 stays visible. */
static void atlas_pools_long_input(void **state)
{
    test_input t;
    test_input_make(&t, 1, 1, 400, NULL);
    const char *dir = hs_test_tmpdir("export-pool");
    assert_int_equal(hs_export_all(&t.input, -1, -1, dir, NULL), 0);
    char path[4096];
    snprintf(path, sizeof path, "%s/atlas.png", dir);
    png atlas = load_png(path);
    const uint8_t *top = hs_colormap_table(HS_COLORMAP_VIRIDIS)[255];
    int yellow = 0;
    for (int y = 0; y < atlas.h; y++)
        for (int x = 0; x < atlas.w; x++)
            yellow += same_rgb(pixel(&atlas, x, y), top);
    /* At least one pixel per row of the thumbnail, which is 48 or more. */
    assert_true(yellow >= 48);
    stbi_image_free(atlas.rgb);
    test_input_free(&t);
}

/* ---- failures ---------------------------------------------------------- */

static void export_missing_folder_fails(void **state)
{
    test_input t;
    test_input_make(&t, 1, 2, 3, NULL);
    const char *base = hs_test_tmpdir("export-missing");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/absent", base);
    assert_int_equal(hs_export_all(&t.input, -1, -1, dir, NULL), -1);
    assert_non_null(strstr(hs_error_message(), dir));
    assert_non_null(strstr(hs_error_message(), "does not exist"));
    assert_int_equal(hs_export_head(&t.input, 0, 0, dir, NULL, 0), -1);
    assert_non_null(strstr(hs_error_message(), dir));
    int temporary = 0;
    assert_int_equal(count_entries(base, &temporary), 0);
    test_input_free(&t);
}

static void export_below_regular_file_fails(void **state)
{
    /* A path whose parent is a regular file stops writes even for root. */
    test_input t;
    test_input_make(&t, 1, 2, 3, NULL);
    const char *base = hs_test_tmpdir("export-file-parent");
    char file[4096], dir[4200];
    snprintf(file, sizeof file, "%s/plain.txt", base);
    hs_test_write_file(file, "x", 1);
    snprintf(dir, sizeof dir, "%s/out", file);
    assert_int_equal(hs_export_all(&t.input, -1, -1, dir, NULL), -1);
    assert_non_null(strstr(hs_error_message(), dir));

    /* The file itself is not a folder. */
    assert_int_equal(hs_export_all(&t.input, -1, -1, file, NULL), -1);
    assert_non_null(strstr(hs_error_message(), "not a folder"));
    int temporary = 0;
    assert_int_equal(count_entries(base, &temporary), 1);
    assert_int_equal(temporary, 0);
    test_input_free(&t);
}

static void export_unwritable_folder_fails(void **state)
{
    test_input t;
    test_input_make(&t, 1, 2, 3, NULL);
    const char *dir = hs_test_tmpdir("export-readonly");
    assert_int_equal(chmod(dir, 0555), 0);
    if (access(dir, W_OK) == 0) {
        /* Root writes through 0555; the regular-file case above covers it. */
        chmod(dir, 0755);
        test_input_free(&t);
        skip();
    }
    assert_int_equal(hs_export_all(&t.input, -1, -1, dir, NULL), -1);
    assert_non_null(strstr(hs_error_message(), dir));
    int temporary = 0;
    assert_int_equal(count_entries(dir, &temporary), 0);
    chmod(dir, 0755);
    test_input_free(&t);
}

static void export_failure_removes_written_files(void **state)
{
    /* index.json is written last; a folder in its place makes the rename
     * fail after every PNG was written, and those must go again. */
    test_input t;
    test_input_make(&t, 1, 2, 3, NULL);
    const char *dir = hs_test_tmpdir("export-rollback");
    char blocker[4096], inner[4200];
    snprintf(blocker, sizeof blocker, "%s/index.json", dir);
    assert_int_equal(mkdir(blocker, 0755), 0);
    snprintf(inner, sizeof inner, "%s/keep", blocker);
    hs_test_write_file(inner, "x", 1);
    assert_int_equal(hs_export_all(&t.input, -1, -1, dir, NULL), -1);
    assert_non_null(strstr(hs_error_message(), "index.json"));
    int temporary = 0;
    assert_int_equal(count_entries(dir, &temporary), 1); /* only the blocking folder */
    assert_int_equal(temporary, 0);
    test_input_free(&t);
}

/* A failed export leaves the files of an earlier export in the same folder
 * as they were: new files replace old ones only once all are written. */
static void export_failure_keeps_earlier_export(void **state)
{
    test_input t;
    test_input_make(&t, 1, 2, 3, NULL);
    const char *dir = hs_test_tmpdir("export-keep");
    assert_int_equal(hs_export_all(&t.input, -1, -1, dir, NULL), 0);

    char name[64], head_path[4200], index_path[4200], atlas_path[4200];
    hs_export_head_name(t.result, 0, 0, name, sizeof name);
    snprintf(head_path, sizeof head_path, "%s/%s", dir, name);
    snprintf(index_path, sizeof index_path, "%s/index.json", dir);
    snprintf(atlas_path, sizeof atlas_path, "%s/atlas.png", dir);
    size_t head_size = 0, index_size = 0;
    char *head_before = hs_test_read_file(head_path, &head_size);
    char *index_before = hs_test_read_file(index_path, &index_size);
    assert_non_null(head_before);
    assert_non_null(index_before);

    /* A second export of other weights, blocked by a folder named atlas.png. */
    assert_int_equal(unlink(atlas_path), 0);
    assert_int_equal(mkdir(atlas_path, 0755), 0);
    t.result->attn[1] = 0.75f;
    t.result->attn[0] = 0.25f;
    t.input.text = "other text";
    assert_int_equal(hs_export_all(&t.input, -1, -1, dir, NULL), -1);
    assert_non_null(strstr(hs_error_message(), atlas_path));

    size_t head_after_size = 0, index_after_size = 0;
    char *head_after = hs_test_read_file(head_path, &head_after_size);
    char *index_after = hs_test_read_file(index_path, &index_after_size);
    assert_non_null(head_after);
    assert_non_null(index_after);
    assert_int_equal(head_after_size, head_size);
    assert_memory_equal(head_after, head_before, head_size);
    assert_int_equal(index_after_size, index_size);
    assert_memory_equal(index_after, index_before, index_size);
    int temporary = 0;
    assert_int_equal(count_entries(dir, &temporary), 4); /* 2 heads, atlas.png, index.json */
    assert_int_equal(temporary, 0);

    free(head_before);
    free(index_before);
    free(head_after);
    free(index_after);
    test_input_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(colormap_index_rounds_and_clamps),
        cmocka_unit_test(colormap_tables_match_matplotlib),
        cmocka_unit_test(colormap_names_round_trip),
        cmocka_unit_test(fonts_render_latin_and_cjk),
        cmocka_unit_test(fonts_draw_box_for_missing),
        cmocka_unit_test(fonts_open_two_sizes),
        cmocka_unit_test(head_names_pad_to_counts),
        cmocka_unit_test(export_head_draws_cells_labels_title),
        cmocka_unit_test(export_head_uses_cividis),
        cmocka_unit_test(export_matrix_scaled_to_max),
        cmocka_unit_test(export_head_rejects_bad_range),
        cmocka_unit_test(export_long_input_thins_labels),
        cmocka_unit_test(export_very_long_input_fits),
        cmocka_unit_test(export_all_writes_files_and_index),
        cmocka_unit_test(export_all_selects_layer_or_head),
        cmocka_unit_test(atlas_pools_long_input),
        cmocka_unit_test(export_missing_folder_fails),
        cmocka_unit_test(export_below_regular_file_fails),
        cmocka_unit_test(export_unwritable_folder_fails),
        cmocka_unit_test(export_failure_removes_written_files),
        cmocka_unit_test(export_failure_keeps_earlier_export),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
