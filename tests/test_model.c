/*
 * test_model.c - model loading against broken and unusual model folders.
 *
 * Each test writes a tiny model (hidden 8, 2 heads, vocabulary 16) into a
 * scratch folder: config.json plus model.safetensors, or shards with an
 * index, or a Hugging Face cache layout. Invalid folders must fail with NULL
 * and a message naming the file, the tensor and the numbers involved. Valid
 * variants of one checkpoint must give the same forward outputs.
 */
#include "test_util.h"

#include "hs_error.h"
#include "hs_forward.h"
#include "hs_model.h"
#include "hs_safetensors.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Sizes of the tiny models: d hidden, h heads, f feed-forward, V vocabulary,
 * P positions, T token types. */
enum { D = 8, H = 2, F_BERT = 12, F_GPT2 = 4 * D, F_LLAMA = 12, V = 16, P = 16, T = 2 };

enum { MAX_TENSORS = 128, PATH_CAPACITY = 4300 };

/* Fails the test at the caller's line when text does not contain part. */
#define assert_contains(text, part) check_contains((text), (part), __FILE__, __LINE__)

static void check_contains(const char *text, const char *part, const char *file, int line)
{
    if (strstr(text, part))
        return;
    print_error("message \"%s\" does not contain \"%s\"\n", text, part);
    _fail(file, line);
}

/* Writes dir/name to out, failing the test when it does not fit. */
static void join_path(char *out, size_t size, const char *dir, const char *name)
{
    int length = snprintf(out, size, "%s/%s", dir, name);
    if (length < 0 || (size_t)length >= size)
        fail_msg("path too long: %s/%s", dir, name);
}

/* ---- tensor sets -------------------------------------------------------- */

/* One tensor of a checkpoint under construction. Values are float32 and are
 * converted to dtype when written; I64 tensors are buffers such as
 * position_ids. */
typedef struct {
    char name[160];
    hs_dtype dtype;
    int ndim;
    int64_t shape[4];
    int64_t count;
    float *values;
} test_tensor;

typedef struct {
    test_tensor items[MAX_TENSORS];
    size_t count;
    uint32_t seed;
} tensor_set;

static uint32_t next_random(uint32_t *state)
{
    *state = *state * 1664525u + 1013904223u;
    return *state >> 8;
}

/* Adds a tensor filled with center + uniform(-scale, scale). The values
 * depend only on how many tensors were added before, so two naming styles
 * of one checkpoint get the same numbers. */
static test_tensor *set_add(tensor_set *set, const char *name, int ndim, const int64_t *shape,
                            float center, float scale)
{
    assert_true(set->count < MAX_TENSORS);
    test_tensor *t = &set->items[set->count++];
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name);
    t->dtype = HS_DTYPE_F32;
    t->ndim = ndim;
    t->count = 1;
    for (int d = 0; d < ndim; d++) {
        t->shape[d] = shape[d];
        t->count *= shape[d];
    }
    t->values = malloc((size_t)(t->count ? t->count : 1) * sizeof(float));
    assert_non_null(t->values);
    uint32_t state = set->seed * 7919u + (uint32_t)set->count * 104729u;
    for (int64_t i = 0; i < t->count; i++) {
        float unit = (float)next_random(&state) / 16777216.0f; /* [0, 1) */
        t->values[i] = center + scale * (2.0f * unit - 1.0f);
    }
    return t;
}

static void add_matrix(tensor_set *set, const char *name, int64_t rows, int64_t cols)
{
    const int64_t shape[2] = {rows, cols};
    set_add(set, name, 2, shape, 0.0f, 0.6f);
}

static void add_vector(tensor_set *set, const char *name, int64_t size)
{
    set_add(set, name, 1, &size, 0.0f, 0.3f);
}

static void add_norm_weight(tensor_set *set, const char *name, int64_t size)
{
    set_add(set, name, 1, &size, 1.0f, 0.3f);
}

static test_tensor *set_find(tensor_set *set, const char *name)
{
    for (size_t i = 0; i < set->count; i++)
        if (strcmp(set->items[i].name, name) == 0)
            return &set->items[i];
    fail_msg("test checkpoint has no tensor '%s'", name);
    return NULL;
}

static void set_remove(tensor_set *set, const char *name)
{
    test_tensor *t = set_find(set, name);
    free(t->values);
    size_t index = (size_t)(t - set->items);
    memmove(t, t + 1, (set->count - index - 1) * sizeof *t);
    set->count--;
}

static void set_free(tensor_set *set)
{
    for (size_t i = 0; i < set->count; i++)
        free(set->items[i].values);
    set->count = 0;
}

/* Sets the stored dtype of every floating-point tensor. */
static void set_dtype(tensor_set *set, hs_dtype dtype)
{
    for (size_t i = 0; i < set->count; i++)
        if (set->items[i].dtype != HS_DTYPE_I64)
            set->items[i].dtype = dtype;
}

static uint16_t f32_to_bf16(float value)
{
    uint32_t bits;
    memcpy(&bits, &value, sizeof bits);
    bits += 0x7fffu + ((bits >> 16) & 1u); /* round to nearest, ties to even */
    return (uint16_t)(bits >> 16);
}

/* Replaces every value by its nearest F16 or BF16 value. */
static void set_round(tensor_set *set, hs_dtype dtype)
{
    for (size_t i = 0; i < set->count; i++) {
        test_tensor *t = &set->items[i];
        for (int64_t k = 0; k < t->count; k++)
            t->values[k] = dtype == HS_DTYPE_F16 ? hs_f16_to_f32(hs_f32_to_f16(t->values[k]))
                                                 : hs_bf16_to_f32(f32_to_bf16(t->values[k]));
    }
}

/* Writes tensors [first, first + count) of the set to path. */
static void set_write_range(const tensor_set *set, const char *path, size_t first, size_t count)
{
    hs_tensor_write *out = calloc(count ? count : 1, sizeof *out);
    void **buffers = calloc(count ? count : 1, sizeof *buffers);
    assert_non_null(out);
    assert_non_null(buffers);
    for (size_t i = 0; i < count; i++) {
        const test_tensor *t = &set->items[first + i];
        size_t n = (size_t)t->count;
        buffers[i] = malloc((n ? n : 1) * hs_dtype_size(t->dtype));
        assert_non_null(buffers[i]);
        for (size_t k = 0; k < n; k++) {
            if (t->dtype == HS_DTYPE_F32) {
                ((float *)buffers[i])[k] = t->values[k];
            } else if (t->dtype == HS_DTYPE_F16) {
                ((uint16_t *)buffers[i])[k] = hs_f32_to_f16(t->values[k]);
            } else if (t->dtype == HS_DTYPE_BF16) {
                ((uint16_t *)buffers[i])[k] = f32_to_bf16(t->values[k]);
            } else {
                assert_int_equal(t->dtype, HS_DTYPE_I64);
                ((int64_t *)buffers[i])[k] = (int64_t)t->values[k];
            }
        }
        out[i].name = t->name;
        out[i].dtype = t->dtype;
        out[i].ndim = t->ndim;
        memcpy(out[i].shape, t->shape, sizeof t->shape);
        out[i].data = buffers[i];
    }
    const char *metadata[] = {"format", "pt"};
    if (hs_safetensors_write(path, out, count, metadata, 1) != 0)
        fail_msg("%s", hs_error_message());
    for (size_t i = 0; i < count; i++)
        free(buffers[i]);
    free(buffers);
    free(out);
}

static void set_write(const tensor_set *set, const char *dir)
{
    char path[PATH_CAPACITY];
    join_path(path, sizeof path, dir, "model.safetensors");
    set_write_range(set, path, 0, set->count);
}

/* ---- checkpoints -------------------------------------------------------- */

/* A BERT checkpoint: prefix "" or "bert.", LayerNorm spelled weight/bias or
 * gamma/beta, and the masked-LM head when with_head is set. */
static void bert_tensors(tensor_set *set, const char *prefix, int layers, int gamma_beta,
                         int with_head)
{
    const char *ln_w = gamma_beta ? "gamma" : "weight";
    const char *ln_b = gamma_beta ? "beta" : "bias";
    char name[160];
    static const char *const attention[] = {"attention.self.query", "attention.self.key",
                                            "attention.self.value", "attention.output.dense"};

    snprintf(name, sizeof name, "%sembeddings.word_embeddings.weight", prefix);
    add_matrix(set, name, V, D);
    snprintf(name, sizeof name, "%sembeddings.position_embeddings.weight", prefix);
    add_matrix(set, name, P, D);
    snprintf(name, sizeof name, "%sembeddings.token_type_embeddings.weight", prefix);
    add_matrix(set, name, T, D);
    snprintf(name, sizeof name, "%sembeddings.LayerNorm.%s", prefix, ln_w);
    add_norm_weight(set, name, D);
    snprintf(name, sizeof name, "%sembeddings.LayerNorm.%s", prefix, ln_b);
    add_vector(set, name, D);

    for (int l = 0; l < layers; l++) {
        for (int k = 0; k < 4; k++) {
            snprintf(name, sizeof name, "%sencoder.layer.%d.%s.weight", prefix, l, attention[k]);
            add_matrix(set, name, D, D);
            snprintf(name, sizeof name, "%sencoder.layer.%d.%s.bias", prefix, l, attention[k]);
            add_vector(set, name, D);
        }
        snprintf(name, sizeof name, "%sencoder.layer.%d.attention.output.LayerNorm.%s", prefix, l,
                 ln_w);
        add_norm_weight(set, name, D);
        snprintf(name, sizeof name, "%sencoder.layer.%d.attention.output.LayerNorm.%s", prefix, l,
                 ln_b);
        add_vector(set, name, D);
        snprintf(name, sizeof name, "%sencoder.layer.%d.intermediate.dense.weight", prefix, l);
        add_matrix(set, name, F_BERT, D);
        snprintf(name, sizeof name, "%sencoder.layer.%d.intermediate.dense.bias", prefix, l);
        add_vector(set, name, F_BERT);
        snprintf(name, sizeof name, "%sencoder.layer.%d.output.dense.weight", prefix, l);
        add_matrix(set, name, D, F_BERT);
        snprintf(name, sizeof name, "%sencoder.layer.%d.output.dense.bias", prefix, l);
        add_vector(set, name, D);
        snprintf(name, sizeof name, "%sencoder.layer.%d.output.LayerNorm.%s", prefix, l, ln_w);
        add_norm_weight(set, name, D);
        snprintf(name, sizeof name, "%sencoder.layer.%d.output.LayerNorm.%s", prefix, l, ln_b);
        add_vector(set, name, D);
    }
    if (!with_head)
        return;
    add_matrix(set, "cls.predictions.transform.dense.weight", D, D);
    add_vector(set, "cls.predictions.transform.dense.bias", D);
    snprintf(name, sizeof name, "cls.predictions.transform.LayerNorm.%s", ln_w);
    add_norm_weight(set, name, D);
    snprintf(name, sizeof name, "cls.predictions.transform.LayerNorm.%s", ln_b);
    add_vector(set, name, D);
    add_vector(set, "cls.predictions.bias", V);
}

