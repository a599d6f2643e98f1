#!/usr/bin/env python3
"""The image checks of tests/integration/faults.sh, which bash alone cannot do
in reasonable time.  Each subcommand prints one line per finding and exits 1
if anything is wrong:

  sectors IMAGE REF STEP... [-- IMAGE REF STEP...]...
      Each IMAGE equals its REF but where a STEP wrote:
      ok:SECTOR:COUNT:BYTE sectors must hold BYTE; failed:SECTOR:COUNT:BYTE
      sectors may hold the old data or BYTE, each sector wholly one or the
      other (a failed request may land in part, but never as anything else).
"""
import sys

SECTOR = 512


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
    print(__doc__, file=sys.stderr)
    return False


if __name__ == "__main__":
    sys.exit(0 if main(sys.argv[1:]) else 1)
