/* hindsight-log: decodes a recorded replay log (docs/replay-log.md) — an hs_log_header, then
 * 64-byte events — into one line per event, or into counts and rates with --stats. Every event
 * is validated (replay/codec.c, the same checks the VMM's replayer relies on) so a damaged or
 * truncated capture is reported with where it went wrong, not silently printed.
 * Usage: hindsight-log [--stats] [--from N] [--count N] FILE|-   (hosted; host-tools/hindsight-log
 * builds it with make and runs it). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "codec.h"
#include "lib.h"

static const char *prog = "hindsight-log";

static void usage(FILE *to)
{
    fprintf(to,
            "usage: hindsight-log [--stats] [--from N] [--count N] FILE\n"
            "Decodes a hindsight replay log (docs/replay-log.md): a 64-byte header, then 64-byte events.\n"
            "  --stats    counts and bytes by event type, events and Mbit of log per guest second\n"
            "  --from N   start at event number N (events are numbered from 1)\n"
            "  --count N  stop after N events\n"
            "  FILE       the log; - reads standard input\n"
            "Every event is checked; exit status 0 if the log decoded cleanly, 1 for a bad header,\n"
            "an invalid event or a truncated trailing event, 2 for a usage error.\n");
}

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "%s: ", prog);
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(try %s --help)\n", prog);
    return 2;
}

/* A whole read: fread until n bytes or end of file/error; returns the bytes read. */
static size_t read_full(FILE *f, void *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        size_t r = fread((char *)buf + got, 1, n - got, f);
        if (r == 0)
            break;
        got += r;
    }
    return got;
}

struct opts {
    int stats;
    uint64_t from, count;
    const char *file;
};

static int parse_number(const char *opt, const char *s, uint64_t *out)
{
    if (!s)
        return usage_error("%s needs a number", opt);
    if (!parse_u64(s, strlen(s), out) || *out == 0) {
        fprintf(stderr, "%s: %s: '%s' is not a number of at least 1\n(try %s --help)\n", prog, opt, s, prog);
        return 2;
    }
    return 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
    o->stats = 0;
    o->from = 1;
    o->count = UINT64_MAX;
    o->file = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int r;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            exit(0);
        } else if (!strcmp(a, "--stats")) {
            o->stats = 1;
        } else if (!strcmp(a, "--from") || !strcmp(a, "--count")) {
            if ((r = parse_number(a, i + 1 < argc ? argv[i + 1] : NULL, a[2] == 'f' ? &o->from : &o->count)))
                return r;
            i++;
        } else if (!strncmp(a, "--from=", 7)) {
            if ((r = parse_number("--from", a + 7, &o->from)))
                return r;
        } else if (!strncmp(a, "--count=", 8)) {
            if ((r = parse_number("--count", a + 8, &o->count)))
                return r;
        } else if (a[0] == '-' && a[1] && strcmp(a, "-")) {
            return usage_error("unknown option %s", a);
        } else if (o->file) {
            return usage_error("more than one FILE (%s)", a);
        } else {
            o->file = a;
        }
    }
    if (!o->file)
        return usage_error("%s", "no FILE given (- for standard input)");
    return 0;
}

/* Decodes f; prints lines or stats to stdout, problems to stderr; returns the exit status. */
static int decode(FILE *f, const char *name, const struct opts *o)
{
    uint8_t raw[HS_EVENT_SIZE];
    char err[200], line[HS_EVENT_LINE_MAX];
    struct hs_log_header h;
    _Static_assert(sizeof(h) == HS_EVENT_SIZE, "header and event reads share a buffer");

    size_t got = read_full(f, raw, sizeof(h));
    if (got < sizeof(h)) {
        if (ferror(f))
            fprintf(stderr, "%s: %s: %s\n", prog, name, strerror(errno));
        else if (got == 0)
            fprintf(stderr, "%s: %s: empty, no log header\n", prog, name);
        else
            fprintf(stderr, "%s: %s: %zu bytes, shorter than the %zu-byte log header\n", prog, name, got, sizeof(h));
        return 1;
    }
    hs_log_header_decode(&h, raw);
    if (hs_log_header_check(&h, err, sizeof(err))) {
        fprintf(stderr, "%s: %s: bad log header: %s\n", prog, name, err);
        return 1;
    }
    if (!o->stats)
        printf("# hindsight replay log version %u, mode %s, tsc_hz %lu\n", h.version, hs_mode_name(h.mode), h.tsc_hz);

    struct hs_stats st;
    hs_stats_init(&st);
    uint64_t index = 0, shown = 0, tsc_base = 0;
    int status = 0;
    while (shown < o->count) {
        got = read_full(f, raw, sizeof(raw));
        if (got == 0 && ferror(f)) {
            fflush(stdout);
            fprintf(stderr, "%s: %s: read error after %lu events: %s\n", prog, name, index, strerror(errno));
            status = 1;
            break;
        }
        if (got == 0)
            break;
        if (got < sizeof(raw)) {
            fflush(stdout);
            fprintf(stderr, "%s: %s: truncated: %zu trailing bytes after %lu whole events (an event is %u bytes)\n",
                    prog, name, got, index, HS_EVENT_SIZE);
            status = 1;
            break;
        }
        struct hs_event e;
        hs_event_decode(&e, raw);
        if (hs_event_check(&e, index + 1, err, sizeof(err))) {
            fflush(stdout);
            fprintf(stderr, "%s: %s: invalid event at index %lu (byte offset %lu): %s\n", prog, name, index,
                    (uint64_t)sizeof(h) + index * HS_EVENT_SIZE, err);
            status = 1;
            break;
        }
        /* Times count from the log's first event, whatever --from selects, so they compare across runs. */
        if (index == 0)
            tsc_base = e.tsc;
        index++;
        if (e.seq < o->from)
            continue;
        shown++;
        if (o->stats) {
            hs_stats_add(&st, &e);
        } else {
            hs_event_format_time(line, sizeof(line), &e, h.tsc_hz, tsc_base);
            puts(line);
        }
    }
    if (o->stats) {
        char buf[2048];
        hs_stats_format(buf, sizeof(buf), &st, h.tsc_hz);
        fputs(buf, stdout);
    }
    if (fflush(stdout) || ferror(stdout)) {
        fprintf(stderr, "%s: writing the output: %s\n", prog, strerror(errno));
        return 1;
    }
    return status;
}

int main(int argc, char **argv)
{
    struct opts o;
    int r = parse_args(argc, argv, &o);
    if (r)
        return r;
    FILE *f = stdin;
    const char *name = "(stdin)";
    if (strcmp(o.file, "-")) {
        name = o.file;
        f = fopen(o.file, "rb");
        if (!f) {
            fprintf(stderr, "%s: %s: %s\n", prog, o.file, strerror(errno));
            return 1;
        }
    }
    r = decode(f, name, &o);
    if (f != stdin)
        fclose(f);
    return r;
}
