/* Test library Z: called by libfoo. */
#ifndef LIBBAR_H
#define LIBBAR_H
/* n + 1 */
int bar_leaf(int n);
/* Blocks inside libbar until a line arrives on stdin. */
void bar_park(void);
/* Mutual recursion with libfoo. */
int bar_recurse(int n);
/* longjmp(*(jmp_buf *)env, 7) */
void bar_jump(void *env);
#endif
