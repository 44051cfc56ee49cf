#include "decode.h"
#include "util.h"
#include <capstone/capstone.h>
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct esec *exec_sec(const struct elfbin *b, uint64_t a)
{
    const struct esec *s = elf_sec_at(b, a);
    return s && (s->flags & SHF_EXECINSTR) && s->data ? s : NULL;
}

/* What a PLT stub or GOT slot at A stands for: "plt:NAME@VER" / "got:NAME@VER", or NULL. */
static const char *import_name(const struct elfbin *b, csh h, uint64_t a)
{
    const struct drel *r = NULL;
    const char *kind = "got";
    const struct esec *s = exec_sec(b, a);
    if (s) {
        /* A stub jumps through its GOT slot within its first few instructions. */
        cs_insn *in;
        size_t avail = s->addr + s->size - a, n = cs_disasm(h, s->data + (a - s->addr), avail < 32 ? avail : 32, a, 3, &in);
        for (size_t i = 0; i < n && !r; i++) {
            cs_x86 *x = &in[i].detail->x86;
            if (in[i].id == X86_INS_JMP && x->op_count == 1 && x->operands[0].type == X86_OP_MEM &&
                x->operands[0].mem.base == X86_REG_RIP)
                r = dynelf_rel_at(&b->dy, in[i].address + in[i].size + x->operands[0].mem.disp);
        }
        if (n)
            cs_free(in, n);
        kind = "plt";
    } else {
        r = dynelf_rel_at(&b->dy, a);
    }
    if (!r || !r->sym || !r->sym->name)
        return NULL;
    const char *v = r->need ? r->need : r->sym->version;
    char *q = ck_xmalloc(strlen(r->sym->name) + (v ? strlen(v) : 0) + 8);
    sprintf(q, "%s:%s%s%s", kind, r->sym->name, v ? "@" : "", v ? v : "");
    return q;
}

static void add_rel(struct elfbin *b, size_t *cap, uint64_t field, uint64_t target, const char *name)
{
    if (b->nrel == *cap)
        b->rels = ck_xrealloc(b->rels, (*cap = *cap ? *cap * 2 : 4096) * sizeof *b->rels);
    struct erel *x = &b->rels[b->nrel++];
    x->addr = field;
    x->type = R_X86_64_PC32;
    x->addend = 0;
    x->target = target - 4; /* the diff adds 4 back to a PC-relative target */
    x->symname = name;
}

static int cmp_rel(const void *a, const void *b)
{
    const struct erel *x = a, *y = b;
    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

int decode_relocs(struct elfbin *b)
{
    csh h;
    if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK)
        return ck_err("capstone: cannot open an x86-64 decoder");
    cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
    size_t cap = 0;
    for (size_t i = 0; i < b->nsym; i++) {
        const struct esym *s = &b->syms[i];
        if (s->type != STT_FUNC || !s->size || (i && b->syms[i - 1].addr == s->addr && b->syms[i - 1].type == STT_FUNC))
            continue; /* aliases decode once */
        const struct esec *x = exec_sec(b, s->addr);
        if (!x || s->addr + s->size > x->addr + x->size)
            continue;
        cs_insn *in;
        size_t n = cs_disasm(h, x->data + (s->addr - x->addr), s->size, s->addr, 0, &in);
        for (size_t k = 0; k < n; k++) {
            cs_x86 *d = &in[k].detail->x86;
            uint64_t next = in[k].address + in[k].size;
            for (int o = 0; o < d->op_count; o++) {
                cs_x86_op *op = &d->operands[o];
                if (op->type == X86_OP_MEM && op->mem.base == X86_REG_RIP && d->encoding.disp_size == 4) {
                    uint64_t t = next + op->mem.disp;
                    add_rel(b, &cap, in[k].address + d->encoding.disp_offset, t, import_name(b, h, t));
                } else if (op->type == X86_OP_IMM && d->encoding.imm_size == 4 &&
                           cs_insn_group(h, &in[k], CS_GRP_BRANCH_RELATIVE)) {
                    uint64_t t = op->imm;
                    add_rel(b, &cap, in[k].address + d->encoding.imm_offset, t, import_name(b, h, t));
                }
            }
        }
        if (n)
            cs_free(in, n);
    }
    cs_close(&h);
    qsort(b->rels, b->nrel, sizeof *b->rels, cmp_rel);
    b->synth = 1;
    return 0;
}
