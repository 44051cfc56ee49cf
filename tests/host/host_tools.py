#!/usr/bin/env python3
"""Tests of the host tools: extract-vmlinux, newc.py, mkiso.sh, hindsight-log, the e2e runner's
registry (no emulator run), hindsight-run's exit statuses.

Prints one verdict line per test ("PASS: host/<name>", "FAIL: host/<name>: why",
"SKIP: host/<name>: why") and ends with "N passed, N failed"; exits non-zero if any
test failed. Each test works in its own temporary directory. `run.sh NAME...` runs
only the tests whose names contain one of the NAMEs.
"""
import contextlib
import glob
import gzip
import io
import lzma
import os
import re
import struct
import subprocess
import sys
import tempfile
import traceback

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
EXTRACT = os.path.join(ROOT, "host-tools", "extract-vmlinux")
NEWC = os.path.join(ROOT, "host-tools", "newc.py")
MKISO = os.path.join(ROOT, "host-tools", "mkiso.sh")
HLOG = os.path.join(ROOT, "host-tools", "hindsight-log")
E2E = os.path.join(ROOT, "tests", "e2e", "e2e.py")
HRUN = os.path.join(ROOT, "host-tools", "hindsight-run")

PT_LOAD, PT_NOTE, PT_GNU_STACK = 1, 4, 0x6474E551
XEN_ELFNOTE_PHYS32_ENTRY = 18


class Fail(Exception):
    pass


def check(cond, why):
    if not cond:
        raise Fail(why)


def run(argv, **kw):
    env = dict(os.environ, LC_ALL="C", TZ="UTC")  # cpio -tv's listing format
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300, env=env, **kw)


def oneline(b):
    s = b.decode(errors="replace") if isinstance(b, bytes) else b
    s = " ".join(s.split())
    return s[:300]


def errtail(b):
    """The last non-empty line of a tool's stderr (for a traceback: the exception)."""
    lines = [l for l in b.decode(errors="replace").splitlines() if l.strip()]
    return oneline(lines[-1]) if lines else "(no stderr)"


# ---- ELF helpers ------------------------------------------------------------------

def note(name, typ, desc):
    n = name.encode() + b"\0"
    pad = lambda b: b + b"\0" * (-len(b) % 4)
    return struct.pack("<III", len(n), len(desc), typ) + pad(n) + pad(desc)


def parse_notes(blob):
    out, i = [], 0
    while i + 12 <= len(blob):
        namesz, descsz, typ = struct.unpack_from("<III", blob, i)
        i += 12
        name = blob[i:i + namesz].rstrip(b"\0").decode(errors="replace")
        i += (namesz + 3) & ~3
        desc = blob[i:i + descsz]
        i += (descsz + 3) & ~3
        out.append((name, typ, desc))
    return out


def phdrs(elf):
    check(elf[:4] == b"\x7fELF", "not an ELF")
    check(elf[4] == 2, "not ELF64")
    phoff, = struct.unpack_from("<Q", elf, 32)
    phentsize, phnum = struct.unpack_from("<HH", elf, 54)
    check(phentsize == 56, f"e_phentsize {phentsize}")
    check(phoff + phnum * 56 <= len(elf), "program headers past the end of the file")
    keys = ("type", "flags", "offset", "vaddr", "paddr", "filesz", "memsz", "align")
    return [dict(zip(keys, struct.unpack_from("<IIQQQQQQ", elf, phoff + i * 56))) for i in range(phnum)]


def build_elf(loads, note_in_first):
    """An ELF64 executable: loads is [(vaddr, paddr, data, memsz, flags)], each placed at a
    page-aligned offset; a PT_NOTE points at note_in_first = (offset inside load 0, bytes),
    and a PT_GNU_STACK that a slimmed file should drop."""
    n = len(loads) + 2
    off = 0x1000
    placed = []
    for vaddr, paddr, data, memsz, flags in loads:
        placed.append((off, vaddr, paddr, data, memsz, flags))
        off = (off + len(data) + 0xFFF) & ~0xFFF
    img = bytearray(off)
    ehdr = bytearray(64)
    ehdr[:16] = b"\x7fELF\x02\x01\x01" + b"\0" * 9
    struct.pack_into("<HHIQQQIHHHHHH", ehdr, 16, 2, 62, 1, loads[0][1], 64, 0, 0, 64, 56, n, 64, 0, 0)
    img[:64] = ehdr
    rows = []
    for o, vaddr, paddr, data, memsz, flags in placed:
        img[o:o + len(data)] = data
        rows.append((PT_LOAD, flags, o, vaddr, paddr, len(data), memsz, 0x1000))
    noff, nbytes = note_in_first
    o0, v0, p0 = placed[0][0], placed[0][1], placed[0][2]
    check(img[o0 + noff:o0 + noff + len(nbytes)] == nbytes, "test bug: note bytes not inside load 0")
    rows.insert(1, (PT_NOTE, 4, o0 + noff, v0 + noff, p0 + noff, len(nbytes), len(nbytes), 4))
    rows.append((PT_GNU_STACK, 6, 0, 0, 0, 0, 0, 16))
    for i, r in enumerate(rows):
        struct.pack_into("<IIQQQQQQ", img, 64 + 56 * i, *r)
    return bytes(img)


def small_elf():
    """Two PT_LOADs with zero tails, a Xen note (PHYS32_ENTRY among others) inside the first."""
    notes = note("Xen", 6, b"linux\0") + note("Xen", XEN_ELFNOTE_PHYS32_ENTRY, struct.pack("<I", 0x01000345)) + \
        note("GNU", 3, b"\x11\x22\x33\x44")
    text = bytearray(b"\x90" * 0x400) + notes
    text += bytes(range(1, 256)) * 8
    text += b"\0" * 0x900                      # zero tail (bss-like, but inside filesz)
    data = bytearray(b"DATA" * 0x300)
    data[0x10:0x20] = b"\0" * 0x10              # interior zeros stay
    data += b"\0" * 0x1800
    loads = [(0xFFFFFFFF81000000, 0x1000000, bytes(text), len(text) + 0x2000, 5),
             (0xFFFFFFFF82000000, 0x2000000, bytes(data), 0x10000, 6)]
    return build_elf(loads, (0x400, notes)), notes


def bzimage(payload, version=0x20F, setup_sects=3, pre=b"\xeb\x0e" + b"decompressor stub " * 20, post=b"\xcc" * 77):
    """A fake bzImage: boot sector + setup sectors, then the protected-mode part holding
    payload at payload_offset (relative to its start) with payload_length bytes."""
    setup = bytearray((setup_sects + 1) * 512)
    setup[0x1F1] = setup_sects
    setup[0x1FE:0x200] = b"\x55\xaa"
    setup[0x202:0x206] = b"HdrS"
    struct.pack_into("<H", setup, 0x206, version)
    struct.pack_into("<II", setup, 0x248, len(pre), len(payload))
    return bytes(setup) + pre + payload + post


# ---- extract-vmlinux ----------------------------------------------------------------

def extract(tmp, img, *flags):
    src, dst = os.path.join(tmp, "bzImage"), os.path.join(tmp, "out.elf")
    with open(src, "wb") as f:
        f.write(img)
    r = run([EXTRACT, *flags, src, dst])
    out = open(dst, "rb").read() if os.path.exists(dst) else None
    return r, out


def t_extract_gzip(tmp):
    elf, _ = small_elf()
    r, out = extract(tmp, bzimage(gzip.compress(elf, mtime=0)))
    check(r.returncode == 0, f"exit {r.returncode}: {errtail(r.stderr)}")
    check(out == elf, "output differs from the ELF inside the payload")


def t_extract_xz(tmp):
    elf, _ = small_elf()
    # The kernel's xz payloads use CRC32 checks.
    r, out = extract(tmp, bzimage(lzma.compress(elf, format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC32)))
    check(r.returncode == 0, f"exit {r.returncode}: {errtail(r.stderr)}")
    check(out == elf, "output differs from the ELF inside the payload")


def t_extract_header_locates_payload(tmp):
    # Decoy streams before the real payload, one of them a valid compressed ELF that a
    # magic-number search would find first: the setup header must win.
    elf, _ = small_elf()
    other = build_elf([(0xFFFFFFFF81000000, 0x1000000, b"decoy kernel" * 10, 0x1000, 5)],
                      (0, b"decoy kernel"))
    decoy = gzip.compress(b"not a kernel" * 100, mtime=0) + lzma.compress(other, format=lzma.FORMAT_XZ)
    r, out = extract(tmp, bzimage(lzma.compress(elf, format=lzma.FORMAT_XZ), pre=decoy))
    check(r.returncode == 0, f"exit {r.returncode}: {errtail(r.stderr)}")
    check(out == elf, "output differs from the ELF inside the payload")


def t_extract_magic_fallback(tmp):
    # Boot protocol < 2.08 has no payload fields: the magic-number search finds the stream.
    # Bytes 0x248.. are no header fields then: here they point at a decoy ELF stream
    # placed after the real one, which only a reader of those bytes would pick.
    elf, _ = small_elf()
    other = build_elf([(0xFFFFFFFF81000000, 0x1000000, b"decoy kernel" * 10, 0x1000, 5)],
                      (0, b"decoy kernel"))
    real, decoy = lzma.compress(elf, format=lzma.FORMAT_XZ), lzma.compress(other, format=lzma.FORMAT_XZ)
    img = bytearray(bzimage(real + b"\xcc" * 16 + decoy, version=0x207, pre=b""))
    struct.pack_into("<II", img, 0x248, len(real) + 16, len(decoy))
    r, out = extract(tmp, bytes(img))
    check(r.returncode == 0, f"exit {r.returncode}: {errtail(r.stderr)}")
    check(out == elf, "output differs from the ELF inside the payload")


def t_extract_elf_passthrough(tmp):
    elf, _ = small_elf()
    r, out = extract(tmp, elf)
    check(r.returncode == 0, f"exit {r.returncode}: {errtail(r.stderr)}")
    check(out == elf, "a vmlinux input was not copied as it is")


def t_extract_garbage(tmp):
    cases = {
        "text": b"this is not a kernel image\n" * 4000,
        "hdrs-no-payload": bzimage(b"\x00" * 4096),
        "compressed-non-elf": bzimage(gzip.compress(b"\x7fELX" + b"\0" * 5000, mtime=0)),
        "empty": b"",
    }
    for what, img in cases.items():
        r, out = extract(tmp, img)
        check(r.returncode != 0, f"{what}: exit 0")
        check(out is None, f"{what}: wrote an output file anyway")
        check(b"no compressed ELF kernel found" in r.stderr, f"{what}: unclear message: {oneline(r.stderr)}")
        check(b"Traceback" not in r.stderr, f"{what}: Python traceback: {oneline(r.stderr)}")


