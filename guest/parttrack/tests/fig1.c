/* Test program "part X": obeys one command per line on stdin so the test
 * driver can put it in each state of the paper's Figure 1 and look. */
#include <dlfcn.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "libfoo.h"

int main(int argc, char **argv)
{
	char line[256];
	(void)argc;
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ready %d\n", getpid());
	while (fgets(line, sizeof line, stdin)) {
		line[strcspn(line, "\n")] = 0;
		if (strcmp(line, "quit") == 0) {
			break;
		} else if (strcmp(line, "version") == 0) {
			printf("version %d\n", foo_version());
		} else if (strncmp(line, "work ", 5) == 0) {
			int n = atoi(line + 5), sum = 0;
			for (int i = 0; i < n; i++)
				sum = foo_work(i) % 1000000;
			printf("work %d %d\n", foo_work(0) / 1000000, sum);
		} else if (strcmp(line, "y") == 0) {
			foo_park();
			printf("done y\n");
		} else if (strcmp(line, "yz") == 0) {
			foo_two_phase();
			printf("done yz\n");
		} else if (strcmp(line, "recurse") == 0) {
			printf("recurse %d\n", foo_recurse(20));
		} else if (strcmp(line, "jmp") == 0) {
			jmp_buf env;
			int v = setjmp(env);
			if (v == 0)
				foo_jump(&env);
			printf("jumped %d\n", v);
		} else if (strcmp(line, "fork") == 0) {
			pid_t c = fork();
			if (c == 0) {
				foo_sleep(20);
				_exit(0);
			}
			printf("child %d\n", c);
		} else if (strcmp(line, "exec") == 0) {
			fflush(stdout);
			execv("/proc/self/exe", argv);
			printf("exec failed\n");
		} else if (strcmp(line, "dlopen") == 0) {
			void *h = dlopen(getenv("PLUG"), RTLD_NOW);
			int (*run)(int) = h ? (int (*)(int))dlsym(h, "plug_run") : NULL;
			printf("plug %d\n", run ? run(1) : -1);
		} else {
			printf("unknown %s\n", line);
		}
	}
	return 0;
}
