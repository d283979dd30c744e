// Portable bodies: dequantization, activation quantization and per-row block dot products.
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

int ck_dequantize_row(uint32_t type, const void *row, float *out, int64_t count) {
    if (ck_uses_avx2() && ck_dequantize_small_avx2(type, row, out, count) == 0) return 0;
    return ck_dequantize_row_generic(type, row, out, count);
}

int ck_dequantize_row_generic(uint32_t type, const void *row, float *out, int64_t count) {
    ck_small s;
    ck_super k;
    switch (type) {
#define SMALL(ID, T, UNPACK) case ID: { const T *b = row; for (int64_t i = 0; i < count / 32; i++) { UNPACK(b + i, &s); dequant_small(&s, out + 32 * i); } return 0; }
#define SUPER(ID, T, UNPACK) case ID: { const T *b = row; for (int64_t i = 0; i < count / 256; i++) { UNPACK(b + i, &k); dequant_super(&k, out + 256 * i); } return 0; }
    SMALL(CK_Q4_0, ck_q4_0, ck_unpack_q4_0)
    SMALL(CK_Q4_1, ck_q4_1, ck_unpack_q4_1)
    SMALL(CK_Q5_0, ck_q5_0, ck_unpack_q5_0)
    SMALL(CK_Q5_1, ck_q5_1, ck_unpack_q5_1)
    SMALL(CK_Q8_0, ck_q8_0, ck_unpack_q8_0)
    SUPER(CK_Q2_K, ck_q2_k, ck_unpack_q2_k)
    SUPER(CK_Q3_K, ck_q3_k, ck_unpack_q3_k)
    SUPER(CK_Q4_K, ck_q4_k, ck_unpack_q4_k)
    SUPER(CK_Q5_K, ck_q5_k, ck_unpack_q5_k)
    SUPER(CK_Q6_K, ck_q6_k, ck_unpack_q6_k)
#undef SMALL
#undef SUPER
    case CK_Q8_1: {
        const ck_q8_1 *b = row;
        for (int64_t i = 0; i < count / 32; i++) {
            const float d = ck_half_to_float(b[i].d);
            for (int j = 0; j < 32; j++) out[32 * i + j] = (float)b[i].qs[j] * d;
        }
        return 0;
    }
    case CK_Q8_K: {
        const ck_q8_k *b = row;
        for (int64_t i = 0; i < count / 256; i++)
            for (int j = 0; j < 256; j++) out[256 * i + j] = b[i].d * (float)b[i].qs[j];
        return 0;
    }
    default: return -1;
    }
}

// ---- activations ----------------------------------------------------------------------------------------

/// GGML's nearest_int: adding 1.5·2^23 rounds to the nearest integer, ties to even, for |x| < 2^22.
static inline int ck_nearest_int(float x) {
    const float v = x + 12582912.f;
    int32_t bits;
    memcpy(&bits, &v, 4);
    return (bits & 0x007FFFFF) - 0x00400000;
}

uint32_t ck_activation_type(uint32_t type) {
    switch (type) {
    case CK_Q4_0: case CK_Q5_0: case CK_Q8_0: return CK_Q8_0;
    case CK_Q4_1: case CK_Q5_1: return CK_Q8_1;
    case CK_Q2_K: case CK_Q3_K: case CK_Q4_K: case CK_Q5_K: case CK_Q6_K: return CK_Q8_K;
    default: return 0;
    }
}

size_t ck_activation_bytes(uint32_t activation_type, int64_t count) {
    switch (activation_type) {
    case CK_Q8_0: case CK_Q8_1: return ck_grouped_activation_bytes(activation_type, count / 32);
    case CK_Q8_K: return (size_t)(count / 256) * sizeof(ck_q8_k);
    default: return 0;
    }
}

int ck_quantize_activations(uint32_t activation_type, const float *x, void *out, int64_t count) {
    switch (activation_type) {
    case CK_Q8_0: case CK_Q8_1: {
        for (int64_t i = 0; i < count / 32; i++) {
            int sum;
            if (activation_type == CK_Q8_0) {
                ck_q8_0 *b = (ck_q8_0 *)out + i;
                b->d = ck_float_to_half(ck_quantize_block_q8(x + 32 * i, b->qs, &sum));
            } else {
                ck_q8_1 *b = (ck_q8_1 *)out + i;
                const float d = ck_quantize_block_q8(x + 32 * i, b->qs, &sum);
                b->d = ck_float_to_half(d);
                b->s = ck_float_to_half((float)sum * d);
            }
        }
        ck_group_activations(activation_type, out, count / 32);
        return 0;
    }
    case CK_Q8_K: {
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
        return 0;
    }
    default: return -1;
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

float ck_dot_f16_generic(const float *x, const uint16_t *w, int64_t count) {
    float sum = 0;
    for (int64_t i = 0; i < count; i++) sum += x[i] * ck_half_to_float(w[i]);
    return sum;
}
float ck_dot_bf16_generic(const float *x, const uint16_t *w, int64_t count) {
    float sum = 0;
    for (int64_t i = 0; i < count; i++) {
        const uint32_t bits = (uint32_t)w[i] << 16;
        float f; memcpy(&f, &bits, 4);
        sum += x[i] * f;
    }
    return sum;
}