/* Parameters of bert_tensors(): embeddings, layers, masked-LM head. */
static int64_t bert_param_count(int layers, int with_head)
{
    int64_t embeddings = (int64_t)(V + P + T) * D + 2 * D;
    int64_t layer = 4 * (D * D + D) + 2 * 2 * D + (D * F_BERT + F_BERT) + (F_BERT * D + D);
    int64_t head = with_head ? D * D + D + 2 * D + V : 0;
    return embeddings + layers * layer + head;
}

/* A GPT-2 checkpoint: prefix "" or "transformer.", Conv1D weights [in][out]. */
static void gpt2_tensors(tensor_set *set, const char *prefix, int layers)
{
    char name[160];

    snprintf(name, sizeof name, "%swte.weight", prefix);
    add_matrix(set, name, V, D);
    snprintf(name, sizeof name, "%swpe.weight", prefix);
    add_matrix(set, name, P, D);
    for (int l = 0; l < layers; l++) {
        snprintf(name, sizeof name, "%sh.%d.ln_1.weight", prefix, l);
        add_norm_weight(set, name, D);
        snprintf(name, sizeof name, "%sh.%d.ln_1.bias", prefix, l);
        add_vector(set, name, D);
        snprintf(name, sizeof name, "%sh.%d.attn.c_attn.weight", prefix, l);
        add_matrix(set, name, D, 3 * D);
        snprintf(name, sizeof name, "%sh.%d.attn.c_attn.bias", prefix, l);
        add_vector(set, name, 3 * D);
        snprintf(name, sizeof name, "%sh.%d.attn.c_proj.weight", prefix, l);
        add_matrix(set, name, D, D);
        snprintf(name, sizeof name, "%sh.%d.attn.c_proj.bias", prefix, l);
        add_vector(set, name, D);
        snprintf(name, sizeof name, "%sh.%d.ln_2.weight", prefix, l);
        add_norm_weight(set, name, D);
        snprintf(name, sizeof name, "%sh.%d.ln_2.bias", prefix, l);
        add_vector(set, name, D);
        snprintf(name, sizeof name, "%sh.%d.mlp.c_fc.weight", prefix, l);
        add_matrix(set, name, D, F_GPT2);
        snprintf(name, sizeof name, "%sh.%d.mlp.c_fc.bias", prefix, l);
        add_vector(set, name, F_GPT2);
        snprintf(name, sizeof name, "%sh.%d.mlp.c_proj.weight", prefix, l);
        add_matrix(set, name, F_GPT2, D);
        snprintf(name, sizeof name, "%sh.%d.mlp.c_proj.bias", prefix, l);
        add_vector(set, name, D);
    }
    snprintf(name, sizeof name, "%sln_f.weight", prefix);
    add_norm_weight(set, name, D);
    snprintf(name, sizeof name, "%sln_f.bias", prefix);
    add_vector(set, name, D);
}

static int64_t gpt2_param_count(int layers)
{
    int64_t layer = 2 * D + (D * 3 * D + 3 * D) + (D * D + D) + 2 * D + (D * F_GPT2 + F_GPT2) +
                    (F_GPT2 * D + D);
    return (int64_t)(V + P) * D + layers * layer + 2 * D;
}

/* A Llama checkpoint with one key/value head, and lm_head when with_head is set. */
static void llama_tensors(tensor_set *set, int layers, int with_head)
{
    const int kv = D / H;
    char name[160];

    add_matrix(set, "model.embed_tokens.weight", V, D);
    for (int l = 0; l < layers; l++) {
        snprintf(name, sizeof name, "model.layers.%d.input_layernorm.weight", l);
        add_norm_weight(set, name, D);
        snprintf(name, sizeof name, "model.layers.%d.self_attn.q_proj.weight", l);
        add_matrix(set, name, D, D);
        snprintf(name, sizeof name, "model.layers.%d.self_attn.k_proj.weight", l);
        add_matrix(set, name, kv, D);
        snprintf(name, sizeof name, "model.layers.%d.self_attn.v_proj.weight", l);
        add_matrix(set, name, kv, D);
        snprintf(name, sizeof name, "model.layers.%d.self_attn.o_proj.weight", l);
        add_matrix(set, name, D, D);
        snprintf(name, sizeof name, "model.layers.%d.post_attention_layernorm.weight", l);
        add_norm_weight(set, name, D);
        snprintf(name, sizeof name, "model.layers.%d.mlp.gate_proj.weight", l);
        add_matrix(set, name, F_LLAMA, D);
        snprintf(name, sizeof name, "model.layers.%d.mlp.up_proj.weight", l);
        add_matrix(set, name, F_LLAMA, D);
        snprintf(name, sizeof name, "model.layers.%d.mlp.down_proj.weight", l);
        add_matrix(set, name, D, F_LLAMA);
    }
    add_norm_weight(set, "model.norm.weight", D);
    if (with_head)
        add_matrix(set, "lm_head.weight", V, D);
}

/* ---- config.json -------------------------------------------------------- */

static cJSON *bert_config(int layers)
{
    cJSON *c = cJSON_CreateObject();
    cJSON *archs = cJSON_AddArrayToObject(c, "architectures");
    cJSON_AddItemToArray(archs, cJSON_CreateString("BertForMaskedLM"));
    cJSON_AddStringToObject(c, "model_type", "bert");
    cJSON_AddNumberToObject(c, "hidden_size", D);
    cJSON_AddNumberToObject(c, "num_attention_heads", H);
    cJSON_AddNumberToObject(c, "num_hidden_layers", layers);
    cJSON_AddNumberToObject(c, "intermediate_size", F_BERT);
    cJSON_AddNumberToObject(c, "vocab_size", V);
    cJSON_AddNumberToObject(c, "max_position_embeddings", P);
    cJSON_AddNumberToObject(c, "type_vocab_size", T);
    cJSON_AddStringToObject(c, "hidden_act", "gelu");
    cJSON_AddNumberToObject(c, "layer_norm_eps", 1e-12);
    return c;
}

static cJSON *gpt2_config(int layers)
{
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "model_type", "gpt2");
    cJSON_AddNumberToObject(c, "n_embd", D);
    cJSON_AddNumberToObject(c, "n_head", H);
    cJSON_AddNumberToObject(c, "n_layer", layers);
    cJSON_AddNumberToObject(c, "vocab_size", V);
    cJSON_AddNumberToObject(c, "n_positions", P);
    cJSON_AddStringToObject(c, "activation_function", "gelu_new");
    return c;
}

static cJSON *llama_config(int layers, int tied)
{
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "model_type", "llama");
    cJSON_AddNumberToObject(c, "hidden_size", D);
    cJSON_AddNumberToObject(c, "num_attention_heads", H);
    cJSON_AddNumberToObject(c, "num_key_value_heads", 1);
    cJSON_AddNumberToObject(c, "num_hidden_layers", layers);
    cJSON_AddNumberToObject(c, "intermediate_size", F_LLAMA);
    cJSON_AddNumberToObject(c, "vocab_size", V);
    cJSON_AddNumberToObject(c, "max_position_embeddings", P);
    cJSON_AddBoolToObject(c, "tie_word_embeddings", tied);
    return c;
}

/* Replaces (or adds) a field of a config with raw JSON text. */
static void set_raw(cJSON *config, const char *key, const char *json)
{
    cJSON_DeleteItemFromObjectCaseSensitive(config, key);
    cJSON_AddRawToObject(config, key, json);
}

/* Replaces (or adds) a number field of a config. */
static void set_number(cJSON *config, const char *key, double value)
{
    cJSON_DeleteItemFromObjectCaseSensitive(config, key);
    cJSON_AddNumberToObject(config, key, value);
}

static void write_text(const char *dir, const char *name, const char *text)
{
    char path[PATH_CAPACITY];
    join_path(path, sizeof path, dir, name);
    hs_test_write_file(path, text, strlen(text));
}

/* Writes config as dir/name and frees it. */
static void write_json(const char *dir, const char *name, cJSON *json)
{
    char *text = cJSON_Print(json);
    assert_non_null(text);
    write_text(dir, name, text);
    free(text);
    cJSON_Delete(json);
}

/* ---- folders and loading ------------------------------------------------ */

/* Creates a fresh scratch folder for the test and copies its path to dir. */
static void make_dir(char *dir, size_t size, const char *name)
{
    const char *path = hs_test_tmpdir(name);
    if (strlen(path) >= size)
        fail_msg("path too long: %s", path);
    memcpy(dir, path, strlen(path) + 1);
}

static void make_subdir(char *out, size_t size, const char *parent, const char *child)
{
    join_path(out, size, parent, child);
    if (mkdir(out, 0755) != 0)
        fail_msg("cannot create %s", out);
}

/* Writes a one-layer BERT folder with the masked-LM head. */
static void write_bert_folder(const char *dir)
{
    tensor_set *set = calloc(1, sizeof *set);
    assert_non_null(set);
    bert_tensors(set, "bert.", 1, 0, 1);
    set_write(set, dir);
    set_free(set);
    free(set);
    write_json(dir, "config.json", bert_config(1));
}

static hs_model *load_valid(const char *dir)
{
    hs_model *model = hs_model_load(dir, NULL, NULL);
    if (!model)
        fail_msg("%s: %s", dir, hs_error_message());
    return model;
}

/* Loads a folder that must be rejected and returns the message. */
static const char *load_invalid(const char *dir)
{
    hs_model *model = hs_model_load(dir, NULL, NULL);
    if (model) {
        hs_model_free(model);
        fail_msg("%s loaded, but it is invalid", dir);
    }
    const char *message = hs_error_message();
    assert_true(message[0] != '\0');
    return message;
}

/* Runs both models on the same tokens and counts attention probabilities,
 * hidden states and logits that differ by more than tolerance. */