def t_extract_truncated_payload(tmp):
    # A cut-off stream decompresses to a prefix of the ELF without complaint from a
    # streaming decompressor: that must not be written out as if it were the kernel.
    elf, _ = small_elf()
    for what, comp in (("xz", lzma.compress(elf, format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC32)),
                       ("gzip", gzip.compress(elf, mtime=0))):
        r, out = extract(tmp, bzimage(comp[:len(comp) // 2]))
        check(r.returncode != 0, f"{what} payload cut in half: exit 0, wrote {len(out or b'')} of {len(elf)} bytes")
        check(out is None, f"{what}: wrote an output file anyway")
        check(b"Traceback" not in r.stderr, f"{what}: Python traceback: {errtail(r.stderr)}")


def t_extract_help(tmp):
    for flag in ("--help", "-h"):
        r = run([EXTRACT, flag])
        check(r.returncode == 0, f"{flag}: exit {r.returncode}")
        text = r.stdout + r.stderr
        check(b"extract-vmlinux" in text and b"--slim" in text, f"{flag}: no usage text")
    r = run([EXTRACT])
    check(r.returncode != 0, "no arguments: exit 0")
    check(b"extract-vmlinux" in r.stdout + r.stderr, "no arguments: no usage text")


def check_slim(orig, slim, expect_notes):
    """The slimmed ELF's program headers against the original's."""
    oph, sph = phdrs(orig), phdrs(slim)
    oload = [p for p in oph if p["type"] == PT_LOAD]
    sload = [p for p in sph if p["type"] == PT_LOAD]
    onote = [p for p in oph if p["type"] == PT_NOTE]
    snote = [p for p in sph if p["type"] == PT_NOTE]
    check(all(p["type"] in (PT_LOAD, PT_NOTE) for p in sph), "kept a segment other than PT_LOAD/PT_NOTE")
    check(len(sload) == len(oload), f"{len(sload)} PT_LOAD, want {len(oload)}")
    check(len(snote) == len(onote), f"{len(snote)} PT_NOTE, want {len(onote)}")
    check(slim[:4] == b"\x7fELF" and slim[4:7] == orig[4:7], "ELF identification changed")
    check(struct.unpack_from("<HHIQ", slim, 16) == struct.unpack_from("<HHIQ", orig, 16),
          "e_type/e_machine/e_version/e_entry changed")
    spans = []
    for o, s in zip(oload, sload):
        tag = f"PT_LOAD vaddr {o['vaddr']:#x}"
        for k in ("vaddr", "paddr", "memsz", "flags"):
            check(s[k] == o[k], f"{tag}: p_{k} {s[k]:#x}, want {o[k]:#x}")
        want = orig[o["offset"]:o["offset"] + o["filesz"]].rstrip(b"\0")
        check(s["filesz"] == len(want), f"{tag}: p_filesz {s['filesz']:#x}, want {len(want):#x}")
        check(s["offset"] + s["filesz"] <= len(slim), f"{tag}: past the end of the file")
        check(slim[s["offset"]:s["offset"] + s["filesz"]] == want, f"{tag}: bytes differ from the original")
        check(s["filesz"] <= s["memsz"], f"{tag}: filesz > memsz")
        check(s["align"] == 0 or (s["offset"] - s["vaddr"]) % s["align"] == 0,
              f"{tag}: p_offset {s['offset']:#x} and p_vaddr not congruent modulo p_align {s['align']:#x}")
        check(s["offset"] >= 64 + 56 * len(sph), f"{tag}: overlaps the headers")
        spans.append((s["offset"], s["offset"] + s["filesz"]))
    spans.sort()
    for a, b in zip(spans, spans[1:]):
        check(a[1] <= b[0], "PT_LOAD segments overlap in the file")
    for o, s in zip(onote, snote):
        check(s["vaddr"] == o["vaddr"] and s["filesz"] == o["filesz"], "PT_NOTE vaddr/size changed")
        check(slim[s["offset"]:s["offset"] + s["filesz"]] == orig[o["offset"]:o["offset"] + o["filesz"]],
              "PT_NOTE bytes at the new offset differ from the original note")
        # The note is also where its vaddr says, inside its loadable segment's new copy.
        home = [l for l in sload if l["vaddr"] <= s["vaddr"] and s["vaddr"] + s["filesz"] <= l["vaddr"] + l["filesz"]]
        check(len(home) == 1, "PT_NOTE not inside exactly one PT_LOAD's file bytes")
        check(s["offset"] - home[0]["offset"] == s["vaddr"] - home[0]["vaddr"],
              "PT_NOTE offset does not match its place in the PT_LOAD")
    got = [n for s in snote for n in parse_notes(slim[s["offset"]:s["offset"] + s["filesz"]])]
    check(got == expect_notes, f"notes {got}, want {expect_notes}")


def t_slim_small_elf(tmp):
    elf, notes = small_elf()
    r, out = extract(tmp, elf, "--slim")
    check(r.returncode == 0, f"exit {r.returncode}: {errtail(r.stderr)}")
    check(out is not None, "no output")
    check(len(out) < len(elf), "not smaller")
    check_slim(elf, out, parse_notes(notes))
    # readelf agrees: the Xen note (type 0x12) and the GNU build-id are readable, without warnings.
    p = os.path.join(tmp, "out.elf")
    r = run(["readelf", "-nW", p])
    check(r.returncode == 0, f"readelf -n: exit {r.returncode}")
    txt = r.stdout.decode()
    check(re.search(r"Xen\s+0x00000004\s+Unknown note type: \(0x00000012\)", txt),
          f"readelf -n does not show the PHYS32_ENTRY note: {oneline(txt)}")
    check(re.search(r"45 03 00 01", txt), "readelf -n: PHYS32_ENTRY value not shown")
    check("GNU" in txt, "readelf -n: GNU note missing")
    r = run(["readelf", "-lW", p])
    check(r.returncode == 0 and not r.stderr.strip(), f"readelf -l complains: {oneline(r.stderr)}")
    # The same via a bzImage: --slim applies to extracted kernels too.
    r, out2 = extract(tmp, bzimage(gzip.compress(elf, mtime=0)), "--slim")
    check(r.returncode == 0 and out2 == out, "--slim of the bzImage differs from --slim of its ELF")


def t_slim_note_at_load_end(tmp):
    # The note is the last thing in the first PT_LOAD before its zero tail and its
    # descriptor ends in zero bytes (as Linux's 8-byte PHYS32_ENTRY does): trimming the
    # zero tail must not cut the note.
    notes = note("Xen", XEN_ELFNOTE_PHYS32_ENTRY, struct.pack("<Q", 0x1000850))
    text = b"\x90" * 0x200 + notes + b"\0" * 0x300
    elf = build_elf([(0xFFFFFFFF81000000, 0x1000000, text, 0x2000, 5),
                     (0xFFFFFFFF82000000, 0x2000000, b"D" * 100 + b"\0" * 50, 0x1000, 6)], (0x200, notes))
    r, out = extract(tmp, elf, "--slim")
    check(r.returncode == 0, f"exit {r.returncode}: {errtail(r.stderr)}")
    sph = phdrs(out)
    snote = [p for p in sph if p["type"] == PT_NOTE]
    check(len(snote) == 1, "PT_NOTE missing")
    got = parse_notes(out[snote[0]["offset"]:snote[0]["offset"] + snote[0]["filesz"]])
    check(got == parse_notes(notes), f"note reads back as {got}")


def real_bzimage():
    found = sorted(glob.glob(os.path.expanduser("~/.cache/hindsight/linux-image-*/bzImage")))
    return found[-1] if found else None


def t_extract_real_kernel(tmp):
    src = real_bzimage()
    if not src:
        return "SKIP", "no ~/.cache/hindsight/linux-image-*/bzImage (make linux fetches one)"
    dst, sdst = os.path.join(tmp, "vmlinux"), os.path.join(tmp, "vmlinux.slim")
    for out, flags in ((dst, []), (sdst, ["--slim"])):
        r = run([EXTRACT, *flags, src, out])
        check(r.returncode == 0, f"{' '.join(flags) or 'plain'}: exit {r.returncode}: {errtail(r.stderr)}")
    full, slim = open(dst, "rb").read(), open(sdst, "rb").read()
    check(full[:4] == b"\x7fELF" and full[4] == 2, "not an ELF64")
    notes = []
    for p in phdrs(full):
        if p["type"] == PT_NOTE:
            notes += parse_notes(full[p["offset"]:p["offset"] + p["filesz"]])
    entry = [d for n, t, d in notes if n == "Xen" and t == XEN_ELFNOTE_PHYS32_ENTRY]
    check(len(entry) == 1, f"{len(entry)} Xen PHYS32_ENTRY notes")
    addr = struct.unpack_from("<I", entry[0])[0]
    check(0x100000 <= addr < 0x100000000, f"PHYS32_ENTRY {addr:#x} is not a 32-bit physical address")
    check(len(slim) < len(full), "--slim is not smaller")
    check_slim(full, slim, notes)


# ---- newc.py ------------------------------------------------------------------------

def make_tree(tmp):
    root = os.path.join(tmp, "tree")
    os.makedirs(os.path.join(root, "sub", "deeper"))
    os.makedirs(os.path.join(root, "empty"))
    with open(os.path.join(root, "hello.txt"), "w") as f:
        f.write("hello, initramfs\n")
    with open(os.path.join(root, "sub", "deeper", "blob.bin"), "wb") as f:
        f.write(bytes(range(256)) * 3 + b"odd")
    with open(os.path.join(root, "init"), "w") as f:
        f.write("#!/bin/sh\necho hi\n")
    os.chmod(os.path.join(root, "init"), 0o755)
    os.symlink("hello.txt", os.path.join(root, "greeting"))
    os.symlink("../hello.txt", os.path.join(root, "sub", "up"))
    return root


def cpio_list(archive_bytes):
    r = run(["cpio", "-itv", "--quiet"], input=archive_bytes)
    check(r.returncode == 0, f"cpio -itv: exit {r.returncode}: {oneline(r.stderr)}")
    return r.stdout.decode().splitlines()


def cpio_file(archive_bytes, name):
    r = run(["cpio", "-i", "--to-stdout", "--quiet", name], input=archive_bytes)
    check(r.returncode == 0, f"cpio -i {name}: exit {r.returncode}: {oneline(r.stderr)}")
    return r.stdout


def check_listing(lines, blob):
    byname = {}
    for l in lines:
        m = re.match(r"^(\S{10})\s+\d+\s+(\S+)\s+(\S+)\s+(.*?)\s+\S+\s+\d+\s+\d{4}\s+(.*)$", l)
        check(m, f"unparsed cpio line: {l!r}")
        mode, user, group, size, name = m.groups()
        byname[name.split(" -> ")[0]] = (mode, user, group, size.replace(" ", ""), name)
    want = {"hello.txt", "init", "greeting", "sub", "sub/deeper", "sub/deeper/blob.bin", "sub/up", "empty",
            "dev/console", "dev/ttyS0"}
    check(want <= set(byname), f"missing {sorted(want - set(byname))}")
    check(set(byname) <= want | {"dev"}, f"unexpected {sorted(set(byname) - want)}")
    for n, (mode, user, group, _, _) in byname.items():
        check(user in ("root", "0") and group in ("root", "0"), f"{n} owned by {user}:{group}")
    check(byname["hello.txt"][0].startswith("-") and byname["hello.txt"][3] == "17", "hello.txt mode/size")
    check(byname["init"][0] == "-rwxr-xr-x", f"init mode {byname['init'][0]}")
    check(byname["sub"][0].startswith("d") and byname["sub/deeper"][0].startswith("d"), "sub not a directory")
    check(byname["empty"][0].startswith("d"), "empty not a directory")
    check(byname["greeting"][0].startswith("l") and byname["greeting"][4] == "greeting -> hello.txt",
          f"symlink: {byname['greeting']}")
    check(byname["sub/up"][4] == "sub/up -> ../hello.txt", f"symlink: {byname['sub/up']}")
    check(byname["dev/console"][0].startswith("c") and byname["dev/console"][3] == "5,1",
          f"dev/console: {byname['dev/console']}")
    check(byname["dev/ttyS0"][0].startswith("c") and byname["dev/ttyS0"][3] == "4,64",
          f"dev/ttyS0: {byname['dev/ttyS0']}")
    check(cpio_file(blob, "hello.txt") == b"hello, initramfs\n", "hello.txt content")
    check(cpio_file(blob, "sub/deeper/blob.bin") == bytes(range(256)) * 3 + b"odd", "blob.bin content")


def t_newc_plain(tmp):
    root = make_tree(tmp)
    out = os.path.join(tmp, "initrd.cpio")
    r = run([sys.executable, NEWC, root, out])
    check(r.returncode == 0, f"exit {r.returncode}: {errtail(r.stderr)}")
    blob = open(out, "rb").read()
    check(blob[:6] == b"070701", "not a newc archive")
    check(len(blob) % 4 == 0, "archive length not a multiple of 4")
    check(b"TRAILER!!!" in blob[-128:], "no trailer")
    check_listing(cpio_list(blob), blob)


def t_newc_gzip(tmp):
    root = make_tree(tmp)
    out = os.path.join(tmp, "initrd.cpio.gz")
    r = run([sys.executable, NEWC, root, out])
    check(r.returncode == 0, f"exit {r.returncode}: {errtail(r.stderr)}")
    blob = open(out, "rb").read()
    check(blob[:2] == b"\x1f\x8b", "not gzip")
    check(blob[4:8] == b"\0\0\0\0", "gzip header carries a timestamp (not reproducible)")
    r = run(["gzip", "-t", out])
    check(r.returncode == 0, f"gzip -t: {oneline(r.stderr)}")
    raw = gzip.decompress(blob)
    check(raw[:6] == b"070701", "gzip content is not a newc archive")
    check_listing(cpio_list(raw), raw)
    # Reproducible: the same tree gives the same bytes (same basename: gzip records it).
    os.makedirs(os.path.join(tmp, "again"))
    out2 = os.path.join(tmp, "again", "initrd.cpio.gz")
    run([sys.executable, NEWC, root, out2])
    check(open(out2, "rb").read() == blob, "two runs over the same tree differ")


def t_newc_existing_dev(tmp):
    # A tree that brings its own dev/console keeps it (no duplicate entry).
    root = make_tree(tmp)
    os.makedirs(os.path.join(root, "dev"))
    with open(os.path.join(root, "dev", "console"), "w") as f:
        f.write("placeholder")
    out = os.path.join(tmp, "initrd.cpio")
    r = run([sys.executable, NEWC, root, out])
    check(r.returncode == 0, f"exit {r.returncode}: {errtail(r.stderr)}")
    lines = cpio_list(open(out, "rb").read())
    names = [l.split()[-1] for l in lines]
    check(names.count("dev/console") == 1, f"dev/console appears {names.count('dev/console')} times")
    check(names.count("dev/ttyS0") == 1, "dev/ttyS0 missing or duplicated")
    check(names.index("dev") < names.index("dev/ttyS0"), "dev/ttyS0 before its directory")


def t_newc_usage(tmp):
    r = run([sys.executable, NEWC])
    check(r.returncode != 0, "no arguments: exit 0")
    check(b"newc.py" in r.stdout + r.stderr, "no usage text")


# ---- mkiso.sh -----------------------------------------------------------------------

def t_mkiso_bad_invocations(tmp):
    vmm = os.path.join(tmp, "vmm.elf")
    kern = os.path.join(tmp, "kernel.elf")
    for p in (vmm, kern):
        with open(p, "wb") as f:
            f.write(b"\x7fELF")
    iso = os.path.join(tmp, "out.iso")
    cases = [
        ("unknown option", ["--frobnicate"], b"unknown option"),
        ("unknown option with valid ones", ["--out", iso, "--kernel", kern, "--vmm", vmm, "--bogus"], b"unknown option"),
        ("no arguments", [], b"usage"),
        ("no --out", ["--kernel", kern, "--vmm", vmm], b"usage"),
        ("no kernel", ["--out", iso, "--vmm", vmm], b"usage"),
        ("missing kernel file", ["--out", iso, "--kernel", os.path.join(tmp, "nope.elf"), "--vmm", vmm],
         b"no such file"),
        ("missing vmm file", ["--out", iso, "--kernel", kern, "--vmm", os.path.join(tmp, "novmm.elf")],
         b"no such file"),
        ("missing initrd file", ["--out", iso, "--kernel", kern, "--vmm", vmm, "--initrd", os.path.join(tmp, "x")],
         b"no such file"),
        ("missing config file", ["--out", iso, "--kernel", kern, "--vmm", vmm, "--config", os.path.join(tmp, "y")],
         b"no such file"),
        ("missing bare-linux file", ["--out", iso, "--bare-linux", os.path.join(tmp, "bz")], b"no such file"),
        ("option without its value", ["--out"], b""),
    ]
    for what, args, msg in cases:
        r = run(["bash", MKISO, *args], cwd=tmp)
        check(r.returncode != 0, f"{what}: exit 0")
        check(r.stderr.strip(), f"{what}: no message on stderr")
        check(msg.lower() in r.stderr.lower(), f"{what}: message lacks {msg!r}: {oneline(r.stderr)}")
        check(not os.path.exists(iso), f"{what}: wrote {iso}")


def t_mkiso_help(tmp):
    for flag in ("--help", "-h"):
        r = run(["bash", MKISO, flag], cwd=tmp)
        check(r.returncode == 0, f"{flag}: exit {r.returncode}")
        check(b"usage: mkiso.sh" in r.stdout and b"--kernel" in r.stdout, f"{flag}: no usage on stdout")


def t_mkiso_esp_holds_hindsight_efi(tmp):
    # The ISO's EFI system partition carries hindsight.efi beside GRUB's BOOTX64.EFI.
    efi = os.path.join(ROOT, "build", "hindsight.efi")
    check(os.path.exists(efi), "build/hindsight.efi missing (make efi)")
    iso = os.path.join(tmp, "out.iso")
    r = run(["bash", MKISO, "--out", iso, "--kernel", os.path.join(ROOT, "build", "guests", "testguest.elf"),
             "--vmm", os.path.join(ROOT, "build", "hindsight.elf"), "--efi", efi, "--config-line", "cmdline=hello"],
            cwd=tmp)
    check(r.returncode == 0, f"mkiso.sh --efi: {errtail(r.stderr)}")
    img = os.path.join(tmp, "efi.img")
    r = run(["xorriso", "-osirrox", "on", "-indev", iso, "-extract", "/efi.img", img])
    check(r.returncode == 0 and os.path.exists(img), f"no /efi.img in the ISO: {errtail(r.stderr)}")
    r = run(["mtype", "-i", img, "::/EFI/hindsight/hindsight.efi"])
    check(r.returncode == 0, f"the ESP lacks EFI/hindsight/hindsight.efi: {errtail(r.stderr)}")
    with open(efi, "rb") as f:
        check(r.stdout == f.read(), "the ESP's hindsight.efi differs from build/hindsight.efi")
    r = run(["mdir", "-b", "-/", "-i", img, "::/"])
    check(b"bootx64.efi" in r.stdout.lower(), f"GRUB's BOOTX64.EFI is gone from the ESP: {oneline(r.stdout)}")


MKESP = os.path.join(ROOT, "host-tools", "mkesp.sh")


def t_mkesp_layout_and_errors(tmp):
    # hindsight.efi reads the VMM and its modules from its own directory: mkesp.sh puts them there.
    img = os.path.join(tmp, "esp.img")
    kern = os.path.join(ROOT, "build", "guests", "testguest.elf")
    r = run(["bash", MKESP, "--out", img, "--kernel", kern, "--config-line", "cmdline=hello"], cwd=ROOT)
    check(r.returncode == 0, f"mkesp.sh: {errtail(r.stderr)}")
    r = run(["mdir", "-b", "-i", img, "::/EFI/BOOT"])
    names = sorted(os.path.basename(l).lower() for l in r.stdout.decode().split())
    check(names == ["bootx64.efi", "config", "hindsight.elf", "kernel"], f"ESP files: {names}")
    r = run(["mtype", "-i", img, "::/EFI/BOOT/config"])
    check(r.stdout == b"cmdline=hello\n", f"config: {r.stdout!r}")
    for what, args, msg in [("no kernel", ["--out", img], b"usage"),
                            ("missing kernel file", ["--out", img, "--kernel", os.path.join(tmp, "nope")], b"no such file"),
                            ("unknown option", ["--out", img, "--kernel", kern, "--bogus"], b"unknown option")]:
        r = run(["bash", MKESP, *args], cwd=ROOT)
        check(r.returncode != 0 and msg in r.stderr.lower(), f"{what}: rc {r.returncode}, {oneline(r.stderr)}")


# ---- hindsight-log ----------------------------------------------------------------------
# Logs are built here byte by byte from docs/replay-log.md (not with the codec under test).

LOG_EVENT = struct.Struct("<BBHIQQQQQQQ")  # type flags arg con_hash seq exit_seq rip digest value tsc aux
LOG_HEADER = struct.Struct("<QIIQII32x")   # magic version event_size tsc_hz mode format reserved2[4]
LOG_MAGIC = 0x474F4C5448474953            # "SIGHTLOG"
EV_TSC, EV_RAND, EV_PIO_IN, EV_IRQ, EV_RX, EV_INTR, EV_END = range(1, 8)
EVF_WINDOW = 1
LOG_HZ = 1_400_000_000                     # 1.4 GHz: the sample's events are 1 us apart


def log_header(magic=LOG_MAGIC, version=1, event_size=64, tsc_hz=LOG_HZ, mode=1, fmt=0):
    return LOG_HEADER.pack(magic, version, event_size, tsc_hz, mode, fmt)


def log_event(seq, typ, arg=0, value=0, aux=0, flags=0):
    return LOG_EVENT.pack(typ, flags, arg, 0x811C9DC5 ^ seq, seq, 100 + seq, 0xFFFFFFFF81000000 + 0x10 * seq,
                          0x1111111111111111 * seq, value, 5000 + 1400 * (seq - 1), aux)


def sample_events():
    """One event of every type (rx twice): 8 events over 7 us of guest time."""
    return [
        log_event(1, EV_TSC, value=123456789),
        log_event(2, EV_RAND, arg=1, value=0xDEADBEEFCAFEF00D),
        log_event(3, EV_PIO_IN, arg=0x40, value=0x12),
        log_event(4, EV_IRQ, arg=0),
        log_event(5, EV_RX, value=ord("h")),
        log_event(6, EV_INTR, arg=0x30, flags=EVF_WINDOW),
        log_event(7, EV_RX, value=ord("\n")),
        log_event(8, EV_END, arg=2, value=1234, aux=0xABCDEF0123456789),
    ]


def sample_log():
    return log_header() + b"".join(sample_events())


SAMPLE_LINES = [
    "# hindsight replay log version 1, mode exit, tsc_hz 1400000000",
    "#1 tsc    exit=101 rip=ffffffff81000010 digest=1111111111111111 value=123456789 con=811c9dc4 t=+0.000000s",
    "#2 rand   exit=102 rip=ffffffff81000020 digest=2222222222222222 value=0xdeadbeefcafef00d cf=1 rdrand "
    "con=811c9dc7 t=+0.000001s",
    "#3 pio_in exit=103 rip=ffffffff81000030 digest=3333333333333333 port=0x40 value=0x12 con=811c9dc6 t=+0.000002s",
    "#4 irq    exit=104 rip=ffffffff81000040 digest=4444444444444444 line=0 con=811c9dc1 t=+0.000003s",
    "#5 rx     exit=105 rip=ffffffff81000050 digest=5555555555555555 byte=0x68 'h' con=811c9dc0 t=+0.000004s",
    "#6 intr   exit=106+window rip=ffffffff81000060 digest=6666666666666666 vector=0x30 con=811c9dc3 t=+0.000005s",
    "#7 rx     exit=107 rip=ffffffff81000070 digest=7777777777777777 byte=0x0a '\\n' con=811c9dc2 t=+0.000006s",
    "#8 end    exit=108 rip=ffffffff81000080 digest=8888888888888888 outcome=panic console=1234 state=abcdef0123456789 "
    "con=811c9dcd t=+0.000007s",
]


# The compact format (docs/replay-log.md "Compact events"), written here from the document.
M64 = (1 << 64) - 1
COMPACT_RIPS = 7
CARRIES_ARG = (EV_RAND, EV_PIO_IN, EV_IRQ, EV_INTR, EV_END)
CARRIES_VALUE = (EV_TSC, EV_RAND, EV_PIO_IN, EV_RX, EV_END)


def varint(v):
    out = bytearray()
    while v >= 0x80:
        out.append(v & 0x7F | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


class CompactEncoder:
    def __init__(self):
        self.seq = self.exit_seq = self.tsc = self.tsc_value = 0
        self.rips = [0] * COMPACT_RIPS
        self.digests = [0] * COMPACT_RIPS
        self.con = 0x811C9DC5

    def encode(self, raw64):
        """One 64-byte event (LOG_EVENT layout) as its compact bytes."""
        typ, flags, arg, con, seq, exit_seq, rip, digest, value, tsc, aux = LOG_EVENT.unpack(raw64)
        carries_aux = typ == EV_END or flags & 2
        raw = not 1 <= typ <= 7 or flags & ~3 or (arg and typ not in CARRIES_ARG) or \
            (value and typ not in CARRIES_VALUE) or (aux and not carries_aux)
        ext = 0
        if seq != (self.seq + 1) & M64:
            ext |= 0x01
        if not raw:
            ext |= (0x02 if flags & 1 else 0) | (0x04 if flags & 2 else 0)
        if con != self.con:
            ext |= 0x08

        def mag(now, before, bit):
            nonlocal ext
            d = (now - before) & M64
            if d >> 63:
                ext |= bit
                return (-d) & M64
            return d
        exit_mag = mag(exit_seq, self.exit_seq, 0x10)
        has_value = raw or typ in CARRIES_VALUE
        val = mag(value, self.tsc_value, 0x20) if has_value and typ == EV_TSC else value
        tsc_mag = mag(tsc, value if typ == EV_TSC else self.tsc, 0x40)
        slot = self.rips.index(rip) if rip in self.rips else 7
        same_digest = slot < 7 and self.digests[slot] == digest
        out = bytearray([(0 if raw else typ) | (0x08 if same_digest else 0) | slot << 4 | (0x80 if ext else 0)])
        if ext:
            out.append(ext)
        if raw:
            out += bytes([typ, flags])
        if ext & 0x01:
            out += varint(seq)
        if ext & 0x08:
            out += struct.pack("<I", con)
        out += varint(exit_mag)
        if slot == 7:
            d = (rip - self.rips[0]) & M64
            out += varint((d << 1 ^ (M64 if d >> 63 else 0)) & M64)  # zigzag
        if not same_digest:
            out += struct.pack("<Q", digest)
        if raw or typ in CARRIES_ARG:
            out += varint(arg)
        if has_value:
            out += varint(val)
        out += varint(tsc_mag)
        if raw or carries_aux:
            out += varint(aux)
        # Move to front: the RIP's old slot, or the last one (dropped) for a new RIP.
        frm = min(slot, COMPACT_RIPS - 1)
        del self.rips[frm], self.digests[frm]
        self.rips.insert(0, rip)
        self.digests.insert(0, digest)
        self.seq, self.exit_seq, self.tsc, self.con = seq, exit_seq, tsc, con
        if typ == EV_TSC:
            self.tsc_value = value
        return bytes(out)


def compact_events(events):
    """The compact encodings of a list of 64-byte events, one bytes object each."""
    enc = CompactEncoder()
    return [enc.encode(e) for e in events]


def compact_log(events, **kw):
    return log_header(fmt=1, **kw) + b"".join(compact_events(events))


def random_events(n, seed):
    """n valid events of every type: a few RIP sites and repeating digests (like an idle guest),
    console output now and then, some window flags, a gap in the numbering."""
    import random
    r = random.Random(seed)
    sites = [0xFFFFFFFF81000000 + r.randrange(1 << 24) for _ in range(9)]
    out, exit_seq, tsc, con, digests = [], 10, 10 ** 9, 0x811C9DC5, {}
    for seq in range(1, n + 1):
        typ = r.choice([EV_TSC] * 12 + [EV_RAND, EV_PIO_IN, EV_IRQ, EV_RX, EV_INTR])
        exit_seq += r.randrange(0, 6) if typ in (EV_IRQ, EV_RX, EV_INTR) else r.randrange(1, 6)
        tsc += r.randrange(300, 20000)
        rip = r.choice(sites) if r.random() < 0.9 else 0xFFFFFFFF81000000 + r.randrange(1 << 24)
        digest = digests.setdefault(rip, r.getrandbits(64)) if r.random() < 0.3 else r.getrandbits(64)
        if r.random() < 0.05:
            con = r.getrandbits(32)
        flags = arg = value = 0
        t = tsc
        if typ == EV_TSC:
            value, t = tsc, tsc + r.randrange(40, 400)
        elif typ == EV_RAND:
            arg = r.randrange(4)
            value = r.getrandbits(64) if arg & 1 else 0
        elif typ == EV_PIO_IN:
            arg, value = r.choice([0x40, 0x61, 0x71]), r.randrange(256)
        elif typ == EV_IRQ:
            arg = r.randrange(16)
        elif typ == EV_RX:
            value = r.randrange(256)
        else:
            arg, flags = r.randrange(8, 256), r.choice([0, EVF_WINDOW])
        out.append(LOG_EVENT.pack(typ, flags, arg, con, seq, exit_seq, rip, digest, value, t, 0))
    out.append(LOG_EVENT.pack(EV_END, 0, 1, con, n + 1, exit_seq, sites[0], 7, 4321, tsc + 5, 0xFEED))
    return out


def hlog(tmp, data, *args):
    """Runs hindsight-log on data written to a file (or on args alone if data is None)."""
    path = os.path.join(tmp, "replay.log")
    if data is not None:
        with open(path, "wb") as f:
            f.write(data)
    return run([HLOG, *args, *([path] if data is not None else [])])


def t_hlog_decode(tmp):
    r = hlog(tmp, sample_log())
    check(r.returncode == 0, f"exit {r.returncode}: {errtail(r.stderr)}")
    check(r.stderr == b"", f"stderr: {oneline(r.stderr)}")
    lines = r.stdout.decode().splitlines()
    check(len(lines) == len(SAMPLE_LINES), f"{len(lines)} lines, expected {len(SAMPLE_LINES)}")
    for got, want in zip(lines, SAMPLE_LINES):
        check(got == want, f"line {got!r}, expected {want!r}")


def t_hlog_from_count_stdin(tmp):
    r = hlog(tmp, sample_log(), "--from", "3", "--count", "2")
    check(r.returncode == 0, f"exit {r.returncode}: {errtail(r.stderr)}")
    check(r.stdout.decode().splitlines() == [SAMPLE_LINES[0]] + SAMPLE_LINES[3:5],
          f"--from 3 --count 2: {oneline(r.stdout)}")
    r = run([HLOG, "--from=7", "-"], input=sample_log())
    check(r.returncode == 0, f"stdin: exit {r.returncode}: {errtail(r.stderr)}")
    check(r.stdout.decode().splitlines() == [SAMPLE_LINES[0]] + SAMPLE_LINES[7:], f"stdin: {oneline(r.stdout)}")
    r = hlog(tmp, sample_log(), "--count", "0")
    check(r.returncode == 2 and b"at least 1" in r.stderr, f"--count 0: exit {r.returncode}, {errtail(r.stderr)}")


def t_hlog_stats(tmp):
    r = hlog(tmp, sample_log(), "--stats")
    check(r.returncode == 0, f"exit {r.returncode}: {errtail(r.stderr)}")
    out = r.stdout.decode()
    rows = {}
    for l in out.splitlines():
        f = l.split()
        if len(f) == 3 and f[1].isdigit():
            rows[f[0]] = (int(f[1]), int(f[2]))
    want = {"tsc": 1, "rand": 1, "pio_in": 1, "irq": 1, "rx": 2, "intr": 1, "end": 1, "total": 8}
    for name, n in want.items():
        check(rows.get(name) == (n, 64 * n), f"row {name}: {rows.get(name)}, expected {(n, 64 * n)}")
    check("guest time 0.000007 s (tsc 5000 to 14800 at 1400000000 Hz)" in out, f"guest time: {oneline(out)}")
    # 8 events in 7 us; 512 bytes = 4096 bits in 7 us = 585142857 bit/s.
    check("events per guest second 1142857.142" in out, f"events/s: {oneline(out)}")
    check("log bandwidth 585.142 Mbit per guest second" in out, f"bandwidth: {oneline(out)}")
    check("#1" not in out, "--stats printed events")


def t_hlog_truncated(tmp):
    r = hlog(tmp, sample_log() + b"\x01" * 10)
    check(r.returncode == 1, f"exit {r.returncode}")
    check(b"truncated: 10 trailing bytes after 8 whole events" in r.stderr, f"stderr: {errtail(r.stderr)}")
    check(len(r.stdout.decode().splitlines()) == 9, "the whole events were not all printed")
    r = hlog(tmp, log_header()[:20])
    check(r.returncode == 1 and b"20 bytes, shorter than the 64-byte log header" in r.stderr,
          f"short header: exit {r.returncode}, {errtail(r.stderr)}")
    r = hlog(tmp, b"")
    check(r.returncode == 1 and b"empty" in r.stderr, f"empty file: exit {r.returncode}, {errtail(r.stderr)}")


def t_hlog_bad_header(tmp):
    cases = [
        ("bad magic", log_header(magic=0x1122334455667788), b"bad magic 0x1122334455667788"),
        ("version", log_header(version=2), b"log version 2"),
        ("event size", log_header(event_size=32), b"event size 32"),
        ("mode", log_header(mode=9), b"unknown replay mode 9"),
    ]
    for what, hdr, msg in cases:
        r = hlog(tmp, hdr + b"".join(sample_events()))
        check(r.returncode == 1, f"{what}: exit {r.returncode}")
        check(b"bad log header" in r.stderr and msg in r.stderr, f"{what}: {errtail(r.stderr)}")
        check(r.stdout == b"", f"{what}: printed {oneline(r.stdout)}")


def t_hlog_invalid_event(tmp):
    ev = sample_events()
    ev[2] = log_event(3, 9)
    r = hlog(tmp, log_header() + b"".join(ev))
    check(r.returncode == 1, f"type 9: exit {r.returncode}")
    check(b"invalid event at index 2 (byte offset 192): unknown event type 9" in r.stderr,
          f"type 9: {errtail(r.stderr)}")
    check(r.stdout.decode().splitlines() == SAMPLE_LINES[:3], f"type 9: stdout {oneline(r.stdout)}")
    ev = sample_events()
    ev[4] = log_event(6, EV_RX, value=ord("x"))  # event 5 missing: numbering jumps
    r = hlog(tmp, log_header() + b"".join(ev))
    check(r.returncode == 1 and b"index 4 (byte offset 320): rx event: event number 6, expected 5" in r.stderr,
          f"lost event: exit {r.returncode}, {errtail(r.stderr)}")
    ev = sample_events()
    ev[3] = log_event(4, EV_IRQ, arg=16)
    r = hlog(tmp, log_header() + b"".join(ev))
    check(r.returncode == 1 and b"irq event: line 16" in r.stderr, f"irq 16: exit {r.returncode}, {errtail(r.stderr)}")


def t_hlog_missing_file(tmp):
    r = run([HLOG, os.path.join(tmp, "nope.log")])
    check(r.returncode == 1, f"exit {r.returncode}")
    check(b"nope.log: No such file or directory" in r.stderr, f"stderr: {errtail(r.stderr)}")
    r = run([HLOG])
    check(r.returncode == 2 and b"no FILE" in r.stderr, f"no file: exit {r.returncode}, {errtail(r.stderr)}")


def t_hlog_help(tmp):
    for flag in ("--help", "-h"):
        r = run([HLOG, flag])
        check(r.returncode == 0, f"{flag}: exit {r.returncode}")
        check(b"usage: hindsight-log" in r.stdout and b"--stats" in r.stdout and b"--from" in r.stdout,
              f"{flag}: no usage on stdout")
    r = run([HLOG, "--frobnicate", "x.log"])
    check(r.returncode == 2 and b"unknown option --frobnicate" in r.stderr, f"bad option: exit {r.returncode}")


def t_hlog_compact_decode(tmp):
    # The same events in both formats decode to the same lines; only the first line names the format.
    r = hlog(tmp, compact_log(sample_events()))
    check(r.returncode == 0, f"exit {r.returncode}: {errtail(r.stderr)}")
    check(r.stderr == b"", f"stderr: {oneline(r.stderr)}")
    lines = r.stdout.decode().splitlines()
    check(lines[0] == SAMPLE_LINES[0] + ", compact events", f"first line {lines[0]!r}")
    check(lines[1:] == SAMPLE_LINES[1:], f"lines differ from the fixed log's: {oneline(r.stdout)}")
    # A longer stream (RIP table, repeated digests, console changes, a gap in the numbering is
    # an error in both) against the fixed log of the same events.
    events = random_events(3000, 11)
    fixed = run([HLOG, "-"], input=log_header() + b"".join(events))
    check(fixed.returncode == 0, f"fixed: exit {fixed.returncode}: {errtail(fixed.stderr)}")
    comp = run([HLOG, "-"], input=compact_log(events))
    check(comp.returncode == 0, f"compact: exit {comp.returncode}: {errtail(comp.stderr)}")
    fl, cl = fixed.stdout.decode().splitlines(), comp.stdout.decode().splitlines()
    check(len(fl) == len(events) + 1, f"fixed: {len(fl)} lines")
    diff = [i for i, (a, b) in enumerate(zip(fl[1:], cl[1:])) if a != b]
    check(len(cl) == len(fl) and not diff,
          f"compact: {len(cl)} lines; first difference at {diff[:1]}: {cl[1 + diff[0]] if diff else ''}")
    # --from/--count select the same events.
    a = run([HLOG, "--from", "1000", "--count", "5", "-"], input=compact_log(events))
    check(a.returncode == 0 and a.stdout.decode().splitlines()[1:] == fl[1000:1005],
          f"--from 1000 --count 5: exit {a.returncode}, {oneline(a.stdout)}")


def t_hlog_compact_pipe_chunks(tmp):
    # From a pipe written a few bytes at a time (every event split across reads).
    events = random_events(400, 5)
    data = compact_log(events)
    want = run([HLOG, "-"], input=log_header() + b"".join(events)).stdout.decode().splitlines()[1:]
    import threading
    p = subprocess.Popen([HLOG, "-"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env=dict(os.environ, LC_ALL="C"))
    got = {}
    readers = [threading.Thread(target=lambda k=k, f=f: got.__setitem__(k, f.read()))
               for k, f in (("out", p.stdout), ("err", p.stderr))]
    for t in readers:
        t.start()
    try:
        for i in range(0, len(data), 7):
            p.stdin.write(data[i:i + 7])
            p.stdin.flush()
    finally:
        p.stdin.close()
        rc = p.wait(timeout=120)
        for t in readers:
            t.join(60)
    check(rc == 0, f"exit {rc}: {errtail(got.get('err', b''))}")
    lines = got.get("out", b"").decode().splitlines()[1:]
    check(lines == want, f"{len(lines)} lines, want {len(want)}; first: {lines[:1]}")


def compact_stats_rows(out):
    rows = {}
    for l in out.splitlines():
        f = l.split()
        if len(f) == 4 and f[1].isdigit():
            rows[f[0]] = tuple(int(x) for x in f[1:])
    return rows


def t_hlog_compact_stats(tmp):
    events = sample_events()
    sizes = [len(c) for c in compact_events(events)]
    r = hlog(tmp, compact_log(events), "--stats")
    check(r.returncode == 0, f"exit {r.returncode}: {errtail(r.stderr)}")
    out = r.stdout.decode()
    check(re.search(r"^type +events +bytes +fixed bytes$", out, re.M), f"no 4-column table: {oneline(out)}")
    rows = compact_stats_rows(out)
    for name, typ in (("tsc", EV_TSC), ("rand", EV_RAND), ("pio_in", EV_PIO_IN), ("irq", EV_IRQ), ("rx", EV_RX),
                      ("intr", EV_INTR), ("end", EV_END)):
        idx = [i for i, e in enumerate(events) if e[0] == typ]
        want = (len(idx), sum(sizes[i] for i in idx), 64 * len(idx))
        check(rows.get(name) == want, f"row {name}: {rows.get(name)}, expected {want}")
    total = sum(sizes)
    check(rows.get("total") == (8, total, 512), f"total: {rows.get('total')}, expected {(8, total, 512)}")
    per = total * 1000 // 8
    check(f"compact bytes per event {per // 1000}.{per % 1000:03d} (fixed 64)" in out, f"per event: {oneline(out)}")
    check("guest time 0.000007 s (tsc 5000 to 14800 at 1400000000 Hz)" in out, f"guest time: {oneline(out)}")
    check("events per guest second 1142857.142" in out, f"events/s: {oneline(out)}")
    # bits per guest second of the compact bytes, in thousandths of a Mbit, as the codec rounds.
    mbit = total * 8 * LOG_HZ // 9800 // 1000
    check(f"log bandwidth {mbit // 1000}.{mbit % 1000:03d} Mbit per guest second" in out, f"bandwidth: {oneline(out)}")
    check("as fixed 64-byte events 585.142 Mbit per guest second" in out, f"fixed bandwidth: {oneline(out)}")
    check(total < 512 // 2, f"{total} compact bytes for 8 events")
    # The fixed log's table is unchanged (three columns).
    r = hlog(tmp, sample_log(), "--stats")
    check("fixed bytes" not in r.stdout.decode() and "as fixed" not in r.stdout.decode(), "fixed log shows compact rows")


def t_hlog_compact_truncated(tmp):
    events = sample_events()
    parts = compact_events(events)
    whole = b"".join(parts[:7])
    last = parts[7]
    for cut in range(1, len(last)):
        r = hlog(tmp, log_header(fmt=1) + whole + last[:cut])
        check(r.returncode == 1, f"cut {cut}: exit {r.returncode}")
        msg = f"truncated: {cut} trailing bytes after 7 whole events (an incomplete compact event)".encode()
        check(msg in r.stderr, f"cut {cut}: {errtail(r.stderr)}")
        check(r.stdout.decode().splitlines()[1:] == SAMPLE_LINES[1:8], f"cut {cut}: the 7 whole events not printed")
    # Through a pipe too, and --stats still counts the whole ones.
    r = run([HLOG, "--stats", "-"], input=log_header(fmt=1) + whole + last[:3])
    check(r.returncode == 1 and b"after 7 whole events" in r.stderr, f"stdin: exit {r.returncode}, {errtail(r.stderr)}")
    check(compact_stats_rows(r.stdout.decode()).get("total", (0,))[0] == 7, f"stats: {oneline(r.stdout)}")
    # Header only: a clean, empty log.
    r = hlog(tmp, log_header(fmt=1))
    check(r.returncode == 0 and len(r.stdout.decode().splitlines()) == 1, f"header only: exit {r.returncode}")


def t_hlog_compact_invalid(tmp):
    events = sample_events()
    parts = compact_events(events)
    at = 64 + sum(len(p) for p in parts[:3])
    # An extension byte with its reserved bit set, in event index 3.
    bad = bytearray(parts[3])
    bad[0] |= 0x80
    bad[1:1] = b"\x80"
    r = hlog(tmp, log_header(fmt=1) + b"".join(parts[:3]) + bytes(bad) + b"".join(parts[4:]))
    check(r.returncode == 1, f"reserved bit: exit {r.returncode}")
    check(f"invalid event at index 3 (byte offset {at}): compact event: extension byte 0x80 has unknown bits".encode()
          in r.stderr, f"reserved bit: {errtail(r.stderr)}")
    check(r.stdout.decode().splitlines() == [SAMPLE_LINES[0] + ", compact events"] + SAMPLE_LINES[1:4],
          f"reserved bit: stdout {oneline(r.stdout)}")
    # A lost event: the next one's number is explicit and the check sees the gap.
    ev = events[:4] + events[5:]
    r = hlog(tmp, compact_log(ev))
    at = 64 + sum(len(p) for p in compact_events(ev)[:4])
    check(r.returncode == 1 and f"index 4 (byte offset {at}): intr event: event number 6, expected 5".encode()
          in r.stderr, f"lost event: exit {r.returncode}, {errtail(r.stderr)}")
    # An invalid event is carried faithfully (raw form) and rejected as in a fixed log.
    ev = sample_events()
    ev[2] = log_event(3, 9)
    r = hlog(tmp, compact_log(ev))
    check(r.returncode == 1 and b"invalid event at index 2 (byte offset " in r.stderr and
          b"unknown event type 9" in r.stderr, f"type 9: exit {r.returncode}, {errtail(r.stderr)}")
    r = hlog(tmp, log_header(fmt=2) + b"".join(parts))
    check(r.returncode == 1 and b"bad log header: unknown log format 2" in r.stderr,
          f"format 2: exit {r.returncode}, {errtail(r.stderr)}")


# ---- the e2e runner (its registry only: nothing here starts an emulator) ---------------

LINUX_NAMES = ["linux_boot_to_shell", "linux_uname", "linux_cpuinfo_hypervisor", "linux_interrupts_pic_timer_and_uart",
               "linux_sleep_and_date", "linux_agents_run_in_guest", "linux_rfork_duplicates_in_guest",
               "linux_urandom_checksum", "linux_rdtsc_rdrand", "linux_typed_input",
               "linux_cpu_bound_program_is_preempted", "linux_shell_runs_beside_a_cpu_bound_program",
               "linux_poweroff_summary", "linux_replay_exact"]


def e2e_list(flt):
    r = run([sys.executable, E2E, "--list", flt])
    return r.returncode, r.stdout.decode().split()


def t_e2e_filter_selects_by_name(tmp):
    for flt, want in (("linux_uname", ["linux_uname"]),
                      ("on_two_cores", ["linux_replay_on_two_cores"]),
                      ("bzimage", ["linux_bzimage_boot_protocol_and_panic", "linux_bzimage_poweroff"]),
                      ("linux_session", []),  # a fixed string of the runner, no test's name
                      ("hostile", ["hostile_guest_triple_fault_is_contained"])):
        rc, names = e2e_list(flt)
        if not want:
            check(rc != 0 and "contains" in names, f"--list {flt}: exit {rc}, {names}: selected tests")
            continue
        check(names == want and rc == 0, f"--list {flt}: exit {rc}, {names}, want {want}")
    rc, names = e2e_list("linux")
    check(rc == 0 and set(LINUX_NAMES) <= set(names), f"--list linux: {names}")
    rc, names = e2e_list("")
    check(len(names) == len(set(names)), "two tests share a name")


def t_e2e_filter_matching_nothing_fails(tmp):
    for flt in ("linux_unmae", "no_such_test"):
        r = run([sys.executable, E2E, flt])
        out = r.stdout.decode()
        check(r.returncode != 0, f"e2e.py {flt}: exit 0 ({oneline(out)})")
        check(f"FAIL: e2e/filter: no test name contains '{flt}'" in out, f"e2e.py {flt}: {oneline(out)}")


def t_e2e_group_boot_failure_fails_each_test(tmp):
    # Without a guest kernel every Linux test must be reported as failed, none left out of the count.
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import e2e, shutil; "
            "e2e.LINUX_KERNEL = '/nonexistent/vmlinux'; e2e.BZIMAGE_GLOB = '/nonexistent/*'; "
            "shutil.which = lambda n: '/bin/true'; sys.exit(e2e.main([sys.argv[2]]))")
    for flt, names in (("linux", LINUX_NAMES + ["linux_bzimage_boot_protocol_and_panic", "linux_bzimage_poweroff",
                                                "linux_debug_demo_gdb", "linux_replay_on_two_cores",
                                                "linux_icount_margin_one_lands_with_at_most_one_step",
                                                "linux_icount_perturbation_is_detected"]),
                       ("linux_sleep", ["linux_sleep_and_date"])):
        r = run([sys.executable, "-c", code, os.path.dirname(E2E), flt])
        out = r.stdout.decode()
        check(r.returncode != 0, f"{flt}: exit 0")
        for n in names:
            check(re.search(rf"^FAIL: e2e/{n}: .*make linux|^FAIL: e2e/{n}: .*bzImage", out, re.M),
                  f"{flt}: no FAIL line with a reason for {n}: {oneline(out)}")
        check(re.search(rf"^0 passed, {len(names)} failed$", out, re.M), f"{flt}: count line: {oneline(out)}")


# ---- hindsight-run --------------------------------------------------------------------

def load_hindsight_run():
    import importlib.machinery
    import importlib.util
    loader = importlib.machinery.SourceFileLoader("hindsight_run_t", HRUN)
    spec = importlib.util.spec_from_loader("hindsight_run_t", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def t_hindsight_run_exit_status(tmp):
    # The launcher's status tells a script (and `make run`) how the run ended: 0 only when the
    # guest ended it itself.
    hr = load_hindsight_run()
    want = {"poweroff": 0, "reboot": 0, "panic": 0,
            "ept-violation": 3, "triple-fault": 3, "invalid-guest-state": 3, "unhandled-exit": 3,
            "unexpected-cr-access": 3, "unsupported-string-io": 3, "vm-entry-failed": 3,
            "config-error": 4, "load-error": 4, "boot-error": 4, "no-vmx": 4, "out-of-memory": 4, "vmm-fault": 4,
            "something-new": 3, None: 1}
    for outcome, status in want.items():
        def fake_run(args, iso, workdir, echo, outcome=outcome):
            r = hr.Run()
            r.ended = "exit"
            r.summary = None if outcome is None else {"outcome": outcome}
            return r
        hr.build_iso = lambda a, w: os.path.join(tmp, "x.iso")
        hr.run_bochs = fake_run
        hr.shutil.which = lambda n: "/bin/true"
        with contextlib.redirect_stderr(io.StringIO()):
            got = hr.main(["--engine", "bochs", "--kernel", HRUN, "--vmm", HRUN, "--quiet", "--interactive", "no",
                           "--keep", tmp])
        check(got == status, f"outcome {outcome}: exit {got}, want {status}")
    r = run([HRUN, "--help"])
    check(b"exit status" in r.stdout.lower(), "--help does not document the exit statuses")


def t_hindsight_run_machine_size(tmp):
    hr = load_hindsight_run()
    kern = os.path.join(tmp, "k")
    with open(kern, "wb") as f:
        f.write(b"\0" * (40 << 20))
    # Two guests (Primary and Backup, on one core or two) unless replay=off; the ring beside them.
    for sets, cfg, low in ((["mem=512M", "replay=off"], "", 512 + 40), (["mem=256M"], "", 512 + 40 + 16),
                           (["mem=512M", "cores=1"], "", 1024 + 40 + 16),
                           (["mem=1G", "cores=2"], "", 2048 + 40 + 16), ([], "mem=128M\nreplay=off\n", 128 + 40)):
        config = None
        if cfg:
            config = os.path.join(tmp, "cfg")
            with open(config, "w") as f:
                f.write(cfg)
        a = hr.make_args(kernel=kern, set=sets, config=config, megs="auto")
        m = hr.machine_megs(a)
        check(low + 64 <= m <= low + 1024, f"{sets} {cfg!r}: {m} MiB for at least {low} MiB of guests and modules")
    r = run(["make", "-n", "-C", ROOT, "run", "MEM=512M"])
    check(b"--megs auto" in r.stdout, "make run does not size the machine (no --megs auto)")


# ---- hindsight-syms ------------------------------------------------------------------------

SYMS = os.path.join(ROOT, "host-tools", "hindsight-syms")
GUEST_ELF = os.path.join(ROOT, "build", "guest-kernel.elf")
SYMS_NAMES = ("linux_banner", "panic", "sysrq_handle_crash", "start_kernel")
_syms_cache = {}


def syms_real():
    """hindsight-syms --map/--elf/--lookup on build/guest-kernel.elf, run once per test run:
    {"elf", "lookup", "map", "symelf"}, or the reason to skip (a str)."""
    if "real" in _syms_cache:
        res = _syms_cache["real"]
        if isinstance(res, Fail):
            raise res
        return res
    if not os.path.exists(GUEST_ELF):
        _syms_cache["real"] = "no build/guest-kernel.elf (make linux makes it)"
        return _syms_cache["real"]
    with tempfile.TemporaryDirectory(prefix="hs-host-syms-") as d:
        m, e = os.path.join(d, "System.map"), os.path.join(d, "syms.elf")
        r = run([SYMS, "--map", m, "--elf", e, "--lookup", *SYMS_NAMES, GUEST_ELF])
        if r.returncode != 0:
            _syms_cache["real"] = Fail(f"hindsight-syms {GUEST_ELF}: exit {r.returncode}: {errtail(r.stderr)}")
            raise _syms_cache["real"]
        lookup = {}
        for line in r.stdout.decode().splitlines():
            name, addr = line.split()
            lookup[name] = int(addr, 16)
        res = {"elf": open(GUEST_ELF, "rb").read(), "lookup": lookup,
               "map": open(m).read(), "symelf": open(e, "rb").read()}
    _syms_cache["real"] = res
    return res


def load_of(elf, addr):
    for p in phdrs(elf):
        if p["type"] == PT_LOAD and p["vaddr"] <= addr < p["vaddr"] + p["memsz"]:
            return p
    return None


def t_syms_lookup_real_kernel(tmp):
    res = syms_real()
    if isinstance(res, str):
        return "SKIP", res
    elf, lookup = res["elf"], res["lookup"]
    check(sorted(lookup) == sorted(SYMS_NAMES), f"--lookup printed {sorted(lookup)}")
    for name, addr in lookup.items():
        check(0xFFFFFFFF80000000 <= addr <= 0xFFFFFFFF8FFFFFFF, f"{name} at {addr:#x}: not a kernel text/data address")
        p = load_of(elf, addr)
        check(p is not None, f"{name} at {addr:#x} is in no PT_LOAD of the ELF")
        if name != "linux_banner":
            check(p["flags"] & 1, f"{name} at {addr:#x} is in a non-executable segment")
    p = load_of(elf, lookup["linux_banner"])
    off = p["offset"] + lookup["linux_banner"] - p["vaddr"]
    check(elf[off:off + 14] == b"Linux version ", f"linux_banner points at {elf[off:off + 20]!r}")


def t_syms_map_real_kernel(tmp):
    res = syms_real()
    if isinstance(res, str):
        return "SKIP", res
    rows = []
    for i, line in enumerate(res["map"].splitlines()):
        m = re.match(r"^([0-9a-f]{16}) ([A-Za-z?]) (\S+)$", line)
        check(m, f"System.map line {i + 1} malformed: {line!r}")
        rows.append((int(m.group(1), 16), m.group(2), m.group(3)))
    check(len(rows) > 10000, f"only {len(rows)} symbols")
    check(all(a[0] <= b[0] for a, b in zip(rows, rows[1:])), "System.map is not sorted by address")
    first = {}
    for a, t, n in rows:
        if n not in first or t.isupper():
            first.setdefault(n, (a, t))
    for name, addr in res["lookup"].items():
        check(name in first and first[name][0] == addr, f"{name}: map says {first.get(name)}, --lookup {addr:#x}")
    check(first["panic"][1] in "Tt" and first["linux_banner"][1] in "RrDd", "panic/linux_banner type letters")
    # the kernel's entry point (physical in a vmlinux) is a text symbol
    elf = res["elf"]
    entry, = struct.unpack_from("<Q", elf, 24)
    va = next((p["vaddr"] + entry - p["paddr"] for p in phdrs(elf)
               if p["type"] == PT_LOAD and p["paddr"] <= entry < p["paddr"] + p["memsz"]), None)
    check(va is not None, f"e_entry {entry:#x} is in no segment")
    at = [(t, n) for a, t, n in rows if a == va]
    check(any(t in "Tt" for t, n in at), f"no text symbol at the entry point {va:#x}: {at}")


def gdb_batch(cmds, timeout=120):
    argv = ["gdb", "-batch", "-nx"]
    for c in cmds:
        argv += ["-ex", c]
    env = dict(os.environ, LC_ALL="C", DEBUGINFOD_URLS="")
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout, env=env)
    return r.returncode, r.stdout.decode(errors="replace")


def t_syms_elf_in_gdb(tmp):
    res = syms_real()
    if isinstance(res, str):
        return "SKIP", res
    import shutil
    if not shutil.which("gdb"):
        return "SKIP", "no gdb (host-tools/install-deps.sh installs it)"
    path = os.path.join(tmp, "syms.elf")
    with open(path, "wb") as f:
        f.write(res["symelf"])
    lk = res["lookup"]
    for load in (f"symbol-file {path}", f"add-symbol-file {path}"):
        rc, out = gdb_batch([load, "info address panic", "info address linux_banner",
                             "break sysrq_handle_crash", f"info symbol {lk['panic'] + 5:#x}"])
        check(rc == 0, f"{load}: gdb exit {rc}: {oneline(out[-300:])}")
        check("warning" not in out.lower() and "error" not in out.lower(), f"{load}: {oneline(out)}")
        for name in ("panic", "linux_banner"):
            want = f'Symbol "{name}" is at {lk[name]:#x} in a file compiled without debugging.'
            check(want in out, f"{load}: no {want!r} in {oneline(out)}")
        check(f"Breakpoint 1 at {lk['sysrq_handle_crash']:#x}" in out, f"{load}: break sysrq_handle_crash: {oneline(out)}")
        check("panic + 5 in section .text" in out, f"{load}: info symbol panic+5: {oneline(out)}")


def t_syms_bad_inputs(tmp):
    def write(name, data):
        path = os.path.join(tmp, name)
        with open(path, "wb") as f:
            f.write(data)
        return path
    elf, _ = small_elf()
    cases = [
        ("missing file", os.path.join(tmp, "nonexistent"), b"No such file"),
        ("directory", tmp, b"Is a directory"),
        ("empty file", write("empty", b""), b"not a Linux kernel"),
        ("text file", write("text", b"this is not a kernel image\n" * 4000), b"not a Linux kernel"),
        ("ELF without kallsyms", write("plain.elf", elf), b"no kallsyms"),
        ("bzImage of an ELF without kallsyms", write("bz", bzimage(gzip.compress(elf, mtime=0))), b"no kallsyms"),
        ("bzImage without a payload", write("bz0", bzimage(b"\0" * 4096)), b"no compressed ELF"),
    ]
    for what, path, msg in cases:
        for args in (["--lookup", "panic", path], ["--map", os.path.join(tmp, "out.map"), path]):
            r = run([SYMS, *args])
            check(r.returncode == 1, f"{what}: exit {r.returncode}: {errtail(r.stderr)}")
            check(msg in r.stderr, f"{what}: message {errtail(r.stderr)!r} lacks {msg.decode()!r}")
            check(b"Traceback" not in r.stderr, f"{what}: Python traceback: {errtail(r.stderr)}")
            check(not os.path.exists(os.path.join(tmp, "out.map")), f"{what}: wrote a map anyway")
    r = run([SYMS])
    check(r.returncode == 2 and b"KERNEL" in r.stderr, f"no arguments: exit {r.returncode}: {errtail(r.stderr)}")
    r = run([SYMS, "--help"])
    check(r.returncode == 0 and b"--lookup" in r.stdout and b"--elf" in r.stdout, f"--help: exit {r.returncode}")


# A synthetic kernel: the kallsyms tables as scripts/kallsyms.c lays them out in each Linux era.
KS_LAYOUTS = ("6.1", "6.1-debian-seqs3", "6.2-seqs4", "6.4", "addresses")
KS_SUBS = [b"_handle", b"kernel", b"sysrq", b"fn", b"_s", b"ta", b"an", b"er"]


def ks_symbols(percpu):
    text, rodata = 0xFFFFFFFF81000000, 0xFFFFFFFF82000000
    syms = [(0, "A", "fixed_percpu_data"), (0x1000, "A", "cpu_debug_store")] if percpu else []
    syms += [(text, "T", "startup_64"), (text, "T", "_stext")]
    extra = {63: ("T", "panic"), 200: ("T", "start_kernel"), 300: ("t", "sysrq_handle_crash"),
             400: ("t", "very_long_" + "x" * 130)}
    for i in range(700):
        t, n = extra.get(i, ("T" if i % 3 else "t", f"fn{i}_kernel_thing"))
        syms.append((text + 0x40 * (i + 1), t, n))
    syms.append((text + 0x40 * 702, "T", "_etext"))
    syms += [(rodata, "R", "linux_banner"), (rodata + 0x80, "r", "local_table"),
             (rodata + 0x80, "D", "same_address"), (rodata + 0x100, "d", "fn5_kernel_thing")]
    return syms


def ks_tables(syms, layout):
    """The .rodata bytes holding the kallsyms tables (8-aligned labels, as on 64-bit)."""
    used = set(b for _, t, n in syms for b in (t + n).encode())
    tokens, subs = [], list(KS_SUBS)
    for c in range(256):
        tokens.append(bytes([c]) if c in used else subs.pop(0) if subs else b"")
    code = {tok: c for c, tok in enumerate(tokens) if len(tok) > 1}

    def enc(s):
        out, i = bytearray(), 0
        while i < len(s):
            for tok in sorted(code, key=len, reverse=True):
                if s.startswith(tok, i):
                    out.append(code[tok])
                    i += len(tok)
                    break
            else:
                out.append(s[i])
                i += 1
        return bytes(out)

    names, markers = bytearray(), []
    for i, (a, t, n) in enumerate(syms):
        if i % 256 == 0:
            markers.append(len(names))
        e = enc((t + n).encode())
        names += bytes([len(e)]) if len(e) < 0x80 else bytes([(len(e) & 0x7F) | 0x80, len(e) >> 7])
        names += e
    order = sorted(range(len(syms)), key=lambda i: (syms[i][2], syms[i][0]))
    table = b"".join(t + b"\0" for t in tokens)
    index, off = [], 0
    for t in tokens:
        index.append(off)
        off += len(t) + 1
    base = min(a for a, t, n in syms if t != "A")
    if layout == "6.4":                   # relative offsets, no absolute per-cpu symbols
        offsets = b"".join(struct.pack("<I", a - base) for a, t, n in syms)
    else:
        offsets = b"".join(struct.pack("<i", a if t == "A" else base - 1 - a) for a, t, n in syms)
    lab = {
        "offsets": offsets, "base": struct.pack("<Q", base), "num": struct.pack("<I", len(syms)),
        "names": bytes(names), "markers": b"".join(struct.pack("<I", m) for m in markers),
        "seqs3": b"".join(struct.pack(">I", i)[1:] for i in order),
        "seqs4": b"".join(struct.pack("<I", i) for i in order),
        "table": table, "index": struct.pack("<256H", *index),
        "addresses": b"".join(struct.pack("<Q", a) for a, t, n in syms),
    }
    order_of = {
        "6.1": ["offsets", "base", "num", "names", "markers", "table", "index"],
        "6.1-debian-seqs3": ["offsets", "base", "num", "names", "markers", "seqs3", "table", "index"],
        "6.2-seqs4": ["offsets", "base", "num", "names", "markers", "seqs4", "table", "index"],
        "6.4": ["num", "names", "markers", "table", "index", "offsets", "base", "seqs3"],
        "addresses": ["addresses", "num", "names", "markers", "table", "index"],
    }[layout]
    out = bytearray()
    for k in order_of:
        out += b"\0" * (-len(out) % 8) + lab[k]
    return bytes(out)


def ks_kernel(layout):
    syms = ks_symbols(percpu=layout != "6.4")
    notes = note("Xen", XEN_ELFNOTE_PHYS32_ENTRY, struct.pack("<I", 0x1000000))
    text = b"\x90" * 0x40 + notes + b"\xcc" * 0xC000
    banner = b"Linux version 6.9.9-synthetic (kallsyms test)\n\0"
    decoy = "".join(chr(c) for c in range(32, 127)).encode("utf-16-le")   # "0\01\0...9\0" too
    rodata = banner.ljust(0x200, b"\0") + decoy + b"\x5a" * 333
    rodata += b"\0" * (-len(rodata) % 8) + ks_tables(syms, layout) + b"\x11" * 64
    loads = [(0xFFFFFFFF81000000, 0x1000000, text, len(text), 5),
             (0xFFFFFFFF82000000, 0x2000000, rodata, len(rodata), 4)]
    return build_elf(loads, (0x40, notes)), syms


def t_syms_synthetic_layouts(tmp):
    for layout in KS_LAYOUTS:
        elf, syms = ks_kernel(layout)
        src, m = os.path.join(tmp, f"vmlinux-{layout}"), os.path.join(tmp, f"{layout}.map")
        with open(src, "wb") as f:
            f.write(elf)
        r = run([SYMS, "--map", m, "--lookup", "panic", "same_address", "fn5_kernel_thing", src])
        check(r.returncode == 0, f"{layout}: exit {r.returncode}: {errtail(r.stderr)}")
        want = "".join(f"{a:016x} {t} {n}\n" for a, t, n in sorted(syms, key=lambda s: s[0]))
        got = open(m).read()
        if got != want:
            g, w = got.splitlines() + [""], want.splitlines() + [""]
            i = next(i for i, (x, y) in enumerate(zip(g, w)) if x != y)
            check(False, f"{layout}: map line {i + 1} is {g[i]!r}, not {w[i]!r}")
        # a global symbol wins over a local one of the same name
        check(r.stdout.decode().split() == ["panic", "0xffffffff81001000", "same_address", "0xffffffff82000080",
                                            "fn5_kernel_thing", "0xffffffff81000180"],
              f"{layout}: --lookup printed {oneline(r.stdout)}")
        r = run([SYMS, src])
        check(r.returncode == 0 and f"symbols: {len(syms)}".encode() in r.stdout, f"{layout}: summary {oneline(r.stdout)}")
    # the bzImage path, and a missing name
    elf, syms = ks_kernel("6.1-debian-seqs3")
    bz = os.path.join(tmp, "bzImage")
    with open(bz, "wb") as f:
        f.write(bzimage(lzma.compress(elf, format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC32)))
    r = run([SYMS, "--lookup", "start_kernel", "no_such_symbol", "panic", bz])
    check(r.returncode == 1, f"bzImage, a missing name: exit {r.returncode}")
    check(r.stdout.decode().split() == ["start_kernel", "0xffffffff81003240", "panic", "0xffffffff81001000"],
          f"bzImage: --lookup printed {oneline(r.stdout)}")
    check(b"no_such_symbol" in r.stderr, f"missing name not reported: {errtail(r.stderr)}")


def t_syms_elf_gdb_remote(tmp):
    # The symbol ELF of the synthetic kernel (startup_64 and panic where tests/host/gdb_stub.py's
    # fake guest has them) against build/gdbstub_server: gdb names the stops and reads the code
    # from the target, not from the symbol file's empty sections.
    import gdb_stub
    if not gdb_stub.have_gdb():
        return "SKIP", "no gdb (host-tools/install-deps.sh installs it)"
    elf, _ = ks_kernel("6.1-debian-seqs3")
    src, out_elf = os.path.join(tmp, "vmlinux"), os.path.join(tmp, "syms.elf")
    with open(src, "wb") as f:
        f.write(elf)
    r = run([SYMS, "--elf", out_elf, src])
    check(r.returncode == 0, f"--elf: exit {r.returncode}: {errtail(r.stderr)}")
    s = gdb_stub.Server(sys.modules[__name__])
    try:
        rc, out = gdb_stub.run_gdb(sys.modules[__name__], s.port, [
            f"symbol-file {out_elf}", "bt", "x/2i $pc", "break panic", "continue", "bt 1", "x/i $pc", "kill"])
    finally:
        s.kill()
    check(rc == 0, f"gdb exit {rc}: {oneline(out[-300:])}")
    check("#0  0xffffffff81000000 in startup_64 ()" in out, f"bt at the first stop: {oneline(out[-400:])}")
    check(re.search(r"=> 0xffffffff81000000 <startup_64>:\s+nop", out), f"x/i $pc: {oneline(out[-400:])}")
    check("Breakpoint 1, 0xffffffff81001000 in panic ()" in out, f"break panic/continue: {oneline(out[-400:])}")
    check("#0  0xffffffff81001000 in panic ()" in out, f"bt in panic: {oneline(out[-400:])}")


# ---- the project's own claims --------------------------------------------------------

def t_fuzz_covers_every_loader(tmp):
    # make fuzz must build and run each parser that reads the guest kernel, bzImage included.
    r = run(["make", "-n", "-C", ROOT, "fuzz"])
    out = r.stdout.decode()
    for src in ("vmm/mb2.c", "vmm/config.c", "vmm/pvh.c", "vmm/bzimage.c"):
        check(src in out, f"make fuzz does not compile {src}")
    m = re.search(r"for t in ([a-z0-9 ]+); do", out)
    check(m, "make fuzz: no target loop")
    targets = m.group(1).split()
    check("bzimage" in targets, f"make fuzz runs {targets}, not bzimage")
    for t in targets:
        check(os.listdir(os.path.join(ROOT, "tests", "unit", "fuzz_seeds", t)), f"no seeds for fuzz target {t}")


def t_docs_name_every_outcome(tmp):
    # Every outcome word the VMM can print in its summary is documented in docs/config.md.
    words = set()
    for path in glob.glob(os.path.join(ROOT, "vmm", "**", "*.c"), recursive=True):
        text = open(path).read()
        words |= set(re.findall(r'(?:vcpu_stop\(\s*\w+\s*,|fail_run\()\s*"([a-z0-9-]+)"', text))
    check(len(words) >= 10, f"found only {sorted(words)}: the pattern no longer matches the VMM")
    doc = open(os.path.join(ROOT, "docs", "config.md")).read()
    missing = sorted(w for w in words if f"`{w}`" not in doc)
    check(not missing, f"docs/config.md does not name the outcome(s) {missing}")


def t_readme_figures_from_bench_output(tmp):
    # The README's figure table is the one host-tools/bench-table renders from docs/bench.txt
    # (the benchmarks' own lines), and that file holds well-formed bench lines only.
    r = run([os.path.join(ROOT, "host-tools", "bench-table"), "--check"])
    check(r.returncode == 0, f"bench-table --check: {errtail(r.stderr)}")
    lines = [l for l in open(os.path.join(ROOT, "docs", "bench.txt")).read().splitlines()
             if l.strip() and not l.startswith("#")]
    for l in lines:
        m = re.match(r"^bench \S+ ([0-9.]+) \S+ baseline \S+ ([0-9.]+) ratio ([0-9.]+)$", l)
        check(m, f"docs/bench.txt: malformed bench line {l!r}")
        v, b, ratio = map(float, m.groups())
        check(b > 0 and abs(v / b - ratio) <= 0.01 * ratio + 0.01, f"docs/bench.txt: ratio of {l!r} is not value/baseline")
    # A figure changed in the file must change the table: the check is not vacuous.
    bench = os.path.join(tmp, "bench.txt")
    with open(bench, "w") as f:
        f.write("\n".join(l.replace("bench vmm_exit_roundtrip ", "bench vmm_exit_roundtrip 1") for l in lines) + "\n")
    r = run([os.path.join(ROOT, "host-tools", "bench-table"), "--check", "--bench", bench])
    check(r.returncode != 0, "bench-table --check accepts a README that disagrees with the figures")


TESTS = [
    ("mkiso_esp_holds_hindsight_efi", t_mkiso_esp_holds_hindsight_efi),
    ("mkesp_layout_and_errors", t_mkesp_layout_and_errors),
    ("readme_figures_from_bench_output", t_readme_figures_from_bench_output),
    ("fuzz_covers_every_loader", t_fuzz_covers_every_loader),
    ("docs_name_every_outcome", t_docs_name_every_outcome),
    ("e2e_filter_selects_by_name", t_e2e_filter_selects_by_name),
    ("e2e_filter_matching_nothing_fails", t_e2e_filter_matching_nothing_fails),
    ("e2e_group_boot_failure_fails_each_test", t_e2e_group_boot_failure_fails_each_test),
    ("hindsight_run_exit_status", t_hindsight_run_exit_status),
    ("hindsight_run_machine_size", t_hindsight_run_machine_size),
    ("extract_gzip_bzimage", t_extract_gzip),
    ("extract_xz_bzimage", t_extract_xz),
    ("extract_header_locates_payload", t_extract_header_locates_payload),
    ("extract_magic_fallback", t_extract_magic_fallback),
    ("extract_elf_passthrough", t_extract_elf_passthrough),
    ("extract_garbage_rejected", t_extract_garbage),
    ("extract_truncated_payload_rejected", t_extract_truncated_payload),
    ("extract_help", t_extract_help),
    ("extract_slim_small_elf", t_slim_small_elf),
    ("extract_slim_note_at_load_end", t_slim_note_at_load_end),
    ("extract_real_kernel", t_extract_real_kernel),
    ("syms_lookup_real_kernel", t_syms_lookup_real_kernel),
    ("syms_map_real_kernel", t_syms_map_real_kernel),
    ("syms_elf_in_gdb", t_syms_elf_in_gdb),
    ("syms_bad_inputs", t_syms_bad_inputs),
    ("syms_synthetic_layouts", t_syms_synthetic_layouts),
    ("syms_elf_gdb_remote", t_syms_elf_gdb_remote),
    ("newc_tree", t_newc_plain),
    ("newc_gzip", t_newc_gzip),
    ("newc_existing_dev", t_newc_existing_dev),
    ("newc_usage", t_newc_usage),
    ("mkiso_bad_invocations", t_mkiso_bad_invocations),
    ("mkiso_help", t_mkiso_help),
    ("hindsight_log_decode", t_hlog_decode),
    ("hindsight_log_from_count_stdin", t_hlog_from_count_stdin),
    ("hindsight_log_stats", t_hlog_stats),
    ("hindsight_log_truncated", t_hlog_truncated),
    ("hindsight_log_bad_header", t_hlog_bad_header),
    ("hindsight_log_invalid_event", t_hlog_invalid_event),
    ("hindsight_log_missing_file", t_hlog_missing_file),
    ("hindsight_log_help", t_hlog_help),
    ("hindsight_log_compact_decode", t_hlog_compact_decode),
    ("hindsight_log_compact_pipe_chunks", t_hlog_compact_pipe_chunks),
    ("hindsight_log_compact_stats", t_hlog_compact_stats),
    ("hindsight_log_compact_truncated", t_hlog_compact_truncated),
    ("hindsight_log_compact_invalid", t_hlog_compact_invalid),
]

# The COM2 debugger (GDB stub and monitor) against the real gdb: tests/host/gdb_stub.py.
import gdb_stub  # noqa: E402  (this script's directory is on sys.path)
TESTS += gdb_stub.tests(sys.modules[__name__])


def main():
    filters = sys.argv[1:]
    passed = failed = 0
    for name, fn in TESTS:
        if filters and not any(f in name for f in filters):
            continue
        with tempfile.TemporaryDirectory(prefix=f"hs-host-{name}-") as tmp:
            try:
                res = fn(tmp)
            except Fail as e:
                print(f"FAIL: host/{name}: {e}", flush=True)
                failed += 1
                continue
            except Exception as e:  # a bug in the test or an unexpected tool failure
                where = traceback.extract_tb(e.__traceback__)[-1]
                print(f"FAIL: host/{name}: {type(e).__name__}: {oneline(str(e))} (line {where.lineno})", flush=True)
                failed += 1
                continue
        if isinstance(res, tuple) and res[0] == "SKIP":
            print(f"SKIP: host/{name}: {res[1]}", flush=True)
            continue
        print(f"PASS: host/{name}", flush=True)
        passed += 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
