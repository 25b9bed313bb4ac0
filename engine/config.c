/*
 * config.c - read and validate a Hugging Face config.json (cJSON).
 *
 * Each architecture names its sizes differently (BERT hidden_size, GPT-2
 * n_embd); this file maps them onto hs_config and rejects values that would
 * make the forward pass meaningless.
 */
#include "hs_model.h"

#include "hs_error.h"
#include "hs_io.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <string.h>

const char *hs_arch_name(hs_arch arch)
{
    switch (arch) {
    case HS_ARCH_BERT:
        return "bert";
    case HS_ARCH_GPT2:
        return "gpt2";
    case HS_ARCH_LLAMA:
        return "llama";
    }
    return "?";
}

#define NAMES(...) ((const char *const[]){__VA_ARGS__, NULL})
#define REQUIRED (-2147483647 - 1)

/* Finds a key of root. A name "outer.inner" is looked up inside the object
 * outer; Hugging Face config keys contain no dots. */
static const cJSON *find_key(const cJSON *root, const char *name)
{
    const char *dot = strchr(name, '.');
    if (!dot)
        return cJSON_GetObjectItemCaseSensitive(root, name);
    char outer[64];
    snprintf(outer, sizeof outer, "%.*s", (int)(dot - name), name);
    return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, outer),
                                            dot + 1);
}

/* Sets the error for a key whose value has the wrong JSON type, showing the
 * value as JSON text. */
static int wrong_type(const char *path, const char *name, const char *expected,
                      const cJSON *item)
{
    char text[64];
    if (!cJSON_PrintPreallocated((cJSON *)item, text, sizeof text, 0))
        snprintf(text, sizeof text, "(too long to show)");
    hs_error_set("%s: '%s' has the wrong type: expected %s, found %s %s", path, name, expected,
                 hs_json_type_name(item), text);
    return -1;
}

/* Checks that item is an integer that fits an int and stores it. */
static int json_to_int(const cJSON *item, const char *path, const char *name, int *out)
{
    if (!cJSON_IsNumber(item))
        return wrong_type(path, name, "an integer", item);
    double value = item->valuedouble;
    if (floor(value) != value || fabs(value) > 2147483647.0) {
        hs_error_set("%s: '%s' is %g, must be an integer in the int range", path, name, value);
        return -1;
    }
    *out = (int)value;
    return 0;
}

/* Reads an integer field (first name found). Missing or null: fallback, or an
 * error when fallback is REQUIRED. */
static int read_int(const cJSON *root, const char *path, const char *const names[], int fallback,
                    int *out)
{
    for (int i = 0; names[i]; i++) {
        const cJSON *item = find_key(root, names[i]);
        if (!item || cJSON_IsNull(item))
            continue;
        return json_to_int(item, path, names[i], out);
    }
    if (fallback == REQUIRED) {
        hs_error_set("%s: missing '%s'", path, names[0]);
        return -1;
    }
    *out = fallback;
    return 0;
}

/* Reads bos_token_id or eos_token_id: an integer, or a list of integers of
 * which the first is kept (Llama 3 lists several eos_token_id values). */
static int read_token_id(const cJSON *root, const char *path, const char *name, int *out)
{
    const cJSON *item = find_key(root, name);
    *out = -1;
    if (!item || cJSON_IsNull(item))
        return 0;
    if (!cJSON_IsArray(item))
        return json_to_int(item, path, name, out);
    if (cJSON_GetArraySize(item) == 0) {
        hs_error_set("%s: '%s' is an empty list", path, name);
        return -1;
    }
    const cJSON *entry;
    int first = 1;
    cJSON_ArrayForEach(entry, item)
    {
        int id = -1;
        if (json_to_int(entry, path, name, &id) != 0)
            return -1;
        if (first)
            *out = id;
        first = 0;
    }
    return 0;
}

/* Reads a number field that must be finite and not negative, and also not
 * zero unless allow_zero. Missing or null: fallback. */
