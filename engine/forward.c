/*
 * forward.c - BERT, GPT-2 and Llama forward passes that keep every head's
 * softmax matrix. Matrix products go through cblas_sgemm (OpenBLAS).
 *
 * Dimension letters: L layers, h query heads, g key/value heads, n tokens,
 * d hidden size, k head size, f feed-forward size, V vocabulary size.
 * The numbers follow Hugging Face transformers' float32 CPU path; sums that
 * feed a normalisation are accumulated in double.
 */
#include "hs_forward.h"

#include "hs_error.h"
#include "model_internal.h"
#include "parallel.h"

#include <cblas.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

/* Scratch buffers of one pass, carved from a single allocation. */
typedef struct {
    float *q;      /* [n][h*k] */
    float *k;      /* [n][g*k] */
    float *v;      /* [n][g*k] */
    float *normed; /* [n][d] input of a block after its norm (pre-norm models) */
    float *resid;  /* [n][d] hidden state between the two halves of a block */
    float *ff;     /* [n][f] */
    float *ff_up;  /* [n][f] Llama's up projection */
    float *rope_cos; /* [n][k/2] */
    float *rope_sin; /* [n][k/2] */
    float *memory;
} workspace;

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- building blocks --------------------------------------------------- */

/* y[n][out] = x[n][in] W + bias, where W is a Linear or Conv1D matrix. */
static void matmul(const float *x, int n, const hs_matrix *w, const float *bias, float *y)
{
    float beta = 0.0f;
    if (bias) {
        for (int i = 0; i < n; i++)
            memcpy(y + (size_t)i * w->out, bias, (size_t)w->out * sizeof(float));
        beta = 1.0f;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, w->conv1d ? CblasNoTrans : CblasTrans, n, w->out,
                w->in, 1.0f, x, w->in, w->data, w->ld, beta, y, w->out);
}

/* Arguments of a row-wise norm, shared by the threads of one call. */
typedef struct {
    const float *x;
    float *y;
    int d;
    const float *weight, *bias;
    float eps;
} norm_job;

enum {
    ROWS_PER_THREAD = 8,          /* below this a norm or softmax runs on one thread */
    ELEMENTS_PER_THREAD = 16384,  /* the same for elementwise activations */
    SOFTMAX_CELLS_PER_THREAD = 16384,  /* and for the cells of softmax rows */
};

static void layer_norm_rows(void *context, size_t begin, size_t end)
{
    const norm_job *job = context;
    const float *x = job->x, *weight = job->weight, *bias = job->bias;
    float *y = job->y;
    int d = job->d;
    float eps = job->eps;
    for (size_t i = begin; i < end; i++) {
        const float *row = x + (size_t)i * d;
        float *out = y + (size_t)i * d;
        double sum = 0.0, squares = 0.0;
        for (int j = 0; j < d; j++)
            sum += row[j];
        double mean = sum / d;
        for (int j = 0; j < d; j++) {
            double centered = row[j] - mean;
            squares += centered * centered;
        }
        float inv = (float)(1.0 / sqrt(squares / d + (double)eps));
        float mean_f = (float)mean;
        for (int j = 0; j < d; j++)
            out[j] = (row[j] - mean_f) * inv * weight[j] + bias[j];
    }
}

/* LayerNorm over each row of x[n][d], written to y (may equal x). */
static void layer_norm(const float *x, float *y, int n, int d, const float *weight,
                       const float *bias, float eps)
{
    norm_job job = {x, y, d, weight, bias, eps};
    hs_parallel_range((size_t)n, ROWS_PER_THREAD, layer_norm_rows, &job);
}

static void rms_norm_rows(void *context, size_t begin, size_t end)
{
    const norm_job *job = context;
    const float *x = job->x, *weight = job->weight;
    float *y = job->y;
    int d = job->d;
    float eps = job->eps;
    for (size_t i = begin; i < end; i++) {
        const float *row = x + (size_t)i * d;
        float *out = y + (size_t)i * d;
        double squares = 0.0;
        for (int j = 0; j < d; j++)
            squares += (double)row[j] * row[j];
        float inv = (float)(1.0 / sqrt(squares / d + (double)eps));
        for (int j = 0; j < d; j++)
            out[j] = weight[j] * (row[j] * inv);
    }
}

