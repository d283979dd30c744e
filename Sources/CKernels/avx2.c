// AVX2/FMA/F16C bodies of the row dot products. Integer products are exact (maddubs pairs stay below the
// i16 limit: |q| ≤ 32 or unsigned ≤ 63 against |a| ≤ 127); only the float accumulation order differs from
// the generic bodies (one FMA per block into 8 lanes, summed at the end).
#include "CKernels.h"
#include "unpack.h"
#include "internal.h"

#if defined(__x86_64__)
#include "avx2_unpack.h"

AVX2 static inline float hsum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}
AVX2 static inline int hsum8i(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
    return _mm_cvtsi128_si32(s);
}
AVX2 static inline float half(uint16_t h) { return _cvtsh_ss(h); }

/// signed × signed bytes → 8 × i32 pair-of-pairs sums (sign moved onto the activations for maddubs).
AVX2 static inline __m256i dot_i8(__m256i q, __m256i a) {
    const __m256i p = _mm256_maddubs_epi16(_mm256_sign_epi8(q, q), _mm256_sign_epi8(a, q));
    return _mm256_madd_epi16(p, _mm256_set1_epi16(1));
}
/// unsigned × signed bytes → 8 × i32.
AVX2 static inline __m256i dot_u8(__m256i q, __m256i a) {
    return _mm256_madd_epi16(_mm256_maddubs_epi16(q, a), _mm256_set1_epi16(1));
}
AVX2 float ck_dot_q4_0_avx2(int64_t nb, const void *w, const void *act) {
    const ck_q4_0 *b = w; const ck_q8_0 *a = act;
    __m256 acc = _mm256_setzero_ps();
    for (int64_t i = 0; i < nb; i++) {
        const __m256i q = _mm256_sub_epi8(nibbles32(b[i].qs), _mm256_set1_epi8(8));
        const __m256i s = dot_i8(q, _mm256_loadu_si256((const __m256i *)a[i].qs));
        acc = _mm256_fmadd_ps(_mm256_set1_ps(half(b[i].d) * half(a[i].d)), _mm256_cvtepi32_ps(s), acc);
    }
    return hsum8(acc);
}
AVX2 float ck_dot_q5_0_avx2(int64_t nb, const void *w, const void *act) {
    const ck_q5_0 *b = w; const ck_q8_0 *a = act;
    __m256 acc = _mm256_setzero_ps();
    for (int64_t i = 0; i < nb; i++) {
        uint32_t h; memcpy(&h, b[i].qh, 4);
        const __m256i q = _mm256_sub_epi8(_mm256_or_si256(nibbles32(b[i].qs), bit4_from_bits(h)), _mm256_set1_epi8(16));
        const __m256i s = dot_i8(q, _mm256_loadu_si256((const __m256i *)a[i].qs));
        acc = _mm256_fmadd_ps(_mm256_set1_ps(half(b[i].d) * half(a[i].d)), _mm256_cvtepi32_ps(s), acc);
    }
    return hsum8(acc);
}
AVX2 float ck_dot_q8_0_avx2(int64_t nb, const void *w, const void *act) {
    const ck_q8_0 *b = w; const ck_q8_0 *a = act;
    __m256 acc = _mm256_setzero_ps();
    for (int64_t i = 0; i < nb; i++) {
        const __m256i s = dot_i8(_mm256_loadu_si256((const __m256i *)b[i].qs), _mm256_loadu_si256((const __m256i *)a[i].qs));
        acc = _mm256_fmadd_ps(_mm256_set1_ps(half(b[i].d) * half(a[i].d)), _mm256_cvtepi32_ps(s), acc);
    }
    return hsum8(acc);
}
AVX2 float ck_dot_q4_1_avx2(int64_t nb, const void *w, const void *act) {
    const ck_q4_1 *b = w; const ck_q8_1 *a = act;
    __m256 acc = _mm256_setzero_ps();
    float mins = 0;
    for (int64_t i = 0; i < nb; i++) {
        const __m256i s = dot_u8(nibbles32(b[i].qs), _mm256_loadu_si256((const __m256i *)a[i].qs));
        acc = _mm256_fmadd_ps(_mm256_set1_ps(half(b[i].d) * half(a[i].d)), _mm256_cvtepi32_ps(s), acc);
        mins += half(b[i].m) * half(a[i].s);
    }
    return hsum8(acc) + mins;
}
AVX2 float ck_dot_q5_1_avx2(int64_t nb, const void *w, const void *act) {
    const ck_q5_1 *b = w; const ck_q8_1 *a = act;
    __m256 acc = _mm256_setzero_ps();
    float mins = 0;
    for (int64_t i = 0; i < nb; i++) {
        uint32_t h; memcpy(&h, b[i].qh, 4);
        const __m256i q = _mm256_or_si256(nibbles32(b[i].qs), bit4_from_bits(h));
        const __m256i s = dot_u8(q, _mm256_loadu_si256((const __m256i *)a[i].qs));
        acc = _mm256_fmadd_ps(_mm256_set1_ps(half(b[i].d) * half(a[i].d)), _mm256_cvtepi32_ps(s), acc);
        mins += half(b[i].m) * half(a[i].s);
    }
    return hsum8(acc) + mins;
}

