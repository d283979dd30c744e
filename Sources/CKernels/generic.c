// Portable bodies: dequantization, activation quantization and per-row block dot products, one function per
// type (traits.c lists them; dispatch.c chooses between them and the vector ones). No CPU-specific code here.
// Floating-point contraction is off so results equal the plain scalar Swift reference operation for operation.
#pragma clang fp contract(off)

#include "CKernels.h"
#include "unpack.h"
#include "internal.h"

// ---- dequantization -------------------------------------------------------------------------------------

static void dequant_small(const ck_small *u, float *y) {
    if (u->has_min) {
        for (int j = 0; j < 32; j++) y[j] = (float)u->q[j] * u->d + u->m;
    } else {
        for (int j = 0; j < 32; j++) y[j] = (float)u->q[j] * u->d;
    }
}

static void dequant_super(const ck_super *u, float *y) {
    for (int g = 0; g < 16; g++) {
        const float dl = u->d * (float)u->sc[g];
        const float ml = u->dmin * (float)u->mn[g];
        for (int i = 0; i < 16; i++) y[16 * g + i] = dl * (float)u->q[16 * g + i] - ml;
    }
}

/// One function per type (the traits table, traits.c, points at them): `count` values, whole blocks.
#define SMALL(NAME, T, UNPACK) int NAME(const void *row, float *out, int64_t count) { \
    const T *b = row; ck_small s; \
    for (int64_t i = 0; i < count / 32; i++) { UNPACK(b + i, &s); dequant_small(&s, out + 32 * i); } return 0; }
#define SUPER(NAME, T, UNPACK) int NAME(const void *row, float *out, int64_t count) { \
    const T *b = row; ck_super k; \
    for (int64_t i = 0; i < count / 256; i++) { UNPACK(b + i, &k); dequant_super(&k, out + 256 * i); } return 0; }
SMALL(ck_dequantize_q4_0_generic, ck_q4_0, ck_unpack_q4_0)
SMALL(ck_dequantize_q4_1_generic, ck_q4_1, ck_unpack_q4_1)
SMALL(ck_dequantize_q5_0_generic, ck_q5_0, ck_unpack_q5_0)
SMALL(ck_dequantize_q5_1_generic, ck_q5_1, ck_unpack_q5_1)
SMALL(ck_dequantize_q8_0_generic, ck_q8_0, ck_unpack_q8_0)
SUPER(ck_dequantize_q2_k_generic, ck_q2_k, ck_unpack_q2_k)
SUPER(ck_dequantize_q3_k_generic, ck_q3_k, ck_unpack_q3_k)
SUPER(ck_dequantize_q4_k_generic, ck_q4_k, ck_unpack_q4_k)
SUPER(ck_dequantize_q5_k_generic, ck_q5_k, ck_unpack_q5_k)
SUPER(ck_dequantize_q6_k_generic, ck_q6_k, ck_unpack_q6_k)
#undef SMALL
#undef SUPER

int ck_dequantize_q8_1_generic(const void *row, float *out, int64_t count) {
    const ck_q8_1 *b = row;
    for (int64_t i = 0; i < count / 32; i++) {
        const float d = ck_half_to_float(b[i].d);
        for (int j = 0; j < 32; j++) out[32 * i + j] = (float)b[i].qs[j] * d;
    }
    return 0;
}

int ck_dequantize_q8_k_generic(const void *row, float *out, int64_t count) {
    const ck_q8_k *b = row;
    for (int64_t i = 0; i < count / 256; i++)
        for (int j = 0; j < 256; j++) out[256 * i + j] = b[i].d * (float)b[i].qs[j];
    return 0;
}

// ---- activations ----------------------------------------------------------------------------------------

/// GGML's nearest_int: adding 1.5·2^23 rounds to the nearest integer, ties to even, for |x| < 2^22.
static inline int ck_nearest_int(float x) {
    const float v = x + 12582912.f;
    int32_t bits;
    memcpy(&bits, &v, 4);
    return (bits & 0x007FFFFF) - 0x00400000;
}

/// Q8_0 and Q8_1 activation blocks (the regrouped copy that follows them is dispatch.c's to add).
static void quantize_q8(int with_sum, const float *x, void *out, int64_t count) {
    for (int64_t i = 0; i < count / 32; i++) {
        int sum;
        if (!with_sum) {
            ck_q8_0 *b = (ck_q8_0 *)out + i;
            b->d = ck_float_to_half(ck_quantize_block_q8(x + 32 * i, b->qs, &sum));
        } else {
            ck_q8_1 *b = (ck_q8_1 *)out + i;
            const float d = ck_quantize_block_q8(x + 32 * i, b->qs, &sum);
            b->d = ck_float_to_half(d);
            b->s = ck_float_to_half((float)sum * d);
        }
    }
}
void ck_quantize_q8_0_generic(const float *x, void *out, int64_t count) { quantize_q8(0, x, out, count); }
void ck_quantize_q8_1_generic(const float *x, void *out, int64_t count) { quantize_q8(1, x, out, count); }

