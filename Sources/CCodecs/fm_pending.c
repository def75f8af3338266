#include "fm_codecs.h"
#include <limits.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

/*
 * Fixed slots, no allocation: a signal handler may run fm_pending_unlink_all at any moment,
 * and it only reads slots whose state is READY and calls unlink(2) (async-signal-safe).
 */
enum { FREE = 0, BUSY = 1, READY = 2, SLOTS = 64 };
static struct { atomic_int state; char path[PATH_MAX]; } slots[SLOTS];

int fm_pending_add(const char *path) {
    if (strlen(path) >= PATH_MAX) return 0;
    for (int i = 0; i < SLOTS; i++) {
        int expected = FREE;
        if (atomic_compare_exchange_strong(&slots[i].state, &expected, BUSY)) {
            strcpy(slots[i].path, path);
            atomic_store(&slots[i].state, READY);
            return 1;
        }
    }
    return 0;
}

void fm_pending_remove(const char *path) {
    for (int i = 0; i < SLOTS; i++) {
        int expected = READY;
        if (atomic_load(&slots[i].state) == READY && strcmp(slots[i].path, path) == 0 &&
            atomic_compare_exchange_strong(&slots[i].state, &expected, BUSY)) {
            atomic_store(&slots[i].state, FREE);
            return;
        }
    }
}

void fm_pending_unlink_all(void) {
    for (int i = 0; i < SLOTS; i++) {
        if (atomic_load(&slots[i].state) == READY) unlink(slots[i].path);
    }
}
