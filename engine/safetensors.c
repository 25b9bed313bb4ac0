/*
 * safetensors.c - mmap reader with full validation, and an atomic writer.
 *
 * Depends on cJSON for the header. Every rule is checked before a tensor is
 * handed out, so later code may trust shapes, offsets and sizes.
 */
#include "hs_safetensors.h"

#include "hs_error.h"
#include "hs_io.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct hs_safetensors {
    char *path;
    const uint8_t *map;
    size_t map_size;
    const uint8_t *data; /* start of the data section */
    uint64_t data_size;
    hs_tensor *tensors; /* sorted by data offset */
    size_t count;
    char **metadata; /* key, value pairs */
    size_t n_metadata;
};

static const struct {
    const char *name;
    hs_dtype dtype;
    size_t size;
} dtype_table[] = {
    {"F32", HS_DTYPE_F32, 4},  {"F16", HS_DTYPE_F16, 2}, {"BF16", HS_DTYPE_BF16, 2},
    {"F64", HS_DTYPE_F64, 8},  {"I64", HS_DTYPE_I64, 8}, {"I32", HS_DTYPE_I32, 4},
    {"I16", HS_DTYPE_I16, 2},  {"I8", HS_DTYPE_I8, 1},   {"U8", HS_DTYPE_U8, 1},
    {"BOOL", HS_DTYPE_BOOL, 1},
};

const char *hs_dtype_name(hs_dtype dtype)
{
    for (size_t i = 0; i < sizeof dtype_table / sizeof dtype_table[0]; i++)
        if (dtype_table[i].dtype == dtype)
            return dtype_table[i].name;
    return "?";
}

size_t hs_dtype_size(hs_dtype dtype)
{
    for (size_t i = 0; i < sizeof dtype_table / sizeof dtype_table[0]; i++)
        if (dtype_table[i].dtype == dtype)
            return dtype_table[i].size;
    return 0;
}

static int dtype_from_name(const char *name, hs_dtype *out)
{
    for (size_t i = 0; i < sizeof dtype_table / sizeof dtype_table[0]; i++) {
        if (strcmp(dtype_table[i].name, name) == 0) {
            *out = dtype_table[i].dtype;
            return 0;
        }
    }
    return -1;
}

/* Reads a JSON number that must be a non-negative integer below 2^53. */
static int json_to_u64(const cJSON *item, uint64_t *out)
{
    if (!cJSON_IsNumber(item))
        return -1;
    double value = item->valuedouble;
    if (!(value >= 0.0) || value > 9007199254740992.0 || floor(value) != value)
        return -1;
    *out = (uint64_t)value;
    return 0;
}

static int compare_offsets(const void *a, const void *b)
{
    const hs_tensor *x = a;
    const hs_tensor *y = b;
    const uint8_t *px = x->data;
    const uint8_t *py = y->data;
    if (px != py)
        return px < py ? -1 : 1;
    return x->nbytes < y->nbytes ? -1 : (x->nbytes > y->nbytes);
}

/* Writes a header value as JSON text for a message. */
static const char *json_text(const cJSON *item, char *out, int size)
{
    if (!cJSON_PrintPreallocated((cJSON *)item, out, size, 1))
        snprintf(out, (size_t)size, "(too long to show)");
    return out;
}

