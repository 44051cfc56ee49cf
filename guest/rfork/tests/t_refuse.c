/* Every refusal and abandoned attempt: a clear error, and the target exactly as before. */
#include "test.h"
#include "rfork.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define NOBODY 65534

/* Untraced and in one of states: what "left untouched" can be checked as. */
static int untouched(pid_t t, const char *states)
{
    return proc_num(t, "TracerPid") == 0 && wait_state(t, states, 5000) == 0;
}

static int t_no_such_pid(char *why)
{
    pid_t p = fork();
    if (p == 0)
        _exit(0);
    int st;
    waitpid(p, &st, 0);
    struct rfork_result r;
    CHECK(rfork_pid(p, NULL, &r) < 0 && errno == ESRCH, "rfork of reaped PID %d: errno %d", p, errno);
    CHECK(strstr(r.error, "no process"), "unclear error: %s", r.error);
    return T_PASS;
}

static int t_invalid(char *why)
{
    struct rfork_result r;
    CHECK(rfork_pid(0, NULL, &r) < 0 && errno == EINVAL, "pid 0 accepted");
    CHECK(rfork_pid(-4, NULL, &r) < 0 && errno == EINVAL, "pid -4 accepted");
    CHECK(rfork_pid(getpid(), NULL, &r) < 0 && errno == EINVAL && strstr(r.error, "itself"),
          "self accepted or unclear: %s", r.error);
    CHECK(rfork_pid(2, NULL, &r) < 0 && errno == EPERM && strstr(r.error, "kernel thread"),
          "kthreadd (pid 2) accepted or unclear: errno %d %s", errno, r.error);
    struct rfork_opts o;
    rfork_opts_init(&o);
    o.flags = 0x100;
    CHECK(rfork_pid(1, &o, &r) < 0 && errno == EINVAL, "unknown flag accepted");
    return T_PASS;
}

static int t_zombie(char *why)
{
    pid_t p = fork();
    if (p == 0)
        _exit(0);
    CHECK(wait_state(p, "Z", 20000) == 0, "child never became a zombie");
    struct rfork_result r;
    CHECK(rfork_pid(p, NULL, &r) < 0 && errno == ESRCH && strstr(r.error, "zombie"), "zombie: %s", r.error);
    kill_reap(p);
    return T_PASS;
}

/* As nobody: a root process is refused with EPERM; nobody's own child can be duplicated. */
static int t_permission(char *why)
{
    pid_t t = spawn_ready((const char *const[]){ "./t-spinner", "loop", NULL }, -1, NULL, -1);
    int p[2];
    CHECK(pipe(p) == 0, "pipe");
    pid_t h = fork();
    if (h == 0) {
        close(p[0]);
        char msg[WHYLEN] = "ok";
        if (setgid(NOBODY) || setuid(NOBODY)) {
            snprintf(msg, sizeof msg, "setuid: %s", strerror(errno));
        } else {
            struct rfork_result r;
            pid_t d = rfork_pid(t, NULL, &r);
            if (d >= 0 || errno != EPERM || !strstr(r.error, "permission"))
                snprintf(msg, sizeof msg, "root target: ret %d errno %d: %s", d, errno, r.error);
            else {
                pid_t own = spawn_ready((const char *const[]){ "./t-spinner", "loop", NULL }, -1, NULL, -1);
                d = rfork_pid(own, NULL, &r);
                int st;
                if (d < 0)
                    snprintf(msg, sizeof msg, "same-user target refused: %s", r.error);
                else if (reap(d, &st, 20000) < 0)
                    snprintf(msg, sizeof msg, "same-user duplicate %d not reaped: %s (state %c)", d, strerror(errno), proc_state(d));
                else if (!WIFEXITED(st) || WEXITSTATUS(st))
                    snprintf(msg, sizeof msg, "same-user duplicate ended 0x%x", st);
                kill_reap(own);
            }
        }
        if (write(p[1], msg, strlen(msg) + 1) < 0)
            _exit(1);
        _exit(0);
    }
    close(p[1]);
    char msg[WHYLEN] = "";
    CHECK(read(p[0], msg, sizeof msg - 1) > 0, "helper said nothing");
    CHECK(!strcmp(msg, "ok"), "%s", msg);
    CHECK(untouched(t, "RS"), "root target disturbed");
    kill_reap(h);
    kill_reap(t);
    return T_PASS;
}

