/* The replay log's codec (replay/codec.c): byte layout, validation, formatting, outcome names,
 * statistics. The layout checks pin the offsets docs/replay-log.md promises to hosted readers. */
#include <stdint.h>
#include <string.h>
#include "check.h"
#include "codec.h"
#include "digest.h"

/* A valid event of each type, with every field it uses set to something recognisable. */
static struct hs_event ev(unsigned type, uint64_t seq)
{
    struct hs_event e;
    memset(&e, 0, sizeof(e));
    e.type = (uint8_t)type;
    e.seq = seq;
    e.exit_seq = 1000 + seq;
    e.rip = 0xffffffff81000000ull + seq;
    e.digest = hs_mix64(seq);
    e.tsc = 3000000000ull + seq * 1000;
    e.con_hash = hs_fnv32(HS_FNV32_INIT, "Linux", 5);
    switch (type) {
    case EV_TSC: e.value = 123456789012ull; break;
    case EV_RAND: e.arg = 1; e.value = 0xdeadbeefcafef00dull; break;
    case EV_PIO_IN: e.arg = 0x40; e.value = 0x12; break;
    case EV_IRQ: e.arg = 4; break;
    case EV_RX: e.value = 'A'; break;
    case EV_INTR: e.arg = 0x30; e.flags = EVF_WINDOW; break;
    case EV_END: e.arg = 2; e.value = 4321; e.aux = 0x0123456789abcdefull; break;
    }
    return e;
}

static struct hs_log_header header(void)
{
    struct hs_log_header h;
    memset(&h, 0, sizeof(h));
    h.magic = HS_LOG_MAGIC;
    h.version = HS_LOG_VERSION;
    h.event_size = HS_EVENT_SIZE;
    h.tsc_hz = 3000000000ull;
    h.mode = MODE_EXIT;
    return h;
}

TEST(replay_codec_event_offsets)
{
    struct hs_event e;
    memset(&e, 0, sizeof(e));
    e.type = 0x11;
    e.flags = 0x22;
    e.arg = 0x3344;
    e.con_hash = 0x55667788u;
    e.seq = 0x0101010101010101ull;
    e.exit_seq = 0x0202020202020202ull;
    e.rip = 0x0303030303030303ull;
    e.digest = 0x0404040404040404ull;
    e.value = 0x0505050505050505ull;
    e.tsc = 0x0606060606060606ull;
    e.aux = 0x0708090a0b0c0d0eull;
    uint8_t b[HS_EVENT_SIZE];
    hs_event_encode(b, &e);
    CHECK_EQ(b[0], 0x11);
    CHECK_EQ(b[1], 0x22);
    CHECK_EQ(b[2], 0x44); /* little-endian */
    CHECK_EQ(b[3], 0x33);
    CHECK_EQ(b[4], 0x88);
    CHECK_EQ(b[7], 0x55);
    for (unsigned f = 1; f <= 6; f++)
        for (unsigned i = 0; i < 8; i++)
            CHECK_EQ(b[f * 8 + i], f);
    CHECK_EQ(b[56], 0x0e);
    CHECK_EQ(b[63], 0x07);
    /* On x86 the encoding is the struct's own bytes: the VMM can put structs straight in the ring. */
    CHECK_MEM(b, &e, HS_EVENT_SIZE);
}

TEST(replay_codec_event_round_trip_every_type)
{
    for (unsigned t = 1; t <= EV_TYPE_MAX; t++) {
        struct hs_event e = ev(t, t), d;
        char err[160] = "";
        uint8_t b[HS_EVENT_SIZE];
        CHECK_EQ(hs_event_check(&e, t, err, sizeof(err)), 0);
        CHECK_STREQ(err, "");
        hs_event_encode(b, &e);
        memset(&d, 0xa5, sizeof(d));
        hs_event_decode(&d, b);
        CHECK_MEM(&d, &e, sizeof(e));
        CHECK_EQ(hs_event_check(&d, t, err, sizeof(err)), 0);
        CHECK_EQ(hs_event_check(&d, 0, err, sizeof(err)), 0); /* 0: any event number */
    }
}

