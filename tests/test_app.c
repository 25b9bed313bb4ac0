/*
 * test_app.c - the desktop app under Xvfb with Mesa's software OpenGL:
 * screenshots of both views checked by pixel facts, and start-up failures.
 *
 * Each test starts headscope with --screenshot and --describe. The JSON
 * description gives the heatmap's geometry, and `headscope dump` of the same
 * text gives the weights whose colours the cells must show.
 */
#include "test_util.h"

#include "hs_colormap.h"
#include "hs_error.h"
#include "hs_safetensors.h"

#include <stb/stb_image.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static const char sentence[] = "The bank raised its interest rates, so we sat by the river.";

/* Returns the model the app tests use: the bundled demo model, or the folder
 * HEADSCOPE_TEST_MODEL names. */
static const char *test_model(void)
{
    const char *env = getenv("HEADSCOPE_TEST_MODEL");
    return env && *env ? env : HS_SOURCE_DIR "/assets/demo-model";
}

/* Runs a shell command; returns its exit status. */
static int run(const char *command)
{
    int status = system(command);
    if (status == -1 || !WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status);
}

static int have_xvfb(void)
{
    return run("command -v Xvfb >/dev/null 2>&1") == 0;
}

#define REQUIRE_XVFB()                                                                       \
    do {                                                                                     \
        if (!have_xvfb()) {                                                                  \
            print_message("[  SKIP    ] Xvfb not found: install xvfb\n");                    \
            skip();                                                                          \
        }                                                                                    \
    } while (0)

/* Starts the app under a fresh Xvfb display with extra arguments. */
static int run_app(const char *dir, const char *args)
{
    char command[8192];
    snprintf(command, sizeof command,
             "cd '%s' && timeout 120 sh '%s/tests/with_xvfb.sh' "
             "'%s' --model '%s' --size 1280x800 %s > app.log 2>&1",
             dir, HS_SOURCE_DIR, HS_HEADSCOPE, test_model(), args);
    int status = run(command);
    if (status != 0) {
        char path[4200];
        snprintf(path, sizeof path, "%s/app.log", dir);
        char *log = hs_test_read_file(path, NULL);
        print_message("app exited with %d:\n%s\n", status, log ? log : "(no log)");
        free(log);
    }
    return status;
}

/* Fails the test unless the app's log in dir contains text. */
static void assert_log_contains(const char *dir, const char *text)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/app.log", dir);
    char *log = hs_test_read_file(path, NULL);
    if (!log)
        fail_msg("no app.log in %s", dir);
    if (!strstr(log, text))
        fail_msg("app.log has no '%s':\n%s", text, log);
    free(log);
}

typedef struct {
    unsigned char *pixels;
    int width, height;
} image;

static image load_png(const char *dir, const char *name)
{
    char path[4200];
    image img = {0};
    int channels;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    img.pixels = stbi_load(path, &img.width, &img.height, &channels, 3);
    if (!img.pixels)
        fail_msg("cannot decode %s: %s", path, stbi_failure_reason());
    return img;
}

static const unsigned char *pixel(const image *img, int x, int y)
{
    assert_true(x >= 0 && x < img->width && y >= 0 && y < img->height);
    return img->pixels + ((size_t)y * img->width + x) * 3;
}

/* Counts pixels in a rectangle darker than the light background. */
static int count_dark(const image *img, int x0, int y0, int w, int h)
{
    int count = 0;
    for (int y = y0; y < y0 + h; y++)
        for (int x = x0; x < x0 + w; x++) {
            const unsigned char *p = pixel(img, x, y);
            if (p[0] + p[1] + p[2] < 3 * 140)
                count++;
        }
    return count;
}

static double json_number(const cJSON *object, const char *key)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, key);
    assert_true(cJSON_IsNumber(item));
    return item->valuedouble;
}

