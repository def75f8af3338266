// fm_conv: a convolution on oneDNN's convolution primitive, on channels-last images (see shim.h).
#include "shim.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dnnl.h>

enum { max_primitives = 4 };

struct fm_conv {
    fm_conv_shape shape;
    int bands;
    // Per band: its primitive, its first input row and its first output row.
    int band_primitive[64];
    int band_row[64], band_out_row[64];
    int primitive_in_h[max_primitives], primitive_top[max_primitives], primitive_bottom[max_primitives], primitive_out_h[max_primitives];
    int primitive_count;
    dnnl_primitive_t primitives[max_primitives];
    int primitive_weights[max_primitives];       // which of `weights` each primitive reads
    size_t scratchpad[max_primitives];
    const dnnl_memory_desc_t *src_md[max_primitives], *dst_md[max_primitives];
    dnnl_primitive_desc_t descs[max_primitives];
    int weights_count;
    dnnl_memory_t weights[max_primitives];
    dnnl_memory_t bias;
    float *bias_values;
    char kernel[64];
};

static pthread_once_t engine_once = PTHREAD_ONCE_INIT;
static dnnl_engine_t engine;
static pthread_key_t stream_key;

static void destroy_stream(void *stream) { fm_dnnl_stream_destroy(stream); }

static void create_engine(void) {
    if (fm_dnnl_engine_create(&engine, dnnl_cpu, 0) != dnnl_success) engine = NULL;
    pthread_key_create(&stream_key, destroy_stream);
}

// One stream per thread (a stream is not for concurrent use), destroyed with its thread.
static dnnl_stream_t thread_stream(void) {
    dnnl_stream_t stream = pthread_getspecific(stream_key);
    if (!stream) {
        if (fm_dnnl_stream_create(&stream, engine, dnnl_stream_default_flags) != dnnl_success) return NULL;
        pthread_setspecific(stream_key, stream);
    }
    return stream;
}

static int fail(char *error, size_t size, const char *what, dnnl_status_t status) {
    snprintf(error, size, "oneDNN could not %s (status %d)", what, (int)status);
    return 0;
}

