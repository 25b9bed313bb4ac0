/*
 * tok_json_load.c - reads tokenizer.json (with tokenizer_config.json and
 * special_tokens_map.json) into the pipeline description of tok_json.h: the
 * BPE or WordPiece model, added tokens, normalizers, pre-tokenizers and the
 * post-processor template. Unsupported types are load errors that name them.
 *
 * Depends on cJSON and utf8proc.
 */
#include "hs_error.h"
#include "tok_json.h"
#include "tokenizer_internal.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

static const char *get_string(const cJSON *object, const char *key)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, key);
    return cJSON_IsString(item) ? item->valuestring : NULL;
}

static int get_bool(const cJSON *object, const char *key, int fallback)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, key);
    return cJSON_IsBool(item) ? cJSON_IsTrue(item) : fallback;
}

static char *dup_string(const char *s)
{
    char *copy = strdup(s ? s : "");
    if (!copy)
        hs_error_set("tokenizer.json: out of memory");
    return copy;
}

/* Reads a {"String": s} or {"Regex": r} pattern into a literal or a regex. */
static int read_pattern(const cJSON *pattern, char **literal, void **regex)
{
    const char *s = get_string(pattern, "String");
    if (s) {
        *literal = dup_string(s);
        return *literal ? 0 : -1;
    }
    const char *r = get_string(pattern, "Regex");
    if (r) {
        *regex = hs_tok_regex_compile(r, strlen(r));
        return *regex ? 0 : -1;
    }
    hs_error_set("tokenizer.json: a pattern needs \"String\" or \"Regex\"");
    return -1;
}

static int add_norm(hs_tokjson *json, const cJSON *item)
{
    const char *type = get_string(item, "type");
    if (!type) {
        hs_error_set("tokenizer.json: a normalizer has no type");
        return -1;
    }
    if (strcmp(type, "Sequence") == 0) {
        const cJSON *child;
        cJSON_ArrayForEach(child, cJSON_GetObjectItemCaseSensitive(item, "normalizers"))
        {
            if (add_norm(json, child) != 0)
                return -1;
        }
        return 0;
    }
    norm_step *grown = realloc(json->norms, (size_t)(json->n_norms + 1) * sizeof *grown);
    if (!grown) {
        hs_error_set("tokenizer.json: out of memory for normalizers");
        return -1;
    }
    json->norms = grown;
    norm_step *step = &json->norms[json->n_norms];
    memset(step, 0, sizeof *step);

    if (strcmp(type, "Prepend") == 0) {
        step->kind = NORM_PREPEND;
        step->text = dup_string(get_string(item, "prepend"));
        if (!step->text)
            return -1;
    } else if (strcmp(type, "Replace") == 0) {
        step->kind = NORM_REPLACE;
        step->content = dup_string(get_string(item, "content"));
        if (!step->content)
            return -1;
        json->n_norms++; /* owned fields are freed even if the pattern fails */
        return read_pattern(cJSON_GetObjectItemCaseSensitive(item, "pattern"), &step->text,
                            &step->regex);
    } else if (strcmp(type, "NFC") == 0 || strcmp(type, "NFD") == 0 ||
               strcmp(type, "NFKC") == 0 || strcmp(type, "NFKD") == 0) {
        step->kind = NORM_UNICODE;
        step->options = UTF8PROC_STABLE | (type[2] == 'K' ? UTF8PROC_COMPAT : 0) |
                        (type[strlen(type) - 1] == 'C' ? UTF8PROC_COMPOSE : UTF8PROC_DECOMPOSE);
    } else if (strcmp(type, "Lowercase") == 0) {
        step->kind = NORM_LOWERCASE;
    } else if (strcmp(type, "StripAccents") == 0) {
        step->kind = NORM_STRIP_ACCENTS;
    } else if (strcmp(type, "Strip") == 0) {
        step->kind = NORM_STRIP;
        step->left = get_bool(item, "strip_left", 1);
        step->right = get_bool(item, "strip_right", 1);
    } else {
        hs_error_set("tokenizer.json: normalizer type '%s' is not supported", type);
        return -1;
    }
    json->n_norms++;
    return 0;
}

