/* Signals sent to the target while it is being duplicated must all arrive, exactly once. */
#include "test.h"
#include "rfork.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int t_signal_storm(char *why)
{
    int out = open_out("ss.target");
    pid_t t = spawn((const char *const[]){ "./t-sigcount", NULL }, -1, out, -1);
    CHECK(wait_lines(path_of("ss.target"), 1, 20000) == 0, "target not ready");
    enum { N = 3000 };
    int done[2];
    CHECK(pipe(done) == 0, "pipe");
    pid_t sender = fork();
    if (sender == 0) {
        close(done[0]);
        union sigval v = { 0 };
        for (int i = 0; i < N; i++) {
            while (sigqueue(t, SIGRTMIN, v) < 0) {
                if (errno != EAGAIN)
                    _exit(1);
                sched_yield();
            }
            if (i % 8 == 0)
                sleep_ms(1); /* spread the signals over many duplications */
        }
        _exit(0);
    }
    int dups = 0, st;
    /* Duplicate over and over while the signals fly, and a few more times after. */
    for (;;) {
        struct rfork_opts o;
        rfork_opts_init(&o);
        o.flags = RFORK_START_STOPPED;
        struct rfork_result r;
        pid_t d = rfork_pid(t, &o, &r);
        CHECK(d > 0, "rfork #%d during the signal storm failed: %s", dups, r.error);
        dups++;
        kill_reap(d);
        pid_t s = waitpid(sender, &st, WNOHANG);
        if (s == sender) {
            CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "sender failed");
            break;
        }
    }
    CHECK(dups >= 10, "only %d duplications while the signals flew", dups);
    kill(t, SIGTERM);
    CHECK(reap(t, &st, 20000) == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "target ended 0x%x", st);
    char *s = slurp(path_of("ss.target")), want[64];
    snprintf(want, sizeof want, "ready\ncount %d\n", N);
    CHECK(!strcmp(s, want), "target reported '%s' after %d duplications, expected '%s'", s, dups, want);
    free(s);
    return T_PASS;
}

/* A signal that arrives while the target waits for its next syscall is delivered in place. */
static int t_signal_while_waiting(char *why)
{
    int out = open_out("sw.target");
    pid_t t = spawn((const char *const[]){ "./t-sigcount", NULL }, -1, out, -1);
    CHECK(wait_lines(path_of("sw.target"), 1, 20000) == 0, "target not ready");
    /* SIGRTMIN+1 is not handled by the target: default action, terminate. It must still die,
     * whichever step of a duplication it lands in. */
    int p[2];
    CHECK(pipe(p) == 0, "pipe");
    pid_t h = fork();
    if (h == 0) {
        close(p[0]);
        long end = now_ms() + 30000;
        for (int i = 0; now_ms() < end; i++) {
            struct rfork_opts o;
            rfork_opts_init(&o);
            o.flags = RFORK_START_STOPPED;
            struct rfork_result r;
            pid_t d = rfork_pid(t, &o, &r);
            if (d > 0)
                kill(d, SIGKILL); /* not our child: the target's parent reaps it */
            else if (errno == ESRCH)
                _exit(0);
            else {
                /* say which, so a rare failure under load can be diagnosed */
                fprintf(stderr, "fatal-signal-during-duplication: unexpected error %d: %s\n", errno, r.error);
                _exit(2);
            }
            if (i == 20 && write(p[1], "go", 2) != 2)
                _exit(4);
        }
        _exit(3);
    }
    close(p[1]);
    char go[2];
    CHECK(read(p[0], go, 2) == 2, "helper failed before 20 duplications");
    kill(t, SIGRTMIN + 1);
    int st, tst = -1, hst = -1;
    long end = now_ms() + 40000;
    while ((tst == -1 || hst == -1) && now_ms() < end) {
        pid_t w = waitpid(-1, &st, WNOHANG); /* the killed duplicates are our children too */
        if (w == t)
            tst = st;
        else if (w == h)
            hst = st;
        else if (w == 0)
            sleep_ms(2);
    }
    CHECK(tst != -1 && WIFSIGNALED(tst) && WTERMSIG(tst) == SIGRTMIN + 1,
          "target status 0x%x, expected death by SIGRTMIN+1", tst);
    CHECK(hst != -1 && WIFEXITED(hst), "helper hung");
    CHECK(WEXITSTATUS(hst) == 0, "helper status %d (2: unexpected error, 3: target never died)", WEXITSTATUS(hst));
    return T_PASS;
}

/* A caller that ignores SIGCHLD gets no wake-ups for ptrace stops; rfork must still work
 * (by its bounded polling), and the caller's disposition must be left as it was. */
static int t_caller_ignores_sigchld(char *why)
{
    pid_t t = spawn_ready((const char *const[]){ "./t-spinner", "loop", NULL }, -1, "ig.out", -1);
    CHECK(t > 0, "spinner not running");
    signal(SIGCHLD, SIG_IGN);
    for (int i = 0; i < 5; i++) {
        struct rfork_result r;
        pid_t d = rfork_pid(t, NULL, &r);
        CHECK(d > 0, "rfork #%d with SIGCHLD ignored failed: %s", i, r.error);
        char want[64];
        snprintf(want, sizeof want, "dup %d ppid %d\n", (int)d, (int)getpid());
        long end = now_ms() + 20000;
        char *s = NULL;
        do {
            free(s);
            s = slurp(path_of("ig.out"));
        } while (!strstr(s, want) && now_ms() < end && (sleep_ms(2), 1));
        CHECK(strstr(s, want), "copy #%d never ran (output: %s)", i, s);
        free(s);
    }
    struct sigaction sa;
    sigaction(SIGCHLD, NULL, &sa);
    CHECK(sa.sa_handler == SIG_IGN, "SIGCHLD disposition changed");
    sigset_t m;
    sigprocmask(SIG_BLOCK, NULL, &m);
    CHECK(!sigismember(&m, SIGCHLD), "SIGCHLD left blocked");
    kill(t, SIGKILL);
    return T_PASS;
}

const struct test signal_tests[] = {
    { "signals-during-duplication-3000-queued", t_signal_storm },
    { "fatal-signal-during-duplication", t_signal_while_waiting },
    { "caller-ignoring-sigchld", t_caller_ignores_sigchld },
    { NULL, NULL },
};