static void assert_same_outputs(const hs_model *a, const hs_model *b, double tolerance)
{
    const int32_t ids[] = {1, 5, 3, 9, 2, 15, 7};
    const int n = (int)(sizeof ids / sizeof ids[0]);
    const hs_config *c = hs_model_config(a);
    assert_int_equal(c->n_layers, hs_model_config(b)->n_layers);
    assert_int_equal(c->n_heads, hs_model_config(b)->n_heads);
    assert_int_equal(c->d_model, hs_model_config(b)->d_model);

    hs_result *ra = hs_forward(a, ids, NULL, n);
    if (!ra)
        fail_msg("forward: %s", hs_error_message());
    hs_result *rb = hs_forward(b, ids, NULL, n);
    if (!rb)
        fail_msg("forward: %s", hs_error_message());
    assert_int_equal(ra->n, n);
    assert_int_equal(rb->n, n);

    size_t attn = (size_t)c->n_layers * c->n_heads * n * n;
    size_t hidden = (size_t)(c->n_layers + 1) * n * c->d_model;
    int bad = 0;
    double worst = 0.0;
    for (size_t i = 0; i < attn; i++) {
        double diff = fabs((double)ra->attn[i] - rb->attn[i]);
        bad += !(diff <= tolerance);
        worst = diff > worst ? diff : worst;
    }
    for (size_t i = 0; i < hidden; i++) {
        double diff = fabs((double)ra->hidden[i] - rb->hidden[i]);
        bad += !(diff <= tolerance);
        worst = diff > worst ? diff : worst;
    }
    assert_int_equal(hs_model_has_lm_head(a), hs_model_has_lm_head(b));
    if (hs_model_has_lm_head(a)) {
        float la[V], lb[V];
        assert_int_equal(c->vocab_size, V);
        assert_int_equal(hs_forward_logits(a, ra, n - 1, la), 0);
        assert_int_equal(hs_forward_logits(b, rb, n - 1, lb), 0);
        for (int v = 0; v < V; v++) {
            double diff = fabs((double)la[v] - lb[v]);
            bad += !(diff <= tolerance);
            worst = diff > worst ? diff : worst;
        }
    }
    if (bad)
        print_error("%d outputs differ by more than %g; largest difference %g\n", bad, tolerance,
                    worst);
    assert_int_equal(bad, 0);
    hs_result_free(ra);
    hs_result_free(rb);
}

/* ---- config.json errors ------------------------------------------------- */

static void config_missing(void **state)
{
    char dir[PATH_CAPACITY];
    make_dir(dir, sizeof dir, "model-no-config");
    write_bert_folder(dir);
    char path[PATH_CAPACITY];
    join_path(path, sizeof path, dir, "config.json");
    assert_int_equal(remove(path), 0);

    const char *message = load_invalid(dir);
    assert_contains(message, path);
    assert_contains(message, "No such file");
}

static void config_not_json(void **state)
{
    char dir[PATH_CAPACITY];
    make_dir(dir, sizeof dir, "model-config-text");
    write_bert_folder(dir);
    write_text(dir, "config.json", "{\"model_type\": \"bert\",");

    const char *message = load_invalid(dir);
    assert_contains(message, "config.json");
    assert_contains(message, "JSON");
}

static void config_array(void **state)
{
    char dir[PATH_CAPACITY];
    make_dir(dir, sizeof dir, "model-config-array");
    write_bert_folder(dir);
    write_text(dir, "config.json", "[{\"model_type\": \"bert\"}]");

    const char *message = load_invalid(dir);
    assert_contains(message, "config.json");
    assert_contains(message, "not a JSON object");
}

static void config_no_model_type(void **state)
{
    char dir[PATH_CAPACITY];
    make_dir(dir, sizeof dir, "model-no-type");
    write_bert_folder(dir);
    cJSON *config = bert_config(1);
    cJSON_DeleteItemFromObjectCaseSensitive(config, "model_type");
    write_json(dir, "config.json", config);

    const char *message = load_invalid(dir);
    assert_contains(message, "config.json");
    assert_contains(message, "missing 'model_type'");
}

static void config_type_t5(void **state)
{
    char dir[PATH_CAPACITY];
    make_dir(dir, sizeof dir, "model-t5");
    write_bert_folder(dir);
    write_text(dir, "config.json",
               "{\"model_type\": \"t5\", \"architectures\": [\"T5ForConditionalGeneration\"], "
               "\"d_model\": 8}");

    const char *message = load_invalid(dir);
    assert_contains(message, "config.json");
    assert_contains(message, "'t5'");
    assert_contains(message, "T5ForConditionalGeneration");
    assert_contains(message, "not supported");
}

static void config_heads_not_divisor(void **state)
{
    char dir[PATH_CAPACITY];
    make_dir(dir, sizeof dir, "model-heads");
    write_bert_folder(dir);
    cJSON *config = bert_config(1);
    set_number(config, "num_attention_heads", 3);
    write_json(dir, "config.json", config);

    const char *message = load_invalid(dir);
    assert_contains(message, "config.json");
    assert_contains(message, "hidden size 8");
    assert_contains(message, "heads 3");
}

static void config_sizes_not_positive(void **state)
{
    static const struct {
        const char *key;
        double value;
        const char *expected;
    } cases[] = {
        {"hidden_size", 0, "hidden size is 0"},
        {"num_hidden_layers", -1, "number of layers is -1"},
        {"num_attention_heads", 0, "number of attention heads is 0"},
        {"intermediate_size", -12, "feed-forward size is -12"},
        {"vocab_size", 0, "vocabulary size is 0"},
        {"max_position_embeddings", -16, "max positions is -16"},
    };
    char dir[PATH_CAPACITY];
    make_dir(dir, sizeof dir, "model-sizes");
    write_bert_folder(dir);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cJSON *config = bert_config(1);
        set_number(config, cases[i].key, cases[i].value);
        write_json(dir, "config.json", config);
        const char *message = load_invalid(dir);
        assert_contains(message, "config.json");
        assert_contains(message, cases[i].expected);
        assert_contains(message, "must be positive");
    }
}

static void config_size_fractional(void **state)
{
    char dir[PATH_CAPACITY];
    make_dir(dir, sizeof dir, "model-size-fraction");
    write_bert_folder(dir);
    cJSON *config = bert_config(1);
    set_number(config, "hidden_size", 8.5);
    write_json(dir, "config.json", config);

    const char *message = load_invalid(dir);
    assert_contains(message, "config.json");
    assert_contains(message, "'hidden_size'");
    assert_contains(message, "integer");
}

static void config_gpt2_huge_hidden(void **state)
{
    /* Without n_inner the feed-forward size defaults to 4 x n_embd, which
     * must not overflow an int before the range check rejects it. */
    char dir[PATH_CAPACITY];
    make_dir(dir, sizeof dir, "model-gpt2-huge");
    write_bert_folder(dir);
    cJSON *config = gpt2_config(1);
    set_number(config, "n_embd", 1073741824.0);
    set_number(config, "n_head", 1);
    write_json(dir, "config.json", config);

    const char *message = load_invalid(dir);
    assert_contains(message, "config.json");
    assert_contains(message, "1073741824");
}

static void config_llama_huge_head(void **state)
{
    /* head_dim x heads must stay inside the supported range. */
    char dir[PATH_CAPACITY];
    make_dir(dir, sizeof dir, "model-llama-head");
    write_bert_folder(dir);
    cJSON *config = llama_config(1, 1);
    set_number(config, "head_dim", 1073741824.0);
    set_number(config, "num_attention_heads", 4);
    set_number(config, "num_key_value_heads", 4);
    write_json(dir, "config.json", config);

    const char *message = load_invalid(dir);
    assert_contains(message, "config.json");
    assert_contains(message, "1073741824");
}

static void config_wrong_types(void **state)
{
    static const struct {
        const char *arch;
        const char *key;
        const char *value;
        const char *expected;
    } cases[] = {
        {"bert", "num_hidden_layers", "[6]", "expected an integer, found an array [6]"},
        {"bert", "hidden_size", "[6]", "expected an integer, found an array [6]"},
        {"bert", "vocab_size", "\"16\"", "expected an integer, found a string \"16\""},
        {"bert", "hidden_act", "3", "expected a string, found a number 3"},
        {"bert", "model_type", "5", "expected a string, found a number 5"},
        {"bert", "layer_norm_eps", "true", "expected a number, found a boolean true"},
        {"bert", "architectures", "\"BertModel\"", "expected an array of strings"},
        {"gpt2", "scale_attn_weights", "\"yes\"", "expected a boolean"},
        {"llama", "rope_scaling", "\"linear\"", "expected an object, found a string"},
        {"llama", "rope_theta", "\"1e4\"", "expected a number"},
        {"llama", "tie_word_embeddings", "1", "expected a boolean, found a number 1"},
        {"llama", "bos_token_id", "[1, \"2\"]", "expected an integer, found a string"},
    };
    char dir[PATH_CAPACITY];
    make_dir(dir, sizeof dir, "model-config-types");
    write_bert_folder(dir);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cJSON *config = strcmp(cases[i].arch, "bert") == 0   ? bert_config(1)
                        : strcmp(cases[i].arch, "gpt2") == 0 ? gpt2_config(1)
                                                             : llama_config(1, 1);
        set_raw(config, cases[i].key, cases[i].value);
        write_json(dir, "config.json", config);
        char expected_key[96];
        snprintf(expected_key, sizeof expected_key, "'%s' has the wrong type", cases[i].key);
        const char *message = load_invalid(dir);
        assert_contains(message, "config.json");
        assert_contains(message, expected_key);
        assert_contains(message, cases[i].expected);
    }
}

static void config_trailing_text(void **state)
{
    char dir[PATH_CAPACITY];
    make_dir(dir, sizeof dir, "model-config-trailing");
    write_bert_folder(dir);
    write_text(dir, "config.json", "{\"model_type\": \"bert\"}\n}x");

    const char *message = load_invalid(dir);
    assert_contains(message, "config.json");
    assert_contains(message, "unexpected text after the top-level value at byte 23");
}

/* Numbers that would make the forward pass produce NaN or infinity are
 * rejected when config.json is read, naming the key. */
