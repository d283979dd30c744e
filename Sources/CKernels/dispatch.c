// Reads the CPU's features once and, for every entry point, chooses among the bodies a type's row of the
// traits table (traits.c) lists: generic, AVX2 or AVX-512 (VNNI, or VBMI + VNNI). The only file that looks at
// the CPU.
#include "CKernels.h"
#include "internal.h"
#include "blocks.h"
#include <stdatomic.h>
#include <stdlib.h>

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

// ---- dequantization and activations ------------------------------------------------------------------

int ck_dequantize_row(uint32_t type, const void *row, float *out, int64_t count) {
    const ck_traits_row *t = ck_traits(type);
    if (t && t->dequantize_avx2 && ck_uses_avx2()) return t->dequantize_avx2(row, out, count);
    return ck_dequantize_row_generic(type, row, out, count);
}

int ck_dequantize_row_generic(uint32_t type, const void *row, float *out, int64_t count) {
    const ck_traits_row *t = ck_traits(type);
    return t && t->dequantize_generic ? t->dequantize_generic(row, out, count) : -1;
}

uint32_t ck_activation_type(uint32_t type) {
    const ck_traits_row *t = ck_traits(type);
    return t ? t->activation_type : 0;
}

size_t ck_activation_bytes(uint32_t activation_type, int64_t count) {
    const ck_traits_row *t = ck_traits(activation_type);
    if (!t || !t->quantize) return 0;
    const int64_t nb = count / t->block_values;
    return t->activation_grouped ? ck_grouped_activation_bytes(activation_type, nb) : (size_t)nb * t->block_bytes;
}

int ck_quantize_activations(uint32_t activation_type, const float *x, void *out, int64_t count) {
    const ck_traits_row *t = ck_traits(activation_type);
    if (!t || !t->quantize) return -1;
    t->quantize(x, out, count);
    if (t->activation_grouped) ck_group_activations(activation_type, out, count / t->block_values);
    return 0;
}

// ---- decode ----------------------------------------------------------------------------------------------

/// Which decode bodies run: the portable C ones, the AVX2 ones, the AVX-512 VNNI ones (bit-identical to
/// AVX2), or the best this CPU has (VBMI + VNNI eight-row bodies where a type has them, VNNI eight-row ones
/// where it has those, AVX-512 one-row ones, AVX2 for the rest).
typedef enum { BODIES_GENERIC, BODIES_AVX2, BODIES_VNNI512, BODIES_BEST } bodies;

/// The eight-row body of `t` among `which`, or null.
static ck_rows8_dot rows8(const ck_traits_row *t, bodies which) {
    if (which == BODIES_GENERIC) return 0;
    if (which == BODIES_BEST && cpu_has_vbmi512() && t->dot8_vbmi512) return t->dot8_vbmi512;
    if (which >= BODIES_VNNI512 && ck_cpu_has_vnni512() && t->dot8_vnni512) return t->dot8_vnni512;
    return t->dot8_avx2;
}

/// The one-row body of `t` among `which`.
static ck_row_dot one_row(const ck_traits_row *t, bodies which) {
    if (which == BODIES_GENERIC) return t->dot_generic;
    if (which == BODIES_BEST && ck_cpu_has_vnni512() && t->dot_vnni512) return t->dot_vnni512;
    return t->dot_avx2;
}

