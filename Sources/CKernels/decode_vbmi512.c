// AVX-512 VBMI + VNNI bodies of the nibble formats' eight-row decode products (Q4_0, Q4_1, Q5_0, Q5_1), and
// the grouped copy of the activations they read.
//
// Why: the VNNI bodies (decode_vnni512.c) put one block of four rows in each zmm, so every block costs three
// 16-byte inserts, a reduction of eight rows to eight lanes and a gather of eight scales, all on the shuffle
// port. Here each zmm holds four consecutive blocks of one row: two loads cover them, one vpermt2b drops
// the scales and minimums from between the quants, and another picks the four scales, each copied to its
// block's four lanes. The integer sums then stay in their lanes: multiplied by the block's two scales and
// added into a per-row float accumulator, they are reduced across lanes once per row, not once per block.
// About 12 vector operations per 128 weights instead of about 20. One core, rows in cache (bench-kernels
// --rows 384 --columns 4544 --threads 1, against the same with --vnni512): Q4_0 1.18×, Q4_1 1.0×, Q5_0
// 1.27×, Q5_1 1.12× on an AMD EPYC (Zen 4); 1.3–1.4× in a C probe on an Intel Xeon.
//
// The four blocks' activations must line up with the four blocks' quants, so ck_quantize_activations also
// writes them regrouped (ck_act4 below), once per product rather than once per eight rows.
//
// The float operations differ from the AVX2 and VNNI bodies' (per-lane sums of products reduced at the
// end), so results agree with them to rounding, not bit for bit.
#include "CKernels.h"
#include "internal.h"
#include "blocks.h"

/// Four activation blocks, arranged for one zmm of weight quants: their low halves (elements 0–15 of each
/// block, which meet the low nibbles), high halves (16–31, the high nibbles), and per 4-lane chunk the
/// block's scale in all four lanes and, in the chunk's first lane only, Σq (Q8_0) or the stored d·Σq (Q8_1).
/// Blocks past the row's end are zeros, so they add nothing.
typedef struct {
    int8_t low[64], high[64];
    union { int32_t sums[16]; float s[16]; };
    float d[16];
} ck_act4;
_Static_assert(sizeof(ck_act4) == 256, "ck_act4");

/// Where the regrouped copy starts: after the ordinary blocks, on a 64-byte boundary from the buffer's start.
static size_t grouped_offset(int64_t nb, size_t block_bytes) { return ((size_t)nb * block_bytes + 63) & ~(size_t)63; }
static size_t act_block_bytes(uint32_t activation_type) { return ck_traits(activation_type)->block_bytes; }

size_t ck_grouped_activation_bytes(uint32_t activation_type, int64_t nb) {
    return grouped_offset(nb, act_block_bytes(activation_type)) + (size_t)((nb + 3) / 4) * sizeof(ck_act4);
}

void ck_group_activations(uint32_t activation_type, void *act, int64_t nb) {
    const size_t plain = (size_t)nb * act_block_bytes(activation_type), start = grouped_offset(nb, act_block_bytes(activation_type));
    // zero the alignment gap so the buffer's bytes depend only on the input
    memset((char *)act + plain, 0, start - plain);
    ck_act4 *g = (ck_act4 *)((char *)act + start);
    for (int64_t step = 0; step < (nb + 3) / 4; step++) {
        memset(&g[step], 0, sizeof g[step]);
        for (int b = 0; b < 4 && 4 * step + b < nb; b++) {
            const int64_t i = 4 * step + b;
            const int8_t *qs; uint16_t d;
            if (activation_type == CK_Q8_1) {
                const ck_q8_1 *a = (const ck_q8_1 *)act + i;
                qs = a->qs; d = a->d;
                g[step].s[4 * b] = ck_half_to_float(a->s);
            } else {
                const ck_q8_0 *a = (const ck_q8_0 *)act + i;
                qs = a->qs; d = a->d;
                int sum = 0;
                for (int j = 0; j < 32; j++) sum += qs[j];
                g[step].sums[4 * b] = sum;
            }
            memcpy(g[step].low + 16 * b, qs, 16);
            memcpy(g[step].high + 16 * b, qs + 16, 16);
            for (int l = 0; l < 4; l++) g[step].d[4 * b + l] = ck_half_to_float(d);
        }
    }
}

#if defined(__x86_64__)
#include <immintrin.h>
#include "avx2_unpack.h"

#define VBMI512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,avx512vbmi,avx512bitalg,avx2,fma,f16c")))

