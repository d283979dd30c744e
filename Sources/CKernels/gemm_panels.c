// Prefill over 16-bit weights (IEEE half or bfloat16). The path it replaces widened 64-row tiles to f32
// and called sgemm, which spent a fifth of prefill repacking the whole activation matrix for every tile.
// Here a block of 96 rows × 512 columns is widened once into an L2-resident scratch, laid out as panels of
// 16 rows interleaved by column (panel[k][16]); then every group of 6 tokens passes over it. A tile of 16
// rows × 6 tokens keeps its 12 accumulators in registers and needs, per column, 2 panel loads and 6
// broadcast activations for 12 FMAs, with no horizontal sums: each accumulator is 8 consecutive outputs.
// (Dot-product tiles over the 16-bit rows measured 20 % slower: conversions in the inner loop and the
// horizontal sums cost FMA slots.) A group's activation chunk (12 KiB) stays in L1 meanwhile. Where the
// CPU has AVX-512 the same panels feed 32 × 6 tiles of zmm registers instead (dispatch.c chooses).
#include "CKernels.h"
#include "internal.h"

#if defined(__x86_64__)
#include "avx2_unpack.h"

enum { PANEL = 16, TILE_TOKENS = 6, K_CHUNK = 512, ROW_BLOCK = 96 };
_Static_assert(ROW_BLOCK % (2 * PANEL) == 0, "a block is a whole number of panel pairs (the AVX-512 tile)");

/// How a block's rows are read while packing: stored halves or bfloat16 values, or f32 (stored, or
/// dequantized into the scratch's staging rows first).
enum row_kind { ROWS_F16, ROWS_BF16, ROWS_F32 };

