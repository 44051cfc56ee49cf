/* hindsight-log: decodes a recorded replay log (docs/replay-log.md) — an hs_log_header, then
 * events, 64 bytes each or compact (the header's format field) — into one line per event, or into
 * counts and rates with --stats. Every event is validated (replay/codec.c, the same checks the
 * VMM's replayer relies on) so a damaged or truncated capture is reported with where it went
 * wrong, not silently printed. Input is read as it arrives (read(2) in chunks), so a pipe from a
 * live capture decodes as it grows.
 * Usage: hindsight-log [--stats] [--from N] [--count N] FILE|-   (hosted; host-tools/hindsight-log
 * builds it with make and runs it). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "codec.h"
#include "lib.h"

static const char *prog = "hindsight-log";

static void usage(FILE *to)
{
    fprintf(to,
            "usage: hindsight-log [--stats] [--from N] [--count N] FILE\n"
            "Decodes a hindsight replay log (docs/replay-log.md): a 64-byte header, then events,\n"
            "64 bytes each or compact (the header says which).\n"
            "  --stats    counts and bytes by event type (a compact log's and the 64-byte equivalent),\n"
            "             events and Mbit of log per guest second\n"
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

/* The input, read with read(2) into a buffer as it comes: a pipe delivers what it has, and the
 * decoder works on whatever whole events are there. */
struct input {
    int fd;
    int eof, error; /* error: the errno of a failed read */
    size_t start, end;
    uint8_t buf[1 << 16];
};

static size_t avail(const struct input *in) { return in->end - in->start; }

/* One read(2) into the free end of the buffer (the unread bytes first moved to its start);
 * returns the bytes read, 0 at end of input or on an error (in->eof / in->error say which). */
static size_t fill(struct input *in)
{
    if (in->eof || in->error)
        return 0;
    if (in->start) {
        memmove(in->buf, in->buf + in->start, avail(in));
        in->end -= in->start;
        in->start = 0;
    }
    for (;;) {
        ssize_t r = read(in->fd, in->buf + in->end, sizeof(in->buf) - in->end);
        if (r > 0) {
            in->end += (size_t)r;
            return (size_t)r;
        }
        if (r == 0) {
            in->eof = 1;
            return 0;
        }
        if (errno != EINTR) {
            in->error = errno;
            return 0;
        }
    }
}

/* Reads until n bytes are buffered or the input ends; returns the bytes buffered. */
static size_t want(struct input *in, size_t n)
{
    while (avail(in) < n && fill(in))
        ;
    return avail(in);
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

/* Decodes in; prints lines or stats to stdout, problems to stderr; returns the exit status. */
static int decode(struct input *in, const char *name, const struct opts *o)
{
    char err[200], line[HS_EVENT_LINE_MAX];
    struct hs_log_header h;

    size_t got = want(in, sizeof(h));
    if (got < sizeof(h)) {
        if (in->error)
            fprintf(stderr, "%s: %s: %s\n", prog, name, strerror(in->error));
        else if (got == 0)
            fprintf(stderr, "%s: %s: empty, no log header\n", prog, name);
        else
            fprintf(stderr, "%s: %s: %zu bytes, shorter than the %zu-byte log header\n", prog, name, got, sizeof(h));
        return 1;
    }
    hs_log_header_decode(&h, in->buf + in->start);
    in->start += sizeof(h);
    if (hs_log_header_check(&h, err, sizeof(err))) {
        fprintf(stderr, "%s: %s: bad log header: %s\n", prog, name, err);
        return 1;
    }
    int compact = h.format == HS_LOG_FORMAT_COMPACT;
    if (!o->stats)
        printf("# hindsight replay log version %u, mode %s, tsc_hz %lu%s\n", h.version, hs_mode_name(h.mode), h.tsc_hz,
               compact ? ", compact events" : "");

    struct hs_stats st;
    struct hs_compact cs;
    hs_stats_init(&st);
    hs_compact_init(&cs);
    uint64_t index = 0, shown = 0, tsc_base = 0, offset = sizeof(h);
    int status = 0;
    while (shown < o->count) {
        struct hs_event e;
        size_t used = 0;
        int r;
        if (compact) {
            r = hs_compact_decode(&cs, in->buf + in->start, avail(in), &e, &used, err, sizeof(err));
            if (r == 1 && fill(in))
                continue; /* a partial event: read on */
        } else {
            r = want(in, HS_EVENT_SIZE) < HS_EVENT_SIZE ? 1 : 0;
            if (!r) {
                hs_event_decode(&e, in->buf + in->start);
                used = HS_EVENT_SIZE;
            }
        }
        if (r == 1 && in->error) {
            fflush(stdout);
            fprintf(stderr, "%s: %s: read error after %lu events: %s\n", prog, name, index, strerror(in->error));
            status = 1;
            break;
        }
        if (r == 1 && avail(in) == 0)
            break; /* the end, between events */
        if (r == 1) {
            fflush(stdout);
            if (compact)
                fprintf(stderr, "%s: %s: truncated: %zu trailing bytes after %lu whole events (an incomplete compact "
                        "event)\n", prog, name, avail(in), index);
            else
                fprintf(stderr, "%s: %s: truncated: %zu trailing bytes after %lu whole events (an event is %u bytes)\n",
                        prog, name, avail(in), index, HS_EVENT_SIZE);
            status = 1;
            break;
        }
        if (r == 0 && hs_event_check(&e, index + 1, err, sizeof(err)))
            r = -1;
        if (r < 0) {
            fflush(stdout);
            fprintf(stderr, "%s: %s: invalid event at index %lu (byte offset %lu): %s\n", prog, name, index, offset,
                    err);
            status = 1;
            break;
        }
        in->start += used;
        offset += used;
        /* Times count from the log's first event, whatever --from selects, so they compare across runs. */
        if (index == 0)
            tsc_base = e.tsc;
        index++;
        if (e.seq < o->from)
            continue;
        shown++;
        if (o->stats && compact) {
            hs_stats_add_compact(&st, &e, used);
        } else if (o->stats) {
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
    static struct input in;
    in.fd = STDIN_FILENO;
    const char *name = "(stdin)";
    if (strcmp(o.file, "-")) {
        name = o.file;
        in.fd = open(o.file, O_RDONLY);
        if (in.fd < 0) {
            fprintf(stderr, "%s: %s: %s\n", prog, o.file, strerror(errno));
            return 1;
        }
    }
    r = decode(&in, name, &o);
    if (in.fd != STDIN_FILENO)
        close(in.fd);
    return r;
}
