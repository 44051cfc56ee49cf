/* Multi-threaded load for swap-under-load: each thread calls foo_work until told to stop and
 * tallies which library version answered, so the driver can check the
 * tracker's per-object counts against the program's own. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "libfoo.h"

static atomic_int stop;
static atomic_long by_version[3], bad;

static void *worker(void *arg)
{
	long v[3] = { 0, 0, 0 };
	(void)arg;
	for (long i = 0; !atomic_load_explicit(&stop, memory_order_relaxed); i++) {
		int r = foo_work((int)(i & 1023));
		int ver = r / 1000000;
		if (ver < 1 || ver > 2 || r % 1000000 != (int)(i & 1023) + 1)
			atomic_fetch_add(&bad, 1);
		else
			v[ver]++;
	}
	atomic_fetch_add(&by_version[1], v[1]);
	atomic_fetch_add(&by_version[2], v[2]);
	return NULL;
}

int main(int argc, char **argv)
{
	int nthreads = argc > 1 ? atoi(argv[1]) : 4;
	(void)argv;
	pthread_t th[64];
	char line[64];
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ready\n");
	if (!fgets(line, sizeof line, stdin)) /* go */
		return 1;
	for (int i = 0; i < nthreads && i < 64; i++)
		pthread_create(&th[i], NULL, worker, NULL);
	if (!fgets(line, sizeof line, stdin)) /* stop */
		return 1;
	atomic_store(&stop, 1);
	for (int i = 0; i < nthreads && i < 64; i++)
		pthread_join(th[i], NULL);
	printf("result v1=%ld v2=%ld bad=%ld total=%ld\n", (long)by_version[1], (long)by_version[2],
	       (long)bad, (long)by_version[1] + (long)by_version[2]);
	if (!fgets(line, sizeof line, stdin)) /* quit */
		return 0;
	return 0;
}
