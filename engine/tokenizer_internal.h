/*
 * tokenizer_internal.h - shared internals of the tokenizers: the tokenizer
 * struct, string and pair hash maps, the token list that encoders fill, UTF-8
 * helpers and the entry points of each tokenizer kind.
 *
 * tokenizer.c owns the public API and dispatches to wordpiece.c (vocab.txt),
 * bpe_gpt2.c (vocab.json + merges.txt, and the BPE merge loop) and
 * tokenizer_json.c (tokenizer.json); tok_maps.c and tok_labels.c hold the
 * shared containers and the display labels.
 */
#ifndef HS_TOKENIZER_INTERNAL_H
#define HS_TOKENIZER_INTERNAL_H

#include "hs_tokenizer.h"

#include <stddef.h>
#include <stdint.h>

/* ---- arena: bump allocator for strings that live as long as the tokenizer */

typedef struct hs_tok_arena_block hs_tok_arena_block;

typedef struct {
    hs_tok_arena_block *head;
} hs_tok_arena;

/* Copies len bytes into the arena and adds a terminating NUL. NULL when out of
 * memory. */
char *hs_tok_arena_strndup(hs_tok_arena *arena, const char *s, size_t len);
void hs_tok_arena_free(hs_tok_arena *arena);

/* ---- string -> id hash map (open addressing; keys are not owned) */

typedef struct {
    const char *key;
    uint32_t len;
    int32_t value;
} hs_tok_strmap_slot;

typedef struct {
    hs_tok_strmap_slot *slots;
    size_t capacity; /* a power of two, 0 when empty */
    size_t count;
} hs_tok_strmap;

/* Inserts or replaces key -> value. The key must outlive the map. Returns 0,
 * or -1 when out of memory. */
int hs_tok_strmap_put(hs_tok_strmap *map, const char *key, size_t len, int32_t value);
/* Returns the value of key, or -1 when absent. */
int32_t hs_tok_strmap_get(const hs_tok_strmap *map, const char *key, size_t len);
void hs_tok_strmap_free(hs_tok_strmap *map);

/* ---- (id, id) -> merge hash map for BPE */

typedef struct {
    uint64_t key; /* (left << 32 | right) + 1, 0 marks an empty slot */
    int32_t rank;
    int32_t merged_id;
} hs_tok_pair_slot;

typedef struct {
    hs_tok_pair_slot *slots;
    size_t capacity;
    size_t count;
} hs_tok_pairmap;

/* Inserts a merge unless the pair already has one (the first, lowest rank
 * wins). Returns 0, or -1 when out of memory. */
int hs_tok_pairmap_put(hs_tok_pairmap *map, int32_t left, int32_t right, int32_t rank,
                       int32_t merged_id);
/* Returns the slot of the pair, or NULL. */
const hs_tok_pair_slot *hs_tok_pairmap_get(const hs_tok_pairmap *map, int32_t left,
                                           int32_t right);
void hs_tok_pairmap_free(hs_tok_pairmap *map);

/* ---- token list that the encoders append to */

typedef struct {
    int n, capacity;
    int32_t *ids;
    int32_t (*offsets)[2];
    uint8_t *flags;
    uint8_t *segment;
    int32_t *type_ids;
    int n_dropped;            /* characters dropped for lack of a vocabulary entry */
    int32_t first_dropped_at; /* byte offset of the first of them in the text */
} hs_tok_list;

/* Appends one token. Returns 0, or -1 (error set) when out of memory. */
int hs_tok_list_push(hs_tok_list *list, int32_t id, int32_t start, int32_t end, int flags,
                     int segment, int type_id);
void hs_tok_list_free(hs_tok_list *list);

/* ---- UTF-8 */

/* Decodes one code point of valid UTF-8 at s (at most len bytes); stores its
 * length in *size. */
int32_t hs_tok_utf8_decode(const char *s, size_t len, int *size);
/* Encodes a code point; returns its length (1..4). out needs 4 bytes. */
int hs_tok_utf8_encode(int32_t cp, char *out);
/* Returns the length of the valid UTF-8 sequence at s, or 0 when the bytes
 * there do not start one (overlong forms, surrogates and values above
 * U+10FFFF are invalid, as are truncated sequences). */
int hs_tok_utf8_valid_length(const uint8_t *s, size_t len);

/* ---- added tokens (special or not), split out of the text before the model */

typedef struct {
    const char *content; /* arena string */
    uint32_t len;
    int32_t id;
    uint8_t special;
    uint8_t lstrip, rstrip, single_word;
} hs_tok_added;