/* RMSNorm: x / sqrt(mean(x^2) + eps) * weight, per row. */
static void rms_norm(const float *x, float *y, int n, int d, const float *weight, float eps)
{
    norm_job job = {x, y, d, weight, NULL, eps};
    hs_parallel_range((size_t)n, ROWS_PER_THREAD, rms_norm_rows, &job);
}

/* e^x within about 2e-7 relative error for x in [-87, 88] (below -87 it
 * gives about 1e-38 instead of 0), with no branch and no call, so loops over
 * it vectorize. x = k ln 2 + r with |r| <= ln 2 / 2, e^r by its degree-6
 * Taylor polynomial, and 2^k built in the exponent bits. */
static inline float exp_approx(float x)
{
    x = x < -87.0f ? -87.0f : x;
    x = x > 88.0f ? 88.0f : x;
    float shifted = x * 1.44269504f + 12582912.0f; /* 1.5 * 2^23 rounds to an integer */
    float k = shifted - 12582912.0f;
    float r = x - k * 0.693145752f; /* ln 2 in two parts, so r keeps its digits */
    r = r - k * 1.42860677e-06f;
    float p = 0.00138888892f;
    p = p * r + 0.00833333377f;
    p = p * r + 0.0416666679f;
    p = p * r + 0.166666672f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    /* shifted is k + 1.5 * 2^23, whose low mantissa bits are k itself; the
     * unsigned arithmetic keeps a NaN input free of undefined behaviour. */
    uint32_t shifted_bits;
    memcpy(&shifted_bits, &shifted, sizeof shifted_bits);
    uint32_t bits = (shifted_bits - 0x4B400000u + 127u) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

/* erf(x) within about 2e-7 absolute error: formula 7.1.26 of Abramowitz and
 * Stegun, Handbook of Mathematical Functions (1964), made odd by the sign. */
static inline float erf_approx(float x)
{
    float a = fabsf(x);
    float t = 1.0f / (1.0f + 0.3275911f * a);
    float poly = 1.061405429f;
    poly = poly * t - 1.453152027f;
    poly = poly * t + 1.421413741f;
    poly = poly * t - 0.284496736f;
    poly = poly * t + 0.254829592f;
    poly = poly * t;
    float y = 1.0f - poly * exp_approx(-a * a);
    return copysignf(y, x);
}

typedef struct {
    float *x;
    hs_activation activation;
} activation_job;

/* Built for AVX2 and FMA as well as the baseline, chosen when the process
 * starts, so the vectorised loops use the widest registers the CPU has. */
#define HS_VECTOR_CLONES __attribute__((target_clones("avx2", "default")))

HS_VECTOR_CLONES
static void activate_range(void *context, size_t begin, size_t end)
{
    const activation_job *job = context;
    float *x = job->x + begin;
    size_t count = end - begin;
    switch (job->activation) {
    case HS_ACT_GELU:
        for (size_t i = 0; i < count; i++)
            x[i] = 0.5f * x[i] * (1.0f + erf_approx(x[i] * (float)M_SQRT1_2));
        break;
    case HS_ACT_GELU_TANH: {
        const float c = 0.7978845608028654f; /* sqrt(2 / pi) */
        for (size_t i = 0; i < count; i++) {
            float v = x[i];
            x[i] = 0.5f * v * (1.0f + tanhf(c * (v + 0.044715f * v * v * v)));
        }
        break;
    }
    case HS_ACT_RELU:
        for (size_t i = 0; i < count; i++)
            x[i] = x[i] > 0.0f ? x[i] : 0.0f;
        break;
    case HS_ACT_SILU:
        for (size_t i = 0; i < count; i++)
            x[i] = x[i] / (1.0f + exp_approx(-x[i]));
        break;
    }
}

static void activate(float *x, size_t count, hs_activation activation)
{
    activation_job job = {x, activation};
    hs_parallel_range(count, ELEMENTS_PER_THREAD, activate_range, &job);
}

static void add_into(float *y, const float *x, size_t count)
{
    for (size_t i = 0; i < count; i++)
        y[i] += x[i];
}

typedef struct {
    float *scores; /* [h][n][n] */
    int n;
    int causal;
    int window;    /* keys visible to a query, itself included (Mistral); 0 for all */
} softmax_job;

/* In-place softmax of rows [begin, end) of scores viewed as [h * n][n]. With
 * causal set, row i of a head covers keys 0..i and the cells after it are
 * exactly 0; a sliding window also zeroes the keys before i - window + 1. */
HS_VECTOR_CLONES
static void softmax_range(void *context, size_t begin, size_t end)
{
    const softmax_job *job = context;
    int n = job->n, causal = job->causal;
    for (size_t r = begin; r < end; r++) {
        int i = (int)(r % (size_t)n);
        float *all = job->scores + r * (size_t)n;
        int first = job->window > 0 && i - job->window + 1 > 0 ? i - job->window + 1 : 0;
        for (int j = 0; j < first; j++)
            all[j] = 0.0f;
        float *row = all + first;
        int width = (causal ? i + 1 : n) - first;
        /* Eight partial maxima and sums, so the loops vectorise. */
        float lane_max[8];
        for (int lane = 0; lane < 8; lane++)
            lane_max[lane] = row[0];
        int seen = 0;
        for (; seen + 8 <= width; seen += 8)
            for (int lane = 0; lane < 8; lane++)
                lane_max[lane] = row[seen + lane] > lane_max[lane] ? row[seen + lane]
                                                                   : lane_max[lane];
        float max = row[0];
        for (; seen < width; seen++)
            max = row[seen] > max ? row[seen] : max;
        for (int lane = 0; lane < 8; lane++)
            max = lane_max[lane] > max ? lane_max[lane] : max;
        for (int j = 0; j < width; j++)
            row[j] = exp_approx(row[j] - max);

        float partial[8] = {0};
        int done = 0;
        for (; done + 8 <= width; done += 8)
            for (int lane = 0; lane < 8; lane++)
                partial[lane] += row[done + lane];
        float sum = 0.0f;
        for (; done < width; done++)
            sum += row[done];
        for (int lane = 0; lane < 8; lane++)
            sum += partial[lane];
        float inv = 1.0f / sum;
        for (int j = 0; j < width; j++)
            row[j] *= inv;
        for (int j = first + width; j < n; j++)
            all[j] = 0.0f;
    }
}

static void softmax_heads(float *scores, int heads, int n, int causal, int window)
{
    softmax_job job = {scores, n, causal, window};
    /* A thread gets at least SOFTMAX_CELLS_PER_THREAD cells, because short rows are cheap. */
    size_t rows_per_thread = SOFTMAX_CELLS_PER_THREAD / (size_t)n;
    if (rows_per_thread < ROWS_PER_THREAD)
        rows_per_thread = ROWS_PER_THREAD;
    hs_parallel_range((size_t)heads * n, rows_per_thread, softmax_range, &job);
}

/* Rotary tables in Hugging Face's rotate-half layout: entry [p][i] is the
 * angle p * inv_freq[i] for the pair (i, i + k/2). */
static void rope_tables(const hs_config *c, int n, float *cos_out, float *sin_out)
{
    int half = c->d_head / 2;
    for (int i = 0; i < half; i++) {
        float inv_freq = 1.0f / powf(c->rope_theta, (float)(2 * i) / (float)c->d_head);
        if (c->rope_scaling == HS_ROPE_LLAMA3) {
            double pi = 3.14159265358979323846;
            double old = c->rope_original_max_positions;
            double low_wavelen = old / c->rope_low_freq_factor;
            double high_wavelen = old / c->rope_high_freq_factor;
            double wavelen = 2.0 * pi / inv_freq;
            if (wavelen > low_wavelen) {
                inv_freq = inv_freq / c->rope_factor;
            } else if (wavelen >= high_wavelen) {
                double smooth = (old / wavelen - c->rope_low_freq_factor) /
                                (c->rope_high_freq_factor - c->rope_low_freq_factor);
                inv_freq = (float)((1.0 - smooth) * inv_freq / c->rope_factor +
                                   smooth * inv_freq);
            }
        }
        for (int p = 0; p < n; p++) {
            float position = (float)p;
            if (c->rope_scaling == HS_ROPE_LINEAR)
                position = position / c->rope_factor;
            float angle = position * inv_freq;
            cos_out[(size_t)p * half + i] = (float)cos(angle);
            sin_out[(size_t)p * half + i] = (float)sin(angle);
        }
    }
}

/* Rotates every head of x[n][heads*k] in place. */
static void apply_rope(float *x, int n, int heads, int head_size, const float *cos_table,
                       const float *sin_table)
{
    int half = head_size / 2;
    for (int p = 0; p < n; p++) {
        const float *cs = cos_table + (size_t)p * half;
        const float *sn = sin_table + (size_t)p * half;
        for (int h = 0; h < heads; h++) {
            float *v = x + ((size_t)p * heads + h) * head_size;
            for (int i = 0; i < half; i++) {
                float a = v[i], b = v[i + half];
                v[i] = a * cs[i] - b * sn[i];
                v[i + half] = b * cs[i] + a * sn[i];
            }
        }
    }
}

/* ---- attention --------------------------------------------------------- */

/* Multi-head attention of one layer: q, k, v are already projected (and
 * rotated). Writes each head's probabilities to probs[h][n][n] and the
 * concatenated per-head context to context[n][h*k]. */
static void attention(const hs_config *c, int layer_index, const workspace *ws, int n,
                      float *probs, float *context)
{
    int k = c->d_head;
    int q_stride = c->n_heads * k;
    int kv_stride = c->n_kv_heads * k;
    int group = c->n_heads / c->n_kv_heads;
    float scale = 1.0f / sqrtf((float)k);
    if (c->scale_attn_by_layer)
        scale /= (float)(layer_index + 1);

    /* One head at a time, so its n x n block is still in cache when the
     * softmax and the context product read it back. */
    for (int h = 0; h < c->n_heads; h++) {
        const float *q = ws->q + (size_t)h * k;
        const float *key = ws->k + (size_t)(h / group) * k;
        const float *value = ws->v + (size_t)(h / group) * k;
        float *head_probs = probs + (size_t)h * n * n;

        /* scores = scale * q_h k_g^T, g the head's key/value group */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, n, k, scale, q, q_stride, key,
                    kv_stride, 0.0f, head_probs, n);
        softmax_heads(head_probs, 1, n, c->causal, c->sliding_window);

        /* context[:, h*k .. h*k+k] = probs_h v_g */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, k, n, 1.0f, head_probs, n,
                    value, kv_stride, 0.0f, context + (size_t)h * k, q_stride);
    }
}

