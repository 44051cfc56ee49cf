/* Test target: one step per byte read from stdin (blocking read on a pipe), printing the
 * step number, a running hash of the whole history, and its parent. EOF ends it cleanly;
 * any read error (an EINTR leaking out of the duplication) is reported and fatal.
 * argv[1] "block-trap" / "ignore-trap": block / ignore SIGTRAP first. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "block-trap")) {
        sigset_t s;
        sigemptyset(&s);
        sigaddset(&s, SIGTRAP);
        sigprocmask(SIG_BLOCK, &s, NULL);
    } else if (argc > 1 && !strcmp(argv[1], "ignore-trap")) {
        signal(SIGTRAP, SIG_IGN);
    }
    unsigned h = 2166136261u;
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (int i = 0;; i++) {
        char b;
        ssize_t n = read(0, &b, 1);
        if (n == 0) {
            printf("eof\n");
            return 0;
        }
        if (n < 0) {
            printf("ERROR read: %s\n", strerror(errno));
            return 3;
        }
        h = (h ^ (unsigned)i ^ (unsigned char)b) * 16777619u;
        printf("%d %08x ppid=%d\n", i, h, (int)getppid());
    }
}