static int parse_behavior(const char *s, split_behavior *out)
{
    static const struct {
        const char *name;
        split_behavior behavior;
    } names[] = {
        {"Removed", SPLIT_REMOVED},
        {"Isolated", SPLIT_ISOLATED},
        {"MergedWithPrevious", SPLIT_MERGED_WITH_PREVIOUS},
        {"MergedWithNext", SPLIT_MERGED_WITH_NEXT},
        {"Contiguous", SPLIT_CONTIGUOUS},
    };
    for (size_t i = 0; s && i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(s, names[i].name) == 0) {
            *out = names[i].behavior;
            return 0;
        }
    }
    hs_error_set("tokenizer.json: Split behavior '%s' is not supported", s ? s : "(none)");
    return -1;
}

static const char BYTE_LEVEL_PATTERN[] =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

static int add_pre(hs_tokenizer *tok, const cJSON *item)
{
    hs_tokjson *json = tok->json;
    const char *type = get_string(item, "type");
    if (!type) {
        hs_error_set("tokenizer.json: a pre-tokenizer has no type");
        return -1;
    }
    if (strcmp(type, "Sequence") == 0) {
        const cJSON *child;
        cJSON_ArrayForEach(child, cJSON_GetObjectItemCaseSensitive(item, "pretokenizers"))
        {
            if (add_pre(tok, child) != 0)
                return -1;
        }
        return 0;
    }
    pre_step *grown = realloc(json->pres, (size_t)(json->n_pres + 1) * sizeof *grown);
    if (!grown) {
        hs_error_set("tokenizer.json: out of memory for pre-tokenizers");
        return -1;
    }
    json->pres = grown;
    pre_step *step = &json->pres[json->n_pres++];
    memset(step, 0, sizeof *step);

    if (strcmp(type, "ByteLevel") == 0) {
        step->kind = PRE_BYTE_LEVEL;
        step->add_prefix_space = get_bool(item, "add_prefix_space", 1);
        step->use_regex = get_bool(item, "use_regex", 1);
        step->regex = hs_tok_regex_compile(BYTE_LEVEL_PATTERN, strlen(BYTE_LEVEL_PATTERN));
        tok->label_style = HS_LABEL_BYTE_LEVEL;
        return step->regex ? 0 : -1;
    }
    if (strcmp(type, "Split") == 0) {
        step->kind = PRE_SPLIT;
        step->invert = get_bool(item, "invert", 0);
        if (parse_behavior(get_string(item, "behavior"), &step->behavior) != 0)
            return -1;
        return read_pattern(cJSON_GetObjectItemCaseSensitive(item, "pattern"), &step->literal,
                            &step->regex);
    }
    if (strcmp(type, "Digits") == 0) {
        step->kind = PRE_DIGITS;
        step->individual_digits = get_bool(item, "individual_digits", 0);
        return 0;
    }
    if (strcmp(type, "Metaspace") == 0) {
        step->kind = PRE_METASPACE;
        step->replacement = dup_string(get_string(item, "replacement"));
        if (!step->replacement)
            return -1;
        if (!step->replacement[0]) {
            hs_error_set("tokenizer.json: Metaspace has an empty replacement");
            return -1;
        }
        const char *scheme = get_string(item, "prepend_scheme");
        if (scheme)
            step->scheme = strcmp(scheme, "first") == 0   ? PREPEND_FIRST
                           : strcmp(scheme, "never") == 0 ? PREPEND_NEVER
                                                          : PREPEND_ALWAYS;
        else
            step->scheme = get_bool(item, "add_prefix_space", 1) ? PREPEND_ALWAYS : PREPEND_NEVER;
        step->split = get_bool(item, "split", 1);
        return 0;
    }
    if (strcmp(type, "Whitespace") == 0) {
        static const char pattern[] = "\\w+|[^\\w\\s]+";
        step->kind = PRE_WHITESPACE;
        step->regex = hs_tok_regex_compile(pattern, strlen(pattern));
        return step->regex ? 0 : -1;
    }
    if (strcmp(type, "Punctuation") == 0) {
        const char *behavior = get_string(item, "behavior");
        step->kind = PRE_PUNCTUATION;
        step->behavior = SPLIT_ISOLATED;
        return behavior ? parse_behavior(behavior, &step->behavior) : 0;
    }
    if (strcmp(type, "CharDelimiterSplit") == 0) {
        step->kind = PRE_CHAR_DELIMITER;
        step->literal = dup_string(get_string(item, "delimiter"));
        if (!step->literal)
            return -1;
        if (!step->literal[0]) {
            hs_error_set("tokenizer.json: CharDelimiterSplit has no delimiter");
            return -1;
        }
        return 0;
    }
    if (strcmp(type, "WhitespaceSplit") == 0) {
        static const char pattern[] = "\\s+";
        step->kind = PRE_WHITESPACE_SPLIT;
        step->regex = hs_tok_regex_compile(pattern, strlen(pattern));
        return step->regex ? 0 : -1;
    }
    hs_error_set("tokenizer.json: pre-tokenizer type '%s' is not supported", type);
    return -1;
}

