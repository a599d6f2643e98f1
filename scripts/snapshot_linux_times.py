#!/usr/bin/env python3
"""Reads two logs of tests/integration/run.sh (BASE's test scripts, then this
tree's) and prints JSON: per feature the seconds its "---- F took N s" line
gave and the PASS/FAIL/SKIP lines that ran under it, before and after.

usage: snapshot_linux_times.py BASE BEFORE.log AFTER.log"""
import json
import re
import sys


def features(path):
    """{feature: {"seconds": N, "passed": P, "failed": F, "skipped": S}} of one log."""
    out, cur, counts = {}, None, None
    for line in open(path, errors="replace"):
        line = line.rstrip("\r\n")
        m = re.match(r"^---- (\S+) took (\d+) s$", line)
        if m:
            out[m.group(1)] = dict(counts or {}, seconds=int(m.group(2)))
            cur = None
            continue
        m = re.match(r"^---- (\S+)$", line)
        if m:
            cur, counts = m.group(1), {"passed": 0, "failed": 0, "skipped": 0}
            continue
        if cur:
            for word, key in (("PASS ", "passed"), ("FAIL ", "failed"), ("SKIP ", "skipped")):
                if line.startswith(word):
                    counts[key] += 1
    return out


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    base, before, after = sys.argv[1], features(sys.argv[2]), features(sys.argv[3])
    feats = {}
    for f in sorted(set(before) | set(after)):
        b, a = before.get(f), after.get(f)
        feats[f] = {"before": b, "after": a,
                    "saved_s": b["seconds"] - a["seconds"] if a and b else None}
    both = [f for f in feats if feats[f]["saved_s"] is not None]  # ran to the end both times
    total = [sum(x[f]["seconds"] for f in both) for x in (before, after)]
    json.dump({"where": "test host VM (QEMU TCG, emulated SVM, Debian kernel with kvm_amd),"
                        " one run each, one after the other, on a shared 2-core machine",
               "base_scripts": base, "features": feats, "totals_over": both,
               "total_before_s": total[0], "total_after_s": total[1],
               "saved_s": total[0] - total[1]}, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
