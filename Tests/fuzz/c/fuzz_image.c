/* libFuzzer harness for featmap's PNG and JPEG readers, through the C shims in Sources/CCodecs
 * exactly as ImageReader drives them: open with a pixel limit, read every row in bands (as uint8/16
 * and as float), then destroy. FM_FUZZ_FORMAT is set at compile time (1 PNG, 2 JPEG). */
#include "fm_codecs.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifndef FM_FUZZ_FORMAT
#error "compile with -DFM_FUZZ_FORMAT=1 (PNG) or 2 (JPEG)"
#endif

/* featmap's default --max-pixels is 256 M; here the limit is one megapixel, so larger headers take the
 * refusal path (tested too) instead of decoding, and every input stays fast under the 2 GB bound. */
#define FUZZ_MAX_PIXELS (1024u * 1024u)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fm_reader *r = fm_reader_create();
    if (!r) return 0;
    fm_status s = fm_reader_open(r, (fm_format)FM_FUZZ_FORMAT, data, size, FUZZ_MAX_PIXELS);
    if (s == FM_OK) {
        const fm_image_info *info = fm_reader_info(r);
        /* The info must be coherent whenever open succeeds. */
        if (info->width == 0 || info->height == 0 || info->channels < 1 || info->channels > 4 ||
            (info->bit_depth != 8 && info->bit_depth != 16) ||
            (uint64_t)info->width * info->height > FUZZ_MAX_PIXELS)
            abort();
        if (info->exif && info->exif_size > size) abort();
        size_t row_floats = (size_t)info->width * (size_t)info->channels;
        uint32_t band = info->height < 7 ? info->height : 7;
        float *buffer = malloc(row_floats * band * sizeof(float));
        if (buffer) {
            /* Alternate between the two read calls, as bands of up to 7 rows (the last one shorter). */
            int which = 0;
            while (fm_reader_rows_read(r) < info->height) {
                uint32_t left = info->height - fm_reader_rows_read(r);
                uint32_t n = left < band ? left : band;
                s = which ? fm_reader_read_rows_float(r, buffer, n) : fm_reader_read_rows(r, buffer, n);
                which ^= 1;
                if (s != FM_OK) break;
            }
            free(buffer);
        }
    }
    const char *m = fm_reader_message(r);
    /* Every failure has a message, except "too large", which ImageReader words itself from the info. */
    if (s != FM_OK && s != FM_ERR_TOO_LARGE && m[0] == '\0') abort();
    if (strchr(m, '\n')) abort();             /* and it is one line */
    (void)fm_reader_warnings(r);
    fm_reader_destroy(r);
    return 0;
}
