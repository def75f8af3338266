/* Writes a YCCK JPEG (Adobe transform 2, inverted CMYK as Photoshop stores it) from raw CMYK
 * samples, which Pillow cannot do. Used by codec_fixtures.py:
 *   cc make_ycck_jpeg.c -ljpeg -o make_ycck_jpeg && ./make_ycck_jpeg W H in.cmyk out.jpg */
#include <stdio.h>
#include <stdlib.h>
#include <jpeglib.h>

int main(int argc, char **argv) {
    if (argc != 5) { fprintf(stderr, "usage: %s W H in.cmyk out.jpg\n", argv[0]); return 2; }
    int w = atoi(argv[1]), h = atoi(argv[2]);
    unsigned char *pixels = malloc((size_t)w * h * 4);
    FILE *in = fopen(argv[3], "rb"), *out = fopen(argv[4], "wb");
    if (!pixels || !in || !out || fread(pixels, 4, (size_t)w * h, in) != (size_t)w * h) return 1;
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr e;
    c.err = jpeg_std_error(&e);
    jpeg_create_compress(&c);
    jpeg_stdio_dest(&c, out);
    c.image_width = w; c.image_height = h; c.input_components = 4; c.in_color_space = JCS_CMYK;
    jpeg_set_defaults(&c);
    jpeg_set_colorspace(&c, JCS_YCCK);
    jpeg_set_quality(&c, 92, TRUE);
    jpeg_start_compress(&c, TRUE);
    for (int y = 0; y < h; y++) {
        JSAMPROW row = pixels + (size_t)y * w * 4;
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    fclose(out);
    return 0;
}
