#include "shim.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dnnl.h>   // only to check, at compile time, that the list's signatures are oneDNN's

// omp.h belongs to the compiler, which may not ship one; this is libgomp's declaration.
void omp_set_num_threads(int);

enum {
#define FM_DNNL_INDEX(ret, name, params, args) fm_index_##name,
    FM_DNNL_FUNCTIONS(FM_DNNL_INDEX)
#undef FM_DNNL_INDEX
    fm_function_count
};

static const char *const names[fm_function_count] = {
#define FM_DNNL_NAME(ret, name, params, args) #name,
    FM_DNNL_FUNCTIONS(FM_DNNL_NAME)
#undef FM_DNNL_NAME
};

#define FM_DNNL_CHECK(ret, name, params, args) \
    _Static_assert(__builtin_types_compatible_p(__typeof__(&name), ret (*) params), \
                   "the signature of " #name " in FM_DNNL_FUNCTIONS is not the library's");
FM_DNNL_FUNCTIONS(FM_DNNL_CHECK)
#undef FM_DNNL_CHECK

static void *functions[fm_function_count];
static char failure[768];
static atomic_int loaded;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void open_library(void) {
    const char *chosen = getenv("FEATMAP_DNNL");
    const char *const defaults[] = {"libdnnl.so.2", "libdnnl.so"};
    void *handle = NULL;
    char reason[512] = "";
    if (chosen && *chosen) {
        handle = dlopen(chosen, RTLD_NOW | RTLD_LOCAL);
        if (!handle) {
            snprintf(failure, sizeof failure,
                     "cannot load oneDNN from FEATMAP_DNNL=%s (%s); point FEATMAP_DNNL at a libdnnl.so, or unset it to use the system's (Debian: apt-get install libdnnl-dev)",
                     chosen, dlerror());
            return;
        }
    } else {
        for (size_t i = 0; i < sizeof defaults / sizeof *defaults && !handle; i++) {
            handle = dlopen(defaults[i], RTLD_NOW | RTLD_LOCAL);
            if (!handle && !reason[0]) snprintf(reason, sizeof reason, "%s", dlerror());
        }
        if (!handle) {
            snprintf(failure, sizeof failure,
                     "cannot load oneDNN 2 (libdnnl.so.2), which featmap needs for convolutions (%s); install it (Debian: apt-get install libdnnl-dev) or set FEATMAP_DNNL=/path/to/libdnnl.so",
                     reason);
            return;
        }
    }
    for (int i = 0; i < fm_function_count; i++) {
        // Looked up in the library and its dependencies: omp_set_num_threads comes from libgomp.
        functions[i] = dlsym(handle, names[i]);
        if (!functions[i]) {
            snprintf(failure, sizeof failure,
                     "the oneDNN library featmap loaded (%s) has no function %s; install Debian's libdnnl-dev or set FEATMAP_DNNL to a matching libdnnl.so",
                     chosen && *chosen ? chosen : "libdnnl.so", names[i]);
            dlclose(handle);
            return;
        }
    }
    const dnnl_version_t *version = ((const dnnl_version_t *(*)(void))functions[fm_index_dnnl_version])();
    if (!version || version->major != DNNL_VERSION_MAJOR) {
        snprintf(failure, sizeof failure,
                 "the oneDNN library featmap loaded (%s) is version %d, featmap needs %d.x; install Debian's libdnnl-dev (oneDNN 2) or set FEATMAP_DNNL to a libdnnl.so.2",
                 chosen && *chosen ? chosen : "libdnnl.so", version ? version->major : -1, DNNL_VERSION_MAJOR);
        dlclose(handle);
        return;
    }
    // The handle stays open for the life of the process.
    atomic_store_explicit(&loaded, 1, memory_order_release);
}

const char *fm_dnnl_load(void) {
    if (atomic_load_explicit(&loaded, memory_order_acquire)) return NULL;
    pthread_once(&once, open_library);
    return atomic_load_explicit(&loaded, memory_order_acquire) ? NULL : failure;
}

int fm_dnnl_is_loaded(void) { return atomic_load_explicit(&loaded, memory_order_acquire); }

static void *function(int index) {
    const char *error = fm_dnnl_load();
    if (error) {
        fprintf(stderr, "featmap: %s\n", error);
        exit(1);
    }
    return functions[index];
}

#define FM_DNNL_DEFINE(ret, name, params, args) \
    ret fm_##name params { return ((ret (*) params)function(fm_index_##name)) args; }
FM_DNNL_FUNCTIONS(FM_DNNL_DEFINE)
#undef FM_DNNL_DEFINE
