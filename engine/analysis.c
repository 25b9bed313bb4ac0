/*
 * analysis.c - head-role statistics, attention aggregation and rollout,
 * hidden special-token columns, word-level attention and the comparison of
 * one word in two sentences. Depends on utf8proc for character categories
 * and case mapping, and on OpenBLAS for the rollout's matrix products.
 *
 * Dimension letters: L layers, h heads, n tokens, w words, d hidden size,
 * k head size.
 */
#include "hs_analysis.h"

#include "hs_error.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* ---- text helpers ------------------------------------------------------ */

/* Decodes one code point at s; returns its byte length, or 0 at the end of
 * the string or on invalid UTF-8. */
static int next_code_point(const char *s, int32_t *cp)
{
    if (!*s)
        return 0;
    utf8proc_int32_t value;
    utf8proc_ssize_t length = utf8proc_iterate((const utf8proc_uint8_t *)s, -1, &value);
    if (length <= 0)
        return 0;
    *cp = value;
    return (int)length;
}

static int is_space(int32_t cp)
{
    return (cp >= 0x09 && cp <= 0x0D) || utf8proc_category(cp) == UTF8PROC_CATEGORY_ZS;
}

/* Byte-level BPE spells the bytes \t \n \v \f \r and space as U+0109..U+010D
 * and U+0120 ("Ġ"); SentencePiece spells a space as U+2581 ("▁"). */
static int is_space_marker(int32_t cp)
{
    return is_space(cp) || (cp >= 0x109 && cp <= 0x10D) || cp == 0x120 || cp == 0x2581;
}

/* Returns 1 when s starts with whitespace or a space marker. */
static int starts_with_space(const char *s)
{
    int32_t cp;
    return next_code_point(s, &cp) > 0 && is_space_marker(cp);
}

/* Returns 1 when s is non-empty and only whitespace or space markers. */
static int is_blank(const char *s)
{
    int32_t cp;
    int length;
    if (!*s)
        return 0;
    while ((length = next_code_point(s, &cp)) > 0) {
        if (!is_space_marker(cp))
            return 0;
        s += length;
    }
    return *s == '\0';
}

/* Skips leading whitespace and space markers. */
static const char *skip_space(const char *s)
{
    int32_t cp;
    int length;
    while ((length = next_code_point(s, &cp)) > 0 && is_space_marker(cp))
        s += length;
    return s;
}

/* Strips a WordPiece "##" and leading spaces from a token label. */
static const char *bare_label(const char *label)
{
    if (label[0] == '#' && label[1] == '#' && label[2])
        label += 2;
    return skip_space(label);
}

/* Compares two UTF-8 strings code point by code point after utf8proc_tolower.
 * Returns 1 when equal. */
static int equal_ignoring_case(const char *a, const char *b)
{
    for (;;) {
        int32_t ca = 0, cb = 0;
        int la = next_code_point(a, &ca);
        int lb = next_code_point(b, &cb);
        if (la == 0 || lb == 0)
            return la == 0 && lb == 0 && *a == '\0' && *b == '\0';
        if (utf8proc_tolower(ca) != utf8proc_tolower(cb))
            return 0;
        a += la;
        b += lb;
    }
}

int hs_label_is_punct(const char *label)
{
    int32_t cp;
    int length, punct = 0;
    while ((length = next_code_point(label, &cp)) > 0) {
        utf8proc_category_t category = utf8proc_category(cp);
        if (category >= UTF8PROC_CATEGORY_PC && category <= UTF8PROC_CATEGORY_PO)
            punct = 1;
        else if (!is_space(cp) && cp != 0x2581)
            return 0;
        label += length;
    }
    return *label == '\0' && punct;
}

/* ---- head roles -------------------------------------------------------- */

hs_role_thresholds hs_role_thresholds_default(void)
{
    return (hs_role_thresholds){
        .previous = 0.5f,
        .next = 0.5f,
        .self = 0.5f,
        .first = 0.6f,
        .sep = 0.6f,
        .punct = 0.6f,
        .broad = 0.85f,
        .sink = 0.5f,
    };
}

const char *hs_role_name(unsigned role)
{
    switch (role) {
    case HS_ROLE_PREVIOUS:
        return "previous";
    case HS_ROLE_NEXT:
        return "next";
    case HS_ROLE_SELF:
        return "self";
    case HS_ROLE_FIRST:
        return "first";
    case HS_ROLE_SEP:
        return "sep";
    case HS_ROLE_PUNCT:
        return "punct";
    case HS_ROLE_BROAD:
        return "broad";
    case HS_ROLE_SINK:
        return "sink";
    }
    return "?";
}

