/* Times one cross-object call and return (exe -> libbench.so through the
 * PLT), best of several rounds, and prints nanoseconds per call. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int bench_nop(int x);

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 10000000;
	int rounds = argc > 2 ? atoi(argv[2]) : 7;
	double best = 1e30;
	long sink = 0;
	for (long i = 0; i < 1000; i++) /* resolve lazy binding, warm caches */
		sink += bench_nop((int)i);
	for (int r = 0; r < rounds; r++) {
		double t0 = now_ns();
		for (long i = 0; i < n; i++)
			sink += bench_nop((int)i);
		double t = (now_ns() - t0) / (double)n;
		if (t < best)
			best = t;
	}
	printf("%.3f\n", best);
	return sink == 42 ? 1 : 0;
}