static void config_numbers_out_of_range(void **state)
{
    static const struct {
        const char *arch;
        const char *key;
        const char *value;
        const char *expected;
    } cases[] = {
        {"llama", "rope_theta", "0", "'rope_theta' is 0, must be positive"},
        {"llama", "rope_theta", "-10000", "'rope_theta' is -10000, must be positive"},
        {"llama", "rope_theta", "1e999", "'rope_theta' is inf, must be a finite number"},
        {"llama", "rms_norm_eps", "-1e-06", "'rms_norm_eps' is -1e-06, must be zero or positive"},
        {"llama", "rms_norm_eps", "1e39", "'rms_norm_eps' is 1e+39, must be a finite number"},
        {"bert", "layer_norm_eps", "-1", "'layer_norm_eps' is -1, must be zero or positive"},
        {"gpt2", "layer_norm_epsilon", "-1e999", "'layer_norm_epsilon' is -inf"},
        {"llama", "rope_scaling", "{\"type\": \"linear\", \"factor\": 0}",
         "'rope_scaling.factor' is 0, must be positive"},
        {"llama", "rope_scaling", "{\"rope_type\": \"llama3\", \"factor\": 8, "
                                  "\"low_freq_factor\": 4, \"high_freq_factor\": 4}",
         "high_freq_factor 4 must be greater than low_freq_factor 4"},
        {"llama", "rope_scaling", "{\"rope_type\": \"llama3\", \"factor\": 8, "
                                  "\"original_max_position_embeddings\": 0}",
         "original_max_position_embeddings is 0, must be positive"},
    };
    char dir[PATH_CAPACITY];
    make_dir(dir, sizeof dir, "model-config-numbers");
    write_bert_folder(dir);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cJSON *config = strcmp(cases[i].arch, "bert") == 0   ? bert_config(1)
                        : strcmp(cases[i].arch, "gpt2") == 0 ? gpt2_config(1)
                                                             : llama_config(1, 1);
        set_raw(config, cases[i].key, cases[i].value);
        write_json(dir, "config.json", config);
        const char *message = load_invalid(dir);
        assert_contains(message, "config.json");
        assert_contains(message, cases[i].expected);
    }
}

/* open() on a named pipe waits for a writer, so loading must reject it at once.
 * The alarm kills the test instead of letting it hang. */
static void config_fifo(void **state)
{
    char dir[PATH_CAPACITY], path[PATH_CAPACITY];
    make_dir(dir, sizeof dir, "model-config-fifo");
    write_bert_folder(dir);
    join_path(path, sizeof path, dir, "config.json");
    assert_int_equal(remove(path), 0);
    assert_int_equal(mkfifo(path, 0600), 0);

    alarm(10);
    const char *message = load_invalid(dir);
    alarm(0);
    assert_contains(message, path);
    assert_contains(message, "not a regular file (it is a named pipe)");
}

/* ---- weight files ------------------------------------------------------- */

static void weights_missing(void **state)
{
    char dir[PATH_CAPACITY];
    make_dir(dir, sizeof dir, "model-no-weights");
    write_json(dir, "config.json", bert_config(1));
    write_text(dir, "pytorch_model.bin", "not used");

    const char *message = load_invalid(dir);
    assert_contains(message, dir);
    assert_contains(message, "model.safetensors");
    assert_contains(message, "model.safetensors.index.json");
}

/* A folder, a named pipe or a broken symbolic link named model.safetensors
 * is reported as what it is, not as a missing file. */
static void weights_not_regular(void **state)
{
    char dir[PATH_CAPACITY], path[PATH_CAPACITY];
    make_dir(dir, sizeof dir, "model-weights-kinds");
    write_json(dir, "config.json", bert_config(1));
    join_path(path, sizeof path, dir, "model.safetensors");

    assert_int_equal(mkdir(path, 0755), 0);
    const char *message = load_invalid(dir);
    assert_contains(message, path);
    assert_contains(message, "not a regular file (it is a folder)");
    assert_int_equal(rmdir(path), 0);

    assert_int_equal(mkfifo(path, 0600), 0);
    alarm(10);
    message = load_invalid(dir);
    alarm(0);
    assert_contains(message, path);
    assert_contains(message, "not a regular file (it is a named pipe)");
    assert_int_equal(remove(path), 0);

    assert_int_equal(symlink("../../blobs/5f2e1c", path), 0);
    message = load_invalid(dir);
    assert_contains(message, path);
    assert_contains(message, "symbolic link to '../../blobs/5f2e1c', which does not exist");
    assert_int_equal(remove(path), 0);

    join_path(path, sizeof path, dir, "model.safetensors.index.json");
    assert_int_equal(symlink("../../blobs/77aa01", path), 0);
    message = load_invalid(dir);
    assert_contains(message, path);
    assert_contains(message, "symbolic link to '../../blobs/77aa01'");
}

static void weights_invalid_file(void **state)
{
    char dir[PATH_CAPACITY];
    make_dir(dir, sizeof dir, "model-bad-weights");
    write_json(dir, "config.json", bert_config(1));
    static const char bytes[] = "\x04\x00\x00\x00\x00\x00\x00\x00[1]]";
    char path[PATH_CAPACITY];
    join_path(path, sizeof path, dir, "model.safetensors");
    hs_test_write_file(path, bytes, sizeof bytes - 1);

    const char *message = load_invalid(dir);
    assert_contains(message, "model.safetensors");
    assert_contains(message, "JSON");
}

static void tensor_missing(void **state)
{
    char dir[PATH_CAPACITY];
    make_dir(dir, sizeof dir, "model-missing-tensor");
    tensor_set *set = calloc(1, sizeof *set);
    assert_non_null(set);
    bert_tensors(set, "bert.", 2, 0, 1);
    set_remove(set, "bert.encoder.layer.1.attention.self.key.weight");
    set_write(set, dir);
    set_free(set);
    free(set);
    write_json(dir, "config.json", bert_config(2));

    const char *message = load_invalid(dir);
    assert_contains(message, "model.safetensors");
    assert_contains(message, "missing tensor 'bert.encoder.layer.1.attention.self.key.weight'");
}

static void tensor_missing_layer(void **state)
{
    /* config.json names two layers, but the file contains one. */
    char dir[PATH_CAPACITY];
    make_dir(dir, sizeof dir, "model-missing-layer");
    tensor_set *set = calloc(1, sizeof *set);
    assert_non_null(set);
    gpt2_tensors(set, "", 1);
    set_write(set, dir);
    set_free(set);
    free(set);
    write_json(dir, "config.json", gpt2_config(2));

    const char *message = load_invalid(dir);
    assert_contains(message, "model.safetensors");
    assert_contains(message, "'h.1.ln_1.weight'");
}

static void tensor_wrong_shape(void **state)
{
    char dir[PATH_CAPACITY];
    make_dir(dir, sizeof dir, "model-wrong-shape");
    tensor_set *set = calloc(1, sizeof *set);
    assert_non_null(set);
    bert_tensors(set, "bert.", 1, 0, 1);
    set_remove(set, "bert.encoder.layer.0.attention.self.query.weight");
    add_matrix(set, "bert.encoder.layer.0.attention.self.query.weight", 4, D);
    set_write(set, dir);
    set_free(set);
    free(set);
    write_json(dir, "config.json", bert_config(1));

    const char *message = load_invalid(dir);
    assert_contains(message, "model.safetensors");
    assert_contains(message, "tensor 'bert.encoder.layer.0.attention.self.query.weight' has "
                             "shape [4, 8], config.json expects [8, 8]");
}

static void tensor_wrong_rank(void **state)
{
    char dir[PATH_CAPACITY];
    make_dir(dir, sizeof dir, "model-wrong-rank");
    tensor_set *set = calloc(1, sizeof *set);
    assert_non_null(set);
    gpt2_tensors(set, "", 1);
    set_remove(set, "ln_f.bias");
    const int64_t shape[2] = {1, D};
    set_add(set, "ln_f.bias", 2, shape, 0.0f, 0.3f);
    set_write(set, dir);
    set_free(set);
    free(set);
    write_json(dir, "config.json", gpt2_config(1));

    const char *message = load_invalid(dir);
    assert_contains(message, "model.safetensors");
    assert_contains(message, "tensor 'ln_f.bias' has shape [1, 8], config.json expects [8]");
}

static void tensor_stored_i64(void **state)
{
    char dir[PATH_CAPACITY];
    make_dir(dir, sizeof dir, "model-i64");
    tensor_set *set = calloc(1, sizeof *set);
    assert_non_null(set);
    bert_tensors(set, "", 1, 0, 0);
    set_find(set, "embeddings.word_embeddings.weight")->dtype = HS_DTYPE_I64;
    set_write(set, dir);
    set_free(set);
    free(set);
    write_json(dir, "config.json", bert_config(1));

    const char *message = load_invalid(dir);
    assert_contains(message, "model.safetensors");
    assert_contains(message, "tensor 'embeddings.word_embeddings.weight'");
    assert_contains(message, "I64");
}

/* ---- sharded weights ---------------------------------------------------- */

/* Writes the set as two shards and an index that maps every tensor. */
static void write_shards(const tensor_set *set, const char *dir)
{
    static const char *const shards[] = {"model-00001-of-00002.safetensors",
                                         "model-00002-of-00002.safetensors"};
    size_t half = set->count / 2;
    char path[PATH_CAPACITY];
    join_path(path, sizeof path, dir, shards[0]);
    set_write_range(set, path, 0, half);
    join_path(path, sizeof path, dir, shards[1]);
    set_write_range(set, path, half, set->count - half);

    cJSON *index = cJSON_CreateObject();
    cJSON_AddNumberToObject(cJSON_AddObjectToObject(index, "metadata"), "total_size", 0);
    cJSON *map = cJSON_AddObjectToObject(index, "weight_map");
    for (size_t i = 0; i < set->count; i++)
        cJSON_AddStringToObject(map, set->items[i].name, shards[i >= half]);
    write_json(dir, "model.safetensors.index.json", index);
}

static void shards_match_single_file(void **state)
{
    char single[PATH_CAPACITY], sharded[PATH_CAPACITY];
    make_dir(single, sizeof single, "model-single");
    make_subdir(sharded, sizeof sharded, single, "sharded");
    tensor_set *set = calloc(1, sizeof *set);
    assert_non_null(set);
    gpt2_tensors(set, "transformer.", 2);
    set_write(set, single);
    write_shards(set, sharded);
    set_free(set);
    free(set);
    write_json(single, "config.json", gpt2_config(2));
    write_json(sharded, "config.json", gpt2_config(2));

    hs_model *a = load_valid(single);
    hs_model *b = load_valid(sharded);
    assert_int_equal(hs_model_param_count(a), gpt2_param_count(2));
    assert_int_equal(hs_model_param_count(b), gpt2_param_count(2));
    assert_string_equal(hs_model_weight_dtype(b), "F32");
    assert_same_outputs(a, b, 1e-6);
    hs_model_free(a);
    hs_model_free(b);
}

static void shard_missing(void **state)
{
    char dir[PATH_CAPACITY], path[PATH_CAPACITY];
    make_dir(dir, sizeof dir, "model-shard-missing");
    tensor_set *set = calloc(1, sizeof *set);
    assert_non_null(set);
    bert_tensors(set, "bert.", 1, 0, 1);
    write_shards(set, dir);
    set_free(set);
    free(set);
    write_json(dir, "config.json", bert_config(1));
    join_path(path, sizeof path, dir, "model-00002-of-00002.safetensors");
    assert_int_equal(remove(path), 0);

    const char *message = load_invalid(dir);
    assert_contains(message, "model.safetensors.index.json");
    assert_contains(message, path);
    assert_contains(message, "No such file");
}

