/* Test target: the counter of counter.c on its main thread, plus a second thread that only
 * sleeps, so the process has two threads. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void *idle(void *arg)
{
    (void)arg;
    for (;;)
        pause();
    return NULL;
}

int main(void)
{
    pthread_t t;
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (pthread_create(&t, NULL, idle, NULL))
        return 2;
    printf("ready\n");
    unsigned h = 2166136261u;
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
        printf("%d %08x\n", i, h);
    }
}
