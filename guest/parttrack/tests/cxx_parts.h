// Two C++ test libraries for exceptions thrown across tracked calls.
#ifndef CXX_PARTS_H
#define CXX_PARTS_H
// Returns i for even i; for odd i throws i (caught in A when i % 3 == 0, giving -i).
int a_call(int i);
// Returns i for even i, throws i for odd i.
int b_maybe_throw(int i);
#endif
