/*
 * test_safetensors.c - the safetensors reader against malformed files, the
 * writer's round trip, and the half-precision conversions.
 *
 * Every invalid file must be rejected with NULL and a message that names the
 * file, the tensor and the numbers involved. The files are built here, in a
 * scratch folder, byte by byte.
 */
#include "test_util.h"

#include "hs_error.h"
#include "hs_safetensors.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BAD_FILE "bad.safetensors"

/* Fails the test at the caller's line when text does not contain part. */
#define assert_contains(text, part) check_contains((text), (part), __FILE__, __LINE__)

static void check_contains(const char *text, const char *part, const char *file, int line)
{
    if (strstr(text, part))
        return;
    print_error("message \"%s\" does not contain \"%s\"\n", text, part);
    _fail(file, line);
}

static const char *path_in(const char *dir, const char *name)
{
    static char path[4300];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return path;
}

/* Writes the 8-byte little-endian length, the header padded with spaces to
 * header_size bytes (0 keeps its own length), then data_size data bytes. */
static void write_raw(const char *path, const char *header, size_t header_size, const void *data,
                      size_t data_size)
{
    size_t length = strlen(header);
    if (header_size == 0)
        header_size = length;
    assert_true(header_size >= length);
    size_t total = 8 + header_size + data_size;
    uint8_t *bytes = malloc(total);
    assert_non_null(bytes);
    for (int i = 0; i < 8; i++)
        bytes[i] = (uint8_t)((uint64_t)header_size >> (8 * i));
    memcpy(bytes + 8, header, length);
    memset(bytes + 8 + length, ' ', header_size - length);
    if (data_size)
        memcpy(bytes + 8 + header_size, data, data_size);
    hs_test_write_file(path, bytes, total);
    free(bytes);
}

/* Writes a file with this header and data_size zero bytes of data, checks
 * that opening it fails, and returns the error message. */
static const char *open_invalid(const char *dir, const char *header, size_t data_size)
{
    uint8_t *data = calloc(data_size ? data_size : 1, 1);
    assert_non_null(data);
    const char *path = path_in(dir, BAD_FILE);
    write_raw(path, header, 0, data, data_size);
    free(data);

    hs_safetensors *file = hs_safetensors_open(path);
    if (file) {
        hs_safetensors_close(file);
        fail_msg("%s opened, but its header is invalid: %s", path, header);
    }
    return hs_error_message();
}

/* Opens a file of raw bytes that must be rejected and returns the message. */
static const char *open_invalid_bytes(const char *dir, const void *bytes, size_t size)
{
    const char *path = path_in(dir, BAD_FILE);
    hs_test_write_file(path, bytes, size);
    hs_safetensors *file = hs_safetensors_open(path);
    if (file) {
        hs_safetensors_close(file);
        fail_msg("%s opened, but it is invalid", path);
    }
    return hs_error_message();
}

static void put_u64(uint8_t *out, uint64_t value)
{
    for (int i = 0; i < 8; i++)
        out[i] = (uint8_t)(value >> (8 * i));
}

/* ---- file framing ------------------------------------------------------- */

static void file_shorter_than_length(void **state)
{
    const char *dir = hs_test_tmpdir("st-short");
    const uint8_t bytes[5] = {1, 0, 0, 0, 0};
    const char *message = open_invalid_bytes(dir, bytes, sizeof bytes);
    assert_contains(message, BAD_FILE);
    assert_contains(message, "5 bytes");
    assert_contains(message, "8-byte");
}

static void empty_file(void **state)
{
    const char *dir = hs_test_tmpdir("st-empty");
    const char *message = open_invalid_bytes(dir, "", 0);
    assert_contains(message, BAD_FILE);
    assert_contains(message, "0 bytes");
}

static void missing_file(void **state)
{
    const char *dir = hs_test_tmpdir("st-missing");
    assert_null(hs_safetensors_open(path_in(dir, "absent.safetensors")));
    assert_contains(hs_error_message(), "absent.safetensors");
    assert_contains(hs_error_message(), "No such file");
}

static void folder_not_file(void **state)
{
    const char *dir = hs_test_tmpdir("st-folder");
    assert_null(hs_safetensors_open(dir));
    assert_contains(hs_error_message(), dir);
    assert_contains(hs_error_message(), "not a regular file");
}

/* open() on a named pipe waits for a writer, so the reader must reject it at
 * once. The alarm kills the test instead of letting it hang. */
static void fifo_not_file(void **state)
{
    const char *dir = hs_test_tmpdir("st-fifo");
    const char *path = path_in(dir, "pipe.safetensors");
    assert_int_equal(mkfifo(path, 0600), 0);
    alarm(10);
    hs_safetensors *file = hs_safetensors_open(path);
    alarm(0);
    assert_null(file);
    assert_contains(hs_error_message(), "pipe.safetensors");
    assert_contains(hs_error_message(), "not a regular file");
    assert_contains(hs_error_message(), "named pipe");
}

static void broken_symlink(void **state)
{
    const char *dir = hs_test_tmpdir("st-broken-link");
    const char *path = path_in(dir, "linked.safetensors");
    assert_int_equal(symlink("../blobs/0123abcd", path), 0);
    assert_null(hs_safetensors_open(path));
    assert_contains(hs_error_message(), "linked.safetensors");
    assert_contains(hs_error_message(), "symbolic link to '../blobs/0123abcd'");
    assert_contains(hs_error_message(), "does not exist");
}

