/* The replay log's codec (see codec.h). Freestanding: no libc beyond what vmm/lib.h provides in
 * both builds, no floating point, no 128-bit division (the VMM links no libgcc). */
#include "codec.h"
#include <stdarg.h>
#include "lib.h"

/* docs/replay-log.md lists these offsets; a layout change must break the build, not the readers. */
_Static_assert(offsetof(struct hs_event, type) == 0, "event layout");
_Static_assert(offsetof(struct hs_event, flags) == 1, "event layout");
_Static_assert(offsetof(struct hs_event, arg) == 2, "event layout");
_Static_assert(offsetof(struct hs_event, con_hash) == 4, "event layout");
_Static_assert(offsetof(struct hs_event, seq) == 8, "event layout");
_Static_assert(offsetof(struct hs_event, exit_seq) == 16, "event layout");
_Static_assert(offsetof(struct hs_event, rip) == 24, "event layout");
_Static_assert(offsetof(struct hs_event, digest) == 32, "event layout");
_Static_assert(offsetof(struct hs_event, value) == 40, "event layout");
_Static_assert(offsetof(struct hs_event, tsc) == 48, "event layout");
_Static_assert(offsetof(struct hs_event, aux) == 56, "event layout");
_Static_assert(offsetof(struct hs_log_header, version) == 8, "header layout");
_Static_assert(offsetof(struct hs_log_header, event_size) == 12, "header layout");
_Static_assert(offsetof(struct hs_log_header, tsc_hz) == 16, "header layout");
_Static_assert(offsetof(struct hs_log_header, mode) == 24, "header layout");
_Static_assert(offsetof(struct hs_log_header, format) == 28, "header layout");
_Static_assert(offsetof(struct hs_log_header, reserved2) == 32, "header layout");

static const char *const outcome_names[] = { HS_OUTCOMES };
_Static_assert(sizeof(outcome_names) / sizeof(outcome_names[0]) == HS_N_OUTCOMES, "HS_N_OUTCOMES");

static const char *const type_names[EV_TYPE_MAX + 1] = {
    [EV_TSC] = "tsc", [EV_RAND] = "rand", [EV_PIO_IN] = "pio_in", [EV_IRQ] = "irq",
    [EV_RX] = "rx", [EV_INTR] = "intr", [EV_END] = "end",
};
/* The widest type name: the formatters pad to it so the columns after it line up. */
#define TYPE_COL 6

static const char *const mode_names[] = { "off", "exit", "icount", "pmc" };

/* ---- byte encoding ---------------------------------------------------------------------- */

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    while (n--)
        v = v << 8 | p[n];
    return v;
}

/* One field of a struct of type T at its offsetof, so the bytes follow the declared layout. */
#define PUT(buf, T, s, field) put_le((buf) + offsetof(T, field), (s)->field, sizeof((s)->field))
#define GET(s, T, buf, field) ((s)->field = get_le((buf) + offsetof(T, field), sizeof((s)->field)))

void hs_event_encode(uint8_t out[HS_EVENT_SIZE], const struct hs_event *e)
{
    PUT(out, struct hs_event, e, type);
    PUT(out, struct hs_event, e, flags);
    PUT(out, struct hs_event, e, arg);
    PUT(out, struct hs_event, e, con_hash);
    PUT(out, struct hs_event, e, seq);
    PUT(out, struct hs_event, e, exit_seq);
    PUT(out, struct hs_event, e, rip);
    PUT(out, struct hs_event, e, digest);
    PUT(out, struct hs_event, e, value);
    PUT(out, struct hs_event, e, tsc);
    PUT(out, struct hs_event, e, aux);
}

void hs_event_decode(struct hs_event *e, const uint8_t in[HS_EVENT_SIZE])
{
    GET(e, struct hs_event, in, type);
    GET(e, struct hs_event, in, flags);
    GET(e, struct hs_event, in, arg);
    GET(e, struct hs_event, in, con_hash);
    GET(e, struct hs_event, in, seq);
    GET(e, struct hs_event, in, exit_seq);
    GET(e, struct hs_event, in, rip);
    GET(e, struct hs_event, in, digest);
    GET(e, struct hs_event, in, value);
    GET(e, struct hs_event, in, tsc);
    GET(e, struct hs_event, in, aux);
}

