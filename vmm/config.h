/* The run configuration: a key=value text module passed by the boot loader. */
#ifndef HS_CONFIG_H
#define HS_CONFIG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONFIG_STR 1024
#define CONFIG_MEM_MAX (256ull << 30) /* per guest; keeps size arithmetic far from overflow */

struct config {
    uint64_t guest_mem;              /* bytes of RAM per guest */
    unsigned cores;                  /* 1: Primary only; 2: Primary + Backup */
    char kernel[64];                 /* module name of the guest kernel */
    char initrd[64];                 /* module name of the initramfs, "" for none */
    char cmdline[CONFIG_STR];        /* guest kernel command line */
    char backup_cmdline[CONFIG_STR]; /* Backup's command line; "" means same as cmdline */
    bool backup_cmdline_set;
    unsigned console;                /* CONSOLE_* sinks for the VMM's own output */
    bool sim_vmx_locked_off;         /* test aid: act as firmware that locked VMX off */
    bool sim_vmm_fault;              /* test aid: fault inside the VMM to prove the exception path */
    bool sim_console_fault;          /* test aid: ... with the console lock held */
    bool sim_lapic_timer;            /* test aid: arm the LAPIC timer before the VMM takes the host's interrupts */
    bool sim_stray_irq;              /* test aid: leave a periodic LAPIC timer running into the guests' run */
    bool sim_host_nmi;               /* test aid: send this core NMIs in VMX root and while a guest runs */
    bool raw_console;                /* guest_console=raw: Primary's bytes go straight to the console */
    uint64_t rtc_epoch;              /* Unix time the guests' RTC shows at guest time 0; 0: the machine's clock */
    unsigned replay;                 /* REPLAY_* */
    uint64_t lag_events;             /* lag=N: the Backup holds N events back */
    uint64_t lag_ms;                 /* lag=Nms / Ns: ... or N ms of the Primary's time */
    uint64_t ring_entries;           /* events the ring holds (a power of two) */
    uint64_t replay_perturb;         /* test aid: the Backup alters the value of this event (0: none) */
    bool replay_log_com2;            /* replay_log=com2: every recorded event also goes out on COM2 */
    uint64_t landing_margin;         /* counter modes: stop the free run this many counts early (0: the mode's default) */
    bool landing_margin_set;
    bool debugger;                   /* debugger=com2: after a Primary panic, serve the stopped Backup on COM2 */
    char debugger_where[64];         /* how the user reaches COM2 (the launcher's localhost:PORT), for the console */
};

/* Values of the replay key. */
enum { REPLAY_AUTO, REPLAY_EXIT, REPLAY_ICOUNT, REPLAY_PMC, REPLAY_OFF, REPLAY_INDEPENDENT };
/* The word for a REPLAY_* value. */
const char *config_replay_name(unsigned r);

/* Fills in the defaults used when a key is absent. */
void config_defaults(struct config *c);
/* Parses key=value lines (# comments, blank lines); returns 0, or -1 and a message naming the line. */
int config_parse(struct config *c, const char *text, size_t len, char *err, size_t errlen);

#endif