/* Resolves a special token name to its id through the vocabulary. */
static int32_t token_id(const hs_tokenizer *tok, const char *token)
{
    return token ? hs_tok_strmap_get(&tok->token_to_id, token, strlen(token)) : -1;
}

static int template_push(template_list *t, int sequence, const int32_t *ids, int n_ids,
                         int type_id)
{
    template_item *grown = realloc(t->items, (size_t)(t->n + 1) * sizeof *grown);
    if (!grown)
        goto oom;
    t->items = grown;
    template_item *item = &t->items[t->n];
    memset(item, 0, sizeof *item);
    item->sequence = sequence;
    item->type_id = type_id;
    if (n_ids > 0) {
        item->ids = malloc((size_t)n_ids * sizeof *item->ids);
        if (!item->ids)
            goto oom;
        memcpy(item->ids, ids, (size_t)n_ids * sizeof *ids);
        item->n_ids = n_ids;
    }
    t->n++;
    return 0;
oom:
    hs_error_set("tokenizer.json: out of memory for the post-processor template");
    return -1;
}

static void template_free(template_list *t)
{
    for (int i = 0; i < t->n; i++)
        free(t->items[i].ids);
    free(t->items);
    memset(t, 0, sizeof *t);
}

/* Reads a TemplateProcessing list ("single" or "pair"). */
static int read_template(hs_tokenizer *tok, const cJSON *proc, const char *key,
                         template_list *t)
{
    const cJSON *specials = cJSON_GetObjectItemCaseSensitive(proc, "special_tokens");
    const cJSON *item;
    cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(proc, key))
    {
        const cJSON *seq = cJSON_GetObjectItemCaseSensitive(item, "Sequence");
        const cJSON *special = cJSON_GetObjectItemCaseSensitive(item, "SpecialToken");
        const cJSON *body = seq ? seq : special;
        const char *id = get_string(body, "id");
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(body, "type_id");
        int type_id = cJSON_IsNumber(type) ? type->valueint : 0;
        if (!id) {
            hs_error_set("tokenizer.json: post-processor template item without an id");
            return -1;
        }
        if (seq) {
            if (template_push(t, strcmp(id, "B") == 0 ? 1 : 0, NULL, 0, type_id) != 0)
                return -1;
            continue;
        }
        const cJSON *entry = cJSON_GetObjectItemCaseSensitive(specials, id);
        const cJSON *ids = cJSON_GetObjectItemCaseSensitive(entry, "ids");
        int n_ids = cJSON_GetArraySize(ids);
        int32_t stack[16];
        if (n_ids == 0 || n_ids > 16) {
            hs_error_set("tokenizer.json: special token '%s' of the template has %d ids "
                         "(expected 1 to 16)",
                         id, n_ids);
            return -1;
        }
        for (int k = 0; k < n_ids; k++) {
            stack[k] = (int32_t)cJSON_GetArrayItem(ids, k)->valuedouble;
            if (stack[k] >= 0 && stack[k] < tok->vocab_size)
                tok->is_special[stack[k]] = 1;
        }
        if (template_push(t, -1, stack, n_ids, type_id) != 0)
            return -1;
    }
    return 0;
}

/* Reads a [token, id] pair of BertProcessing / RobertaProcessing. */
static int32_t read_token_pair(const cJSON *proc, const char *key)
{
    const cJSON *pair = cJSON_GetObjectItemCaseSensitive(proc, key);
    const cJSON *id = cJSON_GetArrayItem(pair, 1);
    return cJSON_IsNumber(id) ? (int32_t)id->valuedouble : -1;
}