static void index_without_weight_map(void **state)
{
    char dir[PATH_CAPACITY];
    make_dir(dir, sizeof dir, "model-index-no-map");
    write_json(dir, "config.json", bert_config(1));
    write_text(dir, "model.safetensors.index.json", "{\"metadata\": {\"total_size\": 10}}");

    const char *message = load_invalid(dir);
    assert_contains(message, "model.safetensors.index.json");
    assert_contains(message, "weight_map");
}

static void index_not_json(void **state)
{
    char dir[PATH_CAPACITY];
    make_dir(dir, sizeof dir, "model-index-text");
    write_json(dir, "config.json", bert_config(1));
    write_text(dir, "model.safetensors.index.json", "{\"weight_map\": {");

    const char *message = load_invalid(dir);
    assert_contains(message, "model.safetensors.index.json");
    assert_contains(message, "not valid JSON");
}

static void index_trailing_text(void **state)
{
    char dir[PATH_CAPACITY];
    make_dir(dir, sizeof dir, "model-index-trailing");
    write_json(dir, "config.json", bert_config(1));
    write_text(dir, "model.safetensors.index.json", "{\"weight_map\": {}} {}");

    const char *message = load_invalid(dir);
    assert_contains(message, "model.safetensors.index.json");
    assert_contains(message, "unexpected text after the top-level value at byte 19");
}

static void shard_broken_symlink(void **state)
{
    char dir[PATH_CAPACITY], path[PATH_CAPACITY];
    make_dir(dir, sizeof dir, "model-shard-link");
    write_json(dir, "config.json", bert_config(1));
    write_text(dir, "model.safetensors.index.json",
               "{\"weight_map\": {\"bert.embeddings.word_embeddings.weight\": "
               "\"model-00001-of-00002.safetensors\"}}");
    join_path(path, sizeof path, dir, "model-00001-of-00002.safetensors");
    assert_int_equal(symlink("../../blobs/9c0ffee", path), 0);

    const char *message = load_invalid(dir);
    assert_contains(message, "model-00001-of-00002.safetensors");
    assert_contains(message, "symbolic link to '../../blobs/9c0ffee', which does not exist");
}

static void index_shard_outside(void **state)
{
    char dir[PATH_CAPACITY];
    make_dir(dir, sizeof dir, "model-index-outside");
    write_json(dir, "config.json", bert_config(1));
    write_text(dir, "model.safetensors.index.json",
               "{\"weight_map\": {\"bert.embeddings.word_embeddings.weight\": "
               "\"../other/model.safetensors\"}}");

    const char *message = load_invalid(dir);
    assert_contains(message, "model.safetensors.index.json");
    assert_contains(message, "'bert.embeddings.word_embeddings.weight'");
    assert_contains(message, "same folder");
}

static void index_tensor_not_in_shards(void **state)
{
    char dir[PATH_CAPACITY];
    make_dir(dir, sizeof dir, "model-index-gap");
    tensor_set *set = calloc(1, sizeof *set);
    assert_non_null(set);
    gpt2_tensors(set, "", 1);
    set_remove(set, "wpe.weight");
    write_shards(set, dir);
    set_free(set);
    free(set);
    write_json(dir, "config.json", gpt2_config(1));

    const char *message = load_invalid(dir);
    assert_contains(message, "model.safetensors.index.json");
    assert_contains(message, "missing tensor 'wpe.weight'");
}

/* ---- naming generations ------------------------------------------------- */

/* Writes a two-layer BERT checkpoint in one naming style to parent/child. */
static void write_bert_variant(const char *parent, const char *child, const char *prefix,
                               int gamma_beta, int with_head, char *out, size_t size)
{
    make_subdir(out, size, parent, child);
    tensor_set *set = calloc(1, sizeof *set);
    assert_non_null(set);
    bert_tensors(set, prefix, 2, gamma_beta, with_head);
    set_write(set, out);
    set_free(set);
    free(set);
    write_json(out, "config.json", bert_config(2));
}

static void bert_prefix_and_layer_norm(void **state)
{
    static const struct {
        const char *name;
        const char *prefix;
        int gamma_beta;
    } styles[] = {
        {"prefix-weight", "bert.", 0},
        {"bare-weight", "", 0},
        {"prefix-gamma", "bert.", 1},
        {"bare-gamma", "", 1},
    };
    char root[PATH_CAPACITY], dir[PATH_CAPACITY];
    make_dir(root, sizeof root, "model-bert-names");
    write_bert_variant(root, "reference", "bert.", 0, 1, dir, sizeof dir);
    hs_model *reference = load_valid(dir);
    assert_int_equal(hs_model_param_count(reference), bert_param_count(2, 1));
    assert_true(hs_model_has_lm_head(reference));

    for (size_t i = 0; i < sizeof styles / sizeof styles[0]; i++) {
        write_bert_variant(root, styles[i].name, styles[i].prefix, styles[i].gamma_beta, 1, dir,
                           sizeof dir);
        hs_model *model = load_valid(dir);
        assert_int_equal(hs_model_param_count(model), bert_param_count(2, 1));
        assert_true(hs_model_has_lm_head(model));
        assert_same_outputs(reference, model, 1e-6);
        hs_model_free(model);
    }
    hs_model_free(reference);
}

static void bert_decoder_bias_name(void **state)
{
    /* Some checkpoints store the output bias as cls.predictions.decoder.bias. */
    char root[PATH_CAPACITY], reference_dir[PATH_CAPACITY], renamed[PATH_CAPACITY];
    make_dir(root, sizeof root, "model-bert-decoder-bias");
    write_bert_variant(root, "reference", "bert.", 0, 1, reference_dir, sizeof reference_dir);
    make_subdir(renamed, sizeof renamed, root, "renamed");
    tensor_set *set = calloc(1, sizeof *set);
    assert_non_null(set);
    bert_tensors(set, "bert.", 2, 0, 1);
    test_tensor *bias = set_find(set, "cls.predictions.bias");
    snprintf(bias->name, sizeof bias->name, "cls.predictions.decoder.bias");
    set_write(set, renamed);
    set_free(set);
    free(set);
    write_json(renamed, "config.json", bert_config(2));

    hs_model *reference = load_valid(reference_dir);
    hs_model *model = load_valid(renamed);
    assert_true(hs_model_has_lm_head(model));
    assert_int_equal(hs_model_param_count(model), bert_param_count(2, 1));
    assert_same_outputs(reference, model, 1e-6);
    hs_model_free(reference);
    hs_model_free(model);
}

static void bert_without_head(void **state)
{
    char root[PATH_CAPACITY], dir[PATH_CAPACITY];
    make_dir(root, sizeof root, "model-bert-no-head");
    write_bert_variant(root, "base", "", 0, 0, dir, sizeof dir);
    hs_model *model = load_valid(dir);
    assert_int_equal(hs_model_param_count(model), bert_param_count(2, 0));
    assert_false(hs_model_has_lm_head(model));

    const int32_t ids[] = {2, 3, 4};
    hs_result *result = hs_forward(model, ids, NULL, 3);
    if (!result)
        fail_msg("%s", hs_error_message());
    float logits[V];
    assert_int_equal(hs_forward_logits(model, result, 2, logits), -1);
    assert_contains(hs_error_message(), "head");
    hs_result_free(result);
    hs_model_free(model);
}

static void bert_head_incomplete(void **state)
{
    static const char *const parts[] = {
        "cls.predictions.transform.dense.weight", "cls.predictions.transform.dense.bias",
        "cls.predictions.transform.LayerNorm.weight", "cls.predictions.transform.LayerNorm.bias",
        "cls.predictions.bias"};
    char dir[PATH_CAPACITY];
    make_dir(dir, sizeof dir, "model-bert-head-part");
    write_json(dir, "config.json", bert_config(1));
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        tensor_set *set = calloc(1, sizeof *set);
        assert_non_null(set);
        bert_tensors(set, "bert.", 1, 0, 1);
        set_remove(set, parts[i]);
        set_write(set, dir);
        set_free(set);
        free(set);

        const char *message = load_invalid(dir);
        assert_contains(message, "model.safetensors");
        assert_contains(message, "cls.predictions");
        assert_contains(message, "4 of its 5");
        assert_contains(message, parts[i]);
    }
}

static void bert_extra_tensors_ignored(void **state)
{
    char root[PATH_CAPACITY], plain[PATH_CAPACITY], extra[PATH_CAPACITY];
    make_dir(root, sizeof root, "model-bert-extra");
    write_bert_variant(root, "plain", "bert.", 0, 1, plain, sizeof plain);

    make_subdir(extra, sizeof extra, root, "extra");
    tensor_set *set = calloc(1, sizeof *set);
    assert_non_null(set);
    bert_tensors(set, "bert.", 2, 0, 1);
    add_matrix(set, "bert.pooler.dense.weight", D, D);
    add_vector(set, "bert.pooler.dense.bias", D);
    add_matrix(set, "cls.seq_relationship.weight", 2, D);
    const int64_t positions_shape[2] = {1, P};
    test_tensor *positions =
        set_add(set, "bert.embeddings.position_ids", 2, positions_shape, 0.0f, 0.0f);
    positions->dtype = HS_DTYPE_I64;
    for (int i = 0; i < P; i++)
        positions->values[i] = (float)i;
    set_write(set, extra);
    set_free(set);
    free(set);
    write_json(extra, "config.json", bert_config(2));

    hs_model *a = load_valid(plain);
    hs_model *b = load_valid(extra);
    assert_int_equal(hs_model_param_count(b), bert_param_count(2, 1));
    assert_string_equal(hs_model_weight_dtype(b), "F32");
    assert_same_outputs(a, b, 1e-6);
    hs_model_free(a);
    hs_model_free(b);
}

/* Writes a two-layer GPT-2 checkpoint. With with_buffers set it adds the
 * causal-mask buffers that older checkpoints carry. */