static void heatmap_cells_match_table(void **state)
{
    REQUIRE_XVFB();
    const char *dir = hs_test_tmpdir("app-heatmap");
    char args[1024], command[8192], path[4200];
    snprintf(args, sizeof args,
             "--text '%s' --layer 1 --head 2 --screenshot shot.png --describe shot.json",
             sentence);
    assert_int_equal(run_app(dir, args), 0);

    /* The reference weights of the same head from the command line. */
    snprintf(command, sizeof command, "cd '%s' && '%s' dump --model '%s' '%s' --out ref.safetensors",
             dir, HS_HEADSCOPE, test_model(), sentence);
    assert_int_equal(run(command), 0);
    snprintf(path, sizeof path, "%s/ref.safetensors", dir);
    hs_safetensors *ref = hs_safetensors_open(path);
    assert_non_null(ref);
    const hs_tensor *attn = hs_safetensors_find(ref, "attentions.1");
    assert_non_null(attn);
    float *weights = hs_tensor_to_f32(attn);
    int n = (int)attn->shape[1];

    snprintf(path, sizeof path, "%s/shot.json", dir);
    cJSON *desc = hs_test_read_json(path);
    assert_int_equal((int)json_number(desc, "layer"), 1);
    assert_int_equal((int)json_number(desc, "head"), 2);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(desc, "labels")), n);
    const cJSON *heatmap = cJSON_GetObjectItemCaseSensitive(desc, "heatmap");
    assert_non_null(heatmap);
    double x0 = json_number(heatmap, "x"), y0 = json_number(heatmap, "y");
    double cell = json_number(heatmap, "cell");
    assert_true(cell >= 8.0);

    image img = load_png(dir, "shot.png");
    assert_int_equal(img.width, (int)json_number(desc, "width"));
    assert_int_equal(img.height, (int)json_number(desc, "height"));

    /* Every cell's centre shows the table colour of its weight, exactly. */
    const float *head = weights + (size_t)2 * n * n;
    int checked = 0, wrong = 0;
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
            int cx = (int)(x0 + (j + 0.5) * cell), cy = (int)(y0 + (i + 0.5) * cell);
            const unsigned char *got = pixel(&img, cx, cy);
            const uint8_t *want = hs_colormap_lookup(HS_COLORMAP_VIRIDIS, head[i * n + j]);
            checked++;
            if (got[0] != want[0] || got[1] != want[1] || got[2] != want[2]) {
                if (wrong++ < 5)
                    print_error("cell (%d, %d) weight %.4f: pixel %d,%d,%d, table %d,%d,%d\n",
                                i, j, head[i * n + j], got[0], got[1], got[2], want[0],
                                want[1], want[2]);
            }
        }
    }
    assert_int_equal(checked, n * n);
    assert_int_equal(wrong, 0);

    /* Row labels left of the cells and turned column labels above them. */
    int area_x = (int)x0, area_y = (int)y0;
    assert_true(count_dark(&img, area_x - 60, area_y, 56, (int)(n * cell)) > 100);
    assert_true(count_dark(&img, area_x, area_y - 50, (int)(n * cell), 46) > 100);

    stbi_image_free(img.pixels);
    cJSON_Delete(desc);
    free(weights);
    hs_safetensors_close(ref);
}

static void arcs_view_draws_arcs(void **state)
{
    REQUIRE_XVFB();
    const char *dir = hs_test_tmpdir("app-arcs");
    char args[1024], path[4200];
    snprintf(args, sizeof args,
             "--text '%s' --view arcs --focus 3 --screenshot shot.png --describe shot.json",
             sentence);
    assert_int_equal(run_app(dir, args), 0);

    snprintf(path, sizeof path, "%s/shot.json", dir);
    cJSON *desc = hs_test_read_json(path);
    const cJSON *view = cJSON_GetObjectItemCaseSensitive(desc, "view");
    assert_string_equal(view->valuestring, "arcs");
    assert_int_equal((int)json_number(desc, "focus"), 3);

    /* Arcs are drawn in the accent blue between the two label columns. */
    const cJSON *main_rect = cJSON_GetObjectItemCaseSensitive(desc, "main");
    int mx = cJSON_GetArrayItem(main_rect, 0)->valueint;
    int my = cJSON_GetArrayItem(main_rect, 1)->valueint;
    int mw = cJSON_GetArrayItem(main_rect, 2)->valueint;
    int mh = cJSON_GetArrayItem(main_rect, 3)->valueint;
    image img = load_png(dir, "shot.png");
    int blue = 0;
    for (int y = my; y < my + mh; y++)
        for (int x = mx + mw * 35 / 100; x < mx + mw * 65 / 100; x++) {
            const unsigned char *p = pixel(&img, x, y);
            if (p[2] > p[0] + 12)
                blue++;
        }
    assert_true(blue > 500);

    /* Token labels on both sides. */
    assert_true(count_dark(&img, mx + mw * 15 / 100, my + 40, mw * 14 / 100, mh - 60) > 200);
    assert_true(count_dark(&img, mx + mw * 70 / 100, my + 40, mw * 14 / 100, mh - 60) > 200);
    stbi_image_free(img.pixels);
    cJSON_Delete(desc);
}

