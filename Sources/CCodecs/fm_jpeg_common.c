#include "fm_internal.h"
#include <jerror.h>
#include <string.h>

static void jpeg_on_error(j_common_ptr cinfo) {
    fm_jpeg_error *e = (fm_jpeg_error *)cinfo->err;
    if (*e->status == FM_OK) {
        char text[JMSG_LENGTH_MAX];
        (*cinfo->err->format_message)(cinfo, text);
        int code = cinfo->err->msg_code;
        *e->status = code == JERR_FILE_WRITE ? FM_ERR_IO
                   : code == JERR_OUT_OF_MEMORY ? FM_ERR_NO_MEMORY
                   : code == JERR_BAD_LIB_VERSION || code == JERR_BAD_STATE ? FM_ERR_USAGE
                   : code == JERR_BAD_PRECISION || code == JERR_CONVERSION_NOTIMPL || code == JERR_NOTIMPL ||
                     code == JERR_NOT_COMPILED || code == JERR_IMAGE_TOO_BIG || code == JERR_WIDTH_OVERFLOW
                     ? FM_ERR_UNSUPPORTED
                   : FM_ERR_CORRUPT;
        fm_set_message(e->message, "%s", text);
    }
    longjmp(e->jump, 1);
}

/*
 * libjpeg only *warns* about damaged entropy data and fills the rest with grey; a decoder
 * that hands such an image on would produce silently wrong output, so those warnings
 * (and the premature end of the file) become errors. Other warnings are collected.
 */
static void jpeg_on_message(j_common_ptr cinfo, int level) {
    if (level > 0) return;  /* trace messages */
    fm_jpeg_error *e = (fm_jpeg_error *)cinfo->err;
    char text[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, text);
    if (level < 0 && e->is_decoder) {
        switch (cinfo->err->msg_code) {
        case JWRN_JPEG_EOF:
            if (*e->status == FM_OK) {
                *e->status = FM_ERR_TRUNCATED;
                fm_set_message(e->message, "file ends inside the compressed data");
            }
            longjmp(e->jump, 1);
        case JWRN_HUFF_BAD_CODE: case JWRN_ARITH_BAD_CODE: case JWRN_HIT_MARKER:
        case JWRN_EXTRANEOUS_DATA: case JWRN_MUST_RESYNC: case JWRN_NOT_SEQUENTIAL:
        case JWRN_BOGUS_PROGRESSION: {
            if (*e->status == FM_OK) {
                const char *prefix = "Corrupt JPEG data: ";
                const char *shown = strncmp(text, prefix, strlen(prefix)) == 0 ? text + strlen(prefix) : text;
                *e->status = FM_ERR_CORRUPT;
                fm_set_message(e->message, "%s", shown);
            }
            longjmp(e->jump, 1);
        }
        default: break;
        }
    }
    fm_append_warning(e->warnings, text);
}

void fm_jpeg_install_errors(fm_jpeg_error *e, fm_status *status, char *message, char *warnings, int is_decoder) {
    jpeg_std_error(&e->pub);
    e->pub.error_exit = jpeg_on_error;
    e->pub.emit_message = jpeg_on_message;
    e->status = status;
    e->message = message;
    e->warnings = warnings;
    e->is_decoder = is_decoder;
}
