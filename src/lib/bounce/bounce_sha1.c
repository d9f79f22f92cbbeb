/*
 * bounce_sha1.c - SHA-1 (FIPS 180-4 6.1) for the record token.
 *
 * The token only has to match what other tools compute for the same
 * (sender, recipient, time) triple; it is an identifier, not a security
 * measure, so SHA-1's weakness does not matter here.
 */
#include <stdint.h>
#include <string.h>

#include "bounce/bounce_date.h"

typedef struct sha1 {
    uint32_t h[5];
    uint64_t bytes;
    unsigned char block[64];
    size_t fill;
} sha1;

static uint32_t rol(uint32_t x, unsigned n)
{
    return (x << n) | (x >> (32 - n));
}

/* The message schedule is kept as a ring of 16 words (w[i] depends only
 * on the 16 before it) and the rounds are unrolled five at a time with the
 * variables renamed instead of shifted: the token is hashed once per
 * record, so this runs for every bounce. */
#define SHA1_W(i)                                                         \
    (w[(i) & 15] = rol(w[((i) - 3) & 15] ^ w[((i) - 8) & 15] ^            \
                           w[((i) - 14) & 15] ^ w[(i) & 15],              \
                       1))
#define SHA1_F1(b, c, d) ((d) ^ ((b) & ((c) ^ (d))))
#define SHA1_F2(b, c, d) ((b) ^ (c) ^ (d))
#define SHA1_F3(b, c, d) (((b) & (c)) | ((d) & ((b) | (c))))
#define SHA1_R(F, K, a, b, c, d, e, x)                                    \
    do {                                                                  \
        e += rol(a, 5) + F(b, c, d) + (K) + (x);                          \
        b = rol(b, 30);                                                   \
    } while (0)
#define SHA1_R5(F, K, i, X)                                               \
    do {                                                                  \
        SHA1_R(F, K, a, bb, c, d, e, X(i));                               \
        SHA1_R(F, K, e, a, bb, c, d, X((i) + 1));                         \
        SHA1_R(F, K, d, e, a, bb, c, X((i) + 2));                         \
        SHA1_R(F, K, c, d, e, a, bb, X((i) + 3));                         \
        SHA1_R(F, K, bb, c, d, e, a, X((i) + 4));                         \
    } while (0)
#define SHA1_W0(i) w[(i)]

static void compress(sha1 *s, const unsigned char *b)
{
    uint32_t w[16];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)b[4 * i] << 24 | (uint32_t)b[4 * i + 1] << 16 |
               (uint32_t)b[4 * i + 2] << 8 | (uint32_t)b[4 * i + 3];
    uint32_t a = s->h[0], bb = s->h[1], c = s->h[2], d = s->h[3], e = s->h[4];
    SHA1_R5(SHA1_F1, 0x5A827999u, 0, SHA1_W0);
    SHA1_R5(SHA1_F1, 0x5A827999u, 5, SHA1_W0);
    SHA1_R5(SHA1_F1, 0x5A827999u, 10, SHA1_W0);
    SHA1_R(SHA1_F1, 0x5A827999u, a, bb, c, d, e, w[15]);
    SHA1_R(SHA1_F1, 0x5A827999u, e, a, bb, c, d, SHA1_W(16));
    SHA1_R(SHA1_F1, 0x5A827999u, d, e, a, bb, c, SHA1_W(17));
    SHA1_R(SHA1_F1, 0x5A827999u, c, d, e, a, bb, SHA1_W(18));
    SHA1_R(SHA1_F1, 0x5A827999u, bb, c, d, e, a, SHA1_W(19));
    SHA1_R5(SHA1_F2, 0x6ED9EBA1u, 20, SHA1_W);
    SHA1_R5(SHA1_F2, 0x6ED9EBA1u, 25, SHA1_W);
    SHA1_R5(SHA1_F2, 0x6ED9EBA1u, 30, SHA1_W);
    SHA1_R5(SHA1_F2, 0x6ED9EBA1u, 35, SHA1_W);
    SHA1_R5(SHA1_F3, 0x8F1BBCDCu, 40, SHA1_W);
    SHA1_R5(SHA1_F3, 0x8F1BBCDCu, 45, SHA1_W);
    SHA1_R5(SHA1_F3, 0x8F1BBCDCu, 50, SHA1_W);
    SHA1_R5(SHA1_F3, 0x8F1BBCDCu, 55, SHA1_W);
    SHA1_R5(SHA1_F2, 0xCA62C1D6u, 60, SHA1_W);
    SHA1_R5(SHA1_F2, 0xCA62C1D6u, 65, SHA1_W);
    SHA1_R5(SHA1_F2, 0xCA62C1D6u, 70, SHA1_W);
    SHA1_R5(SHA1_F2, 0xCA62C1D6u, 75, SHA1_W);
    s->h[0] += a;
    s->h[1] += bb;
    s->h[2] += c;
    s->h[3] += d;
    s->h[4] += e;
}

static void update(sha1 *s, const unsigned char *p, size_t n)
{
    s->bytes += n;
    while (n > 0) {
        size_t take = 64 - s->fill < n ? 64 - s->fill : n;
        memcpy(s->block + s->fill, p, take);
        s->fill += take;
        p += take;
        n -= take;
        if (s->fill == 64) {
            compress(s, s->block);
            s->fill = 0;
        }
    }
}

void sx_bsha1_hex(const void *data, size_t len, char out[41])
{
    sha1 s = {{0x67452301u, 0xEFCDAB89u, 0x98BADCFEu, 0x10325476u,
               0xC3D2E1F0u},
              0,
              {0},
              0};
    update(&s, data, len);
    /* padding (FIPS 180-4 5.1.1): 0x80, zeros to 56 mod 64, the length */
    uint64_t bits = s.bytes * 8;
    unsigned char pad[72] = {0x80};
    size_t padlen = s.fill < 56 ? 56 - s.fill : 120 - s.fill;
    for (int i = 0; i < 8; i++)
        pad[padlen + (size_t)i] = (unsigned char)(bits >> (56 - 8 * i));
    update(&s, pad, padlen + 8);
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 4; j++) {
            unsigned char byte = (unsigned char)(s.h[i] >> (24 - 8 * j));
            out[8 * i + 2 * j] = hex[byte >> 4];
            out[8 * i + 2 * j + 1] = hex[byte & 15];
        }
    out[40] = '\0';
}
