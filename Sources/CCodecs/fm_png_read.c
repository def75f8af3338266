#include "fm_internal.h"
#include <stdlib.h>
#include <pthread.h>
#include <string.h>

/* CRC-32 of ISO 3309 / ITU-T V.42 as the PNG specification (section 5.5) defines it. */
static uint32_t crc_table[256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;
static void crc_init(void) {
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[n] = c;
    }
}
static uint32_t crc32_of(const uint8_t *p, size_t n) {
    pthread_once(&crc_once, crc_init);
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) c = crc_table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}
static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

static void chunk_name(const uint8_t *p, char out[5]) {
    for (int i = 0; i < 4; i++) out[i] = (p[i] >= 32 && p[i] < 127) ? (char)p[i] : '?';
    out[4] = 0;
}

/* The chunk that contains byte `offset`, for "file ends inside IDAT" messages. */
static void chunk_at(const uint8_t *data, size_t size, size_t offset, char out[16]) {
    size_t p = 8;
    strcpy(out, "signature");
    while (p + 8 <= size) {
        uint32_t len = be32(data + p);
        chunk_name(data + p + 4, out);
        if (len > 0x7FFFFFFFu || offset < p + 12 + (size_t)len) return;
        p += 12 + (size_t)len;
    }
}

/*
 * Walks the chunk structure before libpng sees the data: the signature, IHDR first, every
 * chunk inside the file, critical-chunk CRCs, an IDAT and an IEND. This gives precise
 * messages and rejects a damaged file before any row has been handed out.
 */
static fm_status prescan(fm_reader *r) {
    const uint8_t *d = r->data;
    size_t n = r->size;
    static const uint8_t signature[8] = {137, 80, 78, 71, 13, 10, 26, 10};
    if (n < 8 || memcmp(d, signature, 8) != 0) {
        if (n < 8 && memcmp(d, signature, n) == 0) {
            fm_set_message(r->message, "file ends inside the PNG signature (%zu bytes)", n);
            return FM_ERR_TRUNCATED;
        }
        fm_set_message(r->message, "bad PNG signature");
        return FM_ERR_CORRUPT;
    }
    size_t p = 8;
    int index = 0, saw_idat = 0, saw_iend = 0;
    char name[16] = "", last[16] = "signature";
    while (p < n) {
        if (n - p < 8) {
            fm_set_message(r->message, "file ends inside a chunk header after %s", last);
            return FM_ERR_TRUNCATED;
        }
        uint32_t len = be32(d + p);
        chunk_name(d + p + 4, name);
        if (len > 0x7FFFFFFFu) {
            fm_set_message(r->message, "chunk %s at byte %zu claims %u bytes, over the PNG limit of 2^31-1", name, p, len);
            return FM_ERR_CORRUPT;
        }
        if (n - p - 8 < (size_t)len + 4) {
            fm_set_message(r->message, "file ends inside %s", name);
            return FM_ERR_TRUNCATED;
        }
        if (index == 0 && (strcmp(name, "IHDR") != 0 || len != 13)) {
            fm_set_message(r->message, "missing IHDR chunk (the first chunk is %s)", name);
            return FM_ERR_CORRUPT;
        }
        uint32_t stored = be32(d + p + 8 + len);
        int critical = (d[p + 4] & 0x20) == 0;
        if (critical && crc32_of(d + p + 4, (size_t)len + 4) != stored) {
            fm_set_message(r->message, "bad CRC in the %s chunk at byte %zu", name, p);
            return FM_ERR_CORRUPT;
        }
        if (index == 0) {
            r->info.width = be32(d + p + 8);
            r->info.height = be32(d + p + 12);
            r->info.source_bit_depth = d[p + 16];
            r->info.source_color = d[p + 17];
            r->info.interlaced = d[p + 20] != 0;
        }
        if (strcmp(name, "IDAT") == 0) saw_idat = 1;
        if (strcmp(name, "IEND") == 0) { saw_iend = 1; break; }
        memcpy(last, name, 5);  /* chunk names are 4 characters + NUL */
        p += 12 + (size_t)len;
        index++;
    }
    if (index == 0 && !saw_iend) {
        fm_set_message(r->message, "file ends right after the PNG signature");
        return FM_ERR_TRUNCATED;
    }
    if (!saw_idat) {
        fm_set_message(r->message, "no IDAT chunk (the file holds no image data)");
        return FM_ERR_CORRUPT;
    }
    if (!saw_iend) {
        fm_set_message(r->message, "file ends after %s, before the IEND chunk", last);
        return FM_ERR_TRUNCATED;
    }
    return FM_OK;
}

static void png_mem_read(png_structp png, png_bytep out, size_t count) {
    fm_reader *r = png_get_io_ptr(png);
    if (count > r->size - r->pos) {
        char name[16];
        chunk_at(r->data, r->size, r->size, name);
        fm_set_message(r->message, "file ends inside %s", name);
        r->status = FM_ERR_TRUNCATED;
        png_error(png, r->message);
    }
    memcpy(out, r->data + r->pos, count);
    r->pos += count;
}

