/*
 * app.h - the desktop app's state, layout and the functions that draw it
 * and handle its input. One hs_app lives for the whole run; nothing is kept
 * in function-local statics.
 */
#ifndef HS_APP_H
#define HS_APP_H

#include "hs_analysis.h"
#include "hs_colormap.h"
#include "hs_lessons.h"
#include "render.h"
#include "textfield.h"
#include "worker.h"

#include <SDL.h>
#include <stdint.h>

typedef enum {
    HS_VIEW_HEATMAP,
    HS_VIEW_ARCS,
    HS_VIEW_ROLES,
    HS_VIEW_COMPARE,
    HS_VIEW_COUNT,
} hs_view_mode;

/* What the main view shows in place of one head. */
typedef enum {
    HS_AGGREGATE_NONE,       /* the selected head (or the layer mean from the grid) */
    HS_AGGREGATE_LAYER_MAX,  /* elementwise max over the heads of the layer */
    HS_AGGREGATE_ALL_MEAN,   /* mean over every head of every layer */
    HS_AGGREGATE_ROLLOUT,    /* attention rollout up to the top layer */
    HS_AGGREGATE_COUNT,
} hs_aggregate;

/* The matrix the main view draws, after aggregation, hidden columns and the
 * word-level merge, with the labels of its rows and columns. Hidden columns
 * are removed, so the matrix has n rows and cols columns. */
typedef struct {
    int valid;
    int n;                 /* rows: tokens, or words in word view */
    int cols;              /* columns: n less the hidden ones */
    char **labels;         /* [n], owned */
    uint8_t *special;      /* [n] 1 for special tokens */
    int *col_unit;         /* [cols] the row index (token or word) of each column */
    float *values;         /* [n][cols] */
    float max_value;       /* largest of values */
    int *unit_of_token;    /* [tokens] row of each token (word view), else NULL */
    hs_matrix_texture texture;
    char title[192];
    char notice[192];      /* what the transforms changed, "" when nothing */
    /* the state it was computed for */
    int generation, layer, head, aggregate, hide_special, hide_first, words;
} hs_shown;

/* How a text field is drawn: its sideways scroll, and the measurements of
 * its last drawing, reused while text, cursor, selection and width stay the
 * same (measuring a long text takes far longer than a frame). */
typedef struct {
    float scroll;          /* pixels of text scrolled out at the left */
    uint64_t key;          /* hash of what the measurements describe; 0 for none */
    float cursor_x;        /* the cursor, from the start of the text */
    float composition_w;   /* the IME composition's width */
    float selection_x0, selection_x1;
    size_t first, last;    /* the bytes of the display text that are drawn */
    float first_x;         /* where byte first starts */
} hs_field_view;

typedef enum {
    HS_FOCUS_NONE,
    HS_FOCUS_TEXT,
    HS_FOCUS_PAIR,
} hs_input_focus;

typedef struct hs_comparison hs_comparison;

/* Options from the command line. */
typedef struct {
    const char *model;
    const char *text;
    const char *pair;
    int layer;
    int head; /* -1: the layer's mean */
    int head_given;
    hs_view_mode view;
    int focus;
    const char *screenshot;
    const char *describe; /* JSON file rewritten after every frame */
    const char *export_dir; /* where E and Shift+E write; default ./headscope-export */
    int width;
    int height;
    int bos; /* -1 tokenizer default, 0, 1 */
    int lesson; /* 1-based lesson to open at start, 0 for none */
    const char *word; /* compare mode: the word to compare */
    int timing;       /* print frame and keystroke-to-picture times */
    int help;
    hs_colormap colormap;
    hs_aggregate aggregate;
    int hide_special;
    int hide_first;
    int words;
    int scale_to_max;
} hs_app_options;

