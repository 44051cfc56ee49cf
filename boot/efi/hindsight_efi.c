/* hindsight.efi: boots the VMM without GRUB. From the directory it was started from on the ESP it
 * reads hindsight.elf (the VMM), kernel, config and, if present, initrd and symbols (the names
 * the ISO's GRUB menu uses), places the VMM where it is linked, builds the same multiboot2
 * information GRUB would (bootinfo.c), takes the memory map, exits boot services and enters the
 * VMM's 64-bit entry. Every failure before that is printed on the firmware console and on COM1,
 * and the application returns to the firmware (which then tries its next boot option). */
#include <efi.h>
#include <efilib.h>
#include "bootinfo.h"

#define MBI_BYTES (64 * 1024)
#define MMAP_MAX 128 /* vmm/mb2.h: MB2_MAX_MMAP */

static EFI_GUID acpi20_guid = { 0x8868e871, 0xe4f1, 0x11d3, { 0xbc, 0x22, 0x00, 0x80, 0xc7, 0x3c, 0x88, 0x81 } };
static EFI_GUID acpi10_guid = { 0xeb9d2d30, 0x2d88, 0x11d3, { 0x9a, 0x16, 0x00, 0x90, 0x27, 0x3f, 0xc1, 0x4d } };

/* memset/memcpy come from gnu-efi's libefi. */
void *memset(void *d, int c, unsigned long n);
void *memcpy(void *d, const void *s, unsigned long n);

