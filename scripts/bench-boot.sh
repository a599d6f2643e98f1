#!/usr/bin/env bash
# make bench-boot: the wall time of
#   hv run build/guest-kernel.elf -- hello
# over RUNS boots (default 20: median, min, max), and hv's RSS at the end split
# into the guest RAM the guest touched and hv's own, with the peak (one more
# boot with --stats).
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
	python3 scripts/bench-boot.py measure "$out" "$RUNS" "$rc" "$log.err" "${times[@]}"
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

python3 scripts/bench-boot.py report "$B/boot.json" "${parts[@]}"
[ "$rc" -eq 0 ] && echo "bench-boot: wrote $B/boot.json"
exit "$rc"