static void header_over_limit(void **state)
{
    const char *dir = hs_test_tmpdir("st-huge-header");
    uint8_t bytes[16] = {0};
    put_u64(bytes, 100000001);
    const char *message = open_invalid_bytes(dir, bytes, sizeof bytes);
    assert_contains(message, BAD_FILE);
    assert_contains(message, "100000001");
    assert_contains(message, "100000000");
}

static void header_length_max_u64(void **state)
{
    const char *dir = hs_test_tmpdir("st-max-header");
    uint8_t bytes[16] = {0};
    put_u64(bytes, UINT64_MAX);
    const char *message = open_invalid_bytes(dir, bytes, sizeof bytes);
    assert_contains(message, BAD_FILE);
    assert_contains(message, "18446744073709551615");
}

static void header_past_end(void **state)
{
    const char *dir = hs_test_tmpdir("st-past-end");
    uint8_t bytes[18];
    memset(bytes, ' ', sizeof bytes);
    put_u64(bytes, 64);
    bytes[8] = '{';
    bytes[9] = '}';
    const char *message = open_invalid_bytes(dir, bytes, sizeof bytes);
    assert_contains(message, BAD_FILE);
    assert_contains(message, "header length 64");
    assert_contains(message, "18 bytes");
}

static void header_not_json(void **state)
{
    const char *dir = hs_test_tmpdir("st-not-json");
    const char *message = open_invalid(dir, "{\"a\": {\"dtype\": ", 0);
    assert_contains(message, BAD_FILE);
    assert_contains(message, "not valid JSON");
    assert_contains(message, "16 bytes");
}

static void header_empty(void **state)
{
    const char *dir = hs_test_tmpdir("st-empty-header");
    uint8_t bytes[8] = {0};
    const char *message = open_invalid_bytes(dir, bytes, sizeof bytes);
    assert_contains(message, BAD_FILE);
    assert_contains(message, "0 bytes");
}

static void header_array(void **state)
{
    const char *dir = hs_test_tmpdir("st-array");
    const char *message = open_invalid(dir, "[1, 2]", 0);
    assert_contains(message, BAD_FILE);
    assert_contains(message, "array");
    assert_contains(message, "object");
}

static void header_string(void **state)
{
    const char *dir = hs_test_tmpdir("st-string");
    const char *message = open_invalid(dir, "\"tensors\"", 0);
    assert_contains(message, BAD_FILE);
    assert_contains(message, "string");
    assert_contains(message, "object");
}

/* ---- header entries ----------------------------------------------------- */

static void entry_not_object(void **state)
{
    const char *dir = hs_test_tmpdir("st-entry");
    const char *message = open_invalid(dir, "{\"w\": [1, 2]}", 0);
    assert_contains(message, BAD_FILE);
    assert_contains(message, "tensor 'w'");
    assert_contains(message, "not a JSON object");
}

static void dtype_unknown_f8(void **state)
{
    const char *dir = hs_test_tmpdir("st-f8");
    const char *message = open_invalid(
        dir, "{\"w\": {\"dtype\": \"F8_E4M3\", \"shape\": [2], \"data_offsets\": [0, 2]}}", 2);
    assert_contains(message, BAD_FILE);
    assert_contains(message, "tensor 'w'");
    assert_contains(message, "'F8_E4M3'");
    assert_contains(message, "BF16");
}

static void dtype_unknown_q4(void **state)
{
    const char *dir = hs_test_tmpdir("st-q4");
    const char *message = open_invalid(
        dir, "{\"w\": {\"dtype\": \"Q4\", \"shape\": [2], \"data_offsets\": [0, 1]}}", 1);
    assert_contains(message, BAD_FILE);
    assert_contains(message, "tensor 'w'");
    assert_contains(message, "'Q4'");
}

static void dtype_missing(void **state)
{
    const char *dir = hs_test_tmpdir("st-no-dtype");
    const char *message =
        open_invalid(dir, "{\"w\": {\"shape\": [2], \"data_offsets\": [0, 8]}}", 8);
    assert_contains(message, BAD_FILE);
    assert_contains(message, "tensor 'w'");
    assert_contains(message, "missing dtype");
}

static void dtype_not_string(void **state)
{
    const char *dir = hs_test_tmpdir("st-dtype-number");
    const char *message =
        open_invalid(dir, "{\"w\": {\"dtype\": 32, \"shape\": [2], \"data_offsets\": [0, 8]}}", 8);
    assert_contains(message, BAD_FILE);
    assert_contains(message, "tensor 'w'");
    assert_contains(message, "dtype must be a string");
}

static void shape_missing(void **state)
{
    const char *dir = hs_test_tmpdir("st-no-shape");
    const char *message =
        open_invalid(dir, "{\"w\": {\"dtype\": \"F32\", \"data_offsets\": [0, 8]}}", 8);
    assert_contains(message, BAD_FILE);
    assert_contains(message, "tensor 'w'");
    assert_contains(message, "missing shape");
}

static void offsets_missing(void **state)
{
    const char *dir = hs_test_tmpdir("st-no-offsets");
    const char *message = open_invalid(dir, "{\"w\": {\"dtype\": \"F32\", \"shape\": [2]}}", 8);
    assert_contains(message, BAD_FILE);
    assert_contains(message, "tensor 'w'");
    assert_contains(message, "missing data_offsets");
}

