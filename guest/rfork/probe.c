/* Reads a target's /proc entries, so that refusals are decided before it is touched. */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PF_KTHREAD_FLAG 0x00200000u /* include/linux/sched.h; /proc has no older way to tell */

static int read_stat_flags(pid_t pid, unsigned long *flags)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
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

int probe_target(pid_t pid, struct target_info *ti)
{
    char path[64], line[512];
    memset(ti, 0, sizeof *ti);
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return errno = (errno == ENOENT ? ESRCH : errno), -1;
    int seen = 0;
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, "State:", 6)) {
            char *p = line + 6;
            while (*p == ' ' || *p == '\t')
                p++;
            ti->state = *p;
            seen++;
        } else if (!strncmp(line, "Tgid:", 5)) {
            ti->tgid = (pid_t)atoi(line + 5);
        } else if (!strncmp(line, "TracerPid:", 10)) {
            ti->tracer = (pid_t)atoi(line + 10);
        } else if (!strncmp(line, "Threads:", 8)) {
            ti->threads = atoi(line + 8);
        } else if (!strncmp(line, "Seccomp:", 8)) {
            ti->seccomp = atoi(line + 8);
        } else if (!strncmp(line, "Kthread:", 8)) {
            ti->kthread = atoi(line + 8);
        } else if (!strncmp(line, "NSpid:", 6)) {
            /* The last number is the PID inside the target's own namespace. */
            char *last = NULL, *save = NULL;
            for (char *t = strtok_r(line + 6, " \t\n", &save); t; t = strtok_r(NULL, " \t\n", &save))
                last = t;
            ti->ns_init = last && atoi(last) == 1;
        }
    }
    fclose(f);
    if (!seen)
        return errno = ESRCH, -1;
    unsigned long flags;
    if (read_stat_flags(pid, &flags) == 0 && (flags & PF_KTHREAD_FLAG))
        ti->kthread = 1;
    return 0;
}