static void write_gpt2_variant(const char *parent, const char *child, const char *prefix,
                               int with_buffers, char *out, size_t size)
{
    char name[160];
    make_subdir(out, size, parent, child);
    tensor_set *set = calloc(1, sizeof *set);
    assert_non_null(set);
    gpt2_tensors(set, prefix, 2);
    for (int l = 0; with_buffers && l < 2; l++) {
        const int64_t mask_shape[4] = {1, 1, P, P};
        snprintf(name, sizeof name, "%sh.%d.attn.bias", prefix, l);
        test_tensor *mask = set_add(set, name, 4, mask_shape, 0.0f, 0.0f);
        for (int i = 0; i < P; i++)
            for (int j = 0; j <= i; j++)
                mask->values[i * P + j] = 1.0f;
        snprintf(name, sizeof name, "%sh.%d.attn.masked_bias", prefix, l);
        set_add(set, name, 0, NULL, -10000.0f, 0.0f);
    }
    set_write(set, out);
    set_free(set);
    free(set);
    write_json(out, "config.json", gpt2_config(2));
}

static void gpt2_prefix_and_buffers(void **state)
{
    static const struct {
        const char *name;
        const char *prefix;
        int with_buffers;
    } styles[] = {
        {"prefix", "transformer.", 0},
        {"prefix-buffers", "transformer.", 1},
        {"bare-buffers", "", 1},
    };
    char root[PATH_CAPACITY], dir[PATH_CAPACITY];
    make_dir(root, sizeof root, "model-gpt2-names");
    write_gpt2_variant(root, "reference", "", 0, dir, sizeof dir);
    hs_model *reference = load_valid(dir);
    assert_int_equal(hs_model_param_count(reference), gpt2_param_count(2));
    assert_true(hs_model_has_lm_head(reference));
    assert_true(hs_model_config(reference)->causal);
    assert_int_equal(hs_model_config(reference)->d_ff, F_GPT2);

    for (size_t i = 0; i < sizeof styles / sizeof styles[0]; i++) {
        write_gpt2_variant(root, styles[i].name, styles[i].prefix, styles[i].with_buffers, dir,
                           sizeof dir);
        hs_model *model = load_valid(dir);
        assert_int_equal(hs_model_param_count(model), gpt2_param_count(2));
        assert_same_outputs(reference, model, 1e-6);
        hs_model_free(model);
    }
    hs_model_free(reference);
}

static void llama_untied_needs_head(void **state)
{
    char dir[PATH_CAPACITY];
    make_dir(dir, sizeof dir, "model-llama-no-head");
    tensor_set *set = calloc(1, sizeof *set);
    assert_non_null(set);
    llama_tensors(set, 1, 0);
    set_write(set, dir);
    set_free(set);
    free(set);
    write_json(dir, "config.json", llama_config(1, 0));

    const char *message = load_invalid(dir);
    assert_contains(message, "model.safetensors");
    assert_contains(message, "missing tensor 'lm_head.weight'");
}

/* Writes a one-layer Llama-family folder with the given config changes. */
static void write_llama_variant(const char *dir, const char *model_type, int with_qkv_bias,
                                const char *rope_scaling_json)
{
    tensor_set *set = calloc(1, sizeof *set);
    assert_non_null(set);
    llama_tensors(set, 1, 0);
    if (with_qkv_bias) {
        add_vector(set, "model.layers.0.self_attn.q_proj.bias", D);
        add_vector(set, "model.layers.0.self_attn.k_proj.bias", D / H);
        add_vector(set, "model.layers.0.self_attn.v_proj.bias", D / H);
    }
    set_write(set, dir);
    set_free(set);
    free(set);
    cJSON *config = llama_config(1, 1);
    cJSON_ReplaceItemInObject(config, "model_type", cJSON_CreateString(model_type));
    if (rope_scaling_json)
        cJSON_AddItemToObject(config, "rope_scaling", cJSON_Parse(rope_scaling_json));
    write_json(dir, "config.json", config);
}

static void qwen2_needs_qkv_bias(void **state)
{
    char dir[PATH_CAPACITY];
    make_dir(dir, sizeof dir, "model-qwen2-nobias");
    write_llama_variant(dir, "qwen2", 0, NULL);
    const char *message = load_invalid(dir);
    check_contains(message, "missing tensor 'model.layers.0.self_attn.q_proj.bias'", __FILE__,
                   __LINE__);

    make_dir(dir, sizeof dir, "model-qwen2");
    write_llama_variant(dir, "qwen2", 1, NULL);
    hs_model *model = load_valid(dir);
    assert_true(hs_model_config(model)->qkv_bias);
    const int32_t ids[] = {3, 1, 4};
    hs_result *result = hs_forward(model, ids, NULL, 3);
    assert_non_null(result);
    hs_result_free(result);
    hs_model_free(model);
}

static void rope_scaling_unknown_type(void **state)
{
    char dir[PATH_CAPACITY];
    make_dir(dir, sizeof dir, "model-rope-yarn");
    write_llama_variant(dir, "llama", 0, "{\"rope_type\": \"yarn\", \"factor\": 2.0}");
    const char *message = load_invalid(dir);
    check_contains(message, "rope_scaling type 'yarn' is not supported", __FILE__, __LINE__);
}

/* Linear and llama3 scaling change the rotary angles, so attention beyond the
 * first position differs from unscaled rotary positions. */
static void rope_scaling_changes_attention(void **state)
{
    static const char *const scalings[] = {
        "{\"type\": \"linear\", \"factor\": 4.0}",
        "{\"rope_type\": \"llama3\", \"factor\": 8.0, \"low_freq_factor\": 1.0, "
        "\"high_freq_factor\": 4.0, \"original_max_position_embeddings\": 4}",
    };
    char dir[PATH_CAPACITY];
    make_dir(dir, sizeof dir, "model-rope-plain");
    write_llama_variant(dir, "llama", 0, NULL);
    hs_model *plain = load_valid(dir);
    const int32_t ids[] = {3, 1, 4, 1, 5, 9};
    hs_result *base = hs_forward(plain, ids, NULL, 6);
    assert_non_null(base);
    for (size_t k = 0; k < sizeof scalings / sizeof scalings[0]; k++) {
        char name[64];
        snprintf(name, sizeof name, "model-rope-%zu", k);
        make_dir(dir, sizeof dir, name);
        write_llama_variant(dir, "llama", 0, scalings[k]);
        hs_model *scaled = load_valid(dir);
        assert_int_not_equal(hs_model_config(scaled)->rope_scaling, HS_ROPE_DEFAULT);
        hs_result *r = hs_forward(scaled, ids, NULL, 6);
        assert_non_null(r);
        double difference = 0;
        for (size_t i = 0; i < (size_t)H * 36; i++)
            difference += fabs(r->attn[i] - base->attn[i]);
        assert_true(difference > 1e-4);
        /* Row 0 sees only itself, whatever the angles. */
        assert_true(r->attn[0] == 1.0f);
        hs_result_free(r);
        hs_model_free(scaled);
    }
    hs_result_free(base);
    hs_model_free(plain);
}

/* A NaN in a weight fails the forward pass with the layer it reached. */
static void nan_weight_names_layer(void **state)
{
    char dir[PATH_CAPACITY];
    make_dir(dir, sizeof dir, "model-nan");
    tensor_set *set = calloc(1, sizeof *set);
    assert_non_null(set);
    bert_tensors(set, "bert.", 1, 0, 1);
    test_tensor *query = set_find(set, "bert.encoder.layer.0.attention.self.query.weight");
    assert_non_null(query);
    query->values[3] = NAN;
    set_write(set, dir);
    set_free(set);
    free(set);
    write_json(dir, "config.json", bert_config(1));

    hs_model *model = load_valid(dir);
    const int32_t ids[] = {1, 2, 3};
    assert_null(hs_forward(model, ids, NULL, 3));
    check_contains(hs_error_message(), "layer 0 gives non-finite values", __FILE__, __LINE__);
    hs_model_free(model);
}

/* Mistral's sliding window: each query sees itself and the window - 1
 * keys before it, and every other cell is exactly 0. */
static void mistral_sliding_window(void **state)
{
    char dir[PATH_CAPACITY];
    make_dir(dir, sizeof dir, "model-mistral-window");
    tensor_set *set = calloc(1, sizeof *set);
    assert_non_null(set);
    llama_tensors(set, 1, 0);
    set_write(set, dir);
    set_free(set);
    free(set);
    cJSON *config = llama_config(1, 1);
    cJSON_ReplaceItemInObject(config, "model_type", cJSON_CreateString("mistral"));
    cJSON_AddNumberToObject(config, "sliding_window", 2);
    write_json(dir, "config.json", config);

    hs_model *model = load_valid(dir);
    assert_int_equal(hs_model_config(model)->sliding_window, 2);
    const int32_t ids[] = {3, 1, 4, 1, 5};
    hs_result *result = hs_forward(model, ids, NULL, 5);
    assert_non_null(result);
    for (int h = 0; h < H; h++) {
        const float *a = hs_result_head(result, 0, h);
        for (int i = 0; i < 5; i++) {
            double sum = 0;
            for (int j = 0; j < 5; j++) {
                float value = a[i * 5 + j];
                int visible = j <= i && j >= i - 1;
                if (!visible)
                    assert_true(value == 0.0f);
                else
                    assert_true(value > 0.0f);
                sum += value;
            }
            assert_true(sum > 1.0 - 1e-6 && sum < 1.0 + 1e-6);
        }
    }
    hs_result_free(result);
    hs_model_free(model);
}

static void llama_tied_without_head(void **state)
{
    char dir[PATH_CAPACITY];
    make_dir(dir, sizeof dir, "model-llama-tied");
    tensor_set *set = calloc(1, sizeof *set);
    assert_non_null(set);
    llama_tensors(set, 1, 0);
    set_write(set, dir);
    set_free(set);
    free(set);
    write_json(dir, "config.json", llama_config(1, 1));

    hs_model *model = load_valid(dir);
    assert_true(hs_model_has_lm_head(model));
    assert_int_equal(hs_model_config(model)->n_kv_heads, 1);
    const int32_t ids[] = {3, 1, 4};
    hs_result *result = hs_forward(model, ids, NULL, 3);
    if (!result)
        fail_msg("%s", hs_error_message());
    float logits[V];
    assert_int_equal(hs_forward_logits(model, result, 2, logits), 0);
    for (int v = 0; v < V; v++)
        assert_true(isfinite(logits[v]));
    hs_result_free(result);
    hs_model_free(model);
}

/* ---- dtypes and alignment ----------------------------------------------- */

/* Writes the checkpoint twice: stored as half, and as F32 holding the
 * half-rounded values. Both must load to the same numbers. */
