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

const char *fm_vector_math_isa(void) {
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return "avx512f";
    if (__builtin_cpu_supports("avx2")) return "avx2";
#endif
    return "baseline";
}
