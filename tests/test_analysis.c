/*
 * test_analysis.c - head-role statistics, aggregation, rollout, hidden
 * columns, word grouping and the lessons parser on small matrices whose
 * expected values are worked out by hand in the comments; the comparison of
 * two sentences on the fixture models.
 */
#include "test_util.h"

#include "hs_analysis.h"
#include "hs_error.h"
#include "hs_forward.h"
#include "hs_lessons.h"
#include "hs_model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Hand-computed values are written with 6 decimals, so they are checked to
 * within 1e-5; exact sums such as 0.5625 are checked to within 1e-6. */
#define HAND 1e-5
#define EXACT 1e-6

/* ---- hand-built inputs ------------------------------------------------- */

/* An encoding over caller-owned arrays; only what analysis reads is set. */
typedef struct {
    hs_encoding enc;
    int32_t offsets[16][2];
    uint8_t flags[16];
    uint8_t segment[16];
} test_encoding;

static void make_encoding(test_encoding *t, int n, const char **tokens, const char **labels,
                          const int (*offsets)[2], const uint8_t *flags)
{
    assert_true(n <= 16);
    memset(t, 0, sizeof *t);
    for (int i = 0; i < n; i++) {
        t->offsets[i][0] = offsets ? offsets[i][0] : 0;
        t->offsets[i][1] = offsets ? offsets[i][1] : 0;
        t->flags[i] = flags ? flags[i] : 0;
    }
    t->enc.n = n;
    t->enc.tokens = (char **)tokens;
    t->enc.labels = (char **)labels;
    t->enc.offsets = t->offsets;
    t->enc.flags = t->flags;
    t->enc.segment = t->segment;
}

/* Two layers, two heads, three tokens, used by the aggregation tests.
 * Layer 0 head mean A1 = [.5 .5 0; 0 .5 .5; 0 .5 .5];
 * layer 1 head mean A2 = [.5 0 .5; .5 .5 0; 1 0 0]. */
static const float two_layer_attn[2][2][3][3] = {
    {
        {{0.5f, 0.5f, 0}, {0, 1, 0}, {0, 0.5f, 0.5f}},
        {{0.5f, 0.5f, 0}, {0, 0, 1}, {0, 0.5f, 0.5f}},
    },
    {
        {{1, 0, 0}, {1, 0, 0}, {1, 0, 0}},
        {{0, 0, 1}, {0, 1, 0}, {1, 0, 0}},
    },
};

static hs_result two_layer_result(void)
{
    return (hs_result){.n_layers = 2, .n_heads = 2, .n = 3, .attn = (float *)two_layer_attn};
}

static void assert_matrix(const float *got, const float *want, int count, double tolerance)
{
    for (int i = 0; i < count; i++)
        if (fabs(got[i] - want[i]) > tolerance)
            fail_msg("entry %d: got %.7f, expected %.7f (tolerance %g)", i, got[i], want[i],
                     tolerance);
}

/* ---- head statistics --------------------------------------------------- */

static void head_stats_encoder(void **state)
{
    /* Tokens: [CLS] word , [SEP] */
    const uint8_t kinds[4] = {HS_COLUMN_SPECIAL, 0, HS_COLUMN_PUNCT, HS_COLUMN_SPECIAL};
    const float attn[4][4] = {
        {0.1f, 0.2f, 0.3f, 0.4f},
        {0.5f, 0.1f, 0.2f, 0.2f},
        {0.25f, 0.25f, 0.25f, 0.25f},
        {0.0f, 0.0f, 0.5f, 0.5f},
    };
    hs_head_stats s;
    hs_head_stats_compute(&attn[0][0], 4, 0, kinds, &s);

    assert_float_equal(s.previous, 0.416667, HAND); /* (0.5 + 0.25 + 0.5) / 3 */
    assert_float_equal(s.next, 0.216667, HAND);     /* (0.2 + 0.2 + 0.25) / 3 */
    assert_float_equal(s.self, 0.2375, EXACT);      /* (0.1 + 0.1 + 0.25 + 0.5) / 4 */
    assert_float_equal(s.first, 0.25, EXACT);       /* (0.5 + 0.25 + 0) / 3, row 0 left out */
    assert_float_equal(s.sep, 0.3375, EXACT);       /* column 3: (0.4 + 0.2 + 0.25 + 0.5) / 4 */
    assert_float_equal(s.punct, 0.3125, EXACT);     /* column 2: (0.3 + 0.2 + 0.25 + 0.5) / 4 */

    /* Row entropies: 1.279854, 1.220607, ln 4 = 1.386294, ln 2 = 0.693147
     * (the zeros of row 3 add nothing). Mean 1.144976; relative to ln 4:
     * 0.923221, 0.880482, 1, 0.5, mean 0.825925. */
    assert_float_equal(s.entropy, 1.144976, HAND);
    assert_float_equal(s.relative_entropy, 0.825925, HAND);
    assert_int_equal(s.roles, 0);
}

