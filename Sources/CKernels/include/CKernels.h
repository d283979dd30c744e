// Quantized block kernels: dequantization, activation quantization and integer block dot products.
//
// Our own C (no third-party code). Every entry point has a portable generic body; on x86-64 an AVX2/FMA/F16C
// body (or an AVX-512 one, where the CPU has it) is chosen once at run time from the CPU's features. Block
// layouts are GGML's (its block_q4_0 … block_q6_K structs). Type ids are GGML's numeric ids. All functions are allocation-free.
#ifndef CKERNELS_H
#define CKERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// A spin-wait hint (x86 pause, Arm yield): the thread pool's helpers spin between products with it, which
/// frees the core's shared resources for its sibling and saves power.
static inline void ck_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/// What the kernels know of a GGML type (all zeros for a type they do not know): its block layout, the
/// activation format its integer dot product wants (0 if none), and which bodies it has on some CPU.
typedef struct {
    int64_t block_values, block_bytes;
    uint32_t activation_type;
    int32_t has_decode;          ///< ck_dot_rows computes it
    int32_t has_dequantize;      ///< ck_dequantize_row computes it
    int32_t has_prefill_panels;  ///< ck_gemm_rows reads it (where the CPU has AVX2)
    int32_t has_prefill_int8;    ///< ck_gemm_i8 reads it where the CPU has AVX-512 VNNI
    int32_t has_prefill_int8_avx2; ///< ck_gemm_i8 reads it where the CPU has AVX2 without VNNI
} ck_type_info;
ck_type_info ck_type_traits(uint32_t type);

/// 1 when the AVX2/FMA/F16C bodies are in use, 0 for the generic ones.
int ck_uses_avx2(void);
/// Forces the generic bodies (1) or the best available (0); for tests and benchmarks.
void ck_force_generic(int generic);

/// Dequantizes `count` values (a whole number of blocks of `type`) to f32. Returns 0, or -1 for an unknown type.
int ck_dequantize_row(uint32_t type, const void *row, float *out, int64_t count);
/// ck_dequantize_row with the generic body whatever the CPU (for tests).
int ck_dequantize_row_generic(uint32_t type, const void *row, float *out, int64_t count);

/// The activation format the integer dot product of weight `type` uses: Q8_0, Q8_1 or Q8_K (0 if unknown).
uint32_t ck_activation_type(uint32_t type);

/// Quantizes `count` f32 activations into blocks of `activation_type` (Q8_0, Q8_1 or Q8_K), with the
/// reference rounding (Q8_0/Q8_1: round half away from zero; Q8_K: GGML's nearest_int). Returns 0 or -1.
/// Q8_0 and Q8_1 blocks are followed (from the next 64-byte boundary) by the same values regrouped four
/// blocks at a time for the AVX-512 VBMI decode bodies, so `out` holds ck_activation_bytes bytes.
int ck_quantize_activations(uint32_t activation_type, const float *x, void *out, int64_t count);
/// Bytes ck_quantize_activations writes for `count` values (0 for an unknown type).
size_t ck_activation_bytes(uint32_t activation_type, int64_t count);

/// out[r] = dot(weight row r, activations) for r in [row_begin, row_end); rows are `row_bytes` apart,
/// `count` weights each; `activations` were made by ck_quantize_activations for this weight type.
/// Returns 0 or -1.
int ck_dot_rows(uint32_t type, const void *weights, size_t row_bytes, int64_t row_begin, int64_t row_end,
                int64_t count, const void *activations, float *out);

/// ck_dot_rows for `columns` activation rows at once (one token of each of several sequences):
/// out[c·ldo + r] = dot(weight row r, activations + c·activation_stride). Each column's result is bit for bit
/// ck_dot_rows's for that column alone over the same rows; the weights are unpacked once for all columns
/// where the CPU runs the AVX2 eight-row bodies. `terms`: the columns' per-block terms from ck_column_terms,
/// made once per product and shared by every row range; NULL makes them here. Returns 0 or -1.
int ck_dot_rows_columns(uint32_t type, const void *weights, size_t row_bytes, int64_t row_begin, int64_t row_end, int64_t count,
                        const void *activations, size_t activation_stride, int64_t columns, const void *terms,
                        float *out, int64_t ldo);
/// Bytes of the per-block terms ck_dot_rows_columns reads for `columns` activation rows of `count` values;
/// 0 where it does not use any (then ck_column_terms does nothing and `terms` may be NULL).
size_t ck_column_terms_bytes(uint32_t type, int64_t count, int64_t columns);
/// Writes those terms (scales and quant sums of each activation block) into `terms`.
void ck_column_terms(uint32_t type, const void *activations, size_t activation_stride, int64_t count, int64_t columns, void *terms);

/// ck_dot_rows with the AVX2 bodies even where AVX-512 VNNI ones would be chosen (generic ones without AVX2),
/// so that tests check both on a machine that has both.
int ck_dot_rows_avx2(uint32_t type, const void *weights, size_t row_bytes, int64_t row_begin, int64_t row_end,
                     int64_t count, const void *activations, float *out);