static int read_float(const cJSON *root, const char *path, const char *name, float fallback,
                      int allow_zero, float *out)
{
    const cJSON *item = find_key(root, name);
    if (!item || cJSON_IsNull(item)) {
        *out = fallback;
        return 0;
    }
    if (!cJSON_IsNumber(item))
        return wrong_type(path, name, "a number", item);
    float value = (float)item->valuedouble;
    if (!isfinite(value)) {
        hs_error_set("%s: '%s' is %g, must be a finite number", path, name, item->valuedouble);
        return -1;
    }
    if (value < 0.0f || (!allow_zero && value == 0.0f)) {
        hs_error_set("%s: '%s' is %g, must be %s", path, name, item->valuedouble,
                     allow_zero ? "zero or positive" : "positive");
        return -1;
    }
    *out = value;
    return 0;
}

/* Reads a boolean field. Missing or null: fallback. */
static int read_bool(const cJSON *root, const char *path, const char *name, int fallback,
                     int *out)
{
    const cJSON *item = find_key(root, name);
    *out = fallback;
    if (!item || cJSON_IsNull(item))
        return 0;
    if (!cJSON_IsBool(item))
        return wrong_type(path, name, "a boolean", item);
    *out = cJSON_IsTrue(item);
    return 0;
}

/* Reads a string field into *out. Missing or null: *out is NULL. */
static int read_string(const cJSON *root, const char *path, const char *name, const char **out)
{
    const cJSON *item = find_key(root, name);
    *out = NULL;
    if (!item || cJSON_IsNull(item))
        return 0;
    if (!cJSON_IsString(item))
        return wrong_type(path, name, "a string", item);
    *out = item->valuestring;
    return 0;
}

static int parse_activation(const char *name, const char *path, const char *field,
                            hs_activation *out)
{
    if (strcmp(name, "gelu") == 0)
        *out = HS_ACT_GELU;
    else if (strcmp(name, "gelu_new") == 0 || strcmp(name, "gelu_pytorch_tanh") == 0 ||
             strcmp(name, "gelu_fast") == 0)
        *out = HS_ACT_GELU_TANH;
    else if (strcmp(name, "relu") == 0)
        *out = HS_ACT_RELU;
    else if (strcmp(name, "silu") == 0 || strcmp(name, "swish") == 0)
        *out = HS_ACT_SILU;
    else {
        hs_error_set("%s: %s '%s' is not supported (supported: gelu, gelu_new, "
                     "gelu_pytorch_tanh, relu, silu)",
                     path, field, name);
        return -1;
    }
    return 0;
}

static int parse_bert(hs_config *c, const cJSON *root, const char *path)
{
    const char *position_type, *act;

    if (read_string(root, path, "position_embedding_type", &position_type) ||
        read_string(root, path, "hidden_act", &act))
        return -1;
    if (position_type && strcmp(position_type, "absolute") != 0) {
        hs_error_set("%s: position_embedding_type '%s' is not supported (only 'absolute')",
                     path, position_type);
        return -1;
    }
    if (read_int(root, path, NAMES("hidden_size"), REQUIRED, &c->d_model) ||
        read_int(root, path, NAMES("num_hidden_layers"), REQUIRED, &c->n_layers) ||
        read_int(root, path, NAMES("num_attention_heads"), REQUIRED, &c->n_heads) ||
        read_int(root, path, NAMES("intermediate_size"), REQUIRED, &c->d_ff) ||
        read_int(root, path, NAMES("vocab_size"), REQUIRED, &c->vocab_size) ||
        read_int(root, path, NAMES("max_position_embeddings"), 512, &c->max_positions) ||
        read_int(root, path, NAMES("type_vocab_size"), 2, &c->type_vocab_size) ||
        read_float(root, path, "layer_norm_eps", 1e-12f, 1, &c->norm_eps))
        return -1;
    c->n_kv_heads = c->n_heads;
    return parse_activation(act ? act : "gelu", path, "hidden_act", &c->activation);
}

