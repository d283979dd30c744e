// AVX-512 body of the Q6_K decode product, one row at a time like the AVX2 one.
//
// Why: Falcon-7B's K-quant matrices (ffn_down in the Q3_K_M…Q6_K files; the other matrices have 4544 columns,
// not a multiple of 256) are 18176 columns wide, and the AVX2 Q6_K body ran at the same 11–14 GB/s on one
// core whether its rows came from memory or from cache: bound by instructions. Here a zmm holds 64
// consecutive values of a superblock (the low nibbles of 64 ql bytes with their two qh bits), so their
// activations are one plain load; vpmaddubsw forms the byte products and one vpdpwssd applies the 16-bit group
// scales and accumulates. One core, AMD EPYC (Zen 4): 11.2 → 14.5 GB/s (`bench-kernels --formats q6_k --rows
// 4544 --columns 18176 --threads 1`, against the same with --vnni512). The same construction for Q4_K and
// Q5_K measured no faster than their AVX2 bodies there (their scale and minimum unpacking dominates, and Zen 4
// runs a zmm operation as two 256-bit halves), so they keep the AVX2 bodies.
// The integer superblock sums are exact, as in every body; the float accumulation is one FMA per superblock
// into 16 lanes, so results differ from the AVX2 body's by a few roundings (tests hold both to one bound).
#include "CKernels.h"
#include "internal.h"
#include "blocks.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include "avx2_unpack.h"

#define KQ512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,avx2,fma,f16c")))

/// 16-bit words of `scales16` (one per value group) picked by `index`: the scale of each word pair's group.
KQ512 static inline __m512i group_scales(__m512i index, __m512i scales16) { return _mm512_permutexvar_epi16(index, scales16); }

/// Q6_K's scales cover 16 values: for the 64 values starting at 64m, word j (values 2j, 2j + 1) takes scale
/// 4m + j/8.
static const uint16_t k6_scale_index[4][32] = {
#define K6(g) { g,g,g,g,g,g,g,g, g+1,g+1,g+1,g+1,g+1,g+1,g+1,g+1, g+2,g+2,g+2,g+2,g+2,g+2,g+2,g+2, g+3,g+3,g+3,g+3,g+3,g+3,g+3,g+3 }
    K6(0), K6(4), K6(8), K6(12)
#undef K6
};

/// Q6_K: per 128-value half n, ql[64n…64n+63] holds values 128n + 0–63 in its low nibbles and 128n + 64–127 in
/// its high ones; qh[32n + j] carries their top two bits (bits 0–1: value j, 2–3: 32 + j, 4–5: 64 + j, 6–7:
/// 96 + j). Values are stored + 32; the offset comes out through the activation group sums.
KQ512 float ck_dot_q6_k_vnni512(int64_t nb, const void *w, const void *act) {
    const ck_q6_k *b = w; const ck_q8_k *a = act;
    __m512 acc = _mm512_setzero_ps();
    const __m512i low = _mm512_set1_epi8(0x0F), three = _mm512_set1_epi8(3);
    // 16-bit shifts of qh: 0 for values 0–31, 2 for 32–63 (then 4 and 6 for the high nibbles' values)
    const __m512i shift01 = _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_set1_epi16(2), 1);
    const __m512i shift23 = _mm512_inserti64x4(_mm512_set1_epi16(4), _mm256_set1_epi16(6), 1);
    __m512i index[4]; for (int m = 0; m < 4; m++) index[m] = _mm512_loadu_si512(k6_scale_index[m]);
    for (int64_t i = 0; i < nb; i++) {
        const __m256i sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)b[i].scales));
        const __m512i scales16 = _mm512_castsi256_si512(sc16);
        // Σ sc·(q − 32)·a = Σ sc·q·a − 32·Σ sc·bsum
        const __m256i offset = _mm256_madd_epi16(sc16, _mm256_loadu_si256((const __m256i *)a[i].bsums));
        __m512i isum = _mm512_zextsi256_si512(_mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(offset, 5)));
        for (int n = 0; n < 2; n++) {
            const __m512i ql = _mm512_loadu_si512(b[i].ql + 64 * n);
            const __m256i h = _mm256_loadu_si256((const __m256i *)(b[i].qh + 32 * n));
            const __m512i qh = _mm512_inserti64x4(_mm512_castsi256_si512(h), h, 1);
            const __m512i q01 = _mm512_or_si512(_mm512_and_si512(ql, low),
                                                _mm512_slli_epi16(_mm512_and_si512(_mm512_srlv_epi16(qh, shift01), three), 4));
            const __m512i q23 = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(ql, 4), low),
                                                _mm512_slli_epi16(_mm512_and_si512(_mm512_srlv_epi16(qh, shift23), three), 4));
            const __m512i p01 = _mm512_maddubs_epi16(q01, _mm512_loadu_si512(a[i].qs + 128 * n));
            const __m512i p23 = _mm512_maddubs_epi16(q23, _mm512_loadu_si512(a[i].qs + 128 * n + 64));
            isum = _mm512_dpwssd_epi32(isum, p01, group_scales(index[2 * n], scales16));
            isum = _mm512_dpwssd_epi32(isum, p23, group_scales(index[2 * n + 1], scales16));
        }
        acc = _mm512_fmadd_ps(_mm512_set1_ps(_cvtsh_ss(b[i].d) * a[i].d), _mm512_cvtepi32_ps(isum), acc);
    }
    return _mm512_reduce_add_ps(acc);
}

#else
// Never chosen off x86-64 (dispatch.c checks the CPU); defined so that the dispatcher links everywhere.
float ck_dot_q6_k_vnni512(int64_t nb, const void *w, const void *a) { return ck_dot_q6_k_generic(nb, w, a); }
#endif
