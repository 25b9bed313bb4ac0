/*
 * cli_analysis.c - the analysis subcommands: compare (one word in two
 * sentences, head by head) and roles (every head's statistics and labels).
 * Output goes to stdout as an aligned text table or one JSON object; errors
 * go to stderr.
 */
#include "cli.h"

#include "hs_analysis.h"
#include "hs_error.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* Attended tokens shown per head and side in compare. */
#define COMPARE_TOP_KEYS 3

/* Heads shown by compare without --top. */
#define COMPARE_DEFAULT_TOP 10

static const char compare_usage[] =
    "usage: headscope compare [--model MODEL] --a TEXT --b TEXT [--word WORD]\n"
    "                         [--word-b WORD] [--top K] [--json] [--bos | --no-bos]\n"
    "Compares how the model reads one word in two sentences. Each head gets a score:\n"
    "1 minus the cosine similarity of the head's output for the word in sentence A and\n"
    "in sentence B (the output is the attention-weighted sum of value vectors, before\n"
    "the output projection). High scores mark heads that read the word differently;\n"
    "for each, the tokens the word attends to most are listed with their weights.\n"
    "Then the cosine similarity of the word's hidden state after every layer.\n"
    "  --word WORD    the word to compare; default: the first word both sentences share\n"
    "  --word-b WORD  the word in sentence B when it differs from --word (\"are\" / \"is\")\n"
    "  --top K        show the K highest-scoring heads (default 10, 0 for all)\n"
    "  --json         print one JSON object instead of the table\n"
    "A word is matched case-insensitively against whole words, then against word\n"
    "pieces; a word of several pieces is compared at its first piece. Layers and heads\n"
    "are counted from 0; hidden layer 0 is the embeddings.\n";

static const char roles_usage[] =
    "usage: headscope roles [--model MODEL] [--bos | --no-bos] TEXT [--pair TEXT] [--json]\n"
    "Runs the model on TEXT and prints every head's attention statistics and role\n"
    "labels. Each statistic is a mean over query rows (tokens):\n"
    "  prev, next, self  attention to the previous, next and same token (self on\n"
    "                    decoders: rows 1.., since row 0 sees only itself)\n"
    "  first             attention to position 0 ([CLS] or BOS), rows 1.. only\n"
    "  sep               attention to special tokens after position 0 ([SEP])\n"
    "  punct             attention to punctuation tokens\n"
    "  entropy           row entropy in nats\n"
    "  rel               entropy / ln(row width): 1 = spread evenly over all keys\n"
    "Labels: previous, next, self (> 0.5), first (> 0.6, encoders), sep, punct\n"
    "(> 0.6), broad (rel > 0.85), sink (first > 0.5, decoders). A head can have\n"
    "several. Layers and heads are counted from 0. TEXT '-' reads standard input.\n";

/* ---- output helpers ---------------------------------------------------- */

/* Returns the number of terminal columns a UTF-8 string takes. */
static int display_width(const char *s)
{
    int width = 0;
    utf8proc_int32_t cp;
    utf8proc_ssize_t length;
    while (*s && (length = utf8proc_iterate((const utf8proc_uint8_t *)s, -1, &cp)) > 0) {
        int w = utf8proc_charwidth(cp);
        width += w > 0 ? w : 0;
        s += length;
    }
    return width;
}

/* Prints s and pads it with spaces to width columns. */
static void print_padded(const char *s, int width)
{
    fputs(s, stdout);
    for (int pad = width - display_width(s); pad > 0; pad--)
        fputc(' ', stdout);
}

/* A token label for display: byte-level BPE's leading space dropped. */
static const char *display_label(const char *label)
{
    while (*label == ' ')
        label++;
    return *label ? label : "\xe2\x90\xa3"; /* a lone space shows as U+2423 */
}

/* Rounds to 6 decimals so JSON output stays short. */
static cJSON *json_number(double value)
{
    return cJSON_CreateNumber(round(value * 1e6) / 1e6);
}

/* Prints a cJSON tree as one line on stdout and frees it. Returns 0, or -1
 * when printing ran out of memory. */
static int print_json(cJSON *root)
{
    char *text = root ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    if (!text)
        return -1;
    puts(text);
    free(text);
    return 0;
}