static void shape_negative(void **state)
{
    const char *dir = hs_test_tmpdir("st-negative");
    const char *message = open_invalid(
        dir, "{\"w\": {\"dtype\": \"F32\", \"shape\": [2, -3], \"data_offsets\": [0, 8]}}", 8);
    assert_contains(message, BAD_FILE);
    assert_contains(message, "tensor 'w'");
    assert_contains(message, "dimension 1");
    assert_contains(message, "-3");
}

static void shape_fractional(void **state)
{
    const char *dir = hs_test_tmpdir("st-fraction");
    const char *message = open_invalid(
        dir, "{\"w\": {\"dtype\": \"F32\", \"shape\": [1.5], \"data_offsets\": [0, 8]}}", 8);
    assert_contains(message, BAD_FILE);
    assert_contains(message, "tensor 'w'");
    assert_contains(message, "dimension 0");
    assert_contains(message, "1.5");
}

static void shape_not_number(void **state)
{
    const char *dir = hs_test_tmpdir("st-shape-text");
    const char *message = open_invalid(
        dir, "{\"w\": {\"dtype\": \"F32\", \"shape\": [\"2\"], \"data_offsets\": [0, 8]}}", 8);
    assert_contains(message, BAD_FILE);
    assert_contains(message, "tensor 'w'");
    assert_contains(message, "dimension 0");
    assert_contains(message, "\"2\"");
}

static void shape_not_array(void **state)
{
    const char *dir = hs_test_tmpdir("st-shape-scalar");
    const char *message = open_invalid(
        dir, "{\"w\": {\"dtype\": \"F32\", \"shape\": 2, \"data_offsets\": [0, 8]}}", 8);
    assert_contains(message, BAD_FILE);
    assert_contains(message, "tensor 'w'");
    assert_contains(message, "shape");
}

static void shape_nine_dims(void **state)
{
    const char *dir = hs_test_tmpdir("st-nine-dims");
    const char *message = open_invalid(dir,
                                       "{\"w\": {\"dtype\": \"F32\", \"shape\": [1, 1, 1, 1, "
                                       "1, 1, 1, 1, 1], \"data_offsets\": [0, 4]}}",
                                       4);
    assert_contains(message, BAD_FILE);
    assert_contains(message, "tensor 'w'");
    assert_contains(message, "9 dimensions");
    assert_contains(message, "8");
}

static void shape_eight_dims(void **state)
{
    const char *dir = hs_test_tmpdir("st-eight-dims");
    const char *path = path_in(dir, "eight.safetensors");
    const float value = 2.5f;
    write_raw(path,
              "{\"w\": {\"dtype\": \"F32\", \"shape\": [1, 1, 1, 1, 1, 1, 1, 1], "
              "\"data_offsets\": [0, 4]}}",
              0, &value, sizeof value);
    hs_safetensors *file = hs_safetensors_open(path);
    if (!file)
        fail_msg("%s", hs_error_message());
    const hs_tensor *t = hs_safetensors_find(file, "w");
    assert_non_null(t);
    assert_int_equal(t->ndim, 8);
    assert_int_equal(t->count, 1);
    hs_safetensors_close(file);
}

static void shape_overflow(void **state)
{
    const char *dir = hs_test_tmpdir("st-overflow");
    const char *message = open_invalid(dir,
                                       "{\"w\": {\"dtype\": \"F32\", \"shape\": [4294967296, "
                                       "4294967296, 16], \"data_offsets\": [0, 0]}}",
                                       0);
    assert_contains(message, BAD_FILE);
    assert_contains(message, "tensor 'w'");
    assert_contains(message, "[4294967296, 4294967296, 16]");
    assert_contains(message, "overflows");
}

static void byte_size_overflow(void **state)
{
    /* 2^62 elements fit in 64 bits, but 2^62 x 4 bytes do not. */
    const char *dir = hs_test_tmpdir("st-byte-overflow");
    const char *message = open_invalid(dir,
                                       "{\"w\": {\"dtype\": \"F32\", \"shape\": [2147483648, "
                                       "2147483648], \"data_offsets\": [0, 0]}}",
                                       0);
    assert_contains(message, BAD_FILE);
    assert_contains(message, "tensor 'w'");
    assert_contains(message, "[2147483648, 2147483648]");
    assert_contains(message, "overflows");
}

static void offsets_reversed(void **state)
{
    const char *dir = hs_test_tmpdir("st-reversed");
    const char *message = open_invalid(
        dir, "{\"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [8, 4]}}", 8);
    assert_contains(message, BAD_FILE);
    assert_contains(message, "tensor 'w'");
    assert_contains(message, "[8, 4]");
}

static void offsets_past_data(void **state)
{
    const char *dir = hs_test_tmpdir("st-past-data");
    const char *message = open_invalid(
        dir, "{\"w\": {\"dtype\": \"F32\", \"shape\": [16], \"data_offsets\": [0, 64]}}", 16);
    assert_contains(message, BAD_FILE);
    assert_contains(message, "tensor 'w'");
    assert_contains(message, "[0, 64]");
    assert_contains(message, "16 bytes");
}

static void offsets_negative(void **state)
{
    const char *dir = hs_test_tmpdir("st-offsets-negative");
    const char *message = open_invalid(
        dir, "{\"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [-4, 0]}}", 8);
    assert_contains(message, BAD_FILE);
    assert_contains(message, "tensor 'w'");
    assert_contains(message, "[-4, 0]");
}

