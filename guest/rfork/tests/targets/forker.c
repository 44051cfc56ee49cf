/* Test target that is nearly always inside fork/vfork/wait: each round it
 * starts a child (fork, then posix_spawn of /bin/true, alternately), waits for
 * it and checks its exit status; every 50 rounds it prints "round N". A copy
 * made while the original waited for a child re-issues that wait but has no
 * children (as after fork): it says "echild" once and goes on. Wrong statuses
 * are reported as "ERROR". */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("ready\n");
    int echild_said = 0;
    for (long i = 1;; i++) {
        pid_t c;
        int want = (int)(i & 0x3f);
        if (i & 1) {
            c = fork();
            if (c == 0)
                _exit(want);
        } else {
            char *argv[] = { "/bin/true", NULL };
            want = 0;
            if (posix_spawn(&c, argv[0], NULL, NULL, argv, environ) != 0)
                c = -1;
        }
        if (c < 0) {
            printf("ERROR fork: %s\n", strerror(errno));
            return 3;
        }
        int st;
        pid_t r;
        while ((r = waitpid(c, &st, 0)) < 0 && errno == EINTR)
            ;
        if (r < 0 && errno == ECHILD) {
            if (!echild_said++)
                printf("echild\n");
            continue;
        }
        if (r != c || !WIFEXITED(st) || WEXITSTATUS(st) != want) {
            printf("ERROR round %ld: waitpid %d status %#x want exit %d\n", i, (int)r, st, want);
            return 3;
        }
        if (i % 50 == 0)
            printf("round %ld\n", i);
    }
}
