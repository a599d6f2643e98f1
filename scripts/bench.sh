#!/usr/bin/env bash
# make bench: trap vs hypercall (PV ring) vs native, same workloads, same image,
# same run.  Every (path, workload) is measured REPS times; the report gives the
# median and the spread.  QUICK=1: fewer, shorter runs.
#   scripts/bench.sh [--paths "PATH..."] [--time SECONDS] [--reps N] [--name NAME]
# PATHs: native loopback-pv loopback-pv-poll pv pv-poll trap cpu net
# hv-linux hv-linux-batch qemu-virtio qemu-emulated (all by default, but QUICK=1
# leaves out these four Linux rows; cpu is cpubench in the guest and natively; net is the network rows,
# native over veth, pv, pv-poll and trap NICs: scripts/bench-net.sh; hv-linux and
# qemu-* boot the same Linux guest on hv's PV devices and on QEMU's, on the same
# KVM: scripts/bench-qemu.sh; hv-linux-batch is hv-linux under hv run --io-batch).  Runs where guests can run: here
# on a VMX/SVM /dev/kvm, else all of it in the test host VM (benchlib.sh).
# Results: build/bench/NAME.{json,png} (NAME: results); raw outputs in
# build/bench/raw/ (raw-NAME/ for another NAME).  A run that fails is reported
# and listed in the JSON's "failures"; the rest is still reported, and the
# script then exits 1.
set -uo pipefail # not -e: one failed run must not lose the others
cd "$(dirname "$0")/.." || exit 2

ALL="native loopback-pv loopback-pv-poll pv pv-poll trap cpu net hv-linux hv-linux-batch qemu-virtio qemu-emulated"
PEERS="hv-linux hv-linux-batch qemu-virtio qemu-emulated"
usage() {
	echo "usage: scripts/bench.sh [--paths \"PATH...\"] [--time SECONDS] [--reps N] [--name NAME]"
	echo "  PATHs: $ALL"
}
die() {
	echo "bench: $*" >&2
	usage >&2
	exit 2
}
args=("$@")
paths="" name=results secs="" reps=""
while [ $# -gt 0 ]; do
	case $1 in
	--paths) [ $# -ge 2 ] || die "--paths needs a value"; paths=${2//,/ }; shift 2 ;;
	--time) [ $# -ge 2 ] || die "--time needs a value"; secs=$2; shift 2 ;;
	--reps) [ $# -ge 2 ] || die "--reps needs a value"; reps=$2; shift 2 ;;
	--name) [ $# -ge 2 ] || die "--name needs a value"; name=$2; shift 2 ;;
	-h | --help) usage; exit 0 ;;
	*) die "unknown argument '$1'" ;;
	esac
done
# The peer rows boot QEMU + Linux once per round: the quick run does without them.
if [ -z "$paths" ]; then
	paths=$ALL
	[ "${QUICK:-0}" = 1 ] && for p in $PEERS; do paths=${paths/ $p/}; done
fi
for p in $paths; do
	case " $ALL " in *" $p "*) ;; *) die "unknown path '$p'" ;; esac
done
has() { case " $paths " in *" $1 "*) return 0 ;; esac; return 1; }

if [ "${QUICK:-0}" = 1 ]; then
	reps=${reps:-2} secs=${secs:-0.3} size_mb=64 vm_limit=900
	NET_SECS=1 NET_RR=200 NET_LOOP=5000 NET_LOOP_TRAP=300
else
	reps=${reps:-5} secs=${secs:-2} size_mb=256 vm_limit=3600
	NET_SECS=5 NET_RR=2000 NET_LOOP=50000 NET_LOOP_TRAP=2000
