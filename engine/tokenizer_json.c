/*
 * tokenizer_json.c - Hugging Face tokenizers' tokenizer.json: a pipeline of
 * added-token split, normalizers, pre-tokenizers, a BPE model and a
 * post-processor, run as the Rust tokenizers library runs it.
 *
 * Supported normalizers: Sequence, Prepend, Replace, NFC/NFD/NFKC/NFKD,
 * Lowercase, Strip, StripAccents. Pre-tokenizers: Sequence, ByteLevel, Split,
 * Digits, Metaspace, Punctuation, CharDelimiterSplit, Whitespace and
 * WhitespaceSplit. The BPE model with byte_fallback, ignore_merges,
 * unk_token, fuse_unk, continuing_subword_prefix and end_of_word_suffix.
 * Post-processors: TemplateProcessing, BertProcessing, RobertaProcessing,
 * ByteLevel and Sequence. A WordPiece model runs through wordpiece.c.
 * tok_json_load.c reads the file; this file runs the pipeline.
 *
 * Every byte of a normalized string carries the byte span of the input it came
 * from, so tokens get offsets in the original text. Depends on utf8proc and
 * PCRE2 (through bpe_gpt2.c's pattern helpers).
 */
#include "hs_error.h"
#include "tok_json.h"
#include "tokenizer_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* ---- normalized strings: bytes with the input span of each byte */

typedef struct {
    char *s;
    int32_t *a0, *a1; /* per byte: input span [a0, a1) */
    size_t len, capacity;
} nstr;

typedef struct {
    nstr *v;
    int n, capacity;
} nstr_list;

/* Makes room for extra more bytes; afterwards s is never NULL. */
static int nstr_reserve(nstr *n, size_t extra)
{
    if (n->s && n->len + extra <= n->capacity)
        return 0;
    size_t capacity = n->capacity ? n->capacity : 16;
    while (capacity < n->len + extra)
        capacity *= 2;
    char *s = realloc(n->s, capacity + 1);
    if (s)
        n->s = s;
    int32_t *a0 = realloc(n->a0, capacity * sizeof *a0);
    if (a0)
        n->a0 = a0;
    int32_t *a1 = realloc(n->a1, capacity * sizeof *a1);
    if (a1)
        n->a1 = a1;
    if (!s || !a0 || !a1) {
        hs_error_set("tokenizer.json: out of memory for %zu bytes of normalized text", capacity);
        return -1;
    }
    n->capacity = capacity;
    return 0;
}

/* Appends bytes that all carry the span [a0, a1). */
static int nstr_append(nstr *n, const char *bytes, size_t len, int32_t a0, int32_t a1)
{
    if (nstr_reserve(n, len) != 0)
        return -1;
    for (size_t i = 0; i < len; i++) {
        n->s[n->len] = bytes[i];
        n->a0[n->len] = a0;
        n->a1[n->len] = a1;
        n->len++;
    }
    n->s[n->len] = '\0';
    return 0;
}

/* Appends src[from, to) with its own spans. */
static int nstr_append_range(nstr *n, const nstr *src, size_t from, size_t to)
{
    if (nstr_reserve(n, to - from) != 0)
        return -1;
    if (to == from)
        return 0;
    memcpy(n->s + n->len, src->s + from, to - from);
    memcpy(n->a0 + n->len, src->a0 + from, (to - from) * sizeof *n->a0);
    memcpy(n->a1 + n->len, src->a1 + from, (to - from) * sizeof *n->a1);
    n->len += to - from;
    n->s[n->len] = '\0';
    return 0;
}

static void nstr_free(nstr *n)
{
    free(n->s);
    free(n->a0);
    free(n->a1);
    memset(n, 0, sizeof *n);
}

static void nstr_swap(nstr *a, nstr *b)
{
    nstr t = *a;
    *a = *b;
    *b = t;
}

