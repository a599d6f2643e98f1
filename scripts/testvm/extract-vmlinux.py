#!/usr/bin/env python3
"""vmlinux out of a vmlinuz: the xz stream inside it (the method of the kernel's
scripts/extract-vmlinux), so QEMU boots it through PVH without decompressing.
Exit status 1 when the stream holds no ELF.
usage: extract-vmlinux.py VMLINUZ OUT"""
import lzma, sys
data = open(sys.argv[1], "rb").read()
off = data.find(b"\xfd7zXZ\x00")
# The decompressor stops at the end of the stream and ignores what follows.
elf = lzma.LZMADecompressor().decompress(data[off:]) if off >= 0 else b""
if elf[:4] != b"\x7fELF":
    sys.exit(1)
open(sys.argv[2], "wb").write(elf)