static void head_stats_causal(void **state)
{
    /* Tokens: BOS word . in a decoder. */
    const uint8_t kinds[3] = {HS_COLUMN_SPECIAL, 0, HS_COLUMN_PUNCT};
    const float attn[3][3] = {
        {1.0f, 0.0f, 0.0f},
        {0.6f, 0.4f, 0.0f},
        {0.7f, 0.1f, 0.2f},
    };
    hs_head_stats s;
    hs_head_stats_compute(&attn[0][0], 3, 1, kinds, &s);

    assert_float_equal(s.previous, 0.35, EXACT); /* (0.6 + 0.1) / 2 */
    assert_float_equal(s.next, 0.0, EXACT);      /* a decoder never sees the next token */
    assert_float_equal(s.self, 0.3, HAND);       /* (0.4 + 0.2) / 2: row 0 can attend only to itself */
    assert_float_equal(s.first, 0.65, EXACT);    /* (0.6 + 0.7) / 2 */
    assert_float_equal(s.sep, 0.0, EXACT);       /* no special token after position 0 */
    assert_float_equal(s.punct, 0.2, EXACT);     /* only row 2 sees column 2 */

    /* Row entropies 0, 0.673012, 0.801819: mean 0.491610. Relative: row 0
     * (width 1) is left out; 0.673012 / ln 2 = 0.970951 and
     * 0.801819 / ln 3 = 0.729847, mean 0.850399. */
    assert_float_equal(s.entropy, 0.491610, HAND);
    assert_float_equal(s.relative_entropy, 0.850399, HAND);

    hs_roles_label(&s, 1, NULL);
    assert_int_equal(s.roles, HS_ROLE_SINK | HS_ROLE_BROAD);
}

static void head_stats_single_token(void **state)
{
    const uint8_t kinds[1] = {0};
    const float attn[1] = {1.0f};
    hs_head_stats s;
    hs_head_stats_compute(attn, 1, 0, kinds, &s);
    assert_float_equal(s.previous, 0.0, EXACT);
    assert_float_equal(s.next, 0.0, EXACT);
    assert_float_equal(s.first, 0.0, EXACT);
    assert_float_equal(s.self, 1.0, EXACT);
    assert_float_equal(s.entropy, 0.0, EXACT);
    assert_float_equal(s.relative_entropy, 0.0, EXACT);

    /* A decoder's single row can attend only to itself, so it does not count. */
    hs_head_stats_compute(attn, 1, 1, kinds, &s);
    assert_float_equal(s.self, 0.0, EXACT);
    hs_roles_label(&s, 1, NULL);
    assert_false(s.roles & HS_ROLE_SELF);
}

static void roles_label_thresholds(void **state)
{
    hs_head_stats s = {.previous = 0.55f,
                       .next = 0.51f,
                       .self = 0.5f,
                       .first = 0.61f,
                       .sep = 0.7f,
                       .punct = 0.59f,
                       .relative_entropy = 0.9f};

    /* Defaults, encoder: self 0.5 is not strictly above 0.5; first gives FIRST. */
    hs_roles_label(&s, 0, NULL);
    unsigned want = HS_ROLE_PREVIOUS | HS_ROLE_NEXT | HS_ROLE_FIRST | HS_ROLE_SEP | HS_ROLE_BROAD;
    assert_int_equal(s.roles, want);

    /* Decoder: the same first-token mean is a sink, not FIRST. */
    hs_roles_label(&s, 1, NULL);
    assert_int_equal(s.roles,
                     HS_ROLE_PREVIOUS | HS_ROLE_NEXT | HS_ROLE_SEP | HS_ROLE_BROAD | HS_ROLE_SINK);

    /* Custom thresholds. */
    hs_role_thresholds t = hs_role_thresholds_default();
    t.previous = 0.6f;
    t.punct = 0.5f;
    t.broad = 0.95f;
    hs_roles_label(&s, 0, &t);
    assert_int_equal(s.roles, HS_ROLE_NEXT | HS_ROLE_FIRST | HS_ROLE_SEP | HS_ROLE_PUNCT);

    assert_string_equal(hs_role_name(HS_ROLE_SINK), "sink");
    assert_string_equal(hs_role_name(HS_ROLE_PREVIOUS), "previous");
    assert_string_equal(hs_role_name(3), "?");
}

static void label_punctuation(void **state)
{
    assert_true(hs_label_is_punct(","));
    assert_true(hs_label_is_punct(" ."));
    assert_true(hs_label_is_punct("\xe2\x80\x94"));  /* em dash, Pd */
    assert_true(hs_label_is_punct("\xc2\xbf"));      /* inverted question mark, Po */
    assert_true(hs_label_is_punct("\xe2\x96\x81!")); /* "▁!" */
    assert_true(hs_label_is_punct("..."));
    assert_false(hs_label_is_punct(""));
    assert_false(hs_label_is_punct(" "));
    assert_false(hs_label_is_punct("$")); /* Sc, a symbol */
    assert_false(hs_label_is_punct("a."));
    assert_false(hs_label_is_punct("##s"));
    assert_false(hs_label_is_punct("[SEP]"));
}

static void column_kinds_from_flags(void **state)
{
    const char *tokens[] = {"[CLS]", "bank", ",", "[SEP]"};
    const uint8_t flags[] = {HS_TOKEN_SPECIAL, 0, 0, HS_TOKEN_SPECIAL};
    test_encoding t;
    make_encoding(&t, 4, tokens, tokens, NULL, flags);
    uint8_t kinds[4];
    hs_column_kinds(&t.enc, kinds);
    assert_int_equal(kinds[0], HS_COLUMN_SPECIAL);
    assert_int_equal(kinds[1], 0);
    assert_int_equal(kinds[2], HS_COLUMN_PUNCT);
    assert_int_equal(kinds[3], HS_COLUMN_SPECIAL);
    uint8_t hide[4];
    hs_special_mask(&t.enc, hide);
    assert_memory_equal(hide, ((uint8_t[]){1, 0, 0, 1}), 4);
}

/* ---- aggregation ------------------------------------------------------- */

