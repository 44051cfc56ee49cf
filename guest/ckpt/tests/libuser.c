/* Test program: a PIE linked against the test library libckdemo.so; work() is watched.
 * Usage: libuser OUTFILE STEPS */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
int ckdemo_mix(int x);
static long acc;
__attribute__((noinline)) void work(int i) { acc += ckdemo_mix(i); }
int main(int argc, char **argv)
{
    int n = argc > 2 ? atoi(argv[2]) : 100;
    for (int i = 0; i < n; i++) {
        work(i);
        usleep(2000);
    }
    FILE *f = fopen(argv[1], "w");
    fprintf(f, "acc %ld\n", acc);
    fclose(f);
    return 0;
}
