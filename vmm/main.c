/* Boot flow of the bootstrap core: console, boot information, memory, descriptors,
 * configuration, VMX, guests; then core 1 is started and both enter their guests. */
#include "config.h"
#include "counter.h"
#include "latency.h"
#include "console.h"
#include "cores.h"
#include "cpu.h"
#include "cpuid_filter.h"
#include "cpuid_table.h"
#include "dbg.h"
#include "logout.h"
#include "guest.h"
#include "hostirq.h"
#include "land.h"
#include "lib.h"
#include "mb2.h"
#include "msr.h"
#include "paging.h"
#include "pmu.h"
#include "palloc.h"
#include "platform.h"
#include "run.h"
#include "runloop.h"
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
static unsigned n_guests;
static unsigned replay_mode = MODE_OFF;
static struct pmu_info pmu;
static struct hs_shared shared;
static struct recorder recorder;
static struct replayer replayer;

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

/* The replay mode's counter on v's core and in its VMCS; false after saying why. */
static bool counter_ready(struct vcpu *v)
{
    char why[160];
    if (counter_vcpu_setup(v, why, sizeof(why)))
        return true;
    kprintf("hindsight: FATAL: %s: the branch counter cannot be set up: %s\n", v->name, why);
    return false;
}

static void ap_main(void *arg)
{
    struct cpu *c = arg;
    cpu_init_descriptors(c);
    hostirq_init(c->id, &cfg);
    struct vcpu *v = c->run[0];
    if (vmx_enable(&pa, &cfg, c->id) || vmx_setup_vmcs(v, &pa, entry.eip, entry.ebx, entry.esi) ||
        !counter_ready(v)) {
        vcpu_stop(v, "vmx-unavailable");
        vcpu_finish(v);
        run_core_finished(c);
    }
    kprintf("hindsight: core %u in VMX root; entering %s at 0x%x (%s)\n", c->id, v->name, entry.eip, entry.protocol);
    sched_run(c);
}

