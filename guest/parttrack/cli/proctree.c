/* Process tree helpers for `list -t` and `status -r`: parents come from
 * /proc/PID/stat, tracked processes from the state files in /dev/shm. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "proctree.h"
#include "shmview.h"

int pt_proc_ppid(int pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	char *p = strrchr(buf, ')'); /* comm may hold spaces and parentheses */
	int ppid;
	if (!p || sscanf(p + 1, " %*c %d", &ppid) != 1)
		return -1;
	return ppid;
}

int pt_proc_maps_file(int pid, const char *path)
{
	char mp[64], line[4096];
	snprintf(mp, sizeof mp, "/proc/%d/maps", pid);
	FILE *f = fopen(mp, "re");
	if (!f)
		return -1;
	int found = 0;
	size_t pl = strlen(path);
	while (!found && fgets(line, sizeof line, f)) {
		char *p = strchr(line, '/');
		if (p && strncmp(p, path, pl) == 0 && (p[pl] == '\n' || p[pl] == ' ' || !p[pl]))
			found = 1;
	}
	int err = ferror(f);
	fclose(f);
	return err ? -1 : found;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

int pt_tracked_pids(int *out, int max)
{
	DIR *d = opendir("/dev/shm");
	if (!d)
		return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < max) {
		const char *p = e->d_name;
		if (strncmp(p, "parttrack.", 10) != 0 || !p[10] || strspn(p + 10, "0123456789") != strlen(p + 10))
			continue;
		struct pt_header *h = pt_view_open_quiet(p + 10);
		if (!h) {
			/* a process killed by a signal cannot remove its own file */
			if (kill(atoi(p + 10), 0) < 0 && errno == ESRCH)
				unlinkat(dirfd(d), p, 0);
			continue;
		}
		out[n++] = (int)h->pid;
		pt_view_close(h);
	}
	closedir(d);
	qsort(out, (size_t)n, sizeof *out, cmp_int);
	return n;
}

int pt_proc_is_ancestor(int anc, int pid)
{
	for (int i = 0; i < 4096 && pid > 1; i++) {
		pid = pt_proc_ppid(pid);
		if (pid == anc)
			return 1;
	}
	return 0;
}

/* nearest listed ancestor of pids[i], or -1 */
static int listed_parent(const int *pids, int n, int i)
{
	int p = pids[i];
	for (int k = 0; k < 4096 && p > 1; k++) {
		p = pt_proc_ppid(p);
		for (int j = 0; j < n; j++)
			if (pids[j] == p)
				return j;
	}
	return -1;
}

static void walk(const int *pids, const int *par, int n, int node, int dep, int *out, int *odep, int *k)
{
	for (int i = 0; i < n; i++)
		if (par[i] == node) {
			out[*k] = pids[i];
			odep[(*k)++] = dep;
			walk(pids, par, n, i, dep + 1, out, odep, k);
		}
}

void pt_tree_order(int *pids, int *depth, int n)
{
	int *par = malloc(sizeof(int) * (size_t)(n ? n : 1));
	int *out = malloc(sizeof(int) * (size_t)(n ? n : 1));
	if (!par || !out) {
		free(par);
		free(out);
		memset(depth, 0, sizeof(int) * (size_t)n);
		return;
	}
	for (int i = 0; i < n; i++)
		par[i] = listed_parent(pids, n, i);
	int k = 0;
	walk(pids, par, n, -1, 0, out, depth, &k);
	memcpy(pids, out, sizeof(int) * (size_t)k);
	free(par);
	free(out);
}
