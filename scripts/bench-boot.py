#!/usr/bin/env python3
"""make bench-boot's figures (scripts/bench-boot.sh runs the boots):
  bench-boot.py measure OUT RUNS RC ERR TIMES_US...
      one measurement into OUT: RUNS timed boots (their wall times in us),
      RC the first failure's exit status (0: none), ERR hv --stats' stderr of
      the boot with --stats (RSS at the end and its peak, guest RAM resident,
      hv's own = RSS less guest RAM; the KVM backend).  Exit status 1 when a
      boot failed or no memory line.
  bench-boot.py report OUT PART...
      the PART measurements into OUT ({"measurements": [...]}) and a table."""
import json, os, re, statistics, sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib


def measure(argv):
    out, runs, rc, err, times = argv[0], int(argv[1]), int(argv[2]), argv[3], \
        [int(t) for t in argv[4:]]
    o = {"where": benchlib.where([err]), "command": "hv run build/guest-kernel.elf -- hello",
         "runs": runs}
    if rc or len(times) != runs:
        o["error"] = "a boot failed with exit status %d: %s" % (rc, " | ".join(benchlib.tail(err, 3)))
    else:
        o.update(wall_us_median=int(statistics.median(times)), wall_us_min=min(times),
                 wall_us_max=max(times), wall_us=times)
        m = re.search(r"memory rss (\d+) KiB \(peak (\d+) KiB\), guest RAM resident (\d+) KiB, "
                      r"hv.s own (-?\d+) KiB", open(err).read())
        if m:
            o.update(rss_kib=int(m[1]), peak_rss_kib=int(m[2]), guest_resident_kib=int(m[3]),
                     hv_own_kib=int(m[4]))
        else:
            o["error"] = "no memory line in hv --stats"
    json.dump(o, open(out, "w"), indent=1)
    return 1 if "error" in o else 0


def report(argv):
    ms = [json.load(open(f)) for f in argv[1:]]
    json.dump({"measurements": ms}, open(argv[0], "w"), indent=1)
    print('boot: "hv run build/guest-kernel.elf -- hello"')
    for m in ms:
        w = m["where"]
        print("  %s (KVM backend %s, kernel %s):" % (w["label"], w["backend"], w["kernel"]))
        if "error" in m:
            print("    FAILED: " + m["error"])
            continue
        print("    wall time over %d runs: median %d us, min %d us, max %d us" % (
            m["runs"], m["wall_us_median"], m["wall_us_min"], m["wall_us_max"]))
        print("    RSS %d KiB = guest RAM touched %d KiB + hv's own %d KiB (peak %d KiB)" % (
            m["rss_kib"], m["guest_resident_kib"], m["hv_own_kib"], m["peak_rss_kib"]))
    return 0


if __name__ == "__main__":
    cmds = {"measure": measure, "report": report}
    if len(sys.argv) < 3 or sys.argv[1] not in cmds:
        sys.exit(__doc__)
    sys.exit(cmds[sys.argv[1]](sys.argv[2:]))