void hs_column_kinds(const hs_encoding *enc, uint8_t *kinds)
{
    for (int j = 0; j < enc->n; j++) {
        kinds[j] = 0;
        if (enc->flags[j] & HS_TOKEN_SPECIAL)
            kinds[j] |= HS_COLUMN_SPECIAL;
        else if (hs_label_is_punct(enc->labels[j]))
            kinds[j] |= HS_COLUMN_PUNCT;
    }
}

void hs_head_stats_compute(const float *attn, int n, int causal, const uint8_t *kinds,
                           hs_head_stats *out)
{
    HS_ASSERT(n >= 1);
    double previous = 0, next = 0, self = 0, first = 0, sep = 0, punct = 0;
    double entropy = 0, relative = 0;
    int sep_rows = 0, punct_rows = 0, relative_rows = 0;

    /* The first column of each kind decides which causal rows can see one. */
    int first_sep = -1, first_punct = -1;
    for (int j = n - 1; j >= 0; j--) {
        if (j > 0 && (kinds[j] & HS_COLUMN_SPECIAL))
            first_sep = j;
        if (kinds[j] & HS_COLUMN_PUNCT)
            first_punct = j;
    }

    for (int i = 0; i < n; i++) {
        const float *row = attn + (size_t)i * n; /* [n] */
        int width = causal ? i + 1 : n;

        if (i > 0)
            previous += row[i - 1];
        if (i < n - 1)
            next += row[i + 1];
        if (i > 0 || !causal)
            self += row[i];
        if (i > 0)
            first += row[0];

        double h = 0;
        for (int j = 0; j < width; j++)
            if (row[j] > 0)
                h -= row[j] * log(row[j]);
        entropy += h;
        if (width >= 2) {
            relative += h / log(width);
            relative_rows++;
        }

        if (first_sep >= 0 && first_sep < width) {
            for (int j = first_sep; j < width; j++)
                if (kinds[j] & HS_COLUMN_SPECIAL)
                    sep += row[j];
            sep_rows++;
        }
        if (first_punct >= 0 && first_punct < width) {
            for (int j = first_punct; j < width; j++)
                if (kinds[j] & HS_COLUMN_PUNCT)
                    punct += row[j];
            punct_rows++;
        }
    }

    *out = (hs_head_stats){0};
    if (n > 1) {
        out->previous = (float)(previous / (n - 1));
        out->next = (float)(next / (n - 1));
        out->first = (float)(first / (n - 1));
    }
    /* A causal row 0 can attend only to itself, so it tells nothing about the head. */
    int self_rows = causal ? n - 1 : n;
    out->self = self_rows > 0 ? (float)(self / self_rows) : 0.0f;
    out->entropy = (float)(entropy / n);
    if (relative_rows)
        out->relative_entropy = (float)(relative / relative_rows);
    if (sep_rows)
        out->sep = (float)(sep / sep_rows);
    if (punct_rows)
        out->punct = (float)(punct / punct_rows);
}

void hs_roles_label(hs_head_stats *stats, int causal, const hs_role_thresholds *thresholds)
{
    hs_role_thresholds t = thresholds ? *thresholds : hs_role_thresholds_default();
    unsigned roles = 0;
    if (stats->previous > t.previous)
        roles |= HS_ROLE_PREVIOUS;
    if (stats->next > t.next)
        roles |= HS_ROLE_NEXT;
    if (stats->self > t.self)
        roles |= HS_ROLE_SELF;
    if (!causal && stats->first > t.first)
        roles |= HS_ROLE_FIRST;
    if (stats->sep > t.sep)
        roles |= HS_ROLE_SEP;
    if (stats->punct > t.punct)
        roles |= HS_ROLE_PUNCT;
    if (stats->relative_entropy > t.broad)
        roles |= HS_ROLE_BROAD;
    if (causal && stats->first > t.sink)
        roles |= HS_ROLE_SINK;
    stats->roles = roles;
}

