#!/usr/bin/env python3
"""tests/fuzz/run.sh's report: from each target's run in STATE (exit status,
seconds, crash files) and its libFuzzer log (build/fuzz/logs/NAME.log), one
line per target, optionally the JSON (build/fuzz/results.json: what
scripts/readme-figures.py renders), and "fuzz: N passed, N failed"; exit
status 1 when a target failed.
usage: report.py STATE SECONDS JOBS FRESH(0|1) JSON|"" NAME..."""
import json, os, platform, re, subprocess, sys, time

if len(sys.argv) < 7:
    sys.exit(__doc__)

state, secs, jobs, fresh, out, names = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
    sys.argv[4] == "1", sys.argv[5], sys.argv[6:]

def read(name, ext):
    with open(os.path.join(state, name + ext)) as f:
        return f.read()

def last(pattern, text, cast=int):
    m = re.findall(pattern, text)
    return cast(m[-1]) if m else None

def why(log, rc):
    """What ended a failed run, in libFuzzer's, the sanitizers' or the harness's own words."""
    for pat in (r"fuzz: .*", r"ERROR: AddressSanitizer: [\w-]+", r"ERROR: LeakSanitizer: .*",
                r"runtime error: .*", r"ERROR: libFuzzer: .*"):
        m = re.search(pat, log)
        if m:
            return m.group(0).strip()
    return "exit status %d" % rc

def cpu():
    try:
        with open("/proc/cpuinfo") as f:
            return re.search(r"model name\s*:\s*(.*)", f.read()).group(1)
    except (OSError, AttributeError):
        return platform.processor()

rows, failed = [], 0
for n in names:
    log = open("build/fuzz/logs/%s.log" % n, errors="replace").read()
    rc, crashes = int(read(n, ".rc")), read(n, ".crashes").split()
    row = {
        "name": n, "seconds": float(read(n, ".secs")),
        "executions": last(r"stat::number_of_executed_units:\s*(\d+)", log),
        "coverage": last(r"\bcov: (\d+)", log), "features": last(r"\bft: (\d+)", log),
        "corpus": last(r"\bcorp: (\d+)", log),
        "peak_rss_mb": last(r"stat::peak_rss_mb:\s*(\d+)", log),
        "status": "ok" if rc == 0 else "failed",
        "crashes": len(crashes), "crash_files": ["build/fuzz/crashes/%s/%s" % (n, c) for c in crashes],
    }
    if rc:
        failed += 1
        row["why"] = why(log, rc)
    rows.append(row)
    rate = row["executions"] / row["seconds"] if row["executions"] and row["seconds"] else 0
    print("fuzz: %-10s %s: %s executions in %.0f s (%.0f/s), coverage %s edges, %s features, "
          "corpus %s%s" % (n, "ok" if rc == 0 else "FAILED", row["executions"], row["seconds"],
                           rate, row["coverage"], row["features"], row["corpus"],
                           "" if rc == 0 else "; %s; input: %s; log: build/fuzz/logs/%s.log" % (
                               row["why"], " ".join(row["crash_files"]) or "none kept", n)))
if out:
    clang = subprocess.run(["clang", "--version"], capture_output=True, text=True).stdout
    doc = {"date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "seconds_per_target": secs,
           "jobs": jobs, "fresh": fresh, "cpu": cpu(), "nproc": os.cpu_count(),
           "kernel": platform.release(), "compiler": clang.splitlines()[0] if clang else None,
           "targets": rows}
    os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
    with open(out + ".tmp", "w") as f:
        json.dump(doc, f, indent=1)
    os.replace(out + ".tmp", out)
print("fuzz: %d passed, %d failed" % (len(rows) - failed, failed))
sys.exit(1 if failed else 0)
