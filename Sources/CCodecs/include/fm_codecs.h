#ifndef FM_CODECS_H
#define FM_CODECS_H
/*
 * C shims over libpng and libjpeg(-turbo). Both libraries report errors with longjmp,
 * which must never cross a Swift frame, so every call that can jump lives inside one of
 * the functions below: each owns the jmp_buf and returns an fm_status, and the handle
 * keeps a one-line message (the pattern of libpng's simplified png_image_* API).
 *
 * Reading is handle-based and row-streaming:
 *   fm_reader_create → fm_reader_open(memory buffer) → fm_reader_info → fm_reader_read_rows … → fm_reader_destroy
 * Writing likewise:
 *   fm_writer_create → fm_writer_open_png / _jpeg(FILE *) → fm_writer_write_rows … → fm_writer_finish → fm_writer_destroy
 * The memory given to fm_reader_open must stay alive until fm_reader_destroy.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum {
    FM_OK = 0,
    FM_ERR_CORRUPT = 1,      /* the data is damaged: bad CRC, bad Huffman code, missing chunk… */
    FM_ERR_TRUNCATED = 2,    /* the data ends early */
    FM_ERR_TOO_LARGE = 3,    /* width × height is over the caller's pixel limit (info has the size) */
    FM_ERR_UNSUPPORTED = 4,  /* valid but not something these shims decode */
    FM_ERR_NO_MEMORY = 5,
    FM_ERR_IO = 6,           /* writing to the FILE * failed */
    FM_ERR_USAGE = 7,        /* the caller broke the API's contract (too many rows, bad depth…) */
} fm_status;

typedef enum { FM_FORMAT_PNG = 1, FM_FORMAT_JPEG = 2 } fm_format;

typedef struct {
    uint32_t width, height;   /* as stored, before any EXIF orientation */
    int channels;             /* decoded samples per pixel: 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA */
    int bit_depth;            /* decoded sample size: 8 (uint8) or 16 (native-endian uint16) */
    int source_bit_depth;     /* as stored: 1, 2, 4, 8 or 16 */
    int source_color;         /* PNG colour type (0,2,3,4,6) or libjpeg J_COLOR_SPACE of the file */
    int interlaced;           /* PNG Adam7, or JPEG with several scans (progressive) */
    int needs_whole_image;    /* decoding holds the whole image in memory, not just a band of rows */
    const uint8_t *exif;      /* JPEG APP1 Exif payload from the TIFF header on, or NULL */
    size_t exif_size;
} fm_image_info;

typedef struct fm_reader fm_reader;

fm_reader *fm_reader_create(void);                 /* NULL only when out of memory */
/* Reads the header only; fails with FM_ERR_TOO_LARGE (and the size in the info) before any
 * pixel buffer is allocated when width × height > max_pixels. */
fm_status fm_reader_open(fm_reader *r, fm_format format, const uint8_t *data, size_t size, uint64_t max_pixels);
const fm_image_info *fm_reader_info(const fm_reader *r);
/* Decodes the next `rows` rows into dst (rows × width × channels samples of bit_depth). */
fm_status fm_reader_read_rows(fm_reader *r, void *dst, uint32_t rows);
/* The same rows as float samples in native units (0…255 or 0…65535): decoded into the tail of
 * dst and widened in place, so no second buffer is needed. */
fm_status fm_reader_read_rows_float(fm_reader *r, float *dst, uint32_t rows);
uint32_t fm_reader_rows_read(const fm_reader *r);
const char *fm_reader_message(const fm_reader *r); /* the error, one line, "" when none */
const char *fm_reader_warnings(const fm_reader *r);/* warnings the libraries emitted, '; '-separated */
void fm_reader_destroy(fm_reader *r);

typedef struct fm_writer fm_writer;

fm_writer *fm_writer_create(void);
/* channels 1–4; bit_depth 8 or 16 (rows then hold native-endian uint16); compression_level
 * 0–9 for libpng and zlib at that level (Paeth filter), or −1 for featmap's own encoder (fm_png_fast.c:
 * ISA-L's deflate or Huffman-only segments, whichever is smaller). */
fm_status fm_writer_open_png(fm_writer *w, FILE *file, uint32_t width, uint32_t height, int channels, int bit_depth,
                             int compression_level);
/* channels 1 or 3 (8-bit samples); quality 1–100. */
fm_status fm_writer_open_jpeg(fm_writer *w, FILE *file, uint32_t width, uint32_t height, int channels, int quality);
fm_status fm_writer_write_rows(fm_writer *w, const void *rows, uint32_t count);
/* Rows of float samples with `source_channels` per pixel (the writer's channels, or one more
 * when an alpha channel is to be dropped for JPEG): each sample is multiplied by `scale`,
 * rounded half away from zero and clamped into 0…2^depth − 1 (NaN → 0). */
fm_status fm_writer_write_rows_float(fm_writer *w, const float *rows, uint32_t count, int source_channels, float scale);
fm_status fm_writer_finish(fm_writer *w);
const char *fm_writer_message(const fm_writer *w);
void fm_writer_destroy(fm_writer *w);

/*
 * Process-wide registry of temporary files that are being written, so that a signal handler
 * can remove them: fm_pending_unlink_all only reads fixed slots and calls unlink(2), both
 * async-signal-safe. Returns 0 when the registry is full (the file is then not tracked).
 */
int fm_pending_add(const char *path);
void fm_pending_remove(const char *path);
void fm_pending_unlink_all(void);

/*
 * Unnamed output files (Linux O_TMPFILE): fm_open_unnamed makes a file with no name in `folder`,
 * mode 0666 less the umask; -1 with errno set when the file system or kernel cannot (featmap then
 * falls back to a hidden named file). fm_link_unnamed gives it the name `path`, failing with EEXIST
 * when that exists (through /proc/self/fd, which needs no privilege, unlike AT_EMPTY_PATH).
 * A file that is never linked vanishes when its descriptor closes, also on kill -9.
 */
int fm_open_unnamed(const char *folder);
int fm_link_unnamed(int fd, const char *path);

/* The standard streams as functions: Swift 6 rejects the C globals as shared mutable state. */
FILE *fm_stdin(void);
FILE *fm_stdout(void);

/* Library versions, for diagnostics. */
const char *fm_png_version(void);
int fm_jpeg_version(void);

/* Large blocks from the heap, and freed memory kept for reuse (glibc's mallopt). Returns 1 when
   glibc took both settings, 0 otherwise (another C library). */
int fm_keep_freed_memory(void);

#endif