/* GPT-2's feed-forward size when n_inner is absent: 4 x n_embd, capped so a
 * huge n_embd reaches the range check instead of overflowing an int. */
static int default_gpt2_ff(int d_model)
{
    return d_model > 2147483647 / 4 ? 2147483647 : 4 * d_model;
}

static int parse_gpt2(hs_config *c, const cJSON *root, const char *path)
{
    const char *act;
    int scale_weights;

    if (read_string(root, path, "activation_function", &act) ||
        read_int(root, path, NAMES("n_embd", "hidden_size"), REQUIRED, &c->d_model) ||
        read_int(root, path, NAMES("n_layer", "num_hidden_layers"), REQUIRED, &c->n_layers) ||
        read_int(root, path, NAMES("n_head", "num_attention_heads"), REQUIRED, &c->n_heads) ||
        read_int(root, path, NAMES("vocab_size"), REQUIRED, &c->vocab_size) ||
        read_int(root, path, NAMES("n_positions", "max_position_embeddings"), 1024,
                 &c->max_positions) ||
        read_int(root, path, NAMES("n_inner"), default_gpt2_ff(c->d_model), &c->d_ff) ||
        read_float(root, path, "layer_norm_epsilon", 1e-5f, 1, &c->norm_eps) ||
        read_bool(root, path, "scale_attn_weights", 1, &scale_weights) ||
        read_bool(root, path, "scale_attn_by_inverse_layer_idx", 0, &c->scale_attn_by_layer))
        return -1;
    if (!scale_weights) {
        hs_error_set("%s: scale_attn_weights false is not supported", path);
        return -1;
    }
    c->n_kv_heads = c->n_heads;
    c->causal = 1;
    c->tie_word_embeddings = 1;
    return parse_activation(act ? act : "gelu_new", path, "activation_function",
                            &c->activation);
}

static int parse_rope_scaling(hs_config *c, const cJSON *root, const char *path)
{
    const cJSON *scaling = cJSON_GetObjectItemCaseSensitive(root, "rope_scaling");
    const char *type;

    c->rope_scaling = HS_ROPE_DEFAULT;
    if (!scaling || cJSON_IsNull(scaling))
        return 0;
    if (!cJSON_IsObject(scaling))
        return wrong_type(path, "rope_scaling", "an object", scaling);
    if (read_string(root, path, "rope_scaling.rope_type", &type))
        return -1;
    if (!type && read_string(root, path, "rope_scaling.type", &type))
        return -1;
    if (!type || strcmp(type, "default") == 0)
        return 0;
    if (read_float(root, path, "rope_scaling.factor", 1.0f, 0, &c->rope_factor))
        return -1;
    if (strcmp(type, "linear") == 0) {
        c->rope_scaling = HS_ROPE_LINEAR;
        return 0;
    }
    if (strcmp(type, "llama3") != 0) {
        hs_error_set("%s: rope_scaling type '%s' is not supported (supported: linear, llama3)",
                     path, type);
        return -1;
    }
    c->rope_scaling = HS_ROPE_LLAMA3;
    if (read_float(root, path, "rope_scaling.low_freq_factor", 1.0f, 0,
                   &c->rope_low_freq_factor) ||
        read_float(root, path, "rope_scaling.high_freq_factor", 4.0f, 0,
                   &c->rope_high_freq_factor) ||
        read_int(root, path, NAMES("rope_scaling.original_max_position_embeddings"), 8192,
                 &c->rope_original_max_positions))
        return -1;
    /* The llama3 rule interpolates between the two factors, dividing by
     * their difference. */
    if (!(c->rope_high_freq_factor > c->rope_low_freq_factor)) {
        hs_error_set("%s: rope_scaling high_freq_factor %g must be greater than "
                     "low_freq_factor %g",
                     path, c->rope_high_freq_factor, c->rope_low_freq_factor);
        return -1;
    }
    if (c->rope_original_max_positions <= 0) {
        hs_error_set("%s: rope_scaling original_max_position_embeddings is %d, must be positive",
                     path, c->rope_original_max_positions);
        return -1;
    }
    return 0;
}

