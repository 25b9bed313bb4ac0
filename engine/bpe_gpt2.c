/*
 * bpe_gpt2.c - byte-pair encoding: GPT-2's byte-to-unicode table, the merge
 * loop shared with tokenizer.json (lowest rank first, leftmost on ties), the
 * split-pattern helpers (PCRE2), and the loader and encoder for a folder with
 * vocab.json + merges.txt, matching transformers 4.33's slow GPT2Tokenizer.
 *
 * Depends on cJSON and PCRE2 (8-bit code units).
 */
#include "hs_error.h"
#include "hs_io.h"
#include "tokenizer_internal.h"

#include <cjson/cJSON.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* GPT-2's pre-tokenization pattern with \s spelled as White_Space. */
static const char GPT2_PATTERN[] =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

/* ---- byte-to-unicode */

/* Printable bytes ('!'..'~', '¡'..'¬', '®'..'ÿ') stand for themselves; the
 * other 68 bytes map, in byte order, to U+0100 upwards. */
static int is_printable_byte(int b)
{
    return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}

int32_t hs_bpe_byte_to_unicode(uint8_t byte)
{
    /* the unprintable bytes are 0..32, 127..160 and 173 */
    if (is_printable_byte(byte))
        return byte;
    if (byte <= 32)
        return 256 + byte;
    if (byte <= 160)
        return 256 + 33 + (byte - 127);
    return 256 + 33 + 34;
}

int hs_bpe_unicode_to_byte(int32_t cp)
{
    if (cp < 256)
        return cp >= 0 && is_printable_byte(cp) ? cp : -1;
    if (cp <= 256 + 32)
        return cp - 256;
    if (cp <= 256 + 33 + 33)
        return cp - 256 - 33 + 127;
    return cp == 256 + 33 + 34 ? 173 : -1;
}

/* ---- regex */

