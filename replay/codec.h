/* The replay log's codec: byte encoding, validation, one-line formatting and statistics of
 * struct hs_event and struct hs_log_header (replay/event.h). Shared by the VMM (freestanding:
 * the recorder's self-checks, the Backup's reports, the debug monitor) and by hosted tools
 * (hindsight-log, the unit tests, the fuzzer), so it calls nothing but hs_snprintf/hs_vsnprintf
 * and never uses floating point (the VMM is built -mgeneral-regs-only). Format: docs/replay-log.md. */
#ifndef HS_REPLAY_CODEC_H
#define HS_REPLAY_CODEC_H
#include <stddef.h>
#include <stdint.h>
#include "event.h"

/* Number of outcome words in HS_OUTCOMES (EV_END's arg is below this). */
#define HS_N_OUTCOMES 15u
/* A buffer this large always holds one hs_event_format* line and its terminator. */
#define HS_EVENT_LINE_MAX 320u
/* tsc_hz above this is rejected: the time arithmetic below stays exact in 64 bits up to it. */
#define HS_TSC_HZ_MAX ((uint64_t)1000000000000)
/* A tsc_hz below this (other than 0, "unknown") is certainly not a TSC rate. */
#define HS_TSC_HZ_MIN ((uint64_t)1000)

/* Serialises e into the log's 64 little-endian bytes (independent of the host's struct layout). */
void hs_event_encode(uint8_t out[HS_EVENT_SIZE], const struct hs_event *e);
/* Reads one event from the log's 64 bytes; no validation (see hs_event_check). */
void hs_event_decode(struct hs_event *e, const uint8_t in[HS_EVENT_SIZE]);
/* Serialises a log header into its 64 little-endian bytes. */
void hs_log_header_encode(uint8_t out[sizeof(struct hs_log_header)], const struct hs_log_header *h);
/* Reads a log header from its 64 bytes; no validation (see hs_log_header_check). */
void hs_log_header_decode(struct hs_log_header *h, const uint8_t in[sizeof(struct hs_log_header)]);

/* Validates one event (type, flags, seq == expect_seq unless expect_seq is 0, per-type ranges,
 * unused fields zero); 0 if valid, else -1 with a one-line reason in err. */
int hs_event_check(const struct hs_event *e, uint64_t expect_seq, char *err, size_t errlen);
/* Validates a log header (magic, version, event size, tsc_hz, mode, format, reserved fields); 0 or -1
 * with err. Both HS_LOG_FORMAT_FIXED and HS_LOG_FORMAT_COMPACT are accepted. */
int hs_log_header_check(const struct hs_log_header *h, char *err, size_t errlen);

/* ---- the compact log format (docs/replay-log.md "Compact events") ----------------------------
 * The ring carries fixed 64-byte events; the log handed out of the machine carries each event as
 * a header byte and only what the previous events do not imply: deltas as LEB128 varints, the
 * digest raw unless it repeats the one last seen at the same RIP, the RIP as a slot of a table of
 * recent RIPs when it is one of them. Lossless for any struct hs_event, valid or not (an event a
 * valid stream never holds takes the longer "raw" form). Encoder and decoder each keep a struct
 * hs_compact, started with hs_compact_init and fed the same events in the same order. */

/* Recent RIPs a compact event can name by slot (header bits 4-6; 7 = a delta follows). */
#define HS_COMPACT_RIPS 7u
/* The most bytes hs_compact_encode writes for one event: header, extension, raw type and flags
 * (1+1+2), seq (10), console hash (4), exit_seq delta (10), RIP delta (10), digest (8), arg (3),
 * value (10), tsc delta (10), aux (10). */
#define HS_COMPACT_MAX 79u

