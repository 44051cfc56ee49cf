/* Memory and register helpers shared by the GDB stub and the monitor (see target.h). */
#include "debug/target.h"
#include "debug/gva.h"
#include "lib.h"

static struct gva_mem gva_of(const struct dbg_target *t)
{
    struct gva_mem m = { t->ctx, t->read_phys, t->ram_size, t->maxphyaddr };
    return m;
}

static bool phys_ok(const struct dbg_target *t, uint64_t pa, char *why, size_t whylen)
{
    if (pa >= t->ram_size) {
        if (why && whylen)
            hs_snprintf(why, whylen, "pa 0x%lx is outside guest RAM (0x%lx bytes)", pa, t->ram_size);
        return false;
    }
    return true;
}

/* One physical chunk [pa, pa + n) that phys_ok accepted at pa: clipped to RAM. */
static size_t clip(const struct dbg_target *t, uint64_t pa, size_t n)
{
    uint64_t room = t->ram_size - pa;
    return n > room ? (size_t)room : n;
}

static size_t phys_rw(const struct dbg_target *t, uint64_t pa, void *rbuf, const void *wbuf, size_t len, char *why,
                      size_t whylen)
{
    if (why && whylen)
        why[0] = 0;
    if (!len)
        return 0;
    if (!phys_ok(t, pa, why, whylen))
        return 0;
    size_t n = clip(t, pa, len);
    long r = rbuf ? (t->read_phys ? t->read_phys(t->ctx, pa, rbuf, n) : -1)
                  : (t->write_phys ? t->write_phys(t->ctx, pa, wbuf, n) : -1);
    size_t done = r > 0 ? ((size_t)r > n ? n : (size_t)r) : 0;
    if (done < len && why && whylen && !why[0]) {
        uint64_t at = pa + done;
        if (at >= t->ram_size)
            hs_snprintf(why, whylen, "pa 0x%lx is outside guest RAM (0x%lx bytes)", at, t->ram_size);
        else
            hs_snprintf(why, whylen, "cannot %s guest memory at pa 0x%lx", rbuf ? "read" : "write", at);
    }
    return done;
}

size_t dbg_read_phys(const struct dbg_target *t, uint64_t pa, void *buf, size_t len, char *why, size_t whylen)
{
    return phys_rw(t, pa, buf, NULL, len, why, whylen);
}

size_t dbg_write_phys(const struct dbg_target *t, uint64_t pa, const void *buf, size_t len, char *why, size_t whylen)
{
    return phys_rw(t, pa, NULL, buf, len, why, whylen);
}

static size_t virt_rw(const struct dbg_target *t, const struct dbg_regs *regs, uint64_t va, uint8_t *rbuf,
                      const uint8_t *wbuf, size_t len, char *why, size_t whylen)
{
    struct gva_mem m = gva_of(t);
    size_t done = 0;
    if (why && whylen)
        why[0] = 0;
    while (done < len) {
        uint64_t a = va + done, pa;
        if (a < va) { /* wrapped past the top of the address space */
            if (why && whylen)
                hs_snprintf(why, whylen, "address range wraps past 0xffffffffffffffff");
            break;
        }
        if (gva_translate(&m, regs->cr3, regs->cr4, regs->efer, regs->cr0, a, &pa, why, whylen) != GVA_OK)
            break;
        size_t n = 4096 - (size_t)(a & 0xFFF); /* pages are at least 4K: contiguous up to here */
        if (n > len - done)
            n = len - done;
        size_t got = phys_rw(t, pa, rbuf ? rbuf + done : NULL, wbuf ? wbuf + done : NULL, n, why, whylen);
        done += got;
        if (got < n)
            break;
    }
    return done;
}

size_t dbg_read_virt(const struct dbg_target *t, const struct dbg_regs *regs, uint64_t va, void *buf, size_t len,
                     char *why, size_t whylen)
{
    return virt_rw(t, regs, va, buf, NULL, len, why, whylen);
}

size_t dbg_write_virt(const struct dbg_target *t, const struct dbg_regs *regs, uint64_t va, const void *buf,
                      size_t len, char *why, size_t whylen)
{
    return virt_rw(t, regs, va, NULL, buf, len, why, whylen);
}

void *dbg_reg_by_name(struct dbg_regs *r, const char *name, size_t len, unsigned *size)
{
    static const struct {
        const char *name;
        size_t off;
        unsigned size;
    } regs[] = {
#define R64(n) { #n, offsetof(struct dbg_regs, n), 8 }
#define R16(n) { #n, offsetof(struct dbg_regs, n), 2 }
        R64(rax), R64(rbx), R64(rcx), R64(rdx), R64(rsi), R64(rdi), R64(rbp), R64(rsp),
        R64(r8), R64(r9), R64(r10), R64(r11), R64(r12), R64(r13), R64(r14), R64(r15),
        R64(rip), R64(rflags), { "eflags", offsetof(struct dbg_regs, rflags), 8 },
        R16(cs), R16(ss), R16(ds), R16(es), R16(fs), R16(gs),
        R64(fs_base), R64(gs_base), R64(k_gs_base),
        R64(cr0), R64(cr2), R64(cr3), R64(cr4), R64(cr8), R64(efer),
#undef R64
#undef R16
    };
    for (size_t i = 0; i < ARRAY_SIZE(regs); i++)
        if (strlen(regs[i].name) == len && !strncmp(regs[i].name, name, len)) {
            if (size)
                *size = regs[i].size;
            return (uint8_t *)r + regs[i].off;
        }
    return NULL;
}

long dbg_ram_read(const uint8_t *ram, uint64_t ram_size, uint64_t pa, void *buf, size_t len)
{
    if (pa >= ram_size)
        return -1;
    if (len > ram_size - pa)
        len = (size_t)(ram_size - pa);
    memcpy(buf, ram + pa, len);
    return (long)len;
}

long dbg_ram_write(uint8_t *ram, uint64_t ram_size, uint64_t pa, const void *buf, size_t len)
{
    if (pa >= ram_size)
        return -1;
    if (len > ram_size - pa)
        len = (size_t)(ram_size - pa);
    memcpy(ram + pa, buf, len);
    return (long)len;
}
