/* Unknown keys and bad values are errors, not warnings: a typo in the lag or the
 * memory size would otherwise silently run a different experiment. */
#include "config.h"
#include "console.h"
#include "lib.h"

void config_defaults(struct config *c)
{
    memset(c, 0, sizeof(*c));
    c->guest_mem = 64ull << 20;
    c->cores = 2;
    memcpy(c->kernel, "kernel", 7);
    c->console = CONSOLE_COM1 | CONSOLE_E9;
    c->rtc_epoch = 0; /* take the machine's clock */
    c->replay = REPLAY_AUTO;
    c->lag_events = 1000;
    c->ring_entries = 65536;
}

static const char *const replay_names[] = { "auto", "exit", "icount", "pmc", "off", "independent" };

const char *config_replay_name(unsigned r) { return r < 6 ? replay_names[r] : "?"; }

/* lag=N (events), lag=Nms or lag=Ns (the Primary's time). */
static bool parse_lag(const char *v, size_t n, struct config *c)
{
    uint64_t num;
    if (n > 2 && v[n - 2] == 'm' && v[n - 1] == 's' && parse_u64(v, n - 2, &num) && num <= 3600000) {
        c->lag_ms = num;
        c->lag_events = 0;
        return true;
    }
    if (n > 1 && v[n - 1] == 's' && parse_u64(v, n - 1, &num) && num <= 3600) {
        c->lag_ms = num * 1000;
        c->lag_events = 0;
        return true;
    }
    /* Plain digits only: lag=5m must not read as 5 Mi events. */
    if (n && v[n - 1] >= '0' && v[n - 1] <= '9' && parse_u64(v, n, &num) && num <= (1ull << 30)) {
        c->lag_events = num;
        c->lag_ms = 0;
        return true;
    }
    return false;
}

static bool eq(const char *s, size_t n, const char *lit) { return strlen(lit) == n && !strncmp(s, lit, n); }

static bool copy_str(char *dst, size_t cap, const char *v, size_t n)
{
    if (n >= cap)
        return false;
    memcpy(dst, v, n);
    dst[n] = 0;
    return true;
}

static bool parse_console(const char *v, size_t n, unsigned *out)
{
    unsigned s = 0;
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && v[j] != ',')
            j++;
        if (eq(v + i, j - i, "com1")) s |= CONSOLE_COM1;
        else if (eq(v + i, j - i, "e9")) s |= CONSOLE_E9;
        else return false;
        i = j + 1;
    }
    *out = s;
    return s != 0;
}

