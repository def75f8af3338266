#include "fm_internal.h"
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void fm_set_message(char *buffer, const char *format, ...) {
    va_list args;
    va_start(args, format);
    vsnprintf(buffer, FM_MESSAGE_SIZE, format, args);
    va_end(args);
}

void fm_append_warning(char *buffer, const char *text) {
    size_t used = strlen(buffer);
    if (used + 3 >= FM_MESSAGE_SIZE) return;
    snprintf(buffer + used, FM_MESSAGE_SIZE - used, "%s%s", used ? "; " : "", text);
}

fm_reader *fm_reader_create(void) { return calloc(1, sizeof(fm_reader)); }

fm_status fm_reader_open(fm_reader *r, fm_format format, const uint8_t *data, size_t size, uint64_t max_pixels) {
    if (r->format != 0) {
        fm_set_message(r->message, "the reader is already open");
        return FM_ERR_USAGE;
    }
    r->format = format;
    r->data = data;
    r->size = size;
    switch (format) {
    case FM_FORMAT_PNG: r->status = fm_png_open(r, max_pixels); break;
    case FM_FORMAT_JPEG: r->status = fm_jpeg_open(r, max_pixels); break;
    default:
        fm_set_message(r->message, "unknown format code %d", (int)format);
        r->status = FM_ERR_USAGE;
    }
    return r->status;
}

const fm_image_info *fm_reader_info(const fm_reader *r) { return &r->info; }
uint32_t fm_reader_rows_read(const fm_reader *r) { return r->rows_read; }
const char *fm_reader_message(const fm_reader *r) { return r->message; }
const char *fm_reader_warnings(const fm_reader *r) { return r->warnings; }

fm_status fm_reader_read_rows(fm_reader *r, void *dst, uint32_t rows) {
    if (r->status != FM_OK) return r->status;
    if (r->format == 0) {
        fm_set_message(r->message, "the reader is not open");
        return FM_ERR_USAGE;
    }
    if (rows > r->info.height - r->rows_read) {
        fm_set_message(r->message, "asked for %u rows but only %u are left", rows, r->info.height - r->rows_read);
        return FM_ERR_USAGE;  /* not sticky: the caller can ask again */
    }
    if (rows == 0) return FM_OK;
    fm_status s = r->format == FM_FORMAT_PNG ? fm_png_read_rows(r, dst, rows) : fm_jpeg_read_rows(r, dst, rows);
    r->status = s;
    return s;
}

fm_status fm_reader_read_rows_float(fm_reader *r, float *dst, uint32_t rows) {
    if (r->format == 0 || r->status != FM_OK) return fm_reader_read_rows(r, dst, rows);
    size_t count = (size_t)rows * r->info.width * r->info.channels;
    size_t size = (size_t)r->info.bit_depth / 8;
    /* Sample i lands at byte (4 − size)·count + size·i; float i is written at byte 4i, which
     * never reaches a sample not yet read (4i + 3 < (4 − size)·count + size·(i + 1) for i < count). */
    uint8_t *tail = (uint8_t *)dst + (4 - size) * count;
    fm_status s = fm_reader_read_rows(r, tail, rows);
    if (s != FM_OK) return s;
    if (size == 1) {
        for (size_t i = 0; i < count; i++) { float v = tail[i]; dst[i] = v; }
    } else {
        const uint16_t *wide = (const uint16_t *)tail;
        for (size_t i = 0; i < count; i++) { float v = wide[i]; dst[i] = v; }
    }
    return FM_OK;
}

void fm_reader_destroy(fm_reader *r) {
    if (!r) return;
    if (r->format == FM_FORMAT_PNG) fm_png_close(r);
    if (r->format == FM_FORMAT_JPEG) fm_jpeg_close(r);
    free(r);
}

const char *fm_png_version(void) { return PNG_LIBPNG_VER_STRING; }
int fm_jpeg_version(void) {
#ifdef LIBJPEG_TURBO_VERSION_NUMBER
    return LIBJPEG_TURBO_VERSION_NUMBER;
#else
    return JPEG_LIB_VERSION;
#endif
}

FILE *fm_stdin(void) { return stdin; }
FILE *fm_stdout(void) { return stdout; }
