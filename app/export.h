/*
 * export.h - attention heads as PNG files, drawn on the CPU without a display.
 *
 * Each head becomes one image: the [n][n] attention as a heatmap (rows are
 * queries, the attending tokens; columns are keys, the attended tokens), the
 * token labels on both axes, a title naming model, layer and head (counted
 * from 0), the axis names and a colour bar from 0 to 1. Special tokens are
 * labelled in a distinct colour. Text comes from fonts.h, colours from
 * hs_colormap.h, and files are written with stb_image_write through
 * hs_atomic_open(), so a reader never sees a partial file. The functions
 * open their own fonts, so the thread rule of fonts.h applies to them too.
 */
#ifndef HS_EXPORT_H
#define HS_EXPORT_H

#include "hs_colormap.h"
#include "hs_forward.h"
#include "hs_tokenizer.h"

#include <stddef.h>

/* What to draw. encoding->n must equal result->n. text and pair are only
 * recorded in index.json and may be NULL. */
typedef struct {
    const char *model_name;
    const char *text;
    const char *pair;
    const hs_encoding *encoding;
    const hs_result *result;
    hs_colormap colormap;
    int scale_to_max; /* colours run from 0 to each image's largest value, not to 1 */
} hs_export_input;

/* Largest width or height of an exported image, in pixels. Longer inputs are
 * drawn with several tokens per pixel, each pixel showing their maximum. */
#define HS_EXPORT_MAX_SIDE 8192

/* Writes the file name of one head, "L03-H07.png", with layer and head
 * zero-padded to the digits of the model's counts (at least 2). */
void hs_export_head_name(const hs_result *result, int layer, int head, char *out,
                         size_t size);

/* Draws one head and writes it as DIR/<hs_export_head_name>. written_path
 * (size bytes, may be NULL) receives the path. Returns 0, or -1 with an error
 * that names the folder or file; on failure no file is left behind. */
int hs_export_head(const hs_export_input *in, int layer, int head, const char *dir,
                   char *written_path, size_t size);

/* Writes one [n][n] matrix over the input's tokens (a layer's mean or max,
 * the mean over all heads, rollout, or a view with hidden columns) as
 * file_name in dir, titled "MODEL · title", with the same layout and colours
 * as a head. Returns 0, or -1 with an error; no file is left on failure. */
int hs_export_matrix(const hs_export_input *in, const float *matrix, const char *title,
                     const char *file_name, const char *dir, char *written_path, size_t size);

/* Writes every head of the selection, atlas.png (the selected heads as
 * thumbnails, one row per layer, one column per head) and index.json (model,
 * text, pair, tokens, labels, ids, colour map and every file with its layer
 * and head) into dir, which must exist. layer and head select one layer or
 * one head index; -1 selects all. file_count (may be NULL) receives the
 * number of files written. Returns 0, or -1 with an error; on failure the
 * files this call wrote are removed again. */
int hs_export_all(const hs_export_input *in, int layer, int head, const char *dir,
                  int *file_count);

#endif