/// Σ of the 32 signed activation bytes, as 8 × i32 lanes grouped like dot_u8's output.
AVX2 static inline __m256i lane_sums(__m256i a) {
    return _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_set1_epi8(1), a), _mm256_set1_epi16(1));
}

// Eight weight rows against one activation row. A block's integer sum is exact, so instead of turning
// each row's eight partial sums into floats and scaling them separately, the eight rows' partial sums are
// reduced into one vector with a lane per row: the scale conversion, the int→float conversion and the FMA
// then run once per block for all eight rows. On cache-resident data this measured 1.5× (Q4_0) to 1.6× (Q8_0)
// a four-row body (since removed) per core, which is what decode needs to reach memory bandwidth on two
// cores. A matrix's last rows, when it has not a multiple of eight, take the one-row bodies above.

/// Lane k of the result = Σ of the 8 lanes of s[k].
AVX2 static inline __m256i row_totals8(const __m256i s[8]) {
    const __m256i t0 = _mm256_hadd_epi32(s[0], s[1]), t1 = _mm256_hadd_epi32(s[2], s[3]);
    const __m256i t2 = _mm256_hadd_epi32(s[4], s[5]), t3 = _mm256_hadd_epi32(s[6], s[7]);
    const __m256i u0 = _mm256_hadd_epi32(t0, t1), u1 = _mm256_hadd_epi32(t2, t3);
    return _mm256_add_epi32(_mm256_permute2x128_si256(u0, u1, 0x20), _mm256_permute2x128_si256(u0, u1, 0x31));
}
/// Field FIELD (a half) of block i of the eight rows, as floats.
#define HALVES8(FIELD) _mm256_cvtph_ps(_mm_setr_epi16((short)r[0][i].FIELD, (short)r[1][i].FIELD, (short)r[2][i].FIELD, \
    (short)r[3][i].FIELD, (short)r[4][i].FIELD, (short)r[5][i].FIELD, (short)r[6][i].FIELD, (short)r[7][i].FIELD))


