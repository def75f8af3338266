// glibc's malloc tuning, which Swift's Glibc module does not export (malloc.h).
#include <malloc.h>
#include "fm_codecs.h"

int fm_keep_freed_memory(void) {
#ifdef M_MMAP_THRESHOLD
    return mallopt(M_MMAP_THRESHOLD, 0x7fffffff) == 1 && mallopt(M_TRIM_THRESHOLD, 0x7fffffff) == 1;
#else
    return 0;
#endif
}
