/* parttrack list: every live tracked process, from the state files in /dev/shm. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "commands.h"
#include "shmview.h"

int cmd_list(int argc, char **argv)
{
	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: parttrack list\n");
		return 2;
	}
	DIR *d = opendir("/dev/shm");
	if (!d) {
		perror("parttrack: /dev/shm");
		return 1;
	}
	struct dirent *e;
	while ((e = readdir(d))) {
		const char *p = e->d_name;
		if (strncmp(p, "parttrack.", 10) != 0 || strspn(p + 10, "0123456789") != strlen(p + 10))
			continue;
		FILE *saved = stderr;
		stderr = fopen("/dev/null", "w"); /* stale files are skipped quietly */
		struct pt_header *h = pt_view_open(p + 10, 0, NULL);
		fclose(stderr);
		stderr = saved;
		if (!h)
			continue;
		printf("%u %s\n", h->pid, h->exe);
		pt_view_close(h);
	}
	closedir(d);
	return 0;
}
