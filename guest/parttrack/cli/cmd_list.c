/* parttrack list: every live tracked process, from the state files in /dev/shm;
 * with -t as a tree (each process under its nearest tracked ancestor). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "commands.h"
#include "proctree.h"
#include "shmview.h"

#define MAX_LISTED 4096

int cmd_list(int argc, char **argv)
{
	int tree = argc == 2 && strcmp(argv[1], "-t") == 0;
	if (argc != 1 && !tree) {
		fprintf(stderr, "usage: parttrack list [-t]\n");
		return 2;
	}
	static int pids[MAX_LISTED], depth[MAX_LISTED];
	int n = pt_tracked_pids(pids, MAX_LISTED);
	if (n < 0) {
		perror("parttrack: /dev/shm");
		return 1;
	}
	if (tree)
		pt_tree_order(pids, depth, n);
	for (int i = 0; i < n; i++) {
		char arg[16];
		snprintf(arg, sizeof arg, "%d", pids[i]);
		struct pt_header *h = pt_view_open_quiet(arg);
		if (!h)
			continue; /* exited meanwhile */
		if (tree)
			printf("%*s%u ppid=%d %s\n", 2 * depth[i], "", h->pid, pt_proc_ppid(pids[i]), h->exe);
		else
			printf("%u %s\n", h->pid, h->exe);
		pt_view_close(h);
	}
	return 0;
}
