/*
 * render.h - OpenGL 3.3 drawing for the app: batched solid and textured
 * quads, lines, cached text textures and colour-mapped matrices.
 *
 * Coordinates are drawable pixels with y growing downward. GL entry points
 * come through libepoxy; shader sources are built into the program.
 */
#ifndef HS_RENDER_H
#define HS_RENDER_H

#include "fonts.h"
#include "hs_colormap.h"

#include <SDL.h>
#include <epoxy/gl.h>

typedef struct hs_renderer hs_renderer;

typedef struct {
    float r, g, b, a;
} hs_rgba;

/* Font sizes the renderer keeps open. */
typedef enum {
    HS_FONT_SMALL,
    HS_FONT_NORMAL,
    HS_FONT_LARGE,
    HS_FONT_COUNT,
} hs_font_size;

/* A matrix uploaded as a float texture, one texel per cell. */
typedef struct {
    GLuint texture;
    int rows;
    int cols;
} hs_matrix_texture;

/* Compiles the shaders and opens the fonts at sizes scaled by ui_scale (the
 * drawable-to-window ratio of high-DPI displays). Needs a current GL 3.3
 * context. Returns NULL with an error (the driver's info log for a shader
 * that fails to compile or link) on failure. */
hs_renderer *hs_render_create(float ui_scale);
void hs_render_destroy(hs_renderer *render);

/* Starts a frame of the given drawable size; clears to the background. */
void hs_render_begin(hs_renderer *render, int width, int height);

/* Draws everything batched so far; call before reading pixels or swapping. */
void hs_render_flush(hs_renderer *render);

/* Clips drawing to a rectangle (NULL for none). Flushes the batch. */
void hs_render_clip(hs_renderer *render, const SDL_Rect *rect);

void hs_render_rect(hs_renderer *render, float x, float y, float w, float h, hs_rgba color);
void hs_render_outline(hs_renderer *render, float x, float y, float w, float h,
                       float thickness, hs_rgba color);
void hs_render_line(hs_renderer *render, float x0, float y0, float x1, float y1,
                    float thickness, hs_rgba color);

/* A cubic Bézier from p0 to p3 with control points p1, p2. */
void hs_render_curve(hs_renderer *render, const float p[8], float thickness, hs_rgba color);

/* Text, rendered once and cached by (string, size, colour). Returns the
 * width drawn; rotated draws the text turned 90° counter-clockwise with its
 * top-left corner at (x, y) before turning (the text reads upward). */
int hs_render_text(hs_renderer *render, hs_font_size size, const char *utf8, float x, float y,
                   hs_rgba color);
int hs_render_text_rotated(hs_renderer *render, hs_font_size size, const char *utf8, float x,
                           float y, hs_rgba color);

/* Measures text without drawing; returns the width in pixels. */
int hs_render_text_width(hs_renderer *render, hs_font_size size, const char *utf8);

/* Returns the width of the first bytes of utf8 without making a texture, so
 * it suits text of any length. */
int hs_render_measure(hs_renderer *render, hs_font_size size, const char *utf8, size_t bytes);
int hs_render_line_height(hs_renderer *render, hs_font_size size);

/* Uploads matrix[rows][cols] into tex (created on first use). */
void hs_render_matrix_upload(hs_matrix_texture *tex, const float *matrix, int rows, int cols);
void hs_render_matrix_free(hs_matrix_texture *tex);

/* Draws a matrix texture colour-mapped into the rectangle, with the source
 * cells [col0, col1) x [row0, row1) (fractions allowed, for zoom and pan).
 * Values are multiplied by scale before the colour lookup. */
void hs_render_matrix(hs_renderer *render, const hs_matrix_texture *tex, float x, float y,
                      float w, float h, float col0, float row0, float col1, float row1,
                      float scale);

/* Selects the colour map used by hs_render_matrix(). */
void hs_render_set_colormap(hs_renderer *render, hs_colormap map);

/* Reads the drawable back as RGBA rows, top row first. Caller frees. */
unsigned char *hs_render_read_pixels(hs_renderer *render, int width, int height);

/* Drops cached text textures not used during the last few frames. */
void hs_render_trim_cache(hs_renderer *render);

#endif
