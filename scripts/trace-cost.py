#!/usr/bin/python3
"""What --trace costs: IOPS, exits and system calls per I/O with and without it.

scripts/trace-cost.py [--time S] [--reps N] [--out FILE]

Needs a /dev/kvm that runs guests: run it through scripts/testvm/run.sh on a
machine without one (make trace-cost does).  For each workload, alternating
off and on, N boots of hv under `perf stat -e raw_syscalls:sys_enter`
(counted in the kernel: no ptrace, hv runs at full speed): blkbench's IOPS
and exits per I/O (the guest counts them over its timed run), and hv's
system calls, all threads', over the run's I/Os (setup and teardown
included: a few hundred calls, the same with and without --trace).
Medians go to FILE (default build/trace/cost.json), one line per figure
to stdout.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HV = os.path.join(TOP, "build/hv")
KERNEL = os.path.join(TOP, "build/guest-kernel.elf")
WORKLOADS = ["null-4k-qd1", "randread-4k-qd32"]


def boot(tmp, workload, secs, trace):
    disk = "null:64M" if workload.startswith("null") else os.path.join(tmp, "cost.img")
    cmd = [HV, "run", "--mem", "128M", "--timeout", str(int(secs) + 60), "--disk", disk]
    if trace:
        cmd += ["--trace", os.path.join(tmp, "cost-trace.json")]
    cmd += [KERNEL, "--", "blkbench", "pvblk0", "--time", str(secs), "--json", workload]
    counts = os.path.join(tmp, "perf.csv")
    cmd = ["perf", "stat", "-x,", "-e", "raw_syscalls:sys_enter", "-o", counts, "--"] + cmd
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=secs + 120)
    line = next((ln for ln in p.stdout.splitlines() if ln.startswith("blkbench-json: ")), None)
    if p.returncode != 0 or line is None:
        sys.exit("trace-cost: %s: status %d: %s" % (" ".join(cmd), p.returncode,
                                                    p.stderr.strip()[-400:]))
    with open(counts) as f:
        calls = next(int(ln.split(",")[0]) for ln in f if "raw_syscalls:sys_enter" in ln)
    return json.loads(line[len("blkbench-json: "):]), p.stderr, calls


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--time", type=float, default=3)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--out", default=os.path.join(TOP, "build/trace/cost.json"))
    a = ap.parse_args()
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        sys.exit("trace-cost: no usable /dev/kvm: run it in the test host VM (make trace-cost)")
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "cost.img"), "wb") as f:
            f.write(os.urandom(64 << 20))
        raw = {w: {"off": [], "on": []} for w in WORKLOADS}
        for rep in range(a.reps):
            for w in WORKLOADS:
                for mode in ("off", "on"):
                    j, err, calls = boot(tmp, w, a.time, mode == "on")
                    dropped = None
                    for ln in err.splitlines():
                        if ln.startswith("hv: trace: "):
                            dropped = int(ln.split(", ")[1].split()[0])
                    raw[w][mode].append({
                        "iops": float(j["iops"]),
                        "exits_per_io": float(j["exits_per_io"]),
                        "hv_exits_per_io": float(j["hv_exits_per_io"]),
                        "syscalls_per_io": calls / max(j["ios"], 1),
                        "trace_dropped": dropped,
                    })
                    print("trace-cost: round %d %s trace %s: %.0f IOPS, %.2f syscalls/io" %
                          (rep + 1, w, mode, float(j["iops"]), calls / max(j["ios"], 1)),
                          flush=True)
    result = {"where": "test host VM (QEMU TCG, SVM KVM)" if os.environ.get("HV_TESTVM")
              else "this machine's KVM",
              "time_s": a.time, "reps": a.reps, "workloads": {}}
    for w in WORKLOADS:
        med = {}
        for mode in ("off", "on"):
            runs = raw[w][mode]
            med[mode] = {k: statistics.median(r[k] for r in runs)
                         for k in ("iops", "exits_per_io", "hv_exits_per_io", "syscalls_per_io")}
        med["iops_on_over_off"] = med["on"]["iops"] / med["off"]["iops"]
        med["runs"] = raw[w]
        result["workloads"][w] = med
        for k in ("iops", "exits_per_io", "hv_exits_per_io", "syscalls_per_io"):
            print("trace-cost: %-18s %-16s off %10.2f  on %10.2f" %
                  (w, k, med["off"][k], med["on"][k]))
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w") as f:
        json.dump(result, f, indent=1)
    print("trace-cost: wrote %s" % a.out)


if __name__ == "__main__":
    main()
