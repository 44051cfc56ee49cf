/* The VMM has no libc: these are the few routines it (and the compiler) need.
 * memset and memcpy move guest images of tens of megabytes: they use string
 * instructions eight bytes at a time (an emulator charges per iteration, and
 * hardware's fast-string microcode likes them too). */
#include "lib.h"

void *memset(void *d, int c, size_t n)
{
    void *p = d;
    size_t q = n / 8, r = n % 8;
    uint64_t pattern = 0x0101010101010101ull * (unsigned char)c;
    __asm__ volatile("rep stosq\n\tmov %3, %%rcx\n\trep stosb"
                     : "+D"(p), "+c"(q)
                     : "a"(pattern), "r"(r)
                     : "memory");
    return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
    void *dp = d;
    size_t q = n / 8, r = n % 8;
    __asm__ volatile("rep movsq\n\tmov %3, %%rcx\n\trep movsb" : "+D"(dp), "+S"(s), "+c"(q) : "r"(r) : "memory");
    return d;
}

void *memmove(void *d, const void *s, size_t n)
{
    unsigned char *dp = d;
    const unsigned char *sp = s;
    if (dp < sp)
        return memcpy(d, s, n);
    while (n--)
        dp[n] = sp[n];
    return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    for (; n; n--, x++, y++)
        if (*x != *y)
            return *x - *y;
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
    for (; n; n--, a++, b++) {
        if (*a != *b)
            return (unsigned char)*a - (unsigned char)*b;
        if (!*a)
            return 0;
    }
    return 0;
}