TEST(replay_codec_header_round_trip_and_offsets)
{
    struct hs_log_header h = header(), d;
    uint8_t b[64];
    hs_log_header_encode(b, &h);
    CHECK_MEM(b, "SIGHTLOG", 8);
    CHECK_EQ(b[8], HS_LOG_VERSION);
    CHECK_EQ(b[12], HS_EVENT_SIZE);
    CHECK_EQ(b[24], MODE_EXIT);
    CHECK_MEM(b, &h, sizeof(h));
    memset(&d, 0xa5, sizeof(d));
    hs_log_header_decode(&d, b);
    CHECK_MEM(&d, &h, sizeof(h));
    char err[160] = "";
    CHECK_EQ(hs_log_header_check(&d, err, sizeof(err)), 0);
    h.tsc_hz = 0; /* unknown rate: still a valid log */
    CHECK_EQ(hs_log_header_check(&h, err, sizeof(err)), 0);
}

#define HDR_REJECT(field_expr, want)                                                                             \
    do {                                                                                                       \
        struct hs_log_header h_ = header();                                                                    \
        char err_[200] = "";                                                                                   \
        field_expr;                                                                                            \
        CHECK_EQ(hs_log_header_check(&h_, err_, sizeof(err_)), -1);                                           \
        CHECK_CONTAINS(err_, want);                                                                            \
    } while (0)

TEST(replay_codec_header_rejects)
{
    HDR_REJECT(h_.magic = 0x474f4c5448474954ull, "bad magic 0x474f4c5448474954");
    HDR_REJECT(h_.magic = 0, "not a hindsight replay log");
    HDR_REJECT(h_.version = 2, "log version 2, this reader knows version 1");
    HDR_REJECT(h_.event_size = 32, "event size 32, expected 64");
    HDR_REJECT(h_.tsc_hz = 999, "tsc_hz 999 is not a TSC rate");
    HDR_REJECT(h_.tsc_hz = HS_TSC_HZ_MAX + 1, "is not a TSC rate");
    HDR_REJECT(h_.mode = 4, "unknown replay mode 4");
    HDR_REJECT(h_.reserved = 1, "byte 28");
    HDR_REJECT(h_.reserved2[0] = 1, "byte 32");
    HDR_REJECT(h_.reserved2[3] = 0x80, "(byte 56) is 0x80");
    /* A tiny error buffer truncates, terminated. */
    struct hs_log_header h = header();
    char small[8];
    h.version = 9;
    CHECK_EQ(hs_log_header_check(&h, small, sizeof(small)), -1);
    CHECK_STREQ(small, "log ver");
    CHECK_EQ(hs_log_header_check(&h, NULL, 0), -1);
}

/* Mutates a valid event of type t (seq 5) and expects hs_event_check(expect 5) to say want. */
#define EV_REJECT(t, mutate, want)                                                                               \
    do {                                                                                                       \
        struct hs_event e_ = ev(t, 5);                                                                         \
        char err_[200] = "";                                                                                   \
        mutate;                                                                                                \
        CHECK_EQ(hs_event_check(&e_, 5, err_, sizeof(err_)), -1);                                             \
        CHECK_CONTAINS(err_, want);                                                                            \
    } while (0)

