// C++ part A: calls part B, which may throw; some exceptions are caught here,
// others travel through this library back to the program.
#include "cxx_parts.h"

int a_call(int i)
{
	if (i % 3 == 0) {
		try {
			return b_maybe_throw(i);
		} catch (int e) {
			return -e; // caught inside part A
		}
	}
	return b_maybe_throw(i); // exceptions leave through part A
}