// Byte tables for vpermt2b over a step of four blocks (4·BS bytes) loaded as z1 = bytes 0–63 and
// z2 = bytes 4·BS−64 … 4·BS−1: index 0–63 picks from z1, 64–127 from z2.
#define FROM(BS, src) ((src) < 64 ? (src) : (src) - (4 * (BS) - 64) + 64)
#define R4(F, j) F(j) F((j) + 1) F((j) + 2) F((j) + 3)
#define R16(F, j) R4(F, j) R4(F, (j) + 4) R4(F, (j) + 8) R4(F, (j) + 12)
#define R64(F) R16(F, 0) R16(F, 16) R16(F, 32) R16(F, 48)
/// Byte j: quant byte j%16 of block j/16 (quants start QO bytes into a block).
#define QUANTS(BS, QO, j) FROM(BS, (BS) * ((j) >> 4) + (QO) + ((j) & 15)),
/// Bytes 0–31: block l/4's scale as half l (l = j/2); bytes 32–63: its minimum (MO bytes in; the scale again
/// where there is none).
#define HEADS(BS, MO, j) FROM(BS, (BS) * ((((j) >> 1) & 15) >> 2) + ((j) < 32 ? 0 : (MO)) + ((j) & 1)),
/// Qword c: the 32 fifth bits of block c/2 (HO bytes in), twice.
#define FIFTHS(BS, HO, j) FROM(BS, (BS) * ((j) >> 4) + (HO) + ((j) & 3)),

#define Q4_0_Q(j) QUANTS(18, 2, j)
#define Q4_0_H(j) HEADS(18, 0, j)
#define Q4_1_Q(j) QUANTS(20, 4, j)
#define Q4_1_H(j) HEADS(20, 2, j)
#define Q5_0_Q(j) QUANTS(22, 6, j)
#define Q5_0_H(j) HEADS(22, 0, j)
#define Q5_0_F(j) FIFTHS(22, 2, j)
#define Q5_1_Q(j) QUANTS(24, 8, j)
#define Q5_1_H(j) HEADS(24, 2, j)
#define Q5_1_F(j) FIFTHS(24, 4, j)
#define NONE(j) 0,
#define BIT_LOW(j) ((j) & 15),
#define BIT_HIGH(j) (16 + ((j) & 15)),

typedef struct { uint8_t quants[64], heads[64], fifths[64]; } step_tables;
static const step_tables q4_0_tables = { { R64(Q4_0_Q) }, { R64(Q4_0_H) }, { R64(NONE) } };
static const step_tables q4_1_tables = { { R64(Q4_1_Q) }, { R64(Q4_1_H) }, { R64(NONE) } };
static const step_tables q5_0_tables = { { R64(Q5_0_Q) }, { R64(Q5_0_H) }, { R64(Q5_0_F) } };
static const step_tables q5_1_tables = { { R64(Q5_1_Q) }, { R64(Q5_1_H) }, { R64(Q5_1_F) } };
/// vpshufbitqmb selectors: byte j of a nibble vector (block j/16, element j%16) takes bit j%16 (low
/// nibbles) or 16 + j%16 (high nibbles) of its block's fifth bits.
static const uint8_t fifth_bit_low[64] = { R64(BIT_LOW) }, fifth_bit_high[64] = { R64(BIT_HIGH) };

/// Per-call constants of a format: its three tables, loaded once.
typedef struct { __m512i quants, heads, fifths, low4, bit_low, bit_high; } step_constants;

/// One row's four blocks (z1, z2 as above) · the step's activations, added into `acc` lane by lane.
VBMI512 static inline __attribute__((always_inline)) __m512 row_step(
    __m512i z1, __m512i z2, const step_constants *c, __m512i alo, __m512i ahi, __m512i init, __m512 da, __m512 s,
    int fifth, int mins, __m512 acc) {
    const __m512i q = _mm512_permutex2var_epi8(z1, c->quants, z2);
    __m512i lo = _mm512_and_si512(q, c->low4), hi = _mm512_and_si512(_mm512_srli_epi16(q, 4), c->low4);
    if (fifth) {
        const __m512i h = _mm512_permutex2var_epi8(z1, c->fifths, z2);
        const __m512i sixteen = _mm512_set1_epi8(0x10);
        lo = _mm512_mask_add_epi8(lo, _mm512_bitshuffle_epi64_mask(h, c->bit_low), lo, sixteen);
        hi = _mm512_mask_add_epi8(hi, _mm512_bitshuffle_epi64_mask(h, c->bit_high), hi, sixteen);
    }
    const __m512i sums = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(init, lo, alo), hi, ahi);
    const __m512i heads = _mm512_permutex2var_epi8(z1, c->heads, z2);
    acc = _mm512_fmadd_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(sums), da), _mm512_cvtph_ps(_mm512_castsi512_si256(heads)), acc);
    if (mins) acc = _mm512_fmadd_ps(_mm512_cvtph_ps(_mm512_extracti64x4_epi64(heads, 1)), s, acc);
    return acc;
}

