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

/* Only async-signal-safe calls here: we run in a fork child handler. */
int pt_shm_recreate_after_fork(void)
{
	if (!pt_hdr)
		return 0;
	int pid = getpid();
	int fd = shm_open_new(pid);
	if (fd < 0)
		return -1;
	/* the old mapping is still shared with the parent: copy what the child
	 * keeps into the new file, then map the new file over the same addresses */
	ssize_t want = (ssize_t)sizeof(struct pt_header);
	if (pwrite(fd, pt_hdr, (size_t)want, 0) != want)
		goto fail;
	if (pt_self) {
		off_t off = (off_t)((char *)pt_self - (char *)pt_hdr);
		if (pwrite(fd, pt_self, THR_SIZE, off) != THR_SIZE)
			goto fail;
	}
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