/* Parses one header entry into tensor; the name is owned by the header copy. */
static int parse_entry(hs_safetensors *file, const cJSON *entry, hs_tensor *tensor)
{
    const char *name = entry->string;
    const cJSON *dtype = cJSON_GetObjectItemCaseSensitive(entry, "dtype");
    const cJSON *shape = cJSON_GetObjectItemCaseSensitive(entry, "shape");
    const cJSON *offsets = cJSON_GetObjectItemCaseSensitive(entry, "data_offsets");
    char text[160];
    uint64_t begin, end;

    if (!cJSON_IsObject(entry)) {
        hs_error_set("%s: tensor '%s': header entry is not a JSON object", file->path, name);
        return -1;
    }
    const char *missing = NULL;
    if (!offsets)
        missing = "data_offsets";
    if (!shape)
        missing = "shape";
    if (!dtype)
        missing = "dtype";
    if (missing) {
        hs_error_set("%s: tensor '%s': missing %s", file->path, name, missing);
        return -1;
    }
    if (!cJSON_IsString(dtype)) {
        hs_error_set("%s: tensor '%s': dtype must be a string, found %s", file->path, name,
                     json_text(dtype, text, sizeof text));
        return -1;
    }
    if (dtype_from_name(dtype->valuestring, &tensor->dtype) != 0) {
        hs_error_set("%s: tensor '%s': unknown dtype '%s' (supported: F32, F16, BF16, F64, "
                     "I64, I32, I16, I8, U8, BOOL)",
                     file->path, name, dtype->valuestring);
        return -1;
    }
    if (!cJSON_IsArray(shape)) {
        hs_error_set("%s: tensor '%s': shape must be an array, found %s", file->path, name,
                     json_text(shape, text, sizeof text));
        return -1;
    }
    if (cJSON_GetArraySize(shape) > HS_MAX_DIMS) {
        hs_error_set("%s: tensor '%s': shape has %d dimensions, at most %d are supported",
                     file->path, name, cJSON_GetArraySize(shape), HS_MAX_DIMS);
        return -1;
    }
    if (!cJSON_IsArray(offsets) || cJSON_GetArraySize(offsets) != 2 ||
        json_to_u64(cJSON_GetArrayItem(offsets, 0), &begin) != 0 ||
        json_to_u64(cJSON_GetArrayItem(offsets, 1), &end) != 0) {
        hs_error_set("%s: tensor '%s': data_offsets %s must be two non-negative integers",
                     file->path, name, json_text(offsets, text, sizeof text));
        return -1;
    }

    /* Element count and byte size, checked against 64-bit overflow. */
    tensor->ndim = cJSON_GetArraySize(shape);
    for (int d = 0; d < tensor->ndim; d++) {
        const cJSON *dim = cJSON_GetArrayItem(shape, d);
        uint64_t size;
        if (json_to_u64(dim, &size) != 0) {
            hs_error_set("%s: tensor '%s': dimension %d is %s, expected a non-negative integer",
                         file->path, name, d, json_text(dim, text, sizeof text));
            return -1;
        }
        tensor->shape[d] = (int64_t)size;
    }
    const char *shape_text = json_text(shape, text, sizeof text);
    uint64_t count = 1;
    for (int d = 0; d < tensor->ndim; d++) {
        uint64_t size = (uint64_t)tensor->shape[d];
        if (size != 0 && count > UINT64_MAX / size) {
            hs_error_set("%s: tensor '%s': element count of shape %s overflows 64 bits",
                         file->path, name, shape_text);
            return -1;
        }
        count *= size;
    }
    size_t item = hs_dtype_size(tensor->dtype);
    if (count > (uint64_t)INT64_MAX / item) {
        hs_error_set("%s: tensor '%s': byte size of shape %s of %s overflows 64 bits",
                     file->path, name, shape_text, dtype->valuestring);
        return -1;
    }
    if (begin > end || end > file->data_size) {
        hs_error_set("%s: tensor '%s': data_offsets [%llu, %llu] out of range: the data "
                     "section has %llu bytes",
                     file->path, name, (unsigned long long)begin, (unsigned long long)end,
                     (unsigned long long)file->data_size);
        return -1;
    }
    if (end - begin != count * item) {
        hs_error_set("%s: tensor '%s': data_offsets [%llu, %llu] hold %llu bytes, but shape "
                     "%s of %s needs %llu",
                     file->path, name, (unsigned long long)begin, (unsigned long long)end,
                     (unsigned long long)(end - begin), shape_text, dtype->valuestring,
                     (unsigned long long)(count * item));
        return -1;
    }
    tensor->name = name;
    tensor->count = (int64_t)count;
    tensor->data = file->data + begin;
    tensor->nbytes = end - begin;
    return 0;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(((const hs_tensor *)a)->name, ((const hs_tensor *)b)->name);
}

