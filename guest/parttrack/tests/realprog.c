/* Test program for the real-program matrix: each mode exercises one way a
 * program leaves the simple call/return path while calls into libfoo/libbar
 * are tracked.  Prints "<mode> ok ..." when every result it checked is right,
 * so the test driver checks the program's own output. */
#include <dlfcn.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>
#include "libfoo.h"

extern char **environ;

static int work_ok(int n)
{
	return foo_work(n) % 1000000 == n + 1;
}

/* a binary tree of forked processes, each making tracked calls and forking again */
static int tree(int depth)
{
	int bad = !work_ok(depth);
	if (depth == 0)
		return bad;
	for (int k = 0; k < 2; k++) {
		pid_t c = fork();
		if (c < 0)
			return 1;
		if (c == 0)
			exit(tree(depth - 1));
		int st;
		if (waitpid(c, &st, 0) != c || !WIFEXITED(st) || WEXITSTATUS(st))
			bad = 1;
	}
	return bad || !work_ok(depth);
}

static volatile int stop_threads;
static void *caller(void *arg)
{
	long bad = 0;
	(void)arg;
	while (!stop_threads)
		bad += !work_ok(7);
	return (void *)bad;
}

/* forks while other threads are inside tracked calls: a child must not see a
 * half-made copy of the state (it would abort on its first return) */
static int fork_under_threads(void)
{
	pthread_t th[3];
	for (int i = 0; i < 3; i++)
		pthread_create(&th[i], NULL, caller, NULL);
	int bad = 0;
	for (int i = 0; i < 60; i++) {
		pid_t c = fork();
		if (c == 0)
			exit(tree(1));
		int st;
		if (waitpid(c, &st, 0) != c || !WIFEXITED(st) || WEXITSTATUS(st))
			bad++;
		bad += !work_ok(i);
	}
	stop_threads = 1;
	for (int i = 0; i < 3; i++) {
		void *r;
		pthread_join(th[i], &r);
		bad += (int)(long)r;
	}
	return bad;
}

static int run_wait(pid_t c)
{
	int st;
	return c > 0 && waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
}

/* posix_spawn (clone(CLONE_VM|CLONE_VFORK) inside glibc), vfork+exec, and a
 * vfork child that makes a tracked call before _exit (it runs on the parent's
 * memory and thread record) */
static int spawns(const char *self)
{
	volatile int bad = 0;
	pid_t c;
	char *a1[] = { "/bin/echo", "spawned", NULL };
	bad += posix_spawn(&c, a1[0], NULL, NULL, a1, environ) != 0 || run_wait(c);
	char *a2[] = { (char *)self, "nested", "1", NULL };
	bad += posix_spawn(&c, self, NULL, NULL, a2, environ) != 0 || run_wait(c);
	fflush(stdout);
	c = vfork();
	if (c == 0) {
		execl("/bin/echo", "echo", "vforked", (char *)NULL);
		_exit(127);
	}
	bad += run_wait(c);
	c = vfork();
	if (c == 0)
		_exit(work_ok(3) ? 0 : 1);
	bad += run_wait(c);
	for (int i = 0; i < 10; i++)
		bad += !work_ok(i);
	return bad;
}

static volatile sig_atomic_t handled, handler_bad;
static void on_alarm(int sig)
{
	(void)sig;
	handled++;
	if (!work_ok(11))
		handler_bad++;
}

/* tracked calls from a signal handler that interrupts tracked calls */
static int signals(void)
{
	struct sigaction sa = { .sa_handler = on_alarm, .sa_flags = SA_RESTART };
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = { { 0, 200 }, { 0, 200 } };
	setitimer(ITIMER_REAL, &it, NULL);
	int bad = 0;
	time_t end = time(NULL) + 10;
	for (int i = 0; handled < 2000 && (i & 0xffff || time(NULL) < end); i++)
		bad += !work_ok(i % 1000);
	struct itimerval off = { { 0, 0 }, { 0, 0 } };
	setitimer(ITIMER_REAL, &off, NULL);
	if (bad || handler_bad || handled < 2000)
		printf("signal: %d wrong results, %d wrong in handler, %d signals handled\n", bad, (int)handler_bad, (int)handled);
	return bad + handler_bad + (handled < 2000);
}

