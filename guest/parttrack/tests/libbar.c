/* Test library "part Z" (libbar.so.1). */
#include <setjmp.h>
#include <stdio.h>
#include <unistd.h>
#include "libbar.h"
#include "libfoo.h"

int bar_leaf(int n)
{
	return n + 1;
}

void bar_park(void)
{
	char line[64];
	printf("parked bar\n");
	fflush(stdout);
	if (!fgets(line, sizeof line, stdin))
		_exit(3);
}

int bar_recurse(int n)
{
	return n <= 0 ? 0 : 1 + foo_recurse(n - 1);
}

void bar_jump(void *env)
{
	longjmp(*(jmp_buf *)env, 7);
}