static cJSON *labels_to_json(const hs_encoding *enc)
{
    cJSON *array = cJSON_CreateArray();
    for (int i = 0; i < enc->n; i++)
        cJSON_AddItemToArray(array, cJSON_CreateString(enc->labels[i]));
    return array;
}

/* ---- one analysed input ------------------------------------------------ */

typedef struct {
    hs_cli_text text;
    hs_encoding *enc;
    hs_result *result;
    hs_words *words;
} analysed;

static void analysed_free(analysed *in)
{
    hs_words_free(in->words);
    hs_result_free(in->result);
    hs_encoding_free(in->enc);
    free(in->text.data);
}

/* Reads, encodes and runs one input (with an optional pair text) and groups
 * its words. Returns 0, or -1 after printing an error. */
static int analyse(const hs_model *model, const char *arg, const char *what,
                   const hs_cli_text *pair, int bos, analysed *out)
{
    if (hs_cli_read_text(arg, what, &out->text) != 0)
        return -1;
    out->enc = hs_cli_encode(model, &out->text, pair, bos);
    if (!out->enc)
        return -1;
    out->result = hs_forward(model, out->enc->ids, out->enc->type_ids, out->enc->n);
    if (!out->result) {
        /* The engine's message names the model; compare's two sentences also
         * need the option that gave the failing one. */
        if (strcmp(what, "TEXT") == 0)
            hs_cli_fail("%s", hs_error_message());
        else
            hs_cli_fail("%s: %s", what, hs_error_message());
        return -1;
    }
    hs_words_source source = {out->text.data, out->text.length, pair ? pair->data : NULL,
                              pair ? pair->length : 0};
    hs_word_scheme scheme = hs_words_scheme_for(hs_model_config(model)->arch);
    out->words = hs_words_group_source(out->enc, scheme, &source);
    if (!out->words) {
        hs_cli_fail("%s: %s", what, hs_error_message());
        return -1;
    }
    return 0;
}

/* ---- compare ----------------------------------------------------------- */

/* The tokens one head's query row attends to most. */
typedef struct {
    int count;
    int index[COMPARE_TOP_KEYS];
    float weight[COMPARE_TOP_KEYS];
} top_keys;

static top_keys head_top_keys(const hs_result *r, int causal, int layer, int head, int pos)
{
    top_keys top;
    const float *row = hs_result_head(r, layer, head) + (size_t)pos * r->n; /* [n] */
    int width = causal ? pos + 1 : r->n;
    top.count = hs_attn_top_keys(row, width, COMPARE_TOP_KEYS, top.index, top.weight);
    return top;
}

/* Returns 1 when the label of token pos occurs more than once in enc. */
static int label_repeats(const hs_encoding *enc, int pos)
{
    for (int i = 0; i < enc->n; i++)
        if (i != pos && strcmp(enc->labels[i], enc->labels[pos]) == 0)
            return 1;
    return 0;
}

/* Formats top keys as "river 0.41, the(4) 0.22" into buffer: a label that
 * occurs more than once in the sentence gets its token position. */
static void format_top_keys(const top_keys *top, const hs_encoding *enc, char *buffer, size_t size)
{
    size_t used = 0;
    buffer[0] = '\0';
    for (int i = 0; i < top->count && used < size; i++) {
        int pos = top->index[i];
        char where[16] = "";
        if (label_repeats(enc, pos))
            snprintf(where, sizeof where, "(%d)", pos);
        int written = snprintf(buffer + used, size - used, "%s%s%s %.2f", i ? ", " : "",
                               display_label(enc->labels[pos]), where, top->weight[i]);
        if (written < 0)
            break;
        used += (size_t)written;
    }
}

static cJSON *top_keys_to_json(const top_keys *top, const hs_encoding *enc)
{
    cJSON *array = cJSON_CreateArray();
    for (int i = 0; i < top->count; i++) {
        cJSON *item = cJSON_CreateObject();
        cJSON_AddNumberToObject(item, "position", top->index[i]);
        cJSON_AddStringToObject(item, "token", enc->labels[top->index[i]]);
        cJSON_AddItemToObject(item, "weight", json_number(top->weight[i]));
        cJSON_AddItemToArray(array, item);
    }
    return array;
}

static cJSON *side_to_json(const analysed *in, const char *word, int pos)
{
    cJSON *side = cJSON_CreateObject();
    cJSON_AddStringToObject(side, "text", in->text.data);
    cJSON_AddStringToObject(side, "word", word);
    cJSON_AddNumberToObject(side, "position", pos);
    cJSON_AddItemToObject(side, "tokens", labels_to_json(in->enc));
    return side;
}

