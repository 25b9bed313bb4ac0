/*
 * test_cli.c - end-to-end runs of the headscope command line: dump against
 * the reference fixtures, tokenize, info, inspect, and failure messages.
 *
 * Each run starts the real program with fork and exec in a scratch folder and
 * reads its exit status, stdout and stderr from files there. No shell sits in
 * between, so texts reach the program byte for byte. The reference files state
 * the tolerances: token ids exact, attentions within 5e-5 absolute, hidden
 * states and logits within 1e-4 + 1e-4 * |expected|.
 */
#include "test_util.h"

#include "hs_safetensors.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define ATTENTION_TOLERANCE 5e-5
#define HIDDEN_ABSOLUTE 1e-4
#define HIDDEN_RELATIVE 1e-4

#define MAX_ARGS 32

/* ---- running the program ------------------------------------------------ */

typedef struct {
    const char *dir;   /* working folder; stdout and stderr land here */
    const void *input; /* bytes on standard input; NULL for none */
    size_t input_size;
    const char *hf_home; /* HF_HOME for the run (HF_HUB_CACHE unset); NULL keeps both */
} run_options;

typedef struct {
    int status; /* exit status, or -1 when the program did not exit normally */
    char *out;  /* stdout, NUL-terminated */
    size_t out_size;
    char *err; /* stderr, NUL-terminated */
    int err_lines;
} run_result;

static int count_lines(const char *text)
{
    int lines = 0;
    size_t length = strlen(text);
    for (size_t i = 0; i < length; i++)
        lines += text[i] == '\n';
    if (length && text[length - 1] != '\n')
        lines++;
    return lines;
}

/* Runs headscope with args (NULL-terminated, without the program name). */
static run_result run_with(const run_options *options, const char *const *args)
{
    char in_path[4200], out_path[4200], err_path[4200];
    snprintf(in_path, sizeof in_path, "%s/stdin.bin", options->dir);
    snprintf(out_path, sizeof out_path, "%s/stdout.txt", options->dir);
    snprintf(err_path, sizeof err_path, "%s/stderr.txt", options->dir);
    hs_test_write_file(in_path, options->input, options->input ? options->input_size : 0);

    const char *argv[MAX_ARGS + 2] = {HS_HEADSCOPE};
    int argc = 1;
    for (; args[argc - 1]; argc++) {
        assert_true(argc <= MAX_ARGS);
        argv[argc] = args[argc - 1];
    }
    argv[argc] = NULL;

    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int in = open(in_path, O_RDONLY);
        int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int err = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (in < 0 || out < 0 || err < 0 || chdir(options->dir) != 0)
            _exit(126);
        dup2(in, 0);
        dup2(out, 1);
        dup2(err, 2);
        if (options->hf_home) {
            setenv("HF_HOME", options->hf_home, 1);
            unsetenv("HF_HUB_CACHE");
        }
        execv(HS_HEADSCOPE, (char *const *)argv);
        _exit(127);
    }
    int wait_status = 0;
    assert_int_equal(waitpid(pid, &wait_status, 0), pid);

    run_result r = {.status = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -1};
    r.out = hs_test_read_file(out_path, &r.out_size);
    r.err = hs_test_read_file(err_path, NULL);
    assert_non_null(r.out);
    assert_non_null(r.err);
    r.err_lines = count_lines(r.err);
    return r;
}

static run_result run_in(const char *dir, const char *const *args)
{
    run_options options = {.dir = dir};
    return run_with(&options, args);
}

static void free_result(run_result *r)
{
    free(r->out);
    free(r->err);
}

/* Checks a successful run, and prints stderr first when it failed. */
static void assert_success(const run_result *r)
{
    if (r->status != 0)
        print_error("headscope exited with %d; stderr:\n%s", r->status, r->err);
    assert_int_equal(r->status, 0);
}

/* Checks a failed run: exit status 1 and one line "headscope: ..." on stderr
 * that contains each of the given texts (NULL-terminated). */
static void assert_failure_names(const run_result *r, const char *const *texts)
{
    if (r->status != 1 || r->err_lines != 1)
        print_error("status %d, stderr:\n%s", r->status, r->err);
    assert_int_equal(r->status, 1);
    assert_int_equal(r->err_lines, 1);
    assert_int_equal(strncmp(r->err, "headscope: ", 11), 0);
    for (int i = 0; texts[i]; i++) {
        if (!strstr(r->err, texts[i]))
            print_error("stderr lacks '%s': %s", texts[i], r->err);
        assert_non_null(strstr(r->err, texts[i]));
    }
}

#define ASSERT_FAILURE(result, ...)                                                                \
    do {                                                                                           \
        const char *const texts_[] = {__VA_ARGS__, NULL};                                          \
        assert_failure_names(result, texts_);                                                      \
    } while (0)

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* Copies a scratch folder name, because hs_test_tmpdir reuses its buffer. */
static void make_tmpdir(const char *name, char *dir, size_t size)
{
    snprintf(dir, size, "%s", hs_test_tmpdir(name));
}

/* ---- models -------------------------------------------------------------- */

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Returns a model folder for the tests that need any model: the bundled
 * demo model, else the bert-tiny-random fixture, else NULL. */
static const char *any_model(void)
{
    static char path[4200];
    if (file_exists(HS_SOURCE_DIR "/assets/demo-model/config.json"))
        return HS_SOURCE_DIR "/assets/demo-model";
    if (!hs_test_fixtures_dir())
        return NULL;
    snprintf(path, sizeof path, "%s", hs_test_fixture("bert-tiny-random"));
    return file_exists(path) ? path : NULL;
}

#define REQUIRE_MODEL(model)                                                                       \
    do {                                                                                           \
        if (!(model)) {                                                                            \
            print_message("[  SKIP    ] no model: neither assets/demo-model/config.json "          \
                          "nor the bert-tiny-random fixture exists\n");                            \
            skip();                                                                                \
        }                                                                                          \
    } while (0)

/* Returns the value of an "info" output line "KEY:   VALUE" as a new string. */
static char *info_value(const char *out, const char *key)
{
    size_t key_length = strlen(key);
    for (const char *line = out; *line;) {
        const char *end = strchr(line, '\n');
        size_t length = end ? (size_t)(end - line) : strlen(line);
        if (length > key_length && strncmp(line, key, key_length) == 0 && line[key_length] == ':') {
            const char *value = line + key_length + 1;
            while (*value == ' ')
                value++;
            return strndup(value, length - (size_t)(value - line));
        }
        line += length + (end ? 1 : 0);
    }
    fail_msg("info output has no '%s:' line:\n%s", key, out);
    return NULL;
}

/* Runs "headscope info" on a model and returns one value as an integer. */
static long info_number(const char *dir, const char *model, const char *key)
{
    run_result r = run_in(dir, ARGS("info", "--model", model));
    assert_success(&r);
    char *value = info_value(r.out, key);
    long number = strtol(value, NULL, 10);
    free(value);
    free_result(&r);
    return number;
}

/* ---- tensor comparison ---------------------------------------------------- */

static int64_t tensor_int(const hs_tensor *t, int64_t i)
{
    int64_t value = 0;
    assert_int_equal(t->dtype, HS_DTYPE_I64);
    memcpy(&value, (const char *)t->data + i * 8, 8);
    return value;
}

static void assert_same_shape(const hs_tensor *got, const hs_tensor *want)
{
    assert_int_equal(got->ndim, want->ndim);
    for (int d = 0; d < want->ndim; d++)
        assert_int_equal(got->shape[d], want->shape[d]);
}

/* Returns how many values of got lie outside absolute + relative * |want|,
 * and prints the worst one. */
static int count_out_of_tolerance(const char *what, const hs_tensor *got, const hs_tensor *want,
                                  double absolute, double relative)
{
    float *got_values = hs_tensor_to_f32(got);
    float *want_values = hs_tensor_to_f32(want);
    assert_non_null(got_values);
    assert_non_null(want_values);
    int bad = 0;
    int64_t worst = -1;
    double worst_diff = 0.0;
    for (int64_t i = 0; i < want->count; i++) {
        double diff = fabs((double)got_values[i] - want_values[i]);
        if (diff <= absolute + relative * fabs(want_values[i]))
            continue;
        bad++;
        if (!(diff <= worst_diff)) {
            worst_diff = diff;
            worst = i;
        }
    }
    if (bad)
        print_error("%s: %d of %lld values out of tolerance; worst at %lld: got %.8g, "
                    "expected %.8g\n",
                    what, bad, (long long)want->count, (long long)worst, got_values[worst],
                    want_values[worst]);
    free(got_values);
    free(want_values);
    return bad;
}