static void png_on_error(png_structp png, png_const_charp text) {
    fm_reader *r = png_get_error_ptr(png);
    if (r->status == FM_OK) {
        r->status = FM_ERR_CORRUPT;
        fm_set_message(r->message, "%s", text);
    }
    png_longjmp(png, 1);
}

static void png_on_warning(png_structp png, png_const_charp text) {
    fm_reader *r = png_get_error_ptr(png);
    fm_append_warning(r->warnings, text);
}

fm_status fm_png_open(fm_reader *r, uint64_t max_pixels) {
    fm_status s = prescan(r);
    if (s != FM_OK) return s;
    if (r->info.width == 0 || r->info.height == 0) {
        fm_set_message(r->message, "IHDR gives an empty image (%u×%u)", r->info.width, r->info.height);
        return FM_ERR_CORRUPT;
    }
    if ((uint64_t)r->info.width * r->info.height > max_pixels) return FM_ERR_TOO_LARGE;

    r->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, r, png_on_error, png_on_warning);
    if (!r->png) { fm_set_message(r->message, "out of memory creating the PNG decoder"); return FM_ERR_NO_MEMORY; }
    r->png_info = png_create_info_struct(r->png);
    if (!r->png_info) { fm_set_message(r->message, "out of memory creating the PNG decoder"); return FM_ERR_NO_MEMORY; }
    if (setjmp(png_jmpbuf(r->png))) return r->status == FM_OK ? FM_ERR_CORRUPT : r->status;

    /* Our own pixel limit (checked above) is the one that counts; libpng's defaults
     * (1,000,000 pixels per side) would reject legitimate panoramas. */
    png_set_user_limits(r->png, 0x7FFFFFFF, 0x7FFFFFFF);
    /* featmap reads pixels only: the colour profile and the text chunks are skipped unread (their
     * compressed bodies could inflate to gigabytes), and no other ancillary chunk may make libpng
     * allocate more than 8 MB (its own default, set here so that it cannot change under us). */
    static const png_byte skipped[] = "iCCP\0zTXt\0tEXt\0iTXt\0";
    png_set_keep_unknown_chunks(r->png, PNG_HANDLE_CHUNK_NEVER, skipped, 4);
    png_set_chunk_malloc_max(r->png, 8u << 20);
    png_set_read_fn(r->png, r, png_mem_read);
    png_read_info(r->png, r->png_info);

    /* Palette → RGB, grey of 1/2/4 bits → 8 bits scaled to 0…255, tRNS → a full alpha channel.
     * No gamma, no 16→8 reduction: samples stay as stored. */
    png_set_expand(r->png);
    if (png_get_bit_depth(r->png, r->png_info) == 16) {
        const uint16_t probe = 1;
        if (*(const uint8_t *)&probe == 1) png_set_swap(r->png);  /* PNG is big-endian */
    }
    int passes = png_set_interlace_handling(r->png);
    png_read_update_info(r->png, r->png_info);

    r->info.channels = png_get_channels(r->png, r->png_info);
    r->info.bit_depth = png_get_bit_depth(r->png, r->png_info);
    r->png_row_bytes = png_get_rowbytes(r->png, r->png_info);
    r->info.needs_whole_image = passes > 1;
    if (r->info.bit_depth != 8 && r->info.bit_depth != 16) {
        fm_set_message(r->message, "unexpected decoded bit depth %d", r->info.bit_depth);
        return FM_ERR_UNSUPPORTED;
    }
    return FM_OK;
}

fm_status fm_png_read_rows(fm_reader *r, uint8_t *dst, uint32_t rows) {
    if (setjmp(png_jmpbuf(r->png))) return r->status == FM_OK ? FM_ERR_CORRUPT : r->status;
    if (r->info.needs_whole_image) {
        if (!r->whole) {
            /* Adam7 passes each touch every row band, so the image is decoded in one go. */
            size_t total = r->png_row_bytes * r->info.height;
            r->whole = malloc(total ? total : 1);
            r->row_pointers = malloc(sizeof(png_bytep) * r->info.height);
            png_bytep *pointers = r->row_pointers;
            if (!r->whole || !pointers) {
                fm_set_message(r->message, "out of memory for a %u×%u interlaced image", r->info.width, r->info.height);
                r->status = FM_ERR_NO_MEMORY;
                return r->status;
            }
            for (uint32_t y = 0; y < r->info.height; y++) pointers[y] = r->whole + r->png_row_bytes * y;
            png_read_image(r->png, pointers);
            png_read_end(r->png, NULL);
        }
        memcpy(dst, r->whole + r->png_row_bytes * r->rows_read, r->png_row_bytes * rows);
        r->rows_read += rows;
        return FM_OK;
    }
    for (uint32_t i = 0; i < rows; i++) {
        png_read_row(r->png, dst + r->png_row_bytes * i, NULL);
        r->rows_read++;
    }
    if (r->rows_read == r->info.height) png_read_end(r->png, NULL);
    return FM_OK;
}

void fm_png_close(fm_reader *r) {
    if (r->png) png_destroy_read_struct(&r->png, r->png_info ? &r->png_info : NULL, NULL);
    free(r->whole);
    free(r->row_pointers);
    r->whole = NULL;
    r->row_pointers = NULL;
}
