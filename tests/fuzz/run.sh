#!/usr/bin/env bash
# Runs hv's fuzz targets (build/fuzz/NAME, built by make from
# tests/fuzz/fuzz_NAME.c), each for --seconds S: first over its corpus in the
# tree (tests/fuzz/corpus/NAME: seeds, and the input of every crash found and
# fixed, so none comes back) and what earlier runs found (build/fuzz/corpus/NAME),
# then on inputs libFuzzer derives from them, at most --jobs J targets at a
# time.  Prints per target its executions, coverage and crashes, and writes
# them to --json FILE.  --fresh starts from the tree's corpus alone (make test:
# the same inputs everywhere, plus a short random run).  Exits 1 if any target
# crashed, leaked, hung or caught hv breaking a promise; the input that did it
# is kept in build/fuzz/crashes/NAME/ and the log in build/fuzz/logs/NAME.log.
#   usage: tests/fuzz/run.sh [--seconds S] [--jobs J] [--json FILE] [--fresh] [NAME...]
set -u
cd "$(dirname "$0")/../.."
secs=60 jobs=2 json="" fresh=0
while [ $# -gt 0 ]; do
	case "$1" in
	--seconds) secs=$2; shift 2 ;;
	--jobs) jobs=$2; shift 2 ;;
	--json) json=$2; shift 2 ;;
	--fresh) fresh=1; shift ;;
	-*) sed -n 's/^#   usage: /usage: /p' "$0" >&2; exit 2 ;;
	*) break ;;
	esac
done
if [ $# -gt 0 ]; then
	names=("$@")
else
	names=()
	for f in tests/fuzz/fuzz_*.c; do
		n=${f##*/fuzz_}
		names+=("${n%.c}")
	done
fi
for n in "${names[@]}"; do
	[ -x "build/fuzz/$n" ] || { echo "fuzz: no build/fuzz/$n (run make $PWD/build/fuzz/$n)" >&2; exit 2; }
done
state=$(mktemp -d)
trap 'rm -rf "$state"' EXIT
mkdir -p build/fuzz/logs

# One target: its log, its exit status, its wall time, the crash files it left.
run_one() {
	local n=$1 corpus=build/fuzz/corpus/$1 crashes=build/fuzz/crashes/$1 t0 t1
	[ "$fresh" = 1 ] && corpus=$state/corpus-$n
	mkdir -p "$corpus" "$crashes" "tests/fuzz/corpus/$n"
	ls "$crashes" >"$state/$n.before"
	t0=$(date +%s.%N)
	# -timeout: one input running 10 s is a hang; -max_len: inputs are programs, 4 KiB is long.
	"build/fuzz/$n" -max_total_time="$secs" -print_final_stats=1 -timeout=10 \
		-rss_limit_mb=2048 -max_len=4096 -artifact_prefix="$crashes/" \
		"$corpus" "tests/fuzz/corpus/$n" >"build/fuzz/logs/$n.log" 2>&1
	echo $? >"$state/$n.rc"
	t1=$(date +%s.%N)
	echo "$t0 $t1" | awk '{ printf "%.1f\n", $2 - $1 }' >"$state/$n.secs"
	ls "$crashes" | grep -vxF -f "$state/$n.before" >"$state/$n.crashes"
}

echo "fuzz: ${#names[@]} targets, $secs s each, $jobs at a time$([ "$fresh" = 1 ] && echo ", from the tree's corpus alone")"
running=0
for n in "${names[@]}"; do
	if [ "$running" -ge "$jobs" ]; then
		wait -n
		running=$((running - 1))
	fi
	run_one "$n" &
	running=$((running + 1))
done
wait

python3 - "$state" "$secs" "$jobs" "$fresh" "$json" "${names[@]}" <<'EOF'
import json, os, platform, re, subprocess, sys, time

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
EOF
