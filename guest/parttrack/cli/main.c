/* parttrack: command-line front end to the in-process tracking library. */
#include <stdio.h>
#include <string.h>
#include "commands.h"

static int usage(FILE *f)
{
	fprintf(f, "usage:\n"
		   "  parttrack run [--mode fast|fenced|syscall] -- PROGRAM [ARGS...]\n"
		   "  parttrack status [-b] [-r] PID\n"
		   "  parttrack swap [-t TIMEOUT_MS] PID OLD_LIBRARY NEW_LIBRARY_FILE\n"
		   "  parttrack list [-t]\n");
	return f == stderr ? 2 : 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage(stderr);
	const char *c = argv[1];
	if (strcmp(c, "run") == 0)
		return cmd_run(argc - 1, argv + 1);
	if (strcmp(c, "status") == 0)
		return cmd_status(argc - 1, argv + 1);
	if (strcmp(c, "swap") == 0)
		return cmd_swap(argc - 1, argv + 1);
	if (strcmp(c, "list") == 0)
		return cmd_list(argc - 1, argv + 1);
	if (strcmp(c, "help") == 0 || strcmp(c, "--help") == 0 || strcmp(c, "-h") == 0)
		return usage(stdout);
	fprintf(stderr, "parttrack: unknown command '%s'\n", c);
	return usage(stderr);
}
