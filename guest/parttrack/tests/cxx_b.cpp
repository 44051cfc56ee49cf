// C++ part B: throws for odd arguments.
#include "cxx_parts.h"

int b_maybe_throw(int i)
{
	if (i & 1)
		throw i;
	return i;
}
