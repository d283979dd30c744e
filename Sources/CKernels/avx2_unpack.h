// Internal: AVX2 unpacking of the legacy formats' quants, shared by the decode kernels (avx2.c, decode_vnni512.c)
// and the int8 prefill kernel (gemm_int8.c), and the decode kernels' prefetch policy.
#ifndef CKERNELS_AVX2_UNPACK_H
#define CKERNELS_AVX2_UNPACK_H
#if defined(__x86_64__)
#include <immintrin.h>
#include <stdint.h>
#include <string.h>
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

static inline uint32_t load_u32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

/// Short rows (Falcon's 4544 columns in 4- and 5-bit formats: 2.5–3.4 kB) make short streams, which the
/// hardware prefetcher picks up too late: each block step prefetches its share of the next eight rows
/// (contiguous in memory), so the next group arrives while this one is computed. Measured on the Q4_0 file's
/// decode, alternating: 1.1–1.35× in four of four pairs. Longer rows stream well on their own; prefetching
/// Q8_0's 4.8 kB rows too cost 8–20 % (into L1 or L2 alike), hence the limit.
static inline void prefetch_span(const char *p, size_t bytes) {
    for (size_t l = 0; l < bytes; l += 64) _mm_prefetch(p + l, _MM_HINT_T0);
}
enum { prefetch_row_limit = 4096 };

#endif
#endif