static void offsets_three_values(void **state)
{
    const char *dir = hs_test_tmpdir("st-offsets-three");
    const char *message = open_invalid(
        dir, "{\"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4, 8]}}", 8);
    assert_contains(message, BAD_FILE);
    assert_contains(message, "tensor 'w'");
    assert_contains(message, "[0, 4, 8]");
}

static void offsets_wrong_size(void **state)
{
    const char *dir = hs_test_tmpdir("st-wrong-size");
    const char *message = open_invalid(
        dir, "{\"w\": {\"dtype\": \"F32\", \"shape\": [2, 2], \"data_offsets\": [0, 12]}}", 16);
    assert_contains(message, BAD_FILE);
    assert_contains(message, "tensor 'w'");
    assert_contains(message, "12 bytes");
    assert_contains(message, "[2, 2]");
    assert_contains(message, "16");
}

static void tensors_overlap(void **state)
{
    const char *dir = hs_test_tmpdir("st-overlap");
    const char *message = open_invalid(dir,
                                       "{\"a\": {\"dtype\": \"F32\", \"shape\": [2], "
                                       "\"data_offsets\": [0, 8]}, \"b\": {\"dtype\": \"F32\", "
                                       "\"shape\": [2], \"data_offsets\": [4, 12]}}",
                                       12);
    assert_contains(message, BAD_FILE);
    assert_contains(message, "'a' [0, 8]");
    assert_contains(message, "'b' [4, 12]");
    assert_contains(message, "overlap");
}

static void overlap_past_empty(void **state)
{
    /* 'inner' lies inside 'outer'; the empty tensor sorted between them
     * must not hide the overlap. */
    const char *dir = hs_test_tmpdir("st-overlap-empty");
    const char *message = open_invalid(dir,
                                       "{\"outer\": {\"dtype\": \"F32\", \"shape\": [4], "
                                       "\"data_offsets\": [0, 16]}, \"empty\": {\"dtype\": "
                                       "\"F32\", \"shape\": [0], \"data_offsets\": [4, 4]}, "
                                       "\"inner\": {\"dtype\": \"F32\", \"shape\": [1], "
                                       "\"data_offsets\": [8, 12]}}",
                                       16);
    assert_contains(message, BAD_FILE);
    assert_contains(message, "'outer' [0, 16]");
    assert_contains(message, "'inner' [8, 12]");
    assert_contains(message, "overlap");
}

static void overlap_nested_chain(void **state)
{
    /* 'c' overlaps 'a' but not its neighbour 'b' in offset order. */
    const char *dir = hs_test_tmpdir("st-overlap-chain");
    const char *message = open_invalid(dir,
                                       "{\"a\": {\"dtype\": \"U8\", \"shape\": [16], "
                                       "\"data_offsets\": [0, 16]}, \"b\": {\"dtype\": \"U8\", "
                                       "\"shape\": [2], \"data_offsets\": [1, 3]}, \"c\": "
                                       "{\"dtype\": \"U8\", \"shape\": [2], \"data_offsets\": "
                                       "[4, 6]}}",
                                       16);
    assert_contains(message, BAD_FILE);
    assert_contains(message, "overlap");
}

static void name_twice_adjacent(void **state)
{
    const char *dir = hs_test_tmpdir("st-twice");
    const char *message = open_invalid(dir,
                                       "{\"w\": {\"dtype\": \"F32\", \"shape\": [1], "
                                       "\"data_offsets\": [0, 4]}, \"w\": {\"dtype\": \"F32\", "
                                       "\"shape\": [1], \"data_offsets\": [4, 8]}}",
                                       8);
    assert_contains(message, BAD_FILE);
    assert_contains(message, "tensor 'w'");
    assert_contains(message, "twice");
}

static void name_twice_apart(void **state)
{
    /* In offset order the two 'w' entries are not neighbours. */
    const char *dir = hs_test_tmpdir("st-twice-apart");
    const char *message = open_invalid(dir,
                                       "{\"w\": {\"dtype\": \"F32\", \"shape\": [1], "
                                       "\"data_offsets\": [0, 4]}, \"x\": {\"dtype\": \"F32\", "
                                       "\"shape\": [1], \"data_offsets\": [4, 8]}, \"w\": "
                                       "{\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": "
                                       "[8, 12]}}",
                                       12);
    assert_contains(message, BAD_FILE);
    assert_contains(message, "tensor 'w'");
    assert_contains(message, "twice");
}

static void metadata_not_object(void **state)
{
    const char *dir = hs_test_tmpdir("st-meta-string");
    const char *message = open_invalid(dir, "{\"__metadata__\": \"pt\"}", 0);
    assert_contains(message, BAD_FILE);
    assert_contains(message, "__metadata__");
    assert_contains(message, "not a JSON object");
}

static void metadata_number_value(void **state)
{
    const char *dir = hs_test_tmpdir("st-meta-number");
    const char *message =
        open_invalid(dir, "{\"__metadata__\": {\"format\": \"pt\", \"step\": 12}}", 0);
    assert_contains(message, BAD_FILE);
    assert_contains(message, "__metadata__");
    assert_contains(message, "'step'");
    assert_contains(message, "not a string");
}

static void metadata_twice(void **state)
{
    const char *dir = hs_test_tmpdir("st-meta-twice");
    const char *message = open_invalid(
        dir, "{\"__metadata__\": {\"a\": \"1\"}, \"__metadata__\": {\"b\": \"2\"}}", 0);
    assert_contains(message, BAD_FILE);
    assert_contains(message, "__metadata__");
    assert_contains(message, "twice");
}

