#!/usr/bin/env bash
# make bench: trap vs hypercall (PV ring) vs native, same workloads, same image,
# same run.  Every (path, workload) is measured REPS times; the report gives the
# median and the spread.  QUICK=1: fewer, shorter runs (under 2 minutes).
# Raw outputs in build/bench/raw/; results in build/bench/results.{json,png}.
set -euo pipefail
cd "$(dirname "$0")/.."

HV=build/hv KERNEL=build/guest-kernel.elf B=build/bench
for f in "$HV" "$KERNEL" "$B/native-blkbench" "$B/native-cpubench" "$B/loopback-blkbench"; do
	[ -x "$f" ] || [ -f "$f" ] || { echo "bench: $f missing: run 'make bench'" >&2; exit 2; }
done
if [ "${QUICK:-0}" = 1 ]; then
	reps=2 secs=0.3 size_mb=64
else
	reps=5 secs=2 size_mb=256
fi
WORKLOADS="null-4k-qd1 randread-4k-qd1 randread-4k-qd32 seqread-128k-qd8 randwrite-4k-qd1"
PATHS="pv pv-poll trap"
RAW=$B/raw
rm -rf "$RAW" && mkdir -p "$RAW"

img=$B/bench.img
if [ ! -f "$img" ] || [ "$(stat -c %s "$img")" -ne $((size_mb << 20)) ]; then
	echo "bench: writing $img ($size_mb MiB of random data)"
	dd if=/dev/urandom of="$img" bs=1M count="$size_mb" status=none
fi

kvm=1
if [ ! -c /dev/kvm ]; then
	kvm=0
	echo "*****************************************************************"
	echo "* bench: no /dev/kvm: the pv, pv-poll and trap paths are SKIPPED *"
	echo "* (native figures only; nothing is reported that was not run)   *"
	echo "*****************************************************************"
fi

# guest PATH WORKLOAD REP: one boot, one workload, its JSON line and hv's stats.
guest() {
	local path=$1 w=$2 rep=$3 disk=$img dev opt params=""
	case $w in null-*) disk=null:$((size_mb))M ;; esac
	case $path in
	pv) opt=--disk dev=pvblk0 ;;
	pv-poll) opt=--disk dev=pvblk0 params=poll=all ;;
	trap) opt=--trap-disk dev=trapblk0 ;;
	esac
	if ! "$HV" run --stats --mem 128M --timeout 120 "$opt" "$disk" "$KERNEL" -- \
		$params blkbench "$dev" --time "$secs" --json "$w" \
		>"$RAW/$path-$w-$rep.out" 2>"$RAW/$path-$w-$rep.err"; then
		echo "bench: $path $w run $rep failed:" >&2
		tail -n 5 "$RAW/$path-$w-$rep.out" "$RAW/$path-$w-$rep.err" >&2
		exit 1
	fi
}

start=$(date +%s)
for rep in $(seq "$reps"); do
	echo "bench: round $rep of $reps"
	"$B/native-blkbench" --time "$secs" --json "$img" >"$RAW/native-$rep.json" 2>/dev/null
	"$B/native-cpubench" --json >"$RAW/cpu-native-$rep.json"
	# hv's backend under the real driver on a host thread: measurable without KVM.
	for mode in "" --poll; do
		"$B/loopback-blkbench" --time "$secs" $mode "$img" >"$RAW/loopback${mode:+-poll}-$rep.jsonl"
		"$B/loopback-blkbench" --time "$secs" $mode "null:${size_mb}M" null-4k-qd1 \
			>>"$RAW/loopback${mode:+-poll}-$rep.jsonl"
	done
	[ $kvm = 1 ] || continue
	for path in $PATHS; do
		for w in $WORKLOADS; do
			guest "$path" "$w" "$rep"
		done
	done
	"$HV" run --mem 128M --timeout 60 "$KERNEL" -- cpubench --json >"$RAW/cpu-guest-$rep.out"
done
echo "bench: measured in $(($(date +%s) - start)) s"

python3 scripts/bench-report.py "$B" "$secs" "$reps" "$kvm"
gnuplot scripts/bench.gp 2>"$RAW/gnuplot.err" ||
	{ echo "bench: gnuplot failed:" >&2; cat "$RAW/gnuplot.err" >&2; exit 1; }
echo "bench: wrote $B/results.json and $B/results.png"