/* Hiding special tokens removes their columns: the demo model's sentence
 * has [CLS] and [SEP], so two fewer columns than rows remain. */
static void hide_special_removes_columns(void **state)
{
    REQUIRE_XVFB();
    const char *dir = hs_test_tmpdir("app-hide");
    char args[1024], path[4200];
    snprintf(args, sizeof args,
             "--text '%s' --hide-special --screenshot shot.png --describe shot.json", sentence);
    assert_int_equal(run_app(dir, args), 0);
    snprintf(path, sizeof path, "%s/shot.json", dir);
    cJSON *desc = hs_test_read_json(path);
    const cJSON *shown = cJSON_GetObjectItemCaseSensitive(desc, "shown");
    assert_non_null(shown);
    int rows = (int)json_number(shown, "rows"), columns = (int)json_number(shown, "columns");
    assert_int_equal(rows, cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(desc, "labels")));
    assert_int_equal(columns, rows - 2);
    const cJSON *notice = cJSON_GetObjectItemCaseSensitive(shown, "notice");
    assert_non_null(strstr(notice->valuestring, "removed"));
    cJSON_Delete(desc);
}

static void missing_model_fails_cleanly(void **state)
{
    REQUIRE_XVFB();
    const char *dir = hs_test_tmpdir("app-missing");
    char command[8192], path[4200];
    snprintf(command, sizeof command,
             "cd '%s' && timeout 60 sh '%s/tests/with_xvfb.sh' '%s' --model '%s/no-such-model' "
             "--screenshot s.png > app.log 2>&1",
             dir, HS_SOURCE_DIR, HS_HEADSCOPE, dir);
    assert_int_equal(run(command), 1);
    assert_log_contains(dir, "no-such-model");
    snprintf(path, sizeof path, "%s/s.png", dir);
    assert_null(hs_test_read_file(path, NULL));
}

static void layer_out_of_range_fails(void **state)
{
    REQUIRE_XVFB();
    const char *dir = hs_test_tmpdir("app-range");
    assert_int_equal(run_app(dir, "--layer 99 --screenshot s.png"), 1);
    assert_log_contains(dir, "out of range");
}

/* A sentence far wider than the window: the field shows its end, where the
 * cursor is, as text and not as one dark bar (a texture of the whole line
 * would exceed the driver's size limit). */
static void long_text_field_scrolls(void **state)
{
    REQUIRE_XVFB();
    const char *dir = hs_test_tmpdir("app-long-text");
    char path[4200];
    snprintf(path, sizeof path, "%s/input.txt", dir);
    char text[6001];
    for (int i = 0; i < 6000; i++)
        text[i] = "the river bank "[i % 15];
    text[6000] = '\0';
    hs_test_write_file(path, text, strlen(text));
    assert_int_equal(run_app(dir, "--text - --screenshot s.png --describe s.json < input.txt"),
                     0);

    snprintf(path, sizeof path, "%s/s.json", dir);
    cJSON *desc = hs_test_read_json(path);
    const cJSON *field = cJSON_GetObjectItemCaseSensitive(desc, "text_field");
    assert_int_equal(cJSON_GetArraySize(field), 4);
    int x = cJSON_GetArrayItem(field, 0)->valueint + 4;
    int y = cJSON_GetArrayItem(field, 1)->valueint + 4;
    int w = cJSON_GetArrayItem(field, 2)->valueint - 8;
    int h = cJSON_GetArrayItem(field, 3)->valueint - 8;
    image img = load_png(dir, "s.png");
    int dark = count_dark(&img, x, y, w, h);
    assert_true(dark > 200);       /* text is drawn */
    assert_true(dark < w * h / 3); /* and is not a solid bar */
    assert_true(count_dark(&img, x + w - 200, y, 200, h) > 50); /* the end is in view */
    stbi_image_free(img.pixels);
    cJSON_Delete(desc);
}

