/* Leaves with subleaves are stored per subleaf; the others ignore ECX, as the CPU does. */
#include "cpuid_table.h"
#include "cpuid_filter.h"

struct entry {
    uint32_t leaf, sub, r[4];
};

static struct entry table[CPUID_TABLE_MAX];
static unsigned n_entries;

static int has_subleaves(uint32_t leaf)
{
    switch (leaf) {
    case 4: case 7: case 0xB: case 0xD: case 0xF: case 0x10: case 0x12: case 0x14: case 0x17: case 0x18:
    case 0x1F: case 0x8000001D:
        return 1;
    default:
        return 0;
    }
}

#define SUBLEAVES 16

static void add(void (*raw)(uint32_t, uint32_t, uint32_t[4]), uint32_t leaf)
{
    unsigned subs = has_subleaves(leaf) ? SUBLEAVES : 1;
    for (uint32_t s = 0; s < subs && n_entries < CPUID_TABLE_MAX; s++) {
        struct entry *e = &table[n_entries++];
        e->leaf = leaf;
        e->sub = s;
        raw(leaf, s, e->r);
        cpuid_filter(leaf, s, e->r);
    }
}

void cpuid_table_build(void (*raw)(uint32_t, uint32_t, uint32_t[4]))
{
    uint32_t r[4];
    n_entries = 0;
    raw(0, 0, r);
    cpuid_filter(0, 0, r); /* the filter may raise the maximum leaf (to show the TSC leaves) */
    uint32_t max = r[0] > 0x1F ? 0x1F : r[0];
    for (uint32_t l = 0; l <= max; l++)
        add(raw, l);
    table[0].r[0] = max; /* the guest sees the maximum the table holds */
    /* The hypervisor leaves are the filter's own answer. */
    add(raw, HINDSIGHT_CPUID_BASE);
    add(raw, HINDSIGHT_CPUID_BASE + 1);
    raw(0x80000000u, 0, r);
    /* Clamped, not dropped: a CPU with many extended leaves still gets the ones Linux reads. */
    uint32_t emax = r[0] < 0x80000000u ? 0x80000000u : r[0] > 0x80000020u ? 0x80000020u : r[0];
    unsigned ext0 = n_entries;
    for (uint32_t l = 0x80000000u; l <= emax; l++)
        add(raw, l);
    if (ext0 < n_entries)
        table[ext0].r[0] = emax;
}

void cpuid_table_get(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    if (!has_subleaves(leaf))
        sub = 0;
    for (unsigned i = 0; i < n_entries; i++)
        if (table[i].leaf == leaf && table[i].sub == sub) {
            for (int k = 0; k < 4; k++)
                r[k] = table[i].r[k];
            return;
        }
    r[0] = r[1] = r[2] = r[3] = 0;
}

unsigned cpuid_table_size(void) { return n_entries; }
