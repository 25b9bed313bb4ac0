/*
 * bench_util.c - timing and random-weight model folders for the benchmarks.
 */
#include "bench_util.h"

#include "hs_error.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* xorshift64*: reproducible and fast enough for a billion values. */
static float next_uniform(unsigned long long *state)
{
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    uint64_t bits = *state * 2685821657736338717ULL;
    return (float)(bits >> 40) / (float)(1 << 24) * 2.0f - 1.0f;
}

void bench_add_tensor(bench_model *m, const char *name, hs_dtype dtype, int ndim,
                      const long long *shape, float scale, float fill)
{
    if (m->count == m->capacity) {
        m->capacity = m->capacity ? m->capacity * 2 : 64;
        m->tensors = realloc(m->tensors, m->capacity * sizeof *m->tensors);
        m->names = realloc(m->names, m->capacity * sizeof *m->names);
        m->buffers = realloc(m->buffers, m->capacity * sizeof *m->buffers);
        if (!m->tensors || !m->names || !m->buffers) {
            fprintf(stderr, "bench: out of memory\n");
            exit(1);
        }
    }
    if (!m->seed)
        m->seed = 0x9E3779B97F4A7C15ULL;
    size_t count = 1;
    for (int d = 0; d < ndim; d++)
        count *= (size_t)shape[d];
    size_t item = hs_dtype_size(dtype);
    uint8_t *data = malloc(count * item);
    if (!data) {
        fprintf(stderr, "bench: out of memory for %s\n", name);
        exit(1);
    }
    for (size_t i = 0; i < count; i++) {
        float value = fill + scale * next_uniform(&m->seed);
        if (dtype == HS_DTYPE_F32) {
            memcpy(data + 4 * i, &value, 4);
        } else {
            uint16_t half;
            if (dtype == HS_DTYPE_F16) {
                half = hs_f32_to_f16(value);
            } else {
                uint32_t bits;
                memcpy(&bits, &value, 4);
                half = (uint16_t)(bits >> 16);
            }
            memcpy(data + 2 * i, &half, 2);
        }
    }
    hs_tensor_write *t = &m->tensors[m->count];
    memset(t, 0, sizeof *t);
    m->names[m->count] = strdup(name);
    t->name = m->names[m->count];
    t->dtype = dtype;
    t->ndim = ndim;
    for (int d = 0; d < ndim; d++)
        t->shape[d] = shape[d];
    t->data = data;
    m->buffers[m->count] = data;
    m->count++;
}

void bench_write_model(bench_model *m, const char *dir, const char *config_json)
{
    char path[4096];
    mkdir(dir, 0755);
    snprintf(path, sizeof path, "%s/config.json", dir);
    FILE *f = fopen(path, "w");
    if (!f || fputs(config_json, f) < 0 || fclose(f) != 0) {
        fprintf(stderr, "bench: cannot write %s\n", path);
        exit(1);
    }
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    if (hs_safetensors_write(path, m->tensors, m->count, NULL, 0) != 0) {
        fprintf(stderr, "bench: %s\n", hs_error_message());
        exit(1);
    }
    for (size_t i = 0; i < m->count; i++) {
        free(m->buffers[i]);
        free(m->names[i]);
    }
    free(m->tensors);
    free(m->names);
    free(m->buffers);
    memset(m, 0, sizeof *m);
}