/* ---- valid files -------------------------------------------------------- */

static void write_round_trip(void **state)
{
    const char *dir = hs_test_tmpdir("st-round-trip");
    const char *path = path_in(dir, "all.safetensors");
    const float f32[6] = {1.0f, -2.5f, 3.25f, 0.0f, 1e-3f, -65504.0f};
    const uint16_t f16[4] = {0x3c00, 0xc000, 0x7bff, 0x0001}; /* 1, -2, 65504, 2^-24 */
    const uint16_t bf16[3] = {0x3f80, 0xc0a0, 0x0000};        /* 1, -5, 0 */
    const int64_t i64[2] = {-7, 1099511627776LL};
    const hs_tensor_write tensors[] = {
        {"w.f32", HS_DTYPE_F32, 2, {2, 3}, f32},
        {"w.f16", HS_DTYPE_F16, 1, {4}, f16},
        {"w.bf16", HS_DTYPE_BF16, 3, {1, 3, 1}, bf16},
        {"ids", HS_DTYPE_I64, 1, {2}, i64},
    };
    const char *metadata[] = {"format", "pt", "note", "tiny \"quoted\" text"};
    assert_int_equal(hs_safetensors_write(path, tensors, 4, metadata, 2), 0);

    hs_safetensors *file = hs_safetensors_open(path);
    if (!file)
        fail_msg("%s", hs_error_message());
    assert_string_equal(hs_safetensors_path(file), path);
    assert_int_equal(hs_safetensors_count(file), 4);
    assert_string_equal(hs_safetensors_metadata(file, "format"), "pt");
    assert_string_equal(hs_safetensors_metadata(file, "note"), "tiny \"quoted\" text");
    assert_null(hs_safetensors_metadata(file, "absent"));
    assert_null(hs_safetensors_find(file, "absent"));

    /* Tensors come back in offset order, which is the written order. */
    for (size_t i = 0; i < 4; i++)
        assert_string_equal(hs_safetensors_at(file, i)->name, tensors[i].name);

    const hs_tensor *t = hs_safetensors_find(file, "w.f32");
    assert_non_null(t);
    assert_int_equal(t->dtype, HS_DTYPE_F32);
    assert_int_equal(t->ndim, 2);
    assert_int_equal(t->shape[0], 2);
    assert_int_equal(t->shape[1], 3);
    assert_int_equal(t->count, 6);
    assert_int_equal(t->nbytes, 24);
    assert_memory_equal(t->data, f32, sizeof f32);

    t = hs_safetensors_find(file, "w.f16");
    assert_non_null(t);
    assert_int_equal(t->dtype, HS_DTYPE_F16);
    assert_int_equal(t->count, 4);
    assert_int_equal(t->nbytes, 8);
    assert_memory_equal(t->data, f16, sizeof f16);
    float *values = hs_tensor_to_f32(t);
    assert_non_null(values);
    assert_true(values[0] == 1.0f);
    assert_true(values[1] == -2.0f);
    assert_true(values[2] == 65504.0f);
    assert_true(values[3] == ldexpf(1.0f, -24));
    free(values);

    t = hs_safetensors_find(file, "w.bf16");
    assert_non_null(t);
    assert_int_equal(t->dtype, HS_DTYPE_BF16);
    assert_int_equal(t->ndim, 3);
    assert_int_equal(t->shape[1], 3);
    values = hs_tensor_to_f32(t);
    assert_non_null(values);
    assert_true(values[0] == 1.0f);
    assert_true(values[1] == -5.0f);
    assert_true(values[2] == 0.0f);
    free(values);

    t = hs_safetensors_find(file, "ids");
    assert_non_null(t);
    assert_int_equal(t->dtype, HS_DTYPE_I64);
    assert_int_equal(t->nbytes, 16);
    int64_t ids[2];
    memcpy(ids, t->data, sizeof ids);
    assert_int_equal(ids[0], -7);
    assert_int_equal(ids[1], 1099511627776LL);
    values = hs_tensor_to_f32(t);
    assert_non_null(values);
    assert_true(values[0] == -7.0f);
    assert_true(values[1] == 1099511627776.0f);
    free(values);
    hs_safetensors_close(file);
}

static void write_aligns_data(void **state)
{
    const char *dir = hs_test_tmpdir("st-write-align");
    const char *path = path_in(dir, "one.safetensors");
    const float value = 4.0f;
    const hs_tensor_write tensor = {"x", HS_DTYPE_F32, 1, {1}, &value};
    assert_int_equal(hs_safetensors_write(path, &tensor, 1, NULL, 0), 0);

    size_t size = 0;
    char *bytes = hs_test_read_file(path, &size);
    assert_non_null(bytes);
    uint64_t header_length = 0;
    for (int i = 7; i >= 0; i--)
        header_length = header_length << 8 | (uint8_t)bytes[i];
    assert_int_equal(header_length % 8, 0);
    assert_int_equal(size, 8 + header_length + 4);
    free(bytes);
}

static void write_missing_folder(void **state)
{
    const char *dir = hs_test_tmpdir("st-write-missing");
    const float value = 1.0f;
    const hs_tensor_write tensor = {"x", HS_DTYPE_F32, 1, {1}, &value};
    char path[4300];
    snprintf(path, sizeof path, "%s/absent/out.safetensors", dir);
    assert_int_equal(hs_safetensors_write(path, &tensor, 1, NULL, 0), -1);
    assert_contains(hs_error_message(), "absent");
    assert_contains(hs_error_message(), "does not exist");
}

