/*
 * hs_model.h - Hugging Face model folders: config, weights, tokenizer.
 *
 * A model is a folder with config.json, model.safetensors (or shards listed in
 * model.safetensors.index.json) and tokenizer files, or a hub name such as
 * "bert-base-uncased" that resolves to a snapshot in the local Hugging Face
 * cache. Weights are mapped with mmap; F16 and BF16 are converted to float32
 * once at load, aligned F32 data is used in place.
 */
#ifndef HS_MODEL_H
#define HS_MODEL_H

#include "hs_tokenizer.h"

#include <stddef.h>
#include <stdint.h>

typedef enum {
    HS_ARCH_BERT,  /* post-LayerNorm encoder, absolute positions, token types */
    HS_ARCH_GPT2,  /* pre-LayerNorm decoder, Conv1D weights, causal */
    HS_ARCH_LLAMA, /* RMSNorm, rotary positions, grouped-query attention, SwiGLU */
} hs_arch;

typedef enum {
    HS_ACT_GELU,      /* exact: x/2 (1 + erf(x / sqrt 2)) */
    HS_ACT_GELU_TANH, /* tanh approximation ("gelu_new", "gelu_pytorch_tanh") */
    HS_ACT_RELU,
    HS_ACT_SILU,
} hs_activation;

typedef enum {
    HS_ROPE_DEFAULT,
    HS_ROPE_LINEAR,
    HS_ROPE_LLAMA3,
} hs_rope_scaling;

/* Hyperparameters read from config.json, validated at load. */
typedef struct {
    hs_arch arch;
    char model_type[32];    /* config.json model_type: "bert", "gpt2", "llama", ... */
    char architecture[64];  /* first entry of "architectures", or "" */
    char torch_dtype[16];   /* as config.json states it, or "" */
    int n_layers;
    int n_heads;
    int n_kv_heads;         /* equals n_heads unless grouped-query attention */
    int d_model;
    int d_head;
    int d_ff;
    int vocab_size;
    int max_positions;
    int type_vocab_size;    /* BERT segments; 0 for other models */
    float norm_eps;
    hs_activation activation;
    int causal;
    int scale_attn_by_layer; /* GPT-2 scale_attn_by_inverse_layer_idx */
    int tie_word_embeddings;
    int qkv_bias;            /* Llama family: q/k/v projections carry biases */
    float rope_theta;
    hs_rope_scaling rope_scaling;
    float rope_factor;
    float rope_low_freq_factor;
    float rope_high_freq_factor;
    int rope_original_max_positions;
    int sliding_window;      /* Mistral: keys further back than this are masked; 0 = none */
    int bos_token_id;        /* -1 when absent */
    int eos_token_id;
} hs_config;

/* Parses and validates a config.json text; path is used in messages. */
int hs_config_parse(hs_config *out, const char *json_text, const char *path);

const char *hs_arch_name(hs_arch arch);

typedef struct hs_model hs_model;

/* Called while weights load: fraction done in [0, 1]. */
typedef void (*hs_progress_fn)(float fraction, void *user);

/* Resolves a folder path or a hub name to a folder. A hub name ("gpt2",
 * "openai-community/gpt2") resolves to the snapshot that
 * $HF_HOME/hub/models--ORG--NAME/refs/main names (HF_HUB_CACHE overrides the
 * hub folder; HF_HOME defaults to ~/.cache/huggingface). Returns a new string
 * (caller frees), or NULL with an error that names the paths it looked at. */
char *hs_model_resolve(const char *name_or_path);

/* Loads config, weights and tokenizer. A folder without tokenizer files still
 * loads (hs_model_tokenizer() then returns NULL). progress may be NULL.
 * Returns NULL with an error naming the file, tensor and numbers involved. */
hs_model *hs_model_load(const char *name_or_path, hs_progress_fn progress, void *user);

void hs_model_free(hs_model *model);

const hs_config *hs_model_config(const hs_model *model);

/* The folder the model was loaded from, and a short display name (the hub
 * name or the folder's base name). */
const char *hs_model_dir(const hs_model *model);
const char *hs_model_name(const hs_model *model);

/* The tokenizer, or NULL when the folder has none; hs_model_tokenizer_error()
 * then explains why. */
const hs_tokenizer *hs_model_tokenizer(const hs_model *model);
const char *hs_model_tokenizer_error(const hs_model *model);

/* Number of parameters in the tensors the model uses. */
int64_t hs_model_param_count(const hs_model *model);

/* The dtype of the stored weights ("F32", "F16", "BF16", or "mixed"). */
const char *hs_model_weight_dtype(const hs_model *model);

/* Whether the model can turn hidden states into vocabulary logits: BERT needs
 * its masked-LM head (cls.predictions.*), decoders always can. */
int hs_model_has_lm_head(const hs_model *model);

/* Returns the folder of the bundled demo model. */
const char *hs_demo_model_dir(void);

#endif