int config_parse(struct config *c, const char *text, size_t len, char *err, size_t errlen)
{
    unsigned lineno = 0;
    size_t i = 0;
    while (i < len) {
        size_t end = i;
        while (end < len && text[end] != '\n')
            end++;
        lineno++;
        const char *l = text + i;
        size_t n = end - i;
        i = end + 1;
        while (n && (l[n - 1] == '\r' || l[n - 1] == ' ' || l[n - 1] == '\t'))
            n--;
        while (n && (*l == ' ' || *l == '\t'))
            l++, n--;
        if (n == 0 || *l == '#')
            continue;
        for (size_t k = 0; k < n; k++)
            if (l[k] == 0) { /* would silently cut a value short: kernel=\0x reads as kernel= */
                hs_snprintf(err, errlen, "config line %u: contains a NUL byte", lineno);
                return -1;
            }
        size_t eqpos = 0;
        while (eqpos < n && l[eqpos] != '=')
            eqpos++;
        if (eqpos == n) {
            hs_snprintf(err, errlen, "config line %u: expected key=value", lineno);
            return -1;
        }
        size_t kn = eqpos;
        while (kn && (l[kn - 1] == ' ' || l[kn - 1] == '\t'))
            kn--;
        const char *v = l + eqpos + 1;
        size_t vn = n - eqpos - 1;
        while (vn && (*v == ' ' || *v == '\t'))
            v++, vn--;
        uint64_t num;
        bool ok = true;
        if (eq(l, kn, "mem")) {
            ok = parse_u64(v, vn, &num) && num >= (2ull << 20) && num <= CONFIG_MEM_MAX && num % (2ull << 20) == 0;
            if (ok)
                c->guest_mem = num;
            else {
                hs_snprintf(err, errlen, "config line %u: mem must be a multiple of 2M from 2M to 256G (e.g. mem=256M)",
                            lineno);
                return -1;
            }
        } else if (eq(l, kn, "cores")) {
            ok = parse_u64(v, vn, &num) && (num == 1 || num == 2);
            if (ok)
                c->cores = (unsigned)num;
            else {
                hs_snprintf(err, errlen, "config line %u: cores must be 1 (both guests on core 0) or 2 (the Backup on core 1)", lineno);
                return -1;
            }
        } else if (eq(l, kn, "kernel")) {
            ok = vn > 0 && copy_str(c->kernel, sizeof(c->kernel), v, vn);
        } else if (eq(l, kn, "initrd")) {
            ok = copy_str(c->initrd, sizeof(c->initrd), v, vn);
        } else if (eq(l, kn, "cmdline")) {
            ok = copy_str(c->cmdline, sizeof(c->cmdline), v, vn);
        } else if (eq(l, kn, "backup_cmdline")) {
            ok = copy_str(c->backup_cmdline, sizeof(c->backup_cmdline), v, vn);
            c->backup_cmdline_set = ok;
        } else if (eq(l, kn, "console")) {
            ok = parse_console(v, vn, &c->console);
        } else if (eq(l, kn, "guest_console")) {
            ok = eq(v, vn, "raw") || eq(v, vn, "prefixed");
            c->raw_console = eq(v, vn, "raw");
        } else if (eq(l, kn, "rtc_epoch")) {
            ok = parse_u64(v, vn, &c->rtc_epoch);
        } else if (eq(l, kn, "replay")) {
            ok = false;
            for (unsigned r = 0; r < sizeof(replay_names) / sizeof(replay_names[0]); r++)
                if (eq(v, vn, replay_names[r])) {
                    c->replay = r;
                    ok = true;
                }
            if (!ok) {
                hs_snprintf(err, errlen, "config line %u: replay must be auto, exit, icount, pmc, off or independent",
                            lineno);
                return -1;
            }
        } else if (eq(l, kn, "lag")) {
            if (!parse_lag(v, vn, c)) {
                hs_snprintf(err, errlen, "config line %u: lag must be a number of events (lag=5000) or a time "
                            "(lag=200ms, lag=2s)", lineno);
                return -1;
            }
        } else if (eq(l, kn, "ring_entries")) {
            ok = parse_u64(v, vn, &num) && num >= 1024 && num <= (1ull << 24) && !(num & (num - 1));
            if (ok)
                c->ring_entries = num;
            else {
                hs_snprintf(err, errlen, "config line %u: ring_entries must be a power of two from 1024 to 16777216",
                            lineno);
                return -1;
            }
        } else if (eq(l, kn, "landing_margin")) {
            ok = parse_u64(v, vn, &c->landing_margin) && c->landing_margin <= 1000000;
            c->landing_margin_set = ok;
        } else if (eq(l, kn, "replay_perturb")) {
            ok = parse_u64(v, vn, &c->replay_perturb);
        } else if (eq(l, kn, "replay_log")) {
            ok = eq(v, vn, "com2") || eq(v, vn, "none");
            c->replay_log_com2 = eq(v, vn, "com2");
        } else if (eq(l, kn, "debugger")) {
            ok = eq(v, vn, "com2") || eq(v, vn, "off");
            c->debugger = eq(v, vn, "com2");
        } else if (eq(l, kn, "debugger_where")) {
            ok = copy_str(c->debugger_where, sizeof(c->debugger_where), v, vn);
        } else if (eq(l, kn, "simulate")) {
            /* Several simulate= lines add up. */
            static const char *const aids[] = { "vmx-locked-off", "vmm-fault", "vmm-fault-in-console",
                                                "lapic-timer", "stray-irq", "host-nmi" };
            bool *const flags[] = { &c->sim_vmx_locked_off, &c->sim_vmm_fault, &c->sim_console_fault,
                                    &c->sim_lapic_timer, &c->sim_stray_irq, &c->sim_host_nmi };
            ok = false;
            for (unsigned i = 0; i < sizeof(aids) / sizeof(aids[0]); i++)
                if (eq(v, vn, aids[i]))
                    ok = *flags[i] = true;
        } else {
            char key[40];
            copy_str(key, sizeof(key), l, kn < sizeof(key) - 1 ? kn : sizeof(key) - 1);
            hs_snprintf(err, errlen, "config line %u: unknown key '%s'", lineno, key);
            return -1;
        }
        if (!ok) {
            char key[40];
            copy_str(key, sizeof(key), l, kn < sizeof(key) - 1 ? kn : sizeof(key) - 1);
            hs_snprintf(err, errlen, "config line %u: bad value for '%s'", lineno, key);
            return -1;
        }
    }
    return 0;
}
