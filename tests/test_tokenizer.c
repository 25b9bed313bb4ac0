/*
 * test_tokenizer.c - tokenizers against Hugging Face's own outputs (fixture
 * files, skipped when absent) and small self-made vocabularies.
 */
#include "hs_error.h"
#include "hs_tokenizer.h"
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- helpers */

static hs_tokenizer *load_or_fail(const char *dir)
{
    hs_tokenizer *tok = hs_tokenizer_load(dir, NULL);
    if (!tok)
        fail_msg("hs_tokenizer_load(%s) failed: %s", dir, hs_error_message());
    return tok;
}

static hs_encoding *encode_or_null(const hs_tokenizer *tok, const char *text, const char *pair,
                                   int add_special)
{
    hs_encode_options options = {add_special, -1};
    return hs_tokenizer_encode(tok, text, strlen(text), pair, pair ? strlen(pair) : 0,
                               &options);
}

/* Prints a JSON array and an id array side by side for a failure message. */
static void print_ids(const char *label, const cJSON *expected, const int32_t *got, int n)
{
    char *want = cJSON_PrintUnformatted(expected);
    print_message("    expected %s: %s\n    got:      [", label, want ? want : "?");
    for (int i = 0; i < n; i++)
        print_message("%s%d", i ? ", " : "", (int)got[i]);
    print_message("]\n");
    free(want);
}

/* Returns 1 when the id array equals the expected JSON array, else prints the
 * difference under the case name and returns 0. */
static int check_ids(const char *case_name, const char *label, const cJSON *expected,
                     const int32_t *got, int n)
{
    int same = cJSON_GetArraySize(expected) == n;
    for (int i = 0; same && i < n; i++)
        same = (int32_t)cJSON_GetArrayItem(expected, i)->valuedouble == got[i];
    if (!same) {
        print_message("[  DIFF    ] case '%s': %s differ\n", case_name, label);
        print_ids(label, expected, got, n);
    }
    return same;
}

static int check_tokens(const char *case_name, const cJSON *expected, char *const *got, int n)
{
    int same = cJSON_GetArraySize(expected) == n;
    for (int i = 0; same && i < n; i++)
        same = strcmp(cJSON_GetArrayItem(expected, i)->valuestring, got[i]) == 0;
    if (!same) {
        char *want = cJSON_PrintUnformatted(expected);
        print_message("[  DIFF    ] case '%s': tokens differ\n    expected: %s\n    got:      [",
                      case_name, want ? want : "?");
        for (int i = 0; i < n; i++)
            print_message("%s\"%s\"", i ? ", " : "", got[i]);
        print_message("]\n");
        free(want);
    }
    return same;
}

static const char *json_string(const cJSON *object, const char *key)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, key);
    return cJSON_IsString(item) ? item->valuestring : NULL;
}

/* Reads a case file. cJSON strings end at a NUL, so every "\u0000" escape is
 * read as U+E000 (a private-use character no case uses) and case_text turns
 * it back into a NUL byte. */
static cJSON *read_cases(const char *relative)
{
    size_t size = 0;
    char *raw = hs_test_read_file(hs_test_fixture(relative), &size);
    if (!raw)
        fail_msg("cannot read %s", hs_test_fixture(relative));
    for (char *p = strstr(raw, "\\u0000"); p; p = strstr(p + 6, "\\u0000"))
        memcpy(p + 2, "E000", 4);
    cJSON *json = cJSON_Parse(raw);
    free(raw);
    if (!json)
        fail_msg("%s: invalid JSON", hs_test_fixture(relative));
    return json;
}

/* Returns a malloc'd copy of a case string with U+E000 turned back into NUL. */
static char *case_text(const cJSON *c, const char *key, size_t *len)
{
    const char *s = json_string(c, key);
    if (!s)
        return NULL;
    size_t n = 0, slen = strlen(s);
    char *out = malloc(slen + 1);
    for (size_t i = 0; i < slen; i++) {
        if (i + 2 < slen && memcmp(s + i, "\xEE\x80\x80", 3) == 0) {
            out[n++] = '\0';
            i += 2;
            continue;
        }
        out[n++] = s[i];
    }
    out[n] = '\0';
    *len = n;
    return out;
}

/* ---- tokenizer-cases.json */

/* Runs every case of one tokenizer entry; BERT cases also check input_ids. */
static void run_cases(const char *kind, const char *model_dir, int check_input_ids)
{
    HS_REQUIRE_FIXTURES();
    cJSON *all = read_cases("tokenizer-cases.json");
    hs_tokenizer *tok = load_or_fail(hs_test_fixture(model_dir));
    const cJSON *cases =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(all, kind), "cases");
    int failures = 0, count = 0;
    const cJSON *c;

    cJSON_ArrayForEach(c, cases)
    {
        const char *name = json_string(c, "name");
        size_t len = 0;
        char *text = case_text(c, "text", &len);
        hs_encode_options plain = {0, -1};
        hs_encoding *enc = hs_tokenizer_encode(tok, text, len, NULL, 0, &plain);
        count++;
        if (!enc) {
            print_message("[  DIFF    ] case '%s': encode failed: %s\n", name,
                          hs_error_message());
            failures++;
            free(text);
            continue;
        }
        int ok = check_tokens(name, cJSON_GetObjectItemCaseSensitive(c, "tokens"), enc->tokens,
                              enc->n);
        ok &= check_ids(name, "ids", cJSON_GetObjectItemCaseSensitive(c, "ids"), enc->ids,
                        enc->n);
        hs_encoding_free(enc);
        if (check_input_ids) {
            enc = hs_tokenizer_encode(tok, text, len, NULL, 0, NULL);
            assert_non_null(enc);
            ok &= check_ids(name, "input_ids", cJSON_GetObjectItemCaseSensitive(c, "input_ids"),
                            enc->ids, enc->n);
            hs_encoding_free(enc);
        }
        failures += !ok;
        free(text);
    }
    print_message("[  INFO    ] %s: %d of %d cases identical\n", kind, count - failures, count);
    hs_tokenizer_free(tok);
    cJSON_Delete(all);
    assert_true(count > 0);
    assert_int_equal(failures, 0);
}

static void bert_reference_cases(void **state)
{
    (void)state;
    run_cases("bert", "bert-tiny-random", 1);
}

static void gpt2_reference_cases(void **state)
{
    (void)state;
    run_cases("gpt2", "gpt2-tiny-random", 0);
}

/* ---- inputs.json of the model folders */

