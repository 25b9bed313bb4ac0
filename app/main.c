/*
 * main.c - the headscope program: subcommands for scripts, or the desktop
 * app when no subcommand is given.
 */
#include "app.h"
#include "cli.h"

#include <stdio.h>
#include <string.h>

static const char usage[] =
    "usage: headscope [--model MODEL] [--text TEXT] [--pair TEXT] [APP OPTIONS]\n"
    "                                          open the desktop app ('headscope app --help')\n"
    "       headscope info [--model MODEL]\n"
    "       headscope tokenize [--model MODEL] TEXT [--pair TEXT]\n"
    "       headscope dump [--model MODEL] TEXT [--pair TEXT] [--ids 1,2,3] --out FILE\n"
    "       headscope inspect FILE.safetensors [--values NAME]\n"
    "       headscope compare [--model MODEL] --a TEXT --b TEXT [--word WORD]\n"
    "                         [--word-b WORD] [--top K] [--json]\n"
    "       headscope roles [--model MODEL] TEXT [--pair TEXT] [--json]\n"
    "       headscope export [--model MODEL] TEXT [--pair TEXT] --out DIR [--layer L]\n"
    "                        [--head H] [--cmap viridis|cividis] [--aggregate KIND]\n"
    "Commands that run a decoder also take --bos or --no-bos.\n"
    "\n"
    "MODEL is a model folder (config.json, model.safetensors, tokenizer files) or a\n"
    "Hugging Face hub name already in the local cache; without --model the bundled\n"
    "demo model is used. TEXT '-' reads standard input. 'headscope COMMAND --help'\n"
    "describes each command.\n";

typedef int (*command_fn)(int argc, char **argv);

static const struct {
    const char *name;
    command_fn run;
} commands[] = {
    {"info", hs_cli_info},
    {"tokenize", hs_cli_tokenize},
    {"dump", hs_cli_dump},
    {"inspect", hs_cli_inspect},
    {"compare", hs_cli_compare},
    {"roles", hs_cli_roles},
    {"export", hs_cli_export},
};

int main(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(usage, stdout);
        return 0;
    }
    if (argc >= 2 && strcmp(argv[1], "app") == 0)
        return hs_app_main(argc - 1, argv + 1); /* 'headscope app --help' lists its options */
    if (argc >= 2 && argv[1][0] != '-') {
        for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
            if (strcmp(argv[1], commands[i].name) == 0)
                return commands[i].run(argc - 1, argv + 1);
        return hs_cli_fail("unknown command '%s'; the commands are info, tokenize, dump, "
                           "inspect, compare, roles and export; see 'headscope --help'",
                           argv[1]);
    }
    return hs_app_main(argc, argv);
}
