#!/usr/bin/env bash
# Installs the Debian packages hindsight needs, only those missing.
# Usage: install-deps.sh [group...]   groups: build emu agents fuzz (default: build emu agents)
set -eu
groups=${*:-build emu agents}
pkgs=()
for g in $groups; do
    case $g in
    build)  pkgs+=(gcc make nasm binutils grub-pc-bin grub-efi-amd64-bin grub-common xorriso mtools dosfstools gnu-efi python3 file gdb) ;;
    emu)    pkgs+=(bochs bochsbios vgabios bochs-term busybox-static cpio xz-utils zstd qemu-system-x86 ovmf) ;;
    agents) pkgs+=(gcc g++ make libelf-dev libdw-dev libunwind-dev pkg-config iproute2 util-linux zlib1g-dev
            libcapstone-dev bash busybox-static python3 perl gzip xz-utils) ;;  # + real programs for the test matrices
    fuzz)   pkgs+=(clang libclang-rt-14-dev) ;;
    *) echo "install-deps: unknown group '$g' (known: build emu agents fuzz)" >&2; exit 2 ;;
    esac
done
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "install-deps: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
    SUDO=sudo
else
    SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