static inline void outb(UINT16 port, UINT8 v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
static inline UINT8 inb(UINT16 port)
{
    UINT8 v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static void com1_init(void)
{
    outb(0x3F8 + 1, 0x00);
    outb(0x3F8 + 3, 0x80);
    outb(0x3F8 + 0, 0x01); /* 115200 baud, as the VMM */
    outb(0x3F8 + 1, 0x00);
    outb(0x3F8 + 3, 0x03);
    outb(0x3F8 + 2, 0xC7);
    outb(0x3F8 + 4, 0x03);
}

static void com1_puts(const char *s)
{
    for (; *s; s++) {
        if (*s == '\n') {
            for (int k = 0; k < 100000 && !(inb(0x3F8 + 5) & 0x20); k++)
                ;
            outb(0x3F8, '\r');
        }
        for (int k = 0; k < 100000 && !(inb(0x3F8 + 5) & 0x20); k++)
            ;
        outb(0x3F8, (UINT8)*s);
        outb(0xE9, (UINT8)*s); /* Bochs/QEMU debug port, as the VMM's console=e9 */
    }
}

/* One message on both consoles (ASCII only). */
static void say(const char *s)
{
    CHAR16 w[256];
    UINTN i = 0;
    for (; s[i] && i < 255; i++)
        w[i] = (CHAR16)(unsigned char)s[i];
    w[i] = 0;
    Print(L"%s", w);
    com1_puts(s);
}

static void cat(char *d, UINTN cap, const char *s)
{
    UINTN n = 0;
    while (n < cap - 1 && d[n])
        n++;
    while (n < cap - 1 && *s)
        d[n++] = *s++;
    d[n] = 0;
}

static void status_word(char *buf, UINTN cap, EFI_STATUS st)
{
    CHAR16 w[64];
    StatusToString(w, st);
    char a[64];
    UINTN i = 0;
    for (; w[i] && i < 63; i++)
        a[i] = (char)w[i];
    a[i] = 0;
    cat(buf, cap, a);
}

static EFI_STATUS fatal(const char *what, const char *name, EFI_STATUS st)
{
    char m[320] = "hindsight.efi: FATAL: ";
    cat(m, sizeof(m), what);
    if (name) {
        cat(m, sizeof(m), " ");
        cat(m, sizeof(m), name);
    }
    if (st != EFI_SUCCESS) {
        cat(m, sizeof(m), ": ");
        status_word(m, sizeof(m), st);
    }
    cat(m, sizeof(m), "\n");
    say(m);
    say("hindsight.efi: returning to the firmware in 10 seconds\n");
    uefi_call_wrapper(BS->Stall, 1, 10 * 1000 * 1000);
    return st != EFI_SUCCESS ? st : EFI_LOAD_ERROR;
}

static EFI_FILE_HANDLE root;
static CHAR16 dir[256]; /* the directory hindsight.efi was started from, with the trailing '\' */

struct file {
    EFI_PHYSICAL_ADDRESS addr;
    UINT64 size;
};

/* Reads dir\name into pages below 4 GiB. EFI_NOT_FOUND when absent. */
static EFI_STATUS read_file(const char *name, struct file *f)
{
    CHAR16 path[320];
    UINTN n = 0;
    for (; dir[n] && n < 255; n++)
        path[n] = dir[n];
    for (const char *s = name; *s && n < 318; s++)
        path[n++] = (CHAR16)*s;
    path[n] = 0;
    EFI_FILE_HANDLE fh;
    EFI_STATUS st = uefi_call_wrapper(root->Open, 5, root, &fh, path, EFI_FILE_MODE_READ, 0ull);
    if (EFI_ERROR(st))
        return st;
    EFI_FILE_INFO *info = LibFileInfo(fh);
    if (!info) {
        uefi_call_wrapper(fh->Close, 1, fh);
        return EFI_DEVICE_ERROR;
    }
    f->size = info->FileSize;
    FreePool(info);
    f->addr = 0xFFFFFFFFull;
    st = uefi_call_wrapper(BS->AllocatePages, 4, AllocateMaxAddress, EfiLoaderData, EFI_SIZE_TO_PAGES(f->size + 1),
                           &f->addr);
    if (!EFI_ERROR(st)) {
        UINT64 done = 0;
        while (done < f->size && !EFI_ERROR(st)) {
            UINTN chunk = f->size - done > (16u << 20) ? (16u << 20) : (UINTN)(f->size - done);
            st = uefi_call_wrapper(fh->Read, 3, fh, &chunk, (void *)(UINTN)(f->addr + done));
            if (!EFI_ERROR(st) && chunk == 0)
                st = EFI_END_OF_FILE; /* shorter than its directory entry says */
            done += chunk;
        }
    }
    uefi_call_wrapper(fh->Close, 1, fh);
    return st;
}

static void find_dir(EFI_LOADED_IMAGE *li)
{
    CHAR16 *p = DevicePathToStr(li->FilePath);
    UINTN last = 0, n = 0;
    if (p) {
        for (; p[n] && n < 255; n++) {
            dir[n] = p[n] == L'/' ? L'\\' : p[n];
            if (dir[n] == L'\\')
                last = n + 1;
        }
        FreePool(p);
    }
    if (!last) {
        dir[0] = L'\\';
        last = 1;
    }
    dir[last] = 0;
}

typedef void (*vmm_entry64)(UINT64 magic, UINT64 mbi) __attribute__((sysv_abi, noreturn));

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab); /* called by gnu-efi's crt0 (SysV ABI) */
EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
    InitializeLib(image, systab);
    com1_init();
    EFI_LOADED_IMAGE *li;
    EFI_STATUS st = uefi_call_wrapper(BS->HandleProtocol, 3, image, &LoadedImageProtocol, (void **)&li);
    if (EFI_ERROR(st))
        return fatal("cannot find its own loaded image", 0, st);
    find_dir(li);
    root = LibOpenRoot(li->DeviceHandle);
    if (!root)
        return fatal("cannot open the file system it was started from", 0, EFI_SUCCESS);
    char where[300] = "hindsight.efi: loading the VMM and its modules from ";
    for (UINTN i = 0; dir[i] && i < 200; i++) {
        char c[2] = { (char)dir[i], 0 };
        cat(where, sizeof(where), c);
    }
    cat(where, sizeof(where), "\n");
    say(where);

    /* The VMM, checked, then placed at the addresses it is linked for. */
    struct file vmm, mods[4];
    static const char *const names[4] = { "kernel", "initrd", "config", "symbols" };
    static const int required[4] = { 1, 0, 1, 0 };
    st = read_file("hindsight.elf", &vmm);
    if (EFI_ERROR(st))
        return fatal("cannot read", "hindsight.elf", st);
    struct vmm_image vi;
    char why[120];
    if (vmm_image_check((const void *)(UINTN)vmm.addr, vmm.size, &vi, why, sizeof(why))) {
        char m[200] = "hindsight.elf is not a usable VMM image: ";
        cat(m, sizeof(m), why);
        return fatal(m, 0, EFI_SUCCESS);
    }
    EFI_PHYSICAL_ADDRESS at = vi.lo;
    st = uefi_call_wrapper(BS->AllocatePages, 4, AllocateAddress, EfiLoaderData, EFI_SIZE_TO_PAGES(vi.hi - vi.lo), &at);
    if (EFI_ERROR(st))
        return fatal("the firmware does not free the memory the VMM is linked at (1 MiB and up)", 0, st);
    memset((void *)(UINTN)vi.lo, 0, vi.hi - vi.lo);
    for (unsigned i = 0; i < vi.nseg; i++)
        memcpy((void *)(UINTN)vi.seg[i].paddr, (const void *)(UINTN)(vmm.addr + vi.seg[i].offset), vi.seg[i].filesz);

    for (int i = 0; i < 4; i++) {
        st = read_file(names[i], &mods[i]);
        if (st == EFI_NOT_FOUND && !required[i]) {
            mods[i].size = 0;
            continue;
        }
        if (EFI_ERROR(st))
            return fatal("cannot read module", names[i], st);
        if (mods[i].size == 0 && required[i])
            return fatal("module is empty:", names[i], EFI_SUCCESS);
    }

    EFI_PHYSICAL_ADDRESS mbi = 0xFFFFFFFFull;
    st = uefi_call_wrapper(BS->AllocatePages, 4, AllocateMaxAddress, EfiLoaderData, EFI_SIZE_TO_PAGES(MBI_BYTES), &mbi);
    if (EFI_ERROR(st))
        return fatal("no memory below 4 GiB for the boot information", 0, st);
    struct mb2b b;
    mb2b_init(&b, (void *)(UINTN)mbi, MBI_BYTES);
    mb2b_string(&b, 1, "");
    mb2b_string(&b, 2, "hindsight.efi");
    for (int i = 0; i < 4; i++)
        if (mods[i].size)
            mb2b_module(&b, (UINT32)mods[i].addr, (UINT32)(mods[i].addr + mods[i].size), names[i]);
    void *rsdp = 0;
    if (!EFI_ERROR(LibGetSystemConfigurationTable(&acpi20_guid, &rsdp)) && rsdp)
        mb2b_raw(&b, 15, rsdp, 36);
    else if (!EFI_ERROR(LibGetSystemConfigurationTable(&acpi10_guid, &rsdp)) && rsdp)
        mb2b_raw(&b, 14, rsdp, 20);
    say("hindsight.efi: exiting boot services and entering the VMM\n");

    /* The memory map, then ExitBootServices with its key; a map that changed meanwhile (the
     * firmware may allocate in between) is taken again. No allocation from here on. */
    static UINT8 map[64 * 1024];
    UINT32 mmap_at = b.off;
    for (int attempt = 0;; attempt++) {
        UINTN size = sizeof(map), key, dsize;
        UINT32 dver;
        st = uefi_call_wrapper(BS->GetMemoryMap, 5, &size, (EFI_MEMORY_DESCRIPTOR *)map, &key, &dsize, &dver);
        if (EFI_ERROR(st))
            return fatal("cannot get the memory map", 0, st);
        b.off = mmap_at;
        b.overflow = 0;
        if (mb2b_mmap_from_efi(&b, map, size, dsize, MMAP_MAX) < 0 || !mb2b_finish(&b))
            return fatal("the firmware's memory map does not fit the boot information", 0, EFI_SUCCESS);
        st = uefi_call_wrapper(BS->ExitBootServices, 2, image, key);
        if (!EFI_ERROR(st))
            break;
        if (attempt == 3)
            return fatal("ExitBootServices keeps failing", 0, st);
    }
    __asm__ volatile("cli");
    ((vmm_entry64)(UINTN)vi.entry64)(MB2_INFO_MAGIC, mbi);
}