static int read_post_processor(hs_tokenizer *tok, const cJSON *proc)
{
    hs_tokjson *json = tok->json;
    const char *type = get_string(proc, "type");
    if (!proc || cJSON_IsNull(proc))
        return 0;
    if (!type) {
        hs_error_set("tokenizer.json: the post-processor has no type");
        return -1;
    }
    if (strcmp(type, "Sequence") == 0) {
        const cJSON *child;
        cJSON_ArrayForEach(child, cJSON_GetObjectItemCaseSensitive(proc, "processors"))
        {
            if (read_post_processor(tok, child) != 0)
                return -1;
        }
        return 0;
    }
    if (strcmp(type, "ByteLevel") == 0)
        return 0; /* it only trims offsets */
    if (json->has_template) {
        hs_error_set("tokenizer.json: more than one post-processor adds special tokens");
        return -1;
    }
    json->has_template = 1;
    if (strcmp(type, "TemplateProcessing") == 0) {
        if (read_template(tok, proc, "single", &json->single) != 0 ||
            read_template(tok, proc, "pair", &json->pair) != 0)
            return -1;
        return 0;
    }
    if (strcmp(type, "BertProcessing") == 0 || strcmp(type, "RobertaProcessing") == 0) {
        int32_t cls = read_token_pair(proc, "cls"), sep = read_token_pair(proc, "sep");
        int roberta = type[0] == 'R';
        if (cls < 0 || sep < 0) {
            hs_error_set("tokenizer.json: %s needs cls and sep", type);
            return -1;
        }
        tok->cls_id = cls;
        tok->sep_id = sep;
        if (cls < tok->vocab_size)
            tok->is_special[cls] = 1;
        if (sep < tok->vocab_size)
            tok->is_special[sep] = 1;
        /* BERT: [CLS] A [SEP] B [SEP] with type ids 0/1; RoBERTa: <s> A </s>
         * </s> B </s>, all type 0 */
        int b_type = roberta ? 0 : 1;
        if (template_push(&json->single, -1, &cls, 1, 0) != 0 ||
            template_push(&json->single, 0, NULL, 0, 0) != 0 ||
            template_push(&json->single, -1, &sep, 1, 0) != 0 ||
            template_push(&json->pair, -1, &cls, 1, 0) != 0 ||
            template_push(&json->pair, 0, NULL, 0, 0) != 0 ||
            template_push(&json->pair, -1, &sep, 1, 0) != 0 ||
            (roberta && template_push(&json->pair, -1, &sep, 1, 0) != 0) ||
            template_push(&json->pair, 1, NULL, 0, b_type) != 0 ||
            template_push(&json->pair, -1, &sep, 1, b_type) != 0)
            return -1;
        return 0;
    }
    hs_error_set("tokenizer.json: post-processor type '%s' is not supported", type);
    return -1;
}

/* Rebuilds the template from add_bos_token / add_eos_token when
 * tokenizer_config.json sets either, as transformers does for Llama:
 * [BOS] $A [EOS], and for pairs [BOS] $A [EOS] [BOS] $B [EOS] (B of type 1). */
static int apply_bos_eos_flags(hs_tokenizer *tok, const cJSON *config)
{
    hs_tokjson *json = tok->json;
    const cJSON *bos_item = cJSON_GetObjectItemCaseSensitive(config, "add_bos_token");
    const cJSON *eos_item = cJSON_GetObjectItemCaseSensitive(config, "add_eos_token");
    if (!cJSON_IsBool(bos_item) && !cJSON_IsBool(eos_item))
        return 0;
    int add_bos = cJSON_IsBool(bos_item) ? cJSON_IsTrue(bos_item) : hs_tokjson_adds_bos(tok);
    int add_eos = cJSON_IsTrue(eos_item);
    if ((add_bos && tok->bos_id < 0) || (add_eos && tok->eos_id < 0)) {
        hs_error_set("tokenizer_config.json: add_%s_token is set but the %s token is unknown",
                     add_bos && tok->bos_id < 0 ? "bos" : "eos",
                     add_bos && tok->bos_id < 0 ? "bos" : "eos");
        return -1;
    }
    template_free(&json->single);
    template_free(&json->pair);
    json->has_template = 1;
    for (int s = 0; s < 2; s++) {
        template_list *t = s == 0 ? &json->single : &json->pair;
        for (int seq = 0; seq <= s; seq++) {
            if (add_bos && template_push(t, -1, &tok->bos_id, 1, seq) != 0)
                return -1;
            if (template_push(t, seq, NULL, 0, seq) != 0)
                return -1;
            if (add_eos && template_push(t, -1, &tok->eos_id, 1, seq) != 0)
                return -1;
        }
    }
    return 0;
}

