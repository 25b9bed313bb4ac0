/*
 * cli_export.c - the export subcommand: per-head heatmap PNGs, the atlas and
 * index.json for one input, written without a display.
 */
#include "cli.h"

#include "export.h"
#include "hs_colormap.h"
#include "hs_error.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char export_usage[] =
    "usage: headscope export [--model MODEL] [--bos | --no-bos] TEXT [--pair TEXT] --out DIR\n"
    "                        [--layer L] [--head H] [--cmap viridis|cividis]\n"
    "Runs the model on TEXT and writes one heatmap PNG per attention head into DIR,\n"
    "named L03-H07.png (rows are queries, columns keys), plus atlas.png with every\n"
    "exported head as a thumbnail and index.json listing the tokens and files.\n"
    "Layers and heads are counted from 0. --layer exports only that layer, --head only\n"
    "that head of each layer; both together export one head. --cmap sets the colour\n"
    "map (default viridis; cividis suits red-green colour blindness). DIR is created\n"
    "when its parent folder exists. TEXT '-' reads standard input. No display needed.\n";

enum { OPT_MODEL = 1000, OPT_PAIR, OPT_OUT, OPT_LAYER, OPT_HEAD, OPT_CMAP, OPT_BOS, OPT_NO_BOS,
       OPT_HELP };

typedef struct {
    const char *model;
    const char *text;
    const char *pair;
    const char *out;
    int layer; /* -1 = every layer */
    int head;  /* -1 = every head */
    hs_colormap colormap;
    int bos;
    int help;
} export_options;

/* Parses argv into o. Returns 0, or -1 after printing an error. */
static int parse_export_options(int argc, char **argv, export_options *o)
{
    static const struct option long_options[] = {
        {"model", required_argument, NULL, OPT_MODEL},
        {"pair", required_argument, NULL, OPT_PAIR},
        {"out", required_argument, NULL, OPT_OUT},
        {"layer", required_argument, NULL, OPT_LAYER},
        {"head", required_argument, NULL, OPT_HEAD},
        {"cmap", required_argument, NULL, OPT_CMAP},
        {"bos", no_argument, NULL, OPT_BOS},
        {"no-bos", no_argument, NULL, OPT_NO_BOS},
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof *o);
    o->layer = -1;
    o->head = -1;
    o->bos = -1;
    o->colormap = HS_COLORMAP_VIRIDIS;
    optind = 1;
    opterr = 0;
    for (;;) {
        int index = optind;
        int c = getopt_long(argc, argv, "-h", long_options, NULL);
        if (c == -1)
            break;
        switch (c) {
        case 1:
            if (o->text) {
                hs_cli_usage_fail("export", "export takes one TEXT argument; '%s' is a second one",
                                  optarg);
                return -1;
            }
            o->text = optarg;
            break;
        case 'h':
        case OPT_HELP:
            o->help = 1;
            break;
        case OPT_MODEL:
            o->model = optarg;
            break;
        case OPT_PAIR:
            o->pair = optarg;
            break;
        case OPT_OUT:
            o->out = optarg;
            break;
        case OPT_LAYER:
            if (hs_cli_parse_int(optarg, "--layer", &o->layer) != 0)
                return -1;
            break;
        case OPT_HEAD:
            if (hs_cli_parse_int(optarg, "--head", &o->head) != 0)
                return -1;
            break;
        case OPT_CMAP:
            if (hs_colormap_from_name(optarg, &o->colormap) != 0) {
                hs_cli_fail("--cmap: %s", hs_error_message());
                return -1;
            }
            break;
        case OPT_BOS:
            o->bos = 1;
            break;
        case OPT_NO_BOS:
            o->bos = 0;
            break;
        default: {
            const char *arg = index < argc ? argv[index] : "?";
            if (c == ':' || (c == '?' && optopt))
                hs_cli_usage_fail("export", "option '%s' needs a value", arg);
            else
                hs_cli_usage_fail("export", "unknown option '%s'", arg);
            return -1;
        }
        }
    }
    return 0;
}

