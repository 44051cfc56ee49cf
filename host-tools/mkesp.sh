#!/usr/bin/env bash
# Builds a FAT EFI system partition image that boots hindsight without GRUB: hindsight.efi as
# the removable-media boot file EFI/BOOT/BOOTX64.EFI, beside it the VMM (hindsight.elf) and its
# modules (kernel, config, optional initrd and symbols), the layout hindsight.efi reads.
# The same files copied into any directory of a real ESP work too (README: "Booting without GRUB").
set -euo pipefail
usage() {
    cat <<U
usage: mkesp.sh --out FILE.img --kernel FILE [--initrd FILE] [--config FILE] [--config-line KEY=VALUE]...
                [--vmm FILE] [--efi FILE] [--symbols FILE] [--omit NAME] [--truncate NAME]
  --vmm       the VMM image (default: build/hindsight.elf)
  --efi       the UEFI application (default: build/hindsight.efi)
  --omit      leave this file out of the ESP (tests: a missing module)
  --truncate  cut this file to its first 4 KiB (tests: a corrupt module)
U
}
out= kernel= initrd= config= vmm=build/hindsight.elf efi=build/hindsight.efi symbols= omit= trunc=
lines=()
while [ $# -gt 0 ]; do
    case $1 in
    --out) out=$2; shift 2 ;;
    --kernel) kernel=$2; shift 2 ;;
    --initrd) initrd=$2; shift 2 ;;
    --config) config=$2; shift 2 ;;
    --config-line) lines+=("$2"); shift 2 ;;
    --vmm) vmm=$2; shift 2 ;;
    --efi) efi=$2; shift 2 ;;
    --symbols) symbols=$2; shift 2 ;;
    --omit) omit=$2; shift 2 ;;
    --truncate) trunc=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "mkesp.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
    esac
done
[ -n "$out" ] && [ -n "$kernel" ] || { usage >&2; exit 2; }
for f in "$efi" "$vmm" "$kernel" ${initrd:+"$initrd"} ${config:+"$config"} ${symbols:+"$symbols"}; do
    [ -f "$f" ] || { echo "mkesp.sh: no such file: $f" >&2; exit 1; }
done
for t in mkfs.vfat mcopy mmd; do
    command -v $t >/dev/null || { echo "mkesp.sh: $t missing (run host-tools/install-deps.sh)" >&2; exit 1; }
done
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cp "$efi" "$stage/BOOTX64.EFI"
cp "$vmm" "$stage/hindsight.elf"
cp "$kernel" "$stage/kernel"
{ [ -n "$config" ] && cat "$config"; for l in "${lines[@]}"; do echo "$l"; done; } > "$stage/config" || true
[ -z "$initrd" ] || cp "$initrd" "$stage/initrd"
[ -z "$symbols" ] || cp "$symbols" "$stage/symbols"
[ -z "$omit" ] || rm -f "$stage/$omit"
[ -z "$trunc" ] || truncate -s 4096 "$stage/$trunc"
kib=$(du -sk "$stage" | cut -f1)
kib=$(( kib + kib / 10 + 4096 ))
[ "$kib" -ge 8192 ] || kib=8192
rm -f "$out"
mkdir -p "$(dirname "$out")"
mkfs.vfat -C -n HINDSIGHT "$out" "$kib" >/dev/null
mmd -i "$out" ::/EFI ::/EFI/BOOT
for f in "$stage"/*; do mcopy -i "$out" "$f" "::/EFI/BOOT/$(basename "$f")"; done
