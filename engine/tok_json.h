/*
 * tok_json.h - the tokenizer.json pipeline description that tok_json_load.c
 * reads and tokenizer_json.c runs.
 */
#ifndef HS_TOK_JSON_H
#define HS_TOK_JSON_H

#include "tokenizer_internal.h"

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

#endif
