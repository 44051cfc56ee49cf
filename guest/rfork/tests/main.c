/* Test runner: each test in a child of its own (own process group, alarm), so a crash or a
 * hang is one FAIL line rather than a dead suite, and its stray processes die with it. */
#include "test.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define TEST_LIMIT_S 60

static int run_one(const struct test *t, char *why)
{
    char *shared = mmap(NULL, WHYLEN, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    shared[0] = 0;
    pid_t p = fork();
    if (p == 0) {
        setpgid(0, 0);
        alarm(TEST_LIMIT_S);
        int r = t->fn(shared);
        fflush(NULL);
        _exit(r);
    }
    setpgid(p, p);
    int st;
    while (waitpid(p, &st, 0) < 0 && errno == EINTR)
        ;
    kill(-p, SIGKILL); /* targets and duplicates the test left behind */
    int r;
    if (WIFEXITED(st) && WEXITSTATUS(st) <= T_SKIP) {
        r = WEXITSTATUS(st);
        snprintf(why, WHYLEN, "%s", shared[0] ? shared : "no reason given");
    } else {
        r = T_FAIL;
        if (WIFSIGNALED(st))
            snprintf(why, WHYLEN, "test process died of signal %d%s", WTERMSIG(st),
                     WTERMSIG(st) == SIGALRM ? " (over the time limit)" : "");
        else
            snprintf(why, WHYLEN, "test process exited %d", WEXITSTATUS(st));
    }
    munmap(shared, WHYLEN);
    return r;
}

int main(int argc, char **argv)
{
    /* The targets are found next to this binary, wherever it is started from. */
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        self[n] = 0;
        *strrchr(self, '/') = 0;
        if (chdir(self) < 0)
            perror("chdir");
    }
    const struct test *suites[] = { dup_tests, refuse_tests, signal_tests, cli_tests, real_tests };
    snprintf(test_dir, sizeof test_dir, "/tmp/rfork-test.XXXXXX");
    if (!mkdtemp(test_dir)) {
        perror("mkdtemp");
        return 1;
    }
    chmod(test_dir, 0755);
    setvbuf(stdout, NULL, _IOLBF, 0);
    int pass = 0, fail = 0, skip = 0;
    for (size_t s = 0; s < sizeof suites / sizeof suites[0]; s++)
        for (const struct test *t = suites[s]; t->name; t++) {
            if (argc > 1 && !strstr(t->name, argv[1]))
                continue;
            char why[WHYLEN];
            int r = run_one(t, why);
            if (r == T_PASS) {
                printf("PASS: %s\n", t->name);
                pass++;
            } else if (r == T_SKIP) {
                printf("SKIP: %s: %s\n", t->name, why);
                skip++;
            } else {
                printf("FAIL: %s: %s\n", t->name, why);
                fail++;
            }
        }
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", test_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", test_dir);
    printf("%d passed, %d failed, %d skipped\n", pass, fail, skip);
    return fail ? 1 : 0;
}