static int parse_llama(hs_config *c, const cJSON *root, const char *path)
{
    const char *act;
    int use_sliding_window, attention_bias;

    if (read_string(root, path, "hidden_act", &act) ||
        read_int(root, path, NAMES("hidden_size"), REQUIRED, &c->d_model) ||
        read_int(root, path, NAMES("num_hidden_layers"), REQUIRED, &c->n_layers) ||
        read_int(root, path, NAMES("num_attention_heads"), REQUIRED, &c->n_heads) ||
        read_int(root, path, NAMES("num_key_value_heads"), c->n_heads, &c->n_kv_heads) ||
        read_int(root, path, NAMES("intermediate_size"), REQUIRED, &c->d_ff) ||
        read_int(root, path, NAMES("vocab_size"), REQUIRED, &c->vocab_size) ||
        read_int(root, path, NAMES("max_position_embeddings"), 2048, &c->max_positions) ||
        read_float(root, path, "rms_norm_eps", 1e-6f, 1, &c->norm_eps) ||
        read_float(root, path, "rope_theta", 10000.0f, 0, &c->rope_theta) ||
        parse_rope_scaling(c, root, path))
        return -1;
    if (read_int(root, path, NAMES("head_dim"), c->n_heads ? c->d_model / c->n_heads : 0,
                 &c->d_head) ||
        read_bool(root, path, "tie_word_embeddings", 0, &c->tie_word_embeddings) ||
        read_bool(root, path, "use_sliding_window", 0, &use_sliding_window) ||
        read_bool(root, path, "attention_bias", 0, &attention_bias))
        return -1;
    c->causal = 1;

    /* Mistral masks keys more than sliding_window positions back; Qwen2 does
     * so only when use_sliding_window is true. */
    int uses_window = strcmp(c->model_type, "mistral") == 0 ||
                      (strcmp(c->model_type, "qwen2") == 0 && use_sliding_window);
    if (uses_window && read_int(root, path, NAMES("sliding_window"), 0, &c->sliding_window))
        return -1;
    if (c->sliding_window < 0) {
        hs_error_set("%s: sliding_window %d must not be negative", path, c->sliding_window);
        return -1;
    }
    c->qkv_bias = strcmp(c->model_type, "qwen2") == 0 || attention_bias;
    return parse_activation(act ? act : "silu", path, "hidden_act", &c->activation);
}

static int check_sizes(const hs_config *c, const char *path)
{
    const struct {
        const char *name;
        int value;
    } sizes[] = {
        {"hidden size", c->d_model},          {"number of layers", c->n_layers},
        {"number of attention heads", c->n_heads},
        {"number of key/value heads", c->n_kv_heads},
        {"feed-forward size", c->d_ff},       {"vocabulary size", c->vocab_size},
        {"max positions", c->max_positions},  {"head size", c->d_head},
    };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        if (sizes[i].value <= 0) {
            hs_error_set("%s: %s is %d, must be positive", path, sizes[i].name, sizes[i].value);
            return -1;
        }
    }
    if (c->arch != HS_ARCH_LLAMA && c->d_model % c->n_heads != 0) {
        hs_error_set("%s: hidden size %d is not divisible by the number of heads %d", path,
                     c->d_model, c->n_heads);
        return -1;
    }
    if (c->n_heads % c->n_kv_heads != 0) {
        hs_error_set("%s: %d attention heads are not a multiple of %d key/value heads", path,
                     c->n_heads, c->n_kv_heads);
        return -1;
    }
    if (c->arch == HS_ARCH_LLAMA && c->d_head % 2 != 0) {
        hs_error_set("%s: head size %d must be even for rotary positions", path, c->d_head);
        return -1;
    }
    if (c->type_vocab_size < 0) {
        hs_error_set("%s: type_vocab_size is %d, must not be negative", path,
                     c->type_vocab_size);
        return -1;
    }
    if (!(c->norm_eps >= 0.0f) || !isfinite(c->norm_eps)) {
        hs_error_set("%s: norm epsilon %g must be a non-negative number", path, c->norm_eps);
        return -1;
    }
    /* Beyond these limits the [L][h][n][n] record would not fit in memory. */
    if (c->n_layers > 1024 || c->n_heads > 1024 || c->d_model > 65536 || c->d_head > 65536 ||
        c->d_ff > 262144 || c->max_positions > 1048576 || c->vocab_size > 4194304) {
        hs_error_set("%s: sizes out of the supported range (layers %d, heads %d, hidden %d, "
                     "head size %d, feed-forward %d, positions %d, vocabulary %d)",
                     path, c->n_layers, c->n_heads, c->d_model, c->d_head, c->d_ff,
                     c->max_positions, c->vocab_size);
        return -1;
    }
    return 0;
}