static int read_vocab(hs_tokenizer *tok, const cJSON *vocab)
{
    const cJSON *item;
    if (!cJSON_IsObject(vocab)) {
        hs_error_set("tokenizer.json: model.vocab is not an object");
        return -1;
    }
    if (cJSON_GetArraySize(vocab) == 0) {
        hs_error_set("tokenizer.json: model.vocab is empty, so no text can be encoded");
        return -1;
    }
    cJSON_ArrayForEach(item, vocab)
    {
        if (!cJSON_IsNumber(item) || item->valuedouble < 0 || item->valuedouble > INT32_MAX) {
            hs_error_set("tokenizer.json: vocabulary entry '%s' has no valid id", item->string);
            return -1;
        }
        if (hs_tok_vocab_set(tok, (int32_t)item->valuedouble, item->string,
                             strlen(item->string)) != 0)
            return -1;
    }
    return 0;
}

/* Reads model.merges: "left right" strings or [left, right] pairs. */
static int read_merges(hs_tokenizer *tok, const cJSON *merges)
{
    const cJSON *item;
    int32_t rank = 0;
    int skipped = 0;
    if (merges && !cJSON_IsArray(merges)) {
        hs_error_set("tokenizer.json: model.merges is not an array");
        return -1;
    }
    cJSON_ArrayForEach(item, merges)
    {
        const char *left, *right;
        size_t left_len, right_len;
        if (cJSON_IsString(item)) {
            const char *s = item->valuestring;
            const char *space = strchr(s, ' ');
            if (!space || strchr(space + 1, ' ')) {
                hs_error_set("tokenizer.json: merge %d '%s' is not two tokens separated by "
                             "one space",
                             (int)rank, s);
                return -1;
            }
            left = s;
            left_len = (size_t)(space - s);
            right = space + 1;
            right_len = strlen(right);
        } else if (cJSON_GetArraySize(item) == 2 && cJSON_IsString(cJSON_GetArrayItem(item, 0)) &&
                   cJSON_IsString(cJSON_GetArrayItem(item, 1))) {
            left = cJSON_GetArrayItem(item, 0)->valuestring;
            right = cJSON_GetArrayItem(item, 1)->valuestring;
            left_len = strlen(left);
            right_len = strlen(right);
        } else {
            hs_error_set("tokenizer.json: merge %d is neither \"a b\" nor [a, b]", (int)rank);
            return -1;
        }
        if (hs_bpe_add_merge(tok, left, left_len, right, right_len, rank, &skipped) != 0)
            return -1;
        rank++;
    }
    if (skipped)
        hs_log_warning("tokenizer.json: %d merges name tokens that are not in the vocabulary; "
                       "ignored",
                       skipped);
    return 0;
}

static const char *nonempty_string(const cJSON *object, const char *key)
{
    const char *s = get_string(object, key);
    return s && *s ? s : NULL;
}

static int read_bpe_model(hs_tokenizer *tok, const cJSON *model)
{
    tok->bpe = calloc(1, sizeof *tok->bpe);
    if (!tok->bpe) {
        hs_error_set("tokenizer.json: out of memory for the BPE model");
        return -1;
    }
    hs_bpe *bpe = tok->bpe;
    if (read_vocab(tok, cJSON_GetObjectItemCaseSensitive(model, "vocab")) != 0)
        return -1;
    bpe->byte_fallback = get_bool(model, "byte_fallback", 0);
    bpe->ignore_merges = get_bool(model, "ignore_merges", 0);
    bpe->fuse_unk = get_bool(model, "fuse_unk", 0);
    /* Like the tokenizers library's BPE model, a character with no entry is
     * dropped when unk_token is null, and an error when unk_token is named but
     * missing from the vocabulary. */
    const char *unk = get_string(model, "unk_token");
    bpe->unk_id = token_id(tok, unk);
    bpe->unk_token = unk ? hs_tok_arena_strndup(&tok->arena, unk, strlen(unk)) : NULL;
    bpe->drop_unknown = unk == NULL;
    if (unk && !bpe->unk_token) {
        hs_error_set("tokenizer.json: out of memory");
        return -1;
    }
    const char *prefix = nonempty_string(model, "continuing_subword_prefix");
    const char *suffix = nonempty_string(model, "end_of_word_suffix");
    bpe->continuing_prefix = prefix ? hs_tok_arena_strndup(&tok->arena, prefix, strlen(prefix))
                                    : NULL;
    bpe->end_suffix = suffix ? hs_tok_arena_strndup(&tok->arena, suffix, strlen(suffix)) : NULL;
    if ((prefix && !bpe->continuing_prefix) || (suffix && !bpe->end_suffix)) {
        hs_error_set("tokenizer.json: out of memory");
        return -1;
    }
    for (int b = 0; b < 256; b++) {
        char name[8];
        snprintf(name, sizeof name, "<0x%02X>", b);
        bpe->byte_ids[b] = token_id(tok, name);
    }
    const cJSON *dropout = cJSON_GetObjectItemCaseSensitive(model, "dropout");
    if (cJSON_IsNumber(dropout) && dropout->valuedouble > 0)
        hs_log_warning("tokenizer.json: BPE dropout %g is ignored; encoding is deterministic",
                       dropout->valuedouble);
    return read_merges(tok, cJSON_GetObjectItemCaseSensitive(model, "merges"));
}

