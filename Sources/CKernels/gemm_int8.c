// Prefill of the legacy formats (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0) on 8-bit integer products (AVX-512 VNNI), the
// way decode already works: activations are quantized to 8-bit blocks, and each 32-value block's product is
// an exact integer sum scaled once by d_weight·d_activation (plus m_weight·d_activation·Σa for the formats
// with a minimum, Q4_1 and Q5_1). One vpdpbusd does 64 multiply-adds where an f32 FMA does 16, so this
// beats the f32 panels (gemm_panels.c) on CPUs that have it.
//
// vpdpbusd multiplies unsigned by signed bytes, so signed weights are stored as q + 128 and every block's sum
// is corrected by −128·Σa (computed once per token and block, when the activations are packed); Q4_1/Q5_1
// quants are unsigned already.
//
// Layouts. Activations: per group of 8 tokens and 32-block, the 8 four-byte words of each token interleaved
// ([word][token]), then the 8 scales, corrections and d·Σa (as Q8_1 stores it, rounded to a half). Weights:
// a block of 64 rows × 64 blocks is unpacked at a time into groups of 16 rows, per block [word][row] (one zmm
// per word), then the 16 row scales and minimums. A tile of 16 rows × 8 tokens keeps 8 integer sums and
// 8 float accumulators in registers.
#include "CKernels.h"
#include "internal.h"
#include "blocks.h"
#include "int8_activations.h"

enum { I8_ROWS = 16, I8_ROW_BLOCK = 64, I8_K_BLOCKS = 64 };

typedef struct { uint32_t u[8][I8_ROWS]; float d[I8_ROWS]; float m[I8_ROWS]; } weight_block;
_Static_assert(sizeof(weight_block) == 640, "packed weight layout");

static int has_min(uint32_t type) { return type == CK_Q4_1 || type == CK_Q5_1; }

int64_t ck_gemm_i8_activation_bytes(int64_t tokens, int64_t count) {
    return (tokens + I8_TOKENS - 1) / I8_TOKENS * (count / 32) * (int64_t)sizeof(act_block);
}

int64_t ck_gemm_i8_scratch_bytes(void) {
    const int64_t vnni = (int64_t)(I8_ROW_BLOCK / I8_ROWS) * I8_K_BLOCKS * (int64_t)sizeof(weight_block);
    const int64_t avx2 = ck_gemm_i8_avx2_scratch_bytes();
    return vnni > avx2 ? vnni : avx2;
}

int ck_gemm_i8_pack_activations(const float *x, int64_t ldx, int64_t tokens, int64_t group_begin, int64_t group_end,
                                int64_t count, void *packed) {
    if (count % 32 != 0) return -1;
    const int64_t nb = count / 32;
    for (int64_t g = group_begin; g < group_end; g++) {
        act_block *blocks = (act_block *)packed + g * nb;
        for (int j = 0; j < I8_TOKENS; j++) {
            const int64_t t = g * I8_TOKENS + j;
            for (int64_t b = 0; b < nb; b++) {
                act_block *a = blocks + b;
                if (t >= tokens) {  // padding tokens contribute nothing; their sums are never stored
                    for (int w = 0; w < 8; w++) a->q[w][j] = 0;
                    a->d[j] = 0; a->correction[j] = 0; a->dsum[j] = 0; a->minus8_sum[j] = 0;
                    continue;
                }
                int8_t q[32]; int sum;
                const float d = ck_quantize_block_q8(x + t * ldx + 32 * b, q, &sum);
                a->d[j] = ck_half_to_float(ck_float_to_half(d));
                a->correction[j] = -128 * sum;
                a->minus8_sum[j] = -8 * sum;
                a->dsum[j] = ck_half_to_float(ck_float_to_half((float)sum * d));
                for (int w = 0; w < 8; w++) memcpy(&a->q[w][j], q + 4 * w, 4);
            }
        }
    }
    return 0;
}

#if defined(__x86_64__)
#include "avx2_unpack.h"
#define VNNI __attribute__((target("avx512f,avx512vnni,avx2,fma,f16c")))

/// Block i of a row as unsigned bytes (q + 128 for the signed formats), with its scale and minimum: the
/// stored quants, moved by 128 − 8 (Q4_0) or 128 − 16 (Q5_0) for the offset formats.
AVX2 static inline __m256i unsigned_block(uint32_t type, const char *row, int64_t i, float *d, float *m) {
    if (type == CK_Q8_0) {
        const ck_q8_0 *b = (const ck_q8_0 *)row + i; *d = ck_half_to_float(b->d); *m = 0;
        return _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)b->qs), _mm256_set1_epi8((char)0x80));
    }
    const __m256i q = stored_quants(type, row, i, d, m);
    switch (type) {
    case CK_Q4_0: return _mm256_add_epi8(q, _mm256_set1_epi8(120));
    case CK_Q5_0: return _mm256_add_epi8(q, _mm256_set1_epi8(112));
    default: return q;
    }
}

