#ifndef FM_CODECS_H
#define FM_CODECS_H
#include <stddef.h>
#include <stdint.h>
int fm_codecs_placeholder_version(void);
#endif
