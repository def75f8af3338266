#include "fm_internal.h"
#include <stdlib.h>
#include <string.h>

#define FM_JPEG_FAILED() (r->status == FM_OK ? FM_ERR_CORRUPT : r->status)

fm_status fm_jpeg_open(fm_reader *r, uint64_t max_pixels) {
    struct jpeg_decompress_struct *cinfo = &r->jpeg;
    fm_jpeg_install_errors(&r->jpeg_error, &r->status, r->message, r->warnings, 1);
    cinfo->err = &r->jpeg_error.pub;
    if (setjmp(r->jpeg_error.jump)) return FM_JPEG_FAILED();
    jpeg_create_decompress(cinfo);
    r->jpeg_created = 1;
    if (r->size == 0) { fm_set_message(r->message, "empty JPEG data"); return FM_ERR_TRUNCATED; }
    jpeg_mem_src(cinfo, r->data, (unsigned long)r->size);
    jpeg_save_markers(cinfo, JPEG_APP0 + 1, 0xFFFF);
    jpeg_read_header(cinfo, TRUE);

    r->info.width = cinfo->image_width;
    r->info.height = cinfo->image_height;
    r->info.source_bit_depth = cinfo->data_precision;
    r->info.source_color = cinfo->jpeg_color_space;
    r->info.bit_depth = 8;
    if ((uint64_t)cinfo->image_width * cinfo->image_height > max_pixels) return FM_ERR_TOO_LARGE;

    for (jpeg_saved_marker_ptr m = cinfo->marker_list; m; m = m->next) {
        if (m->marker == JPEG_APP0 + 1 && m->data_length > 6 && memcmp(m->data, "Exif\0\0", 6) == 0) {
            r->info.exif = m->data + 6;
            r->info.exif_size = m->data_length - 6;
            break;
        }
    }
    switch (cinfo->jpeg_color_space) {
    case JCS_GRAYSCALE:
        cinfo->out_color_space = JCS_GRAYSCALE;
        r->info.channels = 1;
        break;
    case JCS_CMYK: case JCS_YCCK:
        /* libjpeg turns YCCK into CMYK; CMYK → RGB is ours (below). */
        cinfo->out_color_space = JCS_CMYK;
        r->info.channels = 3;
        r->jpeg_cmyk = 1;
        r->jpeg_adobe = cinfo->saw_Adobe_marker;
        break;
    default:
        cinfo->out_color_space = JCS_RGB;
        r->info.channels = 3;
    }
    r->info.interlaced = jpeg_has_multiple_scans(cinfo);
    /* A multi-scan (progressive) file is buffered whole as DCT coefficients inside libjpeg. */
    r->info.needs_whole_image = r->info.interlaced;
    jpeg_start_decompress(cinfo);
    if (cinfo->output_components != (r->jpeg_cmyk ? 4 : r->info.channels)) {
        fm_set_message(r->message, "unexpected number of decoded components (%d)", cinfo->output_components);
        return FM_ERR_UNSUPPORTED;
    }
    if (r->jpeg_cmyk) {
        r->cmyk_row = malloc((size_t)cinfo->output_width * 4);
        if (!r->cmyk_row) { fm_set_message(r->message, "out of memory"); return FM_ERR_NO_MEMORY; }
    }
    return FM_OK;
}

/* (a·b + 128 + ((a·b + 128) >> 8)) >> 8 = round(a·b / 255) for a, b in 0…255. */
static inline uint8_t mul_div_255(int a, int b) {
    int t = a * b + 128;
    return (uint8_t)((t + (t >> 8)) >> 8);
}

/*
 * Naive CMYK → RGB: R = (255 − C)(255 − K)/255, written as (255 − K) − C(255 − K)/255.
 * Adobe (Photoshop) files store CMYK inverted, so their samples are 255 − C etc.
 */
static void cmyk_to_rgb(const uint8_t *in, uint8_t *out, uint32_t width, int inverted) {
    for (uint32_t x = 0; x < width; x++, in += 4, out += 3) {
        int c = in[0], m = in[1], y = in[2], k = in[3];
        if (inverted) { c = 255 - c; m = 255 - m; y = 255 - y; k = 255 - k; }
        int nk = 255 - k;
        out[0] = (uint8_t)(nk - mul_div_255(c, nk));
        out[1] = (uint8_t)(nk - mul_div_255(m, nk));
        out[2] = (uint8_t)(nk - mul_div_255(y, nk));
    }
}

fm_status fm_jpeg_read_rows(fm_reader *r, uint8_t *dst, uint32_t rows) {
    struct jpeg_decompress_struct *cinfo = &r->jpeg;
    if (setjmp(r->jpeg_error.jump)) return FM_JPEG_FAILED();
    size_t row_bytes = (size_t)r->info.width * r->info.channels;
    for (uint32_t i = 0; i < rows; i++) {
        JSAMPROW row = r->jpeg_cmyk ? r->cmyk_row : dst + row_bytes * i;
        if (jpeg_read_scanlines(cinfo, &row, 1) != 1) {
            /* With a memory source libjpeg never suspends; zero lines means it gave up. */
            fm_set_message(r->message, "decoder returned no row %u", r->rows_read);
            return FM_ERR_CORRUPT;
        }
        if (r->jpeg_cmyk) cmyk_to_rgb(r->cmyk_row, dst + row_bytes * i, r->info.width, r->jpeg_adobe);
        r->rows_read++;
    }
    /* Reading to EOI reports a file that ends inside later data (JWRN_JPEG_EOF). */
    if (r->rows_read == r->info.height) jpeg_finish_decompress(cinfo);
    return FM_OK;
}

void fm_jpeg_close(fm_reader *r) {
    if (r->jpeg_created) {
        /* jpeg_destroy never errors, but keep a jump target in case the library misbehaves. */
        if (setjmp(r->jpeg_error.jump) == 0) jpeg_destroy_decompress(&r->jpeg);
        r->jpeg_created = 0;
    }
    free(r->cmyk_row);
    r->cmyk_row = NULL;
}