void hs_log_header_encode(uint8_t out[sizeof(struct hs_log_header)], const struct hs_log_header *h)
{
    PUT(out, struct hs_log_header, h, magic);
    PUT(out, struct hs_log_header, h, version);
    PUT(out, struct hs_log_header, h, event_size);
    PUT(out, struct hs_log_header, h, tsc_hz);
    PUT(out, struct hs_log_header, h, mode);
    PUT(out, struct hs_log_header, h, format);
    for (unsigned i = 0; i < 4; i++)
        put_le(out + offsetof(struct hs_log_header, reserved2) + 8 * i, h->reserved2[i], 8);
}

void hs_log_header_decode(struct hs_log_header *h, const uint8_t in[sizeof(struct hs_log_header)])
{
    GET(h, struct hs_log_header, in, magic);
    GET(h, struct hs_log_header, in, version);
    GET(h, struct hs_log_header, in, event_size);
    GET(h, struct hs_log_header, in, tsc_hz);
    GET(h, struct hs_log_header, in, mode);
    GET(h, struct hs_log_header, in, format);
    for (unsigned i = 0; i < 4; i++)
        h->reserved2[i] = get_le(in + offsetof(struct hs_log_header, reserved2) + 8 * i, 8);
}

/* ---- names -------------------------------------------------------------------------------- */

const char *hs_event_type_name(unsigned type)
{
    return type <= EV_TYPE_MAX && type_names[type] ? type_names[type] : "unknown";
}

const char *hs_outcome_name(unsigned code)
{
    return code < HS_N_OUTCOMES ? outcome_names[code] : "unknown";
}

int hs_outcome_code(const char *word)
{
    for (unsigned i = 0; word && i < HS_N_OUTCOMES; i++)
        if (!strcmp(word, outcome_names[i]))
            return (int)i;
    return -1;
}

const char *hs_mode_name(unsigned mode)
{
    return mode < ARRAY_SIZE(mode_names) ? mode_names[mode] : "unknown";
}

/* ---- checks ------------------------------------------------------------------------------- */

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (err && errlen)
        hs_vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* Types whose event is the exit itself (RDTSC, RDRAND, IN): positioned by exit_seq alone. */
static int synchronous(unsigned type)
{
    return type == EV_TSC || type == EV_RAND || type == EV_PIO_IN;
}

int hs_event_check(const struct hs_event *e, uint64_t expect_seq, char *err, size_t errlen)
{
    const unsigned known = EVF_WINDOW | EVF_ASYNC;
    if (e->type == EV_NONE || e->type > EV_TYPE_MAX)
        return fail(err, errlen, "unknown event type %u", e->type);
    const char *name = type_names[e->type];
    if (e->flags & ~known)
        return fail(err, errlen, "%s event: unknown flag bits 0x%x", name, e->flags & ~known);
    /* A window exit is an exit-mode position and a count an icount/pmc one: never both. */
    if ((e->flags & known) == known)
        return fail(err, errlen, "%s event: EVF_WINDOW and EVF_ASYNC together", name);
    if (e->seq == 0)
        return fail(err, errlen, "%s event: event number 0 (numbers start at 1)", name);
    if (expect_seq && e->seq != expect_seq)
        return fail(err, errlen, "%s event: event number %lu, expected %lu", name, e->seq, expect_seq);
    if (synchronous(e->type)) {
        if (e->flags & known)
            return fail(err, errlen, "%s event flagged %s: an instruction-synchronous event is at its own exit", name,
                        e->flags & EVF_WINDOW ? "EVF_WINDOW" : "EVF_ASYNC");
        if (e->exit_seq == 0)
            return fail(err, errlen, "%s event at exit_seq 0: its own exit counts", name);
    }
    if ((e->flags & EVF_WINDOW) && e->exit_seq == 0)
        return fail(err, errlen, "%s event: EVF_WINDOW at exit_seq 0 (a window is armed at an exit)", name);
    /* Canonical under 5-level paging (bits 63:56 copy bit 56) also covers 4-level and 32-bit RIPs. */
    uint64_t top = e->rip >> 56;
    if (top != 0 && top != 0xff)
        return fail(err, errlen, "%s event: rip 0x%lx is not a canonical address", name, e->rip);
    if (e->aux && !(e->flags & EVF_ASYNC) && e->type != EV_END)
        return fail(err, errlen, "%s event: aux 0x%lx without EVF_ASYNC", name, e->aux);

    switch (e->type) {
    case EV_TSC:
        if (e->arg)
            return fail(err, errlen, "tsc event: arg %u, must be 0", e->arg);
        break;
    case EV_RAND:
        if (e->arg & ~3u)
            return fail(err, errlen, "rand event: arg 0x%x has bits other than 0 (CF) and 1 (RDSEED)", e->arg);
        /* RDRAND/RDSEED clear the destination when they fail. */
        if (!(e->arg & 1) && e->value)
            return fail(err, errlen, "rand event: CF=0 but value 0x%lx (a failed RDRAND/RDSEED delivers 0)",
                        e->value);
        break;
    case EV_PIO_IN:
        if (e->value > 0xffffffffull)
            return fail(err, errlen, "pio_in event: value 0x%lx is wider than 32 bits", e->value);
        break;
    case EV_IRQ:
        if (e->arg >= 16)
            return fail(err, errlen, "irq event: line %u, the 8259 pair has lines 0-15", e->arg);
        if (e->value)
            return fail(err, errlen, "irq event: value 0x%lx, must be 0", e->value);
        break;
    case EV_RX:
        if (e->value > 0xff)
            return fail(err, errlen, "rx event: value 0x%lx is not a byte", e->value);
        if (e->arg)
            return fail(err, errlen, "rx event: arg %u, must be 0", e->arg);
        break;
    case EV_INTR:
        /* The 8259A's vector base is whatever the guest programmed (8 after reset). */
        if (e->arg < 8 || e->arg > 255)
            return fail(err, errlen, "intr event: vector %u, the 8259A delivers 8-255", e->arg);
        if (e->value)
            return fail(err, errlen, "intr event: value 0x%lx, must be 0", e->value);
        break;
    case EV_END:
        if (e->arg >= HS_N_OUTCOMES)
            return fail(err, errlen, "end event: outcome code %u, known codes are 0-%u", e->arg, HS_N_OUTCOMES - 1);
        /* aux is the state hash here, so it cannot also hold a counter value. */
        if (e->flags & EVF_ASYNC)
            return fail(err, errlen, "end event: EVF_ASYNC, but aux holds the state hash");
        break;
    }
    return 0;
}

