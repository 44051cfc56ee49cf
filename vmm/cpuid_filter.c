/* Pure function of the host's answer, so both guests see the same CPU as long as
 * both cores are the same model; per-core values (APIC IDs, topology) are zeroed. */
#include "cpuid_filter.h"

/* Leaf 1 ECX */
#define C1_MONITOR (1u << 3)
#define C1_VMX (1u << 5)
#define C1_SMX (1u << 6)
#define C1_EST (1u << 7)
#define C1_TM2 (1u << 8)
#define C1_PDCM (1u << 15)
#define C1_X2APIC (1u << 21)
#define C1_TSC_DEADLINE (1u << 24)
#define C1_XSAVE (1u << 26)
#define C1_OSXSAVE (1u << 27)
#define C1_AVX (1u << 28)
#define C1_F16C (1u << 29)
#define C1_HYPERVISOR (1u << 31)
/* Leaf 1 EDX */
#define D1_MCE (1u << 7)
#define D1_APIC (1u << 9)
#define D1_MTRR (1u << 12)
#define D1_MCA (1u << 14)
#define D1_ACPI (1u << 22)
#define D1_HTT (1u << 28)
#define D1_TM (1u << 29)
#define D1_PBE (1u << 31)
/* Leaf 7 EBX: what we pass through */
#define B7_KEEP ((1u << 0) | (1u << 3) | (1u << 7) | (1u << 8) | (1u << 9) | (1u << 10) | (1u << 18) | (1u << 19) | \
                 (1u << 20) | (1u << 23) | (1u << 24) | (1u << 29))

static uint64_t tsc_hz;
static bool rdrand_ok = true, rdseed_ok = true;

void cpuid_filter_set_tsc_hz(uint64_t hz) { tsc_hz = hz; }
void cpuid_filter_set_random_exits(bool rdrand_exits, bool rdseed_exits)
{
    rdrand_ok = rdrand_exits;
    rdseed_ok = rdseed_exits;
}

void cpuid_filter_leaf15(uint64_t hz, uint32_t r[4])
{
    /* TSC Hz = ECX (crystal Hz) * EBX / EAX. Up to 2^32-1 Hz the crystal is the TSC (1/1); above,
     * the crystal is hz/k and EBX = k, the smallest k that divides hz exactly, or (none within
     * reach) the smallest k that fits, off by less than k Hz. */
    r[0] = r[1] = r[2] = r[3] = 0;
    if (!hz)
        return;
    uint64_t k0 = hz / 0xFFFFFFFFull + (hz % 0xFFFFFFFFull != 0), k = k0;
    if (k0 < 1)
        k0 = k = 1;
    while (k < k0 + 4096 && hz % k)
        k++;
    if (hz % k)
        k = k0;
    r[0] = 1;
    r[1] = (uint32_t)k;
    r[2] = (uint32_t)(hz / k);
}

void cpuid_filter(uint32_t leaf, uint32_t subleaf, uint32_t r[4])
{
    switch (leaf) {
    case 0:
        if (tsc_hz && r[0] < 0x16)
            r[0] = 0x16; /* so that Linux looks at the TSC leaves below */
        break;
    case 0x15:
        /* TSC = crystal * EBX / EAX. Stating the rate spares Linux a PIT calibration, which
         * fails under an emulator where every RDTSC and port read is a VM exit. */
        cpuid_filter_leaf15(tsc_hz, r);
        break;
    case 0x16:
        r[0] = (uint32_t)(tsc_hz / 1000000);
        r[1] = r[0];
        r[2] = 100;
        r[3] = 0;
        break;
    case 1:
        r[1] &= 0x0000FFFF; /* initial APIC ID 0, one logical processor */
        r[2] &= ~(C1_MONITOR | C1_VMX | C1_SMX | C1_EST | C1_TM2 | C1_PDCM | C1_X2APIC | C1_TSC_DEADLINE | C1_XSAVE |
                  C1_OSXSAVE | C1_AVX | C1_F16C);
        r[2] |= C1_HYPERVISOR;
        if (!rdrand_ok)
            r[2] &= ~(1u << 30);
        r[3] &= ~(D1_MCE | D1_APIC | D1_MTRR | D1_MCA | D1_ACPI | D1_HTT | D1_TM | D1_PBE);
        break;
    case 4:
        r[0] &= 0x3FF; /* one core, one thread per cache */
        break;
    case 8: case 9: case 0xC: case 0xE: case 0x11: case 0x13: /* reserved or unused: never the host's */
    case 5:  /* MONITOR/MWAIT */
    case 6:  /* thermal and power */
    case 0xA: /* perfmon: the VMM owns the counters */
    case 0xB: /* x2APIC topology */
    case 0xD: /* XSAVE: hidden until the VMM switches XCR0 */
    case 0xF:
    case 0x10:
    case 0x12:
    case 0x14:
    case 0x1F:
    case 0x80000007: /* no invariant-TSC promise: the TSC is virtual */
        r[0] = r[1] = r[2] = r[3] = 0;
        break;
    case 7:
        if (subleaf == 0) {
            r[0] = 0;
            r[1] &= B7_KEEP; /* drops HLE/RTM (TSX aborts are not replayable), AVX2/AVX-512, SGX, PQM */
            if (!rdseed_ok)
                r[1] &= ~(1u << 18);
            r[2] = 0;
            r[3] = 0;
        } else {
            r[0] = r[1] = r[2] = r[3] = 0;
        }
        break;
    case HINDSIGHT_CPUID_BASE:
        r[0] = HINDSIGHT_CPUID_BASE;
        r[1] = 0x646E6948; /* "HindsightVMM" */
        r[2] = 0x68676973;
        r[3] = 0x4D4D5674;
        break;
    case 0x80000001:
        r[2] &= (1u << 0) | (1u << 5) | (1u << 8); /* LAHF, LZCNT, PREFETCHW */
        break;
    default:
        if (leaf > HINDSIGHT_CPUID_BASE && leaf < 0x80000000u)
            r[0] = r[1] = r[2] = r[3] = 0;
        break;
    }
}