static int list_push(nstr_list *l, nstr *item)
{
    if (l->n == l->capacity) {
        int capacity = l->capacity ? l->capacity * 2 : 16;
        nstr *grown = realloc(l->v, (size_t)capacity * sizeof *grown);
        if (!grown) {
            hs_error_set("tokenizer.json: out of memory for %d pieces", capacity);
            return -1;
        }
        l->v = grown;
        l->capacity = capacity;
    }
    l->v[l->n++] = *item;
    memset(item, 0, sizeof *item);
    return 0;
}

static void list_free(nstr_list *l)
{
    for (int i = 0; i < l->n; i++)
        nstr_free(&l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

/* Span of the character at byte i of n (its first and last byte). */
static void char_span(const nstr *n, size_t i, int size, int32_t *a0, int32_t *a1)
{
    *a0 = n->a0[i];
    *a1 = n->a1[i + (size_t)size - 1];
}

/* ---- Unicode helpers */

/* Unicode White_Space, which Rust's char::is_whitespace tests. */
static int is_white_space(int32_t cp)
{
    return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 ||
           cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 ||
           cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

/* Rust's char::is_numeric: general categories Nd, Nl and No. */
static int is_numeric(int32_t cp)
{
    utf8proc_category_t cat = utf8proc_category(cp);
    return cat == UTF8PROC_CATEGORY_ND || cat == UTF8PROC_CATEGORY_NL ||
           cat == UTF8PROC_CATEGORY_NO;
}

/* ---- normalizers */

static int norm_prepend(nstr *n, const char *prefix)
{
    if (n->len == 0)
        return 0;
    nstr out = {0};
    int size = 1;
    hs_tok_utf8_decode(n->s, n->len, &size);
    int32_t a0, a1;
    char_span(n, 0, size, &a0, &a1);
    if (nstr_append(&out, prefix, strlen(prefix), a0, a1) != 0 ||
        nstr_append_range(&out, n, 0, n->len) != 0) {
        nstr_free(&out);
        return -1;
    }
    nstr_swap(n, &out);
    nstr_free(&out);
    return 0;
}

/* Replaces each match [spans[2k], spans[2k+1]) with content; the new bytes
 * span the input of the bytes they replace. */
static int replace_spans(nstr *n, const size_t *spans, int count, const char *content)
{
    nstr out = {0};
    size_t at = 0;
    for (int k = 0; k < count; k++) {
        size_t s = spans[2 * k], e = spans[2 * k + 1];
        if (nstr_append_range(&out, n, at, s) != 0 ||
            nstr_append(&out, content, strlen(content), n->a0[s], n->a1[e - 1]) != 0)
            goto fail;
        at = e;
    }
    if (nstr_append_range(&out, n, at, n->len) != 0)
        goto fail;
    nstr_swap(n, &out);
    nstr_free(&out);
    return 0;
fail:
    nstr_free(&out);
    return -1;
}

/* Finds the non-overlapping occurrences of a literal, left to right. */
static int find_literal(const char *s, size_t len, const char *literal, size_t **spans_out)
{
    size_t lit = strlen(literal);
    size_t *spans = NULL;
    int n = 0, capacity = 0;
    for (size_t i = 0; lit && i + lit <= len;) {
        if (memcmp(s + i, literal, lit) != 0) {
            i++;
            continue;
        }
        if (n == capacity) {
            capacity = capacity ? capacity * 2 : 16;
            size_t *grown = realloc(spans, (size_t)capacity * 2 * sizeof *grown);
            if (!grown) {
                free(spans);
                hs_error_set("tokenizer.json: out of memory searching '%s'", literal);
                return -1;
            }
            spans = grown;
        }
        spans[2 * n] = i;
        spans[2 * n + 1] = i + lit;
        n++;
        i += lit;
    }
    *spans_out = spans;
    return n;
}

static int norm_replace(nstr *n, const norm_step *step)
{
    size_t *spans = NULL;
    int count = step->regex ? hs_tok_regex_matches(step->regex, n->s, n->len, &spans)
                            : find_literal(n->s, n->len, step->text, &spans);
    if (count < 0)
        return -1;
    int rc = count ? replace_spans(n, spans, count, step->content) : 0;
    free(spans);
    return rc;
}

/* Whether a character may combine with the one before it under
 * normalization (the same rule as wordpiece.c's NFC clusters). */
static int is_non_starter(int32_t cp)
{
    if ((cp >= 0x1161 && cp <= 0x1175) || (cp >= 0x11A8 && cp <= 0x11C2))
        return 1;
    return utf8proc_get_property(cp)->combining_class != 0;
}

/* Unicode normalization one cluster (a starter and its non-starters) at a
 * time. A cluster that changes maps every output character to the input span
 * of the whole cluster. */
static int norm_unicode(nstr *n, int options)
{
    nstr out = {0};
    for (size_t i = 0; i < n->len;) {
        int size = 1;
        int32_t cp = hs_tok_utf8_decode(n->s + i, n->len - i, &size);
        size_t j = i + (size_t)size;
        while (j < n->len) {
            int next_size = 1;
            int32_t next = hs_tok_utf8_decode(n->s + j, n->len - j, &next_size);
            if (!is_non_starter(next))
                break;
            j += (size_t)next_size;
        }
        if (j == i + (size_t)size && cp < 0xA0) {
            if (nstr_append_range(&out, n, i, j) != 0)
                goto fail;
            i = j;
            continue;
        }
        utf8proc_uint8_t *mapped = NULL;
        utf8proc_ssize_t mlen = utf8proc_map((const utf8proc_uint8_t *)n->s + i,
                                             (utf8proc_ssize_t)(j - i), &mapped,
                                             (utf8proc_option_t)options);
        if (mlen < 0) {
            hs_error_set("tokenizer.json: Unicode normalization failed: %s",
                         utf8proc_errmsg(mlen));
            goto fail;
        }
        int same = (size_t)mlen == j - i && memcmp(mapped, n->s + i, j - i) == 0;
        int rc = same ? nstr_append_range(&out, n, i, j)
                      : nstr_append(&out, (const char *)mapped, (size_t)mlen, n->a0[i],
                                    n->a1[j - 1]);
        free(mapped);
        if (rc != 0)
            goto fail;
        i = j;
    }
    nstr_swap(n, &out);
    nstr_free(&out);
    return 0;
fail:
    nstr_free(&out);
    return -1;
}

static int norm_lowercase(nstr *n)
{
    nstr out = {0};
    for (size_t i = 0; i < n->len;) {
        int size = 1;
        int32_t cp = hs_tok_utf8_decode(n->s + i, n->len - i, &size);
        char buf[8];
        int blen;
        if (cp == 0x130) {
            /* Rust's to_lowercase uses the full mapping: i + U+0307 */
            memcpy(buf, "i\xCC\x87", 3);
            blen = 3;
        } else {
            blen = hs_tok_utf8_encode(utf8proc_tolower(cp), buf);
        }
        int32_t a0, a1;
        char_span(n, i, size, &a0, &a1);
        if (nstr_append(&out, buf, (size_t)blen, a0, a1) != 0) {
            nstr_free(&out);
            return -1;
        }
        i += (size_t)size;
    }
    nstr_swap(n, &out);
    nstr_free(&out);
    return 0;
}

static int norm_strip(nstr *n, int left, int right)
{
    size_t start = 0, end = n->len;
    while (left && start < end) {
        int size = 1;
        if (!is_white_space(hs_tok_utf8_decode(n->s + start, end - start, &size)))
            break;
        start += (size_t)size;
    }
    while (right && end > start) {
        size_t k = end - 1;
        while (k > start && ((uint8_t)n->s[k] & 0xC0) == 0x80)
            k--;
        int size = 1;
        if (!is_white_space(hs_tok_utf8_decode(n->s + k, end - k, &size)))
            break;
        end = k;
    }
    nstr out = {0};
    if (nstr_append_range(&out, n, start, end) != 0 || nstr_reserve(&out, 1) != 0) {
        nstr_free(&out);
        return -1;
    }
    nstr_swap(n, &out);
    nstr_free(&out);
    return 0;
}

/* Drops every combining mark (Mn, Mc, Me), as the StripAccents normalizer
 * does; meant to follow NFD or NFKD. */
static int norm_strip_accents(nstr *n)
{
    nstr out = {0};
    for (size_t i = 0; i < n->len;) {
        int size = 1;
        int32_t cp = hs_tok_utf8_decode(n->s + i, n->len - i, &size);
        utf8proc_category_t cat = utf8proc_category(cp);
        int mark = cat == UTF8PROC_CATEGORY_MN || cat == UTF8PROC_CATEGORY_MC ||
                   cat == UTF8PROC_CATEGORY_ME;
        if (!mark && nstr_append_range(&out, n, i, i + (size_t)size) != 0) {
            nstr_free(&out);
            return -1;
        }
        i += (size_t)size;
    }
    if (nstr_reserve(&out, 1) != 0) {
        nstr_free(&out);
        return -1;
    }
    nstr_swap(n, &out);
    nstr_free(&out);
    return 0;
}

static int normalize(const hs_tokjson *json, nstr *n)
{
    for (int i = 0; i < json->n_norms; i++) {
        const norm_step *step = &json->norms[i];
        int rc = 0;
        switch (step->kind) {
        case NORM_PREPEND:
            rc = norm_prepend(n, step->text);
            break;
        case NORM_REPLACE:
            rc = norm_replace(n, step);
            break;
        case NORM_UNICODE:
            rc = norm_unicode(n, step->options);
            break;
        case NORM_LOWERCASE:
            rc = norm_lowercase(n);
            break;
        case NORM_STRIP:
            rc = norm_strip(n, step->left, step->right);
            break;
        case NORM_STRIP_ACCENTS:
            rc = norm_strip_accents(n);
            break;
        }
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* ---- pre-tokenizers */

/* Splits one piece at match spans (sorted, non-overlapping) and appends the
 * parts to out. The matches and the gaps between them form segments, and
 * invert swaps which of them are delimiters. The behaviour decides how the
 * delimiters join the parts, as the tokenizers library's split does. */
static int split_piece(const nstr *piece, const size_t *spans, int count,
                       split_behavior behavior, int invert, nstr_list *out)
{
    /* seg[3k .. 3k+2]: start, end, is delimiter */
    size_t *seg = malloc(((size_t)count * 2 + 1) * 3 * sizeof *seg);
    size_t *parts = malloc(((size_t)count * 2 + 1) * 2 * sizeof *parts);
    int n_segments = 0, n_parts = 0, status = -1;
    nstr part = {0};

    if (!seg || !parts) {
        hs_error_set("tokenizer.json: out of memory splitting a piece of %zu bytes", piece->len);
        goto done;
    }
    size_t at = 0;
    for (int k = 0; k <= count; k++) {
        size_t s = k < count ? spans[2 * k] : piece->len;
        if (s > at) {
            seg[3 * n_segments] = at;
            seg[3 * n_segments + 1] = s;
            seg[3 * n_segments + 2] = (size_t)invert;
            n_segments++;
        }
        if (k == count)
            break;
        seg[3 * n_segments] = s;
        seg[3 * n_segments + 1] = spans[2 * k + 1];
        seg[3 * n_segments + 2] = (size_t)!invert;
        n_segments++;
        at = spans[2 * k + 1];
    }

    if (behavior == SPLIT_MERGED_WITH_NEXT) {
        /* from the end: a delimiter joins the part after it unless that part
         * began as a delimiter too */
        int next_was_delimiter = 0;
        for (int k = n_segments - 1; k >= 0; k--) {
            int delimiter = (int)seg[3 * k + 2];
            if (delimiter && !next_was_delimiter && n_parts > 0) {
                parts[2 * (n_parts - 1)] = seg[3 * k];
            } else {
                parts[2 * n_parts] = seg[3 * k];
                parts[2 * n_parts + 1] = seg[3 * k + 1];
                n_parts++;
            }
            next_was_delimiter = delimiter;
        }
        for (int k = 0; k < n_parts / 2; k++) {
            size_t s = parts[2 * k], e = parts[2 * k + 1];
            parts[2 * k] = parts[2 * (n_parts - 1 - k)];
            parts[2 * k + 1] = parts[2 * (n_parts - 1 - k) + 1];
            parts[2 * (n_parts - 1 - k)] = s;
            parts[2 * (n_parts - 1 - k) + 1] = e;
        }
    } else {
        int previous_was_delimiter = 0;
        for (int k = 0; k < n_segments; k++) {
            int delimiter = (int)seg[3 * k + 2];
            int join = 0;
            if (behavior == SPLIT_REMOVED && delimiter)
                continue;
            if (behavior == SPLIT_MERGED_WITH_PREVIOUS)
                join = delimiter && !previous_was_delimiter;
            else if (behavior == SPLIT_CONTIGUOUS)
                join = delimiter == previous_was_delimiter;
            if (join && n_parts > 0) {
                parts[2 * n_parts - 1] = seg[3 * k + 1];
            } else {
                parts[2 * n_parts] = seg[3 * k];
                parts[2 * n_parts + 1] = seg[3 * k + 1];
                n_parts++;
            }
            previous_was_delimiter = delimiter;
        }
    }

    for (int k = 0; k < n_parts; k++) {
        if (nstr_append_range(&part, piece, parts[2 * k], parts[2 * k + 1]) != 0 ||
            list_push(out, &part) != 0)
            goto done;
    }
    status = 0;
done:
    nstr_free(&part);
    free(seg);
    free(parts);
    return status;
}

/* Spans of each punctuation character. */
static int find_punctuation(const nstr *n, size_t **spans_out)
{
    size_t *spans = malloc((n->len + 1) * 2 * sizeof *spans);
    int count = 0;
    if (!spans) {
        hs_error_set("tokenizer.json: out of memory splitting punctuation");
        return -1;
    }
    for (size_t i = 0; i < n->len;) {
        int size = 1;
        if (hs_tok_is_bert_punctuation(hs_tok_utf8_decode(n->s + i, n->len - i, &size))) {
            spans[2 * count] = i;
            spans[2 * count + 1] = i + (size_t)size;
            count++;
        }
        i += (size_t)size;
    }
    *spans_out = spans;
    return count;
}

/* Spans of each numeric character, or of each run of them. */
static int find_digits(const nstr *n, int individual, size_t **spans_out)
{
    size_t *spans = malloc((n->len + 1) * 2 * sizeof *spans);
    int count = 0;
    if (!spans) {
        hs_error_set("tokenizer.json: out of memory splitting digits");
        return -1;
    }
    for (size_t i = 0; i < n->len;) {
        int size = 1;
        int32_t cp = hs_tok_utf8_decode(n->s + i, n->len - i, &size);
        if (is_numeric(cp)) {
            if (!individual && count > 0 && spans[2 * count - 1] == i) {
                spans[2 * count - 1] = i + (size_t)size;
            } else {
                spans[2 * count] = i;
                spans[2 * count + 1] = i + (size_t)size;
                count++;
            }
        }
        i += (size_t)size;
    }
    *spans_out = spans;
    return count;
}

/* Maps every byte to its GPT-2 byte-to-unicode character. */
static int byte_level_map(nstr *n)
{
    nstr out = {0};
    for (size_t i = 0; i < n->len; i++) {
        char buf[4];
        int size = hs_tok_utf8_encode(hs_bpe_byte_to_unicode((uint8_t)n->s[i]), buf);
        if (nstr_append(&out, buf, (size_t)size, n->a0[i], n->a1[i]) != 0) {
            nstr_free(&out);
            return -1;
        }
    }
    if (nstr_reserve(&out, 1) != 0) {
        nstr_free(&out);
        return -1;
    }
    nstr_swap(n, &out);
    nstr_free(&out);
    return 0;
}

/* Runs one pre-tokenizer over every piece. */
static int pre_tokenize_step(const pre_step *step, nstr_list *pieces)
{
    nstr_list out = {0};
    int status = -1;

    for (int p = 0; p < pieces->n; p++) {
        nstr *piece = &pieces->v[p];
        size_t *spans = NULL;
        int count = 0;
        split_behavior behavior = SPLIT_ISOLATED;
        int invert = 0;

        switch (step->kind) {
        case PRE_BYTE_LEVEL:
            if (step->add_prefix_space && (piece->len == 0 || piece->s[0] != ' ')) {
                if (piece->len == 0)
                    continue;
                if (norm_prepend(piece, " ") != 0)
                    goto done;
            }
            if (step->use_regex) {
                count = hs_tok_regex_matches(step->regex, piece->s, piece->len, &spans);
            } else {
                count = 0;
            }
            break;
        case PRE_SPLIT:
            count = step->regex ? hs_tok_regex_matches(step->regex, piece->s, piece->len, &spans)
                                : find_literal(piece->s, piece->len, step->literal, &spans);
            behavior = step->behavior;
            invert = step->invert;
            break;
        case PRE_DIGITS:
            count = find_digits(piece, step->individual_digits, &spans);
            behavior = step->individual_digits ? SPLIT_ISOLATED : SPLIT_CONTIGUOUS;
            break;
        case PRE_METASPACE: {
            size_t *spaces = NULL;
            int n_spaces = find_literal(piece->s, piece->len, " ", &spaces);
            int rc = n_spaces < 0 ? -1
                     : n_spaces  ? replace_spans(piece, spaces, n_spaces, step->replacement)
                                 : 0;
            free(spaces);
            if (rc != 0)
                goto done;
            size_t rlen = strlen(step->replacement);
            int starts = piece->len >= rlen && memcmp(piece->s, step->replacement, rlen) == 0;
            /* "first" prepends only to the piece that starts the input text */
            int prepend = step->scheme == PREPEND_ALWAYS ||
                          (step->scheme == PREPEND_FIRST && piece->len > 0 && piece->a0[0] == 0);
            if (prepend && !starts && norm_prepend(piece, step->replacement) != 0)
                goto done;
            if (step->split) {
                count = find_literal(piece->s, piece->len, step->replacement, &spans);
                behavior = SPLIT_MERGED_WITH_NEXT;
            }
            break;
        }
        case PRE_WHITESPACE:
            /* pieces are the matches of \w+|[^\w\s]+ */
            count = hs_tok_regex_matches(step->regex, piece->s, piece->len, &spans);
            behavior = SPLIT_REMOVED;
            invert = 1;
            break;
        case PRE_WHITESPACE_SPLIT:
            count = hs_tok_regex_matches(step->regex, piece->s, piece->len, &spans);
            behavior = SPLIT_REMOVED;
            break;
        case PRE_PUNCTUATION:
            count = find_punctuation(piece, &spans);
            behavior = step->behavior;
            break;
        case PRE_CHAR_DELIMITER:
            count = find_literal(piece->s, piece->len, step->literal, &spans);
            behavior = SPLIT_REMOVED;
            break;
        }
        if (count < 0)
            goto done;
        int rc = split_piece(piece, spans, count, behavior, invert, &out);
        free(spans);
        if (rc != 0)
            goto done;
    }
    if (step->kind == PRE_BYTE_LEVEL)
        for (int p = 0; p < out.n; p++)
            if (byte_level_map(&out.v[p]) != 0)
                goto done;
    list_free(pieces);
    *pieces = out;
    memset(&out, 0, sizeof out);
    status = 0;
done:
    list_free(&out);
    return status;
}

/* ---- encoding */

/* Normalizes, pre-tokenizes and runs the model on text[start, end). */
static int encode_text(const hs_tokenizer *tok, const char *text, size_t start, size_t end,
                       int segment, hs_tok_list *list)
{
    const hs_tokjson *json = tok->json;
    nstr_list pieces = {0};
    nstr n = {0};
    int status = -1;

    if (tok->wordpiece)
        return hs_wordpiece_encode(tok, text + start, end - start, start, segment, list);
    if (nstr_reserve(&n, end - start + 1) != 0)
        goto done;
    for (size_t i = start; i < end; i++) {
        n.s[n.len] = text[i];
        n.a0[n.len] = (int32_t)i;
        n.a1[n.len] = (int32_t)i + 1;
        n.len++;
    }
    n.s[n.len] = '\0';
    if (normalize(json, &n) != 0)
        goto done;
    if (list_push(&pieces, &n) != 0)
        goto done;
    for (int i = 0; i < json->n_pres; i++)
        if (pre_tokenize_step(&json->pres[i], &pieces) != 0)
            goto done;
    for (int p = 0; p < pieces.n; p++) {
        const nstr *piece = &pieces.v[p];
        if (hs_bpe_encode_word(tok, piece->s, piece->len, piece->a0, piece->a1, segment,
                               list) != 0)
            goto done;
    }
    status = 0;
done:
    nstr_free(&n);
    list_free(&pieces);
    return status;
}

/* Encodes one input text: added tokens split out first, the pipeline on the
 * text between them. */
static int encode_sequence(const hs_tokenizer *tok, const char *text, size_t len, int segment,
                           hs_tok_list *list)
{
    hs_tok_span *spans = NULL;
    int status = -1;
    int n = hs_tok_split_added(tok, text, len, &spans);
    if (n < 0)
        return -1;
    for (int i = 0; i < n; i++) {
        const hs_tok_span *span = &spans[i];
        if (span->added >= 0) {
            const hs_tok_added *a = &tok->added[span->added];
            if (hs_tok_list_push(list, a->id, (int32_t)span->start, (int32_t)span->end,
                                 a->special ? HS_TOKEN_SPECIAL : HS_TOKEN_NORMAL, segment,
                                 0) != 0)
                goto done;
        } else if (encode_text(tok, text, span->start, span->end, segment, list) != 0) {
            goto done;
        }
    }
    status = 0;
done:
    free(spans);
    return status;
}

/* Appends the tokens of seq (one encoded text) with a type id. */
static int append_sequence(hs_tok_list *list, const hs_tok_list *seq, int type_id)
{
    for (int i = 0; i < seq->n; i++)
        if (hs_tok_list_push(list, seq->ids[i], seq->offsets[i][0], seq->offsets[i][1],
                             seq->flags[i], seq->segment[i], type_id) != 0)
            return -1;
    return 0;
}

static int apply_template(const template_list *t, const hs_tok_list *a, const hs_tok_list *b,
                          hs_tok_list *list)
{
    int segment = 0;
    for (int i = 0; i < t->n; i++) {
        const template_item *item = &t->items[i];
        if (item->sequence >= 0) {
            segment = item->sequence;
            if (append_sequence(list, item->sequence ? b : a, item->type_id) != 0)
                return -1;
            continue;
        }
        for (int k = 0; k < item->n_ids; k++)
            if (hs_tok_list_push(list, item->ids[k], 0, 0, HS_TOKEN_SPECIAL, segment,
                                 item->type_id) != 0)
                return -1;
    }
    return 0;
}

int hs_tokjson_encode(const hs_tokenizer *tok, const char *text, size_t len, const char *pair,
                      size_t pair_len, int add_special, int bos, hs_tok_list *list)
{
    const hs_tokjson *json = tok->json;
    hs_tok_list a = {0}, b = {0};
    int status = -1;

    if (encode_sequence(tok, text, len, 0, &a) != 0)
        goto done;
    if (pair && encode_sequence(tok, pair, pair_len, 1, &b) != 0)
        goto done;
    int dropped = a.n_dropped + b.n_dropped;
    if (dropped > 0)
        hs_log_warning("%s: dropped %d character%s with no vocabulary entry, as the tokenizers "
                       "library does when unk_token is null (the first at byte %d of the %s "
                       "text)",
                       tok->vocab_path, dropped, dropped == 1 ? "" : "s",
                       (int)(a.n_dropped ? a.first_dropped_at : b.first_dropped_at),
                       a.n_dropped ? "first" : "second");
    if (add_special && json->has_template) {
        if (apply_template(pair ? &json->pair : &json->single, &a, &b, list) != 0)
            goto done;
    } else if (append_sequence(list, &a, 0) != 0 || (pair && append_sequence(list, &b, 1) != 0)) {
        goto done;
    }

    /* the bos option overrides what the template did */
    int starts_with_bos = list->n > 0 && tok->bos_id >= 0 && list->ids[0] == tok->bos_id &&
                          list->offsets[0][0] == 0 && list->offsets[0][1] == 0 &&
                          (list->flags[0] & HS_TOKEN_SPECIAL);
    if (bos == 0 && starts_with_bos) {
        memmove(list->ids, list->ids + 1, (size_t)(list->n - 1) * sizeof *list->ids);
        memmove(list->offsets, list->offsets + 1, (size_t)(list->n - 1) * sizeof *list->offsets);
        memmove(list->flags, list->flags + 1, (size_t)(list->n - 1));
        memmove(list->segment, list->segment + 1, (size_t)(list->n - 1));
        memmove(list->type_ids, list->type_ids + 1,
                (size_t)(list->n - 1) * sizeof *list->type_ids);
        list->n--;
    } else if (bos == 1 && !starts_with_bos) {
        if (tok->bos_id < 0) {
            hs_error_set("%s: BOS requested but no bos_token is configured",
                         tok->vocab_path);
            goto done;
        }
        if (hs_tok_list_push(list, 0, 0, 0, 0, 0, 0) != 0)
            goto done;
        memmove(list->ids + 1, list->ids, (size_t)(list->n - 1) * sizeof *list->ids);
        memmove(list->offsets + 1, list->offsets, (size_t)(list->n - 1) * sizeof *list->offsets);
        memmove(list->flags + 1, list->flags, (size_t)(list->n - 1));
        memmove(list->segment + 1, list->segment, (size_t)(list->n - 1));
        memmove(list->type_ids + 1, list->type_ids,
                (size_t)(list->n - 1) * sizeof *list->type_ids);
        list->ids[0] = tok->bos_id;
        list->offsets[0][0] = list->offsets[0][1] = 0;
        list->flags[0] = HS_TOKEN_SPECIAL;
        list->segment[0] = 0;
        list->type_ids[0] = 0;
    }
    status = 0;
done:
    hs_tok_list_free(&a);
    hs_tok_list_free(&b);
    return status;
}

int hs_tokjson_adds_bos(const hs_tokenizer *tok)
{
    const hs_tokjson *json = tok->json;
    if (!json || !json->has_template || json->single.n == 0)
        return 0;
    const template_item *first = &json->single.items[0];
    if (first->sequence >= 0 || first->n_ids == 0)
        return 0;
    return tok->bos_id < 0 || first->ids[0] == tok->bos_id;
}
