// Internal: AVX2 unpacking of the legacy formats' quants, shared by the decode kernels (avx2.c, decode_vnni512.c)
// and the int8 prefill kernels (gemm_int8.c, gemm_int8_avx2.c); Q4_K/Q5_K scale unpacking (avx2.c, decode_kquant512.c); and the
// decode kernels' prefetch policy.
#ifndef CKERNELS_AVX2_UNPACK_H
#define CKERNELS_AVX2_UNPACK_H
#if defined(__x86_64__)
#include <immintrin.h>
#include <stdint.h>
#include <string.h>
#include "internal.h"
#include "blocks.h"
#define AVX2 __attribute__((target("avx2,fma,f16c")))

/// The 32 nibbles of 16 bytes: low nibbles (elements 0..15) then high nibbles (16..31). The bytes are
/// loaded into both halves by a broadcast load and only the upper half shifted, which keeps the unpacking
/// off the shuffle port that the decode kernels' row reductions need.
AVX2 static inline __m256i nibbles32(const uint8_t *qs) {
    const __m256i t = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)qs));
    return _mm256_and_si256(_mm256_srlv_epi64(t, _mm256_setr_epi64x(0, 0, 4, 4)), _mm256_set1_epi8(0x0F));
}
/// 0x10 in byte j where bit j of the 32-bit mask is set.
AVX2 static inline __m256i bit4_from_bits(uint32_t bits) {
    const __m256i v = _mm256_shuffle_epi8(_mm256_set1_epi32((int)bits),
        _mm256_setr_epi8(0,0,0,0,0,0,0,0, 1,1,1,1,1,1,1,1, 2,2,2,2,2,2,2,2, 3,3,3,3,3,3,3,3));
    const __m256i sel = _mm256_set1_epi64x((long long)0x8040201008040201ULL);
    return _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(v, sel), sel), _mm256_set1_epi8(0x10));
}

/// An 8 × 8 transpose of 32-bit lanes: afterwards r[j] holds lane j of every input r[i], in lane i.
AVX2 static inline void transpose8(__m256 r[8]) {
    __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    __m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    __m256 s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    __m256 s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    r[0] = _mm256_permute2f128_ps(s0, s4, 0x20); r[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
    r[2] = _mm256_permute2f128_ps(s2, s6, 0x20); r[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
    r[4] = _mm256_permute2f128_ps(s0, s4, 0x31); r[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
    r[6] = _mm256_permute2f128_ps(s2, s6, 0x31); r[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
}

static inline uint32_t load_u32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

/// Block i of a row of a 4- or 5-bit legacy format (Q4_0, Q4_1, Q5_0, Q5_1) as its stored unsigned quants
/// (0..15, or 0..31 with the fifth bit), with its scale and minimum (0 for the offset formats Q4_0 and Q5_0,
/// whose value is d·(q − 8) or d·(q − 16)).
AVX2 static inline __m256i stored_quants(uint32_t type, const char *row, int64_t i, float *d, float *m) {
    *m = 0;
    switch (type) {
    case CK_Q4_1: { const ck_q4_1 *b = (const ck_q4_1 *)row + i; *d = ck_half_to_float(b->d); *m = ck_half_to_float(b->m);
        return nibbles32(b->qs); }
    case CK_Q5_1: { const ck_q5_1 *b = (const ck_q5_1 *)row + i; *d = ck_half_to_float(b->d); *m = ck_half_to_float(b->m);
        return _mm256_or_si256(nibbles32(b->qs), bit4_from_bits(load_u32(b->qh))); }
    case CK_Q5_0: { const ck_q5_0 *b = (const ck_q5_0 *)row + i; *d = ck_half_to_float(b->d);
        return _mm256_or_si256(nibbles32(b->qs), bit4_from_bits(load_u32(b->qh))); }
    default: { const ck_q4_0 *b = (const ck_q4_0 *)row + i; *d = ck_half_to_float(b->d);
        return nibbles32(b->qs); }
    }
}

/// The Q4_K/Q5_K scales and mins (6 bits each) of one block, unpacked a 32-bit word at a time instead of
/// byte by byte (it was a third of these kernels' time): bytes 0–3 hold scales 0–3 and the top bits of scales
/// 4–7, bytes 4–7 the same for the mins, bytes 8–11 the low nibbles of scales and mins 4–7. Returns the
/// eight scales as 16-bit words in a register (stored one by one and reloaded whole, they stalled store
/// forwarding), and in *msum the mins' dot product with the activation group sums (pairs of 16-value sums,
/// one per 32-value group).
AVX2 static inline __m128i k4_scales(const uint8_t *scales, int *msum, const int16_t *bsums) {
    uint32_t u0, u1, u2;
    memcpy(&u0, scales, 4); memcpy(&u1, scales + 4, 4); memcpy(&u2, scales + 8, 4);
    const uint32_t sc_lo = u0 & 0x3F3F3F3F, mn_lo = u1 & 0x3F3F3F3F;
    const uint32_t sc_hi = (u2 & 0x0F0F0F0F) | ((u0 >> 6) & 0x03030303) << 4;
    const uint32_t mn_hi = ((u2 >> 4) & 0x0F0F0F0F) | ((u1 >> 6) & 0x03030303) << 4;
    const __m128i mins = _mm_cvtepu8_epi16(_mm_set_epi32(0, 0, (int)mn_hi, (int)mn_lo));
    const __m128i pairs = _mm_hadd_epi16(_mm_loadu_si128((const __m128i *)bsums), _mm_loadu_si128((const __m128i *)(bsums + 8)));
    __m128i m = _mm_madd_epi16(mins, pairs);
    m = _mm_add_epi32(m, _mm_shuffle_epi32(m, 0x4E));
    m = _mm_add_epi32(m, _mm_shuffle_epi32(m, 0xB1));
    *msum = _mm_cvtsi128_si32(m);
    return _mm_cvtepu8_epi16(_mm_set_epi32(0, 0, (int)sc_hi, (int)sc_lo));
}
/// Eight rows at a time read eight short streams (Falcon's 4544 columns in 4- and 5-bit formats are
/// 2.5–3.4 kB rows), which the hardware prefetcher picks up late and cannot follow across 4 kB pages: each
/// block step prefetches its share of the next eight rows (contiguous in memory), so the next group arrives
/// while this one is computed. Into L2, not L1: the next group plus the current one and the activations
/// overflow a 32 kB L1. Measured on an AMD EPYC (Zen 4) host, decode alternating with the builds before
/// (into L1, rows up to 4 kB only): Q4_0 file 1.1–1.35×, Q4_K_M 1.1–1.2×, Q8_0 1.0–1.1×; a Q8_0 matrix alone
/// 18 → 27 GB/s on one core. (An Intel Xeon measured prefetching Q8_0's 4.8 kB rows into L1 8–20 % slower.)
static inline void prefetch_span(const char *p, size_t bytes) {
    for (size_t l = 0; l < bytes; l += 64) _mm_prefetch(p + l, _MM_HINT_T1);
}

#endif
#endif
