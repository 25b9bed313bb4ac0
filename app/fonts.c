/*
 * fonts.c - font discovery with fontconfig and per-character fallback
 * rendering with SDL2_ttf.
 */
#include "fonts.h"

#include "hs_error.h"

#include <SDL_ttf.h>
#include <fontconfig/fontconfig.h>

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The Latin font, the CJK font and up to six fonts found on demand. */
#define MAX_FACES 8
/* Characters that no font had, remembered so fontconfig is asked once. */
#define MAX_MISSES 64

typedef struct {
    TTF_Font *font;
    char *file;
    int ascent;
    int descent; /* positive: pixels below the baseline */
} face;

struct hs_fonts {
    int pixel_size;
    int ascent;
    int descent;
    face faces[MAX_FACES];
    int face_count;
    uint32_t misses[MAX_MISSES];
    int miss_count;
};

/* ---- fontconfig -------------------------------------------------------- */

/* Returns the file and face index of the best scalable font for family that
 * has every character in chars (count entries), or NULL when none has them.
 * Caller frees the string. */
static char *find_font(const char *family, const uint32_t *chars, int count, int *index)
{
    FcPattern *pattern = FcNameParse((const FcChar8 *)family);
    FcCharSet *required = FcCharSetCreate();
    FcFontSet *set = NULL;
    char *file = NULL;

    if (!pattern || !required)
        goto done;
    for (int i = 0; i < count; i++)
        FcCharSetAddChar(required, chars[i]);
    FcPatternAddCharSet(pattern, FC_CHARSET, required);
    FcPatternAddBool(pattern, FC_SCALABLE, FcTrue);
    FcConfigSubstitute(NULL, pattern, FcMatchPattern);
    FcDefaultSubstitute(pattern);

    /* The sorted list puts the closest family first; the first font that
     * really has every required character wins. */
    FcResult result;
    set = FcFontSort(NULL, pattern, FcFalse, NULL, &result);
    for (int i = 0; set && i < set->nfont && !file; i++) {
        FcCharSet *charset = NULL;
        FcChar8 *path = NULL;
        FcBool scalable = FcFalse;
        if (FcPatternGetCharSet(set->fonts[i], FC_CHARSET, 0, &charset) != FcResultMatch ||
            FcPatternGetString(set->fonts[i], FC_FILE, 0, &path) != FcResultMatch ||
            FcPatternGetBool(set->fonts[i], FC_SCALABLE, 0, &scalable) != FcResultMatch ||
            !scalable)
            continue;
        int has_all = 1;
        for (int c = 0; c < count; c++)
            has_all &= FcCharSetHasChar(charset, chars[c]) == FcTrue;
        if (!has_all)
            continue;
        if (FcPatternGetInteger(set->fonts[i], FC_INDEX, 0, index) != FcResultMatch)
            *index = 0;
        file = strdup((const char *)path);
    }
done:
    if (set)
        FcFontSetDestroy(set);
    if (required)
        FcCharSetDestroy(required);
    if (pattern)
        FcPatternDestroy(pattern);
    return file;
}

/* Opens a font file at the chain's size and appends it. Takes file. */
static int add_face(hs_fonts *fonts, char *file, int index)
{
    TTF_Font *font = TTF_OpenFontIndex(file, fonts->pixel_size, index);
    if (!font) {
        hs_error_set("%s: cannot open font: %s", file, TTF_GetError());
        free(file);
        return -1;
    }
    face *f = &fonts->faces[fonts->face_count++];
    f->font = font;
    f->file = file;
    f->ascent = TTF_FontAscent(font);
    f->descent = -TTF_FontDescent(font);
    return 0;
}

/* Returns the face that draws cp, looking for a new font through fontconfig
 * when no open face has it, or -1 when no font has it. */
static int face_for(hs_fonts *fonts, uint32_t cp)
{
    for (int i = 0; i < fonts->face_count; i++)
        if (TTF_GlyphIsProvided32(fonts->faces[i].font, cp))
            return i;
    for (int i = 0; i < fonts->miss_count; i++)
        if (fonts->misses[i] == cp)
            return -1;

    int index = 0;
    char *file = NULL;
    if (fonts->face_count < MAX_FACES)
        file = find_font("sans-serif", &cp, 1, &index);
    for (int i = 0; file && i < fonts->face_count; i++) {
        if (strcmp(fonts->faces[i].file, file) == 0) {
            /* fontconfig's charset and SDL2_ttf's cmap disagree; trust SDL2_ttf. */
            free(file);
            file = NULL;
        }
    }
    if (file && add_face(fonts, file, index) == 0 &&
        TTF_GlyphIsProvided32(fonts->faces[fonts->face_count - 1].font, cp))
        return fonts->face_count - 1;
    if (fonts->miss_count < MAX_MISSES)
        fonts->misses[fonts->miss_count++] = cp;
    return -1;
}

