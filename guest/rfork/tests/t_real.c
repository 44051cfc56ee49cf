/* rfork on real programs (issue 16): Debian's python3 and perl as targets, a
 * target in the middle of a shell pipeline, a target that is forking at the
 * moment of duplication, and rfork itself killed (TERM, then KILL) in the
 * middle of duplications.  After each: no process is left stopped or traced. */
#include "test.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PYTHON "/usr/bin/python3"
#define PERL "/usr/bin/perl"
#define BASH "/usr/bin/bash"

/* The interpreters' line hasher: h = (h * 31 + n) mod 1000003 per input line n. */
static const char py_hasher[] =
    "import sys\n"
    "h = 0\n"
    "print('ready', flush=True)\n"
    "for line in sys.stdin:\n"
    "    h = (h * 31 + int(line)) % 1000003\n"
    "    print('step', line.strip(), h, flush=True)\n"
    "print('eof', flush=True)\n";
static const char pl_hasher[] =
    "$| = 1; my $h = 0; print \"ready\\n\";\n"
    "while (my $l = <STDIN>) { chomp $l; $h = ($h * 31 + $l) % 1000003; print \"step $l $h\\n\"; }\n"
    "print \"eof\\n\";\n";

static void hasher_lines(char *out, size_t n, long h, int from, int to)
{
    size_t used = 0;
    out[0] = 0;
    for (int i = 1; i <= to; i++) {
        h = (h * 31 + i) % 1000003;
        if (i >= from && used < n)
            used += (size_t)snprintf(out + used, n - used, "step %d %ld\n", i, h);
    }
}

/* Runs ./rfork with args (NULL-terminated); stdout/stderr into out/err. Exit status or -1. */
static int rfork_cli(char *out, char *err, size_t n, const char *const args[])
{
    const char *argv[16] = { "./rfork" };
    int i = 0;
    for (; args[i] && i < 14; i++)
        argv[i + 1] = args[i];
    argv[i + 1] = NULL;
    int o = open_out("real-cli.out"), e = open_out("real-cli.err");
    pid_t p = spawn(argv, -1, o, e);
    close(o);
    close(e);
    int st;
    if (reap(p, &st, 40000) < 0) {
        kill_reap(p);
        return -1;
    }
    char *s = slurp(path_of("real-cli.out"));
    snprintf(out, n, "%s", s);
    free(s);
    s = slurp(path_of("real-cli.err"));
    snprintf(err, n, "%s", s);
    free(s);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Neither stopped nor traced (the kernel may take a moment to finish a detach). */
static int untouched(pid_t pid)
{
    return wait_tracer(pid, 0, 3000) == 0 && wait_state(pid, "RSDZX", 3000) == 0;
}

/* Every live child of ours other than skip: copies made with CLONE_PARENT land here.
 * Fails (returns the pid) if one is stopped or traced; kills and reaps them all. */
static pid_t sweep_children(pid_t skip)
{
    pid_t bad = 0, me = getpid();
    DIR *d = opendir("/proc");
    struct dirent *e;
    while (d && (e = readdir(d))) {
        pid_t p = (pid_t)atoi(e->d_name);
        if (p <= 0 || p == skip || proc_num(p, "PPid") != me)
            continue;
        char s = proc_state(p);
        if (!bad && (s == 'T' || s == 't' || proc_num(p, "TracerPid") > 0))
            bad = p;
        kill_reap(p);
    }
    if (d)
        closedir(d);
    return bad;
}

static int need(const char *prog, char *why)
{
    if (access(prog, X_OK) == 0)
        return 0;
    set_why(why, "%s is not installed (host-tools/install-deps.sh agents installs it)", prog);
    return -1;
}

/* An interpreter reading numbers from a pipe is duplicated while blocked in its
 * buffered read; the copy reads 3 and 4 from a file and continues the hash of the
 * original's history, which itself continues untouched. */
static int run_interp(char *why, const char *interp, const char *flag, const char *prog)
{
    if (need(interp, why))
        return T_SKIP;
    int in[2];
    CHECK(pipe(in) == 0, "pipe");
    const char *argv[] = { interp, flag, prog, NULL };
    pid_t t = spawn_ready(argv, in[0], "interp.out", -1);
    close(in[0]);
    CHECK(t > 0, "%s did not start: %s", interp, slurp(path_of("interp.out")));
    CHECK(write(in[1], "1\n2\n", 4) == 4, "write");
    CHECK(wait_lines(path_of("interp.out"), 3, 20000) == 0, "no steps: %s", slurp(path_of("interp.out")));
    CHECK(wait_state(t, "S", 5000) == 0, "target not blocked in read");
    const char *cin = make_file("interp.cin", "3\n4\n");
    char pid[16], out[4096], err[4096];
    snprintf(pid, sizeof pid, "%d", (int)t);
    int rc = rfork_cli(out, err, sizeof out,
                       (const char *const[]){ "-i", cin, "-o", path_of("interp.cout"), pid, NULL });
    CHECK(rc == 0, "rfork exited %d: %s", rc, err);
    pid_t copy = (pid_t)atoi(out);
    CHECK(copy > 0, "no copy pid in '%s'", out);
    CHECK(untouched(t), "target left stopped or traced (state %c, tracer %ld)", proc_state(t),
          proc_num(t, "TracerPid"));
    int st;
    CHECK(reap(copy, &st, 20000) == 0, "copy did not finish its input (state %c)", proc_state(copy));
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "copy ended with status %#x", st);
    char want[512], got_want[600];
    hasher_lines(want, sizeof want, 0, 3, 4);
    snprintf(got_want, sizeof got_want, "%seof\n", want);
    char *c = slurp(path_of("interp.cout"));
    CHECK(!strcmp(c, got_want), "copy wrote '%s', want '%s'", c, got_want);
    CHECK(write(in[1], "3\n", 2) == 2, "write");
    close(in[1]);
    CHECK(reap(t, &st, 20000) == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "target did not end cleanly");
    hasher_lines(want, sizeof want, 0, 1, 3);
    snprintf(got_want, sizeof got_want, "ready\n%seof\n", want);
    c = slurp(path_of("interp.out"));
    CHECK(!strcmp(c, got_want), "target wrote '%s', want '%s'", c, got_want);
    pid_t b = sweep_children(0);
    CHECK(!b, "process %d left stopped or traced", (int)b);
    return T_PASS;
}

