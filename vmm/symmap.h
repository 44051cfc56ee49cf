/* The guest kernel's symbols from a System.map module ("ffffffff81000000 T _stext" lines, sorted
 * by address: host-tools/hindsight-syms writes one from a stock kernel's own kallsyms), for the
 * debugger's `break panic` and `x linux_banner`. Pure: works on the text as GRUB loaded it. */
#ifndef HS_SYMMAP_H
#define HS_SYMMAP_H
#include <stddef.h>
#include <stdint.h>

struct symmap {
    const char *text;
    size_t len;
};

/* The address of a symbol (a global one preferred over a local of the same name): 0 if found. */
int symmap_lookup(const struct symmap *m, const char *name, size_t nlen, uint64_t *addr);
/* The symbol at or below addr and the offset from it: 0 if found; name is NUL-terminated, cut to size. */
int symmap_name(const struct symmap *m, uint64_t addr, char *name, size_t size, uint64_t *off);

#endif
