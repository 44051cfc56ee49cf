/* rfork(1): the command-line face of librfork. */
#include "rfork.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "Usage: rfork [OPTION]... PID\n"
    "Duplicate the running process PID when it next enters a system call. Both then perform\n"
    "that call as if nothing happened; the duplicate's parent is PID's parent. Prints the\n"
    "duplicate's PID.\n"
    "\n"
    "  -s, --stopped         start the duplicate stopped; resume it with kill -CONT\n"
    "  -i, --stdin FILE      the duplicate reads its standard input from FILE\n"
    "  -o, --stdout FILE     the duplicate writes its standard output to FILE (truncated)\n"
    "  -e, --stderr FILE     the same for standard error (the same FILE as -o shares it)\n"
    "  -t, --timeout SECS    give up if PID makes no system call within SECS (default 10,\n"
    "                        0 waits forever); PID is then left untouched\n"
    "      --threads         accept a multi-threaded PID: only thread PID is copied, as fork()\n"
    "                        copies only its caller (PID may name any thread)\n"
    "      --seccomp         accept a PID under a seccomp filter (which may reject the clone)\n"
    "  -v, --verbose         also print the system call at which the duplication happened\n"
    "  -h, --help            show this help\n"
    "\n"
    "Exit status: 0 done, 1 the duplication failed (PID is unaffected), 2 usage error.\n";

static int bad_usage(const char *fmt, const char *arg) __attribute__((format(printf, 1, 0)));

static int bad_usage(const char *fmt, const char *arg)
{
    fprintf(stderr, "rfork: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'rfork --help'.\n");
    return 2;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "stopped", no_argument, 0, 's' },       { "stdin", required_argument, 0, 'i' },
        { "stdout", required_argument, 0, 'o' },  { "stderr", required_argument, 0, 'e' },
        { "timeout", required_argument, 0, 't' }, { "threads", no_argument, 0, 'T' },
        { "seccomp", no_argument, 0, 'S' },       { "verbose", no_argument, 0, 'v' },
        { "help", no_argument, 0, 'h' },          { 0, 0, 0, 0 },
    };
    struct rfork_opts o;
    rfork_opts_init(&o);
    int verbose = 0, c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+si:o:e:t:vh", longopts, NULL)) != -1) {
        switch (c) {
        case 's': o.flags |= RFORK_START_STOPPED; break;
        case 'i': o.stdin_path = optarg; break;
        case 'o': o.stdout_path = optarg; break;
        case 'e': o.stderr_path = optarg; break;
        case 'T': o.flags |= RFORK_ALLOW_THREADS; break;
        case 'S': o.flags |= RFORK_ALLOW_SECCOMP; break;
        case 'v': verbose = 1; break;
        case 'h': fputs(usage, stdout); return 0;
        case 't': {
            char *end;
            errno = 0;
            double s = strtod(optarg, &end);
            if (errno || end == optarg || *end || !isfinite(s) || s < 0 || s > 1e6)
                return bad_usage("invalid timeout '%s' (seconds, >= 0)", optarg);
            o.timeout_ms = s == 0 ? -1 : (long)(s * 1000 + 0.5);
            if (s > 0 && o.timeout_ms == 0)
                o.timeout_ms = 1;
            break;
        }
        case '?':
            if (optopt) {
                char opt[2] = { (char)optopt, 0 };
                return bad_usage("option '-%s' is unknown or lacks its argument", opt);
            }
            return bad_usage("unknown option '%s'", argv[optind - 1]);
        default:
            return bad_usage("unexpected option parsing error%s", "");
        }
    }
    if (optind == argc)
        return bad_usage("missing PID%s", "");
    if (argc - optind > 1)
        return bad_usage("too many arguments, starting at '%s'", argv[optind + 1]);
    const char *arg = argv[optind];
    char *end;
    errno = 0;
    long pid = strtol(arg, &end, 10);
    if (errno || end == arg || *end || pid <= 0 || pid > INT_MAX)
        return bad_usage("invalid PID '%s' (a positive integer)", arg);

    /* Held pending rather than fatal: a Ctrl-C during the wait must not leave PID traced.
     * librfork sees them pending and gives up cleanly. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGHUP);
    sigprocmask(SIG_BLOCK, &stop, NULL);

    struct rfork_result r;
    pid_t dup = rfork_pid((pid_t)pid, &o, &r);
    if (dup < 0) {
        fprintf(stderr, "rfork: %s\n", r.error);
        return 1;
    }
    if (verbose)
        printf("%d syscall %ld\n", (int)dup, r.syscall_nr);
    else
        printf("%d\n", (int)dup);
    return fflush(stdout) == 0 ? 0 : 1;
}