/// Unpacks rows [r0, r0 + 64) ∩ [.., row_end) × blocks [k0, k0 + kb) into weight groups (rows past the end
/// repeat the last row).
AVX2 static void pack_weights(uint32_t type, const char *base, size_t row_bytes, int64_t r0, int64_t row_end,
                              int64_t k0, int64_t kb, weight_block *out) {
    for (int64_t r = 0; r < I8_ROW_BLOCK; r++) {
        const int64_t row = r0 + r < row_end ? r0 + r : row_end - 1;
        weight_block *group = out + (r / I8_ROWS) * I8_K_BLOCKS;
        const int lane = (int)(r % I8_ROWS);
        for (int64_t b = 0; b < kb; b++) {
            uint32_t words[8];
            _mm256_storeu_si256((__m256i *)words, unsigned_block(type, base + (size_t)row * row_bytes, k0 + b, &group[b].d[lane], &group[b].m[lane]));
            for (int w = 0; w < 8; w++) group[b].u[w][lane] = words[w];
        }
    }
}

/// out[j*ldo + i] (+)= row i · token j over `kb` blocks, for the first `rn` rows and `tn` tokens. MIN: the
/// weights are unsigned with a minimum (no correction; m·d·Σa added instead).
VNNI static inline __attribute__((always_inline)) void tile(const int min, const weight_block *w, const act_block *a, int64_t kb,
                                                            float *out, int64_t ldo, int64_t rn, int64_t tn, int add) {
    __m512 acc[I8_TOKENS];
    for (int j = 0; j < I8_TOKENS; j++) acc[j] = _mm512_setzero_ps();
    for (int64_t b = 0; b < kb; b++) {
        __m512i s[I8_TOKENS];
        for (int j = 0; j < I8_TOKENS; j++) s[j] = min ? _mm512_setzero_si512() : _mm512_set1_epi32(a[b].correction[j]);
        for (int word = 0; word < 8; word++) {
            const __m512i wv = _mm512_loadu_si512(w[b].u[word]);
            for (int j = 0; j < I8_TOKENS; j++) s[j] = _mm512_dpbusd_epi32(s[j], wv, _mm512_set1_epi32(a[b].q[word][j]));
        }
        const __m512 dw = _mm512_loadu_ps(w[b].d);
        for (int j = 0; j < I8_TOKENS; j++)
            acc[j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s[j]), _mm512_mul_ps(dw, _mm512_set1_ps(a[b].d[j])), acc[j]);
        if (min) {
            const __m512 mw = _mm512_loadu_ps(w[b].m);
            for (int j = 0; j < I8_TOKENS; j++) acc[j] = _mm512_fmadd_ps(mw, _mm512_set1_ps(a[b].dsum[j]), acc[j]);
        }
    }
    const __mmask16 rows = (__mmask16)(rn >= I8_ROWS ? 0xFFFF : (1u << rn) - 1);
    for (int64_t j = 0; j < tn; j++) {
        float *o = out + j * ldo;
        if (add) acc[j] = _mm512_add_ps(acc[j], _mm512_maskz_loadu_ps(rows, o));
        _mm512_mask_storeu_ps(o, rows, acc[j]);
    }
}

VNNI static void tile_offset(const weight_block *w, const act_block *a, int64_t kb, float *out, int64_t ldo, int64_t rn, int64_t tn, int add) {
    tile(0, w, a, kb, out, ldo, rn, tn, add);
}
VNNI static void tile_min(const weight_block *w, const act_block *a, int64_t kb, float *out, int64_t ldo, int64_t rn, int64_t tn, int add) {
    tile(1, w, a, kb, out, ldo, rn, tn, add);
}

VNNI static void gemm_i8(uint32_t type, const act_block *packed, int64_t tokens, const char *base, size_t row_bytes,
                         int64_t row_begin, int64_t row_end, int64_t count, float *out, int64_t ldo, weight_block *scratch) {
    const int64_t nb = count / 32, groups = (tokens + I8_TOKENS - 1) / I8_TOKENS;
    void (*const run)(const weight_block *, const act_block *, int64_t, float *, int64_t, int64_t, int64_t, int) =
        has_min(type) ? tile_min : tile_offset;
    for (int64_t r0 = row_begin; r0 < row_end; r0 += I8_ROW_BLOCK) {
        for (int64_t k0 = 0; k0 < nb; k0 += I8_K_BLOCKS) {
            const int64_t kb = k0 + I8_K_BLOCKS < nb ? I8_K_BLOCKS : nb - k0;
            pack_weights(type, base, row_bytes, r0, row_end, k0, kb, scratch);
            for (int64_t g = 0; g < groups; g++) {
                const int64_t tn = tokens - g * I8_TOKENS < I8_TOKENS ? tokens - g * I8_TOKENS : I8_TOKENS;
                for (int64_t p = r0; p < r0 + I8_ROW_BLOCK && p < row_end; p += I8_ROWS)
                    run(scratch + ((p - r0) / I8_ROWS) * I8_K_BLOCKS, packed + g * nb + k0, kb,
                         out + g * I8_TOKENS * ldo + p, ldo, row_end - p < I8_ROWS ? row_end - p : I8_ROWS, tn, k0 > 0);
            }
        }
    }
}
#endif

int64_t ck_gemm_i8_row_block(void) { return I8_ROW_BLOCK; }

void ck_gemm_i8_vnni512(uint32_t type, const void *packed, int64_t tokens, const void *weights, size_t row_bytes,
                        int64_t row_begin, int64_t row_end, int64_t count, float *out, int64_t ldo, void *scratch) {
#if defined(__x86_64__)
    gemm_i8(type, packed, tokens, weights, row_bytes, row_begin, row_end, count, out, ldo, scratch);
#else
    (void)type; (void)packed; (void)tokens; (void)weights; (void)row_bytes; (void)row_begin; (void)row_end; (void)count;
    (void)out; (void)ldo; (void)scratch;
#endif
}