/* Checks --out before any work: an existing folder, or a missing one whose
 * parent folder exists. Sets *missing when DIR must be created. */
static int check_out_dir(const char *dir, int *missing)
{
    struct stat st;
    *missing = 0;
    if (dir[0] == '\0') {
        hs_cli_fail("--out: the folder name is empty");
        return -1;
    }
    if (stat(dir, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return 0;
        hs_cli_fail("--out %s: not a folder", dir);
        return -1;
    }

    /* The parent is DIR without trailing slashes and its last component. */
    size_t length = strlen(dir);
    char *parent = malloc(length + 2);
    if (!parent) {
        hs_cli_fail("out of memory");
        return -1;
    }
    memcpy(parent, dir, length + 1);
    while (length > 1 && parent[length - 1] == '/')
        parent[--length] = '\0';
    char *slash = strrchr(parent, '/');
    if (!slash)
        memcpy(parent, ".", 2);
    else if (slash == parent)
        slash[1] = '\0';
    else
        *slash = '\0';
    int ok = stat(parent, &st) == 0 && S_ISDIR(st.st_mode);
    if (!ok)
        hs_cli_fail("--out %s: the parent folder '%s' does not exist; create it first", dir,
                    parent);
    free(parent);
    *missing = 1;
    return ok ? 0 : -1;
}

int hs_cli_export(int argc, char **argv)
{
    export_options o;
    hs_cli_text text = {0}, pair = {0};
    hs_model *model = NULL;
    hs_encoding *enc = NULL;
    hs_result *result = NULL;
    int created = 0, missing = 0, status = 1;

    if (parse_export_options(argc, argv, &o) != 0)
        return 1;
    if (o.help) {
        fputs(export_usage, stdout);
        return 0;
    }
    if (!o.text)
        return hs_cli_usage_fail("export", "export needs a TEXT argument");
    if (!o.out)
        return hs_cli_usage_fail("export", "export needs --out DIR");
    if (check_out_dir(o.out, &missing) != 0)
        return 1;
    if (hs_cli_read_text(o.text, "TEXT", &text) != 0 ||
        (o.pair && hs_cli_read_text(o.pair, "--pair", &pair) != 0))
        goto done;

    model = hs_cli_load_model(o.model);
    if (!model)
        goto done;
    const hs_config *config = hs_model_config(model);
    if (o.layer >= config->n_layers) {
        hs_cli_fail("--layer %d is out of range: %s has layers 0 to %d", o.layer,
                    hs_model_name(model), config->n_layers - 1);
        goto done;
    }
    if (o.head >= config->n_heads) {
        hs_cli_fail("--head %d is out of range: %s has heads 0 to %d", o.head,
                    hs_model_name(model), config->n_heads - 1);
        goto done;
    }
    enc = hs_cli_encode(model, &text, o.pair ? &pair : NULL, o.bos);
    if (!enc)
        goto done;
    result = hs_forward(model, enc->ids, enc->type_ids, enc->n);
    if (!result) {
        hs_cli_fail("%s", hs_error_message());
        goto done;
    }

    if (missing) {
        if (mkdir(o.out, 0777) != 0) {
            hs_cli_fail("--out %s: cannot create folder: %s", o.out, strerror(errno));
            goto done;
        }
        created = 1;
    }
    hs_export_input input = {
        .model_name = hs_model_name(model),
        .text = text.data,
        .pair = o.pair ? pair.data : NULL,
        .encoding = enc,
        .result = result,
        .colormap = o.colormap,
    };
    int count = 0;
    if (hs_export_all(&input, o.layer, o.head, o.out, &count) != 0) {
        hs_cli_fail("%s", hs_error_message());
        goto done;
    }
    printf("wrote %d files to %s: %d head image%s, atlas.png and index.json\n", count, o.out,
           count - 2, count - 2 == 1 ? "" : "s");
    status = 0;
done:
    if (status != 0 && created)
        rmdir(o.out);
    hs_result_free(result);
    hs_encoding_free(enc);
    hs_model_free(model);
    free(text.data);
    free(pair.data);
    return status;
}
