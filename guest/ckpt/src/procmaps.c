#include "procmaps.h"
#include "util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

int maps_read(pid_t pid, struct vma **out)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
    char *text = ck_read_file(path, NULL);
    if (!text)
        return -1;
    size_t n = 0, cap = 64;
    struct vma *v = ck_xmalloc(cap * sizeof *v);
    for (char *line = text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = 0;
        struct vma m = {0};
        char perms[8] = "";
        unsigned long long s, e, off, ino;
        int pos = 0;
        if (sscanf(line, "%llx-%llx %7s %llx %*x:%*x %llu %n", &s, &e, perms, &off, &ino, &pos) < 5)
            continue;
        m.start = s;
        m.end = e;
        m.off = off;
        m.inode = ino;
        m.prot = (perms[0] == 'r' ? PROT_READ : 0) | (perms[1] == 'w' ? PROT_WRITE : 0) |
                 (perms[2] == 'x' ? PROT_EXEC : 0);
        m.shared = perms[3] == 's';
        if (pos)
            ck_copy(m.name, sizeof m.name, line + pos);
        if (n == cap)
            v = ck_xrealloc(v, (cap *= 2) * sizeof *v);
        v[n++] = m;
    }
    free(text);
    *out = v;
    return (int)n;
}
