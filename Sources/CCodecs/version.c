#include "fm_codecs.h"
#include <png.h>
#include <jpeglib.h>
int fm_codecs_placeholder_version(void) { return PNG_LIBPNG_VER + JPEG_LIB_VERSION; }
