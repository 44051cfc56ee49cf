/* Boot flow of the bootstrap core: console, boot information, memory, descriptors,
 * configuration, VMX, guests; then core 1 is started and both enter their guests. */
#include "config.h"
#include "console.h"
#include "cpu.h"
#include "cpuid_filter.h"
#include "guest.h"
#include "lib.h"
#include "mb2.h"
#include "msr.h"
#include "paging.h"
#include "palloc.h"
#include "platform.h"
#include "run.h"
#include "smp.h"
#include "vcpu.h"
#include "vmx.h"
#include "vtime.h"
#include "x86.h"

#define MAX_PHYS (64ul << 30)
#define STACK_PAGES 4

extern char __image_start[], __image_end[];

static uint64_t page_bits[MAX_PHYS / PAGE_SIZE / 64];
static struct palloc pa;
static struct mb2_info mb;
static struct config cfg;
static struct cpu cpus[CPU_MAX];
static struct vcpu vcpus[CPU_MAX];
static struct guest_entry entry;
static uint64_t cr3;
static unsigned n_running;

static void fail_run(const char *outcome) __attribute__((noreturn));
static void fail_run(const char *outcome)
{
    kprintf("hindsight: summary outcome=%s\n", outcome);
    platform_exit();
}

static void init_memory(uint64_t mbi)
{
    uint64_t top = 0;
    for (unsigned i = 0; i < mb.n_mmap; i++)
        if (mb.mmap[i].type == MB2_MMAP_AVAILABLE && mb.mmap[i].base + mb.mmap[i].len > top)
            top = mb.mmap[i].base + mb.mmap[i].len;
    if (top > MAX_PHYS) {
        kprintf("hindsight: note: using the first %lu GiB of %lu GiB of RAM\n", MAX_PHYS >> 30, top >> 30);
        top = MAX_PHYS;
    }
    palloc_init(&pa, page_bits, top / PAGE_SIZE);
    for (unsigned i = 0; i < mb.n_mmap; i++)
        if (mb.mmap[i].type == MB2_MMAP_AVAILABLE)
            palloc_add_free(&pa, mb.mmap[i].base, mb.mmap[i].len);
    /* Low 1 MiB (BIOS data, the AP trampoline), our image, the boot information, the modules. */
    palloc_reserve(&pa, 0, 1ull << 20);
    palloc_reserve(&pa, (uint64_t)(uintptr_t)__image_start, (uint64_t)(__image_end - __image_start));
    palloc_reserve(&pa, mbi, mb.total_size);
    for (unsigned i = 0; i < mb.n_modules; i++)
        palloc_reserve(&pa, mb.modules[i].start, mb.modules[i].end - mb.modules[i].start);
}

static uint64_t alloc_stack(void)
{
    uint64_t s = palloc_alloc(&pa, STACK_PAGES, PAGE_SIZE);
    if (!s) {
        kprintf("hindsight: FATAL: out of memory for stacks\n");
        fail_run("out-of-memory");
    }
    return s + STACK_PAGES * PAGE_SIZE;
}

static void load_config(void)
{
    char err[160];
    config_defaults(&cfg);
    const struct mb2_module *m = mb2_find_module(&mb, "config");
    if (!m) {
        kprintf("hindsight: no 'config' module; using defaults\n");
        return;
    }
    if (config_parse(&cfg, (const char *)(uintptr_t)m->start, (size_t)(m->end - m->start), err, sizeof(err))) {
        kprintf("hindsight: FATAL: %s\n", err);
        fail_run("config-error");
    }
    console_set_sinks(cfg.console);
}

static void enter_guest(struct cpu *c) __attribute__((noreturn));
static void enter_guest(struct cpu *c)
{
    struct vcpu *v = &vcpus[c->id];
    /* Core 0 enabled VMX before guests were built, so that a machine without it stops early. */
    if ((c->id != 0 && vmx_enable(&pa, &cfg, c->id)) || vmx_setup_vmcs(v, &pa, entry.eip, entry.ebx, entry.esi))
        vcpu_stop(v, "vmx-unavailable");
    kprintf("hindsight: core %u in VMX root; entering %s at 0x%x (%s)\n", c->id, v->name, entry.eip, entry.protocol);
    vmx_launch(v);
}

static void ap_main(void *arg)
{
    struct cpu *c = arg;
    cpu_init_descriptors(c);
    enter_guest(c);
}

static void print_vcpu_summary(char *buf, size_t cap, size_t *len, struct vcpu *v)
{
    const char *k = v->id ? "backup" : "primary";
    *len += (size_t)hs_snprintf(buf + *len, cap - *len,
                                " %s.outcome=%s %s.exits=%lu %s.exit_seq=%lu %s.rip=0x%lx %s.launch_tick=%lu %s.ticks=%lu",
                                k, v->outcome ? v->outcome : "running", k, v->exits_total, k, v->exit_seq, k,
                                v->stop_rip, k, v->launch_tsc, k, v->stop_tsc - v->launch_tsc);
    for (unsigned r = 0; r <= EXIT_REASON_MAX; r++)
        if (v->exits[r] && *len < cap)
            *len += (size_t)hs_snprintf(buf + *len, cap - *len, " %s.exit.%s=%lu", k, exit_reason_name(r),
                                        v->exits[r]);
    if (*len < cap)
        *len += (size_t)hs_snprintf(buf + *len, cap - *len,
                                    " %s.io_other=%lu %s.port80=%lu %s.timer_irqs=%lu %s.injected=%lu"
                                    " %s.console_bytes=%lu",
                                    k, v->io_other, k, v->port80, k, v->timer_irqs, k, v->injected, k,
                                    v->console_bytes);
}

