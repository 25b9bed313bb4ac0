/*
 * png.h - PNG encoding of RGB images into an open file.
 */
#ifndef HS_PNG_H
#define HS_PNG_H

#include <stdio.h>

/* Encodes an 8-bit RGB image ([height][width][3], rows packed) as PNG and
 * writes it to file. Returns 0, or -1 with an error naming path (used only in
 * the message) when encoding runs out of memory or a write fails. */
int hs_png_write(FILE *file, const char *path, int width, int height, const unsigned char *rgb);

#endif