static int t_already_traced(char *why)
{
    int p[2];
    CHECK(pipe(p) == 0, "pipe");
    int out = open_out("at.target");
    pid_t t = spawn((const char *const[]){ "./t-counter", NULL }, p[0], out, -1);
    pid_t tracer = fork();
    if (tracer == 0) {
        if (ptrace(PTRACE_SEIZE, t, 0, 0) < 0)
            _exit(1);
        for (;;)
            pause();
    }
    CHECK(wait_tracer(t, tracer, 20000) == 0, "helper could not trace the target");
    struct rfork_result r;
    CHECK(rfork_pid(t, NULL, &r) < 0 && errno == EBUSY, "traced target: errno %d %s", errno, r.error);
    char want[64];
    snprintf(want, sizeof want, "traced by process %d", (int)tracer);
    CHECK(strstr(r.error, want), "error does not name the tracer: %s", r.error);
    kill_reap(tracer);
    CHECK(wait_tracer(t, 0, 20000) == 0, "tracer never let go");
    CHECK(write(p[1], "a", 1) == 1, "write");
    CHECK(wait_lines(path_of("at.target"), 1, 20000) == 0, "target stuck after the refusal");
    kill_reap(t);
    return T_PASS;
}

/* PID 1 of a new PID namespace: the kernel refuses CLONE_PARENT for it; so do we, first. */
static int t_ns_init(char *why)
{
    int p[2];
    CHECK(pipe(p) == 0, "pipe");
    pid_t h = fork();
    if (h == 0) {
        if (unshare(CLONE_NEWPID) < 0) {
            int e = errno;
            if (write(p[1], &e, sizeof e) < 0)
                _exit(1);
            _exit(77);
        }
        pid_t init = spawn_ready((const char *const[]){ "./t-spinner", "loop", NULL }, -1, NULL, -1);
        int e = 0;
        if (write(p[1], &e, sizeof e) < 0 || write(p[1], &init, sizeof init) < 0)
            _exit(1);
        int st;
        waitpid(init, &st, 0);
        _exit(0);
    }
    close(p[1]);
    int e = -1;
    pid_t init = -1;
    CHECK(read(p[0], &e, sizeof e) == sizeof e, "helper died");
    if (e) {
        snprintf(why, WHYLEN, "cannot create a PID namespace here: %s", strerror(e));
        kill_reap(h);
        return T_SKIP;
    }
    CHECK(read(p[0], &init, sizeof init) == sizeof init, "no init pid");
    CHECK(wait_state(init, "RS", 20000) == 0, "namespace init not running");
    CHECK(proc_num(init, "NSpid") == init, "NSpid line unexpected");
    struct rfork_result r;
    CHECK(rfork_pid(init, NULL, &r) < 0 && errno == EINVAL && strstr(r.error, "PID 1"),
          "namespace init: errno %d %s", errno, r.error);
    CHECK(untouched(init, "RS"), "namespace init disturbed");
    kill_reap(h);
    return T_PASS;
}

static int t_timeout(char *why)
{
    pid_t t = spawn_ready((const char *const[]){ "./t-spinner", "spin", NULL }, -1, NULL, -1);
    CHECK(wait_state(t, "R", 20000) == 0, "spinner not running");
    struct rfork_opts o;
    rfork_opts_init(&o);
    o.timeout_ms = 300;
    struct rfork_result r;
    long t0 = now_ms();
    pid_t d = rfork_pid(t, &o, &r);
    long took = now_ms() - t0;
    CHECK(d < 0 && errno == ETIMEDOUT, "no timeout: ret %d errno %d %s", d, errno, r.error);
    CHECK(strstr(r.error, "no system call"), "unclear: %s", r.error);
    CHECK(took >= 300 && took < 10000, "timeout after %ld ms, asked 300", took);
    CHECK(untouched(t, "R"), "target left traced or stopped (state %c)", proc_state(t));
    kill_reap(t);
    return T_PASS;
}

