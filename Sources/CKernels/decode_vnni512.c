// AVX-512 VNNI bodies of the legacy formats' eight-row decode products (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0): the
// same contract, block order and float operations as the AVX2 eight-row bodies (avx2.c), so their results are
// bit-identical; only the integer block sums are formed differently.
//
// Why: on one core the AVX2 Q4_0 body measured the same speed on cache-resident rows as on rows streamed
// from memory, so it was bound by its instructions, not by memory. Here one vpdpbusd replaces AVX2's
// maddubs + madd pair, and it multiplies unsigned by signed bytes, which is exactly nibbles (0..15, or
// 0..31 with Q5's fifth bit) by activations. The offset of Q4_0/Q5_0 (quants stored as q + 8 or q + 16)
// and of Q8_0 (stored here as q + 128) is taken out by starting every block's sums from −offset·Σa, one
// vpdpbusd per block shared by the eight rows. Each zmm holds four rows' 16-byte quant groups, so the eight
// rows' partial sums fit in two registers and reduce to one lane per row with four shuffles (Q8_0: two
// rows' 32 quants per zmm, eight shuffles).
// One core, rows in cache: 1.1–1.45× the AVX2 bodies per format (bench-kernels --rows 384 --columns 4544
// --threads 1, against the same with --avx2), and 1.6× for Q4_0 in a C probe without the product's overheads.
#include "CKernels.h"
#include "internal.h"
#include "blocks.h"

#if defined(__x86_64__)
#include "avx2_unpack.h"

#define VNNI512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,avx2,fma,f16c")))

/// Sixteen bytes at each of four addresses as one zmm: [a | b | c | d].
VNNI512 static inline __m512i bytes16x4(const uint8_t *a, const uint8_t *b, const uint8_t *c, const uint8_t *d) {
    __m512i t = _mm512_castsi128_si512(_mm_loadu_si128((const __m128i *)a));
    t = _mm512_inserti32x4(t, _mm_loadu_si128((const __m128i *)b), 1);
    t = _mm512_inserti32x4(t, _mm_loadu_si128((const __m128i *)c), 2);
    return _mm512_inserti32x4(t, _mm_loadu_si128((const __m128i *)d), 3);
}

/// Lane k of the result = Σ of row k's four lanes, where z0 holds rows 0–3 and z1 rows 4–7 (four lanes each,
/// one 128-bit chunk per row).
VNNI512 static inline __m256i totals_of_chunks(__m512i z0, __m512i z1) {
    // chunk c: [r_c, r_c+4, r_c, r_c+4] partial pairs, then both pairs summed into lanes 0 and 1 of the chunk
    const __m512i s = _mm512_add_epi32(_mm512_unpacklo_epi32(z0, z1), _mm512_unpackhi_epi32(z0, z1));
    const __m512i t = _mm512_add_epi32(s, _mm512_shuffle_epi32(s, _MM_PERM_BADC));
    return _mm512_castsi512_si256(_mm512_permutexvar_epi32(_mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 0, 0, 0, 0, 0, 0, 0, 0), t));
}

/// Lane k of the result = Σ of row k's eight lanes, where z[p] holds rows 2p (lanes 0–7) and 2p+1 (8–15).
VNNI512 static inline __m256i totals_of_halves(__m512i z0, __m512i z1, __m512i z2, __m512i z3) {
    // per pair of chunks, rows in chunk order: w1 = [r0 | r1 | r2 | r3], w2 = [r4 | r5 | r6 | r7], 4 lanes each
    const __m512i w1 = _mm512_add_epi32(_mm512_shuffle_i32x4(z0, z1, _MM_SHUFFLE(2, 0, 2, 0)), _mm512_shuffle_i32x4(z0, z1, _MM_SHUFFLE(3, 1, 3, 1)));
    const __m512i w2 = _mm512_add_epi32(_mm512_shuffle_i32x4(z2, z3, _MM_SHUFFLE(2, 0, 2, 0)), _mm512_shuffle_i32x4(z2, z3, _MM_SHUFFLE(3, 1, 3, 1)));
    return totals_of_chunks(w1, w2);
}

