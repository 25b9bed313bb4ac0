/*
 * render.c - a small batched renderer over OpenGL 3.3 core (libepoxy), cglm
 * for the projection, SDL2_ttf text through fonts.c.
 *
 * Everything but colour-mapped matrices goes through one textured-quad
 * program: solid shapes sample a 1x1 white texture, text samples its cached
 * texture (rendered white and tinted by the vertex colour). The batch is
 * flushed whenever the texture changes.
 */
#include "render.h"

#include "hs_error.h"
#include "hs_io.h"
#include "shaders.h"

#include <cglm/cglm.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum {
    BATCH_VERTICES = 6 * 4096,
    TEXT_CACHE_SLOTS = 4096,
    TEXT_CACHE_LIMIT = 2048, /* entries kept before the cache is emptied */
};

typedef struct {
    float x, y, u, v, r, g, b, a;
} vertex;

typedef struct {
    char *text;
    int size;
    GLuint texture;
    int width;
    int height;
} text_entry;

/* Uniform locations, looked up once per program. */
typedef struct {
    GLuint program;
    GLint projection;
    GLint image;
    GLint use_texture;
} quad_program;

typedef struct {
    GLuint program;
    GLint projection;
    GLint values;
    GLint colormap;
    GLint scale;
} heatmap_program;

struct hs_renderer {
    quad_program quad;
    heatmap_program heatmap;
    GLuint vao, vbo;
    GLuint white;
    GLuint colormaps[HS_COLORMAP_COUNT];
    hs_colormap colormap;
    mat4 projection;
    int width, height;

    vertex *batch;
    int batch_count;
    GLuint batch_texture;

    hs_fonts *fonts[HS_FONT_COUNT];
    text_entry *cache;
    int cache_count;
};

/* ---- shaders ----------------------------------------------------------- */

static GLuint compile_shader(GLenum type, const char *source, const char *name)
{
    GLuint shader = glCreateShader(type);
    GLint ok = 0;
    glShaderSource(shader, 1, &source, NULL);
    glCompileShader(shader);
    glGetShaderiv(shader, GL_COMPILE_STATUS, &ok);
    if (!ok) {
        char log[2048] = "";
        glGetShaderInfoLog(shader, sizeof log, NULL, log);
        hs_error_set("shader %s failed to compile: %s", name, log);
        glDeleteShader(shader);
        return 0;
    }
    return shader;
}

/* Returns the source of a shader: from the folder HEADSCOPE_SHADER_DIR names
 * when set (for editing shaders without rebuilding), else the built-in copy.
 * *owned receives a copy to free, or NULL. */
static const char *shader_source(const char *name, const char *builtin, char **owned)
{
    const char *dir = getenv("HEADSCOPE_SHADER_DIR");
    *owned = NULL;
    if (!dir || !*dir)
        return builtin;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    *owned = hs_read_file(path, NULL);
    return *owned;
}

/* Compiles and links a program; returns 0 with the driver's log on failure. */
static GLuint link_program(const char *vertex_builtin, const char *fragment_builtin,
                           const char *name)
{
    char vertex_name[64], fragment_name[64];
    char *vertex_owned, *fragment_owned;
    snprintf(vertex_name, sizeof vertex_name, "%s.vert", name);
    snprintf(fragment_name, sizeof fragment_name, "%s.frag", name);
    const char *vertex_source = shader_source(vertex_name, vertex_builtin, &vertex_owned);
    const char *fragment_source = shader_source(fragment_name, fragment_builtin, &fragment_owned);
    GLuint vs = 0, fs = 0;
    if (vertex_source && fragment_source) {
        vs = compile_shader(GL_VERTEX_SHADER, vertex_source, vertex_name);
        fs = vs ? compile_shader(GL_FRAGMENT_SHADER, fragment_source, fragment_name) : 0;
    }
    free(vertex_owned);
    free(fragment_owned);
    if (!vs || !fs) {
        if (vs)
            glDeleteShader(vs);
        return 0;
    }
    GLuint program = glCreateProgram();
    GLint ok = 0;
    glAttachShader(program, vs);
    glAttachShader(program, fs);
    glLinkProgram(program);
    glDeleteShader(vs);
    glDeleteShader(fs);
    glGetProgramiv(program, GL_LINK_STATUS, &ok);
    if (!ok) {
        char log[2048] = "";
        glGetProgramInfoLog(program, sizeof log, NULL, log);
        hs_error_set("shader program %s failed to link: %s", name, log);
        glDeleteProgram(program);
        return 0;
    }
    return program;
}

