// Program for the exception test: checks every result, then waits so the
// driver can look at the tracker's state.
#include <cstdio>
#include <iostream>
#include <string>
#include "cxx_parts.h"

int main()
{
	long ok = 0, wrong = 0;
	for (int i = 0; i < 3000; i++) {
		int want = (i & 1) ? ((i % 3 == 0) ? -i : i) : i;
		int got;
		try {
			got = a_call(i);
		} catch (int e) {
			got = e;
		}
		if (got == want)
			ok++;
		else
			wrong++;
	}
	std::printf("cxx ok=%ld wrong=%ld\n", ok, wrong);
	std::fflush(stdout);
	std::string line;
	std::getline(std::cin, line);
	return 0;
}
