/* The default PNG encoder (docs/benchmark.md). libpng writes the signature, IHDR, the IDAT and IEND
 * chunks and their CRCs; featmap filters the rows and compresses them into one zlib stream, which
 * is what libpng would do with zlib.
 *
 * The rows are cut into segments of about half a megabyte of filtered bytes (a whole number of
 * rows, fixed by the width, so the bytes do not depend on how the caller splits the image into
 * bands). Each segment is compressed on its own and ends byte-aligned, and one of two ways is used:
 *   - LZ: every row Up-filtered (each byte minus the byte above it), compressed by ISA-L's deflate
 *     at level 1. This suits smooth pictures, where LZ77 finds long matches.
 *   - Huffman: every row Paeth-filtered, written as one dynamic-Huffman deflate block of literals
 *     only. ISA-L builds the code and the block header from the residuals' histogram
 *     (isal_create_hufftables_subset); featmap writes the codes. This suits noise-like pictures
 *     such as edge maps, where LZ77 finds few matches and costs the most: there this way is both
 *     smaller and faster. (ISA-L's codes stop at 13 bits, which costs a little size against an
 *     unrestricted code.)
 * Which way: the first segment and every FM_PROBE_EVERY-th after it are a probe, compressed both
 * ways, and the smaller is kept; the segments in between use the probe's winner. While LZ is the
 * winner, every FM_SAMPLE_EVERY-th row is also Paeth-filtered, and when the sample's Huffman code,
 * scaled to the segment, would beat the segment's LZ size, the next segment is a probe: so a switch
 * to Huffman waits one segment, not up to FM_PROBE_EVERY. The stream's Adler-32 is ISA-L's
 * (isal_adler32). (Measurements: docs/benchmark.md#png-segments.) */
#include "fm_internal.h"
#include "fm_testing.h"
#include <isa-l/igzip_lib.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* Exported by libisal (the AVX2/AVX-512 Adler-32 its zlib wrapper uses) but not declared in
 * Debian's igzip_lib.h for 2.30. */
extern uint32_t isal_adler32(uint32_t init, const unsigned char *buf, uint64_t len);

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "write_huffman stores its bit buffer little-endian"
#endif

enum {
    FM_IDAT_BYTES = 1 << 18,
    FM_SEGMENT_BYTES = 1 << 19,  /* filtered bytes per segment, at least one row */
    FM_INPUT_PADDING = 64,       /* zeros after ISA-L's input */
    FM_PROBE_EVERY = 16,         /* segments */
    FM_SAMPLE_EVERY = 16,        /* rows */
};

enum { FM_FILTER_UP = 2, FM_FILTER_PAETH = 4 };
enum { FM_MODE_LZ, FM_MODE_HUFFMAN };

struct fm_png_fast {
    struct isal_zstream stream;
    uint8_t *level_buf;
    size_t row_bytes;            /* bytes of one raw row (big-endian samples) */
    size_t bpp;                  /* bytes per pixel, the distance of Paeth's left neighbour */
    size_t segment_rows;         /* rows per segment */
    size_t rows;                 /* rows of the current segment filtered so far */
    uint64_t segments;           /* segments written */
    int mode;                    /* the way that won the last probe */
    int lz, huffman;             /* the ways the current segment is filtered for */
    size_t sampled;              /* LZ alone: rows Paeth-filtered as a sample, packed in paeth_lines */
    int probe_next;              /* the sample says Huffman would win: probe the next segment */
    uint8_t *previous;           /* the last raw row written (zeros before the first) */
    uint8_t *current;            /* scratch: a 16-bit row turned big-endian */
    uint8_t *up_lines;           /* the segment's lines (filter byte + filtered row), Up */
    uint8_t *paeth_lines;        /* the same, Paeth */
    uint8_t *lz_out, *huff_out;  /* each way's compressed segment */
    uint32_t *pairs;             /* write_huffman's table of codes for every pair of bytes */
    size_t out_capacity;
    uint32_t adler;
    uint8_t *idat;               /* compressed bytes not yet written as a chunk */
    size_t idat_used;
};

