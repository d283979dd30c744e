// The one table of what the kernels know per type: block layout, activation format and bodies per instruction
// set. Adding a block format is its bodies, one row here and one case in Kernels' TensorType; dispatch.c
// chooses among a row's bodies from the CPU's features and never names a type.
#include "CKernels.h"
#include "internal.h"
#include "blocks.h"

/// A 32- or 256-value weight format with integer dot products: generic and AVX2 one-row bodies at least.
#define WEIGHT(T, ACT) .block_bytes = sizeof(ck_##T), .activation_type = ACT, \
    .dequantize_generic = ck_dequantize_##T##_generic, .dot_generic = ck_dot_##T##_generic, .dot_avx2 = ck_dot_##T##_avx2, \
    .prefill_panels = 1
/// The legacy 32-value formats: AVX2 dequantization, eight-row decode bodies and the VNNI int8 prefill tiles besides
/// (the 4- and 5-bit ones also have AVX2 int8 tiles: Q8_0's signed quants do not fit their 16-bit sums).
#define LEGACY(T, ACT) WEIGHT(T, ACT), .block_values = 32, .dequantize_avx2 = ck_dequantize_##T##_avx2, \
    .dot8_avx2 = ck_dot8_##T##_avx2, .dot8_columns_avx2 = ck_dot8_columns_##T##_avx2, .dot8_vnni512 = ck_dot8_##T##_vnni512, .prefill_int8 = 1
#define SUPER(T) WEIGHT(T, CK_Q8_K), .block_values = 256

static const ck_traits_row rows[] = {
    [CK_F32] = { .block_values = 1, .block_bytes = 4, .prefill_panels = 1 },
    [CK_F16] = { .block_values = 1, .block_bytes = 2, .prefill_panels = 1 },
    [CK_BF16] = { .block_values = 1, .block_bytes = 2, .prefill_panels = 1 },
    [CK_Q4_0] = { LEGACY(q4_0, CK_Q8_0), .dot8_vbmi512 = ck_dot8_q4_0_vbmi512, .prefill_int8_avx2 = 1 },
    [CK_Q4_1] = { LEGACY(q4_1, CK_Q8_1), .dot8_vbmi512 = ck_dot8_q4_1_vbmi512, .prefill_int8_avx2 = 1 },
    [CK_Q5_0] = { LEGACY(q5_0, CK_Q8_0), .dot8_vbmi512 = ck_dot8_q5_0_vbmi512, .prefill_int8_avx2 = 1 },
    [CK_Q5_1] = { LEGACY(q5_1, CK_Q8_1), .dot8_vbmi512 = ck_dot8_q5_1_vbmi512, .prefill_int8_avx2 = 1 },
    [CK_Q8_0] = { LEGACY(q8_0, CK_Q8_0), .quantize = ck_quantize_q8_0_generic, .activation_grouped = 1 },
    [CK_Q8_1] = { .block_values = 32, .block_bytes = sizeof(ck_q8_1), .quantize = ck_quantize_q8_1_generic, .activation_grouped = 1,
                  .dequantize_generic = ck_dequantize_q8_1_generic },
    [CK_Q2_K] = { SUPER(q2_k) },
    [CK_Q3_K] = { SUPER(q3_k) },
    [CK_Q4_K] = { SUPER(q4_k) },
    [CK_Q5_K] = { SUPER(q5_k) },
    [CK_Q6_K] = { SUPER(q6_k), .dot_vnni512 = ck_dot_q6_k_vnni512 },
    [CK_Q8_K] = { .block_values = 256, .block_bytes = sizeof(ck_q8_k), .quantize = ck_quantize_q8_k_generic,
                  .dequantize_generic = ck_dequantize_q8_k_generic },
};

const ck_traits_row *ck_traits(uint32_t type) {
    if (type >= sizeof rows / sizeof rows[0] || rows[type].block_values == 0) return 0;
    return &rows[type];
}

ck_type_info ck_type_traits(uint32_t type) {
    const ck_traits_row *t = ck_traits(type);
    ck_type_info info = { 0 };
    if (!t) return info;
    info.block_values = t->block_values;
    info.block_bytes = (int64_t)t->block_bytes;
    info.activation_type = t->activation_type;
    info.has_decode = t->dot_generic != 0;
    info.has_dequantize = t->dequantize_generic != 0;
    info.has_prefill_panels = t->prefill_panels;
    info.has_prefill_int8 = t->prefill_int8;
    info.has_prefill_int8_avx2 = t->prefill_int8_avx2;
    return info;
}
