#include "fm_internal.h"
#include <stdlib.h>
#include <string.h>

#define FM_WRITE_FAILED() (w->status == FM_OK ? FM_ERR_IO : w->status)

fm_writer *fm_writer_create(void) { return calloc(1, sizeof(fm_writer)); }
const char *fm_writer_message(const fm_writer *w) { return w->message; }

static void png_on_write_error(png_structp png, png_const_charp text) {
    fm_writer *w = png_get_error_ptr(png);
    if (w->status == FM_OK) {
        /* libpng's stdio writer says "Write Error" when fwrite comes up short. */
        w->status = strstr(text, "Write Error") ? FM_ERR_IO : FM_ERR_USAGE;
        fm_set_message(w->message, "%s", text);
    }
    png_longjmp(png, 1);
}

static void png_on_write_warning(png_structp png, png_const_charp text) {
    fm_writer *w = png_get_error_ptr(png);
    fm_append_warning(w->warnings, text);
}

static fm_status check_open(fm_writer *w, FILE *file, uint32_t width, uint32_t height) {
    if (w->format != 0) { fm_set_message(w->message, "the writer is already open"); return FM_ERR_USAGE; }
    if (!file) { fm_set_message(w->message, "no output file"); return FM_ERR_USAGE; }
    if (width == 0 || height == 0 || width > 0x7FFFFFFF || height > 0x7FFFFFFF) {
        fm_set_message(w->message, "cannot write a %u×%u image", width, height);
        return FM_ERR_USAGE;
    }
    return FM_OK;
}

fm_status fm_writer_open_png(fm_writer *w, FILE *file, uint32_t width, uint32_t height, int channels, int bit_depth,
                             int compression_level) {
    fm_status s = check_open(w, file, width, height);
    if (s != FM_OK) return s;
    if (channels < 1 || channels > 4 || (bit_depth != 8 && bit_depth != 16)) {
        fm_set_message(w->message, "PNG takes 1–4 channels at 8 or 16 bits, not %d channels at %d bits", channels, bit_depth);
        return FM_ERR_USAGE;
    }
    w->format = FM_FORMAT_PNG;
    w->file = file;
    w->width = width; w->height = height; w->channels = channels; w->bit_depth = bit_depth;
    w->png = png_create_write_struct(PNG_LIBPNG_VER_STRING, w, png_on_write_error, png_on_write_warning);
    if (!w->png) { fm_set_message(w->message, "out of memory creating the PNG encoder"); return w->status = FM_ERR_NO_MEMORY; }
    w->png_info = png_create_info_struct(w->png);
    if (!w->png_info) { fm_set_message(w->message, "out of memory creating the PNG encoder"); return w->status = FM_ERR_NO_MEMORY; }
    if (setjmp(png_jmpbuf(w->png))) return w->status = FM_WRITE_FAILED();
    static const int color_types[5] = {0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA, PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGB_ALPHA};
    png_set_user_limits(w->png, 0x7FFFFFFF, 0x7FFFFFFF);
    png_init_io(w->png, file);
    /* Speed (docs/benchmark.md): by default featmap filters and compresses the rows itself
     * (fm_png_fast.c: segments of Up-filtered rows deflated by ISA-L at level 1, or of
     * Paeth-filtered rows as Huffman-only blocks, whichever is smaller) and libpng writes the chunks. A level the
     * caller gives (0–9) goes through libpng and zlib at that level, with the Paeth filter on every
     * row (libpng's default tries all five filters on every row). */
    int fast = !(compression_level >= 0 && compression_level <= 9);
    if (!fast) {
        png_set_compression_level(w->png, compression_level);
        png_set_filter(w->png, PNG_FILTER_TYPE_BASE, PNG_FILTER_PAETH);
    }
    png_set_IHDR(w->png, w->png_info, width, height, bit_depth, color_types[channels],
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(w->png, w->png_info);
    if (fast) return fm_png_fast_open(w);
    if (bit_depth == 16) {
        const uint16_t probe = 1;
        if (*(const uint8_t *)&probe == 1) png_set_swap(w->png);
    }
    return FM_OK;
}

fm_status fm_writer_open_jpeg(fm_writer *w, FILE *file, uint32_t width, uint32_t height, int channels, int quality) {
    fm_status s = check_open(w, file, width, height);
    if (s != FM_OK) return s;
    if ((channels != 1 && channels != 3) || quality < 1 || quality > 100) {
        fm_set_message(w->message, "JPEG takes 1 or 3 channels and quality 1–100, not %d channels at quality %d", channels, quality);
        return FM_ERR_USAGE;
    }
    if (width > JPEG_MAX_DIMENSION || height > JPEG_MAX_DIMENSION) {
        fm_set_message(w->message, "JPEG images are at most %d pixels on a side, not %u×%u", JPEG_MAX_DIMENSION, width, height);
        return FM_ERR_USAGE;
    }
    w->format = FM_FORMAT_JPEG;
    w->file = file;
    w->width = width; w->height = height; w->channels = channels; w->bit_depth = 8;
    fm_jpeg_install_errors(&w->jpeg_error, &w->status, w->message, w->warnings, 0);
    w->jpeg.err = &w->jpeg_error.pub;
    if (setjmp(w->jpeg_error.jump)) return w->status = FM_WRITE_FAILED();
    jpeg_create_compress(&w->jpeg);
    w->jpeg_created = 1;
    jpeg_stdio_dest(&w->jpeg, file);
    w->jpeg.image_width = width;
    w->jpeg.image_height = height;
    w->jpeg.input_components = channels;
    w->jpeg.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&w->jpeg);
    jpeg_set_quality(&w->jpeg, quality, TRUE);
    jpeg_start_compress(&w->jpeg, TRUE);
    return FM_OK;
}

