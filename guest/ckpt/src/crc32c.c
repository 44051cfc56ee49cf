#include "crc32c.h"
#include <pthread.h>
#include <string.h>

static uint32_t table[8][256];
static int have_table;

static void make_table(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? (c >> 1) ^ 0x82f63b78u : c >> 1;
        table[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int t = 1; t < 8; t++)
            table[t][i] = (table[t - 1][i] >> 8) ^ table[0][table[t - 1][i] & 0xff];
    have_table = 1;
}

static uint32_t crc_sw(uint32_t c, const unsigned char *p, size_t n)
{
    if (!have_table)
        make_table();
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        v ^= c;
        c = table[7][v & 0xff] ^ table[6][(v >> 8) & 0xff] ^ table[5][(v >> 16) & 0xff] ^
            table[4][(v >> 24) & 0xff] ^ table[3][(v >> 32) & 0xff] ^ table[2][(v >> 40) & 0xff] ^
            table[1][(v >> 48) & 0xff] ^ table[0][v >> 56];
        p += 8;
        n -= 8;
    }
    while (n--)
        c = (c >> 8) ^ table[0][(c ^ *p++) & 0xff];
    return c;
}

/* Three independent streams hide the 3-cycle latency of the crc32 instruction;
 * the partial CRCs are combined with the software shift below. */
__attribute__((target("sse4.2"))) static uint32_t crc_hw1(uint32_t c, const unsigned char *p, size_t n)
{
    uint64_t c64 = c;
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        c64 = __builtin_ia32_crc32di(c64, v);
        p += 8;
        n -= 8;
    }
    c = (uint32_t)c64;
    while (n--)
        c = __builtin_ia32_crc32qi(c, *p++);
    return c;
}

/* Multiplies a CRC state by x^(8*len) mod P: shifts crc over len zero bytes. */
static uint32_t gf2_mul(uint32_t a, uint32_t b)
{
    uint32_t r = 0;
    for (int i = 0; i < 32; i++) {
        if (b & 0x80000000u >> i)
            r ^= a;
        a = a & 1 ? (a >> 1) ^ 0x82f63b78u : a >> 1;
    }
    return r;
}

static uint32_t xpow8n(size_t n)
{
    /* x^(8n) in the reflected representation; x^0 = 0x80000000. */
    uint32_t r = 0x80000000u, sq = 0x00800000u; /* x^8 */
    while (n) {
        if (n & 1)
            r = gf2_mul(r, sq);
        sq = gf2_mul(sq, sq);
        n >>= 1;
    }
    return r;
}

__attribute__((target("sse4.2"))) static uint32_t crc_hw(uint32_t c, const unsigned char *p, size_t n)
{
    enum { BLK = 8192 };
    static uint32_t shift_blk, shift_2blk;
    if (n < 3 * BLK)
        return crc_hw1(c, p, n);
    if (!shift_blk) {
        shift_blk = xpow8n(BLK);
        shift_2blk = xpow8n(2 * BLK);
    }
    while (n >= 3 * BLK) {
        uint64_t a = c, b = 0, d = 0;
        const unsigned char *pb = p + BLK, *pd = p + 2 * BLK;
        for (size_t i = 0; i < BLK; i += 8) {
            uint64_t va, vb, vd;
            memcpy(&va, p + i, 8);
            memcpy(&vb, pb + i, 8);
            memcpy(&vd, pd + i, 8);
            a = __builtin_ia32_crc32di(a, va);
            b = __builtin_ia32_crc32di(b, vb);
            d = __builtin_ia32_crc32di(d, vd);
        }
        /* crc(A|B|D) = shift(crc(A), 2BLK) ^ shift(crc(B), BLK) ^ crc(D) for raw (un-inverted) CRCs. */
        c = gf2_mul((uint32_t)a, shift_2blk) ^ gf2_mul((uint32_t)b, shift_blk) ^ (uint32_t)d;
        p += 3 * BLK;
        n -= 3 * BLK;
    }
    return crc_hw1(c, p, n);
}

uint32_t crc32c(uint32_t crc, const void *buf, size_t len)
{
    static int hw = -1;
    if (hw < 0) {
        __builtin_cpu_init();
        hw = __builtin_cpu_supports("sse4.2");
    }
    uint32_t c = ~crc;
    c = hw ? crc_hw(c, buf, len) : crc_sw(c, buf, len);
    return ~c;
}

uint32_t crc32c_combine(uint32_t crc1, uint32_t crc2, size_t len2)
{
    /* crc(A|B) = crc(A) * x^(8|B|) ^ crc(B): the pre/post inversions cancel (zlib's crc32_combine). */
    return gf2_mul(crc1, xpow8n(len2)) ^ crc2;
}

struct crc_part {
    const unsigned char *p;
    size_t n;
    uint32_t crc;
};

static void *crc_thread(void *arg)
{
    struct crc_part *c = arg;
    c->crc = crc32c(0, c->p, c->n);
    return NULL;
}

uint32_t crc32c_par(const void *buf, size_t len)
{
    /* Below this a second thread costs more than it saves. */
    if (len < (8u << 20))
        return crc32c(0, buf, len);
    size_t half = len / 2;
    struct crc_part b = {(const unsigned char *)buf + half, len - half, 0};
    pthread_t t;
    if (pthread_create(&t, NULL, crc_thread, &b) != 0)
        return crc32c(0, buf, len);
    uint32_t a = crc32c(0, buf, half);
    pthread_join(t, NULL);
    return crc32c_combine(a, b.crc, len - half);
}

uint32_t crc32c_zeros(size_t len)
{
    /* The register starts at ~0; LEN zero bytes multiply it by x^(8 LEN); then the final inversion. */
    return ~gf2_mul(0xffffffffu, xpow8n(len));
}
