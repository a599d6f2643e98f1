#!/usr/bin/env python3
"""Reads pairs of logs of tests/integration/run.sh, each pair one feature
run alone with BASE's test scripts (a boot each time) and then with this
tree's (from a snapshot), and prints JSON: per feature the seconds its
"---- F took N s" line gave, the PASS/FAIL/SKIP lines under it, and the
phase times ("time LABEL N s") the snapshot variant printed.

usage: snapshot_linux_times.py BASE LOAD BOOT.log SNAPSHOT.log [BOOT.log SNAPSHOT.log]..."""
import json
import re
import sys


def features(path):
    """{feature: {"seconds": N, "passed": P, "failed": F, "skipped": S, "phases_s": {...}}}."""
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
            cur, counts = m.group(1), {"passed": 0, "failed": 0, "skipped": 0, "phases_s": {}}
            continue
        if not cur:
            continue
        m = re.match(r"^\s+time (\S+) ([0-9.]+) s$", line)
        if m:
            counts["phases_s"][m.group(1)] = float(m.group(2))
        for word, key in (("PASS ", "passed"), ("FAIL ", "failed"), ("SKIP ", "skipped")):
            if line.startswith(word):
                counts[key] += 1
    return out


def main():
    if len(sys.argv) < 5 or len(sys.argv) % 2 != 1:
        sys.exit(__doc__)
    base, load, logs = sys.argv[1], sys.argv[2], sys.argv[3:]
    feats = {}
    for boot_log, snap_log in zip(logs[::2], logs[1::2]):
        before, after = features(boot_log), features(snap_log)
        for f in sorted(set(before) | set(after)):
            b, a = before.get(f), after.get(f)
            if b:
                b.pop("phases_s", None)  # BASE's scripts print none
            feats[f] = {"boot_each_time": b, "from_snapshot": a,
                        "saved_s": b["seconds"] - a["seconds"] if a and b else None,
                        "ratio": round(a["seconds"] / b["seconds"], 2) if a and b else None}
    both = [f for f in feats if feats[f]["saved_s"] is not None]  # ran to the end both times
    total = [sum(feats[f][k]["seconds"] for f in both) for k in ("boot_each_time", "from_snapshot")]
    json.dump({"where": "test host VM (QEMU TCG, emulated SVM, Debian kernel with kvm_amd),"
                        " each feature alone in a fresh VM, the two variants back to back,"
                        " on a shared 2-core machine",
               "host_load_average": load, "base_scripts": base, "features": feats,
               "totals_over": both, "total_boot_each_time_s": total[0],
               "total_from_snapshot_s": total[1], "saved_s": total[0] - total[1]},
              sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
