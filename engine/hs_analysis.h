/*
 * hs_analysis.h - statistics over one forward pass: head roles, aggregated
 * attention, hidden special-token columns, word-level attention and the
 * comparison of one word in two sentences.
 *
 * Dimension letters: L layers, h heads, n tokens, w words, d hidden size,
 * k head size. Attention matrices are row-major with row = query and
 * column = key, as in hs_result. "Causal" means a decoder (GPT-2, Llama):
 * query row i sees only the keys 0..i, so its width is i + 1; an encoder's
 * rows all have width n.
 *
 * Functions allocate only where their contract says so, and those return -1
 * or NULL with an error when memory runs out. Output buffers belong to the
 * caller.
 */
#ifndef HS_ANALYSIS_H
#define HS_ANALYSIS_H

#include "hs_forward.h"
#include "hs_model.h"
#include "hs_tokenizer.h"

#include <stddef.h>
#include <stdint.h>

/* ---- head roles -------------------------------------------------------- */

/* Column kinds of one encoding, as bits in a [n] byte array. */
enum {
    HS_COLUMN_SPECIAL = 1, /* the token has HS_TOKEN_SPECIAL */
    HS_COLUMN_PUNCT = 2,   /* the label, whitespace aside, is only Unicode punctuation */
};

/* Role labels of a head, as bits; a head can carry several. */
typedef enum {
    HS_ROLE_PREVIOUS = 1 << 0, /* attends to the previous token */
    HS_ROLE_NEXT = 1 << 1,     /* attends to the next token */
    HS_ROLE_SELF = 1 << 2,     /* attends to its own token */
    HS_ROLE_FIRST = 1 << 3,    /* encoders: attends to position 0 ([CLS]) */
    HS_ROLE_SEP = 1 << 4,      /* attends to [SEP] (special tokens after position 0) */
    HS_ROLE_PUNCT = 1 << 5,    /* attends to punctuation */
    HS_ROLE_BROAD = 1 << 6,    /* spreads attention nearly evenly */
    HS_ROLE_SINK = 1 << 7,     /* decoders: parks attention on the first token */
} hs_role;

#define HS_ROLE_COUNT 8

/* Per-head statistics. Every mean is taken over query rows, each row
 * counting once; the rows that enter each mean are listed per field. A mean
 * over no rows is 0. */
typedef struct {
    /* A[i][i-1] over rows i = 1..n-1 */
    float previous;
    /* A[i][i+1] over rows i = 0..n-2; always 0 for causal models */
    float next;
    /* A[i][i] over all rows, or for causal models over rows 1..n-1, because
     * row 0 can attend only to itself */
    float self;
    /* A[i][0] over rows i = 1..n-1. Row 0 is left out because its attention
     * to position 0 is attention to itself. */
    float first;
    /* Sum of A[i][j] over special columns j > 0, over the rows that see at
     * least one such column (for causal models, the rows from the first one
     * on). 0 when the input has no special token after position 0. */
    float sep;
    /* Sum of A[i][j] over punctuation columns, over the rows that see at
     * least one punctuation column. */
    float punct;
    /* Row entropy -sum_j A[i][j] ln A[i][j] in nats, over all rows */
    float entropy;
    /* Row entropy / ln(row width), over the rows of width >= 2. 1 means
     * uniform over the row's keys. */
    float relative_entropy;
    /* hs_role bits set by hs_roles_label() */
    unsigned roles;
} hs_head_stats;

/* Label thresholds: a role applies when its statistic is strictly greater. */
typedef struct {
    float previous; /* previous-token head; default 0.5 */
    float next;     /* next-token head; default 0.5 */
    float self;     /* self head; default 0.5 */
    float first;    /* [CLS] head, encoders only; default 0.6 */
    float sep;      /* [SEP] head; default 0.6 */
    float punct;    /* punctuation head; default 0.6 */
    float broad;    /* broad head, on relative_entropy; default 0.85 */
    float sink;     /* attention-sink flag on `first`, decoders only; default 0.5 */
} hs_role_thresholds;

/* Returns the default thresholds listed in hs_role_thresholds. */
hs_role_thresholds hs_role_thresholds_default(void);

/* Returns the short name of one role bit ("previous", "next", "self", "first",
 * "sep", "punct", "broad", "sink"), or "?" for anything else. */
const char *hs_role_name(unsigned role);

