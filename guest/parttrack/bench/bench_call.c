/* Times one cross-object call and return (exe -> libbench.so through the
 * PLT), best of several rounds, and prints nanoseconds per call.
 * A third argument moves the measurement: "fork" into a forked child (whose
 * tracking state the fork handlers rebuilt), "exec" into the image this one
 * execs (tracked afresh by the new image's constructor); "forklat" instead
 * prints the microseconds of one fork + child _exit + waitpid. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int bench_nop(int x);

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static double per_call(long n, int rounds, long *sink)
{
	double best = 1e30;
	for (long i = 0; i < 1000; i++) /* resolve lazy binding, warm caches */
		*sink += bench_nop((int)i);
	for (int r = 0; r < rounds; r++) {
		double t0 = now_ns();
		for (long i = 0; i < n; i++)
			*sink += bench_nop((int)i);
		double t = (now_ns() - t0) / (double)n;
		if (t < best)
			best = t;
	}
	return best;
}

static double fork_us(int rounds)
{
	double best = 1e30;
	for (int r = 0; r < rounds; r++) {
		double t0 = now_ns();
		for (int i = 0; i < 100; i++) {
			pid_t c = fork();
			if (c == 0)
				_exit(0);
			int st;
			waitpid(c, &st, 0);
		}
		double t = (now_ns() - t0) / 100 / 1000;
		if (t < best)
			best = t;
	}
	return best;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 10000000;
	int rounds = argc > 2 ? atoi(argv[2]) : 7;
	const char *mode = argc > 3 ? argv[3] : "";
	long sink = 0;
	if (!strcmp(mode, "forklat")) {
		printf("%.1f\n", fork_us(rounds));
		return 0;
	}
	if (!strcmp(mode, "exec")) {
		sink += bench_nop(1); /* tracked calls in the first image too */
		execl("/proc/self/exe", argv[0], argv[1], argv[2], (char *)NULL);
		perror("exec");
		return 1;
	}
	if (!strcmp(mode, "fork")) {
		sink += bench_nop(1);
		pid_t c = fork();
		if (c > 0) {
			int st;
			waitpid(c, &st, 0);
			return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
		}
	}
	printf("%.3f\n", per_call(n, rounds, &sink));
	fflush(stdout);
	return sink == 42 ? 1 : 0;
}