static void aggregate_layer_mean_max(void **state)
{
    hs_result r = two_layer_result();
    float got[9];

    const float mean0[9] = {0.5f, 0.5f, 0, 0, 0.5f, 0.5f, 0, 0.5f, 0.5f};
    hs_attn_layer_mean(&r, 0, got);
    assert_matrix(got, mean0, 9, EXACT);

    const float max0[9] = {0.5f, 0.5f, 0, 0, 1, 1, 0, 0.5f, 0.5f};
    hs_attn_layer_max(&r, 0, got);
    assert_matrix(got, max0, 9, EXACT);

    /* (A1 + A2) / 2 */
    const float all[9] = {0.5f, 0.25f, 0.25f, 0.25f, 0.5f, 0.25f, 0.5f, 0.25f, 0.25f};
    hs_attn_all_mean(&r, got);
    assert_matrix(got, all, 9, EXACT);
}

static void aggregate_rollout(void **state)
{
    /* A1' = 0.5 A1 + 0.5 I = [.75 .25 0; 0 .75 .25; 0 .25 .75]
     * A2' = 0.5 A2 + 0.5 I = [.75 0 .25; .25 .75 0; .5 0 .5]
     * R = A2' A1':
     *   row 0 = .75 (.75 .25 0) + .25 (0 .25 .75)  = (.5625 .25 .1875)
     *   row 1 = .25 (.75 .25 0) + .75 (0 .75 .25)  = (.1875 .625 .1875)
     *   row 2 = .5 (.75 .25 0) + .5 (0 .25 .75)    = (.375 .25 .375) */
    hs_result r = two_layer_result();
    const float want[9] = {0.5625f, 0.25f,  0.1875f, 0.1875f, 0.625f,
                           0.1875f, 0.375f, 0.25f,   0.375f};
    float got[9];
    assert_int_equal(hs_attn_rollout(&r, got), 0);
    assert_matrix(got, want, 9, EXACT);

    /* One layer: the rollout is A1' itself. */
    r.n_layers = 1;
    const float first[9] = {0.75f, 0.25f, 0, 0, 0.75f, 0.25f, 0, 0.25f, 0.75f};
    assert_int_equal(hs_attn_rollout(&r, got), 0);
    assert_matrix(got, first, 9, EXACT);
}

static void hide_columns_renormalise(void **state)
{
    float m[9] = {0.2f, 0.3f, 0.5f, 0.5f, 0.5f, 0.0f, 1.0f, 0.0f, 0.0f};
    const uint8_t first_only[3] = {1, 0, 0};
    /* Row 0: (0 .3 .5) / .8; row 1: (0 .5 0) / .5; row 2 has nothing left. */
    const float want[9] = {0, 0.375f, 0.625f, 0, 1, 0, 0, 0, 0};
    hs_attn_hide_columns(m, 3, first_only);
    assert_matrix(m, want, 9, EXACT);

    float m2[9] = {0.2f, 0.3f, 0.5f, 0.5f, 0.5f, 0.0f, 1.0f, 0.0f, 0.0f};
    const uint8_t ends[3] = {1, 0, 1};
    const float want2[9] = {0, 1, 0, 0, 1, 0, 0, 0, 0};
    hs_attn_hide_columns(m2, 3, ends);
    assert_matrix(m2, want2, 9, EXACT);
}

static void top_keys_order(void **state)
{
    const float row[5] = {0.1f, 0.4f, 0.1f, 0.4f, 0.0f};
    int index[5];
    float weight[5];
    assert_int_equal(hs_attn_top_keys(row, 5, 3, index, weight), 3);
    assert_int_equal(index[0], 1);
    assert_int_equal(index[1], 3);
    assert_int_equal(index[2], 0);
    assert_float_equal(weight[2], 0.1, EXACT);
    assert_int_equal(hs_attn_top_keys(row, 2, 5, index, weight), 2);
    assert_int_equal(index[0], 1);
    assert_int_equal(index[1], 0);
}

/* ---- words ------------------------------------------------------------- */

static void assert_words(const hs_words *w, int count, const char **labels, const int *first)
{
    assert_int_equal(w->n_words, count);
    for (int i = 0; i < count; i++) {
        assert_string_equal(w->labels[i], labels[i]);
        assert_int_equal(w->first_token[i], first[i]);
    }
    assert_int_equal(w->first_token[count], w->n_tokens);
}

static void words_wordpiece(void **state)
{
    const char *tokens[] = {"[CLS]", "un", "##bel", "##ie", "##va", "##bly", "bank", ",", "[SEP]"};
    const int offsets[][2] = {{0, 0},  {0, 2},   {2, 5},   {5, 7}, {7, 9},
                              {9, 12}, {13, 17}, {17, 18}, {0, 0}};
    const uint8_t flags[] = {HS_TOKEN_SPECIAL, 0, 0, 0, 0, 0, 0, 0, HS_TOKEN_SPECIAL};
    test_encoding t;
    make_encoding(&t, 9, tokens, tokens, offsets, flags);
    hs_words *w = hs_words_group(&t.enc, HS_WORDS_WORDPIECE);
    assert_non_null(w);
    const char *labels[] = {"[CLS]", "unbelievably", "bank", ",", "[SEP]"};
    const int first[] = {0, 1, 6, 7, 8};
    assert_words(w, 5, labels, first);
    assert_int_equal(w->special[0], 1);
    assert_int_equal(w->special[1], 0);
    assert_int_equal(w->word_of_token[5], 1);
    assert_int_equal(w->word_of_token[8], 4);

    assert_int_equal(hs_words_find(w, &t.enc, "Unbelievably"), 1);
    assert_int_equal(hs_words_find(w, &t.enc, "bank"), 6);
    assert_int_equal(hs_words_find(w, &t.enc, "bel"), 2); /* a piece's label */
    assert_int_equal(hs_words_find(w, &t.enc, "[SEP]"), -1);
    assert_int_equal(hs_words_find(w, &t.enc, "river"), -1);
    hs_words_free(w);
}

