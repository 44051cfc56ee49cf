#!/usr/bin/env bash
# Compiles ringbuf/freestanding.c (every ring.h API) with the VMM's flags plus -fno-builtin, at
# -O2 and -O0, and fails if the object references any symbol: the header must need no libc.
# Usage: ringbuf/check-freestanding.sh [CC]   (run from anywhere)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cc=${1:-${CC:-gcc}}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
flags=(-std=c11 -Wall -Wextra -Werror -Wno-unused-parameter -ffreestanding -fno-builtin -nostdinc
       -isystem "$("$cc" -print-file-name=include)" -mno-red-zone -mgeneral-regs-only -fno-pic -fno-pie
       -fno-stack-protector -fno-asynchronous-unwind-tables -mcmodel=small)
for opt in -O2 -O0 -Os; do
    "$cc" "${flags[@]}" "$opt" -c "$here/freestanding.c" -o "$out/fs.o"
    undef=$(nm -u "$out/fs.o")
    if [ -n "$undef" ]; then
        echo "ring.h at $opt needs symbols a freestanding VMM lacks: $undef" >&2
        exit 1
    fi
done
echo "ring.h builds freestanding (-O2 -O0 -Os, -fno-builtin, -mgeneral-regs-only), no undefined symbols"