/* ---- blocks ------------------------------------------------------------ */

/* BERT: post-LayerNorm block. x[n][d] in, y[n][d] out. */
static void bert_block(const hs_model *m, int l, workspace *ws, int n, const float *x,
                       float *y, float *probs, float *context)
{
    const hs_config *c = &m->config;
    const hs_layer *w = &m->weights.layers[l];
    size_t nd = (size_t)n * c->d_model;

    /* projections */
    matmul(x, n, &w->q, w->q_bias, ws->q);
    matmul(x, n, &w->k, w->k_bias, ws->k);
    matmul(x, n, &w->v, w->v_bias, ws->v);

    /* scores, softmax, context */
    attention(c, l, ws, n, probs, context);

    /* output projection, residual, LayerNorm */
    matmul(context, n, &w->o, w->o_bias, ws->resid);
    add_into(ws->resid, x, nd);
    layer_norm(ws->resid, ws->resid, n, c->d_model, w->attn_norm_w, w->attn_norm_b,
               c->norm_eps);

    /* feed-forward, residual, LayerNorm */
    matmul(ws->resid, n, &w->ff_in, w->ff_in_bias, ws->ff);
    activate(ws->ff, (size_t)n * c->d_ff, c->activation);
    matmul(ws->ff, n, &w->ff_out, w->ff_out_bias, y);
    add_into(y, ws->resid, nd);
    layer_norm(y, y, n, c->d_model, w->ff_norm_w, w->ff_norm_b, c->norm_eps);
}

