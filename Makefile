# hindsight — top-level build. `make help` lists the targets.
SHELL := /bin/bash
B := build

CC ?= gcc
NASM ?= nasm
LD ?= ld
WARN := -Wall -Wextra -Werror -Wno-unused-parameter
VMM_CFLAGS := -std=c11 -O2 -g $(WARN) -ffreestanding -fno-builtin -nostdinc -isystem $(shell $(CC) -print-file-name=include) \
	-mno-red-zone -mgeneral-regs-only -fno-pic -fno-pie -fno-stack-protector -fno-asynchronous-unwind-tables \
	-mcmodel=small -MMD -MP -Ivmm
HOST_CFLAGS := -std=c11 -O1 -g $(WARN) -D_GNU_SOURCE -Ivmm -Ireplay -Iboot/efi -Itests/unit -fsanitize=address,undefined -fno-omit-frame-pointer

VMM_C := $(wildcard vmm/*.c vmm/dev/*.c vmm/debug/*.c) replay/record.c replay/replay.c replay/codec.c replay/landing.c
VMM_ASM := vmm/isr.asm vmm/vmx_entry.asm
VMM_OBJ := $(VMM_C:%.c=$(B)/%.o) $(VMM_ASM:%.asm=$(B)/%.o) $(B)/boot/multiboot2.o $(B)/vmm/ap_blob.o
# Pure VMM logic that the host unit tests compile hosted.
PURE_C := vmm/mb2.c vmm/palloc.c vmm/config.c vmm/ept.c vmm/vmx_caps.c vmm/tlb_plan.c vmm/hostirq_class.c vmm/acpi.c boot/efi/bootinfo.c vmm/pvh.c vmm/bzimage.c vmm/format.c \
	vmm/dev/uart16550.c vmm/dev/pic8259.c vmm/dev/pit8254.c vmm/dev/cmos.c \
	vmm/cpuid_filter.c vmm/cpuid_table.c vmm/exit_reason.c vmm/symmap.c vmm/latency.c replay/record.c replay/replay.c replay/codec.c replay/landing.c vmm/pmu_model.c \
	vmm/debug/gva.c vmm/debug/target.c vmm/debug/gdbstub.c vmm/debug/monitor.c vmm/debug/dbgmux.c
UNIT_C := $(wildcard tests/unit/*.c)

# The default guest of `make run`: Debian's stock kernel and the project's busybox initramfs.
KERNEL ?=
INITRD ?= $(B)/initramfs.cpio.gz
CMDLINE ?= console=ttyS0 nokaslr
MEM ?= 256M
# Replay: REPLAY=auto|exit|icount|pmc|off, CORES=auto|1|2 (auto: 1 in Bochs, 2 on QEMU/KVM and
# hardware), LAG=events (5000) or time (200ms); empty LAG keeps the VMM's default.
REPLAY ?= auto
CORES ?= auto
LAG ?=
# DEBUG_PORT=N: after a Primary panic, the Backup's debugger (COM2) on localhost:N.
DEBUG_PORT ?=
RUN_REPLAY = --replay $(REPLAY) --cores $(CORES) $(if $(LAG),--lag $(LAG)) $(if $(DEBUG_PORT),--debug-port $(DEBUG_PORT))
IMAGE_CORES = $(if $(filter auto,$(CORES)),2,$(CORES))

AGENTS := rfork parttrack ckpt
AGENTS_PRESENT := $(foreach a,$(AGENTS),$(if $(wildcard guest/$(a)/Makefile),$(a)))

.PHONY: efi bench-uefi debug-demo bench-debug bench-replay bench-figures bench-ring fuzz FORCE linux run-testguest image-testguest all help deps vmm guests image run check e2e test bench bench-vmm clean agents
all: vmm guests

help:
	@echo "make run        install what is missing, build, boot Linux as the Primary; Ctrl-] quits"
	@echo "                KERNEL=vmlinux|bzImage INITRD=file CMDLINE='...' MEM=256M RUN_ARGS='...'"
	@echo "                REPLAY=auto|exit|off CORES=auto|1|2 LAG=1000|200ms (the Backup's distance)"
	@echo "                DEBUG_PORT=N (after a panic, the Backup's debugger on localhost:N: gdb or nc)"
	@echo "make run-testguest   both cores in VMX root running the tiny test guest"
	@echo "make debug-demo the post-panic story: Linux panics, gdb debugs the Backup held before the panic"
	@echo "make test       the whole suite: host unit tests, agent tests, emulator tests"
	@echo "make check      host unit tests of the VMM logic (seconds)"
	@echo "make e2e        emulator tests (Bochs)"
	@echo "make fuzz       libFuzzer over the VMM's parsers and the checkpoint image reader (FUZZ_SECONDS=60 per target)"
	@echo "make image      build $(B)/hindsight.iso (BIOS+UEFI GRUB and hindsight.efi, VMM, Linux demo; same variables as run)"
	@echo "make efi        build $(B)/hindsight.efi, the UEFI application that boots the VMM without GRUB"
	@echo "make image-testguest   the same with the tiny test guest on two cores"
	@echo "make bench      all benchmarks; bench-vmm, bench-ring, bench-rfork, bench-parttrack, bench-ckpt one by one"
	@echo "make bench-figures   rerun bench-vmm, bench-linux, bench-ring, bench-replay into docs/bench.txt and the README's table"
	@echo "make deps       install missing Debian packages"

deps:
	@host-tools/install-deps.sh

vmm: $(B)/hindsight.elf
guests: $(B)/guests/testguest.elf

$(B)/vmm/%.o: vmm/%.c
	@mkdir -p $(@D)
	$(CC) $(VMM_CFLAGS) -c $< -o $@

$(B)/replay/%.o: replay/%.c
	@mkdir -p $(@D)
	$(CC) $(VMM_CFLAGS) -c $< -o $@

$(B)/vmm/%.o: vmm/%.asm
	@mkdir -p $(@D)
	$(NASM) -f elf64 -o $@ $<

$(B)/boot/multiboot2.o: boot/multiboot2.asm
	@mkdir -p $(@D)
	$(NASM) -f elf64 -o $@ $<

$(B)/boot/ap_trampoline.bin: boot/ap_trampoline.asm
	@mkdir -p $(@D)
	$(NASM) -f bin -o $@ $<

$(B)/vmm/ap_blob.o: vmm/ap_blob.asm $(B)/boot/ap_trampoline.bin
	@mkdir -p $(@D)
	$(NASM) -f elf64 -DAP_TRAMPOLINE_BIN='"$(B)/boot/ap_trampoline.bin"' -o $@ $<

$(B)/hindsight.elf: $(VMM_OBJ) linker.ld
	$(LD) -n -nostdlib -z noexecstack --no-warn-rwx-segments -T linker.ld -o $@ $(VMM_OBJ)

# hindsight.efi: the UEFI application that boots the VMM without GRUB (boot/efi/, Debian's gnu-efi).
EFI_INC := /usr/include/efi
EFI_LIB := /usr/lib
EFI_CFLAGS := -std=gnu11 -O2 $(WARN) -I$(EFI_INC) -I$(EFI_INC)/x86_64 -Iboot/efi -fpic -ffreestanding -fno-stack-protector \
	-fno-stack-check -fshort-wchar -mno-red-zone -maccumulate-outgoing-args -DGNU_EFI_USE_MS_ABI
EFI_OBJ := $(B)/efi/hindsight_efi.o $(B)/efi/bootinfo.o
efi: $(B)/hindsight.efi
$(B)/efi/%.o: boot/efi/%.c boot/efi/bootinfo.h
	@mkdir -p $(@D)
	@[ -f $(EFI_INC)/efi.h ] || { echo "make: gnu-efi is missing (host-tools/install-deps.sh build)" >&2; exit 1; }
	$(CC) $(EFI_CFLAGS) -c $< -o $@
$(B)/hindsight.efi: $(EFI_OBJ)
	$(LD) -shared -Bsymbolic -nostdlib -znocombreloc -L$(EFI_LIB) -T$(EFI_LIB)/elf_x86_64_efi.lds \
	  $(EFI_LIB)/crt0-efi-x86_64.o $(EFI_OBJ) -o $(B)/efi/hindsight.so -lefi -lgnuefi
	objcopy -j .text -j .sdata -j .data -j .rodata -j .dynamic -j .dynsym -j .rel -j .rela -j '.rel.*' -j '.rela.*' \
	  -j .reloc --target efi-app-x86_64 --subsystem=10 $(B)/efi/hindsight.so $@

$(B)/guests/testguest.elf: tests/guests/testguest.asm tests/guests/guest.ld
	@mkdir -p $(@D)
	$(NASM) -f elf32 -o $(B)/guests/testguest.o $<
	$(LD) -m elf_i386 -n --no-warn-rwx-segments -T tests/guests/guest.ld -o $@ $(B)/guests/testguest.o

# A bootable ISO (BIOS and UEFI GRUB) of the same demo as `make run`, for a USB stick.
image: all linux efi
	host-tools/mkiso.sh --efi $(B)/hindsight.efi --out $(B)/hindsight.iso --kernel $(B)/guest-kernel.elf --initrd $(INITRD) \
	  --config-line cores=$(IMAGE_CORES) --config-line replay=$(REPLAY) $(if $(LAG),--config-line lag=$(LAG)) \
	  --config-line debugger=com2 --config-line debugger_where=COM2 \
	  --config-line mem=$(MEM) --config-line initrd=initrd \
	  --config-line guest_console=raw --config-line "cmdline=$(CMDLINE)"
	@echo "built $(B)/hindsight.iso"

image-testguest: all efi
	host-tools/mkiso.sh --efi $(B)/hindsight.efi --out $(B)/hindsight-testguest.iso --kernel $(B)/guests/testguest.elf --config-line cmdline=hello
	@echo "built $(B)/hindsight-testguest.iso"

# Host unit tests: the pure VMM logic, compiled for the host with sanitizers.
$(B)/tests/unit: $(UNIT_C) $(PURE_C) $(wildcard tests/unit/*.h vmm/*.h vmm/dev/*.h vmm/debug/*.h replay/*.h boot/efi/*.h)
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -o $@ $(UNIT_C) $(PURE_C)

check: $(B)/tests/unit
	$(B)/tests/unit

# The replay-log decoder (host-tools/hindsight-log runs it): hosted, no sanitizers, the VMM's codec and printf.
$(B)/hindsight-log: host-tools/hindsight-log.c replay/codec.c vmm/format.c $(wildcard replay/*.h) vmm/lib.h
	@mkdir -p $(@D)
	$(CC) -std=c11 -O2 -g $(WARN) -D_GNU_SOURCE -Ivmm -Ireplay -o $@ host-tools/hindsight-log.c replay/codec.c vmm/format.c

# The COM2 debugger (vmm/debug/) over TCP with a fake target: tests/host/gdb_stub.py runs the real gdb on it.
$(B)/gdbstub_server: tests/unit/gdbstub_server.c tests/unit/dbg_fake.h $(wildcard vmm/debug/*.c vmm/debug/*.h) vmm/format.c vmm/lib.h
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -DHS_GDBSTUB_SERVER -o $@ tests/unit/gdbstub_server.c $(wildcard vmm/debug/*.c) vmm/format.c

# libFuzzer over the parsers that take outside bytes (multiboot2 info, config, kernel ELF and
# bzImage, ACPI MADT, checkpoint images, replay log).
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := mb2 config pvh bzimage replaylog gdbstub gva madt
fuzz:
	@host-tools/install-deps.sh fuzz
	@mkdir -p $(B)
	clang -std=c11 -g -O1 -D_GNU_SOURCE -DHS_FUZZ -fsanitize=fuzzer,address,undefined \
	  -fno-sanitize-recover=undefined -Ivmm -Ireplay -Itests/unit -o $(B)/fuzz_parsers \
	  tests/unit/fuzz_parsers.c vmm/acpi.c vmm/mb2.c vmm/palloc.c vmm/config.c vmm/pvh.c vmm/bzimage.c vmm/format.c replay/codec.c $(wildcard vmm/debug/*.c)
	@for t in $(FUZZ_TARGETS); do mkdir -p $(B)/fuzz/$$t; \
	  HS_FUZZ_TARGET=$$t $(B)/fuzz_parsers $(B)/fuzz/$$t tests/unit/fuzz_seeds/$$t \
	    -max_total_time=$(FUZZ_SECONDS) || exit 1; done
	@if [ -d guest/ckpt ]; then $(MAKE) -C guest/ckpt fuzz FUZZ_SECONDS=$(FUZZ_SECONDS); fi

e2e: vmm guests linux efi
	tests/e2e/run.sh

agents:
	@for a in $(AGENTS_PRESENT); do $(MAKE) -C guest/$$a all || exit 1; done

# The whole suite: fast host tests first, emulator tests last.
test:
	@host-tools/install-deps.sh
	@tests/run-suites.sh "unit=$(MAKE) -s check" "host=$(MAKE) -s linux all efi >/dev/null && tests/host/run.sh" \
		$(foreach a,$(AGENTS_PRESENT),"$(a)=$(MAKE) -s -C guest/$(a) test") \
		"e2e=$(MAKE) -s e2e"

# The guest kernel, uncompressed and slimmed for the PVH loader: KERNEL (vmlinux or bzImage) if
# given, else Debian's linux-image-amd64 fetched into ~/.cache/hindsight.
$(B)/guest-kernel.elf: FORCE
	@mkdir -p $(@D)
	@src="$(KERNEL)"; [ -n "$$src" ] || src=$$(host-tools/get-kernel.sh); \
	  [ -f "$$src" ] || { echo "make: KERNEL=$$src: no such file" >&2; exit 1; }; \
	  if [ ! -f $@ ] || [ "$$src" -nt $@ ] || [ "$$(cat $@.src 2>/dev/null)" != "$$src" ]; then \
	    host-tools/extract-vmlinux --slim "$$src" $@ && echo "$$src" > $@.src; fi

$(B)/guest/tsc: guest/initramfs/tsc.c guest/initramfs/nolibc.h
	@mkdir -p $(@D)
	$(CC) -std=c11 -O2 -Wall -Wextra -Werror -static -nostdlib -fno-pie -no-pie -fno-stack-protector -o $@ $<

$(B)/guest/spin: guest/initramfs/spin.c guest/initramfs/nolibc.h
	@mkdir -p $(@D)
	$(CC) -std=c11 -O2 -Wall -Wextra -Werror -static -nostdlib -fno-pie -no-pie -fno-stack-protector -o $@ $<

$(B)/initramfs.cpio.gz: guest/initramfs/init guest/initramfs/profile host-tools/mkinitramfs.sh host-tools/newc.py \
		$(B)/guest/tsc $(B)/guest/spin agents
	@rm -rf $(B)/initramfs-extra && mkdir -p $(B)/initramfs-extra/bin
	@cp $(B)/guest/tsc $(B)/initramfs-extra/bin/tsc
	@cp $(B)/guest/spin $(B)/initramfs-extra/bin/spin
	@for a in $(AGENTS_PRESENT); do $(MAKE) -s -C guest/$$a install DESTDIR=$(abspath $(B))/initramfs-extra >/dev/null || exit 1; done
	host-tools/mkinitramfs.sh $@ $(B)/initramfs-extra

linux: $(B)/guest-kernel.elf $(if $(filter $(B)/initramfs.cpio.gz,$(INITRD)),$(B)/initramfs.cpio.gz)

# make run: Linux as the Primary on the serial console, the Backup replaying it from the log.
# The emulated machine is sized from the config (MEM per guest, the guests) by --megs auto; the
# launcher's exit status is non-zero unless the guest ended the run itself.
run:
	@host-tools/install-deps.sh
	@$(MAKE) -s all linux
	host-tools/hindsight-run --kernel $(B)/guest-kernel.elf --initrd $(INITRD) $(RUN_REPLAY) --megs auto \
	  --set mem=$(MEM) --set initrd=initrd --set guest_console=raw \
	  --set "cmdline=$(CMDLINE)" --set rtc_epoch=$$(date +%s) --timeout 86400 $(RUN_ARGS)

# The step-1 demo: both cores in VMX root, each running the tiny test guest.
run-testguest:
	@host-tools/install-deps.sh
	@$(MAKE) -s all
	host-tools/hindsight-run --set cmdline=hello $(RUN_ARGS)

bench-vmm: vmm guests linux
	host-tools/bench-vmm
	host-tools/bench-linux

# The SPSC ring the Primary's VMM will record into (ringbuf/ring.h), against the seed's Table 2.
bench-ring:
	host-tools/bench-ring

# The README's figures: every headline figure is a "bench" line of docs/bench.txt, which this
# target rewrites from one run of the benchmarks; host-tools/bench-table renders the README's
# table from it (a host test checks that the two agree).
bench-figures: vmm guests linux efi
	@set -o pipefail; { host-tools/bench-vmm && host-tools/bench-linux && host-tools/bench-ring && \
	  host-tools/bench-replay && host-tools/bench-debug && host-tools/bench-uefi; } | tee $(B)/bench-figures.log
	@{ echo "# make bench-figures, $$(git rev-parse --short HEAD 2>/dev/null) $$(date -u +%F)"; \
	  grep '^bench ' $(B)/bench-figures.log; } > docs/bench.txt
	host-tools/bench-table --update

bench-%:
	$(MAKE) -C guest/$* bench

# The whole story: Linux panics, the Backup is held before it, gdb steps it into the crash.
debug-demo: vmm guests linux
	@host-tools/install-deps.sh
	host-tools/debug-demo

# UEFI hand-off to the VMM's VMX check, hindsight.efi against GRUB, both in QEMU+OVMF.
bench-uefi: vmm guests efi
	host-tools/bench-uefi

# The debugger's costs after a real Linux panic: ticks to the prompt, stepi rate, exits per step.
bench-debug: vmm guests linux
	host-tools/bench-debug

# Recording overhead, log bandwidth, replay speed and the lag held, on a Linux workload.
bench-replay: vmm guests linux
	host-tools/bench-replay

bench: bench-vmm bench-ring bench-replay bench-debug bench-uefi $(foreach a,$(AGENTS_PRESENT),bench-$(a))

clean:
	rm -rf $(B)
	@for a in $(AGENTS_PRESENT); do $(MAKE) -C guest/$$a clean; done

-include $(shell find $(B) -name '*.d' 2>/dev/null)
