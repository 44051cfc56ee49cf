/* ckpt: command-line front end. */
#include "bindiff.h"
#include "dump.h"
#include "elfbin.h"
#include "image.h"
#include "inject.h"
#include "libs.h"
#include "restore.h"
#include "retrap.h"
#include "tcp.h"
#include "util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

static int usage(void)
{
    fputs("usage:\n"
          "  ckpt watch PID --at-return F[,G...] --dir DIR [--max N [--kill-after]] [--no-spare]\n"
          "                                                           checkpoint whenever F returns\n"
          "  ckpt ctl DIR add|remove F[,G...] | quit                    change a running watch\n"
          "  ckpt dump PID --dir DIR [--no-spare]                       checkpoint now\n"
          "  ckpt restore DIR --binary NEW [--old-binary OLD] [--changed F,G] [--no-replace] [--check] [--copy]\n"
          "  ckpt info DIR                                              verify and describe an image\n"
          "  ckpt diff OLD NEW                                          list changed functions\n"
          "  ckpt tcp-repair-available                                  exit 0 if TCP_REPAIR works here\n"
          "options: -v verbose\n"
          "  dump and watch keep the image they replace as DIR/image.ckpt.prev (the previous\n"
          "  checkpoint) and write the next one over it; watch prepares a blank one for its first\n"
          "  checkpoint in the background; --no-spare keeps only DIR/image.ckpt\n",
          stderr);
    return 2;
}

static int fail(void)
{
    fprintf(stderr, "ckpt: %s\n", ck_strerror());
    return 1;
}

static pid_t worker;
static void forward(int sig)
{
    if (worker > 0)
        kill(worker, sig);
}

/* Runs the command in a child of its own process group, so that whatever happens to this
 * process (SIGKILL by `timeout`, a closed terminal) the tracer of the target is not cut off in
 * the middle of an operation: when this process dies, the child is sent SIGTERM, which a watch
 * takes as "quit" (breakpoints removed, target detached) and a dump or a restore finishes
 * first. SIGINT/SIGTERM/SIGHUP sent to this process are passed on the same way. */
static int guarded(int (*fn)(int, char **), int argc, char **argv)
{
    pid_t parent = getpid();
    sigset_t ss, old;
    sigemptyset(&ss);
    sigaddset(&ss, SIGINT);
    sigaddset(&ss, SIGTERM);
    sigaddset(&ss, SIGHUP);
    sigprocmask(SIG_BLOCK, &ss, &old);
    fflush(NULL);
    worker = fork();
    if (worker < 0)
        return ck_errno("fork"), 1;
    if (worker == 0) {
        /* Signals stay blocked: watch reads them from a signalfd, dump and restore finish. */
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent)
            raise(SIGTERM);
        signal(SIGPIPE, SIG_IGN); /* output to a reader that died must not kill the tracer */
        int rc = fn(argc, argv);
        fflush(NULL);
        _exit(rc);
    }
    struct sigaction sa = {.sa_handler = forward};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigprocmask(SIG_SETMASK, &old, NULL);
    int st;
    while (waitpid(worker, &st, 0) < 0)
        if (errno != EINTR)
            return 1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static const char *opt(int argc, char **argv, const char *name)
{
    for (int i = 0; i < argc - 1; i++)
        if (!strcmp(argv[i], name))
            return argv[i + 1];
    return NULL;
}

static int flag(int argc, char **argv, const char *name)
{
    for (int i = 0; i < argc; i++)
        if (!strcmp(argv[i], name))
            return 1;
    return 0;
}

static pid_t parse_pid(const char *s)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == 0 || *end || v <= 0) {
        ck_err("'%s' is not a process id", s);
        return -1;
    }
    return (pid_t)v;
}

static int cmd_info(const char *dir)
{
    char path[4200];
    ck_image_path(path, sizeof path, dir);
    struct ck_image img;
    if (ck_image_open(&img, path) < 0)
        return fail();
    ck_image_describe(&img, path, stdout);
    ck_image_close(&img);
    return 0;
}

static int cmd_diff(const char *a, const char *b)
{
    struct elfbin o, n;
    struct bindiff d;
    if (elf_load(&o, a) < 0 || elf_load(&n, b) < 0 || bd_init(&d, &o, &n, NULL) < 0)
        return fail();
    printf("# %s comparison; data layout %s%s%s\n", d.precise ? "relocation-aware" : "byte-exact",
           d.rw_same ? "identical" : "differs: ", d.rw_same ? "" : d.rw_why, "");
    bd_print_changed(&d, stdout);
    bd_free(&d);
    elf_free(&o);
    elf_free(&n);
    return 0;
}