// The primitive for a band of `in_h` input rows with `top`/`bottom` rows of zero padding giving `out_h` rows.
static int band_primitive(fm_conv *c, int in_h, int top, int bottom, int out_h, char *error, size_t size) {
    const fm_conv_shape *s = &c->shape;
    dnnl_memory_desc_t src, dst, wei, bia;
    dnnl_dims_t src_dims = {1, s->channels, in_h, s->width}, dst_dims = {1, s->filters, out_h, s->out_w};
    dnnl_status_t st;
    if ((st = fm_dnnl_memory_desc_init_by_tag(&src, 4, src_dims, dnnl_f32, dnnl_nhwc)) != dnnl_success
        || (st = fm_dnnl_memory_desc_init_by_tag(&dst, 4, dst_dims, dnnl_f32, dnnl_nhwc)) != dnnl_success)
        return fail(error, size, "describe the images", st);
    if (s->groups == 1) {
        dnnl_dims_t w = {s->filters, s->channels, s->kernel_h, s->kernel_w};
        st = fm_dnnl_memory_desc_init_by_tag(&wei, 4, w, dnnl_f32, dnnl_format_tag_any);
    } else {
        dnnl_dims_t w = {s->groups, s->filters / s->groups, s->channels / s->groups, s->kernel_h, s->kernel_w};
        st = fm_dnnl_memory_desc_init_by_tag(&wei, 5, w, dnnl_f32, dnnl_format_tag_any);
    }
    if (st != dnnl_success) return fail(error, size, "describe the weights", st);
    dnnl_dims_t bias_dims = {s->filters};
    if ((st = fm_dnnl_memory_desc_init_by_tag(&bia, 1, bias_dims, dnnl_f32, dnnl_x)) != dnnl_success)
        return fail(error, size, "describe the bias", st);
    dnnl_dims_t strides = {s->stride_h, s->stride_w}, dilates = {s->dilation_h - 1, s->dilation_w - 1};
    dnnl_dims_t pad_l = {top, s->pad_left}, pad_r = {bottom, s->pad_right};
    dnnl_convolution_desc_t desc;
    if ((st = fm_dnnl_dilated_convolution_forward_desc_init(&desc, dnnl_forward_inference, dnnl_convolution_direct, &src, &wei,
                                                            &bia, &dst, strides, dilates, pad_l, pad_r)) != dnnl_success)
        return fail(error, size, "describe the convolution", st);
    dnnl_post_ops_t ops;
    dnnl_primitive_attr_t attr;
    fm_dnnl_post_ops_create(&ops);
    if (s->sum) fm_dnnl_post_ops_append_sum(ops, 1.0f);
    switch (s->activation) {
    case FM_CONV_RELU: fm_dnnl_post_ops_append_eltwise(ops, 1.0f, dnnl_eltwise_relu, s->alpha, 0); break;
    case FM_CONV_CLIP: fm_dnnl_post_ops_append_eltwise(ops, 1.0f, dnnl_eltwise_clip_v2, s->alpha, s->beta); break;
    case FM_CONV_SIGMOID: fm_dnnl_post_ops_append_eltwise(ops, 1.0f, dnnl_eltwise_logistic, 0, 0); break;
    case FM_CONV_TANH: fm_dnnl_post_ops_append_eltwise(ops, 1.0f, dnnl_eltwise_tanh, 0, 0); break;
    case FM_CONV_SILU: fm_dnnl_post_ops_append_eltwise(ops, 1.0f, dnnl_eltwise_swish, 1.0f, 0); break;
    default: break;
    }
    fm_dnnl_primitive_attr_create(&attr);
    fm_dnnl_primitive_attr_set_post_ops(attr, ops);
    fm_dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user);
    dnnl_primitive_desc_t pd;
    st = fm_dnnl_primitive_desc_create(&pd, &desc, attr, engine, NULL);
    fm_dnnl_post_ops_destroy(ops);
    fm_dnnl_primitive_attr_destroy(attr);
    if (st != dnnl_success) return fail(error, size, "find a convolution kernel for this layer", st);
    int p = c->primitive_count;
    if ((st = fm_dnnl_primitive_create(&c->primitives[p], pd)) != dnnl_success) {
        fm_dnnl_primitive_desc_destroy(pd);
        return fail(error, size, "create the convolution", st);
    }
    c->descs[p] = pd;
    c->src_md[p] = fm_dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0);
    c->dst_md[p] = fm_dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0);
    c->scratchpad[p] = fm_dnnl_memory_desc_get_size(fm_dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0));
    if (p == 0) {
        const char *impl = NULL;
        fm_dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl);
        snprintf(c->kernel, sizeof c->kernel, "%s", impl ? impl : "?");
    }
    c->primitive_count++;
    return 1;
}

