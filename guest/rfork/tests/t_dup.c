/* Duplication itself: the copy resumes from the target's state, is the target's sibling,
 * has its own stdio, and the target does not notice. */
#include "test.h"
#include "rfork.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define FNV0 2166136261u

static void counter_lines(char *out, size_t n, const char *ticks, int first, unsigned h, const char *tail)
{
    size_t used = 0;
    for (int i = first; *ticks; i++, ticks++) {
        h = counter_hash(h, i, (char[]){ *ticks, 0 });
        used += (size_t)snprintf(out + used, n - used, "%d %08x ppid=%d\n", i, h, (int)getpid());
    }
    snprintf(out + used, n - used, "%s", tail);
}

/* Counter blocked in read() on an empty pipe: read is interrupted, restarted, and becomes
 * the duplication point; the copy continues the history with its own input and output.
 * mode: NULL, or "block-trap" / "ignore-trap" for a counter that blocks or ignores SIGTRAP,
 * for which rfork must not single-step (the kernel's forced SIGTRAP would undo that). */
static int counter_pipe(char *why, const char *mode)
{
    int p[2];
    CHECK(pipe(p) == 0, "pipe: %s", strerror(errno));
    int out = open_out("cp.target");
    pid_t t = spawn((const char *const[]){ "./t-counter", mode, NULL }, p[0], out, -1);
    close(p[0]);
    CHECK(write(p[1], "abcde", 5) == 5, "write ticks");
    CHECK(wait_lines(path_of("cp.target"), 5, 20000) == 0, "target printed no 5 lines");
    CHECK(wait_state(t, "S", 20000) == 0, "target never blocked in read");
    char before[512], after[512];
    proc_sigstate(t, before, sizeof before);

    struct rfork_opts o;
    rfork_opts_init(&o);
    o.stdin_path = make_file("cp.in", "xyz");
    o.stdout_path = path_of("cp.dup");
    struct rfork_result r;
    pid_t d = rfork_pid(t, &o, &r);
    CHECK(d > 0, "rfork_pid failed: %s", r.error);
    CHECK(r.pid == d, "result pid %d != return %d", r.pid, d);
    CHECK(r.syscall_nr == SYS_read, "duplicated at syscall %ld, expected read (%d)", r.syscall_nr, SYS_read);
    CHECK(proc_num(t, "TracerPid") == 0, "target still traced");
    char s = proc_state(t);
    CHECK(s == 'S' || s == 'R', "target state %c after rfork", s);
    proc_sigstate(t, after, sizeof after);
    CHECK(!strcmp(before, after), "target signal state changed: %s -> %s", before, after);

    /* Only our own child can be waited for: this proves the copy's parent is the target's. */
    int st;
    CHECK(reap(d, &st, 20000) == 0, "duplicate %d did not finish (or is not our child)", d);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "duplicate ended with status 0x%x", st);
    char want[1024];
    counter_lines(want, sizeof want, "xyz", 5, counter_hash(FNV0, 0, "abcde"), "eof\n");
    char *got = slurp(path_of("cp.dup"));
    CHECK(!strcmp(got, want), "duplicate printed\n%s\nexpected\n%s", got, want);
    free(got);

    CHECK(write(p[1], "fgh", 3) == 3, "write ticks");
    close(p[1]);
    CHECK(reap(t, &st, 20000) == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "target ended badly 0x%x", st);
    counter_lines(want, sizeof want, "abcdefgh", 0, FNV0, "eof\n");
    got = slurp(path_of("cp.target"));
    CHECK(!strcmp(got, want), "target printed\n%s\nexpected (as without rfork)\n%s", got, want);
    free(got);
    return T_PASS;
}

static int t_counter_pipe(char *why) { return counter_pipe(why, NULL); }
static int t_counter_trap_blocked(char *why) { return counter_pipe(why, "block-trap"); }
static int t_counter_trap_ignored(char *why) { return counter_pipe(why, "ignore-trap"); }

/* First child of pid (from /proc/pid/task/pid/children), 0 if none yet. */
static pid_t first_child(pid_t pid, long ms)
{
    char path[96];
    snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)pid, (int)pid);
    for (long end = now_ms() + ms; now_ms() < end; sleep_ms(5)) {
        char *s = slurp(path);
        pid_t c = (pid_t)atoi(s);
        free(s);
        if (c > 0)
            return c;
    }
    return 0;
}