static void run_model_inputs(const char *model_dir)
{
    HS_REQUIRE_FIXTURES();
    char path[512];
    snprintf(path, sizeof path, "%s/inputs.json", model_dir);
    cJSON *inputs = hs_test_read_json(hs_test_fixture(path));
    hs_tokenizer *tok = load_or_fail(hs_test_fixture(model_dir));
    int failures = 0, count = 0;
    const cJSON *c;

    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(inputs, "cases"))
    {
        const char *name = json_string(c, "name");
        const char *text = json_string(c, "text");
        const char *pair = json_string(c, "text_pair");
        hs_encoding *enc = encode_or_null(tok, text, pair, 1);
        count++;
        if (!enc) {
            print_message("[  DIFF    ] %s case '%s': encode failed: %s\n", model_dir, name,
                          hs_error_message());
            failures++;
            continue;
        }
        int ok = check_ids(name, "input_ids", cJSON_GetObjectItemCaseSensitive(c, "input_ids"),
                           enc->ids, enc->n);
        const cJSON *types = cJSON_GetObjectItemCaseSensitive(c, "token_type_ids");
        if (types)
            ok &= check_ids(name, "token_type_ids", types, enc->type_ids, enc->n);
        failures += !ok;
        hs_encoding_free(enc);
    }
    print_message("[  INFO    ] %s: %d of %d inputs identical\n", model_dir, count - failures,
                  count);
    hs_tokenizer_free(tok);
    cJSON_Delete(inputs);
    assert_true(count > 0);
    assert_int_equal(failures, 0);
}

static void bert_model_inputs(void **state)
{
    (void)state;
    run_model_inputs("bert-tiny-random");
}

static void bert_legacy_model_inputs(void **state)
{
    (void)state;
    run_model_inputs("bert-tiny-random-legacy");
}

static void gpt2_model_inputs(void **state)
{
    (void)state;
    run_model_inputs("gpt2-tiny-random");
}

/* ---- self-made WordPiece vocabulary */

static const char TINY_VOCAB[] = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n"
                                 "un\n##aff\n##able\nwant\n##want\n##ed\nwa\nrunn\n##ing\n"
                                 ",\n!\n.\nhello\nworld\nnaive\ncafe\n\xE4\xBD\xA0\n"
                                 "\xE5\xA5\xBD\nab\n##ab\n";

static hs_tokenizer *tiny_wordpiece(const char *config)
{
    char path[4096];
    const char *dir = hs_test_tmpdir("wordpiece");
    snprintf(path, sizeof path, "%s/vocab.txt", dir);
    hs_test_write_file(path, TINY_VOCAB, strlen(TINY_VOCAB));
    snprintf(path, sizeof path, "%s/tokenizer_config.json", dir);
    hs_test_write_file(path, config, strlen(config));
    return load_or_fail(dir);
}

/* Encodes without specials and compares the tokens with a space-separated
 * list. */
static void expect_tokens(const hs_tokenizer *tok, const char *text, const char *expected)
{
    hs_encoding *enc = encode_or_null(tok, text, NULL, 0);
    if (!enc)
        fail_msg("encode '%s' failed: %s", text, hs_error_message());
    char got[1024] = "";
    for (int i = 0; i < enc->n; i++) {
        if (i)
            strncat(got, " ", sizeof got - strlen(got) - 1);
        strncat(got, enc->tokens[i], sizeof got - strlen(got) - 1);
    }
    if (strcmp(got, expected) != 0)
        fail_msg("'%s': expected tokens '%s', got '%s'", text, expected, got);
    hs_encoding_free(enc);
}

static void wordpiece_greedy_split(void **state)
{
    (void)state;
    hs_tokenizer *tok = tiny_wordpiece("{\"do_lower_case\": true}");
    assert_int_equal(hs_tokenizer_get_kind(tok), HS_TOKENIZER_WORDPIECE);
    assert_int_equal(hs_tokenizer_vocab_size(tok), 25);
    expect_tokens(tok, "unwanted running", "un ##want ##ed runn ##ing");
    expect_tokens(tok, "unaffable", "un ##aff ##able");
    /* a word that cannot be split entirely is one [UNK] */
    expect_tokens(tok, "unwantedx", "[UNK]");
    expect_tokens(tok, "[MASK] want [mask]", "[MASK] want [UNK] [UNK] [UNK]");
    hs_tokenizer_free(tok);
}

static void wordpiece_long_word(void **state)
{
    (void)state;
    hs_tokenizer *tok = tiny_wordpiece("{}");
    char word[256] = "";
    for (int i = 0; i < 50; i++)
        strcat(word, "ab");
    /* 100 characters still split; 101 become [UNK] */
    hs_encoding *enc = encode_or_null(tok, word, NULL, 0);
    assert_non_null(enc);
    assert_int_equal(enc->n, 50);
    assert_string_equal(enc->tokens[49], "##ab");
    hs_encoding_free(enc);
    strcat(word, "a");
    enc = encode_or_null(tok, word, NULL, 0);
    assert_non_null(enc);
    assert_int_equal(enc->n, 1);
    assert_string_equal(enc->tokens[0], "[UNK]");
    assert_int_equal(enc->offsets[0][0], 0);
    assert_int_equal(enc->offsets[0][1], 101);
    hs_encoding_free(enc);
    hs_tokenizer_free(tok);
}

static void wordpiece_accents(void **state)
{
    (void)state;
    hs_tokenizer *tok = tiny_wordpiece("{\"do_lower_case\": true}");
    expect_tokens(tok, "Na\xC3\xAFve CAF\xC3\x89", "naive cafe");
    /* a decomposed accent (e + U+0301) and a bare mark */
    expect_tokens(tok, "cafe\xCC\x81 \xCC\x81", "cafe");
    hs_tokenizer_free(tok);
    /* strip_accents false keeps them: the accented words are unknown */
    tok = tiny_wordpiece("{\"do_lower_case\": true, \"strip_accents\": false}");
    expect_tokens(tok, "Na\xC3\xAFve cafe", "[UNK] cafe");
    hs_tokenizer_free(tok);
    /* cased: no lowercasing, no stripping */
    tok = tiny_wordpiece("{\"do_lower_case\": false}");
    expect_tokens(tok, "Hello hello", "[UNK] hello");
    hs_tokenizer_free(tok);
}

static void wordpiece_cjk_and_punctuation(void **state)
{
    (void)state;
    hs_tokenizer *tok = tiny_wordpiece("{}");
    expect_tokens(tok, "\xE4\xBD\xA0\xE5\xA5\xBD", "\xE4\xBD\xA0 \xE5\xA5\xBD");
    expect_tokens(tok, "hello\xE4\xBD\xA0world", "hello \xE4\xBD\xA0 world");
    expect_tokens(tok, "hello,world!.", "hello , world ! .");
    /* U+00BF (Po) is punctuation; control and zero-width characters vanish */
    expect_tokens(tok, "hel\x01lo\xE2\x80\x8B world\xC2\xBF", "hello world [UNK]");
    hs_tokenizer_free(tok);
    tok = tiny_wordpiece("{\"tokenize_chinese_chars\": false}");
    expect_tokens(tok, "\xE4\xBD\xA0\xE5\xA5\xBD", "[UNK]");
    hs_tokenizer_free(tok);
}

