/* Bindings and their stubs.  A binding is one caller's PLT slot for one
 * symbol; its stub is 23 bytes of code that hands the binding to the shared
 * trampoline.  Stubs are written through a writable view of a memfd and run
 * from an executable view, so no page is ever writable and executable. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "pt_internal.h"

#define STUB_SIZE 32

struct pt_binding *pt_bind_tab[PT_MAX_BINDS];
static unsigned char *stub_rw, *stub_rx;

/* The executable view goes within +-2GB of the trampolines, so a stub can
 * reach them with a direct jump (one indirect branch less per call). */
static void *map_near(int fd, size_t len)
{
	uint64_t anchor = (uint64_t)pt_fast_enter & ~(uint64_t)0xffff;
	for (uint64_t step = 1; step <= 64; step++) {
		uint64_t want = anchor - step * (16u << 20);
		void *p = mmap((void *)want, len, PROT_READ | PROT_EXEC, MAP_SHARED | MAP_FIXED_NOREPLACE, fd, 0);
		if (p != MAP_FAILED) {
			if ((uint64_t)p == want)
				return p;
			munmap(p, len); /* old kernel ignored the flag and put it elsewhere */
		}
	}
	return mmap(NULL, len, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
}

static int stubs_init(void)
{
	size_t len = (size_t)PT_MAX_BINDS * STUB_SIZE;
	int fd = memfd_create("parttrack-stubs", MFD_CLOEXEC);
	if (fd >= 0 && ftruncate(fd, (off_t)len) == 0) {
		void *rw = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		void *rx = map_near(fd, len);
		close(fd);
		if (rw != MAP_FAILED && rx != MAP_FAILED) {
			stub_rw = rw;
			stub_rx = rx;
			return 0;
		}
	} else if (fd >= 0) {
		close(fd);
	}
	/* no memfd (old kernel, sandbox): fall back to one RWX mapping */
	void *m = mmap(NULL, len, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return -1;
	stub_rw = stub_rx = m;
	return 0;
}

static void put64(unsigned char *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

struct pt_binding *pt_bind_new(uint32_t ref, uint32_t def, const char *sym, const char *ver,
			       void *target, void **got)
{
	if (!stub_rw && stubs_init() < 0) {
		pt_warn("cannot map trampoline stubs");
		return NULL;
	}
	uint32_t idx = atomic_load(&pt_hdr->nbinds);
	if (idx >= PT_MAX_BINDS)
		return NULL;
	struct pt_binding *b = calloc(1, sizeof *b);
	if (!b)
		return NULL;
	b->idx = idx;
	b->ref = ref;
	b->def = def;
	b->got = got;
	atomic_store(&b->target, target);
	if (ver)
		strncpy(b->ver, ver, sizeof b->ver - 1);
	unsigned char *w = stub_rw + (size_t)idx * STUB_SIZE;
	b->stub = stub_rx + (size_t)idx * STUB_SIZE;
	memset(w, 0xcc, STUB_SIZE);
	w[0] = 0x49; w[1] = 0xbb; put64(w + 2, (uint64_t)b);                 /* movabs $b, %r11 */
	int64_t rel = (int64_t)((uint64_t)pt_enter_entry - ((uint64_t)b->stub + 15));
	if (rel == (int32_t)rel) {
		int32_t r32 = (int32_t)rel;
		w[10] = 0xe9; memcpy(w + 11, &r32, 4);                       /* jmp enter */
	} else {
		w[10] = 0x49; w[11] = 0xba; put64(w + 12, (uint64_t)pt_enter_entry); /* movabs $enter, %r10 */
		w[20] = 0x41; w[21] = 0xff; w[22] = 0xe2;                    /* jmp *%r10 */
	}

	struct pt_bind_info *bi = &pt_hdr->binds[idx];
	bi->ref = ref;
	bi->def = def;
	bi->successor = -1;
	strncpy(bi->sym, sym, sizeof bi->sym - 1);
	bi->used = 1;
	pt_bind_tab[idx] = b;
	atomic_store(&pt_hdr->nbinds, idx + 1);
	return b;
}

/* Only system calls and memcpy: we run in a fork child handler.  The stub
 * memfd is MAP_SHARED, so without this a binding the child creates (after a
 * dlopen) would overwrite a stub of its parent at the same index. */
int pt_bind_after_fork(void)
{
	if (!stub_rw || stub_rw == stub_rx)
		return 0; /* not mapped yet, or the private RWX fallback */
	size_t len = (size_t)PT_MAX_BINDS * STUB_SIZE;
	int fd = memfd_create("parttrack-stubs", MFD_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t used = (size_t)atomic_load(&pt_hdr->nbinds) * STUB_SIZE;
	if (ftruncate(fd, (off_t)len) != 0 || pwrite(fd, stub_rw, used, 0) != (ssize_t)used ||
	    mmap(stub_rx, len, PROT_READ | PROT_EXEC, MAP_SHARED | MAP_FIXED, fd, 0) == MAP_FAILED ||
	    mmap(stub_rw, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0) == MAP_FAILED) {
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int pt_bind_is_stub(const void *p)
{
	const unsigned char *c = p;
	return stub_rx && c >= stub_rx && c < stub_rx + (size_t)PT_MAX_BINDS * STUB_SIZE;
}
