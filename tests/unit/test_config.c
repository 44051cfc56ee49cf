/* The key=value run configuration. Texts are parsed from exact-size heap copies without
 * a terminating NUL, as the module arrives from the boot loader. */
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "config.h"
#include "console.h"

static struct config cfg;
static char err[160];

static int parse(const char *text)
{
    size_t n = strlen(text);
    char *copy = malloc(n ? n : 1);
    memcpy(copy, text, n);
    config_defaults(&cfg);
    strcpy(err, "(untouched)");
    int r = config_parse(&cfg, copy, n, err, sizeof(err));
    free(copy);
    return r;
}

static void expect_error(const char *text, const char *want, const char *file, int line)
{
    int r = parse(text);
    if (r != -1)
        hs_fail(file, line, "config_parse accepted \"%s\"", text);
    else if (!strstr(err, want))
        hs_fail(file, line, "error \"%s\" does not contain \"%s\"", err, want);
}
#define EXPECT_ERROR(text, want) expect_error((text), (want), __FILE__, __LINE__)

TEST(config_defaults)
{
    memset(&cfg, 0x5A, sizeof(cfg));
    config_defaults(&cfg);
    CHECK_EQ(cfg.guest_mem, 64ull << 20);
    CHECK_EQ(cfg.cores, 2);
    CHECK_STREQ(cfg.kernel, "kernel");
    CHECK_STREQ(cfg.initrd, "");
    CHECK_STREQ(cfg.cmdline, "");
    CHECK_STREQ(cfg.backup_cmdline, "");
    CHECK(!cfg.backup_cmdline_set);
    CHECK_EQ(cfg.console, CONSOLE_COM1 | CONSOLE_E9);
    CHECK(!cfg.sim_vmx_locked_off);
    /* An empty text changes nothing. */
    CHECK_EQ(parse(""), 0);
    CHECK_EQ(cfg.guest_mem, 64ull << 20);
    CHECK_STREQ(cfg.kernel, "kernel");
}

TEST(config_every_key)
{
    CHECK_EQ(parse("mem=256M\n"
                   "cores=1\n"
                   "kernel=vmlinux\n"
                   "initrd=initramfs.cpio\n"
                   "cmdline=console=ttyS0 quiet rdinit=/init\n"
                   "backup_cmdline=console=ttyS0 backup\n"
                   "console=e9\n"
                   "simulate=vmx-locked-off\n"),
             0);
    CHECK_STREQ(err, "(untouched)");
    CHECK_EQ(cfg.guest_mem, 256ull << 20);
    CHECK_EQ(cfg.cores, 1);
    CHECK_STREQ(cfg.kernel, "vmlinux");
    CHECK_STREQ(cfg.initrd, "initramfs.cpio");
    CHECK_STREQ(cfg.cmdline, "console=ttyS0 quiet rdinit=/init"); /* only the first '=' splits */
    CHECK_STREQ(cfg.backup_cmdline, "console=ttyS0 backup");
    CHECK(cfg.backup_cmdline_set);
    CHECK_EQ(cfg.console, CONSOLE_E9);
    CHECK(cfg.sim_vmx_locked_off);
}

TEST(config_last_line_without_newline)
{
    CHECK_EQ(parse("cores=1\nmem=4M"), 0);
    CHECK_EQ(cfg.cores, 1);
    CHECK_EQ(cfg.guest_mem, 4ull << 20);
}

TEST(config_comments_blank_crlf_spaces)
{
    CHECK_EQ(parse("# a comment\r\n"
                   "\r\n"
                   "   \t \n"
                   "  # indented comment with = sign\n"
                   "\tmem \t=  128M \t\r\n"
                   "cores = 1\r\n"
                   "kernel= guest.elf  \r\n"
                   "cmdline =  a  b  \r\n"),
             0);
    CHECK_EQ(cfg.guest_mem, 128ull << 20);
    CHECK_EQ(cfg.cores, 1);
    CHECK_STREQ(cfg.kernel, "guest.elf");
    CHECK_STREQ(cfg.cmdline, "a  b"); /* inner spaces kept, outer ones trimmed */
}

