/* The rfork command: usage, errors, and one duplication through it. */
#include "test.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Run ./rfork with args; capture stdout and stderr; return the exit status (-1 on trouble). */
static int cli(char *out, char *err, size_t n, const char *const args[])
{
    const char *argv[16] = { "./rfork" };
    int i = 0;
    for (; args[i] && i < 14; i++)
        argv[i + 1] = args[i];
    argv[i + 1] = NULL;
    int o = open_out("cli.out"), e = open_out("cli.err");
    pid_t p = spawn(argv, -1, o, e);
    close(o);
    close(e);
    int st;
    if (reap(p, &st, 40000) < 0)
        return -1;
    char *s = slurp(path_of("cli.out"));
    snprintf(out, n, "%s", s);
    free(s);
    s = slurp(path_of("cli.err"));
    snprintf(err, n, "%s", s);
    free(s);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int t_help(char *why)
{
    char out[4096], err[4096];
    CHECK(cli(out, err, sizeof out, (const char *const[]){ "--help", NULL }) == 0, "--help failed");
    CHECK(strstr(out, "Usage: rfork") && strstr(out, "--stopped") && strstr(out, "--timeout"), "help: %s", out);
    CHECK(cli(out, err, sizeof out, (const char *const[]){ "-h", NULL }) == 0, "-h failed");
    return T_PASS;
}

static int t_usage_errors(char *why)
{
    static const char *const cases[][4] = {
        { NULL }, { "abc", NULL }, { "12x", NULL }, { "0", NULL }, { "-5", NULL }, { "1", "2", NULL },
        { "--bogus", "1", NULL }, { "-t", "x", "1", NULL }, { "-t", "-1", "1", NULL }, { "-o", NULL },
        { "99999999999", NULL },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[4096], err[4096];
        int rc = cli(out, err, sizeof out, cases[i]);
        CHECK(rc == 2, "case %zu (%s ...) exited %d, expected 2 (usage)", i, cases[i][0] ? cases[i][0] : "", rc);
        CHECK(!strncmp(err, "rfork: ", 7) && strstr(err, "--help"), "case %zu: unclear message '%s'", i, err);
        CHECK(!*out, "case %zu printed on stdout: %s", i, out);
    }
    return T_PASS;
}

static int t_runtime_errors(char *why)
{
    pid_t p = fork();
    if (p == 0)
        _exit(0);
    int st;
    waitpid(p, &st, 0);
    char arg[32], out[4096], err[4096], want[64];
    snprintf(arg, sizeof arg, "%d", (int)p);
    CHECK(cli(out, err, sizeof out, (const char *const[]){ arg, NULL }) == 1, "gone pid: not exit 1");
    snprintf(want, sizeof want, "rfork: no process %d\n", (int)p);
    CHECK(!strcmp(err, want), "message '%s'", err);
    pid_t t = spawn_ready((const char *const[]){ "./t-spinner", "spin", NULL }, -1, NULL, -1);
    snprintf(arg, sizeof arg, "%d", (int)t);
    long t0 = now_ms();
    CHECK(cli(out, err, sizeof out, (const char *const[]){ "-t", "0.2", arg, NULL }) == 1, "timeout: not exit 1");
    CHECK(strstr(err, "before the timeout") && now_ms() - t0 >= 200, "timeout message '%s'", err);
    CHECK(proc_num(t, "TracerPid") == 0, "target left traced");
    kill_reap(t);
    return T_PASS;
}

/* Ctrl-C (SIGINT) while rfork waits: it gives up cleanly instead of dying with a traced target. */
static int t_interrupted(char *why)
{
    pid_t t = spawn_ready((const char *const[]){ "./t-spinner", "spin", NULL }, -1, NULL, -1);
    char arg[32];
    snprintf(arg, sizeof arg, "%d", (int)t);
    int e = open_out("int.err");
    pid_t c = spawn((const char *const[]){ "./rfork", "-t", "0", arg, NULL }, -1, -1, e);
    CHECK(wait_tracer(t, c, 20000) == 0, "rfork never attached");
    kill(c, SIGINT);
    int st;
    CHECK(reap(c, &st, 20000) == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 1, "rfork status 0x%x", st);
    char *s = slurp(path_of("int.err"));
    CHECK(strstr(s, "cancelled"), "message '%s'", s);
    free(s);
    CHECK(proc_num(t, "TracerPid") == 0 && wait_state(t, "R", 5000) == 0, "target left traced or stopped");
    kill_reap(t);
    return T_PASS;
}

static int t_cli_dup(char *why)
{
    int p[2];
    CHECK(pipe(p) == 0, "pipe");
    int o = open_out("cd.target");
    pid_t t = spawn((const char *const[]){ "./t-counter", NULL }, p[0], o, -1);
    close(p[0]);
    CHECK(write(p[1], "ab", 2) == 2, "write");
    CHECK(wait_lines(path_of("cd.target"), 2, 20000) == 0, "target not counting");
    char arg[32], out[4096], err[4096];
    snprintf(arg, sizeof arg, "%d", (int)t);
    const char *in = make_file("cd.in", "zz");
    int rc = cli(out, err, sizeof out,
                 (const char *const[]){ "-s", "-i", in, "-o", path_of("cd.dup"), "-e", path_of("cd.dup"), arg, NULL });
    CHECK(rc == 0, "rfork exited %d: %s", rc, err);
    char *end;
    long d = strtol(out, &end, 10);
    CHECK(d > 0 && !strcmp(end, "\n"), "output is not a PID line: '%s'", out);
    CHECK(wait_state((pid_t)d, "T", 20000) == 0, "duplicate not stopped");
    kill((pid_t)d, SIGCONT);
    int st;
    CHECK(reap((pid_t)d, &st, 20000) == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "duplicate ended 0x%x", st);
    unsigned h = counter_hash(2166136261u, 0, "ab");
    char want[256], *got = slurp(path_of("cd.dup"));
    snprintf(want, sizeof want, "2 %08x ppid=%d\n3 %08x ppid=%d\neof\n", counter_hash(h, 2, "z"), (int)getpid(),
             counter_hash(h, 2, "zz"), (int)getpid());
    CHECK(!strcmp(got, want), "duplicate printed '%s', expected '%s'", got, want);
    free(got);
    close(p[1]);
    CHECK(reap(t, &st, 20000) == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "target ended 0x%x", st);
    return T_PASS;
}

const struct test cli_tests[] = {
    { "cli-help", t_help },
    { "cli-usage-errors", t_usage_errors },
    { "cli-runtime-errors", t_runtime_errors },
    { "cli-ctrl-c-while-waiting", t_interrupted },
    { "cli-duplicate-stopped-with-files", t_cli_dup },
    { NULL, NULL },
};