/// BT/AT: weight and activation block types; ROW_SUM(k): row k's 8-lane integer partial sums against `av`;
/// OFFSET: the value subtracted from every stored quant (0, 8 or 16), taken out through Σa; MIN: Q4_1/Q5_1.
#define ROWS8(NAME, BT, AT, ROW_SUM, OFFSET, MIN) \
AVX2 void NAME(int64_t nb, const void *w, size_t row_bytes, const void *act, float *out) { \
    const BT *r[8]; for (int k = 0; k < 8; k++) r[k] = (const BT *)((const char *)w + (size_t)k * row_bytes); \
    const AT *a = act; \
    __m256 acc = _mm256_setzero_ps(), mins = _mm256_setzero_ps(); \
    const char *next = (const char *)w + 8 * row_bytes; \
    for (int64_t i = 0; i < nb; i++) { \
        prefetch_span(next + (size_t)i * 8 * sizeof(BT), 8 * sizeof(BT)); \
        const __m256i av = _mm256_loadu_si256((const __m256i *)a[i].qs); \
        __m256i s[8]; \
        for (int k = 0; k < 8; k++) s[k] = ROW_SUM(k); \
        __m256i totals = row_totals8(s); \
        if (OFFSET) totals = _mm256_sub_epi32(totals, _mm256_set1_epi32(OFFSET * hsum8i(lane_sums(av)))); \
        acc = _mm256_fmadd_ps(_mm256_mul_ps(HALVES8(d), _mm256_set1_ps(half(a[i].d))), _mm256_cvtepi32_ps(totals), acc); \
        MIN \
    } \
    _mm256_storeu_ps(out, _mm256_add_ps(acc, mins)); \
}
#define WITH_MINS mins = _mm256_fmadd_ps(HALVES8(m), _mm256_set1_ps(half(a[i].s)), mins);
#define NO_MINS
#define Q4_SUM(k) dot_u8(nibbles32(r[k][i].qs), av)
#define Q5_SUM(k) dot_u8(_mm256_or_si256(nibbles32(r[k][i].qs), bit4_from_bits(load_u32(r[k][i].qh))), av)
#define Q8_SUM(k) dot_i8(_mm256_loadu_si256((const __m256i *)r[k][i].qs), av)
ROWS8(ck_dot8_q4_0_avx2, ck_q4_0, ck_q8_0, Q4_SUM, 8, NO_MINS)
ROWS8(ck_dot8_q5_0_avx2, ck_q5_0, ck_q8_0, Q5_SUM, 16, NO_MINS)
ROWS8(ck_dot8_q8_0_avx2, ck_q8_0, ck_q8_0, Q8_SUM, 0, NO_MINS)
ROWS8(ck_dot8_q4_1_avx2, ck_q4_1, ck_q8_1, Q4_SUM, 0, WITH_MINS)
ROWS8(ck_dot8_q5_1_avx2, ck_q5_1, ck_q8_1, Q5_SUM, 0, WITH_MINS)

// The same eight rows against several activation rows at once (the batched engine's decode: one token of
// each sequence). A decode step with one token is compute-bound on AVX2 only just under memory bandwidth, so
// re-running ROWS8 per token reads the weights from cache but repeats everything else. Here each block of the
// eight rows is unpacked once (nibbles, fifth bits, scales) and then dotted with every column, and what
// depends on a column's block alone (its scale as a float, Σa for the offset, the Q8_1 sum) is worked out
// once per call instead of once per eight rows (ck_column_terms_avx2). Per column the float operations and
// their order are ROWS8's exactly, and the integer ones are exact, so a column's result is bit for bit what
// ROWS8 gives it alone: a sequence's output does not depend on what else is in the batch.

AVX2 void ck_column_terms_avx2(uint32_t activation_type, const void *act, size_t act_stride, int64_t columns, int64_t nb,
                               float *d, int32_t *sum, float *s) {
    for (int64_t c = 0; c < columns; c++) {
        const char *column = (const char *)act + (size_t)c * act_stride;
        for (int64_t i = 0; i < nb; i++) {
            if (activation_type == CK_Q8_1) {
                const ck_q8_1 *a = (const ck_q8_1 *)column + i;
                d[c * nb + i] = half(a->d);
                s[c * nb + i] = half(a->s);
            } else {
                const ck_q8_0 *a = (const ck_q8_0 *)column + i;
                d[c * nb + i] = half(a->d);
                sum[c * nb + i] = hsum8i(lane_sums(_mm256_loadu_si256((const __m256i *)a->qs)));
            }
        }
    }
}