/* Everything compare reports, shared by the text and JSON printers. */
typedef struct {
    const hs_model *model;
    const analysed *a;
    const analysed *b;
    const char *word_a;
    const char *word_b;
    int pos_a;
    int pos_b;
    int causal;
    int shown_heads;            /* heads to print */
    const hs_head_score *heads; /* [L * h], highest score first */
    const float *hidden;        /* [L + 1] */
} compare_report;

static int print_compare_json(const compare_report *c)
{
    int L = c->a->result->n_layers;
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "model", hs_model_name(c->model));
    cJSON_AddItemToObject(root, "a", side_to_json(c->a, c->word_a, c->pos_a));
    cJSON_AddItemToObject(root, "b", side_to_json(c->b, c->word_b, c->pos_b));

    cJSON *heads = cJSON_AddArrayToObject(root, "heads");
    for (int i = 0; i < c->shown_heads; i++) {
        const hs_head_score *s = &c->heads[i];
        top_keys top_a = head_top_keys(c->a->result, c->causal, s->layer, s->head, c->pos_a);
        top_keys top_b = head_top_keys(c->b->result, c->causal, s->layer, s->head, c->pos_b);
        cJSON *item = cJSON_CreateObject();
        cJSON_AddNumberToObject(item, "layer", s->layer);
        cJSON_AddNumberToObject(item, "head", s->head);
        cJSON_AddItemToObject(item, "score", json_number(s->score));
        cJSON_AddItemToObject(item, "a_top", top_keys_to_json(&top_a, c->a->enc));
        cJSON_AddItemToObject(item, "b_top", top_keys_to_json(&top_b, c->b->enc));
        cJSON_AddItemToArray(heads, item);
    }

    cJSON *hidden = cJSON_AddArrayToObject(root, "hidden_cosine");
    for (int l = 0; l <= L; l++)
        cJSON_AddItemToArray(hidden, json_number(c->hidden[l]));
    return print_json(root);
}

/* Prints the tokens of one side with the compared token in brackets. */
static void print_sentence(const char *name, const analysed *in, int pos)
{
    printf("%s:", name);
    for (int i = 0; i < in->enc->n; i++) {
        const char *label = display_label(in->enc->labels[i]);
        printf(i == pos ? " [%s]" : " %s", label);
    }
    fputc('\n', stdout);
}

static int print_compare_text(const compare_report *c)
{
    const hs_config *config = hs_model_config(c->model);
    int L = c->a->result->n_layers;
    enum { CELL = 256 };
    char(*cells)[2][CELL] = calloc((size_t)(c->shown_heads ? c->shown_heads : 1), sizeof *cells);
    if (!cells)
        return -1;

    printf("model: %s (%s, %d layers x %d heads)\n", hs_model_name(c->model),
           hs_arch_name(config->arch), config->n_layers, config->n_heads);
    if (strcmp(c->word_a, c->word_b) == 0)
        printf("word:  \"%s\"\n", c->word_a);
    else
        printf("words: \"%s\" in A, \"%s\" in B\n", c->word_a, c->word_b);
    print_sentence("A", c->a, c->pos_a);
    print_sentence("B", c->b, c->pos_b);

    /* Format the attended tokens first so the columns can be sized. */
    int width_a = (int)strlen("A attends to"), width_b = (int)strlen("B attends to");
    for (int i = 0; i < c->shown_heads; i++) {
        const hs_head_score *s = &c->heads[i];
        top_keys top_a = head_top_keys(c->a->result, c->causal, s->layer, s->head, c->pos_a);
        top_keys top_b = head_top_keys(c->b->result, c->causal, s->layer, s->head, c->pos_b);
        format_top_keys(&top_a, c->a->enc, cells[i][0], CELL);
        format_top_keys(&top_b, c->b->enc, cells[i][1], CELL);
        int wa = display_width(cells[i][0]), wb = display_width(cells[i][1]);
        width_a = wa > width_a ? wa : width_a;
        width_b = wb > width_b ? wb : width_b;
    }

    printf("\nHeads that read the word most differently (score = 1 - cosine similarity of\n"
           "the head's output in A and in B; 0 = same, 1 = unrelated, 2 = opposite):\n\n");
    printf("rank  layer  head  score   ");
    print_padded("A attends to", width_a + 3);
    printf("B attends to\n");
    for (int i = 0; i < c->shown_heads; i++) {
        const hs_head_score *s = &c->heads[i];
        printf("%4d  %5d  %4d  %.4f  ", i + 1, s->layer, s->head, s->score);
        print_padded(cells[i][0], width_a + 3);
        printf("%s\n", cells[i][1]);
    }
    if (c->shown_heads < L * config->n_heads)
        printf("(%d of %d heads shown; --top 0 shows all)\n", c->shown_heads, L * config->n_heads);

    printf("\nCosine similarity of the word's hidden state in A and B (1 = same):\n\n");
    printf("layer  cosine\n");
    for (int l = 0; l <= L; l++)
        printf("%5d  %.4f%s\n", l, c->hidden[l], l == 0 ? "  (embeddings)" : "");
    free(cells);
    return 0;
}

