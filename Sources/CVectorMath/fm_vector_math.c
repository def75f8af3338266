// Elementwise math compiled for each x86-64 vector width (see include/fm_vector_math.h).
#include "fm_vector_math.h"

#include <stdint.h>
#include <string.h>

// a·b + c must stay two roundings in every version: with FMA (AVX2, AVX-512) the compiler could
// otherwise fuse them and the versions would differ in the last bit.
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

// Every exported loop is compiled once per instruction set; the loader picks the widest (an ifunc).
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#define FM_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define FM_CLONES
#endif

static inline float from_bits(uint32_t u) { float f; memcpy(&f, &u, sizeof f); return f; }
static inline uint32_t to_bits(float f) { uint32_t u; memcpy(&u, &f, sizeof u); return u; }

// Written with selects only, so that the loops vectorise.
static inline float exp1(float x) {
    const float hi = 88.72283f, lo = -87.33654f;
    float c = x < lo ? lo : x;
    c = c > hi ? hi : c;
    // Round to nearest even by the 1.5·2^23 shifter: t's low mantissa bits then hold n as an integer.
    float t = c * 1.442695041f + 12582912.0f;
    float n = t - 12582912.0f;
    float r = c - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    float r2 = r * r;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    float er = p * r2 + r + 1.0f;
    // 2^n for n in [−126, 128], in two halves so that n = 128 does not overflow the exponent field
    // before the product rounds to +∞ where it must.
    int32_t ni = (int32_t)to_bits(t) - 0x4B400000;
    int32_t half = ni >> 1;
    float a = from_bits((uint32_t)(half + 127) << 23);
    float b = from_bits((uint32_t)(ni - half + 127) << 23);
    float result = er * a * b;
    result = x < lo ? 0.0f : result;
    result = x > hi ? __builtin_inff() : result;
    result = x != x ? x : result;
    return result;
}

static inline float sigmoid1(float x) { return 1.0f / (1.0f + exp1(-x)); }

#define FM_BODIES(suffix, attributes)                                                           \
    attributes void fm_exp##suffix(float *v, long n) { for (long i = 0; i < n; i++) v[i] = exp1(v[i]); } \
    attributes void fm_sigmoid##suffix(float *v, long n) { for (long i = 0; i < n; i++) v[i] = sigmoid1(v[i]); } \
    attributes void fm_silu##suffix(float *v, long n) {                                         \
        for (long i = 0; i < n; i++) { float x = v[i]; v[i] = x * sigmoid1(x); }               \
    }

FM_BODIES(, FM_CLONES)
FM_BODIES(_baseline, )

FM_CLONES void fm_sweep1(float *acc, const float *b0, float w0, long n) {
    for (long i = 0; i < n; i++) acc[i] = acc[i] + w0 * b0[i];
}
FM_CLONES void fm_sweep2(float *acc, const float *b0, const float *b1, float w0, float w1, long n) {
    for (long i = 0; i < n; i++) acc[i] = acc[i] + (w0 * b0[i] + w1 * b1[i]);
}
FM_CLONES void fm_sweep3(float *acc, const float *b0, const float *b1, const float *b2, float w0, float w1, float w2, long n) {
    for (long i = 0; i < n; i++) acc[i] = acc[i] + ((w0 * b0[i] + w1 * b1[i]) + w2 * b2[i]);
}
FM_CLONES void fm_copy_strided(float *dst, const float *src, long step, long n) {
    if (step == 2) {
        for (long j = 0; j < n; j++) dst[j] = src[2 * j];
    } else {
        for (long j = 0; j < n; j++) dst[j] = src[j * step];
    }
}
FM_CLONES void fm_max_rows2(float *line, const float *r0, const float *r1, long n) {
    for (long i = 0; i < n; i++) { float u = r0[i], v = r1[i]; line[i] = (v > u || u != u) ? v : u; }
}
FM_CLONES void fm_max_into(float *line, const float *row, long n) {
    for (long i = 0; i < n; i++) { float u = line[i], v = row[i]; line[i] = (v > u || u != u) ? v : u; }
}
FM_CLONES int fm_any_nan(const float *p, long n) {
    int found = 0;
    for (long i = 0; i < n; i++) found |= p[i] != p[i];
    return found;
}
#define FM_SWEEP4_BODY \
    for (long i = 0; i < n; i++) acc[i] = acc[i] + ((w0 * b0[i] + w1 * b1[i]) + (w2 * b2[i] + w3 * b3[i]));
FM_CLONES void fm_sweep4(float *acc, const float *b0, const float *b1, const float *b2, const float *b3,
                         float w0, float w1, float w2, float w3, long n) { FM_SWEEP4_BODY }
void fm_sweep4_baseline(float *acc, const float *b0, const float *b1, const float *b2, const float *b3,
                        float w0, float w1, float w2, float w3, long n) { FM_SWEEP4_BODY }