int hs_log_header_check(const struct hs_log_header *h, char *err, size_t errlen)
{
    if (h->magic != HS_LOG_MAGIC)
        return fail(err, errlen, "bad magic 0x%016lx (expected 0x%016lx, \"SIGHTLOG\"): not a hindsight replay log",
                    h->magic, (uint64_t)HS_LOG_MAGIC);
    if (h->version != HS_LOG_VERSION)
        return fail(err, errlen, "log version %u, this reader knows version %u", h->version, HS_LOG_VERSION);
    if (h->event_size != HS_EVENT_SIZE)
        return fail(err, errlen, "event size %u, expected %u", h->event_size, HS_EVENT_SIZE);
    if (h->tsc_hz && (h->tsc_hz < HS_TSC_HZ_MIN || h->tsc_hz > HS_TSC_HZ_MAX))
        return fail(err, errlen, "tsc_hz %lu is not a TSC rate (0 for unknown, else %lu to %lu)", h->tsc_hz,
                    HS_TSC_HZ_MIN, HS_TSC_HZ_MAX);
    if (h->mode >= ARRAY_SIZE(mode_names))
        return fail(err, errlen, "unknown replay mode %u", h->mode);
    if (h->format != HS_LOG_FORMAT_FIXED && h->format != HS_LOG_FORMAT_COMPACT)
        return fail(err, errlen, "unknown log format %u (byte 28: 0 fixed, 1 compact)", h->format);
    for (unsigned i = 0; i < 4; i++)
        if (h->reserved2[i])
            return fail(err, errlen, "reserved header field (byte %u) is 0x%lx, must be 0", 32 + 8 * i,
                        h->reserved2[i]);
    return 0;
}

/* ---- compact events ------------------------------------------------------------------------ */

/* Header byte: bits 0-2 the type (0: the raw form, type and flags bytes follow); bit 3 the digest
 * is the one the RIP's table slot holds; bits 4-6 the RIP's slot in the recent-RIP table (7: not
 * there, a RIP delta follows); bit 7 an extension byte follows. */
#define CH_TYPE 0x07u
#define CH_DIGEST 0x08u
#define CH_RIP_SHIFT 4
#define CH_RIP_DELTA 7u
#define CH_EXT 0x80u
/* Extension byte: seq given, EVF_WINDOW, EVF_ASYNC, the console hash follows, and the signs of the
 * three deltas that are never negative in a recorder's log (exit_seq, an EV_TSC value, tsc). */