/* ---- UTF-8 ------------------------------------------------------------- */

/* Decodes one character at s; an invalid sequence decodes to U+FFFD with
 * length 1. Returns the byte length. */
static int utf8_next(const unsigned char *s, uint32_t *cp)
{
    unsigned char c = s[0];
    int len = 0;
    uint32_t value = 0;
    if (c < 0x80) {
        len = 1;
        value = c;
    } else if ((c & 0xE0) == 0xC0) {
        len = 2;
        value = c & 0x1Fu;
    } else if ((c & 0xF0) == 0xE0) {
        len = 3;
        value = c & 0x0Fu;
    } else if ((c & 0xF8) == 0xF0) {
        len = 4;
        value = c & 0x07u;
    }
    for (int i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            len = 0;
            break;
        }
        value = value << 6 | (s[i] & 0x3Fu);
    }
    static const uint32_t min_value[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (len == 0 || value < min_value[len] || value > 0x10FFFF ||
        (value >= 0xD800 && value <= 0xDFFF)) {
        *cp = 0xFFFD;
        return 1;
    }
    *cp = value;
    return len;
}

/* ---- layout ------------------------------------------------------------ */

/* A stretch of text drawn with one face (face -1: one missing character). */
typedef struct {
    int face;
    char *text; /* valid UTF-8 of the run, NUL-terminated */
    int x;
    int width;
} run;

typedef struct {
    run *runs;
    int count;
    int width;
} layout;

static void layout_free(layout *lay)
{
    for (int i = 0; i < lay->count; i++)
        free(lay->runs[i].text);
    free(lay->runs);
    memset(lay, 0, sizeof *lay);
}

/* Width of the box drawn for a character that no font has. */
static int box_width(const hs_fonts *fonts)
{
    return fonts->pixel_size * 3 / 5 + 2;
}

/* Appends the UTF-8 of cp to the last run's text. */
static int append_char(run *r, size_t *length, uint32_t cp)
{
    static const uint8_t lead[5] = {0, 0x00, 0xC0, 0xE0, 0xF0};
    char bytes[4];
    size_t n = 4;
    if (cp < 0x80)
        n = 1;
    else if (cp < 0x800)
        n = 2;
    else if (cp < 0x10000)
        n = 3;
    for (size_t i = n - 1; i > 0; i--, cp >>= 6)
        bytes[i] = (char)(0x80 | (cp & 0x3F));
    bytes[0] = (char)(lead[n] | cp);
    char *grown = realloc(r->text, *length + n + 1);
    if (!grown)
        return -1;
    memcpy(grown + *length, bytes, n);
    *length += n;
    grown[*length] = '\0';
    r->text = grown;
    return 0;
}

/* Splits utf8 into runs of one face each and measures them. */
static int layout_text(hs_fonts *fonts, const char *utf8, layout *lay)
{
    const unsigned char *s = (const unsigned char *)utf8;
    size_t text_length = 0;
    memset(lay, 0, sizeof *lay);
    lay->runs = calloc(strlen(utf8) + 1, sizeof *lay->runs);
    if (!lay->runs)
        goto oom;

    while (*s) {
        uint32_t cp;
        s += utf8_next(s, &cp);
        int f = face_for(fonts, cp);
        run *last = lay->count ? &lay->runs[lay->count - 1] : NULL;
        if (!last || f < 0 || last->face != f) {
            last = &lay->runs[lay->count++];
            last->face = f;
            text_length = 0;
        }
        if (append_char(last, &text_length, cp) != 0)
            goto oom;
    }

    for (int i = 0; i < lay->count; i++) {
        run *r = &lay->runs[i];
        r->x = lay->width;
        if (r->face < 0) {
            r->width = box_width(fonts);
        } else {
            const face *f = &fonts->faces[r->face];
            if (TTF_SizeUTF8(f->font, r->text, &r->width, NULL) != 0) {
                hs_error_set("%s: cannot measure text: %s", f->file, TTF_GetError());
                layout_free(lay);
                return -1;
            }
        }
        lay->width += r->width;
    }
    return 0;
oom:
    layout_free(lay);
    hs_error_set("out of memory laying out text of %zu bytes", strlen(utf8));
    return -1;
}