static int t_python(char *why) { return run_interp(why, PYTHON, "-c", py_hasher); }
static int t_perl(char *why) { return run_interp(why, PERL, "-e", pl_hasher); }

/* Debian's static busybox shell reading commands from a pipe: the copy runs the
 * commands of a file of its own, the original those that come down the pipe. */
static int t_busybox_sh(char *why)
{
    if (need("/bin/busybox", why))
        return T_SKIP;
    int in[2];
    CHECK(pipe(in) == 0, "pipe");
    const char *argv[] = { "/bin/busybox", "sh", NULL };
    int o = open_out("bb.out");
    pid_t t = spawn(argv, in[0], o, -1);
    close(o);
    close(in[0]);
    CHECK(t > 0, "spawn");
    CHECK(write(in[1], "x=7; echo ready $x\n", 19) == 19, "write");
    CHECK(wait_lines(path_of("bb.out"), 1, 20000) == 0, "busybox sh did not start");
    CHECK(wait_state(t, "S", 5000) == 0, "busybox sh not blocked in read");
    const char *cin = make_file("bb.cin", "echo copy $((x + 1))\n");
    char pid[16], out[4096], err[4096];
    snprintf(pid, sizeof pid, "%d", (int)t);
    int rc = rfork_cli(out, err, sizeof out,
                       (const char *const[]){ "-i", cin, "-o", path_of("bb.cout"), pid, NULL });
    CHECK(rc == 0, "rfork exited %d: %s", rc, err);
    pid_t copy = (pid_t)atoi(out);
    int st;
    CHECK(reap(copy, &st, 20000) == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "copy did not end cleanly");
    char *c = slurp(path_of("bb.cout"));
    CHECK(!strcmp(c, "copy 8\n"), "copy wrote '%s' (want its own command run with the shell's x=7)", c);
    CHECK(untouched(t), "target left stopped or traced");
    CHECK(write(in[1], "echo orig $x\n", 13) == 13, "write");
    close(in[1]);
    CHECK(reap(t, &st, 20000) == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "busybox sh did not end cleanly");
    c = slurp(path_of("bb.out"));
    CHECK(!strcmp(c, "ready 7\norig 7\n"), "original wrote '%s'", c);
    return T_PASS;
}