/* A target in a child PID namespace (PID 2 there): clone's return value is its PID in that
 * namespace, so rfork must learn the copy's PID in ours from the fork event instead. */
static int t_other_pidns(char *why)
{
    if (access("/usr/bin/unshare", X_OK) || system("/usr/bin/unshare -pf true >/dev/null 2>&1") != 0) {
        set_why(why, "unshare -p not permitted here");
        return T_SKIP;
    }
    pid_t u = spawn_ready((const char *const[]){ "/usr/bin/unshare", "-pf", "/bin/sh", "-c", "./t-spinner loop & wait", NULL },
                          -1, "ns.out", -1);
    CHECK(u > 0, "spinner in a new PID namespace not running");
    pid_t sh = first_child(u, 20000), t = sh ? first_child(sh, 20000) : 0;
    CHECK(t > 0, "cannot find the spinner under unshare %d", (int)u);
    CHECK(proc_num(t, "NSpid") == t, "spinner's NSpid does not start with %d", (int)t);
    struct rfork_result r;
    pid_t d = rfork_pid(t, NULL, &r);
    CHECK(d > 0, "rfork_pid failed: %s", r.error);
    /* Only a PID in our namespace names the copy under /proc here, as a sibling of t. */
    char want[64];
    snprintf(want, sizeof want, "PPid:\t%d\n", (int)sh);
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/status", (int)d);
    long end = now_ms() + 20000;
    char *st = slurp(path), *out = slurp(path_of("ns.out"));
    while (!strstr(out, "dup 3 ppid 1") && now_ms() < end) {
        free(out);
        sleep_ms(5);
        out = slurp(path_of("ns.out"));
    }
    CHECK(strstr(st, want) || strstr(out, "dup 3 ppid 1"), "PID %d is not the copy (status: %.200s)", (int)d, st);
    CHECK(strstr(out, "dup 3 ppid 1"), "the copy (PID 3 inside) never ran: %s", out);
    free(st);
    free(out);
    kill_reap(u);
    kill(t, SIGKILL);
    kill(d, SIGKILL);
    return T_PASS;
}

static int slept_ms(const char *text)
{
    const char *p = strstr(text, "slept ");
    return p ? atoi(p + 6) : -1;
}

/* Target inside a 3 s clock_nanosleep: interrupted with -ERESTART_RESTARTBLOCK, so the
 * duplication happens at restart_syscall, and both still wake at the original deadline. */
static int t_sleep_restart(char *why)
{
    int out = open_out("sl.target");
    pid_t t = spawn((const char *const[]){ "./t-sleeper", "3000", "1", NULL }, -1, out, -1);
    CHECK(wait_lines(path_of("sl.target"), 1, 20000) == 0, "sleeper never started");
    CHECK(wait_state(t, "S", 20000) == 0, "sleeper never slept");
    sleep_ms(1000); /* land inside the sleep; the checks below do not depend on the exact moment */
    struct rfork_opts o;
    rfork_opts_init(&o);
    o.stdout_path = path_of("sl.dup");
    struct rfork_result r;
    pid_t d = rfork_pid(t, &o, &r);
    CHECK(d > 0, "rfork_pid failed: %s", r.error);
    CHECK(r.syscall_nr == SYS_restart_syscall, "duplicated at syscall %ld, expected restart_syscall (%d)",
          r.syscall_nr, SYS_restart_syscall);
    int st;
    CHECK(reap(t, &st, 20000) == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "target ended badly 0x%x", st);
    CHECK(reap(d, &st, 20000) == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "duplicate ended badly 0x%x", st);
    char *tg = slurp(path_of("sl.target")), *dg = slurp(path_of("sl.dup"));
    int ta = slept_ms(tg), da = slept_ms(dg);
    /* Restarting from scratch would give >= 4000; returning early < 3000. */
    CHECK(ta >= 3000 && ta < 3700, "target slept %d ms instead of 3000: %s", ta, tg);
    CHECK(da >= 3000 && da < 3700, "duplicate slept %d ms instead of 3000: '%s'", da, dg);
    CHECK(!strstr(dg, "sleeping"), "duplicate re-ran the start of its loop: %s", dg);
    free(tg);
    free(dg);
    return T_PASS;
}

