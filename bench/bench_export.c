/*
 * bench_export.c - time of 'headscope export' drawing and writing every head
 * of a BERT-base-shaped result: 12 layers x 12 heads, 32 tokens, made-up
 * attention rows that sum to 1 (no model needed), plus the atlas and
 * index.json.
 *
 * usage: bench_export [RUNS]   (default 3; the fastest run is reported)
 */
#include "bench_util.h"

#include "export.h"
#include "hs_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { LAYERS = 12, HEADS = 12, TOKENS = 32 };

static const char *const words[] = {
    "[CLS]", "the", "quick", "brown", "fox", "jumps", "over", "the", "lazy", "dog",
    ",", "while", "curious", "children", "watch", "from", "the", "window", "and",
    "wonder", "whether", "it", "will", "ever", "return", "to", "the", "quiet",
    "forest", "again", ".", "[SEP]",
};

/* Fills every row of every head with weights in (0, 1] that sum to 1, with one
 * larger weight per row so the heatmaps are not flat. */
static void fill_attention(float *attn)
{
    unsigned long long state = 0x9E3779B97F4A7C15ull;
    for (size_t row = 0; row < (size_t)LAYERS * HEADS * TOKENS; row++) {
        float *w = attn + row * TOKENS;
        float sum = 0.0f;
        for (int j = 0; j < TOKENS; j++) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            w[j] = (float)(state >> 40) / (float)(1ull << 24) + 0.01f;
            if ((size_t)j == (row * 7) % TOKENS)
                w[j] += 8.0f;
            sum += w[j];
        }
        for (int j = 0; j < TOKENS; j++)
            w[j] /= sum;
    }
}

int main(int argc, char **argv)
{
    int runs = argc > 1 ? atoi(argv[1]) : 3;
    if (runs < 1)
        runs = 1;

    hs_result result = {.n_layers = LAYERS, .n_heads = HEADS, .n = TOKENS, .n_input = TOKENS};
    result.attn = malloc((size_t)LAYERS * HEADS * TOKENS * TOKENS * sizeof(float));
    int32_t ids[TOKENS];
    char *labels[TOKENS];
    uint8_t flags[TOKENS];
    if (!result.attn) {
        fprintf(stderr, "bench_export: out of memory\n");
        return 1;
    }
    fill_attention(result.attn);
    for (int i = 0; i < TOKENS; i++) {
        ids[i] = 1000 + i;
        labels[i] = (char *)words[i];
        flags[i] = i == 0 || i == TOKENS - 1 ? HS_TOKEN_SPECIAL : HS_TOKEN_NORMAL;
    }
    hs_encoding enc = {.n = TOKENS, .ids = ids, .tokens = labels, .labels = labels,
                       .flags = flags};
    hs_export_input input = {
        .model_name = "bert-base-shaped",
        .text = "the quick brown fox",
        .encoding = &enc,
        .result = &result,
        .colormap = HS_COLORMAP_VIRIDIS,
    };

    char dir[] = "/tmp/headscope-bench-export-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("bench_export: mkdtemp");
        return 1;
    }
    double best = 1e30;
    int count = 0;
    for (int run = 0; run < runs; run++) {
        double start = bench_now();
        if (hs_export_all(&input, -1, -1, dir, &count) != 0) {
            fprintf(stderr, "bench_export: %s\n", hs_error_message());
            return 1;
        }
        double seconds = bench_now() - start;
        best = seconds < best ? seconds : best;
    }

    char path[256];
    snprintf(path, sizeof path, "%s/L00-H00.png", dir);
    FILE *file = fopen(path, "rb");
    long png_bytes = 0;
    if (file && fseek(file, 0, SEEK_END) == 0)
        png_bytes = ftell(file);
    if (file)
        fclose(file);

    printf("export of %d x %d heads, %d tokens: %d files\n", LAYERS, HEADS, TOKENS, count);
    printf("total      %8.3f s (fastest of %d runs)\n", best, runs);
    printf("per PNG    %8.2f ms (total / %d PNGs, atlas and fonts included)\n",
           best * 1e3 / (LAYERS * HEADS + 1), LAYERS * HEADS + 1);
    printf("head PNG   %8ld bytes\n", png_bytes);

    /* Remove what the runs wrote. */
    for (int layer = 0; layer < LAYERS; layer++) {
        for (int head = 0; head < HEADS; head++) {
            char name[64];
            hs_export_head_name(&result, layer, head, name, sizeof name);
            snprintf(path, sizeof path, "%s/%s", dir, name);
            unlink(path);
        }
    }
    snprintf(path, sizeof path, "%s/atlas.png", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/index.json", dir);
    unlink(path);
    rmdir(dir);
    free(result.attn);
    return 0;
}