/// The 32-bit words at the starts of eight blocks, one lane each. Every block starts with its 16-bit scale
/// (then its minimum, or quants), so this reads the scales without leaving the blocks. Broadcast loads and
/// dword blends keep it off the shuffle port that the row reductions use.
VNNI512 static inline __m256i block_heads8(const void *const p[8]) {
    __m256i v = _mm256_set1_epi32((int32_t)load_u32(p[0]));
    v = _mm256_blend_epi32(v, _mm256_set1_epi32((int32_t)load_u32(p[1])), 0x02);
    v = _mm256_blend_epi32(v, _mm256_set1_epi32((int32_t)load_u32(p[2])), 0x04);
    v = _mm256_blend_epi32(v, _mm256_set1_epi32((int32_t)load_u32(p[3])), 0x08);
    v = _mm256_blend_epi32(v, _mm256_set1_epi32((int32_t)load_u32(p[4])), 0x10);
    v = _mm256_blend_epi32(v, _mm256_set1_epi32((int32_t)load_u32(p[5])), 0x20);
    v = _mm256_blend_epi32(v, _mm256_set1_epi32((int32_t)load_u32(p[6])), 0x40);
    return _mm256_blend_epi32(v, _mm256_set1_epi32((int32_t)load_u32(p[7])), 0x80);
}
/// The low (scale) and high (minimum) halves of each lane, as floats.
VNNI512 static inline __m256 low_halves(__m256i v) { return _mm256_cvtph_ps(_mm256_cvtepi32_epi16(v)); }
VNNI512 static inline __m256 high_halves(__m256i v) { return _mm256_cvtph_ps(_mm256_cvtepi32_epi16(_mm256_srli_epi32(v, 16))); }

/// Q5's fifth bits for four rows laid out like their nibbles: bit j of the mask is set when element `half`·16 + j%16
/// of row j/16 has its fifth bit. `qh4` holds row c's 32 high bits in every dword of chunk c.
VNNI512 static inline __mmask64 fifth_bits(__m512i qh4, int half) {
    const __m128i select = half == 0 ? _mm_setr_epi8(0,0,0,0,0,0,0,0, 1,1,1,1,1,1,1,1) : _mm_setr_epi8(2,2,2,2,2,2,2,2, 3,3,3,3,3,3,3,3);
    const __m512i bytes = _mm512_shuffle_epi8(qh4, _mm512_broadcast_i32x4(select));
    return _mm512_test_epi8_mask(bytes, _mm512_set1_epi64((long long)0x8040201008040201ULL));
}
VNNI512 static inline __m512i high_bits4(const uint8_t *a, const uint8_t *b, const uint8_t *c, const uint8_t *d) {
    __m512i h = _mm512_set1_epi32((int32_t)load_u32(a));
    h = _mm512_mask_set1_epi32(h, 0x00F0, (int32_t)load_u32(b));
    h = _mm512_mask_set1_epi32(h, 0x0F00, (int32_t)load_u32(c));
    return _mm512_mask_set1_epi32(h, 0xF000, (int32_t)load_u32(d));
}

/// Block i of rows 4p..4p+3 (nibble formats): their partial sums against the activation halves, from `init`.
#define NIBBLE_SUMS(p, FIFTH) ({ \
    const __m512i q = bytes16x4(r[4*p][i].qs, r[4*p+1][i].qs, r[4*p+2][i].qs, r[4*p+3][i].qs); \
    __m512i lo = _mm512_and_si512(q, low4), hi = _mm512_and_si512(_mm512_srli_epi16(q, 4), low4); \
    FIFTH(p) \
    _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(init, lo, alo), hi, ahi); })
#define WITH_FIFTH(p) { \
    const __m512i h = high_bits4(r[4*p][i].qh, r[4*p+1][i].qh, r[4*p+2][i].qh, r[4*p+3][i].qh); \
    lo = _mm512_mask_add_epi8(lo, fifth_bits(h, 0), lo, _mm512_set1_epi8(0x10)); \
    hi = _mm512_mask_add_epi8(hi, fifth_bits(h, 1), hi, _mm512_set1_epi8(0x10)); }
#define NO_FIFTH(p)