TEST(replay_codec_event_rejects)
{
    EV_REJECT(EV_TSC, e_.type = 0, "unknown event type 0");
    EV_REJECT(EV_TSC, e_.type = 8, "unknown event type 8");
    EV_REJECT(EV_TSC, e_.type = 255, "unknown event type 255");
    EV_REJECT(EV_IRQ, e_.flags = 0x04, "irq event: unknown flag bits 0x4");
    EV_REJECT(EV_IRQ, e_.flags = 0x83, "unknown flag bits 0x80");
    EV_REJECT(EV_IRQ, e_.flags = EVF_WINDOW | EVF_ASYNC, "EVF_WINDOW and EVF_ASYNC together");
    EV_REJECT(EV_TSC, e_.seq = 6, "event number 6, expected 5");
    EV_REJECT(EV_TSC, e_.seq = 0, "event number 0");
    EV_REJECT(EV_TSC, e_.flags = EVF_WINDOW, "tsc event flagged EVF_WINDOW");
    EV_REJECT(EV_PIO_IN, e_.flags = EVF_ASYNC, "pio_in event flagged EVF_ASYNC");
    EV_REJECT(EV_RAND, e_.exit_seq = 0, "rand event at exit_seq 0");
    EV_REJECT(EV_INTR, e_.exit_seq = 0, "EVF_WINDOW at exit_seq 0");
    EV_REJECT(EV_RX, e_.rip = 0x0100000000000000ull, "rip 0x100000000000000 is not a canonical address");
    EV_REJECT(EV_RX, e_.rip = 0x8000000000000000ull, "rip 0x8000000000000000 is not a canonical");
    EV_REJECT(EV_IRQ, e_.aux = 7, "irq event: aux 0x7 without EVF_ASYNC");
    EV_REJECT(EV_TSC, e_.arg = 1, "tsc event: arg 1, must be 0");
    EV_REJECT(EV_RAND, e_.arg = 4, "rand event: arg 0x4 has bits other than 0 (CF) and 1 (RDSEED)");
    EV_REJECT(EV_RAND, e_.arg = 2, "CF=0 but value 0xdeadbeefcafef00d");
    EV_REJECT(EV_PIO_IN, e_.value = 0x100000000ull, "pio_in event: value 0x100000000 is wider than 32 bits");
    EV_REJECT(EV_IRQ, e_.arg = 16, "irq event: line 16, the 8259 pair has lines 0-15");
    EV_REJECT(EV_IRQ, e_.value = 1, "irq event: value 0x1, must be 0");
    EV_REJECT(EV_RX, e_.value = 256, "rx event: value 0x100 is not a byte");
    EV_REJECT(EV_RX, e_.arg = 1, "rx event: arg 1, must be 0");
    EV_REJECT(EV_INTR, e_.arg = 7, "intr event: vector 7, the 8259A delivers 8-255");
    EV_REJECT(EV_INTR, e_.arg = 256, "intr event: vector 256");
    EV_REJECT(EV_INTR, e_.value = 2, "intr event: value 0x2, must be 0");
    EV_REJECT(EV_END, e_.arg = HS_N_OUTCOMES, "end event: outcome code 15, known codes are 0-14");
    EV_REJECT(EV_END, e_.flags = EVF_ASYNC, "end event: EVF_ASYNC, but aux holds the state hash");
}

TEST(replay_codec_event_accepts_edges)
{
    char err[160];
    struct hs_event e = ev(EV_IRQ, 1);
    e.arg = 15;
    CHECK_EQ(hs_event_check(&e, 1, err, sizeof(err)), 0);
    e = ev(EV_INTR, 1);
    e.arg = 32;
    CHECK_EQ(hs_event_check(&e, 1, err, sizeof(err)), 0);
    e.arg = 255;
    e.flags = 0;
    CHECK_EQ(hs_event_check(&e, 1, err, sizeof(err)), 0);
    e = ev(EV_RX, 1);
    e.value = 0xff;
    e.rip = 0x1000; /* a 32-bit guest's RIP */
    CHECK_EQ(hs_event_check(&e, 1, err, sizeof(err)), 0);
    e = ev(EV_RAND, 1);
    e.arg = 0; /* a failed RDRAND delivers 0 */
    e.value = 0;
    CHECK_EQ(hs_event_check(&e, 1, err, sizeof(err)), 0);
    e = ev(EV_PIO_IN, 1);
    e.value = 0xffffffffu;
    e.arg = 0xffff;
    CHECK_EQ(hs_event_check(&e, 1, err, sizeof(err)), 0);
    e = ev(EV_IRQ, 1);
    e.flags = EVF_ASYNC; /* icount/pmc: aux is the counter, exit_seq may be 0 */
    e.aux = 987654;
    e.exit_seq = 0;
    CHECK_EQ(hs_event_check(&e, 1, err, sizeof(err)), 0);
    e = ev(EV_END, 1);
    e.arg = 0;
    e.exit_seq = 0; /* stopped before the first exit (e.g. vm-entry-failed) */
    CHECK_EQ(hs_event_check(&e, 1, err, sizeof(err)), 0);
}

TEST(replay_codec_format_exact_line)
{
    char line[HS_EVENT_LINE_MAX];
    struct hs_event e = ev(EV_PIO_IN, 7);
    e.con_hash = 0xabcdef01u;
    e.digest = 0x0123456789abcdefull;
    int n = hs_event_format(line, sizeof(line), &e);
    CHECK_STREQ(line, "#7 pio_in exit=1007 rip=ffffffff81000007 digest=0123456789abcdef port=0x40 value=0x12 "
                      "con=abcdef01");
    CHECK_EQ(n, strlen(line));
}