/* Compares a dump with a reference file: the same tensor names and shapes,
 * ids exact, floats within the stated tolerances. */
static void compare_dump(const char *what, const char *dump_path, const char *expected_path,
                         const cJSON *expected_ids)
{
    hs_safetensors *got = hs_safetensors_open(dump_path);
    hs_safetensors *want = hs_safetensors_open(expected_path);
    assert_non_null(got);
    assert_non_null(want);
    assert_int_equal(hs_safetensors_count(got), hs_safetensors_count(want));

    const hs_tensor *ids = hs_safetensors_find(got, "input_ids");
    assert_non_null(ids);
    assert_int_equal(ids->count, cJSON_GetArraySize(expected_ids));
    for (int i = 0; i < cJSON_GetArraySize(expected_ids); i++)
        assert_int_equal(tensor_int(ids, i), cJSON_GetArrayItem(expected_ids, i)->valueint);

    int bad = 0;
    for (size_t i = 0; i < hs_safetensors_count(want); i++) {
        const hs_tensor *w = hs_safetensors_at(want, i);
        const hs_tensor *g = hs_safetensors_find(got, w->name);
        if (!g)
            print_error("%s: the dump has no tensor '%s'\n", what, w->name);
        assert_non_null(g);
        assert_same_shape(g, w);

        char label[512];
        snprintf(label, sizeof label, "%s %s", what, w->name);
        if (w->dtype == HS_DTYPE_I64) {
            for (int64_t k = 0; k < w->count; k++)
                assert_int_equal(tensor_int(g, k), tensor_int(w, k));
        } else if (strncmp(w->name, "attentions.", 11) == 0) {
            bad += count_out_of_tolerance(label, g, w, ATTENTION_TOLERANCE, 0.0);
        } else {
            bad += count_out_of_tolerance(label, g, w, HIDDEN_ABSOLUTE, HIDDEN_RELATIVE);
        }
    }
    assert_int_equal(bad, 0);
    hs_safetensors_close(got);
    hs_safetensors_close(want);
}

/* ---- dump against the fixtures -------------------------------------------- */

static int has_control_byte(const char *text)
{
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        if (*p < 0x20)
            return 1;
    return 0;
}

/* Writes "1,2,3" for a JSON array of ids into a new string. */
static char *join_ids(const cJSON *ids)
{
    size_t size = (size_t)cJSON_GetArraySize(ids) * 12 + 1;
    char *text = calloc(size, 1);
    assert_non_null(text);
    size_t used = 0;
    const cJSON *id;
    cJSON_ArrayForEach(id, ids)
    {
        used += (size_t)snprintf(text + used, size - used, "%s%d", used ? "," : "", id->valueint);
    }
    return text;
}

/* Dumps every case of a fixture folder and compares with its reference.
 * With from_text the case's text goes through the tokenizer, and texts with
 * control characters and every second case arrive on standard input.
 * Without it, the case's ids go in through --ids. */
static void check_dump_folder(const char *folder, int from_text)
{
    char model[4200], path[4400], out_path[4600], dir[4200];
    snprintf(model, sizeof model, "%s", hs_test_fixture(folder));
    make_tmpdir("cli-dump", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/inputs.json", model);
    cJSON *inputs = hs_test_read_json(path);
    const cJSON *cases = cJSON_GetObjectItemCaseSensitive(inputs, "cases");
    assert_true(cJSON_GetArraySize(cases) > 0);

    int index = 0, through_stdin = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, cases)
    {
        const char *name = cJSON_GetObjectItemCaseSensitive(item, "name")->valuestring;
        const cJSON *ids = cJSON_GetObjectItemCaseSensitive(item, "input_ids");
        const cJSON *text = cJSON_GetObjectItemCaseSensitive(item, "text");
        const cJSON *pair = cJSON_GetObjectItemCaseSensitive(item, "text_pair");
        char case_out[300];
        snprintf(case_out, sizeof case_out, "%s.safetensors", name);

        const char *args[MAX_ARGS] = {"dump", "--model", model, "--out", case_out};
        int argc = 5;
        run_options options = {.dir = dir};
        char *id_list = NULL;
        if (!from_text) {
            id_list = join_ids(ids);
            args[argc++] = "--ids";
            args[argc++] = id_list;
        } else if (has_control_byte(text->valuestring) || index % 2 == 1) {
            options.input = text->valuestring;
            options.input_size = strlen(text->valuestring);
            args[argc++] = "-";
            through_stdin++;
        } else {
            args[argc++] = text->valuestring;
        }
        if (from_text && cJSON_IsString(pair)) {
            args[argc++] = "--pair";
            args[argc++] = pair->valuestring;
        }
        args[argc] = NULL;

        run_result r = run_with(&options, args);
        assert_success(&r);
        assert_string_equal(r.err, "");

        char what[300];
        snprintf(what, sizeof what, "%s/%s", folder, name);
        snprintf(out_path, sizeof out_path, "%s/%s", dir, case_out);
        snprintf(path, sizeof path, "%s/%s", model,
                 cJSON_GetObjectItemCaseSensitive(item, "expected")->valuestring);
        compare_dump(what, out_path, path, ids);
        free_result(&r);
        free(id_list);
        index++;
    }
    if (from_text)
        assert_true(through_stdin > 0);
    cJSON_Delete(inputs);
}

static void dump_bert_tiny_random(void **state)
{
    HS_REQUIRE_FIXTURES();
    check_dump_folder("bert-tiny-random", 1);
}

static void dump_bert_legacy(void **state)
{
    HS_REQUIRE_FIXTURES();
    check_dump_folder("bert-tiny-random-legacy", 1);
}

static void dump_gpt2_tiny_random(void **state)
{
    HS_REQUIRE_FIXTURES();
    check_dump_folder("gpt2-tiny-random", 1);
}

static void dump_llama_tiny_random_ids(void **state)
{
    HS_REQUIRE_FIXTURES();
    check_dump_folder("llama-tiny-random", 0);
}

static void dump_llama_tiny_tokenizer(void **state)
{
    HS_REQUIRE_FIXTURES();
    check_dump_folder("llama-tiny-tokenizer", 1);
}

/* stories260k ships llama2.c's tok512.bin, which headscope does not read. */
static void dump_llama_stories260k_ids(void **state)
{
    HS_REQUIRE_FIXTURES();
    check_dump_folder("llama-stories260k", 0);
}

/* The reference "control-chars" strings, which hold a NUL byte. JSON parsers
 * that return C strings cut them at the NUL, so the bytes are spelled here and
 * checked against the start of the fixture's text. */
static const char bert_gpt2_control_text[] = "a\0b\001c\177d\013e";
static const char llama_control_text[] = "a\004b\0c\177d";

/* Returns the case named name in cases. */
static const cJSON *find_case(const cJSON *cases, const char *name)
{
    const cJSON *item;
    cJSON_ArrayForEach(item, cases)
    {
        const cJSON *case_name = cJSON_GetObjectItemCaseSensitive(item, "name");
        if (cJSON_IsString(case_name) && strcmp(case_name->valuestring, name) == 0)
            return item;
    }
    fail_msg("no case named '%s'", name);
    return NULL;
}

static void dump_nul_byte_stdin(void **state)
{
    HS_REQUIRE_FIXTURES();
    char dir[4200], path[4400], model[4200];
    make_tmpdir("cli-dump-nul", dir, sizeof dir);
    snprintf(model, sizeof model, "%s", hs_test_fixture("gpt2-tiny-random"));
    cJSON *json = hs_test_read_json(hs_test_fixture("tokenizer-cases.json"));
    const cJSON *gpt2 = cJSON_GetObjectItemCaseSensitive(json, "gpt2");
    const cJSON *item = find_case(cJSON_GetObjectItemCaseSensitive(gpt2, "cases"), "control-chars");
    const cJSON *ids = cJSON_GetObjectItemCaseSensitive(item, "ids");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(item, "text")->valuestring, "a");

    run_options options = {.dir = dir,
                           .input = bert_gpt2_control_text,
                           .input_size = sizeof bert_gpt2_control_text - 1};
    run_result r = run_with(&options, ARGS("dump", "--model", model, "-", "--out", "nul.st"));
    assert_success(&r);

    snprintf(path, sizeof path, "%s/nul.st", dir);
    hs_safetensors *file = hs_safetensors_open(path);
    assert_non_null(file);
    const hs_tensor *got = hs_safetensors_find(file, "input_ids");
    assert_non_null(got);
    assert_int_equal(got->count, cJSON_GetArraySize(ids));
    for (int i = 0; i < cJSON_GetArraySize(ids); i++)
        assert_int_equal(tensor_int(got, i), cJSON_GetArrayItem(ids, i)->valueint);
    hs_safetensors_close(file);
    free_result(&r);
    cJSON_Delete(json);
}