static GLuint create_texture(GLint filter)
{
    GLuint texture;
    glGenTextures(1, &texture);
    glBindTexture(GL_TEXTURE_2D, texture);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, filter);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, filter);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    return texture;
}

/* ---- lifetime ---------------------------------------------------------- */

hs_renderer *hs_render_create(float ui_scale)
{
    static const int font_pixels[HS_FONT_COUNT] = {12, 14, 18};
    hs_renderer *r = calloc(1, sizeof *r);
    if (!r) {
        hs_error_set("out of memory");
        return NULL;
    }
    r->batch = malloc(BATCH_VERTICES * sizeof(vertex));
    r->cache = calloc(TEXT_CACHE_SLOTS, sizeof(text_entry));
    if (!r->batch || !r->cache) {
        hs_error_set("out of memory");
        goto fail;
    }

    r->quad.program = link_program(hs_shader_quad_vert, hs_shader_quad_frag, "quad");
    if (!r->quad.program)
        goto fail;
    r->quad.projection = glGetUniformLocation(r->quad.program, "projection");
    r->quad.image = glGetUniformLocation(r->quad.program, "image");
    r->quad.use_texture = glGetUniformLocation(r->quad.program, "use_texture");
    r->heatmap.program = link_program(hs_shader_heatmap_vert, hs_shader_heatmap_frag, "heatmap");
    if (!r->heatmap.program)
        goto fail;
    r->heatmap.projection = glGetUniformLocation(r->heatmap.program, "projection");
    r->heatmap.values = glGetUniformLocation(r->heatmap.program, "values");
    r->heatmap.colormap = glGetUniformLocation(r->heatmap.program, "colormap");
    r->heatmap.scale = glGetUniformLocation(r->heatmap.program, "scale");

    glGenVertexArrays(1, &r->vao);
    glGenBuffers(1, &r->vbo);
    glBindVertexArray(r->vao);
    glBindBuffer(GL_ARRAY_BUFFER, r->vbo);
    glBufferData(GL_ARRAY_BUFFER, BATCH_VERTICES * sizeof(vertex), NULL, GL_STREAM_DRAW);
    glEnableVertexAttribArray(0);
    glVertexAttribPointer(0, 2, GL_FLOAT, GL_FALSE, sizeof(vertex), (void *)0);
    glEnableVertexAttribArray(1);
    glVertexAttribPointer(1, 2, GL_FLOAT, GL_FALSE, sizeof(vertex), (void *)(2 * sizeof(float)));
    glEnableVertexAttribArray(2);
    glVertexAttribPointer(2, 4, GL_FLOAT, GL_FALSE, sizeof(vertex), (void *)(4 * sizeof(float)));

    const uint8_t white[4] = {255, 255, 255, 255};
    r->white = create_texture(GL_NEAREST);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, 1, 1, 0, GL_RGBA, GL_UNSIGNED_BYTE, white);

    /* The colour tables as 256x1 textures, read with texelFetch. */
    glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
    for (int m = 0; m < HS_COLORMAP_COUNT; m++) {
        r->colormaps[m] = create_texture(GL_NEAREST);
        glTexImage2D(GL_TEXTURE_2D, 0, GL_RGB8, 256, 1, 0, GL_RGB, GL_UNSIGNED_BYTE,
                     hs_colormap_table((hs_colormap)m));
    }
    glPixelStorei(GL_UNPACK_ALIGNMENT, 4);

    for (int i = 0; i < HS_FONT_COUNT; i++) {
        r->fonts[i] = hs_fonts_open((int)lroundf((float)font_pixels[i] * ui_scale));
        if (!r->fonts[i])
            goto fail;
    }
    glEnable(GL_BLEND);
    glBlendFuncSeparate(GL_SRC_ALPHA, GL_ONE_MINUS_SRC_ALPHA, GL_ONE, GL_ONE_MINUS_SRC_ALPHA);
    return r;
fail:
    hs_render_destroy(r);
    return NULL;
}

