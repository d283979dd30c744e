// Internal: the packed activations both int8 prefill kernels read (gemm_int8.c packs them; the AVX-512 VNNI
// tiles there and the AVX2 tiles in gemm_int8_avx2.c multiply them).
#ifndef CKERNELS_INT8_ACTIVATIONS_H
#define CKERNELS_INT8_ACTIVATIONS_H
#include <stdint.h>

/// Tokens per packed group.
enum { I8_TOKENS = 8 };

/// One 32-value block of a group of 8 tokens: the Q8_0 quants as 4-byte words, word-major and interleaved
/// by token ([word][token]), so a tile broadcasts one token's word with a single load; then per token the
/// scale (rounded to a half, as Q8_0 stores it), −128·Σq (the VNNI tiles' correction for weights stored
/// as q + 128), d·Σq rounded to a half (as Q8_1 stores it, for the formats with a minimum) and −8·Σq (the AVX2
/// tiles' correction for Q4_0's offset of 8, ready to broadcast: computing it from the other in the tile cost a
/// scalar round trip per token and block).
typedef struct {
    int32_t q[8][I8_TOKENS];
    float d[I8_TOKENS];
    int32_t correction[I8_TOKENS];
    float dsum[I8_TOKENS];
    int32_t minus8_sum[I8_TOKENS];
} act_block;
_Static_assert(sizeof(act_block) == 384, "packed activation layout");

#endif