static int read_added_tokens(hs_tokenizer *tok, const cJSON *added)
{
    const cJSON *item;
    cJSON_ArrayForEach(item, added)
    {
        const char *content = get_string(item, "content");
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(item, "id");
        if (!content || !cJSON_IsNumber(id)) {
            hs_error_set("tokenizer.json: an added token has no content or id");
            return -1;
        }
        if (id->valuedouble < 0 || id->valuedouble > INT32_MAX) {
            hs_error_set("tokenizer.json: added token '%s' has id %g, out of range", content,
                         id->valuedouble);
            return -1;
        }
        int32_t value = (int32_t)id->valuedouble;
        size_t len = strlen(content);
        /* NOTE: added tokens are matched in the raw text even when marked
         * "normalized"; that differs only with normalizers that change them. */
        if (hs_tok_vocab_set(tok, value, content, len) != 0 ||
            hs_tok_add_added(tok, content, len, value, get_bool(item, "special", 0),
                             get_bool(item, "lstrip", 0), get_bool(item, "rstrip", 0),
                             get_bool(item, "single_word", 0)) != 0)
            return -1;
    }
    return 0;
}

static int read_pipeline(hs_tokenizer *tok, const cJSON *root)
{
    const cJSON *normalizer = cJSON_GetObjectItemCaseSensitive(root, "normalizer");
    if (normalizer && !cJSON_IsNull(normalizer) && add_norm(tok->json, normalizer) != 0)
        return -1;
    const cJSON *pre = cJSON_GetObjectItemCaseSensitive(root, "pre_tokenizer");
    if (pre && !cJSON_IsNull(pre) && add_pre(tok, pre) != 0)
        return -1;
    return 0;
}

/* Reads a BERT-style WordPiece tokenizer.json: the BertNormalizer flags and the
 * BertPreTokenizer run through wordpiece.c, without the NFC step that only
 * the slow Python tokenizer has. */
static int read_wordpiece_model(hs_tokenizer *tok, const cJSON *root)
{
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(root, "model");
    const cJSON *norm = cJSON_GetObjectItemCaseSensitive(root, "normalizer");
    const cJSON *pre = cJSON_GetObjectItemCaseSensitive(root, "pre_tokenizer");
    const char *norm_type = get_string(norm, "type");
    const char *pre_type = get_string(pre, "type");

    int bert_normalizer = norm_type && strcmp(norm_type, "BertNormalizer") == 0;
    if (!bert_normalizer || !get_bool(norm, "clean_text", 1)) {
        hs_error_set("tokenizer.json: WordPiece needs a BertNormalizer with clean_text (found "
                     "'%s')",
                     norm_type ? norm_type : "none");
        return -1;
    }
    if (!pre_type || strcmp(pre_type, "BertPreTokenizer") != 0) {
        hs_error_set("tokenizer.json: WordPiece needs the BertPreTokenizer (found '%s')",
                     pre_type ? pre_type : "none");
        return -1;
    }
    tok->wordpiece = calloc(1, sizeof *tok->wordpiece);
    if (!tok->wordpiece) {
        hs_error_set("tokenizer.json: out of memory for the WordPiece model");
        return -1;
    }
    hs_wordpiece *wp = tok->wordpiece;
    wp->do_lower_case = get_bool(norm, "lowercase", 1);
    wp->strip_accents = get_bool(norm, "strip_accents", -1);
    wp->tokenize_chinese_chars = get_bool(norm, "handle_chinese_chars", 1);
    wp->nfc = 0;
    const cJSON *max_chars = cJSON_GetObjectItemCaseSensitive(model, "max_input_chars_per_word");
    wp->max_chars = cJSON_IsNumber(max_chars) ? max_chars->valueint : 100;
    const char *prefix = get_string(model, "continuing_subword_prefix");
    if (!prefix)
        prefix = "##";
    wp->prefix = hs_tok_arena_strndup(&tok->arena, prefix, strlen(prefix));
    if (!wp->prefix) {
        hs_error_set("tokenizer.json: out of memory");
        return -1;
    }
    if (read_vocab(tok, cJSON_GetObjectItemCaseSensitive(model, "vocab")) != 0)
        return -1;
    tok->unk_id = token_id(tok, get_string(model, "unk_token"));
    return 0;
}

