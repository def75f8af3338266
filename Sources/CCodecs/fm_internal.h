/* Private to CCodecs: the handle layouts shared by the PNG and JPEG halves. */
#ifndef FM_INTERNAL_H
#define FM_INTERNAL_H
#include "fm_codecs.h"
#include <setjmp.h>
#include <png.h>
#include <jpeglib.h>

#define FM_MESSAGE_SIZE 512

/* libjpeg's error manager extended with our jmp_buf and a back pointer for the message. */
typedef struct {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
    fm_status *status;
    char *message;
    char *warnings;
    int is_decoder;
} fm_jpeg_error;

struct fm_reader {
    fm_format format;
    fm_status status;            /* sticky: once failed, every later call returns it */
    fm_image_info info;
    const uint8_t *data;
    size_t size, pos;
    uint32_t rows_read;
    char message[FM_MESSAGE_SIZE];
    char warnings[FM_MESSAGE_SIZE];
    /* PNG */
    png_structp png;
    png_infop png_info;
    size_t png_row_bytes;
    uint8_t *whole;              /* whole decoded image when needs_whole_image (interlaced PNG) */
    png_bytep *row_pointers;     /* into `whole`; owned here so a longjmp cannot leak it */
    /* JPEG */
    struct jpeg_decompress_struct jpeg;
    fm_jpeg_error jpeg_error;
    int jpeg_created, jpeg_cmyk, jpeg_adobe;
    uint8_t *cmyk_row;
};

struct fm_writer {
    fm_format format;
    fm_status status;
    FILE *file;
    uint32_t width, height, rows_written;
    int channels, bit_depth;
    int finished;
    char message[FM_MESSAGE_SIZE];
    char warnings[FM_MESSAGE_SIZE];
    png_structp png;
    png_infop png_info;
    struct jpeg_compress_struct jpeg;
    fm_jpeg_error jpeg_error;
    int jpeg_created;
    uint8_t *row;                /* one converted row for fm_writer_write_rows_float */
    /* PNG at the default setting: featmap filters and compresses the rows (fm_png_fast.c); libpng
     * writes the chunks. */
    struct fm_png_fast *fast;
};

void fm_set_message(char *buffer, const char *format, ...);
void fm_append_warning(char *buffer, const char *text);

fm_status fm_png_open(fm_reader *r, uint64_t max_pixels);
fm_status fm_png_read_rows(fm_reader *r, uint8_t *dst, uint32_t rows);
void fm_png_close(fm_reader *r);
fm_status fm_jpeg_open(fm_reader *r, uint64_t max_pixels);
fm_status fm_jpeg_read_rows(fm_reader *r, uint8_t *dst, uint32_t rows);
void fm_jpeg_close(fm_reader *r);

/* The default PNG encoder: segments of rows through ISA-L's deflate (Up filter) or as Huffman-only
 * blocks (Paeth), libpng's chunk writer. Every call that may reach libpng expects the caller's setjmp
 * on png_jmpbuf(w->png). */
fm_status fm_png_fast_open(fm_writer *w);
fm_status fm_png_fast_write(fm_writer *w, const uint8_t *rows, uint32_t count);
fm_status fm_png_fast_finish(fm_writer *w);
void fm_png_fast_destroy(fm_writer *w);

void fm_jpeg_install_errors(fm_jpeg_error *e, fm_status *status, char *message, char *warnings, int is_decoder);
#endif