fi
[[ $secs =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "--time '$secs' is not a number of seconds"
[[ $reps =~ ^[1-9][0-9]*$ ]] || die "--reps '$reps' is not a positive count"
[[ $name =~ ^[A-Za-z0-9_-]+$ ]] || die "--name '$name': letters, digits, - and _ only"

. scripts/benchlib.sh
bench_where bench "$vm_limit" scripts/bench.sh "${args[@]}"

HV=build/hv KERNEL=build/guest-kernel.elf B=build/bench
for f in "$HV" "$KERNEL" "$B/native-blkbench" "$B/native-cpubench" "$B/loopback-blkbench" "$B/net-rr"; do
	[ -f "$f" ] || { echo "bench: $f missing: run 'make bench'" >&2; exit 2; }
done
WORKLOADS="null-4k-qd1 randread-4k-qd1 randread-4k-qd32 seqread-128k-qd8 randwrite-4k-qd1"
RAW=$B/raw
[ "$name" = results ] || RAW=$B/raw-$name
rm -rf "$RAW" && mkdir -p "$RAW"
: >"$RAW/failures.jsonl"

img=$B/bench.img
if [ ! -f "$img" ] || [ "$(stat -c %s "$img")" -ne $((size_mb << 20)) ]; then
	echo "bench: writing $img ($size_mb MiB of random data)"
	dd if=/dev/urandom of="$img" bs=1M count="$size_mb" status=none
fi

# guest PATH WORKLOAD REP: one boot of hv for one workload.
guest() {
	local path=$1 w=$2 rep=$3 disk=$img dev opt params=""
	case $w in null-*) disk=null:${size_mb}M ;; esac
	case $path in
	pv) opt=--disk dev=pvblk0 ;;
	pv-poll) opt=--disk dev=pvblk0 params=poll=all ;;
	trap) opt=--trap-disk dev=trapblk0 ;;
	esac
	want="blkbench-json: " attempt "$path" "$w" "$rep" "$RAW/$path-$w-$rep" \
		"$HV" run --stats --mem 128M --timeout 120 "$opt" "$disk" "$KERNEL" -- \
		$params blkbench "$dev" --time "$secs" --json "$w"
}

if has net; then
	. scripts/bench-net.sh
	net_setup || exit 1
fi
for p in $PEERS; do
	has "$p" || continue
	. scripts/bench-qemu.sh
	peer_setup || exit 1
	break
done

start=$(date +%s)
for rep in $(seq "$reps"); do
	echo "bench: round $rep of $reps"
	has native && attempt native "" "$rep" "$RAW/native-$rep" \
		"$B/native-blkbench" --time "$secs" --json "$img"
	has cpu && attempt cpu-native "" "$rep" "$RAW/cpu-native-$rep" "$B/native-cpubench" --json
	# hv's backend under the real driver on a host thread: no VM, no exits.
	for path in loopback-pv loopback-pv-poll; do
		has "$path" || continue
		mode=""
		[ "$path" = loopback-pv-poll ] && mode=--poll
		attempt "$path" "" "$rep" "$RAW/$path-$rep" \
			"$B/loopback-blkbench" --time "$secs" $mode "$img"
		attempt "$path" null-4k-qd1 "$rep" "$RAW/$path-null-$rep" \
			"$B/loopback-blkbench" --time "$secs" $mode "null:${size_mb}M" null-4k-qd1
	done
	for path in pv pv-poll trap; do
		has "$path" || continue
		for w in $WORKLOADS; do
			guest "$path" "$w" "$rep"
		done
	done
	has cpu && want="cpubench-json: " attempt cpu-guest "" "$rep" "$RAW/cpu-guest-$rep" \
		"$HV" run --stats --mem 128M --timeout 120 "$KERNEL" -- cpubench --json
	if has net; then
		net_native "$rep"
		for path in pv pv-poll trap; do
			net_guest "$path" "$rep"
		done
	fi
	for path in $PEERS; do
		has "$path" && qemu_guest "$path" "$rep"
	done
done
echo "bench: measured in $(($(date +%s) - start)) s"

# The report and the chart come from whatever ran; the report lists the failures.
rc=0
rm -f "$B/$name.json" "$B/$name.chart" "$B/$name.png"
python3 scripts/bench-report.py "$RAW" "$B/$name" "$secs" "$reps" || rc=1
if [ -f "$B/$name.json" ]; then
	python3 scripts/bench-chart.py "$B/$name" 2>"$RAW/gnuplot.err" ||
		{ echo "bench: the chart failed:" >&2; cat "$RAW/gnuplot.err" >&2; rc=1; }
fi
[ "$rc" = 0 ] && echo "bench: wrote $B/$name.json$([ -f "$B/$name.png" ] && echo " and $B/$name.png")"
# The report may add failures of its own (cpubench digests that differ).
nfail=$(python3 scripts/benchlib.py failures "$B/$name.json" 2>/dev/null || echo "?")
if [ "$nfail" != 0 ]; then
	echo "bench: $nfail failure(s), listed under \"failures\" in $B/$name.json: exit status 1" >&2
	rc=1
fi
exit "$rc"
