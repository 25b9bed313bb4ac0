/*
 * cli.c - helpers shared by the subcommands: errors, text input, model
 * loading and token id lists.
 */
#include "cli.h"

#include "hs_error.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int hs_cli_fail(const char *fmt, ...)
{
    va_list args;
    fputs("headscope: ", stderr);
    va_start(args, fmt);
    vfprintf(stderr, fmt, args);
    va_end(args);
    fputc('\n', stderr);
    return 1;
}

int hs_cli_usage_fail(const char *command, const char *fmt, ...)
{
    va_list args;
    fputs("headscope: ", stderr);
    va_start(args, fmt);
    vfprintf(stderr, fmt, args);
    va_end(args);
    fprintf(stderr, "; see 'headscope %s --help'\n", command);
    return 1;
}

static char *read_stream(FILE *stream, size_t *length)
{
    size_t capacity = 4096, used = 0;
    char *data = malloc(capacity);
    while (data) {
        size_t got = fread(data + used, 1, capacity - used - 1, stream);
        used += got;
        if (got == 0)
            break;
        if (capacity - used < 2) {
            char *grown = realloc(data, capacity * 2);
            if (!grown) {
                free(data);
                return NULL;
            }
            data = grown;
            capacity *= 2;
        }
    }
    if (!data)
        return NULL;
    data[used] = '\0';
    *length = used;
    return data;
}

int hs_cli_read_text(const char *arg, const char *what, hs_cli_text *out)
{
    out->data = NULL;
    out->length = 0;
    if (strcmp(arg, "-") == 0) {
        out->data = read_stream(stdin, &out->length);
        if (!out->data)
        {
            hs_cli_fail("%s: cannot read standard input", what);
            return -1;
        }
    } else {
        out->data = strdup(arg);
        out->length = strlen(arg);
    }
    long bad = hs_utf8_invalid_offset(out->data, out->length);
    if (bad >= 0) {
        hs_cli_fail("%s: invalid UTF-8 at byte %ld (0x%02X)", what, bad,
                    (unsigned char)out->data[bad]);
        free(out->data);
        out->data = NULL;
        return -1;
    }
    return 0;
}

hs_model *hs_cli_load_model(const char *model_arg)
{
    const char *name = model_arg ? model_arg : hs_demo_model_dir();
    hs_model *model = hs_model_load(name, NULL, NULL);
    if (!model) {
        if (!model_arg)
            hs_cli_fail("the bundled demo model did not load (%s); name a model with --model",
                        hs_error_message());
        else
            hs_cli_fail("%s", hs_error_message());
    }
    return model;
}

int hs_cli_parse_int(const char *arg, const char *option, int *out)
{
    char *end = NULL;
    errno = 0;
    long value = strtol(arg, &end, 10);
    if (errno || end == arg || *end != '\0' || value < 0 || value > INT_MAX) {
        hs_cli_fail("%s: '%s' is not a non-negative integer", option, arg);
        return -1;
    }
    *out = (int)value;
    return 0;
}

int hs_cli_parse_ids(const char *arg, int32_t **out)
{
    size_t capacity = 16;
    int count = 0;
    int32_t *ids = malloc(capacity * sizeof *ids);
    const char *p = arg;

    while (ids && *p) {
        char *end = NULL;
        errno = 0;
        long value = strtol(p, &end, 10);
        /* An id ends the list or is followed by a comma and another id. */
        int bad_end = *end != '\0' && (*end != ',' || end[1] == '\0');
        if (errno || end == p || value < 0 || value > INT32_MAX || bad_end) {
            hs_cli_fail("--ids: '%s' is not a comma-separated list of token ids", arg);
            free(ids);
            return -1;
        }
        if ((size_t)count == capacity) {
            int32_t *grown = realloc(ids, capacity * 2 * sizeof *ids);
            if (!grown)
                break;
            ids = grown;
            capacity *= 2;
        }
        ids[count++] = (int32_t)value;
        p = *end ? end + 1 : end;
    }
    if (count == 0) {
        hs_cli_fail("--ids: no token ids given");
        free(ids);
        return -1;
    }
    *out = ids;
    return count;
}

hs_encoding *hs_cli_encode(const hs_model *model, const hs_cli_text *text,
                           const hs_cli_text *pair, int bos)
{
    const hs_tokenizer *tok = hs_model_tokenizer(model);
    if (!tok) {
        hs_cli_fail("%s", hs_model_tokenizer_error(model));
        return NULL;
    }
    hs_encode_options options = {.add_special_tokens = 1, .bos = bos};
    hs_encoding *enc = hs_tokenizer_encode(tok, text->data, text->length,
                                           pair ? pair->data : NULL, pair ? pair->length : 0,
                                           &options);
    if (!enc) {
        hs_cli_fail("%s", hs_error_message());
        return NULL;
    }
    int max = hs_model_config(model)->max_positions;
    int total = enc->n;
    if (hs_encoding_truncate(enc, max))
        fprintf(stderr, "headscope: note: the input has %d tokens; it was cut to the model's "
                        "maximum of %d\n",
                total, max);
    return enc;
}