/* python3 with a second thread: refused up front with the reason; untouched */
static int t_python_threads(char *why)
{
    if (need(PYTHON, why))
        return T_SKIP;
    const char *argv[] = { PYTHON, "-c",
                           "import threading, time\n"
                           "threading.Thread(target=time.sleep, args=(60,), daemon=True).start()\n"
                           "print('ready', flush=True)\n"
                           "time.sleep(60)\n",
                           NULL };
    pid_t t = spawn_ready(argv, -1, "pyth.out", -1);
    CHECK(t > 0, "python3 did not start");
    char pid[16], out[4096], err[4096];
    snprintf(pid, sizeof pid, "%d", (int)t);
    char before[512], after[512];
    proc_sigstate(t, before, sizeof before);
    int rc = rfork_cli(out, err, sizeof out, (const char *const[]){ pid, NULL });
    CHECK(rc == 1, "rfork exited %d (want 1): %s%s", rc, out, err);
    CHECK(strstr(err, "has 2 threads") && strstr(err, "--threads"), "unclear refusal: %s", err);
    CHECK(untouched(t), "target left stopped or traced");
    proc_sigstate(t, after, sizeof after);
    CHECK(!strcmp(before, after), "signal state changed: %s -> %s", before, after);
    kill_reap(t);
    return T_PASS;
}

/* pid of a child of parent whose command name is comm, waiting up to ms */
static pid_t child_named(pid_t parent, const char *comm, long ms)
{
    long end = now_ms() + ms;
    do {
        DIR *d = opendir("/proc");
        struct dirent *e;
        while (d && (e = readdir(d))) {
            pid_t p = (pid_t)atoi(e->d_name);
            if (p <= 0 || proc_num(p, "PPid") != parent)
                continue;
            char path[64];
            snprintf(path, sizeof path, "/proc/%d/comm", (int)p);
            char *c = slurp(path);
            int hit = !strncmp(c, comm, strlen(comm)) && c[strlen(comm)] == '\n';
            free(c);
            if (hit) {
                closedir(d);
                return p;
            }
        }
        if (d)
            closedir(d);
        sleep_ms(5);
    } while (now_ms() < end);
    return -1;
}

/* python3 in the middle of `cat | python3 | cat > file`: the copy reads and writes
 * files of its own, so the pipeline's output is exactly the original's and the
 * pipeline still ends at EOF (no copy holds one of its pipes open). */
static int t_pipeline(char *why)
{
    if (need(PYTHON, why) || need(BASH, why))
        return T_SKIP;
    int in[2];
    CHECK(pipe(in) == 0, "pipe");
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "cat | %s -u -c \"$1\" | cat > '%s'", PYTHON, path_of("pipe.out"));
    const char *argv[] = { BASH, "-c", cmd, "pipeline", py_hasher, NULL };
    pid_t sh = spawn(argv, in[0], -1, -1);
    close(in[0]);
    CHECK(sh > 0, "spawn");
    CHECK(wait_lines(path_of("pipe.out"), 1, 20000) == 0, "pipeline did not start");
    pid_t py = child_named(sh, "python3", 5000);
    CHECK(py > 0, "no python3 in the pipeline");
    CHECK(write(in[1], "1\n2\n", 4) == 4, "write");
    CHECK(wait_lines(path_of("pipe.out"), 3, 20000) == 0, "no steps");
    CHECK(wait_state(py, "S", 5000) == 0, "python3 not blocked");
    const char *cin = make_file("pipe.cin", "3\n4\n");
    char pid[16], out[4096], err[4096];
    snprintf(pid, sizeof pid, "%d", (int)py);
    int rc = rfork_cli(out, err, sizeof out,
                       (const char *const[]){ "-i", cin, "-o", path_of("pipe.cout"), pid, NULL });
    CHECK(rc == 0, "rfork exited %d: %s", rc, err);
    pid_t copy = (pid_t)atoi(out);
    CHECK(copy > 0 && proc_num(copy, "PPid") == sh, "copy %d is not the shell's child", (int)copy);
    CHECK(untouched(py), "python3 left stopped or traced");
    CHECK(wait_lines(path_of("pipe.cout"), 3, 20000) == 0, "copy wrote '%s'", slurp(path_of("pipe.cout")));
    CHECK(write(in[1], "3\n", 2) == 2, "write");
    close(in[1]);
    int st;
    CHECK(reap(sh, &st, 20000) == 0, "pipeline did not end at EOF (a pipe held open?)");
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "pipeline status %#x", st);
    char want[512], full[600];
    hasher_lines(want, sizeof want, 0, 1, 3);
    snprintf(full, sizeof full, "ready\n%seof\n", want);
    char *c = slurp(path_of("pipe.out"));
    CHECK(!strcmp(c, full), "pipeline wrote '%s', want '%s'", c, full);
    hasher_lines(want, sizeof want, 0, 3, 4);
    snprintf(full, sizeof full, "%seof\n", want);
    c = slurp(path_of("pipe.cout"));
    CHECK(!strcmp(c, full), "copy wrote '%s', want '%s'", c, full);
    CHECK(wait_state(copy, "ZX", 5000) == 0 || proc_state(copy) == 0, "copy still running after its EOF");
    return T_PASS;
}

