/* Runner for the host unit tests: `build/tests/unit [filter]` runs every registered
 * test whose name contains filter. Each test runs in a forked child with a time
 * limit, so a crash, a hang or a sanitizer report fails that test alone; set
 * HS_UNIT_NOFORK=1 to run tests in-process (for a debugger). */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"

#define TEST_TIMEOUT_S 30

/* UBSan only prints by default; make undefined behaviour end the child so the test fails. */
__attribute__((used)) const char *__ubsan_default_options(void)
{
    return "halt_on_error=1:print_stacktrace=1";
}

static struct hs_test *head, **tail = &head;
static int fail_fd = -1;          /* child: where failure lines go */
static unsigned n_failures;       /* failures of the running test */
static char first_failure[512];   /* in-process mode */

void hs_register(struct hs_test *t)
{
    for (struct hs_test *o = head; o; o = o->next)
        if (!strcmp(o->name, t->name)) {
            fprintf(stderr, "unit: duplicate test name '%s' (%s and %s)\n", t->name, o->file, t->file);
            exit(2);
        }
    t->next = NULL;
    *tail = t;
    tail = &t->next;
}

unsigned hs_failures(void) { return n_failures; }

void hs_fail(const char *file, int line, const char *fmt, ...)
{
    char msg[480], out[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    /* One line per failure: the verdict line must stay a single line. */
    for (char *p = msg; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    const char *base = strrchr(file, '/');
    int n = snprintf(out, sizeof(out), "%s:%d: %s\n", base ? base + 1 : file, line, msg);
    if (n < 0 || n >= (int)sizeof(out)) {
        n = (int)sizeof(out) - 1;
        out[n - 1] = '\n';
    }
    if (n_failures++ == 0) {
        memcpy(first_failure, out, (size_t)n - 1);
        first_failure[n - 1] = 0;
    }
    if (fail_fd >= 0) {
        for (int done = 0; done < n;) {
            ssize_t w = write(fail_fd, out + done, (size_t)(n - done));
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                break;
            done += (int)w;
        }
    }
}

void hs_check_eq(const char *file, int line, const char *a_expr, const char *b_expr, uint64_t a, uint64_t b)
{
    if (a != b)
        hs_fail(file, line, "CHECK_EQ(%s, %s) failed: %lld (0x%llx) != %lld (0x%llx)", a_expr, b_expr, (long long)a,
                (unsigned long long)a, (long long)b, (unsigned long long)b);
}

void hs_check_streq(const char *file, int line, const char *a_expr, const char *b_expr, const char *a, const char *b)
{
    if (a == b || (a && b && !strcmp(a, b)))
        return;
    hs_fail(file, line, "CHECK_STREQ(%s, %s) failed: \"%s\" != \"%s\"", a_expr, b_expr, a ? a : "(NULL)",
            b ? b : "(NULL)");
}

void hs_check_contains(const char *file, int line, const char *expr, const char *hay, const char *needle)
{
    if (hay && strstr(hay, needle))
        return;
    hs_fail(file, line, "CHECK_CONTAINS(%s) failed: \"%s\" does not contain \"%s\"", expr, hay ? hay : "(NULL)",
            needle);
}

void hs_check_mem(const char *file, int line, const char *a_expr, const char *b_expr, const void *a, const void *b,
                  size_t n)
{
    const unsigned char *x = a, *y = b;
    for (size_t i = 0; i < n; i++)
        if (x[i] != y[i]) {
            hs_fail(file, line, "CHECK_MEM(%s, %s, %zu) failed: byte %zu is 0x%02x, expected 0x%02x", a_expr, b_expr,
                    n, i, x[i], y[i]);
            return;
        }
}

/* Runs t in a child; returns 1 if it passed. */
static int run_forked(const struct hs_test *t)
{
    int pfd[2];
    if (pipe(pfd)) {
        printf("FAIL: unit/%s: cannot create a pipe: %s\n", t->name, strerror(errno));
        return 0;
    }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        printf("FAIL: unit/%s: cannot fork: %s\n", t->name, strerror(errno));
        close(pfd[0]);
        close(pfd[1]);
        return 0;
    }
    if (pid == 0) {
        close(pfd[0]);
        fail_fd = pfd[1];
        alarm(TEST_TIMEOUT_S);
        t->fn();
        exit(0);
    }
    close(pfd[1]);
    /* Collect the child's failure lines until it closes the pipe (exits or dies). */
    char buf[4096], first[512] = "";
    size_t have = 0;
    unsigned lines = 0;
    for (;;) {
        ssize_t r = read(pfd[0], buf + have, sizeof(buf) - 1 - have);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        have += (size_t)r;
        buf[have] = 0;
        char *nl;
        while ((nl = memchr(buf, '\n', have))) {
            *nl = 0;
            if (lines++ == 0) {
                size_t l = strlen(buf) < sizeof(first) - 1 ? strlen(buf) : sizeof(first) - 1;
                memcpy(first, buf, l);
                first[l] = 0;
            }
            size_t used = (size_t)(nl - buf) + 1;
            memmove(buf, nl + 1, have - used);
            have -= used;
        }
        if (have == sizeof(buf) - 1) /* an absurdly long line: drop it */
            have = 0;
    }
    close(pfd[0]);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    char crash[160] = "";
    if (WIFSIGNALED(st)) {
        int sig = WTERMSIG(st);
        if (sig == SIGALRM)
            snprintf(crash, sizeof(crash), "timed out after %d s", TEST_TIMEOUT_S);
        else
            snprintf(crash, sizeof(crash), "crashed with signal %d (%s)", sig, strsignal(sig));
    } else if (WIFEXITED(st) && WEXITSTATUS(st) != 0) {
        snprintf(crash, sizeof(crash), "exited with status %d (a sanitizer report is on stderr)", WEXITSTATUS(st));
    }
    if (!lines && !crash[0]) {
        printf("PASS: unit/%s\n", t->name);
        return 1;
    }
    printf("FAIL: unit/%s: ", t->name);
    if (lines)
        printf("%s%s", first, lines > 1 || crash[0] ? "" : "\n");
    if (lines > 1)
        printf(" (+%u more failed checks)%s", lines - 1, crash[0] ? "" : "\n");
    if (crash[0])
        printf("%s%s\n", lines ? "; then " : "", crash);
    return 0;
}

static int run_inprocess(const struct hs_test *t)
{
    n_failures = 0;
    first_failure[0] = 0;
    t->fn();
    if (!n_failures) {
        printf("PASS: unit/%s\n", t->name);
        return 1;
    }
    printf("FAIL: unit/%s: %s", t->name, first_failure);
    if (n_failures > 1)
        printf(" (+%u more failed checks)", n_failures - 1);
    printf("\n");
    return 0;
}

int main(int argc, char **argv)
{
    const char *filter = argc > 1 ? argv[1] : NULL;
    int nofork = getenv("HS_UNIT_NOFORK") && strcmp(getenv("HS_UNIT_NOFORK"), "0");
    unsigned passed = 0, failed = 0;
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (struct hs_test *t = head; t; t = t->next) {
        if (filter && !strstr(t->name, filter))
            continue;
        if (nofork ? run_inprocess(t) : run_forked(t))
            passed++;
        else
            failed++;
    }
    if (filter && !passed && !failed) {
        printf("FAIL: unit/filter: no test name contains '%s'\n", filter);
        failed++;
    }
    printf("%u passed, %u failed\n", passed, failed);
    return failed ? 1 : 0;
}