/* Returns how many heads to list: --top K, all for 0, the default when not
 * given, never more than there are. */
static int shown_heads(int top, int count)
{
    if (top < 0)
        top = COMPARE_DEFAULT_TOP;
    return top == 0 || top > count ? count : top;
}

/* Finds word in one side, printing the error that names the word and the
 * sentence when it is absent. Returns the token position or -1. */
/* Finds word in a sentence, preferring an occurrence at token first_token or
 * later (after a decoder's common beginning). */
static int find_word(const analysed *in, const char *word, const char *name, int first_token)
{
    int pos = hs_words_find_from(in->words, in->enc, word, first_token);
    if (pos < 0)
        hs_cli_fail("the word '%s' is not in sentence %s (\"%s\"); choose a word from both "
                    "sentences with --word",
                    word, name, in->text.data);
    return pos;
}

int hs_cli_compare(int argc, char **argv)
{
    static const int allowed[] = {HS_OPT_MODEL, HS_OPT_A,   HS_OPT_B,    HS_OPT_WORD,
                                  HS_OPT_WORD_B, HS_OPT_TOP, HS_OPT_JSON, HS_OPT_BOS,
                                  HS_OPT_NO_BOS, 0};
    hs_cli_options o;
    hs_model *model = NULL;
    analysed a = {0}, b = {0};
    hs_head_score *heads = NULL;
    float *hidden = NULL;
    int status = 1;

    if (hs_cli_parse_options(argc, argv, allowed, 0, &o) != 0)
        return 1;
    if (o.help) {
        fputs(compare_usage, stdout);
        return 0;
    }
    if (!o.a || !o.b)
        return hs_cli_usage_fail("compare", "compare needs both --a TEXT and --b TEXT");
    if (o.word_b && !o.word)
        return hs_cli_fail("--word-b needs --word (the word in sentence A)");
    if (strcmp(o.a, "-") == 0 && strcmp(o.b, "-") == 0)
        return hs_cli_fail("--a and --b both read standard input, which holds one text; "
                           "give one of them as an argument");

    model = hs_cli_load_model(o.model);
    if (!model)
        goto done;
    if (analyse(model, o.a, "--a", NULL, o.bos, &a) != 0 ||
        analyse(model, o.b, "--b", NULL, o.bos, &b) != 0)
        goto done;

    /* The word: as given, or the first one both sentences share. A decoder
     * reads only earlier tokens, so in one the words of the common beginning
     * are identical in A and B and are skipped. */
    int causal = hs_model_config(model)->causal;
    int prefix = hs_encoding_common_prefix(a.enc, b.enc);
    if (prefix == a.enc->n && prefix == b.enc->n) {
        /* Identical inputs: no point after which they differ, every score is 0. */
        fprintf(stderr, "headscope: note: A and B are the same tokens, so every score is 0\n");
        prefix = 0;
    }
    const char *word_a = o.word, *word_b = o.word_b ? o.word_b : o.word;
    if (!word_a) {
        int shared = hs_words_first_shared(a.words, b.words, causal ? prefix : 0);
        if (shared < 0 && causal && hs_words_first_shared(a.words, b.words, 0) >= 0) {
            hs_cli_fail("sentences A and B share no word after the point where they differ, "
                        "and a decoder reads only earlier tokens, so the shared words are "
                        "identical in both; choose words with --word and --word-b");
            goto done;
        }
        if (shared < 0) {
            hs_cli_fail("sentences A and B share no word; choose one with --word, or two "
                        "with --word and --word-b");
            goto done;
        }
        word_a = word_b = a.words->labels[shared];
    }
    int pos_a = find_word(&a, word_a, "A", causal ? prefix : 0);
    if (pos_a < 0)
        goto done;
    int pos_b = find_word(&b, word_b, "B", causal ? prefix : 0);
    if (pos_b < 0)
        goto done;
    if (causal && pos_a == pos_b && pos_a < prefix)
        fprintf(stderr,
                "headscope: note: A and B are the same up to '%s', and a decoder "
                "reads only earlier tokens, so every score is 0; choose a word after "
                "the point where the sentences differ\n",
                word_a);

    int L = a.result->n_layers, count = L * a.result->n_heads;
    heads = malloc((size_t)count * sizeof *heads);
    hidden = malloc((size_t)(L + 1) * sizeof *hidden);
    if (!heads || !hidden) {
        hs_cli_fail("out of memory for %d heads", count);
        goto done;
    }
    if (hs_compare_heads(a.result, pos_a, b.result, pos_b, heads) != 0 ||
        hs_compare_hidden(a.result, pos_a, b.result, pos_b, hidden) != 0) {
        hs_cli_fail("%s", hs_error_message());
        goto done;
    }

    compare_report report = {
        .model = model,
        .a = &a,
        .b = &b,
        .word_a = word_a,
        .word_b = word_b,
        .pos_a = pos_a,
        .pos_b = pos_b,
        .causal = causal,
        .shown_heads = shown_heads(o.top, count),
        .heads = heads,
        .hidden = hidden,
    };
    if ((o.json ? print_compare_json(&report) : print_compare_text(&report)) != 0) {
        hs_cli_fail("out of memory while printing the comparison");
        goto done;
    }
    status = 0;
done:
    free(heads);
    free(hidden);
    analysed_free(&a);
    analysed_free(&b);
    hs_model_free(model);
    return status;
}