/* Screen rectangles of one frame, recomputed from the window size. */
typedef struct {
    SDL_Rect text;
    SDL_Rect pair;   /* w == 0 when the model takes no pairs */
    SDL_Rect strip;
    SDL_Rect grid;   /* the thumbnails' panel */
    SDL_Rect main;   /* heatmap or arcs */
    SDL_Rect view_buttons[HS_VIEW_COUNT];
    SDL_Rect status;
    int thumb;       /* thumbnail side in pixels */
    int grid_label;  /* width of the layer labels left of the thumbnails */
    int grid_top;    /* y of the first thumbnail row, before scrolling */
} hs_layout;

/* The matrix geometry of the heatmap in the main view. */
typedef struct {
    float x, y;      /* top-left of cell (0, 0) on screen, after zoom and pan */
    float cell;      /* cell side in pixels */
    SDL_Rect area;   /* where cells are visible */
    int label_step;  /* draw every label_step-th label */
} hs_heatmap_geometry;

typedef struct {
    SDL_Window *window;
    SDL_GLContext gl;
    hs_renderer *render;
    hs_worker *worker;
    Uint32 worker_event;
    hs_app_options options;
    float ui_scale;
    int width, height; /* drawable size */

    /* model */
    hs_model_info *model;      /* NULL until one loads */
    int loading;
    float load_progress;
    char *load_request;
    char message[512];         /* last error or notice, shown in the status line */
    int message_is_error;

    /* input */
    hs_textfield text;
    hs_textfield pair;
    hs_field_view text_view;
    hs_field_view pair_view;
    hs_input_focus input_focus;
    Uint32 run_deadline;       /* 0 when no run is scheduled */
    int generation;
    int bos;

    /* the latest result and its textures: heads [L][h], then layer means [L] */
    hs_run *run;
    hs_matrix_texture *textures;
    int n_textures;
    float *layer_means;        /* [L][n][n] */
    float max_value;           /* largest weight shown in the colour bar */

    /* selection and view */
    int layer;
    int head;                  /* -1: mean of the layer */
    hs_aggregate aggregate;
    int hide_special;          /* hide [CLS]/[SEP]/BOS columns, rows renormalised */
    int hide_first;            /* hide the first column (attention sink), rows renormalised */
    int words;                 /* merge word pieces into words */
    int scale_to_max;          /* heatmap colours run from 0 to the view's max, not 1 */
    hs_shown shown;
    hs_head_stats *roles;      /* [L * h] for the current result, or NULL */
    hs_role_thresholds thresholds;
    int roles_sort_column;
    int roles_sort_descending;
    int roles_scroll;

    /* compare mode: sentence A is the text field, B the second field */
    hs_run *run_b;
    char compare_word[128];    /* the word in A; "" = the first shared word */
    char compare_word_b[128];  /* the word in B when it differs, else "" */
    hs_comparison *comparison;
    int compare_pick;          /* index of the picked head in the ranking */
    hs_lessons *lessons;       /* NULL when the lessons file did not load */
    int lesson;
    int lesson_active;
    int run_generation;        /* counts applied results, for hs_shown */
    int preview_layer;         /* grid hover; -1 when none */
    int preview_head;
    int focus_token;           /* -1 when none */
    hs_view_mode view;
    hs_colormap colormap;
    int help_visible;
    float zoom;                /* heatmap zoom, 1 = fit */
    float pan_x, pan_y;        /* heatmap pan in cells */
    int dragging;              /* the left button went down on the heatmap's cells */
    int drag_x, drag_y;        /* the pointer when the pan last moved */
    int drag_moved;            /* the pointer left the press point: a pan, not a click */
    int drag_row;              /* the row pressed, focused on release without a pan */
    float grid_scroll;
    float strip_scroll;
    int mouse_x, mouse_y;      /* drawable pixels */
    long long hover_key;       /* what the pointer was over at the last motion */

    int exporting;             /* an export thread is running */
    int describe_failed;       /* --describe could not be written; reported once */
    Uint64 frame_start, frame_end; /* performance counter around the last draw */
    Uint64 edit_time;          /* performance counter at the last text edit */
    int edit_pending;          /* an edit's result is not on screen yet */
    int edit_shown;            /* the frame being drawn shows the last edit's result */
    int dirty;
    int quit;
    int screenshot_armed;      /* a result arrived; shoot after the next frame */
    int exit_status;
    int focus_checked;         /* --focus was compared with the first result */
    size_t text_cut_bytes; /* bytes of --text or a paste beyond the field's limit */
} hs_app;