int hs_roles_compute(const hs_result *result, const hs_encoding *enc, int causal,
                     const hs_role_thresholds *thresholds, hs_head_stats *out)
{
    if (enc->n != result->n) {
        hs_error_set("head roles: the encoding has %d tokens but the result has %d", enc->n,
                     result->n);
        return -1;
    }
    uint8_t *kinds = malloc((size_t)result->n); /* [n] */
    if (!kinds) {
        hs_error_set("head roles: out of memory for %d tokens", result->n);
        return -1;
    }
    hs_column_kinds(enc, kinds);
    for (int l = 0; l < result->n_layers; l++) {
        for (int head = 0; head < result->n_heads; head++) {
            hs_head_stats *stats = &out[l * result->n_heads + head];
            const float *attn = hs_result_head(result, l, head); /* [n][n] */
            hs_head_stats_compute(attn, result->n, causal, kinds, stats);
            hs_roles_label(stats, causal, thresholds);
        }
    }
    free(kinds);
    return 0;
}

/* ---- aggregation ------------------------------------------------------- */

void hs_attn_layer_mean(const hs_result *result, int layer, float *out)
{
    size_t count = (size_t)result->n * result->n;
    memset(out, 0, count * sizeof *out);
    for (int head = 0; head < result->n_heads; head++) {
        const float *a = hs_result_head(result, layer, head); /* [n][n] */
        for (size_t i = 0; i < count; i++)
            out[i] += a[i];
    }
    for (size_t i = 0; i < count; i++)
        out[i] /= (float)result->n_heads;
}

void hs_attn_layer_max(const hs_result *result, int layer, float *out)
{
    size_t count = (size_t)result->n * result->n;
    memcpy(out, hs_result_head(result, layer, 0), count * sizeof *out);
    for (int head = 1; head < result->n_heads; head++) {
        const float *a = hs_result_head(result, layer, head); /* [n][n] */
        for (size_t i = 0; i < count; i++)
            if (a[i] > out[i])
                out[i] = a[i];
    }
}

void hs_attn_all_mean(const hs_result *result, float *out)
{
    size_t count = (size_t)result->n * result->n;
    size_t heads = (size_t)result->n_layers * result->n_heads;
    const float *a = result->attn; /* [L*h][n][n] */
    for (size_t i = 0; i < count; i++) {
        double sum = 0;
        for (size_t m = 0; m < heads; m++)
            sum += a[m * count + i];
        out[i] = (float)(sum / (double)heads);
    }
}

/* Scales each row of matrix[n][n] to sum 1; a row summing to 0 stays 0. */
static void normalize_rows(float *matrix, int n)
{
    for (int i = 0; i < n; i++) {
        float *row = matrix + (size_t)i * n;
        double sum = 0;
        for (int j = 0; j < n; j++)
            sum += row[j];
        if (sum > 0)
            for (int j = 0; j < n; j++)
                row[j] = (float)(row[j] / sum);
    }
}

/* layer_out[n][n] = (1 - w) * head mean + w * I, rows renormalised. */
static void rollout_layer(const hs_result *result, int layer, float *layer_out)
{
    int n = result->n;
    float w = HS_ROLLOUT_RESIDUAL;
    hs_attn_layer_mean(result, layer, layer_out);
    for (size_t i = 0; i < (size_t)n * n; i++)
        layer_out[i] *= 1.0f - w;
    for (int i = 0; i < n; i++)
        layer_out[(size_t)i * n + i] += w;
    normalize_rows(layer_out, n);
}

int hs_attn_rollout(const hs_result *result, float *out)
{
    HS_ASSERT(result->n_layers >= 1);
    int n = result->n;
    size_t count = (size_t)n * n;
    float *scratch = malloc(2 * count * sizeof *scratch);
    if (!scratch) {
        hs_error_set("attention rollout: out of memory for %d tokens", n);
        return -1;
    }
    float *layer = scratch;           /* [n][n] A'_l */
    float *product = scratch + count; /* [n][n] A'_l R_{l-1} */

    rollout_layer(result, 0, out);
    for (int l = 1; l < result->n_layers; l++) {
        rollout_layer(result, l, layer);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, layer, n, out, n,
                    0.0f, product, n);
        memcpy(out, product, count * sizeof *out);
    }

    /* The product of row-stochastic matrices is row-stochastic up to
     * rounding; renormalising keeps the rows at 1 for deep models. */
    normalize_rows(out, n);
    free(scratch);
    return 0;
}

void hs_attn_hide_columns(float *matrix, int n, const uint8_t *hide)
{
    for (int i = 0; i < n; i++) {
        float *row = matrix + (size_t)i * n;
        for (int j = 0; j < n; j++)
            if (hide[j])
                row[j] = 0.0f;
    }
    normalize_rows(matrix, n);
}

