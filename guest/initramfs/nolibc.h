/* The little the initramfs's libc-free programs (tsc, spin) need: two system calls, the entry
 * point, and a decimal number. */
#ifndef HS_NOLIBC_H
#define HS_NOLIBC_H
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

/* Appends v in decimal at buf[n]; returns the new length. */
static int put_u64(char *buf, int n, u64 v)
{
    char digits[24];
    int d = 0;
    do {
        digits[d++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (d)
        buf[n++] = digits[--d];
    return n;
}

/* The program's C entry: sp points at argc, then argv. */
void start_c(long *sp);
__asm__(".globl _start\n_start:\n\tmov %rsp, %rdi\n\tand $-16, %rsp\n\tcall start_c\n");

#endif