// Reorders the user's weights into the layout primitive p reads, unless another primitive's are the same.
static int weights_for(fm_conv *c, int p, const float *user, char *error, size_t size) {
    const dnnl_memory_desc_t *want = fm_dnnl_primitive_desc_query_md(c->descs[p], dnnl_query_weights_md, 0);
    for (int q = 0; q < p; q++) {
        const dnnl_memory_desc_t *other = fm_dnnl_primitive_desc_query_md(c->descs[q], dnnl_query_weights_md, 0);
        if (fm_dnnl_memory_desc_equal(want, other)) { c->primitive_weights[p] = c->primitive_weights[q]; return 1; }
    }
    const fm_conv_shape *s = &c->shape;
    dnnl_memory_desc_t plain;
    if (s->groups == 1) {
        dnnl_dims_t w = {s->filters, s->channels, s->kernel_h, s->kernel_w};
        fm_dnnl_memory_desc_init_by_tag(&plain, 4, w, dnnl_f32, dnnl_oihw);
    } else {
        dnnl_dims_t w = {s->groups, s->filters / s->groups, s->channels / s->groups, s->kernel_h, s->kernel_w};
        fm_dnnl_memory_desc_init_by_tag(&plain, 5, w, dnnl_f32, dnnl_goihw);
    }
    dnnl_memory_t from, to;
    dnnl_primitive_desc_t rpd;
    dnnl_primitive_t reorder;
    dnnl_status_t st;
    if ((st = fm_dnnl_memory_create(&from, &plain, engine, (void *)user)) != dnnl_success) return fail(error, size, "wrap the weights", st);
    if ((st = fm_dnnl_memory_create(&to, want, engine, DNNL_MEMORY_ALLOCATE)) != dnnl_success) {
        fm_dnnl_memory_destroy(from);
        return fail(error, size, "allocate the reordered weights", st);
    }
    st = fm_dnnl_reorder_primitive_desc_create(&rpd, &plain, engine, want, engine, NULL);
    if (st == dnnl_success) {
        st = fm_dnnl_primitive_create(&reorder, rpd);
        fm_dnnl_primitive_desc_destroy(rpd);
    }
    if (st == dnnl_success) {
        dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
        dnnl_stream_t stream = thread_stream();
        st = stream ? fm_dnnl_primitive_execute(reorder, stream, 2, args) : dnnl_runtime_error;
        if (st == dnnl_success) st = fm_dnnl_stream_wait(stream);
        fm_dnnl_primitive_destroy(reorder);
    }
    fm_dnnl_memory_destroy(from);
    if (st != dnnl_success) {
        fm_dnnl_memory_destroy(to);
        return fail(error, size, "reorder the weights", st);
    }
    c->weights[c->weights_count] = to;
    c->primitive_weights[p] = c->weights_count++;
    return 1;
}

fm_conv *fm_conv_create(const fm_conv_shape *s, const float *weights, const float *bias, char *error, size_t size) {
    const char *missing = fm_dnnl_load();
    if (missing) { snprintf(error, size, "%s", missing); return NULL; }
    pthread_once(&engine_once, create_engine);
    if (!engine) { snprintf(error, size, "oneDNN could not create its CPU engine"); return NULL; }
    fm_conv *c = calloc(1, sizeof *c);
    if (!c) { snprintf(error, size, "out of memory"); return NULL; }
    c->shape = *s;
    int bands = s->bands < 1 ? 1 : s->bands > 64 ? 64 : s->bands;
    if (bands > s->out_h) bands = s->out_h;
    c->bands = bands;
    int span = s->dilation_h * (s->kernel_h - 1) + 1;
    int ok = 1;
    for (int b = 0; b < bands && ok; b++) {
        int oy0 = (int)((long)s->out_h * b / bands), oy1 = (int)((long)s->out_h * (b + 1) / bands);
        // Input rows oy0·s − top … (oy1 − 1)·s − top + span − 1; the ones outside the image are zero padding.
        int first = oy0 * s->stride_h - s->pad_top, last = (oy1 - 1) * s->stride_h - s->pad_top + span - 1;
        int top = first < 0 ? -first : 0, bottom = last > s->height - 1 ? last - (s->height - 1) : 0;
        int from = first < 0 ? 0 : first, to = last > s->height - 1 ? s->height - 1 : last;
        if (to < from) {   // a band entirely in the padding reads no input row
            snprintf(error, size, "output rows %d to %d read only zero padding", oy0, oy1 - 1);
            ok = 0;
            break;
        }
        c->band_row[b] = from;
        c->band_out_row[b] = oy0;
        int in_h = to - from + 1, out_h = oy1 - oy0, found = -1;
        // Bands of the same height and padding share a primitive.
        for (int q = 0; q < c->primitive_count && found < 0; q++)
            if (c->primitive_in_h[q] == in_h && c->primitive_top[q] == top && c->primitive_bottom[q] == bottom && c->primitive_out_h[q] == out_h)
                found = q;
        if (found < 0) {
            if (c->primitive_count == max_primitives) { snprintf(error, size, "too many distinct bands"); ok = 0; break; }
            int p = c->primitive_count;
            ok = band_primitive(c, in_h, top, bottom, out_h, error, size) && weights_for(c, p, weights, error, size);
            c->primitive_in_h[p] = in_h; c->primitive_top[p] = top; c->primitive_bottom[p] = bottom; c->primitive_out_h[p] = out_h;
            found = p;
        }
        c->band_primitive[b] = found;
    }
    if (ok) {
        c->bias_values = calloc((size_t)s->filters, sizeof(float));
        if (!c->bias_values) { snprintf(error, size, "out of memory"); ok = 0; }
    }
    if (ok) {
        if (bias) memcpy(c->bias_values, bias, (size_t)s->filters * sizeof(float));
        dnnl_memory_desc_t md;
        dnnl_dims_t dims = {s->filters};
        dnnl_status_t st = fm_dnnl_memory_desc_init_by_tag(&md, 1, dims, dnnl_f32, dnnl_x);
        if (st == dnnl_success) st = fm_dnnl_memory_create(&c->bias, &md, engine, c->bias_values);
        if (st != dnnl_success) ok = fail(error, size, "wrap the bias", st);
    }
    if (!ok) { fm_conv_destroy(c); return NULL; }
    return c;
}

