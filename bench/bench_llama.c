/*
 * bench_llama.c - a TinyLlama-1.1B-shaped model (22 layers, 32 query heads,
 * 4 key/value heads, d = 2048, FFN 5632, vocabulary 32000) with random BF16
 * weights: load time through mmap and BF16-to-float32 conversion, the
 * forward pass of a 128-token input with attention recording, and the peak
 * resident memory of the process.
 *
 * usage: bench_llama [FOLDER]   (default /tmp/headscope-bench-llama; the
 * folder's model.safetensors is reused when it exists, about 2.2 GB)
 */
#include "bench_util.h"

#include "hs_error.h"
#include "hs_forward.h"
#include "hs_io.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

enum { LAYERS = 22, HEADS = 32, KV_HEADS = 4, D = 2048, FF = 5632, VOCAB = 32000, TOKENS = 128 };

static void write_llama(const char *dir)
{
    bench_model m = {0};
    char name[256];
    const int kv = KV_HEADS * (D / HEADS);
    const float s = 0.02f;

    bench_add_tensor(&m, "model.embed_tokens.weight", HS_DTYPE_BF16, 2, (long long[]){VOCAB, D},
                     s, 0);
    for (int l = 0; l < LAYERS; l++) {
        static const struct {
            const char *name;
            int out, in;
        } linear[] = {
            {"self_attn.q_proj", D, D},   {"self_attn.k_proj", 256, D},
            {"self_attn.v_proj", 256, D}, {"self_attn.o_proj", D, D},
            {"mlp.gate_proj", FF, D},     {"mlp.up_proj", FF, D},
            {"mlp.down_proj", D, FF},
        };
        for (size_t i = 0; i < sizeof linear / sizeof linear[0]; i++) {
            int out = linear[i].out == 256 ? kv : linear[i].out;
            snprintf(name, sizeof name, "model.layers.%d.%s.weight", l, linear[i].name);
            bench_add_tensor(&m, name, HS_DTYPE_BF16, 2, (long long[]){out, linear[i].in}, s, 0);
        }
        snprintf(name, sizeof name, "model.layers.%d.input_layernorm.weight", l);
        bench_add_tensor(&m, name, HS_DTYPE_BF16, 1, (long long[]){D}, 0, 1);
        snprintf(name, sizeof name, "model.layers.%d.post_attention_layernorm.weight", l);
        bench_add_tensor(&m, name, HS_DTYPE_BF16, 1, (long long[]){D}, 0, 1);
    }
    bench_add_tensor(&m, "model.norm.weight", HS_DTYPE_BF16, 1, (long long[]){D}, 0, 1);
    bench_add_tensor(&m, "lm_head.weight", HS_DTYPE_BF16, 2, (long long[]){VOCAB, D}, s, 0);
    char config[768];
    snprintf(config, sizeof config,
             "{\"model_type\": \"llama\", \"architectures\": [\"LlamaForCausalLM\"], "
             "\"hidden_size\": %d, \"num_hidden_layers\": %d, \"num_attention_heads\": %d, "
             "\"num_key_value_heads\": %d, \"intermediate_size\": %d, \"vocab_size\": %d, "
             "\"max_position_embeddings\": 2048, \"rms_norm_eps\": 1e-5, "
             "\"rope_theta\": 10000.0, \"hidden_act\": \"silu\", \"tie_word_embeddings\": false, "
             "\"torch_dtype\": \"bfloat16\", \"bos_token_id\": 1, \"eos_token_id\": 2}",
             D, LAYERS, HEADS, KV_HEADS, FF, VOCAB);
    bench_write_model(&m, dir, config);
}

static double peak_rss_mb(void)
{
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return (double)usage.ru_maxrss / 1024.0;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "/tmp/headscope-bench-llama";
    char path[4096];
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    if (!hs_file_exists(path)) {
        /* Written by a child process, so its buffers do not count in our peak memory. */
        fprintf(stderr, "writing a TinyLlama-shaped model with random BF16 weights to %s\n", dir);
        pid_t child = fork();
        if (child == 0) {
            write_llama(dir);
            _exit(0);
        }
        int status = 0;
        if (child < 0 || waitpid(child, &status, 0) < 0 || !WIFEXITED(status) ||
            WEXITSTATUS(status) != 0) {
            fprintf(stderr, "bench: writing the model failed\n");
            return 1;
        }
    }
    double rss_before = peak_rss_mb();

    double start = bench_now();
    hs_model *model = hs_model_load(dir, NULL, NULL);
    double load = bench_now() - start;
    if (!model) {
        fprintf(stderr, "bench: %s\n", hs_error_message());
        return 1;
    }
    int32_t ids[TOKENS];
    ids[0] = 1;
    for (int i = 1; i < TOKENS; i++)
        ids[i] = 100 + (i * 7919) % (VOCAB - 100);

    enum { RUNS = 3 };
    double best = 1e9;
    for (int r = 0; r < RUNS; r++) {
        start = bench_now();
        hs_result *result = hs_forward(model, ids, NULL, TOKENS);
        double t = bench_now() - start;
        if (!result) {
            fprintf(stderr, "bench: %s\n", hs_error_message());
            return 1;
        }
        hs_result_free(result);
        best = t < best ? t : best;
    }
    printf("TinyLlama-1.1B shape: %d layers, %d query heads, %d key/value heads, d = %d, "
           "FFN %d, BF16 weights, %lld parameters\n",
           LAYERS, HEADS, KV_HEADS, D, FF, (long long)hs_model_param_count(model));
    printf("load (mmap + BF16 to float32):  %.2f s\n", load);
    printf("forward, %d tokens, attention recorded: %.2f s (best of %d)\n", TOKENS, best, RUNS);
    printf("peak resident memory: %.0f MB (%.0f MB before loading)\n", peak_rss_mb(),
           rss_before);
    hs_model_free(model);
    return 0;
}