/* GPT-2: pre-LayerNorm block. */
static void gpt2_block(const hs_model *m, int l, workspace *ws, int n, const float *x,
                       float *y, float *probs, float *context)
{
    const hs_config *c = &m->config;
    const hs_layer *w = &m->weights.layers[l];
    size_t nd = (size_t)n * c->d_model;

    /* ln_1 and projections from the fused c_attn */
    layer_norm(x, ws->normed, n, c->d_model, w->attn_norm_w, w->attn_norm_b, c->norm_eps);
    matmul(ws->normed, n, &w->q, w->q_bias, ws->q);
    matmul(ws->normed, n, &w->k, w->k_bias, ws->k);
    matmul(ws->normed, n, &w->v, w->v_bias, ws->v);

    /* causal attention */
    attention(c, l, ws, n, probs, context);

    /* c_proj and residual */
    matmul(context, n, &w->o, w->o_bias, ws->resid);
    add_into(ws->resid, x, nd);

    /* ln_2, MLP, residual */
    layer_norm(ws->resid, ws->normed, n, c->d_model, w->ff_norm_w, w->ff_norm_b, c->norm_eps);
    matmul(ws->normed, n, &w->ff_in, w->ff_in_bias, ws->ff);
    activate(ws->ff, (size_t)n * c->d_ff, c->activation);
    matmul(ws->ff, n, &w->ff_out, w->ff_out_bias, y);
    add_into(y, ws->resid, nd);
}