static int parse_metadata(hs_safetensors *file, const cJSON *meta)
{
    if (file->metadata) {
        hs_error_set("%s: __metadata__ appears twice in the header", file->path);
        return -1;
    }
    if (!cJSON_IsObject(meta)) {
        hs_error_set("%s: __metadata__ is not a JSON object", file->path);
        return -1;
    }
    int n = cJSON_GetArraySize(meta);
    file->metadata = calloc((size_t)n * 2 + 1, sizeof(char *));
    if (!file->metadata) {
        hs_error_set("%s: out of memory reading __metadata__", file->path);
        return -1;
    }
    const cJSON *item;
    cJSON_ArrayForEach(item, meta)
    {
        if (!cJSON_IsString(item)) {
            hs_error_set("%s: __metadata__ value of '%s' is not a string", file->path,
                         item->string);
            return -1;
        }
        char **pair = &file->metadata[file->n_metadata * 2];
        pair[0] = strdup(item->string);
        pair[1] = strdup(item->valuestring);
        file->n_metadata++;
        if (!pair[0] || !pair[1]) {
            hs_error_set("%s: out of memory reading __metadata__", file->path);
            return -1;
        }
    }
    return 0;
}

/* Parses and validates the header; file->data and data_size must be set. */
static int parse_header(hs_safetensors *file, const char *text, size_t length)
{
    int status = -1;
    cJSON *root = cJSON_ParseWithLength(text, length);

    if (!root) {
        hs_error_set("%s: header (%zu bytes) is not valid JSON", file->path, length);
        goto done;
    }
    if (!cJSON_IsObject(root)) {
        hs_error_set("%s: header is %s in JSON, expected an object", file->path,
                     hs_json_type_name(root));
        goto done;
    }
    size_t capacity = (size_t)cJSON_GetArraySize(root);
    file->tensors = calloc(capacity ? capacity : 1, sizeof(hs_tensor));
    if (!file->tensors) {
        hs_error_set("%s: out of memory reading %zu header entries", file->path, capacity);
        goto done;
    }

    cJSON *entry;
    cJSON_ArrayForEach(entry, root)
    {
        if (strcmp(entry->string, "__metadata__") == 0) {
            if (parse_metadata(file, entry) != 0)
                goto done;
            continue;
        }
        hs_tensor *tensor = &file->tensors[file->count];
        if (parse_entry(file, entry, tensor) != 0)
            goto done;
        tensor->name = strdup(entry->string);
        if (!tensor->name) {
            hs_error_set("%s: out of memory reading the header", file->path);
            goto done;
        }
        file->count++;
    }

    /* cJSON keeps every entry of a repeated key, so sort by name to find a
     * tensor that appears twice. */
    qsort(file->tensors, file->count, sizeof(hs_tensor), compare_names);
    for (size_t i = 1; i < file->count; i++) {
        if (strcmp(file->tensors[i].name, file->tensors[i - 1].name) == 0) {
            hs_error_set("%s: tensor '%s' appears twice in the header", file->path,
                         file->tensors[i].name);
            goto done;
        }
    }

    /* Sorted by offset, each non-empty tensor must begin at or after the end
     * of the previous non-empty one. Empty tensors are skipped, so one that
     * sorts between two overlapping tensors cannot hide the overlap. */
    qsort(file->tensors, file->count, sizeof(hs_tensor), compare_offsets);
    const hs_tensor *previous = NULL;
    for (size_t i = 0; i < file->count; i++) {
        const hs_tensor *t = &file->tensors[i];
        if (t->nbytes == 0)
            continue;
        if (previous && (const uint8_t *)previous->data + previous->nbytes >
                            (const uint8_t *)t->data) {
            long long a_begin = (const uint8_t *)previous->data - file->data;
            long long b_begin = (const uint8_t *)t->data - file->data;
            hs_error_set("%s: tensors '%s' [%lld, %lld] and '%s' [%lld, %lld] overlap",
                         file->path, previous->name, a_begin,
                         a_begin + (long long)previous->nbytes, t->name, b_begin,
                         b_begin + (long long)t->nbytes);
            goto done;
        }
        previous = t;
    }
    status = 0;
done:
    cJSON_Delete(root);
    return status;
}