static void words_byte_level(void **state)
{
    /* "The river bank, didn't\nend" as GPT-2 spells and labels it. */
    const char *tokens[] = {"The",
                            "\xc4\xa0river",
                            "\xc4\xa0"
                            "bank",
                            ",",
                            "\xc4\xa0"
                            "didn",
                            "'t",
                            "\xc4\x8a",
                            "end"};
    const char *labels[] = {"The", " river", " bank", ",", " didn", "'t", "\xe2\x86\xb5", "end"};
    const int offsets[][2] = {{0, 3},   {3, 9},   {9, 14},  {14, 15},
                              {15, 20}, {20, 22}, {22, 23}, {23, 26}};
    test_encoding t;
    make_encoding(&t, 8, tokens, labels, offsets, NULL);
    hs_words *w = hs_words_group(&t.enc, HS_WORDS_SPACE_PREFIX);
    assert_non_null(w);
    const char *want[] = {"The", "river", "bank", ",", "didn't", "\xe2\x86\xb5", "end"};
    const int first[] = {0, 1, 2, 3, 4, 6, 7};
    assert_words(w, 7, want, first);
    assert_int_equal(hs_words_find(w, &t.enc, "DIDN'T"), 4);
    assert_int_equal(hs_words_find(w, &t.enc, " bank"), 2);
    hs_words_free(w);
}

static void words_sentencepiece(void **state)
{
    /* "<s> riverbank" with a gap in the byte spans before "x": "▁river" "bank"
     * join, "x" does not because its span does not touch. */
    const char *tokens[] = {"<s>", "\xe2\x96\x81river", "bank", "x"};
    const char *labels[] = {"<s>", " river", "bank", "x"};
    const int offsets[][2] = {{0, 0}, {0, 5}, {5, 9}, {10, 11}};
    const uint8_t flags[] = {HS_TOKEN_SPECIAL, 0, 0, 0};
    test_encoding t;
    make_encoding(&t, 4, tokens, labels, offsets, flags);
    hs_words *w = hs_words_group(&t.enc, HS_WORDS_SPACE_PREFIX);
    assert_non_null(w);
    const char *want[] = {"<s>", "riverbank", "x"};
    const int first[] = {0, 1, 3};
    assert_words(w, 3, want, first);
    hs_words_free(w);

    /* A token after a special token starts a word even without a space. */
    const char *tokens2[] = {"<s>", "The"};
    const uint8_t flags2[] = {HS_TOKEN_SPECIAL, 0};
    make_encoding(&t, 2, tokens2, tokens2, NULL, flags2);
    w = hs_words_group(&t.enc, HS_WORDS_SPACE_PREFIX);
    assert_non_null(w);
    assert_int_equal(w->n_words, 2);
    hs_words_free(w);

    /* "a 😀 b": a lone "▁" before byte pieces starts the emoji's word. */
    const char *tokens3[] = {"<s>",    "\xe2\x96\x81" "a", "\xe2\x96\x81", "<0xF0>", "<0x9F>",
                             "<0x98>", "<0x80>",        "\xe2\x96\x81" "b"};
    const char *labels3[] = {"<s>",          " a",           " ",          "\xf0\x9f\x98\x80",
                             "\xe2\x8b\xaf", "\xe2\x8b\xaf", "\xe2\x8b\xaf", " b"};
    const int offsets3[][2] = {{0, 0}, {0, 1}, {1, 2}, {2, 3}, {3, 4}, {4, 5}, {5, 6}, {6, 8}};
    const uint8_t flags3[] = {HS_TOKEN_SPECIAL, 0, 0, 0, 0, 0, 0, 0};
    make_encoding(&t, 8, tokens3, labels3, offsets3, flags3);
    w = hs_words_group(&t.enc, HS_WORDS_SPACE_PREFIX);
    assert_non_null(w);
    assert_int_equal(w->n_words, 4);
    assert_int_equal(w->first_token[1], 1);
    assert_int_equal(w->first_token[2], 2); /* "▁" and the four byte pieces */
    assert_int_equal(w->first_token[3], 7);
    hs_words_free(w);
}

static void words_source_spelling(void **state)
{
    /* "Unbelievably, Café 🦜!" as an uncased WordPiece tokenizer sees it:
     * labels are lowercased and stripped of accents, the emoji is [UNK]. */
    const char text[] = "Unbelievably, Caf\xc3\xa9 \xf0\x9f\xa6\x9c!";
    const char *tokens[] = {"[CLS]", "un",   "##bel", "##ie", "##va", "##bly",
                            ",",     "cafe", "[UNK]", "!",    "[SEP]"};
    const int offsets[][2] = {{0, 0},   {0, 2},   {2, 5},   {5, 7},   {7, 9}, {9, 12},
                              {12, 13}, {14, 19}, {20, 24}, {24, 25}, {0, 0}};
    const uint8_t flags[] = {HS_TOKEN_SPECIAL, 0, 0, 0, 0, 0, 0, 0, 0, 0, HS_TOKEN_SPECIAL};
    test_encoding t;
    make_encoding(&t, 11, tokens, tokens, offsets, flags);
    hs_words_source source = {text, strlen(text), NULL, 0};
    hs_words *w = hs_words_group_source(&t.enc, HS_WORDS_WORDPIECE, &source);
    assert_non_null(w);
    const char *want[] = {"[CLS]", "Unbelievably", ",", "Caf\xc3\xa9", "\xf0\x9f\xa6\x9c",
                          "!",     "[SEP]"};
    const int first[] = {0, 1, 6, 7, 8, 9, 10};
    assert_words(w, 7, want, first);
    assert_int_equal(hs_words_find(w, &t.enc, "unbelievably"), 1);
    assert_int_equal(hs_words_find(w, &t.enc, "cafe"), 7); /* through the token label */
    hs_words_free(w);

    /* A span past the end of the text falls back to the joined labels. */
    source.length = 20;
    w = hs_words_group_source(&t.enc, HS_WORDS_WORDPIECE, &source);
    assert_non_null(w);
    assert_string_equal(w->labels[3], "Caf\xc3\xa9");
    assert_string_equal(w->labels[4], "[UNK]");
    hs_words_free(w);
}