/* ---- tokenize ------------------------------------------------------------- */

/* Runs tokenize with input on stdin (NULL for none) and returns its parsed JSON. */
static cJSON *tokenize_json(const char *dir, const char *const *args, const void *input,
                            size_t input_size)
{
    run_options options = {.dir = dir, .input = input, .input_size = input_size};
    run_result r = run_with(&options, args);
    assert_success(&r);
    cJSON *json = cJSON_Parse(r.out);
    if (!json)
        print_error("tokenize output is not JSON: %s\n", r.out);
    assert_non_null(json);
    free_result(&r);
    return json;
}

static const cJSON *json_array(const cJSON *object, const char *key, int count)
{
    const cJSON *array = cJSON_GetObjectItemCaseSensitive(object, key);
    if (!cJSON_IsArray(array))
        print_error("tokenize output has no array '%s'\n", key);
    assert_true(cJSON_IsArray(array));
    assert_int_equal(cJSON_GetArraySize(array), count);
    return array;
}

static void assert_ids_equal(const cJSON *got, const cJSON *want)
{
    assert_int_equal(cJSON_GetArraySize(got), cJSON_GetArraySize(want));
    for (int i = 0; i < cJSON_GetArraySize(want); i++)
        assert_int_equal(cJSON_GetArrayItem(got, i)->valueint,
                         cJSON_GetArrayItem(want, i)->valueint);
}

static void assert_strings_equal(const cJSON *got, const cJSON *want)
{
    assert_int_equal(cJSON_GetArraySize(got), cJSON_GetArraySize(want));
    for (int i = 0; i < cJSON_GetArraySize(want); i++)
        assert_string_equal(cJSON_GetArrayItem(got, i)->valuestring,
                            cJSON_GetArrayItem(want, i)->valuestring);
}

/* Checks the fields every tokenize output has and returns the token count. */
static int check_fields(const cJSON *json, int with_type_ids)
{
    const cJSON *ids = cJSON_GetObjectItemCaseSensitive(json, "ids");
    assert_true(cJSON_IsArray(ids));
    int n = cJSON_GetArraySize(ids);
    json_array(json, "tokens", n);
    json_array(json, "labels", n);
    const cJSON *offsets = json_array(json, "offsets", n);
    for (int i = 0; i < n; i++)
        assert_int_equal(cJSON_GetArraySize(cJSON_GetArrayItem(offsets, i)), 2);
    if (with_type_ids)
        json_array(json, "type_ids", n);
    else
        assert_null(cJSON_GetObjectItemCaseSensitive(json, "type_ids"));
    return n;
}

static int offset_at(const cJSON *offsets, int token, int side)
{
    return cJSON_GetArrayItem(cJSON_GetArrayItem(offsets, token), side)->valueint;
}

/* Checks that a span lies inside a text of the given length. */
static void assert_span_inside(int start, int end, size_t length)
{
    assert_true(start >= 0);
    assert_true(start <= end);
    assert_true((size_t)end <= length);
}

static void tokenize_bert_cases(void **state)
{
    HS_REQUIRE_FIXTURES();
    char dir[4200], model[4200];
    make_tmpdir("cli-tokenize-bert", dir, sizeof dir);
    snprintf(model, sizeof model, "%s", hs_test_fixture("bert-tiny-random"));
    cJSON *inputs = hs_test_read_json(hs_test_fixture("bert-tiny-random/inputs.json"));
    int sliced = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(inputs, "cases"))
    {
        const char *text = cJSON_GetObjectItemCaseSensitive(item, "text")->valuestring;
        const cJSON *pair = cJSON_GetObjectItemCaseSensitive(item, "text_pair");
        const char *pair_text = cJSON_IsString(pair) ? pair->valuestring : NULL;
        cJSON *json =
            pair_text
                ? tokenize_json(dir, ARGS("tokenize", "--model", model, text, "--pair", pair_text),
                                NULL, 0)
                : tokenize_json(dir, ARGS("tokenize", "--model", model, text), NULL, 0);
        int n = check_fields(json, 1);
        assert_ids_equal(cJSON_GetObjectItemCaseSensitive(json, "ids"),
                         cJSON_GetObjectItemCaseSensitive(item, "input_ids"));
        assert_ids_equal(cJSON_GetObjectItemCaseSensitive(json, "type_ids"),
                         cJSON_GetObjectItemCaseSensitive(item, "token_type_ids"));
        assert_strings_equal(cJSON_GetObjectItemCaseSensitive(json, "tokens"),
                             cJSON_GetObjectItemCaseSensitive(item, "tokens"));

        /* Offsets index the segment's own text. Where the span is ASCII, it
         * lowercases to the token without its "##" continuation mark. */
        const cJSON *tokens = cJSON_GetObjectItemCaseSensitive(json, "tokens");
        const cJSON *offsets = cJSON_GetObjectItemCaseSensitive(json, "offsets");
        const cJSON *type_ids = cJSON_GetObjectItemCaseSensitive(json, "type_ids");
        for (int i = 0; i < n; i++) {
            const char *token = cJSON_GetArrayItem(tokens, i)->valuestring;
            const char *segment = cJSON_GetArrayItem(type_ids, i)->valueint ? pair_text : text;
            int start = offset_at(offsets, i, 0), end = offset_at(offsets, i, 1);
            assert_non_null(segment);
            assert_span_inside(start, end, strlen(segment));
            if (token[0] == '[')
                continue;
            int ascii = 1;
            for (int k = start; k < end; k++)
                ascii &= (unsigned char)segment[k] < 0x80;
            if (!ascii)
                continue;
            const char *piece = strncmp(token, "##", 2) == 0 ? token + 2 : token;
            assert_int_equal(strlen(piece), end - start);
            for (int k = start; k < end; k++)
                assert_int_equal(tolower((unsigned char)segment[k]), piece[k - start]);
            sliced++;
        }
        cJSON_Delete(json);
    }
    assert_true(sliced > 100);
    cJSON_Delete(inputs);
}

/* Decodes one GPT-2 byte-level symbol (a code point) to the byte it encodes.
 * GPT-2 spells the printable bytes 33-126, 161-172 and 174-255 as themselves
 * and the other 68 bytes, in order, as U+0100 onwards. */
static int gpt2_symbol_byte(unsigned code_point)
{
    int next = 256;
    for (int byte = 0; byte < 256; byte++) {
        int printable = (byte >= 33 && byte <= 126) || (byte >= 161 && byte <= 172) ||
                        (byte >= 174 && byte <= 255);
        unsigned symbol = printable ? (unsigned)byte : (unsigned)next++;
        if (symbol == code_point)
            return byte;
    }
    fail_msg("U+%04X is not a GPT-2 byte symbol", code_point);
    return -1;
}

/* Decodes a GPT-2 token string into the bytes it encodes and returns their
 * count. */
static size_t gpt2_token_bytes(const char *token, char *out, size_t size)
{
    size_t length = 0;
    const unsigned char *p = (const unsigned char *)token;
    while (*p) {
        unsigned code_point = *p++;
        if (code_point >= 0xC0) {
            code_point &= 0x1F;
            while ((*p & 0xC0) == 0x80)
                code_point = (code_point << 6) | (*p++ & 0x3F);
        }
        assert_true(length < size);
        out[length++] = (char)gpt2_symbol_byte(code_point);
    }
    return length;
}

