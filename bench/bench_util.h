/*
 * bench_util.h - helpers for the benchmarks: timing and model folders with
 * random weights written to a temporary folder.
 */
#ifndef HS_BENCH_UTIL_H
#define HS_BENCH_UTIL_H

#include "hs_safetensors.h"

#include <stddef.h>

double bench_now(void);

/* A model folder under construction: tensors are kept until written. */
typedef struct {
    hs_tensor_write *tensors;
    char **names;
    void **buffers;
    size_t count;
    size_t capacity;
    unsigned long long seed;
} bench_model;

/* Adds a tensor of the given shape filled with uniform values in
 * [-scale, scale] (stored as dtype F32, F16 or BF16); scale 0 with fill
 * gives a constant. */
void bench_add_tensor(bench_model *model, const char *name, hs_dtype dtype, int ndim,
                      const long long *shape, float scale, float fill);

/* Writes config.json (the given text) and model.safetensors into dir, which
 * is created, and frees the tensors. Exits the benchmark on failure. */
void bench_write_model(bench_model *model, const char *dir, const char *config_json);

#endif