TEST(config_empty_values)
{
    CHECK_EQ(parse("initrd=\ncmdline=\nbackup_cmdline=\n"), 0);
    CHECK_STREQ(cfg.initrd, "");
    CHECK_STREQ(cfg.cmdline, "");
    CHECK_STREQ(cfg.backup_cmdline, "");
    CHECK(cfg.backup_cmdline_set); /* an empty Backup command line is still a choice */
    EXPECT_ERROR("kernel=\n", "config line 1: bad value for 'kernel'");
    EXPECT_ERROR("kernel=   \n", "bad value for 'kernel'");
}

TEST(config_later_keys_override)
{
    CHECK_EQ(parse("mem=2M\nmem=1G\ncores=1\ncores=2\n"), 0);
    CHECK_EQ(cfg.guest_mem, 1ull << 30);
    CHECK_EQ(cfg.cores, 2);
}

TEST(config_mem_suffixes_and_hex)
{
    CHECK_EQ(parse("mem=2048K"), 0);
    CHECK_EQ(cfg.guest_mem, 2ull << 20);
    CHECK_EQ(parse("mem=6m"), 0);
    CHECK_EQ(cfg.guest_mem, 6ull << 20);
    CHECK_EQ(parse("mem=2G"), 0);
    CHECK_EQ(cfg.guest_mem, 2ull << 30);
    CHECK_EQ(parse("mem=1g"), 0);
    CHECK_EQ(cfg.guest_mem, 1ull << 30);
    CHECK_EQ(parse("mem=0x10000000"), 0);
    CHECK_EQ(cfg.guest_mem, 256ull << 20);
    CHECK_EQ(parse("mem=0X600000"), 0);
    CHECK_EQ(cfg.guest_mem, 6ull << 20);
    CHECK_EQ(parse("mem=8388608"), 0);
    CHECK_EQ(cfg.guest_mem, 8ull << 20);
}

TEST(config_bad_mem)
{
    EXPECT_ERROR("mem=3M", "config line 1: mem must be a multiple of 2M");
    EXPECT_ERROR("mem=1M", "from 2M to 256G");
    EXPECT_ERROR("mem=258G", "from 2M to 256G");
    EXPECT_ERROR("mem=0x8000000000200000", "from 2M to 256G");
    EXPECT_ERROR("mem=0", "mem must be");
    EXPECT_ERROR("mem=1024K", "mem must be");
    EXPECT_ERROR("mem=2097153", "mem must be");
    EXPECT_ERROR("mem=", "mem must be");
    EXPECT_ERROR("mem=lots", "mem must be");
    EXPECT_ERROR("mem=256MB", "mem must be");
    EXPECT_ERROR("mem=-2M", "mem must be");
    EXPECT_ERROR("mem=2 M", "mem must be");
    EXPECT_ERROR("mem=99999999999999999999", "mem must be");
    EXPECT_ERROR("mem=99999999999G", "mem must be");
    EXPECT_ERROR("cores=1\n\n# x\nmem=5M\n", "config line 4:");
    /* A failed line leaves the earlier value alone. */
    parse("mem=3M");
    CHECK_EQ(cfg.guest_mem, 64ull << 20);
}

TEST(config_cores)
{
    CHECK_EQ(parse("cores=1"), 0);
    CHECK_EQ(cfg.cores, 1);
    CHECK_EQ(parse("cores=2"), 0);
    CHECK_EQ(cfg.cores, 2);
    EXPECT_ERROR("cores=0", "config line 1: cores must be 1");
    EXPECT_ERROR("cores=3", "cores must be 1 (both guests on core 0) or 2");
    EXPECT_ERROR("cores=", "cores must be");
    EXPECT_ERROR("cores=two", "cores must be");
    EXPECT_ERROR("cores=1K", "cores must be");
}