/* ---- roles ------------------------------------------------------------- */

/* Writes the role names of a head, comma-separated, or "-" for none. */
static void format_roles(unsigned roles, char *buffer, size_t size)
{
    size_t used = 0;
    buffer[0] = '\0';
    for (int bit = 0; bit < HS_ROLE_COUNT; bit++) {
        if (!(roles & (1u << bit)))
            continue;
        int written =
            snprintf(buffer + used, size - used, "%s%s", used ? "," : "", hs_role_name(1u << bit));
        if (written < 0 || (size_t)written >= size - used)
            break;
        used += (size_t)written;
    }
    if (!used)
        snprintf(buffer, size, "-");
}

static cJSON *thresholds_to_json(const hs_role_thresholds *t)
{
    cJSON *object = cJSON_CreateObject();
    cJSON_AddItemToObject(object, "previous", json_number(t->previous));
    cJSON_AddItemToObject(object, "next", json_number(t->next));
    cJSON_AddItemToObject(object, "self", json_number(t->self));
    cJSON_AddItemToObject(object, "first", json_number(t->first));
    cJSON_AddItemToObject(object, "sep", json_number(t->sep));
    cJSON_AddItemToObject(object, "punct", json_number(t->punct));
    cJSON_AddItemToObject(object, "broad", json_number(t->broad));
    cJSON_AddItemToObject(object, "sink", json_number(t->sink));
    return object;
}

