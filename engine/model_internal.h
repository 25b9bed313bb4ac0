/*
 * model_internal.h - the loaded weights, shared by model.c and forward.c.
 *
 * Dimension letters: d hidden size, f feed-forward size, V vocabulary size,
 * P max positions, T token types, kv = n_kv_heads * d_head.
 */
#ifndef HS_MODEL_INTERNAL_H
#define HS_MODEL_INTERNAL_H

#include "hs_model.h"
#include "hs_safetensors.h"

/* A weight matrix as y = x W: stored either as a torch Linear [out][in]
 * (transposed = 0) or as GPT-2's Conv1D [in][out] (transposed = 1). A Conv1D
 * slice (q, k or v of c_attn) keeps the full row stride in ld. */
typedef struct {
    const float *data;
    int in;
    int out;
    int ld;
    int conv1d;
} hs_matrix;

typedef struct {
    hs_matrix q, k, v, o;           /* q: d -> h*dh; k, v: d -> kv; o: h*dh -> d */
    const float *q_bias, *k_bias, *v_bias, *o_bias; /* NULL when absent */
    const float *attn_norm_w, *attn_norm_b;         /* [d]; BERT: after attention */
    hs_matrix ff_in;                /* d -> f (BERT intermediate, GPT-2 c_fc, Llama gate) */
    hs_matrix ff_up;                /* Llama up_proj; unused otherwise */
    hs_matrix ff_out;               /* f -> d */
    const float *ff_in_bias, *ff_out_bias;
    const float *ff_norm_w, *ff_norm_b;             /* [d] */
} hs_layer;

typedef struct {
    const float *token_embedding;    /* [V][d] */
    const float *position_embedding; /* [P][d]; NULL for rotary models */
    const float *type_embedding;     /* [T][d]; BERT only */
    const float *embed_norm_w, *embed_norm_b; /* [d]; BERT only */
    const float *final_norm_w, *final_norm_b; /* [d]; GPT-2 ln_f, Llama norm */
    hs_layer *layers;                /* [L] */

    /* Output head. BERT masked LM: transform dense d -> d, GELU, LayerNorm,
     * then the token embedding transposed plus mlm_bias. Decoders:
     * lm_head [V][d], the token embedding when tied. */
    hs_matrix mlm_dense;
    const float *mlm_dense_bias, *mlm_norm_w, *mlm_norm_b, *mlm_bias;
    const float *lm_head; /* [V][d] */
} hs_weights;

struct hs_model {
    char *dir;
    char *name;
    hs_config config;
    hs_weights weights;
    hs_safetensors **files; /* mapped shards */
    size_t n_files;
    float *arena;           /* converted tensors, one allocation */
    size_t arena_floats;
    int64_t param_count;
    char weight_dtype[8];
    hs_tokenizer *tokenizer;
    char *tokenizer_error;
};

#endif