static void wordpiece_offsets(void **state)
{
    (void)state;
    hs_tokenizer *tok = tiny_wordpiece("{}");
    /* "  Na\xC3\xAFve, unwanted" : naive [2,8) , [8,9) un [10,12) ##want [12,16) ##ed */
    const char *text = "  Na\xC3\xAFve, unwanted";
    hs_encoding *enc = encode_or_null(tok, text, NULL, 1);
    assert_non_null(enc);
    const int32_t expected[][2] = {{0, 0}, {2, 8}, {8, 9}, {10, 12}, {12, 16}, {16, 18}, {0, 0}};
    assert_int_equal(enc->n, 7);
    for (int i = 0; i < enc->n; i++) {
        if (enc->offsets[i][0] != expected[i][0] || enc->offsets[i][1] != expected[i][1])
            fail_msg("token %d '%s': expected offsets [%d, %d), got [%d, %d)", i,
                     enc->tokens[i], expected[i][0], expected[i][1], enc->offsets[i][0],
                     enc->offsets[i][1]);
    }
    assert_int_equal(enc->flags[0], HS_TOKEN_SPECIAL);
    assert_int_equal(enc->flags[1], HS_TOKEN_NORMAL);
    hs_encoding_free(enc);
    hs_tokenizer_free(tok);
}

static void wordpiece_pair_and_truncate(void **state)
{
    (void)state;
    hs_tokenizer *tok = tiny_wordpiece("{}");
    hs_encoding *enc = encode_or_null(tok, "hello world", "want", 1);
    assert_non_null(enc);
    const int32_t ids[] = {2, 17, 18, 3, 8, 3};
    const int32_t types[] = {0, 0, 0, 0, 1, 1};
    const uint8_t segments[] = {0, 0, 0, 0, 1, 1};
    assert_int_equal(enc->n, 6);
    for (int i = 0; i < 6; i++) {
        assert_int_equal(enc->ids[i], ids[i]);
        assert_int_equal(enc->type_ids[i], types[i]);
        assert_int_equal(enc->segment[i], segments[i]);
    }
    /* the second text's offsets are in that text */
    assert_int_equal(enc->offsets[4][0], 0);
    assert_int_equal(enc->offsets[4][1], 4);
    hs_encoding_free(enc);

    enc = encode_or_null(tok, "hello world hello world", NULL, 1);
    assert_non_null(enc);
    assert_int_equal(enc->n, 6);
    assert_int_equal(hs_encoding_truncate(enc, 10), 0);
    assert_int_equal(hs_encoding_truncate(enc, 4), 1);
    assert_int_equal(enc->n, 4);
    assert_string_equal(enc->tokens[0], "[CLS]");
    assert_string_equal(enc->tokens[1], "hello");
    assert_string_equal(enc->tokens[2], "world");
    assert_string_equal(enc->tokens[3], "[SEP]");
    assert_string_equal(enc->labels[3], "[SEP]");
    hs_encoding_free(enc);

    /* without an inserted [SEP] at the end the cut is plain */
    enc = encode_or_null(tok, "hello world hello", NULL, 0);
    assert_non_null(enc);
    assert_int_equal(hs_encoding_truncate(enc, 2), 1);
    assert_int_equal(enc->n, 2);
    assert_string_equal(enc->tokens[1], "world");
    hs_encoding_free(enc);
    hs_tokenizer_free(tok);
}

static void wordpiece_from_ids_and_labels(void **state)
{
    (void)state;
    hs_tokenizer *tok = tiny_wordpiece("{}");
    const int32_t ids[] = {2, 5, 6, 3};
    hs_encoding *enc = hs_tokenizer_from_ids(tok, ids, 4);
    assert_non_null(enc);
    assert_string_equal(enc->tokens[2], "##aff");
    assert_string_equal(enc->labels[2], "##aff");
    assert_int_equal(enc->flags[0], HS_TOKEN_SPECIAL);
    assert_int_equal(enc->flags[1], HS_TOKEN_NORMAL);
    assert_int_equal(enc->offsets[1][1], 0);
    hs_encoding_free(enc);

    const int32_t bad[] = {2, 99};
    assert_null(hs_tokenizer_from_ids(tok, bad, 2));
    assert_non_null(strstr(hs_error_message(), "99"));

    char *label = hs_tokenizer_id_label(tok, 7);
    assert_string_equal(label, "##able");
    free(label);
    assert_int_equal(hs_tokenizer_token_to_id(tok, "want"), 8);
    assert_int_equal(hs_tokenizer_token_to_id(tok, "nope"), -1);
    assert_string_equal(hs_tokenizer_id_to_token(tok, 3), "[SEP]");
    assert_null(hs_tokenizer_id_to_token(tok, 25));
    assert_int_equal(hs_tokenizer_adds_bos(tok), 0);
    hs_tokenizer_free(tok);
}

/* ---- self-made byte-level BPE */

/* Vocabulary: the characters a, b, c, Ġ (space), the bytes of U+65E5 (E6 97
 * A5 as "æ", "Ĺ", "¥"), merges in rank order. */
static hs_tokenizer *tiny_bpe(void)
{
    char path[4096];
    const char *dir = hs_test_tmpdir("bpe");
    const char *vocab = "{\"a\": 0, \"b\": 1, \"c\": 2, \"\xC4\xA0\": 3, \"bc\": 4, \"ab\": 5,"
                        " \"abc\": 6, \"\xC4\xA0" "a\": 7, \"\xC3\xA6\": 8, \"\xC4\xB9\": 9,"
                        " \"\xC2\xA5\": 10, \"\xC3\xA6\xC4\xB9\": 11, \"\xC4\x8A\": 12,"
                        " \"<|endoftext|>\": 13}";
    /* "b c" outranks "a b", so "abc" becomes a + bc, never ab + c */
    const char *merges = "#version: 0.2\nb c\na b\na bc\n\xC4\xA0 a\n\xC3\xA6 \xC4\xB9\n";
    snprintf(path, sizeof path, "%s/vocab.json", dir);
    hs_test_write_file(path, vocab, strlen(vocab));
    snprintf(path, sizeof path, "%s/merges.txt", dir);
    hs_test_write_file(path, merges, strlen(merges));
    return load_or_fail(dir);
}

