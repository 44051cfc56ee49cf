#!/usr/bin/env bash
# Builds the guest initramfs (newc cpio, gzip) from Debian's busybox-static and
# guest/initramfs/, plus whatever the guest agents install.
# Usage: mkinitramfs.sh OUT.cpio.gz [EXTRA_DIR...]   (EXTRA_DIR trees are copied in as they are)
set -euo pipefail
out=${1:?usage: mkinitramfs.sh OUT.cpio.gz [EXTRA_DIR...]}
shift
here=$(cd "$(dirname "$0")/.." && pwd)
bb=/bin/busybox
[ -x "$bb" ] && file -L "$bb" 2>/dev/null | grep -q static || bb=$(dpkg -L busybox-static 2>/dev/null | grep -m1 '/bin/busybox$' || true)
[ -n "$bb" ] && [ -x "$bb" ] || { echo "mkinitramfs.sh: busybox-static is not installed (host-tools/install-deps.sh emu)" >&2; exit 1; }
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,tmp,run,root,usr/bin,usr/sbin}
cp "$bb" "$root/bin/busybox"
cp "$here/guest/initramfs/init" "$root/init"
cp "$here/guest/initramfs/profile" "$root/etc/profile"
chmod 755 "$root/init"
for d in "$@"; do cp -a "$d"/. "$root"/; done
# Dynamically linked agents need the build machine's libc and loader in the guest too.
find "$root" -type f -perm -u+x -o -type f -name '*.so*' | while read -r f; do
    [ "$f" = "$root/bin/busybox" ] && continue
    file -L "$f" 2>/dev/null | grep -q 'dynamically linked' || continue
    ldd "$f" 2>/dev/null | grep -o '/[^ ]*' | while read -r lib; do
        [ -f "$lib" ] || continue
        [ -e "$root$lib" ] || { mkdir -p "$root$(dirname "$lib")"; cp -L "$lib" "$root$lib"; }
    done
done
mkdir -p "$(dirname "$out")"
python3 "$here/host-tools/newc.py" "$root" "$out.tmp.gz"
mv "$out.tmp.gz" "$out"