/// BT: block type; AT: activation block type; TABLES: the format's step_tables; SHIFT: log2 of the value
/// stored quants carry (3 for Q4_0's 8, 4 for Q5_0's 16, 0 for none); FIFTH, MINS: Q5's fifth bits,
/// Q4_1/Q5_1's minimums.
#define NIBBLE_ROWS8_VBMI(NAME, BT, AT, TABLES, SHIFT, FIFTH, MINS) \
VBMI512 void NAME(int64_t nb, const void *w, size_t row_bytes, const void *act, float *out) { \
    enum { BS = sizeof(BT), STEP = 4 * sizeof(BT) }; \
    const ck_act4 *g = (const ck_act4 *)((const char *)act + grouped_offset(nb, sizeof(AT))); \
    const uint8_t *r[8]; for (int k = 0; k < 8; k++) r[k] = (const uint8_t *)w + (size_t)k * row_bytes; \
    const step_constants c = { _mm512_loadu_si512(TABLES.quants), _mm512_loadu_si512(TABLES.heads), \
        _mm512_loadu_si512(TABLES.fifths), _mm512_set1_epi8(0x0F), _mm512_loadu_si512(fifth_bit_low), \
        _mm512_loadu_si512(fifth_bit_high) }; \
    __m512 acc[8]; for (int k = 0; k < 8; k++) acc[k] = _mm512_setzero_ps(); \
    const char *next = (const char *)w + 8 * row_bytes; \
    const int64_t steps = nb / 4, tail = nb % 4; \
    for (int64_t i = 0; i <= steps; i++) { \
        if (i == steps && tail == 0) break; \
        prefetch_span(next + (size_t)i * 8 * STEP, 8 * STEP); \
        const __m512i alo = _mm512_loadu_si512(g[i].low), ahi = _mm512_loadu_si512(g[i].high); \
        const __m512i init = SHIFT ? _mm512_sub_epi32(_mm512_setzero_si512(), _mm512_slli_epi32(_mm512_loadu_si512(g[i].sums), SHIFT)) \
                                   : _mm512_setzero_si512(); \
        const __m512 da = _mm512_loadu_ps(g[i].d), s = MINS ? _mm512_loadu_ps(g[i].s) : _mm512_setzero_ps(); \
        if (i < steps) { \
            for (int k = 0; k < 8; k++) { \
                const uint8_t *x = r[k] + (size_t)i * STEP; \
                acc[k] = row_step(_mm512_loadu_si512(x), _mm512_loadu_si512(x + STEP - 64), &c, alo, ahi, init, da, s, FIFTH, MINS, acc[k]); \
            } \
        } else { \
            /* the last 1–3 blocks: masked loads stop at the row's end, and the zeros read as empty blocks */ \
            const int64_t bytes = tail * BS, second = bytes - (STEP - 64); \
            const __mmask64 m1 = bytes >= 64 ? ~(__mmask64)0 : ((__mmask64)1 << bytes) - 1; \
            const __mmask64 m2 = second <= 0 ? 0 : ((__mmask64)1 << second) - 1; \
            for (int k = 0; k < 8; k++) { \
                const uint8_t *x = r[k] + (size_t)i * STEP; \
                const __m512i z2 = m2 ? _mm512_maskz_loadu_epi8(m2, x + STEP - 64) : _mm512_setzero_si512(); \
                acc[k] = row_step(_mm512_maskz_loadu_epi8(m1, x), z2, &c, alo, ahi, init, da, s, FIFTH, MINS, acc[k]); \
            } \
        } \
    } \
    for (int k = 0; k < 8; k++) out[k] = _mm512_reduce_add_ps(acc[k]); \
}
NIBBLE_ROWS8_VBMI(ck_dot8_q4_0_vbmi512, ck_q4_0, ck_q8_0, q4_0_tables, 3, 0, 0)
NIBBLE_ROWS8_VBMI(ck_dot8_q5_0_vbmi512, ck_q5_0, ck_q8_0, q5_0_tables, 4, 1, 0)
NIBBLE_ROWS8_VBMI(ck_dot8_q4_1_vbmi512, ck_q4_1, ck_q8_1, q4_1_tables, 0, 0, 1)
NIBBLE_ROWS8_VBMI(ck_dot8_q5_1_vbmi512, ck_q5_1, ck_q8_1, q5_1_tables, 0, 1, 1)

#else
// Never chosen off x86-64 (dispatch.c checks the CPU); defined so that the dispatcher links everywhere.
#define NO_BODY(NAME) void NAME(int64_t nb, const void *w, size_t rb, const void *a, float *out) { (void)nb; (void)w; (void)rb; (void)a; (void)out; }
NO_BODY(ck_dot8_q4_0_vbmi512) NO_BODY(ck_dot8_q5_0_vbmi512) NO_BODY(ck_dot8_q4_1_vbmi512) NO_BODY(ck_dot8_q5_1_vbmi512)
#endif
