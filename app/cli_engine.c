/*
 * cli_engine.c - the subcommands that expose the engine: info, tokenize, dump
 * and inspect. Output goes to stdout (JSON or text); errors to stderr.
 */
#include "cli.h"

#include "hs_error.h"
#include "hs_io.h"
#include "hs_safetensors.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char info_usage[] =
    "usage: headscope info [--model MODEL]\n"
    "Prints the architecture, layers, heads, hidden size, vocabulary size, dtype and\n"
    "parameter count of a model. MODEL is a folder or a Hugging Face hub name found\n"
    "in the local cache; without --model the bundled demo model is used.\n";

static const char tokenize_usage[] =
    "usage: headscope tokenize [--model MODEL] [--bos | --no-bos] TEXT [--pair TEXT]\n"
    "Prints the tokenization as JSON: ids, tokens (as the vocabulary spells them),\n"
    "labels (as headscope displays them), offsets (byte spans in the UTF-8 input) and,\n"
    "for BERT models, type_ids. TEXT '-' reads standard input. The folder may hold\n"
    "only tokenizer files. --pair is for BERT (WordPiece) tokenizers.\n";

static const char dump_usage[] =
    "usage: headscope dump [--model MODEL] [--bos | --no-bos] (TEXT [--pair TEXT] | --ids "
    "1,2,3)\n"
    "                      --out FILE.safetensors\n"
    "Runs the model and writes input_ids, token_type_ids (BERT), attentions.L [heads, n, n]\n"
    "for every layer L, hidden_states.I [n, d] for I = 0..layers and, for decoders,\n"
    "logits_last [vocab]. --ids feeds token ids and skips the tokenizer.\n";

static const char inspect_usage[] =
    "usage: headscope inspect FILE.safetensors [--values NAME]\n"
    "Validates a safetensors file and lists every tensor (name, dtype, shape).\n"
    "--values NAME prints that tensor's values, converted to float32, as a JSON array;\n"
    "NaN and infinite values print as null, since JSON has no number for them.\n";

/* ---- info -------------------------------------------------------------- */

static const char *tokenizer_kind_name(const hs_tokenizer *tok)
{
    if (!tok)
        return "none";
    switch (hs_tokenizer_get_kind(tok)) {
    case HS_TOKENIZER_WORDPIECE:
        return "WordPiece (vocab.txt)";
    case HS_TOKENIZER_GPT2_BPE:
        return "byte-level BPE (vocab.json + merges.txt)";
    case HS_TOKENIZER_JSON:
        return "tokenizer.json";
    }
    return "?";
}

int hs_cli_info(int argc, char **argv)
{
    static const int allowed[] = {HS_OPT_MODEL, 0};
    hs_cli_options o;
    if (hs_cli_parse_options(argc, argv, allowed, 0, &o) != 0)
        return 1;
    if (o.help) {
        fputs(info_usage, stdout);
        return 0;
    }
    if (o.positional_count)
        return hs_cli_fail("info takes no text argument: '%s'", o.positional[0]);
    hs_model *model = hs_cli_load_model(o.model);
    if (!model)
        return 1;
    const hs_config *c = hs_model_config(model);
    printf("model:           %s\n", hs_model_name(model));
    printf("folder:          %s\n", hs_model_dir(model));
    printf("architecture:    %s (model_type %s%s%s)\n", hs_arch_name(c->arch), c->model_type,
           c->architecture[0] ? ", " : "", c->architecture);
    printf("layers:          %d\n", c->n_layers);
    printf("heads:           %d", c->n_heads);
    if (c->n_kv_heads != c->n_heads)
        printf(" query heads sharing %d key/value heads", c->n_kv_heads);
    printf("\nhead size:       %d\n", c->d_head);
    printf("hidden size:     %d\n", c->d_model);
    printf("feed-forward:    %d\n", c->d_ff);
    printf("vocabulary:      %d\n", c->vocab_size);
    printf("max positions:   %d\n", c->max_positions);
    printf("dtype:           %s\n", hs_model_weight_dtype(model));
    printf("parameters:      %lld\n", (long long)hs_model_param_count(model));
    printf("tokenizer:       %s\n", tokenizer_kind_name(hs_model_tokenizer(model)));
    hs_model_free(model);
    return 0;
}