static void tokenize_gpt2_cases(void **state)
{
    HS_REQUIRE_FIXTURES();
    char dir[4200], model[4200];
    make_tmpdir("cli-tokenize-gpt2", dir, sizeof dir);
    snprintf(model, sizeof model, "%s", hs_test_fixture("gpt2-tiny-random"));
    cJSON *inputs = hs_test_read_json(hs_test_fixture("gpt2-tiny-random/inputs.json"));
    const cJSON *item;
    cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(inputs, "cases"))
    {
        const char *text = cJSON_GetObjectItemCaseSensitive(item, "text")->valuestring;
        size_t length = strlen(text);
        cJSON *json = tokenize_json(dir, ARGS("tokenize", "--model", model, "-"), text, length);
        int n = check_fields(json, 0);
        assert_ids_equal(cJSON_GetObjectItemCaseSensitive(json, "ids"),
                         cJSON_GetObjectItemCaseSensitive(item, "input_ids"));
        assert_strings_equal(cJSON_GetObjectItemCaseSensitive(json, "tokens"),
                             cJSON_GetObjectItemCaseSensitive(item, "tokens"));

        /* Byte-level BPE loses nothing, so the spans tile the text and each
         * span contains exactly the bytes its token encodes. */
        const cJSON *tokens = cJSON_GetObjectItemCaseSensitive(json, "tokens");
        const cJSON *offsets = cJSON_GetObjectItemCaseSensitive(json, "offsets");
        int previous_end = 0;
        for (int i = 0; i < n; i++) {
            char bytes[256];
            size_t count =
                gpt2_token_bytes(cJSON_GetArrayItem(tokens, i)->valuestring, bytes, sizeof bytes);
            int start = offset_at(offsets, i, 0), end = offset_at(offsets, i, 1);
            assert_int_equal(start, previous_end);
            assert_span_inside(start, end, length);
            assert_int_equal(end - start, count);
            assert_memory_equal(text + start, bytes, count);
            previous_end = end;
        }
        assert_int_equal(previous_end, length);
        cJSON_Delete(json);
    }
    cJSON_Delete(inputs);
}

/* Checks Llama-2 offsets. A "<0xXX>" token spans the one byte XX. Any other
 * span contains the token with U+2581 read as a space, less the space that
 * the tokenizer prepends to the text. */
static void check_llama_offsets(const cJSON *json, const char *text)
{
    static const char space_mark[] = "\xE2\x96\x81";
    const cJSON *tokens = cJSON_GetObjectItemCaseSensitive(json, "tokens");
    const cJSON *offsets = cJSON_GetObjectItemCaseSensitive(json, "offsets");
    for (int i = 0; i < cJSON_GetArraySize(tokens); i++) {
        const char *token = cJSON_GetArrayItem(tokens, i)->valuestring;
        int start = offset_at(offsets, i, 0), end = offset_at(offsets, i, 1);
        assert_span_inside(start, end, strlen(text));
        if (strcmp(token, "<s>") == 0)
            continue;
        unsigned byte = 0;
        if (strlen(token) == 6 && sscanf(token, "<0x%2X>", &byte) == 1) {
            assert_int_equal(end - start, 1);
            assert_int_equal((unsigned char)text[start], byte);
            continue;
        }
        char want[256];
        size_t length = 0;
        for (const char *p = token; *p;) {
            if (strncmp(p, space_mark, 3) == 0) {
                want[length++] = ' ';
                p += 3;
            } else {
                want[length++] = *p++;
            }
        }
        const char *expected = want;
        if (start == 0 && want[0] == ' ' && (size_t)end == length - 1) {
            expected++;
            length--;
        }
        assert_int_equal(end - start, length);
        assert_memory_equal(text + start, expected, length);
    }
}

static void tokenize_llama_cases(void **state)
{
    HS_REQUIRE_FIXTURES();
    char dir[4200], model[4200];
    make_tmpdir("cli-tokenize-llama", dir, sizeof dir);
    snprintf(model, sizeof model, "%s", hs_test_fixture("llama-tiny-tokenizer"));
    cJSON *inputs = hs_test_read_json(hs_test_fixture("llama-tiny-tokenizer/inputs.json"));
    const cJSON *item;
    cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(inputs, "cases"))
    {
        const char *text = cJSON_GetObjectItemCaseSensitive(item, "text")->valuestring;
        cJSON *json =
            tokenize_json(dir, ARGS("tokenize", "--model", model, "-"), text, strlen(text));
        check_fields(json, 0);
        assert_ids_equal(cJSON_GetObjectItemCaseSensitive(json, "ids"),
                         cJSON_GetObjectItemCaseSensitive(item, "input_ids"));
        assert_strings_equal(cJSON_GetObjectItemCaseSensitive(json, "tokens"),
                             cJSON_GetObjectItemCaseSensitive(item, "tokens"));
        check_llama_offsets(json, text);
        cJSON_Delete(json);
    }
    cJSON_Delete(inputs);
}

/* Tokenizes bytes with a NUL through stdin and compares with reference ids. */
static void check_nul_case(const char *dir, const char *model, const char *text, size_t size,
                           const cJSON *want)
{
    cJSON *json = tokenize_json(dir, ARGS("tokenize", "--model", model, "-"), text, size);
    assert_ids_equal(cJSON_GetObjectItemCaseSensitive(json, "ids"), want);
    cJSON_Delete(json);
}

static void tokenize_nul_byte_stdin(void **state)
{
    HS_REQUIRE_FIXTURES();
    char dir[4200], bert[4200], gpt2[4200], llama[4200];
    make_tmpdir("cli-tokenize-nul", dir, sizeof dir);
    snprintf(bert, sizeof bert, "%s", hs_test_fixture("bert-tiny-random"));
    snprintf(gpt2, sizeof gpt2, "%s", hs_test_fixture("gpt2-tiny-random"));
    snprintf(llama, sizeof llama, "%s", hs_test_fixture("llama-tiny-tokenizer"));

    cJSON *cases = hs_test_read_json(hs_test_fixture("tokenizer-cases.json"));
    const cJSON *bert_case = find_case(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(cases, "bert"), "cases"),
        "control-chars");
    const cJSON *gpt2_case = find_case(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(cases, "gpt2"), "cases"),
        "control-chars");
    check_nul_case(dir, bert, bert_gpt2_control_text, sizeof bert_gpt2_control_text - 1,
                   cJSON_GetObjectItemCaseSensitive(bert_case, "input_ids"));
    check_nul_case(dir, gpt2, bert_gpt2_control_text, sizeof bert_gpt2_control_text - 1,
                   cJSON_GetObjectItemCaseSensitive(gpt2_case, "ids"));
    cJSON_Delete(cases);

    cases = hs_test_read_json(hs_test_fixture("tokenizer-json-cases.json"));
    const cJSON *llama2 = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cases, "tokenizers"), "llama2");
    const cJSON *llama_case =
        find_case(cJSON_GetObjectItemCaseSensitive(llama2, "cases"), "control-chars");
    assert_memory_equal(cJSON_GetObjectItemCaseSensitive(llama_case, "text")->valuestring,
                        llama_control_text, 3);
    check_nul_case(dir, llama, llama_control_text, sizeof llama_control_text - 1,
                   cJSON_GetObjectItemCaseSensitive(llama_case, "ids"));
    cJSON_Delete(cases);
}

/* Copies fixture files into a folder of their own. */
static void copy_fixture_files(const char *folder, const char *const *names, const char *to)
{
    char from[4400], path[4400];
    for (int i = 0; names[i]; i++) {
        snprintf(from, sizeof from, "%s/%s", hs_test_fixture(folder), names[i]);
        size_t size = 0;
        char *data = hs_test_read_file(from, &size);
        assert_non_null(data);
        snprintf(path, sizeof path, "%s/%s", to, names[i]);
        hs_test_write_file(path, data, size);
        free(data);
    }
}

/* Tokenizes the first cases of a fixture folder with a tokenizer-only copy. */
static void check_tokenizer_only(const char *folder, const char *const *names, int cases)
{
    char dir[4200], model[4400];
    make_tmpdir("cli-tokenizer-only", dir, sizeof dir);
    snprintf(model, sizeof model, "%s/tokenizer", dir);
    assert_int_equal(mkdir(model, 0755), 0);
    copy_fixture_files(folder, names, model);

    char path[4400];
    snprintf(path, sizeof path, "%s/inputs.json", hs_test_fixture(folder));
    cJSON *inputs = hs_test_read_json(path);
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(inputs, "cases");
    for (int i = 0; i < cases && i < cJSON_GetArraySize(list); i++) {
        const cJSON *item = cJSON_GetArrayItem(list, i);
        const char *text = cJSON_GetObjectItemCaseSensitive(item, "text")->valuestring;
        const cJSON *pair = cJSON_GetObjectItemCaseSensitive(item, "text_pair");
        cJSON *json =
            cJSON_IsString(pair)
                ? tokenize_json(
                      dir, ARGS("tokenize", "--model", model, text, "--pair", pair->valuestring),
                      NULL, 0)
                : tokenize_json(dir, ARGS("tokenize", "--model", model, text), NULL, 0);
        assert_ids_equal(cJSON_GetObjectItemCaseSensitive(json, "ids"),
                         cJSON_GetObjectItemCaseSensitive(item, "input_ids"));
        cJSON_Delete(json);
    }
    cJSON_Delete(inputs);
}