/* Llama family: RMSNorm, rotary positions, grouped-query attention, SwiGLU. */
static void llama_block(const hs_model *m, int l, workspace *ws, int n, const float *x,
                        float *y, float *probs, float *context)
{
    const hs_config *c = &m->config;
    const hs_layer *w = &m->weights.layers[l];
    size_t nd = (size_t)n * c->d_model;

    /* input norm, projections, rotary positions on q and k */
    rms_norm(x, ws->normed, n, c->d_model, w->attn_norm_w, c->norm_eps);
    matmul(ws->normed, n, &w->q, w->q_bias, ws->q);
    matmul(ws->normed, n, &w->k, w->k_bias, ws->k);
    matmul(ws->normed, n, &w->v, w->v_bias, ws->v);
    apply_rope(ws->q, n, c->n_heads, c->d_head, ws->rope_cos, ws->rope_sin);
    apply_rope(ws->k, n, c->n_kv_heads, c->d_head, ws->rope_cos, ws->rope_sin);

    /* causal grouped-query attention */
    attention(c, l, ws, n, probs, context);

    /* o_proj and residual */
    matmul(context, n, &w->o, w->o_bias, ws->resid);
    add_into(ws->resid, x, nd);

    /* post-attention norm, SwiGLU: down(act(gate(x)) * up(x)), residual */
    rms_norm(ws->resid, ws->normed, n, c->d_model, w->ff_norm_w, c->norm_eps);
    matmul(ws->normed, n, &w->ff_in, NULL, ws->ff);
    matmul(ws->normed, n, &w->ff_up, NULL, ws->ff_up);
    size_t nf = (size_t)n * c->d_ff;
    activate(ws->ff, nf, c->activation);
    for (size_t i = 0; i < nf; i++)
        ws->ff[i] *= ws->ff_up[i];
    matmul(ws->ff, n, &w->ff_out, NULL, y);
    add_into(y, ws->resid, nd);
}

