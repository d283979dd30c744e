// Prefill of the 4- and 5-bit legacy formats (Q4_0, Q4_1, Q5_0, Q5_1) on 8-bit integer products with AVX2
// alone: the same packed activations and the same exact block sums as the AVX-512 VNNI tiles (gemm_int8.c),
// for CPUs without VNNI, where the f32 panels (gemm_panels.c) were the only prefill.
//
// Why it can beat the panels: vpmaddubsw does 32 multiply-adds (unsigned × signed bytes, pairs summed into
// 16-bit lanes) where an f32 FMA does 8. Emulating vpdpbusd costs a second multiply (vpmaddwd) per
// vpmaddubsw, which is what made an earlier AVX2 int8 attempt lose to the panels. Here the weights are the
// stored quants, unsigned and small (0..15, or 0..31 with the fifth bit), so a pair's sum is at most
// 2·31·127 and several words can be added in 16 bits before one vpmaddwd widens them: 8 words (a whole
// block) for the 4-bit formats (8·2·15·127 = 30480 < 32767), 4 words for the 5-bit ones (4·2·31·127 = 31496).
// The offset formats' block sum Σ(q − z)·a is then Σq·a − z·Σa, from the packed −8·Σa (z = 8 or 16).
//
// Layout. Weights: a block of 64 rows × up to 64 blocks is unpacked at a time into groups of 8 rows, per block
// [word][row] (one ymm per word, an 8 × 8 transpose of eight rows' unpacked blocks), then the 8 row scales and
// minimums. A tile of 16 rows (two groups) × 4 tokens (half a packed group) keeps 8 16-bit sums in registers;
// each broadcast activation word feeds two vpmaddubsw, which on Zen 3 relieves the two pipes that run both the
// broadcasts and the adds. Against the 8-row tile it replaced (one broadcast per product), on a Zen 3 host:
// Q4_0 products of 128 tokens 1.16× (`bench-kernels --tokens 128`), a 32-layer Q4_0 prefill 1.15× (pp128);
// smaller K chunks and other loop orders changed nothing measurable. Every block's float step is the VNNI
// tile's, so both bodies give the same numbers (bit for bit the old tile's too).
#include "CKernels.h"
#include "internal.h"
#include "blocks.h"
#include "int8_activations.h"

enum { A2_ROWS = 8, A2_GROUPS = 2, A2_TOKENS = 4, A2_ROW_BLOCK = 64, A2_K_BLOCKS = 64 };

typedef struct { uint32_t u[8][A2_ROWS]; float d[A2_ROWS]; float m[A2_ROWS]; } weight_block8;
_Static_assert(sizeof(weight_block8) == 320, "packed weight layout");

int64_t ck_gemm_i8_avx2_scratch_bytes(void) {
    return (int64_t)(A2_ROW_BLOCK / A2_ROWS) * A2_K_BLOCKS * (int64_t)sizeof(weight_block8);
}

#if defined(__x86_64__)
#include "avx2_unpack.h"

/// Unpacks rows [r0, r0 + 64) ∩ [.., row_end) × blocks [k0, k0 + kb) into weight groups of 8 rows (rows past
/// the end repeat the last row; their outputs are never stored).
AVX2 static void pack_weights(uint32_t type, const char *base, size_t row_bytes, int64_t r0, int64_t row_end,
                              int64_t k0, int64_t kb, weight_block8 *out) {
    for (int64_t g = 0; g < A2_ROW_BLOCK / A2_ROWS; g++) {
        const char *rows[A2_ROWS];
        for (int i = 0; i < A2_ROWS; i++) {
            const int64_t r = r0 + g * A2_ROWS + i;
            rows[i] = base + (size_t)(r < row_end ? r : row_end - 1) * row_bytes;
        }
        weight_block8 *group = out + g * A2_K_BLOCKS;
        for (int64_t b = 0; b < kb; b++) {
            __m256 words[8];
            for (int i = 0; i < A2_ROWS; i++)
                words[i] = _mm256_castsi256_ps(stored_quants(type, rows[i], k0 + b, &group[b].d[i], &group[b].m[i]));
            transpose8(words);
            for (int w = 0; w < 8; w++) _mm256_storeu_ps((float *)group[b].u[w], words[w]);
        }
    }
}