static sigjmp_buf jb;
static void on_alarm_jump(int sig)
{
	(void)sig;
	siglongjmp(jb, 1);
}

/* siglongjmp out of a handler that interrupted a tracked call (foo_sleep) */
static int sigjumps(void)
{
	struct sigaction sa = { .sa_handler = on_alarm_jump };
	sigaction(SIGALRM, &sa, NULL);
	volatile int jumped = 0;
	for (volatile int i = 0; i < 3; i++) {
		if (sigsetjmp(jb, 1) == 0) {
			struct itimerval it = { { 0, 0 }, { 0, 20000 } };
			setitimer(ITIMER_REAL, &it, NULL);
			foo_sleep(5);
		} else {
			jumped++;
		}
	}
	return (jumped != 3) + !work_ok(5);
}

static int dlloop(void)
{
	int bad = 0;
	for (int i = 0; i < 200; i++) {
		void *h = dlopen(getenv("PLUG"), RTLD_NOW);
		int (*run)(int) = h ? (int (*)(int))dlsym(h, "plug_run") : NULL;
		bad += !run || run(i) != 2 * (i + 1);
		if (h)
			dlclose(h);
	}
	return bad;
}

/* parent and child each dlopen the plug-in after the fork, child first: both
 * create a binding at the same index, whose stub must be private to each (a
 * stub memfd shared with the parent had the child call through the parent's
 * binding pointer) */
static int fork_dlopen(void)
{
	int up[2], down[2];
	if (pipe(up) || pipe(down))
		return 1;
	pid_t c = fork();
	if (c == 0) {
		char b;
		void *junk[64]; /* the child's heap differs from the parent's, in every size class */
		for (int i = 0; i < 64; i++)
			junk[i] = malloc((size_t)(16 + 16 * i));
		void *h = dlopen(getenv("PLUG"), RTLD_NOW);
		int (*run)(int) = h ? (int (*)(int))dlsym(h, "plug_run") : NULL;
		int bad = !run || run(1) != 4;
		if (write(up[1], "x", 1) != 1 || read(down[0], &b, 1) != 1)
			bad = 1;
		for (int i = 0; run && i < 100; i++)
			bad += run(i) != 2 * (i + 1);
		for (int i = 0; i < 64; i++)
			free(junk[i]);
		exit(bad ? 1 : 0);
	}
	char b;
	int bad = read(up[0], &b, 1) != 1;
	void *h = dlopen(getenv("PLUG"), RTLD_NOW);
	int (*run)(int) = h ? (int (*)(int))dlsym(h, "plug_run") : NULL;
	for (int i = 0; run && i < 100; i++)
		bad += run(i) != 2 * (i + 1);
	bad += !run || write(down[1], "x", 1) != 1;
	return bad + run_wait(c);
}

/* prints this process's own tracked state through the CLI (popen: posix_spawn) */
static void self_status(void)
{
	const char *cli = getenv("PT_CLI");
	if (!cli)
		return;
	char cmd[4096], line[1024];
	snprintf(cmd, sizeof cmd, "%s status %d", cli, getpid());
	fflush(stdout);
	FILE *p = popen(cmd, "r");
	while (p && fgets(line, sizeof line, p))
		if (strncmp(line, "thread ", 7) == 0)
			printf("self %s", line);
	if (p)
		pclose(p);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	const char *m = argc > 1 ? argv[1] : "";
	int bad;
	if (strcmp(m, "nested") == 0)
		bad = tree(argc > 2 ? atoi(argv[2]) : 3);
	else if (strcmp(m, "forkthreads") == 0)
		bad = fork_under_threads();
	else if (strcmp(m, "spawn") == 0)
		bad = spawns(argv[0]);
	else if (strcmp(m, "signal") == 0)
		bad = signals();
	else if (strcmp(m, "sigjmp") == 0)
		bad = sigjumps();
	else if (strcmp(m, "dlloop") == 0)
		bad = dlloop();
	else if (strcmp(m, "forkdl") == 0)
		bad = fork_dlopen();
	else {
		fprintf(stderr, "usage: realprog nested [D]|forkthreads|spawn|signal|sigjmp|dlloop|forkdl\n");
		return 2;
	}
	if (!bad)
		self_status();
	printf("%s %s\n", m, bad ? "FAILED" : "ok");
	return bad ? 1 : 0;
}