static void clear_text_cache(hs_renderer *r)
{
    for (int i = 0; i < TEXT_CACHE_SLOTS; i++) {
        if (r->cache[i].text) {
            glDeleteTextures(1, &r->cache[i].texture);
            free(r->cache[i].text);
        }
    }
    memset(r->cache, 0, TEXT_CACHE_SLOTS * sizeof(text_entry));
    r->cache_count = 0;
}

void hs_render_destroy(hs_renderer *r)
{
    if (!r)
        return;
    if (r->cache)
        clear_text_cache(r);
    free(r->cache);
    for (int i = 0; i < HS_FONT_COUNT; i++)
        hs_fonts_close(r->fonts[i]);
    if (r->quad.program)
        glDeleteProgram(r->quad.program);
    if (r->heatmap.program)
        glDeleteProgram(r->heatmap.program);
    if (r->vbo)
        glDeleteBuffers(1, &r->vbo);
    if (r->vao)
        glDeleteVertexArrays(1, &r->vao);
    if (r->white)
        glDeleteTextures(1, &r->white);
    for (int m = 0; m < HS_COLORMAP_COUNT; m++)
        if (r->colormaps[m])
            glDeleteTextures(1, &r->colormaps[m]);
    free(r->batch);
    free(r);
}

/* ---- batch ------------------------------------------------------------- */

void hs_render_begin(hs_renderer *r, int width, int height)
{
    r->width = width;
    r->height = height;
    glViewport(0, 0, width, height);
    glm_ortho(0.0f, (float)width, (float)height, 0.0f, -1.0f, 1.0f, r->projection);
    glDisable(GL_SCISSOR_TEST);
    glClearColor(0.965f, 0.965f, 0.97f, 1.0f);
    glClear(GL_COLOR_BUFFER_BIT);
    r->batch_count = 0;
    r->batch_texture = r->white;
}

void hs_render_flush(hs_renderer *r)
{
    if (r->batch_count == 0)
        return;
    glUseProgram(r->quad.program);
    glUniformMatrix4fv(r->quad.projection, 1, GL_FALSE, (const float *)r->projection);
    glUniform1i(r->quad.image, 0);
    glUniform1i(r->quad.use_texture, 1);
    glActiveTexture(GL_TEXTURE0);
    glBindTexture(GL_TEXTURE_2D, r->batch_texture);
    glBindVertexArray(r->vao);
    glBindBuffer(GL_ARRAY_BUFFER, r->vbo);
    glBufferSubData(GL_ARRAY_BUFFER, 0, (GLsizeiptr)(r->batch_count * sizeof(vertex)), r->batch);
    glDrawArrays(GL_TRIANGLES, 0, r->batch_count);
    r->batch_count = 0;
}

void hs_render_clip(hs_renderer *r, const SDL_Rect *rect)
{
    hs_render_flush(r);
    if (!rect) {
        glDisable(GL_SCISSOR_TEST);
        return;
    }
    glEnable(GL_SCISSOR_TEST);
    glScissor(rect->x, r->height - rect->y - rect->h, rect->w > 0 ? rect->w : 0,
              rect->h > 0 ? rect->h : 0);
}

/* Appends a quad given by four corners (clockwise from top-left) and their
 * texture coordinates. */
static void push_quad(hs_renderer *r, GLuint texture, const float corners[8], const float uv[8],
                      hs_rgba c)
{
    if (texture != r->batch_texture || r->batch_count + 6 > BATCH_VERTICES) {
        hs_render_flush(r);
        r->batch_texture = texture;
    }
    static const int order[6] = {0, 1, 2, 0, 2, 3};
    for (int i = 0; i < 6; i++) {
        int k = order[i];
        r->batch[r->batch_count++] =
            (vertex){corners[2 * k], corners[2 * k + 1], uv[2 * k], uv[2 * k + 1], c.r, c.g, c.b,
                     c.a};
    }
}

static const float full_uv[8] = {0, 0, 1, 0, 1, 1, 0, 1};

void hs_render_rect(hs_renderer *r, float x, float y, float w, float h, hs_rgba color)
{
    const float corners[8] = {x, y, x + w, y, x + w, y + h, x, y + h};
    push_quad(r, r->white, corners, full_uv, color);
}

