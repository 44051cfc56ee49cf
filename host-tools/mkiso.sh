#!/usr/bin/env bash
# Builds a bootable hindsight ISO (BIOS and UEFI GRUB) holding the VMM, a guest
# kernel, an optional initramfs and the run configuration.
set -euo pipefail
usage() {
    cat <<U
usage: mkiso.sh --out FILE.iso --kernel FILE [--initrd FILE] [--config FILE] [--config-line KEY=VALUE]...
               [--vmm FILE] [--symbols FILE] [--efi FILE]
       mkiso.sh --out FILE.iso --bare-linux BZIMAGE [--initrd FILE] [--bare-cmdline '...']
  --kernel       guest kernel: a PVH ELF (vmlinux or the test guest)
  --initrd       guest initramfs (passed to the guest as its first module)
  --config       a config file (key=value lines; see docs/config.md)
  --config-line  a config line appended after --config (repeatable)
  --vmm          the VMM image (default: build/hindsight.elf)
  --symbols      a System.map of the guest kernel (host-tools/hindsight-syms --map): the debugger's symbols
  --efi          hindsight.efi: also put it into the ISO's EFI system partition, as EFI/hindsight/hindsight.efi
  --bare-linux   no VMM: GRUB boots this bzImage directly (the benchmarks' baseline)
  --bare-cmdline kernel command line for --bare-linux
U
}
out= kernel= initrd= config= vmm=build/hindsight.elf bare= bare_cmdline= symbols= efi=
lines=()
while [ $# -gt 0 ]; do
    case $1 in
    --out) out=$2; shift 2 ;;
    --kernel) kernel=$2; shift 2 ;;
    --initrd) initrd=$2; shift 2 ;;
    --config) config=$2; shift 2 ;;
    --config-line) lines+=("$2"); shift 2 ;;
    --vmm) vmm=$2; shift 2 ;;
    --symbols) symbols=$2; shift 2 ;;
    --efi) efi=$2; shift 2 ;;
    --bare-linux) bare=$2; shift 2 ;;
    --bare-cmdline) bare_cmdline=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "mkiso.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
    esac
done
[ -n "$out" ] && { [ -n "$kernel" ] || [ -n "$bare" ]; } || { usage >&2; exit 2; }
[ -z "$bare" ] || { vmm=$bare; kernel=$bare; }
for f in "$vmm" "$kernel" ${initrd:+"$initrd"} ${config:+"$config"} ${symbols:+"$symbols"} ${efi:+"$efi"}; do
    [ -f "$f" ] || { echo "mkiso.sh: no such file: $f" >&2; exit 1; }
done
command -v grub-mkrescue >/dev/null || { echo "mkiso.sh: grub-mkrescue missing (run host-tools/install-deps.sh)" >&2; exit 1; }

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/boot/grub"
cp "$vmm" "$stage/boot/hindsight.elf"
cp "$kernel" "$stage/boot/kernel"
{ [ -n "$config" ] && cat "$config"; for l in "${lines[@]}"; do echo "$l"; done; } > "$stage/boot/config" || true
symbols_line=
if [ -n "$symbols" ]; then
    cp "$symbols" "$stage/boot/symbols"
    symbols_line="    module2 /boot/symbols symbols"
fi
initrd_line=
if [ -n "$initrd" ]; then
    cp "$initrd" "$stage/boot/initrd"
    initrd_line="    module2 /boot/initrd initrd"
fi
cat > "$stage/boot/grub/grub.cfg" <<G
set timeout=0
set default=0
menuentry "hindsight" {
    multiboot2 /boot/hindsight.elf
    module2 /boot/kernel kernel
$initrd_line
    module2 /boot/config config
$symbols_line
    boot
}
G
if [ -n "$bare" ]; then
    cat > "$stage/boot/grub/grub.cfg" <<G
set timeout=0
set default=0
menuentry "linux (bare, no hindsight)" {
    linux /boot/kernel $bare_cmdline
    ${initrd:+initrd /boot/initrd}
    boot
}
G
    rm -f "$stage/boot/hindsight.elf" "$stage/boot/config"
fi
mkdir -p "$(dirname "$out")"
# Only the modules the menu needs keep the image small and GRUB's start fast.
if ! grub-mkrescue -o "$out" --install-modules="multiboot2 linux normal configfile iso9660 all_video part_acorn part_amiga part_apple part_bsd part_dfly part_dvh part_gpt part_msdos part_plan part_sun part_sunpc" \
    --locales= --fonts= --themes= "$stage" >"$stage.log" 2>&1; then
    cat "$stage.log" >&2; rm -f "$stage.log"; exit 1
fi
rm -f "$stage.log"
# The ESP grub-mkrescue made (/efi.img, the UEFI El Torito image and GPT partition 2) gets
# hindsight.efi beside GRUB, written in place with mtools at the image's offset in the ISO.
if [ -n "$efi" ] && [ -z "$bare" ]; then
    lba=$(xorriso -indev "$out" -report_el_torito plain 2>/dev/null | awk '/El Torito boot img/ && $7=="UEFI" {print $NF}')
    [ -n "$lba" ] || { echo "mkiso.sh: the ISO has no UEFI boot image to add hindsight.efi to" >&2; exit 1; }
    esp="$out@@$((lba * 2048))"
    mmd -i "$esp" ::/EFI/hindsight 2>/dev/null || true
    mcopy -o -i "$esp" "$efi" ::/EFI/hindsight/hindsight.efi || {
        echo "mkiso.sh: could not add hindsight.efi to the ISO's EFI partition" >&2; exit 1; }
fi