/* Compare mode on a decoder with no sentence B: B gives no tokens, and the
 * screenshot is still taken once both runs are back. */
static void compare_empty_b_screenshot(void **state)
{
    REQUIRE_XVFB();
    HS_REQUIRE_FIXTURES();
    const char *dir = hs_test_tmpdir("app-compare-empty");
    char command[8192];
    snprintf(command, sizeof command,
             "cd '%s' && timeout 60 sh '%s/tests/with_xvfb.sh' '%s' --model '%s' "
             "--view compare --screenshot s.png > app.log 2>&1",
             dir, HS_SOURCE_DIR, HS_HEADSCOPE, hs_test_fixture("gpt2-tiny-random"));
    assert_int_equal(run(command), 0);
    image shot = load_png(dir, "s.png");
    assert_int_equal(shot.width, 1280);
    stbi_image_free(shot.pixels);
}

/* With no display, an interactive run stops with a message instead of
 * drawing into SDL's invisible fallback driver. */
static void no_display_fails_cleanly(void **state)
{
    const char *dir = hs_test_tmpdir("app-no-display");
    char command[8192];
    snprintf(command, sizeof command,
             "cd '%s' && env -u DISPLAY -u WAYLAND_DISPLAY -u SDL_VIDEODRIVER timeout 60 '%s' "
             "--model '%s' --text hello > app.log 2>&1",
             dir, HS_HEADSCOPE, test_model());
    assert_int_equal(run(command), 1);
    assert_log_contains(dir, "no display found");
}

/* Out-of-range --lesson and --focus, and a --describe file that cannot be
 * written, fail a scripted run with status 1 and a message. */