#define CX_SEQ 0x01u
#define CX_WINDOW 0x02u
#define CX_ASYNC 0x04u
#define CX_CON 0x08u
#define CX_EXIT_NEG 0x10u
#define CX_VALUE_NEG 0x20u
#define CX_TSC_NEG 0x40u
#define CX_KNOWN 0x7fu
_Static_assert(HS_COMPACT_RIPS == CH_RIP_DELTA, "every slot number below the delta marker names a slot");

/* Which fields a normal-form event of a type carries (the others are 0 in every valid event; an
 * event where they are not takes the raw form, which carries all of them). */
static int carries_arg(unsigned type)
{
    return type == EV_RAND || type == EV_PIO_IN || type == EV_IRQ || type == EV_INTR || type == EV_END;
}

static int carries_value(unsigned type)
{
    return type == EV_TSC || type == EV_RAND || type == EV_PIO_IN || type == EV_RX || type == EV_END;
}

static int carries_aux(unsigned type, unsigned flags)
{
    return type == EV_END || (flags & EVF_ASYNC);
}

/* The size of now - before (mod 2^64) and whether it is negative (as a signed 64-bit number);
 * a reader gets back now as before + magnitude or before - magnitude. */
static uint64_t magnitude(uint64_t now, uint64_t before, unsigned *ext, unsigned neg_bit)
{
    uint64_t d = now - before;
    if (d >> 63) {
        *ext |= neg_bit;
        return 0 - d;
    }
    return d;
}

static uint64_t apply(uint64_t before, uint64_t mag, unsigned ext, unsigned neg_bit)
{
    return ext & neg_bit ? before - mag : before + mag;
}

/* Signed RIP differences: 0, -1, 1, -2, ... as 0, 1, 2, 3, ... (zigzag). */
static uint64_t zigzag(uint64_t d)
{
    return d << 1 ^ (0 - (d >> 63));
}

static uint64_t unzigzag(uint64_t u)
{
    return u >> 1 ^ (0 - (u & 1));
}

/* LEB128: 7 bits a byte, least significant first, bit 7 set on all but the last (at most 10). */
static size_t put_varint(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    for (; v >= 0x80; v >>= 7)
        p[n++] = (uint8_t)(v | 0x80);
    p[n++] = (uint8_t)v;
    return n;
}

/* The move-to-front update of the recent-RIP table: (rip, digest) goes to slot 0 and the entries
 * before `from` move down one (from = the RIP's old slot, or the last slot, which falls off, for
 * a RIP that was not in the table). */
static void rips_use(struct hs_compact *st, unsigned from, uint64_t rip, uint64_t digest)
{
    if (from >= HS_COMPACT_RIPS)
        from = HS_COMPACT_RIPS - 1;
    for (unsigned i = from; i > 0; i--) {
        st->rips[i] = st->rips[i - 1];
        st->digests[i] = st->digests[i - 1];
    }
    st->rips[0] = rip;
    st->digests[0] = digest;
}

static unsigned rips_find(const struct hs_compact *st, uint64_t rip)
{
    unsigned i = 0;
    while (i < HS_COMPACT_RIPS && st->rips[i] != rip)
        i++;
    return i; /* HS_COMPACT_RIPS == CH_RIP_DELTA: not there */
}

void hs_compact_init(struct hs_compact *st)
{
    st->seq = st->exit_seq = st->tsc = st->tsc_value = 0;
    for (unsigned i = 0; i < HS_COMPACT_RIPS; i++)
        st->rips[i] = st->digests[i] = 0;
    st->con_hash = 0x811c9dc5u; /* HS_FNV32_INIT: the hash of no console output */
}