/// UNPACK(k): row k's 32 quants of block i; DOT: ROWS8's integer product of unpacked quants with `av`;
/// OFFSET and HAS_MINS as in ROWS8. Column c's terms are at t_d/t_sum/t_s + c·nb.
#define ROWS8_COLUMNS(NAME, BT, AT, UNPACK, DOT, OFFSET, HAS_MINS) \
AVX2 static inline __attribute__((always_inline)) void NAME##_n(int64_t nb, const void *w, size_t row_bytes, const char *act, \
        size_t act_stride, const float *t_d, const int32_t *t_sum, const float *t_s, float *out, size_t ldo, const int C) { \
    const BT *r[8]; for (int k = 0; k < 8; k++) r[k] = (const BT *)((const char *)w + (size_t)k * row_bytes); \
    const AT *a[CK_COLUMNS]; for (int c = 0; c < C; c++) a[c] = (const AT *)(act + (size_t)c * act_stride); \
    __m256 acc[CK_COLUMNS], mins[CK_COLUMNS]; \
    for (int c = 0; c < C; c++) { acc[c] = _mm256_setzero_ps(); mins[c] = _mm256_setzero_ps(); } \
    const char *next = (const char *)w + 8 * row_bytes; \
    for (int64_t i = 0; i < nb; i++) { \
        prefetch_span(next + (size_t)i * 8 * sizeof(BT), 8 * sizeof(BT)); \
        __m256i q[8]; \
        for (int k = 0; k < 8; k++) q[k] = UNPACK(k); \
        const __m256 dw = HALVES8(d); \
        __m256 mw = _mm256_setzero_ps(); \
        if (HAS_MINS) mw = HALVES8M; \
        for (int c = 0; c < C; c++) { \
            const __m256i av = _mm256_loadu_si256((const __m256i *)a[c][i].qs); \
            __m256i s[8]; \
            for (int k = 0; k < 8; k++) s[k] = DOT(q[k], av); \
            __m256i totals = row_totals8(s); \
            if (OFFSET) totals = _mm256_sub_epi32(totals, _mm256_set1_epi32(OFFSET * t_sum[c * nb + i])); \
            acc[c] = _mm256_fmadd_ps(_mm256_mul_ps(dw, _mm256_set1_ps(t_d[c * nb + i])), _mm256_cvtepi32_ps(totals), acc[c]); \
            if (HAS_MINS) mins[c] = _mm256_fmadd_ps(mw, _mm256_set1_ps(t_s[c * nb + i]), mins[c]); \
        } \
    } \
    for (int c = 0; c < C; c++) _mm256_storeu_ps(out + (size_t)c * ldo, _mm256_add_ps(acc[c], mins[c])); \
} \
AVX2 void NAME(int64_t nb, const void *w, size_t row_bytes, const void *act, size_t act_stride, const float *t_d, \
               const int32_t *t_sum, const float *t_s, int columns, float *out, size_t ldo) { \
    switch (columns) { \
    case 1: NAME##_n(nb, w, row_bytes, act, act_stride, t_d, t_sum, t_s, out, ldo, 1); break; \
    case 2: NAME##_n(nb, w, row_bytes, act, act_stride, t_d, t_sum, t_s, out, ldo, 2); break; \
    case 3: NAME##_n(nb, w, row_bytes, act, act_stride, t_d, t_sum, t_s, out, ldo, 3); break; \
    default: NAME##_n(nb, w, row_bytes, act, act_stride, t_d, t_sum, t_s, out, ldo, CK_COLUMNS); break; \
    } \
}
#define HALVES8M HALVES8(m)
#define Q4_UNPACK(k) nibbles32(r[k][i].qs)
#define Q5_UNPACK(k) _mm256_or_si256(nibbles32(r[k][i].qs), bit4_from_bits(load_u32(r[k][i].qh)))
#define Q8_UNPACK(k) _mm256_loadu_si256((const __m256i *)r[k][i].qs)
ROWS8_COLUMNS(ck_dot8_columns_q4_1_avx2, ck_q4_1, ck_q8_1, Q4_UNPACK, dot_u8, 0, 1)
ROWS8_COLUMNS(ck_dot8_columns_q5_1_avx2, ck_q5_1, ck_q8_1, Q5_UNPACK, dot_u8, 0, 1)
#undef HALVES8M
// The types without minimums never use it (HAS_MINS is 0); it only has to compile.
#define HALVES8M _mm256_setzero_ps()
ROWS8_COLUMNS(ck_dot8_columns_q4_0_avx2, ck_q4_0, ck_q8_0, Q4_UNPACK, dot_u8, 8, 0)
ROWS8_COLUMNS(ck_dot8_columns_q5_0_avx2, ck_q5_0, ck_q8_0, Q5_UNPACK, dot_u8, 16, 0)
ROWS8_COLUMNS(ck_dot8_columns_q8_0_avx2, ck_q8_0, ck_q8_0, Q8_UNPACK, dot_i8, 0, 0)
#undef HALVES8M

