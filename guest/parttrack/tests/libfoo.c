/* Test library "part Y" (libfoo.so.1), built twice: -DVERSION=1 and -DVERSION=2.
 * Version 2 behaves differently so a swap is visible in the program's output.
 * With -DDROP_WORK it lacks foo_work, to test that a swap is refused. */
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "libbar.h"
#include "libfoo.h"

static void park(const char *where)
{
	/* block inside this object until the test driver sends a line */
	char line[64];
	printf("parked %s\n", where);
	fflush(stdout);
	if (!fgets(line, sizeof line, stdin))
		_exit(3);
}

int foo_version(void)
{
	return VERSION;
}

#ifndef DROP_WORK
int foo_work(int n)
{
	return VERSION * 1000000 + bar_leaf(n);
}
#endif

void foo_park(void)
{
	park("foo");
}

void foo_two_phase(void)
{
	park("foo-a");
	bar_park();
	park("foo-c");
}

int foo_recurse(int n)
{
	return n <= 0 ? VERSION : 1 + bar_recurse(n - 1);
}

void foo_jump(void *env)
{
	bar_jump(env);
}

void foo_sleep(int secs)
{
	sleep((unsigned)secs);
}
