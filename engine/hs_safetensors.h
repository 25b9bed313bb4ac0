/*
 * hs_safetensors.h - read and write safetensors files.
 *
 * A file is an 8-byte little-endian header length, a JSON header that maps
 * tensor names to {dtype, shape, data_offsets}, then the data section. Files
 * are mapped with mmap and validated in full before any tensor is handed out:
 * header size, JSON shape, dtypes, offsets in range, no overlaps, and offsets
 * equal to shape x item size (64-bit overflow-checked).
 */
#ifndef HS_SAFETENSORS_H
#define HS_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

enum { HS_MAX_DIMS = 8 };

/* Largest header accepted, in bytes. */
#define HS_SAFETENSORS_MAX_HEADER 100000000ULL

typedef enum {
    HS_DTYPE_F32,
    HS_DTYPE_F16,
    HS_DTYPE_BF16,
    HS_DTYPE_F64,
    HS_DTYPE_I64,
    HS_DTYPE_I32,
    HS_DTYPE_I16,
    HS_DTYPE_I8,
    HS_DTYPE_U8,
    HS_DTYPE_BOOL,
} hs_dtype;

/* One tensor of a mapped file. data points into the mapping and may be
 * unaligned; read it with memcpy or through hs_tensor_to_f32(). */
typedef struct {
    const char *name;
    hs_dtype dtype;
    int ndim;
    int64_t shape[HS_MAX_DIMS];
    int64_t count; /* number of elements */
    const void *data;
    uint64_t nbytes;
} hs_tensor;

typedef struct hs_safetensors hs_safetensors;

/* Maps and validates a file. Returns NULL and sets an error that names the
 * file, the tensor and the numbers involved on failure. */
hs_safetensors *hs_safetensors_open(const char *path);

void hs_safetensors_close(hs_safetensors *file);

const char *hs_safetensors_path(const hs_safetensors *file);

/* Tells the kernel that a tensor's mapped pages will not be read again soon,
 * so they leave resident memory (the mapping stays valid: a later read
 * loads them from the file again). Used after converting a tensor. */
void hs_safetensors_release(const hs_safetensors *file, const hs_tensor *tensor);

/* Tensors in the order of their data offsets. */
size_t hs_safetensors_count(const hs_safetensors *file);
const hs_tensor *hs_safetensors_at(const hs_safetensors *file, size_t index);

/* Returns the tensor with that name, or NULL. */
const hs_tensor *hs_safetensors_find(const hs_safetensors *file, const char *name);

/* Returns the value of a __metadata__ key, or NULL. */
const char *hs_safetensors_metadata(const hs_safetensors *file, const char *key);

const char *hs_dtype_name(hs_dtype dtype);
size_t hs_dtype_size(hs_dtype dtype);

/* Converts any numeric tensor to float32 into out (count floats). */
void hs_tensor_convert_f32(const hs_tensor *tensor, float *out);

/* Returns a new float32 copy of a tensor (caller frees), or NULL on
 * allocation failure. */
float *hs_tensor_to_f32(const hs_tensor *tensor);

float hs_f16_to_f32(uint16_t half);
float hs_bf16_to_f32(uint16_t bf16);
uint16_t hs_f32_to_f16(float value);

/* A tensor to be written: data in the dtype's little-endian layout. */
typedef struct {
    const char *name;
    hs_dtype dtype;
    int ndim;
    int64_t shape[HS_MAX_DIMS];
    const void *data;
} hs_tensor_write;

/* Writes tensors (in the given order) and optional metadata pairs
 * (metadata[2k] = key, metadata[2k+1] = value, n_metadata pairs) to path,
 * through a temporary file renamed into place, so a failure leaves no
 * partial file. Returns 0, or -1 with an error naming the path. */
int hs_safetensors_write(const char *path, const hs_tensor_write *tensors, size_t count,
                         const char *const *metadata, size_t n_metadata);

#endif