/// Four 16-bit rows · x: each 8-value chunk of x is loaded once for the four rows, and each chunk step
/// prefetches its share (64 bytes) of the next four rows, as the quantized bodies do (avx2_unpack.h).
#define WIDEN_ROWS4(NAME, WIDEN, SCALAR) \
AVX2 void NAME(const float *x, const void *w, size_t row_bytes, int64_t count, float *out) { \
    const unsigned char *r[4]; for (int k = 0; k < 4; k++) r[k] = (const unsigned char *)w + (size_t)k * row_bytes; \
    __m256 acc[4] = { _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps() }; \
    const char *next = (const char *)w + 4 * row_bytes; \
    int64_t i = 0; \
    for (; i + 8 <= count; i += 8) { \
        prefetch_span(next + (size_t)i * 8, 64); \
        const __m256 xv = _mm256_loadu_ps(x + i); \
        for (int k = 0; k < 4; k++) acc[k] = _mm256_fmadd_ps(xv, WIDEN(_mm_loadu_si128((const __m128i *)(r[k] + 2 * i))), acc[k]); \
    } \
    for (int k = 0; k < 4; k++) { \
        float sum = hsum8(acc[k]); \
        for (int64_t j = i; j < count; j++) sum += x[j] * SCALAR(ck_load_u16(r[k] + 2 * j)); \
        out[k] = sum; \
    } \
}
AVX2 static inline __m256 widen_half(__m128i h) { return _mm256_cvtph_ps(h); }
AVX2 static inline __m256 widen_bf16(__m128i h) { return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16)); }
static inline float scalar_bf16(uint16_t h) { const uint32_t b = (uint32_t)h << 16; float f; memcpy(&f, &b, 4); return f; }
WIDEN_ROWS4(ck_dot4_f16_avx2, widen_half, half)
AVX2 void ck_widen_f16_avx2(const void *halves, float *out, int64_t count) {
    const unsigned char *h = halves;
    int64_t i = 0;
    for (; i + 8 <= count; i += 8) _mm256_storeu_ps(out + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(h + 2 * i))));
    for (; i < count; i++) out[i] = half(ck_load_u16(h + 2 * i));
}
WIDEN_ROWS4(ck_dot4_bf16_avx2, widen_bf16, scalar_bf16)

// Dequantization of the legacy formats, for the prefill's panels: 32 values per block from the same byte
// unpacking as the dot products, then (float)q·d (+ m) like the generic body, operation for operation.

/// Stores (float)q[j]·d (+ m) for the 32 signed bytes of q.
AVX2 static inline void store_block(__m256i q, float d, float m, int has_min, float *y) {
    const __m256 dv = _mm256_set1_ps(d), mv = _mm256_set1_ps(m);
    const __m128i lo = _mm256_castsi256_si128(q), hi = _mm256_extracti128_si256(q, 1);
    const __m128i parts[4] = { lo, _mm_srli_si128(lo, 8), hi, _mm_srli_si128(hi, 8) };
    for (int p = 0; p < 4; p++) {
        __m256 v = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(parts[p])), dv);
        if (has_min) v = _mm256_add_ps(v, mv);
        _mm256_storeu_ps(y + 8 * p, v);
    }
}

/// Bit for bit like the generic bodies, one function per type (traits.c points at them).
AVX2 int ck_dequantize_q4_0_avx2(const void *row, float *out, int64_t count) {
    const ck_q4_0 *b = row;
    for (int64_t i = 0; i < count / 32; i++) store_block(_mm256_sub_epi8(nibbles32(b[i].qs), _mm256_set1_epi8(8)), half(b[i].d), 0, 0, out + 32 * i);
    return 0;
}
AVX2 int ck_dequantize_q4_1_avx2(const void *row, float *out, int64_t count) {
    const ck_q4_1 *b = row;
    for (int64_t i = 0; i < count / 32; i++) store_block(nibbles32(b[i].qs), half(b[i].d), half(b[i].m), 1, out + 32 * i);
    return 0;
}
AVX2 int ck_dequantize_q5_0_avx2(const void *row, float *out, int64_t count) {
    const ck_q5_0 *b = row;
    for (int64_t i = 0; i < count / 32; i++) {
        uint32_t h; memcpy(&h, b[i].qh, 4);
        const __m256i q = _mm256_sub_epi8(_mm256_or_si256(nibbles32(b[i].qs), bit4_from_bits(h)), _mm256_set1_epi8(16));
        store_block(q, half(b[i].d), 0, 0, out + 32 * i);
    }
    return 0;
}
AVX2 int ck_dequantize_q5_1_avx2(const void *row, float *out, int64_t count) {
    const ck_q5_1 *b = row;
    for (int64_t i = 0; i < count / 32; i++) {
        uint32_t h; memcpy(&h, b[i].qh, 4);
        store_block(_mm256_or_si256(nibbles32(b[i].qs), bit4_from_bits(h)), half(b[i].d), half(b[i].m), 1, out + 32 * i);
    }
    return 0;
}
AVX2 int ck_dequantize_q8_0_avx2(const void *row, float *out, int64_t count) {
    const ck_q8_0 *b = row;
    for (int64_t i = 0; i < count / 32; i++) store_block(_mm256_loadu_si256((const __m256i *)b[i].qs), half(b[i].d), 0, 0, out + 32 * i);
    return 0;
}