/* ---- drawing ----------------------------------------------------------- */

/* Merges a rendered run into dst at (x, y). Both are ARGB8888 in one colour,
 * so the coverage of overlapping glyph edges is the larger alpha. */
static void merge_alpha(SDL_Surface *dst, const SDL_Surface *src, int x, int y)
{
    for (int row = 0; row < src->h; row++) {
        int dy = y + row;
        if (dy < 0 || dy >= dst->h)
            continue;
        const uint32_t *in = (const uint32_t *)((const uint8_t *)src->pixels + row * src->pitch);
        uint32_t *out = (uint32_t *)((uint8_t *)dst->pixels + dy * dst->pitch);
        for (int col = 0; col < src->w; col++) {
            int dx = x + col;
            if (dx < 0 || dx >= dst->w)
                continue;
            if ((in[col] >> 24) > (out[dx] >> 24))
                out[dx] = in[col];
        }
    }
}

/* Outlines the box that stands for a missing character. */
static void draw_box(SDL_Surface *dst, int x, int width, int baseline, int height,
                     uint32_t pixel)
{
    int left = x + 1, right = x + width - 2, top = baseline - height, bottom = baseline - 1;
    for (int yy = top; yy <= bottom; yy++) {
        if (yy < 0 || yy >= dst->h)
            continue;
        uint32_t *row = (uint32_t *)((uint8_t *)dst->pixels + yy * dst->pitch);
        for (int xx = left; xx <= right && xx < dst->w; xx++)
            if (yy == top || yy == bottom || xx == left || xx == right)
                row[xx] = pixel;
    }
}

/* ---- public ------------------------------------------------------------ */

static void close_unlocked(hs_fonts *fonts);

static hs_fonts *open_unlocked(int pixel_size)
{
    static const uint32_t latin[] = {'A', 'z', '0', 0xE9 /* é */};
    static const uint32_t cjk[] = {0x4E00 /* 一 */, 0x3042 /* あ */, 0xAC00 /* 가 */};
    int index = 0;

    HS_ASSERT(pixel_size > 0);
    if (!FcInit()) {
        hs_error_set("fontconfig failed to load its configuration");
        return NULL;
    }
    if (TTF_Init() != 0) {
        hs_error_set("SDL2_ttf failed to start: %s", TTF_GetError());
        return NULL;
    }
    hs_fonts *fonts = calloc(1, sizeof *fonts);
    if (!fonts) {
        hs_error_set("out of memory");
        TTF_Quit();
        return NULL;
    }
    fonts->pixel_size = pixel_size;

    char *file = find_font("sans-serif", latin, 4, &index);
    if (!file) {
        hs_error_set("fontconfig found no scalable sans-serif font for Latin text; install "
                     "one, for example Debian's fonts-dejavu-core");
        goto fail;
    }
    if (add_face(fonts, file, index) != 0)
        goto fail;
    file = find_font("sans-serif", cjk, 3, &index);
    if (!file) {
        hs_error_set("fontconfig found no scalable font for Chinese, Japanese and Korean "
                     "text; install one, for example Debian's fonts-noto-cjk");
        goto fail;
    }
    if (add_face(fonts, file, index) != 0)
        goto fail;

    for (int i = 0; i < fonts->face_count; i++) {
        if (fonts->faces[i].ascent > fonts->ascent)
            fonts->ascent = fonts->faces[i].ascent;
        if (fonts->faces[i].descent > fonts->descent)
            fonts->descent = fonts->faces[i].descent;
    }
    return fonts;
fail:
    close_unlocked(fonts);
    return NULL;
}

static void close_unlocked(hs_fonts *fonts)
{
    if (!fonts)
        return;
    for (int i = 0; i < fonts->face_count; i++) {
        TTF_CloseFont(fonts->faces[i].font);
        free(fonts->faces[i].file);
    }
    free(fonts);
    TTF_Quit();
}