/// The 16-bit sums of words [w0, w0 + n) of block `b` (two row groups, `w[b]` and `w[b + A2_K_BLOCKS]`) with
/// tokens j0..j0+3 of `ab`, widened to 32 bits and added to s. The word loop is kept rolled: unrolled, the
/// compiler loads every word's weights up front and spills the sums.
AVX2 static inline __attribute__((always_inline)) void add_words(const weight_block8 *w, int64_t b, const act_block *ab, int j0, int w0, int n,
                                                                  __m256i s[A2_GROUPS][A2_TOKENS]) {
    __m256i h[A2_GROUPS][A2_TOKENS];
    for (int g = 0; g < A2_GROUPS; g++) for (int t = 0; t < A2_TOKENS; t++) h[g][t] = _mm256_setzero_si256();
#pragma clang loop unroll(disable)
    for (int k = w0; k < w0 + n; k++) {
        __m256i v[A2_GROUPS];
        for (int g = 0; g < A2_GROUPS; g++) v[g] = _mm256_loadu_si256((const __m256i *)w[b + g * A2_K_BLOCKS].u[k]);
        for (int t = 0; t < A2_TOKENS; t++) {
            const __m256i x = _mm256_set1_epi32(ab->q[k][j0 + t]);
            for (int g = 0; g < A2_GROUPS; g++) h[g][t] = _mm256_add_epi16(h[g][t], _mm256_maddubs_epi16(v[g], x));
        }
    }
    const __m256i ones = _mm256_set1_epi16(1);
    for (int g = 0; g < A2_GROUPS; g++)
        for (int t = 0; t < A2_TOKENS; t++) s[g][t] = _mm256_add_epi32(s[g][t], _mm256_madd_epi16(h[g][t], ones));
}

/// out[t*ldo + i] (+)= row i · token j0 + t over `kb` blocks, for the first `rn` rows (of 16: row groups `w` and
/// `w + A2_K_BLOCKS`) and `tn` tokens. WORDS: words added in 16 bits before widening (8 or 4). OFFSET: the offset z
/// of the stored quants (8 or 16; the block's sum starts at −z·Σa), or 0 for the formats with a minimum (m·d·Σa
/// added instead).
AVX2 static inline __attribute__((always_inline)) void tile(const int words, const int offset, const weight_block8 *w, const act_block *a,
                                                            int j0, int64_t kb, float *out, int64_t ldo, int64_t rn, int64_t tn, int add) {
    __m256 acc[A2_GROUPS][A2_TOKENS];
    for (int g = 0; g < A2_GROUPS; g++) for (int t = 0; t < A2_TOKENS; t++) acc[g][t] = _mm256_setzero_ps();
    for (int64_t b = 0; b < kb; b++) {
        __m256i s[A2_GROUPS][A2_TOKENS];
        for (int t = 0; t < A2_TOKENS; t++) {
            __m256i z = offset ? _mm256_set1_epi32(a[b].minus8_sum[j0 + t]) : _mm256_setzero_si256();
            if (offset == 16) z = _mm256_add_epi32(z, z);
            for (int g = 0; g < A2_GROUPS; g++) s[g][t] = z;
        }
        for (int w0 = 0; w0 < 8; w0 += words) add_words(w, b, &a[b], j0, w0, words, s);
        for (int g = 0; g < A2_GROUPS; g++) {
            const weight_block8 *wb = &w[b + g * A2_K_BLOCKS];
            const __m256 dw = _mm256_loadu_ps(wb->d);
            for (int t = 0; t < A2_TOKENS; t++)
                acc[g][t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s[g][t]), _mm256_mul_ps(dw, _mm256_set1_ps(a[b].d[j0 + t])), acc[g][t]);
            if (!offset) {
                const __m256 mw = _mm256_loadu_ps(wb->m);
                for (int t = 0; t < A2_TOKENS; t++) acc[g][t] = _mm256_fmadd_ps(mw, _mm256_set1_ps(a[b].dsum[j0 + t]), acc[g][t]);
            }
        }
    }
    for (int g = 0; g < A2_GROUPS && g * A2_ROWS < rn; g++) {
        const int64_t n = rn - g * A2_ROWS < A2_ROWS ? rn - g * A2_ROWS : A2_ROWS;
        for (int64_t t = 0; t < tn; t++) {
            float *o = out + t * ldo + g * A2_ROWS;
            if (n == A2_ROWS) {
                if (add) acc[g][t] = _mm256_add_ps(acc[g][t], _mm256_loadu_ps(o));
                _mm256_storeu_ps(o, acc[g][t]);
            } else {
                float v[A2_ROWS];
                _mm256_storeu_ps(v, acc[g][t]);
                for (int64_t i = 0; i < n; i++) o[i] = add ? o[i] + v[i] : v[i];
            }
        }
    }
}