static atomic_int pair_codes = 1;

void fm_png_fast_use_pair_codes(int enabled) { atomic_store(&pair_codes, enabled != 0); }

static const png_byte idat_name[5] = {'I', 'D', 'A', 'T', '\0'};
static const png_byte iend_name[5] = {'I', 'E', 'N', 'D', '\0'};

static fm_status fail(fm_writer *w, fm_status status, const char *what, int code) {
    fm_set_message(w->message, what, code);
    return w->status = status;
}

/* Appends compressed bytes to the IDAT data, writing a chunk each time FM_IDAT_BYTES fill. */
static void emit(fm_writer *w, const uint8_t *bytes, size_t n) {
    struct fm_png_fast *f = w->fast;
    while (n > 0) {
        size_t take = FM_IDAT_BYTES - f->idat_used < n ? FM_IDAT_BYTES - f->idat_used : n;
        memcpy(f->idat + f->idat_used, bytes, take);
        f->idat_used += take; bytes += take; n -= take;
        if (f->idat_used == FM_IDAT_BYTES) {
            png_write_chunk(w->png, idat_name, f->idat, f->idat_used);
            f->idat_used = 0;
        }
    }
}

fm_status fm_png_fast_open(fm_writer *w) {
    struct fm_png_fast *f = calloc(1, sizeof *f);
    if (!f) return fail(w, FM_ERR_NO_MEMORY, "out of memory starting the PNG encoder", 0);
    w->fast = f;
    f->bpp = (size_t)w->channels * (w->bit_depth / 8);
    f->row_bytes = (size_t)w->width * f->bpp;
    f->segment_rows = FM_SEGMENT_BYTES / (f->row_bytes + 1);
    if (f->segment_rows < 1) f->segment_rows = 1;
    if (f->segment_rows > w->height) f->segment_rows = w->height; /* buffers no larger than the image */
    size_t lines = f->segment_rows * (f->row_bytes + 1);
    /* Worst cases: ISA-L falls back to stored blocks (5 bytes per 64 KiB); a Huffman block spends
     * at most 15 bits a byte, plus its header and the byte-aligning empty stored block. */
    f->out_capacity = 2 * lines + 1024;
    f->level_buf = calloc(1, ISAL_DEF_LVL1_DEFAULT);
    f->previous = calloc(1, f->row_bytes);
    f->current = malloc(f->row_bytes);
    /* Zeroed, with zeros after the last line: nothing ISA-L's vector code might read beyond what
     * it was given comes from an earlier allocation. */
    f->up_lines = calloc(1, lines + FM_INPUT_PADDING);
    f->paeth_lines = malloc(lines);
    f->lz_out = malloc(f->out_capacity);
    f->huff_out = malloc(f->out_capacity);
    f->idat = malloc(FM_IDAT_BYTES);
    f->pairs = malloc(65536 * sizeof *f->pairs);
    if (!f->pairs || !f->level_buf || !f->previous || !f->current || !f->up_lines || !f->paeth_lines || !f->lz_out || !f->huff_out || !f->idat)
        return fail(w, FM_ERR_NO_MEMORY, "out of memory starting the PNG encoder", 0);
    f->adler = 1;
    f->mode = FM_MODE_LZ;
    isal_deflate_init(&f->stream);
    static const uint8_t zlib_header[2] = {0x78, 0x01}; /* deflate, 32 KiB window, no dictionary */
    emit(w, zlib_header, 2);
    return FM_OK;
}

/* Line y of the segment: the filter byte, then row y filtered against the row above it. Both
 * filters, and the loop that writes Huffman codes, are also built for x86-64-v4 (AVX-512) and v3
 * (AVX2, BMI2), chosen when the program starts: the byte loops vectorise (Paeth's in 16-bit lanes),
 * and BMI2's shifts speed up the code loop (docs/benchmark.md#png-segments). */
