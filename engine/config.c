/*
 * config.c - read and validate a Hugging Face config.json (cJSON).
 *
 * Each architecture names its sizes differently (BERT hidden_size, GPT-2
 * n_embd); this file maps them onto hs_config and rejects values that would
 * make the forward pass meaningless.
 */
#include "hs_model.h"

#include "hs_error.h"

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

/* Reads an integer field (first name found). Missing: fallback, or an error
 * when fallback is INT_MIN. */
static int read_int(const cJSON *root, const char *path, const char *const names[], int fallback,
                    int *out)
{
    for (int i = 0; names[i]; i++) {
        const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, names[i]);
        if (!item || cJSON_IsNull(item))
            continue;
        if (cJSON_IsArray(item)) /* Llama 3 lists several eos_token_id values */
            item = cJSON_GetArrayItem(item, 0);
        if (!item) {
            hs_error_set("%s: '%s' is an empty list", path, names[i]);
            return -1;
        }
        double value = item->valuedouble;
        if (!cJSON_IsNumber(item) || floor(value) != value || fabs(value) > 2147483647.0) {
            hs_error_set("%s: '%s' must be an integer", path, names[i]);
            return -1;
        }
        *out = (int)value;
        return 0;
    }
    if (fallback == -2147483647 - 1) {
        hs_error_set("%s: missing '%s'", path, names[0]);
        return -1;
    }
    *out = fallback;
    return 0;
}

static int read_float(const cJSON *root, const char *path, const char *name, float fallback,
                      float *out)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, name);
    if (!item || cJSON_IsNull(item)) {
        *out = fallback;
        return 0;
    }
    if (!cJSON_IsNumber(item)) {
        hs_error_set("%s: '%s' must be a number", path, name);
        return -1;
    }
    *out = (float)item->valuedouble;
    return 0;
}

static int read_bool(const cJSON *root, const char *name, int fallback)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, name);
    if (cJSON_IsBool(item))
        return cJSON_IsTrue(item);
    return fallback;
}

static const char *read_string(const cJSON *root, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, name);
    return cJSON_IsString(item) ? item->valuestring : NULL;
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

#define NAMES(...) ((const char *const[]){__VA_ARGS__, NULL})
#define REQUIRED (-2147483647 - 1)

static int parse_bert(hs_config *c, const cJSON *root, const char *path)
{
    const char *position_type = read_string(root, "position_embedding_type");
    const char *act = read_string(root, "hidden_act");

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
        read_float(root, path, "layer_norm_eps", 1e-12f, &c->norm_eps))
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
    const char *act = read_string(root, "activation_function");

    if (read_int(root, path, NAMES("n_embd", "hidden_size"), REQUIRED, &c->d_model) ||
        read_int(root, path, NAMES("n_layer", "num_hidden_layers"), REQUIRED, &c->n_layers) ||
        read_int(root, path, NAMES("n_head", "num_attention_heads"), REQUIRED, &c->n_heads) ||
        read_int(root, path, NAMES("vocab_size"), REQUIRED, &c->vocab_size) ||
        read_int(root, path, NAMES("n_positions", "max_position_embeddings"), 1024,
                 &c->max_positions) ||
        read_int(root, path, NAMES("n_inner"), default_gpt2_ff(c->d_model), &c->d_ff) ||
        read_float(root, path, "layer_norm_epsilon", 1e-5f, &c->norm_eps))
        return -1;
    if (!read_bool(root, "scale_attn_weights", 1)) {
        hs_error_set("%s: scale_attn_weights false is not supported", path);
        return -1;
    }
    c->scale_attn_by_layer = read_bool(root, "scale_attn_by_inverse_layer_idx", 0);
    c->n_kv_heads = c->n_heads;
    c->causal = 1;
    c->tie_word_embeddings = 1;
    return parse_activation(act ? act : "gelu_new", path, "activation_function",
                            &c->activation);
}

