/* parttrack run: start an unmodified program with the tracking library
 * preloaded; the program and its children (fork, exec) are tracked. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "commands.h"

/* The library next to the CLI (build tree) or in ../lib (installed). */
static int find_lib(char *out, size_t n)
{
	const char *env = getenv("PARTTRACK_LIB");
	if (env) {
		snprintf(out, n, "%s", env);
		return access(out, R_OK) == 0 ? 0 : -1;
	}
	char self[PATH_MAX];
	ssize_t k = readlink("/proc/self/exe", self, sizeof self - 1);
	if (k < 0)
		return -1;
	self[k] = 0;
	char *slash = strrchr(self, '/');
	if (slash)
		*slash = 0;
	const char *cand[] = { "%s/libparttrack.so", "%s/../lib/libparttrack.so", NULL };
	for (int i = 0; cand[i]; i++) {
		snprintf(out, n, cand[i], self);
		char real[PATH_MAX];
		if (access(out, R_OK) == 0 && realpath(out, real)) {
			snprintf(out, n, "%s", real);
			return 0;
		}
	}
	return -1;
}

int cmd_run(int argc, char **argv)
{
	int i = 1;
	while (i < argc && strcmp(argv[i], "--") != 0) {
		if (strcmp(argv[i], "--mode") == 0 && i + 1 < argc) {
			setenv("PARTTRACK_MODE", argv[i + 1], 1);
			i += 2;
		} else {
			break;
		}
	}
	if (i < argc && strcmp(argv[i], "--") == 0)
		i++;
	if (i >= argc) {
		fprintf(stderr, "usage: parttrack run [--mode fast|fenced|syscall] -- PROGRAM [ARGS...]\n");
		return 2;
	}
	char lib[PATH_MAX];
	if (find_lib(lib, sizeof lib) < 0) {
		fprintf(stderr, "parttrack: cannot find libparttrack.so (set PARTTRACK_LIB)\n");
		return 1;
	}
	const char *pre = getenv("LD_PRELOAD");
	char *val = malloc(strlen(lib) + (pre ? strlen(pre) : 0) + 2);
	if (!val)
		return 1;
	sprintf(val, "%s%s%s", lib, pre && *pre ? ":" : "", pre ? pre : "");
	setenv("LD_PRELOAD", val, 1);
	execvp(argv[i], argv + i);
	fprintf(stderr, "parttrack: cannot run '%s': %s\n", argv[i], strerror(errno));
	return 127;
}