static void tokenize_llama_tokenizer_only(void **state)
{
    HS_REQUIRE_FIXTURES();
    check_tokenizer_only("llama-tiny-tokenizer", ARGS("tokenizer.json", "tokenizer_config.json"),
                         4);
}

/* The accents case needs do_lower_case from tokenizer_config.json. */
static void tokenize_bert_tokenizer_only(void **state)
{
    HS_REQUIRE_FIXTURES();
    check_tokenizer_only("bert-tiny-random", ARGS("vocab.txt", "tokenizer_config.json"), 6);
}

static void tokenize_bos_flags(void **state)
{
    HS_REQUIRE_FIXTURES();
    char dir[4200], model[4200];
    make_tmpdir("cli-tokenize-bos", dir, sizeof dir);
    snprintf(model, sizeof model, "%s", hs_test_fixture("llama-tiny-tokenizer"));
    const char *text = "Once upon a time";

    cJSON *plain = tokenize_json(dir, ARGS("tokenize", "--model", model, text), NULL, 0);
    cJSON *with = tokenize_json(dir, ARGS("tokenize", "--model", model, "--bos", text), NULL, 0);
    cJSON *without =
        tokenize_json(dir, ARGS("tokenize", "--model", model, "--no-bos", text), NULL, 0);
    const cJSON *plain_ids = cJSON_GetObjectItemCaseSensitive(plain, "ids");
    const cJSON *with_ids = cJSON_GetObjectItemCaseSensitive(with, "ids");
    const cJSON *without_ids = cJSON_GetObjectItemCaseSensitive(without, "ids");
    int n = cJSON_GetArraySize(plain_ids);

    assert_true(n > 1);
    assert_int_equal(cJSON_GetArrayItem(plain_ids, 0)->valueint, 1);
    assert_ids_equal(with_ids, plain_ids);
    assert_int_equal(cJSON_GetArraySize(without_ids), n - 1);
    for (int i = 1; i < n; i++)
        assert_int_equal(cJSON_GetArrayItem(without_ids, i - 1)->valueint,
                         cJSON_GetArrayItem(plain_ids, i)->valueint);
    assert_int_not_equal(cJSON_GetArrayItem(without_ids, 0)->valueint, 1);
    cJSON_Delete(plain);
    cJSON_Delete(with);
    cJSON_Delete(without);
}

/* ---- info ----------------------------------------------------------------- */

/* Counts the floating-point parameters of a checkpoint, less BERT's pooler,
 * which the attention path does not use and headscope does not load. */
static long long count_parameters(const char *folder)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/model.safetensors", hs_test_fixture(folder));
    hs_safetensors *file = hs_safetensors_open(path);
    assert_non_null(file);
    long long total = 0;
    for (size_t i = 0; i < hs_safetensors_count(file); i++) {
        const hs_tensor *t = hs_safetensors_at(file, i);
        int is_float =
            t->dtype == HS_DTYPE_F32 || t->dtype == HS_DTYPE_F16 || t->dtype == HS_DTYPE_BF16;
        if (is_float && !strstr(t->name, "pooler."))
            total += t->count;
    }
    hs_safetensors_close(file);
    return total;
}

static void assert_info_line(const char *out, const char *key, const char *want)
{
    char *value = info_value(out, key);
    assert_string_equal(value, want);
    free(value);
}

static void info_fixture_models(void **state)
{
    HS_REQUIRE_FIXTURES();
    static const struct {
        const char *folder, *layers, *heads, *hidden, *vocabulary, *dtype;
    } models[] = {
        {"bert-tiny-random", "2", "4", "32", "30522", "F32"},
        {"bert-tiny-random-legacy", "2", "4", "32", "30522", "F16"},
        {"gpt2-tiny-random", "2", "4", "32", "50257", "BF16"},
        {"llama-tiny-random", "2", "4 query heads sharing 2 key/value heads", "32", "512", "F32"},
        {"llama-tiny-tokenizer", "2", "4 query heads sharing 2 key/value heads", "32", "32000",
         "BF16"},
        {"llama-stories260k", "5", "8 query heads sharing 4 key/value heads", "64", "512", "F32"},
    };
    char dir[4200], model[4200], parameters[32];
    make_tmpdir("cli-info", dir, sizeof dir);
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++) {
        snprintf(model, sizeof model, "%s", hs_test_fixture(models[i].folder));
        run_result r = run_in(dir, ARGS("info", "--model", model));
        assert_success(&r);
        assert_info_line(r.out, "layers", models[i].layers);
        assert_info_line(r.out, "heads", models[i].heads);
        assert_info_line(r.out, "hidden size", models[i].hidden);
        assert_info_line(r.out, "vocabulary", models[i].vocabulary);
        assert_info_line(r.out, "dtype", models[i].dtype);
        snprintf(parameters, sizeof parameters, "%lld", count_parameters(models[i].folder));
        assert_info_line(r.out, "parameters", parameters);
        assert_string_equal(r.err, "");
        free_result(&r);
    }
}

/* ---- inspect -------------------------------------------------------------- */

/* Writes a safetensors file from a JSON header and a data section. */
static void write_safetensors(const char *path, const char *header, const void *data, size_t size)
{
    size_t header_length = strlen(header);
    size_t padded = (header_length + 7) / 8 * 8;
    size_t total = 8 + padded + size;
    unsigned char *bytes = malloc(total);
    assert_non_null(bytes);
    for (int i = 0; i < 8; i++)
        bytes[i] = (unsigned char)((uint64_t)padded >> (8 * i));
    memset(bytes + 8, ' ', padded);
    memcpy(bytes + 8, header, header_length);
    if (size)
        memcpy(bytes + 8 + padded, data, size);
    hs_test_write_file(path, bytes, total);
    free(bytes);
}

/* Checks that "inspect --values NAME" prints a JSON array equal to the tensor. */
static void check_values(const char *dir, const char *path, const hs_tensor *t)
{
    run_result r = run_in(dir, ARGS("inspect", path, "--values", t->name));
    assert_success(&r);
    cJSON *array = cJSON_Parse(r.out);
    if (!array)
        print_error("inspect --values %s is not JSON: %.200s\n", t->name, r.out);
    assert_true(cJSON_IsArray(array));
    assert_int_equal(cJSON_GetArraySize(array), t->count);
    float *want = hs_tensor_to_f32(t);
    assert_non_null(want);
    int i = 0;
    const cJSON *value;
    cJSON_ArrayForEach(value, array)
    {
        assert_true(cJSON_IsNumber(value));
        assert_float_equal((float)value->valuedouble, want[i], 0.0);
        i++;
    }
    free(want);
    cJSON_Delete(array);
    free_result(&r);
}

/* Checks the listing "PATH: N tensors" and one "NAME\tDTYPE\t[SHAPE]" line
 * per tensor, then every tensor's values. */
static void check_inspect(const char *dir, const char *path)
{
    hs_safetensors *file = hs_safetensors_open(path);
    assert_non_null(file);
    run_result r = run_in(dir, ARGS("inspect", path));
    assert_success(&r);

    size_t count = hs_safetensors_count(file);
    size_t size = 4400 + count * 200;
    char *want = malloc(size);
    assert_non_null(want);
    size_t used = (size_t)snprintf(want, size, "%s: %zu tensors\n", path, count);
    for (size_t i = 0; i < count; i++) {
        const hs_tensor *t = hs_safetensors_at(file, i);
        used += (size_t)snprintf(want + used, size - used, "%s\t%s\t[", t->name,
                                 hs_dtype_name(t->dtype));
        for (int d = 0; d < t->ndim; d++)
            used += (size_t)snprintf(want + used, size - used, "%s%lld", d ? ", " : "",
                                     (long long)t->shape[d]);
        used += (size_t)snprintf(want + used, size - used, "]\n");
    }
    assert_string_equal(r.out, want);
    for (size_t i = 0; i < count; i++)
        check_values(dir, path, hs_safetensors_at(file, i));
    free(want);
    free_result(&r);
    hs_safetensors_close(file);
}