/// ck_dot_rows with the AVX-512 VNNI bodies (bit-identical to AVX2) even where VBMI ones would be chosen;
/// AVX2 (or generic) ones where the CPU has no VNNI.
int ck_dot_rows_vnni512(uint32_t type, const void *weights, size_t row_bytes, int64_t row_begin, int64_t row_end,
                        int64_t count, const void *activations, float *out);
/// 1 when this CPU has the AVX-512 VNNI bodies: ck_dot_rows runs them for the types that have them and no
/// VBMI ones; ck_dot_rows_vnni512 runs them for every type that has them.
int ck_dot_rows_uses_vnni512(void);
/// 1 when ck_dot_rows runs the AVX-512 VBMI + VNNI bodies (of the types that have them) on this CPU.
int ck_dot_rows_uses_vbmi512(void);
/// ck_dot_rows with the generic bodies whatever the CPU: what tests compare the fast bodies against,
/// without a process-wide switch that tests running in parallel would race on.
int ck_dot_rows_generic(uint32_t type, const void *weights, size_t row_bytes, int64_t row_begin, int64_t row_end,
                        int64_t count, const void *activations, float *out);

/// out[r] = dot(x, weight row r) for r in [row_begin, row_end), rows of `count` IEEE halves (or bfloat16
/// values) `row_bytes` apart, widened in registers (F16C on x86-64 when available).
void ck_dot_rows_f16(const float *x, const void *weights, size_t row_bytes, int64_t row_begin, int64_t row_end,
                     int64_t count, float *out);
/// out[t*ldo + r] = dot(x + t*ldx, weight row r) for t in [0, tokens), r in [row_begin, row_end): prefill in
/// f32 over rows stored as `type` (F32, F16, BF16 or a quantized type), a cache-sized block of rows
/// widened or dequantized at a time. `scratch` holds ck_gemm_rows_scratch_floats() floats, one per
/// concurrent caller. Returns -1, computing nothing, where there is no fast body (no AVX2/F16C, or `count`
/// not a multiple of 8 and of the block): callers then use BLAS.
int ck_gemm_rows(uint32_t type, const float *x, int64_t ldx, int64_t tokens, const void *weights, size_t row_bytes,
                 int64_t row_begin, int64_t row_end, int64_t count, float *out, int64_t ldo, float *scratch);
/// ck_gemm_rows with the AVX2 tiles even where AVX-512 ones would be chosen (for tests and benchmarks).
int ck_gemm_rows_avx2(uint32_t type, const float *x, int64_t ldx, int64_t tokens, const void *weights, size_t row_bytes,
                      int64_t row_begin, int64_t row_end, int64_t count, float *out, int64_t ldo, float *scratch);
/// 1 when ck_gemm_rows runs AVX-512 tiles on this CPU.
int ck_gemm_rows_uses_avx512(void);
/// 1 when ck_gemm_rows has a fast body for rows of `count` values stored as `type`.
int ck_gemm_rows_supported(uint32_t type, int64_t count);
int64_t ck_gemm_rows_scratch_floats(void);
/// The rows ck_gemm_rows widens or dequantizes at a time: callers splitting a product between threads give
/// each a multiple of it.
int64_t ck_gemm_rows_row_block(void);
/// Prefill on 8-bit integer products (AVX-512 VNNI, or AVX2 for the 4- and 5-bit formats) for the types that have it
/// (ck_type_info.has_prefill_int8, has_prefill_int8_avx2): activations
/// are quantized to 8-bit blocks as in decode, then out[t*ldo + r] = Σ_blocks d_w·d_a·(q_w·q_a) (+ m_w·s_a)
/// for t < tokens, r in [row_begin, row_end). 1 when this CPU has the body for weights `type` with rows of
/// `count` values.
int ck_gemm_i8_supported(uint32_t type, int64_t count);
/// Bytes of packed activations for `tokens` rows of `count` values (groups of 8 tokens).
int64_t ck_gemm_i8_activation_bytes(int64_t tokens, int64_t count);
/// Bytes of scratch each concurrent ck_gemm_i8 caller needs.
int64_t ck_gemm_i8_scratch_bytes(void);
/// The weight rows ck_gemm_i8 unpacks at a time (split products between threads in multiples of it).
int64_t ck_gemm_i8_row_block(void);
/// Quantizes and packs the token groups [group_begin, group_end) (8 tokens each; tokens past `tokens` are
/// padding) of x (rows `ldx` apart). Returns 0, or -1 when `count` is not a multiple of 32.
int ck_gemm_i8_pack_activations(const float *x, int64_t ldx, int64_t tokens, int64_t group_begin, int64_t group_end,
                                int64_t count, void *packed);
/// The product over packed activations. Returns -1, computing nothing, where ck_gemm_i8_supported is 0.
int ck_gemm_i8(uint32_t type, const void *packed, int64_t tokens, const void *weights, size_t row_bytes,
               int64_t row_begin, int64_t row_end, int64_t count, float *out, int64_t ldo, void *scratch);
/// Widens `count` IEEE halves to f32 (F16C when available).
void ck_widen_f16(const void *halves, float *out, int64_t count);
void ck_dot_rows_bf16(const float *x, const void *weights, size_t row_bytes, int64_t row_begin, int64_t row_end,
                      int64_t count, float *out);

#ifdef __cplusplus
}
#endif
#endif
