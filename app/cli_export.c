/*
 * cli_export.c - the export subcommand: per-head heatmap PNGs, the atlas and
 * index.json for one input, written without a display.
 */
#include "cli.h"

#include "export.h"
#include "hs_colormap.h"
#include "hs_error.h"

#include <errno.h>
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
    static const int allowed[] = {HS_OPT_MODEL, HS_OPT_PAIR, HS_OPT_OUT,    HS_OPT_LAYER,
                                  HS_OPT_HEAD,  HS_OPT_CMAP, HS_OPT_BOS, HS_OPT_NO_BOS, 0};
    hs_cli_options o;
    hs_cli_text text = {0}, pair = {0};
    hs_model *model = NULL;
    hs_encoding *enc = NULL;
    hs_result *result = NULL;
    int created = 0, missing = 0, status = 1;

    if (hs_cli_parse_options(argc, argv, allowed, 1, &o) != 0)
        return 1;
    if (o.help) {
        fputs(export_usage, stdout);
        return 0;
    }
    if (o.positional_count == 0)
        return hs_cli_usage_fail("export", "export needs a TEXT argument");
    if (!o.out)
        return hs_cli_usage_fail("export", "export needs --out DIR");
    if (check_out_dir(o.out, &missing) != 0)
        return 1;
    if (hs_cli_read_text(o.positional[0], "TEXT", &text) != 0 ||
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