TEST(config_console_list)
{
    CHECK_EQ(parse("console=com1"), 0);
    CHECK_EQ(cfg.console, CONSOLE_COM1);
    CHECK_EQ(parse("console=e9"), 0);
    CHECK_EQ(cfg.console, CONSOLE_E9);
    CHECK_EQ(parse("console=com1,e9"), 0);
    CHECK_EQ(cfg.console, CONSOLE_COM1 | CONSOLE_E9);
    CHECK_EQ(parse("console=e9,com1"), 0);
    CHECK_EQ(cfg.console, CONSOLE_COM1 | CONSOLE_E9);
    CHECK_EQ(parse("console=e9,e9"), 0);
    CHECK_EQ(cfg.console, CONSOLE_E9);
}

TEST(config_console_bad_names)
{
    EXPECT_ERROR("console=com2", "config line 1: bad value for 'console'");
    EXPECT_ERROR("console=", "bad value for 'console'");
    EXPECT_ERROR("console=COM1", "bad value for 'console'");
    EXPECT_ERROR("console=com1,,e9", "bad value for 'console'");
    EXPECT_ERROR("console=,com1", "bad value for 'console'");
    EXPECT_ERROR("console=com1 e9", "bad value for 'console'");
    EXPECT_ERROR("console=com1,vga", "bad value for 'console'");
    EXPECT_ERROR("console=com", "bad value for 'console'");
}

TEST(config_simulate)
{
    EXPECT_ERROR("simulate=vmx-off", "config line 1: bad value for 'simulate'");
    EXPECT_ERROR("simulate=", "bad value for 'simulate'");
    /* Several aids add up; each sets only its own flag. */
    struct config c;
    char err[160];
    config_defaults(&c);
    CHECK(!c.sim_lapic_timer && !c.sim_stray_irq && !c.sim_host_nmi && !c.sim_console_fault);
    static const char t[] = "simulate=lapic-timer\nsimulate=stray-irq\n";
    CHECK_EQ(config_parse(&c, t, sizeof(t) - 1, err, sizeof(err)), 0);
    CHECK(c.sim_lapic_timer && c.sim_stray_irq);
    CHECK(!c.sim_host_nmi && !c.sim_vmm_fault && !c.sim_vmx_locked_off && !c.sim_console_fault);
    config_defaults(&c);
    static const char u[] = "simulate=host-nmi\nsimulate=vmm-fault-in-console\n";
    CHECK_EQ(config_parse(&c, u, sizeof(u) - 1, err, sizeof(err)), 0);
    CHECK(c.sim_host_nmi && c.sim_console_fault && !c.sim_lapic_timer && !c.sim_stray_irq);
}

TEST(config_unknown_key)
{
    EXPECT_ERROR("memory=256M", "config line 1: unknown key 'memory'");
    EXPECT_ERROR("# x\nmem=4M\nCores=1\n", "config line 3: unknown key 'Cores'");
    EXPECT_ERROR("=5", "config line 1: unknown key ''");
    /* A very long key is shortened in the message, not overflowed. */
    EXPECT_ERROR("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=1",
                 "unknown key 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'");
}

TEST(config_missing_equals)
{
    EXPECT_ERROR("mem 256M", "config line 1: expected key=value");
    EXPECT_ERROR("mem=4M\r\n\r\ncores\r\n", "config line 3: expected key=value");
    EXPECT_ERROR("kernel=x\nmem=4M\n  junk  \n", "config line 3");
}

TEST(config_line_numbers_count_every_line)
{
    EXPECT_ERROR("\n\n\n\n\n\n\n\n\nbogus=1\n", "config line 10:");
    EXPECT_ERROR("# 1\n# 2\r\n\r\n   \ncores=9\n", "config line 5:");
}