/// Σ_g sc[g]·Σ_{i∈g} q[i]·a[i] over a 256-block unpacked to signed bytes, 16 scales of 16.
AVX2 static inline int super_isum(const int8_t *q, const int8_t *a, const int16_t *sc) {
    __m256i acc = _mm256_setzero_si256();
    for (int k = 0; k < 8; k++) {
        const __m256i qv = _mm256_loadu_si256((const __m256i *)(q + 32 * k));
        const __m256i av = _mm256_loadu_si256((const __m256i *)(a + 32 * k));
        const __m256i p = _mm256_maddubs_epi16(_mm256_sign_epi8(qv, qv), _mm256_sign_epi8(av, qv));
        const __m256i s = _mm256_set_m128i(_mm_set1_epi16(sc[2 * k + 1]), _mm_set1_epi16(sc[2 * k]));
        acc = _mm256_add_epi32(acc, _mm256_madd_epi16(p, s));
    }
    return hsum8i(acc);
}
AVX2 static inline int super_msum(const ck_super *u, const ck_q8_k *a) {
    int m = 0;
    for (int g = 0; g < 16; g++) m += (int)u->mn[g] * (int)a->bsums[g];
    return m;
}
AVX2 float ck_dot_q2_k_avx2(int64_t nb, const void *w, const void *act) {
    const ck_q2_k *b = w; const ck_q8_k *a = act;
    float sum = 0; ck_super u;
    for (int64_t i = 0; i < nb; i++) {
        ck_unpack_q2_k(b + i, &u);
        sum += (u.d * a[i].d) * (float)super_isum(u.q, a[i].qs, u.sc) - (u.dmin * a[i].d) * (float)super_msum(&u, a + i);
    }
    return sum;
}
AVX2 float ck_dot_q3_k_avx2(int64_t nb, const void *w, const void *act) {
    const ck_q3_k *b = w; const ck_q8_k *a = act;
    float sum = 0; ck_super u;
    for (int64_t i = 0; i < nb; i++) {
        ck_unpack_q3_k(b + i, &u);
        sum += (u.d * a[i].d) * (float)super_isum(u.q, a[i].qs, u.sc);
    }
    return sum;
}