int fm_conv_bands(const fm_conv *c) { return c->bands; }

const char *fm_conv_kernel(const fm_conv *c) { return c->kernel; }

int fm_conv_run(const fm_conv *c, int band, const float *src, float *dst) {
    if (band < 0 || band >= c->bands) return dnnl_invalid_arguments;
    const fm_conv_shape *s = &c->shape;
    int p = c->band_primitive[band];
    dnnl_stream_t stream = thread_stream();
    if (!stream) return dnnl_runtime_error;
    // The bands run on featmap's workers, each on one thread: no OpenMP team.
    fm_omp_set_num_threads(1);
    dnnl_memory_t in = NULL, out = NULL, pad = NULL;
    void *scratch = NULL;
    dnnl_status_t st = fm_dnnl_memory_create(&in, c->src_md[p], engine, (void *)(src + (size_t)c->band_row[band] * s->width * s->channels));
    if (st == dnnl_success)
        st = fm_dnnl_memory_create(&out, c->dst_md[p], engine, dst + (size_t)c->band_out_row[band] * s->out_w * s->filters);
    if (st == dnnl_success && c->scratchpad[p] > 0) {
        if (posix_memalign(&scratch, 64, c->scratchpad[p]) != 0) st = dnnl_out_of_memory;
        else st = fm_dnnl_memory_create(&pad, fm_dnnl_primitive_desc_query_md(c->descs[p], dnnl_query_scratchpad_md, 0), engine, scratch);
    }
    if (st == dnnl_success) {
        dnnl_exec_arg_t args[5] = {{DNNL_ARG_SRC, in}, {DNNL_ARG_WEIGHTS, c->weights[c->primitive_weights[p]]},
                                   {DNNL_ARG_BIAS, c->bias}, {DNNL_ARG_DST, out}, {DNNL_ARG_SCRATCHPAD, pad}};
        st = fm_dnnl_primitive_execute(c->primitives[p], stream, pad ? 5 : 4, args);
        if (st == dnnl_success) st = fm_dnnl_stream_wait(stream);
    }
    if (pad) fm_dnnl_memory_destroy(pad);
    free(scratch);
    if (out) fm_dnnl_memory_destroy(out);
    if (in) fm_dnnl_memory_destroy(in);
    return st;
}

void fm_conv_destroy(fm_conv *c) {
    if (!c) return;
    for (int p = 0; p < c->primitive_count; p++) {
        if (c->primitives[p]) fm_dnnl_primitive_destroy(c->primitives[p]);
        if (c->descs[p]) fm_dnnl_primitive_desc_destroy(c->descs[p]);
    }
    for (int w = 0; w < c->weights_count; w++) fm_dnnl_memory_destroy(c->weights[w]);
    if (c->bias) fm_dnnl_memory_destroy(c->bias);
    free(c->bias_values);
    free(c);
}
