/*
 * bench_forward.c - forward-pass time of a BERT-base-shaped model (12 layers,
 * 12 heads, d = 768, FFN 3072, random weights) with attention recording on,
 * next to the time that the same matrix products take through cblas_sgemm
 * alone, measured in the same run.
 *
 * usage: bench_forward [--write-only] [FOLDER]   (default /tmp/headscope-bench-bert)
 * --write-only writes the model folder and exits (the app benchmark uses it).
 */
#include "bench_util.h"

#include "hs_error.h"
#include "hs_forward.h"

#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { LAYERS = 12, HEADS = 12, D = 768, FF = 3072, VOCAB = 30522, POSITIONS = 512 };

static void write_bert_base(const char *dir)
{
    bench_model m = {0};
    char name[256];
    const float s = 0.05f;

    bench_add_tensor(&m, "embeddings.word_embeddings.weight", HS_DTYPE_F32, 2,
                     (long long[]){VOCAB, D}, s, 0);
    bench_add_tensor(&m, "embeddings.position_embeddings.weight", HS_DTYPE_F32, 2,
                     (long long[]){POSITIONS, D}, s, 0);
    bench_add_tensor(&m, "embeddings.token_type_embeddings.weight", HS_DTYPE_F32, 2,
                     (long long[]){2, D}, s, 0);
    bench_add_tensor(&m, "embeddings.LayerNorm.weight", HS_DTYPE_F32, 1, (long long[]){D}, 0, 1);
    bench_add_tensor(&m, "embeddings.LayerNorm.bias", HS_DTYPE_F32, 1, (long long[]){D}, 0, 0);
    for (int l = 0; l < LAYERS; l++) {
        static const char *const square[] = {"attention.self.query", "attention.self.key",
                                             "attention.self.value", "attention.output.dense"};
        for (int i = 0; i < 4; i++) {
            snprintf(name, sizeof name, "encoder.layer.%d.%s.weight", l, square[i]);
            bench_add_tensor(&m, name, HS_DTYPE_F32, 2, (long long[]){D, D}, s, 0);
            snprintf(name, sizeof name, "encoder.layer.%d.%s.bias", l, square[i]);
            bench_add_tensor(&m, name, HS_DTYPE_F32, 1, (long long[]){D}, s, 0);
        }
        static const char *const norms[] = {"attention.output.LayerNorm", "output.LayerNorm"};
        for (int i = 0; i < 2; i++) {
            snprintf(name, sizeof name, "encoder.layer.%d.%s.weight", l, norms[i]);
            bench_add_tensor(&m, name, HS_DTYPE_F32, 1, (long long[]){D}, 0, 1);
            snprintf(name, sizeof name, "encoder.layer.%d.%s.bias", l, norms[i]);
            bench_add_tensor(&m, name, HS_DTYPE_F32, 1, (long long[]){D}, 0, 0);
        }
        snprintf(name, sizeof name, "encoder.layer.%d.intermediate.dense.weight", l);
        bench_add_tensor(&m, name, HS_DTYPE_F32, 2, (long long[]){FF, D}, s, 0);
        snprintf(name, sizeof name, "encoder.layer.%d.intermediate.dense.bias", l);
        bench_add_tensor(&m, name, HS_DTYPE_F32, 1, (long long[]){FF}, s, 0);
        snprintf(name, sizeof name, "encoder.layer.%d.output.dense.weight", l);
        bench_add_tensor(&m, name, HS_DTYPE_F32, 2, (long long[]){D, FF}, s, 0);
        snprintf(name, sizeof name, "encoder.layer.%d.output.dense.bias", l);
        bench_add_tensor(&m, name, HS_DTYPE_F32, 1, (long long[]){D}, s, 0);
    }
    char config[512];
    snprintf(config, sizeof config,
             "{\"model_type\": \"bert\", \"architectures\": [\"BertModel\"], "
             "\"hidden_size\": %d, \"num_hidden_layers\": %d, \"num_attention_heads\": %d, "
             "\"intermediate_size\": %d, \"vocab_size\": %d, \"max_position_embeddings\": %d, "
             "\"type_vocab_size\": 2, \"layer_norm_eps\": 1e-12, \"hidden_act\": \"gelu\"}",
             D, LAYERS, HEADS, FF, VOCAB, POSITIONS);
    bench_write_model(&m, dir, config);
}

/* Weight matrices of the same sizes as the model's, one set per layer, so
 * the products below stream as much memory as the forward pass does. */
