// oneDNN, opened on first use. featmap uses oneDNN's matrix product, dnnl_sgemm, for the convolution
// core; linking libdnnl (and with it libgomp) into the executable made every process load both at start,
// doubling the start-up of `featmap --version`. So the executable does not link them: the first call of
// any function below dlopen()s libdnnl (whose dependencies bring libgomp) and looks the functions up.
//
// The library: $FEATMAP_DNNL when set (a path or a soname), else libdnnl.so.2, libdnnl.so: the 2.x API these
// declarations follow (oneDNN 3 replaced the operation descriptors; a library of another major version is refused).
#ifndef FEATMAP_CDNNL_SHIM_H
#define FEATMAP_CDNNL_SHIM_H

#include <dnnl_types.h>   // types and status codes only: no function of libdnnl is declared here

// Every function featmap calls in libdnnl or libgomp: X(return type, name, (parameters), (arguments)).
// Adding one is one line here; featmap calls it as fm_<name>.
#define FM_DNNL_FUNCTIONS(X) \
    X(dnnl_status_t, dnnl_sgemm, (char transa, char transb, dnnl_dim_t M, dnnl_dim_t N, dnnl_dim_t K, float alpha, const float *A, dnnl_dim_t lda, const float *B, dnnl_dim_t ldb, float beta, float *C, dnnl_dim_t ldc), (transa, transb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc)) \
    /* The Debian build runs oneDNN on OpenMP (libgomp); featmap's own workers each call dnnl_sgemm on */ \
    /* their share of the work, so each sets its OpenMP team to one thread. */ \
    X(void, omp_set_num_threads, (int n), (n)) \
    /* The primitives of the channels-last convolutions (fm_conv below). */ \
    X(const dnnl_version_t *, dnnl_version, (void), ()) \
    X(dnnl_status_t, dnnl_engine_create, (dnnl_engine_t *engine, dnnl_engine_kind_t kind, size_t index), (engine, kind, index)) \
    X(dnnl_status_t, dnnl_stream_create, (dnnl_stream_t *stream, dnnl_engine_t engine, unsigned flags), (stream, engine, flags)) \
    X(dnnl_status_t, dnnl_stream_destroy, (dnnl_stream_t stream), (stream)) \
    X(dnnl_status_t, dnnl_memory_desc_init_by_tag, (dnnl_memory_desc_t *memory_desc, int ndims, const dnnl_dims_t dims, dnnl_data_type_t data_type, dnnl_format_tag_t tag), (memory_desc, ndims, dims, data_type, tag)) \
    X(int, dnnl_memory_desc_equal, (const dnnl_memory_desc_t *lhs, const dnnl_memory_desc_t *rhs), (lhs, rhs)) \
    X(size_t, dnnl_memory_desc_get_size, (const dnnl_memory_desc_t *memory_desc), (memory_desc)) \
    X(dnnl_status_t, dnnl_memory_create, (dnnl_memory_t *memory, const dnnl_memory_desc_t *memory_desc, dnnl_engine_t engine, void *handle), (memory, memory_desc, engine, handle)) \
    X(dnnl_status_t, dnnl_memory_destroy, (dnnl_memory_t memory), (memory)) \
    X(dnnl_status_t, dnnl_dilated_convolution_forward_desc_init, (dnnl_convolution_desc_t *conv_desc, dnnl_prop_kind_t prop_kind, dnnl_alg_kind_t alg_kind, const dnnl_memory_desc_t *src_desc, const dnnl_memory_desc_t *weights_desc, const dnnl_memory_desc_t *bias_desc, const dnnl_memory_desc_t *dst_desc, const dnnl_dims_t strides, const dnnl_dims_t dilates, const dnnl_dims_t padding_l, const dnnl_dims_t padding_r), (conv_desc, prop_kind, alg_kind, src_desc, weights_desc, bias_desc, dst_desc, strides, dilates, padding_l, padding_r)) \
    X(dnnl_status_t, dnnl_post_ops_create, (dnnl_post_ops_t *post_ops), (post_ops)) \
    X(dnnl_status_t, dnnl_post_ops_append_sum, (dnnl_post_ops_t post_ops, float scale), (post_ops, scale)) \
    X(dnnl_status_t, dnnl_post_ops_append_eltwise, (dnnl_post_ops_t post_ops, float scale, dnnl_alg_kind_t alg_kind, float alpha, float beta), (post_ops, scale, alg_kind, alpha, beta)) \
    X(dnnl_status_t, dnnl_post_ops_destroy, (dnnl_post_ops_t post_ops), (post_ops)) \
    X(dnnl_status_t, dnnl_primitive_attr_create, (dnnl_primitive_attr_t *attr), (attr)) \
    X(dnnl_status_t, dnnl_primitive_attr_set_post_ops, (dnnl_primitive_attr_t attr, const_dnnl_post_ops_t post_ops), (attr, post_ops)) \
    X(dnnl_status_t, dnnl_primitive_attr_set_scratchpad_mode, (dnnl_primitive_attr_t attr, dnnl_scratchpad_mode_t mode), (attr, mode)) \
    X(dnnl_status_t, dnnl_primitive_attr_destroy, (dnnl_primitive_attr_t attr), (attr)) \
    X(dnnl_status_t, dnnl_primitive_desc_create, (dnnl_primitive_desc_t *primitive_desc, const_dnnl_op_desc_t op_desc, const_dnnl_primitive_attr_t attr, dnnl_engine_t engine, const_dnnl_primitive_desc_t hint_forward_primitive_desc), (primitive_desc, op_desc, attr, engine, hint_forward_primitive_desc)) \
    X(dnnl_status_t, dnnl_reorder_primitive_desc_create, (dnnl_primitive_desc_t *reorder_primitive_desc, const dnnl_memory_desc_t *src_desc, dnnl_engine_t src_engine, const dnnl_memory_desc_t *dst_desc, dnnl_engine_t dst_engine, const_dnnl_primitive_attr_t attr), (reorder_primitive_desc, src_desc, src_engine, dst_desc, dst_engine, attr)) \
    X(dnnl_status_t, dnnl_primitive_desc_query, (const_dnnl_primitive_desc_t primitive_desc, dnnl_query_t what, int index, void *result), (primitive_desc, what, index, result)) \
    X(const dnnl_memory_desc_t *, dnnl_primitive_desc_query_md, (const_dnnl_primitive_desc_t primitive_desc, dnnl_query_t what, int index), (primitive_desc, what, index)) \
    X(dnnl_status_t, dnnl_primitive_desc_destroy, (dnnl_primitive_desc_t primitive_desc), (primitive_desc)) \
    X(dnnl_status_t, dnnl_primitive_create, (dnnl_primitive_t *primitive, const_dnnl_primitive_desc_t primitive_desc), (primitive, primitive_desc)) \
    X(dnnl_status_t, dnnl_primitive_execute, (const_dnnl_primitive_t primitive, dnnl_stream_t stream, int nargs, const dnnl_exec_arg_t *args), (primitive, stream, nargs, args)) \
    X(dnnl_status_t, dnnl_primitive_destroy, (dnnl_primitive_t primitive), (primitive)) \
    X(dnnl_status_t, dnnl_stream_wait, (dnnl_stream_t stream), (stream))