int hs_tokjson_load(hs_tokenizer *tok, const char *dir, const char *path)
{
    int missing = 0, status = -1;
    cJSON *root = NULL, *config = NULL, *map = NULL;

    root = hs_tok_read_json(path, &missing);
    if (!root)
        return -1;
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(root, "model");
    const char *model_type = get_string(model, "type");
    if (!model_type && cJSON_GetObjectItemCaseSensitive(model, "merges"))
        model_type = "BPE";
    int wordpiece = model_type && strcmp(model_type, "WordPiece") == 0;
    if (!wordpiece && (!model_type || strcmp(model_type, "BPE") != 0)) {
        hs_error_set("%s: model type '%s' is not supported (BPE and WordPiece are)", path,
                     model_type ? model_type : "(none)");
        goto done;
    }

    tok->kind = HS_TOKENIZER_JSON;
    tok->label_style = wordpiece ? HS_LABEL_PLAIN : HS_LABEL_METASPACE;
    tok->json = calloc(1, sizeof *tok->json);
    if (!tok->json) {
        hs_error_set("%s: out of memory", path);
        goto done;
    }
    if (wordpiece ? read_wordpiece_model(tok, root) != 0 : read_bpe_model(tok, model) != 0)
        goto fail;
    if (read_added_tokens(tok, cJSON_GetObjectItemCaseSensitive(root, "added_tokens")) != 0)
        goto fail;
    if (!wordpiece) {
        tok->unk_id = tok->bpe->unk_id;
        if (read_pipeline(tok, root) != 0)
            goto fail;
    }
    if (hs_tok_read_configs(dir, &config, &map) != 0)
        goto fail;
    tok->bos_id = token_id(tok, hs_tok_config_token(config, map, "bos_token", NULL));
    tok->eos_id = token_id(tok, hs_tok_config_token(config, map, "eos_token", NULL));
    tok->pad_id = token_id(tok, hs_tok_config_token(config, map, "pad_token", NULL));
    if (read_post_processor(tok, cJSON_GetObjectItemCaseSensitive(root, "post_processor")) != 0)
        goto fail;
    if (apply_bos_eos_flags(tok, config) != 0)
        goto fail;
    tok->add_bos = hs_tokjson_adds_bos(tok);
    status = 0;
    goto done;
fail:
    /* Name the file once: the readers' messages start with its base name,
     * and those about other files (tokenizer_config.json) name their own. */
    if (strncmp(hs_error_message(), "tokenizer.json: ", 16) == 0) {
        char message[1024];
        snprintf(message, sizeof message, "%s", hs_error_message() + 16);
        hs_error_set("%s: %s", path, message);
    } else if (strncmp(hs_error_message(), dir, strlen(dir)) != 0) {
        hs_error_prefix("%s", path);
    }
done:
    cJSON_Delete(root);
    cJSON_Delete(config);
    cJSON_Delete(map);
    return status;
}

void hs_tokjson_free(hs_tokjson *json)
{
    if (!json)
        return;
    for (int i = 0; i < json->n_norms; i++) {
        free(json->norms[i].text);
        free(json->norms[i].content);
        if (json->norms[i].regex)
            hs_tok_regex_free(json->norms[i].regex);
    }
    free(json->norms);
    for (int i = 0; i < json->n_pres; i++) {
        free(json->pres[i].literal);
        free(json->pres[i].replacement);
        if (json->pres[i].regex)
            hs_tok_regex_free(json->pres[i].regex);
    }
    free(json->pres);
    template_free(&json->single);
    template_free(&json->pair);
    free(json);
}