size_t hs_compact_encode(struct hs_compact *st, const struct hs_event *e, uint8_t *out)
{
    const unsigned known = EVF_WINDOW | EVF_ASYNC;
    unsigned type = e->type, flags = e->flags;
    int raw = type == EV_NONE || type > EV_TYPE_MAX || (flags & ~known) || (e->arg && !carries_arg(type)) ||
              (e->value && !carries_value(type)) || (e->aux && !carries_aux(type, flags));
    unsigned ext = 0;
    if (e->seq != st->seq + 1)
        ext |= CX_SEQ;
    if (!raw)
        ext |= (flags & EVF_WINDOW ? CX_WINDOW : 0) | (flags & EVF_ASYNC ? CX_ASYNC : 0);
    if (e->con_hash != st->con_hash)
        ext |= CX_CON;
    uint64_t exit_mag = magnitude(e->exit_seq, st->exit_seq, &ext, CX_EXIT_NEG);
    int has_value = raw || carries_value(type);
    uint64_t value = has_value && type == EV_TSC ? magnitude(e->value, st->tsc_value, &ext, CX_VALUE_NEG) : e->value;
    /* A TSC event's tsc is read just after the value it delivered: the gap is small. */
    uint64_t tsc_mag = magnitude(e->tsc, type == EV_TSC ? e->value : st->tsc, &ext, CX_TSC_NEG);
    unsigned slot = rips_find(st, e->rip);
    int same_digest = slot < HS_COMPACT_RIPS && st->digests[slot] == e->digest;

    size_t n = 0;
    out[n++] = (uint8_t)((raw ? 0 : type) | (same_digest ? CH_DIGEST : 0) | slot << CH_RIP_SHIFT | (ext ? CH_EXT : 0));
    if (ext)
        out[n++] = (uint8_t)ext;
    if (raw) {
        out[n++] = (uint8_t)type;
        out[n++] = (uint8_t)flags;
    }
    if (ext & CX_SEQ)
        n += put_varint(out + n, e->seq);
    if (ext & CX_CON) {
        put_le(out + n, e->con_hash, 4);
        n += 4;
    }
    n += put_varint(out + n, exit_mag);
    if (slot == CH_RIP_DELTA)
        n += put_varint(out + n, zigzag(e->rip - st->rips[0]));
    if (!same_digest) {
        put_le(out + n, e->digest, 8);
        n += 8;
    }
    if (raw || carries_arg(type))
        n += put_varint(out + n, e->arg);
    if (has_value)
        n += put_varint(out + n, value);
    n += put_varint(out + n, tsc_mag);
    if (raw || carries_aux(type, flags))
        n += put_varint(out + n, e->aux);

    st->seq = e->seq;
    st->exit_seq = e->exit_seq;
    rips_use(st, slot, e->rip, e->digest);
    st->tsc = e->tsc;
    if (type == EV_TSC)
        st->tsc_value = e->value;
    st->con_hash = e->con_hash;
    return n;
}

/* A bounded reader over one event's bytes: each step is 0 (read), 1 (the input ends first) or -1. */
struct creader {
    const uint8_t *p;
    size_t n, at;
    char *err;
    size_t errlen;
};

static int cr_varint(struct creader *r, uint64_t *v, const char *what)
{
    uint64_t x = 0;
    for (unsigned i = 0;; i++) {
        if (r->at >= r->n)
            return 1;
        unsigned b = r->p[r->at++];
        /* The tenth byte holds bit 63 alone. */
        if (i == 9 && b > 1)
            return fail(r->err, r->errlen, "compact event: %s is a varint longer than 64 bits (byte %zu of the event)",
                        what, r->at - 1);
        x |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            *v = x;
            return 0;
        }
    }
}

static int cr_fixed(struct creader *r, uint64_t *v, unsigned bytes)
{
    if (r->n - r->at < bytes)
        return 1;
    *v = get_le(r->p + r->at, bytes);
    r->at += bytes;
    return 0;
}

/* Steps of hs_compact_decode: any result but 0 ends it. */
#define CR(step)                                                                                                   \
    do {                                                                                                           \
        int r_ = (step);                                                                                           \
        if (r_)                                                                                                    \
            return r_;                                                                                             \
    } while (0)