/// Values k..k+7 of row `row` as f32.
AVX2 static inline __attribute__((always_inline)) __m256 load8(const void *row, int64_t k, const enum row_kind kind) {
    if (kind == ROWS_F32) return _mm256_loadu_ps((const float *)row + k);
    const __m128i h = _mm_loadu_si128((const __m128i *)((const char *)row + 2 * k));
    return kind == ROWS_BF16 ? _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16)) : _mm256_cvtph_ps(h);
}
/// panel[k*16 + i] = row i's value k, k < kc, for 16 rows (rows[i] already at the chunk's first column):
/// 8 × 8 blocks loaded, widened and transposed in registers.
AVX2 static inline __attribute__((always_inline)) void pack_panel(const enum row_kind kind, const void *const rows[PANEL],
                                                                   int64_t kc, float *panel) {
    for (int64_t k = 0; k < kc; k += 8) {
        for (int half = 0; half < 2; half++) {
            __m256 r[8];
            for (int i = 0; i < 8; i++) r[i] = load8(rows[8 * half + i], k, kind);
            transpose8(r);
            for (int j = 0; j < 8; j++) _mm256_storeu_ps(panel + (k + j) * PANEL + 8 * half, r[j]);
        }
    }
}
/// out[j*ldo + i] (+)= Σ_k panel[k][i] · x_j[k] for the first `tn` tokens and `rn` rows of the tile.
AVX2 static inline __attribute__((always_inline)) void tile(const float *panel, const float *const x[TILE_TOKENS], int64_t kc,
        float *out, int64_t ldo, int64_t tn, int64_t rn, int add) {
    __m256 c[TILE_TOKENS][2];
    for (int j = 0; j < TILE_TOKENS; j++) { c[j][0] = _mm256_setzero_ps(); c[j][1] = _mm256_setzero_ps(); }
#pragma clang loop unroll_count(4)
    for (int64_t k = 0; k < kc; k++) {
        const __m256 w0 = _mm256_loadu_ps(panel + k * PANEL), w1 = _mm256_loadu_ps(panel + k * PANEL + 8);
        for (int j = 0; j < TILE_TOKENS; j++) {
            const __m256 a = _mm256_broadcast_ss(x[j] + k);
            c[j][0] = _mm256_fmadd_ps(w0, a, c[j][0]); c[j][1] = _mm256_fmadd_ps(w1, a, c[j][1]);
        }
    }
    for (int64_t j = 0; j < tn; j++) {
        float *o = out + j * ldo;
        if (rn == PANEL) {
            if (add) { c[j][0] = _mm256_add_ps(c[j][0], _mm256_loadu_ps(o)); c[j][1] = _mm256_add_ps(c[j][1], _mm256_loadu_ps(o + 8)); }
            _mm256_storeu_ps(o, c[j][0]); _mm256_storeu_ps(o + 8, c[j][1]);
        } else {
            float s[PANEL]; _mm256_storeu_ps(s, c[j][0]); _mm256_storeu_ps(s + 8, c[j][1]);
            for (int64_t i = 0; i < rn; i++) o[i] = add ? o[i] + s[i] : s[i];
        }
    }
}
/// The AVX-512 tile: a panel column is one zmm, so a tile of two panels (32 rows) × 6 tokens needs per
/// column two panel loads and 6 broadcasts for 12 FMAs of twice the AVX2 width. (A 16 × 12 tile needs
/// twelve activation pointers, more than the registers left, and measured no faster than AVX2.)
#define AVX512 __attribute__((target("avx512f,avx2,fma,f16c")))
AVX512 static inline __attribute__((always_inline)) void tile512(const float *panel, const float *const x[TILE_TOKENS],
        int64_t kc, float *out, int64_t ldo, int64_t tn, int64_t rn, int add) {
    __m512 c[TILE_TOKENS][2];
    for (int j = 0; j < TILE_TOKENS; j++) { c[j][0] = _mm512_setzero_ps(); c[j][1] = _mm512_setzero_ps(); }
    const float *second = panel + PANEL * K_CHUNK;  // the next panel (read even past the block: its sums are dropped)
#pragma clang loop unroll_count(2)
    for (int64_t k = 0; k < kc; k++) {
        const __m512 w0 = _mm512_loadu_ps(panel + k * PANEL), w1 = _mm512_loadu_ps(second + k * PANEL);
        for (int j = 0; j < TILE_TOKENS; j++) {
            const __m512 a = _mm512_set1_ps(x[j][k]);
            c[j][0] = _mm512_fmadd_ps(w0, a, c[j][0]); c[j][1] = _mm512_fmadd_ps(w1, a, c[j][1]);
        }
    }
    const __mmask16 lo = (__mmask16)(rn >= PANEL ? 0xFFFF : (1u << rn) - 1);
    const __mmask16 hi = (__mmask16)(rn >= 2 * PANEL ? 0xFFFF : rn > PANEL ? (1u << (rn - PANEL)) - 1 : 0);
    for (int64_t j = 0; j < tn; j++) {
        float *o = out + j * ldo;
        if (add) {
            c[j][0] = _mm512_add_ps(c[j][0], _mm512_maskz_loadu_ps(lo, o));
            c[j][1] = _mm512_add_ps(c[j][1], _mm512_maskz_loadu_ps(hi, o + PANEL));
        }
        _mm512_mask_storeu_ps(o, lo, c[j][0]);
        _mm512_mask_storeu_ps(o + PANEL, hi, c[j][1]);
    }
}

/// Packs the block's rows [b0, b1) × columns [k0, k0 + kc) into panels at `scratch`. Quantized rows are
/// dequantized 16 at a time into the staging rows after the panels, then packed as f32.
AVX2 static inline __attribute__((always_inline)) void pack_block(const enum row_kind kind, uint32_t type, const char *base,
    size_t row_bytes, size_t chunk_offset, int64_t b0, int64_t b1, int64_t k0, int64_t kc, float *scratch) {
    float *staging = scratch + ROW_BLOCK * K_CHUNK;
    for (int64_t p = b0; p < b1; p += PANEL) {
        const void *rows[PANEL];
        for (int i = 0; i < PANEL; i++) {
            // Rows past the end repeat the last row; their sums are dropped.
            const char *row = base + (size_t)(p + i < b1 ? p + i : b1 - 1) * row_bytes + chunk_offset;
            if (type == CK_F32 || type == CK_F16 || type == CK_BF16) { rows[i] = row; continue; }
            if (i == 0 || p + i < b1) ck_dequantize_row(type, row, staging + i * K_CHUNK, kc);
            rows[i] = staging + (p + i < b1 ? i : b1 - 1 - p) * K_CHUNK;
        }
        pack_panel(kind, rows, kc, scratch + (p - b0) * K_CHUNK);
    }
}