TEST(replay_codec_format_each_type)
{
    char line[HS_EVENT_LINE_MAX];
    struct hs_event e = ev(EV_TSC, 1);
    hs_event_format(line, sizeof(line), &e);
    CHECK_CONTAINS(line, "#1 tsc    exit=1001 rip=");
    CHECK_CONTAINS(line, " value=123456789012 ");

    e = ev(EV_RAND, 2);
    hs_event_format(line, sizeof(line), &e);
    CHECK_CONTAINS(line, "#2 rand   ");
    CHECK_CONTAINS(line, "value=0xdeadbeefcafef00d cf=1 rdrand");
    e.arg = 3;
    hs_event_format(line, sizeof(line), &e);
    CHECK_CONTAINS(line, "cf=1 rdseed");

    e = ev(EV_IRQ, 3);
    hs_event_format(line, sizeof(line), &e);
    CHECK_CONTAINS(line, "#3 irq    exit=1003 rip");
    CHECK_CONTAINS(line, " line=4 ");

    e = ev(EV_RX, 4);
    hs_event_format(line, sizeof(line), &e);
    CHECK_CONTAINS(line, " byte=0x41 'A' ");

    e = ev(EV_INTR, 5);
    hs_event_format(line, sizeof(line), &e);
    CHECK_CONTAINS(line, "#5 intr   exit=1005+window rip=");
    CHECK_CONTAINS(line, " vector=0x30 ");

    e = ev(EV_END, 6);
    hs_event_format(line, sizeof(line), &e);
    CHECK_CONTAINS(line, "#6 end    ");
    CHECK_CONTAINS(line, " outcome=panic console=4321 state=0123456789abcdef ");
    CHECK_CONTAINS(line, " con=");

    e = ev(EV_IRQ, 9);
    e.flags = EVF_ASYNC;
    e.aux = 555;
    hs_event_format(line, sizeof(line), &e);
    CHECK_CONTAINS(line, "exit=1009 count=555 rip=");

    /* An invalid event still formats (the decoder reports it, a debugger may want to see it). */
    e = ev(EV_TSC, 10);
    e.type = 42;
    e.flags = 0x40;
    hs_event_format(line, sizeof(line), &e);
    CHECK_CONTAINS(line, "#10 unknown exit=");
    CHECK_CONTAINS(line, "type=42 arg=0x0 value=0x1cbe991a14 aux=0x0 flags=0x40");
}

TEST(replay_codec_format_rx_bytes)
{
    static const struct {
        unsigned b;
        const char *want;
    } cases[] = {
        { '\n', "byte=0x0a '\\n'" }, { '\r', "byte=0x0d '\\r'" }, { '\t', "byte=0x09 '\\t'" },
        { 0, "byte=0x00 '\\x00'" },  { 0x1b, "byte=0x1b '\\x1b'" }, { 0xff, "byte=0xff '\\xff'" },
        { '\'', "byte=0x27 '\\''" }, { '\\', "byte=0x5c '\\\\'" }, { ' ', "byte=0x20 ' '" },
        { '~', "byte=0x7e '~'" },
    };
    char line[HS_EVENT_LINE_MAX];
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct hs_event e = ev(EV_RX, 1);
        e.value = cases[i].b;
        hs_event_format(line, sizeof(line), &e);
        CHECK_CONTAINS(line, cases[i].want);
    }
}

TEST(replay_codec_format_time)
{
    char line[HS_EVENT_LINE_MAX];
    struct hs_event e = ev(EV_IRQ, 1);
    e.tsc = 1000 + 4500000000ull; /* 1.5 s at 3 GHz after the base */
    hs_event_format_time(line, sizeof(line), &e, 3000000000ull, 1000);
    CHECK_CONTAINS(line, " con=");
    CHECK_CONTAINS(line, " t=+1.500000s");
    e.tsc = 1000;
    hs_event_format_time(line, sizeof(line), &e, 3000000000ull, 1000);
    CHECK_CONTAINS(line, " t=+0.000000s");
    e.tsc = 0;
    hs_event_format_time(line, sizeof(line), &e, 1000000, 2500);
    CHECK_CONTAINS(line, " t=-0.002500s");
    /* No usable rate: the time is left out, the rest is the plain line. */
    char plain[HS_EVENT_LINE_MAX];
    hs_event_format(plain, sizeof(plain), &e);
    hs_event_format_time(line, sizeof(line), &e, 0, 0);
    CHECK_STREQ(line, plain);
    hs_event_format_time(line, sizeof(line), &e, HS_TSC_HZ_MAX + 1, 0);
    CHECK_STREQ(line, plain);
    /* The largest rate and TSC still give exact whole seconds (no 64-bit overflow). */
    e.tsc = UINT64_MAX;
    hs_event_format_time(line, sizeof(line), &e, HS_TSC_HZ_MAX, 0);
    CHECK_CONTAINS(line, " t=+18446744.073709s");
}

