/*
 * wordpiece.c - BERT's WordPiece tokenizer from vocab.txt and
 * tokenizer_config.json, matching transformers 4.33's slow BertTokenizer:
 *
 *   1. lowercase character by character (do_lower_case), special tokens kept;
 *   2. clean: drop NUL, U+FFFD and every C* character except tab, newline and
 *      carriage return; those and every Zs character become a space;
 *   3. put spaces around CJK ideographs (tokenize_chinese_chars);
 *   4. NFC, then split on whitespace;
 *   5. strip accents (NFD, drop Mn) when do_lower_case or strip_accents say so;
 *   6. split off every punctuation character;
 *   7. greedy longest-match-first pieces with "##"; a word of more than 100
 *      characters, or one that cannot be split, becomes [UNK].
 *
 * Every character carries the byte span of the input characters it came from,
 * so tokens get offsets in the original text. Depends on utf8proc.
 */
#include "hs_error.h"
#include "hs_io.h"
#include "tokenizer_internal.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

enum { MAX_INPUT_CHARS_PER_WORD = 100 };

/* A character on its way through the pipeline with its input byte span. */
typedef struct {
    int32_t cp;
    int32_t start, end;
} wp_char;

typedef struct {
    wp_char *v;
    int n, capacity;
} wp_chars;

static int chars_push(wp_chars *c, int32_t cp, int32_t start, int32_t end)
{
    if (c->n == c->capacity) {
        int capacity = c->capacity ? c->capacity * 2 : 64;
        wp_char *grown = realloc(c->v, (size_t)capacity * sizeof *grown);
        if (!grown) {
            hs_error_set("wordpiece: out of memory for %d characters", capacity);
            return -1;
        }
        c->v = grown;
        c->capacity = capacity;
    }
    c->v[c->n++] = (wp_char){cp, start, end};
    return 0;
}

/* ---- loading */

/* Splits vocab.txt into lines the way Python's universal newlines do (\n,
 * \r\n and \r end a line); line i is the token of id i. */
static int load_vocab_txt(hs_tokenizer *tok, const char *path)
{
    size_t size = 0;
    char *data = hs_read_file(path, &size);
    int status = -1;
    if (!data)
        return -1;
    long bad = hs_utf8_invalid_offset(data, size);
    if (bad >= 0) {
        hs_error_set("%s: invalid UTF-8 at byte %ld", path, bad);
        goto done;
    }
    int32_t id = 0;
    size_t start = 0;
    for (size_t i = 0; i <= size; i++) {
        if (i < size && data[i] != '\n' && data[i] != '\r')
            continue;
        if (i == size && start == size)
            break;
        if (hs_tok_vocab_set(tok, id, data + start, i - start) != 0)
            goto done;
        id++;
        if (i < size && data[i] == '\r' && i + 1 < size && data[i + 1] == '\n')
            i++;
        start = i + 1;
    }
    status = 0;
done:
    free(data);
    return status;
}

/* Adds the tokens of added_tokens.json ({"token": id}) as non-special added
 * tokens. */
static int load_added_tokens_json(hs_tokenizer *tok, const char *dir)
{
    char path[4096];
    int missing = 0;
    snprintf(path, sizeof path, "%s/added_tokens.json", dir);
    cJSON *json = hs_tok_read_json(path, &missing);
    if (!json)
        return missing ? 0 : -1;
    int status = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, json)
    {
        if (!cJSON_IsNumber(item))
            continue;
        if (item->valuedouble < 0 || item->valuedouble > INT32_MAX) {
            hs_error_set("%s: token '%s' has id %g, out of range", path, item->string,
                         item->valuedouble);
            status = -1;
            break;
        }
        int32_t id = (int32_t)item->valuedouble;
        size_t len = strlen(item->string);
        if (hs_tok_vocab_set(tok, id, item->string, len) != 0 ||
            hs_tok_add_added(tok, item->string, len, id, 0, 0, 0, 0) != 0) {
            status = -1;
            break;
        }
    }
    cJSON_Delete(json);
    return status;
}

