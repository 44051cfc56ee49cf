/* Test target, says "ready" once started. "spin": computes forever without a single system call (the timeout case).
 * "loop": issues getpid in a tight loop; a copy notices its new PID, says so on stdout and
 * exits, while the original checks that getpid/getppid never change under it. */
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    long me = syscall(SYS_getpid), parent = syscall(SYS_getppid);
    /* Tests wait for this line: before it, the process may still be in exec or libc start-up
     * (and a copy made at the getpid above would take its own PID for the original's). */
    if (write(1, "ready\n", 6) != 6)
        return 4;
    if (argc > 1 && !strcmp(argv[1], "spin")) {
        volatile unsigned long n = 0;
        for (;;)
            n++;
    }
    for (;;) {
        long p = syscall(SYS_getpid);
        if (p != me) {
            char buf[64];
            int n = snprintf(buf, sizeof buf, "dup %ld ppid %ld\n", p, (long)syscall(SYS_getppid));
            if (write(1, buf, (size_t)n) != n)
                _exit(4);
            _exit(0);
        }
        if (syscall(SYS_getppid) != parent) {
            if (write(2, "ERROR ppid changed\n", 19) < 0)
                _exit(5);
            _exit(3);
        }
    }
}