static int parse_rope_scaling(hs_config *c, const cJSON *root, const char *path)
{
    const cJSON *scaling = cJSON_GetObjectItemCaseSensitive(root, "rope_scaling");
    c->rope_scaling = HS_ROPE_DEFAULT;
    if (!scaling || cJSON_IsNull(scaling))
        return 0;
    const char *type = read_string(scaling, "rope_type");
    if (!type)
        type = read_string(scaling, "type");
    if (!type || strcmp(type, "default") == 0)
        return 0;
    if (read_float(scaling, path, "factor", 1.0f, &c->rope_factor))
        return -1;
    if (strcmp(type, "linear") == 0) {
        c->rope_scaling = HS_ROPE_LINEAR;
    } else if (strcmp(type, "llama3") == 0) {
        c->rope_scaling = HS_ROPE_LLAMA3;
        if (read_float(scaling, path, "low_freq_factor", 1.0f, &c->rope_low_freq_factor) ||
            read_float(scaling, path, "high_freq_factor", 4.0f, &c->rope_high_freq_factor) ||
            read_int(scaling, path, NAMES("original_max_position_embeddings"), 8192,
                     &c->rope_original_max_positions))
            return -1;
    } else {
        hs_error_set("%s: rope_scaling type '%s' is not supported (supported: linear, llama3)",
                     path, type);
        return -1;
    }
    if (!(c->rope_factor > 0.0f)) {
        hs_error_set("%s: rope_scaling factor %g must be positive", path, c->rope_factor);
        return -1;
    }
    return 0;
}

static int parse_llama(hs_config *c, const cJSON *root, const char *path)
{
    const char *act = read_string(root, "hidden_act");

    if (read_int(root, path, NAMES("hidden_size"), REQUIRED, &c->d_model) ||
        read_int(root, path, NAMES("num_hidden_layers"), REQUIRED, &c->n_layers) ||
        read_int(root, path, NAMES("num_attention_heads"), REQUIRED, &c->n_heads) ||
        read_int(root, path, NAMES("num_key_value_heads"), c->n_heads, &c->n_kv_heads) ||
        read_int(root, path, NAMES("intermediate_size"), REQUIRED, &c->d_ff) ||
        read_int(root, path, NAMES("vocab_size"), REQUIRED, &c->vocab_size) ||
        read_int(root, path, NAMES("max_position_embeddings"), 2048, &c->max_positions) ||
        read_float(root, path, "rms_norm_eps", 1e-6f, &c->norm_eps) ||
        read_float(root, path, "rope_theta", 10000.0f, &c->rope_theta) ||
        parse_rope_scaling(c, root, path))
        return -1;
    if (read_int(root, path, NAMES("head_dim"), c->n_heads ? c->d_model / c->n_heads : 0,
                 &c->d_head))
        return -1;
    c->causal = 1;
    c->tie_word_embeddings = read_bool(root, "tie_word_embeddings", 0);

    /* Mistral masks keys more than sliding_window positions back; Qwen2 does
     * so only when use_sliding_window is true. */
    int uses_window = strcmp(c->model_type, "mistral") == 0 ||
                      (strcmp(c->model_type, "qwen2") == 0 &&
                       read_bool(root, "use_sliding_window", 0));
    if (uses_window && read_int(root, path, NAMES("sliding_window"), 0, &c->sliding_window))
        return -1;
    if (c->sliding_window < 0) {
        hs_error_set("%s: sliding_window %d must not be negative", path, c->sliding_window);
        return -1;
    }
    c->qkv_bias = strcmp(c->model_type, "qwen2") == 0 || read_bool(root, "attention_bias", 0);
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
    cJSON *root = cJSON_Parse(json_text);

    memset(c, 0, sizeof *c);
    if (!root || !cJSON_IsObject(root)) {
        hs_error_set("%s: not a JSON object", path);
        goto done;
    }
    const char *model_type = read_string(root, "model_type");
    const cJSON *archs = cJSON_GetObjectItemCaseSensitive(root, "architectures");
    const cJSON *first = cJSON_IsArray(archs) ? cJSON_GetArrayItem(archs, 0) : NULL;
    const char *dtype = read_string(root, "torch_dtype");

    if (cJSON_IsString(first))
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
        if (read_int(root, path, NAMES("bos_token_id"), -1, &c->bos_token_id) ||
            read_int(root, path, NAMES("eos_token_id"), -1, &c->eos_token_id))
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
