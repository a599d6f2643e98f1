#!/usr/bin/env python3
"""The image checks of tests/integration/faults.sh, which bash alone cannot do
in reasonable time.  Each subcommand prints one line per finding and exits 1
if anything is wrong:

  durable LIST
      LIST has one line per kill -9 round: "IMAGE SEED OUTPUT", OUTPUT being
      what hv printed before it died.  Its last whole line "durwrite: acked
      N" is what the guest saw acknowledged (a line cut short by the kill
      does not count).  The layout is durwrite's
      (guest-kernel/programs/durwrite.c): sector k holds record k, intact
      when its magic, number, seed and SHA-256 check out.  Records 0..N must
      be intact; a sector after N is zero or an intact record (a write in
      flight when hv died may or may not have landed); nothing past N + 16
      (durwrite's largest batch) is written.  Ends with "durable: R rounds,
      M acknowledged records intact".
  sectors IMAGE REF STEP... [-- IMAGE REF STEP...]...
      Each IMAGE equals its REF but where a STEP wrote:
      ok:SECTOR:COUNT:BYTE sectors must hold BYTE; failed:SECTOR:COUNT:BYTE
      sectors may hold the old data or BYTE, each sector wholly one or the
      other (a failed request may land in part, but never as anything else).
"""
import hashlib, struct, sys

SECTOR = 512
DUR_MAGIC, DUR_BODY, DUR_MAX_BATCH = b"HVDUR001", 480, 16


def dur_intact(sec, k, seed):
    """Record k of the run with this seed: its header, and the checksum over
    header and pattern (a sector from another record, another run, or a torn
    write fails one or the other)."""
    return sec[:8] == DUR_MAGIC and struct.unpack("<QQ", sec[8:24]) == (k, seed) and \
        hashlib.sha256(sec[:DUR_BODY]).digest() == sec[DUR_BODY:]


def last_ack(out):
    text = open(out, "rb").read()
    acked = -1
    for line in text[:text.rfind(b"\n") + 1].split(b"\n"):
        if line.startswith(b"durwrite: acked "):
            acked = int(line.split()[2])
    return acked


def durable(listfile):
    bad, rounds, records = 0, 0, 0
    for line in open(listfile):
        img, seed, out = line.split()
        seed, acked = int(seed), last_ack(out)
        data = open(img, "rb").read()
        rounds += 1
        last_ok = -1
        for k in range(len(data) // SECTOR):
            sec = data[k * SECTOR:(k + 1) * SECTOR]
            if k > acked + DUR_MAX_BATCH:
                if data[k * SECTOR:].count(0) != len(data) - k * SECTOR:
                    print("durable: %s: written past acked %d + %d (sector %d on)"
                          % (img, acked, DUR_MAX_BATCH, k))
                    bad += 1
                break
            if dur_intact(sec, k, seed):
                last_ok = k
                continue
            if k <= acked:
                print("durable: %s: acknowledged record %d (of 0..%d) %s" % (
                    img, k, acked, "missing" if sec.count(0) == SECTOR else "corrupt"))
                bad += 1
                break
            if sec.count(0) != SECTOR:
                print("durable: %s: sector %d after the last ack %d is neither zero nor its record"
                      % (img, k, acked))
                bad += 1
                break
        records += max(acked + 1, 0)
        print("durable: %s: acked %d, intact records to %d" % (img, acked, last_ok))
    print("durable: %d rounds, %d acknowledged records%s" % (
        rounds, records, " intact" if not bad else ", %d rounds bad" % bad))
    return bad == 0


def sectors(image, ref, steps):
    data, old = open(image, "rb").read(), open(ref, "rb").read()
    if len(data) != len(old):
        print("sectors: %s is %d bytes, was %d" % (image, len(data), len(old)))
        return False
    rule = {}
    for s in steps:
        kind, sec, count, byte = s.split(":")
        for k in range(int(sec), int(sec) + int(count)):
            rule[k] = (kind, bytes([int(byte, 0)]) * SECTOR)
    ok = True
    for k in range(len(data) // SECTOR):
        got, was = data[k * SECTOR:(k + 1) * SECTOR], old[k * SECTOR:(k + 1) * SECTOR]
        kind, new = rule.get(k, ("none", None))
        if (kind == "none" and got != was) or (kind == "ok" and got != new) or \
           (kind == "failed" and got not in (was, new)):
            print("sectors: %s: sector %d wrong (%s)" % (image, k, kind))
            ok = False
            break
    return ok


def main(argv):
    if len(argv) >= 3 and argv[0] == "sectors":
        groups, cur = [], []
        for a in argv[1:] + ["--"]:
            if a == "--":
                groups.append(cur)
                cur = []
            else:
                cur.append(a)
        return all([len(g) >= 2 and sectors(g[0], g[1], g[2:]) for g in groups])
    if len(argv) == 2 and argv[0] == "durable":
        return durable(argv[1])
    print(__doc__, file=sys.stderr)
    return False


if __name__ == "__main__":
    sys.exit(0 if main(sys.argv[1:]) else 1)
