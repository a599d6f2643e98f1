#!/usr/bin/env bash
# Rate limits measured (issue 21), all in one run on one host: hv's guest
# kernel runs blkbench randread-4k-qd32 on a PV disk (null:, so the disk is
# not the limit), every figure from GET /metrics sampled by the host
#   * unlimited, twice, and with limits far above its rate (iops=1G,bps=1000G):
#     requests/s and exits per request, "no cost when unset";
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

# counters SOCK: "requests bytes exits" of pvblk0 and the vCPU now, from GET /metrics.
counters() {
	curl -s -m 5 --unix-socket "$1" http://localhost/metrics | awk '
		/^hv_device_requests_total\{device="pvblk0"\}/ { r = $2 }
		/^hv_device_bytes_total\{device="pvblk0"\}/ { b = $2 }
		/^kvm_vcpu_exits_total / { x = $2 }
		END { printf "%.0f %.0f %.0f\n", r, b, x }'
}

# bench NAME DISKOPTS WINDOWS: blkbench runs (its --time is guest time, which
# in a nested test VM need not follow the host's: hv is shut down through
# the API); from 3 s after its first request, WINDOWS 1 s windows of
# "requests/s bytes/s exits-per-request" in $TMP/NAME.win.
bench() {
	local name=$1 opts=$2 n=$3 sock=$TMP/$1.sock r0 b0 x0 t0 r1 b1 x1 t1 i
	rm -f "$sock"
	"$HV" run --timeout 300 --disk "null:256M$opts" --mem 64M --api-sock "$sock" \
		"$KERNEL" -- blkbench pvblk0 --time 3600 $WORKLOAD >"$TMP/$name.out" 2>&1 &
	local pid=$!
	: >"$TMP/$name.win"
	for i in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
	for i in $(seq 100); do
		read -r r0 _ <<<"$(counters "$sock")"
		[ "${r0:-0}" -gt 0 ] && break
		sleep 0.1
	done
	sleep 3 # the burst (one second's worth) spent
	read -r r0 b0 x0 <<<"$(counters "$sock")"
	t0=$(date +%s.%N)
	for i in $(seq "$n"); do
		sleep 1
		read -r r1 b1 x1 <<<"$(counters "$sock")"
		t1=$(date +%s.%N)
		awk -v r=$((r1 - r0)) -v b=$((b1 - b0)) -v x=$((x1 - x0)) -v t0="$t0" -v t1="$t1" \
			'BEGIN { printf "%.1f %.1f %.4f\n", r / (t1 - t0), b / (t1 - t0), r ? x / r : 0 }' \
			>>"$TMP/$name.win"
		r0=$r1 b0=$b1 x0=$x1 t0=$t1
	done
	curl -s -m 5 --unix-socket "$sock" -X PUT -d '{"action_type": "shutdown"}' \
		http://localhost/actions >/dev/null
	wait $pid
}

# mean NAME COLUMN: the mean of a column over the windows.
mean() { awk -v c="$2" '{ s += $c } END { printf "%.1f", NR ? s / NR : 0 }' "$TMP/$1.win"; }

# windows NAME SETTING: JSON array of the windows (ratio: requests or bytes / SETTING, column 1 or 2).
windows() {
	awk -v s="${3:-0}" -v c="${2:-1}" -v n="$1" '
		{ if (s) printf "bench-ratelimit: %s window %d: %.0f/s, %.3f of the %d/s limit\n", n, NR, $c, $c / s, s > "/dev/stderr"
		  a = a (NR > 1 ? "," : "") sprintf("{\"requests_per_s\":%.1f,\"bytes_per_s\":%.1f,\"exits_per_request\":%.4f%s}", $1, $2, $3, s ? sprintf(",\"ratio\":%.4f", $c / s) : "") }
		END { printf "[%s]", a }' "$TMP/$1.win"
}

for n in unlimited-a unlimited-b; do bench $n "" 6; done
bench far-above ",iops=1G,bps=1000G" 6
for n in unlimited-a unlimited-b far-above; do
	echo "bench-ratelimit: $n: $(mean $n 1) requests/s, $(mean $n 3) exits/request (mean of 6 1 s windows)"
done
base=$(mean unlimited-b 1)
lim_ops=$(awk -v b="$base" 'BEGIN { printf "%d", b / 2.5 }')
bench ops ",iops=$lim_ops" 8
base2=$(mean ops 1)
bench unlimited-c "" 4
base=$(mean unlimited-c 1)
lim_bytes=$(awk -v b="$base" 'BEGIN { printf "%d", b * 4096 / 3 }')
bench bytes ",bps=$lim_bytes" 8
{
	printf '{"workload":"%s","disk":"null:256M","source":"GET /metrics once a second from the host",\n' "$WORKLOAD"
	for n in unlimited-a unlimited-b far-above unlimited-c; do
		printf '"%s":%s,\n' "$n" "$(windows $n 1 0 2>/dev/null)"
	done
	printf '"ops_limit":{"ops_per_s":%s,"windows":%s},\n' "$lim_ops" "$(windows ops 1 "$lim_ops")"
	printf '"bytes_limit":{"bytes_per_s":%s,"windows":%s}}\n' "$lim_bytes" \
		"$(windows bytes 2 "$lim_bytes")"
} >"$OUT"
echo "bench-ratelimit: ops limit $lim_ops/s: mean $base2/s; wrote $OUT"