#if defined(__x86_64__)
#define FM_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define FM_CLONES
#endif

FM_CLONES static void filter_up(uint8_t *restrict line, const uint8_t *restrict row,
                                const uint8_t *restrict above, size_t n) {
    line[0] = FM_FILTER_UP;
    for (size_t i = 0; i < n; i++) line[i + 1] = (uint8_t)(row[i] - above[i]);
}

/* PNG's Paeth predictor: of the byte to the left (a), above (b) and above-left (c), the one nearest
 * to a + b − c, ties going to a, then b. |p − a| = |b − c|, |p − b| = |a − c|, |p − c| = |a + b − 2c|. */
FM_CLONES static void filter_paeth(uint8_t *restrict line, const uint8_t *restrict row,
                                   const uint8_t *restrict above, size_t n, size_t bpp) {
    line[0] = FM_FILTER_PAETH;
    /* The first pixel has no left neighbours (a = c = 0): Paeth predicts the byte above. */
    for (size_t i = 0; i < bpp && i < n; i++) line[i + 1] = (uint8_t)(row[i] - above[i]);
    for (size_t i = bpp; i < n; i++) {
        int16_t a = row[i - bpp], b = above[i], c = above[i - bpp];
        int16_t pa = (int16_t)(b - c), pb = (int16_t)(a - c), pc = (int16_t)(pa + pb);
        pa = pa < 0 ? (int16_t)-pa : pa;
        pb = pb < 0 ? (int16_t)-pb : pb;
        pc = pc < 0 ? (int16_t)-pc : pc;
        int16_t predicted = (pa <= pb && pa <= pc) ? a : (pb <= pc ? b : c);
        line[i + 1] = (uint8_t)(row[i] - (uint8_t)predicted);
    }
}

/* Compresses `n` bytes of Up lines with ISA-L into lz_out; returns the size, or 0 on failure. The
 * stream is reset for each segment and ends with a full flush: byte-aligned, no history kept. */
static size_t compress_lz(struct fm_png_fast *f, size_t n, int *code) {
    memset(f->up_lines + n, 0, FM_INPUT_PADDING);
    isal_deflate_reset(&f->stream);
    f->stream.level = 1;
    f->stream.level_buf = f->level_buf;
    f->stream.level_buf_size = ISAL_DEF_LVL1_DEFAULT;
    f->stream.gzip_flag = IGZIP_DEFLATE;
    f->stream.flush = FULL_FLUSH;
    f->stream.end_of_stream = 0;
    f->stream.next_in = f->up_lines;
    f->stream.avail_in = (uint32_t)n;
    f->stream.next_out = f->lz_out;
    f->stream.avail_out = (uint32_t)f->out_capacity;
    int rc = isal_deflate(&f->stream);
    /* Done when all the input is taken and the flush written (ISA-L is back to a new block). */
    if (rc != COMP_OK || f->stream.avail_in != 0 || f->stream.internal_state.state != ZSTATE_NEW_HDR) {
        *code = rc;
        return 0;
    }
    return f->out_capacity - f->stream.avail_out;
}

/* A Huffman-only block of the Paeth lines: its code, and (when built from every line) its exact size
 * in bits: header, literals, end of block, and the empty stored block that byte-aligns it. */
struct huffman_block {
    struct isal_hufftables tables;
    uint64_t header_bits, code_bits, bits;
};

/* The code for `count` lines of paeth_lines, from the histogram of every `step`-th. With step 1 the
 * code covers the bytes present and the size is exact; otherwise every byte value gets a code (one
 * left out of the sample may still occur) and the size is not known. Counting is a large share of
 * the Huffman way's time, and a code from a sample of the lines is barely larger
 * (docs/benchmark.md#png-segments). */
