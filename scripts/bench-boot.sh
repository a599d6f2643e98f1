#!/usr/bin/env bash
# Boot benchmark: median and spread of the wall time of
#   hv run build/guest-kernel.elf -- hello
# over RUNS runs (default 20), and hv's peak RSS beyond the guest RAM the
# guest touched (from hv --stats: getrusage peak RSS minus mincore of RAM).
# Prints a table and build/bench/boot.json.  Needs /dev/kvm.
set -u
cd "$(dirname "$0")/.."
RUNS=${RUNS:-20}
HV=build/hv KERNEL=build/guest-kernel.elf
[ -x "$HV" ] && [ -f "$KERNEL" ] || { echo "bench-boot: run make first" >&2; exit 1; }
if [ ! -c /dev/kvm ]; then
	echo "bench-boot: no /dev/kvm on this machine: nothing measured" >&2
	exit 1
fi
mkdir -p build/bench
times=()
for i in $(seq "$RUNS"); do
	t0=$(date +%s%N)
	"$HV" run "$KERNEL" -- hello >/dev/null 2>&1 || { echo "bench-boot: run $i failed" >&2; exit 1; }
	t1=$(date +%s%N)
	times+=($(((t1 - t0) / 1000)))
done
sorted=($(printf '%s\n' "${times[@]}" | sort -n))
median=${sorted[$((RUNS / 2))]} min=${sorted[0]} max=${sorted[$((RUNS - 1))]}
mem=$("$HV" run --stats "$KERNEL" -- hello 2>&1 >/dev/null | sed -n 's/.*peak rss \([0-9]*\) KiB, guest RAM resident \([0-9]*\) KiB, hv.s own \(-\?[0-9]*\) KiB/\1 \2 \3/p')
read -r rss guest own <<<"$mem"
printf 'boot: %d runs of "hv run guest-kernel.elf -- hello"\n' "$RUNS"
printf '  wall time   median %6d us   min %6d us   max %6d us\n' "$median" "$min" "$max"
printf '  memory      peak RSS %d KiB = guest RAM touched %d KiB + hv own %d KiB\n' "$rss" "$guest" "$own"
printf '{"runs": %d, "wall_us_median": %d, "wall_us_min": %d, "wall_us_max": %d, "peak_rss_kib": %d, "guest_resident_kib": %d, "hv_own_kib": %d, "date": "%s", "host": "%s"}\n' \
	"$RUNS" "$median" "$min" "$max" "$rss" "$guest" "$own" "$(date -u +%FT%TZ)" "$(uname -r)" >build/bench/boot.json
