#!/usr/bin/env python3
"""Writes the hand-made seeds of the fuzz targets into tests/fuzz/corpus/NAME/seed-*:
programs that do what a well-behaved guest does (attach a queue, send valid
requests, consume completions, detach, attach again), so every run starts from
inputs that reach deep into each device; libFuzzer mutates them into hostile
ones.  The byte encoding is the targets' own (tests/fuzz/harness/fuzz_in.h):

  small(v)    fuzz_val tag for a value below 32
  inside(v)   fuzz_val tag 1 and a 32-bit value (taken modulo the bound)
  aligned(v)  fuzz_aligned: "keep the alignment", then inside(v)
  choose(i)   fuzz_choose: the i-th value of the target's list

Run it after changing a target's encoding; the seeds are committed.
usage: tests/fuzz/seeds.py"""
import os, struct, sys


def small(v):
    assert 0 <= v < 32
    return bytes([v << 3])


def inside(v):
    return b"\x01" + struct.pack("<I", v)


def aligned(v):
    return b"\x00" + inside(v)


def choose(i):
    return bytes([i << 1 | 1])


def attach(op, sq, cq, size_index=3):
    """fuzz_ring op 0: a valid setup at gpa 0 (sizes: index 3 of ring_size's list, 16)."""
    return bytes([op]) + b"\x00" + aligned(sq) + aligned(cq) + choose(size_index) * 2


# ---- pvblk: ring ops are bytes < 0xe0 (op % 9), 0xe0.. RAM writes, 0xf0.. I/O turns
def blk_req(op, sector, segs):
    """blk_entry: odd flags, id, op, sector, nr_seg, then (gpa, len) per segment."""
    b = b"\x00" + bytes([len(segs) + 1]) + small(op) + small(sector) + small(len(segs))
    for gpa, n in segs:
        b += aligned(gpa) + aligned(n)
    return b


def pvblk(disk):
    p = bytes([disk]) + attach(0, 0x1000, 0x8000)
    p += b"\x07" + blk_req(0, 4, [(0x10000, 2048)])                      # read
    p += b"\x05"                                                          # consume
    p += b"\x07" + blk_req(1, 8, [(0x11000, 512), (0x12000, 1024)])      # write, 2 segments
    p += b"\x07" + blk_req(3, 12, [(0x14000, 1024)])                      # FUA write
    p += b"\x07" + blk_req(2, 0, [])                                      # flush
    p += b"\x08" + b"\x03" + b"".join(blk_req(0, i, [(0x13000 + 0x200 * i, 512)])
                                      for i in range(3)) + b"\x03"        # burst of 3
    # Detach: hv's I/O thread lets go at its next turn, and the guest asks again.
    p += b"\x05" + b"\x06\x00" + b"\xf0" + b"\x06\x00"
    p += attach(0, 0x20000, 0x30000, 5) + b"\x07" + blk_req(0, 1, [(0x10000, 512)])
    return p


# ---- pvnet: RX ring ops < 0x70, TX ring ops 0x70..0xdf, RAM 0xe0.., I/O 0xf0.., starve 0xf8..
def rx_buf(gpa, i):
    return inside(gpa) + choose(1) + bytes([i])                 # len 2048


def tx_frame(segs):
    b = b"\x00" + b"\x09" + small(len(segs))
    for gpa, len_index in segs:
        b += inside(gpa) + choose(len_index)
    return b


def pvnet():
    p = attach(0x00, 0x1000, 0x2000) + attach(0x70, 0x4000, 0x9000)
    p += b"\x08\x04" + b"".join(rx_buf(0x10000 + 0x1000 * i, i) for i in range(4)) + b"\x04"
    p += b"\x77" + tx_frame([(0x20000, 2)])                                # 1514 bytes
    p += b"\x77" + tx_frame([(0x21000, 1), (0x22000, 0), (0x23000, 5)])   # 60 + 14 + 512
    p += b"\xf0\x05\x75"                                                  # turn, consume both
    p += b"\x77" + tx_frame([(0x20000, 2)]) * 1 + b"\xf8"                 # starve timer
    p += b"\x06\x00\x76\x00\xf0\x06\x00\x76\x00"                        # detach RX, TX
    p += attach(0x00, 0x3000, 0x5000) + b"\x07" + rx_buf(0x10000, 9)
    return p