/* A copy started stopped is a saved mid-run state: nothing runs until SIGCONT. */
static int t_start_stopped(char *why)
{
    int p[2];
    CHECK(pipe(p) == 0, "pipe");
    int out = open_out("ss.target");
    pid_t t = spawn((const char *const[]){ "./t-counter", NULL }, p[0], out, -1);
    close(p[0]);
    CHECK(write(p[1], "ab", 2) == 2, "write");
    CHECK(wait_lines(path_of("ss.target"), 2, 20000) == 0, "target printed no 2 lines");
    struct rfork_opts o;
    rfork_opts_init(&o);
    o.flags = RFORK_START_STOPPED;
    o.stdin_path = make_file("ss.in", "q");
    o.stdout_path = path_of("ss.dup");
    struct rfork_result r;
    pid_t d = rfork_pid(t, &o, &r);
    CHECK(d > 0, "rfork_pid failed: %s", r.error);
    CHECK(wait_state(d, "T", 20000) == 0, "duplicate not stopped (state %c)", proc_state(d));
    CHECK(proc_num(d, "TracerPid") == 0, "duplicate still traced");
    CHECK(proc_num(d, "PPid") == getpid(), "duplicate's parent is %ld, not the target's (%d)",
          proc_num(d, "PPid"), (int)getpid());
    /* The target goes on meanwhile. */
    CHECK(write(p[1], "c", 1) == 1, "write");
    CHECK(wait_lines(path_of("ss.target"), 3, 20000) == 0, "target stalled while its copy is stopped");
    char *got = slurp(path_of("ss.dup"));
    CHECK(!*got, "stopped duplicate wrote output: %s", got);
    free(got);
    CHECK(proc_state(d) == 'T', "duplicate left the stopped state by itself");
    CHECK(kill(d, SIGCONT) == 0, "SIGCONT");
    int st;
    CHECK(reap(d, &st, 20000) == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "duplicate ended badly 0x%x", st);
    char want[256];
    snprintf(want, sizeof want, "2 %08x ppid=%d\neof\n", counter_hash(FNV0, 0, "abq"), (int)getpid());
    got = slurp(path_of("ss.dup"));
    CHECK(!strcmp(got, want), "duplicate printed '%s', expected '%s'", got, want);
    free(got);
    close(p[1]);
    CHECK(reap(t, &st, 20000) == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "target ended badly");
    return T_PASS;
}

/* Many duplications of a process in a tight getpid loop: every copy sees its own PID and the
 * target's parent; the target never sees a wrong getpid/getppid result. The waits are made in
 * turn with polling off, with the default polling, and with 50 us of polling (which often runs
 * out and falls back to sleeping in the middle of a wait). */
static int t_repeated(char *why)
{
    pid_t t = spawn_ready((const char *const[]){ "./t-spinner", "loop", NULL }, -1, "rep.out", -1);
    CHECK(t > 0, "spinner not running");
    enum { N = 40 };
    for (int i = 0; i < N; i++) {
        struct rfork_result r;
        if (i % 3 == 2)
            unsetenv("RFORK_SPIN_US");
        else
            setenv("RFORK_SPIN_US", i % 3 ? "50" : "0", 1);
        pid_t d = rfork_pid(t, NULL, &r);
        unsetenv("RFORK_SPIN_US");
        CHECK(d > 0, "rfork #%d failed: %s", i, r.error);
        CHECK(r.syscall_nr == SYS_getpid || r.syscall_nr == SYS_getppid, "duplicated at syscall %ld", r.syscall_nr);
        int st;
        CHECK(reap(d, &st, 20000) == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
              "duplicate #%d ended with 0x%x", i, st);
        char *s = slurp(path_of("rep.out")), want[64];
        snprintf(want, sizeof want, "dup %d ppid %d\n", (int)d, (int)getpid());
        CHECK(strstr(s, want), "duplicate #%d did not report '%s' (got %s)", i, want, s);
        free(s);
    }
    char st = proc_state(t);
    CHECK(st == 'R' || st == 'S', "target state %c: it saw a wrong getpid/getppid result", st);
    kill_reap(t);
    return T_PASS;
}

