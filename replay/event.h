/* The recorded log's event: one fixed-size record per non-deterministic input, written by the
 * Primary's recorder into the ring and read by the Backup's replayer (and by hosted tools).
 * Freestanding and hosted alike: only <stdint.h>. Layout documented in docs/replay-log.md;
 * change it only together with HS_LOG_VERSION. */
#ifndef HS_REPLAY_EVENT_H
#define HS_REPLAY_EVENT_H
#include <stdint.h>

#define HS_LOG_VERSION 1u
#define HS_EVENT_SIZE 64u

/* Event types. The value column says what `value` holds. */
enum hs_event_type {
    EV_NONE = 0,
    EV_TSC = 1,    /* RDTSC / RDTSCP / RDMSR(IA32_TSC): value = TSC delivered */
    EV_RAND = 2,   /* RDRAND / RDSEED: value = number delivered; arg bit 0 = CF, bit 1 = RDSEED */
    EV_PIO_IN = 3, /* port read of a time-dependent device: arg = port, value = data read */
    EV_IRQ = 4,    /* a device raised an interrupt line (edge): arg = IRQ line (0-15) */
    EV_RX = 5,     /* a byte arrived at COM1's receiver: value = the byte */
    EV_INTR = 6,   /* an interrupt was injected: arg = vector (a check: the Backup's PIC must agree) */
    EV_END = 7,    /* the Primary stopped here: value = console bytes, aux = state hash, arg = outcome code */
    EV_TYPE_MAX = 7,
};

/* flags */
#define EVF_WINDOW 0x01u  /* taken at the interrupt-window exit after exit_seq, not at exit_seq itself */
#define EVF_ASYNC 0x02u   /* counter-positioned (icount/pmc modes): aux holds the count */

/* Positions are {exit_seq, rip, digest} (DESIGN.md "Positions"); digest covers the general
 * registers, RIP and RFLAGS (RF masked) at the exit, before the VMM acts on it, except for
 * EV_END whose digest is of the state the guest would resume with. */
struct hs_event {
    uint8_t type;      /* enum hs_event_type */
    uint8_t flags;     /* EVF_* */
    uint16_t arg;      /* port, vector, IRQ line, outcome code: see the type */
    uint32_t con_hash; /* FNV-1a of every serial byte the Primary has written so far */
    uint64_t seq;      /* event number, from 1 */
    uint64_t exit_seq; /* instruction-synchronous exits before and including this one */
    uint64_t rip;      /* guest RIP at the position */
    uint64_t digest;   /* hs_digest() of the registers at the position */
    uint64_t value;    /* what was delivered (see the type) */
    uint64_t tsc;      /* the Primary's TSC when it recorded the event (guest time, for the lag) */
    uint64_t aux;      /* per type: EV_END state hash; EVF_ASYNC: the counter value */
};
_Static_assert(sizeof(struct hs_event) == HS_EVENT_SIZE, "hs_event is one cache line");

/* Header of a log stream/file (the VMM's COM2 log output, hindsight-log's input). */
#define HS_LOG_MAGIC 0x474f4c5448474953ull /* "SIGHTLOG" little-endian */
struct hs_log_header {
    uint64_t magic;
    uint32_t version;     /* HS_LOG_VERSION */
    uint32_t event_size;  /* HS_EVENT_SIZE */
    uint64_t tsc_hz;      /* the Primary's TSC rate, to turn tsc fields into guest time */
    uint32_t mode;        /* enum hs_replay_mode */
    uint32_t format;      /* HS_LOG_FORMAT_*: how the events after the header are written */
    uint64_t reserved2[4];
};
_Static_assert(sizeof(struct hs_log_header) == 64, "log header is 64 bytes");
#define HS_LOG_FORMAT_FIXED 0u   /* 64-byte events (hs_event_encode) follow the header */
#define HS_LOG_FORMAT_COMPACT 1u /* compact delta-coded events (hs_compact_encode) follow */

enum hs_replay_mode { MODE_OFF = 0, MODE_EXIT = 1, MODE_ICOUNT = 2, MODE_PMC = 3 };

/* Outcome codes carried by EV_END's arg (the summary's words, in this order). */
#define HS_OUTCOMES "running", "poweroff", "panic", "reboot", "triple-fault", "ept-violation", \
    "invalid-guest-state", "vm-entry-failed", "unhandled-exit", "unexpected-exception", \
    "unsupported-string-io", "unexpected-cr-access", "user-stop", "divergence", "vmx-unavailable"

#endif
