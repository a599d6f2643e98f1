#!/usr/bin/env bash
# Rate limits measured (issue 21), all in one run on one host: hv's guest
# kernel runs blkbench randread-4k-qd32 on a PV disk (null:, so the disk is
# not the limit)
#   * unlimited, twice, and with limits far above its rate (iops=1G,bps=1T):
#     IOPS and exits per I/O, "no cost when unset";
#   * with an ops/s limit and then a bytes/s limit, each at most half the
#     unlimited rate measured just before: the per-queue counters sampled
#     from GET /metrics once a second from the host, each 1 s window after
#     the burst reported with its ratio to the setting.
# Writes build/bench/ratelimit.json; prints the figures.  Asserts nothing
# about speed.  Needs /dev/kvm (scripts/testvm/run.sh -- scripts/bench-ratelimit.sh).
# Not measured here: a NIC's limits (see the report).
set -u
cd "$(dirname "$0")/.."
HV=build/hv
KERNEL=build/guest-kernel.elf
OUT=build/bench/ratelimit.json
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
mkdir -p build/bench
[ -c /dev/kvm ] || { echo "bench-ratelimit: no /dev/kvm (run it in scripts/testvm/run.sh)"; exit 1; }
WORKLOAD=randread-4k-qd32

# counters SOCK: "requests bytes" of pvblk0 now, from GET /metrics.
counters() {
	curl -s -m 5 --unix-socket "$1" http://localhost/metrics | awk '
		/^hv_device_requests_total\{device="pvblk0"\}/ { r = $2 }
		/^hv_device_bytes_total\{device="pvblk0"\}/ { b = $2 }
		END { printf "%d %d\n", r, b }'
}

# bench NAME DISKOPTS SECONDS: blkbench's JSON line in $TMP/NAME.json; with
# SECONDS > 10, 1 s windows of the counters from the 4th second on in $TMP/NAME.win.
bench() {
	local name=$1 opts=$2 secs=$3 sock=$TMP/$1.sock
	rm -f "$sock"
	"$HV" run --timeout $((secs + 60)) --disk "null:256M$opts" --mem 64M --api-sock "$sock" \
		"$KERNEL" -- blkbench pvblk0 --time "$secs" --json $WORKLOAD >"$TMP/$name.out" 2>&1 &
	local pid=$! r0 b0 t0 r1 b1 t1 i
	: >"$TMP/$name.win"
	if [ "$secs" -gt 10 ]; then
		for i in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
		# blkbench starts once the guest has booted: wait for requests, then the burst.
		for i in $(seq 100); do
			read -r r0 _ <<<"$(counters "$sock")"
			[ "${r0:-0}" -gt 0 ] && break
			sleep 0.1
		done
		sleep 3
		read -r r0 b0 <<<"$(counters "$sock")"
		t0=$(date +%s.%N)
		for i in $(seq $((secs - 6))); do
			sleep 1
			read -r r1 b1 <<<"$(counters "$sock")"
			t1=$(date +%s.%N)
			awk -v r=$((r1 - r0)) -v b=$((b1 - b0)) -v t0="$t0" -v t1="$t1" \
				'BEGIN { printf "%.1f %.1f\n", r / (t1 - t0), b / (t1 - t0) }' >>"$TMP/$name.win"
			r0=$r1 b0=$b1 t0=$t1
		done
	fi
	wait $pid
	sed -n 's/^.*blkbench-json: //p' "$TMP/$name.out" | head -1 >"$TMP/$name.json"
	[ -s "$TMP/$name.json" ] || { echo "bench-ratelimit: $name: no result"; tail -5 "$TMP/$name.out"; }
}

field() { sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p" "$TMP/$1.json"; }

bench unlimited-a "" 8
bench unlimited-b "" 8
bench far-above ",iops=1G,bps=1T" 8
base=$(field unlimited-b iops)
for n in unlimited-a unlimited-b far-above; do
	echo "bench-ratelimit: $n: $(field $n iops) IOPS, $(field $n exits_per_io) exits/IO" \
		"($(field $n hv_exits_per_io) to hv), $(field $n cpu_us_per_io) us hv CPU/IO"
done
lim_ops=$(awk -v b="$base" 'BEGIN { printf "%d", b / 2.5 }')
lim_bytes=$(awk -v b="$base" 'BEGIN { printf "%d", b * 4096 / 3 }')
bench ops ",iops=$lim_ops" 14
bench bytes ",bps=$lim_bytes" 14

# windows NAME COLUMN SETTING: JSON array of {rate, ratio}, and a printed line each.
windows() {
	awk -v c="$2" -v s="$3" -v n="$1" '
		{ printf "bench-ratelimit: %s window %d: %.0f/s, %.3f of %d/s\n", n, NR, $c, $c / s, s > "/dev/stderr"
		  a = a (NR > 1 ? "," : "") sprintf("{\"rate\":%.1f,\"ratio\":%.4f}", $c, $c / s) }
		END { printf "[%s]", a }' "$TMP/$1.win"
}
ops_w=$(windows ops 1 "$lim_ops")
bytes_w=$(windows bytes 2 "$lim_bytes")
{
	printf '{"workload":"%s","disk":"null:256M",\n' "$WORKLOAD"
	for n in unlimited-a unlimited-b far-above; do
		printf '"%s":%s,\n' "$n" "$(cat "$TMP/$n.json")"
	done
	printf '"ops_limit":{"ops_per_s":%s,"windows":%s,"blkbench":%s},\n' "$lim_ops" "$ops_w" \
		"$(cat "$TMP/ops.json")"
	printf '"bytes_limit":{"bytes_per_s":%s,"windows":%s,"blkbench":%s}}\n' "$lim_bytes" \
		"$bytes_w" "$(cat "$TMP/bytes.json")"
} >"$OUT"
echo "bench-ratelimit: wrote $OUT"