/* Thread id of the non-main thread of process pid. */
static pid_t second_tid(pid_t pid)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "ls /proc/%d/task", (int)pid);
    FILE *f = popen(cmd, "r");
    if (!f)
        return -1;
    int tid, found = -1;
    while (fscanf(f, "%d", &tid) == 1)
        if (tid != pid)
            found = tid;
    pclose(f);
    return found;
}

/* Multi-threaded target: refused by default; with the flag, only the named thread is copied. */
static int t_threads(char *why)
{
    int p[2];
    CHECK(pipe(p) == 0, "pipe");
    int out = open_out("th.target");
    pid_t t = spawn((const char *const[]){ "./t-threaded", NULL }, p[0], out, -1);
    close(p[0]);
    CHECK(wait_lines(path_of("th.target"), 1, 20000) == 0, "threaded target not ready");
    struct rfork_result r;
    pid_t d = rfork_pid(t, NULL, &r);
    CHECK(d < 0 && errno == ENOTSUP, "multi-threaded target not refused (ret %d errno %d)", d, errno);
    CHECK(strstr(r.error, "threads"), "unclear refusal: %s", r.error);
    CHECK(proc_num(t, "TracerPid") == 0, "refused target is traced");

    struct rfork_opts o;
    rfork_opts_init(&o);
    o.flags = RFORK_ALLOW_THREADS | RFORK_START_STOPPED;
    o.stdin_path = make_file("th.in", "k");
    o.stdout_path = path_of("th.dup");
    d = rfork_pid(t, &o, &r);
    CHECK(d > 0, "rfork_pid with RFORK_ALLOW_THREADS failed: %s", r.error);
    CHECK(wait_state(d, "T", 20000) == 0, "duplicate not stopped");
    CHECK(proc_num(d, "Threads") == 1, "duplicate has %ld threads, expected 1", proc_num(d, "Threads"));
    kill(d, SIGCONT);
    int st;
    CHECK(reap(d, &st, 20000) == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "duplicate ended 0x%x", st);
    char want[128], *got = slurp(path_of("th.dup"));
    snprintf(want, sizeof want, "0 %08x\neof\n", counter_hash(FNV0, 0, "k"));
    CHECK(!strcmp(got, want), "duplicate printed '%s', expected '%s'", got, want);
    free(got);

    /* Naming the idle thread (blocked in pause, -ERESTARTNOHAND) copies that thread. */
    pid_t tid = second_tid(t);
    CHECK(tid > 0, "no second thread found");
    d = rfork_pid(tid, &o, &r);
    CHECK(d > 0, "rfork of thread %d failed: %s", tid, r.error);
    CHECK(r.syscall_nr == SYS_pause, "thread copy made at syscall %ld, expected pause", r.syscall_nr);
    CHECK(wait_state(d, "T", 20000) == 0, "thread copy not stopped");
    CHECK(proc_num(d, "Threads") == 1 && proc_num(d, "PPid") == getpid(), "thread copy has %ld threads, parent %ld",
          proc_num(d, "Threads"), proc_num(d, "PPid"));
    kill(d, SIGCONT);
    CHECK(wait_state(d, "S", 20000) == 0, "thread copy not back in pause (state %c)", proc_state(d));
    kill_reap(d);
    CHECK(write(p[1], "m", 1) == 1, "write");
    close(p[1]);
    CHECK(reap(t, &st, 20000) == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "target ended 0x%x", st);
    char *tg = slurp(path_of("th.target"));
    snprintf(want, sizeof want, "ready\n0 %08x\neof\n", counter_hash(FNV0, 0, "m"));
    CHECK(!strcmp(tg, want), "target printed '%s', expected '%s'", tg, want);
    free(tg);
    return T_PASS;
}

const struct test dup_tests[] = {
    { "dup-counter-blocked-in-read", t_counter_pipe },
    { "dup-counter-sigtrap-blocked", t_counter_trap_blocked },
    { "dup-counter-sigtrap-ignored", t_counter_trap_ignored },
    { "dup-sleep-restart-syscall", t_sleep_restart },
    { "dup-start-stopped-then-cont", t_start_stopped },
    { "dup-repeated-40-times", t_repeated },
    { "dup-multithreaded", t_threads },
    { "dup-target-in-other-pid-namespace", t_other_pidns },
    { NULL, NULL },
};