static int cmd_watch_dump(int argc, char **argv);
static int cmd_restore(int argc, char **argv);

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 2)
        return usage();
    ck_verbose = flag(argc, argv, "-v");
    const char *cmd = argv[1];
    if (!strcmp(cmd, "watch") || !strcmp(cmd, "dump"))
        return guarded(cmd_watch_dump, argc, argv);
    if (!strcmp(cmd, "restore"))
        return guarded(cmd_restore, argc, argv);
    if (!strcmp(cmd, "ctl")) {
        if (argc < 4)
            return usage();
        char buf[4096];
        snprintf(buf, sizeof buf, "%s%s%s", argv[3], argc > 4 ? " " : "", argc > 4 ? argv[4] : "");
        return watch_ctl(argv[2], buf) < 0 ? fail() : 0;
    }
    if (!strcmp(cmd, "tcp-repair-available")) {
        int ok = tcp_repair_available();
        printf("TCP_REPAIR %savailable here\n", ok ? "" : "not ");
        return ok ? 0 : 1;
    }
    if (!strcmp(cmd, "info") && argc >= 3)
        return cmd_info(argv[2]);
    if (!strcmp(cmd, "diff") && argc >= 4)
        return cmd_diff(argv[2], argv[3]);
    return usage();
}

static int cmd_watch_dump(int argc, char **argv)
{
    const char *cmd = argv[1];
    if (argc < 3)
        return usage();
    pid_t pid = parse_pid(argv[2]);
    const char *dir = opt(argc, argv, "--dir");
    if (pid < 0)
        return fail();
    if (!dir)
        return usage();
    if (!strcmp(cmd, "dump")) {
        struct dump_stats st;
        ck_phase("start");
        if (ck_precheck(pid) < 0 || pt_attach_stop(pid) < 0)
            return fail();
        ck_phase("attach");
        int rc = ck_dump_stopped(pid, dir, NULL, flag(argc, argv, "--no-spare") ? CK_DUMP_NO_SPARE : 0, &st);
        ptrace(PTRACE_DETACH, pid, 0, 0);
        ck_phase("detach");
        if (rc < 0)
            return fail();
        printf("checkpointed %d: %.1f MB (%.1f MB never touched, left as holes; %.1f MB written with O_DIRECT) in %.1f ms%s\n",
               (int)pid, st.mem_bytes / 1e6, st.hole_bytes / 1e6, st.direct_bytes / 1e6, st.secs * 1e3,
               st.reused ? ", over the previous spare image" : "");
        return 0;
    }
    struct watch_opts wo = {.pid = pid, .dir = dir, .funcs = opt(argc, argv, "--at-return")};
    const char *mx = opt(argc, argv, "--max");
    wo.max = mx ? atoi(mx) : 0;
    wo.kill_after = flag(argc, argv, "--kill-after");
    wo.no_spare = flag(argc, argv, "--no-spare");
    if (!wo.funcs)
        return usage();
    return watch_run(&wo) < 0 ? fail() : 0;
}

static int cmd_restore(int argc, char **argv)
{
    if (argc < 3)
        return usage();
    struct restore_opts ro = {.dir = argv[2], .binary = opt(argc, argv, "--binary"),
                              .old_binary = opt(argc, argv, "--old-binary"),
                              .changed = opt(argc, argv, "--changed"),
                              .no_replace = flag(argc, argv, "--no-replace"),
                              .check_only = flag(argc, argv, "--check"),
                              .copy = flag(argc, argv, "--copy")};
    if (!ro.binary)
        return usage();
    struct restore_stats st;
    pid_t np = 0;
    ck_phase("start");
    if (ck_restore(&ro, &np, &st) < 0)
        return fail();
    if (ro.check_only) {
        printf("restore of %s into %s is possible\n", ro.dir, ro.binary);
        return 0;
    }
    printf("restored pid %d from %s into %s: %.1f MB (%.1f MB mapped from the image) in %.1f ms; translated %llu return addresses, "
           "%llu code, %llu data and %llu mangled pointers%s\n",
           (int)np, ro.dir, ro.binary, st.mem_bytes / 1e6, st.mapped_bytes / 1e6, st.secs * 1e3, (unsigned long long)st.frames_moved,
           (unsigned long long)st.xl_code, (unsigned long long)st.xl_data, (unsigned long long)st.xl_mangled,
           st.replaced ? "; replaced the running checkpointed process" : "");
    return 0;
}