void hs_special_mask(const hs_encoding *enc, uint8_t *hide)
{
    for (int j = 0; j < enc->n; j++)
        hide[j] = (enc->flags[j] & HS_TOKEN_SPECIAL) ? 1 : 0;
}

int hs_attn_top_keys(const float *row, int width, int k, int *index, float *weight)
{
    int count = 0;
    float last_value = 0.0f;
    int last_index = -1;

    /* Each pass picks the best entry ordered after the previous pick, in the
     * order (value descending, index ascending), so nothing is marked. */
    for (; count < k && count < width; count++) {
        int best = -1;
        for (int j = 0; j < width; j++) {
            if (count > 0 && !(row[j] < last_value || (row[j] == last_value && j > last_index)))
                continue;
            if (best < 0 || row[j] > row[best])
                best = j;
        }
        if (best < 0)
            break;
        index[count] = best;
        weight[count] = row[best];
        last_value = row[best];
        last_index = best;
    }
    return count;
}

/* ---- words ------------------------------------------------------------- */

hs_word_scheme hs_words_scheme_for(hs_arch arch)
{
    return arch == HS_ARCH_BERT ? HS_WORDS_WORDPIECE : HS_WORDS_SPACE_PREFIX;
}

/* Returns 1 when token i is always a word by itself. */
static int stands_alone(const hs_encoding *enc, int i, hs_word_scheme scheme)
{
    if (enc->flags[i] & HS_TOKEN_SPECIAL)
        return 1;
    if (scheme == HS_WORDS_SPACE_PREFIX)
        return hs_label_is_punct(enc->labels[i]) || is_blank(enc->tokens[i]);
    return 0;
}

/* Returns 1 when token i continues the word of token i - 1. A lone space
 * marker (SentencePiece's "▁" before byte pieces) starts the word that
 * follows it rather than standing alone. */
static int continues_word(const hs_encoding *enc, int i, hs_word_scheme scheme)
{
    if (i == 0 || stands_alone(enc, i, scheme))
        return 0;
    const char *previous = enc->labels[i - 1];
    int lone_space = scheme == HS_WORDS_SPACE_PREFIX && !(enc->flags[i - 1] & HS_TOKEN_SPECIAL) &&
                     previous[0] == ' ' && previous[strspn(previous, " ")] == '\0';
    if (stands_alone(enc, i - 1, scheme) && !lone_space)
        return 0;
    if (enc->segment[i] != enc->segment[i - 1])
        return 0;

    /* Byte spans, when both tokens have one, must touch. */
    const int32_t *before = enc->offsets[i - 1], *span = enc->offsets[i];
    if (before[1] > before[0] && span[1] > span[0] && before[1] != span[0])
        return 0;

    const char *token = enc->tokens[i];
    if (scheme == HS_WORDS_WORDPIECE)
        return token[0] == '#' && token[1] == '#' && token[2] != '\0';
    return !starts_with_space(token) && !starts_with_space(enc->labels[i]);
}

/* Returns the source bytes of word w, trimmed of whitespace, in *begin and
 * *length, or 0 when the source cannot spell it: a special token, a span
 * missing or outside the text, invalid UTF-8, or only whitespace. */
static int word_source_span(const hs_words *words, const hs_encoding *enc, int w,
                            const hs_words_source *source, const char **begin, size_t *length)
{
    if (!source || words->special[w])
        return 0;
    int first = words->first_token[w], last = words->first_token[w + 1] - 1;
    const char *text = enc->segment[first] ? source->pair : source->text;
    size_t text_length = enc->segment[first] ? source->pair_length : source->length;
    int32_t start = enc->offsets[first][0], end = enc->offsets[last][1];
    if (!text || start < 0 || end <= start || (size_t)end > text_length)
        return 0;

    const char *p = text + start, *stop = text + end;
    if (hs_utf8_invalid_offset(p, (size_t)(stop - p)) >= 0)
        return 0;
    while (p < stop && (*p == ' ' || (*p >= '\t' && *p <= '\r')))
        p++;
    while (stop > p && (stop[-1] == ' ' || (stop[-1] >= '\t' && stop[-1] <= '\r')))
        stop--;
    if (p == stop)
        return 0;
    *begin = p;
    *length = (size_t)(stop - p);
    return 1;
}

/* Writes the label of word w at text: its source spelling when available,
 * else its pieces' labels joined. Returns the end of what was written. */
