/* Test library Y: the part that gets swapped. */
#ifndef LIBFOO_H
#define LIBFOO_H
/* 1 or 2: which build of the library is running. */
int foo_version(void);
/* version*1000000 + bar_leaf(n): one call into libbar per call. */
int foo_work(int n);
/* Blocks inside libfoo until a line arrives on stdin. */
void foo_park(void);
/* Parks in libfoo, then in libbar (libfoo calling), then in libfoo again. */
void foo_two_phase(void);
/* Mutual recursion with libbar, depth n. */
int foo_recurse(int n);
/* Calls into libbar, which longjmps to env (a jmp_buf *). */
void foo_jump(void *env);
/* Sleeps inside libfoo. */
void foo_sleep(int secs);
#endif
