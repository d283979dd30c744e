// Reads the CPU's features once, chooses generic, AVX2 or AVX-512 (VNNI, or VBMI + VNNI) bodies, and runs
// them over a range of weight rows (decode).
#include "CKernels.h"
#include "internal.h"
#include "blocks.h"
#include <stdatomic.h>

static atomic_int forced_generic = 0;

/// The CPU features the fast bodies need, read once. __builtin_cpu_supports also checks that the OS saves
/// the wider registers.
enum { FEATURE_AVX2 = 1, FEATURE_AVX512 = 2, FEATURE_VNNI512 = 4, FEATURE_VBMI512 = 8 };
static int cpu_features(void) {
#if defined(__x86_64__)
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        int f = 0;
        if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c")) f |= FEATURE_AVX2;
        if (__builtin_cpu_supports("avx512f")) f |= FEATURE_AVX512;
        if ((f & FEATURE_AVX512) && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
            __builtin_cpu_supports("avx512vnni")) f |= FEATURE_VNNI512;
        if ((f & FEATURE_VNNI512) && __builtin_cpu_supports("avx512vbmi") && __builtin_cpu_supports("avx512bitalg")) f |= FEATURE_VBMI512;
        cached = f;
    }
    return cached;
#else
    return 0;
#endif
}
static int cpu_has_avx2(void) { return (cpu_features() & FEATURE_AVX2) != 0; }
int ck_cpu_has_avx512(void) { return (cpu_features() & FEATURE_AVX512) != 0; }
int ck_cpu_has_vnni512(void) { return (cpu_features() & FEATURE_VNNI512) != 0; }
static int cpu_has_vbmi512(void) { return (cpu_features() & FEATURE_VBMI512) != 0; }

int ck_uses_avx2(void) { return !atomic_load(&forced_generic) && cpu_has_avx2(); }
void ck_force_generic(int generic) { atomic_store(&forced_generic, generic ? 1 : 0); }

static int layout(uint32_t type, int fast, ck_row_dot *dot, int64_t *block, size_t *bytes, size_t *act_bytes) {
    switch (type) {
#define CASE(ID, T, B, N, A) case ID: *dot = fast ? ck_dot_##T##_avx2 : ck_dot_##T##_generic; *block = B; *bytes = N; *act_bytes = A; return 0;
    CASE(CK_Q4_0, q4_0, 32, 18, 34)
    CASE(CK_Q4_1, q4_1, 32, 20, 36)
    CASE(CK_Q5_0, q5_0, 32, 22, 34)
    CASE(CK_Q5_1, q5_1, 32, 24, 36)
    CASE(CK_Q8_0, q8_0, 32, 34, 34)
    CASE(CK_Q2_K, q2_k, 256, 84, 292)
    CASE(CK_Q3_K, q3_k, 256, 110, 292)
    CASE(CK_Q4_K, q4_k, 256, 144, 292)
    CASE(CK_Q5_K, q5_k, 256, 176, 292)
    CASE(CK_Q6_K, q6_k, 256, 210, 292)
#undef CASE
    default: return -1;
    }
}

/// Which decode bodies run: the portable C ones, the AVX2 ones, the AVX-512 VNNI ones (bit-identical to
/// AVX2), or the best this CPU has (VBMI + VNNI eight-row bodies for the nibble formats where there are,
/// VNNI for Q8_0, AVX-512 for Q6_K rows, AVX2 for the rest).
typedef enum { BODIES_GENERIC, BODIES_AVX2, BODIES_VNNI512, BODIES_BEST } bodies;

/// The eight-row body for `type`, when there is one among `which`.
static ck_rows8_dot rows8(uint32_t type, bodies which) {
    if (which == BODIES_GENERIC) return 0;
    if (which == BODIES_BEST && cpu_has_vbmi512())
        switch (type) {
        case CK_Q4_0: return ck_dot8_q4_0_vbmi512;
        case CK_Q4_1: return ck_dot8_q4_1_vbmi512;
        case CK_Q5_0: return ck_dot8_q5_0_vbmi512;
        case CK_Q5_1: return ck_dot8_q5_1_vbmi512;
        default: break;
        }
    if (which >= BODIES_VNNI512 && ck_cpu_has_vnni512())
        switch (type) {
        case CK_Q4_0: return ck_dot8_q4_0_vnni512;
        case CK_Q4_1: return ck_dot8_q4_1_vnni512;
        case CK_Q5_0: return ck_dot8_q5_0_vnni512;
        case CK_Q5_1: return ck_dot8_q5_1_vnni512;
        case CK_Q8_0: return ck_dot8_q8_0_vnni512;
        default: break;
        }
    switch (type) {
    case CK_Q4_0: return ck_dot8_q4_0_avx2;
    case CK_Q4_1: return ck_dot8_q4_1_avx2;
    case CK_Q5_0: return ck_dot8_q5_0_avx2;
    case CK_Q5_1: return ck_dot8_q5_1_avx2;
    case CK_Q8_0: return ck_dot8_q8_0_avx2;
    default: return 0;
    }
}