/* Runs the desktop app; returns the process exit status. */
int hs_app_main(int argc, char **argv);

#ifdef HS_PIN_GL_DRIVER
/* Sanitizer builds: keeps the OpenGL driver mapped until exit, so leak
 * reports from inside it name the driver (see gl_driver_pin.c). */
void hs_app_pin_gl_driver(void);
#endif

/* Writes the visible state as JSON to path (app_describe.c). Returns 0 or
 * -1 with an error. */
int hs_app_describe(hs_app *app, const char *path);

/* Recomputes app->shown when the selection, the transforms or the result
 * changed (app_shown.c). */
void hs_app_update_shown(hs_app *app);
void hs_app_free_shown(hs_app *app);

/* event.user.code of an export thread's completion, on the worker's event
 * type; data1 is the message to show (freed by the receiver). */
enum { HS_APP_EXPORT_DONE = 100 };

/* Exports the selected head (all = 0) or every head (all = 1) on a thread
 * (app_export.c); hs_app_export_done() takes the completion event. */
void hs_app_export(hs_app *app, int all);
void hs_app_export_done(hs_app *app, char *message, int failed);

/* Compare mode (app_compare.c). */
void hs_comparison_free(hs_comparison *comparison);
void hs_app_update_comparison(hs_app *app);
void hs_app_open_lesson(hs_app *app, int index);
void hs_app_draw_compare(hs_app *app, const SDL_Rect *main);
int hs_app_compare_click(hs_app *app, const SDL_Rect *main, int x, int y);
void hs_app_compare_pick_token(hs_app *app, int token);
struct cJSON;
/* Adds the comparison (word, positions, top ranking, hidden cosines) to a
 * JSON object for --describe. */
void hs_app_describe_comparison(const hs_app *app, struct cJSON *out);

/* Head roles (app_roles.c): statistics of the current result, badges on
 * thumbnails, and the sortable table with its thresholds. */
void hs_app_compute_roles(hs_app *app);
void hs_app_role_badges(const hs_app *app, int layer, int head, char *out, size_t size);
void hs_app_draw_badges(hs_app *app, int layer, int head, float x, float y, float size);
void hs_app_draw_roles(hs_app *app, const SDL_Rect *main);
/* Handles a click in the table; returns 1 when it changed something. */
int hs_app_roles_click(hs_app *app, const SDL_Rect *main, int x, int y);

/* Layout and drawing (app_draw.c). */
void hs_app_layout(hs_app *app, hs_layout *out);
/* Draws text broken at spaces into lines at most width wide, from (x, y)
 * down; returns the height used. hs_app_wrapped_lines() counts the lines. */
float hs_app_draw_wrapped(hs_app *app, hs_font_size font, const char *text, float x, float y,
                          float width, hs_rgba color);
int hs_app_wrapped_lines(hs_app *app, hs_font_size font, const char *text, float width);
/* Returns the byte offset of the character boundary in text[0..length] whose
 * left edge is nearest to offset pixels from the start of the text. */
size_t hs_app_text_offset_at(hs_app *app, const char *text, size_t length, float offset);
void hs_app_draw(hs_app *app);
int hs_app_heatmap_geometry(hs_app *app, const hs_layout *layout, hs_heatmap_geometry *out);

/* The matrix the main view shows ([rows][cols]), or NULL. */
const float *hs_app_current_matrix(const hs_app *app, int *rows, int *cols);
const hs_matrix_texture *hs_app_texture(const hs_app *app, int layer, int head);

/* Hit tests (app_draw.c): return the index under (x, y), or -1. */
int hs_app_grid_hit(hs_app *app, const hs_layout *layout, int x, int y, int *layer, int *head);
int hs_app_strip_hit(hs_app *app, const hs_layout *layout, int x, int y);
int hs_app_arc_hit(hs_app *app, const hs_layout *layout, int x, int y);

#endif