/// BT/AT: weight and activation block types; OFFSET: the value stored quants carry (0, 8 or 16); FIFTH: Q5's
/// high bits; MIN: Q4_1/Q5_1's minimums.
#define NIBBLE_ROWS8(NAME, BT, AT, OFFSET, FIFTH, MIN) \
VNNI512 void NAME(int64_t nb, const void *w, size_t row_bytes, const void *act, float *out) { \
    const BT *r[8]; for (int k = 0; k < 8; k++) r[k] = (const BT *)((const char *)w + (size_t)k * row_bytes); \
    const AT *a = act; \
    const __m512i low4 = _mm512_set1_epi8(0x0F), offset = _mm512_set1_epi8(OFFSET); \
    __m256 acc = _mm256_setzero_ps(), mins = _mm256_setzero_ps(); \
    const char *next = (const char *)w + 8 * row_bytes; \
    for (int64_t i = 0; i < nb; i++) { \
        prefetch_span(next + (size_t)i * 8 * sizeof(BT), 8 * sizeof(BT)); \
        const __m512i alo = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)a[i].qs)); \
        const __m512i ahi = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)(a[i].qs + 16))); \
        const __m512i init = OFFSET ? _mm512_sub_epi32(_mm512_setzero_si512(), \
            _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), offset, alo), offset, ahi)) : _mm512_setzero_si512(); \
        const __m256i totals = totals_of_chunks(NIBBLE_SUMS(0, FIFTH), NIBBLE_SUMS(1, FIFTH)); \
        const void *heads[8]; for (int k = 0; k < 8; k++) heads[k] = &r[k][i]; \
        const __m256i dm = block_heads8(heads); \
        acc = _mm256_fmadd_ps(_mm256_mul_ps(low_halves(dm), _mm256_set1_ps(_cvtsh_ss(a[i].d))), _mm256_cvtepi32_ps(totals), acc); \
        MIN \
    } \
    _mm256_storeu_ps(out, _mm256_add_ps(acc, mins)); \
}
#define WITH_MINS mins = _mm256_fmadd_ps(high_halves(dm), _mm256_set1_ps(_cvtsh_ss(a[i].s)), mins);
#define NO_MINS
NIBBLE_ROWS8(ck_dot8_q4_0_vnni512, ck_q4_0, ck_q8_0, 8, NO_FIFTH, NO_MINS)
NIBBLE_ROWS8(ck_dot8_q5_0_vnni512, ck_q5_0, ck_q8_0, 16, WITH_FIFTH, NO_MINS)
NIBBLE_ROWS8(ck_dot8_q4_1_vnni512, ck_q4_1, ck_q8_1, 0, NO_FIFTH, WITH_MINS)
NIBBLE_ROWS8(ck_dot8_q5_1_vnni512, ck_q5_1, ck_q8_1, 0, WITH_FIFTH, WITH_MINS)

/// Q8_0: each zmm holds two rows' 32 quants, stored as q + 128 (a sign flip) for vpdpbusd.
VNNI512 void ck_dot8_q8_0_vnni512(int64_t nb, const void *w, size_t row_bytes, const void *act, float *out) {
    const ck_q8_0 *r[8]; for (int k = 0; k < 8; k++) r[k] = (const ck_q8_0 *)((const char *)w + (size_t)k * row_bytes);
    const ck_q8_0 *a = act;
    const __m512i flip = _mm512_set1_epi8((char)0x80);
    __m256 acc = _mm256_setzero_ps();
    const char *next = (const char *)w + 8 * row_bytes;
    for (int64_t i = 0; i < nb; i++) {
        prefetch_span(next + (size_t)i * 8 * sizeof(ck_q8_0), 8 * sizeof(ck_q8_0));
        const __m512i a2 = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)a[i].qs));
        const __m512i init = _mm512_sub_epi32(_mm512_setzero_si512(), _mm512_dpbusd_epi32(_mm512_setzero_si512(), flip, a2));
        __m512i z[4];
        for (int p = 0; p < 4; p++) {
            const __m512i q = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)r[2*p][i].qs)),
                                                 _mm256_loadu_si256((const __m256i *)r[2*p+1][i].qs), 1);
            z[p] = _mm512_dpbusd_epi32(init, _mm512_xor_si512(q, flip), a2);
        }
        const void *heads[8]; for (int k = 0; k < 8; k++) heads[k] = &r[k][i];
        acc = _mm256_fmadd_ps(_mm256_mul_ps(low_halves(block_heads8(heads)), _mm256_set1_ps(_cvtsh_ss(a[i].d))),
                              _mm256_cvtepi32_ps(totals_of_halves(z[0], z[1], z[2], z[3])), acc);
    }
    _mm256_storeu_ps(out, acc);
}

#else
// Never chosen off x86-64 (dispatch.c checks the CPU); defined so that the dispatcher links everywhere.
#define NO_BODY(NAME) void NAME(int64_t nb, const void *w, size_t rb, const void *a, float *out) { (void)nb; (void)w; (void)rb; (void)a; (void)out; }
NO_BODY(ck_dot8_q4_0_vnni512) NO_BODY(ck_dot8_q5_0_vnni512) NO_BODY(ck_dot8_q4_1_vnni512)
NO_BODY(ck_dot8_q5_1_vnni512) NO_BODY(ck_dot8_q8_0_vnni512)
#endif