static char *write_word_label(const hs_words *words, const hs_encoding *enc, int w,
                              hs_word_scheme scheme, const hs_words_source *source, char *text)
{
    const char *span;
    size_t length;
    if (word_source_span(words, enc, w, source, &span, &length)) {
        memcpy(text, span, length);
        return text + length;
    }
    int first = words->first_token[w];
    for (int i = first; i < words->first_token[w + 1]; i++) {
        /* A special token is a word alone and keeps its label as it is. */
        const char *piece = enc->labels[i];
        if (i == first && !words->special[w])
            piece = skip_space(piece);
        else if (i > first && scheme == HS_WORDS_WORDPIECE && piece[0] == '#' && piece[1] == '#')
            piece += 2;
        length = strlen(piece);
        memcpy(text, piece, length);
        text += length;
    }
    return text;
}

hs_words *hs_words_group(const hs_encoding *enc, hs_word_scheme scheme)
{
    return hs_words_group_source(enc, scheme, NULL);
}

hs_words *hs_words_group_source(const hs_encoding *enc, hs_word_scheme scheme,
                                const hs_words_source *source)
{
    int n = enc->n;

    /* One allocation: the struct, label pointers, index arrays, flags, then
     * the label text. Joined labels take at most the token labels' bytes;
     * source spellings, which never overlap, at most the source's bytes. */
    size_t text_bytes = 1;
    for (int i = 0; i < n; i++)
        text_bytes += strlen(enc->labels[i]) + 1;
    if (source)
        text_bytes += source->length + source->pair_length;
    size_t size = sizeof(hs_words) + (size_t)n * sizeof(char *) +
                  (2 * (size_t)n + 1) * sizeof(int) + (size_t)n + text_bytes;
    hs_words *words = malloc(size);
    if (!words) {
        hs_error_set("word grouping: out of memory for %d tokens", n);
        return NULL;
    }
    words->n_tokens = n;
    words->labels = (char **)(words + 1);
    words->first_token = (int *)(words->labels + n);
    words->word_of_token = words->first_token + n + 1;
    words->special = (uint8_t *)(words->word_of_token + n);
    char *text = (char *)(words->special + n);

    /* Word boundaries first, then the labels. */
    int w = -1;
    for (int i = 0; i < n; i++) {
        if (!continues_word(enc, i, scheme)) {
            w++;
            words->first_token[w] = i;
            words->special[w] = (enc->flags[i] & HS_TOKEN_SPECIAL) ? 1 : 0;
        }
        words->word_of_token[i] = w;
    }
    words->n_words = w + 1;
    words->first_token[w + 1] = n;
    for (int k = 0; k < words->n_words; k++) {
        words->labels[k] = text;
        text = write_word_label(words, enc, k, scheme, source, text);
        *text++ = '\0';
    }
    return words;
}

void hs_words_free(hs_words *words)
{
    free(words);
}

void hs_words_attention(const hs_words *words, const float *attn, float *out)
{
    int n = words->n_tokens, w = words->n_words;
    memset(out, 0, (size_t)w * w * sizeof *out);
    for (int a = 0; a < w; a++) {
        float *out_row = out + (size_t)a * w;
        int begin = words->first_token[a], end = words->first_token[a + 1];
        for (int i = begin; i < end; i++) {
            const float *row = attn + (size_t)i * n;
            for (int j = 0; j < n; j++)
                out_row[words->word_of_token[j]] += row[j];
        }
        for (int b = 0; b < w; b++)
            out_row[b] /= (float)(end - begin);
    }
}

/* ---- comparing two sentences ------------------------------------------- */

double hs_cosine(const float *a, const float *b, int count)
{
    double dot = 0, norm_a = 0, norm_b = 0;
    for (int i = 0; i < count; i++) {
        dot += (double)a[i] * b[i];
        norm_a += (double)a[i] * a[i];
        norm_b += (double)b[i] * b[i];
    }
    if (norm_a == 0 || norm_b == 0)
        return norm_a == norm_b ? 1.0 : 0.0;

    /* With correctly rounded IEEE doubles, sqrt(x * x) == x for x > 0 when
     * x * x neither overflows nor underflows, so a vector against itself
     * gives exactly 1 (a test checks this). */
    double cosine = dot / sqrt(norm_a * norm_b);
    if (cosine > 1)
        return 1;
    if (cosine < -1)
        return -1;
    return cosine;
}

