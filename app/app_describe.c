/*
 * app_describe.c - writes what the window shows as JSON (--describe FILE),
 * so tests and scripts can check the state and find pixels in screenshots.
 */
#include "app.h"

#include "hs_io.h"

#include <cjson/cJSON.h>
#include <stdlib.h>

static cJSON *rect_json(const SDL_Rect *r)
{
    const double values[4] = {r->x, r->y, r->w, r->h};
    return cJSON_CreateDoubleArray(values, 4);
}

int hs_app_describe(hs_app *app, const char *path)
{
    hs_layout layout;
    hs_app_layout(app, &layout);
    cJSON *root = cJSON_CreateObject();

    cJSON_AddNumberToObject(root, "width", app->width);
    cJSON_AddNumberToObject(root, "height", app->height);
    cJSON_AddStringToObject(root, "model", app->model ? app->model->name : "");
    cJSON_AddBoolToObject(root, "loading", app->loading);
    cJSON_AddStringToObject(root, "text", app->text.text);
    cJSON_AddStringToObject(root, "pair", app->pair.text);
    cJSON_AddNumberToObject(root, "layer", app->layer);
    cJSON_AddNumberToObject(root, "head", app->head);
    static const char *const views[HS_VIEW_COUNT] = {"heatmap", "arcs", "roles", "compare"};
    cJSON_AddStringToObject(root, "view", views[app->view]);
    cJSON_AddNumberToObject(root, "focus", app->focus_token);
    cJSON_AddStringToObject(root, "colormap", hs_colormap_name(app->colormap));
    cJSON_AddStringToObject(root, "scale", app->scale_to_max ? "max" : "1");
    cJSON_AddBoolToObject(root, "help", app->help_visible);
    cJSON_AddStringToObject(root, "message", app->message);
    cJSON_AddItemToObject(root, "main", rect_json(&layout.main));
    cJSON_AddItemToObject(root, "grid", rect_json(&layout.grid));
    cJSON_AddItemToObject(root, "strip", rect_json(&layout.strip));
    cJSON_AddItemToObject(root, "text_field", rect_json(&layout.text));

    cJSON *labels = cJSON_AddArrayToObject(root, "labels");
    cJSON *ids = cJSON_AddArrayToObject(root, "ids");
    if (app->run && app->run->result && app->run->encoding) {
        for (int i = 0; i < app->run->result->n; i++) {
            cJSON_AddItemToArray(labels, cJSON_CreateString(app->run->encoding->labels[i]));
            cJSON_AddItemToArray(ids, cJSON_CreateNumber(app->run->encoding->ids[i]));
        }
    }
    if (app->view == HS_VIEW_COMPARE && app->comparison) {
        cJSON *compare = cJSON_AddObjectToObject(root, "compare");
        hs_app_describe_comparison(app, compare);
    }
    if (app->shown.valid) {
        cJSON *shown = cJSON_AddObjectToObject(root, "shown");
        cJSON_AddStringToObject(shown, "title", app->shown.title);
        cJSON_AddNumberToObject(shown, "rows", app->shown.n);
        cJSON_AddNumberToObject(shown, "columns", app->shown.cols);
        cJSON_AddStringToObject(shown, "notice", app->shown.notice);
    }
    hs_heatmap_geometry g;
    if (app->view == HS_VIEW_HEATMAP && hs_app_heatmap_geometry(app, &layout, &g) == 0) {
        cJSON *heatmap = cJSON_AddObjectToObject(root, "heatmap");
        cJSON_AddNumberToObject(heatmap, "x", g.x);
        cJSON_AddNumberToObject(heatmap, "y", g.y);
        cJSON_AddNumberToObject(heatmap, "cell", g.cell);
        cJSON_AddItemToObject(heatmap, "area", rect_json(&g.area));
    }

    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text)
        return -1;
    hs_atomic_file out;
    int status = -1;
    if (hs_atomic_open(&out, path) == 0) {
        fputs(text, out.file);
        status = hs_atomic_commit(&out);
    }
    free(text);
    return status;
}