static int plan_huffman(struct fm_png_fast *f, size_t count, size_t step, struct huffman_block *block) {
    size_t line = f->row_bytes + 1;
    uint32_t counts[4][256];
    memset(counts, 0, sizeof counts);
    for (size_t y = 0; y < count; y += step) {
        const uint8_t *p = f->paeth_lines + y * line;
        size_t i = 0;
        for (; i + 4 <= line; i += 4) { counts[0][p[i]]++; counts[1][p[i + 1]]++; counts[2][p[i + 2]]++; counts[3][p[i + 3]]++; }
        for (; i < line; i++) counts[0][p[i]]++;
    }
    struct isal_huff_histogram histogram;
    memset(&histogram, 0, sizeof histogram);
    for (int s = 0; s < 256; s++)
        histogram.lit_len_histogram[s] = (uint64_t)counts[0][s] + counts[1][s] + counts[2][s] + counts[3][s];
    histogram.lit_len_histogram[256] = 1; /* end of block */
    int exact = step == 1;
    if ((exact ? isal_create_hufftables_subset : isal_create_hufftables)(&block->tables, &histogram) != 0) return -1;
    block->header_bits = (uint64_t)block->tables.deflate_hdr_count * 8 + block->tables.deflate_hdr_extra_bits;
    block->code_bits = 0;
    for (int s = 0; s <= 256; s++) block->code_bits += histogram.lit_len_histogram[s] * block->tables.lit_table_sizes[s];
    uint64_t bits = block->header_bits + block->code_bits + 3; /* then the stored block's header, */
    block->bits = exact ? (bits + 7) / 8 * 8 + 32 : 0;         /* to the byte, then LEN and NLEN */
    return 0;
}

/* The bit writer of write_codes and write_huffman: `buffer` holds `used` bits not yet stored at `out`. */
#define FM_PUT(value, count) do { buffer |= (uint64_t)(value) << used; used += (count); } while (0)
#define FM_STORE() do { memcpy(out, &buffer, 8); out += used / 8; buffer = (used / 8 == 8) ? 0 : buffer >> (used / 8 * 8); used %= 8; } while (0)

/* Writes the codes of `n` bytes (a multiple of 12) after the `used` bits waiting in `buffer`; returns
 * where the next whole byte goes. */
FM_CLONES static uint8_t *write_codes(uint8_t *out, uint64_t *buffer_io, unsigned *used_io, const uint8_t *p,
                                      size_t n, const uint32_t *pairs, const struct isal_hufftables *t) {
    uint64_t buffer = *buffer_io;
    unsigned used = *used_io;
    if (pairs) {
        for (size_t i = 0; i < n; i += 4) {
            uint32_t a = pairs[p[i] | (unsigned)p[i + 1] << 8], b = pairs[p[i + 2] | (unsigned)p[i + 3] << 8];
            FM_PUT(a & 0x3FFFFFF, a >> 26);
            FM_PUT(b & 0x3FFFFFF, b >> 26);
            FM_STORE();
        }
    } else {
        for (size_t i = 0; i < n; i += 3) {
            FM_PUT(t->lit_table[p[i]], t->lit_table_sizes[p[i]]);
            FM_PUT(t->lit_table[p[i + 1]], t->lit_table_sizes[p[i + 1]]);
            FM_PUT(t->lit_table[p[i + 2]], t->lit_table_sizes[p[i + 2]]);
            FM_STORE();
        }
    }
    *buffer_io = buffer;
    *used_io = used;
    return out;
}

/* Writes the block planned above into huff_out; returns its size in bytes. Codes are stored
 * bit-reversed by ISA-L, ready to be written least significant bit first as deflate packs them.
 * Bits collect in a 64-bit word, little-endian, whose whole bytes are stored after every few codes:
 * fewer than 8 bits wait after a store. When no code is longer than 13 bits (ISA-L's codes stopped
 * at 13 on every picture measured), codes go two at a time from a table of every pair of bytes
 * (`pairs`: both codes in 26 bits, their total length above), two pairs (at most 52 bits) between
 * stores; otherwise three codes (at most 45 bits) between stores. */
