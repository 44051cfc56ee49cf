/* tsc [LABEL]: print "tsc-LABEL=<time-stamp counter>" on stdout. Used by the init script
 * to mark when /init is reached, so that benchmarks can compare emulator ticks of a
 * boot under the VMM with a bare boot. No libc: it must run before anything is set up.
 * tsc rdrand: print "tsc-rdrand=<RDRAND value>" instead (the replay tests' random input). */
typedef unsigned long u64;

static long sys_write(int fd, const void *buf, u64 n)
{
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(1), "D"(fd), "S"(buf), "d"(n) : "rcx", "r11", "memory");
    return r;
}

static void sys_exit(int code)
{
    __asm__ volatile("syscall" ::"a"(60), "D"(code) : "rcx", "r11", "memory");
    __builtin_unreachable();
}

static u64 rdtsc(void)
{
    unsigned lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((u64)hi << 32) | lo;
}

void start_c(long *sp);
void start_c(long *sp)
{
    u64 t = rdtsc();
    int argc = (int)sp[0];
    const char *label = argc > 1 ? (const char *)sp[2] : "now";
    const char *r = "rdrand";
    int is_rand = 1;
    for (int i = 0; i < 7; i++)
        if (label[i] != r[i])
            is_rand = 0;
    if (is_rand) {
        unsigned char ok = 0;
        for (int tries = 0; tries < 10 && !ok; tries++)
            __asm__ volatile("rdrand %0; setc %1" : "=r"(t), "=q"(ok)::"cc");
    }
    char buf[96];
    int n = 0;
    for (const char *p = "tsc-"; *p; p++)
        buf[n++] = *p;
    for (const char *p = label; *p && n < 60; p++)
        buf[n++] = *p;
    buf[n++] = '=';
    char digits[24];
    int d = 0;
    do {
        digits[d++] = (char)('0' + t % 10);
        t /= 10;
    } while (t);
    while (d)
        buf[n++] = digits[--d];
    buf[n++] = '\n';
    sys_write(1, buf, (u64)n);
    sys_exit(0);
}

__asm__(".globl _start\n_start:\n\tmov %rsp, %rdi\n\tand $-16, %rsp\n\tcall start_c\n");
