#ifndef FM_RENDER_H
#define FM_RENDER_H
// The C side of featmap's pictures: the bundled font as a Cairo font face, and a PDF surface
// that writes into memory (so that the output goes through featmap's atomic file writer).
#include <stddef.h>
#include <cairo.h>

/// DejaVu Sans (the subset in DejaVuSans-featmap.ttf, compiled into the binary) as a Cairo font
/// face, made once and shared; NULL if FreeType cannot read it. Owned by this module: do not destroy.
cairo_font_face_t *fm_font_face(void);

/// The embedded font file's bytes, for writers that embed the font themselves.
const unsigned char *fm_font_data(size_t *size);

/// Bytes appended by a Cairo stream callback; `failed` is set when memory runs out.
typedef struct {
    unsigned char *data;
    size_t size;
    size_t capacity;
    int failed;
} fm_bytes;

/// A PDF surface of width × height points whose file is collected in `out` (freed with fm_bytes_free).
cairo_surface_t *fm_pdf_surface(double width, double height, fm_bytes *out);
void fm_bytes_free(fm_bytes *bytes);

#endif
