#!/usr/bin/env bash
# Block benchmark: the same four workloads on the host (build/bench/native-blkbench,
# io_uring on the image) and in the guest (blkbench over pvblk0 on the same image),
# side by side. Writes build/bench/native.json and, with /dev/kvm, build/bench/pv.json.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
	echo "usage: scripts/bench-blk.sh [--time SECONDS] [--size SIZE (default 256M; K, M, G)]"
}
die() {
	echo "bench-blk: $*" >&2
	exit 2
}

time_s=2 size=256M
while [ $# -gt 0 ]; do
	case $1 in
	--time) [ $# -ge 2 ] || die "--time needs a value"; time_s=$2; shift 2 ;;
	--size) [ $# -ge 2 ] || die "--size needs a value"; size=$2; shift 2 ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; die "unknown argument '$1'" ;;
	esac
done

[[ $time_s =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "--time '$time_s' is not a number of seconds"
# SIZE in MiB: the image is written 1 MiB at a time.
[[ $size =~ ^([0-9]+)([kKmMgG]?)$ ]] || die "--size '$size' is not a size (try 256M or 1G)"
case ${BASH_REMATCH[2]} in
[kK]) shift_by=10 ;; [mM]) shift_by=20 ;; [gG]) shift_by=30 ;; *) shift_by=0 ;;
esac
bytes=$((10#${BASH_REMATCH[1]} << shift_by))
if [ "$bytes" -lt $((1 << 20)) ] || [ $((bytes % (1 << 20))) -ne 0 ]; then
	die "--size $size: must be a whole number of MiB, at least 1M"
fi

DIR=build/bench NATIVE=build/bench/native-blkbench IMG=build/bench/blk.img
HV=build/hv KERNEL=build/guest-kernel.elf
if [ ! -x "$NATIVE" ]; then
	echo "bench-blk: $NATIVE is missing; build it with: make $NATIVE" >&2
	exit 1
fi
mkdir -p "$DIR"

if [ ! -f "$IMG" ] || [ "$(stat -c %s "$IMG")" -ne "$bytes" ]; then
	echo "bench-blk: writing $IMG ($((bytes >> 20)) MiB from /dev/urandom)" >&2
	dd if=/dev/urandom of="$IMG.tmp" bs=1M count=$((bytes >> 20)) status=none
	mv "$IMG.tmp" "$IMG"
fi

"$NATIVE" --time "$time_s" --json "$IMG" >"$DIR/native.json"

python3 - "$DIR/native.json" <<'EOF'
import json, sys
rows = json.load(open(sys.argv[1]))
mode = "O_DIRECT" if rows and rows[0]["direct"] else "buffered"
print(f"native ({mode})      {'ios':>10} {'IOPS':>11} {'MB/s':>9} {'mean us':>10} {'p99 us':>10}")
for r in rows:
    print(f"{r['workload']:<20} {r['ios']:>10} {r['iops']:>11.1f} {r['mbps']:>9.2f}"
          f" {r['lat_us_mean']:>10.2f} {r['lat_us_p99']:>10.2f}")
EOF

if [ ! -c /dev/kvm ]; then
	echo "bench-blk: guest side skipped: no /dev/kvm (native figures only)" >&2
	exit 0
fi
if [ ! -x "$HV" ] || [ ! -f "$KERNEL" ]; then
	echo "bench-blk: $HV or $KERNEL missing: run make first" >&2
	exit 1
fi

rc=0
"$HV" run --mem 256M --disk "$IMG" --timeout 120 "$KERNEL" -- blkbench pvblk0 --time "$time_s" --json \
	>"$DIR/pv.out" 2>"$DIR/pv.err" || rc=$?
if [ "$rc" -ne 0 ]; then
	echo "bench-blk: guest blkbench failed (exit $rc); last lines of its output:" >&2
	tail -n 5 "$DIR/pv.out" "$DIR/pv.err" >&2
	exit 1
fi
# One object per line after the prefix; the UART may end lines with \r.
tr -d '\r' <"$DIR/pv.out" | sed -n 's/^blkbench-json: //p' |
	sed '1s/^/[\n  /; 1!s/^/  /; $!s/$/,/; $s/$/\n]/' >"$DIR/pv.json"
if [ ! -s "$DIR/pv.json" ]; then
	echo "bench-blk: the guest printed no 'blkbench-json: ' lines; see $DIR/pv.out" >&2
	exit 1
fi

python3 - "$DIR/native.json" "$DIR/pv.json" <<'EOF'
import json, re, sys
native = {r["workload"]: r for r in json.load(open(sys.argv[1]))}
pv = json.load(open(sys.argv[2]))

def ratio(a, b):
    return f"{a / b:.2f}" if b else "-"

print()
print(f"{'workload':<18} {'native IOPS':>12} {'pv IOPS':>10} {'pv/nat':>7}"
      f" {'native mean/p99 us':>19} {'pv mean/p99 us':>17} {'lat pv/nat':>10} {'exits/io':>9}")
for p in pv:
    n = native.get(p["workload"])
    if n is None:
        print(f"{p['workload']:<18} (no native figure)")
        continue
    nl = f"{n['lat_us_mean']:.1f}/{n['lat_us_p99']:.1f}"
    pl = f"{p['lat_us_mean']:.1f}/{p['lat_us_p99']:.1f}"
    exits = p.get("exits_per_io")  # -1: KVM's statistics were not readable
    exits = f"{exits:.2f}" if isinstance(exits, (int, float)) and exits >= 0 else "-"
    notes = ""
    if p.get("qd", 0) < int(re.search(r"qd(\d+)$", p["workload"]).group(1)):
        notes += f"  (device depth: pv ran at qd {p['qd']})"
    if p.get("errors"):
        notes += f"  ({p['errors']} I/O ERRORS)"
    print(f"{p['workload']:<18} {n['iops']:>12.1f} {p['iops']:>10.1f}"
          f" {ratio(p['iops'], n['iops']):>7} {nl:>19} {pl:>17}"
          f" {ratio(p['lat_us_mean'], n['lat_us_mean']):>10} {exits:>9}{notes}")
EOF