static void words_source_byte_pieces(void **state)
{
    /* GPT-2 splits the parrot emoji into three byte tokens whose labels show
     * hex bytes; the source spelling restores the character. */
    const char text[] = "I like \xf0\x9f\xa6\x9c";
    const char *tokens[] = {"I", "\xc4\xa0like", "\xc4\xa0\xc3\xb0\xc5\x81", "\xc2\xa6",
                            "\xc4\xbe"};
    const char *labels[] = {"I", " like", " <F0 9F>", "<A6>", "<9C>"};
    const int offsets[][2] = {{0, 1}, {1, 6}, {6, 9}, {9, 10}, {10, 11}};
    test_encoding t;
    make_encoding(&t, 5, tokens, labels, offsets, NULL);

    hs_words *w = hs_words_group(&t.enc, HS_WORDS_SPACE_PREFIX);
    assert_non_null(w);
    assert_int_equal(w->n_words, 3);
    assert_string_equal(w->labels[2], "<F0 9F><A6><9C>");
    hs_words_free(w);

    hs_words_source source = {text, strlen(text), NULL, 0};
    w = hs_words_group_source(&t.enc, HS_WORDS_SPACE_PREFIX, &source);
    assert_non_null(w);
    const char *want[] = {"I", "like", "\xf0\x9f\xa6\x9c"};
    const int first[] = {0, 1, 2};
    assert_words(w, 3, want, first);
    hs_words_free(w);

    /* The second text of a pair: spans are in the pair text. */
    const char *pair_tokens[] = {"Hi", "\xc4\xa0there"};
    const int pair_offsets[][2] = {{0, 2}, {2, 8}};
    make_encoding(&t, 2, pair_tokens, pair_tokens, pair_offsets, NULL);
    t.segment[1] = 1;
    hs_words_source pair_source = {"Hi", 2, "Hi THERE", 8};
    w = hs_words_group_source(&t.enc, HS_WORDS_SPACE_PREFIX, &pair_source);
    assert_non_null(w);
    assert_int_equal(w->n_words, 2);
    assert_string_equal(w->labels[0], "Hi");
    assert_string_equal(w->labels[1], "THERE");
    hs_words_free(w);
}

static void words_attention_merge(void **state)
{
    /* Words {0} and {1, 2}. To a word: columns added. From a word: rows
     * averaged, so word 1's row is ((.1 .9) + (.4 .6)) / 2 = (.25 .75). */
    const char *tokens[] = {"a", "b", "##c"};
    test_encoding t;
    make_encoding(&t, 3, tokens, tokens, NULL, NULL);
    hs_words *w = hs_words_group(&t.enc, HS_WORDS_WORDPIECE);
    assert_non_null(w);
    assert_int_equal(w->n_words, 2);
    const float attn[9] = {0.2f, 0.3f, 0.5f, 0.1f, 0.6f, 0.3f, 0.4f, 0.4f, 0.2f};
    const float want[4] = {0.2f, 0.8f, 0.25f, 0.75f};
    float got[4];
    hs_words_attention(w, attn, got);
    assert_matrix(got, want, 4, EXACT);
    hs_words_free(w);
}

static void words_first_shared(void **state)
{
    const char *a_tokens[] = {"[CLS]", ",", "The", "river", "bank", "[SEP]"};
    const char *b_tokens[] = {"[CLS]", "a", ",", "bank", "the", "[SEP]"};
    const uint8_t flags[] = {HS_TOKEN_SPECIAL, 0, 0, 0, 0, HS_TOKEN_SPECIAL};
    test_encoding ta, tb;
    make_encoding(&ta, 6, a_tokens, a_tokens, NULL, flags);
    make_encoding(&tb, 6, b_tokens, b_tokens, NULL, flags);
    hs_words *wa = hs_words_group(&ta.enc, HS_WORDS_WORDPIECE);
    hs_words *wb = hs_words_group(&tb.enc, HS_WORDS_WORDPIECE);
    assert_non_null(wa);
    assert_non_null(wb);
    /* [CLS] and "," are in both but skipped; "The" matches "the". */
    assert_int_equal(hs_words_first_shared(wa, wb, 0), 2);
    assert_int_equal(hs_words_first_shared(wb, wa, 0), 3); /* "bank" comes first in b */
    assert_int_equal(hs_words_first_shared(wa, wb, 3), 4); /* "The" starts before token 3 */
    assert_int_equal(hs_words_first_shared(wa, wb, 5), -1);
    hs_words_free(wa);
    hs_words_free(wb);

    const char *c_tokens[] = {"[CLS]", "cat", "[SEP]"};
    const uint8_t c_flags[] = {HS_TOKEN_SPECIAL, 0, HS_TOKEN_SPECIAL};
    make_encoding(&ta, 3, c_tokens, c_tokens, NULL, c_flags);
    wa = hs_words_group(&ta.enc, HS_WORDS_WORDPIECE);
    wb = hs_words_group(&tb.enc, HS_WORDS_WORDPIECE);
    assert_int_equal(hs_words_first_shared(wa, wb, 0), -1);
    hs_words_free(wa);
    hs_words_free(wb);
}

