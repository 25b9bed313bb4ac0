/*
 * cli.h - the headscope command line: subcommands and their shared helpers.
 *
 * Every subcommand returns the process exit status: 0 on success, 1 on any
 * failure after printing one line "headscope: ..." to stderr.
 */
#ifndef HS_CLI_H
#define HS_CLI_H

#include "hs_colormap.h"
#include "hs_forward.h"
#include "hs_model.h"

#include <stddef.h>
#include <stdint.h>

int hs_cli_info(int argc, char **argv);
int hs_cli_tokenize(int argc, char **argv);
int hs_cli_dump(int argc, char **argv);
int hs_cli_inspect(int argc, char **argv);
int hs_cli_export(int argc, char **argv);
int hs_cli_compare(int argc, char **argv);
int hs_cli_roles(int argc, char **argv);

/* Options of the subcommands, as ids for hs_cli_parse_options(). */
typedef enum {
    HS_OPT_MODEL = 1000,
    HS_OPT_PAIR,
    HS_OPT_IDS,
    HS_OPT_OUT,
    HS_OPT_VALUES,
    HS_OPT_LAYER,
    HS_OPT_HEAD,
    HS_OPT_CMAP,
    HS_OPT_BOS,
    HS_OPT_NO_BOS,
    HS_OPT_A,
    HS_OPT_B,
    HS_OPT_WORD,
    HS_OPT_WORD_B,
    HS_OPT_TOP,
    HS_OPT_JSON,
    HS_OPT_AGGREGATE,
    HS_OPT_SCALE,
    HS_OPT_HELP,
} hs_cli_option;

/* Parsed options; a string stays NULL and a number -1 when not given. */
typedef struct {
    const char *model;
    const char *pair;
    const char *ids;
    const char *out;
    const char *values;
    const char *a;
    const char *b;
    const char *word;
    const char *word_b;
    const char *aggregate;
    int layer;
    int head;
    int top;
    int bos; /* -1 tokenizer default, 0 --no-bos, 1 --bos */
    int json;
    int scale_to_max; /* --scale max */
    int help;
    hs_colormap colormap;
    int positional_count;
    const char *positional[4]; /* TEXT or FILE arguments */
} hs_cli_options;

/* Parses the arguments of subcommand `command` (argv[0] is its name).
 * allowed lists the option ids it takes, ending with 0; max_positional is
 * how many TEXT or FILE arguments it takes. --help and -h are always
 * accepted. Returns 0, or -1 after printing one error line. */
int hs_cli_parse_options(int argc, char **argv, const int *allowed, int max_positional,
                         hs_cli_options *out);

/* Prints "headscope: MESSAGE" to stderr and returns 1. */
int hs_cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints "headscope: MESSAGE; see 'headscope COMMAND --help'" to stderr and
 * returns 1, for a command line that does not fit COMMAND's usage. */
int hs_cli_usage_fail(const char *command, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A text argument: "-" reads standard input as raw bytes. The bytes must be
 * valid UTF-8; what names the argument in messages ("TEXT", "--pair"). */
typedef struct {
    char *data;
    size_t length;
} hs_cli_text;

int hs_cli_read_text(const char *arg, const char *what, hs_cli_text *out);

/* Loads --model (or the bundled demo model when model_arg is NULL). */
hs_model *hs_cli_load_model(const char *model_arg);

/* Parses "--ids 1,2,3". Returns the count, or -1 after printing an error. */
int hs_cli_parse_ids(const char *arg, int32_t **out);

/* Parses a non-negative integer option value; returns -1 on error. */
int hs_cli_parse_int(const char *arg, const char *option, int *out);

/* Tokenizes text (and an optional pair) with the model's tokenizer, cut to
 * the model's max positions; prints a notice on stderr when cut. bos is -1
 * (tokenizer default), 0 or 1. Returns NULL after printing an error. */
hs_encoding *hs_cli_encode(const hs_model *model, const hs_cli_text *text,
                           const hs_cli_text *pair, int bos);

#endif
