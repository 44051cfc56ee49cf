/* spin [N]: compute without a single system call until killed, or for N million rounds and then
 * print "spin=<hash>". The CPU-bound program of the replay tests: only an interrupt delivered at an
 * arbitrary instruction (the counter replay modes) lets the kernel preempt it, so `timeout 2 spin`
 * ends and other processes run beside it. No libc: nothing in it may enter the kernel. */
#include "nolibc.h"

void start_c(long *sp)
{
    u64 rounds = 0;
    if (sp[0] > 1)
        for (const char *p = (const char *)sp[2]; *p >= '0' && *p <= '9'; p++)
            rounds = rounds * 10 + (u64)(*p - '0');
    rounds *= 1000000;
    /* A hash in registers, with a data-dependent branch and a REP string move now and then. */
    u64 h = 0x68696e6473696768ul;
    static char a[64], b[64];
    for (u64 i = 0; !rounds || i < rounds; i++) {
        h = (h ^ i) * 0x100000001b3ul;
        if (h & 0x10)
            h += h >> 7;
        if ((i & 0xFFFF) == 0) {
            u64 n = sizeof(a);
            char *dst = a;
            const char *src = b;
            __asm__ volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
            b[i & 63] = (char)h;
        }
    }
    char buf[32];
    int n = 0;
    for (const char *p = "spin="; *p; p++)
        buf[n++] = *p;
    n = put_u64(buf, n, h);
    buf[n++] = '\n';
    sys_write(1, buf, (u64)n);
    sys_exit(0);
}