int hs_wordpiece_load(hs_tokenizer *tok, const char *dir)
{
    char path[4096];
    cJSON *config = NULL, *map = NULL;
    int status = -1;

    tok->kind = HS_TOKENIZER_WORDPIECE;
    tok->label_style = HS_LABEL_PLAIN;
    tok->wordpiece = calloc(1, sizeof *tok->wordpiece);
    if (!tok->wordpiece) {
        hs_error_set("%s: out of memory for the WordPiece tokenizer", dir);
        return -1;
    }
    snprintf(path, sizeof path, "%s/vocab.txt", dir);
    if (load_vocab_txt(tok, path) != 0)
        goto done;
    if (hs_tok_read_configs(dir, &config, &map) != 0)
        goto done;

    hs_wordpiece *wp = tok->wordpiece;
    wp->do_lower_case = hs_tok_config_bool(config, "do_lower_case", 1);
    wp->strip_accents = hs_tok_config_bool(config, "strip_accents", -1);
    wp->tokenize_chinese_chars = hs_tok_config_bool(config, "tokenize_chinese_chars", 1);
    wp->nfc = 1;
    wp->prefix = "##";
    wp->max_chars = MAX_INPUT_CHARS_PER_WORD;

    /* the special tokens are split out of the text before tokenizing, with
     * their exact case, as the slow tokenizer's no-split list does */
    tok->unk_id = hs_tok_add_special(tok, config, map, "unk_token", "[UNK]");
    tok->sep_id = hs_tok_add_special(tok, config, map, "sep_token", "[SEP]");
    tok->pad_id = hs_tok_add_special(tok, config, map, "pad_token", "[PAD]");
    tok->cls_id = hs_tok_add_special(tok, config, map, "cls_token", "[CLS]");
    tok->mask_id = hs_tok_add_special(tok, config, map, "mask_token", "[MASK]");
    if (tok->unk_id == -2 || tok->sep_id == -2 || tok->pad_id == -2 || tok->cls_id == -2 ||
        tok->mask_id == -2)
        goto done;
    const cJSON *extra = map ? cJSON_GetObjectItemCaseSensitive(map, "additional_special_tokens")
                             : NULL;
    const cJSON *item;
    cJSON_ArrayForEach(item, extra)
    {
        const char *content = hs_tok_json_token_string(item);
        int32_t id = content ? hs_tok_strmap_get(&tok->token_to_id, content, strlen(content))
                             : -1;
        if (id >= 0 && hs_tok_add_added(tok, content, strlen(content), id, 1, 0, 0, 0) != 0)
            goto done;
    }
    if (load_added_tokens_json(tok, dir) != 0)
        goto done;
    status = 0;
done:
    if (status != 0)
        hs_error_prefix("%s", dir);
    cJSON_Delete(config);
    cJSON_Delete(map);
    return status;
}

void hs_wordpiece_free(hs_wordpiece *wp)
{
    free(wp);
}

/* ---- character classes, as transformers' BasicTokenizer defines them */

static int is_control(int32_t cp)
{
    if (cp == '\t' || cp == '\n' || cp == '\r')
        return 0;
    utf8proc_category_t cat = utf8proc_category(cp);
    return cat == UTF8PROC_CATEGORY_CC || cat == UTF8PROC_CATEGORY_CF ||
           cat == UTF8PROC_CATEGORY_CN || cat == UTF8PROC_CATEGORY_CO ||
           cat == UTF8PROC_CATEGORY_CS;
}