void *hs_tok_regex_compile(const char *pattern, size_t len)
{
    /* rewrite \s and \S; "\\\\" (an escaped backslash) is copied as is */
    static const char SPACE[] = "\\p{White_Space}", NOT_SPACE[] = "\\P{White_Space}";
    char *rewritten = malloc(len * (sizeof SPACE) + 1);
    size_t n = 0;
    pcre2_code *code = NULL;
    if (!rewritten) {
        hs_error_set("tokenizer: out of memory compiling a pattern of %zu bytes", len);
        return NULL;
    }
    for (size_t i = 0; i < len; i++) {
        if (pattern[i] == '\\' && i + 1 < len) {
            char next = pattern[i + 1];
            const char *with = NULL;
            if (next == 's')
                with = SPACE;
            else if (next == 'S')
                with = NOT_SPACE;
            if (with) {
                memcpy(rewritten + n, with, strlen(with));
                n += strlen(with);
            } else {
                rewritten[n++] = '\\';
                rewritten[n++] = next;
            }
            i++;
            continue;
        }
        rewritten[n++] = pattern[i];
    }
    int error = 0;
    PCRE2_SIZE error_offset = 0;
    code = pcre2_compile((PCRE2_SPTR)rewritten, n, PCRE2_UTF | PCRE2_UCP | PCRE2_NO_UTF_CHECK,
                         &error, &error_offset, NULL);
    if (!code) {
        PCRE2_UCHAR message[256];
        pcre2_get_error_message(error, message, sizeof message);
        hs_error_set("tokenizer: invalid split pattern '%.*s' at offset %zu: %s", (int)len,
                     pattern, (size_t)error_offset, (const char *)message);
    } else {
        /* JIT is optional; the interpreter gives the same matches */
        (void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
    }
    free(rewritten);
    return code;
}

void hs_tok_regex_free(void *regex)
{
    pcre2_code_free(regex);
}

int hs_tok_regex_matches(const void *regex, const char *text, size_t len, size_t **spans_out)
{
    const pcre2_code *code = regex;
    pcre2_match_data *match = pcre2_match_data_create_from_pattern(code, NULL);
    size_t *spans = NULL;
    int n = 0, capacity = 0;
    size_t from = 0;

    if (!match)
        goto oom;
    while (from < len) {
        int rc = pcre2_match(code, (PCRE2_SPTR)text, len, from, PCRE2_NO_UTF_CHECK, match, NULL);
        if (rc == PCRE2_ERROR_NOMATCH)
            break;
        if (rc < 0) {
            PCRE2_UCHAR message[256];
            pcre2_get_error_message(rc, message, sizeof message);
            hs_error_set("tokenizer: pattern match failed at byte %zu: %s", from,
                         (const char *)message);
            goto fail;
        }
        PCRE2_SIZE *ovector = pcre2_get_ovector_pointer(match);
        size_t start = ovector[0], end = ovector[1];
        if (end == start) {
            /* an empty match: move on by one character */
            from = start + 1;
            while (from < len && ((uint8_t)text[from] & 0xC0) == 0x80)
                from++;
            continue;
        }
        if (n == capacity) {
            capacity = capacity ? capacity * 2 : 32;
            size_t *grown = realloc(spans, (size_t)capacity * 2 * sizeof *grown);
            if (!grown)
                goto oom;
            spans = grown;
        }
        spans[2 * n] = start;
        spans[2 * n + 1] = end;
        n++;
        from = end;
    }
    pcre2_match_data_free(match);
    *spans_out = spans;
    return n;
oom:
    hs_error_set("tokenizer: out of memory splitting %zu bytes", len);
fail:
    pcre2_match_data_free(match);
    free(spans);
    return -1;
}

/* ---- the merge loop */

typedef struct {
    int32_t rank;
    int pos; /* index of the left symbol */
} merge_entry;

typedef struct {
    merge_entry *v;
    int n, capacity;
} merge_heap;

static int entry_less(merge_entry a, merge_entry b)
{
    return a.rank < b.rank || (a.rank == b.rank && a.pos < b.pos);
}

static int heap_push(merge_heap *h, merge_entry e)
{
    if (h->n == h->capacity) {
        int capacity = h->capacity ? h->capacity * 2 : 64;
        merge_entry *grown = realloc(h->v, (size_t)capacity * sizeof *grown);
        if (!grown)
            return -1;
        h->v = grown;
        h->capacity = capacity;
    }
    int i = h->n++;
    while (i > 0) {
        int parent = (i - 1) / 2;
        if (!entry_less(e, h->v[parent]))
            break;
        h->v[i] = h->v[parent];
        i = parent;
    }
    h->v[i] = e;
    return 0;
}

static merge_entry heap_pop(merge_heap *h)
{
    merge_entry top = h->v[0];
    merge_entry last = h->v[--h->n];
    int i = 0;
    for (;;) {
        int child = 2 * i + 1;
        if (child >= h->n)
            break;
        if (child + 1 < h->n && entry_less(h->v[child + 1], h->v[child]))
            child++;
        if (!entry_less(h->v[child], last))
            break;
        h->v[i] = h->v[child];
        i = child;
    }
    if (h->n > 0)
        h->v[i] = last;
    return top;
}

/* The symbols of one word as a linked list over arrays. */
typedef struct {
    int32_t *id;
    int *start, *end; /* byte range in the word */
    int *prev, *next;
    int n, capacity;
} symbols;

static int symbols_push(symbols *s, int32_t id, int start, int end)
{
    if (s->n == s->capacity) {
        int capacity = s->capacity ? s->capacity * 2 : 32;
        int32_t *ids = realloc(s->id, (size_t)capacity * sizeof *ids);
        if (ids)
            s->id = ids;
        int *starts = realloc(s->start, (size_t)capacity * sizeof *starts);
        if (starts)
            s->start = starts;
        int *ends = realloc(s->end, (size_t)capacity * sizeof *ends);
        if (ends)
            s->end = ends;
        int *prevs = realloc(s->prev, (size_t)capacity * sizeof *prevs);
        if (prevs)
            s->prev = prevs;
        int *nexts = realloc(s->next, (size_t)capacity * sizeof *nexts);
        if (nexts)
            s->next = nexts;
        if (!ids || !starts || !ends || !prevs || !nexts)
            return -1;
        s->capacity = capacity;
    }
    int i = s->n++;
    s->id[i] = id;
    s->start[i] = start;
    s->end[i] = end;
    s->prev[i] = i - 1;
    s->next[i] = -1;
    if (i > 0)
        s->next[i - 1] = i;
    return 0;
}

static void symbols_free(symbols *s)
{
    free(s->id);
    free(s->start);
    free(s->end);
    free(s->prev);
    free(s->next);
}

/* Looks up a word piece with the model's continuing-subword prefix and
 * end-of-word suffix applied. */
static int32_t lookup_piece(const hs_tokenizer *tok, const char *s, size_t len, int first,
                            int last, char **scratch, size_t *scratch_len)
{
    const hs_bpe *bpe = tok->bpe;
    const char *prefix = !first && bpe->continuing_prefix ? bpe->continuing_prefix : "";
    const char *suffix = last && bpe->end_suffix ? bpe->end_suffix : "";
    size_t plen = strlen(prefix), slen = strlen(suffix);
    if (!plen && !slen)
        return hs_tok_strmap_get(&tok->token_to_id, s, len);
    if (*scratch_len < plen + len + slen) {
        char *grown = realloc(*scratch, plen + len + slen);
        if (!grown)
            return -2;
        *scratch = grown;
        *scratch_len = plen + len + slen;
    }
    memcpy(*scratch, prefix, plen);
    memcpy(*scratch + plen, s, len);
    memcpy(*scratch + plen + len, suffix, slen);
    return hs_tok_strmap_get(&tok->token_to_id, *scratch, plen + len + slen);
}

/* Sets the error for a character of a word that has no vocabulary entry, no
 * byte-fallback tokens and no unknown token to replace it. */
static int unknown_piece(const hs_tokenizer *tok, const char *piece, size_t len, int32_t offset)
{
    char shown[64];
    hs_tok_describe_piece(piece, len, shown, sizeof shown);
    if (tok->bpe->unk_token)
        hs_error_set("%s: %s at byte %d of the text is not in the vocabulary, and neither is "
                     "the unknown token '%s' (unk_token) that would replace it",
                     tok->vocab_path, shown, (int)offset, tok->bpe->unk_token);
    else
        hs_error_set("%s: %s at byte %d of the text is not in the vocabulary, and the "
                     "tokenizer has no unknown token (unk_token) to replace it",
                     tok->vocab_path, shown, (int)offset);
    return -1;
}

/* Turns the characters of a word into initial symbols: vocabulary entries,
 * else byte-fallback tokens, else the unknown token (fused when fuse_unk).
 * A character with none of these is dropped and counted in list when
 * bpe->drop_unknown is set, else it is an error. */
static int initial_symbols(const hs_tokenizer *tok, const char *word, size_t len,
                           const int32_t *span_start, symbols *syms, hs_tok_list *list)
{
    const hs_bpe *bpe = tok->bpe;
    char *scratch = NULL;
    size_t scratch_len = 0;
    int status = -1;
    int unk_start = -1, unk_end = -1; /* pending unknown run */

    for (size_t i = 0; i < len;) {
        int size = 1;
        hs_tok_utf8_decode(word + i, len - i, &size);
        size_t end = i + (size_t)size;
        int32_t id = lookup_piece(tok, word + i, (size_t)size, i == 0, end == len, &scratch,
                                  &scratch_len);
        if (id == -2)
            goto oom;
        int fallback = id < 0 && bpe->byte_fallback;
        for (size_t k = i; fallback && k < end; k++)
            fallback = bpe->byte_ids[(uint8_t)word[k]] >= 0;
        if (id < 0 && !fallback && bpe->unk_id < 0) {
            if (!bpe->drop_unknown) {
                unknown_piece(tok, word + i, (size_t)size, span_start[i]);
                goto done;
            }
            if (list->n_dropped++ == 0)
                list->first_dropped_at = span_start[i];
            i = end;
            continue;
        }
        if ((id >= 0 || fallback) && unk_start >= 0) {
            if (symbols_push(syms, bpe->unk_id, unk_start, unk_end) != 0)
                goto oom;
            unk_start = -1;
        }
        if (id >= 0) {
            if (symbols_push(syms, id, (int)i, (int)end) != 0)
                goto oom;
        } else if (fallback) {
            for (size_t k = i; k < end; k++)
                if (symbols_push(syms, bpe->byte_ids[(uint8_t)word[k]], (int)k, (int)k + 1) != 0)
                    goto oom;
        } else if (unk_start >= 0 && bpe->fuse_unk) {
            unk_end = (int)end;
        } else {
            if (unk_start >= 0 && symbols_push(syms, bpe->unk_id, unk_start, unk_end) != 0)
                goto oom;
            unk_start = (int)i;
            unk_end = (int)end;
        }
        i = end;
    }
    if (unk_start >= 0 && symbols_push(syms, bpe->unk_id, unk_start, unk_end) != 0)
        goto oom;
    status = 0;
    goto done;
oom:
    hs_error_set("bpe: out of memory for a word of %zu bytes", len);
done:
    free(scratch);
    return status;
}

static int push_pair(const hs_bpe *bpe, const symbols *syms, merge_heap *heap, int left)
{
    if (left < 0 || syms->next[left] < 0)
        return 0;
    const hs_tok_pair_slot *slot =
        hs_tok_pairmap_get(&bpe->merges, syms->id[left], syms->id[syms->next[left]]);
    if (!slot)
        return 0;
    return heap_push(heap, (merge_entry){slot->rank, left});
}

int hs_bpe_encode_word(const hs_tokenizer *tok, const char *word, size_t len,
                       const int32_t *span_start, const int32_t *span_end, int segment,
                       hs_tok_list *list)
{
    const hs_bpe *bpe = tok->bpe;
    symbols syms = {0};
    merge_heap heap = {0};
    int status = -1;

    if (len == 0)
        return 0;
    if (bpe->ignore_merges) {
        int32_t id = hs_tok_strmap_get(&tok->token_to_id, word, len);
        if (id >= 0)
            return hs_tok_list_push(list, id, span_start[0], span_end[len - 1], 0, segment, 0);
    }
    if (initial_symbols(tok, word, len, span_start, &syms, list) != 0)
        goto done;
    for (int i = 0; i + 1 < syms.n; i++)
        if (push_pair(bpe, &syms, &heap, i) != 0)
            goto oom;

    /* merge the lowest-rank pair, leftmost first, until none is left */
    while (heap.n > 0) {
        merge_entry top = heap_pop(&heap);
        int left = top.pos, right = syms.next[left];
        if (syms.start[left] < 0 || right < 0)
            continue;
        const hs_tok_pair_slot *slot =
            hs_tok_pairmap_get(&bpe->merges, syms.id[left], syms.id[right]);
        if (!slot || slot->rank != top.rank)
            continue; /* stale: a neighbour changed since this entry was queued */
        syms.id[left] = slot->merged_id;
        syms.end[left] = syms.end[right];
        syms.start[right] = -1;
        syms.next[left] = syms.next[right];
        if (syms.next[right] >= 0)
            syms.prev[syms.next[right]] = left;
        if (push_pair(bpe, &syms, &heap, syms.prev[left]) != 0 ||
            push_pair(bpe, &syms, &heap, left) != 0)
            goto oom;
    }

    for (int i = syms.n > 0 ? 0 : -1; i >= 0; i = syms.next[i]) {
        if (hs_tok_list_push(list, syms.id[i], span_start[syms.start[i]],
                             span_end[syms.end[i] - 1], 0, segment, 0) != 0)
            goto done;
    }
    status = 0;
    goto done;
oom:
    hs_error_set("bpe: out of memory merging a word of %zu bytes", len);
done:
    symbols_free(&syms);
    free(heap.v);
    return status;
}

/* ---- merges and loading */

int hs_bpe_add_merge(hs_tokenizer *tok, const char *left, size_t left_len, const char *right,
                     size_t right_len, int32_t rank, int *skipped)
{
    int32_t a = hs_tok_strmap_get(&tok->token_to_id, left, left_len);
    int32_t b = hs_tok_strmap_get(&tok->token_to_id, right, right_len);
    const char *prefix = tok->bpe->continuing_prefix;
    size_t plen = prefix ? strlen(prefix) : 0;
    /* the merged token drops the right part's continuing-subword prefix */
    if (plen && right_len >= plen && memcmp(right, prefix, plen) == 0) {
        right += plen;
        right_len -= plen;
    }
    char stack[256];
    char *joined = left_len + right_len <= sizeof stack ? stack : malloc(left_len + right_len);
    if (!joined) {
        hs_error_set("bpe: out of memory for merge %d", (int)rank);
        return -1;
    }
    memcpy(joined, left, left_len);
    memcpy(joined + left_len, right, right_len);
    int32_t merged = hs_tok_strmap_get(&tok->token_to_id, joined, left_len + right_len);
    if (joined != stack)
        free(joined);
    if (a < 0 || b < 0 || merged < 0) {
        (*skipped)++;
        return 0;
    }
    if (hs_tok_pairmap_put(&tok->bpe->merges, a, b, rank, merged) != 0) {
        hs_error_set("bpe: out of memory for merge %d", (int)rank);
        return -1;
    }
    return 0;
}

static int load_vocab_json(hs_tokenizer *tok, const char *path)
{
    int missing = 0;
    cJSON *json = hs_tok_read_json(path, &missing);
    int status = -1;
    if (!json)
        return -1;
    if (!cJSON_IsObject(json)) {
        hs_error_set("%s: expected a JSON object of token -> id", path);
        goto done;
    }
    const cJSON *item;
    cJSON_ArrayForEach(item, json)
    {
        if (!cJSON_IsNumber(item) || item->valuedouble < 0 || item->valuedouble > INT32_MAX) {
            hs_error_set("%s: token '%s' has no valid id", path, item->string);
            goto done;
        }
        if (hs_tok_vocab_set(tok, (int32_t)item->valuedouble, item->string,
                             strlen(item->string)) != 0)
            goto done;
    }
    status = 0;
done:
    cJSON_Delete(json);
    return status;
}

/* Reads merges.txt as GPT2Tokenizer does. The first line (the "#version"
 * header) and the text after the last newline are skipped. Each line is split
 * on whitespace, and a line without exactly two parts never matches. */
static int load_merges_txt(hs_tokenizer *tok, const char *path)
{
    size_t size = 0;
    char *data = hs_read_file(path, &size);
    int status = -1, skipped = 0;
    if (!data)
        return -1;
    long bad = hs_utf8_invalid_offset(data, size);
    if (bad >= 0) {
        hs_error_set("%s: invalid UTF-8 at byte %ld", path, bad);
        goto done;
    }
    int32_t rank = 0;
    int line_no = 0;
    size_t start = 0;
    for (size_t i = 0; i < size; i++) {
        if (data[i] != '\n')
            continue;
        size_t end = i;
        if (line_no++ > 0) {
            /* up to three whitespace-separated parts: detect "exactly two" */
            size_t part[3][2];
            int parts = 0;
            for (size_t k = start; k < end && parts < 3;) {
                while (k < end && (data[k] == ' ' || data[k] == '\t' || data[k] == '\r'))
                    k++;
                if (k == end)
                    break;
                size_t s = k;
                while (k < end && data[k] != ' ' && data[k] != '\t' && data[k] != '\r')
                    k++;
                part[parts][0] = s;
                part[parts][1] = k;
                parts++;
            }
            if (parts == 2 &&
                hs_bpe_add_merge(tok, data + part[0][0], part[0][1] - part[0][0],
                                 data + part[1][0], part[1][1] - part[1][0], rank,
                                 &skipped) != 0)
                goto done;
            rank++;
        }
        start = i + 1;
    }
    if (skipped)
        hs_log_warning("%s: %d merges name tokens that are not in vocab.json; ignored", path,
                       skipped);
    status = 0;
done:
    free(data);
    return status;
}

int hs_bpe_gpt2_load(hs_tokenizer *tok, const char *dir)
{
    char path[4096];
    cJSON *config = NULL, *map = NULL;
    int status = -1;

    tok->kind = HS_TOKENIZER_GPT2_BPE;
    tok->label_style = HS_LABEL_BYTE_LEVEL;
    tok->bpe = calloc(1, sizeof *tok->bpe);
    if (!tok->bpe) {
        hs_error_set("%s: out of memory for the BPE tokenizer", dir);
        return -1;
    }
    hs_bpe *bpe = tok->bpe;
    bpe->unk_id = -1;
    memset(bpe->byte_ids, 0xFF, sizeof bpe->byte_ids);

    snprintf(path, sizeof path, "%s/vocab.json", dir);
    if (load_vocab_json(tok, path) != 0)
        goto done;
    snprintf(path, sizeof path, "%s/merges.txt", dir);
    if (load_merges_txt(tok, path) != 0)
        goto done;
    if (hs_tok_read_configs(dir, &config, &map) != 0)
        goto done;

    /* GPT2Tokenizer looks a piece up as encoder.get(piece, encoder.get(unk_token)),
     * which gives no id when both are missing, so such a piece is an error. */
    const char *unk = hs_tok_config_token(config, map, "unk_token", "<|endoftext|>");
    bpe->unk_token = unk ? hs_tok_arena_strndup(&tok->arena, unk, strlen(unk)) : NULL;
    if (unk && !bpe->unk_token) {
        hs_error_set("%s: out of memory", path);
        goto done;
    }
    tok->unk_id = hs_tok_add_special(tok, config, map, "unk_token", "<|endoftext|>");
    tok->bos_id = hs_tok_add_special(tok, config, map, "bos_token", "<|endoftext|>");
    tok->eos_id = hs_tok_add_special(tok, config, map, "eos_token", "<|endoftext|>");
    tok->pad_id = hs_tok_add_special(tok, config, map, "pad_token", NULL);
    if (tok->unk_id == -2 || tok->bos_id == -2 || tok->eos_id == -2 || tok->pad_id == -2)
        goto done;
    bpe->unk_id = tok->unk_id;
    tok->add_bos = hs_tok_config_bool(config, "add_bos_token", 0);

    bpe->gpt2_regex = hs_tok_regex_compile(GPT2_PATTERN, strlen(GPT2_PATTERN));
    if (!bpe->gpt2_regex)
        goto done;
    status = 0;
done:
    if (status != 0)
        hs_error_prefix("%s", dir);
    cJSON_Delete(config);
    cJSON_Delete(map);
    return status;
}

void hs_bpe_free(hs_bpe *bpe)
{
    if (!bpe)
        return;
    hs_tok_pairmap_free(&bpe->merges);
    if (bpe->gpt2_regex)
        hs_tok_regex_free(bpe->gpt2_regex);
    free(bpe);
}

int hs_bpe_gpt2_encode(const hs_tokenizer *tok, const char *text, size_t len, size_t base,
                       int segment, hs_tok_list *list)
{
    size_t *spans = NULL;
    char *word = NULL;
    int32_t *starts = NULL, *ends = NULL;
    int status = -1;

    int n = hs_tok_regex_matches(tok->bpe->gpt2_regex, text, len, &spans);
    if (n < 0)
        return -1;
    /* each input byte becomes one character of at most two UTF-8 bytes */
    word = malloc(2 * len + 1);
    starts = malloc((2 * len + 1) * sizeof *starts);
    ends = malloc((2 * len + 1) * sizeof *ends);
    if (!word || !starts || !ends) {
        hs_error_set("bpe: out of memory for %zu bytes of text", len);
        goto done;
    }
    for (int m = 0; m < n; m++) {
        size_t w = 0;
        for (size_t i = spans[2 * m]; i < spans[2 * m + 1]; i++) {
            int size = hs_tok_utf8_encode(hs_bpe_byte_to_unicode((uint8_t)text[i]), word + w);
            for (int k = 0; k < size; k++) {
                starts[w + (size_t)k] = (int32_t)(base + i);
                ends[w + (size_t)k] = (int32_t)(base + i + 1);
            }
            w += (size_t)size;
        }
        if (hs_bpe_encode_word(tok, word, w, starts, ends, segment, list) != 0)
            goto done;
    }
    status = 0;
done:
    free(spans);
    free(word);
    free(starts);
    free(ends);
    return status;
}