/* Returns 1 when a token label, ignoring whitespace and "▁", is non-empty and
 * made only of code points in utf8proc's punctuation categories (Pc, Pd, Ps,
 * Pe, Pi, Pf, Po). Returns 0 otherwise and for invalid UTF-8. */
int hs_label_is_punct(const char *label);

/* Fills kinds[n] with HS_COLUMN_* bits for every token of enc. */
void hs_column_kinds(const hs_encoding *enc, uint8_t *kinds);

/* Computes the statistics of one head's attn[n][n] (row sums 1) with the
 * column kinds from hs_column_kinds(). Leaves roles 0. n >= 1. */
void hs_head_stats_compute(const float *attn, int n, int causal, const uint8_t *kinds,
                           hs_head_stats *out);

/* Sets stats->roles from the thresholds (NULL for the defaults). FIRST is
 * given to encoders only and SINK to causal models only. */
void hs_roles_label(hs_head_stats *stats, int causal, const hs_role_thresholds *thresholds);

/* Computes and labels every head of a result: out[L * h], indexed
 * layer * h + head. enc must be the encoding that produced the result
 * (same n). Allocates n bytes of scratch. Returns 0, or -1 with an error when
 * the token counts differ or memory runs out. */
int hs_roles_compute(const hs_result *result, const hs_encoding *enc, int causal,
                     const hs_role_thresholds *thresholds, hs_head_stats *out);

/* ---- aggregation ------------------------------------------------------- */

/* Residual weight of attention rollout: each layer's head mean A becomes
 * (1 - w) A + w I before the rows are renormalised. */
#define HS_ROLLOUT_RESIDUAL 0.5f

/* out[n][n] = mean over the heads of one layer. */
void hs_attn_layer_mean(const hs_result *result, int layer, float *out);

/* out[n][n] = elementwise max over the heads of one layer. Rows of the
 * result do not sum to 1. */
void hs_attn_layer_max(const hs_result *result, int layer, float *out);

/* out[n][n] = mean over every head of every layer. */
void hs_attn_all_mean(const hs_result *result, float *out);

/* Attention rollout (Abnar and Zuidema, "Quantifying Attention Flow in
 * Transformers", 2020): per layer A'_l = 0.5 A_l + 0.5 I with A_l the head
 * mean, rows renormalised to sum 1; then R_1 = A'_1 and R_l = A'_l R_{l-1},
 * and out[n][n] = R_L. Row i of out is how much the top-layer token i draws on
 * each input token; rows sum to 1. The result needs at least one layer.
 * Allocates two n*n float buffers. Returns 0, or -1 with an error when memory
 * runs out. */
int hs_attn_rollout(const hs_result *result, float *out);

/* Hides columns of matrix[n][n] in place: zeroes every column with
 * hide[j] != 0 and renormalises each row over the columns left. A row whose
 * remaining sum is 0 stays all zero. Hiding only column 0 gives the view
 * without a decoder's attention sink. */
void hs_attn_hide_columns(float *matrix, int n, const uint8_t *hide);

/* Fills hide[n] with 1 for special tokens ([CLS], [SEP], BOS, EOS), else 0. */
void hs_special_mask(const hs_encoding *enc, uint8_t *hide);

/* Finds the k largest entries of row[width], largest first (ties: lower
 * index first), and writes their indices and values. Returns how many were
 * written: min(k, width). */
int hs_attn_top_keys(const float *row, int width, int k, int *index, float *weight);

/* ---- words ------------------------------------------------------------- */

/* How word pieces mark a word boundary. */
typedef enum {
    HS_WORDS_WORDPIECE,    /* BERT: a "##" piece continues the previous token */
    HS_WORDS_SPACE_PREFIX, /* byte-level BPE and SentencePiece: a token that
                              starts with a space, "Ġ" or "▁" begins a word */
} hs_word_scheme;

/* Returns the scheme of an architecture: WORDPIECE for BERT, else
 * SPACE_PREFIX. */
hs_word_scheme hs_words_scheme_for(hs_arch arch);

/* Tokens grouped into words. Word i covers the tokens
 * first_token[i] .. first_token[i + 1] - 1. */