/// The block loop over one tile body: ATTR is the target, TILE the tile function, ROWS its row count.
#define GEMM_PANELS(NAME, ATTR, TILE, ROWS) \
ATTR static inline __attribute__((always_inline)) void NAME(const enum row_kind kind, uint32_t type, const float *x, \
    int64_t ldx, int64_t tokens, const void *weights, size_t row_bytes, int64_t row_begin, int64_t row_end, int64_t count, \
    float *out, int64_t ldo, float *scratch) { \
    const char *base = weights; \
    for (int64_t b0 = row_begin; b0 < row_end; b0 += ROW_BLOCK) { \
        const int64_t b1 = b0 + ROW_BLOCK < row_end ? b0 + ROW_BLOCK : row_end; \
        for (int64_t k0 = 0; k0 < count; k0 += K_CHUNK) { \
            const int64_t kc = k0 + K_CHUNK < count ? K_CHUNK : count - k0; \
            /* k0 is a whole number of blocks of every type (K_CHUNK is a multiple of 256), so this is exact. */ \
            pack_block(kind, type, base, row_bytes, (size_t)((int64_t)row_bytes * k0 / count), b0, b1, k0, kc, scratch); \
            for (int64_t t = 0; t < tokens; t += TILE_TOKENS) { \
                /* Tokens past the end repeat the last one; their sums are dropped. */ \
                const float *xs[TILE_TOKENS]; \
                for (int j = 0; j < TILE_TOKENS; j++) xs[j] = x + (t + j < tokens ? t + j : tokens - 1) * ldx + k0; \
                const int64_t tn = tokens - t < TILE_TOKENS ? tokens - t : TILE_TOKENS; \
                for (int64_t p = b0; p < b1; p += ROWS) \
                    TILE(scratch + (p - b0) * K_CHUNK, xs, kc, out + t * ldo + p, ldo, tn, b1 - p < ROWS ? b1 - p : ROWS, k0 > 0); \
            } \
        } \
    } \
}
GEMM_PANELS(gemm_panels, AVX2, tile, PANEL)
GEMM_PANELS(gemm_panels512, AVX512, tile512, 2 * PANEL)

#define GEMM(NAME, ATTR, PANELS, KIND) \
ATTR static void NAME(uint32_t type, const float *x, int64_t ldx, int64_t tokens, const void *w, size_t rb, int64_t r0, \
                      int64_t r1, int64_t count, float *out, int64_t ldo, float *scratch) { \
    PANELS(KIND, type, x, ldx, tokens, w, rb, r0, r1, count, out, ldo, scratch); }
GEMM(gemm_f16, AVX2, gemm_panels, ROWS_F16)
GEMM(gemm_bf16, AVX2, gemm_panels, ROWS_BF16)
GEMM(gemm_f32, AVX2, gemm_panels, ROWS_F32)
GEMM(gemm_f16_512, AVX512, gemm_panels512, ROWS_F16)
GEMM(gemm_bf16_512, AVX512, gemm_panels512, ROWS_BF16)
GEMM(gemm_f32_512, AVX512, gemm_panels512, ROWS_F32)
#undef GEMM

typedef void (*gemm_body)(uint32_t, const float *, int64_t, int64_t, const void *, size_t, int64_t, int64_t, int64_t,
                          float *, int64_t, float *);
static gemm_body gemm_body_for(uint32_t type, int wide) {
    switch (type) {
    case CK_F16: return wide ? gemm_f16_512 : gemm_f16;
    case CK_BF16: return wide ? gemm_bf16_512 : gemm_bf16;
    default: return wide ? gemm_f32_512 : gemm_f32;
    }
}
#endif

int64_t ck_gemm_rows_scratch_floats(void) {
#if defined(__x86_64__)
    return (int64_t)(ROW_BLOCK + PANEL) * K_CHUNK;
#else
    return 0;
#endif
}

int64_t ck_gemm_rows_row_block(void) {
#if defined(__x86_64__)
    return ROW_BLOCK;
#else
    return 1;
#endif
}

void ck_gemm_panels(int wide, uint32_t type, const float *x, int64_t ldx, int64_t tokens, const void *weights, size_t row_bytes,
                    int64_t row_begin, int64_t row_end, int64_t count, float *out, int64_t ldo, float *scratch) {
#if defined(__x86_64__)
    gemm_body_for(type, wide)(type, x, ldx, tokens, weights, row_bytes, row_begin, row_end, count, out, ldo, scratch);
#else
    (void)wide; (void)type; (void)x; (void)ldx; (void)tokens; (void)weights; (void)row_bytes; (void)row_begin; (void)row_end;
    (void)count; (void)out; (void)ldo; (void)scratch;
#endif
}