#define FM_DNNL_DECLARE(ret, name, params, args) ret fm_##name params;
FM_DNNL_FUNCTIONS(FM_DNNL_DECLARE)
#undef FM_DNNL_DECLARE

// Opens the library and looks up every function, once (thread-safe). NULL when it worked, else the reason,
// one line naming the library and the package that provides it. The fm_ functions call this themselves
// and, if it fails, print the reason and exit(1); call it first to report the failure as an error instead.
const char *fm_dnnl_load(void);

// Whether the library has been opened in this process (for tests).
int fm_dnnl_is_loaded(void);

// A 2-D convolution on oneDNN's own convolution primitive (direct or 1×1 kernels, chosen by oneDNN for
// the CPU), on channels-last ([N, H, W, C]) images, with its activation and a residual sum as post-ops.
// The output rows are split into `bands`, each its own primitive run on the calling thread, so that
// featmap's workers run the bands side by side (no OpenMP team). The weights are reordered once, into
// the layout the primitive wants, and shared by the bands.
typedef struct fm_conv fm_conv;

typedef struct {
    int channels, height, width;          // the input image
    int filters, groups;
    int kernel_h, kernel_w, stride_h, stride_w, dilation_h, dilation_w;
    int pad_top, pad_left, pad_bottom, pad_right;
    int out_h, out_w;                     // as featmap works them out (checked against oneDNN's)
    int bands;
    int activation;                       // FM_CONV_*
    float alpha, beta;                    // leaky ReLU's slope; Clip's bounds
    int sum;                              // 1: the output buffer holds a tensor to add before the activation
} fm_conv_shape;

enum { FM_CONV_NONE = 0, FM_CONV_RELU = 1, FM_CONV_CLIP = 2, FM_CONV_SIGMOID = 3, FM_CONV_TANH = 4, FM_CONV_SILU = 5 };

// The plan, or NULL with the reason in `error`. `weights` are [filters, channels/groups, kh, kw]; `bias` may be NULL.
fm_conv *fm_conv_create(const fm_conv_shape *shape, const float *weights, const float *bias, char *error, size_t error_size);
// The number of bands (fewer than asked when the output has fewer rows).
int fm_conv_bands(const fm_conv *conv);
// Runs band `band` of one image: src is the [H, W, C] image, dst the [out_h, out_w, filters] output.
// 0 when it worked, else oneDNN's status.
int fm_conv_run(const fm_conv *conv, int band, const float *src, float *dst);
// oneDNN's name of the kernel it chose for the first band ("brgconv:avx512_core", …).
const char *fm_conv_kernel(const fm_conv *conv);
void fm_conv_destroy(fm_conv *conv);

#endif
