#!/usr/bin/env python3
"""make bench's chart: OUT.json (scripts/bench-report.py) to OUT.png.
usage: bench-chart.py OUT     (OUT: build/bench/results)

This file computes the layout; scripts/bench.gp draws it.  Each workload
owns one slot per path that has any row in the panel, always the same slot,
so a missing row (no native bar for null-4k-qd1, say) leaves its slot empty
instead of moving the later bars under the wrong label.  A panel shows only
the paths that have a figure in it, the legend names only those, the title
names the systems that ran (hv, QEMU + Linux, the host alone), and a path
that ran at another queue depth than its workload's name says (trap: one
command at a time) is marked so in the legend.  OUT.chart holds the layout
(gnuplot data blocks); layout() is what tests check (bench-chart-test.py)."""
import json, os, subprocess, sys

sys.dont_write_bytecode = True  # no __pycache__ in scripts/

# Order, legend name and colour (gnuplot line type) of every path, the same in
# both panels so a path keeps its colour.
PATHS = [("native", "native"), ("loopback-pv", "loopback-pv"),
         ("loopback-pv-poll", "loopback-pv-poll"), ("pv", "pv"), ("pv-poll", "pv-poll"),
         ("trap", "trap"), ("qemu-virtio", "qemu-virtio"), ("qemu-emulated", "qemu-emulated")]
WORKLOADS = ["null-4k-qd1", "randread-4k-qd1", "randread-4k-qd32", "seqread-128k-qd8",
             "randwrite-4k-qd1"]
PANELS = [("lat_us_mean", "mean latency (us, log scale)"),
          ("exits_per_io", "exits per I/O (all exits KVM counted; guest paths only)")]
SYSTEMS = [("native", "native (the host alone)"), ("hv", "hv"), ("qemu-linux", "QEMU + Linux")]
GROUP = 0.8  # of the space between two workload labels, what one workload's slots take


def nominal_qd(workload):
    return int(workload.rsplit("qd", 1)[1])


def legend(path, rows):
    """The path's name, with the depth it ran at when that is not what the
    workload names say (trap runs one command at a time)."""
    name = dict(PATHS)[path]
    ran = [r for r in rows if r.get("qd") is not None]
    if any(r["qd"] != nominal_qd(r["workload"]) for r in ran):
        depths = {r["qd"] for r in ran}
        name += (" (run at queue depth %d)" % depths.pop() if len(depths) == 1
                 else " (not at the queue depths named)")
    return name


def layout(results):
    """The chart as data: {"workloads": [(x, name)], "panels": [{"title",
    "metric", "paths": [{"path", "legend", "lt", "bars": [(x, value,
    width, workload)]}]}], "title": systems}.  Workload i is centred at x = i;
    path j of a panel's n paths sits at slot j of that workload whether or
    not the workload has a row for it."""
    workloads = [w for w in WORKLOADS if any(r["workload"] == w for r in results)]
    xs = {w: i for i, w in enumerate(workloads)}
    lts = {p: i + 1 for i, (p, _) in enumerate(PATHS)}
    panels = []
    for metric, title in PANELS:
        paths = [p for p, _ in PATHS
                 if any(r["path"] == p and r.get(metric) is not None and r["workload"] in xs
                        for r in results)]
        if not paths:
            continue
        slot = GROUP / len(paths)
        out = []
        for j, p in enumerate(paths):
            rows = [r for r in results if r["path"] == p and r["workload"] in xs]
            bars = [(xs[r["workload"]] - GROUP / 2 + (j + 0.5) * slot, r[metric], slot * 0.9,
                     r["workload"]) for r in rows if r.get(metric) is not None]
            out.append({"path": p, "legend": legend(p, rows), "lt": lts[p],
                        "bars": sorted(bars)})
        panels.append({"metric": metric, "title": title, "paths": out})
    systems = [name for s, name in SYSTEMS if any(r.get("system") == s for r in results)]
    return {"workloads": [(xs[w], w) for w in workloads], "panels": panels,
            "title": " and ".join([", ".join(systems[:-1]), systems[-1]] if len(systems) > 1
                                  else systems)}


def write_chart(lay, path):
    """Gnuplot data blocks: block 0 the workload labels (x, name), then per
    panel one block per path whose first line is its legend."""
    with open(path, "w") as fh:
        fh.write("x workload\n" + "".join("%g %s\n" % xw for xw in lay["workloads"]))
        for panel in lay["panels"]:
            for p in panel["paths"]:
                fh.write("\n\nx \"%s\" width\n" % p["legend"])
                fh.write("".join("%.4f %.6g %.4f\n" % b[:3] for b in p["bars"]))


def main(argv):
    if len(argv) != 1:
        sys.exit(__doc__)
    out = argv[0]
    doc = json.load(open(out + ".json"))
    lay = layout(doc["results"])
    if not lay["panels"]:
        return 0  # no block row ran: no chart
    write_chart(lay, out + ".chart")
    m = doc.get("machine") or {}
    where = "%s, %s" % (m.get("label", "?"), m.get("backend") or "no guest ran")
    args = {"base": out, "title": "block I/O by path: %s (%s.json: medians over %s runs; %s)" % (
        lay["title"], os.path.basename(out), doc.get("runs", "?"), where)}
    for k, panel in enumerate(lay["panels"]):
        args["title%d" % (k + 1)] = panel["title"]
        args["lts%d" % (k + 1)] = " ".join(str(p["lt"]) for p in panel["paths"])
        args["log%d" % (k + 1)] = "1" if panel["metric"] == "lat_us_mean" else "0"
    args["panels"] = str(len(lay["panels"]))
    args["nwork"] = str(len(lay["workloads"]))
    setting = "; ".join("%s='%s'" % (k, v.replace("'", "")) for k, v in args.items())
    here = os.path.dirname(os.path.abspath(__file__))
    return subprocess.call(["gnuplot", "-e", setting, os.path.join(here, "bench.gp")])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
