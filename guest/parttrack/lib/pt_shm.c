/* The shared file that makes the process's part state visible to the CLI
 * without any system call on the tracked path. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "pt_internal.h"
#include "pt_proc.h"

struct pt_header *pt_hdr;

static int shm_open_new(int pid)
{
	char path[128];
	pt_shm_path(path, sizeof path, pid);
	unlink(path); /* a file left by an earlier image (exec) or a dead process */
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (ftruncate(fd, (off_t)PT_SHM_SIZE) < 0) {
		close(fd);
		unlink(path);
		return -1;
	}
	return fd;
}

int pt_shm_create(void)
{
	int pid = getpid();
	int fd = shm_open_new(pid);
	if (fd < 0) {
		pt_warn("cannot create shared state file: %s", strerror(errno));
		return -1;
	}
	void *m = mmap(NULL, PT_SHM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (m == MAP_FAILED) {
		pt_warn("cannot map shared state file: %s", strerror(errno));
		return -1;
	}
	pt_hdr = m;
	pt_hdr->pid = (uint32_t)pid;
	pt_hdr->start_time = pt_proc_start_time(pid);
	if (readlink("/proc/self/exe", pt_hdr->exe, sizeof pt_hdr->exe - 1) < 0)
		strcpy(pt_hdr->exe, "?");
	return 0;
}

/* The regions of the file a forked child keeps: the header with the used part
 * of each table, and the forking thread's record up to its depth and the
 * bindings in use.  The snapshot buffer mirrors the file's layout, so the same
 * offsets serve for the copy in and the copy out. */
struct region {
	size_t off, len;
};

static int fork_regions(const struct pt_header *h, const struct pt_thread *t, struct region *r)
{
	uint32_t nobjs = atomic_load(&h->nobjs), nb = atomic_load(&h->nbinds);
	int n = 0;
	r[n++] = (struct region){ 0, offsetof(struct pt_header, objs) + nobjs * sizeof h->objs[0] };
	r[n++] = (struct region){ offsetof(struct pt_header, binds), nb * sizeof h->binds[0] };
	r[n++] = (struct region){ offsetof(struct pt_header, dead_calls), nb * sizeof h->dead_calls[0] };
	r[n++] = (struct region){ offsetof(struct pt_header, dead_lost), nb * sizeof h->dead_lost[0] };
	if (t) {
		size_t base = (size_t)((const char *)pt_self - (const char *)pt_hdr);
		uint32_t d = t->depth < PT_MAX_DEPTH ? t->depth : PT_MAX_DEPTH;
		r[n++] = (struct region){ base, THR_FRAMES + d * sizeof t->frames[0] };
		r[n++] = (struct region){ base + THR_CALLS, nb * sizeof t->calls[0] };
		r[n++] = (struct region){ base + THR_LOST, nb * sizeof t->lost[0] };
	}
	return n;
}

static char *snap;       /* private: the child's copy is the one taken before fork */
static int snap_ok;

void pt_shm_snapshot(void)
{
	snap_ok = 0;
	if (!pt_hdr)
		return;
	if (!snap) {
		void *m = mmap(NULL, PT_SHM_SIZE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (m == MAP_FAILED)
			return;
		snap = m;
	}
	struct region r[8];
	int n = fork_regions(pt_hdr, pt_self, r);
	for (int i = 0; i < n; i++)
		memcpy(snap + r[i].off, (char *)pt_hdr + r[i].off, r[i].len);
	snap_ok = 1;
}

/* Only async-signal-safe calls here: we run in a fork child handler. */
int pt_shm_recreate_after_fork(void)
{
	if (!pt_hdr)
		return 0;
	if (!snap_ok)
		return -1;
	int pid = getpid();
	int fd = shm_open_new(pid);
	if (fd < 0)
		return -1;
	struct region r[8];
	struct pt_thread *t = pt_self ? (struct pt_thread *)(snap + ((char *)pt_self - (char *)pt_hdr)) : NULL;
	int n = fork_regions((struct pt_header *)snap, t, r);
	for (int i = 0; i < n; i++)
		if (r[i].len && pwrite(fd, snap + r[i].off, r[i].len, (off_t)r[i].off) != (ssize_t)r[i].len)
			goto fail;
	/* the old mapping is still shared with the parent: map the child's own
	 * file over the same addresses, so every pointer into it stays valid */
	void *m = mmap(pt_hdr, PT_SHM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
	if (m == MAP_FAILED)
		goto fail;
	close(fd);
	pt_hdr->pid = (uint32_t)pid;
	pt_hdr->start_time = pt_proc_start_time(pid);
	atomic_store(&pt_hdr->req.state, PT_REQ_IDLE);
	if (pt_self)
		atomic_store(&pt_self->tid, (uint32_t)gettid());
	return 0;
fail:
	close(fd);
	{
		char path[128];
		pt_shm_path(path, sizeof path, pid);
		unlink(path);
	}
	/* never write into the parent's file: keep tracking in private memory */
	if (mmap(pt_hdr, PT_SHM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
		 -1, 0) != MAP_FAILED)
		for (int i = 0; i < n; i++)
			memcpy((char *)pt_hdr + r[i].off, snap + r[i].off, r[i].len);
	return -1;
}

void pt_shm_unlink(void)
{
	if (!pt_hdr || pt_hdr->pid != (uint32_t)getpid())
		return;
	char path[128];
	pt_shm_path(path, sizeof path, (int)pt_hdr->pid);
	unlink(path);
}