TEST(replay_codec_format_truncates_like_snprintf)
{
    char full[HS_EVENT_LINE_MAX], small[HS_EVENT_LINE_MAX + 1];
    struct hs_event e = ev(EV_END, 3);
    int n = hs_event_format_time(full, sizeof(full), &e, 3000000000ull, 0);
    CHECK(n > 100 && n < (int)HS_EVENT_LINE_MAX);
    for (size_t cap = 1; cap <= (size_t)n + 1; cap++) {
        memset(small, 0x7e, sizeof(small));
        CHECK_EQ(hs_event_format_time(small, cap, &e, 3000000000ull, 0), n);
        CHECK_EQ(strlen(small), cap - 1);
        CHECK(!strncmp(small, full, cap - 1));
        CHECK_EQ((unsigned char)small[cap], 0x7e); /* nothing written past cap */
    }
    CHECK_EQ(hs_event_format(NULL, 0, &e), hs_event_format(full, sizeof(full), &e));
}

TEST(replay_codec_names)
{
    CHECK_STREQ(hs_event_type_name(EV_TSC), "tsc");
    CHECK_STREQ(hs_event_type_name(EV_RAND), "rand");
    CHECK_STREQ(hs_event_type_name(EV_PIO_IN), "pio_in");
    CHECK_STREQ(hs_event_type_name(EV_IRQ), "irq");
    CHECK_STREQ(hs_event_type_name(EV_RX), "rx");
    CHECK_STREQ(hs_event_type_name(EV_INTR), "intr");
    CHECK_STREQ(hs_event_type_name(EV_END), "end");
    CHECK_STREQ(hs_event_type_name(EV_NONE), "unknown");
    CHECK_STREQ(hs_event_type_name(8), "unknown");
    CHECK_STREQ(hs_event_type_name(~0u), "unknown");
    CHECK_STREQ(hs_mode_name(MODE_OFF), "off");
    CHECK_STREQ(hs_mode_name(MODE_EXIT), "exit");
    CHECK_STREQ(hs_mode_name(MODE_ICOUNT), "icount");
    CHECK_STREQ(hs_mode_name(MODE_PMC), "pmc");
    CHECK_STREQ(hs_mode_name(4), "unknown");
}

TEST(replay_codec_outcome_names_round_trip)
{
    for (unsigned i = 0; i < HS_N_OUTCOMES; i++) {
        const char *w = hs_outcome_name(i);
        CHECK(strcmp(w, "unknown") != 0);
        CHECK_EQ(hs_outcome_code(w), i);
    }
    CHECK_STREQ(hs_outcome_name(0), "running");
    CHECK_STREQ(hs_outcome_name(2), "panic");
    CHECK_STREQ(hs_outcome_name(13), "divergence");
    CHECK_STREQ(hs_outcome_name(HS_N_OUTCOMES - 1), "vmx-unavailable");
    CHECK_STREQ(hs_outcome_name(HS_N_OUTCOMES), "unknown");
    CHECK_EQ(hs_outcome_code("triple-fault"), 4);
    CHECK_EQ(hs_outcome_code("user-stop"), 12);
    CHECK_EQ(hs_outcome_code("Panic"), -1);
    CHECK_EQ(hs_outcome_code("panic "), -1);
    CHECK_EQ(hs_outcome_code(""), -1);
    CHECK_EQ(hs_outcome_code("unknown"), -1);
    CHECK_EQ(hs_outcome_code(NULL), -1);
}

