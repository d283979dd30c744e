// Internal: GGML block layouts and exact half-precision conversions shared by the kernel files.
#ifndef CKERNELS_BLOCKS_H
#define CKERNELS_BLOCKS_H

#include <stdint.h>
#include <string.h>
#include <math.h>

#define CK_QK 32
#define CK_QKK 256

// Weight blocks may sit at any byte address (a tensor's offset in its file is the file's business), so their
// 16-bit fields are read as unaligned: byte alignment keeps every layout (the sizes below) and makes each
// member access well defined wherever the row starts. x86 loads cost the same either way.
#define CK_BYTE_ALIGNED __attribute__((packed))
typedef struct CK_BYTE_ALIGNED { uint16_t d; uint8_t qs[16]; } ck_q4_0;
typedef struct CK_BYTE_ALIGNED { uint16_t d, m; uint8_t qs[16]; } ck_q4_1;
typedef struct CK_BYTE_ALIGNED { uint16_t d; uint8_t qh[4]; uint8_t qs[16]; } ck_q5_0;
typedef struct CK_BYTE_ALIGNED { uint16_t d, m; uint8_t qh[4]; uint8_t qs[16]; } ck_q5_1;
typedef struct CK_BYTE_ALIGNED { uint16_t d; int8_t qs[32]; } ck_q8_0;
typedef struct CK_BYTE_ALIGNED { uint16_t d, s; int8_t qs[32]; } ck_q8_1;
typedef struct CK_BYTE_ALIGNED { uint8_t scales[16]; uint8_t qs[64]; uint16_t d, dmin; } ck_q2_k;
typedef struct CK_BYTE_ALIGNED { uint8_t hmask[32]; uint8_t qs[64]; uint8_t scales[12]; uint16_t d; } ck_q3_k;
typedef struct CK_BYTE_ALIGNED { uint16_t d, dmin; uint8_t scales[12]; uint8_t qs[128]; } ck_q4_k;
typedef struct CK_BYTE_ALIGNED { uint16_t d, dmin; uint8_t scales[12]; uint8_t qh[32]; uint8_t qs[128]; } ck_q5_k;
typedef struct CK_BYTE_ALIGNED { uint8_t ql[128]; uint8_t qh[64]; int8_t scales[16]; uint16_t d; } ck_q6_k;
typedef struct { float d; int8_t qs[256]; int16_t bsums[16]; } ck_q8_k;

_Static_assert(sizeof(ck_q4_0) == 18, "Q4_0"); _Static_assert(sizeof(ck_q4_1) == 20, "Q4_1");
_Static_assert(sizeof(ck_q5_0) == 22, "Q5_0"); _Static_assert(sizeof(ck_q5_1) == 24, "Q5_1");
_Static_assert(sizeof(ck_q8_0) == 34, "Q8_0"); _Static_assert(sizeof(ck_q8_1) == 36, "Q8_1");
_Static_assert(sizeof(ck_q2_k) == 84, "Q2_K"); _Static_assert(sizeof(ck_q3_k) == 110, "Q3_K");
_Static_assert(sizeof(ck_q4_k) == 144, "Q4_K"); _Static_assert(sizeof(ck_q5_k) == 176, "Q5_K");
_Static_assert(sizeof(ck_q6_k) == 210, "Q6_K"); _Static_assert(sizeof(ck_q8_k) == 292, "Q8_K");

/// IEEE half → float, exact (normals, subnormals, infinities, NaN payloads).
/// A 16-bit value at any address. safetensors places tensors at any byte offset, so f16/bf16 rows may be
/// odd-aligned: dereferencing a `uint16_t *` there is undefined behaviour (UBSan's "misaligned address").
static inline uint16_t ck_load_u16(const void *p) { uint16_t v; memcpy(&v, p, sizeof v); return v; }

static inline float ck_half_to_float(uint16_t h) {
    const uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    const uint32_t exponent = (h >> 10) & 0x1Fu, mantissa = h & 0x3FFu;
    uint32_t bits;
    if (exponent == 0) {
        float f = (float)mantissa * 5.9604644775390625e-8f; // mantissa · 2^-24, exact
        memcpy(&bits, &f, 4);
        bits |= sign;
    } else if (exponent == 31) {
        bits = sign | 0x7F800000u | (mantissa << 13);
    } else {
        bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

/// float → IEEE half, round to nearest even (what F16C and Swift's Float16(_:) do).
static inline uint16_t ck_float_to_half(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    const uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
    const uint32_t ax = x & 0x7FFFFFFFu;
    if (ax >= 0x7F800000u) return sign | (ax > 0x7F800000u ? 0x7E00u : 0x7C00u);
    if (ax >= 0x477FF000u) return sign | 0x7C00u; // ≥ 65520 rounds to infinity
    if (ax < 0x38800000u) {                       // below 2^-14: subnormal (or zero)
        float v;
        memcpy(&v, &ax, 4);
        return sign | (uint16_t)nearbyintf(v * 16777216.0f); // exact scaling, then RNE; 1024 = min normal
    }
    const uint32_t mantissa = ax & 0x7FFFFFu;
    uint32_t h = (((ax >> 23) - 112) << 10) | (mantissa >> 13);
    const uint32_t rest = mantissa & 0x1FFFu;
    if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) h++;
    return sign | (uint16_t)h;
}

/// Q4_K/Q5_K 6-bit scale and min of sub-block j (0..7).
static inline void ck_scale_min_k4(int j, const uint8_t *q, uint8_t *scale, uint8_t *min) {
    if (j < 4) {
        *scale = q[j] & 63;
        *min = q[j + 4] & 63;
    } else {
        *scale = (uint8_t)((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
        *min = (uint8_t)((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
    }
}

/// The 16 signed 6-bit Q3_K scales.
static inline void ck_q3_k_scales(const uint8_t *b, int8_t out[16]) {
    for (int s = 0; s < 16; s++) {
        const int low = s < 8 ? (b[s] & 0xF) : (b[s - 8] >> 4);
        const int high = (b[8 + (s % 4)] >> (2 * (s / 4))) & 3;
        out[s] = (int8_t)((low | (high << 4)) - 32);
    }
}

/// One block of 32 activations quantized the reference way (Q8_0/Q8_1): d = max|x|/127 (returned, to be
/// stored as a half), q = round(x/d) half away from zero; *sum gets Σq.
static inline float ck_quantize_block_q8(const float *x, int8_t q[32], int *sum) {
    float amax = 0;
    for (int j = 0; j < 32; j++) { const float a = fabsf(x[j]); amax = amax > a ? amax : a; }
    const float d = amax / 127;
    const float id = d != 0 ? 1.0f / d : 0.0f;
    int s = 0;
    for (int j = 0; j < 32; j++) { q[j] = (int8_t)roundf(x[j] * id); s += q[j]; }
    *sum = s;
    return d;
}

#endif