static void inspect_handmade_file(void **state)
{
    char dir[4200], path[4400];
    make_tmpdir("cli-inspect", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/small.safetensors", dir);
    const float matrix[4] = {1.5f, -2.25f, 3.0e-7f, 65504.0f};
    const int64_t ids[3] = {0, 42, -7};
    const uint16_t halves[2] = {0x3C00, 0xC000}; /* 1.0 and -2.0 in F16 */
    unsigned char data[44];
    memcpy(data, matrix, 16);
    memcpy(data + 16, ids, 24);
    memcpy(data + 40, halves, 4);
    write_safetensors(path,
                      "{\"matrix\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]},"
                      "\"ids\":{\"dtype\":\"I64\",\"shape\":[3],\"data_offsets\":[16,40]},"
                      "\"halves\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[40,44]}}",
                      data, sizeof data);
    check_inspect(dir, path);

    run_result r = run_in(dir, ARGS("inspect", path, "--values", "ids"));
    assert_success(&r);
    assert_string_equal(r.out, "[0, 42, -7]\n");
    free_result(&r);

    r = run_in(dir, ARGS("inspect", path, "--values", "absent"));
    ASSERT_FAILURE(&r, path, "'absent'");
    free_result(&r);
}

/* JSON has no NaN or infinity, so --values prints them as null with a note on stderr. */
static void inspect_values_non_finite(void **state)
{
    char dir[4200], path[4400];
    make_tmpdir("cli-inspect-nan", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/odd.safetensors", dir);
    const float values[3] = {1.5f, NAN, -INFINITY};
    write_safetensors(path, "{\"odd\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]}}",
                      values, sizeof values);
    run_result r = run_in(dir, ARGS("inspect", path, "--values", "odd"));
    assert_success(&r);
    assert_string_equal(r.out, "[1.5, null, null]\n");
    cJSON *json = cJSON_Parse(r.out);
    assert_non_null(json);
    cJSON_Delete(json);
    assert_non_null(strstr(r.err, "2 values of odd are NaN or infinite"));
    free_result(&r);
}

/* --pair is for WordPiece tokenizers, in tokenize as in the other commands. */
static void tokenize_pair_needs_wordpiece(void **state)
{
    char dir[4200], path[4400];
    make_tmpdir("cli-pair-bpe", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/vocab.json", dir);
    const char vocab[] = "{\"a\": 0, \"b\": 1}";
    hs_test_write_file(path, vocab, sizeof vocab - 1);
    snprintf(path, sizeof path, "%s/merges.txt", dir);
    const char merges[] = "#version: 0.2\n";
    hs_test_write_file(path, merges, sizeof merges - 1);
    run_result r = run_in(dir, ARGS("tokenize", "--model", dir, "a", "--pair", "b"));
    ASSERT_FAILURE(&r, "--pair", dir);
    free_result(&r);
}

static void inspect_fixture_files(void **state)
{
    HS_REQUIRE_FIXTURES();
    char dir[4200], path[4400];
    make_tmpdir("cli-inspect-fixture", dir, sizeof dir);
    snprintf(path, sizeof path, "%s",
             hs_test_fixture("bert-tiny-random/expected-pair.safetensors"));
    check_inspect(dir, path);

    /* Half-precision checkpoints print their values converted to float32. */
    snprintf(path, sizeof path, "%s", hs_test_fixture("bert-tiny-random-legacy/model.safetensors"));
    hs_safetensors *file = hs_safetensors_open(path);
    assert_non_null(file);
    check_values(dir, path, hs_safetensors_find(file, "embeddings.LayerNorm.gamma"));
    hs_safetensors_close(file);
    snprintf(path, sizeof path, "%s", hs_test_fixture("gpt2-tiny-random/model.safetensors"));
    file = hs_safetensors_open(path);
    assert_non_null(file);
    check_values(dir, path, hs_safetensors_find(file, "h.0.attn.c_attn.bias"));
    hs_safetensors_close(file);
}

static void inspect_malformed_files(void **state)
{
    static const struct {
        const char *name;
        const char *header; /* NULL: write raw bytes instead */
        const char *raw;
        size_t raw_size;
        size_t data_size;
    } files[] = {
        {"empty.safetensors", NULL, "", 0, 0},
        {"short.safetensors", NULL, "abc", 3, 0},
        {"past-end.safetensors", NULL, "\x40\0\0\0\0\0\0\0{}", 10, 0},
        {"not-json.safetensors", "{\"a\": [1, 2", NULL, 0, 0},
        {"not-object.safetensors", "[1, 2, 3]", NULL, 0, 0},
        {"bad-dtype.safetensors",
         "{\"a\":{\"dtype\":\"F31\",\"shape\":[1],\"data_offsets\":[0,4]}}", NULL, 0, 4},
        {"offset-past-data.safetensors",
         "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", NULL, 0, 8},
        {"shape-mismatch.safetensors",
         "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", NULL, 0, 8},
        {"overlap.safetensors",
         "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
         "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
         NULL, 0, 12},
        {"negative-shape.safetensors",
         "{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", NULL, 0, 4},
    };
    char dir[4200], path[4400];
    make_tmpdir("cli-inspect-bad", dir, sizeof dir);
    const unsigned char zeros[16] = {0};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i].name);
        if (files[i].header)
            write_safetensors(path, files[i].header, zeros, files[i].data_size);
        else
            hs_test_write_file(path, files[i].raw, files[i].raw_size);
        run_result r = run_in(dir, ARGS("inspect", path));
        ASSERT_FAILURE(&r, path);
        assert_string_equal(r.out, "");
        free_result(&r);
    }

    snprintf(path, sizeof path, "%s/absent.safetensors", dir);
    run_result r = run_in(dir, ARGS("inspect", path));
    ASSERT_FAILURE(&r, path);
    free_result(&r);
    r = run_in(dir, ARGS("inspect", dir));
    ASSERT_FAILURE(&r, dir);
    free_result(&r);
}

/* ---- failures ------------------------------------------------------------- */

/* compare lists ten heads by default, or every head of a smaller model. */
static void compare_default_top_small_model(void **state)
{
    HS_REQUIRE_FIXTURES();
    char dir[4200], model[4400];
    make_tmpdir("cli-compare-top", dir, sizeof dir);
    snprintf(model, sizeof model, "%s", hs_test_fixture("bert-tiny-random"));
    run_result r = run_in(dir, ARGS("compare", "--model", model, "--a", "hello world", "--b",
                                    "hello there", "--word", "hello"));
    assert_success(&r);
    assert_non_null(strstr(r.out, "rank"));
    free_result(&r);
}

/* On a decoder the compared word is taken after the sentences' common
 * beginning, where its numbers can differ: the second "the" here. */
static void compare_decoder_word_after_prefix(void **state)
{
    HS_REQUIRE_FIXTURES();
    char dir[4200];
    make_tmpdir("cli-compare-prefix", dir, sizeof dir);
    const char *model = hs_test_fixture("gpt2-tiny-random");
    run_result r = run_in(dir, ARGS("compare", "--model", model, "--a", "The key is on the table",
                                    "--b", "The key is in the lock", "--json"));
    assert_success(&r);
    cJSON *json = cJSON_Parse(r.out);
    assert_non_null(json);
    const cJSON *side_a = cJSON_GetObjectItemCaseSensitive(json, "a");
    const cJSON *side_b = cJSON_GetObjectItemCaseSensitive(json, "b");
    const cJSON *pos_a = cJSON_GetObjectItemCaseSensitive(side_a, "position");
    const cJSON *pos_b = cJSON_GetObjectItemCaseSensitive(side_b, "position");
    if (!cJSON_IsNumber(pos_a) || !cJSON_IsNumber(pos_b))
        fail_msg("no a.position or b.position in:\n%s", r.out);
    assert_int_equal(pos_a->valueint, 4);
    assert_int_equal(pos_b->valueint, 4);
    cJSON_Delete(json);
    free_result(&r);

    /* The same sentence twice: every score is 0, and a note on stderr gives the reason. */
    r = run_in(dir, ARGS("compare", "--model", model, "--a", "the cat", "--b", "the cat"));
    assert_success(&r);
    assert_non_null(strstr(r.err, "A and B are the same tokens"));
    assert_non_null(strstr(r.out, "0.0000"));
    free_result(&r);

    r = run_in(dir, ARGS("compare", "--model", model, "--a", "-", "--b", "-"));
    ASSERT_FAILURE(&r, "--a and --b both read standard input");
    free_result(&r);

    r = run_in(dir, ARGS("compare", "--model", model, "--a", "The key is on the table", "--b",
                         "The key is in the lock", "--word", "the"));
    assert_success(&r);
    assert_non_null(strstr(r.out, "A: The key is on [the] table"));
    assert_null(strstr(r.err, "every score is 0"));
    free_result(&r);
}

