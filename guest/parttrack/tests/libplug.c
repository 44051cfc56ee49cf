/* A plug-in loaded with dlopen after start; its calls into libbar are tracked. */
#include "libbar.h"

int plug_run(int n);
int plug_run(int n)
{
	return bar_leaf(n) + bar_leaf(n);
}
