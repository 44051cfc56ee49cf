#include "frames.h"
#include "inject.h"
#include "util.h"
#include <libunwind-ptrace.h>
#include <stdlib.h>

int frames_unwind(pid_t pid, struct ck_frame **out)
{
    unw_addr_space_t as = unw_create_addr_space(&_UPT_accessors, 0);
    if (!as)
        return ck_err("libunwind: cannot create address space");
    void *ui = _UPT_create(pid);
    unw_cursor_t c;
    int n = 0, cap = 32, rc = unw_init_remote(&c, as, ui);
    struct ck_frame *f = ck_xmalloc(cap * sizeof *f);
    if (rc < 0) {
        ck_err("libunwind: cannot start unwinding process %d (%d)", (int)pid, rc);
        n = -1;
        goto out;
    }
    for (;;) {
        unw_word_t ip, sp;
        unw_get_reg(&c, UNW_REG_IP, &ip);
        unw_get_reg(&c, UNW_REG_SP, &sp);
        if (n == cap)
            f = ck_xrealloc(f, (cap *= 2) * sizeof *f);
        f[n].ip = ip;
        f[n].ra_loc = 0;
        if (n > 0) {
            /* The caller's sp is the callee's CFA; the return address sits just below it. */
            uint64_t word;
            if (pt_read(pid, sp - 8, &word, 8) == 0 && word == ip)
                f[n].ra_loc = sp - 8;
        }
        n++;
        if (n > 4096)
            break;
        rc = unw_step(&c);
        if (rc <= 0)
            break;
    }
    if (rc < 0)
        ck_warn("unwinding stopped early (%d) after %d frames", rc, n);
out:
    _UPT_destroy(ui);
    unw_destroy_addr_space(as);
    if (n < 0) {
        free(f);
        return -1;
    }
    *out = f;
    return n;
}
