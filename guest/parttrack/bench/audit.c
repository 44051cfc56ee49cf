/* An LD_AUDIT module that asks glibc for la_pltenter/la_pltexit on every
 * PLT call: the standard way to see cross-object calls and returns. */
#include <link.h>
#include <stdint.h>

static volatile unsigned long enters, exits;

unsigned int la_version(unsigned int v)
{
	(void)v;
	return LAV_CURRENT;
}

unsigned int la_objopen(struct link_map *map, Lmid_t lmid, uintptr_t *cookie)
{
	(void)map;
	(void)lmid;
	(void)cookie;
	return LA_FLG_BINDTO | LA_FLG_BINDFROM;
}

uintptr_t la_symbind64(Elf64_Sym *sym, unsigned int ndx, uintptr_t *refcook, uintptr_t *defcook,
		       unsigned int *flags, const char *symname)
{
	(void)ndx;
	(void)refcook;
	(void)defcook;
	(void)flags;
	(void)symname;
	return sym->st_value;
}

Elf64_Addr la_x86_64_gnu_pltenter(Elf64_Sym *sym, unsigned int ndx, uintptr_t *refcook,
				  uintptr_t *defcook, La_x86_64_regs *regs, unsigned int *flags,
				  const char *symname, long *framesizep)
{
	(void)ndx;
	(void)refcook;
	(void)defcook;
	(void)regs;
	(void)flags;
	(void)symname;
	enters++;
	*framesizep = 0; /* ask for la_pltexit too */
	return sym->st_value;
}

unsigned int la_x86_64_gnu_pltexit(Elf64_Sym *sym, unsigned int ndx, uintptr_t *refcook,
				   uintptr_t *defcook, const La_x86_64_regs *inregs,
				   La_x86_64_retval *outregs, const char *symname)
{
	(void)sym;
	(void)ndx;
	(void)refcook;
	(void)defcook;
	(void)inregs;
	(void)outregs;
	(void)symname;
	exits++;
	return 0;
}