/* A token id far past any real vocabulary is an error, not an endless loop
 * or a gigabyte table. */
static void error_token_id_too_large(void **state)
{
    char dir[4200], path[4400];
    make_tmpdir("cli-huge-id", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/vocab.json", dir);
    const char vocab[] = "{\"a\": 0, \"b\": 2147483647}";
    hs_test_write_file(path, vocab, sizeof vocab - 1);
    snprintf(path, sizeof path, "%s/merges.txt", dir);
    const char merges[] = "#version: 0.2\n";
    hs_test_write_file(path, merges, sizeof merges - 1);
    run_result r = run_in(dir, ARGS("tokenize", "--model", dir, "ab"));
    ASSERT_FAILURE(&r, "2147483647");
    free_result(&r);
}

static void error_missing_model_folder(void **state)
{
    char dir[4200], model[4400];
    make_tmpdir("cli-missing-model", dir, sizeof dir);
    snprintf(model, sizeof model, "%s/no-such-model", dir);
    run_result r = run_in(dir, ARGS("info", "--model", model));
    ASSERT_FAILURE(&r, model);
    free_result(&r);
    r = run_in(dir, ARGS("tokenize", "--model", model, "hello"));
    ASSERT_FAILURE(&r, model);
    free_result(&r);
    r = run_in(dir, ARGS("dump", "--model", model, "hello", "--out", "x.safetensors"));
    ASSERT_FAILURE(&r, model);
    free_result(&r);
}

static void error_hub_name_not_cached(void **state)
{
    char dir[4200], hf_home[4400], looked[4600];
    make_tmpdir("cli-hub", dir, sizeof dir);
    snprintf(hf_home, sizeof hf_home, "%s/hf-home", dir);
    assert_int_equal(mkdir(hf_home, 0755), 0);
    snprintf(looked, sizeof looked, "%s/hub/models--example-org--absent-model", hf_home);

    run_options options = {.dir = dir, .hf_home = hf_home};
    run_result r = run_with(&options, ARGS("info", "--model", "example-org/absent-model"));
    ASSERT_FAILURE(&r, "'example-org/absent-model'", looked, "does not download");
    free_result(&r);
}

static void error_invalid_utf8(void **state)
{
    const char *model = any_model();
    REQUIRE_MODEL(model);
    char dir[4200], out[4400];
    make_tmpdir("cli-utf8", dir, sizeof dir);
    static const char bad[] = "ab\xFF"
                              "cd";

    run_options options = {.dir = dir, .input = bad, .input_size = 5};
    run_result r = run_with(&options, ARGS("tokenize", "--model", model, "-"));
    ASSERT_FAILURE(&r, "byte 2", "0xFF");
    free_result(&r);

    r = run_with(&options, ARGS("dump", "--model", model, "-", "--out", "x.safetensors"));
    ASSERT_FAILURE(&r, "byte 2");
    free_result(&r);
    snprintf(out, sizeof out, "%s/x.safetensors", dir);
    assert_false(file_exists(out));

    /* A truncated two-byte sequence as an argument and as --pair. */
    r = run_in(dir, ARGS("tokenize", "--model", model, "Caf\xC3"));
    ASSERT_FAILURE(&r, "TEXT", "byte 3");
    free_result(&r);
    r = run_in(dir, ARGS("tokenize", "--model", model, "ok", "--pair", "\xE2\x82"));
    ASSERT_FAILURE(&r, "--pair", "byte 0");
    free_result(&r);
}

static void error_ids_not_numbers(void **state)
{
    static const char *const lists[] = {"1,x,3", "", "1,,2", "-5", "1.5", "7,", "99999999999",
                                        "+5", " 5", "5, 6"};
    char dir[4200];
    make_tmpdir("cli-ids", dir, sizeof dir);
    const char *model = any_model();
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
        const char *const with_model[] = {"dump",   "--model", model,           "--ids",
                                          lists[i], "--out",   "x.safetensors", NULL};
        const char *const without_model[] = {"dump",  "--ids",         lists[i],
                                             "--out", "x.safetensors", NULL};
        run_result r = run_in(dir, model ? with_model : without_model);
        ASSERT_FAILURE(&r, "--ids");
        if (lists[i][0])
            ASSERT_FAILURE(&r, lists[i]);
        free_result(&r);
    }
}

/* export --scale takes 1 or max, and index.json records it. --aggregate
 * rejects --head, and --layer unless it is per layer. */
static void export_scale_option(void **state)
{
    const char *model = any_model();
    REQUIRE_MODEL(model);
    char dir[4200], path[4400];
    make_tmpdir("cli-scale", dir, sizeof dir);
    run_result r = run_in(dir, ARGS("export", "--model", model, "hi", "--out", "o", "--layer", "0",
                                    "--head", "0", "--scale", "max"));
    assert_success(&r);
    free_result(&r);
    snprintf(path, sizeof path, "%s/o/index.json", dir);
    cJSON *index = hs_test_read_json(path);
    const cJSON *scale = cJSON_GetObjectItemCaseSensitive(index, "scale");
    assert_true(cJSON_IsString(scale));
    assert_string_equal(scale->valuestring, "max");
    cJSON_Delete(index);

    r = run_in(dir, ARGS("export", "--model", model, "hi", "--out", "o", "--scale", "2"));
    ASSERT_FAILURE(&r, "--scale", "'2'");
    free_result(&r);

    /* Options that an aggregate would ignore are errors. */
    r = run_in(dir, ARGS("export", "--model", model, "hi", "--out", "o", "--aggregate",
                         "rollout", "--head", "1"));
    ASSERT_FAILURE(&r, "--head", "rollout");
    free_result(&r);
    r = run_in(dir, ARGS("export", "--model", model, "hi", "--out", "o", "--aggregate",
                         "all-mean", "--layer", "1"));
    ASSERT_FAILURE(&r, "--layer", "all-mean");
    free_result(&r);
}

/* Text that starts with '-' passes after '--', and before it the error names
 * '--'. Numbers take digits only. */
static void options_dash_text_and_numbers(void **state)
{
    const char *model = any_model();
    REQUIRE_MODEL(model);
    char dir[4200];
    make_tmpdir("cli-dash", dir, sizeof dir);

    run_result r = run_in(dir, ARGS("tokenize", "--model", model, "--", "-5 degrees"));
    assert_success(&r);
    assert_non_null(strstr(r.out, "degrees"));
    free_result(&r);

    r = run_in(dir, ARGS("tokenize", "--model", model, "-5 degrees"));
    ASSERT_FAILURE(&r, "unknown option '-5 degrees'", "'--'");
    free_result(&r);
    r = run_in(dir, ARGS("export", "--model", model, "hi", "--out", "o", "-x", "foo"));
    ASSERT_FAILURE(&r, "unknown option '-x'");
    free_result(&r);
    r = run_in(dir, ARGS("export", "--model", model, "hi", "--out", "o", "--layer", " 2"));
    ASSERT_FAILURE(&r, "--layer", "' 2'");
    free_result(&r);
    r = run_in(dir, ARGS("export", "--model", model, "hi", "--out", "o", "--head", "+3"));
    ASSERT_FAILURE(&r, "--head", "'+3'");
    free_result(&r);
    r = run_in(dir, ARGS("info", "--model", model, "--", "extra"));
    ASSERT_FAILURE(&r, "unexpected argument 'extra'");
    free_result(&r);
}