hs_safetensors *hs_safetensors_open(const char *path)
{
    hs_safetensors *file = calloc(1, sizeof *file);
    struct stat st;
    int fd = -1;

    if (!file || !(file->path = strdup(path))) {
        hs_error_set("%s: out of memory", path);
        goto fail;
    }
    fd = hs_open_regular(path, &st);
    if (fd < 0)
        goto fail;
    if (st.st_size < 8) {
        hs_error_set("%s: file has %lld bytes, too short for the 8-byte header length", path,
                     (long long)st.st_size);
        goto fail;
    }
    file->map_size = (size_t)st.st_size;
    void *map = mmap(NULL, file->map_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) {
        hs_error_set("%s: mmap failed: %s", path, strerror(errno));
        goto fail;
    }
    file->map = map;
    close(fd);
    fd = -1;

    /* The header length is a little-endian u64 at offset 0. */
    uint64_t header_length = 0;
    for (int i = 7; i >= 0; i--)
        header_length = header_length << 8 | file->map[i];
    if (header_length > HS_SAFETENSORS_MAX_HEADER) {
        hs_error_set("%s: header length %llu exceeds the limit of %llu bytes", path,
                     (unsigned long long)header_length, HS_SAFETENSORS_MAX_HEADER);
        goto fail;
    }
    if (header_length > file->map_size - 8) {
        hs_error_set("%s: header length %llu runs past the end of the file (%zu bytes)", path,
                     (unsigned long long)header_length, file->map_size);
        goto fail;
    }
    file->data = file->map + 8 + header_length;
    file->data_size = file->map_size - 8 - header_length;
    if (parse_header(file, (const char *)file->map + 8, (size_t)header_length) != 0)
        goto fail;
    return file;
fail:
    if (fd >= 0)
        close(fd);
    hs_safetensors_close(file);
    return NULL;
}

void hs_safetensors_close(hs_safetensors *file)
{
    if (!file)
        return;
    for (size_t i = 0; i < file->count; i++)
        free((char *)file->tensors[i].name);
    for (size_t i = 0; i < file->n_metadata * 2; i++)
        free(file->metadata[i]);
    free(file->metadata);
    free(file->tensors);
    if (file->map)
        munmap((void *)file->map, file->map_size);
    free(file->path);
    free(file);
}

void hs_safetensors_release(const hs_safetensors *file, const hs_tensor *tensor)
{
    long page = sysconf(_SC_PAGESIZE);
    uintptr_t begin = (uintptr_t)tensor->data, end = begin + tensor->nbytes;
    uintptr_t map_begin = (uintptr_t)file->map;

    /* Only whole pages inside the tensor, so neighbours stay resident. */
    begin = map_begin + ((begin - map_begin + (uintptr_t)page - 1) / (uintptr_t)page) *
                            (uintptr_t)page;
    end = map_begin + ((end - map_begin) / (uintptr_t)page) * (uintptr_t)page;
    if (end > begin)
        madvise((void *)begin, end - begin, MADV_DONTNEED);
}

const char *hs_safetensors_path(const hs_safetensors *file)
{
    return file->path;
}

size_t hs_safetensors_count(const hs_safetensors *file)
{
    return file->count;
}

const hs_tensor *hs_safetensors_at(const hs_safetensors *file, size_t index)
{
    HS_ASSERT(index < file->count);
    return &file->tensors[index];
}

const hs_tensor *hs_safetensors_find(const hs_safetensors *file, const char *name)
{
    for (size_t i = 0; i < file->count; i++)
        if (strcmp(file->tensors[i].name, name) == 0)
            return &file->tensors[i];
    return NULL;
}