static size_t write_huffman(struct fm_png_fast *f, size_t n, const struct huffman_block *block) {
    uint8_t *out = f->huff_out;
    uint64_t buffer = 0;
    unsigned used = 0;
    const struct isal_hufftables *t = &block->tables;
    for (uint32_t k = 0; k < t->deflate_hdr_count; k++) {
        uint8_t byte = t->deflate_hdr[k];
        if (k == 0) byte &= 0xFE; /* BFINAL = 0: the stream goes on */
        FM_PUT(byte, 8); FM_STORE();
    }
    if (t->deflate_hdr_extra_bits > 0) {
        uint8_t byte = t->deflate_hdr[t->deflate_hdr_count];
        if (t->deflate_hdr_count == 0) byte &= 0xFE;
        FM_PUT(byte & ((1u << t->deflate_hdr_extra_bits) - 1), t->deflate_hdr_extra_bits);
    }
    unsigned longest = 0;
    for (int s = 0; s < 256; s++) if (t->lit_table_sizes[s] > longest) longest = t->lit_table_sizes[s];
    const uint8_t *p = f->paeth_lines;
    int use_pairs = longest <= 13 && atomic_load(&pair_codes);
    if (use_pairs) {
        /* A pair's codes fit in 26 bits and its length in 5 more: a 256 KiB table. */
        uint32_t *pairs = f->pairs;
        for (int hi = 0; hi < 256; hi++) {
            uint32_t code_hi = t->lit_table[hi], length_hi = t->lit_table_sizes[hi];
            for (int lo = 0; lo < 256; lo++) {
                uint32_t code_lo = t->lit_table[lo], length_lo = t->lit_table_sizes[lo];
                pairs[hi << 8 | lo] = (code_lo | code_hi << length_lo) | (length_lo + length_hi) << 26;
            }
        }
    }
    size_t i = n / 12 * 12; /* a multiple of both loops' steps */
    out = write_codes(out, &buffer, &used, p, i, use_pairs ? f->pairs : NULL, t);
    for (; i < n; i++) { FM_PUT(t->lit_table[p[i]], t->lit_table_sizes[p[i]]); FM_STORE(); }
    FM_PUT(t->lit_table[256], t->lit_table_sizes[256]);
    FM_PUT(0, 3);                       /* an empty stored block, not final: */
    FM_STORE();
    if (used > 0) { FM_PUT(0, 8 - used); FM_STORE(); }  /* to the byte, */
    static const uint8_t lengths[4] = {0x00, 0x00, 0xFF, 0xFF}; /* LEN 0, NLEN ~0 */
    memcpy(out, lengths, 4);
    out += 4;
#undef FM_PUT
#undef FM_STORE
    return (size_t)(out - f->huff_out);
}

/* Compresses the segment's lines, and emits the smaller way (a probe) or the one chosen. */
static fm_status flush_segment(fm_writer *w) {
    struct fm_png_fast *f = w->fast;
    size_t rows = f->rows, line = f->row_bytes + 1, n = rows * line;
    if (rows == 0) return FM_OK;
    int probe = f->lz && f->huffman, lz = f->lz, huffman = f->huffman;
    size_t lz_size = 0;
    int code = 0;
    if (lz && (lz_size = compress_lz(f, n, &code)) == 0)
        return fail(w, FM_ERR_USAGE, "ISA-L deflate failed (code %d)", code);
    struct huffman_block block;
    if (!huffman && f->sampled > 0 && plan_huffman(f, f->sampled, 1, &block) == 0) {
        /* LZ alone: the sampled rows' code, scaled to the segment, estimates the Huffman block. When
         * it would be smaller, the next segment is a probe. */
        uint64_t estimate = block.header_bits + block.code_bits * rows / f->sampled + 35;
        if (estimate / 8 < lz_size) f->probe_next = 1;
    }
    if (huffman && plan_huffman(f, rows, probe ? 1 : 4, &block) != 0) {
        if (!lz) return fail(w, FM_ERR_USAGE, "ISA-L could not build a Huffman code (%d)", -1);
        huffman = 0;
    }
    int use_huffman = huffman && (!lz || block.bits / 8 < lz_size);
    if (probe) f->mode = use_huffman ? FM_MODE_HUFFMAN : FM_MODE_LZ;
    if (use_huffman) {
        size_t size = write_huffman(f, n, &block);
        emit(w, f->huff_out, size);
        f->adler = isal_adler32(f->adler, f->paeth_lines, n);
    } else {
        emit(w, f->lz_out, lz_size);
        f->adler = isal_adler32(f->adler, f->up_lines, n);
    }
    f->rows = 0;
    f->segments++;
    return FM_OK;
}

