// Internal: the per-type row dot products (generic and AVX2) the dispatcher chooses between.
#ifndef CKERNELS_INTERNAL_H
#define CKERNELS_INTERNAL_H
#include <stdint.h>

/// Σ over `nb` blocks of weight row `w` · activation blocks `a`.
typedef float (*ck_row_dot)(int64_t nb, const void *w, const void *a);

#define CK_DECLARE(T) float ck_dot_##T##_generic(int64_t, const void *, const void *); \
                      float ck_dot_##T##_avx2(int64_t, const void *, const void *);
CK_DECLARE(q4_0) CK_DECLARE(q4_1) CK_DECLARE(q5_0) CK_DECLARE(q5_1) CK_DECLARE(q8_0)
CK_DECLARE(q2_k) CK_DECLARE(q3_k) CK_DECLARE(q4_k) CK_DECLARE(q5_k) CK_DECLARE(q6_k)
#undef CK_DECLARE

/// 1 when the CPU (and OS) run AVX-512F, or AVX-512F/BW/VL with VNNI; read once (dispatch.c).
int ck_cpu_has_avx512(void);
int ck_cpu_has_vnni512(void);

/// Eight rows `row_bytes` apart, starting at `w`, each · `a`, into out[0..7]: the legacy types' decode path
/// (AVX2 bodies in avx2.c, AVX-512 VNNI ones in decode_vnni512.c).
typedef void (*ck_rows8_dot)(int64_t nb, const void *w, size_t row_bytes, const void *a, float *out);
void ck_dot8_q4_0_avx2(int64_t, const void *, size_t, const void *, float *);
void ck_dot8_q4_1_avx2(int64_t, const void *, size_t, const void *, float *);
void ck_dot8_q5_0_avx2(int64_t, const void *, size_t, const void *, float *);
void ck_dot8_q5_1_avx2(int64_t, const void *, size_t, const void *, float *);
void ck_dot8_q8_0_avx2(int64_t, const void *, size_t, const void *, float *);
/// The same with AVX-512 VNNI (decode_vnni512.c), bit-identical to the AVX2 ones.
void ck_dot8_q4_0_vnni512(int64_t, const void *, size_t, const void *, float *);
void ck_dot8_q4_1_vnni512(int64_t, const void *, size_t, const void *, float *);
void ck_dot8_q5_0_vnni512(int64_t, const void *, size_t, const void *, float *);
void ck_dot8_q5_1_vnni512(int64_t, const void *, size_t, const void *, float *);
void ck_dot8_q8_0_vnni512(int64_t, const void *, size_t, const void *, float *);

/// The same four nibble formats with AVX-512 VBMI + VNNI (decode_vbmi512.c): four blocks of a row per zmm;
/// they read the regrouped activations that follow the ordinary blocks.
void ck_dot8_q4_0_vbmi512(int64_t, const void *, size_t, const void *, float *);
void ck_dot8_q4_1_vbmi512(int64_t, const void *, size_t, const void *, float *);
void ck_dot8_q5_0_vbmi512(int64_t, const void *, size_t, const void *, float *);
void ck_dot8_q5_1_vbmi512(int64_t, const void *, size_t, const void *, float *);
/// Q6_K rows with AVX-512 BW + VNNI (decode_kquant512.c).
float ck_dot_q6_k_vnni512(int64_t, const void *, const void *);
/// Writes the regrouped copy of `nb` Q8_0 or Q8_1 activation blocks after them, and its extent.
void ck_group_activations(uint32_t activation_type, void *act, int64_t nb);
size_t ck_grouped_activation_bytes(uint32_t activation_type, int64_t nb);

/// One 16-bit row · x (generic and AVX2 bodies).
float ck_dot_f16_generic(const float *x, const uint16_t *w, int64_t count);
float ck_dot_bf16_generic(const float *x, const uint16_t *w, int64_t count);
/// Dequantizes Q4_0/Q4_1/Q5_0/Q5_1/Q8_0 rows bit for bit like the generic body; -1 for other types.
int ck_dequantize_small_avx2(uint32_t type, const void *row, float *out, int64_t count);
void ck_widen_f16_avx2(const uint16_t *h, float *out, int64_t count);
void ck_dot4_f16_avx2(const float *x, const void *w, size_t row_bytes, int64_t count, float *out);
void ck_dot4_bf16_avx2(const float *x, const void *w, size_t row_bytes, int64_t count, float *out);
#endif