/* One piece of the input after the added tokens are split out: either an added
 * token (added >= 0, index into tok->added) or plain text [start, end). */
typedef struct {
    int added;
    size_t start, end;
} hs_tok_span;

/* Splits text[0, len) at the added tokens, leftmost-longest, honouring lstrip and
 * rstrip (whitespace next to the token joins the token's span). *spans is
 * malloc'd; returns the count, or -1 when out of memory. */
int hs_tok_split_added(const hs_tokenizer *tok, const char *text, size_t len,
                       hs_tok_span **spans);

/* Registers an added token (content copied into the arena); a content already
 * present is updated instead. Returns 0 or -1. */
int hs_tok_add_added(hs_tokenizer *tok, const char *content, size_t len, int32_t id,
                     int special, int lstrip, int rstrip, int single_word);

/* ---- labels */

typedef enum {
    HS_LABEL_PLAIN,      /* the token as spelled (WordPiece) */
    HS_LABEL_BYTE_LEVEL, /* GPT-2 byte-to-unicode characters decoded to bytes */
    HS_LABEL_METASPACE,  /* "▁" as a space, <0xXX> byte tokens joined */
} hs_tok_label_style;

/* Fills labels[0, n) (each malloc'd) for a sequence of ids. Returns 0 or -1. */
int hs_tok_labels(const hs_tokenizer *tok, const int32_t *ids, int n, char **labels);

/* ---- the tokenizer */

typedef struct hs_wordpiece hs_wordpiece;
typedef struct hs_bpe hs_bpe;
typedef struct hs_tokjson hs_tokjson;

struct hs_tokenizer {
    hs_tokenizer_kind kind;
    hs_tok_label_style label_style;
    hs_tok_arena arena;
    const char *vocab_path; /* tokenizer.json, vocab.txt or vocab.json, for messages */

    char **id_to_token; /* [vocab_size], arena strings, NULL for unused ids */
    int32_t vocab_size;
    hs_tok_strmap token_to_id;
    uint8_t *is_special; /* [vocab_size] */

    hs_tok_added *added;
    int n_added;
    uint8_t added_first_byte[256]; /* 1 for bytes that start an added token */

    int32_t unk_id, bos_id, eos_id, cls_id, sep_id, pad_id, mask_id; /* -1 if none */
    int add_bos, add_eos; /* defaults for decoder models */

    hs_wordpiece *wordpiece;
    hs_bpe *bpe;
    hs_tokjson *json;
};

/* Sets vocabulary entry id = token (copied). Grows the id table as needed.
 * Returns 0 or -1 (error set). */
int hs_tok_vocab_set(hs_tokenizer *tok, int32_t id, const char *token, size_t len);

/* Parses a JSON file. Returns NULL (error set) on failure; *missing is set to
 * 1 when the file does not exist. */
struct cJSON *hs_tok_read_json(const char *path, int *missing);
/* Returns the string of a special token entry: "x" or {"content": "x"}. */
const char *hs_tok_json_token_string(const struct cJSON *item);
/* Reads tokenizer_config.json and special_tokens_map.json of dir into *config
 * and *map (either may be set to NULL when absent). Returns 0 or -1. */
int hs_tok_read_configs(const char *dir, struct cJSON **config, struct cJSON **map);
/* Looks up a special token name ("unk_token") in config then map, returning
 * its string or fallback. */
const char *hs_tok_config_token(const struct cJSON *config, const struct cJSON *map,
                                const char *name, const char *fallback);
/* Returns 1/0 for a boolean key of config, or fallback when absent. */
int hs_tok_config_bool(const struct cJSON *config, const char *name, int fallback);
/* Registers the special token that config or map names (or fallback) as an
 * added special token when the vocabulary has it. Returns its id, -1 when it
 * is unnamed or not in the vocabulary, -2 when memory runs out. */
int32_t hs_tok_add_special(hs_tokenizer *tok, const struct cJSON *config,
                           const struct cJSON *map, const char *name, const char *fallback);
/* Writes a piece of text for a message: quoted when every character is
 * visible (letters, marks, numbers, punctuation, symbols, the ASCII space),
 * else as its UTF-8 bytes in hex ("bytes E2 80 8B"). Truncated to fit. */
void hs_tok_describe_piece(const char *piece, size_t len, char *out, size_t size);
/* Returns 1 for BERT's punctuation, which the tokenizers library shares: the
 * ASCII symbol ranges and every Unicode P* category. */