TEST(replay_codec_stats_counts_and_rates)
{
    struct hs_stats s;
    hs_stats_init(&s);
    /* 100 events over half a second of a 1 MHz TSC: 40 tsc, 30 irq, 29 intr, 1 end. */
    for (unsigned i = 0; i < 100; i++) {
        unsigned t = i < 40 ? EV_TSC : i < 70 ? EV_IRQ : i < 99 ? EV_INTR : EV_END;
        struct hs_event e = ev(t, i + 1);
        e.tsc = 7000 + i * 500000ull / 99;
        hs_stats_add(&s, &e);
    }
    CHECK_EQ(s.events[EV_TSC], 40);
    CHECK_EQ(s.bytes[EV_TSC], 40 * 64);
    CHECK_EQ(s.events[EV_IRQ], 30);
    CHECK_EQ(s.events[EV_INTR], 29);
    CHECK_EQ(s.events[EV_END], 1);
    CHECK_EQ(s.events[EV_RAND], 0);
    CHECK_EQ(s.total_events, 100);
    CHECK_EQ(s.total_bytes, 6400);
    CHECK_EQ(s.first_tsc, 7000);
    CHECK_EQ(s.last_tsc, 507000);

    char out[2048];
    int n = hs_stats_format(out, sizeof(out), &s, 1000000);
    CHECK_EQ(n, strlen(out));
    CHECK_CONTAINS(out, "type          events          bytes\n");
    CHECK_CONTAINS(out, "\ntsc               40           2560\n");
    CHECK_CONTAINS(out, "\nrand               0              0\n");
    CHECK_CONTAINS(out, "\nend                1             64\n");
    CHECK_CONTAINS(out, "\ntotal            100           6400\n");
    CHECK_CONTAINS(out, "guest time 0.500000 s (tsc 7000 to 507000 at 1000000 Hz)\n");
    CHECK_CONTAINS(out, "events per guest second 200.000\n");
    /* 6400 bytes = 51200 bits in 0.5 s = 102400 bit/s */
    CHECK_CONTAINS(out, "log bandwidth 0.102 Mbit per guest second\n");
    CHECK(!strstr(out, "unknown"));

    /* An unchecked invalid type is counted on its own row. */
    struct hs_event bad = ev(EV_TSC, 101);
    bad.type = 99;
    hs_stats_add(&s, &bad);
    CHECK_EQ(s.events[EV_NONE], 1);
    hs_stats_format(out, sizeof(out), &s, 1000000);
    CHECK_CONTAINS(out, "\nunknown            1             64\n");
}

TEST(replay_codec_stats_without_rates)
{
    struct hs_stats s;
    char out[1024];
    hs_stats_init(&s);
    hs_stats_format(out, sizeof(out), &s, 1000000);
    CHECK_CONTAINS(out, "total              0              0\n");
    CHECK_CONTAINS(out, "no rates");
    struct hs_event e = ev(EV_RX, 1);
    hs_stats_add(&s, &e);
    hs_stats_format(out, sizeof(out), &s, 1000000);
    CHECK_CONTAINS(out, "no rates"); /* one event spans no time */
    hs_stats_format(out, sizeof(out), &s, 0);
    CHECK_CONTAINS(out, "guest time unknown");
    /* Huge counts and rates saturate instead of wrapping. */
    s.total_events = UINT64_MAX / 2;
    s.total_bytes = UINT64_MAX / 2;
    s.first_tsc = 0;
    s.last_tsc = 1;
    hs_stats_format(out, sizeof(out), &s, HS_TSC_HZ_MAX);
    CHECK_CONTAINS(out, "events per guest second 18446744073709551.615\n");
    CHECK_CONTAINS(out, "log bandwidth 18446744073709.551 Mbit");
    /* Truncation keeps the snprintf contract. */
    char small[10];
    int n = hs_stats_format(small, sizeof(small), &s, 1000000);
    CHECK(n > 10);
    CHECK_STREQ(small, "type     ");
}

TEST(replay_codec_longest_line_fits)
{
    /* Every field at its widest (the decoder formats before it knows an event is valid, and a
     * 1 Hz rate makes the seconds 20 digits): HS_EVENT_LINE_MAX must still hold it. */
    char line[HS_EVENT_LINE_MAX];
    struct hs_event e;
    for (unsigned t = 0; t <= 255; t++) {
        memset(&e, 0xff, sizeof(e));
        e.type = (uint8_t)t;
        int n = hs_event_format_time(line, sizeof(line), &e, 1, 0);
        CHECK(n > 0 && (size_t)n < HS_EVENT_LINE_MAX);
        CHECK_EQ(strlen(line), n);
    }
}