/// The one-row body for `type`: the AVX-512 Q6_K body under the best, else `fallback` (from `layout`).
static ck_row_dot one_row(uint32_t type, bodies which, ck_row_dot fallback) {
    if (which == BODIES_BEST && ck_cpu_has_vnni512())
        switch (type) {
        case CK_Q6_K: return ck_dot_q6_k_vnni512;
        default: break;
        }
    return fallback;
}

static int dot_rows(bodies which, uint32_t type, const void *weights, size_t row_bytes, int64_t row_begin, int64_t row_end,
                    int64_t count, const void *activations, float *out) {
    ck_row_dot dot; int64_t block; size_t bytes, act_bytes;
    if (layout(type, which != BODIES_GENERIC, &dot, &block, &bytes, &act_bytes) != 0 || count % block != 0) return -1;
    const int64_t nb = count / block;
    dot = one_row(type, which, dot);
    const char *base = weights;
    int64_t r = row_begin;
    const ck_rows8_dot eight = rows8(type, which);
    if (eight)
        for (; r + 8 <= row_end; r += 8) eight(nb, base + (size_t)r * row_bytes, row_bytes, activations, out + r);
    for (; r < row_end; r++) out[r] = dot(nb, base + (size_t)r * row_bytes, activations);
    return 0;
}

int ck_dot_rows(uint32_t type, const void *weights, size_t row_bytes, int64_t row_begin, int64_t row_end,
                int64_t count, const void *activations, float *out) {
    return dot_rows(ck_uses_avx2() ? BODIES_BEST : BODIES_GENERIC, type, weights, row_bytes, row_begin, row_end, count, activations, out);
}

int ck_dot_rows_avx2(uint32_t type, const void *weights, size_t row_bytes, int64_t row_begin, int64_t row_end,
                     int64_t count, const void *activations, float *out) {
    return dot_rows(ck_uses_avx2() ? BODIES_AVX2 : BODIES_GENERIC, type, weights, row_bytes, row_begin, row_end, count, activations, out);
}

int ck_dot_rows_vnni512(uint32_t type, const void *weights, size_t row_bytes, int64_t row_begin, int64_t row_end,
                        int64_t count, const void *activations, float *out) {
    return dot_rows(ck_uses_avx2() ? BODIES_VNNI512 : BODIES_GENERIC, type, weights, row_bytes, row_begin, row_end, count, activations, out);
}

int ck_dot_rows_uses_vnni512(void) { return ck_uses_avx2() && ck_cpu_has_vnni512(); }
int ck_dot_rows_uses_vbmi512(void) { return ck_uses_avx2() && cpu_has_vbmi512(); }

int ck_dot_rows_generic(uint32_t type, const void *weights, size_t row_bytes, int64_t row_begin, int64_t row_end,
                        int64_t count, const void *activations, float *out) {
    return dot_rows(BODIES_GENERIC, type, weights, row_bytes, row_begin, row_end, count, activations, out);
}

void ck_dot_rows_f16(const float *x, const void *weights, size_t row_bytes, int64_t row_begin, int64_t row_end,
                     int64_t count, float *out) {
    const char *base = weights;
    int64_t r = row_begin;
    if (ck_uses_avx2())
        for (; r + 4 <= row_end; r += 4) ck_dot4_f16_avx2(x, base + (size_t)r * row_bytes, row_bytes, count, out + r);
    for (; r < row_end; r++) out[r] = ck_dot_f16_generic(x, (const uint16_t *)(base + (size_t)r * row_bytes), count);
}
void ck_dot_rows_bf16(const float *x, const void *weights, size_t row_bytes, int64_t row_begin, int64_t row_end,
                      int64_t count, float *out) {
    const char *base = weights;
    int64_t r = row_begin;
    if (ck_uses_avx2())
        for (; r + 4 <= row_end; r += 4) ck_dot4_bf16_avx2(x, base + (size_t)r * row_bytes, row_bytes, count, out + r);
    for (; r < row_end; r++) out[r] = ck_dot_bf16_generic(x, (const uint16_t *)(base + (size_t)r * row_bytes), count);
}

void ck_widen_f16(const void *halves, float *out, int64_t count) {
    const uint16_t *h = halves;
    if (ck_uses_avx2()) { ck_widen_f16_avx2(h, out, count); return; }
    for (int64_t i = 0; i < count; i++) out[i] = ck_half_to_float(h[i]);
}
