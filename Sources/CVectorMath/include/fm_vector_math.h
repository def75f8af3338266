#ifndef FM_VECTOR_MATH_H
#define FM_VECTOR_MATH_H

/// The element-by-element loops of featmap's hot paths outside sgemm: e^x, Sigmoid and SiLU in place,
/// the multiply-add sweeps of the direct sliding window, the depthwise stride-phase copy and max pooling's
/// row reduction. On x86-64 each function is compiled three times (AVX-512, AVX2 and the SSE2 baseline)
/// and the loader picks the widest the CPU has (GCC/Clang `target_clones`, an ifunc);
/// Swift's own loops are compiled for the baseline only. Floating-point contraction is off, so every
/// version computes the same operations in the same order and gives the same bits.

/// e^x: Cody–Waite range reduction, Cephes' degree-5 polynomial, 2^n in the exponent bits; within 2 ulp
/// of the correctly rounded value on [−87.3, 88.7], 0 below −87.33654, +∞ above 88.72283, NaN stays NaN.
void fm_exp(float *values, long count);
/// 1 / (1 + e^−x).
void fm_sigmoid(float *values, long count);
/// x · (1 / (1 + e^−x)): Sigmoid then Mul by the input, as an ONNX graph writes SiLU.
void fm_silu(float *values, long count);
/// The same three, compiled for the baseline only: the tests check that the dispatched versions give
/// these bits.
void fm_exp_baseline(float *values, long count);
void fm_sigmoid_baseline(float *values, long count);
void fm_silu_baseline(float *values, long count);

/// The sweeps of a sliding window: one to four taps added to a run of outputs,
///   acc[i] += w0·b0[i]                                  (fm_sweep1)
///   acc[i] += w0·b0[i] + w1·b1[i]                       (fm_sweep2)
///   acc[i] += (w0·b0[i] + w1·b1[i]) + w2·b2[i]          (fm_sweep3)
///   acc[i] += (w0·b0[i] + w1·b1[i]) + (w2·b2[i] + w3·b3[i])   (fm_sweep4)
/// in exactly this order, for i < count. acc may not overlap the b's.
void fm_sweep1(float *acc, const float *b0, float w0, long count);
void fm_sweep2(float *acc, const float *b0, const float *b1, float w0, float w1, long count);
void fm_sweep3(float *acc, const float *b0, const float *b1, const float *b2, float w0, float w1, float w2, long count);
void fm_sweep4(float *acc, const float *b0, const float *b1, const float *b2, const float *b3,
               float w0, float w1, float w2, float w3, long count);
/// fm_sweep4 compiled for the baseline only (for the tests).
void fm_sweep4_baseline(float *acc, const float *b0, const float *b1, const float *b2, const float *b3,
                        float w0, float w1, float w2, float w3, long count);

/// dst[j] = src[j · step] for j < count: the columns of one stride phase. A loop of its own, with step 2
/// taken apart, so that the compiler turns it into shuffles of whole vectors.
void fm_copy_strided(float *dst, const float *src, long step, long count);

/// Max pooling down a window's rows, with NaN kept only where every row so far is NaN (a NaN is replaced
/// by any later value): line[x] = (r1[x] > r0[x] || r0[x] ≠ r0[x]) ? r1[x] : r0[x] (fm_max_rows2), and
/// line[x] = (row[x] > line[x] || line[x] ≠ line[x]) ? row[x] : line[x] (fm_max_into).
void fm_max_rows2(float *line, const float *r0, const float *r1, long count);
void fm_max_into(float *line, const float *row, long count);
/// Whether any of the `count` floats is NaN.
int fm_any_nan(const float *values, long count);

/// Rows y0 ≤ y < y1 of a [C, H, W] image into the [H, W, C] layout and back (the channels-last
/// convolutions' layout): exact copies, in tiles of 16 channels by 16 columns.
void fm_to_channels_last(float *dst, const float *src, long channels, long height, long width, long y0, long y1);
void fm_to_channels_first(float *dst, const float *src, long channels, long height, long width, long y0, long y1);

/// The operators between channels-last convolutions, on [H, W, C] images, each giving the bits of its
/// [C, H, W] counterpart in featmap (the same operations in the same order, per channel):
///
/// Max or average pooling of output rows oy0 ≤ oy < oy1 (`Pooling`'s windows: each axis's window given
/// by its first in-image tap, its in-image taps and, for count_include_pad, its taps inside the padded
/// extent; a window with no in-image tap gives 0). Max: down each column of the window with NaN kept only
/// where every tap so far is NaN, then across the columns, then NaN where the first in-image tap is.
/// Average: each column's sum, then the columns' sum from 0, divided. `scratch` holds 2·channels floats.
typedef struct {
    long first, taps, padded;
} fm_window_axis;
void fm_pool_channels_last(float *dst, const float *src, long channels, long width, long out_w,
                           const fm_window_axis *rows, const fm_window_axis *columns, long dilation_y, long dilation_x,
                           int is_max, int include_pad, long oy0, long oy1, float *scratch);
/// The mean of each channel over pixels p0 ≤ p < p1 of `count`, summed in double in pixel order (the
/// [C, H, W] loop's order), for channels c0 ≤ c < c1: out[c] = Σ / count. `sums` holds c1 − c0 doubles.
void fm_channel_means_channels_last(float *out, const float *src, long channels, long pixels, long c0, long c1, double *sums);
/// y = x · a[c] + o[c] on pixels p0 ≤ p < p1 (BatchNormalization's folded form).
void fm_affine_channels_last(float *dst, const float *src, long channels, const float *a, const float *o, long p0, long p1);
/// y = x · s[c] on pixels p0 ≤ p < p1 (a Mul by a [1, C, 1, 1] tensor: squeeze-and-excitation).
void fm_scale_channels_last(float *dst, const float *src, long channels, const float *s, long p0, long p1);

/// A spin-wait hint (x86 `pause`): a thread polling for work lets its core's other hardware thread run.
static inline void fm_spin_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/// The instruction set the dispatched versions run with here: "avx512f", "avx2" or "baseline".
const char *fm_vector_math_isa(void);

#endif
