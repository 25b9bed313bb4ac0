/*
 * fonts.h - text for labels and titles: fonts found through fontconfig,
 * rendered with SDL2_ttf into ARGB8888 surfaces. Needs no display and no
 * SDL_Init().
 *
 * An hs_fonts is a chain of fonts at one pixel size: a Latin sans-serif font
 * first, then a sans-serif font that covers Chinese, Japanese and Korean,
 * then fonts that fontconfig finds on demand for characters neither has. Each
 * character is drawn with the first font in the chain that provides its
 * glyph. A character that no installed font has is drawn as an outlined box,
 * so it is never silently dropped.
 *
 * SDL2_ttf shares one FreeType library between all fonts, so the functions
 * below take one process-wide lock: any thread may call them.
 */
#ifndef HS_FONTS_H
#define HS_FONTS_H

#include <SDL.h>

typedef struct hs_fonts hs_fonts;

/* Finds the Latin and the CJK font through fontconfig and opens both at
 * pixel_size pixels per em (SDL2_ttf point size at 72 dpi). Calls TTF_Init(),
 * which SDL2_ttf counts, so several instances (for several sizes) may be open
 * at once. Returns NULL with an error when either font is missing (the message
 * names the Debian package to install) or cannot be opened. Close with
 * hs_fonts_close(). */
hs_fonts *hs_fonts_open(int pixel_size);

/* Closes the fonts and releases this instance's TTF_Init(). NULL is allowed. */
void hs_fonts_close(hs_fonts *fonts);

/* Returns the height of a rendered line in pixels, the same for every string:
 * the largest ascent plus the largest descent of the Latin and CJK fonts. */
int hs_fonts_line_height(const hs_fonts *fonts);

/* Returns the distance from the top of a rendered line to its baseline. */
int hs_fonts_ascent(const hs_fonts *fonts);

/* Measures the width in pixels that hs_fonts_render() gives utf8, without
 * rendering. Invalid UTF-8 bytes count as U+FFFD. Returns 0, or -1 with an
 * error when SDL2_ttf fails. */
int hs_fonts_measure(hs_fonts *fonts, const char *utf8, int *width);

/* Renders one line of UTF-8 text in color onto a transparent ARGB8888
 * surface that is hs_fonts_measure() wide (at least 1 pixel) and
 * hs_fonts_line_height() high, with the baseline hs_fonts_ascent() below the
 * top. Glyphs of a font found on demand that reach beyond the line are cut.
 * Invalid UTF-8 bytes are drawn as U+FFFD. Returns NULL with an error when
 * SDL2_ttf fails or memory runs out. Free with SDL_FreeSurface(). */
SDL_Surface *hs_fonts_render(hs_fonts *fonts, const char *utf8, SDL_Color color);

/* Returns the file of font i in the chain (0 = Latin, 1 = CJK), or NULL when
 * there is no such font. For messages and tests. */
const char *hs_fonts_file(const hs_fonts *fonts, int i);

#endif
