#!/usr/bin/env python3
"""make bench-iopoll's report from scripts/bench-iopoll.sh's raw outputs: medians
and spread per (path, --io-poll, workload) into OUT, a table on stdout; exit
status 1 when a run failed.
usage: bench-iopoll-report.py RAW_DIR OUT SECONDS REPS POLL_US..."""
import glob, json, os, re, sys

if len(sys.argv) < 6:
    sys.exit(__doc__)
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib
raw, out, secs, reps, polls = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), \
    [int(u) for u in sys.argv[5:]]
KEYS = ["iops", "mbps", "lat_us_mean", "lat_us_p99", "exits_per_io", "hv_exits_per_io",
        "cpu_us_per_io"]
WORKLOADS = ["null-4k-qd1", "randread-4k-qd1", "randread-4k-qd32"]
samples = {}  # (path, io_poll_us, workload) -> rows
for f in glob.glob(os.path.join(raw, "*.out")):
    m = re.match(r"(loopback-pv|pv)-(?:null-)?(\d+)-\d+\.out$", os.path.basename(f))
    rows = benchlib.prefixed_json(f, "blkbench-json: " if m[1] == "pv" else "")
    for r in rows:
        samples.setdefault((m[1], int(m[2]), r["workload"]), []).append(r)
results = []
for p in ("loopback-pv", "pv"):
    for w in WORKLOADS:
        for u in polls:
            rs = samples.get((p, u, w))
            if rs:
                o = {"path": p, "io_poll_us": u, "workload": w, "runs": len(rs)}
                o.update(benchlib.summarize(rs, KEYS))
                if p == "loopback-pv":  # no vCPU: no exits to count
                    o["exits_per_io"] = o["hv_exits_per_io"] = None
                results.append(o)
where = benchlib.where(sorted(glob.glob(os.path.join(raw, "*.err"))))
failures = [json.loads(l) for l in open(os.path.join(raw, "failures.jsonl")) if l.strip()]
doc = {"date": where["date"], "machine": where, "seconds_per_run": secs, "runs": reps,
       "io_poll_us": polls,
       "notes": "medians over runs; *_min/*_max the spread. loopback-pv: "
                "loopback-blkbench --io-poll (hv's backend under the guest driver on a "
                "host thread, no VM); pv: the guest's blkbench under hv run --io-poll. "
                "exits_per_io: all vCPU exits KVM counted (null without a VM).",
       "failures": failures, "results": results}
json.dump(doc, open(out, "w"), indent=1)


def f(v, fmt="{:.1f}", none="-"):
    return none if v is None else fmt.format(v)


print("where: %s, KVM backend %s, kernel %s, %s" % (
    where["label"], where["backend"] or "not reported (no guest ran)", where["kernel"],
    where["cpu"]))
print("%-12s %-18s %8s %10s %9s %9s %8s %8s" % (
    "path", "workload", "poll us", "IOPS", "mean us", "p99 us", "exits/io", "cpu us"))
for r in results:
    print("%-12s %-18s %8d %10s %9s %9s %8s %8s" % (
        r["path"], r["workload"], r["io_poll_us"], f(r["iops"]), f(r["lat_us_mean"]),
        f(r["lat_us_p99"]), f(r["exits_per_io"], "{:.3f}", "n/a"),
        f(r["cpu_us_per_io"], "{:.2f}")))
for x in failures:
    print("FAILED: %s %s run %s: %s" % (x["path"], x["workload"], x["rep"], x["why"]))
sys.exit(1 if failures else 0)