/* A word that occurs twice: the occurrence at or after the given token is
 * preferred, and the first one is the fallback. */
static void words_find_from_later(void **state)
{
    const char *tokens[] = {"The", "key", "is", "on", "the", "table"};
    const uint8_t flags[] = {0, 0, 0, 0, 0, 0};
    test_encoding t;
    make_encoding(&t, 6, tokens, tokens, NULL, flags);
    hs_words *w = hs_words_group(&t.enc, HS_WORDS_WORDPIECE);
    assert_non_null(w);
    assert_int_equal(hs_words_find_from(w, &t.enc, "the", 0), 0);
    assert_int_equal(hs_words_find_from(w, &t.enc, "the", 3), 4);
    assert_int_equal(hs_words_find_from(w, &t.enc, "the", 5), 0); /* none later */
    assert_int_equal(hs_words_find_from(w, &t.enc, "key", 3), 1);
    assert_int_equal(hs_words_find_from(w, &t.enc, "lock", 3), -1);
    hs_words_free(w);
}

/* ---- comparison on hand-made vectors ----------------------------------- */

static void cosine_cases(void **state)
{
    const float x[] = {1, 0}, y[] = {0, 1}, minus_x[] = {-1, 0}, zero[] = {0, 0};
    const float p[] = {1, 2, 3}, q[] = {2, 4, 6}, u[] = {1, 2}, v[] = {2, 1};
    assert_float_equal(hs_cosine(x, y, 2), 0.0, EXACT);
    assert_float_equal(hs_cosine(x, minus_x, 2), -1.0, EXACT);
    assert_float_equal(hs_cosine(p, q, 3), 1.0, EXACT);
    assert_float_equal(hs_cosine(u, v, 2), 0.8, EXACT); /* 4 / (sqrt 5 sqrt 5) */
    assert_float_equal(hs_cosine(zero, zero, 2), 1.0, EXACT);
    assert_float_equal(hs_cosine(x, zero, 2), 0.0, EXACT);
    assert_true(hs_cosine(p, p, 3) == 1.0);
}

static void compare_heads_hand(void **state)
{
    /* One layer, two heads of size 2, one token. Head 0 vectors (1 0) and
     * (0 1): score 1. Head 1 vectors (1 2) and (2 1): score 1 - 0.8 = 0.2. */
    float context_a[4] = {1, 0, 1, 2}, context_b[4] = {0, 1, 2, 1};
    float hidden_a[2 * 2] = {1, 0, 3, 4}, hidden_b[2 * 2] = {1, 0, 4, 3};
    hs_result a = {.n_layers = 1,
                   .n_heads = 2,
                   .n = 1,
                   .d = 2,
                   .d_head = 2,
                   .context = context_a,
                   .hidden = hidden_a};
    hs_result b = a;
    b.context = context_b;
    b.hidden = hidden_b;

    hs_head_score scores[2];
    assert_int_equal(hs_compare_heads(&a, 0, &b, 0, scores), 0);
    assert_int_equal(scores[0].head, 0);
    assert_float_equal(scores[0].score, 1.0, EXACT);
    assert_int_equal(scores[1].head, 1);
    assert_float_equal(scores[1].score, 0.2, EXACT);

    float cosines[2];
    assert_int_equal(hs_compare_hidden(&a, 0, &b, 0, cosines), 0);
    assert_float_equal(cosines[0], 1.0, EXACT);
    assert_float_equal(cosines[1], 0.96, EXACT); /* (12 + 12) / 25 */

    assert_int_equal(hs_compare_heads(&a, 1, &b, 0, scores), -1);
    assert_non_null(strstr(hs_error_message(), "out of range"));
    b.n_heads = 1;
    assert_int_equal(hs_compare_hidden(&a, 0, &b, 0, cosines), -1);
    assert_non_null(strstr(hs_error_message(), "different models"));
}

/* ---- comparison on the fixture models ---------------------------------- */

typedef struct {
    hs_encoding *enc;
    hs_result *result;
    hs_words *words;
} run;

static run run_text(const hs_model *model, const char *text)
{
    run r = {0};
    const hs_tokenizer *tok = hs_model_tokenizer(model);
    if (!tok)
        fail_msg("%s", hs_model_tokenizer_error(model));
    r.enc = hs_tokenizer_encode(tok, text, strlen(text), NULL, 0, NULL);
    if (!r.enc)
        fail_msg("%s: %s", text, hs_error_message());
    r.result = hs_forward(model, r.enc->ids, r.enc->type_ids, r.enc->n);
    if (!r.result)
        fail_msg("%s: %s", text, hs_error_message());
    r.words = hs_words_group(r.enc, hs_words_scheme_for(hs_model_config(model)->arch));
    assert_non_null(r.words);
    return r;
}

static void run_free(run *r)
{
    hs_words_free(r->words);
    hs_result_free(r->result);
    hs_encoding_free(r->enc);
}

