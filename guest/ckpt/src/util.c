#include "util.h"
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int ck_verbose;
static char errbuf[1024];

int ck_err(const char *fmt, ...)
{
    char tmp[sizeof errbuf]; /* the arguments may include ck_strerror() itself */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    memcpy(errbuf, tmp, sizeof errbuf);
    return -1;
}

int ck_errno(const char *fmt, ...)
{
    int e = errno;
    char tmp[800];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    snprintf(errbuf, sizeof errbuf, "%s: %s", tmp, strerror(e));
    errno = e;
    return -1;
}

const char *ck_strerror(void) { return errbuf[0] ? errbuf : "unknown error"; }

void ck_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("ckpt: warning: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

void ck_info(const char *fmt, ...)
{
    if (!ck_verbose)
        return;
    va_list ap;
    va_start(ap, fmt);
    fputs("ckpt: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

double ck_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

void ck_phase(const char *name)
{
    static int on = -1;
    static double last;
    if (on < 0) {
        on = getenv("CKPT_TIMING") != NULL;
        last = ck_now();
    }
    if (!on)
        return;
    double t = ck_now();
    fprintf(stderr, "ckpt: time %-18s %8.2f ms\n", name, (t - last) * 1e3);
    last = t;
}

void *ck_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "ckpt: out of memory\n");
        abort();
    }
    return p;
}

void *ck_xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) {
        fprintf(stderr, "ckpt: out of memory\n");
        abort();
    }
    return p;
}

char *ck_xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(ck_xmalloc(n), s, n);
}

char *ck_read_file(const char *path, size_t *lenp)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        ck_errno("open %s", path);
        return NULL;
    }
    size_t cap = 4096, len = 0;
    char *buf = ck_xmalloc(cap);
    for (;;) {
        if (len + 1 >= cap)
            buf = ck_xrealloc(buf, cap *= 2);
        ssize_t r = read(fd, buf + len, cap - len - 1);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            ck_errno("read %s", path);
            free(buf);
            close(fd);
            return NULL;
        }
        if (r == 0)
            break;
        len += r;
    }
    close(fd);
    buf[len] = 0;
    if (lenp)
        *lenp = len;
    return buf;
}

uint64_t ck_proc_starttime(pid_t pid) { return ck_proc_stat(pid, 22); }

uint64_t ck_proc_stat(pid_t pid, int want)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    char *s = ck_read_file(path, NULL);
    if (!s)
        return 0;
    /* comm may contain spaces and parens: fields start after the last ')'. */
    char *p = strrchr(s, ')');
    uint64_t v = 0;
    if (p) {
        int field = 2;
        for (p++; *p && field < want; p++)
            if (*p == ' ')
                field++;
        v = strtoull(p, NULL, 10);
    }
    free(s);
    return v;
}

void ck_copy(char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);
    if (n >= size)
        n = size - 1;
    memcpy(dst, src, n);
    dst[n] = 0;
}