void run_core_finished(struct cpu *c)
{
    if (c->id != 0)
        halt_forever();
    for (unsigned i = 1; i < n_running; i++)
        while (!__atomic_load_n(&vcpus[i].done, __ATOMIC_ACQUIRE))
            cpu_relax();
    static char buf[2048];
    size_t len = (size_t)hs_snprintf(buf, sizeof(buf), "hindsight: summary outcome=%s cores=%u",
                                     vcpus[0].outcome ? vcpus[0].outcome : "unknown", n_running);
    for (unsigned i = 0; i < n_running; i++)
        print_vcpu_summary(buf, sizeof(buf), &len, &vcpus[i]);
    if (len >= sizeof(buf))
        len = sizeof(buf) - 1;
    buf[len++] = '\n';
    console_write(buf, len);
    platform_exit();
}

void vmm_main(uint32_t magic, uint64_t mbi);
void vmm_main(uint32_t magic, uint64_t mbi)
{
    char err[160];
    console_init(CONSOLE_COM1 | CONSOLE_E9);
    platform_mask_pic();
    uint64_t start_tick = rdtsc();
    kprintf("\nhindsight: VMM starting at tick %lu\n", start_tick);
    if (magic != MB2_BOOTLOADER_MAGIC) {
        kprintf("hindsight: FATAL: not started by a multiboot2 loader (magic 0x%x)\n", magic);
        fail_run("boot-error");
    }
    if (mb2_parse((const void *)(uintptr_t)mbi, &mb, err, sizeof(err))) {
        kprintf("hindsight: FATAL: %s\n", err);
        fail_run("boot-error");
    }
    init_memory(mbi);
    cpus[0].id = 0;
    cpu_init_descriptors(&cpus[0]);
    cr3 = paging_init(&pa, &mb);
    load_config();
    kprintf("hindsight: %lu MiB free, %u module(s), loader '%s'\n", (pa.free_pages * PAGE_SIZE) >> 20, mb.n_modules,
            mb.loader);

    if (cfg.sim_vmm_fault)
        *(volatile uint64_t *)0xFFFF800000000000ull = 1; /* unmapped: a page fault in the VMM */
    if (vmx_enable(&pa, &cfg, 0))
        fail_run("no-vmx");
    vtime_init();
    if (!cfg.rtc_epoch)
        cfg.rtc_epoch = platform_read_rtc(); /* read once: both guests must see the same clock */
    cpuid_filter_set_tsc_hz(vtime_tsc_hz());
    unsigned n = cfg.cores;
    uint64_t ram = palloc_alloc(&pa, cfg.guest_mem * n / PAGE_SIZE, 2ull << 20);
    if (!ram) {
        kprintf("hindsight: FATAL: guest memory %lu MiB x %u guest(s) does not fit: the largest free block is %lu MiB\n",
                cfg.guest_mem >> 20, n, palloc_largest_free(&pa) >> 20);
        fail_run("config-error");
    }
    static const char *const names[2] = { "Primary", "Backup" };
    for (unsigned i = 0; i < n; i++) {
        struct vcpu *v = &vcpus[i];
        v->id = i;
        v->name = names[i];
        v->tag = i ? 'B' : 'P';
        v->cpu = &cpus[i];
        cpus[i].id = i;
        cpus[i].vcpu = v;
        cpus[i].exit_stack_top = alloc_stack() - 16;
        uart_init(&v->com1, vcpu_console_byte, v);
        pic_init(&v->pic);
        pit_init(&v->pit);
        cmos_init(&v->cmos);
        v->raw_console = cfg.raw_console;
        v->rtc_epoch = cfg.rtc_epoch;
        /* The design's OFFSET scheme: the Backup's RAM sits right after the Primary's. */
        if (guest_map_ram(v, &pa, ram + i * cfg.guest_mem, cfg.guest_mem) || guest_load(v, &cfg, &mb, &entry))
            fail_run("load-error");
    }
    kprintf("hindsight: guest RAM %lu MiB each: Primary at 0x%lx, Backup at 0x%lx; kernel entry 0x%x (%s)\n",
            cfg.guest_mem >> 20, ram, n > 1 ? ram + cfg.guest_mem : 0, entry.eip, entry.protocol);
    n_running = 1;
    if (n > 1) {
        if (smp_start_ap(cr3, alloc_stack(), ap_main, &cpus[1]) == 0)
            n_running = 2;
        else
            kprintf("hindsight: running the Primary alone\n");
    }
    enter_guest(&cpus[0]);
}