TEST(config_overlong_strings)
{
    char text[2200];
    /* kernel holds 63 characters. */
    strcpy(text, "kernel=");
    memset(text + 7, 'k', 63);
    text[70] = 0;
    CHECK_EQ(parse(text), 0);
    CHECK_EQ(strlen(cfg.kernel), 63);
    memset(text + 7, 'k', 64);
    text[71] = 0;
    EXPECT_ERROR(text, "config line 1: bad value for 'kernel'");
    strcpy(text, "initrd=");
    memset(text + 7, 'i', 64);
    text[71] = 0;
    EXPECT_ERROR(text, "bad value for 'initrd'");
    /* cmdline holds CONFIG_STR - 1 characters. */
    strcpy(text, "cmdline=");
    memset(text + 8, 'c', CONFIG_STR - 1);
    text[8 + CONFIG_STR - 1] = 0;
    CHECK_EQ(parse(text), 0);
    CHECK_EQ(strlen(cfg.cmdline), CONFIG_STR - 1);
    memset(text + 8, 'c', CONFIG_STR);
    text[8 + CONFIG_STR] = 0;
    EXPECT_ERROR(text, "bad value for 'cmdline'");
    strcpy(text, "backup_cmdline=");
    memset(text + 15, 'b', CONFIG_STR);
    text[15 + CONFIG_STR] = 0;
    EXPECT_ERROR(text, "bad value for 'backup_cmdline'");
    CHECK(!cfg.backup_cmdline_set);
}

TEST(config_error_buffer_small)
{
    char small[12];
    const char *t = "unknown_key=1";
    config_defaults(&cfg);
    CHECK_EQ(config_parse(&cfg, t, strlen(t), small, sizeof(small)), -1);
    CHECK_STREQ(small, "config line");
}

TEST(config_length_is_respected)
{
    /* Only len bytes are read: what follows in memory is not part of the module. */
    const char *t = "cores=1\nbogus";
    config_defaults(&cfg);
    CHECK_EQ(config_parse(&cfg, t, 8, err, sizeof(err)), 0);
    CHECK_EQ(cfg.cores, 1);
    config_defaults(&cfg);
    CHECK_EQ(config_parse(&cfg, "mem=4M6", 6, err, sizeof(err)), 0);
    CHECK_EQ(cfg.guest_mem, 4ull << 20);
}

static int parse_n(const char *text, size_t n)
{
    char *copy = malloc(n);
    memcpy(copy, text, n);
    config_defaults(&cfg);
    strcpy(err, "(untouched)");
    int r = config_parse(&cfg, copy, n, err, sizeof(err));
    free(copy);
    return r;
}

TEST(config_nul_bytes_rejected)
{
    /* Found by fuzzing: "kernel=\0x" used to give an empty kernel name although
     * "kernel=" is refused, and a NUL in cmdline silently cut it short. */
    static const char k[] = "kernel=\0vmlinux\n";
    CHECK_EQ(parse_n(k, sizeof(k) - 1), -1);
    CHECK_CONTAINS(err, "config line 1: contains a NUL byte");
    CHECK_STREQ(cfg.kernel, "kernel");
    static const char c[] = "mem=4M\ncmdline=quiet\0 init=/bin/sh\n";
    CHECK_EQ(parse_n(c, sizeof(c) - 1), -1);
    CHECK_CONTAINS(err, "config line 2: contains a NUL byte");
    static const char key[] = "me\0m=4M\n";
    CHECK_EQ(parse_n(key, sizeof(key) - 1), -1);
    CHECK_CONTAINS(err, "config line 1:");
    /* Inside a comment it does not matter. */
    static const char com[] = "# note\0 this\ncores=1\n";
    CHECK_EQ(parse_n(com, sizeof(com) - 1), 0);
    CHECK_EQ(cfg.cores, 1);
}

/* ---- record and replay keys ---------------------------------------------------------------- */

TEST(config_replay_defaults)
{
    memset(&cfg, 0x5A, sizeof(cfg));
    config_defaults(&cfg);
    CHECK_EQ(cfg.replay, REPLAY_AUTO);
    CHECK_EQ(cfg.lag_events, 1000);
    CHECK_EQ(cfg.lag_ms, 0);
    CHECK_EQ(cfg.ring_entries, 65536);
    CHECK_EQ(cfg.replay_perturb, 0);
    CHECK(!cfg.replay_log_com2);
}