static void bpe_merges_by_rank(void **state)
{
    (void)state;
    hs_tokenizer *tok = tiny_bpe();
    assert_int_equal(hs_tokenizer_get_kind(tok), HS_TOKENIZER_GPT2_BPE);
    /* b c (rank 0) first, then a bc (rank 2): abc */
    expect_tokens(tok, "abc", "abc");
    /* a b (rank 1) outranks Ġ a (rank 3), so " ab" is Ġ + ab and " a" is Ġa */
    expect_tokens(tok, "cab ab", "c ab \xC4\xA0 ab");
    expect_tokens(tok, "b a", "b \xC4\xA0" "a");
    expect_tokens(tok, "aa<|endoftext|>a", "a a <|endoftext|> a");
    hs_encoding *enc = encode_or_null(tok, "cab ab", NULL, 1);
    assert_non_null(enc);
    const int32_t offsets[][2] = {{0, 1}, {1, 3}, {3, 4}, {4, 6}};
    assert_int_equal(enc->n, 4);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(enc->offsets[i][0], offsets[i][0]);
        assert_int_equal(enc->offsets[i][1], offsets[i][1]);
    }
    assert_string_equal(enc->labels[2], " ");
    hs_encoding_free(enc);
    enc = encode_or_null(tok, "a<|endoftext|>", NULL, 1);
    assert_non_null(enc);
    assert_int_equal(enc->n, 2);
    assert_int_equal(enc->ids[1], 13);
    assert_int_equal(enc->flags[1], HS_TOKEN_SPECIAL);
    assert_int_equal(enc->offsets[1][0], 1);
    assert_int_equal(enc->offsets[1][1], 14);
    hs_encoding_free(enc);
    hs_tokenizer_free(tok);
}

/* Labels with nothing visible are spelled out for drawing; others stay. */
static void label_visible_spells_invisible(void **state)
{
    (void)state;
    static const struct {
        const char *label, *want;
    } cases[] = {
        {"bank", "bank"},
        {" a", " a"},
        {"", ""},
        {" ", "\xE2\x90\xA3"},
        {"  ", "\xE2\x90\xA3 \xE2\x90\xA3"},
        {"\xE2\x80\x8D", "U+200D"},          /* zero-width joiner */
        {"\xEF\xB8\x8F", "U+FE0F"},          /* variation selector 16 */
        {" \xC2\xA0", "\xE2\x90\xA3 U+00A0"}, /* space, no-break space */
        {"\xCC\x81", "U+0301"},               /* a combining accent alone */
        {"e\xCC\x81", "e\xCC\x81"},
    };
    char out[64];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        hs_label_visible(cases[i].label, out, sizeof out);
        assert_string_equal(out, cases[i].want);
    }
    /* A buffer too small keeps whole entries and stays terminated. */
    char small[9];
    hs_label_visible("\xE2\x80\x8D\xE2\x80\x8D", small, sizeof small);
    assert_string_equal(small, "U+200D");
}

static void bpe_partial_utf8_labels(void **state)
{
    (void)state;
    hs_tokenizer *tok = tiny_bpe();
    /* U+65E5 = E6 97 A5: "æĹ" is two of its three bytes */
    hs_encoding *enc = encode_or_null(tok, "\xE6\x97\xA5\n", NULL, 1);
    assert_non_null(enc);
    assert_int_equal(enc->n, 3);
    assert_string_equal(enc->tokens[0], "\xC3\xA6\xC4\xB9");
    assert_string_equal(enc->labels[0], "<E6 97>");
    assert_string_equal(enc->labels[1], "<A5>");
    assert_string_equal(enc->labels[2], "\xE2\x86\xB5");
    assert_int_equal(enc->offsets[0][0], 0);
    assert_int_equal(enc->offsets[0][1], 2);
    assert_int_equal(enc->offsets[1][0], 2);
    assert_int_equal(enc->offsets[1][1], 3);
    hs_encoding_free(enc);
    char *label = hs_tokenizer_id_label(tok, 10);
    assert_string_equal(label, "<A5>");
    free(label);
    hs_tokenizer_free(tok);
}

/* ---- tokenizer.json */

/* Runs every case of one tokenizer of tokenizer-json-cases.json. */
static void run_json_cases(const char *name)
{
    HS_REQUIRE_FIXTURES();
    cJSON *all = read_cases("tokenizer-json-cases.json");
    const cJSON *entry = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(all, "tokenizers"), name);
    const char *file = json_string(cJSON_GetObjectItemCaseSensitive(entry, "files"),
                                   "tokenizer.json");
    assert_non_null(file);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", hs_test_fixture(file));
    *strrchr(dir, '/') = '\0';
    hs_tokenizer *tok = load_or_fail(dir);
    assert_int_equal(hs_tokenizer_get_kind(tok), HS_TOKENIZER_JSON);
    int failures = 0, count = 0;
    const cJSON *c;

    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(entry, "cases"))
    {
        const char *case_name = json_string(c, "name");
        size_t len = 0;
        char *text = case_text(c, "text", &len);
        hs_encode_options plain = {0, -1};
        hs_encoding *enc = hs_tokenizer_encode(tok, text, len, NULL, 0, &plain);
        count++;
        if (!enc) {
            print_message("[  DIFF    ] %s case '%s': encode failed: %s\n", name, case_name,
                          hs_error_message());
            failures++;
            free(text);
            continue;
        }
        int ok = check_tokens(case_name, cJSON_GetObjectItemCaseSensitive(c, "tokens"),
                              enc->tokens, enc->n);
        ok &= check_ids(case_name, "ids_no_special",
                        cJSON_GetObjectItemCaseSensitive(c, "ids_no_special"), enc->ids, enc->n);
        hs_encoding_free(enc);
        enc = hs_tokenizer_encode(tok, text, len, NULL, 0, NULL);
        assert_non_null(enc);
        ok &= check_ids(case_name, "ids", cJSON_GetObjectItemCaseSensitive(c, "ids"), enc->ids,
                        enc->n);
        hs_encoding_free(enc);
        failures += !ok;
        free(text);
    }
    print_message("[  INFO    ] %s: %d of %d tokenizer.json cases identical\n", name,
                  count - failures, count);
    hs_tokenizer_free(tok);
    cJSON_Delete(all);
    assert_true(count > 0);
    assert_int_equal(failures, 0);
}

static void json_llama2_cases(void **state)
{
    (void)state;
    run_json_cases("llama2");
}

static void json_smollm2_cases(void **state)
{
    (void)state;
    run_json_cases("smollm2");
}

static void json_gpt2_cases(void **state)
{
    (void)state;
    run_json_cases("gpt2");
}

static void llama_tokenizer_model_inputs(void **state)
{
    (void)state;
    run_model_inputs("llama-tiny-tokenizer");
}

