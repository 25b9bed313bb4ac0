/*
 * hs_tokenizer.h - text to token ids, exactly as Hugging Face tokenizers do it.
 *
 * Three kinds, chosen by the files in a model folder:
 *   - BERT WordPiece from vocab.txt (+ tokenizer_config.json),
 *   - GPT-2 byte-level BPE from vocab.json + merges.txt,
 *   - tokenizer.json (Hugging Face's tokenizers format, BPE or BERT-style
 *     WordPiece models), preferred when present.
 * Every token keeps its byte span in the input and a display label for the UI.
 */
#ifndef HS_TOKENIZER_H
#define HS_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

typedef struct hs_tokenizer hs_tokenizer;

typedef enum {
    HS_TOKENIZER_WORDPIECE,
    HS_TOKENIZER_GPT2_BPE,
    HS_TOKENIZER_JSON,
} hs_tokenizer_kind;

/* How a token came about; the UI draws special tokens distinctly. */
typedef enum {
    HS_TOKEN_NORMAL = 0,
    HS_TOKEN_SPECIAL = 1, /* [CLS], [SEP], <s>, <|endoftext|>, typed or added */
} hs_token_flag;

/* One encoded input. All arrays have n entries and are owned by the encoding.
 * ids        token ids
 * tokens     the token as the vocabulary spells it ("##ing", "Ġworld")
 * labels     a readable label: "##" kept, "Ġ" and "▁" shown as a space, newline
 *            as "↵", tab as "⇥", carriage return as "␍", other ASCII control
 *            bytes and every part of a UTF-8 character as hex ("<E6 97>").
 *            A run of byte-fallback tokens (<0xF0> <0x9F> ...) that spells a
 *            character puts the character on its first token and "⋯" on
 *            the others; special tokens keep their spelling
 * offsets    byte span [start, end) in the input; for the second text of a pair
 *            the span is in that text (see segment); inserted special tokens
 *            have [0, 0). A byte-level token that holds part of a character
 *            spans exactly its bytes
 * type_ids   segment ids 0/1 (BERT pairs); for tokenizer.json the type ids of
 *            the post-processor's template; all 0 otherwise
 * segment    which input text the token came from: 0 or 1
 * flags      hs_token_flag bits */
typedef struct {
    int n;
    int32_t *ids;
    char **tokens;
    char **labels;
    int32_t (*offsets)[2];
    int32_t *type_ids;
    uint8_t *segment;
    uint8_t *flags;
} hs_encoding;

/* Loads the tokenizer of a model folder: tokenizer.json if present, else
 * vocab.txt, else vocab.json + merges.txt, with tokenizer_config.json and
 * special_tokens_map.json when present. model_type ("bert", "gpt2", ...) from
 * config.json helps choose and may be NULL. Returns NULL and sets the error
 * (naming the folder and the files looked for) on failure. Free with
 * hs_tokenizer_free(). */
hs_tokenizer *hs_tokenizer_load(const char *dir, const char *model_type);

void hs_tokenizer_free(hs_tokenizer *tok);

hs_tokenizer_kind hs_tokenizer_get_kind(const hs_tokenizer *tok);

int hs_tokenizer_vocab_size(const hs_tokenizer *tok);

/* Returns the vocabulary spelling of an id, or NULL when it is out of range. */
const char *hs_tokenizer_id_to_token(const hs_tokenizer *tok, int32_t id);

/* Returns the id of a vocabulary entry, or -1. */
int32_t hs_tokenizer_token_to_id(const hs_tokenizer *tok, const char *token);

/* Returns the readable label of a single id (as hs_encoding.labels would). The
 * caller frees the string. */
char *hs_tokenizer_id_label(const hs_tokenizer *tok, int32_t id);

/* Writes a form of a display label that shows on screen. A label with a
 * visible character is written as it is. Otherwise each character is spelled
 * out, separated by spaces: a space as "␣", and any other invisible character
 * (a space, format or control character, or a combining mark alone, such as a
 * zero-width joiner or a variation selector) as "U+200D". This is for drawing;
 * the JSON output keeps the labels unchanged. */
void hs_label_visible(const char *label, char *out, size_t size);

/* Whether the tokenizer adds a BOS token by default (tokenizer.json
 * post-processor or tokenizer_config.json add_bos_token). */
int hs_tokenizer_adds_bos(const hs_tokenizer *tok);

typedef struct {
    int add_special_tokens; /* [CLS]/[SEP] for BERT; BOS/EOS per tokenizer settings */
    int bos;                /* -1 = tokenizer's default, 0 = without, 1 = with BOS
                               (also without add_special_tokens); WordPiece has
                               no BOS and ignores it */
} hs_encode_options;

/* Encodes UTF-8 text (len bytes; NUL bytes allowed) and an optional second
 * text of a pair (pair may be NULL). Options may be NULL for the defaults
 * (special tokens added, BOS as the tokenizer says). Invalid UTF-8 is an error
 * naming the byte offset. Returns NULL and sets the error on failure. Free
 * with hs_encoding_free(). */
hs_encoding *hs_tokenizer_encode(const hs_tokenizer *tok, const char *text, size_t len,
                                 const char *pair, size_t pair_len,
                                 const hs_encode_options *options);

/* Builds an encoding from given ids (no text): tokens and labels from the
 * vocabulary, offsets [0, 0), type ids 0. Ids out of range are an error. */
hs_encoding *hs_tokenizer_from_ids(const hs_tokenizer *tok, const int32_t *ids, int n);

/* Cuts an encoding to at most max_tokens, keeping a final inserted special
 * token ([SEP], EOS) as the last one. Returns 1 when tokens were dropped. */
int hs_encoding_truncate(hs_encoding *enc, int max_tokens);

void hs_encoding_free(hs_encoding *enc);

/* Validates UTF-8. Returns the byte offset of the first invalid sequence, or
 * -1 when the whole buffer is valid. */
long hs_utf8_invalid_offset(const char *text, size_t len);

#endif
