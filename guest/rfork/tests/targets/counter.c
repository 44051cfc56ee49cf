/* Test target: one step per byte read from stdin (blocking read on a pipe), printing the
 * step number, a running hash of the whole history, and its parent. EOF ends it cleanly;
 * any read error (an EINTR leaking out of the duplication) is reported and fatal. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
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
