// Internal: the per-type bodies (generic, AVX2, AVX-512), the traits table that lists them, and what the
// dispatcher (dispatch.c) chooses between.
#ifndef CKERNELS_INTERNAL_H
#define CKERNELS_INTERNAL_H
#include <stdint.h>

/// GGML ids of the types handled here (the public functions take them as uint32_t).
enum {
    CK_F32 = 0, CK_F16 = 1, CK_BF16 = 30,
    CK_Q4_0 = 2, CK_Q4_1 = 3, CK_Q5_0 = 6, CK_Q5_1 = 7, CK_Q8_0 = 8, CK_Q8_1 = 9,
    CK_Q2_K = 10, CK_Q3_K = 11, CK_Q4_K = 12, CK_Q5_K = 13, CK_Q6_K = 14, CK_Q8_K = 15,
};

/// Σ over `nb` blocks of weight row `w` · activation blocks `a`.
typedef float (*ck_row_dot)(int64_t nb, const void *w, const void *a);

/// Dequantizes `count` values (whole blocks) of one type; returns 0.
typedef int (*ck_dequantize)(const void *row, float *out, int64_t count);
/// Quantizes `count` f32 activations into blocks of one activation type.
typedef void (*ck_quantize)(const float *x, void *out, int64_t count);

#define CK_DECLARE(T) float ck_dot_##T##_generic(int64_t, const void *, const void *); \
                      float ck_dot_##T##_avx2(int64_t, const void *, const void *); \
                      int ck_dequantize_##T##_generic(const void *, float *, int64_t);
CK_DECLARE(q4_0) CK_DECLARE(q4_1) CK_DECLARE(q5_0) CK_DECLARE(q5_1) CK_DECLARE(q8_0)
CK_DECLARE(q2_k) CK_DECLARE(q3_k) CK_DECLARE(q4_k) CK_DECLARE(q5_k) CK_DECLARE(q6_k)
#undef CK_DECLARE
int ck_dequantize_q8_1_generic(const void *, float *, int64_t);
int ck_dequantize_q8_k_generic(const void *, float *, int64_t);
/// AVX2 dequantization of the 32-value formats, bit for bit like the generic bodies (avx2.c).
int ck_dequantize_q4_0_avx2(const void *, float *, int64_t);
int ck_dequantize_q4_1_avx2(const void *, float *, int64_t);
int ck_dequantize_q5_0_avx2(const void *, float *, int64_t);
int ck_dequantize_q5_1_avx2(const void *, float *, int64_t);
int ck_dequantize_q8_0_avx2(const void *, float *, int64_t);
/// The reference activation quantizers (generic.c).
void ck_quantize_q8_0_generic(const float *, void *, int64_t);
void ck_quantize_q8_1_generic(const float *, void *, int64_t);
void ck_quantize_q8_k_generic(const float *, void *, int64_t);

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
/// Eight rows against `columns` (1…CK_COLUMNS) activation rows `act_stride` bytes apart, into out[c·ldo + 0..7]
/// for column c; each column bit for bit as the eight-row body gives it alone (avx2.c). t_d, t_sum, t_s: the
/// columns' per-block terms from ck_column_terms_avx2, `nb` per column.
#define CK_COLUMNS 4
typedef void (*ck_rows8_columns_dot)(int64_t nb, const void *w, size_t row_bytes, const void *act, size_t act_stride,
                                     const float *t_d, const int32_t *t_sum, const float *t_s, int columns, float *out, size_t ldo);
#define CK_DECLARE_COLUMNS(T) void ck_dot8_columns_##T##_avx2(int64_t, const void *, size_t, const void *, size_t, \
                                                              const float *, const int32_t *, const float *, int, float *, size_t);
CK_DECLARE_COLUMNS(q4_0) CK_DECLARE_COLUMNS(q4_1) CK_DECLARE_COLUMNS(q5_0) CK_DECLARE_COLUMNS(q5_1) CK_DECLARE_COLUMNS(q8_0)
#undef CK_DECLARE_COLUMNS
/// Per column and block of Q8_0 or Q8_1 activations: the scale as a float (d), and Σ of the quants (sum, Q8_0)
/// or the stored d·Σ as a float (s, Q8_1); `nb` blocks per column.
void ck_column_terms_avx2(uint32_t activation_type, const void *act, size_t act_stride, int64_t columns, int64_t nb,
                          float *d, int32_t *sum, float *s);
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
float ck_dot_f16_generic(const float *x, const void *w, int64_t count);
float ck_dot_bf16_generic(const float *x, const void *w, int64_t count);
/// The f32 panel prefill (gemm_panels.c) with AVX2 tiles, or AVX-512 ones when `wide`.
void ck_gemm_panels(int wide, uint32_t type, const float *x, int64_t ldx, int64_t tokens, const void *weights, size_t row_bytes,
                    int64_t row_begin, int64_t row_end, int64_t count, float *out, int64_t ldo, float *scratch);
/// The int8 prefill tiles (gemm_int8.c, AVX-512 VNNI).
void ck_gemm_i8_vnni512(uint32_t type, const void *packed, int64_t tokens, const void *weights, size_t row_bytes,
                        int64_t row_begin, int64_t row_end, int64_t count, float *out, int64_t ldo, void *scratch);

/// The int8 prefill tiles with AVX2 alone (gemm_int8_avx2.c) over the same packed activations, and their scratch.
void ck_gemm_i8_avx2(uint32_t type, const void *packed, int64_t tokens, const void *weights, size_t row_bytes,
                     int64_t row_begin, int64_t row_end, int64_t count, float *out, int64_t ldo, void *scratch);
int64_t ck_gemm_i8_avx2_scratch_bytes(void);

/// Everything the kernels know about one type, one row per type in traits.c (like GGML's type_traits_cpu):
/// its block layout, the activation format its integer dot product wants, and its bodies per instruction
/// set (null where there is none). Which of them runs is dispatch.c's choice alone.
typedef struct {
    int64_t block_values;         ///< values per block (1 for f32, f16, bf16)
    size_t block_bytes;           ///< bytes per block
    uint32_t activation_type;     ///< Q8_0, Q8_1 or Q8_K for a weight type with integer dot products, else 0
    int activation_grouped;       ///< an activation type whose blocks are followed by the VBMI bodies' regrouped copy
    ck_quantize quantize;         ///< an activation type's quantizer
    ck_dequantize dequantize_generic, dequantize_avx2;
    ck_row_dot dot_generic, dot_avx2, dot_vnni512;          ///< one row · activations
    ck_rows8_dot dot8_avx2, dot8_vnni512, dot8_vbmi512;     ///< eight rows · activations
    ck_rows8_columns_dot dot8_columns_avx2;                  ///< eight rows · several activation rows, each as dot8_avx2
    int prefill_panels;           ///< the f32 panel kernel reads these rows (gemm_panels.c)
    int prefill_int8;             ///< the int8 VNNI tiles read these rows (gemm_int8.c)
    int prefill_int8_avx2;        ///< the int8 AVX2 tiles read these rows (gemm_int8_avx2.c)
} ck_traits_row;

/// The row of GGML type `type`, or null for a type the kernels do not know.
const ck_traits_row *ck_traits(uint32_t type);
void ck_widen_f16_avx2(const void *h, float *out, int64_t count);
void ck_dot4_f16_avx2(const float *x, const void *w, size_t row_bytes, int64_t count, float *out);
void ck_dot4_bf16_avx2(const float *x, const void *w, size_t row_bytes, int64_t count, float *out);
#endif