FM_CLONES void fm_to_channels_last(float *dst, const float *src, long c, long h, long w, long y0, long y1) {
    for (long y = y0; y < y1; y++)
        for (long c0 = 0; c0 < c; c0 += 16) {
            long cn = c - c0 < 16 ? c - c0 : 16;
            for (long x0 = 0; x0 < w; x0 += 16) {
                long xn = w - x0 < 16 ? w - x0 : 16;
                for (long x = x0; x < x0 + xn; x++) {
                    float *to = dst + (y * w + x) * c + c0;
                    const float *from = src + (c0 * h + y) * w + x;
                    for (long k = 0; k < cn; k++) to[k] = from[k * h * w];
                }
            }
        }
}
FM_CLONES void fm_to_channels_first(float *dst, const float *src, long c, long h, long w, long y0, long y1) {
    for (long y = y0; y < y1; y++)
        for (long c0 = 0; c0 < c; c0 += 16) {
            long cn = c - c0 < 16 ? c - c0 : 16;
            for (long x0 = 0; x0 < w; x0 += 16) {
                long xn = w - x0 < 16 ? w - x0 : 16;
                for (long k = 0; k < cn; k++) {
                    float *to = dst + ((c0 + k) * h + y) * w + x0;
                    const float *from = src + (y * w + x0) * c + c0 + k;
                    for (long x = 0; x < xn; x++) to[x] = from[x * c];
                }
            }
        }
}

FM_CLONES void fm_pool_channels_last(float *dst, const float *src, long c, long w, long out_w, const fm_window_axis *rows,
                                     const fm_window_axis *columns, long dy, long dx, int is_max, int include_pad,
                                     long oy0, long oy1, float *scratch) {
    float *best = scratch, *col = scratch + c;
    for (long oy = oy0; oy < oy1; oy++) {
        const fm_window_axis r = rows[oy];
        for (long ox = 0; ox < out_w; ox++) {
            const fm_window_axis q = columns[ox];
            float *out = dst + (oy * out_w + ox) * c;
            if (r.taps == 0 || q.taps == 0) {
                for (long k = 0; k < c; k++) out[k] = 0;
                continue;
            }
            for (long tx = 0; tx < q.taps; tx++) {
                const float *top = src + (r.first * w + q.first + tx * dx) * c;
                for (long k = 0; k < c; k++) col[k] = top[k];
                for (long ty = 1; ty < r.taps; ty++) {
                    const float *p = top + ty * dy * w * c;
                    if (is_max) {
                        for (long k = 0; k < c; k++) { float u = col[k], v = p[k]; col[k] = (v > u || u != u) ? v : u; }
                    } else {
                        for (long k = 0; k < c; k++) col[k] = col[k] + p[k];
                    }
                }
                if (is_max) {
                    if (tx == 0) for (long k = 0; k < c; k++) best[k] = col[k];
                    else for (long k = 0; k < c; k++) { float u = best[k], v = col[k]; best[k] = v > u ? v : u; }
                } else {
                    if (tx == 0) for (long k = 0; k < c; k++) best[k] = 0.0f + col[k];
                    else for (long k = 0; k < c; k++) best[k] = best[k] + col[k];
                }
            }
            if (is_max) {
                const float *first = src + (r.first * w + q.first) * c;
                for (long k = 0; k < c; k++) out[k] = first[k] != first[k] ? first[k] : best[k];
            } else {
                float divisor = (float)(include_pad ? r.padded * q.padded : r.taps * q.taps);
                for (long k = 0; k < c; k++) out[k] = best[k] / divisor;
            }
        }
    }
}
FM_CLONES void fm_channel_means_channels_last(float *out, const float *src, long c, long pixels, long c0, long c1, double *sums) {
    long n = c1 - c0;
    for (long k = 0; k < n; k++) sums[k] = 0;
    for (long p = 0; p < pixels; p++) {
        const float *v = src + p * c + c0;
        for (long k = 0; k < n; k++) sums[k] += (double)v[k];
    }
    for (long k = 0; k < n; k++) out[c0 + k] = (float)(sums[k] / (double)pixels);
}
FM_CLONES void fm_affine_channels_last(float *dst, const float *src, long c, const float *a, const float *o, long p0, long p1) {
    for (long p = p0; p < p1; p++)
        for (long k = 0; k < c; k++) dst[p * c + k] = src[p * c + k] * a[k] + o[k];
}
FM_CLONES void fm_scale_channels_last(float *dst, const float *src, long c, const float *s, long p0, long p1) {
    for (long p = p0; p < p1; p++)
        for (long k = 0; k < c; k++) dst[p * c + k] = src[p * c + k] * s[k];
}

const char *fm_vector_math_isa(void) {
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return "avx512f";
    if (__builtin_cpu_supports("avx2")) return "avx2";
#endif
    return "baseline";
}
