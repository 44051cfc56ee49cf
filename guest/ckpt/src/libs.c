#include "libs.h"
#include "dynelf.h"
#include "util.h"
#include <dirent.h>
#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int proc_auxv(pid_t pid, uint64_t type, uint64_t *val)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/auxv", (int)pid);
    size_t len;
    char *a = ck_read_file(path, &len);
    if (!a)
        return -1;
    int rc = -1;
    for (size_t i = 0; i + 16 <= len; i += 16) {
        uint64_t t, v;
        memcpy(&t, a + i, 8);
        memcpy(&v, a + i + 8, 8);
        if (t == type) {
            *val = v;
            rc = 0;
            break;
        }
    }
    free(a);
    return rc == 0 ? 0 : ck_err("process %d has no auxiliary vector entry %lu", (int)pid, (unsigned long)type);
}

int exe_bias(pid_t pid, uint64_t entry, uint64_t *bias)
{
    uint64_t at;
    if (proc_auxv(pid, AT_ENTRY, &at) < 0)
        return -1;
    *bias = at - entry;
    return 0;
}

int proc_threads(pid_t pid)
{
    char p[64];
    snprintf(p, sizeof p, "/proc/%d/task", (int)pid);
    DIR *d = opendir(p);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static const char *deleted_suffix(const char *name)
{
    size_t n = strlen(name), k = strlen(" (deleted)");
    return n > k && !strcmp(name + n - k, " (deleted)") ? name + n - k : NULL;
}

int ck_precheck(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    char *st = ck_read_file(path, NULL);
    if (!st)
        return ck_errno("no process %d", (int)pid);
    const char *tp = strstr(st, "TracerPid:");
    long tracer = tp ? strtol(tp + 10, NULL, 10) : 0;
    free(st);
    if (tracer)
        return ck_err("process %d is already traced by process %ld (a debugger?); ckpt needs to trace it itself",
                      (int)pid, tracer);
    int nt = proc_threads(pid);
    if (nt < 0)
        return ck_errno("process %d", (int)pid);
    if (nt != 1)
        return ck_err("process %d has %d threads; ckpt checkpoints single-threaded processes only "
                      "(README: Threads)", (int)pid, nt);
    snprintf(path, sizeof path, "/proc/%d/exe", (int)pid);
    struct dynelf d;
    if (dynelf_load(&d, path) < 0) {
        dynelf_free(&d);
        return -1;
    }
    int sym = d.has_symtab;
    dynelf_free(&d);
    char exe[1024];
    ssize_t n = readlink(path, exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = 0;
    if (!sym)
        return ck_err("no symbol table in %s (stripped?): ckpt finds functions and data objects by name; "
                      "build without -s and do not strip the executable", exe);
    struct vma *v;
    int nv = maps_read(pid, &v);
    if (nv < 0)
        return -1;
    int rc = 0;
    for (int i = 0; i < nv && rc == 0; i++) {
        if (v[i].name[0] != '/' || !(v[i].prot & PROT_EXEC) || !strncmp(v[i].name, exe, strlen(exe)))
            continue;
        struct stat sb;
        const char *del = deleted_suffix(v[i].name);
        if (del || stat(v[i].name, &sb) < 0 || sb.st_ino != v[i].inode)
            rc = ck_err("shared library %.*s was replaced or deleted on disk since process %d loaded it: a restore "
                        "could not map it again (restart the process to load the new one)",
                        del ? (int)(del - v[i].name) : (int)strlen(v[i].name), v[i].name, (int)pid);
    }
    free(v);
    return rc;
}

int exe_describe(pid_t pid, const char *exe, struct ck_exe *e)
{
    memset(e, 0, sizeof *e);
    struct dynelf d;
    int rc = -1;
    if (dynelf_load(&d, exe) < 0)
        goto out;
    if (d.type == ET_DYN)
        e->flags |= CK_EXE_PIE;
    if (exe_bias(pid, d.entry, &e->bias) < 0)
        goto out;
    e->build_id_len = d.build_id_len;
    memcpy(e->build_id, d.build_id, d.build_id_len);
    if (d.interp[0]) {
        e->flags |= CK_EXE_DYNAMIC;
        ck_copy(e->interp, sizeof e->interp, d.interp);
        if (proc_auxv(pid, AT_BASE, &e->ldso_base) < 0)
            goto out;
        struct dynelf l;
        uint64_t val;
        int type;
        if (dynelf_load(&l, d.interp) == 0 && dynelf_lookup(&l, "_r_debug", NULL, &val, &type) == 0)
            e->r_debug = e->ldso_base + val;
        dynelf_free(&l);
    }
    rc = 0;
out:
    dynelf_free(&d);
    return rc;
}

int vma_unmodified(int pmfd, const struct vma *v)
{
    if (pmfd < 0)
        return 0;
    size_t np = (v->end - v->start) / 4096;
    uint64_t pm[512];
    for (size_t k = 0; k < np; k += 512) {
        size_t c = np - k < 512 ? np - k : 512;
        if (pread(pmfd, pm, c * 8, (v->start / 4096 + k) * 8) != (ssize_t)(c * 8))
            return 0;
        for (size_t j = 0; j < c; j++)
            if ((pm[j] >> 62 & 1) || ((pm[j] >> 63) && !(pm[j] >> 61 & 1)))
                return 0; /* swapped, or present and anonymous: a private copy */
    }
    return 1;
}

static void fill_identity(struct ck_lib *l, const char *path)
{
    struct stat sb;
    if (stat(path, &sb) == 0) {
        l->dev = sb.st_dev;
        l->ino = sb.st_ino;
        l->size = sb.st_size;
        l->mtime_ns = (uint64_t)sb.st_mtim.tv_sec * 1000000000ull + sb.st_mtim.tv_nsec;
    }
    struct dynelf d;
    if (dynelf_load(&d, path) == 0) {
        l->is_elf = 1;
        l->build_id_len = d.build_id_len;
        memcpy(l->build_id, d.build_id, d.build_id_len);
        ck_copy(l->soname, sizeof l->soname, d.soname);
    }
    dynelf_free(&d);
}

int libs_dump(pid_t pid, uint64_t exe_ino, struct ck_writer *w)
{
    struct vma *v;
    int nv = maps_read(pid, &v);
    if (nv < 0)
        return -1;
    int rc = 0;
    for (int i = 0; i < nv && rc == 0; i++) {
        if (v[i].name[0] != '/' || v[i].inode == exe_ino || deleted_suffix(v[i].name))
            continue;
        int seen = 0;
        for (int k = 0; k < i && !seen; k++)
            seen = !strcmp(v[k].name, v[i].name);
        if (seen)
            continue;
        struct ck_lib l;
        memset(&l, 0, sizeof l);
        ck_copy(l.path, sizeof l.path, v[i].name);
        l.base = v[i].start - v[i].off; /* the lowest mapping of a file: its load bias for a library */
        fill_identity(&l, v[i].name);
        if (l.ino != v[i].inode)
            continue; /* replaced on disk: its mappings are saved as bytes, nothing to verify */
        rc = ckw_record(w, CK_REC_LIB, &l, sizeof l, 8);
    }
    free(v);
    return rc;
}

static void hex(char *buf, const uint8_t *id, size_t n)
{
    buf[0] = 0;
    for (size_t i = 0; i < n && i < 64; i++)
        sprintf(buf + 2 * i, "%02x", id[i]);
}

int libs_verify(const struct ck_lib *l)
{
    struct ck_lib now;
    memset(&now, 0, sizeof now);
    struct stat sb;
    if (stat(l->path, &sb) < 0)
        return ck_errno("refusing to restore: %s %s is gone", l->is_elf ? "shared library" : "mapped file", l->path);
    fill_identity(&now, l->path);
    if (l->is_elf && l->build_id_len) {
        if (now.build_id_len == l->build_id_len && !memcmp(now.build_id, l->build_id, l->build_id_len))
            return 0;
        char a[140], b[140];
        hex(a, l->build_id, l->build_id_len);
        hex(b, now.build_id, now.build_id_len);
        return ck_err("refusing to restore: shared library %s changed since the checkpoint (build-id %s, now %s); "
                      "the process was checkpointed with the old one mapped", l->path, a, b[0] ? b : "none");
    }
    if (now.size != l->size || now.mtime_ns != l->mtime_ns)
        return ck_err("refusing to restore: mapped file %s changed since the checkpoint (size or modification time)",
                      l->path);
    return 0;
}
