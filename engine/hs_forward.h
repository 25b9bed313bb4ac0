/*
 * hs_forward.h - the full multi-head forward pass, recording every head.
 *
 * Dimension letters: L layers, h query heads, n tokens, d hidden size,
 * V vocabulary size.
 */
#ifndef HS_FORWARD_H
#define HS_FORWARD_H

#include "hs_model.h"

#include <stdint.h>

/* Everything one forward pass records. Arrays are row-major and owned by the
 * result. */
typedef struct {
    int n_layers;
    int n_heads;
    int n;          /* tokens that went in (after truncation) */
    int n_input;    /* tokens requested; n_input > n means truncated */
    int d;
    int d_head;
    float *attn;    /* [L][h][n][n] softmax probabilities; row = query, column = key */
    float *hidden;  /* [L + 1][n][d] hidden states as Hugging Face returns them */
    float *context; /* [L][n][h * d_head] each head's attention-weighted sum of
                       values, before the output projection */
    double seconds; /* wall time of the pass */
    size_t record_bytes; /* size of the block at attn when hs_forward made it, else 0 */
} hs_result;

/* Runs the model on n token ids. type_ids gives BERT segments and may be NULL
 * (all 0). Input longer than max_positions is truncated to it and the result
 * records that in n_input. Returns NULL with an error on invalid ids or when
 * memory runs out. Free with hs_result_free(). */
hs_result *hs_forward(const hs_model *model, const int32_t *ids, const int32_t *type_ids,
                      int n);

/* Frees a result. The engine keeps up to two freed blocks for later passes,
 * so the process does not shrink right away. */
void hs_result_free(hs_result *result);

/* Returns a pointer to the [n][n] attention of one head. */
const float *hs_result_head(const hs_result *result, int layer, int head);

/* Computes vocabulary logits for token position pos from the last hidden
 * state: BERT through its masked-LM head, decoders through the output
 * embedding. out has room for vocab_size floats. Returns 0, or -1 with an error when
 * the model has no such head. */
int hs_forward_logits(const hs_model *model, const hs_result *result, int pos, float *out);

#endif
