#!/usr/bin/env bash
# Fetches Debian's stock kernel (the linux-image-amd64 dependency) with apt-get download,
# unpacks it into a cache outside the work tree, and extracts the uncompressed vmlinux.
# Prints the path of the vmlinux. Usage: get-kernel.sh [CACHE_DIR]
set -euo pipefail
cache=${1:-${HINDSIGHT_CACHE:-$HOME/.cache/hindsight}}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$cache"
pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
if [ -z "$pkg" ]; then
    apt-get update -qq >&2 || true
    pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
fi
[ -n "$pkg" ] || { echo "get-kernel.sh: cannot resolve linux-image-amd64 (apt-get update?)" >&2; exit 1; }
dir=$cache/$pkg
if [ ! -f "$dir/vmlinux" ]; then
    rm -rf "$dir.tmp"; mkdir -p "$dir.tmp"
    # One exact package name: never a glob, which would fetch every version.
    (cd "$dir.tmp" && apt-get download "$pkg" >&2)
    dpkg -x "$dir.tmp"/*.deb "$dir.tmp/root"
    bz=$(ls "$dir.tmp"/root/boot/vmlinuz-* | head -n 1)
    cp "$bz" "$dir.tmp/bzImage"
    cp "$dir.tmp"/root/boot/System.map-* "$dir.tmp/System.map" 2>/dev/null || true
    "$here/extract-vmlinux" "$dir.tmp/bzImage" "$dir.tmp/vmlinux"
    rm -rf "$dir.tmp/root" "$dir.tmp"/*.deb
    rm -rf "$dir"; mv "$dir.tmp" "$dir"
fi
echo "$dir/vmlinux"
