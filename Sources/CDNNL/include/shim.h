// oneDNN, opened on first use. featmap uses oneDNN's matrix product, dnnl_sgemm, for the convolution
// core; linking libdnnl (and with it libgomp) into the executable made every process load both at start,
// doubling the start-up of `featmap --version`. So the executable does not link them: the first call of
// any function below dlopen()s libdnnl (whose dependencies bring libgomp) and looks the functions up.
//
// The library: $FEATMAP_DNNL when set (a path or a soname), else libdnnl.so.3, libdnnl.so.2, libdnnl.so.
#ifndef FEATMAP_CDNNL_SHIM_H
#define FEATMAP_CDNNL_SHIM_H

#include <dnnl_types.h>   // types and status codes only: no function of libdnnl is declared here

// Every function featmap calls in libdnnl or libgomp: X(return type, name, (parameters), (arguments)).
// Adding one is one line here; featmap calls it as fm_<name>.
#define FM_DNNL_FUNCTIONS(X) \
    X(dnnl_status_t, dnnl_sgemm, (char transa, char transb, dnnl_dim_t M, dnnl_dim_t N, dnnl_dim_t K, float alpha, const float *A, dnnl_dim_t lda, const float *B, dnnl_dim_t ldb, float beta, float *C, dnnl_dim_t ldc), (transa, transb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc)) \
    /* The Debian build runs oneDNN on OpenMP (libgomp); featmap's own workers each call dnnl_sgemm on */ \
    /* their share of the work, so each sets its OpenMP team to one thread. */ \
    X(void, omp_set_num_threads, (int n), (n))

#define FM_DNNL_DECLARE(ret, name, params, args) ret fm_##name params;
FM_DNNL_FUNCTIONS(FM_DNNL_DECLARE)
#undef FM_DNNL_DECLARE

// Opens the library and looks up every function, once (thread-safe). NULL when it worked, else the reason,
// one line naming the library and the package that provides it. The fm_ functions call this themselves
// and, if it fails, print the reason and exit(1); call it first to report the failure as an error instead.
const char *fm_dnnl_load(void);

// Whether the library has been opened in this process (for tests).
int fm_dnnl_is_loaded(void);

#endif