typedef void (*tile_body)(const weight_block8 *, const act_block *, int, int64_t, float *, int64_t, int64_t, int64_t, int);
AVX2 static void tile_q4_0(const weight_block8 *w, const act_block *a, int j0, int64_t kb, float *out, int64_t ldo, int64_t rn, int64_t tn, int add) {
    tile(8, 8, w, a, j0, kb, out, ldo, rn, tn, add);
}
AVX2 static void tile_q5_0(const weight_block8 *w, const act_block *a, int j0, int64_t kb, float *out, int64_t ldo, int64_t rn, int64_t tn, int add) {
    tile(4, 16, w, a, j0, kb, out, ldo, rn, tn, add);
}
AVX2 static void tile_q4_1(const weight_block8 *w, const act_block *a, int j0, int64_t kb, float *out, int64_t ldo, int64_t rn, int64_t tn, int add) {
    tile(8, 0, w, a, j0, kb, out, ldo, rn, tn, add);
}
AVX2 static void tile_q5_1(const weight_block8 *w, const act_block *a, int j0, int64_t kb, float *out, int64_t ldo, int64_t rn, int64_t tn, int add) {
    tile(4, 0, w, a, j0, kb, out, ldo, rn, tn, add);
}

AVX2 static void gemm_i8_avx2(uint32_t type, const act_block *packed, int64_t tokens, const char *base, size_t row_bytes,
                              int64_t row_begin, int64_t row_end, int64_t count, float *out, int64_t ldo, weight_block8 *scratch) {
    const int64_t nb = count / 32, groups = (tokens + I8_TOKENS - 1) / I8_TOKENS;
    const tile_body run = type == CK_Q4_0 ? tile_q4_0 : type == CK_Q5_0 ? tile_q5_0 : type == CK_Q4_1 ? tile_q4_1 : tile_q5_1;
    for (int64_t r0 = row_begin; r0 < row_end; r0 += A2_ROW_BLOCK) {
        for (int64_t k0 = 0; k0 < nb; k0 += A2_K_BLOCKS) {
            const int64_t kb = k0 + A2_K_BLOCKS < nb ? A2_K_BLOCKS : nb - k0;
            pack_weights(type, base, row_bytes, r0, row_end, k0, kb, scratch);
            for (int64_t g = 0; g < groups; g++) {
                for (int j0 = 0; j0 < I8_TOKENS && g * I8_TOKENS + j0 < tokens; j0 += A2_TOKENS) {
                    const int64_t first = g * I8_TOKENS + j0, tn = tokens - first < A2_TOKENS ? tokens - first : A2_TOKENS;
                    for (int64_t p = r0; p < r0 + A2_ROW_BLOCK && p < row_end; p += A2_GROUPS * A2_ROWS)
                        run(scratch + ((p - r0) / A2_ROWS) * A2_K_BLOCKS, packed + g * nb + k0, j0, kb, out + first * ldo + p, ldo,
                            row_end - p < A2_GROUPS * A2_ROWS ? row_end - p : A2_GROUPS * A2_ROWS, tn, k0 > 0);
                }
            }
        }
    }
}
#endif

void ck_gemm_i8_avx2(uint32_t type, const void *packed, int64_t tokens, const void *weights, size_t row_bytes,
                     int64_t row_begin, int64_t row_end, int64_t count, float *out, int64_t ldo, void *scratch) {
#if defined(__x86_64__)
    gemm_i8_avx2(type, packed, tokens, weights, row_bytes, row_begin, row_end, count, out, ldo, scratch);
#else
    (void)type; (void)packed; (void)tokens; (void)weights; (void)row_bytes; (void)row_begin; (void)row_end; (void)count;
    (void)out; (void)ldo; (void)scratch;
#endif
}