int hs_compact_decode(struct hs_compact *st, const uint8_t *in, size_t n, struct hs_event *e, size_t *used,
                      char *err, size_t errlen)
{
    struct creader r = { in, n, 0, err, errlen };
    struct hs_event d;
    uint64_t v;
    CR(cr_fixed(&r, &v, 1));
    unsigned head = (unsigned)v, ext = 0, slot = head >> CH_RIP_SHIFT & 7;
    if (head & CH_EXT) {
        CR(cr_fixed(&r, &v, 1));
        ext = (unsigned)v;
        if (ext & ~CX_KNOWN)
            return fail(err, errlen, "compact event: extension byte 0x%02x has unknown bits 0x%02x", ext,
                        ext & ~CX_KNOWN);
    }
    if ((head & CH_DIGEST) && slot == CH_RIP_DELTA)
        return fail(err, errlen, "compact event: header 0x%02x repeats the digest of a RIP that is not in the table",
                    head);
    int raw = !(head & CH_TYPE);
    if (raw) {
        if (ext & (CX_WINDOW | CX_ASYNC))
            return fail(err, errlen, "compact event: raw form (type bits 0) with flag bits in the extension byte 0x%02x",
                        ext);
        CR(cr_fixed(&r, &v, 1));
        d.type = (uint8_t)v;
        CR(cr_fixed(&r, &v, 1));
        d.flags = (uint8_t)v;
    } else {
        d.type = (uint8_t)(head & CH_TYPE);
        d.flags = (uint8_t)((ext & CX_WINDOW ? EVF_WINDOW : 0) | (ext & CX_ASYNC ? EVF_ASYNC : 0));
    }
    int has_value = raw || carries_value(d.type);
    if ((ext & CX_VALUE_NEG) && !(has_value && d.type == EV_TSC))
        return fail(err, errlen, "compact event: extension byte 0x%02x gives a value sign, but %s events carry no "
                    "value delta", ext, hs_event_type_name(d.type));
    d.seq = st->seq + 1;
    if (ext & CX_SEQ)
        CR(cr_varint(&r, &d.seq, "seq"));
    d.con_hash = st->con_hash;
    if (ext & CX_CON) {
        CR(cr_fixed(&r, &v, 4));
        d.con_hash = (uint32_t)v;
    }
    CR(cr_varint(&r, &v, "exit_seq delta"));
    d.exit_seq = apply(st->exit_seq, v, ext, CX_EXIT_NEG);
    if (slot == CH_RIP_DELTA) {
        CR(cr_varint(&r, &v, "rip delta"));
        d.rip = st->rips[0] + unzigzag(v);
    } else {
        d.rip = st->rips[slot];
    }
    if (head & CH_DIGEST)
        d.digest = st->digests[slot];
    else
        CR(cr_fixed(&r, &d.digest, 8));
    d.arg = 0;
    if (raw || carries_arg(d.type)) {
        CR(cr_varint(&r, &v, "arg"));
        if (v > 0xffff)
            return fail(err, errlen, "compact event: arg 0x%lx is wider than 16 bits", v);
        d.arg = (uint16_t)v;
    }
    d.value = 0;
    if (has_value) {
        CR(cr_varint(&r, &v, "value"));
        d.value = d.type == EV_TSC ? apply(st->tsc_value, v, ext, CX_VALUE_NEG) : v;
    }
    CR(cr_varint(&r, &v, "tsc delta"));
    d.tsc = apply(d.type == EV_TSC ? d.value : st->tsc, v, ext, CX_TSC_NEG);
    d.aux = 0;
    if (raw || carries_aux(d.type, d.flags))
        CR(cr_varint(&r, &d.aux, "aux"));

    /* A whole event: only now does the state move. */
    st->seq = d.seq;
    st->exit_seq = d.exit_seq;
    rips_use(st, slot, d.rip, d.digest);
    st->tsc = d.tsc;
    if (d.type == EV_TSC)
        st->tsc_value = d.value;
    st->con_hash = d.con_hash;
    *e = d;
    *used = r.at;
    return 0;
}

/* ---- formatting ------------------------------------------------------------------------- */

/* An snprintf-style appender: keeps the untruncated length, never writes past cap, and keeps
 * buf terminated (cap 0 and a NULL buf are fine). */
struct sb {
    char *buf;
    size_t cap, len;
};

static void sb_init(struct sb *s, char *buf, size_t cap)
{
    s->buf = buf;
    s->cap = cap;
    s->len = 0;
    if (cap)
        buf[0] = 0;
}

__attribute__((format(printf, 2, 3))) static void sb_printf(struct sb *s, const char *fmt, ...)
{
    size_t at = s->len < s->cap ? s->len : s->cap;
    va_list ap;
    va_start(ap, fmt);
    /* No pointer arithmetic on a NULL buf (cap 0): UBSan rejects even NULL + 0. */
    int n = hs_vsnprintf(s->cap ? s->buf + at : s->buf, s->cap - at, fmt, ap);
    va_end(ap);
    s->len += (size_t)n;
}

/* word left-justified in width columns (hs_vsnprintf has no "%-Ns"). */
static void sb_left(struct sb *s, const char *word, unsigned width)
{
    sb_printf(s, "%s", word);
    for (size_t n = strlen(word); n < width; n++)
        sb_printf(s, " ");
}

static int sb_done(const struct sb *s)
{
    return s->len > 0x7fffffff ? 0x7fffffff : (int)s->len;
}

/* a * b / c for any 64-bit a, b (c != 0), saturating: the rates below multiply event and byte
 * counts by tsc_hz, and the VMM has no 128-bit division helper. */