AVX2 float ck_dot_q4_k_avx2(int64_t nb, const void *w, const void *act) {
    const ck_q4_k *b = w; const ck_q8_k *a = act;
    __m256 acc = _mm256_setzero_ps();
    float mins = 0;
    const __m256i low = _mm256_set1_epi8(0x0F);
    for (int64_t i = 0; i < nb; i++) {
        int16_t sc[8]; int msum;
        _mm_storeu_si128((__m128i *)sc, k4_scales(b[i].scales, &msum, a[i].bsums));
        __m256i isum = _mm256_setzero_si256();
        for (int c = 0; c < 4; c++) {
            const __m256i qs = _mm256_loadu_si256((const __m256i *)(b[i].qs + 32 * c));
            const __m256i lo = _mm256_and_si256(qs, low), hi = _mm256_and_si256(_mm256_srli_epi16(qs, 4), low);
            const __m256i plo = _mm256_maddubs_epi16(lo, _mm256_loadu_si256((const __m256i *)(a[i].qs + 64 * c)));
            const __m256i phi = _mm256_maddubs_epi16(hi, _mm256_loadu_si256((const __m256i *)(a[i].qs + 64 * c + 32)));
            isum = _mm256_add_epi32(isum, _mm256_madd_epi16(plo, _mm256_set1_epi16(sc[2 * c])));
            isum = _mm256_add_epi32(isum, _mm256_madd_epi16(phi, _mm256_set1_epi16(sc[2 * c + 1])));
        }
        const float da = a[i].d;
        acc = _mm256_fmadd_ps(_mm256_set1_ps(half(b[i].d) * da), _mm256_cvtepi32_ps(isum), acc);
        mins += (half(b[i].dmin) * da) * (float)msum;
    }
    return hsum8(acc) - mins;
}
AVX2 float ck_dot_q5_k_avx2(int64_t nb, const void *w, const void *act) {
    const ck_q5_k *b = w; const ck_q8_k *a = act;
    __m256 acc = _mm256_setzero_ps();
    float mins = 0;
    const __m256i low = _mm256_set1_epi8(0x0F), one = _mm256_set1_epi8(1);
    for (int64_t i = 0; i < nb; i++) {
        int16_t sc[8]; int msum;
        _mm_storeu_si128((__m128i *)sc, k4_scales(b[i].scales, &msum, a[i].bsums));
        const __m256i hbits = _mm256_loadu_si256((const __m256i *)b[i].qh);
        __m256i isum = _mm256_setzero_si256();
        for (int c = 0; c < 4; c++) {
            const __m256i qs = _mm256_loadu_si256((const __m256i *)(b[i].qs + 32 * c));
            const __m256i hlo = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hbits, 2 * c), one), 4);
            const __m256i hhi = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hbits, 2 * c + 1), one), 4);
            const __m256i lo = _mm256_or_si256(_mm256_and_si256(qs, low), hlo);
            const __m256i hi = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(qs, 4), low), hhi);
            const __m256i plo = _mm256_maddubs_epi16(lo, _mm256_loadu_si256((const __m256i *)(a[i].qs + 64 * c)));
            const __m256i phi = _mm256_maddubs_epi16(hi, _mm256_loadu_si256((const __m256i *)(a[i].qs + 64 * c + 32)));
            isum = _mm256_add_epi32(isum, _mm256_madd_epi16(plo, _mm256_set1_epi16(sc[2 * c])));
            isum = _mm256_add_epi32(isum, _mm256_madd_epi16(phi, _mm256_set1_epi16(sc[2 * c + 1])));
        }
        const float da = a[i].d;
        acc = _mm256_fmadd_ps(_mm256_set1_ps(half(b[i].d) * da), _mm256_cvtepi32_ps(isum), acc);
        mins += (half(b[i].dmin) * da) * (float)msum;
    }
    return hsum8(acc) - mins;
}
AVX2 float ck_dot_q6_k_avx2(int64_t nb, const void *w, const void *act) {
    const ck_q6_k *b = w; const ck_q8_k *a = act;
    __m256 acc = _mm256_setzero_ps();
    const __m256i low = _mm256_set1_epi8(0x0F), three = _mm256_set1_epi8(3);
    for (int64_t i = 0; i < nb; i++) {
        // The −32 offset comes out through the activation group sums: Σ sc·(q−32)·a = Σ sc·q·a − 32·Σ sc·bsum.
        int offset = 0;
        for (int g = 0; g < 16; g++) offset += (int)b[i].scales[g] * (int)a[i].bsums[g];
        __m256i isum = _mm256_setzero_si256();
        for (int n = 0; n < 2; n++) {
            const __m256i ql0 = _mm256_loadu_si256((const __m256i *)(b[i].ql + 64 * n));
            const __m256i ql1 = _mm256_loadu_si256((const __m256i *)(b[i].ql + 64 * n + 32));
            const __m256i qh = _mm256_loadu_si256((const __m256i *)(b[i].qh + 32 * n));
            __m256i q[4];
            q[0] = _mm256_or_si256(_mm256_and_si256(ql0, low), _mm256_slli_epi16(_mm256_and_si256(qh, three), 4));
            q[1] = _mm256_or_si256(_mm256_and_si256(ql1, low), _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2), three), 4));
            q[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), low), _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 4), three), 4));
            q[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql1, 4), low), _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 6), three), 4));
            for (int k = 0; k < 4; k++) {
                const int g = 8 * n + 2 * k;
                const __m256i p = _mm256_maddubs_epi16(q[k], _mm256_loadu_si256((const __m256i *)(a[i].qs + 128 * n + 32 * k)));
                const __m256i s = _mm256_set_m128i(_mm_set1_epi16(b[i].scales[g + 1]), _mm_set1_epi16(b[i].scales[g]));
                isum = _mm256_add_epi32(isum, _mm256_madd_epi16(p, s));
            }
        }
        isum = _mm256_sub_epi32(isum, _mm256_setr_epi32(32 * offset, 0, 0, 0, 0, 0, 0, 0));
        acc = _mm256_fmadd_ps(_mm256_set1_ps(half(b[i].d) * a[i].d), _mm256_cvtepi32_ps(isum), acc);
    }
    return hsum8(acc);
}

