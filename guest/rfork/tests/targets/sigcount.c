/* Test target: counts SIGRTMIN deliveries (queued, so none may be lost) while looping on
 * 1 ms sleeps; on SIGTERM prints the count and its history checksum and exits. With argv[1]
 * "seccomp" it first installs an allow-everything seccomp filter. */
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t count, done;

static void on_rt(int s) { (void)s; count++; }
static void on_term(int s) { (void)s; done = 1; }

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "seccomp")) {
        struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
        struct sock_fprog prog = { 1, &allow };
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
            return 2;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_rt;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGRTMIN, &sa, NULL);
    sa.sa_handler = on_term;
    sigaction(SIGTERM, &sa, NULL);
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("ready\n");
    unsigned long loops = 0;
    while (!done) {
        struct timespec d = { 0, 1000000 };
        nanosleep(&d, NULL);
        loops++;
    }
    printf("count %d\n", (int)count);
    return 0;
}
