#!/usr/bin/env python3
"""Reads an hv snapshot as docs/SNAPSHOT.md describes it, independently of hv's
C code: checks the header, walks the sections, checks the CRC32C trailer, and
for each PV disk's queue record prints how many requests the guest had
submitted and not yet seen completed (its submission ring's producer index
less its completion ring's consumer index, read from PATH.mem).

usage: snap-read.py PATH      prints "sections N" then "pvblkI attached A waiting W" lines;
                              exits 1 (with a reason) if the file is not as documented"""
import struct, sys


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    path = sys.argv[1]
    data = open(path, "rb").read()
    magic, fmt, abi, total, nsec, hlen = struct.unpack_from("<8sIIQII", data, 0)
    if magic != b"HVSNAP\r\n" or fmt != 3 or hlen != 32 or total != len(data):
        sys.exit("header not as documented: %r %d %d %d/%d" % (magic, fmt, hlen, total, len(data)))
    crc, end = struct.unpack_from("<II", data, len(data) - 8)
    if end != 0x444E4553 or crc != crc32c(data[:-8]):
        sys.exit("trailer: CRC32C or end mark not as documented")
    off, secs = 32, []
    while off < len(data) - 8:
        typ, inst, n = struct.unpack_from("<IIQ", data, off)
        secs.append((typ, inst, data[off + 16:off + 16 + n]))
        off += 16 + (n + 7) // 8 * 8
    if off != len(data) - 8 or len(secs) != nsec:
        sys.exit("sections do not end at the trailer, or their count is not the header's")
    print("sections %d" % nsec)
    ram = open(path + ".mem", "rb").read()
    for typ, inst, d in secs:
        if typ != 0x101 or d[:16].rstrip(b"\0") != b"pvblk":
            continue
        index, = struct.unpack_from("<I", d, 16)
        attached, _broken, sq_gpa, cq_gpa = struct.unpack_from("<IIQQ", d, 80)
        waiting = 0
        if attached:
            sq_prod, = struct.unpack_from("<I", ram, sq_gpa)       # hv_ring_ctl.prod
            cq_cons, = struct.unpack_from("<I", ram, cq_gpa + 64)  # hv_ring_ctl.cons
            waiting = (sq_prod - cq_cons) & 0xFFFFFFFF
        print("pvblk%d attached %d waiting %d" % (index, attached, waiting))


if __name__ == "__main__":
    main()