static void error_id_outside_vocabulary(void **state)
{
    const char *model = any_model();
    REQUIRE_MODEL(model);
    char dir[4200], ids[64], vocabulary[32], out[4400];
    make_tmpdir("cli-ids-range", dir, sizeof dir);
    long vocab = info_number(dir, model, "vocabulary");
    assert_true(vocab > 0);
    snprintf(ids, sizeof ids, "1,2,%ld", vocab);
    snprintf(vocabulary, sizeof vocabulary, "%ld", vocab);

    run_result r = run_in(dir, ARGS("dump", "--model", model, "--ids", ids, "--out", "x.st"));
    ASSERT_FAILURE(&r, vocabulary, "position 2");
    free_result(&r);
    snprintf(out, sizeof out, "%s/x.st", dir);
    assert_false(file_exists(out));

    snprintf(ids, sizeof ids, "%ld", vocab - 1);
    r = run_in(dir, ARGS("dump", "--model", model, "--ids", ids, "--out", "x.st"));
    assert_success(&r);
    assert_true(file_exists(out));
    free_result(&r);
}

static void error_unknown_option(void **state)
{
    static const char *const commands[] = {"info",    "tokenize", "dump",  "inspect",
                                           "compare", "roles",    "export"};
    char dir[4200];
    make_tmpdir("cli-unknown-option", dir, sizeof dir);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        run_result r = run_in(dir, ARGS(commands[i], "--frobnicate"));
        ASSERT_FAILURE(&r, "'--frobnicate'");
        assert_string_equal(r.out, "");
        free_result(&r);
    }
    run_result r = run_in(dir, ARGS("frobnicate"));
    ASSERT_FAILURE(&r, "'frobnicate'");
    free_result(&r);

    /* An option that needs a value, given none. */
    r = run_in(dir, ARGS("dump", "hello", "--out"));
    ASSERT_FAILURE(&r, "'--out'");
    free_result(&r);
}

static void error_missing_out(void **state)
{
    char dir[4200];
    make_tmpdir("cli-missing-out", dir, sizeof dir);
    const char *model = any_model();
    const char *const with_model[] = {"dump", "--model", model, "hello", NULL};
    run_result r = run_in(dir, model ? with_model : ARGS("dump", "hello"));
    ASSERT_FAILURE(&r, "--out");
    free_result(&r);
}

/* Returns how many entries of a folder have a name containing part. */
static int count_entries(const char *dir, const char *part)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int count = 0;
    for (struct dirent *e; (e = readdir(d));)
        count += strstr(e->d_name, part) != NULL;
    closedir(d);
    return count;
}

static void error_out_in_missing_folder(void **state)
{
    const char *model = any_model();
    REQUIRE_MODEL(model);
    char dir[4200], absent[4400], out[4600];
    make_tmpdir("cli-out-folder", dir, sizeof dir);
    snprintf(absent, sizeof absent, "%s/absent", dir);
    snprintf(out, sizeof out, "%s/x.safetensors", absent);

    run_result r = run_in(dir, ARGS("dump", "--model", model, "hello", "--out", out));
    ASSERT_FAILURE(&r, out);
    assert_false(file_exists(absent));
    assert_int_equal(count_entries(dir, ".safetensors"), 0);
    free_result(&r);
}

static void dump_long_text_cut(void **state)
{
    const char *model = any_model();
    REQUIRE_MODEL(model);
    char dir[4200], path[4400], max_text[32];
    make_tmpdir("cli-long", dir, sizeof dir);
    long max = info_number(dir, model, "max positions");
    long layers = info_number(dir, model, "layers");
    assert_true(max > 0);
    snprintf(max_text, sizeof max_text, "%ld", max);

    /* Twice as many words as positions, through standard input. */
    size_t size = (size_t)max * 2 * 6 + 1;
    char *text = malloc(size);
    assert_non_null(text);
    for (long i = 0; i < max * 2; i++)
        memcpy(text + i * 6, "river ", 6);
    run_options options = {.dir = dir, .input = text, .input_size = size - 1};
    run_result r = run_with(&options, ARGS("dump", "--model", model, "-", "--out", "t.st"));
    assert_success(&r);
    assert_int_equal(r.err_lines, 1);
    assert_non_null(strstr(r.err, "note"));
    assert_non_null(strstr(r.err, max_text));
    free_result(&r);

    /* The same for more ids than positions. */
    char *ids = malloc((size_t)max * 4 + 8);
    assert_non_null(ids);
    size_t used = 0;
    for (long i = 0; i < max + 5; i++)
        used += (size_t)sprintf(ids + used, "%s1", i ? "," : "");
    r = run_in(dir, ARGS("dump", "--model", model, "--ids", ids, "--out", "i.st"));
    assert_success(&r);
    assert_int_equal(r.err_lines, 1);
    assert_non_null(strstr(r.err, "note"));
    free_result(&r);

    static const char *const outputs[] = {"t.st", "i.st"};
    for (int k = 0; k < 2; k++) {
        snprintf(path, sizeof path, "%s/%s", dir, outputs[k]);
        hs_safetensors *file = hs_safetensors_open(path);
        assert_non_null(file);
        assert_int_equal(hs_safetensors_find(file, "input_ids")->count, max);
        const hs_tensor *attention = hs_safetensors_find(file, "attentions.0");
        assert_non_null(attention);
        assert_int_equal(attention->shape[1], max);
        assert_int_equal(attention->shape[2], max);
        char name[64];
        snprintf(name, sizeof name, "hidden_states.%ld", layers);
        assert_int_equal(hs_safetensors_find(file, name)->shape[0], max);
        hs_safetensors_close(file);
    }
    free(ids);
    free(text);
}

static void help_every_command(void **state)
{
    static const char *const commands[] = {"info",    "tokenize", "dump",  "inspect",
                                           "compare", "roles",    "export"};
    char dir[4200], usage[64];
    make_tmpdir("cli-help", dir, sizeof dir);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        run_result r = run_in(dir, ARGS(commands[i], "--help"));
        assert_int_equal(r.status, 0);
        snprintf(usage, sizeof usage, "usage: headscope %s", commands[i]);
        assert_int_equal(strncmp(r.out, usage, strlen(usage)), 0);
        assert_string_equal(r.err, "");
        free_result(&r);
    }
    run_result r = run_in(dir, ARGS("--help"));
    assert_int_equal(r.status, 0);
    assert_int_equal(strncmp(r.out, "usage: headscope", 16), 0);
    assert_string_equal(r.err, "");
    free_result(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dump_bert_tiny_random),
        cmocka_unit_test(dump_bert_legacy),
        cmocka_unit_test(dump_gpt2_tiny_random),
        cmocka_unit_test(dump_llama_tiny_random_ids),
        cmocka_unit_test(dump_llama_tiny_tokenizer),
        cmocka_unit_test(dump_llama_stories260k_ids),
        cmocka_unit_test(dump_nul_byte_stdin),
        cmocka_unit_test(dump_long_text_cut),
        cmocka_unit_test(tokenize_bert_cases),
        cmocka_unit_test(tokenize_gpt2_cases),
        cmocka_unit_test(tokenize_llama_cases),
        cmocka_unit_test(tokenize_nul_byte_stdin),
        cmocka_unit_test(tokenize_llama_tokenizer_only),
        cmocka_unit_test(tokenize_bert_tokenizer_only),
        cmocka_unit_test(tokenize_bos_flags),
        cmocka_unit_test(info_fixture_models),
        cmocka_unit_test(inspect_handmade_file),
        cmocka_unit_test(inspect_values_non_finite),
        cmocka_unit_test(tokenize_pair_needs_wordpiece),
        cmocka_unit_test(inspect_fixture_files),
        cmocka_unit_test(inspect_malformed_files),
        cmocka_unit_test(compare_default_top_small_model),
        cmocka_unit_test(compare_decoder_word_after_prefix),
        cmocka_unit_test(error_token_id_too_large),
        cmocka_unit_test(error_missing_model_folder),
        cmocka_unit_test(error_hub_name_not_cached),
        cmocka_unit_test(error_invalid_utf8),
        cmocka_unit_test(error_ids_not_numbers),
        cmocka_unit_test(options_dash_text_and_numbers),
        cmocka_unit_test(export_scale_option),
        cmocka_unit_test(error_id_outside_vocabulary),
        cmocka_unit_test(error_unknown_option),
        cmocka_unit_test(error_missing_out),
        cmocka_unit_test(error_out_in_missing_folder),
        cmocka_unit_test(help_every_command),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
