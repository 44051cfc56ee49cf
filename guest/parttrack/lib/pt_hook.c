/* PLT hooking: walk each tracked object's JUMP_SLOT relocations and point
 * every slot whose definition lies in another tracked object at a binding
 * stub.  Works the same for lazy binding (slot still points into the PLT: we
 * resolve the symbol ourselves) and for -z now (slot holds the definition,
 * possibly inside read-only RELRO, which we lift around the write). */
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "pt_internal.h"

struct dyninfo {
	const ElfW(Rela) *jmprel;
	size_t pltrelsz;
	const ElfW(Sym) *symtab;
	const char *strtab;
	const ElfW(Half) *versym;
	const ElfW(Verneed) *verneed;
	size_t verneednum;
	int pltrel;
};

/* glibc rewrites d_ptr to absolute addresses on x86-64; other loaders leave them relative */
static const void *dptr(uint64_t base, ElfW(Addr) v)
{
	return (const void *)(v < base ? v + base : v);
}

static int read_dyn(int obj, struct dyninfo *d)
{
	memset(d, 0, sizeof *d);
	const ElfW(Dyn) *dyn = pt_objp[obj].dyn;
	uint64_t base = pt_hdr->objs[obj].base;
	if (!dyn)
		return -1;
	for (; dyn->d_tag != DT_NULL; dyn++) {
		switch (dyn->d_tag) {
		case DT_JMPREL: d->jmprel = dptr(base, dyn->d_un.d_ptr); break;
		case DT_PLTRELSZ: d->pltrelsz = dyn->d_un.d_val; break;
		case DT_PLTREL: d->pltrel = (int)dyn->d_un.d_val; break;
		case DT_SYMTAB: d->symtab = dptr(base, dyn->d_un.d_ptr); break;
		case DT_STRTAB: d->strtab = dptr(base, dyn->d_un.d_ptr); break;
		case DT_VERSYM: d->versym = dptr(base, dyn->d_un.d_ptr); break;
		case DT_VERNEED: d->verneed = dptr(base, dyn->d_un.d_ptr); break;
		case DT_VERNEEDNUM: d->verneednum = dyn->d_un.d_val; break;
		}
	}
	if (!d->jmprel || !d->symtab || !d->strtab || d->pltrel != DT_RELA)
		return -1;
	return 0;
}

/* The version the caller asked for (e.g. "FOO_1"), or NULL for an unversioned reference. */
static const char *needed_version(const struct dyninfo *d, size_t symidx)
{
	if (!d->versym || !d->verneed)
		return NULL;
	ElfW(Half) v = d->versym[symidx] & 0x7fff;
	if (v < 2)
		return NULL;
	const ElfW(Verneed) *vn = d->verneed;
	for (size_t i = 0; i < d->verneednum; i++) {
		const ElfW(Vernaux) *a = (const void *)((const char *)vn + vn->vn_aux);
		for (unsigned k = 0; k < vn->vn_cnt; k++) {
			if (a->vna_other == v)
				return d->strtab + a->vna_name;
			a = (const void *)((const char *)a + a->vna_next);
		}
		if (!vn->vn_next)
			break;
		vn = (const void *)((const char *)vn + vn->vn_next);
	}
	return NULL;
}

static void *lookup_in(void *h, const char *name, const char *ver)
{
	return ver ? dlvsym(h, name, ver) : dlsym(h, name);
}

/* Where the loader would bind ref's reference: the global scope first, then
 * the object's own dependencies (for objects opened RTLD_LOCAL); objects we
 * loaded for a swap use RTLD_DEEPBIND and so search themselves first. */
static void *resolve(int ref, const char *name, const char *ver)
{
	struct pt_obj *o = &pt_hdr->objs[ref];
	void *h = pt_real_dlopen(ref == 0 ? NULL : o->name, RTLD_LAZY | RTLD_NOLOAD);
	void *a = NULL;
	if (o->replaces >= 0 && h)
		a = lookup_in(h, name, ver);
	if (!a)
		a = lookup_in(RTLD_DEFAULT, name, ver);
	if (!a && h)
		a = lookup_in(h, name, ver);
	if (h)
		pt_real_dlclose(h);
	return a;
}

int pt_got_write(void **slot, void *val)
{
	uint64_t a = (uint64_t)slot;
	int obj = pt_object_of(a);
	int relro = obj >= 0 && a >= pt_objp[obj].relro_lo && a < pt_objp[obj].relro_hi;
	uint64_t pg = a & ~(uint64_t)(sysconf(_SC_PAGESIZE) - 1);
	size_t len = (size_t)sysconf(_SC_PAGESIZE);
	if (relro && mprotect((void *)pg, len, PROT_READ | PROT_WRITE) < 0)
		return -1;
	__atomic_store_n(slot, val, __ATOMIC_RELEASE);
	if (relro)
		mprotect((void *)pg, len, PROT_READ);
	return 0;
}

int pt_hook_object(int ref)
{
	struct pt_obj *o = &pt_hdr->objs[ref];
	if (o->state != PT_OBJ_LIVE || !o->tracked)
		return 0;
	struct dyninfo d;
	if (read_dyn(ref, &d) < 0)
		return 0;
	int hooked = 0;
	size_t n = d.pltrelsz / sizeof(ElfW(Rela));
	for (size_t i = 0; i < n; i++) {
		const ElfW(Rela) *r = &d.jmprel[i];
		if (ELF64_R_TYPE(r->r_info) != R_X86_64_JUMP_SLOT)
			continue;
		void **got = (void **)(o->base + r->r_offset);
		void *cur = __atomic_load_n(got, __ATOMIC_ACQUIRE);
		if (pt_bind_is_stub(cur))
			continue;
		size_t si = ELF64_R_SYM(r->r_info);
		const char *name = d.strtab + d.symtab[si].st_name;
		const char *ver = needed_version(&d, si);
		int def = pt_object_of((uint64_t)cur);
		void *target = cur;
		if (def == ref || def < 0) {
			/* lazy slot still pointing at our own PLT: find the definition */
			target = resolve(ref, name, ver);
			if (!target)
				continue; /* not defined yet; a later dlopen may provide it */
			def = pt_object_of((uint64_t)target);
		}
		if (def < 0 || def == ref || !pt_hdr->objs[def].tracked ||
		    pt_hdr->objs[def].state != PT_OBJ_LIVE)
			continue;
		struct pt_binding *b = pt_bind_new((uint32_t)ref, (uint32_t)def, name, ver, target, got);
		if (!b) {
			pt_warn("binding table full; %s from %s is not tracked", name, o->name);
			return hooked;
		}
		if (pt_got_write(got, b->stub) < 0) {
			pt_warn("cannot write GOT slot of %s in %s", name, o->name);
			continue;
		}
		hooked++;
		pt_debug("hooked %s -> %s:%s", o->name, pt_hdr->objs[def].name, name);
	}
	return hooked;
}

void pt_hook_all(void)
{
	uint32_t n = atomic_load(&pt_hdr->nobjs);
	for (uint32_t i = 0; i < n; i++)
		pt_hook_object((int)i);
}