static void json_reference_bos_and_labels(void **state)
{
    (void)state;
    HS_REQUIRE_FIXTURES();
    hs_tokenizer *tok = load_or_fail(hs_test_fixture("llama-tiny-tokenizer"));
    assert_int_equal(hs_tokenizer_adds_bos(tok), 1);
    assert_int_equal(hs_tokenizer_vocab_size(tok), 32000);
    hs_encoding *enc = encode_or_null(tok, "This is \xF0\x9F\xA6\x99.cpp", NULL, 1);
    assert_non_null(enc);
    assert_int_equal(enc->n, 10);
    assert_string_equal(enc->labels[0], "<s>");
    assert_int_equal(enc->flags[0], HS_TOKEN_SPECIAL);
    assert_string_equal(enc->labels[1], " This");
    assert_string_equal(enc->labels[4], "\xF0\x9F\xA6\x99");
    assert_string_equal(enc->labels[5], "\xE2\x8B\xAF");
    assert_string_equal(enc->labels[7], "\xE2\x8B\xAF");
    assert_int_equal(enc->offsets[1][0], 0);
    assert_int_equal(enc->offsets[1][1], 4);
    assert_int_equal(enc->offsets[4][0], 8);
    assert_int_equal(enc->offsets[4][1], 9);
    hs_encoding_free(enc);
    hs_tokenizer_free(tok);

    HS_REQUIRE_FIXTURES();
    tok = load_or_fail(hs_test_fixture("tokenizer-json/gpt2"));
    assert_int_equal(hs_tokenizer_adds_bos(tok), 0);
    enc = encode_or_null(tok, "\xE6\x97\xA5 a\n", NULL, 1);
    assert_non_null(enc);
    assert_string_equal(enc->labels[0], "<E6 97>");
    assert_string_equal(enc->labels[1], "<A5>");
    assert_string_equal(enc->labels[2], " a");
    assert_string_equal(enc->labels[3], "\xE2\x86\xB5");
    hs_encoding_free(enc);
    hs_tokenizer_free(tok);
}

/* A Llama-style tokenizer.json: Prepend + Replace normalizer, byte fallback,
 * a template that adds <s>, merges given as pairs. */
static const char TINY_JSON[] =
    "{\"version\": \"1.0\", \"added_tokens\": ["
    "{\"id\": 0, \"content\": \"<unk>\", \"special\": true},"
    "{\"id\": 1, \"content\": \"<s>\", \"special\": true},"
    "{\"id\": 2, \"content\": \"</s>\", \"special\": true}],"
    "\"normalizer\": {\"type\": \"Sequence\", \"normalizers\": ["
    "{\"type\": \"Prepend\", \"prepend\": \"\xE2\x96\x81\"},"
    "{\"type\": \"Replace\", \"pattern\": {\"String\": \" \"}, \"content\": \"\xE2\x96\x81\"}]},"
    "\"pre_tokenizer\": null,"
    "\"post_processor\": {\"type\": \"TemplateProcessing\","
    "\"single\": [{\"SpecialToken\": {\"id\": \"<s>\", \"type_id\": 0}},"
    "{\"Sequence\": {\"id\": \"A\", \"type_id\": 0}}],"
    "\"pair\": [{\"SpecialToken\": {\"id\": \"<s>\", \"type_id\": 0}},"
    "{\"Sequence\": {\"id\": \"A\", \"type_id\": 0}},"
    "{\"SpecialToken\": {\"id\": \"<s>\", \"type_id\": 1}},"
    "{\"Sequence\": {\"id\": \"B\", \"type_id\": 1}}],"
    "\"special_tokens\": {\"<s>\": {\"id\": \"<s>\", \"ids\": [1], \"tokens\": [\"<s>\"]}}},"
    "\"model\": {\"type\": \"BPE\", \"unk_token\": \"<unk>\", \"fuse_unk\": true,"
    "\"byte_fallback\": true, \"vocab\": {\"<unk>\": 0, \"<s>\": 1, \"</s>\": 2,"
    "\"<0xF0>\": 3, \"<0x9F>\": 4, \"<0xA6>\": 5, \"<0x99>\": 6, \"\xE2\x96\x81\": 7,"
    "\"h\": 8, \"i\": 9, \"hi\": 10, \"\xE2\x96\x81hi\": 11, \"<0x0A>\": 12},"
    "\"merges\": [[\"h\", \"i\"], \"\xE2\x96\x81 hi\"]}}";

static hs_tokenizer *tiny_json(const char *config)
{
    char path[4096];
    const char *dir = hs_test_tmpdir("tokjson");
    snprintf(path, sizeof path, "%s/tokenizer.json", dir);
    hs_test_write_file(path, TINY_JSON, strlen(TINY_JSON));
    snprintf(path, sizeof path, "%s/tokenizer_config.json", dir);
    hs_test_write_file(path, config, strlen(config));
    return load_or_fail(dir);
}

static void json_tiny_pipeline(void **state)
{
    (void)state;
    hs_tokenizer *tok = tiny_json("{\"bos_token\": \"<s>\", \"eos_token\": \"</s>\"}");
    assert_int_equal(hs_tokenizer_get_kind(tok), HS_TOKENIZER_JSON);
    assert_int_equal(hs_tokenizer_adds_bos(tok), 1);
    /* "hi hi": ▁hi ▁hi; x has no entry and no byte token, so it is <unk> */
    expect_tokens(tok, "hi hix", "\xE2\x96\x81hi \xE2\x96\x81hi <unk>");
    expect_tokens(tok, "hi<s>hi", "\xE2\x96\x81hi <s> \xE2\x96\x81hi");
    expect_tokens(tok, "\xF0\x9F\xA6\x99\n",
                  "\xE2\x96\x81 <0xF0> <0x9F> <0xA6> <0x99> <0x0A>");

    hs_encoding *enc = encode_or_null(tok, "\xF0\x9F\xA6\x99\n", NULL, 1);
    assert_non_null(enc);
    assert_int_equal(enc->n, 7);
    assert_int_equal(enc->ids[0], 1);
    assert_string_equal(enc->labels[1], " ");
    assert_string_equal(enc->labels[2], "\xF0\x9F\xA6\x99");
    assert_string_equal(enc->labels[3], "\xE2\x8B\xAF");
    assert_string_equal(enc->labels[5], "\xE2\x8B\xAF");
    assert_string_equal(enc->labels[6], "\xE2\x86\xB5");
    hs_encoding_free(enc);

    /* the bos option forces BOS off and on */
    hs_encode_options without = {1, 0}, with = {0, 1};
    enc = hs_tokenizer_encode(tok, "hi", 2, NULL, 0, &without);
    assert_non_null(enc);
    assert_int_equal(enc->n, 1);
    assert_int_equal(enc->ids[0], 11);
    hs_encoding_free(enc);
    enc = hs_tokenizer_encode(tok, "hi", 2, NULL, 0, &with);
    assert_non_null(enc);
    assert_int_equal(enc->n, 2);
    assert_int_equal(enc->ids[0], 1);
    hs_encoding_free(enc);

    /* pairs follow the template's type ids */
    enc = encode_or_null(tok, "hi", "hi", 1);
    assert_non_null(enc);
    assert_int_equal(enc->n, 4);
    assert_int_equal(enc->ids[2], 1);
    assert_int_equal(enc->type_ids[2], 1);
    assert_int_equal(enc->type_ids[3], 1);
    assert_int_equal(enc->segment[3], 1);
    hs_encoding_free(enc);

    /* a lone byte token is shown as hex */
    char *label = hs_tokenizer_id_label(tok, 3);
    assert_string_equal(label, "<F0>");
    free(label);
    hs_tokenizer_free(tok);
}

