/* Reads a target's /proc entries, so that refusals are decided before it is touched. It is on
 * the path of every request, so it reads /proc/PID/status with one read(2) and no stdio, and
 * /proc/PID/stat only on kernels whose status has no "Kthread:" line (before 6.x). */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PF_KTHREAD_FLAG 0x00200000u /* include/linux/sched.h; /proc has no older way to tell */

/* Whole small /proc file into buf (NUL-terminated); length, or -1 with errno. */
static ssize_t read_small(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t n = 0;
    for (;;) {
        ssize_t r = read(fd, buf + n, size - 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            close(fd);
            return errno = e, -1;
        }
        if (r == 0 || (n += (size_t)r) == size - 1)
            break;
    }
    close(fd);
    buf[n] = 0;
    return (ssize_t)n;
}

static int read_stat_flags(pid_t pid, unsigned long *flags)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    if (read_small(path, buf, sizeof buf) < 0)
        return -1;
    /* comm may contain spaces and parentheses: fields restart after the last ')'. */
    char *p = strrchr(buf, ')');
    if (!p)
        return errno = EIO, -1;
    /* after ')': state ppid pgrp session tty_nr tpgid flags -> flags is the 7th */
    p++;
    for (int field = 0; field < 7; field++) {
        while (*p == ' ')
            p++;
        if (field == 6)
            break;
        while (*p && *p != ' ')
            p++;
    }
    *flags = strtoul(p, NULL, 10);
    return 0;
}

/* The value after "Key:" and blanks, if line starts with key. */
static const char *field(const char *line, const char *key)
{
    size_t n = strlen(key);
    if (strncmp(line, key, n))
        return NULL;
    line += n;
    while (*line == ' ' || *line == '\t')
        line++;
    return line;
}

int probe_target(pid_t pid, struct target_info *ti)
{
    char path[64], buf[8192];
    memset(ti, 0, sizeof *ti);
    if (pid)
        snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    else
        snprintf(path, sizeof path, "/proc/self/status");
    if (read_small(path, buf, sizeof buf) < 0)
        return errno = (errno == ENOENT ? ESRCH : errno), -1;
    int seen = 0, kthread_line = 0;
    for (char *line = buf, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = 0;
        const char *v;
        if ((v = field(line, "State:"))) {
            ti->state = *v;
            seen++;
        } else if ((v = field(line, "Tgid:"))) {
            ti->tgid = (pid_t)atoi(v);
        } else if ((v = field(line, "TracerPid:"))) {
            ti->tracer = (pid_t)atoi(v);
        } else if ((v = field(line, "Threads:"))) {
            ti->threads = atoi(v);
        } else if ((v = field(line, "Seccomp:"))) {
            ti->seccomp = atoi(v);
        } else if ((v = field(line, "SigIgn:"))) {
            ti->sigign = strtoull(v, NULL, 16);
        } else if ((v = field(line, "Kthread:"))) {
            ti->kthread = atoi(v);
            kthread_line = 1;
        } else if ((v = field(line, "NSpid:"))) {
            /* The last number is the PID inside the target's own namespace. */
            const char *last = v;
            ti->nspid_levels = *v != 0;
            for (const char *p = v; *p; p++)
                if ((*p == ' ' || *p == '\t') && p[1] && p[1] != ' ' && p[1] != '\t') {
                    last = p + 1;
                    ti->nspid_levels++;
                }
            ti->ns_init = atoi(last) == 1;
        }
    }
    if (!seen)
        return errno = ESRCH, -1;
    unsigned long flags;
    if (pid && !kthread_line && read_stat_flags(pid, &flags) == 0 && (flags & PF_KTHREAD_FLAG))
        ti->kthread = 1;
    return 0;
}