/* ---- tokenize ---------------------------------------------------------- */

/* Loads only the tokenizer of a folder (weights not needed). */
static hs_tokenizer *load_tokenizer_only(const char *model_arg)
{
    char *dir = hs_model_resolve(model_arg ? model_arg : hs_demo_model_dir());
    if (!dir) {
        hs_cli_fail("%s", hs_error_message());
        return NULL;
    }
    char model_type[64] = "";
    char path[4096];
    snprintf(path, sizeof path, "%s/config.json", dir);
    char *text = hs_file_exists(path) ? hs_read_file(path, NULL) : NULL;
    if (text) {
        cJSON *root = cJSON_Parse(text);
        const cJSON *type = root ? cJSON_GetObjectItemCaseSensitive(root, "model_type") : NULL;
        if (cJSON_IsString(type))
            snprintf(model_type, sizeof model_type, "%s", type->valuestring);
        cJSON_Delete(root);
        free(text);
    }
    hs_tokenizer *tok = hs_tokenizer_load(dir, model_type[0] ? model_type : NULL);
    if (!tok)
        hs_cli_fail("%s", hs_error_message());
    free(dir);
    return tok;
}

static cJSON *encoding_to_json(const hs_encoding *enc, int with_type_ids)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *ids = cJSON_AddArrayToObject(root, "ids");
    cJSON *tokens = cJSON_AddArrayToObject(root, "tokens");
    cJSON *labels = cJSON_AddArrayToObject(root, "labels");
    cJSON *offsets = cJSON_AddArrayToObject(root, "offsets");
    cJSON *type_ids = with_type_ids ? cJSON_AddArrayToObject(root, "type_ids") : NULL;

    for (int i = 0; i < enc->n; i++) {
        cJSON_AddItemToArray(ids, cJSON_CreateNumber(enc->ids[i]));
        cJSON_AddItemToArray(tokens, cJSON_CreateString(enc->tokens[i]));
        cJSON_AddItemToArray(labels, cJSON_CreateString(enc->labels[i]));
        cJSON *span = cJSON_CreateArray();
        cJSON_AddItemToArray(span, cJSON_CreateNumber(enc->offsets[i][0]));
        cJSON_AddItemToArray(span, cJSON_CreateNumber(enc->offsets[i][1]));
        cJSON_AddItemToArray(offsets, span);
        if (type_ids)
            cJSON_AddItemToArray(type_ids, cJSON_CreateNumber(enc->type_ids[i]));
    }
    return root;
}

/* Prints a cJSON tree as one line on stdout and frees it. */
static void print_json(cJSON *root)
{
    char *text = cJSON_PrintUnformatted(root);
    if (text)
        puts(text);
    free(text);
    cJSON_Delete(root);
}

int hs_cli_tokenize(int argc, char **argv)
{
    static const int allowed[] = {HS_OPT_MODEL, HS_OPT_PAIR, HS_OPT_BOS, HS_OPT_NO_BOS, 0};
    hs_cli_options o;
    hs_cli_text text = {0}, pair = {0};
    hs_tokenizer *tok = NULL;
    hs_encoding *enc = NULL;
    int status = 1;

    if (hs_cli_parse_options(argc, argv, allowed, 1, &o) != 0)
        return 1;
    if (o.help) {
        fputs(tokenize_usage, stdout);
        return 0;
    }
    if (o.positional_count != 1)
        return hs_cli_usage_fail("tokenize", "tokenize needs exactly one TEXT argument");
    if (hs_cli_read_text(o.positional[0], "TEXT", &text) != 0 ||
        (o.pair && hs_cli_read_text(o.pair, "--pair", &pair) != 0))
        goto done;
    tok = load_tokenizer_only(o.model);
    if (!tok)
        goto done;
    if (o.pair && hs_tokenizer_get_kind(tok) != HS_TOKENIZER_WORDPIECE) {
        hs_cli_fail("--pair: sentence pairs are for BERT (WordPiece) tokenizers, and %s has "
                    "another kind",
                    o.model ? o.model : "the demo model");
        goto done;
    }
    hs_encode_options encode_options = {.add_special_tokens = 1, .bos = o.bos};
    enc = hs_tokenizer_encode(tok, text.data, text.length, o.pair ? pair.data : NULL,
                              pair.length, &encode_options);
    if (!enc) {
        hs_cli_fail("%s", hs_error_message());
        goto done;
    }
    print_json(encoding_to_json(enc, hs_tokenizer_get_kind(tok) == HS_TOKENIZER_WORDPIECE));
    status = 0;
done:
    hs_encoding_free(enc);
    hs_tokenizer_free(tok);
    free(text.data);
    free(pair.data);
    return status;
}