static void json_config_bos_eos_flags(void **state)
{
    (void)state;
    hs_tokenizer *tok = tiny_json("{\"bos_token\": \"<s>\", \"eos_token\": \"</s>\","
                                  " \"add_bos_token\": false, \"add_eos_token\": true}");
    assert_int_equal(hs_tokenizer_adds_bos(tok), 0);
    hs_encoding *enc = encode_or_null(tok, "hi", NULL, 1);
    assert_non_null(enc);
    assert_int_equal(enc->n, 2);
    assert_int_equal(enc->ids[0], 11);
    assert_int_equal(enc->ids[1], 2);
    /* truncation keeps the inserted EOS last */
    assert_int_equal(hs_encoding_truncate(enc, 1), 1);
    assert_int_equal(enc->n, 1);
    hs_encoding_free(enc);
    hs_tokenizer_free(tok);
}

/* Writes a tokenizer.json over the characters a, b, - whose merges join any two
 * neighbours, so the tokens show where the pre-tokenizer cut. */
static hs_tokenizer *split_json(const char *normalizer, const char *pre_tokenizer)
{
    char path[4096], json[2048];
    const char *dir = hs_test_tmpdir("split");
    snprintf(json, sizeof json,
             "{\"added_tokens\": [], \"normalizer\": %s, \"pre_tokenizer\": %s,"
             "\"post_processor\": null, \"model\": {\"type\": \"BPE\", \"unk_token\": \"?\","
             "\"vocab\": {\"a\": 0, \"b\": 1, \"-\": 2, \"a-\": 3, \"-a\": 4, \"--\": 5,"
             "\"b-\": 6, \"-b\": 7, \"?\": 8},"
             "\"merges\": [\"a -\", \"- a\", \"- -\", \"b -\", \"- b\"]}}",
             normalizer, pre_tokenizer);
    snprintf(path, sizeof path, "%s/tokenizer.json", dir);
    hs_test_write_file(path, json, strlen(json));
    return load_or_fail(dir);
}

static void json_split_behaviors(void **state)
{
    (void)state;
    static const struct {
        const char *behavior;
        const char *tokens;
    } cases[] = {
        {"Isolated", "a - b - - a"},
        {"Removed", "a b a"},
        {"MergedWithPrevious", "a- b- - a"},
        {"MergedWithNext", "a -b - -a"},
        {"Contiguous", "a - b -- a"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char pre[256];
        snprintf(pre, sizeof pre,
                 "{\"type\": \"Split\", \"pattern\": {\"String\": \"-\"}, \"behavior\": \"%s\","
                 " \"invert\": false}",
                 cases[i].behavior);
        hs_tokenizer *tok = split_json("null", pre);
        expect_tokens(tok, "a-b--a", cases[i].tokens);
        hs_tokenizer_free(tok);
    }
    /* invert: the matches of [ab] are kept, the rest removed */
    hs_tokenizer *tok = split_json("null", "{\"type\": \"Split\", \"pattern\":"
                                           " {\"Regex\": \"[ab]\"}, \"behavior\": \"Removed\","
                                           " \"invert\": true}");
    expect_tokens(tok, "a-b--a", "a b a");
    expect_tokens(tok, "axb", "a b");
    hs_tokenizer_free(tok);
    /* a character without an entry becomes the unknown token */
    tok = split_json("null", "null");
    expect_tokens(tok, "axb-", "a ? b-");
    hs_tokenizer_free(tok);
}

static void json_punctuation_and_accents(void **state)
{
    (void)state;
    hs_tokenizer *tok = split_json("null", "{\"type\": \"Punctuation\"}");
    expect_tokens(tok, "a-b--a", "a - b - - a");
    hs_tokenizer_free(tok);
    tok = split_json("null", "{\"type\": \"Punctuation\", \"behavior\": \"Contiguous\"}");
    expect_tokens(tok, "a-b--a", "a - b -- a");
    hs_tokenizer_free(tok);
    tok = split_json("null", "{\"type\": \"CharDelimiterSplit\", \"delimiter\": \"-\"}");
    expect_tokens(tok, "a-b--a", "a b a");
    hs_tokenizer_free(tok);
    /* NFD then StripAccents: "\xC3\xA1" (a with acute) becomes a; Strip drops
     * the spaces at both ends */
    tok = split_json("{\"type\": \"Sequence\", \"normalizers\": [{\"type\": \"NFD\"},"
                     " {\"type\": \"StripAccents\"}, {\"type\": \"Strip\"}]}",
                     "null");
    expect_tokens(tok, " \xC3\xA1-b ", "a- b");
    hs_tokenizer_free(tok);
}

static void json_metaspace_first_scheme(void **state)
{
    (void)state;
    char path[4096];
    const char *dir = hs_test_tmpdir("metaspace");
    /* TINY_JSON with its normalizer replaced by a Metaspace pre-tokenizer that
     * prepends "▁" only at the start of the input and does not split */
    const char *from = strstr(TINY_JSON, "\"normalizer\"");
    const char *to = strstr(TINY_JSON, "\"post_processor\"");
    char json[4096];
    snprintf(json, sizeof json,
             "%.*s\"normalizer\": null, \"pre_tokenizer\": {\"type\": \"Metaspace\","
             " \"replacement\": \"\xE2\x96\x81\", \"prepend_scheme\": \"first\","
             " \"split\": false}, %s",
             (int)(from - TINY_JSON), TINY_JSON, to);
    snprintf(path, sizeof path, "%s/tokenizer.json", dir);
    hs_test_write_file(path, json, strlen(json));
    hs_tokenizer *tok = load_or_fail(dir);
    expect_tokens(tok, "hi hi", "\xE2\x96\x81hi \xE2\x96\x81hi");
    /* the text after an added token is not at the start of the input */
    expect_tokens(tok, "hi<s>hi", "\xE2\x96\x81hi <s> hi");
    hs_encoding *enc = encode_or_null(tok, "hi", "hi", 1);
    assert_non_null(enc);
    /* the second text of a pair starts its own input */
    assert_int_equal(enc->n, 4);
    assert_int_equal(enc->ids[3], 11);
    hs_encoding_free(enc);
    hs_tokenizer_free(tok);
}

static void json_wordpiece_model(void **state)
{
    (void)state;
    char path[4096];
    const char *dir = hs_test_tmpdir("wordpiece-json");
    const char *json =
        "{\"added_tokens\": [{\"id\": 2, \"content\": \"[CLS]\", \"special\": true},"
        "{\"id\": 3, \"content\": \"[SEP]\", \"special\": true}],"
        "\"normalizer\": {\"type\": \"BertNormalizer\", \"clean_text\": true,"
        " \"handle_chinese_chars\": true, \"strip_accents\": null, \"lowercase\": true},"
        "\"pre_tokenizer\": {\"type\": \"BertPreTokenizer\"},"
        "\"post_processor\": {\"type\": \"BertProcessing\", \"sep\": [\"[SEP]\", 3],"
        " \"cls\": [\"[CLS]\", 2]},"
        "\"model\": {\"type\": \"WordPiece\", \"unk_token\": \"[UNK]\","
        " \"continuing_subword_prefix\": \"##\", \"max_input_chars_per_word\": 100,"
        " \"vocab\": {\"[PAD]\": 0, \"[UNK]\": 1, \"[CLS]\": 2, \"[SEP]\": 3, \"un\": 4,"
        " \"##want\": 5, \"##ed\": 6, \"cafe\": 7, \",\": 8}}}";
    snprintf(path, sizeof path, "%s/tokenizer.json", dir);
    hs_test_write_file(path, json, strlen(json));
    hs_tokenizer *tok = load_or_fail(dir);
    assert_int_equal(hs_tokenizer_get_kind(tok), HS_TOKENIZER_JSON);
    expect_tokens(tok, "UnWanted, CAF\xC3\x89 x", "un ##want ##ed , cafe [UNK]");
    hs_encoding *enc = encode_or_null(tok, "cafe", "un", 1);
    assert_non_null(enc);
    const int32_t ids[] = {2, 7, 3, 4, 3};
    const int32_t types[] = {0, 0, 0, 1, 1};
    assert_int_equal(enc->n, 5);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(enc->ids[i], ids[i]);
        assert_int_equal(enc->type_ids[i], types[i]);
    }
    assert_string_equal(enc->labels[0], "[CLS]");
    hs_encoding_free(enc);
    hs_tokenizer_free(tok);
}