/* Filters each row into the current segment's lines, for the ways the segment is to be tried: both
 * on a probe, else the last probe's winner. Rows are filtered where they are, against the row above
 * (the caller's, or the last one kept from the previous call). */
fm_status fm_png_fast_write(fm_writer *w, const uint8_t *rows, uint32_t count) {
    struct fm_png_fast *f = w->fast;
    size_t n = f->row_bytes, line = n + 1;
    const uint16_t probe = 1;
    int swap = w->bit_depth == 16 && *(const uint8_t *)&probe == 1;
    const uint8_t *above = f->previous;
    for (uint32_t y = 0; y < count; y++) {
        const uint8_t *row = rows + n * y;
        if (swap) {
            /* PNG stores 16-bit samples big-endian; the rows come in the machine's order. */
            for (size_t i = 0; i < n; i += 2) { f->current[i] = row[i + 1]; f->current[i + 1] = row[i]; }
            row = f->current;
        }
        if (f->rows == 0) {
            int probing = f->probe_next || f->segments % FM_PROBE_EVERY == 0;
            f->lz = probing || f->mode == FM_MODE_LZ;
            f->huffman = probing || f->mode == FM_MODE_HUFFMAN;
            f->probe_next = 0;
            f->sampled = 0;
        }
        if (f->lz) filter_up(f->up_lines + f->rows * line, row, above, n);
        if (f->huffman) filter_paeth(f->paeth_lines + f->rows * line, row, above, n, f->bpp);
        else if (f->rows % FM_SAMPLE_EVERY == 0) filter_paeth(f->paeth_lines + f->sampled++ * line, row, above, n, f->bpp);
        if (swap) { /* this row becomes `previous`; the old one is scratch for the next */
            uint8_t *t = f->previous; f->previous = f->current; f->current = t;
        }
        above = row;
        if (++f->rows == f->segment_rows) {
            fm_status s = flush_segment(w);
            if (s != FM_OK) return s;
        }
    }
    /* The caller's rows are only lent: keep the last one for the next call. */
    if (!swap && count > 0) memcpy(f->previous, rows + n * (count - 1), n);
    return FM_OK;
}

fm_status fm_png_fast_finish(fm_writer *w) {
    struct fm_png_fast *f = w->fast;
    fm_status s = flush_segment(w);
    if (s != FM_OK) return s;
    /* An empty final block with the fixed code (BFINAL 1, BTYPE 01, end of block), then the
     * Adler-32 of every line, most significant byte first. */
    uint8_t tail[6] = {0x03, 0x00, (uint8_t)(f->adler >> 24), (uint8_t)(f->adler >> 16),
                       (uint8_t)(f->adler >> 8), (uint8_t)f->adler};
    emit(w, tail, sizeof tail);
    if (f->idat_used > 0) png_write_chunk(w->png, idat_name, f->idat, f->idat_used);
    f->idat_used = 0;
    png_write_chunk(w->png, iend_name, NULL, 0);
    return FM_OK;
}

void fm_png_fast_destroy(fm_writer *w) {
    struct fm_png_fast *f = w->fast;
    if (!f) return;
    free(f->level_buf); free(f->previous); free(f->current); free(f->up_lines); free(f->paeth_lines);
    free(f->lz_out); free(f->huff_out); free(f->pairs); free(f->idat);
    free(f);
    w->fast = NULL;
}