/* ---- dump -------------------------------------------------------------- */

static int write_dump(const char *path, const hs_model *model, const hs_result *r,
                      const int32_t *ids, const int32_t *type_ids)
{
    const hs_config *c = hs_model_config(model);
    int n = r->n, L = r->n_layers;
    int with_types = c->arch == HS_ARCH_BERT;
    size_t count = 0, capacity = (size_t)(2 * L + 4);
    hs_tensor_write *tensors = calloc(capacity, sizeof *tensors);
    char (*names)[32] = calloc(capacity, sizeof *names);
    int64_t *ids64 = malloc((size_t)n * 2 * sizeof(int64_t));
    float *logits = NULL;
    int status = -1;

    if (!tensors || !names || !ids64) {
        hs_error_set("out of memory");
        goto done;
    }
    for (int i = 0; i < n; i++) {
        ids64[i] = ids[i];
        ids64[n + i] = type_ids ? type_ids[i] : 0;
    }
    tensors[count++] = (hs_tensor_write){"input_ids", HS_DTYPE_I64, 1, {n}, ids64};
    if (with_types)
        tensors[count++] = (hs_tensor_write){"token_type_ids", HS_DTYPE_I64, 1, {n}, ids64 + n};
    for (int l = 0; l < L; l++) {
        snprintf(names[count], sizeof names[count], "attentions.%d", l);
        tensors[count] = (hs_tensor_write){names[count], HS_DTYPE_F32, 3, {r->n_heads, n, n},
                                           hs_result_head(r, l, 0)};
        count++;
    }
    for (int l = 0; l <= L; l++) {
        snprintf(names[count], sizeof names[count], "hidden_states.%d", l);
        tensors[count] = (hs_tensor_write){names[count], HS_DTYPE_F32, 2, {n, r->d},
                                           r->hidden + (size_t)l * n * r->d};
        count++;
    }
    if (c->arch != HS_ARCH_BERT) {
        logits = malloc((size_t)c->vocab_size * sizeof(float));
        if (!logits || hs_forward_logits(model, r, n - 1, logits) != 0)
            goto done;
        tensors[count++] =
            (hs_tensor_write){"logits_last", HS_DTYPE_F32, 1, {c->vocab_size}, logits};
    }
    const char *metadata[] = {"model", hs_model_name(model), "producer", "headscope"};
    status = hs_safetensors_write(path, tensors, count, metadata, 2);
done:
    free(logits);
    free(ids64);
    free(names);
    free(tensors);
    return status;
}