/* ---- embeddings -------------------------------------------------------- */

static void embed(const hs_model *m, const int32_t *ids, const int32_t *type_ids, int n,
                  float *x)
{
    const hs_config *c = &m->config;
    const hs_weights *w = &m->weights;
    int d = c->d_model;

    for (int i = 0; i < n; i++) {
        float *row = x + (size_t)i * d;
        memcpy(row, w->token_embedding + (size_t)ids[i] * d, (size_t)d * sizeof(float));
        if (w->position_embedding)
            add_into(row, w->position_embedding + (size_t)i * d, (size_t)d);
        if (c->arch == HS_ARCH_BERT && w->type_embedding) {
            int type = type_ids ? type_ids[i] : 0;
            add_into(row, w->type_embedding + (size_t)type * d, (size_t)d);
        }
    }
    if (c->arch == HS_ARCH_BERT)
        layer_norm(x, x, n, d, w->embed_norm_w, w->embed_norm_b, c->norm_eps);
}

/* ---- public ------------------------------------------------------------ */

/* Allocates the attention record or the scratch space. A large block is
 * aligned to 2 MB and requests transparent huge pages, so touching it costs a
 * few hundred page faults instead of tens of thousands (the record is 151 MB
 * for BERT-base at 512 tokens). The rounded size goes to *capacity. */
static float *alloc_block(size_t bytes, size_t *capacity)
{
    const size_t huge = (size_t)2 << 20;
    if (bytes < 4 * huge) {
        float *block = malloc(bytes);
        *capacity = block ? bytes : 0;
        return block;
    }
    size_t rounded = (bytes + huge - 1) / huge * huge;
    float *block = aligned_alloc(huge, rounded);
    if (block)
        madvise(block, rounded, MADV_HUGEPAGE);
    *capacity = block ? rounded : 0;
    return block;
}

/* Blocks freed by earlier passes, kept for the next pass. A fresh large block
 * costs the kernel zeroing every page and, with huge pages, at times a
 * compaction stall of a few hundred milliseconds. A kept block costs neither.
 * At most SPARE_BLOCKS are kept, the largest ones. */
enum { SPARE_BLOCKS = 2 };
static struct {
    pthread_mutex_t lock;
    float *block[SPARE_BLOCKS];
    size_t capacity[SPARE_BLOCKS];
} spare = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* Returns a block of at least bytes: a kept one when one fits without
 * wasting more than half of it, else a new one. */
static float *take_block(size_t bytes, size_t *capacity)
{
    int best = -1;
    pthread_mutex_lock(&spare.lock);
    for (int i = 0; i < SPARE_BLOCKS; i++) {
        if (spare.block[i] && spare.capacity[i] >= bytes && spare.capacity[i] / 2 <= bytes &&
            (best < 0 || spare.capacity[i] < spare.capacity[best]))
            best = i;
    }
    float *block = NULL;
    if (best >= 0) {
        block = spare.block[best];
        *capacity = spare.capacity[best];
        spare.block[best] = NULL;
        spare.capacity[best] = 0;
    }
    pthread_mutex_unlock(&spare.lock);
    return block ? block : alloc_block(bytes, capacity);
}

/* Keeps a block from take_block for a later pass, or frees it. Capacity 0
 * marks a block that take_block did not make, which is freed. */
static void give_block(float *block, size_t capacity)
{
    if (!block || capacity == 0) {
        free(block);
        return;
    }
    pthread_mutex_lock(&spare.lock);
    int smallest = 0;
    for (int i = 1; i < SPARE_BLOCKS; i++)
        if (spare.capacity[i] < spare.capacity[smallest])
            smallest = i;
    if (capacity > spare.capacity[smallest]) {
        float *dropped = spare.block[smallest];
        spare.block[smallest] = block;
        spare.capacity[smallest] = capacity;
        block = dropped;
    }
    pthread_mutex_unlock(&spare.lock);
    free(block);
}