int hs_fonts_line_height(const hs_fonts *fonts)
{
    return fonts->ascent + fonts->descent;
}

int hs_fonts_ascent(const hs_fonts *fonts)
{
    return fonts->ascent;
}

const char *hs_fonts_file(const hs_fonts *fonts, int i)
{
    return i >= 0 && i < fonts->face_count ? fonts->faces[i].file : NULL;
}

static int measure_unlocked(hs_fonts *fonts, const char *utf8, int *width)
{
    layout lay;
    if (layout_text(fonts, utf8, &lay) != 0)
        return -1;
    *width = lay.width;
    layout_free(&lay);
    return 0;
}

static SDL_Surface *render_unlocked(hs_fonts *fonts, const char *utf8, SDL_Color color)
{
    layout lay;
    SDL_Surface *out = NULL;

    if (layout_text(fonts, utf8, &lay) != 0)
        return NULL;
    int width = lay.width > 0 ? lay.width : 1;
    int height = hs_fonts_line_height(fonts);
    out = SDL_CreateRGBSurfaceWithFormat(0, width, height, 32, SDL_PIXELFORMAT_ARGB8888);
    if (!out) {
        hs_error_set("cannot create a %dx%d text surface: %s", width, height, SDL_GetError());
        goto done;
    }
    SDL_FillRect(out, NULL, 0);

    uint32_t box_pixel = (uint32_t)color.a << 24 | (uint32_t)color.r << 16 |
                         (uint32_t)color.g << 8 | color.b;
    for (int i = 0; i < lay.count; i++) {
        const run *r = &lay.runs[i];
        if (r->face < 0) {
            draw_box(out, r->x, r->width, fonts->ascent, fonts->faces[0].ascent * 4 / 5, box_pixel);
            continue;
        }
        const face *f = &fonts->faces[r->face];
        SDL_Surface *glyphs = TTF_RenderUTF8_Blended(f->font, r->text, color);
        if (!glyphs && r->width == 0)
            continue; /* SDL2_ttf rejects text of zero width */
        if (!glyphs) {
            hs_error_set("%s: cannot render text: %s", f->file, TTF_GetError());
            SDL_FreeSurface(out);
            out = NULL;
            goto done;
        }
        SDL_Surface *argb = glyphs->format->format == SDL_PIXELFORMAT_ARGB8888
                                ? glyphs
                                : SDL_ConvertSurfaceFormat(glyphs, SDL_PIXELFORMAT_ARGB8888, 0);
        if (!argb) {
            hs_error_set("cannot convert a text surface: %s", SDL_GetError());
            SDL_FreeSurface(glyphs);
            SDL_FreeSurface(out);
            out = NULL;
            goto done;
        }
        merge_alpha(out, argb, r->x, fonts->ascent - f->ascent);
        if (argb != glyphs)
            SDL_FreeSurface(argb);
        SDL_FreeSurface(glyphs);
    }
done:
    layout_free(&lay);
    return out;
}

/* ---- public entry points, serialised ------------------------------------ */

/* SDL2_ttf shares one FreeType library between all fonts and counts
 * TTF_Init() without a lock, so every call that reaches it holds this lock:
 * the window's text and an export thread may then draw at the same time. */
static pthread_mutex_t fonts_lock = PTHREAD_MUTEX_INITIALIZER;

hs_fonts *hs_fonts_open(int pixel_size)
{
    pthread_mutex_lock(&fonts_lock);
    hs_fonts *fonts = open_unlocked(pixel_size);
    pthread_mutex_unlock(&fonts_lock);
    return fonts;
}

void hs_fonts_close(hs_fonts *fonts)
{
    pthread_mutex_lock(&fonts_lock);
    close_unlocked(fonts);
    pthread_mutex_unlock(&fonts_lock);
}

int hs_fonts_measure(hs_fonts *fonts, const char *utf8, int *width)
{
    pthread_mutex_lock(&fonts_lock);
    int status = measure_unlocked(fonts, utf8, width);
    pthread_mutex_unlock(&fonts_lock);
    return status;
}

SDL_Surface *hs_fonts_render(hs_fonts *fonts, const char *utf8, SDL_Color color)
{
    pthread_mutex_lock(&fonts_lock);
    SDL_Surface *surface = render_unlocked(fonts, utf8, color);
    pthread_mutex_unlock(&fonts_lock);
    return surface;
}