#else
#define FALLBACK(T) float ck_dot_##T##_avx2(int64_t nb, const void *w, const void *a) { return ck_dot_##T##_generic(nb, w, a); }
FALLBACK(q4_0) FALLBACK(q4_1) FALLBACK(q5_0) FALLBACK(q5_1) FALLBACK(q8_0)
FALLBACK(q2_k) FALLBACK(q3_k) FALLBACK(q4_k) FALLBACK(q5_k) FALLBACK(q6_k)
#define FALLBACK_DEQUANTIZE(T) int ck_dequantize_##T##_avx2(const void *row, float *out, int64_t count) { \
    return ck_dequantize_##T##_generic(row, out, count); }
FALLBACK_DEQUANTIZE(q4_0) FALLBACK_DEQUANTIZE(q4_1) FALLBACK_DEQUANTIZE(q5_0) FALLBACK_DEQUANTIZE(q5_1) FALLBACK_DEQUANTIZE(q8_0)
#define FALLBACK8(T) void ck_dot8_##T##_avx2(int64_t nb, const void *w, size_t rb, const void *a, float *out) { \
    for (int k = 0; k < 8; k++) out[k] = ck_dot_##T##_generic(nb, (const char *)w + (size_t)k * rb, a); }
FALLBACK8(q4_0) FALLBACK8(q4_1) FALLBACK8(q5_0) FALLBACK8(q5_1) FALLBACK8(q8_0)
#define FALLBACK_COLUMNS(T) void ck_dot8_columns_##T##_avx2(int64_t nb, const void *w, size_t rb, const void *a, size_t as, \
        const float *t_d, const int32_t *t_sum, const float *t_s, int columns, float *out, size_t ldo) { \
    (void)t_d; (void)t_sum; (void)t_s; \
    for (int c = 0; c < columns; c++) ck_dot8_##T##_avx2(nb, w, rb, (const char *)a + (size_t)c * as, out + (size_t)c * ldo); }
FALLBACK_COLUMNS(q4_0) FALLBACK_COLUMNS(q4_1) FALLBACK_COLUMNS(q5_0) FALLBACK_COLUMNS(q5_1) FALLBACK_COLUMNS(q8_0)
void ck_column_terms_avx2(uint32_t activation_type, const void *act, size_t act_stride, int64_t columns, int64_t nb,
                          float *d, int32_t *sum, float *s) {
    (void)activation_type; (void)act; (void)act_stride; (void)columns; (void)nb; (void)d; (void)sum; (void)s;
}
void ck_widen_f16_avx2(const void *h, float *out, int64_t count) { for (int64_t i = 0; i < count; i++) out[i] = ck_half_to_float(ck_load_u16((const unsigned char *)h + 2 * i)); }
void ck_dot4_f16_avx2(const float *x, const void *w, size_t rb, int64_t count, float *out) {
    for (int k = 0; k < 4; k++) out[k] = ck_dot_f16_generic(x, (const char *)w + (size_t)k * rb, count); }
void ck_dot4_bf16_avx2(const float *x, const void *w, size_t rb, int64_t count, float *out) {
    for (int k = 0; k < 4; k++) out[k] = ck_dot_bf16_generic(x, (const char *)w + (size_t)k * rb, count); }
#endif