# ---- hypercall: op % 8: 0-1 hypercall, 2 port I/O, 3 MMIO, 4 RAM, 5 turn, 6-7 ring op
def hc(nr, *args):
    b = b"\x00" + small(nr)
    for a in list(args) + [0] * (5 - len(args)):
        b += small(a) if a < 32 else inside(a)
    return b


def ring(idx, op):
    return bytes([6 | idx << 3 | op << 5])


def hypercall():
    req = struct.pack("<QQIIQ", 7, 0, 0, 1, 0) + struct.pack("<QII", 0x10000, 512, 0)
    req = req.ljust(256, b"\x00")
    p = hc(0) + hc(3) + b"".join(hc(4, i, 0x100) for i in range(6))
    p += b"\x04" + inside(0x200) + b"\x06" + b"hello\n" + hc(1, 0x200, 6)   # console
    p += b"\x02\x04" + choose(0) + inside(65)                               # UART 'A'
    p += b"\x03\x02" + small(0) + small(0)                                  # trapblk magic
    p += ring(0, 0) + b"\x00" + aligned(0x1000) + aligned(0x8000) + choose(3) * 2
    p += ring(0, 7) + req + ring(0, 5)                                      # one read
    p += hc(7, 1, 0) + b"\x05" + hc(7, 1, 0)                                # detach, turn, again
    p += hc(6, 0x300) + hc(2, 3)                                            # exit count, exit
    return p


# ---- trapblk / trapnet: op % 8: 0-2 write, 3 read, 4 command, 5 RAM, 6-7 turn
def reg_write(index, value):
    return b"\x00\x08" + bytes([index]) + small(value)


def trapblk(disk):
    cmd = lambda sector, count, dma, c: b"\x04" + small(sector) + small(count) + aligned(dma) + small(c)
    p = bytes([disk]) + reg_write(10, 1)                                    # IER
    p += cmd(2, 8, 0x10000, 1) + cmd(3, 1, 0x11000, 2) + cmd(0, 0, 0, 3) + cmd(0, 0, 0x2000, 4)
    p += b"\x03\x08\x08"                                                    # read STATUS
    p += reg_write(9, 1) + b"\x06"                                          # ack ISR, turn
    return p


def trapnet():
    p = reg_write(16, 7)                                                    # IER: all
    p += b"\x04\x03" + inside(0x10000) + choose(0) + inside(0x20000) + choose(2)
    p += b"\x04\x02" + inside(0x21000) + choose(1) + b"\x04\x01" + inside(0x12000) + choose(1)
    p += b"\x03\x08\x0e" + reg_write(15, 7) + b"\x06"                         # RX_FRAME, ack
    return p


def elf(segs, entry, bad_class=False):
    """An ELF64 x86-64 executable: segs = (gpa, file bytes, memsz, flags)."""
    phoff, data = 64, b""
    off = phoff + 56 * len(segs)
    ph = b""
    for gpa, body, memsz, flags in segs:
        ph += struct.pack("<IIQQQQQQ", 1, flags, off + len(data), gpa, gpa, len(body), memsz, 0x1000)
        data += body
    ident = b"\x7fELF" + bytes([1 if bad_class else 2, 1, 1]) + b"\x00" * 9
    eh = ident + struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, entry, phoff, 0, 0, 64, 56, len(segs),
                             64, 0, 0)
    return eh + ph + data


def cli(*argv):
    return b"\x00".join(a.encode() for a in argv)


# ---- msix: op % 4: 0 address register, 1 config data, 2 BAR access, 3 signal
def cf8(slot, reg):
    return b"\x00\x00" + small(slot) + bytes([reg])


def cfg(port_off, width_index, value=0, write=True):
    """0xCF8 + port_off; widths 1, 2, 4."""
    return b"\x01" + bytes([port_off | width_index << 3 | (0x20 if write else 0)]) + \
        struct.pack("<I", value)


def bar(slot, width_index, off, value=0, write=True):
    """BAR 0 of slot (1 disk, 2 NIC) + off; widths 1, 2, 4, 8."""
    return b"\x02" + bytes([(slot - 1) | width_index << 1 | (8 if write else 0)]) + \
        inside(off) + struct.pack("<Q", value)


def signal(slot, entry):
    return b"\x03" + bytes([slot - 1]) + small(entry)


