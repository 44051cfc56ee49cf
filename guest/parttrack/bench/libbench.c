/* The callee of the benchmark: an empty function in its own shared object,
 * like the seed's libtest test(). */
int bench_nop(int x);
__attribute__((noinline)) int bench_nop(int x)
{
	__asm__ volatile("" ::: "memory");
	return x;
}
