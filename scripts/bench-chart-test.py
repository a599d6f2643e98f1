#!/usr/bin/env python3
"""Checks make bench's chart (scripts/bench-chart.py) on small results files:
a row missing (no native null-4k-qd1) leaves its slot empty and moves no other
bar; every bar sits under its own workload's label; the legends name only the
paths with figures, the trap rows as run at queue depth 1; the title names
QEMU + Linux only when a QEMU row is there; gnuplot draws the PNG.  One line
per check, then "chart: N passed, N failed"; exit status 1 on a failure.
usage: bench-chart-test.py [DIR]   (DIR for the files: a temporary one)"""
import importlib.util, json, os, sys, tempfile

sys.dont_write_bytecode = True
spec = importlib.util.spec_from_file_location(
    "bench_chart", os.path.join(os.path.dirname(os.path.abspath(__file__)), "bench-chart.py"))
chart = importlib.util.module_from_spec(spec)
spec.loader.exec_module(chart)


def row(system, path, workload, qd, lat, exits):
    return {"system": system, "path": path, "workload": workload, "qd": qd,
            "lat_us_mean": lat, "exits_per_io": exits}


HV_ONLY = [row("native", "native", "randread-4k-qd1", 1, 20, None),
           row("native", "native", "randread-4k-qd32", 32, 200, None),
           row("hv", "pv", "null-4k-qd1", 1, 5, 2.0),
           row("hv", "pv", "randread-4k-qd1", 1, 40, 3.0),
           row("hv", "pv", "randread-4k-qd32", 32, 300, 0.5),
           row("hv", "trap", "null-4k-qd1", 1, 50, 10.0),
           row("hv", "trap", "randread-4k-qd1", 1, 90, 12.0),
           row("hv", "trap", "randread-4k-qd32", 1, 95, 12.0)]
PEERS = HV_ONLY + [row("qemu-linux", "qemu-virtio", "randread-4k-qd1", 1, 60, 4.0)]

results = []


def check(name, ok, why=""):
    results.append(ok)
    print("%s chart-%s%s" % ("PASS" if ok else "FAIL", name, "" if ok else ": " + why))


def bars(panel, path):
    return next(p for p in panel["paths"] if p["path"] == path)["bars"]


def main(argv):
    if not argv:
        with tempfile.TemporaryDirectory() as d:
            return main([d])
    d = argv[0]
    lay = chart.layout(HV_ONLY)
    lat, exits = lay["panels"]
    check("workloads", [w for _, w in lay["workloads"]] ==
          ["null-4k-qd1", "randread-4k-qd1", "randread-4k-qd32"], str(lay["workloads"]))
    # Native has no null-4k-qd1 row: its randread bars stay in slot 0 of their
    # own workloads, pv's and trap's in slots 1 and 2 of every workload.
    slot = chart.GROUP / 3
    want = {"native": {1: 0, 2: 0}, "pv": {0: 1, 1: 1, 2: 1}, "trap": {0: 2, 1: 2, 2: 2}}
    for path, slots in want.items():
        xs = [b[0] for b in bars(lat, path)]
        exp = [i - chart.GROUP / 2 + (s + 0.5) * slot for i, s in sorted(slots.items())]
        check("slots-" + path, len(xs) == len(exp) and all(abs(a - b) < 1e-9 for a, b in zip(xs, exp)),
              "bars at %s, want %s" % (xs, exp))
    under = all(abs(b[0] - i) < chart.GROUP / 2 for p in lat["paths"] + exits["paths"]
                for b in p["bars"] for i, w in lay["workloads"] if w == b[3])
    check("under-own-label", under, "a bar outside its workload's group")
    check("no-overlap", all(len({round(b[0], 6) for p in pan["paths"] for b in p["bars"]}) ==
                            sum(len(p["bars"]) for p in pan["paths"]) for pan in (lat, exits)),
          "two bars at one x")
    check("legend-latency", [p["legend"] for p in lat["paths"]] ==
          ["native", "pv", "trap (run at queue depth 1)"], str([p["legend"] for p in lat["paths"]]))
    check("legend-exits", [p["path"] for p in exits["paths"]] == ["pv", "trap"],
          "native has no exits: not in the exits panel")
    check("title-no-qemu", "QEMU" not in lay["title"] and "hv" in lay["title"], lay["title"])
    check("title-qemu", "QEMU + Linux" in chart.layout(PEERS)["title"], chart.layout(PEERS)["title"])
    base = os.path.join(d, "chart-test")
    with open(base + ".json", "w") as fh:
        json.dump({"runs": 1, "machine": {"label": "test", "backend": "none"}, "results": HV_ONLY}, fh)
    rc = chart.main([base])
    check("png", rc == 0 and os.path.getsize(base + ".png") > 1000, "gnuplot exit status %s" % rc)
    blocks = open(base + ".chart").read().split("\n\n\n")
    check("chart-file", len(blocks) == 1 + 3 + 2 and blocks[3].startswith('x "trap (run at'),
          "%d blocks" % len(blocks))
    print("chart: %d passed, %d failed" % (results.count(True), results.count(False)))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
