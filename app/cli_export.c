/*
 * cli_export.c - the export subcommand: per-head heatmap PNGs, the atlas and
 * index.json for one input, written without a display.
 */
#include "cli.h"

#include "export.h"
#include "hs_colormap.h"
#include "hs_analysis.h"
#include "hs_error.h"
#include "hs_io.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char export_usage[] =
    "usage: headscope export [--model MODEL] [--bos | --no-bos] TEXT [--pair TEXT] --out DIR\n"
    "                        [--layer L] [--head H] [--cmap viridis|cividis]\n"
    "                        [--aggregate layer-mean|layer-max|all-mean|rollout] [--scale 1|max]\n"
    "Runs the model on TEXT and writes one heatmap PNG per attention head into DIR,\n"
    "named L03-H07.png (rows are queries, columns keys), plus atlas.png with every\n"
    "exported head as a thumbnail and index.json listing the tokens and files.\n"
    "Layers and heads are counted from 0. --layer exports only that layer, --head only\n"
    "that head of each layer; both together export one head. --cmap sets the colour\n"
    "map (default viridis; cividis suits red-green colour blindness). DIR is created\n"
    "when its parent folder exists. TEXT '-' reads standard input. No display needed.\n"
    "--aggregate writes aggregated views instead of heads: each layer's mean or max over\n"
    "its heads (L03-mean.png, L03-max.png; --layer picks one layer), the mean over all\n"
    "heads (all-mean.png), or attention rollout through every layer (rollout.png).\n"
    "--scale max runs each image's colours from 0 to its own largest value (the colour\n"
    "bar shows it) instead of from 0 to 1; rollout and means are often small. The atlas\n"
    "keeps 0 to 1.\n";

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

/* Writes the aggregated views that kind names; layer -1 means every layer.
 * On failure the files this call wrote are removed again. */
static int export_aggregates(const hs_export_input *in, const char *kind, int layer,
                             const char *dir, int *count)
{
    const hs_result *r = in->result;
    int n = r->n, status = -1;
    char (*written)[4096] = calloc((size_t)r->n_layers + 1, sizeof *written);
    float *matrix = malloc((size_t)n * n * sizeof(float));
    char title[128], name[64];

    *count = 0;
    if (!written || !matrix) {
        hs_error_set("out of memory for %d tokens", n);
        goto done;
    }
    if (strcmp(kind, "all-mean") == 0 || strcmp(kind, "rollout") == 0) {
        int rollout = strcmp(kind, "rollout") == 0;
        if (rollout && hs_attn_rollout(r, matrix) != 0)
            goto done;
        if (!rollout)
            hs_attn_all_mean(r, matrix);
        snprintf(title, sizeof title, rollout ? "attention rollout through %d layers"
                                              : "mean over all heads of %d layers",
                 r->n_layers);
        if (hs_export_matrix(in, matrix, title, rollout ? "rollout.png" : "all-mean.png", dir,
                             written[0], sizeof written[0]) != 0)
            goto done;
        *count = 1;
        status = 0;
        goto done;
    }
    int max = strcmp(kind, "layer-max") == 0;
    int digits = r->n_layers > 100 ? 3 : 2;
    for (int l = 0; l < r->n_layers; l++) {
        if (layer >= 0 && l != layer)
            continue;
        if (max)
            hs_attn_layer_max(r, l, matrix);
        else
            hs_attn_layer_mean(r, l, matrix);
        snprintf(title, sizeof title, "layer %d \xC2\xB7 %s", l,
                 max ? "max over heads" : "mean over heads");
        snprintf(name, sizeof name, "L%0*d-%s.png", digits, l, max ? "max" : "mean");
        if (hs_export_matrix(in, matrix, title, name, dir, written[*count],
                             sizeof written[*count]) != 0)
            goto done;
        (*count)++;
    }
    status = 0;
done:
    if (status != 0 && written)
        for (int i = 0; i < *count; i++)
            unlink(written[i]);
    free(written);
    free(matrix);
    return status;
}

int hs_cli_export(int argc, char **argv)
{
    static const int allowed[] = {HS_OPT_MODEL, HS_OPT_PAIR, HS_OPT_OUT,    HS_OPT_LAYER,
                                  HS_OPT_HEAD,  HS_OPT_CMAP, HS_OPT_BOS,    HS_OPT_NO_BOS,
                                  HS_OPT_AGGREGATE, HS_OPT_SCALE, 0};
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
    if (o.aggregate && strcmp(o.aggregate, "layer-mean") != 0 &&
        strcmp(o.aggregate, "layer-max") != 0 && strcmp(o.aggregate, "all-mean") != 0 &&
        strcmp(o.aggregate, "rollout") != 0)
        return hs_cli_usage_fail("export", "--aggregate: '%s' is not layer-mean, layer-max, "
                                 "all-mean or rollout", o.aggregate);
    if (o.aggregate && o.head >= 0)
        return hs_cli_usage_fail("export", "--head does not apply to --aggregate %s, which "
                                 "combines the heads", o.aggregate);
    if (o.aggregate && o.layer >= 0 && strncmp(o.aggregate, "layer-", 6) != 0)
        return hs_cli_usage_fail("export", "--layer does not apply to --aggregate %s, which "
                                 "combines every layer", o.aggregate);
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
        /* Another export may create the folder first, which is fine. */
        if (mkdir(o.out, 0777) == 0)
            created = 1;
        else if (errno != EEXIST || !hs_dir_exists(o.out)) {
            hs_cli_fail("--out %s: cannot create folder: %s", o.out, strerror(errno));
            goto done;
        }
    }
    hs_export_input input = {
        .model_name = hs_model_name(model),
        .text = text.data,
        .pair = o.pair ? pair.data : NULL,
        .encoding = enc,
        .result = result,
        .colormap = o.colormap,
        .scale_to_max = o.scale_to_max,
    };
    int count = 0;
    if (o.aggregate) {
        if (export_aggregates(&input, o.aggregate, o.layer, o.out, &count) != 0) {
            hs_cli_fail("%s", hs_error_message());
            goto done;
        }
        printf("wrote %d aggregated view%s to %s\n", count, count == 1 ? "" : "s", o.out);
        status = 0;
        goto done;
    }
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
