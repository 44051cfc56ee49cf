/* Test target. "spin": computes forever without a single system call (the timeout case).
 * "loop": issues getpid in a tight loop; a copy notices its new PID, says so on stdout and
 * exits, while the original checks that getpid/getppid never change under it. */
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "spin")) {
        volatile unsigned long n = 0;
        for (;;)
            n++;
    }
    long me = syscall(SYS_getpid), parent = syscall(SYS_getppid);
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