fm_status fm_writer_write_rows(fm_writer *w, const void *rows, uint32_t count) {
    if (w->status != FM_OK) return w->status;
    if (w->format == 0 || w->finished) { fm_set_message(w->message, "the writer is not open"); return FM_ERR_USAGE; }
    if (count > w->height - w->rows_written) {
        fm_set_message(w->message, "%u more rows given but the image has only %u left", count, w->height - w->rows_written);
        return FM_ERR_USAGE;
    }
    size_t row_bytes = (size_t)w->width * w->channels * (w->bit_depth / 8);
    const uint8_t *p = rows;
    if (w->format == FM_FORMAT_PNG) {
        if (setjmp(png_jmpbuf(w->png))) return w->status = FM_WRITE_FAILED();
        if (w->fast) {
            fm_status s = fm_png_fast_write(w, p, count);
            if (s != FM_OK) return s;
            w->rows_written += count;
            return FM_OK;
        }
        for (uint32_t i = 0; i < count; i++) {
            png_write_row(w->png, p + row_bytes * i);
            w->rows_written++;
        }
    } else {
        if (setjmp(w->jpeg_error.jump)) return w->status = FM_WRITE_FAILED();
        for (uint32_t i = 0; i < count; i++) {
            JSAMPROW row = (JSAMPROW)(p + row_bytes * i);
            jpeg_write_scanlines(&w->jpeg, &row, 1);
            w->rows_written++;
        }
    }
    return FM_OK;
}

fm_status fm_writer_write_rows_float(fm_writer *w, const float *rows, uint32_t count, int source_channels, float scale) {
    if (w->status != FM_OK) return w->status;
    if (w->format == 0 || w->finished) { fm_set_message(w->message, "the writer is not open"); return FM_ERR_USAGE; }
    if (source_channels < w->channels || source_channels > w->channels + 1) {
        fm_set_message(w->message, "%d source channels cannot make %d", source_channels, w->channels);
        return FM_ERR_USAGE;
    }
    size_t samples = (size_t)w->width * w->channels;
    if (!w->row) {
        w->row = malloc(samples * (w->bit_depth / 8));
        if (!w->row) { fm_set_message(w->message, "out of memory"); return w->status = FM_ERR_NO_MEMORY; }
    }
    const float top = w->bit_depth == 16 ? 65535.0f : 255.0f;
    for (uint32_t y = 0; y < count; y++) {
        const float *src = rows + (size_t)y * w->width * source_channels;
        for (size_t x = 0; x < w->width; x++) {
            for (int k = 0; k < w->channels; k++) {
                /* Round half away from zero, then clamp; for v ≥ 0 that is ⌊v + ½⌋, exact in double
                 * (roundf is a libm call on baseline x86-64). NaN fails both tests and gives 0. */
                float v = src[x * source_channels + k] * scale;
                unsigned c = v >= top ? (unsigned)top : (v > 0 ? (unsigned)((double)v + 0.5) : 0u);
                if (c > (unsigned)top) c = (unsigned)top;
                size_t i = x * w->channels + k;
                if (w->bit_depth == 16) ((uint16_t *)w->row)[i] = (uint16_t)c;
                else w->row[i] = (uint8_t)c;
            }
        }
        fm_status s = fm_writer_write_rows(w, w->row, 1);
        if (s != FM_OK) return s;
    }
    return FM_OK;
}

fm_status fm_writer_finish(fm_writer *w) {
    if (w->status != FM_OK) return w->status;
    if (w->format == 0 || w->finished) { fm_set_message(w->message, "the writer is not open"); return FM_ERR_USAGE; }
    if (w->rows_written != w->height) {
        fm_set_message(w->message, "only %u of %u rows were written", w->rows_written, w->height);
        return w->status = FM_ERR_USAGE;
    }
    if (w->format == FM_FORMAT_PNG) {
        if (setjmp(png_jmpbuf(w->png))) return w->status = FM_WRITE_FAILED();
        if (w->fast) {
            fm_status s = fm_png_fast_finish(w);
            if (s != FM_OK) return s;
        } else {
            png_write_end(w->png, NULL);
        }
    } else {
        if (setjmp(w->jpeg_error.jump)) return w->status = FM_WRITE_FAILED();
        jpeg_finish_compress(&w->jpeg);
    }
    w->finished = 1;
    if (ferror(w->file)) {
        fm_set_message(w->message, "write error");
        return w->status = FM_ERR_IO;
    }
    return FM_OK;
}

void fm_writer_destroy(fm_writer *w) {
    if (!w) return;
    fm_png_fast_destroy(w);
    if (w->png) png_destroy_write_struct(&w->png, w->png_info ? &w->png_info : NULL);
    if (w->jpeg_created && setjmp(w->jpeg_error.jump) == 0) jpeg_destroy_compress(&w->jpeg);
    free(w->row);
    free(w);
}
