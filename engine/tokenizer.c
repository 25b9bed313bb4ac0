/*
 * tokenizer.c - the public tokenizer API: loading by folder contents, encoding
 * with special tokens, truncation and UTF-8 validation, plus the config
 * readers and added-token splitting the kinds share.
 *
 * Depends on cJSON (config files), tok_maps.c, tok_labels.c and the kind files
 * wordpiece.c, bpe_gpt2.c and tokenizer_json.c.
 */
#include "hs_error.h"
#include "hs_io.h"
#include "hs_tokenizer.h"
#include "tokenizer_internal.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* ---- UTF-8 */

int32_t hs_tok_utf8_decode(const char *s, size_t len, int *size)
{
    const uint8_t *u = (const uint8_t *)s;
    if (u[0] < 0x80 || len < 2) {
        *size = 1;
        return u[0];
    }
    if (u[0] < 0xE0) {
        *size = 2;
        return (u[0] & 0x1F) << 6 | (u[1] & 0x3F);
    }
    if (u[0] < 0xF0 || len < 4) {
        *size = 3;
        return (u[0] & 0x0F) << 12 | (u[1] & 0x3F) << 6 | (u[2] & 0x3F);
    }
    *size = 4;
    return (u[0] & 0x07) << 18 | (u[1] & 0x3F) << 12 | (u[2] & 0x3F) << 6 | (u[3] & 0x3F);
}