static void check_half_weights(const char *arch, hs_dtype dtype, const char *dtype_name)
{
    char root[PATH_CAPACITY], half[PATH_CAPACITY], rounded[PATH_CAPACITY], name[64];
    snprintf(name, sizeof name, "model-%s-%s", arch, dtype_name);
    make_dir(root, sizeof root, name);
    make_subdir(half, sizeof half, root, "half");
    make_subdir(rounded, sizeof rounded, root, "rounded");

    tensor_set *set = calloc(1, sizeof *set);
    assert_non_null(set);
    int bert = strcmp(arch, "bert") == 0;
    if (bert)
        bert_tensors(set, "bert.", 2, 0, 1);
    else
        gpt2_tensors(set, "", 2);
    set_dtype(set, dtype);
    set_write(set, half);
    set_round(set, dtype);
    set_dtype(set, HS_DTYPE_F32);
    set_write(set, rounded);
    set_free(set);
    free(set);
    write_json(half, "config.json", bert ? bert_config(2) : gpt2_config(2));
    write_json(rounded, "config.json", bert ? bert_config(2) : gpt2_config(2));

    hs_model *a = load_valid(half);
    hs_model *b = load_valid(rounded);
    assert_string_equal(hs_model_weight_dtype(a), dtype_name);
    assert_string_equal(hs_model_weight_dtype(b), "F32");
    assert_int_equal(hs_model_param_count(a), hs_model_param_count(b));
    assert_same_outputs(a, b, 1e-6);
    hs_model_free(a);
    hs_model_free(b);
}

static void bert_f16_weights(void **state)
{
    check_half_weights("bert", HS_DTYPE_F16, "F16");
}

static void bert_bf16_weights(void **state)
{
    check_half_weights("bert", HS_DTYPE_BF16, "BF16");
}

static void gpt2_f16_weights(void **state)
{
    check_half_weights("gpt2", HS_DTYPE_F16, "F16");
}

static void gpt2_bf16_weights(void **state)
{
    check_half_weights("gpt2", HS_DTYPE_BF16, "BF16");
}

static void mixed_dtypes(void **state)
{
    char dir[PATH_CAPACITY];
    make_dir(dir, sizeof dir, "model-mixed");
    tensor_set *set = calloc(1, sizeof *set);
    assert_non_null(set);
    gpt2_tensors(set, "", 1);
    set_find(set, "wte.weight")->dtype = HS_DTYPE_F16;
    set_write(set, dir);
    set_free(set);
    free(set);
    write_json(dir, "config.json", gpt2_config(1));

    hs_model *model = load_valid(dir);
    assert_string_equal(hs_model_weight_dtype(model), "mixed");
    hs_model_free(model);
}

static void unaligned_f32_weights(void **state)
{
    /* Rewrites model.safetensors with a header of 8k + 2 bytes, so every F32
     * tensor sits at an address that is not a multiple of 4. */
    char root[PATH_CAPACITY], aligned[PATH_CAPACITY], shifted[PATH_CAPACITY];
    char path[PATH_CAPACITY];
    make_dir(root, sizeof root, "model-unaligned");
    write_bert_variant(root, "aligned", "bert.", 0, 1, aligned, sizeof aligned);
    make_subdir(shifted, sizeof shifted, root, "shifted");
    write_json(shifted, "config.json", bert_config(2));

    join_path(path, sizeof path, aligned, "model.safetensors");
    size_t size = 0;
    char *bytes = hs_test_read_file(path, &size);
    assert_non_null(bytes);
    uint64_t header_length = 0;
    for (int i = 7; i >= 0; i--)
        header_length = header_length << 8 | (uint8_t)bytes[i];
    assert_int_equal(header_length % 8, 0);
    uint64_t new_length = header_length + 10;
    char *out = malloc(size + 10);
    assert_non_null(out);
    for (int i = 0; i < 8; i++)
        out[i] = (char)(new_length >> (8 * i));
    memcpy(out + 8, bytes + 8, header_length);
    memset(out + 8 + header_length, ' ', 10);
    memcpy(out + 8 + new_length, bytes + 8 + header_length, size - 8 - header_length);
    join_path(path, sizeof path, shifted, "model.safetensors");
    hs_test_write_file(path, out, size + 10);
    free(out);
    free(bytes);

    hs_model *a = load_valid(aligned);
    hs_model *b = load_valid(shifted);
    assert_string_equal(hs_model_weight_dtype(b), "F32");
    assert_int_equal(hs_model_param_count(b), bert_param_count(2, 1));
    assert_same_outputs(a, b, 1e-6);
    hs_model_free(a);
    hs_model_free(b);
}

/* ---- loading without tokenizer, progress -------------------------------- */

static void no_tokenizer_files(void **state)
{
    char dir[PATH_CAPACITY];
    make_dir(dir, sizeof dir, "model-no-tokenizer");
    write_bert_folder(dir);

    hs_model *model = load_valid(dir);
    assert_null(hs_model_tokenizer(model));
    assert_true(hs_model_tokenizer_error(model)[0] != '\0');
    assert_string_equal(hs_model_dir(model), dir);
    assert_string_equal(hs_model_name(model), strrchr(dir, '/') + 1);
    const hs_config *c = hs_model_config(model);
    assert_int_equal(c->arch, HS_ARCH_BERT);
    assert_string_equal(c->model_type, "bert");
    assert_string_equal(c->architecture, "BertForMaskedLM");
    assert_int_equal(c->d_model, D);
    assert_int_equal(c->n_heads, H);
    assert_int_equal(c->d_head, D / H);
    assert_int_equal(c->n_layers, 1);
    assert_int_equal(c->d_ff, F_BERT);
    assert_int_equal(c->vocab_size, V);
    hs_model_free(model);
}

typedef struct {
    int calls;
    float last;
    int backwards;
} progress_log;

static void record_progress(float fraction, void *user)
{
    progress_log *log = user;
    if (fraction < log->last || fraction < 0.0f || fraction > 1.0f)
        log->backwards++;
    log->last = fraction;
    log->calls++;
}

static void progress_reaches_one(void **state)
{
    char dir[PATH_CAPACITY];
    make_dir(dir, sizeof dir, "model-progress");
    tensor_set *set = calloc(1, sizeof *set);
    assert_non_null(set);
    gpt2_tensors(set, "", 1);
    set_dtype(set, HS_DTYPE_BF16);
    set_write(set, dir);
    set_free(set);
    free(set);
    write_json(dir, "config.json", gpt2_config(1));

    progress_log log = {0};
    hs_model *model = hs_model_load(dir, record_progress, &log);
    if (!model)
        fail_msg("%s", hs_error_message());
    assert_true(log.calls > 1);
    assert_int_equal(log.backwards, 0);
    assert_true(log.last == 1.0f);
    hs_model_free(model);
}

/* ---- memory reuse ------------------------------------------------------- */

/* The engine reuses freed result blocks. A pass that lands in a block that
 * contains a longer pass's numbers must give exactly the numbers of a pass in
 * a block of its own, the causal zeros included. */
static void forward_reused_block_same(void **state)
{
    char dir[PATH_CAPACITY];
    make_dir(dir, sizeof dir, "model-reuse");
    tensor_set *set = calloc(1, sizeof *set);
    assert_non_null(set);
    gpt2_tensors(set, "", 2);
    set_write(set, dir);
    set_free(set);
    free(set);
    write_json(dir, "config.json", gpt2_config(2));
    hs_model *model = load_valid(dir);

    const int32_t long_ids[] = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8};
    const int32_t short_ids[] = {2, 7, 1, 8, 2, 8, 1, 8, 2};
    const int n = (int)(sizeof short_ids / sizeof short_ids[0]);
    hs_result *first = hs_forward(model, short_ids, NULL, n);
    assert_non_null(first);
    for (int round = 0; round < 3; round++) {
        hs_result *other = hs_forward(model, long_ids, NULL, (int)(sizeof long_ids / 4));
        assert_non_null(other);
        hs_result_free(other);
        hs_result *again = hs_forward(model, short_ids, NULL, n);
        assert_non_null(again);
        assert_int_equal(again->n, n);

        size_t attn = (size_t)2 * H * n * n;
        size_t hidden = (size_t)3 * n * D;
        size_t context = (size_t)2 * n * D;
        assert_memory_equal(first->attn, again->attn, attn * sizeof(float));
        assert_memory_equal(first->hidden, again->hidden, hidden * sizeof(float));
        assert_memory_equal(first->context, again->context, context * sizeof(float));
        hs_result_free(again);
    }
    hs_result_free(first);
    hs_model_free(model);
}

/* ---- hub names ---------------------------------------------------------- */

/* Creates HUB/models--ORG--NAME with refs/main = commit and, when
 * with_snapshot is set, a model in snapshots/COMMIT. Returns the snapshot
 * path in out. */
static void make_hub_model(const char *hub, const char *repo, const char *commit, int with_snapshot,
                           char *out, size_t size)
{
    char repo_dir[PATH_CAPACITY], refs[PATH_CAPACITY], snapshots[PATH_CAPACITY];
    mkdir(hub, 0755);
    make_subdir(repo_dir, sizeof repo_dir, hub, repo);
    make_subdir(refs, sizeof refs, repo_dir, "refs");
    make_subdir(snapshots, sizeof snapshots, repo_dir, "snapshots");
    char text[128];
    snprintf(text, sizeof text, "%s\n", commit);
    write_text(refs, "main", text);
    join_path(out, size, snapshots, commit);
    if (with_snapshot) {
        assert_int_equal(mkdir(out, 0755), 0);
        write_bert_folder(out);
    }
}

static void clear_hub_env(void)
{
    unsetenv("HF_HOME");
    unsetenv("HF_HUB_CACHE");
}

static void hub_name_from_hf_home(void **state)
{
    char home[PATH_CAPACITY], hub[PATH_CAPACITY], snapshot[PATH_CAPACITY];
    make_dir(home, sizeof home, "hf-home");
    join_path(hub, sizeof hub, home, "hub");
    make_hub_model(hub, "models--org--name", "0123abcd", 1, snapshot, sizeof snapshot);
    clear_hub_env();
    setenv("HF_HOME", home, 1);

    char *resolved = hs_model_resolve("org/name");
    if (!resolved)
        fail_msg("%s", hs_error_message());
    assert_string_equal(resolved, snapshot);
    free(resolved);

    hs_model *model = load_valid("org/name");
    assert_string_equal(hs_model_dir(model), snapshot);
    assert_string_equal(hs_model_name(model), "org/name");
    hs_model_free(model);
    clear_hub_env();
}

static void hub_name_without_org(void **state)
{
    char home[PATH_CAPACITY], hub[PATH_CAPACITY], snapshot[PATH_CAPACITY];
    make_dir(home, sizeof home, "hf-home-bare");
    join_path(hub, sizeof hub, home, "hub");
    make_hub_model(hub, "models--tinybert", "feed", 1, snapshot, sizeof snapshot);
    clear_hub_env();
    setenv("HF_HOME", home, 1);

    char *resolved = hs_model_resolve("tinybert");
    if (!resolved)
        fail_msg("%s", hs_error_message());
    assert_string_equal(resolved, snapshot);
    free(resolved);
    clear_hub_env();
}