/* Run rfork_pid(t) in a child; returns its pid; the child writes errno and message to fd. */
static pid_t rfork_in_child(pid_t t, int fd)
{
    pid_t h = fork();
    if (h == 0) {
        struct rfork_opts o;
        rfork_opts_init(&o);
        o.timeout_ms = 30000;
        struct rfork_result r;
        pid_t d = rfork_pid(t, &o, &r);
        int e = d < 0 ? errno : 0;
        if (write(fd, &e, sizeof e) < 0 || write(fd, r.error, sizeof r.error) < 0)
            _exit(1);
        _exit(0);
    }
    return h;
}

static int t_killed_while_waiting(char *why)
{
    pid_t t = spawn_ready((const char *const[]){ "./t-spinner", "spin", NULL }, -1, NULL, -1);
    int p[2];
    CHECK(pipe(p) == 0, "pipe");
    pid_t h = rfork_in_child(t, p[1]);
    CHECK(wait_tracer(t, h, 20000) == 0, "helper never attached");
    kill(t, SIGKILL);
    int e;
    char msg[RFORK_ERRMAX];
    CHECK(read(p[0], &e, sizeof e) == sizeof e && read(p[0], msg, sizeof msg) == sizeof msg, "helper died");
    CHECK(e == ESRCH && strstr(msg, "killed by signal 9"), "errno %d: %s", e, msg);
    int st;
    CHECK(reap(t, &st, 20000) == 0 && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "target status 0x%x", st);
    kill_reap(h);
    return T_PASS;
}

static int t_stopped_target(char *why)
{
    pid_t t = spawn_ready((const char *const[]){ "./t-spinner", "spin", NULL }, -1, NULL, -1);
    kill(t, SIGSTOP);
    CHECK(wait_state(t, "T", 20000) == 0, "target did not stop");
    struct rfork_result r;
    CHECK(rfork_pid(t, NULL, &r) < 0 && errno == EAGAIN && strstr(r.error, "stopped"), "errno %d: %s", errno, r.error);
    CHECK(untouched(t, "T"), "stopped target disturbed");
    kill(t, SIGCONT);
    CHECK(wait_state(t, "R", 20000) == 0, "target did not continue");
    kill_reap(t);
    return T_PASS;
}

static int t_stopped_while_waiting(char *why)
{
    pid_t t = spawn_ready((const char *const[]){ "./t-spinner", "spin", NULL }, -1, NULL, -1);
    int p[2];
    CHECK(pipe(p) == 0, "pipe");
    pid_t h = rfork_in_child(t, p[1]);
    CHECK(wait_tracer(t, h, 20000) == 0, "helper never attached");
    kill(t, SIGSTOP);
    int e;
    char msg[RFORK_ERRMAX];
    CHECK(read(p[0], &e, sizeof e) == sizeof e && read(p[0], msg, sizeof msg) == sizeof msg, "helper died");
    CHECK(e == EINTR && strstr(msg, "stopped by signal"), "errno %d: %s", e, msg);
    CHECK(untouched(t, "T"), "target not left stopped and untraced (state %c)", proc_state(t));
    kill(t, SIGCONT);
    CHECK(wait_state(t, "R", 20000) == 0, "target did not continue");
    kill_reap(h);
    kill_reap(t);
    return T_PASS;
}

