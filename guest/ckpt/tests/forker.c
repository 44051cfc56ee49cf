/* Test program: forks at the moment ckpt checkpoints it. Each step calls handle() (watched)
 * and right after it returns forks a child that calls handle() too (it inherits the parent's
 * memory, breakpoints included, if a tracer forgot them), posix_spawns /bin/true (vfork-like:
 * the child runs in the parent's memory) and, with an argument "exec", the last step execs
 * /bin/true. Writes "result ok N" to OUTFILE when every child exited normally.
 * Usage: forker OUTFILE STEPS [exec] */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;
static long acc;

__attribute__((noinline)) long handle(long i)
{
    acc = acc * 31 + i;
    return acc;
}

int main(int argc, char **argv)
{
    int n = argc > 2 ? atoi(argv[2]) : 50, bad = 0;
    for (int i = 0; i < n; i++) {
        long h = handle(i);
        pid_t c = fork();
        if (c == 0)
            _exit(handle(h) == h * 31 + h ? 0 : 3);
        int st;
        if (c < 0 || waitpid(c, &st, 0) != c || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
            bad++;
        char *av[] = {"true", NULL};
        pid_t s;
        if (posix_spawn(&s, "/bin/true", NULL, NULL, av, environ) != 0 || waitpid(s, &st, 0) != s || !WIFEXITED(st) ||
            WEXITSTATUS(st) != 0)
            bad++;
        usleep(5000);
    }
    FILE *f = fopen(argv[1], "w");
    fprintf(f, "result %s %d %ld\n", bad ? "BAD" : "ok", bad, acc);
    fclose(f);
    if (argc > 3 && !strcmp(argv[3], "exec")) {
        char *av[] = {"true", NULL};
        execv("/bin/true", av);
    }
    return bad != 0;
}