static int check_pair(const hs_result *a, int pos_a, const hs_result *b, int pos_b)
{
    if (a->n_layers != b->n_layers || a->n_heads != b->n_heads || a->d != b->d ||
        a->d_head != b->d_head) {
        hs_error_set("compare: the results come from different models (%d layers x %d heads, "
                     "hidden %d, versus %d x %d, hidden %d)",
                     a->n_layers, a->n_heads, a->d, b->n_layers, b->n_heads, b->d);
        return -1;
    }
    if (pos_a < 0 || pos_a >= a->n || pos_b < 0 || pos_b >= b->n) {
        hs_error_set("compare: token position %d / %d is out of range (the inputs have %d / %d "
                     "tokens)",
                     pos_a, pos_b, a->n, b->n);
        return -1;
    }
    return 0;
}

static int compare_scores(const void *x, const void *y)
{
    const hs_head_score *p = x, *q = y;
    if (p->score != q->score)
        return p->score > q->score ? -1 : 1;
    if (p->layer != q->layer)
        return p->layer < q->layer ? -1 : 1;
    return p->head < q->head ? -1 : p->head > q->head;
}

int hs_compare_heads(const hs_result *a, int pos_a, const hs_result *b, int pos_b,
                     hs_head_score *out)
{
    if (check_pair(a, pos_a, b, pos_b) != 0)
        return -1;
    int h = a->n_heads, k = a->d_head;
    for (int l = 0; l < a->n_layers; l++) {
        /* context is [L][n][h * k]; this token's row of layer l. */
        const float *row_a = a->context + ((size_t)l * a->n + pos_a) * h * k;
        const float *row_b = b->context + ((size_t)l * b->n + pos_b) * h * k;
        for (int head = 0; head < h; head++) {
            double cosine = hs_cosine(row_a + head * k, row_b + head * k, k);
            out[l * h + head] = (hs_head_score){l, head, (float)(1.0 - cosine)};
        }
    }
    qsort(out, (size_t)a->n_layers * h, sizeof *out, compare_scores);
    return 0;
}

int hs_compare_hidden(const hs_result *a, int pos_a, const hs_result *b, int pos_b, float *out)
{
    if (check_pair(a, pos_a, b, pos_b) != 0)
        return -1;
    int d = a->d;
    for (int l = 0; l <= a->n_layers; l++) {
        /* hidden is [L + 1][n][d]. */
        const float *row_a = a->hidden + ((size_t)l * a->n + pos_a) * d;
        const float *row_b = b->hidden + ((size_t)l * b->n + pos_b) * d;
        out[l] = (float)hs_cosine(row_a, row_b, d);
    }
    return 0;
}

/* Returns 1 when word i can be a shared word: not special, not punctuation,
 * not blank. */
static int is_content_word(const hs_words *words, int i)
{
    const char *label = words->labels[i];
    return !words->special[i] && label[0] && !hs_label_is_punct(label) && !is_blank(label);
}

int hs_words_first_shared(const hs_words *a, const hs_words *b, int first_token)
{
    for (int i = 0; i < a->n_words; i++) {
        if (a->first_token[i] < first_token || !is_content_word(a, i))
            continue;
        for (int j = 0; j < b->n_words; j++)
            if (is_content_word(b, j) && equal_ignoring_case(a->labels[i], b->labels[j]))
                return i;
    }
    return -1;
}

int hs_encoding_common_prefix(const hs_encoding *a, const hs_encoding *b)
{
    int i = 0;
    while (i < a->n && i < b->n && a->ids[i] == b->ids[i] && a->segment[i] == b->segment[i])
        i++;
    return i;
}

int hs_words_find_from(const hs_words *words, const hs_encoding *enc, const char *word,
                       int first_token)
{
    const char *target = skip_space(word);
    if (!*target)
        return -1;
    for (int i = 0; i < words->n_words; i++)
        if (words->first_token[i] >= first_token && !words->special[i] &&
            equal_ignoring_case(words->labels[i], target))
            return words->first_token[i];
    for (int i = first_token > 0 ? first_token : 0; i < enc->n; i++)
        if (!(enc->flags[i] & HS_TOKEN_SPECIAL) &&
            equal_ignoring_case(bare_label(enc->labels[i]), target))
            return i;
    return first_token > 0 ? hs_words_find_from(words, enc, word, 0) : -1;
}

int hs_words_find(const hs_words *words, const hs_encoding *enc, const char *word)
{
    return hs_words_find_from(words, enc, word, 0);
}
