/*
 * cli.h - the headscope command line: subcommands and their shared helpers.
 *
 * Every subcommand returns the process exit status: 0 on success, 1 on any
 * failure after printing one line "headscope: ..." to stderr.
 */
#ifndef HS_CLI_H
#define HS_CLI_H

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
