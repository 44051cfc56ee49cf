#!/usr/bin/env python3
"""newc.py DIR OUT: write DIR as a newc cpio archive (gzip-compressed if OUT ends in .gz),
owned by root, with the device nodes an initramfs needs before devtmpfs is mounted
(/dev/console, /dev/ttyS0) added without needing root to mknod them."""
import gzip
import os
import stat
import sys

DEVICES = [("dev/console", stat.S_IFCHR | 0o600, 5, 1), ("dev/ttyS0", stat.S_IFCHR | 0o660, 4, 64)]


def entry(out, ino, name, mode, data=b"", rdev=(0, 0), nlink=1, mtime=0):
    nb = name.encode() + b"\0"
    hdr = "070701" + "".join("%08X" % v for v in (ino, mode, 0, 0, nlink, mtime, len(data), 0, 0, rdev[0], rdev[1],
                                                   len(nb), 0))
    out.write(hdr.encode() + nb)
    out.write(b"\0" * ((4 - (110 + len(nb)) % 4) % 4))
    out.write(data)
    out.write(b"\0" * ((4 - len(data) % 4) % 4))


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    src, dst = sys.argv[1], sys.argv[2]
    opener = (lambda p: gzip.GzipFile(p, "wb", compresslevel=9, mtime=0)) if dst.endswith(".gz") else \
        (lambda p: open(p, "wb"))
    ino = 1
    with opener(dst) as out:
        names = []
        for root, dirs, files in os.walk(src):
            dirs.sort()
            for n in sorted(dirs) + sorted(files):
                names.append(os.path.relpath(os.path.join(root, n), src))
        for rel in sorted(names):
            p = os.path.join(src, rel)
            st = os.lstat(p)
            if stat.S_ISLNK(st.st_mode):
                data = os.readlink(p).encode()
            elif stat.S_ISREG(st.st_mode):
                with open(p, "rb") as f:
                    data = f.read()
            else:
                data = b""
            entry(out, ino, rel, st.st_mode, data)
            ino += 1
        if "dev" not in names:  # the kernel's unpacker does not create parent directories
            entry(out, ino, "dev", stat.S_IFDIR | 0o755, nlink=2)
            ino += 1
        for name, mode, major, minor in DEVICES:
            if name not in names:
                entry(out, ino, name, mode, rdev=(major, minor))
                ino += 1
        entry(out, 0, "TRAILER!!!", 0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