static uint64_t muldiv(uint64_t a, uint64_t b, uint64_t c)
{
    uint64_t al = a & 0xffffffffu, ah = a >> 32, bl = b & 0xffffffffu, bh = b >> 32;
    uint64_t ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
    uint64_t mid = (ll >> 32) + (lh & 0xffffffffu) + (hl & 0xffffffffu);
    uint64_t lo = (ll & 0xffffffffu) | (mid << 32);
    uint64_t hi = hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
    if (hi >= c)
        return UINT64_MAX;
    uint64_t q = 0;
    for (int i = 63; i >= 0; i--) {
        uint64_t carry = hi >> 63; /* the shifted remainder is then >= 2^64 > c */
        hi = hi << 1 | (lo >> i & 1);
        q <<= 1;
        if (carry || hi >= c) {
            hi -= c;
            q |= 1;
        }
    }
    return q;
}

static void sb_rx_byte(struct sb *s, unsigned b)
{
    sb_printf(s, "byte=0x%02x ", b);
    if (b == '\n')
        sb_printf(s, "'\\n'");
    else if (b == '\r')
        sb_printf(s, "'\\r'");
    else if (b == '\t')
        sb_printf(s, "'\\t'");
    else if (b == '\'' || b == '\\')
        sb_printf(s, "'\\%c'", (char)b);
    else if (b >= 0x20 && b < 0x7f)
        sb_printf(s, "'%c'", (char)b);
    else
        sb_printf(s, "'\\x%02x'", b);
}

static void sb_event(struct sb *s, const struct hs_event *e)
{
    sb_printf(s, "#%lu ", e->seq);
    sb_left(s, hs_event_type_name(e->type), TYPE_COL);
    sb_printf(s, " exit=%lu%s", e->exit_seq, e->flags & EVF_WINDOW ? "+window" : "");
    if (e->flags & EVF_ASYNC)
        sb_printf(s, " count=%lu", e->aux);
    sb_printf(s, " rip=%016lx digest=%016lx ", e->rip, e->digest);
    switch (e->type) {
    case EV_TSC:
        sb_printf(s, "value=%lu", e->value);
        break;
    case EV_RAND:
        sb_printf(s, "value=0x%016lx cf=%u %s", e->value, e->arg & 1u, e->arg & 2u ? "rdseed" : "rdrand");
        break;
    case EV_PIO_IN:
        sb_printf(s, "port=0x%x value=0x%lx", e->arg, e->value);
        break;
    case EV_IRQ:
        sb_printf(s, "line=%u", e->arg);
        break;
    case EV_RX:
        sb_rx_byte(s, (unsigned)(e->value & 0xff));
        break;
    case EV_INTR:
        sb_printf(s, "vector=0x%02x", e->arg);
        break;
    case EV_END:
        sb_printf(s, "outcome=%s console=%lu state=%016lx", hs_outcome_name(e->arg), e->value, e->aux);
        break;
    default:
        sb_printf(s, "type=%u arg=0x%x value=0x%lx aux=0x%lx", e->type, e->arg, e->value, e->aux);
    }
    if (e->flags & ~(EVF_WINDOW | EVF_ASYNC))
        sb_printf(s, " flags=0x%02x", e->flags);
    sb_printf(s, " con=%08x", e->con_hash);
}

int hs_event_format(char *buf, size_t cap, const struct hs_event *e)
{
    struct sb s;
    sb_init(&s, buf, cap);
    sb_event(&s, e);
    return sb_done(&s);
}

/* " S.UUUUUU" seconds of ticks at hz (hz <= HS_TSC_HZ_MAX keeps the fraction exact in 64 bits). */
static void sb_seconds(struct sb *s, uint64_t ticks, uint64_t hz)
{
    sb_printf(s, "%lu.%06lu", ticks / hz, ticks % hz * 1000000u / hz);
}

int hs_event_format_time(char *buf, size_t cap, const struct hs_event *e, uint64_t tsc_hz, uint64_t tsc_base)
{
    struct sb s;
    sb_init(&s, buf, cap);
    sb_event(&s, e);
    if (tsc_hz && tsc_hz <= HS_TSC_HZ_MAX) {
        int back = e->tsc < tsc_base;
        sb_printf(&s, " t=%c", back ? '-' : '+');
        sb_seconds(&s, back ? tsc_base - e->tsc : e->tsc - tsc_base, tsc_hz);
        sb_printf(&s, "s");
    }
    return sb_done(&s);
}

/* ---- statistics --------------------------------------------------------------------------- */

void hs_stats_init(struct hs_stats *s)
{
    for (unsigned i = 0; i <= EV_TYPE_MAX; i++)
        s->events[i] = s->bytes[i] = s->log_bytes[i] = 0;
    s->total_events = s->total_bytes = s->total_log_bytes = 0;
    s->first_tsc = s->last_tsc = 0;
    s->compact = 0;
}