TEST(config_replay_modes)
{
    static const struct {
        const char *text;
        unsigned mode;
    } m[] = {
        { "replay=auto", REPLAY_AUTO }, { "replay=exit", REPLAY_EXIT }, { "replay=icount", REPLAY_ICOUNT },
        { "replay=pmc", REPLAY_PMC },   { "replay=off", REPLAY_OFF },   { "replay=independent", REPLAY_INDEPENDENT },
    };
    for (unsigned i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
        CHECK_EQ(parse("replay=pmc\n"), 0); /* something else first */
        CHECK_EQ(parse(m[i].text), 0);
        CHECK_EQ(cfg.replay, m[i].mode);
        /* The name round-trips. */
        CHECK_STREQ(config_replay_name(m[i].mode), m[i].text + 7);
    }
    CHECK_STREQ(config_replay_name(REPLAY_AUTO), "auto");
    CHECK_STREQ(config_replay_name(REPLAY_INDEPENDENT), "independent");
    CHECK_STREQ(config_replay_name(6), "?");
    CHECK_STREQ(config_replay_name(0xFFFFFFFFu), "?");
    CHECK_EQ(parse(" replay =  exit \r\n"), 0);
    CHECK_EQ(cfg.replay, REPLAY_EXIT);
}

TEST(config_replay_bad_values)
{
    EXPECT_ERROR("replay=on", "config line 1: replay must be auto, exit, icount, pmc, off or independent");
    EXPECT_ERROR("replay=", "replay must be");
    EXPECT_ERROR("replay=EXIT", "replay must be");
    EXPECT_ERROR("replay=exi", "replay must be");
    EXPECT_ERROR("replay=exits", "replay must be");
    EXPECT_ERROR("replay=auto,exit", "replay must be");
    EXPECT_ERROR("cores=1\nreplay=1\n", "config line 2: replay must be");
    /* A refused value leaves the mode alone. */
    parse("replay=bogus");
    CHECK_EQ(cfg.replay, REPLAY_AUTO);
}

TEST(config_lag)
{
    CHECK_EQ(parse("lag=5000"), 0);
    CHECK_EQ(cfg.lag_events, 5000);
    CHECK_EQ(cfg.lag_ms, 0);
    CHECK_EQ(parse("lag=200ms"), 0);
    CHECK_EQ(cfg.lag_ms, 200);
    CHECK_EQ(cfg.lag_events, 0);
    CHECK_EQ(parse("lag=2s"), 0);
    CHECK_EQ(cfg.lag_ms, 2000);
    CHECK_EQ(cfg.lag_events, 0);
    CHECK_EQ(parse("lag=0"), 0);
    CHECK_EQ(cfg.lag_events, 0);
    CHECK_EQ(cfg.lag_ms, 0);
    CHECK_EQ(parse("lag=0ms"), 0);
    CHECK_EQ(cfg.lag_ms, 0);
    CHECK_EQ(cfg.lag_events, 0);
    /* The last lag wins, whichever kind: the other is cleared. */
    CHECK_EQ(parse("lag=300ms\nlag=42\n"), 0);
    CHECK_EQ(cfg.lag_events, 42);
    CHECK_EQ(cfg.lag_ms, 0);
    CHECK_EQ(parse("lag=42\nlag=1s\n"), 0);
    CHECK_EQ(cfg.lag_events, 0);
    CHECK_EQ(cfg.lag_ms, 1000);
    /* Limits: an hour of time, 2^30 events. */
    CHECK_EQ(parse("lag=3600s"), 0);
    CHECK_EQ(cfg.lag_ms, 3600000);
    CHECK_EQ(parse("lag=3600000ms"), 0);
    CHECK_EQ(cfg.lag_ms, 3600000);
    CHECK_EQ(parse("lag=1073741824"), 0);
    CHECK_EQ(cfg.lag_events, 1ull << 30);
    CHECK_EQ(parse(" lag = 7ms \r\n"), 0);
    CHECK_EQ(cfg.lag_ms, 7);
}

