/*
 * cli.c - helpers shared by the subcommands: errors, text input, model
 * loading and token id lists.
 */
#include "cli.h"

#include "hs_error.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
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
    static int stdin_used; /* standard input can be read only once per process */
    out->data = NULL;
    out->length = 0;
    if (strcmp(arg, "-") == 0) {
        if (stdin_used) {
            hs_cli_fail("%s: standard input was already read for another text; only one "
                        "text can be '-'", what);
            return -1;
        }
        stdin_used = 1;
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
    /* Digits only: strtol alone would also take leading spaces and a sign. */
    if (!isdigit((unsigned char)arg[0]) || errno || *end != '\0' || value > INT_MAX) {
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
        if (!isdigit((unsigned char)p[0]) || errno || value > INT32_MAX || bad_end) {
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
    if (pair && hs_model_config(model)->arch != HS_ARCH_BERT) {
        hs_cli_fail("--pair: sentence pairs are for BERT models; %s is a %s model",
                    hs_model_name(model), hs_model_config(model)->model_type);
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

/* Appends a TEXT or FILE argument. Returns 0, or -1 after printing an error
 * when the command takes no more of them. */
static int add_positional(hs_cli_options *o, int max_positional, const char *command,
                          const char *arg)
{
    if (o->positional_count >= max_positional ||
        o->positional_count == (int)(sizeof o->positional / sizeof o->positional[0])) {
        hs_cli_usage_fail(command, "unexpected argument '%s'", arg);
        return -1;
    }
    o->positional[o->positional_count++] = arg;
    return 0;
}

int hs_cli_parse_options(int argc, char **argv, const int *allowed, int max_positional,
                         hs_cli_options *o)
{
    static const struct option long_options[] = {
        {"model", required_argument, NULL, HS_OPT_MODEL},
        {"pair", required_argument, NULL, HS_OPT_PAIR},
        {"ids", required_argument, NULL, HS_OPT_IDS},
        {"out", required_argument, NULL, HS_OPT_OUT},
        {"values", required_argument, NULL, HS_OPT_VALUES},
        {"layer", required_argument, NULL, HS_OPT_LAYER},
        {"head", required_argument, NULL, HS_OPT_HEAD},
        {"cmap", required_argument, NULL, HS_OPT_CMAP},
        {"bos", no_argument, NULL, HS_OPT_BOS},
        {"no-bos", no_argument, NULL, HS_OPT_NO_BOS},
        {"a", required_argument, NULL, HS_OPT_A},
        {"b", required_argument, NULL, HS_OPT_B},
        {"word", required_argument, NULL, HS_OPT_WORD},
        {"word-b", required_argument, NULL, HS_OPT_WORD_B},
        {"top", required_argument, NULL, HS_OPT_TOP},
        {"json", no_argument, NULL, HS_OPT_JSON},
        {"aggregate", required_argument, NULL, HS_OPT_AGGREGATE},
        {"scale", required_argument, NULL, HS_OPT_SCALE},
        {"help", no_argument, NULL, HS_OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    const char *command = argv[0];
    memset(o, 0, sizeof *o);
    o->layer = o->head = o->top = o->bos = -1;
    o->colormap = HS_COLORMAP_VIRIDIS;
    optind = 1;
    opterr = 0;
    for (;;) {
        int index = optind;
        int c = getopt_long(argc, argv, "-h", long_options, NULL);
        if (c == -1)
            break;
        if (c == 1) {
            if (add_positional(o, max_positional, command, optarg) != 0)
                return -1;
            continue;
        }
        if (c == 'h' || c == HS_OPT_HELP) {
            o->help = 1;
            continue;
        }
        int known = 0;
        for (int i = 0; allowed[i]; i++)
            known |= allowed[i] == c;
        if (c == '?' || c == ':' || !known) {
            const char *arg = index < argc ? argv[index] : "?";
            /* optopt is a long option's id when its value is missing, and the
             * character of an unknown short option such as '-5'. */
            if (c == ':' || (c == '?' && optopt >= HS_OPT_MODEL))
                hs_cli_usage_fail(command, "option '%s' needs a value", arg);
            else if (arg[0] == '-' && arg[1] != '-')
                hs_cli_usage_fail(command,
                                  "unknown option '%s'; text that starts with '-' goes after "
                                  "'--', or through standard input as '-'",
                                  arg);
            else
                hs_cli_usage_fail(command, "unknown option '%s'", arg);
            return -1;
        }
        switch ((hs_cli_option)c) {
        case HS_OPT_MODEL:
            o->model = optarg;
            break;
        case HS_OPT_PAIR:
            o->pair = optarg;
            break;
        case HS_OPT_IDS:
            o->ids = optarg;
            break;
        case HS_OPT_OUT:
            o->out = optarg;
            break;
        case HS_OPT_VALUES:
            o->values = optarg;
            break;
        case HS_OPT_A:
            o->a = optarg;
            break;
        case HS_OPT_B:
            o->b = optarg;
            break;
        case HS_OPT_WORD:
            o->word = optarg;
            break;
        case HS_OPT_WORD_B:
            o->word_b = optarg;
            break;
        case HS_OPT_LAYER:
            if (hs_cli_parse_int(optarg, "--layer", &o->layer) != 0)
                return -1;
            break;
        case HS_OPT_HEAD:
            if (hs_cli_parse_int(optarg, "--head", &o->head) != 0)
                return -1;
            break;
        case HS_OPT_TOP:
            if (hs_cli_parse_int(optarg, "--top", &o->top) != 0)
                return -1;
            break;
        case HS_OPT_CMAP:
            if (hs_colormap_from_name(optarg, &o->colormap) != 0) {
                hs_cli_fail("--cmap: %s", hs_error_message());
                return -1;
            }
            break;
        case HS_OPT_BOS:
            o->bos = 1;
            break;
        case HS_OPT_NO_BOS:
            o->bos = 0;
            break;
        case HS_OPT_JSON:
            o->json = 1;
            break;
        case HS_OPT_AGGREGATE:
            o->aggregate = optarg;
            break;
        case HS_OPT_SCALE:
            if (strcmp(optarg, "max") == 0 || strcmp(optarg, "1") == 0) {
                o->scale_to_max = optarg[0] == 'm';
            } else {
                hs_cli_fail("--scale: '%s' is not 1 or max", optarg);
                return -1;
            }
            break;
        case HS_OPT_HELP:
            break;
        }
    }
    /* Arguments after '--' are positional, whatever they start with. */
    for (; optind < argc; optind++)
        if (add_positional(o, max_positional, command, argv[optind]) != 0)
            return -1;
    return 0;
}