static void empty_header_object(void **state)
{
    const char *dir = hs_test_tmpdir("st-no-tensors");
    const char *path = path_in(dir, "none.safetensors");
    write_raw(path, "{}", 8, NULL, 0);
    hs_safetensors *file = hs_safetensors_open(path);
    if (!file)
        fail_msg("%s", hs_error_message());
    assert_int_equal(hs_safetensors_count(file), 0);
    assert_null(hs_safetensors_metadata(file, "format"));
    hs_safetensors_close(file);
}

static void zero_size_tensor(void **state)
{
    const char *dir = hs_test_tmpdir("st-zero-size");
    const char *path = path_in(dir, "zero.safetensors");
    const float after[2] = {7.0f, 8.0f};
    const hs_tensor_write tensors[] = {
        {"empty", HS_DTYPE_F32, 2, {0, 4}, NULL},
        {"after", HS_DTYPE_F32, 1, {2}, after},
    };
    assert_int_equal(hs_safetensors_write(path, tensors, 2, NULL, 0), 0);

    hs_safetensors *file = hs_safetensors_open(path);
    if (!file)
        fail_msg("%s", hs_error_message());
    const hs_tensor *t = hs_safetensors_find(file, "empty");
    assert_non_null(t);
    assert_int_equal(t->ndim, 2);
    assert_int_equal(t->shape[0], 0);
    assert_int_equal(t->shape[1], 4);
    assert_int_equal(t->count, 0);
    assert_int_equal(t->nbytes, 0);
    float *values = hs_tensor_to_f32(t);
    assert_non_null(values);
    free(values);

    t = hs_safetensors_find(file, "after");
    assert_non_null(t);
    values = hs_tensor_to_f32(t);
    assert_non_null(values);
    assert_true(values[0] == 7.0f);
    assert_true(values[1] == 8.0f);
    free(values);
    hs_safetensors_close(file);
}

static void scalar_tensor(void **state)
{
    const char *dir = hs_test_tmpdir("st-scalar");
    const char *path = path_in(dir, "scalar.safetensors");
    const double value = -0.125;
    write_raw(path, "{\"s\": {\"dtype\": \"F64\", \"shape\": [], \"data_offsets\": [0, 8]}}", 0,
              &value, sizeof value);
    hs_safetensors *file = hs_safetensors_open(path);
    if (!file)
        fail_msg("%s", hs_error_message());
    const hs_tensor *t = hs_safetensors_find(file, "s");
    assert_non_null(t);
    assert_int_equal(t->ndim, 0);
    assert_int_equal(t->count, 1);
    float *values = hs_tensor_to_f32(t);
    assert_non_null(values);
    assert_true(values[0] == -0.125f);
    free(values);
    hs_safetensors_close(file);
}

static void unaligned_data_section(void **state)
{
    /* A header of 8k + 3 bytes puts the data section at an odd file offset,
     * so the F32 and F16 values are not aligned in the mapping. */
    const char *dir = hs_test_tmpdir("st-unaligned");
    const char *path = path_in(dir, "odd.safetensors");
    const float f32[5] = {1.5f, -2.0f, 3.0e-8f, 1e30f, -0.0f};
    const uint16_t f16[3] = {0x3555, 0xbc00, 0x7c00}; /* 0.333, -1, inf */
    uint8_t data[26];
    memcpy(data, f32, sizeof f32);
    memcpy(data + 20, f16, sizeof f16);
    const char *header = "{\"a\": {\"dtype\": \"F32\", \"shape\": [5], \"data_offsets\": [0, "
                         "20]}, \"h\": {\"dtype\": \"F16\", \"shape\": [3], "
                         "\"data_offsets\": [20, 26]}}";
    size_t header_size = (strlen(header) + 7) / 8 * 8 + 3;
    write_raw(path, header, header_size, data, sizeof data);

    hs_safetensors *file = hs_safetensors_open(path);
    if (!file)
        fail_msg("%s", hs_error_message());
    const hs_tensor *t = hs_safetensors_find(file, "a");
    assert_non_null(t);
    assert_int_not_equal((uintptr_t)t->data % sizeof(float), 0);
    float *values = hs_tensor_to_f32(t);
    assert_non_null(values);
    for (int i = 0; i < 5; i++)
        assert_memory_equal(&values[i], &f32[i], sizeof(float));
    free(values);

    t = hs_safetensors_find(file, "h");
    assert_non_null(t);
    values = hs_tensor_to_f32(t);
    assert_non_null(values);
    assert_float_equal(values[0], 0.333252f, 1e-6f);
    assert_true(values[1] == -1.0f);
    assert_true(isinf(values[2]));
    assert_true(values[2] > 0.0f);
    free(values);
    hs_safetensors_close(file);
}

static void gap_between_tensors(void **state)
{
    /* Unused bytes between tensors are allowed; only overlaps are not. */
    const char *dir = hs_test_tmpdir("st-gap");
    const char *path = path_in(dir, "gap.safetensors");
    const uint8_t data[12] = {1, 2, 3, 4, 0, 0, 0, 0, 9, 8, 7, 6};
    write_raw(path,
              "{\"a\": {\"dtype\": \"U8\", \"shape\": [4], \"data_offsets\": [0, 4]}, \"b\": "
              "{\"dtype\": \"I8\", \"shape\": [4], \"data_offsets\": [8, 12]}}",
              0, data, sizeof data);
    hs_safetensors *file = hs_safetensors_open(path);
    if (!file)
        fail_msg("%s", hs_error_message());
    const hs_tensor *t = hs_safetensors_find(file, "b");
    assert_non_null(t);
    assert_memory_equal(t->data, data + 8, 4);
    hs_safetensors_close(file);
}