void hs_render_outline(hs_renderer *r, float x, float y, float w, float h, float t,
                       hs_rgba color)
{
    hs_render_rect(r, x, y, w, t, color);
    hs_render_rect(r, x, y + h - t, w, t, color);
    hs_render_rect(r, x, y + t, t, h - 2 * t, color);
    hs_render_rect(r, x + w - t, y + t, t, h - 2 * t, color);
}

void hs_render_line(hs_renderer *r, float x0, float y0, float x1, float y1, float thickness,
                    hs_rgba color)
{
    float dx = x1 - x0, dy = y1 - y0;
    float length = sqrtf(dx * dx + dy * dy);
    if (length < 1e-6f)
        return;
    float nx = -dy / length * thickness * 0.5f, ny = dx / length * thickness * 0.5f;
    const float corners[8] = {x0 + nx, y0 + ny, x1 + nx, y1 + ny,
                              x1 - nx, y1 - ny, x0 - nx, y0 - ny};
    push_quad(r, r->white, corners, full_uv, color);
}

void hs_render_curve(hs_renderer *r, const float p[8], float thickness, hs_rgba color)
{
    enum { SEGMENTS = 28 };
    float px = p[0], py = p[1];
    for (int i = 1; i <= SEGMENTS; i++) {
        float t = (float)i / SEGMENTS, u = 1.0f - t;
        float a = u * u * u, b = 3 * u * u * t, c = 3 * u * t * t, d = t * t * t;
        float x = a * p[0] + b * p[2] + c * p[4] + d * p[6];
        float y = a * p[1] + b * p[3] + c * p[5] + d * p[7];
        hs_render_line(r, px, py, x, y, thickness, color);
        px = x;
        py = y;
    }
}

/* ---- text -------------------------------------------------------------- */

static uint32_t hash_text(const char *text, int size)
{
    uint32_t h = 2166136261u ^ (uint32_t)size;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h;
}

/* Returns the cached texture of a string, rendering it on first use. */
static const text_entry *lookup_text(hs_renderer *r, hs_font_size size, const char *text)
{
    uint32_t h = hash_text(text, size);
    for (int probe = 0; probe < TEXT_CACHE_SLOTS; probe++) {
        text_entry *e = &r->cache[(h + (uint32_t)probe) % TEXT_CACHE_SLOTS];
        if (!e->text) {
            SDL_Color white = {255, 255, 255, 255};
            SDL_Surface *surface = hs_fonts_render(r->fonts[size], text, white);
            if (!surface)
                return NULL;
            e->text = strdup(text);
            e->size = size;
            e->width = surface->w;
            e->height = surface->h;
            e->texture = create_texture(GL_LINEAR);
            glPixelStorei(GL_UNPACK_ROW_LENGTH, surface->pitch / 4);
            glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, surface->w, surface->h, 0, GL_BGRA,
                         GL_UNSIGNED_BYTE, surface->pixels);
            glPixelStorei(GL_UNPACK_ROW_LENGTH, 0);
            SDL_FreeSurface(surface);
            r->cache_count++;
            return e;
        }
        if (e->size == (int)size && strcmp(e->text, text) == 0)
            return e;
    }
    return NULL;
}

int hs_render_text(hs_renderer *r, hs_font_size size, const char *text, float x, float y,
                   hs_rgba color)
{
    if (!text[0])
        return 0;
    const text_entry *e = lookup_text(r, size, text);
    if (!e)
        return 0;
    x = floorf(x + 0.5f);
    y = floorf(y + 0.5f);
    const float corners[8] = {x, y, x + e->width, y, x + e->width, y + e->height,
                              x, y + e->height};
    push_quad(r, e->texture, corners, full_uv, color);
    return e->width;
}

int hs_render_text_rotated(hs_renderer *r, hs_font_size size, const char *text, float x,
                           float y, hs_rgba color)
{
    if (!text[0])
        return 0;
    const text_entry *e = lookup_text(r, size, text);
    if (!e)
        return 0;
    x = floorf(x + 0.5f);
    y = floorf(y + 0.5f);
    /* Turned 90° counter-clockwise: the text's left edge is at the bottom. */
    float w = (float)e->width, h = (float)e->height;
    const float corners[8] = {x, y, x + h, y, x + h, y + w, x, y + w};
    const float uv[8] = {1, 0, 1, 1, 0, 1, 0, 0};
    push_quad(r, e->texture, corners, uv, color);
    return e->width;
}