/* A target that spends its life in fork, posix_spawn and waitpid: 15 copies, each
 * made at whatever call it was in; the original never sees a wrong result, every
 * copy runs on (a copy made in waitpid finds it has no children, as after fork). */
static int t_forker(char *why)
{
    const char *argv[] = { "./t-forker", NULL };
    pid_t t = spawn_ready(argv, -1, "forker.out", -1);
    CHECK(t > 0, "t-forker did not start");
    pid_t copies[15];
    long nr[15];
    int n = 0;
    for (; n < 15; n++) {
        char pid[16], out[4096], err[4096], name[32];
        snprintf(pid, sizeof pid, "%d", (int)t);
        snprintf(name, sizeof name, "forker.c%d", n);
        int rc = rfork_cli(out, err, sizeof out, (const char *const[]){ "-v", "-o", path_of(name), pid, NULL });
        CHECK(rc == 0, "duplication %d: rfork exited %d: %s", n, rc, err);
        CHECK(sscanf(out, "%d syscall %ld", &copies[n], &nr[n]) == 2, "output '%s'", out);
        sleep_ms(20);
    }
    CHECK(untouched(t), "target left stopped or traced");
    for (int i = 0; i < n; i++) {
        char name[32];
        snprintf(name, sizeof name, "forker.c%d", i);
        CHECK(wait_lines(path_of(name), 1, 20000) == 0, "copy %d (made at syscall %ld) made no progress, state %c",
              (int)copies[i], nr[i], proc_state(copies[i]));
        char *c = slurp(path_of(name));
        CHECK(!strstr(c, "ERROR"), "copy made at syscall %ld: %s", nr[i], c);
        free(c);
        char s = proc_state(copies[i]);
        CHECK(s != 'T' && s != 't' && proc_num(copies[i], "TracerPid") <= 0, "copy %d stopped or traced",
              (int)copies[i]);
    }
    int lines = 0;
    char *o = slurp(path_of("forker.out"));
    for (char *p = o; *p; p++)
        lines += *p == '\n';
    free(o);
    CHECK(wait_lines(path_of("forker.out"), lines + 2, 20000) == 0, "original stopped making progress");
    o = slurp(path_of("forker.out"));
    CHECK(!strstr(o, "ERROR") && !strstr(o, "echild"), "original saw a wrong result: %s", strstr(o, "E") ? strstr(o, "E") : o);
    CHECK(proc_state(t) != 0 && proc_state(t) != 'Z', "original died");
    kill_reap(t);
    pid_t b = sweep_children(0);
    CHECK(!b, "process %d left stopped or traced", (int)b);
    return T_PASS;
}