/* ---- UTF-8 validation */

static void utf8_invalid_offsets(void **state)
{
    (void)state;
    assert_int_equal(hs_utf8_invalid_offset("", 0), -1);
    assert_int_equal(hs_utf8_invalid_offset("abc\xE6\x97\xA5", 6), -1);
    assert_int_equal(hs_utf8_invalid_offset("a\0b", 3), -1);
    assert_int_equal(hs_utf8_invalid_offset("ab\x80", 3), 2);          /* lone continuation */
    assert_int_equal(hs_utf8_invalid_offset("abc\xE6\x97", 5), 3);     /* truncated */
    assert_int_equal(hs_utf8_invalid_offset("\xC0\xAF", 2), 0);        /* overlong */
    assert_int_equal(hs_utf8_invalid_offset("x\xED\xA0\x80", 4), 1);   /* surrogate */
    assert_int_equal(hs_utf8_invalid_offset("\xF4\x90\x80\x80", 4), 0); /* > U+10FFFF */
    assert_int_equal(hs_utf8_invalid_offset("ok\xFF", 3), 2);

    hs_tokenizer *tok = tiny_wordpiece("{}");
    hs_encoding *enc = hs_tokenizer_encode(tok, "hello\xE6\x97", 7, NULL, 0, NULL);
    assert_null(enc);
    assert_non_null(strstr(hs_error_message(), "invalid UTF-8 at byte 5"));
    hs_tokenizer_free(tok);
}

static void load_missing_folder(void **state)
{
    (void)state;
    const char *dir = hs_test_tmpdir("empty");
    assert_null(hs_tokenizer_load(dir, NULL));
    assert_non_null(strstr(hs_error_message(), dir));
    assert_non_null(strstr(hs_error_message(), "vocab.txt"));
}

/* ---- error messages and unknown characters */

/* Writes text to dir/name. */
static void write_in(const char *dir, const char *name, const char *text)
{
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    hs_test_write_file(path, text, strlen(text));
}

/* Encodes text that must fail and returns the message. */
static const char *encode_invalid(const hs_tokenizer *tok, const char *text, int add_special)
{
    hs_encoding *enc = encode_or_null(tok, text, NULL, add_special);
    if (enc) {
        hs_encoding_free(enc);
        fail_msg("encoding '%s' succeeded, but must fail", text);
    }
    return hs_error_message();
}

static void wordpiece_errors_name_vocab(void **state)
{
    (void)state;
    char dir[4096], vocab[4200];
    snprintf(dir, sizeof dir, "%s", hs_test_tmpdir("wordpiece-no-specials"));
    snprintf(vocab, sizeof vocab, "%s/vocab.txt", dir);
    write_in(dir, "vocab.txt", "[PAD]\nhello\n");
    hs_tokenizer *tok = load_or_fail(dir);
    const char *message = encode_invalid(tok, "hello", 1);
    assert_non_null(strstr(message, vocab));
    assert_non_null(strstr(message, "no classifier (cls_token) token"));
    message = encode_invalid(tok, "hello", 0);
    assert_non_null(strstr(message, vocab));
    assert_non_null(strstr(message, "no unknown token"));
    hs_encoding *enc = hs_tokenizer_from_ids(tok, (const int32_t[]){5}, 1);
    assert_null(enc);
    assert_non_null(strstr(hs_error_message(), vocab));
    hs_tokenizer_free(tok);
}

/* A GPT-2 vocabulary without byte tokens and without <|endoftext|> has no
 * id for most characters, and GPT2Tokenizer cannot encode them either. */
static void bpe_unknown_without_unk_fails(void **state)
{
    (void)state;
    char dir[4096], vocab[4200];
    snprintf(dir, sizeof dir, "%s", hs_test_tmpdir("bpe-no-bytes"));
    snprintf(vocab, sizeof vocab, "%s/vocab.json", dir);
    write_in(dir, "vocab.json", "{\"Hello\": 0}");
    write_in(dir, "merges.txt", "#version: 0.2\n");
    hs_tokenizer *tok = load_or_fail(dir);
    const char *message = encode_invalid(tok, "Hello, x", 0);
    assert_non_null(strstr(message, vocab));
    assert_non_null(strstr(message, "'H' at byte 0 of the text is not in the vocabulary"));
    assert_non_null(strstr(message, "'<|endoftext|>'"));
    hs_tokenizer_free(tok);
}

/* tokenizer.json naming an unk_token that is missing from the vocabulary:
 * the tokenizers library fails, and so must the engine. An invisible
 * character is shown as its bytes. */
