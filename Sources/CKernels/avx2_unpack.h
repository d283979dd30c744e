// Internal: AVX2 unpacking of the legacy formats' quants, shared by the decode kernels (avx2.c) and the
// int8 prefill kernel (gemm_int8.c).
#ifndef CKERNELS_AVX2_UNPACK_H
#define CKERNELS_AVX2_UNPACK_H
#if defined(__x86_64__)
#include <immintrin.h>
#include <stdint.h>
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

#endif
#endif