typedef struct {
    float *square[LAYERS][4]; /* [D][D]: query, key, value, output */
    float *up[LAYERS];        /* [FF][D] */
    float *down[LAYERS];      /* [D][FF] */
} layer_weights;

static float *filled(size_t count)
{
    float *w = malloc(count * sizeof(float));
    if (!w) {
        fprintf(stderr, "bench: out of memory\n");
        exit(1);
    }
    for (size_t i = 0; i < count; i++)
        w[i] = (float)((i * 2654435761u) % 1000) * 1e-5f;
    return w;
}

/* The matrix products of one forward pass, alone: projections, scores,
 * context and feed-forward for every layer, with the same shapes. */
static void matmuls_only(int n, const layer_weights *lw, float *x, float *y, float *scores)
{
    int k = D / HEADS;
    for (int l = 0; l < LAYERS; l++) {
        for (int i = 0; i < 4; i++)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, D, D, 1.0f, x, D,
                        lw->square[l][i], D, 0.0f, y, D);
        for (int h = 0; h < HEADS; h++) {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, n, k, 1.0f, x + h * k, D,
                        y + h * k, D, 0.0f, scores, n);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, k, n, 1.0f, scores, n,
                        y + h * k, D, 0.0f, x + h * k, D);
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, FF, D, 1.0f, x, D, lw->up[l], D,
                    0.0f, y, FF);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, D, FF, 1.0f, y, FF, lw->down[l],
                    FF, 0.0f, x, D);
    }
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    int write_only = argc > 1 && strcmp(argv[1], "--write-only") == 0;
    const char *dir = argc > 1 + write_only ? argv[1 + write_only] : "/tmp/headscope-bench-bert";
    static const int sizes[] = {8, 32, 128, 512};
    enum { RUNS = 7 };

    fprintf(stderr, "writing a BERT-base-shaped model with random weights to %s\n", dir);
    write_bert_base(dir);
    if (write_only)
        return 0;
    hs_model *model = hs_model_load(dir, NULL, NULL);
    if (!model) {
        fprintf(stderr, "bench: %s\n", hs_error_message());
        return 1;
    }

    float *x = calloc((size_t)512 * FF, sizeof(float));
    float *y = calloc((size_t)512 * FF, sizeof(float));
    layer_weights *lw = malloc(sizeof *lw);
    if (!lw)
        return 1;
    for (int l = 0; l < LAYERS; l++) {
        for (int i = 0; i < 4; i++)
            lw->square[l][i] = filled((size_t)D * D);
        lw->up[l] = filled((size_t)FF * D);
        lw->down[l] = filled((size_t)D * FF);
    }
    float *scores = calloc((size_t)512 * 512, sizeof(float));
    int32_t *ids = malloc(512 * sizeof(int32_t));
    for (int i = 0; i < 512; i++)
        ids[i] = (i * 7919) % VOCAB;

    printf("BERT-base shape: %d layers, %d heads, d = %d, FFN %d; median of %d runs\n", LAYERS,
           HEADS, D, FF, RUNS);
    printf("%6s  %12s  %12s  %7s\n", "tokens", "forward ms", "sgemm ms", "ratio");
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        int n = sizes[s];
        double forward[RUNS], gemm[RUNS];
        hs_result_free(hs_forward(model, ids, NULL, n)); /* warm-up */
        for (int r = 0; r < RUNS; r++) {
            double start = bench_now();
            hs_result *result = hs_forward(model, ids, NULL, n);
            forward[r] = bench_now() - start;
            if (!result) {
                fprintf(stderr, "bench: %s\n", hs_error_message());
                return 1;
            }
            hs_result_free(result);
            start = bench_now();
            matmuls_only(n, lw, x, y, scores);
            gemm[r] = bench_now() - start;
        }
        qsort(forward, RUNS, sizeof(double), compare_doubles);
        qsort(gemm, RUNS, sizeof(double), compare_doubles);
        printf("%6d  %12.1f  %12.1f  %7.2f\n", n, forward[RUNS / 2] * 1e3, gemm[RUNS / 2] * 1e3,
               forward[RUNS / 2] / gemm[RUNS / 2]);
    }
    free(x);
    free(y);
    for (int l = 0; l < LAYERS; l++) {
        for (int i = 0; i < 4; i++)
            free(lw->square[l][i]);
        free(lw->up[l]);
        free(lw->down[l]);
    }
    free(lw);
    free(scores);
    free(ids);
    hs_model_free(model);
    return 0;
}
