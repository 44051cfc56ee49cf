/* Opens a tracked process's state file and checks that it really belongs to
 * the live process with that pid (not a leftover of a dead one). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "proctree.h"
#include "pt_proc.h"
#include "shmview.h"

const char *pt_basename(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

#define SAY(...) do { if (!quiet) fprintf(stderr, __VA_ARGS__); } while (0)

static struct pt_header *view_open(const char *pid_arg, int rw, int *pid_out, int quiet)
{
	char *end;
	long pid = strtol(pid_arg, &end, 10);
	if (!*pid_arg || *end || pid <= 0 || pid > 0x3fffffff) {
		SAY("parttrack: '%s' is not a process id\n", pid_arg);
		return NULL;
	}
	if (kill((pid_t)pid, 0) < 0 && errno == ESRCH) {
		SAY("parttrack: no process %ld\n", pid);
		return NULL;
	}
	char path[128];
	pt_shm_path(path, sizeof path, (int)pid);
	int fd = open(path, (rw ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (fd < 0) {
		SAY("parttrack: process %ld is not tracked (%s: %s); start it with 'parttrack run'\n",
			pid, path, strerror(errno));
		return NULL;
	}
	void *m = mmap(NULL, PT_SHM_SIZE, rw ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (m == MAP_FAILED) {
		SAY("parttrack: cannot map %s: %s\n", path, strerror(errno));
		return NULL;
	}
	struct pt_header *h = m;
	if (__atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) != PT_MAGIC || h->pid != (uint32_t)pid) {
		SAY("parttrack: %s is not a state file of process %ld (still starting?)\n", path, pid);
		munmap(m, PT_SHM_SIZE);
		return NULL;
	}
	uint64_t st = pt_proc_start_time((int)pid);
	if (h->start_time && st && st != h->start_time) {
		SAY("parttrack: %s was left by an earlier process %ld; the current one is not tracked\n",
			path, pid);
		munmap(m, PT_SHM_SIZE);
		return NULL;
	}
	/* exec keeps pid and start time but drops the mapping: an image that is not
	 * tracked (static, or LD_PRELOAD removed) leaves the old image's file behind */
	if (pt_proc_maps_file((int)pid, path) == 0) {
		SAY("parttrack: process %ld is not tracked: %s was left by an image it replaced by exec\n",
		    pid, path);
		munmap(m, PT_SHM_SIZE);
		return NULL;
	}
	if (pid_out)
		*pid_out = (int)pid;
	return h;
}

struct pt_header *pt_view_open(const char *pid_arg, int rw, int *pid_out)
{
	return view_open(pid_arg, rw, pid_out, 0);
}

struct pt_header *pt_view_open_quiet(const char *pid_arg)
{
	return view_open(pid_arg, 0, NULL, 1);
}

void pt_view_close(struct pt_header *h)
{
	if (h)
		munmap(h, PT_SHM_SIZE);
}
