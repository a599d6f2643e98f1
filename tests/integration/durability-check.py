#!/usr/bin/env python3
"""Power cuts for tests/integration/durability.sh: replays a dm-log-writes log
and checks durwrite's records on the file system it holds, as a machine would
find them after losing power at each mark.

  durability-check.py LOG DATA ROUNDS WORK

LOG is the log device's image, DATA the data device's (the ext4 file system
under the guests' images), both read after the log-writes target was removed.
ROUNDS has one line per guest run: "NAME IMAGE SEED OUTPUT EXPECT", IMAGE the
image's path inside the file system, OUTPUT what hv printed, EXPECT "durable"
(every acknowledged record survives every cut) or "lost" (a build of hv with
FLUSH a no-op: some cut must lose an acknowledged record).  WORK is scratch
space.

The log (drivers/md/dm-log-writes.c): a super block (magic, version, number
of entries, sector size), then from byte SECTORSIZE on one entry per sector
(sector, count, flags, length of a mark's name, the name) followed by the
data of a write.  The target logs a write only once a FLUSH after its
completion has completed (a FUA write at its completion), so the log up to a
mark is what a disk that loses every unflushed write holds after a power
cut at that moment: the worst a real disk may do.  The test sets mark "NAME:N" after round NAME's guest printed
"durwrite: acked N": N is a lower bound of what was acknowledged before it.

At each such mark a copy of the replayed device gets its journal recovered
(debugfs's journal_run, as a mount would) and the image is read out of it
(one debugfs run per cut: only its command line can skip the checksums of
bitmaps that the journal has not yet replayed):
records 0..N must be intact, and every other sector zero or its own intact
record (never torn, never another's).  The replay itself is checked against
DATA: at its end (after unmount) it must equal it, and DATA's images must
hold every acknowledged record of their round.  Each record is checked
(magic, number, seed, SHA-256) once, on the image as DATA holds it; a cut's
sectors are then compared with those (the test host VM runs this under an
emulator, where a loop over every sector of every cut takes minutes).

Prints one line per cut and per round and "durability: R rounds, C cuts:
ok" (or what went wrong); exits 1 unless every round met its EXPECT.
"""
import hashlib
import os
import struct
import subprocess
import sys

SECTOR = 512
BLOCK = 4096  # the unit of the sparse copies
LOG_MAGIC, LOG_VERSION = 0x6A736677736872, 1
F_FLUSH, F_FUA, F_DISCARD, F_MARK = 1, 2, 4, 8
DUR_MAGIC, DUR_BODY = b"HVDUR001", 480  # guest-kernel/programs/durwrite.c


def log_entries(path):
    """(flags, byte offset, length, mark name or data) of each entry, in log order."""
    with open(path, "rb") as f:
        magic, version, n, ssize = struct.unpack("<QQQI", f.read(28))
        if magic != LOG_MAGIC or version != LOG_VERSION:
            raise ValueError("%s: not a dm-log-writes log (magic %#x, version %d)"
                             % (path, magic, version))
        off = ssize
        for _ in range(n):
            f.seek(off)
            hdr = f.read(ssize)
            sector, count, flags, dlen = struct.unpack("<QQQQ", hdr[:32])
            off += ssize
            if flags & F_MARK:
                yield flags, 0, 0, hdr[32:32 + dlen].decode(errors="replace")
            elif flags & F_DISCARD:
                yield flags, sector * ssize, count * ssize, None
            else:
                data = f.read(count * ssize)
                off += count * ssize
                yield flags, sector * ssize, count * ssize, data


def last_ack(out):
    """N of the last whole "durwrite: acked N" line (-1: none)."""
    text = open(out, "rb").read()
    acked = -1
    for line in text[:text.rfind(b"\n") + 1].split(b"\n"):
        if line.startswith(b"durwrite: acked "):
            acked = int(line.split()[2])
    return acked


def intact(sec, k, seed):
    """Record k of the run with this seed: header and checksum (a record of
    another sector or run, or a torn write, fails one or the other)."""
    return sec[:8] == DUR_MAGIC and struct.unpack("<QQ", sec[8:24]) == (k, seed) and \
        hashlib.sha256(sec[:DUR_BODY]).digest() == sec[DUR_BODY:]