int hs_tok_is_bert_punctuation(int32_t cp);

/* ---- kinds */

/* The rules of a WordPiece tokenizer. */
struct hs_wordpiece {
    int do_lower_case;
    int strip_accents; /* -1: follow do_lower_case, 0: never, 1: always */
    int tokenize_chinese_chars;
    int nfc;            /* the slow BertTokenizer composes to NFC; Rust's does not */
    const char *prefix; /* continuing-subword prefix ("##"), a static or arena string */
    int max_chars;      /* a longer word becomes the unknown token */
};

int hs_wordpiece_load(hs_tokenizer *tok, const char *dir);
void hs_wordpiece_free(hs_wordpiece *wp);
/* Encodes plain text (no added tokens in it) into list; offsets are shifted by
 * base. Returns 0 or -1. */
int hs_wordpiece_encode(const hs_tokenizer *tok, const char *text, size_t len, size_t base,
                        int segment, hs_tok_list *list);

/* The BPE model shared by vocab.json + merges.txt and tokenizer.json. */
struct hs_bpe {
    hs_tok_pairmap merges;
    int byte_fallback;    /* unknown characters become <0xXX> tokens */
    int ignore_merges;    /* a word that is a vocabulary entry is kept whole */
    int fuse_unk;         /* consecutive unknown characters give one unk */
    int32_t unk_id;       /* -1: none, or unk_token is not in the vocabulary */
    const char *unk_token; /* arena string, or NULL when none is named */
    int drop_unknown;     /* 1: a character with no entry and no unk_id is dropped */
    int32_t byte_ids[256]; /* <0xXX> ids for byte fallback, or -1 */
    const char *continuing_prefix; /* arena string or NULL */
    const char *end_suffix;        /* arena string or NULL */
    void *gpt2_regex;              /* GPT-2 split pattern, for vocab.json + merges.txt */
};

/* Compiles a split pattern with PCRE2 (UTF, UCP). \s and \S are rewritten to
 * Unicode White_Space, which is what Python's regex module and Oniguruma mean
 * by them; PCRE2's own \s leaves out U+0085. NULL (error set) on failure. Free
 * with hs_tok_regex_free(). */
void *hs_tok_regex_compile(const char *pattern, size_t len);
void hs_tok_regex_free(void *regex);
/* Finds every non-empty match of regex in text[0, len), left to right;
 * *spans (malloc'd) receives start, end pairs. Returns the number of matches,
 * or -1 (error set). */
int hs_tok_regex_matches(const void *regex, const char *text, size_t len, size_t **spans);

/* Returns the GPT-2 byte-to-unicode code point of a byte. */
int32_t hs_bpe_byte_to_unicode(uint8_t byte);
/* Returns the byte of a GPT-2 byte-to-unicode code point, or -1. */
int hs_bpe_unicode_to_byte(int32_t cp);

int hs_bpe_gpt2_load(hs_tokenizer *tok, const char *dir);
void hs_bpe_free(hs_bpe *bpe);
/* Adds a merge "left right" given as two strings; merges whose parts or result
 * are not in the vocabulary are reported through *skipped and ignored. */
int hs_bpe_add_merge(hs_tokenizer *tok, const char *left, size_t left_len, const char *right,
                     size_t right_len, int32_t rank, int *skipped);
/* Encodes one pre-token. word is the model input (byte-level characters for
 * byte-level models); span_start[i] / span_end[i] give the original byte span
 * of word byte i. Tokens are appended to list. Returns 0 or -1. */
int hs_bpe_encode_word(const hs_tokenizer *tok, const char *word, size_t len,
                       const int32_t *span_start, const int32_t *span_end, int segment,
                       hs_tok_list *list);
/* Splits text with the GPT-2 pattern and encodes each piece with the byte-level
 * BPE of tok. Offsets are shifted by base. Returns 0 or -1. */
int hs_bpe_gpt2_encode(const hs_tokenizer *tok, const char *text, size_t len, size_t base,
                       int segment, hs_tok_list *list);

int hs_tokjson_load(hs_tokenizer *tok, const char *dir, const char *path);
void hs_tokjson_free(hs_tokjson *json);
/* Encodes text (and pair) with the tokenizer.json pipeline, post-processor
 * included. Returns 0 or -1. */
int hs_tokjson_encode(const hs_tokenizer *tok, const char *text, size_t len, const char *pair,
                      size_t pair_len, int add_special, int bos, hs_tok_list *list);
int hs_tokjson_adds_bos(const hs_tokenizer *tok);

#endif
