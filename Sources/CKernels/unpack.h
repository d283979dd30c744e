// Internal: every block format unpacked to small integers plus its float scales, the one description the
// generic dequantizers and dot products share. A 32-block gives q[32] with x = d·q + m; a 256-block gives
// q[256] with 16 groups of 16: x = (d·sc[g])·q − dmin·mn[g].
#ifndef CKERNELS_UNPACK_H
#define CKERNELS_UNPACK_H

#include "blocks.h"

typedef struct { int8_t q[32]; float d, m; int has_min; } ck_small;
typedef struct { int8_t q[256]; int16_t sc[16]; int16_t mn[16]; float d, dmin; int has_min; } ck_super;

static inline void ck_unpack_q4_0(const ck_q4_0 *b, ck_small *u) {
    u->d = ck_half_to_float(b->d); u->m = 0; u->has_min = 0;
    for (int j = 0; j < 16; j++) { u->q[j] = (int8_t)((b->qs[j] & 0xF) - 8); u->q[j + 16] = (int8_t)((b->qs[j] >> 4) - 8); }
}
static inline void ck_unpack_q4_1(const ck_q4_1 *b, ck_small *u) {
    u->d = ck_half_to_float(b->d); u->m = ck_half_to_float(b->m); u->has_min = 1;
    for (int j = 0; j < 16; j++) { u->q[j] = (int8_t)(b->qs[j] & 0xF); u->q[j + 16] = (int8_t)(b->qs[j] >> 4); }
}
static inline uint32_t ck_load_u32(const uint8_t *p) { return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24); }
static inline void ck_unpack_q5_0(const ck_q5_0 *b, ck_small *u) {
    u->d = ck_half_to_float(b->d); u->m = 0; u->has_min = 0;
    const uint32_t h = ck_load_u32(b->qh);
    for (int j = 0; j < 16; j++) {
        u->q[j] = (int8_t)(((b->qs[j] & 0xF) | (((h >> j) & 1) << 4)) - 16);
        u->q[j + 16] = (int8_t)(((b->qs[j] >> 4) | (((h >> (j + 16)) & 1) << 4)) - 16);
    }
}
static inline void ck_unpack_q5_1(const ck_q5_1 *b, ck_small *u) {
    u->d = ck_half_to_float(b->d); u->m = ck_half_to_float(b->m); u->has_min = 1;
    const uint32_t h = ck_load_u32(b->qh);
    for (int j = 0; j < 16; j++) {
        u->q[j] = (int8_t)((b->qs[j] & 0xF) | (((h >> j) & 1) << 4));
        u->q[j + 16] = (int8_t)((b->qs[j] >> 4) | (((h >> (j + 16)) & 1) << 4));
    }
}
static inline void ck_unpack_q8_0(const ck_q8_0 *b, ck_small *u) {
    u->d = ck_half_to_float(b->d); u->m = 0; u->has_min = 0;
    memcpy(u->q, b->qs, 32);
}

static inline void ck_unpack_q2_k(const ck_q2_k *b, ck_super *u) {
    u->d = ck_half_to_float(b->d); u->dmin = ck_half_to_float(b->dmin); u->has_min = 1;
    for (int g = 0; g < 16; g++) { u->sc[g] = b->scales[g] & 0xF; u->mn[g] = b->scales[g] >> 4; }
    for (int n = 0; n < 2; n++) {
        const uint8_t *qs = b->qs + 32 * n;
        for (int j = 0; j < 4; j++) {
            int8_t *out = u->q + 128 * n + 32 * j;
            for (int l = 0; l < 32; l++) out[l] = (int8_t)((qs[l] >> (2 * j)) & 3);
        }
    }
}
static inline void ck_unpack_q3_k(const ck_q3_k *b, ck_super *u) {
    u->d = ck_half_to_float(b->d); u->dmin = 0; u->has_min = 0;
    int8_t sc[16];
    ck_q3_k_scales(b->scales, sc);
    for (int g = 0; g < 16; g++) { u->sc[g] = sc[g]; u->mn[g] = 0; }
    for (int n = 0; n < 2; n++) {
        const uint8_t *qs = b->qs + 32 * n;
        for (int j = 0; j < 4; j++) {
            const uint8_t mask = (uint8_t)(1u << (4 * n + j));
            int8_t *out = u->q + 128 * n + 32 * j;
            for (int l = 0; l < 32; l++) out[l] = (int8_t)(((qs[l] >> (2 * j)) & 3) - ((b->hmask[l] & mask) ? 0 : 4));
        }
    }
}
static inline void ck_unpack_q4_k(const ck_q4_k *b, ck_super *u) {
    u->d = ck_half_to_float(b->d); u->dmin = ck_half_to_float(b->dmin); u->has_min = 1;
    for (int j = 0; j < 8; j++) {
        uint8_t s, m;
        ck_scale_min_k4(j, b->scales, &s, &m);
        u->sc[2 * j] = u->sc[2 * j + 1] = s;
        u->mn[2 * j] = u->mn[2 * j + 1] = m;
    }
    for (int c = 0; c < 4; c++) {
        const uint8_t *qs = b->qs + 32 * c;
        for (int l = 0; l < 32; l++) { u->q[64 * c + l] = (int8_t)(qs[l] & 0xF); u->q[64 * c + 32 + l] = (int8_t)(qs[l] >> 4); }
    }
}
static inline void ck_unpack_q5_k(const ck_q5_k *b, ck_super *u) {
    u->d = ck_half_to_float(b->d); u->dmin = ck_half_to_float(b->dmin); u->has_min = 1;
    for (int j = 0; j < 8; j++) {
        uint8_t s, m;
        ck_scale_min_k4(j, b->scales, &s, &m);
        u->sc[2 * j] = u->sc[2 * j + 1] = s;
        u->mn[2 * j] = u->mn[2 * j + 1] = m;
    }
    for (int c = 0; c < 4; c++) {
        const uint8_t *qs = b->qs + 32 * c;
        for (int l = 0; l < 32; l++) {
            u->q[64 * c + l] = (int8_t)((qs[l] & 0xF) | (((b->qh[l] >> (2 * c)) & 1) << 4));
            u->q[64 * c + 32 + l] = (int8_t)((qs[l] >> 4) | (((b->qh[l] >> (2 * c + 1)) & 1) << 4));
        }
    }
}
static inline void ck_unpack_q6_k(const ck_q6_k *b, ck_super *u) {
    u->d = ck_half_to_float(b->d); u->dmin = 0; u->has_min = 0;
    for (int g = 0; g < 16; g++) { u->sc[g] = b->scales[g]; u->mn[g] = 0; }
    for (int n = 0; n < 2; n++) {
        const uint8_t *ql = b->ql + 64 * n, *qh = b->qh + 32 * n;
        int8_t *out = u->q + 128 * n;
        for (int l = 0; l < 32; l++) {
            out[l] = (int8_t)(((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32);
            out[l + 32] = (int8_t)(((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32);
            out[l + 64] = (int8_t)(((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32);
            out[l + 96] = (int8_t)(((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32);
        }
    }
}

#endif