/* The state one compact event is coded against: what the previous events left. */
struct hs_compact {
    uint64_t seq;                      /* the previous event's number (0 at the start) */
    uint64_t exit_seq;                 /* the previous event's exit_seq */
    uint64_t tsc;                      /* the previous event's tsc field */
    uint64_t tsc_value;                /* the value of the previous EV_TSC event */
    uint64_t rips[HS_COMPACT_RIPS];    /* recent distinct RIPs, most recent first (rips[0]: the previous event's) */
    uint64_t digests[HS_COMPACT_RIPS]; /* the digest of the last event at each of those RIPs */
    uint32_t con_hash;                 /* the previous event's console hash (HS_FNV32_INIT at the start) */
};

/* The state at the start of a log (encoder and decoder alike). */
void hs_compact_init(struct hs_compact *st);
/* Appends e's compact encoding to out (room for HS_COMPACT_MAX bytes), advances st; returns the
 * number of bytes written (at least 4). */
size_t hs_compact_encode(struct hs_compact *st, const struct hs_event *e, uint8_t *out);
/* Decodes the event at in[0..n): 0 with *e and *used (its byte count) and st advanced; 1 if the n
 * bytes are a proper prefix of an event (more input needed; st, *e and *used untouched); -1 with
 * a one-line reason in err if the bytes are no compact event (st untouched). Reads nothing past
 * in[n - 1]; any bytes are safe. A decoded event is not checked (see hs_event_check). */
int hs_compact_decode(struct hs_compact *st, const uint8_t *in, size_t n, struct hs_event *e, size_t *used,
                      char *err, size_t errlen);

/* The event type's short name ("tsc", "rand", ...); "unknown" for a type outside the enum. */
const char *hs_event_type_name(unsigned type);
/* The outcome word for an EV_END code ("panic", ...); "unknown" for a code out of range. */
const char *hs_outcome_name(unsigned code);
/* The code of an outcome word, or -1 if it is not one of HS_OUTCOMES. */
int hs_outcome_code(const char *word);
/* The replay mode's word ("off", "exit", "icount", "pmc"); "unknown" out of range. */
const char *hs_mode_name(unsigned mode);

/* One line, no newline: number, type, position, value, console hash; like snprintf, returns
 * the untruncated length. */
int hs_event_format(char *buf, size_t cap, const struct hs_event *e);
/* The same line followed by " t=+S.UUUUUUs": guest seconds from tsc_base to the event's tsc
 * (omitted when tsc_hz is 0 or above HS_TSC_HZ_MAX). */
int hs_event_format_time(char *buf, size_t cap, const struct hs_event *e, uint64_t tsc_hz, uint64_t tsc_base);

/* Counts of a run of events, by type (index = type; index 0 gathers unknown types). */
struct hs_stats {
    uint64_t events[EV_TYPE_MAX + 1];
    uint64_t bytes[EV_TYPE_MAX + 1];     /* as fixed 64-byte events */
    uint64_t total_events, total_bytes;
    uint64_t first_tsc, last_tsc; /* of the first and last event added (valid when total_events) */
    int compact;                         /* events were added with hs_stats_add_compact */
    uint64_t log_bytes[EV_TYPE_MAX + 1]; /* compact bytes as read (when compact) */
    uint64_t total_log_bytes;
};
/* Empties s. */
void hs_stats_init(struct hs_stats *s);
/* Counts one event (HS_EVENT_SIZE bytes) and tracks the first/last tsc. */
void hs_stats_add(struct hs_stats *s, const struct hs_event *e);
/* The same for an event read from a compact log in log_bytes bytes: the table then shows both the
 * compact bytes and the fixed-size equivalent, and the bandwidth is the compact log's. */
void hs_stats_add_compact(struct hs_stats *s, const struct hs_event *e, uint64_t log_bytes);
/* A multi-line table (one row per type, a total, the guest time spanned, events per guest second
 * and Mbit of log per guest second when tsc_hz is usable); returns the untruncated length. */
int hs_stats_format(char *buf, size_t cap, const struct hs_stats *s, uint64_t tsc_hz);

#endif