static void check_compare_model(const char *folder, const char *word, int common_prefix)
{
    const char *sentence_a = "I sat by the river bank and watched the water.";
    const char *sentence_b = "I went to the bank to deposit my money.";
    hs_model *model = hs_model_load(hs_test_fixture(folder), NULL, NULL);
    if (!model)
        fail_msg("%s: %s", folder, hs_error_message());
    run a = run_text(model, sentence_a);
    run b = run_text(model, sentence_b);
    assert_int_equal(hs_encoding_common_prefix(a.enc, b.enc), common_prefix);
    assert_int_equal(hs_encoding_common_prefix(a.enc, a.enc), a.enc->n);
    int pos_a = hs_words_find(a.words, a.enc, word);
    int pos_b = hs_words_find(b.words, b.enc, word);
    assert_true(pos_a > 0);
    assert_true(pos_b > 0);

    int L = a.result->n_layers, heads = L * a.result->n_heads;
    hs_head_score *forward = calloc((size_t)heads, sizeof *forward);
    hs_head_score *swapped = calloc((size_t)heads, sizeof *swapped);
    float *cos_forward = calloc((size_t)L + 1, sizeof(float));
    float *cos_swapped = calloc((size_t)L + 1, sizeof(float));
    assert_non_null(forward);
    assert_non_null(swapped);
    assert_non_null(cos_forward);
    assert_non_null(cos_swapped);

    /* Swapping the sentences gives the same ranking and the same scores. */
    assert_int_equal(hs_compare_heads(a.result, pos_a, b.result, pos_b, forward), 0);
    assert_int_equal(hs_compare_heads(b.result, pos_b, a.result, pos_a, swapped), 0);
    for (int i = 0; i < heads; i++) {
        assert_int_equal(forward[i].layer, swapped[i].layer);
        assert_int_equal(forward[i].head, swapped[i].head);
        assert_true(forward[i].score == swapped[i].score);
        if (i > 0)
            assert_true(forward[i - 1].score >= forward[i].score);
    }
    /* Different contexts: at least one head sees a difference. */
    assert_true(forward[0].score > 1e-3);

    assert_int_equal(hs_compare_hidden(a.result, pos_a, b.result, pos_b, cos_forward), 0);
    assert_int_equal(hs_compare_hidden(b.result, pos_b, a.result, pos_a, cos_swapped), 0);
    for (int l = 0; l <= L; l++)
        assert_true(cos_forward[l] == cos_swapped[l]);

    /* A sentence against itself: every score 0, every hidden cosine 1. */
    assert_int_equal(hs_compare_heads(a.result, pos_a, a.result, pos_a, forward), 0);
    for (int i = 0; i < heads; i++)
        assert_float_equal(forward[i].score, 0.0, 1e-6);
    assert_int_equal(hs_compare_hidden(a.result, pos_a, a.result, pos_a, cos_forward), 0);
    for (int l = 0; l <= L; l++)
        assert_float_equal(cos_forward[l], 1.0, 1e-6);

    /* The first shared word: "I" for BERT (lowercased "i"), "I" for GPT-2. */
    int shared = hs_words_first_shared(a.words, b.words, 0);
    assert_true(shared >= 0);
    assert_int_equal(strcasecmp(a.words->labels[shared], "i"), 0);

    /* After the common beginning: "sat" and "by" are not in b, "the" is. */
    shared = hs_words_first_shared(a.words, b.words, common_prefix);
    assert_true(shared >= 0);
    assert_string_equal(a.words->labels[shared], "the");

    free(forward);
    free(swapped);
    free(cos_forward);
    free(cos_swapped);
    run_free(&a);
    run_free(&b);
    hs_model_free(model);
}

static void compare_bert_fixture(void **state)
{
    HS_REQUIRE_FIXTURES();
    check_compare_model("bert-tiny-random", "bank", 2); /* [CLS] i */
}

static void compare_gpt2_fixture(void **state)
{
    HS_REQUIRE_FIXTURES();
    check_compare_model("gpt2-tiny-random", "bank", 1); /* I */
}

/* Rollout and roles on a real forward pass: rows sum to 1, BERT's [SEP]
 * statistic is filled, GPT-2's is 0 (no special tokens). */
static void check_real_pass(const char *folder, int expect_sep)
{
    hs_model *model = hs_model_load(hs_test_fixture(folder), NULL, NULL);
    if (!model)
        fail_msg("%s: %s", folder, hs_error_message());
    run r = run_text(model, "The bank of the river, the bank of the money.");
    int n = r.result->n, heads = r.result->n_layers * r.result->n_heads;
    float *rollout = malloc((size_t)n * n * sizeof *rollout);
    hs_head_stats *stats = calloc((size_t)heads, sizeof *stats);
    assert_non_null(rollout);
    assert_non_null(stats);

    assert_int_equal(hs_attn_rollout(r.result, rollout), 0);
    for (int i = 0; i < n; i++) {
        double sum = 0;
        for (int j = 0; j < n; j++)
            sum += rollout[(size_t)i * n + j];
        assert_float_equal(sum, 1.0, 1e-5);
    }

    int causal = hs_model_config(model)->causal;
    assert_int_equal(hs_roles_compute(r.result, r.enc, causal, NULL, stats), 0);
    for (int i = 0; i < heads; i++) {
        assert_true(stats[i].relative_entropy >= 0 && stats[i].relative_entropy <= 1.0001);
        assert_true(stats[i].punct > 0);
        if (expect_sep)
            assert_true(stats[i].sep > 0);
        else
            assert_float_equal(stats[i].sep, 0.0, 0.0);
        if (causal)
            assert_float_equal(stats[i].next, 0.0, 0.0);
    }
    free(rollout);
    free(stats);
    run_free(&r);
    hs_model_free(model);
}

static void real_pass_bert(void **state)
{
    HS_REQUIRE_FIXTURES();
    check_real_pass("bert-tiny-random", 1);
}

static void real_pass_gpt2(void **state)
{
    HS_REQUIRE_FIXTURES();
    check_real_pass("gpt2-tiny-random", 0);
}

/* ---- lessons ----------------------------------------------------------- */

