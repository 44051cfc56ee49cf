#include "fds.h"
#include "tcp.h"
#include "util.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int fd_grab(pid_t pid, int fd)
{
    int pfd = syscall(SYS_pidfd_open, pid, 0);
    if (pfd < 0)
        return ck_errno("pidfd_open %d", (int)pid);
    int r = syscall(SYS_pidfd_getfd, pfd, fd, 0);
    if (r < 0)
        ck_errno("pidfd_getfd %d of process %d", fd, (int)pid);
    close(pfd);
    return r;
}

static int fdinfo(pid_t pid, int fd, uint64_t *pos, int *flags)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fdinfo/%d", (int)pid, fd);
    char *s = ck_read_file(path, NULL);
    if (!s)
        return -1;
    char *p = strstr(s, "pos:");
    *pos = p ? strtoull(p + 4, NULL, 10) : 0;
    p = strstr(s, "flags:");
    *flags = p ? (int)strtol(p + 6, NULL, 8) : 0;
    free(s);
    return 0;
}

int fds_dump(pid_t pid, struct ck_writer *w)
{
    char dpath[64];
    snprintf(dpath, sizeof dpath, "/proc/%d/fd", (int)pid);
    DIR *d = opendir(dpath);
    if (!d)
        return ck_errno("open %s", dpath);
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        struct ck_fd f;
        memset(&f, 0, sizeof f);
        f.fd = atoi(e->d_name);
        char lpath[96];
        snprintf(lpath, sizeof lpath, "%s/%d", dpath, f.fd);
        ssize_t n = readlink(lpath, f.path, sizeof f.path - 1);
        if (n < 0)
            continue; /* closed meanwhile */
        f.path[n] = 0;
        if (fdinfo(pid, f.fd, &f.pos, &f.flags) < 0) {
            rc = -1;
            break;
        }
        f.fdflags = (f.flags & O_CLOEXEC) ? FD_CLOEXEC : 0;
        f.flags &= ~O_CLOEXEC;
        f.kind = CK_FD_OTHER;
        struct ck_tcp t;
        void *q = NULL;
        size_t ql = 0;
        int have_tcp = 0;
        if (!strncmp(f.path, "socket:", 7)) {
            int sk = fd_grab(pid, f.fd), listening = 0;
            if (sk >= 0 && tcp_is_tcp(sk, &listening)) {
                if (listening) {
                    if (tcp_dump_listen(sk, &t) == 0) {
                        f.kind = CK_FD_TCP_LISTEN;
                        have_tcp = 1;
                    }
                } else if (tcp_dump(sk, &t, &q, &ql) == 0) {
                    f.kind = CK_FD_TCP;
                    have_tcp = 1;
                } else {
                    ck_warn("fd %d: TCP connection not saved: %s", f.fd, ck_strerror());
                }
            } else {
                ck_warn("fd %d (%s) is not a TCP socket and is not saved", f.fd, f.path);
            }
            if (sk >= 0)
                close(sk);
        } else if (f.path[0] == '/') {
            size_t l = strlen(f.path);
            if (l > 10 && !strcmp(f.path + l - 10, " (deleted)"))
                ck_warn("fd %d: file %s was deleted and cannot be reopened", f.fd, f.path);
            else
                f.kind = CK_FD_FILE;
        }
        rc = ckw_record(w, CK_REC_FD, &f, sizeof f, 8);
        if (rc == 0 && have_tcp) {
            t.fd = f.fd;
            rc = ckw_begin(w, CK_REC_TCP, 8);
            if (rc == 0)
                rc = ckw_append(w, &t, sizeof t);
            if (rc == 0 && ql)
                rc = ckw_append(w, q, ql);
            if (rc == 0)
                rc = ckw_end(w);
        }
        free(q);
    }
    closedir(d);
    return rc;
}

static int sysok(long r, const char *what, int fd)
{
    if (r >= 0)
        return 0;
    if (r > -4096)
        return ck_err("%s for fd %d in the new process: %s", what, fd, strerror((int)-r));
    return -1;
}