static int is_whitespace(int32_t cp)
{
    if (cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r')
        return 1;
    return utf8proc_category(cp) == UTF8PROC_CATEGORY_ZS;
}

/* Python's str.isspace(), which whitespace_tokenize splits on. */
static int is_python_space(int32_t cp)
{
    return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20) || cp == 0x85 ||
           cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
           cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

/* The CJK Unified Ideographs blocks BERT treats as single-character words. */
static int is_chinese_char(int32_t cp)
{
    return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
           (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2B73F) ||
           (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF) ||
           (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

/* ---- pipeline steps */

/* Steps 1-3: lowercase, clean, space out CJK. Python lowercases one character
 * at a time here, so only U+0130's full mapping (i + U+0307) differs from the
 * simple one. */
static int decode_and_clean(const hs_wordpiece *wp, const char *text, size_t len, size_t base,
                            wp_chars *out)
{
    for (size_t i = 0; i < len;) {
        int size = 1;
        int32_t cp = hs_tok_utf8_decode(text + i, len - i, &size);
        int32_t start = (int32_t)(base + i), end = (int32_t)(base + i + (size_t)size);
        i += (size_t)size;

        int32_t lowered[2] = {cp, -1};
        if (wp->do_lower_case) {
            if (cp == 0x130) {
                lowered[0] = 'i';
                lowered[1] = 0x307;
            } else {
                lowered[0] = utf8proc_tolower(cp);
            }
        }
        for (int k = 0; k < 2 && lowered[k] >= 0; k++) {
            int32_t c = lowered[k];
            if (c == 0 || c == 0xFFFD || is_control(c))
                continue;
            if (is_whitespace(c))
                c = ' ';
            int cjk = wp->tokenize_chinese_chars && is_chinese_char(c);
            if (cjk && chars_push(out, ' ', start, start) != 0)
                return -1;
            if (chars_push(out, c, start, end) != 0)
                return -1;
            if (cjk && chars_push(out, ' ', end, end) != 0)
                return -1;
        }
    }
    return 0;
}

/* Whether a character can combine with the one before it under NFC. */
static int is_non_starter(int32_t cp)
{
    if ((cp >= 0x1161 && cp <= 0x1175) || (cp >= 0x11A8 && cp <= 0x11C2))
        return 1; /* Hangul medial vowels and final consonants */
    /* NOTE: the few starters that compose with a preceding starter outside
     * Hangul (such as U+0B3E after U+0B47) are not treated as non-starters. */
    return utf8proc_get_property(cp)->combining_class != 0;
}

/* NFC of n characters; *codes (malloc'd) receives the result. Returns the
 * result's length, or -1 (error set). */
static int cluster_nfc(const wp_char *v, int n, int32_t **codes)
{
    utf8proc_uint8_t *in = malloc((size_t)n * 4);
    utf8proc_uint8_t *normalized = NULL;
    int count = -1;

    *codes = NULL;
    if (!in) {
        hs_error_set("wordpiece: out of memory normalizing %d characters", n);
        goto done;
    }
    size_t in_len = 0;
    for (int k = 0; k < n; k++)
        in_len += (size_t)hs_tok_utf8_encode(v[k].cp, (char *)in + in_len);
    utf8proc_ssize_t n_bytes = utf8proc_map(in, (utf8proc_ssize_t)in_len, &normalized,
                                            UTF8PROC_STABLE | UTF8PROC_COMPOSE);
    if (n_bytes < 0) {
        hs_error_set("wordpiece: NFC failed on %d characters: %s", n, utf8proc_errmsg(n_bytes));
        goto done;
    }
    *codes = malloc(((size_t)n_bytes + 1) * sizeof **codes);
    if (!*codes) {
        hs_error_set("wordpiece: out of memory normalizing %d characters", n);
        goto done;
    }
    count = 0;
    for (utf8proc_ssize_t k = 0; k < n_bytes;) {
        int size = 1;
        (*codes)[count++] =
            hs_tok_utf8_decode((const char *)normalized + k, (size_t)(n_bytes - k), &size);
        k += size;
    }
done:
    free(in);
    free(normalized);
    return count;
}

/* Step 4a: NFC, one cluster (a starter and the non-starters after it) at a
 * time. A cluster whose character count changes gives every output character
 * the span of the whole cluster. */
static int nfc(wp_chars *c)
{
    wp_chars out = {0};
    int status = -1;
    for (int i = 0; i < c->n;) {
        int j = i + 1;
        while (j < c->n && is_non_starter(c->v[j].cp))
            j++;
        int simple = j == i + 1 && c->v[i].cp < 0x300;
        if (simple) {
            if (chars_push(&out, c->v[i].cp, c->v[i].start, c->v[i].end) != 0)
                goto done;
            i = j;
            continue;
        }
        int n_in = j - i;
        int32_t *codes = NULL;
        int n_out = cluster_nfc(c->v + i, n_in, &codes);
        if (n_out < 0)
            goto done;
        int32_t span_start = c->v[i].start, span_end = c->v[i].end;
        for (int k = i; k < j; k++) {
            if (c->v[k].start < span_start)
                span_start = c->v[k].start;
            if (c->v[k].end > span_end)
                span_end = c->v[k].end;
        }
        for (int k = 0; k < n_out; k++) {
            int same = n_out == n_in;
            int32_t s = same ? c->v[i + k].start : span_start;
            int32_t e = same ? c->v[i + k].end : span_end;
            if (chars_push(&out, codes[k], s, e) != 0) {
                free(codes);
                goto done;
            }
        }
        free(codes);
        i = j;
    }
    free(c->v);
    *c = out;
    out.v = NULL;
    status = 0;
done:
    free(out.v);
    return status;
}

/* Step 5: NFD one character at a time and drop the Mn marks. */
static int strip_accents(const wp_chars *in, int from, int to, wp_chars *out)
{
    for (int i = from; i < to; i++) {
        int32_t cp = in->v[i].cp;
        utf8proc_int32_t parts[32];
        utf8proc_ssize_t n = 1;
        parts[0] = cp;
        if (cp >= 0xC0) {
            int last_boundclass = 0;
            n = utf8proc_decompose_char(cp, parts, 32, UTF8PROC_DECOMPOSE, &last_boundclass);
            if (n < 0 || n > 32) {
                parts[0] = cp;
                n = 1;
            }
        }
        for (utf8proc_ssize_t k = 0; k < n; k++) {
            if (utf8proc_category(parts[k]) == UTF8PROC_CATEGORY_MN)
                continue;
            if (chars_push(out, parts[k], in->v[i].start, in->v[i].end) != 0)
                return -1;
        }
    }
    return 0;
}

/* Step 7: greedy longest-match-first WordPiece on one word. */
static int wordpiece_word(const hs_tokenizer *tok, const wp_char *w, int m, int segment,
                          hs_tok_list *list)
{
    int status = -1;
    int32_t word_start = w[0].start, word_end = w[0].end;
    for (int k = 1; k < m; k++) {
        if (w[k].start < word_start)
            word_start = w[k].start;
        if (w[k].end > word_end)
            word_end = w[k].end;
    }
    const hs_wordpiece *wp = tok->wordpiece;
    if (m > wp->max_chars)
        return hs_tok_list_push(list, tok->unk_id, word_start, word_end, 0, segment, 0);

    /* bytes holds the word's UTF-8, pos[k] the offset of character k; the
     * candidate pieces from character s are prefixes of scratch */
    size_t prefix_len = strlen(wp->prefix);
    char *bytes = malloc((size_t)m * 4 + 1);
    char *scratch = malloc((size_t)m * 4 + prefix_len + 1);
    int *pos = malloc(((size_t)m + 1) * sizeof *pos);
    if (!bytes || !scratch || !pos) {
        hs_error_set("wordpiece: out of memory for a word of %d characters", m);
        goto done;
    }
    pos[0] = 0;
    for (int k = 0; k < m; k++)
        pos[k + 1] = pos[k] + hs_tok_utf8_encode(w[k].cp, bytes + pos[k]);

    int first = list->n;
    for (int s = 0; s < m;) {
        int prefix = s > 0 ? (int)prefix_len : 0;
        memcpy(scratch, wp->prefix, prefix_len);
        memcpy(scratch + prefix, bytes + pos[s], (size_t)(pos[m] - pos[s]));
        int found = -1, e = m;
        for (; e > s; e--) {
            size_t piece_len = (size_t)(prefix + pos[e] - pos[s]);
            found = hs_tok_strmap_get(&tok->token_to_id, scratch, piece_len);
            if (found >= 0)
                break;
        }
        if (found < 0) {
            list->n = first;
            status = hs_tok_list_push(list, tok->unk_id, word_start, word_end, 0, segment, 0);
            goto done;
        }
        int32_t piece_start = w[s].start, piece_end = w[s].end;
        for (int k = s + 1; k < e; k++) {
            if (w[k].start < piece_start)
                piece_start = w[k].start;
            if (w[k].end > piece_end)
                piece_end = w[k].end;
        }
        if (hs_tok_list_push(list, found, piece_start, piece_end, 0, segment, 0) != 0)
            goto done;
        s = e;
    }
    status = 0;
done:
    free(bytes);
    free(scratch);
    free(pos);
    return status;
}

/* Steps 5-7 on one whitespace-separated word v[from, to). */
static int encode_word(const hs_tokenizer *tok, const wp_chars *c, int from, int to,
                       int segment, hs_tok_list *list)
{
    const hs_wordpiece *wp = tok->wordpiece;
    int strip = wp->strip_accents == 1 || (wp->do_lower_case && wp->strip_accents != 0);
    wp_chars stripped = {0};
    const wp_char *w = c->v + from;
    int m = to - from;
    int status = -1;

    if (strip) {
        if (strip_accents(c, from, to, &stripped) != 0)
            goto done;
        w = stripped.v;
        m = stripped.n;
    }
    int start = 0;
    for (int k = 0; k <= m; k++) {
        int punct = k < m && hs_tok_is_bert_punctuation(w[k].cp);
        if (k < m && !punct)
            continue;
        if (k > start && wordpiece_word(tok, w + start, k - start, segment, list) != 0)
            goto done;
        if (punct && wordpiece_word(tok, w + k, 1, segment, list) != 0)
            goto done;
        start = k + 1;
    }
    status = 0;
done:
    free(stripped.v);
    return status;
}

int hs_wordpiece_encode(const hs_tokenizer *tok, const char *text, size_t len, size_t base,
                        int segment, hs_tok_list *list)
{
    wp_chars c = {0};
    int status = -1;

    if (tok->unk_id < 0) {
        hs_error_set("%s: the vocabulary has no unknown token (unk_token, [UNK] by default)",
                     tok->vocab_path);
        return -1;
    }
    if (decode_and_clean(tok->wordpiece, text, len, base, &c) != 0)
        goto done;
    if (tok->wordpiece->nfc && nfc(&c) != 0)
        goto done;
    int start = 0;
    for (int k = 0; k <= c.n; k++) {
        if (k < c.n && !is_python_space(c.v[k].cp))
            continue;
        if (k > start && encode_word(tok, &c, start, k, segment, list) != 0)
            goto done;
        start = k + 1;
    }
    status = 0;
done:
    free(c.v);
    return status;
}