static void hub_cache_overrides_home(void **state)
{
    char root[PATH_CAPACITY], home_hub[PATH_CAPACITY], cache[PATH_CAPACITY];
    char home_snapshot[PATH_CAPACITY], cache_snapshot[PATH_CAPACITY];
    make_dir(root, sizeof root, "hf-cache");
    join_path(home_hub, sizeof home_hub, root, "hub");
    join_path(cache, sizeof cache, root, "elsewhere");
    make_hub_model(home_hub, "models--org--name", "aaaa", 1, home_snapshot, sizeof home_snapshot);
    make_hub_model(cache, "models--org--name", "bbbb", 1, cache_snapshot, sizeof cache_snapshot);
    clear_hub_env();
    setenv("HF_HOME", root, 1);
    setenv("HF_HUB_CACHE", cache, 1);

    char *resolved = hs_model_resolve("org/name");
    if (!resolved)
        fail_msg("%s", hs_error_message());
    assert_string_equal(resolved, cache_snapshot);
    free(resolved);
    clear_hub_env();
}

static void hub_name_not_cached(void **state)
{
    char home[PATH_CAPACITY], expected[PATH_CAPACITY];
    make_dir(home, sizeof home, "hf-empty");
    clear_hub_env();
    setenv("HF_HOME", home, 1);

    assert_null(hs_model_resolve("org/absent"));
    const char *message = hs_error_message();
    join_path(expected, sizeof expected, home, "hub/models--org--absent/refs/main");
    assert_contains(message, "'org/absent'");
    assert_contains(message, expected);
    assert_contains(message, "download");

    assert_null(hs_model_load("org/absent", NULL, NULL));
    assert_contains(hs_error_message(), expected);
    clear_hub_env();
}

static void hub_snapshot_missing(void **state)
{
    char home[PATH_CAPACITY], hub[PATH_CAPACITY], snapshot[PATH_CAPACITY];
    make_dir(home, sizeof home, "hf-no-snapshot");
    join_path(hub, sizeof hub, home, "hub");
    make_hub_model(hub, "models--org--name", "deadbeef", 0, snapshot, sizeof snapshot);
    clear_hub_env();
    setenv("HF_HOME", home, 1);

    assert_null(hs_model_resolve("org/name"));
    const char *message = hs_error_message();
    assert_contains(message, "refs/main");
    assert_contains(message, snapshot);
    assert_contains(message, "does not exist");
    clear_hub_env();
}

static void hub_ref_empty(void **state)
{
    /* An empty refs/main must not resolve to the snapshots folder itself. */
    char home[PATH_CAPACITY], hub[PATH_CAPACITY], snapshot[PATH_CAPACITY];
    char refs[PATH_CAPACITY];
    make_dir(home, sizeof home, "hf-empty-ref");
    join_path(hub, sizeof hub, home, "hub");
    make_hub_model(hub, "models--org--name", "cafe", 1, snapshot, sizeof snapshot);
    join_path(refs, sizeof refs, hub, "models--org--name/refs");
    write_text(refs, "main", "\n");
    clear_hub_env();
    setenv("HF_HOME", home, 1);

    char *resolved = hs_model_resolve("org/name");
    if (resolved) {
        print_error("resolved to %s\n", resolved);
        free(resolved);
        fail();
    }
    assert_contains(hs_error_message(), "refs/main");
    assert_contains(hs_error_message(), "commit");
    clear_hub_env();
}

static void hub_ref_outside_snapshots(void **state)
{
    char home[PATH_CAPACITY], hub[PATH_CAPACITY], snapshot[PATH_CAPACITY];
    char refs[PATH_CAPACITY];
    make_dir(home, sizeof home, "hf-escape-ref");
    join_path(hub, sizeof hub, home, "hub");
    make_hub_model(hub, "models--org--name", "cafe", 1, snapshot, sizeof snapshot);
    join_path(refs, sizeof refs, hub, "models--org--name/refs");
    write_text(refs, "main", "../refs");
    clear_hub_env();
    setenv("HF_HOME", home, 1);

    char *resolved = hs_model_resolve("org/name");
    if (resolved) {
        print_error("resolved to %s\n", resolved);
        free(resolved);
        fail();
    }
    assert_contains(hs_error_message(), "refs/main");
    assert_contains(hs_error_message(), "'../refs'");
    clear_hub_env();
}

static void folder_not_found(void **state)
{
    char dir[PATH_CAPACITY], path[PATH_CAPACITY];
    make_dir(dir, sizeof dir, "model-not-found");
    join_path(path, sizeof path, dir, "absent");
    assert_null(hs_model_load(path, NULL, NULL));
    assert_contains(hs_error_message(), path);
    assert_contains(hs_error_message(), "not found");

    /* A hub name has at most one slash. */
    assert_null(hs_model_resolve("org/name/extra"));
    assert_contains(hs_error_message(), "'org/name/extra'");
    assert_contains(hs_error_message(), "not found");
}

/* ---- reference fixtures ------------------------------------------------- */

static void check_fixture(const char *folder, int64_t params, const char *dtype)
{
    hs_model *model = hs_model_load(hs_test_fixture(folder), NULL, NULL);
    if (!model)
        fail_msg("%s: %s", folder, hs_error_message());
    assert_int_equal(hs_model_param_count(model), params);
    assert_string_equal(hs_model_weight_dtype(model), dtype);
    hs_model_free(model);
}

static void fixture_bert_tiny(void **state)
{
    HS_REQUIRE_FIXTURES();
    /* vocabulary 30522, hidden 32, 128 positions, 2 token types, 2 layers,
     * feed-forward 64, with the masked-LM head. */
    int64_t layer = 4 * (32 * 32 + 32) + 4 * 32 + (32 * 64 + 64) + (64 * 32 + 32);
    int64_t params = (30522 + 128 + 2) * 32 + 2 * 32 + 2 * layer + (32 * 32 + 32 + 2 * 32 + 30522);
    check_fixture("bert-tiny-random", params, "F32");
}

static void fixture_bert_legacy(void **state)
{
    HS_REQUIRE_FIXTURES();
    /* The same model without the head. Its pooler and position_ids are not
     * counted because the model does not use them. */
    int64_t layer = 4 * (32 * 32 + 32) + 4 * 32 + (32 * 64 + 64) + (64 * 32 + 32);
    int64_t params = (30522 + 128 + 2) * 32 + 2 * 32 + 2 * layer;
    check_fixture("bert-tiny-random-legacy", params, "F16");
}

static void fixture_gpt2_tiny(void **state)
{
    HS_REQUIRE_FIXTURES();
    /* vocabulary 50257, hidden 32, 128 positions, 2 layers, feed-forward 128. */
    int64_t layer = 4 * 32 + (32 * 96 + 96) + (32 * 32 + 32) + (32 * 128 + 128) + (128 * 32 + 32);
    int64_t params = (50257 + 128) * 32 + 2 * layer + 2 * 32;
    check_fixture("gpt2-tiny-random", params, "BF16");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(config_missing),
        cmocka_unit_test(config_not_json),
        cmocka_unit_test(config_array),
        cmocka_unit_test(config_no_model_type),
        cmocka_unit_test(config_type_t5),
        cmocka_unit_test(config_heads_not_divisor),
        cmocka_unit_test(config_sizes_not_positive),
        cmocka_unit_test(config_size_fractional),
        cmocka_unit_test(config_gpt2_huge_hidden),
        cmocka_unit_test(config_llama_huge_head),
        cmocka_unit_test(config_wrong_types),
        cmocka_unit_test(config_trailing_text),
        cmocka_unit_test(config_numbers_out_of_range),
        cmocka_unit_test(config_fifo),
        cmocka_unit_test(weights_missing),
        cmocka_unit_test(weights_not_regular),
        cmocka_unit_test(weights_invalid_file),
        cmocka_unit_test(tensor_missing),
        cmocka_unit_test(tensor_missing_layer),
        cmocka_unit_test(tensor_wrong_shape),
        cmocka_unit_test(tensor_wrong_rank),
        cmocka_unit_test(tensor_stored_i64),
        cmocka_unit_test(shards_match_single_file),
        cmocka_unit_test(shard_missing),
        cmocka_unit_test(index_without_weight_map),
        cmocka_unit_test(index_not_json),
        cmocka_unit_test(index_trailing_text),
        cmocka_unit_test(shard_broken_symlink),
        cmocka_unit_test(index_shard_outside),
        cmocka_unit_test(index_tensor_not_in_shards),
        cmocka_unit_test(bert_prefix_and_layer_norm),
        cmocka_unit_test(bert_decoder_bias_name),
        cmocka_unit_test(bert_without_head),
        cmocka_unit_test(bert_head_incomplete),
        cmocka_unit_test(bert_extra_tensors_ignored),
        cmocka_unit_test(gpt2_prefix_and_buffers),
        cmocka_unit_test(llama_untied_needs_head),
        cmocka_unit_test(mistral_sliding_window),
        cmocka_unit_test(nan_weight_names_layer),
        cmocka_unit_test(qwen2_needs_qkv_bias),
        cmocka_unit_test(rope_scaling_unknown_type),
        cmocka_unit_test(rope_scaling_changes_attention),
        cmocka_unit_test(llama_tied_without_head),
        cmocka_unit_test(bert_f16_weights),
        cmocka_unit_test(bert_bf16_weights),
        cmocka_unit_test(gpt2_f16_weights),
        cmocka_unit_test(gpt2_bf16_weights),
        cmocka_unit_test(mixed_dtypes),
        cmocka_unit_test(unaligned_f32_weights),
        cmocka_unit_test(no_tokenizer_files),
        cmocka_unit_test(progress_reaches_one),
        cmocka_unit_test(hub_name_from_hf_home),
        cmocka_unit_test(hub_name_without_org),
        cmocka_unit_test(hub_cache_overrides_home),
        cmocka_unit_test(hub_name_not_cached),
        cmocka_unit_test(hub_snapshot_missing),
        cmocka_unit_test(hub_ref_empty),
        cmocka_unit_test(hub_ref_outside_snapshots),
        cmocka_unit_test(folder_not_found),
        cmocka_unit_test(forward_reused_block_same),
        cmocka_unit_test(fixture_bert_tiny),
        cmocka_unit_test(fixture_bert_legacy),
        cmocka_unit_test(fixture_gpt2_tiny),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