static int check_inputs(const hs_model *m, const int32_t *ids, const int32_t *type_ids, int n)
{
    const hs_config *c = &m->config;
    for (int i = 0; i < n; i++) {
        if (ids[i] < 0 || ids[i] >= c->vocab_size) {
            hs_error_set("token id %d at position %d is out of range: the vocabulary has %d "
                         "entries",
                         ids[i], i, c->vocab_size);
            return -1;
        }
        if (type_ids && c->arch == HS_ARCH_BERT &&
            (type_ids[i] < 0 || type_ids[i] >= c->type_vocab_size)) {
            hs_error_set("token type id %d at position %d is out of range: type_vocab_size is "
                         "%d",
                         type_ids[i], i, c->type_vocab_size);
            return -1;
        }
    }
    return 0;
}

hs_result *hs_forward(const hs_model *m, const int32_t *ids, const int32_t *type_ids,
                      int n_input)
{
    const hs_config *c = &m->config;
    double start = now_seconds();
    workspace ws = {0};

    if (n_input <= 0) {
        hs_error_set("no tokens to run: the input is empty");
        return NULL;
    }
    int n = n_input < c->max_positions ? n_input : c->max_positions;
    if (check_inputs(m, ids, type_ids, n) != 0)
        return NULL;

    int L = c->n_layers, h = c->n_heads, d = c->d_model, k = c->d_head;
    size_t attn_size = (size_t)L * h * n * n;
    size_t hidden_size = (size_t)(L + 1) * n * d;
    size_t context_size = (size_t)L * n * h * k;
    hs_result *r = calloc(1, sizeof *r);
    size_t record_bytes, scratch_bytes;
    float *record = take_block((attn_size + hidden_size + context_size) * sizeof(float),
                               &record_bytes);

    /* Scratch sizes, one allocation. */
    size_t qn = (size_t)n * h * k, kvn = (size_t)n * c->n_kv_heads * k;
    size_t dn = (size_t)n * d, fn = (size_t)n * c->d_ff, rn = (size_t)n * (k / 2);
    size_t ff_up = c->arch == HS_ARCH_LLAMA ? fn : 0;
    ws.memory = take_block((qn + 2 * kvn + 2 * dn + fn + ff_up + 2 * rn) * sizeof(float),
                           &scratch_bytes);

    if (!r || !record || !ws.memory) {
        hs_error_set("out of memory: %d tokens need %zu MB for the attention record", n,
                     (attn_size + hidden_size + context_size) * sizeof(float) >> 20);
        free(r);
        give_block(record, record_bytes);
        give_block(ws.memory, scratch_bytes);
        return NULL;
    }
    ws.q = ws.memory;
    ws.k = ws.q + qn;
    ws.v = ws.k + kvn;
    ws.normed = ws.v + kvn;
    ws.resid = ws.normed + dn;
    ws.ff = ws.resid + dn;
    ws.ff_up = ws.ff + fn;
    ws.rope_cos = ws.ff_up + ff_up;
    ws.rope_sin = ws.rope_cos + rn;

    r->n_layers = L;
    r->n_heads = h;
    r->n = n;
    r->n_input = n_input;
    r->d = d;
    r->d_head = k;
    r->attn = record;
    r->record_bytes = record_bytes;
    r->hidden = record + attn_size;
    r->context = r->hidden + hidden_size;

    /* embeddings -> hidden_states[0] */
    embed(m, ids, type_ids, n, r->hidden);
    if (c->arch == HS_ARCH_LLAMA)
        rope_tables(c, n, ws.rope_cos, ws.rope_sin);

    /* blocks: hidden_states[l] -> hidden_states[l + 1] */
    for (int l = 0; l < L; l++) {
        const float *x = r->hidden + (size_t)l * n * d;
        float *y = r->hidden + (size_t)(l + 1) * n * d;
        float *probs = r->attn + (size_t)l * h * n * n;
        float *context = r->context + (size_t)l * n * h * k;
        switch (c->arch) {
        case HS_ARCH_BERT:
            bert_block(m, l, &ws, n, x, y, probs, context);
            break;
        case HS_ARCH_GPT2:
            gpt2_block(m, l, &ws, n, x, y, probs, context);
            break;
        case HS_ARCH_LLAMA:
            llama_block(m, l, &ws, n, x, y, probs, context);
            break;
        }
    }

    /* Decoders: the last hidden state carries the final norm, as in HF. */
    float *last = r->hidden + (size_t)L * n * d;
    if (c->arch == HS_ARCH_GPT2)
        layer_norm(last, last, n, d, m->weights.final_norm_w, m->weights.final_norm_b,
                   c->norm_eps);
    else if (c->arch == HS_ARCH_LLAMA)
        rms_norm(last, last, n, d, m->weights.final_norm_w, c->norm_eps);

    give_block(ws.memory, scratch_bytes);

    /* NaN or infinity in the weights spreads through every later layer and
     * would be drawn as plausible colours; report where it first appears. */
    for (int l = 0; l <= L; l++) {
        const float *state = r->hidden + (size_t)l * n * d;
        for (size_t i = 0; i < (size_t)n * d; i++) {
            if (isfinite(state[i]))
                continue;
            if (l == 0)
                hs_error_set("%s: the embeddings give non-finite values (NaN or infinity); "
                             "the weights may be corrupt",
                             hs_model_name(m));
            else
                hs_error_set("%s: layer %d gives non-finite values (NaN or infinity); the "
                             "weights may be corrupt",
                             hs_model_name(m), l - 1);
            hs_result_free(r);
            return NULL;
        }
    }
    r->seconds = now_seconds() - start;
    return r;
}