def msix():
    """A guest's driver: sizes BAR 0, programs and unmasks entries, enables MSI-X,
    the I/O thread signals, an entry masked and unmasked again, the PBA read."""
    p = cf8(1, 0x04) + cfg(4, 1, 0) + cf8(1, 0x10) + cfg(4, 2, 0xffffffff) + \
        cfg(4, 2, write=False) + cfg(4, 2, 0xe0000000) + cf8(1, 0x04) + cfg(4, 1, 2)
    for slot, n in ((1, 1), (2, 3)):
        for i in range(n):
            p += bar(slot, 2, 16 * i, 0xfee00000) + bar(slot, 2, 16 * i + 8, 0x40 + i) + \
                bar(slot, 2, 16 * i + 12, 0)
        p += signal(slot, 0) + cf8(slot, 0x40) + cfg(6, 1, 0x8000)
    p += signal(2, 2) + bar(2, 2, 2 * 16 + 12, 1) + signal(2, 2) + signal(2, 2) + \
        bar(2, 3, 0x800, write=False) + bar(2, 3, 2 * 16 + 8, 0x40) + signal(1, 0) + \
        cf8(2, 0x40) + cfg(6, 1, 0xc000) + signal(2, 0) + cfg(6, 1, 0x8000)
    return p
def http(method, target, headers=(), body=b""):
    head = "%s %s HTTP/1.1\r\n" % (method, target) + "".join("%s: %s\r\n" % h for h in headers)
    return head.encode() + b"\r\n" + body


SEEDS = {
    "msix": {"guest": msix()},
    "pvblk": {"null": pvblk(0), "memfd": pvblk(2), "null-ro": pvblk(1)},
    "pvnet": {"loop": pvnet()},
    "hypercall": {"machine": hypercall()},
    "trapblk": {"null": trapblk(0), "memfd": trapblk(2), "memfd-ro": trapblk(3)},
    "trapnet": {"loop": trapnet()},
    "elf": {"one": elf([(0x2000, b"\xf4" * 16, 0x1000, 5)], 0x2000),
            "two": elf([(0x2000, b"\x90" * 32, 0x20, 5), (0x4000, b"\x01" * 8, 0x2000, 6)], 0x2010),
            "class32": elf([(0x2000, b"\xf4", 1, 5)], 0x2000, bad_class=True)},
    "cli": {"short": cli("run", "k.elf"), "help": cli("--help"), "version": cli("--version"),
            "all": cli("run", "--mem", "128M", "--timeout", "0.5", "--disk", "null:1M,ro",
                       "--trap-disk=img,ro", "--net", "loop,mac=02:00:00:00:00:01", "--trap-net",
                       "tap:tap0", "--io-poll", "100", "--stats", "--verbose", "k.elf", "--",
                       "selftest", "x"),
            "bad": cli("run", "--mem", "3M", "--disk", "null:7", "k"),
            "fault-nic": cli("run", "--net", "loop", "--trap-net", "loop", "--fault",
                             "pvnet0:rx-drop@n3,rx-dup@p0.5,rx-reorder,rx-corrupt@n9,drop,irq-lost@p.1",
                             "--fault", "trapnet0:irq-late=2ms@n2,irq-dup,rx-corrupt", "--fault-seed",
                             "7", "k.elf")},
    "http": {"get-vm": http("GET", "/vm", [("Host", "localhost"), ("Accept", "*/*")]),
             "metrics-json": http("GET", "/metrics?format=json", [("Accept", "application/json")]),
             "pause": http("PUT", "/actions", [("Content-Type", "application/json"),
                                               ("Content-Length", "23")],
                           b'{"action_type":"pause"}'),
             "chunked": http("PUT", "/actions", [("Transfer-Encoding", "chunked")],
                             b"5\r\nhello\r\n0\r\n\r\n"),
             "no-length": http("PUT", "/actions"),
             "pipelined": http("GET", "/vm") + http("GET", "/metrics")},
}


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
    for target, seeds in SEEDS.items():
        os.makedirs(os.path.join(root, target), exist_ok=True)
        for name, data in seeds.items():
            with open(os.path.join(root, target, "seed-" + name), "wb") as f:
                f.write(data)
    print("seeds: %d files under %s" % (sum(len(s) for s in SEEDS.values()), root))


if __name__ == "__main__":
    sys.exit(main())
