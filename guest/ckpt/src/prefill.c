#include "prefill.h"
#include "dump.h"
#include "image.h"
#include "memdump.h"
#include "procmaps.h"
#include "util.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

enum { PREFILL_CHUNK = 4 << 20 };

uint64_t prefill_estimate(pid_t pid)
{
    struct vma *v;
    int n = maps_read(pid, &v);
    if (n < 0)
        return 0;
    char exelink[64], exe[4096];
    snprintf(exelink, sizeof exelink, "/proc/%d/exe", (int)pid);
    ssize_t k = readlink(exelink, exe, sizeof exe - 1);
    exe[k > 0 ? k : 0] = 0;
    struct stat st;
    uint64_t ino = stat(exelink, &st) == 0 ? st.st_ino : 0, bytes = 1 << 20; /* small records */
    for (int i = 0; i < n; i++) {
        int kind = mem_classify(&v[i], i ? &v[i - 1] : NULL, exe, ino);
        if (kind >= 0 && (v[i].prot & PROT_READ) && kind != CK_MEM_SHFILE)
            bytes += CK_PAGE + (v[i].end - v[i].start);
    }
    free(v);
    return bytes;
}

static void path_in(char *buf, size_t len, const char *dir, const char *suffix)
{
    ck_image_path(buf, len, dir);
    strncat(buf, suffix, len - strlen(buf) - 1);
}

static void *prefill_main(void *arg)
{
    struct prefill *p = arg;
    /* Background work: the watched process and the checkpoints come first. */
    setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 19);
    char tmp[4200], blank[4200];
    path_in(tmp, sizeof tmp, p->dir, CK_SUFFIX_PREFILL);
    path_in(blank, sizeof blank, p->dir, CK_SUFFIX_BLANK);
    int fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, CK_MODE_IMAGE);
    if (fd < 0)
        return NULL;
    char *zeros = mmap(NULL, PREFILL_CHUNK, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int ok = zeros != MAP_FAILED;
    /* Written, not fallocated: the point is page-cache pages, not disk blocks. */
    for (uint64_t off = 0; ok && off < p->bytes && !p->stop; off += PREFILL_CHUNK) {
        size_t len = p->bytes - off < PREFILL_CHUNK ? p->bytes - off : PREFILL_CHUNK;
        ok = ck_pwrite_all(fd, zeros, len, off) == 0;
    }
    if (zeros != MAP_FAILED)
        munmap(zeros, PREFILL_CHUNK);
    close(fd);
    if (ok && !p->stop && rename(tmp, blank) == 0) {
        printf("spare image ready (%.1f MB)\n", p->bytes / 1e6);
        fflush(stdout);
    } else {
        unlink(tmp);
    }
    return NULL;
}

int prefill_start(struct prefill *p, const char *dir, uint64_t bytes)
{
    memset(p, 0, sizeof *p);
    if (strlen(dir) >= sizeof p->dir)
        return ck_err("directory name too long");
    snprintf(p->dir, sizeof p->dir, "%s", dir);
    p->bytes = bytes;
    if (pthread_create(&p->thread, NULL, prefill_main, p) != 0)
        return ck_err("cannot start the spare-image thread");
    p->started = 1;
    return 0;
}

void prefill_stop(struct prefill *p)
{
    if (!p->started)
        return;
    p->stop = 1;
    pthread_join(p->thread, NULL);
    p->started = 0;
    char path[4200];
    path_in(path, sizeof path, p->dir, CK_SUFFIX_PREFILL);
    unlink(path);
    path_in(path, sizeof path, p->dir, CK_SUFFIX_BLANK);
    unlink(path);
}
