/*
 * png.c - PNG encoding with stb_image_write, compressed by zlib.
 *
 * stb_image_write's own deflate took about 80 ms per 1100 x 1100 heatmap
 * image, and zlib at level 1 about 8 ms (bench/bench_export.c on a 2-core
 * x86-64 machine). So this file compiles a private, static copy of
 * stb_image_write from Debian's libstb-dev header and plugs zlib's
 * compress2() in through STBIW_ZLIB_COMPRESS.
 */
#include "png.h"

#include "hs_error.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* Compresses data into a zlib stream for stb_image_write; the caller (stb)
 * frees the result with free(). Returns NULL when memory runs out. */
static unsigned char *png_deflate(unsigned char *data, int data_len, int *out_len, int quality)
{
    (void)quality;
    uLongf size = compressBound((uLong)data_len);
    unsigned char *out = malloc(size);
    if (!out)
        return NULL;
    if (compress2(out, &size, data, (uLong)data_len, Z_BEST_SPEED) != Z_OK) {
        free(out);
        return NULL;
    }
    *out_len = (int)size;
    return out;
}

#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STBIW_ZLIB_COMPRESS png_deflate
#define STBIW_CRC32(buffer, length) ((unsigned int)crc32(0, (buffer), (uInt)(length)))
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmissing-prototypes"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wsign-compare"
#include <stb/stb_image_write.h>
#pragma GCC diagnostic pop

typedef struct {
    FILE *file;
    int failed;
    int error;
} png_sink;

static void png_sink_write(void *context, void *data, int size)
{
    png_sink *sink = context;
    if (!sink->failed && fwrite(data, 1, (size_t)size, sink->file) != (size_t)size) {
        sink->failed = 1;
        sink->error = errno;
    }
}

int hs_png_write(FILE *file, const char *path, int width, int height, const unsigned char *rgb)
{
    png_sink sink = {file, 0, 0};

    /* The "up" filter turns each repeated heatmap row into zeros. Trying all
     * five filters per row, stb's default, doubled the time and gave no
     * smaller files in bench_export. */
    stbi_write_force_png_filter = 2;
    if (!stbi_write_png_to_func(png_sink_write, &sink, width, height, 3, rgb, width * 3)) {
        hs_error_set("%s: out of memory encoding a %dx%d PNG", path, width, height);
        return -1;
    }
    if (sink.failed) {
        hs_error_set("%s: write failed: %s", path, strerror(sink.error));
        return -1;
    }
    return 0;
}
