#!/usr/bin/env python3
"""Aggregates make bench's raw outputs: median and spread per (path, workload),
build/bench/results.json, a table on stdout, and results.dat for gnuplot.
usage: bench-report.py BENCH_DIR SECONDS REPS KVM(0|1)"""
import glob, json, os, platform, re, statistics, subprocess, sys, datetime

bench, secs, reps, kvm = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1"
raw = os.path.join(bench, "raw")
WORKLOADS = ["null-4k-qd1", "randread-4k-qd1", "randread-4k-qd32", "seqread-128k-qd8",
             "randwrite-4k-qd1"]
PATHS = ["native", "loopback-pv", "loopback-pv-poll", "pv", "pv-poll", "trap"]
KEYS = ["iops", "mbps", "lat_us_mean", "lat_us_p99", "exits_per_io", "hv_exits_per_io",
        "cpu_us_per_io"]

samples = {}  # (path, workload) -> list of dicts

for f in sorted(glob.glob(os.path.join(raw, "native-*.json"))):
    for r in json.load(open(f)):
        samples.setdefault(("native", r["workload"]), []).append(r)

for f in sorted(glob.glob(os.path.join(raw, "loopback*.jsonl"))):
    for line in open(f):
        if line.strip():
            r = json.loads(line)
            samples.setdefault((r["path"], r["workload"]), []).append(r)

JSON_LINE = re.compile(r"^blkbench-json: (\{.*\})\s*$")
for f in sorted(glob.glob(os.path.join(raw, "*-*-*.out"))):
    name = os.path.basename(f)
    if name.startswith("cpu-"):
        continue
    for line in open(f):
        m = JSON_LINE.match(line)
        if m:
            r = json.loads(m.group(1))
            path = name.split("-")[0] if not name.startswith("pv-poll") else "pv-poll"
            samples.setdefault((path, r["workload"]), []).append(r)


def summarize(rs):
    out = {}
    for k in KEYS:
        vals = [float(r[k]) for r in rs if k in r and float(r[k]) >= 0]
        if not vals:
            out[k] = None
            continue
        out[k] = round(statistics.median(vals), 3)
        out[k + "_min"] = round(min(vals), 3)
        out[k + "_max"] = round(max(vals), 3)
    return out


results = []
for p in PATHS:
    for w in WORKLOADS:
        rs = samples.get((p, w))
        if not rs:
            continue
        o = {"path": p, "workload": w, "runs": len(rs),
             "qd": rs[0].get("qd", int(w.rsplit("qd", 1)[1]))}
        o.update(summarize(rs))
        if p == "native" or p.startswith("loopback"):  # no VM: no exits, by definition
            o["exits_per_io"] = o["hv_exits_per_io"] = 0.0
        results.append(o)


def cpu_ns(pattern, prefix):
    vals = []
    for f in sorted(glob.glob(os.path.join(raw, pattern))):
        for line in open(f):
            line = line.strip()
            if line.startswith(prefix):
                vals.append(json.loads(line[len(prefix):]))
    return vals


cpu_native = cpu_ns("cpu-native-*.json", "")
cpu_guest = cpu_ns("cpu-guest-*.out", "cpubench-json: ")
ratio = None
if cpu_native and cpu_guest:
    if {c["digest"] for c in cpu_native} != {c["digest"] for c in cpu_guest}:
        sys.exit("bench-report: guest and host cpubench digests differ: not the same work")
    ratio = round(statistics.median(c["ns"] for c in cpu_guest) /
                  statistics.median(c["ns"] for c in cpu_native), 3)


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


doc = {
    "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    "machine": {"host": platform.node(), "kernel": platform.release(), "cpu": cpu_model(),
                "cpus": os.cpu_count(), "kvm": kvm,
                "direct": any(r.get("direct") for rs in samples.values() for r in rs
                              if "direct" in r)},
    "seconds_per_run": secs, "runs": reps,
    "cpu_bound_ratio": ratio,
    "cpu_bound": {"native_ns": [c["ns"] for c in cpu_native],
                  "guest_ns": [c["ns"] for c in cpu_guest]},
    "notes": "medians over runs; *_min/*_max the spread. loopback-*: the guest driver "
             "on a host thread against hv's real backend, no VM (hv's backend cost alone). "
             "trap runs at queue depth 1 "
             "(one command at a time). exits_per_io: all vCPU exits KVM counted; "
             "hv_exits_per_io: those that reached hv. cpu_us_per_io: hv's (or the native "
             "tool's) user+system CPU time per I/O, guest time included.",
    "results": results,
}
json.dump(doc, open(os.path.join(bench, "results.json"), "w"), indent=1)


def f(v, fmt="{:.1f}"):
    return "-" if v is None else fmt.format(v)


print("%-16s %-18s %3s %10s %8s %9s %9s %8s %8s %8s %s" % (
    "path", "workload", "qd", "IOPS", "MB/s", "mean us", "p99 us", "exits/io", "to hv",
    "cpu us", "IOPS spread"))
for r in results:
    print("%-16s %-18s %3s %10s %8s %9s %9s %8s %8s %8s %s..%s" % (
        r["path"], r["workload"], r["qd"], f(r["iops"]), f(r["mbps"]), f(r["lat_us_mean"]),
        f(r["lat_us_p99"]), f(r["exits_per_io"], "{:.3f}"), f(r["hv_exits_per_io"], "{:.3f}"),
        f(r["cpu_us_per_io"], "{:.2f}"), f(r.get("iops_min")), f(r.get("iops_max"))))
print("cpu-bound (SHA-256, 64 MiB): guest/native time ratio %s" %
      (f(ratio, "{:.3f}") if ratio else "not measured (no /dev/kvm)" if not kvm else "-"))

# gnuplot data: one row per workload, columns per path (latency, exits per I/O).
with open(os.path.join(bench, "results.dat"), "w") as d:
    d.write("workload " + " ".join("%s_lat %s_exits" % (p, p) for p in PATHS) + "\n")
    for w in WORKLOADS:
        row = [w]
        for p in PATHS:
            r = next((x for x in results if x["path"] == p and x["workload"] == w), None)
            row.append(f(r and r["lat_us_mean"], "{:.2f}") if r else "-")
            row.append(f(r and r["exits_per_io"], "{:.3f}") if r else "-")
        d.write(" ".join(row) + "\n")