int hs_tok_utf8_encode(int32_t cp, char *out)
{
    uint8_t *u = (uint8_t *)out;
    if (cp < 0x80) {
        u[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        u[0] = (uint8_t)(0xC0 | cp >> 6);
        u[1] = (uint8_t)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        u[0] = (uint8_t)(0xE0 | cp >> 12);
        u[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
        u[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    u[0] = (uint8_t)(0xF0 | cp >> 18);
    u[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3F));
    u[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
    u[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

int hs_tok_utf8_valid_length(const uint8_t *s, size_t len)
{
    uint8_t c = s[0];
    if (c < 0x80)
        return 1;
    int n;
    uint8_t lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else {
        return 0;
    }
    if (len < (size_t)n)
        return 0;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (int i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return n;
}

long hs_utf8_invalid_offset(const char *text, size_t len)
{
    const uint8_t *s = (const uint8_t *)text;
    size_t i = 0;
    while (i < len) {
        int n = hs_tok_utf8_valid_length(s + i, len - i);
        if (!n)
            return (long)i;
        i += (size_t)n;
    }
    return -1;
}

/* ---- files and configs */

cJSON *hs_tok_read_json(const char *path, int *missing)
{
    *missing = 0;
    if (!hs_path_exists(path)) {
        *missing = 1;
        hs_error_set("%s: file not found", path);
        return NULL;
    }
    size_t size = 0;
    char *text = hs_read_file(path, &size);
    if (!text)
        return NULL;
    cJSON *json = hs_json_parse(text, size, path);
    free(text);
    return json;
}

const char *hs_tok_json_token_string(const cJSON *item)
{
    if (cJSON_IsString(item))
        return item->valuestring;
    if (cJSON_IsObject(item)) {
        const cJSON *content = cJSON_GetObjectItemCaseSensitive(item, "content");
        if (cJSON_IsString(content))
            return content->valuestring;
    }
    return NULL;
}

int hs_tok_read_configs(const char *dir, cJSON **config, cJSON **map)
{
    char path[4096];
    int missing = 0;

    *config = NULL;
    *map = NULL;
    snprintf(path, sizeof path, "%s/tokenizer_config.json", dir);
    *config = hs_tok_read_json(path, &missing);
    if (!*config && !missing)
        return -1;
    snprintf(path, sizeof path, "%s/special_tokens_map.json", dir);
    *map = hs_tok_read_json(path, &missing);
    if (!*map && !missing) {
        cJSON_Delete(*config);
        *config = NULL;
        return -1;
    }
    return 0;
}

const char *hs_tok_config_token(const cJSON *config, const cJSON *map, const char *name,
                                const char *fallback)
{
    const char *s = NULL;
    if (config) {
        const cJSON *item = cJSON_GetObjectItemCaseSensitive(config, name);
        if (cJSON_IsNull(item))
            return NULL;
        s = hs_tok_json_token_string(item);
    }
    if (!s && map)
        s = hs_tok_json_token_string(cJSON_GetObjectItemCaseSensitive(map, name));
    return s ? s : fallback;
}

int hs_tok_config_bool(const cJSON *config, const char *name, int fallback)
{
    const cJSON *item = config ? cJSON_GetObjectItemCaseSensitive(config, name) : NULL;
    if (cJSON_IsBool(item))
        return cJSON_IsTrue(item);
    return fallback;
}

int32_t hs_tok_add_special(hs_tokenizer *tok, const cJSON *config, const cJSON *map,
                           const char *name, const char *fallback)
{
    const char *content = hs_tok_config_token(config, map, name, fallback);
    if (!content)
        return -1;
    int32_t id = hs_tok_strmap_get(&tok->token_to_id, content, strlen(content));
    if (id < 0)
        return -1; /* NOTE: the slow BertTokenizer would append it as a new id */
    if (hs_tok_add_added(tok, content, strlen(content), id, 1, 0, 0, 0) != 0)
        return -2;
    return id;
}

void hs_tok_describe_piece(const char *piece, size_t len, char *out, size_t size)
{
    int visible = hs_utf8_invalid_offset(piece, len) < 0;
    for (size_t i = 0; visible && i < len;) {
        int n = 1;
        int32_t cp = hs_tok_utf8_decode(piece + i, len - i, &n);
        utf8proc_category_t category = utf8proc_category(cp);
        visible = cp == ' ' || (category != UTF8PROC_CATEGORY_CN &&
                                category < UTF8PROC_CATEGORY_ZS);
        i += (size_t)n;
    }
    if (visible) {
        snprintf(out, size, "'%.*s'", (int)len, piece);
        return;
    }
    size_t used = (size_t)snprintf(out, size, "bytes");
    for (size_t i = 0; i < len && used + 4 < size; i++)
        used += (size_t)snprintf(out + used, size - used, " %02X", (unsigned)(uint8_t)piece[i]);
}

int hs_tok_is_bert_punctuation(int32_t cp)
{
    if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) ||
        (cp >= 123 && cp <= 126))
        return 1;
    utf8proc_category_t category = utf8proc_category(cp);
    return category >= UTF8PROC_CATEGORY_PC && category <= UTF8PROC_CATEGORY_PO;
}

/* ---- vocabulary and added tokens */

/* Largest token id accepted. Real vocabularies stop near 256,000 entries;
 * the limit keeps a corrupt id from sizing the id table to gigabytes. */
#define MAX_TOKEN_ID 16777215

int hs_tok_vocab_set(hs_tokenizer *tok, int32_t id, const char *token, size_t len)
{
    if (id < 0) {
        hs_error_set("tokenizer: negative id %d for token '%.*s'", (int)id, (int)len, token);
        return -1;
    }
    if (id > MAX_TOKEN_ID) {
        hs_error_set("tokenizer: token '%.*s' has id %d, above the largest supported id %d",
                     (int)(len > 64 ? 64 : len), token, (int)id, MAX_TOKEN_ID);
        return -1;
    }
    if (id >= tok->vocab_size) {
        int32_t size = tok->vocab_size ? tok->vocab_size : 1024;
        while (size <= id)
            size *= 2;
        char **table = realloc(tok->id_to_token, (size_t)size * sizeof *table);
        if (!table)
            goto oom;
        tok->id_to_token = table;
        uint8_t *special = realloc(tok->is_special, (size_t)size);
        if (!special)
            goto oom;
        tok->is_special = special;
        for (int32_t i = tok->vocab_size; i < size; i++) {
            table[i] = NULL;
            special[i] = 0;
        }
        /* hs_tokenizer_load trims vocab_size to the highest id + 1 */
        tok->vocab_size = size;
    }
    char *copy = hs_tok_arena_strndup(&tok->arena, token, len);
    if (!copy || hs_tok_strmap_put(&tok->token_to_id, copy, len, id) != 0)
        goto oom;
    tok->id_to_token[id] = copy;
    return 0;
oom:
    hs_error_set("tokenizer: out of memory at vocabulary id %d", (int)id);
    return -1;
}

/* Shrinks vocab_size to one past the highest id that has a token. */
static void vocab_trim(hs_tokenizer *tok)
{
    int32_t n = tok->vocab_size;
    while (n > 0 && !tok->id_to_token[n - 1])
        n--;
    tok->vocab_size = n;
}

int hs_tok_add_added(hs_tokenizer *tok, const char *content, size_t len, int32_t id,
                     int special, int lstrip, int rstrip, int single_word)
{
    if (len == 0)
        return 0;
    for (int i = 0; i < tok->n_added; i++) {
        hs_tok_added *a = &tok->added[i];
        if (a->len == len && memcmp(a->content, content, len) == 0) {
            a->id = id;
            a->special = (uint8_t)(a->special | special);
            return 0;
        }
    }
    hs_tok_added *grown = realloc(tok->added, (size_t)(tok->n_added + 1) * sizeof *grown);
    if (!grown)
        goto oom;
    tok->added = grown;
    const char *copy = hs_tok_arena_strndup(&tok->arena, content, len);
    if (!copy)
        goto oom;
    hs_tok_added *a = &tok->added[tok->n_added++];
    tok->added_first_byte[(uint8_t)content[0]] = 1;
    a->content = copy;
    a->len = (uint32_t)len;
    a->id = id;
    a->special = (uint8_t)special;
    a->lstrip = (uint8_t)lstrip;
    a->rstrip = (uint8_t)rstrip;
    a->single_word = (uint8_t)single_word;
    return 0;
oom:
    hs_error_set("tokenizer: out of memory adding token '%.*s'", (int)len, content);
    return -1;
}

static int is_ascii_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static int is_word_byte(char c)
{
    unsigned char u = (unsigned char)c;
    return u >= 0x80 || (u >= '0' && u <= '9') || (u >= 'a' && u <= 'z') ||
           (u >= 'A' && u <= 'Z') || u == '_';
}

/* Returns the index of the longest added token that matches at text + pos and
 * satisfies its single_word rule, or -1. */
static int match_added_at(const hs_tokenizer *tok, const char *text, size_t len, size_t pos)
{
    int best = -1;
    uint32_t best_len = 0;
    for (int i = 0; i < tok->n_added; i++) {
        const hs_tok_added *a = &tok->added[i];
        if (a->len <= best_len || a->len > len - pos || a->content[0] != text[pos])
            continue;
        if (memcmp(a->content, text + pos, a->len) != 0)
            continue;
        if (a->single_word) {
            /* NOTE: word boundaries are approximated bytewise (ASCII letters,
             * digits, '_' and every non-ASCII byte count as word bytes). */
            if (pos > 0 && is_word_byte(text[pos - 1]))
                continue;
            if (pos + a->len < len && is_word_byte(text[pos + a->len]))
                continue;
        }
        best = i;
        best_len = a->len;
    }
    return best;
}

int hs_tok_split_added(const hs_tokenizer *tok, const char *text, size_t len,
                       hs_tok_span **spans_out)
{
    int n = 0, capacity = 8;
    hs_tok_span *spans = malloc((size_t)capacity * sizeof *spans);
    size_t plain_start = 0, pos = 0;

    if (!spans)
        goto oom;
    while (pos <= len) {
        int match = -1;
        if (pos < len && tok->added_first_byte[(uint8_t)text[pos]])
            match = match_added_at(tok, text, len, pos);
        if (match < 0 && pos < len) {
            pos++;
            continue;
        }
        size_t token_start = pos, token_end = pos;
        if (match >= 0) {
            const hs_tok_added *a = &tok->added[match];
            token_end = pos + a->len;
            /* NOTE: lstrip and rstrip take ASCII whitespace only; the tokenizers
             * library also strips Unicode spaces such as U+00A0. */
            if (a->lstrip)
                while (token_start > plain_start && is_ascii_space(text[token_start - 1]))
                    token_start--;
            if (a->rstrip)
                while (token_end < len && is_ascii_space(text[token_end]))
                    token_end++;
        }
        if (n + 2 > capacity) {
            capacity *= 2;
            hs_tok_span *grown = realloc(spans, (size_t)capacity * sizeof *grown);
            if (!grown)
                goto oom;
            spans = grown;
        }
        if (token_start > plain_start || (match < 0 && n == 0))
            spans[n++] = (hs_tok_span){-1, plain_start, token_start};
        if (match < 0)
            break;
        spans[n++] = (hs_tok_span){match, token_start, token_end};
        pos = plain_start = token_end;
    }
    *spans_out = spans;
    return n;
oom:
    free(spans);
    hs_error_set("tokenizer: out of memory splitting %zu bytes at added tokens", len);
    return -1;
}

/* ---- public API */

static void tokenizer_init_ids(hs_tokenizer *tok)
{
    tok->unk_id = tok->bos_id = tok->eos_id = -1;
    tok->cls_id = tok->sep_id = tok->pad_id = tok->mask_id = -1;
}

hs_tokenizer *hs_tokenizer_load(const char *dir, const char *model_type)
{
    char json_path[4096], vocab_txt[4096], vocab_json[4096], merges[4096];
    int status = -1;
    hs_tokenizer *tok = calloc(1, sizeof *tok);

    if (!tok) {
        hs_error_set("%s: out of memory for the tokenizer", dir);
        return NULL;
    }
    tokenizer_init_ids(tok);
    snprintf(json_path, sizeof json_path, "%s/tokenizer.json", dir);
    snprintf(vocab_txt, sizeof vocab_txt, "%s/vocab.txt", dir);
    snprintf(vocab_json, sizeof vocab_json, "%s/vocab.json", dir);
    snprintf(merges, sizeof merges, "%s/merges.txt", dir);
    int has_wordpiece = hs_path_exists(vocab_txt);
    int has_gpt2 = hs_path_exists(vocab_json) && hs_path_exists(merges);
    int prefer_wordpiece = has_wordpiece &&
                           (!has_gpt2 || !model_type || strstr(model_type, "bert") != NULL);
    const char *vocab_path = hs_path_exists(json_path) ? json_path
                             : prefer_wordpiece        ? vocab_txt
                             : has_gpt2                ? vocab_json
                                                       : NULL;

    if (vocab_path)
        tok->vocab_path = hs_tok_arena_strndup(&tok->arena, vocab_path, strlen(vocab_path));
    if (!vocab_path) {
        hs_error_set("%s: no tokenizer found (looked for tokenizer.json, vocab.txt, "
                     "vocab.json + merges.txt; tokenizer.model and llama2.c's .bin "
                     "tokenizers are not read); 'headscope dump --ids' runs the model on "
                     "token ids",
                     dir);
    } else if (!tok->vocab_path) {
        hs_error_set("%s: out of memory for the tokenizer", dir);
    } else if (vocab_path == json_path) {
        status = hs_tokjson_load(tok, dir, json_path);
    } else if (vocab_path == vocab_txt) {
        status = hs_wordpiece_load(tok, dir);
    } else {
        status = hs_bpe_gpt2_load(tok, dir);
    }
    if (status == 0)
        vocab_trim(tok);
    if (status == 0 && tok->vocab_size == 0) {
        hs_error_set("%s: the tokenizer vocabulary is empty", dir);
        status = -1;
    }
    if (status != 0) {
        hs_tokenizer_free(tok);
        return NULL;
    }
    for (int i = 0; i < tok->n_added; i++)
        if (tok->added[i].special && tok->added[i].id < tok->vocab_size)
            tok->is_special[tok->added[i].id] = 1;
    return tok;
}

void hs_tokenizer_free(hs_tokenizer *tok)
{
    if (!tok)
        return;
    hs_wordpiece_free(tok->wordpiece);
    hs_bpe_free(tok->bpe);
    hs_tokjson_free(tok->json);
    hs_tok_strmap_free(&tok->token_to_id);
    free(tok->id_to_token);
    free(tok->is_special);
    free(tok->added);
    hs_tok_arena_free(&tok->arena);
    free(tok);
}

hs_tokenizer_kind hs_tokenizer_get_kind(const hs_tokenizer *tok)
{
    return tok->kind;
}

int hs_tokenizer_vocab_size(const hs_tokenizer *tok)
{
    return (int)tok->vocab_size;
}

const char *hs_tokenizer_id_to_token(const hs_tokenizer *tok, int32_t id)
{
    if (id < 0 || id >= tok->vocab_size)
        return NULL;
    return tok->id_to_token[id];
}

int32_t hs_tokenizer_token_to_id(const hs_tokenizer *tok, const char *token)
{
    return hs_tok_strmap_get(&tok->token_to_id, token, strlen(token));
}

char *hs_tokenizer_id_label(const hs_tokenizer *tok, int32_t id)
{
    char *label = NULL;
    if (id < 0 || id >= tok->vocab_size) {
        hs_error_set("%s: id %d is out of range (vocabulary size %d)", tok->vocab_path,
                     (int)id, (int)tok->vocab_size);
        return NULL;
    }
    if (hs_tok_labels(tok, &id, 1, &label) != 0)
        return NULL;
    return label;
}

int hs_tokenizer_adds_bos(const hs_tokenizer *tok)
{
    if (tok->kind == HS_TOKENIZER_JSON)
        return hs_tokjson_adds_bos(tok);
    return tok->add_bos && tok->bos_id >= 0;
}

/* Encodes one text of the slow kinds (WordPiece, GPT-2 BPE): added tokens
 * first, the model on the text between them. */
static int encode_plain(const hs_tokenizer *tok, const char *text, size_t len, int segment,
                        int type_id, hs_tok_list *list)
{
    hs_tok_span *spans = NULL;
    int status = -1;
    int n = hs_tok_split_added(tok, text, len, &spans);
    if (n < 0)
        return -1;
    for (int i = 0; i < n; i++) {
        const hs_tok_span *span = &spans[i];
        int first = list->n;
        if (span->added >= 0) {
            const hs_tok_added *a = &tok->added[span->added];
            if (hs_tok_list_push(list, a->id, (int32_t)span->start, (int32_t)span->end,
                                 a->special ? HS_TOKEN_SPECIAL : HS_TOKEN_NORMAL, segment,
                                 type_id) != 0)
                goto done;
            continue;
        }
        const char *piece = text + span->start;
        size_t piece_len = span->end - span->start;
        int rc = tok->kind == HS_TOKENIZER_WORDPIECE
                     ? hs_wordpiece_encode(tok, piece, piece_len, span->start, segment, list)
                     : hs_bpe_gpt2_encode(tok, piece, piece_len, span->start, segment, list);
        if (rc != 0)
            goto done;
        for (int k = first; k < list->n; k++)
            list->type_ids[k] = type_id;
    }
    status = 0;
done:
    free(spans);
    return status;
}

static int push_inserted(hs_tok_list *list, int32_t id, int segment, int type_id)
{
    return hs_tok_list_push(list, id, 0, 0, HS_TOKEN_SPECIAL, segment, type_id);
}

static int encode_wordpiece_ids(const hs_tokenizer *tok, const char *text, size_t len,
                                const char *pair, size_t pair_len, int add_special,
                                hs_tok_list *list)
{
    if (add_special && (tok->cls_id < 0 || tok->sep_id < 0)) {
        hs_error_set("%s: the vocabulary has no %s token to add (cls_token and sep_token, "
                     "[CLS] and [SEP] by default)",
                     tok->vocab_path, tok->cls_id < 0 ? "classifier (cls_token)"
                                                      : "separator (sep_token)");
        return -1;
    }
    if (add_special && push_inserted(list, tok->cls_id, 0, 0) != 0)
        return -1;
    if (encode_plain(tok, text, len, 0, 0, list) != 0)
        return -1;
    if (add_special && push_inserted(list, tok->sep_id, 0, 0) != 0)
        return -1;
    if (!pair)
        return 0;
    if (encode_plain(tok, pair, pair_len, 1, 1, list) != 0)
        return -1;
    if (add_special && push_inserted(list, tok->sep_id, 1, 1) != 0)
        return -1;
    return 0;
}

static int encode_gpt2_ids(const hs_tokenizer *tok, const char *text, size_t len,
                           const char *pair, size_t pair_len, int add_special, int bos,
                           hs_tok_list *list)
{
    /* GPT2Tokenizer puts BOS before each text when add_bos_token is set and
     * adds no EOS. */
    int with_bos = bos == 1 || (bos < 0 && add_special && tok->add_bos);
    if (with_bos && tok->bos_id < 0) {
        hs_error_set("%s: BOS requested but the tokenizer has no bos_token in its "
                     "vocabulary",
                     tok->vocab_path);
        return -1;
    }
    if (with_bos && push_inserted(list, tok->bos_id, 0, 0) != 0)
        return -1;
    if (encode_plain(tok, text, len, 0, 0, list) != 0)
        return -1;
    if (!pair)
        return 0;
    if (with_bos && push_inserted(list, tok->bos_id, 1, 0) != 0)
        return -1;
    return encode_plain(tok, pair, pair_len, 1, 0, list);
}

/* Moves a token list into a new encoding with tokens and labels. */
static hs_encoding *encoding_from_list(const hs_tokenizer *tok, hs_tok_list *list)
{
    int n = list->n;
    hs_encoding *enc = calloc(1, sizeof *enc);
    if (!enc)
        goto oom;
    enc->n = n;
    enc->tokens = calloc((size_t)n + 1, sizeof *enc->tokens);
    enc->labels = calloc((size_t)n + 1, sizeof *enc->labels);
    if (!enc->tokens || !enc->labels)
        goto oom;
    if (n == 0) {
        /* keep valid (non-NULL) arrays for an empty encoding */
        if (hs_tok_list_push(list, 0, 0, 0, 0, 0, 0) != 0)
            goto fail;
        list->n = 0;
    }
    enc->ids = list->ids;
    enc->offsets = list->offsets;
    enc->flags = list->flags;
    enc->segment = list->segment;
    enc->type_ids = list->type_ids;
    memset(list, 0, sizeof *list);
    for (int i = 0; i < n; i++) {
        const char *token = hs_tokenizer_id_to_token(tok, enc->ids[i]);
        enc->tokens[i] = strdup(token ? token : "");
        if (!enc->tokens[i])
            goto oom;
    }
    if (hs_tok_labels(tok, enc->ids, n, enc->labels) != 0)
        goto fail;
    return enc;
oom:
    hs_error_set("tokenizer: out of memory for an encoding of %d tokens", n);
fail:
    hs_encoding_free(enc);
    hs_tok_list_free(list);
    return NULL;
}

hs_encoding *hs_tokenizer_encode(const hs_tokenizer *tok, const char *text, size_t len,
                                 const char *pair, size_t pair_len,
                                 const hs_encode_options *options)
{
    hs_tok_list list = {0};
    int add_special = options ? options->add_special_tokens : 1;
    int bos = options ? options->bos : -1;
    int rc;

    if (!text && len) {
        hs_error_set("tokenizer: NULL text of length %zu", len);
        return NULL;
    }
    long bad = text ? hs_utf8_invalid_offset(text, len) : -1;
    if (bad >= 0) {
        hs_error_set("invalid UTF-8 at byte %ld of the text (byte 0x%02X)", bad,
                     (unsigned)(uint8_t)text[bad]);
        return NULL;
    }
    bad = pair ? hs_utf8_invalid_offset(pair, pair_len) : -1;
    if (bad >= 0) {
        hs_error_set("invalid UTF-8 at byte %ld of the second text (byte 0x%02X)", bad,
                     (unsigned)(uint8_t)pair[bad]);
        return NULL;
    }
    if (!text)
        text = "";
    if (len > INT32_MAX || pair_len > INT32_MAX) {
        hs_error_set("tokenizer: text of %zu bytes is too long (maximum %d)",
                     len > pair_len ? len : pair_len, INT32_MAX);
        return NULL;
    }

    switch (tok->kind) {
    case HS_TOKENIZER_WORDPIECE:
        rc = encode_wordpiece_ids(tok, text, len, pair, pair_len, add_special, &list);
        break;
    case HS_TOKENIZER_GPT2_BPE:
        rc = encode_gpt2_ids(tok, text, len, pair, pair_len, add_special, bos, &list);
        break;
    default:
        rc = hs_tokjson_encode(tok, text, len, pair, pair_len, add_special, bos, &list);
        break;
    }
    if (rc != 0) {
        hs_tok_list_free(&list);
        return NULL;
    }
    return encoding_from_list(tok, &list);
}

hs_encoding *hs_tokenizer_from_ids(const hs_tokenizer *tok, const int32_t *ids, int n)
{
    hs_tok_list list = {0};
    for (int i = 0; i < n; i++) {
        if (ids[i] < 0 || ids[i] >= tok->vocab_size || !tok->id_to_token[ids[i]]) {
            hs_error_set("%s: id %d at position %d is not in the vocabulary (size %d)",
                         tok->vocab_path, (int)ids[i], i, (int)tok->vocab_size);
            hs_tok_list_free(&list);
            return NULL;
        }
        int flags = tok->is_special[ids[i]] ? HS_TOKEN_SPECIAL : HS_TOKEN_NORMAL;
        if (hs_tok_list_push(&list, ids[i], 0, 0, flags, 0, 0) != 0) {
            hs_tok_list_free(&list);
            return NULL;
        }
    }
    return encoding_from_list(tok, &list);
}

/* Whether token i was inserted by the tokenizer rather than typed. */
static int is_inserted_special(const hs_encoding *enc, int i)
{
    return (enc->flags[i] & HS_TOKEN_SPECIAL) && enc->offsets[i][0] == 0 &&
           enc->offsets[i][1] == 0;
}

int hs_encoding_truncate(hs_encoding *enc, int max_tokens)
{
    if (max_tokens < 0)
        max_tokens = 0;
    if (enc->n <= max_tokens)
        return 0;
    int last = enc->n - 1;
    int keep_last = max_tokens >= 2 && is_inserted_special(enc, last);
    int cut = keep_last ? max_tokens - 1 : max_tokens;
    for (int i = cut; i < enc->n; i++) {
        if (keep_last && i == last)
            continue;
        free(enc->tokens[i]);
        free(enc->labels[i]);
        enc->tokens[i] = enc->labels[i] = NULL;
    }
    if (keep_last && last != cut) {
        enc->ids[cut] = enc->ids[last];
        enc->tokens[cut] = enc->tokens[last];
        enc->labels[cut] = enc->labels[last];
        enc->offsets[cut][0] = enc->offsets[last][0];
        enc->offsets[cut][1] = enc->offsets[last][1];
        enc->type_ids[cut] = enc->type_ids[last];
        enc->segment[cut] = enc->segment[last];
        enc->flags[cut] = enc->flags[last];
        enc->tokens[last] = enc->labels[last] = NULL;
    }
    enc->n = max_tokens;
    return 1;
}

void hs_encoding_free(hs_encoding *enc)
{
    if (!enc)
        return;
    /* hs_encoding_truncate frees the strings of the tokens it drops */
    for (int i = 0; i < enc->n; i++) {
        if (enc->tokens)
            free(enc->tokens[i]);
        if (enc->labels)
            free(enc->labels[i]);
    }
    free(enc->tokens);
    free(enc->labels);
    free(enc->ids);
    free(enc->offsets);
    free(enc->flags);
    free(enc->segment);
    free(enc->type_ids);
    free(enc);
}