int hs_render_text_width(hs_renderer *r, hs_font_size size, const char *text)
{
    if (!text[0])
        return 0;
    const text_entry *e = lookup_text(r, size, text);
    return e ? e->width : 0;
}

int hs_render_measure(hs_renderer *r, hs_font_size size, const char *text, size_t bytes)
{
    if (bytes == 0)
        return 0;
    char *prefix = malloc(bytes + 1);
    int width = 0;
    if (!prefix)
        return 0;
    memcpy(prefix, text, bytes);
    prefix[bytes] = '\0';
    if (hs_fonts_measure(r->fonts[size], prefix, &width) != 0)
        width = 0;
    free(prefix);
    return width;
}

int hs_render_line_height(hs_renderer *r, hs_font_size size)
{
    return hs_fonts_line_height(r->fonts[size]);
}

void hs_render_trim_cache(hs_renderer *r)
{
    if (r->cache_count > TEXT_CACHE_LIMIT) {
        hs_render_flush(r);
        clear_text_cache(r);
    }
}

/* ---- matrices ---------------------------------------------------------- */

void hs_render_matrix_upload(hs_matrix_texture *tex, const float *matrix, int rows, int cols)
{
    if (!tex->texture)
        tex->texture = create_texture(GL_NEAREST);
    glBindTexture(GL_TEXTURE_2D, tex->texture);
    glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_R32F, cols, rows, 0, GL_RED, GL_FLOAT, matrix);
    tex->rows = rows;
    tex->cols = cols;
}

void hs_render_matrix_free(hs_matrix_texture *tex)
{
    if (tex->texture)
        glDeleteTextures(1, &tex->texture);
    memset(tex, 0, sizeof *tex);
}

void hs_render_set_colormap(hs_renderer *r, hs_colormap map)
{
    r->colormap = map;
}

void hs_render_matrix(hs_renderer *r, const hs_matrix_texture *tex, float x, float y, float w,
                      float h, float col0, float row0, float col1, float row1, float scale)
{
    if (!tex->texture)
        return;
    hs_render_flush(r);
    const vertex quad[6] = {
        {x, y, col0, row0, 0, 0, 0, 0},         {x + w, y, col1, row0, 0, 0, 0, 0},
        {x + w, y + h, col1, row1, 0, 0, 0, 0}, {x, y, col0, row0, 0, 0, 0, 0},
        {x + w, y + h, col1, row1, 0, 0, 0, 0}, {x, y + h, col0, row1, 0, 0, 0, 0},
    };
    glUseProgram(r->heatmap.program);
    glUniformMatrix4fv(r->heatmap.projection, 1, GL_FALSE, (const float *)r->projection);
    glUniform1i(r->heatmap.values, 0);
    glUniform1i(r->heatmap.colormap, 1);
    glUniform1f(r->heatmap.scale, scale);
    glActiveTexture(GL_TEXTURE1);
    glBindTexture(GL_TEXTURE_2D, r->colormaps[r->colormap]);
    glActiveTexture(GL_TEXTURE0);
    glBindTexture(GL_TEXTURE_2D, tex->texture);
    glBindVertexArray(r->vao);
    glBindBuffer(GL_ARRAY_BUFFER, r->vbo);
    glBufferSubData(GL_ARRAY_BUFFER, 0, sizeof quad, quad);
    glDrawArrays(GL_TRIANGLES, 0, 6);
}

unsigned char *hs_render_read_pixels(hs_renderer *r, int width, int height)
{
    hs_render_flush(r);
    size_t row = (size_t)width * 4;
    unsigned char *pixels = malloc(row * (size_t)height);
    unsigned char *line = malloc(row);
    if (!pixels || !line) {
        free(pixels);
        free(line);
        return NULL;
    }
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glReadPixels(0, 0, width, height, GL_RGBA, GL_UNSIGNED_BYTE, pixels);
    for (int y = 0; y < height / 2; y++) {
        unsigned char *a = pixels + (size_t)y * row, *b = pixels + (size_t)(height - 1 - y) * row;
        memcpy(line, a, row);
        memcpy(a, b, row);
        memcpy(b, line, row);
    }
    free(line);
    return pixels;
}