static void print_vcpu_summary(char *buf, size_t cap, size_t *len, struct vcpu *v)
{
    const char *k = v->id ? "backup" : "primary";
    *len += (size_t)hs_snprintf(buf + *len, cap - *len,
                                " %s.outcome=%s %s.exits=%lu %s.exit_seq=%lu %s.rip=0x%lx %s.launch_tick=%lu %s.ticks=%lu"
                                " %s.run_ticks=%lu %s.stolen_ticks=%lu",
                                k, v->outcome ? v->outcome : "running", k, v->exits_total, k, v->exit_seq, k,
                                v->stop_rip, k, v->launch_tsc, k, v->stop_tsc - v->launch_tsc, k, v->run_ticks, k, v->stolen);
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

static const char *yes(bool b) { return b ? "yes" : "no"; }

static void print_replay_summary(char *buf, size_t cap, size_t *len)
{
    static const char *const modes[] = { "off", "exit", "icount", "pmc" };
    if (cfg.replay == REPLAY_INDEPENDENT || replay_mode == MODE_OFF) {
        *len += (size_t)hs_snprintf(buf + *len, cap - *len, " replay.mode=%s",
                                    cfg.replay == REPLAY_INDEPENDENT ? "independent" : "off");
        return;
    }
    struct vcpu *b = &vcpus[1];
    const struct hs_event *end = &replayer.end;
    bool ended = replayer.ended && !replayer.diverged;
    bool ram = ended && vcpus[0].ram_hash == b->ram_hash && end->aux == b->state_hash;
    bool con = ended && end->con_hash == b->con_hash && end->value == b->console_bytes;
    *len += (size_t)hs_snprintf(
        buf + *len, cap - *len,
        " replay.mode=%s replay.events=%lu replay.replayed=%lu replay.divergences=%u replay.ram_match=%s"
        " replay.console_match=%s replay.lag_min=%lu replay.lag_max=%lu replay.ring_stalls=%lu replay.log_bytes=%lu"
        " replay.landings=%lu replay.steps=%lu replay.backup_waits=%lu replay.ring_entries=%lu replay.at_end=%s"
        " replay.irq_latency_max_ns=%lu replay.irq_latency_median_ns=%lu replay.irq_latency_samples=%lu",
        modes[replay_mode], recorder.seq, replayer.consumed, replayer.diverged ? 1u : 0u, yes(ram), yes(con),
        replayer.lag_min == UINT64_MAX ? 0 : replayer.lag_min, replayer.lag_max, recorder.stalls,
        recorder.log_bytes, vcpus[1].landings, vcpus[1].land_steps, replayer.waits, shared.cap, yes(ended),
        latency_max_ns(), latency_median_ns(), latency_count());
    if (replay_mode == MODE_ICOUNT || replay_mode == MODE_PMC)
        *len += (size_t)hs_snprintf(buf + *len, cap - *len, " replay.landing_margin=%lu replay.primary_count=%lu "
                                    "replay.backup_count=%lu replay.late_timer_exits=%lu replay.count_path_changes=%lu",
                                    vcpus[1].land_margin, vcpus[0].count, vcpus[1].count,
                                    vcpus[0].count_late + vcpus[1].count_late, counter_host_path_changes());
}

void run_core_finished(struct cpu *c)
{
    if (c->id != 0)
        halt_forever();
    for (unsigned i = 1; i < n_guests; i++)
        while (!__atomic_load_n(&vcpus[i].done, __ATOMIC_ACQUIRE))
            cpu_relax();
    static char buf[4096];
    size_t len = (size_t)hs_snprintf(buf, sizeof(buf), "hindsight: summary outcome=%s cores=%u guests=%u",
                                     vcpus[0].outcome ? vcpus[0].outcome : "unknown",
                                     vcpus[n_guests - 1].cpu->id + 1, n_guests);
    print_replay_summary(buf, sizeof(buf), &len);
    len += hostirq_summary(buf + len, sizeof(buf) - len);
    for (unsigned i = 0; i < n_guests; i++)
        print_vcpu_summary(buf, sizeof(buf), &len, &vcpus[i]);
    if (len >= sizeof(buf))
        len = sizeof(buf) - 1;
    buf[len++] = '\n';
    console_write(buf, len);
    platform_exit();
}


/* REPLAY=auto takes the best mode this machine offers; a forced mode it cannot do is refused. */
static void choose_replay(void)
{
    /* Detected by use, before the guests exist: the counters are the machine's, not the config's. */
    static char icount_why[200], pmc_why[200];
    bool pmc_ok = pmu_detect(&pmu, pmc_why, sizeof(pmc_why));
    bool icount_ok = icount_detect(icount_why, sizeof(icount_why));
    switch (cfg.replay) {
    case REPLAY_OFF:
    case REPLAY_INDEPENDENT:
        replay_mode = MODE_OFF;
        kprintf("hindsight: replay %s: %s\n", config_replay_name(cfg.replay),
                cfg.replay == REPLAY_OFF ? "the Primary runs alone" : "two unrelated guests, nothing recorded");
        if (cfg.replay == REPLAY_INDEPENDENT)
            return;
        break;
    case REPLAY_ICOUNT:
        if (!icount_ok) {
            kprintf("hindsight: FATAL: replay=icount is not possible on this machine: %s. Use replay=exit or "
                    "replay=auto\n", icount_why);
            fail_run("config-error");
        }
        replay_mode = MODE_ICOUNT;
        kprintf("hindsight: replay mode icount (forced: guest instructions counted by the VMX preemption timer)\n");
        break;
    case REPLAY_PMC:
        if (!pmc_ok) {
            kprintf("hindsight: FATAL: replay=pmc is not possible on this machine: %s. Use replay=exit or "
                    "replay=auto\n", pmc_why);
            fail_run("config-error");
        }
        replay_mode = MODE_PMC;
        kprintf("hindsight: replay mode pmc (forced: %s, retired conditional branches, event %02x umask %02x, "
                "margin %u)\n", pmu.model.name, pmu.model.event, pmu.model.umask, pmu.model.margin);
        break;
    case REPLAY_AUTO:
        if (pmc_ok) {
            replay_mode = MODE_PMC;
            kprintf("hindsight: replay mode pmc (auto: %s counts retired conditional branches, event %02x umask "
                    "%02x; checked by use: %lu and %lu branches counted)\n", pmu.model.name, pmu.model.event,
                    pmu.model.umask, pmu.counted[0], pmu.counted[1]);
        } else if (icount_ok) {
            replay_mode = MODE_ICOUNT;
            kprintf("hindsight: replay mode icount (auto: no working performance counter (%s); the VMX preemption "
                    "timer counts guest instructions exactly on this one-CPU emulator)\n", pmc_why);
        } else {
            replay_mode = MODE_EXIT;
            kprintf("hindsight: replay mode exit (auto: no working performance counter (%s); no exact instruction "
                    "count (%s): interrupts are delivered at instruction-synchronous exits)\n", pmc_why, icount_why);
        }
        break;
    default:
        replay_mode = MODE_EXIT;
        kprintf("hindsight: replay mode exit\n");
        break;
    }
    if (replay_mode == MODE_ICOUNT && cfg.landing_margin_set && cfg.landing_margin == 0) {
        kprintf("hindsight: FATAL: landing_margin=0 cannot land exactly in icount mode: the preemption timer can stop "
                "one instruction late (after STI or MOV SS, whose interrupt shadow delays the exit); use 1 or more\n");
        fail_run("config-error");
    }
    if (cfg.backup_cmdline_set) {
        kprintf("hindsight: FATAL: backup_cmdline needs replay=independent: a replaying Backup boots exactly "
                "like the Primary\n");
        fail_run("config-error");
    }
}

static void setup_ring(void)
{
    char err[80];
    uint64_t cap = cfg.ring_entries;
    if (hs_lag_check(cap, cfg.lag_events, err, sizeof(err))) {
        kprintf("hindsight: FATAL: lag=%lu events does not fit a ring of %lu events (it needs the lag plus %u): "
                "raise ring_entries or lower the lag\n", cfg.lag_events, cap, 2 * HS_EVENTS_PER_EXIT);
        fail_run("config-error");
    }
    size_t ring_size = ring_bytes(HS_EVENT_SIZE, cap);
    size_t regs_size = cap * sizeof(struct hs_regs);
    uint64_t mem = palloc_alloc(&pa, (ring_size + PAGE_SIZE - 1) / PAGE_SIZE, PAGE_SIZE);
    uint64_t regs = palloc_alloc(&pa, (regs_size + PAGE_SIZE - 1) / PAGE_SIZE, PAGE_SIZE);
    uint64_t counts = palloc_alloc(&pa, (cap * 8 + PAGE_SIZE - 1) / PAGE_SIZE, PAGE_SIZE);
    if (!mem || !regs || !counts) {
        kprintf("hindsight: FATAL: no memory for a ring of %lu events (%lu KiB)\n", cap,
                (uint64_t)(ring_size + regs_size) >> 10);
        fail_run("config-error");
    }
    int st = hs_shared_init(&shared, (void *)(uintptr_t)mem, ring_size, cap, (struct hs_regs *)(uintptr_t)regs);
    if (!st)
        st = rec_init(&recorder, &shared);
    if (!st)
        st = rp_init(&replayer, &shared, cfg.replay_perturb);
    if (st) {
        kprintf("hindsight: FATAL: ring set-up failed: %s\n", ring_strerror(st));
        fail_run("config-error");
    }
    shared.counts = (uint64_t *)(uintptr_t)counts;
    shared.lag_events = cfg.lag_events;
    shared.lag_tsc = cfg.lag_ms * (vtime_tsc_hz() / 1000);
    if (cfg.replay_log_com2) {
        logout_init(vtime_tsc_hz(), replay_mode);
        recorder.sink = logout_bytes;
    }
    kprintf("hindsight: ring of %lu events (%lu KiB) in VMM memory; the Backup holds back %lu %s\n", cap,
            (uint64_t)ring_size >> 10, cfg.lag_ms ? cfg.lag_ms : cfg.lag_events, cfg.lag_ms ? "ms" : "events");
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
    hostirq_init(0, &cfg);
    cores_discover(&mb);
    kprintf("hindsight: %lu MiB free, %u module(s), loader '%s'\n", (pa.free_pages * PAGE_SIZE) >> 20, mb.n_modules,
            mb.loader);

    if (cfg.sim_vmm_fault)
        *(volatile uint64_t *)0xFFFF800000000000ull = 1; /* unmapped: a page fault in the VMM */
    if (cfg.sim_console_fault)
        console_sim_fault_locked();
    if (vmx_enable(&pa, &cfg, 0))
        fail_run("no-vmx");
    vtime_init();
    if (!cfg.rtc_epoch)
        cfg.rtc_epoch = platform_read_rtc(); /* read once: both guests must see the same clock */
    cpuid_filter_set_tsc_hz(vtime_tsc_hz());
    cpuid_table_build(cpuid);
    sched_init_fpu_template();
    choose_replay();
    n_guests = replay_mode == MODE_OFF && cfg.replay != REPLAY_INDEPENDENT ? 1 : 2;
    unsigned n = n_guests;
    uint64_t ram = palloc_alloc(&pa, cfg.guest_mem * n / PAGE_SIZE, 2ull << 20);
    if (!ram) {
        kprintf("hindsight: FATAL: guest memory %lu MiB x %u guest(s) does not fit: the largest free block is %lu MiB\n",
                cfg.guest_mem >> 20, n, palloc_largest_free(&pa) >> 20);
        fail_run("config-error");
    }
    if (replay_mode != MODE_OFF)
        setup_ring();
    static const char *const names[2] = { "Primary", "Backup" };
    /* Two cores only if asked and core 1 answers; otherwise both guests share core 0. */
    bool two_cores = false;
    if (n > 1 && cfg.cores == 2) {
        cpus[1].id = 1;
        two_cores = true;
    }
    for (unsigned i = 0; i < n; i++) {
        struct vcpu *v = &vcpus[i];
        v->id = i;
        v->name = names[i];
        v->tag = i ? 'B' : 'P';
        uart_init(&v->com1, vcpu_console_byte, v);
        pic_init(&v->pic);
        pit_init(&v->pit);
        cmos_init(&v->cmos);
        v->raw_console = cfg.raw_console;
        v->rtc_epoch = cfg.rtc_epoch;
        v->con_hash = HS_FNV32_INIT;
        v->mode = replay_mode == MODE_OFF ? VCPU_PLAIN : i == 0 ? VCPU_RECORD : VCPU_REPLAY;
        v->counter = replay_mode == MODE_ICOUNT ? CNT_ICOUNT : replay_mode == MODE_PMC ? CNT_PMC : CNT_EXIT;
        v->land_margin = cfg.landing_margin_set ? cfg.landing_margin
                         : replay_mode == MODE_PMC ? pmu.model.margin : LANDING_MARGIN_ICOUNT;
        v->land_max_steps = LANDING_MAX_STEPS;
        v->rec = &recorder;
        v->rp = &replayer;
        v->peer = &vcpus[i ^ 1];
        /* The design's OFFSET scheme: the Backup's RAM sits right after the Primary's. */
        if (guest_map_ram(v, &pa, ram + i * cfg.guest_mem, cfg.guest_mem) || guest_load(v, &cfg, &mb, &entry))
            fail_run("load-error");
    }
    if (cfg.debugger && replay_mode != MODE_OFF) {
        const struct mb2_module *sm = mb2_find_module(&mb, "symbols");
        dbg_attach(&vcpus[1], cfg.debugger_where, sm ? (const char *)(uintptr_t)sm->start : 0,
                   sm ? (size_t)(sm->end - sm->start) : 0);
        if (sm)
            kprintf("hindsight: debugger symbols: %lu KiB System.map\n", (sm->end - sm->start) >> 10);
    }
    else if (cfg.debugger)
        kprintf("hindsight: note: debugger=com2 needs a Backup (replay on): no debugger in this run\n");
    kprintf("hindsight: guest RAM %lu MiB each: Primary at 0x%lx, Backup at 0x%lx; kernel entry 0x%x (%s)\n",
            cfg.guest_mem >> 20, ram, n > 1 ? ram + cfg.guest_mem : 0, entry.eip, entry.protocol);
    cpus[0].id = 0;
    cpus[0].run[0] = &vcpus[0];
    cpus[0].nrun = 1;
    vcpus[0].cpu = &cpus[0];
    if (two_cores) {
        cpus[1].run[0] = &vcpus[1];
        cpus[1].nrun = 1;
        vcpus[1].cpu = &cpus[1];
        if (smp_start_ap(cr3, alloc_stack(), ap_main, &cpus[1]) != 0) {
            kprintf("hindsight: both guests share core 0 instead\n");
            two_cores = false;
        }
    }
    if (n > 1 && !two_cores) {
        cpus[0].run[1] = &vcpus[1];
        cpus[0].nrun = 2;
        vcpus[1].cpu = &cpus[0];
    }
    for (unsigned i = 0; i < cpus[0].nrun; i++) {
        struct vcpu *v = cpus[0].run[i];
        if (vmx_setup_vmcs(v, &pa, entry.eip, entry.ebx, entry.esi) || !counter_ready(v)) {
            vcpu_stop(v, "vmx-unavailable");
            vcpu_finish(v);
        }
    }
    kprintf("hindsight: core 0 in VMX root; entering %s at 0x%x (%s)%s\n", n > 1 && !two_cores ? "Primary and Backup" :
            "Primary", entry.eip, entry.protocol, n > 1 && !two_cores ? ", time-sliced on one core" : "");
    sched_run(&cpus[0]);
}