/* ---- half precision ----------------------------------------------------- */

static void f16_special_values(void **state)
{
    assert_true(hs_f16_to_f32(0x3c00) == 1.0f);
    assert_true(hs_f16_to_f32(0xc000) == -2.0f);
    assert_true(hs_f16_to_f32(0x7bff) == 65504.0f);
    assert_true(hs_f16_to_f32(0x0400) == ldexpf(1.0f, -14));

    /* Subnormals: mantissa x 2^-24. */
    assert_true(hs_f16_to_f32(0x0001) == ldexpf(1.0f, -24));
    assert_true(hs_f16_to_f32(0x03ff) == ldexpf(1023.0f, -24));
    assert_true(hs_f16_to_f32(0x8001) == -ldexpf(1.0f, -24));

    float zero = hs_f16_to_f32(0x8000);
    assert_true(zero == 0.0f);
    assert_true(signbit(zero));
    assert_false(signbit(hs_f16_to_f32(0x0000)));

    float inf = hs_f16_to_f32(0x7c00);
    assert_true(isinf(inf));
    assert_true(inf > 0.0f);
    float minus_inf = hs_f16_to_f32(0xfc00);
    assert_true(isinf(minus_inf));
    assert_true(minus_inf < 0.0f);
    assert_true(isnan(hs_f16_to_f32(0x7e00)));
    assert_true(isnan(hs_f16_to_f32(0x7c01)));
    assert_true(isnan(hs_f16_to_f32(0xfe00)));
}

static void f32_to_f16_rounding(void **state)
{
    assert_int_equal(hs_f32_to_f16(1.0f), 0x3c00);
    assert_int_equal(hs_f32_to_f16(-2.0f), 0xc000);
    assert_int_equal(hs_f32_to_f16(0.0f), 0x0000);
    assert_int_equal(hs_f32_to_f16(-0.0f), 0x8000);
    assert_int_equal(hs_f32_to_f16(65504.0f), 0x7bff);

    /* Ties go to the even mantissa: 1 + 2^-11 lies halfway between 0x3c00
     * and 0x3c01, 1 + 3 x 2^-11 halfway between 0x3c01 and 0x3c02. */
    assert_int_equal(hs_f32_to_f16(1.0f + ldexpf(1.0f, -11)), 0x3c00);
    assert_int_equal(hs_f32_to_f16(1.0f + 3.0f * ldexpf(1.0f, -11)), 0x3c02);
    assert_int_equal(hs_f32_to_f16(1.0f + ldexpf(1.0f, -11) + ldexpf(1.0f, -20)), 0x3c01);
    assert_int_equal(hs_f32_to_f16(1.0f + ldexpf(1.0f, -12)), 0x3c00);

    /* Rounding up may carry into the exponent, and past 65504 to infinity. */
    assert_int_equal(hs_f32_to_f16(2.0f - ldexpf(1.0f, -12)), 0x4000);
    assert_int_equal(hs_f32_to_f16(65519.0f), 0x7bff);
    assert_int_equal(hs_f32_to_f16(65520.0f), 0x7c00);
    assert_int_equal(hs_f32_to_f16(1e10f), 0x7c00);
    assert_int_equal(hs_f32_to_f16(-1e10f), 0xfc00);
}

static void f32_to_f16_subnormals(void **state)
{
    assert_int_equal(hs_f32_to_f16(ldexpf(1.0f, -24)), 0x0001);
    assert_int_equal(hs_f32_to_f16(ldexpf(1023.0f, -24)), 0x03ff);
    assert_int_equal(hs_f32_to_f16(ldexpf(1.0f, -14)), 0x0400);
    assert_int_equal(hs_f32_to_f16(-ldexpf(5.0f, -24)), 0x8005);

    /* 2^-25 is halfway between 0 and the smallest subnormal: even is 0. */
    assert_int_equal(hs_f32_to_f16(ldexpf(1.0f, -25)), 0x0000);
    assert_int_equal(hs_f32_to_f16(nextafterf(ldexpf(1.0f, -25), 1.0f)), 0x0001);
    assert_int_equal(hs_f32_to_f16(ldexpf(1.0f, -26)), 0x0000);
    assert_int_equal(hs_f32_to_f16(-ldexpf(1.0f, -26)), 0x8000);
    assert_int_equal(hs_f32_to_f16(ldexpf(1.0f, -140)), 0x0000);

    /* 1.5 and 2.5 units: ties to 2 both times. */
    assert_int_equal(hs_f32_to_f16(ldexpf(3.0f, -25)), 0x0002);
    assert_int_equal(hs_f32_to_f16(ldexpf(5.0f, -25)), 0x0002);

    /* Halfway between the largest subnormal and the smallest normal. */
    assert_int_equal(hs_f32_to_f16(ldexpf(2047.0f, -25)), 0x0400);
}