int hs_config_parse(hs_config *c, const char *json_text, const char *path)
{
    int status = -1;
    cJSON *root = NULL;
    const char *model_type, *dtype;

    memset(c, 0, sizeof *c);
    root = hs_json_parse(json_text, strlen(json_text), path);
    if (!root)
        goto done;
    if (!cJSON_IsObject(root)) {
        hs_error_set("%s: not a JSON object (found %s)", path, hs_json_type_name(root));
        goto done;
    }
    const cJSON *archs = cJSON_GetObjectItemCaseSensitive(root, "architectures");
    const cJSON *first = cJSON_IsArray(archs) ? cJSON_GetArrayItem(archs, 0) : NULL;
    if (archs && !cJSON_IsNull(archs) && !cJSON_IsArray(archs)) {
        wrong_type(path, "architectures", "an array of strings", archs);
        goto done;
    }
    if (first && !cJSON_IsString(first)) {
        wrong_type(path, "architectures", "an array of strings", first);
        goto done;
    }
    if (read_string(root, path, "model_type", &model_type) ||
        read_string(root, path, "torch_dtype", &dtype))
        goto done;

    if (first)
        snprintf(c->architecture, sizeof c->architecture, "%s", first->valuestring);
    if (dtype)
        snprintf(c->torch_dtype, sizeof c->torch_dtype, "%s", dtype);
    if (!model_type) {
        hs_error_set("%s: missing 'model_type'", path);
        goto done;
    }
    snprintf(c->model_type, sizeof c->model_type, "%s", model_type);

    int parsed;
    if (strcmp(model_type, "bert") == 0) {
        c->arch = HS_ARCH_BERT;
        parsed = parse_bert(c, root, path);
    } else if (strcmp(model_type, "gpt2") == 0) {
        c->arch = HS_ARCH_GPT2;
        parsed = parse_gpt2(c, root, path);
    } else if (strcmp(model_type, "llama") == 0 || strcmp(model_type, "mistral") == 0 ||
               strcmp(model_type, "qwen2") == 0) {
        c->arch = HS_ARCH_LLAMA;
        parsed = parse_llama(c, root, path);
    } else {
        hs_error_set("%s: model_type '%s'%s%s%s is not supported (supported: bert, gpt2, "
                     "llama, mistral, qwen2)",
                     path, model_type, c->architecture[0] ? " (" : "", c->architecture,
                     c->architecture[0] ? ")" : "");
        goto done;
    }
    if (parsed != 0)
        goto done;
    if (c->arch != HS_ARCH_LLAMA)
        c->d_head = c->n_heads > 0 ? c->d_model / c->n_heads : 0;
    if (c->arch == HS_ARCH_LLAMA || c->arch == HS_ARCH_GPT2) {
        if (read_token_id(root, path, "bos_token_id", &c->bos_token_id) ||
            read_token_id(root, path, "eos_token_id", &c->eos_token_id))
            goto done;
    } else {
        c->bos_token_id = -1;
        c->eos_token_id = -1;
    }
    if (check_sizes(c, path) != 0)
        goto done;
    status = 0;
done:
    cJSON_Delete(root);
    return status;
}
