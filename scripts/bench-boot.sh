#!/usr/bin/env bash
# make bench-boot: the wall time of
#   hv run build/guest-kernel.elf -- hello
# over RUNS boots (default 20: median, min, max), and hv's peak RSS split into
# the guest RAM the guest touched and hv's own (one more boot with --stats).
# Measured in the test host VM, and also on this machine's /dev/kvm when that
# is VMX or SVM; each measurement says where it ran.  Writes
# build/bench/boot.json ({"measurements": [...]}) and prints a table.
#   scripts/bench-boot.sh                 measure everywhere, as above
#   scripts/bench-boot.sh --here OUT      measure here only, into OUT (one object)
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
RUNS=${RUNS:-20}
HV=build/hv KERNEL=build/guest-kernel.elf B=build/bench
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "bench-boot: RUNS=$RUNS is not a positive count" >&2; exit 2; }
[ -x "$HV" ] && [ -f "$KERNEL" ] || { echo "bench-boot: run make first" >&2; exit 2; }
mkdir -p "$B"

# measure OUT: RUNS timed boots here, then one with --stats for memory and backend.
measure() {
	local out=$1 i t0 t1 rc=0 log=$B/boot-$$
	local times=()
	for i in $(seq "$RUNS"); do
		t0=$(date +%s%N)
		"$HV" run --timeout 120 "$KERNEL" -- hello >"$log.out" 2>"$log.err" || rc=$?
		t1=$(date +%s%N)
		if [ "$rc" -ne 0 ]; then
			echo "bench-boot: boot $i failed (exit status $rc); last lines of its output:" >&2
			tail -n 5 "$log.out" "$log.err" >&2 # two files: tail labels each
			break
		fi
		times+=($(((t1 - t0) / 1000)))
	done
	[ "$rc" -eq 0 ] && { "$HV" run --stats --timeout 120 "$KERNEL" -- hello >"$log.out" 2>"$log.err" || rc=$?; }
	python3 - "$out" "$RUNS" "$rc" "$log.err" "${times[@]}" <<'PY'
import json, re, statistics, sys
sys.dont_write_bytecode = True
sys.path.insert(0, "scripts")
import benchlib
out, runs, rc, err, times = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], \
    [int(t) for t in sys.argv[5:]]
o = {"where": benchlib.where([err]), "command": "hv run build/guest-kernel.elf -- hello",
     "runs": runs}
if rc or len(times) != runs:
    o["error"] = "a boot failed with exit status %d: %s" % (rc, " | ".join(benchlib.tail(err, 3)))
else:
    o.update(wall_us_median=int(statistics.median(times)), wall_us_min=min(times),
             wall_us_max=max(times), wall_us=times)
    m = re.search(r"peak rss (\d+) KiB, guest RAM resident (\d+) KiB, hv.s own (-?\d+) KiB",
                  open(err).read())
    if m:
        o.update(peak_rss_kib=int(m[1]), guest_resident_kib=int(m[2]), hv_own_kib=int(m[3]))
    else:
        o["error"] = "no memory line in hv --stats"
json.dump(o, open(out, "w"), indent=1)
sys.exit(1 if "error" in o else 0)
PY
	rc=$?
	rm -f "$log.out" "$log.err"
	return "$rc"
}

if [ "${1:-}" = --here ]; then
	[ $# -eq 2 ] || { echo "usage: scripts/bench-boot.sh [--here OUT]" >&2; exit 2; }
	measure "$2"
	exit
fi
[ $# -eq 0 ] || { echo "usage: scripts/bench-boot.sh [--here OUT]" >&2; exit 2; }

. scripts/kvm-host.sh
parts=() rc=0
if [ "${HV_TESTVM:-0}" = 1 ]; then
	echo "bench-boot: inside the test host VM: measuring here only"
	measure "$B/boot-testvm.json" || rc=1
	parts+=("$B/boot-testvm.json")
else
	if [ "$KVM_WHERE" = local ]; then
		echo "bench-boot: on this machine ($KVM_WHY), then in the test host VM"
		measure "$B/boot-local.json" || rc=1
		parts+=("$B/boot-local.json")
	else
		echo "bench-boot: in the test host VM only: $KVM_WHY"
	fi
	rm -f "$B/boot-testvm.json"
	scripts/testvm/run.sh --timeout 1800 -- scripts/bench-boot.sh --here "$B/boot-testvm.json" || rc=1
	[ -f "$B/boot-testvm.json" ] && parts+=("$B/boot-testvm.json")
fi

python3 - "$B/boot.json" "${parts[@]}" <<'PY'
import json, sys
ms = [json.load(open(f)) for f in sys.argv[2:]]
json.dump({"measurements": ms}, open(sys.argv[1], "w"), indent=1)
print('boot: "hv run build/guest-kernel.elf -- hello"')
for m in ms:
    w = m["where"]
    print("  %s (KVM backend %s, kernel %s):" % (w["label"], w["backend"], w["kernel"]))
    if "error" in m:
        print("    FAILED: " + m["error"])
        continue
    print("    wall time over %d runs: median %d us, min %d us, max %d us" % (
        m["runs"], m["wall_us_median"], m["wall_us_min"], m["wall_us_max"]))
    print("    peak RSS %d KiB = guest RAM touched %d KiB + hv's own %d KiB" % (
        m["peak_rss_kib"], m["guest_resident_kib"], m["hv_own_kib"]))
PY
[ "$rc" -eq 0 ] && echo "bench-boot: wrote $B/boot.json"
exit "$rc"