TEST(config_lag_bad_values)
{
    EXPECT_ERROR("lag=abc", "config line 1: lag must be a number of events (lag=5000) or a time (lag=200ms, lag=2s)");
    EXPECT_ERROR("lag=5x", "lag must be");
    EXPECT_ERROR("lag=", "lag must be");
    EXPECT_ERROR("lag=ms", "lag must be");
    EXPECT_ERROR("lag=s", "lag must be");
    EXPECT_ERROR("lag=-5", "lag must be");
    EXPECT_ERROR("lag=5 ms", "lag must be");
    EXPECT_ERROR("lag=5sec", "lag must be");
    EXPECT_ERROR("lag=5us", "lag must be");
    EXPECT_ERROR("lag=3601s", "lag must be");
    EXPECT_ERROR("lag=3600001ms", "lag must be");
    EXPECT_ERROR("lag=1073741825", "lag must be");
    EXPECT_ERROR("lag=99999999999999999999", "lag must be");
    EXPECT_ERROR("cores=1\nlag=x\n", "config line 2: lag must be");
    /* A refused lag leaves the default alone. */
    parse("lag=5x");
    CHECK_EQ(cfg.lag_events, 1000);
    CHECK_EQ(cfg.lag_ms, 0);
}

TEST(config_ring_entries)
{
    CHECK_EQ(parse("ring_entries=4096"), 0);
    CHECK_EQ(cfg.ring_entries, 4096);
    CHECK_EQ(parse("ring_entries=1024"), 0);
    CHECK_EQ(cfg.ring_entries, 1024);
    CHECK_EQ(parse("ring_entries=16777216"), 0);
    CHECK_EQ(cfg.ring_entries, 16777216);
    CHECK_EQ(parse("ring_entries=0x10000"), 0);
    CHECK_EQ(cfg.ring_entries, 65536);
    EXPECT_ERROR("ring_entries=1000", "config line 1: ring_entries must be a power of two from 1024 to 16777216");
    EXPECT_ERROR("ring_entries=3000", "ring_entries must be a power of two");
    EXPECT_ERROR("ring_entries=512", "ring_entries must be");
    EXPECT_ERROR("ring_entries=33554432", "ring_entries must be");
    EXPECT_ERROR("ring_entries=0", "ring_entries must be");
    EXPECT_ERROR("ring_entries=", "ring_entries must be");
    EXPECT_ERROR("ring_entries=many", "ring_entries must be");
    EXPECT_ERROR("ring_entries=6144", "ring_entries must be");
    parse("ring_entries=3000");
    CHECK_EQ(cfg.ring_entries, 65536);
}

TEST(config_replay_perturb_and_log)
{
    CHECK_EQ(parse("replay_perturb=7"), 0);
    CHECK_EQ(cfg.replay_perturb, 7);
    CHECK_EQ(parse("replay_perturb=0"), 0);
    CHECK_EQ(cfg.replay_perturb, 0);
    EXPECT_ERROR("replay_perturb=seven", "config line 1: bad value for 'replay_perturb'");
    EXPECT_ERROR("replay_perturb=", "bad value for 'replay_perturb'");
    CHECK_EQ(parse("replay_log=com2"), 0);
    CHECK(cfg.replay_log_com2);
    CHECK_EQ(parse("replay_log=com2\nreplay_log=none\n"), 0);
    CHECK(!cfg.replay_log_com2);
    EXPECT_ERROR("replay_log=com1", "config line 1: bad value for 'replay_log'");
    EXPECT_ERROR("replay_log=", "bad value for 'replay_log'");
    EXPECT_ERROR("replay_log=COM2", "bad value for 'replay_log'");
}

TEST(config_replay_keys_together)
{
    CHECK_EQ(parse("replay=exit\nlag=250ms\nring_entries=262144\nreplay_perturb=12\nreplay_log=com2\n"), 0);
    CHECK_STREQ(err, "(untouched)");
    CHECK_EQ(cfg.replay, REPLAY_EXIT);
    CHECK_EQ(cfg.lag_ms, 250);
    CHECK_EQ(cfg.lag_events, 0);
    CHECK_EQ(cfg.ring_entries, 262144);
    CHECK_EQ(cfg.replay_perturb, 12);
    CHECK(cfg.replay_log_com2);
    /* Other keys keep their defaults. */
    CHECK_EQ(cfg.guest_mem, 64ull << 20);
    CHECK_EQ(cfg.cores, 2);
}