int hs_cli_dump(int argc, char **argv)
{
    static const int allowed[] = {HS_OPT_MODEL, HS_OPT_PAIR, HS_OPT_IDS, HS_OPT_OUT,
                                  HS_OPT_BOS,   HS_OPT_NO_BOS, 0};
    hs_cli_options o;
    hs_cli_text text = {0}, pair = {0};
    hs_model *model = NULL;
    hs_encoding *enc = NULL;
    hs_result *result = NULL;
    int32_t *given_ids = NULL;
    int status = 1;

    if (hs_cli_parse_options(argc, argv, allowed, 1, &o) != 0)
        return 1;
    if (o.help) {
        fputs(dump_usage, stdout);
        return 0;
    }
    if (!o.out)
        return hs_cli_usage_fail("dump", "dump needs --out FILE.safetensors");
    if (o.ids ? o.positional_count != 0 || o.pair : o.positional_count != 1)
        return hs_cli_usage_fail("dump", "dump needs either one TEXT argument or --ids");

    int n = 0;
    const int32_t *ids = NULL, *type_ids = NULL;
    if (o.ids) {
        n = hs_cli_parse_ids(o.ids, &given_ids);
        if (n < 0)
            goto done;
        ids = given_ids;
    } else if (hs_cli_read_text(o.positional[0], "TEXT", &text) != 0 ||
               (o.pair && hs_cli_read_text(o.pair, "--pair", &pair) != 0)) {
        goto done;
    }
    model = hs_cli_load_model(o.model);
    if (!model)
        goto done;
    if (!o.ids) {
        enc = hs_cli_encode(model, &text, o.pair ? &pair : NULL, o.bos);
        if (!enc)
            goto done;
        n = enc->n;
        ids = enc->ids;
        type_ids = enc->type_ids;
    } else if (n > hs_model_config(model)->max_positions) {
        fprintf(stderr, "headscope: note: %d ids given; the model takes at most %d, the rest "
                        "are dropped\n",
                n, hs_model_config(model)->max_positions);
    }
    result = hs_forward(model, ids, type_ids, n);
    if (!result) {
        hs_cli_fail("%s", hs_error_message());
        goto done;
    }
    if (write_dump(o.out, model, result, ids, type_ids) != 0) {
        hs_cli_fail("%s", hs_error_message());
        goto done;
    }
    status = 0;
done:
    hs_result_free(result);
    hs_encoding_free(enc);
    hs_model_free(model);
    free(given_ids);
    free(text.data);
    free(pair.data);
    return status;
}

/* ---- inspect ----------------------------------------------------------- */

static void print_values(const hs_tensor *t)
{
    float *values = hs_tensor_to_f32(t);
    if (!values) {
        hs_cli_fail("%s", hs_error_message());
        return;
    }
    int64_t non_finite = 0;
    fputc('[', stdout);
    for (int64_t i = 0; i < t->count; i++) {
        if (i)
            fputs(", ", stdout);
        float v = values[i];
        if (isfinite(v)) {
            printf("%.9g", v);
        } else {
            fputs("null", stdout);
            non_finite++;
        }
    }
    fputs("]\n", stdout);
    if (non_finite)
        fprintf(stderr, "headscope: note: %lld values of %s are NaN or infinite and print as "
                        "null\n",
                (long long)non_finite, t->name);
    free(values);
}

int hs_cli_inspect(int argc, char **argv)
{
    static const int allowed[] = {HS_OPT_VALUES, 0};
    hs_cli_options o;
    if (hs_cli_parse_options(argc, argv, allowed, 1, &o) != 0)
        return 1;
    if (o.help) {
        fputs(inspect_usage, stdout);
        return 0;
    }
    if (o.positional_count != 1)
        return hs_cli_usage_fail("inspect", "inspect needs exactly one FILE argument");
    hs_safetensors *file = hs_safetensors_open(o.positional[0]);
    if (!file)
        return hs_cli_fail("%s", hs_error_message());

    int status = 0;
    if (o.values) {
        const hs_tensor *t = hs_safetensors_find(file, o.values);
        if (t)
            print_values(t);
        else
            status = hs_cli_fail("%s: no tensor named '%s'", o.positional[0], o.values);
    } else {
        size_t count = hs_safetensors_count(file);
        printf("%s: %zu tensors\n", o.positional[0], count);
        for (size_t i = 0; i < count; i++) {
            const hs_tensor *t = hs_safetensors_at(file, i);
            printf("%s\t%s\t[", t->name, hs_dtype_name(t->dtype));
            for (int d = 0; d < t->ndim; d++)
                printf("%s%lld", d ? ", " : "", (long long)t->shape[d]);
            printf("]\n");
        }
    }
    hs_safetensors_close(file);
    return status;
}