typedef struct {
    int n_words;
    int n_tokens;
    int *first_token;   /* [w + 1] */
    int *word_of_token; /* [n] */
    char **labels;      /* [w] the pieces' labels joined, "##" and leading spaces removed,
                           or the source spelling (hs_words_group_source) */
    uint8_t *special;   /* [w] 1 for a special token, which is always a word alone */
} hs_words;

/* Groups the tokens of enc into words. A token continues the word before it
 * when the scheme marks it as a continuation (a "##" piece, or a token
 * without a leading space), the token before it is not special, both come
 * from the same text of a pair, and, when both have non-empty byte spans, the
 * spans are adjacent. Special tokens always stand alone. In the SPACE_PREFIX
 * scheme so do punctuation-only and whitespace-only tokens ("Ċ" for a
 * newline), so "bank," is two words as in BERT. Returns NULL with an error
 * when memory runs out. Free with hs_words_free(). */
hs_words *hs_words_group(const hs_encoding *enc, hs_word_scheme scheme);

/* The texts an encoding was made from; pair is NULL for a single text. */
typedef struct {
    const char *text;
    size_t length;
    const char *pair;
    size_t pair_length;
} hs_words_source;

/* Groups as hs_words_group() but labels each word with its spelling in the
 * source text (original case, accents and emoji, surrounding whitespace
 * trimmed), taken from the byte spans of its first and last piece. Words
 * without a usable span (special tokens, spans outside the text, invalid
 * UTF-8, whitespace only) keep the joined labels. source may be NULL. */
hs_words *hs_words_group_source(const hs_encoding *enc, hs_word_scheme scheme,
                                const hs_words_source *source);

void hs_words_free(hs_words *words);

/* Merges attn[n][n] into out[w][w]: attention to a word is the sum over its
 * pieces (columns added), attention from a word is the mean over its pieces
 * (rows averaged), so rows that summed to 1 still do. */
void hs_words_attention(const hs_words *words, const float *attn, float *out);

/* ---- comparing two sentences ------------------------------------------- */

/* One head's score in a comparison. */
typedef struct {
    int layer;
    int head;
    float score; /* 1 - cosine similarity of the head's context vectors */
} hs_head_score;

/* Returns the cosine similarity of a[count] and b[count], accumulated in
 * double. Two zero vectors give 1; one zero vector gives 0. */
double hs_cosine(const float *a, const float *b, int count);

/* Scores every head for token pos_a of a against token pos_b of b: 1 minus
 * the cosine similarity of the head's k-wide slice of `context`. Writes
 * out[L * h] sorted by score, highest first (ties: lower layer, then lower
 * head first), so swapping a and b gives the same list. Returns 0, or -1 with
 * an error when the results differ in shape or a position is out of range. */
int hs_compare_heads(const hs_result *a, int pos_a, const hs_result *b, int pos_b,
                     hs_head_score *out);

/* Writes out[L + 1]: the cosine similarity of the hidden states of token
 * pos_a of a and token pos_b of b at every layer (0 = embeddings). Returns 0,
 * or -1 with an error as hs_compare_heads(). */
int hs_compare_hidden(const hs_result *a, int pos_a, const hs_result *b, int pos_b, float *out);

/* Finds the first word of a (in order) that starts at token first_token or
 * later and whose label equals, case-insensitively, that of a word of b.
 * Special tokens, punctuation and whitespace are skipped. Returns its index
 * in a, or -1 when the sentences share no such word. */
int hs_words_first_shared(const hs_words *a, const hs_words *b, int first_token);

/* Returns the number of leading tokens whose ids and segments are equal in a
 * and b. In a causal model these tokens have identical attention, context and
 * hidden states in both inputs. */
int hs_encoding_common_prefix(const hs_encoding *a, const hs_encoding *b);

/* Finds the token position of word in enc: the first piece of the first word
 * whose label matches, or else the first token whose label (without "##" and
 * leading spaces) matches. Labels are compared case-insensitively, code point
 * by code point through utf8proc_tolower. Special tokens never match.
 * Returns -1 when nothing matches. */
int hs_words_find(const hs_words *words, const hs_encoding *enc, const char *word);

/* Like hs_words_find(), but prefers a match that starts at token first_token
 * or later, and falls back to the first match anywhere. Compare mode on a
 * decoder passes the length of the common beginning, where both sentences
 * give identical numbers. */
int hs_words_find_from(const hs_words *words, const hs_encoding *enc, const char *word,
                       int first_token);

#endif
