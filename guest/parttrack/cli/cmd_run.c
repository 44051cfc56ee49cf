/* parttrack run: start an unmodified program with the tracking library
 * preloaded; the program and its children (fork, exec) are tracked. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

/* PATH search as execvp does it; 0 and the path in out when found. */
static int find_prog(const char *prog, char *out, size_t n)
{
	if (strchr(prog, '/')) {
		snprintf(out, n, "%s", prog);
		return access(out, X_OK);
	}
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t l = strcspn(path, ":");
		snprintf(out, n, "%.*s%s%s", (int)l, path, l ? "/" : "", prog);
		if (access(out, X_OK) == 0)
			return 0;
		path += l + (path[l] == ':');
	}
	return -1;
}

/* Why the loader will not preload us into prog, or NULL: a static executable
 * has no loader, and a set-id one runs in secure mode, which ignores LD_PRELOAD
 * paths.  Scripts are fine: their interpreter is what runs. */
static const char *why_untrackable(const char *prog)
{
	int fd = open(prog, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL; /* execvp reports it */
	struct stat st;
	Elf64_Ehdr eh;
	const char *why = NULL;
	if (fstat(fd, &st) == 0 && ((st.st_mode & S_ISUID && st.st_uid != geteuid()) ||
				    (st.st_mode & S_ISGID && st.st_gid != getegid())))
		why = "is set-user-ID or set-group-ID (the loader ignores LD_PRELOAD for it)";
	else if (pread(fd, &eh, sizeof eh, 0) == (ssize_t)sizeof eh && memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0) {
		int interp = 0;
		if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_X86_64) {
			why = "is not an x86-64 program";
		} else {
			for (int i = 0; i < eh.e_phnum; i++) {
				Elf64_Phdr ph;
				if (pread(fd, &ph, sizeof ph, (off_t)(eh.e_phoff + (uint64_t)i * eh.e_phentsize)) !=
				    (ssize_t)sizeof ph)
					break;
				if (ph.p_type == PT_INTERP)
					interp = 1;
			}
			if (!interp)
				why = "is statically linked (no dynamic loader, so nothing can be preloaded or tracked)";
		}
	}
	close(fd);
	return why;
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
	char prog[PATH_MAX];
	const char *why = find_prog(argv[i], prog, sizeof prog) == 0 ? why_untrackable(prog) : NULL;
	if (why) {
		fprintf(stderr, "parttrack: refused: %s %s\n", prog, why);
		free(val);
		return 1;
	}
	setenv("LD_PRELOAD", val, 1);
	execvp(argv[i], argv + i);
	fprintf(stderr, "parttrack: cannot run '%s': %s\n", argv[i], strerror(errno));
	return 127;
}
