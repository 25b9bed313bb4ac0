/*
 * tokenizer_json.c - Hugging Face tokenizers' tokenizer.json: a pipeline of
 * added-token split, normalizers, pre-tokenizers, a BPE model and a
 * post-processor, run as the Rust tokenizers library runs it.
 *
 * Supported normalizers: Sequence, Prepend, Replace, NFC/NFD/NFKC/NFKD,
 * Lowercase, Strip, StripAccents. Pre-tokenizers: Sequence, ByteLevel, Split,
 * Digits, Metaspace, Punctuation, CharDelimiterSplit, Whitespace and
 * WhitespaceSplit. The BPE model with byte_fallback,
 * ignore_merges, unk_token, fuse_unk, continuing_subword_prefix and
 * end_of_word_suffix. Post-processors: TemplateProcessing, BertProcessing,
 * RobertaProcessing, ByteLevel and Sequence. A WordPiece tokenizer.json is
 * handed to wordpiece.c. Anything else is a load error that names it.
 *
 * Every byte of a normalized string carries the byte span of the input it came
 * from, so tokens get offsets in the original text. Depends on cJSON, utf8proc
 * and PCRE2 (through bpe_gpt2.c's pattern helpers).
 */
#include "hs_error.h"
#include "tokenizer_internal.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* ---- pipeline description */

typedef enum {
    NORM_PREPEND,
    NORM_REPLACE,
    NORM_UNICODE, /* NFC, NFD, NFKC, NFKD */
    NORM_LOWERCASE,
    NORM_STRIP,
    NORM_STRIP_ACCENTS,
} norm_kind;

typedef struct {
    norm_kind kind;
    char *text;      /* Prepend: prefix; Replace: literal pattern or NULL */
    char *content;   /* Replace: replacement */
    void *regex;     /* Replace with a Regex pattern */
    int options;     /* NORM_UNICODE: utf8proc options */
    int left, right; /* Strip */
} norm_step;

typedef enum {
    PRE_BYTE_LEVEL,
    PRE_SPLIT,
    PRE_DIGITS,
    PRE_METASPACE,
    PRE_WHITESPACE,
    PRE_WHITESPACE_SPLIT,
    PRE_PUNCTUATION,
    PRE_CHAR_DELIMITER,
} pre_kind;

typedef enum {
    SPLIT_REMOVED,
    SPLIT_ISOLATED,
    SPLIT_MERGED_WITH_PREVIOUS,
    SPLIT_MERGED_WITH_NEXT,
    SPLIT_CONTIGUOUS,
} split_behavior;

typedef enum {
    PREPEND_ALWAYS,
    PREPEND_FIRST,
    PREPEND_NEVER,
} prepend_scheme;

typedef struct {
    pre_kind kind;
    int add_prefix_space, use_regex;  /* ByteLevel */
    void *regex;                      /* Split (Regex), ByteLevel, Whitespace */
    char *literal;                    /* Split (String), CharDelimiterSplit */
    split_behavior behavior;          /* Split, Punctuation */
    int invert;                       /* Split */
    int individual_digits;            /* Digits */
    char *replacement;                /* Metaspace, UTF-8 of one character */
    prepend_scheme scheme;            /* Metaspace */
    int split;                        /* Metaspace */
} pre_step;

/* One item of a post-processor template: a special token or a sequence. */
typedef struct {
    int sequence;    /* -1: special token, 0: $A, 1: $B */
    int32_t *ids;    /* special token ids */
    int n_ids;
    int type_id;
} template_item;

typedef struct {
    template_item *items;
    int n;
} template_list;

struct hs_tokjson {
    norm_step *norms;
    int n_norms;
    pre_step *pres;
    int n_pres;
    template_list single, pair;
    int has_template;
};

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

/* The tokenizers library's punctuation: ASCII punctuation and every P*
 * category. */
static int is_punctuation(int32_t cp)
{
    if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) ||
        (cp >= 123 && cp <= 126))
        return 1;
    utf8proc_category_t cat = utf8proc_category(cp);
    return cat >= UTF8PROC_CATEGORY_PC && cat <= UTF8PROC_CATEGORY_PO;
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
        if (is_punctuation(hs_tok_utf8_decode(n->s + i, n->len - i, &size))) {
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
            hs_error_set("tokenizer.json: BOS requested but no bos_token is configured");
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

/* ---- loading */

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
    bpe->unk_id = token_id(tok, get_string(model, "unk_token"));
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
    hs_error_prefix("%s", path);
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