void hs_stats_add(struct hs_stats *s, const struct hs_event *e)
{
    unsigned t = e->type <= EV_TYPE_MAX ? e->type : EV_NONE;
    if (!s->total_events)
        s->first_tsc = e->tsc;
    s->last_tsc = e->tsc;
    s->events[t]++;
    s->bytes[t] += HS_EVENT_SIZE;
    s->total_events++;
    s->total_bytes += HS_EVENT_SIZE;
}

void hs_stats_add_compact(struct hs_stats *s, const struct hs_event *e, uint64_t log_bytes)
{
    hs_stats_add(s, e);
    s->compact = 1;
    s->log_bytes[e->type <= EV_TYPE_MAX ? e->type : EV_NONE] += log_bytes;
    s->total_log_bytes += log_bytes;
}

/* v / 1000 as "N.MMM" (v in thousandths). */
static void sb_milli(struct sb *s, uint64_t v)
{
    sb_printf(s, "%lu.%03lu", v / 1000, v % 1000);
}

int hs_stats_format(char *buf, size_t cap, const struct hs_stats *s, uint64_t tsc_hz)
{
    struct sb b;
    sb_init(&b, buf, cap);
    /* A compact log's rows: the bytes as read, then what the same events take as 64-byte ones. */
    sb_left(&b, "type", 7);
    sb_printf(&b, "%13s  %13s", "events", "bytes");
    sb_printf(&b, s->compact ? "  %13s\n" : "\n", "fixed bytes");
    for (unsigned t = 0; t <= EV_TYPE_MAX; t++) {
        if (t == EV_NONE && !s->events[t])
            continue; /* invalid types only appear when a caller counted unchecked events */
        sb_left(&b, hs_event_type_name(t), 7);
        if (s->compact)
            sb_printf(&b, "%13lu  %13lu  %13lu\n", s->events[t], s->log_bytes[t], s->bytes[t]);
        else
            sb_printf(&b, "%13lu  %13lu\n", s->events[t], s->bytes[t]);
    }
    sb_left(&b, "total", 7);
    if (s->compact) {
        sb_printf(&b, "%13lu  %13lu  %13lu\n", s->total_events, s->total_log_bytes, s->total_bytes);
        if (s->total_events) {
            sb_printf(&b, "compact bytes per event ");
            sb_milli(&b, muldiv(s->total_log_bytes, 1000, s->total_events));
            sb_printf(&b, " (fixed %u)\n", HS_EVENT_SIZE);
        }
    } else {
        sb_printf(&b, "%13lu  %13lu\n", s->total_events, s->total_bytes);
    }
    if (!tsc_hz || tsc_hz > HS_TSC_HZ_MAX) {
        sb_printf(&b, "guest time unknown (no usable tsc_hz in the header)\n");
        return sb_done(&b);
    }
    if (!s->total_events || s->last_tsc <= s->first_tsc) {
        sb_printf(&b, "guest time 0 s (the events span no TSC ticks): no rates\n");
        return sb_done(&b);
    }
    uint64_t dt = s->last_tsc - s->first_tsc;
    sb_printf(&b, "guest time ");
    sb_seconds(&b, dt, tsc_hz);
    sb_printf(&b, " s (tsc %lu to %lu at %lu Hz)\n", s->first_tsc, s->last_tsc, tsc_hz);
    sb_printf(&b, "events per guest second ");
    sb_milli(&b, muldiv(s->total_events, tsc_hz * 1000u, dt));
    /* bits per guest second, then thousandths of a Mbit: 1 kbit/s resolution is plenty. */
    uint64_t bytes = s->compact ? s->total_log_bytes : s->total_bytes;
    uint64_t bits = bytes > UINT64_MAX / 8 ? UINT64_MAX : bytes * 8;
    sb_printf(&b, "\nlog bandwidth ");
    sb_milli(&b, muldiv(bits, tsc_hz, dt) / 1000u);
    sb_printf(&b, " Mbit per guest second\n");
    if (s->compact) {
        bits = s->total_bytes > UINT64_MAX / 8 ? UINT64_MAX : s->total_bytes * 8;
        sb_printf(&b, "as fixed 64-byte events ");
        sb_milli(&b, muldiv(bits, tsc_hz, dt) / 1000u);
        sb_printf(&b, " Mbit per guest second\n");
    }
    return sb_done(&b);
}