static int dot_rows(bodies which, uint32_t type, const void *weights, size_t row_bytes, int64_t row_begin, int64_t row_end,
                    int64_t count, const void *activations, float *out) {
    const ck_traits_row *t = ck_traits(type);
    if (!t || !t->dot_generic || count % t->block_values != 0) return -1;
    const int64_t nb = count / t->block_values;
    const ck_row_dot dot = one_row(t, which);
    const char *base = weights;
    int64_t r = row_begin;
    const ck_rows8_dot eight = rows8(t, which);
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

/// The multi-column bodies repeat the AVX2 eight-row body's arithmetic, so they run only where that body is
/// the one a column alone would take; elsewhere each column takes its own body, so that its result never
/// depends on the batch. Non-null: the type's traits, for the multi-column path.
static const ck_traits_row *columns_path(uint32_t type, int64_t count) {
    if (!ck_uses_avx2()) return NULL;
    const ck_traits_row *t = ck_traits(type);
    if (!t || !t->dot_generic || count % t->block_values != 0) return NULL;
    const ck_rows8_dot eight = rows8(t, BODIES_BEST);
    return eight && eight == t->dot8_avx2 && t->dot8_columns_avx2 ? t : NULL;
}

size_t ck_column_terms_bytes(uint32_t type, int64_t count, int64_t columns) {
    const ck_traits_row *t = columns_path(type, count);
    return t ? (size_t)(columns * (count / t->block_values)) * (2 * sizeof(float) + sizeof(int32_t)) : 0;
}

/// Terms layout: d[columns·nb] floats, s[columns·nb] floats, sum[columns·nb] int32.
void ck_column_terms(uint32_t type, const void *activations, size_t activation_stride, int64_t count, int64_t columns, void *terms) {
    const ck_traits_row *t = columns_path(type, count);
    if (!t) return;
    const int64_t nb = count / t->block_values;
    float *t_d = terms, *t_s = t_d + columns * nb;
    ck_column_terms_avx2(t->activation_type, activations, activation_stride, columns, nb, t_d, (int32_t *)(t_s + columns * nb), t_s);
}

int ck_dot_rows_columns(uint32_t type, const void *weights, size_t row_bytes, int64_t row_begin, int64_t row_end, int64_t count,
                        const void *activations, size_t activation_stride, int64_t columns, const void *terms,
                        float *out, int64_t ldo) {
    const bodies which = ck_uses_avx2() ? BODIES_BEST : BODIES_GENERIC;
    const ck_traits_row *t = ck_traits(type);
    if (!t || !t->dot_generic || count % t->block_values != 0) return -1;
    const char *act = activations;
    if (!columns_path(type, count)) {
        for (int64_t c = 0; c < columns; c++)
            dot_rows(which, type, weights, row_bytes, row_begin, row_end, count, act + (size_t)c * activation_stride, out + c * ldo);
        return 0;
    }
    const int64_t nb = count / t->block_values;
    void *own = NULL;
    if (!terms) {
        own = malloc(ck_column_terms_bytes(type, count, columns));
        if (!own) return -1;
        ck_column_terms(type, act, activation_stride, count, columns, own);
        terms = own;
    }
    const float *t_d = terms, *t_s = t_d + columns * nb;
    const int32_t *t_sum = (const int32_t *)(t_s + columns * nb);
    const ck_row_dot dot = one_row(t, which);
    const char *base = weights;
    int64_t r = row_begin;
    for (; r + 8 <= row_end; r += 8)
        for (int64_t c = 0; c < columns; c += CK_COLUMNS) {
            const int n = columns - c < CK_COLUMNS ? (int)(columns - c) : CK_COLUMNS;
            t->dot8_columns_avx2(nb, base + (size_t)r * row_bytes, row_bytes, act + (size_t)c * activation_stride, activation_stride,
                                 t_d + c * nb, t_sum + c * nb, t_s + c * nb, n, out + c * ldo + r, (size_t)ldo);
        }
    for (; r < row_end; r++)
        for (int64_t c = 0; c < columns; c++) out[c * ldo + r] = dot(nb, base + (size_t)r * row_bytes, act + (size_t)c * activation_stride);
    free(own);
    return 0;
}

int ck_dot_rows_uses_vnni512(void) { return ck_uses_avx2() && ck_cpu_has_vnni512(); }
int ck_dot_rows_uses_vbmi512(void) { return ck_uses_avx2() && cpu_has_vbmi512(); }

int ck_dot_rows_generic(uint32_t type, const void *weights, size_t row_bytes, int64_t row_begin, int64_t row_end,
                        int64_t count, const void *activations, float *out) {
    return dot_rows(BODIES_GENERIC, type, weights, row_bytes, row_begin, row_end, count, activations, out);
}

// ---- prefill ---------------------------------------------------------------------------------------------

int ck_gemm_rows_supported(uint32_t type, int64_t count) {
#if defined(__x86_64__)
    const ck_traits_row *t = ck_traits(type);
    return ck_uses_avx2() && t && t->prefill_panels && count % 8 == 0 && count % t->block_values == 0;
#else
    (void)type; (void)count;
    return 0;
#endif
}

static int gemm_rows(int wide, uint32_t type, const float *x, int64_t ldx, int64_t tokens, const void *weights, size_t row_bytes,
                     int64_t row_begin, int64_t row_end, int64_t count, float *out, int64_t ldo, float *scratch) {
    if (!ck_gemm_rows_supported(type, count) || tokens < 1 || row_end <= row_begin) return -1;
    ck_gemm_panels(wide, type, x, ldx, tokens, weights, row_bytes, row_begin, row_end, count, out, ldo, scratch);
    return 0;
}

int ck_gemm_rows(uint32_t type, const float *x, int64_t ldx, int64_t tokens, const void *weights, size_t row_bytes,
                 int64_t row_begin, int64_t row_end, int64_t count, float *out, int64_t ldo, float *scratch) {
    return gemm_rows(ck_cpu_has_avx512(), type, x, ldx, tokens, weights, row_bytes, row_begin, row_end, count, out, ldo, scratch);
}

int ck_gemm_rows_avx2(uint32_t type, const float *x, int64_t ldx, int64_t tokens, const void *weights, size_t row_bytes,
                      int64_t row_begin, int64_t row_end, int64_t count, float *out, int64_t ldo, float *scratch) {
    return gemm_rows(0, type, x, ldx, tokens, weights, row_bytes, row_begin, row_end, count, out, ldo, scratch);
}

int ck_gemm_rows_uses_avx512(void) { return ck_uses_avx2() && ck_cpu_has_avx512(); }

int ck_gemm_i8_supported(uint32_t type, int64_t count) {
#if defined(__x86_64__)
    const ck_traits_row *t = ck_traits(type);
    return ck_uses_avx2() && t && count % 32 == 0 && (ck_cpu_has_vnni512() ? t->prefill_int8 : t->prefill_int8_avx2);
#else
    (void)type; (void)count;
    return 0;
#endif
}

int ck_gemm_i8(uint32_t type, const void *packed, int64_t tokens, const void *weights, size_t row_bytes,
               int64_t row_begin, int64_t row_end, int64_t count, float *out, int64_t ldo, void *scratch) {
    if (!ck_gemm_i8_supported(type, count) || tokens < 1 || row_end <= row_begin) return -1;
    if (ck_cpu_has_vnni512()) ck_gemm_i8_vnni512(type, packed, tokens, weights, row_bytes, row_begin, row_end, count, out, ldo, scratch);
    else ck_gemm_i8_avx2(type, packed, tokens, weights, row_bytes, row_begin, row_end, count, out, ldo, scratch);
    return 0;
}

// ---- 16-bit rows -----------------------------------------------------------------------------------------

void ck_dot_rows_f16(const float *x, const void *weights, size_t row_bytes, int64_t row_begin, int64_t row_end,
                     int64_t count, float *out) {
    const char *base = weights;
    int64_t r = row_begin;
    if (ck_uses_avx2())
        for (; r + 4 <= row_end; r += 4) ck_dot4_f16_avx2(x, base + (size_t)r * row_bytes, row_bytes, count, out + r);
    for (; r < row_end; r++) out[r] = ck_dot_f16_generic(x, base + (size_t)r * row_bytes, count);
}
void ck_dot_rows_bf16(const float *x, const void *weights, size_t row_bytes, int64_t row_begin, int64_t row_end,
                      int64_t count, float *out) {
    const char *base = weights;
    int64_t r = row_begin;
    if (ck_uses_avx2())
        for (; r + 4 <= row_end; r += 4) ck_dot4_bf16_avx2(x, base + (size_t)r * row_bytes, row_bytes, count, out + r);
    for (; r < row_end; r++) out[r] = ck_dot_bf16_generic(x, base + (size_t)r * row_bytes, count);
}

void ck_widen_f16(const void *halves, float *out, int64_t count) {
    const unsigned char *h = halves;
    if (ck_uses_avx2()) { ck_widen_f16_avx2(h, out, count); return; }
    for (int64_t i = 0; i < count; i++) out[i] = ck_half_to_float(ck_load_u16(h + 2 * i));
}
