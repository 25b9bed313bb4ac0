/*
 * tokenizer_json.c - Hugging Face tokenizers' tokenizer.json format.
 */
#include "hs_error.h"
#include "tokenizer_internal.h"

#include <stdlib.h>

struct hs_tokjson {
    int unused;
};

int hs_tokjson_load(hs_tokenizer *tok, const char *dir, const char *path)
{
    (void)tok;
    (void)dir;
    hs_error_set("%s: tokenizer.json is not supported yet", path);
    return -1;
}

void hs_tokjson_free(hs_tokjson *json)
{
    free(json);
}

int hs_tokjson_encode(const hs_tokenizer *tok, const char *text, size_t len, const char *pair,
                      size_t pair_len, int add_special, int bos, hs_tok_list *list)
{
    hs_error_set("tokenizer.json is not supported yet");
    return -1;
}

int hs_tokjson_adds_bos(const hs_tokenizer *tok)
{
    return 0;
}