const char *hs_safetensors_metadata(const hs_safetensors *file, const char *key)
{
    for (size_t i = 0; i < file->n_metadata; i++)
        if (strcmp(file->metadata[2 * i], key) == 0)
            return file->metadata[2 * i + 1];
    return NULL;
}

float hs_f16_to_f32(uint16_t half)
{
    uint32_t sign = (uint32_t)(half & 0x8000) << 16;
    uint32_t exponent = (half >> 10) & 0x1f;
    uint32_t mantissa = half & 0x3ff;
    uint32_t bits;

    if (exponent == 0x1f) {
        bits = sign | 0x7f800000u | (mantissa << 13); /* infinity or NaN */
    } else if (exponent != 0) {
        bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
    } else if (mantissa == 0) {
        bits = sign;
    } else {
        /* Subnormal half: value = mantissa * 2^-24, exact in float32. */
        float value = ldexpf((float)mantissa, -24);
        memcpy(&bits, &value, 4);
        bits |= sign;
    }
    float out;
    memcpy(&out, &bits, 4);
    return out;
}

float hs_bf16_to_f32(uint16_t bf16)
{
    uint32_t bits = (uint32_t)bf16 << 16;
    float out;
    memcpy(&out, &bits, 4);
    return out;
}

uint16_t hs_f32_to_f16(float value)
{
    uint32_t bits;
    memcpy(&bits, &value, 4);
    uint16_t sign = (uint16_t)((bits >> 16) & 0x8000);
    int32_t exponent = (int32_t)((bits >> 23) & 0xff) - 127 + 15;
    uint32_t mantissa = bits & 0x7fffff;

    if (((bits >> 23) & 0xff) == 0xff)
        return sign | 0x7c00 | (mantissa ? 0x200 : 0);
    if (exponent >= 0x1f)
        return sign | 0x7c00;
    if (exponent <= 0) {
        if (exponent < -10)
            return sign;
        mantissa |= 0x800000;
        uint32_t shift = (uint32_t)(14 - exponent);
        uint32_t half = mantissa >> shift;
        uint32_t rest = mantissa & ((1u << shift) - 1);
        uint32_t midpoint = 1u << (shift - 1);
        if (rest > midpoint || (rest == midpoint && (half & 1)))
            half++;
        return sign | (uint16_t)half;
    }
    uint32_t half = ((uint32_t)exponent << 10) | (mantissa >> 13);
    uint32_t rest = mantissa & 0x1fff;
    if (rest > 0x1000 || (rest == 0x1000 && (half & 1)))
        half++; /* a carry into the exponent is the correct rounding */
    return sign | (uint16_t)half;
}

void hs_tensor_convert_f32(const hs_tensor *tensor, float *out)
{
    const uint8_t *src = tensor->data;
    int64_t n = tensor->count;

    switch (tensor->dtype) {
    case HS_DTYPE_F32:
        memcpy(out, src, (size_t)n * 4);
        break;
    case HS_DTYPE_F16:
        for (int64_t i = 0; i < n; i++) {
            uint16_t half;
            memcpy(&half, src + 2 * i, 2);
            out[i] = hs_f16_to_f32(half);
        }
        break;
    case HS_DTYPE_BF16:
        /* A BF16 value is the upper half of the float32 with the same bits. */
        for (int64_t i = 0; i < n; i++) {
            uint16_t half;
            memcpy(&half, src + 2 * i, 2);
            uint32_t bits = (uint32_t)half << 16;
            memcpy(out + i, &bits, 4);
        }
        break;
    case HS_DTYPE_F64:
        for (int64_t i = 0; i < n; i++) {
            double value;
            memcpy(&value, src + 8 * i, 8);
            out[i] = (float)value;
        }
        break;
    case HS_DTYPE_I64:
        for (int64_t i = 0; i < n; i++) {
            int64_t value;
            memcpy(&value, src + 8 * i, 8);
            out[i] = (float)value;
        }
        break;
    case HS_DTYPE_I32:
        for (int64_t i = 0; i < n; i++) {
            int32_t value;
            memcpy(&value, src + 4 * i, 4);
            out[i] = (float)value;
        }
        break;
    case HS_DTYPE_I16:
        for (int64_t i = 0; i < n; i++) {
            int16_t value;
            memcpy(&value, src + 2 * i, 2);
            out[i] = (float)value;
        }
        break;
    case HS_DTYPE_I8:
        for (int64_t i = 0; i < n; i++)
            out[i] = (float)(int8_t)src[i];
        break;
    case HS_DTYPE_U8:
    case HS_DTYPE_BOOL:
        for (int64_t i = 0; i < n; i++)
            out[i] = (float)src[i];
        break;
    }
}

