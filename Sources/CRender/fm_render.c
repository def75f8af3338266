#include "fm_render.h"
#include <cairo-ft.h>
#include <cairo-pdf.h>
#include <ft2build.h>
#include FT_FREETYPE_H
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

// The font is compiled in (C23 #embed, which clang supports in every C mode), so that an installed
// binary draws the same text on any machine, with no font files or fontconfig to find.
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wc23-extensions"
static const unsigned char font_data[] = {
#embed "DejaVuSans-featmap.ttf"
};
#pragma clang diagnostic pop

static pthread_once_t font_once = PTHREAD_ONCE_INIT;
static cairo_font_face_t *font_face;

static void make_face(void) {
    FT_Library library;
    FT_Face face;
    if (FT_Init_FreeType(&library) != 0) return;
    if (FT_New_Memory_Face(library, font_data, (FT_Long)sizeof font_data, 0, &face) != 0) return;
    cairo_font_face_t *f = cairo_ft_font_face_create_for_ft_face(face, 0);
    if (cairo_font_face_status(f) != CAIRO_STATUS_SUCCESS) { cairo_font_face_destroy(f); return; }
    // The FT_Face and library live as long as the process: the face is shared by every picture.
    font_face = f;
}

cairo_font_face_t *fm_font_face(void) {
    pthread_once(&font_once, make_face);
    return font_face;
}

const unsigned char *fm_font_data(size_t *size) {
    *size = sizeof font_data;
    return font_data;
}

static cairo_status_t append(void *closure, const unsigned char *data, unsigned int length) {
    fm_bytes *b = closure;
    if (b->failed) return CAIRO_STATUS_WRITE_ERROR;
    if (b->size + length > b->capacity) {
        size_t capacity = b->capacity ? b->capacity : 65536;
        while (capacity < b->size + length) capacity *= 2;
        unsigned char *grown = realloc(b->data, capacity);
        if (!grown) { b->failed = 1; return CAIRO_STATUS_NO_MEMORY; }
        b->data = grown;
        b->capacity = capacity;
    }
    memcpy(b->data + b->size, data, length);
    b->size += length;
    return CAIRO_STATUS_SUCCESS;
}

cairo_surface_t *fm_pdf_surface(double width, double height, fm_bytes *out) {
    memset(out, 0, sizeof *out);
    cairo_surface_t *s = cairo_pdf_surface_create_for_stream(append, out, width, height);
    cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATOR, "featmap");
    return s;
}

void fm_bytes_free(fm_bytes *bytes) {
    free(bytes->data);
    memset(bytes, 0, sizeof *bytes);
}