/* rfork interrupted by a signal at random moments of 40 duplications, half of them
 * of a target running a getpid loop, half of one blocked in read (the restart point,
 * where rfork single-steps).  TERM (what `timeout` sends) is handled: the target is
 * never harmed, each run made a faithful copy or none.  KILL cannot be handled: the
 * kernel detaches the target.  Nothing may then be left stopped, traced or hung, and
 * no target may be killed; a target that was inside the clone window (README) sees
 * clone's result in place of its own call's, and the spinner then exits by itself. */
static int killed_mid_dup(char *why, int sig)
{
    unsigned seed = (unsigned)getpid();
    int windows = 0;
    for (int kind = 0; kind < 2; kind++) {
        const char *spin[] = { "./t-spinner", "loop", NULL }, *cnt[] = { "./t-counter", NULL };
        int in[2] = { -1, -1 };
        if (kind == 1)
            CHECK(pipe(in) == 0, "pipe");
        pid_t t;
        if (kind == 0) {
            t = spawn_ready(spin, -1, "kill.out", -1);
        } else {
            int o = open_out("kill.out");
            t = spawn(cnt, in[0], o, -1);
            close(o);
            close(in[0]);
            CHECK(write(in[1], "a", 1) == 1, "write");
            CHECK(wait_lines(path_of("kill.out"), 1, 20000) == 0, "counter printed nothing");
            CHECK(wait_state(t, "S", 5000) == 0, "counter not blocked");
        }
        CHECK(t > 0, "target did not start");
        char *start = slurp(path_of("kill.out"));
        char pid[16];
        snprintf(pid, sizeof pid, "%d", (int)t);
        for (int i = 0; i < 20; i++) {
            const char *cargv[] = { "./rfork", "-o", path_of("kill.copy"), pid, NULL };
            int o = open_out("kill.cli");
            pid_t c = spawn(cargv, -1, o, -1);
            close(o);
            struct timespec d = { 0, (long)(rand_r(&seed) % 1500) * 1000L };
            nanosleep(&d, NULL);
            kill(c, sig);
            int st;
            CHECK(reap(c, &st, 10000) == 0, "rfork did not end after signal %d", sig);
            char s = proc_state(t);
            if (s == 'Z' || s == 0) {
                CHECK(reap(t, &st, 5000) == 0, "target vanished");
                CHECK(!WIFSIGNALED(st), "target %s killed by signal %d after run %d: %s",
                      kind ? "in read" : "in getpid loop", WTERMSIG(st), i, slurp(path_of("kill.out")));
                CHECK(sig == SIGKILL, "target exited (%#x) after run %d although rfork was only terminated: %s",
                      st, i, slurp(path_of("kill.out")));
                windows++;
                break; /* next kind: the target is gone */
            }
            CHECK(untouched(t), "target left stopped or traced after run %d (state %c, tracer %ld)", i,
                  proc_state(t), proc_num(t, "TracerPid"));
            pid_t b = sweep_children(t);
            CHECK(!b, "a copy (%d) was left stopped or traced after run %d", (int)b, i);
        }
        if (sig == SIGTERM) {
            char *o = slurp(path_of("kill.out"));
            CHECK(!strcmp(o, start), "target saw a wrong result: %s", o);
        }
        kill_reap(t);
        if (in[1] >= 0)
            close(in[1]);
        pid_t b = sweep_children(0);
        CHECK(!b, "a copy (%d) was left stopped or traced", (int)b);
    }
    if (getenv("RFORK_TEST_VERBOSE"))
        fprintf(stderr, "clone window hit %d times\n", windows);
    return T_PASS;
}

static int t_killed_term(char *why) { return killed_mid_dup(why, SIGTERM); }
static int t_killed_kill(char *why) { return killed_mid_dup(why, SIGKILL); }

const struct test real_tests[] = {
    { "real-python3-blocked-in-buffered-read", t_python },
    { "real-perl-blocked-in-buffered-read", t_perl },
    { "real-python3-with-thread-refused", t_python_threads },
    { "real-busybox-static-sh-blocked-in-read", t_busybox_sh },
    { "real-target-inside-shell-pipeline", t_pipeline },
    { "real-target-forking-at-duplication", t_forker },
    { "real-rfork-terminated-mid-duplication", t_killed_term },
    { "real-rfork-sigkilled-mid-duplication", t_killed_kill },
    { NULL, NULL },
};