float *hs_tensor_to_f32(const hs_tensor *tensor)
{
    float *out = malloc((size_t)(tensor->count ? tensor->count : 1) * sizeof(float));
    if (!out) {
        hs_error_set("out of memory converting tensor '%s' (%lld elements)", tensor->name,
                     (long long)tensor->count);
        return NULL;
    }
    hs_tensor_convert_f32(tensor, out);
    return out;
}

/* Builds the JSON header with offsets for tensors laid out in order. */
static char *build_header(const hs_tensor_write *tensors, size_t count,
                          const char *const *metadata, size_t n_metadata, uint64_t *data_size)
{
    cJSON *root = cJSON_CreateObject();
    uint64_t offset = 0;

    if (n_metadata) {
        cJSON *meta = cJSON_AddObjectToObject(root, "__metadata__");
        for (size_t i = 0; i < n_metadata; i++)
            cJSON_AddStringToObject(meta, metadata[2 * i], metadata[2 * i + 1]);
    }
    for (size_t i = 0; i < count; i++) {
        const hs_tensor_write *t = &tensors[i];
        cJSON *entry = cJSON_AddObjectToObject(root, t->name);
        cJSON *shape = cJSON_AddArrayToObject(entry, "shape");
        uint64_t bytes = hs_dtype_size(t->dtype);

        cJSON_AddStringToObject(entry, "dtype", hs_dtype_name(t->dtype));
        for (int d = 0; d < t->ndim; d++) {
            cJSON_AddItemToArray(shape, cJSON_CreateNumber((double)t->shape[d]));
            bytes *= (uint64_t)t->shape[d];
        }
        cJSON *offsets = cJSON_AddArrayToObject(entry, "data_offsets");
        cJSON_AddItemToArray(offsets, cJSON_CreateNumber((double)offset));
        cJSON_AddItemToArray(offsets, cJSON_CreateNumber((double)(offset + bytes)));
        offset += bytes;
    }
    char *text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    *data_size = offset;
    return text;
}

int hs_safetensors_write(const char *path, const hs_tensor_write *tensors, size_t count,
                         const char *const *metadata, size_t n_metadata)
{
    uint64_t data_size;
    hs_atomic_file out;
    char *header = build_header(tensors, count, metadata, n_metadata, &data_size);

    if (!header) {
        hs_error_set("%s: out of memory building the header", path);
        return -1;
    }
    if (hs_atomic_open(&out, path) != 0) {
        free(header);
        return -1;
    }

    /* The header is padded with spaces so the data section starts 8-aligned. */
    size_t length = strlen(header);
    size_t padded = (length + 7) & ~(size_t)7;
    uint8_t length_bytes[8];
    for (int i = 0; i < 8; i++)
        length_bytes[i] = (uint8_t)((uint64_t)padded >> (8 * i));
    fwrite(length_bytes, 1, 8, out.file);
    fwrite(header, 1, length, out.file);
    for (size_t i = length; i < padded; i++)
        fputc(' ', out.file);
    free(header);

    for (size_t i = 0; i < count; i++) {
        size_t bytes = hs_dtype_size(tensors[i].dtype);
        for (int d = 0; d < tensors[i].ndim; d++)
            bytes *= (size_t)tensors[i].shape[d];
        if (bytes && fwrite(tensors[i].data, 1, bytes, out.file) != bytes)
            break;
    }
    return hs_atomic_commit(&out);
}