static int t_seccomp(char *why)
{
    int out = open_out("sc.target");
    pid_t t = spawn((const char *const[]){ "./t-sigcount", "seccomp", NULL }, -1, out, -1);
    CHECK(wait_lines(path_of("sc.target"), 1, 20000) == 0, "target not ready");
    struct rfork_result r;
    CHECK(rfork_pid(t, NULL, &r) < 0 && errno == ENOTSUP && strstr(r.error, "seccomp"), "errno %d: %s", errno, r.error);
    CHECK(untouched(t, "RS"), "target disturbed");
    struct rfork_opts o;
    rfork_opts_init(&o);
    o.flags = RFORK_ALLOW_SECCOMP;
    o.stdout_path = path_of("sc.dup");
    pid_t d = rfork_pid(t, &o, &r);
    CHECK(d > 0, "with RFORK_ALLOW_SECCOMP: %s", r.error);
    kill(d, SIGTERM);
    int st;
    CHECK(reap(d, &st, 20000) == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "duplicate ended 0x%x", st);
    char *s = slurp(path_of("sc.dup"));
    CHECK(!strcmp(s, "count 0\n"), "duplicate printed '%s'", s);
    free(s);
    kill_reap(t);
    return T_PASS;
}

static int t_bad_redirect(char *why)
{
    pid_t t = spawn_ready((const char *const[]){ "./t-spinner", "loop", NULL }, -1, NULL, -1);
    struct rfork_opts o;
    rfork_opts_init(&o);
    o.stdout_path = "/nonexistent-dir/out";
    struct rfork_result r;
    CHECK(rfork_pid(t, &o, &r) < 0 && errno == ENOENT && strstr(r.error, "/nonexistent-dir/out"),
          "errno %d: %s", errno, r.error);
    rfork_opts_init(&o);
    o.stdin_path = path_of("no-such-input");
    CHECK(rfork_pid(t, &o, &r) < 0 && errno == ENOENT && strstr(r.error, "no-such-input"), "errno %d: %s", errno, r.error);
    rfork_opts_init(&o);
    o.stderr_path = test_dir;
    CHECK(rfork_pid(t, &o, &r) < 0 && errno == EISDIR, "directory as stderr: errno %d: %s", errno, r.error);
    int st;
    CHECK(waitpid(-1, &st, WNOHANG) == 0, "a duplicate was made anyway");
    CHECK(untouched(t, "RS"), "target disturbed");
    kill_reap(t);
    return T_PASS;
}

/* The duplicate opens its files with the target's rights; if it cannot, it is discarded
 * before running a single instruction of its own, and the target carries on. */
static int t_redirect_denied(char *why)
{
    const char *secret = make_file("secret", "");
    chmod(secret, 0600);
    pid_t t = spawn_ready((const char *const[]){ "./t-spinner", "loop", NULL }, -1, NULL, NOBODY);
    CHECK(t > 0 && proc_num(t, "Uid") == NOBODY, "nobody target not running");
    struct rfork_opts o;
    rfork_opts_init(&o);
    o.stdout_path = secret;
    struct rfork_result r;
    CHECK(rfork_pid(t, &o, &r) < 0 && errno == EACCES && strstr(r.error, "cannot open"), "errno %d: %s", errno, r.error);
    int st;
    pid_t gone = -1;
    long end = now_ms() + 20000;
    while ((gone = waitpid(-1, &st, WNOHANG)) == 0 && now_ms() < end)
        sleep_ms(2);
    CHECK(gone > 0 && gone != t && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
          "discarded duplicate not seen killed (pid %d status 0x%x)", gone, st);
    CHECK(untouched(t, "RS"), "target disturbed");
    kill_reap(t);
    return T_PASS;
}

const struct test refuse_tests[] = {
    { "refuse-no-such-pid", t_no_such_pid },
    { "refuse-invalid-self-kthread", t_invalid },
    { "refuse-zombie", t_zombie },
    { "refuse-no-permission", t_permission },
    { "refuse-already-traced", t_already_traced },
    { "refuse-pid1-of-namespace", t_ns_init },
    { "timeout-no-syscall", t_timeout },
    { "target-killed-while-waiting", t_killed_while_waiting },
    { "refuse-stopped-target", t_stopped_target },
    { "target-stopped-while-waiting", t_stopped_while_waiting },
    { "seccomp-refused-then-allowed", t_seccomp },
    { "bad-redirect-refused-early", t_bad_redirect },
    { "redirect-denied-in-duplicate", t_redirect_denied },
    { NULL, NULL },
};