static const char valid_lessons[] = "# Two lessons.\n"
                                    "title: River or money\n"
                                    "a: I sat on the bank of the river.\n"
                                    "b:   I put money in the bank.  \r\n"
                                    "word: bank\n"
                                    "word_b:banks \n"
                                    "note: Look at layer 2.\n"
                                    "\n"
                                    "\n"
                                    "# the second one has no word\n"
                                    "title: Pronouns\n"
                                    "a: The animal was tired: it slept.\n"
                                    "b: The street was wide.\n";

static void lessons_valid(void **state)
{
    const char *dir = hs_test_tmpdir("lessons_valid");
    char path[4096];
    snprintf(path, sizeof path, "%s/lessons.txt", dir);
    hs_test_write_file(path, valid_lessons, strlen(valid_lessons));

    hs_lessons *lessons = hs_lessons_load(path);
    if (!lessons)
        fail_msg("%s", hs_error_message());
    assert_int_equal(lessons->count, 2);
    const hs_lesson *first = &lessons->items[0], *second = &lessons->items[1];
    assert_string_equal(first->title, "River or money");
    assert_string_equal(first->a, "I sat on the bank of the river.");
    assert_string_equal(first->b, "I put money in the bank.");
    assert_string_equal(first->word, "bank");
    assert_string_equal(first->word_b, "banks");
    assert_string_equal(first->note, "Look at layer 2.");
    assert_int_equal(first->line, 2);
    assert_string_equal(second->title, "Pronouns");
    assert_string_equal(second->a, "The animal was tired: it slept."); /* first colon splits */
    assert_null(second->word);
    assert_null(second->word_b);
    assert_null(second->note);
    assert_int_equal(second->line, 11);
    hs_lessons_free(lessons);
}

/* Parses text and checks that the error starts with "lessons.txt:LINE:" and
 * contains what. */
static void expect_lessons_error(const char *text, int line, const char *what)
{
    assert_null(hs_lessons_parse(text, strlen(text), "lessons.txt"));
    char prefix[64];
    snprintf(prefix, sizeof prefix, "lessons.txt:%d:", line);
    const char *message = hs_error_message();
    if (strncmp(message, prefix, strlen(prefix)) != 0 || !strstr(message, what))
        fail_msg("expected an error starting '%s' and containing '%s', got '%s'", prefix, what,
                 message);
}

static void lessons_malformed(void **state)
{
    expect_lessons_error("title: x\na: y\nb: z\n\ntitle: w\nthis line has no colon\n", 6,
                         "expected 'key: value'");
    expect_lessons_error("title: x\nsentence: y\n", 2, "unknown key 'sentence'");
    expect_lessons_error("title: x\na: y\na: again\nb: z\n", 3, "appears twice");
    expect_lessons_error("# header\n\ntitle: x\na: y\n", 3, "no 'b:' line");
    expect_lessons_error("title: x\na:\nb: z\n", 2, "no value");
    expect_lessons_error("title: x\na: y\nb: \xff\n", 3, "invalid UTF-8");
    expect_lessons_error("title: x\na: y\nb: z\nword_b: is\n", 1, "no 'word:' line");

    const char with_nul[] = "title: x\na: y\nb: z\0\n";
    assert_null(hs_lessons_parse(with_nul, sizeof with_nul - 1, "lessons.txt"));
    assert_string_equal(hs_error_message(), "lessons.txt:3: the file contains a NUL byte");

    const char *comments = "# only comments\n\n";
    assert_null(hs_lessons_parse(comments, strlen(comments), "lessons.txt"));
    assert_non_null(strstr(hs_error_message(), "no lessons found"));

    const char *dir = hs_test_tmpdir("lessons_malformed");
    char path[4096];
    snprintf(path, sizeof path, "%s/missing.txt", dir);
    assert_null(hs_lessons_load(path));
    assert_non_null(strstr(hs_error_message(), "missing.txt"));
}

static void lessons_bundled(void **state)
{
    hs_lessons *lessons = hs_lessons_load(HS_LESSONS_FILE);
    if (!lessons)
        fail_msg("%s", hs_error_message());
    assert_true(lessons->count >= 6);
    for (int i = 0; i < lessons->count; i++)
        assert_non_null(lessons->items[i].word);
    hs_lessons_free(lessons);
}

int main(void)
{
    /* clang-format off */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(head_stats_encoder),
        cmocka_unit_test(head_stats_causal),
        cmocka_unit_test(head_stats_single_token),
        cmocka_unit_test(roles_label_thresholds),
        cmocka_unit_test(label_punctuation),
        cmocka_unit_test(column_kinds_from_flags),
        cmocka_unit_test(aggregate_layer_mean_max),
        cmocka_unit_test(aggregate_rollout),
        cmocka_unit_test(hide_columns_renormalise),
        cmocka_unit_test(top_keys_order),
        cmocka_unit_test(words_wordpiece),
        cmocka_unit_test(words_byte_level),
        cmocka_unit_test(words_sentencepiece),
        cmocka_unit_test(words_source_spelling),
        cmocka_unit_test(words_source_byte_pieces),
        cmocka_unit_test(words_attention_merge),
        cmocka_unit_test(words_first_shared),
        cmocka_unit_test(words_find_from_later),
        cmocka_unit_test(cosine_cases),
        cmocka_unit_test(compare_heads_hand),
        cmocka_unit_test(compare_bert_fixture),
        cmocka_unit_test(compare_gpt2_fixture),
        cmocka_unit_test(real_pass_bert),
        cmocka_unit_test(real_pass_gpt2),
        cmocka_unit_test(lessons_valid),
        cmocka_unit_test(lessons_malformed),
        cmocka_unit_test(lessons_bundled),
    };
    /* clang-format on */
    return cmocka_run_group_tests(tests, NULL, NULL);
}