static void f32_to_f16_specials(void **state)
{
    assert_int_equal(hs_f32_to_f16(INFINITY), 0x7c00);
    assert_int_equal(hs_f32_to_f16(-INFINITY), 0xfc00);
    uint16_t nan = hs_f32_to_f16(NAN);
    assert_int_equal(nan & 0x7c00, 0x7c00);
    assert_int_not_equal(nan & 0x03ff, 0);
    assert_true(isnan(hs_f16_to_f32(nan)));

    /* A NaN whose payload lives only in the low bits must stay a NaN. */
    uint32_t bits = 0x7f800001u;
    float low_nan;
    memcpy(&low_nan, &bits, sizeof low_nan);
    assert_true(isnan(hs_f16_to_f32(hs_f32_to_f16(low_nan))));
}

static void f16_round_trip_all(void **state)
{
    int mismatches = 0;
    for (uint32_t h = 0; h <= 0xffff; h++) {
        float value = hs_f16_to_f32((uint16_t)h);
        if (isnan(value)) {
            mismatches += !isnan(hs_f16_to_f32(hs_f32_to_f16(value)));
            continue;
        }
        if (hs_f32_to_f16(value) != h) {
            if (mismatches == 0)
                print_error("0x%04x -> %g -> 0x%04x\n", h, value, hs_f32_to_f16(value));
            mismatches++;
        }
    }
    assert_int_equal(mismatches, 0);
}

static void bf16_values(void **state)
{
    assert_true(hs_bf16_to_f32(0x3f80) == 1.0f);
    assert_true(hs_bf16_to_f32(0xc0a0) == -5.0f);
    assert_true(hs_bf16_to_f32(0x3e80) == 0.25f);
    assert_true(hs_bf16_to_f32(0x7f7f) == 0x1.fep127f);
    assert_true(hs_bf16_to_f32(0x0001) == ldexpf(1.0f, -133));

    float zero = hs_bf16_to_f32(0x8000);
    assert_true(zero == 0.0f);
    assert_true(signbit(zero));
    float inf = hs_bf16_to_f32(0x7f80);
    assert_true(isinf(inf));
    assert_true(inf > 0.0f);
    float minus_inf = hs_bf16_to_f32(0xff80);
    assert_true(isinf(minus_inf));
    assert_true(minus_inf < 0.0f);
    assert_true(isnan(hs_bf16_to_f32(0x7fc0)));
    assert_true(isnan(hs_bf16_to_f32(0x7f81)));
}

static void dtype_names_sizes(void **state)
{
    assert_string_equal(hs_dtype_name(HS_DTYPE_F32), "F32");
    assert_string_equal(hs_dtype_name(HS_DTYPE_BF16), "BF16");
    assert_string_equal(hs_dtype_name(HS_DTYPE_BOOL), "BOOL");
    assert_int_equal(hs_dtype_size(HS_DTYPE_F64), 8);
    assert_int_equal(hs_dtype_size(HS_DTYPE_F16), 2);
    assert_int_equal(hs_dtype_size(HS_DTYPE_U8), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(file_shorter_than_length),
        cmocka_unit_test(empty_file),
        cmocka_unit_test(missing_file),
        cmocka_unit_test(folder_not_file),
        cmocka_unit_test(fifo_not_file),
        cmocka_unit_test(broken_symlink),
        cmocka_unit_test(header_over_limit),
        cmocka_unit_test(header_length_max_u64),
        cmocka_unit_test(header_past_end),
        cmocka_unit_test(header_not_json),
        cmocka_unit_test(header_empty),
        cmocka_unit_test(header_array),
        cmocka_unit_test(header_string),
        cmocka_unit_test(entry_not_object),
        cmocka_unit_test(dtype_unknown_f8),
        cmocka_unit_test(dtype_unknown_q4),
        cmocka_unit_test(dtype_missing),
        cmocka_unit_test(dtype_not_string),
        cmocka_unit_test(shape_missing),
        cmocka_unit_test(offsets_missing),
        cmocka_unit_test(shape_negative),
        cmocka_unit_test(shape_fractional),
        cmocka_unit_test(shape_not_number),
        cmocka_unit_test(shape_not_array),
        cmocka_unit_test(shape_nine_dims),
        cmocka_unit_test(shape_eight_dims),
        cmocka_unit_test(shape_overflow),
        cmocka_unit_test(byte_size_overflow),
        cmocka_unit_test(offsets_reversed),
        cmocka_unit_test(offsets_past_data),
        cmocka_unit_test(offsets_negative),
        cmocka_unit_test(offsets_three_values),
        cmocka_unit_test(offsets_wrong_size),
        cmocka_unit_test(tensors_overlap),
        cmocka_unit_test(overlap_past_empty),
        cmocka_unit_test(overlap_nested_chain),
        cmocka_unit_test(name_twice_adjacent),
        cmocka_unit_test(name_twice_apart),
        cmocka_unit_test(metadata_not_object),
        cmocka_unit_test(metadata_number_value),
        cmocka_unit_test(metadata_twice),
        cmocka_unit_test(write_round_trip),
        cmocka_unit_test(write_aligns_data),
        cmocka_unit_test(write_missing_folder),
        cmocka_unit_test(empty_header_object),
        cmocka_unit_test(zero_size_tensor),
        cmocka_unit_test(scalar_tensor),
        cmocka_unit_test(unaligned_data_section),
        cmocka_unit_test(gap_between_tensors),
        cmocka_unit_test(f16_special_values),
        cmocka_unit_test(f32_to_f16_rounding),
        cmocka_unit_test(f32_to_f16_subnormals),
        cmocka_unit_test(f32_to_f16_specials),
        cmocka_unit_test(f16_round_trip_all),
        cmocka_unit_test(bf16_values),
        cmocka_unit_test(dtype_names_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