void ck_quantize_q8_k_generic(const float *x, void *out, int64_t count) {
    for (int64_t i = 0; i < count / 256; i++) {
        const float *xb = x + 256 * i;
        ck_q8_k *b = (ck_q8_k *)out + i;
        float max = 0, amax = 0;
        for (int j = 0; j < 256; j++) { const float a = fabsf(xb[j]); if (a > amax) { amax = a; max = xb[j]; } }
        if (amax == 0) {
            memset(b, 0, sizeof *b);
            continue;
        }
        const float iscale = -127.f / max;
        for (int j = 0; j < 256; j++) {
            const int v = ck_nearest_int(iscale * xb[j]);
            b->qs[j] = (int8_t)(v < 127 ? v : 127);
        }
        for (int g = 0; g < 16; g++) {
            int sum = 0;
            for (int l = 0; l < 16; l++) sum += b->qs[16 * g + l];
            b->bsums[g] = (int16_t)sum;
        }
        b->d = 1 / iscale;
    }
}

// ---- generic dot products (one weight row · one activation row) -------------------------------------------

static float dot_small(const ck_small *u, const int8_t *a, float da, float sa) {
    int sum = 0;
    for (int j = 0; j < 32; j++) sum += (int)u->q[j] * (int)a[j];
    return (u->d * da) * (float)sum + u->m * sa;
}

#define SMALL_DOT(NAME, T, UNPACK, A, SA)                                          \
    float NAME(int64_t nb, const void *w, const void *act) {                     \
        const T *b = w; const A *a = act; float sum = 0; ck_small u;              \
        for (int64_t i = 0; i < nb; i++) { UNPACK(b + i, &u);                     \
            sum += dot_small(&u, a[i].qs, ck_half_to_float(a[i].d), SA); }        \
        return sum; }

SMALL_DOT(ck_dot_q4_0_generic, ck_q4_0, ck_unpack_q4_0, ck_q8_0, 0.0f)
SMALL_DOT(ck_dot_q5_0_generic, ck_q5_0, ck_unpack_q5_0, ck_q8_0, 0.0f)
SMALL_DOT(ck_dot_q8_0_generic, ck_q8_0, ck_unpack_q8_0, ck_q8_0, 0.0f)
SMALL_DOT(ck_dot_q4_1_generic, ck_q4_1, ck_unpack_q4_1, ck_q8_1, ck_half_to_float(a[i].s))
SMALL_DOT(ck_dot_q5_1_generic, ck_q5_1, ck_unpack_q5_1, ck_q8_1, ck_half_to_float(a[i].s))

static float dot_super(const ck_super *u, const ck_q8_k *a) {
    int isum = 0, msum = 0;
    for (int g = 0; g < 16; g++) {
        int s = 0;
        for (int l = 0; l < 16; l++) s += (int)u->q[16 * g + l] * (int)a->qs[16 * g + l];
        isum += s * u->sc[g];
        msum += (int)u->mn[g] * (int)a->bsums[g];
    }
    return (u->d * a->d) * (float)isum - (u->dmin * a->d) * (float)msum;
}

#define SUPER_DOT(NAME, T, UNPACK)                                                 \
    float NAME(int64_t nb, const void *w, const void *act) {                     \
        const T *b = w; const ck_q8_k *a = act; float sum = 0; ck_super u;        \
        for (int64_t i = 0; i < nb; i++) { UNPACK(b + i, &u); sum += dot_super(&u, a + i); } \
        return sum; }

SUPER_DOT(ck_dot_q2_k_generic, ck_q2_k, ck_unpack_q2_k)
SUPER_DOT(ck_dot_q3_k_generic, ck_q3_k, ck_unpack_q3_k)
SUPER_DOT(ck_dot_q4_k_generic, ck_q4_k, ck_unpack_q4_k)
SUPER_DOT(ck_dot_q5_k_generic, ck_q5_k, ck_unpack_q5_k)
SUPER_DOT(ck_dot_q6_k_generic, ck_q6_k, ck_unpack_q6_k)

float ck_dot_f16_generic(const float *x, const void *w, int64_t count) {
    const unsigned char *b = w;
    float sum = 0;
    for (int64_t i = 0; i < count; i++) sum += x[i] * ck_half_to_float(ck_load_u16(b + 2 * i));
    return sum;
}
float ck_dot_bf16_generic(const float *x, const void *w, int64_t count) {
    const unsigned char *b = w;
    float sum = 0;
    for (int64_t i = 0; i < count; i++) {
        const uint32_t bits = (uint32_t)ck_load_u16(b + 2 * i) << 16;
        float f; memcpy(&f, &bits, 4);
        sum += x[i] * f;
    }
    return sum;
}