void hs_result_free(hs_result *r)
{
    if (!r)
        return;
    give_block(r->attn, r->record_bytes);
    free(r);
}

const float *hs_result_head(const hs_result *r, int layer, int head)
{
    HS_ASSERT(layer >= 0 && layer < r->n_layers && head >= 0 && head < r->n_heads);
    return r->attn + ((size_t)layer * r->n_heads + head) * r->n * r->n;
}

int hs_forward_logits(const hs_model *m, const hs_result *r, int pos, float *out)
{
    const hs_config *c = &m->config;
    const hs_weights *w = &m->weights;
    int d = c->d_model;
    HS_ASSERT(pos >= 0 && pos < r->n);
    const float *h = r->hidden + ((size_t)r->n_layers * r->n + pos) * d;

    if (!hs_model_has_lm_head(m)) {
        hs_error_set("%s has no masked-LM head (cls.predictions.*), so it cannot predict "
                     "tokens",
                     hs_model_name(m));
        return -1;
    }
    if (c->arch == HS_ARCH_BERT) {
        /* transform: dense, activation, LayerNorm; then decoder tied to the
         * word embeddings plus its own bias. */
        float *t = malloc((size_t)d * sizeof(float));
        if (!t) {
            hs_error_set("out of memory");
            return -1;
        }
        matmul(h, 1, &w->mlm_dense, w->mlm_dense_bias, t);
        activate(t, (size_t)d, c->activation);
        layer_norm(t, t, 1, d, w->mlm_norm_w, w->mlm_norm_b, c->norm_eps);
        memcpy(out, w->mlm_bias, (size_t)c->vocab_size * sizeof(float));
        cblas_sgemv(CblasRowMajor, CblasNoTrans, c->vocab_size, d, 1.0f, w->token_embedding, d,
                    t, 1, 1.0f, out, 1);
        free(t);
        return 0;
    }
    cblas_sgemv(CblasRowMajor, CblasNoTrans, c->vocab_size, d, 1.0f, w->lm_head, d, h, 1, 0.0f,
                out, 1);
    return 0;
}