static void json_unknown_named_unk_fails(void **state)
{
    (void)state;
    char dir[4096], path[4200];
    snprintf(dir, sizeof dir, "%s", hs_test_tmpdir("tokjson-missing-unk"));
    snprintf(path, sizeof path, "%s/tokenizer.json", dir);
    write_in(dir, "tokenizer.json",
             "{\"model\": {\"type\": \"BPE\", \"unk_token\": \"<unk>\", "
             "\"vocab\": {\"a\": 0}, \"merges\": []}}");
    hs_tokenizer *tok = load_or_fail(dir);
    const char *message = encode_invalid(tok, "a\xE2\x80\x8B", 0);
    assert_non_null(strstr(message, path));
    assert_non_null(strstr(message, "bytes E2 80 8B at byte 1"));
    assert_non_null(strstr(message, "'<unk>'"));
    hs_tokenizer_free(tok);
}

typedef struct {
    int count;
    char last[512];
} captured_log;

static void capture_log(const char *message, void *user)
{
    captured_log *log = user;
    log->count++;
    snprintf(log->last, sizeof log->last, "%s", message);
}

/* With unk_token null the tokenizers library drops a character that has no
 * entry. The engine does the same and sends one warning per encoding. */
static void json_unknown_without_unk_warns(void **state)
{
    (void)state;
    const char *dir = hs_test_tmpdir("tokjson-no-unk");
    write_in(dir, "tokenizer.json",
             "{\"model\": {\"type\": \"BPE\", \"unk_token\": null, "
             "\"vocab\": {\"a\": 0}, \"merges\": []}}");
    hs_tokenizer *tok = load_or_fail(dir);
    captured_log log = {0};
    hs_log_set_callback(capture_log, &log);
    hs_encoding *enc = encode_or_null(tok, "abca", NULL, 0);
    hs_log_set_callback(NULL, NULL);
    assert_non_null(enc);
    assert_int_equal(enc->n, 2);
    assert_int_equal(log.count, 1);
    assert_non_null(strstr(log.last, "tokenizer.json"));
    assert_non_null(strstr(log.last, "dropped 2 characters with no vocabulary entry"));
    assert_non_null(strstr(log.last, "the first at byte 1"));
    hs_encoding_free(enc);
    hs_tokenizer_free(tok);
}

static void json_empty_vocab_rejected(void **state)
{
    (void)state;
    const char *dir = hs_test_tmpdir("tokjson-empty-vocab");
    write_in(dir, "tokenizer.json",
             "{\"added_tokens\": [{\"id\": 0, \"content\": \"<s>\", \"special\": true}],"
             " \"model\": {\"type\": \"BPE\", \"vocab\": {}, \"merges\": []}}");
    assert_null(hs_tokenizer_load(dir, NULL));
    assert_non_null(strstr(hs_error_message(), "tokenizer.json"));
    assert_non_null(strstr(hs_error_message(), "model.vocab is empty"));
}

/* merges must be a list, and the message names the file once. */
static void json_merges_not_list(void **state)
{
    (void)state;
    const char *dir = hs_test_tmpdir("tokjson-merges");
    write_in(dir, "tokenizer.json",
             "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": 5}}");
    assert_null(hs_tokenizer_load(dir, NULL));
    const char *message = hs_error_message();
    assert_non_null(strstr(message, "tokenizer.json: model.merges is not an array"));
    assert_null(strstr(message, "tokenizer.json: tokenizer.json"));
}

static void json_trailing_text_rejected(void **state)
{
    (void)state;
    const char *dir = hs_test_tmpdir("tokjson-trailing");
    write_in(dir, "tokenizer.json",
             "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": []}}]");
    assert_null(hs_tokenizer_load(dir, NULL));
    assert_non_null(strstr(hs_error_message(), "tokenizer.json"));
    assert_non_null(strstr(hs_error_message(), "unexpected text after the top-level value"));
}

/* open() on a named pipe waits for a writer, so loading must reject it at once.
 * The alarm kills the test instead of letting it hang. */
static void vocab_fifo_rejected(void **state)
{
    (void)state;
    static const char *const names[] = {"vocab.txt", "tokenizer.json", "tokenizer_config.json"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char dir[4096], path[4200];
        snprintf(dir, sizeof dir, "%s", hs_test_tmpdir("tokenizer-fifo"));
        write_in(dir, "vocab.txt", TINY_VOCAB);
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        remove(path);
        assert_int_equal(mkfifo(path, 0600), 0);
        alarm(10);
        hs_tokenizer *tok = hs_tokenizer_load(dir, NULL);
        alarm(0);
        assert_null(tok);
        assert_non_null(strstr(hs_error_message(), path));
        assert_non_null(strstr(hs_error_message(), "not a regular file (it is a named pipe)"));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(wordpiece_greedy_split),
        cmocka_unit_test(wordpiece_long_word),
        cmocka_unit_test(wordpiece_accents),
        cmocka_unit_test(wordpiece_cjk_and_punctuation),
        cmocka_unit_test(wordpiece_offsets),
        cmocka_unit_test(wordpiece_pair_and_truncate),
        cmocka_unit_test(wordpiece_from_ids_and_labels),
        cmocka_unit_test(bpe_merges_by_rank),
        cmocka_unit_test(bpe_partial_utf8_labels),
        cmocka_unit_test(label_visible_spells_invisible),
        cmocka_unit_test(utf8_invalid_offsets),
        cmocka_unit_test(load_missing_folder),
        cmocka_unit_test(wordpiece_errors_name_vocab),
        cmocka_unit_test(bpe_unknown_without_unk_fails),
        cmocka_unit_test(json_unknown_named_unk_fails),
        cmocka_unit_test(json_unknown_without_unk_warns),
        cmocka_unit_test(json_empty_vocab_rejected),
        cmocka_unit_test(json_merges_not_list),
        cmocka_unit_test(json_trailing_text_rejected),
        cmocka_unit_test(vocab_fifo_rejected),
        cmocka_unit_test(bert_reference_cases),
        cmocka_unit_test(gpt2_reference_cases),
        cmocka_unit_test(bert_model_inputs),
        cmocka_unit_test(bert_legacy_model_inputs),
        cmocka_unit_test(gpt2_model_inputs),
        cmocka_unit_test(json_tiny_pipeline),
        cmocka_unit_test(json_config_bos_eos_flags),
        cmocka_unit_test(json_split_behaviors),
        cmocka_unit_test(json_metaspace_first_scheme),
        cmocka_unit_test(json_punctuation_and_accents),
        cmocka_unit_test(json_wordpiece_model),
        cmocka_unit_test(json_llama2_cases),
        cmocka_unit_test(json_smollm2_cases),
        cmocka_unit_test(json_gpt2_cases),
        cmocka_unit_test(llama_tokenizer_model_inputs),
        cmocka_unit_test(json_reference_bos_and_labels),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