static void bad_start_options_fail(void **state)
{
    REQUIRE_XVFB();
    static const struct {
        const char *args, *message;
    } cases[] = {
        {"--lesson 999 --screenshot s.png", "--lesson 999 is out of range"},
        {"--focus 999 --screenshot s.png", "--focus 999 is out of range"},
        {"--describe /proc/no-such/d.json --screenshot s.png", "--describe"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *dir = hs_test_tmpdir("app-bad-start");
        assert_int_equal(run_app(dir, cases[i].args), 1);
        assert_log_contains(dir, cases[i].message);
    }
}

/* --aggregate layer-mean selects the layer's mean, as --head mean does. */
static void aggregate_layer_mean_selects_mean(void **state)
{
    REQUIRE_XVFB();
    const char *dir = hs_test_tmpdir("app-layer-mean");
    char path[4200];
    assert_int_equal(
        run_app(dir, "--aggregate layer-mean --layer 2 --screenshot s.png --describe s.json"), 0);
    snprintf(path, sizeof path, "%s/s.json", dir);
    cJSON *desc = hs_test_read_json(path);
    assert_int_equal((int)json_number(desc, "layer"), 2);
    assert_int_equal((int)json_number(desc, "head"), -1);
    cJSON_Delete(desc);
}

/* Counts pixels of one colour inside the heatmap that a description gives. */
static int count_colour_in_heatmap(const image *img, const cJSON *desc, const uint8_t rgb[3])
{
    const cJSON *heatmap = cJSON_GetObjectItemCaseSensitive(desc, "heatmap");
    int x0 = (int)json_number(heatmap, "x"), y0 = (int)json_number(heatmap, "y");
    const cJSON *view = cJSON_GetObjectItemCaseSensitive(desc, "shown");
    double cell = json_number(heatmap, "cell");
    int w = (int)(json_number(view, "columns") * cell);
    int h = (int)(json_number(view, "rows") * cell);
    int count = 0;
    for (int y = y0; y < y0 + h && y < img->height; y++)
        for (int x = x0; x < x0 + w && x < img->width; x++) {
            const unsigned char *p = pixel(img, x, y);
            count += p[0] == rgb[0] && p[1] == rgb[1] && p[2] == rgb[2];
        }
    return count;
}

/* Rollout's weights are small: on the 0 to 1 scale no cell has the top
 * colour, and with --scale max the largest cell has it. */
static void scale_max_uses_top_colour(void **state)
{
    REQUIRE_XVFB();
    const uint8_t *top = hs_colormap_table(HS_COLORMAP_VIRIDIS)[255];
    int counts[2];
    for (int scaled = 0; scaled < 2; scaled++) {
        const char *dir = hs_test_tmpdir(scaled ? "app-scale-max" : "app-scale-one");
        char args[256], path[4200];
        snprintf(args, sizeof args,
                 "--aggregate rollout --scale %s --screenshot s.png --describe s.json",
                 scaled ? "max" : "1");
        assert_int_equal(run_app(dir, args), 0);
        snprintf(path, sizeof path, "%s/s.json", dir);
        cJSON *desc = hs_test_read_json(path);
        const cJSON *scale = cJSON_GetObjectItemCaseSensitive(desc, "scale");
        assert_true(cJSON_IsString(scale));
        assert_string_equal(scale->valuestring, scaled ? "max" : "1");
        image img = load_png(dir, "s.png");
        counts[scaled] = count_colour_in_heatmap(&img, desc, top);
        stbi_image_free(img.pixels);
        cJSON_Delete(desc);
    }
    assert_int_equal(counts[0], 0);
    assert_true(counts[1] > 20);
}

/* A model whose tokenizer does not load still opens, but a screenshot run
 * gets no picture and exits 1 with the tokenizer's error. */
static void broken_tokenizer_fails_screenshot(void **state)
{
    REQUIRE_XVFB();
    const char *dir = hs_test_tmpdir("app-tokenizer");
    char command[8192], path[4200];
    snprintf(command, sizeof command,
             "mkdir '%s/model' && cp '%s/config.json' '%s/model.safetensors' '%s/model/' && "
             "printf '{\"model\": ' > '%s/model/tokenizer.json'",
             dir, test_model(), test_model(), dir, dir);
    assert_int_equal(run(command), 0);
    snprintf(command, sizeof command,
             "cd '%s' && timeout 60 sh '%s/tests/with_xvfb.sh' '%s' --model '%s/model' "
             "--screenshot s.png > app.log 2>&1",
             dir, HS_SOURCE_DIR, HS_HEADSCOPE, dir);
    assert_int_equal(run(command), 1);
    assert_log_contains(dir, "tokenizer.json");
    snprintf(path, sizeof path, "%s/s.png", dir);
    assert_null(hs_test_read_file(path, NULL));
}

static void broken_shader_exits_with_log(void **state)
{
    REQUIRE_XVFB();
    const char *dir = hs_test_tmpdir("app-shader");
    char command[8192], path[4200];

    /* The shipped shaders, with quad.frag broken. */
    snprintf(command, sizeof command,
             "cp '%s'/shaders/*.vert '%s'/shaders/*.frag '%s'/ && "
             "printf '#version 330 core\nout vec4 c;\nvoid main() { c = undefined_name; }\n' "
             "> '%s/quad.frag'",
             HS_SOURCE_DIR, HS_SOURCE_DIR, dir, dir);
    assert_int_equal(run(command), 0);
    snprintf(command, sizeof command,
             "cd '%s' && HEADSCOPE_SHADER_DIR='%s' timeout 60 sh '%s/tests/with_xvfb.sh' '%s' "
             "--model '%s' --screenshot s.png > app.log 2>&1",
             dir, dir, HS_SOURCE_DIR, HS_HEADSCOPE, test_model());
    assert_int_equal(run(command), 1);
    assert_log_contains(dir, "quad.frag failed to compile");
    assert_log_contains(dir, "undefined_name");
    snprintf(path, sizeof path, "%s/s.png", dir);
    assert_null(hs_test_read_file(path, NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(heatmap_cells_match_table),
        cmocka_unit_test(arcs_view_draws_arcs),
        cmocka_unit_test(hide_special_removes_columns),
        cmocka_unit_test(missing_model_fails_cleanly),
        cmocka_unit_test(layer_out_of_range_fails),
        cmocka_unit_test(broken_shader_exits_with_log),
        cmocka_unit_test(broken_tokenizer_fails_screenshot),
        cmocka_unit_test(compare_empty_b_screenshot),
        cmocka_unit_test(long_text_field_scrolls),
        cmocka_unit_test(bad_start_options_fail),
        cmocka_unit_test(aggregate_layer_mean_selects_mean),
        cmocka_unit_test(scale_max_uses_top_colour),
        cmocka_unit_test(no_display_fails_cleanly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
