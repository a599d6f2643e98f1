#!/usr/bin/env python3
"""Aggregates scripts/bench.sh's raw outputs: median and spread per (path, workload),
OUT.json, a table on stdout, and OUT.dat for gnuplot.  Reads only the runs that
worked (failed ones were renamed *.failed by bench.sh and listed in
failures.jsonl; they go into the JSON's "failures").
usage: bench-report.py RAW_DIR OUT SECONDS REPS     (OUT: build/bench/results)"""
import glob, json, os, re, statistics, sys

sys.dont_write_bytecode = True  # no __pycache__ in scripts/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib

if len(sys.argv) != 5:
    sys.exit(__doc__)
raw, out, secs, reps = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
WORKLOADS = ["null-4k-qd1", "randread-4k-qd1", "randread-4k-qd32", "seqread-128k-qd8",
             "randwrite-4k-qd1"]
PATHS = ["native", "loopback-pv", "loopback-pv-poll", "pv", "pv-poll", "trap"]
NO_VM = ("native", "loopback-pv", "loopback-pv-poll")  # no vCPU, so no exits to count
KEYS = ["iops", "mbps", "lat_us_mean", "lat_us_p99", "exits_per_io", "hv_exits_per_io",
        "cpu_us_per_io"]

failures = [json.loads(l) for l in open(os.path.join(raw, "failures.jsonl")) if l.strip()]
samples = {}  # (path, workload) -> list of dicts


def add(r):
    samples.setdefault((r["path"], r["workload"]), []).append(r)


for f in sorted(glob.glob(os.path.join(raw, "native-*.out"))):
    for r in json.load(open(f)):
        add(r)
for f in sorted(glob.glob(os.path.join(raw, "loopback-*.out"))):
    for line in open(f):
        if line.strip():
            add(json.loads(line))
GUEST_FILE = re.compile(r"^(pv-poll|pv|trap)-.+-\d+\.out$")
for f in sorted(glob.glob(os.path.join(raw, "*.out"))):
    m = GUEST_FILE.match(os.path.basename(f))
    if m:
        for r in benchlib.prefixed_json(f, "blkbench-json: "):
            r["path"] = m.group(1)  # the guest says "pv" for pv-poll too
            add(r)

results = []
for p in PATHS:
    for w in WORKLOADS:
        rs = samples.get((p, w))
        if not rs:
            continue
        o = {"path": p, "workload": w, "runs": len(rs),
             "qd": rs[0].get("qd", int(w.rsplit("qd", 1)[1]))}
        o.update(benchlib.summarize(rs, KEYS))
        if p in NO_VM:  # null, never 0.0: there was nothing to count
            o["exits_per_io"] = o["hv_exits_per_io"] = None
        results.append(o)

cpu_native = [r for f in sorted(glob.glob(os.path.join(raw, "cpu-native-*.out")))
              for r in benchlib.prefixed_json(f, "")]
cpu_guest = [r for f in sorted(glob.glob(os.path.join(raw, "cpu-guest-*.out")))
             for r in benchlib.prefixed_json(f, "cpubench-json: ")]
ratio = None
if cpu_native and cpu_guest:
    digests = {c["digest"] for c in cpu_native + cpu_guest}
    if len(digests) != 1:
        failures.append({"path": "cpu", "workload": None, "rep": 0, "tails": {},
                         "why": "guest and host cpubench digests differ: not the same work "
                                "(%s)" % ", ".join(sorted(digests))})
    else:
        ratio = round(statistics.median(c["ns"] for c in cpu_guest) /
                      statistics.median(c["ns"] for c in cpu_native), 3)

where = benchlib.where(sorted(glob.glob(os.path.join(raw, "*.err"))))
doc = {
    "date": where["date"],
    "machine": where,
    "direct": any(r.get("direct") for rs in samples.values() for r in rs),
    "quick": os.environ.get("QUICK") == "1",
    "seconds_per_run": secs, "runs": reps,
    "cpu_bound_ratio": ratio,
    "cpu_bound": {"native_ns": [c["ns"] for c in cpu_native],
                  "guest_ns": [c["ns"] for c in cpu_guest]},
    "notes": "medians over runs; *_min/*_max the spread. loopback-*: the guest driver "
             "on a host thread against hv's real backend, no VM (hv's backend cost alone). "
             "trap runs at queue depth 1 (one command at a time). exits_per_io: all vCPU "
             "exits KVM counted; hv_exits_per_io: those that reached hv; both null for "
             "native and loopback-*, which have no vCPU. cpu_us_per_io: hv's (or the "
             "native tool's) user+system CPU time per I/O, guest time included.",
    "failures": failures,
    "results": results,
}
with open(out + ".json.tmp", "w") as fh:
    json.dump(doc, fh, indent=1)
os.replace(out + ".json.tmp", out + ".json")


def f(v, fmt="{:.1f}", none="-"):
    return none if v is None else fmt.format(v)


m = doc["machine"]
print("where: %s, KVM backend %s, kernel %s, %s" % (
    m["label"], m["backend"] or "not reported (no guest ran)", m["kernel"], m["cpu"]))
print("%-16s %-18s %3s %10s %8s %9s %9s %8s %8s %8s %s" % (
    "path", "workload", "qd", "IOPS", "MB/s", "mean us", "p99 us", "exits/io", "to hv",
    "cpu us", "IOPS spread"))
for r in results:
    print("%-16s %-18s %3s %10s %8s %9s %9s %8s %8s %8s %s..%s" % (
        r["path"], r["workload"], r["qd"], f(r["iops"]), f(r["mbps"]), f(r["lat_us_mean"]),
        f(r["lat_us_p99"]), f(r["exits_per_io"], "{:.3f}", "n/a"),
        f(r["hv_exits_per_io"], "{:.3f}", "n/a"), f(r["cpu_us_per_io"], "{:.2f}"),
        f(r.get("iops_min")), f(r.get("iops_max"))))
print("cpu-bound (SHA-256, cpubench): guest/native time ratio %s" %
      (f(ratio, "{:.3f}") if ratio else "not measured"))
for x in failures:
    print("FAILED: %s run %s: %s" % (" ".join(filter(None, [x["path"], x["workload"]])),
                                      x["rep"], x["why"]))

# gnuplot data: one row per workload, columns per path (latency, exits per I/O).
with open(out + ".dat", "w") as d:
    d.write("workload " + " ".join("%s_lat %s_exits" % (p, p) for p in PATHS) + "\n")
    for w in WORKLOADS:
        row = [w]
        for p in PATHS:
            r = next((x for x in results if x["path"] == p and x["workload"] == w), None)
            row.append(f(r and r["lat_us_mean"], "{:.2f}"))
            row.append(f(r and r["exits_per_io"], "{:.3f}"))
        d.write(" ".join(row) + "\n")