def zero(data, start):
    return data[start:] == bytes(len(data) - start)


def check_final(img, seed):
    """(P, None): records 0..P intact and zeros after, or (P, what else)."""
    n, p = len(img) // SECTOR, -1
    while p + 1 < n and intact(img[(p + 1) * SECTOR:(p + 2) * SECTOR], p + 1, seed):
        p += 1
    if not zero(img, (p + 1) * SECTOR):
        return p, "sector %d on is neither zero nor its record" % (p + 1)
    return p, None


def check_cut(img, final, top, acked):
    """(P, None) or (P, what is wrong): records 0..P of the cut's image as in
    final, whose 0..top are intact records; 0..acked must be there, and any
    other sector zero or its record."""
    if len(img) != len(final):
        return -1, "the image is %d bytes, not %d" % (len(img), len(final))
    lo, hi = -1, top  # the longest equal prefix: records 0..lo equal, 0..hi+1 not
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if img[:(mid + 1) * SECTOR] == final[:(mid + 1) * SECTOR]:
            lo = mid
        else:
            hi = mid - 1
    p, blank = lo, bytes(SECTOR)
    if acked > p:
        sec = img[(p + 1) * SECTOR:(p + 2) * SECTOR]
        return p, "acknowledged record %d (of 0..%d) %s" % (
            p + 1, acked, "missing" if sec == blank else "corrupt")
    if zero(img, (p + 1) * SECTOR):
        return p, None
    for k in range(p + 1, len(img) // SECTOR):  # a later record landed before an earlier one
        sec = img[k * SECTOR:(k + 1) * SECTOR]
        if sec != blank and (k > top or sec != final[k * SECTOR:(k + 1) * SECTOR]):
            return p, "sector %d is neither zero nor its record" % k
    return p, None


class Device:
    """The replayed data device, and sparse copies of it as it was at a cut."""

    def __init__(self, size):
        self.mem = bytearray(size)
        self.touched = set()  # BLOCKs written with anything but zeros

    def write(self, off, data):
        if off + len(data) > len(self.mem):
            raise ValueError("a logged write past the device's end (byte %d)" % off)
        self.mem[off:off + len(data)] = data
        blocks = range(off // BLOCK, (off + len(data) + BLOCK - 1) // BLOCK)
        if data != bytes(len(data)) or not self.touched.isdisjoint(blocks):
            self.touched.update(blocks)

    def copy(self, path):
        """Writes the device's present state, sparse; returns the bytes written."""
        mem, run, size = memoryview(self.mem), None, 0
        with open(path, "wb") as f:
            f.truncate(len(self.mem))
            for b in sorted(self.touched) + [None]:  # runs of blocks, one write each
                if run and b == run[1]:
                    run[1] += 1
                    continue
                if run:
                    f.seek(run[0] * BLOCK)
                    f.write(mem[run[0] * BLOCK:run[1] * BLOCK])
                    size += (run[1] - run[0]) * BLOCK
                run = [b, b + 1] if b is not None else None
        return size


def debugfs(opts, cmds, work):
    """Runs debugfs OPTS... with its commands (one per line); returns the last
    lines it printed, for a message."""
    script = os.path.join(work, "debugfs.cmds")
    with open(script, "w") as f:
        f.write("\n".join(cmds) + "\n")
    r = subprocess.run(["debugfs", "-f", script] + opts, stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return " | ".join(r.stdout.decode(errors="replace").strip().splitlines()[-3:])


def recover_and_dump(copy, image, dump, work):
    """A mount's first step: the journal replayed (debugfs's journal_run; -n:
    until then the bitmaps on disk may not match their checksums, which the
    journal holds), then the file system opened again, checksums verified,
    and the image dumped."""
    return debugfs(["-n", "-w", copy], ["journal_run", "close", "open %s" % copy,
                                         "dump %s %s" % (image, dump), "close"], work)


def slurp(path):
    try:
        with open(path, "rb") as f:
            data = f.read()
        os.unlink(path)
        return data
    except OSError:
        return None


def main(argv):
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return False
    log, data_path, rounds_path, work = argv
    rounds = {}
    for line in open(rounds_path):
        name, image, seed, out, expect = line.split()
        rounds[name] = dict(image=image, seed=int(seed), last=last_ack(out), expect=expect,
                            lost=0, bad=[])
    dev, cuts, ok = Device(os.path.getsize(data_path)), [], True
    for entry, (flags, off, length, payload) in enumerate(log_entries(log)):
        if flags & F_MARK:
            name, _, n = payload.rpartition(":")
            if name in rounds and n.lstrip("-").isdigit():
                path = os.path.join(work, "cut%d" % len(cuts))
                dev.copy(path + ".img")
                cuts.append(dict(mark=payload, entry=entry, round=name, acked=int(n), path=path))
        elif flags & F_DISCARD:
            dev.write(off, bytes(length))
        elif length:
            dev.write(off, payload)
    with open(data_path, "rb") as f:
        if f.read() != dev.mem:
            print("durability: the replayed log does not end as the data device did")
            ok = False
    del dev

    # The images as the unmounted file system holds them.
    said = debugfs([data_path], ["dump %s %s" % (r["image"], os.path.join(work, name + ".final"))
                                 for name, r in rounds.items()], work)
    for name, r in rounds.items():
        r["final"] = slurp(os.path.join(work, name + ".final"))
        if r["final"] is None:
            r["bad"].append("no image %s (debugfs: %s)" % (r["image"], said))
            continue
        r["top"], why = check_final(r["final"], r["seed"])
        print("end %s: acked %d, records 0..%d intact%s" % (
            name, r["last"], r["top"], ": " + why if why else ""))
        if why or r["top"] < r["last"]:
            r["bad"].append("unmounted: %s" % (why or "records to %d of %d" % (r["top"], r["last"])))
    for c in cuts:
        r = rounds[c["round"]]
        said = recover_and_dump(c["path"] + ".img", r["image"], c["path"] + ".data", work)
        os.unlink(c["path"] + ".img")
        img = slurp(c["path"] + ".data")
        r["cuts"] = r.get("cuts", 0) + 1
        if r["final"] is None:
            continue
        if img is None:
            p, why = -1, "no image %s in the file system (debugfs: %s)" % (r["image"], said)
        else:
            p, why = check_cut(img, r["final"], r["top"], c["acked"])
        print("cut %s (log entry %d): acked %d, records 0..%d intact%s" % (
            c["mark"], c["entry"], c["acked"], p, ": " + why if why else ""))
        if why and why.startswith("acknowledged record") and why.endswith("missing"):
            r["lost"] += 1  # what a FLUSH that did not reach the disk leaves
        elif why:
            r["bad"].append("%s: %s" % (c["mark"], why))

    for name, r in rounds.items():
        cuts_here = r.get("cuts", 0)
        lost = "acknowledged records lost at %d of %d cuts" % (r["lost"], cuts_here)
        if r["last"] < 0:
            r["bad"].append("no acknowledged write")
        if not cuts_here:
            r["bad"].append("no mark while the guest wrote")
        if r["expect"] == "durable" and r["lost"]:
            r["bad"].append(lost)
        if r["expect"] == "lost" and not r["lost"]:
            r["bad"].append("no cut lost an acknowledged record, yet FLUSH was a no-op")
        if r["bad"]:
            ok = False
            print("durability: %s: FAIL: %s" % (name, "; ".join(r["bad"][:3])))
        elif r["expect"] == "lost":
            print("durability: %s: caught: %s (acked to %d)" % (name, lost, r["last"]))
        else:
            print("durability: %s: ok: %d cuts, acked to %d, every acknowledged record there"
                  % (name, cuts_here, r["last"]))
    print("durability: %d rounds, %d cuts: %s" % (len(rounds), len(cuts), "ok" if ok else "FAILED"))
    return ok


if __name__ == "__main__":
    sys.exit(0 if main(sys.argv[1:]) else 1)
