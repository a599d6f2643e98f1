#!/usr/bin/env bash
# What hv's --io-poll buys: its I/O thread busy-polls the rings and io_uring
# for USECS before sleeping, and the guest rings no doorbell meanwhile.  For
# each poll value, on the same image and in the same run:
#   loopback-pv  build/bench/loopback-blkbench --io-poll USECS: hv's backend
#                under the guest driver on a host thread (no VM)
#   pv           the guest's blkbench over pvblk0 under hv run --io-poll USECS
# for null-4k-qd1 (no file: the interface alone), randread-4k-qd1 and
# randread-4k-qd32.  Runs where guests can run (here on VMX/SVM, else in the
# test host VM).  Writes build/bench/iopoll.json and prints a table; a failed
# run is reported, listed in the JSON's "failures", and makes the exit status 1.
#   scripts/bench-iopoll.sh [--polls "USECS..."] [--time SECONDS] [--reps N]
set -uo pipefail # not -e: one failed run must not lose the others
cd "$(dirname "$0")/.." || exit 2

usage() { echo "usage: scripts/bench-iopoll.sh [--polls \"USECS...\"] [--time SECONDS] [--reps N]"; }
die() {
	echo "bench-iopoll: $*" >&2
	usage >&2
	exit 2
}
args=("$@")
polls="0 10 50 200" secs=1 reps=3
[ "${QUICK:-0}" = 1 ] && secs=0.3 reps=2
while [ $# -gt 0 ]; do
	case $1 in
	--polls) [ $# -ge 2 ] || die "--polls needs a value"; polls=${2//,/ }; shift 2 ;;
	--time) [ $# -ge 2 ] || die "--time needs a value"; secs=$2; shift 2 ;;
	--reps) [ $# -ge 2 ] || die "--reps needs a value"; reps=$2; shift 2 ;;
	-h | --help) usage; exit 0 ;;
	*) die "unknown argument '$1'" ;;
	esac
done
for u in $polls; do [[ $u =~ ^[0-9]+$ ]] || die "poll value '$u' is not a whole number of microseconds"; done
[[ $secs =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "--time '$secs' is not a number of seconds"
[[ $reps =~ ^[1-9][0-9]*$ ]] || die "--reps '$reps' is not a positive count"

. scripts/benchlib.sh
bench_where bench-iopoll 1800 scripts/bench-iopoll.sh "${args[@]}"

HV=build/hv KERNEL=build/guest-kernel.elf B=build/bench
for f in "$HV" "$KERNEL" "$B/loopback-blkbench"; do
	[ -f "$f" ] || { echo "bench-iopoll: $f missing: run make all $B/loopback-blkbench" >&2; exit 2; }
done
RAW=$B/raw-iopoll
rm -rf "$RAW" && mkdir -p "$RAW"
: >"$RAW/failures.jsonl"
img=$B/iopoll.img size_mb=64
if [ ! -f "$img" ] || [ "$(stat -c %s "$img")" -ne $((size_mb << 20)) ]; then
	echo "bench-iopoll: writing $img ($size_mb MiB of random data)"
	dd if=/dev/urandom of="$img" bs=1M count="$size_mb" status=none
fi
FILE_W="randread-4k-qd1 randread-4k-qd32"

start=$(date +%s)
for rep in $(seq "$reps"); do
	echo "bench-iopoll: round $rep of $reps (poll values: $polls us)"
	for u in $polls; do
		attempt loopback-pv "io-poll=$u" "$rep" "$RAW/loopback-pv-$u-$rep" \
			"$B/loopback-blkbench" --time "$secs" --io-poll "$u" "$img" $FILE_W
		attempt loopback-pv "io-poll=$u null-4k-qd1" "$rep" "$RAW/loopback-pv-null-$u-$rep" \
			"$B/loopback-blkbench" --time "$secs" --io-poll "$u" "null:${size_mb}M" null-4k-qd1
		# One boot runs both file workloads; the null disk needs a boot of its own.
		want="blkbench-json: " attempt pv "io-poll=$u" "$rep" "$RAW/pv-$u-$rep" \
			"$HV" run --stats --io-poll "$u" --mem 128M --timeout 120 --disk "$img" "$KERNEL" -- \
			blkbench pvblk0 --time "$secs" --json $FILE_W
		want="blkbench-json: " attempt pv "io-poll=$u null-4k-qd1" "$rep" "$RAW/pv-null-$u-$rep" \
			"$HV" run --stats --io-poll "$u" --mem 128M --timeout 120 --disk "null:${size_mb}M" \
			"$KERNEL" -- blkbench pvblk0 --time "$secs" --json null-4k-qd1
	done
done
echo "bench-iopoll: measured in $(($(date +%s) - start)) s"

python3 scripts/bench-iopoll-report.py "$RAW" "$B/iopoll.json" "$secs" "$reps" $polls
rc=$?
[ -f "$B/iopoll.json" ] && echo "bench-iopoll: wrote $B/iopoll.json"
exit "$rc"