int fds_restore(struct inj *in, const struct ck_image *img, const int *socks, int phase)
{
    int cur[1024], ncur = 0;
    if (phase == 1)
        goto sockets;
    /* Close whatever the new process has that the image does not keep. */
    char dpath[64];
    snprintf(dpath, sizeof dpath, "/proc/%d/fd", (int)in->pid);
    DIR *d = opendir(dpath);
    if (!d)
        return ck_errno("open %s", dpath);
    struct dirent *e;
    while ((e = readdir(d)) && ncur < 1024)
        if (e->d_name[0] != '.')
            cur[ncur++] = atoi(e->d_name);
    closedir(d);
    for (int i = 0; i < ncur; i++) {
        int keep = 0;
        for (size_t k = 0; k < img->nrec; k++) {
            const struct ck_fd *f = img->recs[k].data;
            if (img->recs[k].type == CK_REC_FD && f->fd == cur[i] && f->kind == CK_FD_OTHER)
                keep = 1;
        }
        if (!keep && sysok(inj_syscall(in, SYS_close, cur[i], 0, 0, 0, 0, 0), "close", cur[i]) < 0)
            return -1;
    }
sockets:;
    long pidfd = -1;
    for (size_t k = 0; k < img->nrec; k++) {
        if (img->recs[k].type != CK_REC_FD)
            continue;
        const struct ck_fd *f = img->recs[k].data;
        long tmp;
        if ((f->kind == CK_FD_FILE || f->kind == CK_FD_OTHER) != (phase == 0))
            continue;
        if (f->kind == CK_FD_OTHER) {
            int open_now = 0;
            for (int i = 0; i < ncur; i++)
                open_now |= cur[i] == f->fd;
            if (!open_now)
                ck_warn("fd %d (%s) cannot be reopened; it stays closed", f->fd, f->path);
            continue;
        }
        if (f->kind == CK_FD_FILE) {
            unsigned long p = inj_put(in, 0, f->path, strlen(f->path) + 1);
            if (!p)
                return -1;
            tmp = inj_syscall(in, SYS_open, p, f->flags & ~(O_CREAT | O_TRUNC | O_EXCL), 0, 0, 0, 0);
            if (tmp < 0 && tmp > -4096)
                return ck_err("cannot reopen %s as fd %d: %s", f->path, f->fd, strerror((int)-tmp));
            if (sysok(tmp, "open", f->fd) < 0)
                return -1;
            long off = inj_syscall(in, SYS_lseek, tmp, f->pos, SEEK_SET, 0, 0, 0);
            if (off < 0 && off > -4096 && off != -ESPIPE)
                return ck_err("cannot seek %s to %llu: %s", f->path, (unsigned long long)f->pos, strerror((int)-off));
        } else {
            int mine = socks[k];
            if (mine < 0)
                return ck_err("socket for fd %d was not rebuilt", f->fd);
            if (pidfd < 0) {
                pidfd = inj_syscall(in, SYS_pidfd_open, getpid(), 0, 0, 0, 0, 0);
                if (sysok(pidfd, "pidfd_open", f->fd) < 0)
                    return -1;
                /* Keep it above every saved descriptor so a later dup2 cannot close it. */
                long high = inj_syscall(in, SYS_fcntl, pidfd, F_DUPFD_CLOEXEC, 4096, 0, 0, 0);
                if (sysok(high, "fcntl", f->fd) < 0)
                    return -1;
                inj_syscall(in, SYS_close, pidfd, 0, 0, 0, 0, 0);
                pidfd = high;
            }
            tmp = inj_syscall(in, SYS_pidfd_getfd, pidfd, mine, 0, 0, 0, 0);
            if (sysok(tmp, "pidfd_getfd", f->fd) < 0)
                return -1;
            if (sysok(inj_syscall(in, SYS_fcntl, tmp, F_SETFL, f->flags, 0, 0, 0), "fcntl", f->fd) < 0)
                return -1;
        }
        if (tmp != f->fd) {
            if (sysok(inj_syscall(in, SYS_dup2, tmp, f->fd, 0, 0, 0, 0), "dup2", f->fd) < 0 ||
                sysok(inj_syscall(in, SYS_close, tmp, 0, 0, 0, 0, 0), "close", f->fd) < 0)
                return -1;
        }
        if (sysok(inj_syscall(in, SYS_fcntl, f->fd, F_SETFD, f->fdflags, 0, 0, 0), "fcntl", f->fd) < 0)
            return -1;
    }
    if (pidfd >= 0)
        inj_syscall(in, SYS_close, pidfd, 0, 0, 0, 0, 0);
    return 0;
}