static int print_roles_json(const hs_model *model, const analysed *in, const hs_role_thresholds *t,
                            const hs_head_stats *stats)
{
    const hs_result *r = in->result;
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "model", hs_model_name(model));
    cJSON_AddBoolToObject(root, "causal", hs_model_config(model)->causal);
    cJSON_AddItemToObject(root, "tokens", labels_to_json(in->enc));
    cJSON_AddItemToObject(root, "thresholds", thresholds_to_json(t));
    cJSON *heads = cJSON_AddArrayToObject(root, "heads");
    for (int i = 0; i < r->n_layers * r->n_heads; i++) {
        const hs_head_stats *s = &stats[i];
        cJSON *item = cJSON_CreateObject();
        cJSON_AddNumberToObject(item, "layer", i / r->n_heads);
        cJSON_AddNumberToObject(item, "head", i % r->n_heads);
        cJSON_AddItemToObject(item, "previous", json_number(s->previous));
        cJSON_AddItemToObject(item, "next", json_number(s->next));
        cJSON_AddItemToObject(item, "self", json_number(s->self));
        cJSON_AddItemToObject(item, "first", json_number(s->first));
        cJSON_AddItemToObject(item, "sep", json_number(s->sep));
        cJSON_AddItemToObject(item, "punct", json_number(s->punct));
        cJSON_AddItemToObject(item, "entropy", json_number(s->entropy));
        cJSON_AddItemToObject(item, "relative_entropy", json_number(s->relative_entropy));
        cJSON *roles = cJSON_AddArrayToObject(item, "roles");
        for (int bit = 0; bit < HS_ROLE_COUNT; bit++)
            if (s->roles & (1u << bit))
                cJSON_AddItemToArray(roles, cJSON_CreateString(hs_role_name(1u << bit)));
        cJSON_AddItemToArray(heads, item);
    }
    return print_json(root);
}

static void print_roles_text(const hs_model *model, const analysed *in, const hs_head_stats *stats)
{
    const hs_config *config = hs_model_config(model);
    const hs_result *r = in->result;
    printf("model:  %s (%s, %d layers x %d heads, %s)\n", hs_model_name(model),
           hs_arch_name(config->arch), config->n_layers, config->n_heads,
           config->causal ? "decoder" : "encoder");
    printf("tokens:");
    for (int i = 0; i < in->enc->n; i++)
        printf(" %s", display_label(in->enc->labels[i]));
    printf("\n\nMean attention per query token to: prev, next, self, first (position 0),\n"
           "sep (special tokens after 0), punct. entropy in nats; rel = entropy / ln(row "
           "width).\n\n");
    printf("layer  head   prev   next   self  first    sep  punct  entropy    rel  roles\n");
    for (int i = 0; i < r->n_layers * r->n_heads; i++) {
        const hs_head_stats *s = &stats[i];
        char roles[128];
        format_roles(s->roles, roles, sizeof roles);
        printf("%5d  %4d  %5.3f  %5.3f  %5.3f  %5.3f  %5.3f  %5.3f  %7.3f  %5.3f  %s\n",
               i / r->n_heads, i % r->n_heads, s->previous, s->next, s->self, s->first, s->sep,
               s->punct, s->entropy, s->relative_entropy, roles);
    }
}

int hs_cli_roles(int argc, char **argv)
{
    static const int allowed[] = {HS_OPT_MODEL, HS_OPT_PAIR, HS_OPT_JSON, HS_OPT_BOS,
                                  HS_OPT_NO_BOS, 0};
    hs_cli_options o;
    hs_model *model = NULL;
    hs_cli_text pair = {0};
    analysed in = {0};
    hs_head_stats *stats = NULL;
    int status = 1;

    if (hs_cli_parse_options(argc, argv, allowed, 1, &o) != 0)
        return 1;
    if (o.help) {
        fputs(roles_usage, stdout);
        return 0;
    }
    if (o.positional_count == 0)
        return hs_cli_usage_fail("roles", "roles needs one TEXT argument");
    if (o.pair && hs_cli_read_text(o.pair, "--pair", &pair) != 0)
        goto done;

    model = hs_cli_load_model(o.model);
    if (!model)
        goto done;
    if (analyse(model, o.positional[0], "TEXT", o.pair ? &pair : NULL, o.bos, &in) != 0)
        goto done;

    int count = in.result->n_layers * in.result->n_heads;
    stats = calloc((size_t)count, sizeof *stats);
    if (!stats) {
        hs_cli_fail("out of memory for %d heads", count);
        goto done;
    }
    hs_role_thresholds thresholds = hs_role_thresholds_default();
    if (hs_roles_compute(in.result, in.enc, hs_model_config(model)->causal, &thresholds, stats) !=
        0) {
        hs_cli_fail("%s", hs_error_message());
        goto done;
    }
    if (o.json) {
        if (print_roles_json(model, &in, &thresholds, stats) != 0) {
            hs_cli_fail("out of memory while printing the statistics");
            goto done;
        }
    } else {
        print_roles_text(model, &in, stats);
    }
    status = 0;
done:
    free(stats);
    analysed_free(&in);
    hs_model_free(model);
    free(pair.data);
    return status;
}
