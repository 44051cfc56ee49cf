/* The object table: every loaded ELF object is a "part" (the paper's load
 * segment) unless it belongs to the language runtime, whose calls we leave
 * alone because our own slow paths use it. */
#include <dlfcn.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "pt_internal.h"

struct pt_obj_priv pt_objp[PT_MAX_OBJS];

static const char *const runtime[] = {
	"ld-linux", "ld64.so", "libc.so", "libm.so", "libpthread.so", "libdl.so", "librt.so",
	"libgcc_s.so", "libstdc++.so", "linux-vdso", "libparttrack", "libresolv.so",
	"libutil.so", "libmvec.so", "libanl.so", NULL
};

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

static int is_runtime(const char *path)
{
	const char *b = base_name(path);
	for (int i = 0; runtime[i]; i++)
		if (strncmp(b, runtime[i], strlen(runtime[i])) == 0)
			return 1;
	/* PARTTRACK_IGNORE=libfoo.so:libbar.so leaves more objects untracked */
	const char *ign = getenv("PARTTRACK_IGNORE");
	while (ign && *ign) {
		size_t n = strcspn(ign, ":");
		if (n && strncmp(b, ign, n) == 0)
			return 1;
		ign += n + (ign[n] == ':');
	}
	return 0;
}

struct scan_ctx {
	unsigned char seen[PT_MAX_OBJS];
	int live;
};

static int find_slot(const char *name, uint64_t base)
{
	uint32_t n = atomic_load(&pt_hdr->nobjs);
	for (uint32_t i = 0; i < n; i++) {
		struct pt_obj *o = &pt_hdr->objs[i];
		if ((o->state == PT_OBJ_LIVE || o->state == PT_OBJ_RETIRED || o->state == PT_OBJ_INCOMING) &&
		    o->base == base &&
		    strcmp(o->name, name) == 0)
			return (int)i;
	}
	return -1;
}

static int scan_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	struct scan_ctx *c = arg;
	const char *name = info->dlpi_name;
	int is_exe = (name == NULL || name[0] == 0);
	if (is_exe && c->live > 0)
		return 0; /* the vdso may also come without a name; only the first is the exe */
	if (is_exe)
		name = pt_hdr->exe;
	int i = find_slot(name, info->dlpi_addr);
	if (i < 0) {
		uint32_t n = atomic_load(&pt_hdr->nobjs);
		if (n >= PT_MAX_OBJS)
			return 0;
		i = (int)n;
		struct pt_obj *o = &pt_hdr->objs[i];
		memset(o, 0, sizeof *o);
		snprintf(o->name, sizeof o->name, "%s", name);
		snprintf(o->origin, sizeof o->origin, "%s", name);
		o->base = info->dlpi_addr;
		o->replaces = o->replaced_by = -1;
		o->tracked = !is_runtime(name);
		uint64_t lo = UINT64_MAX, hi = 0;
		pt_objp[i].dyn = NULL;
		pt_objp[i].relro_lo = pt_objp[i].relro_hi = 0;
		for (int k = 0; k < info->dlpi_phnum; k++) {
			const ElfW(Phdr) *ph = &info->dlpi_phdr[k];
			uint64_t a = info->dlpi_addr + ph->p_vaddr;
			if (ph->p_type == PT_LOAD) {
				if (a < lo)
					lo = a;
				if (a + ph->p_memsz > hi)
					hi = a + ph->p_memsz;
			} else if (ph->p_type == PT_DYNAMIC) {
				pt_objp[i].dyn = (const ElfW(Dyn) *)a;
			} else if (ph->p_type == PT_GNU_RELRO) {
				pt_objp[i].relro_lo = a;
				pt_objp[i].relro_hi = a + ph->p_memsz;
			}
		}
		o->lo = lo;
		o->hi = hi;
		o->state = PT_OBJ_LIVE;
		atomic_store(&pt_hdr->nobjs, n + 1);
	}
	c->seen[i] = 1;
	c->live++;
	return 0;
}

int pt_objects_scan(void)
{
	struct scan_ctx c;
	memset(&c, 0, sizeof c);
	dl_iterate_phdr(scan_cb, &c);
	uint32_t n = atomic_load(&pt_hdr->nobjs);
	for (uint32_t i = 0; i < n; i++) {
		struct pt_obj *o = &pt_hdr->objs[i];
		if (!c.seen[i] && o->state != PT_OBJ_FREE)
			o->state = PT_OBJ_UNLOADED;
	}
	return c.live;
}

int pt_object_of(uint64_t a)
{
	uint32_t n = atomic_load(&pt_hdr->nobjs);
	for (uint32_t i = 0; i < n; i++) {
		struct pt_obj *o = &pt_hdr->objs[i];
		if (o->state != PT_OBJ_FREE && o->state != PT_OBJ_UNLOADED && a >= o->lo && a < o->hi)
			return (int)i;
	}
	return -1;
}

int pt_object_find(const char *name)
{
	uint32_t n = atomic_load(&pt_hdr->nobjs);
	int bare = strchr(name, '/') == NULL;
	for (uint32_t i = 0; i < n; i++) {
		struct pt_obj *o = &pt_hdr->objs[i];
		if (o->state != PT_OBJ_LIVE)
			continue;
		if (strcmp(o->name, name) == 0 || strcmp(o->origin, name) == 0)
			return (int)i;
		if (bare && (strcmp(base_name(o->name), name) == 0 ||
			     strcmp(base_name(o->origin), name) == 0))
			return (int)i;
	}
	return -1;
}
